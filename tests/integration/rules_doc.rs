//! Every example in docs/rules.md does what the page says: the failing object triggers its rule,
//! the passing object has no finding at all. Every rule of the catalog has a section. A rule about
//! updates has the old version first (a ```` ```yaml before ```` block): its examples are the new
//! versions of an update of it, judged as the webhook judges an update.

use perimeter_guard::cli::check::manifests as input;
use perimeter_guard::decision::{ObjectVerdict, evaluate, update_findings};
use perimeter_guard::perimeter::catalog::RULES;
use perimeter_guard::perimeter::load_perimeters;

fn blocks(section: &str) -> Vec<String> {
    section
        .split("```yaml")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

fn object(doc: &str) -> serde_json::Value {
    let docs = input::parse(doc, "docs/rules.md").expect("the example parses");
    assert_eq!(docs.len(), 1, "{doc}");
    docs[0].value.clone()
}

/// The rules of the findings of `doc`, as created, or as an update of `before`.
fn rule_ids(doc: &str, before: Option<&str>, perimeter: &str) -> Vec<String> {
    let perimeters =
        load_perimeters(perimeter, "docs/rules.md").expect("the page's perimeter is valid");
    let new = object(doc);
    let mut ids: Vec<String> = match evaluate(&new, &perimeters) {
        ObjectVerdict::Checked { findings, .. } => {
            findings.iter().map(|f| f.rule.id.to_owned()).collect()
        }
        ObjectVerdict::Skipped { reason, .. } => panic!("example skipped: {reason}\n{doc}"),
    };
    if let Some(before) = before {
        ids.extend(
            update_findings(&object(before), &new, &perimeters)
                .iter()
                .map(|f| f.rule.id.to_owned()),
        );
    }
    ids
}

#[test]
fn every_rule_has_a_failing_and_a_passing_example_that_behave() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
        .expect("docs/rules.md");
    let perimeter = page
        .split("```yaml perimeter")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the page's perimeter block")
        .trim_start_matches('\n')
        .to_owned();
    for rule in RULES {
        let section = page
            .split(&format!("\n## {}\n", rule.id))
            .nth(1)
            .unwrap_or_else(|| panic!("docs/rules.md has no section for {}", rule.id));
        let section = section.split("\n## ").next().unwrap_or_default();
        let mut examples = blocks(section);
        let before = match examples.first() {
            Some(b) if b.starts_with(" before\n") => Some(
                examples
                    .remove(0)
                    .trim_start_matches(" before\n")
                    .to_owned(),
            ),
            _ => None,
        };
        assert_eq!(
            examples.len(),
            2,
            "{}: a failing and a passing example",
            rule.id
        );
        let perimeter = if rule.id == "DP-BP-003" {
            format!("{perimeter}\n  bucketPolicyMode: Enforce\n")
        } else {
            perimeter.clone()
        };
        let failing = rule_ids(&examples[0], before.as_deref(), &perimeter);
        assert!(
            failing.iter().any(|id| id == rule.id),
            "{}: the failing example gives {failing:?}",
            rule.id
        );
        let passing = rule_ids(&examples[1], before.as_deref(), &perimeter);
        assert!(
            passing.is_empty(),
            "{}: the passing example gives {passing:?}",
            rule.id
        );
    }
}
