//! The source line of a JSON pointer into a YAML (or JSON) document, for reports that point at
//! the field a finding is about rather than at the document.
//!
//! One pass over the parser's events resolves any number of pointers: the pointers form a tree
//! of their segments, and the pass descends only into the nodes on it, skipping every other
//! subtree without looking at its keys. Each pointer resolves to the deepest node along it that
//! the text holds: a field the object omits resolves to its nearest existing parent. A mapping
//! entry's line is its key's (`policy: |` rather than the first line of the block), a sequence
//! item's is the item's own.
//!
//! Aliases and merge keys are not expanded: a pointer that runs through an alias resolves to the
//! alias (`*base`), and a key a mapping gets only from a merge key (`<<: *base`) resolves to the
//! `<<` line. Both are where the value is written in this document, which is what a reader of
//! the report needs to edit.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle};

/// The 1-based line, within `text`, of the deepest node along each pointer (`None` only when
/// the text holds no node at all, or stops parsing before its root).
pub fn lines(text: &str, pointers: &[&str]) -> Vec<Option<usize>> {
    let mut tree = Tree::new(pointers);
    tree.walk(text);
    pointers.iter().map(|p| tree.resolve(p)).collect()
}

/// The pointers' segments as a tree, each node with the line where the text holds it.
struct Tree {
    nodes: Vec<PathStep>,
}

#[derive(Default)]
struct PathStep {
    children: HashMap<String, usize>,
    line: Option<usize>,
    /// The line of the `<<` of the mapping at this node, which may supply keys it does not write.
    merge: Option<usize>,
}

/// What the next node event is, in the collection that holds it.
enum Slot {
    /// A mapping expecting a key; `tree` is the mapping's node in the tree.
    Key { tree: usize },
    /// A mapping expecting the value of the key just read.
    Value {
        tree: usize,
        key: KeyKind,
        line: usize,
    },
    /// A sequence; `next` is the index of its next item.
    Item { tree: usize, next: usize },
}

#[derive(Clone, Copy)]
enum KeyKind {
    /// A key on the tree's path.
    OnPath(usize),
    Merge,
    /// Any other key, or one that is not a scalar.
    Elsewhere,
}

impl Tree {
    fn new(pointers: &[&str]) -> Self {
        let mut tree = Tree {
            nodes: vec![PathStep::default()],
        };
        for pointer in pointers {
            let mut at = 0;
            for segment in segments(pointer) {
                at = match tree.nodes[at].children.get(&segment) {
                    Some(&child) => child,
                    None => {
                        tree.nodes.push(PathStep::default());
                        let child = tree.nodes.len() - 1;
                        tree.nodes[at].children.insert(segment, child);
                        child
                    }
                };
            }
        }
        tree
    }

    /// Records the line of every node of the tree that the first document of `text` holds.
    fn walk(&mut self, text: &str) {
        let mut options = Options::default();
        options.set_emit_comments(false);
        let mut stack: Vec<Slot> = Vec::new();
        // Open collections inside a subtree being skipped.
        let mut skipping = 0usize;
        let mut started = false;
        for event in Parser::new_from_str_with_options(text, options) {
            // The text was read once already; an error here can only come after the document.
            let Ok((event, span)) = event else { break };
            let start = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
            let end = matches!(event, Event::MappingEnd | Event::SequenceEnd);
            if skipping > 0 {
                if start {
                    skipping += 1;
                } else if end {
                    skipping -= 1;
                }
                continue;
            }
            if end {
                stack.pop();
                if stack.is_empty() {
                    break;
                }
                continue;
            }
            if !start && !matches!(event, Event::Scalar(..) | Event::Alias(..)) {
                continue;
            }
            let line = span.start.line();
            // Where in the tree the node this event starts is, if anywhere.
            let target = match stack.last_mut() {
                None if started => break,
                None => {
                    started = true;
                    Some((0, line))
                }
                Some(slot) => match *slot {
                    Slot::Key { tree } => {
                        let key = match &event {
                            Event::Scalar(k, ScalarStyle::Plain, ..) if k == "<<" => KeyKind::Merge,
                            Event::Scalar(k, ..) => self.nodes[tree]
                                .children
                                .get(k.as_ref())
                                .map_or(KeyKind::Elsewhere, |&c| KeyKind::OnPath(c)),
                            _ => KeyKind::Elsewhere,
                        };
                        *slot = Slot::Value { tree, key, line };
                        // A key is never on the path itself; a collection as a key is skipped.
                        skipping = usize::from(start);
                        continue;
                    }
                    Slot::Value {
                        tree,
                        key,
                        line: key_line,
                    } => {
                        *slot = Slot::Key { tree };
                        match key {
                            KeyKind::OnPath(child) => Some((child, key_line)),
                            KeyKind::Merge => {
                                self.nodes[tree].merge.get_or_insert(key_line);
                                None
                            }
                            KeyKind::Elsewhere => None,
                        }
                    }
                    Slot::Item { tree, next } => {
                        *slot = Slot::Item {
                            tree,
                            next: next + 1,
                        };
                        let children = &self.nodes[tree].children;
                        if children.is_empty() {
                            None
                        } else {
                            children.get(&next.to_string()).map(|&c| (c, line))
                        }
                    }
                },
            };
            match target {
                Some((node, at)) => {
                    self.nodes[node].line = Some(at);
                    match event {
                        // The end of a pointer: nothing inside is looked for.
                        _ if start && self.nodes[node].children.is_empty() => skipping = 1,
                        Event::MappingStart(..) => stack.push(Slot::Key { tree: node }),
                        Event::SequenceStart(..) => stack.push(Slot::Item {
                            tree: node,
                            next: 0,
                        }),
                        _ if stack.is_empty() => break,
                        _ => {}
                    }
                }
                None if start => skipping = 1,
                None => {}
            }
        }
    }

    /// The line of the deepest node along `pointer` the walk found.
    fn resolve(&self, pointer: &str) -> Option<usize> {
        let mut at = 0;
        let mut line = self.nodes[0].line?;
        for segment in segments(pointer) {
            let node = &self.nodes[at];
            match node
                .children
                .get(&segment)
                .filter(|&&c| self.nodes[c].line.is_some())
            {
                Some(&child) => {
                    at = child;
                    line = self.nodes[child].line?;
                }
                None => return Some(node.merge.unwrap_or(line)),
            }
        }
        Some(line)
    }
}

/// The unescaped segments of a JSON pointer (RFC 6901: `~1` is `/`, `~0` is `~`).
fn segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, pointer: &str) -> Option<usize> {
        lines(text, &[pointer])[0]
    }

    const BUCKET: &str = "\
apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketPolicy
metadata:
  name: p
spec:
  forProvider:
    region: us-east-1
    policy: |
      {\"Statement\": []}
  publicAccessBlock:
    blockPublicPolicy: false
  list:
    - a
    - {b: 1}
    -
      c: 2
";

    #[test]
    fn pointers_resolve_to_their_own_lines() {
        let pointers = [
            "",
            "/kind",
            "/spec",
            "/spec/forProvider/policy",
            "/spec/publicAccessBlock/blockPublicPolicy",
            "/spec/list/0",
            "/spec/list/1/b",
            "/spec/list/2/c",
        ];
        assert_eq!(
            lines(BUCKET, &pointers),
            [1, 2, 5, 8, 11, 13, 14, 16].map(Some)
        );
    }

    #[test]
    fn omitted_fields_resolve_to_their_nearest_parent() {
        assert_eq!(
            one(BUCKET, "/spec/publicAccessBlock/blockPublicAcls"),
            Some(10)
        );
        assert_eq!(one(BUCKET, "/spec/forProvider/policy/Statement/0"), Some(8));
        assert_eq!(one(BUCKET, "/spec/list/7"), Some(12));
        assert_eq!(one(BUCKET, "/status/atProvider"), Some(1));
        // A pointer that ends at a collection does not look inside it, nor stop the walk.
        assert_eq!(one(BUCKET, ""), Some(1));
        assert_eq!(
            lines(BUCKET, &["/spec/forProvider", "/spec/list/1/b"]),
            [Some(6), Some(14)]
        );
        // A name on another branch is not on the path: `region` is not `/spec/region`.
        assert_eq!(one(BUCKET, "/spec/region"), Some(5));
    }

    #[test]
    fn json_documents_and_escaped_segments() {
        let json = "{\n  \"kind\": \"X\",\n  \"spec\": {\n    \"a/b\": {\"c~d\": 1},\n    \"items\": [\n      {\"k\": 1},\n      {\"k\": 2}\n    ]\n  }\n}\n";
        assert_eq!(
            lines(json, &["/spec/a~1b/c~0d", "/spec/items/1/k", "/kind"]),
            [Some(4), Some(7), Some(2)]
        );
    }

    #[test]
    fn aliases_and_merge_keys_resolve_where_they_are_written() {
        let text = "\
base: &base
  port: 80
  tls: {min: '1.2'}
one:
  <<: *base
  port: 443
two: *base
";
        assert_eq!(one(text, "/one/port"), Some(6), "an explicit key wins");
        assert_eq!(one(text, "/one/tls/min"), Some(5), "merged: the `<<` line");
        assert_eq!(
            one(text, "/two/tls/min"),
            Some(7),
            "through an alias: its line"
        );
        assert_eq!(one(text, "/base/tls/min"), Some(3));
    }

    #[test]
    fn complex_keys_and_unrelated_subtrees_are_skipped() {
        let text = "? [a, b]\n: {x: 1}\nx:\n  y: [1, [2, 3], {z: 4}]\n  w: 5\n";
        assert_eq!(one(text, "/x/w"), Some(5));
        assert_eq!(one(text, "/x/y/2/z"), Some(4));
    }

    #[test]
    fn no_node_no_line() {
        assert_eq!(one("", "/a"), None);
        assert_eq!(one("# only a comment\n", "/a"), None);
        assert_eq!(one("just a scalar\n", "/a"), Some(1));
    }
}
