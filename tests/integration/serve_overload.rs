//! The real binary past its capacity and under SIGTERM. Saturated: every request gets an answer
//! (the right decision, or a fast 503 the API server treats per failurePolicy), none after the
//! deadline, memory bounded, and full service as soon as the load drops. SIGTERM under load:
//! every review in flight is answered. Large reviews at once: memory bounded by the byte budget.
//! Run with `--nocapture` for the figures recorded in docs/reliability.md.

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::admission::{example, example_objects, example_perimeter, padded_review, review};
use common::pki::Ca;
use common::serve::{Server, start};
use perimeter_guard::admission::{self, Settings};
use serde_json::{Value, json};
use tokio::sync::Mutex;

fn client(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(ca.client_config(None))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn peak_rss_mib(server: &Server) -> u64 {
    common::peak_rss_mib(&server.child.id().to_string())
}

/// Review bodies with the decision each must get: every example object, and a 20 KB policy
/// (about 100 statements) that costs milliseconds to reason about.
fn bodies() -> Vec<(String, bool)> {
    let perimeters =
        perimeter_guard::perimeter::load_perimeters(&example_perimeter(), "p").expect("valid");
    let mut objects: Vec<Value> = [
        "manifests/examples/ack.yaml",
        "manifests/examples/upbound.yaml",
        "manifests/examples/crossplane-classic.yaml",
    ]
    .iter()
    .flat_map(|f| example_objects(f))
    .collect();
    let statements: Vec<Value> = (0..100)
        .map(|i| {
            json!({"Sid": format!("S{i}"), "Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::example-reports/t{i}/*"),
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4",
                "aws:ResourceOrgID": "o-abc123def4"}}})
        })
        .collect();
    let mut heavy = example("manifests/examples/ack.yaml", "s3-interface");
    heavy["spec"]["policyDocument"] = json!(json!({"Statement": statements}).to_string());
    objects.push(heavy);
    objects
        .iter()
        .map(|o| {
            let body = review("CREATE", Some(o), None, false).to_string();
            let r = admission::review(body.as_bytes(), &perimeters, &Settings::default())
                .expect("a review");
            let allowed =
                serde_json::to_value(&r.review).expect("json")["response"]["allowed"] == true;
            (body, allowed)
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    decided: u64,
    wrong: u64,
    unavailable: u64,
    other: Vec<String>,
    latencies: Vec<Duration>,
}

impl Tally {
    /// Counts one outcome: a decision (checked against the expected one), a 503, or anything else.
    fn record(&mut self, outcome: Result<(u16, Value), String>, allowed: bool) {
        match outcome {
            Ok((200, v)) => {
                self.decided += 1;
                if (v["response"]["allowed"] == true) != allowed {
                    self.wrong += 1;
                }
            }
            Ok((503, _)) => self.unavailable += 1,
            Ok((status, v)) => self.other.push(format!("HTTP {status}: {v}")),
            Err(e) => self.other.push(e),
        }
    }
}

async fn post(client: &reqwest::Client, port: u16, body: &str) -> Result<(u16, Value), String> {
    let r = client
        .post(format!("https://localhost:{port}/validate"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = r.status().as_u16();
    let value = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saturated_every_request_is_answered_in_time_and_it_recovers_at_once() {
    let ca = Ca::new("webhook CA");
    let deadline = Duration::from_secs(2);
    let server = start(
        &ca,
        &[
            ("PERIMETER_GUARD_DECISION_CACHE_BYTES", "0"),
            ("PERIMETER_GUARD_MAX_CONCURRENCY", "1"),
            ("PERIMETER_GUARD_MAX_PENDING", "32"),
            ("PERIMETER_GUARD_REQUEST_TIMEOUT", "2s"),
            ("PERIMETER_GUARD_LOG", "warn"),
        ],
    );
    let bodies = Arc::new(bodies());
    let client = client(&ca);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let load_for = Duration::from_secs(5);
    let started = Instant::now();
    let mut workers = Vec::new();
    // 128 clients with no pause between requests: four times the pending limit.
    for w in 0..128usize {
        let (client, bodies, tally, port) = (
            client.clone(),
            bodies.clone(),
            tally.clone(),
            server.webhook,
        );
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while started.elapsed() < load_for {
                let (body, allowed) = &bodies[i % bodies.len()];
                i += 7;
                let sent = Instant::now();
                let outcome = post(&client, port, body).await;
                let took = sent.elapsed();
                let mut t = tally.lock().await;
                t.latencies.push(took);
                t.record(outcome, *allowed);
            }
        }));
    }
    let mut rss = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        rss = rss.max(peak_rss_mib(&server));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for w in workers {
        w.await.expect("worker");
    }
    let mut t = tally.lock().await;
    t.latencies.sort();
    let n = t.latencies.len();
    let p99 = t.latencies[(n - 1) * 99 / 100];
    let max = t.latencies[n - 1];
    rss = rss.max(peak_rss_mib(&server));
    println!(
        "offered {n} requests in {:?} from 128 clients: {} decided, {} answered 503, {} other; p99 {p99:?}, max {max:?}; peak RSS {rss} MiB",
        started.elapsed(),
        t.decided,
        t.unavailable,
        t.other.len()
    );
    assert!(t.other.is_empty(), "{:?}", &t.other[..t.other.len().min(5)]);
    assert_eq!(t.wrong, 0, "wrong decisions");
    assert!(
        t.unavailable > 0,
        "the load never exceeded the server's capacity"
    );
    assert!(t.decided > 0);
    assert!(
        max < deadline + Duration::from_secs(1),
        "an answer took {max:?}"
    );
    assert!(rss < 256, "peak RSS {rss} MiB");
    // The load is gone: the next reviews are decided at once.
    for (body, allowed) in bodies.iter().take(5) {
        let sent = Instant::now();
        let (status, v) = post(&client, server.webhook, body).await.expect("answered");
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["response"]["allowed"] == true, *allowed);
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
    }
}

/// 96 clients posting 3 MiB reviews without pause for 4 s at a server evaluating one at a time;
/// returns what they got and the server's peak RSS.
async fn large_reviews_at_once(ca: &Ca, max_pending_bytes: &str) -> (Tally, u64) {
    let server = start(
        ca,
        &[
            ("PERIMETER_GUARD_DECISION_CACHE_BYTES", "0"),
            ("PERIMETER_GUARD_MAX_CONCURRENCY", "1"),
            ("PERIMETER_GUARD_MAX_PENDING_BYTES", max_pending_bytes),
            ("PERIMETER_GUARD_LOG", "warn"),
        ],
    );
    let body = Arc::new(padded_review(3 * 1024 * 1024));
    let client = client(ca);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..96 {
        let (client, body, tally, port) =
            (client.clone(), body.clone(), tally.clone(), server.webhook);
        workers.push(tokio::spawn(async move {
            while started.elapsed() < Duration::from_secs(4) {
                let sent = Instant::now();
                let outcome = post(&client, port, &body).await;
                let mut t = tally.lock().await;
                t.latencies.push(sent.elapsed());
                t.record(outcome, false);
            }
        }));
    }
    let mut rss = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        rss = rss.max(peak_rss_mib(&server));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in workers {
        w.await.expect("worker");
    }
    rss = rss.max(peak_rss_mib(&server));
    let tally = std::mem::take(&mut *tally.lock().await);
    (tally, rss)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_reviews_at_once_stay_within_the_byte_budget() {
    let ca = Ca::new("webhook CA");
    let (bounded, bounded_rss) = large_reviews_at_once(&ca, "33554432").await;
    let (unbounded, unbounded_rss) = large_reviews_at_once(&ca, "1073741824").await;
    for (name, t, rss) in [
        ("32 MiB budget (the default)", &bounded, bounded_rss),
        ("1 GiB budget", &unbounded, unbounded_rss),
    ] {
        let max = t.latencies.iter().max().copied().unwrap_or_default();
        println!(
            "3 MiB reviews from 96 clients for 4 s, {name}: {} decided, {} answered 503, {} other; max {max:?}; peak RSS {rss} MiB",
            t.decided,
            t.unavailable,
            t.other.len()
        );
    }
    assert!(
        bounded.other.is_empty(),
        "{:?}",
        &bounded.other[..bounded.other.len().min(5)]
    );
    assert_eq!(bounded.wrong, 0, "wrong decisions");
    assert!(bounded.decided > 0 && bounded.unavailable > 0);
    // The chart's memory limit is 256 MiB; bodies held are bounded by the budget, not the load.
    assert!(bounded_rss < 224, "peak RSS {bounded_rss} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_review_in_flight() {
    let ca = Ca::new("webhook CA");
    let mut server = start(
        &ca,
        &[
            ("PERIMETER_GUARD_DECISION_CACHE_BYTES", "0"),
            ("PERIMETER_GUARD_SHUTDOWN_DELAY", "2s"),
            ("PERIMETER_GUARD_SHUTDOWN_GRACE", "10s"),
            ("PERIMETER_GUARD_LOG", "warn"),
        ],
    );
    let bodies = Arc::new(bodies());
    let client = client(&ca);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop_sending = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..16usize {
        let (client, bodies, tally, port, stop) = (
            client.clone(),
            bodies.clone(),
            tally.clone(),
            server.webhook,
            stop_sending.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let (body, allowed) = &bodies[i % bodies.len()];
                i += 3;
                let outcome = post(&client, port, body).await;
                tally.lock().await.record(outcome, *allowed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    // Readiness fails at once while reviews keep being answered (the endpoints are dropping
    // the pod); then the senders stop, as the API server does once the pod is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(common::serve::ready(server.health), Some(503));
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop_sending.store(true, std::sync::atomic::Ordering::Release);
    for w in workers {
        w.await.expect("worker");
    }
    let t = tally.lock().await;
    println!(
        "SIGTERM under load: {} reviews answered, {} not",
        t.decided,
        t.other.len()
    );
    assert!(t.other.is_empty(), "{:?}", &t.other[..t.other.len().min(5)]);
    assert_eq!(t.wrong, 0);
    assert_eq!(t.unavailable, 0, "503s while shutting down");
    assert!(t.decided > 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
}
