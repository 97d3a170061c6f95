//! Kubernetes objects of the checked kinds (ACK, Crossplane classic, Upbound) turned into the
//! facts the perimeter rules read, each carrying the JSON pointer it came from. Nothing here knows
//! about HTTP or about IAM semantics.

pub mod ack;
mod acl;
pub mod composition;
pub mod crossplane;
mod destinations;
pub mod facts;
mod fields;
mod management;
mod read_parts;
mod shape;
pub mod structured_policy;
pub mod upbound;
pub mod webhook_rules;

use serde_json::Value;

pub use acl::{AclGrant, BucketAcl, Grantee};
pub use fields::Field;
pub use management::deletes_external;
pub use read_parts::{READ_ANNOTATIONS, read_parts};
use structured_policy::RenderError;

/// Which provider family an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderFamily {
    Ack,
    CrossplaneClassic,
    Upbound,
    /// Crossplane itself: Compositions, read by `check` only.
    CrossplaneCore,
}

/// Identifies an object in findings and reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// `Kind namespace/name` or `Kind name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    pub fn group(&self) -> &str {
        self.api_version.split_once('/').map_or("", |(g, _)| g)
    }
}

/// A policy document as the object carries it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum PolicySource {
    /// JSON text, at `pointer`.
    Text { text: String, pointer: String },
    /// Crossplane classic's structured policy, rendered to IAM JSON; `statement_pointers[i]`
    /// is where statement `i` came from.
    Structured {
        document: Value,
        pointer: String,
        statement_pointers: Vec<String>,
        /// AWS principals given by a reference the controller resolves after admission
        /// (statement index, object path). Only the BucketPolicy kind's controller resolves them;
        /// elsewhere a reference stays `""` in what AWS receives, and is not listed here.
        principal_references: Vec<(usize, String)>,
    },
    /// A structured policy the provider itself could not serialise.
    Unrenderable(RenderError),
}

impl PolicySource {
    pub fn pointer(&self) -> &str {
        match self {
            PolicySource::Text { pointer, .. } | PolicySource::Structured { pointer, .. } => {
                pointer
            }
            PolicySource::Unrenderable(e) => &e.pointer,
        }
    }
}

/// The endpoint policy an endpoint ends up with.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum EndpointPolicy {
    Given(PolicySource),
    /// No policy: AWS attaches its default full-access policy. `pointer` is where one would go.
    AwsDefault {
        pointer: String,
    },
    /// An observed object states no policy: it is whatever AWS has, not a default.
    NotStated {
        pointer: String,
    },
}

/// A VPC endpoint: its policy and its placement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Endpoint {
    pub policy: EndpointPolicy,
    pub service_name: Field<String>,
    /// Absent means Gateway, AWS's default.
    pub endpoint_type: Field<String>,
    pub vpc: Field<String>,
    pub subnets: Vec<Field<String>>,
    pub security_groups: Vec<Field<String>>,
    pub route_tables: Vec<Field<String>>,
    pub private_dns: Field<bool>,
    pub service_region: Field<String>,
    pub region: Field<String>,
    /// The endpoint's id when the object names an existing one (adoption, external name).
    pub endpoint_id: Field<String>,
    /// The ARN of the VPC Lattice resource configuration a `Resource` endpoint connects to.
    pub resource_configuration: Field<String>,
    /// The ARN of the VPC Lattice service network a `ServiceNetwork` endpoint connects to.
    pub service_network: Field<String>,
}

/// What an object does to a bucket's policy.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum BucketPolicyChange {
    Set(PolicySource),
    /// ACK deletes the bucket policy when `spec.policy` is empty or absent.
    Delete {
        pointer: String,
    },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BucketPolicy {
    pub bucket: Field<String>,
    pub change: BucketPolicyChange,
}

/// Principals allowed to connect to an endpoint service.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EndpointServicePrincipals {
    pub principals: Vec<Field<String>>,
}

/// S3 Block Public Access settings of a bucket (or access point).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PublicAccessBlock {
    pub bucket: Field<String>,
    /// The four settings, in S3's order.
    pub settings: Vec<BlockSetting>,
    /// An access point's: it starts with every setting on, and only a setting explicitly
    /// disabled at creation is off, so an omitted one stays on (Amazon S3 User Guide, "Managing
    /// public access to access points": "You must explicitly disable any settings that you don't
    /// want").
    pub access_point: bool,
}

/// One Block Public Access setting of a configuration the object writes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockSetting {
    /// Its S3 API name, e.g. `BlockPublicPolicy`.
    pub name: &'static str,
    /// Where it is written, or where it would go.
    pub pointer: String,
    /// `None`: omitted. S3's PutPublicAccessBlock replaces the whole configuration and reads an
    /// omitted setting as false (Amazon S3 API Reference, "PublicAccessBlockConfiguration"), as
    /// do the providers (Terraform's `aws_s3_bucket_public_access_block`: "Defaults to false").
    pub value: Option<bool>,
}

impl BlockSetting {
    /// The setting at `pointer`: a boolean, else omitted.
    fn read(doc: &Value, name: &'static str, pointer: String) -> Self {
        let value = fields::at(doc, &pointer).and_then(Value::as_bool);
        BlockSetting {
            name,
            pointer,
            value,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AssociationKind {
    Subnet,
    SecurityGroup,
    RouteTable,
}

/// An Upbound association that changes an endpoint's placement without touching the endpoint.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EndpointAssociation {
    pub kind: AssociationKind,
    pub endpoint: Field<String>,
    pub target: Field<String>,
}

/// Which kind of S3 access point a policy guards; each has its own ARN form (Amazon S3 User
/// Guide, "Configuring IAM policies for using access points", "Multi-Region Access Point
/// permissions", "Configuring IAM policies for Object Lambda Access Points").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessPointKind {
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME` and `.../object/KEY`.
    Regional,
    /// `arn:aws:s3::ACCOUNT:accesspoint/ALIAS` and `.../object/KEY`; the alias is AWS's, the
    /// object gives the name.
    MultiRegion,
    /// `arn:aws:s3-object-lambda:REGION:ACCOUNT:accesspoint/NAME`.
    ObjectLambda,
}

/// An access point's resource policy, with what fixes every request that reaches it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccessPointPolicy {
    pub kind: AccessPointKind,
    /// The access point's name.
    pub name: Field<String>,
    /// The account that owns it (and, for a regional access point, usually the bucket).
    pub account: Field<String>,
    /// Its Region; absent for a Multi-Region Access Point.
    pub region: Field<String>,
    /// The bucket behind it, when the object names one.
    pub bucket: Field<String>,
    pub policy: PolicySource,
    /// A VPC-origin access point's VPC (`vpcConfiguration`): it accepts requests only from
    /// that VPC's endpoints. Absent: an Internet-origin access point.
    pub vpc: Field<String>,
    /// The object does not state the network origin: it is a policy of its own kind, and the
    /// AccessPoint object states the origin.
    pub origin_elsewhere: bool,
}

/// What S3 sends to a destination of a bucket's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DestinationKind {
    /// Replicas of the bucket's objects (a bucket ARN).
    Replication,
    /// Inventory reports (a bucket ARN).
    Inventory,
    /// Storage class analysis exports (a bucket ARN).
    AnalyticsExport,
    /// Server access logs (a bucket name, in the source bucket's account).
    AccessLog,
    /// Event notifications to an SNS topic, an SQS queue or a Lambda function (an ARN).
    Topic,
    Queue,
    Function,
    /// The Lambda function an Object Lambda Access Point invokes with the objects it transforms
    /// (an ARN).
    TransformFunction,
}

impl DestinationKind {
    /// How findings name it.
    pub fn noun(self) -> &'static str {
        match self {
            DestinationKind::Replication => "replication destination",
            DestinationKind::Inventory => "inventory destination",
            DestinationKind::AnalyticsExport => "analytics export destination",
            DestinationKind::AccessLog => "access log target bucket",
            DestinationKind::Topic => "event notification topic",
            DestinationKind::Queue => "event notification queue",
            DestinationKind::Function => "event notification function",
            DestinationKind::TransformFunction => "Object Lambda transformation function",
        }
    }

    /// Whether the destination is an S3 bucket, named by an ARN without an account or by name.
    pub fn is_bucket(self) -> bool {
        matches!(
            self,
            DestinationKind::Replication
                | DestinationKind::Inventory
                | DestinationKind::AnalyticsExport
                | DestinationKind::AccessLog
        )
    }

    /// How the data gets there, for findings.
    pub fn delivery(self) -> &'static str {
        match self {
            DestinationKind::TransformFunction => {
                "S3 Object Lambda invokes it with every object read through the access point, as a service principal"
            }
            _ => "S3 writes there itself, as a service principal",
        }
    }
}

/// A place a bucket's settings make S3 send data or events to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Destination {
    pub kind: DestinationKind,
    /// Its ARN; for an access log target, the bucket's name.
    pub target: Field<String>,
    /// The account the object says owns it (replication `account`, inventory `accountId`,
    /// analytics `bucketAccountId`, BucketLogging `expectedBucketOwner`).
    pub account: Field<String>,
    /// Where that account would be written, for kinds that have such a field.
    pub account_at: Option<String>,
}

/// The AWS Organizations policy types that guard the perimeter (AWS Organizations User Guide,
/// "Resource control policies (RCPs)", "Service control policies (SCPs)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationPolicyType {
    /// `RESOURCE_CONTROL_POLICY`.
    ResourceControl,
    /// `SERVICE_CONTROL_POLICY`, also what an omitted type means (Organizations CreatePolicy:
    /// the type defaults to SCP).
    ServiceControl,
}

/// An AWS Organizations policy that is part of the perimeter: an RCP or an SCP.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrganizationPolicy {
    pub policy_type: OrganizationPolicyType,
    /// The policy's JSON text (`content`).
    pub content: Field<String>,
}

/// One normalised fact about an object.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Subject {
    Endpoint(Box<Endpoint>),
    BucketPolicy(BucketPolicy),
    EndpointServicePrincipals(EndpointServicePrincipals),
    PublicAccessBlock(PublicAccessBlock),
    EndpointAssociation(EndpointAssociation),
    AccessPointPolicy(AccessPointPolicy),
    BucketAcl(BucketAcl),
    Destination(Destination),
    /// A part of a Composition whose resources no static reading can know.
    Unreadable(composition::Unreadable),
    OrganizationPolicy(OrganizationPolicy),
}

/// What the rules are told about the object as a whole.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ObjectNote {
    /// The object writes nothing to AWS: its findings are recorded, not enforced.
    Observed { pointer: String, why: String },
    /// A field the rules read has a type the kind's schema refuses.
    TypeError { pointer: String, message: String },
    /// A field a Composition's patch writes when Crossplane composes the resource: unknown
    /// until then, so nothing found at or inside it stands; `read` says whether a rule reads it.
    Patched {
        pointer: String,
        by: String,
        read: bool,
    },
    /// A version of a checked kind the webhook does not register, read as `read_as`.
    UnregisteredVersion {
        version: String,
        read_as: &'static str,
    },
}

/// The outcome of reading one document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Adapted {
    Checked {
        object: ObjectRef,
        family: ProviderFamily,
        subjects: Vec<Subject>,
        notes: Vec<ObjectNote>,
    },
    /// Not a checked kind, or not a Kubernetes object at all: never an error.
    Skipped {
        object: Option<ObjectRef>,
        reason: String,
    },
}

/// Reads one document.
pub fn adapt(doc: &Value) -> Adapted {
    let Some(object) = object_ref(doc) else {
        return Adapted::Skipped {
            object: None,
            reason:
                "not a Kubernetes object (no apiVersion, kind and metadata.name or generateName)"
                    .into(),
        };
    };
    let mut object = object;
    let adapted = match object.group() {
        composition::GROUP if composition::is_composition(&object) => {
            // A Composition is cluster-scoped: a namespace written on it is dropped.
            object.namespace = None;
            let parts = composition::unreadable(doc);
            Some((
                ProviderFamily::CrossplaneCore,
                parts.into_iter().map(Subject::Unreadable).collect(),
            ))
        }
        g if g.ends_with(".services.k8s.aws") => {
            ack::adapt(doc, &object).map(|s| (ProviderFamily::Ack, s))
        }
        g if g.ends_with(".aws.crossplane.io") => {
            crossplane::adapt(doc, &object).map(|s| (ProviderFamily::CrossplaneClassic, s))
        }
        g if g.ends_with(".aws.upbound.io") || g.ends_with(".aws.m.upbound.io") => {
            if let Some(reason) = upbound::not_a_guardrail(doc, &object) {
                return Adapted::Skipped {
                    object: Some(object),
                    reason,
                };
            }
            upbound::adapt(doc, &object).map(|s| (ProviderFamily::Upbound, s))
        }
        _ => None,
    };
    match adapted {
        Some((family, subjects)) => {
            let observed = management::observed(doc, family);
            let subjects = if observed.is_some() {
                subjects.into_iter().filter_map(unstated).collect()
            } else {
                subjects
            };
            Adapted::Checked {
                notes: observed
                    .into_iter()
                    .chain(
                        checked_kind(&object)
                            .and_then(|k| management::unregistered_version(&object, k)),
                    )
                    .chain(
                        shape::type_errors(doc, family)
                            .into_iter()
                            .map(|(pointer, message)| ObjectNote::TypeError { pointer, message }),
                    )
                    .collect(),
                object,
                family,
                subjects,
            }
        }
        None if object.group() == "services.k8s.aws" && object.kind == "AdoptedResource" => {
            Adapted::Skipped {
                reason: "an ACK AdoptedResource imports an existing AWS resource: it writes nothing to AWS, and the object it makes is read as adopted (observed, not enforced)".into(),
                object: Some(object),
            }
        }
        None => Adapted::Skipped {
            reason: format!(
                "{} ({}) is not a kind Perimeter Guard checks",
                object.kind, object.api_version
            ),
            object: Some(object),
        },
    }
}

/// A fact of an observed object with what it omits read as unknown: the provider fills the spec
/// from AWS, so an omitted policy is not a deletion or AWS's default, nor an omitted Block Public
/// Access setting false.
fn unstated(subject: Subject) -> Option<Subject> {
    Some(match subject {
        Subject::BucketPolicy(BucketPolicy {
            change: BucketPolicyChange::Delete { .. },
            ..
        }) => return None,
        Subject::Endpoint(mut e) => {
            if let EndpointPolicy::AwsDefault { pointer } = &e.policy {
                e.policy = EndpointPolicy::NotStated {
                    pointer: pointer.clone(),
                };
            }
            Subject::Endpoint(e)
        }
        Subject::PublicAccessBlock(mut p) => {
            p.settings.retain(|s| s.value.is_some());
            Subject::PublicAccessBlock(p)
        }
        other => other,
    })
}

fn object_ref(doc: &Value) -> Option<ObjectRef> {
    let api_version = doc.get("apiVersion")?.as_str()?.to_owned();
    let kind = doc.get("kind")?.as_str()?.to_owned();
    let meta = doc.get("metadata")?;
    let mut object = ObjectRef {
        api_version,
        kind,
        namespace: meta
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_owned),
        name: object_name(meta)?,
    };
    // The API server drops `metadata.namespace` from an object of a cluster-scoped kind (Helm
    // charts often set it on every template), so the webhook never sees it: neither may
    // `check`, or a namespace exclusion would skip there what the webhook denies.
    // An object of a namespaced kind written without a namespace lands in the request's
    // namespace, `default` for `kubectl apply` without `-n`: there namespace exclusions apply.
    match checked_kind(&object) {
        Some(k) if !k.namespaced => object.namespace = None,
        Some(_) if object.namespace.as_deref().is_none_or(str::is_empty) => {
            object.namespace = Some("default".into());
        }
        _ => {}
    }
    Some(object)
}

/// The checked kind of the object, whatever its version.
fn checked_kind(object: &ObjectRef) -> Option<&'static CheckedKind> {
    let group = object.group();
    ack::KINDS
        .iter()
        .chain(crossplane::KINDS)
        .chain(upbound::KINDS)
        .find(|k| k.group == group && k.kind == object.kind)
}

/// The object's name; for one created with `metadata.generateName` only, that prefix: the API
/// server appends a random suffix when it stores the object (Kubernetes API Conventions,
/// "Idempotency"), and what is stored is checked all the same.
fn object_name(meta: &Value) -> Option<String> {
    let name = meta.get("name").and_then(Value::as_str);
    let prefix = meta
        .get("generateName")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty());
    match (name, prefix) {
        (Some(n), _) if !n.is_empty() => Some(n.to_owned()),
        (_, Some(p)) => Some(p.to_owned()),
        (n, None) => n.map(str::to_owned),
    }
}

/// A kind Perimeter Guard checks: its API group, kind, the versions it reads, and whether its
/// objects live in namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CheckedKind {
    pub group: &'static str,
    pub kind: &'static str,
    pub versions: &'static [&'static str],
    pub namespaced: bool,
}

impl CheckedKind {
    pub const fn new(
        group: &'static str,
        kind: &'static str,
        versions: &'static [&'static str],
        namespaced: bool,
    ) -> Self {
        CheckedKind {
            group,
            kind,
            versions,
            namespaced,
        }
    }
}

/// Every kind Perimeter Guard checks (the webhook registers exactly these).
pub fn checked_kinds() -> Vec<CheckedKind> {
    let mut out = Vec::new();
    out.extend_from_slice(ack::KINDS);
    out.extend_from_slice(crossplane::KINDS);
    out.extend_from_slice(upbound::KINDS);
    out
}

#[cfg(test)]
mod tests;
