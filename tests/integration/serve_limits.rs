//! The webhook's limits on the real binary: a review not received within the deadline, and more
//! requests or more body bytes than it holds at once, get a fast 503 (the API server then applies the
//! failurePolicy), and the server goes on answering.

use crate::common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::admission::{example, padded_review, review};
use common::pki::Ca;
use common::serve::{connect, post_head, start};

async fn answer(stream: &mut Stream) -> String {
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::new();
    // Read until the whole body of a JSON answer has arrived.
    while !(text.contains("\r\n\r\n") && text.trim_end().ends_with('}')) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text
}

fn body() -> String {
    review(
        "CREATE",
        Some(&example("manifests/examples/ack.yaml", "public-site")),
        None,
        false,
    )
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_not_received_within_the_deadline_gets_503() {
    let ca = Ca::new("webhook CA");
    let server = start(&ca, &[("PERIMETER_GUARD_REQUEST_TIMEOUT", "300ms")]);
    let body = body();
    let mut slow = connect(&ca, server.webhook).await;
    slow.write_all(post_head(body.len()).as_bytes())
        .await
        .expect("head");
    slow.write_all(&body.as_bytes()[..10])
        .await
        .expect("a little");
    slow.flush().await.expect("flush");
    let started = Instant::now();
    let text = answer(&mut slow).await;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("could not decide within 300ms"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // A prompt client is still answered.
    let (text, _) = send(&ca, server.webhook, &body).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

type Stream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// `n` requests of `body` held open mid-body: the head and ten bytes sent, the rest not.
async fn hold(ca: &Ca, port: u16, body: &str, n: usize) -> Vec<Stream> {
    let mut held = Vec::new();
    for _ in 0..n {
        let mut s = connect(ca, port).await;
        s.write_all(post_head(body.len()).as_bytes())
            .await
            .expect("head");
        s.write_all(&body.as_bytes()[..10]).await.expect("a little");
        s.flush().await.expect("flush");
        held.push(s);
    }
    // Let the server read the heads and admit the requests.
    tokio::time::sleep(Duration::from_millis(200)).await;
    held
}

/// Sends the rest of each held request and returns the answers.
async fn finish(held: &mut [Stream], body: &str) -> Vec<String> {
    let mut answers = Vec::new();
    for s in held {
        s.write_all(&body.as_bytes()[10..]).await.expect("rest");
        answers.push(answer(s).await);
    }
    answers
}

/// One whole request on a new connection; its answer and how long it took.
async fn send(ca: &Ca, port: u16, body: &str) -> (String, Duration) {
    let mut s = connect(ca, port).await;
    let started = Instant::now();
    s.write_all((post_head(body.len()) + body).as_bytes())
        .await
        .expect("write");
    let text = answer(&mut s).await;
    (text, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_pending_limit_get_an_immediate_503() {
    let ca = Ca::new("webhook CA");
    let server = start(&ca, &[("PERIMETER_GUARD_MAX_PENDING", "2")]);
    let body = body();
    // Two requests held open mid-body fill the server.
    let mut held = hold(&ca, server.webhook, &body, 2).await;
    let (text, took) = send(&ca, server.webhook, &body).await;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.to_lowercase().contains("retry-after: 1"), "{text}");
    assert!(took < Duration::from_secs(1), "refused at once");
    // The held requests complete normally once their bodies arrive, and capacity returns.
    for text in finish(&mut held, &body).await {
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
    let (text, _) = send(&ca, server.webhook, &body).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_body_byte_budget_get_an_immediate_503() {
    let ca = Ca::new("webhook CA");
    let server = start(
        &ca,
        &[
            ("PERIMETER_GUARD_MAX_BODY_BYTES", "1048576"),
            ("PERIMETER_GUARD_MAX_PENDING_BYTES", "2097152"),
        ],
    );
    let large = padded_review(900 * 1024);
    // Two large reviews held open mid-body take 1.8 MiB of the 2 MiB.
    let mut held = hold(&ca, server.webhook, &large, 2).await;

    // A small review still fits and is decided; a third large one is refused at once.
    let (text, _) = send(&ca, server.webhook, &body()).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let (text, took) = send(&ca, server.webhook, &large).await;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("holds as many request bytes"), "{text}");
    assert!(text.to_lowercase().contains("retry-after: 1"), "{text}");
    assert!(took < Duration::from_secs(2), "refused at once");

    // The held reviews are decided once their bodies arrive, and the bytes come back.
    for text in finish(&mut held, &large).await {
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("\"allowed\":false"), "{text}");
    }
    let (text, _) = send(&ca, server.webhook, &large).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[test]
fn a_byte_budget_below_the_body_limit_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
        .args([
            "serve",
            "--perimeter",
            "manifests/examples/dataperimeter.yaml",
            "--tls-cert-file",
            "missing.crt",
            "--tls-key-file",
            "missing.key",
            "--max-body-bytes",
            "1048576",
            "--max-pending-bytes",
            "1000",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "a configuration error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--max-pending-bytes (1000) is below --max-body-bytes (1048576)"),
        "{stderr}"
    );
}
