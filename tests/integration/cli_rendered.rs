//! `crossplane render ... | perimeter-guard check -f -`: the resources Crossplane would compose
//! for a composite are checked as the webhook will check them, each attributed to its composite
//! and its resource name in the Composition. The inputs are what `crossplane render` prints for
//! dip-software's S3IRSA Composition (function-go-templating, which `check` cannot read in the
//! Composition itself) with its public-folders composite, and with that composite's public
//! folders removed.

use crate::common;

use common::cli::{check_json, composed_part as by_resource, finding_rules as rules, run, text};
use serde_json::Value;

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

fn rendered(name: &str) -> String {
    std::fs::read_to_string(format!("examples/crossplane-render/{name}")).expect("the example")
}

/// `check -f -` with the rendered stream on standard input: the exit code and the JSON report.
fn check_stdin(stream: &str) -> (Option<i32>, Value) {
    check_json(&["-f", "-"], Some(stream))
}

#[test]
fn a_rendered_public_bucket_is_denied_and_attributed_to_its_composite() {
    let (code, report) = check_stdin(&rendered("s3irsa-public-folders.yaml"));
    assert_eq!(code, Some(1), "{report:#}");
    let policy = by_resource(&report, "s3-bucket-policy");
    assert_eq!(policy["source"], "-");
    assert_eq!(policy["decision"], "deny");
    assert_eq!(
        policy["partOf"]["composite"],
        "S3IRSA my-app/my-app-public-assets"
    );
    assert!(rules(policy).contains(&"DP-BP-001"), "{policy:#}");
    let block = by_resource(&report, "s3-bucket-public-access-block");
    assert_eq!(rules(block), ["DP-PAB-001", "DP-PAB-001"]);
    // The composite itself and the kinds nothing checks are skipped, not failed.
    assert_eq!(report["objects"][0]["decision"], "skipped");
    assert_eq!(report["errors"], Value::Array(Vec::new()));
}

#[test]
fn the_same_composite_without_public_folders_passes() {
    let (code, report) = check_stdin(&rendered("s3irsa-private.yaml"));
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["summary"]["denied"], 0);
    let block = by_resource(&report, "s3-bucket-public-access-block");
    assert_eq!(block["decision"], "allow");
    let policy = by_resource(&report, "s3-bucket-policy");
    assert!(
        !rules(policy).iter().any(|r| r.starts_with("DP-BP")),
        "{policy:#}"
    );
}

/// `crossplane render` of a function-patch-and-transform Composition prints no `metadata.name`,
/// only `generateName`: such resources are checked under that prefix, as the API server stores
/// them under a generated name.
#[test]
fn rendered_resources_named_only_by_generate_name_are_checked() {
    let stream: String = rendered("s3irsa-public-folders.yaml")
        .lines()
        .filter(|l| !l.starts_with("  name: my-app-public-assets-"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (code, report) = check_stdin(&stream);
    assert_eq!(code, Some(1), "{report:#}");
    let policy = by_resource(&report, "s3-bucket-policy");
    assert_eq!(policy["object"]["name"], "my-app-public-assets-");
    assert_eq!(policy["decision"], "deny");
    // Without an owner reference, the composite label names the composite.
    let stream = stream.replace("    controller: true\n", "    controller: false\n");
    let (_, report) = check_stdin(&stream);
    assert_eq!(
        by_resource(&report, "s3-bucket-policy")["partOf"]["composite"],
        "composite my-app-public-assets"
    );
}

#[test]
fn the_text_report_names_the_composite() {
    let out = run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "-f",
            "examples/crossplane-render/s3irsa-public-folders.yaml",
        ],
        None,
    );
    let report = text(&out.stdout);
    assert!(
        report
            .contains("resource s3-bucket-policy composed for S3IRSA my-app/my-app-public-assets"),
        "{report}"
    );
}
