//! One audit of a cluster, from the kubeconfig to the written PolicyReports: what `audit` and the
//! chart's CronJob run. Rendering the results is the caller's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kube::api::{ApiResource, DynamicObject};

use crate::perimeter::crd::{DataPerimeterResource, from_object};
use crate::perimeter::exception::{
    self, Exceptions, PerimeterException, PerimeterExceptionResource,
};
use crate::perimeter::load::{self, LoadError};
use crate::perimeter::{ConfigError, DataPerimeter};

use super::policy_report_types::Timestamp;
use super::policy_reports::{self, FormatChoice, ReportBudget, ReportFormat, WriteError, Written};
use super::scan::{self, ScanError, ScanOptions, Scanned};
use super::summary::AuditSummary;

/// Which cluster, as kubectl chooses it.
#[derive(Debug, Clone, Default)]
pub struct ClusterAccess {
    /// Kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account).
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current one).
    pub context: Option<String>,
}

/// Where the configuration comes from: files, and with `from_cluster` the cluster's custom
/// resources, as the webhook reads them. `audit` and `check --from-cluster` share it.
#[derive(Debug, Clone)]
pub struct ConfigSources {
    /// DataPerimeter files and directories, read as every command reads them.
    pub perimeter_paths: Vec<PathBuf>,
    /// Also read the cluster's DataPerimeter and PerimeterException custom resources.
    pub from_cluster: bool,
    /// PerimeterException files and directories.
    pub exception_paths: Vec<PathBuf>,
    pub max_exception_days: u32,
    /// When exceptions are judged (and when a file's exception counts as created).
    pub now: jiff::Timestamp,
}

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub cluster: ClusterAccess,
    pub config: ConfigSources,
    pub scan: ScanOptions,
    /// Write PolicyReports (one per namespace) and a ClusterPolicyReport.
    pub write_reports: bool,
    /// What one report may hold (failures first); its summary counts all.
    pub budget: ReportBudget,
    /// Which report formats to write.
    pub report_format: FormatChoice,
    /// The cluster's name on every report (the API server's address when not given).
    pub cluster_name: Option<String>,
    /// Keep every object's result for the caller; without it only the summary is kept, so a
    /// large cluster costs no per-object memory.
    pub keep_results: bool,
}

/// What one audit found and did.
#[derive(Debug)]
pub struct AuditRun {
    pub summary: AuditSummary,
    /// Every object's result, sorted by namespace, kind and name (empty unless `keep_results`).
    pub results: Vec<Scanned>,
    /// Kinds the cluster does not serve, as `group/version`.
    pub absent_kinds: Vec<String>,
    pub reports: Option<ReportsWritten>,
    pub duration: Duration,
    /// The cluster's name as the reports give it, and the configuration's hash (the webhook's).
    pub cluster: String,
    pub config_hash: String,
    /// The instant the objects were decided at.
    pub decided_at: jiff::Timestamp,
}

#[derive(Debug)]
pub struct ReportsWritten {
    pub written: Written,
    pub formats: Vec<ReportFormat>,
    /// Reports that hold fewer results than they count, with the namespace (`None`: the
    /// ClusterPolicyReport), the results kept and the total.
    pub truncated: Vec<(Option<String>, usize, usize)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("reading {path}: {source}")]
    Kubeconfig {
        path: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("loading the kubeconfig: {0}")]
    KubeconfigLoad(#[source] kube::config::KubeconfigError),
    #[error("finding a cluster (kubeconfig or in-cluster service account): {0}")]
    NoCluster(#[source] kube::config::InferConfigError),
    #[error("connecting to the API server: {0}")]
    Connect(#[source] kube::Error),
    #[error(transparent)]
    Perimeter(#[from] LoadError),
    #[error("{server}: listing DataPerimeter objects: {source}")]
    ListPerimeters {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("{server}: listing PerimeterException objects: {source}")]
    ListExceptions {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("PerimeterException {0:?} is defined both in a file and as a custom resource")]
    ExceptionInFileAndCluster(String),
    #[error("DataPerimeter {0:?} is defined both in the file and as a custom resource")]
    DefinedInFileAndCluster(String),
    #[error("no valid DataPerimeter to audit against")]
    NoPerimeter,
    #[error("{server}: {source}")]
    Scan {
        server: String,
        #[source]
        source: ScanError,
    },
    #[error("{server}: {source}")]
    WriteReports {
        server: String,
        #[source]
        source: WriteError,
    },
}

impl AuditError {
    /// Whether the error is in what the user gave (the perimeter), rather than in reaching or
    /// using the cluster.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            AuditError::Perimeter(_)
                | AuditError::DefinedInFileAndCluster(_)
                | AuditError::ExceptionInFileAndCluster(_)
                | AuditError::NoPerimeter
        )
    }
}

/// Audits the cluster: every checked object, decided as the webhook would. `scanned` counts the
/// objects as they are decided, for a progress display; `left_out` hears of every DataPerimeter
/// custom resource that is not valid, as it is found (so it is said even when the audit then
/// fails).
pub async fn run(
    options: &AuditOptions,
    scanned: &AtomicUsize,
    left_out: &dyn Fn(&ConfigError),
) -> Result<AuditRun, AuditError> {
    let started = Instant::now();
    let (client, server) = connect(&options.cluster).await?;
    let scan_error = |source| AuditError::Scan {
        server: server.clone(),
        source,
    };
    let (perimeters, exceptions) =
        configuration(&options.config, &client, &server, left_out).await?;
    let now = options.config.now;
    let scan_options = ScanOptions {
        exceptions,
        now,
        ..options.scan.clone()
    };
    let cluster = options
        .cluster_name
        .clone()
        .unwrap_or_else(|| server.clone());
    let config_hash = load::configuration_hash(&perimeters, &scan_options.exceptions);
    let discovered = scan::discover(&client).await.map_err(scan_error)?;
    let stamp = Timestamp {
        seconds: now.as_second(),
        nanos: now.subsec_nanosecond(),
    };
    // Every object is folded into the summary and the reports as it is decided; only
    // `keep_results` keeps the verdicts.
    let mut summary = AuditSummary::default();
    let mut builder = policy_reports::Builder::new(stamp, options.budget);
    let mut results: Vec<Scanned> = Vec::new();
    scan::scan(
        &client,
        &discovered.served,
        &perimeters,
        &scan_options,
        |o| {
            scanned.fetch_add(1, Ordering::Relaxed);
            summary.add(&o);
            if options.write_reports {
                builder.add(&o);
            }
            if options.keep_results {
                results.push(o);
            }
        },
    )
    .await
    .map_err(scan_error)?;
    results.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    let mut reports = None;
    if options.write_reports {
        let built = builder.finish();
        let truncated = built
            .iter()
            .filter(|b| b.truncated())
            .map(|b| (b.namespace.clone(), b.results.len(), b.total))
            .collect();
        let figures: BTreeMap<String, String> = [
            (
                "perimeterguard.io/audit-finished-at",
                crate::time::now_rfc3339_seconds(),
            ),
            (
                "perimeterguard.io/audit-duration-seconds",
                format!("{:.3}", started.elapsed().as_secs_f64()),
            ),
            (
                "perimeterguard.io/objects-scanned",
                summary.objects.to_string(),
            ),
            (
                "perimeterguard.io/objects-violating",
                summary.violating.to_string(),
            ),
            ("perimeterguard.io/cluster", cluster.clone()),
            ("perimeterguard.io/config-hash", config_hash.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let write_error = |source| AuditError::WriteReports {
            server: server.clone(),
            source,
        };
        let formats = policy_reports::formats(&client, options.report_format)
            .await
            .map_err(write_error)?;
        let written = policy_reports::write(&client, &built, &figures, &formats)
            .await
            .map_err(write_error)?;
        reports = Some(ReportsWritten {
            written,
            truncated,
            formats,
        });
    }
    Ok(AuditRun {
        summary,
        results,
        absent_kinds: discovered.absent,
        reports,
        duration: started.elapsed(),
        cluster,
        config_hash,
        decided_at: now,
    })
}

/// The perimeters and exceptions `sources` name, as the webhook would have them.
pub async fn configuration(
    sources: &ConfigSources,
    client: &kube::Client,
    server: &str,
    left_out: &dyn Fn(&ConfigError),
) -> Result<(Vec<DataPerimeter>, Exceptions), AuditError> {
    let perimeters = perimeters(sources, client, server, left_out).await?;
    let exceptions = exceptions(sources, client, server, left_out).await?;
    Ok((perimeters, exceptions))
}

/// The client, and the API server's address for messages.
pub async fn connect(access: &ClusterAccess) -> Result<(kube::Client, String), AuditError> {
    let options = kube::config::KubeConfigOptions {
        context: access.context.clone(),
        ..Default::default()
    };
    let config = match &access.kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path).map_err(|source| {
                AuditError::Kubeconfig {
                    path: path.display().to_string(),
                    source,
                }
            })?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(AuditError::KubeconfigLoad)?
        }
        None if access.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(AuditError::KubeconfigLoad)?,
        None => kube::Config::infer().await.map_err(AuditError::NoCluster)?,
    };
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(AuditError::Connect)?;
    Ok((client, server))
}

/// The exceptions the webhook would apply: the files', and the valid custom resources with
/// `from_cluster` (a cluster that does not serve the kind has none; invalid ones go to
/// `left_out`).
async fn exceptions(
    options: &ConfigSources,
    client: &kube::Client,
    server: &str,
    left_out: &dyn Fn(&ConfigError),
) -> Result<Exceptions, AuditError> {
    let limits = exception::ExpiryLimits {
        now: options.now,
        max_days: options.max_exception_days,
    };
    let mut all: Vec<PerimeterException> = exception::load_paths(&options.exception_paths, limits)?
        .iter()
        .map(|e| e.as_ref().clone())
        .collect();
    if options.from_cluster {
        let resource = ApiResource::erase::<PerimeterExceptionResource>(&());
        let api: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &resource);
        let items = match api.list(&Default::default()).await {
            Ok(list) => list.items,
            Err(kube::Error::Api(s)) if s.code == 404 => Vec::new(),
            Err(source) => {
                return Err(AuditError::ListExceptions {
                    server: server.to_owned(),
                    source,
                });
            }
        };
        for object in &items {
            match exception::from_object(object, limits) {
                Ok(e) if all.iter().any(|o| o.name == e.name) => {
                    return Err(AuditError::ExceptionInFileAndCluster(e.name));
                }
                Ok(e) => all.push(e),
                Err(e) => left_out(&e),
            }
        }
    }
    Ok(Exceptions::new(all))
}

/// The perimeters to audit against: the files, and the valid custom resources with
/// `from_cluster` (the invalid ones go to `left_out`).
async fn perimeters(
    options: &ConfigSources,
    client: &kube::Client,
    server: &str,
    left_out: &dyn Fn(&ConfigError),
) -> Result<Vec<DataPerimeter>, AuditError> {
    let mut perimeters = if options.perimeter_paths.is_empty() {
        Vec::new()
    } else {
        load::load(&options.perimeter_paths, &mut std::io::stdin())?
    };
    if options.from_cluster {
        let resource = ApiResource::erase::<DataPerimeterResource>(&());
        let api: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &resource);
        let list =
            api.list(&Default::default())
                .await
                .map_err(|source| AuditError::ListPerimeters {
                    server: server.to_owned(),
                    source,
                })?;
        for object in &list.items {
            match from_object(object) {
                Ok(dp)
                    if perimeters
                        .iter()
                        .any(|p| p.metadata.name == dp.metadata.name) =>
                {
                    return Err(AuditError::DefinedInFileAndCluster(dp.metadata.name));
                }
                Ok(dp) => perimeters.push(dp),
                Err(e) => left_out(&e),
            }
        }
    }
    if perimeters.is_empty() {
        return Err(AuditError::NoPerimeter);
    }
    Ok(perimeters)
}
