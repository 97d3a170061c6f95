//! AWS Controllers for Kubernetes (`*.services.k8s.aws`), all namespaced.
//!
//! ACK resolves references at reconcile time and never writes the resolved value back into the
//! spec, so a field given only as a reference stays unresolved for the webhook.

use serde_json::Value;

use super::acl;
use super::destinations::{self, Spec};
use super::fields::{at, boolean, string, strings};
use super::{
    AccessPointKind, AccessPointPolicy, BlockSetting, BucketAcl, BucketPolicy, BucketPolicyChange,
    CheckedKind, DestinationKind, Endpoint, EndpointPolicy, EndpointServicePrincipals, Field,
    ObjectRef, PolicySource, PublicAccessBlock, Subject,
};

/// (API group, kind, served versions, namespaced) of every ACK kind checked.
pub const KINDS: &[CheckedKind] = &[
    CheckedKind::new("ec2.services.k8s.aws", "VPCEndpoint", &["v1alpha1"], true),
    CheckedKind::new(
        "ec2.services.k8s.aws",
        "VPCEndpointServiceConfiguration",
        &["v1alpha1"],
        true,
    ),
    CheckedKind::new("s3.services.k8s.aws", "Bucket", &["v1alpha1"], true),
    CheckedKind::new(
        "s3control.services.k8s.aws",
        "AccessPoint",
        &["v1alpha1"],
        true,
    ),
];

pub fn adapt(doc: &Value, object: &ObjectRef) -> Option<Vec<Subject>> {
    match (object.group(), object.kind.as_str()) {
        ("ec2.services.k8s.aws", "VPCEndpoint") => {
            Some(vec![Subject::Endpoint(Box::new(endpoint(doc)))])
        }
        ("ec2.services.k8s.aws", "VPCEndpointServiceConfiguration") => {
            Some(vec![Subject::EndpointServicePrincipals(
                EndpointServicePrincipals {
                    principals: strings(doc, "/spec", "allowedPrincipals", &[]),
                },
            )])
        }
        ("s3.services.k8s.aws", "Bucket") => Some(bucket(doc)),
        ("s3control.services.k8s.aws", "AccessPoint") => Some(access_point(doc)),
        _ => None,
    }
}

fn endpoint(doc: &Value) -> Endpoint {
    let policy = match at(doc, "/spec/policyDocument") {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            EndpointPolicy::Given(PolicySource::Text {
                text: text.clone(),
                pointer: "/spec/policyDocument".into(),
            })
        }
        _ => EndpointPolicy::AwsDefault {
            pointer: "/spec/policyDocument".into(),
        },
    };
    Endpoint {
        policy,
        service_name: string(doc, "/spec", "serviceName", &["serviceRef"]),
        endpoint_type: string(doc, "/spec", "vpcEndpointType", &[]),
        vpc: string(doc, "/spec", "vpcID", &["vpcRef"]),
        subnets: strings(doc, "/spec", "subnetIDs", &["subnetRefs"]),
        security_groups: strings(doc, "/spec", "securityGroupIDs", &["securityGroupRefs"]),
        route_tables: strings(doc, "/spec", "routeTableIDs", &["routeTableRefs"]),
        private_dns: boolean(doc, "/spec/privateDNSEnabled"),
        service_region: string(doc, "/spec", "serviceRegion", &[]),
        region: region(doc),
        endpoint_id: adopted_endpoint_id(doc),
        // The controller's CRD has a service network field but none for a resource
        // configuration, and no reference for either.
        resource_configuration: Field::Absent,
        service_network: string(doc, "/spec", "serviceNetworkARN", &[]),
    }
}

/// The Region the controller writes the object to: the `services.k8s.aws/region` annotation;
/// without it, one the object does not show (its namespace's default, else the controller's).
fn region(doc: &Value) -> Field<String> {
    string(doc, "/metadata/annotations", "services.k8s.aws/region", &[])
}

/// `services.k8s.aws/adoption-fields: {"vpcEndpointID": "vpce-..."}` names an existing endpoint.
fn adopted_endpoint_id(doc: &Value) -> Field<String> {
    let pointer = "/metadata/annotations/services.k8s.aws~1adoption-fields";
    at(doc, pointer)
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|v| {
            v.get("vpcEndpointID")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .map_or(Field::Absent, |value| Field::Set {
            value,
            pointer: pointer.to_owned(),
        })
}

fn bucket(doc: &Value) -> Vec<Subject> {
    let name = string(doc, "/spec", "name", &[]);
    // An empty or absent spec.policy makes the controller delete the bucket policy on sync.
    let change = match at(doc, "/spec/policy") {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            BucketPolicyChange::Set(PolicySource::Text {
                text: text.clone(),
                pointer: "/spec/policy".into(),
            })
        }
        _ => BucketPolicyChange::Delete {
            pointer: "/spec/policy".into(),
        },
    };
    let mut subjects = vec![Subject::BucketPolicy(BucketPolicy {
        bucket: name.clone(),
        change,
    })];
    if directory_bucket(doc, &name) {
        return subjects;
    }
    let mut grants = acl::canned(doc, "/spec/acl");
    grants.extend(acl::headers(
        doc,
        "/spec",
        &[
            ("grantFullControl", "FULL_CONTROL"),
            ("grantRead", "READ"),
            ("grantReadACP", "READ_ACP"),
            ("grantWrite", "WRITE"),
            ("grantWriteACP", "WRITE_ACP"),
        ],
    ));
    if !grants.is_empty() {
        // `ownershipControls` is applied after creation and wins over CreateBucket's header.
        let ownership = match string(
            doc,
            "/spec/ownershipControls/rules/0",
            "objectOwnership",
            &[],
        ) {
            f @ Field::Set { .. } => f,
            _ => string(doc, "/spec", "objectOwnership", &[]),
        };
        subjects.push(Subject::BucketAcl(BucketAcl {
            bucket: name.clone(),
            grants,
            owner: None,
            ownership,
        }));
    }
    subjects.extend(
        DESTINATIONS
            .iter()
            .flat_map(|spec| destinations::read(doc, "/spec", spec))
            .map(Subject::Destination),
    );
    if at(doc, "/spec/publicAccessBlock").is_some() {
        let s = |name: &'static str, field: &str| {
            BlockSetting::read(doc, name, format!("/spec/publicAccessBlock/{field}"))
        };
        subjects.push(Subject::PublicAccessBlock(PublicAccessBlock {
            bucket: name,
            settings: vec![
                s("BlockPublicAcls", "blockPublicACLs"),
                s("IgnorePublicAcls", "ignorePublicACLs"),
                s("BlockPublicPolicy", "blockPublicPolicy"),
                s("RestrictPublicBuckets", "restrictPublicBuckets"),
            ],
            access_point: false,
        }));
    }
    subjects
}

/// A directory bucket (S3 Express One Zone): `createBucketConfiguration.bucket.type: Directory`,
/// or a name with the `--x-s3` suffix only directory bucket names have (Amazon S3 User Guide,
/// "Directory bucket naming rules"; general purpose bucket names may not end with it). Block
/// Public Access is always on for directory buckets and cannot be changed, ACLs are always off,
/// and the general purpose bucket's replication, server access logging, event notification,
/// inventory and analytics settings are not directory bucket features (Amazon S3 User Guide,
/// directory buckets): only its policy is read, which S3 applies to directory buckets too.
fn directory_bucket(doc: &Value, name: &Field<String>) -> bool {
    let typed = at(doc, "/spec/createBucketConfiguration/bucket/type")
        .and_then(Value::as_str)
        .is_some_and(|t| t == "Directory");
    typed || name.value().is_some_and(|n| n.ends_with("--x-s3"))
}

/// The s3control-controller's AccessPoint: `spec.policy` is the access point policy, which the
/// controller puts only when given (an absent or empty one is no policy);
/// `publicAccessBlockConfiguration` goes to CreateAccessPoint, where leaving it out gives the
/// access point AWS's default, all four settings on (Amazon S3 User Guide, "Managing public
/// access to access points"), so only a configuration given is a fact. The CRD has no references.
fn access_point(doc: &Value) -> Vec<Subject> {
    let bucket = string(doc, "/spec", "bucket", &[]);
    let mut out = Vec::new();
    if let Some(Value::String(text)) = at(doc, "/spec/policy")
        && !text.trim().is_empty()
    {
        out.push(Subject::AccessPointPolicy(AccessPointPolicy {
            kind: AccessPointKind::Regional,
            name: string(doc, "/spec", "name", &[]),
            account: string(doc, "/spec", "accountID", &[]),
            region: region(doc),
            bucket: bucket.clone(),
            policy: PolicySource::Text {
                text: text.clone(),
                pointer: "/spec/policy".into(),
            },
            vpc: string(doc, "/spec/vpcConfiguration", "vpcID", &[]),
            origin_elsewhere: false,
        }));
    }
    let base = "/spec/publicAccessBlockConfiguration";
    if at(doc, base).is_some() {
        let s = |name: &'static str, field: &str| {
            BlockSetting::read(doc, name, format!("{base}/{field}"))
        };
        out.push(Subject::PublicAccessBlock(PublicAccessBlock {
            bucket,
            settings: vec![
                s("BlockPublicAcls", "blockPublicACLs"),
                s("IgnorePublicAcls", "ignorePublicACLs"),
                s("BlockPublicPolicy", "blockPublicPolicy"),
                s("RestrictPublicBuckets", "restrictPublicBuckets"),
            ],
            access_point: true,
        }));
    }
    out
}

/// The Bucket's destinations, as the ACK s3-controller's CRD names them (the S3 API's shapes:
/// `ReplicationConfiguration`, `LoggingEnabled`, `NotificationConfiguration`,
/// `InventoryConfiguration`, `AnalyticsConfiguration`). ACK has no references here.
const DESTINATIONS: &[Spec<'static>] = &[
    Spec {
        kind: DestinationKind::Replication,
        blocks: &["replication", "rules", "destination"],
        target: "bucket",
        refs: &[],
        account: Some("account"),
    },
    Spec {
        kind: DestinationKind::AccessLog,
        blocks: &["logging", "loggingEnabled"],
        target: "targetBucket",
        refs: &[],
        account: None,
    },
    Spec {
        kind: DestinationKind::Topic,
        blocks: &["notification", "topicConfigurations"],
        target: "topicARN",
        refs: &[],
        account: None,
    },
    Spec {
        kind: DestinationKind::Queue,
        blocks: &["notification", "queueConfigurations"],
        target: "queueARN",
        refs: &[],
        account: None,
    },
    Spec {
        kind: DestinationKind::Function,
        blocks: &["notification", "lambdaFunctionConfigurations"],
        target: "lambdaFunctionARN",
        refs: &[],
        account: None,
    },
    Spec {
        kind: DestinationKind::Inventory,
        blocks: &["inventory", "destination", "s3BucketDestination"],
        target: "bucket",
        refs: &[],
        account: Some("accountID"),
    },
    Spec {
        kind: DestinationKind::AnalyticsExport,
        blocks: &[
            "analytics",
            "storageClassAnalysis",
            "dataExport",
            "destination",
            "s3BucketDestination",
        ],
        target: "bucket",
        refs: &[],
        account: Some("bucketAccountID"),
    },
];
