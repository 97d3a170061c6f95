//! S3 access points in the real upstream manifests, in every family and version: every document
//! of an access point kind (found by API group and kind, so new corpus files are taken in
//! stride) is adapted to the facts it states, and every version the providers' CRDs serve for a
//! registered kind is registered.

use std::collections::BTreeSet;

use perimeter_guard::resources::{
    AccessPointKind, AccessPointPolicy, Adapted, BlockSetting, BucketPolicy, BucketPolicyChange,
    Field, ObjectNote, PolicySource, Subject, adapt, checked_kinds,
};
use serde_json::Value;

use crate::common;

fn documents(file: &str) -> Vec<Value> {
    let path = common::corpus_root().join("manifests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    perimeter_guard::yaml::stream_to_json(&text).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn upstream(file: &str, kind: &str) -> Value {
    documents(file)
        .into_iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("{file} has no {kind}"))
}

fn checked(doc: &Value) -> (Vec<Subject>, Vec<ObjectNote>) {
    match adapt(doc) {
        Adapted::Checked {
            subjects, notes, ..
        } => (subjects, notes),
        other => panic!("not checked: {other:?}"),
    }
}

fn set(value: &str, pointer: &str) -> Field<String> {
    Field::Set {
        value: value.into(),
        pointer: pointer.into(),
    }
}

fn group(doc: &Value) -> &str {
    doc["apiVersion"]
        .as_str()
        .and_then(|a| a.split_once('/'))
        .map_or("", |(g, _)| g)
}

/// Whether any of `pointers` has a value in `doc`.
fn given(doc: &Value, pointers: &[&str]) -> bool {
    pointers
        .iter()
        .any(|p| doc.pointer(p).is_some_and(|v| !v.is_null()))
}

fn text_at(doc: &Value, pointers: &[&str]) -> bool {
    pointers.iter().any(|p| {
        doc.pointer(p)
            .and_then(Value::as_str)
            .is_some_and(|t| !t.trim().is_empty())
    })
}

/// (access point policies of each kind, Block Public Access configurations); an Object Lambda
/// Access Point's transformation functions are checked apart.
fn counts(subjects: &[Subject]) -> (Vec<AccessPointKind>, usize) {
    let mut kinds = Vec::new();
    let mut blocks = 0;
    for s in subjects {
        match s {
            Subject::AccessPointPolicy(p) => kinds.push(p.kind),
            Subject::PublicAccessBlock(_) => blocks += 1,
            Subject::Destination(d)
                if d.kind == perimeter_guard::resources::DestinationKind::TransformFunction => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    (kinds, blocks)
}

/// What each document of an access point kind states, from the document itself.
#[test]
fn every_corpus_access_point_document_states_its_facts() {
    let dir = common::corpus_root().join("manifests");
    let mut seen = BTreeSet::new();
    let mut documents_read = 0;
    for file in common::files_below(&dir, "yaml") {
        let file = file.to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(dir.join(&file)) else {
            continue;
        };
        let Ok(docs) = perimeter_guard::yaml::stream_to_json(&text) else {
            continue;
        };
        for (i, doc) in docs.iter().enumerate() {
            let kind = doc["kind"].as_str().unwrap_or_default();
            let upbound = group(doc) == "s3control.aws.upbound.io"
                || group(doc) == "s3control.aws.m.upbound.io";
            let fp = |p: &str| format!("/spec/forProvider{p}");
            let ip = |p: &str| format!("/spec/initProvider{p}");
            let at = format!("{file}[{i}] {kind}");
            let expected: Option<(Vec<AccessPointKind>, usize)> = match (group(doc), kind) {
                ("s3control.services.k8s.aws", "AccessPoint") => Some((
                    if text_at(doc, &["/spec/policy"]) {
                        vec![AccessPointKind::Regional]
                    } else {
                        vec![]
                    },
                    usize::from(given(doc, &["/spec/publicAccessBlockConfiguration"])),
                )),
                (_, "AccessPoint") if upbound => Some((
                    if text_at(doc, &[&fp("/policy"), &ip("/policy")]) {
                        vec![AccessPointKind::Regional]
                    } else {
                        vec![]
                    },
                    usize::from(given(
                        doc,
                        &[
                            &fp("/publicAccessBlockConfiguration"),
                            &ip("/publicAccessBlockConfiguration"),
                        ],
                    )),
                )),
                (_, "AccessPointPolicy") if upbound => {
                    let arn = doc
                        .pointer(&fp("/accessPointArn"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let kind = if arn.contains(":s3-object-lambda:") {
                        AccessPointKind::ObjectLambda
                    } else if arn.contains(":s3::") {
                        AccessPointKind::MultiRegion
                    } else {
                        AccessPointKind::Regional
                    };
                    Some((vec![kind], 0))
                }
                (_, "MultiRegionAccessPoint") if upbound => {
                    let details = doc.pointer(&fp("/details")).cloned().unwrap_or_default();
                    let details = details.get(0).unwrap_or(&details);
                    Some((
                        vec![],
                        usize::from(
                            details
                                .get("publicAccessBlock")
                                .is_some_and(|v| !v.is_null()),
                        ),
                    ))
                }
                (_, "MultiRegionAccessPointPolicy") if upbound => {
                    Some((vec![AccessPointKind::MultiRegion], 0))
                }
                (_, "ObjectLambdaAccessPointPolicy") if upbound => {
                    Some((vec![AccessPointKind::ObjectLambda], 0))
                }
                (_, "ObjectLambdaAccessPoint") if upbound => Some((vec![], 0)),
                ("s3.aws.upbound.io" | "s3.aws.m.upbound.io", "DirectoryBucket") => None,
                _ => continue,
            };
            documents_read += 1;
            seen.insert(format!(
                "{} {kind}",
                doc["apiVersion"].as_str().unwrap_or("")
            ));
            match expected {
                None => assert!(
                    matches!(adapt(doc), Adapted::Skipped { .. }),
                    "{at} is not a checked kind"
                ),
                Some(expected) => {
                    let (subjects, _) = checked(doc);
                    assert_eq!(counts(&subjects), expected, "{at}: {subjects:?}");
                    // An Object Lambda Access Point's facts are its transformation functions.
                    if kind == "ObjectLambdaAccessPoint" {
                        assert!(
                            subjects.iter().any(|s| matches!(s, Subject::Destination(d)
                                if d.kind == perimeter_guard::resources::DestinationKind::TransformFunction)),
                            "{at}: {subjects:?}"
                        );
                    }
                    for s in &subjects {
                        if let Subject::AccessPointPolicy(p) = s {
                            assert!(matches!(p.policy, PolicySource::Text { .. }), "{at}: {p:?}");
                            if p.kind == AccessPointKind::MultiRegion {
                                assert_eq!(p.region, Field::Absent, "{at}");
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(documents_read >= 30, "only {documents_read} documents");
    for wanted in [
        "s3control.services.k8s.aws/v1alpha1 AccessPoint",
        "s3control.aws.upbound.io/v1beta1 AccessPoint",
        "s3control.aws.upbound.io/v1beta2 AccessPoint",
        "s3control.aws.m.upbound.io/v1beta1 AccessPoint",
        "s3control.aws.upbound.io/v1beta1 AccessPointPolicy",
        "s3control.aws.m.upbound.io/v1beta1 AccessPointPolicy",
        "s3control.aws.upbound.io/v1beta1 MultiRegionAccessPoint",
        "s3control.aws.upbound.io/v1beta2 MultiRegionAccessPoint",
        "s3control.aws.m.upbound.io/v1beta1 MultiRegionAccessPoint",
        "s3control.aws.upbound.io/v1beta1 MultiRegionAccessPointPolicy",
        "s3control.aws.upbound.io/v1beta2 MultiRegionAccessPointPolicy",
        "s3control.aws.m.upbound.io/v1beta1 MultiRegionAccessPointPolicy",
        "s3control.aws.upbound.io/v1beta1 ObjectLambdaAccessPointPolicy",
        "s3control.aws.m.upbound.io/v1beta1 ObjectLambdaAccessPointPolicy",
    ] {
        assert!(seen.contains(wanted), "no {wanted} in the corpus: {seen:?}");
    }
}

#[test]
fn ack_access_point_with_policy() {
    let doc = upstream(
        "ack/s3control-e2e-accesspoint_with_policy.yaml",
        "AccessPoint",
    );
    let (subjects, notes) = checked(&doc);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        subjects[0],
        Subject::AccessPointPolicy(AccessPointPolicy {
            kind: AccessPointKind::Regional,
            name: set("$ACCESS_POINT_NAME", "/spec/name"),
            account: set("$ACCOUNT_ID", "/spec/accountID"),
            region: Field::Absent,
            bucket: set("$BUCKET_NAME", "/spec/bucket"),
            policy: PolicySource::Text {
                text: "$POLICY_DOCUMENT".into(),
                pointer: "/spec/policy".into()
            },
            vpc: Field::Absent,
            origin_elsewhere: false,
        })
    );
    let Subject::PublicAccessBlock(block) = &subjects[1] else {
        panic!("{subjects:?}")
    };
    let base = "/spec/publicAccessBlockConfiguration";
    // The upstream test sets only BlockPublicAcls; the three it omits are omitted (None).
    assert_eq!(
        block.settings,
        [
            ("BlockPublicAcls", "blockPublicACLs", Some(true)),
            ("IgnorePublicAcls", "ignorePublicACLs", None),
            ("BlockPublicPolicy", "blockPublicPolicy", None),
            ("RestrictPublicBuckets", "restrictPublicBuckets", None),
        ]
        .map(|(name, field, value)| BlockSetting {
            name,
            pointer: format!("{base}/{field}"),
            value
        })
    );
    assert_eq!(subjects.len(), 2);
    // Without a policy: no access point policy.
    let (subjects, _) = checked(&upstream(
        "ack/s3control-e2e-accesspoint.yaml",
        "AccessPoint",
    ));
    assert!(
        matches!(&subjects[..], [Subject::PublicAccessBlock(_)]),
        "{subjects:?}"
    );
}

/// The policy names its access point by selector: kind Regional, the rest unresolved. The
/// policy is an unrendered `${jsonencode(...)}` expression, passed on as text.
#[test]
fn upbound_cluster_v1beta1_access_point_policy_and_its_access_point() {
    let file = "upbound/s3control-cluster-v1beta1-accesspointpolicy.yaml";
    let (subjects, _) = checked(&upstream(file, "AccessPointPolicy"));
    let [Subject::AccessPointPolicy(p)] = &subjects[..] else {
        panic!("{subjects:?}")
    };
    let selector = Field::Unresolved {
        pointer: "/spec/forProvider/accessPointArnSelector".into(),
    };
    assert_eq!(p.kind, AccessPointKind::Regional);
    assert_eq!(
        (&p.name, &p.account, &p.region),
        (&selector, &selector, &selector)
    );
    assert_eq!((&p.bucket, &p.vpc), (&Field::Absent, &Field::Absent));
    let PolicySource::Text { text, pointer } = &p.policy else {
        panic!("{p:?}")
    };
    assert!(text.starts_with("${jsonencode({"), "{text}");
    assert_eq!(pointer, "/spec/forProvider/policy");
    // Its AccessPoint (v1beta1: the block is a one-element list) turns two settings off.
    let (subjects, notes) = checked(&upstream(file, "AccessPoint"));
    assert!(notes.is_empty(), "{notes:?}");
    let [Subject::PublicAccessBlock(block)] = &subjects[..] else {
        panic!("{subjects:?}")
    };
    assert_eq!(
        block.bucket,
        Field::Unresolved {
            pointer: "/spec/forProvider/bucketSelector".into()
        }
    );
    let base = "/spec/forProvider/publicAccessBlockConfiguration/0";
    assert_eq!(
        block
            .settings
            .iter()
            .map(|s| (s.pointer.clone(), s.value))
            .collect::<Vec<_>>(),
        [
            ("blockPublicAcls", true),
            ("ignorePublicAcls", true),
            ("blockPublicPolicy", false),
            ("restrictPublicBuckets", false)
        ]
        .map(|(f, v)| (format!("{base}/{f}"), Some(v)))
    );
}

/// The namespaced example's AccessPoint copies v1beta1's list where the namespaced schema wants
/// a mapping: the API server refuses it, and the type error says where.
#[test]
fn upbound_namespaced_access_point_with_a_list_shaped_block_is_a_type_error() {
    let doc = upstream(
        "upbound/s3control-namespaced-accesspointpolicy.yaml",
        "AccessPoint",
    );
    let (_, notes) = checked(&doc);
    assert!(
        notes
            .iter()
            .any(|n| matches!(n, ObjectNote::TypeError { pointer, .. }
            if pointer == "/spec/forProvider/publicAccessBlockConfiguration")),
        "{notes:?}"
    );
}

#[test]
fn upbound_namespaced_multi_region_access_point_policy() {
    let file = "upbound/s3control-namespaced-multiregionaccesspointpolicy.yaml";
    let doc = upstream(file, "MultiRegionAccessPointPolicy");
    let Adapted::Checked {
        object, subjects, ..
    } = adapt(&doc)
    else {
        panic!("not checked")
    };
    assert_eq!(object.namespace.as_deref(), Some("upbound-system"));
    let [Subject::AccessPointPolicy(p)] = &subjects[..] else {
        panic!("{subjects:?}")
    };
    assert_eq!(p.kind, AccessPointKind::MultiRegion);
    assert_eq!(p.name, set("example", "/spec/forProvider/details/name"));
    assert_eq!(
        (&p.account, &p.region, &p.bucket, &p.vpc),
        (
            &Field::Absent,
            &Field::Absent,
            &Field::Absent,
            &Field::Absent
        )
    );
    let PolicySource::Text { text, pointer } = &p.policy else {
        panic!("{p:?}")
    };
    assert!(text.contains("accesspoint/${aws_s3control_multi_region_access_point"));
    assert_eq!(pointer, "/spec/forProvider/details/policy");
    // Its MultiRegionAccessPoint leaves Block Public Access to AWS's default: nothing to read.
    let (subjects, _) = checked(&upstream(file, "MultiRegionAccessPoint"));
    assert!(subjects.is_empty(), "{subjects:?}");
}

/// ACK's directory bucket examples: only the policy (or its deletion) is a fact.
#[test]
fn ack_directory_buckets_are_read_for_their_policy_only() {
    let (subjects, _) = checked(&upstream("ack/s3-e2e-directory_bucket.yaml", "Bucket"));
    assert_eq!(
        subjects,
        [Subject::BucketPolicy(BucketPolicy {
            bucket: set("$BUCKET_NAME", "/spec/name"),
            change: BucketPolicyChange::Delete {
                pointer: "/spec/policy".into()
            },
        })]
    );
    let (subjects, _) = checked(&upstream(
        "ack/s3-e2e-directory_bucket_policy.yaml",
        "Bucket",
    ));
    let [Subject::BucketPolicy(p)] = &subjects[..] else {
        panic!("{subjects:?}")
    };
    let BucketPolicyChange::Set(PolicySource::Text { text, .. }) = &p.change else {
        panic!("{p:?}")
    };
    assert!(text.contains("s3express:CreateSession"), "{text}");
}

/// Every version a provider's CRD serves for a registered kind is registered, and no other; the
/// kinds without facts are not registered.
#[test]
fn corpus_crds_served_versions_are_registered() {
    let dir = common::corpus_root().join("crds");
    let kinds = checked_kinds();
    let mut compared = BTreeSet::new();
    for rel in common::files_below(&dir, "yaml") {
        let crd =
            perimeter_guard::yaml::to_json(&std::fs::read_to_string(dir.join(&rel)).expect("read"))
                .expect("YAML");
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
        let served: BTreeSet<&str> = crd["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["served"] == true)
            .filter_map(|v| v["name"].as_str())
            .collect();
        let Some(k) = kinds.iter().find(|k| k.group == group && k.kind == kind) else {
            continue;
        };
        let registered: BTreeSet<&str> = k.versions.iter().copied().collect();
        assert_eq!(registered, served, "{}", rel.display());
        assert_eq!(
            k.namespaced,
            crd["spec"]["scope"] == "Namespaced",
            "{}",
            rel.display()
        );
        compared.insert(format!("{group} {kind}"));
    }
    for wanted in [
        "s3control.services.k8s.aws AccessPoint",
        "s3control.aws.crossplane.io AccessPoint",
        "s3control.aws.upbound.io AccessPoint",
        "s3control.aws.upbound.io AccessPointPolicy",
        "s3control.aws.upbound.io MultiRegionAccessPoint",
        "s3control.aws.upbound.io MultiRegionAccessPointPolicy",
        "s3control.aws.upbound.io ObjectLambdaAccessPointPolicy",
        "s3control.aws.m.upbound.io AccessPoint",
        "s3control.aws.m.upbound.io AccessPointPolicy",
        "s3control.aws.m.upbound.io MultiRegionAccessPoint",
        "s3control.aws.m.upbound.io MultiRegionAccessPointPolicy",
        "s3control.aws.m.upbound.io ObjectLambdaAccessPointPolicy",
        "s3control.aws.upbound.io ObjectLambdaAccessPoint",
        "s3control.aws.m.upbound.io ObjectLambdaAccessPoint",
    ] {
        assert!(compared.contains(wanted), "no CRD for {wanted}");
    }
    assert!(
        !kinds.iter().any(|k| k.kind == "DirectoryBucket"),
        "a kind without facts is registered"
    );
}
