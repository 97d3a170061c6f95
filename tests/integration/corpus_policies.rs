//! Every policy in the shared corpus: it parses as the kind it is, or it is rejected for the
//! specific reason listed here. A file added to or removed from the corpus fails this test until
//! its expectation is written down.

use crate::common;

use perimeter_guard::iam::{Policy, PolicyKind};
use serde_json::{Value, json};

use PolicyKind::{
    BucketPolicy as Bucket, EndpointPolicy as Endpoint, IdentityPolicy as Identity,
    ResourcePolicy as Resource,
};

const OK: &str = "";
const NO_PRINCIPAL: &str = "has no Principal";
const PLACEHOLDER: &str = "unfilled template placeholder";

/// (path below policies/, the kind the document is, "" for parses or a substring of the error)
const EXPECTED: &[(&str, PolicyKind, &str)] = &[
    ("aws-docs-iam/condkey-principalaccount.json", Identity, OK),
    (
        "aws-docs-iam/condkey-principalisawsservice.json",
        Resource,
        OK,
    ),
    ("aws-docs-iam/condkey-principalorgid.json", Resource, OK),
    (
        "aws-docs-iam/condkey-principalservicename.json",
        Resource,
        OK,
    ),
    ("aws-docs-iam/condkey-resourceaccount.json", Identity, OK),
    ("aws-docs-iam/condkey-resourceorgid.json", Identity, OK),
    ("aws-docs-iam/notprincipal-1.json", Resource, OK),
    ("aws-docs-iam/notprincipal-2.json", Resource, OK),
    ("aws-docs-iam/principal-1.json", Resource, OK),
    (
        "aws-docs-s3-block-public-access/nonpublic-4-sourcevpc-fixed.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3-block-public-access/public-1-federated-principal.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3-block-public-access/public-2-principal-star.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3-block-public-access/public-3-sourcevpc-wildcard.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3-privatelink/bucket-policy-deny-not-sourcevpce-lowercase-key.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3-privatelink/default-endpoint-policy-full-access.json",
        Endpoint,
        OK,
    ),
    (
        "aws-docs-s3-privatelink/ecr-s3-gateway-endpoint-starport-layer-bucket.json",
        Endpoint,
        OK,
    ),
    (
        "aws-docs-s3-privatelink/endpoint-policy-access-to-specific-bucket-only.json",
        Endpoint,
        OK,
    ),
    (
        "aws-docs-s3-privatelink/endpoint-policy-deny-buckets-not-in-account-111122223333.json",
        Endpoint,
        OK,
    ),
    (
        "aws-docs-s3/bucket-allow-a-user-to-only-add-objects-with-a-specific-object-tag-.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-allow-a-user-to-read-only-objects-that-have-a-specific-tag-k.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-allow-access-to-only-your-organization.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-allow-both-ipv4-and-ipv6-addresses.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-deny-not-sourcevpc-vpc-111bbb22.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-deny-not-sourcevpce-vpce-1a2b3c4d.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-grant-access-to-application-load-balancer-for-enabling-acces-2.json",
        Bucket,
        OK,
    ),
    // The doc writes "elb-account-id" where the regional ELB account goes.
    (
        "aws-docs-s3/bucket-grant-access-to-application-load-balancer-for-enabling-acces.json",
        Bucket,
        "the account is not a 12-digit account id",
    ),
    (
        "aws-docs-s3/bucket-grant-cross-account-permissions-to-upload-objects-while-ensu.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-grant-permission-to-an-amazon-cloudfront-oai.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-grant-permissions-for-amazon-s3-storage-lens.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-grant-permissions-for-s3-inventory-and-s3-analytics.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-grant-users-access-to-specific-folders.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-granting-permissions-to-multiple-accounts-to-upload-objects-.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-require-a-specific-tag-key-and-value-when-allowing-users-to-.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-require-sse-kms-for-all-objects-written-to-a-bucket.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-require-sse-kms-with-a-specific-aws-kms-key-for-all-objects-.json",
        Bucket,
        OK,
    ),
    ("aws-docs-s3/bucket-requiring-mfa-2.json", Bucket, OK),
    ("aws-docs-s3/bucket-requiring-mfa-3.json", Bucket, OK),
    ("aws-docs-s3/bucket-requiring-mfa.json", Bucket, OK),
    (
        "aws-docs-s3/bucket-restrict-access-to-a-specific-http-referer.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-restrict-access-to-an-s3-inventory-report.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-restrict-access-to-only-amazon-s3-server-access-log-deliveri.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-restrict-access-to-only-https-requests.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-restrict-access-to-specific-ip-addresses.json",
        Bucket,
        OK,
    ),
    (
        "aws-docs-s3/bucket-restrict-which-object-tag-keys-that-users-can-add.json",
        Bucket,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/bucket__s3_bucket_policy.json",
        Bucket,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__cloudformation_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__default_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__ec2_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__ecr.api_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__iam_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__imagebuilder_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__iot_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__lambda_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__s3_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    (
        "data-perimeter-policy-examples-instantiated/vpce__ssm_endpoint_policy.json",
        Endpoint,
        OK,
    ),
    // A role trust policy has no Resource element: it is not a resource policy of the kinds we check.
    (
        "data-perimeter-policy-examples/resource_based_policies/iam_role_trust_policy.json",
        Resource,
        "neither Resource nor NotResource",
    ),
    (
        "data-perimeter-policy-examples/resource_based_policies/kms_key_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_based_policies/s3_bucket_policy.json",
        Bucket,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_based_policies/secretsmanager_secret_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_based_policies/sns_topic_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_based_policies/sqs_queue_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/data_perimeter_governance_rcp.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/identity_perimeter_rcp.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/network_perimeter_sourcevpc_rcp.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/network_perimeter_vpceorgid_rcp.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/service_specific_controls__api_gateway_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/resource_control_policies/service_specific_controls__sns_topic_policy.json",
        Resource,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/data_perimeter_governance_scp.json",
        Identity,
        OK,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/network_perimeter_sourcevpc_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/network_perimeter_vpceorgid_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/resource_perimeter_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__network_perimeter_ec2_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__network_perimeter_glue_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__network_perimeter_iam_users_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__network_perimeter_lambda_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__restrict_idp_configurations_scp.json",
        Identity,
        OK,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__restrict_nonvpc_deployment_scp.json",
        Identity,
        OK,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__restrict_presignedURL_scp.json",
        Identity,
        OK,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__restrict_resource_policy_configurations_scp.json",
        Identity,
        OK,
    ),
    (
        "data-perimeter-policy-examples/service_control_policies/service_specific_controls__restrict_untrusted_endpoints_scp.json",
        Identity,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/cloudformation_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/default_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/ec2_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/ecr.api_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/iam_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/imagebuilder_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/iot_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/lambda_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/s3_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    (
        "data-perimeter-policy-examples/vpc_endpoint_policies/ssm_endpoint_policy.json",
        Endpoint,
        PLACEHOLDER,
    ),
    ("peer-checkov/01-aws_s3_bucket__fail3.json", Bucket, OK),
    ("peer-checkov/02-aws_s3_bucket__fail2.json", Bucket, OK),
    ("peer-checkov/03-aws_s3_bucket__fail.json", Bucket, OK),
    (
        "peer-checkov/04-aws_s3_bucket__pass.json",
        Bucket,
        "\"some_arn\" is not a valid AWS principal",
    ),
    ("peer-checkov/05-aws_s3_bucket__pass2.json", Bucket, OK),
    (
        "peer-checkov/06-aws_s3_bucket_policy__pass.json",
        Bucket,
        "\"some_arn\" is not a valid AWS principal",
    ),
    (
        "peer-checkov/07-aws_s3_bucket_policy__fail.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/08-aws_s3_bucket_policy__pass_w_condition.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/09-aws_s3_bucket__pass_w_condition.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/10-aws_s3_bucket_policy__pass_w_condition2.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/11-aws_s3_bucket__pass_w_condition2.json",
        Bucket,
        OK,
    ),
    // "arn:aws:iam::*" has five components: what ArnEquals makes of it is undocumented.
    (
        "peer-checkov/12-aws_s3_bucket_policy__fail_w_condition.json",
        Bucket,
        "is not a whole ARN",
    ),
    (
        "peer-checkov/13-aws_s3_bucket__fail_w_condition.json",
        Bucket,
        "is not a whole ARN",
    ),
    (
        "peer-checkov/14-aws_s3_bucket_policy__fail_w_condition.json",
        Bucket,
        "is not a whole ARN",
    ),
    (
        "peer-checkov/15-aws_s3_bucket__pass_w_condition3.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/16-aws_s3_bucket__pass_w_condition4.json",
        Bucket,
        OK,
    ),
    (
        "peer-checkov/17-aws_s3_bucket__pass_w_condition5.json",
        Bucket,
        OK,
    ),
    // aws:PrincipalOrgPath (no s) does not exist: it is never present, which checkov reads as a pass.
    (
        "peer-checkov/18-aws_s3_bucket__pass_w_condition6.json",
        Bucket,
        "\"aws:PrincipalOrgPath\": not an AWS global condition key",
    ),
    // Not policies: the prowler fixtures that hold cases are read by the tests below.
    (
        "peer-prowler/condition_block_cases.json",
        Resource,
        "a policy document must be a JSON object",
    ),
    (
        "peer-prowler/is_policy_public_cases.json",
        Bucket,
        "a policy document must be a JSON object",
    ),
    ("peer-prowler/tb01-with_full_access.json", Endpoint, OK),
    (
        "peer-prowler/tb02-with_trusted_account_arn.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb03-with_trusted_account_id.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb04-with_untrusted_account.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb05-with_config_trusted_account_with_arn.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb06-with_config_trusted_account.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb07-with_two_account_ids_one_trusted_one_not.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb08-with_aws_principal_all.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb09-with_aws_principal_all_but_restricted_condition_with_SourceAccount.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/tb10-with_aws_principal_all_but_restricted_condition_with_PrincipalAccount.json",
        Endpoint,
        OK,
    ),
    (
        "peer-prowler/vpc_endpoint_trust_boundaries_manifest.json",
        Endpoint,
        "a policy document must be a JSON object",
    ),
];

fn policies_dir() -> std::path::PathBuf {
    common::corpus_root().join("policies")
}

fn read(rel: &str) -> String {
    let path = policies_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_corpus_policy_parses_or_is_rejected_for_its_reason() {
    let on_disk: Vec<String> = common::files_below(&policies_dir(), "json")
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let listed: Vec<&str> = EXPECTED.iter().map(|(p, _, _)| *p).collect();
    for file in &on_disk {
        assert!(
            listed.contains(&file.as_str()),
            "{file} is in the corpus but has no expectation here"
        );
    }
    let mut failures = Vec::new();
    for (rel, kind, expected) in EXPECTED {
        assert!(
            on_disk.iter().any(|f| f == rel),
            "{rel} is listed but not in the corpus"
        );
        match (Policy::parse(&read(rel), *kind), *expected) {
            (Ok(_), OK) => {}
            (Ok(_), reason) => {
                failures.push(format!("{rel}: parsed, expected rejection for {reason:?}"))
            }
            (Err(e), OK) => failures.push(format!("{rel}: rejected: {e}")),
            (Err(e), reason) if e.to_string().contains(reason) => {}
            (Err(e), reason) => failures.push(format!(
                "{rel}: rejected for another reason than {reason:?}: {e}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn policies_without_principal_are_not_bucket_or_endpoint_policies() {
    for (rel, kind, expected) in EXPECTED {
        if *kind == Identity && *expected == OK {
            for other in [Bucket, Endpoint, Resource] {
                let err = Policy::parse(&read(rel), other).expect_err(rel);
                assert!(err.problem.contains(NO_PRINCIPAL), "{rel}: {err}");
            }
        }
    }
}

#[test]
fn resource_policies_are_not_identity_policies() {
    for (rel, kind, expected) in EXPECTED {
        if *kind != Identity && *expected == OK {
            let err = Policy::parse(&read(rel), Identity).expect_err(rel);
            assert!(
                err.problem.contains("cannot name a Principal"),
                "{rel}: {err}"
            );
        }
    }
}

#[test]
fn every_file_under_every_kind_gives_an_answer_without_panicking() {
    for rel in common::files_below(&policies_dir(), "json") {
        let text = read(&rel.to_string_lossy());
        for kind in [Bucket, Endpoint, Resource, Identity] {
            if let Ok(p) = Policy::parse(&text, kind) {
                // What parses prints back to a policy that parses the same.
                let again = Policy::from_value(&p.to_json(), kind)
                    .unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
                assert_eq!(again.to_json(), p.to_json(), "{}", rel.display());
            }
        }
    }
}

fn prowler_cases(file: &str) -> Vec<(String, Value)> {
    let doc: Value = serde_json::from_str(&read(&format!("peer-prowler/{file}"))).expect(file);
    let mut out = Vec::new();
    for case in doc.as_array().expect("a list of cases") {
        let name = case["test"].as_str().expect("test name").to_owned();
        for field in ["policies", "conditions"] {
            for item in case[field].as_array().into_iter().flatten() {
                out.push((name.clone(), item.clone()));
            }
        }
    }
    out
}

#[test]
fn prowler_public_policy_cases() {
    let cases = prowler_cases("is_policy_public_cases.json");
    assert!(cases.len() >= 30, "{}", cases.len());
    for (name, policy) in cases {
        let result = Policy::from_value(&policy, Bucket);
        let expected = if name.contains("trusted_account_list") {
            Some(PLACEHOLDER)
        } else if name.contains("nested_dict") {
            Some("a condition value must be a string, number or boolean")
        } else {
            None
        };
        match (result, expected) {
            (Ok(_), None) => {}
            (Err(e), Some(reason)) if e.to_string().contains(reason) => {}
            (r, e) => panic!("{name}: got {r:?}, expected {e:?}"),
        }
    }
}

/// Condition blocks from prowler's tests that AWS would not accept either, and why.
const CONDITION_REJECTIONS: &[(&str, &str)] = &[
    ("CalledVia_str", "multivalued and needs a set operator"),
    ("<condition_value>", PLACEHOLDER),
    ("256.256.256.256", "is not an IPv4 or IPv6 address"),
    (
        "trusted_ips_wildcard",
        "\"*\" is not an IPv4 or IPv6 address",
    ),
];

#[test]
fn prowler_condition_block_cases() {
    let cases = prowler_cases("condition_block_cases.json");
    assert!(cases.len() >= 160, "{}", cases.len());
    for (name, holder) in cases {
        // Each case holds one condition block under a name of the test's choosing.
        let block = holder
            .as_object()
            .and_then(|m| m.values().next())
            .expect(&name)
            .clone();
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": block}]});
        let expected = CONDITION_REJECTIONS
            .iter()
            .find(|(needle, _)| name.contains(needle) || block.to_string().contains(needle))
            .map(|(_, reason)| *reason);
        match (Policy::from_value(&policy, Endpoint), expected) {
            (Ok(_), None) => {}
            (Err(e), Some(reason)) if e.to_string().contains(reason) => {}
            (r, e) => panic!("{name}: got {r:?}, expected {e:?}"),
        }
    }
}
