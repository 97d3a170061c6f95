//! PerimeterExceptions at admission: judged at the instant of each answer (never cached), named
//! in the answer, and validated by the webhook itself before they exist.

use super::*;
use crate::perimeter::exception::{Exceptions, ExpiryLimits, load_exceptions};

fn at(t: &str) -> jiff::Timestamp {
    t.parse().unwrap()
}

const EXCEPTION: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: PerimeterException
metadata: {name: open-endpoint-migration}
spec:
  owner: network-team@example.com
  reason: endpoint replaced in ticket NET-77
  expiresAt: "2027-01-31T00:00:00Z"
  rules: [DP-EP-001]
  match: {kinds: [VPCEndpoint], namespaces: [team], names: [open]}
"#;

fn with_exception(now: &str) -> Settings {
    let list = load_exceptions(
        EXCEPTION,
        "exceptions.yaml",
        ExpiryLimits {
            now: at("2027-01-01T00:00:00Z"),
            max_days: 90,
        },
    )
    .unwrap();
    Settings {
        exceptions: Arc::new(Exceptions::new(list)),
        clock: Clock::Fixed(at(now)),
        ..settings()
    }
}

/// An endpoint without a policy: DP-EP-001, Deny.
fn open_endpoint(name: &str) -> Value {
    endpoint(name, json!({"serviceName": "com.amazonaws.us-east-1.s3"}))
}

#[test]
fn an_exception_admits_with_a_warning_naming_it_until_it_expires() {
    let cache = DecisionCache::new(1 << 20);
    let b = body("CREATE", Some(open_endpoint("open")), None, false, &[]);
    let perimeters = perimeters(PERIMETER);
    let r = review_with(
        &b,
        &perimeters,
        &with_exception("2027-01-30T23:59:59Z"),
        &cache,
    )
    .unwrap();
    let answer = response(&r);
    assert_eq!(answer["allowed"], true, "{answer}");
    assert_eq!(r.decision, "allow");
    assert!(
        r.rules.is_empty(),
        "a waived finding is not enforced: {:?}",
        r.rules
    );
    let warning = answer["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("DP-EP-001 waived by PerimeterException open-endpoint-migration (owner network-team@example.com, expires 2027-01-31T00:00:00Z): /spec/policyDocument: "),
        "{warning}"
    );
    assert_eq!(
        answer["auditAnnotations"]["waived"],
        "DP-EP-001=open-endpoint-migration"
    );

    // The same object, the same configuration and cache entry, one second later: the exception
    // has expired and waives nothing.
    let r = review_with(
        &b,
        &perimeters,
        &with_exception("2027-01-31T00:00:00Z"),
        &cache,
    )
    .unwrap();
    assert_eq!(r.cache, CacheUse::Hit, "answered from the same entry");
    let answer = response(&r);
    assert_eq!(answer["allowed"], false, "{answer}");
    assert_eq!(r.rules, [("DP-EP-001", Enforcement::Deny)]);
    assert!(answer["auditAnnotations"].get("waived").is_none());
}

#[test]
fn an_exception_leaves_other_objects_and_rules_enforced() {
    let cache = DecisionCache::new(1 << 20);
    let settings = with_exception("2027-01-15T00:00:00Z");
    let perimeters = perimeters(PERIMETER);
    // Another name.
    let b = body("CREATE", Some(open_endpoint("other")), None, false, &[]);
    let r = review_with(&b, &perimeters, &settings, &cache).unwrap();
    assert_eq!(response(&r)["allowed"], false);
    // The named object, with a finding of a rule the exception does not name (DP-EP-010, Warn
    // in this perimeter) beside the waived one: admitted, warned of both.
    let b = body(
        "CREATE",
        Some(endpoint(
            "open",
            json!({"serviceName": "com.amazonaws.us-east-1.dynamodb"}),
        )),
        None,
        false,
        &[],
    );
    let r = review_with(&b, &perimeters, &settings, &cache).unwrap();
    let answer = response(&r);
    assert_eq!(
        (answer["allowed"].clone(), r.decision),
        (json!(true), "warn")
    );
    let warnings: Vec<&str> = answer["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("DP-EP-001 waived by")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("DP-EP-010 /spec/serviceName")),
        "{warnings:?}"
    );
    assert_eq!(r.rules, [("DP-EP-010", Enforcement::Warn)]);
}

fn exception_review(operation: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "kind": {"group": "perimeterguard.io", "version": "v1alpha1", "kind": "PerimeterException"},
            "resource": {"group": "perimeterguard.io", "version": "v1alpha1", "resource": "perimeterexceptions"},
            "name": "x", "operation": operation,
            "userInfo": {"username": "alice"},
            "object": object
        }
    }))
    .unwrap()
}

#[test]
fn the_webhook_validates_exceptions_with_the_field_at_fault() {
    let mut good = crate::yaml::stream_to_json(EXCEPTION).unwrap().remove(0);
    good["metadata"]["creationTimestamp"] = json!("2027-01-01T00:00:00Z");
    let settings = with_exception("2027-01-01T00:00:05Z");
    let perimeters = perimeters(PERIMETER);
    let r = review(
        &exception_review("CREATE", good.clone()),
        &perimeters,
        &settings,
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], true, "{}", response(&r));

    for (change, field) in [
        (json!({"rules": ["DP-EP-*"]}), "spec.rules[0]"),
        (json!({"rules": ["DP-XX-001"]}), "spec.rules[0]"),
        (
            json!({"expiresAt": "2027-06-01T00:00:00Z"}),
            "spec.expiresAt",
        ),
        (json!({"match": {"kinds": ["VPCEndpoint"]}}), "spec.match"),
        (
            json!({"match": {"names": ["open"], "kinds": ["Deployment"]}}),
            "spec.match.kinds[0]",
        ),
        (json!({"owner": ""}), "spec.owner"),
    ] {
        let mut bad = good.clone();
        for (k, v) in change.as_object().unwrap() {
            bad["spec"][k] = v.clone();
        }
        let r = review(&exception_review("UPDATE", bad), &perimeters, &settings).unwrap();
        let answer = response(&r);
        assert_eq!(answer["allowed"], false, "{change}");
        assert_eq!(answer["status"]["code"], 422, "{change}");
        assert_eq!(answer["status"]["reason"], "Invalid", "{change}");
        assert_eq!(
            answer["status"]["details"]["causes"][0]["field"], field,
            "{change}"
        );
    }
    let mut no_expiry = good.clone();
    no_expiry["spec"]
        .as_object_mut()
        .unwrap()
        .remove("expiresAt");
    let answer = response(
        &review(
            &exception_review("CREATE", no_expiry),
            &perimeters,
            &settings,
        )
        .unwrap(),
    );
    assert_eq!(answer["allowed"], false);
    assert!(
        answer["status"]["message"]
            .as_str()
            .unwrap()
            .contains("missing field `expiresAt`"),
        "{answer}"
    );
}
