//! The command line: every subcommand's arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::iam::PolicyKind;

/// The exit codes, the same for every command (see [`super::ExitStatus`]).
pub const EXIT_STATUS_HELP: &str = "Exit status:
  0  decided: compliant, nothing at or above --fail-on, or the command did its work
  1  findings: a policy or object violates the perimeter (at or above --fail-on)
  2  error: unreadable input, an invalid perimeter or policy, a policy too complex to decide,
     or a cluster that cannot be reached (check reports every input it could read first;
     2 wins over 1)";

/// Keeps an AWS data perimeter intact for Crossplane and ACK resources.
#[derive(Parser)]
#[command(
    name = "perimeter-guard",
    version,
    about,
    after_help = EXIT_STATUS_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Evaluate one request against one policy, as AWS would, and show the deciding statements.
    Simulate(SimulateArgs),
    /// Check Kubernetes manifests (files, directories, stdin) against the data perimeter.
    Check(CheckArgs),
    /// Decide whether a policy allows any request outside the data perimeter, and show it.
    Analyze(AnalyzeArgs),
    /// Serve the HTTPS validating admission webhook.
    Serve(Box<ServeArgs>),
    /// Check every object already in a cluster, and optionally write reports (OpenReports or
    /// PolicyReports) or Security Hub findings.
    Audit(Box<AuditArgs>),
    /// Print the PolicyReport and ClusterPolicyReport CRDs (wgpolicyk8s.io/v1alpha2) the audit
    /// writes, for clusters that do not have them yet.
    PolicyReportCrds,
    /// Print a CustomResourceDefinition (generated from the Rust type): DataPerimeter, or
    /// PerimeterException.
    Crd(CrdArgs),
    /// Print the JSON Schema of a DataPerimeter document (for editors and CI linters; generated
    /// from the Rust type, as the CRD is).
    Schema,
    /// Print the webhook rules for every checked kind (the Helm chart's rule list).
    WebhookRules,
    /// Print the version.
    Version,
}

#[derive(clap::Args)]
pub struct CrdArgs {
    #[arg(value_enum, default_value_t = CrdKind::DataPerimeter)]
    pub kind: CrdKind,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrdKind {
    #[value(name = "DataPerimeter")]
    DataPerimeter,
    #[value(name = "PerimeterException")]
    PerimeterException,
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// What the policy is attached to.
    #[arg(long, value_enum)]
    pub kind: PolicyKindArg,
    /// The policy document (JSON), or `-` for standard input.
    pub policy: PathBuf,
    /// The request (YAML or JSON), or `-` for standard input.
    #[arg(long)]
    pub request: PathBuf,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// DataPerimeter YAML file or directory, or `-` for standard input; repeatable. Every
    /// applicable perimeter must pass.
    #[arg(long, required_unless_present = "from_cluster")]
    pub perimeter: Vec<PathBuf>,
    /// Also read the DataPerimeter and PerimeterException custom resources of the cluster (the
    /// kubeconfig's current context): check against exactly what the cluster enforces. Prints
    /// the configuration's hash, the one the webhook gives in its audit annotations.
    #[arg(long)]
    pub from_cluster: bool,
    /// Kubeconfig file for --from-cluster (default: KUBECONFIG or ~/.kube/config).
    #[arg(long, requires = "from_cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --from-cluster (default: the current one).
    #[arg(long, requires = "from_cluster")]
    pub context: Option<String>,
    /// A YAML or JSON file, a directory (read recursively), or `-` for standard input.
    #[arg(short = 'f', long = "filename", default_value = "-")]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckOutput::Text)]
    pub output: CheckOutput,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub exceptions: ExceptionArgs,
}

/// Where PerimeterExceptions come from, and how long one may last: the same for `check`,
/// `audit` and `serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExceptionArgs {
    /// PerimeterException YAML file or directory; repeatable.
    #[arg(
        long = "exceptions",
        env = "PERIMETER_GUARD_EXCEPTIONS",
        value_delimiter = ','
    )]
    pub paths: Vec<PathBuf>,
    /// The most days an exception may end after its creation; one that ends later is rejected.
    #[arg(long, env = "PERIMETER_GUARD_MAX_EXCEPTION_DAYS", default_value_t = crate::perimeter::exception::DEFAULT_MAX_DAYS)]
    pub max_exception_days: u32,
}

/// Every flag can also be given as the `PERIMETER_GUARD_*` environment variable named in its help;
/// lists are comma-separated there.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// DataPerimeter YAML file or directory, hot-reloaded; repeatable.
    #[arg(long, env = "PERIMETER_GUARD_PERIMETER", value_delimiter = ',')]
    pub perimeter: Vec<PathBuf>,
    /// Serving certificate (PEM, leaf first), reloaded when it changes.
    #[arg(long, env = "PERIMETER_GUARD_TLS_CERT_FILE")]
    pub tls_cert_file: PathBuf,
    /// Serving key (PEM), reloaded when it changes.
    #[arg(long, env = "PERIMETER_GUARD_TLS_KEY_FILE")]
    pub tls_key_file: PathBuf,
    /// Require clients (the API server) to present a certificate issued by one of these CAs.
    #[arg(long, env = "PERIMETER_GUARD_CLIENT_CA_FILE")]
    pub client_ca_file: Option<PathBuf>,
    /// Address of the HTTPS webhook.
    #[arg(long, env = "PERIMETER_GUARD_LISTEN", default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,
    /// Address of the plain-HTTP /healthz, /readyz and /metrics.
    #[arg(
        long,
        env = "PERIMETER_GUARD_HEALTH_LISTEN",
        default_value = "0.0.0.0:8080"
    )]
    pub health_listen: std::net::SocketAddr,
    /// Also read cluster-scoped DataPerimeter custom resources, watched through the API server.
    #[arg(long, env = "PERIMETER_GUARD_WATCH_CRDS")]
    pub watch_crds: bool,
    /// Namespaces never checked (defence in depth behind the webhook's namespaceSelector).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_NAMESPACES", value_delimiter = ',')]
    pub exempt_namespace: Vec<String>,
    /// Users never checked (e.g. a break-glass account).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_USERS", value_delimiter = ',')]
    pub exempt_user: Vec<String>,
    /// Groups never checked (e.g. a break-glass group).
    #[arg(long, env = "PERIMETER_GUARD_EXEMPT_GROUPS", value_delimiter = ',')]
    pub exempt_group: Vec<String>,
    /// Let the object label `perimeterguard.io/exempt: "<reason>"` exempt an object.
    #[arg(long, env = "PERIMETER_GUARD_ALLOW_EXEMPT_LABEL")]
    pub allow_exempt_label: bool,
    /// Longest time to answer a review; past it the API server applies the failurePolicy.
    #[arg(long, env = "PERIMETER_GUARD_REQUEST_TIMEOUT", default_value = "4s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Reviews evaluated at once (default: the number of CPUs).
    #[arg(long, env = "PERIMETER_GUARD_MAX_CONCURRENCY")]
    pub max_concurrency: Option<usize>,
    /// Requests held at once (reading, queued, evaluating); more get an immediate 503.
    #[arg(long, env = "PERIMETER_GUARD_MAX_PENDING", default_value_t = 256)]
    pub max_pending: usize,
    /// Bytes of request bodies held at once (by declared length); a request past it gets an
    /// immediate 503. At least --max-body-bytes.
    #[arg(long, env = "PERIMETER_GUARD_MAX_PENDING_BYTES", default_value_t = crate::server::router::DEFAULT_MAX_PENDING_BYTES)]
    pub max_pending_bytes: usize,
    /// Memory for remembered decisions, in bytes (object text plus about 2 KiB per entry); 0 turns
    /// the decision cache off.
    #[arg(long, env = "PERIMETER_GUARD_DECISION_CACHE_BYTES", default_value_t = crate::admission::DEFAULT_CAPACITY_BYTES)]
    pub decision_cache_bytes: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PERIMETER_GUARD_MAX_BODY_BYTES", default_value_t = crate::server::router::DEFAULT_MAX_BODY)]
    pub max_body_bytes: usize,
    /// How often certificate and configuration files are checked for changes.
    #[arg(long, env = "PERIMETER_GUARD_RELOAD_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    pub reload_interval: std::time::Duration,
    /// After SIGTERM, keep accepting this long (readiness already failing) before closing.
    #[arg(long, env = "PERIMETER_GUARD_SHUTDOWN_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub shutdown_delay: std::time::Duration,
    /// After closing, the longest wait for in-flight reviews.
    #[arg(long, env = "PERIMETER_GUARD_SHUTDOWN_GRACE", default_value = "20s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: std::time::Duration,
    /// Log format.
    #[arg(long, env = "PERIMETER_GUARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub exceptions: ExceptionArgs,
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// Kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current one).
    #[arg(long)]
    pub context: Option<String>,
    /// DataPerimeter YAML file or directory; repeatable.
    #[arg(long, required_unless_present = "from_cluster")]
    pub perimeter: Vec<PathBuf>,
    /// Read the DataPerimeter custom resources (as well, with --perimeter).
    #[arg(long)]
    pub from_cluster: bool,
    /// Only these namespaces (cluster-scoped kinds are then left out); repeatable.
    #[arg(long = "namespace", short = 'n')]
    pub namespaces: Vec<String>,
    #[arg(long, value_enum, default_value_t = AuditOutput::Text)]
    pub output: AuditOutput,
    /// Write reports: one per namespace, and one for cluster-scoped objects (see
    /// --report-format).
    #[arg(long)]
    pub write_reports: bool,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    pub fail_on: FailOn,
    /// Objects per list request.
    #[arg(long, default_value_t = 500)]
    pub page_size: u32,
    /// Kinds listed at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// List requests per second, at most.
    #[arg(long, default_value_t = 20.0)]
    pub qps: f64,
    /// Results kept per report (failures first); the summary counts all.
    #[arg(long, default_value_t = 1000)]
    pub max_results_per_report: usize,
    /// The most bytes one report may take (failures kept first); its summary counts every result
    /// and an annotation says how many were left out. Keep it well under etcd's request limit
    /// (1.5 MiB by default).
    #[arg(long, default_value_t = crate::audit::policy_reports::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_bytes: usize,
    /// Report format: OpenReports (`openreports.io/v1alpha1`), wgpolicyk8s
    /// (`wgpolicyk8s.io/v1alpha2` PolicyReports), both, or auto: OpenReports when the cluster
    /// serves it, else wgpolicyk8s.
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Auto)]
    pub report_format: ReportFormatArg,
    /// The cluster's name on every report and finding (default: the API server's address).
    #[arg(long)]
    pub cluster_name: Option<String>,
    /// The account Security Hub findings are imported into (--output asff).
    #[arg(long, value_name = "ACCOUNT")]
    pub aws_account_id: Option<String>,
    /// The Region Security Hub findings are imported into (--output asff).
    #[arg(long, value_name = "REGION")]
    pub aws_region: Option<String>,
    /// The previous run's --output asff: findings gone since are sent once more as ARCHIVED,
    /// and the others keep their CreatedAt.
    #[arg(long, value_name = "FILE")]
    pub asff_previous: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub exceptions: ExceptionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    Auto,
    Openreports,
    Wgpolicyk8s,
    Both,
}

/// The least severe finding that fails the run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Deny,
    Warn,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditOutput {
    Text,
    Json,
    Sarif,
    /// The summary alone, keeping no per-object result in memory (for large clusters and jobs).
    Summary,
    /// AWS Security Hub findings (ASFF), one JSON array of at most 100 per line, for
    /// `aws securityhub batch-import-findings`; needs --aws-account-id and --aws-region.
    Asff,
}

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// What the policy is attached to.
    #[arg(long, value_enum)]
    pub kind: AttachedKind,
    /// DataPerimeter YAML file or directory, or `-` for standard input; repeatable. Every
    /// perimeter must be satisfied.
    #[arg(long, required = true)]
    pub perimeter: Vec<PathBuf>,
    /// The bucket the policy is attached to, when known (bucket policies).
    #[arg(long)]
    pub bucket: Option<String>,
    /// The endpoint's id, when known (endpoint policies).
    #[arg(long)]
    pub endpoint_id: Option<String>,
    /// The endpoint's VPC, when known (endpoint policies); a VPC-origin access point's VPC
    /// (access point policies).
    #[arg(long)]
    pub vpc_id: Option<String>,
    /// The access point's ARN (access point policies): its kind (regional, Multi-Region, Object
    /// Lambda), Region, owner and name. Without it, the policy's own Resource ARNs tell.
    #[arg(long, value_name = "ARN")]
    pub access_point: Option<String>,
    /// The endpoint's service name, e.g. `com.amazonaws.eu-west-1.ecr.api` (endpoint policies):
    /// requests through it are that service's, with its real actions and resource ARNs. Without
    /// it, or for a service without a table, every service the policy names is considered.
    #[arg(long, value_name = "com.amazonaws.REGION.SERVICE")]
    pub service: Option<String>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
    /// The policy document (JSON), or `-` for standard input.
    pub policy: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AttachedKind {
    #[value(name = "bucket-policy")]
    Bucket,
    #[value(name = "endpoint-policy")]
    Endpoint,
    #[value(name = "access-point-policy")]
    AccessPoint,
    /// An AWS Organizations resource control policy, judged as a guardrail.
    #[value(name = "resource-control-policy")]
    ResourceControl,
    /// An AWS Organizations service control policy, judged as a guardrail.
    #[value(name = "service-control-policy")]
    ServiceControl,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PolicyKindArg {
    #[value(name = "bucket-policy")]
    Bucket,
    #[value(name = "endpoint-policy")]
    Endpoint,
    #[value(name = "resource-policy")]
    Resource,
    #[value(name = "identity-policy")]
    Identity,
}

impl From<PolicyKindArg> for PolicyKind {
    fn from(k: PolicyKindArg) -> Self {
        match k {
            PolicyKindArg::Bucket => PolicyKind::BucketPolicy,
            PolicyKindArg::Endpoint => PolicyKind::EndpointPolicy,
            PolicyKindArg::Resource => PolicyKind::ResourcePolicy,
            PolicyKindArg::Identity => PolicyKind::IdentityPolicy,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}
