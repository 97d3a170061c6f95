//! The request document of `perimeter-guard simulate` (a small YAML or JSON document; see
//! `docs/simulate.md` for its format), and the renderings of the evaluation.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::iam::request::{Caller, ContextValue, Org, Request, Resource, iam_identity, is_derived};
use crate::iam::{Evaluation, Outcome, keys};

/// A request document that does not describe a request, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request {path}: {message}")]
pub struct RequestError {
    pub path: String,
    pub message: String,
}

fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError {
        path: path.to_owned(),
        message: message.into(),
    })
}

/// Parses a request document (YAML, of which JSON is a subset).
pub fn parse_request(text: &str) -> Result<Request, RequestError> {
    let doc: Value = crate::yaml::to_json(text).map_err(|e| RequestError {
        path: "(document)".to_owned(),
        message: format!("not valid YAML or JSON: {e}"),
    })?;
    request_from_value(&doc)
}

pub fn request_from_value(doc: &Value) -> Result<Request, RequestError> {
    let Value::Object(map) = doc else {
        return fail(
            "(document)",
            "must be a mapping with principal, action, resource and context",
        );
    };
    if let Some(k) = map
        .keys()
        .find(|k| !["principal", "action", "resource", "context"].contains(&k.as_str()))
    {
        return fail(
            k,
            "unknown field (expected principal, action, resource, context)",
        );
    }
    let caller = caller(map.get("principal").unwrap_or(&Value::Null))?;
    let action = match map.get("action") {
        Some(Value::String(a)) => a.clone(),
        _ => {
            return fail(
                "action",
                "missing or not a string (expected e.g. s3:GetObject)",
            );
        }
    };
    if !crate::iam::policy::is_concrete_action(&action) {
        return fail(
            "action",
            format!("{action:?} is not service:Action without wildcards"),
        );
    }
    let resource = resource(map.get("resource").unwrap_or(&Value::Null))?;
    let context = context(map.get("context").unwrap_or(&Value::Null))?;
    Ok(Request {
        caller,
        action,
        resource,
        context,
    })
}

fn string(v: &Value, path: &str) -> Result<String, RequestError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => fail(path, "expected a string"),
    }
}

fn strings(v: &Value, path: &str) -> Result<Vec<String>, RequestError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| string(item, &format!("{path}[{i}]")))
            .collect(),
        other => Ok(vec![string(other, path)?]),
    }
}

fn account(v: &Value, path: &str) -> Result<String, RequestError> {
    let a = string(v, path)?;
    if !crate::iam::arn::is_account_id(&a) {
        return fail(
            path,
            format!(
                "{a:?} is not a 12-digit account id (quote it in YAML so leading zeros survive)"
            ),
        );
    }
    Ok(a)
}

fn tags(v: Option<&Value>, path: &str) -> Result<BTreeMap<String, String>, RequestError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Ok((k.to_lowercase(), string(v, &format!("{path}.{k}"))?)))
            .collect(),
        Some(_) => fail(path, "expected a mapping of tag key to value"),
    }
}

fn org(m: &serde_json::Map<String, Value>, path: &str) -> Result<Option<Org>, RequestError> {
    let id = match m.get("organization") {
        None | Some(Value::Null) => None,
        Some(v) => Some(string(v, &format!("{path}.organization"))?),
    };
    let paths = match m.get("orgPaths") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, &format!("{path}.orgPaths"))?,
    };
    match id {
        Some(id) => Ok(Some(Org { id, paths })),
        None if paths.is_empty() => Ok(None),
        None => fail(
            &format!("{path}.orgPaths"),
            "organization paths need an organization",
        ),
    }
}

fn caller(v: &Value) -> Result<Caller, RequestError> {
    const FORMS: &str =
        "expected \"anonymous\", or a mapping with one of arn, service, federated, cloudfrontOai";
    let m = match v {
        Value::String(s) if s == "anonymous" => return Ok(Caller::Anonymous),
        Value::Object(m) => m,
        _ => return fail("principal", FORMS),
    };
    let known = [
        "arn",
        "session",
        "organization",
        "orgPaths",
        "tags",
        "canonicalUser",
        "service",
        "federated",
        "cloudfrontOai",
    ];
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return fail(&format!("principal.{k}"), format!("unknown field; {FORMS}"));
    }
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let single = |kind: &str| -> Result<(), RequestError> {
        match m.keys().find(|k| k.as_str() != kind) {
            Some(k) => fail(
                &format!("principal.{k}"),
                format!("a {kind} principal has no {k}"),
            ),
            None => Ok(()),
        }
    };
    if let Some(s) = get("service") {
        single("service")?;
        return Ok(Caller::Service {
            name: string(s, "principal.service")?.to_ascii_lowercase(),
        });
    }
    if let Some(f) = get("federated") {
        single("federated")?;
        return Ok(Caller::Federated {
            provider: string(f, "principal.federated")?,
        });
    }
    if let Some(o) = get("cloudfrontOai") {
        single("cloudfrontOai")?;
        return Ok(Caller::CloudFrontOai {
            id: string(o, "principal.cloudfrontOai")?,
        });
    }
    let Some(arn) = get("arn") else {
        return fail("principal", FORMS);
    };
    let arn = string(arn, "principal.arn")?;
    let session = get("session")
        .map(|s| string(s, "principal.session"))
        .transpose()?;
    let mut id = iam_identity(&arn, session.as_deref()).map_err(|e| RequestError {
        path: "principal.arn".into(),
        message: e.into(),
    })?;
    id.org = org(m, "principal")?;
    id.tags = tags(get("tags"), "principal.tags")?;
    id.canonical_user = get("canonicalUser")
        .map(|c| string(c, "principal.canonicalUser").map(|c| c.to_ascii_lowercase()))
        .transpose()?;
    Ok(Caller::Iam(id))
}

fn resource(v: &Value) -> Result<Resource, RequestError> {
    let (arn, m) = match v {
        Value::String(a) => (a.clone(), None),
        Value::Object(m) => match m.get("arn") {
            Some(a) => (string(a, "resource.arn")?, Some(m)),
            None => return fail("resource.arn", "missing"),
        },
        _ => {
            return fail(
                "resource",
                "expected an ARN, or a mapping with arn, account, organization, orgPaths, tags",
            );
        }
    };
    // `*` is the resource of an action that acts on none (`s3:ListAllMyBuckets`, Service
    // Authorization Reference: no resource type), as AWS authorizes it.
    if arn != "*" && (crate::iam::arn::split(&arn).is_none() || arn.contains(['*', '?'])) {
        return fail(
            "resource.arn",
            format!("{arn:?} is not a concrete ARN (or * for an action on no resource)"),
        );
    }
    let Some(m) = m else {
        return Ok(Resource {
            arn,
            account: None,
            org: None,
            tags: BTreeMap::new(),
        });
    };
    if let Some(k) = m
        .keys()
        .find(|k| !["arn", "account", "organization", "orgPaths", "tags"].contains(&k.as_str()))
    {
        return fail(
            &format!("resource.{k}"),
            "unknown field (expected arn, account, organization, orgPaths, tags)",
        );
    }
    Ok(Resource {
        arn,
        account: m
            .get("account")
            .filter(|v| !v.is_null())
            .map(|a| account(a, "resource.account"))
            .transpose()?,
        org: org(m, "resource")?,
        tags: tags(m.get("tags"), "resource.tags")?,
    })
}

fn context(v: &Value) -> Result<BTreeMap<String, ContextValue>, RequestError> {
    let m = match v {
        Value::Null => return Ok(BTreeMap::new()),
        Value::Object(m) => m,
        _ => {
            return fail(
                "context",
                "expected a mapping of condition key to value or list of values",
            );
        }
    };
    let mut out = BTreeMap::new();
    for (key, value) in m {
        let path = format!("context.{key}");
        let global = keys::validate(key).map_err(|e| RequestError {
            path: path.clone(),
            message: e.into(),
        })?;
        let lower = key.to_ascii_lowercase();
        if is_derived(&lower) {
            return fail(
                &path,
                "this key is derived from the principal or the resource; set it there (organization, orgPaths, tags, account)",
            );
        }
        if out.contains_key(&lower) {
            return fail(
                &path,
                "the same key is given twice (key names are case-insensitive)",
            );
        }
        let multivalued = global.is_some_and(|g| g.multivalued);
        let value = match value {
            Value::Null => continue,
            Value::Array(_) if global.is_some_and(|g| !g.multivalued) => {
                return fail(&path, "this key is single-valued; give one value");
            }
            Value::Array(_) => ContextValue::Many(strings(value, &path)?),
            other if multivalued => ContextValue::Many(vec![string(other, &path)?]),
            other => ContextValue::One(string(other, &path)?),
        };
        out.insert(lower, value);
    }
    Ok(out)
}

/// The one-line text rendering of a decision.
pub fn render_text(decision: &Evaluation) -> String {
    let mut out = format!(
        "decision: {}\n",
        match decision.outcome {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    );
    if decision.statements.is_empty() {
        out.push_str("decided by: no statement matched (denied unless another policy allows it)\n");
    }
    for s in &decision.statements {
        match &s.sid {
            Some(sid) if !sid.is_empty() => {
                out.push_str(&format!("decided by: statement {sid:?} ({})\n", s.pointer))
            }
            _ => out.push_str(&format!(
                "decided by: statement #{} ({})\n",
                s.index, s.pointer
            )),
        }
    }
    out
}

pub fn render_json(decision: &Evaluation) -> Value {
    serde_json::json!({
        "decision": decision.outcome,
        "statements": decision.statements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::request::{IamKind, Values};

    #[test]
    fn full_request_document() {
        let r = parse_request(
            r#"
principal:
  arn: arn:aws:iam::111122223333:role/Admin
  session: alice
  organization: o-abc123def4
  orgPaths: [o-abc123def4/r-ab12/]
  tags: {Team: red}
action: s3:GetObject
resource:
  arn: arn:aws:s3:::bucket/key
  account: "111122223333"
  organization: o-abc123def4
context:
  aws:SourceVpce: vpce-1a2b3c4d
  aws:SecureTransport: true
  aws:TagKeys: env
"#,
        )
        .unwrap();
        let Caller::Iam(id) = &r.caller else { panic!() };
        assert_eq!(id.kind, IamKind::RoleSession);
        assert_eq!(r.lookup("aws:principaltag/team"), Some(Values::One("red")));
        assert_eq!(r.lookup("aws:securetransport"), Some(Values::One("true")));
        assert!(matches!(r.lookup("aws:tagkeys"), Some(Values::Many(v)) if v == ["env"]));
        assert_eq!(
            r.lookup("aws:resourceorgid"),
            Some(Values::One("o-abc123def4"))
        );
    }

    #[test]
    fn short_forms() {
        let r = parse_request(
            "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::b/k\n",
        )
        .unwrap();
        assert_eq!(r.caller, Caller::Anonymous);
        assert_eq!(r.resource.account, None);
        let s = parse_request(r#"{"principal": {"service": "CloudTrail.amazonaws.com"}, "action": "s3:PutObject", "resource": "arn:aws:s3:::b/k"}"#).unwrap();
        assert_eq!(
            s.caller,
            Caller::Service {
                name: "cloudtrail.amazonaws.com".into()
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                "principal: nobody\naction: s3:GetObject\nresource: arn:aws:s3:::b",
                "principal",
            ),
            (
                "principal: anonymous\naction: s3:Get*\nresource: arn:aws:s3:::b",
                "action",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: bucket",
                "resource.arn",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: {arn: 'arn:aws:s3:::b', account: 12345}",
                "resource.account",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::b\ncontext: {aws:PrincipalOrgID: o-x}",
                "context.aws:PrincipalOrgID",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::b\ncontext: {aws:SourceVpcId: x}",
                "context.aws:SourceVpcId",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::b\ncontext: {aws:SourceVpce: [a, b]}",
                "context.aws:SourceVpce",
            ),
            (
                "principal: {service: s.amazonaws.com, organization: o-x}\naction: s3:GetObject\nresource: arn:aws:s3:::b",
                "principal.organization",
            ),
            (
                "principal: {arn: 'arn:aws:iam::111122223333:role/*'}\naction: s3:GetObject\nresource: arn:aws:s3:::b",
                "principal.arn",
            ),
            (
                "principal: anonymous\naction: s3:GetObject\nresource: arn:aws:s3:::b\nextra: 1",
                "extra",
            ),
            ("principal: [unclosed", "(document)"),
        ];
        for (text, path) in cases {
            let e = parse_request(text).unwrap_err();
            assert_eq!(e.path, path, "{text}: {e}");
        }
    }
}
