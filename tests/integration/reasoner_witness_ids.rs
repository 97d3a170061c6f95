//! Witnesses are requests AWS could send: on every policy of the shared corpus, attached to a
//! bucket, to an endpoint of unknown service, and (for the endpoint policy examples) to an
//! endpoint of the service the file is written for, and (AWS's RCPs and SCPs) as guardrails,
//! every witness the reasoner prints passes the
//! format checks of `common::witness` (ids in their documented forms, a real action on a
//! resource of its type, derived keys that agree), is in the request model, and is one the
//! evaluator allows.

use crate::common;

use perimeter_guard::iam::reasoner::{self, Attachment, Guardrail, GuardrailKind, ReasonerVerdict};
use perimeter_guard::iam::{Outcome, Policy, PolicyKind, evaluate};

/// `ecr.api_endpoint_policy.json` is written for `com.amazonaws.<region>.ecr.api`.
fn endpoint_service(file_name: &str) -> Option<String> {
    let stem = file_name.rsplit('/').next()?;
    let stem = stem.strip_prefix("vpce__").unwrap_or(stem);
    let service = stem.strip_suffix("_endpoint_policy.json")?;
    (service != "default").then(|| format!("com.amazonaws.us-east-1.{service}"))
}

fn instantiate(text: &str) -> String {
    common::corpus::fill_guardrail_placeholders(text)
}

#[test]
fn corpus_witnesses_are_requests_aws_could_send() {
    let perimeter = perimeter_guard::perimeter::load_perimeters(
        &common::admission::example_perimeter(),
        "manifests/examples/dataperimeter.yaml",
    )
    .expect("the example perimeter")[0]
        .to_perimeter();
    let dir = common::corpus_root().join("policies");
    let mut witnesses = 0;
    let mut per_service = 0;
    let mut guardrails = 0;
    let mut failures = Vec::new();
    for rel in common::files_below(&dir, "json") {
        let name = rel.to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(dir.join(&rel)) else {
            continue;
        };
        let mut attachments = vec![
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
                    service: None,
                },
            ),
        ];
        if let Some(service) = endpoint_service(&name) {
            attachments.push((
                PolicyKind::EndpointPolicy,
                Attachment::Endpoint {
                    id: Some("vpce-1a2b3c4d".into()),
                    vpc: None,
                    service: perimeter_guard::iam::services::endpoint_service_prefix(&service)
                        .map(str::to_owned),
                },
            ));
        }
        // AWS's RCPs and SCPs, as the guardrails they are (an RCP has a Principal, an SCP none).
        for (folder, kind, guardrail) in [
            (
                "resource_control_policies/",
                PolicyKind::ResourcePolicy,
                GuardrailKind::Rcp,
            ),
            (
                "service_control_policies/",
                PolicyKind::IdentityPolicy,
                GuardrailKind::Scp,
            ),
        ] {
            if name.contains(folder)
                && let Ok(policy) = Policy::parse(&instantiate(&text), kind)
            {
                attachments.push((
                    kind,
                    Attachment::Guardrail(Guardrail::of(guardrail, &policy)),
                ));
            }
        }
        for (kind, attachment) in attachments {
            let text = match &attachment {
                Attachment::Guardrail(_) => instantiate(&text),
                _ => text.clone(),
            };
            let Ok(policy) = Policy::parse(&text, kind) else {
                continue;
            };
            let own = match &attachment {
                Attachment::Bucket { name } => name.as_deref(),
                Attachment::Endpoint { .. } | Attachment::Door(_) | Attachment::Guardrail(_) => {
                    None
                }
            };
            for verdict in reasoner::analyze(&policy, &attachment, &perimeter) {
                let w = match verdict.verdict {
                    ReasonerVerdict::Violates(w) => w,
                    ReasonerVerdict::Undecided(why) => {
                        failures.push(format!("{name} ({attachment:?}): undecided: {why}"));
                        continue;
                    }
                    ReasonerVerdict::Complies => continue,
                };
                witnesses += 1;
                if matches!(&attachment, Attachment::Guardrail(_)) {
                    guardrails += 1;
                }
                if matches!(
                    &attachment,
                    Attachment::Endpoint {
                        service: Some(_),
                        ..
                    }
                ) {
                    per_service += 1;
                }
                let bad = common::witness::defects(
                    &w.request,
                    own,
                    &reasoner::unlisted_actions(&policy, &attachment),
                );
                if !bad.is_empty() {
                    failures.push(format!(
                        "{name} ({attachment:?}): {} in {}",
                        bad.join(", "),
                        w.line()
                    ));
                }
                if !reasoner::in_model(&w.request, &attachment, &perimeter) {
                    failures.push(format!("{name}: outside the model: {}", w.line()));
                }
                let decision = evaluate(&policy, &w.request);
                // A guardrail's witness is one it does not deny (an SCP with Allow statements:
                // one of them allows).
                let scp_allows = matches!(&attachment, Attachment::Guardrail(g) if g.kind == GuardrailKind::Scp)
                    && policy
                        .statements
                        .iter()
                        .any(|s| s.effect == perimeter_guard::iam::policy::Effect::Allow);
                let allowed = match (&attachment, verdict.dimension) {
                    (Attachment::Guardrail(_), _) if !scp_allows => {
                        decision.outcome != Outcome::ExplicitDeny
                    }
                    (_, reasoner::Dimension::Enforce) => decision.outcome != Outcome::ExplicitDeny,
                    _ => decision.outcome == Outcome::Allow,
                };
                if !allowed {
                    failures.push(format!("{name} ({kind:?}): not allowed: {}", w.line()));
                }
                // Pasted into simulate, the witness is decided the same way.
                match common::witness::simulate(&policy, &w.to_json()) {
                    Ok(outcome) if outcome == decision.outcome => {}
                    Ok(outcome) => failures.push(format!(
                        "{name} ({kind:?}): simulate says {outcome:?}: {}",
                        w.line()
                    )),
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
        }
    }
    println!(
        "{witnesses} witnesses checked, {per_service} through a known service's endpoint, {guardrails} of guardrails"
    );
    assert!(witnesses >= 50, "only {witnesses} witnesses");
    assert!(per_service >= 3, "only {per_service} per-service witnesses");
    assert!(guardrails >= 5, "only {guardrails} guardrail witnesses");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_format_checks_see_what_aws_never_sends() {
    let request = perimeter_guard::cli::simulate::request::parse_request(
        "principal: {arn: 'arn:aws:iam::111122223333:role/R', session: s, organization: O-ABC123DEF4}\naction: s3:FreshAction\nresource: {arn: 'arn:aws:s3:::example-bucket/', account: '111122223333'}\ncontext: {aws:SourceVpce: vpce-fresh0, aws:SourceVpc: vpc-1a2b3c4d, aws:userid: '111122223333', aws:SourceVpcArn: 'arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0f0e0d0c'}",
    )
    .expect("request");
    let bad = common::witness::defects(&request, None, &[]);
    for expected in [
        "organization \"O-ABC123DEF4\"",
        "aws:sourcevpce \"vpce-fresh0\"",
        "aws:SourceVpcArn",
        "role session",
        "aws:userid \"111122223333\"",
        "account 111122223333 in two organizations",
        "s3:FreshAction is no s3 action",
    ] {
        assert!(
            bad.iter().any(|b| b.starts_with(expected)),
            "{expected} in {bad:#?}"
        );
    }
    let object_on_bucket = perimeter_guard::cli::simulate::request::parse_request(
        "principal: anonymous\naction: s3:GetObject\nresource: {arn: 'arn:aws:s3:::example-bucket', account: '111122223333'}\ncontext: {aws:userid: anonymous}",
    )
    .expect("request");
    assert_eq!(
        common::witness::defects(&object_on_bucket, None, &[]),
        ["s3:GetObject does not act on arn:aws:s3:::example-bucket"]
    );
}
