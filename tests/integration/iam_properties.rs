//! Properties of the concrete evaluator that must hold for every policy and request.

use crate::common;

use common::policy_gen;
use perimeter_guard::iam::{Outcome, Policy, PolicyKind, evaluate};
use proptest::prelude::*;
use serde_json::Value;

fn parse(v: &Value) -> Policy {
    Policy::from_value(v, PolicyKind::BucketPolicy)
        .unwrap_or_else(|e| panic!("the generator wrote an invalid policy: {e}\n{v:#}"))
}

fn statements(v: &Value) -> Vec<Value> {
    match &v["Statement"] {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

fn with_statements(v: &Value, statements: Vec<Value>) -> Value {
    let mut out = v.clone();
    out["Statement"] = Value::Array(statements);
    out
}

/// Changes the case of condition key names and action names, leaving values alone.
fn recase(v: &Value, upper: &[bool]) -> Value {
    let flip = |s: &str, i: usize| {
        if upper[i % upper.len()] {
            s.to_ascii_uppercase()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let mut out = v.clone();
    let mut counter = 0usize;
    let statements: Vec<Value> = statements(v)
        .into_iter()
        .map(|mut st| {
            for key in ["Action", "NotAction"] {
                match &st[key] {
                    Value::String(a) => {
                        counter += 1;
                        st[key] = Value::String(flip(a, counter));
                    }
                    Value::Array(items) => {
                        st[key] = Value::Array(
                            items
                                .iter()
                                .map(|a| {
                                    counter += 1;
                                    Value::String(flip(a.as_str().unwrap_or_default(), counter))
                                })
                                .collect(),
                        );
                    }
                    _ => {}
                }
            }
            if let Some(Value::Object(ops)) = st.get_mut("Condition") {
                for keys in ops.values_mut() {
                    if let Value::Object(map) = keys {
                        *map = std::mem::take(map)
                            .into_iter()
                            .map(|(k, val)| {
                                counter += 1;
                                (flip(&k, counter), val)
                            })
                            .collect();
                    }
                }
            }
            st
        })
        .collect();
    out["Statement"] = match (&v["Statement"], statements.as_slice()) {
        (Value::Object(_), [single]) => single.clone(),
        _ => Value::Array(statements),
    };
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1500,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn statement_order_never_changes_a_decision(
        doc in policy_gen::policy(),
        requests in proptest::collection::vec(policy_gen::request(), 8),
        seed in any::<u64>(),
    ) {
        let original = parse(&doc);
        let mut shuffled = statements(&doc);
        // A deterministic permutation from the seed: rotate, then reverse on odd seeds.
        let len = shuffled.len();
        shuffled.rotate_left((seed as usize) % len);
        if seed % 2 == 1 {
            shuffled.reverse();
        }
        let reordered = parse(&with_statements(&doc, shuffled));
        for r in &requests {
            let a = evaluate(&original, r);
            let b = evaluate(&reordered, r);
            prop_assert_eq!(a.outcome, b.outcome);
            let sids = |d: &perimeter_guard::iam::Evaluation| {
                let mut s: Vec<_> = d.statements.iter().map(|s| s.sid.clone()).collect();
                s.sort();
                s
            };
            prop_assert_eq!(sids(&a), sids(&b));
        }
    }

    #[test]
    fn case_of_condition_keys_and_actions_never_changes_a_decision(
        doc in policy_gen::policy(),
        requests in proptest::collection::vec(policy_gen::request(), 8),
        upper in proptest::collection::vec(any::<bool>(), 1..6usize),
    ) {
        let original = parse(&doc);
        let recased = parse(&recase(&doc, &upper));
        for r in &requests {
            let mut shouted = r.clone();
            shouted.action = shouted.action.to_ascii_uppercase();
            prop_assert_eq!(evaluate(&original, r), evaluate(&recased, r));
            prop_assert_eq!(evaluate(&original, r).outcome, evaluate(&recased, &shouted).outcome);
        }
    }

    #[test]
    fn adding_a_deny_never_turns_a_denial_into_an_allow(
        doc in policy_gen::policy(),
        deny in policy_gen::statement(),
        requests in proptest::collection::vec(policy_gen::request(), 8),
    ) {
        let mut deny = deny;
        deny["Effect"] = Value::String("Deny".into());
        let mut all = statements(&doc);
        all.push(deny);
        let before = parse(&doc);
        let after = parse(&with_statements(&doc, all));
        for r in &requests {
            let b = evaluate(&before, r).outcome;
            let a = evaluate(&after, r).outcome;
            if b != Outcome::Allow {
                prop_assert_ne!(a, Outcome::Allow);
            }
            if b == Outcome::ExplicitDeny {
                prop_assert_eq!(a, Outcome::ExplicitDeny);
            }
        }
    }

    #[test]
    fn printing_back_and_parsing_again_decides_the_same(
        doc in policy_gen::policy(),
        requests in proptest::collection::vec(policy_gen::request(), 8),
    ) {
        let original = parse(&doc);
        let text = serde_json::to_string_pretty(&original.to_json()).expect("serialisable");
        let again = Policy::parse(&text, PolicyKind::BucketPolicy)
            .unwrap_or_else(|e| panic!("printed policy does not parse: {e}\n{text}"));
        for r in &requests {
            prop_assert_eq!(evaluate(&original, r), evaluate(&again, r));
        }
    }
}

/// The generators must reach every outcome often, or the properties above test little.
#[test]
fn generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut counts = std::collections::HashMap::new();
    for _ in 0..400 {
        let doc = policy_gen::policy()
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        let policy = parse(&doc);
        for _ in 0..10 {
            let r = policy_gen::request()
                .new_tree(&mut runner)
                .expect("tree")
                .current();
            *counts
                .entry(evaluate(&policy, &r).outcome)
                .or_insert(0usize) += 1;
        }
    }
    for outcome in [Outcome::Allow, Outcome::ExplicitDeny, Outcome::ImplicitDeny] {
        let n = counts.get(&outcome).copied().unwrap_or(0);
        assert!(
            n >= 200,
            "{outcome:?} reached only {n} times of 4000: {counts:?}"
        );
    }
}
