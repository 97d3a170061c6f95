//! The exit codes every command shares, as a CronJob or a CI job reads them: 0 decided, 1
//! findings, 2 an error (input, perimeter, or a cluster that cannot be reached).

use crate::common;

use std::path::Path;

use common::cli::{check_examples, run, text};

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

/// A kubeconfig naming an API server on a loopback port nothing listens on.
fn unreachable_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: u}}\ncurrent-context: gone\n"
        ),
    )
    .expect("write kubeconfig");
    path
}

/// `audit --kubeconfig K --perimeter P`: its exit code and standard error.
fn audit(kubeconfig: &Path, perimeter: &str) -> (Option<i32>, String) {
    let kubeconfig = kubeconfig.to_str().expect("utf-8");
    let out = run(
        &[
            "audit",
            "--kubeconfig",
            kubeconfig,
            "--perimeter",
            perimeter,
        ],
        None,
    );
    (out.status.code(), text(&out.stderr))
}

#[test]
fn audit_exits_2_when_the_cluster_cannot_be_reached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stderr) = audit(&unreachable_kubeconfig(dir.path()), PERIMETER);
    assert_eq!(code, Some(2), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("an error line: {stderr}"));
    assert!(
        error.contains("https://127.0.0.1:"),
        "names the server: {error}"
    );
    assert!(
        error.to_lowercase().contains("connection refused"),
        "says why, from the error's sources: {error}"
    );
}

#[test]
fn audit_exits_2_for_a_missing_kubeconfig_or_perimeter() {
    let (code, stderr) = audit(Path::new("missing/kubeconfig"), PERIMETER);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing/kubeconfig"), "{stderr}");

    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stderr) = audit(
        &unreachable_kubeconfig(dir.path()),
        "missing/perimeter.yaml",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing/perimeter.yaml"), "{stderr}");
}

#[test]
fn check_from_the_cluster_exits_2_naming_a_cluster_it_cannot_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let out = run(
        &[
            "check",
            "--from-cluster",
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "-f",
            "manifests/examples",
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("an error line: {stderr}"));
    assert!(error.contains("https://127.0.0.1:"), "{error}");
    assert!(
        error.to_lowercase().contains("connection refused"),
        "{error}"
    );
    // Without either source there is nothing to check against.
    let out = run(&["check", "-f", "manifests/examples"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--perimeter"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn audit_asff_needs_an_account_and_a_region_before_it_calls_the_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let previous = dir.path().join("previous.jsonl");
    std::fs::write(&previous, "{\"not\": \"an array\"}\n").expect("write");
    let previous = previous.to_str().expect("utf-8");
    for (extra, message) in [
        (&[][..], "--output asff needs --aws-account-id"),
        (
            &["--aws-account-id", "1111"][..],
            "--output asff needs --aws-account-id",
        ),
        (
            &["--aws-account-id", "111122223333"][..],
            "--output asff needs --aws-region",
        ),
        (
            &[
                "--aws-account-id",
                "111122223333",
                "--aws-region",
                "eu-west-1",
                "--asff-previous",
                previous,
            ][..],
            "previous.jsonl: line 1: not a JSON array of findings",
        ),
    ] {
        let mut args = vec![
            "audit",
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "--perimeter",
            PERIMETER,
            "--output",
            "asff",
        ];
        args.extend_from_slice(extra);
        let out = run(&args, None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(
            !stderr.contains("connection refused"),
            "checked first: {stderr}"
        );
    }
}

#[test]
fn findings_and_errors_have_distinct_codes_in_every_offline_command() {
    // check: 1 for findings, 0 for none (--fail-on never), 2 for an unreadable perimeter.
    let findings = check_examples(&[]);
    assert_eq!(
        findings.status.code(),
        Some(1),
        "{}",
        text(&findings.stderr)
    );
    let never = check_examples(&["--fail-on", "never"]);
    assert_eq!(never.status.code(), Some(0), "{}", text(&never.stderr));
    // (An unreadable perimeter is 2: cli_check::unreadable_input_exits_2.)
    // Standard input can feed one input only.
    let both = run(&["check", "--perimeter", "-", "-f", "-"], Some(""));
    assert_eq!(both.status.code(), Some(2));
    assert!(
        text(&both.stderr).contains("only one of the perimeter and the manifests"),
        "{}",
        text(&both.stderr)
    );
}

#[test]
fn check_exits_2_for_unreadable_input_after_reporting_everything_else() {
    // Findings (1) and a file that cannot be read (2): 2, with the findings reported.
    for fail_on in ["deny", "never"] {
        let out = check_examples(&[
            "-f",
            "missing/manifests.yaml",
            "--output",
            "json",
            "--fail-on",
            fail_on,
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(v["summary"]["objects"], 26);
        assert_eq!(v["summary"]["findings"], 23);
        assert_eq!(v["errors"][0]["source"], "missing/manifests.yaml");
        assert!(
            text(&out.stderr).starts_with("error: missing/manifests.yaml: "),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn the_exit_codes_are_in_the_help() {
    let out = run(&["--help"], None);
    let help = text(&out.stdout);
    assert!(help.contains("Exit status:"), "{help}");
    for line in [
        "  0  decided",
        "  1  findings",
        "  2  error",
        "2 wins over 1",
    ] {
        assert!(help.contains(line), "{line:?} in {help}");
    }
}

#[test]
fn serve_refuses_standard_input_as_a_perimeter() {
    let out = run(
        &[
            "serve",
            "--perimeter",
            "-",
            "--tls-cert-file",
            "missing.crt",
            "--tls-key-file",
            "missing.key",
        ],
        Some(""),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard input cannot be one"), "{stderr}");
}
