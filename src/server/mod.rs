//! `perimeter-guard serve`: the HTTPS validating webhook. This layer knows HTTP, TLS, files and
//! the API server; every decision comes from [`crate::admission::review`].

pub mod config_store;
pub mod crd_watch;
pub mod metrics;
pub mod router;
pub mod tls;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

use crate::admission::Settings;

pub use config_store::{ConfigStore, Snapshot};
pub use metrics::Metrics;
pub use router::{AppState, Limits};
pub use tls::{TlsError, TlsFiles};

/// Everything `serve` is configured with.
#[derive(Debug, Clone)]
pub struct Options {
    pub tls: TlsFiles,
    /// DataPerimeter files or directories; may be empty when `watch_crds` is set.
    pub perimeters: Vec<PathBuf>,
    pub watch_crds: bool,
    /// PerimeterException files or directories, hot-reloaded as the perimeters are.
    pub exceptions: Vec<PathBuf>,
    /// The exemptions; generation and hash are filled per configuration.
    pub exemptions: Settings,
    pub limits: Limits,
    /// How often certificate and configuration files are checked for changes.
    pub reload_interval: Duration,
    /// After SIGTERM, how long to keep accepting (while endpoints drop the pod) before closing.
    pub shutdown_delay: Duration,
    /// After closing, how long in-flight reviews may take before connections are cut.
    pub shutdown_grace: Duration,
}

/// The sockets to serve on, bound by the caller (so tests can bind port 0 and learn the port).
pub struct Listeners {
    pub webhook: TcpListener,
    pub health: TcpListener,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serving certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("connecting to the Kubernetes API server for --watch-crds: {0}")]
    Kube(#[source] kube::Error),
    #[error("nothing to enforce: give --perimeter or --watch-crds")]
    NoConfiguration,
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight reviews finish within
/// the grace period, and returns.
pub async fn run(
    options: Options,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    if options.perimeters.is_empty() && !options.watch_crds {
        return Err(ServeError::NoConfiguration);
    }
    let metrics = Arc::new(Metrics::new());
    let loaded = tls::load(&options.tls)?;
    metrics.certificate_expiry.set(loaded.not_after);
    Metrics::result(&metrics.certificate_reloads, true);
    let fingerprint = loaded.fingerprint();
    let loaded_not_after = loaded.not_after;
    let rustls = RustlsConfig::from_config(loaded.config);

    let mut background = tokio::task::JoinSet::new();
    let mut store = ConfigStore::new(
        options.exemptions.clone(),
        !options.perimeters.is_empty(),
        options.watch_crds,
        metrics.clone(),
    );
    if !options.exceptions.is_empty() {
        store = store.with_exception_files();
    }
    let store = Arc::new(store);
    if !options.exceptions.is_empty() {
        background.spawn(config_store::watch_exception_files(
            store.clone(),
            options.exceptions.clone(),
            options.reload_interval,
            options.exemptions.max_exception_days,
        ));
    }
    if !options.perimeters.is_empty() {
        background.spawn(config_store::watch_files(
            store.clone(),
            options.perimeters.clone(),
            options.reload_interval,
        ));
    }
    if options.watch_crds {
        let client = kube::Client::try_default()
            .await
            .map_err(ServeError::Kube)?;
        background.spawn(crd_watch::watch(client, store.clone(), metrics.clone()));
    }
    let state = Arc::new(AppState::new(
        store,
        metrics.clone(),
        options.limits.clone(),
    ));
    state.certificate.loaded(loaded_not_after);
    background.spawn(tls::watch(
        options.tls.clone(),
        rustls.clone(),
        fingerprint,
        options.reload_interval,
        metrics,
        state.certificate.clone(),
    ));
    let handle = axum_server::Handle::new();
    listeners.webhook.set_nonblocking(true)?;
    let mut server =
        axum_server::from_tcp_rustls(listeners.webhook, rustls)?.handle(handle.clone());
    // A client that opens a connection and never sends its headers is dropped, not kept forever.
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    let mut webhook =
        tokio::spawn(server.serve(router::webhook(state.clone()).into_make_service()));
    {
        let (handle, state) = (handle.clone(), state.clone());
        background.spawn(async move {
            if handle.listening().await.is_some() {
                state.tls_serving.store(true, Ordering::Release);
            }
        });
    }

    listeners.health.set_nonblocking(true)?;
    let health_listener = tokio::net::TcpListener::from_std(listeners.health)?;
    let (stop_health, health_stopped) = tokio::sync::oneshot::channel::<()>();
    let health = tokio::spawn(
        axum::serve(health_listener, router::health(state.clone()))
            .with_graceful_shutdown(async {
                let _ = health_stopped.await;
            })
            .into_future(),
    );
    let address = handle
        .listening()
        .await
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(webhook = %address, "serving admission reviews");

    tokio::select! {
        () = shutdown => {}
        // The listener stopping on its own is an error to report, not a state to serve in.
        served = &mut webhook => {
            state.shutting_down.store(true, Ordering::Release);
            let _ = stop_health.send(());
            return match served {
                Ok(Ok(())) => Err(ServeError::Io(std::io::Error::other("the webhook listener stopped"))),
                Ok(Err(e)) => Err(ServeError::Io(e)),
                Err(e) => Err(ServeError::Io(std::io::Error::other(e))),
            };
        }
    }
    tracing::info!("shutting down: readiness fails, in-flight reviews finish");
    state.shutting_down.store(true, Ordering::Release);
    tokio::time::sleep(options.shutdown_delay).await;
    handle.graceful_shutdown(Some(options.shutdown_grace));
    let served = webhook.await;
    let _ = stop_health.send(());
    let _ = health.await;
    background.shutdown().await;
    tracing::info!(in_flight_left = handle.connection_count(), "stopped");
    match served {
        Ok(r) => r.map_err(ServeError::Io),
        Err(e) => Err(ServeError::Io(std::io::Error::other(e))),
    }
}
