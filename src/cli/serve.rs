//! `perimeter-guard serve`: the HTTPS validating admission webhook.

use super::args::ServeArgs;
use super::{CliError, ExitStatus};
use crate::server::{self, Limits, Listeners, Options, ServeError, TlsFiles};

/// Why the webhook could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeCommandError {
    #[error(
        "--max-pending-bytes ({pending}) is below --max-body-bytes ({body}): the largest review could never be admitted"
    )]
    PendingBelowBody { pending: usize, body: usize },
    #[error("binding the {what} address {address}: {source}")]
    Bind {
        what: &'static str,
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--perimeter -: serve rereads its perimeter files when they change, so standard input cannot be one"
    )]
    StdinPerimeter,
    #[error(transparent)]
    Serve(#[from] ServeError),
}

pub fn run(args: ServeArgs) -> Result<ExitStatus, CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut limits = Limits {
        max_body: args.max_body_bytes,
        deadline: args.request_timeout,
        max_pending: args.max_pending,
        max_pending_bytes: args.max_pending_bytes,
        decision_cache_bytes: args.decision_cache_bytes,
        ..Limits::default()
    };
    if let Some(n) = args.max_concurrency {
        limits.max_concurrency = n;
    }
    if args.perimeter.iter().any(|p| p.as_os_str() == "-") {
        return Err(ServeCommandError::StdinPerimeter.into());
    }
    if args.allow_exempt_label {
        tracing::warn!(
            "--allow-exempt-label is deprecated and goes away in the next minor version: the label has no owner and no expiry; use PerimeterException objects"
        );
    }
    if limits.max_pending_bytes < limits.max_body {
        return Err(ServeCommandError::PendingBelowBody {
            pending: limits.max_pending_bytes,
            body: limits.max_body,
        }
        .into());
    }
    let options = Options {
        tls: TlsFiles {
            cert: args.tls_cert_file,
            key: args.tls_key_file,
            client_ca: args.client_ca_file,
        },
        perimeters: args.perimeter,
        watch_crds: args.watch_crds,
        exemptions: crate::admission::Settings {
            exempt_namespaces: args.exempt_namespace,
            allow_label_exemption: args.allow_exempt_label,
            exempt_users: args.exempt_user,
            exempt_groups: args.exempt_group,
            max_exception_days: args.exceptions.max_exception_days,
            ..Default::default()
        },
        exceptions: args.exceptions.paths,
        limits,
        reload_interval: args.reload_interval,
        shutdown_delay: args.shutdown_delay,
        shutdown_grace: args.shutdown_grace,
    };
    let bind = |what, address| {
        std::net::TcpListener::bind(address).map_err(|source| ServeCommandError::Bind {
            what,
            address,
            source,
        })
    };
    let listeners = Listeners {
        webhook: bind("webhook", args.listen)?,
        health: bind("health", args.health_listen)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime
        .block_on(server::run(options, listeners, termination()))
        .map_err(ServeCommandError::from)?;
    Ok(ExitStatus::Ok)
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C.
async fn termination() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; stopping only on Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
