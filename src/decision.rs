//! One object against every applicable perimeter: the findings with their enforcement, and the
//! decision they add up to. The webhook, `check` and `audit` all go through [`evaluate`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::perimeter::DataPerimeter;
use crate::perimeter::config::Enforcement;
use crate::perimeter::exception::{Exceptions, PerimeterException};
use crate::perimeter::rules::{self, Finding};
use crate::resources::composition::ComposedBase;
use crate::resources::{Adapted, ObjectNote, ObjectRef, ProviderFamily, adapt};

/// What the findings of one object add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdmissionDecision {
    /// No finding.
    Allow,
    /// Only Audit findings: admitted silently, recorded.
    Audit,
    /// At worst Warn findings: admitted with warnings.
    Warn,
    /// At least one Deny finding.
    Deny,
}

#[derive(Debug, Clone)]
pub enum ObjectVerdict {
    Checked {
        object: ObjectRef,
        family: ProviderFamily,
        /// The names of the DataPerimeters that applied.
        perimeters: Vec<String>,
        findings: Vec<Finding>,
        decision: AdmissionDecision,
    },
    Skipped {
        object: Option<ObjectRef>,
        reason: String,
    },
}

mod facts_cache;

pub use facts_cache::FactsCache;

/// Evaluates one object against the perimeters that apply to it (by their `match`).
pub fn evaluate(doc: &Value, perimeters: &[DataPerimeter]) -> ObjectVerdict {
    evaluate_with(doc, perimeters, None).0
}

/// An object adapted and matched to its perimeters, with the key of what the rules read of it:
/// everything a decision needs before the rules run.
pub struct Prepared<'p> {
    object: ObjectRef,
    family: ProviderFamily,
    subjects: Vec<crate::resources::Subject>,
    notes: Vec<crate::resources::ObjectNote>,
    applicable: Vec<&'p DataPerimeter>,
    /// Built on first use: `check` and `audit` never need it.
    facts: std::cell::OnceCell<Arc<str>>,
}

/// Adapts `doc` and finds the perimeters that apply to it; an object that is not checked comes
/// back as its verdict.
// Both sides are moved once per object; boxing either would add an allocation to every review.
#[allow(clippy::result_large_err)]
pub fn prepare<'p>(
    doc: &Value,
    perimeters: &'p [DataPerimeter],
) -> Result<Prepared<'p>, ObjectVerdict> {
    let (object, family, subjects, notes) = match adapt(doc) {
        Adapted::Skipped { object, reason } => {
            return Err(ObjectVerdict::Skipped { object, reason });
        }
        Adapted::Checked {
            object,
            family,
            subjects,
            notes,
        } => (object, family, subjects, notes),
    };
    let labels = labels(doc);
    let applicable: Vec<&DataPerimeter> = perimeters
        .iter()
        .filter(|dp| dp.applies_to(&object.kind, object.namespace.as_deref(), &labels))
        .collect();
    if applicable.is_empty() {
        return Err(ObjectVerdict::Skipped {
            reason: "no DataPerimeter matches this object".into(),
            object: Some(object),
        });
    }
    Ok(Prepared {
        object,
        family,
        subjects,
        notes,
        applicable,
        facts: std::cell::OnceCell::new(),
    })
}

impl Prepared<'_> {
    /// What the rules read of the object, with the perimeters that apply: two objects with equal
    /// keys get equal findings.
    pub fn facts(&self) -> &Arc<str> {
        self.facts.get_or_init(|| {
            let names: Vec<&str> = self
                .applicable
                .iter()
                .map(|dp| dp.metadata.name.as_str())
                .collect();
            facts_cache::facts_text(&names, &self.subjects, &self.notes).into()
        })
    }

    /// The verdict, if `cache` holds the findings for these facts under `generation`.
    #[allow(clippy::result_large_err)] // as for `prepare`
    pub fn cached(self, cache: &FactsCache, generation: u64) -> Result<ObjectVerdict, Self> {
        match cache.get(generation, self.facts()) {
            Some(found) => {
                let findings = found.as_ref().clone();
                Ok(self.verdict(findings))
            }
            None => Err(self),
        }
    }

    /// Runs the rules, and remembers the findings in `cache` when given.
    pub fn evaluate(self, cache: Option<(&FactsCache, u64)>) -> ObjectVerdict {
        let findings: Vec<Finding> = self
            .applicable
            .iter()
            .flat_map(|dp| rules::check_object(&self.subjects, &self.notes, dp))
            .collect();
        if let Some((cache, generation)) = cache {
            cache.insert(
                generation,
                Arc::clone(self.facts()),
                Arc::new(findings.clone()),
            );
        }
        self.verdict(findings)
    }

    fn verdict(self, findings: Vec<Finding>) -> ObjectVerdict {
        ObjectVerdict::Checked {
            decision: decide(&findings),
            object: self.object,
            family: self.family,
            perimeters: self
                .applicable
                .iter()
                .map(|dp| dp.metadata.name.clone())
                .collect(),
            findings,
        }
    }
}

/// [`evaluate`], answered from `cache` when it holds the findings for the same facts under the
/// same configuration generation; says whether it did.
pub fn evaluate_with(
    doc: &Value,
    perimeters: &[DataPerimeter],
    cache: Option<(&FactsCache, u64)>,
) -> (ObjectVerdict, bool) {
    let prepared = match prepare(doc, perimeters) {
        Ok(p) => p,
        Err(verdict) => return (verdict, false),
    };
    match cache {
        None => (prepared.evaluate(None), false),
        Some((facts, generation)) => match prepared.cached(facts, generation) {
            Ok(verdict) => (verdict, true),
            Err(prepared) => (prepared.evaluate(cache), false),
        },
    }
}

/// The findings an update adds to its new object's own: a guardrail that no longer denies what
/// its old version denied (DP-RCP-002, DP-SCP-002), under each perimeter that applies to the new
/// object. They rest on both versions, so they are never cached with the new object's.
pub fn update_findings(old: &Value, new: &Value, perimeters: &[DataPerimeter]) -> Vec<Finding> {
    let Ok(prepared) = prepare(new, perimeters) else {
        return Vec::new();
    };
    let Adapted::Checked {
        subjects: old_subjects,
        ..
    } = adapt(old)
    else {
        return Vec::new();
    };
    // An object that only observes writes nothing to AWS: recorded, not enforced, as its other
    // findings are (`rules::check_object`).
    let observed = prepared
        .notes
        .iter()
        .any(|n| matches!(n, crate::resources::ObjectNote::Observed { .. }));
    prepared
        .applicable
        .iter()
        .flat_map(|dp| rules::guardrail_weakening(&old_subjects, &prepared.subjects, dp))
        .map(|mut f| {
            if observed {
                f.enforcement = f.enforcement.min(Enforcement::Audit);
            }
            f
        })
        .collect()
}

/// The findings of removing a guardrail, with the object they are about: deleting its object
/// (`new` is `None`), or updating it to a type that is no guardrail (`new`). Deleting the object
/// deletes the AWS policy unless the provider keeps it (`resources::deletes_external`), and an
/// object that only observes never wrote it. `None` when nothing is removed.
pub fn removal_findings(
    old: &Value,
    new: Option<&Value>,
    perimeters: &[DataPerimeter],
) -> Option<(ObjectRef, Vec<Finding>)> {
    let prepared = prepare(old, perimeters).ok()?;
    let observed = prepared
        .notes
        .iter()
        .any(|n| matches!(n, ObjectNote::Observed { .. }));
    let how = match new {
        None => {
            if observed || !crate::resources::deletes_external(old) {
                return None;
            }
            "deleting the object deletes the policy"
        }
        // An update to another guardrail type is judged with the new object (`update_findings`).
        Some(new) => match adapt(new) {
            Adapted::Checked { .. } => return None,
            Adapted::Skipped { .. } if observed => return None,
            Adapted::Skipped { .. } => rules::GUARDRAIL_RETYPED,
        },
    };
    let findings: Vec<Finding> = prepared
        .applicable
        .iter()
        .flat_map(|dp| rules::guardrail_removal(&prepared.subjects, how, dp))
        .collect();
    Some((prepared.object, findings))
}

/// The object's string labels, as selectors read them.
pub fn labels(doc: &Value) -> BTreeMap<String, String> {
    doc.get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// [`evaluate`], then [`waive`] with the exceptions that name the object, at `now`: what `check`
/// and `audit` decide, and what the webhook decides through its caches.
pub fn evaluate_excepted(
    doc: &Value,
    perimeters: &[DataPerimeter],
    exceptions: &Exceptions,
    now: jiff::Timestamp,
) -> ObjectVerdict {
    let mut verdict = evaluate(doc, perimeters);
    waive_matching(&mut verdict, doc, exceptions, now);
    verdict
}

/// A base managed resource of a Composition, as `check` reads it: the object Crossplane
/// composes, with what its patches write unknown (nothing found there stands, and a field a
/// rule reads is an unresolved reference), then [`waive`]d as [`evaluate_excepted`] does.
pub fn evaluate_composed(
    base: &ComposedBase,
    perimeters: &[DataPerimeter],
    exceptions: &Exceptions,
    now: jiff::Timestamp,
) -> ObjectVerdict {
    let mut verdict = match prepare(&base.object, perimeters) {
        Ok(mut prepared) => {
            prepared
                .notes
                .extend(base.patched.iter().map(|p| ObjectNote::Patched {
                    pointer: p.pointer.clone(),
                    by: p.by.clone(),
                    read: p.read,
                }));
            prepared.evaluate(None)
        }
        Err(verdict) => verdict,
    };
    waive_matching(&mut verdict, &base.object, exceptions, now);
    verdict
}

fn waive_matching(
    verdict: &mut ObjectVerdict,
    doc: &Value,
    exceptions: &Exceptions,
    now: jiff::Timestamp,
) {
    if !exceptions.is_empty()
        && let ObjectVerdict::Checked { object, .. } = &*verdict
    {
        let matching = exceptions.matching(object, &labels(doc));
        waive(verdict, &matching, now);
    }
}

/// Marks each finding that an exception naming the object (`matching`) waives at `now`, and
/// decides again without them. Whether an exception is active is read here, at the instant of
/// the decision, never cached: an expired exception waives nothing from that instant on.
pub fn waive(
    verdict: &mut ObjectVerdict,
    matching: &[Arc<PerimeterException>],
    now: jiff::Timestamp,
) {
    let ObjectVerdict::Checked {
        findings, decision, ..
    } = verdict
    else {
        return;
    };
    mark_waived(findings, matching, now);
    *decision = decide(findings);
}

/// Marks each finding that one of `matching` waives at `now` (see [`waive`]).
pub fn mark_waived(
    findings: &mut [Finding],
    matching: &[Arc<PerimeterException>],
    now: jiff::Timestamp,
) {
    for f in findings.iter_mut() {
        f.waiver = matching
            .iter()
            .find(|e| e.is_active(now) && e.waives(f.rule.id))
            .cloned();
    }
}

/// What the enforced (not waived) findings add up to.
pub fn decide(findings: &[Finding]) -> AdmissionDecision {
    match findings
        .iter()
        .filter(|f| f.is_enforced())
        .map(|f| f.enforcement)
        .max()
    {
        None => AdmissionDecision::Allow,
        Some(Enforcement::Audit) => AdmissionDecision::Audit,
        Some(Enforcement::Warn) => AdmissionDecision::Warn,
        Some(Enforcement::Deny) => AdmissionDecision::Deny,
    }
}
