//! The reasoner on generated policies and perimeters, cross-checked against the concrete
//! evaluator in both directions:
//! - a witness must be a request the evaluator allows, outside the perimeter and possible for
//!   the attachment (a witness the evaluator does not confirm is a crash, as is the reasoner
//!   reporting that it produced one);
//! - when the reasoner says a dimension complies, a generated probe request that the evaluator
//!   allows, outside the perimeter and possible for the attachment, is a crash.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use perimeter_guard::iam::evaluate::Outcome;
use perimeter_guard::iam::reasoner::{self, Attachment, Dimension, ReasonerVerdict, in_model};
use perimeter_guard::iam::{Policy, PolicyKind, evaluate};
use serde_json::{Map, Value, json};

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "ArnLike",
    "ArnNotLike",
    "ArnEquals",
    "Null",
    "Bool",
    "IpAddress",
    "NotIpAddress",
];
const KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalTag/team",
    "aws:PrincipalIsAWSService",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:ResourceOrgID",
    "aws:ResourceAccount",
    "aws:SecureTransport",
    "aws:CalledVia",
    "aws:ViaAWSService",
];
const VALUES: &[&str] = &[
    "o-abc123def4",
    "o-other00000",
    "o-*",
    "*",
    "111122223333",
    "444455556666",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:iam::444455556666:root",
    "o-abc123def4/*",
    "red",
    "vpce-1a2b3c4d",
    "vpce-99999999",
    "vpc-111bbb22",
    "203.0.113.0/24",
    "10.0.0.0/8",
    "true",
    "false",
];
const PRINCIPALS: &[&str] = &[
    "*",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::111122223333:role/app",
    "444455556666",
];
const ACTIONS: &[&str] = &[
    "*",
    "s3:*",
    "s3:GetObject",
    "s3:Get*",
    "s3:PutObject",
    "s3:List*",
    "sts:AssumeRole",
    "dynamodb:*",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::example-bucket",
    "arn:aws:s3:::example-bucket/*",
    "arn:aws:s3:::other-bucket/*",
    "arn:aws:s3:::*",
    "arn:aws:dynamodb:*:111122223333:table/*",
];
const CONCRETE_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "sts:AssumeRole",
    "dynamodb:GetItem",
];
const CONCRETE_RESOURCES: &[&str] = &[
    "arn:aws:s3:::example-bucket",
    "arn:aws:s3:::example-bucket/data.csv",
    "arn:aws:s3:::other-bucket/x",
    "arn:aws:dynamodb:eu-west-1:111122223333:table/t",
];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

#[derive(Arbitrary, Debug)]
enum PrincipalSpec {
    Star,
    AwsStar,
    Aws(Vec<u8>),
    Service,
    NotPrincipal(u8),
}

#[derive(Arbitrary, Debug)]
struct StatementSpec {
    deny: bool,
    principal: PrincipalSpec,
    not_action: bool,
    actions: Vec<u8>,
    not_resource: bool,
    resources: Vec<u8>,
    conditions: Vec<(u8, u8, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
struct PerimeterSpec {
    org: bool,
    account: bool,
    services: bool,
    vpce: bool,
    vpc: bool,
    source_ip: bool,
    enforce: bool,
    resource_org: bool,
}

#[derive(Arbitrary, Debug)]
enum AttachmentSpec {
    Endpoint { id: bool, vpc: bool },
    Bucket { name: bool },
}

#[derive(Arbitrary, Debug)]
enum CallerSpec {
    Anonymous,
    OrgRole,
    OutsideRole,
    Service,
}

#[derive(Arbitrary, Debug)]
struct ProbeSpec {
    caller: CallerSpec,
    action: u8,
    resource: u8,
    resource_in_org: bool,
    vpce: Option<bool>,
    vpc: Option<bool>,
    source_ip: Option<bool>,
    secure: Option<bool>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    statements: Vec<StatementSpec>,
    perimeter: PerimeterSpec,
    attachment: AttachmentSpec,
    probe: ProbeSpec,
}

fn list(indexes: &[u8], pool: &[&str]) -> Value {
    let items: Vec<Value> = indexes
        .iter()
        .take(3)
        .map(|i| json!(pick(pool, *i)))
        .collect();
    match items.len() {
        0 => json!(pool[0]),
        1 => items[0].clone(),
        _ => Value::Array(items),
    }
}

fn statement(s: &StatementSpec) -> Value {
    let mut st = Map::new();
    st.insert(
        "Effect".into(),
        json!(if s.deny { "Deny" } else { "Allow" }),
    );
    match &s.principal {
        PrincipalSpec::Star => {
            st.insert("Principal".into(), json!("*"));
        }
        PrincipalSpec::AwsStar => {
            st.insert("Principal".into(), json!({"AWS": "*"}));
        }
        PrincipalSpec::Aws(ids) => {
            st.insert("Principal".into(), json!({"AWS": list(ids, PRINCIPALS)}));
        }
        PrincipalSpec::Service => {
            st.insert(
                "Principal".into(),
                json!({"Service": "cloudtrail.amazonaws.com"}),
            );
        }
        PrincipalSpec::NotPrincipal(i) => {
            st.insert("NotPrincipal".into(), json!({"AWS": pick(PRINCIPALS, *i)}));
        }
    }
    let action_key = if s.not_action { "NotAction" } else { "Action" };
    st.insert(action_key.into(), list(&s.actions, ACTIONS));
    let resource_key = if s.not_resource {
        "NotResource"
    } else {
        "Resource"
    };
    st.insert(resource_key.into(), list(&s.resources, RESOURCES));
    let mut conditions = Map::new();
    for (op, key, values) in s.conditions.iter().take(3) {
        let entry = conditions
            .entry(pick(OPERATORS, *op))
            .or_insert_with(|| json!({}));
        if let Value::Object(keys) = entry {
            keys.insert(pick(KEYS, *key).into(), list(values, VALUES));
        }
    }
    if !conditions.is_empty() {
        st.insert("Condition".into(), Value::Object(conditions));
    }
    Value::Object(st)
}

fn perimeter_yaml(p: &PerimeterSpec) -> String {
    let mut identity = Map::new();
    identity.insert(
        "trustedOrganizations".into(),
        json!(if p.org { vec!["o-abc123def4"] } else { vec![] }),
    );
    identity.insert(
        "trustedAccounts".into(),
        json!(if p.account || !p.org {
            vec!["111122223333"]
        } else {
            vec![]
        }),
    );
    identity.insert("trustAwsServicePrincipals".into(), json!(p.services));
    let mut network = Map::new();
    if p.vpce {
        network.insert("allowedVpcEndpoints".into(), json!(["vpce-1a2b3c4d"]));
    }
    if p.vpc {
        network.insert("allowedVpcs".into(), json!(["vpc-111bbb22"]));
    }
    if p.source_ip {
        network.insert("allowedSourceIps".into(), json!(["203.0.113.0/24"]));
    }
    let mut spec = json!({
        "identity": identity,
        "network": network,
        "bucketPolicyMode": if p.enforce { "Enforce" } else { "Grant" },
    });
    if p.resource_org {
        spec["resources"] = json!({"trustedOrganizations": ["o-abc123def4"]});
    }
    json!({"apiVersion": "perimeterguard.io/v1alpha1", "kind": "DataPerimeter",
        "metadata": {"name": "fuzz"}, "spec": spec})
    .to_string()
}

fn probe_request(p: &ProbeSpec) -> Option<perimeter_guard::iam::Request> {
    let principal = match p.caller {
        CallerSpec::Anonymous => json!("anonymous"),
        CallerSpec::OrgRole => {
            json!({"arn": "arn:aws:iam::111122223333:role/app", "organization": "o-abc123def4"})
        }
        CallerSpec::OutsideRole => json!({"arn": "arn:aws:iam::444455556666:role/app"}),
        CallerSpec::Service => json!({"service": "cloudtrail.amazonaws.com"}),
    };
    let mut resource = json!({"arn": pick(CONCRETE_RESOURCES, p.resource)});
    if p.resource_in_org {
        resource["account"] = json!("111122223333");
        resource["organization"] = json!("o-abc123def4");
    } else {
        resource["account"] = json!("444455556666");
    }
    let mut context = Map::new();
    if let Some(ours) = p.vpce {
        context.insert(
            "aws:SourceVpce".into(),
            json!(if ours {
                "vpce-1a2b3c4d"
            } else {
                "vpce-99999999"
            }),
        );
    }
    if let Some(ours) = p.vpc {
        context.insert(
            "aws:SourceVpc".into(),
            json!(if ours { "vpc-111bbb22" } else { "vpc-99999999" }),
        );
    }
    if let Some(ours) = p.source_ip {
        context.insert(
            "aws:SourceIp".into(),
            json!(if ours { "203.0.113.7" } else { "198.51.100.7" }),
        );
    }
    if let Some(secure) = p.secure {
        context.insert("aws:SecureTransport".into(), json!(secure));
    }
    let doc = json!({"principal": principal, "action": pick(CONCRETE_ACTIONS, p.action),
        "resource": resource, "context": context});
    perimeter_guard::cli::simulate::request::request_from_value(&doc).ok()
}

fn violates(dimension: Dimension, outcome: Outcome) -> bool {
    match dimension {
        Dimension::Enforce => outcome != Outcome::ExplicitDeny,
        _ => outcome == Outcome::Allow,
    }
}

fuzz_target!(|input: Input| {
    if input.statements.is_empty() || input.statements.len() > 4 {
        return;
    }
    let (kind, attachment) = match input.attachment {
        AttachmentSpec::Endpoint { id, vpc } => (
            PolicyKind::EndpointPolicy,
            Attachment::Endpoint {
                id: id.then(|| "vpce-1a2b3c4d".to_owned()),
                vpc: vpc.then(|| "vpc-111bbb22".to_owned()),
            },
        ),
        AttachmentSpec::Bucket { name } => (
            PolicyKind::BucketPolicy,
            Attachment::Bucket {
                name: name.then(|| "example-bucket".to_owned()),
            },
        ),
    };
    let statements: Vec<Value> = input.statements.iter().map(statement).collect();
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let Ok(policy) = Policy::parse(&text, kind) else {
        return;
    };
    let Ok(perimeters) =
        perimeter_guard::perimeter::load_perimeters(&perimeter_yaml(&input.perimeter), "fuzz")
    else {
        return;
    };
    let perimeter = perimeters[0].to_perimeter();
    let probe = probe_request(&input.probe);
    for verdict in reasoner::analyze_with_budget(&policy, &attachment, &perimeter, 200_000) {
        let dimension = verdict.dimension;
        match verdict.verdict {
            ReasonerVerdict::Violates(witness) => {
                let decision = evaluate(&policy, &witness.request);
                assert!(
                    violates(dimension, decision.outcome),
                    "{dimension:?}: the evaluator does not confirm the witness\n{text}\n{:?}",
                    witness.request
                );
                assert!(
                    perimeter.outside(dimension, &witness.request),
                    "{dimension:?}: witness inside\n{text}"
                );
                assert!(
                    in_model(&witness.request, &attachment, &perimeter),
                    "{dimension:?}: witness impossible\n{text}"
                );
            }
            ReasonerVerdict::Undecided(why) => {
                assert!(
                    !why.contains("does not confirm"),
                    "{dimension:?}: {why}\n{text}"
                );
            }
            ReasonerVerdict::Complies => {
                if let Some(probe) = &probe
                    && in_model(probe, &attachment, &perimeter)
                    && perimeter.outside(dimension, probe)
                {
                    let decision = evaluate(&policy, probe);
                    assert!(
                        !violates(dimension, decision.outcome),
                        "{dimension:?}: said to comply, but this request is allowed outside the perimeter\n{text}\n{probe:?}"
                    );
                }
            }
        }
    }
});
