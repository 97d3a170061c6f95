//! End to end against a real Kubernetes API server: the upstream apiextensions-apiserver with the
//! upstream validating admission webhook plugin (`scripts/apiserver/`), etcd behind it.
//!
//! - the API server calls `serve` over TLS for custom resources of the real upstream CRDs, and a
//!   violating object is refused with the webhook's message; dry runs are refused the same way;
//!   the namespaceSelector keeps exempt namespaces away from the webhook;
//! - `serve --watch-crds` reads DataPerimeter custom resources, reports invalid ones in their
//!   status, and follows changes; the CRD generated from the Rust type is accepted.
//!
//! `scripts/test.sh` builds the API server and exports `ETCD` and `APISERVER`; without them these
//! tests fail and say so.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use serde::Deserialize;
use serde_json::{Value, json};

use common::admission::example;
use common::pki::Ca;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// etcd and the API server, stopped on drop.
struct ApiServer {
    dir: PathBuf,
    kubeconfig: PathBuf,
}

impl ApiServer {
    fn start(dir: &Path, admission_objects: &str) -> ApiServer {
        for var in ["ETCD", "APISERVER"] {
            assert!(
                std::env::var_os(var).is_some(),
                "{var} is not set: run scripts/test.sh, which builds the test API server \
                 (scripts/apiserver/build.sh) and exports ETCD and APISERVER"
            );
        }
        let objects = dir.join("admission-objects.yaml");
        std::fs::write(&objects, admission_objects).expect("objects file");
        let data = dir.join("apiserver");
        let output = Command::new(repo("scripts/apiserver/start.sh"))
            .arg(&objects)
            .arg(&data)
            .stderr(Stdio::inherit())
            .output()
            .expect("start.sh runs");
        assert!(output.status.success(), "start.sh failed");
        let kubeconfig = PathBuf::from(String::from_utf8(output.stdout).expect("utf-8").trim());
        ApiServer {
            dir: data,
            kubeconfig,
        }
    }

    async fn client(&self) -> kube::Client {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig"),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("client config");
        kube::Client::try_from(config).expect("client")
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = Command::new(repo("scripts/apiserver/stop.sh"))
            .arg(&self.dir)
            .status();
    }
}

/// `perimeter-guard serve`, killed on drop.
struct Serve {
    child: Child,
    health: u16,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(dir: &Path, ca: &Ca, port: u16, args: &[&str], kubeconfig: Option<&Path>) -> Serve {
        let pair = ca.server("perimeter-guard");
        std::fs::write(dir.join("tls.crt"), &pair.cert).expect("cert");
        std::fs::write(dir.join("tls.key"), &pair.key).expect("key");
        let health = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"));
        command
            .arg("serve")
            .args(args)
            .arg("--tls-cert-file")
            .arg(dir.join("tls.crt"))
            .arg("--tls-key-file")
            .arg(dir.join("tls.key"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--health-listen", &format!("127.0.0.1:{health}")])
            .args(["--reload-interval", "200ms", "--log-format", "text"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(k) = kubeconfig {
            command.env("KUBECONFIG", k);
        }
        let serve = Serve {
            child: command.spawn().expect("serve starts"),
            health,
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while serve.readyz().map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "serve never became ready: {:?}",
                serve.readyz()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        serve
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.health)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n")?.1.to_owned();
        Some((status, body))
    }

    fn readyz(&self) -> Option<(u16, Value)> {
        let (status, body) = self.get("/readyz")?;
        // The body may be chunked; the JSON object is the part between the outer braces.
        let json = &body[body.find('{')?..=body.rfind('}')?];
        Some((status, serde_json::from_str(json).ok()?))
    }

    fn reviews_answered(&self) -> u64 {
        let text = self.get("/metrics").map(|r| r.1).unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with("perimeter_guard_admission_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

async fn install_crd(client: &kube::Client, crd: Value) {
    let crd: CustomResourceDefinition = serde_json::from_value(crd).expect("a CRD");
    let name = crd.metadata.name.clone().expect("named");
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    api.create(&PostParams::default(), &crd)
        .await
        .unwrap_or_else(|e| panic!("the API server refused CRD {name}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = api.get(&name).await.expect("get CRD");
        let established = current
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        if established {
            // The group's REST handlers start a moment after the condition.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        assert!(
            Instant::now() < deadline,
            "CRD {name} never became established"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Value::deserialize(serde_yaml_ng::Deserializer::from_str(&text)).expect("YAML")
}

fn dynamic(value: &Value) -> DynamicObject {
    serde_json::from_value(value.clone()).expect("an object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_calls_the_webhook_and_shows_its_denial() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new("webhook CA");
    let port = free_port();
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca.pem());
    let objects = format!(
        r#"apiVersion: v1
kind: Namespace
metadata: {{name: web}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: sandbox
  labels: {{perimeterguard.io/ignore: "true"}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: perimeter-guard}}
webhooks:
- name: validate.perimeterguard.io
  clientConfig:
    url: https://127.0.0.1:{port}/validate
    caBundle: {ca_bundle}
  rules:
  - apiGroups: [s3.services.k8s.aws]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE]
    resources: [buckets]
  namespaceSelector:
    matchExpressions: [{{key: perimeterguard.io/ignore, operator: DoesNotExist}}]
  failurePolicy: Fail
  sideEffects: None
  timeoutSeconds: 5
  admissionReviewVersions: [v1]
"#
    );
    let apiserver = ApiServer::start(dir.path(), &objects);
    let client = apiserver.client().await;
    // The real upstream ACK CRD, from the shared corpus.
    install_crd(
        &client,
        yaml_file(&common::corpus_root().join("crds/ack/s3.services.k8s.aws_buckets.yaml")),
    )
    .await;
    let serve = Serve::start(
        dir.path(),
        &ca,
        port,
        &[
            "--perimeter",
            repo("manifests/examples/dataperimeter.yaml")
                .to_str()
                .expect("utf-8"),
        ],
        None,
    );
    let buckets = resource("s3.services.k8s.aws", "v1alpha1", "Bucket", "buckets");
    let web: Api<DynamicObject> = Api::namespaced_with(client.clone(), "web", &buckets);

    let public = example("manifests/examples/ack.yaml", "public-site");
    for dry_run in [true, false] {
        let params = PostParams {
            dry_run,
            ..PostParams::default()
        };
        match web.create(&params, &dynamic(&public)).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 403, "{status:?}");
                assert!(
                    status.message.starts_with(
                        "admission webhook \"validate.perimeterguard.io\" denied the request: \
                         perimeter-guard denied Bucket web/public-site: 4 findings (DP-BP-001, DP-BP-002, DP-BP-004, DP-PAB-001)\n  DP-BP-001 at /spec/policy: anonymous principal can s3:GetObject"
                    ),
                    "{}",
                    status.message
                );
            }
            other => panic!("dry run {dry_run}: expected a denial, got {other:?}"),
        }
    }
    assert!(web.get_opt("public-site").await.expect("get").is_none());

    // A compliant bucket is stored; relabelling it later goes through the webhook and is allowed.
    let mut reports = example("manifests/examples/ack.yaml", "reports");
    reports["metadata"]["namespace"] = json!("web");
    web.create(&PostParams::default(), &dynamic(&reports))
        .await
        .expect("a compliant bucket is admitted");
    let answered = serve.reviews_answered();
    web.patch(
        "reports",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"team": "analytics"}}})),
    )
    .await
    .expect("relabelling is admitted");
    assert_eq!(
        serve.reviews_answered(),
        answered + 1,
        "the UPDATE was reviewed"
    );

    // The namespaceSelector keeps the webhook away from an exempt namespace altogether.
    let sandbox: Api<DynamicObject> = Api::namespaced_with(client.clone(), "sandbox", &buckets);
    let mut exempt = public.clone();
    exempt["metadata"]["namespace"] = json!("sandbox");
    let answered = serve.reviews_answered();
    sandbox
        .create(&PostParams::default(), &dynamic(&exempt))
        .await
        .expect("an exempt namespace is not checked");
    assert_eq!(
        serve.reviews_answered(),
        answered,
        "the webhook was not called"
    );
    drop(serve);

    // With the webhook down and failurePolicy Fail, the checked kind is refused, and only it.
    match web.create(&PostParams::default(), &dynamic(&public)).await {
        Err(kube::Error::Api(status)) => assert!(
            status
                .message
                .contains("failed calling webhook \"validate.perimeterguard.io\""),
            "{}",
            status.message
        ),
        other => panic!("expected failurePolicy Fail to refuse, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_crds_follows_dataperimeter_objects_and_reports_invalid_ones() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let apiserver = ApiServer::start(dir.path(), "");
    let client = apiserver.client().await;
    // The CRD exactly as `perimeter-guard crd` prints it.
    let output = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .arg("crd")
        .output()
        .expect("crd");
    let crd = Value::deserialize(serde_yaml_ng::Deserializer::from_str(
        &String::from_utf8(output.stdout).expect("utf-8"),
    ))
    .expect("YAML");
    install_crd(&client, crd).await;

    let perimeters = resource(
        "perimeterguard.io",
        "v1alpha1",
        "DataPerimeter",
        "dataperimeters",
    );
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &perimeters);
    let corp = yaml_file(&repo("manifests/examples/dataperimeter.yaml"));
    api.create(&PostParams::default(), &dynamic(&corp))
        .await
        .expect("the example perimeter is accepted by the CRD's schema");
    let broken = json!({
        "apiVersion": "perimeterguard.io/v1alpha1", "kind": "DataPerimeter",
        "metadata": {"name": "broken"},
        "spec": {"identity": {"trustedAccounts": ["12345"]}}
    });
    api.create(&PostParams::default(), &dynamic(&broken))
        .await
        .expect("schema-valid");
    // The schema refuses what the type does not know.
    let unknown = json!({
        "apiVersion": "perimeterguard.io/v1alpha1", "kind": "DataPerimeter",
        "metadata": {"name": "typo"},
        "spec": {"enforcement": "Block"}
    });
    assert!(
        api.create(&PostParams::default(), &dynamic(&unknown))
            .await
            .is_err()
    );

    let ca = Ca::new("webhook CA");
    let serve = Serve::start(
        dir.path(),
        &ca,
        free_port(),
        &["--watch-crds"],
        Some(&apiserver.kubeconfig),
    );
    let (_, detail) = serve.readyz().expect("readyz");
    assert_eq!(
        detail["config"]["perimeters"],
        json!([corp["metadata"]["name"]]),
        "{detail}"
    );
    let invalid = detail["config"]["crdSync"]["invalid"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        invalid.contains("DataPerimeter broken") && invalid.contains("trustedAccounts[0]"),
        "{detail}"
    );

    let condition = |object: &DynamicObject| -> Option<(String, String, String)> {
        let c = object.data.pointer("/status/conditions/0")?;
        Some((
            c["type"].as_str()?.to_owned(),
            c["status"].as_str()?.to_owned(),
            c["reason"].as_str()?.to_owned(),
        ))
    };
    let corp_name = corp["metadata"]["name"].as_str().expect("name").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let a = condition(&api.get(&corp_name).await.expect("get"));
        let b = api.get("broken").await.expect("get");
        if a == Some(("Accepted".into(), "True".into(), "Valid".into()))
            && condition(&b) == Some(("Accepted".into(), "False".into(), "Invalid".into()))
        {
            let message = b
                .data
                .pointer("/status/conditions/0/message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(
                message.contains("spec.identity.trustedAccounts[0]"),
                "{message}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "statuses never written: {a:?} {:?}",
            condition(&b)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The webhook decides with the custom resource; a change to it takes effect.
    let review = common::admission::review(
        "CREATE",
        Some(&example("manifests/examples/ack.yaml", "public-site")),
        None,
        false,
    );
    let client_tls = https_client(&ca);
    let url = format!("https://localhost:{}/validate", serve.port);
    let allowed = |client: reqwest::Client, url: String, review: Value| async move {
        let r: Value = client
            .post(url)
            .json(&review)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        r["response"]["allowed"].as_bool().expect("allowed")
    };
    assert!(!allowed(client_tls.clone(), url.clone(), review.clone()).await);
    api.patch(
        &corp_name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"enforcement": "Audit"}})),
    )
    .await
    .expect("patch");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !allowed(client_tls.clone(), url.clone(), review.clone()).await {
        assert!(Instant::now() < deadline, "the change never took effect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, detail) = serve.readyz().expect("readyz");
    assert_eq!(detail["config"]["generation"], 2, "{detail}");
}

fn https_client(ca: &Ca) -> reqwest::Client {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem().as_bytes()).expect("pem"))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .expect("client")
}
