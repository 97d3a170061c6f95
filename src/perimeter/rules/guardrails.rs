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
    let (Some(old), Some(new)) = (guardrail(old), guardrail(new)) else {
        return Vec::new();
    };
    if old.policy_type != new.policy_type {
        return Vec::new();
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
