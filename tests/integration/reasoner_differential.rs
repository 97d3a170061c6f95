//! The reasoner against the concrete evaluator: whenever some request is allowed and lies outside
//! the perimeter, the reasoner must say so; whenever it says so, its witness must check out.

use crate::common;

use common::policy_gen;
use perimeter_guard::iam::pattern;
use perimeter_guard::iam::reasoner::{
    self, Attachment, BucketMode, Dimension, Perimeter, ReasonerVerdict, ServiceSources,
    ThirdParty, in_model,
};
use perimeter_guard::iam::request::{Caller, ContextValue, Org, Request};
use perimeter_guard::iam::userid;
use perimeter_guard::iam::{Outcome, Policy, PolicyKind, evaluate};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn subset(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(pool, 0..=pool.len())
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn perimeter() -> impl Strategy<Value = Perimeter> {
    (base_perimeter(), vocabulary()).prop_map(|(mut p, v)| {
        v.apply(&mut p);
        p
    })
}

/// The perimeter's newer vocabulary, each part present now and then: organization facts,
/// service-principal sources, endpoint owners, VPC ARNs, resource-tag exceptions,
/// viaAwsServices and a third party's actions.
#[derive(Debug, Clone)]
struct Vocabulary {
    memberships: BTreeMap<String, String>,
    service_sources: Option<ServiceSources>,
    endpoint_owners: Option<(Vec<String>, Vec<String>, Vec<String>)>,
    vpc_arns: Vec<String>,
    identity_resource_tag: Option<(&'static str, &'static str)>,
    network_resource_tag: Option<(&'static str, &'static str)>,
    via_services: Option<Vec<String>>,
    third_party_actions: Option<Vec<String>>,
}

impl Vocabulary {
    fn apply(self, p: &mut Perimeter) {
        p.memberships = self.memberships;
        p.service_sources = self.service_sources;
        if let Some((orgs, accounts, paths)) = self.endpoint_owners {
            p.endpoint_orgs = orgs;
            p.endpoint_accounts = accounts;
            p.endpoint_org_paths = paths;
        }
        p.vpc_arns = self.vpc_arns.iter().map(|a| pattern::glob(a)).collect();
        let tags = |t: Option<(&str, &str)>| -> Vec<(String, String)> {
            t.map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into_iter()
                .collect()
        };
        p.identity_resource_tags = tags(self.identity_resource_tag);
        p.network_resource_tags = tags(self.network_resource_tag);
        p.via_services = self.via_services;
        for tp in &mut p.third_parties {
            tp.actions = self
                .third_party_actions
                .as_ref()
                .map(|a| a.iter().map(|x| pattern::glob(x)).collect());
        }
    }
}

fn vocabulary() -> impl Strategy<Value = Vocabulary> {
    // Facts that agree with the generated principals' organizations, and one that does not
    // (conform() then moves the caller into the organization the perimeter knows).
    let memberships = proptest::sample::select(vec![
        vec![("111122223333", "o-abc123def4")],
        vec![("444455556666", "o-zzz999yyy8")],
        vec![
            ("111122223333", "o-abc123def4"),
            ("444455556666", "o-zzz999yyy8"),
        ],
        vec![("111122223333", "o-zzz999yyy8")],
    ])
    .prop_map(|m| {
        m.into_iter()
            .map(|(a, o)| (a.to_owned(), o.to_owned()))
            .collect::<BTreeMap<_, _>>()
    });
    let tag = || {
        proptest::option::weighted(
            0.2,
            proptest::sample::select(vec![("team", "red"), ("env", "prod")]),
        )
    };
    (
        proptest::option::weighted(0.3, memberships),
        proptest::option::weighted(
            0.3,
            (subset(policy_gen::ORGS), subset(policy_gen::ACCOUNTS))
                .prop_map(|(orgs, accounts)| ServiceSources { orgs, accounts }),
        ),
        proptest::option::weighted(
            0.35,
            (
                subset(policy_gen::ORGS),
                subset(policy_gen::ACCOUNTS),
                subset(&["o-abc123def4/r-ab12/ou-1/", "o-zzz999yyy8/"]),
            ),
        ),
        proptest::option::weighted(
            0.25,
            subset(&[
                "arn:aws:ec2:*:111122223333:vpc/*",
                "arn:aws:ec2:us-east-1:*:vpc/vpc-0abc1234",
            ]),
        ),
        tag(),
        tag(),
        proptest::option::weighted(
            0.3,
            subset(&["athena.amazonaws.com", "cloudformation.amazonaws.com"]),
        ),
        // Lower-case, as the perimeter's configuration hands them over: one action of a class
        // the policy's patterns make (s3:Get*), a pattern, two actions, another service's.
        proptest::option::weighted(
            0.5,
            proptest::sample::select(vec![
                vec!["s3:getobject"],
                vec!["s3:get*"],
                vec!["s3:getobject", "s3:putobject"],
                vec!["ec2:*", "s3:listbucket"],
            ])
            .prop_map(|a| a.into_iter().map(String::from).collect()),
        ),
    )
        .prop_map(
            |(
                memberships,
                service_sources,
                endpoint_owners,
                vpc_arns,
                identity_resource_tag,
                network_resource_tag,
                via_services,
                third_party_actions,
            )| Vocabulary {
                memberships: memberships.unwrap_or_default(),
                service_sources,
                endpoint_owners,
                vpc_arns: vpc_arns.unwrap_or_default(),
                identity_resource_tag,
                network_resource_tag,
                via_services,
                third_party_actions,
            },
        )
}

fn base_perimeter() -> impl Strategy<Value = Perimeter> {
    (
        subset(policy_gen::ORGS),
        subset(policy_gen::ACCOUNTS),
        any::<bool>(),
        subset(&["arn:aws:s3:::bk2/*", "arn:aws:ec2:*:*:instance/*"]),
        subset(policy_gen::VPCES),
        subset(&["10.0.0.0/8", "203.0.113.0/24"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::weighted(
            0.3,
            proptest::sample::select(policy_gen::ACCOUNTS).prop_map(String::from),
        ),
        // Trusted and excluded OU paths, among those the generated principals sit in.
        (
            subset(&["o-abc123def4/r-ab12/ou-1/", "o-zzz999yyy8/r-ab12/"]),
            subset(&["o-abc123def4/r-ab12/ou-2/"]),
        ),
    )
        .prop_map(
            |(
                orgs,
                accounts,
                services,
                allowed,
                vpces,
                ips,
                tag,
                third,
                enforce,
                excluded,
                (org_paths, excluded_org_paths),
            )| {
                Perimeter {
                    identity_orgs: orgs.clone(),
                    identity_accounts: accounts.clone(),
                    // An excluded account may also be listed as trusted: the exclusion wins.
                    identity_excluded_accounts: excluded.iter().cloned().collect(),
                    identity_org_paths: org_paths.clone(),
                    identity_excluded_org_paths: excluded_org_paths.clone(),
                    resource_org_paths: org_paths,
                    resource_excluded_org_paths: excluded_org_paths,
                    trust_service_principals: services,
                    resource_orgs: orgs,
                    resource_accounts: accounts,
                    resource_excluded_accounts: excluded.into_iter().collect(),
                    allowed_resources: allowed.iter().map(|a| pattern::glob(a)).collect(),
                    vpces,
                    vpcs: vec![],
                    source_ips: ips.iter().map(|i| i.parse().expect("cidr")).collect(),
                    principal_tags: if tag {
                        vec![("team".into(), "red".into())]
                    } else {
                        vec![]
                    },
                    network_tags: if tag && third {
                        vec![("team".into(), "red".into())]
                    } else {
                        vec![]
                    },
                    // The network perimeter only for principals tagged team=red, now and then.
                    network_applies_to_tags: if tag && enforce && !third {
                        vec![("team".into(), "red".into())]
                    } else {
                        vec![]
                    },
                    // The generated principals' role `R`, exempt where the tag is not.
                    resource_exempt_arns: if tag && !third {
                        vec![pattern::glob("arn:aws:iam::*:role/R")]
                    } else {
                        vec![]
                    },
                    network_exempt_arns: if !tag && third {
                        vec![pattern::glob("arn:aws:iam::*:role/R")]
                    } else {
                        vec![]
                    },
                    third_parties: if third {
                        vec![ThirdParty {
                            accounts: vec!["444455556666".into()],
                            resources: vec![pattern::glob("arn:aws:s3:::bk2/*")],
                            actions: None,
                        }]
                    } else {
                        vec![]
                    },
                    bucket_mode: if enforce {
                        BucketMode::Enforce
                    } else {
                        BucketMode::Grant
                    },
                    ..Perimeter::default()
                }
            },
        )
}

fn attachment() -> impl Strategy<Value = Attachment> {
    prop_oneof![
        (
            proptest::option::of(proptest::sample::select(policy_gen::VPCES)),
            proptest::option::of(Just("vpc-111bbb22"))
        )
            .prop_flat_map(|(id, vpc)| {
                // An endpoint of unknown service, or S3's (its real actions only).
                proptest::option::of(Just("s3")).prop_map(move |service| Attachment::Endpoint {
                    id: id.map(String::from),
                    vpc: vpc.map(String::from),
                    service: service.map(String::from),
                })
            }),
        proptest::option::of(Just("bk1")).prop_map(|n| Attachment::Bucket {
            name: n.map(String::from)
        }),
    ]
}

const ALWAYS: &[(&str, &str)] = &[
    ("aws:securetransport", "true"),
    ("aws:viaawsservice", "false"),
    ("aws:currenttime", "2026-06-01T00:00:00Z"),
    ("aws:epochtime", "1780000000"),
    ("aws:requestedregion", "us-east-1"),
    ("aws:useragent", "agent"),
];

/// Bends a generated request into one that can reach the attachment (the reasoner's model).
fn conform(mut r: Request, attachment: &Attachment, perimeter: &Perimeter, variant: u8) -> Request {
    for (k, v) in ALWAYS {
        r.context
            .entry(k.to_string())
            .or_insert_with(|| ContextValue::One(v.to_string()));
    }
    if matches!(r.context.get("aws:multifactorauthage"), Some(ContextValue::One(v)) if v.parse::<f64>().is_err())
    {
        r.context.remove("aws:multifactorauthage");
    }
    match attachment {
        Attachment::Endpoint { id, vpc, .. } => {
            r.context.remove("aws:sourceip");
            let vpce = id
                .clone()
                .unwrap_or_else(|| policy_gen::VPCES[variant as usize % 2].to_owned());
            r.context
                .insert("aws:sourcevpce".into(), ContextValue::One(vpce));
            let vpc = vpc.clone().unwrap_or_else(|| "vpc-0abc1234".into());
            if variant.is_multiple_of(2) {
                r.context
                    .insert("aws:sourcevpcarn".into(), vpc_arn(&vpc, variant));
            }
            r.context
                .insert("aws:sourcevpc".into(), ContextValue::One(vpc));
        }
        Attachment::Bucket { name } => {
            if r.context.contains_key("aws:sourcevpce") {
                r.context.insert(
                    "aws:sourcevpc".into(),
                    ContextValue::One("vpc-0abc1234".into()),
                );
                if variant.is_multiple_of(2) {
                    r.context
                        .insert("aws:sourcevpcarn".into(), vpc_arn("vpc-0abc1234", variant));
                }
            } else if !r.context.contains_key("aws:sourceip") {
                r.context.insert(
                    "aws:sourceip".into(),
                    ContextValue::One("198.51.100.1".into()),
                );
            }
            if !r.context.contains_key("aws:sourcevpce") {
                for k in ENDPOINT_OWNER_KEYS {
                    r.context.remove(*k);
                }
            }
            let bucket = name
                .clone()
                .unwrap_or_else(|| ["bk1", "bk2"][variant as usize % 2].to_owned());
            if !r
                .resource
                .arn
                .starts_with(&format!("arn:aws:s3:::{bucket}"))
            {
                r.resource.arn = format!("arn:aws:s3:::{bucket}/k");
            }
            if !r.action.starts_with("s3:") {
                r.action = "s3:GetObject".into();
            }
            // The bucket's owner: inside the resource perimeter, never excluded
            // (`Perimeter::bucket_owner_inside`), in the organization the perimeter knows it to be
            // in; the first such pair of the candidates, the generated organization first. Not
            // for a caller of the owner's account, who shares the owner's organization: the
            // search takes an owner trusted by account to be in a trusted organization or none
            // unless the policy reads the owner's organization (a known gap: an outsider of that
            // account in another organization is not tried).
            let owner = |a: &&String| !perimeter.resource_excluded_accounts.contains(a);
            let accounts: Vec<String> = match perimeter.owner_accounts() {
                [] => r
                    .resource
                    .account
                    .iter()
                    .cloned()
                    .chain(policy_gen::ACCOUNTS.iter().map(|a| a.to_string()))
                    .filter(|a| owner(&a))
                    .collect(),
                owners => owners.iter().filter(owner).cloned().collect(),
            };
            let generated = r.resource.org.take();
            let mut orgs: Vec<Option<Org>> = Vec::new();
            for o in perimeter.owner_orgs() {
                for ou in ["ou-2", "ou-1"] {
                    orgs.push(Some(Org {
                        id: o.clone(),
                        paths: vec![format!("{o}/r-ab12/{ou}/")],
                    }));
                }
            }
            for path in &perimeter.resource_org_paths {
                if let Some((o, _)) = path.split_once('/') {
                    orgs.push(Some(Org {
                        id: o.to_owned(),
                        paths: vec![path.clone()],
                    }));
                }
            }
            orgs.push(None);
            let caller_account = match &r.caller {
                Caller::Iam(i) => Some(i.account.as_str()),
                _ => None,
            };
            let inside = accounts.iter().find_map(|a| {
                let member = perimeter.memberships.get(a);
                let known = member.map(|o| {
                    Some(Org {
                        id: o.clone(),
                        paths: vec![format!("{o}/r-ab12/ou-2/")],
                    })
                });
                let generated = generated
                    .clone()
                    .filter(|_| caller_account != Some(a.as_str()));
                known
                    .into_iter()
                    .chain(generated.map(Some))
                    .chain(orgs.iter().cloned())
                    .find(|o| {
                        perimeter.bucket_owner_inside(Some(a), o.as_ref())
                            && member.is_none_or(|m| o.as_ref().is_some_and(|o| o.id == *m))
                    })
                    .map(|o| (a.clone(), o))
            });
            if let Some((a, o)) = inside {
                r.resource.account = Some(a);
                r.resource.org = o;
            }
        }
        Attachment::Door(_) => unreachable!("the generator makes no door attachments"),
    }
    // An endpoint of S3 carries S3's calls only.
    if matches!(attachment, Attachment::Endpoint { service: Some(s), .. } if s == "s3")
        && !r.action.starts_with("s3:")
    {
        r.action = "s3:GetObject".into();
    }
    // An S3 action names a resource of its type: a bucket for ListBucket, an object otherwise
    // (Service Authorization Reference, Amazon S3).
    if r.action.starts_with("s3:") {
        let bucket = r
            .resource
            .arn
            .strip_prefix("arn:aws:s3:::")
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .unwrap_or_else(|| "bk1".to_owned());
        r.resource.arn = if r.action == "s3:ListBucket" {
            format!("arn:aws:s3:::{bucket}")
        } else if r
            .resource
            .arn
            .starts_with(&format!("arn:aws:s3:::{bucket}/"))
        {
            r.resource.arn.clone()
        } else {
            format!("arn:aws:s3:::{bucket}/k")
        };
    }
    if !matches!(r.caller, Caller::Iam(_)) {
        r.context.insert(
            "aws:viaawsservice".into(),
            ContextValue::One("false".into()),
        );
    }
    // aws:CalledVia only with aws:ViaAWSService; a service principal's source only for one.
    if !matches!(r.context.get("aws:viaawsservice"), Some(ContextValue::One(v)) if v == "true") {
        r.context.remove("aws:calledvia");
    }
    if !matches!(r.caller, Caller::Service { .. }) {
        for k in SOURCE_KEYS {
            r.context.remove(*k);
        }
    }
    follow_memberships(&mut r, perimeter);
    // One account, one organization: the caller's follows the resource owner's when they share
    // an account.
    if let (Caller::Iam(i), Some(owner)) = (&mut r.caller, &r.resource.account)
        && i.account == *owner
    {
        i.org.clone_from(&r.resource.org);
    }
    // aws:userid follows the caller; a generated one that does not is replaced.
    let fits = matches!(r.context.get("aws:userid"), Some(ContextValue::One(v)) if userid::follows(&r.caller, v));
    if !fits {
        r.context.insert(
            "aws:userid".into(),
            ContextValue::One(userid::canonical(&r.caller)),
        );
    }
    if variant.is_multiple_of(3)
        && matches!(r.caller, Caller::Service { .. })
        && !r.context.contains_key("aws:sourceaccount")
    {
        r.context.insert(
            "aws:sourceaccount".into(),
            ContextValue::One("111122223333".into()),
        );
        follow_memberships(&mut r, perimeter);
    }
    r
}

/// aws:SourceVpcArn names the VPC of aws:SourceVpc, owned by one of the pool's accounts, in one
/// of two regions.
fn vpc_arn(vpc: &str, variant: u8) -> ContextValue {
    let region = ["us-east-1", "eu-west-1"][variant as usize / 4 % 2];
    let account = policy_gen::ACCOUNTS[variant as usize / 2 % 2];
    ContextValue::One(format!("arn:aws:ec2:{region}:{account}:vpc/{vpc}"))
}

/// Keys only a request through an endpoint carries, besides the endpoint's and the VPC's ids.
const ENDPOINT_OWNER_KEYS: &[&str] = &[
    "aws:vpceaccount",
    "aws:vpceorgid",
    "aws:vpceorgpaths",
    "aws:sourcevpcarn",
];

/// Keys only a service principal acting for a resource carries.
const SOURCE_KEYS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcearn",
];

/// An account the perimeter knows to be a member reports that organization wherever it appears:
/// as the caller's, the resource owner's, the endpoint owner's and the source's organization.
fn follow_memberships(r: &mut Request, perimeter: &Perimeter) {
    let member = |account: &str, ou: &str| {
        perimeter.memberships.get(account).map(|o| Org {
            id: o.clone(),
            paths: vec![format!("{o}/r-ab12/{ou}/")],
        })
    };
    if let Some(account) = &r.resource.account
        && let Some(org) = member(account, "ou-2")
        && r.resource.org.as_ref().is_none_or(|o| o.id != org.id)
    {
        r.resource.org = Some(org);
    }
    if let Caller::Iam(i) = &mut r.caller
        && let Some(org) = member(&i.account, "ou-1")
        && i.org.as_ref().is_none_or(|o| o.id != org.id)
    {
        i.org = Some(org);
    }
    for (account_key, org_key, paths_key) in [
        ("aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths"),
        ("aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"),
    ] {
        let Some(ContextValue::One(account)) = r.context.get(account_key) else {
            continue;
        };
        let Some(org) = member(account, "ou-1") else {
            continue;
        };
        if matches!(r.context.get(org_key), Some(ContextValue::One(o)) if *o == org.id) {
            continue;
        }
        r.context
            .insert(org_key.to_owned(), ContextValue::One(org.id.clone()));
        if r.context.contains_key(paths_key) {
            r.context
                .insert(paths_key.to_owned(), ContextValue::Many(org.paths));
        }
    }
}

fn kind(attachment: &Attachment) -> PolicyKind {
    match attachment {
        Attachment::Endpoint { .. } => PolicyKind::EndpointPolicy,
        Attachment::Bucket { .. } | Attachment::Door(_) => PolicyKind::BucketPolicy,
    }
}

fn violates(policy: &Policy, r: &Request, p: &Perimeter, dimension: Dimension) -> bool {
    let outcome = evaluate(policy, r).outcome;
    let allowed = match dimension {
        Dimension::Enforce => outcome != Outcome::ExplicitDeny,
        _ => outcome == Outcome::Allow,
    };
    allowed && p.outside(dimension, r)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 3000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reasoner_agrees_with_the_evaluator(
        doc in policy_gen::policy(),
        per in perimeter(),
        att in attachment(),
        requests in proptest::collection::vec((policy_gen::request(), any::<u8>()), 40),
    ) {
        let policy = Policy::from_value(&doc, kind(&att)).expect("generated policies are valid");
        let verdicts = reasoner::analyze(&policy, &att, &per);
        for v in &verdicts {
            match &v.verdict {
                ReasonerVerdict::Violates(w) => {
                    prop_assert!(violates(&policy, &w.request, &per, v.dimension), "witness does not violate: {}", w.line());
                    prop_assert!(in_model(&w.request, &att, &per), "witness outside the model: {}", w.line());
                    let own = match &att {
                        Attachment::Bucket { name } => name.as_deref(),
                        Attachment::Endpoint { .. } | Attachment::Door(_) => None,
                    };
                    let defects = common::witness::defects(&w.request, own, &reasoner::unlisted_actions(&policy, &att));
                    prop_assert!(defects.is_empty(), "witness AWS would never send: {defects:?} in {}", w.line());
                    let replayed = common::witness::simulate(&policy, &w.to_json());
                    prop_assert_eq!(replayed, Ok(evaluate(&policy, &w.request).outcome), "simulate on {}", w.line());
                }
                ReasonerVerdict::Undecided(why) => prop_assert!(false, "undecided: {why}\n{doc:#}"),
                ReasonerVerdict::Complies => {
                    for (r, variant) in &requests {
                        let r = conform(r.clone(), &att, &per, *variant);
                        if !in_model(&r, &att, &per) {
                            continue;
                        }
                        prop_assert!(
                            !violates(&policy, &r, &per, v.dimension),
                            "{:?} complies, yet this request violates it: {r:#?}\npolicy: {doc:#}\nperimeter: {per:#?}\nattachment: {att:?}",
                            v.dimension
                        );
                    }
                }
            }
        }
    }
}

/// The conformed requests must mostly be in the model, or the test above checks little.
#[test]
fn conformed_requests_are_in_the_model() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut inside, mut total) = (0, 0);
    for _ in 0..500 {
        let per = perimeter().new_tree(&mut runner).unwrap().current();
        let att = attachment().new_tree(&mut runner).unwrap().current();
        let r = policy_gen::request()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        total += 1;
        if in_model(&conform(r, &att, &per, 1), &att, &per) {
            inside += 1;
        }
    }
    assert!(inside * 10 >= total * 8, "{inside} of {total}");
}

/// Both verdicts must be common among generated cases, or the agreement above is vacuous.
#[test]
fn generated_cases_reach_both_verdicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut complies, mut violates) = (0usize, 0usize);
    for _ in 0..300 {
        let doc: Value = policy_gen::policy()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let per = perimeter().new_tree(&mut runner).unwrap().current();
        let att = attachment().new_tree(&mut runner).unwrap().current();
        let policy = Policy::from_value(&doc, kind(&att)).unwrap();
        for v in reasoner::analyze(&policy, &att, &per) {
            match v.verdict {
                ReasonerVerdict::Complies => complies += 1,
                ReasonerVerdict::Violates(_) => violates += 1,
                ReasonerVerdict::Undecided(why) => panic!("{why}"),
            }
        }
    }
    let total = complies + violates;
    assert!(
        complies * 5 >= total && violates * 5 >= total,
        "complies {complies}, violates {violates}"
    );
}
