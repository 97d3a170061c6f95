//! Writes the load benchmark's three request mixes as files, one directory per mix with
//! `manifest.txt` listing its bodies, for load generators that cannot build them (wrk's Lua
//! script). Every mix is made of the same checked objects (`benches/support/reviews.rs`):
//!
//! - `repeat`: a CREATE of each object and an UPDATE that changes a label; the same bytes are sent
//!   again and again, as a benchmark does;
//! - `reconcile`: an UPDATE of each object whose `resourceVersion` and one annotation change on
//!   every request while nothing a rule reads does, as controllers resend objects;
//! - `cold`: the `repeat` reviews with one more neutral Deny statement in every policy, different
//!   on every request (new policy text, same verdict), as a rollout sends; objects without a
//!   policy change their metadata as in `reconcile`.
//!
//! A body may hold the marker `@@SEQ@@`; the Lua script replaces it with a number that grows with
//! every request, so no two requests of `reconcile` or `cold` are alike.
//!
//! `cargo run --release -p perimeter-guard-load-bench --bin review_bodies -- DIR`

use perimeter_guard::decision::{ObjectVerdict, evaluate};
use perimeter_guard::perimeter::DataPerimeter;
use perimeter_guard_load_bench::reviews;
use serde_json::{Value, json};

use std::hash::{Hash, Hasher};

const SEQ: &str = "@@SEQ@@";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: review_bodies DIR")?;
    let dir = std::path::Path::new(&dir);
    let perimeters = reviews::example_perimeters();
    let mut objects = reviews::checked_objects(&perimeters);
    // A fixed pseudo-random order: the sources come one after the other (the sized fixtures
    // last), and sent in that order the largest policies would arrive as one burst.
    objects.sort_by_key(|(name, _)| {
        let mut h = std::hash::DefaultHasher::new();
        name.hash(&mut h);
        h.finish()
    });
    let mut repeat = Vec::new();
    let mut reconcile = Vec::new();
    let mut cold = Vec::new();
    for (name, object) in &objects {
        let mut relabelled = object.clone();
        relabelled["metadata"]["labels"]["team"] = json!("data");
        repeat.push(reviews::envelope("CREATE", object, None));
        repeat.push(reviews::envelope("UPDATE", &relabelled, Some(object)));

        reconcile.push(reviews::envelope(
            "UPDATE",
            &reconciled(object, ""),
            Some(&reconciled(object, "0")),
        ));

        let mut extended = reconciled(object, "");
        let mut relabelled_extended = reconciled(&relabelled, "");
        extend_policies(&mut extended);
        extend_policies(&mut relabelled_extended);
        let sample: Value = serde_json::from_str(&extended.to_string().replace(SEQ, "1"))?;
        if rules_found(object, &perimeters) != rules_found(&sample, &perimeters) {
            return Err(format!(
                "{name}: the neutral statement changes the verdict ({:?} against {:?})",
                rules_found(object, &perimeters),
                rules_found(&sample, &perimeters)
            )
            .into());
        }
        cold.push(reviews::envelope("CREATE", &extended, None));
        cold.push(reviews::envelope(
            "UPDATE",
            &relabelled_extended,
            Some(&reconciled(object, "0")),
        ));
    }
    for (mix, bodies) in [("repeat", repeat), ("reconcile", reconcile), ("cold", cold)] {
        let out = dir.join(mix);
        std::fs::create_dir_all(&out)?;
        let mut manifest = String::new();
        for (i, body) in bodies.iter().enumerate() {
            let path = out.join(format!("review-{i:04}.json"));
            std::fs::write(&path, body)?;
            manifest.push_str(&format!("{}\n", path.display()));
        }
        std::fs::write(out.join("manifest.txt"), manifest)?;
    }
    Ok(())
}

/// The rules an object is found to break, as the cold mix's promise of the same verdict reads it.
fn rules_found(object: &Value, perimeters: &[DataPerimeter]) -> Vec<&'static str> {
    match evaluate(object, perimeters) {
        ObjectVerdict::Checked { findings, .. } => {
            let mut rules: Vec<_> = findings.iter().map(|f| f.rule.id).collect();
            rules.sort_unstable();
            rules.dedup();
            rules
        }
        ObjectVerdict::Skipped { .. } => Vec::new(),
    }
}

/// `object` as a controller writes it back: a new `resourceVersion` and a status-driven
/// annotation, `suffix` telling the old object's values from the new one's.
fn reconciled(object: &Value, suffix: &str) -> Value {
    let mut object = object.clone();
    let stamp = format!("{SEQ}{suffix}");
    object["metadata"]["resourceVersion"] = json!(stamp);
    object["metadata"]["annotations"]["example.com/last-reconcile"] = json!(stamp);
    object
}

/// Adds a Deny statement that changes no verdict to every IAM policy in `value`: JSON policy
/// text in a string, a policy object, or Crossplane classic's structured `statements`. It denies
/// everything to callers carrying a principal tag value that no witness needs. It names the
/// policy's own resources rather than a new bucket, since S3 rejects a bucket policy whose
/// Resource is another bucket.
fn extend_policies(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Ok(mut policy @ Value::Object(_)) = serde_json::from_str::<Value>(text)
                && policy.get("Statement").is_some()
            {
                extend_json_policy(&mut policy);
                *text = policy.to_string();
            }
        }
        Value::Object(map) => {
            if map.contains_key("Statement") {
                extend_json_policy(value);
            } else if let Some(Value::Array(statements)) = map.get_mut("statements") {
                let resource = statements
                    .iter()
                    .find_map(|s| s.get("resource").cloned())
                    .unwrap_or(json!(["*"]));
                statements.push(json!({
                    "sid": "BenchNeutral",
                    "effect": "Deny",
                    "principal": {"allowAnon": true},
                    "action": ["s3:*"],
                    "resource": resource,
                    "condition": [{"operatorKey": "StringEquals", "conditions": [
                        {"key": "aws:PrincipalTag/perimeter-guard-bench", "stringValue": format!("cold-{SEQ}")}
                    ]}]
                }));
            } else {
                map.values_mut().for_each(extend_policies);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(extend_policies),
        _ => {}
    }
}

fn extend_json_policy(policy: &mut Value) {
    let statements = match policy.get_mut("Statement") {
        Some(Value::Array(list)) => list,
        Some(single) => {
            *single = Value::Array(vec![single.take()]);
            let Some(Value::Array(list)) = policy.get_mut("Statement") else {
                return;
            };
            list
        }
        None => return,
    };
    let resource = statements
        .iter()
        .find_map(|s| s.get("Resource").cloned())
        .unwrap_or(json!("*"));
    let action = statements
        .iter()
        .find_map(|s| s.get("Action").cloned())
        .unwrap_or(json!("*"));
    statements.push(json!({
        "Sid": "BenchNeutral",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": {"StringEquals": {"aws:PrincipalTag/perimeter-guard-bench": format!("cold-{SEQ}")}}
    }));
}
