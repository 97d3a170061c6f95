//! `check` over 10,000 objects: reading, adapting, every rule and the reasoner, in process.
//!
//! `cargo bench --bench check`; the figure is recorded in docs/performance.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use perimeter_guard::cli::check::manifests as input;
use perimeter_guard::{decision, perimeter::load_perimeters};

// The same allocator as the binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OBJECTS: usize = 10_000;

/// The bundled example manifests, renamed and repeated into one 10,000-document stream, with
/// each copy's policies made distinct (a different trusted VPC endpoint literal) so that nothing
/// could be shared between copies.
fn stream() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let docs: Vec<String> = ["ack", "crossplane-classic", "upbound"]
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(format!("{root}/manifests/examples/{f}.yaml"))
                .expect("example manifests");
            text.split("\n---\n").map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    let mut out = String::new();
    for i in 0..OBJECTS {
        let doc = docs[i % docs.len()]
            .replacen("name: ", &format!("name: copy{i}-"), 1)
            .replace("vpce-1a2b3c4d", &format!("vpce-{:08x}", i));
        out.push_str(&doc);
        out.push_str("\n---\n");
    }
    out
}

fn benches(c: &mut Criterion) {
    let perimeter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/examples/dataperimeter.yaml"
    ))
    .expect("perimeter");
    let perimeters =
        load_perimeters(&perimeter, "manifests/examples/dataperimeter.yaml").expect("valid");
    let text = stream();
    assert_eq!(input::parse(&text, "bench").expect("parses").len(), OBJECTS);
    c.bench_function("check/10000-objects", |b| {
        b.iter(|| {
            let docs = input::parse(black_box(&text), "bench").expect("parses");
            for d in &docs {
                black_box(decision::evaluate(&d.value, &perimeters));
            }
        })
    });
}

criterion_group! {
    name = check_benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10)).sample_size(10);
    targets = benches
}
criterion_main!(check_benches);
