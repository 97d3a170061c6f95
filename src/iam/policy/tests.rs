use serde_json::json;

use super::*;

fn parse(v: Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
    Policy::parse(&v.to_string(), kind)
}

fn bucket(v: Value) -> Result<Policy, PolicyError> {
    parse(v, PolicyKind::BucketPolicy)
}

fn stmt(extra: Value) -> Value {
    let mut s = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    if let (Value::Object(s), Value::Object(e)) = (&mut s, extra) {
        for (k, v) in e {
            if v.is_null() {
                s.remove(&k);
            } else {
                s.insert(k, v);
            }
        }
    }
    s
}

fn err_of(v: Value) -> PolicyError {
    bucket(v).unwrap_err()
}

#[test]
fn statement_as_object_or_list_and_versions() {
    let single = bucket(json!({"Version": "2012-10-17", "Statement": stmt(json!({}))})).unwrap();
    assert!(!single.statement_is_list);
    assert_eq!(single.statements[0].pointer.as_str(), "/Statement");
    let list = bucket(json!({"Id": "x", "Statement": [stmt(json!({})), stmt(json!({}))]})).unwrap();
    assert_eq!(list.version, Version::Absent);
    assert_eq!(list.statements[1].pointer.as_str(), "/Statement/1");
    assert_eq!(
        bucket(json!({"Version": "2008-10-17", "Statement": stmt(json!({}))}))
            .unwrap()
            .version,
        Version::V2008
    );
}

#[test]
fn rejects_bad_top_level() {
    assert!(
        err_of(json!({"Version": "2012-10-18", "Statement": []}))
            .problem
            .contains("unknown version")
    );
    assert!(err_of(json!({"Statement": []})).problem.contains("empty"));
    assert!(
        err_of(json!({"Version": "2012-10-17"}))
            .problem
            .contains("no Statement")
    );
    let e = err_of(json!({"Statements": []}));
    assert!(e.problem.contains("unknown policy element"), "{e}");
    let e = err_of(json!({"statement": []}));
    assert!(e.problem.contains("did you mean Statement"), "{e}");
    assert!(bucket(json!([])).is_err());
    assert!(
        err_of(json!({"Statement": "x"}))
            .problem
            .contains("object or a list")
    );
    assert!(
        err_of(json!({"Id": 3, "Statement": stmt(json!({}))}))
            .problem
            .contains("Id")
    );
}

#[test]
fn effect_must_be_exact() {
    for bad in [json!("allow"), json!("ALLOW"), json!("Permit"), json!(true)] {
        let e = err_of(json!({"Statement": [stmt(json!({"Effect": bad}))]}));
        assert_eq!(e.pointer.as_str(), "/Statement/0/Effect");
        assert_eq!(e.expected.as_deref(), Some("exactly \"Allow\" or \"Deny\""));
    }
    assert!(
        err_of(json!({"Statement": [stmt(json!({"Effect": null}))]}))
            .problem
            .contains("no Effect")
    );
}

#[test]
fn unknown_statement_elements_are_rejected() {
    let e = err_of(json!({"Statement": [stmt(json!({"Conditions": {}}))]}));
    assert!(
        e.problem
            .contains("unknown statement element \"Conditions\""),
        "{e}"
    );
    let e = err_of(json!({"Statement": [stmt(json!({"effect": "Allow"}))]}));
    assert!(e.problem.contains("did you mean Effect"), "{e}");
}

#[test]
fn principal_rules_per_kind() {
    let both = json!({"Statement": [stmt(json!({"NotPrincipal": {"AWS": "111122223333"}}))]});
    assert!(
        err_of(both)
            .problem
            .contains("both Principal and NotPrincipal")
    );
    let none = json!({"Statement": [stmt(json!({"Principal": null}))]});
    for kind in [
        PolicyKind::BucketPolicy,
        PolicyKind::EndpointPolicy,
        PolicyKind::ResourcePolicy,
    ] {
        let e = parse(none.clone(), kind).unwrap_err();
        assert!(e.problem.contains("has no Principal"), "{e}");
    }
    assert!(parse(none, PolicyKind::IdentityPolicy).is_ok());
    let with = json!({"Statement": [stmt(json!({}))]});
    assert!(
        parse(with, PolicyKind::IdentityPolicy)
            .unwrap_err()
            .problem
            .contains("identity policy")
    );
}

#[test]
fn action_and_resource_forms() {
    let p = bucket(json!({"Statement": [stmt(json!({"NotAction": ["s3:Get*", "S3:LIST?ucket"], "Action": null, "NotResource": "*", "Resource": null}))]})).unwrap();
    let st = &p.statements[0];
    assert!(st.action.negated);
    assert_eq!(st.action.patterns.len(), 2);
    assert!(st.resource.as_ref().unwrap().negated);
    for bad in [
        json!("s3"),
        json!("s3:"),
        json!(":Get"),
        json!("s3:Get Object"),
        json!("s3:${aws:x}"),
        json!([]),
    ] {
        let e = err_of(json!({"Statement": [stmt(json!({"Action": bad.clone()}))]}));
        assert!(
            e.pointer.as_str().starts_with("/Statement/0/Action"),
            "{bad}: {e}"
        );
    }
    assert!(
        err_of(json!({"Statement": [stmt(json!({"NotAction": "s3:*"}))]}))
            .problem
            .contains("both Action and NotAction")
    );
    assert!(
        err_of(json!({"Statement": [stmt(json!({"Action": null}))]}))
            .problem
            .contains("neither Action nor NotAction")
    );
    assert!(
        err_of(json!({"Statement": [stmt(json!({"Resource": null}))]}))
            .problem
            .contains("neither Resource nor NotResource")
    );
    for bad in ["bucket", "arn:aws:s3::b", "arn:aws:s3:::<bucket name>/*"] {
        let e = err_of(json!({"Statement": [stmt(json!({"Resource": [bad]}))]}));
        assert_eq!(e.pointer.as_str(), "/Statement/0/Resource/0", "{bad}");
    }
}

#[test]
fn endpoint_policies_are_limited_to_20480_characters() {
    let padding = "x".repeat(20_480);
    let text = json!({"Id": padding, "Statement": [stmt(json!({}))]}).to_string();
    let e = Policy::parse(&text, PolicyKind::EndpointPolicy).unwrap_err();
    assert!(e.problem.contains("characters long"), "{e}");
    assert!(Policy::parse(&text, PolicyKind::ResourcePolicy).is_ok());
}

#[test]
fn duplicate_members_are_rejected_from_text() {
    let text = r#"{"Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    let e = Policy::parse(text, PolicyKind::BucketPolicy).unwrap_err();
    assert_eq!(e.pointer.as_str(), "/Statement/0");
    assert!(e.problem.contains("duplicate member"));
}

#[test]
fn printing_back_round_trips() {
    let original = json!({
        "Version": "2012-10-17",
        "Id": "p",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ["111122223333", "*"], "Service": "s3.amazonaws.com"},
             "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"s3:max-keys": 10}}},
            {"Effect": "Deny", "NotPrincipal": "*", "NotAction": "s3:*", "NotResource": ["*"], "Condition": {}}
        ]
    });
    let p = bucket(original).unwrap();
    let printed = p.to_json();
    let again = Policy::from_value(&printed, PolicyKind::BucketPolicy).unwrap();
    assert_eq!(again.to_json(), printed);
    assert_eq!(
        printed["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        json!("true")
    );
    assert_eq!(printed["Statement"][1]["NotPrincipal"], json!("*"));
}

#[test]
fn unfilled_placeholders_are_named() {
    let e = err_of(
        json!({"Statement": [stmt(json!({"Principal": {"AWS": "arn:aws:iam::<my-account-id>:root"}}))]}),
    );
    assert!(e.problem.contains("placeholder"), "{e}");
    assert_eq!(e.pointer.as_str(), "/Statement/0/Principal/AWS");
}
