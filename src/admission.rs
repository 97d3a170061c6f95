//! `admission.k8s.io/v1` AdmissionReview in, AdmissionReview out: the webhook's decision for one
//! request, built on the same [`crate::decision::evaluate`] that `check` uses.

use std::collections::HashMap;

use kube_core::DynamicObject;
use kube_core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use kube_core::response::{Status, StatusCause, StatusDetails, StatusSummary};
use serde_json::Value;

use crate::decision::{Decision, Verdict, evaluate};
use crate::perimeter::DataPerimeter;
use crate::perimeter::config::Enforcement;
use crate::perimeter::rules::Finding;
use crate::resources::adapt;

/// The label an object carries to be exempted, with the reason as its value.
pub const EXEMPT_LABEL: &str = "perimeterguard.io/exempt";
/// Where that label sits in an object, as a JSON pointer (`/` escaped as `~1`).
const EXEMPT_LABEL_POINTER: &str = "/metadata/labels/perimeterguard.io~1exempt";

/// Exemptions and identity of the running configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Namespaces never checked (defence in depth behind the webhook's namespaceSelector).
    pub exempt_namespaces: Vec<String>,
    /// Whether the `perimeterguard.io/exempt` label exempts an object.
    pub allow_label_exemption: bool,
    pub exempt_users: Vec<String>,
    pub exempt_groups: Vec<String>,
    /// Identifies the configuration in audit annotations.
    pub config_hash: String,
    pub config_generation: u64,
}

/// A body that is not an AdmissionReview the webhook can answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an admission.k8s.io/v1 AdmissionReview request: {0}")]
pub struct BadReview(pub String);

/// What happened to one request, for logs and metrics.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub review: AdmissionReview<DynamicObject>,
    pub request: RequestInfo,
    /// `allow`, `deny`, `warn`, `audit`, `exempt`, `skip` or `unchanged`.
    pub decision: &'static str,
    /// The rule of every finding, with the enforcement it had.
    pub rules: Vec<(&'static str, Enforcement)>,
    pub exemption: Option<Exemption>,
}

/// The facts of a request that logs and metrics name.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub uid: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub operation: &'static str,
    pub user: String,
    pub dry_run: bool,
}

/// Why a request was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// `namespace`, `label`, `user` or `group`: a bounded set, fit for a metric label.
    pub by: &'static str,
    pub detail: String,
}

/// Decides one AdmissionReview body.
pub fn review(
    body: &[u8],
    perimeters: &[DataPerimeter],
    settings: &Settings,
) -> Result<Reviewed, BadReview> {
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_slice(body).map_err(|e| BadReview(e.to_string()))?;
    if review.types.api_version != "admission.k8s.io/v1" || review.types.kind != "AdmissionReview" {
        return Err(BadReview(format!(
            "apiVersion {:?} and kind {:?}; expected admission.k8s.io/v1 and AdmissionReview",
            review.types.api_version, review.types.kind
        )));
    }
    let request: AdmissionRequest<DynamicObject> = review
        .try_into()
        .map_err(|e: kube_core::admission::ConvertAdmissionReviewError| BadReview(e.to_string()))?;
    let mut response = AdmissionResponse::from(&request);
    let info = RequestInfo {
        uid: request.uid.clone(),
        kind: request.kind.kind.clone(),
        namespace: request.namespace.clone(),
        name: request.name.clone(),
        operation: match request.operation {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        },
        user: request.user_info.username.clone().unwrap_or_default(),
        dry_run: request.dry_run,
    };
    let mut annotations: HashMap<String, String> = HashMap::new();
    annotations.insert("config-hash".into(), settings.config_hash.clone());
    annotations.insert(
        "config-generation".into(),
        settings.config_generation.to_string(),
    );
    let finish = |mut response: AdmissionResponse,
                  mut annotations: HashMap<String, String>,
                  decision: &'static str,
                  rules: Vec<(&'static str, Enforcement)>,
                  exemption: Option<Exemption>| {
        annotations.insert("decision".into(), decision.into());
        if !rules.is_empty() {
            let mut ids: Vec<&str> = rules.iter().map(|(id, _)| *id).collect();
            ids.dedup();
            annotations.insert("rules".into(), ids.join(","));
        }
        response.audit_annotations = annotations;
        Ok(Reviewed {
            review: response.into_review(),
            request: info,
            decision,
            rules,
            exemption,
        })
    };
    // Only creates and updates are checked: a DELETE can only shrink what exists.
    let (Operation::Create | Operation::Update) = request.operation else {
        return finish(response, annotations, "allow", Vec::new(), None);
    };
    let Some(object) = &request.object else {
        return finish(response, annotations, "allow", Vec::new(), None);
    };
    let doc = serde_json::to_value(object).map_err(|e| BadReview(e.to_string()))?;
    if let Some(why) = exemption(&request, &doc, settings) {
        annotations.insert("exemption".into(), why.detail.clone());
        response.warnings = Some(vec![format!(
            "perimeter-guard: not checked ({})",
            why.detail
        )]);
        return finish(response, annotations, "exempt", Vec::new(), Some(why));
    }
    let (object_ref, findings, decision) = match evaluate(&doc, perimeters) {
        Verdict::Skipped { .. } => return finish(response, annotations, "skip", Vec::new(), None),
        Verdict::Checked {
            object,
            findings,
            decision,
            ..
        } => (object, findings, decision),
    };
    let rules: Vec<(&'static str, Enforcement)> = findings
        .iter()
        .map(|f| (f.rule.id, f.enforcement))
        .collect();
    if decision == Decision::Allow {
        return finish(response, annotations, "allow", rules, None);
    }
    // An update that leaves every fact the rules read as it was must never be blocked: controllers
    // (reference resolution, late initialisation, status) would otherwise be wedged.
    if decision == Decision::Deny
        && request.operation == Operation::Update
        && let Some(old) = &request.old_object
        && let Ok(old_doc) = serde_json::to_value(old)
        && facts_unchanged(&old_doc, &doc)
    {
        response.warnings = Some(
            std::iter::once("perimeter-guard: admitted because nothing the perimeter rules read changed; the object already violates the perimeter".to_owned())
                .chain(findings.iter().map(warning))
                .collect(),
        );
        return finish(response, annotations, "unchanged", rules, None);
    }
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| f.enforcement == Enforcement::Warn)
        .map(warning)
        .collect();
    match decision {
        Decision::Deny => {
            let denying: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.enforcement == Enforcement::Deny)
                .collect();
            response.allowed = false;
            response.result = Status {
                status: Some(StatusSummary::Failure),
                code: 403,
                reason: "Forbidden".into(),
                message: denial_message(&object_ref.display(), &denying),
                details: Some(StatusDetails {
                    name: object_ref.name.clone(),
                    group: object_ref.group().to_owned(),
                    kind: object_ref.kind.clone(),
                    causes: denying
                        .iter()
                        .map(|f| StatusCause {
                            reason: "FieldValueForbidden".into(),
                            message: format!("{}: {}", f.rule.id, f.message),
                            field: f.pointer.clone(),
                        })
                        .collect(),
                    uid: String::new(),
                    retry_after_seconds: 0,
                }),
                ..Status::default()
            };
            if !warnings.is_empty() {
                response.warnings = Some(warnings);
            }
            finish(response, annotations, "deny", rules, None)
        }
        Decision::Warn => {
            response.warnings = Some(warnings);
            finish(response, annotations, "warn", rules, None)
        }
        // Audit: admitted silently; the trail is in the audit annotations, logs and metrics.
        _ => finish(response, annotations, "audit", rules, None),
    }
}

fn exemption(
    request: &AdmissionRequest<DynamicObject>,
    doc: &Value,
    settings: &Settings,
) -> Option<Exemption> {
    let by = |by: &'static str, detail: String| Some(Exemption { by, detail });
    if let Some(ns) = &request.namespace
        && settings.exempt_namespaces.iter().any(|n| n == ns)
    {
        return by("namespace", format!("namespace {ns} is exempt"));
    }
    if settings.allow_label_exemption
        && let Some(reason) = doc.pointer(EXEMPT_LABEL_POINTER).and_then(Value::as_str)
    {
        return by("label", format!("label {EXEMPT_LABEL}={reason}"));
    }
    let user = &request.user_info;
    if let Some(name) = &user.username
        && settings.exempt_users.iter().any(|u| u == name)
    {
        return by("user", format!("user {name} is exempt"));
    }
    if let Some(group) = user
        .groups
        .iter()
        .flatten()
        .find(|g| settings.exempt_groups.contains(g))
    {
        return by("group", format!("group {group} is exempt"));
    }
    None
}

/// Whether two versions of an object have the same perimeter-relevant facts.
fn facts_unchanged(old: &Value, new: &Value) -> bool {
    match (adapt(old), adapt(new)) {
        (
            crate::resources::Adapted::Checked { subjects: a, .. },
            crate::resources::Adapted::Checked { subjects: b, .. },
        ) => crate::resources::facts::same_facts(&a, &b),
        _ => false,
    }
}

fn warning(f: &Finding) -> String {
    let mut w = format!("{} {}: {}", f.rule.id, f.pointer, f.message);
    if w.chars().count() > 250 {
        w = w.chars().take(249).collect::<String>() + "…";
    }
    w
}

/// The denial a user reads after kubectl's prefix: which object, how many rules, then per finding
/// the rule, the field, what is wrong (for policies, the request that proves it) and the fix.
pub fn denial_message(object: &str, findings: &[&Finding]) -> String {
    let mut ids: Vec<&str> = findings.iter().map(|f| f.rule.id).collect();
    ids.dedup();
    let mut out = format!(
        "perimeter-guard denied {object}: {} finding{} ({})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        ids.join(", ")
    );
    for f in findings {
        out.push_str(&format!(
            "\n  {} at {}: {}\n    fix: {}",
            f.rule.id, f.pointer, f.message, f.rule.fix
        ));
    }
    out
}

#[cfg(test)]
mod tests;
