//! The audit's findings in the AWS Security Finding Format (ASFF, `SchemaVersion` 2018-10-08),
//! ready for `aws securityhub batch-import-findings`: one JSON array of at most 100 findings per
//! line, the most one call takes. Nothing here calls AWS.
//!
//! A finding's `Id` is stable for the same cluster, object, perimeter, rule and field, so a
//! re-import updates it instead of adding a twin; given the previous run's output, a finding that
//! is gone is sent once more with `RecordState` `ARCHIVED`, and one still there keeps its
//! `CreatedAt`. See the Security Hub user guide, "Required top-level ASFF attributes" and
//! "BatchImportFindings" (100 findings per request).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::decision::ObjectVerdict;
use crate::perimeter::catalog::Severity;
use crate::perimeter::config::Enforcement;
use crate::perimeter::rules::Finding;

use super::scan::Scanned;

pub const SCHEMA_VERSION: &str = "2018-10-08";

/// The most findings one `BatchImportFindings` call takes.
pub const BATCH: usize = 100;

/// Where the findings go and what they say of their origin.
#[derive(Debug, Clone)]
pub struct ImportTarget {
    /// The 12-digit account the findings are imported into.
    pub account_id: String,
    pub region: String,
    /// The cluster's name, in every `Id` and resource.
    pub cluster: String,
    /// The configuration's hash, as the webhook reports it.
    pub config_hash: String,
    /// RFC 3339, the run's instant.
    pub now: String,
}

impl ImportTarget {
    /// A custom integration's product: the account's own `default` product.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:aws:securityhub:{}:{}:product/{}/default",
            self.region, self.account_id, self.account_id
        )
    }
}

/// Every finding of every scanned object, in ASFF, with the previous run's findings that are gone
/// archived.
pub fn findings(scanned: &[Scanned], target: &ImportTarget, previous: &[Value]) -> Vec<Value> {
    let before: BTreeMap<&str, &Value> = previous
        .iter()
        .filter_map(|f| Some((f.get("Id")?.as_str()?, f)))
        .collect();
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for o in scanned {
        let ObjectVerdict::Checked { findings, .. } = &o.verdict else {
            continue;
        };
        for f in findings {
            let mut finding = asff(o, f, target);
            let id = finding["Id"].as_str().unwrap_or_default().to_owned();
            if let Some(created) = before.get(id.as_str()).and_then(|p| p.get("CreatedAt")) {
                finding["CreatedAt"] = created.clone();
                finding["FirstObservedAt"] = created.clone();
            }
            ids.insert(id);
            out.push(finding);
        }
    }
    for (id, gone) in before {
        if ids.contains(id) || gone["RecordState"] == "ARCHIVED" {
            continue;
        }
        let mut archived = gone.clone();
        archived["RecordState"] = "ARCHIVED".into();
        archived["UpdatedAt"] = target.now.clone().into();
        out.push(archived);
    }
    out
}

/// The findings in calls of at most [`BATCH`].
pub fn batches(findings: &[Value]) -> impl Iterator<Item = &[Value]> {
    findings.chunks(BATCH)
}

/// A previous output that cannot be read back, with the line at fault.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PreviousFindingsError {
    pub line: usize,
    pub reason: String,
}

/// Reads a previous output: JSON lines, each an array of findings (blank lines skipped).
pub fn read_previous(text: &str) -> Result<Vec<Value>, PreviousFindingsError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |reason: String| PreviousFindingsError {
            line: i + 1,
            reason,
        };
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Array(items)) => out.extend(items),
            Ok(_) => return Err(fail("not a JSON array of findings".into())),
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    Ok(out)
}

fn asff(o: &Scanned, f: &Finding, target: &ImportTarget) -> Value {
    let object = match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    };
    let (label, compliance) = match (&f.waiver, f.enforcement) {
        (Some(_), _) => ("INFORMATIONAL", "FAILED"),
        (None, Enforcement::Deny) => ("HIGH", "FAILED"),
        (None, Enforcement::Warn) => ("MEDIUM", "WARNING"),
        (None, Enforcement::Audit) => ("LOW", "FAILED"),
    };
    let mut fields: BTreeMap<&str, String> = BTreeMap::from([
        ("perimeterguard.io/cluster", target.cluster.clone()),
        ("perimeterguard.io/config-hash", target.config_hash.clone()),
        ("perimeterguard.io/perimeter", f.perimeter.clone()),
        ("perimeterguard.io/rule", f.rule.id.to_owned()),
        (
            "perimeterguard.io/enforcement",
            f.enforcement.name().to_owned(),
        ),
        ("perimeterguard.io/pointer", f.pointer.clone()),
    ]);
    if let Some(w) = &f.witness {
        fields.insert("perimeterguard.io/witness", w.to_json().to_string());
    }
    if let Some(e) = &f.waiver {
        fields.insert("perimeterguard.io/exception", e.name.clone());
        fields.insert("perimeterguard.io/exception-owner", e.spec.owner.clone());
        fields.insert(
            "perimeterguard.io/exception-expires-at",
            e.spec.expires_at.clone(),
        );
    }
    let product_fields: BTreeMap<&str, String> = fields
        .into_iter()
        .map(|(k, v)| (k, bounded(&v, 2048)))
        .collect();
    let mut details = json!({
        "cluster": target.cluster,
        "apiVersion": o.api_version,
        "kind": o.kind,
        "name": o.name,
    });
    if let Some(ns) = &o.namespace {
        details["namespace"] = ns.clone().into();
    }
    if !o.uid.is_empty() {
        details["uid"] = o.uid.clone().into();
    }
    let mut resources = vec![json!({
        "Type": "Other",
        "Id": bounded(&format!("k8s://{}/{}/{}/{}", target.cluster, o.api_version, o.kind, o.namespace.as_deref().map_or(o.name.clone(), |ns| format!("{ns}/{}", o.name))), 512),
        "Partition": partition(&target.region),
        "Region": target.region,
        "Details": {"Other": details},
    })];
    if let Some(arn) = &o.aws_arn {
        let kind = if arn.starts_with("arn:aws:s3:::") && !arn.contains('/') {
            "AwsS3Bucket"
        } else {
            "Other"
        };
        resources.push(json!({"Type": kind, "Id": arn, "Partition": partition(&target.region), "Region": target.region}));
    }
    let mut finding = json!({
        "SchemaVersion": SCHEMA_VERSION,
        "Id": id(o, f, &target.cluster),
        "ProductArn": target.product_arn(),
        "GeneratorId": f.rule.id,
        "AwsAccountId": target.account_id,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Data Perimeter"],
        "CreatedAt": target.now,
        "UpdatedAt": target.now,
        "FirstObservedAt": target.now,
        "LastObservedAt": target.now,
        "Severity": {"Label": label, "Original": severity_word(f.rule.severity)},
        "Title": bounded(&format!("{}: {}", f.rule.id, f.rule.title), 256),
        "Description": bounded(&format!("{object}: {}", f.message), 1024),
        "Remediation": {"Recommendation": {"Text": bounded(f.fix(), 512)}},
        "ProductFields": product_fields,
        "Resources": resources,
        "Compliance": {"Status": compliance},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": if f.waiver.is_some() { "SUPPRESSED" } else { "NEW" }},
    });
    if let Some(e) = &f.waiver {
        finding["Note"] = json!({
            "Text": bounded(&format!("waived by {}: {}", e.describe(), e.spec.reason), 512),
            "UpdatedBy": "perimeter-guard",
            "UpdatedAt": target.now,
        });
    }
    finding
}

/// Stable for the same cluster, object, perimeter, rule and field; at most 512 characters.
fn id(o: &Scanned, f: &Finding, cluster: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        cluster,
        &o.api_version,
        &o.kind,
        o.namespace.as_deref().unwrap_or(""),
        &o.name,
        &f.perimeter,
        f.rule.id,
        &f.pointer,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let readable = format!(
        "perimeter-guard/{cluster}/{}/{}/{}/{}",
        o.kind,
        o.namespace.as_deref().unwrap_or("_"),
        o.name,
        f.rule.id
    );
    // The digest keeps it unique and stable; the readable part is cut if it must be.
    let keep = 512 - 1 - digest.len();
    format!("{}/{digest}", bounded(&readable, keep))
}

/// The partition a Region belongs to.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// At most `max` characters, an ellipsis marking a cut.
fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
