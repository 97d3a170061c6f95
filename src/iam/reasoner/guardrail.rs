//! Organization guardrails: resource control policies (RCPs) and service control policies
//! (SCPs), judged on whether they deny every request outside the perimeter they enforce.
//!
//! Which perimeter a guardrail enforces is read from the condition keys of its Deny statements,
//! and it is judged on the requests whose actions these statements cover: a guardrail covering
//! S3 only is judged on S3 requests. Guardrails never grant (AWS Organizations User
//! Guide, "Resource control policies (RCPs)": "RCPs alone are not sufficient in granting
//! permissions"; "Service control policies (SCPs)": "SCPs don't grant permissions").

use crate::iam::policy::{ActionClause, Effect, Policy, Statement};
use crate::iam::request::Caller;

use super::model::Dimension;

/// The kind of an organization guardrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardrailKind {
    /// A resource control policy: it restricts what anyone may do to the resources of the
    /// organization's member accounts, for the services RCPs support.
    Rcp,
    /// A service control policy: it restricts what the IAM principals of the organization's
    /// member accounts may do, to any resource.
    Scp,
}

impl GuardrailKind {
    /// How findings name it.
    pub fn noun(self) -> &'static str {
        match self {
            GuardrailKind::Rcp => "resource control policy",
            GuardrailKind::Scp => "service control policy",
        }
    }
}

/// A guardrail as the reasoner judges it: its kind, the perimeter dimensions its Deny
/// statements enforce, and for each the actions of those statements, which bound the requests
/// it is judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrail {
    pub kind: GuardrailKind,
    pub dimensions: Vec<Dimension>,
    pub scope: Vec<(Dimension, ActionClause)>,
}

impl Guardrail {
    /// The guardrail a policy of this kind is: the dimensions whose keys its Deny statements
    /// negate (see [`scope_statements`]).
    pub fn of(kind: GuardrailKind, policy: &Policy) -> Guardrail {
        Guardrail::of_versions(kind, &[policy])
    }

    /// The guardrail two versions of a policy make together: judged on what either enforces.
    pub fn of_versions(kind: GuardrailKind, versions: &[&Policy]) -> Guardrail {
        let mut scope = Vec::new();
        for d in kind.judged() {
            for policy in versions {
                for i in scope_statements(policy, kind, *d) {
                    scope.push((*d, policy.statements[i].action.clone()));
                }
            }
        }
        let dimensions = kind
            .judged()
            .iter()
            .copied()
            .filter(|d| scope.iter().any(|(x, _)| x == d))
            .collect();
        Guardrail {
            kind,
            dimensions,
            scope,
        }
    }

    /// Whether a request in this dimension is one the guardrail is judged on: its action is
    /// one a statement enforcing the dimension covers.
    pub fn in_scope(&self, dimension: Dimension, action: &str) -> bool {
        self.scope.iter().any(|(d, clause)| {
            *d == dimension
                && clause
                    .patterns
                    .iter()
                    .any(|p| crate::iam::pattern::matches_ignore_ascii_case(&p.pattern, action))
                    != clause.negated
        })
    }
}

impl GuardrailKind {
    /// The dimensions a guardrail of this kind can enforce. An RCP is about who reaches the
    /// organization's resources and from where; an SCP about what the organization's own
    /// principals reach and from where (its callers are all inside the identity perimeter, so
    /// it has no identity dimension to enforce).
    pub fn judged(self) -> &'static [Dimension] {
        match self {
            GuardrailKind::Rcp => &[Dimension::Identity, Dimension::Network],
            GuardrailKind::Scp => &[Dimension::Resource, Dimension::Network],
        }
    }
}

/// The condition keys (lower-case) that make a Deny statement enforce a dimension: AWS's
/// data-perimeter keys (IAM User Guide, "AWS global condition context keys"; AWS whitepaper
/// "Building a data perimeter on AWS", "Perimeter controls").
pub fn dimension_keys(dimension: Dimension) -> &'static [&'static str] {
    match dimension {
        Dimension::Identity => &[
            "aws:principalorgid",
            "aws:principalorgpaths",
            "aws:principalaccount",
        ],
        Dimension::Network => &[
            "aws:sourceip",
            "aws:sourcevpc",
            "aws:sourcevpce",
            "aws:vpceorgid",
            "aws:vpceorgpaths",
            "aws:vpceaccount",
            "aws:sourcevpcarn",
        ],
        Dimension::Resource => &[
            "aws:resourceorgid",
            "aws:resourceorgpaths",
            "aws:resourceaccount",
        ],
        Dimension::Enforce => &[],
    }
}

/// The Deny statements of the policy that enforce the dimension. A statement enforces a
/// dimension when it denies a request whose value of one of the dimension's keys is NOT among
/// those expected (`StringNotEquals...`, `NotIpAddress...`, `ArnNotLike...`), as AWS's
/// data-perimeter statements do; a statement that denies only when a key HAS a value
/// (`StringEquals aws:SourceVpc`, narrowing a VPC to its Region in AWS's examples) restricts
/// requests already inside, and enforces nothing. Each statement enforces one dimension: the
/// network when it reads a network key (AWS's network statements exempt accounts by
/// `aws:PrincipalAccount`, which does not make them identity statements), else the identity,
/// else the resource perimeter.
pub fn scope_statements(policy: &Policy, kind: GuardrailKind, dimension: Dimension) -> Vec<usize> {
    if !kind.judged().contains(&dimension) {
        return Vec::new();
    }
    policy
        .statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.effect == Effect::Deny && enforced_by(s) == Some(dimension))
        .map(|(i, _)| i)
        .collect()
}

/// The dimension a Deny statement enforces, if any (see [`scope_statements`]). A statement that
/// also asks for something of the request that is no exemption (a condition that must hold,
/// not negated and not `...IfExists`) denies only a class of requests: AWS's examples narrow
/// this way to the requests that set data-perimeter session tags (`aws:TagKeys`, `SAML:aud`),
/// to the roles of EC2 instances or Lambda functions (`Null ec2:SourceInstanceARN false`,
/// `lambda:SourceFunctionArn`), or to service principals (`Bool aws:PrincipalIsAWSService
/// true`). Such a statement is a targeted control, not the organization's perimeter, and is
/// judged on nothing. The one such condition the perimeter models is the principal tag that
/// brings principals under the network perimeter (`network.appliesToPrincipalTags`, the
/// `dp:include:network` tag of AWS's network statements).
fn enforced_by(s: &Statement) -> Option<Dimension> {
    let narrows = s.conditions.iter().any(|c| {
        !c.operator.negated && !c.operator.if_exists && !c.key.starts_with("aws:principaltag/")
    });
    if narrows {
        return None;
    }
    let reads = |d: Dimension| {
        let keys = dimension_keys(d);
        s.conditions
            .iter()
            .any(|c| c.operator.negated && keys.contains(&c.key.as_str()))
    };
    [Dimension::Network, Dimension::Identity, Dimension::Resource]
        .into_iter()
        .find(|d| reads(*d))
}

/// The services whose resources RCPs apply to (AWS Organizations User Guide, "Resource control
/// policies (RCPs)", "List of AWS services that support RCPs"): Amazon S3, AWS STS, AWS KMS,
/// Amazon SQS, AWS Secrets Manager, Amazon Cognito, Amazon CloudWatch Logs, Amazon DynamoDB,
/// Amazon ECR and Amazon OpenSearch Serverless. RCPs do nothing for other services.
pub const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "cognito-identity",
    "cognito-idp",
    "logs",
    "dynamodb",
    "ecr",
    "aoss",
];

/// Whether an action is of a service RCPs apply to.
pub fn rcp_service(action: &str) -> bool {
    action
        .split_once(':')
        .is_some_and(|(svc, _)| RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(svc)))
}

/// The callers an SCP bounds: IAM principals of the organization's member accounts, never a
/// service-linked role (AWS Organizations User Guide, "Service control policies (SCPs)": "SCPs
/// don't affect service-linked roles"). The perimeter's trusted IAM callers stand for the
/// organization's principals.
pub fn scp_caller(caller: &Caller) -> bool {
    match caller {
        Caller::Iam(i) => !i.arn.contains(":role/aws-service-role/"),
        _ => false,
    }
}
