//! Upbound Organizations policies: RCPs and SCPs are checked, other types skipped.

use serde_json::{Value, json};

use super::*;

fn policy(group: &str, for_provider: Value) -> Value {
    json!({"apiVersion": format!("{group}/v1beta1"), "kind": "Policy",
        "metadata": {"name": "guardrail", "namespace": "org"},
        "spec": {"forProvider": for_provider}})
}

fn guardrail(doc: Value) -> OrganizationPolicy {
    match checked(doc) {
        (ProviderFamily::Upbound, s) => match s.as_slice() {
            [Subject::OrganizationPolicy(p)] => p.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn rcps_and_scps_of_both_scopes_are_guardrails() {
    for group in [
        "organizations.aws.upbound.io",
        "organizations.aws.m.upbound.io",
    ] {
        let p = guardrail(policy(
            group,
            json!({"type": "RESOURCE_CONTROL_POLICY", "content": "{}"}),
        ));
        assert_eq!(p.policy_type, OrganizationPolicyType::ResourceControl);
        assert_eq!(p.content, set("{}", "/spec/forProvider/content"));
        let p = guardrail(policy(
            group,
            json!({"type": "SERVICE_CONTROL_POLICY", "content": "{}"}),
        ));
        assert_eq!(p.policy_type, OrganizationPolicyType::ServiceControl);
        // No type: Organizations creates an SCP.
        let p = guardrail(policy(group, json!({"content": "{}"})));
        assert_eq!(p.policy_type, OrganizationPolicyType::ServiceControl);
    }
    // initProvider when forProvider does not say.
    let mut doc = policy("organizations.aws.upbound.io", json!({}));
    doc["spec"]["initProvider"] = json!({"type": "RESOURCE_CONTROL_POLICY", "content": "{}"});
    let p = guardrail(doc);
    assert_eq!(p.policy_type, OrganizationPolicyType::ResourceControl);
    assert_eq!(p.content, set("{}", "/spec/initProvider/content"));
}

#[test]
fn other_organization_policy_types_are_skipped_with_their_type() {
    let doc = policy(
        "organizations.aws.upbound.io",
        json!({"type": "TAG_POLICY", "content": "{}"}),
    );
    match adapt(&doc) {
        Adapted::Skipped {
            object: Some(o),
            reason,
        } => {
            assert_eq!(o.kind, "Policy");
            assert!(reason.contains("TAG_POLICY"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_observed_guardrail_is_noted() {
    let mut doc = policy(
        "organizations.aws.upbound.io",
        json!({"type": "RESOURCE_CONTROL_POLICY", "content": "{}"}),
    );
    doc["spec"]["managementPolicies"] = json!(["Observe"]);
    match adapt(&doc) {
        Adapted::Checked { notes, .. } => assert!(
            notes
                .iter()
                .any(|n| matches!(n, ObjectNote::Observed { .. })),
            "{notes:?}"
        ),
        other => panic!("{other:?}"),
    }
}
