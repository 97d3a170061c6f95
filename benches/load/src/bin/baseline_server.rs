//! The load benchmark's baseline: the same HTTP and TLS stack as `perimeter-guard serve` (axum on
//! rustls, HTTP/1.1 and h2, TCP_NODELAY) that reads the body and answers a canned AdmissionReview,
//! with no decision at all: the ceiling any webhook on this stack can reach.
//!
//! `cargo run --release -p perimeter-guard-load-bench --bin baseline_server -- LISTEN CERT KEY`

use perimeter_guard_load_bench::stack;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;

const CANNED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Router::new().route(
        "/validate",
        post(|body: Bytes| async move {
            std::hint::black_box(body.len());
            ([(header::CONTENT_TYPE, "application/json")], CANNED)
        }),
    );
    stack::serve("baseline_server", app)
}
