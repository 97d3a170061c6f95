//! One test per trap of the IAM semantics notes (sections 2.2 to 2.6): the verdict, and why.

use serde_json::{Value, json};

use super::*;
use crate::iam::pattern;
use crate::iam::policy::PolicyKind;

const ORG: &str = "o-abc123def4";
const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "example-bucket";

fn perimeter() -> Perimeter {
    Perimeter {
        identity_orgs: vec![ORG.into()],
        identity_accounts: vec![ACCOUNT.into()],
        trust_service_principals: true,
        resource_orgs: vec![ORG.into()],
        resource_accounts: vec![ACCOUNT.into()],
        vpces: vec!["vpce-1a2b3c4d".into()],
        ..Perimeter::default()
    }
}

fn bucket() -> Attachment {
    Attachment::Bucket {
        name: Some(BUCKET.into()),
    }
}

fn endpoint() -> Attachment {
    Attachment::Endpoint {
        id: Some("vpce-1a2b3c4d".into()),
        vpc: None,
        service: None,
    }
}

fn stmt(effect: &str, principal: Value, condition: Value) -> Value {
    let mut s = json!({"Effect": effect, "Principal": principal, "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")});
    if !condition.is_null() {
        s["Condition"] = condition;
    }
    s
}

fn verdicts(
    statements: Vec<Value>,
    attachment: &Attachment,
    per: &Perimeter,
) -> Vec<(Dimension, ReasonerVerdict)> {
    let kind = match attachment {
        Attachment::Bucket { .. } | Attachment::Door(_) => PolicyKind::BucketPolicy,
        Attachment::Endpoint { .. } => PolicyKind::EndpointPolicy,
        Attachment::Guardrail(g) => match g.kind {
            GuardrailKind::Rcp => PolicyKind::ResourcePolicy,
            GuardrailKind::Scp => PolicyKind::IdentityPolicy,
        },
    };
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    let policy = Policy::from_value(&doc, kind).unwrap_or_else(|e| panic!("{e}"));
    analyze(&policy, attachment, per)
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect()
}

fn verdict(
    statements: Vec<Value>,
    attachment: &Attachment,
    dimension: Dimension,
) -> ReasonerVerdict {
    verdicts(statements, attachment, &perimeter())
        .into_iter()
        .find(|(d, _)| *d == dimension)
        .map(|(_, v)| v)
        .expect("dimension analysed")
}

#[track_caller]
fn violates(v: ReasonerVerdict) -> Witness {
    match v {
        ReasonerVerdict::Violates(w) => *w,
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[track_caller]
fn complies(v: ReasonerVerdict) {
    assert_eq!(v, ReasonerVerdict::Complies);
}

fn org_only() -> Value {
    json!({"StringEquals": {"aws:PrincipalOrgID": ORG}})
}

#[test]
fn aws_star_is_the_same_as_star() {
    // Both forms grant everyone, anonymous callers included (2.2).
    for p in [json!("*"), json!({"AWS": "*"}), json!({"AWS": ["*"]})] {
        let w = violates(verdict(
            vec![stmt("Allow", p, Value::Null)],
            &bucket(),
            Dimension::Identity,
        ));
        assert!(
            w.line()
                .starts_with("anonymous principal can s3:GetObject arn:aws:s3:::example-bucket/"),
            "{}",
            w.line()
        );
    }
}

#[test]
fn org_condition_keeps_identities_in_but_not_networks() {
    let s = vec![stmt("Allow", json!("*"), org_only())];
    complies(verdict(s.clone(), &bucket(), Dimension::Identity));
    let w = violates(verdict(s, &bucket(), Dimension::Network));
    assert!(
        !w.line().contains("vpce-1a2b3c4d"),
        "not through the allowed endpoint: {}",
        w.line()
    );
}

#[test]
fn for_all_values_on_a_missing_key_is_vacuously_true() {
    // ForAllValues:StringEquals aws:PrincipalOrgID holds for anonymous callers, who have no
    // organisation id at all (2.4): checkov and policyuniverse count it as restrictive.
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG}}),
    )];
    let w = violates(verdict(s, &bucket(), Dimension::Identity));
    assert!(w.line().starts_with("anonymous principal"), "{}", w.line());
    assert!(
        w.line().contains("no aws:PrincipalOrgID") || !w.line().contains("PrincipalOrgID="),
        "{}",
        w.line()
    );
}

#[test]
fn if_exists_on_the_identity_key_lets_anonymous_in() {
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
    )];
    let w = violates(verdict(s, &bucket(), Dimension::Identity));
    assert!(matches!(w.request.caller, crate::iam::Caller::Anonymous));
}

#[test]
fn key_name_case_does_not_matter() {
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"AWS:PRINCIPALORGID": ORG}}),
    )];
    complies(verdict(s, &bucket(), Dimension::Identity));
}

#[test]
fn a_deny_fences_an_open_allow() {
    // Pattern matchers that ignore Deny statements flag this; nothing outside gets through.
    let s = vec![
        stmt("Allow", json!("*"), Value::Null),
        stmt(
            "Deny",
            json!("*"),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}),
        ),
    ];
    complies(verdict(s, &bucket(), Dimension::Identity));
}

#[test]
fn a_deny_with_if_exists_also_fences_anonymous() {
    let s = vec![
        stmt("Allow", json!("*"), Value::Null),
        stmt(
            "Deny",
            json!("*"),
            json!({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
        ),
    ];
    complies(verdict(s, &bucket(), Dimension::Identity));
}

#[test]
fn a_deny_on_a_positive_operator_misses_anonymous() {
    // "Deny foreign organisations" written with a positive operator (StringLike "o-*"): the Deny never
    // fires for callers without an organisation, so they stay allowed.
    let s = vec![
        stmt("Allow", json!("*"), Value::Null),
        stmt(
            "Deny",
            json!("*"),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
        ),
    ];
    let w = violates(verdict(s, &bucket(), Dimension::Identity));
    assert!(w.request.caller.org().is_none(), "{}", w.line());
}

#[test]
fn not_principal_with_allow_grants_everyone_else() {
    let s = vec![stmt("Allow", json!(null), Value::Null)];
    let mut s = s;
    s[0].as_object_mut().unwrap().remove("Principal");
    s[0]["NotPrincipal"] = json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")});
    let w = violates(verdict(s, &bucket(), Dimension::Identity));
    assert!(w.line().contains("via statement"), "{}", w.line());
}

#[test]
fn wildcard_values_are_not_restrictions() {
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
    )];
    let w = violates(verdict(s, &bucket(), Dimension::Identity));
    let org = w
        .request
        .caller
        .org()
        .map(|o| o.id.clone())
        .unwrap_or_default();
    assert!(
        org.starts_with("o-") && org != ORG,
        "a foreign organisation matching o-*: {}",
        w.line()
    );
}

#[test]
fn the_network_dimension_reads_wildcard_vpces_as_open() {
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}, "StringLike": {"aws:SourceVpce": "vpce-*"}}),
    )];
    let w = violates(verdict(s, &bucket(), Dimension::Network));
    assert!(
        w.line().contains("through VPC endpoint vpce-"),
        "{}",
        w.line()
    );
    let fixed = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:SourceVpce": "vpce-1a2b3c4d"}}),
    )];
    complies(verdict(fixed, &bucket(), Dimension::Network));
}

#[test]
fn confused_deputy_keys_exist_only_for_service_principals() {
    // aws:SourceAccount is only in requests a service principal makes on behalf of a resource,
    // so this grant reaches service principals only, which this perimeter trusts.
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    )];
    complies(verdict(s, &bucket(), Dimension::Identity));
    let service = vec![stmt(
        "Allow",
        json!({"Service": "logging.s3.amazonaws.com"}),
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    )];
    complies(verdict(service, &bucket(), Dimension::Identity));
    let mut untrusting = perimeter();
    untrusting.trust_service_principals = false;
    let v = verdicts(
        vec![stmt(
            "Allow",
            json!("*"),
            json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        )],
        &bucket(),
        &untrusting,
    );
    let w = violates(
        v.into_iter()
            .find(|(d, _)| *d == Dimension::Identity)
            .unwrap()
            .1,
    );
    assert!(
        w.line().starts_with("AWS service principal"),
        "{}",
        w.line()
    );
}

#[test]
fn not_action_grants_every_other_action() {
    let mut s = stmt("Allow", json!("*"), Value::Null);
    s.as_object_mut().unwrap().remove("Action");
    s["NotAction"] = json!("s3:DeleteObject");
    violates(verdict(vec![s], &bucket(), Dimension::Identity));
}

#[test]
fn variables_compare_the_caller_with_the_resource() {
    // Only principals of the bucket owner's organisation match: the trusted organisation when
    // the perimeter knows the owner to be in it; an owner trusted by account may be in another.
    let s = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
    )];
    violates(verdict(s.clone(), &bucket(), Dimension::Identity));
    let mut per = perimeter();
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    let known = verdicts(s, &bucket(), &per)
        .into_iter()
        .find(|(d, _)| *d == Dimension::Identity)
        .map(|(_, v)| v)
        .expect("dimension analysed");
    complies(known);
    // On an endpoint, the resource can belong to any organisation: so can the principal.
    let e = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}}),
    ];
    violates(verdict(e, &endpoint(), Dimension::Identity));
}

#[test]
fn ip_ranges_are_reasoned_about_by_containment() {
    let mut per = perimeter();
    per.source_ips = vec!["203.0.113.0/24".parse().unwrap()];
    let narrow = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}, "IpAddress": {"aws:SourceIp": "203.0.113.128/25"}}),
    )];
    let v = verdicts(narrow, &bucket(), &per);
    complies(
        v.into_iter()
            .find(|(d, _)| *d == Dimension::Network)
            .unwrap()
            .1,
    );
    let wide = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}, "IpAddress": {"aws:SourceIp": "203.0.112.0/23"}}),
    )];
    let v = verdicts(wide, &bucket(), &per);
    let w = violates(
        v.into_iter()
            .find(|(d, _)| *d == Dimension::Network)
            .unwrap()
            .1,
    );
    assert!(w.line().contains("from 203.0.112."), "{}", w.line());
}

#[test]
fn enforce_mode_needs_deny_statements() {
    let mut per = perimeter();
    per.bucket_mode = BucketMode::Enforce;
    let only_allow = vec![stmt("Allow", json!("*"), org_only())];
    let v = verdicts(only_allow, &bucket(), &per);
    let w = violates(
        v.into_iter()
            .find(|(d, _)| *d == Dimension::Enforce)
            .unwrap()
            .1,
    );
    assert!(
        w.line().ends_with("and no Deny statement stops it"),
        "{}",
        w.line()
    );
    let fenced = vec![
        stmt(
            "Deny",
            json!("*"),
            json!({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
        ),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
               "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"}}}),
    ];
    let v = verdicts(fenced, &bucket(), &per);
    // The first Deny covers only s3:GetObject on objects: other actions from outside pass.
    let w = violates(
        v.into_iter()
            .find(|(d, _)| *d == Dimension::Enforce)
            .unwrap()
            .1,
    );
    assert!(
        w.request.action != "s3:GetObject" || !w.request.resource.arn.contains('/'),
        "{}",
        w.line()
    );
}

#[test]
fn endpoint_default_policy_violates_both_dimensions() {
    let full = vec![json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})];
    let v = verdicts(full, &endpoint(), &perimeter());
    assert_eq!(v.len(), 2);
    for (_, verdict) in v {
        violates(verdict);
    }
}

#[test]
fn endpoint_org_to_org_policy_complies() {
    let s = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}}}),
    ];
    for (_, v) in verdicts(s, &endpoint(), &perimeter()) {
        complies(v);
    }
    let principal_only = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}),
    ];
    let w = violates(verdict(principal_only, &endpoint(), Dimension::Resource));
    assert!(
        w.line().contains(&format!("(in {ORG}")),
        "a trusted caller: {}",
        w.line()
    );
}

#[test]
fn principal_tag_exception_is_honoured_only_when_configured() {
    let s = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}}}),
        json!({"Sid": "AnyResourceWithTag", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalTag/dp:exclude:resource": "true"}}}),
    ];
    let w = violates(verdict(s.clone(), &endpoint(), Dimension::Resource));
    assert!(
        w.line().contains("tagged dp:exclude:resource=true"),
        "{}",
        w.line()
    );
    assert!(w.line().contains("AnyResourceWithTag"), "{}", w.line());
    let mut per = perimeter();
    per.principal_tags = vec![("dp:exclude:resource".into(), "true".into())];
    for (_, v) in verdicts(s, &endpoint(), &per) {
        complies(v);
    }
}

#[test]
fn third_party_exception_covers_only_its_resources() {
    let s = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-bucket/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "222233334444", "aws:ResourceAccount": "222233334444"}}}),
    ];
    violates(verdict(s.clone(), &endpoint(), Dimension::Identity));
    let mut per = perimeter();
    per.third_parties = vec![ThirdParty {
        accounts: vec!["222233334444".into()],
        resources: vec![pattern::glob("arn:aws:s3:::partner-bucket/*")],
        actions: None,
    }];
    for (_, v) in verdicts(s, &endpoint(), &per) {
        complies(v);
    }
}

#[test]
fn unknown_endpoint_id_ranges_over_every_endpoint() {
    // A condition on aws:SourceVpce cannot fence identities when the endpoint's id is unknown.
    let s = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
    ];
    complies(verdict(s.clone(), &endpoint(), Dimension::Identity));
    let unknown = Attachment::Endpoint {
        id: None,
        vpc: None,
        service: None,
    };
    violates(verdicts(s, &unknown, &perimeter()).remove(0).1);
}

#[test]
fn a_tiny_budget_fails_closed() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]});
    let policy = Policy::from_value(&doc, PolicyKind::EndpointPolicy).unwrap();
    let v = analyze_with_budget(&policy, &endpoint(), &perimeter(), 3);
    assert!(
        v.iter().any(
            |d| matches!(&d.verdict, ReasonerVerdict::Undecided(why) if why.contains("too complex"))
        ),
        "{v:?}"
    );
}

/// `aws:PrincipalOrgPaths` holds `o-id/r-root/ou-…/` paths, and an organization id is `o-` and 10
/// to 32 lower-case letters or digits (IAM User Guide, "AWS global condition context keys",
/// aws:PrincipalOrgPaths; AWS Organizations API Reference, "Organization", Id). A `StringLike`
/// pattern with no `/` after the id also matches every organization whose id starts with it.
#[test]
fn an_org_path_pattern_without_its_separator_admits_other_organizations() {
    let loose = json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": format!("{ORG}*")}});
    let w = violates(verdict(
        vec![stmt("Allow", json!("*"), loose)],
        &bucket(),
        Dimension::Identity,
    ));
    let line = w.line();
    let other = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|t| t.starts_with(ORG) && t.len() > ORG.len())
        .unwrap_or_else(|| panic!("an organization whose id extends {ORG}: {line}"));
    assert!(
        other.len() <= 34
            && other[2..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{other} is an organization id"
    );
    let strict = json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": format!("{ORG}/*")}});
    complies(verdict(
        vec![stmt("Allow", json!("*"), strict)],
        &bucket(),
        Dimension::Identity,
    ));
}

/// Organization ids are `o-` and 10 to 32 lower-case letters or digits (AWS Organizations API
/// Reference, "Organization": Id), and string conditions compare case-sensitively (IAM User
/// Guide, "IAM JSON policy elements: Condition operators"): an Allow conditioned on an id of
/// another form matches no request, so the policy grants nothing and complies; the well-formed
/// twin of the same id grants the organization, and a wildcard pattern also grants longer ids.
#[test]
fn an_organization_id_of_no_real_form_matches_no_request() {
    for impossible in ["O-ABC123DEF4", "o-abc", "o-abc123def4*"] {
        let condition = json!({"StringEquals": {"aws:PrincipalOrgID": impossible}});
        complies(verdict(
            vec![stmt("Allow", json!("*"), condition)],
            &bucket(),
            Dimension::Identity,
        ));
    }
    let trusted = json!({"StringEquals": {"aws:PrincipalOrgID": ORG}});
    complies(verdict(
        vec![stmt("Allow", json!("*"), trusted)],
        &bucket(),
        Dimension::Identity,
    ));
    let other = json!({"StringEquals": {"aws:PrincipalOrgID": "o-zzz999yyy8"}});
    let w = violates(verdict(
        vec![stmt("Allow", json!("*"), other)],
        &bucket(),
        Dimension::Identity,
    ));
    assert!(w.line().contains("o-zzz999yyy8"), "{}", w.line());
    let prefix = json!({"StringLike": {"aws:PrincipalOrgID": "o-abc*"}});
    let w = violates(verdict(
        vec![stmt("Allow", json!("*"), prefix)],
        &bucket(),
        Dimension::Identity,
    ));
    let line = w.line();
    let org = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|t| t.starts_with("o-abc") && *t != ORG)
        .unwrap_or_else(|| panic!("an untrusted organization matching o-abc*: {line}"));
    assert!(crate::iam::arn::is_org_id(org), "{org} in {line}");
}

/// VPC endpoint ids are `vpce-` and 8 or 17 lower-case hexadecimal digits (Amazon EC2 API
/// Reference, "VpcEndpoint": VpcEndpointId), and `aws:SourceVpce` is compared case-sensitively:
/// an Allow that only an endpoint of another form satisfies grants nothing; a well-formed
/// endpoint outside the expected ones is a network violation, shown with a well-formed id, and
/// so is a pattern, tried filled to a well-formed id.
#[test]
fn endpoint_ids_are_drawn_from_their_domain() {
    let through = |vpce: &str, operator: &str| {
        verdicts(
            vec![stmt(
                "Allow",
                json!("*"),
                json!({operator: {"aws:SourceVpce": vpce}}),
            )],
            &bucket(),
            &perimeter(),
        )
    };
    for (dimension, verdict) in through("vpce-NOTANID", "StringEquals") {
        assert_eq!(verdict, ReasonerVerdict::Complies, "{dimension:?}");
    }
    for (vpce, operator, shown) in [
        ("vpce-0a1b2c3d", "StringEquals", "vpce-0a1b2c3d"),
        ("vpce-0a1b*", "StringLike", "vpce-0a1b"),
    ] {
        let network = through(vpce, operator)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Network)
            .map(|(_, v)| v)
            .expect("network analysed");
        let w = violates(network);
        let line = w.line();
        let id = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|t| t.starts_with(shown))
            .unwrap_or_else(|| panic!("an endpoint like {shown}: {line}"));
        assert!(crate::iam::arn::is_ec2_id(id, "vpce-"), "{id} in {line}");
    }
}

fn dimension_of(
    statements: Vec<Value>,
    attachment: &Attachment,
    per: &Perimeter,
    dimension: Dimension,
) -> ReasonerVerdict {
    verdicts(statements, attachment, per)
        .into_iter()
        .find(|(d, _)| *d == dimension)
        .map(|(_, v)| v)
        .expect("dimension analysed")
}

/// `aws:userid` is the account id for the root user, the unique id for an IAM user,
/// `role-id:session` for a role session and `anonymous` for an anonymous caller (IAM User Guide,
/// "Policy elements: variables and tags", "Principal key values"). An Allow for the userid of the
/// trusted account's root admits only that root user, so it complies (it was read as "an
/// anonymous caller with that userid"); the same Allow for an outside account's root violates,
/// and its witness is that root user with its own account id as userid.
#[test]
fn aws_userid_follows_the_caller() {
    let allow = |userid: &str| {
        stmt(
            "Allow",
            json!("*"),
            json!({"StringEquals": {"aws:userid": userid}}),
        )
    };
    complies(verdict(
        vec![allow(ACCOUNT)],
        &bucket(),
        Dimension::Identity,
    ));
    let w = violates(verdict(
        vec![allow("444455556666")],
        &bucket(),
        Dimension::Identity,
    ));
    assert!(
        w.line().contains("root user of account 444455556666"),
        "{}",
        w.line()
    );
    assert!(in_model(&w.request, &bucket(), &perimeter()));
    // A role's unique id grants its sessions, and the witness names a session of that role.
    let w = violates(verdict(
        vec![stmt(
            "Allow",
            json!("*"),
            json!({"StringLike": {"aws:userid": "AROAJQABLZS4A3QDU576Q:*"}}),
        )],
        &bucket(),
        Dimension::Identity,
    ));
    let userid = w.request.lookup("aws:userid");
    assert!(
        matches!(userid, Some(crate::iam::request::Values::One(v)) if v.starts_with("AROAJQABLZS4A3QDU576Q:") && crate::iam::userid::follows(&w.request.caller, v)),
        "{}",
        w.line()
    );
}

/// An account belongs to at most one organization (AWS Organizations User Guide, "Managing
/// accounts in an organization"), so a resource in the caller's own account is in the caller's
/// organization. An endpoint policy letting trusted-organization callers reach resources of
/// their own account complies; the twin that lets them reach resources of other accounts does not.
#[test]
fn an_account_is_in_one_organization_on_both_sides() {
    let allow = |condition: Value| {
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": condition})
    };
    let own = json!({"StringEquals": {
        "aws:ResourceAccount": "${aws:PrincipalAccount}", "aws:PrincipalOrgID": ORG}});
    complies(verdict(vec![allow(own)], &endpoint(), Dimension::Resource));
    let others = json!({
        "StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"},
        "StringEquals": {"aws:PrincipalOrgID": ORG}});
    violates(verdict(
        vec![allow(others)],
        &endpoint(),
        Dimension::Resource,
    ));
}

/// `s3:ResourceAccount` is the account that owns the bucket (Amazon S3 User Guide, "Limiting
/// access to buckets in specific accounts": s3:ResourceAccount): it is `aws:ResourceAccount`,
/// not a free value. An endpoint policy allowing S3 only on the trusted account's buckets
/// complies; allowing another account's does not, and the witness's bucket is owned by it.
#[test]
fn s3_resource_account_is_the_bucket_owner() {
    let allow = |account: &str| {
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringEquals": {
                "s3:ResourceAccount": account, "aws:PrincipalOrgID": ORG}}})
    };
    complies(verdict(
        vec![allow(ACCOUNT)],
        &endpoint(),
        Dimension::Resource,
    ));
    let w = violates(verdict(
        vec![allow("444455556666")],
        &endpoint(),
        Dimension::Resource,
    ));
    assert_eq!(w.request.resource.account.as_deref(), Some("444455556666"));
    assert_eq!(
        w.request.lookup("s3:resourceaccount"),
        Some(crate::iam::request::Values::One("444455556666"))
    );
}

/// `aws:SourceVpcArn` is the ARN of the VPC the request came through (IAM User Guide, global
/// condition keys, aws:SourceVpcArn), the VPC `aws:SourceVpc` names. A bucket that admits only
/// requests from the expected VPC's ARN complies on the network; one that names another VPC's
/// ARN does not, and the witness comes through that VPC.
#[test]
fn source_vpc_arn_names_the_source_vpc() {
    let per = Perimeter {
        vpcs: vec!["vpc-1a2b3c4d".into()],
        ..perimeter()
    };
    let allow = |vpc: &str| {
        stmt(
            "Allow",
            json!("*"),
            json!({"ArnEquals": {"aws:SourceVpcArn": format!("arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/{vpc}")}}),
        )
    };
    complies(dimension_of(
        vec![allow("vpc-1a2b3c4d")],
        &bucket(),
        &per,
        Dimension::Network,
    ));
    let w = violates(dimension_of(
        vec![allow("vpc-0f0e0d0c")],
        &bucket(),
        &per,
        Dimension::Network,
    ));
    assert_eq!(
        w.request.lookup("aws:sourcevpc"),
        Some(crate::iam::request::Values::One("vpc-0f0e0d0c")),
        "{}",
        w.line()
    );
}

/// How many wildcards a pattern holds is no measure of difficulty by itself: a legal Resource
/// pattern with 20 wildcards that meets no other wildcard pattern is decided like any other
/// (IAM User Guide, "IAM JSON policy elements: Resource": wildcards in any segment), in both
/// directions.
#[test]
fn many_wildcards_in_a_pattern_nothing_else_meets_are_decided() {
    let resource = format!("arn:aws:s3:::{BUCKET}/{}", "*/".repeat(20));
    let st = |principal: Value, condition: Value| {
        let mut s = stmt("Allow", principal, condition);
        s["Resource"] = json!(resource);
        s
    };
    complies(verdict(
        vec![st(json!("*"), org_only())],
        &bucket(),
        Dimension::Identity,
    ));
    violates(verdict(
        vec![st(json!("*"), Value::Null)],
        &bucket(),
        Dimension::Identity,
    ));
}

fn allow_all(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource})
}

/// Requests through an interface endpoint are calls to its service (AWS PrivateLink Guide,
/// "Control access to VPC endpoints using endpoint policies"): an ECR endpoint's policy that
/// lets anyone call S3 lets nobody in, since no S3 request goes through it; the twin that lets
/// anyone call ECR does, and its witness is a real ECR action on an ECR repository, made by a
/// signed caller (ECR takes no anonymous requests).
#[test]
fn an_endpoint_carries_only_its_service() {
    let ecr = Attachment::Endpoint {
        id: Some("vpce-1a2b3c4d".into()),
        vpc: None,
        service: Some("ecr".into()),
    };
    complies(verdict(
        vec![allow_all("s3:*", "*")],
        &ecr,
        Dimension::Identity,
    ));
    let w = violates(verdict(
        vec![allow_all("ecr:*", "*")],
        &ecr,
        Dimension::Identity,
    ));
    assert!(
        crate::iam::services::qualified_action(&w.request.action)
            .is_some_and(|(t, _)| t.prefix == "ecr"),
        "{}",
        w.line()
    );
    assert!(
        w.request.resource.arn.contains(":repository/"),
        "{}",
        w.line()
    );
    assert!(
        !matches!(w.request.caller, crate::iam::Caller::Anonymous),
        "{}",
        w.line()
    );
}

/// Actions act on resources of their own types (Service Authorization Reference, Amazon S3:
/// GetObject on `object`, ListBucket on `bucket`): GetObject granted on the bucket ARN alone
/// grants nothing; the twins (ListBucket on the bucket, GetObject on its objects) grant what
/// they say, on ARNs with a non-empty key. (An action the tables do not list is another matter:
/// see `actions_the_tables_do_not_list_are_modelled_not_dropped`.)
#[test]
fn actions_are_real_and_act_on_their_resource_types() {
    let arn = format!("arn:aws:s3:::{BUCKET}");
    complies(verdict(
        vec![allow_all("s3:GetObject", &arn)],
        &bucket(),
        Dimension::Identity,
    ));
    let w = violates(verdict(
        vec![allow_all("s3:ListBucket", &arn)],
        &bucket(),
        Dimension::Identity,
    ));
    assert_eq!(w.request.resource.arn, arn);
    let w = violates(verdict(
        vec![allow_all("s3:GetObject", &format!("{arn}/*"))],
        &bucket(),
        Dimension::Identity,
    ));
    let key = w.request.resource.arn.strip_prefix(&format!("{arn}/"));
    assert!(key.is_some_and(|k| !k.is_empty()), "{}", w.line());
}

/// Bucket names follow S3's naming rules (Amazon S3 User Guide, "General purpose bucket naming
/// rules": 3 to 63 lower-case letters, digits, dots and hyphens): a policy of a bucket whose name
/// is not known that grants only a name S3 rejects grants nothing; the well-formed twin grants
/// that bucket's objects, and the witness names it.
#[test]
fn bucket_names_s3_rejects_name_no_bucket() {
    let unknown = Attachment::Bucket { name: None };
    complies(verdict(
        vec![allow_all("s3:GetObject", "arn:aws:s3:::Team_Bucket/*")],
        &unknown,
        Dimension::Identity,
    ));
    let w = violates(verdict(
        vec![allow_all("s3:GetObject", "arn:aws:s3:::team-bucket/*")],
        &unknown,
        Dimension::Identity,
    ));
    assert!(
        w.request
            .resource
            .arn
            .starts_with("arn:aws:s3:::team-bucket/"),
        "{}",
        w.line()
    );
}

/// A Resource with a policy variable names a different ARN for each request (IAM User Guide,
/// "IAM policy elements: Variables and tags"), so whether it matches is decided per request and
/// never carried over from one caller to another: a home folder per account lets any account
/// in; the twin whose Deny keeps every folder but the trusted account's out complies.
#[test]
fn resources_with_variables_are_matched_per_caller() {
    let home = format!("arn:aws:s3:::{BUCKET}/home/${{aws:PrincipalAccount}}/*");
    let w = violates(verdict(
        vec![allow_all("s3:GetObject", &home)],
        &bucket(),
        Dimension::Identity,
    ));
    let account = match &w.request.caller {
        crate::iam::request::Caller::Iam(id) => id.account.clone(),
        other => panic!("an IAM caller, not {other:?}: {}", w.line()),
    };
    assert_ne!(account, ACCOUNT, "{}", w.line());
    assert!(
        w.request
            .resource
            .arn
            .starts_with(&format!("arn:aws:s3:::{BUCKET}/home/{account}/")),
        "{}",
        w.line()
    );
    complies(verdict(
        vec![
            allow_all("s3:GetObject", &home),
            json!({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                "NotResource": format!("arn:aws:s3:::{BUCKET}/home/{ACCOUNT}/*")}),
        ],
        &bucket(),
        Dimension::Identity,
    ));
}

/// The action tables are a snapshot of the Service Authorization Reference, and AWS adds
/// actions ("Actions, resources, and condition keys for Amazon S3" grows every year): an action
/// the tables do not list may be a newer one, so it is modelled on any resource rather than
/// taken to grant nothing. Granted to everyone it lets everyone in; the twin limited to the
/// organization keeps them out. (A misspelt one is treated alike: S3 refuses a bucket policy
/// with an invalid action, so judging it as if real costs nothing, while a missed newer action
/// would be an open door.)
#[test]
fn actions_the_tables_do_not_list_are_modelled_not_dropped() {
    let action = "s3:PutBucketFutureFeature";
    let policy = Policy::from_value(
        &json!({"Version": "2012-10-17",
            "Statement": [allow_all(action, &format!("arn:aws:s3:::{BUCKET}"))]}),
        PolicyKind::BucketPolicy,
    )
    .expect("policy");
    assert_eq!(
        unlisted_actions(&policy, &bucket()),
        vec![action.to_owned()]
    );
    let w = violates(verdict(
        vec![allow_all(action, &format!("arn:aws:s3:::{BUCKET}"))],
        &bucket(),
        Dimension::Identity,
    ));
    assert_eq!(w.request.action, action, "{}", w.line());
    let mut limited = allow_all(action, &format!("arn:aws:s3:::{BUCKET}"));
    limited["Condition"] = org_only();
    complies(verdict(vec![limited], &bucket(), Dimension::Identity));
    let listed = Policy::from_value(
        &json!({"Version": "2012-10-17",
            "Statement": [allow_all("s3:GetObject", &format!("arn:aws:s3:::{BUCKET}/*"))]}),
        PolicyKind::BucketPolicy,
    )
    .expect("policy");
    assert!(unlisted_actions(&listed, &bucket()).is_empty());
    let w = violates(verdict(
        vec![allow_all(
            "s3:GetObjekt",
            &format!("arn:aws:s3:::{BUCKET}/*"),
        )],
        &bucket(),
        Dimension::Identity,
    ));
    assert_eq!(w.request.action, "s3:GetObjekt", "{}", w.line());
}

/// A perimeter's allowed resources name buckets as S3 does, name first: IAM's `*` in
/// `amazonlinux.*.amazonaws.com/*` also matches `amazonlinux.zz0/zz0.amazonaws.com/z`, an object
/// of the bucket `amazonlinux.zz0` that anyone may create (Amazon S3 User Guide, "General
/// purpose bucket naming rules": a name has no `/`). An endpoint policy granting that pattern
/// reaches such a bucket though the perimeter allows the pattern; the policy listing the region
/// does not.
#[test]
fn allowed_bucket_patterns_do_not_cross_the_slash() {
    let per = Perimeter {
        allowed_resources: vec![pattern::glob("arn:aws:s3:::amazonlinux.*.amazonaws.com/*")].into(),
        ..perimeter()
    };
    let grant = |resource: &str| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": resource,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}),
        ]
    };
    let resource_verdict = |resource: &str| {
        verdicts(grant(resource), &endpoint(), &per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Resource)
            .map(|(_, v)| v)
            .expect("resource dimension")
    };
    let w = violates(resource_verdict(
        "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
    ));
    let arn = &w.request.resource.arn;
    let bucket = arn
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.split_once('/'))
        .map(|(b, _)| b)
        .expect("an object ARN");
    assert!(
        bucket.starts_with("amazonlinux.") && !bucket.ends_with(".amazonaws.com"),
        "{}",
        w.line()
    );
    assert!(crate::iam::arn::is_bucket_name(bucket), "{}", w.line());
    complies(resource_verdict(
        "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
    ));
}

/// An excluded account is outside though its organisation is trusted, for the identity and the
/// resource perimeters alike: a grant to the organisation reaches it, and the witness comes from
/// (or goes to) that account; denying the account closes the gap.
#[test]
fn excluded_accounts_are_outside_whatever_trusts_them() {
    const EXCLUDED: &str = "444455556666";
    let per = Perimeter {
        identity_excluded_accounts: vec![EXCLUDED.into()],
        resource_excluded_accounts: vec![EXCLUDED.into()],
        ..perimeter()
    };
    let org_grant = stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    );
    let deny_excluded = stmt(
        "Deny",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalAccount": EXCLUDED}}),
    );
    let identity = |statements: Vec<Value>| {
        verdicts(statements, &bucket(), &per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Identity)
            .map(|(_, v)| v)
            .expect("identity")
    };
    let w = violates(identity(vec![org_grant.clone()]));
    assert_eq!(w.request.caller.account(), Some(EXCLUDED), "{}", w.line());
    complies(identity(vec![org_grant, deny_excluded]));
    // Under the same perimeter without the exclusion, the organisation's grant is inside.
    complies(verdict(
        vec![stmt(
            "Allow",
            json!("*"),
            json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
        )],
        &bucket(),
        Dimension::Identity,
    ));
    let to_org_resources = |extra: Option<Value>| {
        let mut statements = vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}}}),
        ];
        statements.extend(extra);
        verdicts(statements, &endpoint(), &per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Resource)
            .map(|(_, v)| v)
            .expect("resource")
    };
    let w = violates(to_org_resources(None));
    assert_eq!(
        w.request.resource.account.as_deref(),
        Some(EXCLUDED),
        "{}",
        w.line()
    );
    complies(to_org_resources(Some(
        json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceAccount": EXCLUDED}}}),
    )));
}

/// OU-scoped trust (IAM User Guide, aws:PrincipalOrgPaths): with only an OU trusted, a grant to
/// the whole organisation reaches principals elsewhere in it; a grant conditioned on the OU path
/// complies. An excluded OU inside a trusted organisation is outside, and the witness sits in it.
#[test]
fn org_paths_scope_trust_and_exclusions_win() {
    const TRUSTED_OU: &str = "o-abc123def4/r-ab12/ou-ab12-11111111/";
    const SANDBOX_OU: &str = "o-abc123def4/r-ab12/ou-ab12-22222222/";
    let identity = |per: &Perimeter, condition: Value| {
        verdicts(vec![stmt("Allow", json!("*"), condition)], &bucket(), per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Identity)
            .map(|(_, v)| v)
            .expect("identity")
    };
    let ou_only = Perimeter {
        identity_orgs: vec![],
        identity_accounts: vec![],
        identity_org_paths: vec![TRUSTED_OU.into()],
        ..perimeter()
    };
    let w = violates(identity(
        &ou_only,
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    ));
    let caller_paths = match &w.request.caller {
        crate::iam::request::Caller::Iam(i) => i.org.as_ref().map(|o| o.paths.clone()),
        _ => None,
    };
    assert!(
        caller_paths.is_some_and(|p| p.iter().all(|p| !p.starts_with(TRUSTED_OU))),
        "{}",
        w.line()
    );
    complies(identity(
        &ou_only,
        json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": format!("{TRUSTED_OU}*")}}),
    ));
    let sandbox_excluded = Perimeter {
        identity_excluded_org_paths: vec![SANDBOX_OU.into()],
        ..perimeter()
    };
    let w = violates(identity(
        &sandbox_excluded,
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    ));
    assert!(w.line().contains("ou-ab12-22222222"), "{}", w.line());
    complies(identity(
        &perimeter(),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    ));
}

/// The resource perimeter by OU (IAM User Guide, aws:ResourceOrgPaths): with resources trusted
/// only in one OU, an endpoint policy granting the organisation's resources reaches resources
/// elsewhere in it; granting that OU's resources complies. An excluded OU's resources are
/// outside though their organisation is trusted.
#[test]
fn resource_org_paths_scope_the_resource_perimeter() {
    const DATA_OU: &str = "o-abc123def4/r-ab12/ou-ab12-11111111/";
    const SANDBOX_OU: &str = "o-abc123def4/r-ab12/ou-ab12-22222222/";
    let resource = |per: &Perimeter, condition: Value| {
        let statements = vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": condition}),
        ];
        verdicts(statements, &endpoint(), per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Resource)
            .map(|(_, v)| v)
            .expect("resource")
    };
    let ou_only = Perimeter {
        resource_orgs: vec![],
        resource_accounts: vec![],
        resource_org_paths: vec![DATA_OU.into()],
        ..perimeter()
    };
    let org_wide = json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}});
    let w = violates(resource(&ou_only, org_wide.clone()));
    assert!(
        w.request
            .resource
            .org
            .as_ref()
            .is_some_and(|o| o.paths.iter().all(|p| !p.starts_with(DATA_OU))),
        "{}",
        w.line()
    );
    complies(resource(
        &ou_only,
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG},
            "ForAllValues:StringLike": {"aws:ResourceOrgPaths": format!("{DATA_OU}*")},
            "Null": {"aws:ResourceOrgPaths": "false"}}),
    ));
    let sandbox_excluded = Perimeter {
        resource_excluded_org_paths: vec![SANDBOX_OU.into()],
        ..perimeter()
    };
    let w = violates(resource(&sandbox_excluded, org_wide.clone()));
    assert!(
        w.request
            .resource
            .org
            .as_ref()
            .is_some_and(|o| o.paths.iter().any(|p| p.starts_with(SANDBOX_OU))),
        "{}",
        w.line()
    );
    complies(resource(&perimeter(), org_wide));
}

/// Principal-ARN exceptions (AWS's data-perimeter examples exempt
/// `arn:aws:iam::*:role/aws:ec2-infrastructure` from the network perimeter with ArnNotLikeIfExists
/// on aws:PrincipalArn): a grant to that role from any network complies where the perimeter
/// exempts the role from the network perimeter, and violates, with that role's session as the
/// witness, where it does not or exempts it only from the resource perimeter.
#[test]
fn principal_arn_exceptions_exempt_from_the_listed_perimeter() {
    const ROLE: &str = "arn:aws:iam::*:role/aws:ec2-infrastructure";
    let grant = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}, "ArnLike": {"aws:PrincipalArn": ROLE}}),
    )];
    let network = |per: &Perimeter| {
        verdicts(grant.clone(), &bucket(), per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Network)
            .map(|(_, v)| v)
            .expect("network")
    };
    complies(network(&Perimeter {
        network_exempt_arns: vec![pattern::glob(ROLE)],
        ..perimeter()
    }));
    for per in [
        perimeter(),
        Perimeter {
            resource_exempt_arns: vec![pattern::glob(ROLE)],
            ..perimeter()
        },
    ] {
        let w = violates(network(&per));
        assert!(
            w.line().contains("role/aws:ec2-infrastructure"),
            "{}",
            w.line()
        );
    }
}

/// AWS's opt-in rollout of the network perimeter (data-perimeter examples: the network Deny
/// conditioned on `aws:PrincipalTag/dp:include:network`): a policy that keeps only tagged
/// principals on the expected networks complies where the perimeter applies to them alone, and
/// violates, through an untagged principal, where it applies to everyone; a policy letting tagged
/// principals in from anywhere violates either way.
#[test]
fn the_network_perimeter_may_apply_to_tagged_principals_only() {
    let opt_in = Perimeter {
        network_applies_to_tags: vec![("dp:include:network".into(), "true".into())],
        ..perimeter()
    };
    let org = stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    );
    let deny_tagged_elsewhere = stmt(
        "Deny",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalTag/dp:include:network": "true"},
            "StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    );
    let network = |statements: Vec<Value>, per: &Perimeter| {
        verdicts(statements, &bucket(), per)
            .into_iter()
            .find(|(d, _)| *d == Dimension::Network)
            .map(|(_, v)| v)
            .expect("network")
    };
    complies(network(
        vec![org.clone(), deny_tagged_elsewhere.clone()],
        &opt_in,
    ));
    violates(network(
        vec![org.clone(), deny_tagged_elsewhere],
        &perimeter(),
    ));
    let w = violates(network(vec![org], &opt_in));
    assert!(w.line().contains("dp:include:network=true"), "{}", w.line());
}

mod doors;
mod guardrails;
mod vocabulary;

/// One grant per team folder, as large bucket policies are written: the search reads the Allow
/// statements that differ only in their Resource as one, and decides as it does statement by
/// statement. An outsider granted on three folders violates, and the witness names the statement
/// that grants the folder it reaches, as written; the same grants to the organization comply;
/// a statement with other conditions, or a NotResource, stays apart.
#[test]
fn grants_that_differ_only_in_their_resource_are_searched_as_one() {
    const OUTSIDER: &str = "444455556666";
    let per_team = |principal: Value, condition: Value| -> Vec<Value> {
        (0..3)
            .map(|i| {
                let mut s = json!({"Sid": format!("Team{i}"), "Effect": "Allow",
                    "Principal": principal, "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": format!("arn:aws:s3:::{BUCKET}/team-{i}/*")});
                if !condition.is_null() {
                    s["Condition"] = condition.clone();
                }
                s
            })
            .collect()
    };
    let doc = |statements: Vec<Value>| {
        Policy::from_value(
            &json!({"Version": "2012-10-17", "Statement": statements}),
            PolicyKind::BucketPolicy,
        )
        .expect("a policy")
    };
    let org = json!({"StringEquals": {"aws:PrincipalOrgID": ORG}});
    let mut statements = per_team(json!("*"), org.clone());
    statements.push(
        json!({"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    );
    let written = doc(statements.clone());
    let merged = merge_allows(&written);
    assert_eq!(
        merged.statements.len(),
        2,
        "three grants in one, the Deny apart"
    );
    assert_eq!(
        merged.statements[0]
            .resource
            .as_ref()
            .map(|r| r.patterns.len()),
        Some(3)
    );
    complies(dimension_of(
        statements.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));

    let outsider = per_team(json!({"AWS": OUTSIDER}), Value::Null);
    let w = violates(dimension_of(
        outsider.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
    let team = w
        .request
        .resource
        .arn
        .split("/team-")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the witness reaches a team folder")
        .to_owned();
    assert_eq!(
        w.statements
            .iter()
            .map(|s| s.sid.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec![format!("Team{team}")],
        "{}",
        w.line()
    );

    // Other conditions, or NotResource, keep a statement apart.
    let mut apart = statements;
    apart[1]["Condition"] = json!({"StringEquals": {"aws:PrincipalOrgID": "o-zzz999yyy8"}});
    apart.push(
        json!({"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
        "NotResource": format!("arn:aws:s3:::{BUCKET}/private/*"), "Condition": org}),
    );
    assert_eq!(merge_allows(&doc(apart.clone())).statements.len(), 4);
    let w = violates(dimension_of(
        apart,
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
    assert!(
        w.statements
            .iter()
            .all(|s| s.sid.as_deref() == Some("Team1")),
        "{}",
        w.line()
    );
}
