use super::*;

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

fn limits() -> ExpiryLimits {
    ExpiryLimits {
        now: at("2027-01-01T00:00:00Z"),
        max_days: DEFAULT_MAX_DAYS,
    }
}

const GOOD: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: PerimeterException
metadata:
  name: partner-exchange-2027q1
spec:
  owner: data-platform@example.com
  reason: "partner migration, ticket SEC-1234"
  expiresAt: "2027-03-31T00:00:00Z"
  rules: [DP-BP-002]
  match:
    kinds: [BucketPolicy]
    namespaces: [team-a]
    names: [partner-exchange]
    labelSelector: {matchLabels: {app: exchange}}
"#;

fn load(text: &str) -> Result<Vec<PerimeterException>, ConfigError> {
    load_exceptions(text, "exceptions.yaml", limits())
}

/// The error's field for `GOOD` with `from` replaced by `to`.
fn field_of(from: &str, to: &str) -> (String, String) {
    assert!(GOOD.contains(from), "{from}");
    let e = load(&GOOD.replace(from, to)).unwrap_err();
    (e.field, e.message)
}

fn object(kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "s3.aws.upbound.io/v1beta1".into(),
        kind: kind.into(),
        namespace: namespace.map(str::to_owned),
        name: name.into(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_issues_example_is_read_with_its_expiry() {
    let e = load(GOOD).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "partner-exchange-2027q1");
    assert_eq!(e[0].expires_at, at("2027-03-31T00:00:00Z"));
    assert!(e[0].is_active(at("2027-03-30T23:59:59Z")));
    assert!(
        !e[0].is_active(at("2027-03-31T00:00:00Z")),
        "expiresAt is the end"
    );
    assert!(e[0].waives("DP-BP-002"));
    assert!(!e[0].waives("DP-BP-001"));
}

#[test]
fn every_match_field_given_must_hold() {
    let e = &load(GOOD).unwrap()[0];
    let app = labels(&[("app", "exchange")]);
    assert!(e.matches(
        &object("BucketPolicy", Some("team-a"), "partner-exchange"),
        &app
    ));
    for (o, l) in [
        (
            object("VPCEndpoint", Some("team-a"), "partner-exchange"),
            &app,
        ),
        (
            object("BucketPolicy", Some("team-b"), "partner-exchange"),
            &app,
        ),
        (object("BucketPolicy", Some("team-a"), "other"), &app),
        (object("BucketPolicy", None, "partner-exchange"), &app),
        (
            object("BucketPolicy", Some("team-a"), "partner-exchange"),
            &labels(&[("app", "other")]),
        ),
    ] {
        assert!(!e.matches(&o, l), "{o:?} {l:?}");
    }
}

#[test]
fn missing_or_empty_required_fields_are_named() {
    assert_eq!(
        field_of("  owner: data-platform@example.com\n", "").0,
        "spec"
    );
    assert_eq!(
        field_of("  expiresAt: \"2027-03-31T00:00:00Z\"\n", ""),
        ("spec".into(), "missing field `expiresAt`".into())
    );
    assert_eq!(
        field_of("data-platform@example.com", "\"  \"").0,
        "spec.owner"
    );
    assert_eq!(
        field_of("\"partner migration, ticket SEC-1234\"", "\"\"").0,
        "spec.reason"
    );
    assert_eq!(field_of("rules: [DP-BP-002]", "rules: []").0, "spec.rules");
    assert_eq!(
        field_of("2027-03-31T00:00:00Z", "next quarter").0,
        "spec.expiresAt"
    );
    assert_eq!(
        field_of("partner-exchange-2027q1", "\"\"").0,
        "metadata.name"
    );
    assert_eq!(
        field_of("  owner:", "  unknown: x\n  owner:").0,
        "spec.unknown",
        "an unknown field is refused"
    );
}

#[test]
fn rules_are_named_one_by_one() {
    let (field, message) = field_of("[DP-BP-002]", "[DP-BP-002, \"DP-BP-*\"]");
    assert_eq!(field, "spec.rules[1]");
    assert!(message.contains("never a wildcard"), "{message}");
    let (field, message) = field_of("[DP-BP-002]", "[DP-XX-999]");
    assert_eq!(field, "spec.rules[0]");
    assert!(message.contains("is not a rule id"), "{message}");
}

#[test]
fn an_exception_must_say_which_objects_and_match_some() {
    let none = "  match:\n    kinds: [BucketPolicy]\n    namespaces: [team-a]\n";
    let at_match = GOOD.find("  match:").unwrap();
    let text = format!("{}{none}", &GOOD[..at_match]);
    let e = load(&text).unwrap_err();
    assert_eq!(e.field, "spec.match", "{e}");
    let empty_selector = format!(
        "{}  match:\n    labelSelector: {{matchLabels: {{}}}}\n",
        &GOOD[..at_match]
    );
    assert_eq!(load(&empty_selector).unwrap_err().field, "spec.match");
    let by_selector = format!(
        "{}  match:\n    labelSelector: {{matchExpressions: [{{key: app, operator: Exists}}]}}\n",
        &GOOD[..at_match]
    );
    assert!(load(&by_selector).is_ok());
    assert_eq!(
        field_of("kinds: [BucketPolicy]", "kinds: [Bucket, Deployment]").0,
        "spec.match.kinds[1]"
    );
    assert_eq!(
        field_of("names: [partner-exchange]", "names: [\"\"]").0,
        "spec.match.names[0]"
    );
}

#[test]
fn an_exception_ends_within_the_longest_allowed_after_its_creation() {
    // Ninety days after 2027-01-01 is 2027-04-01: the example ends a day before.
    let late = GOOD.replace("2027-03-31T00:00:00Z", "2027-04-01T00:00:01Z");
    let ConfigError { field, message, .. } = load(&late).unwrap_err();
    assert_eq!(field, "spec.expiresAt");
    assert!(
        message.contains("end it by 2027-04-01T00:00:00Z"),
        "{message}"
    );
    assert!(load(&GOOD.replace("2027-03-31T00:00:00Z", "2027-04-01T00:00:00Z")).is_ok());
    let shorter = ExpiryLimits {
        max_days: 30,
        ..limits()
    };
    assert!(load_exceptions(GOOD, "f", shorter).is_err());
    // An object from the cluster counts from its creation, not from now.
    let created = GOOD.replace(
        "  name: partner-exchange-2027q1\n",
        "  name: partner-exchange-2027q1\n  creationTimestamp: \"2026-10-01T00:00:00Z\"\n",
    );
    assert_eq!(load(&created).unwrap_err().field, "spec.expiresAt");
}

#[test]
fn the_census_counts_active_and_expired_and_the_next_end() {
    let second = GOOD
        .replace("partner-exchange-2027q1", "second")
        .replace("2027-03-31T00:00:00Z", "2027-02-01T00:00:00Z");
    let third = GOOD
        .replace("partner-exchange-2027q1", "third")
        .replace("2027-03-31T00:00:00Z", "2027-01-02T00:00:00Z");
    let all = Exceptions::new(load(&format!("{GOOD}---{second}---{third}")).unwrap());
    assert_eq!(
        all.census(at("2027-01-15T00:00:00Z")),
        Census {
            active: 2,
            expired: 1,
            next_expiry: Some(at("2027-02-01T00:00:00Z"))
        }
    );
    assert_eq!(
        all.census(at("2027-04-01T00:00:00Z")),
        Census {
            active: 0,
            expired: 3,
            next_expiry: None
        }
    );
    let twice = format!("{GOOD}---{GOOD}");
    assert_eq!(load(&twice).unwrap_err().field, "metadata.name");
}

#[test]
fn other_kinds_are_not_exceptions() {
    let e = load("apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: x}\nspec: {}\n").unwrap_err();
    assert_eq!(e.field, "(document)");
}

#[test]
fn the_crd_is_cluster_scoped_and_requires_what_validation_requires() {
    let crd = crate::yaml::stream_to_json(&crd_yaml()).unwrap().remove(0);
    assert_eq!(crd["spec"]["scope"], "Cluster");
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in ["owner", "reason", "expiresAt", "rules", "match"] {
        assert!(required.contains(&field), "{field}: {required:?}");
    }
}
