//! One object against every applicable perimeter: the findings with their enforcement, and the
//! decision they add up to. The webhook, `check` and `audit` all go through [`evaluate`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::perimeter::DataPerimeter;
use crate::perimeter::config::Enforcement;
use crate::perimeter::rules::{self, Finding};
use crate::resources::{Adapted, ObjectRef, ProviderFamily, adapt};

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

/// [`evaluate`], answering from `cache` (under configuration `generation`) when an object with
/// the same facts was evaluated before; the flag says whether it did.
pub fn evaluate_with(
    doc: &Value,
    perimeters: &[DataPerimeter],
    cache: Option<(&FactsCache, u64)>,
) -> (ObjectVerdict, bool) {
    let (object, family, subjects, notes) = match adapt(doc) {
        Adapted::Skipped { object, reason } => {
            return (ObjectVerdict::Skipped { object, reason }, false);
        }
        Adapted::Checked {
            object,
            family,
            subjects,
            notes,
        } => (object, family, subjects, notes),
    };
    let labels: BTreeMap<String, String> = doc
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let applicable: Vec<&DataPerimeter> = perimeters
        .iter()
        .filter(|dp| dp.applies_to(&object.kind, object.namespace.as_deref(), &labels))
        .collect();
    if applicable.is_empty() {
        let verdict = ObjectVerdict::Skipped {
            reason: "no DataPerimeter matches this object".into(),
            object: Some(object),
        };
        return (verdict, false);
    }
    let names: Vec<&str> = applicable
        .iter()
        .map(|dp| dp.metadata.name.as_str())
        .collect();
    let check = || -> Vec<Finding> {
        applicable
            .iter()
            .flat_map(|dp| rules::check_object(&subjects, &notes, dp))
            .collect()
    };
    let (findings, hit) = match cache {
        None => (check(), false),
        Some((cache, generation)) => {
            let facts = facts_cache::facts_text(&names, &subjects, &notes);
            match cache.get(generation, &facts) {
                Some(found) => (found.as_ref().clone(), true),
                None => {
                    let findings = check();
                    cache.insert(generation, facts, std::sync::Arc::new(findings.clone()));
                    (findings, false)
                }
            }
        }
    };
    let decision = decide(&findings);
    let verdict = ObjectVerdict::Checked {
        object,
        family,
        perimeters: names.iter().map(|n| (*n).to_owned()).collect(),
        findings,
        decision,
    };
    (verdict, hit)
}

pub fn decide(findings: &[Finding]) -> AdmissionDecision {
    match findings.iter().map(|f| f.enforcement).max() {
        None => AdmissionDecision::Allow,
        Some(Enforcement::Audit) => AdmissionDecision::Audit,
        Some(Enforcement::Warn) => AdmissionDecision::Warn,
        Some(Enforcement::Deny) => AdmissionDecision::Deny,
    }
}
