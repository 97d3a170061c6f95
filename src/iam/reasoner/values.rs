//! Representative values: for every predicate the policy and the perimeter apply to one part of
//! a request, enough values to take each side of it. Literals, a witness per wildcard pattern
//! (and per pair of patterns), interval boundaries for addresses, numbers and dates, and fresh
//! values that match no literal.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::iam::pattern::{self, Tok};

/// What a policy and a perimeter say about one kind of value (one key, or a family of keys that
/// compare against each other such as every organisation-id key).
#[derive(Debug, Default, Clone)]
pub struct Pool {
    pub literals: BTreeSet<String>,
    /// Patterns with wildcards.
    pub globs: Vec<Vec<Tok>>,
    pub ignore_case: bool,
    pub nets: Vec<IpNet>,
    pub numbers: Vec<f64>,
    pub dates: Vec<i64>,
    pub bools: bool,
    pub binaries: BTreeSet<String>,
}

/// The pool of a kind of value nothing names, to borrow where a pool is looked up.
pub static EMPTY: Pool = Pool {
    literals: BTreeSet::new(),
    globs: Vec::new(),
    ignore_case: false,
    nets: Vec::new(),
    numbers: Vec::new(),
    dates: Vec::new(),
    bools: false,
    binaries: BTreeSet::new(),
};

/// At most this many patterns are intersected pairwise.
pub const MAX_PAIRWISE: usize = 48;

impl Pool {
    pub fn add_text(&mut self, toks: &[Tok]) {
        if pattern::has_wildcard(toks) {
            if !self.globs.iter().any(|g| g == toks) {
                self.globs.push(toks.to_vec());
            }
        } else {
            self.literals.insert(pattern::render(toks));
        }
    }

    /// Every literal (as a pattern of itself) and every pattern, for reading their structure.
    pub fn patterns(&self) -> Vec<Vec<Tok>> {
        self.literals
            .iter()
            .map(|l| pattern::literal(l))
            .chain(self.globs.iter().cloned())
            .collect()
    }

    /// Representative strings: literals (and their case variants when an IgnoreCase operator
    /// reads them), two witnesses per pattern, a witness per pair of patterns, and the fresh
    /// values given.
    pub fn strings(&self, fresh: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |s: String| {
            if !out.contains(&s) {
                out.push(s);
            }
        };
        for l in &self.literals {
            push(l.clone());
            if self.ignore_case {
                push(l.to_uppercase());
                push(l.to_lowercase());
            }
        }
        for g in &self.globs {
            push(pattern::witness(g, "", '0'));
            push(pattern::witness(g, "#", '#'));
        }
        if self.globs.len() <= MAX_PAIRWISE {
            for (i, a) in self.globs.iter().enumerate() {
                for b in &self.globs[i + 1..] {
                    if let Some(w) = pattern::intersection(a, b, '#') {
                        push(w);
                    }
                }
            }
        }
        for f in fresh {
            push(f.clone());
        }
        out
    }

    pub fn is_typed(&self) -> bool {
        !self.nets.is_empty()
            || !self.numbers.is_empty()
            || !self.dates.is_empty()
            || self.bools
            || !self.binaries.is_empty()
    }

    /// Addresses on both sides of every boundary of every block, and outside all of them.
    pub fn ips(&self) -> Vec<String> {
        let mut out: Vec<IpAddr> = Vec::new();
        for net in &self.nets {
            let (lo, hi) = (net.network(), net.broadcast());
            out.extend([lo, hi]);
            if let Some(below) = step(lo, -1) {
                out.push(below);
            }
            if let Some(above) = step(hi, 1) {
                out.push(above);
            }
        }
        // One address of each family outside every block.
        use std::net::{Ipv4Addr, Ipv6Addr};
        let v4 = [
            Ipv4Addr::new(198, 18, 0, 1),
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::new(100, 64, 0, 1),
            Ipv4Addr::new(1, 1, 1, 1),
        ]
        .map(IpAddr::V4);
        let v6 = [
            Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1),
            Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1),
            Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0, 1),
        ]
        .map(IpAddr::V6);
        for family in [&v4[..], &v6[..]] {
            if let Some(ip) = family
                .iter()
                .find(|ip| !self.nets.iter().any(|n| n.contains(*ip)))
            {
                out.push(*ip);
            }
        }
        let mut seen = BTreeSet::new();
        out.into_iter()
            .filter(|ip| seen.insert(*ip))
            .map(|ip| ip.to_string())
            .collect()
    }

    pub fn numbers(&self) -> Vec<String> {
        boundaries(&self.numbers)
            .into_iter()
            .map(|n| n.to_string())
            .collect()
    }

    pub fn dates(&self) -> Vec<String> {
        let ms: Vec<f64> = self.dates.iter().map(|d| *d as f64).collect();
        boundaries(&ms)
            .into_iter()
            .filter_map(|m| rfc3339_millis(m.round() as i64))
            .collect()
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (a year outside 0 to 9999 with its sign; years beyond ±9999 have
/// none).
fn rfc3339_millis(ms: i64) -> Option<String> {
    let days = jiff::Span::new().try_days(ms.div_euclid(86_400_000)).ok()?;
    let date = jiff::civil::date(1970, 1, 1).checked_add(days).ok()?;
    let t = ms.rem_euclid(86_400_000);
    let year = match date.year() {
        y @ 0..=9999 => format!("{y:04}"),
        y => format!("{y:+05}"),
    };
    Some(format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.month(),
        date.day(),
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    ))
}

/// Each value, a point between each pair of neighbours, and one beyond each end.
fn boundaries(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v.dedup();
    if v.is_empty() {
        return vec![0.0, 1.0];
    }
    let mut out = vec![v[0] - 1.0];
    for (i, x) in v.iter().enumerate() {
        out.push(*x);
        match v.get(i + 1) {
            Some(next) => out.push((x + next) / 2.0),
            None => out.push(x + 1.0),
        }
    }
    out
}

fn step(ip: IpAddr, delta: i128) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(a) => {
            let n = u32::from(a) as i128 + delta;
            u32::try_from(n).ok().map(|n| IpAddr::from(n.to_be_bytes()))
        }
        IpAddr::V6(a) => {
            let n = u128::from(a) as i128;
            let n = n.checked_add(delta)?;
            u128::try_from(n)
                .ok()
                .map(|n| IpAddr::from(n.to_be_bytes()))
        }
    }
}

/// Twelve-digit witnesses of account patterns: stars are padded with nines to twelve digits.
pub fn account_witnesses(pool: &Pool) -> Vec<String> {
    let mut out: Vec<String> = pool.literals.iter().cloned().collect();
    for g in &pool.globs {
        let fixed = g.iter().filter(|t| !matches!(t, Tok::AnyRun)).count();
        let stars = g.iter().filter(|t| matches!(t, Tok::AnyRun)).count();
        let pad = 12usize.saturating_sub(fixed);
        let mut w = String::new();
        let mut used = 0usize;
        for (i, t) in g.iter().enumerate() {
            match t {
                Tok::Lit(c) => w.push(*c),
                Tok::AnyOne => w.push('9'),
                Tok::AnyRun => {
                    let last = g[i + 1..].iter().all(|t| !matches!(t, Tok::AnyRun));
                    let n = if last { pad - used } else { pad / stars.max(1) };
                    used += n;
                    w.push_str(&"9".repeat(n));
                }
            }
        }
        out.push(w);
    }
    out.retain(|a| crate::iam::arn::is_account_id(a));
    out.sort();
    out.dedup();
    out
}

/// The values a policy and a perimeter name, which fresh values must avoid. Kept as hashes, not
/// copies of every literal: a collision only makes a fresh value skip one that was free.
#[derive(Default)]
pub struct Taken(std::collections::HashSet<u64, foldhash::fast::FixedState>);

impl Taken {
    pub fn of<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = std::collections::HashSet::with_hasher(Default::default());
        set.extend(values.into_iter().map(Self::hash));
        Taken(set)
    }

    fn hash(value: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::default().hash_one(value)
    }

    pub fn contains(&self, value: &str) -> bool {
        self.0.contains(&Self::hash(value))
    }
}

/// `n` values of the form `<stem><i>` that are not among `taken`.
pub fn fresh(stem: &str, n: usize, taken: &Taken) -> Vec<String> {
    (0usize..)
        .map(|i| {
            let mut s = String::with_capacity(stem.len() + 4);
            s.push_str(stem);
            push_decimal(&mut s, i);
            s
        })
        .filter(|s| !taken.contains(s))
        .take(n)
        .collect()
}

/// Appends `n` in decimal (the formatting machinery costs more than the rest of `fresh`).
fn push_decimal(s: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// Appends the values `slot` does not hold yet, in order.
pub fn push_new(slot: &mut Vec<String>, values: impl IntoIterator<Item = String>) {
    for v in values {
        if !slot.contains(&v) {
            slot.push(v);
        }
    }
}

/// Fresh 12-digit accounts.
pub fn fresh_accounts(n: usize, taken: &Taken) -> Vec<String> {
    (0..)
        .map(|i| format!("{:012}", 999_999_999_999u64 - i))
        .filter(|s| !taken.contains(s))
        .take(n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::pattern::glob;

    #[test]
    fn strings_cover_literals_patterns_pairs_and_fresh() {
        let mut p = Pool::default();
        p.add_text(&glob("a*"));
        p.add_text(&glob("*b"));
        p.add_text(&glob("lit"));
        let s = p.strings(&["fresh0".into()]);
        for want in ["lit", "a", "a#", "b", "#b", "ab", "fresh0"] {
            assert!(s.contains(&want.to_owned()), "{want} in {s:?}");
        }
    }

    #[test]
    fn ips_straddle_every_boundary() {
        let mut p = Pool::default();
        p.nets.push("10.0.0.0/8".parse().unwrap());
        p.nets.push("10.1.0.0/16".parse().unwrap());
        let ips = p.ips();
        for want in [
            "10.0.0.0",
            "10.255.255.255",
            "9.255.255.255",
            "11.0.0.0",
            "10.1.0.0",
            "10.0.255.255",
            "198.18.0.1",
        ] {
            assert!(ips.contains(&want.to_owned()), "{want} in {ips:?}");
        }
        assert!(
            ips.iter().any(|i| i.contains(':')),
            "an IPv6 address too: {ips:?}"
        );
    }

    #[test]
    fn numbers_between_and_beyond() {
        assert_eq!(boundaries(&[10.0, 20.0]), vec![9.0, 10.0, 15.0, 20.0, 21.0]);
    }

    #[test]
    fn dates_render_to_the_millisecond_in_utc() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_780_315_200_123, "2026-06-01T12:00:00.123Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(rfc3339_millis(ms).as_deref(), Some(text), "{ms}");
        }
        assert_eq!(rfc3339_millis(253_402_300_800_000), None, "year 10000");
        let p = Pool {
            dates: vec![1_780_315_200_000],
            ..Pool::default()
        };
        assert_eq!(
            p.dates(),
            [
                "2026-06-01T11:59:59.999Z",
                "2026-06-01T12:00:00.000Z",
                "2026-06-01T12:00:00.001Z"
            ]
        );
    }

    #[test]
    fn account_patterns_become_twelve_digits() {
        let mut p = Pool::default();
        p.add_text(&glob("1111*"));
        p.add_text(&glob("111122223333"));
        let a = account_witnesses(&p);
        assert!(a.contains(&"111199999999".to_owned()), "{a:?}");
        assert!(a.contains(&"111122223333".to_owned()));
    }
}
