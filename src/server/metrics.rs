//! The webhook's Prometheus metrics. Every label has a bounded set of values: kinds come from the
//! webhook's own rules, decisions and reasons from fixed lists, rule ids from the catalogue.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

use crate::admission::{CacheUse, Reviewed};
use crate::perimeter::config::Enforcement;
use crate::perimeter::exception::Census;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub kind: String,
    pub operation: String,
    pub decision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    pub rule: String,
    pub enforcement: EnforcementLabel,
}

/// A finding's enforcement as a label value (`Deny`, `Warn`, `Audit`).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum EnforcementLabel {
    Deny,
    Warn,
    Audit,
}

impl From<Enforcement> for EnforcementLabel {
    fn from(e: Enforcement) -> Self {
        match e {
            Enforcement::Deny => EnforcementLabel::Deny,
            Enforcement::Warn => EnforcementLabel::Warn,
            Enforcement::Audit => EnforcementLabel::Audit,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConfigInfoLabels {
    pub generation: String,
    pub hash: String,
}

/// Latency buckets from 100 µs up to the API server's longest webhook timeout (30 s), so a slow
/// answer is never lumped into `+Inf`.
pub const DURATION_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub duration: Histogram,
    pub findings: Family<FindingLabels, Counter>,
    pub exemptions: Family<ReasonLabels, Counter>,
    /// Decision cache lookups, by result (`hit`, `miss`).
    pub decision_cache: Family<ResultLabels, Counter>,
    /// Requests answered without a decision (HTTP 4xx/5xx), by reason.
    pub errors: Family<ReasonLabels, Counter>,
    pub in_flight: Gauge,
    pub config_reloads: Family<ResultLabels, Counter>,
    pub config_info: Family<ConfigInfoLabels, Gauge>,
    /// 1 while the active configuration is older than the newest one seen (a reload failed).
    pub config_stale: Gauge,
    pub certificate_expiry: Gauge,
    pub certificate_reloads: Family<ResultLabels, Counter>,
    /// 1 while the certificate files on disk cannot replace the one in use.
    pub certificate_stale: Gauge,
    pub crd_objects: Family<ResultLabels, Gauge>,
    /// Failed watches or lists of DataPerimeter objects (the last good configuration stays).
    pub crd_watch_errors: Counter,
    /// PerimeterExceptions in the configuration, by state (`active`, `expired`), as of the last
    /// scrape; `invalid` ones are custom resources left out.
    pub exceptions: Family<StateLabels, Gauge>,
    pub exceptions_invalid: Gauge,
    /// Seconds until the next active exception expires (absent when none is active).
    pub exception_next_expiry: Gauge,
    families: Vec<&'static str>,
}

const PREFIX: &str = "perimeter_guard";

/// Registers `metric` and remembers its name, so that alerts and documentation can be held to
/// what is exported: an empty labelled family shows nothing in the exposition until first used.
fn register(
    registry: &mut Registry,
    families: &mut Vec<&'static str>,
    name: &'static str,
    help: &str,
    metric: impl Metric,
) {
    families.push(name);
    registry.register(name, help, metric);
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let mut families = Vec::new();
        let requests = Family::<RequestLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "admission_requests",
            "Admission reviews answered, by kind, operation and decision",
            requests.clone(),
        );
        let duration = Histogram::new(DURATION_BUCKETS);
        register(
            &mut registry,
            &mut families,
            "admission_duration_seconds",
            "Time from reading a review to answering it",
            duration.clone(),
        );
        let findings = Family::<FindingLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "findings",
            "Findings, by rule and the enforcement they had",
            findings.clone(),
        );
        let exemptions = Family::<ReasonLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "exemptions",
            "Reviews not checked because of an exemption (namespace, label, user, group)",
            exemptions.clone(),
        );
        let decision_cache = Family::<ResultLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "decision_cache_lookups",
            "Decision cache lookups for checked objects, by result (hit, miss)",
            decision_cache.clone(),
        );
        let errors = Family::<ReasonLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "admission_errors",
            "Requests answered without a decision, by reason; the API server applies the webhook's failurePolicy",
            errors.clone(),
        );
        let in_flight = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "admission_in_flight",
            "Reviews being read, queued or evaluated",
            in_flight.clone(),
        );
        let config_reloads = Family::<ResultLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "config_reload",
            "Configuration loads, by result (success or failure)",
            config_reloads.clone(),
        );
        let config_info = Family::<ConfigInfoLabels, Gauge>::default();
        register(
            &mut registry,
            &mut families,
            "config_info",
            "The configuration in force: its generation and content hash",
            config_info.clone(),
        );
        let config_stale = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "config_stale",
            "1 when the newest configuration was rejected and an older one stays in force",
            config_stale.clone(),
        );
        let certificate_expiry = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "certificate_expiry_timestamp_seconds",
            "When the serving certificate expires (Unix time)",
            certificate_expiry.clone(),
        );
        let certificate_reloads = Family::<ResultLabels, Counter>::default();
        register(
            &mut registry,
            &mut families,
            "certificate_reload",
            "Serving-certificate loads, by result (success or failure)",
            certificate_reloads.clone(),
        );
        let certificate_stale = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "certificate_stale",
            "1 while the certificate files cannot be loaded and the previous certificate keeps serving",
            certificate_stale.clone(),
        );
        let crd_objects = Family::<ResultLabels, Gauge>::default();
        register(
            &mut registry,
            &mut families,
            "crd_objects",
            "DataPerimeter custom resources seen, by result (accepted or invalid)",
            crd_objects.clone(),
        );
        let crd_watch_errors = Counter::default();
        register(
            &mut registry,
            &mut families,
            "crd_watch_errors",
            "Failed watches or lists of DataPerimeter objects; the last good configuration stays in force",
            crd_watch_errors.clone(),
        );
        let exceptions = Family::<StateLabels, Gauge>::default();
        register(
            &mut registry,
            &mut families,
            "exceptions",
            "PerimeterExceptions in the configuration in force, by state (active: waiving; expired: waiving nothing, still present)",
            exceptions.clone(),
        );
        let exceptions_invalid = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "exceptions_invalid",
            "PerimeterException custom resources left out because they are not valid",
            exceptions_invalid.clone(),
        );
        let exception_next_expiry = Gauge::default();
        register(
            &mut registry,
            &mut families,
            "exception_next_expiry_seconds",
            "Seconds until the next active PerimeterException expires (-1 when none is active)",
            exception_next_expiry.clone(),
        );
        Self {
            registry,
            requests,
            duration,
            findings,
            exemptions,
            decision_cache,
            errors,
            in_flight,
            config_reloads,
            config_info,
            config_stale,
            certificate_expiry,
            certificate_reloads,
            certificate_stale,
            crd_objects,
            crd_watch_errors,
            exceptions,
            exceptions_invalid,
            exception_next_expiry,
            families,
        }
    }

    /// The name of every metric family exported (counters' samples add `_total`, histograms'
    /// `_bucket`, `_sum` and `_count`).
    pub fn families(&self) -> impl Iterator<Item = String> + '_ {
        self.families.iter().map(|f| format!("{PREFIX}_{f}"))
    }

    /// Sets the exception gauges from the configuration in force, at `now`: expiry is a matter
    /// of time, not of configuration changes, so it is read at every scrape.
    pub fn exceptions_at(&self, census: Census, now: jiff::Timestamp) {
        for (state, n) in [("active", census.active), ("expired", census.expired)] {
            self.exceptions
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(n as i64);
        }
        let next = census
            .next_expiry
            .map_or(-1, |t| t.as_second().saturating_sub(now.as_second()).max(0));
        self.exception_next_expiry.set(next);
    }

    /// The OpenMetrics text exposition, which Prometheus scrapes as is.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn record(&self, reviewed: &Reviewed, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                kind: reviewed.request.kind.clone(),
                operation: reviewed.request.operation.to_owned(),
                decision: reviewed.decision.to_owned(),
            })
            .inc();
        self.duration.observe(seconds);
        for (rule, enforcement) in &reviewed.rules {
            self.findings
                .get_or_create(&FindingLabels {
                    rule: (*rule).to_owned(),
                    enforcement: (*enforcement).into(),
                })
                .inc();
        }
        let lookup = match reviewed.cache {
            CacheUse::Hit => Some("hit"),
            CacheUse::FactsHit => Some("facts-hit"),
            CacheUse::Miss => Some("miss"),
            CacheUse::NotConsulted => None,
        };
        if let Some(result) = lookup {
            self.decision_cache
                .get_or_create(&ResultLabels {
                    result: result.to_owned(),
                })
                .inc();
        }
        if let Some(e) = &reviewed.exemption {
            self.exemptions
                .get_or_create(&ReasonLabels {
                    reason: e.by.to_owned(),
                })
                .inc();
        }
    }

    pub fn error(&self, reason: &'static str) {
        self.errors
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn config_loaded(&self, generation: u64, hash: &str) {
        self.config_info.clear();
        self.config_info
            .get_or_create(&ConfigInfoLabels {
                generation: generation.to_string(),
                hash: hash.to_owned(),
            })
            .set(1);
    }

    pub fn result(family: &Family<ResultLabels, Counter>, ok: bool) {
        family
            .get_or_create(&ResultLabels {
                result: if ok { "success" } else { "failure" }.to_owned(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn every_family_is_documented_in_operations_md() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
                .expect("docs/operations.md");
        let metrics = Metrics::new();
        let families: Vec<String> = metrics.families().collect();
        assert!(families.len() > 10, "{families:?}");
        for family in families {
            assert!(
                doc.contains(&format!("| `{family}` |"))
                    || doc.contains(&format!("| `{family}_total` |")),
                "{family} is not in docs/operations.md's metrics table"
            );
        }
    }
}
