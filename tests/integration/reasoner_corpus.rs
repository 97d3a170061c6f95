//! AWS's own data-perimeter examples (placeholders filled in): they comply when the perimeter
//! carries the exceptions they were written for, and violate, with a witness through the
//! exception's statement, when it does not.

use crate::common;

use perimeter_guard::iam::pattern;
use perimeter_guard::iam::reasoner::{
    self, Attachment, BucketMode, Dimension, Perimeter, ReasonerVerdict, ThirdParty, Witness,
};
use perimeter_guard::iam::{Policy, PolicyKind};
use serde_json::Value;

const ORG: &str = "o-abc123def4";
const ACCOUNT: &str = "111122223333";

fn dir() -> std::path::PathBuf {
    common::corpus_root().join("policies/data-perimeter-policy-examples-instantiated")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn endpoint_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("corpus directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vpce__") && n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    names
}

/// The AWS-owned resources the examples name by ARN, taken from their "...ToAWSResources" and
/// "...ToAWSOwnedResources" statements: the allow-list a platform team would configure.
fn aws_owned_resources() -> Vec<String> {
    let mut out = Vec::new();
    for name in endpoint_files() {
        let doc: Value = serde_json::from_str(&read(&name)).expect("json");
        for st in doc["Statement"].as_array().expect("statements") {
            let sid = st["Sid"].as_str().unwrap_or_default();
            if sid == "AllowRequestsByOrgsIdentitiesToAWSResources"
                || sid == "AllowRequestsToAWSOwnedResources"
            {
                match &st["Resource"] {
                    Value::String(r) if r != "*" => out.push(r.clone()),
                    Value::Array(rs) => {
                        out.extend(rs.iter().filter_map(|r| r.as_str()).map(String::from))
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn full_perimeter() -> Perimeter {
    let allowed = aws_owned_resources();
    Perimeter {
        identity_orgs: vec![ORG.into()],
        identity_accounts: vec![ACCOUNT.into()],
        identity_excluded_accounts: vec![],
        identity_org_paths: vec![],
        identity_excluded_org_paths: vec![],
        trust_service_principals: true,
        resource_orgs: vec![ORG.into()],
        // AWS service accounts whose resources the examples reach by aws:ResourceAccount.
        resource_accounts: vec![ACCOUNT.into(), "602401143452".into(), "123456789012".into()],
        resource_excluded_accounts: vec![],
        resource_org_paths: vec![],
        resource_excluded_org_paths: vec![],
        allowed_resources: allowed.iter().map(|a| pattern::glob(a)).collect(),
        vpces: vec!["vpce-1a2b3c4d".into()],
        vpcs: vec!["vpc-111bbb22".into()],
        source_ips: vec!["203.0.113.0/24".parse().expect("cidr")],
        principal_tags: vec![("dp:exclude:resource".into(), "true".into())],
        network_tags: vec![("network-perimeter-exception".into(), "true".into())],
        network_applies_to_tags: vec![],
        resource_exempt_arns: vec![],
        network_exempt_arns: vec![],
        third_parties: vec![ThirdParty {
            accounts: vec![
                "222233334444".into(),
                "333344445555".into(),
                "127311923021".into(),
            ],
            resources: [
                "arn:aws:s3:::partner-bucket/*",
                "arn:aws:s3:::example-bucket",
                "arn:aws:s3:::example-bucket/*",
            ]
            .iter()
            .map(|r| pattern::glob(r))
            .collect(),
            actions: None,
        }],
        bucket_mode: BucketMode::Grant,
        ..Perimeter::default()
    }
}

fn endpoint() -> Attachment {
    Attachment::Endpoint {
        id: Some("vpce-1a2b3c4d".into()),
        vpc: Some("vpc-111bbb22".into()),
        service: None,
    }
}

fn analyze(
    name: &str,
    kind: PolicyKind,
    attachment: &Attachment,
    per: &Perimeter,
) -> Vec<(Dimension, ReasonerVerdict)> {
    let policy = Policy::parse(&read(name), kind).unwrap_or_else(|e| panic!("{name}: {e}"));
    reasoner::analyze(&policy, attachment, per)
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect()
}

fn witness(v: &[(Dimension, ReasonerVerdict)], d: Dimension) -> Option<&Witness> {
    v.iter().find(|(x, _)| *x == d).and_then(|(_, v)| match v {
        ReasonerVerdict::Violates(w) => Some(w.as_ref()),
        _ => None,
    })
}

#[test]
fn endpoint_examples_comply_with_their_exceptions() {
    let per = full_perimeter();
    for name in endpoint_files() {
        for (d, v) in analyze(&name, PolicyKind::EndpointPolicy, &endpoint(), &per) {
            assert_eq!(v, ReasonerVerdict::Complies, "{name} {d:?}");
        }
    }
}

#[test]
fn without_the_tag_exception_every_example_violates_through_it() {
    let mut per = full_perimeter();
    per.principal_tags.clear();
    for name in endpoint_files() {
        let v = analyze(&name, PolicyKind::EndpointPolicy, &endpoint(), &per);
        let w = witness(&v, Dimension::Resource).unwrap_or_else(|| panic!("{name}: {v:?}"));
        assert!(
            w.line().contains("tagged dp:exclude:resource=true"),
            "{name}: {}",
            w.line()
        );
        assert!(
            w.statements
                .iter()
                .any(|s| s.sid.as_deref() == Some("AllowRequestsByOrgsIdentitiesToAnyResources")),
            "{name}: {}",
            w.line()
        );
        assert!(
            witness(&v, Dimension::Identity).is_none(),
            "{name}: identities stay inside"
        );
    }
}

#[test]
fn without_the_aws_owned_allow_list_the_aws_resource_statements_violate() {
    let mut per = full_perimeter();
    per.allowed_resources = Default::default();
    let mut through_aws_statements = 0;
    for name in endpoint_files() {
        let v = analyze(&name, PolicyKind::EndpointPolicy, &endpoint(), &per);
        if let Some(w) = witness(&v, Dimension::Resource) {
            assert!(
                w.statements.iter().any(|s| {
                    s.sid.as_deref().is_some_and(|s| {
                        s.contains("AWSResources") || s.contains("AWSOwnedResources")
                    })
                }),
                "{name}: {}",
                w.line()
            );
            through_aws_statements += 1;
        }
    }
    // Every example with AWS-owned resources by ARN (all but default, ecr.api, s3's by account).
    assert!(through_aws_statements >= 7, "{through_aws_statements}");
}

#[test]
fn without_third_parties_the_s3_example_lets_them_in() {
    let mut per = full_perimeter();
    per.third_parties.clear();
    let v = analyze(
        "vpce__s3_endpoint_policy.json",
        PolicyKind::EndpointPolicy,
        &endpoint(),
        &per,
    );
    let w = witness(&v, Dimension::Identity).expect("identity violation");
    assert!(
        w.statements.iter().any(|s| s.sid.as_deref()
            == Some("AllowRequestsByThirdPartyIdentitiesToThirdPartyResources")
            || s.sid.as_deref() == Some("AllowRequestsToAWSOwnedResources")),
        "{}",
        w.line()
    );
}

#[test]
fn the_bucket_example_grants_nothing_and_enforces_only_for_opted_in_principals() {
    let attachment = Attachment::Bucket {
        name: Some("example-bucket".into()),
    };
    let mut per = full_perimeter();
    for (d, v) in analyze(
        "bucket__s3_bucket_policy.json",
        PolicyKind::BucketPolicy,
        &attachment,
        &per,
    ) {
        assert_eq!(
            v,
            ReasonerVerdict::Complies,
            "{d:?}: the policy has no Allow statement"
        );
    }
    per.bucket_mode = BucketMode::Enforce;
    let v = analyze(
        "bucket__s3_bucket_policy.json",
        PolicyKind::BucketPolicy,
        &attachment,
        &per,
    );
    let w = witness(&v, Dimension::Enforce).expect("enforce violation");
    // Its network Deny applies only to principals tagged data-perimeter-include=true.
    assert!(
        !w.line().contains("data-perimeter-include=true"),
        "{}",
        w.line()
    );
    assert!(
        w.line().ends_with("and no Deny statement stops it"),
        "{}",
        w.line()
    );
}
