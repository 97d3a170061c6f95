//! The webhook's router, called in process (tower `oneshot`) with AdmissionReviews built from the
//! repository's example objects of every provider family and from the shared corpus.

use crate::common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use perimeter_guard::admission::Settings;
use perimeter_guard::decision::{AdmissionDecision, ObjectVerdict, evaluate};
use perimeter_guard::perimeter::{DataPerimeter, load_perimeters};
use perimeter_guard::server::router::{self, AppState, Limits};
use perimeter_guard::server::{ConfigStore, Metrics};
use serde_json::{Value, json};
use tower::ServiceExt;

use common::admission::{UID, example, example_perimeter, review};

const ACK: &str = "manifests/examples/ack.yaml";
const CLASSIC: &str = "manifests/examples/crossplane-classic.yaml";
const UPBOUND: &str = "manifests/examples/upbound.yaml";

struct App {
    webhook: Router,
    health: Router,
}

fn app_with(perimeters: Option<Vec<DataPerimeter>>, settings: Settings, limits: Limits) -> App {
    let metrics = Arc::new(Metrics::new());
    let store = Arc::new(ConfigStore::new(settings, true, false, metrics.clone()));
    if let Some(p) = perimeters {
        store.files_loaded(Ok(p));
    }
    let state = Arc::new(AppState::new(store, metrics, limits));
    state
        .tls_serving
        .store(true, std::sync::atomic::Ordering::Release);
    App {
        webhook: router::webhook(state.clone()),
        health: router::health(state),
    }
}

fn app(perimeter: &str) -> App {
    app_with(
        Some(load_perimeters(perimeter, "perimeter.yaml").expect("valid perimeter")),
        Settings {
            exempt_namespaces: vec!["kube-system".into()],
            allow_label_exemption: true,
            exempt_groups: vec!["break-glass".into()],
            ..Settings::default()
        },
        Limits::default(),
    )
}

async fn post(router: &Router, body: impl Into<Body>) -> (StatusCode, Value) {
    let response = router
        .clone()
        .oneshot(
            Request::post("/validate")
                .header("content-type", "application/json")
                .body(body.into())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

/// The AdmissionReview response for `operation` on `object`.
async fn decide(app: &App, review: Value) -> Value {
    let (status, body) = post(&app.webhook, review.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(body["kind"], "AdmissionReview");
    assert_eq!(body["response"]["uid"], UID);
    body["response"].clone()
}

async fn get(router: &Router, path: &str) -> (StatusCode, String) {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn causes(response: &Value) -> Vec<(String, String)> {
    response["status"]["details"]["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| {
            let message = c["message"].as_str().expect("message");
            (
                c["field"].as_str().expect("field").to_owned(),
                message.split(':').next().expect("rule id").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn compliant_objects_of_every_family_are_allowed() {
    let app = app(&example_perimeter());
    for (file, name) in [
        (ACK, "s3-interface"),
        (ACK, "reports"),
        (CLASSIC, "sts-interface"),
        (CLASSIC, "audit-logs"),
        (UPBOUND, "s3-gateway"),
        (UPBOUND, "reports-policy"),
    ] {
        let object = example(file, name);
        let r = decide(&app, review("CREATE", Some(&object), None, false)).await;
        assert_eq!(r["allowed"], true, "{file} {name}: {r}");
        assert_eq!(r.get("warnings"), None, "{file} {name}: {r}");
        assert_eq!(r["auditAnnotations"]["decision"], "allow", "{file} {name}");
        assert_eq!(r["auditAnnotations"]["config-generation"], "1");
        assert_eq!(
            r["auditAnnotations"]["config-hash"].as_str().map(str::len),
            Some(16)
        );
    }
}

#[tokio::test]
async fn the_denial_message_names_object_rules_fields_and_fixes() {
    let app = app(&example_perimeter());
    let object = example(ACK, "dynamodb-open");
    let r = decide(&app, review("CREATE", Some(&object), None, false)).await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    assert_eq!(r["status"]["reason"], "Forbidden");
    assert_eq!(r["status"]["status"], "Failure");
    assert_eq!(
        r["status"]["message"],
        "perimeter-guard denied VPCEndpoint platform/dynamodb-open: 2 findings (DP-EP-001, DP-EP-010)\n\
         \x20 DP-EP-001 at /spec/policyDocument: no policy document: AWS attaches its default policy, which allows every principal every action on every resource\n\
         \x20   fix: set a policy that allows only trusted identities to reach trusted resources\n\
         \x20 DP-EP-010 at /spec/serviceName: service \"com.amazonaws.us-east-1.dynamodb\" is not in the allowed list (com.amazonaws.*.s3, com.amazonaws.*.sts, com.amazonaws.*.ecr.*)\n\
         \x20   fix: use a service matching spec.vpcEndpoints.allowedServices"
    );
    assert_eq!(
        r["status"]["details"],
        json!({
            "name": "dynamodb-open", "group": "ec2.services.k8s.aws", "kind": "VPCEndpoint",
            "causes": [
                {"reason": "FieldValueForbidden", "field": "/spec/policyDocument",
                 "message": "DP-EP-001: no policy document: AWS attaches its default policy, which allows every principal every action on every resource"},
                {"reason": "FieldValueForbidden", "field": "/spec/serviceName",
                 "message": "DP-EP-010: service \"com.amazonaws.us-east-1.dynamodb\" is not in the allowed list (com.amazonaws.*.s3, com.amazonaws.*.sts, com.amazonaws.*.ecr.*)"}
            ]
        })
    );
    assert_eq!(r["auditAnnotations"]["decision"], "deny");
    assert_eq!(r["auditAnnotations"]["rules"], "DP-EP-001,DP-EP-010");
}

#[tokio::test]
async fn violating_objects_of_every_family_are_denied_with_one_cause_per_finding() {
    let app = app(&example_perimeter());
    /// File, object name, how the message names it, and the (field, rule) of every finding.
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let cases: [Case; 6] = [
        (
            ACK,
            "partner-facing",
            "VPCEndpointServiceConfiguration platform/partner-facing",
            &[("/spec/allowedPrincipals/1", "DP-ES-001")],
        ),
        (
            ACK,
            "public-site",
            "Bucket web/public-site",
            &[
                ("/spec/policy", "DP-BP-001"),
                ("/spec/policy", "DP-BP-002"),
                ("/spec/policy", "DP-BP-004"),
                ("/spec/publicAccessBlock/blockPublicPolicy", "DP-PAB-001"),
            ],
        ),
        (
            CLASSIC,
            "shared-with-everyone",
            "Bucket shared-with-everyone",
            &[
                ("/spec/forProvider/policy/statements/0", "DP-BP-001"),
                ("/spec/forProvider/policy/statements/0", "DP-BP-002"),
                ("/spec/forProvider/policy", "DP-BP-004"),
            ],
        ),
        (
            UPBOUND,
            "s3-anyone",
            "VPCEndpoint data/s3-anyone",
            &[
                ("/spec/initProvider/policy", "DP-EP-002"),
                ("/spec/initProvider/policy", "DP-EP-003"),
            ],
        ),
        (
            UPBOUND,
            "anyone-may-connect",
            "VPCEndpointServiceAllowedPrincipal data/anyone-may-connect",
            &[("/spec/forProvider/principalArn", "DP-ES-001")],
        ),
        (
            UPBOUND,
            "extra-sg",
            "VPCEndpointSecurityGroupAssociation extra-sg",
            &[("/spec/forProvider/securityGroupId", "DP-EP-015")],
        ),
    ];
    for (file, name, shown, expected) in cases {
        let object = example(file, name);
        let r = decide(&app, review("CREATE", Some(&object), None, false)).await;
        assert_eq!(r["allowed"], false, "{file} {name}: {r}");
        let message = r["status"]["message"].as_str().expect("message");
        let first = message.lines().next().expect("a first line");
        assert!(
            first.starts_with(&format!(
                "perimeter-guard denied {shown}: {} finding",
                expected.len()
            )),
            "{first}"
        );
        let got = causes(&r);
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(f, id)| (f.to_string(), id.to_string()))
            .collect();
        assert_eq!(got, want, "{file} {name}: {message}");
        // Every finding appears in the message with its rule, field and fix.
        for (field, id) in expected {
            assert!(
                message.contains(&format!("\n  {id} at {field}: ")),
                "{message}"
            );
        }
        assert_eq!(message.matches("\n    fix: ").count(), expected.len());
    }
}

#[tokio::test]
async fn a_policy_violation_shows_the_witness_request_in_one_line() {
    let app = app(&example_perimeter());
    let object = example(UPBOUND, "s3-anyone");
    let r = decide(&app, review("CREATE", Some(&object), None, false)).await;
    let message = r["status"]["message"].as_str().expect("message");
    let line = message
        .lines()
        .find(|l| l.starts_with("  DP-EP-002 at /spec/initProvider/policy: "))
        .expect("the DP-EP-002 line");
    assert!(
        line.contains(" can s3:") && line.contains(" via statement "),
        "{line}"
    );
}

#[tokio::test]
async fn dry_run_is_decided_exactly_the_same() {
    let app = app(&example_perimeter());
    for (file, name) in [(ACK, "public-site"), (ACK, "s3-interface")] {
        let object = example(file, name);
        let real = decide(&app, review("CREATE", Some(&object), None, false)).await;
        let dry = decide(&app, review("CREATE", Some(&object), None, true)).await;
        assert_eq!(dry, real, "{name}");
    }
}

fn with_rule_enforcement(enforcement: &str) -> String {
    // The example perimeter with every rule of the ACK endpoint finding set to `enforcement`.
    example_perimeter().replace(
        "  enforcement: Deny",
        &format!(
            "  enforcement: Deny\n  rules: {{DP-EP-001: {enforcement}, DP-EP-010: {enforcement}}}"
        ),
    )
}

#[tokio::test]
async fn warn_admits_with_short_warnings_and_audit_admits_silently() {
    let perimeter = with_rule_enforcement("Warn");
    assert_ne!(
        perimeter,
        example_perimeter(),
        "the example sets spec.enforcement"
    );
    let object = example(ACK, "dynamodb-open");
    let r = decide(
        &app(&perimeter),
        review("CREATE", Some(&object), None, false),
    )
    .await;
    assert_eq!(r["allowed"], true);
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("a string"))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("DP-EP-001 /spec/policyDocument: "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("DP-EP-010 /spec/serviceName: "),
        "{warnings:?}"
    );
    assert!(warnings.iter().all(|w| w.chars().count() <= 250));
    assert_eq!(r["auditAnnotations"]["decision"], "warn");

    let r = decide(
        &app(&with_rule_enforcement("Audit")),
        review("CREATE", Some(&object), None, false),
    )
    .await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r.get("warnings"), None);
    assert_eq!(r["status"].get("message"), None);
    assert_eq!(r["auditAnnotations"]["decision"], "audit");
    assert_eq!(r["auditAnnotations"]["rules"], "DP-EP-001,DP-EP-010");
}

#[tokio::test]
async fn updates_are_blocked_only_when_they_touch_what_the_rules_read() {
    let app = app(&example_perimeter());
    let old = example(UPBOUND, "s3-anyone");
    // A controller's write: status, labels, finalizers, annotations.
    let mut bookkeeping = old.clone();
    bookkeeping["metadata"]["labels"] = json!({"team": "data"});
    bookkeeping["metadata"]["finalizers"] = json!(["finalizer.managedresource.crossplane.io"]);
    bookkeeping["metadata"]["annotations"] =
        json!({"crossplane.io/external-name": "vpce-0123456789abcdef0"});
    bookkeeping["status"] = json!({"atProvider": {"id": "vpce-0123456789abcdef0"}, "conditions": [{"type": "Ready", "status": "True"}]});
    let r = decide(
        &app,
        review("UPDATE", Some(&bookkeeping), Some(&old), false),
    )
    .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["auditAnnotations"]["decision"], "unchanged");
    let warnings = r["warnings"].as_array().expect("warnings");
    assert!(
        warnings[0]
            .as_str()
            .expect("text")
            .contains("nothing the perimeter rules read changed")
    );
    assert_eq!(
        warnings.len(),
        3,
        "the note and one warning per finding: {warnings:?}"
    );

    // Changing the policy is judged like a create.
    let mut edited = old.clone();
    edited["spec"]["forProvider"]["policy"] = json!(
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"
    );
    let r = decide(&app, review("UPDATE", Some(&edited), Some(&old), false)).await;
    assert_eq!(r["allowed"], false, "{r}");

    // Making a compliant object violate is denied too.
    let good = example(UPBOUND, "s3-gateway");
    let mut opened = good.clone();
    opened["spec"]["forProvider"]["policy"] = edited["spec"]["forProvider"]["policy"].clone();
    let r = decide(&app, review("UPDATE", Some(&opened), Some(&good), false)).await;
    assert_eq!(r["allowed"], false, "{r}");
}

#[tokio::test]
async fn deletes_and_unknown_kinds_are_allowed() {
    let app = app(&example_perimeter());
    let object = example(ACK, "public-site");
    let r = decide(&app, review("DELETE", None, Some(&object), false)).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r["auditAnnotations"]["decision"], "allow");
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team"}, "data": {"policy": "{}"}});
    let r = decide(&app, review("CREATE", Some(&config_map), None, false)).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r["auditAnnotations"]["decision"], "skip");
}

#[tokio::test]
async fn exemptions_admit_with_a_warning_and_an_annotation() {
    let app = app(&example_perimeter());
    let mut object = example(ACK, "public-site");
    object["metadata"]["namespace"] = json!("kube-system");
    let r = decide(&app, review("CREATE", Some(&object), None, false)).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["auditAnnotations"]["exemption"],
        "namespace kube-system is exempt"
    );
    assert_eq!(
        r["warnings"][0],
        "perimeter-guard: not checked (namespace kube-system is exempt)"
    );

    let mut labelled = example(ACK, "public-site");
    labelled["metadata"]["labels"] = json!({"perimeterguard.io/exempt": "INC-1234"});
    let r = decide(&app, review("CREATE", Some(&labelled), None, false)).await;
    assert_eq!(
        r["auditAnnotations"]["exemption"],
        "label perimeterguard.io/exempt=INC-1234"
    );

    let metrics = get(&app.health, "/metrics").await.1;
    for reason in ["namespace", "label"] {
        assert!(
            metrics.contains(&format!(
                "perimeter_guard_exemptions_total{{reason=\"{reason}\"}} 1"
            )),
            "{metrics}"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_get_400_with_a_json_error() {
    let app = app(&example_perimeter());
    let object = example(ACK, "public-site");
    let mut no_uid = review("CREATE", Some(&object), None, false);
    no_uid["request"]
        .as_object_mut()
        .expect("request")
        .remove("uid");
    let mut wrong_kind = review("CREATE", Some(&object), None, false);
    wrong_kind["kind"] = json!("AdmissionResponse");
    let mut object_not_object = review("CREATE", Some(&object), None, false);
    object_not_object["request"]["object"] = json!("a string");
    for body in [
        "not json".to_owned(),
        "{}".to_owned(),
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).to_string(),
        no_uid.to_string(),
        wrong_kind.to_string(),
        object_not_object.to_string(),
        "[1, 2, 3]".to_owned(),
    ] {
        let (status, error) = post(&app.webhook, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert_eq!(error["status"], 400);
        assert!(
            error["error"]
                .as_str()
                .expect("error")
                .starts_with("not an admission.k8s.io/v1 AdmissionReview request: "),
            "{error}"
        );
    }
    let metrics = get(&app.health, "/metrics").await.1;
    assert!(
        metrics.contains("perimeter_guard_admission_errors_total{reason=\"bad_request\"} 7"),
        "{metrics}"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = app_with(
        Some(load_perimeters(&example_perimeter(), "p").expect("valid")),
        Settings::default(),
        Limits {
            max_body: 64 * 1024,
            ..Limits::default()
        },
    );
    let object = example(ACK, "public-site");
    let mut big = review("CREATE", Some(&object), None, false);
    big["request"]["object"]["metadata"]["annotations"] = json!({"padding": "x".repeat(70 * 1024)});
    let (status, error) = post(&app.webhook, big.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["error"], "the request body exceeds 65536 bytes");
    // The default limit takes an UPDATE of two objects at the API server's 3 MiB maximum.
    let default = self::app(&example_perimeter());
    let mut huge = review("UPDATE", Some(&object), Some(&object), false);
    let padding = json!({"padding": "x".repeat(3 * 1024 * 1024 - 4096)});
    huge["request"]["object"]["metadata"]["annotations"] = padding.clone();
    huge["request"]["oldObject"]["metadata"]["annotations"] = padding;
    // The update opens the bucket: before it, Block Public Access was on.
    huge["request"]["oldObject"]["spec"]["publicAccessBlock"]["blockPublicPolicy"] = json!(true);
    let (status, body) = post(&default.webhook, huge.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["response"]["allowed"], false,
        "a public bucket stays denied"
    );
}

#[tokio::test]
async fn without_a_valid_configuration_reviews_get_503_and_readiness_fails() {
    let app = app_with(None, Settings::default(), Limits::default());
    let object = example(ACK, "public-site");
    let (status, error) = post(
        &app.webhook,
        review("CREATE", Some(&object), None, false).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error["error"],
        "perimeter-guard has no valid configuration loaded yet"
    );
    let (status, detail) = get(&app.health, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{detail}");
    assert_eq!(get(&app.health, "/healthz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_findings_and_durations() {
    let app = app(&example_perimeter());
    for (file, name) in [
        (ACK, "s3-interface"),
        (ACK, "dynamodb-open"),
        (UPBOUND, "s3-anyone"),
    ] {
        let object = example(file, name);
        decide(&app, review("CREATE", Some(&object), None, false)).await;
    }
    // The same object again (a controller's resend) is answered from the decision cache.
    let again = decide(
        &app,
        review("CREATE", Some(&example(ACK, "dynamodb-open")), None, false),
    )
    .await;
    assert_eq!(again["allowed"], false);
    let (status, text) = get(&app.health, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "perimeter_guard_admission_requests_total{kind=\"VPCEndpoint\",operation=\"CREATE\",decision=\"allow\"} 1",
        "perimeter_guard_admission_requests_total{kind=\"VPCEndpoint\",operation=\"CREATE\",decision=\"deny\"} 3",
        "perimeter_guard_decision_cache_lookups_total{result=\"miss\"} 3",
        "perimeter_guard_decision_cache_lookups_total{result=\"hit\"} 1",
        "perimeter_guard_findings_total{rule=\"DP-EP-001\",enforcement=\"Deny\"} 2",
        "perimeter_guard_findings_total{rule=\"DP-EP-002\",enforcement=\"Deny\"} 1",
        "perimeter_guard_admission_duration_seconds_count 4",
        "perimeter_guard_admission_duration_seconds_bucket{le=\"0.0001\"}",
        "perimeter_guard_admission_duration_seconds_bucket{le=\"30.0\"} 4",
        "perimeter_guard_config_reload_total{result=\"success\"} 1",
        "perimeter_guard_config_info{generation=\"1\",hash=",
        "# EOF",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

/// One code path with `check`: for every object of the shared corpus, the webhook's answer is the
/// decision `evaluate` gives, whether evaluated, answered from the decision cache, or with the
/// cache off.
#[tokio::test]
async fn the_webhook_agrees_with_check_on_every_corpus_manifest() {
    let perimeters = load_perimeters(&example_perimeter(), "p").expect("valid");
    let app = app_with(
        Some(perimeters.clone()),
        Settings::default(),
        Limits::default(),
    );
    let uncached = app_with(
        Some(perimeters.clone()),
        Settings::default(),
        Limits {
            decision_cache_bytes: 0,
            ..Limits::default()
        },
    );
    let dir = common::corpus_root().join("manifests");
    let mut checked = 0;
    for file in common::files_below(&dir, "yaml") {
        let text = std::fs::read_to_string(dir.join(&file)).expect("readable");
        let Ok(documents) =
            perimeter_guard::cli::check::manifests::parse(&text, &file.display().to_string())
        else {
            continue;
        };
        for d in documents {
            if d.value.pointer("/kind").and_then(Value::as_str).is_none() {
                continue;
            }
            let body = review("CREATE", Some(&d.value), None, false);
            let r = decide(&app, body.clone()).await;
            assert_eq!(
                decide(&app, body.clone()).await,
                r,
                "{}:{}: from the cache",
                file.display(),
                d.line
            );
            assert_eq!(
                decide(&uncached, body).await,
                r,
                "{}:{}: uncached",
                file.display(),
                d.line
            );
            let expected = match evaluate(&d.value, &perimeters) {
                ObjectVerdict::Checked { decision, .. } => {
                    checked += 1;
                    decision != AdmissionDecision::Deny
                }
                ObjectVerdict::Skipped { .. } => true,
            };
            assert_eq!(r["allowed"], expected, "{}:{}: {r}", file.display(), d.line);
        }
    }
    assert!(checked >= 30, "only {checked} corpus objects were checked");
}
