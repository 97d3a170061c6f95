//! Guardrail updates: an update of an RCP or SCP that lets through a request outside the
//! perimeter that its old version denied is denied with that request; one that denies more, or
//! the same, is admitted.

use serde_json::{Value, json};

use super::*;

const GUARDRAIL_PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  identity: {trustedOrganizations: [o-abc123def4]}
  resources: {trustedOrganizations: [o-abc123def4]}
"#;

/// AWS's identity perimeter statement (EnforceOrgIdentities) on these actions.
fn rcp(actions: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
        "Action": actions, "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123def4"},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]})
    .to_string()
}

fn policy(policy_type: &str, content: &str) -> Value {
    json!({"apiVersion": "organizations.aws.upbound.io/v1beta1", "kind": "Policy",
        "metadata": {"name": "identity-perimeter"},
        "spec": {"forProvider": {"name": "identity-perimeter", "type": policy_type, "content": content}}})
}

fn guardrail_body(operation: &str, object: &Value, old: Option<&Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800003",
            "kind": {"group": "organizations.aws.upbound.io", "version": "v1beta1", "kind": "Policy"},
            "resource": {"group": "organizations.aws.upbound.io", "version": "v1beta1", "resource": "policies"},
            "name": "identity-perimeter",
            "operation": operation,
            "userInfo": {"username": "alice", "groups": []},
            "object": object, "oldObject": old, "dryRun": false
        }
    }))
    .unwrap()
}

fn reviewed(operation: &str, object: &Value, old: Option<&Value>) -> Reviewed {
    review(
        &guardrail_body(operation, object, old),
        &perimeters(GUARDRAIL_PERIMETER),
        &settings(),
    )
    .unwrap()
}

#[test]
fn an_update_that_stops_denying_a_service_is_denied_with_the_request() {
    let old = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*", "sqs:*"]));
    let created = reviewed("CREATE", &old, None);
    assert_eq!(created.decision, "allow", "{:#}", response(&created));
    // S3 only: complies on its own (it is judged on S3 requests), but SQS requests from outside
    // the organization, denied before, are let through.
    let new = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*"]));
    assert_eq!(reviewed("CREATE", &new, None).decision, "allow");
    let r = reviewed("UPDATE", &new, Some(&old));
    let v = response(&r);
    assert_eq!(v["allowed"], false, "{v:#}");
    assert_eq!(r.rules, vec![("DP-RCP-002", Enforcement::Deny)]);
    let message = v["status"]["message"].as_str().unwrap();
    assert!(message.contains("DP-RCP-002"), "{message}");
    assert!(message.contains("can sqs:"), "{message}");
}

#[test]
fn an_update_that_denies_more_or_the_same_is_admitted() {
    let old = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*"]));
    let stricter = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*", "kms:*"]));
    let r = reviewed("UPDATE", &stricter, Some(&old));
    assert_eq!(r.decision, "allow", "{:#}", response(&r));
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"owner": "security"});
    let r = reviewed("UPDATE", &relabelled, Some(&old));
    assert_eq!(r.decision, "allow", "{:#}", response(&r));
}

#[test]
fn an_scp_update_that_opens_a_network_is_denied() {
    let scp = |endpoints: Value| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": endpoints}}}]})
        .to_string()
    };
    let network = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  identity: {trustedOrganizations: [o-abc123def4]}
  network: {allowedVpcEndpoints: [vpce-1a2b3c4d, vpce-9f8e7d6c]}
"#;
    // No type: an SCP. The new version trusts an endpoint the perimeter also trusts: it
    // complies, yet lets through nothing outside that the old one denied.
    let old = policy("", &scp(json!("vpce-1a2b3c4d")));
    let mut old = old;
    old["spec"]["forProvider"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    let mut within = old.clone();
    within["spec"]["forProvider"]["content"] =
        json!(scp(json!(["vpce-1a2b3c4d", "vpce-9f8e7d6c"])));
    let run = |new: &Value| {
        review(
            &guardrail_body("UPDATE", new, Some(&old)),
            &perimeters(network),
            &settings(),
        )
        .unwrap()
    };
    assert_eq!(run(&within).decision, "allow");
    let mut outside = old.clone();
    outside["spec"]["forProvider"]["content"] =
        json!(scp(json!(["vpce-1a2b3c4d", "vpce-0a0b0c0d"])));
    let r = run(&outside);
    let v = response(&r);
    assert_eq!(v["allowed"], false, "{v:#}");
    assert!(
        r.rules.contains(&("DP-SCP-002", Enforcement::Deny)),
        "{:?}",
        r.rules
    );
    assert!(
        r.rules.contains(&("DP-SCP-001", Enforcement::Deny)),
        "{:?}",
        r.rules
    );
    assert!(
        v["status"]["message"]
            .as_str()
            .unwrap()
            .contains("vpce-0a0b0c0d"),
        "{v:#}"
    );
}

#[test]
fn organization_policies_of_other_types_are_skipped() {
    let tags = policy("TAG_POLICY", r#"{"tags": {}}"#);
    let r = reviewed("CREATE", &tags, None);
    assert_eq!(r.decision, "skip", "{:#}", response(&r));
}

#[test]
fn a_guardrail_update_is_never_answered_without_evaluating() {
    let old = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*", "sqs:*"]));
    let new = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*"]));
    let cache = DecisionCache::new(1 << 20);
    let body = guardrail_body("UPDATE", &new, Some(&old));
    let p = perimeters(GUARDRAIL_PERIMETER);
    // The new object alone, evaluated and cached, complies.
    review_with(
        &guardrail_body("CREATE", &new, None),
        &p,
        &settings(),
        &cache,
    )
    .unwrap();
    assert!(review_without_evaluating(&body, &p, &settings(), &cache).is_none());
    assert_eq!(
        review_with(&body, &p, &settings(), &cache)
            .unwrap()
            .decision,
        "deny"
    );
}

#[test]
fn an_observed_guardrail_update_is_recorded_not_enforced() {
    let observed = |actions: &[&str]| {
        let mut p = policy("RESOURCE_CONTROL_POLICY", &rcp(actions));
        p["spec"]["managementPolicies"] = json!(["Observe"]);
        p
    };
    let r = reviewed(
        "UPDATE",
        &observed(&["s3:*"]),
        Some(&observed(&["s3:*", "sqs:*"])),
    );
    assert_eq!(response(&r)["allowed"], true, "{:#}", response(&r));
    assert!(
        r.rules.contains(&("DP-RCP-002", Enforcement::Audit)),
        "{:?}",
        r.rules
    );
}

/// Deleting a guardrail's object deletes the AWS policy (Crossplane's default deletionPolicy,
/// Delete), which lets through all it denied: denied with a request it denied. Kept in AWS
/// (`deletionPolicy: Orphan`, or managementPolicies without Delete), or a policy that is no
/// guardrail, it is admitted.
#[test]
fn deleting_a_guardrail_is_denied_unless_the_policy_stays_in_aws() {
    let rcp_object = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*"]));
    let r = reviewed("DELETE", &Value::Null, Some(&rcp_object));
    let v = response(&r);
    assert_eq!(v["allowed"], false, "{v:#}");
    assert_eq!(r.rules, vec![("DP-RCP-002", Enforcement::Deny)]);
    let message = v["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("deleting the object deletes the policy") && message.contains("can s3:"),
        "{message}"
    );

    let mut orphaned = rcp_object.clone();
    orphaned["spec"]["deletionPolicy"] = json!("Orphan");
    assert_eq!(
        reviewed("DELETE", &Value::Null, Some(&orphaned)).decision,
        "allow"
    );
    let mut kept = rcp_object.clone();
    kept["spec"]["managementPolicies"] = json!(["Observe", "Create", "Update", "LateInitialize"]);
    assert_eq!(
        reviewed("DELETE", &Value::Null, Some(&kept)).decision,
        "allow"
    );
    let mut all = rcp_object.clone();
    all["spec"]["managementPolicies"] = json!(["*"]);
    assert_eq!(
        reviewed("DELETE", &Value::Null, Some(&all)).decision,
        "deny"
    );
    let tags = policy(
        "TAG_POLICY",
        r#"{"tags":{"team":{"tag_key":{"@@assign":"team"}}}}"#,
    );
    assert_eq!(
        reviewed("DELETE", &Value::Null, Some(&tags)).decision,
        "allow"
    );
    // A user the webhook exempts may delete it, as it may create and update it.
    let exempt = Settings {
        exempt_users: vec!["alice".into()],
        ..settings()
    };
    let r = review(
        &guardrail_body("DELETE", &Value::Null, Some(&rcp_object)),
        &perimeters(GUARDRAIL_PERIMETER),
        &exempt,
    )
    .unwrap();
    assert_eq!(response(&r)["allowed"], true);
}

/// Organizations cannot change a policy's type in place, so the provider replaces the policy:
/// an update of an RCP to a tag policy removes the RCP, and is denied; one to an SCP is judged
/// as the RCP's removal beside the SCP's own findings.
#[test]
fn changing_a_guardrails_type_removes_it() {
    let rcp_object = policy("RESOURCE_CONTROL_POLICY", &rcp(&["s3:*"]));
    let tags = policy(
        "TAG_POLICY",
        r#"{"tags":{"team":{"tag_key":{"@@assign":"team"}}}}"#,
    );
    let r = reviewed("UPDATE", &tags, Some(&rcp_object));
    let v = response(&r);
    assert_eq!(v["allowed"], false, "{v:#}");
    assert_eq!(r.rules, vec![("DP-RCP-002", Enforcement::Deny)]);
    assert!(
        v["status"]["message"]
            .as_str()
            .unwrap()
            .contains("changes the policy's type"),
        "{v:#}"
    );
    // A tag policy updated is nothing to judge.
    assert_eq!(reviewed("UPDATE", &tags, Some(&tags)).decision, "skip");
    let scp = policy(
        "SERVICE_CONTROL_POLICY",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
            .to_string(),
    );
    let r = reviewed("UPDATE", &scp, Some(&rcp_object));
    assert!(
        r.rules.contains(&("DP-RCP-002", Enforcement::Deny)),
        "{:?}",
        r.rules
    );
}
