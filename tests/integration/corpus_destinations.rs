//! Bucket destinations in real upstream manifests, each beside its compliant and violating twin:
//! replication, logging, notification, inventory and analytics, in every family that has them.
//! Upstream examples name destinations by selector or by placeholder; their twins give the values
//! a user would write.

use perimeter_guard::decision::{AdmissionDecision, ObjectVerdict, evaluate};
use perimeter_guard::perimeter::config::Enforcement;
use perimeter_guard::perimeter::load_perimeters;
use perimeter_guard::perimeter::rules::Finding;
use serde_json::{Value, json};

use crate::common;

/// The example perimeter's trust, with one account known to belong to another organization.
const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: destinations}
spec:
  organizations: [{id: o-zyx987wvu6, accounts: ["444455556666"]}]
  identity: {trustedOrganizations: [o-abc123def4], trustedAccounts: ["111122223333"]}
"#;

const OUTSIDER: &str = "444455556666";
const TRUSTED: &str = "111122223333";

fn upstream(file: &str, kind: &str) -> Value {
    let path = common::corpus_root().join("manifests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    perimeter_guard::yaml::stream_to_json(&text)
        .expect("the corpus is valid YAML")
        .into_iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("{file} has no {kind}"))
}

fn findings(doc: &Value) -> (Vec<Finding>, AdmissionDecision) {
    let perimeters = load_perimeters(PERIMETER, "test").expect("valid");
    match evaluate(doc, &perimeters) {
        ObjectVerdict::Checked {
            findings, decision, ..
        } => (findings, decision),
        ObjectVerdict::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

/// (rule, pointer, enforcement) of every finding but the bucket-policy ones an ACK Bucket
/// without a policy has, and the decision.
fn decided(doc: &Value) -> (Vec<(String, String, Enforcement)>, AdmissionDecision) {
    let (found, decision) = findings(doc);
    (
        found
            .iter()
            .filter(|f| !f.rule.id.starts_with("DP-BP-"))
            .map(|f| (f.rule.id.to_owned(), f.pointer.clone(), f.enforcement))
            .collect(),
        decision,
    )
}

fn finding(rule: &str, pointer: &str, e: Enforcement) -> (String, String, Enforcement) {
    (rule.into(), pointer.into(), e)
}

fn dest(doc: &Value) -> Vec<(String, String, Enforcement)> {
    decided(doc)
        .0
        .into_iter()
        .filter(|(id, _, _)| id.starts_with("DP-DEST") || id == "DP-REF-001")
        .collect()
}

#[test]
fn ack_replication_to_a_bucket_without_its_owner_and_its_twins() {
    let bucket = upstream("ack/s3-e2e-bucket_replication.yaml", "Bucket");
    let at = "/spec/replication/rules/0/destination";
    assert_eq!(
        dest(&bucket),
        [finding(
            "DP-DEST-002",
            &format!("{at}/bucket"),
            Enforcement::Warn
        )]
    );
    let (found, _) = findings(&bucket);
    let f = found.iter().find(|f| f.rule.id == "DP-DEST-002").unwrap();
    assert!(
        f.fix().contains(&format!("{at}/account")),
        "the fix names the field: {}",
        f.fix()
    );
    let mut outside = bucket.clone();
    outside["spec"]["replication"]["rules"][0]["destination"]["account"] = json!(OUTSIDER);
    assert_eq!(
        dest(&outside),
        [finding(
            "DP-DEST-001",
            &format!("{at}/account"),
            Enforcement::Deny
        )]
    );
    let (found, decision) = findings(&outside);
    assert_eq!(decision, AdmissionDecision::Deny);
    let f = found.iter().find(|f| f.rule.id == "DP-DEST-001").unwrap();
    assert!(
        f.message.contains("arn:aws:s3:::$REPLICATION_BUCKET_NAME")
            && f.message.contains(&format!("{at}/bucket")),
        "{}",
        f.message
    );
    assert!(f.fix().contains(OUTSIDER), "{}", f.fix());
    let mut inside = bucket.clone();
    inside["spec"]["replication"]["rules"][0]["destination"]["account"] = json!(TRUSTED);
    assert!(dest(&inside).is_empty());
}

#[test]
fn ack_notification_topic_by_arn() {
    let bucket = upstream("ack/s3-e2e-bucket_notification.yaml", "Bucket");
    let at = "/spec/notification/topicConfigurations/0/topicARN";
    // The upstream test fills the ARN in later: as written, no owner can be read from it.
    assert_eq!(
        dest(&bucket),
        [finding("DP-DEST-002", at, Enforcement::Warn)]
    );
    let mut outside = bucket.clone();
    outside["spec"]["notification"]["topicConfigurations"][0]["topicARN"] =
        json!(format!("arn:aws:sns:us-west-2:{OUTSIDER}:uploads"));
    assert_eq!(
        dest(&outside),
        [finding("DP-DEST-001", at, Enforcement::Deny)]
    );
    let mut inside = bucket.clone();
    inside["spec"]["notification"]["topicConfigurations"][0]["topicARN"] =
        json!(format!("arn:aws:sns:us-west-2:{TRUSTED}:uploads"));
    assert!(dest(&inside).is_empty());
}

/// The log target stays in the source bucket's account (S3 requires it), whatever it is called.
#[test]
fn ack_logging_is_never_a_destination_elsewhere() {
    let bucket = upstream("ack/s3-e2e-bucket_logging.yaml", "Bucket");
    assert!(dest(&bucket).is_empty());
    let mut other = bucket.clone();
    other["spec"]["logging"]["loggingEnabled"]["targetBucket"] = json!("someone-elses-logs");
    assert!(dest(&other).is_empty());
    // The pipeline example's bucket has no destination at all.
    let plain = upstream("ack/examples-event-driven-pipeline-s3.yaml", "Bucket");
    assert!(dest(&plain).is_empty());
}

#[test]
fn upbound_replication_in_every_version_and_scope() {
    for (file, list) in [
        (
            "upbound/s3-cluster-v1beta1-bucketreplicationconfiguration.yaml",
            true,
        ),
        (
            "upbound/s3-cluster-v1beta2-bucketreplicationconfiguration.yaml",
            false,
        ),
        (
            "upbound/gen-s3-cluster-v1beta2-bucketreplicationconfiguration.yaml",
            false,
        ),
        (
            "upbound/s3-namespaced-bucketreplicationconfiguration.yaml",
            false,
        ),
    ] {
        let config = upstream(file, "BucketReplicationConfiguration");
        let at = if list {
            "/spec/forProvider/rule/0/destination/0"
        } else {
            "/spec/forProvider/rule/0/destination"
        };
        assert_eq!(
            dest(&config),
            [finding(
                "DP-REF-001",
                &format!("{at}/bucketSelector"),
                Enforcement::Warn
            )],
            "{file}"
        );
        let with = |account: &str| {
            let mut twin = config.clone();
            let d = twin.pointer_mut(at).unwrap();
            d["bucket"] = json!("arn:aws:s3:::replica");
            d["account"] = json!(account);
            twin
        };
        assert_eq!(
            dest(&with(OUTSIDER)),
            [finding(
                "DP-DEST-001",
                &format!("{at}/account"),
                Enforcement::Deny
            )],
            "{file}"
        );
        assert!(dest(&with(TRUSTED)).is_empty(), "{file}");
    }
}

#[test]
fn upbound_logging_is_outside_only_through_the_source_buckets_owner() {
    for file in [
        "upbound/s3-cluster-v1beta1-bucketlogging.yaml",
        "upbound/s3-cluster-v1beta2-bucketlogging.yaml",
        "upbound/s3-namespaced-bucketlogging.yaml",
    ] {
        let logging = upstream(file, "BucketLogging");
        assert!(dest(&logging).is_empty(), "{file}");
        let mut foreign = logging.clone();
        foreign["spec"]["forProvider"]["expectedBucketOwner"] = json!(OUTSIDER);
        assert_eq!(
            dest(&foreign),
            [finding(
                "DP-DEST-001",
                "/spec/forProvider/expectedBucketOwner",
                Enforcement::Deny
            )],
            "{file}"
        );
        let mut own = logging.clone();
        own["spec"]["forProvider"]["expectedBucketOwner"] = json!(TRUSTED);
        assert!(dest(&own).is_empty(), "{file}");
    }
}

#[test]
fn upbound_notifications_by_selector_and_by_arn() {
    for file in [
        "upbound/s3-cluster-v1beta1-bucketnotification.yaml",
        "upbound/gen-s3-cluster-v1beta1-bucketnotification.yaml",
        "upbound/s3-namespaced-bucketnotification.yaml",
    ] {
        let notification = upstream(file, "BucketNotification");
        let found = dest(&notification);
        assert!(
            !found.is_empty()
                && found
                    .iter()
                    .all(|(id, _, e)| id == "DP-REF-001" && *e == Enforcement::Warn),
            "{file}: {found:?}"
        );
        let mut twin = notification.clone();
        let fp = &mut twin["spec"]["forProvider"];
        fp["topic"] = json!([{"events": ["s3:ObjectRemoved:*"], "topicArn": format!("arn:aws:sns:us-west-1:{OUTSIDER}:t")}]);
        fp["queue"] = json!([{"events": ["s3:ObjectCreated:*"], "queueArn": format!("arn:aws:sqs:us-west-1:{TRUSTED}:q")}]);
        fp["lambdaFunction"] = json!([{"events": ["s3:ObjectCreated:*"], "lambdaFunctionArn": format!("arn:aws:lambda:us-west-1:{OUTSIDER}:function:f")}]);
        assert_eq!(
            dest(&twin),
            [
                finding(
                    "DP-DEST-001",
                    "/spec/forProvider/topic/0/topicArn",
                    Enforcement::Deny
                ),
                finding(
                    "DP-DEST-001",
                    "/spec/forProvider/lambdaFunction/0/lambdaFunctionArn",
                    Enforcement::Deny
                ),
            ],
            "{file}"
        );
    }
}

#[test]
fn upbound_inventory_and_analytics_exports() {
    for (file, kind, at, account) in [
        (
            "upbound/s3-cluster-v1beta1-bucketinventory.yaml",
            "BucketInventory",
            "/spec/forProvider/destination/0/bucket/0",
            "accountId",
        ),
        (
            "upbound/s3-cluster-v1beta2-bucketinventory.yaml",
            "BucketInventory",
            "/spec/forProvider/destination/bucket",
            "accountId",
        ),
        (
            "upbound/gen-s3-cluster-v1beta2-bucketinventory.yaml",
            "BucketInventory",
            "/spec/forProvider/destination/bucket",
            "accountId",
        ),
        (
            "upbound/s3-namespaced-bucketinventory.yaml",
            "BucketInventory",
            "/spec/forProvider/destination/bucket",
            "accountId",
        ),
        (
            "upbound/s3-cluster-v1beta1-bucketanalyticsconfiguration.yaml",
            "BucketAnalyticsConfiguration",
            "/spec/forProvider/storageClassAnalysis/0/dataExport/0/destination/0/s3BucketDestination/0",
            "bucketAccountId",
        ),
        (
            "upbound/s3-cluster-v1beta2-bucketanalyticsconfiguration.yaml",
            "BucketAnalyticsConfiguration",
            "/spec/forProvider/storageClassAnalysis/dataExport/destination/s3BucketDestination",
            "bucketAccountId",
        ),
        (
            "upbound/s3-namespaced-bucketanalyticsconfiguration.yaml",
            "BucketAnalyticsConfiguration",
            "/spec/forProvider/storageClassAnalysis/dataExport/destination/s3BucketDestination",
            "bucketAccountId",
        ),
    ] {
        let object = upstream(file, kind);
        let found = dest(&object);
        assert_eq!(found.len(), 1, "{file}: {found:?}");
        assert_eq!(found[0].0, "DP-REF-001", "{file}");
        assert!(found[0].1.starts_with(at), "{file}: {found:?}");
        let set = |value: Option<&str>| {
            let mut twin = object.clone();
            let d = twin.pointer_mut(at).unwrap();
            d["bucketArn"] = json!("arn:aws:s3:::reports");
            if let Some(v) = value {
                d[account] = json!(v);
            }
            twin
        };
        assert_eq!(
            dest(&set(None)),
            [finding(
                "DP-DEST-002",
                &format!("{at}/bucketArn"),
                Enforcement::Warn
            )],
            "{file}"
        );
        assert_eq!(
            dest(&set(Some(OUTSIDER))),
            [finding(
                "DP-DEST-001",
                &format!("{at}/{account}"),
                Enforcement::Deny
            )],
            "{file}"
        );
        assert!(dest(&set(Some(TRUSTED))).is_empty(), "{file}");
    }
}

/// provider-aws's example bucket replicates to `repl-dest` by reference; its twins name the
/// destination bucket's ARN with an owner outside and inside.
#[test]
fn classic_bucket_replication_by_reference_and_its_twins() {
    let path = common::corpus_root().join("manifests/crossplane-classic/s3-bucket.yaml");
    let bucket = perimeter_guard::yaml::stream_to_json(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .into_iter()
        .find(|d| d["metadata"]["name"] == "test-bucket")
        .unwrap();
    let at = "/spec/forProvider/replicationConfiguration/rules/0/destination";
    assert_eq!(
        dest(&bucket),
        [finding(
            "DP-REF-001",
            &format!("{at}/bucketRef"),
            Enforcement::Warn
        )]
    );
    let with = |account: &str| {
        let mut twin = bucket.clone();
        let d = twin.pointer_mut(at).unwrap();
        d.as_object_mut().unwrap().remove("bucketRef");
        d["bucket"] = json!("arn:aws:s3:::repl-dest");
        d["account"] = json!(account);
        twin
    };
    assert_eq!(
        dest(&with(OUTSIDER)),
        [finding(
            "DP-DEST-001",
            &format!("{at}/account"),
            Enforcement::Deny
        )]
    );
    assert!(dest(&with(TRUSTED)).is_empty());
}
