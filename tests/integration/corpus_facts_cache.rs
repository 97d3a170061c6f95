//! The decision cache's keys leave out only what nothing reads: every checked object of the
//! corpus and of the examples, resent the way controllers and GitOps tools resend it (new
//! resourceVersion, generation, managedFields, annotations, labels no perimeter selects on, a
//! status), is answered from the facts of its first evaluation with exactly the findings a
//! fresh evaluation gives it; and the text of its read parts, which keys the cache before any
//! adapting, stays the same only where what the adapters see stays the same.

use perimeter_guard::decision::{FactsCache, ObjectVerdict, evaluate, evaluate_with};
use perimeter_guard::perimeter::load_perimeters;
use perimeter_guard::resources::{READ_ANNOTATIONS, adapt, read_parts};
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

fn objects() -> Vec<(String, Value)> {
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
    objects
}

#[test]
fn every_resent_object_is_answered_by_its_facts_with_the_fresh_findings() {
    let perimeters = load_perimeters(&common::admission::example_perimeter(), "example")
        .expect("the example perimeter");
    let objects = objects();
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

/// The object as a controller resends it, changing only what [`read_parts`] leaves out: the
/// server's bookkeeping, the status, and every string annotation no adapter reads (each one the
/// object has, and one more where it has annotations: an object that gains its first one has a
/// mapping it had not, and is read afresh).
fn resent_unread(object: &Value) -> Value {
    let mut o = reconciled(object);
    let metadata = o["metadata"].as_object_mut().expect("a mapping");
    for kept in ["labels", "annotations"] {
        match object["metadata"].get(kept) {
            Some(v) if kept == "labels" => {
                metadata.insert(kept.into(), v.clone());
            }
            Some(_) => {}
            None => {
                metadata.remove(kept);
            }
        }
    }
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        for (k, v) in annotations.iter_mut() {
            if let Some(text) = v.as_str()
                && !READ_ANNOTATIONS.contains(&k.as_str())
            {
                *v = json!(format!("{text}-resent"));
            }
        }
    }
    o["status"] = json!({"atProvider": {"arn": "arn:aws:s3:::resent"},
        "ackResourceMetadata": {"ownerAccountID": "999999999999"}});
    o
}

/// What the read parts leave out is nothing an adapter reads: for every object of the corpus and
/// the examples, a resend that changes only those parts has the same read parts and adapts to
/// exactly the same subjects and notes; changing a read annotation changes the read parts.
#[test]
fn unread_parts_never_change_what_adapters_see() {
    let mut compared = 0;
    for (at, object) in objects() {
        // A fragment without metadata is no object a controller resends.
        if !object["metadata"].is_object() {
            continue;
        }
        let resent = resent_unread(&object);
        let text = |v: &Value| read_parts(&v.to_string()).map(String::from_utf8);
        let first = text(&object).expect("an object").expect("UTF-8");
        assert_eq!(
            text(&resent).expect("an object").expect("UTF-8"),
            first,
            "{at}: a resend changing only unread parts has other read parts"
        );
        assert_eq!(
            adapt(&resent),
            adapt(&object),
            "{at}: a part the read parts leave out changes what the adapters see"
        );
        for name in READ_ANNOTATIONS {
            let mut changed = object.clone();
            changed["metadata"]["annotations"][*name] = json!("changed");
            assert_ne!(
                text(&changed).expect("an object").expect("UTF-8"),
                first,
                "{at}: {name}"
            );
        }
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} objects compared");
}
