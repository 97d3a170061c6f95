//! `admission.k8s.io/v1` AdmissionReview in, AdmissionReview out: the webhook's decision for one
//! request, built on the same [`crate::decision::evaluate`] that `check` uses.

mod cache;
mod envelope;

use std::collections::HashMap;
use std::sync::Arc;

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionResponse, AdmissionReview, Operation};
use kube::core::response::{Status, StatusCause, StatusDetails, StatusSummary};
use serde_json::Value;

use crate::decision::{AdmissionDecision, ObjectVerdict, labels, prepare};
use crate::perimeter::DataPerimeter;
use crate::perimeter::config::Enforcement;
use crate::perimeter::exception::{self, Exceptions};
use crate::perimeter::rules::Finding;
use crate::resources::upbound::{is_organization_policy, is_organization_policy_kind};
use crate::resources::{adapt, read_parts};

/// The label an object carries to be exempted, with the reason as its value.
pub const EXEMPT_LABEL: &str = "perimeterguard.io/exempt";
/// Said with every object the label exempts: it has no owner and no end, and goes away in the
/// next minor version.
pub const LABEL_DEPRECATED: &str = "perimeter-guard: the perimeterguard.io/exempt label is deprecated and stops working in the next minor version: it has no owner and no expiry; waive the rules with a PerimeterException instead";
/// Where that label sits in an object, as a JSON pointer (`/` escaped as `~1`).
const EXEMPT_LABEL_POINTER: &str = "/metadata/labels/perimeterguard.io~1exempt";

use cache::KeyText;
pub use cache::{DEFAULT_CAPACITY_BYTES, DecisionCache, Evaluated};

/// Bodies up to this size may be answered on the caller's thread from the cache: parsing one and
/// comparing its object with a cached one costs microseconds.
pub const INLINE_MAX_BODY: usize = 64 * 1024;

/// Exemptions and identity of the running configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Namespaces never checked (defence in depth behind the webhook's namespaceSelector).
    pub exempt_namespaces: Vec<String>,
    /// Whether the `perimeterguard.io/exempt` label exempts an object.
    pub allow_label_exemption: bool,
    pub exempt_users: Vec<String>,
    pub exempt_groups: Vec<String>,
    /// Identifies the configuration in audit annotations. The generation also keys the decision
    /// cache: it must change whenever the perimeters or these settings change.
    pub config_hash: String,
    pub config_generation: u64,
    /// The PerimeterExceptions in force. Part of the configuration: a change to them must change
    /// the generation, since the cache keeps which of them name each object.
    pub exceptions: Arc<Exceptions>,
    /// What "now" is when an exception's expiry is read.
    pub clock: Clock,
    /// The most days a PerimeterException may end after its creation.
    pub max_exception_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            exempt_namespaces: Vec::new(),
            allow_label_exemption: false,
            exempt_users: Vec::new(),
            exempt_groups: Vec::new(),
            config_hash: String::new(),
            config_generation: 0,
            exceptions: Arc::default(),
            clock: Clock::System,
            max_exception_days: exception::DEFAULT_MAX_DAYS,
        }
    }
}

/// The time exceptions are judged at: the system's, or one a test holds still.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    Fixed(jiff::Timestamp),
}

impl Clock {
    pub fn now(self) -> jiff::Timestamp {
        match self {
            Clock::System => jiff::Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }
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
    pub cache: CacheUse,
}

/// Whether the decision cache answered a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Not looked up: no object to evaluate, an exempt namespace, or the cache is off.
    NotConsulted,
    /// The same object bytes were evaluated before.
    Hit,
    /// An object with the same facts (or the same read parts) was evaluated before: no
    /// reasoning.
    FactsHit,
    Miss,
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

/// Decides one AdmissionReview body, evaluating every time.
pub fn review(
    body: &[u8],
    perimeters: &[DataPerimeter],
    settings: &Settings,
) -> Result<Reviewed, BadReview> {
    review_with(body, perimeters, settings, &DecisionCache::disabled())
}

/// Decides one AdmissionReview body, from the cache when the same object was evaluated under the
/// same configuration generation, and remembers what it evaluates.
pub fn review_with(
    body: &[u8],
    perimeters: &[DataPerimeter],
    settings: &Settings,
    cache: &DecisionCache,
) -> Result<Reviewed, BadReview> {
    match run(body, perimeters, settings, cache, Mode::Evaluate) {
        Step::Done(result) => result,
        // Not returned in this mode; should it ever be, the review is evaluated without the cache
        // (which cannot come back here) rather than answered by a panic.
        Step::NeedsEvaluation => review(body, perimeters, settings),
    }
}

/// Answers a review only if that takes no evaluation: a small body whose object is in the cache,
/// one that needs no object (a DELETE, an exempt namespace), or a malformed one. `None` means the
/// review needs [`review_with`], which the server runs off its reactor threads.
pub fn review_without_evaluating(
    body: &[u8],
    perimeters: &[DataPerimeter],
    settings: &Settings,
    cache: &DecisionCache,
) -> Option<Result<Reviewed, BadReview>> {
    if body.len() > INLINE_MAX_BODY {
        return None;
    }
    match run(body, perimeters, settings, cache, Mode::CachedOnly) {
        Step::Done(result) => Some(result),
        Step::NeedsEvaluation => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Evaluate,
    CachedOnly,
}

// Boxing the large variant would add an allocation to every review for no gain: the result is
// moved out once.
#[allow(clippy::large_enum_variant)]
enum Step {
    Done(Result<Reviewed, BadReview>),
    NeedsEvaluation,
}

fn run(
    body: &[u8],
    perimeters: &[DataPerimeter],
    settings: &Settings,
    cache: &DecisionCache,
    mode: Mode,
) -> Step {
    let request = match envelope::parse(body) {
        Ok(r) => r,
        Err(e) => return Step::Done(Err(e)),
    };
    let mut response = AdmissionResponse::invalid("");
    response.uid = request.uid.to_string();
    response.allowed = true;
    response.result = Status::default();
    let info = RequestInfo {
        uid: request.uid.to_string(),
        kind: request.kind.kind.to_string(),
        namespace: request.namespace.as_deref().map(str::to_owned),
        name: request.name.to_string(),
        operation: request.operation_name(),
        user: request
            .user_info
            .username
            .as_deref()
            .unwrap_or_default()
            .to_owned(),
        dry_run: request.dry_run,
    };
    let mut annotations: HashMap<String, String> = HashMap::with_capacity(5);
    annotations.insert("config-hash".into(), settings.config_hash.clone());
    annotations.insert(
        "config-generation".into(),
        settings.config_generation.to_string(),
    );
    let finish = |mut response: AdmissionResponse,
                  mut annotations: HashMap<String, String>,
                  decision: &'static str,
                  rules: Vec<(&'static str, Enforcement)>,
                  exemption: Option<Exemption>,
                  cache: CacheUse| {
        annotations.insert("decision".into(), decision.into());
        if !rules.is_empty() {
            let ids = distinct(rules.iter().map(|(id, _)| *id));
            annotations.insert("rules".into(), ids.join(","));
        }
        response.audit_annotations = annotations;
        Step::Done(Ok(Reviewed {
            review: response.into_review(),
            request: info,
            decision,
            rules,
            exemption,
            cache,
        }))
    };
    let unused = CacheUse::NotConsulted;
    // Deleting a guardrail lets through all it denied: the one DELETE judged. Otherwise only
    // creates and updates are checked: a DELETE can only shrink what exists.
    if request.operation == Operation::Delete
        && is_organization_policy_kind(&request.kind.group, &request.kind.kind)
        && namespace_exemption(request.namespace.as_deref(), settings).is_none()
        && identity_exemption(&request, None, settings).is_none()
        && let Some(old) = request.old_object
    {
        if mode == Mode::CachedOnly {
            return Step::NeedsEvaluation;
        }
        return match guardrail_removal(old.get(), None, perimeters, settings) {
            Err(e) => Step::Done(Err(e)),
            Ok(None) => finish(response, annotations, "allow", Vec::new(), None, unused),
            Ok(Some((rendered, rules, decision))) => {
                let word = answer(&mut response, &rendered, decision);
                finish(response, annotations, word, rules, None, unused)
            }
        };
    }
    let (Operation::Create | Operation::Update) = request.operation else {
        return finish(response, annotations, "allow", Vec::new(), None, unused);
    };
    let Some(object) = request.object else {
        return finish(response, annotations, "allow", Vec::new(), None, unused);
    };
    if request.kind.group == "perimeterguard.io" && request.kind.kind == exception::KIND {
        let limits = exception::ExpiryLimits {
            now: settings.clock.now(),
            max_days: settings.max_exception_days,
        };
        let checked = serde_json::from_str::<Value>(object.get())
            .map_err(|e| BadReview(format!("request.object: {e}")))
            .map(|v| {
                exception::from_value(&v, &format!("{} {}", exception::KIND, request.name), limits)
            });
        return match checked {
            Err(e) => Step::Done(Err(e)),
            Ok(Ok(_)) => finish(response, annotations, "allow", Vec::new(), None, unused),
            Ok(Err(e)) => {
                response.allowed = false;
                response.result = invalid_exception(&request.name, &e);
                finish(response, annotations, "deny", Vec::new(), None, unused)
            }
        };
    }
    let generation = settings.config_generation;
    let object_text = object.get();
    let mut cached = None;
    let mut read_hit = false;
    // The text of what the adapters read of the object, once a byte lookup has missed.
    let mut read: Option<Vec<u8>> = None;
    let mut doc: Option<Value> = None;
    let mut label = None;
    let mut why = namespace_exemption(request.namespace.as_deref(), settings);
    if why.is_none() {
        cached = cache.get(generation, object_text.as_bytes());
        if cached.is_none() && cache.is_enabled() {
            read = read_parts(object_text);
            cached = read
                .as_deref()
                .and_then(|r| cache.get_by(generation, KeyText::ReadParts, r));
            read_hit = cached.is_some();
        }
        label = match &cached {
            Some(e) => e.exempt_label.clone(),
            // The cache off, nothing can be answered without evaluating.
            None if mode == Mode::CachedOnly && !cache.is_enabled() => {
                return Step::NeedsEvaluation;
            }
            None => {
                let parsed: Value = match serde_json::from_str(object_text) {
                    Ok(v) => v,
                    Err(e) => {
                        return Step::Done(Err(BadReview(format!("request.object: {e}"))));
                    }
                };
                let label = parsed
                    .pointer(EXEMPT_LABEL_POINTER)
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                doc = Some(parsed);
                label
            }
        };
        why = identity_exemption(&request, label.as_deref(), settings);
    }
    if let Some(why) = why {
        annotations.insert("exemption".into(), why.detail.clone());
        let mut warnings = vec![format!("perimeter-guard: not checked ({})", why.detail)];
        if why.by == "label" {
            warnings.push(LABEL_DEPRECATED.to_owned());
        }
        response.warnings = Some(warnings);
        return finish(
            response,
            annotations,
            "exempt",
            Vec::new(),
            Some(why),
            unused,
        );
    }
    let (evaluated, cache_use) = match (cached, &doc) {
        (Some(e), _) if read_hit => (e, CacheUse::FactsHit),
        (Some(e), _) => (e, CacheUse::Hit),
        (None, Some(parsed)) => {
            let facts_cache = cache.facts();
            let (verdict, facts, facts_hit) = match prepare(parsed, perimeters) {
                Err(verdict) => (verdict, None, false),
                Ok(prepared) => match facts_cache {
                    None if mode == Mode::CachedOnly => return Step::NeedsEvaluation,
                    None => (prepared.evaluate(None), None, false),
                    Some(f) => {
                        let facts = Some(Arc::clone(prepared.facts()));
                        match prepared.cached(f, generation) {
                            Ok(verdict) => (verdict, facts, true),
                            // Reasoning is for the blocking pool, never the caller's thread.
                            Err(_) if mode == Mode::CachedOnly => {
                                return Step::NeedsEvaluation;
                            }
                            Err(prepared) => {
                                (prepared.evaluate(Some((f, generation))), facts, false)
                            }
                        }
                    }
                },
            };
            let exceptions = match &verdict {
                ObjectVerdict::Checked { object, .. } if !settings.exceptions.is_empty() => {
                    settings.exceptions.matching(object, &labels(parsed))
                }
                _ => Vec::new(),
            };
            let e = Arc::new(Evaluated::new(label, verdict, facts).with_exceptions(exceptions));
            cache.insert(generation, object_text.as_bytes(), Arc::clone(&e));
            if let Some(r) = &read {
                cache.insert_by(generation, KeyText::ReadParts, r, Arc::clone(&e));
            }
            let used = match (cache.is_enabled(), facts_hit) {
                (false, _) => CacheUse::NotConsulted,
                (true, true) => CacheUse::FactsHit,
                (true, false) => CacheUse::Miss,
            };
            (e, used)
        }
        (None, None) => return Step::NeedsEvaluation,
    };
    let (object_ref, findings, decision) = match &evaluated.verdict {
        // A guardrail updated to a type that is no guardrail is replaced, and so removed.
        ObjectVerdict::Skipped { .. }
            if request.operation == Operation::Update
                && is_organization_policy_kind(&request.kind.group, &request.kind.kind)
                && let Some(old) = request.old_object =>
        {
            if mode == Mode::CachedOnly {
                return Step::NeedsEvaluation;
            }
            return match guardrail_removal(old.get(), Some(object_text), perimeters, settings) {
                Err(e) => Step::Done(Err(e)),
                Ok(None) => finish(response, annotations, "skip", Vec::new(), None, cache_use),
                Ok(Some((rendered, rules, decision))) => {
                    let word = answer(&mut response, &rendered, decision);
                    finish(response, annotations, word, rules, None, cache_use)
                }
            };
        }
        ObjectVerdict::Skipped { .. } => {
            return finish(response, annotations, "skip", Vec::new(), None, cache_use);
        }
        ObjectVerdict::Checked {
            object,
            findings,
            decision,
            ..
        } => (object, findings, *decision),
    };
    // Exceptions are judged at this instant, never cached: one that expired since the entry was
    // made waives nothing now. An object no exception names keeps the cached answer.
    let waived = waived_findings(&evaluated, settings.clock);
    let (findings, decision) = match &waived {
        Some((f, d)) => (f.as_slice(), *d),
        None => (findings.as_slice(), decision),
    };
    // An update of a guardrail is judged against its old version too, never from the cache: the
    // old version is part of the question.
    let updated = match (&request.operation, request.old_object) {
        (Operation::Update, Some(old)) if is_organization_policy(object_ref) => {
            if mode == Mode::CachedOnly {
                return Step::NeedsEvaluation;
            }
            guardrail_update(
                old.get(),
                (object_text, doc.as_ref()),
                perimeters,
                findings,
                (&evaluated.exceptions, settings.clock),
            )
        }
        _ => None,
    };
    let (findings, decision) = match &updated {
        Some((f, d)) => (f.as_slice(), *d),
        None => (findings, decision),
    };
    let rules: Vec<(&'static str, Enforcement)> = findings
        .iter()
        .filter(|f| f.is_enforced())
        .map(|f| (f.rule.id, f.enforcement))
        .collect();
    let fresh;
    let rendered = if waived.is_some() || updated.is_some() {
        let list: Vec<String> = findings
            .iter()
            .filter_map(|f| Some(format!("{}={}", f.rule.id, f.waiver.as_ref()?.name)))
            .collect();
        if !list.is_empty() {
            annotations.insert(
                "waived".into(),
                distinct(list.iter().map(String::as_str)).join(","),
            );
        }
        fresh = RenderedAnswer::new(object_ref, findings);
        &fresh
    } else {
        if decision == AdmissionDecision::Allow {
            return finish(response, annotations, "allow", rules, None, cache_use);
        }
        evaluated
            .rendered
            .get_or_init(|| RenderedAnswer::new(object_ref, findings))
    };
    // An update that leaves every fact the rules read as it was must never be blocked: controllers
    // (reference resolution, late initialisation, status) would otherwise be wedged.
    if decision == AdmissionDecision::Deny
        && request.operation == Operation::Update
        && let Some(old) = request.old_object
        && facts_unchanged(
            old.get(),
            (object_text, read.as_deref()),
            doc.as_ref(),
            evaluated.facts.as_deref(),
            (cache, generation, perimeters),
        )
    {
        response.warnings = Some(
            std::iter::once("perimeter-guard: admitted because nothing the perimeter rules read changed; the object already violates the perimeter".to_owned())
                .chain(rendered.every_warning.iter().cloned())
                .collect(),
        );
        return finish(response, annotations, "unchanged", rules, None, cache_use);
    }
    let word = answer(&mut response, rendered, decision);
    finish(response, annotations, word, rules, None, cache_use)
}

/// Writes the answer a decision makes into the response; the word the logs and annotations use.
fn answer(
    response: &mut AdmissionResponse,
    rendered: &RenderedAnswer,
    decision: AdmissionDecision,
) -> &'static str {
    match decision {
        AdmissionDecision::Deny => {
            response.allowed = false;
            response.result = rendered.denial.clone();
            if !rendered.warnings.is_empty() {
                response.warnings = Some(rendered.warnings.clone());
            }
            "deny"
        }
        AdmissionDecision::Warn => {
            response.warnings = Some(rendered.warnings.clone());
            "warn"
        }
        // Admitted: a waived finding is said in a warning; otherwise Audit is silent, its trail
        // in the audit annotations, logs and metrics.
        AdmissionDecision::Audit | AdmissionDecision::Allow => {
            if !rendered.warnings.is_empty() {
                response.warnings = Some(rendered.warnings.clone());
            }
            if decision == AdmissionDecision::Allow {
                "allow"
            } else {
                "audit"
            }
        }
    }
}

/// What removing a guardrail is answered with: the rendered findings, the enforced rules and the
/// decision.
type RemovalAnswer = (
    RenderedAnswer,
    Vec<(&'static str, Enforcement)>,
    AdmissionDecision,
);

/// The answer to removing a guardrail (see `decision::removal_findings`), the exceptions that
/// name it applied now; `None` when nothing is removed or it lets nothing through.
fn guardrail_removal(
    old: &str,
    new: Option<&str>,
    perimeters: &[DataPerimeter],
    settings: &Settings,
) -> Result<Option<RemovalAnswer>, BadReview> {
    let old: Value =
        serde_json::from_str(old).map_err(|e| BadReview(format!("request.oldObject: {e}")))?;
    let new: Option<Value> = new
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| BadReview(format!("request.object: {e}")))?;
    let Some((object, mut findings)) =
        crate::decision::removal_findings(&old, new.as_ref(), perimeters)
    else {
        return Ok(None);
    };
    if findings.is_empty() {
        return Ok(None);
    }
    let matching = settings.exceptions.matching(&object, &labels(&old));
    crate::decision::mark_waived(&mut findings, &matching, settings.clock.now());
    let decision = crate::decision::decide(&findings);
    let rules = findings
        .iter()
        .filter(|f| f.is_enforced())
        .map(|f| (f.rule.id, f.enforcement))
        .collect();
    Ok(Some((
        RenderedAnswer::new(&object, &findings),
        rules,
        decision,
    )))
}

/// The new object's findings with those its update adds (a guardrail weakened), the exceptions
/// that name the object applied now, and the decision they make; `None` when the update adds
/// none.
fn guardrail_update(
    old: &str,
    (new, new_doc): (&str, Option<&Value>),
    perimeters: &[DataPerimeter],
    findings: &[Finding],
    (exceptions, clock): (&[Arc<exception::PerimeterException>], Clock),
) -> Option<(Vec<Finding>, AdmissionDecision)> {
    let old: Value = serde_json::from_str(old).ok()?;
    let parsed;
    let new = match new_doc {
        Some(doc) => doc,
        None => {
            parsed = serde_json::from_str::<Value>(new).ok()?;
            &parsed
        }
    };
    let added = crate::decision::update_findings(&old, new, perimeters);
    if added.is_empty() {
        return None;
    }
    let mut added = added;
    crate::decision::mark_waived(&mut added, exceptions, clock.now());
    let mut all = findings.to_vec();
    all.extend(added);
    let decision = crate::decision::decide(&all);
    Some((all, decision))
}

/// The cached verdict's findings with the exceptions that name the object applied now,
/// and the decision they make; `None` when none of them waives anything.
fn waived_findings(
    evaluated: &Evaluated,
    clock: Clock,
) -> Option<(Vec<Finding>, AdmissionDecision)> {
    // Most objects: no exception names them, and the clock is not read.
    if evaluated.exceptions.is_empty() {
        return None;
    }
    let mut verdict = evaluated.verdict.clone();
    crate::decision::waive(&mut verdict, &evaluated.exceptions, clock.now());
    match verdict {
        ObjectVerdict::Checked {
            findings, decision, ..
        } if findings.iter().any(|f| !f.is_enforced()) => Some((findings, decision)),
        _ => None,
    }
}

/// The parts of an answer that depend only on the findings.
#[derive(Debug)]
pub struct RenderedAnswer {
    /// The denial, when a finding denies.
    denial: Status,
    /// The warnings of Warn findings.
    warnings: Vec<String>,
    /// A warning per finding, for an update admitted because its facts did not change.
    every_warning: Vec<String>,
}

impl RenderedAnswer {
    fn new(object_ref: &crate::resources::ObjectRef, findings: &[Finding]) -> Self {
        let denying: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.is_enforced() && f.enforcement == Enforcement::Deny)
            .collect();
        let denial = if denying.is_empty() {
            Status::default()
        } else {
            Status {
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
                            message: format!("{}: {}", f.rule.id, bounded(&f.message)),
                            field: f.pointer.clone(),
                        })
                        .collect(),
                    uid: String::new(),
                    retry_after_seconds: 0,
                }),
                ..Status::default()
            }
        };
        Self {
            denial,
            warnings: findings
                .iter()
                .filter(|f| !f.is_enforced() || f.enforcement == Enforcement::Warn)
                .map(warning)
                .collect(),
            every_warning: findings.iter().map(warning).collect(),
        }
    }
}

/// The denial of a PerimeterException that is not valid: 422 Invalid, with the field, as the
/// API server words its own validation errors.
fn invalid_exception(name: &str, e: &crate::perimeter::ConfigError) -> Status {
    Status {
        status: Some(StatusSummary::Failure),
        code: 422,
        reason: "Invalid".into(),
        message: format!("perimeter-guard: {e}"),
        details: Some(StatusDetails {
            name: name.to_owned(),
            group: "perimeterguard.io".into(),
            kind: exception::KIND.into(),
            causes: vec![StatusCause {
                reason: "FieldValueInvalid".into(),
                message: e.message.clone(),
                field: e.field.clone(),
            }],
            uid: String::new(),
            retry_after_seconds: 0,
        }),
        ..Status::default()
    }
}

fn namespace_exemption(namespace: Option<&str>, settings: &Settings) -> Option<Exemption> {
    let ns = namespace?;
    settings
        .exempt_namespaces
        .iter()
        .any(|n| n == ns)
        .then(|| Exemption {
            by: "namespace",
            detail: format!("namespace {ns} is exempt"),
        })
}

fn identity_exemption(
    request: &envelope::ReviewRequest<'_>,
    label: Option<&str>,
    settings: &Settings,
) -> Option<Exemption> {
    let by = |by: &'static str, detail: String| Some(Exemption { by, detail });
    if settings.allow_label_exemption
        && let Some(reason) = label
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
        .find(|g| settings.exempt_groups.iter().any(|e| e == g.as_ref()))
    {
        return by("group", format!("group {group} is exempt"));
    }
    None
}

/// Whether two versions of an object have the same perimeter-relevant facts; `new` is the new
/// object's text with its read parts when known, `new_doc` the new object when it has been parsed
/// already, `new_facts` its facts key when known.
fn facts_unchanged(
    old: &str,
    (new, new_read): (&str, Option<&[u8]>),
    new_doc: Option<&Value>,
    new_facts: Option<&str>,
    (cache, generation, perimeters): (&DecisionCache, u64, &[DataPerimeter]),
) -> bool {
    // Equal facts keys are equal facts (the key is all the rules read). The old object is
    // sometimes one evaluated before, so its key is in the cache.
    let old_doc = match cache.get(generation, old.as_bytes()) {
        Some(e) if e.facts.is_some() => {
            if e.facts.as_deref() == new_facts {
                return true;
            }
            None
        }
        _ => {
            // The old object of a controller's update is the stored one, which differs from the
            // new one in what no adapter reads (its resourceVersion, status, its own
            // annotations): equal read parts adapt alike, so nothing needs adapting.
            if let Some(old_read) = read_parts(old) {
                let same = match new_read {
                    Some(r) => r == old_read.as_slice(),
                    None => read_parts(new).is_some_and(|r| r == old_read),
                };
                if same {
                    return true;
                }
            }
            serde_json::from_str::<Value>(old).ok()
        }
    };
    if let (Some(new_facts), Some(old_doc)) = (new_facts, &old_doc)
        && let Ok(prepared) = prepare(old_doc, perimeters)
        && **prepared.facts() == *new_facts
    {
        return true;
    }
    // Keys differ: the lenient comparison (a reference the controller has since resolved, an
    // identity it has since recorded) decides.
    let Some(old) = old_doc.or_else(|| serde_json::from_str::<Value>(old).ok()) else {
        return false;
    };
    let parsed;
    let new = match new_doc {
        Some(doc) => doc,
        None => match serde_json::from_str::<Value>(new) {
            Ok(doc) => {
                parsed = doc;
                &parsed
            }
            Err(_) => return false,
        },
    };
    use crate::resources::{Adapted, ObjectNote};
    // An object that stops only observing (its management policies or adoption annotation
    // changed) starts writing to AWS: that is a change, whatever its spec says.
    let observed = |notes: &[ObjectNote]| {
        notes
            .iter()
            .any(|n| matches!(n, ObjectNote::Observed { .. }))
    };
    match (adapt(&old), adapt(new)) {
        (
            Adapted::Checked {
                subjects: a,
                notes: na,
                ..
            },
            Adapted::Checked {
                subjects: b,
                notes: nb,
                ..
            },
        ) => observed(&na) == observed(&nb) && crate::resources::facts::same_facts(&a, &b),
        _ => false,
    }
}

/// Longest run of non-space characters of tenant text an answer repeats whole, and longest
/// finding message; longer ones keep their start and end.
const MAX_WORD: usize = 160;
const MAX_MESSAGE: usize = 1024;

/// A finding's message with every long word (an ARN, a condition value) cut in its middle and
/// the whole kept under [`MAX_MESSAGE`] characters: answers and logs carry excerpts of tenant
/// input, never a 20 KB policy string whole.
fn bounded(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE + 8));
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let chars = word.chars().count();
        if chars > MAX_WORD {
            out.extend(word.chars().take(MAX_WORD - 40));
            out.push_str(&format!("…({} characters)…", chars - MAX_WORD + 20));
            out.extend(word.chars().skip(chars - 20));
        } else {
            out.push_str(word);
        }
    }
    if out.chars().count() > MAX_MESSAGE {
        out = out.chars().take(MAX_MESSAGE - 1).collect::<String>() + "…";
    }
    out
}

fn warning(f: &Finding) -> String {
    // Who waived it comes first, so that bounding the message never cuts it off.
    let mut w = match &f.waiver {
        Some(e) => format!(
            "{} waived by {}: {}: {}",
            f.rule.id,
            e.describe(),
            f.pointer,
            bounded(&f.message)
        ),
        None => format!("{} {}: {}", f.rule.id, f.pointer, bounded(&f.message)),
    };
    if w.chars().count() > 250 {
        w = w.chars().take(249).collect::<String>() + "…";
    }
    w
}

/// The denial a user reads after kubectl's prefix: which object, how many rules, then per finding
/// the rule, the field, what is wrong (for policies, the request that proves it) and the fix.
pub fn denial_message(object: &str, findings: &[&Finding]) -> String {
    let ids = distinct(findings.iter().map(|f| f.rule.id));
    let mut out = format!(
        "perimeter-guard denied {object}: {} finding{} ({})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        ids.join(", ")
    );
    for f in findings {
        out.push_str(&format!(
            "\n  {} at {}: {}\n    fix: {}",
            f.rule.id,
            f.pointer,
            bounded(&f.message),
            f.fix()
        ));
    }
    out
}

/// Each rule id once, in the order first met: findings of one rule need not be adjacent (two
/// perimeters each report theirs).
fn distinct<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests;
