//! `*` / `?` wildcard patterns as IAM uses them in Action, Resource, `String*Like` and `Arn*`.

/// One element of a compiled pattern. A literal `*` (from the `${*}` escape) is `Lit('*')`, so the
/// distinction between "wildcard" and "the character" survives variable substitution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tok {
    Lit(char),
    /// `*`: any run of characters, including none.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// Compiles text in which every `*` and `?` is a wildcard.
pub fn glob(text: &str) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' => Tok::AnyRun,
            '?' => Tok::AnyOne,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Compiles text in which every character stands for itself.
pub fn literal(text: &str) -> Vec<Tok> {
    text.chars().map(Tok::Lit).collect()
}

pub fn has_wildcard(toks: &[Tok]) -> bool {
    toks.iter().any(|t| !matches!(t, Tok::Lit(_)))
}

/// Whether the pattern is exactly one `*` (or several in a row), matching everything.
pub fn is_match_all(toks: &[Tok]) -> bool {
    !toks.is_empty() && toks.iter().all(|t| *t == Tok::AnyRun)
}

/// Whole-string wildcard match, case-sensitive.
///
/// The classic greedy algorithm with one backtrack point: linear for patterns with a single `*`,
/// and O(pattern × text) at worst, never exponential.
pub fn matches(pattern: &[Tok], text: &str) -> bool {
    if let Some(lit) = as_ascii_literal_free(pattern, text) {
        return lit;
    }
    let text: Vec<char> = text.chars().collect();
    matches_chars(pattern, &text)
}

/// Fast path: a pattern without wildcards is a plain string comparison.
fn as_ascii_literal_free(pattern: &[Tok], text: &str) -> Option<bool> {
    let mut chars = text.chars();
    for t in pattern {
        let Tok::Lit(c) = t else { return None };
        if chars.next() != Some(*c) {
            return if has_wildcard(pattern) {
                None
            } else {
                Some(false)
            };
        }
    }
    Some(chars.next().is_none())
}

/// Whole-string match of a lower-case pattern against text in any ASCII case (actions).
pub fn matches_ignore_ascii_case(pattern: &[Tok], text: &str) -> bool {
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    matches_chars(pattern, &text)
}

pub fn matches_chars(pattern: &[Tok], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Tok::AnyRun) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|t| *t == Tok::AnyRun)
}

/// Renders tokens as text, wildcards as `*` and `?` (used for witnesses and messages).
pub fn render(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::AnyRun => '*',
            Tok::AnyOne => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches(&glob(p), t)
    }

    #[test]
    fn star_matches_any_run_including_empty() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(m("*c", "c"));
        assert!(!m("a*c", "abbb"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxcyyb"));
    }

    #[test]
    fn question_matches_exactly_one_char() {
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("??", "é✓"));
    }

    #[test]
    fn literal_comparison_is_case_sensitive() {
        assert!(m("Bucket", "Bucket"));
        assert!(!m("Bucket", "bucket"));
        assert!(!m("Bucket", "Bucket1"));
        assert!(!m("", "x"));
        assert!(m("", ""));
    }

    #[test]
    fn star_crosses_slashes_and_colons() {
        assert!(m("bucket/*", "bucket/a/b:c"));
    }

    #[test]
    fn literal_star_is_not_a_wildcard() {
        let p = vec![Tok::Lit('a'), Tok::Lit('*')];
        assert!(matches(&p, "a*"));
        assert!(!matches(&p, "ab"));
    }

    #[test]
    fn pathological_pattern_is_fast_enough() {
        let p = "*a".repeat(50) + "b";
        let t = "a".repeat(5000);
        assert!(!m(&p, &t));
    }

    #[test]
    fn match_all_detection() {
        assert!(is_match_all(&glob("*")));
        assert!(is_match_all(&glob("**")));
        assert!(!is_match_all(&glob("*?")));
        assert!(!is_match_all(&glob("")));
    }
}
