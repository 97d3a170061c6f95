//! Real upstream manifests read as Kubernetes and the providers read them, each beside its
//! compliant or violating twin: omitted Block Public Access settings, ACLs and object ownership,
//! buckets and principals given by reference, objects that only observe or adopt what exists,
//! and S3's other doors (access points, Multi-Region Access Points, directory buckets).

use perimeter_guard::decision::{AdmissionDecision, ObjectVerdict, evaluate};
use perimeter_guard::perimeter::config::Enforcement;
use perimeter_guard::perimeter::{DataPerimeter, load_perimeters};
use serde_json::{Value, json};

use crate::common;

fn perimeters() -> Vec<DataPerimeter> {
    load_perimeters(&common::admission::example_perimeter(), "example").expect("valid")
}

/// The object of `kind` named `name` in the corpus file.
fn upstream(file: &str, kind: &str, name: &str) -> Value {
    let path = common::corpus_root().join("manifests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    perimeter_guard::yaml::stream_to_json(&text)
        .expect("the corpus is valid YAML")
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{file} has no {kind} {name}"))
}

/// (rule, pointer, enforcement) of every finding, and the decision.
fn decided(doc: &Value) -> (Vec<(String, String, Enforcement)>, AdmissionDecision) {
    match evaluate(doc, &perimeters()) {
        ObjectVerdict::Checked {
            findings, decision, ..
        } => (
            findings
                .iter()
                .map(|f| (f.rule.id.to_owned(), f.pointer.clone(), f.enforcement))
                .collect(),
            decision,
        ),
        ObjectVerdict::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

fn rules_of(doc: &Value) -> Vec<String> {
    decided(doc).0.into_iter().map(|(id, _, _)| id).collect()
}

/// provider-aws's example bucket writes `blockPublicPolicy: true` alone: S3 reads the three
/// settings it omits as false (PutPublicAccessBlock replaces the whole configuration). It
/// replicates to a bucket given by reference, a warning until the reference is set.
#[test]
fn omitted_block_public_access_settings_on_the_classic_example_bucket() {
    let bucket = upstream("crossplane-classic/s3-bucket.yaml", "Bucket", "test-bucket");
    let base = "/spec/forProvider/publicAccessBlockConfiguration";
    let reference = (
        "DP-REF-001".to_owned(),
        "/spec/forProvider/replicationConfiguration/rules/0/destination/bucketRef".to_owned(),
        Enforcement::Warn,
    );
    let (findings, decision) = decided(&bucket);
    assert_eq!(
        findings,
        [
            "blockPublicAcls",
            "ignorePublicAcls",
            "restrictPublicBuckets"
        ]
        .iter()
        .map(|s| (
            "DP-PAB-001".to_owned(),
            format!("{base}/{s}"),
            Enforcement::Deny
        ))
        .chain([reference.clone()])
        .collect::<Vec<_>>()
    );
    assert_eq!(decision, AdmissionDecision::Deny);
    let mut all_on = bucket.clone();
    all_on["spec"]["forProvider"]["publicAccessBlockConfiguration"] = json!({
        "blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true});
    assert_eq!(decided(&all_on), (vec![reference], AdmissionDecision::Warn));
}

/// provider-aws's replication destination bucket writes `acl: private`; its public twin is an
/// identity-perimeter violation at the same field.
#[test]
fn canned_acls_on_the_classic_example_bucket() {
    let bucket = upstream("crossplane-classic/s3-bucket.yaml", "Bucket", "repl-dest");
    assert_eq!(decided(&bucket), (vec![], AdmissionDecision::Allow));
    let mut public = bucket.clone();
    public["spec"]["forProvider"]["acl"] = json!("authenticated-read");
    assert_eq!(
        decided(&public),
        (
            vec![(
                "DP-ACL-001".into(),
                "/spec/forProvider/acl".into(),
                Enforcement::Deny
            )],
            AdmissionDecision::Deny
        )
    );
}

/// The ACK bucket from community issue 1796: a private ACL with ownership controls that keep
/// ACLs working, and a public bucket policy. The policy is the violation, not the ACL; with a
/// public-read ACL the ownership setting that lets it work is one more.
#[test]
fn ack_bucket_with_ownership_controls_and_an_acl() {
    let bucket = upstream(
        "ack/issue-community-1796-bucket-public-read-policy.yaml",
        "Bucket",
        "staging-bucket-it",
    );
    let rules = rules_of(&bucket);
    assert!(rules.contains(&"DP-BP-001".to_owned()), "{rules:?}");
    assert!(
        !rules
            .iter()
            .any(|r| r.starts_with("DP-ACL") || r == "DP-OWN-001"),
        "{rules:?}"
    );
    let mut public_acl = bucket.clone();
    public_acl["spec"]["acl"] = json!("public-read");
    let (findings, _) = decided(&public_acl);
    for expected in [
        ("DP-ACL-001", "/spec/acl"),
        (
            "DP-OWN-001",
            "/spec/ownershipControls/rules/0/objectOwnership",
        ),
    ] {
        assert!(
            findings
                .iter()
                .any(|(id, p, e)| (id.as_str(), p.as_str()) == expected && *e == Enforcement::Deny),
            "{expected:?} in {findings:?}"
        );
    }
}

/// The cross-account BucketPolicy of provider-upjet-aws PR 2150 names its bucket by selector.
/// Its policy names the bucket `op-4tpkcbvy`, so it is checked against that bucket whatever the
/// selector matches, and the reference itself is only a warning. It grants another account,
/// whose membership in the trusted organization nothing states: that is DP-ORG-001, a warning
/// naming the account; the policy is denied for what it does whatever that account is (no
/// expected network, no TLS Deny). The twin granting a trusted account through the expected
/// endpoint, with the TLS Deny, is admitted with the reference warning.
#[test]
fn bucket_policy_by_selector_is_checked_against_the_bucket_it_names() {
    let policy = upstream(
        "upbound/pr-upjet-2150-bucketpolicy-cross-account.yaml",
        "BucketPolicy",
        "example",
    );
    let (findings, decision) = decided(&policy);
    assert_eq!(decision, AdmissionDecision::Deny);
    assert!(
        findings.contains(&(
            "DP-REF-001".into(),
            "/spec/forProvider/bucketSelector".into(),
            Enforcement::Warn
        )),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|(id, _, e)| id == "DP-ORG-001" && *e == Enforcement::Warn),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|(id, _, e)| id == "DP-BP-002" && *e == Enforcement::Deny),
        "{findings:?}"
    );
    let mut trusted = policy.clone();
    trusted["spec"]["forProvider"]["policy"] = json!(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["s3:GetObject","s3:ListBucket"],
         "Resource":["arn:aws:s3:::op-4tpkcbvy","arn:aws:s3:::op-4tpkcbvy/*"],"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::op-4tpkcbvy","arn:aws:s3:::op-4tpkcbvy/*"],
         "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
    );
    assert_eq!(
        decided(&trusted),
        (
            vec![(
                "DP-REF-001".into(),
                "/spec/forProvider/bucketSelector".into(),
                Enforcement::Warn
            )],
            AdmissionDecision::Warn
        )
    );
}

/// provider-aws's structured BucketPolicy example gives its bucket by `bucketNameRef` and its
/// only principal by `iamUserArnSelector`, both resolved by the controller after admission.
/// The grant to the selected user is not judged until then (it is not "the principal is an empty
/// string"); what is wrong whatever they resolve to, the missing TLS Deny, is denied.
#[test]
fn structured_bucket_policy_by_reference_is_checked_whatever_it_resolves_to() {
    let policy = upstream(
        "crossplane-classic/s3-bucketpolicy-structured.yaml",
        "BucketPolicy",
        "bucketpolicy-public",
    );
    let (findings, decision) = decided(&policy);
    assert_eq!(
        findings,
        vec![
            (
                "DP-REF-001".into(),
                "/spec/forProvider/bucketNameRef".into(),
                Enforcement::Warn
            ),
            (
                "DP-REF-001".into(),
                "/spec/forProvider/policy/statements/0/principal/awsPrincipals/0".into(),
                Enforcement::Warn
            ),
            (
                "DP-BP-004".into(),
                "/spec/forProvider/policy".into(),
                Enforcement::Deny
            ),
        ]
    );
    assert_eq!(decision, AdmissionDecision::Deny);
    let mut with_tls = policy.clone();
    let statements = with_tls["spec"]["forProvider"]["policy"]["statements"]
        .as_array_mut()
        .expect("statements");
    statements.push(json!({"effect": "Deny", "principal": {"allowAnon": true}, "action": ["s3:*"],
        "resource": ["arn:aws:s3:::crossplane-example-bucket", "arn:aws:s3:::crossplane-example-bucket/*"],
        "condition": [{"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport", "booleanValue": false}]}]}));
    let (findings, decision) = decided(&with_tls);
    assert_eq!(decision, AdmissionDecision::Warn, "{findings:?}");
    assert!(findings.iter().all(|(id, _, _)| id == "DP-REF-001"));
}

/// The ACK VPCEndpoint of community issue 2296 adopts an existing endpoint
/// (`adoption-policy: adopt`) and states no policy: ACK fills its spec from AWS, so the omitted
/// policy is whatever the endpoint has, not AWS's default, and the object is admitted with one
/// warning. A policy it does state is still judged, recorded as Audit. Without the annotation the
/// same object would create an endpoint with the default policy, and is denied.
#[test]
fn adopted_endpoint_is_observed_not_enforced() {
    let endpoint = upstream(
        "ack/issue-community-2296-vpcendpoint-adoption.yaml",
        "VPCEndpoint",
        "astef8-sbx-va6-test",
    );
    assert_eq!(
        decided(&endpoint),
        (
            vec![(
                "DP-OBS-001".into(),
                "/metadata/annotations/services.k8s.aws~1adoption-policy".into(),
                Enforcement::Warn
            )],
            AdmissionDecision::Warn
        )
    );
    let mut stated = endpoint.clone();
    stated["spec"]["policyDocument"] = json!(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
    );
    let (findings, decision) = decided(&stated);
    assert_eq!(decision, AdmissionDecision::Warn, "{findings:?}");
    assert!(
        findings
            .iter()
            .any(|(id, _, e)| id == "DP-EP-002" && *e == Enforcement::Audit),
        "{findings:?}"
    );
    let mut created = endpoint.clone();
    created["metadata"]["annotations"]
        .as_object_mut()
        .expect("annotations")
        .remove("services.k8s.aws/adoption-policy");
    let (findings, decision) = decided(&created);
    assert_eq!(decision, AdmissionDecision::Deny, "{findings:?}");
    assert!(
        findings.iter().any(|(id, _, _)| id == "DP-EP-001"),
        "{findings:?}"
    );
    assert!(!findings.iter().any(|(id, _, _)| id == "DP-OBS-001"));
}

/// An ACK e2e template with its `$VARS` filled as the harness fills them.
fn instantiated(file: &str, vars: &[(&str, &str)]) -> Value {
    let path = common::corpus_root().join("manifests").join(file);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    for (name, value) in vars {
        text = text.replace(&format!("${name}"), value);
    }
    perimeter_guard::yaml::to_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn access_point_policy(principal: Value, condition: Value, resource: &str) -> String {
    let mut st = json!({"Effect": "Allow", "Principal": principal,
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": resource});
    if !condition.is_null() {
        st["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [st]}).to_string()
}

/// ACK's access point with a policy, filled with AWS's example (Amazon S3 User Guide,
/// "Configuring IAM policies for using access points", a user's objects under their prefix) for
/// a user of the platform's account. The template states one Block Public Access setting, and an
/// access point's omitted settings stay on. Internet-origin, it is reachable from anywhere the
/// policy allows; its twin is VPC-origin in the platform's VPC.
#[test]
fn ack_access_point_with_a_policy_and_its_vpc_origin_twin() {
    let objects = "arn:aws:s3:us-east-1:111122223333:accesspoint/example-ap/object/Jane/*";
    let policy = access_point_policy(
        json!({"AWS": "arn:aws:iam::111122223333:user/Jane"}),
        Value::Null,
        objects,
    );
    let mut ap = instantiated(
        "ack/s3control-e2e-accesspoint_with_policy.yaml",
        &[
            ("ACCESS_POINT_NAME", "example-ap"),
            ("BUCKET_NAME", "example-reports"),
            ("ACCOUNT_ID", "111122223333"),
            ("POLICY_DOCUMENT", &policy),
        ],
    );
    ap["metadata"]["annotations"] = json!({"services.k8s.aws/region": "us-east-1"});
    let (findings, decision) = decided(&ap);
    assert_eq!(
        findings,
        vec![(
            "DP-AP-002".to_owned(),
            "/spec/policy".to_owned(),
            Enforcement::Deny
        )]
    );
    assert_eq!(decision, AdmissionDecision::Deny);
    let mut twin = ap.clone();
    twin["spec"]["vpcConfiguration"] = json!({"vpcID": "vpc-111bbb22"});
    assert_eq!(decided(&twin), (vec![], AdmissionDecision::Allow));
    // Open to anyone, VPC origin does not help the identity perimeter.
    twin["spec"]["policy"] = json!(access_point_policy(json!("*"), Value::Null, objects));
    assert_eq!(rules_of(&twin), vec!["DP-AP-001"]);
}

/// Upbound's AccessPointPolicy example writes its policy as a Terraform expression
/// (`${jsonencode(...)}`), which is no JSON: it fails closed. Rendered as Terraform renders it
/// (anyone may read object tags through the access point), it breaks the identity perimeter;
/// its twin for the organization through the expected endpoint keeps only the reference warning.
#[test]
fn upbound_access_point_policy_as_written_rendered_and_its_twin() {
    let written = upstream(
        "upbound/s3control-cluster-v1beta1-accesspointpolicy.yaml",
        "AccessPointPolicy",
        "example",
    );
    let selector = (
        "DP-REF-001".to_owned(),
        "/spec/forProvider/accessPointArnSelector".to_owned(),
        Enforcement::Warn,
    );
    let policy_at = "/spec/forProvider/policy".to_owned();
    assert_eq!(
        decided(&written),
        (
            vec![
                selector.clone(),
                ("DP-AP-003".to_owned(), policy_at.clone(), Enforcement::Deny)
            ],
            AdmissionDecision::Deny
        )
    );
    let objects = "arn:aws:s3:us-west-1:111122223333:accesspoint/example/object/*";
    let rendered_policy = json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObjectTagging", "Principal": {"AWS": "*"}, "Resource": objects}]});
    let mut rendered = written.clone();
    rendered["spec"]["forProvider"]["policy"] = json!(rendered_policy.to_string());
    assert_eq!(
        decided(&rendered),
        (
            vec![
                selector.clone(),
                ("DP-AP-001".to_owned(), policy_at.clone(), Enforcement::Deny),
                ("DP-AP-004".to_owned(), policy_at, Enforcement::Warn)
            ],
            AdmissionDecision::Deny
        )
    );
    let mut twin = rendered;
    let mut twin_policy = rendered_policy;
    twin_policy["Statement"][0]["Condition"] = json!({"StringEquals": {
        "aws:PrincipalOrgID": "o-abc123def4", "aws:SourceVpce": "vpce-1a2b3c4d"}});
    twin["spec"]["forProvider"]["policy"] = json!(twin_policy.to_string());
    assert_eq!(decided(&twin), (vec![selector], AdmissionDecision::Warn));
}

/// Upbound's Multi-Region Access Point policy, rendered (the platform's account may read and
/// write objects through the alias): a Multi-Region Access Point is reachable from anywhere, so
/// only a network condition keeps it inside; its twin pins the expected endpoint.
#[test]
fn upbound_multi_region_access_point_policy_rendered_and_its_twin() {
    let written = upstream(
        "upbound/s3control-cluster-v1beta2-multiregionaccesspointpolicy.yaml",
        "MultiRegionAccessPointPolicy",
        "example",
    );
    let objects = "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*";
    let mut rendered = written.clone();
    rendered["spec"]["forProvider"]["details"]["policy"] = json!(access_point_policy(
        json!({"AWS": "111122223333"}),
        Value::Null,
        objects
    ));
    assert_eq!(rules_of(&rendered), vec!["DP-AP-002"]);
    let mut twin = written;
    twin["spec"]["forProvider"]["details"]["policy"] = json!(access_point_policy(
        json!({"AWS": "111122223333"}),
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        objects
    ));
    assert_eq!(decided(&twin), (vec![], AdmissionDecision::Allow));
}

/// ACK's directory bucket policy (S3 Express One Zone) denies everyone sessions: a Deny-only
/// policy grants nothing, and a directory bucket takes HTTPS only, so no TLS Deny is asked for.
/// Its twin lets a partner's account open sessions: the identity perimeter is broken, with an
/// `s3express:CreateSession` witness.
#[test]
fn ack_directory_bucket_policy_and_its_twin() {
    let bucket = "example-scratch--usw2-az1--x-s3";
    let arn = format!("arn:aws:s3express:us-west-2:111122223333:bucket/{bucket}");
    let deny_only = instantiated(
        "ack/s3-e2e-directory_bucket_policy.yaml",
        &[("BUCKET_NAME", bucket), ("BUCKET_ARN", &arn)],
    );
    assert_eq!(decided(&deny_only), (vec![], AdmissionDecision::Allow));
    let mut twin = deny_only;
    twin["spec"]["policy"] = json!(
        json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
        "Action": "s3express:CreateSession", "Resource": arn,
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]})
        .to_string()
    );
    let verdict = evaluate(&twin, &perimeters());
    let ObjectVerdict::Checked { findings, .. } = verdict else {
        panic!("skipped")
    };
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule.id, "DP-BP-001");
    assert!(
        findings[0]
            .message
            .contains(&format!("can s3express:CreateSession {arn}")),
        "{}",
        findings[0].message
    );
}

/// Upbound's Object Lambda Access Point invokes a Lambda function, given by selector, with every
/// object read through it: a warning until the reference is set. Resolved to a partner's
/// function, the objects leave the perimeter (DP-DEST-001); to the platform's own, nothing.
#[test]
fn upbound_object_lambda_access_point_function_and_its_twins() {
    let written = upstream(
        "upbound/s3control-cluster-v1beta2-objectlambdaaccesspoint.yaml",
        "ObjectLambdaAccessPoint",
        "example",
    );
    let lambda = "/spec/forProvider/configuration/transformationConfiguration/0/contentTransformation/awsLambda";
    assert_eq!(
        decided(&written),
        (
            vec![(
                "DP-REF-001".to_owned(),
                format!("{lambda}/functionArnSelector"),
                Enforcement::Warn
            )],
            AdmissionDecision::Warn
        )
    );
    let resolved = |arn: &str| {
        let mut doc = written.clone();
        doc["spec"]["forProvider"]["configuration"]["transformationConfiguration"][0]["contentTransformation"]
            ["awsLambda"]["functionArn"] = json!(arn);
        doc
    };
    // The value the controller writes wins over the selector that found it.
    let partner = resolved("arn:aws:lambda:us-east-1:210987654321:function:transform");
    assert_eq!(
        decided(&partner),
        (
            vec![(
                "DP-DEST-001".to_owned(),
                format!("{lambda}/functionArn"),
                Enforcement::Deny
            )],
            AdmissionDecision::Deny
        )
    );
    let mut own = resolved("arn:aws:lambda:us-east-1:111122223333:function:transform");
    own["spec"]["forProvider"]["configuration"]["transformationConfiguration"][0]
        ["contentTransformation"]["awsLambda"]
        .as_object_mut()
        .expect("a mapping")
        .remove("functionArnSelector");
    assert_eq!(decided(&own), (vec![], AdmissionDecision::Allow));
}
