//! The `perimeter-guard simulate` command as a user runs it: the real binary, real files, stdin.

use crate::common;

use std::process::Output;

use common::cli::{run, text};

const POLICY: &str = "examples/simulate/bucket-policy.json";

fn simulate(request: &str, extra: &[&str]) -> Output {
    let request = format!("examples/simulate/{request}.yaml");
    let mut args = vec![
        "simulate",
        "--kind",
        "bucket-policy",
        POLICY,
        "--request",
        &request,
    ];
    args.extend_from_slice(extra);
    run(&args, None)
}

#[test]
fn bundled_examples_decide_as_documented() {
    let allow = simulate("request-org-via-endpoint", &[]);
    assert_eq!(allow.status.code(), Some(0), "{}", text(&allow.stderr));
    assert_eq!(
        text(&allow.stdout),
        "decision: Allow\ndecided by: statement \"AllowOrgReadThroughEndpoint\" (/Statement/0)\n"
    );
    let deny = simulate("request-anonymous-http", &[]);
    assert_eq!(
        text(&deny.stdout),
        "decision: ExplicitDeny\ndecided by: statement \"DenyInsecureTransport\" (/Statement/1)\n"
    );
    let outside = simulate("request-outside-org", &[]);
    assert!(text(&outside.stdout).starts_with("decision: ImplicitDeny\n"));
}

#[test]
fn json_output_is_stable() {
    let out = simulate("request-anonymous-http", &["--output", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(
        v,
        serde_json::json!({
            "decision": "ExplicitDeny",
            "statements": [{"index": 1, "sid": "DenyInsecureTransport", "pointer": "/Statement/1"}]
        })
    );
}

#[test]
fn policy_and_request_from_stdin() {
    let policy =
        std::fs::read_to_string(format!("{}/{POLICY}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let out = run(
        &[
            "simulate",
            "--kind",
            "bucket-policy",
            "-",
            "--request",
            "examples/simulate/request-org-via-endpoint.yaml",
        ],
        Some(&policy),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("decision: Allow"));
    let request =
        "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::example-bucket/x\n";
    let out = run(
        &[
            "simulate",
            "--kind",
            "bucket-policy",
            POLICY,
            "--request",
            "-",
        ],
        Some(request),
    );
    assert!(
        text(&out.stdout).starts_with("decision: ImplicitDeny"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn invalid_input_exits_2_with_the_parser_error() {
    let bad_policy =
        r#"{"Statement":[{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    let out = run(
        &[
            "simulate",
            "--kind",
            "bucket-policy",
            "-",
            "--request",
            "examples/simulate/request-org-via-endpoint.yaml",
        ],
        Some(bad_policy),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: standard input: invalid policy at /Statement/0/Effect: found \"allow\"; expected exactly \"Allow\" or \"Deny\""
    );
    let dup = r#"{"Statement":{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#;
    let out = run(
        &[
            "simulate",
            "--kind",
            "endpoint-policy",
            "-",
            "--request",
            "examples/simulate/request-org-via-endpoint.yaml",
        ],
        Some(dup),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("at /Statement: duplicate member \"Effect\""),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &[
            "simulate",
            "--kind",
            "bucket-policy",
            POLICY,
            "--request",
            "-",
        ],
        Some("principal: nobody\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("request principal:"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &[
            "simulate",
            "--kind",
            "bucket-policy",
            "missing.json",
            "--request",
            "-",
        ],
        Some(""),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.json"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &["simulate", "--kind", "bucket-policy", "-", "--request", "-"],
        Some(""),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn version_prints_the_crate_version() {
    let out = run(&["version"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("perimeter-guard {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// `aws:userid` follows the principal (IAM User Guide, "Principal key values"): the simulator
/// decides the request as given but warns when the principal cannot have that userid, and is
/// silent when it can.
#[test]
fn a_userid_the_principal_cannot_have_is_warned_about() {
    let request = |userid: &str| {
        format!(
            "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::example-bucket/x\ncontext:\n  aws:userid: {userid}\n"
        )
    };
    let args = [
        "simulate",
        "--kind",
        "bucket-policy",
        POLICY,
        "--request",
        "-",
    ];
    let out = run(&args, Some(&request("'111122223333'")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("warning: aws:userid \"111122223333\" is not one this principal has"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&args, Some(&request("anonymous")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}
