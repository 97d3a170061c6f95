//! Policy text in any shape: parsing never panics, and a policy that parses can be evaluated and
//! analysed (with a small budget) without panicking.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use perimeter_guard::iam::reasoner::{self, Attachment, Perimeter};
use perimeter_guard::iam::{Policy, PolicyKind, evaluate};

static PERIMETER: LazyLock<Perimeter> = LazyLock::new(|| {
    let text = include_str!("../../manifests/examples/dataperimeter.yaml");
    perimeter_guard::perimeter::load_perimeters(text, "dataperimeter.yaml")
        .expect("the example perimeter")[0]
        .to_perimeter()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (kind, attachment) in [
        (
            PolicyKind::EndpointPolicy,
            Attachment::Endpoint {
                id: Some("vpce-1a2b3c4d".into()),
                vpc: None,
            },
        ),
        (
            PolicyKind::BucketPolicy,
            Attachment::Bucket {
                name: Some("example-bucket".into()),
            },
        ),
    ] {
        if let Ok(policy) = Policy::parse(text, kind) {
            let probe = perimeter_guard::cli::simulate::request::parse_request(
                "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::example-bucket/x\n",
            )
            .expect("a valid request");
            let _ = evaluate(&policy, &probe);
            let _ = reasoner::analyze_with_budget(&policy, &attachment, &PERIMETER, 20_000);
        }
    }
});
