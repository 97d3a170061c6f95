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
    /// Serve the HTTPS validating admission webhook.
    Serve(Box<ServeArgs>),
    /// Check every object already in a cluster, and optionally write PolicyReports.
    Audit(Box<AuditArgs>),
    /// Print the PolicyReport and ClusterPolicyReport CRDs (wgpolicyk8s.io/v1alpha2).
    #[command(hide = true)]
    PolicyReportCrds,
    /// Print the DataPerimeter CustomResourceDefinition (generated from the Rust type).
    Crd,
    /// Print the webhook rules for every checked kind (for the Helm chart).
    #[command(hide = true)]
    WebhookRules,
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

/// Every flag can also be given as the `PERIMETER_GUARD_*` environment variable named in its help;
/// lists are comma-separated there.
#[derive(clap::Args)]
struct ServeArgs {
    /// DataPerimeter YAML file or directory, hot-reloaded; repeatable.
    #[arg(long, env = "PERIMETER_GUARD_PERIMETER", value_delimiter = ',')]
    perimeter: Vec<PathBuf>,
    /// Serving certificate (PEM, leaf first), reloaded when it changes.
    #[arg(long, env = "PERIMETER_GUARD_TLS_CERT_FILE")]
    tls_cert_file: PathBuf,
    /// Serving key (PEM), reloaded when it changes.
    #[arg(long, env = "PERIMETER_GUARD_TLS_KEY_FILE")]
    tls_key_file: PathBuf,
    /// Require clients (the API server) to present a certificate issued by one of these CAs.
    #[arg(long, env = "PERIMETER_GUARD_CLIENT_CA_FILE")]
    client_ca_file: Option<PathBuf>,
    /// Address of the HTTPS webhook.
    #[arg(long, env = "PERIMETER_GUARD_LISTEN", default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// Address of the plain-HTTP /healthz, /readyz and /metrics.
    #[arg(
        long,
        env = "PERIMETER_GUARD_HEALTH_LISTEN",
        default_value = "0.0.0.0:8080"
    )]
    health_listen: std::net::SocketAddr,
    /// Also read cluster-scoped DataPerimeter custom resources, watched through the API server.
    #[arg(long, env = "PERIMETER_GUARD_WATCH_CRDS")]
    watch_crds: bool,
    /// Namespaces never checked (defence in depth behind the webhook's namespaceSelector).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_NAMESPACES", value_delimiter = ',')]
    exempt_namespace: Vec<String>,
    /// Users never checked (e.g. a break-glass account).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_USERS", value_delimiter = ',')]
    exempt_user: Vec<String>,
    /// Groups never checked (e.g. a break-glass group).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_GROUPS", value_delimiter = ',')]
    exempt_group: Vec<String>,
    /// Let the object label `perimeterguard.io/exempt: "<reason>"` exempt an object.
    #[arg(long, env = "PERIMETER_GUARD_ALLOW_EXEMPT_LABEL")]
    allow_exempt_label: bool,
    /// Longest time to answer a review; past it the API server applies the failurePolicy.
    #[arg(long, env = "PERIMETER_GUARD_REQUEST_TIMEOUT", default_value = "4s", value_parser = humantime::parse_duration)]
    request_timeout: std::time::Duration,
    /// Reviews evaluated at once (default: the number of CPUs).
    #[arg(long, env = "PERIMETER_GUARD_MAX_CONCURRENCY")]
    max_concurrency: Option<usize>,
    /// Requests held at once (reading, queued, evaluating); more get an immediate 503.
    #[arg(long, env = "PERIMETER_GUARD_MAX_PENDING", default_value_t = 256)]
    max_pending: usize,
    /// Bytes of request bodies held at once (by declared length); a request past it gets an
    /// immediate 503. At least --max-body-bytes.
    #[arg(long, env = "PERIMETER_GUARD_MAX_PENDING_BYTES", default_value_t = perimeter_guard::server::router::DEFAULT_MAX_PENDING_BYTES)]
    max_pending_bytes: usize,
    /// Memory for remembered decisions, in bytes (object text plus about 2 KiB per entry); 0 turns
    /// the decision cache off.
    #[arg(long, env = "PERIMETER_GUARD_DECISION_CACHE_BYTES", default_value_t = perimeter_guard::admission::DEFAULT_CAPACITY_BYTES)]
    decision_cache_bytes: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PERIMETER_GUARD_MAX_BODY_BYTES", default_value_t = perimeter_guard::server::router::DEFAULT_MAX_BODY)]
    max_body_bytes: usize,
    /// How often certificate and configuration files are checked for changes.
    #[arg(long, env = "PERIMETER_GUARD_RELOAD_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    reload_interval: std::time::Duration,
    /// After SIGTERM, keep accepting this long (readiness already failing) before closing.
    #[arg(long, env = "PERIMETER_GUARD_SHUTDOWN_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    shutdown_delay: std::time::Duration,
    /// After closing, the longest wait for in-flight reviews.
    #[arg(long, env = "PERIMETER_GUARD_SHUTDOWN_GRACE", default_value = "20s", value_parser = humantime::parse_duration)]
    shutdown_grace: std::time::Duration,
    /// Log format.
    #[arg(long, env = "PERIMETER_GUARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current one).
    #[arg(long)]
    context: Option<String>,
    /// DataPerimeter YAML (one or more documents).
    #[arg(long, required_unless_present = "from_cluster")]
    perimeter: Option<PathBuf>,
    /// Read the DataPerimeter custom resources (as well, with --perimeter).
    #[arg(long)]
    from_cluster: bool,
    /// Only these namespaces (cluster-scoped kinds are then left out); repeatable.
    #[arg(long = "namespace", short = 'n')]
    namespaces: Vec<String>,
    #[arg(long, value_enum, default_value_t = AuditOutput::Text)]
    output: AuditOutput,
    /// Write PolicyReports (one per namespace) and a ClusterPolicyReport.
    #[arg(long)]
    write_reports: bool,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOnArg::Deny)]
    fail_on: FailOnArg,
    /// Objects per list request.
    #[arg(long, default_value_t = 500)]
    page_size: u32,
    /// Kinds listed at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// List requests per second, at most.
    #[arg(long, default_value_t = 20.0)]
    qps: f64,
    /// Results kept per PolicyReport (failures first); the summary counts all.
    #[arg(long, default_value_t = 1000)]
    max_results_per_report: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckOutput {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuditOutput {
    Text,
    Json,
    Sarif,
    /// The summary alone, keeping no per-object result in memory (for large clusters and jobs).
    Summary,
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
    let cli = Cli::parse();
    // The webhook logs every decision at info, as JSON for log pipelines; the CLI commands keep
    // stderr for warnings.
    let (default_level, json) = match &cli.command {
        Command::Serve(args) => ("info", args.log_format == LogFormat::Json),
        _ => ("warn", false),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERIMETER_GUARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    use std::io::IsTerminal;
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter);
    if json {
        logs.json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        logs.init();
    }
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
        Command::Serve(args) => serve_command(*args),
        Command::Audit(args) => audit_command(*args),
        Command::PolicyReportCrds => {
            print!("{}", perimeter_guard::audit::report_types::crds_yaml());
            Ok(ExitCode::SUCCESS)
        }
        Command::WebhookRules => {
            print!(
                "{}",
                perimeter_guard::resources::webhook_rules::rules_yaml()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Crd => {
            print!("{}", perimeter_guard::perimeter::crd::crd_yaml());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve_command(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use perimeter_guard::server::{self, Limits, Listeners, Options, TlsFiles};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut limits = Limits {
        max_body: args.max_body_bytes,
        deadline: args.request_timeout,
        max_pending: args.max_pending,
        max_pending_bytes: args.max_pending_bytes,
        decision_cache_bytes: args.decision_cache_bytes,
        ..Limits::default()
    };
    if let Some(n) = args.max_concurrency {
        limits.max_concurrency = n;
    }
    anyhow::ensure!(
        limits.max_pending_bytes >= limits.max_body,
        "--max-pending-bytes ({}) is below --max-body-bytes ({}): the largest review could never be admitted",
        limits.max_pending_bytes,
        limits.max_body
    );
    let options = Options {
        tls: TlsFiles {
            cert: args.tls_cert_file,
            key: args.tls_key_file,
            client_ca: args.client_ca_file,
        },
        perimeters: args.perimeter,
        watch_crds: args.watch_crds,
        exemptions: perimeter_guard::admission::Settings {
            exempt_namespaces: args.exempt_namespace,
            allow_label_exemption: args.allow_exempt_label,
            exempt_users: args.exempt_user,
            exempt_groups: args.exempt_group,
            ..Default::default()
        },
        limits,
        reload_interval: args.reload_interval,
        shutdown_delay: args.shutdown_delay,
        shutdown_grace: args.shutdown_grace,
    };
    let listeners = Listeners {
        webhook: std::net::TcpListener::bind(args.listen)
            .with_context(|| format!("binding the webhook address {}", args.listen))?,
        health: std::net::TcpListener::bind(args.health_listen)
            .with_context(|| format!("binding the health address {}", args.health_listen))?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        server::run(options, listeners, termination())
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(ExitCode::SUCCESS)
}

fn audit_command(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One thread: the requests overlap on it, evaluation is cheap next to listing, and one heap
    // reuses the memory each page frees instead of spreading it over per-thread heaps.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(audit_run(args))
}

async fn audit_run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    use perimeter_guard::audit::{policy_reports, report_types::Timestamp, scan, summary};
    use std::io::IsTerminal;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let started = std::time::Instant::now();
    let client = {
        let options = kube::config::KubeConfigOptions {
            context: args.context.clone(),
            ..Default::default()
        };
        let config = match &args.kubeconfig {
            Some(path) => kube::Config::from_custom_kubeconfig(
                kube::config::Kubeconfig::read_from(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                &options,
            )
            .await
            .context("loading the kubeconfig")?,
            None if args.context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .context("loading the kubeconfig")?,
            None => kube::Config::infer()
                .await
                .context("finding a cluster (kubeconfig or in-cluster service account)")?,
        };
        kube::Client::try_from(config).context("connecting to the API server")?
    };
    let mut perimeters = match &args.perimeter {
        Some(path) => {
            let text = read_input(path)?;
            load_perimeters(&text, &source_name(path)).map_err(|e| InvalidInput(e.to_string()))?
        }
        None => Vec::new(),
    };
    if args.from_cluster {
        let resource = kube::api::ApiResource::erase::<
            perimeter_guard::perimeter::crd::DataPerimeterResource,
        >(&());
        let api: kube::Api<kube::api::DynamicObject> =
            kube::Api::all_with(client.clone(), &resource);
        let list = api
            .list(&Default::default())
            .await
            .context("listing DataPerimeter objects")?;
        for object in &list.items {
            match perimeter_guard::server::crd_watch::convert(object) {
                Ok(dp)
                    if perimeters
                        .iter()
                        .any(|p| p.metadata.name == dp.metadata.name) =>
                {
                    bail!(InvalidInput(format!(
                        "DataPerimeter {:?} is defined both in the file and as a custom resource",
                        dp.metadata.name
                    )));
                }
                Ok(dp) => perimeters.push(dp),
                Err(e) => eprintln!("warning: {e}; left out"),
            }
        }
    }
    if perimeters.is_empty() {
        bail!(InvalidInput(
            "no valid DataPerimeter to audit against".into()
        ));
    }
    let discovered = scan::discover(&client).await?;
    for absent in &discovered.absent {
        tracing::info!(group_version = %absent, "not served by this cluster; skipped");
    }
    let counter = Arc::new(AtomicUsize::new(0));
    let progress = {
        let counter = counter.clone();
        let terminal = std::io::stderr().is_terminal();
        tokio::spawn(async move {
            if terminal {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                loop {
                    bar.set_message(format!(
                        "{} objects scanned",
                        counter.load(Ordering::Relaxed)
                    ));
                    bar.tick();
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            } else {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                    eprintln!("audit: {} objects scanned", counter.load(Ordering::Relaxed));
                }
            }
        })
    };
    let options = scan::ScanOptions {
        namespaces: args.namespaces.clone(),
        page_size: args.page_size,
        concurrency: args.concurrency,
        qps: args.qps,
    };
    // Every object is folded into the summary and the reports as it is decided; only the per-object
    // outputs keep the verdicts, so `--output summary` holds no per-object state.
    let now = chrono::Utc::now();
    let stamp = Timestamp {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos() as i32,
    };
    let mut audit_summary = summary::AuditSummary::default();
    let mut builder = policy_reports::Builder::new(stamp, args.max_results_per_report);
    let mut kept: Vec<scan::Scanned> = Vec::new();
    let keep = args.output != AuditOutput::Summary;
    let listed = scan::scan(&client, &discovered.served, &perimeters, &options, |o| {
        counter.fetch_add(1, Ordering::Relaxed);
        audit_summary.add(&o);
        if args.write_reports {
            builder.add(&o);
        }
        if keep {
            kept.push(o);
        }
    })
    .await;
    progress.abort();
    let _ = progress.await;
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    listed?;
    let mut scanned = kept;
    scanned.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    let mut reports_written = None;
    if args.write_reports {
        let built = builder.finish();
        for b in built.iter().filter(|b| b.truncated()) {
            eprintln!(
                "warning: the report of {} holds {} of {} results (--max-results-per-report); its summary counts all",
                b.namespace.as_deref().unwrap_or("cluster-scoped objects"),
                b.results.len(),
                b.total
            );
        }
        let run: std::collections::BTreeMap<String, String> = [
            (
                "perimeterguard.io/audit-finished-at",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            (
                "perimeterguard.io/audit-duration-seconds",
                format!("{:.3}", started.elapsed().as_secs_f64()),
            ),
            (
                "perimeterguard.io/objects-scanned",
                audit_summary.objects.to_string(),
            ),
            (
                "perimeterguard.io/objects-violating",
                audit_summary.violating.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let written = policy_reports::write(&client, &built, &run).await?;
        reports_written = Some((written, built.iter().filter(|b| b.truncated()).count()));
    }
    let documents: Vec<input::Document> = scanned
        .iter()
        .map(|o| input::Document {
            source: match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.api_version, o.name),
                None => format!("{} {}", o.api_version, o.name),
            },
            line: 0,
            value: serde_json::Value::Null,
        })
        .collect();
    let results: Vec<report::Checked<'_>> = documents
        .iter()
        .zip(scanned)
        .map(|(document, o)| report::Checked {
            document,
            verdict: o.verdict,
        })
        .collect();
    let duration = started.elapsed().as_secs_f64();
    match args.output {
        AuditOutput::Text => {
            use std::io::IsTerminal as _;
            print!(
                "{}",
                report::text(&results, std::io::stdout().is_terminal())
            );
            print!("{}", audit_summary.text());
        }
        AuditOutput::Json => {
            let mut audit = serde_json::to_value(&audit_summary)?;
            audit["durationSeconds"] = duration.into();
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report::write_json(&mut out, &results, &[("audit", audit)])
                .context("writing the report")?;
            std::io::Write::flush(&mut out).context("writing the report")?;
        }
        AuditOutput::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&report::sarif(&results))?
        ),
        AuditOutput::Summary => print!("{}", audit_summary.text()),
    }
    // The run's figures, one line, for a CronJob's log (no Pushgateway needed).
    let mut figures = serde_json::json!({
        "objectsScanned": audit_summary.objects,
        "violating": audit_summary.violating,
        "findingsByRule": audit_summary.by_rule,
        "findingsByEnforcement": audit_summary.by_enforcement,
        "durationSeconds": (duration * 1000.0).round() / 1000.0,
        "finishedAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let Some((w, truncated)) = &reports_written {
        figures["reportsApplied"] = w.applied.into();
        figures["reportsDeleted"] = w.deleted.into();
        figures["reportsTruncated"] = (*truncated).into();
    }
    eprintln!("audit finished: {figures}");
    let fail_on = match args.fail_on {
        FailOnArg::Deny => report::FailOn::Deny,
        FailOnArg::Warn => report::FailOn::Warn,
        FailOnArg::Never => report::FailOn::Never,
    };
    let failed = if args.output == AuditOutput::Summary {
        let at_least = |e: &str| audit_summary.by_enforcement.get(e).copied().unwrap_or(0) > 0;
        match fail_on {
            report::FailOn::Deny => at_least("Deny"),
            report::FailOn::Warn => at_least("Deny") || at_least("Warn"),
            report::FailOn::Never => false,
        }
    } else {
        report::fails(&results, fail_on)
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C.
async fn termination() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; stopping only on Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
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
