//! The analysis behind `perimeter-guard analyze`: one policy, one or more perimeters, a verdict per dimension and the
//! request that proves each violation.

use serde_json::{Value, json};

use crate::cli::ExitStatus;
use crate::iam::reasoner::{self, Attachment, Dimension, DoorKind, ReasonerVerdict};
use crate::iam::{Policy, PolicyError, PolicyKind};
use crate::perimeter::DataPerimeter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Overall {
    Complies,
    Violates,
    Invalid,
}

/// One dimension of one perimeter.
#[derive(Debug, Clone)]
pub struct DimensionFinding {
    pub perimeter: String,
    pub dimension: Dimension,
    pub verdict: ReasonerVerdict,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub overall: Overall,
    pub error: Option<PolicyError>,
    pub findings: Vec<DimensionFinding>,
    /// What the reader should know beyond the verdict: conditions no real request meets, and
    /// services modelled generically.
    pub notes: Vec<String>,
}

/// What a violation in a dimension means, in a sentence.
pub fn message(dimension: Dimension, attachment: &Attachment) -> &'static str {
    match (dimension, attachment) {
        (Dimension::Identity, Attachment::Endpoint { .. }) => {
            "an identity outside the trusted organizations and accounts can use the endpoint"
        }
        (Dimension::Identity, Attachment::Bucket { .. }) => {
            "an identity outside the trusted organizations and accounts can access the bucket"
        }
        (Dimension::Identity, Attachment::Guardrail(_)) => {
            "the guardrail does not deny a request by an identity outside the trusted organizations and accounts"
        }
        (Dimension::Network, Attachment::Guardrail(_)) => {
            "the guardrail does not deny a request from outside the expected VPC endpoints, VPCs and IP ranges"
        }
        (Dimension::Identity, Attachment::Door(d)) => match d.kind {
            DoorKind::DirectoryBucket => {
                "an identity outside the trusted organizations and accounts can access the directory bucket"
            }
            _ => {
                "an identity outside the trusted organizations and accounts can access the access point"
            }
        },
        (Dimension::Resource, _) => {
            "a trusted identity can reach a resource outside the trusted organizations, accounts and allowed resources"
        }
        (Dimension::Network, Attachment::Door(d)) => match d.kind {
            DoorKind::DirectoryBucket => {
                "the directory bucket can be reached from outside the expected VPC endpoints, VPCs and IP ranges"
            }
            _ => {
                "the access point can be reached from outside the expected VPC endpoints, VPCs and IP ranges"
            }
        },
        (Dimension::Network, _) => {
            "the bucket can be reached from outside the expected VPC endpoints, VPCs and IP ranges"
        }
        (Dimension::Enforce, _) => {
            "the policy's Deny statements do not block every request from outside the perimeter (bucketPolicyMode: Enforce)"
        }
    }
}

/// Parses and analyses a policy against every perimeter given.
pub fn analyze_text(text: &str, attachment: &Attachment, perimeters: &[DataPerimeter]) -> Analysis {
    let kind = match attachment {
        Attachment::Endpoint { .. } => PolicyKind::EndpointPolicy,
        Attachment::Bucket { .. } | Attachment::Door(_) => PolicyKind::BucketPolicy,
        Attachment::Guardrail(g) => match g.kind {
            reasoner::GuardrailKind::Rcp => PolicyKind::ResourcePolicy,
            reasoner::GuardrailKind::Scp => PolicyKind::IdentityPolicy,
        },
    };
    match Policy::parse(text, kind) {
        Err(e) => Analysis {
            overall: Overall::Invalid,
            error: Some(e),
            findings: Vec::new(),
            notes: Vec::new(),
        },
        Ok(policy) => analyze_policy(&policy, attachment, perimeters),
    }
}

pub fn analyze_policy(
    policy: &Policy,
    attachment: &Attachment,
    perimeters: &[DataPerimeter],
) -> Analysis {
    let mut findings = Vec::new();
    for dp in perimeters {
        let perimeter = dp.to_perimeter();
        for v in reasoner::analyze(policy, attachment, &perimeter) {
            findings.push(DimensionFinding {
                perimeter: dp.metadata.name.clone(),
                dimension: v.dimension,
                verdict: v.verdict,
            });
        }
    }
    let overall = if findings
        .iter()
        .any(|f| matches!(f.verdict, ReasonerVerdict::Undecided(_)))
    {
        Overall::Invalid
    } else if findings
        .iter()
        .any(|f| matches!(f.verdict, ReasonerVerdict::Violates(_)))
    {
        Overall::Violates
    } else {
        Overall::Complies
    };
    let mut notes: Vec<String> = crate::iam::domains::impossible_conditions(policy)
        .into_iter()
        .map(|c| format!("at {}: {}", c.pointer, c.message))
        .collect();
    let generic = reasoner::generic_services(policy, attachment);
    if !generic.is_empty() {
        notes.push(format!(
            "no action table for {}: modelled generically (any action its patterns admit, on any ARN){}",
            generic.join(", "),
            match attachment {
                Attachment::Endpoint { service: None, .. } =>
                    "; give --service com.amazonaws.REGION.SERVICE to check the endpoint's own service only",
                _ => "",
            }
        ));
    }
    // analyze reports every request outside; say which of them rest on unknown membership, as
    // check and the webhook report them (DP-ORG-001).
    for dp in perimeters {
        let perimeter = dp.to_perimeter();
        for f in findings.iter().filter(|f| f.perimeter == dp.metadata.name) {
            if let ReasonerVerdict::Violates(w) = &f.verdict
                && let Some(unknown) = crate::perimeter::rules::membership::question(
                    policy,
                    attachment,
                    &perimeter,
                    f.dimension,
                    w,
                )
            {
                notes.push(format!(
                    "{} {}: {} (check and the webhook report this as DP-ORG-001, a warning)",
                    dp.metadata.name,
                    f.dimension.name(),
                    unknown.message()
                ));
            }
        }
    }
    let unlisted = reasoner::unlisted_actions(policy, attachment);
    if !unlisted.is_empty() {
        notes.push(format!(
            "not in the action tables of their service: {}; newer than the tables or misspelt, \
             they are modelled generically (on any ARN), not taken to grant nothing",
            unlisted.join(", ")
        ));
    }
    Analysis {
        overall,
        error: None,
        findings,
        notes,
    }
}

impl Analysis {
    pub fn exit_status(&self) -> ExitStatus {
        match self.overall {
            Overall::Complies => ExitStatus::Ok,
            Overall::Violates => ExitStatus::Findings,
            Overall::Invalid => ExitStatus::Error,
        }
    }

    pub fn to_json(&self, attachment: &Attachment) -> Value {
        let mut findings: Vec<Value> = Vec::new();
        if let Some(e) = &self.error {
            findings.push(json!({
                "dimension": null,
                "message": format!("invalid policy {e}"),
                "pointer": e.pointer.as_str(),
                "witness": null,
                "statements": [],
            }));
        }
        for f in &self.findings {
            match &f.verdict {
                ReasonerVerdict::Complies => {}
                ReasonerVerdict::Violates(w) => findings.push(json!({
                    "perimeter": f.perimeter,
                    "dimension": f.dimension,
                    "message": message(f.dimension, attachment),
                    "witness": w.to_json(),
                    "statements": w.statements,
                })),
                ReasonerVerdict::Undecided(why) => findings.push(json!({
                    "perimeter": f.perimeter,
                    "dimension": f.dimension,
                    "message": why,
                    "witness": null,
                    "statements": [],
                })),
            }
        }
        let dimensions: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "perimeter": f.perimeter,
                    "dimension": f.dimension,
                    "verdict": match f.verdict {
                        ReasonerVerdict::Complies => "complies",
                        ReasonerVerdict::Violates(_) => "violates",
                        ReasonerVerdict::Undecided(_) => "invalid",
                    },
                })
            })
            .collect();
        json!({ "verdict": self.overall, "findings": findings, "dimensions": dimensions, "notes": self.notes })
    }

    pub fn to_text(&self, attachment: &Attachment) -> String {
        let mut out = String::new();
        if let Some(e) = &self.error {
            out.push_str(&format!("INVALID   invalid policy {e}\n"));
        }
        for f in &self.findings {
            let name = format!("{}/{}", f.perimeter, f.dimension.name());
            match &f.verdict {
                ReasonerVerdict::Complies => out.push_str(&format!("complies  {name}\n")),
                ReasonerVerdict::Violates(w) => {
                    out.push_str(&format!(
                        "VIOLATES  {name}: {}\n",
                        message(f.dimension, attachment)
                    ));
                    out.push_str(&format!("          witness: {}\n", w.line()));
                }
                ReasonerVerdict::Undecided(why) => {
                    out.push_str(&format!("INVALID   {name}: {why}\n"))
                }
            }
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        let violated = self
            .findings
            .iter()
            .filter(|f| !matches!(f.verdict, ReasonerVerdict::Complies))
            .count();
        out.push_str(&format!(
            "verdict: {} ({} of {} dimension checks failed)\n",
            match self.overall {
                Overall::Complies => "complies",
                Overall::Violates => "violates",
                Overall::Invalid => "invalid",
            },
            violated + usize::from(self.error.is_some()),
            self.findings.len().max(usize::from(self.error.is_some())),
        ));
        out
    }
}
