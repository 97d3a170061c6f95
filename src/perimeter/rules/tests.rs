use serde_json::{Value, json};

use super::*;
use crate::perimeter::load_perimeters;
use crate::resources::{Adapted, adapt};

const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  identity: {trustedOrganizations: [o-abc123def4], trustedAccounts: ["111122223333"]}
  network: {allowedVpcEndpoints: [vpce-1a2b3c4d], allowedVpcs: [vpc-111bbb22]}
  vpcEndpoints:
    allowedServices: ["com.amazonaws.*.s3", "com.amazonaws.*.sts"]
    allowedTypes: [Interface, Gateway]
    allowedVpcs: [vpc-111bbb22]
    allowedSecurityGroups: [sg-0a1b2c3d]
  bucketPolicies: {requireSecureTransport: true}
  rules: {DP-EP-012: Warn}
"#;

fn perimeter() -> DataPerimeter {
    load_perimeters(PERIMETER, "test").unwrap().remove(0)
}

fn findings(doc: Value) -> Vec<(String, String, Enforcement)> {
    let Adapted::Checked { subjects, .. } = adapt(&doc) else {
        panic!("{doc}")
    };
    check(&subjects, &perimeter())
        .into_iter()
        .map(|f| (f.rule.id.to_owned(), f.pointer, f.enforcement))
        .collect()
}

fn ids(doc: Value) -> Vec<String> {
    findings(doc).into_iter().map(|(id, _, _)| id).collect()
}

const ORG_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:ResourceOrgID":"o-abc123def4"}}}]}"#;

fn ack_endpoint(spec: Value) -> Value {
    json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint", "metadata": {"name": "e", "namespace": "n"}, "spec": spec})
}

#[test]
fn compliant_endpoint_has_no_findings() {
    let doc = ack_endpoint(
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Interface", "privateDNSEnabled": true,
        "vpcID": "vpc-111bbb22", "securityGroupIDs": ["sg-0a1b2c3d"], "policyDocument": ORG_POLICY}),
    );
    assert_eq!(findings(doc), vec![]);
}

#[test]
fn endpoint_violations_name_rule_and_pointer() {
    let doc = ack_endpoint(
        json!({"serviceName": "com.amazonaws.us-east-1.dynamodb", "vpcEndpointType": "Interface",
        "vpcID": "vpc-99999999", "securityGroupIDs": ["sg-0a1b2c3d", "sg-ffffffff"], "serviceRegion": "eu-west-1"}),
    );
    assert_eq!(
        findings(doc),
        vec![
            (
                "DP-EP-001".into(),
                "/spec/policyDocument".into(),
                Enforcement::Deny
            ),
            (
                "DP-EP-010".into(),
                "/spec/serviceName".into(),
                Enforcement::Deny
            ),
            ("DP-EP-013".into(), "/spec/vpcID".into(), Enforcement::Deny),
            (
                "DP-EP-015".into(),
                "/spec/securityGroupIDs/1".into(),
                Enforcement::Deny
            ),
            ("DP-EP-012".into(), "/spec".into(), Enforcement::Warn),
            (
                "DP-EP-016".into(),
                "/spec/serviceRegion".into(),
                Enforcement::Deny
            ),
        ]
    );
}

#[test]
fn endpoint_policy_perimeter_findings_carry_witnesses() {
    let open = r#"{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    let doc = ack_endpoint(
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "vpcID": "vpc-111bbb22", "policyDocument": open}),
    );
    let Adapted::Checked { subjects, .. } = adapt(&doc) else {
        panic!()
    };
    let f = check(&subjects, &perimeter());
    assert_eq!(
        f.iter().map(|f| f.rule.id).collect::<Vec<_>>(),
        ["DP-EP-002", "DP-EP-003"]
    );
    assert!(
        f[0].message
            .contains("via statement \"Open\" (/Statement/0)"),
        "{}",
        f[0].message
    );
    assert!(f[0].witness.is_some());
    let bad = ack_endpoint(
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "vpcID": "vpc-111bbb22", "policyDocument": "{\"Statement\":[{\"Effect\":\"allow\"}]}"}),
    );
    assert_eq!(
        findings(bad),
        vec![(
            "DP-EP-004".into(),
            "/spec/policyDocument".into(),
            Enforcement::Deny
        )]
    );
}

#[test]
fn unresolved_references_are_reported_not_guessed() {
    let doc = json!({"apiVersion": "ec2.aws.crossplane.io/v1alpha1", "kind": "VPCEndpoint", "metadata": {"name": "e"},
        "spec": {"forProvider": {"region": "us-east-1", "serviceName": "com.amazonaws.us-east-1.s3", "vpcIdRef": {"name": "v"}, "policyDocument": ORG_POLICY}}});
    assert_eq!(
        findings(doc),
        vec![(
            "DP-REF-001".into(),
            "/spec/forProvider/vpcIdRef".into(),
            Enforcement::Warn
        )]
    );
}

#[test]
fn bucket_policies_by_family() {
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let upbound = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "policy": public}}});
    assert_eq!(ids(upbound), ["DP-BP-001", "DP-BP-002", "DP-BP-004"]);
    let classic = json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
        "spec": {"forProvider": {"locationConstraint": "us-east-1", "policy": {"version": "2012-10-17", "statements": [
            {"effect": "Allow", "principal": {"awsPrincipals": [{"awsAccountId": "111122223333"}]}, "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"],
             "condition": [{"operatorKey": "StringEquals", "conditions": [{"key": "aws:SourceVpce", "stringValue": "vpce-1a2b3c4d"}]}]},
            {"effect": "Deny", "principal": {"allowAnon": true}, "action": ["s3:*"], "resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "condition": [{"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport", "booleanValue": false}]}]}]},
            "publicAccessBlockConfiguration": {"blockPublicAcls": true, "ignorePublicAcls": true,
                "blockPublicPolicy": false, "restrictPublicBuckets": true}}}});
    assert_eq!(
        findings(classic),
        vec![(
            "DP-PAB-001".into(),
            "/spec/forProvider/publicAccessBlockConfiguration/blockPublicPolicy".into(),
            Enforcement::Deny
        )]
    );
    let allow_anon = json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
        "spec": {"forProvider": {"policy": {"statements": [
            {"effect": "Allow", "principal": {"allowAnon": true, "awsPrincipals": [{"awsAccountId": "111122223333"}]}, "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]}]}}}});
    let f = findings(allow_anon);
    assert_eq!(
        f[0],
        (
            "DP-BP-001".into(),
            "/spec/forProvider/policy/statements/0".into(),
            Enforcement::Deny
        ),
        "the structured statement's path"
    );
    let ack_delete = json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": {"name": "b", "namespace": "n"}, "spec": {"name": "b", "policy": ""}});
    assert_eq!(
        findings(ack_delete),
        vec![("DP-BP-004".into(), "/spec/policy".into(), Enforcement::Deny)]
    );
}

#[test]
fn endpoint_service_principals_and_associations() {
    let principals = json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpointServiceConfiguration", "metadata": {"name": "s", "namespace": "n"},
        "spec": {"allowedPrincipals": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/x", "*"]}});
    assert_eq!(
        findings(principals)
            .into_iter()
            .map(|(_, p, _)| p)
            .collect::<Vec<_>>(),
        ["/spec/allowedPrincipals/1", "/spec/allowedPrincipals/2"]
    );
    let assoc = json!({"apiVersion": "ec2.aws.m.upbound.io/v1beta1", "kind": "VPCEndpointSecurityGroupAssociation", "metadata": {"name": "a", "namespace": "n"},
        "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointId": "vpce-1a2b3c4d", "securityGroupId": "sg-ffffffff"}}});
    assert_eq!(ids(assoc), ["DP-EP-015"]);
}

#[test]
fn rule_ids_are_unique_and_overrides_are_validated() {
    for (i, a) in RULES.iter().enumerate() {
        for b in &RULES[i + 1..] {
            assert_ne!(a.id, b.id);
        }
    }
    let bad = PERIMETER.replace("DP-EP-012: Warn", "DP-XX-999: Warn");
    let e = load_perimeters(&bad, "test").unwrap_err();
    assert_eq!(e.field, "spec.rules.DP-XX-999");
}

#[test]
fn crossplane_bucket_policy_compliant_and_violating() {
    let object = |raw: &str| {
        json!({"apiVersion": "s3.aws.crossplane.io/v1alpha3", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-east-1", "bucketName": "b", "rawPolicy": raw}}})
    };
    let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:SourceVpce":"vpce-1a2b3c4d"}}},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    assert_eq!(findings(object(ok)), vec![]);
    let cross_account = ok
        .replace(
            r#""Principal":"*","Action":"s3:GetObject""#,
            r#""Principal":{"AWS":"444455556666"},"Action":"s3:GetObject""#,
        )
        .replace(r#""aws:PrincipalOrgID":"o-abc123def4","#, "");
    // Whether 444455556666 is in the trusted organization is unknown: a warning that says so.
    assert_eq!(
        findings(object(&cross_account)),
        vec![(
            "DP-ORG-001".into(),
            "/spec/forProvider/rawPolicy".into(),
            Enforcement::Warn
        )]
    );
    // Known to be a member: the grant is inside.
    let member = PERIMETER.replace(
        "spec:\n",
        "spec:\n  organizations: [{id: o-abc123def4, accounts: [\"444455556666\"]}]\n",
    );
    assert_eq!(messages_under(object(&cross_account), &member), vec![]);
    // Whoever wants unknown membership read as outside says so.
    let strict = PERIMETER.replace(
        "rules: {DP-EP-012: Warn}",
        "rules: {DP-EP-012: Warn, DP-ORG-001: Deny}",
    );
    let found = messages_under(object(&cross_account), &strict);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0 == "DP-ORG-001"
            && found[0].1.contains("the policy names account 444455556666")
            && found[0].1.contains("spec.organizations[].accounts"),
        "{found:?}"
    );
    // An account the policy does not name (any account: `*` without an organization condition)
    // is a violation, not a question.
    let anyone = ok.replace(r#""aws:PrincipalOrgID":"o-abc123def4","#, "");
    assert_eq!(
        findings(object(&anyone)),
        vec![(
            "DP-BP-001".into(),
            "/spec/forProvider/rawPolicy".into(),
            Enforcement::Deny
        )]
    );
}

#[test]
fn upbound_subnet_and_route_table_associations() {
    let spec = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: s}\nspec:\n  vpcEndpoints: {allowedSubnets: [subnet-0a1b2c3d]}\n";
    let dp = load_perimeters(spec, "t").unwrap().remove(0);
    let run = |doc: Value| {
        let Adapted::Checked { subjects, .. } = adapt(&doc) else {
            panic!()
        };
        check(&subjects, &dp)
            .into_iter()
            .map(|f| (f.rule.id, f.pointer))
            .collect::<Vec<_>>()
    };
    let assoc = |kind: &str, field: &str, value: &str| {
        json!({"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": kind, "metadata": {"name": "a"},
        "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointId": "vpce-1a2b3c4d", field: value}}})
    };
    assert_eq!(
        run(assoc(
            "VPCEndpointSubnetAssociation",
            "subnetId",
            "subnet-0a1b2c3d"
        )),
        vec![]
    );
    assert_eq!(
        run(assoc(
            "VPCEndpointSubnetAssociation",
            "subnetId",
            "subnet-99999999"
        )),
        vec![("DP-EP-014", "/spec/forProvider/subnetId".to_owned())]
    );
    // Route tables have no allow-list: nothing to find.
    assert_eq!(
        run(assoc(
            "VPCEndpointRouteTableAssociation",
            "routeTableId",
            "rtb-0a1b2c3d"
        )),
        vec![]
    );
}

/// The webhook judges an endpoint policy on the calls its service carries (AWS PrivateLink
/// Guide, endpoint policies): on an STS endpoint, a grant of every S3 action to anyone opens
/// nothing, while the same grant of STS actions lets outsiders use the endpoint.
#[test]
fn endpoint_policies_are_judged_on_their_own_service() {
    let endpoint = |action: &str| {
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": "*", "Action": action, "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-abc123def4"}}}]})
        .to_string();
        ack_endpoint(json!({"serviceName": "com.amazonaws.us-east-1.sts",
            "vpcEndpointType": "Interface", "privateDNSEnabled": true, "vpcID": "vpc-111bbb22",
            "securityGroupIDs": ["sg-0a1b2c3d"], "policyDocument": policy}))
    };
    assert_eq!(ids(endpoint("s3:*")), Vec::<String>::new());
    assert!(ids(endpoint("sts:*")).contains(&ENDPOINT_IDENTITY.id.to_owned()));
}

/// A condition whose every value lies outside the key's documented form is reported as
/// DP-POL-001, at most a warning by default (the statement grants nothing, which is safe).
#[test]
fn conditions_no_request_meets_are_warned_about() {
    let policy = ORG_POLICY.replace(
        "\"aws:PrincipalOrgID\":\"o-abc123def4\"",
        "\"aws:PrincipalOrgID\":\"O-ABC123DEF4\"",
    );
    let doc = ack_endpoint(
        json!({"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Interface", "privateDNSEnabled": true,
        "vpcID": "vpc-111bbb22", "securityGroupIDs": ["sg-0a1b2c3d"], "policyDocument": policy}),
    );
    assert_eq!(
        findings(doc),
        [(
            IMPOSSIBLE_CONDITION.id.to_owned(),
            "/spec/policyDocument".to_owned(),
            Enforcement::Warn
        )]
    );
}

/// S3 reads a Block Public Access setting the configuration omits as false (Amazon S3 API
/// Reference, "PublicAccessBlockConfiguration"; Terraform's `aws_s3_bucket_public_access_block`:
/// "Defaults to false"): the four written true pass, each one left out is a finding where it
/// would go. A bucket that writes no configuration keeps S3's default for new buckets (all four
/// on) and has no such finding.
#[test]
fn omitted_block_public_access_settings_are_false() {
    let upbound = |settings: Value| {
        let mut fp = json!({"region": "us-east-1", "bucket": "b"});
        fp.as_object_mut()
            .unwrap()
            .extend(settings.as_object().unwrap().clone());
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPublicAccessBlock",
            "metadata": {"name": "b"}, "spec": {"forProvider": fp}})
    };
    let all = json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true,
        "restrictPublicBuckets": true});
    assert_eq!(findings(upbound(all)), vec![]);
    assert_eq!(
        findings(upbound(
            json!({"blockPublicAcls": true, "ignorePublicAcls": true})
        )),
        vec![
            (
                "DP-PAB-001".into(),
                "/spec/forProvider/blockPublicPolicy".into(),
                Enforcement::Deny
            ),
            (
                "DP-PAB-001".into(),
                "/spec/forProvider/restrictPublicBuckets".into(),
                Enforcement::Deny
            ),
        ]
    );
    // initProvider counts as well as forProvider.
    let mut init = upbound(json!({"blockPublicAcls": true, "ignorePublicAcls": true}));
    init["spec"]["initProvider"] =
        json!({"blockPublicPolicy": true, "restrictPublicBuckets": true});
    assert_eq!(findings(init), vec![]);
    let ack = |block: Value| {
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n"},
            "spec": {"name": "b", "policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
                "publicAccessBlock": block}})
    };
    let message = |doc: Value| {
        let Adapted::Checked { subjects, .. } = adapt(&doc) else {
            panic!()
        };
        check(&subjects, &perimeter())
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        message(ack(
            json!({"blockPublicACLs": true, "ignorePublicACLs": true,
            "blockPublicPolicy": true})
        )),
        [
            "RestrictPublicBuckets is omitted, which S3 reads as false: the configuration written replaces the whole of it"
        ]
    );
    assert_eq!(
        message(ack(
            json!({"blockPublicACLs": true, "ignorePublicACLs": true,
            "blockPublicPolicy": true, "restrictPublicBuckets": true})
        )),
        Vec::<String>::new()
    );
}

/// A bucket given by reference is the bucket the policy's Resource ARNs name: S3 refuses a bucket
/// policy naming resources outside its bucket (Amazon S3 API Reference, PutBucketPolicy:
/// "Policy has invalid resource"). The compliant policy is only warned about the reference (it
/// has the TLS Deny on that bucket); the public twin is denied all the same.
#[test]
fn a_bucket_reference_is_checked_against_the_bucket_the_policy_names() {
    let by_ref = |policy: &str| {
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
            "spec": {"forProvider": {"region": "us-east-1", "bucketRef": {"name": "reports"}, "policy": policy}}})
    };
    let compliant = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::team-reports/*",
         "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:SourceVpce":"vpce-1a2b3c4d"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::team-reports","arn:aws:s3:::team-reports/*"],
         "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    assert_eq!(
        findings(by_ref(compliant)),
        vec![(
            "DP-REF-001".into(),
            "/spec/forProvider/bucketRef".into(),
            Enforcement::Warn
        )]
    );
    let public = compliant.replace(
        r#""Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4","aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
        r#""Condition":{}"#,
    );
    assert_eq!(
        ids(by_ref(&public)),
        ["DP-REF-001", "DP-BP-001", "DP-BP-002"]
    );
}

/// A principal the BucketPolicy's controller resolves after admission: an Allow to it grants
/// nothing yet, so only what is wrong whatever it resolves to is denied; the reference is a
/// warning. The Bucket kind's controller never resolves them: there AWS receives `""`.
#[test]
fn a_principal_reference_is_checked_whatever_it_resolves_to() {
    let classic = |kind: &str, statements: Value| {
        let mut doc = json!({"apiVersion": format!("s3.aws.crossplane.io/{}", if kind == "Bucket" {"v1beta1"} else {"v1alpha3"}),
            "kind": kind, "metadata": {"name": "team-reports"},
            "spec": {"forProvider": {"region": "us-east-1", "policy": {"version": "2012-10-17", "statements": statements}}}});
        if kind == "BucketPolicy" {
            doc["spec"]["forProvider"]["bucketName"] = json!("team-reports");
        }
        doc
    };
    let tls = json!({"effect": "Deny", "principal": {"allowAnon": true}, "action": ["s3:*"],
        "resource": ["arn:aws:s3:::team-reports", "arn:aws:s3:::team-reports/*"],
        "condition": [{"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport", "booleanValue": false}]}]});
    let to_reference = json!({"effect": "Allow", "principal": {"awsPrincipals": [{"iamUserArnSelector": {"matchLabels": {"team": "reports"}}}]},
        "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::team-reports/*"]});
    assert_eq!(
        findings(classic("BucketPolicy", json!([to_reference, tls]))),
        vec![(
            "DP-REF-001".into(),
            "/spec/forProvider/policy/statements/0/principal/awsPrincipals/0".into(),
            Enforcement::Warn
        )]
    );
    // The same statement beside a grant to everyone: that grant is wrong whatever the
    // reference resolves to, and its finding points at its own statement.
    let public = json!({"effect": "Allow", "principal": {"allowAnon": true}, "action": ["s3:GetObject"],
        "resource": ["arn:aws:s3:::team-reports/*"]});
    let f = findings(classic("BucketPolicy", json!([to_reference, public, tls])));
    assert!(
        f.contains(&(
            "DP-BP-001".into(),
            "/spec/forProvider/policy/statements/1".into(),
            Enforcement::Deny
        )),
        "{f:?}"
    );
    // In a Bucket's policy the reference reaches AWS as "": an invalid principal.
    assert_eq!(
        ids(classic("Bucket", json!([to_reference, tls]))),
        ["DP-BP-005"]
    );
}

fn object_findings(doc: Value) -> Vec<(String, String, Enforcement)> {
    let Adapted::Checked {
        subjects, notes, ..
    } = adapt(&doc)
    else {
        panic!("{doc}")
    };
    check_object(&subjects, &notes, &perimeter())
        .into_iter()
        .map(|f| (f.rule.id.to_owned(), f.pointer, f.enforcement))
        .collect()
}

/// Objects that write nothing to AWS are observed, not enforced: Upbound's Observe-only
/// management policies (Crossplane, "Managed Resources": management policies) and ACK's adopt
/// and read-only annotations. Their findings are recorded as Audit beside one warning; the same
/// objects managing AWS are enforced.
#[test]
fn observed_objects_are_recorded_not_enforced() {
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let upbound = |policies: Value| {
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
            "spec": {"managementPolicies": policies, "forProvider": {"region": "us-east-1", "bucket": "b", "policy": public}}})
    };
    let observed = object_findings(upbound(json!(["Observe"])));
    assert_eq!(
        observed.last().unwrap(),
        &(
            "DP-OBS-001".into(),
            "/spec/managementPolicies".into(),
            Enforcement::Warn
        )
    );
    assert!(observed.len() > 1, "{observed:?}");
    assert!(
        observed[..observed.len() - 1]
            .iter()
            .all(|(_, _, e)| *e == Enforcement::Audit),
        "{observed:?}"
    );
    for writes in [json!(["*"]), json!(["Observe", "Update"]), json!([])] {
        let f = object_findings(upbound(writes.clone()));
        assert!(
            f.iter()
                .any(|(id, _, e)| id == "DP-BP-001" && *e == Enforcement::Deny)
                && !f.iter().any(|(id, _, _)| id == "DP-OBS-001"),
            "{writes}: {f:?}"
        );
    }
    let ack = |annotations: Value| {
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n", "annotations": annotations},
            "spec": {"name": "b", "policy": public}})
    };
    for (annotations, observed) in [
        (json!({"services.k8s.aws/adoption-policy": "adopt"}), true),
        (json!({"services.k8s.aws/read-only": "true"}), true),
        (
            json!({"services.k8s.aws/adoption-policy": "adopt-or-create"}),
            false,
        ),
        (json!({}), false),
    ] {
        let f = object_findings(ack(annotations.clone()));
        assert_eq!(
            f.iter().any(|(id, _, _)| id == "DP-OBS-001"),
            observed,
            "{annotations}: {f:?}"
        );
        assert_eq!(
            f.iter().any(|(_, _, e)| *e == Enforcement::Deny),
            !observed,
            "{annotations}: {f:?}"
        );
    }
    // What an observed object omits is whatever AWS has: not a deleted policy, not a false
    // Block Public Access setting. What it states is still recorded.
    let adopted_without_policy = json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "n", "annotations": {"services.k8s.aws/adoption-policy": "adopt"}},
        "spec": {"name": "b", "publicAccessBlock": {"blockPublicPolicy": false}}});
    assert_eq!(
        object_findings(adopted_without_policy),
        vec![
            (
                "DP-PAB-001".into(),
                "/spec/publicAccessBlock/blockPublicPolicy".into(),
                Enforcement::Audit
            ),
            (
                "DP-OBS-001".into(),
                "/metadata/annotations/services.k8s.aws~1adoption-policy".into(),
                Enforcement::Warn
            ),
        ]
    );
    // Crossplane classic provider-aws ignores managementPolicies unless run with its alpha flag.
    let classic = json!({"apiVersion": "s3.aws.crossplane.io/v1alpha3", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"managementPolicies": ["Observe"], "forProvider": {"region": "us-east-1", "bucketName": "b", "rawPolicy": public}}});
    assert!(
        !object_findings(classic)
            .iter()
            .any(|(id, _, _)| id == "DP-OBS-001")
    );
}

/// A version of a checked kind the webhook does not register is read as the newest one it
/// does, with a warning; a registered version has none.
#[test]
fn unregistered_versions_are_read_as_the_newest_registered_one() {
    let endpoint = |version: &str| {
        json!({"apiVersion": format!("ec2.aws.upbound.io/{version}"), "kind": "VPCEndpoint", "metadata": {"name": "e"},
            "spec": {"forProvider": {"region": "us-east-1", "serviceName": "com.amazonaws.us-east-1.s3",
                "vpcId": "vpc-111bbb22", "vpcEndpointType": "Gateway", "policy": ORG_POLICY}}})
    };
    assert_eq!(object_findings(endpoint("v1beta2")), vec![]);
    let Adapted::Checked { notes, .. } = adapt(&endpoint("v1beta3")) else {
        panic!()
    };
    assert_eq!(
        notes,
        [ObjectNote::UnregisteredVersion {
            version: "v1beta3".into(),
            read_as: "v1beta2"
        }]
    );
    assert_eq!(
        object_findings(endpoint("v1beta3")),
        vec![("DP-VER-001".into(), "/apiVersion".into(), Enforcement::Warn)]
    );
}

/// ACL grants (Amazon S3 User Guide, "Access control list (ACL) overview": canned ACLs and
/// grantees) are outside the perimeter unless they go to the bucket owner: a canned public ACL,
/// a grant header naming the AllUsers group, and BucketACL grants to a group or another account
/// are findings; `private`, the owner's own grant and log delivery are not. Object ownership that
/// keeps ACLs working beside such a grant is one more.
#[test]
fn acl_grants_outside_the_owner_are_findings() {
    let ack = |spec: Value| {
        let mut full = json!({"name": "b", "policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#});
        full.as_object_mut()
            .unwrap()
            .extend(spec.as_object().unwrap().clone());
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n"}, "spec": full})
    };
    assert_eq!(
        findings(ack(
            json!({"acl": "public-read", "objectOwnership": "ObjectWriter"})
        )),
        vec![
            ("DP-ACL-001".into(), "/spec/acl".into(), Enforcement::Deny),
            (
                "DP-OWN-001".into(),
                "/spec/objectOwnership".into(),
                Enforcement::Deny
            ),
        ]
    );
    for compliant in [
        json!({"acl": "private", "objectOwnership": "ObjectWriter"}),
        json!({"acl": "log-delivery-write"}),
        json!({"ownershipControls": {"rules": [{"objectOwnership": "BucketOwnerPreferred"}]}}),
    ] {
        assert_eq!(findings(ack(compliant.clone())), vec![], "{compliant}");
    }
    assert_eq!(
        ids(ack(
            json!({"grantRead": "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\", id=\"79a59df9\""})
        )),
        ["DP-ACL-001", "DP-ACL-003"]
    );
    let classic = json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
        "spec": {"forProvider": {"locationConstraint": "us-east-1", "acl": "public-read-write"}}});
    assert_eq!(
        findings(classic),
        vec![
            (
                "DP-ACL-001".into(),
                "/spec/forProvider/acl".into(),
                Enforcement::Deny
            ),
            (
                "DP-ACL-001".into(),
                "/spec/forProvider/acl".into(),
                Enforcement::Deny
            ),
        ]
    );
    let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    let bucket_acl = |version: &str, grantee: Value| {
        let grant = json!({"grantee": grantee, "permission": "READ"});
        let own = json!({"grantee": {"type": "CanonicalUser", "id": owner}, "permission": "FULL_CONTROL"});
        let policy = if version == "v1beta1" {
            json!([{"grant": [own, {"grantee": [grant["grantee"]], "permission": "READ"}], "owner": [{"id": owner}]}])
        } else {
            json!({"grant": [own, grant], "owner": {"id": owner}})
        };
        json!({"apiVersion": format!("s3.aws.upbound.io/{version}"), "kind": "BucketACL", "metadata": {"name": "a"},
            "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "accessControlPolicy": policy}}})
    };
    for version in ["v1beta1", "v1beta2"] {
        assert_eq!(
            findings(bucket_acl(
                version,
                json!({"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"})
            )),
            vec![(
                "DP-ACL-001".into(),
                if version == "v1beta1" {
                    "/spec/forProvider/accessControlPolicy/0/grant/1"
                } else {
                    "/spec/forProvider/accessControlPolicy/grant/1"
                }
                .into(),
                Enforcement::Deny
            )],
            "{version}"
        );
        assert_eq!(
            ids(bucket_acl(
                version,
                json!({"type": "CanonicalUser", "id": "be4c0b2d"})
            )),
            ["DP-ACL-002"],
            "{version}"
        );
        assert_eq!(
            ids(bucket_acl(
                version,
                json!({"type": "CanonicalUser", "id": owner})
            )),
            Vec::<String>::new(),
            "{version}"
        );
    }
}

/// A field the rules read, written with a type the CRD refuses, is a finding at its path (the
/// API server refuses the object before any webhook sees it); the well-typed twin has none.
#[test]
fn wrong_types_are_findings_with_the_field_path() {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
    let ack = |spec: Value| {
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n"}, "spec": spec})
    };
    assert_eq!(
        findings(ack(json!({"name": "b", "policy": policy.to_string()}))),
        vec![]
    );
    // Not "the bucket policy is removed": only the mistyped field.
    assert_eq!(
        object_findings(ack(json!({"name": "b", "policy": policy}))),
        vec![(
            "DP-SCHEMA-001".into(),
            "/spec/policy".into(),
            Enforcement::Deny
        )]
    );
    assert_eq!(
        object_findings(ack(json!("oops"))),
        vec![("DP-SCHEMA-001".into(), "/spec".into(), Enforcement::Deny)]
    );
    let endpoint = |principals: Value| {
        json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpointServiceConfiguration",
            "metadata": {"name": "s", "namespace": "n"}, "spec": {"allowedPrincipals": principals}})
    };
    let Adapted::Checked { notes, .. } = adapt(&endpoint(json!([111122223333u64]))) else {
        panic!()
    };
    let [ObjectNote::TypeError { pointer, message }] = notes.as_slice() else {
        panic!("{notes:?}")
    };
    assert_eq!(pointer, "/spec/allowedPrincipals");
    assert!(message.contains("quote it"), "{message}");
    assert_eq!(
        object_findings(endpoint(json!(["arn:aws:iam::111122223333:root"]))),
        vec![]
    );
    let upbound = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPublicAccessBlock",
        "metadata": {"name": "b"}, "spec": {"forProvider": {"region": "us-east-1", "bucket": "b",
            "blockPublicAcls": "true", "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}}});
    assert_eq!(
        object_findings(upbound),
        vec![(
            "DP-SCHEMA-001".into(),
            "/spec/forProvider/blockPublicAcls".into(),
            Enforcement::Deny
        )]
    );
}

fn messages_under(doc: Value, perimeter_yaml: &str) -> Vec<(String, String)> {
    let Adapted::Checked { subjects, .. } = adapt(&doc) else {
        panic!("{doc}")
    };
    let dp = load_perimeters(perimeter_yaml, "test").unwrap().remove(0);
    check(&subjects, &dp)
        .into_iter()
        .map(|f| (f.rule.id.to_owned(), f.message))
        .collect()
}

fn upbound_bucket_policy(policy: Value) -> Value {
    json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "policy": policy.to_string()}}})
}

/// The bucket policy AWS recommends for the network perimeter, pinned to the organization's
/// endpoints (aws:VpceOrgID): under a perimeter that lists one endpoint, the finding names the
/// field that would declare the organization's endpoints; declared, the policy is admitted.
#[test]
fn a_vpce_org_finding_names_the_field_that_declares_it() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4", "aws:VpceOrgID": "o-abc123def4"}}}]});
    let base = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity: {trustedOrganizations: [o-abc123def4]}\n";
    let listed = format!("{base}  network: {{allowedVpcEndpoints: [vpce-1a2b3c4d]}}\n");
    let found = messages_under(upbound_bucket_policy(policy.clone()), &listed);
    let network: Vec<&String> = found
        .iter()
        .filter(|(id, _)| id == "DP-BP-002")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(network.len(), 1, "{found:?}");
    assert!(
        network[0].contains("declare network.trustedEndpointOrganizations: [o-abc123def4]"),
        "{}",
        network[0]
    );
    let declared = format!("{base}  network: {{trustedEndpointOrganizations: [o-abc123def4]}}\n");
    assert_eq!(
        messages_under(upbound_bucket_policy(policy), &declared),
        vec![],
        "the organization's endpoints are the network"
    );
}

/// A CloudFront grant without a source, under a perimeter that pins service principals: the
/// finding says whom the service acts for and which keys pin it.
#[test]
fn a_confused_deputy_finding_says_how_to_pin_the_service() {
    let grant = |condition: Value| {
        let mut st = json!({"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
        if !condition.is_null() {
            st["Condition"] = condition;
        }
        json!({"Version": "2012-10-17", "Statement": [st]})
    };
    let per = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity:\n    trustedAccounts: [\"111122223333\"]\n    servicePrincipalSources: {accounts: [\"111122223333\"]}\n  network: {allowedSourceIps: [0.0.0.0/0, \"::/0\"]}\n";
    let found = messages_under(upbound_bucket_policy(grant(Value::Null)), per);
    let identity = found
        .iter()
        .find(|(id, _)| id == "DP-BP-001")
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(
        identity.contains("aws:SourceAccount=")
            && identity.contains("identity.servicePrincipalSources"),
        "{identity}"
    );
    let pinned = grant(json!({"StringEquals": {"aws:SourceAccount": "111122223333"}}));
    assert_eq!(messages_under(upbound_bucket_policy(pinned), per), vec![]);
}

/// Resources of an account the policy names, whose membership nothing states: DP-ORG-001, not
/// DP-EP-003; listed as a member, nothing; two such accounts, one finding naming both.
#[test]
fn resources_of_an_account_of_unknown_membership_are_a_question() {
    let endpoint = |accounts: &str| {
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-abc123def4","aws:ResourceAccount":[{accounts}]}}}}}}]}}"#
        );
        ack_endpoint(
            json!({"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Interface", "privateDNSEnabled": true,
            "vpcID": "vpc-111bbb22", "securityGroupIDs": ["sg-0a1b2c3d"], "policyDocument": policy}),
        )
    };
    let named = endpoint(r#""111122223333","444455556666""#);
    let found = messages_under(named.clone(), PERIMETER);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "DP-ORG-001", "{found:?}");
    assert!(found[0].1.contains("account 444455556666"), "{found:?}");
    let member = PERIMETER.replace(
        "spec:\n",
        "spec:\n  organizations: [{id: o-abc123def4, accounts: [\"444455556666\"]}]\n",
    );
    assert_eq!(messages_under(named, &member), vec![]);
    // Two accounts of unknown membership: one question naming both.
    let two = messages_under(endpoint(r#""444455556666","555566667777""#), PERIMETER);
    assert!(
        two.len() == 1
            && two[0].0 == "DP-ORG-001"
            && two[0].1.contains("accounts 444455556666, 555566667777")
            || two.len() == 1
                && two[0].0 == "DP-ORG-001"
                && two[0].1.contains("accounts 555566667777, 444455556666"),
        "{two:?}"
    );
}

/// An endpoint policy of the organisation's identities that grants AWS-owned buckets, under a
/// perimeter declaring `awsOwnedResources` or not, through an S3 endpoint in `service`.
fn owned_findings(resources: &[&str], declared: &str, service: &str) -> Vec<Finding> {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "AmazonLinux", "Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": resources,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}}]});
    let doc = ack_endpoint(json!({"serviceName": service, "vpcEndpointType": "Gateway",
        "vpcID": "vpc-111bbb22", "policyDocument": policy.to_string()}));
    let Adapted::Checked { subjects, .. } = adapt(&doc) else {
        panic!("{doc}")
    };
    let text = format!(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: corp}}\nspec:\n  identity: {{trustedOrganizations: [o-abc123def4]}}\n  resources: {{awsOwnedResources: [{declared}]}}\n"
    );
    check(
        &subjects,
        &load_perimeters(&text, "test").unwrap().remove(0),
    )
}

/// The wildcard form of a set's bucket names is a DP-EP-003 finding even where the perimeter
/// declares the set (IAM's `*` crosses into buckets anyone can create), and its fix names the set
/// and the bucket to grant in the endpoint's Region; the names themselves are admitted.
#[test]
fn a_wildcard_form_of_aws_owned_buckets_is_fixed_with_their_names() {
    const WIDE: &str = "arn:aws:s3:::amazonlinux.*.amazonaws.com/*";
    let found = owned_findings(
        &[WIDE],
        "amazon-linux-repositories",
        "com.amazonaws.eu-west-2.s3",
    );
    let [f] = found.as_slice() else {
        panic!("{found:?}")
    };
    assert_eq!(f.rule.id, "DP-EP-003");
    let arn = &f.witness.as_ref().expect("witness").request.resource.arn;
    assert!(arn.starts_with("arn:aws:s3:::amazonlinux."), "{arn}");
    assert!(
        f.message.contains("via statement \"AmazonLinux\""),
        "{}",
        f.message
    );
    // eu-west-2 is not on the AL1 page's list: the template and the Regions it covers.
    assert!(
        f.fix().starts_with("`arn:aws:s3:::amazonlinux.*.amazonaws.com/*` is the wildcard form of the AWS-owned buckets arn:aws:s3:::amazonlinux.{region}.amazonaws.com/* of the set amazon-linux-repositories"),
        "{}",
        f.fix()
    );
    assert!(
        f.fix()
            .contains("with {region} one of us-east-1, us-east-2,"),
        "{}",
        f.fix()
    );
    assert!(
        f.fix()
            .ends_with("which `resources.awsOwnedResources: [amazon-linux-repositories]` allows"),
        "{}",
        f.fix()
    );

    let found = owned_findings(&[WIDE], "ecr-image-layers", "com.amazonaws.us-east-1.s3");
    let [f] = found.as_slice() else {
        panic!("{found:?}")
    };
    assert!(
        f.fix().contains("grant arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/* (us-east-1, the Region this endpoint reaches Amazon S3 in;"),
        "{}",
        f.fix()
    );
    assert!(f.fix().ends_with("and declare `resources.awsOwnedResources: [amazon-linux-repositories]` so that the perimeter allows them"), "{}", f.fix());

    let names = [
        "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
        "arn:aws:s3:::amazonlinux-2-repos-us-east-1/*",
        "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
        "arn:aws:s3:::packages.us-east-1.amazonaws.com/*",
        "arn:aws:s3:::repo.us-east-1.amazonaws.com/*",
    ];
    let found = owned_findings(
        &names,
        "amazon-linux-repositories",
        "com.amazonaws.us-east-1.s3",
    );
    assert!(found.is_empty(), "{found:?}");
}

/// The names of a set the perimeter does not declare are outside it, and the fix says which set
/// to declare; a finding no AWS-owned bucket explains keeps its rule's fix.
#[test]
fn an_aws_owned_bucket_outside_the_perimeter_is_fixed_by_declaring_its_set() {
    let found = owned_findings(
        &["arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"],
        "amazon-linux-repositories",
        "com.amazonaws.us-east-1.s3",
    );
    let [f] = found.as_slice() else {
        panic!("{found:?}")
    };
    assert_eq!(f.rule.id, "DP-EP-003");
    assert!(
        f.fix().starts_with("prod-us-east-1-starport-layer-bucket is an AWS-owned bucket of the set ecr-image-layers: declare `resources.awsOwnedResources: [ecr-image-layers]`"),
        "{}",
        f.fix()
    );
    let found = owned_findings(
        &["arn:aws:s3:::partner-bucket/*"],
        "ecr-image-layers",
        "com.amazonaws.us-east-1.s3",
    );
    let [f] = found.as_slice() else {
        panic!("{found:?}")
    };
    assert_eq!(f.own_fix, None);
    assert_eq!(f.fix(), ENDPOINT_RESOURCE.fix);
}
mod doors;
