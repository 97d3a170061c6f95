//! Builders for unit tests: requests and policies in a line each.

use std::collections::BTreeMap;

use super::policy::{Policy, PolicyKind};
use super::request::{Caller, ContextValue, Org, Request, Resource, iam_identity};

pub const ORG: &str = "o-abc123def4";
pub const ACCOUNT: &str = "111122223333";

pub fn bucket_policy(json: serde_json::Value) -> Policy {
    Policy::from_value(&json, PolicyKind::BucketPolicy).unwrap_or_else(|e| panic!("{e}"))
}

/// A session of role `R` in the trusted account and organisation.
pub fn org_session() -> Caller {
    let mut id = iam_identity(&format!("arn:aws:iam::{ACCOUNT}:role/R"), Some("s")).unwrap();
    id.org = Some(Org {
        id: ORG.into(),
        paths: vec![format!("{ORG}/r-ab12/ou-ab12-11111111/")],
    });
    Caller::Iam(id)
}

/// A role session in an account outside any organisation.
pub fn outsider() -> Caller {
    Caller::Iam(iam_identity("arn:aws:iam::444455556666:role/X", Some("s")).unwrap())
}

pub fn request(caller: Caller) -> Request {
    Request {
        caller,
        action: "s3:GetObject".into(),
        resource: Resource {
            arn: "arn:aws:s3:::bucket/key".into(),
            account: Some(ACCOUNT.into()),
            org: Some(Org {
                id: ORG.into(),
                paths: vec![],
            }),
            tags: BTreeMap::new(),
        },
        context: BTreeMap::new(),
    }
}

pub fn with(mut r: Request, key: &str, value: &str) -> Request {
    r.context
        .insert(key.to_ascii_lowercase(), ContextValue::One(value.into()));
    r
}

pub fn with_many(mut r: Request, key: &str, values: &[&str]) -> Request {
    r.context.insert(
        key.to_ascii_lowercase(),
        ContextValue::Many(values.iter().map(|v| v.to_string()).collect()),
    );
    r
}
