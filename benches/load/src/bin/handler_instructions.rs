//! The admission handler for `valgrind --tool=callgrind`: instruction counts are stable where
//! wall-clock times on shared machines are not, so regressions show through the noise.
//! `scripts/bench-instructions.sh` runs it and divides the instructions counted inside
//! `evaluate_every_review` and `answer_every_review_from_cache` by the number of reviews.
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
    println!(
        "reviews={} evaluated={evaluated} cached={cached}",
        all.len()
    );
    if evaluated != all.len() {
        return Err("a review failed".into());
    }
    Ok(())
}
