//! The one error type of the policy language: where, what, and what was expected.

use std::fmt;

/// A JSON pointer (RFC 6901) into a policy document, built up segment by segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Pointer(String);

impl Pointer {
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// The pointer one level deeper, escaping `~` and `/` as RFC 6901 requires.
    pub fn child(&self, segment: impl fmt::Display) -> Self {
        /// Writes what it is given with `~` and `/` escaped: one string for the whole pointer,
        /// where formatting then replacing made four per segment of every policy element.
        struct Escaping<'a>(&'a mut String);
        impl fmt::Write for Escaping<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for c in s.chars() {
                    match c {
                        '~' => self.0.push_str("~0"),
                        '/' => self.0.push_str("~1"),
                        c => self.0.push(c),
                    }
                }
                Ok(())
            }
        }
        let mut out = String::with_capacity(self.0.len() + 24);
        out.push_str(&self.0);
        out.push('/');
        // Writing to a String cannot fail.
        let _ = fmt::Write::write_fmt(&mut Escaping(&mut out), format_args!("{segment}"));
        Pointer(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(document root)")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// Why a policy document was rejected. The engine fails closed on every one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {pointer}: {problem}{}", expected.as_ref().map(|e| format!("; expected {e}")).unwrap_or_default())]
pub struct PolicyError {
    /// Where in the document the problem is.
    pub pointer: Pointer,
    /// What is wrong, quoting a bounded excerpt of the offending text.
    pub problem: String,
    /// What the grammar expects there, when that is useful to say.
    pub expected: Option<String>,
}

impl PolicyError {
    pub fn new(pointer: &Pointer, problem: impl Into<String>) -> Self {
        PolicyError {
            pointer: pointer.clone(),
            problem: problem.into(),
            expected: None,
        }
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }
}

/// Quotes tenant-supplied text for an error message, cut to a bounded length so that a hostile
/// document can never make a message (or a log line) arbitrarily large.
pub fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Whether text carries an unfilled template placeholder such as `<my-account-id>`, the form
/// AWS's examples use. Such a policy was copied, not written, and is rejected rather than read
/// literally.
pub fn has_placeholder(text: &str) -> bool {
    text.split('<').skip(1).any(|rest| {
        rest.split_once('>').is_some_and(|(inner, _)| {
            !inner.is_empty()
                && !inner.starts_with(' ')
                && !inner.ends_with(' ')
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '[' | ']' | '.'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_slash_and_tilde() {
        let p = Pointer::root()
            .child("Condition")
            .child("aws:PrincipalTag/a~b");
        assert_eq!(p.as_str(), "/Condition/aws:PrincipalTag~1a~0b");
    }

    #[test]
    fn root_pointer_is_named() {
        assert_eq!(Pointer::root().to_string(), "(document root)");
    }

    #[test]
    fn error_renders_expected() {
        let e = PolicyError::new(&Pointer::root().child("Effect"), "found \"allow\"")
            .expected("exactly \"Allow\" or \"Deny\"");
        assert_eq!(
            e.to_string(),
            "at /Effect: found \"allow\"; expected exactly \"Allow\" or \"Deny\""
        );
    }

    #[test]
    fn placeholders() {
        assert!(has_placeholder("arn:aws:iam::<my-account-id>:root"));
        assert!(has_placeholder("<bucket name>"));
        assert!(has_placeholder("x<TRUSTED_LIST[0]>y"));
        assert!(!has_placeholder("a < b > c"));
        assert!(!has_placeholder("<>"));
        assert!(!has_placeholder("plain"));
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x".repeat(1000);
        let e = excerpt(&long);
        assert!(e.chars().count() < 90, "{e}");
        assert!(e.contains('…'));
    }
}

/// What is wrong with one piece of policy text (an operator, an action, a value, a principal
/// ARN), before it is placed at a JSON pointer as a [`PolicyError`]. The message quotes a bounded
/// excerpt of the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

impl From<String> for Malformed {
    fn from(message: String) -> Self {
        Malformed(message)
    }
}

impl From<&str> for Malformed {
    fn from(message: &str) -> Self {
        Malformed(message.to_owned())
    }
}

impl From<Malformed> for String {
    fn from(m: Malformed) -> Self {
        m.0
    }
}
