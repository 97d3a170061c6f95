//! `perimeter-guard check`: Kubernetes manifests from files, directories and standard input,
//! checked offline against the data perimeter with the webhook's own rules.

pub mod manifests;
pub mod render;

use std::io::IsTerminal;

use super::args::{CheckArgs, CheckOutput};
use super::{CliError, ExitStatus};
use crate::decision;
use crate::perimeter::load;

pub fn run(args: CheckArgs) -> Result<ExitStatus, CliError> {
    let stdin_perimeter = args.perimeter.iter().any(|p| p.as_os_str() == "-");
    if stdin_perimeter && args.files.iter().any(|p| p.as_os_str() == "-") {
        return Err(CliError::StdinTwice("the perimeter and the manifests"));
    }
    let perimeters = load::load(&args.perimeter, &mut std::io::stdin())?;
    let documents = manifests::read_paths(&args.files, &mut std::io::stdin())?;
    let results: Vec<render::Checked<'_>> = documents
        .iter()
        .map(|document| render::Checked {
            document,
            verdict: decision::evaluate(&document.value, &perimeters),
        })
        .collect();
    match args.output {
        CheckOutput::Text => print!(
            "{}",
            render::text(&results, std::io::stdout().is_terminal())
        ),
        CheckOutput::Json => println!("{}", serde_json::to_string_pretty(&render::json(&results))?),
        CheckOutput::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&render::sarif(&results))?
        ),
    }
    let summary = render::summary(&results);
    tracing::debug!(
        objects = summary.objects,
        findings = summary.findings,
        "checked"
    );
    Ok(if render::fails(&results, args.fail_on) {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}
