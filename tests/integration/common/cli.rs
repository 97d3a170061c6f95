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
