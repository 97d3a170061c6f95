//! Every example in docs/rules.md does what the page says: the failing object triggers its rule,
//! the passing object has no finding at all. Every rule of the catalog has a section.

use perimeter_guard::cli::check::manifests as input;
use perimeter_guard::decision::{ObjectVerdict, evaluate};
use perimeter_guard::perimeter::catalog::RULES;
use perimeter_guard::perimeter::load_perimeters;

fn blocks(section: &str) -> Vec<String> {
    section
        .split("```yaml")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

fn rule_ids(doc: &str, perimeter: &str) -> Vec<String> {
    let perimeters =
        load_perimeters(perimeter, "docs/rules.md").expect("the page's perimeter is valid");
    let docs = input::parse(doc, "docs/rules.md").expect("the example parses");
    assert_eq!(docs.len(), 1, "{doc}");
    match evaluate(&docs[0].value, &perimeters) {
        ObjectVerdict::Checked { findings, .. } => {
            findings.iter().map(|f| f.rule.id.to_owned()).collect()
        }
        ObjectVerdict::Skipped { reason, .. } => panic!("example skipped: {reason}\n{doc}"),
    }
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
        let examples = blocks(section);
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
        let failing = rule_ids(&examples[0], &perimeter);
        assert!(
            failing.iter().any(|id| id == rule.id),
            "{}: the failing example gives {failing:?}",
            rule.id
        );
        let passing = rule_ids(&examples[1], &perimeter);
        assert!(
            passing.is_empty(),
            "{}: the passing example gives {passing:?}",
            rule.id
        );
    }
}
