//! Upbound / crossplane-contrib provider-upjet-aws: cluster-scoped `*.aws.upbound.io` and
//! namespaced `*.aws.m.upbound.io` (Crossplane v2), generated from the same Terraform schema.
//!
//! Every settable field exists in `forProvider` and in `initProvider`; upjet merges them with
//! `forProvider` winning, and applies `initProvider` at creation, so a value is read from
//! `forProvider.X`, falling back to `initProvider.X`.

use serde_json::Value;

use super::acl;
use super::destinations::{self, Spec};
use super::fields::{at, boolean, seg, string};
use super::{
    AccessPointKind, AccessPointPolicy, AssociationKind, BlockSetting, BucketAcl, BucketPolicy,
    BucketPolicyChange, CheckedKind, DestinationKind, Endpoint, EndpointAssociation,
    EndpointPolicy, EndpointServicePrincipals, Field, ObjectRef, OrganizationPolicy,
    OrganizationPolicyType, PolicySource, PublicAccessBlock, Subject,
};

pub const KINDS: &[CheckedKind] = &[
    CheckedKind::new(
        "ec2.aws.upbound.io",
        "VPCEndpoint",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "ec2.aws.upbound.io",
        "VPCEndpointServiceAllowedPrincipal",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "ec2.aws.upbound.io",
        "VPCEndpointSubnetAssociation",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "ec2.aws.upbound.io",
        "VPCEndpointSecurityGroupAssociation",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "ec2.aws.upbound.io",
        "VPCEndpointRouteTableAssociation",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new("s3.aws.upbound.io", "BucketPolicy", &["v1beta1"], false),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketACL",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketPublicAccessBlock",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketReplicationConfiguration",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketLogging",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketNotification",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketInventory",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3.aws.upbound.io",
        "BucketAnalyticsConfiguration",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "AccessPoint",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "AccessPointPolicy",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "MultiRegionAccessPoint",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "MultiRegionAccessPointPolicy",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "ObjectLambdaAccessPointPolicy",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "s3control.aws.upbound.io",
        "ObjectLambdaAccessPoint",
        &["v1beta1", "v1beta2"],
        false,
    ),
    CheckedKind::new("ec2.aws.m.upbound.io", "VPCEndpoint", &["v1beta1"], true),
    CheckedKind::new(
        "ec2.aws.m.upbound.io",
        "VPCEndpointServiceAllowedPrincipal",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "ec2.aws.m.upbound.io",
        "VPCEndpointSubnetAssociation",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "ec2.aws.m.upbound.io",
        "VPCEndpointSecurityGroupAssociation",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "ec2.aws.m.upbound.io",
        "VPCEndpointRouteTableAssociation",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new("s3.aws.m.upbound.io", "BucketPolicy", &["v1beta1"], true),
    CheckedKind::new("s3.aws.m.upbound.io", "BucketACL", &["v1beta1"], true),
    CheckedKind::new(
        "s3.aws.m.upbound.io",
        "BucketPublicAccessBlock",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3.aws.m.upbound.io",
        "BucketReplicationConfiguration",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new("s3.aws.m.upbound.io", "BucketLogging", &["v1beta1"], true),
    CheckedKind::new(
        "s3.aws.m.upbound.io",
        "BucketNotification",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new("s3.aws.m.upbound.io", "BucketInventory", &["v1beta1"], true),
    CheckedKind::new(
        "s3.aws.m.upbound.io",
        "BucketAnalyticsConfiguration",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "AccessPoint",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "AccessPointPolicy",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "MultiRegionAccessPoint",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "MultiRegionAccessPointPolicy",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "ObjectLambdaAccessPointPolicy",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "s3control.aws.m.upbound.io",
        "ObjectLambdaAccessPoint",
        &["v1beta1"],
        true,
    ),
    CheckedKind::new(
        "organizations.aws.upbound.io",
        "Policy",
        &["v1beta1"],
        false,
    ),
    CheckedKind::new(
        "organizations.aws.m.upbound.io",
        "Policy",
        &["v1beta1"],
        true,
    ),
];

const FP: &str = "/spec/forProvider";
const IP: &str = "/spec/initProvider";

pub fn adapt(doc: &Value, object: &ObjectRef) -> Option<Vec<Subject>> {
    let group = object
        .group()
        .replace(".aws.m.upbound.io", ".aws.upbound.io");
    let subject = match (group.as_str(), object.kind.as_str()) {
        ("ec2.aws.upbound.io", "VPCEndpoint") => Subject::Endpoint(Box::new(endpoint(doc))),
        ("ec2.aws.upbound.io", "VPCEndpointServiceAllowedPrincipal") => {
            Subject::EndpointServicePrincipals(EndpointServicePrincipals {
                principals: vec![merged(doc, "principalArn", &[])],
            })
        }
        ("ec2.aws.upbound.io", "VPCEndpointSubnetAssociation") => {
            association(doc, AssociationKind::Subnet, "subnetId")
        }
        ("ec2.aws.upbound.io", "VPCEndpointSecurityGroupAssociation") => {
            association(doc, AssociationKind::SecurityGroup, "securityGroupId")
        }
        ("ec2.aws.upbound.io", "VPCEndpointRouteTableAssociation") => {
            association(doc, AssociationKind::RouteTable, "routeTableId")
        }
        // An Observe-only BucketPolicy may omit the policy: nothing is written to AWS.
        ("s3.aws.upbound.io", "BucketPolicy") => {
            return Some(bucket_policy(doc).into_iter().collect());
        }
        ("s3.aws.upbound.io", "BucketPublicAccessBlock") => public_access_block(doc),
        ("s3.aws.upbound.io", "BucketACL") => bucket_acl(doc),
        ("s3.aws.upbound.io", "BucketReplicationConfiguration") => {
            return Some(destinations(doc, REPLICATION));
        }
        ("s3.aws.upbound.io", "BucketLogging") => return Some(destinations(doc, LOGGING)),
        ("s3.aws.upbound.io", "BucketNotification") => {
            return Some(destinations(doc, NOTIFICATION));
        }
        ("s3.aws.upbound.io", "BucketInventory") => return Some(destinations(doc, INVENTORY)),
        ("s3.aws.upbound.io", "BucketAnalyticsConfiguration") => {
            return Some(destinations(doc, ANALYTICS));
        }
        ("s3control.aws.upbound.io", "AccessPoint") => return Some(access_point(doc)),
        ("s3control.aws.upbound.io", "AccessPointPolicy") => {
            return Some(access_point_policy(doc).into_iter().collect());
        }
        ("s3control.aws.upbound.io", "MultiRegionAccessPoint") => {
            return Some(multi_region_access_point(doc).into_iter().collect());
        }
        ("s3control.aws.upbound.io", "MultiRegionAccessPointPolicy") => {
            return Some(multi_region_access_point_policy(doc).into_iter().collect());
        }
        ("s3control.aws.upbound.io", "ObjectLambdaAccessPointPolicy") => {
            return Some(object_lambda_access_point_policy(doc).into_iter().collect());
        }
        ("s3control.aws.upbound.io", "ObjectLambdaAccessPoint") => {
            return Some(destinations(doc, OBJECT_LAMBDA));
        }
        ("organizations.aws.upbound.io", "Policy") => {
            Subject::OrganizationPolicy(organization_policy(doc)?)
        }
        _ => return None,
    };
    Some(vec![subject])
}

/// The Organizations policy's type: `forProvider.type`, else `initProvider.type`; omitted, an
/// SCP (Organizations API Reference, CreatePolicy: Type; the CRD:
/// "Defaults to SERVICE_CONTROL_POLICY"). `None`: another type.
fn organization_policy_type(doc: &Value) -> Option<OrganizationPolicyType> {
    match merged(doc, "type", &[]) {
        Field::Set { value, .. } => match value.as_str() {
            "RESOURCE_CONTROL_POLICY" => Some(OrganizationPolicyType::ResourceControl),
            "SERVICE_CONTROL_POLICY" => Some(OrganizationPolicyType::ServiceControl),
            _ => None,
        },
        _ => Some(OrganizationPolicyType::ServiceControl),
    }
}

fn organization_policy(doc: &Value) -> Option<OrganizationPolicy> {
    Some(OrganizationPolicy {
        policy_type: organization_policy_type(doc)?,
        content: merged(doc, "content", &[]),
    })
}

/// Whether the object is an Organizations `Policy`, cluster-scoped or namespaced.
pub fn is_organization_policy(object: &ObjectRef) -> bool {
    is_organization_policy_kind(object.group(), &object.kind)
}

/// [`is_organization_policy`] by API group and kind, as an admission review names them.
pub fn is_organization_policy_kind(group: &str, kind: &str) -> bool {
    kind == "Policy"
        && matches!(
            group,
            "organizations.aws.upbound.io" | "organizations.aws.m.upbound.io"
        )
}

/// Why an object of a checked kind is still not checked: an Organizations policy of a type that
/// is no perimeter guardrail (tag, backup, AI services opt-out, ... policies) grants and denies
/// no request.
pub fn not_a_guardrail(doc: &Value, object: &ObjectRef) -> Option<String> {
    if !is_organization_policy(object) {
        return None;
    }
    if organization_policy_type(doc).is_some() {
        return None;
    }
    let written = merged(doc, "type", &[]);
    let t = written.value().map_or("", String::as_str);
    Some(format!(
        "an Organizations policy of type {t}: only resource control policies and service control policies guard the perimeter"
    ))
}

/// `forProvider.X`, else `initProvider.X`; a reference or selector in either is unresolved.
fn merged(doc: &Value, name: &str, ref_suffixes: &[&str]) -> Field<String> {
    let refs: Vec<String> = ref_suffixes.iter().map(|s| format!("{name}{s}")).collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    for base in [FP, IP] {
        if let f @ Field::Set { .. } = string(doc, base, name, &[]) {
            return f;
        }
    }
    for base in [FP, IP] {
        if let f @ Field::Unresolved { .. } = string(doc, base, name, &refs) {
            return f;
        }
    }
    Field::Absent
}

fn merged_bool(doc: &Value, name: &str) -> Field<bool> {
    for base in [FP, IP] {
        if let f @ Field::Set { .. } = boolean(doc, &format!("{base}/{}", seg(name))) {
            return f;
        }
    }
    Field::Absent
}

const REFS: &[&str] = &["Ref", "Selector"];

fn endpoint(doc: &Value) -> Endpoint {
    let policy = match merged(doc, "policy", &[]) {
        Field::Set { value, pointer } if !value.trim().is_empty() => {
            EndpointPolicy::Given(PolicySource::Text {
                text: value,
                pointer,
            })
        }
        _ => EndpointPolicy::AwsDefault {
            pointer: format!("{FP}/policy"),
        },
    };
    // Subnets are in spec only as subnetConfiguration (subnet_ids moved to status); security
    // groups and route tables only through the association kinds.
    let mut subnets = Vec::new();
    for base in [FP, IP] {
        if let Some(Value::Array(items)) = at(doc, &format!("{base}/subnetConfiguration")) {
            for i in 0..items.len() {
                let item = format!("{base}/subnetConfiguration/{i}");
                match string(doc, &item, "subnetId", &["subnetIdRef", "subnetIdSelector"]) {
                    Field::Absent => {}
                    f => subnets.push(f),
                }
            }
            break;
        }
    }
    Endpoint {
        policy,
        service_name: merged(doc, "serviceName", REFS),
        endpoint_type: merged(doc, "vpcEndpointType", &[]),
        vpc: merged(doc, "vpcId", REFS),
        subnets,
        security_groups: Vec::new(),
        route_tables: Vec::new(),
        private_dns: merged_bool(doc, "privateDnsEnabled"),
        service_region: merged(doc, "serviceRegion", &[]),
        region: string(doc, FP, "region", &[]),
        endpoint_id: match string(
            doc,
            "/metadata/annotations",
            "crossplane.io/external-name",
            &[],
        ) {
            f @ Field::Set { .. } if f.value().is_some_and(|v| v.starts_with("vpce-")) => f,
            _ => Field::Absent,
        },
        resource_configuration: merged(doc, "resourceConfigurationArn", REFS),
        service_network: merged(doc, "serviceNetworkArn", REFS),
    }
}

fn association(doc: &Value, kind: AssociationKind, target: &str) -> Subject {
    Subject::EndpointAssociation(EndpointAssociation {
        kind,
        endpoint: merged(doc, "vpcEndpointId", REFS),
        target: merged(doc, target, REFS),
    })
}

fn bucket_policy(doc: &Value) -> Option<Subject> {
    let bucket = merged(doc, "bucket", REFS);
    match merged(doc, "policy", &[]) {
        Field::Set { value, pointer } => Some(Subject::BucketPolicy(BucketPolicy {
            bucket,
            change: BucketPolicyChange::Set(PolicySource::Text {
                text: value,
                pointer,
            }),
        })),
        _ => None,
    }
}

/// forProvider wins over initProvider, for the canned ACL and the access control policy alike.
fn bucket_acl(doc: &Value) -> Subject {
    let first = |name: &str| {
        [FP, IP]
            .iter()
            .map(|base| format!("{base}/{name}"))
            .find(|p| at(doc, p).is_some())
    };
    let mut grants = first("acl").map_or_else(Vec::new, |p| acl::canned(doc, &p));
    let (policy_grants, owner) = first("accessControlPolicy")
        .map_or((Vec::new(), None), |p| acl::access_control_policy(doc, &p));
    grants.extend(policy_grants);
    Subject::BucketAcl(BucketAcl {
        bucket: merged(doc, "bucket", REFS),
        grants,
        owner,
        ownership: Field::Absent,
    })
}

fn public_access_block(doc: &Value) -> Subject {
    // forProvider wins over initProvider; a setting in neither is omitted.
    let s = |name: &'static str, field: &str| {
        [FP, IP]
            .iter()
            .map(|base| BlockSetting::read(doc, name, format!("{base}/{}", seg(field))))
            .find(|s| s.value.is_some())
            .unwrap_or_else(|| BlockSetting {
                name,
                pointer: format!("{FP}/{}", seg(field)),
                value: None,
            })
    };
    Subject::PublicAccessBlock(PublicAccessBlock {
        bucket: merged(doc, "bucket", REFS),
        settings: vec![
            s("BlockPublicAcls", "blockPublicAcls"),
            s("IgnorePublicAcls", "ignorePublicAcls"),
            s("BlockPublicPolicy", "blockPublicPolicy"),
            s("RestrictPublicBuckets", "restrictPublicBuckets"),
        ],
        access_point: false,
    })
}

/// The policy text at `forProvider.X`, else `initProvider.X`; an empty one is no policy.
fn policy_text(doc: &Value, name: &str) -> Option<PolicySource> {
    match merged(doc, name, &[]) {
        Field::Set { value, pointer } if !value.trim().is_empty() => Some(PolicySource::Text {
            text: value,
            pointer,
        }),
        _ => None,
    }
}

/// The pointer of the block `name` below `base`: a mapping, or (v1beta1 cluster-scoped kinds) the
/// first mapping of a one-element list.
fn block_at(doc: &Value, base: &str, name: &str) -> Option<String> {
    destinations::each(doc, base, &[name]).into_iter().next()
}

/// The pointers of the block reached by `blocks` in `forProvider` and in `initProvider`, in that
/// order, where it is given.
fn blocks_in(doc: &Value, blocks: &[&str]) -> Vec<String> {
    [FP, IP]
        .iter()
        .filter_map(|base| {
            blocks
                .iter()
                .try_fold((*base).to_owned(), |at, b| block_at(doc, &at, b))
        })
        .collect()
}

/// `field` of the block reached by `blocks` (each a mapping or a one-element list), from
/// `forProvider`, else `initProvider`; its references or selector make it unresolved.
fn in_block(doc: &Value, blocks: &[&str], field: &str, ref_suffixes: &[&str]) -> Field<String> {
    let refs: Vec<String> = ref_suffixes.iter().map(|s| format!("{field}{s}")).collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let found = blocks_in(doc, blocks);
    for block in &found {
        if let f @ Field::Set { .. } = string(doc, block, field, &[]) {
            return f;
        }
    }
    for block in &found {
        if let f @ Field::Unresolved { .. } = string(doc, block, field, &refs) {
            return f;
        }
    }
    Field::Absent
}

/// The Block Public Access block reached by `blocks`, if given in `forProvider` or
/// `initProvider`. Terraform's `aws_s3_access_point` and `aws_s3control_multi_region_access_point`
/// default every setting of a given block to true ("Defaults to true", in the CRDs'
/// descriptions), so a setting omitted from it is written as true; without the block, AWS gives
/// the access point all four settings on (Amazon S3 User Guide, "Managing public access to access
/// points"), and there is no fact to read.
fn access_point_block(doc: &Value, blocks: &[&str], bucket: Field<String>) -> Option<Subject> {
    let found = blocks_in(doc, blocks);
    let first = found.first()?.clone();
    let s = |name: &'static str, field: &str| {
        found
            .iter()
            .map(|block| BlockSetting::read(doc, name, format!("{block}/{}", seg(field))))
            .find(|s| s.value.is_some())
            .unwrap_or_else(|| BlockSetting {
                name,
                pointer: format!("{first}/{}", seg(field)),
                value: Some(true),
            })
    };
    Some(Subject::PublicAccessBlock(PublicAccessBlock {
        bucket,
        settings: vec![
            s("BlockPublicAcls", "blockPublicAcls"),
            s("IgnorePublicAcls", "ignorePublicAcls"),
            s("BlockPublicPolicy", "blockPublicPolicy"),
            s("RestrictPublicBuckets", "restrictPublicBuckets"),
        ],
        access_point: true,
    }))
}

/// `aws_s3_access_point`: a regional access point, its policy when `policy` is given, its Block
/// Public Access when `publicAccessBlockConfiguration` is, and its VPC origin.
fn access_point(doc: &Value) -> Vec<Subject> {
    let bucket = merged(doc, "bucket", REFS);
    let mut out = Vec::new();
    if let Some(policy) = policy_text(doc, "policy") {
        out.push(Subject::AccessPointPolicy(AccessPointPolicy {
            kind: AccessPointKind::Regional,
            name: merged(doc, "name", &[]),
            account: merged(doc, "accountId", &[]),
            region: string(doc, FP, "region", &[]),
            bucket: bucket.clone(),
            policy,
            vpc: in_block(doc, &["vpcConfiguration"], "vpcId", REFS),
            origin_elsewhere: false,
        }));
    }
    out.extend(access_point_block(
        doc,
        &["publicAccessBlockConfiguration"],
        bucket,
    ));
    out
}

/// What an access point ARN says: `arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME` (regional),
/// `arn:PARTITION:s3::ACCOUNT:accesspoint/ALIAS` (Multi-Region: the alias, not the name) and
/// `arn:PARTITION:s3-object-lambda:REGION:ACCOUNT:accesspoint/NAME`.
fn access_point_arn(arn: &str) -> Option<(AccessPointKind, &str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = resource.strip_prefix("accesspoint/")?;
    if name.is_empty() || name.contains('/') || account.is_empty() {
        return None;
    }
    let kind = match (service, region.is_empty()) {
        ("s3", false) => AccessPointKind::Regional,
        ("s3", true) => AccessPointKind::MultiRegion,
        ("s3-object-lambda", false) => AccessPointKind::ObjectLambda,
        _ => return None,
    };
    Some((kind, region, account, name))
}

/// `aws_s3control_access_point_policy`: the access point is named by its ARN, which gives its
/// kind, Region, account and name. An ARN still to be resolved leaves them unresolved (read as a
/// regional access point); one that is not an access point ARN leaves them absent. The kind does
/// not name the bucket or the VPC origin.
fn access_point_policy(doc: &Value) -> Option<Subject> {
    let policy = policy_text(doc, "policy")?;
    let (kind, name, account, region) = match merged(doc, "accessPointArn", REFS) {
        Field::Set { value, pointer } => match access_point_arn(&value) {
            Some((kind, region, account, name)) => {
                let at = |v: &str| Field::Set {
                    value: v.to_owned(),
                    pointer: pointer.clone(),
                };
                let region = if region.is_empty() {
                    Field::Absent
                } else {
                    at(region)
                };
                (kind, at(name), at(account), region)
            }
            None => (
                AccessPointKind::Regional,
                Field::Absent,
                Field::Absent,
                Field::Absent,
            ),
        },
        Field::Unresolved { pointer } => {
            let unresolved = || Field::Unresolved {
                pointer: pointer.clone(),
            };
            (
                AccessPointKind::Regional,
                unresolved(),
                unresolved(),
                unresolved(),
            )
        }
        Field::Absent => (
            AccessPointKind::Regional,
            Field::Absent,
            Field::Absent,
            Field::Absent,
        ),
    };
    Some(Subject::AccessPointPolicy(AccessPointPolicy {
        kind,
        name,
        account,
        region,
        bucket: Field::Absent,
        policy,
        vpc: Field::Absent,
        origin_elsewhere: true,
    }))
}

/// `aws_s3control_multi_region_access_point`: no policy (MultiRegionAccessPointPolicy has it),
/// its Block Public Access in `details.publicAccessBlock`. Its buckets are several, so the
/// configuration names none.
fn multi_region_access_point(doc: &Value) -> Option<Subject> {
    access_point_block(doc, &["details", "publicAccessBlock"], Field::Absent)
}

/// `aws_s3control_multi_region_access_point_policy`: `details.name` and `details.policy`; a
/// Multi-Region Access Point has no Region of its own.
fn multi_region_access_point_policy(doc: &Value) -> Option<Subject> {
    let policy = match in_block(doc, &["details"], "policy", &[]) {
        Field::Set { value, pointer } if !value.trim().is_empty() => PolicySource::Text {
            text: value,
            pointer,
        },
        _ => return None,
    };
    Some(Subject::AccessPointPolicy(AccessPointPolicy {
        kind: AccessPointKind::MultiRegion,
        name: in_block(doc, &["details"], "name", &[]),
        account: merged(doc, "accountId", &[]),
        region: Field::Absent,
        bucket: Field::Absent,
        policy,
        vpc: Field::Absent,
        origin_elsewhere: false,
    }))
}

/// `aws_s3control_object_lambda_access_point_policy`: the Object Lambda Access Point by `name`
/// (or its reference), in `region`.
fn object_lambda_access_point_policy(doc: &Value) -> Option<Subject> {
    let policy = policy_text(doc, "policy")?;
    Some(Subject::AccessPointPolicy(AccessPointPolicy {
        kind: AccessPointKind::ObjectLambda,
        name: merged(doc, "name", REFS),
        account: merged(doc, "accountId", &[]),
        region: string(doc, FP, "region", &[]),
        bucket: Field::Absent,
        policy,
        vpc: Field::Absent,
        origin_elsewhere: false,
    }))
}

/// Each destination's block from `forProvider`, else from `initProvider` (upjet applies
/// `initProvider` at creation only where `forProvider` says nothing).
fn destinations(doc: &Value, specs: &[Spec<'_>]) -> Vec<Subject> {
    specs
        .iter()
        .flat_map(|spec| {
            let found = destinations::read(doc, FP, spec);
            if found.is_empty() {
                destinations::read(doc, IP, spec)
            } else {
                found
            }
        })
        .map(Subject::Destination)
        .collect()
}

/// Terraform's `aws_s3_bucket_replication_configuration`: `rule[].destination.bucket` is the
/// destination bucket's ARN, `account` its owner (required by S3 only with
/// `accessControlTranslation`).
/// `aws_s3control_object_lambda_access_point`: the Lambda function each transformation invokes
/// with the objects read through it (Amazon S3 User Guide, "Transforming objects with S3 Object
/// Lambda"). v1beta1 writes the blocks as one-element lists, v1beta2 and the namespaced kind as
/// mappings.
const OBJECT_LAMBDA: &[Spec<'static>] = &[Spec {
    kind: DestinationKind::TransformFunction,
    blocks: &[
        "configuration",
        "transformationConfiguration",
        "contentTransformation",
        "awsLambda",
    ],
    target: "functionArn",
    refs: &["functionArnRef", "functionArnSelector"],
    account: None,
}];

const REPLICATION: &[Spec<'static>] = &[Spec {
    kind: DestinationKind::Replication,
    blocks: &["rule", "destination"],
    target: "bucket",
    refs: &["bucketRef", "bucketSelector"],
    account: Some("account"),
}];

/// `aws_s3_bucket_logging`: `targetBucket` is a bucket name; `expectedBucketOwner` is the source
/// bucket's owner, and S3 delivers logs only to a bucket of that same account.
const LOGGING: &[Spec<'static>] = &[Spec {
    kind: DestinationKind::AccessLog,
    blocks: &[],
    target: "targetBucket",
    refs: &["targetBucketRef", "targetBucketSelector"],
    account: Some("expectedBucketOwner"),
}];

/// `aws_s3_bucket_notification`; `eventbridge: true` sends events to the default event bus of
/// the bucket owner's own account, so it is no destination elsewhere.
const NOTIFICATION: &[Spec<'static>] = &[
    Spec {
        kind: DestinationKind::Topic,
        blocks: &["topic"],
        target: "topicArn",
        refs: &["topicArnRef", "topicArnSelector"],
        account: None,
    },
    Spec {
        kind: DestinationKind::Queue,
        blocks: &["queue"],
        target: "queueArn",
        refs: &["queueArnRef", "queueArnSelector"],
        account: None,
    },
    Spec {
        kind: DestinationKind::Function,
        blocks: &["lambdaFunction"],
        target: "lambdaFunctionArn",
        refs: &[],
        account: None,
    },
];

/// `aws_s3_bucket_inventory`: `destination.bucket.bucketArn`, owned by `accountId`.
const INVENTORY: &[Spec<'static>] = &[Spec {
    kind: DestinationKind::Inventory,
    blocks: &["destination", "bucket"],
    target: "bucketArn",
    refs: &["bucketArnRef", "bucketArnSelector"],
    account: Some("accountId"),
}];

/// `aws_s3_bucket_analytics_configuration`: the export's `s3BucketDestination.bucketArn`, owned
/// by `bucketAccountId`.
const ANALYTICS: &[Spec<'static>] = &[Spec {
    kind: DestinationKind::AnalyticsExport,
    blocks: &[
        "storageClassAnalysis",
        "dataExport",
        "destination",
        "s3BucketDestination",
    ],
    target: "bucketArn",
    refs: &["bucketArnRef", "bucketArnSelector"],
    account: Some("bucketAccountId"),
}];
