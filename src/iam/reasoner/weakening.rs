//! Whether an update weakens a guardrail: a request outside the perimeter that the old version
//! denies and the new one lets through.
//!
//! The old version denies a request through one of its Deny statements, or, for an SCP with
//! Allow statements, because none of them allows it (AWS Organizations User Guide, "SCP
//! evaluation"). Each way is searched: each old Deny statement in turn as the statement the
//! request must match, against the new version's Deny statements, which must not; and the old
//! version's Allow statements as statements the request must not match, with the new version's
//! Allow statements (if any) as the one it must. Over what either version enforces
//! ([`Guardrail::of_versions`]).

use crate::iam::evaluate::{Outcome, evaluate};
use crate::iam::policy::{Effect, Policy, Statement};
use crate::iam::request::Request;

use super::guardrail::{Guardrail, GuardrailKind};
use super::model::{Attachment, Dimension, Perimeter, in_model};
use super::search::{Found, Search};
use super::{DEFAULT_BUDGET, DimensionVerdict, ReasonerVerdict, Witness, complete, universe};

/// One search family: the policy it reads (its Deny statements are those a witness must not
/// match) and the statements a witness must match, one at a time (`None`: none).
struct Family {
    policy: Policy,
    targets: Vec<Option<usize>>,
    /// Whether its targets are the new version's Allow statements, when it has some.
    reads_new_allows: bool,
}

/// `policy`'s statements with `effect`, as statements of `effect` in `into`, their indices there.
fn append(into: &mut Policy, from: &Policy, from_effect: Effect, as_effect: Effect) -> Vec<usize> {
    let mut added = Vec::new();
    for s in from.statements.iter().filter(|s| s.effect == from_effect) {
        let mut s: Statement = s.clone();
        s.effect = as_effect;
        s.index = into.statements.len();
        added.push(s.index);
        into.statements.push(s);
    }
    added
}

/// For each dimension either version enforces: a request outside the perimeter that `old`
/// denies and `new` lets through, if there is one.
pub fn weakening(
    old: &Policy,
    new: &Policy,
    kind: GuardrailKind,
    perimeter: &Perimeter,
) -> Vec<DimensionVerdict> {
    let guardrail = Guardrail::of_versions(kind, &[old, new]);
    let attachment = Attachment::Guardrail(guardrail.clone());
    let has_allows = |p: &Policy| {
        kind == GuardrailKind::Scp && p.statements.iter().any(|s| s.effect == Effect::Allow)
    };
    let (old_allows, new_allows) = (has_allows(old), has_allows(new));
    // The search reads only Deny statements as those a witness must not match, and one other
    // as the statement it must: the new version's statements (its Allow statements are not
    // read) with the old version's Deny statements as the ones to match.
    let mut through_deny = new.clone();
    through_deny.statements.retain(|s| s.effect == Effect::Deny);
    let targets = append(&mut through_deny, old, Effect::Deny, Effect::Allow);
    let mut families = vec![Family {
        policy: through_deny,
        targets: targets.into_iter().map(Some).collect(),
        reads_new_allows: false,
    }];
    if old_allows {
        // What none of the old Allow statements allows, that the new version lets through.
        let mut unallowed = new.clone();
        unallowed.statements.retain(|s| s.effect == Effect::Deny);
        let targets = if new_allows {
            append(&mut unallowed, new, Effect::Allow, Effect::Allow)
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None]
        };
        append(&mut unallowed, old, Effect::Allow, Effect::Deny);
        families.push(Family {
            policy: unallowed,
            targets,
            reads_new_allows: true,
        });
    }
    let old_denies = |r: &Request| {
        let outcome = evaluate(old, r).outcome;
        outcome == Outcome::ExplicitDeny || (old_allows && outcome != Outcome::Allow)
    };
    let lets_through = |outcome: Outcome| {
        if new_allows {
            outcome == Outcome::Allow
        } else {
            outcome != Outcome::ExplicitDeny
        }
    };
    let mut verdicts: Vec<(Dimension, ReasonerVerdict)> = guardrail
        .dimensions
        .iter()
        .map(|d| (*d, ReasonerVerdict::Complies))
        .collect();
    for family in &families {
        let universe = match universe::build(&family.policy, &attachment, perimeter) {
            Ok(u) => u,
            Err(universe::TooMany(why)) => {
                undecide(&mut verdicts, &format!("too complex to decide: {why}"));
                continue;
            }
        };
        let Some(mut search) = Search::new(&family.policy, perimeter, &universe, DEFAULT_BUDGET)
        else {
            undecide(
                &mut verdicts,
                "too complex to decide: more condition keys than the search can track",
            );
            continue;
        };
        let keys: Vec<String> = universe.keys.iter().map(|k| k.key.clone()).collect();
        for (dimension, verdict) in verdicts.iter_mut() {
            if !matches!(verdict, ReasonerVerdict::Complies) {
                continue;
            }
            for target in &family.targets {
                let target = target.map(|i| &family.policy.statements[i]);
                match search.run(*dimension, target) {
                    Found::None => {}
                    Found::OverBudget => {
                        *verdict = ReasonerVerdict::Undecided(format!(
                            "too complex to decide: the search tried {DEFAULT_BUDGET} candidate values without an answer"
                        ));
                        break;
                    }
                    Found::Witness(request) => {
                        let request = complete(*request, &attachment);
                        let now = evaluate(new, &request);
                        let confirmed = old_denies(&request)
                            && lets_through(now.outcome)
                            && guardrail.in_scope(*dimension, &request.action)
                            && perimeter.outside(*dimension, &request)
                            && in_model(&request, &attachment, perimeter);
                        if confirmed {
                            *verdict = ReasonerVerdict::Violates(Box::new(Witness::new(
                                *dimension, request, now, &keys,
                            )));
                            break;
                        }
                        // Through an old Deny statement, the search does not read the new
                        // version's Allow statements: one that none of them allows is no
                        // witness, and this statement is searched no further.
                        if !family.reads_new_allows && new_allows && !lets_through(now.outcome) {
                            continue;
                        }
                        *verdict = ReasonerVerdict::Undecided(
                            "the reasoner produced a request the evaluator does not confirm; failing closed".to_owned(),
                        );
                        break;
                    }
                }
            }
        }
    }
    verdicts
        .into_iter()
        .map(|(dimension, verdict)| DimensionVerdict { dimension, verdict })
        .collect()
}

/// Every dimension not yet found violated is undecided.
fn undecide(verdicts: &mut [(Dimension, ReasonerVerdict)], why: &str) {
    for (_, v) in verdicts.iter_mut() {
        if matches!(v, ReasonerVerdict::Complies) {
            *v = ReasonerVerdict::Undecided(why.to_owned());
        }
    }
}
