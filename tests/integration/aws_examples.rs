//! AWS's own data-perimeter examples as acceptance tests (issue 19). Every VPC endpoint policy,
//! the S3 bucket policy, and the resource control policies that cover S3 (turned into the bucket
//! policy they protect) comply under a perimeter that declares the same trust and exceptions,
//! and violate, with a witness through exactly that gap, when any one trust or exception entry
//! is taken out of it.
//!
//! The perimeters are DataPerimeter files beside this one (`aws_examples/<name>.yaml`), read by
//! the loader every command uses; the entries taken out are found in the files themselves, so a
//! perimeter can hold no entry its policy does not rely on.
//!
//! The examples are github.com/aws-samples/data-perimeter-policy-examples (its README and the
//! README of each folder say which statement enforces which perimeter), from the corpus: the
//! verbatim files, with their placeholders filled in here as the corpus's instantiated copies
//! fill them, and those instantiated copies. Identical texts are analysed once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common;

use perimeter_guard::iam::pattern;
use perimeter_guard::iam::reasoner::{self, Attachment, Dimension, Perimeter, ReasonerVerdict};
use perimeter_guard::iam::request::{Caller, Request, Values};
use perimeter_guard::iam::{Policy, PolicyKind, arn};
use perimeter_guard::perimeter::{DataPerimeter, load_perimeters};
use serde_json::{Value, json};

/// Below the corpus's `policies/`.
const VERBATIM: &str = "data-perimeter-policy-examples";
const INSTANTIATED: &str = "data-perimeter-policy-examples-instantiated";

/// The bucket the bucket policies protect (`<my-data-bucket>`).
const BUCKET: &str = "example-bucket";

/// The substitutions of the instantiated copies' README, then values for the placeholders it
/// does not cover (it instantiates no RCP).
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("<my-org-id>", "o-abc123def4"),
    ("<my-account-id>", "111122223333"),
    ("<region>", "us-east-1"),
    ("<RegionWithoutDashes>", "useast1"),
    ("<glue-account-id>", "123456789012"),
    ("<CodeArtifact-Region-Account>", "123456789012"),
    ("<ecr-account-id>", "602401143452"),
    ("<service-account-id>", "580247275435"),
    ("<action>", "s3:GetObject"),
    (
        "<third-party-resource-arn>",
        "arn:aws:s3:::partner-bucket/*",
    ),
    ("<third-party-account-a>", "222233334444"),
    ("<third-party-account-b>", "333344445555"),
    ("<my-data-bucket>", BUCKET),
    ("<load-balancing-account-id>", "127311923021"),
    ("<my-corporate-cidr>", "203.0.113.0/24"),
    ("<my-vpc>", "vpc-111bbb22"),
    ("<string>", "abc"),
    // The RCPs' exception for the FinSpace environment's infrastructure account: any account
    // distinct from the others here.
    ("<fin-space-account-id>", "444455556666"),
];

/// RCPs that each cover one perimeter, combined into one bucket policy, with the perimeter they
/// enforce together. The examples' resource_control_policies/README.md offers them "individually
/// or in combination", and the network RCP's dp:exclude:network exception is "not recommended
/// ... unless it is accompanied by" the identity RCP's EnforceOrgIdentities (its README), so they
/// are judged together rather than with the other perimeter opened. The other network RCP,
/// `network_perimeter_sourcevpc_rcp.json`, names no S3 action.
const RCP_COMBINATIONS: &[(&[&str], &str)] = &[(
    &[
        "identity_perimeter_rcp.json",
        "network_perimeter_vpceorgid_rcp.json",
    ],
    "identity_and_network_perimeter_rcps.yaml",
)];

/// The `<placeholder>`s left in a text.
fn placeholders(text: &str) -> Vec<&str> {
    text.match_indices('<')
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let end = rest.find('>')?;
            let name = &rest[1..end];
            (!name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then_some(&rest[..=end])
        })
        .collect()
}

fn instantiate(text: &str) -> String {
    PLACEHOLDERS
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
}

fn policies() -> PathBuf {
    common::corpus_root().join("policies")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(policies().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn perimeter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/aws_examples")
}

/// One policy under test: the text analysed, the corpus files it was made from, how it is
/// attached and the perimeter it must comply with.
#[derive(Debug, Clone)]
struct Subject {
    sources: Vec<String>,
    text: String,
    kind: PolicyKind,
    attachment: Attachment,
    perimeter: String,
}

/// What the test does with one corpus file.
#[derive(Debug, Clone, PartialEq)]
enum Class {
    /// Checked under this perimeter file.
    Checked(String),
    Skipped(String),
}

/// `ecr.api_endpoint_policy.json` is written for an endpoint of `com.amazonaws.<region>.ecr.api`;
/// its requests are the service's, as the webhook reads an endpoint's `serviceName`. A service
/// without an action table (CloudFormation, EC2, ...) and the default policy get the generic
/// model, as they do there.
fn endpoint(stem: &str) -> Attachment {
    let service = stem
        .strip_suffix("_endpoint_policy")
        .expect("an endpoint policy");
    Attachment::Endpoint {
        id: Some("vpce-1a2b3c4d".into()),
        vpc: Some("vpc-111bbb22".into()),
        service: perimeter_guard::iam::services::endpoint_service_prefix(&format!(
            "com.amazonaws.us-east-1.{service}"
        ))
        .map(str::to_owned),
    }
}

fn bucket() -> Attachment {
    Attachment::Bucket {
        name: Some(BUCKET.into()),
    }
}

fn perimeter_for(stem: &str) -> Option<String> {
    let name = format!("{stem}.yaml");
    perimeter_dir().join(&name).is_file().then_some(name)
}

fn stem(rel: &str) -> &str {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    file.strip_suffix(".json").unwrap_or(file)
}

/// Every JSON file of AWS's examples, below `policies/`, and what the test does with it.
fn classify_corpus() -> Vec<(String, Class)> {
    let root = policies();
    let mut out = Vec::new();
    for dir in [VERBATIM, INSTANTIATED] {
        for rel in common::files_below(&root.join(dir), "json") {
            let rel = format!("{dir}/{}", rel.to_string_lossy());
            let class = classify(&rel);
            out.push((rel, class));
        }
    }
    out
}

fn classify(rel: &str) -> Class {
    let stem = stem(rel);
    let folder = rel.rsplit('/').nth(1).unwrap_or_default();
    let no_perimeter = || {
        Class::Skipped(
            "a kind the test checks, but no perimeter in aws_examples/ is written for it yet"
                .into(),
        )
    };
    match folder {
        "vpc_endpoint_policies" => perimeter_for(stem).map_or_else(no_perimeter, Class::Checked),
        "resource_based_policies" if stem.starts_with("s3_") => {
            perimeter_for(stem).map_or_else(no_perimeter, Class::Checked)
        }
        "resource_based_policies" => Class::Skipped(format!(
            "a resource-based policy of another service ({}), not an S3 bucket or VPC endpoint policy",
            stem.strip_suffix("_policy").unwrap_or(stem)
        )),
        "service_control_policies" => Class::Skipped(
            "an SCP: it bounds the organization's own identities and has no Principal, so it is \
             no bucket or endpoint policy"
                .into(),
        ),
        "resource_control_policies" => classify_rcp(rel, stem),
        INSTANTIATED => match stem.split_once("__") {
            Some(("vpce", s)) => perimeter_for(s).map_or_else(no_perimeter, Class::Checked),
            Some(("bucket", s)) => perimeter_for(s).map_or_else(no_perimeter, Class::Checked),
            _ => Class::Skipped("an instantiated copy of a kind the test does not check".into()),
        },
        _ => Class::Skipped("outside the folders of AWS's examples the test knows".into()),
    }
}

fn classify_rcp(rel: &str, stem: &str) -> Class {
    if stem.starts_with("service_specific_controls__") {
        return Class::Skipped(
            "a service-specific control, written for the resource policy of the service it \
             names, not for S3"
                .into(),
        );
    }
    let rcp: Value = serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    match rcp_s3_statements(&rcp) {
        Err(why) => Class::Skipped(why),
        Ok(statements) if statements.is_empty() => Class::Skipped(format!(
            "no statement names an s3: action (it covers {}), so it has no bucket-policy form",
            services_of(&rcp).join(", ")
        )),
        Ok(_) => RCP_COMBINATIONS
            .iter()
            .find(|(files, _)| files.contains(&format!("{stem}.json").as_str()))
            .map_or_else(
                || {
                    Class::Skipped(
                        "covers S3, but no combination in RCP_COMBINATIONS pairs it with a perimeter yet"
                            .into(),
                    )
                },
                |(_, perimeter)| Class::Checked((*perimeter).into()),
            ),
    }
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The services an RCP's statements name, for the reason a file is skipped.
fn services_of(rcp: &Value) -> Vec<String> {
    let mut services: Vec<String> = statements(rcp)
        .iter()
        .flat_map(|s| as_list(&s["Action"]))
        .map(|a| a.split(':').next().unwrap_or_default().to_owned())
        .collect();
    services.sort();
    services.dedup();
    services
}

/// An RCP's statements as the statements of a bucket policy on [`BUCKET`]: those whose actions
/// include S3's, with only those actions (Amazon S3 refuses a bucket policy naming another
/// service's), `Principal: "*"` as the RCPs have it, and the bucket and its objects for the
/// resources the RCP covers, which must be all of them: an RCP restricts every resource of the
/// accounts it is attached to (AWS Organizations User Guide, "Resource control policies (RCPs)").
fn rcp_s3_statements(rcp: &Value) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for st in statements(rcp) {
        if st.get("NotAction").is_some() || st.get("NotResource").is_some() {
            return Err(
                "a NotAction or NotResource statement: which S3 requests it leaves out is not \
                 the test's to guess"
                    .to_owned(),
            );
        }
        let s3: Vec<String> = as_list(&st["Action"])
            .into_iter()
            .map(|a| if a == "*" { "s3:*".to_owned() } else { a })
            .filter(|a| a.to_ascii_lowercase().starts_with("s3:"))
            .collect();
        if s3.is_empty() {
            continue;
        }
        if as_list(&st["Resource"]) != ["*"] {
            return Err(format!(
                "an S3 statement on {}, not on every resource: it may not cover the bucket",
                st["Resource"]
            ));
        }
        let mut st = st.clone();
        let map = st.as_object_mut().expect("a statement is an object");
        map.insert("Principal".into(), json!("*"));
        map.insert("Action".into(), json!(s3));
        map.insert(
            "Resource".into(),
            json!([
                format!("arn:aws:s3:::{BUCKET}"),
                format!("arn:aws:s3:::{BUCKET}/*")
            ]),
        );
        out.push(st);
    }
    Ok(out)
}

/// Every policy under test, each text once with every corpus file it comes from.
fn subjects() -> Vec<Subject> {
    let mut out: Vec<Subject> = Vec::new();
    let mut add = |source: String, text: String, kind, attachment, perimeter: String| {
        if let Some(s) = out
            .iter_mut()
            .find(|s| s.text == text && s.perimeter == perimeter)
        {
            s.sources.push(source);
        } else {
            out.push(Subject {
                sources: vec![source],
                text,
                kind,
                attachment,
                perimeter,
            });
        }
    };
    let mut rcps: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (rel, class) in classify_corpus() {
        let Class::Checked(perimeter) = class else {
            continue;
        };
        let text = instantiate(&read(&rel));
        let stem = stem(&rel);
        let stem = stem.split_once("__").map_or(stem, |(_, s)| s);
        if stem.ends_with("_endpoint_policy") {
            add(
                rel.clone(),
                text,
                PolicyKind::EndpointPolicy,
                endpoint(stem),
                perimeter,
            );
        } else if rel.contains("resource_control_policies/") {
            let rcp = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
            rcps.entry(perimeter).or_default().push((rel, rcp));
        } else {
            add(rel, text, PolicyKind::BucketPolicy, bucket(), perimeter);
        }
    }
    for (perimeter, parts) in rcps {
        let (files, _) = RCP_COMBINATIONS
            .iter()
            .find(|(_, p)| *p == perimeter)
            .expect("an RCP is checked only through a combination");
        assert_eq!(
            parts.len(),
            files.len(),
            "{perimeter}: the corpus lacks part of the combination {files:?}"
        );
        let statements: Vec<Value> = parts
            .iter()
            .flat_map(|(rel, rcp)| {
                rcp_s3_statements(rcp).unwrap_or_else(|why| panic!("{rel}: {why}"))
            })
            .collect();
        let policy = json!({"Version": "2012-10-17", "Statement": statements});
        let text = serde_json::to_string_pretty(&policy).expect("json");
        add(
            parts
                .iter()
                .map(|(rel, _)| rel.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            text,
            PolicyKind::BucketPolicy,
            bucket(),
            perimeter,
        );
    }
    out
}

fn subjects_for(perimeter: &str) -> Vec<Subject> {
    let out: Vec<Subject> = subjects()
        .into_iter()
        .filter(|s| s.perimeter == perimeter)
        .collect();
    assert!(
        !out.is_empty(),
        "{perimeter}: no corpus policy is checked under it"
    );
    for s in &out {
        let left = placeholders(&s.text);
        assert!(
            left.is_empty(),
            "{:?}: placeholders without a value in PLACEHOLDERS: {left:?}",
            s.sources
        );
    }
    out
}

/// The perimeter file as every command reads it.
fn load_file(name: &str) -> DataPerimeter {
    let mut perimeters = perimeter_guard::perimeter::load::load(
        &[perimeter_dir().join(name)],
        &mut std::io::empty(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(perimeters.len(), 1, "{name}: one DataPerimeter");
    perimeters.remove(0)
}

fn yaml_value(name: &str) -> Value {
    let text = std::fs::read_to_string(perimeter_dir().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    perimeter_guard::yaml::to_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn analyze(s: &Subject, perimeter: &Perimeter) -> Vec<(Dimension, ReasonerVerdict)> {
    let policy = Policy::parse(&s.text, s.kind).unwrap_or_else(|e| panic!("{:?}: {e}", s.sources));
    reasoner::analyze(&policy, &s.attachment, perimeter)
        .into_iter()
        .map(|v| (v.dimension, v.verdict))
        .collect()
}

/// What in a witness AWS would never send: the checks every corpus witness passes
/// (`common::witness`), and a role with a name, which IAM requires (IAM API Reference, CreateRole:
/// RoleName, 1 to 64 characters; a service-linked role's path `aws-service-role/` is not its
/// name).
fn unreal(s: &Subject, r: &Request) -> Vec<String> {
    let policy = Policy::parse(&s.text, s.kind).expect("parsed before");
    let unlisted = reasoner::unlisted_actions(&policy, &s.attachment);
    let own = matches!(s.attachment, Attachment::Bucket { .. }).then_some(BUCKET);
    let mut bad = common::witness::defects(r, own, &unlisted);
    if let Caller::Iam(i) = &r.caller
        && let Some(role) = i.arn.split_once(":role/").map(|(_, r)| r)
    {
        let name = role.rsplit('/').next().unwrap_or_default();
        if name.is_empty() || name.len() > 64 {
            bad.push(format!(
                "role {:?} has no name of 1 to 64 characters",
                i.arn
            ));
        }
    }
    bad
}

fn describe(v: &ReasonerVerdict) -> String {
    match v {
        ReasonerVerdict::Complies => "complies".into(),
        ReasonerVerdict::Violates(w) => format!("violates: {}", w.line()),
        ReasonerVerdict::Undecided(why) => format!("undecided: {why}"),
    }
}

/// Each policy made from the corpus under this perimeter complies in every dimension.
fn complies(perimeter: &str) {
    let p = load_file(perimeter).to_perimeter();
    let mut failures = Vec::new();
    for s in subjects_for(perimeter) {
        for (d, v) in analyze(&s, &p) {
            if v != ReasonerVerdict::Complies {
                failures.push(format!("{:?} {}: {}", s.sources, d.name(), describe(&v)));
            }
        }
    }
    assert!(failures.is_empty(), "{perimeter}:\n{}", failures.join("\n"));
}

/// One trust or exception entry of a perimeter file: a list item (taken out of its list), or
/// `trustAwsServicePrincipals: true` (turned to `false`).
#[derive(Debug, Clone)]
struct Entry {
    /// JSON pointer into the document.
    pointer: String,
    /// The list (or flag) it belongs to, without the index: `network/allowedSourceIps`.
    field: String,
    value: Value,
}

/// Every entry of `spec.identity`, `spec.resources`, `spec.network` and `spec.exceptions`.
/// `organizations` are facts, not trust; `bucketPolicyMode` is how the policy is judged.
fn entries(doc: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    for section in ["identity", "resources", "network", "exceptions"] {
        let Some(fields) = doc["spec"][section].as_object() else {
            continue;
        };
        for (name, value) in fields {
            let field = format!("{section}/{name}");
            match value {
                Value::Array(items) => out.extend(items.iter().enumerate().map(|(i, v)| Entry {
                    pointer: format!("/spec/{field}/{i}"),
                    field: field.clone(),
                    value: v.clone(),
                })),
                Value::Bool(true) if name == "trustAwsServicePrincipals" => out.push(Entry {
                    pointer: format!("/spec/{field}"),
                    field: field.clone(),
                    value: value.clone(),
                }),
                Value::Object(inner) if name == "servicePrincipalSources" => {
                    for (list, items) in inner {
                        let field = format!("{field}/{list}");
                        for (i, v) in items.as_array().into_iter().flatten().enumerate() {
                            out.push(Entry {
                                pointer: format!("/spec/{field}/{i}"),
                                field: field.clone(),
                                value: v.clone(),
                            });
                        }
                    }
                }
                other => panic!("{field}: {other}: the test does not know how to take it away"),
            }
        }
    }
    out
}

/// The document without the entry.
fn without(doc: &Value, entry: &Entry) -> Value {
    let mut doc = doc.clone();
    if entry.field.ends_with("trustAwsServicePrincipals") {
        *doc.pointer_mut(&entry.pointer).expect("the flag") = json!(false);
        // Whom a service principal must act for means nothing once none is trusted, and the
        // loader refuses it.
        if let Some(identity) = doc
            .pointer_mut("/spec/identity")
            .and_then(Value::as_object_mut)
        {
            identity.remove("servicePrincipalSources");
        }
        return doc;
    }
    let (list, index) = entry.pointer.rsplit_once('/').expect("a list item");
    let index: usize = index.parse().expect("an index");
    doc.pointer_mut(list)
        .and_then(Value::as_array_mut)
        .expect("the list")
        .remove(index);
    doc
}

fn one(r: &Request, key: &str) -> Option<String> {
    match r.lookup(key) {
        Some(Values::One(v)) => Some(v.to_owned()),
        _ => None,
    }
}

fn caller_tag(r: &Request, key: &str) -> Option<String> {
    match &r.caller {
        Caller::Iam(i) => i.tags.get(&key.to_lowercase()).cloned(),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// Whether a witness goes through the gap the entry leaves, read off its request; with what
/// the gap is, for the message.
fn through_gap(entry: &Entry, dimension: Dimension, r: &Request) -> (bool, String) {
    let v = &entry.value;
    let s = v.as_str().unwrap_or_default();
    match entry.field.as_str() {
        "identity/trustedOrganizations" => (
            matches!(&r.caller, Caller::Iam(i) if i.org.as_ref().is_some_and(|o| o.id == s)),
            format!("an IAM caller in {s}"),
        ),
        "identity/trustedAccounts" => (
            matches!(&r.caller, Caller::Iam(i) if i.account == s),
            format!("an IAM caller of account {s}"),
        ),
        "identity/trustAwsServicePrincipals" => (
            matches!(r.caller, Caller::Service { .. }),
            "an AWS service principal".into(),
        ),
        "identity/servicePrincipalSources/accounts" => (
            matches!(r.caller, Caller::Service { .. })
                && one(r, "aws:sourceaccount").as_deref() == Some(s),
            format!("a service principal with aws:SourceAccount {s}"),
        ),
        "identity/servicePrincipalSources/organizations" => (
            matches!(r.caller, Caller::Service { .. })
                && one(r, "aws:sourceorgid").as_deref() == Some(s),
            format!("a service principal with aws:SourceOrgID {s}"),
        ),
        "resources/trustedOrganizations" => (
            r.resource.org.as_ref().is_some_and(|o| o.id == s),
            format!("a resource owned in {s}"),
        ),
        "resources/trustedAccounts" => (
            r.resource.account.as_deref() == Some(s),
            format!("a resource owned by {s}"),
        ),
        "resources/allowedResources" => (
            arn::matches_by_bucket(&pattern::glob(s), &r.resource.arn),
            format!("a resource {s}"),
        ),
        "network/allowedSourceIps" => {
            let net: ipnet::IpNet = s.parse().expect("a CIDR");
            (
                one(r, "aws:sourceip")
                    .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                    .is_some_and(|ip| net.contains(&ip)),
                format!("aws:SourceIp in {s}"),
            )
        }
        "network/allowedVpcs" => (
            one(r, "aws:sourcevpc").as_deref() == Some(s),
            format!("aws:SourceVpc {s}"),
        ),
        "network/allowedVpcEndpoints" => (
            one(r, "aws:sourcevpce").as_deref() == Some(s),
            format!("aws:SourceVpce {s}"),
        ),
        "network/trustedEndpointOrganizations" => (
            one(r, "aws:vpceorgid").as_deref() == Some(s),
            format!("aws:VpceOrgID {s}"),
        ),
        "network/trustedEndpointAccounts" => (
            one(r, "aws:vpceaccount").as_deref() == Some(s),
            format!("aws:VpceAccount {s}"),
        ),
        // Without its only entry the network perimeter applies to every principal: the witness
        // is one the tag kept out of it.
        "network/appliesToPrincipalTags" => (
            caller_tag(r, &text(v, "key")).as_deref() != Some(&text(v, "value")),
            format!(
                "a caller not tagged {}={}",
                text(v, "key"),
                text(v, "value")
            ),
        ),
        "exceptions/principalTags" => (
            caller_tag(r, &text(v, "key")).as_deref() == Some(&text(v, "value")),
            format!("a caller tagged {}={}", text(v, "key"), text(v, "value")),
        ),
        "exceptions/principalArns" => (
            matches!(&r.caller, Caller::Iam(i) if arn::matches(&pattern::glob(&text(v, "pattern")), &i.arn)),
            format!("a caller {}", text(v, "pattern")),
        ),
        "exceptions/resourceTags" => (
            r.resource.tags.get(&text(v, "key").to_lowercase()) == Some(&text(v, "value")),
            format!("a resource tagged {}={}", text(v, "key"), text(v, "value")),
        ),
        "exceptions/thirdParties" => {
            let accounts = as_list(&v["accounts"]);
            let reaches = as_list(&v["resources"])
                .iter()
                .any(|p| arn::matches(&pattern::glob(p), &r.resource.arn));
            let by_them = r
                .caller
                .account()
                .is_some_and(|a| accounts.iter().any(|x| x == a));
            let action = r.action.to_ascii_lowercase();
            let with_its_actions = v.get("actions").is_none_or(|actions| {
                as_list(actions)
                    .iter()
                    .any(|a| pattern::matches(&pattern::glob(&a.to_ascii_lowercase()), &action))
            });
            (
                reaches && with_its_actions && (by_them || dimension == Dimension::Resource),
                format!(
                    "{} reaching {}",
                    if dimension == Dimension::Resource {
                        "a trusted identity".to_owned()
                    } else {
                        format!("account {}", accounts.join(" or "))
                    },
                    as_list(&v["resources"]).join(" or ")
                ),
            )
        }
        other => panic!("{other}: no gap check for this field; write one"),
    }
}

/// Taking out any one of the selected entries of the perimeter file makes each policy under it
/// violate, and every witness goes through exactly that gap: it is inside the full perimeter,
/// and its request carries what the entry let in.
fn violates_without(perimeter: &str, selected: impl Fn(&Entry) -> bool) {
    let full = load_file(perimeter).to_perimeter();
    let doc = yaml_value(perimeter);
    let subjects = subjects_for(perimeter);
    let entries: Vec<Entry> = entries(&doc).into_iter().filter(|e| selected(e)).collect();
    assert!(!entries.is_empty(), "{perimeter}: no entry to take away");
    let mut failures = Vec::new();
    for entry in &entries {
        let source = format!("{perimeter} without {}", entry.pointer);
        let text = serde_json::to_string(&without(&doc, entry)).expect("json");
        let reduced = load_perimeters(&text, &source)
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0)
            .to_perimeter();
        for s in &subjects {
            let mut violations = 0;
            for (d, v) in analyze(s, &reduced) {
                let w = match v {
                    ReasonerVerdict::Complies => continue,
                    ReasonerVerdict::Undecided(why) => {
                        failures.push(format!(
                            "{source}: {:?} {}: undecided: {why}",
                            s.sources,
                            d.name()
                        ));
                        continue;
                    }
                    ReasonerVerdict::Violates(w) => w,
                };
                violations += 1;
                let (through, gap) = through_gap(entry, d, &w.request);
                let inside_full = !full.outside(d, &w.request);
                let unreal = unreal(s, &w.request);
                if !unreal.is_empty() {
                    failures.push(format!(
                        "{source}: {:?} {}: a witness AWS could not send ({}): {}",
                        s.sources,
                        d.name(),
                        unreal.join("; "),
                        w.line()
                    ));
                } else if through && inside_full {
                    // The table of cases, for `--nocapture`.
                    eprintln!(
                        "{perimeter} | {} | {} | {gap} | {}",
                        entry.pointer,
                        d.name(),
                        w.line()
                    );
                } else {
                    failures.push(format!(
                        "{source}: {:?} {}: the witness is not {gap}{}: {}",
                        s.sources,
                        d.name(),
                        if inside_full {
                            ""
                        } else {
                            " (it is outside the full perimeter too)"
                        },
                        w.line()
                    ));
                }
            }
            if violations == 0 {
                failures.push(format!(
                    "{source}: {:?} still complies, so the perimeter does not need {}",
                    s.sources, entry.value
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn violates_without_each_entry(perimeter: &str) {
    violates_without(perimeter, |_| true);
}

/// As [`violates_without_each_entry`], but for the entries under these pointers, which another
/// test takes away; each must name some entry, so that none is left out unnoticed.
fn violates_without_each_entry_but(perimeter: &str, elsewhere: &[&str]) {
    let all = entries(&yaml_value(perimeter));
    for prefix in elsewhere {
        assert!(
            all.iter().any(|e| e.pointer.starts_with(prefix)),
            "{perimeter}: no entry at {prefix}"
        );
    }
    violates_without(perimeter, |e| {
        !elsewhere.iter().any(|p| e.pointer.starts_with(p))
    });
}

fn violates_without_entries(perimeter: &str, only: &[&str]) {
    violates_without(perimeter, |e| only.iter().any(|p| e.pointer.starts_with(p)));
}

#[test]
fn corpus_aws_examples_are_each_checked_or_skipped_with_a_reason() {
    let mut used = Vec::new();
    for (rel, class) in classify_corpus() {
        match class {
            Class::Checked(p) => {
                eprintln!("checked  {rel} under aws_examples/{p}");
                used.push(p);
            }
            Class::Skipped(why) => eprintln!("skipped  {rel}: {why}"),
        }
    }
    assert!(!used.is_empty(), "no corpus file is checked");
    // The files read as a directory, as a command or the webhook would: unique names, all valid.
    let all = perimeter_guard::perimeter::load::load(&[perimeter_dir()], &mut std::io::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut files: Vec<String> = std::fs::read_dir(perimeter_dir())
        .expect("aws_examples/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(all.len(), files.len(), "{files:?}");
    let orphans: Vec<&String> = files.iter().filter(|f| !used.contains(f)).collect();
    assert!(
        orphans.is_empty(),
        "perimeters no corpus file is checked under (is one misnamed?): {orphans:?}"
    );
}

#[test]
fn corpus_verbatim_examples_instantiate_to_their_instantiated_copies() {
    let mut compared = 0;
    for (rel, _) in classify_corpus() {
        let Some(copy) = rel.strip_prefix(&format!("{INSTANTIATED}/")) else {
            continue;
        };
        let folder = match copy.split_once("__") {
            Some(("vpce", _)) => "vpc_endpoint_policies",
            Some(("bucket", _)) => "resource_based_policies",
            _ => continue,
        };
        let file = copy.split_once("__").map_or(copy, |(_, f)| f);
        let verbatim = format!("{VERBATIM}/{folder}/{file}");
        if !policies().join(&verbatim).is_file() {
            continue;
        }
        assert_eq!(
            instantiate(&read(&verbatim)),
            read(&rel),
            "{verbatim}: PLACEHOLDERS no longer fill it in as {rel} does"
        );
        compared += 1;
    }
    assert!(compared > 0, "no instantiated copy to compare with");
}

// VPC endpoint policies (Amazon VPC User Guide, "Control access to VPC endpoints using endpoint
// policies"; the examples' vpc_endpoint_policies/README.md: identity and resource perimeters).

#[test]
fn corpus_cloudformation_endpoint_policy_complies() {
    complies("cloudformation_endpoint_policy.yaml");
}

#[test]
fn corpus_cloudformation_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("cloudformation_endpoint_policy.yaml");
}

#[test]
fn corpus_default_endpoint_policy_complies() {
    complies("default_endpoint_policy.yaml");
}

#[test]
fn corpus_default_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("default_endpoint_policy.yaml");
}

#[test]
fn corpus_ec2_endpoint_policy_complies() {
    complies("ec2_endpoint_policy.yaml");
}

#[test]
fn corpus_ec2_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("ec2_endpoint_policy.yaml");
}

#[test]
fn corpus_ecr_api_endpoint_policy_complies() {
    complies("ecr.api_endpoint_policy.yaml");
}

#[test]
fn corpus_ecr_api_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("ecr.api_endpoint_policy.yaml");
}

#[test]
fn corpus_iam_endpoint_policy_complies() {
    complies("iam_endpoint_policy.yaml");
}

#[test]
fn corpus_iam_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("iam_endpoint_policy.yaml");
}

#[test]
fn corpus_imagebuilder_endpoint_policy_complies() {
    complies("imagebuilder_endpoint_policy.yaml");
}

#[test]
fn corpus_imagebuilder_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("imagebuilder_endpoint_policy.yaml");
}

#[test]
fn corpus_iot_endpoint_policy_complies() {
    complies("iot_endpoint_policy.yaml");
}

#[test]
fn corpus_iot_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("iot_endpoint_policy.yaml");
}

#[test]
fn corpus_lambda_endpoint_policy_complies() {
    complies("lambda_endpoint_policy.yaml");
}

#[test]
fn corpus_lambda_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("lambda_endpoint_policy.yaml");
}

#[test]
fn corpus_s3_endpoint_policy_complies() {
    complies("s3_endpoint_policy.yaml");
}

#[test]
fn corpus_s3_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry("s3_endpoint_policy.yaml");
}

#[test]
fn corpus_ssm_endpoint_policy_complies() {
    complies("ssm_endpoint_policy.yaml");
}

#[test]
fn corpus_ssm_endpoint_policy_violates_without_any_one_entry() {
    violates_without_each_entry_but("ssm_endpoint_policy.yaml", &[SSM_AWS_OWNED]);
}

const SSM_AWS_OWNED: &str = "/spec/resources/allowedResources/";

/// AWS-owned SSM resources have no account in their ARN (Systems Manager User Guide, "Working
/// with public parameters": `arn:aws:ssm:<region>::parameter/aws/service/...`; AWS's own
/// documents, `arn:aws:ssm:<region>::document/AWS-...`), and the example names them so.
#[test]
fn corpus_ssm_endpoint_policy_violates_without_each_aws_owned_resource() {
    violates_without_entries("ssm_endpoint_policy.yaml", &[SSM_AWS_OWNED]);
}

// The S3 bucket policy (resource_based_policies/README.md of the examples, at the commit the
// corpus records: identity and network perimeters on the bucket).

#[test]
fn corpus_s3_bucket_policy_complies() {
    complies("s3_bucket_policy.yaml");
}

#[test]
fn corpus_s3_bucket_policy_violates_without_any_one_entry() {
    violates_without_each_entry_but("s3_bucket_policy.yaml", &[BUCKET_SERVICE_LINKED_ROLES]);
}

const BUCKET_SERVICE_LINKED_ROLES: &str = "/spec/exceptions/principalArns/";

/// Without the exception for the account's service-linked roles (IAM User Guide, "Using
/// service-linked roles": `arn:aws:iam::<account>:role/aws-service-role/<service>/<name>`), one of
/// them, tagged into the network perimeter, reaches the bucket from anywhere.
#[test]
fn corpus_s3_bucket_policy_violates_without_the_service_linked_role_exception() {
    violates_without_entries("s3_bucket_policy.yaml", &[BUCKET_SERVICE_LINKED_ROLES]);
}

// The identity and network perimeter RCPs as one bucket policy (AWS Organizations User Guide,
// "Resource control policies (RCPs)"; the examples' resource_control_policies/README.md).

const RCPS: &str = "identity_and_network_perimeter_rcps.yaml";

/// The network perimeter's principal exceptions.
const RCP_PRINCIPAL_EXCEPTIONS: [&str; 2] = [
    "/spec/exceptions/principalTags/",
    "/spec/exceptions/principalArns/",
];

/// The account that owns the bucket (see the test of the bucket's owner).
const RCP_BUCKET_OWNER: &str = "/spec/resources/trustedAccounts/";

#[test]
fn corpus_identity_and_network_perimeter_rcps_complies() {
    complies(RCPS);
}

#[test]
fn corpus_identity_and_network_perimeter_rcps_violates_without_any_one_entry() {
    let elsewhere = [
        RCP_PRINCIPAL_EXCEPTIONS[0],
        RCP_PRINCIPAL_EXCEPTIONS[1],
        RCP_BUCKET_OWNER,
    ];
    violates_without_each_entry_but(RCPS, &elsewhere);
}

#[test]
fn corpus_identity_and_network_perimeter_rcps_violates_without_its_principal_exceptions() {
    violates_without_entries(RCPS, &RCP_PRINCIPAL_EXCEPTIONS);
}

/// The bucket a bucket policy protects is the perimeter's own (docs/reasoner.md: "a bucket's owner
/// is a trusted account"), and a bucket an RCP protects belongs to an account of the
/// organization: without naming the account, the owner must still be inside the resource
/// perimeter, or no resource-tag exception could ever apply to it.
#[test]
fn corpus_identity_and_network_perimeter_rcps_bucket_stays_inside_without_its_account() {
    let doc = yaml_value(RCPS);
    let entry = entries(&doc)
        .into_iter()
        .find(|e| e.pointer.starts_with(RCP_BUCKET_OWNER))
        .expect("the owner's account");
    let text = serde_json::to_string(&without(&doc, &entry)).expect("json");
    let reduced = load_perimeters(&text, RCPS)
        .expect("valid")
        .remove(0)
        .to_perimeter();
    for s in subjects_for(RCPS) {
        for (d, v) in analyze(&s, &reduced) {
            if let ReasonerVerdict::Violates(w) = v {
                let (account, org) = (
                    w.request.resource.account.as_deref(),
                    w.request.resource.org.as_ref(),
                );
                assert!(
                    reduced.resource_account_trusted(account, org)
                        || reduced.resource_org_trusted(account, org),
                    "{} {}: {}",
                    RCPS,
                    d.name(),
                    w.line()
                );
            }
        }
    }
}
