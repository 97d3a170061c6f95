//! The finite universe the search ranges over: candidate values for every part of a request,
//! built from the literals of the policy and the perimeter.

use std::collections::{BTreeMap, BTreeSet};

use crate::iam::arn;
use crate::iam::condition::{Base, PolicyValue};
use crate::iam::keys;
use crate::iam::pattern::{self, Tok};
use crate::iam::policy::{Policy, PrincipalClause};
use crate::iam::principal::{Entry, IamEntryKind};
use crate::iam::request::{
    Caller, ContextValue, IamIdentity, IamKind, Org, account_identity, iam_identity,
};
use crate::iam::services;
use crate::iam::template::{Lookup, NoVariables, Template};

use super::catalog::{self, Fit, ServiceScope};
use super::model::{
    self as m, ACCESS_POINT_KEYS, ALWAYS_PRESENT, Attachment, CALLED_VIA_KEYS, Door, DoorKind,
    Perimeter,
};
use super::related;
use super::values::{self, Pool};

/// How requests reach the resource: the network part of the context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub vpce: Option<String>,
    pub vpc: Option<String>,
    pub ip: Option<String>,
    pub vpc_source_ip: Option<String>,
}

/// A free context key and its candidate values (`None`: absent).
#[derive(Debug, Clone)]
pub struct FreeKey {
    pub key: String,
    pub candidates: Vec<Option<ContextValue>>,
}

#[derive(Debug, Clone, Default)]
pub struct Universe {
    /// Whether the resource's owner must be inside the perimeter (a bucket policy's bucket, a
    /// door whose owner the manifest does not name).
    pub bucket_policy: bool,
    /// What the policy is attached to.
    pub attachment: Option<Attachment>,
    /// Who calls, without organisation or tags (those are separate parts of the search).
    pub callers: Vec<Caller>,
    /// The organisation (and OU path) of an IAM caller, or none.
    pub caller_orgs: Vec<Option<Org>>,
    /// The principal tags of an IAM caller.
    pub caller_tags: Vec<BTreeMap<String, String>>,
    pub actions: Vec<String>,
    /// What each action (same index) can act on.
    pub action_fits: Vec<Fit>,
    pub arns: Vec<String>,
    /// A bucket policy's bucket, when known (see `catalog::own_bucket`).
    pub own_bucket: Option<String>,
    /// What each ARN (same index) is (see `catalog::arn_mask`).
    pub arn_masks: Vec<u128>,
    /// Whether anonymous callers can call each action (same index).
    pub anonymous_ok: Vec<bool>,
    pub resource_accounts: Vec<Option<String>>,
    pub resource_orgs: Vec<Option<Org>>,
    pub resource_tags: Vec<BTreeMap<String, String>>,
    pub networks: Vec<Network>,
    pub keys: Vec<FreeKey>,
}

/// Too many candidates to search: the caller fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMany(pub String);

const MAX_CALLERS: usize = 20_000;
const MAX_TAG_COMBINATIONS: usize = 256;

/// Families of keys whose values are compared with each other, directly or through variables.
fn domain(key: &str) -> &str {
    match key {
        "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" | "aws:vpceorgid" => "org",
        "aws:principalaccount"
        | "aws:resourceaccount"
        | "s3:resourceaccount"
        | "s3express:resourceaccount"
        | "aws:sourceaccount"
        | "aws:vpceaccount"
        | "s3:dataaccesspointaccount"
        | "aws:sourceowner" => "account",
        "aws:principalorgpaths"
        | "aws:resourceorgpaths"
        | "aws:sourceorgpaths"
        | "aws:vpceorgpaths" => "orgpath",
        "aws:sourcevpc" | "aws:ec2instancesourcevpc" => "vpc",
        "aws:sourcevpce" => "vpce",
        "aws:sourceip" | "aws:vpcsourceip" | "aws:ec2instancesourceprivateipv4" => "ip",
        "aws:principalservicename"
        | "aws:principalservicenameslist"
        | "aws:calledvia"
        | "aws:calledviafirst"
        | "aws:calledvialast" => "service",
        "aws:principalarn" => "principalarn",
        other => other,
    }
}

/// Everything the policy and the perimeter say, by domain.
#[derive(Default)]
struct Gathered {
    pools: BTreeMap<String, Pool>,
    /// Keys read by conditions (lower-case), with whether a set operator reads them.
    keys: BTreeMap<String, bool>,
    /// Condition and resource templates that hold variables, with the domain they feed.
    templated: Vec<(String, Template, bool)>,
    arn_patterns: Vec<Vec<Tok>>,
    /// Action patterns lower-cased (matching is case-insensitive) and as written (for witnesses).
    actions: Vec<Vec<Tok>>,
    actions_written: Vec<Vec<Tok>>,
    entries: Vec<Entry>,
}

impl Gathered {
    /// The pool of `domain`, empty when nothing names one.
    fn pool_of(&self, domain: &str) -> &Pool {
        self.pools.get(domain).unwrap_or(&values::EMPTY)
    }

    fn pool(&mut self, domain: &str) -> &mut Pool {
        // Most calls find the pool: the key is copied only the first time.
        if !self.pools.contains_key(domain) {
            self.pools.insert(domain.to_owned(), Pool::default());
        }
        self.pools.get_mut(domain).expect("inserted above")
    }
}

fn gather(policy: &Policy, perimeter: &Perimeter) -> Gathered {
    let mut g = Gathered::default();
    for st in &policy.statements {
        match &st.principal {
            Some(PrincipalClause::Principal(p)) | Some(PrincipalClause::NotPrincipal(p)) => {
                g.entries
                    .extend(p.entries.iter().map(|(_, _, e)| e.clone()));
            }
            None => {}
        }
        g.actions
            .extend(st.action.patterns.iter().map(|a| a.pattern.clone()));
        g.actions_written
            .extend(st.action.patterns.iter().map(|a| pattern::glob(&a.written)));
        if let Some(r) = &st.resource {
            for t in &r.patterns {
                if t.has_variables() {
                    // A variable is a key the search must fix like any other.
                    for var in t.variables() {
                        g.keys.entry(var.to_owned()).or_insert(false);
                    }
                    g.templated.push(("resource".into(), t.clone(), true));
                } else if let Some(toks) = t.resolve_glob(&NoVariables) {
                    g.arn_patterns.push(toks.into_owned());
                }
            }
        }
        for c in &st.conditions {
            let set = c.operator.set.is_some();
            let multivalued = keys::global(&c.key).is_some_and(|k| k.multivalued);
            g.keys
                .entry(c.key.clone())
                .and_modify(|s| *s |= set)
                .or_insert(set || multivalued);
            let d = domain(&c.key).to_owned();
            for v in &c.values {
                match v {
                    PolicyValue::Text(t) => {
                        for var in t.variables() {
                            g.keys.entry(var.to_owned()).or_insert(false);
                        }
                        let glob = matches!(c.operator.base, Base::StringLike | Base::Arn);
                        if t.has_variables() {
                            g.templated.push((d.clone(), t.clone(), glob));
                            continue;
                        }
                        let pool = g.pool(&d);
                        if c.operator.base == Base::StringEqualsIgnoreCase {
                            pool.ignore_case = true;
                        }
                        if glob {
                            if let Some(toks) = t.resolve_glob(&NoVariables) {
                                pool.add_text(&toks);
                            }
                        } else if let Some(lit) = t.resolve_literal(&NoVariables) {
                            pool.literals.insert(lit.into_owned());
                        }
                    }
                    PolicyValue::Number(n) => g.pool(&d).numbers.push(*n),
                    PolicyValue::Date(ms) => g.pool(&d).dates.push(*ms),
                    PolicyValue::Bool(_) => g.pool(&d).bools = true,
                    PolicyValue::Binary(b) => {
                        use base64::Engine as _;
                        g.pool(&d)
                            .binaries
                            .insert(base64::engine::general_purpose::STANDARD.encode(b));
                    }
                    PolicyValue::Ip(net) => g.pool(&d).nets.push(*net),
                }
            }
        }
    }
    // Principals the perimeter exempts by ARN, and (by the pool's fresh values) others.
    for toks in perimeter
        .resource_exempt_arns
        .iter()
        .chain(&perimeter.network_exempt_arns)
    {
        g.pool("principalarn").add_text(toks);
    }
    // Accounts named inside ARNs (principal ARN conditions, resource patterns, the sources of
    // service principals, the access points of s3:DataAccessPointArn) are accounts too.
    let mut arn_accounts: Vec<String> = Vec::new();
    let condition_arns: Vec<Vec<Tok>> = ["principalarn", "aws:sourcearn", "s3:dataaccesspointarn"]
        .iter()
        .filter_map(|key| g.pools.get(*key))
        .flat_map(Pool::patterns)
        .collect();
    for toks in condition_arns.iter().chain(&g.arn_patterns) {
        if let Some(parts) = arn::split_tokens(toks) {
            let account = pattern::render(parts[4]);
            if arn::is_account_id(&account) && !pattern::has_wildcard(parts[4]) {
                arn_accounts.push(account);
            }
        }
    }
    // A VPC named inside an aws:SourceVpcArn literal or pattern is a VPC a request can come from.
    let vpc_arns = g
        .pools
        .get("aws:sourcevpcarn")
        .map(Pool::patterns)
        .unwrap_or_default();
    for toks in &vpc_arns {
        if let Some(parts) = arn::split_tokens(toks)
            && let Some(id) = parts[5].strip_prefix(pattern::literal("vpc/").as_slice())
            && !id.is_empty()
        {
            g.pool("vpc").add_text(id);
        }
    }
    // The root user's aws:userid is its account id, a federated user's starts with it.
    if let Some(pool) = g.pools.get("aws:userid") {
        for l in &pool.literals {
            let account = l.split_once(':').map_or(l.as_str(), |(a, _)| a);
            if arn::is_account_id(account) {
                arn_accounts.push(account.to_owned());
            }
        }
    }
    let accounts = g.pool("account");
    accounts.literals.extend(arn_accounts);
    accounts
        .literals
        .extend(perimeter.identity_accounts.iter().cloned());
    accounts
        .literals
        .extend(perimeter.resource_accounts.iter().cloned());
    accounts.literals.extend(
        perimeter
            .identity_excluded_accounts
            .iter()
            .chain(&perimeter.resource_excluded_accounts)
            .cloned(),
    );
    for tp in &perimeter.third_parties {
        g.pool("account")
            .literals
            .extend(tp.accounts.iter().cloned());
        // A third party's actions split the policy's classes of actions: the one action that
        // stands for a class must not be inside the bound while another of its class is not.
        if let Some(actions) = &tp.actions {
            g.actions.extend(actions.iter().cloned());
        }
    }
    // Principals in the perimeter's OUs, in those it excludes, and (r-fresh) elsewhere.
    g.pool("orgpath").literals.extend(
        perimeter
            .identity_org_paths
            .iter()
            .chain(&perimeter.endpoint_org_paths)
            .chain(&perimeter.identity_excluded_org_paths)
            .chain(&perimeter.resource_org_paths)
            .chain(&perimeter.resource_excluded_org_paths)
            .cloned(),
    );
    // A service principal acting for a resource carries aws:SourceAccount (and, in an
    // organization, aws:SourceOrgID); when sources bound trust, the search must try both.
    if perimeter.trust_service_principals
        && let Some(sources) = &perimeter.service_sources
    {
        g.keys
            .entry("aws:sourceaccount".to_owned())
            .or_insert(false);
        g.pool("account")
            .literals
            .extend(sources.accounts.iter().cloned());
        if !sources.orgs.is_empty() {
            g.keys.entry("aws:sourceorgid".to_owned()).or_insert(false);
            g.pool("org").literals.extend(sources.orgs.iter().cloned());
        }
    }
    // An exclusion of an endpoint's or a source's owner reads the owner's account and OU path:
    // a request without them would escape it, so the search tries them.
    let excludes = |keys: &mut BTreeMap<String, bool>, account: &str, paths: &str| {
        if !perimeter.identity_excluded_accounts.is_empty() {
            keys.entry(account.to_owned()).or_insert(false);
        }
        if !perimeter.identity_excluded_org_paths.is_empty() {
            keys.entry(paths.to_owned()).or_insert(true);
        }
    };
    if !(perimeter.endpoint_orgs.is_empty()
        && perimeter.endpoint_accounts.is_empty()
        && perimeter.endpoint_org_paths.is_empty())
    {
        excludes(&mut g.keys, "aws:vpceaccount", "aws:vpceorgpaths");
    }
    if perimeter.trust_service_principals && perimeter.service_sources.is_some() {
        excludes(&mut g.keys, "aws:sourceaccount", "aws:sourceorgpaths");
    }
    // aws:CalledVia, aws:CalledViaFirst and aws:CalledViaLast exist only when
    // aws:ViaAWSService is true (IAM User Guide, global condition keys, aws:CalledVia): a request
    // carrying them is one the search reaches only by fixing aws:ViaAWSService too.
    if CALLED_VIA_KEYS.iter().any(|k| g.keys.contains_key(*k)) {
        g.keys
            .entry("aws:viaawsservice".to_owned())
            .or_insert(false);
    }
    // OU paths lie in the owner's organization (see `model::endpoint_owner_consistent`): a
    // request with paths has the organization key too.
    for (paths, org) in [
        ("aws:vpceorgpaths", "aws:vpceorgid"),
        ("aws:sourceorgpaths", "aws:sourceorgid"),
    ] {
        if g.keys.contains_key(paths) {
            g.keys.entry(org.to_owned()).or_insert(false);
        }
    }
    // The source's organization keys, and an ARN naming the source's account, come with
    // aws:SourceAccount (see `model::service_source_consistent`): a request carrying them carries
    // that key too, so the search fixes it as well.
    if ["aws:sourceorgid", "aws:sourceorgpaths", "aws:sourcearn"]
        .iter()
        .any(|k| g.keys.contains_key(*k))
    {
        g.keys
            .entry("aws:sourceaccount".to_owned())
            .or_insert(false);
    }
    // A member account reports its organization with it (see `model::endpoint_owner_consistent`
    // and `model::service_source_consistent`): with members known, a request naming an endpoint's
    // or a source's account may need the organization key too.
    if !perimeter.memberships.is_empty() {
        for (account, org) in [
            ("aws:vpceaccount", "aws:vpceorgid"),
            ("aws:sourceaccount", "aws:sourceorgid"),
        ] {
            if g.keys.contains_key(account) {
                g.keys.entry(org.to_owned()).or_insert(false);
            }
        }
    }
    let orgs = g.pool("org");
    orgs.literals
        .extend(perimeter.identity_orgs.iter().cloned());
    orgs.literals
        .extend(perimeter.memberships.values().cloned());
    orgs.literals
        .extend(perimeter.endpoint_orgs.iter().cloned());
    orgs.literals
        .extend(perimeter.resource_orgs.iter().cloned());
    g.pool("vpce")
        .literals
        .extend(perimeter.vpces.iter().cloned());
    g.pool("vpc")
        .literals
        .extend(perimeter.vpcs.iter().cloned());
    g.pool("ip")
        .nets
        .extend(perimeter.source_ips.iter().copied());
    // The perimeter's allowed and third-party resources are not candidates: the perimeter only
    // ever reads them to place a request inside, so none of their ARNs can be part of a
    // request outside that the policy's own patterns do not already give.
    for (k, v) in perimeter
        .principal_tags
        .iter()
        .chain(&perimeter.network_tags)
        .chain(&perimeter.network_applies_to_tags)
    {
        let key = format!("aws:principaltag/{k}");
        g.keys.entry(key.clone()).or_insert(false);
        g.pool(&key).literals.insert(v.clone());
    }
    for e in &g.entries.clone() {
        match e {
            Entry::Iam { account, kind, arn } => {
                g.pool("account").literals.insert(account.clone());
                // What ${aws:username} and ${aws:PrincipalArn} take for the named principal.
                match kind {
                    IamEntryKind::User => {
                        if let Some(name) = arn.rsplit('/').next() {
                            g.pool("aws:username").literals.insert(name.to_owned());
                        }
                        g.pool("principalarn").literals.insert(arn.clone());
                    }
                    IamEntryKind::Role | IamEntryKind::FederatedUser => {
                        g.pool("principalarn").literals.insert(arn.clone());
                    }
                    IamEntryKind::AssumedRole => {}
                }
            }
            Entry::Account { account, .. } => {
                g.pool("account").literals.insert(account.clone());
            }
            Entry::Service(s) => {
                g.pool("service").literals.insert(s.clone());
            }
            _ => {}
        }
    }
    g
}

/// Candidate values of each domain, without the variables' contributions yet.
struct Domains {
    strings: BTreeMap<String, Vec<String>>,
    accounts: Vec<String>,
    orgs: Vec<String>,
}

impl Domains {
    fn of(&self, domain: &str) -> &[String] {
        match domain {
            "account" => &self.accounts,
            "org" => &self.orgs,
            d => self.strings.get(d).map(Vec::as_slice).unwrap_or(&[]),
        }
    }
}

fn stems(domain: &str) -> &str {
    match domain {
        // Fresh organization ids are well formed: o- and ten or more of [a-z0-9].
        "org" => "o-freshorg0",
        // Fresh EC2 ids are well formed: the prefix and 8 hexadecimal digits once numbered.
        "vpce" => "vpce-0000000",
        "vpc" => "vpc-0000000",
        "service" => "fresh-service-",
        "orgpath" => "o-freshorg00/r-fresh/",
        _ => "fresh-",
    }
}

/// Values a variable of this key can take in the search.
fn variable_values(key: &str, d: &Domains) -> Vec<String> {
    let values = d.of(domain(key));
    if values.is_empty() {
        vec!["fresh-variable".into()]
    } else {
        values.to_vec()
    }
}

fn substitute(t: &Template, d: &Domains) -> Vec<Vec<Tok>> {
    struct One<'a>(&'a BTreeMap<String, String>);
    impl Lookup for One<'_> {
        fn variable(&self, key: &str) -> Option<&str> {
            self.0.get(key).map(String::as_str)
        }
    }
    let vars: Vec<String> = t
        .variables()
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut assignments: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    for v in &vars {
        let mut next = Vec::new();
        for a in &assignments {
            for value in variable_values(v, d).into_iter().take(8) {
                let mut a = a.clone();
                a.insert(v.clone(), value);
                next.push(a);
            }
        }
        assignments = next;
        if assignments.len() > 64 {
            assignments.truncate(64);
        }
    }
    let mut out: Vec<Vec<Tok>> = assignments
        .iter()
        .filter_map(|a| t.resolve_glob(&One(a)).map(|c| c.into_owned()))
        .collect();
    // Without a value (and without a default) a variable resolves to nothing at all.
    out.retain(|t| !t.is_empty());
    out
}

/// Splits an ARN pattern, fills a wildcard account component with each candidate account, and
/// returns witnesses (the least and a padded one) per combination.
fn arn_witnesses(pattern_toks: &[Tok], accounts: &[String]) -> Vec<String> {
    if pattern::is_match_all(pattern_toks) {
        return Vec::new();
    }
    let Some(parts) = arn::split_tokens(pattern_toks) else {
        return Vec::new();
    };
    let mut account_choices: Vec<String> = Vec::new();
    if pattern::has_wildcard(parts[4]) {
        account_choices.extend(
            accounts
                .iter()
                .filter(|a| pattern::matches(parts[4], a))
                .cloned(),
        );
        if pattern::matches(parts[4], "") {
            account_choices.push(String::new());
        }
    } else {
        account_choices.push(pattern::render(parts[4]));
    }
    let mut out = Vec::new();
    // `*` as nothing, as a character no name holds, and as a name: `role/aws-service-role/*`
    // names roles only through the last (a role's name is 1 to 64 characters).
    for (star, one) in [("", '0'), ("#", '#'), ("fresh", 'x')] {
        let head = pattern::witness(&pattern_toks[..head_len(&parts)], star, one);
        let resource = pattern::witness(parts[5], star, one);
        for a in &account_choices {
            out.push([head.as_str(), a, ":", &resource].concat());
        }
    }
    out
}

/// Whether an IAM user or role ARN has a name IAM accepts: 1 to 64 of `[\w+=,.@-]` after its
/// path (IAM User Guide, "IAM object quotas" and "IAM identifiers"), or an AWS-reserved
/// `aws:` name. Other ARNs pass.
fn names_a_principal(arn: &str) -> bool {
    let Some((_, rest)) = arn
        .split_once(":role/")
        .or_else(|| arn.split_once(":user/"))
    else {
        return true;
    };
    let name = rest.rsplit('/').next().unwrap_or_default();
    // `:` only in the roles AWS itself names so (`aws:ec2-infrastructure`, which Amazon EC2
    // uses for EBS; AWS's data-perimeter examples exempt it).
    (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        || name.strip_prefix("aws:").is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        })
}

/// How many tokens of an ARN pattern come before its account: its first four components and
/// their colons.
fn head_len(parts: &[&[Tok]; 6]) -> usize {
    parts[..4].iter().map(|p| p.len() + 1).sum()
}

/// Wildcard patterns longer than this make the analysis too complex: matching and intersecting
/// cost the product of the lengths involved, and a 20 KB policy of `*?*?...` took tens of
/// seconds. Real ARNs with wildcards stay far below (IAM's ARN limit is 2,048 characters).
pub const MAX_WILDCARD_PATTERN_CHARS: usize = 1024;

/// The work one intersection of two wildcard patterns may take (the product of their lengths,
/// runs of `*` counting as one). How many wildcards a pattern has does not matter by itself: only
/// patterns the search intersects with another wildcard pattern of the same kind (ARN patterns,
/// action patterns, the patterns compared with one condition key family) can cost, so a long
/// pattern that meets no other is never "too complex" (issue: 20 wildcards in a Resource).
pub const MAX_INTERSECTION_STATES: usize = 1 << 16;

fn check_patterns(g: &Gathered) -> Result<(), TooMany> {
    let families = std::iter::once(g.actions.as_slice())
        .chain(std::iter::once(g.arn_patterns.as_slice()))
        .chain(g.pools.values().map(|p| p.globs.as_slice()));
    for family in families {
        let wild: Vec<usize> = family
            .iter()
            .map(|p| pattern::collapse_stars(p))
            .filter(|p| pattern::has_wildcard(p))
            .map(|p| p.len())
            .collect();
        if let Some(len) = wild.iter().find(|l| **l > MAX_WILDCARD_PATTERN_CHARS) {
            return Err(TooMany(format!(
                "a wildcard pattern of {len} characters (at most {MAX_WILDCARD_PATTERN_CHARS} are analysed)"
            )));
        }
        // A family of more than 48 patterns is not intersected pairwise (see `values::Pool`).
        if family.len() > 48 {
            continue;
        }
        for (i, a) in wild.iter().enumerate() {
            if let Some(b) = wild[i + 1..]
                .iter()
                .find(|b| a * *b > MAX_INTERSECTION_STATES)
            {
                return Err(TooMany(format!(
                    "two wildcard patterns of {a} and {b} characters to intersect (at most {MAX_INTERSECTION_STATES} states)"
                )));
            }
        }
    }
    Ok(())
}

/// What a wildcard in an organization id pattern stands for when a well-formed id is wanted: ten
/// characters of the id alphabet, so that even `o-*` becomes an id of the shortest legal length.
const ORG_ID_FILL: &str = "zzzzzzzzzz";

pub fn build(
    policy: &Policy,
    attachment: &Attachment,
    perimeter: &Perimeter,
) -> Result<Universe, TooMany> {
    let mut g = gather(policy, perimeter);
    check_patterns(&g)?;
    let everything_taken = values::Taken::of(
        g.pools
            .values()
            .flat_map(|p| p.literals.iter().map(String::as_str)),
    );
    let mut strings = BTreeMap::new();
    for (name, pool) in &g.pools {
        if name == "account" || name == "org" {
            continue;
        }
        strings.insert(
            name.clone(),
            pool.strings(&values::fresh(stems(name), 2, &everything_taken)),
        );
    }
    let account_pool = g.pool_of("account");
    let mut accounts = values::account_witnesses(account_pool);
    accounts.extend(values::fresh_accounts(2, &everything_taken));
    let org_pool = g.pool_of("org");
    let orgs = org_pool.strings(&values::fresh(stems("org"), 2, &everything_taken));
    let mut d = Domains {
        strings,
        accounts,
        orgs,
    };
    // A door's named owner is an account like the policy's: its callers, and what a variable
    // such as `${aws:PrincipalAccount}` in a Resource pattern becomes.
    if let Attachment::Door(Door {
        account: Some(a), ..
    }) = attachment
    {
        values::push_new(&mut d.accounts, vec![a.clone()]);
    }
    // An organisation named only inside an OU path is an organisation too.
    let path_orgs: Vec<String> = d
        .of("orgpath")
        .iter()
        .filter_map(|p| p.split_once('/').map(|(o, _)| o.to_owned()))
        .filter(|o| !o.is_empty())
        .collect();
    for o in path_orgs {
        if !d.orgs.contains(&o) {
            d.orgs.push(o);
        }
    }
    // A wildcard in an organization id or OU-path pattern can stand for the rest of a longer
    // organization id: `o-abc123def4*` matches `o-abc123def4zzzzzzzzzz/r-…/`, another organization.
    // The plain witnesses (`*` as nothing, or as `#`) are no organization id, so each pattern also
    // gets one filled from the id alphabet, long enough to make a well-formed id.
    for pool in ["org", "orgpath"].iter().filter_map(|n| g.pools.get(*n)) {
        for glob in &pool.globs {
            let filled = pattern::witness(glob, ORG_ID_FILL, 'z');
            let id = filled.split('/').next().unwrap_or_default();
            if arn::is_org_id(id) && !d.orgs.iter().any(|o| o == id) {
                d.orgs.push(id.to_owned());
            }
        }
    }

    // aws:userid is a function of the caller: its candidates are the values callers have.
    let userid_pool = g.pool_of("aws:userid");
    let mut sessions = vec!["session".to_owned()];
    sessions.extend(related::userid_sessions(userid_pool));
    // The sessions principals name (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
    for e in &g.entries {
        if let Entry::Iam {
            kind: IamEntryKind::AssumedRole,
            arn,
            ..
        } = e
            && let Some(s) = arn.rsplit('/').next()
            && !sessions.iter().any(|x| x == s)
        {
            sessions.push(s.to_owned());
        }
    }
    let reads_userid = g.keys.contains_key("aws:userid")
        || g.templated
            .iter()
            .any(|(_, t, _)| t.variables().any(|v| v == "aws:userid"));
    if reads_userid {
        let federated: Vec<String> = g
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Iam {
                    kind: IamEntryKind::FederatedUser,
                    arn,
                    account,
                } => arn
                    .split_once(":federated-user/")
                    .map(|(_, n)| format!("{account}:{n}")),
                _ => None,
            })
            .collect();
        let mut values =
            related::userid_candidates(userid_pool, &d.accounts, &sessions, &federated);
        // Service principals and origin access identities carry their own name.
        values.extend(d.of("service").iter().map(|s| s.to_ascii_lowercase()));
        values.push(FRESH_SERVICE.to_owned());
        values.extend(g.entries.iter().filter_map(|e| match e {
            Entry::CloudFrontOai(id) => Some(id.clone()),
            _ => None,
        }));
        values::push_new(
            d.strings.entry("aws:userid".to_owned()).or_default(),
            values,
        );
    }

    // A variable's key needs candidates even when no condition compares it with anything: the
    // same fresh values then appear both where it is substituted and where it comes from.
    for (_, t, _) in &g.templated {
        for var in t.variables() {
            let dom = domain(var);
            if dom != "account" && dom != "org" {
                let entry = d.strings.entry(dom.to_owned()).or_default();
                if entry.is_empty() {
                    entry.extend(values::fresh(stems(dom), 2, &everything_taken));
                }
            }
        }
    }
    // Variables: each templated value, with every candidate of its variables substituted.
    for (target, t, glob) in std::mem::take(&mut g.templated) {
        for toks in substitute(&t, &d) {
            if target == "resource" {
                g.arn_patterns.push(toks);
                continue;
            }
            let pool = g.pools.entry(target.clone()).or_default();
            if glob {
                pool.add_text(&toks);
            } else {
                pool.literals.insert(pattern::render(&toks));
            }
        }
        if target != "resource" {
            let pool = g.pool_of(&target);
            let extra = match target.as_str() {
                "account" => {
                    let mut a = values::account_witnesses(pool);
                    a.extend(d.accounts.iter().cloned());
                    a
                }
                _ => pool.strings(&values::fresh(stems(&target), 2, &everything_taken)),
            };
            let slot: &mut Vec<String> = match target.as_str() {
                "account" => &mut d.accounts,
                "org" => &mut d.orgs,
                other => d.strings.entry(other.to_owned()).or_default(),
            };
            values::push_new(slot, extra);
        }
    }

    // Organization ids have one form (o- and 10 to 32 of [a-z0-9]); a literal or pattern witness
    // of any other form (`O-ABC123DEF4`, `o-abc#`, an unfilled `${...}`) is no organization a
    // request can come from or go to, so it is no candidate.
    d.orgs.retain(|o| arn::is_org_id(o));
    // The same for VPC and endpoint ids (the prefix and 8 or 17 lower-case hexadecimal digits):
    // a pattern is also tried filled to a well-formed id, and candidates of another form go.
    for (dom, prefix) in [("vpce", "vpce-"), ("vpc", "vpc-")] {
        let mut filled: Vec<String> = Vec::new();
        for glob in g
            .pools
            .get(dom)
            .map(|p| p.globs.as_slice())
            .unwrap_or_default()
        {
            for width in 0..=17 {
                let id = pattern::witness(glob, &"0".repeat(width), '0');
                if arn::is_ec2_id(&id, prefix) && !filled.contains(&id) {
                    filled.push(id);
                }
            }
        }
        let slot = d.strings.entry(dom.to_owned()).or_default();
        values::push_new(slot, filled);
        slot.retain(|v| arn::is_ec2_id(v, prefix));
    }

    let (callers, caller_orgs, caller_tags) = callers(&g, &d, &sessions)?;
    let scope = scope_of(&g, attachment);
    let (mut actions, mut action_fits) = actions(&g, &scope);
    if matches!(attachment, Attachment::Guardrail(_)) && resource_blind(policy, perimeter) {
        (actions, action_fits) = guardrail_classes(policy, actions, action_fits);
    }
    let anonymous_ok = actions
        .iter()
        .map(|a| catalog::admits_anonymous(a))
        .collect();
    let mut u = Universe {
        callers,
        caller_orgs,
        caller_tags,
        actions,
        action_fits,
        anonymous_ok,
        ..Universe::default()
    };
    resources(&mut u, &g, &d, &scope, attachment, perimeter)?;
    u.networks = networks(&g, &d, attachment);
    // aws:SourceVpcArn names the VPC of aws:SourceVpc: one real ARN per VPC the search can pick.
    if g.keys.contains_key("aws:sourcevpcarn") {
        let pool = g.pool_of("aws:sourcevpcarn");
        let mut values =
            related::vpc_arn_candidates(pool, &vpc_choices(&d, attachment), &d.accounts);
        let patterns: Vec<Vec<Tok>> = pool
            .patterns()
            .into_iter()
            .chain(perimeter.vpc_arns.iter().cloned())
            .collect();
        let fresh_account = values::fresh_accounts(1, &everything_taken);
        let twins = vpc_arn_twins(&values, &patterns, &fresh_account[0]);
        values::push_new(&mut values, twins);
        values::push_new(
            d.strings.entry("aws:sourcevpcarn".to_owned()).or_default(),
            values,
        );
    }
    // A request to a bucket through an access point names one: a well-formed access point ARN
    // of each account the search may pick.
    if matches!(attachment, Attachment::Bucket { .. })
        && g.keys.contains_key("s3:dataaccesspointarn")
    {
        // Each account's access point, in each Region the key's patterns name, with a name
        // where a pattern names one (`.../accesspoint/ap*`), filled to the naming rules.
        let pool = g
            .pools
            .get("s3:dataaccesspointarn")
            .cloned()
            .unwrap_or_default();
        let key_patterns: Vec<Vec<Tok>> = pool
            .literals
            .iter()
            .map(|l| pattern::literal(l))
            .chain(pool.globs.iter().cloned())
            .collect();
        let mut accounts = d.accounts.clone();
        let mut regions = vec!["us-east-1".to_owned()];
        for p in &key_patterns {
            if let Some(parts) = arn::split_tokens(p) {
                for (component, into) in [(parts[4], &mut accounts), (parts[3], &mut regions)] {
                    let text = pattern::render(component);
                    if !pattern::has_wildcard(component)
                        && !text.is_empty()
                        && !into.contains(&text)
                    {
                        into.push(text);
                    }
                }
            }
        }
        accounts.retain(|a| arn::is_account_id(a));
        let mut arns: Vec<String> = Vec::new();
        for a in &accounts {
            for region in &regions {
                let head = format!("arn:aws:s3:{region}:{a}:accesspoint/");
                arns.push(format!("{head}fresh-access-point"));
                let mut glob = pattern::literal(&head);
                glob.extend([Tok::AnyOne, Tok::AnyOne, Tok::AnyOne, Tok::AnyRun]);
                for p in &key_patterns {
                    if let Some(w) = pattern::intersection_filled(&glob, p, 'z')
                        && !arns.contains(&w)
                    {
                        arns.push(w);
                    }
                }
            }
        }
        values::push_new(
            d.strings
                .entry("s3:dataaccesspointarn".to_owned())
                .or_default(),
            arns,
        );
    }
    u.keys = free_keys(&g, &d);
    access_point_key_candidates(&mut u, attachment);
    Ok(u)
}

/// Whether nothing the search checks tells one resource type from another: every statement is
/// on every resource (`Resource: "*"`, as AWS's guardrail examples are), and the perimeter names
/// no resource (no allowed resources, third parties on every resource with every action).
fn resource_blind(policy: &Policy, perimeter: &Perimeter) -> bool {
    let everything = |p: &crate::iam::template::Template| p.raw() == "*";
    policy.statements.iter().all(|st| {
        st.resource
            .as_ref()
            .is_none_or(|r| !r.negated && r.patterns.iter().all(everything))
    }) && perimeter.allowed_resources.is_empty()
        && perimeter
            .third_parties
            .iter()
            .all(|tp| tp.actions.is_none() && tp.resources.iter().all(|p| pattern::is_match_all(p)))
}

/// A guardrail spans many services, whose tables split actions by the resource types they act
/// on: when no statement and no perimeter list tells resource types apart
/// ([`resource_blind`]), one action stands for all those that the same statements cover and
/// that accept the same callers (anonymous callers reach S3, SQS and SNS only; web identities
/// call STS only), as the search checks nothing else of the action; of the same service too,
/// when the policy reads a service's own condition keys, which only its requests carry.
/// Witnesses are confirmed as always, so this only bounds the search.
fn guardrail_classes(
    policy: &Policy,
    actions: Vec<String>,
    fits: Vec<Fit>,
) -> (Vec<String>, Vec<Fit>) {
    let service_keys = policy
        .statements
        .iter()
        .flat_map(|st| &st.conditions)
        .any(|c| !c.key.starts_with("aws:"));
    let mut seen: BTreeSet<(String, Vec<bool>, bool)> = BTreeSet::new();
    actions
        .into_iter()
        .zip(fits)
        .filter(|(a, _)| {
            let own = a
                .split_once(':')
                .map_or("", |(s, _)| s)
                .to_ascii_lowercase();
            let service = if service_keys || own == "sts" {
                own
            } else {
                String::new()
            };
            let covered = policy
                .statements
                .iter()
                .map(|st| {
                    st.action
                        .patterns
                        .iter()
                        .any(|p| pattern::matches_ignore_ascii_case(&p.pattern, a))
                        != st.action.negated
                })
                .collect();
            seen.insert((service, covered, catalog::admits_anonymous(a)))
        })
        .unzip()
}

/// The access point keys take the values AWS sends (see `model::access_point_keys_hold`): a
/// request to an access point always carries its ARN, account and network origin; one to a
/// bucket carries them only through an access point.
fn access_point_key_candidates(u: &mut Universe, attachment: &Attachment) {
    let door = match attachment {
        Attachment::Door(d)
            if matches!(
                d.kind,
                DoorKind::AccessPoint | DoorKind::MultiRegionAccessPoint
            ) =>
        {
            Some(d)
        }
        _ => None,
    };
    let one = |v: String| Some(ContextValue::One(v));
    for fk in u
        .keys
        .iter_mut()
        .filter(|k| ACCESS_POINT_KEYS.contains(&k.key.as_str()))
    {
        let mut candidates: Vec<Option<ContextValue>> = match (fk.key.as_str(), door) {
            // A Multi-Region Access Point has no origin of its own to report: either value,
            // `VPC` only through an endpoint (`model::access_point_keys_hold`).
            ("s3:accesspointnetworkorigin", Some(d))
                if d.kind == DoorKind::MultiRegionAccessPoint =>
            {
                vec![one("Internet".into()), one("VPC".into())]
            }
            ("s3:accesspointnetworkorigin", Some(d)) => vec![one(d.network_origin().to_owned())],
            ("s3:accesspointnetworkorigin", None) => {
                vec![None, one("Internet".into()), one("VPC".into())]
            }
            (key, door) => {
                // Requests to an access point carry its own; others keep theirs (and may carry
                // none), and may go to an access point too.
                let mut c = match door {
                    Some(_) => Vec::new(),
                    None => std::mem::take(&mut fk.candidates),
                };
                c.extend(u.arns.iter().filter_map(|a| m::access_point_of(a)).map(
                    |(own, owner)| {
                        one(if key == "s3:dataaccesspointarn" {
                            own
                        } else {
                            owner.to_owned()
                        })
                    },
                ));
                c
            }
        };
        // One value each (a set operator's single-value sets read as that value).
        candidates = candidates
            .into_iter()
            .filter_map(|c| match c {
                Some(ContextValue::Many(mut v)) if v.len() == 1 => {
                    v.pop().map(|x| Some(ContextValue::One(x)))
                }
                Some(ContextValue::Many(_)) => None,
                other => Some(other),
            })
            .collect();
        let mut seen = Vec::new();
        candidates.retain(|c| {
            let new = !seen.contains(c);
            seen.push(c.clone());
            new
        });
        fk.candidates = candidates;
    }
}

/// Regions a VPC can be in, tried in turn for one that no pattern names.
const VPC_REGIONS: &[&str] = &["eu-west-1", "ap-southeast-2", "sa-east-1", "ca-central-1"];

/// aws:SourceVpcArn names a VPC of whatever region and owner (IAM User Guide, global condition
/// keys, aws:SourceVpcArn: `arn:aws:ec2:<region>:<account>:vpc/<vpc-id>`), not only those the
/// patterns name: next to each candidate, the same VPC in a region no pattern names, of an
/// account no literal names, and both. Without them a VPC outside both a policy's
/// `arn:aws:ec2:us-east-1:*:vpc/*` and its `arn:aws:ec2:*:111122223333:vpc/*` (or outside the
/// perimeter's VPC ARNs) is never tried.
fn vpc_arn_twins(candidates: &[String], patterns: &[Vec<Tok>], fresh_account: &str) -> Vec<String> {
    let named = |region: &str| {
        patterns.iter().any(|p| {
            arn::split_tokens(p).is_some_and(|parts| {
                !pattern::is_match_all(parts[3]) && pattern::matches(parts[3], region)
            })
        })
    };
    let region = VPC_REGIONS
        .iter()
        .find(|r| !named(r))
        .unwrap_or(&VPC_REGIONS[0]);
    let mut out = Vec::new();
    for c in candidates {
        let Some([_, partition, service, own_region, account, resource]) = arn::split(c) else {
            continue;
        };
        for (r, a) in [
            (*region, account),
            (own_region, fresh_account),
            (*region, fresh_account),
        ] {
            out.push(format!("arn:{partition}:{service}:{r}:{a}:{resource}"));
        }
    }
    out
}

/// The service principal no policy names.
const FRESH_SERVICE: &str = "fresh-service.amazonaws.com";

type CallerParts = (Vec<Caller>, Vec<Option<Org>>, Vec<BTreeMap<String, String>>);

fn callers(g: &Gathered, d: &Domains, role_sessions: &[String]) -> Result<CallerParts, TooMany> {
    let mut out = vec![Caller::Anonymous];
    // A service principal is named like a host (`athena.amazonaws.com`; IAM User Guide, "AWS
    // JSON policy elements: Principal", AWS service principals): a literal with a wildcard in
    // it (`StringEquals aws:CalledVia athena.*`) names no service that can call.
    let services = d.of("service");
    for s in services
        .iter()
        .filter(|s| !s.contains(['*', '?']))
        .chain(std::iter::once(&FRESH_SERVICE.to_owned()))
    {
        let c = Caller::Service {
            name: s.to_ascii_lowercase(),
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    for e in &g.entries {
        match e {
            Entry::Federated(p) => out.push(Caller::Federated {
                provider: p.clone(),
            }),
            Entry::CloudFrontOai(id) => out.push(Caller::CloudFrontOai { id: id.clone() }),
            _ => {}
        }
    }
    out.push(Caller::Federated {
        provider: "fresh-provider.example".into(),
    });

    // IAM identities per account.
    let mut arn_texts: BTreeSet<String> = BTreeSet::new();
    let mut sessions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut canonical: Vec<String> = Vec::new();
    for e in &g.entries {
        match e {
            Entry::Iam {
                kind: IamEntryKind::AssumedRole,
                arn,
                account,
            } => {
                if let Some((role, session)) = arn
                    .rsplit_once(":assumed-role/")
                    .and_then(|(_, r)| r.split_once('/'))
                {
                    let role_arn = format!("arn:aws:iam::{account}:role/{role}");
                    sessions
                        .entry(role_arn.clone())
                        .or_default()
                        .insert(session.to_owned());
                    arn_texts.insert(role_arn);
                }
            }
            Entry::Iam { arn, .. } => {
                arn_texts.insert(arn.clone());
            }
            Entry::CanonicalUser(c) => canonical.push(c.clone()),
            _ => {}
        }
    }
    if let Some(p) = g.pools.get("principalarn") {
        for glob in p.globs.iter().chain(
            p.literals
                .iter()
                .map(|l| pattern::literal(l))
                .collect::<Vec<_>>()
                .iter(),
        ) {
            arn_texts.extend(arn_witnesses(glob, &d.accounts));
            // StringLike may cross colons: its plain witnesses count too.
            arn_texts.insert(pattern::witness(glob, "", '0'));
        }
    }
    if let Some(names) = d.strings.get("aws:username") {
        for a in &d.accounts {
            for n in names {
                arn_texts.insert(format!("arn:aws:iam::{a}:user/{n}"));
            }
        }
    }
    // Hashed: a scan per identity is quadratic in the accounts and ARNs the policy names.
    let mut identities: indexmap::IndexSet<IamIdentity, foldhash::fast::RandomState> =
        Default::default();
    let mut push = |id: IamIdentity| {
        identities.insert(id);
    };
    for a in &d.accounts {
        if arn::is_account_id(a) {
            for (kind, name) in [
                (IamKind::RoleSession, "fresh-role"),
                (IamKind::User, "fresh-user"),
                (IamKind::Root, ""),
            ] {
                push(account_identity(a, kind, name));
            }
        }
        // Sessions named where aws:userid is compared (`AROA…:alice`).
        for s in role_sessions.iter().skip(1) {
            if let Ok(id) = iam_identity(&format!("arn:aws:iam::{a}:role/fresh-role"), Some(s)) {
                push(id);
            }
        }
    }
    for text in arn_texts.iter().filter(|t| names_a_principal(t)) {
        let mut names: Vec<Option<&str>> = vec![None];
        if let Some(s) = sessions.get(text) {
            names.extend(s.iter().map(|s| Some(s.as_str())));
        }
        if text.contains(":role/") {
            for s in role_sessions.iter().skip(1) {
                if !names.contains(&Some(s.as_str())) {
                    names.push(Some(s.as_str()));
                }
            }
        }
        for session in names {
            if let Ok(id) = iam_identity(text, session) {
                push(id);
            }
        }
    }
    for c in canonical {
        for a in d.accounts.iter().take(4) {
            if let Ok(mut id) = iam_identity(&format!("arn:aws:iam::{a}:root"), None) {
                id.canonical_user = Some(c.clone());
                push(id);
            }
        }
    }

    // Organisations (or none), with paths that begin with the organisation id.
    let all_orgs: Vec<Option<String>> = std::iter::once(None)
        .chain(d.orgs.iter().cloned().map(Some))
        .collect();
    let orgs = org_choices(&all_orgs, d);
    let tag_sets = tag_combinations(g, d, "aws:principaltag/")?;
    if identities.len() + out.len() > MAX_CALLERS {
        return Err(TooMany(format!(
            "more than {MAX_CALLERS} distinct principals"
        )));
    }
    out.extend(identities.into_iter().map(Caller::Iam));
    Ok((out, orgs, tag_sets))
}

/// The services requests through the attachment can call: S3 for a bucket; the endpoint's own
/// service when known; else S3 and every service the policy's action patterns name, with a
/// table where there is one and the generic model (plus one service no pattern names) where not.
/// The service scope of a policy under an attachment (see `scope_of`).
pub fn service_scope(policy: &Policy, attachment: &Attachment) -> ServiceScope {
    scope_of(&written_actions(policy), attachment)
}

/// The actions a policy names that its service's table does not list (see
/// `catalog::unlisted_actions`).
pub fn unlisted_actions(policy: &Policy, attachment: &Attachment) -> Vec<String> {
    let g = written_actions(policy);
    catalog::unlisted_actions(&scope_of(&g, attachment), &g.actions_written)
}

/// The policy's action patterns as written, all that the service scope reads.
fn written_actions(policy: &Policy) -> Gathered {
    let mut g = Gathered::default();
    for st in &policy.statements {
        g.actions_written
            .extend(st.action.patterns.iter().map(|a| pattern::glob(&a.written)));
        for c in &st.conditions {
            g.keys.entry(c.key.clone()).or_insert(false);
        }
    }
    g
}

fn scope_of(g: &Gathered, attachment: &Attachment) -> ServiceScope {
    let s3 = || services::service("s3").into_iter().collect::<Vec<_>>();
    match attachment {
        Attachment::Bucket { .. } => ServiceScope {
            tables: s3(),
            generic: Vec::new(),
            restrict: catalog::Restrict::Bucket,
        },
        Attachment::Door(d) => match services::service(d.kind.service()) {
            Some(t) => ServiceScope {
                tables: vec![t],
                generic: Vec::new(),
                restrict: catalog::Restrict::of(attachment),
            },
            None => ServiceScope {
                tables: Vec::new(),
                generic: vec![d.kind.service().to_owned()],
                restrict: catalog::Restrict::Any,
            },
        },
        Attachment::Endpoint {
            service: Some(prefix),
            ..
        } => match services::service(prefix) {
            Some(t) => ServiceScope {
                tables: vec![t],
                generic: Vec::new(),
                restrict: catalog::Restrict::Any,
            },
            None => ServiceScope {
                tables: Vec::new(),
                generic: vec![prefix.to_ascii_lowercase()],
                restrict: catalog::Restrict::Any,
            },
        },
        // An RCP acts only on the services RCPs support: those its action patterns name.
        Attachment::Guardrail(gr) if gr.kind == super::GuardrailKind::Rcp => {
            let mut scope = ServiceScope::default();
            for svc in super::RCP_SERVICES {
                let named = g.actions_written.iter().any(|p| {
                    let text = pattern::render(p).to_ascii_lowercase();
                    let part = text.split_once(':').map_or(text.as_str(), |(s, _)| s);
                    pattern::matches(&pattern::glob(part), svc)
                });
                if !named {
                    continue;
                }
                match services::service(svc) {
                    Some(t) => scope.tables.push(t),
                    None => scope.generic.push((*svc).to_owned()),
                }
            }
            scope
        }
        Attachment::Endpoint { service: None, .. } | Attachment::Guardrail(_) => {
            let mut scope = ServiceScope {
                tables: s3(),
                generic: vec!["freshsvc".to_owned()],
                restrict: catalog::Restrict::Any,
            };
            // The services the policy's actions name, and those whose own condition keys it
            // reads: such a key comes only with its service's requests (`model::service_scoped`),
            // so a condition on it is met only by one of them.
            let named = g.actions_written.iter().filter_map(|p| {
                let text = pattern::render(p);
                text.split_once(':')
                    .map(|(svc, _)| svc.to_ascii_lowercase())
            });
            let keyed = g
                .keys
                .keys()
                .filter_map(|k| super::model::service_scoped(k).map(str::to_owned));
            for svc in named.chain(keyed) {
                if svc.contains(['*', '?']) {
                    continue;
                }
                match services::service(&svc) {
                    Some(t) => {
                        if !scope.tables.iter().any(|x| std::ptr::eq(*x, t)) {
                            scope.tables.push(t);
                        }
                    }
                    None => {
                        if !scope.generic.contains(&svc) {
                            scope.generic.push(svc);
                        }
                    }
                }
            }
            scope
        }
    }
}

/// Actions, each with what it can act on: one real action per class for services with a table,
/// and for the generic model the witnesses of the policy's patterns (and a fresh action) of
/// each generically modelled service.
fn actions(g: &Gathered, scope: &ServiceScope) -> (Vec<String>, Vec<Fit>) {
    let mut out: Vec<(String, Fit)> = catalog::real_actions(scope, &g.actions);
    out.extend(
        catalog::unlisted_actions(scope, &g.actions_written)
            .into_iter()
            .map(|a| (a, Fit::GENERIC)),
    );
    if scope.generic.is_empty() {
        return out.into_iter().unzip();
    }
    let generic_service = |a: &str| {
        a.split_once(':').is_some_and(|(svc, _)| {
            let svc = svc.to_ascii_lowercase();
            services::service(&svc).is_none()
                && (scope.generic.contains(&svc) || scope.generic.iter().any(|x| x == "freshsvc"))
        })
    };
    let mut seen: BTreeSet<String> = out.iter().map(|(a, _)| a.to_ascii_lowercase()).collect();
    let mut push = |a: String| {
        if crate::iam::policy::is_concrete_action(&a)
            && generic_service(&a)
            && seen.insert(a.to_ascii_lowercase())
        {
            out.push((a, Fit::GENERIC));
        }
    };
    for p in &g.actions_written {
        push(pattern::witness(p, "", 'X'));
        push(pattern::witness(p, "Any", 'X'));
    }
    if g.actions.len() <= values::MAX_PAIRWISE {
        for (i, a) in g.actions.iter().enumerate() {
            for b in &g.actions[i + 1..] {
                if let Some(w) = pattern::intersection(a, b, 'z') {
                    push(w);
                }
            }
        }
    }
    for svc in &scope.generic {
        push(format!("{svc}:FreshAction"));
    }
    out.into_iter().unzip()
}

fn resources(
    u: &mut Universe,
    g: &Gathered,
    d: &Domains,
    scope: &ServiceScope,
    attachment: &Attachment,
    perimeter: &Perimeter,
) -> Result<(), TooMany> {
    // Hashed, not ordered: the ARNs share long prefixes, which ordered comparisons read again
    // and again.
    let mut arns: indexmap::IndexSet<String, foldhash::fast::RandomState> = Default::default();
    let mut push = |a: String| {
        if a == catalog::NO_RESOURCE || arn::split(&a).is_some() {
            arns.insert(a);
        }
    };
    // Real ARNs of every resource type the real actions act on.
    let real: Vec<(String, Fit)> = u
        .actions
        .iter()
        .cloned()
        .zip(u.action_fits.iter().cloned())
        .collect();
    for format in catalog::formats(&real) {
        for a in catalog::typed_arns(format, &g.arn_patterns, &d.accounts) {
            push(a);
        }
    }
    if u.action_fits.iter().any(|f| f.is_resourceless()) {
        push(catalog::NO_RESOURCE.to_owned());
    }
    // Witnesses of pairs of patterns (an ARN both name, or one that one names and another
    // denies), and for the generic model, of each pattern.
    let generic = !scope.generic.is_empty() || u.action_fits.contains(&Fit::GENERIC);
    if generic {
        for p in &g.arn_patterns {
            for w in arn_witnesses(p, &d.accounts) {
                push(w);
            }
        }
    }
    if g.arn_patterns.len() <= values::MAX_PAIRWISE {
        for (i, a) in g.arn_patterns.iter().enumerate() {
            for b in &g.arn_patterns[i + 1..] {
                if let Some(w) = pattern::intersection(a, b, '#') {
                    // `#` is in no name: where it fills a bucket name, fill with a letter too.
                    let in_name = w
                        .strip_prefix("arn:aws:s3:::")
                        .is_some_and(|r| r.split('/').next().unwrap_or(r).contains('#'));
                    push(w);
                    if in_name && let Some(w) = pattern::intersection(a, b, 'z') {
                        push(w);
                    }
                }
            }
        }
    }
    if !scope.generic.is_empty() {
        for svc in &scope.generic {
            for a in d.accounts.iter().take(3) {
                push(format!("arn:aws:{svc}:us-east-1:{a}:fresh/resource"));
            }
        }
    }
    let all_orgs: Vec<Option<String>> = std::iter::once(None)
        .chain(d.orgs.iter().cloned().map(Some))
        .collect();
    u.attachment = Some(attachment.clone());
    match attachment {
        Attachment::Endpoint { .. } => {
            u.arns = arns.into_iter().collect();
            // aws:ResourceAccount is missing for a few actions (EBS, some cross-account Accept*).
            u.resource_accounts = d.accounts.iter().cloned().map(Some).chain([None]).collect();
            u.resource_orgs = org_choices(&all_orgs, d);
        }
        Attachment::Bucket { name } => {
            u.bucket_policy = true;
            u.own_bucket.clone_from(name);
            let bucket = name.clone().unwrap_or_else(|| "fresh-bucket".into());
            let mut keep: indexmap::IndexSet<String, foldhash::fast::RandomState> = arns
                .into_iter()
                .filter(|a| match a.strip_prefix("arn:aws:s3:::") {
                    Some(rest) => match name {
                        Some(n) => rest == n || rest.starts_with(&format!("{n}/")),
                        None => !rest.is_empty(),
                    },
                    None => false,
                })
                .collect();
            // The plainest ARNs first: the witness a reader recognises.
            for a in [
                format!("arn:aws:s3:::{bucket}/fresh-key"),
                format!("arn:aws:s3:::{bucket}"),
            ]
            .into_iter()
            .rev()
            {
                keep.shift_remove(&a);
                keep.shift_insert(0, a);
            }
            // Object keys the policy names under this bucket, whatever bucket pattern they sit in.
            if let Some(n) = name {
                let prefix = pattern::literal(&format!("arn:aws:s3:::{n}/"));
                let mut object = prefix.clone();
                object.push(Tok::AnyRun);
                for p in &g.arn_patterns {
                    for filler in ['#', 'z'] {
                        if let Some(w) = pattern::intersection(&object, p, filler) {
                            keep.insert(w);
                        }
                    }
                }
            }
            u.arns = keep.into_iter().collect();
            storage_owners(u, g, d, perimeter, None);
        }
        // An RCP's resources are the organization's; an SCP's callers are, and its resources
        // anyone's.
        Attachment::Guardrail(gr) => {
            u.arns = arns.into_iter().collect();
            match gr.kind {
                super::GuardrailKind::Rcp => {
                    u.bucket_policy = true;
                    storage_owners(u, g, d, perimeter, None);
                }
                super::GuardrailKind::Scp => {
                    u.resource_accounts =
                        d.accounts.iter().cloned().map(Some).chain([None]).collect();
                    u.resource_orgs = org_choices(&all_orgs, d);
                }
            }
        }
        Attachment::Door(door) => {
            u.bucket_policy = door.account.is_none();
            storage_owners(u, g, d, perimeter, door.account.as_deref());
            let owners: Vec<String> = u.resource_accounts.iter().flatten().cloned().collect();
            u.arns = door_arns(door, arns.into_iter().collect(), g, &owners);
        }
    }
    u.resource_tags = tag_combinations(g, d, "aws:resourcetag/")?;
    // What each ARN is, once, for the search's action-fits-resource check; an ARN no action
    // acts on goes (for a bucket: anything but the bucket and its objects with a key, and a real
    // bucket name when the bucket is not known).
    let all = catalog::union(&u.action_fits);
    let masks: Vec<u128> = u
        .arns
        .iter()
        .map(|a| {
            let typed = match attachment {
                Attachment::Door(door) => door.typed_arn(a),
                _ => catalog::own_bucket(a, u.own_bucket.as_deref()),
            };
            catalog::arn_mask(&typed, all)
        })
        .collect();
    let (arns, masks): (Vec<String>, Vec<u128>) = std::mem::take(&mut u.arns)
        .into_iter()
        .zip(masks)
        .filter(|(_, m)| all.admits_mask(*m))
        .unzip();
    u.arns = arns;
    u.arn_masks = masks;
    Ok(())
}

/// The ARNs requests through a door name: the door itself (and its objects) for each owner and
/// Region it can have, the plainest first, and where the policy's patterns (its Resource
/// patterns, and the access point ARNs its conditions name) meet the door's form, filled to a
/// name of the door's naming rules.
fn door_arns(
    door: &Door,
    from_tables: Vec<String>,
    g: &Gathered,
    owners: &[String],
) -> Vec<String> {
    let service = door.kind.service();
    let mut patterns: Vec<Vec<Tok>> = g.arn_patterns.clone();
    // An access point a condition names (`s3:DataAccessPointArn`) is one requests can go to,
    // whatever the Resource patterns say (`*`).
    if matches!(
        door.kind,
        DoorKind::AccessPoint | DoorKind::MultiRegionAccessPoint
    ) && let Some(pool) = g.pools.get("s3:dataaccesspointarn")
    {
        for p in pool
            .literals
            .iter()
            .map(|l| pattern::literal(l))
            .chain(pool.globs.iter().cloned())
        {
            let mut objects = p.clone();
            objects.extend(pattern::literal("/object/"));
            objects.push(Tok::AnyRun);
            patterns.push(p);
            patterns.push(objects);
        }
    }
    let mut regions: Vec<String> = Vec::new();
    match (door.kind, &door.region) {
        (DoorKind::MultiRegionAccessPoint, _) => regions.push(String::new()),
        (_, Some(r)) => regions.push(r.clone()),
        (_, None) => {
            regions.push("us-east-1".to_owned());
            for p in &patterns {
                if let Some(parts) = arn::split_tokens(p)
                    && !pattern::has_wildcard(parts[2])
                    && pattern::render(parts[2]) == service
                    && !pattern::has_wildcard(parts[3])
                {
                    let r = pattern::render(parts[3]);
                    if !r.is_empty() && !regions.contains(&r) {
                        regions.push(r);
                    }
                }
            }
            // One Region no pattern names, for a policy that names the others to exclude them.
            if let Some(other) = ["eu-west-1", "ap-southeast-2"]
                .iter()
                .find(|r| !regions.iter().any(|x| x == *r))
            {
                regions.push((*other).to_owned());
            }
        }
    }
    let (kind_path, fresh_name, objects) = match door.kind {
        DoorKind::AccessPoint => ("accesspoint/", "fresh-access-point", true),
        DoorKind::MultiRegionAccessPoint => ("accesspoint/", "mfreshalias0.mrap", true),
        DoorKind::ObjectLambdaAccessPoint => ("accesspoint/", "fresh-object-lambda", false),
        DoorKind::DirectoryBucket => ("bucket/", "fresh-bucket--use1-az4--x-s3", false),
    };
    // A Multi-Region Access Point's ARN holds its alias, not its name.
    let name = match door.kind {
        DoorKind::MultiRegionAccessPoint => None,
        _ => door.name.as_deref(),
    };
    // The forms an unknown name takes, each a run AWS's naming rules accept once filled with
    // letters: three characters at least; an alias ending in `.mrap`; a directory bucket's
    // `base--zone--x-s3` (a pattern may name the base, the zone, or both).
    let unknown_names: Vec<Vec<Tok>> = match door.kind {
        DoorKind::MultiRegionAccessPoint => {
            let mut alias = vec![Tok::AnyOne, Tok::AnyRun];
            alias.extend(pattern::literal(".mrap"));
            vec![alias]
        }
        DoorKind::DirectoryBucket => {
            let mut fresh_zone = vec![Tok::AnyOne, Tok::AnyRun];
            fresh_zone.extend(pattern::literal("--use1-az4--x-s3"));
            let mut any_zone = vec![Tok::AnyOne, Tok::AnyRun];
            any_zone.extend(pattern::literal("--"));
            any_zone.extend([Tok::AnyOne, Tok::AnyRun]);
            any_zone.extend(pattern::literal("--x-s3"));
            vec![fresh_zone, any_zone]
        }
        _ => vec![vec![Tok::AnyOne, Tok::AnyOne, Tok::AnyOne, Tok::AnyRun]],
    };
    // Names of the access points a condition names (`s3:DataAccessPointArn`), filled to the
    // naming rules: a request's access point ARN follows from its Resource, so a Resource
    // pattern and such a condition are met together only by a name both admit.
    let mut condition_names: Vec<String> = Vec::new();
    if name.is_none()
        && matches!(
            door.kind,
            DoorKind::AccessPoint | DoorKind::MultiRegionAccessPoint
        )
        && let Some(pool) = g.pools.get("s3:dataaccesspointarn")
    {
        for p in pool
            .literals
            .iter()
            .map(|l| pattern::literal(l))
            .chain(pool.globs.iter().cloned())
        {
            let Some(parts) = arn::split_tokens(&p) else {
                continue;
            };
            let kind = pattern::literal(kind_path);
            let Some(rest) = parts[5].strip_prefix(kind.as_slice()) else {
                continue;
            };
            let end = rest
                .iter()
                .position(|t| *t == Tok::Lit('/'))
                .unwrap_or(rest.len());
            // A name of wildcards alone says nothing the unknown names do not.
            if !rest[..end].iter().any(|t| matches!(t, Tok::Lit(_))) {
                continue;
            }
            for form in &unknown_names {
                if let Some(n) = pattern::intersection_filled(form, &rest[..end], 'z')
                    && !condition_names.contains(&n)
                {
                    condition_names.push(n);
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut push = |a: String| {
        if door.owns(&a) && !out.contains(&a) {
            out.push(a);
        }
    };
    for account in owners {
        for region in &regions {
            let head = format!("arn:aws:{service}:{region}:{account}:{kind_path}");
            let own = format!("{head}{}", name.unwrap_or(fresh_name));
            if objects {
                push(format!("{own}/object/fresh-key"));
            }
            push(own);
            let bases: Vec<Vec<Tok>> = match name {
                Some(n) => vec![pattern::literal(&format!("{head}{n}"))],
                None => unknown_names
                    .iter()
                    .map(|n| {
                        let mut b = pattern::literal(&head);
                        b.extend(n.iter().cloned());
                        b
                    })
                    .chain(
                        condition_names
                            .iter()
                            .map(|n| pattern::literal(&format!("{head}{n}"))),
                    )
                    .collect(),
            };
            let mut globs = Vec::new();
            for base in bases {
                if objects {
                    // The plain key first, where the policy's pattern admits it.
                    let mut plain = base.clone();
                    plain.extend(pattern::literal("/object/fresh-key"));
                    globs.push(plain);
                    let mut object = base.clone();
                    object.extend(pattern::literal("/object/"));
                    object.extend([Tok::AnyOne, Tok::AnyRun]);
                    globs.push(object);
                }
                globs.push(base);
            }
            for glob in &globs {
                for p in &patterns {
                    for filler in ['z', '#'] {
                        if let Some(w) = pattern::intersection_filled(glob, p, filler) {
                            push(w);
                        }
                    }
                }
            }
        }
    }
    for a in from_tables {
        push(a);
    }
    out
}

/// The owners a bucket (or a door whose owner the manifest does not name) can have: inside the
/// resource perimeter, never excluded; or the one account the manifest names.
fn storage_owners(
    u: &mut Universe,
    g: &Gathered,
    d: &Domains,
    perimeter: &Perimeter,
    named: Option<&str>,
) {
    // The bucket's owner is inside the resource perimeter, never excluded (see
    // `Perimeter::bucket_owner_inside`, which the search checks on each pair).
    // Any account an organization or OU may place inside, unless the perimeter trusts
    // owners by account alone. When the policy reads nothing of the owner, which of
    // those owns the bucket changes nothing the search checks (the perimeter reads the
    // owner only to know it is inside), so the listed accounts and one other stand for
    // them all.
    let owners: Vec<String> = perimeter
        .owner_accounts()
        .iter()
        .filter(|a| !perimeter.resource_excluded_accounts.contains(a))
        .cloned()
        .collect();
    let by_account_alone = perimeter.owner_orgs().is_empty()
        && perimeter.resource_org_paths.is_empty()
        && !owners.is_empty();
    // The access point keys name the owner too: an access point's ARN holds its owner's account
    // (Amazon S3 User Guide, "Configuring IAM policies for using access points", condition keys).
    let reads_owner = [
        "aws:resourceaccount",
        "s3:resourceaccount",
        "s3express:resourceaccount",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
    ]
    .iter()
    .any(|k| g.keys.contains_key(*k));
    let mut accounts: Vec<String> = owners.clone();
    if !by_account_alone {
        if reads_owner || owners.is_empty() {
            values::push_new(&mut accounts, d.accounts.clone());
        } else if let Some(other) = d.accounts.iter().rev().find(|a| !owners.contains(a)) {
            // One account of an organization beside them: a caller of a listed account
            // is then not bound to the owner's organization (one account, one
            // organization) in every request.
            accounts.push(other.clone());
        }
    }
    u.resource_accounts = match named {
        // The account the manifest names owns it, whatever the perimeter says of it.
        Some(a) => vec![Some(a.to_owned())],
        None => accounts
            .into_iter()
            .filter(|a| !perimeter.resource_excluded_accounts.contains(a))
            .map(Some)
            .collect(),
    };
    // Trusted organizations, those of trusted OUs, and none (an owner trusted by account).
    let mut owner_orgs: Vec<String> = perimeter.owner_orgs().to_vec();
    let add_orgs_of = |owner_orgs: &mut Vec<String>, paths: &mut dyn Iterator<Item = &String>| {
        for path in paths {
            if let Some((org, _)) = path.split_once('/')
                && !owner_orgs.iter().any(|o| o == org)
            {
                owner_orgs.push(org.to_owned());
            }
        }
    };
    add_orgs_of(&mut owner_orgs, &mut perimeter.resource_org_paths.iter());
    // An owner the perimeter knows to be a member is in that organization, trusted or
    // not (an account is in at most one organization: AWS Organizations User Guide,
    // "Managing accounts"), and an owner trusted by account may be such a member.
    for a in u.resource_accounts.iter().flatten() {
        if let Some(org) = perimeter.memberships.get(a)
            && !owner_orgs.contains(org)
        {
            owner_orgs.push(org.clone());
        }
    }
    // An owner of unknown membership may sit in an OU the perimeter excludes, and a caller of
    // the owner's own account sits in the same organization (one account, one organization):
    // unless those organizations are the owner's too, such a caller is never tried with the
    // owner's account, and a named owner has no other.
    if u.resource_accounts
        .iter()
        .flatten()
        .any(|a| !perimeter.memberships.contains_key(a))
    {
        add_orgs_of(
            &mut owner_orgs,
            &mut perimeter
                .identity_excluded_org_paths
                .iter()
                .chain(&perimeter.resource_excluded_org_paths),
        );
    }
    // Otherwise an owner trusted by account (any owner, when the perimeter places none)
    // is in an organization the perimeter does not know, any or none: a policy that reads
    // it is tried with each (`Perimeter::bucket_owner_inside` keeps the others inside).
    if ["aws:resourceorgid", "aws:resourceorgpaths"]
        .iter()
        .any(|k| g.keys.contains_key(*k))
    {
        values::push_new(&mut owner_orgs, d.orgs.clone());
    }
    let orgs: Vec<Option<String>> = owner_orgs
        .into_iter()
        .map(Some)
        .chain(std::iter::once(None))
        .collect();
    u.resource_orgs = org_choices(&orgs, d)
        .into_iter()
        .filter(|o| named.is_some() || !perimeter.resource_excluded(None, o.as_ref()))
        .collect();
}

/// Every combination of the values (or absence) each referenced tag key under `prefix` can take.
fn tag_combinations(
    g: &Gathered,
    d: &Domains,
    prefix: &str,
) -> Result<Vec<BTreeMap<String, String>>, TooMany> {
    let mut sets: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    for key in g.keys.keys().filter(|k| k.starts_with(prefix)) {
        let tag = &key[prefix.len()..];
        // The key's own candidates hold fresh values beside its literals when a policy compares
        // it; one more fresh value would only repeat them.
        let own = d.of(key);
        let mut choices: Vec<Option<String>> = vec![None];
        if own.is_empty() {
            choices.push(Some("fresh-tag-value".into()));
        }
        choices.extend(own.iter().cloned().map(Some));
        choices.dedup();
        let mut next = Vec::with_capacity(sets.len() * choices.len());
        for set in &sets {
            for c in &choices {
                let mut s = set.clone();
                if let Some(v) = c {
                    s.insert(tag.to_owned(), v.clone());
                }
                next.push(s);
            }
        }
        sets = next;
        if sets.len() > MAX_TAG_COMBINATIONS {
            return Err(TooMany(format!(
                "{} combinations of tags ({prefix}...)",
                sets.len()
            )));
        }
    }
    Ok(sets)
}

fn org_choices(orgs: &[Option<String>], d: &Domains) -> Vec<Option<Org>> {
    let paths = d.of("orgpath");
    let mut out = Vec::new();
    for o in orgs {
        match o {
            None => out.push(None),
            Some(o) => {
                let mut own: Vec<String> = paths
                    .iter()
                    .filter(|p| {
                        p.strip_prefix(o.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                    })
                    .cloned()
                    .collect();
                own.push(format!("{o}/r-fresh/"));
                for p in own {
                    out.push(Some(Org {
                        id: o.clone(),
                        paths: vec![p],
                    }));
                }
            }
        }
    }
    out
}

fn ip_candidates(g: &Gathered) -> Vec<String> {
    g.pools
        .get("ip")
        .map(Pool::ips)
        .unwrap_or_else(|| Pool::default().ips())
}

/// The VPCs a request can come from: the endpoint's own when known, else every candidate.
fn vpc_choices(d: &Domains, attachment: &Attachment) -> Vec<String> {
    match attachment {
        Attachment::Endpoint { vpc: Some(v), .. } => vec![v.clone()],
        Attachment::Door(Door {
            vpc_origin: Some(Some(v)),
            ..
        }) => vec![v.clone()],
        _ => {
            let v = d.of("vpc").to_vec();
            if v.is_empty() {
                vec![format!("{}0", stems("vpc"))]
            } else {
                v
            }
        }
    }
}

fn networks(g: &Gathered, d: &Domains, attachment: &Attachment) -> Vec<Network> {
    let vpc_source_ips: Vec<Option<String>> = if g.keys.contains_key("aws:vpcsourceip") {
        ip_candidates(g).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    let fresh_or = |domain: &str| -> Vec<String> {
        let v = d.of(domain).to_vec();
        if v.is_empty() {
            vec![format!("{}0", stems(domain))]
        } else {
            v
        }
    };
    let vpces: Vec<String> = match attachment {
        Attachment::Endpoint { id: Some(id), .. } => vec![id.clone()],
        _ => fresh_or("vpce"),
    };
    let vpcs = vpc_choices(d, attachment);
    let mut out = Vec::new();
    // From the internet first: the likeliest witness a reader recognises.
    let from_internet = match attachment {
        Attachment::Bucket { .. } | Attachment::Guardrail(_) => true,
        Attachment::Door(d) => d.vpc_origin.is_none(),
        Attachment::Endpoint { .. } => false,
    };
    if from_internet {
        for ip in ip_candidates(g) {
            out.push(Network {
                ip: Some(ip),
                ..Network::default()
            });
        }
    }
    for vpce in &vpces {
        for vpc in &vpcs {
            for vsi in &vpc_source_ips {
                out.push(Network {
                    vpce: Some(vpce.clone()),
                    vpc: Some(vpc.clone()),
                    ip: None,
                    vpc_source_ip: vsi.clone(),
                });
            }
        }
    }
    out
}

const NETWORK_KEYS: &[&str] = &[
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceip",
    "aws:vpcsourceip",
];

fn free_keys(g: &Gathered, d: &Domains) -> Vec<FreeKey> {
    let mut out = Vec::new();
    let mut names: Vec<(&String, &bool)> = g
        .keys
        .iter()
        .filter(|(k, _)| !crate::iam::request::is_derived(k) && !NETWORK_KEYS.contains(&k.as_str()))
        .collect();
    // aws:ViaAWSService decides whether the CalledVia keys exist: fix it first.
    names.sort_by_key(|(k, _)| (k.as_str() != "aws:viaawsservice", k.as_str()));
    for (key, set) in names {
        let dom = domain(key);
        let pool = g.pool_of(dom);
        let typed = keys::global(key).map(|k| k.value_type);
        let mut texts: Vec<String> = Vec::new();
        use crate::iam::keys::KeyType;
        match typed {
            Some(KeyType::Bool) => texts.extend(["true".to_owned(), "false".to_owned()]),
            Some(KeyType::Ip) => texts.extend(ip_candidates(g)),
            Some(KeyType::Numeric) => texts.extend(pool.numbers()),
            Some(KeyType::Date) => {
                texts.extend(pool.dates());
                if !pool.numbers.is_empty() {
                    texts.extend(pool.numbers());
                }
            }
            _ => {
                texts.extend(d.of(dom).iter().cloned());
                if texts.is_empty() {
                    texts.extend(pool.strings(&values::fresh(
                        "fresh-",
                        2,
                        &values::Taken::default(),
                    )));
                }
                if pool.is_typed() {
                    if !pool.nets.is_empty() {
                        texts.extend(pool.ips());
                    }
                    if !pool.numbers.is_empty() {
                        texts.extend(pool.numbers());
                    }
                    if !pool.dates.is_empty() {
                        texts.extend(pool.dates());
                    }
                    if pool.bools {
                        texts.extend(["true".to_owned(), "false".to_owned()]);
                    }
                    texts.extend(pool.binaries.iter().cloned());
                    texts.push("ZnJlc2g=".into());
                }
            }
        }
        let mut texts: Vec<String> = texts
            .into_iter()
            .collect::<indexmap::IndexSet<String, foldhash::fast::RandomState>>()
            .into_iter()
            .collect();
        // Account and organization keys hold ids of their one form (see `in_model`): a value of
        // another type the policy compares them with is no value AWS sends.
        match dom {
            "account" => texts.retain(|t| arn::is_account_id(t)),
            "org" => texts.retain(|t| arn::is_org_id(t)),
            _ => {}
        }
        let mut candidates: Vec<Option<ContextValue>> = Vec::new();
        if !ALWAYS_PRESENT.iter().any(|(k, _)| k == key) && key != "aws:userid" {
            candidates.push(None);
        }
        let multivalued = keys::global(key).map_or(*set, |k| k.multivalued);
        if multivalued {
            for t in &texts {
                candidates.push(Some(ContextValue::Many(vec![t.clone()])));
            }
            let limit = texts.len().min(8);
            for i in 0..limit {
                for j in i + 1..limit {
                    candidates.push(Some(ContextValue::Many(vec![
                        texts[i].clone(),
                        texts[j].clone(),
                    ])));
                }
            }
            if let (Some(first), Some(last)) = (texts.first(), texts.last()) {
                let pair = Some(ContextValue::Many(vec![first.clone(), last.clone()]));
                if !candidates.contains(&pair) {
                    candidates.push(pair);
                }
            }
        } else {
            candidates.extend(texts.into_iter().map(|t| Some(ContextValue::One(t))));
        }
        out.push(FreeKey {
            key: key.clone(),
            candidates,
        });
    }
    out
}
