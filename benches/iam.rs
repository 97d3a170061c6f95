//! Parse and evaluate every policy of the shared corpus.
//!
//! `cargo bench --bench iam` ; figures are recorded in docs/performance.md.

#[path = "../tests/integration/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use perimeter_guard::cli::simulate::request::parse_request;
use perimeter_guard::iam::{Policy, PolicyKind, Request, evaluate};

// The same allocator as the binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REQUESTS: &[&str] = &[
    "principal: anonymous\naction: s3:GetObject\nresource: {arn: 'arn:aws:s3:::example-bucket/k', account: '111122223333', organization: o-abc123def4}\ncontext: {aws:SourceIp: 203.0.113.7, aws:SecureTransport: true}",
    "principal: {arn: 'arn:aws:iam::111122223333:role/App', organization: o-abc123def4, tags: {team: red}}\naction: s3:PutObject\nresource: {arn: 'arn:aws:s3:::example-bucket/k', account: '111122223333', organization: o-abc123def4}\ncontext: {aws:SourceVpce: vpce-1a2b3c4d, aws:SourceVpc: vpc-111bbb22, aws:SecureTransport: true}",
    "principal: {arn: 'arn:aws:iam::444455556666:role/X'}\naction: s3:ListBucket\nresource: {arn: 'arn:aws:s3:::partner-bucket', account: '444455556666'}\ncontext: {aws:SourceVpce: vpce-1a2b3c4d}",
    "principal: {service: cloudtrail.amazonaws.com}\naction: s3:PutObject\nresource: {arn: 'arn:aws:s3:::example-bucket/AWSLogs/x', account: '111122223333'}\ncontext: {aws:SourceAccount: '111122223333', aws:SourceArn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/t'}",
    "principal: {arn: 'arn:aws:iam::111122223333:user/alice', organization: o-abc123def4}\naction: ec2:RunInstances\nresource: {arn: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', account: '111122223333'}\ncontext: {aws:SourceIp: 10.1.2.3}",
];

/// The corpus's policies, or without it the repository's own example policies.
fn corpus() -> Vec<(String, String, PolicyKind)> {
    let dir = common::corpus_root_if_present()
        .map(|root| root.join("policies"))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"));
    common::files_below(&dir, "json")
        .into_iter()
        .filter_map(|rel| {
            let text = std::fs::read_to_string(dir.join(&rel)).ok()?;
            [
                PolicyKind::EndpointPolicy,
                PolicyKind::BucketPolicy,
                PolicyKind::ResourcePolicy,
                PolicyKind::IdentityPolicy,
            ]
            .into_iter()
            .find(|k| Policy::parse(&text, *k).is_ok())
            .map(|k| (rel.to_string_lossy().into_owned(), text, k))
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let policies = corpus();
    let requests: Vec<Request> = REQUESTS
        .iter()
        .map(|r| parse_request(r).expect("bench request"))
        .collect();
    let mut parse = c.benchmark_group("parse");
    for (name, text, kind) in &policies {
        parse.bench_function(name.as_str(), |b| {
            b.iter(|| Policy::parse(black_box(text), *kind))
        });
    }
    parse.finish();
    let mut eval = c.benchmark_group("evaluate");
    for (name, text, kind) in &policies {
        let policy = Policy::parse(text, *kind).expect("parsed above");
        eval.bench_function(name.as_str(), |b| {
            b.iter(|| {
                for r in &requests {
                    black_box(evaluate(black_box(&policy), r));
                }
            })
        });
    }
    eval.finish();
}

criterion_group! {
    name = iam;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800))
        .sample_size(20);
    targets = benches
}
criterion_main!(iam);
