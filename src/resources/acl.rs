//! S3 access control lists as the objects write them: canned ACLs, grant headers
//! (`grantRead: "uri=…, id=…"`) and BucketACL's access control policy, read into grants.

use serde_json::Value;

use super::Field;
use super::fields::at;

/// Who an ACL grant is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Grantee {
    /// Everyone, signed or not.
    AllUsers,
    /// Every AWS account.
    AuthenticatedUsers,
    /// S3's server access log delivery.
    LogDelivery,
    CanonicalUser(String),
    /// An AWS account by its root user's email address.
    Email(String),
    Other(String),
}

/// One grant of an ACL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AclGrant {
    pub grantee: Grantee,
    /// READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.
    pub permission: String,
    pub pointer: String,
    /// The canned ACL it comes from, if any.
    pub canned: Option<String>,
}

/// A bucket ACL the object writes, and the object ownership it writes beside it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BucketAcl {
    pub bucket: Field<String>,
    pub grants: Vec<AclGrant>,
    /// The owner's canonical id, where the ACL names it.
    pub owner: Option<String>,
    /// `BucketOwnerEnforced` turns ACLs off; `ObjectWriter` and `BucketOwnerPreferred` keep
    /// them working.
    pub ownership: Field<String>,
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The grants a canned ACL makes besides the owner's FULL_CONTROL (Amazon S3 User Guide,
/// "Access control list (ACL) overview", "Canned ACL"). `aws-exec-read` grants EC2 the reading
/// of AMI bundles; the `bucket-owner-*` ACLs apply to objects and grant a bucket nothing more.
pub fn canned(doc: &Value, pointer: &str) -> Vec<AclGrant> {
    let Some(acl) = at(doc, pointer).and_then(Value::as_str) else {
        return Vec::new();
    };
    let grants: &[(Grantee, &str)] = match acl {
        "public-read" => &[(Grantee::AllUsers, "READ")],
        "public-read-write" => &[(Grantee::AllUsers, "READ"), (Grantee::AllUsers, "WRITE")],
        "authenticated-read" => &[(Grantee::AuthenticatedUsers, "READ")],
        "log-delivery-write" => &[
            (Grantee::LogDelivery, "WRITE"),
            (Grantee::LogDelivery, "READ_ACP"),
        ],
        _ => &[],
    };
    grants
        .iter()
        .map(|(grantee, permission)| AclGrant {
            grantee: grantee.clone(),
            permission: (*permission).to_owned(),
            pointer: pointer.to_owned(),
            canned: Some(acl.to_owned()),
        })
        .collect()
}

/// The grants of the `x-amz-grant-*` headers as ACK and Crossplane classic write them: a comma
/// separated list of `type=value` (Amazon S3 API Reference, PutBucketAcl, "x-amz-grant-read").
/// `fields`: (field name, permission).
pub fn headers(doc: &Value, base: &str, fields: &[(&str, &str)]) -> Vec<AclGrant> {
    let mut out = Vec::new();
    for (field, permission) in fields {
        let pointer = format!("{base}/{field}");
        let Some(text) = at(doc, &pointer).and_then(Value::as_str) else {
            continue;
        };
        for part in text.split(',') {
            let Some((kind, value)) = part.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            let grantee = match kind.trim() {
                "uri" => group(value),
                "id" => Grantee::CanonicalUser(value.to_owned()),
                "emailAddress" => Grantee::Email(value.to_owned()),
                other => Grantee::Other(format!("{other}={value}")),
            };
            out.push(AclGrant {
                grantee,
                permission: (*permission).to_owned(),
                pointer: pointer.clone(),
                canned: None,
            });
        }
    }
    out
}

fn group(uri: &str) -> Grantee {
    // S3 accepts the group URIs over http and https alike.
    let uri = uri.replacen("https://", "http://", 1);
    match uri.as_str() {
        ALL_USERS => Grantee::AllUsers,
        AUTHENTICATED_USERS => Grantee::AuthenticatedUsers,
        LOG_DELIVERY => Grantee::LogDelivery,
        _ => Grantee::Other(uri),
    }
}

/// The grants and owner of an Upbound BucketACL's `accessControlPolicy` at `pointer`: an object
/// (v1beta2 and the namespaced kind) or a one-element list (v1beta1), its grantee likewise.
pub fn access_control_policy(doc: &Value, pointer: &str) -> (Vec<AclGrant>, Option<String>) {
    let Some((policy, base)) = one(doc, pointer) else {
        return (Vec::new(), None);
    };
    let owner = one(doc, &format!("{base}/owner"))
        .and_then(|(o, _)| o.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut grants = Vec::new();
    if let Some(Value::Array(items)) = policy.get("grant") {
        for (i, item) in items.iter().enumerate() {
            let at_grant = format!("{base}/grant/{i}");
            let Some((grantee, _)) = one(doc, &format!("{at_grant}/grantee")) else {
                continue;
            };
            let text = |k: &str| grantee.get(k).and_then(Value::as_str).unwrap_or_default();
            let grantee = match text("type") {
                "Group" => group(text("uri")),
                "CanonicalUser" => Grantee::CanonicalUser(text("id").to_owned()),
                "AmazonCustomerByEmail" => Grantee::Email(text("emailAddress").to_owned()),
                other => Grantee::Other(other.to_owned()),
            };
            grants.push(AclGrant {
                grantee,
                permission: item
                    .get("permission")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                pointer: at_grant,
                canned: None,
            });
        }
    }
    (grants, owner)
}

/// The object at `pointer`, or the first element of the list there, with its pointer.
fn one<'v>(doc: &'v Value, pointer: &str) -> Option<(&'v Value, String)> {
    match at(doc, pointer)? {
        Value::Array(items) => items.first().map(|v| (v, format!("{pointer}/0"))),
        v @ Value::Object(_) => Some((v, pointer.to_owned())),
        _ => None,
    }
}
