//! The HTTP and TLS stack `perimeter-guard serve` runs on (axum on rustls, TCP_NODELAY, the same
//! rustls configuration), for the load benchmark's peers: `LISTEN CERT KEY` from the command line,
//! and `app` served until the process is stopped.

use std::sync::Arc;

use axum::Router;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

pub fn serve(name: &str, app: Router) -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, cert, key] = args.as_slice() else {
        return Err(format!("usage: {name} LISTEN CERT KEY").into());
    };
    let loaded = perimeter_guard::server::tls::load(&perimeter_guard::server::TlsFiles {
        cert: cert.into(),
        key: key.into(),
        client_ca: None,
    })?;
    let address: std::net::SocketAddr = listen.parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(Arc::clone(&loaded.config)))
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
        axum_server::bind(address)
            .acceptor(acceptor)
            .serve(app.into_make_service())
            .await?;
        Ok(())
    })
}
