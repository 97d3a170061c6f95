#![forbid(unsafe_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use perimeter_guard::iam::reasoner::Attachment;
use perimeter_guard::iam::{Policy, PolicyKind, evaluate};
use perimeter_guard::perimeter::load_perimeters;
use perimeter_guard::simulate;
use perimeter_guard::{analysis, decision, input, report};

// The reasoner allocates many small strings; mimalloc serves them markedly faster than the
// system allocator (measured by `cargo bench --bench reasoner`, see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps an AWS data perimeter intact for Crossplane and ACK resources.
#[derive(Parser)]
#[command(name = "perimeter-guard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one request against one policy, as AWS would, and show the deciding statements.
    Simulate(SimulateArgs),
    /// Check Kubernetes manifests (files, directories, stdin) against the data perimeter.
    Check(CheckArgs),
    /// Decide whether a policy allows any request outside the data perimeter, and show it.
    Analyze(AnalyzeArgs),
    /// Print the version.
    Version,
}

#[derive(clap::Args)]
struct SimulateArgs {
    /// What the policy is attached to.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// The policy document (JSON), or `-` for standard input.
    policy: PathBuf,
    /// The request (YAML or JSON), or `-` for standard input.
    #[arg(long)]
    request: PathBuf,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// DataPerimeter YAML (one or more documents; every applicable perimeter must pass).
    #[arg(long)]
    perimeter: PathBuf,
    /// A YAML or JSON file, a directory (read recursively), or `-` for standard input.
    #[arg(short = 'f', long = "filename", default_value = "-")]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckOutput::Text)]
    output: CheckOutput,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOnArg::Deny)]
    fail_on: FailOnArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckOutput {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Deny,
    Warn,
    Never,
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// What the policy is attached to.
    #[arg(long, value_enum)]
    kind: AttachedKind,
    /// DataPerimeter YAML (one or more documents; every perimeter must be satisfied).
    #[arg(long)]
    perimeter: PathBuf,
    /// The bucket the policy is attached to, when known (bucket policies).
    #[arg(long)]
    bucket: Option<String>,
    /// The endpoint's id, when known (endpoint policies).
    #[arg(long)]
    endpoint_id: Option<String>,
    /// The endpoint's VPC, when known (endpoint policies).
    #[arg(long)]
    vpc_id: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// The policy document (JSON), or `-` for standard input.
    policy: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum AttachedKind {
    #[value(name = "bucket-policy")]
    Bucket,
    #[value(name = "endpoint-policy")]
    Endpoint,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    #[value(name = "bucket-policy")]
    Bucket,
    #[value(name = "endpoint-policy")]
    Endpoint,
    #[value(name = "resource-policy")]
    Resource,
    #[value(name = "identity-policy")]
    Identity,
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Bucket => PolicyKind::BucketPolicy,
            KindArg::Endpoint => PolicyKind::EndpointPolicy,
            KindArg::Resource => PolicyKind::ResourcePolicy,
            KindArg::Identity => PolicyKind::IdentityPolicy,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

/// Exit status 2: the input could not be understood (as opposed to a failure of the tool).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct InvalidInput(String);

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PERIMETER_GUARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<InvalidInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version => {
            println!("perimeter-guard {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => simulate_command(args),
        Command::Analyze(args) => analyze_command(args),
        Command::Check(args) => check_command(args),
    }
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| InvalidInput(format!("{}: {e}", source_name(path))).into())
}

fn check_command(args: CheckArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let perimeter_text = read_input(&args.perimeter)?;
    let perimeters = load_perimeters(&perimeter_text, &source_name(&args.perimeter))
        .map_err(|e| InvalidInput(e.to_string()))?;
    let documents = input::read_paths(&args.files, &mut std::io::stdin())
        .map_err(|e| InvalidInput(e.to_string()))?;
    let results: Vec<report::Checked<'_>> = documents
        .iter()
        .map(|document| report::Checked {
            document,
            verdict: decision::evaluate(&document.value, &perimeters),
        })
        .collect();
    match args.output {
        CheckOutput::Text => print!(
            "{}",
            report::text(&results, std::io::stdout().is_terminal())
        ),
        CheckOutput::Json => println!("{}", serde_json::to_string_pretty(&report::json(&results))?),
        CheckOutput::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&report::sarif(&results))?
        ),
    }
    let fail_on = match args.fail_on {
        FailOnArg::Deny => report::FailOn::Deny,
        FailOnArg::Warn => report::FailOn::Warn,
        FailOnArg::Never => report::FailOn::Never,
    };
    let summary = report::summary(&results);
    tracing::debug!(
        objects = summary.objects,
        findings = summary.findings,
        "checked"
    );
    Ok(if report::fails(&results, fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn analyze_command(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let perimeter_text = read_input(&args.perimeter)?;
    let perimeters = load_perimeters(&perimeter_text, &source_name(&args.perimeter))
        .map_err(|e| InvalidInput(e.to_string()))?;
    let policy_text = read_input(&args.policy)?;
    let attachment = match args.kind {
        AttachedKind::Bucket => Attachment::Bucket { name: args.bucket },
        AttachedKind::Endpoint => Attachment::Endpoint {
            id: args.endpoint_id,
            vpc: args.vpc_id,
        },
    };
    let report = analysis::analyze_text(&policy_text, &attachment, &perimeters);
    tracing::debug!(verdict = ?report.overall, "analyzed");
    match args.output {
        Output::Text => print!("{}", report.to_text(&attachment)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(&attachment))?
        ),
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn source_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

fn simulate_command(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if args.policy.as_os_str() == "-" && args.request.as_os_str() == "-" {
        bail!(InvalidInput(
            "only one of the policy and the request can come from standard input".into()
        ));
    }
    let policy_text = read_input(&args.policy)?;
    let request_text = read_input(&args.request)?;
    let policy = Policy::parse(&policy_text, args.kind.into())
        .map_err(|e| InvalidInput(format!("{}: invalid policy {e}", source_name(&args.policy))))?;
    let request = simulate::parse_request(&request_text)
        .map_err(|e| InvalidInput(format!("{}: {e}", source_name(&args.request))))?;
    let decision = evaluate(&policy, &request);
    tracing::debug!(outcome = ?decision.outcome, "simulated");
    match args.output {
        Output::Text => print!("{}", simulate::render_text(&decision)),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&simulate::render_json(&decision))?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
