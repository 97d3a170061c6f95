//! The perimeter as the reasoner sees it, what a request through a given attachment looks like,
//! and the predicates that say whether a request lies outside the perimeter.
//!
//! Each "outside" predicate is a conjunction of conditions on separate parts of the request, so
//! the search can discard a candidate value as soon as the part it fills is known.

use std::collections::BTreeMap;

use ipnet::IpNet;

use crate::iam::arn;
use crate::iam::pattern::Tok;
use crate::iam::request::{Caller, ContextValue, Org, Request, Values};
use crate::iam::userid;

use super::catalog;
use super::guardrail::Guardrail;

/// Grant: the policy must not allow anything outside the perimeter. Enforce (bucket policies):
/// it must also deny, by its own Deny statements, every request from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BucketMode {
    #[default]
    Grant,
    Enforce,
}

/// A third party whose accounts may reach the listed resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdParty {
    pub accounts: Vec<String>,
    /// ARN patterns (`*` / `?`), matched component by component.
    pub resources: Vec<Vec<Tok>>,
    /// Lower-cased action patterns the flow is bounded to, both ways; `None`: any action.
    pub actions: Option<Vec<Vec<Tok>>>,
}

impl ThirdParty {
    fn allows_action(&self, action: &str) -> bool {
        self.actions.as_ref().is_none_or(|patterns| {
            let action = action.to_ascii_lowercase();
            patterns
                .iter()
                .any(|p| crate::iam::pattern::matches(p, &action))
        })
    }
}

/// Whom a service principal must act for to be trusted (`aws:SourceOrgID`, `aws:SourceAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceSources {
    pub orgs: Vec<String>,
    pub accounts: Vec<String>,
}

/// The data perimeter: trusted identities, trusted resources, expected networks, exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Perimeter {
    /// Known organization members: account id to organization id. An account not listed may be
    /// in any organization or none.
    pub memberships: BTreeMap<String, String>,
    pub identity_orgs: Vec<String>,
    pub identity_accounts: Vec<String>,
    /// Accounts whose principals are never trusted, whatever list would trust them.
    pub identity_excluded_accounts: Vec<String>,
    /// Organization paths (`o-…/r-…/ou-…/`) whose principals, in them or below, are trusted.
    pub identity_org_paths: Vec<String>,
    /// Organization paths whose principals, in them or below, are never trusted.
    pub identity_excluded_org_paths: Vec<String>,
    pub trust_service_principals: bool,
    /// When given, a service principal acting for a resource (`aws:SourceAccount` present) is
    /// trusted only when it acts for one of these.
    pub service_sources: Option<ServiceSources>,
    pub resource_orgs: Vec<String>,
    pub resource_accounts: Vec<String>,
    /// Accounts whose resources are never inside, whatever list would place them there.
    pub resource_excluded_accounts: Vec<String>,
    /// Organization paths whose accounts' resources, in them or below, are inside.
    pub resource_org_paths: Vec<String>,
    /// Organization paths whose accounts' resources, in them or below, are never inside.
    pub resource_excluded_org_paths: Vec<String>,
    /// ARN patterns outside the organisation that anyone may reach through an endpoint.
    pub allowed_resources: AllowedResources,
    pub vpces: Vec<String>,
    pub vpcs: Vec<String>,
    pub source_ips: Vec<IpNet>,
    /// Endpoints owned by these organizations (`aws:VpceOrgID`), accounts (`aws:VpceAccount`)
    /// and OUs (`aws:VpceOrgPaths`) are expected networks.
    pub endpoint_orgs: Vec<String>,
    pub endpoint_accounts: Vec<String>,
    pub endpoint_org_paths: Vec<String>,
    /// `aws:SourceVpcArn` patterns of expected VPCs.
    pub vpc_arns: Vec<Vec<Tok>>,
    /// Resources inside the resource perimeter carrying one of these tags are exempt from the
    /// identity perimeter, and from the network perimeter.
    pub identity_resource_tags: Vec<(String, String)>,
    pub network_resource_tags: Vec<(String, String)>,
    /// When given, service-made requests (`aws:ViaAWSService`) are network-exempt only when
    /// `aws:CalledVia` holds one of these (lower-case).
    pub via_services: Option<Vec<String>>,
    /// Organisation principals carrying one of these tags may reach any resource.
    pub principal_tags: Vec<(String, String)>,
    /// Organisation principals carrying one of these tags may come from any network.
    pub network_tags: Vec<(String, String)>,
    /// When not empty, the network perimeter applies only to principals carrying one of these
    /// tags (AWS's opt-in rollout).
    pub network_applies_to_tags: Vec<(String, String)>,
    /// Organisation principals whose ARN matches one of these may reach any resource.
    pub resource_exempt_arns: Vec<Vec<Tok>>,
    /// Organisation principals whose ARN matches one of these may come from any network.
    pub network_exempt_arns: Vec<Vec<Tok>>,
    pub third_parties: Vec<ThirdParty>,
    pub bucket_mode: BucketMode,
}

/// What the policy is attached to, which fixes part of every request that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// Requests through this endpoint carry `aws:SourceVpce` (= `id` when known, any value
    /// otherwise), `aws:SourceVpc` (= `vpc` when known), and never `aws:SourceIp`.
    ///
    /// `service` is the IAM prefix of the endpoint's service (`s3`, `ecr`, ...) when known:
    /// requests through it are that service's. `None`: any service the policy names.
    Endpoint {
        id: Option<String>,
        vpc: Option<String>,
        service: Option<String>,
    },
    /// Requests reach this bucket (any bucket when `name` is unknown), owned by a trusted
    /// account, from the internet or through some VPC endpoint.
    Bucket { name: Option<String> },
    /// Requests reach another of S3's doors: an access point or a directory bucket.
    Door(Door),
    /// An organization guardrail (a resource or service control policy) that must deny every
    /// request outside the perimeter it enforces.
    Guardrail(Guardrail),
}

/// An S3 door other than a general purpose bucket, whose resource policy fixes the resource
/// part of every request that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Door {
    pub kind: DoorKind,
    /// The access point's or directory bucket's name (a Multi-Region Access Point's ARN holds
    /// an alias AWS generates, never known here); `None`: any.
    pub name: Option<String>,
    /// `None`: any Region (none for a Multi-Region Access Point).
    pub region: Option<String>,
    /// The owner; `None`: an account inside the resource perimeter, as for a bucket.
    pub account: Option<String>,
    /// A VPC-origin access point accepts requests only through endpoints of its VPC (`None`
    /// inside: a VPC not known here); `None`: an Internet-origin one.
    pub vpc_origin: Option<Option<String>>,
}

/// The ARN form and actions of each door (Service Authorization Reference, Amazon S3 and
/// Amazon S3 Express; Amazon S3 User Guide, "Configuring IAM policies for using access points",
/// "Multi-Region Access Point permissions", "Configuring IAM policies for Object Lambda Access
/// Points", "Authorizing Regional endpoint API operations with IAM" for directory buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorKind {
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME` and `.../object/KEY`; `s3:` actions.
    AccessPoint,
    /// `arn:aws:s3::ACCOUNT:accesspoint/ALIAS` and `.../object/KEY`; `s3:` object and bucket
    /// actions.
    MultiRegionAccessPoint,
    /// `arn:aws:s3-object-lambda:REGION:ACCOUNT:accesspoint/NAME`; `s3-object-lambda:` actions.
    ObjectLambdaAccessPoint,
    /// `arn:aws:s3express:REGION:ACCOUNT:bucket/NAME--ZONE--x-s3`; `s3express:` actions.
    DirectoryBucket,
}

impl DoorKind {
    /// The IAM prefix of the actions requests through the door carry.
    pub fn service(self) -> &'static str {
        match self {
            DoorKind::AccessPoint | DoorKind::MultiRegionAccessPoint => "s3",
            DoorKind::ObjectLambdaAccessPoint => "s3-object-lambda",
            DoorKind::DirectoryBucket => "s3express",
        }
    }

    /// How findings name what the policy is on.
    pub fn noun(self) -> &'static str {
        match self {
            DoorKind::AccessPoint => "access point",
            DoorKind::MultiRegionAccessPoint => "Multi-Region Access Point",
            DoorKind::ObjectLambdaAccessPoint => "Object Lambda Access Point",
            DoorKind::DirectoryBucket => "directory bucket",
        }
    }
}

impl Door {
    /// Whether `arn` is this door or (for the kinds that have them) one of its objects.
    pub fn owns(&self, arn: &str) -> bool {
        let Some([_, partition, service, region, account, resource]) = arn::split(arn) else {
            return false;
        };
        let region_ok = match self.kind {
            DoorKind::MultiRegionAccessPoint => region.is_empty(),
            _ => self
                .region
                .as_deref()
                .map_or(is_region(region), |r| r == region),
        };
        let account_ok =
            arn::is_account_id(account) && self.account.as_deref().is_none_or(|a| a == account);
        if partition.is_empty() || service != self.kind.service() || !region_ok || !account_ok {
            return false;
        }
        let named = |n: &str| self.name.as_deref().is_none_or(|own| own == n);
        match self.kind {
            DoorKind::DirectoryBucket => resource
                .strip_prefix("bucket/")
                .is_some_and(|n| is_directory_bucket_name(n) && named(n)),
            DoorKind::ObjectLambdaAccessPoint => resource
                .strip_prefix("accesspoint/")
                .is_some_and(|n| is_access_point_name(n) && named(n)),
            DoorKind::AccessPoint => match access_point_parts(resource) {
                Some((n, key)) => {
                    is_access_point_name(n) && named(n) && key.is_none_or(|k| !k.is_empty())
                }
                None => false,
            },
            // The alias is AWS's (`<13 letters and digits>.mrap`); the name is not in the ARN.
            DoorKind::MultiRegionAccessPoint => match access_point_parts(resource) {
                Some((alias, key)) => is_mrap_alias(alias) && key.is_none_or(|k| !k.is_empty()),
                None => false,
            },
        }
    }

    /// The ARN whose resource type stands for `arn` in the action tables: a Multi-Region Access
    /// Point acts as a bucket and its objects (the tables list no object form for it).
    pub fn typed_arn<'a>(&self, arn: &'a str) -> std::borrow::Cow<'a, str> {
        if self.kind != DoorKind::MultiRegionAccessPoint {
            return arn.into();
        }
        match arn::split(arn).and_then(|p| access_point_parts(p[5])) {
            Some((_, Some(key))) => format!("arn:aws:s3:::fresh-bucket/{key}").into(),
            Some((_, None)) => "arn:aws:s3:::fresh-bucket".into(),
            None => arn.into(),
        }
    }

    /// The access point an ARN names (regional, Multi-Region or Object Lambda; an object's ARN
    /// names its access point), each part known only where the ARN spells it without a wildcard.
    pub fn access_point(arn: &str, vpc_origin: Option<Option<String>>) -> Option<Door> {
        let [_, _, service, region, account, resource] = arn::split(arn)?;
        let (name, _) = access_point_parts(resource)
            .or_else(|| resource.strip_prefix("accesspoint/").map(|n| (n, None)))?;
        let kind = match (service, region.is_empty()) {
            ("s3", true) => DoorKind::MultiRegionAccessPoint,
            ("s3", false) => DoorKind::AccessPoint,
            ("s3-object-lambda", _) => DoorKind::ObjectLambdaAccessPoint,
            _ => return None,
        };
        let literal =
            |v: &str| (!v.is_empty() && !v.contains(['*', '?', '$'])).then(|| v.to_owned());
        Some(Door {
            kind,
            name: literal(name).filter(|_| kind != DoorKind::MultiRegionAccessPoint),
            region: literal(region),
            account: literal(account).filter(|a| arn::is_account_id(a)),
            vpc_origin: vpc_origin.filter(|_| kind == DoorKind::AccessPoint),
        })
    }

    /// `s3:AccessPointNetworkOrigin` of requests through the door.
    pub fn network_origin(&self) -> &'static str {
        if self.vpc_origin.is_some() {
            "VPC"
        } else {
            "Internet"
        }
    }
}

/// `NAME` or `NAME/object/KEY` of an access point ARN's resource (`accesspoint/...`).
fn access_point_parts(resource: &str) -> Option<(&str, Option<&str>)> {
    let rest = resource.strip_prefix("accesspoint/")?;
    match rest.split_once('/') {
        None => Some((rest, None)),
        Some((name, tail)) => Some((name, Some(tail.strip_prefix("object/")?))),
    }
}

/// Access point names: 3 to 50 lower-case letters, digits and hyphens, starting and ending with
/// a letter or digit (Amazon S3 User Guide, "Access points naming rules").
pub fn is_access_point_name(n: &str) -> bool {
    (3..=50).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !n.starts_with('-')
        && !n.ends_with('-')
}

/// Directory bucket names: `base--zone-id--x-s3`, a bucket name of 3 to 63 characters
/// (Amazon S3 User Guide, "Directory bucket naming rules").
pub fn is_directory_bucket_name(n: &str) -> bool {
    (3..=63).contains(&n.len())
        && n.strip_suffix("--x-s3")
            .and_then(|rest| rest.rsplit_once("--"))
            .is_some_and(|(base, zone)| {
                !base.is_empty()
                    && !zone.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
}

/// A Multi-Region Access Point alias: lower-case letters and digits, then `.mrap` (Amazon S3
/// User Guide, "Multi-Region Access Point restrictions and limitations").
fn is_mrap_alias(a: &str) -> bool {
    a.strip_suffix(".mrap").is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// A Region code (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`).
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

/// A perimeter dimension a policy is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// An identity outside the trusted set is allowed.
    Identity,
    /// A trusted identity is allowed to reach a resource outside the trusted set.
    Resource,
    /// A request from outside the expected networks is allowed.
    Network,
    /// (Enforce mode) a request from outside the perimeter is not explicitly denied.
    Enforce,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Identity => "identity",
            Dimension::Resource => "resource",
            Dimension::Network => "network",
            Dimension::Enforce => "enforce",
        }
    }
}

impl Perimeter {
    /// Accounts that own resources inside the perimeter. The configuration gives each resource
    /// list the identity's when it is absent, and `[]` means none: no second default here.
    pub fn owner_accounts(&self) -> &[String] {
        &self.resource_accounts
    }

    pub fn owner_orgs(&self) -> &[String] {
        &self.resource_orgs
    }

    /// The owner of the bucket a bucket policy protects: inside the resource perimeter (the
    /// platform deploys its own buckets), and never excluded. A perimeter that places no owner
    /// anywhere (every resource list empty) says nothing about it: any account not excluded.
    pub fn bucket_owner_inside(&self, account: Option<&str>, org: Option<&Org>) -> bool {
        let Some(a) = account else {
            return false;
        };
        if self.resource_excluded(Some(a), org) {
            return false;
        }
        let places_none = self.resource_accounts.is_empty()
            && self.resource_orgs.is_empty()
            && self.resource_org_paths.is_empty();
        places_none
            || self.resource_account_trusted(Some(a), org)
            || self.resource_org_trusted(Some(a), org)
    }

    /// A caller inside the identity perimeter on its own (third parties aside).
    pub fn trusted_caller(&self, caller: &Caller) -> bool {
        match caller {
            Caller::Service { .. } => self.trust_service_principals,
            Caller::Iam(i) => {
                !self.identity_excluded_accounts.contains(&i.account)
                    && !under(i.org.as_ref(), &self.identity_excluded_org_paths)
                    && (self.identity_accounts.contains(&i.account)
                        || i.org
                            .as_ref()
                            .is_some_and(|o| self.identity_orgs.contains(&o.id))
                        || under(i.org.as_ref(), &self.identity_org_paths))
            }
            _ => false,
        }
    }

    /// A trusted IAM identity of the organisation (not a service principal): the callers the
    /// resource perimeter is about.
    pub fn trusted_iam_caller(&self, caller: &Caller) -> bool {
        matches!(caller, Caller::Iam(_)) && self.trusted_caller(caller)
    }

    /// The principal-tag escape hatch of the resource perimeter: an organisation principal
    /// carrying the tag.
    pub fn tag_exception(&self, caller: &Caller) -> bool {
        (Self::carries(caller, &self.principal_tags)
            || Self::named(caller, &self.resource_exempt_arns))
            && self.trusted_caller(caller)
    }

    /// The network perimeter's escape hatch: any principal carrying the tag or named by ARN, as
    /// AWS's network-perimeter statements exempt it (`StringNotEqualsIfExists
    /// aws:PrincipalTag/dp:exclude:network`, `ArnNotLikeIfExists aws:PrincipalArn`), whoever
    /// it is. Whether that principal may make the request at all is the identity perimeter's
    /// question, asked on its own; the same holds for `appliesToPrincipalTags`.
    pub fn network_tag_exception(&self, caller: &Caller) -> bool {
        Self::carries(caller, &self.network_tags) || Self::named(caller, &self.network_exempt_arns)
    }

    /// Whether the caller's `aws:PrincipalArn` (a role's ARN for its sessions) matches one of
    /// the patterns, as ArnLike matches.
    fn named(caller: &Caller, patterns: &[Vec<Tok>]) -> bool {
        match caller {
            Caller::Iam(i) => patterns.iter().any(|p| arn::matches(p, &i.arn)),
            _ => false,
        }
    }

    fn carries(caller: &Caller, tags: &[(String, String)]) -> bool {
        match caller {
            Caller::Iam(i) => tags
                .iter()
                .any(|(k, v)| i.tags.get(k).is_some_and(|t| t == v)),
            _ => false,
        }
    }

    /// A third party reaching its own listed resources, with one of its listed actions.
    pub fn third_party_exception(&self, caller: &Caller, resource_arn: &str, action: &str) -> bool {
        let Some(account) = caller.account() else {
            return false;
        };
        self.third_parties.iter().any(|tp| {
            tp.accounts.iter().any(|a| a == account)
                && tp.resources.iter().any(|p| arn::matches(p, resource_arn))
                && tp.allows_action(action)
        })
    }

    /// Whether any third party's flow is bounded by actions (the exception then reads the
    /// action too).
    pub fn third_parties_bound_actions(&self) -> bool {
        self.third_parties.iter().any(|tp| tp.actions.is_some())
    }

    /// A request inside the identity perimeter on its own (third parties, allowed resources
    /// and resource tags aside): a trusted IAM caller, or a trusted service principal acting
    /// for a trusted source.
    pub fn trusted_identity(&self, r: &Request) -> bool {
        match &r.caller {
            Caller::Service { .. } => {
                self.trust_service_principals && self.service_source_trusted(r)
            }
            c => self.trusted_caller(c),
        }
    }

    /// `servicePrincipalSources`: a service request that carries `aws:SourceAccount` acts for
    /// that account's resource, and is trusted only when the account or its organization
    /// (`aws:SourceOrgID`) is a listed source and no exclusion names it. A request without it
    /// stays trusted, as AWS's confused-deputy statements (`Null aws:SourceAccount = false`)
    /// leave it (IAM User Guide, "The confused deputy problem", cross-service protection).
    fn service_source_trusted(&self, r: &Request) -> bool {
        let Some(sources) = &self.service_sources else {
            return true;
        };
        let Some(account) = one(r, "aws:sourceaccount") else {
            return true;
        };
        let org = one(r, "aws:sourceorgid");
        let excluded = self.identity_excluded_accounts.iter().any(|x| x == account)
            || many(r, "aws:sourceorgpaths").iter().any(|p| {
                self.identity_excluded_org_paths
                    .iter()
                    .any(|l| p.starts_with(l.as_str()))
            });
        !excluded
            && (sources.accounts.iter().any(|a| a == account)
                || org.is_some_and(|o| sources.orgs.iter().any(|x| x == o)))
    }

    /// A resource-tag exception: the resource carries one of `tags` and its owner is inside the
    /// resource perimeter (only an owner inside can be trusted to have set the tag).
    pub fn resource_tag_exempt(&self, tags: &[(String, String)], r: &Request) -> bool {
        !tags.is_empty()
            && tags
                .iter()
                .any(|(k, v)| r.resource.tags.get(k).is_some_and(|t| t == v))
            && self.resource_owner_inside(r)
    }

    fn resource_owner_inside(&self, r: &Request) -> bool {
        let (account, org) = (r.resource.account.as_deref(), r.resource.org.as_ref());
        self.resource_account_trusted(account, org) || self.resource_org_trusted(account, org)
    }

    /// An allowed resource: the perimeter's patterns read bucket name first
    /// ([`arn::matches_by_bucket`]), whatever IAM's `*` would cross.
    pub fn allowed_resource(&self, resource_arn: &str) -> bool {
        self.allowed_resources.allows(resource_arn)
    }
}

/// The allowed-resource patterns, those naming one S3 bucket looked up by it: an
/// `awsOwnedResources` set names a hundred buckets, and every candidate ARN is tested. Built
/// with the perimeter, once per configuration, not per analysis. The same answers as
/// testing every pattern in turn with [`arn::matches_by_bucket`].
#[derive(Debug, Clone, Default)]
pub struct AllowedResources {
    patterns: Vec<Vec<Tok>>,
    /// `partition:bucket` to the patterns of that bucket's name and its objects.
    by_bucket: std::collections::HashMap<String, Vec<usize>>,
    others: Vec<usize>,
}

// The index is a function of the patterns.
impl PartialEq for AllowedResources {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for AllowedResources {}

impl From<Vec<Vec<Tok>>> for AllowedResources {
    fn from(patterns: Vec<Vec<Tok>>) -> Self {
        let mut by_bucket: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut others = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match literal_bucket(p) {
                Some(key) => by_bucket.entry(key).or_default().push(i),
                None => others.push(i),
            }
        }
        Self {
            patterns,
            by_bucket,
            others,
        }
    }
}

impl FromIterator<Vec<Tok>> for AllowedResources {
    fn from_iter<I: IntoIterator<Item = Vec<Tok>>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

impl std::ops::Deref for AllowedResources {
    type Target = [Vec<Tok>];

    fn deref(&self) -> &[Vec<Tok>] {
        &self.patterns
    }
}

impl AllowedResources {
    pub fn allows(&self, resource_arn: &str) -> bool {
        let indexed = arn::split(resource_arn)
            .filter(|a| a[2] == "s3" && a[3].is_empty() && a[4].is_empty())
            .and_then(|a| {
                let bucket = a[5].split_once('/').map_or(a[5], |(b, _)| b);
                self.by_bucket.get(&format!("{}:{bucket}", a[1]))
            });
        indexed
            .into_iter()
            .flatten()
            .chain(&self.others)
            .any(|&i| arn::matches_by_bucket(&self.patterns[i], resource_arn))
    }
}

/// `partition:bucket` for an S3 pattern whose partition and bucket name have no wildcard (it
/// matches only that bucket and its objects, see [`arn::matches_by_bucket`]).
fn literal_bucket(p: &[Tok]) -> Option<String> {
    let parts = arn::split_tokens(p)?;
    let literal =
        |t: &[Tok]| (!crate::iam::pattern::has_wildcard(t)).then(|| crate::iam::pattern::render(t));
    let name_end = parts[5]
        .iter()
        .position(|t| *t == Tok::Lit('/'))
        .unwrap_or(parts[5].len());
    let (partition, service, region, account, bucket) = (
        literal(parts[1])?,
        literal(parts[2])?,
        literal(parts[3])?,
        literal(parts[4])?,
        literal(&parts[5][..name_end])?,
    );
    (service == "s3" && region.is_empty() && account.is_empty() && !bucket.is_empty())
        .then(|| format!("{partition}:{bucket}"))
}

impl Perimeter {
    /// A resource a third party shares: its own identities and ours may reach it, with the
    /// listed actions.
    pub fn third_party_resource(&self, resource_arn: &str, action: &str) -> bool {
        self.third_parties.iter().any(|tp| {
            tp.resources.iter().any(|p| arn::matches(p, resource_arn)) && tp.allows_action(action)
        })
    }

    /// An excluded owner's resources are outside whatever else would place them inside: every
    /// way in (the owner's account, organisation or OU) fails for them.
    pub fn resource_excluded(&self, account: Option<&str>, org: Option<&Org>) -> bool {
        account.is_some_and(|a| self.resource_excluded_accounts.iter().any(|x| x == a))
            || under(org, &self.resource_excluded_org_paths)
    }

    pub fn resource_account_trusted(&self, account: Option<&str>, org: Option<&Org>) -> bool {
        !self.resource_excluded(account, org)
            && account.is_some_and(|a| self.owner_accounts().iter().any(|o| o == a))
    }

    /// Owned in a trusted organisation, or in a trusted OU (`aws:ResourceOrgPaths`).
    pub fn resource_org_trusted(&self, account: Option<&str>, org: Option<&Org>) -> bool {
        !self.resource_excluded(account, org)
            && (org.is_some_and(|o| self.owner_orgs().contains(&o.id))
                || under(org, &self.resource_org_paths))
    }

    /// The network a request came from is an expected one.
    pub fn expected_network(&self, request: &Request) -> bool {
        self.expected_network_by_id(request)
            || one(request, "aws:sourcevpcarn")
                .is_some_and(|a| self.vpc_arns.iter().any(|p| arn::matches(p, a)))
            || self.trusted_endpoint_owner(request)
    }

    /// Expected by the endpoint's or the VPC's id, or by the address.
    pub fn expected_network_by_id(&self, request: &Request) -> bool {
        let one = |k: &str| one(request, k);
        one("aws:sourcevpce").is_some_and(|v| self.vpces.iter().any(|x| x == v))
            || one("aws:sourcevpc").is_some_and(|v| self.vpcs.iter().any(|x| x == v))
            || one("aws:sourceip")
                .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                .is_some_and(|ip| self.source_ips.iter().any(|n| n.contains(&ip)))
    }

    /// An endpoint owned by a trusted endpoint organization, account or OU (`aws:VpceOrgID`,
    /// `aws:VpceAccount`, `aws:VpceOrgPaths`; IAM User Guide, global condition keys), unless the
    /// owner is excluded from the identity perimeter: exclusions win over every trust list.
    pub fn trusted_endpoint_owner(&self, request: &Request) -> bool {
        if self.endpoint_orgs.is_empty()
            && self.endpoint_accounts.is_empty()
            && self.endpoint_org_paths.is_empty()
        {
            return false;
        }
        let account = one(request, "aws:vpceaccount");
        let paths = many(request, "aws:vpceorgpaths");
        let under_any = |listed: &[String]| {
            paths
                .iter()
                .any(|p| listed.iter().any(|l| p.starts_with(l.as_str())))
        };
        let excluded = account
            .is_some_and(|a| self.identity_excluded_accounts.iter().any(|x| x == a))
            || under_any(&self.identity_excluded_org_paths);
        !excluded
            && (one(request, "aws:vpceorgid")
                .is_some_and(|o| self.endpoint_orgs.iter().any(|x| x == o))
                || account.is_some_and(|a| self.endpoint_accounts.iter().any(|x| x == a))
                || under_any(&self.endpoint_org_paths))
    }

    /// Callers the network perimeter does not apply to: AWS service principals (AWS's own
    /// guidance) and organisation principals carrying a network exception tag.
    pub fn network_exempt_caller(&self, caller: &Caller) -> bool {
        (self.trust_service_principals && matches!(caller, Caller::Service { .. }))
            || self.network_tag_exception(caller)
            || (!self.network_applies_to_tags.is_empty()
                && !Self::carries(caller, &self.network_applies_to_tags))
    }

    /// Requests the network perimeter does not apply to: exempt callers, services acting with a
    /// principal's credentials (`aws:ViaAWSService`), and third parties reaching their own
    /// listed resources from their own networks.
    pub fn network_exempt(&self, request: &Request) -> bool {
        self.network_exempt_caller(&request.caller)
            || self.via_listed_service(request)
            || self.third_party_exception(&request.caller, &request.resource.arn, &request.action)
            || self.resource_tag_exempt(&self.network_resource_tags, request)
    }

    /// A service calling with the principal's credentials (`aws:ViaAWSService`), through one of
    /// the listed services when `viaAwsServices` is given (`aws:CalledVia` holds it: IAM User
    /// Guide, global condition keys, aws:CalledVia).
    pub fn via_listed_service(&self, request: &Request) -> bool {
        one(request, "aws:viaawsservice").is_some_and(|v| v.eq_ignore_ascii_case("true"))
            && self.via_services.as_ref().is_none_or(|listed| {
                many(request, "aws:calledvia")
                    .iter()
                    .any(|s| listed.iter().any(|l| l.eq_ignore_ascii_case(s)))
            })
    }

    /// Whether a complete request lies outside the perimeter in one dimension.
    pub fn outside(&self, dimension: Dimension, request: &Request) -> bool {
        let caller = &request.caller;
        let arn = request.resource.arn.as_str();
        match dimension {
            // Allowed resources (AWS-owned repositories and the like) may be read by anyone.
            Dimension::Identity => {
                !self.trusted_identity(request)
                    && !self.third_party_exception(caller, arn, &request.action)
                    && !self.allowed_resource(arn)
                    && !self.resource_tag_exempt(&self.identity_resource_tags, request)
            }
            Dimension::Resource => {
                self.trusted_iam_caller(caller)
                    && !self.tag_exception(caller)
                    && !self.allowed_resource(arn)
                    && !self.third_party_resource(arn, &request.action)
                    && !self.resource_account_trusted(
                        request.resource.account.as_deref(),
                        request.resource.org.as_ref(),
                    )
                    && !self.resource_org_trusted(
                        request.resource.account.as_deref(),
                        request.resource.org.as_ref(),
                    )
            }
            Dimension::Network => !self.network_exempt(request) && !self.expected_network(request),
            Dimension::Enforce => {
                self.outside(Dimension::Identity, request)
                    || self.outside(Dimension::Network, request)
            }
        }
    }
}

impl Perimeter {
    /// The delegation pattern (Amazon S3 User Guide, "Configuring IAM policies for using access
    /// points", delegating access control to access points): a bucket policy may allow
    /// everything to requests made through access points of accounts it names with
    /// `s3:DataAccessPointAccount`. Such a request to the bucket is the access point policy's to
    /// judge, and that policy is checked on its own, when the access point belongs to an
    /// account inside the resource perimeter (the platform deploys it, so its policy reaches
    /// this check). A request straight to the bucket, or through another account's access
    /// point, is the bucket policy's.
    pub fn delegated_to_access_point(&self, r: &Request) -> bool {
        let to_bucket = arn::split(&r.resource.arn)
            .is_some_and(|p| p[2] == "s3" && p[3].is_empty() && p[4].is_empty());
        to_bucket && access_point_account(r).is_some_and(|a| self.access_point_owner_trusted(a))
    }

    /// An access point owner inside the resource perimeter, by account or by the organization
    /// `organizations` lists it in; never an excluded one.
    pub fn access_point_owner_trusted(&self, account: &str) -> bool {
        let org = self.memberships.get(account).map(|id| Org {
            id: id.clone(),
            paths: Vec::new(),
        });
        self.resource_account_trusted(Some(account), org.as_ref())
            || self.resource_org_trusted(Some(account), org.as_ref())
    }
}

/// The keys S3 adds to a request made through an access point, to the access point's policy and
/// to the bucket's (Amazon S3 User Guide, "Configuring IAM policies for using access points":
/// s3:DataAccessPointArn, s3:DataAccessPointAccount, s3:AccessPointNetworkOrigin).
pub const ACCESS_POINT_KEYS: &[&str] = &[
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:accesspointnetworkorigin",
];

/// The account of the access point a request goes through, from either key that names it.
pub fn access_point_account(r: &Request) -> Option<&str> {
    one(r, "s3:dataaccesspointaccount").or_else(|| {
        one(r, "s3:dataaccesspointarn")
            .and_then(arn::split)
            .map(|p| p[4])
            .filter(|a| arn::is_account_id(a))
    })
}

/// The access point ARN a request to `resource_arn` names, when it names one
/// (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`, objects included; a Multi-Region Access
/// Point's has no Region).
pub fn access_point_of(resource_arn: &str) -> Option<(String, &str)> {
    let [_, partition, service, region, account, resource] = arn::split(resource_arn)?;
    let (name, _) = access_point_parts(resource)?;
    (service == "s3" && arn::is_account_id(account)).then(|| {
        (
            format!("arn:{partition}:s3:{region}:{account}:accesspoint/{name}"),
            account,
        )
    })
}

/// The access point keys agree with each other and with the request: a request to an access
/// point carries that access point's ARN and account, and the door's network origin; a request
/// to a bucket through one carries a well-formed regional access point ARN; a VPC-origin access
/// point is reached only through a VPC endpoint. Only S3 requests carry them, never anonymous
/// ones, and every request through a door is made over HTTPS.
pub fn access_point_keys_hold(r: &Request, attachment: &Attachment) -> bool {
    door_caller_holds(r, attachment)
        && door_transport_holds(r, attachment)
        && access_point_keys_agree(r, attachment)
        && access_point_keys_on_s3(r)
        && access_point_origin_reachable(r)
}

/// Whether the request goes through an access point: to one, or to a bucket with its keys.
fn through_access_point(r: &Request, attachment: &Attachment) -> bool {
    ACCESS_POINT_KEYS.iter().any(|k| r.context.contains_key(*k))
        || access_point_of(&r.resource.arn).is_some()
        || matches!(attachment, Attachment::Door(d) if d.kind != DoorKind::DirectoryBucket)
}

/// Access points take no anonymous requests (Amazon S3 User Guide, "Access points restrictions
/// and limitations").
pub fn door_caller_holds(r: &Request, attachment: &Attachment) -> bool {
    !(matches!(r.caller, Caller::Anonymous) && through_access_point(r, attachment))
}

/// Access points and directory buckets take HTTPS only (the same page; S3 Express One Zone,
/// "Data protection and encryption").
pub fn door_transport_holds(r: &Request, attachment: &Attachment) -> bool {
    let https_only =
        through_access_point(r, attachment) || matches!(attachment, Attachment::Door(_));
    !(https_only && one(r, "aws:securetransport") == Some("false"))
}

/// The keys agree with each other and with the resource: one value each; a request to an access
/// point names that access point, its owner and (a regional one) the door's origin; a request to
/// a bucket names a well-formed regional access point whose account is the account key.
pub fn access_point_keys_agree(r: &Request, attachment: &Attachment) -> bool {
    // Each key holds one value (Amazon S3's condition keys: String and ARN, not ArrayOf...).
    if ACCESS_POINT_KEYS
        .iter()
        .any(|k| matches!(r.context.get(*k), Some(ContextValue::Many(_))))
    {
        return false;
    }
    let (ap_arn, account, origin) = (
        one(r, "s3:dataaccesspointarn"),
        one(r, "s3:dataaccesspointaccount"),
        one(r, "s3:accesspointnetworkorigin"),
    );
    let origin_ok = match (origin, attachment) {
        (None, _) => true,
        (Some(o), Attachment::Door(d)) if d.kind == DoorKind::AccessPoint => {
            o == d.network_origin()
        }
        (Some(o), _) => o == "Internet" || o == "VPC",
    };
    let names_ok = match access_point_of(&r.resource.arn) {
        Some((own, owner)) => ap_arn.is_none_or(|a| a == own) && account.is_none_or(|a| a == owner),
        None => {
            let arn_account = match ap_arn {
                None => None,
                Some(a) => match arn::split(a) {
                    Some([_, partition, "s3", region, acct, resource])
                        if !partition.is_empty()
                            && is_region(region)
                            && arn::is_account_id(acct)
                            && resource
                                .strip_prefix("accesspoint/")
                                .is_some_and(is_access_point_name) =>
                    {
                        Some(acct)
                    }
                    _ => return false,
                },
            };
            account.is_none_or(arn::is_account_id)
                && match (arn_account, account) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        }
    };
    origin_ok && names_ok
}

/// Only S3 requests carry the keys.
pub fn access_point_keys_on_s3(r: &Request) -> bool {
    !ACCESS_POINT_KEYS.iter().any(|k| r.context.contains_key(*k))
        || r.action
            .split_once(':')
            .is_some_and(|(svc, _)| svc.eq_ignore_ascii_case("s3"))
}

/// A VPC-origin access point is reached only through a VPC endpoint.
pub fn access_point_origin_reachable(r: &Request) -> bool {
    one(r, "s3:accesspointnetworkorigin") != Some("VPC") || r.context.contains_key("aws:sourcevpce")
}

/// Whether one of the membership's OU paths is in one of the listed OUs or below (an
/// `aws:…OrgPaths` entry starts with the listed path; both end with `/`).
fn under(org: Option<&Org>, listed: &[String]) -> bool {
    !listed.is_empty()
        && org.is_some_and(|o| {
            o.paths
                .iter()
                .any(|p| listed.iter().any(|l| p.starts_with(l.as_str())))
        })
}

fn one<'r>(r: &'r Request, key: &str) -> Option<&'r str> {
    match r.lookup(key) {
        Some(Values::One(v)) => Some(v),
        _ => None,
    }
}

/// A multivalued key's values (a single value reads as one).
fn many<'r>(r: &'r Request, key: &str) -> Vec<&'r str> {
    match r.lookup(key) {
        Some(Values::One(v)) => vec![v],
        Some(Values::Many(vs)) => vs.iter().map(String::as_str).collect(),
        None => Vec::new(),
    }
}

/// An account listed in `organizations` is a member of that organization, whatever key reports
/// it; an account not listed may be in any organization or none.
fn membership_holds(p: &Perimeter, account: Option<&str>, org: Option<&str>) -> bool {
    account
        .and_then(|a| p.memberships.get(a))
        .is_none_or(|member_of| org == Some(member_of.as_str()))
}

/// The caller's organization agrees with the known memberships.
pub fn caller_membership_holds(r: &Request, p: &Perimeter) -> bool {
    match &r.caller {
        Caller::Iam(i) => {
            membership_holds(p, Some(&i.account), i.org.as_ref().map(|o| o.id.as_str()))
        }
        _ => true,
    }
}

/// The resource owner's organization agrees with the known memberships.
pub fn resource_membership_holds(r: &Request, p: &Perimeter) -> bool {
    membership_holds(
        p,
        r.resource.account.as_deref(),
        r.resource.org.as_ref().map(|o| o.id.as_str()),
    )
}

/// An owner's organization keys agree with each other and with the known memberships: the OU
/// paths lie in the organization (`o-…/r-…/…`), and a listed account reports its organization.
fn owner_keys_hold(
    p: &Perimeter,
    account: Option<&str>,
    org: Option<&str>,
    paths: &[&str],
) -> bool {
    let paths_ok = match org {
        None => paths.is_empty(),
        Some(o) => paths.iter().all(|path| {
            path.strip_prefix(o)
                .is_some_and(|rest| rest.starts_with('/'))
        }),
    };
    paths_ok && (account.is_none() || membership_holds(p, account, org))
}

/// `aws:VpceAccount`, `aws:VpceOrgID` and `aws:VpceOrgPaths` describe one endpoint owner.
pub fn endpoint_owner_consistent(r: &Request, p: &Perimeter) -> bool {
    owner_keys_hold(
        p,
        one(r, "aws:vpceaccount"),
        one(r, "aws:vpceorgid"),
        &many(r, "aws:vpceorgpaths"),
    )
}

/// `aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceOrgPaths` and the account in
/// `aws:SourceArn` describe one source owner; the organization keys come with the account
/// (IAM User Guide, global condition keys, aws:SourceOrgID: present when the source resource's
/// owner is an organization member).
pub fn service_source_consistent(r: &Request, p: &Perimeter) -> bool {
    let account = one(r, "aws:sourceaccount");
    let org = one(r, "aws:sourceorgid");
    let arn_account = one(r, "aws:sourcearn")
        .and_then(arn::split)
        .map(|parts| parts[4])
        .filter(|a| arn::is_account_id(a));
    (account.is_some() || (org.is_none() && arn_account.is_none()))
        && arn_account.is_none_or(|a| account == Some(a))
        && owner_keys_hold(p, account, org, &many(r, "aws:sourceorgpaths"))
}

/// Keys that only exist through a VPC endpoint.
pub const ENDPOINT_KEYS: &[&str] = &[
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:vpcsourceip",
    "aws:sourcevpcarn",
    "aws:vpceaccount",
    "aws:vpceorgid",
    "aws:vpceorgpaths",
];

/// Keys present only when an AWS service principal acts on behalf of a resource.
pub const SERVICE_SOURCE_KEYS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceowner",
];

/// Keys present only when a service calls with the principal's credentials.
pub const CALLED_VIA_KEYS: &[&str] = &["aws:calledvia", "aws:calledviafirst", "aws:calledvialast"];

/// Keys AWS puts in every request context, with the value a witness gets when the policy never
/// reads the key (so the value cannot change the decision; `false` for aws:ViaAWSService keeps a
/// request inside the network perimeter's scope).
pub const ALWAYS_PRESENT: &[(&str, &str)] = &[
    ("aws:securetransport", "true"),
    ("aws:viaawsservice", "false"),
    ("aws:currenttime", "2026-01-01T00:00:00.000Z"),
    ("aws:epochtime", "1767225600"),
    ("aws:requestedregion", "us-east-1"),
    ("aws:useragent", "fresh-agent"),
];

/// An account belongs to at most one organization, and sits in one OU (AWS Organizations User
/// Guide, "Managing accounts"): a request whose caller and resource share an account has the
/// same organization and path on both sides.
pub fn one_org_per_account(r: &Request) -> bool {
    match (&r.caller, &r.resource.account) {
        (Caller::Iam(i), Some(owner)) if *owner == i.account => i.org == r.resource.org,
        _ => true,
    }
}

/// `aws:userid` follows the caller (see [`crate::iam::userid`]); absent is fine here.
pub fn userid_follows_caller(r: &Request) -> bool {
    match r.lookup("aws:userid") {
        Some(Values::One(v)) => userid::follows(&r.caller, v),
        Some(Values::Many(_)) => false,
        None => true,
    }
}

/// `aws:SourceVpcArn` is the ARN of the VPC `aws:SourceVpc` names (IAM User Guide, global
/// condition keys, aws:SourceVpcArn: `arn:aws:ec2:<region>:<account>:vpc/<vpc-id>`); absent is
/// fine here.
pub fn source_vpc_arn_names_source_vpc(r: &Request) -> bool {
    let Some(Values::One(vpc_arn)) = r.lookup("aws:sourcevpcarn") else {
        return r.lookup("aws:sourcevpcarn").is_none();
    };
    let Some(Values::One(vpc)) = r.lookup("aws:sourcevpc") else {
        return false;
    };
    arn::split(vpc_arn).is_some_and(|[_, partition, service, region, account, resource]| {
        !partition.is_empty()
            && service == "ec2"
            && !region.is_empty()
            && arn::is_account_id(account)
            && resource.strip_prefix("vpc/") == Some(vpc)
    })
}

/// Service keys AWS puts in the requests of other services: those made with the credentials of
/// an EC2 instance's role (IAM User Guide, "AWS global condition context keys" and Amazon EC2's
/// "Condition keys": `ec2:SourceInstanceARN`, `ec2:SourceInstancePrivateIPv4`,
/// `ec2:RoleDelivery`), of a Lambda function's execution role (`lambda:SourceFunctionArn`), of
/// the roles AWS Glue assumes (`glue:RoleAssumedBy`, `glue:CredentialIssuingService`), of a
/// Systems Manager managed instance (`ssm:SourceInstanceARN`), and of an IAM Identity Center
/// user (`identitystore:UserId`).
pub const CROSS_SERVICE_KEYS: &[&str] = &[
    "ec2:sourceinstancearn",
    "ec2:sourceinstanceprivateipv4",
    "ec2:roledelivery",
    "lambda:sourcefunctionarn",
    "glue:roleassumedby",
    "glue:credentialissuingservice",
    "ssm:sourceinstancearn",
    "identitystore:userid",
];

/// Whether a context key can come with a request for `action`. A service's own condition keys
/// come only with that service's requests (Service Authorization Reference: each service lists
/// the keys of its actions; IAM User Guide, "IAM JSON policy elements: Condition", service-
/// specific keys), except [`CROSS_SERVICE_KEYS`]; Amazon S3's keys also come with S3 Express
/// One Zone's and S3 Object Lambda's requests, which reach S3's buckets and access points.
/// Global keys (`aws:`), SAML keys and the keys of web identity providers (named by their
/// host, `token.actions.githubusercontent.com:sub`) are not a service's.
pub fn key_fits_action(key: &str, action: &str) -> bool {
    let Some(prefix) = service_scoped(key) else {
        return true;
    };
    let service = action.split_once(':').map_or("", |(s, _)| s);
    let service = service.to_ascii_lowercase();
    prefix == service
        || (prefix == "s3" && matches!(service.as_str(), "s3express" | "s3-object-lambda"))
}

/// The service whose requests alone carry the key, if it is such a key (see
/// [`key_fits_action`]).
pub fn service_scoped(key: &str) -> Option<&str> {
    let (prefix, _) = key.split_once(':')?;
    let shared = prefix == "aws"
        || prefix == "saml"
        || prefix.contains('.')
        || CROSS_SERVICE_KEYS.contains(&key);
    (!shared).then_some(prefix)
}

/// Whether a request is one that can reach a policy with this attachment, by the availability
/// rules of the keys (IAM User Guide, global condition keys): the requests the reasoner ranges
/// over. Keys the request does not carry are fine; a key it carries where AWS never puts one is
/// not.
pub fn in_model(request: &Request, attachment: &Attachment, perimeter: &Perimeter) -> bool {
    let has = |k: &str| request.context.contains_key(k);
    let one = |k: &str| match request.lookup(k) {
        Some(Values::One(v)) => Some(v.to_owned()),
        _ => None,
    };
    if ALWAYS_PRESENT.iter().any(|(k, _)| !has(k)) || !has("aws:userid") {
        return false;
    }
    if request
        .context
        .keys()
        .any(|k| !key_fits_action(k, &request.action))
    {
        return false;
    }
    // A role session's name is one STS accepts (see `userid::is_session_name`).
    if let Caller::Iam(i) = &request.caller
        && userid::session_name(i).is_some_and(|s| !userid::is_session_name(s))
    {
        return false;
    }
    if !userid_follows_caller(request)
        || !one_org_per_account(request)
        || !source_vpc_arn_names_source_vpc(request)
        || !caller_membership_holds(request, perimeter)
        || !resource_membership_holds(request, perimeter)
        || !endpoint_owner_consistent(request, perimeter)
        || !service_source_consistent(request, perimeter)
        || !access_point_keys_hold(request, attachment)
    {
        return false;
    }
    // Organization ids have one form (AWS Organizations API Reference, "Organization": Id); a
    // request naming another comes from or goes to no organization that exists.
    let caller_org = match &request.caller {
        Caller::Iam(i) => i.org.as_ref(),
        _ => None,
    };
    if caller_org
        .into_iter()
        .chain(request.resource.org.as_ref())
        .any(|o| !arn::is_org_id(&o.id))
    {
        return false;
    }
    // An ARN that names an account names the resource's owner. AWS-owned resources name a word
    // there (`arn:aws:ssm:us-east-1:aws:parameter/...`); their owner is an account of AWS's.
    if let Some(parts) = arn::split(&request.resource.arn)
        && arn::is_account_id(parts[4])
        && request.resource.account.as_deref() != Some(parts[4])
    {
        return false;
    }
    let through_endpoint = has("aws:sourcevpce");
    if through_endpoint == has("aws:sourceip") {
        // Every request comes either through an endpoint or from an address.
        return false;
    }
    if !through_endpoint && ENDPOINT_KEYS.iter().any(|k| has(k)) {
        return false;
    }
    if through_endpoint && !has("aws:sourcevpc") {
        return false;
    }
    if !matches!(request.caller, Caller::Service { .. })
        && SERVICE_SOURCE_KEYS.iter().any(|k| has(k))
    {
        return false;
    }
    let via_service = one("aws:viaawsservice").is_some_and(|v| v == "true");
    if !via_service && CALLED_VIA_KEYS.iter().any(|k| has(k)) {
        return false;
    }
    if !matches!(request.caller, Caller::Iam(_)) && via_service {
        return false;
    }
    // EC2 ids have one form (see `arn::is_ec2_id`); the attachment's own ids are taken as the
    // manifest gives them.
    let (own_vpce, own_vpc) = match attachment {
        Attachment::Endpoint { id, vpc, .. } => (id.as_deref(), vpc.as_deref()),
        Attachment::Door(Door {
            vpc_origin: Some(vpc),
            ..
        }) => (None, vpc.as_deref()),
        Attachment::Bucket { .. } | Attachment::Door(_) | Attachment::Guardrail(_) => (None, None),
    };
    if one("aws:sourcevpce")
        .is_some_and(|v| Some(v.as_str()) != own_vpce && !arn::is_ec2_id(&v, "vpce-"))
        || one("aws:sourcevpc")
            .is_some_and(|v| Some(v.as_str()) != own_vpc && !arn::is_ec2_id(&v, "vpc-"))
    {
        return false;
    }
    // A real action of its service, on a resource of a type it acts on (Service Authorization
    // Reference); services without a table are modelled generically.
    let restrict = catalog::Restrict::of(attachment);
    let typed = match attachment {
        Attachment::Bucket { name } => catalog::own_bucket(&request.resource.arn, name.as_deref()),
        Attachment::Door(d) => d.typed_arn(&request.resource.arn),
        Attachment::Endpoint { .. } | Attachment::Guardrail(_) => {
            request.resource.arn.as_str().into()
        }
    };
    let arn_fits = catalog::fit_of(&request.action, restrict).is_some_and(|f| f.admits(&typed));
    if !arn_fits || !catalog::caller_may_call(&request.caller, &request.action) {
        return false;
    }
    if let Attachment::Endpoint {
        service: Some(prefix),
        ..
    } = attachment
        && !request
            .action
            .split_once(':')
            .is_some_and(|(svc, _)| svc.eq_ignore_ascii_case(prefix))
    {
        return false;
    }
    match attachment {
        Attachment::Endpoint { id, vpc, .. } => {
            through_endpoint
                && id
                    .as_ref()
                    .is_none_or(|id| one("aws:sourcevpce").as_ref() == Some(id))
                && vpc
                    .as_ref()
                    .is_none_or(|v| one("aws:sourcevpc").as_ref() == Some(v))
        }
        Attachment::Bucket { name } => {
            let bucket_arn = request.resource.arn.strip_prefix("arn:aws:s3:::");
            let bucket_ok = match (bucket_arn, name) {
                (None, _) => false,
                (Some(rest), Some(n)) => rest == n || rest.starts_with(&format!("{n}/")),
                (Some(rest), None) => !rest.is_empty(),
            };
            // S3 always reports the bucket owner as aws:ResourceAccount.
            let owner_ok = perimeter.bucket_owner_inside(
                request.resource.account.as_deref(),
                request.resource.org.as_ref(),
            );
            let action_ok = request
                .action
                .split_once(':')
                .is_some_and(|(svc, _)| svc.eq_ignore_ascii_case("s3"));
            bucket_ok && owner_ok && action_ok
        }
        Attachment::Door(d) => {
            // An owner the manifest names owns it, inside the perimeter or not; otherwise the
            // platform's own account, as for a bucket.
            let owner_ok = d.account.is_some()
                || perimeter.bucket_owner_inside(
                    request.resource.account.as_deref(),
                    request.resource.org.as_ref(),
                );
            let action_ok = request
                .action
                .split_once(':')
                .is_some_and(|(svc, _)| svc.eq_ignore_ascii_case(d.kind.service()));
            let network_ok = match &d.vpc_origin {
                None => true,
                Some(vpc) => {
                    through_endpoint
                        && vpc
                            .as_ref()
                            .is_none_or(|v| one("aws:sourcevpc").as_ref() == Some(v))
                }
            };
            d.owns(&request.resource.arn) && owner_ok && action_ok && network_ok
        }
        // An RCP bounds requests to the resources of the organization's accounts, for the
        // services RCPs support; an SCP the requests of the organization's own principals.
        Attachment::Guardrail(g) => match g.kind {
            super::GuardrailKind::Rcp => {
                super::guardrail::rcp_service(&request.action)
                    && perimeter.bucket_owner_inside(
                        request.resource.account.as_deref(),
                        request.resource.org.as_ref(),
                    )
            }
            super::GuardrailKind::Scp => {
                super::guardrail::scp_caller(&request.caller)
                    && perimeter.trusted_iam_caller(&request.caller)
            }
        },
    }
}
