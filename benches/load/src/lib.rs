//! Shared by the load benchmark's programs: the HTTP and TLS stack the peers serve on, and the
//! request mix (the same reviews `cargo bench --bench admission` times).

pub mod stack;

#[path = "../../../tests/integration/common/corpus.rs"]
pub mod common;
#[path = "../../support/reviews.rs"]
pub mod reviews;
