//! Where the shared corpus lives, and the files in it.

use std::path::{Path, PathBuf};

/// The corpus of real CRDs, manifests and policies: `PERIMETER_GUARD_CORPUS`, or `../shared/corpus`
/// beside the repository. A missing corpus fails the test loudly instead of testing nothing.
pub fn corpus_root() -> PathBuf {
    let root = std::env::var_os("PERIMETER_GUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        root.join("policies").is_dir(),
        "the corpus is not at {} (set PERIMETER_GUARD_CORPUS to its path)",
        root.display()
    );
    root
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
