//! Guardrails (RCPs and SCPs) in Enforce semantics: what they are judged on, and how an SCP's
//! Allow statements bound what it lets through (AWS Organizations User Guide, "SCP evaluation").

use serde_json::{Value, json};

use super::*;
use crate::iam::request::Caller;

fn guardrail(kind: GuardrailKind, statements: &[Value]) -> (Policy, Attachment) {
    let policy_kind = match kind {
        GuardrailKind::Rcp => PolicyKind::ResourcePolicy,
        GuardrailKind::Scp => PolicyKind::IdentityPolicy,
    };
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    let policy = Policy::from_value(&doc, policy_kind).unwrap_or_else(|e| panic!("{e}"));
    let attachment = Attachment::Guardrail(Guardrail::of(kind, &policy));
    (policy, attachment)
}

fn judged(kind: GuardrailKind, statements: &[Value]) -> Vec<(Dimension, ReasonerVerdict)> {
    let (policy, attachment) = guardrail(kind, statements);
    analyze(&policy, &attachment, &perimeter())
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect()
}

/// AWS's network statement, on the given actions: deny unless through the perimeter's endpoint.
fn network_deny(action: Value) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"}}})
}

fn identity_deny(action: Value) -> Value {
    json!({"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})
}

fn witness(v: &[(Dimension, ReasonerVerdict)], d: Dimension) -> Request {
    match v.iter().find(|(x, _)| *x == d) {
        Some((_, ReasonerVerdict::Violates(w))) => w.request.clone(),
        other => panic!("{d:?}: expected a violation, got {other:?}"),
    }
}

#[test]
fn an_rcp_denying_every_identity_outside_complies_and_one_with_a_hole_does_not() {
    let v = judged(
        GuardrailKind::Rcp,
        &[identity_deny(json!(["s3:*", "sqs:*"]))],
    );
    assert_eq!(v, vec![(Dimension::Identity, ReasonerVerdict::Complies)]);
    // The same statement, exempting a second organization.
    let mut holed = identity_deny(json!(["s3:*", "sqs:*"]));
    holed["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalOrgID"] =
        json!([ORG, "o-zzz999yyy8"]);
    let r = witness(&judged(GuardrailKind::Rcp, &[holed]), Dimension::Identity);
    assert!(
        matches!(&r.caller, Caller::Iam(i) if i.org.as_ref().is_some_and(|o| o.id == "o-zzz999yyy8")),
        "{r:?}"
    );
}

#[test]
fn an_rcp_is_judged_only_on_the_services_it_covers_that_rcps_support() {
    // S3 only: requests to SQS are not its to deny.
    let v = judged(GuardrailKind::Rcp, &[identity_deny(json!("s3:*"))]);
    assert_eq!(v, vec![(Dimension::Identity, ReasonerVerdict::Complies)]);
    // Every action, but two statements: S3 denied, SQS left open (an Allow-shaped hole: the
    // second statement's exception lets any account in).
    let mut sqs = identity_deny(json!("sqs:*"));
    sqs["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalAccount"] = json!("999988887777");
    sqs["Condition"]["StringNotEqualsIfExists"]
        .as_object_mut()
        .map(|m| m.remove("aws:PrincipalOrgID"));
    let r = witness(
        &judged(GuardrailKind::Rcp, &[identity_deny(json!("s3:*")), sqs]),
        Dimension::Identity,
    );
    assert!(r.action.starts_with("sqs:"), "{}", r.action);
    // An RCP naming a service RCPs do not support (SNS) does nothing for it: no request to it
    // is judged, so no witness is one.
    let v = judged(
        GuardrailKind::Rcp,
        &[identity_deny(json!(["s3:*"])), {
            let mut sns = identity_deny(json!("sns:*"));
            sns["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalOrgID"] =
                json!("o-zzz999yyy8");
            sns
        }],
    );
    assert_eq!(v, vec![(Dimension::Identity, ReasonerVerdict::Complies)]);
}

#[test]
fn an_scp_bounds_the_organizations_principals_only() {
    let v = judged(GuardrailKind::Scp, &[network_deny(json!("*"))]);
    assert_eq!(v, vec![(Dimension::Network, ReasonerVerdict::Complies)]);
    // Without the ViaAWSService exception the statement denies more, never less: still
    // compliant. With a second endpoint the witness comes through it, by a trusted principal.
    let mut holed = network_deny(json!("*"));
    holed["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpce"] =
        json!(["vpce-1a2b3c4d", "vpce-9f8e7d6c"]);
    let r = witness(&judged(GuardrailKind::Scp, &[holed]), Dimension::Network);
    assert_eq!(
        r.lookup("aws:sourcevpce"),
        Some(crate::iam::request::Values::One("vpce-9f8e7d6c"))
    );
    assert!(perimeter().trusted_iam_caller(&r.caller), "{:?}", r.caller);
}

#[test]
fn an_scp_allow_list_denies_what_it_does_not_allow() {
    // S3 confined to the endpoint; SQS to it or a second one, outside the perimeter.
    let s3 = network_deny(json!("s3:*"));
    let mut sqs = network_deny(json!("sqs:*"));
    sqs["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpce"] =
        json!(["vpce-1a2b3c4d", "vpce-9f8e7d6c"]);
    // No Allow covers SQS: the SCP denies its requests implicitly, the hole is closed.
    let allow_s3 = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let v = judged(GuardrailKind::Scp, &[s3.clone(), sqs.clone(), allow_s3]);
    assert_eq!(v, vec![(Dimension::Network, ReasonerVerdict::Complies)]);
    // With FullAWSAccess the SQS requests through the second endpoint get through.
    let allow_all = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    let r = witness(
        &judged(GuardrailKind::Scp, &[s3, sqs, allow_all]),
        Dimension::Network,
    );
    assert!(r.action.starts_with("sqs:"), "{}", r.action);
}

#[test]
fn a_guardrail_without_perimeter_keys_is_judged_on_nothing() {
    let tags = json!({"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "admin"}}});
    assert_eq!(
        judged(GuardrailKind::Scp, std::slice::from_ref(&tags)),
        vec![]
    );
    // A key compared positively narrows the Deny to requests that carry it: it enforces nothing.
    let narrowing = json!({"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-111bbb22"},
                      "StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}});
    assert_eq!(judged(GuardrailKind::Scp, &[narrowing]), vec![]);
    // An SCP has no identity dimension: its callers are the organization's own.
    assert_eq!(
        judged(
            GuardrailKind::Scp,
            &[identity_deny(json!("*"))
                .as_object()
                .map(|m| {
                    let mut m = m.clone();
                    m.remove("Principal");
                    Value::Object(m)
                })
                .unwrap_or_default()]
        ),
        vec![]
    );
}

fn weakened(old: &[Value], new: &[Value]) -> Vec<(Dimension, ReasonerVerdict)> {
    let (old, _) = guardrail(GuardrailKind::Rcp, old);
    let (new, _) = guardrail(GuardrailKind::Rcp, new);
    weakening(&old, &new, GuardrailKind::Rcp, &perimeter())
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect()
}

#[test]
fn an_update_that_lets_in_what_was_denied_weakens_the_guardrail() {
    let strict = identity_deny(json!(["s3:*", "sqs:*"]));
    let mut loose = strict.clone();
    loose["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalOrgID"] =
        json!([ORG, "o-zzz999yyy8"]);
    let r = witness(
        &weakened(std::slice::from_ref(&strict), std::slice::from_ref(&loose)),
        Dimension::Identity,
    );
    assert!(
        matches!(&r.caller, Caller::Iam(i) if i.org.as_ref().is_some_and(|o| o.id == "o-zzz999yyy8")),
        "{r:?}"
    );
    // The other way, and no change, weaken nothing.
    assert_eq!(
        weakened(&[loose], std::slice::from_ref(&strict)),
        vec![(Dimension::Identity, ReasonerVerdict::Complies)]
    );
    assert_eq!(
        weakened(std::slice::from_ref(&strict), std::slice::from_ref(&strict)),
        vec![(Dimension::Identity, ReasonerVerdict::Complies)]
    );
    // Dropping a service from the Deny: its requests, denied before, are let through now, although
    // the new version alone is judged on S3 only.
    let s3_only = identity_deny(json!(["s3:*"]));
    let r = witness(&weakened(&[strict], &[s3_only]), Dimension::Identity);
    assert!(r.action.starts_with("sqs:"), "{}", r.action);
}

#[test]
fn widening_an_scps_allow_list_weakens_it() {
    let s3 = network_deny(json!("s3:*"));
    let mut sqs = network_deny(json!("sqs:*"));
    sqs["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpce"] =
        json!(["vpce-1a2b3c4d", "vpce-9f8e7d6c"]);
    let allow_s3 = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let allow_all = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    let scp = |statements: &[Value]| guardrail(GuardrailKind::Scp, statements).0;
    let narrow = scp(&[s3.clone(), sqs.clone(), allow_s3.clone()]);
    let wide = scp(&[s3.clone(), sqs.clone(), allow_all]);
    // SQS through the second endpoint: denied for want of an Allow before, allowed now.
    let v: Vec<(Dimension, ReasonerVerdict)> =
        weakening(&narrow, &wide, GuardrailKind::Scp, &perimeter())
            .into_iter()
            .map(|v| (v.dimension, v.verdict))
            .collect();
    let r = witness(&v, Dimension::Network);
    assert!(r.action.starts_with("sqs:"), "{}", r.action);
    // Dropping FullAWSAccess for the narrower list weakens nothing; nor does keeping it.
    for (old, new) in [(&wide, &narrow), (&narrow, &narrow)] {
        let v: Vec<(Dimension, ReasonerVerdict)> =
            weakening(old, new, GuardrailKind::Scp, &perimeter())
                .into_iter()
                .map(|v| (v.dimension, v.verdict))
                .collect();
        assert_eq!(v, vec![(Dimension::Network, ReasonerVerdict::Complies)]);
    }
    // Without Allow statements of its own the new version relies on FullAWSAccess elsewhere.
    let deny_only = scp(&[s3, sqs]);
    let v: Vec<(Dimension, ReasonerVerdict)> =
        weakening(&narrow, &deny_only, GuardrailKind::Scp, &perimeter())
            .into_iter()
            .map(|v| (v.dimension, v.verdict))
            .collect();
    let r = witness(&v, Dimension::Network);
    assert!(r.action.starts_with("sqs:"), "{}", r.action);
}

/// A service's own condition keys come only with that service's requests (Service
/// Authorization Reference: each service lists the keys of its actions), so an exemption on
/// `ec2:Owner` lets through EC2 requests only: the witness is one, never an S3 request that
/// carries an EC2 key. Without the exemption, nothing is let through.
#[test]
fn a_service_key_exemption_lets_through_only_that_services_requests() {
    let resource_deny = |exempt: Value| {
        json!({"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": exempt}})
    };
    let holed = resource_deny(json!({"aws:ResourceOrgID": ORG, "ec2:Owner": "amazon"}));
    let r = witness(&judged(GuardrailKind::Scp, &[holed]), Dimension::Resource);
    assert!(r.action.to_ascii_lowercase().starts_with("ec2:"), "{r:?}");
    assert!(r.context.contains_key("ec2:owner"), "{r:?}");
    let whole = resource_deny(json!({"aws:ResourceOrgID": ORG}));
    assert_eq!(
        judged(GuardrailKind::Scp, &[whole]),
        vec![(Dimension::Resource, ReasonerVerdict::Complies)]
    );
}

#[test]
fn service_keys_fit_their_own_services_requests_and_shared_keys_fit_any() {
    use super::super::model::key_fits_action;
    assert!(key_fits_action("ec2:owner", "ec2:RunInstances"));
    assert!(!key_fits_action("ec2:owner", "s3:GetObject"));
    assert!(!key_fits_action("s3:prefix", "sqs:SendMessage"));
    assert!(key_fits_action("s3:prefix", "s3express:CreateSession"));
    // Keys AWS attaches to other services' requests, global keys and identity providers' keys.
    assert!(key_fits_action("ec2:sourceinstancearn", "s3:GetObject"));
    assert!(key_fits_action("lambda:sourcefunctionarn", "kms:Decrypt"));
    assert!(key_fits_action("aws:principalorgid", "s3:GetObject"));
    assert!(key_fits_action(
        "token.actions.githubusercontent.com:sub",
        "sts:AssumeRoleWithWebIdentity"
    ));
}
