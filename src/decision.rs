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

/// Evaluates one object against the perimeters that apply to it (by their `match`).
pub fn evaluate(doc: &Value, perimeters: &[DataPerimeter]) -> ObjectVerdict {
    let (object, family, subjects, notes) = match adapt(doc) {
        Adapted::Skipped { object, reason } => return ObjectVerdict::Skipped { object, reason },
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
        return ObjectVerdict::Skipped {
            reason: "no DataPerimeter matches this object".into(),
            object: Some(object),
        };
    }
    let findings: Vec<Finding> = applicable
        .iter()
        .flat_map(|dp| rules::check_object(&subjects, &notes, dp))
        .collect();
    let decision = decide(&findings);
    ObjectVerdict::Checked {
        object,
        family,
        perimeters: applicable
            .iter()
            .map(|dp| dp.metadata.name.clone())
            .collect(),
        findings,
        decision,
    }
}

pub fn decide(findings: &[Finding]) -> AdmissionDecision {
    match findings.iter().map(|f| f.enforcement).max() {
        None => AdmissionDecision::Allow,
        Some(Enforcement::Audit) => AdmissionDecision::Audit,
        Some(Enforcement::Warn) => AdmissionDecision::Warn,
        Some(Enforcement::Deny) => AdmissionDecision::Deny,
    }
}
