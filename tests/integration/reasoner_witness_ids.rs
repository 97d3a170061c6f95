//! Witnesses are requests AWS could send: on every policy of the shared corpus, every witness the
//! reasoner prints names only well-formed organization ids (`o-` and 10 to 32 of `[a-z0-9]`, AWS
//! Organizations API Reference, "Organization") and VPC and endpoint ids (`vpc-`/`vpce-` and 8 or
//! 17 lower-case hexadecimal digits, Amazon EC2 API Reference, "Vpc" and "VpcEndpoint"), and is
//! one the evaluator allows.

use crate::common;

use perimeter_guard::iam::arn::{is_ec2_id, is_org_id};
use perimeter_guard::iam::reasoner::{self, Attachment, ReasonerVerdict};
use perimeter_guard::iam::request::{Caller, ContextValue};
use perimeter_guard::iam::{Outcome, Policy, PolicyKind, evaluate};

/// Every id a witness names that has a documented form, with what is wrong with it.
fn malformed_ids(request: &perimeter_guard::iam::Request) -> Vec<String> {
    let mut bad = Vec::new();
    let caller_org = match &request.caller {
        Caller::Iam(i) => i.org.as_ref(),
        _ => None,
    };
    for org in caller_org.into_iter().chain(request.resource.org.as_ref()) {
        if !is_org_id(&org.id) {
            bad.push(format!("organization {:?}", org.id));
        }
    }
    for (key, prefix) in [("aws:sourcevpce", "vpce-"), ("aws:sourcevpc", "vpc-")] {
        let values = match request.context.get(key) {
            Some(ContextValue::One(v)) => vec![v.clone()],
            Some(ContextValue::Many(vs)) => vs.clone(),
            None => Vec::new(),
        };
        for v in values.iter().filter(|v| !is_ec2_id(v, prefix)) {
            bad.push(format!("{key} {v:?}"));
        }
    }
    bad
}

#[test]
fn corpus_witnesses_name_only_well_formed_ids() {
    let perimeter = perimeter_guard::perimeter::load_perimeters(
        &common::admission::example_perimeter(),
        "manifests/examples/dataperimeter.yaml",
    )
    .expect("the example perimeter")[0]
        .to_perimeter();
    let dir = common::corpus_root().join("policies");
    let mut witnesses = 0;
    let mut failures = Vec::new();
    for rel in common::files_below(&dir, "json") {
        let name = rel.to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(dir.join(&rel)) else {
            continue;
        };
        for (kind, attachment) in [
            (
                PolicyKind::BucketPolicy,
                Attachment::Bucket {
                    name: Some("example-bucket".into()),
                },
            ),
            (
                PolicyKind::EndpointPolicy,
                Attachment::Endpoint {
                    id: None,
                    vpc: None,
                },
            ),
        ] {
            let Ok(policy) = Policy::parse(&text, kind) else {
                continue;
            };
            for verdict in reasoner::analyze(&policy, &attachment, &perimeter) {
                let ReasonerVerdict::Violates(w) = verdict.verdict else {
                    continue;
                };
                witnesses += 1;
                let bad = malformed_ids(&w.request);
                if !bad.is_empty() {
                    failures.push(format!(
                        "{name} ({kind:?}): {} in {}",
                        bad.join(", "),
                        w.line()
                    ));
                }
                let decision = evaluate(&policy, &w.request);
                if matches!(verdict.dimension, reasoner::Dimension::Enforce) {
                    continue;
                }
                if decision.outcome != Outcome::Allow {
                    failures.push(format!("{name} ({kind:?}): not allowed: {}", w.line()));
                }
            }
        }
    }
    println!("{witnesses} witnesses checked");
    assert!(witnesses >= 50, "only {witnesses} witnesses");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_id_check_sees_malformed_ids() {
    let mut request = perimeter_guard::cli::simulate::request::parse_request(
        "principal: {arn: 'arn:aws:iam::111122223333:role/R', organization: O-ABC123DEF4}\naction: s3:GetObject\nresource: {arn: 'arn:aws:s3:::b/k', account: '111122223333'}\ncontext: {aws:SourceVpce: vpce-fresh0, aws:SourceVpc: vpc-1a2b3c4d}",
    )
    .expect("request");
    assert_eq!(
        malformed_ids(&request),
        [
            "organization \"O-ABC123DEF4\"",
            "aws:sourcevpce \"vpce-fresh0\""
        ]
    );
    request.context.clear();
    assert_eq!(malformed_ids(&request), ["organization \"O-ABC123DEF4\""]);
}
