use super::*;

const FULL: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata:
  name: corp
spec:
  identity:
    trustedOrganizations: [o-abc123def4]
    trustedAccounts: ["111122223333"]
    trustAwsServicePrincipals: true
  resources:
    allowedResources: ["arn:aws:s3:::amazonlinux.*.amazonaws.com/*"]
  network:
    allowedVpcEndpoints: [vpce-1a2b3c4d]
    allowedVpcs: [vpc-111bbb22]
    allowedSourceIps: [203.0.113.0/24, "2001:db8::/32"]
  exceptions:
    principalTags:
      - {key: "dp:exclude:resource", value: "true"}
      - {key: network-perimeter-exception, value: "true", perimeters: [network]}
    thirdParties:
      - {accounts: ["222233334444"], resources: ["arn:aws:s3:::partner-bucket/*"]}
  bucketPolicyMode: Enforce
"#;

#[test]
fn full_document_loads_and_converts() {
    let dps = load_perimeters(FULL, "corp.yaml").unwrap();
    assert_eq!(dps.len(), 1);
    let p = dps[0].to_perimeter();
    assert_eq!(
        p.resource_orgs,
        ["o-abc123def4"],
        "resources default to the identity lists"
    );
    assert_eq!(p.resource_accounts, ["111122223333"]);
    assert_eq!(
        p.principal_tags,
        [("dp:exclude:resource".to_owned(), "true".to_owned())]
    );
    assert_eq!(
        p.network_tags,
        [("network-perimeter-exception".to_owned(), "true".to_owned())]
    );
    assert_eq!(p.source_ips.len(), 2);
    assert_eq!(p.bucket_mode, BucketMode::Enforce);
    assert!(p.trust_service_principals);
}

/// `FULL` as a file saved with a byte-order mark and written with anchors and merge keys (the
/// first merge source winning, explicit keys winning over both), as kubectl would read it.
const FULL_MERGED: &str = "\u{feff}apiVersion: perimeterguard.io/v1alpha1
kind: DataPerimeter
metadata:
  name: corp
spec:
  identity:
    trustedOrganizations: [o-abc123def4]
    trustedAccounts: [\"111122223333\"]
    trustAwsServicePrincipals: true
  resources:
    allowedResources: [\"arn:aws:s3:::amazonlinux.*.amazonaws.com/*\"]
  network:
    <<:
      - {allowedVpcEndpoints: [vpce-1a2b3c4d], allowedVpcs: [vpc-1]}
      - {allowedVpcs: [vpc-2], allowedSourceIps: [203.0.113.0/24, \"2001:db8::/32\"]}
    allowedVpcs: [vpc-111bbb22]
  exceptions:
    principalTags:
      - &resource-tag {key: \"dp:exclude:resource\", value: \"true\"}
      - {<<: *resource-tag, key: network-perimeter-exception, perimeters: [network]}
    thirdParties:
      - {accounts: [\"222233334444\"], resources: [\"arn:aws:s3:::partner-bucket/*\"]}
  bucketPolicyMode: Enforce
";

#[test]
fn merge_keys_and_a_byte_order_mark_load_as_the_plain_file() {
    assert_eq!(
        load_perimeters(FULL_MERGED, "corp.yaml").unwrap(),
        load_perimeters(FULL, "corp.yaml").unwrap()
    );
    let e = load_perimeters(&FULL_MERGED.replace("[vpc-111bbb22]", "[vpc-1]"), "f").unwrap_err();
    assert_eq!(e.field, "spec.network.allowedVpcs[0]", "{e}");
}

#[test]
fn defaults_are_minimal_and_service_principals_trusted() {
    let dps = load_perimeters("apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec: {}\n", "x").unwrap();
    assert_eq!(dps[0].spec.bucket_policy_mode, BucketPolicyMode::Grant);
    assert!(dps[0].spec.identity.trust_aws_service_principals);
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (
            "trustedAccounts: [\"1234\"]",
            "spec.identity.trustedAccounts[0]",
        ),
        (
            "trustedOrganizations: [o-ABC]",
            "spec.identity.trustedOrganizations[0]",
        ),
        (
            "trustedOrganizations: [o-abc]",
            "spec.identity.trustedOrganizations[0]",
        ),
    ];
    for (identity, field) in cases {
        let text = format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: x}}\nspec:\n  identity:\n    {identity}\n"
        );
        let e = load_perimeters(&text, "f.yaml").unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
    let network = [
        (
            "allowedVpcEndpoints: [vpce-xyz]",
            "spec.network.allowedVpcEndpoints[0]",
        ),
        (
            "allowedVpcEndpoints: [vpce-1a2b3c4d, vpce-0123456789abcdef0, vpce-123]",
            "spec.network.allowedVpcEndpoints[2]",
        ),
        ("allowedVpcs: [vpc-1]", "spec.network.allowedVpcs[0]"),
        (
            "allowedSourceIps: [10.0.0.0/40]",
            "spec.network.allowedSourceIps[0]",
        ),
    ];
    for (net, field) in network {
        let text = format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: x}}\nspec:\n  network:\n    {net}\n"
        );
        let e = load_perimeters(&text, "f.yaml").unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
}

#[test]
fn unknown_fields_wrong_kind_and_duplicates_are_rejected() {
    let e = load_perimeters("apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec: {identty: {}}\n", "f").unwrap_err();
    assert!(e.message.contains("identty"), "{e}");
    let e = load_perimeters(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "f",
    )
    .unwrap_err();
    assert!(e.message.contains("expected apiVersion"), "{e}");
    let two = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec: {}\n---\napiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec: {}\n";
    assert_eq!(
        load_perimeters(two, "f").unwrap_err().field,
        "metadata.name"
    );
    assert!(load_perimeters("", "f").is_err());
    assert!(load_perimeters("a: [", "f").is_err());
}

#[test]
fn schema_describes_the_spec() {
    let s = spec_schema();
    let text = s.to_string();
    for field in [
        "trustedOrganizations",
        "allowedVpcEndpoints",
        "thirdParties",
        "bucketPolicyMode",
    ] {
        assert!(text.contains(field), "{field}");
    }
}

#[test]
fn match_by_kind_namespace_and_labels() {
    let text = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec:\n  match:\n    kinds: [VPCEndpoint]\n    excludeNamespaces: [sandbox]\n    labelSelector:\n      matchLabels: {tier: prod}\n      matchExpressions:\n        - {key: team, operator: In, values: [data, web]}\n        - {key: legacy, operator: DoesNotExist}\n";
    let dp = load_perimeters(text, "f").unwrap().remove(0);
    let labels = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let good = labels(&[("tier", "prod"), ("team", "data")]);
    assert!(dp.applies_to("VPCEndpoint", Some("apps"), &good));
    assert!(
        dp.applies_to("VPCEndpoint", None, &good),
        "cluster-scoped objects have no namespace to exclude"
    );
    assert!(!dp.applies_to("Bucket", Some("apps"), &good));
    assert!(!dp.applies_to("VPCEndpoint", Some("sandbox"), &good));
    assert!(!dp.applies_to(
        "VPCEndpoint",
        Some("apps"),
        &labels(&[("tier", "prod"), ("team", "ops")])
    ));
    assert!(!dp.applies_to(
        "VPCEndpoint",
        Some("apps"),
        &labels(&[("tier", "prod"), ("team", "data"), ("legacy", "y")])
    ));
    let bad = text.replace("operator: DoesNotExist}", "operator: In}");
    assert_eq!(
        load_perimeters(&bad, "f").unwrap_err().field,
        "spec.match.labelSelector.matchExpressions[1].values"
    );
}

/// EC2 assigns VPC, endpoint, subnet and security group ids as the prefix and 8 or 17 lower-case
/// hexadecimal digits (Amazon EC2 API Reference, "Vpc": VpcId, "VpcEndpoint": VpcEndpointId), and
/// aws:SourceVpce is compared case-sensitively: an upper-case id would never match a request, so
/// the perimeter refuses it, naming the field, as the reasoner's id domain does.
#[test]
fn ec2_ids_are_the_lower_case_form_ec2_assigns() {
    let with = |vpce: &str| FULL.replace("vpce-1a2b3c4d", vpce);
    assert!(load_perimeters(&with("vpce-0a1b2c3d4e5f60718"), "p").is_ok());
    let e = load_perimeters(&with("vpce-1A2B3C4D"), "p").unwrap_err();
    assert!(
        e.to_string()
            .contains("spec.network.allowedVpcEndpoints[0]")
            && e.to_string().contains("lower-case hexadecimal"),
        "{e}"
    );
}

fn with_spec(spec: &str) -> String {
    format!(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: x}}\nspec:\n{spec}"
    )
}

/// A value of the wrong type is named by its full path, in the syntax validation errors use,
/// whatever the type mix-up.
#[test]
fn type_errors_name_the_full_path() {
    let cases = [
        // An integer where a string belongs: the unquoted account id.
        (
            "  identity:\n    trustedAccounts: [\"111122223333\", 444455556666]\n",
            "spec.identity.trustedAccounts[1]",
            "invalid type: integer `444455556666`, expected a string",
        ),
        // A string where a list belongs.
        (
            "  network:\n    allowedVpcs: vpc-111bbb22\n",
            "spec.network.allowedVpcs",
            "invalid type: string \"vpc-111bbb22\", expected a sequence",
        ),
        // A mapping where a string belongs.
        (
            "  exceptions:\n    thirdParties:\n      - accounts: [{id: \"222233334444\"}]\n        resources: [\"arn:aws:s3:::b/*\"]\n",
            "spec.exceptions.thirdParties[0].accounts[0]",
            "invalid type: map, expected a string",
        ),
        // A field the schema does not have (fields are refused, not ignored).
        (
            "  identity:\n    trustedAcounts: [\"111122223333\"]\n",
            "spec.identity.trustedAcounts",
            "unknown field `trustedAcounts`",
        ),
        // A missing field names the object it is missing from.
        (
            "  exceptions:\n    thirdParties:\n      - accounts: [\"222233334444\"]\n",
            "spec.exceptions.thirdParties[0]",
            "missing field `resources`",
        ),
        // A value outside an enumeration, in a map keyed by rule id.
        (
            "  rules: {DP-EP-001: Block}\n",
            "spec.rules.DP-EP-001",
            "unknown variant `Block`",
        ),
        (
            "  match:\n    labelSelector:\n      matchLabels: {app.kubernetes.io/part-of: 7}\n",
            "spec.match.labelSelector.matchLabels[\"app.kubernetes.io/part-of\"]",
            "invalid type: integer `7`, expected a string",
        ),
        (
            "  bucketPolicies: {requireSecureTransport: \"yes\"}\n",
            "spec.bucketPolicies.requireSecureTransport",
            "invalid type: string \"yes\", expected a boolean",
        ),
    ];
    for (spec, field, message) in cases {
        let e = load_perimeters(&with_spec(spec), "f.yaml").unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.starts_with(message), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("f.yaml: {field}: {message}")),
            "{e}"
        );
    }
    let e = load_perimeters(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: [x]}\nspec: {}\n",
        "f.yaml",
    )
    .unwrap_err();
    assert_eq!(e.field, "metadata.name", "{e}");
    let e = load_perimeters(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\n",
        "f.yaml",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "f.yaml: (document): missing field `spec`",
        "the top level is the document"
    );
}

/// The message the user reads for an unquoted account id, whole.
#[test]
fn an_unquoted_account_id_is_named_and_the_fix_given() {
    let e = load_perimeters(
        &with_spec("  identity:\n    trustedAccounts: [111122223333]\n"),
        "corp.yaml",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "corp.yaml: spec.identity.trustedAccounts[0]: invalid type: integer `111122223333`, \
         expected a string; quote it: unquoted, YAML reads it as a number"
    );
    // Booleans where strings belong get the same advice; other mix-ups none.
    let e = load_perimeters(
        &with_spec("  exceptions:\n    principalTags: [{key: exempt, value: yes}]\n"),
        "f",
    )
    .unwrap_err();
    assert_eq!(e.field, "spec.exceptions.principalTags[0].value");
    assert!(
        e.message
            .ends_with("YAML reads it as a boolean (as it does yes, no, on and off)"),
        "{e}"
    );
    let e = load_perimeters(&with_spec("  network:\n    allowedVpcs: 12\n"), "f").unwrap_err();
    assert_eq!(
        e.message, "invalid type: integer `12`, expected a sequence",
        "a number where a list belongs is not fixed by quoting"
    );
}

/// Type errors and validation errors write map keys alike: a rule id that is no rule, and one
/// whose enforcement is misspelt, are named the same way.
#[test]
fn validation_and_type_errors_share_the_path_syntax() {
    let unknown = load_perimeters(&with_spec("  rules: {DP-XX-999: Warn}\n"), "f").unwrap_err();
    assert_eq!(unknown.field, "spec.rules.DP-XX-999");
    let dotted = load_perimeters(&with_spec("  rules: {dp.ep.1: Warn}\n"), "f").unwrap_err();
    assert_eq!(dotted.field, "spec.rules[\"dp.ep.1\"]");
    let misspelt = load_perimeters(&with_spec("  rules: {dp.ep.1: Wran}\n"), "f").unwrap_err();
    assert_eq!(misspelt.field, dotted.field);
    let semantic = load_perimeters(
        &with_spec("  identity:\n    trustedAccounts: [\"111122223333\", \"1234\"]\n"),
        "f",
    )
    .unwrap_err();
    let typed = load_perimeters(
        &with_spec("  identity:\n    trustedAccounts: [\"111122223333\", 1234]\n"),
        "f",
    )
    .unwrap_err();
    assert_eq!(semantic.field, "spec.identity.trustedAccounts[1]");
    assert_eq!(typed.field, semantic.field);
}

#[test]
fn paths_quote_keys_that_are_not_plain_words() {
    assert_eq!(path::key("", "spec"), "spec");
    assert_eq!(path::key("spec", "match"), "spec.match");
    assert_eq!(path::key("spec.rules", "DP-EP-001"), "spec.rules.DP-EP-001");
    assert_eq!(
        path::key("m", "app.kubernetes.io/name"),
        "m[\"app.kubernetes.io/name\"]"
    );
    assert_eq!(path::key("m", ""), "m[\"\"]");
    assert_eq!(path::key("m", "a\"b"), "m[\"a\\\"b\"]");
    assert_eq!(path::index("spec.x", 3), "spec.x[3]");
}

/// `excludedAccounts`: validated as account ids at their path; the resource list defaults to the
/// identity list only when absent, and `[]` excludes none.
#[test]
fn excluded_accounts_default_and_validate() {
    let doc = |identity: &str, resources: &str| {
        format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: p}}\nspec:\n  identity: {{trustedOrganizations: [o-abc123def4], {identity}}}\n{resources}"
        )
    };
    let p = load_perimeters(&doc("excludedAccounts: [\"444455556666\"]", ""), "p")
        .unwrap()
        .remove(0)
        .to_perimeter();
    assert_eq!(p.identity_excluded_accounts, ["444455556666"]);
    assert_eq!(p.resource_excluded_accounts, ["444455556666"]);
    let p = load_perimeters(
        &doc(
            "excludedAccounts: [\"444455556666\"]",
            "  resources: {excludedAccounts: []}\n",
        ),
        "p",
    )
    .unwrap()
    .remove(0)
    .to_perimeter();
    assert_eq!(p.identity_excluded_accounts, ["444455556666"]);
    assert!(p.resource_excluded_accounts.is_empty());
    for (identity, resources, path) in [
        (
            "excludedAccounts: [\"4444\"]",
            "",
            "spec.identity.excludedAccounts[0]",
        ),
        (
            "trustedAccounts: []",
            "  resources: {excludedAccounts: [\"x\"]}\n",
            "spec.resources.excludedAccounts[0]",
        ),
    ] {
        let e = load_perimeters(&doc(identity, resources), "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains(path), "{e}");
    }
}

/// OU paths are validated in their documented form, at their field path.
#[test]
fn org_paths_validate() {
    let doc = |paths: &str| {
        format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: p}}\nspec:\n  identity: {{{paths}}}\n"
        )
    };
    let p = load_perimeters(
        &doc("trustedOrgPaths: [o-abc123def4/r-ab12/ou-ab12-11111111/], excludedOrgPaths: [o-abc123def4/r-ab12/ou-ab12-22222222/]"),
        "p",
    )
    .unwrap()
    .remove(0)
    .to_perimeter();
    assert_eq!(
        p.identity_org_paths,
        ["o-abc123def4/r-ab12/ou-ab12-11111111/"]
    );
    assert_eq!(
        p.identity_excluded_org_paths,
        ["o-abc123def4/r-ab12/ou-ab12-22222222/"]
    );
    let e = load_perimeters(
        &doc("excludedOrgPaths: [o-abc123def4/ou-ab12-22222222]"),
        "p",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("spec.identity.excludedOrgPaths[0]") && e.contains("organization path"),
        "{e}"
    );
}

/// Principal-ARN exceptions: the pattern and the perimeters are read as for tags (resource by
/// default); a pattern that is no ARN pattern is an error at its path.
#[test]
fn principal_arn_exceptions_load_and_validate() {
    let doc = |exceptions: &str| {
        format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: p}}\nspec:\n  identity: {{trustedOrganizations: [o-abc123def4]}}\n  exceptions: {{principalArns: [{exceptions}]}}\n"
        )
    };
    let p = load_perimeters(
        &doc("{pattern: \"arn:aws:iam::*:role/aws:ec2-infrastructure\", perimeters: [network]}, {pattern: \"arn:aws:iam::*:role/backup\"}"),
        "p",
    )
    .unwrap()
    .remove(0)
    .to_perimeter();
    assert_eq!(
        p.network_exempt_arns,
        [pattern::glob("arn:aws:iam::*:role/aws:ec2-infrastructure")]
    );
    assert_eq!(
        p.resource_exempt_arns,
        [pattern::glob("arn:aws:iam::*:role/backup")]
    );
    let e = load_perimeters(&doc("{pattern: \"role/backup\"}"), "p")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("spec.exceptions.principalArns[0].pattern"),
        "{e}"
    );
}

/// `network.appliesToPrincipalTags`: read with the tag key in lower case (tag keys compare
/// case-insensitively in aws:PrincipalTag); an empty key is an error at its path.
#[test]
fn network_opt_in_tags_load_and_validate() {
    let doc = |tags: &str| {
        format!(
            "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: p}}\nspec:\n  network: {{allowedVpcEndpoints: [vpce-1a2b3c4d], appliesToPrincipalTags: [{tags}]}}\n"
        )
    };
    let p = load_perimeters(&doc("{key: \"DP:Include:Network\", value: \"true\"}"), "p")
        .unwrap()
        .remove(0)
        .to_perimeter();
    assert_eq!(
        p.network_applies_to_tags,
        [("dp:include:network".to_owned(), "true".to_owned())]
    );
    let e = load_perimeters(&doc("{key: \"\", value: \"true\"}"), "p")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("spec.network.appliesToPrincipalTags[0].key"),
        "{e}"
    );
}

/// Every field of the modern vocabulary at once, as docs/configuration.md shows it.
const MODERN: &str = r#"
organizations:
  - id: o-abc123def4
    accounts: ["111122223333", "444455556666"]
identity:
  trustedOrganizations: [o-abc123def4]
  excludedAccounts: ["555566667777"]
  servicePrincipalSources:
    organizations: [o-abc123def4]
    accounts: ["111122223333"]
network:
  trustedEndpointOrganizations: [o-abc123def4]
  trustedEndpointAccounts: ["222233334444"]
  trustedEndpointOrgPaths: [o-abc123def4/r-ab12/ou-ab12-11111111/]
  allowedVpcArns: ["arn:aws:ec2:*:111122223333:vpc/vpc-111bbb22"]
exceptions:
  resourceTags:
    - {key: "dp:exclude:network", value: "true", perimeters: [network]}
    - {key: "DP:Exclude:Identity", value: "true", perimeters: [identity, network]}
  viaAwsServices: [athena.amazonaws.com]
  thirdParties:
    - {accounts: ["222233334444"], resources: ["arn:aws:s3:::partner-bucket/*"], actions: ["s3:GetObject"]}
"#;

fn modern_with(replace: &str, with: &str) -> Result<Perimeter, ConfigError> {
    let spec: String = MODERN
        .replace(replace, with)
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    load_perimeters(&with_spec(&spec), "p").map(|mut v| v.remove(0).to_perimeter())
}

#[test]
fn the_modern_vocabulary_loads_and_converts() {
    let p = modern_with("", "").unwrap();
    assert_eq!(
        p.memberships.get("444455556666").map(String::as_str),
        Some("o-abc123def4")
    );
    let sources = p.service_sources.clone().expect("sources");
    assert_eq!(sources.orgs, ["o-abc123def4"]);
    assert_eq!(sources.accounts, ["111122223333"]);
    assert_eq!(p.endpoint_orgs, ["o-abc123def4"]);
    assert_eq!(p.endpoint_accounts, ["222233334444"]);
    assert_eq!(
        p.endpoint_org_paths,
        ["o-abc123def4/r-ab12/ou-ab12-11111111/"]
    );
    assert_eq!(
        p.vpc_arns,
        [pattern::glob("arn:aws:ec2:*:111122223333:vpc/vpc-111bbb22")]
    );
    assert_eq!(
        p.identity_resource_tags,
        [("dp:exclude:identity".to_owned(), "true".to_owned())]
    );
    assert_eq!(p.network_resource_tags.len(), 2);
    assert_eq!(
        p.via_services.as_deref(),
        Some(&["athena.amazonaws.com".to_owned()][..])
    );
    assert_eq!(
        p.third_parties[0].actions,
        Some(vec![pattern::glob("s3:getobject")])
    );
    // Absent fields keep today's meaning.
    let plain = load_perimeters(
        &with_spec("  identity: {trustedOrganizations: [o-abc123def4]}\n"),
        "p",
    )
    .unwrap()
    .remove(0)
    .to_perimeter();
    assert!(plain.service_sources.is_none() && plain.via_services.is_none());
    assert!(plain.memberships.is_empty() && plain.identity_resource_tags.is_empty());
}

/// Each settled configuration error of the vocabulary, at its field path.
#[test]
fn the_modern_vocabulary_s_errors_name_the_field() {
    let cases = [
        // An account in two organizations.
        (
            "accounts: [\"111122223333\", \"444455556666\"]",
            "accounts: [\"111122223333\"]\n  - id: o-zzz999yyy8\n    accounts: [\"111122223333\"]",
            "spec.organizations[1].accounts[0]",
            "one organization at most",
        ),
        (
            "id: o-abc123def4\n",
            "id: O-ABC\n",
            "spec.organizations[0].id",
            "organization id",
        ),
        (
            "trustedEndpointOrgPaths: [o-abc123def4/r-ab12/ou-ab12-11111111/]",
            "trustedEndpointOrgPaths: [ou-ab12-11111111]",
            "spec.network.trustedEndpointOrgPaths[0]",
            "organization path",
        ),
        (
            "trustedEndpointAccounts: [\"222233334444\"]",
            "trustedEndpointAccounts: [\"2222\"]",
            "spec.network.trustedEndpointAccounts[0]",
            "12-digit",
        ),
        (
            "arn:aws:ec2:*:111122223333:vpc/vpc-111bbb22",
            "arn:aws:s3:::bucket",
            "spec.network.allowedVpcArns[0]",
            "VPC ARN pattern",
        ),
        (
            "perimeters: [network]}\n",
            "perimeters: [resource]}\n",
            "spec.exceptions.resourceTags[0].perimeters[0]",
            "resource perimeter",
        ),
        (
            "viaAwsServices: [athena.amazonaws.com]",
            "viaAwsServices: [Athena]",
            "spec.exceptions.viaAwsServices[0]",
            "service.amazonaws.com",
        ),
        (
            "viaAwsServices: [athena.amazonaws.com]",
            "viaAwsServices: []",
            "spec.exceptions.viaAwsServices",
            "at least one",
        ),
        (
            "actions: [\"s3:GetObject\"]",
            "actions: [GetObject]",
            "spec.exceptions.thirdParties[0].actions[0]",
            "action pattern",
        ),
        (
            "    organizations: [o-abc123def4]\n    accounts: [\"111122223333\"]\n",
            "    organizations: []\n",
            "spec.identity.servicePrincipalSources",
            "organizations or accounts",
        ),
        (
            "  excludedAccounts:",
            "  trustAwsServicePrincipals: false\n  excludedAccounts:",
            "spec.identity.servicePrincipalSources",
            "trustAwsServicePrincipals",
        ),
    ];
    for (from, to, field, words) in cases {
        assert!(MODERN.contains(from), "{from}");
        let e = modern_with(from, to).expect_err(to).to_string();
        assert!(e.contains(field) && e.contains(words), "{to}: {e}");
    }
    // A principal's own tag or ARN cannot exempt it from the identity perimeter.
    let e = load_perimeters(
        &with_spec("  exceptions: {principalTags: [{key: a, value: b, perimeters: [network, identity]}]}\n"),
        "p",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("spec.exceptions.principalTags[0].perimeters[1]"),
        "{e}"
    );
}

/// The example at the top of docs/configuration.md, which shows every field, is a valid perimeter.
#[test]
fn the_documented_example_loads() {
    let page = include_str!("../../../docs/configuration.md");
    let example = page
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the page's first YAML block");
    let p = load_perimeters(example, "docs/configuration.md")
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0)
        .to_perimeter();
    assert!(!p.memberships.is_empty() && p.service_sources.is_some());
    assert!(!p.endpoint_orgs.is_empty() && !p.vpc_arns.is_empty());
    assert!(!p.network_resource_tags.is_empty() && p.via_services.is_some());
}
