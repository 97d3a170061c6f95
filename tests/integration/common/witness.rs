//! What makes a witness a request AWS could send, checked part by part against each value's
//! documented form: the property every witness the reasoner prints must have.

use perimeter_guard::iam::arn::{self, is_account_id, is_ec2_id, is_org_id};
use perimeter_guard::iam::request::{Caller, ContextValue, IamKind, Request, Values};
use perimeter_guard::iam::services;
use perimeter_guard::iam::userid;
use serde_json::{Value, json};

fn values(request: &Request, key: &str) -> Vec<String> {
    match request.lookup(key) {
        Some(Values::One(v)) => vec![v.to_owned()],
        Some(Values::Many(vs)) => vs.to_vec(),
        None => Vec::new(),
    }
}

/// Everything in the request that AWS would never send, one line each; empty when the request
/// is real. `own_bucket`: the bucket policy's bucket, taken by the name it is given. `unlisted`:
/// actions the policy names that the tables lack (`reasoner::unlisted_actions`), which may be
/// newer than the tables and stand for themselves.
pub fn defects(request: &Request, own_bucket: Option<&str>, unlisted: &[String]) -> Vec<String> {
    let mut bad = Vec::new();
    // Organizations: `o-` and 10 to 32 of [a-z0-9]; OU paths start with their organization.
    let caller_org = match &request.caller {
        Caller::Iam(i) => i.org.as_ref(),
        _ => None,
    };
    for org in caller_org.into_iter().chain(request.resource.org.as_ref()) {
        if !is_org_id(&org.id) {
            bad.push(format!("organization {:?}", org.id));
        }
        for p in &org.paths {
            if !p.starts_with(&format!("{}/", org.id)) {
                bad.push(format!("OU path {p:?} outside {}", org.id));
            }
        }
    }
    // EC2 ids: the prefix and 8 or 17 lower-case hexadecimal digits.
    for (key, prefix) in [("aws:sourcevpce", "vpce-"), ("aws:sourcevpc", "vpc-")] {
        for v in values(request, key) {
            if !is_ec2_id(&v, prefix) {
                bad.push(format!("{key} {v:?}"));
            }
        }
    }
    // The owners of an endpoint and of a service principal's source: an account id, the
    // organization id it is in, OU paths in that organization.
    for (account_key, org_key, paths_key) in [
        ("aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths"),
        ("aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"),
    ] {
        for v in values(request, account_key) {
            if !is_account_id(&v) {
                bad.push(format!("{account_key} {v:?}"));
            }
        }
        let org = values(request, org_key);
        for v in &org {
            if !is_org_id(v) {
                bad.push(format!("{org_key} {v:?}"));
            }
        }
        for p in values(request, paths_key) {
            if !org.iter().any(|o| p.starts_with(&format!("{o}/"))) {
                bad.push(format!("{paths_key} {p:?} outside {org_key} {org:?}"));
            }
        }
    }
    // aws:SourceVpcArn names the VPC of aws:SourceVpc.
    for v in values(request, "aws:sourcevpcarn") {
        let vpc = values(request, "aws:sourcevpc");
        let named = arn::split(&v).and_then(|p| p[5].strip_prefix("vpc/").map(str::to_owned));
        if named.is_none() || vpc.first() != named.as_ref() {
            bad.push(format!("aws:SourceVpcArn {v:?} with aws:SourceVpc {vpc:?}"));
        }
    }
    // The caller: its account, its session name, its aws:userid.
    if let Caller::Iam(i) = &request.caller {
        if !is_account_id(&i.account) {
            bad.push(format!("principal account {:?}", i.account));
        }
        if i.kind == IamKind::RoleSession
            && !userid::session_name(i).is_some_and(userid::is_session_name)
        {
            bad.push(format!("role session {:?}", i.session_arn));
        }
    }
    match values(request, "aws:userid").as_slice() {
        [] => bad.push("no aws:userid".to_owned()),
        [one] if !userid::follows(&request.caller, one) => {
            bad.push(format!("aws:userid {one:?} for {:?}", request.caller))
        }
        [_] => {}
        many => bad.push(format!("aws:userid {many:?}")),
    }
    if let Some(owner) = &request.resource.account
        && !is_account_id(owner)
    {
        bad.push(format!("resource account {owner:?}"));
    }
    // An account in one organization: the same on both sides of the request.
    if let (Caller::Iam(i), Some(owner)) = (&request.caller, &request.resource.account)
        && i.account == *owner
        && i.org != request.resource.org
    {
        bad.push(format!("account {owner} in two organizations"));
    }
    // The action: a real one of a service with a table, on a resource of a type it acts on.
    let own = |a: &str| -> String {
        match own_bucket {
            Some(n) => match a
                .strip_prefix("arn:aws:s3:::")
                .and_then(|r| r.strip_prefix(n))
            {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    format!("arn:aws:s3:::example-bucket{rest}")
                }
                _ => a.to_owned(),
            },
            None => a.to_owned(),
        }
    };
    let prefix = request.action.split_once(':').map(|(p, _)| p);
    match prefix.and_then(services::service) {
        None => {} // a service without a table: the generic model
        Some(table) => match services::qualified_action(&request.action) {
            None if unlisted
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&request.action)) => {}
            None => bad.push(format!("{} is no {} action", request.action, table.prefix)),
            Some((table, action)) => {
                let arn = own(&request.resource.arn);
                let fits = if action.resource_types.is_empty() {
                    arn == "*"
                } else {
                    action.resource_types.iter().any(|r| {
                        table
                            .resource_type(&r.name)
                            .is_some_and(|t| services::arn_fits(&t.arn_format, &arn))
                    })
                };
                if !fits {
                    bad.push(format!(
                        "{} does not act on {}",
                        request.action, request.resource.arn
                    ));
                }
            }
        },
    }
    // Anonymous requests: Amazon S3, SQS and SNS only ("Principal key values").
    if matches!(request.caller, Caller::Anonymous)
        && prefix.is_some_and(|p| {
            services::service(p).is_some()
                && !matches!(p.to_ascii_lowercase().as_str(), "s3" | "sqs" | "sns")
        })
    {
        bad.push(format!("an anonymous {}", request.action));
    }
    if let Some(ContextValue::One(v)) = request.context.get("s3:resourceaccount") {
        bad.push(format!(
            "s3:ResourceAccount {v:?} set apart from the resource"
        ));
    }
    bad
}

/// The `simulate` request document for a witness of `analyze --output json`.
pub fn request_document(w: &Value) -> Value {
    let p = &w["principal"];
    let principal = match p["kind"].as_str().expect("kind") {
        "anonymous" => json!("anonymous"),
        "service" => json!({"service": p["service"]}),
        "root" | "user" | "role-session" | "federated-user" => {
            let mut principal = json!({
                "arn": p["arn"],
                "organization": p["organization"],
                "orgPaths": p["orgPaths"],
                "tags": p["tags"],
            });
            if let Some(canonical) = p["canonicalUser"].as_str() {
                principal["canonicalUser"] = json!(canonical);
            }
            if let Some(session) = p["session"].as_str() {
                principal["session"] = json!(session.rsplit('/').next().expect("session name"));
            }
            principal
        }
        "federated" => json!({"federated": p["provider"]}),
        "cloudfront-oai" => json!({"cloudfrontOai": p["id"]}),
        other => panic!("no simulate form for a {other} witness"),
    };
    let context: serde_json::Map<String, Value> = w["context"]
        .as_object()
        .expect("context")
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "principal": principal,
        "action": w["action"],
        "resource": w["resource"],
        "context": context,
    })
}

/// What `simulate` decides for a witness pasted as its request document: the JSON witness, turned
/// into the document `docs/simulate.md` describes, read by simulate's own parser and evaluated.
pub fn simulate(
    policy: &perimeter_guard::iam::Policy,
    witness: &Value,
) -> Result<perimeter_guard::iam::Outcome, String> {
    let doc = request_document(witness);
    let request = perimeter_guard::cli::simulate::request::request_from_value(&doc)
        .map_err(|e| format!("simulate refuses the witness: {e}\n{doc:#}"))?;
    Ok(perimeter_guard::iam::evaluate(policy, &request).outcome)
}
