use serde_json::{Value, json};

use super::*;
use crate::decision::evaluate_excepted;
use crate::perimeter::exception::{Exceptions, ExpiryLimits, load_exceptions};
use crate::perimeter::load_perimeters;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every object of the bundled examples, decided against the example perimeter, with an
/// exception waiving the Bucket `analytics/uploads`'s only finding.
fn scanned() -> Vec<Scanned> {
    let perimeters =
        load_perimeters(&read("manifests/examples/dataperimeter.yaml"), "example").unwrap();
    let now: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let exceptions = Exceptions::new(
        load_exceptions(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: PerimeterException\nmetadata: {name: uploads-partner}\nspec:\n  owner: data-platform@example.com\n  reason: ticket SEC-1234\n  expiresAt: \"2027-02-01T00:00:00Z\"\n  rules: [DP-DEST-001]\n  match: {namespaces: [analytics], names: [uploads]}\n",
            "e",
            ExpiryLimits { now, max_days: 90 },
        )
        .unwrap(),
    );
    let mut out = Vec::new();
    for file in ["ack", "crossplane-classic", "upbound"] {
        let text = read(&format!("manifests/examples/{file}.yaml"));
        for doc in crate::yaml::stream_to_json(&text).unwrap() {
            if doc.is_null() {
                continue;
            }
            let mut doc = doc;
            if doc["metadata"]["name"] == "public-site" {
                doc["status"] =
                    json!({"ackResourceMetadata": {"arn": "arn:aws:s3:::example-public-site"}});
            }
            out.push(Scanned {
                api_version: doc["apiVersion"].as_str().unwrap_or("").into(),
                kind: doc["kind"].as_str().unwrap_or("").into(),
                namespace: doc["metadata"]["namespace"].as_str().map(str::to_owned),
                name: doc["metadata"]["name"].as_str().unwrap_or("").into(),
                uid: String::new(),
                aws_arn: crate::audit::scan::recorded_arn(&doc),
                verdict: evaluate_excepted(&doc, &perimeters, &exceptions, now),
            });
        }
    }
    out
}

fn target(now: &str) -> ImportTarget {
    ImportTarget {
        account_id: "111122223333".into(),
        region: "eu-west-1".into(),
        cluster: "prod-eu".into(),
        config_hash: "26adec6be072aefc".into(),
        now: now.into(),
    }
}

const NOW: &str = "2027-01-01T00:00:00Z";

fn string<'a>(f: &'a Value, key: &str) -> &'a str {
    f[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {f}"))
}

/// The attributes Security Hub requires of every finding ("Required top-level ASFF attributes"),
/// and the limits its API reference gives them.
#[track_caller]
fn assert_valid(f: &Value) {
    assert_eq!(f["SchemaVersion"], SCHEMA_VERSION);
    let id = string(f, "Id");
    assert!(!id.is_empty() && id.chars().count() <= 512, "{id}");
    let account = string(f, "AwsAccountId");
    assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        string(f, "ProductArn"),
        format!("arn:aws:securityhub:eu-west-1:{account}:product/{account}/default")
    );
    let generator = string(f, "GeneratorId");
    assert!(generator.starts_with("DP-") && generator.len() <= 512);
    let types = f["Types"].as_array().expect("Types");
    assert!(!types.is_empty() && types.len() <= 50);
    for t in types {
        let parts: Vec<&str> = t.as_str().unwrap().split('/').collect();
        assert_eq!(parts.len(), 3, "namespace/category/classifier: {t}");
        assert!(
            [
                "Software and Configuration Checks",
                "TTPs",
                "Effects",
                "Unusual Behaviors",
                "Sensitive Data Identifications"
            ]
            .contains(&parts[0]),
            "{t}"
        );
    }
    for key in ["CreatedAt", "UpdatedAt"] {
        string(f, key)
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    assert!(
        ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
            .contains(&f["Severity"]["Label"].as_str().unwrap()),
        "{f}"
    );
    let title = string(f, "Title");
    assert!(!title.is_empty() && title.chars().count() <= 256);
    let description = string(f, "Description");
    assert!(!description.is_empty() && description.chars().count() <= 1024);
    let resources = f["Resources"].as_array().expect("Resources");
    assert!(!resources.is_empty() && resources.len() <= 32);
    for r in resources {
        assert!(
            !string(r, "Type").is_empty() && !string(r, "Id").is_empty(),
            "{r}"
        );
    }
    let fields = f["ProductFields"].as_object().expect("ProductFields");
    assert!(fields.len() <= 50);
    for (k, v) in fields {
        assert!(k.chars().count() <= 128 && v.as_str().unwrap().chars().count() <= 2048);
    }
    assert!(
        ["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"]
            .contains(&f["Compliance"]["Status"].as_str().unwrap())
    );
    assert!(["ACTIVE", "ARCHIVED"].contains(&string(f, "RecordState")));
    assert!(
        string(&f["Remediation"]["Recommendation"], "Text")
            .chars()
            .count()
            <= 512
    );
}

#[test]
fn every_finding_has_every_required_attribute_within_its_limits() {
    let scanned = scanned();
    let all = findings(&scanned, &target(NOW), &[]);
    let expected: usize = scanned
        .iter()
        .map(|o| match &o.verdict {
            ObjectVerdict::Checked { findings, .. } => findings.len(),
            ObjectVerdict::Skipped { .. } => 0,
        })
        .sum();
    assert!(expected > 20, "{expected}");
    assert_eq!(all.len(), expected, "one ASFF finding per finding");
    for f in &all {
        assert_valid(f);
        assert_eq!(f["ProductFields"]["perimeterguard.io/cluster"], "prod-eu");
        assert_eq!(
            f["ProductFields"]["perimeterguard.io/config-hash"],
            "26adec6be072aefc"
        );
        assert_eq!(f["Resources"][0]["Details"]["Other"]["cluster"], "prod-eu");
    }
    // The object, and its AWS resource when the controller recorded its ARN.
    let public = all
        .iter()
        .find(|f| f["Resources"][0]["Details"]["Other"]["name"] == "public-site")
        .unwrap();
    assert_eq!(
        public["Resources"][1],
        json!({"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::example-public-site", "Partition": "aws", "Region": "eu-west-1"})
    );
    assert_eq!(
        public["Resources"][0]["Id"],
        "k8s://prod-eu/s3.services.k8s.aws/v1alpha1/Bucket/web/public-site"
    );
    // A reasoner finding carries its witness.
    assert!(
        public["ProductFields"]["perimeterguard.io/witness"]
            .as_str()
            .is_some_and(|w| w.starts_with('{')),
        "{public}"
    );
}

#[test]
fn severity_and_workflow_follow_enforcement_and_exceptions() {
    let all = findings(&scanned(), &target(NOW), &[]);
    let by_rule = |name: &str, rule: &str| {
        all.iter()
            .find(|f| {
                f["Resources"][0]["Details"]["Other"]["name"] == name && f["GeneratorId"] == rule
            })
            .unwrap_or_else(|| panic!("{name} {rule}"))
            .clone()
    };
    let denied = by_rule("public-site", "DP-BP-001");
    assert_eq!(
        (
            &denied["Severity"]["Label"],
            &denied["Compliance"]["Status"],
            &denied["Workflow"]["Status"]
        ),
        (&json!("HIGH"), &json!("FAILED"), &json!("NEW"))
    );
    let waived = by_rule("uploads", "DP-DEST-001");
    assert_eq!(waived["Severity"]["Label"], "INFORMATIONAL");
    assert_eq!(waived["Workflow"]["Status"], "SUPPRESSED");
    assert_eq!(
        waived["ProductFields"]["perimeterguard.io/exception"],
        "uploads-partner"
    );
    assert!(waived["Note"]["Text"].as_str().unwrap().starts_with(
        "waived by PerimeterException uploads-partner (owner data-platform@example.com"
    ));
}

#[test]
fn ids_are_stable_across_runs_and_unique_within_one() {
    let first = findings(&scanned(), &target(NOW), &[]);
    let again = findings(&scanned(), &target("2027-01-01T01:00:00Z"), &[]);
    let ids = |all: &[Value]| -> Vec<String> {
        all.iter()
            .map(|f| f["Id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), ids(&again));
    let unique: BTreeSet<String> = ids(&first).into_iter().collect();
    assert_eq!(unique.len(), first.len(), "two findings share an Id");
    // Another cluster, other Ids.
    let elsewhere = ImportTarget {
        cluster: "prod-us".into(),
        ..target(NOW)
    };
    assert!(
        ids(&findings(&scanned(), &elsewhere, &[]))
            .iter()
            .all(|id| !unique.contains(id))
    );
}

#[test]
fn findings_gone_since_the_previous_run_are_archived_and_the_rest_keep_their_creation() {
    let before = findings(&scanned(), &target(NOW), &[]);
    let mut fewer = scanned();
    fewer.retain(|o| o.name != "public-site");
    let later = "2027-01-02T00:00:00Z";
    let after = findings(&fewer, &target(later), &before);
    let archived: Vec<&Value> = after
        .iter()
        .filter(|f| f["RecordState"] == "ARCHIVED")
        .collect();
    let gone = before
        .iter()
        .filter(|f| f["Resources"][0]["Details"]["Other"]["name"] == "public-site")
        .count();
    assert!(gone > 0);
    assert_eq!(archived.len(), gone);
    for f in &archived {
        assert_valid(f);
        assert_eq!(f["UpdatedAt"], later);
    }
    for f in after.iter().filter(|f| f["RecordState"] == "ACTIVE") {
        assert_eq!(f["CreatedAt"], NOW, "kept from the previous run");
        assert_eq!(f["UpdatedAt"], later);
    }
    // Archived once: the run after that does not send them again.
    let then = findings(&fewer, &target("2027-01-03T00:00:00Z"), &after);
    assert_eq!(
        then.iter()
            .filter(|f| f["RecordState"] == "ARCHIVED")
            .count(),
        0
    );
}

#[test]
fn calls_hold_at_most_one_hundred_findings_and_read_back_as_written() {
    let one = findings(&scanned(), &target(NOW), &[]);
    let many: Vec<Value> = (0..250).map(|i| one[i % one.len()].clone()).collect();
    let sizes: Vec<usize> = batches(&many).map(<[Value]>::len).collect();
    assert_eq!(sizes, [100, 100, 50]);
    let lines: String = batches(&many)
        .map(|b| serde_json::to_string(b).unwrap() + "\n")
        .collect();
    assert_eq!(read_previous(&lines).unwrap(), many);
    assert_eq!(read_previous("{\"Id\": 1}\n").unwrap_err().line, 1);
}
