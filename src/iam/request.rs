//! The request an authorization decision is made for: who, what, on which resource, and the
//! rest of the request context.
//!
//! Keys that AWS derives from the caller or the resource (`aws:PrincipalOrgID`,
//! `aws:ResourceAccount`, ...) are computed from those fields, never taken from the free-form
//! context, so a request can not be internally inconsistent (an anonymous caller with an
//! organisation id, say).

use crate::iam::error::Malformed;
use std::collections::BTreeMap;

use super::arn;

/// An AWS Organizations membership: the organisation id and the caller's OU paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Org {
    pub id: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamKind {
    /// The account's root user.
    Root,
    User,
    /// A session of a role; `IamIdentity::arn` is the role's ARN.
    RoleSession,
    FederatedUser,
}

/// A caller with IAM credentials of an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IamIdentity {
    pub kind: IamKind,
    pub partition: String,
    pub account: String,
    /// `aws:PrincipalArn`: the root, user, role or federated-user ARN.
    pub arn: String,
    /// For role sessions: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub session_arn: Option<String>,
    pub org: Option<Org>,
    /// Principal tags, keyed by lower-cased tag key (tag keys compare case-insensitively).
    pub tags: BTreeMap<String, String>,
    /// The account's S3 canonical user id, when known.
    pub canonical_user: Option<String>,
}

impl IamIdentity {
    /// The user name, for IAM users (`aws:username`).
    pub fn username(&self) -> Option<&str> {
        match self.kind {
            IamKind::User => self.arn.rsplit('/').next(),
            _ => None,
        }
    }
}

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An unsigned request.
    Anonymous,
    Iam(IamIdentity),
    /// An AWS service principal such as `cloudtrail.amazonaws.com`, calling on its own.
    Service {
        name: String,
    },
    /// A session from a web-identity or SAML provider named in a `Federated` principal.
    Federated {
        provider: String,
    },
    /// A legacy CloudFront origin access identity.
    CloudFrontOai {
        id: String,
    },
}

impl Caller {
    pub fn org(&self) -> Option<&Org> {
        match self {
            Caller::Iam(i) => i.org.as_ref(),
            _ => None,
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::Iam(i) => Some(&i.account),
            _ => None,
        }
    }
}

/// The resource a request acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub arn: String,
    /// `aws:ResourceAccount`; `None` when the request context would not carry it.
    pub account: Option<String>,
    pub org: Option<Org>,
    /// Resource tags, keyed by lower-cased tag key.
    pub tags: BTreeMap<String, String>,
}

/// The value of one context key: single-valued, or a set for multivalued keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    One(String),
    Many(Vec<String>),
}

/// A borrowed view of a key's values in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many): (Option<&'a str>, &'a [String]) = match self {
            Values::One(v) => (Some(v), &[]),
            Values::Many(vs) => (None, vs),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

/// A complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub caller: Caller,
    /// `service:Action` as the caller wrote it; matched case-insensitively.
    pub action: String,
    pub resource: Resource,
    /// Every other context key, keyed by lower-cased name. Empty sets are not stored: a key with
    /// no values is absent.
    pub context: BTreeMap<String, ContextValue>,
}

/// Keys computed from the caller and the resource. The context may not set them.
pub const DERIVED_KEYS: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principaltag/",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principaltype",
    "aws:username",
    "aws:federatedprovider",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:resourcetag/",
    "s3:resourceaccount",
    "s3express:resourceaccount",
];

/// Whether a (lower-cased) key is derived from the caller or resource rather than the context.
pub fn is_derived(key_lower: &str) -> bool {
    DERIVED_KEYS.iter().any(|d| {
        if d.ends_with('/') {
            key_lower.starts_with(d)
        } else {
            key_lower == *d
        }
    })
}

impl Request {
    /// The values of a context key (name lower-cased), or `None` when it is absent.
    pub fn lookup(&self, key: &str) -> Option<Values<'_>> {
        if is_derived(key) {
            return self.derived(key);
        }
        match self.context.get(key)? {
            ContextValue::One(v) => Some(Values::One(v)),
            ContextValue::Many(vs) if vs.is_empty() => None,
            ContextValue::Many(vs) => Some(Values::Many(vs)),
        }
    }

    fn derived(&self, key: &str) -> Option<Values<'_>> {
        let caller = &self.caller;
        if let Some(tag) = key.strip_prefix("aws:principaltag/") {
            return match caller {
                Caller::Iam(i) => i.tags.get(tag).map(|v| Values::One(v)),
                _ => None,
            };
        }
        if let Some(tag) = key.strip_prefix("aws:resourcetag/") {
            return self.resource.tags.get(tag).map(|v| Values::One(v));
        }
        let one = |s: &'static str| Some(Values::One(s));
        match key {
            "aws:principalarn" => match caller {
                Caller::Iam(i) => Some(Values::One(&i.arn)),
                _ => None,
            },
            "aws:principalaccount" => match caller {
                Caller::Anonymous => one("anonymous"),
                Caller::Iam(i) => Some(Values::One(&i.account)),
                _ => None,
            },
            "aws:principalorgid" => caller.org().map(|o| Values::One(&o.id)),
            "aws:principalorgpaths" => caller
                .org()
                .filter(|o| !o.paths.is_empty())
                .map(|o| Values::Many(&o.paths)),
            "aws:principalisawsservice" => match caller {
                Caller::Anonymous => None,
                Caller::Service { .. } => one("true"),
                _ => one("false"),
            },
            "aws:principalservicename" => match caller {
                Caller::Service { name } => Some(Values::One(name)),
                _ => None,
            },
            "aws:principalservicenameslist" => match caller {
                Caller::Service { name } => Some(Values::Many(std::slice::from_ref(name))),
                _ => None,
            },
            "aws:principaltype" => match caller {
                Caller::Anonymous => one("Anonymous"),
                Caller::Iam(i) => one(match i.kind {
                    IamKind::Root => "Account",
                    IamKind::User => "User",
                    IamKind::RoleSession => "AssumedRole",
                    IamKind::FederatedUser => "FederatedUser",
                }),
                _ => None,
            },
            "aws:username" => match caller {
                Caller::Iam(i) => i.username().map(Values::One),
                _ => None,
            },
            "aws:federatedprovider" => match caller {
                Caller::Federated { provider } => Some(Values::One(provider)),
                _ => None,
            },
            "aws:resourceaccount" => self.resource.account.as_deref().map(Values::One),
            // The owner of the bucket an S3 request acts on (Amazon S3 User Guide, "Condition
            // keys for Amazon S3": s3:ResourceAccount); no other service's request has it.
            "s3:resourceaccount" => self
                .action
                .split_once(':')
                .filter(|(svc, _)| svc.eq_ignore_ascii_case("s3"))
                .and(self.resource.account.as_deref())
                .map(Values::One),
            // The directory bucket's owner, for S3 Express requests (Service Authorization
            // Reference, Amazon S3 Express: s3express:ResourceAccount).
            "s3express:resourceaccount" => self
                .action
                .split_once(':')
                .filter(|(svc, _)| svc.eq_ignore_ascii_case("s3express"))
                .and(self.resource.account.as_deref())
                .map(Values::One),
            "aws:resourceorgid" => self.resource.org.as_ref().map(|o| Values::One(&o.id)),
            "aws:resourceorgpaths" => self
                .resource
                .org
                .as_ref()
                .filter(|o| !o.paths.is_empty())
                .map(|o| Values::Many(&o.paths)),
            _ => None,
        }
    }
}

impl super::template::Lookup for Request {
    /// Only single-valued keys can be policy variables; a set never substitutes.
    fn variable(&self, key_lower: &str) -> Option<&str> {
        match self.lookup(key_lower)? {
            Values::One(v) => Some(v),
            Values::Many(_) => None,
        }
    }
}

/// The identity of kind `kind` named `name` (no path; the root user has none) of a valid account
/// in the `aws` partition, a role as its session named `session`: what [`iam_identity`] builds
/// from that ARN, without writing the ARN out and reading it back (the reasoner makes a few for
/// every account it tries).
pub fn account_identity(account: &str, kind: IamKind, name: &str) -> IamIdentity {
    let (arn, session_arn) = match kind {
        IamKind::Root => (format!("arn:aws:iam::{account}:root"), None),
        IamKind::User => (format!("arn:aws:iam::{account}:user/{name}"), None),
        IamKind::RoleSession => (
            format!("arn:aws:iam::{account}:role/{name}"),
            Some(format!(
                "arn:aws:sts::{account}:assumed-role/{name}/session"
            )),
        ),
        IamKind::FederatedUser => (
            format!("arn:aws:sts::{account}:federated-user/{name}"),
            None,
        ),
    };
    IamIdentity {
        kind,
        partition: "aws".to_owned(),
        account: account.to_owned(),
        arn,
        session_arn,
        org: None,
        tags: BTreeMap::new(),
        canonical_user: None,
    }
}

/// Builds an IAM identity from the ARN a caller is known by, inferring the kind from it.
///
/// Accepts `arn:<p>:iam::<acct>:root`, `...:user/<path/name>`, `...:role/<path/name>` (a session
/// of that role, named `session`), and `arn:<p>:sts::<acct>:federated-user/<name>`.
pub fn iam_identity(principal_arn: &str, session: Option<&str>) -> Result<IamIdentity, Malformed> {
    let parts = arn::split(principal_arn).ok_or_else(|| {
        "not an ARN (expected arn:aws:iam::<account>:root, :user/<name>, :role/<name> or arn:aws:sts::<account>:federated-user/<name>)".to_owned()
    })?;
    let [_, partition, service, region, account, resource] = parts;
    if !region.is_empty() {
        return Err(Malformed::from(
            "IAM and STS principal ARNs have an empty region".to_owned(),
        ));
    }
    if !arn::is_account_id(account) {
        return Err(Malformed::from(format!(
            "account {account:?} is not a 12-digit account id"
        )));
    }
    if principal_arn.contains(['*', '?']) {
        return Err(Malformed::from(
            "a request's principal is one identity and cannot contain wildcards".to_owned(),
        ));
    }
    let (kind, session_arn) = match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => (IamKind::Root, None),
        ("iam", Some(("user", name))) if !name.is_empty() => (IamKind::User, None),
        ("iam", Some(("role", name))) if !name.is_empty() => {
            let role_name = name.rsplit('/').next().unwrap_or(name);
            let session = session.unwrap_or("session");
            let session_arn =
                format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}");
            (IamKind::RoleSession, Some(session_arn))
        }
        ("sts", Some(("federated-user", name))) if !name.is_empty() => {
            (IamKind::FederatedUser, None)
        }
        _ => {
            return Err(Malformed::from("expected arn:aws:iam::<account>:root, :user/<name>, :role/<name> or arn:aws:sts::<account>:federated-user/<name>".to_owned()));
        }
    };
    if session.is_some() && kind != IamKind::RoleSession {
        return Err(Malformed::from("only a role has sessions".to_owned()));
    }
    Ok(IamIdentity {
        kind,
        partition: partition.to_owned(),
        account: account.to_owned(),
        arn: principal_arn.to_owned(),
        session_arn,
        org: None,
        tags: BTreeMap::new(),
        canonical_user: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_identity_is_the_identity_its_arn_names() {
        for (kind, name, arn) in [
            (IamKind::Root, "", "arn:aws:iam::111122223333:root"),
            (
                IamKind::User,
                "alice",
                "arn:aws:iam::111122223333:user/alice",
            ),
            (
                IamKind::RoleSession,
                "ops",
                "arn:aws:iam::111122223333:role/ops",
            ),
            (
                IamKind::FederatedUser,
                "bob",
                "arn:aws:sts::111122223333:federated-user/bob",
            ),
        ] {
            let parsed = iam_identity(arn, None).expect("a valid ARN");
            assert_eq!(
                account_identity("111122223333", kind, name),
                parsed,
                "{arn}"
            );
        }
    }

    fn request(caller: Caller) -> Request {
        Request {
            caller,
            action: "s3:GetObject".into(),
            resource: Resource {
                arn: "arn:aws:s3:::b/k".into(),
                account: Some("111122223333".into()),
                org: None,
                tags: BTreeMap::new(),
            },
            context: BTreeMap::new(),
        }
    }

    #[test]
    fn anonymous_callers_have_account_anonymous_and_no_org() {
        let r = request(Caller::Anonymous);
        assert_eq!(
            r.lookup("aws:principalaccount"),
            Some(Values::One("anonymous"))
        );
        assert_eq!(r.lookup("aws:principalorgid"), None);
        assert_eq!(r.lookup("aws:principalarn"), None);
        assert_eq!(r.lookup("aws:principalisawsservice"), None);
        assert_eq!(
            r.lookup("aws:principaltype"),
            Some(Values::One("Anonymous"))
        );
    }

    #[test]
    fn role_session_exposes_role_arn_and_org() {
        let mut id =
            iam_identity("arn:aws:iam::111122223333:role/team/Admin", Some("alice")).unwrap();
        id.org = Some(Org {
            id: "o-abc123def4".into(),
            paths: vec!["o-abc123def4/r-ab12/".into()],
        });
        id.tags.insert("team".into(), "red".into());
        assert_eq!(
            id.session_arn.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/Admin/alice")
        );
        let r = request(Caller::Iam(id));
        assert_eq!(
            r.lookup("aws:principalarn"),
            Some(Values::One("arn:aws:iam::111122223333:role/team/Admin"))
        );
        assert_eq!(
            r.lookup("aws:principalorgid"),
            Some(Values::One("o-abc123def4"))
        );
        assert_eq!(r.lookup("aws:principaltag/team"), Some(Values::One("red")));
        assert_eq!(
            r.lookup("aws:principalisawsservice"),
            Some(Values::One("false"))
        );
        assert_eq!(
            r.lookup("aws:principaltype"),
            Some(Values::One("AssumedRole"))
        );
        assert_eq!(r.lookup("aws:username"), None);
        assert!(matches!(r.lookup("aws:principalorgpaths"), Some(Values::Many(p)) if p.len() == 1));
    }

    #[test]
    fn service_principals_are_aws_services() {
        let r = request(Caller::Service {
            name: "cloudtrail.amazonaws.com".into(),
        });
        assert_eq!(
            r.lookup("aws:principalisawsservice"),
            Some(Values::One("true"))
        );
        assert_eq!(
            r.lookup("aws:principalservicename"),
            Some(Values::One("cloudtrail.amazonaws.com"))
        );
        assert_eq!(r.lookup("aws:principalaccount"), None);
    }

    #[test]
    fn empty_sets_are_absent_and_context_is_used_for_other_keys() {
        let mut r = request(Caller::Anonymous);
        r.context
            .insert("aws:tagkeys".into(), ContextValue::Many(vec![]));
        r.context.insert(
            "aws:sourcevpce".into(),
            ContextValue::One("vpce-1a2b3c4d".into()),
        );
        assert_eq!(r.lookup("aws:tagkeys"), None);
        assert_eq!(
            r.lookup("aws:sourcevpce"),
            Some(Values::One("vpce-1a2b3c4d"))
        );
        assert_eq!(
            r.lookup("aws:resourceaccount"),
            Some(Values::One("111122223333"))
        );
    }

    #[test]
    fn identity_kinds_from_arns() {
        assert_eq!(
            iam_identity("arn:aws:iam::111122223333:root", None)
                .unwrap()
                .kind,
            IamKind::Root
        );
        let u = iam_identity("arn:aws:iam::111122223333:user/ops/bob", None).unwrap();
        assert_eq!(u.kind, IamKind::User);
        assert_eq!(u.username(), Some("bob"));
        assert_eq!(
            iam_identity("arn:aws:sts::111122223333:federated-user/carol", None)
                .unwrap()
                .kind,
            IamKind::FederatedUser
        );
        assert!(iam_identity("arn:aws:iam::1111:root", None).is_err());
        assert!(iam_identity("arn:aws:iam::111122223333:role/*", None).is_err());
        assert!(iam_identity("arn:aws:s3:::bucket", None).is_err());
        assert!(iam_identity("arn:aws:iam::111122223333:user/bob", Some("s")).is_err());
    }
}
