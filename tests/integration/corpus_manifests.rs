//! Every document of the shared corpus of real manifests is adapted or skipped with a reason,
//! exactly as the corpus index says its kind is (or is not) one the webhook checks.

use crate::common;

use perimeter_guard::resources::{Adapted, Subject, adapt, checked_kinds};
use serde_json::Value;

fn documents(text: &str) -> Vec<Value> {
    perimeter_guard::yaml::stream_to_json(text).expect("the corpus is valid YAML")
}

#[test]
fn every_manifest_is_adapted_or_skipped_as_indexed() {
    let dir = common::corpus_root().join("manifests");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index"))
            .expect("json");
    let kinds = checked_kinds();
    let mut checked = 0;
    let mut subjects = 0;
    for entry in index.as_array().expect("a list") {
        let file = entry["file"].as_str().expect("file");
        let docs = documents(
            &std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}")),
        );
        for d in entry["documents"].as_array().expect("documents") {
            let i = d["index"].as_u64().expect("index") as usize;
            let doc = &docs[i];
            let api = d["apiVersion"].as_str().unwrap_or_default();
            let kind = d["kind"].as_str().unwrap_or_default();
            let (group, version) = api.split_once('/').unwrap_or(("", api));
            let expected = kinds
                .iter()
                .any(|k| k.group == group && k.kind == kind && k.versions.contains(&version));
            match adapt(doc) {
                Adapted::Checked {
                    subjects: s,
                    object,
                    ..
                } => {
                    // A Composition is read by `check` for the parts no static check can read;
                    // the webhook registers no Composition.
                    if group == "apiextensions.crossplane.io" && kind == "Composition" {
                        continue;
                    }
                    assert!(expected, "{file}[{i}] {api} {kind} was checked");
                    assert_eq!(object.kind, kind);
                    checked += 1;
                    subjects += s.len();
                }
                Adapted::Skipped { reason, .. } => {
                    assert!(
                        !expected || d["name"].is_null(),
                        "{file}[{i}] {api} {kind} skipped: {reason}"
                    );
                    assert!(!reason.is_empty());
                }
            }
        }
    }
    assert!(checked >= 40, "{checked} checked documents");
    // A bucket without a policy or access-block settings carries no perimeter fact.
    assert!(
        subjects * 10 >= checked * 9,
        "{subjects} facts from {checked} documents"
    );
}

#[test]
fn fragments_are_not_objects() {
    let dir = common::corpus_root().join("manifests/fragments");
    for file in common::files_below(&dir, "yaml") {
        for doc in documents(&std::fs::read_to_string(dir.join(&file)).expect("read")) {
            match adapt(&doc) {
                Adapted::Skipped { reason, .. } => assert!(
                    reason.contains("not a Kubernetes object"),
                    "{}: {reason}",
                    file.display()
                ),
                other => panic!("{}: {other:?}", file.display()),
            }
        }
    }
}

#[test]
fn crossplane_classic_examples_carry_structured_policies() {
    let dir = common::corpus_root().join("manifests/crossplane-classic");
    let mut structured = 0;
    for file in common::files_below(&dir, "yaml") {
        for doc in documents(&std::fs::read_to_string(dir.join(&file)).expect("read")) {
            if let Adapted::Checked { subjects, .. } = adapt(&doc) {
                for s in subjects {
                    if let Subject::BucketPolicy(bp) = s
                        && matches!(
                            bp.change,
                            perimeter_guard::resources::BucketPolicyChange::Set(
                                perimeter_guard::resources::PolicySource::Structured { .. }
                            )
                        )
                    {
                        structured += 1;
                    }
                }
            }
        }
    }
    assert!(structured >= 1, "{structured}");
}

/// Through the whole pipeline: every real manifest gets a verdict; templates whose policies
/// hold placeholders are malformed policies, never crashes.
#[test]
fn every_manifest_gets_a_verdict_and_templates_are_malformed_policies() {
    use perimeter_guard::decision::{ObjectVerdict, evaluate};
    use perimeter_guard::perimeter::load_perimeters;
    let perimeter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/examples/dataperimeter.yaml"
    ))
    .expect("example perimeter");
    let perimeters =
        load_perimeters(&perimeter, "manifests/examples/dataperimeter.yaml").expect("valid");
    let dir = common::corpus_root().join("manifests");
    let (mut checked, mut malformed) = (0, 0);
    for file in common::files_below(&dir, "yaml") {
        let text = std::fs::read_to_string(dir.join(&file)).expect("read");
        for doc in perimeter_guard::cli::check::manifests::parse(&text, &file.to_string_lossy())
            .expect("the corpus parses as YAML")
        {
            match evaluate(&doc.value, &perimeters) {
                ObjectVerdict::Skipped { reason, .. } => assert!(!reason.is_empty()),
                ObjectVerdict::Checked { findings, .. } => {
                    checked += 1;
                    let policy_text = doc.value.to_string();
                    let invalid = findings
                        .iter()
                        .any(|f| f.rule.id == "DP-EP-004" || f.rule.id == "DP-BP-005");
                    if invalid {
                        malformed += 1;
                    }
                    let templated_policy = ["\\\"Resource\\\":\\\"arn:aws:s3:::$", "<bucket name>"]
                        .iter()
                        .any(|p| policy_text.contains(p));
                    if templated_policy {
                        assert!(
                            invalid,
                            "{}: a templated policy must be reported malformed: {findings:?}",
                            file.display()
                        );
                    }
                }
            }
        }
    }
    assert!(checked >= 40, "{checked}");
    assert!(malformed >= 1, "{malformed}");
}
