//! The parts of an AdmissionReview the webhook reads, borrowed from the body. The object stays raw
//! JSON until it is needed: a decision found in the cache never builds a document tree, and the
//! old object of an UPDATE is read only when a denial depends on it.

use std::borrow::Cow;

use kube::core::admission::Operation;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::BadReview;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    request: Option<ReviewRequest<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReviewRequest<'a> {
    #[serde(borrow)]
    pub uid: Cow<'a, str>,
    #[serde(borrow)]
    pub kind: Kind<'a>,
    #[serde(default, borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub namespace: Option<Cow<'a, str>>,
    pub operation: Operation,
    #[serde(default, borrow)]
    pub user_info: UserInfo<'a>,
    #[serde(default, borrow)]
    pub object: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub old_object: Option<&'a RawValue>,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Deserialize)]
pub(super) struct Kind<'a> {
    #[serde(default, borrow)]
    pub group: Cow<'a, str>,
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
pub(super) struct UserInfo<'a> {
    #[serde(default, borrow)]
    pub username: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub groups: Option<Vec<Cow<'a, str>>>,
}

/// Reads the request out of an `admission.k8s.io/v1` AdmissionReview body.
pub(super) fn parse(body: &[u8]) -> Result<ReviewRequest<'_>, BadReview> {
    // serde reads a struct from a JSON array too; a review is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BadReview("the body is not a JSON object".into()));
    }
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| BadReview(e.to_string()))?;
    if envelope.api_version != "admission.k8s.io/v1" || envelope.kind != "AdmissionReview" {
        return Err(BadReview(format!(
            "apiVersion {:?} and kind {:?}; expected admission.k8s.io/v1 and AdmissionReview",
            envelope.api_version, envelope.kind
        )));
    }
    let request = envelope
        .request
        .ok_or_else(|| BadReview("the review has no request".into()))?;
    for (field, raw) in [
        ("object", request.object),
        ("oldObject", request.old_object),
    ] {
        if let Some(raw) = raw
            && !raw.get().starts_with('{')
        {
            return Err(BadReview(format!("request.{field} is not a JSON object")));
        }
    }
    Ok(request)
}

impl ReviewRequest<'_> {
    pub fn operation_name(&self) -> &'static str {
        match self.operation {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_request_and_leaves_the_object_raw() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
            "uid":"u-1","kind":{"group":"g","version":"v1","kind":"K"},
            "resource":{"group":"g","version":"v1","resource":"ks"},
            "name":"n","namespace":"ns","operation":"UPDATE",
            "userInfo":{"username":"alice","groups":["a","b"]},
            "object":{"kind":"K","metadata":{"name":"n"}},"oldObject":null,"dryRun":true}}"#;
        let r = parse(body).expect("valid");
        assert_eq!(r.uid, "u-1");
        assert_eq!(r.kind.kind, "K");
        assert_eq!(r.namespace.as_deref(), Some("ns"));
        assert_eq!(r.operation_name(), "UPDATE");
        assert_eq!(r.user_info.username.as_deref(), Some("alice"));
        assert_eq!(r.user_info.groups.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            r.object.map(RawValue::get),
            Some(r#"{"kind":"K","metadata":{"name":"n"}}"#)
        );
        assert!(r.old_object.is_none(), "null is no old object");
        assert!(r.dry_run);
    }

    #[test]
    fn refuses_what_is_not_a_v1_review_request() {
        let cases: [(&[u8], &str); 6] = [
            (b" [] ", "not a JSON object"),
            (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#, "expected admission.k8s.io/v1"),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "no request"),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"K"},"operation":"CREATE"}}"#, "missing field `uid`"),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","uid":"v","kind":{"kind":"K"},"operation":"CREATE"}}"#, "duplicate field `uid`"),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"K"},"operation":"CREATE","object":[1]}}"#, "request.object is not a JSON object"),
        ];
        for (body, expected) in cases {
            let error = parse(body).err().expect("an error").0;
            assert!(error.contains(expected), "{error} (expected {expected})");
        }
    }
}
