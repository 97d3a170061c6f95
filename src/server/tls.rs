//! The serving certificate: rustls configured for TLS 1.2 and 1.3 with forward-secret AEAD suites
//! only, loaded from PEM files and reloaded when they change. New handshakes use the new
//! certificate; connections already open keep theirs, so a rotation drops nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;

use axum_server::tls_rustls::RustlsConfig;
use rustls::RootCertStore;
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use super::metrics::Metrics;

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// When set, clients must present a certificate issued by one of these CAs.
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Pem { path: String, problem: String },
    #[error("the certificate and key cannot be used together: {0}")]
    Config(String),
}

/// A loaded certificate, ready to serve.
pub struct Loaded {
    pub config: Arc<ServerConfig>,
    /// When the leaf certificate expires (Unix time).
    pub not_after: i64,
    fingerprint: Vec<u8>,
}

/// What `/readyz` says of the serving certificate: when the one in use expires, and why the files
/// on disk could not replace it, while they cannot.
#[derive(Debug, Default)]
pub struct CertificateStatus {
    not_after: AtomicI64,
    reload_error: ArcSwapOption<String>,
}

impl CertificateStatus {
    pub fn loaded(&self, not_after: i64) {
        self.not_after.store(not_after, Ordering::Release);
        self.reload_error.store(None);
    }

    /// The files are back to the certificate in use (a rotation that was undone or completed).
    pub fn unchanged(&self) {
        self.reload_error.store(None);
    }

    pub fn failed(&self, error: String) {
        self.reload_error.store(Some(Arc::new(error)));
    }

    pub fn reload_error(&self) -> Option<Arc<String>> {
        self.reload_error.load_full()
    }

    pub fn detail(&self) -> serde_json::Value {
        let not_after = u64::try_from(self.not_after.load(Ordering::Acquire))
            .ok()
            .filter(|s| *s > 0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        serde_json::json!({
            "notAfter": not_after.map(|s| {
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(s)).to_string()
            }),
            "expired": not_after.is_some_and(|s| s <= now),
            "reloadError": self.reload_error().as_deref(),
        })
    }
}

/// The protocol versions offered: TLS 1.3 first, then 1.2; nothing older.
pub static PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// rustls's ring provider offers only AEAD suites with ECDHE key exchange (AES-GCM and
/// ChaCha20-Poly1305), which is the modern set; nothing weaker can be negotiated.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &PathBuf) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn fingerprint(files: &TlsFiles) -> Result<Vec<u8>, TlsError> {
    let mut hash = Sha256::new();
    hash.update(read(&files.cert)?);
    hash.update([0]);
    hash.update(read(&files.key)?);
    if let Some(ca) = &files.client_ca {
        hash.update([0]);
        hash.update(read(ca)?);
    }
    Ok(hash.finalize().to_vec())
}

/// Reads the files and builds the server configuration, checking that the key matches the
/// certificate (a rotation caught between writing the certificate and the key fails here and is
/// retried, instead of serving a pair that cannot complete a handshake).
pub fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let fingerprint = fingerprint(files)?;
    let cert_pem = read(&files.cert)?;
    let pem_err = |path: &PathBuf, problem: String| TlsError::Pem {
        path: path.display().to_string(),
        problem,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| pem_err(&files.cert, format!("not a PEM certificate chain: {e}")))?;
    let Some(leaf) = certs.first() else {
        return Err(pem_err(&files.cert, "no certificate in the file".into()));
    };
    let not_after = x509_parser::parse_x509_certificate(leaf)
        .map(|(_, c)| c.validity().not_after.timestamp())
        .map_err(|e| pem_err(&files.cert, format!("not an X.509 certificate: {e}")))?;
    let key_pem = read(&files.key)?;
    // The error names the file only: key material never reaches a log.
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| pem_err(&files.key, "no PEM private key in the file".into()))?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca_path) => {
            let ca_pem = read(ca_path)?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&ca_pem) {
                let cert = cert
                    .map_err(|e| pem_err(ca_path, format!("not a PEM certificate bundle: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| pem_err(ca_path, format!("not a usable CA certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(pem_err(ca_path, "no CA certificate in the file".into()));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| pem_err(ca_path, e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Loaded {
        config: Arc::new(config),
        not_after,
        fingerprint,
    })
}

/// Polls the files every `interval` and swaps in a new configuration when their content changes.
/// A state that cannot be loaded (a missing, truncated or mismatched file mid-rotation) is logged
/// and counted once, and the certificate in use keeps serving.
pub async fn watch(
    files: TlsFiles,
    rustls: RustlsConfig,
    mut current: Vec<u8>,
    interval: Duration,
    metrics: Arc<Metrics>,
    status: Arc<CertificateStatus>,
) {
    loop {
        tokio::time::sleep(interval).await;
        let f = files.clone();
        let known = current.clone();
        let outcome = tokio::task::spawn_blocking(move || match fingerprint(&f) {
            Ok(print) if print == known => Ok((None, print)),
            Ok(_) => load(&f).map(|l| {
                let print = l.fingerprint.clone();
                (Some(l), print)
            }),
            Err(e) => Err(e),
        })
        .await;
        match outcome {
            Ok(Ok((None, print))) => {
                current = print;
                status.unchanged();
                metrics.certificate_stale.set(0);
            }
            Ok(Ok((Some(loaded), print))) => {
                rustls.reload_from_config(loaded.config);
                metrics.certificate_expiry.set(loaded.not_after);
                Metrics::result(&metrics.certificate_reloads, true);
                tracing::info!(not_after = loaded.not_after, "serving certificate reloaded");
                status.loaded(loaded.not_after);
                metrics.certificate_stale.set(0);
                current = print;
            }
            Ok(Err(e)) => {
                let e = e.to_string();
                // Logged and counted once per distinct failure, not on every poll.
                if status.reload_error().as_deref() != Some(&e) {
                    tracing::warn!(error = %e, "serving certificate not reloaded; the previous one stays in use");
                    Metrics::result(&metrics.certificate_reloads, false);
                    metrics.certificate_stale.set(1);
                    status.failed(e);
                }
            }
            Err(e) => tracing::error!(error = %e, "certificate reload task failed"),
        }
    }
}

impl Loaded {
    pub fn fingerprint(&self) -> Vec<u8> {
        self.fingerprint.clone()
    }
}
