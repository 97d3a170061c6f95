use serde_json::{Value, json};

use super::*;
use crate::perimeter::load_perimeters;

mod exceptions;
mod guardrails;

const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  identity: {trustedOrganizations: [o-abc123def4], trustedAccounts: ["111122223333"]}
  network: {allowedVpcEndpoints: [vpce-1a2b3c4d]}
  vpcEndpoints: {allowedServices: ["com.amazonaws.*.s3"]}
  rules: {DP-EP-010: Warn}
"#;

fn perimeters(text: &str) -> Vec<DataPerimeter> {
    load_perimeters(text, "test").unwrap()
}

fn settings() -> Settings {
    Settings {
        exempt_namespaces: vec!["kube-system".into()],
        allow_label_exemption: true,
        exempt_users: vec![],
        exempt_groups: vec!["break-glass".into()],
        config_hash: "abc123".into(),
        config_generation: 7,
        ..Settings::default()
    }
}

fn endpoint(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint", "metadata": {"name": name, "namespace": "team"}, "spec": spec})
}

fn body(
    operation: &str,
    object: Option<Value>,
    old: Option<Value>,
    dry_run: bool,
    groups: &[&str],
) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "ec2.services.k8s.aws", "version": "v1alpha1", "kind": "VPCEndpoint"},
            "resource": {"group": "ec2.services.k8s.aws", "version": "v1alpha1", "resource": "vpcendpoints"},
            "name": "e", "namespace": object.as_ref().and_then(|o| o.pointer("/metadata/namespace")).cloned().unwrap_or(json!("team")),
            "operation": operation,
            "userInfo": {"username": "alice", "groups": groups},
            "object": object, "oldObject": old, "dryRun": dry_run
        }
    }))
    .unwrap()
}

fn response(r: &Reviewed) -> Value {
    serde_json::to_value(&r.review).unwrap()["response"].clone()
}

/// The same answer, decision and rules: what a cached review must give.
#[track_caller]
fn assert_answered_alike(r: &Reviewed, expected: &Reviewed, context: &str) {
    assert_eq!(response(r), response(expected), "{context}");
    assert_eq!(r.decision, expected.decision, "{context}");
    assert_eq!(r.rules, expected.rules, "{context}");
}

/// `body` answered on the caller's thread, from the cache, without evaluating.
#[track_caller]
fn answered_inline(body: &[u8], perimeters: &[DataPerimeter], cache: &DecisionCache) -> Reviewed {
    review_without_evaluating(body, perimeters, &settings(), cache)
        .expect("answered without evaluating")
        .unwrap()
}

/// A CREATE of `object`, which the cache has not seen.
#[track_caller]
fn created(object: &Value, perimeters: &[DataPerimeter], cache: &DecisionCache) {
    let first = review_with(
        &body("CREATE", Some(object.clone()), None, false, &[]),
        perimeters,
        &settings(),
        cache,
    )
    .unwrap();
    assert_eq!(first.cache, CacheUse::Miss);
}

const ORG_POLICY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:ResourceOrgID":"o-abc123def4"}}}]}"#;

#[test]
fn compliant_object_is_allowed_with_its_uid_and_annotations() {
    let obj = endpoint(
        "ok",
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY}),
    );
    let r = review(
        &body("CREATE", Some(obj), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    assert_eq!(v["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(v["allowed"], true);
    assert_eq!(
        v["auditAnnotations"],
        json!({"config-hash": "abc123", "config-generation": "7", "decision": "allow"})
    );
    assert_eq!(r.decision, "allow");
}

#[test]
fn violating_object_is_denied_with_message_and_causes() {
    let obj = endpoint("open", json!({"serviceName": "com.amazonaws.us-east-1.s3"}));
    let r = review(
        &body("CREATE", Some(obj.clone()), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["status"]["code"], 403);
    assert_eq!(v["status"]["reason"], "Forbidden");
    let message = v["status"]["message"].as_str().unwrap();
    assert!(message.starts_with("perimeter-guard denied VPCEndpoint team/open: 1 finding (DP-EP-001)\n  DP-EP-001 at /spec/policyDocument: no policy document"), "{message}");
    assert!(message.contains("\n    fix: set a policy"), "{message}");
    assert_eq!(
        v["status"]["details"]["causes"],
        json!([{"reason": "FieldValueForbidden", "field": "/spec/policyDocument",
        "message": "DP-EP-001: no policy document: AWS attaches its default policy, which allows every principal every action on every resource"}])
    );
    assert_eq!(v["auditAnnotations"]["rules"], "DP-EP-001");
    // A dry run is evaluated exactly the same.
    let dry = review(
        &body("CREATE", Some(obj), None, true, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(response(&dry)["status"], v["status"]);
}

#[test]
fn warn_findings_admit_with_warnings_and_audit_admits_silently() {
    let obj = endpoint(
        "ddb",
        json!({"serviceName": "com.amazonaws.us-east-1.dynamodb", "policyDocument": ORG_POLICY}),
    );
    let r = review(
        &body("CREATE", Some(obj.clone()), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    assert_eq!(v["allowed"], true);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("DP-EP-010 /spec/serviceName: service"),
        "{warnings:?}"
    );
    let audit = perimeters(&PERIMETER.replace("DP-EP-010: Warn", "DP-EP-010: Audit"));
    let r = review(
        &body("CREATE", Some(obj), None, false, &[]),
        &audit,
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    assert_eq!(
        (v["allowed"].clone(), v.get("warnings").cloned()),
        (json!(true), None)
    );
    assert_eq!(v["auditAnnotations"]["decision"], "audit");
    assert_eq!(v["auditAnnotations"]["rules"], "DP-EP-010");
}

#[test]
fn updates_that_change_no_fact_are_admitted_with_a_warning() {
    let old = endpoint("open", json!({"serviceName": "com.amazonaws.us-east-1.s3"}));
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"owner": "data"});
    let r = review(
        &body("UPDATE", Some(relabelled), Some(old.clone()), false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    assert_eq!(v["allowed"], true);
    assert_eq!(r.decision, "unchanged");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("nothing the perimeter rules read changed")
    );
    let mut worse = old.clone();
    worse["spec"]["policyDocument"] =
        json!(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#);
    let r = review(
        &body("UPDATE", Some(worse), Some(old), false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], false);
}

/// An adopted endpoint that states a public policy is admitted as observed; the same object
/// with the adoption annotation removed writes that policy to AWS, so the update is a change and
/// is denied, though its spec is the same.
#[test]
fn an_update_that_stops_observing_is_a_change() {
    let mut adopted = endpoint(
        "adopted",
        json!({"serviceName": "com.amazonaws.us-east-1.s3",
            "policyDocument": r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#}),
    );
    adopted["metadata"]["annotations"] = json!({"services.k8s.aws/adoption-policy": "adopt"});
    let r = review(
        &body("CREATE", Some(adopted.clone()), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], true);
    let mut managed = adopted.clone();
    managed["metadata"]["annotations"] = json!({});
    let r = review(
        &body("UPDATE", Some(managed), Some(adopted), false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], false);
}

#[test]
fn deletes_unknown_kinds_and_exemptions() {
    let obj = endpoint("open", json!({}));
    let r = review(
        &body("DELETE", None, Some(obj.clone()), false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], true);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team"}});
    let r = review(
        &body("CREATE", Some(cm), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(
        (response(&r)["allowed"].clone(), r.decision),
        (json!(true), "skip")
    );
    let mut labelled = obj.clone();
    labelled["metadata"]["labels"] = json!({"perimeterguard.io/exempt": "migration-ticket-42"});
    let r = review(
        &body("CREATE", Some(labelled.clone()), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(
        r.exemption.as_ref().map(|e| e.detail.as_str()),
        Some("label perimeterguard.io/exempt=migration-ticket-42")
    );
    assert_eq!(
        response(&r)["auditAnnotations"]["exemption"],
        "label perimeterguard.io/exempt=migration-ticket-42"
    );
    assert_eq!(
        response(&r)["warnings"][1],
        LABEL_DEPRECATED,
        "the label has no owner and no expiry: it is on its way out"
    );
    let no_labels = Settings {
        allow_label_exemption: false,
        ..settings()
    };
    let r = review(
        &body("CREATE", Some(labelled), None, false, &[]),
        &perimeters(PERIMETER),
        &no_labels,
    )
    .unwrap();
    assert_eq!(
        response(&r)["allowed"],
        false,
        "label exemptions are off unless configured"
    );
    let r = review(
        &body(
            "CREATE",
            Some(obj.clone()),
            None,
            false,
            &["system:authenticated", "break-glass"],
        ),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(
        r.exemption.as_ref().map(|e| e.detail.as_str()),
        Some("group break-glass is exempt")
    );
    let mut system = obj;
    system["metadata"]["namespace"] = json!("kube-system");
    let r = review(
        &body("CREATE", Some(system), None, false, &[]),
        &perimeters(PERIMETER),
        &settings(),
    )
    .unwrap();
    assert_eq!(
        r.exemption.as_ref().map(|e| e.detail.as_str()),
        Some("namespace kube-system is exempt")
    );
}

#[test]
fn malformed_bodies_are_errors_not_panics() {
    for bad in [
        &b"not json"[..],
        b"{}",
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        b"[]",
    ] {
        assert!(
            review(bad, &perimeters(PERIMETER), &settings()).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn the_exempt_label_pointer_is_the_label_escaped() {
    assert_eq!(
        EXEMPT_LABEL_POINTER,
        format!("/metadata/labels/{}", EXEMPT_LABEL.replace('/', "~1"))
    );
}

fn violating_and_compliant() -> [Value; 3] {
    let open = endpoint("open", json!({"serviceName": "com.amazonaws.us-east-1.s3"}));
    let ok = endpoint(
        "ok",
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY}),
    );
    let mut relabelled = open.clone();
    relabelled["metadata"]["labels"] = json!({"owner": "data"});
    [open, ok, relabelled]
}

#[test]
fn a_cached_decision_is_the_evaluated_one() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [open, ok, relabelled] = violating_and_compliant();
    let bodies = [
        body("CREATE", Some(open.clone()), None, false, &[]),
        body("CREATE", Some(ok), None, false, &[]),
        body(
            "UPDATE",
            Some(relabelled.clone()),
            Some(open.clone()),
            false,
            &[],
        ),
        body("UPDATE", Some(open.clone()), Some(relabelled), false, &[]),
        body("CREATE", Some(open), None, true, &["break-glass"]),
    ];
    for b in &bodies {
        let uncached = review(b, &perimeters, &settings()).unwrap();
        assert_eq!(uncached.cache, CacheUse::NotConsulted);
        let first = review_with(b, &perimeters, &settings(), &cache).unwrap();
        let inline = review_without_evaluating(b, &perimeters, &settings(), &cache)
            .expect("answered from the cache")
            .unwrap();
        for r in [&first, &inline] {
            assert_eq!(response(r), response(&uncached));
            assert_eq!(r.decision, uncached.decision);
            assert_eq!(r.rules, uncached.rules);
            assert_eq!(r.exemption, uncached.exemption);
        }
        if uncached.exemption.is_none() {
            assert_ne!(first.cache, CacheUse::NotConsulted);
            assert_eq!(inline.cache, CacheUse::Hit);
        }
    }
    let decisions: Vec<&str> = bodies
        .iter()
        .map(|b| review(b, &perimeters, &settings()).unwrap().decision)
        .collect();
    assert_eq!(
        decisions,
        ["deny", "allow", "unchanged", "unchanged", "exempt"]
    );
}

#[test]
fn the_cache_answers_only_for_the_same_object_and_configuration() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [open, ok, _] = violating_and_compliant();
    let b = body("CREATE", Some(ok.clone()), None, false, &[]);
    assert!(review_without_evaluating(&b, &perimeters, &settings(), &cache).is_none());
    review_with(&b, &perimeters, &settings(), &cache).unwrap();
    // Another request for the same object (uid, user, dry run differ) is a hit...
    let other = String::from_utf8(body("CREATE", Some(ok), None, true, &["devs"]))
        .unwrap()
        .replace("705ab4f5", "99999999");
    let hit = review_without_evaluating(other.as_bytes(), &perimeters, &settings(), &cache)
        .expect("a hit")
        .unwrap();
    assert_eq!(
        response(&hit)["uid"],
        "99999999-6393-11e8-b7cc-42010a800002"
    );
    assert!(hit.request.dry_run);
    // ...a changed object or a new configuration generation is not.
    let changed = body("CREATE", Some(open), None, false, &[]);
    assert!(review_without_evaluating(&changed, &perimeters, &settings(), &cache).is_none());
    let mut next = settings();
    next.config_generation += 1;
    assert!(review_without_evaluating(&b, &perimeters, &next, &cache).is_none());
    // Deletes, exempt namespaces and malformed bodies need no evaluation at all.
    let delete = body("DELETE", None, None, false, &[]);
    assert_eq!(
        review_without_evaluating(&delete, &perimeters, &settings(), &cache)
            .unwrap()
            .unwrap()
            .decision,
        "allow"
    );
    assert!(
        review_without_evaluating(b"{", &perimeters, &settings(), &cache)
            .is_some_and(|r| r.is_err())
    );
}

#[test]
fn large_bodies_are_never_answered_inline() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(8 << 20);
    let mut big = endpoint(
        "ok",
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY}),
    );
    big["metadata"]["annotations"] = json!({"padding": "x".repeat(INLINE_MAX_BODY)});
    let b = body("CREATE", Some(big), None, false, &[]);
    assert_eq!(
        review_with(&b, &perimeters, &settings(), &cache)
            .unwrap()
            .decision,
        "allow"
    );
    assert!(review_without_evaluating(&b, &perimeters, &settings(), &cache).is_none());
    assert_eq!(
        review_with(&b, &perimeters, &settings(), &cache)
            .unwrap()
            .cache,
        CacheUse::Hit
    );
}

#[test]
fn the_exempt_label_is_read_from_cached_objects_too() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [mut open, ..] = violating_and_compliant();
    open["metadata"]["labels"] = json!({EXEMPT_LABEL: "migration"});
    let b = body("CREATE", Some(open), None, false, &[]);
    let mut no_labels = settings();
    no_labels.allow_label_exemption = false;
    // Evaluated (and cached) while the label does not count...
    assert_eq!(
        review_with(&b, &perimeters, &no_labels, &cache)
            .unwrap()
            .decision,
        "deny"
    );
    // ...and answered from the cache while it does, under the same generation.
    let r = review_without_evaluating(&b, &perimeters, &settings(), &cache)
        .expect("a hit")
        .unwrap();
    assert_eq!(r.decision, "exempt");
    assert_eq!(r.exemption.unwrap().by, "label");
}

#[test]
fn long_words_in_messages_keep_their_start_and_end() {
    let arn = format!("arn:aws:s3:::{}/key", "a".repeat(5_000));
    let m = bounded(&format!(
        "anonymous principal can s3:GetObject {arn} via vpce-1"
    ));
    assert!(
        m.starts_with("anonymous principal can s3:GetObject arn:aws:s3:::aaa"),
        "{m}"
    );
    assert!(m.ends_with("aaaaa/key via vpce-1"), "{m}");
    assert!(m.contains("characters)…"), "{m}");
    assert!(m.chars().count() < 300, "{}", m.chars().count());
    let many = "word ".repeat(1_000);
    assert_eq!(bounded(&many).chars().count(), MAX_MESSAGE);
    assert_eq!(bounded("short and plain"), "short and plain");
}

#[test]
fn a_rule_found_by_two_perimeters_is_named_once() {
    // corp denies DP-EP-001 and DP-EP-010; partner-zone denies DP-EP-001 and warns DP-EP-010.
    let corp = PERIMETER.replace("  rules: {DP-EP-010: Warn}\n", "");
    let second = PERIMETER.replace("name: corp", "name: partner-zone");
    let both = perimeters(&format!("{corp}\n---\n{second}"));
    let obj = endpoint(
        "open",
        json!({"serviceName": "com.amazonaws.us-east-1.dynamodb"}),
    );
    let r = review(
        &body("CREATE", Some(obj), None, false, &[]),
        &both,
        &settings(),
    )
    .unwrap();
    let v = response(&r);
    let message = v["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "perimeter-guard denied VPCEndpoint team/open: 3 findings (DP-EP-001, DP-EP-010)\n"
        ),
        "{message}"
    );
    assert_eq!(v["auditAnnotations"]["rules"], "DP-EP-001,DP-EP-010");
}

/// What controllers and GitOps tools change on every reconcile: none of it is a fact the rules
/// read.
fn reconciled(object: &Value, round: u32) -> Value {
    let mut o = object.clone();
    o["metadata"]["resourceVersion"] = json!(format!("{}", 1000 + round));
    o["metadata"]["generation"] = json!(round);
    o["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply",
        "time": format!("2026-12-06T10:{:02}:00Z", round % 60), "fieldsType": "FieldsV1"}]);
    o["metadata"]["annotations"] =
        json!({"argocd.argoproj.io/tracking-id": format!("app:{round}")});
    o["metadata"]["labels"] = json!({"app.kubernetes.io/version": format!("v{round}")});
    o["status"] = json!({"conditions": [{"type": "Synced", "status": "True"}]});
    o
}

#[test]
fn metadata_only_updates_are_answered_by_their_facts() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [open, ok, _] = violating_and_compliant();
    for object in [open, ok] {
        created(&object, &perimeters, &cache);
        for round in 1..4 {
            let context = format!("round {round}");
            let next = reconciled(&object, round);
            let b = body("UPDATE", Some(next), Some(object.clone()), false, &[]);
            // Answered on the caller's thread: no reasoning is needed.
            let inline = answered_inline(&b, &perimeters, &cache);
            assert_eq!(inline.cache, CacheUse::FactsHit, "{context}");
            // The same bytes again are a hit on the object's bytes.
            let cached = review_with(&b, &perimeters, &settings(), &cache).unwrap();
            let fresh = review(&b, &perimeters, &settings()).unwrap();
            assert_eq!(cached.cache, CacheUse::Hit, "{context}");
            assert_answered_alike(&inline, &fresh, &context);
            assert_answered_alike(&cached, &fresh, &context);
        }
    }
}

/// What a controller changes of its own object: the server's bookkeeping, the status and
/// annotations no adapter reads. Labels stay: perimeters select on them.
fn resent_by_a_controller(object: &Value, round: u32) -> Value {
    let mut o = reconciled(object, round);
    o["metadata"]["labels"] = object["metadata"]["labels"].clone();
    o["metadata"]["annotations"] =
        json!({"example.com/last-reconcile": format!("2026-12-06T10:{:02}:00Z", round % 60)});
    o
}

#[test]
fn a_controllers_resends_are_answered_by_their_read_parts() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [open, ok, _] = violating_and_compliant();
    // The violating object is admitted because nothing the rules read changed.
    for (object, decision) in [(open, "unchanged"), (ok, "allow")] {
        created(&resent_by_a_controller(&object, 0), &perimeters, &cache);
        for round in 1..4 {
            let context = format!("round {round}");
            // The old object is the stored one, itself with bookkeeping the cache never saw.
            let old = resent_by_a_controller(&object, 100 + round);
            let b = body(
                "UPDATE",
                Some(resent_by_a_controller(&object, round)),
                Some(old),
                false,
                &[],
            );
            let inline = answered_inline(&b, &perimeters, &cache);
            let fresh = review(&b, &perimeters, &settings()).unwrap();
            assert_eq!(inline.cache, CacheUse::FactsHit, "{context}");
            assert_answered_alike(&inline, &fresh, &context);
            assert_eq!(inline.decision, decision, "{context}");
        }
    }
    // A label is read (perimeters select on labels): another label is another key.
    let [open, _, relabelled] = violating_and_compliant();
    let relabelled = resent_by_a_controller(&relabelled, 9);
    let b = body("UPDATE", Some(relabelled), Some(open), false, &[]);
    let inline = answered_inline(&b, &perimeters, &cache);
    assert_eq!(inline.cache, CacheUse::FactsHit, "the facts are the same");
    assert_eq!(inline.decision, "unchanged");
}

#[test]
fn a_change_to_anything_a_rule_reads_is_evaluated_again() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [_, ok, _] = violating_and_compliant();
    review_with(
        &body("CREATE", Some(ok.clone()), None, false, &[]),
        &perimeters,
        &settings(),
        &cache,
    )
    .unwrap();
    let mut changes = Vec::new();
    // The policy, by one character.
    let mut policy = reconciled(&ok, 1);
    policy["spec"]["policyDocument"] =
        json!(ORG_POLICY.replace("\"*\",\"Resource\"", "\"s3:*\",\"Resource\""));
    changes.push(policy);
    // The service, the VPC, an added field.
    let mut service = reconciled(&ok, 2);
    service["spec"]["serviceName"] = json!("com.amazonaws.us-east-1.dynamodb");
    changes.push(service);
    let mut vpc = reconciled(&ok, 3);
    vpc["spec"]["vpcID"] = json!("vpc-0123abcd");
    changes.push(vpc);
    // The same facts at another place in the object: findings name the pointer.
    let mut observed = reconciled(&ok, 4);
    observed["metadata"]["annotations"] = json!({"services.k8s.aws/read-only": "true"});
    changes.push(observed);
    for changed in changes {
        let b = body(
            "UPDATE",
            Some(changed.clone()),
            Some(ok.clone()),
            false,
            &[],
        );
        assert!(
            review_without_evaluating(&b, &perimeters, &settings(), &cache).is_none(),
            "{changed}"
        );
        let cached = review_with(&b, &perimeters, &settings(), &cache).unwrap();
        assert_eq!(cached.cache, CacheUse::Miss, "{changed}");
        let fresh = review(&b, &perimeters, &settings()).unwrap();
        assert_eq!(response(&cached), response(&fresh));
    }
    // A new configuration generation evaluates everything again.
    let mut next = settings();
    next.config_generation += 1;
    let b = body("UPDATE", Some(reconciled(&ok, 9)), Some(ok), false, &[]);
    assert_eq!(
        review_with(&b, &perimeters, &next, &cache).unwrap().cache,
        CacheUse::Miss
    );
}

#[test]
fn a_label_a_perimeter_selects_on_is_part_of_the_key() {
    // Two perimeters, one of which applies only to objects labelled tier=prod.
    let prod = PERIMETER.replace("name: corp", "name: prod-only").replace(
        "  rules: {DP-EP-010: Warn}\n",
        "  match: {labelSelector: {matchLabels: {tier: prod}}}\n",
    );
    let perimeters = perimeters(&format!("{PERIMETER}\n---\n{prod}"));
    let cache = DecisionCache::new(1 << 20);
    let dynamo = endpoint(
        "dynamo",
        json!({"serviceName": "com.amazonaws.us-east-1.dynamodb", "policyDocument": ORG_POLICY}),
    );
    let plain = review_with(
        &body("CREATE", Some(dynamo.clone()), None, false, &[]),
        &perimeters,
        &settings(),
        &cache,
    )
    .unwrap();
    assert_eq!(plain.decision, "warn");
    let mut labelled = dynamo;
    labelled["metadata"]["labels"] = json!({"tier": "prod"});
    let b = body("CREATE", Some(labelled), None, false, &[]);
    let selected = review_with(&b, &perimeters, &settings(), &cache).unwrap();
    assert_eq!(selected.cache, CacheUse::Miss);
    assert_eq!(selected.decision, "deny");
    assert_eq!(
        response(&selected),
        response(&review(&b, &perimeters, &settings()).unwrap())
    );
}

#[test]
fn with_the_cache_an_update_is_unchanged_exactly_when_it_is_without() {
    let perimeters = perimeters(PERIMETER);
    let cache = DecisionCache::new(1 << 20);
    let [open, ok, relabelled] = violating_and_compliant();
    for b in [
        body("CREATE", Some(open.clone()), None, false, &[]),
        body("CREATE", Some(ok.clone()), None, false, &[]),
    ] {
        review_with(&b, &perimeters, &settings(), &cache).unwrap();
    }
    let mut worse = ok.clone();
    worse["spec"]["policyDocument"] =
        json!(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#);
    let cases = [
        // The old object's facts are known from the cache.
        (relabelled.clone(), open.clone(), "unchanged"),
        // The old object was never seen: it is adapted to compare.
        (relabelled, reconciled(&open, 7), "unchanged"),
        // A policy opened up, from a known and from an unseen old object.
        (worse.clone(), ok.clone(), "deny"),
        (worse, reconciled(&ok, 8), "deny"),
    ];
    for (new, old, expected) in cases {
        let b = body("UPDATE", Some(new), Some(old), false, &[]);
        let uncached = review(&b, &perimeters, &settings()).unwrap();
        let cached = review_with(&b, &perimeters, &settings(), &cache).unwrap();
        assert_eq!(uncached.decision, expected);
        assert_eq!(cached.decision, expected);
        assert_eq!(response(&cached), response(&uncached));
    }
}
