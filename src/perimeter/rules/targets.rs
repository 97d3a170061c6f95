//! What a VPC endpoint connects to, beyond an AWS service: the VPC Lattice resource configuration
//! of a `Resource` endpoint and the service network of a `ServiceNetwork` endpoint, named by ARN,
//! whose account is the owner that shared it (Amazon VPC Lattice User Guide, "Resource
//! configurations for VPC resources"; AWS PrivateLink Guide, "Access a service network through a
//! service-network endpoint"); and the endpoint service of a `GatewayLoadBalancer` endpoint, whose
//! name (`com.amazonaws.vpce.REGION.vpce-svc-…`) does not show its owner.

use crate::iam::arn;
use crate::iam::reasoner::Perimeter;
use crate::iam::request::Org;
use crate::resources::{Endpoint, Field};

use super::super::catalog::{
    ENDPOINT_SERVICE_OWNER_UNKNOWN, ENDPOINT_TARGET_OWNER, ENDPOINT_TARGET_UNKNOWN_ORG,
    UNRESOLVED_REFERENCE,
};
use super::super::config::DataPerimeter;
use super::Add;

/// Endpoint types AWS attaches no endpoint policy to: CreateVpcEndpoint takes `PolicyDocument`
/// for "Interface and gateway endpoints" only (Amazon EC2 API Reference, "CreateVpcEndpoint").
/// An unknown type is read as one that takes a policy, so a typo is not a way around DP-EP-001.
pub(super) fn takes_policy(endpoint_type: &str) -> bool {
    !["GatewayLoadBalancer", "Resource", "ServiceNetwork"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(endpoint_type))
}

/// One kind of target: what it is called in messages, and its ARN's resource part.
struct Target {
    what: &'static str,
    resource_prefix: &'static str,
    example: &'static str,
}

const RESOURCE_CONFIGURATION: Target = Target {
    what: "resource configuration",
    resource_prefix: "resourceconfiguration/",
    example: "arn:aws:vpc-lattice:REGION:ACCOUNT:resourceconfiguration/rcfg-…",
};

const SERVICE_NETWORK: Target = Target {
    what: "service network",
    resource_prefix: "servicenetwork/",
    example: "arn:aws:vpc-lattice:REGION:ACCOUNT:servicenetwork/sn-…",
};

pub(super) fn check(e: &Endpoint, dp: &DataPerimeter, perimeter: &Perimeter, add: &mut Add<'_>) {
    for (field, target) in [
        (&e.resource_configuration, &RESOURCE_CONFIGURATION),
        (&e.service_network, &SERVICE_NETWORK),
    ] {
        match field {
            Field::Absent => {}
            Field::Unresolved { pointer } => add(
                UNRESOLVED_REFERENCE,
                pointer,
                format!(
                    "the {} is a reference resolved after admission; {} is checked once its ARN is set",
                    target.what, ENDPOINT_TARGET_OWNER.id
                ),
                None,
            ),
            Field::Set { value, pointer } => lattice_target(value, pointer, target, perimeter, add),
        }
    }
    let endpoint_type = e.endpoint_type.value().map_or("Gateway", String::as_str);
    if endpoint_type.eq_ignore_ascii_case("GatewayLoadBalancer") {
        gateway_load_balancer(e, dp, add);
    }
}

/// Where a target's owner stands in the resource perimeter.
enum Owner {
    Inside,
    Outside(String),
    Unknown(String),
}

fn lattice_target(arn: &str, pointer: &str, target: &Target, p: &Perimeter, add: &mut Add<'_>) {
    let account = arn::split(arn)
        .filter(|parts| {
            parts[2] == "vpc-lattice"
                && !parts[3].is_empty()
                && parts[5]
                    .strip_prefix(target.resource_prefix)
                    .is_some_and(|id| !id.is_empty())
        })
        .map(|parts| parts[4])
        .filter(|a| arn::is_account_id(a));
    // Without an owner there is nothing to trust: fail closed at the field.
    let Some(account) = account else {
        let message = format!(
            "{arn:?} is not the ARN of a VPC Lattice {} ({}): its owner cannot be read",
            target.what, target.example
        );
        return add(ENDPOINT_TARGET_OWNER, pointer, message, None);
    };
    let connects = format!(
        "the endpoint connects to the {} {arn}, owned by account {account}",
        target.what
    );
    match owner(account, arn, target.what, p) {
        Owner::Inside => {}
        Owner::Outside(why) => add(
            ENDPOINT_TARGET_OWNER,
            pointer,
            format!("{connects}, {why}"),
            None,
        ),
        Owner::Unknown(why) => add(
            ENDPOINT_TARGET_UNKNOWN_ORG,
            pointer,
            format!("{connects}, {why}"),
            None,
        ),
    }
}

/// The owner judged as the reasoner judges a resource's (`Perimeter::outside`, resource
/// dimension): an allowed resource, else a trusted account or a member of a trusted organization
/// or OU, never an excluded one. Organization membership comes from `spec.organizations` only,
/// which gives no OU path: an OU-scoped trust or exclusion inside a known organization is unknown.
fn owner(account: &str, arn: &str, what: &str, p: &Perimeter) -> Owner {
    if p.allowed_resource(arn) {
        return Owner::Inside;
    }
    let org = p.memberships.get(account).map(|id| Org {
        id: id.clone(),
        paths: Vec::new(),
    });
    if p.resource_excluded(Some(account), org.as_ref()) {
        return Owner::Outside("which the perimeter excludes from its resources".into());
    }
    let in_org = |paths: &[String], id: &str| {
        paths
            .iter()
            .any(|path| path.strip_prefix(id).is_some_and(|r| r.starts_with('/')))
    };
    if p.resource_account_trusted(Some(account), org.as_ref()) {
        return Owner::Inside;
    }
    match &org {
        Some(o) if p.resource_org_trusted(Some(account), org.as_ref()) => {
            if in_org(&p.resource_excluded_org_paths, &o.id) {
                Owner::Unknown(format!(
                    "a member of the trusted organization {}, where the perimeter excludes OUs and does not know the account's",
                    o.id
                ))
            } else {
                Owner::Inside
            }
        }
        Some(o) if in_org(&p.resource_org_paths, &o.id) => Owner::Unknown(format!(
            "a member of organization {}, of which the perimeter trusts only some OUs and does not know the account's",
            o.id
        )),
        Some(o) => Owner::Outside(format!(
            "a member of organization {}, which the perimeter does not trust: a {what} shared from outside the organization",
            o.id
        )),
        None if !p.owner_orgs().is_empty() || !p.resource_org_paths.is_empty() => {
            Owner::Unknown(
                "whose organization the perimeter does not know: if it is a member of a trusted organization, list it in spec.organizations[].accounts; if not, the target is outside the perimeter".into(),
            )
        }
        None => Owner::Outside("which is not a trusted resource owner".into()),
    }
}

/// A Gateway Load Balancer endpoint service is named `com.amazonaws.vpce.REGION.vpce-svc-…`: its
/// owner is not in the name, and the webhook asks AWS nothing, so it cannot be judged here. An
/// exact service name the perimeter lists is one whose owner the platform team has vouched for.
fn gateway_load_balancer(e: &Endpoint, dp: &DataPerimeter, add: &mut Add<'_>) {
    let listed = |name: &str| {
        dp.spec
            .vpc_endpoints
            .allowed_services
            .iter()
            .any(|s| s == name && !s.contains(['*', '?']))
    };
    match &e.service_name {
        Field::Set { value, pointer } if !listed(value) => add(
            ENDPOINT_SERVICE_OWNER_UNKNOWN,
            pointer,
            format!(
                "the Gateway Load Balancer endpoint connects to the endpoint service {value}, whose name does not show its owner, and spec.vpcEndpoints.allowedServices does not list it by its exact name"
            ),
            None,
        ),
        Field::Unresolved { pointer } => add(
            ENDPOINT_SERVICE_OWNER_UNKNOWN,
            pointer,
            "the Gateway Load Balancer endpoint's service is a reference resolved after admission, and such a service's name does not show its owner either".into(),
            None,
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
