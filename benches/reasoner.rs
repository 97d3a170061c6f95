//! The perimeter reasoner on every corpus policy that is a bucket or endpoint policy.
//!
//! `cargo bench --bench reasoner`; figures are recorded in docs/performance.md.

#[path = "../tests/integration/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use perimeter_guard::iam::reasoner::{self, Attachment};
use perimeter_guard::iam::{Policy, PolicyKind};
use perimeter_guard::perimeter::load_perimeters;

// The same allocator as the binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (name, policy, attachment) for every corpus document that parses as an endpoint or bucket
/// policy; documents whose name says "endpoint" or "vpce" are analysed as endpoint policies.
/// Without the corpus, the repository's own example policies.
fn corpus() -> Vec<(String, Policy, Attachment)> {
    let dir = common::corpus_root_if_present()
        .map(|root| root.join("policies"))
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"));
    common::files_below(&dir, "json")
        .into_iter()
        .filter_map(|rel| {
            let name = rel.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(dir.join(&rel)).ok()?;
            let endpoint = name.contains("endpoint")
                || name.contains("vpce")
                || name.contains("peer-prowler/tb");
            let (kind, attachment) = if endpoint {
                (
                    PolicyKind::EndpointPolicy,
                    Attachment::Endpoint {
                        id: Some("vpce-1a2b3c4d".into()),
                        vpc: None,
                        service: None,
                    },
                )
            } else {
                (PolicyKind::BucketPolicy, Attachment::Bucket { name: None })
            };
            Policy::parse(&text, kind)
                .ok()
                .map(|p| (name, p, attachment))
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/examples/dataperimeter.yaml"
    ))
    .expect("example perimeter");
    let perimeter = load_perimeters(&text, "manifests/examples/dataperimeter.yaml").expect("valid")
        [0]
    .to_perimeter();
    let mut group = c.benchmark_group("analyze");
    for (name, policy, attachment) in corpus() {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| reasoner::analyze(black_box(&policy), &attachment, &perimeter))
        });
    }
    group.finish();
}

criterion_group! {
    name = reasoner_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
        .sample_size(15);
    targets = benches
}
criterion_main!(reasoner_benches);
