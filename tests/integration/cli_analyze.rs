//! `perimeter-guard analyze` as a security engineer runs it.

use crate::common;

use common::cli::{run, text};

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

fn corpus(rel: &str) -> String {
    common::corpus_root()
        .join("policies")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// `analyze` of a bucket policy of bucket `b`, given on standard input.
fn analyze_bucket_b(policy: &str) -> std::process::Output {
    run(
        &[
            "analyze",
            "--kind",
            "bucket-policy",
            "--bucket",
            "b",
            "--perimeter",
            PERIMETER,
            "-",
        ],
        Some(policy),
    )
}

#[test]
fn complying_bucket_policy_exits_0() {
    let out = run(
        &[
            "analyze",
            "--kind",
            "bucket-policy",
            "--bucket",
            "example-bucket",
            "--perimeter",
            PERIMETER,
            "examples/simulate/bucket-policy.json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "complies  corp/identity\ncomplies  corp/network\nverdict: complies (0 of 2 dimension checks failed)\n"
    );
}

#[test]
fn corpus_default_endpoint_policy_violates_with_witnesses_in_json() {
    let policy = corpus("aws-docs-s3-privatelink/default-endpoint-policy-full-access.json");
    let out = run(
        &[
            "analyze",
            "--kind",
            "endpoint-policy",
            "--endpoint-id",
            "vpce-1a2b3c4d",
            "--perimeter",
            PERIMETER,
            "--output",
            "json",
            &policy,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["verdict"], "violates");
    let findings = v["findings"].as_array().expect("findings");
    let dims: Vec<&str> = findings
        .iter()
        .map(|f| f["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(dims, ["identity", "resource"]);
    for f in findings {
        assert!(f["message"].as_str().unwrap().len() > 20);
        assert_eq!(f["statements"][0]["pointer"], "/Statement/0");
        let w = &f["witness"];
        assert_eq!(w["context"]["aws:SourceVpce"], "vpce-1a2b3c4d");
        assert!(w["context"]["aws:SourceIp"].is_null());
        assert!(
            w["summary"]
                .as_str()
                .unwrap()
                .contains("via statement #0 (/Statement/0)")
        );
    }
    assert_eq!(findings[0]["witness"]["principal"]["kind"], "anonymous");
    let trusted = &findings[1]["witness"]["principal"];
    assert!(
        trusted["account"] == "111122223333" || trusted["organization"] == "o-abc123def4",
        "{trusted}"
    );
}

#[test]
fn text_output_names_the_witness() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let out = analyze_bucket_b(policy);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("VIOLATES  corp/identity: an identity outside the trusted organizations and accounts can access the bucket\n"), "{stdout}");
    assert!(
        stdout.contains("witness: anonymous principal can s3:GetObject arn:aws:s3:::b/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("via statement \"PublicRead\" (/Statement/0)"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("verdict: violates (2 of 2 dimension checks failed)\n"),
        "{stdout}"
    );
}

/// An action the tables lack is judged as if real and named in a note; a listed one is not.
#[test]
fn actions_the_tables_lack_are_named_in_a_note() {
    let run_with = |action: &str| {
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"{action}","Resource":"arn:aws:s3:::b"}}]}}"#
        );
        let out = analyze_bucket_b(&policy);
        (out.status.code(), text(&out.stdout))
    };
    let (code, stdout) = run_with("s3:PutBucketFutureFeature");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout
            .contains("witness: anonymous principal can s3:PutBucketFutureFeature arn:aws:s3:::b"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: not in the action tables of their service: s3:PutBucketFutureFeature;"
        ),
        "{stdout}"
    );
    let (code, stdout) = run_with("s3:ListBucket");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(!stdout.contains("not in the action tables"), "{stdout}");
}

#[test]
fn invalid_policy_and_configuration_exit_2() {
    let out = run(
        &[
            "analyze",
            "--kind",
            "bucket-policy",
            "--perimeter",
            PERIMETER,
            "--output",
            "json",
            "-",
        ],
        Some(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"stringEquals":{"aws:SourceVpce":"x"}}}]}"#,
        ),
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(
        v["findings"][0]["pointer"],
        "/Statement/0/Condition/stringEquals"
    );
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean StringEquals")
    );

    let bad = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec:\n  identity:\n    trustedAccounts: ['12']\n";
    let out = run(
        &[
            "analyze",
            "--kind",
            "bucket-policy",
            "--perimeter",
            "-",
            "examples/simulate/bucket-policy.json",
        ],
        Some(bad),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "standard input: spec.identity.trustedAccounts[0]: \"12\" is not a 12-digit account id"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// A grant to an account whose membership the perimeter does not state: `analyze` reports the
/// request outside (exit 1) and says, in a note, that it rests on that account's membership,
/// which `check` and the webhook report as DP-ORG-001.
#[test]
fn a_violation_resting_on_unknown_membership_is_noted() {
    let grant = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{{"StringEquals":{{"aws:SourceVpce":"vpce-1a2b3c4d"}}}}}}]}}"#
        )
    };
    let out = analyze_bucket_b(&grant(r#"{"AWS":"444455556666"}"#));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("the policy names account 444455556666") && stdout.contains("DP-ORG-001"),
        "{stdout}"
    );
    // Any account: a violation, and no such note.
    let out = analyze_bucket_b(&grant(r#""*""#));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("DP-ORG-001"),
        "{}",
        text(&out.stdout)
    );
}
