//! The types the CRDs give the fields the rules read. The API server refuses an object whose
//! field has another type before any webhook sees it; `check` says so with the field's path
//! instead of reading a policy written as a mapping as "no policy".

use serde_json::Value;

use super::ProviderFamily;
use super::fields::{get, seg};

#[derive(Debug, Clone, Copy)]
enum Want {
    Text,
    Bool,
    Object,
    Texts,
    List,
    /// v1beta1 Upbound kinds write some blocks as one-element lists.
    ObjectOrList,
    /// A block of an Upbound kind that has a v1beta2: a one-element list in the cluster-scoped
    /// v1beta1, a mapping in v1beta2 and in the namespaced kinds.
    Block,
}

/// The fields every family reads, relative to the object.
const COMMON: &[(&str, Want)] = &[
    ("/metadata", Want::Object),
    ("/metadata/annotations", Want::Object),
    ("/metadata/labels", Want::Object),
    ("/spec", Want::Object),
    ("/spec/managementPolicies", Want::Texts),
];

/// ACK, below `/spec`.
const ACK: &[(&str, Want)] = &[
    ("policy", Want::Text),
    ("policyDocument", Want::Text),
    ("name", Want::Text),
    ("serviceName", Want::Text),
    ("vpcEndpointType", Want::Text),
    ("vpcID", Want::Text),
    ("serviceRegion", Want::Text),
    ("serviceNetworkARN", Want::Text),
    ("acl", Want::Text),
    ("grantFullControl", Want::Text),
    ("grantRead", Want::Text),
    ("grantReadACP", Want::Text),
    ("grantWrite", Want::Text),
    ("grantWriteACP", Want::Text),
    ("objectOwnership", Want::Text),
    ("privateDNSEnabled", Want::Bool),
    ("subnetIDs", Want::Texts),
    ("securityGroupIDs", Want::Texts),
    ("routeTableIDs", Want::Texts),
    ("allowedPrincipals", Want::Texts),
    ("publicAccessBlock", Want::Object),
    ("publicAccessBlock/blockPublicACLs", Want::Bool),
    ("publicAccessBlock/ignorePublicACLs", Want::Bool),
    ("publicAccessBlock/blockPublicPolicy", Want::Bool),
    ("publicAccessBlock/restrictPublicBuckets", Want::Bool),
    ("ownershipControls", Want::Object),
    ("accountID", Want::Text),
    ("bucket", Want::Text),
    ("publicAccessBlockConfiguration", Want::Object),
    ("publicAccessBlockConfiguration/blockPublicACLs", Want::Bool),
    (
        "publicAccessBlockConfiguration/ignorePublicACLs",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/blockPublicPolicy",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/restrictPublicBuckets",
        Want::Bool,
    ),
    ("vpcConfiguration", Want::Object),
    ("vpcConfiguration/vpcID", Want::Text),
    ("createBucketConfiguration", Want::Object),
];

/// Crossplane classic, below `/spec/forProvider`.
const CLASSIC: &[(&str, Want)] = &[
    ("policyDocument", Want::Text),
    ("rawPolicy", Want::Text),
    ("policy", Want::Object),
    ("serviceName", Want::Text),
    ("vpcEndpointType", Want::Text),
    ("vpcId", Want::Text),
    ("region", Want::Text),
    ("bucketName", Want::Text),
    ("acl", Want::Text),
    ("grantFullControl", Want::Text),
    ("grantRead", Want::Text),
    ("grantReadAcp", Want::Text),
    ("grantWrite", Want::Text),
    ("grantWriteAcp", Want::Text),
    ("objectOwnership", Want::Text),
    ("privateDNSEnabled", Want::Bool),
    ("subnetIds", Want::Texts),
    ("securityGroupIds", Want::Texts),
    ("routeTableIds", Want::Texts),
    ("publicAccessBlockConfiguration", Want::Object),
    ("publicAccessBlockConfiguration/blockPublicAcls", Want::Bool),
    ("publicAccessBlockConfiguration/blockPublicACLs", Want::Bool),
    (
        "publicAccessBlockConfiguration/ignorePublicAcls",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/ignorePublicACLs",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/blockPublicPolicy",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/restrictPublicBuckets",
        Want::Bool,
    ),
    ("vpcConfiguration", Want::Object),
];

/// Upbound, below `/spec/forProvider` and `/spec/initProvider`.
const UPBOUND: &[(&str, Want)] = &[
    ("policy", Want::Text),
    ("bucket", Want::Text),
    ("serviceName", Want::Text),
    ("serviceRegion", Want::Text),
    ("resourceConfigurationArn", Want::Text),
    ("serviceNetworkArn", Want::Text),
    ("vpcEndpointType", Want::Text),
    ("vpcId", Want::Text),
    ("region", Want::Text),
    ("principalArn", Want::Text),
    ("subnetId", Want::Text),
    ("securityGroupId", Want::Text),
    ("routeTableId", Want::Text),
    ("vpcEndpointId", Want::Text),
    ("acl", Want::Text),
    ("privateDnsEnabled", Want::Bool),
    ("blockPublicAcls", Want::Bool),
    ("ignorePublicAcls", Want::Bool),
    ("blockPublicPolicy", Want::Bool),
    ("restrictPublicBuckets", Want::Bool),
    ("subnetConfiguration", Want::List),
    ("accessControlPolicy", Want::ObjectOrList),
    ("targetBucket", Want::Text),
    ("expectedBucketOwner", Want::Text),
    ("accessPointArn", Want::Text),
    ("accountId", Want::Text),
    ("name", Want::Text),
    ("publicAccessBlockConfiguration", Want::Block),
    ("publicAccessBlockConfiguration/blockPublicAcls", Want::Bool),
    (
        "publicAccessBlockConfiguration/ignorePublicAcls",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/blockPublicPolicy",
        Want::Bool,
    ),
    (
        "publicAccessBlockConfiguration/restrictPublicBuckets",
        Want::Bool,
    ),
    ("vpcConfiguration", Want::Block),
    ("vpcConfiguration/vpcId", Want::Text),
    ("details", Want::Block),
    ("details/name", Want::Text),
    ("details/policy", Want::Text),
    ("details/publicAccessBlock", Want::Object),
];

/// Every field the rules read whose type the schema refuses: (JSON pointer, what is wrong).
/// On the admission path: the tables are walked by plain map lookups, and a pointer is written
/// only for a field that is wrong.
pub fn type_errors(doc: &Value, family: ProviderFamily) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // Cluster-scoped v1beta1 Upbound kinds keep Terraform's blocks as one-element lists.
    let legacy = get(doc, ["apiVersion"])
        .and_then(Value::as_str)
        .is_some_and(|a| a.ends_with(".aws.upbound.io/v1beta1"));
    let mut expect = |base: &str, v: Option<&Value>, path: &str, want: Want| {
        let Some(v) = v else { return };
        let want = match want {
            Want::Block if legacy => Want::List,
            Want::Block => Want::Object,
            w => w,
        };
        let field = if path.is_empty() { base } else { path };
        if let Some(message) = mismatch(v, want, field) {
            let pointer = if path.is_empty() {
                base.to_owned()
            } else {
                format!("{base}/{path}")
            };
            out.push((pointer, message));
        }
    };
    for (pointer, want) in COMMON {
        expect(pointer, get(doc, pointer[1..].split('/')), "", *want);
    }
    let (bases, table): (&[&str], &[(&str, Want)]) = match family {
        ProviderFamily::Ack => (&["/spec"], ACK),
        ProviderFamily::CrossplaneClassic => (&["/spec/forProvider"], CLASSIC),
        ProviderFamily::Upbound => (&["/spec/forProvider", "/spec/initProvider"], UPBOUND),
        ProviderFamily::CrossplaneCore => (&[], &[]),
    };
    for base in bases {
        let Some(at_base) = get(doc, base[1..].split('/')) else {
            continue;
        };
        if base.ends_with("Provider") {
            expect(base, Some(at_base), "", Want::Object);
        }
        let Value::Object(fields) = at_base else {
            continue;
        };
        // The object's few fields against the table, not the table's many paths hashed into it.
        for (key, value) in fields {
            for (path, want) in table {
                let Some(rest) = path.strip_prefix(key.as_str()) else {
                    continue;
                };
                let found = match rest.strip_prefix('/') {
                    _ if rest.is_empty() => Some(value),
                    Some(rest) => get(value, rest.split('/')),
                    None => continue,
                };
                expect(base, found, path, *want);
            }
        }
    }
    if let Some(Value::Object(annotations)) = get(doc, ["metadata", "annotations"]) {
        for (k, v) in annotations.iter().filter(|(_, v)| !v.is_string()) {
            expect("/metadata/annotations", Some(v), &seg(k), Want::Text);
        }
    }
    out
}

/// What is wrong with `v`, if anything; `field`: its path, at least its last segment.
fn mismatch(v: &Value, want: Want, field: &str) -> Option<String> {
    let fits = match want {
        Want::Text => v.is_string(),
        Want::Bool => v.is_boolean(),
        Want::Object => v.is_object(),
        Want::Texts => v
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        Want::List => v.is_array(),
        Want::ObjectOrList => v.is_object() || v.is_array(),
        Want::Block => v.is_object(),
    };
    // A null is an omitted field to the API server.
    if fits || v.is_null() {
        return None;
    }
    let wanted = match want {
        Want::Text => "a string",
        Want::Bool => "a boolean",
        Want::Object => "a mapping",
        Want::Texts => "a list of strings",
        Want::List => "a list",
        Want::ObjectOrList | Want::Block => "a mapping",
    };
    let hint = match (want, v) {
        (Want::Text, Value::Object(_) | Value::Array(_))
            if ["policy", "policyDocument", "rawPolicy"]
                .iter()
                .any(|p| field.rsplit('/').next() == Some(p)) =>
        {
            "; a policy is JSON text here: write it as a string, e.g. a `|` block"
        }
        (Want::Text | Want::Texts, _) if numbers(v) => {
            "; YAML reads an unquoted number as a number: quote it"
        }
        _ => "",
    };
    Some(format!(
        "{} where the kind's schema wants {wanted}, so the API server refuses the object{hint}",
        found(v)
    ))
}

fn numbers(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::Array(items) => items.iter().any(Value::is_number),
        _ => false,
    }
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(items) if items.iter().any(|i| !i.is_string()) && !items.is_empty() => {
            "a list holding something other than strings".into()
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}
