//! Resource, ServiceNetwork and Gateway Load Balancer endpoints, made from the corpus's real
//! VPCEndpoint manifests (the corpus holds none of these types): each upstream object is turned
//! into an endpoint of the new type, once reaching a target shared from outside the organization
//! and once its compliant twin, and decided by the engine `check`, `serve` and `audit` share, by
//! the `check` binary, and by the webhook's admission handler.

use perimeter_guard::admission::{self, Settings};
use perimeter_guard::decision::{AdmissionDecision, ObjectVerdict, evaluate};
use perimeter_guard::perimeter::config::Enforcement;
use perimeter_guard::perimeter::{DataPerimeter, load_perimeters};
use serde_json::{Value, json};

use crate::common;

/// The repository's example perimeter, allowing the new types and knowing that 777788889999 is
/// a member of another organization.
fn perimeter_text() -> String {
    common::admission::example_perimeter()
        .replace(
            "allowedTypes: [Interface, Gateway]",
            "allowedTypes: [Interface, Gateway, GatewayLoadBalancer, Resource, ServiceNetwork]",
        )
        .replace(
            "  organizations:\n",
            "  organizations:\n    - {id: o-zzz9876543, accounts: [\"777788889999\"]}\n",
        )
}

fn perimeters() -> Vec<DataPerimeter> {
    let text = perimeter_text();
    assert!(text.contains("GatewayLoadBalancer") && text.contains("o-zzz9876543"));
    load_perimeters(&text, "example").expect("valid")
}

/// The object of `kind` named `name` in the corpus file.
fn upstream(file: &str, name: &str) -> Value {
    let path = common::corpus_root().join("manifests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    perimeter_guard::yaml::stream_to_json(&text)
        .expect("the corpus is valid YAML")
        .into_iter()
        .find(|d| d["kind"] == "VPCEndpoint" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{file} has no VPCEndpoint {name}"))
}

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

fn rcfg(account: &str) -> String {
    format!("arn:aws:vpc-lattice:us-west-1:{account}:resourceconfiguration/rcfg-0123456789abcdef0")
}

fn sn(account: &str) -> String {
    format!("arn:aws:vpc-lattice:us-west-1:{account}:servicenetwork/sn-0123456789abcdef0")
}

/// An Upbound endpoint (cluster or namespaced) turned into one of `ty` reaching `field` = `arn`.
fn upbound_as(mut doc: Value, ty: &str, field: &str, arn: &str) -> Value {
    let fp = doc["spec"]["forProvider"]
        .as_object_mut()
        .expect("forProvider");
    fp.remove("serviceName");
    fp.insert("vpcEndpointType".into(), json!(ty));
    fp.insert(field.into(), json!(arn));
    doc
}

const VPC_SELECTOR: &str = "/spec/forProvider/vpcIdSelector";

/// Upbound's example endpoint (cluster v1beta2), as a Resource endpoint: a foreign owner is
/// denied at the field; a trusted one leaves only the upstream's own VPC selector warning.
#[test]
fn upbound_cluster_resource_endpoint_and_its_twin() {
    let base = upstream("upbound/ec2-cluster-v1beta2-vpcendpoint.yaml", "ec2");
    let at = "/spec/forProvider/resourceConfigurationArn";
    let foreign = upbound_as(
        base.clone(),
        "Resource",
        "resourceConfigurationArn",
        &rcfg("777788889999"),
    );
    assert_eq!(
        decided(&foreign),
        (
            vec![
                ("DP-REF-001".into(), VPC_SELECTOR.into(), Enforcement::Warn),
                ("DP-EP-017".into(), at.into(), Enforcement::Deny),
            ],
            AdmissionDecision::Deny
        )
    );
    let own = upbound_as(
        base,
        "Resource",
        "resourceConfigurationArn",
        &rcfg("111122223333"),
    );
    assert_eq!(
        decided(&own),
        (
            vec![("DP-REF-001".into(), VPC_SELECTOR.into(), Enforcement::Warn)],
            AdmissionDecision::Warn
        )
    );
}

/// Upbound's namespaced example endpoint as a ServiceNetwork endpoint: an owner of unknown
/// membership is a warning; a foreign one is denied.
#[test]
fn upbound_namespaced_service_network_endpoint_and_its_twins() {
    let base = upstream("upbound/ec2-namespaced-v1beta1-vpcendpoint.yaml", "ec2");
    let at = "/spec/forProvider/serviceNetworkArn";
    let of = |account: &str| {
        upbound_as(
            base.clone(),
            "ServiceNetwork",
            "serviceNetworkArn",
            &sn(account),
        )
    };
    let rules = |doc: &Value| {
        decided(doc)
            .0
            .into_iter()
            .filter(|(id, _, _)| id != "DP-REF-001")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(&of("777788889999")),
        [("DP-EP-017".into(), at.into(), Enforcement::Deny)]
    );
    assert_eq!(
        rules(&of("555566667777")),
        [("DP-EP-018".into(), at.into(), Enforcement::Warn)]
    );
    assert_eq!(rules(&of("111122223333")), []);
}

/// ACK's e2e endpoint (placeholders filled in) as a ServiceNetwork endpoint, through the `check`
/// binary and the webhook's admission handler: the same rule, field, ARN and fix in both.
#[test]
fn ack_service_network_endpoint_through_check_and_the_webhook() {
    let mut foreign = upstream("ack/ec2-e2e-vpc_endpoint.yaml", "$VPC_ENDPOINT_NAME");
    let arn = sn("777788889999");
    foreign["metadata"] = json!({"name": "lattice", "namespace": "team"});
    let spec = foreign["spec"].as_object_mut().expect("spec");
    spec.remove("serviceName");
    spec.remove("tags");
    spec.insert("vpcID".into(), json!("vpc-111bbb22"));
    spec.insert("vpcEndpointType".into(), json!("ServiceNetwork"));
    spec.insert("serviceNetworkARN".into(), json!(arn));
    // AWS attaches no policy to a service-network endpoint: the upstream's open policy is not
    // what decides it, its target is.
    let mut own = foreign.clone();
    own["spec"]["serviceNetworkARN"] = json!(sn("111122223333"));
    assert_eq!(decided(&own), (vec![], AdmissionDecision::Allow));

    let dir = tempfile::tempdir().expect("temporary directory");
    let perimeter = dir.path().join("perimeter.yaml");
    std::fs::write(&perimeter, perimeter_text()).expect("write the perimeter");
    let perimeter = perimeter.to_str().expect("utf-8 path");
    let out = common::cli::run(
        &[
            "check",
            "--perimeter",
            perimeter,
            "-f",
            "-",
            "--output",
            "json",
        ],
        Some(&foreign.to_string()),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        common::cli::text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let text = report.to_string();
    for expected in [
        "DP-EP-017",
        "/spec/serviceNetworkARN",
        arn.as_str(),
        "spec.resources.allowedResources",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains("DP-EP-00"), "{text}");
    let clean = common::cli::run(
        &["check", "--perimeter", perimeter, "-f", "-"],
        Some(&own.to_string()),
    );
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        common::cli::text(&clean.stdout)
    );

    let body = common::admission::review("CREATE", Some(&foreign), None, false).to_string();
    let reviewed =
        admission::review(body.as_bytes(), &perimeters(), &Settings::default()).expect("a review");
    assert_eq!(reviewed.decision, "deny");
    assert_eq!(reviewed.rules, [("DP-EP-017", Enforcement::Deny)]);
    let response = serde_json::to_value(&reviewed.review).expect("serialisable");
    let message = response["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(&format!("DP-EP-017 at /spec/serviceNetworkARN: the endpoint connects to the service network {arn}"))
            && message.contains("fix: connect only to a resource configuration or service network a trusted resource owner shares"),
        "{message}"
    );
}

/// Crossplane classic's example endpoint as a Gateway Load Balancer endpoint: its service does
/// not show its owner (a warning naming the service), and no default-policy finding, as AWS
/// attaches none; written as a Resource endpoint, the provider has no field for its target.
#[test]
fn classic_gateway_load_balancer_and_resource_endpoints() {
    let mut gwlb = upstream(
        "crossplane-classic/ec2-vpcendpoint.yaml",
        "sample-vpcendpoint",
    );
    let service = "com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210";
    gwlb["spec"]["forProvider"]["vpcEndpointType"] = json!("GatewayLoadBalancer");
    gwlb["spec"]["forProvider"]["serviceName"] = json!(service);
    let (findings, decision) = decided(&gwlb);
    let owner: Vec<_> = findings
        .iter()
        .filter(|(id, _, _)| id.starts_with("DP-EP-0"))
        .cloned()
        .collect();
    assert_eq!(
        owner,
        [
            (
                "DP-EP-010".to_owned(),
                "/spec/forProvider/serviceName".to_owned(),
                Enforcement::Deny
            ),
            (
                "DP-EP-019".to_owned(),
                "/spec/forProvider/serviceName".to_owned(),
                Enforcement::Warn
            )
        ]
    );
    assert_eq!(decision, AdmissionDecision::Deny);
    let mut resource = gwlb.clone();
    resource["spec"]["forProvider"]["vpcEndpointType"] = json!("Resource");
    resource["spec"]["forProvider"]
        .as_object_mut()
        .expect("forProvider")
        .remove("serviceName");
    assert!(
        decided(&resource)
            .0
            .iter()
            .all(|(id, _, _)| id == "DP-REF-001"),
        "{:?}",
        decided(&resource)
    );
}
