//! `check` on real upstream Crossplane Compositions: each base managed resource is checked as
//! Crossplane composes it. A policy the base spells out is judged in full, a field a patch writes
//! is an unresolved reference naming the patch, a pipeline step no static check can read is
//! named with its function, and every finding names the Composition, the resource and the line.
//! Each upstream Composition has a twin changed in one place that turns the verdict around.

use crate::common;

use common::cli::{check_json, composed_part as part, finding_rules as rules, run};
use common::corpus::{corpus_root, files_below};
use serde_json::{Value, json};

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

fn composition(file: &str) -> (String, String) {
    let path = corpus_root().join("manifests/crossplane").join(file);
    let text = std::fs::read_to_string(&path).expect("the corpus Composition");
    (path.display().to_string(), text)
}

/// `check --output json` of one file, with any extra flags: the exit code and the report.
fn check(path: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["-f", path];
    args.extend_from_slice(extra);
    check_json(&args, None)
}

/// `check --output sarif` of one file, valid against the SARIF 2.1.0 schema.
fn check_sarif(path: &str) -> Value {
    let out = run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "--output",
            "sarif",
            "-f",
            path,
        ],
        None,
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    assert_eq!(super::cli_check::sarif_errors(&sarif), Vec::<String>::new());
    sarif
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in the file"))
        + 1
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// awslabs/crossplane-on-eks' CloudFront origin Composition (resources mode): its bucket policy
/// is built by a CombineFromComposite patch, so it is known only once a composite exists.
#[test]
fn corpus_a_bucket_policy_a_patch_writes_is_a_reference_naming_the_patch() {
    let (path, source) =
        composition("crossplane-on-eks-cloudfront-s3-origin-oai-composition-legacy.yaml");
    let (code, report) = check(&path, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let policy = part(&report, "bucket-policy");
    assert_eq!(
        policy["partOf"],
        json!({"composition": "s3origin.awsblueprints.io", "resource": "bucket-policy"})
    );
    assert_eq!(policy["decision"], "warn");
    assert_eq!(rules(policy), ["DP-REF-001"]);
    let finding = &policy["findings"][0];
    assert_eq!(finding["pointer"], "/spec/forProvider/rawPolicy");
    assert_eq!(
        finding["line"],
        line_of(&source, "rawPolicy: to-be-patched")
    );
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains(
            "patch 2, CombineFromComposite from the composite's status.oaiId, status.bucketArn"
        ),
        "{message}"
    );
    // The placeholder the patch replaces is never judged as a policy (it is not JSON).
    assert!(!rules(policy).contains(&"DP-BP-005"));
    assert_eq!(part(&report, "s3-bucket")["decision"], "allow");
    // The Composition itself has nothing no static check can read.
    let own = &report["objects"][0];
    assert_eq!(own["object"]["kind"], "Composition");
    assert_eq!(own["decision"], "allow");
}

/// The same Composition with the policy written into the base instead of patched in: a public
/// grant is denied, on the base's line; its twin, pinned to the organization and its endpoint,
/// passes.
#[test]
fn corpus_a_bucket_policy_the_base_spells_out_is_judged_in_full_both_ways() {
    let (_, source) =
        composition("crossplane-on-eks-cloudfront-s3-origin-oai-composition-legacy.yaml");
    let literal = |policy: &str| {
        let mut doc: Value = perimeter_guard::yaml::to_json_at(&source, 1).expect("YAML");
        let resource = &mut doc["spec"]["resources"][2];
        assert_eq!(resource["name"], "bucket-policy");
        resource["base"]["spec"]["forProvider"]["rawPolicy"] = json!(policy);
        let patches = resource["patches"].as_array_mut().unwrap();
        assert_eq!(patches[2]["toFieldPath"], "spec.forProvider.rawPolicy");
        patches.remove(2);
        serde_json::to_string_pretty(&doc).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let public = literal(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site-assets/*"}]}"#,
    );
    let file = write(&dir, "public.json", &public);
    let (code, report) = check(&file, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let policy = part(&report, "bucket-policy");
    assert_eq!(policy["decision"], "deny");
    assert!(rules(policy).contains(&"DP-BP-001"), "{policy:#}");
    let finding = policy["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DP-BP-001")
        .unwrap();
    assert_eq!(finding["line"], line_of(&public, "\"rawPolicy\""));
    assert_eq!(finding["witness"]["principal"]["kind"], "anonymous");

    // Granted only to the organization, through its endpoint, over TLS.
    let pinned = literal(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site-assets/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:SourceVpce":"vpce-1a2b3c4d"}}},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site-assets","arn:aws:s3:::site-assets/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    );
    let file = write(&dir, "pinned.json", &pinned);
    let (code, report) = check(&file, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let policy = part(&report, "bucket-policy");
    assert!(
        !rules(policy).iter().any(|r| r.starts_with("DP-BP")),
        "{policy:#}"
    );
    assert_ne!(policy["decision"], "deny");
}

/// upbound/configuration-aws-eks-velero (resources mode): the bucket policy is patched in, the
/// Block Public Access base is literal and all on. Its twin turns one setting off.
#[test]
fn corpus_a_literal_public_access_block_is_checked_both_ways() {
    let (path, source) = composition("upbound-eks-velero-composition-legacy.yaml");
    let (code, report) = check(&path, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let policy = part(&report, "bucket-policy");
    assert_eq!(rules(policy), ["DP-REF-001"]);
    assert!(
        policy["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("patch 4, CombineFromComposite"),
        "{policy:#}"
    );
    assert_eq!(
        part(&report, "bucket-publicaccessblock")["decision"],
        "allow"
    );
    assert_eq!(part(&report, "bucket-acl")["decision"], "allow");

    let off = source.replacen("blockPublicPolicy: true", "blockPublicPolicy: false", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "velero-off.yaml", &off);
    let (code, report) = check(&file, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let block = part(&report, "bucket-publicaccessblock");
    assert_eq!(block["decision"], "deny");
    assert_eq!(rules(block), ["DP-PAB-001"]);
    assert_eq!(
        block["findings"][0]["line"],
        line_of(&off, "blockPublicPolicy: false")
    );
    assert_eq!(
        block["partOf"]["composition"],
        "xbackups.aws.platformref.upbound.io"
    );
}

/// The same velero Composition in pipeline mode, its resources and patch sets handed to
/// function-patch-and-transform: every resource gets the verdict it got in resources mode.
#[test]
fn corpus_pipeline_mode_reads_patch_and_transform_as_resources_mode_does() {
    let (path, source) = composition("upbound-eks-velero-composition-legacy.yaml");
    let pipeline = |source: &str| {
        let mut doc: Value = perimeter_guard::yaml::to_json_at(source, 1).expect("YAML");
        let spec = doc["spec"].as_object_mut().unwrap();
        let resources = spec.remove("resources").unwrap();
        let sets = spec.remove("patchSets").unwrap();
        spec.insert("mode".into(), json!("Pipeline"));
        spec.insert(
            "pipeline".into(),
            json!([
                {"step": "patch-and-transform", "functionRef": {"name": "function-patch-and-transform"},
                 "input": {"apiVersion": "pt.fn.crossplane.io/v1beta1", "kind": "Resources",
                           "patchSets": sets, "resources": resources}},
                {"step": "ready", "functionRef": {"name": "function-auto-ready"}}
            ]),
        );
        serde_json::to_string_pretty(&doc).unwrap()
    };
    let verdicts = |report: &Value| -> Vec<(String, String, Vec<String>)> {
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["partOf"].is_object())
            .map(|o| {
                (
                    o["partOf"]["resource"].as_str().unwrap().to_owned(),
                    o["decision"].as_str().unwrap().to_owned(),
                    rules(o).into_iter().map(str::to_owned).collect(),
                )
            })
            .collect()
    };
    let (_, legacy) = check(&path, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "velero-pipeline.json", &pipeline(&source));
    let (code, report) = check(&file, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(verdicts(&report), verdicts(&legacy));
    assert!(verdicts(&report).len() >= 3);
    assert_eq!(
        report["objects"][0]["decision"], "allow",
        "auto-ready composes nothing"
    );

    let off = pipeline(&source.replacen("blockPublicPolicy: true", "blockPublicPolicy: false", 1));
    let file = write(&dir, "velero-pipeline-off.json", &off);
    let (code, report) = check(&file, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rules(part(&report, "bucket-publicaccessblock")),
        ["DP-PAB-001"]
    );
}

/// dip-software's S3IRSA Composition renders its bucket policy with function-go-templating: it
/// is named as not statically checkable, a warning that fails a run only with --fail-on warn.
/// SARIF names the Composition and the step's line.
#[test]
fn corpus_a_go_templating_step_is_named_not_passed() {
    let (path, source) = composition("dip-software-s3irsa-composition.yaml");
    let (code, report) = check(&path, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let own = &report["objects"][0];
    assert_eq!(own["object"]["name"], "s3irsa-aws");
    assert_eq!(own["object"]["namespace"], Value::Null, "cluster-scoped");
    assert_eq!(own["decision"], "warn");
    assert_eq!(rules(own), ["DP-COMP-001"]);
    let finding = &own["findings"][0];
    assert_eq!(finding["pointer"], "/spec/pipeline/1");
    assert_eq!(
        finding["line"],
        line_of(&source, "- step: render-resources")
    );
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("runs function-go-templating")
            && message.contains("not statically checkable"),
        "{finding:#}"
    );
    let (code, _) = check(&path, &["--fail-on", "warn"]);
    assert_eq!(code, Some(1));

    let sarif = check_sarif(&path);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "DP-COMP-001");
    assert_eq!(result["level"], "warning");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        line_of(&source, "- step: render-resources")
    );
}

/// A composed resource's SARIF result names its Composition and resource.
#[test]
fn corpus_sarif_names_the_composition_and_resource() {
    let (path, _) = composition("upbound-eks-velero-composition-legacy.yaml");
    let sarif = check_sarif(&path);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "DP-REF-001")
        .expect("the patched policy");
    assert_eq!(
        result["properties"]["partOf"],
        json!({"composition": "xbackups.aws.platformref.upbound.io", "resource": "bucket-policy"})
    );
    assert!(
        result["message"]["text"].as_str().unwrap().contains(
            "(resource bucket-policy of Composition xbackups.aws.platformref.upbound.io)"
        )
    );
}

/// Every Composition in the corpus, now and as it grows, is read without an input error, and
/// each of its resources is either checked or skipped as a kind that is not checked.
#[test]
fn corpus_every_composition_is_read_and_attributed() {
    let root = corpus_root().join("manifests");
    let mut compositions = 0;
    for file in files_below(&root, "yaml") {
        let text = std::fs::read_to_string(root.join(&file)).expect("read");
        if !text.contains("kind: Composition\n") {
            continue;
        }
        compositions += 1;
        let path = root.join(&file).display().to_string();
        let (code, report) = check(&path, &[]);
        assert_ne!(code, Some(2), "{path}: {report:#}");
        assert_eq!(report["errors"], json!([]), "{path}");
        for o in report["objects"].as_array().unwrap() {
            if o["partOf"].is_object() {
                assert!(o["partOf"]["composition"].is_string(), "{o:#}");
                assert!(o["line"].as_u64().unwrap() > 0, "{o:#}");
            }
        }
    }
    assert!(
        compositions >= 3,
        "the corpus has at least three Compositions"
    );
}
