//! The perimeter as the reasoner sees it, what a request through a given attachment looks like,
//! and the predicates that say whether a request lies outside the perimeter.
//!
//! Each "outside" predicate is a conjunction of conditions on separate parts of the request, so
//! the search can discard a candidate value as soon as the part it fills is known.

use std::collections::BTreeMap;

use ipnet::IpNet;

use crate::iam::arn;
use crate::iam::pattern::Tok;
use crate::iam::request::{Caller, Org, Request, Values};
use crate::iam::userid;

use super::catalog;

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
    pub allowed_resources: Vec<Vec<Tok>>,
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
        self.allowed_resources
            .iter()
            .any(|p| arn::matches_by_bucket(p, resource_arn))
    }
}

/// The allowed-resource patterns, those naming one S3 bucket looked up by it: an
/// `awsOwnedResources` set names a hundred buckets, and every candidate ARN is tested. The same
/// answers as [`Perimeter::allowed_resource`].
pub struct AllowedIndex<'p> {
    patterns: &'p [Vec<Tok>],
    /// `partition:bucket` to the patterns of that bucket's name and its objects.
    by_bucket: std::collections::HashMap<String, Vec<usize>>,
    others: Vec<usize>,
}

impl<'p> AllowedIndex<'p> {
    pub fn new(patterns: &'p [Vec<Tok>]) -> Self {
        let mut by_bucket: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut others = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match literal_bucket(p) {
                Some(key) => by_bucket.entry(key).or_default().push(i),
                None => others.push(i),
            }
        }
        AllowedIndex {
            patterns,
            by_bucket,
            others,
        }
    }

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
        Attachment::Bucket { .. } => (None, None),
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
    let bucket_policy = matches!(attachment, Attachment::Bucket { .. });
    let own = match attachment {
        Attachment::Bucket { name } => name.as_deref(),
        Attachment::Endpoint { .. } => None,
    };
    let arn_fits = catalog::fit_of(&request.action, bucket_policy)
        .is_some_and(|f| f.admits(&catalog::own_bucket(&request.resource.arn, own)));
    if !arn_fits
        || (matches!(request.caller, Caller::Anonymous)
            && !catalog::admits_anonymous(&request.action))
    {
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
    }
}
