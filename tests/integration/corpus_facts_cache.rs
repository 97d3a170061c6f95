//! The decision cache's facts key leaves out only what no rule reads: every checked object of
//! the corpus and of the examples, resent the way controllers and GitOps tools resend it (new
//! resourceVersion, generation, managedFields, annotations, labels no perimeter selects on, a
//! status), is answered from the facts of its first evaluation with exactly the findings a
//! fresh evaluation gives it.

use perimeter_guard::decision::{FactsCache, ObjectVerdict, evaluate, evaluate_with};
use perimeter_guard::perimeter::load_perimeters;
use serde_json::{Value, json};

use crate::common;

fn reconciled(object: &Value) -> Value {
    let mut o = object.clone();
    let metadata = o
        .as_object_mut()
        .expect("a mapping")
        .entry("metadata")
        .or_insert_with(|| json!({}));
    metadata["resourceVersion"] = json!("987654");
    metadata["generation"] = json!(7);
    metadata["uid"] = json!("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
    metadata["managedFields"] = json!([{"manager": "argocd-controller", "operation": "Apply",
        "time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]);
    let mut annotations = metadata["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    annotations.insert(
        "argocd.argoproj.io/tracking-id".into(),
        json!("platform:apps/x"),
    );
    metadata["annotations"] = Value::Object(annotations);
    let mut labels = metadata["labels"].as_object().cloned().unwrap_or_default();
    labels.insert("app.kubernetes.io/version".into(), json!("v2"));
    metadata["labels"] = Value::Object(labels);
    o["status"] = json!({"conditions": [{"type": "Synced", "status": "True"}]});
    o
}

#[test]
fn every_resent_object_is_answered_by_its_facts_with_the_fresh_findings() {
    let perimeters = load_perimeters(&common::admission::example_perimeter(), "example")
        .expect("the example perimeter");
    let mut objects: Vec<(String, Value)> = Vec::new();
    let corpus = common::corpus_root().join("manifests");
    for path in common::corpus::files_below(&corpus, "yaml") {
        let text = std::fs::read_to_string(corpus.join(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Ok(docs) = perimeter_guard::yaml::stream_to_json(&text) else {
            continue;
        };
        for (i, d) in docs.into_iter().enumerate() {
            objects.push((format!("{}[{i}]", path.display()), d));
        }
    }
    for file in ["ack", "crossplane-classic", "upbound"] {
        for (i, d) in common::admission::example_objects(&format!("manifests/examples/{file}.yaml"))
            .into_iter()
            .enumerate()
        {
            objects.push((format!("{file}[{i}]"), d));
        }
    }
    let cache = FactsCache::new(64 << 20);
    let mut checked = 0;
    for (at, object) in &objects {
        if !object.is_object() {
            continue;
        }
        // The first evaluation fills the cache (the corpus holds some objects twice, so it may
        // already be a hit).
        let (first, _) = evaluate_with(object, &perimeters, Some((&cache, 1)));
        if !matches!(first, ObjectVerdict::Checked { .. }) {
            continue;
        }
        let resent = reconciled(object);
        let (cached, hit) = evaluate_with(&resent, &perimeters, Some((&cache, 1)));
        assert!(
            hit,
            "{at}: resent with new metadata, yet not answered by its facts"
        );
        let fresh = evaluate(&resent, &perimeters);
        match (&cached, &fresh) {
            (
                ObjectVerdict::Checked {
                    findings: a,
                    decision: da,
                    perimeters: pa,
                    ..
                },
                ObjectVerdict::Checked {
                    findings: b,
                    decision: db,
                    perimeters: pb,
                    ..
                },
            ) => {
                assert_eq!(a, b, "{at}");
                assert_eq!((da, pa), (db, pb), "{at}");
            }
            other => panic!("{at}: {other:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} checked objects");
}
