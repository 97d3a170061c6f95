//! Audit results as PolicyReports: one per namespace and one ClusterPolicyReport for
//! cluster-scoped objects, owned by Perimeter Guard, updated in place by server-side apply, with
//! results for objects that no longer exist dropped and reports of namespaces left without checked
//! objects deleted. Never one object per resource.

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
pub fn build(scanned: &[Scanned], now: &Timestamp, max_results: usize) -> Vec<Built> {
    let mut builder = Builder::new(now.clone(), max_results);
    for o in scanned {
        builder.add(o);
    }
    builder.finish()
}

/// Reports built one object at a time, holding at most `max_results` results per outcome and
/// report.
pub struct Builder {
    now: Timestamp,
    max_results: usize,
    by_scope: BTreeMap<Option<String>, Scope>,
}

impl Builder {
    pub fn new(now: Timestamp, max_results: usize) -> Self {
        Self {
            now,
            max_results,
            by_scope: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, o: &Scanned) {
        let (now, max_results, by_scope) = (&self.now, self.max_results, &mut self.by_scope);
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
            .or_insert_with(|| Scope::new(max_results));
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

    pub fn finish(self) -> Vec<Built> {
        let max_results = self.max_results;
        self.by_scope
            .into_iter()
            .map(|(namespace, scope)| {
                let mut results: Vec<ReportResult> = scope.kept.into_iter().flatten().collect();
                results.truncate(max_results);
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

/// One report's results as they are built: every result counted, at most `max` kept per outcome,
/// so a namespace of thousands of objects never holds thousands of results at once.
struct Scope {
    summary: ReportSummary,
    total: usize,
    /// By [`rank`]: fail, error, warn, pass, skip.
    kept: [Vec<ReportResult>; 5],
    max: usize,
}

impl Scope {
    fn new(max: usize) -> Self {
        Self {
            summary: ReportSummary::default(),
            total: 0,
            kept: Default::default(),
            max,
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
        let bucket = &mut self.kept[usize::from(rank(&r.result))];
        if bucket.len() < self.max {
            bucket.push(r);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "the cluster does not serve wgpolicyk8s.io/v1alpha2 {0}: install the PolicyReport CRDs (the chart's policyReports.installCRDs, or `perimeter-guard policy-report-crds | kubectl apply -f -`)"
    )]
    NoCrd(&'static str),
    #[error("writing {what}: {source}")]
    Api { what: String, source: kube::Error },
}

/// What writing changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub applied: usize,
    pub deleted: usize,
}

fn resources() -> (ApiResource, ApiResource) {
    (
        ApiResource::erase::<super::policy_report_types::PolicyReport>(&()),
        ApiResource::erase::<super::policy_report_types::ClusterPolicyReport>(&()),
    )
}

/// Applies every report and deletes Perimeter Guard's reports that this run did not write.
/// `run` annotates every report with the run's figures (`perimeterguard.io/...`), so the last
/// successful audit can be read and alerted on from the reports themselves.
pub async fn write(
    client: &kube::Client,
    built: &[Built],
    run: &BTreeMap<String, String>,
) -> Result<Written, WriteError> {
    let (namespaced, cluster) = resources();
    let params = PatchParams::apply(SOURCE).force();
    let mut written = Written::default();
    let mut namespaces_written = BTreeSet::new();
    let mut cluster_written = false;
    for b in built {
        let (api, kind, what): (Api<DynamicObject>, &'static str, String) = match &b.namespace {
            Some(ns) => (
                Api::namespaced_with(client.clone(), ns, &namespaced),
                "PolicyReport",
                format!("PolicyReport {ns}/{REPORT_NAME}"),
            ),
            None => (
                Api::all_with(client.clone(), &cluster),
                "ClusterPolicyReport",
                format!("ClusterPolicyReport {REPORT_NAME}"),
            ),
        };
        let body = json!({
            "apiVersion": "wgpolicyk8s.io/v1alpha2",
            "kind": kind,
            "metadata": {
                "name": REPORT_NAME,
                "labels": {MANAGED_BY_LABEL: SOURCE},
                "annotations": run,
            },
            "summary": b.summary,
            "results": b.results,
        });
        match api.patch(REPORT_NAME, &params, &Patch::Apply(&body)).await {
            Ok(_) => written.applied += 1,
            // Apply creates a missing object, so a 404 means the kind itself is not served.
            Err(kube::Error::Api(s)) if s.code == 404 => return Err(WriteError::NoCrd(kind)),
            Err(source) => return Err(WriteError::Api { what, source }),
        }
        match &b.namespace {
            Some(ns) => {
                namespaces_written.insert(ns.clone());
            }
            None => cluster_written = true,
        }
    }
    // Reports of namespaces (or the cluster) that no longer hold checked objects.
    let selector = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}={SOURCE}"));
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &namespaced);
    let existing = all
        .list(&selector)
        .await
        .map_err(|source| WriteError::Api {
            what: "listing PolicyReports".into(),
            source,
        })?;
    for report in existing.items {
        let ns = report.metadata.namespace.clone().unwrap_or_default();
        if report.metadata.name.as_deref() == Some(REPORT_NAME) && !namespaces_written.contains(&ns)
        {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &namespaced);
            api.delete(REPORT_NAME, &DeleteParams::default())
                .await
                .map_err(|source| WriteError::Api {
                    what: format!("deleting PolicyReport {ns}/{REPORT_NAME}"),
                    source,
                })?;
            written.deleted += 1;
        }
    }
    if !cluster_written {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &cluster);
        match api.delete(REPORT_NAME, &DeleteParams::default()).await {
            Ok(_) => written.deleted += 1,
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(source) => {
                return Err(WriteError::Api {
                    what: format!("deleting ClusterPolicyReport {REPORT_NAME}"),
                    source,
                });
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
