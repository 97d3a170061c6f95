//! AdmissionReview bodies: the handler answers or refuses every body without panicking, the
//! answer serialises, and an answer from the decision cache equals the evaluated one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perimeter_guard::admission::{self, DecisionCache, Settings};

#[path = "example_perimeter.rs"]
mod example_perimeter;
use example_perimeter::PERIMETERS;

fuzz_target!(|data: &[u8]| {
    let settings = Settings {
        exempt_namespaces: vec!["kube-system".into()],
        allow_label_exemption: true,
        exempt_groups: vec!["break-glass".into()],
        ..Settings::default()
    };
    let evaluated = admission::review(data, &PERIMETERS, &settings);
    let cache = DecisionCache::new(1 << 20);
    let first = admission::review_with(data, &PERIMETERS, &settings, &cache);
    let again = admission::review_without_evaluating(data, &PERIMETERS, &settings, &cache);
    match (&evaluated, &first) {
        (Ok(a), Ok(b)) => {
            let a_json = serde_json::to_value(&a.review).expect("serialisable");
            assert_eq!(
                a_json,
                serde_json::to_value(&b.review).expect("serialisable")
            );
            assert_eq!(a.decision, b.decision);
            if let Some(Ok(c)) = again {
                assert_eq!(
                    a_json,
                    serde_json::to_value(&c.review).expect("serialisable")
                );
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("cached and uncached disagree: {evaluated:?} / {first:?}"),
    }
});
