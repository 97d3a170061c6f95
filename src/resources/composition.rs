//! Crossplane Compositions read without a cluster: each base managed resource as Crossplane
//! composes it, with the fields its patches write left unknown, and the pipeline steps whose
//! output no static reading can know.
//!
//! Two forms are read (Crossplane, "Compositions"; function-patch-and-transform's README):
//! - `mode: Pipeline`: every step whose input is function-patch-and-transform's
//!   (`pt.fn.crossplane.io` `Resources`) gives `input.resources[].base`, with `input.patchSets`;
//! - the older resources mode (`spec.resources[].base`, with `spec.patchSets`), the default
//!   before Crossplane v2 removed it.
//!
//! Any other step that may compose resources (function-go-templating, function-kcl, ...)
//! renders them from a program: it is named as not statically checkable, never passed silently.

use serde_json::{Map, Value};

use super::fields::{get, seg};
use super::{Adapted, ObjectRef, adapt};

pub const GROUP: &str = "apiextensions.crossplane.io";

/// Whether the object is a Crossplane Composition.
pub fn is_composition(object: &ObjectRef) -> bool {
    object.group() == GROUP && object.kind == "Composition"
}

/// Whether the document is a Crossplane Composition, by its `apiVersion` and `kind`.
pub fn is_composition_document(doc: &Value) -> bool {
    let group = get(doc, ["apiVersion"])
        .and_then(Value::as_str)
        .and_then(|a| a.split_once('/'))
        .map(|(g, _)| g);
    group == Some(GROUP) && get(doc, ["kind"]).and_then(Value::as_str) == Some("Composition")
}

/// A part of a Composition whose resources no static reading can know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    /// Where it is in the Composition.
    pub pointer: String,
    pub why: String,
}

/// One base managed resource of a Composition.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposedBase {
    /// The resource's `name` in the Composition (`resources[i]` for an unnamed one of the
    /// resources mode).
    pub resource: String,
    /// Where the base is in the Composition.
    pub pointer: String,
    /// The base as Crossplane starts from it, with every field a patch writes removed: what a
    /// patch writes is known only when a composite exists.
    pub object: Value,
    pub patched: Vec<PatchedField>,
}

/// A field of a composed resource that a patch writes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatchedField {
    /// Where in the composed resource.
    pub pointer: String,
    /// The patch, for findings: its place and what it copies.
    pub by: String,
    /// Whether a rule reads the field (or something inside it).
    pub read: bool,
}

/// The pipeline steps and patches that make resources no static reading can know.
pub fn unreadable(doc: &Value) -> Vec<Unreadable> {
    let mut out = Vec::new();
    walk(doc, None, &mut out);
    out
}

/// Every base managed resource of the Composition, read as Crossplane composes it.
pub fn bases(doc: &Value) -> Vec<ComposedBase> {
    let mut found = Vec::new();
    walk(doc, Some(&mut |b| found.push(b)), &mut Vec::new());
    found
}

/// Reads the Composition's resource lists: each part no static reading can know goes to
/// `unreadable`, and, when `base` is given, each base to it (building a base adapts it once per
/// patched field, which [`unreadable`] alone never needs).
fn walk(
    doc: &Value,
    mut base: Option<&mut (dyn FnMut(ComposedBase) + '_)>,
    unreadable: &mut Vec<Unreadable>,
) {
    let pipeline = get(doc, ["spec", "mode"]).and_then(Value::as_str) == Some("Pipeline");
    if !pipeline {
        if let Some(Value::Array(resources)) = get(doc, ["spec", "resources"]) {
            let sets = get(doc, ["spec", "patchSets"]);
            read_resources(resources, "/spec/resources", sets, base, unreadable);
        }
        return;
    }
    let Some(Value::Array(steps)) = get(doc, ["spec", "pipeline"]) else {
        return;
    };
    for (i, step) in steps.iter().enumerate() {
        let at = format!("/spec/pipeline/{i}");
        let function = get(step, ["functionRef", "name"])
            .and_then(Value::as_str)
            .unwrap_or("(no functionRef.name)");
        let name = get(step, ["step"]).and_then(Value::as_str).unwrap_or("");
        let input = step.get("input");
        let input_api = input
            .and_then(|i| i.get("apiVersion"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let input_group = input_api.split_once('/').map_or(input_api, |(g, _)| g);
        let input_kind = input
            .and_then(|i| i.get("kind"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if input_group == "pt.fn.crossplane.io" && input_kind == "Resources" {
            if let Some(Value::Array(resources)) = input.and_then(|i| i.get("resources")) {
                let sets = input.and_then(|i| i.get("patchSets"));
                let at = format!("{at}/input/resources");
                read_resources(resources, &at, sets, base.as_deref_mut(), unreadable);
            }
            continue;
        }
        if composes_nothing(function, input_group) {
            continue;
        }
        let input = if input_api.is_empty() {
            String::new()
        } else {
            format!(" (input {input_api} {input_kind})")
        };
        unreadable.push(Unreadable {
            pointer: at,
            why: format!(
                "pipeline step {name:?} runs {function}{input}: not statically checkable, as it renders its resources from a program; check the output of `crossplane render` instead"
            ),
        });
    }
}

/// Functions known to compose no resource: they load context, or mark readiness. Any other
/// function may render resources, so it is named.
fn composes_nothing(function: &str, input_group: &str) -> bool {
    const CONTEXT_INPUTS: &[&str] = &[
        "environmentconfigs.fn.crossplane.io",
        "extra-resources.fn.crossplane.io",
    ];
    if CONTEXT_INPUTS.contains(&input_group) {
        return true;
    }
    input_group.is_empty()
        && ["function-auto-ready", "function-sequencer"]
            .iter()
            .any(|f| function == *f || function.ends_with(&format!("-{f}")))
}

fn read_resources(
    resources: &[Value],
    at: &str,
    patch_sets: Option<&Value>,
    mut base: Option<&mut (dyn FnMut(ComposedBase) + '_)>,
    unreadable: &mut Vec<Unreadable>,
) {
    for (j, resource) in resources.iter().enumerate() {
        let name = resource
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("resources[{j}]"), str::to_owned);
        let pointer = format!("{at}/{j}/base");
        // A pipeline resource without a base patches one an earlier step composed: that step is
        // read (or named) on its own.
        let Some(Value::Object(_)) = resource.get("base") else {
            continue;
        };
        let mut patched = Vec::new();
        let mut broken = None;
        let patches = resource.get("patches").and_then(Value::as_array);
        for (k, patch) in patches.into_iter().flatten().enumerate() {
            let here = format!("{at}/{j}/patches/{k}");
            if patch.get("type").and_then(Value::as_str) == Some("PatchSet") {
                let set = patch.get("patchSetName").and_then(Value::as_str);
                let Some((set_name, set_patches)) = set.and_then(|s| named_set(patch_sets, s))
                else {
                    broken = Some(Unreadable {
                        pointer: here,
                        why: format!(
                            "resource {name:?} names a patch set this Composition does not define ({})",
                            set.unwrap_or("no patchSetName")
                        ),
                    });
                    continue;
                };
                for (m, inner) in set_patches.iter().enumerate() {
                    let by = format!("patch {k} (patch set {set_name:?}, its patch {m})");
                    if let Err(e) = written(inner, &by, &mut patched) {
                        broken = Some(Unreadable {
                            pointer: here.clone(),
                            why: format!("resource {name:?}: {e}"),
                        });
                    }
                }
                continue;
            }
            if let Err(e) = written(patch, &format!("patch {k}"), &mut patched) {
                broken = Some(Unreadable {
                    pointer: here,
                    why: format!("resource {name:?}: {e}"),
                });
            }
        }
        if let Some(b) = broken {
            unreadable.push(b);
            continue;
        }
        let Some(base) = base.as_deref_mut() else {
            continue;
        };
        let mut object = resource["base"].clone();
        name_it(&mut object, &name);
        for p in &mut patched {
            p.read = is_read(&object, &p.pointer);
        }
        for p in &patched {
            remove(&mut object, &p.pointer);
        }
        // A patched name is known only once composed.
        name_it(&mut object, &name);
        base(ComposedBase {
            resource: name,
            pointer,
            object,
            patched,
        });
    }
}

fn named_set<'a>(sets: Option<&'a Value>, name: &str) -> Option<(&'a str, &'a [Value])> {
    sets?.as_array()?.iter().find_map(|s| {
        let n = s.get("name")?.as_str()?;
        (n == name).then_some((n, s.get("patches")?.as_array()?.as_slice()))
    })
}

/// The field a patch writes into the composed resource, if it writes one: patches of type
/// `FromCompositeFieldPath` (the default), `CombineFromComposite`, `FromEnvironmentFieldPath`
/// and `CombineFromEnvironment` do; the `To...` types write the composite or the environment.
/// A patch whose target cannot be known.
#[derive(Debug, thiserror::Error)]
enum UnreadablePatch {
    #[error("{by} ({kind}) names no field it writes")]
    NoTarget { by: String, kind: String },
    #[error("{by} ({kind}) writes {target:?}, which is not a field path")]
    NotAFieldPath {
        by: String,
        kind: String,
        target: String,
    },
}

fn written(patch: &Value, by: &str, out: &mut Vec<PatchedField>) -> Result<(), UnreadablePatch> {
    let kind = patch
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("FromCompositeFieldPath");
    let from = patch.get("fromFieldPath").and_then(Value::as_str);
    let to = patch.get("toFieldPath").and_then(Value::as_str);
    let target = match kind {
        // toFieldPath defaults to fromFieldPath (Crossplane, "Patch and transforms").
        "FromCompositeFieldPath" | "FromEnvironmentFieldPath" => to.or(from),
        "CombineFromComposite" | "CombineFromEnvironment" => to,
        _ => return Ok(()),
    };
    let Some(target) = target else {
        return Err(UnreadablePatch::NoTarget {
            by: by.to_owned(),
            kind: kind.to_owned(),
        });
    };
    let pointer = field_path_pointer(target).ok_or_else(|| UnreadablePatch::NotAFieldPath {
        by: by.to_owned(),
        kind: kind.to_owned(),
        target: target.to_owned(),
    })?;
    let sources: Vec<&str> = match kind {
        "CombineFromComposite" | "CombineFromEnvironment" => patch
            .get("combine")
            .and_then(|c| c.get("variables"))
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.get("fromFieldPath").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default(),
        _ => from.into_iter().collect(),
    };
    let mut named: Vec<&str> = Vec::new();
    for s in sources {
        if !named.contains(&s) {
            named.push(s);
        }
    }
    let origin = if kind.ends_with("Environment") || kind == "FromEnvironmentFieldPath" {
        "the environment"
    } else {
        "the composite"
    };
    out.push(PatchedField {
        pointer,
        by: format!(
            "{by}, {kind} from {origin}'s {}",
            if named.is_empty() {
                "fields".to_owned()
            } else {
                named.join(", ")
            }
        ),
        read: false,
    });
    Ok(())
}

/// A Crossplane field path (`spec.forProvider.tags[Name]`,
/// `metadata.annotations[crossplane.io/external-name]`, `items[0].id`) as a JSON pointer.
pub fn field_path_pointer(path: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let key = after[..end].trim();
            let key = key
                .strip_prefix('"')
                .and_then(|k| k.strip_suffix('"'))
                .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
                .unwrap_or(key);
            if key.is_empty() {
                return None;
            }
            out.push('/');
            out.push_str(&seg(key));
            rest = &after[end + 1..];
        } else {
            let body = if first { rest } else { rest.strip_prefix('.')? };
            let end = body.find(['.', '[']).unwrap_or(body.len());
            if end == 0 {
                return None;
            }
            out.push('/');
            out.push_str(&seg(&body[..end]));
            rest = &body[end..];
        }
        first = false;
    }
    (!out.is_empty()).then_some(out)
}

/// A base without a name is composed under a generated one; findings name it by its resource.
fn name_it(object: &mut Value, resource: &str) {
    let Value::Object(map) = object else {
        return;
    };
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        let named = ["name", "generateName"].iter().any(|k| {
            meta.get(*k)
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
        });
        if !named {
            meta.insert("name".into(), Value::String(resource.to_owned()));
        }
    }
}

/// Whether the rules read the field at `pointer`: the object is read with a value there, and a
/// fact it yields comes from the field, from inside it, or from a field that holds it (other
/// than the sections every field lies in).
fn is_read(object: &Value, pointer: &str) -> bool {
    let mut probe = object.clone();
    // Not empty: readers take an empty policy or name for none.
    if !set(&mut probe, pointer, Value::String("{}".into())) {
        return false;
    }
    let facts = match adapt(&probe) {
        Adapted::Checked {
            subjects, notes, ..
        } => serde_json::to_value((subjects, notes)).unwrap_or(Value::Null),
        Adapted::Skipped { .. } => return false,
    };
    const SECTIONS: &[&str] = &[
        "",
        "/spec",
        "/spec/forProvider",
        "/spec/initProvider",
        "/metadata",
        "/metadata/annotations",
        "/metadata/labels",
    ];
    let mut read = false;
    // Facts carry the JSON pointers they come from; the only strings of a fact that start with
    // `/` are those pointers (values are ARNs, ids, names and policy texts).
    visit_strings(&facts, &mut |s| {
        let inside = s == pointer
            || s.strip_prefix(pointer).is_some_and(|r| r.starts_with('/'))
            || (pointer.strip_prefix(s).is_some_and(|r| r.starts_with('/'))
                && !SECTIONS.contains(&s));
        read |= s.starts_with('/') && inside;
    });
    read
}

fn visit_strings(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| visit_strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Sets the value at `pointer`, making the objects on the way; false where the way goes through
/// something that is not an object (a list, a scalar).
fn set(doc: &mut Value, pointer: &str, value: Value) -> bool {
    let tokens = tokens(pointer);
    let Some((last, way)) = tokens.split_last() else {
        return false;
    };
    let mut here = doc;
    for t in way {
        here = match here {
            Value::Object(map) => map
                .entry(t.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => match t.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match here {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            true
        }
        Value::Array(items) => match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(v) => {
                *v = value;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Removes the value at `pointer`; an item of a list becomes null, so the others keep their
/// places (readers skip nulls).
fn remove(doc: &mut Value, pointer: &str) {
    let tokens = tokens(pointer);
    let Some((last, way)) = tokens.split_last() else {
        return;
    };
    let mut here = doc;
    for t in way {
        here = match here {
            Value::Object(map) => match map.get_mut(t) {
                Some(v) => v,
                None => return,
            },
            Value::Array(items) => match t.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match here {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => {
            if let Some(v) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *v = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
