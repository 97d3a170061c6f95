//! The two HTTP faces: `POST /validate` on the TLS port, and `/healthz`, `/readyz`, `/metrics` on
//! the plain health port.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::admission::{self, BadReview, DecisionCache, Reviewed};

use super::config_store::ConfigStore;
use super::metrics::Metrics;
use super::tls::CertificateStatus;

/// The API server sends objects of at most 3 MiB; an UPDATE carries the object and the old one.
pub const DEFAULT_MAX_BODY: usize = 7 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body read; larger ones get 413.
    pub max_body: usize,
    /// Time from the request's arrival to the answer; past it the request gets 503 and the API
    /// server applies the webhook's failurePolicy.
    pub deadline: Duration,
    /// Reviews evaluated at once (on the blocking pool, off the reactor threads).
    pub max_concurrency: usize,
    /// Requests admitted into the server at once (reading, queued or evaluating); more are
    /// refused at once with 503, so an overload costs memory for this many bodies at most.
    pub max_pending: usize,
    /// Memory for remembered decisions (object text plus an allowance per entry); 0 turns the
    /// decision cache off.
    pub decision_cache_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            max_body: DEFAULT_MAX_BODY,
            deadline: Duration::from_secs(4),
            max_concurrency: cores,
            max_pending: 256,
            decision_cache_bytes: admission::DEFAULT_CAPACITY_BYTES,
        }
    }
}

/// What both routers share.
pub struct AppState {
    pub store: Arc<ConfigStore>,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    cache: DecisionCache,
    permits: Arc<Semaphore>,
    pending: AtomicUsize,
    /// Set once the TLS listener accepts connections.
    pub tls_serving: AtomicBool,
    pub certificate: Arc<CertificateStatus>,
    /// Set on SIGTERM: `/readyz` fails so endpoints drop the pod while in-flight reviews finish.
    pub shutting_down: AtomicBool,
}

impl AppState {
    pub fn new(store: Arc<ConfigStore>, metrics: Arc<Metrics>, limits: Limits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.max_concurrency.max(1))),
            cache: DecisionCache::new(limits.decision_cache_bytes),
            store,
            metrics,
            limits,
            pending: AtomicUsize::new(0),
            tls_serving: AtomicBool::new(false),
            certificate: Arc::default(),
            shutting_down: AtomicBool::new(false),
        }
    }
}

/// The TLS port's routes.
pub fn webhook(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .with_state(state)
}

/// The health port's routes.
pub fn health(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": message.into(), "status": status.as_u16()})),
    )
        .into_response()
}

/// Counts a request as pending for as long as it lives.
struct PendingSlot<'a>(&'a AppState);

impl Drop for PendingSlot<'_> {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
        self.0.metrics.in_flight.dec();
    }
}

async fn validate(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    if state.pending.fetch_add(1, Ordering::AcqRel) >= state.limits.max_pending {
        state.pending.fetch_sub(1, Ordering::AcqRel);
        state.metrics.error("overloaded");
        // The body is read and dropped before answering: a connection closed on an unread body
        // is reset, and a reset can destroy the 503 before the client reads it. Nothing is kept,
        // so this costs no memory, and a client that stalls is given up on quickly.
        let _ = tokio::time::timeout(
            DRAIN_TIMEOUT,
            drain(request.into_body(), state.limits.max_body),
        )
        .await;
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "perimeter-guard is at its concurrency limit; retry",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return r;
    }
    state.metrics.in_flight.inc();
    let _slot = PendingSlot(&state);
    let deadline = started + state.limits.deadline;
    match tokio::time::timeout_at(deadline.into(), decide(&state, request, started)).await {
        Ok(response) => response,
        Err(_) => {
            state.metrics.error("timeout");
            tracing::warn!(
                deadline_ms = state.limits.deadline.as_millis() as u64,
                "review not finished within the deadline"
            );
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "perimeter-guard could not decide within {:?}; the API server applies the webhook's failurePolicy",
                    state.limits.deadline
                ),
            )
        }
    }
}

/// How long an overloaded server keeps reading a body it will not evaluate.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Reads a body to its end (at most `limit` bytes), keeping nothing.
async fn drain(body: Body, limit: usize) {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, limit);
    while let Some(Ok(_)) = body.frame().await {}
}

async fn decide(state: &Arc<AppState>, request: Request, started: Instant) -> Response {
    let body: Bytes = match axum::body::to_bytes(request.into_body(), state.limits.max_body).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                state.metrics.error("too_large");
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body exceeds {} bytes", state.limits.max_body),
                )
            } else {
                state.metrics.error("bad_request");
                error(StatusCode::BAD_REQUEST, format!("reading the body: {e}"))
            };
        }
    };
    let Some(snapshot) = state.store.current() else {
        state.metrics.error("not_ready");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "perimeter-guard has no valid configuration loaded yet",
        );
    };
    // A small review whose object was evaluated before is answered here, in microseconds;
    // anything that needs evaluating goes to the blocking pool.
    if let Some(result) = admission::review_without_evaluating(
        &body,
        &snapshot.perimeters,
        &snapshot.settings,
        &state.cache,
    ) {
        return answer(state, result, started);
    }
    let Ok(permit) = state.permits.clone().acquire_owned().await else {
        state.metrics.error("internal");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the evaluation pool is closed",
        );
    };
    // Evaluation is CPU-bound: it runs on the blocking pool so the reactor keeps accepting,
    // reading and answering. The permit lives as long as the evaluation, even past a deadline.
    let pool_state = Arc::clone(state);
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        admission::review_with(
            &body,
            &snapshot.perimeters,
            &snapshot.settings,
            &pool_state.cache,
        )
    });
    match task.await {
        Ok(result) => answer(state, result, started),
        Err(e) => {
            state.metrics.error("internal");
            tracing::error!(error = %e, "evaluation failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "perimeter-guard failed while evaluating this request; the API server applies the webhook's failurePolicy",
            )
        }
    }
}

fn answer(state: &AppState, result: Result<Reviewed, BadReview>, started: Instant) -> Response {
    match result {
        Ok(reviewed) => {
            let seconds = started.elapsed().as_secs_f64();
            state.metrics.record(&reviewed, seconds);
            log(&reviewed, seconds);
            (StatusCode::OK, axum::Json(&reviewed.review)).into_response()
        }
        Err(bad) => {
            state.metrics.error("bad_request");
            tracing::info!(error = %bad, "malformed admission review");
            error(StatusCode::BAD_REQUEST, bad.to_string())
        }
    }
}

fn log(r: &Reviewed, seconds: f64) {
    let q = &r.request;
    let mut rules: Vec<&str> = r.rules.iter().map(|(id, _)| *id).collect();
    rules.dedup();
    tracing::info!(
        uid = %q.uid,
        kind = %q.kind,
        namespace = q.namespace.as_deref().unwrap_or(""),
        name = %q.name,
        operation = q.operation,
        user = %q.user,
        dry_run = q.dry_run,
        decision = r.decision,
        rules = %rules.join(","),
        exemption = r.exemption.as_ref().map_or("", |e| e.detail.as_str()),
        duration_ms = seconds * 1000.0,
        "admission review"
    );
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let config = state.store.status();
    let tls = state.tls_serving.load(Ordering::Acquire);
    let shutting_down = state.shutting_down.load(Ordering::Acquire);
    let configured = state.store.is_ready();
    let ready = configured && tls && !shutting_down;
    let body = json!({
        "ready": ready,
        "tlsServing": tls,
        "certificate": state.certificate.detail(),
        "shuttingDown": shutting_down,
        "configLoaded": configured,
        "config": config,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
        .body(Body::from(state.metrics.encode()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
