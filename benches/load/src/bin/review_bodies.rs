//! Writes the load benchmark's request mix (the AdmissionReviews of `benches/support/reviews.rs`)
//! as files into a directory, with `manifest.txt` listing them, for load generators that cannot
//! build them (wrk's Lua script).
//!
//! `cargo run --release -p perimeter-guard-load-bench --bin review_bodies -- DIR`

use perimeter_guard_load_bench::reviews;

use std::hash::{Hash, Hasher};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: review_bodies DIR")?;
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let perimeters = reviews::example_perimeters();
    let mut all = reviews::all(&perimeters);
    // A fixed pseudo-random order: the mix lists sources one after the other (the sized fixtures
    // last), and sent in that order the largest policies would arrive as one burst.
    all.sort_by_key(|r| {
        let mut h = std::hash::DefaultHasher::new();
        r.name.hash(&mut h);
        h.finish()
    });
    let mut manifest = String::new();
    for (i, review) in all.iter().enumerate() {
        let path = dir.join(format!("review-{i:04}.json"));
        std::fs::write(&path, &review.body)?;
        manifest.push_str(&format!("{}\n", path.display()));
    }
    std::fs::write(dir.join("manifest.txt"), manifest)?;
    Ok(())
}
