//! The modern data-perimeter vocabulary: endpoint owners, organization facts, service-principal
//! sources, resource-tag exceptions, `viaAwsServices` and third-party actions. Each semantic has
//! its violating case and its compliant twin.

use super::*;

const OTHER_MEMBER: &str = "444455556666";
const SANDBOX: &str = "555566667777";
const OU: &str = "o-abc123def4/r-ab12/ou-ab12-11111111/";

fn context(w: &Witness, key: &str) -> Option<ContextValue> {
    w.request.context.get(key).cloned()
}

fn one(v: &str) -> Option<ContextValue> {
    Some(ContextValue::One(v.to_owned()))
}

/// The bucket policy AWS now recommends for the network perimeter: requests through any
/// endpoint of the organization (`aws:VpceOrgID`; IAM User Guide, global condition keys,
/// aws:VpceOrgID), from organization identities.
fn vpce_org_grant() -> Vec<Value> {
    vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:VpceOrgID": ORG}}),
    )]
}

#[test]
fn an_endpoint_organization_is_an_expected_network_only_when_declared() {
    // allowedVpcEndpoints alone: another member account's endpoint is not that endpoint.
    let w = violates(dimension_of(
        vpce_org_grant(),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    assert_eq!(context(&w, "aws:vpceorgid"), one(ORG));
    assert_ne!(context(&w, "aws:sourcevpce"), one("vpce-1a2b3c4d"));
    let mut per = perimeter();
    per.endpoint_orgs = vec![ORG.into()];
    complies(dimension_of(
        vpce_org_grant(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
}

#[test]
fn endpoint_accounts_and_ous_are_expected_networks_when_declared() {
    let by_account = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:VpceAccount": ACCOUNT}}),
    )];
    violates(dimension_of(
        by_account.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    let mut per = perimeter();
    per.endpoint_accounts = vec![ACCOUNT.into()];
    complies(dimension_of(
        by_account,
        &bucket(),
        &per,
        Dimension::Network,
    ));

    let by_ou = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG},
               "ForAnyValue:StringLike": {"aws:VpceOrgPaths": format!("{OU}*")}}),
    )];
    violates(dimension_of(
        by_ou.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    let mut per = perimeter();
    per.endpoint_org_paths = vec![OU.into()];
    complies(dimension_of(by_ou, &bucket(), &per, Dimension::Network));
}

#[test]
fn an_excluded_account_s_endpoint_is_not_trusted_through_its_organization() {
    let mut per = perimeter();
    per.endpoint_orgs = vec![ORG.into()];
    per.identity_excluded_accounts = vec![SANDBOX.into()];
    let w = violates(dimension_of(
        vpce_org_grant(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    assert_eq!(context(&w, "aws:vpceaccount"), one(SANDBOX));
    // The twin names the sandbox account out of the grant.
    let guarded = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:VpceOrgID": ORG},
               "StringNotEquals": {"aws:VpceAccount": SANDBOX}}),
    )];
    complies(dimension_of(guarded, &bucket(), &per, Dimension::Network));
}

#[test]
fn endpoint_owner_keys_describe_one_owner() {
    // An account listed as a member reports its organization through aws:VpceOrgID too, so a
    // grant to that account's endpoints is a grant to organization endpoints.
    let by_account = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:VpceAccount": ACCOUNT}}),
    )];
    let mut per = perimeter();
    per.endpoint_orgs = vec![ORG.into()];
    let w = violates(dimension_of(
        by_account.clone(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    assert_ne!(context(&w, "aws:vpceorgid"), one(ORG));
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    complies(dimension_of(
        by_account,
        &bucket(),
        &per,
        Dimension::Network,
    ));
}

#[test]
fn a_vpc_arn_pattern_is_an_expected_network() {
    let vpc_arn = "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-111bbb22";
    let grant = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG},
               "ArnEquals": {"aws:SourceVpcArn": vpc_arn}}),
    )];
    violates(dimension_of(
        grant.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    let mut per = perimeter();
    per.vpc_arns = vec![pattern::glob("arn:aws:ec2:*:111122223333:vpc/vpc-111bbb22")];
    complies(dimension_of(
        grant.clone(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    per.vpc_arns = vec![pattern::glob("arn:aws:ec2:*:111122223333:vpc/vpc-999fff00")];
    violates(dimension_of(grant, &bucket(), &per, Dimension::Network));
}

/// The example: trusted identities by account, trusted resources by organization, and a
/// policy keeping each caller to its own account's resources. Only the membership facts prove
/// the caller's account is in the organization.
#[test]
fn organization_facts_make_derived_keys_provable() {
    let own_resources = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "*", "Condition": {"StringEquals": {
            "aws:PrincipalAccount": [ACCOUNT, OTHER_MEMBER],
            "aws:ResourceAccount": "${aws:PrincipalAccount}"}}}),
    ];
    let mut per = perimeter();
    per.identity_orgs = vec![];
    per.identity_accounts = vec![ACCOUNT.into(), OTHER_MEMBER.into()];
    per.resource_accounts = vec![];
    per.resource_orgs = vec![ORG.into()];
    let w = violates(dimension_of(
        own_resources.clone(),
        &endpoint(),
        &per,
        Dimension::Resource,
    ));
    assert_ne!(
        w.request.resource.org.as_ref().map(|o| o.id.as_str()),
        Some(ORG)
    );
    // One member listed: the other account is unknown, so the witness is through it.
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    let w = violates(dimension_of(
        own_resources.clone(),
        &endpoint(),
        &per,
        Dimension::Resource,
    ));
    assert_eq!(w.request.resource.account.as_deref(), Some(OTHER_MEMBER));
    per.memberships
        .insert(OTHER_MEMBER.to_owned(), ORG.to_owned());
    complies(dimension_of(
        own_resources,
        &endpoint(),
        &per,
        Dimension::Resource,
    ));
}

fn cloudfront_grant(condition: Value) -> Vec<Value> {
    vec![stmt(
        "Allow",
        json!({"Service": "cloudfront.amazonaws.com"}),
        condition,
    )]
}

fn with_sources(orgs: &[&str], accounts: &[&str]) -> Perimeter {
    let mut per = perimeter();
    per.service_sources = Some(ServiceSources {
        orgs: orgs.iter().map(|s| s.to_string()).collect(),
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
    });
    per
}

/// A service principal acting for any account is the confused deputy (IAM User Guide, "The
/// confused deputy problem"): with sources declared, an unpinned CloudFront grant violates and
/// the witness is a distribution of an untrusted account.
#[test]
fn an_unpinned_service_grant_is_the_confused_deputy_when_sources_are_declared() {
    let per = with_sources(&[], &[ACCOUNT]);
    let w = violates(dimension_of(
        cloudfront_grant(Value::Null),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    let source = context(&w, "aws:sourceaccount").expect("the witness acts for an account");
    assert_ne!(Some(source), one(ACCOUNT));
    // Without sources every service principal is trusted, as before.
    complies(dimension_of(
        cloudfront_grant(Value::Null),
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
}

#[test]
fn a_service_grant_pinned_to_a_trusted_source_complies() {
    let per = with_sources(&[ORG], &[ACCOUNT]);
    for pin in [
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/*"}}),
        json!({"StringEquals": {"aws:SourceOrgID": ORG}}),
    ] {
        complies(dimension_of(
            cloudfront_grant(pin.clone()),
            &bucket(),
            &per,
            Dimension::Identity,
        ));
    }
    // Pinned to an account that is not a source.
    violates(dimension_of(
        cloudfront_grant(json!({"StringEquals": {"aws:SourceAccount": OTHER_MEMBER}})),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
}

#[test]
fn exclusions_win_over_service_principal_sources() {
    let mut per = with_sources(&[ORG], &[]);
    per.identity_excluded_accounts = vec![SANDBOX.into()];
    let pinned_to_org = json!({"StringEquals": {"aws:SourceOrgID": ORG}});
    let w = violates(dimension_of(
        cloudfront_grant(pinned_to_org),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    assert_eq!(context(&w, "aws:sourceaccount"), one(SANDBOX));
    let and_not_sandbox = json!({"StringEquals": {"aws:SourceOrgID": ORG},
        "StringNotEquals": {"aws:SourceAccount": SANDBOX}});
    complies(dimension_of(
        cloudfront_grant(and_not_sandbox),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
}

fn tagged_open_grant(tag: &str) -> Vec<Value> {
    vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
        "Condition": {"StringEquals": {format!("aws:ResourceTag/{tag}"): "true"}}}),
    ]
}

#[test]
fn a_resource_tag_exempts_only_from_the_perimeters_it_lists() {
    let grant = tagged_open_grant("dp:exclude:identity");
    violates(dimension_of(
        grant.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
    let mut per = perimeter();
    per.identity_resource_tags = vec![("dp:exclude:identity".into(), "true".into())];
    complies(dimension_of(
        grant.clone(),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    // An identity exception leaves the network perimeter as it was.
    let w = violates(dimension_of(grant, &bucket(), &per, Dimension::Network));
    assert_eq!(
        w.request
            .resource
            .tags
            .get("dp:exclude:identity")
            .map(String::as_str),
        Some("true")
    );
    let mut per = perimeter();
    per.network_resource_tags = vec![("dp:exclude:network".into(), "true".into())];
    complies(dimension_of(
        tagged_open_grant("dp:exclude:network"),
        &bucket(),
        &per,
        Dimension::Network,
    ));
}

/// A tag is set by the resource's owner: on a resource outside the resource perimeter it
/// exempts nothing.
#[test]
fn a_resource_tag_exempts_only_resources_inside_the_resource_perimeter() {
    let open_tagged = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/dp:exclude:identity": "true"}}}),
    ];
    let mut per = perimeter();
    per.identity_resource_tags = vec![("dp:exclude:identity".into(), "true".into())];
    let w = violates(dimension_of(
        open_tagged,
        &endpoint(),
        &per,
        Dimension::Identity,
    ));
    assert!(!per.resource_account_trusted(
        w.request.resource.account.as_deref(),
        w.request.resource.org.as_ref()
    ));
    let inside = vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/dp:exclude:identity": "true",
            "aws:ResourceAccount": ACCOUNT}}}),
    ];
    complies(dimension_of(inside, &endpoint(), &per, Dimension::Identity));
}

fn via_service_grant(extra: Value) -> Vec<Value> {
    let mut condition = json!({"Bool": {"aws:ViaAWSService": "true"},
        "StringEquals": {"aws:PrincipalOrgID": ORG}});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            condition[k] = v;
        }
    }
    vec![stmt("Allow", json!("*"), condition)]
}

#[test]
fn via_aws_services_limits_the_service_exemption_to_the_listed_services() {
    complies(dimension_of(
        via_service_grant(Value::Null),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    let mut per = perimeter();
    per.via_services = Some(vec!["athena.amazonaws.com".into()]);
    violates(dimension_of(
        via_service_grant(Value::Null),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    complies(dimension_of(
        via_service_grant(
            json!({"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}),
        ),
        &bucket(),
        &per,
        Dimension::Network,
    ));
}

fn partner(actions: Option<&[&str]>) -> Perimeter {
    let mut per = perimeter();
    per.third_parties = vec![ThirdParty {
        accounts: vec!["222233334444".into()],
        resources: vec![pattern::glob("arn:aws:s3:::partner-bucket/*")],
        actions: actions.map(|a| {
            a.iter()
                .map(|x| pattern::glob(&x.to_ascii_lowercase()))
                .collect()
        }),
    }];
    per
}

#[test]
fn third_party_actions_bound_the_flow_both_ways() {
    let partner_reads = |action: &str| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": action,
            "Resource": "arn:aws:s3:::partner-bucket/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "222233334444",
                "aws:ResourceAccount": "222233334444"}}}),
        ]
    };
    let bounded = partner(Some(&["s3:GetObject"]));
    complies(dimension_of(
        partner_reads("s3:GetObject"),
        &endpoint(),
        &bounded,
        Dimension::Identity,
    ));
    let w = violates(dimension_of(
        partner_reads("s3:*"),
        &endpoint(),
        &bounded,
        Dimension::Identity,
    ));
    assert!(!w.request.action.eq_ignore_ascii_case("s3:GetObject"));
    complies(dimension_of(
        partner_reads("s3:*"),
        &endpoint(),
        &partner(None),
        Dimension::Identity,
    ));

    // Our identities on the partner's bucket: the same bound.
    let ours = |action: &str| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": action,
            "Resource": "arn:aws:s3:::partner-bucket/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}),
        ]
    };
    complies(dimension_of(
        ours("s3:GetObject"),
        &endpoint(),
        &bounded,
        Dimension::Resource,
    ));
    let w = violates(dimension_of(
        ours("s3:*"),
        &endpoint(),
        &bounded,
        Dimension::Resource,
    ));
    assert!(!w.request.action.eq_ignore_ascii_case("s3:GetObject"));
}

/// AWS's network statements exempt any principal carrying the exception tag
/// (`StringNotEqualsIfExists aws:PrincipalTag/dp:exclude:network`), so the network perimeter
/// does too; an outsider carrying it is still outside the identity perimeter.
#[test]
fn a_network_exception_tag_exempts_any_principal_from_the_network_perimeter_only() {
    let tagged = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalTag/dp:exclude:network": "true"}}),
    )];
    violates(dimension_of(
        tagged.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Network,
    ));
    let mut per = perimeter();
    per.network_tags = vec![("dp:exclude:network".into(), "true".into())];
    complies(dimension_of(
        tagged.clone(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    let w = violates(dimension_of(tagged, &bucket(), &per, Dimension::Identity));
    assert!(!per.trusted_identity(&w.request), "{}", w.line());
}

/// The index of allowed resources answers as the perimeter's own test does, for patterns that
/// name one bucket (looked up), and for every other pattern (tried in turn).
#[test]
fn the_allowed_resource_index_answers_as_the_perimeter_does() {
    let patterns: Vec<Vec<pattern::Tok>> = [
        "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
        "arn:aws:s3:::exact-bucket",
        "arn:aws-cn:s3:::cn-bucket/*",
        "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
        "arn:aws:s3:::prefix/dir/*",
        "arn:aws:ssm:us-east-1::parameter/aws/*",
        "arn:*:s3:::any-partition/*",
    ]
    .iter()
    .map(|p| pattern::glob(p))
    .collect();
    let per = Perimeter {
        allowed_resources: patterns.clone().into(),
        ..Perimeter::default()
    };
    let index = &per.allowed_resources;
    for arn in [
        "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/repo/x",
        "arn:aws:s3:::al2023-repos-us-east-1-de612dc2",
        "arn:aws:s3:::al2023-repos-attacker/x",
        "arn:aws:s3:::exact-bucket",
        "arn:aws:s3:::exact-bucket/key",
        "arn:aws-cn:s3:::cn-bucket/k",
        "arn:aws:s3:::cn-bucket/k",
        "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/x",
        "arn:aws:s3:::amazonlinux.evil/x.amazonaws.com/y",
        "arn:aws:s3:::prefix/dir/file",
        "arn:aws:s3:::prefix/other",
        "arn:aws:ssm:us-east-1::parameter/aws/service/x",
        "arn:aws:ssm:us-east-1:111122223333:parameter/aws/x",
        "arn:aws-us-gov:s3:::any-partition/k",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap",
    ] {
        let scanned = patterns
            .iter()
            .any(|p| crate::iam::arn::matches_by_bucket(p, arn));
        assert_eq!(index.allows(arn), scanned, "{arn}");
        assert_eq!(per.allowed_resource(arn), scanned, "{arn}");
    }
    assert!(index.allows("arn:aws:s3:::exact-bucket"));
    assert!(!index.allows("arn:aws:s3:::al2023-repos-attacker/x"));
}

/// A bucket's owner the perimeter knows to be a member is in that organization, even when no
/// organization is trusted (an account is in at most one organization: AWS Organizations User
/// Guide, "Managing accounts"); the bucket policy is judged for that bucket.
#[test]
fn a_known_member_s_bucket_is_in_its_organization() {
    let mut per = perimeter();
    per.identity_orgs = vec![];
    per.resource_orgs = vec![];
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    let w = violates(dimension_of(
        vec![stmt("Allow", json!("*"), Value::Null)],
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    assert_eq!(
        w.request.resource.org.as_ref().map(|o| o.id.as_str()),
        Some(ORG)
    );
    complies(dimension_of(
        vec![stmt("Allow", json!({"AWS": ACCOUNT}), Value::Null)],
        &bucket(),
        &per,
        Dimension::Identity,
    ));
}

/// aws:CalledVia exists only when aws:ViaAWSService is true (IAM User Guide, global condition
/// keys, aws:CalledVia): a grant to calls through Athena reaches outside identities.
#[test]
fn a_grant_to_calls_through_a_service_is_judged_with_aws_via_aws_service_true() {
    let through_athena =
        json!({"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}});
    let w = violates(dimension_of(
        vec![stmt("Allow", json!("*"), through_athena.clone())],
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
    assert_eq!(context(&w, "aws:viaawsservice"), one("true"));
    let mut from_org = through_athena;
    from_org["StringEquals"] = json!({"aws:PrincipalOrgID": ORG});
    complies(dimension_of(
        vec![stmt("Allow", json!("*"), from_org)],
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
}

/// A service principal's source organization, and a source ARN naming an account, come with
/// aws:SourceAccount (IAM User Guide, global condition keys, aws:SourceOrgID, aws:SourceArn).
#[test]
fn a_grant_pinned_to_a_source_organization_or_arn_reaches_untrusted_services() {
    let mut per = perimeter();
    per.trust_service_principals = false;
    let by_org = json!({"StringEquals": {"aws:SourceOrgID": ORG}});
    let w = violates(dimension_of(
        cloudfront_grant(by_org.clone()),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    assert_eq!(context(&w, "aws:sourceorgid"), one(ORG));
    assert!(context(&w, "aws:sourceaccount").is_some());
    let by_arn =
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::555566667777:distribution/*"}});
    let w = violates(dimension_of(
        cloudfront_grant(by_arn.clone()),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    assert_eq!(context(&w, "aws:sourceaccount"), one(SANDBOX));
    // Service principals trusted: both grants comply.
    for pin in [by_org, by_arn] {
        complies(dimension_of(
            cloudfront_grant(pin),
            &bucket(),
            &perimeter(),
            Dimension::Identity,
        ));
    }
}

/// A member account's endpoint reports the member's organization (aws:VpceOrgID with
/// aws:VpceAccount): a grant to that account's endpoints is judged on such requests.
#[test]
fn a_known_member_s_endpoint_reports_its_organization() {
    let by_account = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:VpceAccount": ACCOUNT}}),
    )];
    let mut per = perimeter();
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    let w = violates(dimension_of(
        by_account.clone(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    assert_eq!(context(&w, "aws:vpceaccount"), one(ACCOUNT));
    assert_eq!(context(&w, "aws:vpceorgid"), one(ORG));
    per.endpoint_orgs = vec![ORG.into()];
    complies(dimension_of(
        by_account,
        &bucket(),
        &per,
        Dimension::Network,
    ));
}

/// One action stands for each class of actions the policy's patterns treat alike; a third
/// party's bound must split those classes, or the one that stands for `s3:Get*` on objects can
/// be inside the bound while s3:GetObjectAcl is not.
#[test]
fn a_third_party_bound_splits_the_classes_of_actions() {
    let partner_reads = |action: &str| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": action,
            "Resource": "arn:aws:s3:::partner-bucket/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "222233334444"}}}),
        ]
    };
    let bounded = partner(Some(&["s3:GetObject", "s3:GetObjectTorrent"]));
    let w = violates(dimension_of(
        partner_reads("s3:Get*"),
        &endpoint(),
        &bounded,
        Dimension::Identity,
    ));
    assert!(
        !["s3:getobject", "s3:getobjecttorrent"]
            .contains(&w.request.action.to_lowercase().as_str()),
        "{}",
        w.line()
    );
    complies(dimension_of(
        partner_reads("s3:GetObject*"),
        &endpoint(),
        &partner(Some(&["s3:GetObject*"])),
        Dimension::Identity,
    ));
}

/// A service principal is named like a host (IAM User Guide, "AWS JSON policy elements:
/// Principal", AWS service principals): a literal with a wildcard, compared as a string, names
/// no service that calls.
#[test]
fn a_service_name_with_a_wildcard_names_no_caller() {
    let mut per = perimeter();
    per.trust_service_principals = false;
    let named = |name: &str| {
        vec![stmt(
            "Allow",
            json!("*"),
            json!({"StringEquals": {"aws:PrincipalServiceName": name}}),
        )]
    };
    complies(dimension_of(
        named("athena.*"),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    let w = violates(dimension_of(
        named("athena.amazonaws.com"),
        &bucket(),
        &per,
        Dimension::Identity,
    ));
    assert!(
        matches!(&w.request.caller, crate::iam::request::Caller::Service { name } if name == "athena.amazonaws.com"),
        "{}",
        w.line()
    );
}

/// A VPC is in some region and of some account (IAM User Guide, global condition keys,
/// aws:SourceVpcArn): trusting us-east-1's VPCs leaves another region's outside.
#[test]
fn a_vpc_arn_pattern_leaves_other_regions_outside() {
    let grant = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG},
               "ArnLike": {"aws:SourceVpcArn": "arn:aws:ec2:*:111122223333:vpc/*"}}),
    )];
    let mut per = perimeter();
    per.vpc_arns = vec![pattern::glob("arn:aws:ec2:us-east-1:*:vpc/*")];
    let w = violates(dimension_of(
        grant.clone(),
        &bucket(),
        &per,
        Dimension::Network,
    ));
    let arn = context(&w, "aws:sourcevpcarn");
    assert!(
        matches!(&arn, Some(ContextValue::One(a)) if !a.starts_with("arn:aws:ec2:us-east-1:")),
        "{arn:?}"
    );
    per.vpc_arns = vec![pattern::glob("arn:aws:ec2:*:111122223333:vpc/*")];
    complies(dimension_of(grant, &bucket(), &per, Dimension::Network));
}

/// AWS's confused-deputy fence for service principals compares aws:SourceOrgID with the
/// resource's organization; an IAM caller carries no aws:SourceOrgID, so the fence denies it
/// whatever the resource's organization is, and the search says so once for all of them, not
/// once per owner organization (about 390,000 candidate values before, 16,000 now).
#[test]
fn a_fence_on_a_key_the_caller_lacks_is_decided_for_every_owner_at_once() {
    let fenced = |exception: Value| {
        let mut condition =
            json!({"StringNotEqualsIfExists": {"aws:SourceOrgID": "${aws:ResourceOrgID}"}});
        if let Value::Object(m) = exception {
            for (k, v) in m {
                condition[k] = v;
            }
        }
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": condition}]});
        Policy::from_value(&doc, PolicyKind::EndpointPolicy).expect("valid")
    };
    // Many organizations and OUs for the resource's owner to be in.
    let mut per = perimeter();
    per.identity_orgs = (1..=4).map(|i| format!("o-abc123def{i}")).collect();
    per.identity_org_paths = (1..=4)
        .map(|i| format!("o-abc123def{i}/r-ab12/ou-ab12-1111111{i}/"))
        .collect();
    per.resource_orgs = per.identity_orgs.clone();
    per.resource_org_paths = per.identity_org_paths.clone();
    let identity = |policy: &Policy| {
        analyze_with_budget(policy, &endpoint(), &per, 50_000)
            .into_iter()
            .find(|v| v.dimension == Dimension::Identity)
            .map(|v| v.verdict)
            .expect("dimension analysed")
    };
    complies(identity(&fenced(Value::Null)));
    // The fence with a hole: the callers of one untrusted account pass it.
    let w = violates(identity(&fenced(
        json!({"StringNotEquals": {"aws:PrincipalAccount": OTHER_MEMBER}}),
    )));
    assert_eq!(w.request.caller.account(), Some(OTHER_MEMBER));
}

/// A bucket owner trusted by account is in whatever organization it is in, a trusted one or
/// not, unless the perimeter knows it (`organizations`): a grant to buckets of another
/// organization may reach it.
#[test]
fn a_bucket_owner_trusted_by_account_may_be_in_any_organization() {
    let other_org = vec![stmt(
        "Allow",
        json!("*"),
        json!({"StringEquals": {"aws:ResourceOrgID": "o-zzz999yyy8"}}),
    )];
    let w = violates(dimension_of(
        other_org.clone(),
        &bucket(),
        &perimeter(),
        Dimension::Identity,
    ));
    assert_eq!(w.request.resource.account.as_deref(), Some(ACCOUNT));
    let mut per = perimeter();
    per.memberships = [(ACCOUNT.to_owned(), ORG.to_owned())].into();
    complies(dimension_of(
        other_org,
        &bucket(),
        &per,
        Dimension::Identity,
    ));
}

/// A service request without aws:SourceAccount is trusted whatever its other source keys say
/// (`Perimeter::trusted_identity`): the search moves aws:SourceAccount on rather than retrying
/// every aws:SourceArn, aws:SourceOrgID and aws:SourceOrgPaths with it, for every part of the
/// request before them. This Enforce policy took about 580,000 candidate values (one the
/// differential test generated, over 3 million), and about 81,000 now.
#[test]
fn a_service_request_without_a_source_account_is_trusted_whatever_else_it_carries() {
    let fenced = |deny: Value| {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"ArnLike":
                    {"aws:SourceArn": format!("arn:aws:cloudtrail:*:{OTHER_MEMBER}:trail/*")}}},
            deny]});
        Policy::from_value(&doc, PolicyKind::BucketPolicy).expect("valid")
    };
    let mut per = perimeter();
    per.identity_orgs = vec!["o-zzz999yyy8".into()];
    per.identity_accounts = vec![OTHER_MEMBER.into()];
    per.identity_excluded_accounts = vec![ACCOUNT.into()];
    per.identity_org_paths = vec![OU.into(), "o-zzz999yyy8/r-ab12/".into()];
    per.identity_excluded_org_paths = vec![format!("{ORG}/r-ab12/ou-ab12-22222222/")];
    per.service_sources = Some(ServiceSources {
        orgs: vec![],
        accounts: vec![OTHER_MEMBER.into()],
    });
    per.resource_orgs = per.identity_orgs.clone();
    per.resource_accounts = per.identity_accounts.clone();
    per.resource_excluded_accounts = per.identity_excluded_accounts.clone();
    per.resource_org_paths = per.identity_org_paths.clone();
    per.resource_excluded_org_paths = per.identity_excluded_org_paths.clone();
    per.vpces = vec!["vpce-1a2b3c4d".into(), "vpce-0f0e0d0c".into()];
    per.source_ips = vec!["10.0.0.0/8".parse().unwrap()];
    per.bucket_mode = BucketMode::Enforce;
    let enforce = |policy: &Policy| {
        analyze_with_budget(policy, &bucket(), &per, 250_000)
            .into_iter()
            .find(|v| v.dimension == Dimension::Enforce)
            .map(|v| v.verdict)
            .expect("dimension analysed")
    };
    // Everyone but two principals of the excluded account is denied, unless the endpoint's
    // organization is the caller's.
    let w = violates(enforce(&fenced(json!({"Effect": "Deny",
        "NotPrincipal": {"AWS": [format!("arn:aws:iam::{ACCOUNT}:user/alice"),
            format!("arn:aws:iam::{ACCOUNT}:role/R")]},
        "NotAction": "ec2:*", "NotResource": "arn:aws:s3:::bk2/${aws:username}",
        "Condition": {"StringNotLike": {"aws:ResourceAccount": ACCOUNT},
            "ArnNotEquals": {"aws:PrincipalArn": format!("arn:aws:iam::{OTHER_MEMBER}:*")},
            "StringNotEquals": {"aws:VpceOrgID": ["o-abc*", "${aws:PrincipalOrgID}"]}}}))));
    assert!(
        matches!(&w.request.caller, crate::iam::request::Caller::Iam(_)),
        "{}",
        w.line()
    );
    // Everyone is denied.
    complies(enforce(&fenced(json!({"Effect": "Deny", "Principal": "*",
        "NotAction": "ec2:*", "Resource": "*",
        "Condition": {"StringNotLike": {"aws:ResourceAccount": ACCOUNT}}}))));
}
