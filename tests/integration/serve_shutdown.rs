//! SIGTERM on the real binary: readiness fails, new connections are refused, a review already
//! being received is finished and answered, and the process exits within its grace period.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::admission::{example, review};
use common::pki::Ca;
use common::serve::{connect, post_head, ready, start, wait_until_one_in_flight};

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
    let mut server = start(&ca, &[("PERIMETER_GUARD_SHUTDOWN_GRACE", "10s")]);
    let body = review(
        "CREATE",
        Some(&example("manifests/examples/ack.yaml", "public-site")),
        None,
        false,
    )
    .to_string();
    let mut stream = connect(&ca, server.webhook).await;
    let head = post_head(body.len());
    stream.write_all(head.as_bytes()).await.expect("head");
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(first).await.expect("first half");
    stream.flush().await.expect("flush");
    wait_until_one_in_flight(server.health).await;

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
    let mut server = start(&ca, &[("PERIMETER_GUARD_SHUTDOWN_GRACE", "1s")]);
    let mut stream = connect(&ca, server.webhook).await;
    stream
        .write_all(b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000\r\n\r\n{")
        .await
        .expect("head");
    stream.flush().await.expect("flush");
    wait_until_one_in_flight(server.health).await;
    let started = Instant::now();
    sigterm(&server.child);
    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "it waited for the grace period"
    );
}
