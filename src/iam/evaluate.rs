//! The concrete evaluator: one policy, one request, AWS's decision. This is the ground truth the
//! perimeter reasoner is tested against, so it is written to be obviously right, not clever.

use super::arn;
use super::pattern;
use super::policy::{Effect, Policy, PrincipalClause, Statement};
use super::request::Request;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Outcome {
    /// A Deny statement matched: nothing else can allow the request.
    ExplicitDeny,
    /// An Allow statement matched and no Deny did.
    Allow,
    /// Nothing matched: denied unless another policy allows it.
    ImplicitDeny,
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementRef {
    pub index: usize,
    pub sid: Option<String>,
    /// JSON pointer of the statement in the policy document.
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    pub outcome: Outcome,
    /// The statements that decided: every matching Deny for ExplicitDeny, every matching Allow
    /// for Allow, none for ImplicitDeny.
    pub statements: Vec<StatementRef>,
}

/// Decides a request against one policy: an explicit Deny wins over any Allow, an Allow wins
/// over the default implicit deny, and statement order never matters.
pub fn evaluate(policy: &Policy, request: &Request) -> Evaluation {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for st in &policy.statements {
        if applies(st, request) {
            let r = StatementRef {
                index: st.index,
                sid: st.sid.clone(),
                pointer: st.pointer.as_str().to_owned(),
            };
            match st.effect {
                Effect::Allow => allows.push(r),
                Effect::Deny => denies.push(r),
            }
        }
    }
    if !denies.is_empty() {
        Evaluation {
            outcome: Outcome::ExplicitDeny,
            statements: denies,
        }
    } else if !allows.is_empty() {
        Evaluation {
            outcome: Outcome::Allow,
            statements: allows,
        }
    } else {
        Evaluation {
            outcome: Outcome::ImplicitDeny,
            statements: Vec::new(),
        }
    }
}

/// Whether a statement applies to a request: principal AND action AND resource AND every
/// condition.
pub fn applies(st: &Statement, request: &Request) -> bool {
    principal_matches(st, request)
        && action_matches(st, request)
        && resource_matches(st, request)
        && st.conditions.iter().all(|c| c.holds(request))
}

pub fn principal_matches(st: &Statement, request: &Request) -> bool {
    match &st.principal {
        // Identity policies: the statement applies to the identity it is attached to.
        None => true,
        Some(PrincipalClause::Principal(p)) => p.covers(&request.caller),
        Some(PrincipalClause::NotPrincipal(p)) => !p.excludes(&request.caller),
    }
}

pub fn action_matches(st: &Statement, request: &Request) -> bool {
    let listed = st
        .action
        .patterns
        .iter()
        .any(|a| pattern::matches_ignore_ascii_case(&a.pattern, &request.action));
    listed != st.action.negated
}

pub fn resource_matches(st: &Statement, request: &Request) -> bool {
    let Some(clause) = &st.resource else {
        return true;
    };
    // A pattern whose variable has no value matches no resource (IAM guide, "Policy variables
    // with no value"); under NotResource it therefore excludes nothing.
    let listed = clause.patterns.iter().any(|t| {
        t.resolve_glob(request)
            .is_some_and(|g| arn::matches(&g, &request.resource.arn))
    });
    listed != clause.negated
}

#[cfg(test)]
mod tests;
