//! The load benchmark's baseline: the same HTTP and TLS stack as `perimeter-guard serve` (axum on
//! rustls, HTTP/1.1 and h2, TCP_NODELAY) that reads the body and answers a canned AdmissionReview,
//! with no decision at all: the ceiling any webhook on this stack can reach.
//!
//! `cargo run --release --example baseline_server -- LISTEN CERT KEY`

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

const CANNED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, cert, key] = args.as_slice() else {
        return Err("usage: baseline_server LISTEN CERT KEY".into());
    };
    let loaded = perimeter_guard::server::tls::load(&perimeter_guard::server::TlsFiles {
        cert: cert.into(),
        key: key.into(),
        client_ca: None,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = Router::new().route(
            "/validate",
            post(|body: Bytes| async move {
                std::hint::black_box(body.len());
                ([(header::CONTENT_TYPE, "application/json")], CANNED)
            }),
        );
        let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(Arc::clone(&loaded.config)))
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
        let address: std::net::SocketAddr = listen.parse()?;
        axum_server::bind(address)
            .acceptor(acceptor)
            .serve(app.into_make_service())
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
