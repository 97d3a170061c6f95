use serde_json::{Value, json};

use super::*;

fn object() -> Value {
    json!({
        "apiVersion": "s3.aws.upbound.io/v1beta1",
        "kind": "BucketPolicy",
        "metadata": {
            "name": "data",
            "labels": {"team": "red"},
            "annotations": {
                "crossplane.io/external-name": "data",
                "example.com/last-reconcile": "1",
            },
            "resourceVersion": "1",
            "generation": 1,
            "uid": "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
            "creationTimestamp": "2026-12-06T10:00:00Z",
            "managedFields": [{"manager": "crossplane", "time": "2026-12-06T10:00:00Z"}],
        },
        "spec": {"forProvider": {"policy": "{}"}},
        "status": {"conditions": [{"type": "Synced", "status": "True"}]},
    })
}

fn parts(v: &Value) -> String {
    String::from_utf8(read_parts(&v.to_string()).expect("an object")).expect("UTF-8")
}

fn with(pointer: &str, value: Value) -> Value {
    let mut v = object();
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    v.pointer_mut(parent).expect("the parent")[last.as_str()] = value;
    v
}

#[test]
fn bookkeeping_status_and_unread_annotations_are_left_out() {
    let first = parts(&object());
    for resent in [
        with("/metadata/resourceVersion", json!("2")),
        with("/metadata/generation", json!(2)),
        with("/metadata/uid", json!("another")),
        with("/metadata/creationTimestamp", json!("2026-12-07T00:00:00Z")),
        with("/metadata/managedFields", json!([])),
        with(
            "/metadata/annotations/example.com~1last-reconcile",
            json!("2"),
        ),
        with(
            "/metadata/annotations/argocd.argoproj.io~1tracking-id",
            json!("x"),
        ),
        with("/status", json!({"atProvider": {}})),
    ] {
        assert_eq!(parts(&resent), first, "{resent}");
    }
    let text = first;
    assert!(
        !text.contains("resourceVersion") && !text.contains("last-reconcile"),
        "{text}"
    );
    assert!(
        !text.contains("status") && !text.contains("managedFields"),
        "{text}"
    );
}

#[test]
fn everything_an_adapter_or_a_selector_may_read_is_kept() {
    let first = parts(&object());
    for changed in [
        with(
            "/spec/forProvider/policy",
            json!("{\"Version\":\"2012-10-17\"}"),
        ),
        with("/metadata/name", json!("other")),
        with("/metadata/namespace", json!("team-a")),
        with("/metadata/labels/team", json!("blue")),
        with(
            "/metadata/annotations/crossplane.io~1external-name",
            json!("other"),
        ),
        with(
            "/metadata/annotations/services.k8s.aws~1region",
            json!("eu-west-1"),
        ),
        // Not a string: the shape check reports it, so it stays.
        with(
            "/metadata/annotations/example.com~1last-reconcile",
            json!(2),
        ),
        with("/kind", json!("Bucket")),
    ] {
        assert_ne!(parts(&changed), first, "{changed}");
    }
}

#[test]
fn order_escapes_and_duplicates_stay_as_written() {
    let a = r#"{"kind":"B","spec":{"x":1},"metadata":{"name":"a\u002fb","resourceVersion":"1"}}"#;
    let b = r#"{"spec":{"x":1},"kind":"B","metadata":{"name":"a\u002fb","resourceVersion":"2"}}"#;
    assert_ne!(
        read_parts(a),
        read_parts(b),
        "another order is another text"
    );
    let text = String::from_utf8(read_parts(a).expect("an object")).expect("UTF-8");
    assert_eq!(
        text,
        r#"{"kind":"B","spec":{"x":1},"metadata":{"name":"a\u002fb"}}"#
    );
    // A name given twice keeps the object's text whole at that level: the tree holds the last
    // value, which leaving out one of them could hide.
    let twice = r#"{"kind":"A","kind":"B","metadata":{"resourceVersion":"1"}}"#;
    assert_eq!(read_parts(twice).as_deref(), Some(twice.as_bytes()));
    let annotated_twice = r#"{"metadata":{"annotations":{"x":5,"x":"s"},"uid":"1"}}"#;
    assert_eq!(
        String::from_utf8(read_parts(annotated_twice).expect("an object")).expect("UTF-8"),
        r#"{"metadata":{"annotations":{"x":5,"x":"s"}}}"#
    );
    let escaped_key = r#"{"metadata":{"annotations":{"crossplane.io\/external-name":"x"}}}"#;
    assert!(
        String::from_utf8(read_parts(escaped_key).expect("an object"))
            .expect("UTF-8")
            .contains(r#""crossplane.io/external-name":"x""#),
        "a read annotation is known by its decoded name"
    );
}

#[test]
fn what_is_no_object_has_no_read_parts() {
    for text in ["[]", "\"x\"", "{", "{\"a\":}", ""] {
        assert_eq!(read_parts(text), None, "{text}");
    }
    let odd = r#"{"metadata":[1],"status":1}"#;
    assert_eq!(
        read_parts(odd).as_deref(),
        Some(br#"{"metadata":[1]}"#.as_slice())
    );
    let odd_annotations = r#"{"metadata":{"annotations":"x"}}"#;
    assert_eq!(
        read_parts(odd_annotations).as_deref(),
        Some(odd_annotations.as_bytes())
    );
}
