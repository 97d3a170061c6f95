//! An invalid DataPerimeter reaches the user with the same message, naming the field path, through
//! every command that reads one: `check`, `analyze`, and `serve` (its log and `/readyz`).

use crate::common;

use std::time::{Duration, Instant};

use serde_json::Value;

use common::cli::{run, text};
use common::pki::Ca;

/// A perimeter whose only fault is an account id YAML reads as a number.
const UNQUOTED: &str = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity:\n    trustedOrganizations: [o-abc123def4]\n    trustedAccounts: [111122223333]\n";

const MESSAGE: &str = "spec.identity.trustedAccounts[0]: invalid type: integer `111122223333`, \
                       expected a string; quote it: unquoted, YAML reads it as a number";

fn check(perimeter: &str) -> std::process::Output {
    run(
        &[
            "check",
            "--perimeter",
            "-",
            "-f",
            "manifests/examples/ack.yaml",
            "--fail-on",
            "never",
        ],
        Some(perimeter),
    )
}

#[test]
fn check_names_the_field_of_a_value_of_the_wrong_type() {
    let out = check(UNQUOTED);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!("error: standard input: {MESSAGE}")
    );
    let quoted = check(&UNQUOTED.replace("[111122223333]", "[\"111122223333\"]"));
    assert_eq!(quoted.status.code(), Some(0), "{}", text(&quoted.stderr));
}

#[test]
fn analyze_names_the_field_of_a_value_of_the_wrong_type() {
    let analyze = |perimeter: &str| {
        run(
            &[
                "analyze",
                "--kind",
                "bucket-policy",
                "--perimeter",
                "-",
                "examples/simulate/bucket-policy.json",
            ],
            Some(perimeter),
        )
    };
    let out = analyze(UNQUOTED);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!("error: standard input: {MESSAGE}")
    );
    let quoted = analyze(&UNQUOTED.replace("[111122223333]", "[\"111122223333\"]"));
    assert_ne!(quoted.status.code(), Some(2), "{}", text(&quoted.stderr));
}

/// `serve` with only an invalid file never becomes ready; why is on `/readyz` and in its log.
#[test]
fn serve_reports_the_field_on_readyz_and_in_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("corp.yaml");
    std::fs::write(&file, UNQUOTED).expect("write");
    let ca = Ca::new("webhook CA");
    let mut server = common::serve::spawn(
        &ca,
        &[("PERIMETER_GUARD_PERIMETER", file.to_str().expect("utf-8"))],
    );
    let expected = format!("{}: {MESSAGE}", file.display());
    let deadline = Instant::now() + Duration::from_secs(10);
    let detail = loop {
        if let Some((status, body)) = readyz(server.health) {
            assert_eq!(status, 503, "{body}");
            let detail: Value = serde_json::from_str(&body).expect("JSON");
            if detail["config"]["lastError"].is_string() {
                break detail;
            }
        }
        assert!(Instant::now() < deadline, "the error never showed");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(detail["config"]["lastError"], expected.as_str());
    server.child.kill().expect("kill");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.child.stderr.take().expect("stderr"), &mut log)
        .expect("log");
    assert!(
        log.lines()
            .any(|l| l.contains("configuration rejected") && l.contains(&expected)),
        "{log}"
    );
}

/// `GET /readyz`: the status and the body.
fn readyz(port: u16) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}
