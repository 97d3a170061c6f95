//! The text of an object without the parts no adapter reads: equal texts adapt to equal subjects
//! and notes. Controllers resend an object with a new `resourceVersion`, `managedFields`
//! timestamps, `status` and annotations of their own; this text is the same for all of those, so
//! the webhook answers them from its cache without building the object's document tree, and an
//! UPDATE that changes nothing else is seen to be one without adapting its old object.
//!
//! The parts left out are `status`, the server-written bookkeeping of `metadata`, and every
//! annotation whose value is a string and whose key is not in [`READ_ANNOTATIONS`] (a non-string
//! value stays: the shape check reports it). Everything else keeps its text and its order.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

/// The annotations an adapter reads (`ack`, `crossplane`, `upbound`, `management`). An adapter
/// that reads another must add it here; `tests::unread_parts_never_change_what_adapters_see`
/// changes every other annotation of the corpus objects to catch one that does not.
pub const READ_ANNOTATIONS: &[&str] = &[
    "crossplane.io/external-name",
    "services.k8s.aws/region",
    "services.k8s.aws/adoption-fields",
    "services.k8s.aws/read-only",
    "services.k8s.aws/adoption-policy",
    "services.k8s.aws/adopted",
];

/// `metadata` members the API server writes and no adapter reads.
const BOOKKEEPING: &[&str] = &[
    "resourceVersion",
    "managedFields",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// The members of a JSON object in their order (duplicates included), values left as text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl Members<'_> {
    /// A name given twice: the document tree keeps the last value at the first one's place, so
    /// leaving out one of them could leave out what the tree holds. Such an object keeps its
    /// text whole (the API server never sends one).
    fn repeats_a_name(&self) -> bool {
        let mut names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_ref()).collect();
        names.sort_unstable();
        names.windows(2).any(|w| w[0] == w[1])
    }
}

#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Name(k)) = map.next_key()? {
                    out.push((k, map.next_value()?));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The text of what adapters read of `object` (see the module), or `None` when it is no JSON
/// object: such an object is parsed whole and reported as it always was.
pub fn read_parts(object: &str) -> Option<Vec<u8>> {
    let top: Members = serde_json::from_str(object).ok()?;
    if top.repeats_a_name() {
        return Some(object.as_bytes().to_vec());
    }
    let mut out = Vec::with_capacity(object.len());
    write_object(&mut out, &top.0, |out, name, value| match name {
        "status" => Ok(false),
        "metadata" => keep_object(out, value, |out, name, value| match name {
            n if BOOKKEEPING.contains(&n) => Ok(false),
            "annotations" => keep_object(out, value, |out, name, value| {
                if value.get().starts_with('"') && !READ_ANNOTATIONS.contains(&name) {
                    return Ok(false);
                }
                out.extend_from_slice(value.get().as_bytes());
                Ok(true)
            }),
            _ => {
                out.extend_from_slice(value.get().as_bytes());
                Ok(true)
            }
        }),
        _ => {
            out.extend_from_slice(value.get().as_bytes());
            Ok(true)
        }
    })
    .ok()?;
    Some(out)
}

/// What [`write_object`]'s callback returns: whether it wrote the member's value (and so keeps
/// the member).
type Kept = Result<bool, serde_json::Error>;

/// Writes `value` through `member` when it is an object, else as it is.
fn keep_object(
    out: &mut Vec<u8>,
    value: &RawValue,
    member: impl FnMut(&mut Vec<u8>, &str, &RawValue) -> Kept,
) -> Kept {
    match serde_json::from_str::<Members>(value.get()) {
        Ok(members) if !members.repeats_a_name() => write_object(out, &members.0, member)?,
        _ => out.extend_from_slice(value.get().as_bytes()),
    }
    Ok(true)
}

/// Writes an object of the members `member` keeps; it writes each kept member's value.
fn write_object(
    out: &mut Vec<u8>,
    members: &[(Cow<str>, &RawValue)],
    mut member: impl FnMut(&mut Vec<u8>, &str, &RawValue) -> Kept,
) -> Result<(), serde_json::Error> {
    out.push(b'{');
    let mut first = true;
    for (name, value) in members {
        let start = out.len();
        if !first {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, name.as_ref())?;
        out.push(b':');
        if member(out, name, value)? {
            first = false;
        } else {
            out.truncate(start);
        }
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests;
