//! AdmissionReview bodies for the benches: every object of the shared corpus's manifests and of
//! the bundled examples that the webhook checks, as the API server would send them (CREATE), plus
//! an UPDATE of each that changes its policy-bearing fields' neighbours (labels) only.

use perimeter_guard::decision::{ObjectVerdict, evaluate};
use perimeter_guard::perimeter::DataPerimeter;
use serde_json::{Value, json};

pub struct Review {
    #[allow(dead_code)] // the load bench sends bodies only
    pub name: String,
    pub body: Vec<u8>,
}

/// The AdmissionReview the API server sends for `operation` on `object`.
pub fn envelope(operation: &str, object: &Value, old: Option<&Value>) -> Vec<u8> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = object["kind"].as_str().unwrap_or_default();
    let mut request = json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
        "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("")),
        "operation": operation,
        "userInfo": {"username": "system:serviceaccount:crossplane-system:crossplane", "groups": ["system:serviceaccounts"]},
        "object": object,
        "oldObject": old,
        "dryRun": false
    });
    if let Some(ns) = object.pointer("/metadata/namespace") {
        request["namespace"] = ns.clone();
    }
    serde_json::to_vec(&json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}))
        .expect("serialisable")
}

fn objects(dir: &std::path::Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for rel in super::common::files_below(dir, "yaml") {
        let Ok(text) = std::fs::read_to_string(dir.join(&rel)) else {
            continue;
        };
        let Ok(docs) =
            perimeter_guard::cli::check::manifests::parse(&text, &rel.display().to_string())
        else {
            continue;
        };
        for d in docs {
            out.push((format!("{}:{}", rel.display(), d.line), d.value));
        }
    }
    out
}

/// The repository's root: this file is compiled into the root crate's benches and into the load
/// bench's crate (`benches/load`), whose manifest directory is two levels down.
fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("manifests/examples/dataperimeter.yaml").is_file())
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
        .to_path_buf()
}

/// The bundled example perimeter the benches decide with.
#[allow(dead_code)] // not every bench that includes this file decides
pub fn example_perimeters() -> Vec<DataPerimeter> {
    let path = repository_root().join("manifests/examples/dataperimeter.yaml");
    let text = std::fs::read_to_string(path).expect("the example perimeter");
    perimeter_guard::perimeter::load_perimeters(&text, "manifests/examples/dataperimeter.yaml")
        .expect("valid")
}

/// One statement of a compliant policy: the organisation's principals through the allowed
/// endpoint, on one bucket's objects.
fn org_statement(i: usize, bucket: &str) -> Value {
    json!({
        "Sid": format!("OrgAccess{i}"), "Effect": "Allow", "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": format!("arn:aws:s3:::{bucket}/team-{i}/*"),
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4",
            "aws:ResourceOrgID": "o-abc123def4", "aws:SourceVpce": "vpce-1a2b3c4d"}}
    })
}

/// The statement a compliant bucket policy ends with.
fn deny_plain_http(bucket: &str) -> Value {
    json!({"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

/// A policy text of about `size` bytes (bucket policies at least about 600): org-only statements, and for a violating one a last
/// statement open to anyone.
fn sized_policy(size: usize, bucket: &str, for_bucket: bool, violating: bool) -> String {
    let mut statements = Vec::new();
    if for_bucket {
        statements.push(deny_plain_http(bucket));
    }
    let mut text = String::new();
    for i in 0.. {
        statements.push(org_statement(i, bucket));
        text = serde_json::to_string(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("serialisable");
        if text.len() + 150 >= size {
            break;
        }
    }
    if violating {
        statements.push(
            json!({"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/public/*")}),
        );
        text = serde_json::to_string(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("serialisable");
    }
    text
}

/// Our own fixtures: ACK bucket and endpoint policies from about 300 B to 20 KB, compliant and
/// violating.
fn sized_fixtures() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for size in [300, 1_000, 4_000, 20_000] {
        for violating in [false, true] {
            let tag = format!(
                "{size}-{}",
                if violating { "violating" } else { "compliant" }
            );
            let bucket = format!("fixture-{tag}");
            out.push((
                format!("fixture/bucket-{tag}"),
                json!({
                    "apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
                    "metadata": {"name": bucket, "namespace": "analytics"},
                    "spec": {"name": bucket, "policy": sized_policy(size, &bucket, true, violating),
                        "publicAccessBlock": {"blockPublicACLs": true, "ignorePublicACLs": true,
                            "blockPublicPolicy": true, "restrictPublicBuckets": true}}
                }),
            ));
            out.push((format!("fixture/endpoint-{tag}"), json!({
                "apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
                "metadata": {"name": format!("s3-{tag}"), "namespace": "network"},
                "spec": {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway",
                    "vpcID": "vpc-111bbb22", "routeTableIDs": ["rtb-0a1b2c3d"],
                    "policyDocument": sized_policy(size, "example-reports", false, violating)}
            })));
        }
    }
    out
}

/// Every checked object (those the webhook's rules would actually route to it), named by where it
/// came from: the shared corpus's manifests, the bundled examples and the sized fixtures.
pub fn checked_objects(perimeters: &[DataPerimeter]) -> Vec<(String, Value)> {
    let corpus = super::common::corpus_root_if_present().map(|root| root.join("manifests"));
    let examples = repository_root().join("manifests/examples");
    corpus
        .iter()
        .flat_map(|c| objects(c))
        .chain(objects(&examples))
        .chain(sized_fixtures())
        .filter(|(_, object)| matches!(evaluate(object, perimeters), ObjectVerdict::Checked { .. }))
        .collect()
}

/// A CREATE of every checked object, and an UPDATE of each that changes a label only.
pub fn all(perimeters: &[DataPerimeter]) -> Vec<Review> {
    let mut out = Vec::new();
    for (name, object) in checked_objects(perimeters) {
        let mut relabelled = object.clone();
        relabelled["metadata"]["labels"]["team"] = json!("data");
        out.push(Review {
            name: format!("create/{name}"),
            body: envelope("CREATE", &object, None),
        });
        out.push(Review {
            name: format!("update/{name}"),
            body: envelope("UPDATE", &relabelled, Some(&object)),
        });
    }
    out
}
