//! AdmissionReview bodies for the benches: every object of the shared corpus's manifests and of
//! the bundled examples that the webhook checks, as the API server would send them (CREATE), plus
//! an UPDATE of each that changes its policy-bearing fields' neighbours (labels) only.

use perimeter_guard::decision::{Verdict, evaluate};
use perimeter_guard::perimeter::DataPerimeter;
use serde_json::{Value, json};

pub struct Review {
    #[allow(dead_code)] // the load bench sends bodies only
    pub name: String,
    pub body: Vec<u8>,
}

fn envelope(operation: &str, object: &Value, old: Option<&Value>) -> Vec<u8> {
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
        let Ok(docs) = perimeter_guard::input::parse(&text, &rel.display().to_string()) else {
            continue;
        };
        for d in docs {
            out.push((format!("{}:{}", rel.display(), d.line), d.value));
        }
    }
    out
}

/// The bundled example perimeter the benches decide with.
#[allow(dead_code)] // not every bench that includes this file decides
pub fn example_perimeters() -> Vec<DataPerimeter> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/examples/dataperimeter.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the example perimeter");
    perimeter_guard::perimeter::load_perimeters(&text, "manifests/examples/dataperimeter.yaml")
        .expect("valid")
}

/// Every checked object (those the webhook's rules would actually route to it).
pub fn all(perimeters: &[DataPerimeter]) -> Vec<Review> {
    let corpus = super::common::corpus_root().join("manifests");
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/examples");
    let mut out = Vec::new();
    for (name, object) in objects(&corpus).into_iter().chain(objects(&examples)) {
        if !matches!(evaluate(&object, perimeters), Verdict::Checked { .. }) {
            continue;
        }
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
