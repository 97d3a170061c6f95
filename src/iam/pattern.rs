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
    if let Some(prefixed) = as_prefix(pattern, text) {
        return prefixed;
    }
    // ASCII text (nearly every ARN, action and key) is matched byte by byte, without collecting
    // its characters.
    if text.is_ascii() {
        return wildcard_match(pattern, text.as_bytes(), |c, b| c == char::from(b));
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

/// Fast path: the commonest wildcard pattern, literal text then one `*` (`ssm:Describe*`,
/// `arn:aws:s3:::bucket/*`, `*`), is a prefix test.
fn as_prefix(pattern: &[Tok], text: &str) -> Option<bool> {
    let (Tok::AnyRun, head) = pattern.split_last()? else {
        return None;
    };
    let mut chars = text.chars();
    for t in head {
        let Tok::Lit(c) = t else { return None };
        if chars.next() != Some(*c) {
            return if head.iter().all(|t| matches!(t, Tok::Lit(_))) {
                Some(false)
            } else {
                None
            };
        }
    }
    Some(true)
}

/// Whole-string match of a lower-case pattern against text in any ASCII case (actions).
pub fn matches_ignore_ascii_case(pattern: &[Tok], text: &str) -> bool {
    if text.is_ascii() {
        return wildcard_match(pattern, text.as_bytes(), |c, b| {
            c == char::from(b.to_ascii_lowercase())
        });
    }
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    matches_chars(pattern, &text)
}

pub fn matches_chars(pattern: &[Tok], text: &[char]) -> bool {
    wildcard_match(pattern, text, |c, t| c == t)
}

fn wildcard_match<T: Copy>(pattern: &[Tok], text: &[T], same: impl Fn(char, T) -> bool) -> bool {
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
            Some(Tok::Lit(c)) if same(*c, text[t]) => {
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

/// A string the pattern matches: `*` becomes `star`, `?` becomes `one`.
pub fn witness(toks: &[Tok], star: &str, one: char) -> String {
    let mut out = String::new();
    for t in toks {
        match t {
            Tok::Lit(c) => out.push(*c),
            Tok::AnyRun => out.push_str(star),
            Tok::AnyOne => out.push(one),
        }
    }
    out
}

/// Whether some string starting with `prefix` can match the pattern: its literal head agrees
/// with `prefix` as far as both go (a cheap filter before matching many names).
pub fn matches_prefix_possible(pattern: &[Tok], prefix: &str) -> bool {
    pattern
        .iter()
        .zip(prefix.chars())
        .take_while(|(t, _)| matches!(t, Tok::Lit(_) | Tok::AnyOne))
        .all(|(t, c)| match t {
            Tok::Lit(l) => *l == c,
            _ => true,
        })
}

/// The shortest string both patterns match, if there is one (breadth-first search over the
/// product of the two patterns' automata). `filler` stands for "any other character".
pub fn intersection(a: &[Tok], b: &[Tok], filler: char) -> Option<String> {
    intersection_ordered(a, b, filler, false)
}

/// [`intersection`], filling every place both patterns leave open with `filler` rather than with
/// the smallest character either names (`-` or `/`): for names whose rules those break.
pub fn intersection_filled(a: &[Tok], b: &[Tok], filler: char) -> Option<String> {
    intersection_ordered(a, b, filler, true)
}

fn intersection_ordered(a: &[Tok], b: &[Tok], filler: char, filler_first: bool) -> Option<String> {
    // `**` means `*`; a run of stars would otherwise multiply the states of the search below.
    let (a, b) = (collapse_stars(a), collapse_stars(b));
    let (a, b) = (a.as_ref(), b.as_ref());
    // A plain string meets a pattern in itself or nowhere.
    for (x, y) in [(a, b), (b, a)] {
        if !has_wildcard(x) {
            let text = render(x);
            return matches(y, &text).then_some(text);
        }
        if is_match_all(x) {
            return Some(witness(y, "", filler));
        }
    }
    if !may_meet(a, b) {
        return None;
    }
    // A literal run both patterns begin with begins every string both match, and the search
    // would walk it one state at a time over products of the whole patterns: it starts after it
    // instead, over the same alphabet, so it finds the same string.
    let common = a
        .iter()
        .zip(b)
        .take_while(|(x, y)| matches!((x, y), (Tok::Lit(p), Tok::Lit(q)) if p == q))
        .count();
    let (a_rest, b_rest) = (&a[common..], &b[common..]);
    let rest = match lone_star_other(a_rest, b_rest) {
        Some(other) => shortest_of(other, first_character(a, b, filler, filler_first)),
        None => shortest_common(a_rest, b_rest, &alphabet(a, b, filler, filler_first))?,
    };
    Some(render(&a[..common]) + &rest)
}

/// When one pattern is a lone `*` (as after a bucket's prefix, `b/*` against each of a policy's
/// `b/team-N/*`), the other: every string of it is common to both, so the shortest common
/// string is its shortest ([`shortest_of`]), found without a search.
fn lone_star_other<'p>(a: &'p [Tok], b: &'p [Tok]) -> Option<&'p [Tok]> {
    match (a, b) {
        ([Tok::AnyRun], other) | (other, [Tok::AnyRun]) => Some(other),
        _ => None,
    }
}

/// The shortest string a pattern matches, first in an alphabet that begins with `first`: its
/// literals, `first` for each `?` and nothing for each `*` (no string it matches is shorter).
fn shortest_of(p: &[Tok], first: char) -> String {
    p.iter()
        .filter_map(|t| match t {
            Tok::Lit(c) => Some(*c),
            Tok::AnyOne => Some(first),
            Tok::AnyRun => None,
        })
        .collect()
}

/// The first character of [`alphabet`], without listing it: the filler when it goes first,
/// else the smallest character named or the filler.
fn first_character(a: &[Tok], b: &[Tok], filler: char, filler_first: bool) -> char {
    if filler_first {
        return filler;
    }
    a.iter()
        .chain(b)
        .filter_map(|t| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        })
        .fold(filler, char::min)
}

/// The characters a shortest common string is built of: those the patterns name and `filler`,
/// in order (the filler first when `filler_first`).
fn alphabet(a: &[Tok], b: &[Tok], filler: char, filler_first: bool) -> Vec<char> {
    // ASCII characters in a bit set, which lists them in order; ARN patterns repeat a few dozen
    // characters, and sorting every occurrence cost a fifth of an intersection.
    let mut ascii = 0u128;
    let mut others: Vec<char> = Vec::new();
    let lits = a.iter().chain(b).filter_map(|t| match t {
        Tok::Lit(c) => Some(*c),
        _ => None,
    });
    for c in lits.chain([filler]) {
        if c.is_ascii() {
            ascii |= 1 << (c as u32);
        } else {
            others.push(c);
        }
    }
    others.sort_unstable();
    others.dedup();
    let mut alphabet: Vec<char> = (0u8..128)
        .filter(|c| ascii & (1 << c) != 0)
        .map(char::from)
        .collect();
    alphabet.extend(others);
    if filler_first {
        alphabet.retain(|c| *c != filler);
        alphabet.insert(0, filler);
    }
    alphabet
}

/// The shortest string over `alphabet` both patterns match (the first in alphabet order among
/// the shortest): a breadth-first search of the product of the two patterns' automata.
fn shortest_common(a: &[Tok], b: &[Tok], alphabet: &[char]) -> Option<String> {
    let wb = b.len() + 1;
    // How each state (i, j) was first reached: from which state, on which character.
    let mut parent = Parents::new((a.len() + 1) * wb);
    parent.visit(0, (0, '\0'));
    let mut queue = std::collections::VecDeque::from([0usize]);
    let mut next_a = Vec::new();
    let mut next_b = Vec::new();
    while let Some(state) = queue.pop_front() {
        let (i, j) = (state / wb, state % wb);
        if skip_stars(a, i) == a.len() && skip_stars(b, j) == b.len() {
            let mut out = Vec::new();
            let mut at = state;
            while at != 0 {
                let (prev, c) = parent.get(at);
                out.push(c);
                at = prev;
            }
            return Some(out.into_iter().rev().collect());
        }
        // A character neither pattern names at this state moves both only through wildcards,
        // as every other such character does: the first of them in alphabet order reaches all
        // the states they reach, and the others would find those states visited.
        let (named_a, named_b) = (literal_at(a, i), literal_at(b, j));
        let mut unnamed_tried = false;
        for &c in alphabet {
            if Some(c) != named_a && Some(c) != named_b {
                if unnamed_tried {
                    continue;
                }
                unnamed_tried = true;
            }
            step(a, i, c, &mut next_a);
            if next_a.is_empty() {
                continue;
            }
            step(b, j, c, &mut next_b);
            for &ni in &next_a {
                for &nj in &next_b {
                    let s = ni * wb + nj;
                    if parent.visit(s, (state, c)) {
                        queue.push_back(s);
                    }
                }
            }
        }
    }
    None
}

/// The search's record of visited states. Most products are small (an ARN pattern and a
/// format), and a table indexed by state is then far cheaper than hashing; large products,
/// whose reachable states literal runs keep few, use a map.
enum Parents {
    Table(Vec<(u32, char)>),
    Map(std::collections::HashMap<usize, (usize, char)>),
}

const UNVISITED: (u32, char) = (u32::MAX, '\0');

impl Parents {
    fn new(states: usize) -> Self {
        if states <= 1024 {
            Parents::Table(vec![UNVISITED; states])
        } else {
            Parents::Map(std::collections::HashMap::with_capacity(64))
        }
    }

    /// Records how `state` was reached unless it was reached before; whether it is new.
    fn visit(&mut self, state: usize, from: (usize, char)) -> bool {
        match self {
            Parents::Table(t) => {
                let new = t[state] == UNVISITED;
                if new {
                    // States number at most 1024 here.
                    t[state] = (from.0 as u32, from.1);
                }
                new
            }
            Parents::Map(m) => match m.entry(state) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(from);
                    true
                }
                std::collections::hash_map::Entry::Occupied(_) => false,
            },
        }
    }

    fn get(&self, state: usize) -> (usize, char) {
        match self {
            Parents::Table(t) => (t[state].0 as usize, t[state].1),
            Parents::Map(m) => m.get(&state).copied().unwrap_or((usize::MAX, '\0')),
        }
    }
}

/// Whether two patterns may match a common string: their literal heads and tails (up to the
/// first wildcard from each end) agree. A cheap necessary condition: most pairs of distinct
/// ARNs or ids already disagree there.
pub fn may_meet(a: &[Tok], b: &[Tok]) -> bool {
    ends_agree(a.iter(), b.iter()) && ends_agree(a.iter().rev(), b.iter().rev())
}

/// The pattern with every run of `*` reduced to one (the same set of strings).
pub fn collapse_stars(p: &[Tok]) -> std::borrow::Cow<'_, [Tok]> {
    if !p
        .windows(2)
        .any(|w| w[0] == Tok::AnyRun && w[1] == Tok::AnyRun)
    {
        return std::borrow::Cow::Borrowed(p);
    }
    let mut out = p.to_vec();
    out.dedup_by(|x, y| *x == Tok::AnyRun && *y == Tok::AnyRun);
    std::borrow::Cow::Owned(out)
}

/// Whether the literal runs at the start of two patterns (up to their first wildcard) agree.
fn ends_agree<'a>(a: impl Iterator<Item = &'a Tok>, b: impl Iterator<Item = &'a Tok>) -> bool {
    for (x, y) in a.zip(b) {
        match (x, y) {
            (Tok::Lit(p), Tok::Lit(q)) if p != q => return false,
            (Tok::Lit(_), Tok::Lit(_)) => {}
            _ => return true,
        }
    }
    true
}

fn skip_stars(p: &[Tok], mut i: usize) -> usize {
    while p.get(i) == Some(&Tok::AnyRun) {
        i += 1;
    }
    i
}

/// The one character that [`step`] from position `i` tells apart from the others: the literal
/// after the stars at `i`, if any.
fn literal_at(p: &[Tok], i: usize) -> Option<char> {
    match p.get(skip_stars(p, i)) {
        Some(Tok::Lit(c)) => Some(*c),
        _ => None,
    }
}

/// The positions reachable from position `i` by reading `c` (stars may absorb it and stay).
fn step(p: &[Tok], i: usize, c: char, next: &mut Vec<usize>) {
    next.clear();
    let mut j = i;
    while j < p.len() {
        match p[j] {
            Tok::AnyRun => {
                next.push(j);
                j += 1;
            }
            Tok::AnyOne => {
                next.push(j + 1);
                break;
            }
            Tok::Lit(l) => {
                if l == c {
                    next.push(j + 1);
                }
                break;
            }
        }
    }
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
    fn witnesses_match_their_pattern() {
        for p in ["a*b?c", "*", "?", "arn:aws:s3:::b/*", "x"] {
            let g = glob(p);
            assert!(matches(&g, &witness(&g, "", '0')), "{p}");
            assert!(matches(&g, &witness(&g, "#", '#')), "{p}");
        }
    }

    #[test]
    fn intersections_are_shortest_common_strings() {
        let i = intersection(&glob("a*"), &glob("*b"), '#').unwrap();
        assert_eq!(i, "ab");
        assert!(intersection(&glob("a*"), &glob("b*"), '#').is_none());
        assert_eq!(
            intersection(&glob("*"), &glob("x?z"), '#').unwrap().len(),
            3
        );
        let w = intersection(&glob("o-abc*"), &glob("*def4"), '#').unwrap();
        assert!(m("o-abc*", &w) && m("*def4", &w), "{w}");
        assert_eq!(
            intersection(&glob("abc"), &glob("abc"), '#').unwrap(),
            "abc"
        );
        assert!(intersection(&glob("abc"), &glob("abd"), '#').is_none());
    }

    /// Starting the search after the literal run both patterns begin with finds the string the
    /// search over the whole patterns finds.
    #[test]
    fn a_common_literal_start_changes_no_intersection() {
        let parts = [
            "arn:aws:s3:::",
            "b",
            "a",
            "*",
            "?",
            "/",
            "k",
            "-",
            "bucket/",
        ];
        let mut patterns: Vec<String> = Vec::new();
        for x in parts {
            for y in parts {
                for z in parts {
                    patterns.push(format!("arn:aws:s3:::{x}{y}{z}"));
                }
            }
        }
        let mut met = 0;
        // Every fifth pair, in a pattern that still pairs each pattern with every kind of other.
        for (i, p) in patterns.iter().enumerate() {
            for q in patterns.iter().skip(i % 5).step_by(5) {
                let (a, b) = (glob(p), glob(q));
                for (filler, first) in [('#', false), ('z', true)] {
                    let got = intersection_ordered(&a, &b, filler, first);
                    let (ca, cb) = (collapse_stars(&a), collapse_stars(&b));
                    if !has_wildcard(&ca)
                        || !has_wildcard(&cb)
                        || is_match_all(&ca)
                        || is_match_all(&cb)
                    {
                        continue;
                    }
                    let whole = may_meet(&ca, &cb)
                        .then(|| shortest_common(&ca, &cb, &alphabet(&ca, &cb, filler, first)))
                        .flatten();
                    assert_eq!(got, whole, "{p} and {q}");
                    met += usize::from(got.is_some());
                }
            }
        }
        assert!(met > 500, "{met}");
    }

    /// The search over every character of the alphabet at every state, as it was before it
    /// tried only one of the characters neither pattern names there.
    fn shortest_common_over_every_character(
        a: &[Tok],
        b: &[Tok],
        alphabet: &[char],
    ) -> Option<String> {
        let wb = b.len() + 1;
        let mut parent = std::collections::HashMap::from([(0usize, (0usize, '\0'))]);
        let mut queue = std::collections::VecDeque::from([0usize]);
        let (mut next_a, mut next_b) = (Vec::new(), Vec::new());
        while let Some(state) = queue.pop_front() {
            let (i, j) = (state / wb, state % wb);
            if skip_stars(a, i) == a.len() && skip_stars(b, j) == b.len() {
                let mut out = Vec::new();
                let mut at = state;
                while at != 0 {
                    let (prev, c) = parent[&at];
                    out.push(c);
                    at = prev;
                }
                return Some(out.into_iter().rev().collect());
            }
            for &c in alphabet {
                step(a, i, c, &mut next_a);
                step(b, j, c, &mut next_b);
                for &ni in &next_a {
                    for &nj in &next_b {
                        let s = ni * wb + nj;
                        if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(s) {
                            e.insert((state, c));
                            queue.push_back(s);
                        }
                    }
                }
            }
        }
        None
    }

    proptest::proptest! {
        /// Trying one unnamed character per state finds the very string the search over every
        /// character finds, or none when it finds none; the alphabet is the one sorting found.
        #[test]
        fn one_unnamed_character_per_state_finds_the_same_string(
            a in "[ab/*?é-]{0,9}",
            b in "[ab/*?é-]{0,9}",
            filler in proptest::sample::select(vec!['#', 'z', '0']),
            first in proptest::bool::ANY,
        ) {
            let (a, b) = (collapse_stars(&glob(&a)).into_owned(), collapse_stars(&glob(&b)).into_owned());
            let alphabet = alphabet(&a, &b, filler, first);
            // The alphabet is every character named, and the filler, sorted, each once.
            let mut sorted: Vec<char> = a
                .iter()
                .chain(&b)
                .filter_map(|t| match t {
                    Tok::Lit(c) => Some(*c),
                    _ => None,
                })
                .chain([filler])
                .collect();
            sorted.sort_unstable();
            sorted.dedup();
            if first {
                sorted.retain(|c| *c != filler);
                sorted.insert(0, filler);
            }
            proptest::prop_assert_eq!(&alphabet, &sorted);
            proptest::prop_assert_eq!(
                shortest_common(&a, &b, &alphabet),
                shortest_common_over_every_character(&a, &b, &alphabet)
            );
        }

        /// Against a lone `*`, the other pattern's shortest string is the one the search finds.
        #[test]
        fn a_lone_star_meets_the_shortest_string_the_search_finds(
            other in "[ab/*?é-]{0,9}",
            names in "[a-z#0-9/-]{0,4}",
            filler in proptest::sample::select(vec!['#', 'z', '0']),
            first in proptest::bool::ANY,
            star_first in proptest::bool::ANY,
        ) {
            let other = collapse_stars(&glob(&other)).into_owned();
            let star = [Tok::AnyRun];
            // The alphabet may name characters neither remaining part does (the common prefix).
            let prefix = glob(&names);
            let (a, b): (&[Tok], &[Tok]) = if star_first { (&star, &other) } else { (&other, &star) };
            let whole: Vec<Tok> = prefix.iter().chain(a).copied().collect();
            let alphabet = alphabet(&whole, b, filler, first);
            let character = first_character(&whole, b, filler, first);
            proptest::prop_assert_eq!(Some(&character), alphabet.first());
            let other = lone_star_other(a, b).expect("one is a lone star");
            proptest::prop_assert_eq!(
                Some(shortest_of(other, character)),
                shortest_common(a, b, &alphabet)
            );
        }
    }

    #[test]
    fn long_patterns_intersect_as_short_ones_do() {
        // Past 1,024 states the search records states in a map rather than a table.
        let long = format!("{}*", "a".repeat(60));
        let tail = format!("*a?a*{}", "b".repeat(12));
        let w = intersection(&glob(&long), &glob(&tail), '#').unwrap();
        assert!(matches(&glob(&long), &w) && m(&tail, &w), "{w}");
        assert_eq!(w, format!("{}{}", "a".repeat(60), "b".repeat(12)));
        let other = format!("?b*{}", "c".repeat(20));
        assert!(intersection(&glob(&long), &glob(&other), '#').is_none());
    }

    #[test]
    fn patterns_that_may_meet_agree_on_their_literal_ends() {
        assert!(may_meet(
            &glob("arn:aws:s3:::a*"),
            &glob("arn:aws:s3:::*/k")
        ));
        assert!(may_meet(&glob("?bc"), &glob("xbc")));
        assert!(!may_meet(
            &glob("arn:aws:s3:::a*"),
            &glob("arn:aws:s3:::b*")
        ));
        assert!(!may_meet(&glob("*/x"), &glob("*/y")));
    }

    #[test]
    fn prefix_patterns_match_as_the_general_matcher_does() {
        for (p, t) in [
            ("ssm:describe*", "ssm:describeinstances"),
            ("ssm:describe*", "ssm:describe"),
            ("ssm:describe*", "ssm:get"),
            ("ssm:describe*", "ssm:desc"),
            ("*", ""),
            ("a?c*", "abcd"),
            ("a?c*", "abd"),
            ("é*", "été"),
        ] {
            let toks = glob(p);
            let chars: Vec<char> = t.chars().collect();
            assert_eq!(matches(&toks, t), matches_chars(&toks, &chars), "{p} {t}");
        }
    }

    #[test]
    fn match_all_detection() {
        assert!(is_match_all(&glob("*")));
        assert!(is_match_all(&glob("**")));
        assert!(!is_match_all(&glob("*?")));
        assert!(!is_match_all(&glob("")));
    }
}
