//! The actions and resource ARNs a request can name: real ones, from the service tables
//! (`iam::services`), for every service that has a table; a generic model (any action name the
//! policy's patterns admit, on any ARN) for the others.
//!
//! Actions are drawn one per class: two actions that every action pattern of the policy treats
//! alike and that act on the same resource types decide every check alike, so one of them
//! stands for the class. ARNs are drawn per resource type: a fresh one, and one per policy
//! pattern filled with values of each placeholder's kind.

use std::collections::BTreeSet;

use crate::iam::arn;
use crate::iam::pattern::{self, Tok};
use crate::iam::services::{self, ServiceTable};

/// What the resource of a request for an action can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// A service without a table: any ARN (the generic model).
    Generic,
    /// An action on no resource (`s3:ListAllMyBuckets`): AWS authorizes it on `*`.
    Resourceless,
    /// The ARN formats of the action's resource types.
    Formats(Vec<&'static str>),
}

/// The services requests through an attachment can call.
#[derive(Debug, Clone, Default)]
pub struct ServiceScope {
    pub tables: Vec<&'static ServiceTable>,
    /// Prefixes modelled generically (no table).
    pub generic: Vec<String>,
    /// Only actions on a bucket or its objects (a bucket policy).
    pub bucket_only: bool,
}

/// Actions a platform engineer recognises at once, preferred as a class's representative.
const WELL_KNOWN: &[&str] = &[
    "GetObject",
    "ListBucket",
    "PutObject",
    "GetBucketPolicy",
    "BatchGetImage",
    "GetAuthorizationToken",
    "Decrypt",
    "GetSecretValue",
    "GetParameter",
    "SendMessage",
    "Publish",
    "GetItem",
    "InvokeFunction",
    "PutLogEvents",
    "AssumeRole",
];

/// The resource a request names when its action acts on no resource.
pub const NO_RESOURCE: &str = "*";

impl Fit {
    /// Whether a request for the action can name `arn`.
    pub fn admits(&self, arn: &str) -> bool {
        match self {
            Fit::Generic => arn != NO_RESOURCE,
            Fit::Resourceless => arn == NO_RESOURCE,
            Fit::Formats(formats) => formats.iter().any(|f| services::arn_fits(f, arn)),
        }
    }
}

/// The fit of a real action (`prefix:Name`, any case), restricted to a bucket and its objects
/// when `bucket_only`; `None` when the service has a table that does not list the action (no
/// request names it) or, with `bucket_only`, when the action acts on neither.
pub fn fit_of(action: &str, bucket_only: bool) -> Option<Fit> {
    let (prefix, _) = action.split_once(':')?;
    if services::service(prefix).is_none() {
        return Some(Fit::Generic);
    }
    let (table, a) = services::qualified_action(action)?;
    let mut formats: Vec<&'static str> = a
        .resource_types
        .iter()
        .filter(|r| !bucket_only || r.name == "bucket" || r.name == "object")
        .filter_map(|r| table.resource_type(&r.name))
        .map(|r| r.arn_format.as_str())
        .collect();
    // The plainest ARN first (a bucket's object before an access point's).
    formats.sort_by_key(|f| (f.len(), *f));
    match (formats.is_empty(), a.resource_types.is_empty(), bucket_only) {
        (true, true, false) => Some(Fit::Resourceless),
        (true, _, _) => None,
        (false, _, _) => Some(Fit::Formats(formats)),
    }
}

/// One real action per class of the scope's tables, with its fit. `patterns` are the policy's
/// action patterns, lower-cased (IAM matches action names case-insensitively).
pub fn real_actions(scope: &ServiceScope, patterns: &[Vec<Tok>]) -> Vec<(String, Fit)> {
    let mut seen: BTreeSet<(Vec<bool>, Vec<&'static str>, bool)> = BTreeSet::new();
    let mut out = Vec::new();
    for table in &scope.tables {
        // The representative of a class is the action a reader knows best: the service's
        // everyday reads first, then by access level.
        let mut ordered: Vec<&crate::iam::services::ServiceAction> =
            table.actions().iter().collect();
        ordered.sort_by_key(|a| {
            let known = WELL_KNOWN
                .iter()
                .position(|k| *k == a.name)
                .unwrap_or(WELL_KNOWN.len());
            let level = match a.access_level {
                services::AccessLevel::Read => 0,
                services::AccessLevel::List => 1,
                services::AccessLevel::Write => 2,
                services::AccessLevel::Tagging => 3,
                services::AccessLevel::PermissionsManagement => 4,
            };
            (known, level)
        });
        for a in ordered {
            let name = format!("{}:{}", table.prefix, a.name);
            let Some(fit) = fit_of(&name, scope.bucket_only) else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let signature: Vec<bool> = patterns
                .iter()
                .map(|p| pattern::matches(p, &lower))
                .collect();
            let (formats, resourceless) = match &fit {
                Fit::Formats(f) => (f.clone(), false),
                Fit::Resourceless => (Vec::new(), true),
                Fit::Generic => (Vec::new(), false),
            };
            if seen.insert((signature, formats, resourceless)) {
                out.push((name, fit));
            }
        }
    }
    out
}

/// The ARN formats of every resource type the scope's actions act on.
pub fn formats(actions: &[(String, Fit)]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, fit) in actions {
        if let Fit::Formats(f) = fit {
            for f in f {
                if !out.contains(f) {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// ARNs of one resource type: a fresh one per account given, and, for each policy pattern that
/// can name this type, the pattern filled with values of each placeholder's kind.
pub fn typed_arns(format: &'static str, patterns: &[Vec<Tok>], accounts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if services::arn_fits(format, &s) && !out.contains(&s) {
            out.push(s);
        }
    };
    let has_account = format.contains("${Account}");
    for a in accounts.iter().take(if has_account { 3 } else { 1 }) {
        if let Some(s) = services::fresh_arn(format, &[("Account", a)]) {
            push(s);
        }
    }
    let Some(f) = arn::split(format) else {
        return out;
    };
    for p in patterns {
        if pattern::is_match_all(p) {
            continue;
        }
        let Some(pp) = arn::split_tokens(p) else {
            continue;
        };
        if !pattern::matches(pp[2], f[2]) {
            continue;
        }
        for s in fill_components(&pp, &f, accounts) {
            push(s);
        }
    }
    out
}

/// How a wildcard is filled when a pattern meets a format: empty, short and longer runs of
/// characters legal in names, so that one of them makes a well-formed value (`my-*` needs a
/// letter after the hyphen to be a bucket name, `*` needs three characters).
/// The last fill also crosses a `/`, for a bucket pattern that names objects too (`my-*`).
const FILLS: &[(&str, char)] = &[
    ("", 'z'),
    ("z", 'z'),
    ("zz0", '0'),
    ("0", '0'),
    ("zz0/zz0", '0'),
];

fn fill_components(pp: &[&[Tok]; 6], f: &[&str; 6], accounts: &[String]) -> Vec<String> {
    let mut per: Vec<Vec<String>> = Vec::with_capacity(6);
    for i in 0..6 {
        let comp = f[i];
        let mut values: Vec<String> = Vec::new();
        let mut add = |v: String| {
            if !values.contains(&v) {
                values.push(v);
            }
        };
        match comp {
            "${Partition}" if pattern::matches(pp[i], "aws") => add("aws".into()),
            "${Region}" if pattern::matches(pp[i], "us-east-1") => add("us-east-1".into()),
            "${Account}" => {
                for a in accounts
                    .iter()
                    .filter(|a| pattern::matches(pp[i], a))
                    .take(4)
                {
                    add(a.clone());
                }
                if !pattern::has_wildcard(pp[i]) {
                    add(pattern::render(pp[i]));
                }
            }
            _ => {
                let glob = format_glob(comp);
                for (star, one) in FILLS {
                    let w = pattern::witness(pp[i], star, *one);
                    if pattern::matches(&glob, &w) {
                        add(w);
                    }
                }
                for filler in ['z', '0'] {
                    if let Some(w) = pattern::intersection(pp[i], &glob, filler) {
                        add(w);
                    }
                }
            }
        }
        if values.is_empty() {
            return Vec::new();
        }
        values.truncate(6);
        per.push(values);
    }
    // The product of the components' values, small in practice: most components have one.
    let mut out: Vec<String> = vec![String::new()];
    for (i, values) in per.iter().enumerate() {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for prefix in &out {
            for v in values {
                next.push(if i == 0 {
                    v.clone()
                } else {
                    format!("{prefix}:{v}")
                });
            }
        }
        out = next;
        if out.len() > 64 {
            out.truncate(64);
        }
    }
    out
}

/// A format component as a pattern: a placeholder stands for one or more characters (three or
/// more for a bucket name).
fn format_glob(component: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut rest = component;
    while let Some(start) = rest.find("${") {
        out.extend(pattern::literal(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(pattern::literal(rest));
            return out;
        };
        let min = if &after[..end] == "BucketName" { 3 } else { 1 };
        out.extend(std::iter::repeat_n(Tok::AnyOne, min));
        out.push(Tok::AnyRun);
        rest = &after[end + 1..];
    }
    out.extend(pattern::literal(rest));
    out
}

/// Anonymous requests exist only for Amazon S3, Amazon SQS and Amazon SNS (IAM User Guide,
/// "Principal key values": aws:userid `anonymous`); services modelled generically may have them.
pub fn admits_anonymous(action: &str) -> bool {
    action.split_once(':').is_some_and(|(svc, _)| {
        let svc = svc.to_ascii_lowercase();
        matches!(svc.as_str(), "s3" | "sqs" | "sns") || services::service(&svc).is_none()
    })
}

/// A bucket policy's own bucket is taken by the name the manifest gives it, as S3 will have
/// accepted it: its ARNs are checked as if the bucket bore a name of the naming rules.
pub fn own_bucket<'a>(arn: &'a str, name: Option<&str>) -> std::borrow::Cow<'a, str> {
    let Some(n) = name else {
        return arn.into();
    };
    match arn
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.strip_prefix(n))
    {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("arn:aws:s3:::fresh-bucket{rest}").into()
        }
        _ => arn.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::pattern::glob;

    fn s3_scope(bucket_only: bool) -> ServiceScope {
        ServiceScope {
            tables: vec![services::service("s3").expect("s3")],
            generic: vec![],
            bucket_only,
        }
    }

    #[test]
    fn one_real_action_per_class() {
        let patterns = vec![glob("s3:getobject"), glob("s3:get*")];
        let actions = real_actions(&s3_scope(true), &patterns);
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        assert!(names.contains(&"s3:GetObject"), "{names:?}");
        // Every class is real and S3's; a bucket policy sees bucket and object actions only.
        for (a, fit) in &actions {
            assert!(services::qualified_action(a).is_some(), "{a}");
            assert!(matches!(fit, Fit::Formats(_)), "{a}");
        }
        assert!(
            !names
                .iter()
                .any(|a| a.eq_ignore_ascii_case("s3:ListAllMyBuckets"))
        );
        let all = real_actions(&s3_scope(false), &patterns);
        assert!(all.iter().any(|(_, f)| *f == Fit::Resourceless));
        assert!(all.len() > actions.len());
    }

    #[test]
    fn object_actions_fit_object_arns_with_a_key() {
        let fit = fit_of("s3:GetObject", true).expect("fit");
        assert!(fit.admits("arn:aws:s3:::example-bucket/key"));
        assert!(!fit.admits("arn:aws:s3:::example-bucket/"));
        assert!(!fit.admits("arn:aws:s3:::example-bucket"));
        let list = fit_of("s3:ListBucket", true).expect("fit");
        assert!(list.admits("arn:aws:s3:::example-bucket"));
        assert!(
            fit_of("s3:FreshAction", false).is_none(),
            "not an S3 action"
        );
        assert_eq!(fit_of("ec2:RunInstances", false), Some(Fit::Generic));
    }

    #[test]
    fn patterns_are_filled_to_real_arns() {
        let object = services::service("s3")
            .and_then(|t| t.resource_type("object"))
            .map(|r| r.arn_format.as_str())
            .expect("object");
        let arns = typed_arns(
            object,
            &[
                glob("arn:aws:s3:::example-bucket/*"),
                glob("arn:aws:s3:::my-*"),
            ],
            &["111122223333".into()],
        );
        assert!(
            arns.contains(&"arn:aws:s3:::example-bucket/z".to_owned()),
            "{arns:?}"
        );
        assert!(
            arns.iter().any(|a| a.starts_with("arn:aws:s3:::my-")),
            "{arns:?}"
        );
        for a in &arns {
            assert!(services::arn_fits(object, a), "{a}");
        }
    }
}
