use serde_json::{Value, json};

use super::*;

fn checked(doc: Value) -> (ProviderFamily, Vec<Subject>) {
    match adapt(&doc) {
        Adapted::Checked {
            family, subjects, ..
        } => (family, subjects),
        other => panic!("expected a checked object, got {other:?}"),
    }
}

fn endpoint(subjects: &[Subject]) -> &Endpoint {
    match subjects {
        [Subject::Endpoint(e)] => e.as_ref(),
        other => panic!("{other:?}"),
    }
}

fn set(value: &str, pointer: &str) -> Field<String> {
    Field::Set {
        value: value.into(),
        pointer: pointer.into(),
    }
}

#[test]
fn ack_vpc_endpoint_fields_and_references() {
    let (family, s) = checked(json!({
        "apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "e", "namespace": "team", "annotations": {"services.k8s.aws/region": "eu-west-1"}},
        "spec": {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Interface",
                 "vpcRef": {"from": {"name": "vpc"}}, "subnetIDs": ["subnet-1", "subnet-2"],
                 "securityGroupRefs": [{"from": {"name": "sg"}}], "privateDNSEnabled": true,
                 "policyDocument": "{\"Statement\":[]}"}
    }));
    assert_eq!(family, ProviderFamily::Ack);
    let e = endpoint(&s);
    assert_eq!(
        e.policy,
        EndpointPolicy::Given(PolicySource::Text {
            text: "{\"Statement\":[]}".into(),
            pointer: "/spec/policyDocument".into()
        })
    );
    assert_eq!(
        e.service_name,
        set("com.amazonaws.eu-west-1.s3", "/spec/serviceName")
    );
    assert_eq!(
        e.vpc,
        Field::Unresolved {
            pointer: "/spec/vpcRef".into()
        }
    );
    assert_eq!(
        e.subnets,
        vec![
            set("subnet-1", "/spec/subnetIDs/0"),
            set("subnet-2", "/spec/subnetIDs/1")
        ]
    );
    assert_eq!(
        e.security_groups,
        vec![Field::Unresolved {
            pointer: "/spec/securityGroupRefs/0".into()
        }]
    );
    assert_eq!(
        e.private_dns,
        Field::Set {
            value: true,
            pointer: "/spec/privateDNSEnabled".into()
        }
    );
    assert_eq!(
        e.region,
        set(
            "eu-west-1",
            "/metadata/annotations/services.k8s.aws~1region"
        )
    );
    assert_eq!(e.endpoint_type, set("Interface", "/spec/vpcEndpointType"));
}

#[test]
fn absent_endpoint_policy_is_the_aws_default() {
    for doc in [
        json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint", "metadata": {"name": "e"}, "spec": {}}),
        json!({"apiVersion": "ec2.aws.crossplane.io/v1alpha1", "kind": "VPCEndpoint", "metadata": {"name": "e"}, "spec": {"forProvider": {"policyDocument": ""}}}),
        json!({"apiVersion": "ec2.aws.upbound.io/v1beta2", "kind": "VPCEndpoint", "metadata": {"name": "e"}, "spec": {"forProvider": {"region": "us-east-1"}}}),
    ] {
        let (_, s) = checked(doc);
        assert!(matches!(
            endpoint(&s).policy,
            EndpointPolicy::AwsDefault { .. }
        ));
    }
}

#[test]
fn ack_bucket_policy_empty_means_delete_and_public_access_block() {
    let (_, s) = checked(
        json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": {"name": "b", "namespace": "n"},
        "spec": {"name": "real-bucket", "policy": "", "publicAccessBlock": {"blockPublicPolicy": false}}}),
    );
    assert_eq!(
        s[0],
        Subject::BucketPolicy(BucketPolicy {
            bucket: set("real-bucket", "/spec/name"),
            change: BucketPolicyChange::Delete {
                pointer: "/spec/policy".into()
            }
        })
    );
    let Subject::PublicAccessBlock(p) = &s[1] else {
        panic!("{s:?}")
    };
    assert_eq!(
        p.settings[2],
        BlockSetting {
            name: "BlockPublicPolicy",
            pointer: "/spec/publicAccessBlock/blockPublicPolicy".into(),
            value: Some(false),
        }
    );
    // Omitted: S3 reads it as false; the pointer says where it would go.
    assert_eq!(
        p.settings[0],
        BlockSetting {
            name: "BlockPublicAcls",
            pointer: "/spec/publicAccessBlock/blockPublicACLs".into(),
            value: None,
        }
    );
}

#[test]
fn ack_endpoint_service_principals() {
    let (_, s) = checked(
        json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpointServiceConfiguration", "metadata": {"name": "x"},
        "spec": {"allowedPrincipals": ["arn:aws:iam::111122223333:root", "*"]}}),
    );
    assert_eq!(
        s,
        vec![Subject::EndpointServicePrincipals(
            EndpointServicePrincipals {
                principals: vec![
                    set(
                        "arn:aws:iam::111122223333:root",
                        "/spec/allowedPrincipals/0"
                    ),
                    set("*", "/spec/allowedPrincipals/1")
                ],
            }
        )]
    );
}

#[test]
fn crossplane_bucket_renders_its_structured_policy_and_names_the_bucket() {
    let (family, s) = checked(
        json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket",
        "metadata": {"name": "obj", "annotations": {"crossplane.io/external-name": "real-bucket"}},
        "spec": {"forProvider": {"locationConstraint": "us-east-1",
            "policy": {"version": "2012-10-17", "statements": [{"effect": "Allow", "principal": {"allowAnon": true}, "action": ["s3:GetObject"], "resource": ["arn:aws:s3:::real-bucket/*"]}]},
            "publicAccessBlockConfiguration": {"blockPublicPolicy": true}}}}),
    );
    assert_eq!(family, ProviderFamily::CrossplaneClassic);
    let Subject::BucketPolicy(bp) = &s[0] else {
        panic!("{s:?}")
    };
    assert_eq!(
        bp.bucket,
        set(
            "real-bucket",
            "/metadata/annotations/crossplane.io~1external-name"
        )
    );
    let BucketPolicyChange::Set(PolicySource::Structured {
        document,
        statement_pointers,
        ..
    }) = &bp.change
    else {
        panic!("{bp:?}")
    };
    assert_eq!(document["Statement"][0]["Principal"], json!("*"));
    assert_eq!(
        statement_pointers,
        &["/spec/forProvider/policy/statements/0"]
    );
    assert!(matches!(&s[1], Subject::PublicAccessBlock(_)));
    let (_, no_name) = checked(
        json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "obj"},
        "spec": {"forProvider": {"policy": {"statements": [{"effect": "Allow"}]}}}}),
    );
    let Subject::BucketPolicy(bp) = &no_name[0] else {
        panic!()
    };
    assert_eq!(bp.bucket, set("obj", "/metadata/name"));
}

#[test]
fn crossplane_bucket_policy_raw_wins_and_bucket_refs_are_unresolved() {
    let (_, s) = checked(
        json!({"apiVersion": "s3.aws.crossplane.io/v1alpha3", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-east-1", "bucketNameRef": {"name": "b"}, "rawPolicy": "{}",
            "policy": {"statements": [{"effect": "Allow"}]}}}}),
    );
    assert_eq!(
        s,
        vec![Subject::BucketPolicy(BucketPolicy {
            bucket: Field::Unresolved {
                pointer: "/spec/forProvider/bucketNameRef".into()
            },
            change: BucketPolicyChange::Set(PolicySource::Text {
                text: "{}".into(),
                pointer: "/spec/forProvider/rawPolicy".into()
            }),
        })]
    );
}

#[test]
fn crossplane_unrenderable_policy_is_a_fact_not_an_error() {
    let (_, s) = checked(
        json!({"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
        "spec": {"forProvider": {"policy": {"statements": [{"effect": "Allow", "condition": [{"operatorKey": "Bool", "conditions": [{"key": "aws:SecureTransport"}]}]}]}}}}),
    );
    let Subject::BucketPolicy(BucketPolicy {
        change: BucketPolicyChange::Set(PolicySource::Unrenderable(e)),
        ..
    }) = &s[0]
    else {
        panic!("{s:?}")
    };
    assert_eq!(
        e.pointer,
        "/spec/forProvider/policy/statements/0/condition/0/conditions/0"
    );
}

#[test]
fn crossplane_access_point_and_endpoint() {
    let (_, s) = checked(
        json!({"apiVersion": "s3control.aws.crossplane.io/v1alpha1", "kind": "AccessPoint", "metadata": {"name": "ap"},
        "spec": {"forProvider": {"accountID": "111122223333", "region": "us-east-1", "bucketName": "b",
            "policy": {"statements": [{"effect": "Allow"}]}, "vpcConfiguration": {"vpcID": "vpc-1"},
            "publicAccessBlockConfiguration": {"blockPublicACLs": true}}}}),
    );
    let Subject::AccessPointPolicy(ap) = &s[0] else {
        panic!("{s:?}")
    };
    assert_eq!(
        ap.vpc,
        set("vpc-1", "/spec/forProvider/vpcConfiguration/vpcID")
    );
    let Subject::PublicAccessBlock(p) = &s[1] else {
        panic!()
    };
    assert_eq!(
        (p.settings[0].pointer.as_str(), p.settings[0].value),
        (
            "/spec/forProvider/publicAccessBlockConfiguration/blockPublicACLs",
            Some(true)
        )
    );
    let (_, e) = checked(
        json!({"apiVersion": "ec2.aws.crossplane.io/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "e", "annotations": {"crossplane.io/external-name": "vpce-0123456789abcdef0"}},
        "spec": {"forProvider": {"region": "us-east-1", "serviceName": "com.amazonaws.us-east-1.s3", "vpcIdSelector": {"matchLabels": {"a": "b"}}, "subnetIdRefs": [{"name": "s1"}, {"name": "s2"}]}}}),
    );
    let e = endpoint(&e);
    assert_eq!(
        e.vpc,
        Field::Unresolved {
            pointer: "/spec/forProvider/vpcIdSelector".into()
        }
    );
    assert_eq!(e.subnets.len(), 2);
    assert_eq!(
        e.endpoint_id.value().map(String::as_str),
        Some("vpce-0123456789abcdef0")
    );
}

#[test]
fn upbound_for_provider_wins_init_provider_fills_in() {
    let (family, s) = checked(
        json!({"apiVersion": "ec2.aws.m.upbound.io/v1beta1", "kind": "VPCEndpoint", "metadata": {"name": "e", "namespace": "n"},
        "spec": {"forProvider": {"region": "us-east-1", "serviceName": "com.amazonaws.us-east-1.s3", "vpcIdRef": {"name": "v"}},
                 "initProvider": {"policy": "{\"Statement\":[]}", "serviceName": "ignored", "privateDnsEnabled": false,
                                  "subnetConfiguration": [{"subnetIdSelector": {"matchLabels": {}}}, {"subnetId": "subnet-9"}]}}}),
    );
    assert_eq!(family, ProviderFamily::Upbound);
    let e = endpoint(&s);
    assert_eq!(
        e.policy,
        EndpointPolicy::Given(PolicySource::Text {
            text: "{\"Statement\":[]}".into(),
            pointer: "/spec/initProvider/policy".into()
        })
    );
    assert_eq!(
        e.service_name,
        set(
            "com.amazonaws.us-east-1.s3",
            "/spec/forProvider/serviceName"
        )
    );
    assert_eq!(
        e.vpc,
        Field::Unresolved {
            pointer: "/spec/forProvider/vpcIdRef".into()
        }
    );
    assert_eq!(
        e.private_dns,
        Field::Set {
            value: false,
            pointer: "/spec/initProvider/privateDnsEnabled".into()
        }
    );
    assert_eq!(
        e.subnets,
        vec![
            Field::Unresolved {
                pointer: "/spec/initProvider/subnetConfiguration/0/subnetIdSelector".into()
            },
            set(
                "subnet-9",
                "/spec/initProvider/subnetConfiguration/1/subnetId"
            )
        ]
    );
}

#[test]
fn upbound_policy_principal_association_and_access_block() {
    let (_, s) = checked(
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"forProvider": {"region": "us-east-1", "bucketRef": {"name": "b"}, "policy": "{}"}}}),
    );
    assert_eq!(
        s,
        vec![Subject::BucketPolicy(BucketPolicy {
            bucket: Field::Unresolved {
                pointer: "/spec/forProvider/bucketRef".into()
            },
            change: BucketPolicyChange::Set(PolicySource::Text {
                text: "{}".into(),
                pointer: "/spec/forProvider/policy".into()
            }),
        })]
    );
    let (_, observe_only) = checked(
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy", "metadata": {"name": "p"},
        "spec": {"managementPolicies": ["Observe"], "forProvider": {"region": "us-east-1"}}}),
    );
    assert!(observe_only.is_empty());
    let (_, s) = checked(
        json!({"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPCEndpointServiceAllowedPrincipal", "metadata": {"name": "p"},
        "spec": {"initProvider": {"principalArn": "*"}, "forProvider": {"region": "us-east-1"}}}),
    );
    assert_eq!(
        s,
        vec![Subject::EndpointServicePrincipals(
            EndpointServicePrincipals {
                principals: vec![set("*", "/spec/initProvider/principalArn")]
            }
        )]
    );
    let (_, s) = checked(
        json!({"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPCEndpointSecurityGroupAssociation", "metadata": {"name": "a"},
        "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointId": "vpce-1a2b3c4d", "securityGroupIdRef": {"name": "sg"}}}}),
    );
    assert_eq!(
        s,
        vec![Subject::EndpointAssociation(EndpointAssociation {
            kind: AssociationKind::SecurityGroup,
            endpoint: set("vpce-1a2b3c4d", "/spec/forProvider/vpcEndpointId"),
            target: Field::Unresolved {
                pointer: "/spec/forProvider/securityGroupIdRef".into()
            },
        })]
    );
    let (_, s) = checked(
        json!({"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketPublicAccessBlock", "metadata": {"name": "a", "namespace": "n"},
        "spec": {"forProvider": {"region": "us-east-1", "bucket": "b", "blockPublicPolicy": false, "restrictPublicBuckets": true}}}),
    );
    let Subject::PublicAccessBlock(p) = &s[0] else {
        panic!()
    };
    assert_eq!(p.bucket, set("b", "/spec/forProvider/bucket"));
    assert_eq!(
        (p.settings[2].pointer.as_str(), p.settings[2].value),
        ("/spec/forProvider/blockPublicPolicy", Some(false))
    );
    assert_eq!(
        (p.settings[0].pointer.as_str(), p.settings[0].value),
        ("/spec/forProvider/blockPublicAcls", None)
    );
}

/// An object created with `metadata.generateName` is stored under a generated name (Kubernetes
/// API Conventions, "Idempotency"): it is checked like a named one, reported under its prefix.
#[test]
fn objects_with_a_generated_name_are_checked() {
    let doc = |meta: Value| {
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy",
            "metadata": meta,
            "spec": {"forProvider": {"bucket": "b", "region": "us-east-1",
                "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}}})
    };
    match adapt(&doc(json!({"generateName": "public-"}))) {
        Adapted::Checked { object, .. } => assert_eq!(object.name, "public-"),
        other => panic!("{other:?}"),
    }
    match adapt(&doc(json!({"name": "given", "generateName": "public-"}))) {
        Adapted::Checked { object, .. } => assert_eq!(object.name, "given"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        adapt(&doc(json!({"labels": {"a": "b"}}))),
        Adapted::Skipped { object: None, .. }
    ));
}

#[test]
fn other_kinds_and_non_objects_are_skipped_with_a_reason() {
    for (doc, needle) in [
        (
            json!({"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPC", "metadata": {"name": "v"}}),
            "VPC (ec2.aws.upbound.io/v1beta1) is not a kind",
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            "ConfigMap (v1) is not a kind",
        ),
        (
            json!({"spec": {"forProvider": {}}}),
            "not a Kubernetes object",
        ),
        (json!("text"), "not a Kubernetes object"),
        (
            json!({"apiVersion": "services.k8s.aws/v1alpha1", "kind": "AdoptedResource", "metadata": {"name": "a", "namespace": "n"},
                "spec": {"aws": {"nameOrID": "my-bucket"}, "kubernetes": {"group": "s3.services.k8s.aws", "kind": "Bucket"}}}),
            "imports an existing AWS resource",
        ),
        (
            json!({"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint"}),
            "not a Kubernetes object",
        ),
    ] {
        match adapt(&doc) {
            Adapted::Skipped { reason, .. } => assert!(reason.contains(needle), "{reason}"),
            other => panic!("{doc}: {other:?}"),
        }
    }
}

#[test]
fn the_kind_list_is_complete_and_unique() {
    let kinds = checked_kinds();
    assert_eq!(kinds.len(), 48);
    for (i, a) in kinds.iter().enumerate() {
        for b in &kinds[i + 1..] {
            assert!(!(a.group == b.group && a.kind == b.kind), "{a:?} twice");
        }
    }
}

/// The namespace the API server gives an object: none for a cluster-scoped kind, whatever the
/// manifest says (Kubernetes API Concepts, "Object names and IDs": namespaced and cluster-scoped
/// resources); the request's namespace, `default` without `kubectl apply -n`, for a namespaced
/// kind written without one; the written one otherwise.
#[test]
fn objects_get_the_namespace_the_api_server_gives_them() {
    let namespace = |doc: Value| match adapt(&doc) {
        Adapted::Checked { object, .. } => object.namespace,
        other => panic!("{other:?}"),
    };
    let bucket = |metadata: Value| json!({"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket", "metadata": metadata, "spec": {"name": "b"}});
    assert_eq!(
        namespace(bucket(json!({"name": "b"}))).as_deref(),
        Some("default")
    );
    assert_eq!(
        namespace(bucket(json!({"name": "b", "namespace": "team"}))).as_deref(),
        Some("team")
    );
    let policy = json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy",
        "metadata": {"name": "p", "namespace": "team"}, "spec": {"forProvider": {"bucket": "b", "policy": "{}"}}});
    assert_eq!(namespace(policy), None);
}

/// VPC Lattice targets of Resource and ServiceNetwork endpoints, family by family: Upbound's
/// `resourceConfigurationArn` / `serviceNetworkArn` (forProvider, else initProvider, or a
/// reference), ACK's `serviceNetworkARN` (its CRD has no resource configuration field), and
/// nothing for Crossplane classic, whose CRD has neither.
#[test]
fn lattice_targets_by_family() {
    let rcfg =
        "arn:aws:vpc-lattice:us-east-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0";
    let sn = "arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/sn-0123456789abcdef0";
    for (api_version, namespace) in [
        ("ec2.aws.upbound.io/v1beta1", None),
        ("ec2.aws.upbound.io/v1beta2", None),
        ("ec2.aws.m.upbound.io/v1beta1", Some("team")),
    ] {
        let (family, s) = checked(json!({
            "apiVersion": api_version, "kind": "VPCEndpoint",
            "metadata": {"name": "e", "namespace": namespace},
            "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointType": "Resource",
                                     "resourceConfigurationArn": rcfg,
                                     "serviceNetworkArnRef": {"name": "sn"}},
                     "initProvider": {"serviceNetworkArn": sn}}
        }));
        assert_eq!(family, ProviderFamily::Upbound);
        let e = endpoint(&s);
        assert_eq!(
            e.resource_configuration,
            set(rcfg, "/spec/forProvider/resourceConfigurationArn"),
            "{api_version}"
        );
        // A value in initProvider is a value; forProvider's reference is not read over it.
        assert_eq!(
            e.service_network,
            set(sn, "/spec/initProvider/serviceNetworkArn"),
            "{api_version}"
        );
        let (_, s) = checked(json!({
            "apiVersion": api_version, "kind": "VPCEndpoint",
            "metadata": {"name": "e", "namespace": namespace},
            "spec": {"forProvider": {"region": "us-east-1",
                                     "resourceConfigurationArnSelector": {"matchLabels": {"a": "b"}}}}
        }));
        let e = endpoint(&s);
        assert_eq!(
            e.resource_configuration,
            Field::Unresolved {
                pointer: "/spec/forProvider/resourceConfigurationArnSelector".into()
            }
        );
        assert_eq!(e.service_network, Field::Absent);
    }
    let (family, s) = checked(json!({
        "apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "e", "namespace": "team"},
        "spec": {"vpcEndpointType": "ServiceNetwork", "vpcID": "vpc-1", "serviceNetworkARN": sn,
                 "resourceConfigurationARN": rcfg}
    }));
    assert_eq!(family, ProviderFamily::Ack);
    let e = endpoint(&s);
    assert_eq!(e.service_network, set(sn, "/spec/serviceNetworkARN"));
    // Not a field of the controller's CRD: the API server prunes it, AWS never sees it.
    assert_eq!(e.resource_configuration, Field::Absent);
    let (family, s) = checked(json!({
        "apiVersion": "ec2.aws.crossplane.io/v1alpha1", "kind": "VPCEndpoint",
        "metadata": {"name": "e"},
        "spec": {"forProvider": {"region": "us-east-1", "vpcEndpointType": "Resource",
                                 "resourceConfigurationArn": rcfg, "serviceNetworkArn": sn}}
    }));
    assert_eq!(family, ProviderFamily::CrossplaneClassic);
    let e = endpoint(&s);
    assert_eq!(
        (&e.resource_configuration, &e.service_network),
        (&Field::Absent, &Field::Absent)
    );
}

/// A controller resolving a target reference changes no fact; another target does.
#[test]
fn a_resolved_target_reference_is_the_same_fact() {
    let doc = |fp: Value| {
        json!({"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPCEndpoint",
            "metadata": {"name": "e"}, "spec": {"forProvider": fp}})
    };
    let sn = |account: &str| {
        format!("arn:aws:vpc-lattice:us-east-1:{account}:servicenetwork/sn-0123456789abcdef0")
    };
    let by_ref = checked(doc(
        json!({"region": "us-east-1", "serviceNetworkArnRef": {"name": "sn"}}),
    ))
    .1;
    let resolved = checked(doc(
        json!({"region": "us-east-1", "serviceNetworkArnRef": {"name": "sn"},
        "serviceNetworkArn": sn("111122223333")}),
    ))
    .1;
    let other = checked(doc(
        json!({"region": "us-east-1", "serviceNetworkArn": sn("444455556666")}),
    ))
    .1;
    assert!(facts::same_facts(&by_ref, &resolved));
    assert!(!facts::same_facts(&resolved, &other));
}

fn destinations(subjects: &[Subject]) -> Vec<(DestinationKind, Field<String>, Field<String>)> {
    subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Destination(d) => Some((d.kind, d.target.clone(), d.account.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn ack_bucket_destinations() {
    let (_, s) = checked(json!({
        "apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "team"},
        "spec": {"name": "b",
            "replication": {"role": "arn:aws:iam::111122223333:role/r", "rules": [
                {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::copy", "account": "444455556666"}}]},
            "logging": {"loggingEnabled": {"targetBucket": "logs", "targetPrefix": "b/"}},
            "notification": {"topicConfigurations": [{"topicARN": "arn:aws:sns:us-east-1:444455556666:t"}],
                             "queueConfigurations": [{"queueARN": "arn:aws:sqs:us-east-1:444455556666:q"}],
                             "lambdaFunctionConfigurations": [{"lambdaFunctionARN": "arn:aws:lambda:us-east-1:444455556666:function:f"}]},
            "inventory": [{"id": "i", "destination": {"s3BucketDestination": {"bucket": "arn:aws:s3:::inv", "accountID": "444455556666"}}}],
            "analytics": [{"id": "a", "storageClassAnalysis": {"dataExport": {"destination": {"s3BucketDestination": {"bucket": "arn:aws:s3:::ana", "bucketAccountID": "444455556666"}}}}}]}
    }));
    let owner = |p: &str| set("444455556666", p);
    assert_eq!(
        destinations(&s),
        vec![
            (
                DestinationKind::Replication,
                set(
                    "arn:aws:s3:::copy",
                    "/spec/replication/rules/0/destination/bucket"
                ),
                owner("/spec/replication/rules/0/destination/account")
            ),
            (
                DestinationKind::AccessLog,
                set("logs", "/spec/logging/loggingEnabled/targetBucket"),
                Field::Absent
            ),
            (
                DestinationKind::Topic,
                set(
                    "arn:aws:sns:us-east-1:444455556666:t",
                    "/spec/notification/topicConfigurations/0/topicARN"
                ),
                Field::Absent
            ),
            (
                DestinationKind::Queue,
                set(
                    "arn:aws:sqs:us-east-1:444455556666:q",
                    "/spec/notification/queueConfigurations/0/queueARN"
                ),
                Field::Absent
            ),
            (
                DestinationKind::Function,
                set(
                    "arn:aws:lambda:us-east-1:444455556666:function:f",
                    "/spec/notification/lambdaFunctionConfigurations/0/lambdaFunctionARN"
                ),
                Field::Absent
            ),
            (
                DestinationKind::Inventory,
                set(
                    "arn:aws:s3:::inv",
                    "/spec/inventory/0/destination/s3BucketDestination/bucket"
                ),
                owner("/spec/inventory/0/destination/s3BucketDestination/accountID")
            ),
            (
                DestinationKind::AnalyticsExport,
                set(
                    "arn:aws:s3:::ana",
                    "/spec/analytics/0/storageClassAnalysis/dataExport/destination/s3BucketDestination/bucket"
                ),
                owner(
                    "/spec/analytics/0/storageClassAnalysis/dataExport/destination/s3BucketDestination/bucketAccountID"
                )
            ),
        ]
    );
}

#[test]
fn classic_bucket_destinations_and_their_references() {
    let (_, s) = checked(json!({
        "apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
        "spec": {"forProvider": {"locationConstraint": "us-east-1",
            "replicationConfiguration": {"rules": [{"destination": {"bucketSelector": {"matchLabels": {"a": "b"}}, "account": "444455556666"}}]},
            "loggingConfiguration": {"targetBucket": "logs"},
            "notificationConfiguration": {"topicConfigurations": [{"topicRef": {"name": "t"}}],
                                          "queueConfigurations": [{"queueArn": "arn:aws:sqs:us-east-1:444455556666:q"}],
                                          "lambdaFunctionConfigurations": [{"lambdaFunctionArn": "arn:aws:lambda:us-east-1:444455556666:function:f"}]}}}
    }));
    let fp = |p: &str| format!("/spec/forProvider/{p}");
    assert_eq!(
        destinations(&s),
        vec![
            (
                DestinationKind::Replication,
                Field::Unresolved {
                    pointer: fp("replicationConfiguration/rules/0/destination/bucketSelector")
                },
                set(
                    "444455556666",
                    &fp("replicationConfiguration/rules/0/destination/account")
                )
            ),
            (
                DestinationKind::AccessLog,
                set("logs", &fp("loggingConfiguration/targetBucket")),
                Field::Absent
            ),
            (
                DestinationKind::Topic,
                Field::Unresolved {
                    pointer: fp("notificationConfiguration/topicConfigurations/0/topicRef")
                },
                Field::Absent
            ),
            (
                DestinationKind::Queue,
                set(
                    "arn:aws:sqs:us-east-1:444455556666:q",
                    &fp("notificationConfiguration/queueConfigurations/0/queueArn")
                ),
                Field::Absent
            ),
            (
                DestinationKind::Function,
                set(
                    "arn:aws:lambda:us-east-1:444455556666:function:f",
                    &fp(
                        "notificationConfiguration/lambdaFunctionConfigurations/0/lambdaFunctionArn"
                    )
                ),
                Field::Absent
            ),
        ]
    );
}

#[test]
fn upbound_destination_kinds_read_for_provider_then_init_provider() {
    let object = |api: &str, kind: &str, spec: Value| json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": "team"}, "spec": spec});
    // forProvider wins; initProvider only where forProvider says nothing.
    let (_, s) = checked(object(
        "s3.aws.upbound.io/v1beta2",
        "BucketReplicationConfiguration",
        json!({"forProvider": {"rule": [{"destination": {"bucket": "arn:aws:s3:::a"}}]},
               "initProvider": {"rule": [{"destination": {"bucket": "arn:aws:s3:::b"}}]}}),
    ));
    assert_eq!(
        destinations(&s),
        vec![(
            DestinationKind::Replication,
            set(
                "arn:aws:s3:::a",
                "/spec/forProvider/rule/0/destination/bucket"
            ),
            Field::Absent
        )]
    );
    let (_, s) = checked(object(
        "s3.aws.upbound.io/v1beta1",
        "BucketLogging",
        json!({"initProvider": {"targetBucket": "logs", "expectedBucketOwner": "111122223333"}}),
    ));
    assert_eq!(
        destinations(&s),
        vec![(
            DestinationKind::AccessLog,
            set("logs", "/spec/initProvider/targetBucket"),
            set("111122223333", "/spec/initProvider/expectedBucketOwner")
        )]
    );
    let (_, s) = checked(object(
        "s3.aws.m.upbound.io/v1beta1",
        "BucketNotification",
        json!({"forProvider": {"eventbridge": true,
            "topic": [{"topicArnRef": {"name": "t"}}],
            "queue": [{"queueArn": "arn:aws:sqs:us-east-1:444455556666:q"}],
            "lambdaFunction": [{"lambdaFunctionArn": "arn:aws:lambda:us-east-1:444455556666:function:f"}]}}),
    ));
    assert_eq!(
        destinations(&s)
            .iter()
            .map(|(k, t, _)| (*k, t.pointer().unwrap_or_default().to_owned()))
            .collect::<Vec<_>>(),
        vec![
            (
                DestinationKind::Topic,
                "/spec/forProvider/topic/0/topicArnRef".to_owned()
            ),
            (
                DestinationKind::Queue,
                "/spec/forProvider/queue/0/queueArn".to_owned()
            ),
            (
                DestinationKind::Function,
                "/spec/forProvider/lambdaFunction/0/lambdaFunctionArn".to_owned()
            ),
        ]
    );
    let (_, s) = checked(object(
        "s3.aws.upbound.io/v1beta1",
        "BucketInventory",
        json!({"forProvider": {"destination": [{"bucket": [{"bucketArn": "arn:aws:s3:::inv", "accountId": "444455556666"}]}]}}),
    ));
    assert_eq!(
        destinations(&s),
        vec![(
            DestinationKind::Inventory,
            set(
                "arn:aws:s3:::inv",
                "/spec/forProvider/destination/0/bucket/0/bucketArn"
            ),
            set(
                "444455556666",
                "/spec/forProvider/destination/0/bucket/0/accountId"
            )
        )]
    );
    let (_, s) = checked(object(
        "s3.aws.m.upbound.io/v1beta1",
        "BucketAnalyticsConfiguration",
        json!({"forProvider": {"storageClassAnalysis": {"dataExport": {"destination": {"s3BucketDestination": {"bucketArnSelector": {"matchLabels": {"a": "b"}}}}}}}}),
    ));
    assert_eq!(
        destinations(&s),
        vec![(
            DestinationKind::AnalyticsExport,
            Field::Unresolved {
                pointer: "/spec/forProvider/storageClassAnalysis/dataExport/destination/s3BucketDestination/bucketArnSelector".into()
            },
            Field::Absent
        )]
    );
}

/// YAML reads an unquoted account id as a number, which BucketLogging's schema refuses.
#[test]
fn an_unquoted_expected_bucket_owner_is_a_type_error() {
    let doc = json!({"apiVersion": "s3.aws.upbound.io/v1beta2", "kind": "BucketLogging",
        "metadata": {"name": "l"},
        "spec": {"forProvider": {"bucket": "b", "targetBucket": "logs", "expectedBucketOwner": 444455556666_u64}}});
    let Adapted::Checked { notes, .. } = adapt(&doc) else {
        panic!("not checked")
    };
    assert!(
        notes
            .iter()
            .any(|n| matches!(n, ObjectNote::TypeError { pointer, message }
            if pointer == "/spec/forProvider/expectedBucketOwner" && message.contains("quote it"))),
        "{notes:?}"
    );
}

mod access_points;
mod organization_policies;
