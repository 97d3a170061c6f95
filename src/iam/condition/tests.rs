use serde_json::{Value, json};

use super::*;
use crate::iam::request::Caller;
use crate::iam::testing::*;

fn block(v: Value) -> Result<Vec<Condition>, PolicyError> {
    parse_block(&v, &Pointer::root().child("Condition"), true)
}

fn holds(op: &str, key: &str, values: Value, r: &Request) -> bool {
    let conds = block(json!({ op: { key: values } })).unwrap_or_else(|e| panic!("{e}"));
    conds.iter().all(|c| c.holds(r))
}

fn anon() -> Request {
    request(Caller::Anonymous)
}

// --- the missing-key table -------------------------------------------------------------------

#[test]
fn missing_key_table() {
    let r = anon(); // no aws:SourceVpce in the context
    let k = "aws:SourceVpce";
    let v = json!("vpce-1a2b3c4d");
    let cases: &[(&str, bool)] = &[
        ("StringEquals", false),
        ("StringLike", false),
        ("StringEqualsIgnoreCase", false),
        ("StringNotEquals", true),
        ("StringNotLike", true),
        ("StringNotEqualsIgnoreCase", true),
        ("StringEqualsIfExists", true),
        ("StringNotEqualsIfExists", true),
        ("ForAnyValue:StringEquals", false),
        ("ForAllValues:StringEquals", true),
        ("ForAnyValue:StringNotEquals", false),
        ("ForAllValues:StringNotEquals", true),
        ("ForAnyValue:StringEqualsIfExists", true),
    ];
    for (op, expected) in cases {
        assert_eq!(
            holds(op, k, v.clone(), &r),
            *expected,
            "{op} on a missing key"
        );
    }
    assert!(!holds("IpAddress", "aws:SourceIp", json!("10.0.0.0/8"), &r));
    assert!(holds(
        "NotIpAddress",
        "aws:SourceIp",
        json!("10.0.0.0/8"),
        &r
    ));
    assert!(!holds("Bool", "aws:SecureTransport", json!("false"), &r));
    assert!(holds(
        "BoolIfExists",
        "aws:SecureTransport",
        json!("false"),
        &r
    ));
    assert!(!holds(
        "NumericLessThan",
        "aws:MultiFactorAuthAge",
        json!(3600),
        &r
    ));
    assert!(holds(
        "NumericNotEquals",
        "aws:MultiFactorAuthAge",
        json!(3600),
        &r
    ));
    assert!(!holds(
        "DateGreaterThan",
        "aws:TokenIssueTime",
        json!("2020-01-01"),
        &r
    ));
    assert!(holds(
        "DateNotEquals",
        "aws:TokenIssueTime",
        json!("2020-01-01"),
        &r
    ));
    assert!(!holds(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:s3:::*"),
        &r
    ));
    assert!(holds(
        "ArnNotLike",
        "aws:SourceArn",
        json!("arn:aws:s3:::*"),
        &r
    ));
    assert!(!holds("BinaryEquals", "s3:x", json!("QmluYXJ5"), &r));
}

#[test]
fn null_tests_presence() {
    let absent = anon();
    let present = with(anon(), "aws:SourceVpce", "vpce-1a2b3c4d");
    for (r, is_absent) in [(&absent, true), (&present, false)] {
        assert_eq!(holds("Null", "aws:SourceVpce", json!("true"), r), is_absent);
        assert_eq!(holds("Null", "aws:SourceVpce", json!(true), r), is_absent);
        assert_eq!(
            holds("Null", "aws:SourceVpce", json!("false"), r),
            !is_absent
        );
        assert!(holds("Null", "aws:SourceVpce", json!(["true", "false"]), r));
    }
}

// --- string operators ------------------------------------------------------------------------

#[test]
fn string_equals_is_exact_and_case_sensitive_values_or() {
    let r = with(anon(), "aws:SourceVpce", "vpce-1a2b3c4d");
    assert!(holds(
        "StringEquals",
        "aws:SourceVpce",
        json!("vpce-1a2b3c4d"),
        &r
    ));
    assert!(!holds(
        "StringEquals",
        "aws:SourceVpce",
        json!("VPCE-1A2B3C4D"),
        &r
    ));
    assert!(holds(
        "StringEquals",
        "aws:SourceVpce",
        json!(["x", "vpce-1a2b3c4d"]),
        &r
    ));
    assert!(
        !holds("StringEquals", "aws:SourceVpce", json!("vpce-*"), &r),
        "no wildcards in Equals"
    );
    assert!(holds(
        "StringEqualsIgnoreCase",
        "aws:SourceVpce",
        json!("VPCE-1A2B3C4D"),
        &r
    ));
    assert!(!holds(
        "StringNotEqualsIgnoreCase",
        "aws:SourceVpce",
        json!("VPCE-1A2B3C4D"),
        &r
    ));
}

#[test]
fn negated_operators_are_nor_over_values() {
    let r = with(anon(), "aws:SourceVpce", "vpce-1a2b3c4d");
    assert!(holds(
        "StringNotEquals",
        "aws:SourceVpce",
        json!(["a", "b"]),
        &r
    ));
    assert!(!holds(
        "StringNotEquals",
        "aws:SourceVpce",
        json!(["a", "vpce-1a2b3c4d"]),
        &r
    ));
    assert!(!holds(
        "StringNotLike",
        "aws:SourceVpce",
        json!(["a", "vpce-*"]),
        &r
    ));
}

#[test]
fn string_like_wildcards_and_colons() {
    let r = with(
        anon(),
        "aws:SourceArn",
        "arn:aws:s:us-east-2:999999999999:store/abc:111122223333:finance/d.txt",
    );
    assert!(holds(
        "StringLike",
        "aws:SourceArn",
        json!("arn:aws:s:*:111122223333:finance/*"),
        &r
    ));
    assert!(!holds(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:s:*:111122223333:finance/*"),
        &r
    ));
    let q = with(anon(), "s3:prefix", "home/");
    assert!(holds("StringLike", "s3:prefix", json!("hom?/"), &q));
    assert!(!holds("StringLike", "s3:prefix", json!("Hom?/"), &q));
}

#[test]
fn key_names_are_case_insensitive_values_are_not() {
    let r = with(anon(), "aws:SourceVpce", "vpce-1a2b3c4d");
    assert!(holds(
        "StringEquals",
        "AWS:SOURCEVPCE",
        json!("vpce-1a2b3c4d"),
        &r
    ));
    assert!(holds(
        "StringEquals",
        "aws:sourcevpce",
        json!("vpce-1a2b3c4d"),
        &r
    ));
}

#[test]
fn keys_differing_only_in_case_are_rejected() {
    let err =
        block(json!({"StringEquals": {"aws:SourceVpce": "a", "aws:sourcevpce": "b"}})).unwrap_err();
    assert!(err.problem.contains("differ only in case"), "{err}");
    assert_eq!(
        err.pointer.as_str(),
        "/Condition/StringEquals/aws:sourcevpce"
    );
}

// --- set operators ---------------------------------------------------------------------------

#[test]
fn set_operators_on_multivalued_keys() {
    let r = with_many(anon(), "aws:TagKeys", &["env", "team"]);
    let k = "aws:TagKeys";
    assert!(holds(
        "ForAllValues:StringEquals",
        k,
        json!(["env", "team", "cost"]),
        &r
    ));
    assert!(!holds("ForAllValues:StringEquals", k, json!(["env"]), &r));
    assert!(holds("ForAnyValue:StringEquals", k, json!(["env"]), &r));
    assert!(!holds("ForAnyValue:StringEquals", k, json!(["cost"]), &r));
    // ForAllValues:StringNotEquals = no request value equals any policy value.
    assert!(holds(
        "ForAllValues:StringNotEquals",
        k,
        json!(["cost"]),
        &r
    ));
    assert!(!holds(
        "ForAllValues:StringNotEquals",
        k,
        json!(["env"]),
        &r
    ));
    // ForAnyValue:StringNotEquals = some request value differs from every policy value.
    assert!(holds("ForAnyValue:StringNotEquals", k, json!(["env"]), &r));
    assert!(!holds(
        "ForAnyValue:StringNotEquals",
        k,
        json!(["env", "team"]),
        &r
    ));
    assert!(holds("ForAnyValue:StringLike", k, json!("te*"), &r));
}

#[test]
fn set_operators_on_single_valued_keys() {
    let r = request(org_session());
    // The trap: ForAllValues on a key the caller does not have is vacuously true.
    let anonymous = anon();
    assert!(holds(
        "ForAllValues:StringEquals",
        "aws:PrincipalOrgID",
        json!(ORG),
        &anonymous
    ));
    assert!(holds(
        "ForAllValues:StringEquals",
        "aws:PrincipalOrgID",
        json!(ORG),
        &r
    ));
    assert!(!holds(
        "ForAnyValue:StringEquals",
        "aws:PrincipalOrgID",
        json!(ORG),
        &anonymous
    ));
    assert!(holds(
        "ForAnyValue:StringEquals",
        "aws:PrincipalOrgID",
        json!(ORG),
        &r
    ));
    assert!(!holds(
        "ForAllValues:StringEquals",
        "aws:PrincipalOrgID",
        json!("o-other00000"),
        &r
    ));
}

#[test]
fn multivalued_keys_need_a_set_operator() {
    let err = block(json!({"StringEquals": {"aws:PrincipalOrgPaths": "o-a/r-b/"}})).unwrap_err();
    assert!(err.to_string().contains("needs a set operator"), "{err}");
    assert!(block(json!({"Null": {"aws:TagKeys": "false"}})).is_ok());
}

#[test]
fn unknown_service_key_with_several_values_behaves_like_any() {
    let r = with_many(anon(), "svc:list", &["a", "b"]);
    assert!(holds("StringEquals", "svc:list", json!("a"), &r));
    assert!(!holds("StringEquals", "svc:list", json!("c"), &r));
    assert!(!holds("StringNotEquals", "svc:list", json!("a"), &r));
    assert!(holds("StringNotEquals", "svc:list", json!("c"), &r));
}

// --- numeric, date, bool, binary ---------------------------------------------------------------

#[test]
fn numeric_comparisons() {
    let r = with(anon(), "aws:MultiFactorAuthAge", "3600");
    let k = "aws:MultiFactorAuthAge";
    assert!(holds("NumericEquals", k, json!(3600), &r));
    assert!(holds("NumericEquals", k, json!("3600.0"), &r));
    assert!(holds("NumericLessThanEquals", k, json!(3600), &r));
    assert!(!holds("NumericLessThan", k, json!(3600), &r));
    assert!(holds("NumericGreaterThan", k, json!(100), &r));
    assert!(holds("NumericGreaterThanEquals", k, json!("3600"), &r));
    assert!(holds("NumericNotEquals", k, json!([1, 2]), &r));
    assert!(!holds("NumericNotEquals", k, json!([1, 3600]), &r));
    let bad = with(anon(), k, "soon");
    assert!(
        !holds("NumericLessThan", k, json!(10), &bad),
        "unparsable request value matches nothing"
    );
    assert!(block(json!({"NumericEquals": {k: "ten"}})).is_err());
    assert!(block(json!({"NumericEquals": {k: "NaN"}})).is_err());
}

#[test]
fn date_comparisons_in_iso_and_epoch() {
    let r = with(anon(), "aws:CurrentTime", "2026-06-01T12:00:00Z");
    let k = "aws:CurrentTime";
    assert!(holds(
        "DateGreaterThan",
        k,
        json!("2026-01-01T00:00:00Z"),
        &r
    ));
    assert!(holds("DateLessThan", k, json!("2027-01-01"), &r));
    assert!(holds(
        "DateEquals",
        k,
        json!("2026-06-01T14:00:00+02:00"),
        &r
    ));
    assert!(holds("DateEquals", k, json!(1_780_315_200), &r));
    assert!(holds(
        "DateLessThanEquals",
        k,
        json!("2026-06-01T12:00:00.000Z"),
        &r
    ));
    assert!(!holds(
        "DateNotEquals",
        k,
        json!("2026-06-01T12:00:00Z"),
        &r
    ));
    assert!(block(json!({"DateEquals": {k: "yesterday"}})).is_err());
}

/// Every form `parse_date` reads, with the milliseconds the chrono-based reader before it gave
/// (values checked against it), and forms both refuse.
#[test]
fn date_formats_read_as_before() {
    let noon = 1_780_315_200_000; // 2026-06-01T12:00:00Z
    let accepted = [
        // Epoch seconds.
        ("1780315200", noon),
        (" 42 ", 42_000),
        ("0", 0),
        // RFC 3339: `T`, `t` or a space; `Z`, `z` or an offset of less than a day, with `-` or
        // U+2212; fractions to the nanosecond, truncated to the millisecond; leap seconds.
        ("2026-06-01T12:00:00Z", noon),
        ("2026-06-01t12:00:00z", noon),
        ("2026-06-01 12:00:00Z", noon),
        ("2026-06-01T14:00:00+02:00", noon),
        ("2026-06-01T07:00:00-05:00", noon),
        ("2026-06-01T07:00:00\u{2212}05:00", noon),
        ("2026-06-02T11:59:00+23:59", noon),
        ("2026-05-31T12:01:00-23:59", noon),
        ("2026-06-01T12:00:00.5Z", noon + 500),
        ("2026-06-01T12:00:00.123456789123+00:00", noon + 123),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000),
        ("2016-12-31T23:59:60.250Z", 1_483_228_800_250),
        ("1969-12-31T23:59:59.9995Z", -1),
        ("0000-01-01T00:00:00Z", -62_167_219_200_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        // In UTC, numbers of one or two digits after optional whitespace, a signed year.
        ("2026-06-01T12:00Z", noon),
        ("2026-6-1T12:0Z", noon),
        ("2026- 6- 1T 9: 5: 7Z", 1_780_304_707_000),
        ("2026-6-1T9:5:7.25Z", 1_780_304_707_250),
        ("2026-06-01T12:00:60Z", noon + 60_000),
        ("+00002026-06-01T12:00:00.000Z", noon),
        // Dates, at midnight UTC.
        ("2026-06-01", 1_780_272_000_000),
        ("2024-02-29", 1_709_164_800_000),
        ("+2026-06-01", 1_780_272_000_000),
        ("-0001-01-01", -62_198_755_200_000),
    ];
    for (text, ms) in accepted {
        assert_eq!(parse_date(text), Some(ms), "{text}");
    }
    let refused = [
        "yesterday",
        "",
        "1e9",
        "-5",
        "2026-06-01T12:00:00",
        "2026-06-01T12:00:00+0200",
        "2026-06-01T12:00:00+02",
        "2026-06-01T12:00:00+24:00",
        "2026-06-01T12:00:00+02:60",
        "2026-06-01T12:00:00 Z",
        "2026-06-01T12:00:00UTC",
        "2026-06-01T12:00:00+02:00 x",
        "2026-06-01T12:00:00.Z",
        "2026-06-01T12Z",
        "2026-06-01Z",
        "2026-02-30",
        "2023-02-29",
        "2026-13-01",
        "2026-00-01",
        "2026-06-01T24:00:00Z",
        "2026-06-01T12:60Z",
        "2026-06-01T12:00:61Z",
        "2026/06/01",
        "02026-06-01",
    ];
    for text in refused {
        assert_eq!(parse_date(text), None, "{text}");
    }
    // The one difference: chrono also read years beyond 9999 (written with a sign).
    assert_eq!(parse_date("+12345-01-01"), None);
    assert_eq!(parse_date("-10000-01-01T00:00Z"), None);
}

#[test]
fn bool_values_quoted_or_not() {
    let r = with(anon(), "aws:SecureTransport", "false");
    assert!(holds("Bool", "aws:SecureTransport", json!("false"), &r));
    assert!(holds("Bool", "aws:SecureTransport", json!(false), &r));
    assert!(!holds("Bool", "aws:SecureTransport", json!(true), &r));
    assert!(block(json!({"Bool": {"aws:SecureTransport": "yes"}})).is_err());
}

#[test]
fn binary_equals_compares_bytes() {
    let r = with(anon(), "svc:blob", "QmluYXJ5VmFsdWU=");
    assert!(holds(
        "BinaryEquals",
        "svc:blob",
        json!("QmluYXJ5VmFsdWU="),
        &r
    ));
    assert!(!holds("BinaryEquals", "svc:blob", json!("QmluYXJ5"), &r));
    assert!(block(json!({"BinaryEquals": {"svc:blob": "%%%"}})).is_err());
}

// --- IP addresses ----------------------------------------------------------------------------

#[test]
fn ip_containment_v4_and_v6() {
    let v4 = with(anon(), "aws:SourceIp", "203.0.113.7");
    let v6 = with(anon(), "aws:SourceIp", "2001:db8:1234::1");
    let k = "aws:SourceIp";
    assert!(holds("IpAddress", k, json!("203.0.113.0/24"), &v4));
    assert!(
        holds("IpAddress", k, json!("203.0.113.7"), &v4),
        "a bare address is /32"
    );
    assert!(!holds("IpAddress", k, json!("203.0.113.8"), &v4));
    assert!(
        holds("IpAddress", k, json!("203.0.113.99/24"), &v4),
        "host bits are ignored"
    );
    assert!(!holds("IpAddress", k, json!("203.0.113.0/24"), &v6));
    assert!(holds(
        "IpAddress",
        k,
        json!(["203.0.113.0/24", "2001:db8:1234::/48"]),
        &v6
    ));
    assert!(!holds("IpAddress", k, json!("2001:db8:1235::/48"), &v6));
    assert!(holds("NotIpAddress", k, json!("2001:db8:1235::/48"), &v6));
    assert!(holds("IpAddress", k, json!("0.0.0.0/0"), &v4));
    assert!(block(json!({"IpAddress": {k: "203.0.113.0/33"}})).is_err());
    assert!(block(json!({"IpAddress": {k: "not-an-ip"}})).is_err());
}

// --- ARN operators ---------------------------------------------------------------------------

#[test]
fn arn_equals_and_like_match_component_by_component() {
    let r = request(org_session());
    let k = "aws:PrincipalArn";
    assert!(holds(
        "ArnEquals",
        k,
        json!("arn:aws:iam::111122223333:role/R"),
        &r
    ));
    assert!(holds("ArnLike", k, json!("arn:aws:iam::*:role/R"), &r));
    assert!(holds(
        "ArnEquals",
        k,
        json!("arn:aws:iam::111122223333:role/*"),
        &r
    ));
    assert!(!holds(
        "ArnLike",
        k,
        json!("arn:aws:iam::444455556666:role/*"),
        &r
    ));
    assert!(holds(
        "ArnNotLike",
        k,
        json!("arn:aws:iam::444455556666:role/*"),
        &r
    ));
    assert!(holds("ArnLike", k, json!("*"), &r));
    let err = block(json!({"ArnEquals": {k: "arn:aws:iam::*"}})).unwrap_err();
    assert!(err.problem.contains("not a whole ARN"), "{err}");
}

// --- variables -------------------------------------------------------------------------------

#[test]
fn variables_substitute_from_the_request() {
    let r = request(org_session());
    assert!(holds(
        "StringEquals",
        "aws:ResourceOrgID",
        json!("${aws:PrincipalOrgID}"),
        &r
    ));
    let anonymous = anon();
    // The variable has no value: positive operators do not match, negated ones do.
    assert!(!holds(
        "StringEquals",
        "aws:ResourceOrgID",
        json!("${aws:PrincipalOrgID}"),
        &anonymous
    ));
    assert!(holds(
        "StringNotEquals",
        "aws:ResourceOrgID",
        json!("${aws:PrincipalOrgID}"),
        &anonymous
    ));
    assert!(holds(
        "StringEquals",
        "aws:ResourceOrgID",
        json!(format!("${{aws:PrincipalOrgID, '{ORG}'}}")),
        &anonymous
    ));
}

#[test]
fn variables_are_literal_under_2008_rules() {
    let conds = parse_block(
        &json!({"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}),
        &Pointer::root(),
        false,
    )
    .unwrap();
    let mut r = request(org_session());
    assert!(!conds[0].holds(&r));
    r.resource.org.as_mut().unwrap().id = "${aws:PrincipalOrgID}".into();
    assert!(conds[0].holds(&r));
}

#[test]
fn variables_only_where_aws_allows_them() {
    assert!(
        block(json!({"StringEquals": {"aws:SourceVpce": "${aws:PrincipalOrgPaths}"}})).is_err()
    );
    assert!(block(json!({"StringEquals": {"aws:SourceVpce": "${aws:NoSuchKey}"}})).is_err());
    // Numeric values do not take variables, so the text must be a number.
    assert!(
        block(json!({"NumericEquals": {"aws:MultiFactorAuthAge": "${aws:EpochTime}"}})).is_err()
    );
}

// --- operator spelling -----------------------------------------------------------------------

#[test]
fn operator_names_are_exact() {
    for bad in [
        "stringEquals",
        "StringEquals ",
        "StringEqualsIfexists",
        "forallvalues:StringEquals",
        "Foo",
    ] {
        let err = block(json!({ bad: {"aws:SourceVpce": "x"} })).unwrap_err();
        assert!(
            err.problem.contains("unknown condition operator"),
            "{bad}: {err}"
        );
    }
    let hint = block(json!({"stringequals": {"aws:SourceVpce": "x"}})).unwrap_err();
    assert!(hint.problem.contains("did you mean StringEquals"), "{hint}");
    for name in base_names() {
        assert!(Operator::parse(name).is_ok(), "{name}");
        if name != "Null" {
            assert!(Operator::parse(&format!("ForAnyValue:{name}IfExists")).is_ok());
        }
    }
    assert!(
        Operator::parse("NullIfExists")
            .unwrap_err()
            .0
            .contains("IfExists")
    );
    assert!(Operator::parse("ForAllValues:Null").is_err());
}

#[test]
fn unknown_global_keys_and_bad_values_are_rejected() {
    let err = block(json!({"StringEquals": {"aws:SourceVpcId": "vpc-1"}})).unwrap_err();
    assert!(
        err.problem.contains("not an AWS global condition key"),
        "{err}"
    );
    assert!(block(json!({"StringEquals": {"aws:SourceVpce": []}})).is_err());
    assert!(block(json!({"StringEquals": {"aws:SourceVpce": {"a": 1}}})).is_err());
    assert!(block(json!({"StringEquals": {"aws:SourceVpce": null}})).is_err());
    assert!(block(json!({"StringEquals": {}})).is_err());
    assert!(block(json!({"StringEquals": "x"})).is_err());
    assert!(block(json!([])).is_err());
    assert_eq!(block(json!({})).unwrap().len(), 0);
}
