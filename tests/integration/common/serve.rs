//! The `perimeter-guard serve` binary on loopback, and raw TLS connections to it, for tests that
//! need a real process (signals) or byte-level control of a request (slow bodies).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::ServerName;

use super::pki::Ca;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Server {
    pub child: Child,
    pub webhook: u16,
    pub health: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with the example perimeter, a certificate from `ca`, every setting through
/// its `PERIMETER_GUARD_*` variable, plus `env`; waits until it is ready.
pub fn start(ca: &Ca, env: &[(&str, &str)]) -> Server {
    start_program(
        std::path::Path::new(env!("CARGO_BIN_EXE_perimeter-guard")),
        ca,
        env,
    )
}

/// As [`start`], with another build of the binary (the static one the image ships).
pub fn start_program(program: &std::path::Path, ca: &Ca, env: &[(&str, &str)]) -> Server {
    let server = spawn_program(program, ca, env);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready(server.health) != Some(200) {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// As [`start`], without waiting for readiness (which an invalid configuration never reaches).
pub fn spawn(ca: &Ca, env: &[(&str, &str)]) -> Server {
    spawn_program(
        std::path::Path::new(env!("CARGO_BIN_EXE_perimeter-guard")),
        ca,
        env,
    )
}

fn spawn_program(program: &std::path::Path, ca: &Ca, env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = ca.server("perimeter-guard");
    std::fs::write(dir.path().join("tls.crt"), &pair.cert).expect("cert");
    std::fs::write(dir.path().join("tls.key"), &pair.key).expect("key");
    let (webhook, health) = (free_port(), free_port());
    let child = Command::new(program)
        .arg("serve")
        .env(
            "PERIMETER_GUARD_PERIMETER",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/manifests/examples/dataperimeter.yaml"
            ),
        )
        .env("PERIMETER_GUARD_TLS_CERT_FILE", dir.path().join("tls.crt"))
        .env("PERIMETER_GUARD_TLS_KEY_FILE", dir.path().join("tls.key"))
        .env("PERIMETER_GUARD_LISTEN", format!("127.0.0.1:{webhook}"))
        .env(
            "PERIMETER_GUARD_HEALTH_LISTEN",
            format!("127.0.0.1:{health}"),
        )
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    Server {
        child,
        webhook,
        health,
        _dir: dir,
    }
}

/// The whole answer to a plain-HTTP GET of `path` on the health port, or None when nothing
/// answers.
fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The status of GET /readyz, or None when nothing answers.
pub fn ready(port: u16) -> Option<u16> {
    get(port, "/readyz")?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The value of an unlabelled metric on GET /metrics, or None when nothing answers or it is absent.
pub fn metric(port: u16, name: &str) -> Option<f64> {
    get(port, "/metrics")?.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

/// Waits (up to 5 s) until the server on `health` holds one review in its handler: only a review
/// it has begun to read is in flight; before that the connection is idle, and shutdown rightly
/// closes an idle connection at once.
pub async fn wait_until_one_in_flight(health: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while metric(health, "perimeter_guard_admission_in_flight") != Some(1.0) {
        assert!(
            Instant::now() < deadline,
            "the review never reached the handler"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A TLS connection to the webhook port, verifying the server against `ca`.
pub async fn connect(ca: &Ca, port: u16) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let config = ca.client_config(None);
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake")
}

/// The head of a POST /validate of `length` bytes.
pub fn post_head(length: usize) -> String {
    format!(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    )
}
