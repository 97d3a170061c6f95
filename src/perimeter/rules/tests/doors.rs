//! Access point policies, directory bucket policies and the delegation pattern, through the
//! rules: the rule, the pointer, the witness and the fix a reader gets, in both directions.

use super::*;
use crate::resources::{AccessPointKind, AccessPointPolicy, Field, PolicySource};

fn set(value: &str, pointer: &str) -> Field<String> {
    Field::Set {
        value: value.into(),
        pointer: pointer.into(),
    }
}

fn access_point(kind: AccessPointKind, policy: Value, vpc: Field<String>) -> Subject {
    Subject::AccessPointPolicy(AccessPointPolicy {
        kind,
        name: set("reports", "/spec/forProvider/name"),
        account: set("111122223333", "/spec/forProvider/accountId"),
        region: set("us-east-1", "/spec/forProvider/region"),
        bucket: set("b", "/spec/forProvider/bucket"),
        policy: PolicySource::Text {
            text: policy.to_string(),
            pointer: "/spec/forProvider/policy".into(),
        },
        vpc,
        origin_elsewhere: false,
    })
}

fn run(subject: Subject) -> Vec<Finding> {
    check(&[subject], &perimeter())
}

fn summary(found: &[Finding]) -> Vec<(&str, &str)> {
    found
        .iter()
        .map(|f| (f.rule.id, f.pointer.as_str()))
        .collect()
}

fn allow(principal: Value, action: &str, resource: &str, condition: Value) -> Value {
    let mut s =
        json!({"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource});
    if !condition.is_null() {
        s["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [s]})
}

const AP_OBJECTS: &str = "arn:aws:s3:us-east-1:111122223333:accesspoint/reports/object/*";

#[test]
fn an_access_point_open_to_anyone_is_denied_with_the_request_that_proves_it() {
    let found = run(access_point(
        AccessPointKind::Regional,
        allow(json!("*"), "s3:GetObject", AP_OBJECTS, Value::Null),
        Field::Absent,
    ));
    assert_eq!(
        summary(&found),
        vec![
            ("DP-AP-001", "/spec/forProvider/policy"),
            ("DP-AP-002", "/spec/forProvider/policy")
        ]
    );
    // Access points take no anonymous requests: the outsider signs its request.
    let w = found[0].witness.as_ref().expect("witness");
    assert!(
        w.line().starts_with("role session arn:aws:sts::")
            && w.line().contains(
                " can s3:GetObject arn:aws:s3:us-east-1:111122223333:accesspoint/reports/object/"
            ),
        "{}",
        w.line()
    );
    assert!(found[0].fix().contains("aws:PrincipalOrgID"));
    assert!(found[1].fix().contains("VPC-origin access point"));
}

#[test]
fn a_vpc_origin_access_point_for_the_organization_complies() {
    let org = json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}});
    let policy = allow(json!({"AWS": "*"}), "s3:GetObject", AP_OBJECTS, org);
    // In an allowed VPC: nothing to report.
    let vpc = set("vpc-111bbb22", "/spec/forProvider/vpcConfiguration/vpcId");
    assert_eq!(
        summary(&run(access_point(
            AccessPointKind::Regional,
            policy.clone(),
            vpc
        ))),
        vec![]
    );
    // Internet origin: reachable from anywhere.
    assert_eq!(
        summary(&run(access_point(
            AccessPointKind::Regional,
            policy,
            Field::Absent
        ))),
        vec![("DP-AP-002", "/spec/forProvider/policy")]
    );
}

/// A regional access point policy that grants anyone reads, whose access point is named by
/// `accessPointArnRef`: its name, owner and Region are resolved after admission.
fn named_by_reference() -> crate::resources::AccessPointPolicy {
    let Subject::AccessPointPolicy(mut ap) = access_point(
        AccessPointKind::Regional,
        allow(json!("*"), "s3:GetObject", AP_OBJECTS, Value::Null),
        Field::Absent,
    ) else {
        unreachable!()
    };
    for f in [&mut ap.name, &mut ap.account, &mut ap.region] {
        *f = Field::Unresolved {
            pointer: "/spec/forProvider/accessPointArnRef".into(),
        };
    }
    ap
}

#[test]
fn an_access_point_named_by_reference_is_checked_against_its_policy_arns() {
    let ap = named_by_reference();
    let found = run(Subject::AccessPointPolicy(ap));
    assert_eq!(
        summary(&found),
        vec![
            ("DP-REF-001", "/spec/forProvider/accessPointArnRef"),
            ("DP-AP-001", "/spec/forProvider/policy"),
            ("DP-AP-002", "/spec/forProvider/policy")
        ]
    );
    assert!(
        found[1].witness.as_ref().is_some_and(|w| w
            .request
            .resource
            .arn
            .contains(":accesspoint/reports/object/")),
        "{:?}",
        found[1].witness
    );
}

/// A malformed policy is reported as such, and the reference as resolved later: the policy is
/// parsed once, before its ARNs are read, and the reference's finding does not wait for them.
#[test]
fn an_access_point_named_by_reference_with_a_malformed_policy_reports_both() {
    let mut ap = named_by_reference();
    ap.policy = PolicySource::Text {
        text: format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Resource\": \"{AP_OBJECTS}\"}}"
        ),
        pointer: "/spec/forProvider/policy".into(),
    };
    assert_eq!(
        summary(&run(Subject::AccessPointPolicy(ap))),
        vec![
            ("DP-REF-001", "/spec/forProvider/accessPointArnRef"),
            ("DP-AP-003", "/spec/forProvider/policy")
        ]
    );
}

#[test]
fn multi_region_and_object_lambda_access_point_policies_are_judged() {
    let mrap = allow(
        json!({"AWS": "444455556666"}),
        "s3:GetObject",
        "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*",
        Value::Null,
    );
    let found = run(access_point(
        AccessPointKind::MultiRegion,
        mrap,
        Field::Absent,
    ));
    // 444455556666's organization is unknown: the question, not a verdict.
    assert_eq!(
        summary(&found)[0],
        ("DP-ORG-001", "/spec/forProvider/policy")
    );
    let own = allow(
        json!({"AWS": "111122223333"}),
        "s3-object-lambda:GetObject",
        "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/reports",
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    assert_eq!(
        summary(&run(access_point(
            AccessPointKind::ObjectLambda,
            own,
            Field::Absent
        ))),
        vec![]
    );
    let anyone = allow(
        json!("*"),
        "s3-object-lambda:GetObject",
        "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/reports",
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    assert_eq!(
        summary(&run(access_point(
            AccessPointKind::ObjectLambda,
            anyone,
            Field::Absent
        ))),
        vec![("DP-AP-001", "/spec/forProvider/policy")]
    );
}

#[test]
fn an_unparsable_access_point_policy_fails_closed() {
    let Subject::AccessPointPolicy(mut ap) =
        access_point(AccessPointKind::Regional, Value::Null, Field::Absent)
    else {
        unreachable!()
    };
    // Upbound's generated examples hold an unrendered Terraform expression.
    ap.policy = PolicySource::Text {
        text: "${jsonencode({Version = \"2008-10-17\"})}".into(),
        pointer: "/spec/forProvider/policy".into(),
    };
    let found = run(Subject::AccessPointPolicy(ap));
    assert_eq!(
        summary(&found),
        vec![("DP-AP-003", "/spec/forProvider/policy")]
    );
    assert!(
        found[0].message.starts_with("invalid policy"),
        "{}",
        found[0].message
    );
}

const DIRECTORY_ARN: &str = "arn:aws:s3express:us-west-2:111122223333:bucket/data--usw2-az1--x-s3";

fn directory_policy(bucket: &str, policy: Value) -> Value {
    json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-west-2", "bucket": bucket, "policy": policy.to_string()}}})
}

#[test]
fn a_directory_bucket_policy_is_judged_on_s3_express() {
    // Another account may create sessions: the identity perimeter is broken.
    let outsider = allow(
        json!({"AWS": "arn:aws:iam::444455556666:root"}),
        "s3express:CreateSession",
        DIRECTORY_ARN,
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    let found = messages_under(
        directory_policy("data--usw2-az1--x-s3", outsider),
        &PERIMETER.replace(
            "spec:\n",
            "spec:\n  organizations: [{id: o-zyx987wvu6, accounts: [\"444455556666\"]}]\n",
        ),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "DP-BP-001");
    assert!(
        found[0]
            .1
            .contains(&format!("s3express:CreateSession {DIRECTORY_ARN}")),
        "{found:?}"
    );
    // Its twin: the organization's own identities through the expected endpoint. No TLS Deny is
    // asked for: directory buckets take HTTPS only.
    let own = allow(
        json!({"AWS": "*"}),
        "s3express:CreateSession",
        DIRECTORY_ARN,
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4", "aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    assert_eq!(
        ids(directory_policy("data--usw2-az1--x-s3", own.clone())),
        Vec::<String>::new()
    );
    // A bucket given by reference is recognised by its policy's ARNs.
    let by_ref = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-west-2", "bucketRef": {"name": "data"}, "policy": own.to_string()}}});
    assert_eq!(ids(by_ref), vec!["DP-REF-001"]);
}

/// A policy's door is found from its parsed statements exactly as from its source text: the
/// same Resource ARNs (directory bucket, access point and general purpose ones, in one statement
/// or several, agreeing or not on Region and owner, next to NotResource), so the same door.
#[test]
fn a_parsed_policy_names_the_same_door_as_its_text() {
    let other = "arn:aws:s3express:us-east-1:444455556666:bucket/logs--use1-az4--x-s3";
    let statement = |resource: Value| json!({"Effect": "Allow", "Principal": "*", "Action": "s3express:CreateSession", "Resource": resource});
    let not_resource =
        json!({"Effect": "Deny", "Principal": "*", "Action": "*", "NotResource": other});
    let documents = [
        json!({"Version": "2012-10-17", "Statement": statement(json!(DIRECTORY_ARN))}),
        json!({"Version": "2012-10-17", "Statement": [statement(json!([DIRECTORY_ARN, format!("{DIRECTORY_ARN}/*")]))]}),
        json!({"Version": "2012-10-17", "Statement": [statement(json!(DIRECTORY_ARN)), statement(json!(other))]}),
        json!({"Version": "2012-10-17", "Statement": [statement(json!("arn:aws:s3express:*:111122223333:bucket/*")), not_resource.clone()]}),
        json!({"Version": "2012-10-17", "Statement": [not_resource]}),
        json!({"Version": "2012-10-17", "Statement": [statement(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]))]}),
        json!({"Version": "2012-10-17", "Statement": [statement(json!([
            "arn:aws:s3:us-east-1:111122223333:accesspoint/reports",
            "arn:aws:s3:us-east-1:111122223333:accesspoint/reports/object/*"]))]}),
    ];
    let mut doors = 0;
    for document in documents {
        let text = document.to_string();
        let policy = Policy::parse(&text, PolicyKind::BucketPolicy).expect("valid policy");
        let source = PolicySource::Text {
            text,
            pointer: "/spec/policy".into(),
        };
        assert_eq!(
            written_resources(&policy).collect::<Vec<_>>(),
            resource_arns(&source),
            "{document}"
        );
        for bucket in [None, Some("data--usw2-az1--x-s3"), Some("b")] {
            let from_text = directory_bucket(&source, bucket);
            doors += usize::from(from_text.is_some());
            assert_eq!(
                directory_bucket_of(written_resources(&policy), bucket),
                from_text,
                "{document} for {bucket:?}"
            );
        }
    }
    assert!(doors > 3, "the documents name directory buckets");
}

/// AWS's delegation example (Amazon S3 User Guide, "Configuring IAM policies for using access
/// points": "Delegating access control to access points").
fn delegation(account: Option<&str>) -> Value {
    let mut s = json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]});
    if let Some(a) = account {
        s["Condition"] = json!({"StringEquals": {"s3:DataAccessPointAccount": a}});
    }
    json!({"Version": "2012-10-17", "Statement": [s, {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
}

#[test]
fn the_delegation_pattern_complies_for_a_trusted_account_only() {
    assert_eq!(
        ids(upbound_bucket_policy(delegation(Some("111122223333")))),
        Vec::<String>::new()
    );
    let found = messages_under(
        upbound_bucket_policy(delegation(Some("444455556666"))),
        &PERIMETER.replace(
            "spec:\n",
            "spec:\n  organizations: [{id: o-zyx987wvu6, accounts: [\"444455556666\"]}]\n",
        ),
    );
    assert_eq!(
        found.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["DP-BP-001", "DP-BP-002"]
    );
    assert!(
        found[0]
            .1
            .contains(" through access point arn:aws:s3:us-east-1:444455556666:accesspoint/"),
        "the witness goes through the other account's access point: {found:?}"
    );
    assert_eq!(
        ids(upbound_bucket_policy(delegation(None))),
        vec!["DP-BP-001", "DP-BP-002"]
    );
}

fn ack_access_point(spec: Value) -> Value {
    json!({"apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
        "metadata": {"name": "reports", "namespace": "data", "annotations": {"services.k8s.aws/region": "us-east-1"}},
        "spec": spec})
}

#[test]
fn an_access_points_omitted_block_public_access_settings_stay_on() {
    // ACK's upstream example states one setting: the other three stay on (unlike a bucket's
    // PutPublicAccessBlock, which reads an omitted setting as false).
    let own = allow(
        json!({"AWS": "111122223333"}),
        "s3:GetObject",
        AP_OBJECTS,
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    let spec = json!({"name": "reports", "bucket": "b", "accountID": "111122223333",
        "publicAccessBlockConfiguration": {"blockPublicACLs": true}, "policy": own.to_string()});
    assert_eq!(findings(ack_access_point(spec.clone())), vec![]);
    let mut off = spec;
    off["publicAccessBlockConfiguration"]["blockPublicPolicy"] = json!(false);
    assert_eq!(ids(ack_access_point(off)), vec!["DP-PAB-001".to_owned()]);
}

#[test]
fn an_ack_access_point_policy_is_read_from_the_object() {
    let spec = json!({"name": "reports", "bucket": "b", "accountID": "111122223333",
        "policy": allow(json!("*"), "s3:GetObject", AP_OBJECTS, Value::Null).to_string()});
    assert_eq!(
        findings(ack_access_point(spec.clone())),
        vec![
            ("DP-AP-001".into(), "/spec/policy".into(), Enforcement::Deny),
            ("DP-AP-002".into(), "/spec/policy".into(), Enforcement::Deny)
        ]
    );
    // A VPC-origin access point in an allowed VPC, for the organization: its twin.
    let mut twin = spec;
    twin["vpcConfiguration"] = json!({"vpcID": "vpc-111bbb22"});
    twin["policy"] = json!(
        allow(
            json!("*"),
            "s3:GetObject",
            AP_OBJECTS,
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}})
        )
        .to_string()
    );
    assert_eq!(findings(ack_access_point(twin)), vec![]);
}

fn upbound_access_point_policy(policy: Value) -> Value {
    json!({"apiVersion": "s3control.aws.upbound.io/v1beta1", "kind": "AccessPointPolicy",
        "metadata": {"name": "reports"},
        "spec": {"forProvider": {"accessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/reports",
            "policy": policy.to_string()}}})
}

#[test]
fn an_access_point_policy_object_does_not_know_the_network_origin() {
    // The organization from anywhere: reachable from outside the expected networks if the access
    // point is Internet-origin, which only its AccessPoint object says: a warning that says so.
    let org = allow(
        json!({"AWS": "*"}),
        "s3:GetObject",
        AP_OBJECTS,
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}),
    );
    assert_eq!(
        findings(upbound_access_point_policy(org)),
        vec![(
            "DP-AP-004".into(),
            "/spec/forProvider/policy".into(),
            Enforcement::Warn
        )]
    );
    // Pinned to the expected endpoint, whatever the origin: nothing to say.
    let pinned = allow(
        json!({"AWS": "*"}),
        "s3:GetObject",
        AP_OBJECTS,
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4", "aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    assert_eq!(findings(upbound_access_point_policy(pinned)), vec![]);
    // The identity perimeter does not rest on the origin: anyone is denied.
    let anyone = allow(json!("*"), "s3:GetObject", AP_OBJECTS, Value::Null);
    assert_eq!(
        ids(upbound_access_point_policy(anyone)),
        vec!["DP-AP-001".to_owned(), "DP-AP-004".to_owned()]
    );
}

#[test]
fn delegating_to_an_account_of_unknown_membership_is_a_question() {
    // 444455556666 may be a member of the trusted organization: then its access points are
    // inside and the bucket may delegate to them. Both dimensions say so, as warnings.
    let found = messages_under(
        upbound_bucket_policy(delegation(Some("444455556666"))),
        PERIMETER,
    );
    assert_eq!(
        found.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["DP-ORG-001", "DP-ORG-001"]
    );
    assert!(
        found[1].1.contains(
            "the policy names account 444455556666, whose organization the perimeter does not know"
        ),
        "{found:?}"
    );
    // Listed as a member, it complies.
    let member = PERIMETER.replace(
        "spec:\n",
        "spec:\n  organizations: [{id: o-abc123def4, accounts: [\"444455556666\"]}]\n",
    );
    assert_eq!(
        messages_under(
            upbound_bucket_policy(delegation(Some("444455556666"))),
            &member
        ),
        vec![]
    );
}
