//! The conventions of docs/development.md that a reader relies on, held by a test: every type
//! name in `src/` is defined once (a name in a message or a log is one type), no error is a bare
//! `String` (`Result<_, String>` drops what failed and where), and the library's top-level modules
//! import each other in one direction only (cli, server, audit, admission, decision, perimeter,
//! resources, iam), so each can be read without the ones above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The type a line defines: `struct`, `enum`, `trait`, or a `type` alias at the start of a line
/// (an associated `type Value = ...;` inside an impl is indented and names no new type).
fn defined_type(line: &str) -> Option<&str> {
    let indented = line.starts_with(' ');
    let mut words = line.split_whitespace().peekable();
    if words.peek().is_some_and(|w| w.starts_with("pub")) {
        words.next();
    }
    let keyword = words.next()?;
    let name = words.next()?;
    let name = name.split(['<', '(', '{', ';', ':']).next()?;
    let defines =
        matches!(keyword, "struct" | "enum" | "trait") || (keyword == "type" && !indented);
    (defines && name.starts_with(|c: char| c.is_ascii_uppercase())).then_some(name)
}

#[test]
fn every_type_name_is_defined_once() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in sources() {
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if let Some(name) = defined_type(line) {
                seen.entry(name.to_owned()).or_default().push(format!(
                    "{}:{}",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    assert!(seen.len() > 50, "found only {} types", seen.len());
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(name, at)| format!("{name}: {}", at.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "defined more than once:\n{}",
        twice.join("\n")
    );
}

#[test]
fn no_error_is_a_bare_string() {
    let mut found = Vec::new();
    for (path, text) in sources() {
        for (n, line) in text.lines().enumerate() {
            let compact: String = line.split_whitespace().collect();
            if compact.contains(",String>") && compact.contains("Result<") {
                let tail = &compact[compact.find("Result<").expect("found") + 7..];
                // The error type is the last top-level argument of Result<..>.
                let mut depth = 0;
                let mut last_comma = None;
                for (i, c) in tail.char_indices() {
                    match c {
                        '<' | '(' => depth += 1,
                        '>' | ')' if depth == 0 => break,
                        '>' | ')' => depth -= 1,
                        ',' if depth == 0 => last_comma = Some(i),
                        _ => {}
                    }
                }
                if let Some(i) = last_comma
                    && tail[i + 1..].starts_with("String>")
                {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "Result<_, String>:\n{}", found.join("\n"));
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(defined_type("pub struct Snapshot {"), Some("Snapshot"));
    assert_eq!(defined_type("    pub(crate) enum Seen {"), Some("Seen"));
    assert_eq!(defined_type("pub type Shared<T> = Arc<T>;"), Some("Shared"));
    assert_eq!(defined_type("    type Value = Value;"), None);
    assert_eq!(defined_type("let struct_like = 1;"), None);
}

/// Which top-level modules each top-level module of the library uses through `crate::`, outside
/// its tests.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = sources();
    let top = |path: &Path| -> Option<String> {
        let rel = path.strip_prefix(&src).ok()?;
        let first = rel.components().next()?.as_os_str().to_str()?;
        Some(first.trim_end_matches(".rs").to_owned())
    };
    let modules: BTreeSet<String> = sources
        .iter()
        .filter_map(|(p, _)| top(p))
        .filter(|m| m != "main" && m != "lib")
        .collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &sources {
        let Some(from) = top(path) else { continue };
        if !modules.contains(&from) || path.file_name().is_some_and(|f| f == "tests.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                imports.entry(from.clone()).or_default().insert(name);
            }
        }
    }
    imports
}

#[test]
fn top_level_modules_import_each_other_in_one_direction() {
    let imports = module_imports();
    assert!(
        imports.get("cli").is_some_and(|i| i.contains("iam")),
        "the scan sees imports: {imports:?}"
    );
    // Depth-first search for a way back to where it started.
    fn back_to<'a>(
        start: &'a str,
        at: &'a str,
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
    ) -> bool {
        for next in imports.get(at).into_iter().flatten() {
            if next == start {
                path.push(next);
                return true;
            }
            if !path.contains(&next.as_str()) {
                path.push(next);
                if back_to(start, next, imports, path) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for start in imports.keys() {
        let mut path = vec![start.as_str()];
        assert!(
            !back_to(start, start, &imports, &mut path),
            "modules import each other in a cycle: {}",
            path.join(" -> ")
        );
    }
}
