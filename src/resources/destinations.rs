//! Where a bucket's own settings make S3 send its data or events: replication destinations,
//! inventory and analytics exports, event notification targets and the access log target. S3
//! writes there itself, as a service principal, so neither a resource control policy nor an
//! endpoint policy stops it: only what the object says can be checked.

use serde_json::Value;

use super::fields::{at, seg, string};
use super::{Destination, DestinationKind, Field};

/// The JSON pointers of the objects reached from `base` by `keys`, where each step is a mapping
/// or a list of mappings (v1beta1 Upbound kinds write blocks as one-element lists, and S3's own
/// lists of rules and configurations are lists in every family).
pub fn each(doc: &Value, base: &str, keys: &[&str]) -> Vec<String> {
    let mut out = vec![base.to_owned()];
    for key in keys {
        let mut next = Vec::new();
        for pointer in out {
            let p = format!("{pointer}/{}", seg(key));
            match at(doc, &p) {
                Some(Value::Array(items)) => next.extend(
                    (0..items.len())
                        .filter(|i| items[*i].is_object())
                        .map(|i| format!("{p}/{i}")),
                ),
                Some(Value::Object(_)) => next.push(p),
                _ => {}
            }
        }
        out = next;
    }
    out
}

/// How one family writes one kind of destination: the blocks that hold it (from the object's
/// base), the field naming it and its reference companions, and the field stating its owner.
pub struct Spec<'a> {
    pub kind: DestinationKind,
    pub blocks: &'a [&'a str],
    pub target: &'a str,
    pub refs: &'a [&'a str],
    pub account: Option<&'a str>,
}

/// Every destination `spec` describes below `base`.
pub fn read(doc: &Value, base: &str, spec: &Spec<'_>) -> Vec<Destination> {
    each(doc, base, spec.blocks)
        .into_iter()
        .filter_map(|block| {
            let target = string(doc, &block, spec.target, spec.refs);
            if matches!(target, Field::Absent) {
                return None;
            }
            Some(Destination {
                kind: spec.kind,
                target,
                account: spec
                    .account
                    .map_or(Field::Absent, |a| string(doc, &block, a, &[])),
                account_at: spec.account.map(|a| format!("{block}/{}", seg(a))),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn blocks_are_followed_through_mappings_and_lists() {
        let doc = json!({"spec": {"rule": [
            {"destination": [{"bucket": "arn:aws:s3:::a"}]},
            {"destination": {"bucket": "arn:aws:s3:::b"}},
            {"other": 1},
            "not a mapping"
        ]}});
        assert_eq!(
            each(&doc, "/spec", &["rule", "destination"]),
            ["/spec/rule/0/destination/0", "/spec/rule/1/destination"]
        );
        assert!(each(&doc, "/spec", &["missing", "destination"]).is_empty());
    }

    #[test]
    fn a_destination_has_its_target_its_owner_and_where_the_owner_goes() {
        let doc = json!({"spec": {"rules": [
            {"destination": {"bucket": "arn:aws:s3:::a", "account": "444455556666"}},
            {"destination": {"bucketRef": {"name": "b"}}},
            {"destination": {"storageClass": "STANDARD"}}
        ]}});
        let spec = Spec {
            kind: DestinationKind::Replication,
            blocks: &["rules", "destination"],
            target: "bucket",
            refs: &["bucketRef"],
            account: Some("account"),
        };
        let found = read(&doc, "/spec", &spec);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0].target.value().map(String::as_str),
            Some("arn:aws:s3:::a")
        );
        assert_eq!(
            found[0].account.pointer(),
            Some("/spec/rules/0/destination/account")
        );
        assert_eq!(
            found[1].target,
            Field::Unresolved {
                pointer: "/spec/rules/1/destination/bucketRef".into()
            }
        );
        assert_eq!(found[1].account, Field::Absent);
        assert_eq!(
            found[1].account_at.as_deref(),
            Some("/spec/rules/1/destination/account")
        );
    }
}
