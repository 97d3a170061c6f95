//! Where the shared corpus lives, and the files in it.

use std::path::{Path, PathBuf};

/// Where the corpus of real CRDs, manifests and policies is looked for: `PERIMETER_GUARD_CORPUS`,
/// or `../shared/corpus` beside the repository.
pub fn location() -> PathBuf {
    std::env::var_os("PERIMETER_GUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// The corpus, for a test that reads it. Every such test has `corpus` in its name, so that
/// `scripts/test.sh` can skip them, and say so, on a clone without the corpus; run directly, a
/// missing corpus fails the test loudly instead of testing nothing.
pub fn corpus_root() -> PathBuf {
    let root = location();
    assert!(
        root.join("policies").is_dir(),
        "the shared corpus is not at {} (set PERIMETER_GUARD_CORPUS to its path; scripts/test.sh \
         skips the tests that need it when it is missing)",
        root.display()
    );
    root
}

/// The corpus when it is there, for benchmarks, which then also measure it; `None` (said on
/// standard error) when it is not, unless `PERIMETER_GUARD_REQUIRE_CORPUS` makes it mandatory.
pub fn corpus_root_if_present() -> Option<PathBuf> {
    let root = location();
    if root.join("policies").is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var("PERIMETER_GUARD_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "the shared corpus is required (PERIMETER_GUARD_REQUIRE_CORPUS) but is not at {}",
        root.display()
    );
    eprintln!(
        "note: the shared corpus is not at {}; only the repository's own examples are measured",
        root.display()
    );
    None
}

/// Every file with the given extension below `dir`, sorted, as paths relative to `dir`.
pub fn files_below(dir: &Path, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, extension, out);
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, extension, &mut out);
    out.into_iter()
        .map(|p| p.strip_prefix(dir).expect("below dir").to_path_buf())
        .collect()
}

/// Values for the placeholders of AWS's RCP and SCP examples in their documented forms,
/// consistent with the perimeters in `tests/integration/guardrails/`: the
/// organization `o-abc123def4`, its account `111122223333`, the corporate range and VPC.
const GUARDRAIL_PLACEHOLDERS: &[(&str, &str)] = &[
    ("<my-org-id>", "o-abc123def4"),
    ("<my-account-id>", "111122223333"),
    ("<third-party-account-a>", "222233334444"),
    ("<third-party-account-b>", "333344445555"),
    ("<load-balancing-account-id>", "127311923021"),
    ("<fin-space-account-id>", "444455556666"),
    ("<my-corporate-cidr>", "203.0.113.0/24"),
    ("<my-vpc>", "vpc-111bbb22"),
    ("<my-vpc-in-this-region>", "vpc-111bbb22"),
    ("<my-vpc-region>", "us-east-1"),
    ("<my-vpc-region-2>", "us-west-2"),
    (
        "<OIDC_provider_name_1>",
        "token.actions.githubusercontent.com",
    ),
    (
        "<OIDC_provider_name_2>",
        "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
    ),
    ("<my-tenant-value>", "repo:example/app:ref:refs/heads/main"),
    ("<trusted_email_domain>", "example.com"),
    ("<trusted_https_endpoint>", "https://hooks.example.com/"),
];

/// An RCP or SCP example of AWS's with [`GUARDRAIL_PLACEHOLDERS`] filled in: without them a
/// guardrail's conditions name no organization, network or account a request can carry.
pub fn fill_guardrail_placeholders(text: &str) -> String {
    GUARDRAIL_PLACEHOLDERS
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
}
