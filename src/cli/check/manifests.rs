//! Reading Kubernetes objects from files, directories and standard input: multi-document YAML,
//! JSON, and `kind: List`, each document with the file and line it starts on.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One object to check, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file (`-` for standard input).
    pub source: String,
    /// The 1-based line the document starts on.
    pub line: usize,
    pub value: Value,
}

/// Input that cannot be read or parsed, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Reads every path: `-` is standard input, a directory is read recursively (`.yaml`, `.yml`,
/// `.json` files, in name order).
pub fn read_paths(
    paths: &[PathBuf],
    stdin: &mut dyn std::io::Read,
) -> Result<Vec<Document>, InputError> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| io_error("-", &e))?;
            out.extend(parse(&text, "-")?);
        } else if path.is_dir() {
            for file in files_in(path)? {
                out.extend(read_file(&file)?);
            }
        } else {
            out.extend(read_file(path)?);
        }
    }
    Ok(out)
}

fn io_error(source: &str, e: &std::io::Error) -> InputError {
    InputError {
        file: source.to_owned(),
        line: 0,
        message: e.to_string(),
    }
}

fn read_file(path: &Path) -> Result<Vec<Document>, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| io_error(&name, &e))?;
    parse(&text, &name)
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(&dir.display().to_string(), &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(files_in(&p)?);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(p);
        }
    }
    Ok(out)
}

/// Splits a YAML stream at its `---` markers and parses each document; `kind: List` objects
/// contribute their items.
pub fn parse(text: &str, source: &str) -> Result<Vec<Document>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (start, chunk) in chunks(text) {
        let value: Value = crate::yaml::to_json_at(&chunk, start).map_err(|e| InputError {
            file: source.to_owned(),
            line: e.line.unwrap_or(start),
            message: format!("not valid YAML or JSON: {e}"),
        })?;
        if value.is_null() {
            continue;
        }
        let line = start
            + chunk
                .lines()
                .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                .count();
        match list_items(&value) {
            Some(items) => out.extend(items.into_iter().map(|item| Document {
                source: source.to_owned(),
                line,
                value: item,
            })),
            None => out.push(Document {
                source: source.to_owned(),
                line,
                value,
            }),
        }
    }
    Ok(out)
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
        // The message counts lines as the file does, not from its document's start.
        assert!(e.message.contains(&format!("at line {},", e.line)), "{e}");
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
