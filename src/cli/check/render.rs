//! The results of `check` and `audit` as a terminal table, JSON, or SARIF 2.1.0.
//!
//! The words of a decision are the same in every format: an object is `allow`, `audit`, `warn`
//! or `deny` (`skipped` when nothing checks it), a finding's enforcement is `audit`, `warn` or
//! `deny`. SARIF's own `level` (`note`, `warning`, `error`) is fixed by the format, so each
//! result also carries the words in its `properties`.

use serde_json::{Value, json};

use super::manifests::{Document, InputError};
pub use crate::cli::args::FailOn;
use crate::decision::{AdmissionDecision, ObjectVerdict};
use crate::perimeter::catalog::{RULES, Severity};
use crate::perimeter::config::Enforcement;

/// The rule of SARIF results about input that could not be read. A result rather than a
/// notification of the run: GitHub code scanning shows results next to the file, and drops
/// notifications from what a reader sees.
pub const INPUT_RULE: &str = "PG-INPUT-001";

pub struct Checked<'a> {
    pub document: &'a Document,
    pub verdict: ObjectVerdict,
    /// The file's line of each finding, in the order of the verdict's findings.
    lines: Vec<usize>,
}

impl<'a> Checked<'a> {
    /// Finds the line of each finding in the document's text, which only objects with findings
    /// pay for.
    pub fn new(document: &'a Document, verdict: ObjectVerdict) -> Self {
        let lines = match &verdict {
            ObjectVerdict::Checked { findings, .. } if !findings.is_empty() => {
                let pointers: Vec<&str> = findings.iter().map(|f| f.pointer.as_str()).collect();
                document.lines(&pointers)
            }
            _ => Vec::new(),
        };
        Checked {
            document,
            verdict,
            lines,
        }
    }

    /// The line of the verdict's `i`th finding (0 when the object comes from no file).
    fn line(&self, i: usize) -> usize {
        self.lines.get(i).copied().unwrap_or(self.document.line)
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub objects: usize,
    pub denied: usize,
    pub warned: usize,
    pub audited: usize,
    pub passed: usize,
    pub skipped: usize,
    pub findings: usize,
    /// Findings a PerimeterException waives (counted in `findings` too).
    #[serde(skip_serializing_if = "is_zero")]
    pub waived: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub fn summary(results: &[Checked<'_>]) -> Summary {
    let mut s = Summary {
        objects: results.len(),
        ..Summary::default()
    };
    for r in results {
        match &r.verdict {
            ObjectVerdict::Skipped { .. } => s.skipped += 1,
            ObjectVerdict::Checked {
                decision, findings, ..
            } => {
                s.findings += findings.len();
                s.waived += findings.iter().filter(|f| !f.is_enforced()).count();
                match decision {
                    AdmissionDecision::Deny => s.denied += 1,
                    AdmissionDecision::Warn => s.warned += 1,
                    AdmissionDecision::Audit => s.audited += 1,
                    AdmissionDecision::Allow => s.passed += 1,
                }
            }
        }
    }
    s
}

/// Whether the results fail the run.
pub fn fails(results: &[Checked<'_>], fail_on: FailOn) -> bool {
    let threshold = match fail_on {
        FailOn::Never => return false,
        FailOn::Deny => Enforcement::Deny,
        FailOn::Warn => Enforcement::Warn,
    };
    results.iter().any(|r| match &r.verdict {
        ObjectVerdict::Checked { findings, .. } => findings
            .iter()
            .any(|f| f.is_enforced() && f.enforcement >= threshold),
        ObjectVerdict::Skipped { .. } => false,
    })
}

fn enforcement_name(e: Enforcement) -> &'static str {
    match e {
        Enforcement::Deny => "deny",
        Enforcement::Warn => "warn",
        Enforcement::Audit => "audit",
    }
}

/// The word of an object's decision, as JSON's `decision` spells it.
fn decision_name(d: AdmissionDecision) -> &'static str {
    match d {
        AdmissionDecision::Allow => "allow",
        AdmissionDecision::Audit => "audit",
        AdmissionDecision::Warn => "warn",
        AdmissionDecision::Deny => "deny",
    }
}

const SKIPPED: &str = "skipped";

/// Plain text, or coloured when `color` (a terminal): each object under its decision word, each
/// finding with the perimeter that found it and its line, then the input errors and a summary.
pub fn text(results: &[Checked<'_>], errors: &[InputError], color: bool) -> String {
    let paint = |code: &str, s: &str| {
        let s = format!("{s:<7}");
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let mut out = String::new();
    for r in results {
        let at = if r.document.line == 0 {
            r.document.source.clone()
        } else {
            format!("{}:{}", r.document.source, r.document.line)
        };
        match &r.verdict {
            ObjectVerdict::Skipped { object, reason } => {
                let what = object
                    .as_ref()
                    .map(|o| o.display())
                    .unwrap_or_else(|| "document".into());
                out.push_str(&format!(
                    "{}  {what} ({at}): {reason}\n",
                    paint("2", SKIPPED)
                ));
            }
            ObjectVerdict::Checked {
                object,
                decision,
                findings,
                ..
            } => {
                let word = decision_name(*decision);
                let status = match decision {
                    AdmissionDecision::Deny => paint("1;31", word),
                    AdmissionDecision::Warn => paint("1;33", word),
                    AdmissionDecision::Audit => paint("36", word),
                    AdmissionDecision::Allow => paint("32", word),
                };
                let part = part_of(r.document)
                    .map(|p| format!(", {}", p.describe()))
                    .unwrap_or_default();
                out.push_str(&format!("{status}  {} ({at}){part}\n", object.display()));
                let lines: Vec<String> = (0..findings.len())
                    .map(|i| match r.line(i) {
                        0 => String::new(),
                        line => format!("line {line}"),
                    })
                    .collect();
                let perimeter_width = findings.iter().map(|f| f.perimeter.len()).max();
                let perimeter_width = perimeter_width.unwrap_or(0);
                let line_width = lines.iter().map(String::len).max().unwrap_or(0);
                let pointer_width = findings.iter().map(|f| f.pointer.len()).max();
                let pointer_width = pointer_width.unwrap_or(0);
                for (f, line) in findings.iter().zip(&lines) {
                    let line = if line_width == 0 {
                        String::new()
                    } else {
                        format!("{line:<line_width$}  ")
                    };
                    out.push_str(&format!(
                        "{:9}{} {:<5} {:<perimeter_width$}  {line}{:<pointer_width$}  {}\n",
                        "",
                        f.rule.id,
                        enforcement_name(f.enforcement),
                        f.perimeter,
                        f.pointer,
                        f.message
                    ));
                    out.push_str(&format!("{:19}fix: {}\n", "", f.fix()));
                    if let Some(e) = &f.waiver {
                        out.push_str(&format!(
                            "{:19}waived by {}: {}\n",
                            "",
                            e.describe(),
                            e.spec.reason
                        ));
                    }
                }
            }
        }
    }
    for e in errors {
        out.push_str(&format!("{}  {e}\n", paint("1;35", "error")));
    }
    let s = summary(results);
    out.push_str(&format!(
        "summary: {} objects: {} denied, {} warned, {} audited, {} passed, {} skipped; {} findings",
        s.objects, s.denied, s.warned, s.audited, s.passed, s.skipped, s.findings
    ));
    if s.waived > 0 {
        out.push_str(&format!(" ({} waived)", s.waived));
    }
    match errors.len() {
        0 => {}
        1 => out.push_str("; 1 input error"),
        n => out.push_str(&format!("; {n} input errors")),
    }
    out.push('\n');
    out
}

pub fn json(results: &[Checked<'_>], errors: &[InputError]) -> Value {
    let objects: Vec<Value> = results.iter().map(json_object).collect();
    json!({"objects": objects, "errors": json_errors(errors), "summary": summary(results)})
}

/// Writes the same document as [`json`] (pretty-printed), one object at a time, so a large
/// report never exists twice in memory; `extra` members follow `summary`.
pub fn write_json(
    out: &mut impl std::io::Write,
    results: &[Checked<'_>],
    errors: &[InputError],
    extra: &[(&str, Value)],
) -> std::io::Result<()> {
    let indent = |v: &Value| -> std::io::Result<String> {
        let text = serde_json::to_string_pretty(v).map_err(std::io::Error::other)?;
        Ok(text.replace('\n', "\n    "))
    };
    writeln!(out, "{{\n  \"objects\": [")?;
    for (i, r) in results.iter().enumerate() {
        let sep = if i + 1 == results.len() { "" } else { "," };
        writeln!(out, "    {}{sep}", indent(&json_object(r))?)?;
    }
    let members = [
        ("errors", json_errors(errors)),
        (
            "summary",
            serde_json::to_value(summary(results)).map_err(std::io::Error::other)?,
        ),
    ];
    write!(out, "  ]")?;
    for (key, value) in members.iter().chain(extra) {
        let v = serde_json::to_string_pretty(value)
            .map_err(std::io::Error::other)?
            .replace('\n', "\n  ");
        write!(
            out,
            ",\n  {}: {v}",
            serde_json::to_string(key).map_err(std::io::Error::other)?
        )?;
    }
    writeln!(out, "\n}}")
}

fn json_errors(errors: &[InputError]) -> Value {
    errors
        .iter()
        .map(|e| {
            json!({
                "source": e.file,
                "line": (e.line > 0).then_some(e.line),
                "message": e.message,
            })
        })
        .collect()
}

/// What an object is part of: the Composition resource it is the base of, or the composite
/// `crossplane render` composed it for.
pub enum PartOf {
    Composition {
        composition: String,
        resource: String,
    },
    Composite {
        composite: String,
        resource: String,
    },
}

impl PartOf {
    pub fn describe(&self) -> String {
        match self {
            PartOf::Composition {
                composition,
                resource,
            } => format!("resource {resource} of Composition {composition}"),
            PartOf::Composite {
                composite,
                resource,
            } => format!("resource {resource} composed for {composite}"),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            PartOf::Composition {
                composition,
                resource,
            } => json!({"composition": composition, "resource": resource}),
            PartOf::Composite {
                composite,
                resource,
            } => json!({"composite": composite, "resource": resource}),
        }
    }
}

/// The annotation Crossplane sets on every resource it composes (and `crossplane render`
/// prints): the resource's name in the Composition.
const RESOURCE_NAME: &str = "crossplane.io/composition-resource-name";

/// What the document is part of, if anything. A composed resource names its composite in its
/// controller owner reference (`crossplane render` and Crossplane itself set one), else in the
/// `crossplane.io/composite` label; a namespaced composite shares the resource's namespace.
pub fn part_of(document: &Document) -> Option<PartOf> {
    if let Some(p) = &document.part {
        return Some(PartOf::Composition {
            composition: p.composition.clone(),
            resource: p.resource.clone(),
        });
    }
    let meta = document.value.get("metadata")?;
    let resource = meta.get("annotations")?.get(RESOURCE_NAME)?.as_str()?;
    let owner = meta
        .get("ownerReferences")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let namespace = meta.get("namespace").and_then(Value::as_str);
    let composite = match owner {
        Some(o) => {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("composite");
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            match namespace {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            }
        }
        None => {
            let name = meta
                .get("labels")
                .and_then(|l| l.get("crossplane.io/composite"))
                .and_then(Value::as_str)?;
            format!("composite {name}")
        }
    };
    Some(PartOf::Composite {
        composite,
        resource: resource.to_owned(),
    })
}

fn json_object(r: &Checked<'_>) -> Value {
    let mut v = json!({"source": r.document.source, "line": r.document.line});
    if let Some(p) = part_of(r.document) {
        v["partOf"] = p.to_json();
    }
    match &r.verdict {
        ObjectVerdict::Skipped { object, reason } => {
            v["object"] = json!(object);
            v["decision"] = json!(SKIPPED);
            v["reason"] = json!(reason);
        }
        ObjectVerdict::Checked {
            object,
            family,
            perimeters,
            findings,
            decision,
        } => {
            v["object"] = json!(object);
            v["family"] = json!(family);
            v["perimeters"] = json!(perimeters);
            v["decision"] = json!(decision_name(*decision));
            v["findings"] = findings
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    json!({
                        "rule": f.rule.id,
                        "title": f.rule.title,
                        "severity": f.rule.severity,
                        "enforcement": enforcement_name(f.enforcement),
                        "perimeter": f.perimeter,
                        "pointer": f.pointer,
                        "line": r.line(i),
                        "message": f.message,
                        "fix": f.fix(),
                        "witness": f.witness.as_ref().map(|w| w.to_json()),
                        "waivedBy": f.waiver.as_ref().map(|e| e.to_json()),
                    })
                })
                .collect();
        }
    }
    v
}

/// The SARIF URI of a source (`-` is standard input).
fn uri(source: &str) -> &str {
    if source == "-" { "stdin" } else { source }
}

/// SARIF 2.1.0: one result per finding, located at the line of the field it is about, and one
/// per input error under [`INPUT_RULE`].
pub fn sarif(results: &[Checked<'_>], errors: &[InputError]) -> Value {
    let level = |e: Enforcement| match e {
        Enforcement::Deny => "error",
        Enforcement::Warn => "warning",
        Enforcement::Audit => "note",
    };
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.title,
                "shortDescription": {"text": r.title},
                "help": {"text": r.fix},
                "properties": {"severity": r.severity, "security-severity": match r.severity {
                    Severity::Critical => "9.0", Severity::High => "7.5", Severity::Medium => "5.0", Severity::Low => "2.0",
                }},
            })
        })
        .collect();
    rules.push(json!({
        "id": INPUT_RULE,
        "name": "Input that could not be read",
        "shortDescription": {"text": "Input that could not be read"},
        "fullDescription": {"text": "A file or YAML document that could not be read or parsed, so nothing in it was checked; the rest of the input was."},
        "help": {"text": "Make the file valid YAML or JSON, or leave it out of the paths checked (for a Helm chart's templates, check the output of helm template instead)."},
        "defaultConfiguration": {"level": "error"},
    }));
    let mut sarif_results = Vec::new();
    for r in results {
        let ObjectVerdict::Checked {
            object,
            findings,
            decision,
            ..
        } = &r.verdict
        else {
            continue;
        };
        let part = part_of(r.document)
            .map(|p| format!(" ({})", p.describe()))
            .unwrap_or_default();
        for (i, f) in findings.iter().enumerate() {
            sarif_results.push(json!({
                "ruleId": f.rule.id,
                "ruleIndex": RULES.iter().position(|x| x.id == f.rule.id),
                "level": level(f.enforcement),
                "message": {"text": format!("{}{part}: {} at {}: {}", object.display(), f.rule.title, f.pointer, f.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&r.document.source)},
                        "region": {"startLine": r.line(i).max(1)},
                    },
                    "logicalLocations": [{"fullyQualifiedName": format!("{}{}", object.display(), f.pointer), "kind": "object"}],
                }],
                "properties": {
                    "decision": decision_name(*decision),
                    "enforcement": enforcement_name(f.enforcement),
                    "perimeter": f.perimeter,
                    "pointer": f.pointer,
                    "witness": f.witness.as_ref().map(|w| w.to_json()),
                    "partOf": part_of(r.document).map(|p| p.to_json()),
                },
            }));
            // SARIF's own word for a finding someone accepted: viewers hide it, and it is kept.
            if let Some(e) = &f.waiver
                && let Some(last) = sarif_results.last_mut()
            {
                last["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": e.spec.reason,
                    "properties": e.to_json(),
                }]);
            }
        }
    }
    for e in errors {
        sarif_results.push(json!({
            "ruleId": INPUT_RULE,
            "ruleIndex": RULES.len(),
            "level": "error",
            "message": {"text": e.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&e.file)},
                    // An error about the whole file (it cannot be read) is shown at its start.
                    "region": {"startLine": e.line.max(1)},
                },
            }],
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "perimeter-guard",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": sarif_results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::check::manifests::{Manifests, parse};
    use crate::perimeter::{DataPerimeter, load_perimeters};

    const PERIMETER: &str = include_str!("../../../manifests/examples/dataperimeter.yaml");

    /// An endpoint that fails DP-EP-001 (no policy: reported at `spec`, line 4) and DP-EP-010
    /// (its service, line 5), and a kind nothing checks.
    const OBJECTS: &str = "\
apiVersion: ec2.services.k8s.aws/v1alpha1
kind: VPCEndpoint
metadata: {name: open, namespace: team}
spec:
  serviceName: com.amazonaws.us-east-1.dynamodb
  vpcEndpointType: Gateway
  vpcID: vpc-111bbb22
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
";

    fn perimeters(text: &str) -> Vec<DataPerimeter> {
        load_perimeters(text, "p").expect("valid")
    }

    fn checked<'a>(documents: &'a [Document], perimeters: &[DataPerimeter]) -> Vec<Checked<'a>> {
        documents
            .iter()
            .map(|d| Checked::new(d, crate::decision::evaluate(&d.value, perimeters)))
            .collect()
    }

    fn bad_input() -> Vec<InputError> {
        let mut m = Manifests::default();
        m.read("kind: A\n---\nspec: [unclosed\n", "bad.yaml");
        assert_eq!(m.errors.len(), 1);
        m.errors
    }

    #[test]
    fn streamed_json_is_the_same_document() {
        let perimeters = perimeters(PERIMETER);
        let documents = parse(OBJECTS, "-").expect("valid");
        let results = checked(&documents, &perimeters);
        let errors = bad_input();
        let mut out = Vec::new();
        write_json(
            &mut out,
            &results,
            &errors,
            &[("audit", json!({"violating": 1}))],
        )
        .expect("write");
        let streamed: Value = serde_json::from_slice(&out).expect("valid JSON");
        let mut whole = json(&results, &errors);
        whole["audit"] = json!({"violating": 1});
        assert_eq!(streamed, whole);
        let mut empty = Vec::new();
        write_json(&mut empty, &[], &[], &[]).expect("write");
        let empty: Value = serde_json::from_slice(&empty).expect("JSON");
        assert_eq!(
            (&empty["objects"], &empty["errors"]),
            (&json!([]), &json!([]))
        );
    }

    #[test]
    fn findings_are_reported_at_their_own_line_in_every_format() {
        let perimeters = perimeters(PERIMETER);
        let documents = parse(OBJECTS, "m.yaml").expect("valid");
        let results = checked(&documents, &perimeters);
        let json = json(&results, &[]);
        let findings: Vec<(&str, u64)> = json["objects"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| (f["rule"].as_str().unwrap(), f["line"].as_u64().unwrap()))
            .collect();
        assert_eq!(findings, [("DP-EP-001", 4), ("DP-EP-010", 5)]);
        let sarif = sarif(&results, &[]);
        let lines: Vec<&Value> = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| &r["locations"][0]["physicalLocation"]["region"]["startLine"])
            .collect();
        assert_eq!(lines, [&json!(4), &json!(5)]);
        let text = text(&results, &[], false);
        assert!(
            text.contains("DP-EP-001 deny  corp  line 4  /spec/policyDocument  no policy document"),
            "{text}"
        );
        assert!(
            text.contains("DP-EP-010 deny  corp  line 5  /spec/serviceName"),
            "{text}"
        );
    }

    #[test]
    fn text_names_the_perimeter_of_each_finding() {
        let twin = PERIMETER.replacen("name: corp", "name: corp-eu", 1);
        let perimeters = perimeters(&format!("{PERIMETER}\n---\n{twin}"));
        let documents = parse(OBJECTS, "m.yaml").expect("valid");
        let results = checked(&documents, &perimeters);
        let text = text(&results, &[], false);
        let service: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("DP-EP-010"))
            .map(|l| l.split_whitespace().nth(2).expect("a perimeter"))
            .collect();
        assert_eq!(service, ["corp", "corp-eu"], "{text}");
    }

    #[test]
    fn decision_words_are_the_same_in_every_format() {
        let warn = PERIMETER.replace("enforcement: Deny", "enforcement: Warn");
        for (perimeter, word) in [(PERIMETER, "deny"), (&warn, "warn")] {
            let perimeters = perimeters(perimeter);
            let documents = parse(OBJECTS, "m.yaml").expect("valid");
            let results = checked(&documents, &perimeters);
            let json = json(&results, &[]);
            assert_eq!(json["objects"][0]["decision"], word);
            assert_eq!(json["objects"][0]["findings"][0]["enforcement"], word);
            assert_eq!(json["objects"][1]["decision"], "skipped");
            let sarif = sarif(&results, &[]);
            let properties = &sarif["runs"][0]["results"][0]["properties"];
            assert_eq!(
                (&properties["decision"], &properties["enforcement"]),
                (&json!(word), &json!(word))
            );
            let text = text(&results, &[], false);
            assert!(
                text.starts_with(&format!("{word:<7}  VPCEndpoint team/open (m.yaml:1)\n")),
                "{text}"
            );
            assert!(text.contains("\nskipped  ConfigMap c (m.yaml:9)"), "{text}");
        }
        let compliant = OBJECTS.replace("dynamodb", "s3").replace(
            "vpcEndpointType: Gateway",
            "vpcEndpointType: Gateway\n  policyDocument: '{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-abc123def4\", \"aws:ResourceOrgID\": \"o-abc123def4\"}}}]}'",
        );
        let perimeters = perimeters(PERIMETER);
        let documents = parse(&compliant, "m.yaml").expect("valid");
        let results = checked(&documents, &perimeters);
        assert_eq!(json(&results, &[])["objects"][0]["decision"], "allow");
        let text = text(&results, &[], false);
        assert!(text.starts_with("allow    VPCEndpoint team/open"), "{text}");
    }

    #[test]
    fn input_errors_are_reported_in_every_format() {
        let perimeters = perimeters(PERIMETER);
        let documents = parse(OBJECTS, "m.yaml").expect("valid");
        let results = checked(&documents, &perimeters);
        let mut errors = bad_input();
        errors.push(InputError {
            file: "gone.yaml".into(),
            line: 0,
            message: "No such file or directory (os error 2)".into(),
        });
        let text = text(&results, &errors, false);
        assert!(
            text.contains("\nerror    bad.yaml:3: not valid YAML or JSON: "),
            "{text}"
        );
        assert!(
            text.contains("\nerror    gone.yaml: No such file"),
            "{text}"
        );
        assert!(text.ends_with("; 2 findings; 2 input errors\n"), "{text}");
        let json = json(&results, &errors);
        assert_eq!(json["errors"][0]["source"], "bad.yaml");
        assert_eq!(json["errors"][0]["line"], 3);
        assert!(
            json["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("not valid YAML")
        );
        assert_eq!(json["errors"][1]["line"], Value::Null);
        let sarif = sarif(&results, &errors);
        let run = &sarif["runs"][0];
        let input: Vec<&Value> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == INPUT_RULE)
            .collect();
        assert_eq!(input.len(), 2);
        let rule =
            &run["tool"]["driver"]["rules"][input[0]["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], INPUT_RULE);
        assert_eq!(input[0]["level"], "error");
        let location = &input[0]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "bad.yaml");
        assert_eq!(location["region"]["startLine"], 3);
        assert_eq!(
            input[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        // Without errors the summary line is as it was.
        let clean = super::text(&results, &[], false);
        assert!(clean.ends_with("; 2 findings\n"), "{clean}");
    }
}
