//! The witness is the headline: a request a platform engineer can paste into `simulate`. Every
//! witness `analyze --output json` prints for these policies, written as a `simulate` request
//! document (docs/simulate.md), is allowed by `perimeter-guard simulate`, and names only
//! well-formed organization and endpoint ids.

use crate::common;

use common::cli::{run, text};
use perimeter_guard::iam::arn::{is_ec2_id, is_org_id};
use serde_json::Value;

const PERIMETER: &str = "manifests/examples/dataperimeter.yaml";

fn witnesses(policy: &str) -> Vec<(String, Value)> {
    witnesses_as(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        policy,
    )
}

/// What `analyze --kind KIND EXTRA... --perimeter PERIMETER --output json POLICY` prints, and its
/// exit code.
fn analyze_json(perimeter: &str, kind: &str, extra: &[&str], policy: &str) -> (Option<i32>, Value) {
    let mut args = vec!["analyze", "--kind", kind];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--perimeter", perimeter, "--output", "json", policy]);
    let out = run(&args, None);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code(), report)
}

/// The witnesses `analyze --kind KIND EXTRA... --perimeter PERIMETER POLICY --output json` prints.
fn witnesses_as(perimeter: &str, kind: &str, extra: &[&str], policy: &str) -> Vec<(String, Value)> {
    let (code, report) = analyze_json(perimeter, kind, extra, policy);
    assert_eq!(code, Some(1), "{report:#}");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["dimension"].as_str().unwrap_or_default().to_owned(),
                f["witness"].clone(),
            )
        })
        .collect()
}

/// Replays every witness `analyze` prints for `policy` under `perimeter` through `simulate`,
/// checking its ids are well-formed; the witnesses, by dimension.
fn replay(
    perimeter: &str,
    kind: &str,
    extra: &[&str],
    policy: &str,
    dir: &std::path::Path,
) -> Vec<(String, Value)> {
    let found = witnesses_as(perimeter, kind, extra, policy);
    for (i, (dimension, witness)) in found.iter().enumerate() {
        let request = common::witness::request_document(witness);
        let orgs = [
            &request["principal"]["organization"],
            &request["resource"]["organization"],
        ];
        for org in orgs.into_iter().filter_map(Value::as_str) {
            assert!(is_org_id(org), "{policy}: organization {org}");
        }
        if let Some(vpce) = request["context"]["aws:SourceVpce"].as_str() {
            assert!(is_ec2_id(vpce, "vpce-"), "{policy}: endpoint {vpce}");
        }
        let file = dir.join(format!(
            "request-{}-{i}.json",
            policy.replace(['/', '.'], "-")
        ));
        std::fs::write(&file, request.to_string()).expect("write");
        // An access point policy is a resource policy to `simulate`.
        let simulate_kind = if kind == "access-point-policy" {
            "resource-policy"
        } else {
            kind
        };
        let out = simulate(simulate_kind, policy, &file);
        assert!(
            text(&out.stdout).starts_with("decision: Allow\n"),
            "{policy} {dimension}: {}\n{request:#}",
            text(&out.stdout)
        );
    }
    found
}

#[test]
fn every_witness_is_allowed_by_simulate_and_names_real_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut replayed = 0;
    let s3_endpoint = ["--service", "com.amazonaws.us-east-1.s3"];
    for (kind, extra, policy) in [
        (
            "bucket-policy",
            &["--bucket", "example-bucket"][..],
            "examples/analyze/public.json",
        ),
        (
            "bucket-policy",
            &["--bucket", "example-bucket"][..],
            "examples/analyze/org-path-prefix.json",
        ),
        (
            "bucket-policy",
            &["--bucket", "example-bucket"][..],
            "examples/analyze/endpoint-prefix.json",
        ),
        // An action on no resource is authorized on `*`; a resource tag is part of the witness.
        (
            "endpoint-policy",
            &s3_endpoint[..],
            "examples/analyze/endpoint-list-all.json",
        ),
        (
            "endpoint-policy",
            &s3_endpoint[..],
            "examples/analyze/endpoint-resource-tag.json",
        ),
    ] {
        replayed += replay(PERIMETER, kind, extra, policy, dir.path()).len();
    }
    assert!(replayed >= 8, "only {replayed} witnesses");
}

/// The witnesses of the perimeter vocabulary replay too. Under a perimeter that allows
/// `amazonlinux.*.amazonaws.com/*` itself, an endpoint policy granting that IAM pattern reaches
/// an object of another bucket whose name the `*` crosses into (Amazon S3 User Guide, bucket
/// naming rules), and `simulate` allows that very request; under the example perimeter, which
/// names the Amazon Linux buckets in full (`awsOwnedResources`), it reaches a bucket outside the
/// set. Under the example perimeter with an account and an OU excluded, the organisation's grant
/// reaches a principal of one of them.
#[test]
fn witnesses_of_the_perimeter_vocabulary_replay_in_simulate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let found = replay(
        PERIMETER,
        "endpoint-policy",
        &["--service", "com.amazonaws.us-east-1.s3"],
        "examples/analyze/endpoint-amazon-linux-pattern.json",
        dir.path(),
    );
    let (_, resource) = found
        .iter()
        .find(|(d, _)| d == "resource")
        .expect("a resource violation");
    let arn = resource["resource"]["arn"].as_str().expect("arn");
    let example_perimeter = perimeter_guard::perimeter::load_perimeters(
        &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PERIMETER))
            .expect("read"),
        PERIMETER,
    )
    .expect("valid")
    .remove(0)
    .to_perimeter();
    assert!(
        arn.starts_with("arn:aws:s3:::amazonlinux.") && !example_perimeter.allowed_resource(arn),
        "{arn}"
    );
    let wildcard = example_perimeter_with(
        dir.path(),
        "wildcard.yaml",
        "  resources:\n",
        "    allowedResources: [\"arn:aws:s3:::amazonlinux.*.amazonaws.com/*\"]\n",
    );
    let found = replay(
        &wildcard,
        "endpoint-policy",
        &["--service", "com.amazonaws.us-east-1.s3"],
        "examples/analyze/endpoint-amazon-linux-pattern.json",
        dir.path(),
    );
    let (_, resource) = found
        .iter()
        .find(|(d, _)| d == "resource")
        .expect("a resource violation");
    let arn = resource["resource"]["arn"].as_str().expect("arn");
    let bucket = arn
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.split_once('/'))
        .map(|(b, _)| b)
        .expect("an object ARN");
    assert!(
        bucket.starts_with("amazonlinux.") && !bucket.ends_with(".amazonaws.com"),
        "{arn}"
    );

    let example =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PERIMETER))
            .expect("read");
    let excluding = example.replace(
        "    trustAwsServicePrincipals: true\n",
        "    trustAwsServicePrincipals: true\n    excludedAccounts: [\"444455556666\"]\n    excludedOrgPaths: [o-abc123def4/r-ab12/ou-ab12-22222222/]\n",
    );
    assert_ne!(excluding, example);
    let perimeter = dir.path().join("excluding.yaml");
    std::fs::write(&perimeter, excluding).expect("write");
    let found = replay(
        perimeter.to_str().expect("utf-8"),
        "bucket-policy",
        &["--bucket", "example-bucket"],
        "examples/analyze/org-wide-grant.json",
        dir.path(),
    );
    let (_, identity) = found
        .iter()
        .find(|(d, _)| d == "identity")
        .expect("an identity violation");
    let principal = &identity["principal"];
    let excluded_account = principal["arn"]
        .as_str()
        .is_some_and(|a| a.contains(":444455556666:"));
    let excluded_ou = principal["orgPaths"].as_array().is_some_and(|p| {
        p.iter()
            .any(|p| p == "o-abc123def4/r-ab12/ou-ab12-22222222/")
    });
    assert!(excluded_account || excluded_ou, "{principal:#}");
    // The example perimeter, which excludes neither, has no identity finding for it.
    let (_, report) = analyze_json(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        "examples/analyze/org-wide-grant.json",
    );
    let identity = report["dimensions"]
        .as_array()
        .expect("dimensions")
        .iter()
        .find(|d| d["dimension"] == "identity")
        .expect("identity analysed");
    assert_eq!(identity["verdict"], "complies", "{report:#}");
}

/// The org-path pattern without its `/` grants an organization whose id extends the trusted
/// one (IAM User Guide, aws:PrincipalOrgPaths); its twin with the separator grants only the
/// trusted organization's paths and complies on identity.
#[test]
fn the_org_path_prefix_witness_is_another_organization_and_its_twin_complies() {
    let found = witnesses("examples/analyze/org-path-prefix.json");
    let (_, identity) = found
        .iter()
        .find(|(d, _)| d == "identity")
        .expect("an identity violation");
    let org = identity["principal"]["organization"]
        .as_str()
        .expect("organization");
    assert!(
        org.starts_with("o-abc123def4") && org != "o-abc123def4" && is_org_id(org),
        "{org}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let strict = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/analyze/org-path-prefix.json"),
    )
    .expect("read")
    .replace("o-abc123def4*", "o-abc123def4/*");
    let file = dir.path().join("strict.json");
    std::fs::write(&file, strict).expect("write");
    let (_, report) = analyze_json(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        file.to_str().expect("utf-8"),
    );
    let identity = report["dimensions"]
        .as_array()
        .expect("dimensions")
        .iter()
        .find(|d| d["dimension"] == "identity")
        .expect("identity analysed");
    assert_eq!(identity["verdict"], "complies", "{report:#}");
}

/// The example perimeter with `extra` inserted after its identity's service-principal line.
fn example_perimeter_with(dir: &std::path::Path, name: &str, anchor: &str, extra: &str) -> String {
    let example =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PERIMETER))
            .expect("read");
    let edited = example.replace(anchor, &format!("{anchor}{extra}"));
    assert_ne!(edited, example, "{anchor}");
    let path = dir.join(name);
    std::fs::write(&path, edited).expect("write");
    path.to_str().expect("utf-8").to_owned()
}

fn verdict_of(report: &Value, dimension: &str) -> String {
    report["dimensions"]
        .as_array()
        .expect("dimensions")
        .iter()
        .find(|d| d["dimension"] == dimension)
        .and_then(|d| d["verdict"].as_str())
        .unwrap_or_else(|| panic!("{dimension} analysed: {report:#}"))
        .to_owned()
}

/// AWS's network perimeter by endpoint owner (IAM User Guide, aws:VpceOrgID): under the example
/// perimeter, which lists one endpoint, the grant reaches another endpoint of the organization, a
/// request `simulate` allows; declaring the organization's endpoints, it complies.
#[test]
fn the_endpoint_organization_witness_replays_and_its_declaration_complies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = "examples/analyze/vpce-org-grant.json";
    let found = replay(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        policy,
        dir.path(),
    );
    let (_, network) = found
        .iter()
        .find(|(d, _)| d == "network")
        .expect("a network violation");
    assert_eq!(
        network["context"]["aws:VpceOrgID"], "o-abc123def4",
        "{network:#}"
    );
    assert_ne!(
        network["context"]["aws:SourceVpce"], "vpce-1a2b3c4d",
        "{network:#}"
    );
    let declared = example_perimeter_with(
        dir.path(),
        "endpoint-org.yaml",
        "    allowedSourceIps: [203.0.113.0/24]\n",
        "    trustedEndpointOrganizations: [o-abc123def4]\n",
    );
    let (_, report) = analyze_json(
        &declared,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        policy,
    );
    assert_eq!(verdict_of(&report, "network"), "complies", "{report:#}");
}

/// The confused deputy (IAM User Guide, "The confused deputy problem"): with service principals
/// pinned to the organization's accounts, an unpinned CloudFront grant reaches a distribution of
/// another account, and `simulate` allows that request; the example perimeter, which trusts every
/// service principal, has no identity finding for it.
#[test]
fn the_confused_deputy_witness_replays_in_simulate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = "examples/analyze/cloudfront-unpinned.json";
    let pinned = example_perimeter_with(
        dir.path(),
        "sources.yaml",
        "    trustAwsServicePrincipals: true\n",
        "    servicePrincipalSources: {accounts: [\"111122223333\"]}\n",
    );
    let found = replay(
        &pinned,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        policy,
        dir.path(),
    );
    let (_, identity) = found
        .iter()
        .find(|(d, _)| d == "identity")
        .expect("an identity violation");
    let source = identity["context"]["aws:SourceAccount"]
        .as_str()
        .unwrap_or_else(|| panic!("{identity:#}"));
    assert_ne!(source, "111122223333");
    let (_, report) = analyze_json(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        policy,
    );
    assert_eq!(verdict_of(&report, "identity"), "complies", "{report:#}");
}

/// S3's other doors: a request to an access point carries the access point's ARN, account and
/// network origin; the delegation pattern's witness goes through another account's access point;
/// a directory bucket's is an S3 Express session. Each replays through `simulate`.
#[test]
fn witnesses_through_access_points_and_directory_buckets_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let found = replay(
        PERIMETER,
        "access-point-policy",
        &[],
        "examples/analyze/access-point-public.json",
        dir.path(),
    );
    let context = &found[0].1["context"];
    assert_eq!(
        context["s3:DataAccessPointArn"], "arn:aws:s3:us-east-1:111122223333:accesspoint/reports",
        "{:#}",
        found[0].1
    );
    assert_eq!(context["s3:DataAccessPointAccount"], "111122223333");
    assert_eq!(context["s3:AccessPointNetworkOrigin"], "Internet");

    // An access point the policy names only by a condition (`accesspoint/ap*`) and a Resource
    // pattern (`home/` objects): the witness's access point meets both.
    let found = replay(
        PERIMETER,
        "access-point-policy",
        &[],
        "examples/analyze/access-point-name-from-condition.json",
        dir.path(),
    );
    assert!(!found.is_empty());
    for (_, request) in &found {
        let ap = request["context"]["s3:DataAccessPointArn"]
            .as_str()
            .unwrap_or_default();
        assert!(
            ap.starts_with("arn:aws:s3:eu-west-1:111122223333:accesspoint/ap"),
            "{request:#}"
        );
        assert!(
            request["resource"]["arn"]
                .as_str()
                .is_some_and(|arn| arn.starts_with(&format!("{ap}/object/home/"))),
            "{request:#}"
        );
    }

    // An access point named only by an `s3:DataAccessPointArn` condition, of an account the
    // perimeter does not list: its owner is tried, and an untrusted organization reaches it; its
    // twin grants only the trusted organization, and its identity check complies.
    let found = replay(
        PERIMETER,
        "access-point-policy",
        &[],
        "examples/analyze/access-point-named-by-condition.json",
        dir.path(),
    );
    let (_, identity) = found
        .iter()
        .find(|(dimension, _)| dimension == "identity")
        .expect("an identity witness");
    assert_eq!(
        identity["context"]["s3:DataAccessPointArn"],
        "arn:aws:s3:us-east-1:555566667777:accesspoint/reports",
        "{identity:#}"
    );
    let request = common::witness::request_document(identity);
    assert_eq!(
        request["principal"]["organization"], "o-partner0001",
        "{request:#}"
    );
    let (_, twin) = analyze_json(
        PERIMETER,
        "access-point-policy",
        &[],
        "examples/analyze/access-point-named-by-condition-org.json",
    );
    assert_eq!(verdict_of(&twin, "identity"), "complies", "{twin:#}");

    let found = replay(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        "examples/analyze/delegation-any-account.json",
        dir.path(),
    );
    let through = found[0].1["context"]["s3:DataAccessPointArn"]
        .as_str()
        .expect("the witness goes through an access point")
        .to_owned();
    let account = found[0].1["context"]["s3:DataAccessPointAccount"]
        .as_str()
        .expect("with its account")
        .to_owned();
    assert!(
        through.starts_with(&format!("arn:aws:s3:us-east-1:{account}:accesspoint/"))
            && account != "111122223333",
        "{through}"
    );
    // Its twin names the trusted account: those access points' own policies are checked.
    let (code, report) = analyze_json(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        "examples/analyze/delegation-trusted-account.json",
    );
    assert_eq!(code, Some(0), "{report:#}");

    let found = replay(
        PERIMETER,
        "bucket-policy",
        &[],
        "examples/analyze/directory-bucket-partner.json",
        dir.path(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1["action"], "s3express:CreateSession");
}

/// One grant per team folder to a partner account (the search reads them as one statement): each
/// witness replays in `simulate`, reaches a team's folder, and names the statement that grants
/// that folder, as written.
#[test]
fn witnesses_of_grants_searched_as_one_name_their_own_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let found = replay(
        PERIMETER,
        "bucket-policy",
        &["--bucket", "example-bucket"],
        "examples/analyze/per-team-grants.json",
        dir.path(),
    );
    assert!(!found.is_empty());
    for (_, witness) in &found {
        let team = witness["resource"]["arn"]
            .as_str()
            .and_then(|arn| arn.strip_prefix("arn:aws:s3:::example-bucket/team-"))
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("a team folder: {witness:#}"))
            .to_owned();
        let sids: Vec<&str> = witness["statements"]
            .as_array()
            .expect("statements")
            .iter()
            .filter_map(|s| s["sid"].as_str())
            .collect();
        assert_eq!(sids, [format!("Team{team}")], "{witness:#}");
    }
}

/// A guardrail's witness is a request it fails to deny: `simulate`, given the RCP as a resource
/// policy and the SCP as an identity policy (their shapes: AWS Organizations User Guide, "RCP
/// syntax", "SCP syntax"), does not deny it; an SCP with an Allow list allows it.
#[test]
fn every_guardrail_witness_is_not_denied_by_simulate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rcp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":["o-abc123def4","o-zzz999yyy8"]},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}"#;
    let scp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpce":["vpce-1a2b3c4d","vpce-0f0e0d0c"]},"BoolIfExists":{"aws:ViaAWSService":"false"}}},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let mut replayed = 0;
    for (kind, simulate_kind, document, expected) in [
        (
            "resource-control-policy",
            "resource-policy",
            rcp,
            "decision: ImplicitDeny\n",
        ),
        (
            "service-control-policy",
            "identity-policy",
            scp,
            "decision: Allow\n",
        ),
    ] {
        let policy = dir.path().join(format!("{kind}.json"));
        std::fs::write(&policy, document).expect("write");
        let policy = policy.to_str().expect("utf-8");
        let found = witnesses_as(PERIMETER, kind, &[], policy);
        assert!(!found.is_empty(), "{kind}: no witness");
        for (i, (dimension, witness)) in found.iter().enumerate() {
            let request = common::witness::request_document(witness);
            let file = dir.path().join(format!("request-{kind}-{i}.json"));
            std::fs::write(&file, request.to_string()).expect("write");
            let out = simulate(simulate_kind, policy, &file);
            assert!(
                text(&out.stdout).starts_with(expected),
                "{kind} {dimension}: {}\n{request:#}",
                text(&out.stdout)
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 2, "only {replayed} witnesses");
}

/// `simulate --kind KIND POLICY --request FILE`, which must decide (exit 0).
fn simulate(kind: &str, policy: &str, request: &std::path::Path) -> std::process::Output {
    let out = run(
        &[
            "simulate",
            "--kind",
            kind,
            policy,
            "--request",
            request.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}
