//! Objects that write nothing to AWS (observed, not enforced), and versions of checked kinds the
//! webhook does not register.

use serde_json::Value;

use super::fields::{get, seg};
use super::{CheckedKind, ObjectNote, ObjectRef, ProviderFamily};

/// Why the object writes nothing to AWS, if it does not.
///
/// - Upbound: `spec.managementPolicies` without `*`, `Create` or `Update` (Crossplane,
///   "Managed Resources", management policies): the provider only observes. Crossplane classic
///   provider-aws honours the field only when run with its alpha management-policies flag and
///   otherwise writes as usual, so its objects stay enforced.
/// - ACK: `services.k8s.aws/read-only: "true"`, or `services.k8s.aws/adoption-policy: adopt` (the
///   controller fills the spec from the AWS resource it adopts; `adopt-or-create` may create it
///   and stays enforced), or the legacy `services.k8s.aws/adopted: "true"` of objects an
///   `AdoptedResource` made from what exists.
pub fn observed(doc: &Value, family: ProviderFamily) -> Option<ObjectNote> {
    match family {
        ProviderFamily::Upbound => {
            let pointer = "/spec/managementPolicies";
            let Some(Value::Array(policies)) = get(doc, ["spec", "managementPolicies"]) else {
                return None;
            };
            let writes = policies
                .iter()
                .filter_map(Value::as_str)
                .any(|p| matches!(p, "*" | "Create" | "Update"));
            (!policies.is_empty() && !writes).then(|| ObjectNote::Observed {
                pointer: pointer.to_owned(),
                why: format!(
                    "managementPolicies {} neither create nor update the AWS resource",
                    Value::Array(policies.clone())
                ),
            })
        }
        ProviderFamily::Ack => {
            let annotation =
                |name: &str| get(doc, ["metadata", "annotations", name]).and_then(Value::as_str);
            let pointer = |name: &str| format!("/metadata/annotations/{}", seg(name));
            if annotation("services.k8s.aws/read-only") == Some("true") {
                return Some(ObjectNote::Observed {
                    pointer: pointer("services.k8s.aws/read-only"),
                    why: "the object is read-only: ACK never writes it to AWS".into(),
                });
            }
            if annotation("services.k8s.aws/adoption-policy") == Some("adopt") {
                return Some(ObjectNote::Observed {
                    pointer: pointer("services.k8s.aws/adoption-policy"),
                    why: "adoption-policy adopt: ACK fills the spec from the existing AWS resource instead of writing it".into(),
                });
            }
            if annotation("services.k8s.aws/adopted") == Some("true") {
                return Some(ObjectNote::Observed {
                    pointer: pointer("services.k8s.aws/adopted"),
                    why: "the object was adopted from an existing AWS resource".into(),
                });
            }
            None
        }
        ProviderFamily::CrossplaneClassic | ProviderFamily::CrossplaneCore => None,
    }
}

/// Whether deleting the Crossplane managed resource deletes what it manages in AWS: unless
/// `spec.deletionPolicy` is `Orphan`, or `spec.managementPolicies` lacks `Delete` and `*`
/// (Crossplane, "Managed Resources": deletionPolicy, management policies).
pub fn deletes_external(doc: &Value) -> bool {
    let orphaned = get(doc, ["spec", "deletionPolicy"]).and_then(Value::as_str) == Some("Orphan");
    let deletes = get(doc, ["spec", "managementPolicies"])
        .and_then(Value::as_array)
        .is_none_or(|p| {
            p.iter()
                .filter_map(Value::as_str)
                .any(|p| p == "*" || p == "Delete")
        });
    !orphaned && deletes
}

/// A version of a checked kind the webhook does not register: read as the newest one it does.
pub fn unregistered_version(object: &ObjectRef, kind: &CheckedKind) -> Option<ObjectNote> {
    let version = object.api_version.rsplit_once('/').map(|(_, v)| v)?;
    if kind.versions.contains(&version) {
        return None;
    }
    Some(ObjectNote::UnregisteredVersion {
        version: version.to_owned(),
        read_as: kind.versions.last().copied().unwrap_or_default(),
    })
}
