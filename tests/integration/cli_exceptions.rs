//! PerimeterExceptions in `check`: a waived finding is still reported, as waived, with the
//! exception, its owner and its expiry; an expired exception waives nothing; an invalid one stops
//! the run with the field at fault.

use crate::common;

use common::admission::example;
use common::cli::{run, text};
use serde_json::Value;

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";
const ACK: &str = "manifests/examples/ack.yaml";

/// An RFC 3339 time `days` from now (negative: in the past).
fn days_from_now(days: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn exception(name: &str, expires_at: &str, rules: &str, matching: &str) -> String {
    format!(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: PerimeterException\nmetadata:\n  name: {name}\nspec:\n  owner: data-platform@example.com\n  reason: partner migration, ticket SEC-1234\n  expiresAt: \"{expires_at}\"\n  rules: {rules}\n  match: {matching}\n"
    )
}

/// The example Bucket `analytics/uploads` alone (one finding: DP-DEST-001), as a JSON file.
fn uploads(dir: &std::path::Path) -> String {
    let path = dir.join("uploads.json");
    std::fs::write(&path, example(ACK, "uploads").to_string()).expect("write");
    path.display().to_string()
}

/// `check` of the example perimeter with `args` and `--output output`: the exit code, the
/// report (null when it is not JSON) and standard error.
fn check_as(output: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["check", "--perimeter", PERIMETER, "--output", output];
    all.extend_from_slice(args);
    let out = run(&all, None);
    let stderr = text(&out.stderr);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), v, stderr)
}

fn check(args: &[&str]) -> (Option<i32>, Value, String) {
    check_as("json", args)
}

const UPLOADS: &str = "{kinds: [Bucket], namespaces: [analytics], names: [uploads]}";

#[test]
fn an_active_exception_waives_its_rule_and_the_finding_is_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let object = uploads(dir.path());
    let file = dir.path().join("exceptions.yaml");
    std::fs::write(
        &file,
        exception(
            "uploads-partner",
            &days_from_now(30),
            "[DP-DEST-001]",
            UPLOADS,
        ),
    )
    .unwrap();
    let (code, v, stderr) = check(&["-f", &object, "--exceptions", &file.display().to_string()]);
    assert_eq!(code, Some(0), "{stderr}");
    let o = &v["objects"][0];
    assert_eq!(o["decision"], "allow");
    let f = &o["findings"][0];
    assert_eq!(f["rule"], "DP-DEST-001");
    assert_eq!(f["enforcement"], "deny", "the rule's enforcement is kept");
    assert_eq!(f["waivedBy"]["exception"], "uploads-partner");
    assert_eq!(f["waivedBy"]["owner"], "data-platform@example.com");
    assert_eq!(
        f["waivedBy"]["reason"],
        "partner migration, ticket SEC-1234"
    );
    assert_eq!(v["summary"]["waived"], 1);

    // The text report names it too.
    let out = run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "-f",
            &object,
            "--exceptions",
            &file.display().to_string(),
        ],
        None,
    );
    let report = text(&out.stdout);
    assert!(
        report.contains("waived by PerimeterException uploads-partner (owner data-platform@example.com, expires "),
        "{report}"
    );
    assert!(report.contains("(1 waived)"), "{report}");
}

#[test]
fn an_expired_exception_or_one_for_another_rule_or_object_waives_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let object = uploads(dir.path());
    for (name, expires, rules, matching) in [
        ("expired", days_from_now(-1), "[DP-DEST-001]", UPLOADS),
        ("other-rule", days_from_now(30), "[DP-BP-001]", UPLOADS),
        (
            "other-object",
            days_from_now(30),
            "[DP-DEST-001]",
            "{namespaces: [analytics], names: [ledger]}",
        ),
        (
            "other-labels",
            days_from_now(30),
            "[DP-DEST-001]",
            "{labelSelector: {matchLabels: {app: exchange}}}",
        ),
    ] {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, exception(name, &expires, rules, matching)).unwrap();
        let (code, v, stderr) =
            check(&["-f", &object, "--exceptions", &file.display().to_string()]);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        let f = &v["objects"][0]["findings"][0];
        assert_eq!(v["objects"][0]["decision"], "deny", "{name}");
        assert_eq!(f["rule"], "DP-DEST-001", "{name}");
        assert!(f["waivedBy"].is_null(), "{name}: {f}");
        assert!(v["summary"].get("waived").is_none(), "{name}");
    }
}

#[test]
fn a_waived_rule_leaves_the_objects_other_findings_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.yaml");
    std::fs::write(
        &file,
        exception(
            "dynamodb",
            &days_from_now(10),
            "[DP-EP-010]",
            "{names: [dynamodb-open]}",
        ),
    )
    .unwrap();
    let (code, v, _) = check(&["-f", ACK, "--exceptions", &file.display().to_string()]);
    assert_eq!(code, Some(1));
    let o = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object"]["name"] == "dynamodb-open")
        .unwrap();
    assert_eq!(o["decision"], "deny", "DP-EP-001 is not waived");
    let waived: Vec<(&str, bool)> = o["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), !f["waivedBy"].is_null()))
        .collect();
    assert_eq!(waived, [("DP-EP-001", false), ("DP-EP-010", true)]);
}

#[test]
fn an_invalid_exception_stops_the_run_with_the_field_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let object = uploads(dir.path());
    for (name, body, field) in [
        (
            "wildcard",
            exception("wildcard", &days_from_now(10), "[\"DP-DEST-*\"]", UPLOADS),
            "spec.rules[0]",
        ),
        (
            "unknown-rule",
            exception("unknown-rule", &days_from_now(10), "[DP-NOPE-001]", UPLOADS),
            "spec.rules[0]",
        ),
        (
            "too-long",
            exception("too-long", &days_from_now(120), "[DP-DEST-001]", UPLOADS),
            "spec.expiresAt",
        ),
        (
            "matches-everything",
            exception(
                "matches-everything",
                &days_from_now(10),
                "[DP-DEST-001]",
                "{kinds: [Bucket]}",
            ),
            "spec.match",
        ),
        (
            "no-expiry",
            exception("no-expiry", &days_from_now(10), "[DP-DEST-001]", UPLOADS)
                .replace("  expiresAt:", "  # expiresAt:"),
            "spec: missing field `expiresAt`",
        ),
    ] {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, body).unwrap();
        let (code, _, stderr) =
            check(&["-f", &object, "--exceptions", &file.display().to_string()]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}.yaml: {field}")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_waived_finding_is_a_suppressed_sarif_result() {
    let dir = tempfile::tempdir().unwrap();
    let object = uploads(dir.path());
    let file = dir.path().join("e.yaml");
    std::fs::write(
        &file,
        exception(
            "uploads-partner",
            &days_from_now(30),
            "[DP-DEST-001]",
            UPLOADS,
        ),
    )
    .unwrap();
    let (code, sarif, stderr) = check_as(
        "sarif",
        &["-f", &object, "--exceptions", &file.display().to_string()],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let errors = super::cli_check::sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "DP-DEST-001");
    let s = &result["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(s["justification"], "partner migration, ticket SEC-1234");
    assert_eq!(s["properties"]["exception"], "uploads-partner");
}
