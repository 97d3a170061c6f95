//! The actions and resource ARNs a request can name: real ones, from the service tables
//! (`iam::services`), for every service that has a table; a generic model (any action name the
//! policy's patterns admit, on any ARN) for the others.
//!
//! Actions are drawn one per class: two actions that every action pattern of the policy treats
//! alike and that act on the same resource types decide every check alike, so one of them
//! stands for the class. ARNs are drawn per resource type: a fresh one, and one per policy
//! pattern filled with values of each placeholder's kind.

use crate::iam::arn;
use crate::iam::pattern::{self, Tok};
use crate::iam::services::{self, ServiceTable};

/// What the resource of a request for an action can be: a set of resource types, as a mask
/// over every ARN format of every table, plus two pseudo-types (any ARN, no resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit(u128);

/// Any ARN: a service without a table (the generic model).
const ANY_ARN: u128 = 1 << 126;
/// No resource: an action that acts on none (`s3:ListAllMyBuckets`) is authorized on `*`.
const NONE: u128 = 1 << 127;

impl Fit {
    pub const GENERIC: Fit = Fit(ANY_ARN);

    /// Whether a request for the action can name `arn`.
    pub fn admits(self, arn: &str) -> bool {
        self.admits_mask(arn_mask(arn, self))
    }

    /// Whether a request for the action can name an ARN of this [`arn_mask`].
    pub fn admits_mask(self, mask: u128) -> bool {
        self.0 & mask != 0
    }

    pub fn is_resourceless(self) -> bool {
        self.0 & NONE != 0
    }
}

/// The services requests through an attachment can call.
#[derive(Debug, Clone, Default)]
pub struct ServiceScope {
    pub tables: Vec<&'static ServiceTable>,
    /// Prefixes modelled generically (no table).
    pub generic: Vec<String>,
    /// Only actions on the resource types of one S3 door (a bucket or access point policy).
    pub restrict: Restrict,
}

/// The resource types a resource policy's requests can act on: those of the door it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restrict {
    /// Any type (an endpoint policy).
    #[default]
    Any,
    /// A general purpose bucket and its objects (`s3` `bucket`, `object`); a Multi-Region
    /// Access Point acts as one (see `Door::typed_arn`).
    Bucket,
    /// An access point and its objects (`s3` `accesspoint`, `accesspointobject`).
    AccessPoint,
    /// A directory bucket (`s3express` `bucket`).
    Directory,
}

impl Restrict {
    pub fn of(attachment: &super::model::Attachment) -> Self {
        use super::model::{Attachment, DoorKind};
        match attachment {
            Attachment::Endpoint { .. } | Attachment::Guardrail(_) => Restrict::Any,
            Attachment::Bucket { .. } => Restrict::Bucket,
            Attachment::Door(d) => match d.kind {
                DoorKind::AccessPoint => Restrict::AccessPoint,
                DoorKind::MultiRegionAccessPoint => Restrict::Bucket,
                DoorKind::DirectoryBucket => Restrict::Directory,
                // No action table: modelled generically, on the door's own ARN.
                DoorKind::ObjectLambdaAccessPoint => Restrict::Any,
            },
        }
    }

    /// The (service, resource type) pairs it keeps.
    fn types(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Restrict::Any => &[],
            Restrict::Bucket => &[("s3", "bucket"), ("s3", "object")],
            Restrict::AccessPoint => &[("s3", "accesspoint"), ("s3", "accesspointobject")],
            Restrict::Directory => &[("s3express", "bucket")],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
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

/// A table's actions, prepared once: names, fits, the order representatives are chosen in.
struct TableCatalog {
    table: &'static ServiceTable,
    /// In the order a representative is chosen (see [`WELL_KNOWN`]).
    actions: Vec<ActionEntry>,
    /// Indices into `actions`, sorted by lower-cased name, for lookups.
    by_name: Vec<usize>,
}

struct ActionEntry {
    /// `prefix:Name` as AWS spells it.
    name: String,
    lower: String,
    fit: Option<Fit>,
}

/// An ARN format taken apart once.
struct Format {
    text: &'static str,
    components: [Vec<services::FormatPart<'static>>; 6],
    /// A fresh ARN of this format, split where the account goes (no account: all in `.0`).
    fresh: (String, Option<String>),
    /// The six components as written (`${Placeholder}` and literal text).
    parts: [&'static str; 6],
    /// The resource component as a pattern (see [`format_glob`]).
    resource_glob: Vec<Tok>,
}

struct Catalog {
    formats: Vec<Format>,
    /// For each service component a format can have, the formats an ARN with it may fit (a
    /// format whose service is not plain text is in every entry and in `any_service`).
    by_service: Vec<(&'static str, u128)>,
    any_service: u128,
    tables: Vec<TableCatalog>,
    /// The formats each [`Restrict`] keeps, by its index.
    restrict_masks: [u128; 4],
}

impl Catalog {
    /// The formats an ARN whose service component is `service` may fit.
    fn service_mask(&self, service: &str) -> u128 {
        self.by_service
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(self.any_service, |(_, m)| *m)
    }
}

fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut formats: Vec<Format> = Vec::new();
        let mut format_id = |text: &'static str| -> Option<usize> {
            if let Some(i) = formats.iter().position(|f| f.text == text) {
                return Some(i);
            }
            let components = services::format_components(text)?;
            let parts = arn::split(text)?;
            let marker = "\u{1}";
            let filled = services::fresh_arn(text, &[("Account", marker)])?;
            let fresh = match filled.split_once(marker) {
                Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
                None => (filled, None),
            };
            formats.push(Format {
                text,
                components,
                fresh,
                resource_glob: format_glob(parts[5]),
                parts,
            });
            Some(formats.len() - 1)
        };
        let mut tables = Vec::new();
        let mut restrict_masks = [0u128; 4];
        for table in services::services() {
            let mut ordered: Vec<&services::ServiceAction> = table.actions().iter().collect();
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
            let mut actions = Vec::new();
            for a in ordered {
                let mut mask = 0u128;
                // The plainest ARN first is kept by the format order of the table.
                for r in &a.resource_types {
                    let Some(t) = table.resource_type(&r.name) else {
                        continue;
                    };
                    let Some(id) = format_id(t.arn_format.as_str()) else {
                        continue;
                    };
                    mask |= 1 << id;
                    for restrict in [Restrict::Bucket, Restrict::AccessPoint, Restrict::Directory] {
                        if restrict.types().iter().any(|(svc, ty)| {
                            table.prefix.eq_ignore_ascii_case(svc) && r.name == *ty
                        }) {
                            restrict_masks[restrict.index()] |= 1 << id;
                        }
                    }
                }
                let fit = match (a.resource_types.is_empty(), mask) {
                    (true, _) => Some(Fit(NONE)),
                    (false, 0) => None,
                    (false, m) => Some(Fit(m)),
                };
                let name = format!("{}:{}", table.prefix, a.name);
                actions.push(ActionEntry {
                    lower: name.to_ascii_lowercase(),
                    name,
                    fit,
                });
            }
            let mut by_name: Vec<usize> = (0..actions.len()).collect();
            by_name.sort_by(|a, b| actions[*a].lower.cmp(&actions[*b].lower));
            tables.push(TableCatalog {
                table,
                actions,
                by_name,
            });
        }
        // Bits 126 and 127 are the pseudo-types: the tables hold far fewer formats (73).
        assert!(formats.len() < 126, "{} ARN formats", formats.len());
        let mut by_service: Vec<(&'static str, u128)> = Vec::new();
        let mut any_service = 0u128;
        for (i, f) in formats.iter().enumerate() {
            match f.parts[2] {
                s if !s.contains("${") => match by_service.iter_mut().find(|(t, _)| *t == s) {
                    Some((_, m)) => *m |= 1 << i,
                    None => by_service.push((s, 1 << i)),
                },
                _ => any_service |= 1 << i,
            }
        }
        for (_, m) in &mut by_service {
            *m |= any_service;
        }
        Catalog {
            formats,
            by_service,
            any_service,
            tables,
            restrict_masks,
        }
    })
}

fn table_catalog(prefix: &str) -> Option<&'static TableCatalog> {
    catalog()
        .tables
        .iter()
        .find(|t| t.table.prefix.eq_ignore_ascii_case(prefix))
}

/// The fit of a real action (`prefix:Name`, any case), restricted to the resource types of
/// `restrict`; `None` when the service has a table that does not list the action (no request
/// names it) or when the action acts on none of the kept types.
pub fn fit_of(action: &str, restrict: Restrict) -> Option<Fit> {
    let (prefix, _) = action.split_once(':')?;
    let Some(t) = table_catalog(prefix) else {
        return Some(Fit(ANY_ARN));
    };
    let lower = action.to_ascii_lowercase();
    match t
        .by_name
        .binary_search_by(|i| t.actions[*i].lower.as_str().cmp(&lower))
    {
        Ok(i) => restricted(t.actions[t.by_name[i]].fit, restrict),
        // The tables are a snapshot and AWS adds actions: a well-formed name they lack may be
        // a newer action, modelled generically (see [`unlisted_actions`]).
        Err(_) => crate::iam::policy::is_concrete_action(action).then_some(Fit(ANY_ARN)),
    }
}

fn restricted(fit: Option<Fit>, restrict: Restrict) -> Option<Fit> {
    match restrict {
        Restrict::Any => fit,
        r => {
            let mask = catalog().restrict_masks[r.index()];
            fit.map(|f| f.0 & mask).filter(|m| *m != 0).map(Fit)
        }
    }
}

/// The actions a policy names literally (no wildcard) for a service of the scope that has a
/// table, but that the table does not list: newer than the tables, or misspelt. Either way AWS
/// decides what they grant, not the tables, so they are modelled generically (any ARN) and
/// reported, rather than taken to grant nothing.
pub fn unlisted_actions(scope: &ServiceScope, written: &[Vec<Tok>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in written {
        if pattern::has_wildcard(p) {
            continue;
        }
        let name = pattern::render(p);
        let Some((prefix, _)) = name.split_once(':') else {
            continue;
        };
        let in_scope = scope
            .tables
            .iter()
            .any(|t| t.prefix.eq_ignore_ascii_case(prefix));
        if in_scope
            && crate::iam::policy::is_concrete_action(&name)
            && services::qualified_action(&name).is_none()
            && !out.iter().any(|o| o.eq_ignore_ascii_case(&name))
        {
            out.push(name);
        }
    }
    out
}

/// The mask of what `arn` is: the formats among `candidates` (a fit or a union of fits) it
/// fits, any-ARN unless it is `*`, and no-resource when it is.
pub fn arn_mask(arn: &str, candidates: Fit) -> u128 {
    if arn == NO_RESOURCE {
        return NONE;
    }
    let Some(parts) = arn::split(arn) else {
        return 0;
    };
    let c = catalog();
    let mut mask = ANY_ARN;
    let mut bits = candidates.0 & !(ANY_ARN | NONE) & c.service_mask(parts[2]);
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if services::components_fit(&c.formats[i].components, &parts) {
            mask |= 1 << i;
        }
    }
    mask
}

/// One real action per class of the scope's tables, with its fit. `patterns` are the policy's
/// action patterns, lower-cased (IAM matches action names case-insensitively). Two actions are
/// of one class when every pattern treats them alike and they act on the same resource types.
pub fn real_actions(scope: &ServiceScope, patterns: &[Vec<Tok>]) -> Vec<(String, Fit)> {
    // Signatures are bit sets of the patterns that match; past 128 patterns the later ones
    // share a bit (a coarser class split, still one real action per class).
    let mut seen: Vec<(u128, Fit)> = Vec::new();
    let mut out = Vec::new();
    for table in &scope.tables {
        let Some(t) = table_catalog(&table.prefix) else {
            continue;
        };
        let prefix = format!("{}:", t.table.prefix.to_ascii_lowercase());
        // Patterns that cannot match this service's actions do not split its classes; a
        // pattern without wildcards names one action, found by name.
        let mut wild: Vec<(usize, &Vec<Tok>)> = Vec::new();
        let mut named: Vec<(usize, usize)> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            if !pattern::matches_prefix_possible(p, &prefix) {
                continue;
            }
            if pattern::has_wildcard(p) {
                wild.push((i, p));
            } else {
                let name = pattern::render(p);
                if let Ok(k) = t
                    .by_name
                    .binary_search_by(|j| t.actions[*j].lower.as_str().cmp(&name))
                {
                    named.push((i, t.by_name[k]));
                }
            }
        }
        for (index, a) in t.actions.iter().enumerate() {
            let Some(fit) = restricted(a.fit, scope.restrict) else {
                continue;
            };
            let mut signature = 0u128;
            for (i, p) in &wild {
                if pattern::matches(p, &a.lower) {
                    signature |= 1 << (i % 128);
                }
            }
            for (i, j) in &named {
                if *j == index {
                    signature |= 1 << (i % 128);
                }
            }
            if !seen.contains(&(signature, fit)) {
                seen.push((signature, fit));
                out.push((a.name.clone(), fit));
            }
        }
    }
    out
}

/// The ARN formats of every resource type the actions act on, in the order first met.
pub fn formats(actions: &[(String, Fit)]) -> Vec<&'static str> {
    let c = catalog();
    let mut seen = 0u128;
    let mut out = Vec::new();
    for (_, fit) in actions {
        let mut bits = fit.0 & !(ANY_ARN | NONE) & !seen;
        seen |= bits;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            out.push(c.formats[i].text);
        }
    }
    // The plainest ARN first (a bucket's object before an access point's).
    out.sort_by_key(|f| f.len());
    out
}

/// The union of fits: every resource type some action acts on.
pub fn union(fits: &[Fit]) -> Fit {
    Fit(fits.iter().fold(0, |m, f| m | f.0))
}

/// ARNs of one resource type: a fresh one per account given, and, for each policy pattern that
/// can name this type, the pattern filled with values of each placeholder's kind.
pub fn typed_arns(format: &'static str, patterns: &[Vec<Tok>], accounts: &[String]) -> Vec<String> {
    let Some(compiled) = catalog().formats.iter().find(|f| f.text == format) else {
        return Vec::new();
    };
    let fits =
        |s: &str| arn::split(s).is_some_and(|p| services::components_fit(&compiled.components, &p));
    let mut out = Distinct::default();
    match &compiled.fresh {
        (whole, None) => out.push(whole.clone()),
        (head, Some(tail)) => {
            for a in accounts.iter().take(3) {
                out.push([head.as_str(), a, tail].concat());
            }
        }
    }
    let f = &compiled.parts;
    for p in patterns {
        if pattern::is_match_all(p) {
            continue;
        }
        let Some(pp) = arn::split_tokens(p) else {
            continue;
        };
        if !pattern::matches(pp[2], f[2]) || !pattern::may_meet(pp[5], &compiled.resource_glob) {
            continue;
        }
        // A bucket name has no `/`: a pattern whose resource holds one names objects only.
        if f[5] == "${BucketName}" && pp[5].contains(&Tok::Lit('/')) {
            continue;
        }
        fill(&pp, f, &compiled.resource_glob, accounts, &fits, &mut out);
    }
    out.items.into_iter().collect()
}

/// Values in the order first given, each once.
#[derive(Default)]
struct Distinct {
    items: indexmap::IndexSet<String, foldhash::fast::RandomState>,
}

impl Distinct {
    fn push(&mut self, s: String) {
        self.items.insert(s);
    }
}

/// How a wildcard is filled when a pattern meets a format, tried in turn until one makes a
/// well-formed value: empty, short and longer runs of characters legal in names (`my-*` needs a
/// letter after the hyphen to be a bucket name, `*` three characters), and one crossing a `/`
/// for a bucket pattern that names objects too. `#` (legal in an object key, in no name) is
/// tried as well, to keep a key apart from every literal.
const FILLS: &[(&str, char)] = &[
    ("z", 'z'),
    ("", 'z'),
    ("zz0", '0'),
    ("0", '0'),
    ("zz0/zz0", '0'),
];
const APART: (&str, char) = ("#", '#');

/// The ARNs of format `f` that pattern `pp` names: its first five components filled with
/// values of their kind, the resource with the first fill that fits and with the `#` fill.
fn fill(
    pp: &[&[Tok]; 6],
    f: &[&str; 6],
    resource_glob: &[Tok],
    accounts: &[String],
    fits: &dyn Fn(&str) -> bool,
    out: &mut Distinct,
) {
    let mut heads: Vec<String> = vec![String::new()];
    for i in 0..5 {
        let values = component_values(pp[i], f[i], accounts);
        if values.is_empty() {
            return;
        }
        heads = heads
            .iter()
            .flat_map(|h| values.iter().map(move |v| [h.as_str(), v, ":"].concat()))
            .take(16)
            .collect();
    }
    let push = |resource: &str, out: &mut Distinct| -> bool {
        let mut any = false;
        for h in &heads {
            let s = [h.as_str(), resource].concat();
            if fits(&s) {
                any = true;
                out.push(s);
            }
        }
        any
    };
    // A pattern that spells out the start of a bucket name S3 rejects (upper case, `_`) names
    // no ARN of a bucket format, whatever its wildcards become (S3 User Guide, "General purpose
    // bucket naming rules").
    if f[5].starts_with("${BucketName}") && !names_some_bucket(pp[5]) {
        return;
    }
    // A resource without wildcards is its one value, whatever the fill.
    if !pattern::has_wildcard(pp[5]) {
        push(&pattern::render(pp[5]), out);
        return;
    }
    let mut found = false;
    for (star, one) in FILLS {
        if push(&pattern::witness(pp[5], star, *one), out) {
            found = true;
            break;
        }
    }
    push(&pattern::witness(pp[5], APART.0, APART.1), out);
    // IAM's `*` in a bucket name crosses the `/` after it; a perimeter's pattern does not
    // (`arn::matches_by_bucket`): the object whose key holds the rest of the name tells them
    // apart (`amazonlinux.*.amazonaws.com/*` names `amazonlinux.zz0/zz0.amazonaws.com/z`).
    if f[5].starts_with("${BucketName}/")
        && let Some(w) = crossing_bucket_name(pp[5])
    {
        push(&w, out);
    }
    // The fills suffice unless the format needs text the pattern leaves to a wildcard
    // (`accesspoint/*` meeting `accesspoint/${Name}/object/${Key}`).
    if !found {
        for filler in ['z', '0'] {
            if let Some(w) = pattern::intersection(pp[5], resource_glob, filler) {
                push(&w, out);
            }
        }
    }
}

/// The resource with the first wildcard of its bucket name filled across a `/`, the others
/// shortly, if the bucket name has a `*`.
fn crossing_bucket_name(resource: &[Tok]) -> Option<String> {
    let end = resource
        .iter()
        .position(|t| *t == Tok::Lit('/'))
        .unwrap_or(resource.len());
    let first = resource[..end].iter().position(|t| *t == Tok::AnyRun)?;
    let mut out = String::new();
    for (i, t) in resource.iter().enumerate() {
        match t {
            Tok::Lit(c) => out.push(*c),
            Tok::AnyRun if i == first => out.push_str("zz0/zz0"),
            Tok::AnyRun => out.push('z'),
            Tok::AnyOne => out.push('z'),
        }
    }
    Some(out)
}

/// Whether a Resource pattern's literal start (up to its first wildcard) can begin a bucket
/// name followed, where the pattern has a `/`, by the rest of the ARN.
fn names_some_bucket(resource: &[Tok]) -> bool {
    let head: String = resource
        .iter()
        .map_while(|t| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    let complete = head.len() == resource.len();
    match head.split_once('/') {
        Some((name, _)) => arn::is_bucket_name(name),
        None if complete => arn::is_bucket_name(&head),
        None => arn::may_begin_bucket_name(&head),
    }
}

/// Values of one of the first five components: the pattern's text where it has no wildcard,
/// else a value of the placeholder's kind that the pattern admits.
fn component_values(p: &[Tok], comp: &str, accounts: &[String]) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    if !pattern::has_wildcard(p) {
        values.push(pattern::render(p));
        return values;
    }
    match comp {
        "${Partition}" if pattern::matches(p, "aws") => values.push("aws".into()),
        "${Region}" if pattern::matches(p, "us-east-1") => values.push("us-east-1".into()),
        "${Account}" => values.extend(
            accounts
                .iter()
                .filter(|a| pattern::matches(p, a))
                .take(4)
                .cloned(),
        ),
        _ if !comp.contains("${") => {
            if pattern::matches(p, comp) {
                values.push(comp.to_owned());
            }
        }
        _ => {
            let glob = format_glob(comp);
            // Every fill the format's shape admits: which one is a value of the right kind
            // (a region ends in a digit) is for the whole ARN's check to say.
            for (star, one) in FILLS {
                let w = pattern::witness(p, star, *one);
                if pattern::matches(&glob, &w) && !values.contains(&w) {
                    values.push(w);
                }
            }
        }
    }
    values
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

/// Whether the caller can make a request for the action: anonymous callers only where
/// [`admits_anonymous`]; a web-identity or SAML session named by a `Federated` principal only
/// when it assumes a role (IAM User Guide, "AWS JSON policy elements: Principal", federated
/// user principals: a role trust policy names them; every other request comes from the role
/// session that results).
pub fn caller_may_call(caller: &crate::iam::request::Caller, action: &str) -> bool {
    use crate::iam::request::Caller;
    match caller {
        Caller::Anonymous => admits_anonymous(action),
        Caller::Federated { .. } => {
            action.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity")
                || action.eq_ignore_ascii_case("sts:AssumeRoleWithSAML")
        }
        _ => true,
    }
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
        let restrict = if bucket_only {
            Restrict::Bucket
        } else {
            Restrict::Any
        };
        ServiceScope {
            tables: vec![services::service("s3").expect("s3")],
            generic: vec![],
            restrict,
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
            assert!(!fit.is_resourceless() && *fit != Fit::GENERIC, "{a}");
        }
        assert!(
            !names
                .iter()
                .any(|a| a.eq_ignore_ascii_case("s3:ListAllMyBuckets"))
        );
        let all = real_actions(&s3_scope(false), &patterns);
        assert!(all.iter().any(|(_, f)| f.is_resourceless()));
        assert!(all.len() > actions.len());
    }

    #[test]
    fn object_actions_fit_object_arns_with_a_key() {
        let fit = fit_of("s3:GetObject", Restrict::Bucket).expect("fit");
        assert!(fit.admits("arn:aws:s3:::example-bucket/key"));
        assert!(!fit.admits("arn:aws:s3:::example-bucket/"));
        assert!(!fit.admits("arn:aws:s3:::example-bucket"));
        let list = fit_of("s3:ListBucket", Restrict::Bucket).expect("fit");
        assert!(list.admits("arn:aws:s3:::example-bucket"));
        assert_eq!(
            fit_of("s3:FreshAction", Restrict::Any),
            Some(Fit::GENERIC),
            "a name the table lacks may be a newer action"
        );
        assert_eq!(fit_of("s3:Fresh Action", Restrict::Any), None);
        assert_eq!(
            fit_of("ec2:RunInstances", Restrict::Any),
            Some(Fit::GENERIC)
        );
        let list_all = fit_of("s3:ListAllMyBuckets", Restrict::Any).expect("fit");
        assert!(list_all.admits("*") && !list_all.admits("arn:aws:s3:::example-bucket"));
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

    /// A bucket name is lower-case letters, digits, dots and hyphens (S3 User Guide, "General
    /// purpose bucket naming rules"): `DOC-EXAMPLE-BUCKET/*`, as AWS's examples write it,
    /// names no object that can exist; its lower-case twin does.
    #[test]
    fn patterns_naming_impossible_buckets_fill_no_arn() {
        let s3 = services::service("s3").expect("s3");
        for kind in ["object", "bucket"] {
            let format = s3
                .resource_type(kind)
                .map(|r| r.arn_format.as_str())
                .expect("format");
            let fresh = typed_arns(format, &[], &["111122223333".into()]);
            for (written, fills) in [
                ("arn:aws:s3:::DOC-EXAMPLE-BUCKET/*", false),
                ("arn:aws:s3:::DOC-EXAMPLE-BUCKET", false),
                ("arn:aws:s3:::Logs-*", false),
                ("arn:aws:s3:::doc-example-bucket/*", kind == "object"),
                ("arn:aws:s3:::doc-example-bucket", kind == "bucket"),
                ("arn:aws:s3:::logs-*", true),
            ] {
                let arns = typed_arns(format, &[glob(written)], &["111122223333".into()]);
                let filled: Vec<&String> = arns.iter().filter(|a| !fresh.contains(a)).collect();
                assert_eq!(!filled.is_empty(), fills, "{kind} {written}: {filled:?}");
                for a in filled {
                    assert!(services::arn_fits(format, a), "{a}");
                }
            }
        }
    }
}
