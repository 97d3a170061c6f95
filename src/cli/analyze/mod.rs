//! `perimeter-guard analyze`: does a request exist that this policy allows and that lies outside
//! the perimeter? If so, show it.

pub mod analysis;

use super::args::{AnalyzeArgs, AttachedKind, TextOrJson};
use super::{CliError, ExitStatus, read_text};
use crate::iam::reasoner::{Attachment, Door, DoorKind, Guardrail, GuardrailKind};
use crate::perimeter::load;

pub fn run(args: AnalyzeArgs) -> Result<ExitStatus, CliError> {
    let stdin_perimeter = args.perimeter.iter().any(|p| p.as_os_str() == "-");
    if stdin_perimeter && args.policy.as_os_str() == "-" {
        return Err(CliError::StdinTwice("the perimeter and the policy"));
    }
    let perimeters = load::load(&args.perimeter, &mut std::io::stdin())?;
    let policy_text = read_text(&args.policy)?;
    let attachment = match args.kind {
        AttachedKind::Bucket => {
            let source = crate::resources::PolicySource::Text {
                text: policy_text.clone(),
                pointer: String::new(),
            };
            match crate::perimeter::rules::directory_bucket(&source, args.bucket.as_deref()) {
                Some(door) => Attachment::Door(door),
                None => Attachment::Bucket { name: args.bucket },
            }
        }
        AttachedKind::AccessPoint => {
            let vpc_origin = args.vpc_id.map(Some);
            let named = args
                .access_point
                .clone()
                .or_else(|| first_access_point_arn(&policy_text));
            let door = match named {
                Some(arn) => Door::access_point(&arn, vpc_origin).ok_or_else(|| {
                    CliError::Argument(format!(
                        "--access-point {arn:?} is not an access point ARN (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME, arn:aws:s3::ACCOUNT:accesspoint/ALIAS or arn:aws:s3-object-lambda:REGION:ACCOUNT:accesspoint/NAME)"
                    ))
                })?,
                None => Door {
                    kind: DoorKind::AccessPoint,
                    name: None,
                    region: None,
                    account: None,
                    vpc_origin,
                },
            };
            Attachment::Door(door)
        }
        AttachedKind::ResourceControl => guardrail(GuardrailKind::Rcp, &policy_text),
        AttachedKind::ServiceControl => guardrail(GuardrailKind::Scp, &policy_text),
        AttachedKind::Endpoint => Attachment::Endpoint {
            id: args.endpoint_id,
            vpc: args.vpc_id,
            service: args
                .service
                .as_deref()
                .and_then(crate::iam::services::endpoint_service_prefix)
                .map(str::to_owned),
        },
    };
    let analysis = analysis::analyze_text(&policy_text, &attachment, &perimeters);
    tracing::debug!(verdict = ?analysis.overall, "analyzed");
    match args.output {
        TextOrJson::Text => print!("{}", analysis.to_text(&attachment)),
        TextOrJson::Json => println!(
            "{}",
            serde_json::to_string_pretty(&analysis.to_json(&attachment))?
        ),
    }
    Ok(analysis.exit_status())
}

/// The guardrail the policy is: the dimensions its Deny statements enforce. A policy that does
/// not parse enforces none here; the analysis reports why it does not parse.
fn guardrail(kind: GuardrailKind, text: &str) -> Attachment {
    let policy_kind = match kind {
        GuardrailKind::Rcp => crate::iam::PolicyKind::ResourcePolicy,
        GuardrailKind::Scp => crate::iam::PolicyKind::IdentityPolicy,
    };
    let policy = crate::iam::Policy::parse(text, policy_kind).ok();
    Attachment::Guardrail(match &policy {
        Some(p) => Guardrail::of(kind, p),
        None => Guardrail::of_versions(kind, &[]),
    })
}

/// The first access point ARN among the policy's Resource ARNs (S3 accepts a policy on an access
/// point only for that access point's resources).
fn first_access_point_arn(policy: &str) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(policy).ok()?;
    let statements = match doc.get("Statement")? {
        serde_json::Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    statements.iter().find_map(|st| {
        let resources = match st.get("Resource")? {
            serde_json::Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        resources
            .iter()
            .filter_map(serde_json::Value::as_str)
            .find(|r| r.contains(":accesspoint/"))
            .map(str::to_owned)
    })
}
