//! AWS's own resource control policies (RCPs) and service control policies (SCPs) as guardrails
//! (issue 23): each complies, judged in Enforce semantics (it must deny every request outside the
//! perimeter it enforces), under a perimeter that declares the same trust and exceptions
//! (`guardrails/<name>.yaml`); and each has a violating twin, the same policy with one hole, whose
//! witness goes through that hole and is one `simulate` does not deny.
//!
//! Semantics relied on (AWS Organizations User Guide): "Resource control policies (RCPs)" (RCPs
//! restrict the resources of member accounts, whoever calls; "RCP syntax": Principal `*`, only
//! Deny statements in customer RCPs; "List of AWS services that support RCPs": Amazon S3, AWS
//! STS, AWS KMS, Amazon SQS, AWS Secrets Manager, Amazon Cognito, Amazon CloudWatch Logs, Amazon
//! DynamoDB, Amazon ECR, Amazon OpenSearch Serverless), and "Service control policies (SCPs)"
//! (no Principal element; they restrict the IAM principals of member accounts, never
//! service-linked roles; "SCP evaluation": an action must be allowed by an SCP, AWS's
//! FullAWSAccess by default).
//!
//! The examples are github.com/aws-samples/data-perimeter-policy-examples, read from the corpus
//! with their placeholders filled in here; a file not listed in [`CASES`] or [`SKIPPED`] fails
//! the test, so new files in the corpus are decided on, not ignored.

use std::path::{Path, PathBuf};

use crate::common;

use perimeter_guard::iam::reasoner::{
    self, Attachment, Dimension, Guardrail, GuardrailKind, ReasonerVerdict, Witness,
};
use perimeter_guard::iam::request::{Caller, Request, Values};
use perimeter_guard::iam::{Outcome, Policy, PolicyKind};
use perimeter_guard::perimeter::load_perimeters;

const VERBATIM: &str = "data-perimeter-policy-examples";

/// A corpus guardrail checked here: its file, kind, perimeter, the dimensions it enforces, and
/// its violating twins.
struct Case {
    file: &'static str,
    kind: GuardrailKind,
    perimeter: &'static str,
    dimensions: &'static [Dimension],
    twins: &'static [Twin],
}

/// The policy with one hole: `from` replaced by `to` (exactly once), and what its witness must
/// show in `dimension`.
struct Twin {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    dimension: Dimension,
    through: fn(&Request) -> bool,
}

fn one(r: &Request, key: &str) -> Option<String> {
    match r.lookup(key) {
        Some(Values::One(v)) => Some(v.to_owned()),
        _ => None,
    }
}

fn caller_account(r: &Request) -> Option<&str> {
    match &r.caller {
        Caller::Iam(i) => Some(i.account.as_str()),
        _ => None,
    }
}

fn from_address_in(r: &Request, net: &str) -> bool {
    let net: ipnet::IpNet = net.parse().expect("a CIDR");
    one(r, "aws:sourceip")
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| net.contains(&ip))
}

const CASES: &[Case] = &[
    Case {
        file: "resource_control_policies/identity_perimeter_rcp.json",
        kind: GuardrailKind::Rcp,
        perimeter: "identity_rcp.yaml",
        dimensions: &[Dimension::Identity],
        twins: &[
            Twin {
                what: "an account of no trusted party added to the aws:PrincipalAccount exceptions",
                from: "\"127311923021\",",
                to: "\"127311923021\", \"999988887777\",",
                dimension: Dimension::Identity,
                through: |r| caller_account(r) == Some("999988887777"),
            },
            Twin {
                what: "the organization replaced by another",
                from: "\"aws:PrincipalOrgID\": \"o-abc123def4\"",
                to: "\"aws:PrincipalOrgID\": \"o-zzz999yyy8\"",
                dimension: Dimension::Identity,
                through: |r| matches!(&r.caller, Caller::Iam(i) if i.org.as_ref().is_some_and(|o| o.id == "o-zzz999yyy8")),
            },
            Twin {
                what: "a resource tag exception the perimeter does not declare",
                from: "\"aws:ResourceTag/dp:exclude:identity\": \"true\"\n                },\n                \"BoolIfExists\"",
                to: "\"aws:ResourceTag/dp:exclude:identity\": \"true\", \"aws:ResourceTag/open\": \"yes\"\n                },\n                \"BoolIfExists\"",
                dimension: Dimension::Identity,
                through: |r| r.resource.tags.get("open").is_some_and(|v| v == "yes"),
            },
        ],
    },
    Case {
        file: "resource_control_policies/network_perimeter_vpceorgid_rcp.json",
        kind: GuardrailKind::Rcp,
        perimeter: "network_vpceorgid.yaml",
        dimensions: &[Dimension::Network],
        twins: &[
            Twin {
                what: "the corporate range widened",
                from: "\"203.0.113.0/24\"",
                to: "\"203.0.0.0/16\"",
                dimension: Dimension::Network,
                through: |r| {
                    from_address_in(r, "203.0.0.0/16") && !from_address_in(r, "203.0.113.0/24")
                },
            },
            Twin {
                what: "an endpoint owner of no trusted party added",
                from: "\"222233334444\",",
                to: "\"222233334444\", \"999988887777\",",
                dimension: Dimension::Network,
                through: |r| one(r, "aws:vpceaccount").as_deref() == Some("999988887777"),
            },
        ],
    },
    Case {
        file: "resource_control_policies/network_perimeter_sourcevpc_rcp.json",
        kind: GuardrailKind::Rcp,
        perimeter: "network_sourcevpc.yaml",
        dimensions: &[Dimension::Network],
        twins: &[Twin {
            what: "a second VPC trusted",
            from: "\"aws:SourceVpc\": \"vpc-111bbb22\",",
            to: "\"aws:SourceVpc\": [\"vpc-111bbb22\", \"vpc-999fff88\"],",
            dimension: Dimension::Network,
            through: |r| one(r, "aws:sourcevpc").as_deref() == Some("vpc-999fff88"),
        }],
    },
    Case {
        file: "service_control_policies/network_perimeter_vpceorgid_scp.json",
        kind: GuardrailKind::Scp,
        perimeter: "network_vpceorgid.yaml",
        dimensions: &[Dimension::Network],
        twins: &[
            Twin {
                what: "the corporate range widened",
                from: "\"203.0.113.0/24\"",
                to: "\"203.0.0.0/16\"",
                dimension: Dimension::Network,
                through: |r| {
                    from_address_in(r, "203.0.0.0/16") && !from_address_in(r, "203.0.113.0/24")
                },
            },
            Twin {
                what: "endpoints of any organization trusted",
                from: "\"aws:VpceOrgID\":\"o-abc123def4\"",
                to: "\"aws:VpceOrgID\":[\"o-abc123def4\", \"o-zzz999yyy8\"]",
                dimension: Dimension::Network,
                through: |r| one(r, "aws:vpceorgid").as_deref() == Some("o-zzz999yyy8"),
            },
        ],
    },
    Case {
        file: "service_control_policies/network_perimeter_sourcevpc_scp.json",
        kind: GuardrailKind::Scp,
        perimeter: "network_sourcevpc.yaml",
        dimensions: &[Dimension::Network],
        twins: &[Twin {
            what: "a second VPC trusted",
            from: "\"vpc-111bbb22\"\n               ]",
            to: "\"vpc-111bbb22\", \"vpc-999fff88\"\n               ]",
            dimension: Dimension::Network,
            through: |r| one(r, "aws:sourcevpc").as_deref() == Some("vpc-999fff88"),
        }],
    },
];

/// Corpus guardrails that enforce no perimeter dimension: no Deny statement negates an identity,
/// network or resource key, or each one that does also narrows to a class of requests (session
/// tags being set, the roles of EC2 instances, Lambda functions or Glue, IAM users, service
/// principals): targeted controls beside the organization's perimeter, judged on nothing.
const NO_PERIMETER: &[(&str, GuardrailKind)] = &[
    (
        "service_control_policies/data_perimeter_governance_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "resource_control_policies/data_perimeter_governance_rcp.json",
        GuardrailKind::Rcp,
    ),
    (
        "service_control_policies/service_specific_controls__network_perimeter_ec2_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__network_perimeter_glue_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__network_perimeter_iam_users_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__network_perimeter_lambda_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__restrict_idp_configurations_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__restrict_nonvpc_deployment_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__restrict_presignedURL_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__restrict_resource_policy_configurations_scp.json",
        GuardrailKind::Scp,
    ),
    (
        "service_control_policies/service_specific_controls__restrict_untrusted_endpoints_scp.json",
        GuardrailKind::Scp,
    ),
];

/// Corpus guardrails not checked here, with why.
const SKIPPED: &[(&str, &str)] = &[(
    "service_control_policies/resource_perimeter_scp.json",
    "its ec2:Owner exception (AWS-owned AMIs and snapshots) exempts EC2 requests, and EC2 has no action table here: its actions are modelled generically, on any ARN, so the witness is an EC2 request on a resource outside the organization that no declared exception covers (a perimeter declares AWS-owned resources by ARN, not by ec2:Owner); its AWS-owned buckets are also named by placeholders with no documented value (<unique-identifier>, <product-identifier>)",
)];

fn perimeter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/guardrails")
}

fn corpus_dir() -> PathBuf {
    common::corpus_root().join("policies").join(VERBATIM)
}

fn instantiate(text: &str) -> String {
    common::corpus::fill_guardrail_placeholders(text)
}

fn read(rel: &str) -> String {
    let path = corpus_dir().join(rel);
    instantiate(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn perimeter(name: &str) -> reasoner::Perimeter {
    let text = std::fs::read_to_string(perimeter_dir().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let loaded = load_perimeters(&text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(loaded.len(), 1, "{name}: one DataPerimeter");
    loaded[0].to_perimeter()
}

fn policy_kind(kind: GuardrailKind) -> PolicyKind {
    match kind {
        GuardrailKind::Rcp => PolicyKind::ResourcePolicy,
        GuardrailKind::Scp => PolicyKind::IdentityPolicy,
    }
}

fn analyze(
    text: &str,
    kind: GuardrailKind,
    p: &reasoner::Perimeter,
) -> (Policy, Guardrail, Vec<(Dimension, ReasonerVerdict)>) {
    let policy = Policy::parse(text, policy_kind(kind)).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let guardrail = Guardrail::of(kind, &policy);
    let verdicts = reasoner::analyze(&policy, &Attachment::Guardrail(guardrail.clone()), p)
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect();
    (policy, guardrail, verdicts)
}

/// The witness as `simulate` reads it does not get denied by the guardrail.
fn replays(policy: &Policy, w: &Witness) -> Result<(), String> {
    let outcome = common::witness::simulate(policy, &w.to_json())?;
    if outcome == Outcome::ExplicitDeny {
        return Err(format!("simulate denies the witness {}", w.line()));
    }
    Ok(())
}

#[test]
fn corpus_guardrails_every_rcp_and_scp_is_decided_on() {
    let mut undecided = Vec::new();
    for folder in ["resource_control_policies", "service_control_policies"] {
        for rel in common::files_below(&corpus_dir().join(folder), "json") {
            let rel = format!("{folder}/{}", rel.to_string_lossy());
            let known = CASES.iter().any(|c| c.file == rel)
                || NO_PERIMETER.iter().any(|(f, _)| *f == rel)
                || SKIPPED.iter().any(|(f, _)| *f == rel)
                // Resource policies of API Gateway and Amazon SNS kept beside the RCPs (the
                // examples' README): services RCPs do not apply to, so no guardrail.
                || rel.starts_with("resource_control_policies/service_specific_controls__");
            if !known {
                undecided.push(rel);
            }
        }
    }
    assert!(
        undecided.is_empty(),
        "corpus guardrails neither checked nor skipped with a reason: {undecided:?}"
    );
}

#[test]
fn corpus_guardrails_comply_under_their_perimeter() {
    let mut failures = Vec::new();
    for case in CASES {
        let text = read(case.file);
        let p = perimeter(case.perimeter);
        let (_, guardrail, verdicts) = analyze(&text, case.kind, &p);
        assert_eq!(
            guardrail.dimensions, case.dimensions,
            "{}: dimensions enforced",
            case.file
        );
        for (d, v) in verdicts {
            match v {
                ReasonerVerdict::Complies => {}
                ReasonerVerdict::Violates(w) => failures.push(format!(
                    "{} {}: violates: {}",
                    case.file,
                    d.name(),
                    w.line()
                )),
                ReasonerVerdict::Undecided(why) => {
                    failures.push(format!("{} {}: undecided: {why}", case.file, d.name()))
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_guardrails_with_a_hole_violate_through_it() {
    let mut failures = Vec::new();
    for case in CASES {
        let text = read(case.file);
        let p = perimeter(case.perimeter);
        assert!(!case.twins.is_empty(), "{}: no violating twin", case.file);
        for twin in case.twins {
            assert_eq!(
                text.matches(twin.from).count(),
                1,
                "{}: {:?} is not in the policy exactly once",
                case.file,
                twin.from
            );
            let holed = text.replacen(twin.from, twin.to, 1);
            let (policy, _, verdicts) = analyze(&holed, case.kind, &p);
            let found = verdicts.into_iter().find(|(d, _)| *d == twin.dimension);
            match found {
                Some((_, ReasonerVerdict::Violates(w))) => {
                    if !(twin.through)(&w.request) {
                        failures.push(format!(
                            "{} with {}: the witness misses the hole: {}",
                            case.file,
                            twin.what,
                            w.line()
                        ));
                    }
                    if let Err(e) = replays(&policy, &w) {
                        failures.push(format!("{} with {}: {e}", case.file, twin.what));
                    }
                }
                other => failures.push(format!("{} with {}: {other:?}", case.file, twin.what)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_guardrails_without_perimeter_keys_enforce_no_dimension() {
    let p = perimeter("network_vpceorgid.yaml");
    for (file, kind) in NO_PERIMETER {
        let (_, guardrail, verdicts) = analyze(&read(file), *kind, &p);
        assert!(
            guardrail.dimensions.is_empty(),
            "{file}: {:?}",
            guardrail.dimensions
        );
        assert!(verdicts.is_empty(), "{file}: {verdicts:?}");
    }
    // What makes the governance RCP and the Lambda network SCP targeted controls is the condition
    // that narrows each statement to a class of requests: without it, each is judged on the
    // perimeter its negated keys name.
    let without = |file: &str, narrowing: &[&str]| {
        let mut doc: serde_json::Value = serde_json::from_str(&read(file)).expect("JSON");
        for statement in doc["Statement"].as_array_mut().expect("statements") {
            if let Some(conditions) = statement["Condition"].as_object_mut() {
                for op in narrowing {
                    conditions.remove(*op);
                }
            }
        }
        doc.to_string()
    };
    let rcp = "resource_control_policies/data_perimeter_governance_rcp.json";
    let (_, guardrail, _) = analyze(
        &without(rcp, &["Null", "ForAnyValue:StringLike"]),
        GuardrailKind::Rcp,
        &p,
    );
    assert_eq!(guardrail.dimensions, [Dimension::Identity], "{rcp}");
    let scp =
        "service_control_policies/service_specific_controls__network_perimeter_lambda_scp.json";
    let (_, guardrail, _) = analyze(&without(scp, &["Null"]), GuardrailKind::Scp, &p);
    assert_eq!(guardrail.dimensions, [Dimension::Network], "{scp}");
}
