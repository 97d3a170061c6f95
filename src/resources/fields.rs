//! Reading fields from an object: values, references the controller resolves later, absence.

use serde_json::Value;

/// A value read from an object, with the JSON pointer it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Field<T> {
    Set {
        value: T,
        pointer: String,
    },
    /// Given only as a reference or selector: the controller fills the value after admission
    /// (Crossplane persists it in a later UPDATE; ACK never does).
    Unresolved {
        pointer: String,
    },
    Absent,
}

impl<T> Field<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Set { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn pointer(&self) -> Option<&str> {
        match self {
            Field::Set { pointer, .. } | Field::Unresolved { pointer } => Some(pointer),
            Field::Absent => None,
        }
    }
}

/// Escapes one JSON pointer segment.
pub fn seg(s: &str) -> String {
    // Nearly every key needs no escaping; building it once saves two allocations per field read.
    if !s.contains(['~', '/']) {
        return s.to_owned();
    }
    s.replace('~', "~0").replace('/', "~1")
}

/// The value at a path of plain keys, ignoring nulls: [`at`] without parsing a pointer, for the
/// lookups every admission makes.
pub fn get<'v, 'k>(doc: &'v Value, keys: impl IntoIterator<Item = &'k str>) -> Option<&'v Value> {
    keys.into_iter()
        .try_fold(doc, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

/// The value at `pointer` (RFC 6901), ignoring nulls. Unlike `Value::pointer`, a segment is
/// unescaped only when it holds an escape, so a lookup allocates nothing: adapters make dozens
/// per admission.
pub fn at<'v>(doc: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return (!doc.is_null()).then_some(doc);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut here = doc;
    for token in rest.split('/') {
        here = if token.contains('~') {
            step(here, &token.replace("~1", "/").replace("~0", "~"))?
        } else {
            step(here, token)?
        };
    }
    (!here.is_null()).then_some(here)
}

fn step<'v>(value: &'v Value, token: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => {
            // RFC 6901 array indices: decimal without a sign or leading zeros.
            if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
                return None;
            }
            items.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    }
}

/// A string field, or its `<name>Ref` / `<name>Selector` companions (`ref_name`: the stem the
/// provider uses for them, e.g. `vpcId` -> `vpcIdRef`, ACK's `vpcID` -> `vpcRef`).
pub fn string(doc: &Value, base: &str, name: &str, refs: &[&str]) -> Field<String> {
    let pointer = format!("{base}/{}", seg(name));
    if let Some(Value::String(s)) = at(doc, &pointer) {
        return Field::Set {
            value: s.clone(),
            pointer,
        };
    }
    for r in refs {
        let p = format!("{base}/{}", seg(r));
        if at(doc, &p).is_some() {
            return Field::Unresolved { pointer: p };
        }
    }
    Field::Absent
}

pub fn boolean(doc: &Value, pointer: &str) -> Field<bool> {
    match at(doc, pointer) {
        Some(Value::Bool(b)) => Field::Set {
            value: *b,
            pointer: pointer.to_owned(),
        },
        _ => Field::Absent,
    }
}

/// A list of strings and its list of references / selector.
pub fn strings(doc: &Value, base: &str, name: &str, refs: &[&str]) -> Vec<Field<String>> {
    let pointer = format!("{base}/{}", seg(name));
    let mut out: Vec<Field<String>> = match at(doc, &pointer) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_str().map(|s| Field::Set {
                    value: s.to_owned(),
                    pointer: format!("{pointer}/{i}"),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    if out.is_empty() {
        for r in refs {
            let p = format!("{base}/{}", seg(r));
            match at(doc, &p) {
                Some(Value::Array(items)) => {
                    out.extend((0..items.len()).map(|i| Field::Unresolved {
                        pointer: format!("{p}/{i}"),
                    }));
                }
                Some(_) => out.push(Field::Unresolved { pointer: p }),
                None => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn at_reads_what_value_pointer_reads() {
        let doc = json!({
            "metadata": {"annotations": {"crossplane.io/external-name": "x", "a~b": 1, "": 2}},
            "spec": {"list": [10, {"k": "v"}, null], "nothing": null, "0": "zero"}
        });
        for pointer in [
            "",
            "/metadata",
            "/metadata/annotations/crossplane.io~1external-name",
            "/metadata/annotations/a~0b",
            "/metadata/annotations/",
            "/metadata/annotations/a~1b",
            "/spec/list/0",
            "/spec/list/1/k",
            "/spec/list/2",
            "/spec/list/3",
            "/spec/list/01",
            "/spec/list/+1",
            "/spec/list/-",
            "/spec/nothing",
            "/spec/0",
            "/spec/missing/deeper",
            "spec",
        ] {
            let expected = doc.pointer(pointer).filter(|v| !v.is_null());
            assert_eq!(at(&doc, pointer), expected, "{pointer}");
        }
        assert_eq!(at(&Value::Null, ""), None);
    }

    #[test]
    fn seg_escapes_only_what_needs_escaping() {
        assert_eq!(
            seg("crossplane.io/external-name"),
            "crossplane.io~1external-name"
        );
        assert_eq!(seg("a~b/c"), "a~0b~1c");
        assert_eq!(seg("plain"), "plain");
    }
}
