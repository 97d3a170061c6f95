//! The audit's summary: what would be denied, where, by which rules, and under which enforcement.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::ObjectVerdict;
use crate::perimeter::config::EnforcementCounts;

use super::scan::Scanned;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    pub objects: usize,
    pub checked: usize,
    pub skipped: usize,
    /// Objects with at least one finding: what `Deny` everywhere would refuse.
    pub violating: usize,
    /// Namespaces holding violating objects (cluster-scoped objects count as `(cluster)`).
    pub violating_namespaces: usize,
    /// Objects denied under the enforcement in force now.
    pub denied_now: usize,
    /// Findings by rule id.
    pub by_rule: BTreeMap<String, usize>,
    /// Violating objects by namespace.
    pub by_namespace: BTreeMap<String, usize>,
    /// Findings by the enforcement they have now (waived ones left out).
    pub by_enforcement: EnforcementCounts,
    /// Findings a PerimeterException waives: computed and reported, not enforced.
    #[serde(skip_serializing_if = "is_zero")]
    pub waived: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub const CLUSTER_SCOPE: &str = "(cluster)";

pub fn summarize(scanned: &[Scanned]) -> AuditSummary {
    let mut s = AuditSummary::default();
    for o in scanned {
        s.add(o);
    }
    s
}

impl AuditSummary {
    /// Counts one more object.
    pub fn add(&mut self, o: &Scanned) {
        self.objects += 1;
        let ObjectVerdict::Checked {
            findings, decision, ..
        } = &o.verdict
        else {
            self.skipped += 1;
            return;
        };
        self.checked += 1;
        self.waived += findings.iter().filter(|f| !f.is_enforced()).count();
        let findings: Vec<_> = findings.iter().filter(|f| f.is_enforced()).collect();
        if findings.is_empty() {
            return;
        }
        self.violating += 1;
        if *decision == crate::decision::AdmissionDecision::Deny {
            self.denied_now += 1;
        }
        let ns = o
            .namespace
            .clone()
            .unwrap_or_else(|| CLUSTER_SCOPE.to_owned());
        let count = self.by_namespace.entry(ns).or_default();
        if *count == 0 {
            self.violating_namespaces += 1;
        }
        *count += 1;
        for f in findings {
            *self.by_rule.entry(f.rule.id.to_owned()).or_default() += 1;
            self.by_enforcement.add(f.enforcement);
        }
    }

    /// The promotion signal, in one line.
    pub fn headline(&self) -> String {
        if self.violating == 0 {
            return format!(
                "audit: {} objects scanned, {} checked: nothing violates the perimeter",
                self.objects, self.checked
            );
        }
        format!(
            "audit: {} objects scanned, {} checked: would deny {} object{} in {} namespace{} if switched to Deny ({} denied under the enforcement in force now)",
            self.objects,
            self.checked,
            self.violating,
            if self.violating == 1 { "" } else { "s" },
            self.violating_namespaces,
            if self.violating_namespaces == 1 {
                ""
            } else {
                "s"
            },
            self.denied_now
        )
    }

    pub fn text(&self) -> String {
        let mut out = self.headline();
        out.push('\n');
        fn table<'a>(title: &str, rows: impl Iterator<Item = (&'a str, usize)>) -> String {
            let mut t = String::new();
            for (k, v) in rows {
                if t.is_empty() {
                    t = format!("{title}:\n");
                }
                t.push_str(&format!("  {k:<24} {v}\n"));
            }
            t
        }
        fn entries(map: &BTreeMap<String, usize>) -> impl Iterator<Item = (&str, usize)> {
            map.iter().map(|(k, v)| (k.as_str(), *v))
        }
        out.push_str(&table("findings by rule", entries(&self.by_rule)));
        out.push_str(&table(
            "violating objects by namespace",
            entries(&self.by_namespace),
        ));
        out.push_str(&table(
            "findings by enforcement",
            self.by_enforcement.seen(),
        ));
        out
    }
}
