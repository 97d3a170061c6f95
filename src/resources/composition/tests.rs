use serde_json::{Value, json};

use super::*;

fn yaml(text: &str) -> Value {
    crate::yaml::to_json_at(text, 1).expect("valid YAML")
}

#[test]
fn field_paths_become_json_pointers() {
    let cases = [
        ("spec.forProvider.policy", Some("/spec/forProvider/policy")),
        (
            "metadata.annotations[crossplane.io/external-name]",
            Some("/metadata/annotations/crossplane.io~1external-name"),
        ),
        (
            "spec.forProvider.distributionConfig.origins.items[0].domainName",
            Some("/spec/forProvider/distributionConfig/origins/items/0/domainName"),
        ),
        (
            "spec.forProvider.tags[\"Name\"]",
            Some("/spec/forProvider/tags/Name"),
        ),
        ("spec", Some("/spec")),
        ("", None),
        ("spec..policy", None),
        ("spec.tags[", None),
        ("spec.tags[]", None),
        (".spec", None),
    ];
    for (path, pointer) in cases {
        assert_eq!(field_path_pointer(path).as_deref(), pointer, "{path}");
    }
}

/// A resources-mode Composition: a patch set, a patch with no type (FromCompositeFieldPath), a
/// patch to the composite that writes nothing here, and a base without metadata.
const RESOURCES_MODE: &str = r#"
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata: {name: buckets}
spec:
  compositeTypeRef: {apiVersion: example.org/v1, kind: XBucket}
  patchSets:
    - name: region
      patches:
        - {type: FromCompositeFieldPath, fromFieldPath: spec.region, toFieldPath: spec.forProvider.region}
  resources:
    - name: policy
      base:
        apiVersion: s3.aws.upbound.io/v1beta1
        kind: BucketPolicy
        spec:
          forProvider:
            bucketSelector: {matchControllerRef: true}
            policy: to-be-patched
      patches:
        - {type: PatchSet, patchSetName: region}
        - fromFieldPath: spec.id
          toFieldPath: metadata.name
        - type: CombineFromComposite
          toFieldPath: spec.forProvider.policy
          combine:
            variables: [{fromFieldPath: status.roleArn}, {fromFieldPath: status.bucket}, {fromFieldPath: status.bucket}]
            strategy: string
            string: {fmt: "%s %s %s"}
        - {type: ToCompositeFieldPath, fromFieldPath: status.atProvider.id, toFieldPath: status.policyId}
"#;

#[test]
fn a_resources_mode_base_leaves_out_what_its_patches_write_and_says_which_are_read() {
    let doc = yaml(RESOURCES_MODE);
    assert!(unreadable(&doc).is_empty());
    let [base] = bases(&doc).try_into().expect("one base");
    assert_eq!(base.resource, "policy");
    assert_eq!(base.pointer, "/spec/resources/0/base");
    // The policy's placeholder is gone; a patched name is known only once composed, so the
    // object is named by its resource.
    assert_eq!(base.object.pointer("/spec/forProvider/policy"), None);
    assert_eq!(base.object["metadata"]["name"], "policy");
    let written: Vec<(&str, bool)> = base
        .patched
        .iter()
        .map(|p| (p.pointer.as_str(), p.read))
        .collect();
    assert_eq!(
        written,
        [
            ("/spec/forProvider/region", false),
            ("/metadata/name", false),
            ("/spec/forProvider/policy", true),
        ]
    );
    assert_eq!(
        base.patched[2].by,
        "patch 2, CombineFromComposite from the composite's status.roleArn, status.bucket"
    );
    assert_eq!(
        base.patched[0].by,
        "patch 0 (patch set \"region\", its patch 0), FromCompositeFieldPath from the composite's spec.region"
    );
}

#[test]
fn pipeline_steps_are_read_when_they_are_patch_and_transform_and_named_otherwise() {
    let doc = json!({
        "apiVersion": "apiextensions.crossplane.io/v1",
        "kind": "Composition",
        "metadata": {"name": "p"},
        "spec": {"mode": "Pipeline", "pipeline": [
            {"step": "env", "functionRef": {"name": "function-environment-configs"},
             "input": {"apiVersion": "environmentconfigs.fn.crossplane.io/v1beta1", "kind": "Input"}},
            {"step": "pt", "functionRef": {"name": "crossplane-contrib-function-patch-and-transform"},
             "input": {"apiVersion": "pt.fn.crossplane.io/v1beta1", "kind": "Resources",
                       "patchSets": [{"name": "r", "patches": [{"fromFieldPath": "spec.region", "toFieldPath": "spec.forProvider.region"}]}],
                       "resources": [
                           {"name": "pab", "base": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPublicAccessBlock",
                                                      "spec": {"forProvider": {"blockPublicPolicy": false}}},
                            "patches": [{"type": "PatchSet", "patchSetName": "r"}]},
                           {"name": "from-an-earlier-step", "patches": []}
                       ]}},
            {"step": "kcl", "functionRef": {"name": "function-kcl"},
             "input": {"apiVersion": "krm.kcl.dev/v1alpha1", "kind": "KCLInput"}},
            {"step": "ready", "functionRef": {"name": "function-auto-ready"}},
            {"step": "custom", "functionRef": {"name": "my-function"}}
        ]}
    });
    let bases = bases(&doc);
    assert_eq!(
        bases.len(),
        1,
        "a resource without a base is another step's"
    );
    assert_eq!(bases[0].pointer, "/spec/pipeline/1/input/resources/0/base");
    assert_eq!(bases[0].patched[0].pointer, "/spec/forProvider/region");
    let parts = unreadable(&doc);
    let named: Vec<(&str, bool)> = parts
        .iter()
        .map(|u| (u.pointer.as_str(), u.why.contains("function-kcl")))
        .collect();
    assert_eq!(
        named,
        [("/spec/pipeline/2", true), ("/spec/pipeline/4", false)]
    );
    assert!(parts[1].why.contains("my-function"));
}

#[test]
fn a_patch_that_cannot_be_read_makes_its_resource_unreadable_not_passed() {
    let mut doc = yaml(RESOURCES_MODE);
    doc["spec"]["resources"][0]["patches"][0]["patchSetName"] = json!("missing");
    let parts = unreadable(&doc);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].pointer, "/spec/resources/0/patches/0");
    assert!(parts[0].why.contains("missing"), "{}", parts[0].why);
    assert!(bases(&doc).is_empty());

    let mut doc = yaml(RESOURCES_MODE);
    doc["spec"]["resources"][0]["patches"][1]["toFieldPath"] = json!("spec..x");
    assert!(unreadable(&doc)[0].why.contains("not a field path"));
    let mut doc = yaml(RESOURCES_MODE);
    doc["spec"]["resources"][0]["patches"][2]
        .as_object_mut()
        .unwrap()
        .remove("toFieldPath");
    assert!(unreadable(&doc)[0].why.contains("names no field"));
}

#[test]
fn a_patched_item_of_a_list_keeps_the_others_in_place() {
    let mut doc = json!({"a": [1, 2, 3], "b": {"c": 1}});
    remove(&mut doc, "/a/1");
    remove(&mut doc, "/b/c");
    remove(&mut doc, "/x/y");
    assert_eq!(doc, json!({"a": [1, null, 3], "b": {}}));
    assert!(set(&mut doc, "/n/m", json!("v")));
    assert!(!set(&mut doc, "/a/7", json!("v")));
    assert_eq!(doc["n"]["m"], "v");
}
