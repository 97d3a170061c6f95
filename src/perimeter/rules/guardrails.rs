//! Organization guardrails managed as Upbound `Policy` objects: resource control policies must
//! deny every request from outside the perimeter they enforce (DP-RCP-001), service control
//! policies every request of the organization's principals outside it (DP-SCP-001), and an
//! update must not let through what the old version denied (DP-RCP-002, DP-SCP-002).

use crate::iam::reasoner::{
    self, Attachment, Dimension, Guardrail, GuardrailKind, ReasonerVerdict,
};
use crate::iam::{Policy, PolicyKind};
use crate::resources::{Field, OrganizationPolicy, OrganizationPolicyType, PolicySource, Subject};

use super::super::catalog::*;
use super::super::config::DataPerimeter;
use super::{Add, Finding, Judging, Proof, policy_document, reason};

fn kind(p: &OrganizationPolicy) -> GuardrailKind {
    match p.policy_type {
        OrganizationPolicyType::ResourceControl => GuardrailKind::Rcp,
        OrganizationPolicyType::ServiceControl => GuardrailKind::Scp,
    }
}

/// An RCP has a Principal (`*`) in every statement, an SCP none (AWS Organizations User Guide,
/// "RCP syntax", "SCP syntax"): each is read as the policy kind with that shape.
fn policy_kind(kind: GuardrailKind) -> PolicyKind {
    match kind {
        GuardrailKind::Rcp => PolicyKind::ResourcePolicy,
        GuardrailKind::Scp => PolicyKind::IdentityPolicy,
    }
}

struct GuardrailRules {
    enforce: &'static Rule,
    weakened: &'static Rule,
    invalid: &'static Rule,
}

fn rules_of(kind: GuardrailKind) -> GuardrailRules {
    match kind {
        GuardrailKind::Rcp => GuardrailRules {
            enforce: RCP_ENFORCE,
            weakened: RCP_WEAKENED,
            invalid: RCP_INVALID,
        },
        GuardrailKind::Scp => GuardrailRules {
            enforce: SCP_ENFORCE,
            weakened: SCP_WEAKENED,
            invalid: SCP_INVALID,
        },
    }
}

/// The content as a policy source; `None` when there is none to judge (an observed object may
/// omit it; the CRD requires it otherwise).
fn source(p: &OrganizationPolicy) -> Option<PolicySource> {
    match &p.content {
        Field::Set { value, pointer } => Some(PolicySource::Text {
            text: value.clone(),
            pointer: pointer.clone(),
        }),
        Field::Unresolved { .. } | Field::Absent => None,
    }
}

pub(super) fn check(p: &OrganizationPolicy, perimeter: &reasoner::Perimeter, add: &mut Add<'_>) {
    let kind = kind(p);
    let rules = rules_of(kind);
    let Some(source) = source(p) else {
        return;
    };
    let policy = match policy_document(&source, policy_kind(kind)) {
        Err((pointer, message)) => return add(rules.invalid, &pointer, message, None),
        Ok(policy) => policy,
    };
    let guardrail = Guardrail::of(kind, &policy);
    let judged: Vec<(Dimension, &'static Rule)> = guardrail
        .dimensions
        .iter()
        .map(|d| (*d, rules.enforce))
        .collect();
    reason(
        &policy,
        &source,
        &Attachment::Guardrail(guardrail),
        perimeter,
        &Judging {
            rules: &judged,
            invalid: rules.invalid,
            advise: &|_, _| None,
        },
        add,
    );
}

/// The findings of an update of a guardrail under one perimeter: a request outside the
/// perimeter that the old version denies and the new one lets through, per dimension either
/// enforces. Nothing when either version is not a guardrail of the same type, or cannot be
/// read (the new version's own findings say why).
pub fn weakening(old: &[Subject], new: &[Subject], dp: &DataPerimeter) -> Vec<Finding> {
    let guardrail = |subjects: &[Subject]| {
        subjects.iter().find_map(|s| match s {
            Subject::OrganizationPolicy(p) => Some(p.clone()),
            _ => None,
        })
    };
    let old_subjects = old;
    let (Some(old), Some(new)) = (guardrail(old), guardrail(new)) else {
        return Vec::new();
    };
    if old.policy_type != new.policy_type {
        return removal(old_subjects, RETYPED, dp);
    }
    let kind = kind(&new);
    let rules = rules_of(kind);
    let read = |p: &OrganizationPolicy| -> Option<(Policy, PolicySource)> {
        let source = source(p)?;
        let policy = policy_document(&source, policy_kind(kind)).ok()?;
        Some((policy, source))
    };
    let (Some((old_policy, _)), Some((new_policy, new_source))) = (read(&old), read(&new)) else {
        return Vec::new();
    };
    let perimeter = dp.perimeter();
    let mut out = Vec::new();
    for v in reasoner::weakening(&old_policy, &new_policy, kind, &perimeter) {
        match v.verdict {
            ReasonerVerdict::Complies => {}
            ReasonerVerdict::Violates(w) => {
                let message = format!(
                    "the old version denied this request from outside the {} perimeter and the new one does not: {}",
                    v.dimension.name(),
                    w.line()
                );
                out.push(Finding::new(
                    rules.weakened,
                    dp,
                    new_source.pointer(),
                    message,
                    Some(Proof {
                        witness: Some(w),
                        fix: None,
                    }),
                ));
            }
            ReasonerVerdict::Undecided(why) => out.push(Finding::new(
                rules.invalid,
                dp,
                new_source.pointer(),
                format!("whether the update weakens the {}: {why}", kind.noun()),
                None,
            )),
        }
    }
    out
}

/// How an update of a guardrail to another type removes it: Organizations cannot change a
/// policy's type in place (AWS Organizations API Reference, "UpdatePolicy": it takes a name, a
/// description and content, no type), so the provider replaces the policy.
pub const RETYPED: &str = "the update changes the policy's type, which Organizations cannot change in place, so the provider replaces the policy";

/// The findings of removing a guardrail under one perimeter, `how` saying how it goes (deleted,
/// or replaced by a policy of another type): every request outside the perimeter that it denied
/// is let through from then on, one of which is the witness, per dimension it enforces. Nothing
/// when `old` holds no guardrail, or one that cannot be read.
pub fn removal(old: &[Subject], how: &str, dp: &DataPerimeter) -> Vec<Finding> {
    let Some(old) = old.iter().find_map(|s| match s {
        Subject::OrganizationPolicy(p) => Some(p),
        _ => None,
    }) else {
        return Vec::new();
    };
    let kind = kind(old);
    let rules = rules_of(kind);
    let Some(source) = source(old) else {
        return Vec::new();
    };
    let Ok(policy) = policy_document(&source, policy_kind(kind)) else {
        return Vec::new();
    };
    // What is left of it: nothing denies.
    let mut nothing = policy.clone();
    nothing.statements.clear();
    let perimeter = dp.perimeter();
    let mut out = Vec::new();
    for v in reasoner::weakening(&policy, &nothing, kind, &perimeter) {
        match v.verdict {
            ReasonerVerdict::Complies => {}
            ReasonerVerdict::Violates(w) => out.push(Finding::new(
                rules.weakened,
                dp,
                source.pointer(),
                format!(
                    "{how}: the {} no longer denies what it denied from outside the {} perimeter, such as this request: {}",
                    kind.noun(),
                    v.dimension.name(),
                    w.line()
                ),
                Some(Proof {
                    witness: Some(w),
                    fix: Some(format!(
                        "keep the {} (to stop managing it from the cluster without deleting it, set spec.deletionPolicy: Orphan first); to change its type, create the new policy beside it",
                        kind.noun()
                    )),
                }),
            )),
            ReasonerVerdict::Undecided(why) => out.push(Finding::new(
                rules.invalid,
                dp,
                source.pointer(),
                format!("{how}: whether removing the {} lets through requests from outside the perimeter: {why}", kind.noun()),
                None,
            )),
        }
    }
    out
}
