//! `PerimeterException` (`perimeterguard.io/v1alpha1`): named rules waived for named objects,
//! with an owner who answers for it, a reason and an end. `serve`, `check` and `audit` read the
//! same objects and apply them through one function (`decision::waive`): a waived
//! finding is still computed and reported, as waived, and an expired exception waives nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::RULES;
use super::config::{API_VERSION, ConfigError, LabelSelector, expect_kind, path, type_hint};
use crate::resources::{ObjectRef, checked_kinds};

pub const KIND: &str = "PerimeterException";

/// How far after its creation an exception may end, unless configured otherwise
/// (`--max-exception-days`, the chart's `exceptions.maxDays`).
pub const DEFAULT_MAX_DAYS: u32 = 90;

/// What is waived, for which objects, until when, and who answers for it.
// The derive also defines the cluster-scoped custom resource (`PerimeterExceptionResource`), so
// the CRD's schema is this type's and cannot drift from what files may say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, kube::CustomResource)]
#[kube(
    group = "perimeterguard.io",
    version = "v1alpha1",
    kind = "PerimeterException",
    root = "PerimeterExceptionResource",
    status = "super::config::DataPerimeterStatus",
    shortname = "pex",
    doc = "Rules of the data perimeter waived for named objects until a date, with an owner and a reason.",
    category = "perimeter-guard",
    printcolumn = r#"{"name":"Owner","type":"string","jsonPath":".spec.owner"}"#,
    printcolumn = r#"{"name":"Expires","type":"string","jsonPath":".spec.expiresAt"}"#,
    printcolumn = r#"{"name":"Accepted","type":"string","jsonPath":".status.conditions[?(@.type==\"Accepted\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PerimeterExceptionSpec {
    /// Who answers for the exception: a person's or a team's address.
    pub owner: String,
    /// Why the rules are waived, e.g. the ticket that approved it.
    pub reason: String,
    /// When the exception stops waiving anything (RFC 3339), at most the configured number of
    /// days (90 by default) after the exception was created.
    pub expires_at: String,
    /// The rule ids waived (`DP-BP-002`); never a wildcard.
    pub rules: Vec<String>,
    /// The objects waived: `names` or a `labelSelector` (or both) must say which.
    #[serde(rename = "match")]
    pub match_: ExceptionMatch,
}

/// Which objects an exception waives rules for: every field given must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExceptionMatch {
    /// Kinds, e.g. `BucketPolicy`; any checked kind when omitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Namespaces; when given, cluster-scoped objects do not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Object names (`metadata.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

/// An exception that passed validation: its spec, and its times read.
#[derive(Debug, Clone, PartialEq)]
pub struct PerimeterException {
    pub name: String,
    pub spec: PerimeterExceptionSpec,
    pub expires_at: Timestamp,
}

impl PerimeterException {
    /// Whether it still waives anything at `now`: up to, not including, `expiresAt`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }

    pub fn waives(&self, rule_id: &str) -> bool {
        self.spec.rules.iter().any(|r| r == rule_id)
    }

    /// Whether the object is one it names.
    pub fn matches(&self, object: &ObjectRef, labels: &BTreeMap<String, String>) -> bool {
        let m = &self.spec.match_;
        (m.kinds.is_empty() || m.kinds.contains(&object.kind))
            && (m.namespaces.is_empty()
                || object
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| m.namespaces.iter().any(|n| n == ns)))
            && (m.names.is_empty() || m.names.contains(&object.name))
            && m.label_selector.as_ref().is_none_or(|s| s.matches(labels))
    }

    /// What reports say of the exception that waived a finding.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "exception": self.name,
            "owner": self.spec.owner,
            "reason": self.spec.reason,
            "expiresAt": self.spec.expires_at,
        })
    }

    /// `partner-exchange (owner data-platform@example.com, expires 2027-03-31T00:00:00Z)`.
    pub fn describe(&self) -> String {
        format!(
            "PerimeterException {} (owner {}, expires {})",
            self.name, self.spec.owner, self.spec.expires_at
        )
    }
}

/// The exceptions in force under one configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exceptions(Vec<Arc<PerimeterException>>);

impl Exceptions {
    pub fn new(list: Vec<PerimeterException>) -> Self {
        Self(list.into_iter().map(Arc::new).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<PerimeterException>> {
        self.0.iter()
    }

    /// The exceptions naming this object, active or not: which of them waive what is decided at
    /// the instant of each decision, so this list may be kept as long as the configuration.
    pub fn matching(
        &self,
        object: &ObjectRef,
        labels: &BTreeMap<String, String>,
    ) -> Vec<Arc<PerimeterException>> {
        self.0
            .iter()
            .filter(|e| e.matches(object, labels))
            .cloned()
            .collect()
    }

    /// Active and expired counts at `now`, and the next expiry still to come.
    pub fn census(&self, now: Timestamp) -> Census {
        let mut c = Census::default();
        for e in &self.0 {
            if e.is_active(now) {
                c.active += 1;
                c.next_expiry = Some(c.next_expiry.map_or(e.expires_at, |t| t.min(e.expires_at)));
            } else {
                c.expired += 1;
            }
        }
        c
    }

    /// Each exception's name and spec, in name order, for the configuration hash.
    pub fn canonical(&self) -> Vec<(&str, &PerimeterExceptionSpec)> {
        let mut out: Vec<_> = self.0.iter().map(|e| (e.name.as_str(), &e.spec)).collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// What `/metrics` says of the exceptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    pub active: usize,
    pub expired: usize,
    pub next_expiry: Option<Timestamp>,
}

/// How exceptions are read: when "now" is, and how long one may last.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryLimits {
    pub now: Timestamp,
    pub max_days: u32,
}

/// Every `PerimeterException` document in a YAML stream (other kinds are an error: the files
/// given for exceptions hold exceptions only).
pub fn load_exceptions(
    text: &str,
    source_name: &str,
    limits: ExpiryLimits,
) -> Result<Vec<PerimeterException>, ConfigError> {
    let documents = crate::yaml::stream_to_json(text).map_err(|(i, e)| ConfigError {
        source_name: source_name.to_owned(),
        field: path::DOCUMENT.to_owned(),
        message: format!("document {}: not valid YAML: {e}", i + 1),
    })?;
    let mut out: Vec<PerimeterException> = Vec::new();
    for value in documents.iter().filter(|v| !v.is_null()) {
        let e = from_value(value, source_name, limits)?;
        if out.iter().any(|o| o.name == e.name) {
            return Err(ConfigError {
                source_name: source_name.to_owned(),
                field: "metadata.name".into(),
                message: format!("{:?} is defined twice", e.name),
            });
        }
        out.push(e);
    }
    Ok(out)
}

/// One exception document (`apiVersion`, `kind`, `metadata`, `spec`), validated. Its creation is
/// `metadata.creationTimestamp` when the document has one (an object read from the cluster, or
/// reviewed by the webhook), else `limits.now`.
pub fn from_value(
    value: &Value,
    source_name: &str,
    limits: ExpiryLimits,
) -> Result<PerimeterException, ConfigError> {
    let err = |field: &str, message: String| ConfigError {
        source_name: source_name.to_owned(),
        field: field.to_owned(),
        message,
    };
    expect_kind(value, KIND, source_name)?;
    let name = match value.pointer("/metadata/name") {
        Some(Value::String(n)) if !n.is_empty() => n.as_str(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(err("metadata.name", "must not be empty".into()));
        }
        Some(other) => {
            return Err(err(
                "metadata.name",
                format!(
                    "{other} is not a string; quote it (unquoted, YAML reads some words as booleans or numbers)"
                ),
            ));
        }
    };
    let created = match value.pointer("/metadata/creationTimestamp") {
        None | Some(Value::Null) => limits.now,
        Some(v) => v
            .as_str()
            .and_then(|s| s.parse::<Timestamp>().ok())
            .ok_or_else(|| {
                err(
                    "metadata.creationTimestamp",
                    format!("{v} is not an RFC 3339 time"),
                )
            })?,
    };
    let spec_value = value.get("spec").cloned().unwrap_or(Value::Null);
    let spec: PerimeterExceptionSpec =
        serde_path_to_error::deserialize(&spec_value).map_err(|e| {
            let hint = type_hint(e.inner(), path::value_at(&spec_value, e.path()));
            let at = path::of(e.path());
            let field = if at == path::DOCUMENT {
                "spec".to_owned()
            } else {
                format!("spec.{at}")
            };
            err(&field, format!("{}{hint}", e.inner()))
        })?;
    let expires_at = validate(&spec, created, limits.max_days).map_err(|(f, m)| err(&f, m))?;
    Ok(PerimeterException {
        name: name.to_owned(),
        spec,
        expires_at,
    })
}

/// Checks every value's form; the expiry read, or `(field path, message)`.
fn validate(
    spec: &PerimeterExceptionSpec,
    created: Timestamp,
    max_days: u32,
) -> Result<Timestamp, (String, String)> {
    let fail = |field: &str, message: String| Err((field.to_owned(), message));
    if spec.owner.trim().is_empty() {
        return fail(
            "spec.owner",
            "must name who answers for the exception".into(),
        );
    }
    if spec.reason.trim().is_empty() {
        return fail("spec.reason", "must say why the rules are waived".into());
    }
    let Ok(expires_at) = spec.expires_at.parse::<Timestamp>() else {
        return fail(
            "spec.expiresAt",
            format!(
                "{:?} is not an RFC 3339 time (e.g. 2027-03-31T00:00:00Z)",
                spec.expires_at
            ),
        );
    };
    let longest = SignedDuration::from_hours(24 * i64::from(max_days));
    if let Ok(latest) = created.checked_add(longest)
        && expires_at > latest
    {
        return fail(
            "spec.expiresAt",
            format!(
                "{} is more than {max_days} days after the exception's creation ({}): end it by {}",
                spec.expires_at,
                crate::time::rfc3339_seconds(created),
                crate::time::rfc3339_seconds(latest)
            ),
        );
    }
    if spec.rules.is_empty() {
        return fail("spec.rules", "must name at least one rule id".into());
    }
    for (i, rule) in spec.rules.iter().enumerate() {
        let at = path::index("spec.rules", i);
        if rule.contains(['*', '?']) {
            return fail(
                &at,
                format!("{rule:?}: name each rule waived, never a wildcard"),
            );
        }
        if !RULES.iter().any(|r| r.id == rule) {
            return fail(
                &at,
                format!("{rule:?} is not a rule id (see `perimeter-guard rules` or docs/rules.md)"),
            );
        }
    }
    let m = &spec.match_;
    let selects = m
        .label_selector
        .as_ref()
        .is_some_and(|s| !s.match_labels.is_empty() || !s.match_expressions.is_empty());
    if m.names.is_empty() && !selects {
        return fail(
            "spec.match",
            "matches every object: name the objects (names) or select them (labelSelector with matchLabels or matchExpressions)".into(),
        );
    }
    let kinds = checked_kinds();
    for (i, kind) in m.kinds.iter().enumerate() {
        if !kinds.iter().any(|k| k.kind == kind) {
            return fail(
                &path::index("spec.match.kinds", i),
                format!(
                    "{kind:?} is not a kind Perimeter Guard checks, so the exception would match nothing"
                ),
            );
        }
    }
    for (field, list) in [
        ("spec.match.names", &m.names),
        ("spec.match.namespaces", &m.namespaces),
    ] {
        if let Some(i) = list.iter().position(|v| v.is_empty()) {
            return fail(
                &path::index(field, i),
                "must not be empty: it would match nothing".into(),
            );
        }
    }
    Ok(expires_at)
}

/// Every exception in the files and directories given (read as DataPerimeter paths are); a
/// name defined twice anywhere is an error. Standard input is not a source of exceptions.
pub fn load_paths(
    paths: &[std::path::PathBuf],
    limits: ExpiryLimits,
) -> Result<Exceptions, super::load::LoadError> {
    use super::load::LoadError;
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(LoadError::Read {
            path: "-".into(),
            source: std::io::Error::other("exceptions are read from files, not standard input"),
        });
    }
    let texts = super::load::read(paths, &mut std::io::empty())?;
    Ok(Exceptions::new(parse_texts(&texts, limits)?))
}

/// Every exception in the texts read from exception paths; a name defined twice is an error.
pub fn parse_texts(
    texts: &[super::load::ConfigText],
    limits: ExpiryLimits,
) -> Result<Vec<PerimeterException>, super::load::LoadError> {
    let mut all: Vec<PerimeterException> = Vec::new();
    for t in texts {
        for e in load_exceptions(&t.text, &t.source_name, limits)? {
            if all.iter().any(|o| o.name == e.name) {
                return Err(super::load::LoadError::DefinedTwice {
                    source_name: t.source_name.clone(),
                    name: e.name,
                });
            }
            all.push(e);
        }
    }
    Ok(all)
}

/// A PerimeterException custom resource as read from the API server, validated exactly as a
/// file would be, counting its days from its `creationTimestamp`.
pub fn from_object(
    object: &kube::api::DynamicObject,
    limits: ExpiryLimits,
) -> Result<PerimeterException, ConfigError> {
    let name = object.metadata.name.clone().unwrap_or_default();
    let value = serde_json::json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "creationTimestamp": object.metadata.creation_timestamp.as_ref().map(|t| crate::time::rfc3339_seconds(t.0)),
        },
        "spec": object.data.get("spec").cloned().unwrap_or(Value::Null),
    });
    from_value(&value, &format!("{KIND} {name}"), limits)
}

/// The CustomResourceDefinition, as YAML, for the chart's `crds/` and `perimeter-guard crd`.
pub fn crd_yaml() -> String {
    super::crd::generated_yaml::<PerimeterExceptionResource>()
}

#[cfg(test)]
mod tests;
