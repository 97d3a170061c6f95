//! Reading Kubernetes objects from files, directories and standard input: multi-document YAML,
//! JSON, and `kind: List`, each document with the file and line it starts on.
//!
//! Reading never stops at the first bad input: a file that cannot be read (missing, not UTF-8, a
//! directory that cannot be listed) is one [`InputError`] and a document that does not parse is
//! one, and every other file and document is still read. A stream is split at its `---` and
//! `...` lines before any document is parsed, so one broken document (a half-written one, a Helm
//! template's `{{ }}`) never hides the others in its file: YAML forbids a `---` or `...` at the
//! start of a line inside a document's content, so a split there never cuts through a scalar or
//! a collection, however broken the document around it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::locate;

/// One object to check, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file (`-` for standard input).
    pub source: String,
    /// The 1-based line the document (or, for an item of a list, the item) starts on; 0 when
    /// it comes from no file.
    pub line: usize,
    pub value: Value,
    /// The text the object was read from, to find the line of a field (see [`Document::lines`]);
    /// `None` for an object that comes from no text.
    pub text: Option<DocumentText>,
    /// The Composition resource the object is the base of; `None` for an object read as it is.
    pub part: Option<CompositionPart>,
}

/// A base managed resource of a Composition: the Composition's name and the resource's `name`
/// in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionPart {
    pub composition: String,
    pub resource: String,
}

/// The text of one document of a stream and where it sits in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentText {
    /// Shared by the items of a list.
    text: Arc<String>,
    /// The file's line number of the text's first line.
    first_line: usize,
    /// The pointer of the object within the document: `/items/3` for an item of a list, empty
    /// for a document that is the object.
    within: String,
}

impl Document {
    /// The object at `pointer` within this document, read on its own: its line and its fields'
    /// lines are found in this document's text.
    pub fn part(&self, pointer: &str, value: Value, part: CompositionPart) -> Document {
        let line = self.lines(&[pointer]).first().copied().unwrap_or(self.line);
        Document {
            source: self.source.clone(),
            line,
            value,
            text: self.text.as_ref().map(|t| DocumentText {
                text: t.text.clone(),
                first_line: t.first_line,
                within: format!("{}{pointer}", t.within),
            }),
            part: Some(part),
        }
    }

    /// The file's line of what each JSON pointer into the object names: the deepest node along
    /// the pointer that the text holds (see [`locate`]), else the document's own line.
    ///
    /// Runs the YAML parser over the document once, so it is called only for objects with
    /// findings, once for all of them.
    pub fn lines(&self, pointers: &[&str]) -> Vec<usize> {
        let Some(text) = &self.text else {
            return vec![self.line; pointers.len()];
        };
        let within: Vec<String> = pointers
            .iter()
            .map(|p| format!("{}{p}", text.within))
            .collect();
        let within: Vec<&str> = within.iter().map(String::as_str).collect();
        locate::lines(&text.text, &within)
            .into_iter()
            .map(|line| line.map_or(self.line, |l| text.first_line + l - 1))
            .collect()
    }
}

/// Input that cannot be read or parsed, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.located())]
pub struct InputError {
    pub file: String,
    /// The 1-based line, or 0 when the error is about the whole file.
    pub line: usize,
    pub message: String,
}

impl InputError {
    fn located(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Every object read, and every input that could not be, each in reading order.
#[derive(Debug, Default)]
pub struct Manifests {
    pub documents: Vec<Document>,
    pub errors: Vec<InputError>,
}

impl Manifests {
    /// Reads the documents of one YAML stream; each one that does not parse is an error.
    pub fn read(&mut self, text: &str, source: &str) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (start, chunk) in chunks(text) {
            let value: Value = match crate::yaml::to_json_at(&chunk, start) {
                Ok(value) => value,
                Err(e) => {
                    self.errors.push(InputError {
                        file: source.to_owned(),
                        line: e.line.unwrap_or(start),
                        message: format!("not valid YAML or JSON: {e}"),
                    });
                    continue;
                }
            };
            if value.is_null() {
                continue;
            }
            let line = start
                + chunk
                    .lines()
                    .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                    .count();
            let text = Arc::new(chunk);
            let document = |value: Value, line: usize, within: String| Document {
                source: source.to_owned(),
                line,
                value,
                text: Some(DocumentText {
                    text: text.clone(),
                    first_line: start,
                    within,
                }),
                part: None,
            };
            match list_items(&value) {
                Some(items) => {
                    // Each item where it is written, found in one pass over the list.
                    let pointers: Vec<String> =
                        (0..items.len()).map(|i| format!("/items/{i}")).collect();
                    let pointers: Vec<&str> = pointers.iter().map(String::as_str).collect();
                    let lines = locate::lines(&text, &pointers);
                    for ((item, pointer), at) in items.into_iter().zip(pointers).zip(lines) {
                        let at = at.map_or(line, |l| start + l - 1);
                        self.documents.push(document(item, at, pointer.to_owned()));
                    }
                }
                None => self.documents.push(document(value, line, String::new())),
            }
        }
    }

    fn read_file(&mut self, path: &Path) {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => self.read(&text, &name),
            Err(e) => self.errors.push(io_error(&name, &e)),
        }
    }

    /// The `.yaml`, `.yml` and `.json` files under `dir`, in name order, recursively.
    /// `within`: the directories being read around this one, by their real path, so that a
    /// symbolic link back to one of them is one error instead of an endless descent.
    fn read_dir(&mut self, dir: &Path, within: &mut Vec<PathBuf>) {
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if within.contains(&real) {
            return self.errors.push(InputError {
                file: dir.display().to_string(),
                line: 0,
                message: format!(
                    "a symbolic link back to {}, which is being read already: not read again",
                    real.display()
                ),
            });
        }
        within.push(real);
        self.read_entries(dir, within);
        within.pop();
    }

    fn read_entries(&mut self, dir: &Path, within: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.errors.push(io_error(&dir.display().to_string(), &e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(e) => self.errors.push(io_error(&dir.display().to_string(), &e)),
            }
        }
        paths.sort();
        for p in paths {
            if p.is_dir() {
                self.read_dir(&p, within);
            } else if p
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                self.read_file(&p);
            }
        }
    }
}

/// Reads every path: `-` is standard input, a directory is read recursively (`.yaml`, `.yml`,
/// `.json` files, in name order). Never fails: what cannot be read is in the errors.
pub fn read_paths(paths: &[PathBuf], stdin: &mut dyn std::io::Read) -> Manifests {
    let mut out = Manifests::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            match stdin.read_to_string(&mut text) {
                Ok(_) => out.read(&text, "-"),
                Err(e) => out.errors.push(io_error("-", &e)),
            }
        } else if path.is_dir() {
            out.read_dir(path, &mut Vec::new());
        } else {
            out.read_file(path);
        }
    }
    out
}

fn io_error(source: &str, e: &std::io::Error) -> InputError {
    InputError {
        file: source.to_owned(),
        line: 0,
        message: e.to_string(),
    }
}

/// Splits a YAML stream at its `---` markers and parses each document; `kind: List` objects
/// contribute their items. The first document that does not parse is the error (for callers
/// that need every document or none; `check` reads with [`Manifests::read`]).
pub fn parse(text: &str, source: &str) -> Result<Vec<Document>, InputError> {
    let mut out = Manifests::default();
    out.read(text, source);
    match out.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(out.documents),
    }
}

/// The items of a list document: `kind: List`, or a typed list (`VPCEndpointList`,
/// `BucketPolicyList`, any `<Kind>List` with `items`), as the API server returns a collection.
/// A typed list's items usually omit `apiVersion` and `kind` (Kubernetes API Concepts,
/// "Collections"); they are the list's, without `List`.
fn list_items(value: &Value) -> Option<Vec<Value>> {
    let kind = value.get("kind").and_then(Value::as_str)?;
    let Some(Value::Array(items)) = value.get("items") else {
        return None;
    };
    if kind == "List" {
        return Some(items.clone());
    }
    // A list has no name of its own; an object of a kind that merely ends in `List` has one.
    if value.pointer("/metadata/name").is_some() {
        return None;
    }
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty())?;
    let api_version = value.get("apiVersion").cloned();
    Some(
        items
            .iter()
            .map(|item| {
                let mut item = item.clone();
                if let Value::Object(fields) = &mut item {
                    if !fields.contains_key("kind") {
                        fields.insert("kind".into(), Value::String(item_kind.to_owned()));
                    }
                    if let Some(v) = &api_version
                        && !fields.contains_key("apiVersion")
                    {
                        fields.insert("apiVersion".into(), v.clone());
                    }
                }
                item
            })
            .collect(),
    )
}

/// (first line, text) of each document; a line `---` (optionally followed by a comment or
/// content) starts a document, `...` ends one.
fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker || line == "..." {
            if !current.trim().is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            start = i + 2;
            if marker && line.len() > 3 {
                // Content after the marker (`--- {a: 1}`) belongs to the new document.
                current.push_str(&line[4..]);
                current.push('\n');
                start = i + 1;
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        out.push((start, current));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_first_line() {
        let text =
            "# comment\n---\napiVersion: v1\nkind: A\n---\n\n# c\nkind: B\n...\n---\nkind: C\n";
        let docs = parse(text, "f.yaml").unwrap();
        let lines: Vec<(usize, &str)> = docs
            .iter()
            .map(|d| (d.line, d.value["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(lines, [(3, "A"), (8, "B"), (11, "C")]);
    }

    #[test]
    fn lists_are_expanded_and_json_is_read() {
        let docs = parse(
            r#"{"kind": "List", "items": [{"kind": "A"}, {"kind": "B"}]}"#,
            "x.json",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value["kind"], "B");
    }

    #[test]
    fn typed_lists_give_their_items_the_list_kind_and_version() {
        let docs = parse(
            "apiVersion: s3.aws.upbound.io/v1beta1\nkind: BucketPolicyList\nitems:\n\
             - metadata: {name: a}\n\
             - {apiVersion: s3.aws.upbound.io/v1beta2, kind: BucketPolicy, metadata: {name: b}}\n",
            "l.yaml",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["kind"], "BucketPolicy");
        assert_eq!(docs[0].value["apiVersion"], "s3.aws.upbound.io/v1beta1");
        assert_eq!(docs[1].value["apiVersion"], "s3.aws.upbound.io/v1beta2");
        // Not lists: a `...List` kind without items, or with a name of its own, is an object.
        for text in [
            "apiVersion: v1\nkind: PodList\nmetadata: {name: x}\n",
            "apiVersion: x.io/v1\nkind: AllowList\nmetadata: {name: x}\nitems: [{a: 1}]\n",
        ] {
            let not = parse(text, "f").unwrap();
            assert_eq!(not.len(), 1, "{text}");
            assert_eq!(not[0].value["metadata"]["name"], "x");
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse("kind: A\n---\nkind: B\nspec: [unclosed\n", "f.yaml").unwrap_err();
        assert_eq!(e.file, "f.yaml");
        assert!(e.line >= 3, "{e}");
        assert!(e.message.contains("not valid YAML"));
    }

    #[test]
    fn a_bad_document_is_one_error_and_the_others_are_still_read() {
        let text = "\
kind: A
---
# A Helm template, not YAML.
kind: {{ .Values.kind }}
---
kind: B
spec: [half written
---
kind: C
";
        let mut m = Manifests::default();
        m.read(text, "f.yaml");
        let kinds: Vec<(usize, &str)> = m
            .documents
            .iter()
            .map(|d| (d.line, d.value["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(kinds, [(1, "A"), (9, "C")]);
        let errors: Vec<(&str, usize)> =
            m.errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
        assert_eq!(errors, [("f.yaml", 4), ("f.yaml", 7)]);
        assert!(
            m.errors
                .iter()
                .all(|e| e.message.starts_with("not valid YAML or JSON: "))
        );
        // The message counts lines as the file does, not from its document's start.
        assert!(
            m.errors[1].message.contains("at line 7,"),
            "{}",
            m.errors[1]
        );
        // `parse` keeps its all-or-nothing contract: the first error.
        assert_eq!(parse(text, "f.yaml").unwrap_err(), m.errors[0]);
    }

    #[test]
    fn unreadable_files_are_errors_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), b"kind: \xff\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/c.json"), r#"{"kind": "C"}"#).unwrap();
        let missing = dir.path().join("missing.yaml");
        let m = read_paths(
            &[dir.path().to_owned(), missing.clone(), "-".into()],
            &mut "kind: D\n".as_bytes(),
        );
        let kinds: Vec<&str> = m
            .documents
            .iter()
            .map(|d| d.value["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["A", "C", "D"]);
        let errors: Vec<(String, usize)> =
            m.errors.iter().map(|e| (e.file.clone(), e.line)).collect();
        assert_eq!(
            errors,
            [
                (dir.path().join("b.yaml").display().to_string(), 0),
                (missing.display().to_string(), 0)
            ]
        );
        // A whole-file error names no line.
        assert!(!m.errors[1].to_string().contains(":0:"), "{}", m.errors[1]);
    }

    /// A link back to a directory being read is one error, not an endless descent; a link to a
    /// directory elsewhere is read like any other.
    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_loop_is_one_error() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(other.path().join("b.yaml"), "kind: B\n").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        std::os::unix::fs::symlink(other.path(), dir.path().join("other")).unwrap();
        let m = read_paths(&[dir.path().to_owned()], &mut "".as_bytes());
        let kinds: Vec<&str> = m
            .documents
            .iter()
            .map(|d| d.value["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["A", "B"]);
        assert_eq!(m.errors.len(), 1, "{:?}", m.errors);
        assert!(m.errors[0].message.contains("symbolic link back"));
    }

    #[test]
    fn list_items_start_on_their_own_line_and_their_fields_resolve_inside_them() {
        let text = "\
apiVersion: v1
kind: List
items:
- kind: A
  spec:
    a: 1
- kind: B
  spec:
    b: 2
";
        let docs = parse(text, "l.yaml").unwrap();
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [4, 7]);
        assert_eq!(
            docs[1].lines(&["/spec/b", "/spec/a", "/kind", ""]),
            [9, 8, 7, 7]
        );
        // A typed list: the kind an item takes from the list is not in its text.
        let typed = "---\nkind: BucketList\nitems:\n  - metadata: {name: a}\n  - metadata:\n      name: b\n";
        let docs = parse(typed, "t.yaml").unwrap();
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(docs[1].lines(&["/metadata/name", "/kind"]), [6, 5]);
    }

    #[test]
    fn lines_are_the_files_in_every_document_of_a_stream() {
        let text = "# header\nkind: A\n---\nkind: B\nspec:\n  x: 1\n--- {kind: C, spec: {y: 2}}\n";
        let docs = parse(text, "f.yaml").unwrap();
        assert_eq!(docs[1].lines(&["/spec/x", "/spec/z", "/kind"]), [6, 5, 4]);
        assert_eq!(docs[2].lines(&["/spec/y"]), [7]);
        let json = "{\n  \"kind\": \"A\",\n  \"spec\": {\n    \"policy\": \"{}\"\n  }\n}\n";
        let docs = parse(json, "f.json").unwrap();
        assert_eq!(
            docs[0].lines(&["/spec/policy", "/spec/policy/Statement"]),
            [4, 4]
        );
        // An object read from no text is at its own line.
        let bare = Document {
            source: "x".into(),
            line: 0,
            value: Value::Null,
            text: None,
            part: None,
        };
        assert_eq!(bare.lines(&["/a", "/b"]), [0, 0]);
    }

    #[test]
    fn empty_documents_are_skipped() {
        assert!(
            parse("---\n---\n# only a comment\n", "f")
                .unwrap()
                .is_empty()
        );
        let docs = parse("--- {kind: A}\n", "f").unwrap();
        assert_eq!(
            (docs[0].line, docs[0].value["kind"].as_str()),
            (1, Some("A"))
        );
    }
}
