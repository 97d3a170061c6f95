//! Runs the real `perimeter-guard` binary as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary from the repository root, feeding `stdin` (or nothing) on standard input.
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_program(
        std::path::Path::new(env!("CARGO_BIN_EXE_perimeter-guard")),
        args,
        stdin,
    )
}

/// As [`run`], with another build of the binary (the static one the image ships).
pub fn run_program(program: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("the binary finishes")
}

/// `check` of the bundled examples against the example perimeter, with `more` arguments.
pub fn check_examples(more: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--perimeter",
        "manifests/examples/dataperimeter.yaml",
        "-f",
        "manifests/examples",
    ];
    args.extend_from_slice(more);
    run(&args, None)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The rule ids of a `check` JSON report object's findings, in order.
pub fn finding_rules(object: &serde_json::Value) -> Vec<&str> {
    object["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["rule"].as_str()).collect())
        .unwrap_or_default()
}

/// The object of a `check` JSON report that is the resource `resource` of a Composition or of a
/// composite (its `partOf.resource`).
pub fn composed_part<'a>(report: &'a serde_json::Value, resource: &str) -> &'a serde_json::Value {
    report["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["partOf"]["resource"] == resource)
        .unwrap_or_else(|| panic!("no result for resource {resource}: {report:#}"))
}

/// `check --output json` of the example perimeter with `args` (and `stdin`): the exit code and
/// the report.
pub fn check_json(args: &[&str], stdin: Option<&str>) -> (Option<i32>, serde_json::Value) {
    let mut all = vec![
        "check",
        "--perimeter",
        "manifests/examples/dataperimeter.yaml",
        "--output",
        "json",
    ];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code(), report)
}
