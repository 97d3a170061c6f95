//! SIGTERM on the real binary: readiness fails, new connections are refused, a review already
//! being received is finished and answered, and the process exits within its grace period.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::admission::{example, review};
use common::pki::Ca;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Server {
    child: Child,
    webhook: u16,
    health: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start(ca: &Ca, grace: &str) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = ca.server("perimeter-guard");
    std::fs::write(dir.path().join("tls.crt"), &pair.cert).expect("cert");
    std::fs::write(dir.path().join("tls.key"), &pair.key).expect("key");
    let (webhook, health) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .arg("serve")
        .env(
            "PERIMETER_GUARD_PERIMETER",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/perimeter.yaml"),
        )
        .env("PERIMETER_GUARD_TLS_CERT_FILE", dir.path().join("tls.crt"))
        .env("PERIMETER_GUARD_TLS_KEY_FILE", dir.path().join("tls.key"))
        .env("PERIMETER_GUARD_LISTEN", format!("127.0.0.1:{webhook}"))
        .env(
            "PERIMETER_GUARD_HEALTH_LISTEN",
            format!("127.0.0.1:{health}"),
        )
        .env("PERIMETER_GUARD_SHUTDOWN_GRACE", grace)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let server = Server {
        child,
        webhook,
        health,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready(server.health) != Some(200) {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// The status of GET /readyz, or None when nothing answers.
fn ready(port: u16) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

async fn connect(ca: &Ca, port: u16) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
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
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake")
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_review_in_flight_and_exits() {
    let ca = Ca::new("webhook CA");
    let mut server = start(&ca, "10s");
    let body = review(
        "CREATE",
        Some(&example("examples/manifests/ack.yaml", "public-site")),
        None,
        false,
    )
    .to_string();
    let mut stream = connect(&ca, server.webhook).await;
    let head = format!(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(first).await.expect("first half");
    stream.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(100)).await;

    sigterm(&server.child);
    // Readiness fails at once, and the listener stops accepting.
    let deadline = Instant::now() + Duration::from_secs(5);
    while ready(server.health) == Some(200) {
        assert!(Instant::now() < deadline, "readiness never failed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", server.webhook))
        .await
        .is_ok()
    {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The review already on its way is answered in full.
    stream.write_all(rest).await.expect("second half");
    stream.flush().await.expect("flush");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\"allowed\":false"), "{answer}");
    assert!(
        answer.contains("perimeter-guard denied Bucket web/public-site"),
        "{answer}"
    );

    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
    let logs: Vec<String> = BufReader::new(server.child.stderr.take().expect("stderr"))
        .lines()
        .map_while(Result::ok)
        .collect();
    let decision = logs
        .iter()
        .find(|l| l.contains("\"message\":\"admission review\""))
        .unwrap_or_else(|| panic!("no decision logged: {logs:#?}"));
    let entry: serde_json::Value = serde_json::from_str(decision).expect("a JSON log line");
    assert_eq!(entry["decision"], "deny");
    assert_eq!(entry["kind"], "Bucket");
    assert_eq!(entry["namespace"], "web");
    assert_eq!(entry["name"], "public-site");
    assert_eq!(entry["operation"], "CREATE");
    assert_eq!(entry["user"], "alice@example.com");
    assert_eq!(entry["uid"], common::admission::UID);
    assert_eq!(entry["rules"], "DP-BP-001,DP-BP-002,DP-BP-004,DP-PAB-001");
    assert!(entry["duration_ms"].is_number());
    assert!(
        !decision.contains("Statement"),
        "policy documents are never logged at info"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_that_never_completes_does_not_hold_shutdown_past_the_grace_period() {
    let ca = Ca::new("webhook CA");
    let mut server = start(&ca, "1s");
    let mut stream = connect(&ca, server.webhook).await;
    stream
        .write_all(b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000\r\n\r\n{")
        .await
        .expect("head");
    stream.flush().await.expect("flush");
    let started = Instant::now();
    sigterm(&server.child);
    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "it waited for the grace period"
    );
}
