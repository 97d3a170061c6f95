//! Principal / NotPrincipal: parsing every written form into one normalised entry, and matching
//! entries against a request's caller.

use serde_json::Value;

use super::arn;
use super::error::{Pointer, PolicyError, excerpt, has_placeholder};
use super::request::{Caller, IamKind};

/// One principal named in a policy, normalised (`{"AWS":"111122223333"}` and
/// `arn:aws:iam::111122223333:root` are the same entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `"*"` or `{"AWS":"*"}`: everyone, anonymous callers included.
    Everyone,
    /// A whole account: every IAM identity in it.
    Account {
        /// `None` when written as a bare account id (any partition).
        partition: Option<String>,
        account: String,
    },
    /// One IAM user, role, role session or federated user.
    Iam {
        kind: IamEntryKind,
        account: String,
        arn: String,
    },
    Service(String),
    Federated(String),
    CanonicalUser(String),
    CloudFrontOai(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamEntryKind {
    User,
    Role,
    AssumedRole,
    FederatedUser,
}

/// Which map key a principal was written under, kept to print the policy back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKey {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKey {
    pub fn key(self) -> &'static str {
        match self {
            PrincipalKey::Aws => "AWS",
            PrincipalKey::Service => "Service",
            PrincipalKey::Federated => "Federated",
            PrincipalKey::CanonicalUser => "CanonicalUser",
        }
    }
}

/// A parsed Principal or NotPrincipal element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principals {
    /// Written as the bare string `"*"`.
    pub bare_star: bool,
    pub entries: Vec<(PrincipalKey, String, Entry)>,
}

const AWS_FORMS: &str = "\"*\", a 12-digit account id, arn:aws:iam::<account>:root, :user/<name>, :role/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session> or :federated-user/<name>";

impl Principals {
    pub fn parse(value: &Value, at: &Pointer) -> Result<Principals, PolicyError> {
        match value {
            Value::String(s) if s == "*" => Ok(Principals {
                bare_star: true,
                entries: vec![(PrincipalKey::Aws, "*".to_owned(), Entry::Everyone)],
            }),
            Value::Object(map) => {
                if map.is_empty() {
                    return Err(PolicyError::new(at, "the principal object is empty")
                        .expected("at least one of AWS, Service, Federated, CanonicalUser"));
                }
                let mut entries = Vec::new();
                for (key, v) in map {
                    let family = match key.as_str() {
                        "AWS" => PrincipalKey::Aws,
                        "Service" => PrincipalKey::Service,
                        "Federated" => PrincipalKey::Federated,
                        "CanonicalUser" => PrincipalKey::CanonicalUser,
                        other => {
                            return Err(PolicyError::new(
                                at,
                                format!("unknown principal type {}", excerpt(other)),
                            )
                            .expected("AWS, Service, Federated or CanonicalUser (case-sensitive)"));
                        }
                    };
                    let at = at.child(key);
                    for (i, text) in string_or_list(v, &at)? {
                        let here = match i {
                            Some(i) => at.child(i),
                            None => at.clone(),
                        };
                        let entry = parse_entry(family, text, &here)?;
                        entries.push((family, text.to_owned(), entry));
                    }
                }
                Ok(Principals {
                    bare_star: false,
                    entries,
                })
            }
            other => Err(PolicyError::new(
                at,
                format!("a principal must be \"*\" or an object, found {}", kind_of(other)),
            )
            .expected("\"*\" or {\"AWS\": ...} / {\"Service\": ...} / {\"Federated\": ...} / {\"CanonicalUser\": ...}")),
        }
    }

    /// Principal semantics: the caller is one of the named principals.
    pub fn covers(&self, caller: &Caller) -> bool {
        self.entries.iter().any(|(_, _, e)| e.covers(caller))
    }

    /// NotPrincipal semantics: AWS evaluates each identity the caller has (account, role,
    /// session, ...); the caller is excluded only when every one of them is listed. So a role
    /// session is excluded only if the account, the role and the session are all listed, which
    /// is why AWS tells you to list the account with NotPrincipal + Deny.
    pub fn excludes(&self, caller: &Caller) -> bool {
        identities(caller)
            .iter()
            .all(|id| self.entries.iter().any(|(_, _, e)| e.lists(id)))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string or a non-empty list of strings, with each item's index (`None` for a bare string).
pub fn string_or_list<'v>(
    v: &'v Value,
    at: &Pointer,
) -> Result<Vec<(Option<usize>, &'v str)>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![(None, s.as_str())]),
        Value::Array(items) if items.is_empty() => {
            Err(PolicyError::new(at, "the list is empty").expected("at least one value"))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok((Some(i), s.as_str())),
                other => Err(
                    PolicyError::new(&at.child(i), format!("found {}", kind_of(other)))
                        .expected("a string"),
                ),
            })
            .collect(),
        other => Err(PolicyError::new(at, format!("found {}", kind_of(other)))
            .expected("a string or a list of strings")),
    }
}

fn parse_entry(family: PrincipalKey, text: &str, at: &Pointer) -> Result<Entry, PolicyError> {
    let fail = |problem: String| Err(PolicyError::new(at, problem));
    if text.is_empty() {
        return fail("the principal is an empty string".to_owned());
    }
    if has_placeholder(text) {
        return fail(format!(
            "{} looks like an unfilled template placeholder, not a principal",
            excerpt(text)
        ));
    }
    if family == PrincipalKey::Aws && text == "*" {
        return Ok(Entry::Everyone);
    }
    if text.contains(['*', '?']) {
        return fail(format!(
            "{} uses a wildcard inside a principal; AWS allows \"*\" alone, never part of a principal name or ARN (use Principal \"*\" with a condition on aws:PrincipalArn instead)",
            excerpt(text)
        ));
    }
    match family {
        PrincipalKey::Aws => parse_aws(text, at),
        PrincipalKey::Service => {
            if text.contains(char::is_whitespace) || !text.contains('.') {
                return fail(format!(
                    "{} is not a service principal name (expected e.g. cloudtrail.amazonaws.com)",
                    excerpt(text)
                ));
            }
            Ok(Entry::Service(text.to_ascii_lowercase()))
        }
        PrincipalKey::Federated => Ok(Entry::Federated(text.to_owned())),
        PrincipalKey::CanonicalUser => {
            if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return fail(format!(
                    "{} is not an S3 canonical user id (hexadecimal)",
                    excerpt(text)
                ));
            }
            Ok(Entry::CanonicalUser(text.to_ascii_lowercase()))
        }
    }
}

fn parse_aws(text: &str, at: &Pointer) -> Result<Entry, PolicyError> {
    if arn::is_account_id(text) {
        return Ok(Entry::Account {
            partition: None,
            account: text.to_owned(),
        });
    }
    let invalid = |why: &str| {
        Err(PolicyError::new(
            at,
            format!("{} is not a valid AWS principal: {why}", excerpt(text)),
        )
        .expected(AWS_FORMS))
    };
    let Some([_, partition, service, region, account, resource]) = arn::split(text) else {
        if text.len() == 21
            && text.starts_with("A")
            && text.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return invalid(
                "it is an IAM unique id, which AWS writes when the named user or role was deleted; it matches nobody",
            );
        }
        return invalid("neither an account id nor an ARN");
    };
    if !region.is_empty() {
        return invalid("IAM principal ARNs have an empty region");
    }
    if service == "iam"
        && account == "cloudfront"
        && let Some(id) = resource.strip_prefix("user/CloudFront Origin Access Identity ")
        && !id.is_empty()
    {
        return Ok(Entry::CloudFrontOai(id.to_owned()));
    }
    if !arn::is_account_id(account) {
        return invalid("the account is not a 12-digit account id");
    }
    let kind = match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => {
            return Ok(Entry::Account {
                partition: Some(partition.to_owned()),
                account: account.to_owned(),
            });
        }
        ("iam", Some(("user", n))) if !n.is_empty() => IamEntryKind::User,
        ("iam", Some(("role", n))) if !n.is_empty() => IamEntryKind::Role,
        ("sts", Some(("assumed-role", rest)))
            if rest.split('/').count() == 2 && !rest.contains("//") && !rest.ends_with('/') =>
        {
            IamEntryKind::AssumedRole
        }
        ("sts", Some(("federated-user", n))) if !n.is_empty() => IamEntryKind::FederatedUser,
        _ => return invalid("not a root, user, role, assumed-role or federated-user ARN"),
    };
    Ok(Entry::Iam {
        kind,
        account: account.to_owned(),
        arn: text.to_owned(),
    })
}

/// One identity a caller is evaluated as (see [`Principals::excludes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity<'a> {
    Anonymous,
    Account(&'a str, &'a str),
    User(&'a str),
    Role(&'a str),
    Session(&'a str),
    FederatedUser(&'a str),
    Service(&'a str),
    Federated(&'a str),
    Oai(&'a str),
    Canonical(&'a str),
}

fn identities(caller: &Caller) -> Vec<Identity<'_>> {
    match caller {
        Caller::Anonymous => vec![Identity::Anonymous],
        Caller::Service { name } => vec![Identity::Service(name)],
        Caller::Federated { provider } => vec![Identity::Federated(provider)],
        Caller::CloudFrontOai { id } => vec![Identity::Oai(id)],
        Caller::Iam(i) => {
            let mut ids = vec![Identity::Account(&i.partition, &i.account)];
            match i.kind {
                IamKind::Root => {}
                IamKind::User => ids.push(Identity::User(&i.arn)),
                IamKind::RoleSession => {
                    ids.push(Identity::Role(&i.arn));
                    if let Some(s) = &i.session_arn {
                        ids.push(Identity::Session(s));
                    }
                }
                IamKind::FederatedUser => ids.push(Identity::FederatedUser(&i.arn)),
            }
            if let Some(c) = &i.canonical_user {
                ids.push(Identity::Canonical(c));
            }
            ids
        }
    }
}

impl Entry {
    /// Whether naming this entry in Principal lets `caller` in.
    pub fn covers(&self, caller: &Caller) -> bool {
        match (self, caller) {
            (Entry::Everyone, _) => true,
            (Entry::Account { partition, account }, Caller::Iam(i)) => {
                *account == i.account && partition.as_ref().is_none_or(|p| *p == i.partition)
            }
            (Entry::Iam { kind, arn, .. }, Caller::Iam(i)) => match (kind, i.kind) {
                (IamEntryKind::User, IamKind::User)
                | (IamEntryKind::Role, IamKind::RoleSession)
                | (IamEntryKind::FederatedUser, IamKind::FederatedUser) => *arn == i.arn,
                (IamEntryKind::AssumedRole, IamKind::RoleSession) => {
                    i.session_arn.as_deref() == Some(arn.as_str())
                }
                _ => false,
            },
            (Entry::CanonicalUser(id), Caller::Iam(i)) => {
                i.canonical_user.as_deref() == Some(id.as_str())
            }
            (Entry::Service(s), Caller::Service { name }) => s.eq_ignore_ascii_case(name),
            (Entry::Federated(p), Caller::Federated { provider }) => p == provider,
            (Entry::CloudFrontOai(a), Caller::CloudFrontOai { id }) => a == id,
            _ => false,
        }
    }

    /// Whether this entry, in NotPrincipal, lists one particular identity of a caller.
    fn lists(&self, id: &Identity<'_>) -> bool {
        match (self, id) {
            (Entry::Everyone, _) => true,
            (Entry::Account { partition, account }, Identity::Account(p, a)) => {
                account == a && partition.as_deref().is_none_or(|x| x == *p)
            }
            (Entry::Iam { kind, arn, .. }, id) => matches!(
                (kind, id),
                (IamEntryKind::User, Identity::User(a))
                | (IamEntryKind::Role, Identity::Role(a))
                | (IamEntryKind::AssumedRole, Identity::Session(a))
                | (IamEntryKind::FederatedUser, Identity::FederatedUser(a)) if a == arn
            ),
            (Entry::Service(s), Identity::Service(n)) => s.eq_ignore_ascii_case(n),
            (Entry::Federated(p), Identity::Federated(f)) => p == f,
            (Entry::CloudFrontOai(a), Identity::Oai(o)) => a == o,
            (Entry::CanonicalUser(c), Identity::Canonical(x)) => c == x,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::request::{Org, iam_identity};
    use serde_json::json;

    fn parse(v: Value) -> Result<Principals, PolicyError> {
        Principals::parse(&v, &Pointer::root().child("Principal"))
    }

    fn session(role: &str) -> Caller {
        Caller::Iam(iam_identity(role, Some("s")).unwrap())
    }

    #[test]
    fn star_forms_are_everyone_including_anonymous() {
        for v in [json!("*"), json!({"AWS": "*"}), json!({"AWS": ["*"]})] {
            let p = parse(v).unwrap();
            assert!(p.covers(&Caller::Anonymous));
            assert!(p.covers(&Caller::Service {
                name: "x.amazonaws.com".into()
            }));
        }
    }

    #[test]
    fn account_id_equals_root_arn_and_covers_the_whole_account() {
        let role = session("arn:aws:iam::111122223333:role/R");
        for v in [
            json!({"AWS": "111122223333"}),
            json!({"AWS": "arn:aws:iam::111122223333:root"}),
        ] {
            let p = parse(v).unwrap();
            assert!(p.covers(&role));
            assert!(!p.covers(&session("arn:aws:iam::444455556666:role/R")));
            assert!(!p.covers(&Caller::Anonymous));
        }
    }

    #[test]
    fn role_covers_its_sessions_and_session_only_itself() {
        let p = parse(json!({"AWS": "arn:aws:iam::111122223333:role/R"})).unwrap();
        assert!(p.covers(&session("arn:aws:iam::111122223333:role/R")));
        assert!(!p.covers(&session("arn:aws:iam::111122223333:role/Other")));
        let s = parse(json!({"AWS": "arn:aws:sts::111122223333:assumed-role/R/s"})).unwrap();
        assert!(s.covers(&session("arn:aws:iam::111122223333:role/R")));
        assert!(!s.covers(&Caller::Iam(
            iam_identity("arn:aws:iam::111122223333:role/R", Some("t")).unwrap()
        )));
    }

    #[test]
    fn not_principal_needs_every_identity_listed() {
        let caller = session("arn:aws:iam::111122223333:role/R");
        let role_only = parse(json!({"AWS": "arn:aws:iam::111122223333:role/R"})).unwrap();
        assert!(
            !role_only.excludes(&caller),
            "the account identity is not listed"
        );
        let all = parse(json!({"AWS": [
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:role/R",
            "arn:aws:sts::111122223333:assumed-role/R/s"
        ]}))
        .unwrap();
        assert!(all.excludes(&caller));
        assert!(!all.excludes(&Caller::Anonymous));
        let everyone = parse(json!("*")).unwrap();
        assert!(everyone.excludes(&Caller::Anonymous));
    }

    #[test]
    fn service_federated_canonical_and_oai() {
        let p = parse(json!({
            "Service": ["CloudTrail.amazonaws.com"],
            "Federated": "cognito-identity.amazonaws.com",
            "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            "AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
        }))
        .unwrap();
        assert!(p.covers(&Caller::Service {
            name: "cloudtrail.amazonaws.com".into()
        }));
        assert!(p.covers(&Caller::Federated {
            provider: "cognito-identity.amazonaws.com".into()
        }));
        assert!(p.covers(&Caller::CloudFrontOai {
            id: "E2QWRUHAPOMQZL".into()
        }));
        let mut i = iam_identity("arn:aws:iam::111122223333:root", None).unwrap();
        assert!(!p.covers(&Caller::Iam(i.clone())));
        i.canonical_user =
            Some("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be".into());
        i.org = Some(Org::default());
        assert!(p.covers(&Caller::Iam(i)));
    }

    #[test]
    fn invalid_forms_are_rejected_with_reasons() {
        let cases = [
            (json!({"AWS": "arn:aws:iam::*:root"}), "wildcard"),
            (
                json!({"AWS": "arn:aws:iam::111122223333:role/*"}),
                "wildcard",
            ),
            (
                json!({"AWS": "arn:aws:iam::<my-account-id>:root"}),
                "placeholder",
            ),
            (json!({"AWS": "1234"}), "neither an account id nor an ARN"),
            (json!({"AWS": "AROAEXAMPLEID12345678"}), "unique id"),
            (json!({"AWS": "arn:aws:s3:::bucket"}), "12-digit"),
            (
                json!({"AWS": "arn:aws:s3::111122223333:bucket"}),
                "not a root, user, role",
            ),
            (json!({"aws": "*"}), "unknown principal type"),
            (json!({}), "empty"),
            (json!({"AWS": []}), "empty"),
            (json!({"AWS": [1]}), "found a number"),
            (json!("arn:aws:iam::111122223333:root"), "found a string"),
            (json!({"Service": "*"}), "wildcard"),
            (json!({"CanonicalUser": "not hex"}), "canonical"),
        ];
        for (v, needle) in cases {
            let err = parse(v.clone()).unwrap_err();
            assert!(err.to_string().contains(needle), "{v}: {err}");
        }
    }

    #[test]
    fn error_pointer_names_the_list_item() {
        let err = parse(json!({"AWS": ["111122223333", "bad"]})).unwrap_err();
        assert_eq!(err.pointer.as_str(), "/Principal/AWS/1");
    }
}
