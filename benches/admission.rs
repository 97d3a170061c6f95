//! The whole AdmissionReview handler in process (`admission::review`: JSON in, adapters, rules,
//! reasoner, JSON-ready response out) on every checked object of the corpus and the examples.
//!
//! `cargo bench --bench admission`: first a summary (median and 99th percentile over every
//! review, each timed many times), then criterion's per-review figures.

#[path = "../tests/integration/common/mod.rs"]
mod common;
#[path = "support/reviews.rs"]
mod reviews;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use perimeter_guard::admission::{self, DecisionCache, Settings};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn setup() -> (
    Vec<perimeter_guard::perimeter::DataPerimeter>,
    Vec<reviews::Review>,
) {
    let perimeters = reviews::example_perimeters();
    let all = reviews::all(&perimeters);
    (perimeters, all)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Every review timed 200 times, decided from scratch and answered from a warm decision cache;
/// the distribution over all of them.
fn summary(_: &mut Criterion) {
    let (perimeters, all) = setup();
    let settings = Settings::default();
    // Under `cargo test --all-targets` (no `--bench`), one pass checks every review still decides.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        1
    };
    let cache = DecisionCache::new(admission::DEFAULT_CAPACITY_BYTES);
    for r in &all {
        admission::review_with(&r.body, &perimeters, &settings, &cache).expect("a valid review");
    }
    let bytes: Vec<usize> = all.iter().map(|r| r.body.len()).collect();
    println!(
        "handler: {} reviews ({} to {} bytes)",
        all.len(),
        bytes.iter().min().unwrap_or(&0),
        bytes.iter().max().unwrap_or(&0),
    );
    distribution("evaluated", &all, rounds, |body| {
        admission::review(body, &perimeters, &settings).is_ok()
    });
    distribution("from the cache", &all, rounds, |body| {
        admission::review_without_evaluating(body, &perimeters, &settings, &cache)
            .is_some_and(|r| r.is_ok())
    });
}

fn distribution(
    label: &str,
    all: &[reviews::Review],
    rounds: usize,
    decide: impl Fn(&[u8]) -> bool,
) {
    let mut times = Vec::new();
    let mut worst = (Duration::ZERO, String::new());
    for r in all {
        for _ in 0..rounds {
            let start = Instant::now();
            let decided = decide(black_box(&r.body));
            let took = start.elapsed();
            assert!(decided, "{label}: {} was not decided", r.name);
            times.push(took);
            if took > worst.0 {
                worst = (took, r.name.clone());
            }
        }
    }
    times.sort();
    println!(
        "  {label}: median {:.1?}, p90 {:.1?}, p99 {:.1?}, worst {:.1?} ({})",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        worst.0,
        worst.1
    );
}

fn per_review(c: &mut Criterion) {
    let (perimeters, all) = setup();
    let settings = Settings::default();
    let mut group = c.benchmark_group("handler");
    for r in &all {
        group.bench_function(r.name.as_str(), |b| {
            b.iter(|| admission::review(black_box(&r.body), &perimeters, &settings))
        });
    }
    group.finish();
}

criterion_group! {
    name = admission_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300))
        .sample_size(10);
    targets = summary, per_review
}
criterion_main!(admission_benches);
