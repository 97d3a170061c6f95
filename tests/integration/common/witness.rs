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
    door_defects(request, &mut bad);
    // The action: a real one of a service with a table, on a resource of a type it acts on. A
    // Multi-Region Access Point acts as a bucket and its objects (the tables list no form of its
    // own).
    let own = |a: &str| -> String {
        if let Some(object) = mrap_object(a) {
            return match object {
                Some(key) => format!("arn:aws:s3:::example-bucket/{key}"),
                None => "arn:aws:s3:::example-bucket".to_owned(),
            };
        }
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

/// A Region code: three or more parts of letters and digits, the last a number (`us-east-1`,
/// `us-gov-west-1`).
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Access point names: 3 to 50 of `[a-z0-9-]`, beginning and ending with a letter or digit
/// (Amazon S3 User Guide, "Access points naming rules").
fn is_access_point_name(n: &str) -> bool {
    (3..=50).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !n.starts_with('-')
        && !n.ends_with('-')
}

/// A Multi-Region Access Point alias: `[a-z0-9]+.mrap`.
fn is_mrap_alias(a: &str) -> bool {
    a.strip_suffix(".mrap").is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Directory bucket names: `base--zone-id--x-s3`, 3 to 63 of `[a-z0-9-]` (Amazon S3 User Guide,
/// "Directory bucket naming rules").
fn is_directory_bucket_name(n: &str) -> bool {
    (3..=63).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && n.strip_suffix("--x-s3")
            .and_then(|rest| rest.rsplit_once("--"))
            .is_some_and(|(base, zone)| !base.is_empty() && !zone.is_empty())
}

/// For a Multi-Region Access Point's ARN (`arn:aws:s3::ACCOUNT:accesspoint/ALIAS`), its object
/// key when it names an object.
fn mrap_object(a: &str) -> Option<Option<&str>> {
    let [_, _, "s3", "", _, resource] = arn::split(a)? else {
        return None;
    };
    let rest = resource.strip_prefix("accesspoint/")?;
    match rest.split_once("/object/") {
        Some((alias, key)) if is_mrap_alias(alias) => Some(Some(key)),
        None if is_mrap_alias(rest) => Some(None),
        _ => None,
    }
}

/// An access point's ARN, `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME` or a Multi-Region one's
/// (`arn:aws:s3::ACCOUNT:accesspoint/ALIAS`), as `s3:DataAccessPointArn` holds it: its account.
fn access_point_arn_account(a: &str) -> Option<&str> {
    let [_, partition, "s3", region, account, resource] = arn::split(a)? else {
        return None;
    };
    let name = resource.strip_prefix("accesspoint/")?;
    let named = if region.is_empty() {
        is_mrap_alias(name)
    } else {
        is_region(region) && is_access_point_name(name)
    };
    (!partition.is_empty() && is_account_id(account) && named).then_some(account)
}

/// S3's other doors and the access point keys: the resource ARN of an access point (regional,
/// Multi-Region, Object Lambda) or a directory bucket has its form; a request through an access
/// point carries all three keys (S3 adds them together), each of its form, naming one access
/// point and its owner, `VPC` only through an endpoint, the access point it reaches when it
/// reaches one, a regional one when it reaches a bucket, and only on S3's actions.
fn door_defects(request: &Request, bad: &mut Vec<String>) {
    let resource_arn = request.resource.arn.as_str();
    let mut door_ap: Option<String> = None;
    if let Some([_, partition, service, region, account, resource]) = arn::split(resource_arn) {
        let form_ok = match service {
            "s3" if !account.is_empty() || !region.is_empty() => {
                match resource.strip_prefix("accesspoint/") {
                    // Another S3 resource type (jobs, Storage Lens, ...): the tables' business.
                    None => true,
                    Some(rest) => {
                        let (name, key) = match rest.split_once("/object/") {
                            Some((n, k)) => (n, Some(k)),
                            None => (rest, None),
                        };
                        door_ap = Some(format!(
                            "arn:{partition}:s3:{region}:{account}:accesspoint/{name}"
                        ));
                        let named = if region.is_empty() {
                            is_mrap_alias(name)
                        } else {
                            is_region(region) && is_access_point_name(name)
                        };
                        named && is_account_id(account) && key.is_none_or(|k| !k.is_empty())
                    }
                }
            }
            "s3-object-lambda" if resource.starts_with("accesspoint/") => {
                is_region(region)
                    && is_account_id(account)
                    && resource
                        .strip_prefix("accesspoint/")
                        .is_some_and(is_access_point_name)
            }
            "s3express" if resource.starts_with("bucket/") => {
                is_region(region)
                    && is_account_id(account)
                    && resource
                        .strip_prefix("bucket/")
                        .is_some_and(is_directory_bucket_name)
            }
            _ => true,
        };
        if !form_ok {
            bad.push(format!("{resource_arn} is no ARN of its door's form"));
        }
    }
    let ap_arn = request.context.get("s3:dataaccesspointarn");
    let ap_account = request.context.get("s3:dataaccesspointaccount");
    let origin = request.context.get("s3:accesspointnetworkorigin");
    if ap_arn.is_none() && ap_account.is_none() && origin.is_none() {
        if door_ap.is_some() {
            bad.push(format!(
                "a request to {resource_arn} without the access point keys"
            ));
        }
        return;
    }
    let one = |v: Option<&ContextValue>, key: &str, bad: &mut Vec<String>| match v {
        Some(ContextValue::One(v)) => Some(v.clone()),
        Some(ContextValue::Many(vs)) => {
            bad.push(format!("{key} {vs:?}: a set, where S3 sends one value"));
            None
        }
        None => {
            bad.push(format!("no {key} with the other access point keys"));
            None
        }
    };
    let ap_arn = one(ap_arn, "s3:DataAccessPointArn", bad);
    let ap_account = one(ap_account, "s3:DataAccessPointAccount", bad);
    let origin = one(origin, "s3:AccessPointNetworkOrigin", bad);
    if !request
        .action
        .split_once(':')
        .is_some_and(|(p, _)| p.eq_ignore_ascii_case("s3"))
    {
        bad.push(format!("access point keys on {}", request.action));
    }
    if let Some(a) = &ap_arn {
        match access_point_arn_account(a) {
            None => bad.push(format!("s3:DataAccessPointArn {a:?}")),
            Some(owner) => {
                if ap_account.as_deref().is_some_and(|x| x != owner) {
                    bad.push(format!(
                        "s3:DataAccessPointAccount {ap_account:?} with s3:DataAccessPointArn {a:?}"
                    ));
                }
            }
        }
        match &door_ap {
            Some(own) if own != a => bad.push(format!(
                "s3:DataAccessPointArn {a:?} on a request to {resource_arn}"
            )),
            None if arn::split(a).is_some_and(|p| p[3].is_empty()) => bad.push(format!(
                "a request to {resource_arn} through Multi-Region Access Point {a:?}"
            )),
            _ => {}
        }
    }
    if let Some(a) = &ap_account
        && !is_account_id(a)
    {
        bad.push(format!("s3:DataAccessPointAccount {a:?}"));
    }
    match origin.as_deref() {
        None | Some("Internet") => {}
        Some("VPC") if request.context.contains_key("aws:sourcevpce") => {}
        Some(o) => bad.push(format!(
            "s3:AccessPointNetworkOrigin {o:?} (from {})",
            if request.context.contains_key("aws:sourcevpce") {
                "an endpoint"
            } else {
                "an address"
            }
        )),
    }
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
