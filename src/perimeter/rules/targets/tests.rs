use serde_json::{Value, json};

use crate::perimeter::catalog::{ENDPOINT_SERVICE_OWNER_UNKNOWN, ENDPOINT_TARGET_OWNER};
use crate::perimeter::config::Enforcement;
use crate::perimeter::load_perimeters;
use crate::perimeter::rules::{Finding, check_object};
use crate::resources::{Adapted, adapt};

/// Trusts organization o-abc123def4 (222233334444 a known member) and account 111122223333;
/// 444455556666 is a known member of another organization; 999988887777 is excluded.
const PERIMETER: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata: {name: corp}
spec:
  organizations:
    - {id: o-abc123def4, accounts: ["222233334444"]}
    - {id: o-zzz9876543, accounts: ["444455556666"]}
  identity:
    trustedOrganizations: [o-abc123def4]
    trustedAccounts: ["111122223333"]
    excludedAccounts: ["999988887777"]
  vpcEndpoints:
    allowedTypes: [Interface, Gateway, GatewayLoadBalancer, Resource, ServiceNetwork]
    allowedServices: ["com.amazonaws.*.s3", "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"]
"#;

fn under(doc: &Value, perimeter: &str) -> Vec<Finding> {
    let Adapted::Checked {
        subjects, notes, ..
    } = adapt(doc)
    else {
        panic!("{doc}")
    };
    let dp = load_perimeters(perimeter, "test").unwrap().remove(0);
    check_object(&subjects, &notes, &dp)
}

fn found(doc: &Value) -> Vec<(String, String, Enforcement)> {
    under(doc, PERIMETER)
        .into_iter()
        .map(|f| (f.rule.id.to_owned(), f.pointer, f.enforcement))
        .collect()
}

fn rcfg(account: &str) -> String {
    format!("arn:aws:vpc-lattice:us-east-1:{account}:resourceconfiguration/rcfg-0123456789abcdef0")
}

fn sn(account: &str) -> String {
    format!("arn:aws:vpc-lattice:us-east-1:{account}:servicenetwork/sn-0123456789abcdef0")
}

fn upbound(group: &str, version: &str, for_provider: Value) -> Value {
    let mut doc = json!({"apiVersion": format!("{group}/{version}"), "kind": "VPCEndpoint",
        "metadata": {"name": "e"}, "spec": {"forProvider": for_provider}});
    if group.contains(".m.") {
        doc["metadata"]["namespace"] = json!("team");
    }
    doc
}

fn upbound_resource(arn: &str) -> Value {
    upbound(
        "ec2.aws.upbound.io",
        "v1beta2",
        json!({"region": "us-east-1", "vpcEndpointType": "Resource", "vpcId": "vpc-111bbb22",
            "resourceConfigurationArn": arn}),
    )
}

fn ack_service_network(arn: &str) -> Value {
    json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "e", "namespace": "team"},
        "spec": {"vpcEndpointType": "ServiceNetwork", "vpcID": "vpc-111bbb22", "serviceNetworkARN": arn}})
}

const RCFG_AT: &str = "/spec/forProvider/resourceConfigurationArn";

/// A resource configuration shared by a trusted account or a known member of a trusted
/// organization is inside; one a member of another organization shares is a DP-EP-017 denial
/// that names the ARN, the owner and its organization, at the field, with the rule's fix.
#[test]
fn a_resource_endpoint_is_judged_by_the_owner_in_its_arn() {
    for trusted in ["111122223333", "222233334444"] {
        assert_eq!(
            found(&upbound_resource(&rcfg(trusted))),
            vec![],
            "{trusted}"
        );
    }
    let arn = rcfg("444455556666");
    let f = under(&upbound_resource(&arn), PERIMETER);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].rule.id, f[0].pointer.as_str(), f[0].enforcement),
        ("DP-EP-017", RCFG_AT, Enforcement::Deny)
    );
    assert!(f[0].message.contains(&arn), "{}", f[0].message);
    assert!(
        f[0].message.contains("account 444455556666")
            && f[0].message.contains("organization o-zzz9876543")
            && f[0]
                .message
                .contains("shared from outside the organization"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].fix(), ENDPOINT_TARGET_OWNER.fix);
    assert!(f[0].fix().contains("spec.resources.allowedResources"));
}

/// An excluded account is outside whatever trusts it; an ARN the perimeter allows is inside.
#[test]
fn exclusions_and_allowed_resources_decide_before_trust() {
    let excluded = rcfg("999988887777");
    let f = under(&upbound_resource(&excluded), PERIMETER);
    assert_eq!(
        f.iter().map(|f| f.rule.id).collect::<Vec<_>>(),
        ["DP-EP-017"]
    );
    assert!(f[0].message.contains("excludes"), "{}", f[0].message);
    let foreign = rcfg("444455556666");
    let allowing = PERIMETER.replace(
        "  vpcEndpoints:\n",
        &format!("  resources: {{allowedResources: [\"{foreign}\"]}}\n  vpcEndpoints:\n"),
    );
    assert!(under(&upbound_resource(&foreign), &allowing).is_empty());
}

/// An owner whose organization nothing states, under a perimeter that trusts an organization:
/// DP-EP-018, a warning; listed as a member of the trusted organization, nothing; under a
/// perimeter that trusts accounts only, it is simply outside.
#[test]
fn an_owner_of_unknown_membership_is_a_warning_not_a_denial() {
    let arn = rcfg("555566667777");
    let f = under(&upbound_resource(&arn), PERIMETER);
    assert_eq!(
        f.iter()
            .map(|f| (f.rule.id, f.pointer.as_str(), f.enforcement))
            .collect::<Vec<_>>(),
        [("DP-EP-018", RCFG_AT, Enforcement::Warn)]
    );
    assert!(
        f[0].message.contains(&arn) && f[0].message.contains("spec.organizations[].accounts"),
        "{}",
        f[0].message
    );
    let member = PERIMETER.replace("\"222233334444\"]", "\"222233334444\", \"555566667777\"]");
    assert!(under(&upbound_resource(&arn), &member).is_empty());
    let accounts_only = PERIMETER.replace("    trustedOrganizations: [o-abc123def4]\n", "");
    assert_eq!(
        under(&upbound_resource(&arn), &accounts_only)
            .iter()
            .map(|f| f.rule.id)
            .collect::<Vec<_>>(),
        ["DP-EP-017"]
    );
    let denying = format!("{PERIMETER}  rules: {{DP-EP-018: Deny}}\n");
    assert_eq!(
        under(&upbound_resource(&arn), &denying)[0].enforcement,
        Enforcement::Deny
    );
}

/// ACK's service network field, both ways, and the same on Upbound's namespaced kind.
#[test]
fn a_service_network_endpoint_is_judged_by_its_owner() {
    assert_eq!(found(&ack_service_network(&sn("111122223333"))), vec![]);
    let arn = sn("444455556666");
    let f = under(&ack_service_network(&arn), PERIMETER);
    assert_eq!(
        f.iter()
            .map(|f| (f.rule.id, f.pointer.as_str()))
            .collect::<Vec<_>>(),
        [("DP-EP-017", "/spec/serviceNetworkARN")]
    );
    assert!(
        f[0].message.contains(&format!("service network {arn}")),
        "{}",
        f[0].message
    );
    let namespaced = |arn: &str| {
        upbound(
            "ec2.aws.m.upbound.io",
            "v1beta1",
            json!({"region": "us-east-1", "vpcEndpointType": "ServiceNetwork", "vpcId": "vpc-111bbb22",
                "serviceNetworkArn": arn}),
        )
    };
    assert_eq!(found(&namespaced(&sn("222233334444"))), vec![]);
    assert_eq!(
        found(&namespaced(&arn)),
        [(
            "DP-EP-017".into(),
            "/spec/forProvider/serviceNetworkArn".into(),
            Enforcement::Deny
        )]
    );
}

/// A string that is no Lattice ARN of the field's kind hides the owner: DP-EP-017 at the field
/// (fail closed); a value of the wrong type is the schema's finding, as for every field.
#[test]
fn an_unreadable_arn_fails_closed_at_its_field() {
    for bad in [
        "rcfg-0123456789abcdef0",
        "arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/sn-0123456789abcdef0",
        "arn:aws:ec2:us-east-1:111122223333:resourceconfiguration/rcfg-1",
        "arn:aws:vpc-lattice:us-east-1:*:resourceconfiguration/rcfg-1",
        "arn:aws:vpc-lattice:us-east-1:111122223333:resourceconfiguration/",
    ] {
        let f = under(&upbound_resource(bad), PERIMETER);
        assert_eq!(
            f.iter()
                .map(|f| (f.rule.id, f.pointer.as_str()))
                .collect::<Vec<_>>(),
            [("DP-EP-017", RCFG_AT)],
            "{bad}"
        );
        assert!(f[0].message.contains("is not the ARN"), "{}", f[0].message);
    }
    let mut number = upbound_resource("x");
    number["spec"]["forProvider"]["resourceConfigurationArn"] = json!(111122223333_u64);
    assert_eq!(
        found(&number),
        [("DP-SCHEMA-001".into(), RCFG_AT.into(), Enforcement::Deny)]
    );
}

/// A reference is reported and checked once resolved; the resolved value is checked.
#[test]
fn a_target_given_by_reference_is_checked_once_resolved() {
    let by_ref = upbound(
        "ec2.aws.upbound.io",
        "v1beta1",
        json!({"region": "us-east-1", "vpcEndpointType": "ServiceNetwork", "vpcId": "vpc-111bbb22",
            "serviceNetworkArnSelector": {"matchLabels": {"a": "b"}}}),
    );
    let f = under(&by_ref, PERIMETER);
    assert_eq!(
        f.iter()
            .map(|f| (f.rule.id, f.pointer.as_str(), f.enforcement))
            .collect::<Vec<_>>(),
        [(
            "DP-REF-001",
            "/spec/forProvider/serviceNetworkArnSelector",
            Enforcement::Warn
        )]
    );
    assert!(f[0].message.contains("DP-EP-017"), "{}", f[0].message);
    let mut resolved = by_ref.clone();
    resolved["spec"]["forProvider"]["serviceNetworkArn"] = json!(sn("444455556666"));
    assert_eq!(
        found(&resolved)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect::<Vec<_>>(),
        ["DP-EP-017"]
    );
}

/// AWS attaches no endpoint policy to Resource, ServiceNetwork and Gateway Load Balancer
/// endpoints (CreateVpcEndpoint's PolicyDocument is for interface and gateway endpoints), so a
/// missing one is no DP-EP-001 there; it still is for the types that take one, and for a type
/// AWS does not know.
#[test]
fn no_default_policy_finding_where_aws_applies_no_policy() {
    let ack = |ty: &str| {
        json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
            "metadata": {"name": "e", "namespace": "team"},
            "spec": {"vpcEndpointType": ty, "vpcID": "vpc-111bbb22", "privateDNSEnabled": true,
                "serviceName": "com.amazonaws.us-east-1.s3"}})
    };
    let policy_rules = |ty: &str| -> Vec<String> {
        let mut doc = ack(ty);
        if ty == "ServiceNetwork" {
            doc["spec"]["serviceNetworkARN"] = json!(sn("111122223333"));
        }
        if ty == "GatewayLoadBalancer" {
            doc["spec"]["serviceName"] =
                json!("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0");
        }
        found(&doc)
            .into_iter()
            .map(|(id, _, _)| id)
            .filter(|id| id.starts_with("DP-EP-00"))
            .collect()
    };
    for ty in [
        "Resource",
        "ServiceNetwork",
        "GatewayLoadBalancer",
        "resource",
    ] {
        assert_eq!(policy_rules(ty), Vec::<String>::new(), "{ty}");
    }
    for ty in ["Interface", "Gateway", "Lattice"] {
        assert_eq!(policy_rules(ty), ["DP-EP-001"], "{ty}");
    }
}

/// A Gateway Load Balancer endpoint's service does not show its owner: a warning naming the
/// service, unless the perimeter lists that exact name (a pattern vouches for no owner).
#[test]
fn a_gateway_load_balancer_service_owner_is_a_warning_unless_listed_exactly() {
    let gwlb = |service: &str| {
        upbound(
            "ec2.aws.upbound.io",
            "v1beta1",
            json!({"region": "us-east-1", "vpcEndpointType": "GatewayLoadBalancer", "vpcId": "vpc-111bbb22",
                "serviceName": service}),
        )
    };
    let listed = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0";
    assert_eq!(found(&gwlb(listed)), vec![]);
    let other = "com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210";
    let by_pattern = PERIMETER.replace(listed, "com.amazonaws.vpce.*");
    for (service, perimeter) in [(other, PERIMETER), (listed, by_pattern.as_str())] {
        let f: Vec<Finding> = under(&gwlb(service), perimeter)
            .into_iter()
            .filter(|f| f.rule.id != "DP-EP-010")
            .collect();
        assert_eq!(
            f.iter()
                .map(|f| (f.rule.id, f.pointer.as_str(), f.enforcement))
                .collect::<Vec<_>>(),
            [(
                "DP-EP-019",
                "/spec/forProvider/serviceName",
                Enforcement::Warn
            )],
            "{service}"
        );
        assert!(f[0].message.contains(service), "{}", f[0].message);
        assert_eq!(f[0].fix(), ENDPOINT_SERVICE_OWNER_UNKNOWN.fix);
    }
}

/// An Observe-only endpoint to a foreign target is recorded, not enforced.
#[test]
fn an_observed_endpoint_to_a_foreign_target_is_recorded() {
    let mut doc = upbound_resource(&rcfg("444455556666"));
    doc["spec"]["managementPolicies"] = json!(["Observe"]);
    assert_eq!(
        found(&doc),
        [
            ("DP-EP-017".into(), RCFG_AT.into(), Enforcement::Audit),
            (
                "DP-OBS-001".into(),
                "/spec/managementPolicies".into(),
                Enforcement::Warn
            )
        ]
    );
}
