//! The rules at work: the findings the catalogue's rules produce from the facts the resource
//! adapters extract, under one perimeter.

use std::collections::BTreeMap;

use crate::iam::evaluate::applies;
use crate::iam::pattern;
use crate::iam::policy::Effect;
use crate::iam::reasoner::{self, Attachment, Dimension, ReasonerVerdict, Witness};
use crate::iam::request::{ContextValue, iam_identity};
use crate::iam::template::NoVariables;
use crate::iam::{Caller, Policy, PolicyKind, Request};
use crate::resources::structured_policy::without_principal_references;
use crate::resources::{
    AccessPointKind, AccessPointPolicy, AssociationKind, BucketAcl, BucketPolicyChange, Endpoint,
    EndpointAssociation, EndpointPolicy, EndpointServicePrincipals, Field, Grantee, ObjectNote,
    PolicySource, PublicAccessBlock, Subject,
};

use super::aws_owned::{self, ResourcePattern};
use super::catalog::*;
use super::config::{BucketPolicyMode, DataPerimeter, Enforcement};

/// One finding of one rule under one perimeter.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub perimeter: String,
    pub enforcement: Enforcement,
    /// JSON pointer into the object.
    pub pointer: String,
    pub message: String,
    pub witness: Option<Box<Witness>>,
    /// What to write instead, when the finding knows better than its rule's general fix.
    pub own_fix: Option<String>,
    /// The exception that waives it at the instant of the decision: still reported, never
    /// enforced (set by `decision::waive`, never by the rules).
    pub waiver: Option<std::sync::Arc<super::exception::PerimeterException>>,
}

/// What a reasoner finding carries beside its message: the request that proves it, and a fix
/// of its own where the rule's general one would leave the reader to work it out.
struct Proof {
    witness: Option<Box<Witness>>,
    fix: Option<String>,
}

impl Finding {
    fn new(
        rule: &'static Rule,
        dp: &DataPerimeter,
        pointer: &str,
        message: String,
        proof: Option<Proof>,
    ) -> Self {
        let (witness, own_fix) = match proof {
            Some(p) => (p.witness, p.fix),
            None => (None, None),
        };
        Finding {
            rule,
            perimeter: dp.metadata.name.clone(),
            enforcement: enforcement(rule, dp),
            pointer: pointer.to_owned(),
            message,
            witness,
            own_fix,
            waiver: None,
        }
    }

    /// Whether it counts towards the decision: not waived by an exception.
    pub fn is_enforced(&self) -> bool {
        self.waiver.is_none()
    }

    /// How to fix this finding: its own fix, else its rule's.
    pub fn fix(&self) -> &str {
        self.own_fix.as_deref().unwrap_or(self.rule.fix)
    }
}

/// Every finding for an object under one perimeter: its facts', and what its notes add. An
/// object that writes nothing to AWS has its findings recorded (Audit), not enforced; one with
/// a mistyped field has only that finding.
pub fn check_object(
    subjects: &[Subject],
    notes: &[ObjectNote],
    dp: &DataPerimeter,
) -> Vec<Finding> {
    // The API server refuses an object with a mistyped field: its facts as read here (a policy
    // that is a mapping reads as "no policy") would only mislead.
    let refused = notes
        .iter()
        .any(|n| matches!(n, ObjectNote::TypeError { .. }));
    let mut out = if refused {
        Vec::new()
    } else {
        check(subjects, dp)
    };
    patched(&mut out, notes, dp);
    for note in notes {
        let (rule, pointer, message) = match note {
            ObjectNote::Patched { .. } => continue,
            ObjectNote::Observed { pointer, why } => {
                for f in &mut out {
                    f.enforcement = f.enforcement.min(Enforcement::Audit);
                }
                let message = format!(
                    "observed, not enforced: {why}; {} finding(s) recorded",
                    out.len()
                );
                (OBSERVED, pointer.as_str(), message)
            }
            ObjectNote::TypeError { pointer, message } => {
                (FIELD_TYPE, pointer.as_str(), message.clone())
            }
            ObjectNote::UnregisteredVersion { version, read_as } => (
                UNREGISTERED_VERSION,
                "/apiVersion",
                format!(
                    "{version} is not a version the webhook registers; it is read as {read_as}, and in the cluster the webhook sees it only converted to a registered version"
                ),
            ),
        };
        out.push(Finding::new(rule, dp, pointer, message, None));
    }
    out
}

/// A field a Composition's patch writes is unknown until Crossplane composes the resource:
/// what was found at or inside it does not stand, and a field a rule reads is a reference
/// resolved after admission, checked by the webhook when the composed resource is created.
fn patched(out: &mut Vec<Finding>, notes: &[ObjectNote], dp: &DataPerimeter) {
    for note in notes {
        let ObjectNote::Patched { pointer, by, read } = note else {
            continue;
        };
        let within = |p: &str| {
            p == pointer
                || p.strip_prefix(pointer.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        };
        let mut dropped: Vec<&'static str> = Vec::new();
        out.retain(|f| {
            let stands = !within(&f.pointer);
            if !stands && !dropped.contains(&f.rule.id) {
                dropped.push(f.rule.id);
            }
            stands
        });
        if *read || !dropped.is_empty() {
            let rules = if dropped.is_empty() {
                "the rules that read it".to_owned()
            } else {
                dropped.join(", ")
            };
            let message = format!(
                "the field is written by {by} when Crossplane composes the resource; {rules} are checked by the webhook when the composed resource is created"
            );
            let proof = Proof {
                witness: None,
                fix: Some("nothing to change for the webhook, which checks the composed resource when Crossplane creates it; to check it before, pipe `crossplane render` for a composite to `perimeter-guard check -f -`".into()),
            };
            out.push(Finding::new(
                UNRESOLVED_REFERENCE,
                dp,
                pointer,
                message,
                Some(proof),
            ));
        }
    }
}

/// Every finding of every rule for an object's facts under one perimeter.
pub fn check(subjects: &[Subject], dp: &DataPerimeter) -> Vec<Finding> {
    let perimeter = dp.perimeter();
    let mut out = Vec::new();
    let mut add = |rule: &'static Rule, pointer: &str, message: String, proof: Option<Proof>| {
        out.push(Finding::new(rule, dp, pointer, message, proof));
    };
    for s in subjects {
        match s {
            Subject::Endpoint(e) => endpoint(e, dp, &perimeter, &mut add),
            Subject::BucketPolicy(bp) => match &bp.change {
                BucketPolicyChange::Set(source) => {
                    bucket_policy(source, &bp.bucket, dp, &perimeter, &mut add)
                }
                BucketPolicyChange::Delete { pointer } => {
                    if dp.spec.bucket_policy_mode == BucketPolicyMode::Enforce {
                        add(BUCKET_ENFORCE, pointer, "the bucket policy is removed: nothing denies requests from outside the perimeter".into(), None);
                    }
                    if dp.spec.bucket_policies.require_secure_transport {
                        add(
                            BUCKET_TLS,
                            pointer,
                            "the bucket policy is removed: nothing denies requests without TLS"
                                .into(),
                            None,
                        );
                    }
                }
            },
            Subject::EndpointServicePrincipals(p) => service_principals(p, dp, &mut add),
            Subject::PublicAccessBlock(p) => public_access_block(p, &mut add),
            Subject::EndpointAssociation(a) => association(a, dp, &mut add),
            Subject::AccessPointPolicy(ap) => access_point_policy(ap, &perimeter, &mut add),
            Subject::BucketAcl(a) => bucket_acl(a, &mut add),
            Subject::Destination(d) => destinations::check(d, dp, &perimeter, &mut add),
            Subject::Unreadable(u) => add(COMPOSITION_UNREADABLE, &u.pointer, u.why.clone(), None),
            Subject::OrganizationPolicy(p) => guardrails::check(p, &perimeter, &mut add),
        }
    }
    out
}

/// A rule's enforcement under a perimeter: as `spec.rules` sets it, else the perimeter's, at most
/// Warn for the advisory rules ([`ADVISORY`]).
pub fn enforcement(rule: &Rule, dp: &DataPerimeter) -> Enforcement {
    match dp.spec.rules.get(rule.id) {
        Some(e) => *e,
        None if ADVISORY.iter().any(|r| r.id == rule.id) => {
            dp.spec.enforcement.min(Enforcement::Warn)
        }
        None => dp.spec.enforcement,
    }
}

type Add<'a> = dyn FnMut(&'static Rule, &str, String, Option<Proof>) + 'a;

fn policy_document(source: &PolicySource, kind: PolicyKind) -> Result<Policy, (String, String)> {
    match source {
        PolicySource::Text { text, pointer } => {
            Policy::parse(text, kind).map_err(|e| (pointer.clone(), format!("invalid policy {e}")))
        }
        PolicySource::Structured {
            document, pointer, ..
        } => Policy::from_value(document, kind).map_err(|e| {
            (
                pointer.clone(),
                format!("the rendered structured policy is invalid {e}"),
            )
        }),
        PolicySource::Unrenderable(e) => Err((
            e.pointer.clone(),
            format!(
                "the provider cannot render this structured policy: {}",
                e.message
            ),
        )),
    }
}

/// The object path of a rendered statement, for findings on structured policies.
fn statement_pointer(source: &PolicySource, w: &Witness) -> String {
    match (source, w.statements.first()) {
        (
            PolicySource::Structured {
                statement_pointers, ..
            },
            Some(s),
        ) => statement_pointers
            .get(s.index)
            .cloned()
            .unwrap_or_else(|| source.pointer().to_owned()),
        _ => source.pointer().to_owned(),
    }
}

/// What a policy's findings are: the rule of each dimension judged, the rule for a policy that
/// cannot be decided, and a finding's own fix from its dimension and witness, where one is known.
struct Judging<'a> {
    rules: &'a [(Dimension, &'static Rule)],
    invalid: &'static Rule,
    advise: &'a dyn Fn(Dimension, &Witness) -> Option<String>,
}

fn reason(
    policy: &Policy,
    source: &PolicySource,
    attachment: &Attachment,
    perimeter: &reasoner::Perimeter,
    judging: &Judging<'_>,
    add: &mut Add<'_>,
) {
    for c in crate::iam::domains::impossible_conditions(policy) {
        add(
            IMPOSSIBLE_CONDITION,
            source.pointer(),
            format!("at {}: {}", c.pointer, c.message),
            None,
        );
    }
    for v in reasoner::analyze(policy, attachment, perimeter) {
        let Some((_, rule)) = judging.rules.iter().find(|(d, _)| *d == v.dimension) else {
            continue;
        };
        match v.verdict {
            ReasonerVerdict::Complies => {}
            ReasonerVerdict::Violates(w) => {
                let pointer = statement_pointer(source, &w);
                match membership::question(policy, attachment, perimeter, v.dimension, &w) {
                    Some(unknown) => {
                        let message = format!("{}; {}", w.line(), unknown.message());
                        let proof = Proof {
                            witness: Some(w),
                            fix: None,
                        };
                        add(UNKNOWN_MEMBERSHIP, &pointer, message, Some(proof));
                    }
                    None => {
                        let mut message = w.line();
                        for hint in hints::for_witness(&w, policy, perimeter) {
                            message.push_str("; ");
                            message.push_str(&hint);
                        }
                        let fix = (judging.advise)(v.dimension, &w);
                        add(
                            rule,
                            &pointer,
                            message,
                            Some(Proof {
                                witness: Some(w),
                                fix,
                            }),
                        );
                    }
                }
            }
            ReasonerVerdict::Undecided(why) => add(judging.invalid, source.pointer(), why, None),
        }
    }
}

fn endpoint(e: &Endpoint, dp: &DataPerimeter, perimeter: &reasoner::Perimeter, add: &mut Add<'_>) {
    let endpoint_type = e.endpoint_type.value().map_or("Gateway", String::as_str);
    if targets::takes_policy(endpoint_type) {
        endpoint_policy(e, dp, perimeter, add);
    }
    endpoint_placement(e, dp, add);
    targets::check(e, dp, perimeter, add);
}

fn endpoint_policy(
    e: &Endpoint,
    dp: &DataPerimeter,
    perimeter: &reasoner::Perimeter,
    add: &mut Add<'_>,
) {
    match &e.policy {
        EndpointPolicy::AwsDefault { pointer } => {
            add(ENDPOINT_DEFAULT_POLICY, pointer, "no policy document: AWS attaches its default policy, which allows every principal every action on every resource".into(), None);
        }
        EndpointPolicy::NotStated { .. } => {}
        EndpointPolicy::Given(source) => {
            match policy_document(source, PolicyKind::EndpointPolicy) {
                Err((pointer, message)) => add(ENDPOINT_POLICY_INVALID, &pointer, message, None),
                Ok(policy) => {
                    // Requests through the endpoint are its service's: their actions and
                    // resources come from that service's table when there is one.
                    let service = e
                        .service_name
                        .value()
                        .and_then(|n| crate::iam::services::parse_endpoint_service_name(n));
                    let attachment = Attachment::Endpoint {
                        id: e.endpoint_id.value().cloned(),
                        vpc: e.vpc.value().cloned(),
                        service: service.as_ref().map(|s| s.iam_prefix.to_owned()),
                    };
                    let declared = dp
                        .spec
                        .resources
                        .as_ref()
                        .map_or(&[][..], |r| &r.aws_owned_resources[..]);
                    let region = service.as_ref().map(|s| s.region);
                    // AWS-owned buckets are read anonymously too (Amazon Linux's repositories):
                    // the identity finding's fix is theirs as well, not a condition on the
                    // caller's organisation, which would lock those reads out.
                    let advise = |d: Dimension, w: &Witness| {
                        matches!(d, Dimension::Identity | Dimension::Resource)
                            .then(|| owned_fix(&policy, w, declared, region))
                            .flatten()
                    };
                    reason(
                        &policy,
                        source,
                        &attachment,
                        perimeter,
                        &Judging {
                            rules: &[
                                (Dimension::Identity, ENDPOINT_IDENTITY),
                                (Dimension::Resource, ENDPOINT_RESOURCE),
                            ],
                            invalid: ENDPOINT_POLICY_INVALID,
                            advise: &advise,
                        },
                        add,
                    );
                }
            }
        }
    }
}

fn endpoint_placement(e: &Endpoint, dp: &DataPerimeter, add: &mut Add<'_>) {
    let spec = &dp.spec.vpc_endpoints;
    check_allowed(
        ENDPOINT_SERVICE,
        &e.service_name,
        &spec.allowed_services,
        "service",
        add,
    );
    check_allowed(ENDPOINT_VPC, &e.vpc, &spec.allowed_vpcs, "VPC", add);
    for s in &e.subnets {
        check_allowed(ENDPOINT_SUBNET, s, &spec.allowed_subnets, "subnet", add);
    }
    for g in &e.security_groups {
        check_allowed(
            ENDPOINT_SECURITY_GROUP,
            g,
            &spec.allowed_security_groups,
            "security group",
            add,
        );
    }
    let endpoint_type = e.endpoint_type.value().map_or("Gateway", String::as_str);
    if !spec.allowed_types.is_empty()
        && !spec
            .allowed_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(endpoint_type))
    {
        let pointer = e
            .endpoint_type
            .pointer()
            .unwrap_or_else(|| parent(policy_pointer(e)))
            .to_owned();
        add(
            ENDPOINT_TYPE,
            &pointer,
            format!(
                "type {endpoint_type} is not in the allowed list ({})",
                spec.allowed_types.join(", ")
            ),
            None,
        );
    }
    if spec.require_private_dns
        && endpoint_type.eq_ignore_ascii_case("Interface")
        && e.private_dns.value() != Some(&true)
    {
        let pointer = e
            .private_dns
            .pointer()
            .unwrap_or_else(|| parent(policy_pointer(e)))
            .to_owned();
        add(
            ENDPOINT_PRIVATE_DNS,
            &pointer,
            "an Interface endpoint must enable private DNS".into(),
            None,
        );
    }
    if let Field::Set { value, pointer } = &e.service_region
        && e.region.value() != Some(value)
        && !spec.allowed_service_regions.iter().any(|r| r == value)
    {
        add(
            ENDPOINT_SERVICE_REGION,
            pointer,
            format!("the service is reached in {value}, which is not an allowed service region"),
            None,
        );
    }
}

/// An endpoint finding's own fix when AWS-owned buckets explain its witness
/// ([`aws_owned::fix`]), from the Resource patterns of the statements that allow the witness (a
/// pattern with a variable is left out: it names no set's buckets in wildcard form).
fn owned_fix(
    policy: &Policy,
    w: &Witness,
    declared: &[String],
    region: Option<&str>,
) -> Option<String> {
    let arn = &w.request.resource.arn;
    let compiled: Vec<(&str, std::borrow::Cow<'_, [pattern::Tok]>)> = w
        .statements
        .iter()
        .filter_map(|s| policy.statements.iter().find(|st| st.index == s.index))
        .filter_map(|st| st.resource.as_ref().filter(|r| !r.negated))
        .flat_map(|r| &r.patterns)
        .filter_map(|t| Some((t.raw(), t.resolve_glob(&NoVariables)?)))
        .collect();
    let patterns: Vec<ResourcePattern<'_>> = compiled
        .iter()
        .map(|(raw, tokens)| ResourcePattern { raw, tokens })
        .collect();
    aws_owned::fix(&patterns, arn, declared, region)
}

/// An allow-list rule: a value outside a non-empty list (of `*`/`?` patterns) is a finding of
/// `rule`; a reference in place of the value is an unresolved-reference finding.
fn check_allowed(
    rule: &'static Rule,
    field: &Field<String>,
    list: &[String],
    what: &str,
    add: &mut Add<'_>,
) {
    if list.is_empty() {
        return;
    }
    match field {
        Field::Set { value, pointer }
            if !list
                .iter()
                .any(|p| pattern::matches(&pattern::glob(p), value)) =>
        {
            add(
                rule,
                pointer,
                format!(
                    "{what} {value:?} is not in the allowed list ({})",
                    list.join(", ")
                ),
                None,
            );
        }
        Field::Unresolved { pointer } => {
            let message = format!(
                "the {what} is a reference resolved after admission; {} is checked once it is set",
                rule.id
            );
            add(UNRESOLVED_REFERENCE, pointer, message, None);
        }
        _ => {}
    }
}

fn policy_pointer(e: &Endpoint) -> &str {
    match &e.policy {
        EndpointPolicy::AwsDefault { pointer } | EndpointPolicy::NotStated { pointer } => pointer,
        EndpointPolicy::Given(s) => s.pointer(),
    }
}

fn parent(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(p, _)| p)
}

fn bucket_policy(
    source: &PolicySource,
    bucket: &Field<String>,
    dp: &DataPerimeter,
    perimeter: &reasoner::Perimeter,
    add: &mut Add<'_>,
) {
    let bucket = match bucket {
        Field::Set { value, .. } => Some(value.clone()),
        // S3 refuses a bucket policy whose resources are outside its bucket ("Policy has
        // invalid resource", PutBucketPolicy), so the bucket the reference resolves to is the
        // one the policy's ARNs name; a policy naming none is checked for any bucket.
        Field::Unresolved { pointer } => {
            let named = named_bucket(source);
            let against = named.as_deref().map_or_else(
                || "any bucket, as its Resource ARNs name no single one".to_owned(),
                |b| format!("bucket {b}, the one its Resource ARNs name"),
            );
            add(
                UNRESOLVED_REFERENCE,
                pointer,
                format!(
                    "the bucket is a reference resolved after admission; the policy is checked against {against}, and again once the reference is set"
                ),
                None,
            );
            named
        }
        Field::Absent => None,
    };
    let resolved;
    let source = match source {
        PolicySource::Structured {
            document,
            pointer,
            statement_pointers,
            principal_references,
        } if !principal_references.is_empty() => {
            for (_, at) in principal_references {
                add(UNRESOLVED_REFERENCE, at, "the principal is a reference resolved after admission; until then the policy is read as granting it nothing and as denying it whatever a Deny names, and it is checked again once the reference is set".into(), None);
            }
            let (document, statement_pointers) =
                without_principal_references(document, statement_pointers, principal_references);
            if statement_pointers.is_empty() {
                // Every statement is about a reference: until it resolves, the policy grants
                // nothing and denies nothing.
                let why =
                    "until its principal references resolve, the policy grants and denies nothing";
                if dp.spec.bucket_policy_mode == BucketPolicyMode::Enforce {
                    add(
                        BUCKET_ENFORCE,
                        pointer,
                        format!("{why}: nothing denies requests from outside the perimeter"),
                        None,
                    );
                }
                if dp.spec.bucket_policies.require_secure_transport {
                    add(
                        BUCKET_TLS,
                        pointer,
                        format!("{why}: nothing denies requests without TLS"),
                        None,
                    );
                }
                return;
            }
            resolved = PolicySource::Structured {
                document,
                pointer: pointer.clone(),
                statement_pointers,
                principal_references: Vec::new(),
            };
            &resolved
        }
        _ => source,
    };
    let policy = match policy_document(source, PolicyKind::BucketPolicy) {
        Err((pointer, message)) => return add(BUCKET_POLICY_INVALID, &pointer, message, None),
        Ok(p) => p,
    };
    let directory = directory_bucket_of(written_resources(&policy), bucket.as_deref());
    let attachment = match &directory {
        Some(door) => Attachment::Door(door.clone()),
        None => Attachment::Bucket {
            name: bucket.clone(),
        },
    };
    reason(
        &policy,
        source,
        &attachment,
        perimeter,
        &Judging {
            rules: &[
                (Dimension::Identity, BUCKET_IDENTITY),
                (Dimension::Network, BUCKET_NETWORK),
                (Dimension::Enforce, BUCKET_ENFORCE),
            ],
            invalid: BUCKET_POLICY_INVALID,
            advise: &|_, _| None,
        },
        add,
    );
    // Directory buckets take HTTPS only (Amazon S3 User Guide, S3 Express One Zone, "Data
    // protection and encryption": "can only be accessed through HTTPS").
    if dp.spec.bucket_policies.require_secure_transport
        && directory.is_none()
        && !denies_plain_http(&policy, bucket.as_deref())
    {
        add(BUCKET_TLS, source.pointer(), "no Deny statement rejects every request made without TLS (aws:SecureTransport = false)".into(), None);
    }
}

/// A directory bucket's policy (the bucket's name ends in `--x-s3`, or the policy's Resource
/// ARNs are `s3express` buckets): judged on S3 Express's actions and ARNs. Its Region and owner
/// are the ones its ARNs name, as S3 accepts no policy on another bucket's resources.
pub fn directory_bucket(source: &PolicySource, bucket: Option<&str>) -> Option<reasoner::Door> {
    directory_bucket_of(resource_arns(source).iter().map(String::as_str), bucket)
}

/// [`directory_bucket`] from the policy's Resource ARNs.
fn directory_bucket_of<'a>(
    arns: impl IntoIterator<Item = &'a str>,
    bucket: Option<&str>,
) -> Option<reasoner::Door> {
    let named = door_named(arns, |service, resource| {
        service == "s3express" && resource.starts_with("bucket/")
    });
    let by_name = bucket.is_some_and(reasoner::is_directory_bucket_name);
    if !by_name && named.is_none() {
        return None;
    }
    let (region, account, from_arn) = named.unwrap_or_default();
    Some(reasoner::Door {
        kind: reasoner::DoorKind::DirectoryBucket,
        name: bucket
            .map(str::to_owned)
            .or_else(|| from_arn.strip_prefix("bucket/").map(str::to_owned)),
        region,
        account,
        vpc_origin: None,
    })
}

/// The Region, account and resource of the one door the policy's Resource ARNs of a kind name
/// literally, each `None` where they do not agree or hold a wildcard.
fn door_named<'a>(
    arns: impl IntoIterator<Item = &'a str>,
    of_kind: impl Fn(&str, &str) -> bool,
) -> Option<(Option<String>, Option<String>, String)> {
    let mut region: Option<Option<String>> = None;
    let mut account: Option<Option<String>> = None;
    let mut resource: Option<String> = None;
    for arn in arns {
        let Some([_, _, service, r, a, res]) = crate::iam::arn::split(arn) else {
            continue;
        };
        if !of_kind(service, res) {
            continue;
        }
        let literal = |v: &str| (!v.contains(['*', '?', '$'])).then(|| v.to_owned());
        let agree = |slot: &mut Option<Option<String>>, v: Option<String>| match slot {
            None => *slot = Some(v),
            Some(old) if *old != v => *old = None,
            Some(_) => {}
        };
        agree(&mut region, literal(r));
        agree(
            &mut account,
            literal(a).filter(|a| crate::iam::arn::is_account_id(a)),
        );
        // `bucket/NAME`, `accesspoint/NAME`, without an object part.
        let head: String = res.splitn(3, '/').take(2).collect::<Vec<_>>().join("/");
        if resource.is_none() && literal(&head).is_some() {
            resource = Some(head);
        }
    }
    let resource = resource.or_else(|| region.as_ref().map(|_| String::new()))?;
    Some((region.flatten(), account.flatten(), resource))
}

/// The Resource ARNs of a parsed policy: those [`resource_arns`] reads from its source, without
/// reading the document a second time.
fn written_resources(policy: &Policy) -> impl Iterator<Item = &str> {
    policy
        .statements
        .iter()
        .filter_map(|s| s.resource.as_ref().filter(|r| !r.negated))
        .flat_map(|r| r.patterns.iter().map(|t| t.raw()))
}

/// Every Resource ARN of the policy as written.
fn resource_arns(source: &PolicySource) -> Vec<String> {
    let parsed;
    let document = match source {
        PolicySource::Text { text, .. } => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return Vec::new(),
        },
        PolicySource::Structured { document, .. } => document,
        PolicySource::Unrenderable(_) => return Vec::new(),
    };
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        match st.get("Resource") {
            Some(serde_json::Value::Array(items)) => out.extend(
                items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(str::to_owned),
            ),
            Some(serde_json::Value::String(one)) => out.push(one.clone()),
            _ => {}
        }
    }
    out
}

/// An access point's policy, judged on the access point's own ARNs and keys. What the object
/// leaves to a reference is taken from the policy's ARNs (S3 refuses an access point policy
/// whose resources are not that access point's), else any access point.
fn access_point_policy(ap: &AccessPointPolicy, perimeter: &reasoner::Perimeter, add: &mut Add<'_>) {
    let kind = match ap.kind {
        AccessPointKind::Regional => reasoner::DoorKind::AccessPoint,
        AccessPointKind::MultiRegion => reasoner::DoorKind::MultiRegionAccessPoint,
        AccessPointKind::ObjectLambda => reasoner::DoorKind::ObjectLambdaAccessPoint,
    };
    let service = kind.service();
    // Parsed once: the door is read from its statements, and judged if it parses.
    let parsed = policy_document(&ap.policy, PolicyKind::BucketPolicy);
    let named = parsed.as_ref().ok().and_then(|policy| {
        door_named(written_resources(policy), |svc, resource| {
            svc == service && resource.starts_with("accesspoint/")
        })
    });
    let (arn_region, arn_account, arn_resource) = named.unwrap_or_default();
    let mut unresolved: Vec<String> = Vec::new();
    let mut value = |f: &Field<String>| match f {
        Field::Set { value, .. } if !value.is_empty() => Some(value.clone()),
        Field::Unresolved { pointer } => {
            if !unresolved.contains(pointer) {
                unresolved.push(pointer.clone());
            }
            None
        }
        _ => None,
    };
    let name = value(&ap.name).or_else(|| {
        (kind != reasoner::DoorKind::MultiRegionAccessPoint)
            .then(|| arn_resource.strip_prefix("accesspoint/").map(str::to_owned))
            .flatten()
    });
    let region = value(&ap.region).or(arn_region);
    let account = value(&ap.account)
        .filter(|a| crate::iam::arn::is_account_id(a))
        .or(arn_account);
    let vpc_origin = match &ap.vpc {
        Field::Set { value, .. } => Some(Some(value.clone())),
        Field::Unresolved { .. } => Some(None),
        Field::Absent => None,
    };
    for pointer in &unresolved {
        add(
            UNRESOLVED_REFERENCE,
            pointer,
            format!(
                "the {} is given by a reference resolved after admission; its policy is checked against the one its Resource ARNs name (any, where they name none), and again once the reference is set",
                kind.noun()
            ),
            None,
        );
    }
    let policy = match parsed {
        Err((pointer, message)) => {
            return add(ACCESS_POINT_POLICY_INVALID, &pointer, message, None);
        }
        Ok(p) => p,
    };
    let attachment = Attachment::Door(reasoner::Door {
        kind,
        name,
        region: region.filter(|_| kind != reasoner::DoorKind::MultiRegionAccessPoint),
        account,
        vpc_origin: vpc_origin.filter(|_| kind == reasoner::DoorKind::AccessPoint),
    });
    // An AccessPointPolicy does not say whether its access point is VPC-origin (the
    // AccessPoint does): a request from outside the expected networks is then judged as for an
    // Internet-origin access point, and reported as resting on that.
    let network = if ap.origin_elsewhere && kind == reasoner::DoorKind::AccessPoint {
        ACCESS_POINT_ORIGIN_UNKNOWN
    } else {
        ACCESS_POINT_NETWORK
    };
    reason(
        &policy,
        &ap.policy,
        &attachment,
        perimeter,
        &Judging {
            rules: &[
                (Dimension::Identity, ACCESS_POINT_IDENTITY),
                (Dimension::Network, network),
            ],
            invalid: ACCESS_POINT_POLICY_INVALID,
            advise: &|_, _| None,
        },
        add,
    );
}

/// The one bucket the policy's S3 Resource ARNs name literally, if they name exactly one.
fn named_bucket(source: &PolicySource) -> Option<String> {
    let mut named: Option<String> = None;
    for r in resource_arns(source) {
        let Some(rest) = crate::iam::arn::split(&r)
            .filter(|p| p[2] == "s3" && p[3].is_empty() && p[4].is_empty())
            .map(|p| p[5])
        else {
            continue;
        };
        let head = rest.split_once('/').map_or(rest, |(b, _)| b);
        if !crate::iam::arn::is_bucket_name(head) {
            continue;
        }
        match &named {
            Some(b) if b != head => return None,
            _ => named = Some(head.to_owned()),
        }
    }
    named
}

/// Whether the policy explicitly denies plain-HTTP requests from every kind of caller, for
/// reading and writing objects and listing the bucket.
fn denies_plain_http(policy: &Policy, bucket: Option<&str>) -> bool {
    let bucket = bucket.unwrap_or("bucket");
    let callers = [
        Caller::Anonymous,
        iam_identity("arn:aws:iam::111122223333:role/any", None)
            .map(Caller::Iam)
            .unwrap_or(Caller::Anonymous),
        Caller::Service {
            name: "s3.amazonaws.com".into(),
        },
    ];
    let targets = [
        ("s3:GetObject", format!("arn:aws:s3:::{bucket}/key")),
        ("s3:PutObject", format!("arn:aws:s3:::{bucket}/key")),
        ("s3:ListBucket", format!("arn:aws:s3:::{bucket}")),
    ];
    callers.iter().all(|caller| {
        targets.iter().all(|(action, arn)| {
            let request = Request {
                caller: caller.clone(),
                action: (*action).to_owned(),
                resource: crate::iam::request::Resource {
                    arn: arn.clone(),
                    account: None,
                    org: None,
                    tags: BTreeMap::new(),
                },
                context: BTreeMap::from([(
                    "aws:securetransport".to_owned(),
                    ContextValue::One("false".into()),
                )]),
            };
            // An explicit deny is some Deny statement applying, whatever the Allow statements say
            // (IAM User Guide, "Policy evaluation logic": an explicit deny overrides any allow),
            // as `evaluate` decides it: only the Deny statements are read.
            policy
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Deny)
                .any(|s| applies(s, &request))
        })
    })
}

fn service_principals(p: &EndpointServicePrincipals, dp: &DataPerimeter, add: &mut Add<'_>) {
    for f in &p.principals {
        let Field::Set { value, pointer } = f else {
            continue;
        };
        let account = if crate::iam::arn::is_account_id(value) {
            Some(value.as_str())
        } else {
            crate::iam::arn::split(value)
                .map(|parts| parts[4])
                .filter(|a| crate::iam::arn::is_account_id(a))
        };
        let trusted =
            account.is_some_and(|a| dp.spec.identity.trusted_accounts.iter().any(|t| t == a));
        if !trusted {
            let why = if value == "*" {
                "every AWS account".to_owned()
            } else {
                format!("{value:?}, which is not a trusted account")
            };
            add(
                ENDPOINT_SERVICE_PRINCIPAL,
                pointer,
                format!("the endpoint service accepts connections from {why}"),
                None,
            );
        }
    }
}

fn public_access_block(p: &PublicAccessBlock, add: &mut Add<'_>) {
    for s in &p.settings {
        let message = match s.value {
            Some(true) => continue,
            // An access point's omitted setting stays on.
            None if p.access_point => continue,
            Some(false) => format!("{} is false", s.name),
            None => format!(
                "{} is omitted, which S3 reads as false: the configuration written replaces the whole of it",
                s.name
            ),
        };
        add(PUBLIC_ACCESS_BLOCK, &s.pointer, message, None);
    }
}

/// ACL grants cannot be conditioned on the perimeter's keys: a grant to anyone but the bucket
/// owner is outside it. Object ownership `BucketOwnerEnforced` turns ACLs off; the other two
/// settings keep such grants working (Amazon S3 User Guide, "Controlling ownership of objects
/// and disabling ACLs for your bucket").
fn bucket_acl(a: &BucketAcl, add: &mut Add<'_>) {
    let mut outside = false;
    for g in &a.grants {
        let through = g
            .canned
            .as_ref()
            .map_or_else(String::new, |c| format!(" through the canned ACL {c}"));
        let (rule, whom) = match &g.grantee {
            Grantee::AllUsers => (ACL_PUBLIC, "everyone (AllUsers)".to_owned()),
            Grantee::AuthenticatedUsers => (
                ACL_PUBLIC,
                "every AWS account (AuthenticatedUsers)".to_owned(),
            ),
            Grantee::LogDelivery => continue,
            Grantee::CanonicalUser(id) => match &a.owner {
                Some(owner) if owner == id => continue,
                Some(_) => (
                    ACL_OTHER_ACCOUNT,
                    format!("canonical user {id}, not the ACL's owner"),
                ),
                None => (
                    ACL_UNPLACED_GRANTEE,
                    format!("canonical user {id}, whose account the object does not show"),
                ),
            },
            Grantee::Email(e) => (ACL_OTHER_ACCOUNT, format!("the account of {e}")),
            Grantee::Other(o) => (ACL_OTHER_ACCOUNT, format!("grantee {o}")),
        };
        outside |= rule.id != ACL_UNPLACED_GRANTEE.id;
        add(
            rule,
            &g.pointer,
            format!("the ACL grants {} to {whom}{through}", g.permission),
            None,
        );
    }
    if let Field::Set { value, pointer } = &a.ownership
        && outside
        && (value == "ObjectWriter" || value == "BucketOwnerPreferred")
    {
        add(
            OWNERSHIP_ENABLES_ACLS,
            pointer,
            format!(
                "object ownership {value} keeps ACLs working, so the grants outside the account take effect"
            ),
            None,
        );
    }
}

fn association(a: &EndpointAssociation, dp: &DataPerimeter, add: &mut Add<'_>) {
    let spec = &dp.spec.vpc_endpoints;
    let (rule, list, what) = match a.kind {
        AssociationKind::Subnet => (ENDPOINT_SUBNET, &spec.allowed_subnets, "subnet"),
        AssociationKind::SecurityGroup => (
            ENDPOINT_SECURITY_GROUP,
            &spec.allowed_security_groups,
            "security group",
        ),
        AssociationKind::RouteTable => return,
    };
    check_allowed(rule, &a.target, list, what, add);
}

mod destinations;
mod guardrails;
mod hints;
pub(crate) mod membership;
mod targets;

pub use guardrails::weakening as guardrail_weakening;
pub use guardrails::{RETYPED as GUARDRAIL_RETYPED, removal as guardrail_removal};
#[cfg(test)]
mod tests;
