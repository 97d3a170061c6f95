//! Hostile and broken input, by class: each gets a clear error or a denial, in bounded time and
//! memory, and never a panic. Run with `--nocapture` to see the worst time per class (recorded in
//! docs/reliability.md). The time bound asserted here is a runaway guard, two orders of magnitude
//! above what is measured, not a performance target.

use crate::common;

use std::time::{Duration, Instant};

use common::admission::{example, example_perimeter, review};
use perimeter_guard::admission::{self, Settings};
use perimeter_guard::decision::{AdmissionDecision, ObjectVerdict, evaluate};
use perimeter_guard::iam::{Policy, PolicyKind};
use perimeter_guard::perimeter::{DataPerimeter, load_perimeters};
use serde_json::{Value, json};

const RUNAWAY: Duration = Duration::from_secs(5);

fn perimeters() -> Vec<DataPerimeter> {
    load_perimeters(&example_perimeter(), "dataperimeter.yaml").expect("valid")
}

/// Times `f`, asserts the runaway bound, prints the class and time.
fn timed<T>(class: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    println!("{class}: {took:?}");
    assert!(took < RUNAWAY, "{class} took {took:?}");
    out
}

/// An ACK endpoint carrying `policy` as its policy document.
fn endpoint_with(policy: &str) -> Value {
    let mut object = example("manifests/examples/ack.yaml", "s3-interface");
    object["spec"]["policyDocument"] = json!(policy);
    object
}

/// The decision for an object carrying `policy`, and the messages of its findings.
fn decide(policy: &str, perimeters: &[DataPerimeter]) -> (AdmissionDecision, Vec<String>) {
    match evaluate(&endpoint_with(policy), perimeters) {
        ObjectVerdict::Checked {
            decision, findings, ..
        } => (decision, findings.into_iter().map(|f| f.message).collect()),
        ObjectVerdict::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

fn peak_rss_mib() -> u64 {
    common::peak_rss_mib("self")
}

#[test]
fn deeply_nested_documents_are_refused_not_overflowing_the_stack() {
    let perimeters = perimeters();
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = timed("policy nested 100,000 deep", || {
        Policy::parse(&deep_json, PolicyKind::EndpointPolicy).expect_err("refused")
    });
    println!("  {e}");
    let (decision, messages) = timed("endpoint policy nested 100,000 deep", || {
        decide(&deep_json, &perimeters)
    });
    assert_eq!(decision, AdmissionDecision::Deny, "{messages:?}");

    let deep_yaml = format!("a: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = timed("check input: YAML nested 100,000 deep", || {
        perimeter_guard::cli::check::manifests::parse(&deep_yaml, "deep.yaml").expect_err("refused")
    });
    assert!(e.to_string().contains("deep.yaml"), "{e}");
    let deep_block = (0..2_000).fold(String::new(), |mut s, i| {
        s.push_str(&" ".repeat(i));
        s.push_str("a:\n");
        s
    });
    timed("check input: YAML block mappings 2,000 deep", || {
        perimeter_guard::cli::check::manifests::parse(&deep_block, "deep.yaml")
            .expect_err("refused")
    });

    let mut body = review("CREATE", Some(&endpoint_with("{}")), None, false);
    body["request"]["object"]["spec"]["deep"] = json!(null);
    let text = body.to_string().replace(
        "\"deep\":null",
        &format!("\"deep\":{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let e = timed("AdmissionReview nested 100,000 deep", || {
        admission::review(text.as_bytes(), &perimeters, &Settings::default()).expect_err("refused")
    });
    assert!(e.to_string().contains("recursion limit"), "{e}");
}

#[test]
fn huge_and_pathological_policies_fail_closed_within_the_budget() {
    let perimeters = perimeters();
    let statement = |i: usize| {
        json!({"Sid": format!("S{i}"), "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::bucket-{i}/*"),
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}})
    };
    // Far past the 20,480-character endpoint policy limit AWS enforces.
    let many = json!({"Statement": (0..5_000).map(statement).collect::<Vec<_>>()}).to_string();
    let (decision, messages) = timed("5,000 statements (600 KB)", || decide(&many, &perimeters));
    assert_eq!(decision, AdmissionDecision::Deny);
    assert!(
        messages.iter().any(|m| m.contains("characters")),
        "{messages:?}"
    );

    // Within the limit: as many statements as fit in 20 KB.
    let fits: Vec<Value> = (0..100).map(statement).collect();
    let fits = json!({"Statement": fits}).to_string();
    assert!(fits.len() <= 20_480, "{}", fits.len());
    timed("100 statements (20 KB)", || decide(&fits, &perimeters));

    // 20 KB of wildcards in every pattern position.
    let wild = "*?".repeat(780);
    let pathological = json!({"Statement": (0..3).map(|_| json!({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": format!("s3:{wild}"),
        "Resource": format!("arn:aws:s3:::{wild}"),
        "Condition": {"StringLike": {"aws:PrincipalOrgID": wild, "aws:SourceVpce": wild}}
    })).collect::<Vec<_>>()})
    .to_string();
    assert!(pathological.len() <= 20_480, "{}", pathological.len());
    let (decision, messages) = timed("20 KB of *? wildcards", || {
        decide(&pathological, &perimeters)
    });
    assert_eq!(decision, AdmissionDecision::Deny, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("too complex")),
        "{messages:?}"
    );

    // Found by fuzzing the AdmissionReview handler: 42 statements whose resources hold a run of
    // 124 stars (the same as one) took over five seconds; 31 stars in a run, a minute.
    let run_of_stars: Vec<Value> = (0..42)
        .map(|i| {
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::fixture-2{}0000/team-{i}/*", "*".repeat(124)),
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}})
        })
        .collect();
    let run_of_stars = json!({"Statement": run_of_stars}).to_string();
    timed("42 statements, runs of 124 stars", || {
        decide(&run_of_stars, &perimeters)
    });
    // The most expensive shape within the bounds: 16 wildcards spread between literals, in as
    // many distinct resources as fit (every pair is intersected).
    let spread: String = (0..15)
        .map(|k| format!("{}*", char::from(b'a' + k)))
        .collect();
    let spread: Vec<Value> = (0..40)
        .map(|i| {
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{spread}/team-{i}/*"),
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}})
        })
        .collect();
    let spread = json!({"Statement": spread}).to_string();
    assert!(spread.len() <= 20_480, "{}", spread.len());
    timed("40 resources of 16 spread wildcards", || {
        decide(&spread, &perimeters)
    });

    // Thousands of condition values.
    let values: Vec<String> = (0..2_000).map(|i| format!("o-{i:010}")).collect();
    let crowded = json!({"Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": values, "aws:SourceVpce": values}}
    }]})
    .to_string();
    let (decision, messages) = timed("2 keys x 2,000 condition values", || {
        decide(&crowded, &perimeters)
    });
    assert_eq!(decision, AdmissionDecision::Deny, "{messages:?}");

    // Many distinct condition keys, each with its own values: the search's dimensions.
    let keys: serde_json::Map<String, Value> = (0..200)
        .map(|i| (format!("aws:PrincipalTag/k{i}"), json!(["a", "b", "c"])))
        .collect();
    let wide = json!({"Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": keys}
    }]})
    .to_string();
    let (decision, messages) = timed("200 condition keys", || decide(&wide, &perimeters));
    assert_eq!(decision, AdmissionDecision::Deny, "{messages:?}");
    println!("  peak RSS of this test process: {} MiB", peak_rss_mib());
    assert!(peak_rss_mib() < 1024, "{} MiB", peak_rss_mib());
}

#[test]
fn malformed_text_is_an_error_that_says_where() {
    // Invalid UTF-8: `check` reads files as text and names the file.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, b"apiVersion: v1\nkind: \xff\xfe\n").expect("write");
    let read = timed("check input: invalid UTF-8", || {
        perimeter_guard::cli::check::manifests::read_paths(
            std::slice::from_ref(&file),
            &mut std::io::empty(),
        )
    });
    assert!(read.documents.is_empty());
    let e = read.errors.first().expect("refused");
    assert!(e.to_string().contains("bad.yaml"), "{e}");
    // ...and the webhook answers 400 for a body that is not UTF-8 JSON.
    let perimeters = perimeters();
    let body = review("CREATE", Some(&endpoint_with("{}")), None, false).to_string();
    let mut bytes = body.into_bytes();
    let at = bytes
        .windows(4)
        .position(|w| w == b"\"{}\"")
        .expect("the policy")
        + 1;
    bytes[at] = 0xff;
    timed("AdmissionReview with invalid UTF-8", || {
        admission::review(&bytes, &perimeters, &Settings::default()).expect_err("refused")
    });

    // Billion laughs: nine levels of ten aliases.
    let mut bomb = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let e = timed("check input: billion laughs", || {
        perimeter_guard::cli::check::manifests::parse(&bomb, "bomb.yaml")
    })
    .expect_err("refused");
    assert!(e.to_string().contains("bomb.yaml"), "{e}");

    // Numbers out of range, in a policy and in an object.
    let huge = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":1e400}}}]}"#;
    let e = timed("policy number out of range", || {
        Policy::parse(huge, PolicyKind::BucketPolicy)
    })
    .expect_err("refused");
    println!("  {e}");
    let mut object = endpoint_with("{}");
    object["spec"]["extra"] = json!(null);
    let text = serde_json::to_string(&review("CREATE", Some(&object), None, false))
        .expect("json")
        .replace(
            "\"extra\":null",
            "\"extra\":123456789012345678901234567890e999999",
        );
    timed("AdmissionReview number out of range", || {
        admission::review(text.as_bytes(), &perimeters, &Settings::default()).expect_err("refused")
    });

    // Duplicate keys: refused in policies (IAM keeps one of them, silently), in YAML, and in the
    // review's own fields.
    let duplicated = r#"{"Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    let e = Policy::parse(duplicated, PolicyKind::BucketPolicy).expect_err("refused");
    assert!(e.to_string().contains("Effect"), "{e}");
    let e = perimeter_guard::cli::check::manifests::parse("a: 1\na: 2\n", "dup.yaml")
        .expect_err("refused");
    assert!(e.to_string().contains("dup.yaml"), "{e}");
    let body = review("CREATE", Some(&endpoint_with("{}")), None, false).to_string();
    let twice = body.replacen("\"uid\":", "\"uid\":\"other\",\"uid\":", 1);
    let e = admission::review(twice.as_bytes(), &perimeters, &Settings::default())
        .expect_err("refused");
    assert!(e.to_string().contains("duplicate field `uid`"), "{e}");

    // Operators in another case are not IAM operators: the policy is refused, not misread.
    let mixed = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"stringequals":{"aws:PrincipalOrgID":"o-abc123def4"}}}]}"#;
    let e = Policy::parse(mixed, PolicyKind::BucketPolicy).expect_err("refused");
    assert!(e.to_string().contains("stringequals"), "{e}");
    let (decision, _) = decide(mixed, &perimeters);
    assert_eq!(decision, AdmissionDecision::Deny);
}

#[test]
fn reviews_that_are_not_reviews_get_an_error() {
    let perimeters = perimeters();
    let object = endpoint_with("{}");
    let good = review("CREATE", Some(&object), None, false);
    let cases: Vec<(&str, Value)> = vec![
        ("kind AdmissionResponse", {
            let mut r = good.clone();
            r["kind"] = json!("AdmissionResponse");
            r
        }),
        ("apiVersion v1beta1", {
            let mut r = good.clone();
            r["apiVersion"] = json!("admission.k8s.io/v1beta1");
            r
        }),
        ("no uid", {
            let mut r = good.clone();
            r["request"].as_object_mut().expect("request").remove("uid");
            r
        }),
        ("object is a string", {
            let mut r = good.clone();
            r["request"]["object"] = json!("a string");
            r
        }),
        ("object is an array", {
            let mut r = good.clone();
            r["request"]["object"] = json!([object.clone()]);
            r
        }),
        ("operation unknown", {
            let mut r = good.clone();
            r["request"]["operation"] = json!("PATCH");
            r
        }),
        ("request is null", {
            let mut r = good.clone();
            r["request"] = Value::Null;
            r
        }),
        ("the review is an array", json!([good.clone()])),
    ];
    for (class, body) in cases {
        let e = timed(class, || {
            admission::review(
                body.to_string().as_bytes(),
                &perimeters,
                &Settings::default(),
            )
        })
        .expect_err(class);
        assert!(
            e.to_string()
                .starts_with("not an admission.k8s.io/v1 AdmissionReview request: "),
            "{class}: {e}"
        );
    }
}

/// Tenant text in answers and logs is excerpted: a denial never carries a policy's long strings
/// whole.
#[test]
fn denials_echo_only_bounded_excerpts_of_tenant_input() {
    let perimeters = perimeters();
    let long = "a".repeat(5_000);
    let policy = json!({"Statement": [{
        "Sid": format!("S{long}"), "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        // A real object ARN (S3 keys are at most 1,024 bytes), still long.
        "Resource": format!("arn:aws:s3:::example-bucket/{}", &long[..1_000]),
        // Not an endpoint id any request can carry, so every real endpoint passes this condition.
        "Condition": {"StringNotEquals": {"aws:SourceVpce": format!("vpce-{long}")}}
    }]})
    .to_string();
    let mut object = endpoint_with(&policy);
    object["metadata"]["name"] = json!("n".repeat(253));
    let body = review("CREATE", Some(&object), None, false).to_string();
    let r = admission::review(body.as_bytes(), &perimeters, &Settings::default()).expect("decided");
    assert_eq!(r.decision, "deny");
    let answer = serde_json::to_value(&r.review).expect("json");
    let status = &answer["response"]["status"];
    let message = status["message"].as_str().expect("message");
    println!("denial message: {} characters", message.len());
    assert!(
        message.len() < 4_096,
        "{} characters:\n{message}",
        message.len()
    );
    for cause in status["details"]["causes"].as_array().expect("causes") {
        let m = cause["message"].as_str().expect("message");
        assert!(m.len() < 2_048, "{} characters: {m}", m.len());
    }
    assert!(!message.contains(&long), "the long string is echoed whole");
}
