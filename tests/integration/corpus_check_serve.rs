//! `check` and `serve` decide every object of the shared corpus alike: the real binary's
//! `check --output json` against the real webhook over TLS, each object sent as the API server
//! would send its CREATE. Every `.yaml` file below `manifests/` is read, whatever it holds (the
//! corpus grows; objects neither command checks, and fragments that are no objects at all, must
//! be skipped by both), under two perimeters: the repository's example (which excludes the
//! namespace `sandbox`), and the example excluding every namespace the corpus names as well.
//!
//! A namespace written on a cluster-scoped object never reaches the webhook: the API server drops
//! it. So that this matters whatever the corpus holds, every cluster-scoped checked object is also
//! checked as a copy written with `namespace: sandbox`, which both perimeters exclude: `check`
//! must not skip what the webhook denies.

use crate::common;

use std::path::{Path, PathBuf};

use perimeter_guard::cli::check::manifests::{self, Document};
use perimeter_guard::resources::checked_kinds;
use serde_json::{Value, json};

use common::admission::{example_perimeter, review};
use common::pki::Ca;

/// Objects on which `check` and `serve` are known to disagree today, by cause: the perimeter, why,
/// and each object as `file:line` (the file below `manifests/`, the line the object starts on).
/// Every object listed must still disagree (the test says when one no longer does), so that a fix
/// empties this list.
const KNOWN_MISMATCHES: &[Known] = &[];

struct Known {
    perimeter: &'static str,
    why: &'static str,
    objects: &'static [&'static str],
}

/// The namespace written on the copies of cluster-scoped objects; both perimeters exclude it.
const STRAY_NAMESPACE: &str = "sandbox";

/// What the API server does to an object before it sends it to admission: a cluster-scoped
/// object loses `metadata.namespace`; a namespaced one without a namespace gets the request's,
/// `default` for `kubectl apply` without `-n`. A name left to `generateName` is left empty.
fn as_the_api_server_sends(object: &Value) -> Value {
    let mut object = object.clone();
    // A kind the webhook is not registered for is sent anyway, as it is.
    let Some(namespaced) = checked_scope(&object) else {
        return object;
    };
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if !namespaced {
            metadata.remove("namespace");
        } else if metadata.get("namespace").is_none_or(Value::is_null) {
            metadata.insert("namespace".into(), json!("default"));
        }
    }
    object
}

/// Whether objects of the object's kind are namespaced, if the kind is one the webhook checks.
fn checked_scope(object: &Value) -> Option<bool> {
    let api_version = object["apiVersion"].as_str()?;
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    let kind = object["kind"].as_str()?;
    checked_kinds()
        .iter()
        .find(|k| k.group == group && k.kind == kind)
        .map(|k| k.namespaced)
}

/// The decision a webhook answer shows: `deny` when refused, `warn` when admitted with warnings,
/// otherwise the audit annotation's `allow`, `audit` or `skip` (admitted silently all three).
fn serve_decision(response: &Value) -> Result<String, String> {
    let annotated = response["auditAnnotations"]["decision"]
        .as_str()
        .unwrap_or("(none)");
    let warned = response["warnings"]
        .as_array()
        .is_some_and(|w| !w.is_empty());
    let shown = match (response["allowed"].as_bool(), warned) {
        (Some(false), _) => "deny",
        (Some(true), true) => "warn",
        (Some(true), false) => "admitted silently",
        (None, _) => return Err(format!("no allowed in {response}")),
    };
    let consistent = match annotated {
        "deny" | "warn" => shown == annotated,
        _ => shown == "admitted silently",
    };
    if consistent {
        Ok(annotated.to_owned())
    } else {
        Err(format!(
            "answered {shown} but annotated {annotated}: {response}"
        ))
    }
}

/// `check`'s word, in the webhook's annotation vocabulary.
fn check_decision(object: &Value) -> String {
    match object["decision"].as_str() {
        Some("skipped") => "skip".to_owned(),
        Some(d) => d.to_owned(),
        None => format!("(no decision in {object})"),
    }
}

/// Every `.yaml` and `.yml` file below `dir`, as full paths, in name order.
fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["yaml", "yml"]
        .iter()
        .flat_map(|ext| common::files_below(dir, ext))
        .collect();
    files.sort();
    files.into_iter().map(|f| dir.join(f)).collect()
}

/// One object both commands decide, and how a report names it.
struct Case {
    /// As `check` reads it, `source` being the path given to `check`.
    doc: Document,
    /// The corpus file below `manifests/`, and the line the object starts on there.
    file: String,
    line: usize,
    /// Whether this is a copy written with [`STRAY_NAMESPACE`] rather than a corpus document.
    copy: bool,
}

/// Every document of the corpus files, as `check` reads them (lists give their items).
fn corpus_cases(dir: &Path, files: &[PathBuf]) -> Vec<Case> {
    files
        .iter()
        .flat_map(|f| {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{name}: {e}"));
            let below = f.strip_prefix(dir).expect("below the corpus").display();
            manifests::parse(&text, &name)
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .map(move |doc| Case {
                    file: below.to_string(),
                    line: doc.line,
                    doc,
                    copy: false,
                })
        })
        .collect()
}

/// A copy of every cluster-scoped checked object written with [`STRAY_NAMESPACE`], each in a file
/// of its own below `scratch` (returned with the cases, for `check` to read).
fn stray_namespace_copies(scratch: &Path, corpus: &[Case]) -> (Vec<PathBuf>, Vec<Case>) {
    let (mut files, mut cases) = (Vec::new(), Vec::new());
    for (i, case) in corpus
        .iter()
        .filter(|c| {
            checked_scope(&c.doc.value) == Some(false) && c.doc.value["metadata"].is_object()
        })
        .enumerate()
    {
        let mut object = case.doc.value.clone();
        object["metadata"]["namespace"] = json!(STRAY_NAMESPACE);
        let path = scratch.join(format!("stray-{i:04}.json"));
        let text = serde_json::to_string_pretty(&object).expect("JSON");
        std::fs::write(&path, &text).expect("write");
        let mut docs = manifests::parse(&text, &path.display().to_string()).expect("parse");
        assert_eq!(docs.len(), 1);
        cases.push(Case {
            doc: docs.remove(0),
            file: format!("{} (copy with namespace {STRAY_NAMESPACE})", case.file),
            line: case.line,
            copy: true,
        });
        files.push(path);
    }
    (files, cases)
}

/// `check`'s JSON verdicts for `files`, one per document, in order.
fn run_check(perimeter: &Path, files: &[PathBuf]) -> Vec<Value> {
    let mut args = vec![
        "check".to_owned(),
        "--perimeter".to_owned(),
        perimeter.display().to_string(),
        "--output".to_owned(),
        "json".to_owned(),
        "--fail-on".to_owned(),
        "never".to_owned(),
    ];
    for f in files {
        args.push("-f".to_owned());
        args.push(f.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::cli::run(&args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "check failed: {}",
        common::cli::text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("check's JSON");
    // A Composition's base resources are reported after it as objects of their own; the
    // webhook sees them only once Crossplane composes them (tests/integration/corpus_compositions.rs).
    report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["partOf"]["composition"].is_null())
        .cloned()
        .collect()
}

fn tls_client(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(ca.client_config(None))
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client")
}

/// One disagreement, as the report and `KNOWN_MISMATCHES` name it.
struct Mismatch {
    perimeter: &'static str,
    file: String,
    line: usize,
    object: String,
    check: String,
    serve: String,
}

/// Both commands over every case under one perimeter; the disagreements, and how many corpus
/// objects `check` checked (rather than skipped).
async fn compare(
    label: &'static str,
    perimeter: &Path,
    files: &[PathBuf],
    cases: &[Case],
) -> (Vec<Mismatch>, usize) {
    let verdicts = run_check(perimeter, files);
    assert_eq!(
        verdicts.len(),
        cases.len(),
        "check reported a different number of objects than the files hold"
    );
    let ca = Ca::new("webhook CA");
    let mut server = common::serve::start(
        &ca,
        &[(
            "PERIMETER_GUARD_PERIMETER",
            perimeter.to_str().expect("utf-8"),
        )],
    );
    // It logs every review: its log is drained, or the pipe would fill and stall it.
    let mut log = server.child.stderr.take().expect("stderr");
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    let client = tls_client(&ca);
    let url = format!("https://localhost:{}/validate", server.webhook);
    let (mut mismatches, mut checked) = (Vec::new(), 0);
    for (case, verdict) in cases.iter().zip(&verdicts) {
        let doc = &case.doc;
        assert_eq!(
            (verdict["source"].as_str(), verdict["line"].as_u64()),
            (Some(doc.source.as_str()), Some(doc.line as u64)),
            "check's objects are the documents of the files, in order"
        );
        // The webhook registers no Composition (it is not among its rules), so it never decides
        // one; `check` reads them for CI alone.
        if doc.value["kind"] == "Composition" {
            assert!(
                !perimeter_guard::resources::checked_kinds()
                    .iter()
                    .any(|k| k.kind == "Composition")
            );
            continue;
        }
        let check = check_decision(verdict);
        if check != "skip" && !case.copy {
            checked += 1;
        }
        let object = as_the_api_server_sends(&doc.value);
        let body = review("CREATE", Some(&object), None, false);
        let answer = client
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}:{}: {e:?}", case.file, case.line));
        let status = answer.status();
        let answer: Value = answer.json().await.expect("JSON answer");
        let serve = if status == 200 {
            serve_decision(&answer["response"]).unwrap_or_else(|e| e)
        } else {
            format!("HTTP {status}: {answer}")
        };
        if serve != check {
            let name = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
            let meta = &doc.value["metadata"];
            mismatches.push(Mismatch {
                perimeter: label,
                file: case.file.clone(),
                line: case.line,
                object: format!(
                    "{} {}",
                    doc.value["kind"].as_str().unwrap_or("(no kind)"),
                    name(&meta["name"])
                        .or_else(|| name(&meta["generateName"]))
                        .unwrap_or_else(|| "(no name)".into())
                ),
                check,
                serve,
            });
        }
    }
    (mismatches, checked)
}

/// The example perimeter, and the example also excluding every namespace a corpus document names.
fn perimeters(dir: &Path, cases: &[Case]) -> [(&'static str, PathBuf); 2] {
    let mut namespaces: Vec<&str> = cases
        .iter()
        .filter_map(|c| {
            c.doc
                .value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
        })
        .chain([STRAY_NAMESPACE])
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let example = example_perimeter();
    let excluding = example.replace(
        "excludeNamespaces: [sandbox]",
        &format!(
            "excludeNamespaces: {}",
            serde_json::to_string(&namespaces).expect("JSON")
        ),
    );
    assert_ne!(
        excluding, example,
        "the example perimeter excludes a namespace"
    );
    let path = dir.join("excluding.yaml");
    std::fs::write(&path, excluding).expect("write");
    [
        (
            "example",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/examples/dataperimeter.yaml"),
        ),
        ("excluding", path),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_serve_decide_every_corpus_object_alike() {
    let dir = common::corpus_root().join("manifests");
    let mut files = manifest_files(&dir);
    let mut cases = corpus_cases(&dir, &files);
    let scratch = tempfile::tempdir().expect("tempdir");
    let (copy_files, copies) = stray_namespace_copies(scratch.path(), &cases);
    assert!(
        !copies.is_empty(),
        "the corpus has no cluster-scoped checked object"
    );
    files.extend(copy_files);
    cases.extend(copies);
    let mut mismatches = Vec::new();
    for (label, perimeter) in perimeters(scratch.path(), &cases) {
        let (found, checked) = compare(label, &perimeter, &files, &cases).await;
        // The excluding perimeter skips every namespaced object; the cluster-scoped ones remain.
        let least = if label == "excluding" { 20 } else { 40 };
        assert!(
            checked >= least,
            "{label}: only {checked} corpus objects were checked"
        );
        mismatches.extend(found);
    }
    let known: Vec<(&str, String, &str)> = KNOWN_MISMATCHES
        .iter()
        .flat_map(|k| {
            k.objects
                .iter()
                .map(|o| (k.perimeter, o.to_string(), k.why))
        })
        .collect();
    let at = |m: &Mismatch| (m.perimeter, format!("{}:{}", m.file, m.line));
    let unexpected: Vec<String> = mismatches
        .iter()
        .filter(|m| !known.iter().any(|(p, o, _)| (*p, o.clone()) == at(m)))
        .map(|m| {
            format!(
                "{} perimeter: {}:{} {}: check {}, serve {}",
                m.perimeter, m.file, m.line, m.object, m.check, m.serve
            )
        })
        .collect();
    let agreeing: Vec<String> = known
        .iter()
        .filter(|(p, o, _)| !mismatches.iter().any(|m| at(m) == (*p, o.clone())))
        .map(|(p, o, why)| format!("{p} perimeter: {o} (listed as: {why})"))
        .collect();
    assert!(
        unexpected.is_empty() && agreeing.is_empty(),
        "check and serve disagree on {} objects:\n{}\n\
         and agree now on these KNOWN_MISMATCHES (remove them from the list):\n{}",
        unexpected.len(),
        unexpected.join("\n"),
        agreeing.join("\n")
    );
}
