use serde_json::json;

use super::*;
use crate::iam::request::Caller;
use crate::iam::testing::*;

fn allow_org_read() -> serde_json::Value {
    json!({"Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::bucket/*",
           "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}})
}

#[test]
fn allow_needs_every_part_to_match() {
    let p = bucket_policy(json!({"Version": "2012-10-17", "Statement": [allow_org_read()]}));
    let d = evaluate(&p, &request(org_session()));
    assert_eq!(d.outcome, Outcome::Allow);
    assert_eq!(d.statements[0].sid.as_deref(), Some("OrgRead"));
    assert_eq!(d.statements[0].pointer, "/Statement/0");
    assert_eq!(
        evaluate(&p, &request(outsider())).outcome,
        Outcome::ImplicitDeny
    );
    assert_eq!(
        evaluate(&p, &request(Caller::Anonymous)).outcome,
        Outcome::ImplicitDeny
    );
    let mut put = request(org_session());
    put.action = "s3:PutObject".into();
    assert_eq!(evaluate(&p, &put).outcome, Outcome::ImplicitDeny);
    let mut other = request(org_session());
    other.resource.arn = "arn:aws:s3:::other/key".into();
    assert_eq!(evaluate(&p, &other).outcome, Outcome::ImplicitDeny);
}

#[test]
fn deny_overrides_allow_and_lists_the_deny() {
    let p = bucket_policy(json!({"Version": "2012-10-17", "Statement": [
        allow_org_read(),
        {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]}));
    let plain = with(request(org_session()), "aws:SecureTransport", "false");
    let d = evaluate(&p, &plain);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert_eq!(d.statements.len(), 1);
    assert_eq!(d.statements[0].sid.as_deref(), Some("TLS"));
    let tls = with(request(org_session()), "aws:SecureTransport", "true");
    assert_eq!(evaluate(&p, &tls).outcome, Outcome::Allow);
}

#[test]
fn actions_are_case_insensitive_with_wildcards() {
    let p = bucket_policy(
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "S3:get*", "Resource": "*"}]}),
    );
    let mut r = request(Caller::Anonymous);
    r.action = "s3:GetObject".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::Allow);
    r.action = "S3:GETOBJECTACL".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::Allow);
    r.action = "s3:PutObject".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::ImplicitDeny);
}

#[test]
fn not_action_and_not_resource_grant_everything_else() {
    let p = bucket_policy(json!({"Statement": [{"Effect": "Allow", "Principal": "*",
        "NotAction": "s3:DeleteObject", "NotResource": "arn:aws:s3:::secret/*"}]}));
    let mut r = request(Caller::Anonymous);
    r.action = "ec2:RunInstances".into();
    assert_eq!(
        evaluate(&p, &r).outcome,
        Outcome::Allow,
        "NotAction + Allow covers every other service"
    );
    r.resource.arn = "arn:aws:s3:::secret/x".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::ImplicitDeny);
    r.resource.arn = "arn:aws:s3:::bucket/x".into();
    r.action = "s3:DeleteObject".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::ImplicitDeny);
}

#[test]
fn not_principal_with_allow_lets_anonymous_in() {
    let p = bucket_policy(json!({"Statement": [{"Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:*", "Resource": "*"}]}));
    assert_eq!(
        evaluate(&p, &request(Caller::Anonymous)).outcome,
        Outcome::Allow
    );
    let root = Caller::Iam(
        crate::iam::request::iam_identity("arn:aws:iam::444455556666:root", None).unwrap(),
    );
    assert_eq!(evaluate(&p, &request(root)).outcome, Outcome::ImplicitDeny);
    // A role session in that account is a different identity and is not excluded.
    assert_eq!(evaluate(&p, &request(outsider())).outcome, Outcome::Allow);
}

#[test]
fn resource_variables_and_missing_values() {
    let p = bucket_policy(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "111122223333"}, "Action": "s3:*",
        "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*"}]}),
    );
    let user = Caller::Iam(
        crate::iam::request::iam_identity("arn:aws:iam::111122223333:user/alice", None).unwrap(),
    );
    let mut r = request(user);
    r.resource.arn = "arn:aws:s3:::bucket/home/alice/notes".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::Allow);
    r.resource.arn = "arn:aws:s3:::bucket/home/bob/notes".into();
    assert_eq!(evaluate(&p, &r).outcome, Outcome::ImplicitDeny);
    // A role session has no aws:username: the resource pattern matches nothing.
    let mut s = request(org_session());
    s.resource.arn = "arn:aws:s3:::bucket/home/${aws:username}/notes".into();
    assert_eq!(evaluate(&p, &s).outcome, Outcome::ImplicitDeny);
}

#[test]
fn no_matching_statement_is_an_implicit_deny_with_no_statements() {
    let p = bucket_policy(
        json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}}),
    );
    let d = evaluate(&p, &request(org_session()));
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    assert!(d.statements.is_empty());
}

#[test]
fn every_condition_must_hold() {
    let p = bucket_policy(
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:SourceVpce": "vpce-1a2b3c4d"},
                      "Bool": {"aws:SecureTransport": "true"}}}]}),
    );
    let base = with(request(org_session()), "aws:SourceVpce", "vpce-1a2b3c4d");
    assert_eq!(evaluate(&p, &base).outcome, Outcome::ImplicitDeny);
    let full = with(base, "aws:SecureTransport", "true");
    assert_eq!(evaluate(&p, &full).outcome, Outcome::Allow);
}
