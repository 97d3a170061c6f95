//! The perimeter reasoner: does any request exist that a policy allows and that lies outside
//! the data perimeter? If so, here it is.
//!
//! The search ranges over a finite universe of representative values built from every literal
//! of the policy and the perimeter (see `values` and `universe`), respects which keys exist for
//! which requests (`model::in_model`), and checks candidates with the concrete evaluator's own
//! functions, so every witness it returns is confirmed by [`crate::iam::evaluate`]. It is bounded
//! by a step budget and says "too complex" rather than run away.

mod catalog;
mod guardrail;
mod model;
mod related;
mod search;
mod universe;
mod values;
mod weakening;
mod witness;

pub use guardrail::{Guardrail, GuardrailKind, RCP_SERVICES};
pub use model::{
    Attachment, BucketMode, Dimension, Door, DoorKind, Perimeter, ServiceSources, ThirdParty,
    access_point_account, in_model, is_directory_bucket_name,
};
pub use weakening::weakening;
pub use witness::Witness;

use crate::iam::evaluate::{Outcome, evaluate};
use crate::iam::policy::{Effect, Policy};
use crate::iam::request::{ContextValue, Request};

use search::{Found, Search};

/// How many candidate values one analysis may try before it gives up (fails closed).
pub const DEFAULT_BUDGET: u64 = 2_000_000;

/// The verdict on one dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum ReasonerVerdict {
    Complies,
    Violates(Box<Witness>),
    /// The search could not finish within its budget, or found a witness the evaluator did not
    /// confirm (which would be a defect): the policy is treated as failing.
    Undecided(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DimensionVerdict {
    pub dimension: Dimension,
    pub verdict: ReasonerVerdict,
}

/// The services requests through this attachment can call that have no action table and are
/// modelled generically (any action name the policy's patterns admit, on any ARN). `*` stands
/// for "services the policy does not name", considered when the endpoint's service is unknown.
pub fn generic_services(policy: &Policy, attachment: &Attachment) -> Vec<String> {
    let scope = universe::service_scope(policy, attachment);
    let (unnamed, mut named): (Vec<String>, Vec<String>) =
        scope.generic.into_iter().partition(|s| s == "freshsvc");
    if !unnamed.is_empty() {
        named.push("services the policy does not name".to_owned());
    }
    named
}

/// The actions the policy names that the action tables of their service do not list (see
/// `catalog::unlisted_actions`): modelled generically, and worth a note.
pub fn unlisted_actions(policy: &Policy, attachment: &Attachment) -> Vec<String> {
    universe::unlisted_actions(policy, attachment)
}

/// The dimensions a policy attached this way is judged on.
pub fn dimensions(attachment: &Attachment, perimeter: &Perimeter) -> Vec<Dimension> {
    match attachment {
        Attachment::Endpoint { .. } => vec![Dimension::Identity, Dimension::Resource],
        Attachment::Bucket { .. }
        | Attachment::Door(Door {
            kind: DoorKind::DirectoryBucket,
            ..
        }) => {
            let mut d = vec![Dimension::Identity, Dimension::Network];
            if perimeter.bucket_mode == BucketMode::Enforce {
                d.push(Dimension::Enforce);
            }
            d
        }
        // An access point policy grants; denying every request from outside is the bucket
        // policy's work (bucketPolicyMode).
        Attachment::Door(_) => vec![Dimension::Identity, Dimension::Network],
        Attachment::Guardrail(g) => g.dimensions.clone(),
    }
}

/// Analyses a policy in every dimension that applies to its attachment.
pub fn analyze(
    policy: &Policy,
    attachment: &Attachment,
    perimeter: &Perimeter,
) -> Vec<DimensionVerdict> {
    analyze_with_budget(policy, attachment, perimeter, DEFAULT_BUDGET)
}

pub fn analyze_with_budget(
    policy: &Policy,
    attachment: &Attachment,
    perimeter: &Perimeter,
    budget: u64,
) -> Vec<DimensionVerdict> {
    let dims = dimensions(attachment, perimeter);
    // Without an Allow statement nothing is granted; only Enforce needs a search.
    if !dims.contains(&Dimension::Enforce)
        && !matches!(attachment, Attachment::Guardrail(_))
        && policy.statements.iter().all(|s| s.effect == Effect::Deny)
    {
        return dims
            .into_iter()
            .map(|dimension| DimensionVerdict {
                dimension,
                verdict: ReasonerVerdict::Complies,
            })
            .collect();
    }
    // The search looks for a request through each Allow statement in turn; statements that
    // differ only in their Resource are searched as one (witnesses are still evaluated, and
    // their statements named, against the policy as written).
    let searched = merge_allows(policy);
    let universe = match universe::build(&searched, attachment, perimeter) {
        Ok(u) => u,
        Err(universe::TooMany(why)) => {
            return dims
                .into_iter()
                .map(|dimension| DimensionVerdict {
                    dimension,
                    verdict: ReasonerVerdict::Undecided(format!("too complex to decide: {why}")),
                })
                .collect();
        }
    };
    let Some(mut search) = Search::new(&searched, perimeter, &universe, budget) else {
        let why = "too complex to decide: more condition keys than the search can track".to_owned();
        return dims
            .into_iter()
            .map(|dimension| DimensionVerdict {
                dimension,
                verdict: ReasonerVerdict::Undecided(why.clone()),
            })
            .collect();
    };
    let key_names: Vec<String> = universe.keys.iter().map(|k| k.key.clone()).collect();
    dims.into_iter()
        .map(|dimension| {
            let verdict = decide(
                &mut search,
                (policy, &searched),
                attachment,
                perimeter,
                dimension,
                &key_names,
                budget,
            );
            DimensionVerdict { dimension, verdict }
        })
        .collect()
}

/// The policy with every group of Allow statements that differ only in their Resource patterns
/// merged into one statement granting all of their patterns: the same requests are allowed
/// (a request is allowed when some Allow statement matches it and no Deny does), and the search,
/// which looks for a request through each Allow statement in turn, runs once per group. Large
/// bucket policies repeat one grant per prefix (one statement per team's folder).
fn merge_allows(policy: &Policy) -> std::borrow::Cow<'_, Policy> {
    use crate::iam::policy::Statement;
    fn plain(s: &Statement) -> bool {
        s.resource.as_ref().is_some_and(|r| !r.negated)
    }
    fn same_conditions(a: &Statement, b: &Statement) -> bool {
        a.conditions.len() == b.conditions.len()
            && a.conditions
                .iter()
                .zip(&b.conditions)
                .all(|(x, y)| x.operator == y.operator && x.key == y.key && x.values == y.values)
    }
    fn same_actions(a: &Statement, b: &Statement) -> bool {
        a.action.negated == b.action.negated
            && a.action.patterns.len() == b.action.patterns.len()
            && a.action
                .patterns
                .iter()
                .zip(&b.action.patterns)
                .all(|(x, y)| x.pattern == y.pattern)
    }
    let same_but_resource = |a: &Statement, b: &Statement| {
        a.effect == Effect::Allow
            && b.effect == Effect::Allow
            && plain(a)
            && plain(b)
            && a.principal == b.principal
            && same_actions(a, b)
            && same_conditions(a, b)
    };
    let mut merged: Vec<Statement> = Vec::with_capacity(policy.statements.len());
    let mut changed = false;
    for s in &policy.statements {
        match merged.iter_mut().find(|m| same_but_resource(m, s)) {
            Some(m) => {
                if let (Some(into), Some(from)) = (m.resource.as_mut(), s.resource.as_ref()) {
                    for p in &from.patterns {
                        if !into.patterns.contains(p) {
                            into.patterns.push(p.clone());
                        }
                    }
                }
                changed = true;
            }
            None => merged.push(s.clone()),
        }
    }
    if !changed {
        return std::borrow::Cow::Borrowed(policy);
    }
    for (i, s) in merged.iter_mut().enumerate() {
        s.index = i;
    }
    std::borrow::Cow::Owned(Policy {
        kind: policy.kind,
        version: policy.version,
        id: policy.id.clone(),
        statements: merged,
        statement_is_list: policy.statement_is_list,
    })
}

/// `policy` is the policy as written, `searched` the same policy as the search reads it
/// ([`merge_allows`]).
fn decide(
    search: &mut Search<'_>,
    (policy, searched): (&Policy, &Policy),
    attachment: &Attachment,
    perimeter: &Perimeter,
    dimension: Dimension,
    keys: &[String],
    budget: u64,
) -> ReasonerVerdict {
    let allows = || {
        searched
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
    };
    // A guardrail lets through what no Deny statement denies; an SCP with Allow statements
    // also only what one of them allows (AWS Organizations User Guide, "SCP evaluation": an
    // action must be allowed by an SCP to be permitted). An RCP's Allow statements are AWS's
    // own RCPFullAWSAccess at most ("RCP syntax": customer RCPs only deny), and allow all.
    let guardrail_allows = match attachment {
        Attachment::Guardrail(g) => Some(g.kind == GuardrailKind::Scp && allows().next().is_some()),
        _ => None,
    };
    let runs: Vec<(Dimension, Option<&crate::iam::policy::Statement>)> = match dimension {
        Dimension::Enforce => vec![(Dimension::Identity, None), (Dimension::Network, None)],
        d if guardrail_allows == Some(false) => vec![(d, None)],
        d => searched
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .map(|s| (d, Some(s)))
            .collect(),
    };
    for (preds, target) in runs {
        match search.run(preds, target) {
            Found::None => {}
            Found::OverBudget => {
                return ReasonerVerdict::Undecided(format!(
                    "too complex to decide: the search tried {budget} candidate values without an answer"
                ));
            }
            Found::Witness(request) => {
                let request = complete(*request, attachment);
                let decision = evaluate(policy, &request);
                let delegated = target.is_some()
                    && matches!(attachment, Attachment::Bucket { .. })
                    && perimeter.delegated_to_access_point(&request);
                let through = match (dimension, guardrail_allows) {
                    (Dimension::Enforce, _) | (_, Some(false)) => {
                        decision.outcome != Outcome::ExplicitDeny
                    }
                    _ => decision.outcome == Outcome::Allow,
                };
                let guardrail_scope = match attachment {
                    Attachment::Guardrail(g) => g.in_scope(dimension, &request.action),
                    _ => true,
                };
                let confirmed = through
                    && guardrail_scope
                    && perimeter.outside(dimension, &request)
                    && !delegated
                    && in_model(&request, attachment, perimeter);
                if !confirmed {
                    return ReasonerVerdict::Undecided(
                        "the reasoner produced a request the evaluator does not confirm; failing closed".to_owned(),
                    );
                }
                return ReasonerVerdict::Violates(Box::new(Witness::new(
                    dimension, request, decision, keys,
                )));
            }
        }
    }
    ReasonerVerdict::Complies
}

/// Gives the keys AWS puts in every request a value when the policy never reads them (so the
/// value cannot change the decision), choosing values that keep the request outside.
fn complete(mut r: Request, attachment: &Attachment) -> Request {
    for &(key, value) in model::ALWAYS_PRESENT {
        r.context
            .entry(key.to_owned())
            .or_insert_with(|| ContextValue::One(value.to_owned()));
    }
    // aws:userid follows the caller (IAM User Guide, "Principal key values").
    let userid = crate::iam::userid::canonical(&r.caller);
    r.context
        .entry("aws:userid".to_owned())
        .or_insert(ContextValue::One(userid));
    complete_access_point_keys(&mut r, attachment);
    r
}

/// S3 puts the access point keys in every request made through an access point, together
/// (see `model::access_point_keys_hold`): those the policy never read are filled to agree with
/// the rest.
fn complete_access_point_keys(r: &mut Request, attachment: &Attachment) {
    let one = |v: String| ContextValue::One(v);
    let origin = match attachment {
        Attachment::Door(d) if d.kind == DoorKind::AccessPoint => d.network_origin(),
        _ => "Internet",
    };
    let (arn, account) = match model::access_point_of(&r.resource.arn) {
        Some((own, owner)) => (own, owner.to_owned()),
        None => {
            if !model::ACCESS_POINT_KEYS
                .iter()
                .any(|k| r.context.contains_key(*k))
            {
                return;
            }
            let account = model::access_point_account(r)
                .unwrap_or("999999999999")
                .to_owned();
            let arn = format!("arn:aws:s3:us-east-1:{account}:accesspoint/fresh-access-point");
            (arn, account)
        }
    };
    for (key, value) in [
        ("s3:dataaccesspointarn", arn),
        ("s3:dataaccesspointaccount", account),
        ("s3:accesspointnetworkorigin", origin.to_owned()),
    ] {
        r.context.entry(key.to_owned()).or_insert(one(value));
    }
}

#[cfg(test)]
mod tests;
