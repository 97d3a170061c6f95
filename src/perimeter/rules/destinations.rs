//! DP-DEST-001 and DP-DEST-002: where a bucket's settings make S3 send its data. S3 writes to a
//! replication, inventory or analytics destination, and publishes to a notification target, as a
//! service principal (Amazon S3 User Guide, "Setting up permissions for live replication",
//! "Configuring inventory", "Amazon S3 Event Notifications"): a resource control policy or an
//! endpoint policy of the source's organisation never sees those requests, so the object is the
//! last place they can be stopped.
//!
//! The owner is the account the object states for the destination (replication `account`,
//! inventory `accountId`, analytics `bucketAccountId`), else the account field of the
//! destination's ARN (SNS, SQS and Lambda ARNs carry one; S3 bucket ARNs do not). A bucket named
//! without an owner is inside only when `spec.resources.allowedResources` names it; otherwise it
//! is DP-DEST-002, which cannot say inside or outside. Server access logs go only to a bucket of
//! the source bucket's own account ("Logging requests using server access logging": both buckets
//! must be owned by the same account), so the log target is outside only when the source bucket's
//! stated owner (`expectedBucketOwner`) is.

use crate::iam::arn;
use crate::iam::pattern;
use crate::iam::reasoner::Perimeter;
use crate::iam::request::Org;
use crate::resources::{Destination, DestinationKind, Field};

use super::super::catalog::{
    DESTINATION_OUTSIDE, DESTINATION_UNPLACED, UNKNOWN_MEMBERSHIP, UNRESOLVED_REFERENCE,
};
use super::super::config::DataPerimeter;
use super::{Add, Proof};

pub(super) fn check(d: &Destination, dp: &DataPerimeter, perimeter: &Perimeter, add: &mut Add<'_>) {
    let noun = d.kind.noun();
    let target = match &d.target {
        Field::Set { value, pointer } => Some((value.as_str(), pointer.as_str())),
        Field::Unresolved { .. } | Field::Absent => None,
    };
    let shown = |t: Option<(&str, &str)>| {
        t.map_or_else(
            || format!("the {noun}"),
            |(v, p)| format!("the {noun} {v} (at {p})"),
        )
    };
    if target.is_some_and(|(value, _)| allowed(dp, d.kind, value)) {
        return;
    }
    // The owner the object states wins over the ARN's: it is what S3 checks the destination
    // against (a mismatch fails the configuration).
    let owner = match &d.account {
        Field::Set { value, pointer } => Some((value.as_str(), pointer.as_str())),
        _ => target.and_then(|(value, pointer)| {
            arn::split(value)
                .map(|p| p[4])
                .filter(|a| !a.is_empty())
                .map(|a| (a, pointer))
        }),
    };
    let Some((account, at)) = owner else {
        match (&d.target, d.kind) {
            // The log target is in the source bucket's account, whatever it is called.
            (_, DestinationKind::AccessLog) => {}
            (Field::Unresolved { pointer }, _) => add(
                UNRESOLVED_REFERENCE,
                pointer,
                format!(
                    "the {noun} is a reference resolved after admission; {} is checked once it is set",
                    DESTINATION_OUTSIDE.id
                ),
                None,
            ),
            (Field::Set { value, pointer }, _) => {
                let name = bucket_name(value);
                let why = if d.kind.is_bucket() {
                    "names a bucket without its owner (S3 bucket ARNs carry no account)"
                } else {
                    "is not an ARN, so its owner cannot be read"
                };
                let fix = match (&d.account_at, d.kind.is_bucket()) {
                    (Some(field), true) => format!(
                        "if the bucket is owned by an account the perimeter trusts, state that account at {field}; if it is a bucket the perimeter trusts whoever owns it, list arn:aws:s3:::{name} in spec.resources.allowedResources"
                    ),
                    _ => DESTINATION_UNPLACED.fix.to_owned(),
                };
                add(
                    DESTINATION_UNPLACED,
                    pointer,
                    format!(
                        "{} {why}, and no spec.resources.allowedResources pattern names it: S3 would write there whichever account owns it",
                        shown(target)
                    ),
                    Some(Proof {
                        witness: None,
                        fix: Some(fix),
                    }),
                );
            }
            (Field::Absent, _) => {}
        }
        return;
    };
    let org = perimeter.memberships.get(account).map(|id| Org {
        id: id.clone(),
        paths: Vec::new(),
    });
    if perimeter.resource_account_trusted(Some(account), org.as_ref())
        || perimeter.resource_org_trusted(Some(account), org.as_ref())
    {
        return;
    }
    // The owner's own field, when it is not the ARN the message already names.
    let stated = if target.is_some_and(|(_, p)| p == at) {
        String::new()
    } else {
        format!(" (at {at})")
    };
    let whose = if d.kind == DestinationKind::AccessLog {
        format!(
            "is in the source bucket's account, {account}{stated}: S3 delivers access logs only within the source bucket's account"
        )
    } else {
        format!("is owned by account {account}{stated}")
    };
    if !arn::is_account_id(account) {
        let message = format!("{} {whose}, which is not an account id", shown(target));
        return add(DESTINATION_OUTSIDE, at, message, None);
    }
    if perimeter.resource_excluded(Some(account), org.as_ref()) {
        let message = format!(
            "{} {whose}, which the perimeter excludes from its resources",
            shown(target)
        );
        let fix = format!(
            "send the data to a destination owned by an account the perimeter trusts: {account} is excluded (spec.resources.excludedAccounts, or the identity's when that is absent)"
        );
        let proof = Proof {
            witness: None,
            fix: Some(fix),
        };
        return add(DESTINATION_OUTSIDE, at, message, Some(proof));
    }
    if org.is_none() && !perimeter.owner_orgs().is_empty() {
        let orgs = perimeter.owner_orgs().join(", ");
        let message = format!(
            "{} {whose}, whose organization the perimeter does not know: if it is a member of {orgs}, list it in spec.organizations[].accounts and the destination complies; if not, S3 sends the data outside the perimeter",
            shown(target)
        );
        return add(UNKNOWN_MEMBERSHIP, at, message, None);
    }
    let message = format!(
        "{} {whose}, which is not a trusted resource owner: {}, which resource control policies and endpoint policies do not stop",
        shown(target),
        d.kind.delivery()
    );
    let fix = format!(
        "send the data to a destination owned by an account the perimeter trusts, or, if {account} is yours, add it to spec.resources.trustedAccounts (or its organization to spec.resources.trustedOrganizations)"
    );
    add(
        DESTINATION_OUTSIDE,
        at,
        message,
        Some(Proof {
            witness: None,
            fix: Some(fix),
        }),
    );
}

/// A destination `spec.resources.allowedResources` names, read bucket name first as the
/// perimeter's patterns are ([`arn::matches_by_bucket`]): for a bucket, a pattern naming the
/// bucket or every object in it. AWS-owned resource sets are left out: they are declared for
/// reading, not as places to send data.
fn allowed(dp: &DataPerimeter, kind: DestinationKind, target: &str) -> bool {
    let Some(resources) = &dp.spec.resources else {
        return false;
    };
    let arns: Vec<String> = if kind.is_bucket() {
        let partition = arn::split(target).map_or("aws", |p| p[1]);
        let name = bucket_name(target);
        vec![
            format!("arn:{partition}:s3:::{name}"),
            format!("arn:{partition}:s3:::{name}/*"),
        ]
    } else {
        vec![target.to_owned()]
    };
    resources.allowed_resources.iter().any(|p| {
        let toks = pattern::glob(p);
        arns.iter().any(|a| arn::matches_by_bucket(&toks, a))
    })
}

/// The bucket an S3 bucket ARN or a bare bucket name names.
fn bucket_name(target: &str) -> &str {
    match arn::split(target) {
        Some(p) if p[2] == "s3" => p[5].split('/').next().unwrap_or(p[5]),
        _ => target,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::perimeter::config::Enforcement;
    use crate::perimeter::load_perimeters;
    use crate::perimeter::rules::{Finding, check_object};
    use crate::resources::{Adapted, adapt};

    const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  organizations:
  - {id: o-abc123def4, accounts: ["222233334444"]}
  - {id: o-zyx987wvu6, accounts: ["444455556666"]}
  identity: {trustedOrganizations: [o-abc123def4], trustedAccounts: ["111122223333"], excludedAccounts: ["999988887777"]}
  resources: {allowedResources: ["arn:aws:s3:::partner-archive", "arn:aws:sns:*:555566667777:shared-*"]}
"#;

    fn findings(doc: Value) -> Vec<Finding> {
        let dp = load_perimeters(PERIMETER, "test").unwrap().remove(0);
        let Adapted::Checked {
            subjects, notes, ..
        } = adapt(&doc)
        else {
            panic!("{doc}")
        };
        check_object(&subjects, &notes, &dp)
    }

    fn summary(doc: Value) -> Vec<(String, String, Enforcement)> {
        findings(doc)
            .into_iter()
            .map(|f| (f.rule.id.to_owned(), f.pointer, f.enforcement))
            .collect()
    }

    fn ack_bucket(mut spec: Value) -> Value {
        spec["name"] = json!("b");
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
               "metadata": {"name": "b", "namespace": "team"}, "spec": spec})
    }

    /// The findings of an ACK Bucket other than the policy deletion every such test bucket has.
    fn ack(spec: Value) -> Vec<(String, String, Enforcement)> {
        summary(ack_bucket(spec))
            .into_iter()
            .filter(|(id, _, _)| !id.starts_with("DP-BP-"))
            .collect()
    }

    fn deny(id: &str, pointer: &str) -> (String, String, Enforcement) {
        (id.into(), pointer.into(), Enforcement::Deny)
    }

    fn warn(id: &str, pointer: &str) -> (String, String, Enforcement) {
        (id.into(), pointer.into(), Enforcement::Warn)
    }

    #[test]
    fn ack_replication_to_another_account_is_outside_and_to_a_trusted_one_inside() {
        let replication = |account: &str| {
            json!({"replication": {"role": "arn:aws:iam::111122223333:role/r", "rules": [
                {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::copy", "account": account}}]}})
        };
        assert_eq!(
            ack(replication("444455556666")),
            [deny(
                "DP-DEST-001",
                "/spec/replication/rules/0/destination/account"
            )]
        );
        let f = findings(ack_bucket(replication("444455556666")))
            .into_iter()
            .find(|f| f.rule.id == "DP-DEST-001")
            .unwrap();
        assert!(
            f.message.contains("arn:aws:s3:::copy")
                && f.message
                    .contains("/spec/replication/rules/0/destination/bucket"),
            "{}",
            f.message
        );
        assert!(
            f.fix().contains("444455556666") && f.fix().contains("trustedAccounts"),
            "{}",
            f.fix()
        );
        assert!(ack(replication("111122223333")).is_empty());
        // A member of the trusted organization the perimeter knows of.
        assert!(ack(replication("222233334444")).is_empty());
    }

    #[test]
    fn a_bucket_without_an_owner_is_unplaced_unless_the_perimeter_names_it() {
        let inventory = |bucket: &str| json!({"inventory": [{"id": "i", "isEnabled": true, "destination": {"s3BucketDestination": {"bucket": bucket, "format": "CSV"}}}]});
        assert_eq!(
            ack(inventory("arn:aws:s3:::somewhere")),
            [warn(
                "DP-DEST-002",
                "/spec/inventory/0/destination/s3BucketDestination/bucket"
            )]
        );
        let f = findings(ack_bucket(inventory("arn:aws:s3:::somewhere")))
            .into_iter()
            .find(|f| f.rule.id == "DP-DEST-002")
            .unwrap();
        assert!(
            f.fix()
                .contains("/spec/inventory/0/destination/s3BucketDestination/accountID")
                && f.fix().contains("arn:aws:s3:::somewhere"),
            "{}",
            f.fix()
        );
        assert!(ack(inventory("arn:aws:s3:::partner-archive")).is_empty());
        // The pattern names that bucket, not one whose name merely begins the same.
        assert_eq!(ack(inventory("arn:aws:s3:::partner-archive-2")).len(), 1);
    }

    #[test]
    fn notification_targets_are_owned_by_their_arns_account() {
        let notification = |topic: &str, queue: &str, function: &str| {
            json!({"notification": {
                "topicConfigurations": [{"events": ["s3:ObjectCreated:*"], "topicARN": topic}],
                "queueConfigurations": [{"events": ["s3:ObjectCreated:*"], "queueARN": queue}],
                "lambdaFunctionConfigurations": [{"events": ["s3:ObjectCreated:*"], "lambdaFunctionARN": function}]}})
        };
        assert_eq!(
            ack(notification(
                "arn:aws:sns:us-east-1:444455556666:t",
                "arn:aws:sqs:us-east-1:999988887777:q",
                "arn:aws:lambda:us-east-1:444455556666:function:f"
            )),
            [
                deny(
                    "DP-DEST-001",
                    "/spec/notification/topicConfigurations/0/topicARN"
                ),
                deny(
                    "DP-DEST-001",
                    "/spec/notification/queueConfigurations/0/queueARN"
                ),
                deny(
                    "DP-DEST-001",
                    "/spec/notification/lambdaFunctionConfigurations/0/lambdaFunctionARN"
                ),
            ]
        );
        assert!(
            ack(notification(
                "arn:aws:sns:us-east-1:555566667777:shared-events",
                "arn:aws:sqs:us-east-1:111122223333:q",
                "arn:aws:lambda:us-east-1:222233334444:function:f"
            ))
            .is_empty()
        );
    }

    #[test]
    fn an_account_of_unknown_membership_is_a_question_not_a_verdict() {
        let doc = ack_bucket(
            json!({"analytics": [{"id": "a", "storageClassAnalysis": {"dataExport": {"destination": {"s3BucketDestination": {"bucket": "arn:aws:s3:::x", "bucketAccountID": "333344445555"}}}}}]}),
        );
        let f = findings(doc)
            .into_iter()
            .find(|f| f.rule.id == "DP-ORG-001")
            .unwrap();
        assert!(f.message.contains("333344445555") && f.message.contains("o-abc123def4"));
    }

    #[test]
    fn access_logs_stay_in_the_source_buckets_account() {
        assert!(
            ack(json!({"logging": {"loggingEnabled": {"targetBucket": "any-name-at-all"}}}))
                .is_empty()
        );
        let logging = |owner: &str| {
            json!({"apiVersion": "s3.aws.upbound.io/v1beta2", "kind": "BucketLogging",
                   "metadata": {"name": "l"},
                   "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "targetBucket": "logs", "expectedBucketOwner": owner}}})
        };
        assert_eq!(
            summary(logging("444455556666")),
            [deny("DP-DEST-001", "/spec/forProvider/expectedBucketOwner")]
        );
        assert!(summary(logging("111122223333")).is_empty());
    }

    #[test]
    fn classic_bucket_destinations_and_references() {
        let bucket = |for_provider: Value| {
            json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket",
                   "metadata": {"name": "b"}, "spec": {"forProvider": for_provider}})
        };
        assert_eq!(
            summary(bucket(json!({"locationConstraint": "us-east-1",
                "replicationConfiguration": {"rules": [{"status": "Enabled", "destination": {"bucketRef": {"name": "copy"}}}]},
                "notificationConfiguration": {"queueConfigurations": [{"events": ["s3:ObjectCreated:*"], "queueArn": "arn:aws:sqs:us-east-1:444455556666:q"}]},
                "loggingConfiguration": {"targetBucketRef": {"name": "logs"}}}))),
            [
                warn(
                    "DP-REF-001",
                    "/spec/forProvider/replicationConfiguration/rules/0/destination/bucketRef"
                ),
                deny(
                    "DP-DEST-001",
                    "/spec/forProvider/notificationConfiguration/queueConfigurations/0/queueArn"
                ),
            ]
        );
        // A reference whose owner the object states is judged on that owner.
        assert!(
            summary(bucket(json!({"locationConstraint": "us-east-1",
                "replicationConfiguration": {"rules": [{"status": "Enabled", "destination": {"bucketRef": {"name": "copy"}, "account": "111122223333"}}]}})))
            .is_empty()
        );
    }

    #[test]
    fn upbound_kinds_in_both_shapes_and_scopes() {
        let replication = |api: &str, rule: Value| {
            json!({"apiVersion": api, "kind": "BucketReplicationConfiguration",
                   "metadata": {"name": "r", "namespace": "team"},
                   "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "role": "arn:aws:iam::111122223333:role/r", "rule": rule}}})
        };
        let v1beta1 = json!([{"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::copy", "account": "444455556666"}]}]);
        let v1beta2 = json!([{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::copy", "account": "444455556666"}}]);
        assert_eq!(
            summary(replication("s3.aws.upbound.io/v1beta1", v1beta1)),
            [deny(
                "DP-DEST-001",
                "/spec/forProvider/rule/0/destination/0/account"
            )]
        );
        assert_eq!(
            summary(replication("s3.aws.m.upbound.io/v1beta1", v1beta2.clone())),
            [deny(
                "DP-DEST-001",
                "/spec/forProvider/rule/0/destination/account"
            )]
        );
        let inventory = json!({"apiVersion": "s3.aws.upbound.io/v1beta2", "kind": "BucketInventory",
            "metadata": {"name": "i"},
            "spec": {"initProvider": {"destination": {"bucket": {"bucketArn": "arn:aws:s3:::partner-archive", "format": "CSV"}}},
                     "forProvider": {"region": "us-east-1", "bucket": "b"}}});
        assert!(summary(inventory).is_empty());
        let analytics = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketAnalyticsConfiguration",
            "metadata": {"name": "a"},
            "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "storageClassAnalysis": [{"dataExport": [{"destination": [{"s3BucketDestination": [{"bucketArn": "arn:aws:s3:::elsewhere"}]}]}]}]}}});
        assert_eq!(
            summary(analytics),
            [warn(
                "DP-DEST-002",
                "/spec/forProvider/storageClassAnalysis/0/dataExport/0/destination/0/s3BucketDestination/0/bucketArn"
            )]
        );
        let notification = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketNotification",
            "metadata": {"name": "n"},
            "spec": {"managementPolicies": ["Observe"], "forProvider": {"region": "us-east-1", "bucket": "b", "eventbridge": true,
                     "topic": [{"events": ["s3:ObjectCreated:*"], "topicArn": "arn:aws:sns:us-east-1:444455556666:t"}]}}});
        assert_eq!(
            summary(notification),
            [
                (
                    "DP-DEST-001".into(),
                    "/spec/forProvider/topic/0/topicArn".into(),
                    Enforcement::Audit
                ),
                warn("DP-OBS-001", "/spec/managementPolicies"),
            ]
        );
    }
}
