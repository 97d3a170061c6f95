//! The `wgpolicyk8s.io/v1alpha2` PolicyReport and ClusterPolicyReport, the Kubernetes Policy Working
//! Group's report format that policy-reporter, kubectl and other tools read. The CRDs the chart
//! ships are generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Counts of results by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportSummary {
    #[serde(default)]
    pub pass: u64,
    #[serde(default)]
    pub fail: u64,
    #[serde(default)]
    pub warn: u64,
    #[serde(default)]
    pub error: u64,
    #[serde(default)]
    pub skip: u64,
}

/// The object a result is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timestamp {
    pub seconds: i64,
    pub nanos: i32,
}

/// One policy rule's outcome for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportResult {
    /// The DataPerimeter.
    pub policy: String,
    /// The rule id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// `pass`, `fail`, `warn`, `error` or `skip`.
    pub result: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    #[serde(default)]
    pub scored: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceRef>,
    /// Perimeter Guard's details: the JSON pointer, the enforcement, the witness request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// A namespace's report.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, kube::CustomResource,
)]
#[kube(
    group = "wgpolicyk8s.io",
    version = "v1alpha2",
    kind = "PolicyReport",
    root = "PolicyReport",
    namespaced,
    no_spec,
    shortname = "polr",
    doc = "PolicyReport holds the results of policy checks on the objects of one namespace.",
    printcolumn = r#"{"name":"Pass","type":"integer","jsonPath":".summary.pass"}"#,
    printcolumn = r#"{"name":"Fail","type":"integer","jsonPath":".summary.fail"}"#,
    printcolumn = r#"{"name":"Warn","type":"integer","jsonPath":".summary.warn"}"#,
    printcolumn = r#"{"name":"Error","type":"integer","jsonPath":".summary.error"}"#,
    printcolumn = r#"{"name":"Skip","type":"integer","jsonPath":".summary.skip"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct PolicyReportBody {
    #[serde(default)]
    pub summary: ReportSummary,
    #[serde(default)]
    pub results: Vec<ReportResult>,
}

/// The report of cluster-scoped objects.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, kube::CustomResource,
)]
#[kube(
    group = "wgpolicyk8s.io",
    version = "v1alpha2",
    kind = "ClusterPolicyReport",
    root = "ClusterPolicyReport",
    no_spec,
    shortname = "cpolr",
    doc = "ClusterPolicyReport holds the results of policy checks on cluster-scoped objects.",
    printcolumn = r#"{"name":"Pass","type":"integer","jsonPath":".summary.pass"}"#,
    printcolumn = r#"{"name":"Fail","type":"integer","jsonPath":".summary.fail"}"#,
    printcolumn = r#"{"name":"Warn","type":"integer","jsonPath":".summary.warn"}"#,
    printcolumn = r#"{"name":"Error","type":"integer","jsonPath":".summary.error"}"#,
    printcolumn = r#"{"name":"Skip","type":"integer","jsonPath":".summary.skip"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct ClusterPolicyReportBody {
    #[serde(default)]
    pub summary: ReportSummary,
    #[serde(default)]
    pub results: Vec<ReportResult>,
}

/// Both CRDs as YAML, for the chart.
pub fn crds_yaml() -> String {
    use kube::CustomResourceExt;
    let mut out = String::from(
        "# Generated by `perimeter-guard policy-report-crds` from the report types; do not edit.\n",
    );
    for crd in [PolicyReport::crd(), ClusterPolicyReport::crd()] {
        out.push_str("---\n");
        out.push_str(&crate::yaml::to_string(&crd).unwrap_or_default());
    }
    out
}
