//! The `perimeter-guard` command line: one module per subcommand, each turning its arguments into
//! calls of the library and an [`ExitStatus`]. `main` only parses and dispatches.

pub mod analyze;
pub mod args;
pub mod audit;
pub mod check;
pub mod crd;
pub mod logging;
pub mod serve;
pub mod simulate;
pub mod version;
pub mod webhook_rules;

use std::io::Read;
use std::path::Path;

pub use args::{Cli, Command};

/// How a command ended, the same for every command, so a CI job or a CronJob can tell findings
/// from failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Decided: compliant, nothing at or above `--fail-on`, or the work was done.
    Ok = 0,
    /// Findings: something violates the perimeter (at or above `--fail-on`).
    Findings = 1,
    /// The input, the perimeter or the cluster could not be used (see [`CliError`]).
    Error = 2,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status as u8)
    }
}

/// Why a command could not do its work. Each message is complete (it names what and where); the
/// underlying errors stay reachable through `source()`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An argument whose value cannot be what it names.
    #[error("{0}")]
    Argument(String),
    /// Two inputs named `-`: standard input can feed only one.
    #[error("only one of {0} can come from standard input")]
    StdinTwice(&'static str),
    #[error(transparent)]
    Perimeter(#[from] crate::perimeter::load::LoadError),
    #[error("{source_name}: invalid policy {source}")]
    Policy {
        source_name: String,
        #[source]
        source: crate::iam::PolicyError,
    },
    #[error("{source_name}: {source}")]
    Request {
        source_name: String,
        #[source]
        source: simulate::request::RequestError,
    },
    #[error(transparent)]
    Serve(#[from] serve::ServeCommandError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("starting the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
    #[error("writing the output: {0}")]
    Json(#[from] serde_json::Error),
}

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> Result<ExitStatus, CliError> {
    match cli.command {
        Command::Version => version::run(),
        Command::Simulate(args) => simulate::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Check(args) => check::run(args),
        Command::Serve(args) => serve::run(*args),
        Command::Audit(args) => audit::run(*args),
        Command::PolicyReportCrds => crd::run_policy_report_crds(),
        Command::WebhookRules => webhook_rules::run(),
        Command::Crd(args) => crd::run(args.kind),
        Command::Schema => crd::run_schema(),
    }
}

/// The name a path is given in messages (`-` is standard input).
pub fn source_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        crate::perimeter::load::STDIN_NAME.to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let read = |result: std::io::Result<String>| {
        result.map_err(|source| CliError::Read {
            path: source_name(path),
            source,
        })
    };
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return read(std::io::stdin().read_to_string(&mut text).map(|_| text));
    }
    read(std::fs::read_to_string(path))
}
