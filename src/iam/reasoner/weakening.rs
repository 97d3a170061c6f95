//! Whether an update weakens a guardrail: a request outside the perimeter that the old version
//! denies and the new one lets through.
//!
//! Each Deny statement of the old version is searched in turn as the statement that must match
//! (the old version denies the request through it), against the new version's Deny statements,
//! which must not; over what either version enforces ([`Guardrail::of_versions`]).

use crate::iam::evaluate::{Outcome, evaluate};
use crate::iam::policy::{Effect, Policy};

use super::guardrail::{Guardrail, GuardrailKind};
use super::model::{Attachment, Perimeter, in_model};
use super::search::{Found, Search};
use super::{DEFAULT_BUDGET, DimensionVerdict, ReasonerVerdict, Witness, complete, universe};

/// For each dimension either version enforces: a request outside the perimeter that `old`
/// denies and `new` lets through, if there is one.
///
/// An SCP's Allow statements of the new version only deny more (AWS Organizations User Guide,
/// "SCP evaluation"): a request one of them does not allow is not let through, and is no
/// witness. What the old version denied only for want of an Allow statement is not searched: a
/// wider Allow list is not found to weaken it.
pub fn weakening(
    old: &Policy,
    new: &Policy,
    kind: GuardrailKind,
    perimeter: &Perimeter,
) -> Vec<DimensionVerdict> {
    let guardrail = Guardrail::of_versions(kind, &[old, new]);
    let attachment = Attachment::Guardrail(guardrail.clone());
    // The old version's Deny statements, each as the statement a request must match, beside
    // the new version's statements: the search reads the Deny statements as those that must
    // not match.
    let mut combined = new.clone();
    let first_old = combined.statements.len();
    for s in old.statements.iter().filter(|s| s.effect == Effect::Deny) {
        let mut s = s.clone();
        s.effect = Effect::Allow;
        s.index = combined.statements.len();
        combined.statements.push(s);
    }
    let new_allows =
        kind == GuardrailKind::Scp && new.statements.iter().any(|s| s.effect == Effect::Allow);
    let undecided = |why: String| {
        guardrail
            .dimensions
            .iter()
            .map(|d| DimensionVerdict {
                dimension: *d,
                verdict: ReasonerVerdict::Undecided(why.clone()),
            })
            .collect()
    };
    let universe = match universe::build(&combined, &attachment, perimeter) {
        Ok(u) => u,
        Err(universe::TooMany(why)) => return undecided(format!("too complex to decide: {why}")),
    };
    let Some(mut search) = Search::new(&combined, perimeter, &universe, DEFAULT_BUDGET) else {
        return undecided(
            "too complex to decide: more condition keys than the search can track".to_owned(),
        );
    };
    let keys: Vec<String> = universe.keys.iter().map(|k| k.key.clone()).collect();
    let lets_through = |outcome: Outcome| {
        if new_allows {
            outcome == Outcome::Allow
        } else {
            outcome != Outcome::ExplicitDeny
        }
    };
    let mut out = Vec::new();
    for &dimension in &guardrail.dimensions {
        let mut verdict = ReasonerVerdict::Complies;
        for target in &combined.statements[first_old..] {
            match search.run(dimension, Some(target)) {
                Found::None => {}
                Found::OverBudget => {
                    verdict = ReasonerVerdict::Undecided(format!(
                        "too complex to decide: the search tried {DEFAULT_BUDGET} candidate values without an answer"
                    ));
                    break;
                }
                Found::Witness(request) => {
                    let request = complete(*request, &attachment);
                    let now = evaluate(new, &request);
                    let confirmed = evaluate(old, &request).outcome == Outcome::ExplicitDeny
                        && lets_through(now.outcome)
                        && guardrail.in_scope(dimension, &request.action)
                        && perimeter.outside(dimension, &request)
                        && in_model(&request, &attachment, perimeter);
                    if confirmed {
                        verdict = ReasonerVerdict::Violates(Box::new(Witness::new(
                            dimension, request, now, &keys,
                        )));
                        break;
                    }
                    // The new version's Allow statements, which the search does not read, may
                    // deny it; anything else is a defect, and fails closed.
                    if !new_allows {
                        verdict = ReasonerVerdict::Undecided(
                            "the reasoner produced a request the evaluator does not confirm; failing closed".to_owned(),
                        );
                        break;
                    }
                }
            }
        }
        out.push(DimensionVerdict { dimension, verdict });
    }
    out
}
