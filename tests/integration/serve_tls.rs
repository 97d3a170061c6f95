//! The webhook over real TLS on loopback, called by a real HTTPS client that verifies the CA:
//! serving, certificate rotation under load, client-certificate authentication, configuration
//! reload, and graceful shutdown.

use crate::common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use perimeter_guard::admission::Settings;
use perimeter_guard::server::{self, Limits, Listeners, Options, TlsFiles};
use serde_json::Value;

use common::admission::{example, example_perimeter, review};
use common::pki::{Ca, Pair};

const ACK: &str = "manifests/examples/ack.yaml";

/// Writes `contents` to `path` the way the kubelet and cert-manager do: a new file, renamed over.
fn replace(path: &Path, contents: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

struct Running {
    webhook: SocketAddr,
    health: SocketAddr,
    dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), server::ServeError>>,
}

impl Running {
    fn cert_path(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }
    fn key_path(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }
    fn perimeter_dir(&self) -> PathBuf {
        self.dir.path().join("perimeters")
    }
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("the server task")
            .expect("the server stops cleanly");
    }
}

async fn start(ca_for_clients: Option<&Ca>, serving: &Pair) -> Running {
    // reqwest's plain-HTTP client for the health port wants a process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tls.crt"), &serving.cert).expect("cert");
    std::fs::write(dir.path().join("tls.key"), &serving.key).expect("key");
    let client_ca = ca_for_clients.map(|ca| {
        let path = dir.path().join("client-ca.crt");
        std::fs::write(&path, ca.pem()).expect("client ca");
        path
    });
    std::fs::create_dir(dir.path().join("perimeters")).expect("dir");
    std::fs::create_dir(dir.path().join("exceptions")).expect("dir");
    std::fs::write(dir.path().join("perimeters/corp.yaml"), example_perimeter())
        .expect("perimeter");
    let webhook = TcpListener::bind("127.0.0.1:0").expect("bind");
    let health = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (webhook_addr, health_addr) = (
        webhook.local_addr().expect("addr"),
        health.local_addr().expect("addr"),
    );
    let options = Options {
        tls: TlsFiles {
            cert: dir.path().join("tls.crt"),
            key: dir.path().join("tls.key"),
            client_ca,
        },
        perimeters: vec![dir.path().join("perimeters")],
        watch_crds: false,
        exceptions: vec![dir.path().join("exceptions")],
        exemptions: Settings::default(),
        limits: Limits::default(),
        reload_interval: Duration::from_millis(100),
        shutdown_delay: Duration::ZERO,
        shutdown_grace: Duration::from_secs(5),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::run(options, Listeners { webhook, health }, async {
        let _ = stopped.await;
    }));
    let running = Running {
        webhook: webhook_addr,
        health: health_addr,
        dir,
        stop: Some(stop),
        task,
    };
    wait_ready(&running).await;
    running
}

async fn wait_ready(server: &Running) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = client
            .get(format!("http://{}/readyz", server.health))
            .send()
            .await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tls_client(ca: &Ca, identity: Option<&Pair>, reuse_connections: bool) -> reqwest::Client {
    let config = ca.client_config(identity);
    let mut client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .tls_info(true)
        .timeout(Duration::from_secs(10));
    if !reuse_connections {
        client = client.pool_max_idle_per_host(0);
    }
    client.build().expect("client")
}

/// Posts a review of `object` and returns the response's `allowed` and the serving certificate.
async fn call(
    client: &reqwest::Client,
    server: SocketAddr,
    object: &Value,
) -> Result<(bool, Vec<u8>), String> {
    let response = client
        .post(format!("https://localhost:{}/validate", server.port()))
        .header("content-type", "application/json")
        .body(review("CREATE", Some(object), None, false).to_string())
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let peer = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate().map(<[u8]>::to_vec))
        .unwrap_or_default();
    if response.status() != 200 {
        return Err(format!("HTTP {}", response.status()));
    }
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    Ok((body["response"]["allowed"] == true, peer))
}

fn der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("pem")
        .to_vec()
}

async fn metrics(server: &Running) -> String {
    reqwest::get(format!("http://{}/metrics", server.health))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_decisions_over_tls_to_a_client_that_verifies_the_ca() {
    let ca = Ca::new("webhook CA");
    let server = start(None, &ca.server("perimeter-guard")).await;
    let client = tls_client(&ca, None, true);
    let (allowed, _) = call(&client, server.webhook, &example(ACK, "public-site"))
        .await
        .expect("a decision");
    assert!(!allowed);
    let (allowed, _) = call(&client, server.webhook, &example(ACK, "s3-interface"))
        .await
        .expect("a decision");
    assert!(allowed);
    // A client that trusts another CA refuses the server.
    let stranger = tls_client(&Ca::new("other CA"), None, true);
    assert!(
        call(&stranger, server.webhook, &example(ACK, "s3-interface"))
            .await
            .is_err()
    );
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_certificate_expiry_timestamp_seconds "),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_certificate_under_load_fails_no_request() {
    let ca = Ca::new("webhook CA");
    let first = ca.server("first");
    let server = start(None, &first).await;
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let seen_new = Arc::new(AtomicBool::new(false));
    let second = ca.server("second");
    let second_der = der(&second.cert);
    let mut load = Vec::new();
    // One client keeps its connections (they must survive), one handshakes on every call.
    for reuse in [true, false] {
        let (stop, failures, calls, seen_new, second_der) = (
            stop.clone(),
            failures.clone(),
            calls.clone(),
            seen_new.clone(),
            second_der.clone(),
        );
        let client = tls_client(&ca, None, reuse);
        let addr = server.webhook;
        let object = example(ACK, "public-site");
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Acquire) {
                match call(&client, addr, &object).await {
                    Ok((false, peer)) => {
                        calls.fetch_add(1, Ordering::Relaxed);
                        if !reuse && peer == second_der {
                            seen_new.store(true, Ordering::Release);
                        }
                    }
                    Ok((true, _)) => failures.lock().expect("lock").push("allowed".into()),
                    Err(e) => failures.lock().expect("lock").push(e),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // cert-manager's order: the certificate, then the key; in between the pair does not match.
    replace(&server.cert_path(), &second.cert);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !metrics(&server)
        .await
        .contains("perimeter_guard_certificate_reload_total{result=\"failure\"} 1")
    {
        assert!(
            Instant::now() < deadline,
            "the mismatched pair was never noticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    replace(&server.key_path(), &second.key);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen_new.load(Ordering::Acquire) {
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Release);
    for task in load {
        task.await.expect("load task");
    }
    let failures = failures.lock().expect("lock").clone();
    assert!(
        failures.is_empty(),
        "failed calls during rotation: {failures:?}"
    );
    assert!(
        calls.load(Ordering::Relaxed) > 20,
        "too little load to mean anything"
    );
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_certificate_reload_total{result=\"success\"} 2"),
        "{text}"
    );
    // The mismatched moment was seen and refused, not served.
    assert!(
        text.contains("perimeter_guard_certificate_reload_total{result=\"failure\"} 1"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_required_when_a_client_ca_is_set() {
    let serving_ca = Ca::new("webhook CA");
    let client_ca = Ca::new("API server client CA");
    let server = start(Some(&client_ca), &serving_ca.server("perimeter-guard")).await;
    let object = example(ACK, "s3-interface");
    let apiserver = tls_client(&serving_ca, Some(&client_ca.client("kube-apiserver")), true);
    assert_eq!(
        call(&apiserver, server.webhook, &object).await.map(|r| r.0),
        Ok(true)
    );
    let anonymous = tls_client(&serving_ca, None, true);
    assert!(call(&anonymous, server.webhook, &object).await.is_err());
    let impostor = tls_client(
        &serving_ca,
        Some(&Ca::new("other").client("kube-apiserver")),
        true,
    );
    assert!(call(&impostor, server.webhook, &object).await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_reload_applies_valid_changes_and_keeps_the_last_good_one() {
    let ca = Ca::new("webhook CA");
    let server = start(None, &ca.server("perimeter-guard")).await;
    let client = tls_client(&ca, None, true);
    let object = example(ACK, "dynamodb-open");
    assert_eq!(
        call(&client, server.webhook, &object).await.map(|r| r.0),
        Ok(false)
    );
    // A valid change: the same perimeter in Audit mode admits.
    let file = server.perimeter_dir().join("corp.yaml");
    replace(
        &file,
        &example_perimeter().replace("enforcement: Deny", "enforcement: Audit"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&client, server.webhook, &object).await.map(|r| r.0) != Ok(true) {
        assert!(Instant::now() < deadline, "the change never took effect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An invalid change, written in place (truncated first, as a careless edit would): rejected
    // whole, the Audit configuration stays, and the failure shows on /readyz and in metrics.
    std::fs::write(&file, "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity: {trustedAccounts: [\"12345\"]}\n")
        .expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    let detail = loop {
        let r = reqwest::get(format!("http://{}/readyz", server.health))
            .await
            .expect("readyz");
        assert_eq!(
            r.status(),
            200,
            "a rejected reload must not take the webhook out of service"
        );
        let detail: Value = r.json().await.expect("json");
        if detail["config"]["lastError"].is_string() {
            break detail;
        }
        assert!(
            Instant::now() < deadline,
            "the invalid change was never noticed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = detail["config"]["lastError"].as_str().expect("error");
    assert!(
        error.contains("corp.yaml") && error.contains("spec.identity.trustedAccounts[0]"),
        "{error}"
    );
    assert_eq!(detail["config"]["generation"], 2);
    assert_eq!(
        call(&client, server.webhook, &object).await.map(|r| r.0),
        Ok(true)
    );
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_config_reload_total{result=\"failure\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("perimeter_guard_config_reload_total{result=\"success\"} 2"),
        "{text}"
    );
    assert!(text.contains("perimeter_guard_config_stale 1"), "{text}");
    // Removing the directory is survived the same way.
    std::fs::remove_dir_all(server.perimeter_dir()).expect("remove");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        call(&client, server.webhook, &object).await.map(|r| r.0),
        Ok(true)
    );
    server.stop().await;
}

/// The review's answer for a CREATE of `object`.
async fn answer(client: &reqwest::Client, server: SocketAddr, object: &Value) -> Value {
    let response = client
        .post(format!("https://localhost:{}/validate", server.port()))
        .header("content-type", "application/json")
        .body(review("CREATE", Some(object), None, false).to_string())
        .send()
        .await
        .expect("an answer");
    let body: Value = response.json().await.expect("JSON");
    body["response"].clone()
}

fn exception_until(expires_at: jiff::Timestamp) -> String {
    format!(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: PerimeterException\nmetadata: {{name: uploads-partner}}\nspec:\n  owner: data-platform@example.com\n  reason: partner migration, ticket SEC-1234\n  expiresAt: \"{}\"\n  rules: [DP-DEST-001]\n  match: {{kinds: [Bucket], namespaces: [analytics], names: [uploads]}}\n",
        expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_file_waives_its_rule_until_it_expires_and_metrics_count_it() {
    let ca = Ca::new("webhook CA");
    let server = start(None, &ca.server("perimeter-guard")).await;
    let client = tls_client(&ca, None, true);
    // One finding: DP-DEST-001 (an event notification topic another account owns).
    let object = example(ACK, "uploads");
    assert_eq!(
        answer(&client, server.webhook, &object).await["allowed"],
        false
    );

    let file = server.dir.path().join("exceptions/uploads.yaml");
    let in_a_month = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30);
    replace(&file, &exception_until(in_a_month));
    let deadline = Instant::now() + Duration::from_secs(10);
    let admitted = loop {
        let a = answer(&client, server.webhook, &object).await;
        if a["allowed"] == true {
            break a;
        }
        assert!(Instant::now() < deadline, "the exception never took effect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let warning = admitted["warnings"][0].as_str().expect("a warning");
    assert!(
        warning.starts_with("DP-DEST-001 waived by PerimeterException uploads-partner (owner data-platform@example.com, expires "),
        "{warning}"
    );
    assert_eq!(
        admitted["auditAnnotations"]["waived"],
        "DP-DEST-001=uploads-partner"
    );
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_exceptions{state=\"active\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("perimeter_guard_exceptions{state=\"expired\"} 0"),
        "{text}"
    );
    let next: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("perimeter_guard_exception_next_expiry_seconds "))
        .expect("the next expiry")
        .parse()
        .expect("seconds");
    assert!((29 * 86_400..=30 * 86_400).contains(&next), "{next}");

    // Ended a second ago: the exception is still there, waives nothing, and counts as expired.
    let ended = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1);
    replace(&file, &exception_until(ended));
    let deadline = Instant::now() + Duration::from_secs(10);
    while answer(&client, server.webhook, &object).await["allowed"] != false {
        assert!(
            Instant::now() < deadline,
            "the expired exception still waives"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_exceptions{state=\"active\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("perimeter_guard_exceptions{state=\"expired\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("perimeter_guard_exception_next_expiry_seconds -1"),
        "{text}"
    );
    server.stop().await;
}

/// `openssl s_client` offering exactly this protocol and these suites; whether a session was
/// established, and openssl's report.
fn openssl_handshake(address: std::net::SocketAddr, ca: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &address.to_string(), "-brief"])
        .arg("-CAfile")
        .arg(ca)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl runs (scripts/test.sh installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let established = out.status.success() && text.contains("Protocol version");
    (established, text)
}

/// A client that tries to negotiate anything weaker than TLS 1.2 with an AEAD suite and an
/// ephemeral key exchange is refused; the strong offers succeed, so the refusals are the
/// server's and not the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_protocols_and_suites_cannot_be_negotiated() {
    let ca = Ca::new("webhook CA");
    let server = start(None, &ca.server("perimeter-guard")).await;
    let ca_file = server.dir.path().join("ca.crt");
    std::fs::write(&ca_file, ca.pem()).expect("ca");
    // @SECLEVEL=0 lets openssl itself offer what its defaults would refuse.
    // (SSL 3.0, 3DES and RC4 are not in the client: Debian's openssl is built without them.)
    let weak: [(&str, &[&str]); 5] = [
        ("TLS 1.0", &["-tls1", "-cipher", "ALL:@SECLEVEL=0"]),
        ("TLS 1.1", &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"]),
        (
            "TLS 1.2, CBC with ECDHE",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
            ],
        ),
        (
            "TLS 1.2, static RSA key exchange",
            &[
                "-tls1_2",
                "-cipher",
                "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:@SECLEVEL=0",
            ],
        ),
        (
            "TLS 1.2, no encryption",
            &["-tls1_2", "-cipher", "eNULL:@SECLEVEL=0"],
        ),
    ];
    for (name, args) in weak {
        let (established, text) = openssl_handshake(server.webhook, &ca_file, args);
        assert!(!established, "{name} was negotiated:\n{text}");
        // The server's handshake_failure alert: the refusal is the server's, not the client's.
        assert!(text.contains("alert handshake failure"), "{name}:\n{text}");
    }
    let strong: [(&str, &[&str]); 3] = [
        ("TLS 1.3", &["-tls1_3"]),
        (
            "TLS 1.2, ECDHE-ECDSA AES-GCM",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        ),
        (
            "TLS 1.2, ECDHE-ECDSA ChaCha20-Poly1305",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
        ),
    ];
    for (name, args) in strong {
        let (established, text) = openssl_handshake(server.webhook, &ca_file, args);
        assert!(established, "{name} was refused:\n{text}");
    }
    server.stop().await;
}

/// GET /readyz's detail (whatever the status).
async fn readyz(server: &Running) -> Value {
    reqwest::get(format!("http://{}/readyz", server.health))
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json")
}

/// Certificate files truncated in place, deleted for a while, or a key cut in half: the last
/// good certificate keeps being served, each failed reload is counted, readiness holds, and a
/// good pair afterwards is picked up. A perimeter file cut in half is rejected whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_certificate_and_configuration_files_keep_the_last_good_state() {
    let ca = Ca::new("webhook CA");
    let first = ca.server("perimeter-guard");
    let server = start(None, &first).await;
    // A handshake per call, so every call sees the certificate in force.
    let client = tls_client(&ca, None, false);
    let object = example(ACK, "s3-interface");
    let served = |peer: Vec<u8>, expected: &Pair, when: &str| {
        assert_eq!(
            peer,
            der(&expected.cert),
            "{when}: another certificate served"
        );
    };
    let settle = || tokio::time::sleep(Duration::from_millis(400));

    let before = readyz(&server).await;
    assert_eq!(
        before["certificate"]["reloadError"],
        Value::Null,
        "{before}"
    );
    assert_eq!(before["certificate"]["expired"], false, "{before}");
    let not_after = before["certificate"]["notAfter"]
        .as_str()
        .unwrap_or_default();
    assert!(not_after.ends_with('Z'), "an RFC 3339 expiry: {before}");

    std::fs::write(server.cert_path(), "").expect("truncate");
    settle().await;
    let (_, peer) = call(&client, server.webhook, &object)
        .await
        .expect("served");
    served(peer, &first, "certificate truncated");
    // Still ready, serving the last good certificate, and saying why the files were not taken.
    let detail = readyz(&server).await;
    assert_eq!(detail["ready"], true, "{detail}");
    let error = detail["certificate"]["reloadError"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("tls.crt"),
        "the failing file named: {detail}"
    );
    assert_eq!(detail["certificate"]["notAfter"], not_after, "{detail}");
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_certificate_stale 1"),
        "{text}"
    );

    std::fs::remove_file(server.cert_path()).expect("remove");
    settle().await;
    let (_, peer) = call(&client, server.webhook, &object)
        .await
        .expect("served");
    served(peer, &first, "certificate missing");

    let second = ca.server("perimeter-guard");
    replace(&server.cert_path(), &second.cert);
    std::fs::write(server.key_path(), &second.key[..second.key.len() / 2]).expect("half a key");
    settle().await;
    let (_, peer) = call(&client, server.webhook, &object)
        .await
        .expect("served");
    served(peer, &first, "key cut in half");

    replace(&server.key_path(), &second.key);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, peer) = call(&client, server.webhook, &object)
            .await
            .expect("served");
        if peer == der(&second.cert) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the repaired pair was never served"
        );
        settle().await;
    }
    let detail = readyz(&server).await;
    assert_eq!(
        detail["certificate"]["reloadError"],
        Value::Null,
        "repaired: {detail}"
    );
    let text = metrics(&server).await;
    assert!(
        text.contains("perimeter_guard_certificate_stale 0"),
        "{text}"
    );
    let failures: f64 = text
        .lines()
        .find(|l| l.starts_with("perimeter_guard_certificate_reload_total{result=\"failure\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0);
    assert!(
        failures >= 3.0,
        "{failures} failed reloads counted:\n{text}"
    );

    // A perimeter file caught half-written in place (half of it still parses as a weaker
    // DataPerimeter) is never applied: only content that two reads agree on is.
    let file = server.perimeter_dir().join("corp.yaml");
    let audit = example_perimeter().replace("enforcement: Deny", "enforcement: Audit");
    std::fs::write(&file, &audit[..audit.len() / 2]).expect("half a file");
    tokio::time::sleep(Duration::from_millis(40)).await;
    std::fs::write(&file, &audit).expect("the rest");
    let deadline = Instant::now() + Duration::from_secs(5);
    let detail = loop {
        let detail = readyz(&server).await;
        if detail["config"]["generation"] != 1 {
            break detail;
        }
        assert!(Instant::now() < deadline, "the change never took effect");
        settle().await;
    };
    assert_eq!(
        detail["config"]["generation"], 2,
        "a half-written file was applied: {detail}"
    );
    let (allowed, _) = call(&client, server.webhook, &example(ACK, "public-site"))
        .await
        .expect("decided");
    assert!(allowed, "the complete file (enforcement Audit) is in force");
    server.stop().await;
}
