//! `perimeter-guard check`: Kubernetes manifests from files, directories and standard input,
//! checked offline against the data perimeter with the webhook's own rules.

pub mod locate;
pub mod manifests;
pub mod render;

use std::io::IsTerminal;

use super::args::{CheckArgs, CheckOutput};
use super::{CliError, ExitStatus};
use crate::audit;
use crate::decision;
use crate::perimeter::{exception, load};
use crate::resources::composition;

/// Checks every object the inputs hold. Input that cannot be read is reported with the results
/// and makes the exit status 2 once everything else is checked. 2 wins over 1 (and over
/// `--fail-on never`): a pipeline must not take a partly read repository for a checked one.
/// Only a perimeter that cannot be used stops the run before it checks anything.
pub fn run(args: CheckArgs) -> Result<ExitStatus, CliError> {
    let stdin_perimeter = args.perimeter.iter().any(|p| p.as_os_str() == "-");
    if stdin_perimeter && args.files.iter().any(|p| p.as_os_str() == "-") {
        return Err(CliError::StdinTwice("the perimeter and the manifests"));
    }
    let now = jiff::Timestamp::now();
    let (perimeters, exceptions) = if args.from_cluster {
        from_cluster(&args, now)?
    } else {
        let perimeters = load::load(&args.perimeter, &mut std::io::stdin())?;
        let limits = exception::ExpiryLimits {
            now,
            max_days: args.exceptions.max_exception_days,
        };
        (
            perimeters,
            exception::load_paths(&args.exceptions.paths, limits)?,
        )
    };
    let manifests::Manifests { documents, errors } =
        manifests::read_paths(&args.files, &mut std::io::stdin());
    // A Composition's base resources follow it, each checked as the object it becomes.
    enum CheckedFrom {
        Document(usize),
        Part(usize),
    }
    let mut parts = Vec::new();
    let mut order = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let verdict = decision::evaluate_excepted(&document.value, &perimeters, &exceptions, now);
        order.push((CheckedFrom::Document(i), verdict));
        for (part, verdict) in composed(document, &perimeters, &exceptions, now) {
            order.push((CheckedFrom::Part(parts.len()), verdict));
            parts.push(part);
        }
    }
    let results: Vec<render::Checked<'_>> = order
        .into_iter()
        .map(|(at, verdict)| {
            let document = match at {
                CheckedFrom::Part(part) => &parts[part],
                CheckedFrom::Document(document) => &documents[document],
            };
            render::Checked::new(document, verdict)
        })
        .collect();
    match args.output {
        CheckOutput::Text => print!(
            "{}",
            render::text(&results, &errors, std::io::stdout().is_terminal())
        ),
        CheckOutput::Json => println!(
            "{}",
            serde_json::to_string_pretty(&render::json(&results, &errors))?
        ),
        CheckOutput::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&render::sarif(&results, &errors))?
        ),
    }
    // The text report lists the errors itself; next to a machine-readable one, they are also
    // said where a person reads the job's log.
    if args.output != CheckOutput::Text {
        for e in &errors {
            eprintln!("error: {e}");
        }
    }
    let summary = render::summary(&results);
    tracing::debug!(
        objects = summary.objects,
        findings = summary.findings,
        errors = errors.len(),
        "checked"
    );
    Ok(if !errors.is_empty() {
        ExitStatus::Error
    } else if render::fails(&results, args.fail_on) {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

/// A Composition's base managed resources, each read as Crossplane composes it and checked as
/// the webhook will check the composed resource; nothing for any other document.
fn composed(
    document: &manifests::Document,
    perimeters: &[crate::perimeter::DataPerimeter],
    exceptions: &exception::Exceptions,
    now: jiff::Timestamp,
) -> Vec<(manifests::Document, decision::ObjectVerdict)> {
    let value = &document.value;
    if !composition::is_composition_document(value) {
        return Vec::new();
    }
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or("(unnamed)");
    composition::bases(value)
        .into_iter()
        .map(|base| {
            let verdict = decision::evaluate_composed(&base, perimeters, exceptions, now);
            let part = manifests::CompositionPart {
                composition: name.to_owned(),
                resource: base.resource.clone(),
            };
            (document.part(&base.pointer, base.object, part), verdict)
        })
        .collect()
}

/// The cluster's perimeters and exceptions (with the files', when given), as the webhook has
/// them; says on standard error where they came from and the configuration's hash.
fn from_cluster(
    args: &CheckArgs,
    now: jiff::Timestamp,
) -> Result<(Vec<crate::perimeter::DataPerimeter>, exception::Exceptions), CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sources = audit::ConfigSources {
        perimeter_paths: args.perimeter.clone(),
        from_cluster: true,
        exception_paths: args.exceptions.paths.clone(),
        max_exception_days: args.exceptions.max_exception_days,
        now,
    };
    let access = audit::ClusterAccess {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let (perimeters, exceptions, server) = runtime.block_on(async {
        let (client, server) = audit::connect(&access).await?;
        let left_out = |e: &crate::perimeter::ConfigError| eprintln!("warning: {e}; left out");
        let (perimeters, exceptions) =
            audit::configuration(&sources, &client, &server, &left_out).await?;
        Ok::<_, audit::AuditError>((perimeters, exceptions, server))
    })?;
    let names: Vec<&str> = perimeters
        .iter()
        .map(|p| p.metadata.name.as_str())
        .collect();
    eprintln!(
        "configuration {} from {server}: DataPerimeters {}; {} PerimeterExceptions",
        load::configuration_hash(&perimeters, &exceptions),
        names.join(", "),
        exceptions.iter().count()
    );
    Ok((perimeters, exceptions))
}
