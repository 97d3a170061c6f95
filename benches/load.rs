//! Requests per second and latency of `perimeter-guard serve` over real TLS on loopback, with a
//! client that verifies the CA, HTTP/1.1 keep-alive on several connections (as the API server
//! calls webhooks), and the request mix of `benches/support/reviews.rs`.
//!
//! `cargo bench --bench load` (add `-- --quick` for a run under a minute). The server is pinned
//! to CPU 0 and this load generator to CPU 1 when `taskset` is available. Figures are recorded in
//! docs/performance.md.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/reviews.rs"]
mod reviews;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 8;

struct Server {
    child: Child,
    port: u16,
    health: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn have_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn start(ca: &common::pki::Ca) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = ca.server("perimeter-guard");
    std::fs::write(dir.path().join("tls.crt"), &pair.cert).expect("cert");
    std::fs::write(dir.path().join("tls.key"), &pair.key).expect("key");
    let (port, health) = (free_port(), free_port());
    let binary = env!("CARGO_BIN_EXE_perimeter-guard");
    let mut command = if have_taskset() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", binary]);
        c
    } else {
        Command::new(binary)
    };
    let child = command
        .arg("serve")
        .args([
            "--perimeter",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/manifests/examples/dataperimeter.yaml"
            ),
        ])
        .arg("--tls-cert-file")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key-file")
        .arg(dir.path().join("tls.key"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--health-listen", &format!("127.0.0.1:{health}")])
        // One core: evaluations run on the blocking pool of a server pinned to CPU 0.
        .args(["--max-concurrency", "1"])
        .env("PERIMETER_GUARD_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let server = Server {
        child,
        port,
        health,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", server.health)).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    server
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn client(ca: &common::pki::Ca) -> reqwest::Client {
    let config = ca.client_config(None);
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .http1_only()
        .pool_max_idle_per_host(CONNECTIONS)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

struct Outcome {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    /// CPU time the server process spent during the phase.
    server_cpu: Duration,
}

/// User plus system CPU time of a process so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0);
    // The kernel reports in clock ticks of 1/100 s on Linux.
    Duration::from_millis(ticks * 10)
}

impl Outcome {
    fn row(&self, label: &str) -> String {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1e6;
        format!(
            "| {label} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {} | {:.0} µs |",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            ms(0.5),
            ms(0.99),
            ms(0.999),
            self.errors,
            self.server_cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
        )
    }
}

/// `rate`: None for as fast as the server answers (closed loop, one request in flight per
/// connection); Some(r) for r requests per second on a fixed schedule, where a request that could
/// not be sent on time because its connection was still busy counts from its scheduled time, so a
/// stall is not hidden (no coordinated omission).
async fn drive(
    server_pid: u32,
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Vec<Vec<u8>>>,
    duration: Duration,
    rate: Option<u64>,
) -> Outcome {
    let next = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_time(server_pid);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, bodies, next) =
            (client.clone(), url.to_owned(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latency =
                Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
            let (mut requests, mut errors) = (0u64, 0u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let scheduled = match rate {
                    None => Instant::now(),
                    Some(r) => start + Duration::from_nanos(i * 1_000_000_000 / r),
                };
                if scheduled.duration_since(start) >= duration {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                // The timer wakes up to a millisecond late, which is the generator's lateness, not
                // the server's; a connection still busy with the previous review is the server's,
                // and then latency counts from the scheduled time.
                let woke = Instant::now();
                let origin = if woke.duration_since(scheduled) > Duration::from_millis(1) {
                    scheduled
                } else {
                    woke
                };
                let body = bodies[(i as usize) % bodies.len()].clone();
                let ok = match client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let _ = latency.record(origin.elapsed().as_nanos() as u64);
                requests += 1;
                errors += u64::from(!ok);
            }
            (requests, errors, latency)
        }));
    }
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latency: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("histogram"),
        server_cpu: Duration::ZERO,
    };
    for t in tasks {
        let (r, e, h) = t.await.expect("load task");
        outcome.requests += r;
        outcome.errors += e;
        outcome.latency.add(h).expect("same bounds");
    }
    outcome.elapsed = start.elapsed().max(Duration::from_millis(1));
    outcome.server_cpu = cpu_time(server_pid).saturating_sub(cpu_before);
    outcome
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and then one short
    // phase shows the benchmark still works without spending a minute on it.
    let measuring = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    let duration = match (measuring, quick) {
        (false, _) => Duration::from_secs(1),
        (true, true) => Duration::from_secs(5),
        (true, false) => Duration::from_secs(20),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let perimeters = reviews::example_perimeters();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        reviews::all(&perimeters)
            .into_iter()
            .map(|r| r.body)
            .collect(),
    );
    let ca = common::pki::Ca::new("bench CA");
    let server = start(&ca);
    if have_taskset() {
        let _ = Command::new("taskset")
            .args(["-a", "-cp", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("https://localhost:{}/validate", server.port);
    let client = client(&ca);
    let pid = server.child.id();
    runtime.block_on(async {
        // Warm up connections and the server's allocator.
        drive(pid, &client, &url, &bodies, Duration::from_secs(1), None).await;
        println!(
            "load: {} reviews in the mix, {CONNECTIONS} HTTP/1.1 connections, TLS with CA verification, {}s per phase{}",
            bodies.len(),
            duration.as_secs(),
            if have_taskset() { ", server on CPU 0, load on CPU 1" } else { "" }
        );
        println!("| phase | req/s | p50 | p99 | p99.9 | errors | server CPU per request |");
        println!("|---|---|---|---|---|---|---|");
        let max = drive(pid, &client, &url, &bodies, duration, None).await;
        println!("{}", max.row("max throughput"));
        assert_eq!(max.errors, 0, "every review must be answered");
        if !measuring {
            return;
        }
        for rate in [1_000u64, 5_000] {
            let fixed = drive(pid, &client, &url, &bodies, duration, Some(rate)).await;
            println!("{}", fixed.row(&format!("fixed {rate} req/s")));
        }
    });
    println!(
        "server peak RSS: {} MiB",
        peak_rss_kib(server.child.id()) / 1024
    );
}
