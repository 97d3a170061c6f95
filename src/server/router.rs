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
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::admission::{self, BadReview, DecisionCache, Reviewed};

use super::config_store::ConfigStore;
use super::metrics::Metrics;
use super::tls::CertificateStatus;

/// The API server sends objects of at most 3 MiB; an UPDATE carries the object and the old one.
pub const DEFAULT_MAX_BODY: usize = 7 * 1024 * 1024;

/// 32 MiB of bodies held at once: hundreds of ordinary reviews, or four of the largest (an UPDATE
/// carrying two 3 MiB objects). Measured under a flood of 3 MiB reviews, the pod stays near
/// 140 MiB with it (docs/reliability.md), inside the chart's 256 MiB limit.
pub const DEFAULT_MAX_PENDING_BYTES: usize = 32 * 1024 * 1024;

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
    /// refused at once with 503.
    pub max_pending: usize,
    /// Bytes of request bodies admitted at once (by their declared length, `max_body` when
    /// undeclared); a request that would pass it is refused at once with 503. Together with
    /// `max_concurrency` parsed reviews this bounds what an overload costs in memory, whatever the
    /// size of the bodies. At least `max_body`.
    pub max_pending_bytes: usize,
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
            max_pending_bytes: DEFAULT_MAX_PENDING_BYTES,
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
    /// One permit per byte of request body admitted (`Limits::max_pending_bytes`).
    body_bytes: Arc<Semaphore>,
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
            body_bytes: Arc::new(Semaphore::new(
                limits
                    .max_pending_bytes
                    .max(limits.max_body)
                    .min(Semaphore::MAX_PERMITS),
            )),
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
        return refuse(
            &state,
            request,
            started,
            "perimeter-guard is at its concurrency limit; retry",
        )
        .await;
    }
    state.metrics.in_flight.inc();
    let _slot = PendingSlot(&state);
    // Bodies are admitted by their declared length (the API server always declares it), so many
    // large reviews at once are refused rather than held until memory runs out.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(state.limits.max_body)
        .min(state.limits.max_body)
        .max(1);
    let Ok(body_bytes) = state
        .body_bytes
        .clone()
        .try_acquire_many_owned(u32::try_from(declared).unwrap_or(u32::MAX))
    else {
        return refuse(
            &state,
            request,
            started,
            "perimeter-guard holds as many request bytes as it may; retry",
        )
        .await;
    };
    let deadline = started + state.limits.deadline;
    let reading = ReadLimits {
        declared,
        max: state.limits.max_body,
    };
    match tokio::time::timeout_at(
        deadline.into(),
        decide(&state, request, reading, body_bytes, started),
    )
    .await
    {
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

/// A 503 with `Retry-After`, which the API server treats per the failurePolicy, sent as soon as
/// the body has been read past.
async fn refuse(state: &AppState, request: Request, started: Instant, message: &str) -> Response {
    state.metrics.error("overloaded");
    // The body is read and dropped before answering: a connection closed on an unread body is
    // reset, and a reset can destroy the 503 before the client reads it. Nothing is kept, so this
    // costs no memory; a client that has not sent its body by the deadline is answered anyway.
    let _ = tokio::time::timeout_at(
        (started + state.limits.deadline).into(),
        drain(request.into_body(), state.limits.max_body),
    )
    .await;
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    r
}

#[derive(Clone, Copy)]
struct ReadLimits {
    /// The body's declared length (at most `max`): the buffer is made this size once, so a review
    /// costs its own size in memory while read, not twice that in grown or collected buffers.
    declared: usize,
    max: usize,
}

enum ReadError {
    TooLarge,
    Broken(axum::BoxError),
}

async fn read_body(body: Body, limits: ReadLimits) -> Result<Bytes, ReadError> {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, limits.max);
    let mut buffer = Vec::with_capacity(limits.declared);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ReadError::TooLarge
            } else {
                ReadError::Broken(e)
            }
        })?;
        if let Ok(data) = frame.into_data() {
            buffer.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buffer))
}

/// Reads a body to its end (at most `limit` bytes), keeping nothing.
async fn drain(body: Body, limit: usize) {
    use http_body_util::BodyExt;
    let mut body = http_body_util::Limited::new(body, limit);
    while let Some(Ok(_)) = body.frame().await {}
}

async fn decide(
    state: &Arc<AppState>,
    request: Request,
    reading: ReadLimits,
    body_bytes: OwnedSemaphorePermit,
    started: Instant,
) -> Response {
    let body = match read_body(request.into_body(), reading).await {
        Ok(b) => b,
        Err(ReadError::TooLarge) => {
            state.metrics.error("too_large");
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body exceeds {} bytes", reading.max),
            );
        }
        Err(ReadError::Broken(e)) => {
            state.metrics.error("bad_request");
            return error(StatusCode::BAD_REQUEST, format!("reading the body: {e}"));
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
    // reading and answering. The permits live as long as the evaluation, even past a deadline.
    let pool_state = Arc::clone(state);
    let task = tokio::task::spawn_blocking(move || {
        let _permits = (permit, body_bytes);
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
    let now = jiff::Timestamp::now();
    let census = state
        .store
        .current()
        .map(|snapshot| snapshot.settings.exceptions.census(now))
        .unwrap_or_default();
    state.metrics.exceptions_at(census, now);
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
        .body(Body::from(state.metrics.encode()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
