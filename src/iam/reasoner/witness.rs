//! The request that proves a violation, as one readable line and as JSON.

use serde_json::{Value, json};

use crate::iam::evaluate::{Evaluation, StatementRef};
use crate::iam::request::{Caller, IamKind, Request, Values};

use super::model::Dimension;

#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    pub dimension: Dimension,
    pub request: Request,
    /// The statements that allow it (for Enforce: the Allow statements, possibly none).
    pub statements: Vec<StatementRef>,
    /// Context keys the policy reads, shown in the witness.
    pub keys: Vec<String>,
}

const NETWORK_KEYS: &[&str] = &[
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceip",
    "aws:vpcsourceip",
];

impl Witness {
    pub fn new(
        dimension: Dimension,
        request: Request,
        decision: Evaluation,
        keys: &[String],
    ) -> Witness {
        Witness {
            dimension,
            request,
            statements: decision.statements,
            keys: keys.to_vec(),
        }
    }

    /// "anonymous principal can s3:GetObject arn:aws:s3:::b/x from the internet (aws:SourceIp
    /// 198.18.0.1) via statement "PublicRead" (/Statement/0)".
    pub fn line(&self) -> String {
        let r = &self.request;
        let mut out = format!(
            "{} can {} {}",
            describe_caller(&r.caller),
            r.action,
            r.resource.arn
        );
        let tags: Vec<String> = r
            .resource
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let tagged = if tags.is_empty() {
            String::new()
        } else {
            format!(", tagged {}", tags.join(", "))
        };
        let owner = match (&r.resource.account, &r.resource.org) {
            (Some(a), Some(o)) => format!(" (owned by {a} in {}{tagged})", o.id),
            (Some(a), None) => format!(" (owned by {a}, outside any organization{tagged})"),
            (None, Some(o)) => format!(" (owned by an account in {}{tagged})", o.id),
            (None, None) if tags.is_empty() => String::new(),
            (None, None) => format!(" ({})", &tagged[2..]),
        };
        out.push_str(&owner);
        // A request to a bucket through an access point (the delegation pattern's witness).
        if !r.resource.arn.contains(":accesspoint/")
            && let Some(Values::One(ap)) = r.lookup("s3:dataaccesspointarn")
        {
            out.push_str(&format!(" through access point {ap}"));
        }
        out.push(' ');
        out.push_str(&describe_network(r));
        let extra: Vec<String> = self
            .keys
            .iter()
            .filter(|k| !NETWORK_KEYS.contains(&k.as_str()))
            .map(|k| match r.lookup(k) {
                Some(v) => format!("{}={}", display_key(k), show(v)),
                None => format!("no {}", display_key(k)),
            })
            .collect();
        if !extra.is_empty() {
            out.push_str(&format!(" with {}", extra.join(", ")));
        }
        match self.statements.as_slice() {
            [] => out.push_str(", and no Deny statement stops it"),
            statements => {
                let names: Vec<String> = statements.iter().map(label).collect();
                out.push_str(&format!(" via statement {}", names.join(" and ")));
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let r = &self.request;
        let mut context = serde_json::Map::new();
        // The access point keys too, when the request carries them: they say which door it
        // came through.
        let through_access_point = super::model::ACCESS_POINT_KEYS
            .iter()
            .filter(|k| r.context.contains_key(**k))
            .map(|k| k.to_string());
        for k in NETWORK_KEYS
            .iter()
            .map(|k| k.to_string())
            .chain(self.keys.iter().cloned())
            .chain(through_access_point)
        {
            if context.contains_key(&k) {
                continue;
            }
            let v = match r.lookup(&k) {
                Some(Values::One(v)) => json!(v),
                Some(Values::Many(vs)) => json!(vs),
                None => Value::Null,
            };
            context.insert(display_key(&k), v);
        }
        json!({
            "principal": caller_json(&r.caller),
            "action": r.action,
            "resource": {
                "arn": r.resource.arn,
                "account": r.resource.account,
                "organization": r.resource.org.as_ref().map(|o| o.id.clone()),
                "orgPaths": r.resource.org.as_ref().map(|o| o.paths.clone()),
                "tags": r.resource.tags,
            },
            "context": context,
            "statements": self.statements,
            "summary": self.line(),
        })
    }
}

/// A key in its documented spelling (`aws:SourceVpce`), as policies usually write it.
pub fn display_key(key: &str) -> String {
    match crate::iam::keys::global(key) {
        Some(g) if g.tag_prefix => format!("{}{}", g.name, &key[g.name.len()..]),
        Some(g) => g.name.to_owned(),
        // A service's own key as its reference spells it (`s3:DataAccessPointAccount`).
        None => key
            .split_once(':')
            .and_then(|(prefix, _)| crate::iam::services::service(prefix))
            .and_then(|t| t.condition_key(key))
            .filter(|k| k.name.eq_ignore_ascii_case(key))
            .map_or_else(|| key.to_owned(), |k| k.name.clone()),
    }
}

fn show(v: Values<'_>) -> String {
    match v {
        Values::One(v) => v.to_owned(),
        Values::Many(vs) => format!("[{}]", vs.join(", ")),
    }
}

fn label(s: &StatementRef) -> String {
    match &s.sid {
        Some(sid) if !sid.is_empty() => format!("{sid:?} ({})", s.pointer),
        _ => format!("#{} ({})", s.index, s.pointer),
    }
}

/// The caller's organisation, and its OU when it sits below the root: OU-scoped trust and
/// exclusions turn on it, so a witness names it.
fn org_phrase(caller: &Caller) -> String {
    match caller.org() {
        Some(o) => match o.paths.iter().find(|p| p.contains("/ou-")) {
            Some(path) => format!("in {}, OU path {path}", o.id),
            None => format!("in {}", o.id),
        },
        None => "outside any organization".to_owned(),
    }
}

pub fn describe_caller(caller: &Caller) -> String {
    match caller {
        Caller::Anonymous => "anonymous principal".to_owned(),
        Caller::Service { name } => format!("AWS service principal {name}"),
        Caller::Federated { provider } => format!("web identity from {provider}"),
        Caller::CloudFrontOai { id } => format!("CloudFront origin access identity {id}"),
        Caller::Iam(i) => {
            let who = match i.kind {
                IamKind::Root => format!("root user of account {}", i.account),
                IamKind::User => format!("IAM user {}", i.arn),
                IamKind::RoleSession => format!(
                    "role session {}",
                    i.session_arn.as_deref().unwrap_or(&i.arn)
                ),
                IamKind::FederatedUser => format!("federated user {}", i.arn),
            };
            let tags: Vec<String> = i.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!(", tagged {}", tags.join(", "))
            };
            format!("{who} ({}{tags})", org_phrase(caller))
        }
    }
}

fn describe_network(r: &Request) -> String {
    let one = |k: &str| match r.lookup(k) {
        Some(Values::One(v)) => Some(v.to_owned()),
        _ => None,
    };
    match (one("aws:sourcevpce"), one("aws:sourceip")) {
        (Some(vpce), _) => match one("aws:sourcevpc") {
            Some(vpc) => format!("through VPC endpoint {vpce} in {vpc}"),
            None => format!("through VPC endpoint {vpce}"),
        },
        (None, Some(ip)) => format!("from {ip}"),
        (None, None) => "from an unspecified network".to_owned(),
    }
}

fn caller_json(caller: &Caller) -> Value {
    match caller {
        Caller::Anonymous => json!({"kind": "anonymous"}),
        Caller::Service { name } => json!({"kind": "service", "service": name}),
        Caller::Federated { provider } => json!({"kind": "federated", "provider": provider}),
        Caller::CloudFrontOai { id } => json!({"kind": "cloudfront-oai", "id": id}),
        Caller::Iam(i) => json!({
            "kind": match i.kind {
                IamKind::Root => "root",
                IamKind::User => "user",
                IamKind::RoleSession => "role-session",
                IamKind::FederatedUser => "federated-user",
            },
            "account": i.account,
            "arn": i.arn,
            "session": i.session_arn,
            "organization": i.org.as_ref().map(|o| o.id.clone()),
            "orgPaths": i.org.as_ref().map(|o| o.paths.clone()),
            "tags": i.tags,
            "canonicalUser": i.canonical_user,
        }),
    }
}
