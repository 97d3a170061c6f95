use serde_json::{Value, json};

use super::*;
use crate::audit::scan::Scanned;
use crate::audit::summary::summarize;
use crate::decision::evaluate;
use crate::perimeter::config::Enforcement;
use crate::perimeter::load_perimeters;

const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  identity: {trustedOrganizations: [o-abc123def4]}
  vpcEndpoints: {allowedServices: ["com.amazonaws.*.s3"]}
  rules: {DP-EP-010: Warn}
  match: {excludeNamespaces: [sandbox]}
"#;

const ORG_POLICY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:ResourceOrgID":"o-abc123def4"}}}]}"#;

fn endpoint(ns: &str, name: &str, spec: Value) -> Scanned {
    let doc = json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": name, "namespace": ns}, "spec": spec});
    let perimeters = load_perimeters(PERIMETER, "p").unwrap();
    Scanned {
        api_version: "ec2.services.k8s.aws/v1alpha1".into(),
        kind: "VPCEndpoint".into(),
        namespace: Some(ns.into()),
        name: name.into(),
        uid: format!("uid-{name}"),
        aws_arn: None,
        verdict: evaluate(&doc, &perimeters),
    }
}

fn scanned() -> Vec<Scanned> {
    vec![
        endpoint(
            "team",
            "open",
            json!({"serviceName": "com.amazonaws.us-east-1.s3"}),
        ),
        endpoint(
            "team",
            "ok",
            json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY}),
        ),
        endpoint(
            "data",
            "ddb",
            json!({"serviceName": "com.amazonaws.us-east-1.dynamodb", "policyDocument": ORG_POLICY}),
        ),
        endpoint(
            "sandbox",
            "anything",
            json!({"serviceName": "com.amazonaws.us-east-1.s3"}),
        ),
    ]
}

fn now() -> Timestamp {
    Timestamp {
        seconds: 1_800_000_000,
        nanos: 0,
    }
}

#[test]
fn one_report_per_namespace_with_fail_warn_pass_and_skip_results() {
    let built = build(&scanned(), &now(), budget(1000));
    let namespaces: Vec<Option<&str>> = built.iter().map(|b| b.namespace.as_deref()).collect();
    assert_eq!(namespaces, [Some("data"), Some("sandbox"), Some("team")]);
    let team = &built[2];
    assert_eq!(
        team.summary,
        ReportSummary {
            pass: 1,
            fail: 1,
            warn: 0,
            error: 0,
            skip: 0
        }
    );
    let fail = &team.results[0];
    assert_eq!(
        (
            fail.policy.as_str(),
            fail.rule.as_str(),
            fail.result.as_str(),
            fail.severity.as_deref()
        ),
        ("corp", "DP-EP-001", "fail", Some("high"))
    );
    assert_eq!(fail.properties["pointer"], "/spec/policyDocument");
    assert_eq!(fail.properties["enforcement"], "Deny");
    assert!(fail.properties.contains_key("fix"));
    assert_eq!(fail.source, "perimeter-guard");
    assert_eq!(fail.timestamp, Some(now()));
    assert_eq!(
        fail.resources,
        [ResourceRef {
            api_version: "ec2.services.k8s.aws/v1alpha1".into(),
            kind: "VPCEndpoint".into(),
            namespace: Some("team".into()),
            name: "open".into(),
            uid: "uid-open".into(),
        }]
    );
    assert_eq!(
        (
            team.results[1].result.as_str(),
            team.results[1].policy.as_str()
        ),
        ("pass", "corp")
    );
    // A Warn rule is a warn result; an excluded namespace is a skip with the reason.
    assert_eq!(built[0].summary.warn, 1);
    assert_eq!(built[0].results[0].rule, "DP-EP-010");
    assert_eq!(built[1].summary.skip, 1);
    assert_eq!(
        built[1].results[0].message,
        "no DataPerimeter matches this object"
    );
    // The results serialise with the report format's field names.
    let v = serde_json::to_value(&team.results[0]).unwrap();
    for key in [
        "policy",
        "rule",
        "result",
        "severity",
        "message",
        "source",
        "scored",
        "timestamp",
        "resources",
        "properties",
        "category",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {v}");
    }
}

#[test]
fn reports_are_capped_failures_first_and_the_summary_counts_all() {
    let mut many = Vec::new();
    for i in 0..30 {
        many.push(endpoint(
            "team",
            &format!("ok-{i:02}"),
            json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY}),
        ));
    }
    many.push(endpoint(
        "team",
        "zz-open",
        json!({"serviceName": "com.amazonaws.us-east-1.s3"}),
    ));
    let built = build(&many, &now(), budget(10));
    let team = &built[0];
    assert!(team.truncated());
    assert_eq!((team.results.len(), team.total), (10, 31));
    assert_eq!(team.summary.pass + team.summary.fail, 31);
    assert_eq!(team.results[0].result, "fail", "failures are kept first");
}

#[test]
fn the_summary_says_what_deny_would_refuse_and_where() {
    let s = summarize(&scanned());
    assert_eq!(
        (
            s.objects,
            s.checked,
            s.skipped,
            s.violating,
            s.violating_namespaces,
            s.denied_now
        ),
        (4, 3, 1, 2, 2, 1)
    );
    assert_eq!(s.by_rule.get("DP-EP-001"), Some(&1));
    assert_eq!(s.by_rule.get("DP-EP-010"), Some(&1));
    assert_eq!(s.by_namespace.get("team"), Some(&1));
    assert_eq!(s.by_enforcement.get(Enforcement::Warn), 1);
    assert_eq!(
        s.headline(),
        "audit: 4 objects scanned, 3 checked: would deny 2 objects in 2 namespaces if switched to Deny (1 denied under the enforcement in force now)"
    );
    assert!(s.text().contains("findings by rule:\n  DP-EP-001"));
    assert_eq!(
        summarize(&[]).headline(),
        "audit: 0 objects scanned, 0 checked: nothing violates the perimeter"
    );
}

fn budget(max_results: usize) -> ReportBudget {
    ReportBudget {
        max_results,
        max_bytes: DEFAULT_MAX_REPORT_BYTES,
    }
}

/// `scanned` with every finding's message made `len` characters long (a witness and a policy
/// quoted in full make messages of kilobytes).
fn with_long_messages(mut o: Scanned, len: usize) -> Scanned {
    if let ObjectVerdict::Checked { findings, .. } = &mut o.verdict {
        for f in findings {
            f.message = "x".repeat(len);
        }
    }
    o
}

#[test]
fn a_report_never_outgrows_its_byte_budget_whatever_its_messages() {
    let compliant =
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "policyDocument": ORG_POLICY});
    let open = json!({"serviceName": "com.amazonaws.us-east-1.s3"});
    for (objects, message, max_results) in [
        (1_500, 2_000, 100_000),
        (3_000, 600, 1_200),
        (200, 20_000, 1_000),
    ] {
        // Decided once each, then copied under other names: the budget is about the results.
        let passing = endpoint("team", "ok", compliant.clone());
        let failing = with_long_messages(endpoint("team", "open", open.clone()), message);
        let named = |o: &Scanned, name: String| Scanned { name, ..o.clone() };
        let mut many = Vec::new();
        for i in 0..objects {
            many.push(named(&passing, format!("ok-{i:05}")));
            many.push(named(&failing, format!("open-{i:05}")));
        }
        let budget = ReportBudget {
            max_results,
            max_bytes: DEFAULT_MAX_REPORT_BYTES,
        };
        let team = &build(&many, &now(), budget)[0];
        let size = ENVELOPE_BYTES + serde_json::to_vec(&team.results).unwrap().len();
        assert!(
            size <= DEFAULT_MAX_REPORT_BYTES,
            "{objects} × {message}: {size} bytes"
        );
        assert!(team.truncated(), "{objects} × {message}");
        assert!(!team.results.is_empty());
        assert!(
            team.results.iter().all(|r| r.result == "fail"),
            "failures are kept first"
        );
        assert_eq!(
            (team.summary.fail, team.summary.pass),
            (objects as u64, objects as u64),
            "the summary counts every result"
        );
        // Nothing that would still have fit was left out.
        let next = serde_json::to_vec(&team.results[0]).unwrap().len() + 1;
        assert!(
            team.results.len() == max_results.min(2 * objects) || size + next > budget.max_bytes,
            "{objects} × {message}: {size} bytes with {} results",
            team.results.len()
        );
    }
}
