//! YAML read strictly and within bounds: duplicate keys are an error (Kubernetes refuses them;
//! silently keeping one would check a different object than the one applied), and flow nesting
//! deeper than [`MAX_DEPTH`] is refused before the parser sees it, because the parser's cost
//! grows with the square of the nesting (100,000 `[` took over a minute) before it reaches its
//! own recursion limit.

use serde_json::Value;

/// Deeper flow collections (`[` / `{`) are refused; the parser itself gives up at 128.
pub const MAX_DEPTH: usize = 100;

/// Why a YAML document could not be read; `line` is 1-based within the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Reads one YAML (or JSON) document into JSON.
pub fn to_json(text: &str) -> Result<Value, YamlError> {
    check_depth(text)?;
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(parse_error)?;
    into_json(yaml)
}

/// Reads every document of a YAML stream into JSON; an error carries its document's index.
pub fn stream_to_json(text: &str) -> Result<Vec<Value>, (usize, YamlError)> {
    check_depth(text).map_err(|e| (0, e))?;
    serde_yaml_ng::Deserializer::from_str(text)
        .enumerate()
        .map(|(i, doc)| {
            <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                .map_err(parse_error)
                .and_then(into_json)
                .map_err(|e| (i, e))
        })
        .collect()
}

fn parse_error(e: serde_yaml_ng::Error) -> YamlError {
    YamlError {
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    }
}

fn into_json(yaml: serde_yaml_ng::Value) -> Result<Value, YamlError> {
    serde_json::to_value(yaml).map_err(|e| YamlError {
        line: None,
        message: format!("not representable as JSON: {e}"),
    })
}

/// Refuses flow nesting deeper than [`MAX_DEPTH`]. Brackets inside quoted scalars and comments
/// do not count; a quoted scalar is taken to end at its line's end, so text the parser reads as
/// a scalar can only make the count higher, never hide nesting from it.
pub fn check_depth(text: &str) -> Result<(), YamlError> {
    let mut depth = 0usize;
    for (number, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut previous = ' ';
        for c in line.chars() {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if previous.is_whitespace() => break,
                    '"' | '\'' if previous.is_whitespace() || "[{,:".contains(previous) => {
                        quote = Some(c);
                    }
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(YamlError {
                                line: Some(number + 1),
                                message: format!(
                                    "collections nested deeper than {MAX_DEPTH} levels"
                                ),
                            });
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            previous = c;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_and_json_into_json() {
        assert_eq!(
            to_json("a: [1, {b: c}]\n").unwrap(),
            serde_json::json!({"a": [1, {"b": "c"}]})
        );
        assert_eq!(
            to_json(r#"{"a": "x"}"#).unwrap(),
            serde_json::json!({"a": "x"})
        );
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let e = to_json("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("duplicate entry"), "{e}");
        let e = stream_to_json("x: 1\n---\nm: {k: 1, k: 2}\n").unwrap_err();
        assert_eq!(e.0, 1);
    }

    #[test]
    fn deep_flow_nesting_is_refused_with_its_line() {
        let ok = format!("a: {}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check_depth(&ok).is_ok());
        let deep = format!(
            "x: 1\na: {}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let e = check_depth(&deep).unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn brackets_in_scalars_and_comments_do_not_count() {
        let brackets = "[".repeat(500);
        for text in [
            format!("a: \"{brackets}\"\n"),
            format!("a: '{brackets}'\n"),
            format!("a: 1 # {brackets}\n"),
            format!("a: \"esc \\\" {brackets}\"\n"),
        ] {
            assert!(check_depth(&text).is_ok(), "{text}");
        }
    }

    #[test]
    fn a_quote_cannot_hide_nesting_on_a_later_line() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        for text in [
            format!("a: |\n  'open\nb: {deep}\n"),
            format!("a: \"open\nb: {deep}\n"),
            format!("a: don't {deep}\n"),
        ] {
            assert!(check_depth(&text).is_err(), "{text}");
        }
    }
}
