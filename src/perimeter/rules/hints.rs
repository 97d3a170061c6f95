//! The perimeter field that would settle a finding, when the witness shows the policy relying on
//! a trust the perimeter does not declare: the policy may be right and the perimeter incomplete.
//! Each hint names the field and the value from the witness. (An account of unknown membership
//! is DP-ORG-001's, see `membership`.)

use crate::iam::condition::PolicyValue;
use crate::iam::reasoner::{Dimension, Perimeter, Witness};
use crate::iam::request::{Caller, Values};
use crate::iam::template::NoVariables;
use crate::iam::{Policy, Request};

/// Hints for one witness, in the order a reader would check them.
pub fn for_witness(w: &Witness, policy: &Policy, perimeter: &Perimeter) -> Vec<String> {
    let r = &w.request;
    let reads = |key: &str| w.keys.iter().any(|k| k == key);
    let mut out = Vec::new();
    match w.dimension {
        Dimension::Network | Dimension::Enforce => {
            // IAM User Guide, global condition keys: aws:VpceOrgID, aws:VpceAccount,
            // aws:VpceOrgPaths name the endpoint's owner; aws:SourceVpcArn its VPC.
            if reads("aws:vpceorgid")
                && let Some(org) = one(r, "aws:vpceorgid")
                && !perimeter.endpoint_orgs.iter().any(|o| o == org)
            {
                out.push(format!(
                    "if every endpoint of organization {org} is your network, declare network.trustedEndpointOrganizations: [{org}]"
                ));
            }
            if reads("aws:vpceaccount")
                && let Some(account) = one(r, "aws:vpceaccount")
                && !perimeter.endpoint_accounts.iter().any(|a| a == account)
            {
                out.push(format!(
                    "if every endpoint of account {account} is your network, declare network.trustedEndpointAccounts: [\"{account}\"]"
                ));
            }
            if reads("aws:vpceorgpaths") && one(r, "aws:vpceorgid").is_some() {
                out.push(
                    "if the endpoints of the OUs the policy names are your network, declare them in network.trustedEndpointOrgPaths".to_owned(),
                );
            }
            if reads("aws:sourcevpcarn")
                && let Some(arn) = one(r, "aws:sourcevpcarn")
            {
                out.push(format!(
                    "if VPC {arn} is your network, declare it in network.allowedVpcArns"
                ));
            }
            if reads("aws:calledvia")
                && perimeter.via_services.is_some()
                && let Some(Values::Many(services)) = r.lookup("aws:calledvia")
                && let Some(service) = services.first()
            {
                out.push(format!(
                    "if requests {service} makes for your principals may come from any network, list it in exceptions.viaAwsServices"
                ));
            }
        }
        Dimension::Identity | Dimension::Resource => {}
    }
    if matches!(w.dimension, Dimension::Identity | Dimension::Enforce)
        && let Caller::Service { name } = &r.caller
        && let Some(source) = one(r, "aws:sourceaccount")
    {
        // IAM User Guide, "The confused deputy problem": pin a service principal to the
        // account or organization it acts for.
        out.push(format!(
            "{name} here acts for account {source}: condition the grant on aws:SourceAccount or aws:SourceOrgID of the sources listed in identity.servicePrincipalSources"
        ));
    }
    let exempt_list = match w.dimension {
        Dimension::Identity => Some(("identity", &perimeter.identity_resource_tags)),
        Dimension::Network => Some(("network", &perimeter.network_resource_tags)),
        _ => None,
    };
    if let Some((which, declared)) = exempt_list {
        for (key, value) in &r.resource.tags {
            if reads(&format!("aws:resourcetag/{key}"))
                && names_value(policy, &format!("aws:resourcetag/{key}"), value)
                && !declared.iter().any(|(k, v)| k == key && v == value)
            {
                out.push(format!(
                    "if tag {key}={value} marks resources exempt from the {which} perimeter, declare exceptions.resourceTags: [{{key: \"{key}\", value: \"{value}\", perimeters: [{which}]}}]"
                ));
            }
        }
    }
    out
}

fn one<'r>(r: &'r Request, key: &str) -> Option<&'r str> {
    match r.lookup(key) {
        Some(Values::One(v)) => Some(v),
        _ => None,
    }
}

/// Whether the policy writes `account` as an account value, in a principal or a condition.
pub(super) fn names_account(policy: &Policy, account: &str) -> bool {
    policy.statements.iter().any(|st| {
        st.conditions.iter().any(|c| {
            c.values
                .iter()
                .any(|v| literal(v).is_some_and(|l| l == account))
        }) || st.principal.as_ref().is_some_and(|p| {
            let (crate::iam::policy::PrincipalClause::Principal(p)
            | crate::iam::policy::PrincipalClause::NotPrincipal(p)) = p;
            p.entries.iter().any(|(_, _, e)| match e {
                crate::iam::principal::Entry::Iam { account: a, .. }
                | crate::iam::principal::Entry::Account { account: a, .. } => a == account,
                _ => false,
            })
        })
    })
}

/// Whether a condition on `key` compares it with `value`.
fn names_value(policy: &Policy, key: &str, value: &str) -> bool {
    policy.statements.iter().any(|st| {
        st.conditions.iter().any(|c| {
            c.key == key
                && c.values
                    .iter()
                    .any(|v| literal(v).is_some_and(|l| l == value))
        })
    })
}

fn literal(v: &PolicyValue) -> Option<String> {
    match v {
        PolicyValue::Text(t) => t.resolve_literal(&NoVariables).map(|l| l.into_owned()),
        _ => None,
    }
}
