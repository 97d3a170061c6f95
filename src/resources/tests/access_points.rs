//! S3 access points in every family: regional, Multi-Region and Object Lambda, their policies
//! and their Block Public Access.

use serde_json::{Value, json};

use super::super::*;
use super::{checked, set};

fn unresolved(pointer: &str) -> Field<String> {
    Field::Unresolved {
        pointer: pointer.into(),
    }
}

fn text(text: &str, pointer: &str) -> PolicySource {
    PolicySource::Text {
        text: text.into(),
        pointer: pointer.into(),
    }
}

fn notes(doc: &Value) -> Vec<ObjectNote> {
    match adapt(doc) {
        Adapted::Checked { notes, .. } => notes,
        other => panic!("not checked: {other:?}"),
    }
}

/// (name, pointer, value) of each setting.
fn settings(s: &Subject) -> Vec<(&'static str, &str, Option<bool>)> {
    let Subject::PublicAccessBlock(p) = s else {
        panic!("{s:?}")
    };
    p.settings
        .iter()
        .map(|s| (s.name, s.pointer.as_str(), s.value))
        .collect()
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[test]
fn ack_access_point_fields() {
    let (family, s) = checked(json!({
        "apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
        "metadata": {"name": "ap", "namespace": "team", "annotations": {"services.k8s.aws/region": "eu-west-1"}},
        "spec": {"name": "reports", "accountID": "111122223333", "bucket": "b",
                 "policy": POLICY, "vpcConfiguration": {"vpcID": "vpc-1"},
                 "publicAccessBlockConfiguration": {"blockPublicACLs": true, "blockPublicPolicy": false}}
    }));
    assert_eq!(family, ProviderFamily::Ack);
    assert_eq!(
        s[0],
        Subject::AccessPointPolicy(AccessPointPolicy {
            kind: AccessPointKind::Regional,
            name: set("reports", "/spec/name"),
            account: set("111122223333", "/spec/accountID"),
            region: set(
                "eu-west-1",
                "/metadata/annotations/services.k8s.aws~1region"
            ),
            bucket: set("b", "/spec/bucket"),
            policy: text(POLICY, "/spec/policy"),
            vpc: set("vpc-1", "/spec/vpcConfiguration/vpcID"),
            origin_elsewhere: false,
        })
    );
    let base = "/spec/publicAccessBlockConfiguration";
    assert_eq!(
        settings(&s[1]),
        [
            (
                "BlockPublicAcls",
                &*format!("{base}/blockPublicACLs"),
                Some(true)
            ),
            (
                "IgnorePublicAcls",
                &*format!("{base}/ignorePublicACLs"),
                None
            ),
            (
                "BlockPublicPolicy",
                &*format!("{base}/blockPublicPolicy"),
                Some(false)
            ),
            (
                "RestrictPublicBuckets",
                &*format!("{base}/restrictPublicBuckets"),
                None
            ),
        ]
    );
    let Subject::PublicAccessBlock(p) = &s[1] else {
        panic!()
    };
    assert_eq!(p.bucket, set("b", "/spec/bucket"));
    assert_eq!(s.len(), 2);
}

/// ACK puts an access point policy only when `spec.policy` is given; without
/// `publicAccessBlockConfiguration` the access point has AWS's default, all four on.
#[test]
fn ack_access_point_without_policy_or_block_states_nothing() {
    for spec in [
        json!({"name": "ap", "bucket": "b"}),
        json!({"name": "ap", "bucket": "b", "policy": ""}),
        json!({"name": "ap", "bucket": "b", "policy": null, "publicAccessBlockConfiguration": null}),
    ] {
        let (_, s) = checked(json!({
            "apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
            "metadata": {"name": "ap", "namespace": "n"}, "spec": spec
        }));
        assert!(s.is_empty(), "{s:?}");
    }
}

#[test]
fn ack_access_point_observed_keeps_what_it_states() {
    let doc = json!({
        "apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
        "metadata": {"name": "ap", "namespace": "n", "annotations": {"services.k8s.aws/adoption-policy": "adopt"}},
        "spec": {"name": "ap", "policy": POLICY, "publicAccessBlockConfiguration": {"blockPublicPolicy": false}}
    });
    let (_, s) = checked(doc.clone());
    assert!(matches!(&s[0], Subject::AccessPointPolicy(_)), "{s:?}");
    // Omitted settings of an observed object are unknown, not false.
    assert_eq!(
        settings(&s[1]),
        [(
            "BlockPublicPolicy",
            "/spec/publicAccessBlockConfiguration/blockPublicPolicy",
            Some(false)
        )]
    );
    assert!(
        notes(&doc)
            .iter()
            .any(|n| matches!(n, ObjectNote::Observed { .. }))
    );
}

#[test]
fn ack_access_point_field_types() {
    let doc = json!({
        "apiVersion": "s3control.services.k8s.aws/v1alpha1", "kind": "AccessPoint",
        "metadata": {"name": "ap", "namespace": "n"},
        "spec": {"name": "ap", "accountID": 111122223333_u64, "vpcConfiguration": {"vpcID": 1},
                 "publicAccessBlockConfiguration": [{"blockPublicACLs": true}]}
    });
    let mut pointers: Vec<String> = notes(&doc)
        .into_iter()
        .filter_map(|n| match n {
            ObjectNote::TypeError { pointer, .. } => Some(pointer),
            _ => None,
        })
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/spec/accountID",
            "/spec/publicAccessBlockConfiguration",
            "/spec/vpcConfiguration/vpcID"
        ]
    );
}

/// A directory bucket has Block Public Access always on and ACLs always off, and none of a
/// general purpose bucket's destinations: only its policy is read.
#[test]
fn ack_directory_bucket_is_read_for_its_policy_only() {
    let (_, s) = checked(json!({
        "apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "n"},
        "spec": {"name": "logs--usw2-az1--x-s3", "policy": POLICY,
                 "createBucketConfiguration": {"bucket": {"type": "Directory", "dataRedundancy": "SingleAvailabilityZone"},
                                               "location": {"name": "usw2-az1", "type": "AvailabilityZone"}},
                 "publicAccessBlock": {"blockPublicPolicy": false}, "acl": "public-read",
                 "logging": {"loggingEnabled": {"targetBucket": "elsewhere"}}}
    }));
    assert_eq!(
        s,
        [Subject::BucketPolicy(BucketPolicy {
            bucket: set("logs--usw2-az1--x-s3", "/spec/name"),
            change: BucketPolicyChange::Set(text(POLICY, "/spec/policy")),
        })]
    );
    // By its name alone, and by its type alone.
    for spec in [
        json!({"name": "logs--usw2-az1--x-s3", "acl": "public-read"}),
        json!({"name": "$BUCKET_NAME", "acl": "public-read", "createBucketConfiguration": {"bucket": {"type": "Directory"}}}),
    ] {
        let (_, s) = checked(json!({
            "apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n"}, "spec": spec
        }));
        assert!(
            matches!(
                &s[..],
                [Subject::BucketPolicy(BucketPolicy {
                    change: BucketPolicyChange::Delete { .. },
                    ..
                })]
            ),
            "{s:?}"
        );
    }
    // A general purpose bucket keeps them.
    let (_, s) = checked(json!({
        "apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "n"},
        "spec": {"name": "logs", "acl": "public-read", "createBucketConfiguration": {"locationConstraint": "us-west-2"}}
    }));
    assert!(matches!(&s[1], Subject::BucketAcl(_)), "{s:?}");
}

fn upbound(api_version: &str, kind: &str, spec: Value) -> Value {
    let mut meta = json!({"name": "obj"});
    if api_version.contains(".m.") {
        meta["namespace"] = json!("team");
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec})
}

/// v1beta1 writes `vpcConfiguration` and `publicAccessBlockConfiguration` as one-element lists,
/// v1beta2 and the namespaced kind as mappings.
#[test]
fn upbound_access_point_in_every_version_and_scope() {
    for (api, block) in [
        ("s3control.aws.upbound.io/v1beta1", "/0"),
        ("s3control.aws.upbound.io/v1beta2", ""),
        ("s3control.aws.m.upbound.io/v1beta1", ""),
    ] {
        let wrap = |v: Value| if block.is_empty() { v } else { json!([v]) };
        let doc = upbound(
            api,
            "AccessPoint",
            json!({"forProvider": {"name": "reports", "accountId": "111122223333", "bucket": "b",
                "region": "us-west-1", "policy": POLICY, "vpcConfiguration": wrap(json!({"vpcId": "vpc-1"})),
                "publicAccessBlockConfiguration": wrap(json!({"blockPublicAcls": true, "blockPublicPolicy": false}))}}),
        );
        let (family, s) = checked(doc.clone());
        assert_eq!(family, ProviderFamily::Upbound);
        let fp = "/spec/forProvider";
        assert_eq!(
            s[0],
            Subject::AccessPointPolicy(AccessPointPolicy {
                kind: AccessPointKind::Regional,
                name: set("reports", &format!("{fp}/name")),
                account: set("111122223333", &format!("{fp}/accountId")),
                region: set("us-west-1", &format!("{fp}/region")),
                bucket: set("b", &format!("{fp}/bucket")),
                policy: text(POLICY, &format!("{fp}/policy")),
                vpc: set("vpc-1", &format!("{fp}/vpcConfiguration{block}/vpcId")),
                origin_elsewhere: false,
            }),
            "{api}"
        );
        let pab = format!("{fp}/publicAccessBlockConfiguration{block}");
        // Terraform defaults a setting omitted from the block to true.
        assert_eq!(
            settings(&s[1]),
            [
                (
                    "BlockPublicAcls",
                    &*format!("{pab}/blockPublicAcls"),
                    Some(true)
                ),
                (
                    "IgnorePublicAcls",
                    &*format!("{pab}/ignorePublicAcls"),
                    Some(true)
                ),
                (
                    "BlockPublicPolicy",
                    &*format!("{pab}/blockPublicPolicy"),
                    Some(false)
                ),
                (
                    "RestrictPublicBuckets",
                    &*format!("{pab}/restrictPublicBuckets"),
                    Some(true)
                ),
            ],
            "{api}"
        );
        assert!(
            !notes(&doc)
                .iter()
                .any(|n| matches!(n, ObjectNote::TypeError { .. })),
            "{api}: {:?}",
            notes(&doc)
        );
    }
}

#[test]
fn upbound_access_point_references_init_provider_and_defaults() {
    let (_, s) = checked(upbound(
        "s3control.aws.upbound.io/v1beta2",
        "AccessPoint",
        json!({"forProvider": {"name": "ap", "region": "us-west-1", "bucketSelector": {"matchLabels": {"a": "b"}},
                "vpcConfiguration": {"vpcIdRef": {"name": "vpc"}}},
               "initProvider": {"policy": POLICY, "publicAccessBlockConfiguration": {"restrictPublicBuckets": false}}}),
    ));
    let Subject::AccessPointPolicy(ap) = &s[0] else {
        panic!("{s:?}")
    };
    assert_eq!(ap.bucket, unresolved("/spec/forProvider/bucketSelector"));
    assert_eq!(
        ap.vpc,
        unresolved("/spec/forProvider/vpcConfiguration/vpcIdRef")
    );
    assert_eq!(ap.account, Field::Absent);
    assert_eq!(ap.policy, text(POLICY, "/spec/initProvider/policy"));
    assert_eq!(
        settings(&s[1])[3],
        (
            "RestrictPublicBuckets",
            "/spec/initProvider/publicAccessBlockConfiguration/restrictPublicBuckets",
            Some(false)
        )
    );
    // Without a policy or a block: AWS's defaults, nothing to read.
    for api in [
        "s3control.aws.upbound.io/v1beta1",
        "s3control.aws.m.upbound.io/v1beta1",
    ] {
        let (_, s) = checked(upbound(
            api,
            "AccessPoint",
            json!({"forProvider": {"name": "ap", "region": "us-west-1", "bucket": "b", "policy": ""}}),
        ));
        assert!(s.is_empty(), "{s:?}");
    }
    // Observe only: what it states is kept.
    let (_, s) = checked(upbound(
        "s3control.aws.upbound.io/v1beta2",
        "AccessPoint",
        json!({"managementPolicies": ["Observe"], "forProvider": {"name": "ap", "region": "us-west-1", "policy": POLICY}}),
    ));
    assert!(matches!(&s[..], [Subject::AccessPointPolicy(_)]), "{s:?}");
}

/// The cluster-scoped v1beta1 wants lists, the others mappings.
#[test]
fn upbound_access_point_block_shapes() {
    let list = json!([{"blockPublicAcls": true}]);
    let map = json!({"blockPublicAcls": true});
    for (api, value, wrong) in [
        ("s3control.aws.upbound.io/v1beta1", &map, true),
        ("s3control.aws.upbound.io/v1beta1", &list, false),
        ("s3control.aws.upbound.io/v1beta2", &list, true),
        ("s3control.aws.m.upbound.io/v1beta1", &list, true),
        ("s3control.aws.m.upbound.io/v1beta1", &map, false),
    ] {
        let doc = upbound(
            api,
            "AccessPoint",
            json!({"forProvider": {"name": "ap", "region": "us-west-1", "publicAccessBlockConfiguration": value}}),
        );
        let found = notes(&doc).iter().any(|n| {
            matches!(n, ObjectNote::TypeError { pointer, .. }
                if pointer == "/spec/forProvider/publicAccessBlockConfiguration")
        });
        assert_eq!(found, wrong, "{api} {value}");
    }
}

fn policy_of(s: &[Subject]) -> &AccessPointPolicy {
    match s {
        [Subject::AccessPointPolicy(p)] => p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn upbound_access_point_policy_reads_the_arn() {
    let fp = "/spec/forProvider";
    let arn_at = format!("{fp}/accessPointArn");
    for (api, arn, kind, region, account, name) in [
        (
            "s3control.aws.upbound.io/v1beta1",
            "arn:aws:s3:us-west-1:111122223333:accesspoint/reports",
            AccessPointKind::Regional,
            Some("us-west-1"),
            "111122223333",
            "reports",
        ),
        (
            "s3control.aws.m.upbound.io/v1beta1",
            "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap",
            AccessPointKind::MultiRegion,
            None,
            "111122223333",
            "mfzwi23gnjvgw.mrap",
        ),
        (
            "s3control.aws.upbound.io/v1beta1",
            "arn:aws-cn:s3-object-lambda:cn-north-1:111122223333:accesspoint/transform",
            AccessPointKind::ObjectLambda,
            Some("cn-north-1"),
            "111122223333",
            "transform",
        ),
    ] {
        let (_, s) = checked(upbound(
            api,
            "AccessPointPolicy",
            json!({"forProvider": {"region": "us-west-1", "accessPointArn": arn, "policy": POLICY}}),
        ));
        assert_eq!(
            *policy_of(&s),
            AccessPointPolicy {
                kind,
                name: set(name, &arn_at),
                account: set(account, &arn_at),
                region: region.map_or(Field::Absent, |r| set(r, &arn_at)),
                bucket: Field::Absent,
                policy: text(POLICY, &format!("{fp}/policy")),
                vpc: Field::Absent,
                origin_elsewhere: true,
            },
            "{arn}"
        );
    }
    for by in ["accessPointArnRef", "accessPointArnSelector"] {
        let (_, s) = checked(upbound(
            "s3control.aws.upbound.io/v1beta1",
            "AccessPointPolicy",
            json!({"forProvider": {"region": "us-west-1", by: {"name": "ap"}, "policy": POLICY}}),
        ));
        let p = policy_of(&s);
        let at = format!("{fp}/{by}");
        assert_eq!(p.kind, AccessPointKind::Regional);
        assert_eq!(
            (&p.name, &p.account, &p.region),
            (&unresolved(&at), &unresolved(&at), &unresolved(&at))
        );
    }
    // Not an access point ARN: nothing can be read from it.
    for arn in [
        "arn:aws:s3:::bucket",
        "arn:aws:s3:us-west-1:111122223333:accesspoint/ap/object/key",
        "${aws_s3_access_point.example.arn}",
    ] {
        let (_, s) = checked(upbound(
            "s3control.aws.upbound.io/v1beta1",
            "AccessPointPolicy",
            json!({"forProvider": {"region": "us-west-1", "accessPointArn": arn, "policy": POLICY}}),
        ));
        let p = policy_of(&s);
        assert_eq!(
            (&p.name, &p.account, &p.region),
            (&Field::Absent, &Field::Absent, &Field::Absent),
            "{arn}"
        );
    }
    // No policy (an observed object): nothing.
    let (_, s) = checked(upbound(
        "s3control.aws.upbound.io/v1beta1",
        "AccessPointPolicy",
        json!({"managementPolicies": ["Observe"], "forProvider": {"region": "us-west-1", "accessPointArn": "arn:aws:s3:us-west-1:111122223333:accesspoint/a"}}),
    ));
    assert!(s.is_empty());
}

#[test]
fn upbound_multi_region_access_point_block_in_every_version() {
    for (api, list) in [
        ("s3control.aws.upbound.io/v1beta1", true),
        ("s3control.aws.upbound.io/v1beta2", false),
        ("s3control.aws.m.upbound.io/v1beta1", false),
    ] {
        let wrap = |v: Value| if list { json!([v]) } else { v };
        let doc = upbound(
            api,
            "MultiRegionAccessPoint",
            json!({"forProvider": {"region": "us-west-1", "accountId": "111122223333", "details": wrap(json!({
                "name": "global", "publicAccessBlock": wrap(json!({"blockPublicPolicy": false})),
                "region": [{"bucket": "b1"}, {"bucketRef": {"name": "b2"}}]}))}}),
        );
        let (_, s) = checked(doc.clone());
        let i = if list { "/0" } else { "" };
        let pab = format!("/spec/forProvider/details{i}/publicAccessBlock{i}");
        assert_eq!(
            settings(&s[0]),
            [
                (
                    "BlockPublicAcls",
                    &*format!("{pab}/blockPublicAcls"),
                    Some(true)
                ),
                (
                    "IgnorePublicAcls",
                    &*format!("{pab}/ignorePublicAcls"),
                    Some(true)
                ),
                (
                    "BlockPublicPolicy",
                    &*format!("{pab}/blockPublicPolicy"),
                    Some(false)
                ),
                (
                    "RestrictPublicBuckets",
                    &*format!("{pab}/restrictPublicBuckets"),
                    Some(true)
                ),
            ],
            "{api}"
        );
        let Subject::PublicAccessBlock(p) = &s[0] else {
            panic!()
        };
        assert_eq!(p.bucket, Field::Absent);
        assert_eq!(s.len(), 1);
        assert!(
            !notes(&doc)
                .iter()
                .any(|n| matches!(n, ObjectNote::TypeError { .. })),
            "{api}: {:?}",
            notes(&doc)
        );
        // Without the block: AWS's default, all four on.
        let (_, s) = checked(upbound(
            api,
            "MultiRegionAccessPoint",
            json!({"forProvider": {"region": "us-west-1", "details": wrap(json!({"name": "global"}))}}),
        ));
        assert!(s.is_empty(), "{api}: {s:?}");
    }
}

#[test]
fn upbound_multi_region_access_point_policy_in_every_version() {
    for (api, i) in [
        ("s3control.aws.upbound.io/v1beta1", "/0"),
        ("s3control.aws.upbound.io/v1beta2", ""),
        ("s3control.aws.m.upbound.io/v1beta1", ""),
    ] {
        let details = json!({"name": "global", "policy": POLICY});
        let details = if i.is_empty() {
            details
        } else {
            json!([details])
        };
        let (_, s) = checked(upbound(
            api,
            "MultiRegionAccessPointPolicy",
            json!({"forProvider": {"region": "us-west-1", "accountId": "111122223333", "details": details}}),
        ));
        let d = format!("/spec/forProvider/details{i}");
        assert_eq!(
            *policy_of(&s),
            AccessPointPolicy {
                kind: AccessPointKind::MultiRegion,
                name: set("global", &format!("{d}/name")),
                account: set("111122223333", "/spec/forProvider/accountId"),
                region: Field::Absent,
                bucket: Field::Absent,
                policy: text(POLICY, &format!("{d}/policy")),
                vpc: Field::Absent,
                origin_elsewhere: false,
            },
            "{api}"
        );
    }
    let (_, s) = checked(upbound(
        "s3control.aws.upbound.io/v1beta2",
        "MultiRegionAccessPointPolicy",
        json!({"forProvider": {"region": "us-west-1", "details": {"name": "global"}},
               "initProvider": {"details": {"policy": POLICY}}}),
    ));
    assert_eq!(
        policy_of(&s).policy,
        text(POLICY, "/spec/initProvider/details/policy")
    );
}

#[test]
fn upbound_object_lambda_access_point_policy() {
    for api in [
        "s3control.aws.upbound.io/v1beta1",
        "s3control.aws.m.upbound.io/v1beta1",
    ] {
        let (_, s) = checked(upbound(
            api,
            "ObjectLambdaAccessPointPolicy",
            json!({"forProvider": {"region": "us-east-1", "accountId": "111122223333", "name": "transform", "policy": POLICY}}),
        ));
        let fp = "/spec/forProvider";
        assert_eq!(
            *policy_of(&s),
            AccessPointPolicy {
                kind: AccessPointKind::ObjectLambda,
                name: set("transform", &format!("{fp}/name")),
                account: set("111122223333", &format!("{fp}/accountId")),
                region: set("us-east-1", &format!("{fp}/region")),
                bucket: Field::Absent,
                policy: text(POLICY, &format!("{fp}/policy")),
                vpc: Field::Absent,
                origin_elsewhere: false,
            }
        );
        for by in ["nameRef", "nameSelector"] {
            let (_, s) = checked(upbound(
                api,
                "ObjectLambdaAccessPointPolicy",
                json!({"forProvider": {"region": "us-east-1", by: {"name": "olap"}, "policy": POLICY}}),
            ));
            assert_eq!(policy_of(&s).name, unresolved(&format!("{fp}/{by}")));
            assert_eq!(policy_of(&s).account, Field::Absent);
        }
    }
}

/// Kinds that carry no policy and no access settings are not registered.
#[test]
fn kinds_without_facts_are_not_checked() {
    for (api, kind) in [
        ("s3.aws.upbound.io/v1beta1", "DirectoryBucket"),
        ("s3.aws.m.upbound.io/v1beta1", "DirectoryBucket"),
    ] {
        let doc = upbound(api, kind, json!({"forProvider": {"region": "us-east-1"}}));
        assert!(
            matches!(adapt(&doc), Adapted::Skipped { .. }),
            "{api} {kind}"
        );
    }
}

/// provider-aws names the access point by its external name, which the managed reconciler sets
/// to metadata.name when the object does not give one.
#[test]
fn crossplane_access_point_name_account_and_region() {
    let doc = |annotations: Value| {
        json!({"apiVersion": "s3control.aws.crossplane.io/v1alpha1", "kind": "AccessPoint",
            "metadata": {"name": "ap", "annotations": annotations},
            "spec": {"forProvider": {"accountID": "111122223333", "region": "us-east-1",
                "bucketNameRef": {"name": "b"}, "policy": {"statements": [{"effect": "Allow"}]}}}})
    };
    let (_, s) = checked(doc(json!({})));
    let [Subject::AccessPointPolicy(p)] = &s[..] else {
        panic!("{s:?}")
    };
    assert_eq!(p.kind, AccessPointKind::Regional);
    assert_eq!(p.name, set("ap", "/metadata/name"));
    assert_eq!(
        p.account,
        set("111122223333", "/spec/forProvider/accountID")
    );
    assert_eq!(p.region, set("us-east-1", "/spec/forProvider/region"));
    assert_eq!(p.bucket, unresolved("/spec/forProvider/bucketNameRef"));
    assert_eq!(p.vpc, Field::Absent);
    let (_, s) = checked(doc(json!({"crossplane.io/external-name": "reports"})));
    let [Subject::AccessPointPolicy(p)] = &s[..] else {
        panic!("{s:?}")
    };
    assert_eq!(
        p.name,
        set(
            "reports",
            "/metadata/annotations/crossplane.io~1external-name"
        )
    );
}

/// An Object Lambda Access Point's transformation functions, written as one-element lists
/// (cluster v1beta1) or mappings (v1beta2, namespaced), each by ARN or by reference.
#[test]
fn object_lambda_access_point_transformation_functions() {
    let function = "arn:aws:lambda:us-east-1:210987654321:function:transform";
    let lists = upbound(
        "s3control.aws.upbound.io/v1beta1",
        "ObjectLambdaAccessPoint",
        json!({"forProvider": {"region": "us-east-1", "name": "transform", "configuration": [{
            "supportingAccessPoint": "arn:aws:s3:us-east-1:111122223333:accesspoint/reports",
            "transformationConfiguration": [{"actions": ["GetObject"], "contentTransformation": [{
                "awsLambda": [{"functionArn": function}]}]}]}]}}),
    );
    let (_, s) = checked(lists);
    let fp = "/spec/forProvider/configuration/0/transformationConfiguration/0/contentTransformation/0/awsLambda/0";
    assert_eq!(
        s,
        vec![Subject::Destination(Destination {
            kind: DestinationKind::TransformFunction,
            target: set(function, &format!("{fp}/functionArn")),
            account: Field::Absent,
            account_at: None,
        })]
    );
    let mappings = upbound(
        "s3control.aws.m.upbound.io/v1beta1",
        "ObjectLambdaAccessPoint",
        json!({"forProvider": {"region": "us-east-1", "name": "transform", "configuration": {
            "transformationConfiguration": [{"actions": ["GetObject"], "contentTransformation": {
                "awsLambda": {"functionArnRef": {"name": "transform"}}}}]}}}),
    );
    let (_, s) = checked(mappings);
    let fp = "/spec/forProvider/configuration/transformationConfiguration/0/contentTransformation/awsLambda";
    assert_eq!(
        s,
        vec![Subject::Destination(Destination {
            kind: DestinationKind::TransformFunction,
            target: Field::Unresolved {
                pointer: format!("{fp}/functionArnRef")
            },
            account: Field::Absent,
            account_at: None,
        })]
    );
}
