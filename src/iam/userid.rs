//! `aws:userid`: a function of the caller, never a free value.
//!
//! IAM User Guide, "Policy elements: variables and tags", table "Principal key values": the root
//! user's is the account id, an IAM user's its unique id (`AIDA…`), a role session's
//! `role-id:session-name` (`AROA…:…`, also for web-identity and SAML sessions), a federated
//! user's `account:name`, and an anonymous caller's `anonymous`. Unique ids are described under
//! "IAM identifiers", "Unique identifiers" (prefixes `AIDA`, `AROA`; IAM API Reference, `User`
//! and `Role`: UserId/RoleId, `[\w]+`, 16 to 128 characters).

use crate::iam::request::{Caller, IamIdentity, IamKind};

/// The unique id a witness gives an IAM user the policy names no id for.
pub const FRESH_USER_ID: &str = "AIDAFRESHUSER00000000";
/// The unique id a witness gives a role the policy names no id for.
pub const FRESH_ROLE_ID: &str = "AROAFRESHROLE00000000";

/// An IAM unique id with the given prefix (`AIDA` users, `AROA` roles): upper-case letters and
/// digits, 16 to 128 characters in all.
pub fn is_unique_id(text: &str, prefix: &str) -> bool {
    text.starts_with(prefix)
        && (16..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A role session name as STS accepts it (`AssumeRole`: RoleSessionName, `[\w+=,.@-]*`, 2 to 64
/// characters).
pub fn is_session_name(text: &str) -> bool {
    (2..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// The session name of a role session (the last component of its `assumed-role` ARN).
pub fn session_name(identity: &IamIdentity) -> Option<&str> {
    identity
        .session_arn
        .as_deref()
        .and_then(|s| s.rsplit('/').next())
}

/// The name of a federated user (`arn:aws:sts::<account>:federated-user/<name>`).
fn federated_name(identity: &IamIdentity) -> Option<&str> {
    identity.arn.split_once(":federated-user/").map(|(_, n)| n)
}

/// Whether `value` can be the `aws:userid` of a request from `caller`. Unique ids are not tied
/// to one ARN across requests (the policy cannot tell), so any well-formed id of the right kind
/// fits. AWS service principals and CloudFront origin access identities are not in AWS's table;
/// they are given their own name.
pub fn follows(caller: &Caller, value: &str) -> bool {
    match caller {
        Caller::Anonymous => value == "anonymous",
        Caller::Service { name } => value == name,
        Caller::CloudFrontOai { id } => value == id,
        Caller::Federated { .. } => role_session_form(value, None),
        Caller::Iam(i) => match i.kind {
            IamKind::Root => value == i.account,
            IamKind::User => is_unique_id(value, "AIDA"),
            IamKind::RoleSession => role_session_form(value, session_name(i)),
            IamKind::FederatedUser => {
                federated_name(i).is_some_and(|n| value == format!("{}:{n}", i.account))
            }
        },
    }
}

fn role_session_form(value: &str, session: Option<&str>) -> bool {
    value.split_once(':').is_some_and(|(id, s)| {
        is_unique_id(id, "AROA") && session.map_or(is_session_name(s), |want| s == want)
    })
}

/// The `aws:userid` a request from `caller` carries when nothing more is known: fresh unique ids
/// for users and roles.
pub fn canonical(caller: &Caller) -> String {
    match caller {
        Caller::Anonymous => "anonymous".to_owned(),
        Caller::Service { name } => name.clone(),
        Caller::CloudFrontOai { id } => id.clone(),
        Caller::Federated { .. } => format!("{FRESH_ROLE_ID}:web-identity-session"),
        Caller::Iam(i) => with_unique_id(i, None),
    }
}

/// The `aws:userid` of an IAM identity whose user or role has `unique_id` (a fresh one when
/// `None`).
pub fn with_unique_id(identity: &IamIdentity, unique_id: Option<&str>) -> String {
    match identity.kind {
        IamKind::Root => identity.account.clone(),
        IamKind::User => unique_id.unwrap_or(FRESH_USER_ID).to_owned(),
        IamKind::RoleSession => format!(
            "{}:{}",
            unique_id.unwrap_or(FRESH_ROLE_ID),
            session_name(identity).unwrap_or("session")
        ),
        IamKind::FederatedUser => format!(
            "{}:{}",
            identity.account,
            federated_name(identity).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::request::iam_identity;

    fn iam(arn: &str, session: Option<&str>) -> Caller {
        Caller::Iam(iam_identity(arn, session).unwrap())
    }

    #[test]
    fn each_caller_has_the_userid_of_aws_table() {
        let root = iam("arn:aws:iam::111122223333:root", None);
        assert!(follows(&root, "111122223333"));
        assert!(!follows(&root, "444455556666"));
        let user = iam("arn:aws:iam::111122223333:user/bob", None);
        assert!(follows(&user, "AIDAJQABLZS4A3QDU576Q"));
        assert!(!follows(&user, "AROAJQABLZS4A3QDU576Q"));
        assert!(!follows(&user, "111122223333"));
        let session = iam("arn:aws:iam::111122223333:role/Admin", Some("alice"));
        assert!(follows(&session, "AROAJQABLZS4A3QDU576Q:alice"));
        assert!(!follows(&session, "AROAJQABLZS4A3QDU576Q:bob"));
        assert!(!follows(&session, "AROAEXAMPLEID:alice"), "too short an id");
        let fed = iam("arn:aws:sts::111122223333:federated-user/carol", None);
        assert!(follows(&fed, "111122223333:carol"));
        assert!(!follows(&fed, "111122223333:dave"));
        assert!(follows(&Caller::Anonymous, "anonymous"));
        assert!(!follows(&Caller::Anonymous, "111122223333"));
    }

    #[test]
    fn canonical_userids_follow_their_caller() {
        for caller in [
            Caller::Anonymous,
            iam("arn:aws:iam::111122223333:root", None),
            iam("arn:aws:iam::111122223333:user/ops/bob", None),
            iam("arn:aws:iam::111122223333:role/Admin", Some("alice")),
            iam("arn:aws:sts::111122223333:federated-user/carol", None),
            Caller::Federated {
                provider: "accounts.google.com".into(),
            },
        ] {
            assert!(follows(&caller, &canonical(&caller)), "{caller:?}");
        }
    }

    #[test]
    fn session_names_and_unique_ids_have_their_forms() {
        assert!(is_session_name("alice@example.com"));
        assert!(!is_session_name("a"));
        assert!(!is_session_name("#"));
        assert!(is_unique_id(FRESH_USER_ID, "AIDA"));
        assert!(is_unique_id(FRESH_ROLE_ID, "AROA"));
        assert!(!is_unique_id("AROAabc1234567890123", "AROA"));
    }
}
