//! The policy document: a strict parser from JSON into a typed, normalised model, and the
//! printer back to JSON.

use crate::iam::error::Malformed;
use serde_json::{Map, Value, json};

use super::arn;
use super::condition::{self, Condition};
use super::error::{Pointer, PolicyError, excerpt, has_placeholder};
use super::keys;
use super::pattern::{self, Tok};
use super::principal::{self, Principals};
use super::strict_json;
use super::template::Template;

/// What a policy is attached to; it decides the kind-specific rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    BucketPolicy,
    EndpointPolicy,
    /// Any other resource-based policy (queues, topics, keys, RCPs...): a principal is required.
    ResourcePolicy,
    /// Attached to an identity: there is no Principal element.
    IdentityPolicy,
}

impl PolicyKind {
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::BucketPolicy => "bucket policy",
            PolicyKind::EndpointPolicy => "VPC endpoint policy",
            PolicyKind::ResourcePolicy => "resource policy",
            PolicyKind::IdentityPolicy => "identity policy",
        }
    }

    fn requires_principal(self) -> bool {
        self != PolicyKind::IdentityPolicy
    }

    /// AWS's documented size limits: 20,480 characters for endpoint policies (PrivateLink
    /// guide), 20 KB for bucket policies (S3 user guide).
    pub fn max_chars(self) -> Option<usize> {
        match self {
            PolicyKind::EndpointPolicy | PolicyKind::BucketPolicy => Some(20_480),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// No Version element: the 2008 rules apply (policy variables are literal text).
    Absent,
    V2008,
    V2012,
}

impl Version {
    pub fn variables(self) -> bool {
        self == Version::V2012
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The Principal or NotPrincipal element of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalClause {
    Principal(Principals),
    NotPrincipal(Principals),
}

/// One action pattern: `*` or `service:Name` with wildcards, lower-cased (actions are
/// case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    pub written: String,
    pub pattern: Vec<Tok>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionClause {
    /// NotAction.
    pub negated: bool,
    pub patterns: Vec<ActionPattern>,
    pub written_as_list: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceClause {
    /// NotResource.
    pub negated: bool,
    pub patterns: Vec<Template>,
    pub written_as_list: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub index: usize,
    /// `/Statement/3`, or `/Statement` when Statement is a single object.
    pub pointer: Pointer,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalClause>,
    pub action: ActionClause,
    pub resource: Option<ResourceClause>,
    pub conditions: Vec<Condition>,
    /// Whether a Condition element was written (even empty), for printing back.
    pub has_condition_element: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub kind: PolicyKind,
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    pub statement_is_list: bool,
}

const TOP_LEVEL: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Policy {
    /// Parses policy text strictly: duplicate members anywhere are an error.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        check_size(text.chars().count(), kind)?;
        let value = strict_json::parse(text)?;
        Policy::from_value_unchecked(&value, kind)
    }

    /// Parses an already-decoded document (duplicate members, if the source had any, are gone
    /// by now: prefer [`Policy::parse`] on the original text). The size limit is checked on the
    /// compact serialisation.
    pub fn from_value(value: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
        if kind.max_chars().is_some() {
            check_size(value.to_string().chars().count(), kind)?;
        }
        Policy::from_value_unchecked(value, kind)
    }

    fn from_value_unchecked(value: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let root = Pointer::root();
        let Value::Object(doc) = value else {
            return Err(
                PolicyError::new(&root, "a policy document must be a JSON object")
                    .expected("{\"Version\": \"2012-10-17\", \"Statement\": [...]}"),
            );
        };
        reject_unknown(doc, TOP_LEVEL, &root, "policy")?;
        let version = match doc.get("Version") {
            None => Version::Absent,
            Some(Value::String(v)) if v == "2012-10-17" => Version::V2012,
            Some(Value::String(v)) if v == "2008-10-17" => Version::V2008,
            Some(other) => {
                return Err(PolicyError::new(
                    &root.child("Version"),
                    format!("unknown version {}", show(other)),
                )
                .expected("\"2012-10-17\" or \"2008-10-17\""));
            }
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(PolicyError::new(&root.child("Id"), "Id must be a string"));
            }
        };
        let statements_at = root.child("Statement");
        let (raw_statements, statement_is_list): (Vec<(&Value, Pointer)>, bool) =
            match doc.get("Statement") {
                None => {
                    return Err(PolicyError::new(&root, "the policy has no Statement")
                        .expected("a Statement object or list"));
                }
                Some(Value::Array(items)) if items.is_empty() => {
                    return Err(
                        PolicyError::new(&statements_at, "the Statement list is empty")
                            .expected("at least one statement"),
                    );
                }
                Some(Value::Array(items)) => (
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s, statements_at.child(i)))
                        .collect(),
                    true,
                ),
                Some(single @ Value::Object(_)) => (vec![(single, statements_at.clone())], false),
                Some(_) => {
                    return Err(PolicyError::new(
                        &statements_at,
                        "Statement must be an object or a list of objects",
                    ));
                }
            };
        let statements = raw_statements
            .into_iter()
            .enumerate()
            .map(|(index, (v, at))| parse_statement(v, index, at, kind, version))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            kind,
            version,
            id,
            statements,
            statement_is_list,
        })
    }

    /// Prints the policy back as JSON. Values come out as written (numbers and booleans in
    /// conditions as strings), so parsing the output gives a policy that decides the same.
    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        match self.version {
            Version::Absent => {}
            Version::V2008 => {
                doc.insert("Version".into(), json!("2008-10-17"));
            }
            Version::V2012 => {
                doc.insert("Version".into(), json!("2012-10-17"));
            }
        }
        if let Some(id) = &self.id {
            doc.insert("Id".into(), json!(id));
        }
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_json).collect();
        let statements = match (self.statement_is_list, statements.len()) {
            (false, 1) => statements.into_iter().next().unwrap_or(Value::Null),
            _ => Value::Array(statements),
        };
        doc.insert("Statement".into(), statements);
        Value::Object(doc)
    }
}

fn check_size(chars: usize, kind: PolicyKind) -> Result<(), PolicyError> {
    match kind.max_chars() {
        Some(max) if chars > max => Err(PolicyError::new(
            &Pointer::root(),
            format!("the {} is {chars} characters long", kind.name()),
        )
        .expected(format!("at most {max} characters, white space included"))),
        _ => Ok(()),
    }
}

/// A bounded rendering of a JSON value for messages: strings quoted, the rest as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => excerpt(s),
        other => {
            let text = other.to_string();
            let cut: String = text.chars().take(80).collect();
            if cut.len() < text.len() {
                format!("{cut}…")
            } else {
                cut
            }
        }
    }
}

fn reject_unknown(
    map: &Map<String, Value>,
    known: &[&str],
    at: &Pointer,
    what: &str,
) -> Result<(), PolicyError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => {
            let hint = known
                .iter()
                .find(|n| n.eq_ignore_ascii_case(k))
                .map(|n| format!(" (element names are case-sensitive: did you mean {n}?)"))
                .unwrap_or_default();
            Err(
                PolicyError::new(at, format!("unknown {what} element {}{hint}", excerpt(k)))
                    .expected(format!("only {}", known.join(", "))),
            )
        }
    }
}

fn parse_statement(
    value: &Value,
    index: usize,
    at: Pointer,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Value::Object(st) = value else {
        return Err(PolicyError::new(&at, "a statement must be an object"));
    };
    reject_unknown(st, STATEMENT_ELEMENTS, &at, "statement")?;
    let sid = match st.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(PolicyError::new(&at.child("Sid"), "Sid must be a string")),
    };
    let effect = match st.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(
                PolicyError::new(&at.child("Effect"), format!("found {}", show(other)))
                    .expected("exactly \"Allow\" or \"Deny\""),
            );
        }
        None => {
            return Err(PolicyError::new(&at, "the statement has no Effect")
                .expected("\"Effect\": \"Allow\" or \"Deny\""));
        }
    };
    let principal = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(
                PolicyError::new(&at, "the statement has both Principal and NotPrincipal")
                    .expected("one of them"),
            );
        }
        (Some(p), None) => Some(PrincipalClause::Principal(Principals::parse(
            p,
            &at.child("Principal"),
        )?)),
        (None, Some(p)) => Some(PrincipalClause::NotPrincipal(Principals::parse(
            p,
            &at.child("NotPrincipal"),
        )?)),
        (None, None) => None,
    };
    match (&principal, kind.requires_principal()) {
        (None, true) => {
            return Err(PolicyError::new(
                &at,
                format!("the statement has no Principal, which a {} requires", kind.name()),
            )
            .expected("\"Principal\" or \"NotPrincipal\" (a policy without one is an identity policy or an SCP, not a resource policy)"));
        }
        (Some(_), false) => {
            return Err(PolicyError::new(
                &at,
                "an identity policy cannot name a Principal: it applies to the identity it is attached to",
            ));
        }
        _ => {}
    }
    let action = parse_actions(st, &at)?;
    let resource = parse_resources(st, &at, version)?;
    if resource.is_none() {
        return Err(
            PolicyError::new(&at, "the statement has neither Resource nor NotResource")
                .expected("\"Resource\" or \"NotResource\""),
        );
    }
    let (conditions, has_condition_element) = match st.get("Condition") {
        None => (Vec::new(), false),
        Some(c) => (
            condition::parse_block(c, &at.child("Condition"), version.variables())?,
            true,
        ),
    };
    Ok(Statement {
        index,
        pointer: at,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
        has_condition_element,
    })
}

fn pick<'v>(
    st: &'v Map<String, Value>,
    at: &Pointer,
    positive: &str,
    negative: &str,
) -> Result<Option<(bool, &'v Value, Pointer)>, PolicyError> {
    match (st.get(positive), st.get(negative)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            at,
            format!("the statement has both {positive} and {negative}"),
        )
        .expected("one of them")),
        (Some(v), None) => Ok(Some((false, v, at.child(positive)))),
        (None, Some(v)) => Ok(Some((true, v, at.child(negative)))),
        (None, None) => Ok(None),
    }
}

fn parse_actions(st: &Map<String, Value>, at: &Pointer) -> Result<ActionClause, PolicyError> {
    let Some((negated, value, here)) = pick(st, at, "Action", "NotAction")? else {
        return Err(
            PolicyError::new(at, "the statement has neither Action nor NotAction")
                .expected("\"Action\" or \"NotAction\""),
        );
    };
    let items = principal::string_or_list(value, &here)?;
    let written_as_list = matches!(value, Value::Array(_));
    let patterns = items
        .into_iter()
        .map(|(i, text)| {
            let item_at = i.map_or_else(|| here.clone(), |i| here.child(i));
            parse_action(text).map_err(|e| PolicyError::new(&item_at, e))
        })
        .collect::<Result<_, _>>()?;
    Ok(ActionClause {
        negated,
        patterns,
        written_as_list,
    })
}

/// `service:Name`: a service prefix (letters, digits, `-`) and a name of letters and digits, plus
/// `*` / `?` when `wildcards`.
fn action_syntax(text: &str, wildcards: bool) -> bool {
    text.split_once(':').is_some_and(|(svc, name)| {
        !svc.is_empty()
            && !name.is_empty()
            && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || (wildcards && (b == b'*' || b == b'?')))
    })
}

/// An action a request can make: `service:Name` without wildcards.
pub fn is_concrete_action(text: &str) -> bool {
    action_syntax(text, false)
}

/// `*`, or `prefix:Name` where the prefix is a service prefix and the name may use `*` / `?`.
pub fn parse_action(text: &str) -> Result<ActionPattern, Malformed> {
    let valid = text == "*" || action_syntax(text, true);
    if !valid {
        return Err(Malformed::from(format!(
            "{} is not an action (expected \"*\" or service:ActionName, e.g. s3:GetObject or s3:Get*)",
            excerpt(text)
        )));
    }
    Ok(ActionPattern {
        written: text.to_owned(),
        pattern: pattern::glob(&text.to_ascii_lowercase()),
    })
}

fn parse_resources(
    st: &Map<String, Value>,
    at: &Pointer,
    version: Version,
) -> Result<Option<ResourceClause>, PolicyError> {
    let Some((negated, value, here)) = pick(st, at, "Resource", "NotResource")? else {
        return Ok(None);
    };
    let items = principal::string_or_list(value, &here)?;
    let written_as_list = matches!(value, Value::Array(_));
    let patterns = items
        .into_iter()
        .map(|(i, text)| {
            let item_at = i.map_or_else(|| here.clone(), |i| here.child(i));
            parse_resource(text, version).map_err(|e| PolicyError::new(&item_at, e))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(ResourceClause {
        negated,
        patterns,
        written_as_list,
    }))
}

fn parse_resource(text: &str, version: Version) -> Result<Template, Malformed> {
    if has_placeholder(text) {
        return Err(Malformed::from(format!(
            "{} looks like an unfilled template placeholder, not a resource ARN",
            excerpt(text)
        )));
    }
    let template = Template::parse(text, version.variables())?;
    if pattern::is_match_all(&pattern::glob(text)) {
        return Ok(template);
    }
    if arn::pattern_components(text) < 6 || !text.starts_with("arn:") {
        return Err(Malformed::from(format!(
            "{} is not \"*\" or an ARN (arn:partition:service:region:account:resource)",
            excerpt(text)
        )));
    }
    for var in template.variables() {
        match keys::validate(var) {
            Err(e) => return Err(Malformed::from(format!("policy variable ${{{var}}}: {e}"))),
            Ok(Some(g)) if g.multivalued => {
                return Err(Malformed::from(format!(
                    "policy variable ${{{}}} names a multivalued key; only single-valued keys can be variables",
                    g.name
                )));
            }
            Ok(_) => {}
        }
    }
    Ok(template)
}

impl Statement {
    /// A short name for messages: the Sid when there is one, otherwise the position.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("{s:?} ({})", self.pointer),
            _ => format!("#{} ({})", self.index, self.pointer),
        }
    }

    fn to_json(&self) -> Value {
        let mut st = Map::new();
        if let Some(sid) = &self.sid {
            st.insert("Sid".into(), json!(sid));
        }
        st.insert(
            "Effect".into(),
            json!(match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            }),
        );
        match &self.principal {
            Some(PrincipalClause::Principal(p)) => {
                st.insert("Principal".into(), principals_json(p));
            }
            Some(PrincipalClause::NotPrincipal(p)) => {
                st.insert("NotPrincipal".into(), principals_json(p));
            }
            None => {}
        }
        let actions: Vec<&str> = self
            .action
            .patterns
            .iter()
            .map(|a| a.written.as_str())
            .collect();
        st.insert(
            if self.action.negated {
                "NotAction"
            } else {
                "Action"
            }
            .into(),
            list_or_one(&actions, self.action.written_as_list),
        );
        if let Some(r) = &self.resource {
            let resources: Vec<&str> = r.patterns.iter().map(Template::raw).collect();
            st.insert(
                if r.negated { "NotResource" } else { "Resource" }.into(),
                list_or_one(&resources, r.written_as_list),
            );
        }
        if self.has_condition_element {
            let mut block = Map::new();
            for c in &self.conditions {
                let values: Vec<&str> = c.written_values.iter().map(String::as_str).collect();
                let entry = block
                    .entry(c.operator.name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(
                        c.key_written.clone(),
                        list_or_one(&values, c.written_as_list),
                    );
                }
            }
            st.insert("Condition".into(), Value::Object(block));
        }
        Value::Object(st)
    }
}

fn list_or_one(items: &[&str], as_list: bool) -> Value {
    match (as_list, items) {
        (false, [one]) => json!(one),
        _ => json!(items),
    }
}

fn principals_json(p: &Principals) -> Value {
    if p.bare_star {
        return json!("*");
    }
    let mut map = Map::new();
    for (family, written, _) in &p.entries {
        let entry = map
            .entry(family.key().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(json!(written));
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests;
