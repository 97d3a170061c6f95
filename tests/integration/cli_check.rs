//! `perimeter-guard check` as a CI pipeline runs it: files, directories, stdin, every output.

use crate::common;

use common::cli::{check_examples, run, text};
use serde_json::Value;

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

#[test]
fn examples_exit_1_with_the_expected_rules() {
    let out = check_examples(&["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut found: Vec<(String, String, String)> = Vec::new();
    for o in v["objects"].as_array().unwrap() {
        for f in o["findings"].as_array().into_iter().flatten() {
            found.push((
                o["object"]["name"].as_str().unwrap().into(),
                f["rule"].as_str().unwrap().into(),
                f["pointer"].as_str().unwrap().into(),
            ));
        }
    }
    let expected = [
        ("dynamodb-open", "DP-EP-001", "/spec/policyDocument"),
        ("dynamodb-open", "DP-EP-010", "/spec/serviceName"),
        ("partner-facing", "DP-ES-001", "/spec/allowedPrincipals/1"),
        ("public-site", "DP-BP-001", "/spec/policy"),
        ("public-site", "DP-BP-002", "/spec/policy"),
        ("public-site", "DP-BP-004", "/spec/policy"),
        (
            "public-site",
            "DP-PAB-001",
            "/spec/publicAccessBlock/blockPublicPolicy",
        ),
        (
            "uploads",
            "DP-DEST-001",
            "/spec/notification/topicConfigurations/0/topicARN",
        ),
        ("uploads-public", "DP-AP-001", "/spec/policy"),
        ("uploads-public", "DP-AP-002", "/spec/policy"),
        (
            "uploads-public",
            "DP-PAB-001",
            "/spec/publicAccessBlockConfiguration/blockPublicPolicy",
        ),
        (
            "uploads-public",
            "DP-PAB-001",
            "/spec/publicAccessBlockConfiguration/restrictPublicBuckets",
        ),
        (
            "shared-with-everyone",
            "DP-BP-001",
            "/spec/forProvider/policy/statements/0",
        ),
        (
            "shared-with-everyone",
            "DP-BP-002",
            "/spec/forProvider/policy/statements/0",
        ),
        (
            "shared-with-everyone",
            "DP-BP-004",
            "/spec/forProvider/policy",
        ),
        (
            "offsite",
            "DP-DEST-001",
            "/spec/forProvider/replicationConfiguration/rules/0/destination/account",
        ),
        ("s3-anyone", "DP-EP-002", "/spec/initProvider/policy"),
        ("s3-anyone", "DP-EP-003", "/spec/initProvider/policy"),
        (
            "anyone-may-connect",
            "DP-ES-001",
            "/spec/forProvider/principalArn",
        ),
        ("extra-sg", "DP-EP-015", "/spec/forProvider/securityGroupId"),
        (
            "offsite",
            "DP-DEST-001",
            "/spec/forProvider/rule/0/destination/account",
        ),
        ("scratch-partner", "DP-BP-001", "/spec/forProvider/policy"),
        ("reports-readers", "DP-AP-004", "/spec/forProvider/policy"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(found, expected);
    // The directory also holds the DataPerimeter itself, a kind that is not checked.
    assert_eq!(v["summary"]["objects"], 26);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["passed"], 12);
}

#[test]
fn stdin_text_output_and_fail_on() {
    let manifest = std::fs::read_to_string(format!(
        "{}/manifests/examples/ack.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let out = run(
        &["check", "--perimeter", PERIMETER, "-f", "-"],
        Some(&manifest),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("deny     VPCEndpoint platform/dynamodb-open (-:19)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("allow    VPCEndpoint platform/s3-interface (-:2)"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "summary: 9 objects: 5 denied, 0 warned, 0 audited, 4 passed, 0 skipped; 12 findings\n"
        ),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let never = run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "--fail-on",
            "never",
            "-f",
            "-",
        ],
        Some(&manifest),
    );
    assert_eq!(never.status.code(), Some(0));
}

#[test]
fn warn_enforcement_passes_fail_on_deny_but_not_fail_on_warn() {
    let perimeter = std::fs::read_to_string(format!("{}/{PERIMETER}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("enforcement: Deny", "enforcement: Warn");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yaml");
    std::fs::write(&p, perimeter).unwrap();
    let p = p.to_str().unwrap();
    let deny = run(
        &[
            "check",
            "--perimeter",
            p,
            "-f",
            "manifests/examples/upbound.yaml",
        ],
        None,
    );
    assert_eq!(deny.status.code(), Some(0), "{}", text(&deny.stdout));
    assert!(text(&deny.stdout).contains("warn     VPCEndpoint data/s3-anyone"));
    let warn = run(
        &[
            "check",
            "--perimeter",
            p,
            "--fail-on",
            "warn",
            "-f",
            "manifests/examples/upbound.yaml",
        ],
        None,
    );
    assert_eq!(warn.status.code(), Some(1));
}

#[test]
fn bad_input_exits_2_with_file_and_line_after_checking_the_rest() {
    let out = run(
        &["check", "--perimeter", PERIMETER, "-f", "-"],
        Some("kind: A\n---\nspec: [unclosed\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\nerror    -:3: not valid YAML or JSON: "),
        "{stdout}"
    );
    assert!(stdout.starts_with("skipped  document (-:1)"), "{stdout}");
    assert!(
        stdout.ends_with("; 0 findings; 1 input error\n"),
        "{stdout}"
    );
    // The text report is where the errors are; standard error does not repeat them.
    assert_eq!(text(&out.stderr), "");
    // A perimeter that cannot be read stops the run: nothing can be judged without it.
    let out = run(
        &[
            "check",
            "--perimeter",
            "missing.yaml",
            "-f",
            "manifests/examples",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    let out = run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "-f",
            "no-such-dir/x.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).starts_with("error    no-such-dir/x.yaml: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn skipped_documents_are_reported_not_errors() {
    let docs = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: ec2.services.k8s.aws/v1alpha1\nkind: VPCEndpoint\nmetadata: {name: e, namespace: sandbox}\nspec: {}\n";
    let out = run(&["check", "--perimeter", PERIMETER, "-f", "-"], Some(docs));
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "skipped  ConfigMap c (-:1): ConfigMap (v1) is not a kind Perimeter Guard checks"
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("skipped  VPCEndpoint sandbox/e (-:5): no DataPerimeter matches this object"),
        "{stdout}"
    );
}

/// The SARIF 2.1.0 schema, from the npm package that ships it (installed by scripts/test.sh).
fn sarif_schema() -> Value {
    let path = std::env::var("PERIMETER_GUARD_SARIF_SCHEMA").expect(
        "PERIMETER_GUARD_SARIF_SCHEMA names the SARIF 2.1.0 JSON schema (scripts/test.sh installs it)",
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .expect("schema JSON")
}

/// The schema's complaints about a SARIF log (none when it is valid).
pub(crate) fn sarif_errors(sarif: &Value) -> Vec<String> {
    // The rtm.5 schema's language-tag pattern has a stray "]" that the meta-schema's regex check
    // rejects; later schema revisions write it as below. Nothing else is changed.
    fn mend(v: &mut Value) {
        match v {
            Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into()
            }
            Value::Array(items) => items.iter_mut().for_each(mend),
            Value::Object(map) => map.values_mut().for_each(mend),
            _ => {}
        }
    }
    let mut schema = sarif_schema();
    mend(&mut schema);
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let out = check_examples(&["--output", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let errors = sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 23);
    let first = &results[0];
    assert_eq!(first["ruleId"], "DP-EP-001");
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "manifests/examples/ack.yaml"
    );
    // The endpoint starts on line 19 and has no policy: the finding is at its `spec:`.
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"]["startLine"],
        24
    );
    assert_eq!(first["properties"]["decision"], "deny");
    assert_eq!(first["properties"]["enforcement"], "deny");
}

/// Every finding over the examples, in JSON and SARIF alike, is at the line of the deepest field
/// of its pointer that the file writes: the field itself, or (omitted) its nearest parent.
#[test]
fn findings_point_at_the_line_of_their_field() {
    let check = |output: &str| -> Value {
        let out = check_examples(&["--output", output]);
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let json = check("json");
    let mut lines = Vec::new();
    for o in json["objects"].as_array().unwrap() {
        for f in o["findings"].as_array().into_iter().flatten() {
            let source = o["source"].as_str().unwrap();
            let line = f["line"].as_u64().unwrap() as usize;
            let written =
                std::fs::read_to_string(format!("{}/{source}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .lines()
                    .nth(line - 1)
                    .unwrap()
                    .trim()
                    .to_owned();
            lines.push((
                f["rule"].as_str().unwrap().to_owned(),
                f["pointer"].as_str().unwrap().to_owned(),
                line,
                written,
            ));
        }
    }
    let at = |rule: &str, pointer: &str| {
        lines
            .iter()
            .find(|(r, p, ..)| r == rule && p == pointer)
            .map(|(.., line, written)| (*line, written.as_str()))
            .unwrap_or_else(|| panic!("{rule} {pointer} in {lines:#?}"))
    };
    assert_eq!(
        at("DP-EP-010", "/spec/serviceName").1,
        "serviceName: com.amazonaws.us-east-1.dynamodb"
    );
    assert_eq!(at("DP-EP-001", "/spec/policyDocument"), (24, "spec:"));
    assert_eq!(
        at("DP-PAB-001", "/spec/publicAccessBlock/blockPublicPolicy"),
        (69, "blockPublicPolicy: false")
    );
    assert_eq!(
        at("DP-ES-001", "/spec/allowedPrincipals/1"),
        (38, "- \"*\"")
    );
    assert!(
        at("DP-BP-001", "/spec/forProvider/policy/statements/0")
            .1
            .starts_with("- "),
        "{lines:#?}"
    );
    assert_eq!(
        at("DP-EP-015", "/spec/forProvider/securityGroupId").1,
        "securityGroupId: sg-0fffffff"
    );
    // SARIF puts each result where JSON says its finding is.
    let sarif = check("sarif");
    let sarif_lines: Vec<usize> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap() as usize
        })
        .collect();
    let json_lines: Vec<usize> = lines.iter().map(|(_, _, line, _)| *line).collect();
    assert_eq!(sarif_lines, json_lines);
}

/// A repository holding what breaks a run today: a Helm chart's templates, a half-written file,
/// a file that is not UTF-8, next to a violating and a compliant object.
fn repository_with_bad_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("chart/templates")).unwrap();
    std::fs::write(
        root.join("chart/templates/endpoint.yaml"),
        "{{- if .Values.endpoint.enabled }}\napiVersion: ec2.services.k8s.aws/v1alpha1\nkind: VPCEndpoint\nmetadata:\n  name: {{ .Values.name }}\n{{- end }}\n",
    )
    .unwrap();
    let open = example_document("ack.yaml", "name: dynamodb-open");
    let (compliant, _) = example_bucket_policies();
    // One file: a compliant object, a half-written one, the violating endpoint.
    std::fs::write(
        root.join("objects.yaml"),
        format!(
            "{compliant}\n---\napiVersion: v1\nkind: ConfigMap\ndata: [unfinished\n---\n{open}\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("latin1.yaml"), b"kind: Caf\xe9\n").unwrap();
    dir
}

fn check_dir(dir: &std::path::Path, output: &str, fail_on: &str) -> std::process::Output {
    run(
        &[
            "check",
            "--perimeter",
            PERIMETER,
            "-f",
            dir.to_str().unwrap(),
            "--output",
            output,
            "--fail-on",
            fail_on,
        ],
        None,
    )
}

#[test]
fn a_repository_with_unreadable_files_is_checked_in_full() {
    let dir = repository_with_bad_files();
    let root = dir.path().display().to_string();
    for fail_on in ["deny", "never"] {
        let out = check_dir(dir.path(), "json", fail_on);
        // Input errors win over findings, and are not findings: --fail-on does not hide them.
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let objects: Vec<(&str, &str)> = v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["object"]["name"].as_str().unwrap(),
                    o["decision"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            objects,
            [("reports-policy", "allow"), ("dynamodb-open", "deny")]
        );
        let errors: Vec<(String, Value)> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
                (
                    e["source"].as_str().unwrap().replace(&root, "<dir>"),
                    e["line"].clone(),
                )
            })
            .collect();
        let compliant_lines = example_bucket_policies().0.lines().count();
        assert_eq!(
            errors,
            [
                (
                    "<dir>/chart/templates/endpoint.yaml".to_owned(),
                    Value::from(1)
                ),
                ("<dir>/latin1.yaml".to_owned(), Value::Null),
                // The line of `data: [unfinished`, which the message names too.
                (
                    "<dir>/objects.yaml".to_owned(),
                    Value::from(compliant_lines + 4)
                ),
            ]
        );
        let unfinished = &v["errors"][2]["message"];
        assert!(
            unfinished
                .as_str()
                .unwrap()
                .contains(&format!("at line {}, column", compliant_lines + 4)),
            "{unfinished}"
        );
        // Standard error names each one for the job's log.
        let stderr = text(&out.stderr);
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error: ")).count(),
            3,
            "{stderr}"
        );
    }
    let out = check_dir(dir.path(), "text", "deny");
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\ndeny     VPCEndpoint platform/dynamodb-open"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("error    "))
            .count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout.contains("/latin1.yaml: stream did not contain valid UTF-8"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("; 2 findings; 3 input errors\n"),
        "{stdout}"
    );

    let out = check_dir(dir.path(), "sarif", "deny");
    assert_eq!(out.status.code(), Some(2));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let errors = sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "DP-EP-001",
            "DP-EP-010",
            "PG-INPUT-001",
            "PG-INPUT-001",
            "PG-INPUT-001"
        ]
    );
    let driver_rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in &results[2..] {
        assert_eq!(r["level"], "error");
        assert_eq!(
            driver_rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "PG-INPUT-001"
        );
    }
}

#[test]
fn a_clean_repository_reports_no_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (compliant, _) = example_bucket_policies();
    std::fs::write(dir.path().join("policy.yaml"), &compliant).unwrap();
    let out = check_dir(dir.path(), "json", "deny");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["passed"], 1);
    assert_eq!(text(&out.stderr), "");
    let out = check_dir(dir.path(), "sarif", "deny");
    assert_eq!(out.status.code(), Some(0));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}

/// `check` of one manifest on standard input against the example perimeter: exit code, output.
fn check_stdin(manifest: &str) -> (Option<i32>, String) {
    let out = run(
        &["check", "--perimeter", PERIMETER, "-f", "-"],
        Some(manifest),
    );
    (out.status.code(), text(&out.stdout))
}

/// The document of `manifests/examples/<file>` that contains `needle`.
fn example_document(file: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(format!(
        "{}/manifests/examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.split("\n---\n")
        .find(|d| d.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {file}"))
        .to_owned()
}

/// The example BucketPolicy (organization-only, TLS-only) and its public twin, as YAML.
fn example_bucket_policies() -> (String, String) {
    let compliant = example_document("upbound.yaml", "\nkind: BucketPolicy\n");
    let condition = r#","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:SourceVpce":"vpce-1a2b3c4d"}}"#;
    assert!(compliant.contains(condition));
    let public = compliant.replacen(condition, "", 1);
    (compliant, public)
}

/// Objects created with `metadata.generateName` are stored under a generated name and checked
/// like named ones (a public policy so written used to pass as "not a Kubernetes object").
#[test]
fn generated_names_are_checked() {
    let (compliant, public) = example_bucket_policies();
    let generated =
        |doc: &str| doc.replacen("  name: reports-policy", "  generateName: reports-", 1);
    let (code, stdout) = check_stdin(&generated(&public));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("deny     BucketPolicy reports-"),
        "{stdout}"
    );
    let (code, stdout) = check_stdin(&generated(&compliant));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("allow    BucketPolicy reports-"),
        "{stdout}"
    );
}

/// A typed list, as the API server returns a collection (`BucketPolicyList` whose items carry no
/// `apiVersion` or `kind`), is read item by item like `kind: List`.
#[test]
fn typed_lists_are_checked_item_by_item() {
    let (compliant, public) = example_bucket_policies();
    let list = |doc: &str| {
        let item: String = doc
            .lines()
            .filter(|l| !l.starts_with("apiVersion:") && !l.starts_with("kind:"))
            .map(|l| format!("  {l}\n"))
            .collect();
        format!(
            "apiVersion: s3.aws.upbound.io/v1beta1\nkind: BucketPolicyList\nitems:\n-{}",
            &item[1..]
        )
    };
    let (code, stdout) = check_stdin(&list(&public));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("deny     BucketPolicy reports-policy"),
        "{stdout}"
    );
    let (code, stdout) = check_stdin(&list(&compliant));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("allow    BucketPolicy reports-policy"),
        "{stdout}"
    );
}

/// The API server drops `metadata.namespace` from a cluster-scoped object, so an excluded
/// namespace written on one excludes nothing (the webhook would deny it); on a namespaced kind
/// it excludes the object, as the webhook's namespace selector does.
#[test]
fn a_namespace_on_a_cluster_scoped_object_is_ignored() {
    let (_, public) = example_bucket_policies();
    let stray = public.replacen("metadata:\n", "metadata:\n  namespace: sandbox\n", 1);
    let (code, stdout) = check_stdin(&stray);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("deny     BucketPolicy reports-policy"),
        "{stdout}"
    );
    let open = example_document("ack.yaml", "name: dynamodb-open");
    let (code, stdout) = check_stdin(&open);
    assert_eq!(code, Some(1), "{stdout}");
    let excluded = open.replace("namespace: platform", "namespace: sandbox");
    let (code, stdout) = check_stdin(&excluded);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("skipped  VPCEndpoint sandbox/dynamodb-open"),
        "{stdout}"
    );
}
