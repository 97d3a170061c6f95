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
