//! YAML read as `kubectl` reads it, strictly and within bounds, and written for the generated
//! files.
//!
//! Reading: YAML merge keys (`<<: *base`, `<<: [*a, *b]`) are expanded, explicit keys overriding
//! merged ones and earlier merge sources overriding later ones, and a UTF-8 byte-order mark at
//! the start of the text is skipped. Duplicate keys are an error (Kubernetes refuses them; keeping
//! one would check a different object than the one applied). The reader's own budget bounds the
//! work: collections nested deeper than [`MAX_DEPTH`] (block or flow) are refused as they are
//! read, and so is a document of more than 250,000 nodes counted after expanding aliases and merge
//! keys (a "billion laughs" stops there, costing what a plain document of that size costs), or
//! with more than 1,000 merge keys, 50,000 aliases or anchors, 1,000,000 events or 64 MiB of
//! scalar text; a stream holds at most 1,024 documents.
//!
//! Scalars: booleans are YAML 1.1's, as kubectl's YAML library (go-yaml v2, through
//! sigs.k8s.io/yaml) reads them: `yes`, `on`, `y` are `true` and `no`, `off`, `n` are `false`,
//! so that `check` sees the object the API server receives. (The previous reader followed YAML
//! 1.2 and kept these as strings. kubectl reads only `yes`, `Yes`, `YES` and the like as
//! booleans, this reader any capitalisation, `yEs` too.) Integers with a leading zero (`0755`, `012345678901`) stay strings, as
//! before: kubectl reads them as octal when they can be and as decimal floats otherwise, which
//! garbles an AWS account ID either way. `1_000` is 1000, as in kubectl. `.inf` and `.nan` are
//! refused (kubectl cannot put them in JSON either; the previous reader made them null). Nulls
//! (`~`, `null`, empty), `true`/`false`, decimal, hexadecimal (`0x1F`) and octal (`0o17`)
//! integers and floats read as before. Two kubectl quirks are not followed: a `<<` written after
//! an explicit key does not override it (go-yaml v2 lets it), and a key spelled `on` stays the
//! string "on" (go-yaml v2 makes it "true").

use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{ErrorKind, Event, Parser};
use serde_saphyr::{
    DuplicateKeyPolicy, Error, ExternalMessageSource, Localizer, Location, MergeKeyPolicy,
    MessageFormatter, UserMessageFormatter,
};

/// Deeper nesting of collections (block or flow, the root counting as the first level) is
/// refused.
pub const MAX_DEPTH: usize = 100;

/// Nodes (scalars and collections, aliases and merge keys expanded) in one document.
const MAX_NODES: usize = 250_000;

/// Merge keys (`<<`) in one text, each replay of an anchor counted again.
const MAX_MERGE_KEYS: usize = 1_000;

/// The reader recurses once per nesting level, using about 24 KiB of stack per level in an
/// unoptimised build (5 KiB optimised): [`MAX_DEPTH`] levels need more than the 2 MiB of a test
/// or blocking-pool thread. A read with less than `STACK_RED_ZONE` of stack left runs on a fresh
/// `STACK_SIZE` one.
const STACK_RED_ZONE: usize = 4 << 20;
const STACK_SIZE: usize = 8 << 20;

/// Why a YAML document could not be read; `line` is 1-based within the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Reads one YAML (or JSON) document into JSON; an empty text is `null`.
pub fn to_json(text: &str) -> Result<Value, YamlError> {
    to_json_at(text, 1)
}

/// As [`to_json`], for a text that starts on line `first_line` of its file: an error's line,
/// and every line its message names, are the file's.
pub fn to_json_at(text: &str, first_line: usize) -> Result<Value, YamlError> {
    let lines = FileLines(first_line.saturating_sub(1) as u64);
    read(|| serde_saphyr::from_str_with_options(text, options())).map_err(|e| lines.error(&e))
}

/// Reads every document of a YAML stream into JSON, leaving out empty and `null` documents; an
/// error carries the 0-based index of its document in the stream (empty ones counted).
pub fn stream_to_json(text: &str) -> Result<Vec<Value>, (usize, YamlError)> {
    read(|| serde_saphyr::from_multiple_with_options(text, options())).map_err(|e| {
        let e = FileLines(0).error(&e);
        (e.line.map_or(0, |line| document_at(text, line)), e)
    })
}

/// Writes `value` as a YAML document: block style, strings quoted only where YAML needs it,
/// multi-line strings as literal blocks, long ones on one line.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    serde_saphyr::to_string_with_options(value, options).map_err(|e| YamlError {
        line: None,
        message: e.to_string(),
    })
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            // One more than the depth, so that flow nesting is refused by the depth budget, not
            // by the parser's own limit, whenever the parser has not looked that far ahead.
            flow_nesting_limit: MAX_DEPTH + 1,
            max_nodes: MAX_NODES,
            max_merge_keys: MAX_MERGE_KEYS,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
        merge_keys: MergeKeyPolicy::Merge,
        strict_booleans: false,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    }
}

fn read<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, f)
}

/// The messages of [`UserMessageFormatter`], with lines counted from further up the file: the
/// parser counts from the start of the text it is given, one document of a stream.
struct FileLines(u64);

impl FileLines {
    fn error(&self, e: &Error) -> YamlError {
        let location = e.location().filter(|l| l.line() > 0);
        let message = if too_deep(e) {
            let at = location.map_or(String::new(), |l| {
                format!(" at line {}, column {}", l.line() + self.0, l.column())
            });
            format!("collections nested deeper than {MAX_DEPTH} levels{at}")
        } else {
            e.render_with_formatter(self)
        };
        YamlError {
            line: location.and_then(|l| usize::try_from(l.line() + self.0).ok()),
            message,
        }
    }

    fn at(&self, l: Location) -> String {
        format!("line {}, column {}", l.line() + self.0, l.column())
    }
}

impl MessageFormatter for FileLines {
    fn localizer(&self) -> &dyn Localizer {
        self
    }

    fn format_message<'a>(&self, err: &'a Error) -> std::borrow::Cow<'a, str> {
        UserMessageFormatter.format_message(err)
    }

    fn format_standalone_message<'a>(&self, err: &'a Error) -> std::borrow::Cow<'a, str> {
        UserMessageFormatter.format_standalone_message(err)
    }
}

impl Localizer for FileLines {
    fn attach_location<'a>(
        &self,
        base: std::borrow::Cow<'a, str>,
        l: Location,
    ) -> std::borrow::Cow<'a, str> {
        if l == Location::UNKNOWN {
            base
        } else {
            format!("{base} at {}", self.at(l)).into()
        }
    }

    fn alias_defined_at(&self, l: Location) -> String {
        format!(" (defined at {})", self.at(l))
    }

    fn alias_used_at(&self, l: Location) -> String {
        if l == Location::UNKNOWN {
            String::new()
        } else {
            format!(" (used at {})", self.at(l))
        }
    }
}

/// The depth budget, or the parser's flow nesting limit when its look-ahead reached it first.
fn too_deep(e: &Error) -> bool {
    match e.without_snippet() {
        Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => true,
        Error::ExternalMessage { source, .. } => matches!(
            &**source,
            ExternalMessageSource::Parser(s) if matches!(s.kind(), ErrorKind::RecursionLimitExceeded)
        ),
        Error::AliasError { error, .. } => too_deep(error),
        _ => false,
    }
}

/// The 0-based index of the document holding `line`: the document starts (explicit `---` or
/// implicit) the parser reports up to that line. Only called for an error, and stops there.
fn document_at(text: &str, line: usize) -> usize {
    let mut starts = 0usize;
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        if span.start.line() > line {
            break;
        }
        if matches!(event, Event::DocumentStart(..)) {
            starts += 1;
        }
    }
    starts.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;

    #[test]
    fn reads_yaml_and_json_into_json() {
        assert_eq!(
            to_json("a: [1, {b: c}]\n").unwrap(),
            json!({"a": [1, {"b": "c"}]})
        );
        assert_eq!(to_json(r#"{"a": "x"}"#).unwrap(), json!({"a": "x"}));
        assert_eq!(to_json("").unwrap(), Value::Null);
        assert_eq!(to_json("# only a comment\n").unwrap(), Value::Null);
        let e = to_json("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn a_document_further_down_a_file_names_the_files_lines() {
        for (text, line, says) in [
            ("a: 1\nb: [open\n", 12, "at line 12, column"),
            ("a: 1\nb: 2\na: 3\n", 13, "at line 13, column"),
            ("a: &x 1\nb: *x\nc: *y\n", 13, "at line 13, column"),
            (
                &format!("a: 1\nb: {}", "[".repeat(200)),
                12,
                "levels at line 12, column",
            ),
        ] {
            let e = to_json_at(text, 11).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
            let first = to_json(text).unwrap_err();
            assert_eq!(first.line, Some(line - 10), "{text:?}: {first}");
        }
    }

    #[test]
    fn duplicate_keys_are_an_error_with_their_line() {
        let e = to_json("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("duplicate mapping key `a`"), "{e}");
        assert!(e.message.contains("line 3"), "{e}");
        let e = to_json("m:\n  - {k: 1,\n     k: 2}\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let (i, e) = stream_to_json("x: 1\n---\nm: {k: 1, k: 2}\n").unwrap_err();
        assert_eq!((i, e.line), (1, Some(3)), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_quickly_with_its_line() {
        // The root counts as the first level: `a:` and 99 flow sequences make 100.
        let ok = format!("a: {}1{}", "[".repeat(99), "]".repeat(99));
        assert!(to_json(&ok).is_ok());
        let ok = format!("{}1{}", "{a: ".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(to_json(&ok).is_ok());
        let block: String = (0..MAX_DEPTH)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(to_json(&block).is_ok());

        let start = Instant::now();
        for (text, line) in [
            (
                format!("x: 1\na: {}1{}", "[".repeat(100), "]".repeat(100)),
                2,
            ),
            (format!("x: 1\na: {}", "[".repeat(100_000)), 2),
            (format!("x: 1\na: {}", "{a: ".repeat(100_000)), 2),
            (format!("{}1", "- ".repeat(100_000)), 1),
            (
                (0..20_000)
                    .map(|i| format!("{}a:\n", " ".repeat(i)))
                    .collect(),
                MAX_DEPTH + 1,
            ),
        ] {
            let e = to_json(&text).unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            assert!(
                e.message
                    .starts_with("collections nested deeper than 100 levels at line"),
                "{e}"
            );
        }
        // Milliseconds each, in a debug build; the bound only catches a runaway.
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn alias_and_merge_expansion_is_bounded() {
        let mut laughs =
            String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = to_json(&laughs).unwrap_err();
        assert!(e.message.contains("too large"), "{e}");
        let mut merges = String::from("m0: &m0 {k0: 1}\n");
        for i in 1..30 {
            merges.push_str(&format!(
                "m{i}: &m{i} {{<<: [*m{p}, *m{p}], k{i}: 1}}\n",
                p = i - 1
            ));
        }
        let e = to_json(&merges).unwrap_err();
        assert!(e.message.contains("too large"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn merge_keys_are_expanded_explicit_keys_winning() {
        let text = "\
base: &base {name: x, port: 80, tls: false}
extra: &extra {port: 8080, region: eu-west-1}
one:
  <<: *base
  port: 443
many:
  <<: [*base, *extra]
  tls: true
";
        assert_eq!(
            to_json(text).unwrap(),
            json!({
                "base": {"name": "x", "port": 80, "tls": false},
                "extra": {"port": 8080, "region": "eu-west-1"},
                "one": {"name": "x", "port": 443, "tls": false},
                "many": {"name": "x", "port": 80, "tls": true, "region": "eu-west-1"},
            })
        );
        // An explicit key that repeats a merged one is not a duplicate; two explicit ones are.
        assert!(to_json("a: &a {k: 1}\nb:\n  <<: *a\n  k: 2\n  k: 3\n").is_err());
        let e = to_json("b:\n  <<: 3\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_skipped() {
        let plain = to_json("a: 1\nb: [x]\n").unwrap();
        assert_eq!(to_json("\u{feff}a: 1\nb: [x]\n").unwrap(), plain);
        assert_eq!(to_json("\u{feff}---\na: 1\nb: [x]\n").unwrap(), plain);
        assert_eq!(
            stream_to_json("\u{feff}a: 1\nb: [x]\n---\nc: 2\n").unwrap(),
            [plain, json!({"c": 2})]
        );
        // Inside a document it is not whitespace.
        let e = to_json("a: 1\n\u{feff}b: 2\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn streams_skip_empty_documents_and_errors_carry_their_document() {
        assert_eq!(
            stream_to_json("---\n# nothing\n---\na: 1\n---\n---\nb: 2\n...\n").unwrap(),
            [json!({"a": 1}), json!({"b": 2})]
        );
        assert_eq!(stream_to_json("").unwrap(), Vec::<Value>::new());
        for (text, index, line) in [
            ("a: [\n", 0, 1),
            ("x: 1\n---\ny: [\n", 1, 3),
            ("---\n---\nx: 1\n---\ny: {a: 1, a: 2}\n", 2, 5),
            ("x: 1\n---\n]\n", 1, 3),
        ] {
            let (i, e) = stream_to_json(text).unwrap_err();
            assert_eq!((i, e.line), (index, Some(line)), "{text:?}: {e}");
            assert!(e.message.contains(&format!("line {line}")), "{e}");
        }
    }

    /// The choices described in the module documentation, each next to what the previous reader
    /// (serde_yaml_ng, YAML 1.2) made of it where that differs.
    #[test]
    fn scalars_convert_as_documented() {
        let cases = [
            // As before.
            ("null", json!(null)),
            ("~", json!(null)),
            ("NULL", json!(null)),
            ("", json!(null)),
            ("true", json!(true)),
            ("False", json!(false)),
            ("TRUE", json!(true)),
            ("0", json!(0)),
            ("-0", json!(0)),
            ("42", json!(42)),
            ("-7", json!(-7)),
            ("+1", json!(1)),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("1.5", json!(1.5)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("9007199254740993", json!(9_007_199_254_740_993_u64)),
            ("'1'", json!("1")),
            ("\"true\"", json!("true")),
            ("0755", json!("0755")),
            ("012345678901", json!("012345678901")),
            ("2001-12-14", json!("2001-12-14")),
            ("12:30", json!("12:30")),
            ("0X1F", json!("0X1F")),
            ("o-abc123def4", json!("o-abc123def4")),
            // YAML 1.1, as kubectl: strings before.
            ("yes", json!(true)),
            ("Yes", json!(true)),
            ("on", json!(true)),
            ("y", json!(true)),
            ("no", json!(false)),
            ("OFF", json!(false)),
            ("n", json!(false)),
            ("1_000", json!(1000)),
        ];
        for (scalar, expected) in cases {
            assert_eq!(
                to_json(&format!("v: {scalar}\n")).unwrap(),
                json!({ "v": expected }),
                "{scalar}"
            );
        }
        // Refused, as kubectl does; null before.
        for scalar in [".inf", "-.inf", ".nan"] {
            let e = to_json(&format!("x: 1\nv: {scalar}\n")).unwrap_err();
            assert_eq!(e.line, Some(2), "{scalar}: {e}");
        }
        // Keys are strings whatever they look like.
        assert_eq!(
            to_json("1: a\ntrue: b\non: c\n").unwrap(),
            json!({"1": "a", "true": "b", "on": "c"})
        );
    }

    #[test]
    fn errors_name_what_and_where() {
        for (text, line, says) in [
            ("a: [unclosed\nb: 1\n", 2, "line 2"),
            ("a: 'open\n", 1, "unclosed quote"),
            ("a: *nowhere\n", 1, "unknown"),
            ("a: b: c\n", 1, "mapping values are not allowed"),
        ] {
            let e = to_json(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn depth_fits_a_small_thread_stack() {
        let deep = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let deeper = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let read = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || (to_json(&deep).is_ok(), to_json(&deeper).is_err()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(read, (true, true));
    }

    #[test]
    fn writes_block_yaml_that_reads_back() {
        let value = json!({
            "kind": "CustomResourceDefinition",
            "list": ["a", "yes", "0755", "1", ""],
            "description": "A long description that runs well past eighty characters, on one line as it was.",
            "text": "two\nlines\n",
            "empty": {},
        });
        let text = to_string(&value).unwrap();
        assert!(
            text.starts_with("kind: CustomResourceDefinition\nlist:\n- a\n"),
            "{text}"
        );
        assert!(
            text.contains("description: A long description that runs"),
            "{text}"
        );
        assert!(text.contains("text: |\n"), "{text}");
        assert_eq!(to_json(&text).unwrap(), value);
    }
}
