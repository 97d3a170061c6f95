//! End to end against the real kube-apiserver (v1.20.2, built from Debian's source package by
//! `scripts/kube-apiserver/build.sh`), etcd, kubectl and helm, with `perimeter-guard serve` as a
//! local process registered by `clientConfig.url` through the chart's own webhook configuration.
//!
//! One test, in phases, against one cluster: starting a kube-apiserver costs more than every
//! phase together. Everything started is stopped on drop, also when a phase fails.

mod cluster;
#[path = "../integration/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

use cluster::{Cluster, Serve, free_port, helm_template, repo};
use common::pki::Ca;

const FAMILIES: [&str; 3] = ["ack", "crossplane-classic", "upbound"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What `check` decides for every object of an example file: (kind, namespace/name) → decision
/// and rule ids. The webhook must agree object by object.
fn expected(file: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .args(["check", "--output", "json", "--perimeter"])
        .arg(repo("manifests/examples/dataperimeter.yaml"))
        .arg("-f")
        .arg(repo(file))
        .output()
        .expect("check runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let obj = &o["object"];
            let shown = match obj["namespace"].as_str() {
                Some(ns) => format!(
                    "{} {ns}/{}",
                    obj["kind"].as_str().unwrap_or(""),
                    obj["name"].as_str().unwrap_or("")
                ),
                None => format!(
                    "{} {}",
                    obj["kind"].as_str().unwrap_or(""),
                    obj["name"].as_str().unwrap_or("")
                ),
            };
            let mut rules: Vec<String> = o["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| f["rule"].as_str().expect("rule").to_owned())
                .collect();
            rules.dedup();
            (
                shown,
                (o["decision"].as_str().expect("decision").to_owned(), rules),
            )
        })
        .collect()
}

fn objects(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo(file)).expect("read");
    perimeter_guard::yaml::stream_to_json(&text).expect("YAML")
}

/// `kind.group` for kubectl, so kinds of the same name in different groups are not confused.
fn resource(object: &Value) -> String {
    let api = object["apiVersion"].as_str().expect("apiVersion");
    let (group, version) = api.split_once('/').expect("a group");
    let plural =
        perimeter_guard::resources::webhook_rules::plural(object["kind"].as_str().expect("kind"));
    format!("{plural}.{version}.{group}")
}

fn set_enforcement(cluster: &Cluster, serve: &Serve, enforcement: &str, generation: &mut u64) {
    patch_spec(
        cluster,
        serve,
        &format!("{{\"enforcement\":\"{enforcement}\"}}"),
        generation,
    );
}

/// Creates the chart's CRD `name` (`charts/perimeter-guard/crds/<name>.yaml`).
fn install_chart_crd(cluster: &Cluster, name: &str) {
    let file = repo(&format!("charts/perimeter-guard/crds/{name}.yaml"));
    cluster.kubectl_ok(&["create", "-f", file.to_str().expect("utf-8")], None);
}

/// Merges `spec` into the example perimeter's and waits until serve decides with it.
fn patch_spec(cluster: &Cluster, serve: &Serve, spec: &str, generation: &mut u64) {
    cluster.kubectl_ok(
        &[
            "patch",
            "dataperimeter",
            "corp",
            "--type",
            "merge",
            "-p",
            &format!("{{\"spec\":{spec}}}"),
        ],
        None,
    );
    *generation += 1;
    wait_for_generation(serve, *generation, spec);
}

/// Waits until serve decides with configuration `generation`: --watch-crds picks a change up
/// within seconds, and the readiness detail shows it.
fn wait_for_generation(serve: &Serve, generation: u64, what: &str) {
    // A watch that failed retries with a backoff of up to 30 seconds (kube-runtime's default).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let detail: Value = serve
            .get("/readyz")
            .and_then(|(_, body)| serde_json::from_str(body.trim()).ok())
            .unwrap_or_default();
        if detail["config"]["generation"].as_u64() == Some(generation) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never took effect: {detail}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A PerimeterException waiving DP-DEST-001 for the example Bucket `analytics/uploads` (whose
/// only finding it is) until `expires_at`.
fn uploads_exception(expires_at: jiff::Timestamp, rule: &str) -> String {
    serde_json::json!({
        "apiVersion": "perimeterguard.io/v1alpha1",
        "kind": "PerimeterException",
        "metadata": {"name": "uploads-partner"},
        "spec": {
            "owner": "data-platform@example.com",
            "reason": "partner migration, ticket SEC-1234",
            "expiresAt": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "rules": [rule],
            "match": {"kinds": ["Bucket"], "namespaces": ["analytics"], "names": ["uploads"]}
        }
    })
    .to_string()
}

/// Sleeps until `t` has passed by a second (the API server's times are whole seconds).
fn sleep_past(t: jiff::Timestamp) {
    let left = t.as_second() + 1 - jiff::Timestamp::now().as_second();
    if left > 0 {
        std::thread::sleep(Duration::from_secs(left.unsigned_abs()));
    }
}

/// A server-side dry run of `object` that the webhook denies, with every fragment in the error.
fn dry_run_denied(cluster: &Cluster, object: &Value, fragments: &[&str]) {
    let out = cluster.kubectl(
        &["create", "--dry-run=server", "-f", "-"],
        Some(&object.to_string()),
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "admitted: {object}\n{stderr}");
    for fragment in fragments {
        assert!(stderr.contains(fragment), "{fragment:?} missing:\n{stderr}");
    }
}

/// A server-side dry run of `object` that is admitted: silently, or with the admission warning
/// that starts `warning` (rule and pointer).
fn dry_run_admitted(cluster: &Cluster, object: &Value, warning: Option<&str>) {
    let out = cluster.kubectl(
        &["create", "--dry-run=server", "-f", "-"],
        Some(&object.to_string()),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "refused: {object}\n{stderr}");
    match warning {
        Some(warning) => assert!(
            stderr.contains(&format!("Warning: {warning}")),
            "no warning {warning:?}:\n{stderr}"
        ),
        None => assert!(!stderr.contains("Warning"), "{stderr}"),
    }
}

#[test]
fn perimeter_guard_in_front_of_a_real_kube_apiserver_with_the_corpus_crds() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The API server's audit log records the webhook's audit annotations.
    let audit_log = dir.path().join("audit.log");
    let audit_policy = dir.path().join("audit-policy.yaml");
    std::fs::write(
        &audit_policy,
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  resources: [{group: s3.services.k8s.aws}]\n- level: None\n",
    )
    .expect("audit policy");
    let cluster = Cluster::start(
        dir.path(),
        &[
            "--audit-log-path",
            audit_log.to_str().expect("utf-8"),
            "--audit-policy-file",
            audit_policy.to_str().expect("utf-8"),
        ],
    );
    assert!(
        cluster
            .kubectl_ok(&["version", "-o", "json"], None)
            .contains("v1.20.2")
    );

    // Phase 1: the real provider CRDs and the DataPerimeter CRD. Several provider CRDs carry
    // x-kubernetes-validations, unknown to 1.20: kubectl's client-side validation would refuse
    // them, the server drops the field; `create` because the largest exceed the annotation
    // `apply` would write.
    let crds = common::corpus_root().join("crds");
    for rel in common::files_below(&crds, "yaml") {
        if rel.starts_with("upbound/unreleased-pr339") {
            continue;
        }
        cluster.kubectl_ok(
            &[
                "create",
                "--validate=false",
                "-f",
                crds.join(&rel).to_str().expect("utf-8"),
            ],
            None,
        );
    }
    // The PerimeterException CRD comes later, once serve runs: as after a `helm upgrade`, which
    // never installs a CRD new to the chart.
    install_chart_crd(&cluster, "dataperimeters.perimeterguard.io");
    cluster.kubectl_ok(
        &[
            "wait",
            "--for",
            "condition=established",
            "crd",
            "--all",
            "--timeout=120s",
        ],
        None,
    );
    // Namespaces, labelled with their names as the API server does itself from 1.21 on.
    for ns in [
        "perimeter-guard",
        "platform",
        "web",
        "analytics",
        "data",
        "sandbox",
    ] {
        cluster.kubectl_ok(&["create", "namespace", ns], None);
        cluster.kubectl_ok(
            &[
                "label",
                "namespace",
                ns,
                &format!("kubernetes.io/metadata.name={ns}"),
            ],
            None,
        );
    }
    cluster.kubectl_ok(
        &[
            "apply",
            "-f",
            repo("manifests/examples/dataperimeter.yaml")
                .to_str()
                .expect("utf-8"),
        ],
        None,
    );

    // Phase 2: serve as the chart's service account, under the chart's own RBAC (RBAC is on), and
    // the chart's webhook configuration pointing at it.
    let rbac = helm_template(&[
        "--show-only",
        "templates/serviceaccount.yaml",
        "--show-only",
        "templates/rbac.yaml",
    ]);
    cluster.kubectl_ok(&["apply", "-f", "-"], Some(&rbac));
    let service_account = cluster.kubeconfig_for(
        "system:serviceaccount:perimeter-guard:perimeter-guard",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:perimeter-guard",
        ],
    );
    let ca = Ca::new("webhook CA");
    let pair = ca.server("perimeter-guard");
    let port = free_port();
    let serve = Serve::start(dir.path(), &pair.cert, &pair.key, port, &service_account);
    let mut generation = 1;
    // Ready without the PerimeterException kind (none are in force); its CRD installed now is
    // watched from then on (phase 3b creates one).
    install_chart_crd(&cluster, "perimeterexceptions.perimeterguard.io");
    cluster.kubectl_ok(
        &[
            "wait",
            "--for",
            "condition=established",
            "crd",
            "perimeterexceptions.perimeterguard.io",
            "--timeout=60s",
        ],
        None,
    );
    let webhook = helm_template(&[
        "--show-only",
        "templates/webhook.yaml",
        "--set",
        "certificates.mode=secret",
        "--set",
        "certificates.secret.name=unused",
        "--set",
        &format!(
            "certificates.secret.caBundle={}",
            base64::engine::general_purpose::STANDARD.encode(ca.pem())
        ),
        "--set",
        &format!("webhook.url=https://127.0.0.1:{port}/validate"),
        "--set",
        "exemptions.namespaces={sandbox}",
    ]);
    cluster.kubectl_ok(&["apply", "-f", "-"], Some(&webhook));

    // --watch-crds: the example perimeter is accepted and in force; an invalid one is reported on
    // its status and left out; the CRD's schema refuses a value the type does not know.
    let broken = r#"{"apiVersion": "perimeterguard.io/v1alpha1", "kind": "DataPerimeter",
        "metadata": {"name": "broken"}, "spec": {"identity": {"trustedAccounts": ["12345"]}}}"#;
    cluster.kubectl_ok(&["create", "-f", "-"], Some(broken));
    let typo = broken.replace("broken", "typo").replace(
        r#""identity": {"trustedAccounts": ["12345"]}"#,
        r#""enforcement": "Block""#,
    );
    let out = cluster.kubectl(&["create", "-f", "-"], Some(&typo));
    assert!(
        !out.status.success() && text(&out.stderr).contains("Unsupported value: \"Block\""),
        "{}",
        text(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let conditions = cluster.kubectl_ok(
            &["get", "dataperimeters", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[0].status}/{.status.conditions[0].reason};{end}"],
            None,
        );
        if conditions == "broken=False/Invalid;corp=True/Valid;" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "statuses never written: {conditions}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let message = cluster.kubectl_ok(
        &[
            "get",
            "dataperimeter",
            "broken",
            "-o",
            "jsonpath={.status.conditions[0].message}",
        ],
        None,
    );
    assert!(
        message.contains("spec.identity.trustedAccounts[0]"),
        "{message}"
    );
    let detail: Value =
        serde_json::from_str(serve.get("/readyz").expect("readyz").1.trim()).expect("JSON");
    assert_eq!(
        detail["config"]["perimeters"],
        serde_json::json!(["corp"]),
        "{detail}"
    );
    assert_eq!(detail["config"]["generation"], generation, "{detail}");
    assert_eq!(
        serve.metric("perimeter_guard_crd_objects{result=\"invalid\"}"),
        1.0
    );
    // `kubectl get` shows the printer columns.
    let table = cluster.kubectl_ok(&["get", "dataperimeters"], None);
    assert!(
        table.starts_with("NAME") && table.contains("ENFORCEMENT") && table.contains("ACCEPTED"),
        "{table}"
    );

    // Phase 3 (Deny): every family's examples, compliant admitted and violating denied, object by
    // object as `check` decides, dry runs first (they are how users test).
    for family in FAMILIES {
        let file = format!("manifests/examples/{family}.yaml");
        let path = repo(&file);
        let expected = expected(&file);
        for dry_run in [true, false] {
            let mut args = vec!["create", "-f", path.to_str().expect("utf-8")];
            if dry_run {
                args.push("--dry-run=server");
            }
            let out = cluster.kubectl(&args, None);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            for (shown, (decision, rules)) in &expected {
                let denial = format!(
                    "admission webhook \"validate.perimeterguard.io\" denied the request: perimeter-guard denied {shown}: "
                );
                if decision == "deny" {
                    let line = stderr
                        .lines()
                        .find(|l| l.contains(&denial))
                        .unwrap_or_else(|| panic!("{family} (dry run {dry_run}): {shown} was not denied:\n{stdout}\n{stderr}"));
                    for rule in rules {
                        assert!(line.contains(rule.as_str()), "{line} lacks {rule}");
                    }
                } else {
                    assert!(!stderr.contains(&denial), "{shown} was denied:\n{stderr}");
                }
            }
        }
        // The compliant objects exist now, the violating ones do not.
        for object in objects(&file) {
            let name = object["metadata"]["name"].as_str().expect("name");
            let mut args = vec!["get".to_owned(), resource(&object), name.to_owned()];
            if let Some(ns) = object["metadata"]["namespace"].as_str() {
                args.extend(["-n".to_owned(), ns.to_owned()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let shown = expected
                .keys()
                .find(|k| k.ends_with(&format!("/{name}")) || k.ends_with(&format!(" {name}")))
                .expect("expected");
            let stored = cluster.kubectl(&args, None).status.success();
            assert_eq!(stored, expected[shown].0 != "deny", "{shown}");
        }
    }

    // Phase 3b: PerimeterExceptions. The webhook validates them itself (the field at fault in the
    // refusal); a valid one admits the object it names with a warning naming it, until it
    // expires, and /metrics counts it.
    let out = cluster.kubectl(
        &["create", "-f", "-"],
        Some(&uploads_exception(
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
            "DP-DEST-*",
        )),
    );
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("spec.rules[0]")
            && stderr.contains("never a wildcard"),
        "{stderr}"
    );
    let uploads = objects("manifests/examples/ack.yaml")
        .into_iter()
        .find(|o| o["metadata"]["name"] == "uploads")
        .expect("uploads");
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
    cluster.kubectl_ok(
        &["create", "-f", "-"],
        Some(&uploads_exception(expires, "DP-DEST-001")),
    );
    generation += 1;
    wait_for_generation(&serve, generation, "the exception, once its kind is served");
    dry_run_admitted(
        &cluster,
        &uploads,
        Some(
            "DP-DEST-001 waived by PerimeterException uploads-partner (owner data-platform@example.com, expires ",
        ),
    );
    assert_eq!(
        serve.metric("perimeter_guard_exceptions{state=\"active\"}"),
        1.0
    );
    // CI checks against exactly what the cluster enforces: `check --from-cluster` reads the same
    // perimeters and exceptions, says the webhook's configuration hash, and decides alike.
    let checked = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .args(["check", "--from-cluster", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .args(["-f", "manifests/examples/ack.yaml", "--output", "json"])
        .current_dir(repo(""))
        .output()
        .expect("check runs");
    let stderr = text(&checked.stderr);
    assert_eq!(checked.status.code(), Some(1), "{stderr}");
    let in_force: Value =
        serde_json::from_str(serve.get("/readyz").expect("readyz").1.trim()).expect("JSON");
    let hash = in_force["config"]["hash"].as_str().expect("hash");
    assert!(
        stderr.contains(&format!("configuration {hash} from https://")),
        "the webhook's hash {hash}: {stderr}"
    );
    assert!(
        stderr.contains("DataPerimeter broken: spec.identity.trustedAccounts[0]"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    let decided = |name: &str| {
        report["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .find(|o| o["object"]["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(decided("uploads")["decision"], "allow");
    assert_eq!(
        decided("uploads")["findings"][0]["waivedBy"]["exception"],
        "uploads-partner"
    );
    assert_eq!(decided("public-site")["decision"], "deny");
    // What `crossplane render` prints for a composite, checked against the cluster's perimeters:
    // each composed resource is attributed to its composite.
    let rendered = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .args(["check", "--from-cluster", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .args(["--output", "json", "-f", "-"])
        .current_dir(repo(""))
        .stdin(
            std::fs::File::open(repo(
                "examples/crossplane-render/s3irsa-public-folders.yaml",
            ))
            .expect("the example"),
        )
        .output()
        .expect("check runs");
    assert_eq!(
        rendered.status.code(),
        Some(1),
        "{}",
        text(&rendered.stderr)
    );
    assert!(text(&rendered.stderr).contains(&format!("configuration {hash} from https://")));
    let report: Value = serde_json::from_slice(&rendered.stdout).expect("JSON");
    let policy = report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["partOf"]["resource"] == "s3-bucket-policy")
        .expect("the composed bucket policy");
    assert_eq!(policy["decision"], "deny");
    assert_eq!(
        policy["partOf"]["composite"],
        "S3IRSA my-app/my-app-public-assets"
    );
    let accepted = cluster.kubectl_ok(
        &[
            "get",
            "perimeterexception",
            "uploads-partner",
            "-o",
            "jsonpath={.status.conditions[0].status}",
        ],
        None,
    );
    assert_eq!(accepted, "True");
    sleep_past(expires);
    dry_run_denied(&cluster, &uploads, &["DP-DEST-001"]);
    assert_eq!(
        serve.metric("perimeter_guard_exceptions{state=\"expired\"}"),
        1.0
    );
    assert_eq!(
        serve.metric("perimeter_guard_exception_next_expiry_seconds"),
        -1.0
    );
    cluster.kubectl_ok(&["delete", "perimeterexception", "uploads-partner"], None);
    generation += 1;
    wait_for_generation(&serve, generation, "deleting the exception");

    // Phase 4 (Warn): admitted, and kubectl prints one warning per finding.
    set_enforcement(&cluster, &serve, "Warn", &mut generation);
    let ack = repo("manifests/examples/ack.yaml");
    let out = cluster.kubectl(
        &[
            "create",
            "-f",
            ack.to_str().expect("utf-8"),
            "--dry-run=server",
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Warning: DP-EP-001 /spec/policyDocument: no policy document"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Warning: DP-BP-001 /spec/policy: "),
        "{stderr}"
    );
    assert!(!stderr.contains("denied the request"), "{stderr}");

    // Phase 5 (Audit): admitted with nothing shown, but counted.
    set_enforcement(&cluster, &serve, "Audit", &mut generation);
    let audited = serve.metric("perimeter_guard_admission_requests_total{kind=\"Bucket\",operation=\"CREATE\",decision=\"audit\"}");
    let public_site: Value = objects("manifests/examples/ack.yaml")
        .into_iter()
        .find(|o| o["metadata"]["name"] == "public-site")
        .expect("public-site");
    let out = cluster.kubectl(&["create", "-f", "-"], Some(&public_site.to_string()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("Warning"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        serve.metric("perimeter_guard_admission_requests_total{kind=\"Bucket\",operation=\"CREATE\",decision=\"audit\"}"),
        audited + 1.0
    );
    assert!(
        serve.metric("perimeter_guard_findings_total{rule=\"DP-PAB-001\",enforcement=\"Audit\"}")
            >= 1.0
    );

    // Phase 6 (Deny again): the stored violating object may be relabelled (controllers and
    // people must never be wedged), with a warning; changing its policy is denied.
    set_enforcement(&cluster, &serve, "Deny", &mut generation);
    let out = cluster.kubectl(
        &[
            "label",
            "buckets.v1alpha1.s3.services.k8s.aws",
            "public-site",
            "-n",
            "web",
            "team=web",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nothing the perimeter rules read changed"),
        "{}",
        text(&out.stderr)
    );
    let out = cluster.kubectl(
        &["patch", "buckets.v1alpha1.s3.services.k8s.aws", "public-site", "-n", "web", "--type", "merge", "-p",
          r#"{"spec":{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"PublicList\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::example-public-site\"}]}"}}"#],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("perimeter-guard denied Bucket web/public-site"),
        "{}",
        text(&out.stderr)
    );

    // Phase 6b: Resource and ServiceNetwork endpoints are judged by the owner in their target's
    // ARN, under the example perimeter allowing those types and knowing that 777788889999 is a
    // member of another organization (beside the example's own partner organization, restored
    // after); dry runs, so that nothing is stored for the audit below.
    patch_spec(
        &cluster,
        &serve,
        r#"{"organizations":[{"id":"o-zyx987wvu6","accounts":["210987654321"]},{"id":"o-zzz9876543","accounts":["777788889999"]}],"vpcEndpoints":{"allowedTypes":["Interface","Gateway","Resource","ServiceNetwork"]}}"#,
        &mut generation,
    );
    let resource_endpoint = |account: &str| {
        serde_json::json!({"apiVersion": "ec2.aws.upbound.io/v1beta2", "kind": "VPCEndpoint",
            "metadata": {"name": format!("database-{account}")},
            "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointType": "Resource", "vpcId": "vpc-111bbb22",
                "resourceConfigurationArn": format!("arn:aws:vpc-lattice:us-east-1:{account}:resourceconfiguration/rcfg-0123456789abcdef0")}}})
    };
    dry_run_denied(
        &cluster,
        &resource_endpoint("777788889999"),
        &[
            "perimeter-guard denied VPCEndpoint database-777788889999: 1 finding (DP-EP-017)",
            "DP-EP-017 at /spec/forProvider/resourceConfigurationArn: the endpoint connects to the resource configuration arn:aws:vpc-lattice:us-east-1:777788889999:resourceconfiguration/rcfg-0123456789abcdef0",
            "fix: connect only to a resource configuration or service network a trusted resource owner shares",
        ],
    );
    dry_run_admitted(&cluster, &resource_endpoint("111122223333"), None);
    let unknown_owner = serde_json::json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "lattice", "namespace": "platform"},
        "spec": {"vpcEndpointType": "ServiceNetwork", "vpcID": "vpc-111bbb22", "securityGroupIDs": ["sg-0a1b2c3d"],
            "serviceNetworkARN": "arn:aws:vpc-lattice:us-east-1:555566667777:servicenetwork/sn-0123456789abcdef0"}});
    dry_run_admitted(
        &cluster,
        &unknown_owner,
        Some("DP-EP-018 /spec/serviceNetworkARN: "),
    );
    patch_spec(
        &cluster,
        &serve,
        r#"{"organizations":[{"id":"o-zyx987wvu6","accounts":["210987654321"]}],"vpcEndpoints":{"allowedTypes":["Interface","Gateway"]}}"#,
        &mut generation,
    );

    // Phase 6c: access point policies in every family, each violating object denied with its
    // rule and the request that proves it and its compliant twin admitted; an Upbound
    // AccessPointPolicy, which cannot show its access point's network origin, warns (DP-AP-004);
    // the Upbound Multi-Region and Object Lambda Access Point policies are judged as well;
    // a bucket policy delegating to another account's access points is denied. Dry runs, so that
    // nothing is stored for the audit below. 210987654321 is the partner organization's member.
    //
    // One Allow of `action` on `resource` to `account`.
    let point_policy = |account: &str, action: &str, resource: &str, condition: Option<Value>| {
        let mut statement = serde_json::json!({"Sid": "Read", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": action, "Resource": resource});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
    };
    let objects_of = |access_point: &str| {
        format!("arn:aws:s3:us-east-1:111122223333:accesspoint/{access_point}/object/*")
    };
    let in_endpoint =
        || Some(serde_json::json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}));
    // ACK (namespaced): a VPC-origin access point in the expected VPC, read by `account`.
    let ack_access_point = |account: &str| {
        let name = format!("ledger-{account}");
        serde_json::json!({"apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
            "metadata": {"name": name, "namespace": "analytics", "annotations": {"services.k8s.aws/region": "us-east-1"}},
            "spec": {"name": name, "bucket": "example-ledger", "accountID": "111122223333",
                "vpcConfiguration": {"vpcID": "vpc-111bbb22"}, "policy": point_policy(account, "s3:GetObject", &objects_of(&name), None)}})
    };
    dry_run_denied(
        &cluster,
        &ack_access_point("210987654321"),
        &[
            "perimeter-guard denied AccessPoint analytics/ledger-210987654321: 1 finding (DP-AP-001)",
            "DP-AP-001 at /spec/policy: role session arn:aws:sts::210987654321:assumed-role/",
            "can s3:GetObject arn:aws:s3:us-east-1:111122223333:accesspoint/ledger-210987654321/object/",
        ],
    );
    dry_run_admitted(&cluster, &ack_access_point("111122223333"), None);
    // Crossplane classic (cluster-scoped, structured policy): Internet-origin without a network
    // condition, or VPC-origin in the expected VPC.
    let classic_access_point = |name: &str, vpc: Option<&str>| {
        let mut object = serde_json::json!({"apiVersion": "s3control.aws.crossplane.io/v1alpha1", "kind": "AccessPoint",
            "metadata": {"name": name},
            "spec": {"forProvider": {"region": "us-east-1", "accountID": "111122223333", "bucketName": "example-archive",
                "policy": {"version": "2012-10-17", "statements": [{"effect": "Allow",
                    "principal": {"awsPrincipals": [{"awsAccountId": "111122223333"}]}, "action": ["s3:GetObject"],
                    "resource": [format!("arn:aws:s3:us-east-1:111122223333:accesspoint/{name}/object/*")]}]}}}});
        if let Some(vpc) = vpc {
            object["spec"]["forProvider"]["vpcConfiguration"] = serde_json::json!({"vpcID": vpc});
        }
        object
    };
    dry_run_denied(
        &cluster,
        &classic_access_point("archive-internet", None),
        &[
            "perimeter-guard denied AccessPoint archive-internet: 1 finding (DP-AP-002)",
            "DP-AP-002 at /spec/forProvider/policy/statements/0: ",
            "can s3:GetObject arn:aws:s3:us-east-1:111122223333:accesspoint/archive-internet/object/",
            "fix: make it a VPC-origin access point (vpcConfiguration)",
        ],
    );
    dry_run_admitted(
        &cluster,
        &classic_access_point("archive-vpc", Some("vpc-111bbb22")),
        None,
    );
    // Upbound AccessPointPolicy, cluster-scoped: read by `account` through the expected endpoint.
    let upbound_policy = |account: &str| {
        serde_json::json!({"apiVersion": "s3control.aws.upbound.io/v1beta1", "kind": "AccessPointPolicy",
            "metadata": {"name": format!("reports-{account}")},
            "spec": {"forProvider": {"region": "us-east-1",
                "accessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/reports",
                "policy": point_policy(account, "s3:GetObject", &objects_of("reports"), in_endpoint())}}})
    };
    dry_run_denied(
        &cluster,
        &upbound_policy("210987654321"),
        &[
            "perimeter-guard denied AccessPointPolicy reports-210987654321: 1 finding (DP-AP-001)",
            "DP-AP-001 at /spec/forProvider/policy: role session arn:aws:sts::210987654321:assumed-role/",
            "through VPC endpoint vpce-1a2b3c4d",
        ],
    );
    dry_run_admitted(&cluster, &upbound_policy("111122223333"), None);
    // Namespaced, without a network condition: whether the internet reaches it depends on the
    // origin its AccessPoint states, so it is admitted with a warning.
    let mut anywhere = upbound_policy("111122223333");
    anywhere["apiVersion"] = Value::from("s3control.aws.m.upbound.io/v1beta1");
    anywhere["metadata"] = serde_json::json!({"name": "reports-anywhere", "namespace": "data"});
    anywhere["spec"]["forProvider"]["policy"] = Value::from(point_policy(
        "111122223333",
        "s3:GetObject",
        &objects_of("reports"),
        None,
    ));
    dry_run_admitted(
        &cluster,
        &anywhere,
        Some("DP-AP-004 /spec/forProvider/policy: "),
    );
    // Upbound AccessPoint, namespaced: Internet-origin or VPC-origin in the expected VPC.
    let upbound_access_point = |name: &str, vpc: Option<&str>| {
        let mut object = serde_json::json!({"apiVersion": "s3control.aws.m.upbound.io/v1beta1", "kind": "AccessPoint",
            "metadata": {"name": name, "namespace": "data"},
            "spec": {"forProvider": {"region": "us-east-1", "bucket": "example-reports", "name": name,
                "policy": point_policy("111122223333", "s3:GetObject", &objects_of(name), None)}}});
        if let Some(vpc) = vpc {
            object["spec"]["forProvider"]["vpcConfiguration"] = serde_json::json!({"vpcId": vpc});
        }
        object
    };
    dry_run_denied(
        &cluster,
        &upbound_access_point("reports-internet", None),
        &[
            "perimeter-guard denied AccessPoint data/reports-internet: 1 finding (DP-AP-002)",
            "DP-AP-002 at /spec/forProvider/policy: ",
            "can s3:GetObject arn:aws:s3:us-east-1:111122223333:accesspoint/reports-internet/object/",
        ],
    );
    dry_run_admitted(
        &cluster,
        &upbound_access_point("reports-vpc", Some("vpc-111bbb22")),
        None,
    );
    // The other Upbound doors, cluster-scoped, read by `account` through the expected endpoint:
    // a VPC-origin AccessPoint (v1beta2), a Multi-Region Access Point's policy and an Object
    // Lambda Access Point's, each with the field its policy is in.
    let upbound_doors = |account: &str| {
        let name = format!("reports-{account}");
        [
            (
                serde_json::json!({"apiVersion": "s3control.aws.upbound.io/v1beta2", "kind": "AccessPoint",
                    "metadata": {"name": name},
                    "spec": {"forProvider": {"region": "us-east-1", "accountId": "111122223333", "bucket": "example-reports",
                        "name": name, "vpcConfiguration": {"vpcId": "vpc-111bbb22"},
                        "policy": point_policy(account, "s3:GetObject", &objects_of(&name), None)}}}),
                "/spec/forProvider/policy",
            ),
            (
                serde_json::json!({"apiVersion": "s3control.aws.upbound.io/v1beta2", "kind": "MultiRegionAccessPointPolicy",
                    "metadata": {"name": name},
                    "spec": {"forProvider": {"region": "us-east-1", "accountId": "111122223333",
                        "details": {"name": "reports",
                            "policy": point_policy(account, "s3:GetObject", "arn:aws:s3::111122223333:accesspoint/reports.mrap/object/*", in_endpoint())}}}}),
                "/spec/forProvider/details/policy",
            ),
            (
                serde_json::json!({"apiVersion": "s3control.aws.upbound.io/v1beta1", "kind": "ObjectLambdaAccessPointPolicy",
                    "metadata": {"name": name},
                    "spec": {"forProvider": {"region": "us-east-1", "accountId": "111122223333", "name": "reports",
                        "policy": point_policy(account, "s3-object-lambda:GetObject", "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/reports", in_endpoint())}}}),
                "/spec/forProvider/policy",
            ),
        ]
    };
    for ((foreign, pointer), (own, _)) in upbound_doors("210987654321")
        .into_iter()
        .zip(upbound_doors("111122223333"))
    {
        let kind = foreign["kind"].as_str().expect("kind");
        dry_run_denied(
            &cluster,
            &foreign,
            &[
                &format!(
                    "perimeter-guard denied {kind} reports-210987654321: 1 finding (DP-AP-001)"
                ),
                &format!(
                    "DP-AP-001 at {pointer}: role session arn:aws:sts::210987654321:assumed-role/"
                ),
                "through VPC endpoint vpce-1a2b3c4d",
            ],
        );
        dry_run_admitted(&cluster, &own, None);
    }
    // The classic example's delegation to access points, to the partner's (a known member of
    // another organization).
    let mut delegation = objects("manifests/examples/crossplane-classic.yaml")
        .into_iter()
        .find(|o| o["metadata"]["name"] == "archive-delegation")
        .expect("archive-delegation");
    delegation["metadata"]["name"] = Value::from("archive-delegation-elsewhere");
    let raw = delegation["spec"]["forProvider"]["rawPolicy"]
        .as_str()
        .expect("rawPolicy")
        .replace(
            r#""s3:DataAccessPointAccount":"111122223333""#,
            r#""s3:DataAccessPointAccount":"210987654321""#,
        );
    assert!(raw.contains("210987654321"), "{raw}");
    delegation["spec"]["forProvider"]["rawPolicy"] = Value::from(raw);
    dry_run_denied(
        &cluster,
        &delegation,
        &[
            "perimeter-guard denied BucketPolicy archive-delegation-elsewhere: 2 findings (DP-BP-001, DP-BP-002)",
            "through access point arn:aws:s3:us-east-1:210987654321:accesspoint/",
        ],
    );

    // Phase 6d: an organization guardrail, an Upbound resource control policy. One that denies
    // every identity outside the organization is stored; an update that stops denying SQS is
    // denied with the request it would let through (the API server sends the old object with
    // the update); one that denies more is admitted. A twin that trusts another organization is
    // denied on creation.
    let rcp = |actions: &str, orgs: &str| {
        serde_json::json!({"apiVersion": "organizations.aws.upbound.io/v1beta1", "kind": "Policy",
            "metadata": {"name": "identity-perimeter"},
            "spec": {"forProvider": {"name": "identity-perimeter", "type": "RESOURCE_CONTROL_POLICY",
                "content": format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":{actions},"Resource":"*","Condition":{{"StringNotEqualsIfExists":{{"aws:PrincipalOrgID":{orgs}}},"BoolIfExists":{{"aws:PrincipalIsAWSService":"false"}}}}}}]}}"#)}}})
    };
    dry_run_denied(
        &cluster,
        &rcp(r#"["s3:*","sqs:*"]"#, r#"["o-abc123def4","o-zzz9876543"]"#),
        &[
            "perimeter-guard denied Policy identity-perimeter: 1 finding (DP-RCP-001)",
            "(in o-zzz9876543)",
        ],
    );
    cluster.kubectl_ok(
        &["create", "-f", "-"],
        Some(&rcp(r#"["s3:*","sqs:*"]"#, r#""o-abc123def4""#).to_string()),
    );
    let weaker = rcp(r#"["s3:*"]"#, r#""o-abc123def4""#);
    let out = cluster.kubectl(&["replace", "-f", "-"], Some(&weaker.to_string()));
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "a weakening update admitted:\n{stderr}"
    );
    assert!(
        stderr.contains("perimeter-guard denied Policy identity-perimeter: 1 finding (DP-RCP-002)")
            && stderr.contains("can sqs:"),
        "{stderr}"
    );
    let stronger = rcp(r#"["s3:*","sqs:*","kms:*"]"#, r#""o-abc123def4""#);
    cluster.kubectl_ok(&["replace", "-f", "-"], Some(&stronger.to_string()));
    // Deleting it would delete the RCP in AWS: denied. Orphaned first, it stays in AWS, and the
    // object may go.
    let policy_ref = [
        "policies.organizations.aws.upbound.io",
        "identity-perimeter",
    ];
    let out = cluster.kubectl(&["delete", policy_ref[0], policy_ref[1]], None);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "a guardrail deleted:\n{stderr}");
    assert!(
        stderr.contains("deleting the object deletes the policy") && stderr.contains("DP-RCP-002"),
        "{stderr}"
    );
    cluster.kubectl_ok(
        &[
            "patch",
            policy_ref[0],
            policy_ref[1],
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"deletionPolicy":"Orphan"}}"#,
        ],
        None,
    );
    cluster.kubectl_ok(&["delete", policy_ref[0], policy_ref[1]], None);

    // Phase 7: the namespaceSelector keeps an exempt namespace from the webhook altogether.
    let answered = |s: &Serve| -> f64 {
        s.get("/metrics")
            .map(|r| r.1)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("perimeter_guard_admission_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let before = answered(&serve);
    let mut sandboxed = public_site.clone();
    sandboxed["metadata"]["namespace"] = Value::from("sandbox");
    cluster.kubectl_ok(&["create", "-f", "-"], Some(&sandboxed.to_string()));
    assert_eq!(
        answered(&serve),
        before,
        "the webhook was called for an exempt namespace"
    );

    // Phase 8: with the webhook down and failurePolicy Fail, the checked kinds are refused (and
    // only they: a ConfigMap still goes through).
    drop(serve);
    let out = cluster.kubectl(
        &["create", "-f", "-"],
        Some(&public_site.to_string().replace("public-site", "while-down")),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("failed calling webhook \"validate.perimeterguard.io\""),
        "{}",
        text(&out.stderr)
    );
    cluster.kubectl_ok(
        &[
            "create",
            "configmap",
            "unaffected",
            "-n",
            "web",
            "--from-literal=a=b",
        ],
        None,
    );

    // Phase 9: the chart's objects, validated by this API server where it serves their versions:
    // policy/v1 PodDisruptionBudget and the batch/v1 audit CronJob need 1.21 and are left out here
    // (the audit's RBAC is applied for real below); cert-manager and prometheus-operator kinds need
    // their CRDs.
    let rendered = helm_template(&[
        "--set",
        "networkPolicy.enabled=true",
        "--set",
        "networkPolicy.apiServerCIDRs={10.0.0.0/28}",
        "--set",
        "podDisruptionBudget.enabled=false",
        "--set",
        "audit.enabled=false",
    ]);
    let out = cluster.kubectl(&["apply", "--dry-run=server", "-f", "-"], Some(&rendered));
    assert!(
        out.status.success(),
        "the chart's objects were refused: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for kind in [
        "deployment.apps",
        "service",
        "secret",
        "validatingwebhookconfiguration",
        "clusterrole",
        "networkpolicy",
    ] {
        assert!(
            text(&out.stdout).contains(kind),
            "{kind} not validated: {}",
            text(&out.stdout)
        );
    }

    audit_phases(&cluster, dir.path());
    api_server_lost(&cluster, dir.path(), &service_account);
}

/// The API server goes away under `--watch-crds`: serve keeps deciding with the last good
/// configuration, and says so on /readyz (200, with the error) and in its metrics.
fn api_server_lost(cluster: &Cluster, dir: &std::path::Path, kubeconfig: &std::path::Path) {
    let ca = Ca::new("webhook CA");
    let pair = ca.server("perimeter-guard");
    let port = free_port();
    let serve = Serve::start(dir, &pair.cert, &pair.key, port, kubeconfig);
    cluster.stop();
    let deadline = Instant::now() + Duration::from_secs(60);
    let detail = loop {
        let (status, body) = serve.get("/readyz").expect("readyz answers");
        assert_eq!(status, 200, "readiness lost with the API server: {body}");
        let detail: Value = serde_json::from_str(&body).expect("json");
        if detail["config"]["crdSync"]["lastError"].is_string() {
            break detail;
        }
        assert!(
            Instant::now() < deadline,
            "the lost API server never showed: {detail}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(detail["ready"], true, "{detail}");
    assert!(serve.metric("perimeter_guard_crd_watch_errors_total") >= 1.0);
    // Decisions go on, straight to the webhook (nothing else can call it now).
    let ca_file = dir.join("lost-ca.crt");
    std::fs::write(&ca_file, ca.pem()).expect("ca");
    let public_site = objects("manifests/examples/ack.yaml")
        .into_iter()
        .find(|o| o["metadata"]["name"] == "public-site")
        .expect("the public site bucket");
    let body = common::admission::review("CREATE", Some(&public_site), None, false).to_string();
    let out = std::process::Command::new("curl")
        .args(["-sf", "--cacert"])
        .arg(&ca_file)
        .args([
            "-H",
            "content-type: application/json",
            "--data-binary",
            &body,
        ])
        .arg(format!("https://localhost:{port}/validate"))
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(answer["response"]["allowed"], false, "{answer}");
}

/// Runs `perimeter-guard audit` with `args`; its exit code, standard output, and peak RSS in KiB
/// (read from /proc while it runs).
fn run_audit(kubeconfig: &std::path::Path, args: &[&str]) -> (i32, String, u64) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .arg("audit")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("audit runs");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut { stdout }, &mut s).expect("read");
        s
    });
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kib) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (
        status.code().unwrap_or(-1),
        reader.join().expect("reader"),
        peak,
    )
}

fn reports(cluster: &Cluster) -> Vec<Value> {
    list_all(cluster, "policyreports")
}

/// The OpenReports `Report`s (`openreports.io/v1alpha1`), from the corpus's real CRDs.
fn open_reports(cluster: &Cluster) -> Vec<Value> {
    list_all(cluster, "reports.openreports.io")
}

fn list_all(cluster: &Cluster, resource: &str) -> Vec<Value> {
    let list: Value =
        serde_json::from_str(&cluster.kubectl_ok(&["get", resource, "-A", "-o", "json"], None))
            .expect("JSON");
    list["items"].as_array().expect("items").clone()
}

fn audit_phases(cluster: &Cluster, dir: &std::path::Path) {
    // The webhook goes away; what already exists is the audit's business now.
    cluster.kubectl_ok(
        &[
            "delete",
            "validatingwebhookconfiguration",
            "perimeter-guard",
        ],
        None,
    );
    let crds = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .arg("policy-report-crds")
        .output()
        .expect("crds");
    cluster.kubectl_ok(&["create", "-f", "-"], Some(&text(&crds.stdout)));
    cluster.kubectl_ok(
        &[
            "wait",
            "--for",
            "condition=established",
            "crd",
            "policyreports.wgpolicyk8s.io",
            "clusterpolicyreports.wgpolicyk8s.io",
            "--timeout=60s",
        ],
        None,
    );
    // The audit runs as the chart's audit service account, under the chart's audit RBAC (the
    // CronJob itself is batch/v1, which 1.20 does not serve).
    let rendered = helm_template(&["--show-only", "templates/audit.yaml"]);
    let rbac: Vec<Value> = perimeter_guard::yaml::stream_to_json(&rendered)
        .expect("YAML")
        .into_iter()
        .filter(|o| o["kind"] != "CronJob")
        .collect();
    assert_eq!(rbac.len(), 3, "service account, role and binding");
    cluster.kubectl_ok(
        &["apply", "-f", "-"],
        Some(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": rbac}).to_string()),
    );
    let auditor = cluster.kubeconfig_for(
        "system:serviceaccount:perimeter-guard:perimeter-guard-audit",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:perimeter-guard",
        ],
    );
    // The violating examples go in unchecked (the compliant ones exist already).
    for family in FAMILIES {
        let _ = cluster.kubectl(
            &[
                "create",
                "-f",
                repo(&format!("manifests/examples/{family}.yaml"))
                    .to_str()
                    .expect("utf-8"),
            ],
            None,
        );
    }

    // The cluster serves OpenReports (the corpus's CRDs) and the PolicyReport CRDs: by default
    // the audit writes OpenReports only.
    let (code, _, _) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--write-reports",
            "--output",
            "summary",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        !open_reports(cluster).is_empty(),
        "auto chooses OpenReports"
    );
    assert!(reports(cluster).is_empty(), "and writes no PolicyReport");

    // The audit agrees with `check` on every example object, and writes the reports in both
    // formats, each accepted by the API server with its real CRD.
    let (code, stdout, _) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--write-reports",
            "--report-format",
            "both",
            "--cluster-name",
            "e2e",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 1, "violations fail the run by default: {stdout}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    // (kind, namespace/name) → decision and rule ids, as `expected` has them.
    let audited: BTreeMap<String, (String, Vec<String>)> = report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let source = o["source"].as_str().expect("source");
            let (_, rest) = source.split_once(' ').expect("apiVersion and name");
            // A skipped object has no findings.
            let mut rules: Vec<String> = o["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["rule"].as_str().expect("rule").to_owned())
                .collect();
            rules.dedup();
            (
                format!("{} {rest}", o["object"]["kind"].as_str().unwrap_or("")),
                (o["decision"].as_str().expect("decision").to_owned(), rules),
            )
        })
        .collect();
    for family in FAMILIES {
        for (shown, decided) in expected(&format!("manifests/examples/{family}.yaml")) {
            assert_eq!(audited.get(&shown), Some(&decided), "{shown}: {audited:?}");
        }
    }
    assert!(
        report["audit"]["violating"].as_u64().expect("violating") >= 7,
        "{}",
        report["audit"]
    );
    // The same findings as AWS Security Hub findings: one call's worth (at most 100) per line,
    // every attribute Security Hub requires, the cluster named.
    let (code, lines, _) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--output",
            "asff",
            "--aws-account-id",
            "111122223333",
            "--aws-region",
            "eu-west-1",
            "--cluster-name",
            "e2e",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0);
    let asff: Vec<Value> = perimeter_guard::audit::asff::read_previous(&lines).expect("JSON lines");
    for line in lines.lines() {
        let batch: Value = serde_json::from_str(line).expect("JSON");
        assert!(batch.as_array().expect("array").len() <= 100);
    }
    let findings_in_report: usize = report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["findings"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(asff.len(), findings_in_report);
    for f in &asff {
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(f.get(key).is_some(), "{key} missing: {f}");
        }
        assert_eq!(f["ProductFields"]["perimeterguard.io/cluster"], "e2e");
        assert_eq!(f["Resources"][0]["Details"]["Other"]["cluster"], "e2e");
    }
    let before = reports(cluster);
    // The same reports in both formats: the results and the summary; OpenReports add `source`.
    let opened = open_reports(cluster);
    assert_eq!(opened.len(), before.len());
    for report in &before {
        let ns = &report["metadata"]["namespace"];
        let twin = opened
            .iter()
            .find(|r| &r["metadata"]["namespace"] == ns)
            .unwrap_or_else(|| panic!("no OpenReports Report for {ns}"));
        assert_eq!(twin["apiVersion"], "openreports.io/v1alpha1");
        assert_eq!(twin["kind"], "Report");
        assert_eq!(twin["source"], "perimeter-guard");
        assert_eq!(twin["summary"], report["summary"], "{ns}");
        assert_eq!(twin["results"], report["results"], "{ns}");
        for r in [report, twin] {
            let annotations = &r["metadata"]["annotations"];
            assert_eq!(annotations["perimeterguard.io/cluster"], "e2e");
            assert_eq!(annotations["perimeterguard.io/results-left-out"], "0");
            assert_eq!(
                annotations["perimeterguard.io/config-hash"]
                    .as_str()
                    .map(str::len),
                Some(16),
                "{annotations}"
            );
        }
    }
    let web = before
        .iter()
        .find(|r| r["metadata"]["namespace"] == "web")
        .expect("a report for web");
    assert_eq!(web["metadata"]["name"], "perimeter-guard");
    assert_eq!(
        web["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "perimeter-guard"
    );
    let pab = web["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["rule"] == "DP-PAB-001")
        .expect("the Block Public Access finding");
    assert_eq!(pab["result"], "fail");
    assert_eq!(pab["policy"], "corp");
    assert_eq!(pab["resources"][0]["name"], "public-site");
    assert_eq!(
        pab["properties"]["pointer"],
        "/spec/publicAccessBlock/blockPublicPolicy"
    );
    let sandbox = before
        .iter()
        .find(|r| r["metadata"]["namespace"] == "sandbox")
        .expect("sandbox report");
    assert_eq!(
        sandbox["summary"]["skip"], 1,
        "excluded by the perimeter's match: {sandbox}"
    );
    let cluster_report: Value = serde_json::from_str(&cluster.kubectl_ok(
        &[
            "get",
            "clusterpolicyreport",
            "perimeter-guard",
            "-o",
            "json",
        ],
        None,
    ))
    .expect("JSON");
    assert!(
        cluster_report["summary"]["fail"].as_u64().expect("fail") >= 2,
        "{cluster_report}"
    );
    assert!(
        cluster_report["summary"]["pass"].as_u64().expect("pass") >= 4,
        "{cluster_report}"
    );
    // The access point kinds and the directory bucket policy, in their reports: each result
    // names the object's own group and version.
    let result = |report: &Value, kind: &str, name: &str| -> Vec<(String, String, String)> {
        report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["resources"][0]["kind"] == kind && r["resources"][0]["name"] == name)
            .map(|r| {
                (
                    r["resources"][0]["apiVersion"]
                        .as_str()
                        .expect("apiVersion")
                        .to_owned(),
                    r["rule"].as_str().unwrap_or("").to_owned(), // a pass names no rule
                    r["result"].as_str().expect("result").to_owned(),
                )
            })
            .collect()
    };
    let in_namespace = |ns: &str| {
        before
            .iter()
            .find(|r| r["metadata"]["namespace"] == ns)
            .unwrap_or_else(|| panic!("a report for {ns}"))
    };
    let owned = |rows: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect()
    };
    let analytics = in_namespace("analytics");
    let ack = "s3control.services.k8s.aws/v1alpha1";
    assert_eq!(
        result(analytics, "AccessPoint", "uploads-public"),
        owned(&[
            (ack, "DP-AP-001", "fail"),
            (ack, "DP-AP-002", "fail"),
            (ack, "DP-PAB-001", "fail"),
            (ack, "DP-PAB-001", "fail"),
        ]),
        "{analytics}"
    );
    assert_eq!(
        result(analytics, "AccessPoint", "ledger-readers"),
        owned(&[(ack, "", "pass")]),
        "{analytics}"
    );
    let data = in_namespace("data");
    assert_eq!(
        result(data, "AccessPointPolicy", "reports-readers"),
        owned(&[("s3control.aws.m.upbound.io/v1beta1", "DP-AP-004", "warn")]),
        "{data}"
    );
    assert_eq!(
        result(&cluster_report, "AccessPoint", "archive-readers"),
        owned(&[("s3control.aws.crossplane.io/v1alpha1", "", "pass")]),
        "{cluster_report}"
    );
    assert_eq!(
        result(&cluster_report, "BucketPolicy", "archive-delegation"),
        owned(&[("s3.aws.crossplane.io/v1alpha3", "", "pass")]),
        "{cluster_report}"
    );
    assert_eq!(
        result(&cluster_report, "BucketPolicy", "scratch-partner"),
        owned(&[("s3.aws.upbound.io/v1beta1", "DP-BP-001", "fail")]),
        "{cluster_report}"
    );

    // An object that is gone loses its results; a namespace without checked objects loses its
    // report; running again creates nothing new.
    cluster.kubectl_ok(
        &[
            "delete",
            "buckets.v1alpha1.s3.services.k8s.aws",
            "public-site",
            "-n",
            "web",
        ],
        None,
    );
    cluster.kubectl_ok(
        &[
            "delete",
            "vpcendpoints.v1alpha1.ec2.services.k8s.aws",
            "dynamodb-open",
            "-n",
            "platform",
        ],
        None,
    );
    for _ in 0..2 {
        let (code, _, _) = run_audit(
            &auditor,
            &[
                "--from-cluster",
                "--write-reports",
                "--report-format",
                "both",
                "--output",
                "json",
            ],
        );
        assert_eq!(code, 1);
        assert!(
            !open_reports(cluster)
                .iter()
                .any(|r| r["metadata"]["namespace"] == "web"),
            "the emptied namespace keeps an OpenReports Report"
        );
        let after = reports(cluster);
        let namespaces: Vec<&str> = after
            .iter()
            .map(|r| r["metadata"]["namespace"].as_str().expect("ns"))
            .collect();
        assert!(
            !namespaces.contains(&"web"),
            "the emptied namespace keeps a report: {namespaces:?}"
        );
        assert_eq!(after.len(), before.len() - 1, "{namespaces:?}");
        let platform = after
            .iter()
            .find(|r| r["metadata"]["namespace"] == "platform")
            .expect("platform");
        assert!(
            !platform["results"]
                .as_array()
                .expect("results")
                .iter()
                .any(|r| r["resources"][0]["name"] == "dynamodb-open"),
            "the deleted object's results remain"
        );
    }

    // An exception in the audit: the waived finding is reported as skipped, naming the
    // exception, until it expires; then the report flips back to a failure.
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(20);
    cluster.kubectl_ok(
        &["create", "-f", "-"],
        Some(&uploads_exception(expires, "DP-DEST-001")),
    );
    let uploads_result = |cluster: &Cluster| -> Value {
        open_reports(cluster)
            .iter()
            .find(|r| r["metadata"]["namespace"] == "analytics")
            .and_then(|r| {
                r["results"]
                    .as_array()?
                    .iter()
                    .find(|x| x["rule"] == "DP-DEST-001" && x["resources"][0]["name"] == "uploads")
                    .cloned()
            })
            .expect("the uploads result")
    };
    let audit_json = |auditor: &std::path::Path| -> Value {
        let (_, stdout, _) = run_audit(
            auditor,
            &[
                "--from-cluster",
                "--write-reports",
                "--output",
                "json",
                "--fail-on",
                "never",
            ],
        );
        serde_json::from_str(&stdout).expect("JSON")
    };
    let waived = audit_json(&auditor);
    assert_eq!(waived["audit"]["waived"], 1, "{}", waived["audit"]);
    let result = uploads_result(cluster);
    assert_eq!(result["result"], "skip", "{result}");
    assert_eq!(result["properties"]["exception"], "uploads-partner");
    assert_eq!(
        result["properties"]["exceptionOwner"],
        "data-platform@example.com"
    );
    sleep_past(expires);
    let enforced = audit_json(&auditor);
    assert!(
        enforced["audit"].get("waived").is_none(),
        "{}",
        enforced["audit"]
    );
    assert_eq!(uploads_result(cluster)["result"], "fail");
    cluster.kubectl_ok(&["delete", "perimeterexception", "uploads-partner"], None);

    // Thousands of objects: every one scanned, memory bounded.
    cluster.kubectl_ok(&["create", "namespace", "bulk"], None);
    let template = objects("manifests/examples/ack.yaml")
        .into_iter()
        .find(|o| o["metadata"]["name"] == "public-site")
        .expect("public-site");
    // Tens of thousands: enough results in one namespace to overflow any report without a byte
    // budget many times over.
    let count = 20_000;
    let items: Vec<Value> = (0..count)
        .map(|i| {
            let mut o = template.clone();
            o["metadata"]["name"] = Value::from(format!("bulk-{i:05}"));
            o["metadata"]["namespace"] = Value::from("bulk");
            o["spec"]["name"] = Value::from(format!("example-bulk-{i:05}"));
            o
        })
        .collect();
    let list = dir.join("bulk.json");
    std::fs::write(
        &list,
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
    )
    .expect("write");
    cluster.kubectl_ok(
        &["create", "-f", list.to_str().expect("utf-8"), "-o", "name"],
        None,
    );
    let started = Instant::now();
    let (code, stdout, _) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--output",
            "json",
            "--fail-on",
            "never",
            "--page-size",
            "250",
        ],
    );
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let bulk = report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["object"]["namespace"] == "bulk")
        .count();
    assert_eq!(bulk, count, "every object scanned");
    let listed = started.elapsed();
    // Memory: a run over one small namespace, and a run over everything that keeps no per-object
    // result (--output summary, as the CronJob runs), writing the reports.
    let (_, _, small_kib) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--namespace",
            "platform",
            "--output",
            "summary",
            "--fail-on",
            "never",
        ],
    );
    let (code, summary, peak_kib) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--write-reports",
            "--output",
            "summary",
            "--fail-on",
            "never",
            "--page-size",
            "250",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        summary.starts_with(&format!("audit: {} objects scanned", count + 24)),
        "{summary}"
    );
    // The example AccessPointPolicy warns: it would be denied, but is not now.
    assert!(
        summary.contains(&format!(
            "would deny {} objects in 5 namespaces if switched to Deny ({} denied under the enforcement in force now)",
            count + 11,
            count + 10
        )),
        "{summary}"
    );
    eprintln!(
        "audit of {} objects: {:.1}s with the JSON report; peak RSS {} MiB for the summary run, {} MiB for one small namespace",
        count + 24,
        listed.as_secs_f64(),
        peak_kib / 1024,
        small_kib / 1024
    );
    assert!(
        peak_kib < small_kib + 32 * 1024,
        "memory grows with the objects: {peak_kib} KiB against {small_kib} KiB"
    );
    // Up to 10,000 results per report by count: thousands of results with witnesses would make
    // a report of megabytes, which etcd refuses whole. The byte budget keeps it written, in both
    // formats.
    let (code, _, _) = run_audit(
        &auditor,
        &[
            "--from-cluster",
            "--write-reports",
            "--report-format",
            "both",
            "--max-results-per-report",
            "10000",
            "--output",
            "summary",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0);
    for resource in ["policyreport", "report.openreports.io"] {
        let bulk_report: Value = serde_json::from_str(&cluster.kubectl_ok(
            &[
                "get",
                resource,
                "perimeter-guard",
                "-n",
                "bulk",
                "-o",
                "json",
            ],
            None,
        ))
        .expect("JSON");
        let results = bulk_report["results"].as_array().expect("results");
        let bytes = serde_json::to_vec(&bulk_report).expect("JSON").len();
        assert!(
            bytes <= perimeter_guard::audit::policy_reports::DEFAULT_MAX_REPORT_BYTES,
            "{resource}: {bytes} bytes"
        );
        assert!(results.len() < count * 2, "{resource}: cut by size");
        assert!(
            results.iter().all(|r| r["result"] == "fail"),
            "failures first"
        );
        // Each copy names another bucket than its policy's resources, so two rules fail, not four.
        assert_eq!(
            bulk_report["summary"]["fail"],
            count * 2,
            "{resource}: the summary counts every result"
        );
        assert_eq!(
            bulk_report["metadata"]["annotations"]["perimeterguard.io/results-left-out"],
            (count * 2 - results.len()).to_string(),
            "{resource}"
        );
    }

    // Without a byte budget etcd refuses the bulk namespace's report: the audit says which and
    // why, writes every other report, and exits 2 (an error, not the findings' 1).
    let started = jiff::Timestamp::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .arg("audit")
        .arg("--kubeconfig")
        .arg(&auditor)
        .args([
            "--from-cluster",
            "--write-reports",
            "--report-format",
            "wgpolicyk8s",
            "--max-results-per-report",
            "10000",
            "--max-report-bytes",
            "67108864",
            "--output",
            "summary",
        ])
        .output()
        .expect("audit runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: writing PolicyReport bulk/perimeter-guard: "),
        "{stderr}"
    );
    let analytics = reports(cluster)
        .into_iter()
        .find(|r| r["metadata"]["namespace"] == "analytics")
        .expect("analytics");
    let finished: jiff::Timestamp =
        analytics["metadata"]["annotations"]["perimeterguard.io/audit-finished-at"]
            .as_str()
            .expect("finished at")
            .parse()
            .expect("RFC 3339");
    assert!(
        finished.as_second() >= started.as_second(),
        "the other reports are written: {finished} < {started}"
    );
}
