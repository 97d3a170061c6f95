//! Field paths in configuration errors, one syntax whether the value has the wrong type (found
//! while reading) or the wrong form (found by validation): `spec.identity.trustedAccounts[0]`,
//! `spec.rules.DP-EP-001`, and `spec.match.labelSelector.matchLabels["app.kubernetes.io/name"]`
//! for a key that would otherwise read as several fields.

use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// What a path names when it names no field: the document as a whole.
pub const DOCUMENT: &str = "(document)";

/// `parent.key`, or `parent["key"]` for a key that is empty or holds characters other than
/// letters, digits, `-` and `_` (a dot, a slash, a space would make the path ambiguous).
pub fn key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        // A JSON string literal: quotes and backslashes in the key stay readable and unambiguous.
        (_, false) => format!("{parent}[{}]", Value::String(key.to_owned())),
    }
}

/// `parent[index]`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The path where reading stopped, in the syntax above; [`DOCUMENT`] for the top level.
pub fn of(path: &Path) -> String {
    let mut out = String::new();
    for segment in path {
        out = match segment {
            Segment::Seq { index: i } => index(&out, *i),
            Segment::Map { key: k } | Segment::Enum { variant: k } => key(&out, k),
            // A key that is not a string: JSON, and so the YAML read into it, has none.
            Segment::Unknown => format!("{out}[?]"),
        };
    }
    if out.is_empty() {
        DOCUMENT.to_owned()
    } else {
        out
    }
}

/// The value `path` leads to in `root`, if it is there (a missing field's path leads nowhere).
pub fn value_at<'a>(root: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(root, |value, segment| match segment {
        Segment::Seq { index } => value.get(index),
        Segment::Map { key } | Segment::Enum { variant: key } => value.get(key.as_str()),
        Segment::Unknown => None,
    })
}
