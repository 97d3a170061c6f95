//! The admission handler for `valgrind --tool=callgrind`: instruction counts are stable where
//! wall-clock times on shared machines are not, so regressions show through the noise.
//! `scripts/bench-instructions.sh` runs it and divides the instructions counted inside
//! `evaluate_every_review`, `answer_every_review_from_cache` and
//! `answer_every_resent_review_from_facts` by the number of reviews.
//!
//! `handler_instructions` (needs the shared corpus, as the benches do)

use perimeter_guard_load_bench::reviews;

use std::hint::black_box;

use perimeter_guard::admission::{self, DecisionCache, Settings};
use perimeter_guard::perimeter::DataPerimeter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every review decided from scratch, as on a cache miss.
#[inline(never)]
fn evaluate_every_review(all: &[reviews::Review], perimeters: &[DataPerimeter]) -> usize {
    let settings = Settings::default();
    all.iter()
        .filter(|r| admission::review(black_box(&r.body), perimeters, &settings).is_ok())
        .count()
}

/// Every review answered from a warm decision cache, as on a controller's resend.
#[inline(never)]
fn answer_every_review_from_cache(
    all: &[reviews::Review],
    perimeters: &[DataPerimeter],
    cache: &DecisionCache,
) -> usize {
    let settings = Settings::default();
    all.iter()
        .filter(|r| {
            admission::review_without_evaluating(black_box(&r.body), perimeters, &settings, cache)
                .is_some_and(|r| r.is_ok())
        })
        .count()
}

/// Every review resent as a controller resends it (a new resourceVersion and annotation), on a
/// warm cache: the bytes are new, the facts are not.
#[inline(never)]
fn answer_every_resent_review_from_facts(
    resent: &[Vec<u8>],
    perimeters: &[DataPerimeter],
    cache: &DecisionCache,
) -> usize {
    let settings = Settings::default();
    resent
        .iter()
        .filter(|body| {
            admission::review_with(black_box(body), perimeters, &settings, cache)
                .is_ok_and(|r| r.cache == admission::CacheUse::FactsHit)
        })
        .count()
}

/// The review with its object resent: a new resourceVersion and a new annotation.
fn resent(body: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let mut review: serde_json::Value = serde_json::from_slice(body)?;
    if let Some(metadata) = review
        .pointer_mut("/request/object/metadata")
        .and_then(serde_json::Value::as_object_mut)
    {
        metadata.insert("resourceVersion".into(), "424242".into());
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(a) = annotations.as_object_mut() {
            a.insert("reconciled-at".into(), "2026-12-06T10:00:00Z".into());
        }
    }
    serde_json::to_vec(&review)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let perimeters = reviews::example_perimeters();
    let all = reviews::all(&perimeters);
    let settings = Settings::default();
    let cache = DecisionCache::new(admission::DEFAULT_CAPACITY_BYTES);
    // Warm-up outside the measured functions: lazily built tables, the cache's entries.
    for r in &all {
        admission::review_with(&r.body, &perimeters, &settings, &cache)?;
    }
    let evaluated = evaluate_every_review(&all, &perimeters);
    let cached = answer_every_review_from_cache(&all, &perimeters, &cache);
    let resent: Vec<Vec<u8>> = all
        .iter()
        .map(|r| resent(&r.body))
        .collect::<Result<_, _>>()?;
    let from_facts = answer_every_resent_review_from_facts(&resent, &perimeters, &cache);
    println!(
        "reviews={} evaluated={evaluated} cached={cached} from_facts={from_facts}",
        all.len()
    );
    if evaluated != all.len() {
        return Err("a review failed".into());
    }
    Ok(())
}
