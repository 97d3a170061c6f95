//! The load benchmark's Rego peer: the same HTTP and TLS stack as `perimeter-guard serve`, parsing
//! each AdmissionReview and deciding it with `benches/rego/perimeter.rego` on the `regorus` engine,
//! on the blocking pool as `serve` does. What the Rego policy misses is written at its top.
//!
//! `cargo run --release -p perimeter-guard-load-bench --bin rego_peer -- LISTEN CERT KEY`

use perimeter_guard_load_bench::stack;

use std::cell::RefCell;

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;

const POLICY: &str = include_str!("../../../rego/perimeter.rego");

thread_local! {
    // regorus engines are not shared between threads; each blocking thread prepares its own once.
    static ENGINE: RefCell<Option<regorus::Engine>> = const { RefCell::new(None) };
}

fn decide(body: &[u8]) -> Result<serde_json::Value, String> {
    let review: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let uid = review["request"]["uid"].clone();
    let input =
        regorus::Value::from_json_str(std::str::from_utf8(body).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let denials = ENGINE.with(|cell| -> Result<Vec<String>, String> {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut engine = regorus::Engine::new();
            engine
                .add_policy("perimeter.rego".into(), POLICY.into())
                .map_err(|e| e.to_string())?;
            *slot = Some(engine);
        }
        let engine = slot.as_mut().ok_or("no engine")?;
        engine.set_input(input);
        let deny = engine
            .eval_rule("data.perimeter.deny".into())
            .map_err(|e| e.to_string())?;
        Ok(deny
            .as_set()
            .map(|s| s.iter().map(|v| v.to_string()).collect())
            .unwrap_or_default())
    })?;
    let response = if denials.is_empty() {
        json!({"uid": uid, "allowed": true})
    } else {
        json!({"uid": uid, "allowed": false, "status": {"code": 403, "reason": "Forbidden", "message": denials.join("; ")}})
    };
    Ok(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Fail at start, not per request, if the policy does not compile.
    decide(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{}}}"#)?;
    let app = Router::new().route(
        "/validate",
        post(|body: Bytes| async move {
            match tokio::task::spawn_blocking(move || decide(&body)).await {
                Ok(Ok(v)) => {
                    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
                }
                Ok(Err(e)) => (StatusCode::BAD_REQUEST, e).into_response(),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }),
    );
    stack::serve("rego_peer", app)
}
