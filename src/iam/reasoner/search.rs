//! The search: a depth-first walk over the parts of a request (caller, action, resource,
//! network, each free context key), checking every statement part and perimeter condition as
//! soon as the parts it reads are fixed, with conflict-directed backjumping so that parts no
//! failing check reads are never enumerated in vain.

use crate::iam::evaluate::{action_matches, principal_matches, resource_matches};
use crate::iam::policy::{Effect, Policy, Statement};
use crate::iam::request::{Caller, ContextValue, Request, Resource, Values};

use super::catalog;
use super::model::{
    self, CALLED_VIA_KEYS, Dimension, ENDPOINT_KEYS, Perimeter, SERVICE_SOURCE_KEYS,
};
use super::universe::{Network, Universe};

/// Slots (parts of the request) in search order. Free context keys follow, one slot each.
const CALLER: usize = 0;
const CALLER_ORG: usize = 1;
const CALLER_TAGS: usize = 2;
const ACTION: usize = 3;
const ARN: usize = 4;
const ACCOUNT: usize = 5;
const ORG: usize = 6;
const TAGS: usize = 7;
const NETWORK: usize = 8;
const FIRST_KEY: usize = 9;
/// Slot sets are bit masks.
pub const MAX_SLOTS: usize = 128;

type Mask = u128;

fn bit(slot: usize) -> Mask {
    1u128 << slot
}

#[derive(Debug, Clone, Copy)]
enum StatementPart {
    Principal,
    Action,
    Resource,
    Condition(usize),
}

#[derive(Debug, Clone)]
struct Check {
    depth: usize,
    deps: Mask,
    /// For a condition, the slots that say whether its key is present (its policy variables
    /// aside); for the other parts, `deps`.
    key_deps: Mask,
    part: StatementPart,
}

#[derive(Debug, Clone)]
struct StatementPlan {
    index: usize,
    checks: Vec<Check>,
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pred {
    /// The caller is untrusted as far as the caller alone tells (a service principal's sources
    /// aside), and, when sources bound service principals, a service acts for no listed source:
    /// split so the first prunes as soon as the caller is fixed.
    UntrustedCaller,
    UntrustedServiceSource,
    NoThirdPartyException,
    TrustedIamWithoutTagException,
    ResourceArnOutside,
    NotAllowedResource,
    ResourceAccountOutside,
    ResourceOrgOutside,
    NotExemptFromNetwork,
    /// Neither the endpoint, the VPC nor the address is expected; and, read apart since they are
    /// later slots, neither the VPC's ARN nor the endpoint's owner.
    UnexpectedNetwork,
    UntrustedEndpointOwner,
    /// Not a service call the network perimeter exempts: the aws:ViaAWSService part, and the
    /// aws:CalledVia part when viaAwsServices lists services.
    NotViaAwsService,
    NotViaListedService,
    /// Not perimeter conditions: the request model's own relations between parts.
    ArnAccountConsistent,
    OneOrgPerAccount,
    UserIdFollowsCaller,
    SourceVpcArnNamesSourceVpc,
    /// The action acts on resources of the ARN's type.
    ActionFitsArn,
    /// Anonymous callers call only the services that accept them.
    CallerMayCall,
    /// Known organization memberships (`organizations`) of the caller and of the owner.
    CallerMembership,
    ResourceMembership,
    /// The endpoint-owner keys, and the service-source keys, each describe one owner.
    EndpointOwnerConsistent,
    ServiceSourceConsistent,
    /// The resource carries no tag exempting it from the dimension's perimeter.
    NoIdentityResourceTag,
    NoNetworkResourceTag,
    /// A bucket policy's bucket is owned inside the resource perimeter.
    BucketOwnerInside,
    /// The access point keys agree with each other and with the resource, and a request through
    /// an access point carries every one the policy reads; they come only with S3 actions; `VPC`
    /// origin only through an endpoint. Split so each reads only its own parts.
    AccessPointKeysAgree,
    AccessPointKeysOnS3,
    AccessPointOriginReachable,
    /// No anonymous caller through an access point; no plain HTTP through a door.
    DoorCaller,
    DoorTransport,
    /// A request to a bucket does not go through an access point of a trusted owner (the
    /// delegation pattern: that access point's policy judges it).
    NotDelegated,
    /// A guardrail is judged on the actions of the Deny statements that enforce the dimension.
    GuardrailScope,
    /// An SCP bounds the organization's own IAM principals, never a service-linked role.
    OrganizationCaller,
}

#[derive(Debug, Clone)]
struct PredCheck {
    depth: usize,
    deps: Mask,
    pred: Pred,
}

/// The outcome of one search.
pub enum Found {
    Witness(Box<Request>),
    None,
    OverBudget,
}

pub struct Search<'a> {
    policy: &'a Policy,
    perimeter: &'a Perimeter,
    universe: &'a Universe,
    slots: usize,
    key_slots: Vec<(String, usize)>,
    target: Option<StatementPlan>,
    denies: Vec<StatementPlan>,
    preds: Vec<PredCheck>,
    /// The dimension searched, which bounds a guardrail's requests by its actions.
    dimension: Dimension,
    pub steps: u64,
    budget: u64,
    /// The index of the action the request holds (for its fit).
    action: std::cell::Cell<usize>,
    /// The index of the ARN the request holds.
    arn: std::cell::Cell<usize>,
    /// Per statement, whether it names each action (same index as the universe's actions).
    action_memo: Vec<Memo>,
    /// Per statement, whether its Resource matches each ARN, when it has no policy variables.
    resource_memo: Vec<Memo>,
    /// Whether each ARN is one the perimeter allows, and one of an allowed third party.
    allowed_memo: Memo,
    third_party_memo: Memo,
}

/// Answers that depend on one slot's candidate alone, kept by candidate index (the same check
/// runs for that candidate under every choice of the other slots). An empty memo keeps nothing.
struct Memo(Vec<std::cell::Cell<u8>>);

impl Memo {
    const UNKNOWN: u8 = 0;

    fn new(len: usize) -> Self {
        Memo(
            (0..len)
                .map(|_| std::cell::Cell::new(Self::UNKNOWN))
                .collect(),
        )
    }

    fn get_or(&self, i: usize, compute: impl FnOnce() -> bool) -> bool {
        match self.0.get(i) {
            None => compute(),
            Some(cell) => match cell.get() {
                Self::UNKNOWN => {
                    let v = compute();
                    cell.set(1 + u8::from(v));
                    v
                }
                known => known == 2,
            },
        }
    }
}

fn slot_of(key: &str, key_slots: &[(String, usize)], end: usize) -> usize {
    if key.starts_with("aws:principaltag/") {
        return CALLER_TAGS;
    }
    if key.starts_with("aws:resourcetag/") {
        return TAGS;
    }
    match key {
        "aws:principalorgid" | "aws:principalorgpaths" => CALLER_ORG,
        "aws:principalarn"
        | "aws:principalaccount"
        | "aws:principalisawsservice"
        | "aws:principalservicename"
        | "aws:principalservicenameslist"
        | "aws:principaltype"
        | "aws:username"
        | "aws:federatedprovider" => CALLER,
        "aws:resourceaccount" | "s3:resourceaccount" | "s3express:resourceaccount" => ACCOUNT,
        "aws:resourceorgid" | "aws:resourceorgpaths" => ORG,
        "aws:sourcevpce" | "aws:sourcevpc" | "aws:sourceip" | "aws:vpcsourceip" => NETWORK,
        _ => key_slots
            .iter()
            .find(|(k, _)| k == key)
            .map_or(end, |(_, s)| *s),
    }
}

/// Slots a derived key reads besides its own: s3:ResourceAccount exists only for S3 actions.
fn extra_deps(key: &str) -> Mask {
    if key == "s3:resourceaccount" || key == "s3express:resourceaccount" {
        bit(ACTION)
    } else {
        0
    }
}

fn plan(
    st: &Statement,
    key_slots: &[(String, usize)],
    end: usize,
    actions: &[String],
) -> StatementPlan {
    // A part that holds for every value of its slot (`Action: "*"`, an Action list naming every
    // action the universe holds, `Resource: "*"`) rests on none: backjumping then passes that
    // slot by when the statement denies.
    let every_action = actions.iter().all(|a| {
        st.action
            .patterns
            .iter()
            .any(|p| crate::iam::pattern::matches_ignore_ascii_case(&p.pattern, a))
            != st.action.negated
    });
    let every_resource = st
        .resource
        .as_ref()
        .is_some_and(|r| !r.negated && r.patterns.iter().any(|t| t.raw() == "*"));
    let action_deps = if every_action { 0 } else { bit(ACTION) };
    let mut checks = vec![
        Check {
            depth: CALLER,
            deps: bit(CALLER),
            key_deps: bit(CALLER),
            part: StatementPart::Principal,
        },
        Check {
            depth: ACTION,
            deps: action_deps,
            key_deps: action_deps,
            part: StatementPart::Action,
        },
    ];
    if every_resource {
        checks.push(Check {
            depth: ARN,
            deps: 0,
            key_deps: 0,
            part: StatementPart::Resource,
        });
    }
    let mut resource_deps = bit(ARN);
    if let Some(r) = &st.resource {
        for t in &r.patterns {
            for v in t.variables() {
                resource_deps |= bit(slot_of(v, key_slots, end));
            }
        }
    }
    if !every_resource {
        checks.push(Check {
            depth: top(resource_deps),
            deps: resource_deps,
            key_deps: resource_deps,
            part: StatementPart::Resource,
        });
    }
    for (i, c) in st.conditions.iter().enumerate() {
        let key_deps = bit(slot_of(&c.key, key_slots, end)) | extra_deps(&c.key);
        let mut deps = key_deps;
        for v in &c.values {
            if let crate::iam::condition::PolicyValue::Text(t) = v {
                for var in t.variables() {
                    deps |= bit(slot_of(var, key_slots, end));
                }
            }
        }
        checks.push(Check {
            depth: top(deps),
            deps,
            key_deps,
            part: StatementPart::Condition(i),
        });
    }
    // Decided once the action and the resource are known, whatever its parts rest on.
    let deps = checks.iter().fold(bit(ARN), |m, c| m | c.deps);
    StatementPlan {
        index: st.index,
        depth: top(deps),
        checks,
    }
}

fn top(mask: Mask) -> usize {
    (MAX_SLOTS - 1) - mask.leading_zeros() as usize
}

impl<'a> Search<'a> {
    pub fn new(
        policy: &'a Policy,
        perimeter: &'a Perimeter,
        universe: &'a Universe,
        budget: u64,
    ) -> Option<Search<'a>> {
        let slots = FIRST_KEY + universe.keys.len();
        if slots > MAX_SLOTS {
            return None;
        }
        let key_slots: Vec<(String, usize)> = universe
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.key.clone(), FIRST_KEY + i))
            .collect();
        let denies = policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
            .map(|s| plan(s, &key_slots, slots, &universe.actions))
            .collect();
        let action_memo = policy
            .statements
            .iter()
            .map(|_| Memo::new(universe.actions.len()))
            .collect();
        let resource_memo = policy
            .statements
            .iter()
            .map(|s| {
                let variables = s
                    .resource
                    .as_ref()
                    .is_some_and(|r| r.patterns.iter().any(|t| t.has_variables()));
                Memo::new(if variables { 0 } else { universe.arns.len() })
            })
            .collect();
        Some(Search {
            policy,
            perimeter,
            universe,
            slots,
            key_slots,
            target: None,
            denies,
            preds: Vec::new(),
            dimension: Dimension::Enforce,
            steps: 0,
            budget,
            action: std::cell::Cell::new(0),
            arn: std::cell::Cell::new(0),
            action_memo,
            resource_memo,
            allowed_memo: Memo::new(universe.arns.len()),
            third_party_memo: Memo::new(universe.arns.len()),
        })
    }

    /// Looks for a request outside the perimeter in `dimension` that statement `target` allows
    /// and no Deny statement denies; with no target, one that no Deny statement denies.
    pub fn run(&mut self, dimension: Dimension, target: Option<&Statement>) -> Found {
        self.target =
            target.map(|st| plan(st, &self.key_slots, self.slots, &self.universe.actions));
        self.dimension = dimension;
        self.preds = self.predicates(dimension);
        let mut request = Request {
            caller: Caller::Anonymous,
            action: String::new(),
            resource: Resource {
                arn: String::new(),
                account: None,
                org: None,
                tags: Default::default(),
            },
            context: Default::default(),
        };
        match self.dfs(0, &mut request) {
            Ok(()) => Found::Witness(Box::new(request)),
            Err(Conflict::Exhausted(_)) => Found::None,
            Err(Conflict::Budget) => Found::OverBudget,
        }
    }

    fn predicates(&self, dimension: Dimension) -> Vec<PredCheck> {
        let via = self
            .key_slots
            .iter()
            .find(|(k, _)| k == "aws:viaawsservice")
            .map(|(_, s)| *s);
        let p = |pred: Pred, deps: Mask| PredCheck {
            depth: top(deps),
            deps,
            pred,
        };
        let caller = bit(CALLER) | bit(CALLER_ORG);
        let tagged_caller = caller | bit(CALLER_TAGS);
        let key_slot = |key: &str| {
            self.key_slots
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, s)| *s)
        };
        let keys_mask = |keys: &[&str]| -> Mask {
            keys.iter()
                .filter_map(|k| key_slot(k))
                .fold(0, |m, s| m | bit(s))
        };
        let per = self.perimeter;
        let owner = bit(ACCOUNT) | bit(ORG);
        let mut out = vec![
            p(Pred::ArnAccountConsistent, bit(ARN) | bit(ACCOUNT)),
            p(Pred::ActionFitsArn, bit(ACTION) | bit(ARN)),
            p(Pred::CallerMayCall, bit(CALLER) | bit(ACTION)),
            p(Pred::OneOrgPerAccount, caller | owner),
        ];
        if self.universe.bucket_policy {
            out.push(p(Pred::BucketOwnerInside, owner));
        }
        if let Some(model::Attachment::Guardrail(g)) = &self.universe.attachment {
            out.push(p(Pred::GuardrailScope, bit(ACTION)));
            if g.kind == super::GuardrailKind::Scp {
                out.push(p(Pred::OrganizationCaller, caller));
            }
        }
        let ap_keys = keys_mask(model::ACCESS_POINT_KEYS);
        let door = matches!(self.universe.attachment, Some(model::Attachment::Door(_)));
        if ap_keys != 0 || door {
            out.push(p(Pred::DoorCaller, bit(CALLER) | bit(ARN) | ap_keys));
            let transport = keys_mask(&["aws:securetransport"]);
            if transport != 0 {
                out.push(p(Pred::DoorTransport, transport | bit(ARN) | ap_keys));
            }
        }
        if ap_keys != 0 {
            out.push(p(Pred::AccessPointKeysAgree, ap_keys | bit(ARN)));
            out.push(p(Pred::AccessPointKeysOnS3, ap_keys | bit(ACTION)));
            let origin = keys_mask(&["s3:accesspointnetworkorigin"]);
            if origin != 0 {
                out.push(p(Pred::AccessPointOriginReachable, origin | bit(NETWORK)));
            }
        }
        if ap_keys != 0 {
            let delegation = self.target.is_some()
                && matches!(
                    self.universe.attachment,
                    Some(model::Attachment::Bucket { .. })
                )
                && matches!(dimension, Dimension::Identity | Dimension::Network);
            if delegation {
                out.push(p(Pred::NotDelegated, ap_keys | bit(ARN)));
            }
        }
        if !per.memberships.is_empty() {
            out.push(p(Pred::CallerMembership, caller));
            out.push(p(Pred::ResourceMembership, owner));
        }
        let endpoint_owner = keys_mask(&["aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths"]);
        if endpoint_owner != 0 {
            out.push(p(Pred::EndpointOwnerConsistent, endpoint_owner));
        }
        let source = keys_mask(&[
            "aws:sourceaccount",
            "aws:sourceorgid",
            "aws:sourceorgpaths",
            "aws:sourcearn",
        ]);
        if source != 0 {
            out.push(p(Pred::ServiceSourceConsistent, source));
        }
        // The third-party exception reads the action when a flow is bounded by actions.
        let tp_action = if per.third_parties_bound_actions() {
            bit(ACTION)
        } else {
            0
        };
        let tags_of_owner = bit(TAGS) | owner;
        if let Some(s) = key_slot("aws:userid") {
            out.push(p(Pred::UserIdFollowsCaller, bit(CALLER) | bit(s)));
        }
        if let Some(s) = key_slot("aws:sourcevpcarn") {
            out.push(p(Pred::SourceVpcArnNamesSourceVpc, bit(NETWORK) | bit(s)));
        }
        match dimension {
            Dimension::Identity => {
                // A service principal's trust reads its source keys when sources are listed.
                let sources = if per.service_sources.is_some() {
                    keys_mask(&["aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"])
                } else {
                    0
                };
                out.push(p(Pred::UntrustedCaller, caller));
                if sources != 0 {
                    out.push(p(Pred::UntrustedServiceSource, bit(CALLER) | sources));
                }
                out.push(p(
                    Pred::NoThirdPartyException,
                    bit(CALLER) | bit(ARN) | tp_action,
                ));
                out.push(p(Pred::NotAllowedResource, bit(ARN)));
                if !per.identity_resource_tags.is_empty() {
                    out.push(p(Pred::NoIdentityResourceTag, tags_of_owner));
                }
            }
            Dimension::Resource => {
                out.push(p(Pred::TrustedIamWithoutTagException, tagged_caller));
                out.push(p(Pred::ResourceArnOutside, bit(ARN) | tp_action));
                // An exclusion makes each test read both the owner's account and its
                // organisation; without one, each reads its own and prunes as early as before.
                let both = if per.resource_excluded_accounts.is_empty()
                    && per.resource_excluded_org_paths.is_empty()
                {
                    0
                } else {
                    bit(ACCOUNT) | bit(ORG)
                };
                out.push(p(Pred::ResourceAccountOutside, bit(ACCOUNT) | both));
                out.push(p(Pred::ResourceOrgOutside, bit(ORG) | both));
            }
            Dimension::Network => {
                out.push(p(Pred::NotExemptFromNetwork, tagged_caller));
                out.push(p(
                    Pred::NoThirdPartyException,
                    bit(CALLER) | bit(ARN) | tp_action,
                ));
                let owner_keys = keys_mask(&[
                    "aws:vpceaccount",
                    "aws:vpceorgid",
                    "aws:vpceorgpaths",
                    "aws:sourcevpcarn",
                ]);
                out.push(p(Pred::UnexpectedNetwork, bit(NETWORK)));
                if owner_keys != 0 {
                    out.push(p(Pred::UntrustedEndpointOwner, owner_keys));
                }
                if let Some(s) = via {
                    out.push(p(Pred::NotViaAwsService, bit(s)));
                    if per.via_services.is_some() {
                        let called_via = keys_mask(&["aws:calledvia"]);
                        out.push(p(Pred::NotViaListedService, bit(s) | called_via));
                    }
                }
                if !per.network_resource_tags.is_empty() {
                    out.push(p(Pred::NoNetworkResourceTag, tags_of_owner));
                }
            }
            // Enforce is searched as Identity and as Network with no target statement.
            Dimension::Enforce => {}
        }
        out
    }

    fn pred_holds(&self, pred: Pred, r: &Request) -> bool {
        let per = self.perimeter;
        match pred {
            Pred::UntrustedCaller => match &r.caller {
                Caller::Service { .. } => {
                    !per.trust_service_principals || per.service_sources.is_some()
                }
                c => !per.trusted_caller(c),
            },
            Pred::UntrustedServiceSource => !per.trusted_identity(r),
            Pred::NoThirdPartyException => {
                !per.third_party_exception(&r.caller, &r.resource.arn, &r.action)
            }
            Pred::TrustedIamWithoutTagException => {
                per.trusted_iam_caller(&r.caller) && !per.tag_exception(&r.caller)
            }
            Pred::ResourceArnOutside => !self.allowed(r) && !self.third_party(r),
            Pred::NotAllowedResource => !self.allowed(r),
            Pred::ResourceAccountOutside => !per
                .resource_account_trusted(r.resource.account.as_deref(), r.resource.org.as_ref()),
            Pred::ResourceOrgOutside => {
                !per.resource_org_trusted(r.resource.account.as_deref(), r.resource.org.as_ref())
            }
            Pred::NotExemptFromNetwork => !per.network_exempt_caller(&r.caller),
            Pred::UnexpectedNetwork => !per.expected_network_by_id(r),
            Pred::UntrustedEndpointOwner => !per.expected_network(r),
            Pred::NotViaAwsService => per.via_services.is_some() || !per.via_listed_service(r),
            Pred::NotViaListedService => !per.via_listed_service(r),
            Pred::CallerMembership => model::caller_membership_holds(r, per),
            Pred::BucketOwnerInside => {
                per.bucket_owner_inside(r.resource.account.as_deref(), r.resource.org.as_ref())
            }
            Pred::ResourceMembership => model::resource_membership_holds(r, per),
            Pred::AccessPointKeysAgree => {
                // Through an access point, S3 puts every key in the request: those the policy
                // reads are present together (the others are filled afterwards to agree).
                let through = model::access_point_of(&r.resource.arn).is_some()
                    || model::ACCESS_POINT_KEYS
                        .iter()
                        .any(|k| r.context.contains_key(*k));
                self.attachment()
                    .is_none_or(|a| model::access_point_keys_agree(r, a))
                    && (!through
                        || self
                            .key_slots
                            .iter()
                            .filter(|(k, _)| model::ACCESS_POINT_KEYS.contains(&k.as_str()))
                            .all(|(k, _)| r.context.contains_key(k)))
            }
            Pred::AccessPointKeysOnS3 => model::access_point_keys_on_s3(r),
            Pred::AccessPointOriginReachable => model::access_point_origin_reachable(r),
            Pred::DoorCaller => self
                .attachment()
                .is_none_or(|a| model::door_caller_holds(r, a)),
            Pred::DoorTransport => self
                .attachment()
                .is_none_or(|a| model::door_transport_holds(r, a)),
            Pred::NotDelegated => !per.delegated_to_access_point(r),
            Pred::GuardrailScope => match self.attachment() {
                Some(model::Attachment::Guardrail(g)) => g.in_scope(self.dimension, &r.action),
                _ => true,
            },
            Pred::OrganizationCaller => {
                super::guardrail::scp_caller(&r.caller) && per.trusted_iam_caller(&r.caller)
            }
            Pred::EndpointOwnerConsistent => model::endpoint_owner_consistent(r, per),
            Pred::ServiceSourceConsistent => model::service_source_consistent(r, per),
            Pred::NoIdentityResourceTag => !per.resource_tag_exempt(&per.identity_resource_tags, r),
            Pred::NoNetworkResourceTag => !per.resource_tag_exempt(&per.network_resource_tags, r),
            Pred::OneOrgPerAccount => model::one_org_per_account(r),
            Pred::CallerMayCall => match r.caller {
                Caller::Anonymous => self.universe.anonymous_ok[self.action.get()],
                Caller::Federated { .. } => catalog::caller_may_call(&r.caller, &r.action),
                _ => true,
            },
            Pred::ActionFitsArn => self.universe.action_fits[self.action.get()]
                .admits_mask(self.universe.arn_masks[self.arn.get()]),
            Pred::UserIdFollowsCaller => model::userid_follows_caller(r),
            Pred::SourceVpcArnNamesSourceVpc => model::source_vpc_arn_names_source_vpc(r),
            Pred::ArnAccountConsistent => match crate::iam::arn::split(&r.resource.arn) {
                Some(parts) if crate::iam::arn::is_account_id(parts[4]) => {
                    r.resource.account.as_deref() == Some(parts[4])
                }
                _ => true,
            },
        }
    }

    fn attachment(&self) -> Option<&model::Attachment> {
        self.universe.attachment.as_ref()
    }

    fn allowed(&self, r: &Request) -> bool {
        self.allowed_memo.get_or(self.arn.get(), || {
            self.perimeter.allowed_resources.allows(&r.resource.arn)
        })
    }

    fn third_party(&self, r: &Request) -> bool {
        let compute = || {
            self.perimeter
                .third_party_resource(&r.resource.arn, &r.action)
        };
        // The answer is the ARN's alone only while no flow is bounded by actions.
        if self.perimeter.third_parties_bound_actions() {
            compute()
        } else {
            self.third_party_memo.get_or(self.arn.get(), compute)
        }
    }

    fn part_holds(&self, stmt: usize, part: StatementPart, r: &Request) -> bool {
        let st = &self.policy.statements[stmt];
        match part {
            StatementPart::Principal => principal_matches(st, r),
            StatementPart::Action => {
                self.action_memo[stmt].get_or(self.action.get(), || action_matches(st, r))
            }
            StatementPart::Resource => {
                self.resource_memo[stmt].get_or(self.arn.get(), || resource_matches(st, r))
            }
            StatementPart::Condition(i) => st.conditions[i].holds(r),
        }
    }

    /// Checks everything that becomes decidable at `depth`. `Err(mask)`: the slots that made it
    /// fail.
    fn checks_at(&self, depth: usize, r: &Request) -> Result<(), Mask> {
        for p in self.preds.iter().filter(|p| p.depth == depth) {
            if !self.pred_holds(p.pred, r) {
                return Err(self.pred_reads(p, r));
            }
        }
        if let Some(t) = &self.target {
            for c in t.checks.iter().filter(|c| c.depth == depth) {
                if !self.part_holds(t.index, c.part, r) {
                    return Err(self.reads(t.index, c, r));
                }
            }
        }
        for d in self.denies.iter().filter(|d| d.depth == depth) {
            if d.checks.iter().all(|c| self.part_holds(d.index, c.part, r)) {
                return Err(d
                    .checks
                    .iter()
                    .fold(0, |m, c| m | self.reads(d.index, c, r)));
            }
        }
        Ok(())
    }

    /// The slots a failed perimeter check rests on in this request: a service request without
    /// aws:SourceAccount is trusted whatever its other source keys say
    /// (`Perimeter::trusted_identity`), so the search moves aws:SourceAccount on, not them.
    fn pred_reads(&self, p: &PredCheck, r: &Request) -> Mask {
        match p.pred {
            Pred::UntrustedServiceSource
                if matches!(r.caller, Caller::Service { .. })
                    && !r.context.contains_key("aws:sourceaccount") =>
            {
                let account = self
                    .key_slots
                    .iter()
                    .find(|(k, _)| k == "aws:sourceaccount")
                    .map_or(0, |(_, s)| bit(*s));
                bit(CALLER) | account
            }
            _ => p.deps,
        }
    }

    /// The slots a check's outcome rests on in this request. A condition on a key the request
    /// lacks holds or fails whatever its values are (the evaluator never reads them), so the
    /// slots its policy variables read take no part and backjumping may pass them by: a Deny
    /// on aws:SourceOrgID against `${aws:ResourceOrgID}` stops an IAM caller for every owner
    /// organization at once.
    fn reads(&self, stmt: usize, c: &Check, r: &Request) -> Mask {
        match c.part {
            StatementPart::Condition(i)
                if r.lookup(&self.policy.statements[stmt].conditions[i].key)
                    .is_none() =>
            {
                c.key_deps
            }
            _ => c.deps,
        }
    }

    /// The slots that decide which candidates a slot offers (availability rules).
    fn availability_deps(&self, slot: usize) -> Mask {
        if slot == CALLER_ORG || slot == CALLER_TAGS {
            return bit(CALLER);
        }
        if slot < FIRST_KEY {
            return 0;
        }
        let key = &self.universe.keys[slot - FIRST_KEY].key;
        let mut deps = 0;
        if SERVICE_SOURCE_KEYS.contains(&key.as_str()) || key == "aws:viaawsservice" {
            deps |= bit(CALLER);
        }
        if ENDPOINT_KEYS.contains(&key.as_str()) {
            deps |= bit(NETWORK);
        }
        if super::model::service_scoped(key).is_some() {
            // A service's own key comes only with its service's actions.
            deps |= bit(ACTION);
        }
        if CALLED_VIA_KEYS.contains(&key.as_str())
            && let Some((_, s)) = self
                .key_slots
                .iter()
                .find(|(k, _)| k == "aws:viaawsservice")
        {
            deps |= bit(*s);
        }
        deps
    }

    fn key_available(&self, key: &str, value: &Option<ContextValue>, r: &Request) -> bool {
        let Some(value) = value else { return true };
        if SERVICE_SOURCE_KEYS.contains(&key) {
            return matches!(r.caller, Caller::Service { .. });
        }
        if ENDPOINT_KEYS.contains(&key) {
            return r.context.contains_key("aws:sourcevpce");
        }
        if !super::model::key_fits_action(key, &r.action) {
            return false;
        }
        if CALLED_VIA_KEYS.contains(&key) {
            return matches!(r.lookup("aws:viaawsservice"), Some(Values::One("true")));
        }
        if key == "aws:viaawsservice" && !matches!(r.caller, Caller::Iam(_)) {
            return *value == ContextValue::One("false".into());
        }
        true
    }

    fn dfs(&mut self, depth: usize, r: &mut Request) -> Result<(), Conflict> {
        if depth == self.slots {
            return Ok(());
        }
        let mut conflict: Mask = self.availability_deps(depth);
        let count = self.candidate_count(depth);
        for i in 0..count {
            self.steps += 1;
            if self.steps > self.budget {
                return Err(Conflict::Budget);
            }
            if !self.assign(depth, i, r) {
                continue;
            }
            let outcome = match self.checks_at(depth, r) {
                Err(mask) => Err(Conflict::Exhausted(mask)),
                Ok(()) => self.dfs(depth + 1, r),
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(Conflict::Budget) => return Err(Conflict::Budget),
                Err(Conflict::Exhausted(mask)) => {
                    self.unassign(depth, r);
                    if mask & bit(depth) == 0 {
                        // Nothing this slot can take fixes what failed below: jump back.
                        return Err(Conflict::Exhausted(mask));
                    }
                    conflict |= mask & !bit(depth);
                }
            }
        }
        Err(Conflict::Exhausted(conflict))
    }

    fn candidate_count(&self, depth: usize) -> usize {
        let u = self.universe;
        match depth {
            CALLER => u.callers.len(),
            CALLER_ORG => u.caller_orgs.len(),
            CALLER_TAGS => u.caller_tags.len(),
            ACTION => u.actions.len(),
            ARN => u.arns.len(),
            ACCOUNT => u.resource_accounts.len(),
            ORG => u.resource_orgs.len(),
            TAGS => u.resource_tags.len(),
            NETWORK => u.networks.len(),
            k => u.keys[k - FIRST_KEY].candidates.len(),
        }
    }

    /// Puts candidate `i` of slot `depth` into the request; false if the request model rules it
    /// out given the slots already fixed.
    fn assign(&self, depth: usize, i: usize, r: &mut Request) -> bool {
        let u = self.universe;
        match depth {
            CALLER => r.caller = u.callers[i].clone(),
            // Only IAM callers belong to organisations and carry tags.
            CALLER_ORG => match &mut r.caller {
                Caller::Iam(id) => id.org.clone_from(&u.caller_orgs[i]),
                _ => return u.caller_orgs[i].is_none(),
            },
            CALLER_TAGS => match &mut r.caller {
                Caller::Iam(id) => id.tags.clone_from(&u.caller_tags[i]),
                _ => return u.caller_tags[i].is_empty(),
            },
            ACTION => {
                r.action.clone_from(&u.actions[i]);
                self.action.set(i);
            }
            ARN => {
                r.resource.arn.clone_from(&u.arns[i]);
                self.arn.set(i);
            }
            ACCOUNT => r.resource.account.clone_from(&u.resource_accounts[i]),
            ORG => r.resource.org.clone_from(&u.resource_orgs[i]),
            TAGS => r.resource.tags.clone_from(&u.resource_tags[i]),
            NETWORK => set_network(r, &u.networks[i]),
            k => {
                let fk = &u.keys[k - FIRST_KEY];
                let value = &fk.candidates[i];
                if !self.key_available(&fk.key, value, r) {
                    return false;
                }
                match value {
                    Some(v) => {
                        r.context.insert(fk.key.clone(), v.clone());
                    }
                    None => {
                        r.context.remove(&fk.key);
                    }
                }
            }
        }
        true
    }

    fn unassign(&self, depth: usize, r: &mut Request) {
        if depth >= FIRST_KEY {
            r.context.remove(&self.universe.keys[depth - FIRST_KEY].key);
        } else if depth == NETWORK {
            set_network(r, &Network::default());
        }
    }
}

fn set_network(r: &mut Request, n: &Network) {
    for (key, value) in [
        ("aws:sourcevpce", &n.vpce),
        ("aws:sourcevpc", &n.vpc),
        ("aws:sourceip", &n.ip),
        ("aws:vpcsourceip", &n.vpc_source_ip),
    ] {
        match value {
            Some(v) => {
                r.context
                    .insert(key.to_owned(), ContextValue::One(v.clone()));
            }
            None => {
                r.context.remove(key);
            }
        }
    }
}

enum Conflict {
    /// No candidate below works; the mask holds the slots whose values caused the failures.
    Exhausted(Mask),
    Budget,
}
