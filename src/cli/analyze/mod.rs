//! `perimeter-guard analyze`: does a request exist that this policy allows and that lies outside
//! the perimeter? If so, show it.

pub mod analysis;

use super::args::{AnalyzeArgs, AttachedKind, TextOrJson};
use super::{CliError, ExitStatus, read_text};
use crate::iam::reasoner::Attachment;
use crate::perimeter::load;

pub fn run(args: AnalyzeArgs) -> Result<ExitStatus, CliError> {
    let stdin_perimeter = args.perimeter.iter().any(|p| p.as_os_str() == "-");
    if stdin_perimeter && args.policy.as_os_str() == "-" {
        return Err(CliError::StdinTwice("the perimeter and the policy"));
    }
    let perimeters = load::load(&args.perimeter, &mut std::io::stdin())?;
    let policy_text = read_text(&args.policy)?;
    let attachment = match args.kind {
        AttachedKind::Bucket => Attachment::Bucket { name: args.bucket },
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
