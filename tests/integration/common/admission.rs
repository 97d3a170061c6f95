//! AdmissionReview requests built from real objects, as the API server sends them.

use serde_json::{Value, json};

pub const UID: &str = "705ab4f5-6393-11e8-b7cc-42010a800002";

/// The AdmissionReview the API server sends for `operation` on `object`.
pub fn review(
    operation: &str,
    object: Option<&Value>,
    old: Option<&Value>,
    dry_run: bool,
) -> Value {
    let source = object.or(old).expect("an object or an old object");
    let api_version = source["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = source["kind"].as_str().unwrap_or_default();
    let mut request = json!({
        "uid": UID,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
        "name": source.pointer("/metadata/name").cloned().unwrap_or(json!("")),
        "operation": operation,
        "userInfo": {"username": "alice@example.com", "groups": ["platform-team", "system:authenticated"]},
        "object": object.cloned(),
        "oldObject": old.cloned(),
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": match operation {
            "CREATE" => "CreateOptions",
            "UPDATE" => "UpdateOptions",
            _ => "DeleteOptions",
        }}
    });
    if let Some(ns) = source.pointer("/metadata/namespace") {
        request["namespace"] = ns.clone();
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

/// The bundled example perimeter, as text.
pub fn example_perimeter() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/examples/dataperimeter.yaml"
    ))
    .expect("the example perimeter")
}

/// Every object in a YAML file of the repository's examples.
pub fn example_objects(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    perimeter_guard::cli::check::manifests::parse(&text, file)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|d| d.value)
        .collect()
}

/// The object of `file` with this name.
pub fn example(file: &str, name: &str) -> Value {
    example_objects(file)
        .into_iter()
        .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("{file} has no object named {name}"))
}

/// The CREATE review of the example public-site bucket (denied), padded to exactly `size` bytes
/// with an annotation no rule reads.
pub fn padded_review(size: usize) -> String {
    let mut object = example("manifests/examples/ack.yaml", "public-site");
    object["metadata"]["annotations"] = json!({"pad": ""});
    let base = review("CREATE", Some(&object), None, false)
        .to_string()
        .len();
    object["metadata"]["annotations"]["pad"] = "x".repeat(size - base).into();
    let body = review("CREATE", Some(&object), None, false).to_string();
    assert_eq!(body.len(), size);
    body
}
