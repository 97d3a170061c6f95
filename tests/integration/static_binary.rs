//! The binary the image ships: the static musl release build of `scripts/static-build.sh`, the
//! same command the Dockerfile runs. It must need nothing from the image (distroless/static has
//! no libc and no loader), decide exactly as the test build does, and serve over TLS.
//!
//! `PERIMETER_GUARD_STATIC_BINARY` names it; `scripts/test.sh` builds it and sets the variable.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use object::elf;
use object::read::elf::{Dyn, ElfFile64, FileHeader, ProgramHeader};

use common::admission::{example_objects, example_perimeter, review};
use common::cli::run_program;
use common::pki::Ca;
use common::serve::start_program;
use perimeter_guard::admission::{self, Settings};
use serde_json::Value;

fn static_binary() -> PathBuf {
    let path = std::env::var_os("PERIMETER_GUARD_STATIC_BINARY").unwrap_or_else(|| {
        panic!(
            "PERIMETER_GUARD_STATIC_BINARY is not set: build the static binary with \
             `eval \"$(scripts/static-build.sh)\"` (scripts/test.sh does)"
        )
    });
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

#[test]
fn needs_no_loader_and_no_shared_library() {
    let path = static_binary();
    let data = std::fs::read(&path).expect("the binary");
    let file = ElfFile64::<object::Endianness>::parse(&*data).expect("an ELF64 file");
    let header = file.elf_header();
    let endian = file.endian();
    assert_eq!(header.e_machine(endian), elf::EM_X86_64);

    let segments = header.program_headers(endian, &*data).expect("segments");
    assert!(
        !segments.iter().any(|s| s.p_type(endian) == elf::PT_INTERP),
        "{} asks for a program interpreter: it is not static",
        path.display()
    );
    // A static PIE keeps a dynamic section for its own relocations; it must name no library.
    let needed: Vec<u64> = segments
        .iter()
        .filter(|s| s.p_type(endian) == elf::PT_DYNAMIC)
        .filter_map(|s| s.dynamic(endian, &*data).expect("the dynamic section"))
        .flatten()
        .filter(|d| d.d_tag(endian) == elf::DT_NEEDED)
        .map(|d| d.d_val(endian))
        .collect();
    assert!(
        needed.is_empty(),
        "{} needs {} shared libraries",
        path.display(),
        needed.len()
    );
}

/// `check` of the examples by a build of the binary: exit code and standard output.
fn check(program: &std::path::Path, output: &str) -> (Option<i32>, String) {
    let out = run_program(
        program,
        &[
            "check",
            "--perimeter",
            "manifests/examples/dataperimeter.yaml",
            "-f",
            "manifests/examples",
            "--output",
            output,
        ],
        None,
    );
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

#[test]
fn checks_exactly_as_the_test_build_does() {
    let shipped = static_binary();
    let tested = std::path::Path::new(env!("CARGO_BIN_EXE_perimeter-guard"));
    for output in ["text", "json", "sarif"] {
        let (code, stdout) = check(&shipped, output);
        assert_eq!(code, Some(1), "the examples violate the perimeter");
        assert!(stdout.contains("DP-BP-001"), "{stdout}");
        assert_eq!((code, stdout), check(tested, output), "--output {output}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_same_decisions_over_tls() {
    let ca = Ca::new("webhook CA");
    let server = start_program(&static_binary(), &ca, &[]);
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(ca.client_config(None))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let perimeters =
        perimeter_guard::perimeter::load_perimeters(&example_perimeter(), "p").expect("valid");

    let mut decided = (0, 0);
    for file in [
        "manifests/examples/ack.yaml",
        "manifests/examples/upbound.yaml",
        "manifests/examples/crossplane-classic.yaml",
    ] {
        for object in example_objects(file) {
            let body = review("CREATE", Some(&object), None, false).to_string();
            let expected = admission::review(body.as_bytes(), &perimeters, &Settings::default())
                .expect("a review");
            let expected = serde_json::to_value(&expected.review).expect("json");
            let answer = client
                .post(format!("https://localhost:{}/validate", server.webhook))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("an answer");
            assert_eq!(answer.status(), 200);
            let answer: Value = answer.json().await.expect("an AdmissionReview");
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            for field in ["allowed", "status", "warnings"] {
                assert_eq!(
                    answer["response"][field], expected["response"][field],
                    "{file} {name}: {field}"
                );
            }
            if answer["response"]["allowed"] == true {
                decided.0 += 1;
            } else {
                decided.1 += 1;
            }
        }
    }
    assert!(
        decided.0 > 0 && decided.1 > 0,
        "allowed and denied both served: {decided:?}"
    );
}
