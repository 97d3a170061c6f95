//! `spec.resources.awsOwnedResources` against AWS's own S3 endpoint policy example (placeholders
//! filled in for us-east-1): its AWS-owned bucket names are the sets' names, the example is
//! admitted under a perimeter that declares the sets and lists the rest of the example's
//! AWS-owned buckets, and the wildcard forms of those names are refused with a fix that names
//! the set and the buckets to grant.

use crate::common;

use perimeter_guard::decision::{ObjectVerdict, evaluate};
use perimeter_guard::perimeter::aws_owned;
use perimeter_guard::perimeter::load_perimeters;
use perimeter_guard::perimeter::rules::Finding;
use serde_json::{Value, json};

const AWS_OWNED_SID: &str = "AllowRequestsToAWSOwnedResources";

fn example() -> Value {
    let path = common::corpus_root()
        .join("policies/data-perimeter-policy-examples-instantiated/vpce__s3_endpoint_policy.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).expect("the example is JSON")
}

/// The Resource list of the example's statement for AWS-owned resources.
fn aws_owned_statement_resources(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["Sid"] == AWS_OWNED_SID)
        .and_then(|s| s["Resource"].as_array())
        .expect("the AWS-owned resources statement")
        .iter()
        .map(|r| r.as_str().expect("an ARN").to_owned())
        .collect()
}

/// The example with that statement's Resource list replaced.
fn with_aws_owned_resources(policy: &Value, resources: &[String]) -> Value {
    let mut policy = policy.clone();
    for s in policy["Statement"].as_array_mut().expect("statements") {
        if s["Sid"] == AWS_OWNED_SID {
            s["Resource"] = json!(resources);
        }
    }
    policy
}

fn set_arns(name: &str) -> Vec<String> {
    aws_owned::set(name).expect("a set").arns()
}

/// The example's perimeter: the organisation, the AWS service account its statement for AWS
/// resources names, its third parties and its resource exception tag; `aws_owned` and `allowed`
/// are the two ways of allowing AWS-owned buckets.
fn perimeter(aws_owned: &[&str], allowed: &[String]) -> String {
    format!(
        r#"apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {{name: example}}
spec:
  identity: {{trustedOrganizations: [o-abc123def4]}}
  resources:
    trustedOrganizations: [o-abc123def4]
    trustedAccounts: ["123456789012"]
    awsOwnedResources: {}
    allowedResources: {}
  exceptions:
    principalTags: [{{key: "dp:exclude:resource", value: "true"}}]
    thirdParties:
      - {{accounts: ["222233334444", "333344445555"], resources: ["arn:aws:s3:::partner-bucket/*"]}}
"#,
        json!(aws_owned),
        json!(allowed)
    )
}

/// The findings for an S3 gateway endpoint in us-east-1 with this policy.
fn findings(perimeter: &str, policy: &Value) -> Vec<Finding> {
    let perimeters = load_perimeters(perimeter, "example.yaml").expect("a valid perimeter");
    let endpoint = json!({
        "apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "s3", "namespace": "network"},
        "spec": {"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway",
            "vpcID": "vpc-111bbb22", "policyDocument": policy.to_string()},
    });
    match evaluate(&endpoint, &perimeters) {
        ObjectVerdict::Checked { findings, .. } => findings,
        ObjectVerdict::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

#[test]
fn aws_owned_sets_hold_the_us_east_1_names_of_aws_s3_endpoint_example_corpus() {
    let resources = aws_owned_statement_resources(&example());
    let al = set_arns("amazon-linux-repositories");
    let ecr = set_arns("ecr-image-layers");
    let in_sets: Vec<&str> = resources
        .iter()
        .filter(|r| al.contains(r) || ecr.contains(r))
        .map(String::as_str)
        .collect();
    assert_eq!(
        in_sets,
        [
            "arn:aws:s3:::packages.us-east-1.amazonaws.com/*",
            "arn:aws:s3:::repo.us-east-1.amazonaws.com/*",
            "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
            "arn:aws:s3:::amazonlinux-2-repos-us-east-1/*",
            "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
        ]
    );
}

#[test]
fn aws_s3_endpoint_example_is_admitted_with_the_sets_declared_corpus() {
    let policy = example();
    let resources = aws_owned_statement_resources(&policy);
    let al = set_arns("amazon-linux-repositories");
    let ecr = set_arns("ecr-image-layers");
    let rest: Vec<String> = resources
        .iter()
        .filter(|r| !al.contains(r) && !ecr.contains(r))
        .cloned()
        .collect();
    assert!(rest.len() + 6 == resources.len(), "{rest:?}");

    let declared = perimeter(&["amazon-linux-repositories", "ecr-image-layers"], &rest);
    let found = findings(&declared, &policy);
    assert!(found.is_empty(), "{found:#?}");

    // Amazon Linux's names alone, under the one set.
    let al_only: Vec<String> = resources
        .iter()
        .filter(|r| al.contains(r))
        .cloned()
        .collect();
    let found = findings(
        &perimeter(&["amazon-linux-repositories"], &rest),
        &with_aws_owned_resources(&policy, &al_only),
    );
    assert!(found.is_empty(), "{found:#?}");

    // Without the sets, their names are outside: anyone reaches them (the statement names no
    // principal) and so does the organisation; each fix says which set to declare.
    let found = findings(&perimeter(&[], &rest), &policy);
    let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
    assert_eq!(ids, ["DP-EP-002", "DP-EP-003"], "{found:#?}");
    for f in &found {
        let arn = &f.witness.as_ref().expect("a witness").request.resource.arn;
        let bucket = arn
            .strip_prefix("arn:aws:s3:::")
            .and_then(|r| r.split_once('/'))
            .map(|(b, _)| b)
            .unwrap_or_else(|| panic!("an object ARN: {arn}"));
        let objects = format!("arn:aws:s3:::{bucket}/*");
        let set = if al.contains(&objects) {
            "amazon-linux-repositories"
        } else {
            assert!(ecr.contains(&objects), "{arn}");
            "ecr-image-layers"
        };
        assert!(
            f.fix().starts_with(&format!(
                "{bucket} is an AWS-owned bucket of the set {set}: declare \
                 `resources.awsOwnedResources: [{set}]`"
            )),
            "{}: {}",
            f.rule.id,
            f.fix()
        );
    }
}

/// The example with each of the sets' names replaced by its wildcard form (the region a `*`) is
/// refused even though the perimeter declares the sets, and the fix names the set and the name
/// to grant in the endpoint's Region.
#[test]
fn wildcard_forms_in_aws_s3_endpoint_example_are_refused_with_the_names_corpus() {
    let policy = example();
    let resources = aws_owned_statement_resources(&policy);
    let al = set_arns("amazon-linux-repositories");
    let ecr = set_arns("ecr-image-layers");
    let rest: Vec<String> = resources
        .iter()
        .filter(|r| !al.contains(r) && !ecr.contains(r))
        .cloned()
        .collect();
    let widened: Vec<String> = resources
        .iter()
        .map(|r| {
            if al.contains(r) || ecr.contains(r) {
                r.replace("us-east-1", "*")
            } else {
                r.clone()
            }
        })
        .collect();
    assert!(widened.contains(&"arn:aws:s3:::amazonlinux.*.amazonaws.com/*".to_owned()));
    let declared = perimeter(&["amazon-linux-repositories", "ecr-image-layers"], &rest);
    let found = findings(&declared, &with_aws_owned_resources(&policy, &widened));
    let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
    assert_eq!(ids, ["DP-EP-002", "DP-EP-003"], "{found:#?}");
    const WIDENED: [(&str, &str, &str); 3] = [
        (
            "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
            "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
            "amazon-linux-repositories",
        ),
        (
            "arn:aws:s3:::al2023-repos-*-de612dc2/*",
            "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
            "amazon-linux-repositories",
        ),
        (
            "arn:aws:s3:::prod-*-starport-layer-bucket/*",
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
            "ecr-image-layers",
        ),
    ];
    for f in &found {
        assert!(f.message.contains(AWS_OWNED_SID), "{}", f.message);
        // One advice for each of the six names widened: five of Amazon Linux, one of ECR.
        assert_eq!(
            f.fix().matches("is the wildcard form of").count(),
            6,
            "{}",
            f.fix()
        );
    }
    for (f, (pattern, name, set)) in found.iter().flat_map(|f| WIDENED.map(|w| (f, w))) {
        let advice = format!("`{pattern}` is the wildcard form of the AWS-owned buckets");
        let at = f
            .fix()
            .find(&advice)
            .unwrap_or_else(|| panic!("{pattern}: {}", f.fix()));
        let this = &f.fix()[at..];
        let this = &this[..this.find("; `").unwrap_or(this.len())];
        assert!(this.contains(&format!("of the set {set}")), "{this}");
        assert!(
            this.contains(&format!("grant {name} (us-east-1,")),
            "{this}"
        );
        assert!(
            this.ends_with(&format!(
                "which `resources.awsOwnedResources: [{set}]` allows"
            )),
            "{this}"
        );
    }
}
