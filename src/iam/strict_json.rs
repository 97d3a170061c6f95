//! JSON reading that refuses what serde_json would silently accept: duplicate members.
//!
//! IAM's grammar notes say an element must not contain the same key twice; parsers disagree on
//! which copy wins (serde_json keeps the last, others the first), so a document with duplicates
//! means different things to different readers. We reject it and name where it happened.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::{Pointer, PolicyError, excerpt};

/// Parses JSON text into a `Value`, failing on duplicate object members anywhere in the tree.
pub fn parse(text: &str) -> Result<Value, PolicyError> {
    let failure = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Node {
        parent: None,
        segment: Segment::Root,
        failure: &failure,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| match failure.into_inner() {
        Some(mut structured) => {
            structured.problem = format!(
                "{} (line {}, column {})",
                structured.problem,
                e.line(),
                e.column()
            );
            structured
        }
        None => PolicyError::new(&Pointer::root(), format!("invalid JSON: {e}")),
    })
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// Where the value being read sits; the pointer is only materialised when an error needs it.
#[derive(Clone, Copy)]
struct Node<'a> {
    parent: Option<&'a Node<'a>>,
    segment: Segment<'a>,
    failure: &'a RefCell<Option<PolicyError>>,
}

impl Node<'_> {
    fn pointer(&self) -> Pointer {
        let base = self.parent.map(Node::pointer).unwrap_or_default();
        match self.segment {
            Segment::Root => base,
            Segment::Key(k) => base.child(k),
            Segment::Index(i) => base.child(i),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let child = Node {
                parent: Some(&self),
                segment: Segment::Index(items.len()),
                failure: self.failure,
            };
            match seq.next_element_seed(child)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let error = PolicyError::new(
                    &self.pointer(),
                    format!(
                        "duplicate member {} in one object (readers disagree on which copy wins)",
                        excerpt(&key)
                    ),
                )
                .expected("each member name at most once per object");
                let message = error.to_string();
                *self.failure.borrow_mut() = Some(error);
                return Err(de::Error::custom(message));
            }
            let child = Node {
                parent: Some(&self),
                segment: Segment::Key(&key),
                failure: self.failure,
            };
            let value = access.next_value_seed(child)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_json_in_order() {
        let v = parse(r#"{"b":1,"a":[true,null,"x",1.5,-3]}"#).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(v["a"][3], serde_json::json!(1.5));
        assert_eq!(v["a"][4], serde_json::json!(-3));
    }

    #[test]
    fn duplicate_member_is_rejected_with_pointer() {
        let text = r#"{"Statement":[{"Effect":"Allow"},{"Effect":"Deny","Effect":"Allow"}]}"#;
        let err = parse(text).unwrap_err();
        assert_eq!(err.pointer.as_str(), "/Statement/1");
        assert!(err.problem.contains("duplicate member \"Effect\""), "{err}");
        assert!(err.problem.contains("line 1"), "{err}");
    }

    #[test]
    fn duplicate_at_root_and_deep() {
        assert_eq!(parse(r#"{"a":1,"a":2}"#).unwrap_err().pointer.as_str(), "");
        let deep = r#"{"S":{"Condition":{"StringEquals":{"k/x":1,"k/x":2}}}}"#;
        assert_eq!(
            parse(deep).unwrap_err().pointer.as_str(),
            "/S/Condition/StringEquals"
        );
    }

    #[test]
    fn syntax_errors_carry_position() {
        let err = parse("{\n \"a\": }").unwrap_err();
        assert!(err.problem.starts_with("invalid JSON"), "{err}");
        assert!(err.problem.contains("line 2"), "{err}");
        assert!(parse("{} trailing").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse(&text).unwrap_err();
        assert!(err.problem.contains("recursion limit"), "{err}");
    }
}
