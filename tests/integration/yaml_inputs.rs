//! `perimeter-guard check` reads its files as kubectl reads them: a perimeter or an object written
//! with anchors and YAML merge keys, and saved with a UTF-8 byte-order mark, is decided exactly as
//! its expanded plain version.

use std::path::Path;
use std::process::Command;

use perimeter_guard::yaml::{stream_to_json, to_json};
use serde_json::Value;

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

/// The example perimeter with its endpoint settings merged in from anchored mappings (the first
/// source winning over the second, explicit keys over both), saved with a byte-order mark.
const MERGED_PERIMETER: &str = "\u{feff}# The example perimeter, written with anchors and merge keys.
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata:
  name: corp
spec:
  organizations:
    - id: o-zyx987wvu6
      accounts: [\"210987654321\"]
  identity:
    trustedOrganizations: [o-abc123def4]
    trustedAccounts: [\"111122223333\"]
    trustAwsServicePrincipals: true
  resources:
    awsOwnedResources: [amazon-linux-repositories]
  network:
    allowedVpcEndpoints: [vpce-1a2b3c4d]
    allowedVpcs: &vpcs [vpc-111bbb22]
    allowedSourceIps: [203.0.113.0/24]
  exceptions:
    principalTags:
      - key: dp:exclude:resource
        value: \"true\"
  bucketPolicyMode: Grant
  vpcEndpoints:
    <<:
      - &endpoint-defaults {allowedTypes: [Interface, Gateway], requirePrivateDns: true, allowedVpcs: *vpcs}
      - {allowedTypes: [Interface], allowedServices: [\"com.amazonaws.*.s3\"], allowedSecurityGroups: [sg-0a1b2c3d]}
    allowedServices: [\"com.amazonaws.*.s3\", \"com.amazonaws.*.sts\", \"com.amazonaws.*.ecr.*\"]
  bucketPolicies:
    requireSecureTransport: true
  enforcement: Deny
  match:
    excludeNamespaces: [sandbox]
";

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("read")
}

/// The object of `ack.yaml` named `name`, as the plain example file reads.
fn example(name: &str) -> Value {
    stream_to_json(&repo("manifests/examples/ack.yaml"))
        .expect("YAML")
        .into_iter()
        .find(|o| o["metadata"]["name"] == name)
        .expect(name)
}

/// The example's compliant bucket: its public access block merged from two mappings.
fn merged_compliant(policy: &str) -> String {
    format!(
        "\u{feff}# The example's compliant bucket, its settings merged in.
apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata:
  <<: {{name: another, namespace: analytics}}
  name: reports
spec:
  name: example-reports
  publicAccessBlock:
    <<: [&acls {{blockPublicACLs: true, ignorePublicACLs: true}}, {{blockPublicACLs: false, blockPublicPolicy: true, restrictPublicBuckets: true}}]
  policy: {policy}
"
    )
}

/// The example's public bucket, its open public access block merged in; the marker comes first.
fn merged_violating(policy: &str) -> String {
    format!(
        "\u{feff}---
apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {{name: public-site, namespace: web}}
spec:
  <<: {{name: another-site, publicAccessBlock: {{blockPublicPolicy: true}}}}
  name: example-public-site
  publicAccessBlock:
    <<: [&open {{blockPublicPolicy: false}}, {{blockPublicACLs: true, ignorePublicACLs: true, restrictPublicBuckets: true}}]
  policy: {policy}
"
    )
}

/// What `check` said of one object.
#[derive(Debug)]
struct Decided {
    /// The line its document starts on.
    line: u64,
    decision: String,
    /// Rule and pointer of each finding.
    findings: Vec<String>,
}

/// `check` of one object file: the exit code, and what it said of each object.
fn check(perimeter: &Path, manifest: &Path) -> (Option<i32>, Vec<Decided>) {
    let out = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .arg("--perimeter")
        .arg(perimeter)
        .arg("-f")
        .arg(manifest)
        .args(["--output", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let objects = report["objects"].as_array().expect("objects");
    let objects = objects
        .iter()
        .map(|o| Decided {
            line: o["line"].as_u64().expect("line"),
            decision: o["decision"].as_str().expect("decision").to_owned(),
            findings: (o["findings"].as_array().into_iter().flatten())
                .map(|f| format!("{} {}", f["rule"], f["pointer"]))
                .collect(),
        })
        .collect();
    (out.status.code(), objects)
}

#[test]
fn merge_keys_and_a_byte_order_mark_are_decided_as_the_plain_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain_perimeter = Path::new(env!("CARGO_MANIFEST_DIR")).join(PERIMETER);
    let merged_perimeter = dir.path().join("perimeter.yaml");
    std::fs::write(&merged_perimeter, MERGED_PERIMETER).expect("write");
    assert_eq!(
        stream_to_json(MERGED_PERIMETER).expect("merged"),
        stream_to_json(&repo(PERIMETER)).expect("plain"),
        "the merged perimeter is the example's"
    );

    for (name, merged, exit) in [
        ("reports", merged_compliant as fn(&str) -> String, 0),
        ("public-site", merged_violating, 1),
    ] {
        let object = example(name);
        let policy = serde_json::to_string(&object["spec"]["policy"]).expect("JSON");
        let merged = merged(&policy);
        assert_eq!(to_json(&merged).expect("merged"), object, "{name}");
        let plain_file = dir.path().join(format!("{name}.json"));
        let merged_file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&plain_file, object.to_string()).expect("write");
        std::fs::write(&merged_file, &merged).expect("write");

        let (code, plain) = check(&plain_perimeter, &plain_file);
        assert_eq!(code, Some(exit), "{name}: {plain:?}");
        assert_eq!(plain.len(), 1, "{name}");
        let expected = if exit == 1 { "deny" } else { "allow" };
        assert_eq!(plain[0].decision, expected, "{name}: {plain:?}");
        assert_eq!(plain[0].findings.is_empty(), exit == 0, "{name}: {plain:?}");
        for (perimeter, manifest) in [
            (&plain_perimeter, &merged_file),
            (&merged_perimeter, &plain_file),
            (&merged_perimeter, &merged_file),
        ] {
            let (c, decided) = check(perimeter, manifest);
            assert_eq!(c, code, "{name} {perimeter:?} {manifest:?}");
            // Same decision and findings; the merged object starts after its marker or comment.
            assert_eq!(
                decided[0].decision, plain[0].decision,
                "{name}: {decided:?}"
            );
            assert_eq!(
                decided[0].findings, plain[0].findings,
                "{name}: {decided:?}"
            );
        }
        let (_, decided) = check(&plain_perimeter, &merged_file);
        assert_eq!(decided[0].line, 2, "{name}: the document starts on line 2");
    }
}
