//! Crossplane classic provider-aws (`*.aws.crossplane.io`), all cluster-scoped.
//!
//! Crossplane resolves references after admission and persists the resolved value into
//! `spec.forProvider` with a later UPDATE; until then the field is unresolved.

use serde_json::Value;

use super::acl;
use super::destinations::{self, Spec};
use super::fields::{at, boolean, seg, string, strings};
use super::structured_policy::render;
use super::{
    AccessPointKind, AccessPointPolicy, BlockSetting, BucketAcl, BucketPolicy, BucketPolicyChange,
    CheckedKind, DestinationKind, Endpoint, EndpointPolicy, Field, ObjectRef, PolicySource,
    PublicAccessBlock, Subject,
};

pub const KINDS: &[CheckedKind] = &[
    CheckedKind::new("ec2.aws.crossplane.io", "VPCEndpoint", &["v1alpha1"], false),
    CheckedKind::new("s3.aws.crossplane.io", "Bucket", &["v1beta1"], false),
    CheckedKind::new("s3.aws.crossplane.io", "BucketPolicy", &["v1alpha3"], false),
    CheckedKind::new(
        "s3control.aws.crossplane.io",
        "AccessPoint",
        &["v1alpha1"],
        false,
    ),
];

const FP: &str = "/spec/forProvider";

pub fn adapt(doc: &Value, object: &ObjectRef) -> Option<Vec<Subject>> {
    match (object.group(), object.kind.as_str()) {
        ("ec2.aws.crossplane.io", "VPCEndpoint") => {
            Some(vec![Subject::Endpoint(Box::new(endpoint(doc)))])
        }
        ("s3.aws.crossplane.io", "Bucket") => Some(bucket(doc, object)),
        ("s3.aws.crossplane.io", "BucketPolicy") => Some(bucket_policy(doc).into_iter().collect()),
        ("s3control.aws.crossplane.io", "AccessPoint") => Some(access_point(doc)),
        _ => None,
    }
}

fn endpoint(doc: &Value) -> Endpoint {
    let pointer = format!("{FP}/policyDocument");
    let policy = match at(doc, &pointer) {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            EndpointPolicy::Given(PolicySource::Text {
                text: text.clone(),
                pointer,
            })
        }
        _ => EndpointPolicy::AwsDefault { pointer },
    };
    Endpoint {
        policy,
        service_name: string(doc, FP, "serviceName", &[]),
        endpoint_type: string(doc, FP, "vpcEndpointType", &[]),
        vpc: string(doc, FP, "vpcId", &["vpcIdRef", "vpcIdSelector"]),
        subnets: strings(doc, FP, "subnetIds", &["subnetIdRefs", "subnetIdSelector"]),
        security_groups: strings(
            doc,
            FP,
            "securityGroupIds",
            &["securityGroupIdRefs", "securityGroupIdSelector"],
        ),
        route_tables: strings(
            doc,
            FP,
            "routeTableIds",
            &["routeTableIdRefs", "routeTableIdSelector"],
        ),
        private_dns: boolean(doc, &format!("{FP}/privateDNSEnabled")),
        service_region: Field::Absent,
        region: string(doc, FP, "region", &[]),
        endpoint_id: external_name(doc).filter_prefix("vpce-"),
        // provider-aws's VPCEndpoint predates VPC Lattice: it has no field for either target.
        resource_configuration: Field::Absent,
        service_network: Field::Absent,
    }
}

fn external_name(doc: &Value) -> Field<String> {
    string(
        doc,
        "/metadata/annotations",
        "crossplane.io/external-name",
        &[],
    )
}

trait FilterPrefix {
    fn filter_prefix(self, prefix: &str) -> Self;
}

impl FilterPrefix for Field<String> {
    fn filter_prefix(self, prefix: &str) -> Self {
        match &self {
            Field::Set { value, .. } if value.starts_with(prefix) => self,
            _ => Field::Absent,
        }
    }
}

/// The AWS name of an object whose external name is its name (an access point): the
/// annotation, else metadata.name (the managed reconciler's rule).
fn external_name_or_name(doc: &Value) -> Field<String> {
    match external_name(doc) {
        Field::Set { value, pointer } if !value.is_empty() => Field::Set { value, pointer },
        _ => match at(doc, "/metadata/name") {
            Some(Value::String(n)) => Field::Set {
                value: n.clone(),
                pointer: "/metadata/name".into(),
            },
            _ => Field::Absent,
        },
    }
}

/// The bucket's name: its external name, else its metadata.name (the managed reconciler's rule).
fn bucket_name(doc: &Value, object: &ObjectRef) -> Field<String> {
    match external_name(doc) {
        Field::Set { value, pointer } if !value.is_empty() => Field::Set { value, pointer },
        _ => Field::Set {
            value: object.name.clone(),
            pointer: "/metadata/name".into(),
        },
    }
}

/// The structured policy at `pointer`; `resolves_principals`: whether the kind's controller
/// resolves principal references (provider-aws resolves them for BucketPolicy only,
/// `apis/s3/v1alpha3/referencers.go`; the Bucket's policy sends `""` to AWS).
fn structured(doc: &Value, pointer: &str, resolves_principals: bool) -> Option<PolicySource> {
    let policy = at(doc, pointer)?;
    Some(match render(policy, pointer) {
        Ok(r) => PolicySource::Structured {
            document: r.document,
            pointer: pointer.to_owned(),
            statement_pointers: r.statement_pointers,
            principal_references: if resolves_principals {
                r.principal_references
            } else {
                Vec::new()
            },
        },
        Err(e) => PolicySource::Unrenderable(e),
    })
}

fn public_access_block(
    doc: &Value,
    base: &str,
    bucket: Field<String>,
    acl_case: &str,
    access_point: bool,
) -> Option<Subject> {
    at(doc, base)?;
    let s = |name: &'static str, field: &str| {
        BlockSetting::read(doc, name, format!("{base}/{}", seg(field)))
    };
    Some(Subject::PublicAccessBlock(PublicAccessBlock {
        bucket,
        settings: vec![
            s("BlockPublicAcls", &format!("blockPublic{acl_case}")),
            s("IgnorePublicAcls", &format!("ignorePublic{acl_case}")),
            s("BlockPublicPolicy", "blockPublicPolicy"),
            s("RestrictPublicBuckets", "restrictPublicBuckets"),
        ],
        access_point,
    }))
}

fn bucket(doc: &Value, object: &ObjectRef) -> Vec<Subject> {
    let name = bucket_name(doc, object);
    let mut out = Vec::new();
    if let Some(policy) = structured(doc, &format!("{FP}/policy"), false) {
        out.push(Subject::BucketPolicy(BucketPolicy {
            bucket: name.clone(),
            change: BucketPolicyChange::Set(policy),
        }));
    }
    let mut grants = acl::canned(doc, &format!("{FP}/acl"));
    grants.extend(acl::headers(
        doc,
        FP,
        &[
            ("grantFullControl", "FULL_CONTROL"),
            ("grantRead", "READ"),
            ("grantReadAcp", "READ_ACP"),
            ("grantWrite", "WRITE"),
            ("grantWriteAcp", "WRITE_ACP"),
        ],
    ));
    if !grants.is_empty() {
        out.push(Subject::BucketAcl(BucketAcl {
            bucket: name.clone(),
            grants,
            owner: None,
            ownership: string(doc, FP, "objectOwnership", &[]),
        }));
    }
    out.extend(public_access_block(
        doc,
        &format!("{FP}/publicAccessBlockConfiguration"),
        name,
        "Acls",
        false,
    ));
    out.extend(
        DESTINATIONS
            .iter()
            .flat_map(|spec| destinations::read(doc, FP, spec))
            .map(Subject::Destination),
    );
    out
}

/// The Bucket's destinations (provider-aws `apis/s3/v1beta1`: `replicationConfiguration`,
/// `loggingConfiguration`, `notificationConfiguration`; it has no inventory or analytics).
const DESTINATIONS: &[Spec<'static>] = &[
    Spec {
        kind: DestinationKind::Replication,
        blocks: &["replicationConfiguration", "rules", "destination"],
        target: "bucket",
        refs: &["bucketRef", "bucketSelector"],
        account: Some("account"),
    },
    Spec {
        kind: DestinationKind::AccessLog,
        blocks: &["loggingConfiguration"],
        target: "targetBucket",
        refs: &["targetBucketRef", "targetBucketSelector"],
        account: None,
    },
    Spec {
        kind: DestinationKind::Topic,
        blocks: &["notificationConfiguration", "topicConfigurations"],
        target: "topicArn",
        refs: &["topicRef", "topicSelector"],
        account: None,
    },
    Spec {
        kind: DestinationKind::Queue,
        blocks: &["notificationConfiguration", "queueConfigurations"],
        target: "queueArn",
        refs: &["queueArnRef", "queueArnSelector"],
        account: None,
    },
    Spec {
        kind: DestinationKind::Function,
        blocks: &["notificationConfiguration", "lambdaFunctionConfigurations"],
        target: "lambdaFunctionArn",
        refs: &[],
        account: None,
    },
];

/// `rawPolicy` wins over the structured `policy` (provider-aws `formatBucketPolicy`).
fn bucket_policy(doc: &Value) -> Option<Subject> {
    let bucket = string(
        doc,
        FP,
        "bucketName",
        &["bucketNameRef", "bucketNameSelector"],
    );
    let raw = format!("{FP}/rawPolicy");
    let source = match at(doc, &raw) {
        Some(Value::String(text)) if !text.is_empty() => PolicySource::Text {
            text: text.clone(),
            pointer: raw,
        },
        _ => structured(doc, &format!("{FP}/policy"), true)?,
    };
    Some(Subject::BucketPolicy(BucketPolicy {
        bucket,
        change: BucketPolicyChange::Set(source),
    }))
}

fn access_point(doc: &Value) -> Vec<Subject> {
    let bucket = string(
        doc,
        FP,
        "bucketName",
        &["bucketNameRef", "bucketNameSelector"],
    );
    let mut out = Vec::new();
    if let Some(policy) = structured(doc, &format!("{FP}/policy"), false) {
        out.push(Subject::AccessPointPolicy(AccessPointPolicy {
            kind: AccessPointKind::Regional,
            name: external_name_or_name(doc),
            account: string(doc, FP, "accountID", &[]),
            region: string(doc, FP, "region", &[]),
            bucket: bucket.clone(),
            policy,
            vpc: string(doc, &format!("{FP}/vpcConfiguration"), "vpcID", &[]),
            origin_elsewhere: false,
        }));
    }
    out.extend(public_access_block(
        doc,
        &format!("{FP}/publicAccessBlockConfiguration"),
        bucket,
        "ACLs",
        true,
    ));
    out
}
