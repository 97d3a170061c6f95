//! Crossplane classic's structured bucket policy (`BucketPolicyBody`, used by Bucket, BucketPolicy
//! and AccessPoint) rendered to IAM JSON exactly as provider-aws serialises it
//! (`pkg/clients/s3/bucketpolicy.go`), including its surprises:
//!
//! - `principal.allowAnon: true` renders `"Principal": "*"` and ignores every other principal field;
//! - an AWS principal given only as a reference or selector renders `""` (the Bucket controller
//!   never resolves principal references);
//! - two `condition[]` entries with the same `operatorKey` overwrite each other: the last wins.

use serde_json::{Map, Value, json};

/// A structured policy that cannot be rendered, with the object path it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{pointer}: {message}")]
pub struct RenderError {
    pub pointer: String,
    pub message: String,
}

fn err<T>(pointer: &str, message: impl Into<String>) -> Result<T, RenderError> {
    Err(RenderError {
        pointer: pointer.to_owned(),
        message: message.into(),
    })
}

/// The rendered policy, and for each rendered statement the object path it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rendered {
    pub document: Value,
    pub statement_pointers: Vec<String>,
    /// The AWS principals given only as a reference or selector (rendered `""`): the statement
    /// index and the object path of each.
    pub principal_references: Vec<(usize, String)>,
}

/// Renders the structured policy found at `at` (a JSON pointer into the object).
pub fn render(policy: &Value, at: &str) -> Result<Rendered, RenderError> {
    let Value::Object(p) = policy else {
        return err(at, "the structured policy must be an object");
    };
    let mut doc = Map::new();
    let version = match p.get("version") {
        None | Some(Value::Null) => "2012-10-17",
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.as_str(),
        Some(_) => {
            return err(
                &format!("{at}/version"),
                "must be \"2012-10-17\" or \"2008-10-17\"",
            );
        }
    };
    doc.insert("Version".into(), json!(version));
    if let Some(Value::String(id)) = p.get("id")
        && !id.is_empty()
    {
        doc.insert("Id".into(), json!(id));
    }
    let statements = match p.get("statements") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return err(&format!("{at}/statements"), "must be a list"),
    };
    let mut rendered = Vec::with_capacity(statements.len());
    let mut pointers = Vec::with_capacity(statements.len());
    let mut principal_references = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let here = format!("{at}/statements/{i}");
        let mut references = Vec::new();
        rendered.push(statement(st, &here, &mut references)?);
        principal_references.extend(references.into_iter().map(|r| (i, r)));
        pointers.push(here);
    }
    doc.insert("Statement".into(), Value::Array(rendered));
    Ok(Rendered {
        document: Value::Object(doc),
        statement_pointers: pointers,
        principal_references,
    })
}

fn statement(st: &Value, at: &str, references: &mut Vec<String>) -> Result<Value, RenderError> {
    let Value::Object(s) = st else {
        return err(at, "a statement must be an object");
    };
    let mut out = Map::new();
    if let Some(Value::String(sid)) = s.get("sid") {
        out.insert("Sid".into(), json!(sid));
    }
    match s.get("effect") {
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => {
            out.insert("Effect".into(), json!(e));
        }
        _ => return err(&format!("{at}/effect"), "must be Allow or Deny"),
    }
    for (field, key) in [("principal", "Principal"), ("notPrincipal", "NotPrincipal")] {
        if let Some(p) = s.get(field).filter(|p| !p.is_null()) {
            out.insert(
                key.into(),
                principal(p, &format!("{at}/{field}"), references)?,
            );
        }
    }
    for (field, key) in [
        ("action", "Action"),
        ("notAction", "NotAction"),
        ("resource", "Resource"),
        ("notResource", "NotResource"),
    ] {
        if let Some(v) = one_or_list(s.get(field), &format!("{at}/{field}"))? {
            out.insert(key.into(), v);
        }
    }
    if let Some(c) = s.get("condition").filter(|c| !c.is_null()) {
        out.insert(
            "Condition".into(),
            conditions(c, &format!("{at}/condition"))?,
        );
    }
    Ok(Value::Object(out))
}

/// A list of strings: one element renders as a string, more as a list, none is omitted.
fn one_or_list(v: Option<&Value>, at: &str) -> Result<Option<Value>, RenderError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            if items.iter().any(|i| !i.is_string()) {
                return err(at, "must be a list of strings");
            }
            Ok(match items.len() {
                0 => None,
                1 => Some(items[0].clone()),
                _ => Some(Value::Array(items.clone())),
            })
        }
        Some(_) => err(at, "must be a list of strings"),
    }
}

fn principal(p: &Value, at: &str, references: &mut Vec<String>) -> Result<Value, RenderError> {
    let Value::Object(p) = p else {
        return err(at, "must be an object");
    };
    if p.get("allowAnon") == Some(&Value::Bool(true)) {
        return Ok(json!("*"));
    }
    let mut out = Map::new();
    if let Some(v) = one_or_list(p.get("service"), &format!("{at}/service"))? {
        out.insert("Service".into(), v);
    }
    match p.get("federated") {
        Some(Value::String(f)) if !f.is_empty() => {
            out.insert("Federated".into(), json!(f));
        }
        _ => {}
    }
    if let Some(Value::Array(aws)) = p.get("awsPrincipals") {
        let rendered: Vec<Value> = aws
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let first = ["awsAccountId", "iamRoleArn", "iamUserArn"]
                    .iter()
                    .find_map(|k| a.get(*k).and_then(Value::as_str));
                // Only a reference or a selector: the Bucket controller leaves it unresolved.
                if first.is_none() {
                    references.push(format!("{at}/awsPrincipals/{j}"));
                }
                json!(first.unwrap_or(""))
            })
            .collect();
        match rendered.len() {
            0 => {}
            1 => {
                out.insert("AWS".into(), rendered[0].clone());
            }
            _ => {
                out.insert("AWS".into(), Value::Array(rendered));
            }
        }
    }
    Ok(Value::Object(out))
}

/// The rendered policy read as leniently as any resolution of its principal references allows,
/// with its statements' object paths: an Allow grants nothing to a reference (whatever it
/// resolves to, that grant is checked once it is set), a Deny of a reference denies everyone, a
/// Deny of everyone but a reference denies no one. What this reading still violates is violated
/// whatever the references resolve to.
pub fn without_principal_references(
    document: &Value,
    statement_pointers: &[String],
    references: &[(usize, String)],
) -> (Value, Vec<String>) {
    let mut doc = document.clone();
    let mut pointers = Vec::with_capacity(statement_pointers.len());
    let Some(Value::Array(statements)) = doc.get_mut("Statement") else {
        return (doc, statement_pointers.to_vec());
    };
    let mut kept = Vec::with_capacity(statements.len());
    for (i, mut st) in std::mem::take(statements).into_iter().enumerate() {
        if references.iter().any(|(s, _)| *s == i) && !lenient_statement(&mut st) {
            continue;
        }
        kept.push(st);
        pointers.extend(statement_pointers.get(i).cloned());
    }
    *statements = kept;
    (doc, pointers)
}

/// Drops the unresolved (`""`) AWS principals of one statement; false when the statement then
/// grants or denies nothing.
fn lenient_statement(st: &mut Value) -> bool {
    let allow = st.get("Effect").and_then(Value::as_str) == Some("Allow");
    for key in ["Principal", "NotPrincipal"] {
        let Some(Value::Object(p)) = st.get_mut(key) else {
            continue;
        };
        match p.get_mut("AWS") {
            Some(Value::String(a)) if a.is_empty() => {
                p.remove("AWS");
            }
            Some(Value::Array(items)) => {
                items.retain(|v| v.as_str() != Some(""));
                match items.len() {
                    0 => {
                        p.remove("AWS");
                    }
                    1 => {
                        let one = items.remove(0);
                        p.insert("AWS".into(), one);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if !p.is_empty() {
            continue;
        }
        let st = st
            .as_object_mut()
            .expect("a rendered statement is an object");
        st.remove(key);
        match (key, allow) {
            ("Principal", true) | ("NotPrincipal", false) => return false,
            _ => {
                st.insert("Principal".into(), json!("*"));
            }
        }
    }
    true
}

fn conditions(c: &Value, at: &str) -> Result<Value, RenderError> {
    let Value::Array(entries) = c else {
        return err(at, "must be a list");
    };
    let mut out = Map::new();
    for (i, e) in entries.iter().enumerate() {
        let here = format!("{at}/{i}");
        let Some(op) = e.get("operatorKey").and_then(Value::as_str) else {
            return err(&here, "operatorKey is required");
        };
        let Some(Value::Array(pairs)) = e.get("conditions") else {
            return err(
                &format!("{here}/conditions"),
                "is required and must be a list",
            );
        };
        let mut block = Map::new();
        for (j, pair) in pairs.iter().enumerate() {
            let pair_at = format!("{here}/conditions/{j}");
            let Some(key) = pair.get("key").and_then(Value::as_str) else {
                return err(&pair_at, "key is required");
            };
            block.insert(key.to_owned(), condition_value(pair, &pair_at)?);
        }
        // provider-aws builds a map keyed by operatorKey: a later entry replaces an earlier one.
        out.insert(op.to_owned(), Value::Object(block));
    }
    Ok(Value::Object(out))
}

fn condition_value(pair: &Value, at: &str) -> Result<Value, RenderError> {
    if let Some(v) = pair.get("stringValue").filter(|v| !v.is_null()) {
        return Ok(v.clone());
    }
    if let Some(v) = pair.get("booleanValue").filter(|v| !v.is_null()) {
        return Ok(v.clone());
    }
    if let Some(v) = pair.get("numericValue").filter(|v| !v.is_null()) {
        return Ok(v.clone());
    }
    if let Some(v) = pair.get("dateValue").filter(|v| !v.is_null()) {
        let Some(text) = v.as_str() else {
            return err(&format!("{at}/dateValue"), "must be a date-time string");
        };
        let Some(t) = crate::iam::condition::parse_rfc3339(text) else {
            return err(
                &format!("{at}/dateValue"),
                format!("{text:?} is not an RFC 3339 date-time"),
            );
        };
        // Go's layout "2006-01-02T15:04:05-0700", in the offset written.
        let (d, offset) = (t.datetime, t.offset_seconds);
        return Ok(json!(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}{:02}",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second() + i8::from(t.leap_second),
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 3600,
            offset.abs() % 3600 / 60
        )));
    }
    if let Some(v) = pair.get("listValue").filter(|v| !v.is_null()) {
        return Ok(v.clone());
    }
    err(
        at,
        "the condition has no value (stringValue, booleanValue, numericValue, dateValue or listValue)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: Value) -> Value {
        render(&v, "/spec/forProvider/policy")
            .unwrap_or_else(|e| panic!("{e}"))
            .document
    }

    #[test]
    fn full_statement_renders_like_the_provider() {
        let v = r(json!({
            "version": "2012-10-17",
            "id": "p1",
            "statements": [{
                "sid": "Read",
                "effect": "Allow",
                "principal": {"awsPrincipals": [{"awsAccountId": "111122223333"}, {"iamRoleArn": "arn:aws:iam::111122223333:role/r"}], "service": ["s3.amazonaws.com"], "federated": "cognito-identity.amazonaws.com"},
                "action": ["s3:GetObject"],
                "resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
                "condition": [
                    {"operatorKey": "StringEquals", "conditions": [{"key": "aws:PrincipalOrgID", "stringValue": "o-abc123def4"}, {"key": "s3:x", "listValue": ["a", "b"]}]},
                    {"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport", "booleanValue": true}]},
                    {"operatorKey": "NumericLessThan", "conditions": [{"key": "s3:max-keys", "numericValue": 10}]},
                    {"operatorKey": "DateLessThan", "conditions": [{"key": "aws:CurrentTime", "dateValue": "2026-01-31T12:00:00Z"}]}
                ]
            }]
        }));
        assert_eq!(
            v,
            json!({
                "Version": "2012-10-17",
                "Id": "p1",
                "Statement": [{
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:role/r"], "Service": "s3.amazonaws.com", "Federated": "cognito-identity.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": "o-abc123def4", "s3:x": ["a", "b"]},
                        "Bool": {"aws:SecureTransport": true},
                        "NumericLessThan": {"s3:max-keys": 10},
                        "DateLessThan": {"aws:CurrentTime": "2026-01-31T12:00:00+0000"}
                    }
                }]
            })
        );
    }

    #[test]
    fn date_values_render_in_go_layout_in_their_own_offset() {
        let date = |d: &str| {
            render(
                &json!({"statements": [{"effect": "Allow", "principal": {"allowAnon": true},
                    "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"],
                    "condition": [{"operatorKey": "DateLessThan",
                        "conditions": [{"key": "aws:CurrentTime", "dateValue": d}]}]}]}),
                "/spec/forProvider/policy",
            )
            .map(|r| {
                r.document["Statement"][0]["Condition"]["DateLessThan"]["aws:CurrentTime"].clone()
            })
        };
        for (written, rendered) in [
            ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00+0000"),
            ("2026-01-31t07:00:00.5-05:00", "2026-01-31T07:00:00-0500"),
            ("2026-01-31 12:00:00-00:00", "2026-01-31T12:00:00+0000"),
            ("2026-01-31T12:00:00+05:45", "2026-01-31T12:00:00+0545"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60+0000"),
            (
                "0001-01-01T00:00:00\u{2212}23:59",
                "0001-01-01T00:00:00-2359",
            ),
        ] {
            assert_eq!(
                date(written).unwrap_or_else(|e| panic!("{e}")),
                json!(rendered),
                "{written}"
            );
        }
        for refused in [
            "2026-01-31T12:00:00+0500",
            "2026-01-31",
            "2026-01-31T12:00:00",
        ] {
            assert!(date(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn allow_anon_overrides_every_other_principal_field() {
        let v = r(
            json!({"statements": [{"effect": "Allow", "principal": {"allowAnon": true, "awsPrincipals": [{"awsAccountId": "111122223333"}]}, "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]}]}),
        );
        assert_eq!(v["Statement"][0]["Principal"], json!("*"));
        assert_eq!(
            v["Version"],
            json!("2012-10-17"),
            "the schema's default version"
        );
    }

    #[test]
    fn same_operator_twice_keeps_only_the_last() {
        let v = r(
            json!({"version": "2012-10-17", "statements": [{"effect": "Allow", "principal": {"allowAnon": true},
            "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"],
            "condition": [
                {"operatorKey": "StringEquals", "conditions": [{"key": "aws:PrincipalOrgID", "stringValue": "o-abc123def4"}]},
                {"operatorKey": "StringEquals", "conditions": [{"key": "s3:prefix", "stringValue": "home/"}]}
            ]}]}),
        );
        assert_eq!(
            v["Statement"][0]["Condition"],
            json!({"StringEquals": {"s3:prefix": "home/"}})
        );
    }

    #[test]
    fn unresolved_principal_references_render_empty() {
        let v = r(
            json!({"version": "2012-10-17", "statements": [{"effect": "Allow",
            "principal": {"awsPrincipals": [{"iamRoleArnSelector": {"matchLabels": {"a": "b"}}}]},
            "action": ["s3:ListBucket"], "resource": ["arn:aws:s3:::b"]}]}),
        );
        assert_eq!(v["Statement"][0]["Principal"], json!({"AWS": ""}));
    }

    #[test]
    fn principal_references_are_read_leniently() {
        let policy = json!({"statements": [
            {"effect": "Allow", "principal": {"awsPrincipals": [{"iamUserArnRef": {"name": "u"}}]},
             "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]},
            {"effect": "Allow", "principal": {"awsPrincipals": [{"iamRoleArnSelector": {}}, {"awsAccountId": "444455556666"}]},
             "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]},
            {"effect": "Deny", "principal": {"awsPrincipals": [{"iamRoleArnRef": {"name": "r"}}]},
             "action": ["s3:*"], "resource": ["arn:aws:s3:::b/*"]},
            {"effect": "Deny", "notPrincipal": {"awsPrincipals": [{"iamRoleArnRef": {"name": "r"}}]},
             "action": ["s3:*"], "resource": ["arn:aws:s3:::b/*"]},
            {"effect": "Allow", "principal": {"awsPrincipals": [{"awsAccountId": "111122223333"}]},
             "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]}]});
        let r = render(&policy, "/p").unwrap();
        assert_eq!(
            r.principal_references,
            [
                (0, "/p/statements/0/principal/awsPrincipals/0".to_owned()),
                (1, "/p/statements/1/principal/awsPrincipals/0".to_owned()),
                (2, "/p/statements/2/principal/awsPrincipals/0".to_owned()),
                (3, "/p/statements/3/notPrincipal/awsPrincipals/0".to_owned()),
            ]
        );
        let (doc, pointers) = without_principal_references(
            &r.document,
            &r.statement_pointers,
            &r.principal_references,
        );
        let principals: Vec<&Value> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["Principal"])
            .collect();
        assert_eq!(
            principals,
            [
                &json!({"AWS": "444455556666"}),
                &json!("*"),
                &json!({"AWS": "111122223333"})
            ]
        );
        assert_eq!(
            pointers,
            ["/p/statements/1", "/p/statements/2", "/p/statements/4"]
        );
    }

    #[test]
    fn account_wildcard_renders_public_and_first_field_wins() {
        let v = r(
            json!({"version": "2012-10-17", "statements": [{"effect": "Deny",
            "notPrincipal": {"awsPrincipals": [{"awsAccountId": "*", "iamUserArn": "arn:aws:iam::1:user/u"}]},
            "notAction": ["s3:GetObject", "s3:PutObject"], "notResource": ["arn:aws:s3:::b"], "condition": []}]}),
        );
        let st = &v["Statement"][0];
        assert_eq!(st["NotPrincipal"], json!({"AWS": "*"}));
        assert_eq!(st["NotAction"], json!(["s3:GetObject", "s3:PutObject"]));
        assert_eq!(st["NotResource"], json!("arn:aws:s3:::b"));
        assert_eq!(st["Condition"], json!({}));
        assert!(st.get("Sid").is_none());
    }

    #[test]
    fn empty_lists_are_omitted() {
        let v = r(
            json!({"version": "2008-10-17", "id": "", "statements": [{"effect": "Allow", "principal": {"service": []}, "action": [], "resource": ["*"]}]}),
        );
        assert_eq!(
            v,
            json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": {}, "Resource": "*"}]})
        );
    }

    #[test]
    fn errors_name_the_object_path() {
        let cases = [
            (
                json!({"statements": [{"effect": "allow"}]}),
                "/spec/forProvider/policy/statements/0/effect",
            ),
            (
                json!({"statements": [{"effect": "Allow", "condition": [{"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport"}]}]}]}),
                "/spec/forProvider/policy/statements/0/condition/0/conditions/0",
            ),
            (
                json!({"statements": [{"effect": "Allow", "condition": [{"conditions": []}]}]}),
                "/spec/forProvider/policy/statements/0/condition/0",
            ),
            (
                json!({"version": "2020-01-01"}),
                "/spec/forProvider/policy/version",
            ),
            (
                json!({"statements": [{"effect": "Allow", "action": "s3:*"}]}),
                "/spec/forProvider/policy/statements/0/action",
            ),
            (json!("text"), "/spec/forProvider/policy"),
        ];
        for (v, pointer) in cases {
            let e = render(&v, "/spec/forProvider/policy").unwrap_err();
            assert_eq!(e.pointer, pointer, "{v}: {e}");
        }
    }

    #[test]
    fn statement_pointers_map_back_into_the_object() {
        let out = render(
            &json!({"statements": [{"effect": "Allow"}, {"effect": "Deny"}]}),
            "/spec/forProvider/policy",
        )
        .unwrap();
        assert_eq!(
            out.statement_pointers,
            [
                "/spec/forProvider/policy/statements/0",
                "/spec/forProvider/policy/statements/1"
            ]
        );
    }
}
