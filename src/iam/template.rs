//! Policy variables: `${aws:username}`, defaults `${aws:PrincipalTag/team, 'x'}` and the escapes
//! `${*}`, `${?}`, `${$}`. They exist only under `"Version": "2012-10-17"`; under the 2008 rules
//! (or no Version) the same text is literal.

use super::pattern::{self, Tok};
use crate::iam::error::Malformed;

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePart {
    /// Policy text: `*` and `?` in it are wildcards where the operator allows them.
    Text(String),
    /// A character from an escape: always literal.
    Escaped(char),
    Var {
        /// The key name, lower-cased: key names are case-insensitive.
        key: String,
        default: Option<String>,
    },
}

/// A string from a policy that may hold variables, resolved against a request at evaluation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    raw: String,
    parts: Vec<TemplatePart>,
    /// Precompiled tokens when there is no variable, so the common case resolves without work.
    fixed_glob: Option<Vec<Tok>>,
}

/// How a variable's value is looked up: `None` when the key is absent (or multivalued).
pub trait Lookup {
    fn variable(&self, key_lower: &str) -> Option<&str>;
}

/// No variable has a value: a template resolves only when it holds none.
pub struct NoVariables;

impl Lookup for NoVariables {
    fn variable(&self, _: &str) -> Option<&str> {
        None
    }
}

impl Template {
    /// Parses `raw`; with `variables` false (2008 rules) the text is taken literally.
    pub fn parse(raw: &str, variables: bool) -> Result<Template, Malformed> {
        let parts = if variables {
            parse_parts(raw)?
        } else {
            vec![TemplatePart::Text(raw.to_owned())]
        };
        let fixed_glob = if parts.iter().any(|p| matches!(p, TemplatePart::Var { .. })) {
            None
        } else {
            Some(tokens(&parts, None).unwrap_or_default())
        };
        Ok(Template {
            raw: raw.to_owned(),
            parts,
            fixed_glob,
        })
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The keys of the variables in this template (lower-case).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    pub fn has_variables(&self) -> bool {
        self.fixed_glob.is_none()
    }

    /// Tokens with wildcards live, for `*Like`, Arn* and Resource. `None`: a variable has no value.
    pub fn resolve_glob(&self, lookup: &dyn Lookup) -> Option<std::borrow::Cow<'_, [Tok]>> {
        match &self.fixed_glob {
            Some(t) => Some(std::borrow::Cow::Borrowed(t)),
            None => tokens(&self.parts, Some(lookup)).map(std::borrow::Cow::Owned),
        }
    }

    /// The literal string, for `StringEquals` and friends. `None`: a variable has no value.
    pub fn resolve_literal(&self, lookup: &dyn Lookup) -> Option<std::borrow::Cow<'_, str>> {
        if self.parts.len() == 1
            && let TemplatePart::Text(t) = &self.parts[0]
        {
            return Some(std::borrow::Cow::Borrowed(t));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Escaped(c) => out.push(*c),
                TemplatePart::Var { key, default } => {
                    out.push_str(lookup.variable(key).or(default.as_deref())?);
                }
            }
        }
        Some(std::borrow::Cow::Owned(out))
    }

    /// The policy text with variables shown as written, wildcards as wildcards: for messages.
    pub fn display_glob(&self) -> String {
        pattern::render(
            &self
                .fixed_glob
                .clone()
                .unwrap_or_else(|| pattern::glob(&self.raw)),
        )
    }
}

fn tokens(parts: &[TemplatePart], lookup: Option<&dyn Lookup>) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            TemplatePart::Text(t) => out.extend(pattern::glob(t)),
            TemplatePart::Escaped(c) => out.push(Tok::Lit(*c)),
            TemplatePart::Var { key, default } => {
                let value = lookup
                    .and_then(|l| l.variable(key))
                    .or(default.as_deref())?;
                // A substituted value is data, not pattern: its `*` is a character.
                out.extend(pattern::literal(value));
            }
        }
    }
    Some(out)
}

fn parse_parts(raw: &str) -> Result<Vec<TemplatePart>, Malformed> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "policy variable \"${\" is not closed by \"}\"".to_owned())?;
        let inner = &after[..end];
        let part = match inner {
            "*" => TemplatePart::Escaped('*'),
            "?" => TemplatePart::Escaped('?'),
            "$" => TemplatePart::Escaped('$'),
            _ => parse_variable(inner)?,
        };
        if !text.is_empty() {
            parts.push(TemplatePart::Text(std::mem::take(&mut text)));
        }
        parts.push(part);
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() || parts.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Ok(parts)
}

fn parse_variable(inner: &str) -> Result<TemplatePart, Malformed> {
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .ok_or_else(|| {
                    format!("the default of policy variable ${{{inner}}} must be written in single quotes, as ${{key, 'value'}}")
                })?;
            (key.trim(), Some(quoted.to_owned()))
        }
    };
    let valid = key.split_once(':').is_some_and(|(prefix, name)| {
        !prefix.is_empty()
            && !name.is_empty()
            && !key.contains(char::is_whitespace)
            && !key.contains(['*', '?', '$', '{'])
    });
    if !valid {
        return Err(Malformed::from(format!(
            "policy variable ${{{inner}}} does not name a condition key (expected ${{prefix:name}})"
        )));
    }
    Ok(TemplatePart::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, &'static str>);
    impl Lookup for Vars {
        fn variable(&self, key: &str) -> Option<&str> {
            self.0.get(key).copied()
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("aws:username", "alice"),
            ("aws:principaltag/team", "red"),
        ]))
    }

    #[test]
    fn substitutes_case_insensitive_keys() {
        let t = Template::parse("home/${AWS:UserName}/*", true).unwrap();
        assert_eq!(t.resolve_literal(&vars()).unwrap(), "home/alice/*");
        assert!(pattern::matches(
            &t.resolve_glob(&vars()).unwrap(),
            "home/alice/x"
        ));
        assert_eq!(t.variables().collect::<Vec<_>>(), ["aws:username"]);
    }

    #[test]
    fn absent_variable_resolves_to_nothing_unless_defaulted() {
        let t = Template::parse("${aws:PrincipalTag/dept}", true).unwrap();
        assert!(t.resolve_literal(&vars()).is_none());
        assert!(t.resolve_glob(&vars()).is_none());
        let d = Template::parse("${aws:PrincipalTag/dept, 'company-wide'}", true).unwrap();
        assert_eq!(d.resolve_literal(&vars()).unwrap(), "company-wide");
        let present = Template::parse("${aws:PrincipalTag/team, 'x'}", true).unwrap();
        assert_eq!(present.resolve_literal(&vars()).unwrap(), "red");
    }

    #[test]
    fn escapes_are_literal_characters() {
        let t = Template::parse("a${*}b${?}c${$}", true).unwrap();
        assert_eq!(t.resolve_literal(&vars()).unwrap(), "a*b?c$");
        let g = t.resolve_glob(&vars()).unwrap();
        assert!(pattern::matches(&g, "a*b?c$"));
        assert!(!pattern::matches(&g, "axbyc$"));
    }

    #[test]
    fn substituted_values_are_not_wildcards() {
        struct Star;
        impl Lookup for Star {
            fn variable(&self, _: &str) -> Option<&str> {
                Some("*")
            }
        }
        let t = Template::parse("${aws:username}", true).unwrap();
        let g = t.resolve_glob(&Star).unwrap();
        assert!(pattern::matches(&g, "*"));
        assert!(!pattern::matches(&g, "bob"));
    }

    #[test]
    fn version_2008_keeps_text_literal() {
        let t = Template::parse("home/${aws:username}", false).unwrap();
        assert!(!t.has_variables());
        assert_eq!(t.resolve_literal(&vars()).unwrap(), "home/${aws:username}");
    }

    #[test]
    fn malformed_variables_are_errors() {
        assert!(Template::parse("${aws:username", true).is_err());
        assert!(Template::parse("${}", true).is_err());
        assert!(Template::parse("${nocolon}", true).is_err());
        assert!(Template::parse("${aws:x, unquoted}", true).is_err());
        assert!(Template::parse("${aws:user name}", true).is_err());
    }

    #[test]
    fn plain_text_round_trips() {
        let t = Template::parse("", true).unwrap();
        assert_eq!(t.resolve_literal(&vars()).unwrap(), "");
        assert_eq!(Template::parse("a*b", true).unwrap().display_glob(), "a*b");
    }
}
