//! The Condition element: operators, keys, values, and their evaluation against a request,
//! including the missing-key and set-operator rules that most policy scanners get wrong.

use crate::iam::error::Malformed;
use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use serde_json::Value;

use super::arn;
use super::error::{Pointer, PolicyError, excerpt, has_placeholder};
use super::keys;
use super::pattern;
use super::request::{Request, Values};
use super::template::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// The positive comparison an operator makes; `Operator::negated` turns it into NOR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    /// ArnEquals and ArnLike are the same operator.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetOp>,
    /// As written, for printing the policy back and for messages.
    pub name: String,
}

const BASES: &[(&str, Base, bool)] = &[
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("NumericEquals", Base::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Base::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Base::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Base::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Base::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Base::Numeric(Cmp::Ge), false),
    ("DateEquals", Base::Date(Cmp::Eq), false),
    ("DateNotEquals", Base::Date(Cmp::Eq), true),
    ("DateLessThan", Base::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Base::Date(Cmp::Le), false),
    ("DateGreaterThan", Base::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Base::Date(Cmp::Ge), false),
    ("Bool", Base::Bool, false),
    ("BinaryEquals", Base::Binary, false),
    ("IpAddress", Base::Ip, false),
    ("NotIpAddress", Base::Ip, true),
    ("ArnEquals", Base::Arn, false),
    ("ArnLike", Base::Arn, false),
    ("ArnNotEquals", Base::Arn, true),
    ("ArnNotLike", Base::Arn, true),
    ("Null", Base::Null, false),
];

/// Every operator name the grammar allows, without prefixes or the IfExists suffix.
pub fn base_names() -> impl Iterator<Item = &'static str> {
    BASES.iter().map(|(n, _, _)| *n)
}

impl Operator {
    /// Parses an operator name exactly as AWS spells it: names are case-sensitive (IAM answers
    /// `Invalid Condition type : stringEquals`), so a near miss is an error that says so.
    pub fn parse(name: &str) -> Result<Operator, Malformed> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let Some((_, base, negated)) = BASES.iter().find(|(n, _, _)| *n == base_name) else {
            let hint = BASES
                .iter()
                .map(|(n, _, _)| *n)
                .find(|n| n.eq_ignore_ascii_case(base_name))
                .map(|n| format!(" (operator names are case-sensitive: did you mean {n}?)"))
                .or_else(|| {
                    let lower = name.to_ascii_lowercase();
                    (lower.starts_with("forallvalues:") || lower.starts_with("foranyvalue:")).then(
                        || {
                            " (the set prefixes are spelt ForAllValues: and ForAnyValue:)"
                                .to_owned()
                        },
                    )
                })
                .unwrap_or_default();
            return Err(Malformed::from(format!(
                "unknown condition operator {}{hint}",
                excerpt(name)
            )));
        };
        if *base == Base::Null && if_exists {
            return Err(Malformed::from(
                "Null cannot take IfExists: Null already tests whether the key exists".to_owned(),
            ));
        }
        if *base == Base::Null && set.is_some() {
            return Err(Malformed::from(
                "Null with ForAllValues:/ForAnyValue: has no documented meaning".to_owned(),
            ));
        }
        Ok(Operator {
            base: *base,
            negated: *negated,
            if_exists,
            set,
            name: name.to_owned(),
        })
    }

    fn allows_variables(&self) -> bool {
        matches!(
            self.base,
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Arn
        )
    }
}

/// One value written in a condition, compiled for its operator.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyValue {
    /// String and ARN operators: text that may hold policy variables.
    Text(Template),
    Number(f64),
    /// Milliseconds since the Unix epoch.
    Date(i64),
    Bool(bool),
    Binary(Vec<u8>),
    Ip(IpNet),
}

/// One operator + key pair with its values: `"StringEquals": {"aws:SourceVpce": [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// Lower-cased: key names are case-insensitive.
    pub key: String,
    pub key_written: String,
    pub values: Vec<PolicyValue>,
    /// The values as strings (numbers and booleans written unquoted are stringified).
    pub written_values: Vec<String>,
    /// Whether the values were written as a list (kept to print the policy back).
    pub written_as_list: bool,
    pub pointer: Pointer,
}

/// Parses a whole Condition element into its conditions (AND of all of them).
pub fn parse_block(
    value: &Value,
    at: &Pointer,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = value else {
        return Err(PolicyError::new(at, "Condition must be an object")
            .expected("{\"<operator>\": {\"<key>\": <value or list>}}"));
    };
    let mut out = Vec::new();
    for (op_name, keys_value) in ops {
        let op_at = at.child(op_name);
        let operator = Operator::parse(op_name).map_err(|e| PolicyError::new(&op_at, e))?;
        let Value::Object(keys) = keys_value else {
            return Err(
                PolicyError::new(&op_at, "an operator must map to an object of keys")
                    .expected("{\"<key>\": <value or list>}"),
            );
        };
        if keys.is_empty() {
            return Err(PolicyError::new(&op_at, "the operator has no keys")
                .expected("at least one condition key"));
        }
        let mut seen: Vec<&str> = Vec::with_capacity(keys.len());
        for (key, values) in keys {
            let key_at = op_at.child(key);
            if let Some(other) = seen.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                return Err(PolicyError::new(
                    &key_at,
                    format!(
                        "keys {} and {} differ only in case; key names are case-insensitive, so this is one key written twice",
                        excerpt(other),
                        excerpt(key)
                    ),
                ));
            }
            seen.push(key);
            out.push(parse_condition(&operator, key, values, &key_at, variables)?);
        }
    }
    Ok(out)
}

fn parse_condition(
    operator: &Operator,
    key: &str,
    values: &Value,
    at: &Pointer,
    variables: bool,
) -> Result<Condition, PolicyError> {
    let global =
        keys::validate(key).map_err(|e| PolicyError::new(at, format!("{}: {e}", excerpt(key))))?;
    if let Some(g) = global
        && g.multivalued
        && operator.set.is_none()
        && operator.base != Base::Null
    {
        return Err(PolicyError::new(
            at,
            format!("{} is multivalued and needs a set operator", g.name),
        )
        .expected(format!(
            "ForAnyValue:{0} or ForAllValues:{0}",
            operator.name
        )));
    }
    let (written, as_list) = scalar_or_list(values, at)?;
    let mut compiled = Vec::with_capacity(written.len());
    for (i, text) in written.iter().enumerate() {
        let here = if as_list { at.child(i) } else { at.clone() };
        compiled.push(
            compile_value(operator, text, variables).map_err(|e| PolicyError::new(&here, e))?,
        );
    }
    Ok(Condition {
        operator: operator.clone(),
        key: key.to_ascii_lowercase(),
        key_written: key.to_owned(),
        values: compiled,
        written_values: written,
        written_as_list: as_list,
        pointer: at.clone(),
    })
}

/// Condition values: a string, number or boolean, or a non-empty list of them.
fn scalar_or_list(v: &Value, at: &Pointer) -> Result<(Vec<String>, bool), PolicyError> {
    let scalar = |v: &Value, at: &Pointer| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(
            PolicyError::new(at, "a condition value must be a string, number or boolean")
                .expected("a value or a list of values"),
        ),
    };
    match v {
        Value::Array(items) if items.is_empty() => Err(PolicyError::new(
            at,
            "the list of values is empty (it would match nothing, or everything under ForAllValues)",
        )
        .expected("at least one value")),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| scalar(item, &at.child(i)))
            .collect::<Result<_, _>>()
            .map(|vs| (vs, true)),
        other => scalar(other, at).map(|s| (vec![s], false)),
    }
}

fn compile_value(op: &Operator, text: &str, variables: bool) -> Result<PolicyValue, Malformed> {
    if has_placeholder(text) {
        return Err(Malformed::from(format!(
            "{} looks like an unfilled template placeholder, not a condition value",
            excerpt(text)
        )));
    }
    Ok(match op.base {
        Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Arn => {
            let template = Template::parse(text, variables && op.allows_variables())?;
            for var in template.variables() {
                match keys::validate(var) {
                    Err(e) => {
                        return Err(Malformed::from(format!("policy variable ${{{var}}}: {e}")));
                    }
                    Ok(Some(g)) if g.multivalued => {
                        return Err(Malformed::from(format!(
                            "policy variable ${{{}}} names a multivalued key; only single-valued keys can be variables",
                            g.name
                        )));
                    }
                    Ok(_) => {}
                }
            }
            if op.base == Base::Arn
                && !pattern::is_match_all(&pattern::glob(text))
                && arn::pattern_components(text) < 6
            {
                return Err(Malformed::from(format!(
                    "{} is not a whole ARN: an ARN operator compares six colon-separated components, so a shorter pattern's meaning is undefined",
                    excerpt(text)
                )));
            }
            PolicyValue::Text(template)
        }
        Base::Numeric(_) => PolicyValue::Number(
            parse_number(text).ok_or_else(|| format!("{} is not a number", excerpt(text)))?,
        ),
        Base::Date(_) => PolicyValue::Date(parse_date(text).ok_or_else(|| {
            format!(
                "{} is not a date (ISO 8601 such as 2026-01-31T12:00:00Z, or epoch seconds)",
                excerpt(text)
            )
        })?),
        Base::Bool | Base::Null => PolicyValue::Bool(
            parse_bool(text)
                .ok_or_else(|| format!("{} is not \"true\" or \"false\"", excerpt(text)))?,
        ),
        Base::Binary => PolicyValue::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| format!("{} is not base64", excerpt(text)))?,
        ),
        Base::Ip => PolicyValue::Ip(parse_cidr(text).ok_or_else(|| {
            format!(
                "{} is not an IPv4 or IPv6 address or CIDR block",
                excerpt(text)
            )
        })?),
    })
}

pub fn parse_number(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// ISO 8601 date-times (with `Z` or an offset), plain dates (midnight UTC), or epoch seconds, in
/// milliseconds since the epoch. The text (trimmed) is one of:
/// - digits only: seconds since the epoch;
/// - an RFC 3339 date-time, as [`parse_rfc3339`] reads it;
/// - `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, `YYYY-MM-DDTHH:MMZ` or `YYYY-MM-DD` (midnight), in UTC,
///   where the year has 1 to 4 digits, or a sign and any number, each other number 1 or 2 digits,
///   any number may follow whitespace, the fraction is read to the nanosecond (further digits
///   ignored), and second 60 is a leap second, counted as the next second.
///
/// Years run from -9999 to 9999.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    parse_rfc3339(text)
        .or_else(|| parse_utc(text))
        .and_then(|t| t.millis())
}

/// A date-time as written: its wall-clock date and time, and its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenDateTime {
    /// A leap second (`:60`) is `:59` here, with `leap_second` set.
    pub datetime: jiff::civil::DateTime,
    pub leap_second: bool,
    /// Seconds east of UTC, less than a day either way.
    pub offset_seconds: i32,
}

impl WrittenDateTime {
    fn new(
        [year, month, day, hour, minute, second]: [i64; 6],
        nanosecond: i32,
        offset_seconds: i32,
    ) -> Option<WrittenDateTime> {
        let leap_second = second == 60;
        let second = if leap_second { 59 } else { second };
        let datetime = jiff::civil::DateTime::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(second).ok()?,
            nanosecond,
        )
        .ok()?;
        (offset_seconds.abs() < 86_400).then_some(WrittenDateTime {
            datetime,
            leap_second,
            offset_seconds,
        })
    }

    /// Whole milliseconds since the epoch (rounded down); a leap second counts as the next second.
    pub fn millis(&self) -> Option<i64> {
        let epoch = jiff::civil::date(1970, 1, 1).at(0, 0, 0, 0);
        let nanos = self.datetime.duration_since(epoch).as_nanos()
            + i128::from(self.leap_second) * 1_000_000_000
            - i128::from(self.offset_seconds) * 1_000_000_000;
        i64::try_from(nanos.div_euclid(1_000_000)).ok()
    }
}

/// An RFC 3339 date-time: `YYYY-MM-DD`, `T` (or `t`, or a space), `HH:MM:SS`, an optional
/// fraction (`.` and at least one digit, read to the nanosecond, further digits ignored), and `Z`
/// (or `z`) or an offset `+HH:MM` or `-HH:MM` (the minus also U+2212) of less than 24 hours.
/// Second 60 is a leap second.
pub fn parse_rfc3339(text: &str) -> Option<WrittenDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')]
            .iter()
            .any(|&(i, c)| b[i] != c)
        || !matches!(b[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| i64::from((h - b'0') * 10 + (l - b'0')))
    };
    let year = two(0)? * 100 + two(2)?;
    let fields = [year, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?];
    let (nanosecond, rest) = match text[19..].strip_prefix('.') {
        Some(fraction) => fraction_nanos(fraction)?,
        None => (0, &text[19..]),
    };
    let offset = if matches!(rest, "Z" | "z") {
        0
    } else {
        let (negative, hhmm) = if let Some(r) = rest.strip_prefix('+') {
            (false, r)
        } else if let Some(r) = rest.strip_prefix(['-', '\u{2212}']) {
            (true, r)
        } else {
            return None;
        };
        let &[
            h1 @ b'0'..=b'9',
            h2 @ b'0'..=b'9',
            b':',
            m1 @ b'0'..=b'5',
            m2 @ b'0'..=b'9',
        ] = hhmm.as_bytes()
        else {
            return None;
        };
        let hours = i32::from((h1 - b'0') * 10 + (h2 - b'0'));
        let minutes = i32::from((m1 - b'0') * 10 + (m2 - b'0'));
        let seconds = hours * 3600 + minutes * 60;
        if negative { -seconds } else { seconds }
    };
    WrittenDateTime::new(fields, nanosecond, offset)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, `YYYY-MM-DDTHH:MMZ` or `YYYY-MM-DD`, read field by field
/// as [`parse_date`] describes.
fn parse_utc(text: &str) -> Option<WrittenDateTime> {
    /// A number after optional whitespace: 1 to `max` digits, or for the year also a sign and
    /// any number of digits.
    fn number(s: &mut &str, max: usize, signed: bool) -> Option<i64> {
        let mut t = s.trim_start();
        let (mut sign, mut max) = (1, max);
        if signed && let Some(rest) = t.strip_prefix(['-', '+']) {
            (sign, max) = (if t.starts_with('-') { -1 } else { 1 }, usize::MAX);
            t = rest;
        }
        let len = t.bytes().take(max).take_while(u8::is_ascii_digit).count();
        let mut n = 0i64;
        for d in t[..len].bytes() {
            n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
        }
        *s = &t[len..];
        (len > 0).then_some(sign * n)
    }
    fn literal(s: &mut &str, l: &str) -> Option<()> {
        *s = s.strip_prefix(l)?;
        Some(())
    }
    let mut rest = text;
    let s = &mut rest;
    let year = number(s, 4, true)?;
    literal(s, "-")?;
    let month = number(s, 2, false)?;
    literal(s, "-")?;
    let day = number(s, 2, false)?;
    if s.is_empty() {
        return WrittenDateTime::new([year, month, day, 0, 0, 0], 0, 0);
    }
    literal(s, "T")?;
    let hour = number(s, 2, false)?;
    literal(s, ":")?;
    let minute = number(s, 2, false)?;
    if *s == "Z" {
        return WrittenDateTime::new([year, month, day, hour, minute, 0], 0, 0);
    }
    literal(s, ":")?;
    let second = number(s, 2, false)?;
    let nanosecond = match s.strip_prefix('.') {
        Some(fraction) => {
            let (n, rest) = fraction_nanos(fraction)?;
            *s = rest;
            n
        }
        None => 0,
    };
    (*s == "Z").then_some(())?;
    WrittenDateTime::new([year, month, day, hour, minute, second], nanosecond, 0)
}

/// One or more digits of a fraction of a second: the nanoseconds of the first nine, and the text
/// after all of them.
fn fraction_nanos(s: &str) -> Option<(i32, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    let nanos = (0..9).fold(0, |n, i| {
        n * 10
            + s.as_bytes()
                .get(i)
                .filter(|_| i < len)
                .map_or(0, |d| i32::from(d - b'0'))
    });
    (len > 0).then_some((nanos, &s[len..]))
}

/// A CIDR block, or a bare address meaning /32 (IPv4) or /128 (IPv6).
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

impl Condition {
    /// Whether this condition holds for the request, with AWS's rules for absent keys:
    /// positive operators fail, negated ones hold, `...IfExists` holds, `ForAnyValue:` fails,
    /// `ForAllValues:` holds vacuously, and `Null` tests presence.
    pub fn holds(&self, request: &Request) -> bool {
        let op = &self.operator;
        let found = request.lookup(&self.key);
        if op.base == Base::Null {
            let absent = found.is_none();
            return self
                .values
                .iter()
                .any(|v| matches!(v, PolicyValue::Bool(b) if *b == absent));
        }
        let Some(found) = found else {
            return op.if_exists
                || match op.set {
                    Some(SetOp::ForAnyValue) => false,
                    Some(SetOp::ForAllValues) => true,
                    None => op.negated,
                };
        };
        let satisfies = |v: &str| self.matches_any(v, request) != op.negated;
        match op.set {
            // A single value: the operator decides. Several values without a set operator
            // (a service key we do not know to be multivalued): positive operators need one
            // value to match, negated ones need none to.
            None => match found {
                Values::One(v) => satisfies(v),
                Values::Many(_) => {
                    let any = found.iter().any(|v| self.matches_any(v, request));
                    any != op.negated
                }
            },
            Some(SetOp::ForAnyValue) => found.iter().any(satisfies),
            Some(SetOp::ForAllValues) => found.iter().all(satisfies),
        }
    }

    /// Whether one request value matches at least one policy value under the positive operator.
    fn matches_any(&self, value: &str, request: &Request) -> bool {
        self.values
            .iter()
            .any(|p| self.matches_one(p, value, request))
    }

    fn matches_one(&self, policy: &PolicyValue, value: &str, request: &Request) -> bool {
        match (self.operator.base, policy) {
            (Base::StringEquals, PolicyValue::Text(t)) => {
                t.resolve_literal(request).is_some_and(|p| p == value)
            }
            (Base::StringEqualsIgnoreCase, PolicyValue::Text(t)) => {
                t.resolve_literal(request).is_some_and(|p| {
                    p.chars()
                        .flat_map(char::to_lowercase)
                        .eq(value.chars().flat_map(char::to_lowercase))
                })
            }
            (Base::StringLike, PolicyValue::Text(t)) => t
                .resolve_glob(request)
                .is_some_and(|g| pattern::matches(&g, value)),
            (Base::Arn, PolicyValue::Text(t)) => t
                .resolve_glob(request)
                .is_some_and(|g| arn::matches(&g, value)),
            (Base::Numeric(cmp), PolicyValue::Number(p)) => {
                parse_number(value).is_some_and(|v| cmp.holds(v, *p))
            }
            (Base::Date(cmp), PolicyValue::Date(p)) => {
                parse_date(value).is_some_and(|v| cmp.holds(v, *p))
            }
            (Base::Bool, PolicyValue::Bool(p)) => parse_bool(value) == Some(*p),
            (Base::Binary, PolicyValue::Binary(p)) => base64::engine::general_purpose::STANDARD
                .decode(value)
                .is_ok_and(|v| v == *p),
            (Base::Ip, PolicyValue::Ip(net)) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| net.contains(&ip)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
