//! Audit results as reports: one per namespace and one for cluster-scoped objects, in the
//! OpenReports format (`openreports.io/v1alpha1` Report and ClusterReport) and/or the Policy Working
//! Group's (`wgpolicyk8s.io/v1alpha2` PolicyReport and ClusterPolicyReport), owned by Perimeter
//! Guard, updated in place by server-side apply, with results for objects that no longer exist
//! dropped and reports of namespaces left without checked objects deleted. Never one object per
//! resource, and never one larger than its byte budget: etcd refuses a write over its request
//! limit (1.5 MiB by default), and the report would then not be written at all.

use std::collections::{BTreeMap, BTreeSet};

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::decision::ObjectVerdict;
use crate::perimeter::catalog::Severity;
use crate::perimeter::config::Enforcement;

use super::policy_report_types::{ReportResult, ReportSummary, ResourceRef, Timestamp};
use super::scan::Scanned;

/// The name of every report Perimeter Guard writes, and its field manager.
pub const REPORT_NAME: &str = "perimeter-guard";
pub const SOURCE: &str = "perimeter-guard";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// How much one report may hold: results (failures first) up to a count and a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBudget {
    pub max_results: usize,
    /// The report's serialised size, results and envelope, in bytes.
    pub max_bytes: usize,
}

/// 1 MiB: two thirds of etcd's default request limit, leaving room for the server's own fields
/// (`managedFields`, timestamps) and for annotations.
pub const DEFAULT_MAX_REPORT_BYTES: usize = 1 << 20;

/// What a report holds besides its results (metadata, annotations, summary), counted against the
/// byte budget before any result is.
const ENVELOPE_BYTES: usize = 4 * 1024;

/// A report ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// None for the ClusterPolicyReport.
    pub namespace: Option<String>,
    /// Counts over every result, kept or not.
    pub summary: ReportSummary,
    pub results: Vec<ReportResult>,
    /// Results before the cap.
    pub total: usize,
}

impl Built {
    pub fn truncated(&self) -> bool {
        self.total > self.results.len()
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

fn rank(result: &str) -> u8 {
    match result {
        "fail" => 0,
        "error" => 1,
        "warn" => 2,
        "pass" => 3,
        _ => 4,
    }
}

/// The results of every scanned object, grouped into reports; each report keeps at most
/// `max_results` results, failures first.
pub fn build(scanned: &[Scanned], now: &Timestamp, budget: ReportBudget) -> Vec<Built> {
    let mut builder = Builder::new(now.clone(), budget);
    for o in scanned {
        builder.add(o);
    }
    builder.finish()
}

/// Reports built one object at a time, holding at most `max_results` results per outcome and
/// report.
pub struct Builder {
    now: Timestamp,
    budget: ReportBudget,
    by_scope: BTreeMap<Option<String>, Scope>,
}

impl Builder {
    pub fn new(now: Timestamp, budget: ReportBudget) -> Self {
        Self {
            now,
            budget,
            by_scope: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, o: &Scanned) {
        let (now, budget, by_scope) = (&self.now, self.budget, &mut self.by_scope);
        let resource = ResourceRef {
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            uid: o.uid.clone(),
        };
        let result = |policy: &str, rule: &str, outcome: &str, message: String| ReportResult {
            policy: policy.to_owned(),
            rule: rule.to_owned(),
            result: outcome.to_owned(),
            severity: None,
            message,
            source: SOURCE.to_owned(),
            category: "data perimeter".to_owned(),
            scored: true,
            timestamp: Some(now.clone()),
            resources: vec![resource.clone()],
            properties: BTreeMap::new(),
        };
        let results = by_scope
            .entry(o.namespace.clone())
            .or_insert_with(|| Scope::new(budget));
        match &o.verdict {
            ObjectVerdict::Skipped { reason, .. } => {
                results.push(result(SOURCE, "", "skip", reason.clone()));
            }
            ObjectVerdict::Checked {
                perimeters,
                findings,
                ..
            } => {
                for f in findings {
                    let outcome = match (&f.waiver, f.enforcement) {
                        // Waived: still reported, with who answers for it, never dropped.
                        (Some(_), _) => "skip",
                        (None, Enforcement::Warn) => "warn",
                        // An Audit finding is a violation that is not enforced yet.
                        (None, Enforcement::Deny | Enforcement::Audit) => "fail",
                    };
                    let message = match &f.waiver {
                        Some(e) => format!("waived by {}: {}", e.describe(), f.message),
                        None => f.message.clone(),
                    };
                    let mut r = result(&f.perimeter, f.rule.id, outcome, message);
                    if let Some(e) = &f.waiver {
                        for (k, v) in [
                            ("exception", &e.name),
                            ("exceptionOwner", &e.spec.owner),
                            ("exceptionReason", &e.spec.reason),
                            ("exceptionExpiresAt", &e.spec.expires_at),
                        ] {
                            r.properties.insert(k.into(), v.clone());
                        }
                    }
                    r.severity = Some(severity(f.rule.severity).to_owned());
                    r.properties.insert("pointer".into(), f.pointer.clone());
                    r.properties
                        .insert("enforcement".into(), format!("{:?}", f.enforcement));
                    r.properties.insert("fix".into(), f.fix().to_owned());
                    if let Some(w) = &f.witness {
                        r.properties
                            .insert("witness".into(), w.to_json().to_string());
                    }
                    results.push(r);
                }
                // A perimeter with no finding on the object is a pass.
                for p in perimeters {
                    if !findings.iter().any(|f| &f.perimeter == p) {
                        results.push(result(
                            p,
                            "",
                            "pass",
                            "complies with the data perimeter".into(),
                        ));
                    }
                }
            }
        }
    }

    /// Every report, each cut to its budget: failures first, then by count, then by size.
    pub fn finish(self) -> Vec<Built> {
        let budget = self.budget;
        self.by_scope
            .into_iter()
            .map(|(namespace, scope)| {
                let mut size = ENVELOPE_BYTES;
                let results: Vec<ReportResult> = scope
                    .kept
                    .into_iter()
                    .flatten()
                    .take(budget.max_results)
                    .take_while(|(_, bytes)| {
                        size += bytes;
                        size <= budget.max_bytes
                    })
                    .map(|(r, _)| r)
                    .collect();
                Built {
                    namespace,
                    summary: scope.summary,
                    results,
                    total: scope.total,
                }
            })
            .collect()
    }
}

/// One report's results as they are built: every result counted, and per outcome at most what
/// the budget could hold kept (with its size), so a namespace of thousands of objects never holds
/// thousands of results at once.
struct Scope {
    summary: ReportSummary,
    total: usize,
    /// By [`rank`]: fail, error, warn, pass, skip; each result with its JSON's size and the
    /// comma before it.
    kept: [Vec<(ReportResult, usize)>; 5],
    kept_bytes: [usize; 5],
    budget: ReportBudget,
}

impl Scope {
    fn new(budget: ReportBudget) -> Self {
        Self {
            summary: ReportSummary::default(),
            total: 0,
            kept: Default::default(),
            kept_bytes: [0; 5],
            budget,
        }
    }

    fn push(&mut self, r: ReportResult) {
        match r.result.as_str() {
            "pass" => self.summary.pass += 1,
            "fail" => self.summary.fail += 1,
            "warn" => self.summary.warn += 1,
            "error" => self.summary.error += 1,
            _ => self.summary.skip += 1,
        }
        self.total += 1;
        let at = usize::from(rank(&r.result));
        if self.kept[at].len() < self.budget.max_results
            && self.kept_bytes[at] + ENVELOPE_BYTES <= self.budget.max_bytes
        {
            let bytes = serde_json::to_vec(&r).map_or(usize::MAX / 2, |v| v.len()) + 1;
            self.kept_bytes[at] += bytes;
            self.kept[at].push((r, bytes));
        }
    }
}

/// A report format: its group, version and the kinds of its namespaced and cluster reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `openreports.io/v1alpha1` Report and ClusterReport, which Kyverno and Kubewarden moved to.
    OpenReports,
    /// `wgpolicyk8s.io/v1alpha2` PolicyReport and ClusterPolicyReport.
    Wgpolicyk8s,
}

/// Which formats to write: `Auto` is OpenReports when the cluster serves it, else wgpolicyk8s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    OpenReports,
    Wgpolicyk8s,
    Both,
}

impl ReportFormat {
    pub fn api_version(self) -> &'static str {
        match self {
            ReportFormat::OpenReports => "openreports.io/v1alpha1",
            ReportFormat::Wgpolicyk8s => "wgpolicyk8s.io/v1alpha2",
        }
    }

    /// The namespaced kind and the cluster-scoped one.
    pub fn kinds(self) -> (&'static str, &'static str) {
        match self {
            ReportFormat::OpenReports => ("Report", "ClusterReport"),
            ReportFormat::Wgpolicyk8s => ("PolicyReport", "ClusterPolicyReport"),
        }
    }

    fn resources(self) -> (ApiResource, ApiResource) {
        let (group, version) = self.api_version().split_once('/').unwrap_or_default();
        let (namespaced, cluster) = self.kinds();
        let resource = |kind: &str| {
            let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
            ApiResource::from_gvk_with_plural(&gvk, &format!("{}s", kind.to_lowercase()))
        };
        (resource(namespaced), resource(cluster))
    }

    /// How to install its CRDs, for the error when the cluster does not serve them.
    fn install_hint(self) -> &'static str {
        match self {
            ReportFormat::OpenReports => {
                "install the OpenReports CRDs (openreports.io), or choose --report-format wgpolicyk8s"
            }
            ReportFormat::Wgpolicyk8s => {
                "install the PolicyReport CRDs (the chart's policyReports.installCRDs, or `perimeter-guard policy-report-crds | kubectl apply -f -`)"
            }
        }
    }
}

/// The formats to write in this cluster.
pub async fn formats(
    client: &kube::Client,
    choice: FormatChoice,
) -> Result<Vec<ReportFormat>, WriteError> {
    Ok(match choice {
        FormatChoice::OpenReports => vec![ReportFormat::OpenReports],
        FormatChoice::Wgpolicyk8s => vec![ReportFormat::Wgpolicyk8s],
        FormatChoice::Both => vec![ReportFormat::OpenReports, ReportFormat::Wgpolicyk8s],
        FormatChoice::Auto => {
            let (namespaced, _) = ReportFormat::OpenReports.resources();
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &namespaced);
            match api.list(&ListParams::default().limit(1)).await {
                Ok(_) => vec![ReportFormat::OpenReports],
                Err(kube::Error::Api(s)) if s.code == 404 => vec![ReportFormat::Wgpolicyk8s],
                Err(source) => {
                    return Err(WriteError::Api {
                        what: "finding whether the cluster serves OpenReports".into(),
                        source,
                    });
                }
            }
        }
    })
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the cluster does not serve {api_version} {kind}: {hint}")]
    NoCrd {
        api_version: &'static str,
        kind: &'static str,
        hint: &'static str,
    },
    #[error("writing {what}: {source}")]
    Api { what: String, source: kube::Error },
}

/// What writing changed, and the reports that could not be written (the others were).
#[derive(Debug, Default)]
pub struct Written {
    pub applied: usize,
    pub deleted: usize,
    pub failed: Vec<WriteError>,
}

/// Applies every report in every format and deletes Perimeter Guard's reports that this run did
/// not write. `run` annotates every report with the run's figures (`perimeterguard.io/...`), so
/// the last successful audit can be read and alerted on from the reports themselves. A report
/// that cannot be written is recorded in [`Written::failed`] and the others are still written;
/// only a format whose kind the cluster does not serve stops the writing, as an error.
pub async fn write(
    client: &kube::Client,
    built: &[Built],
    run: &BTreeMap<String, String>,
    formats: &[ReportFormat],
) -> Result<Written, WriteError> {
    let mut written = Written::default();
    for &format in formats {
        write_format(client, built, run, format, &mut written).await?;
    }
    Ok(written)
}

async fn write_format(
    client: &kube::Client,
    built: &[Built],
    run: &BTreeMap<String, String>,
    format: ReportFormat,
    written: &mut Written,
) -> Result<(), WriteError> {
    let (namespaced, cluster) = format.resources();
    let (namespaced_kind, cluster_kind) = format.kinds();
    let params = PatchParams::apply(SOURCE).force();
    for b in built {
        let (api, kind, what): (Api<DynamicObject>, &'static str, String) = match &b.namespace {
            Some(ns) => (
                Api::namespaced_with(client.clone(), ns, &namespaced),
                namespaced_kind,
                format!("{namespaced_kind} {ns}/{REPORT_NAME}"),
            ),
            None => (
                Api::all_with(client.clone(), &cluster),
                cluster_kind,
                format!("{cluster_kind} {REPORT_NAME}"),
            ),
        };
        let mut annotations = run.clone();
        annotations.insert(
            LEFT_OUT_ANNOTATION.into(),
            (b.total - b.results.len()).to_string(),
        );
        let mut body = json!({
            "apiVersion": format.api_version(),
            "kind": kind,
            "metadata": {
                "name": REPORT_NAME,
                "labels": {MANAGED_BY_LABEL: SOURCE},
                "annotations": annotations,
            },
            "summary": b.summary,
            "results": b.results,
        });
        if format == ReportFormat::OpenReports {
            body["source"] = SOURCE.into();
        }
        match api.patch(REPORT_NAME, &params, &Patch::Apply(&body)).await {
            Ok(_) => written.applied += 1,
            // Apply creates a missing object, so a 404 means the kind itself is not served.
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(WriteError::NoCrd {
                    api_version: format.api_version(),
                    kind,
                    hint: format.install_hint(),
                });
            }
            Err(source) => {
                tracing::error!(report = %what, error = %source, "report not written; the others are");
                written.failed.push(WriteError::Api { what, source });
            }
        }
    }
    // Reports of namespaces (or the cluster) that no longer hold checked objects. One whose new
    // report could not be written keeps its old one, which is better than none.
    let scopes: BTreeSet<Option<String>> = built.iter().map(|b| b.namespace.clone()).collect();
    let selector = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}={SOURCE}"));
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &namespaced);
    let existing = match all.list(&selector).await {
        Ok(list) => list.items,
        Err(source) => {
            written.failed.push(WriteError::Api {
                what: format!("listing {namespaced_kind}s"),
                source,
            });
            Vec::new()
        }
    };
    for report in existing {
        let ns = report.metadata.namespace.clone().unwrap_or_default();
        if report.metadata.name.as_deref() == Some(REPORT_NAME)
            && !scopes.contains(&Some(ns.clone()))
        {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &namespaced);
            match api.delete(REPORT_NAME, &DeleteParams::default()).await {
                Ok(_) => written.deleted += 1,
                Err(source) => written.failed.push(WriteError::Api {
                    what: format!("deleting {namespaced_kind} {ns}/{REPORT_NAME}"),
                    source,
                }),
            }
        }
    }
    if !scopes.contains(&None) {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &cluster);
        match api.delete(REPORT_NAME, &DeleteParams::default()).await {
            Ok(_) => written.deleted += 1,
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(source) => written.failed.push(WriteError::Api {
                what: format!("deleting {cluster_kind} {REPORT_NAME}"),
                source,
            }),
        }
    }
    Ok(())
}

/// How many results a report leaves out (over its count or byte budget); its summary counts them.
pub const LEFT_OUT_ANNOTATION: &str = "perimeterguard.io/results-left-out";

#[cfg(test)]
mod tests;
