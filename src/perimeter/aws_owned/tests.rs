use super::*;

fn glob(text: &str) -> Vec<Tok> {
    pattern::glob(text)
}

fn bucket(set: &str, template: &str) -> &'static OwnedBucket {
    super::set(set)
        .and_then(|s| s.buckets.iter().find(|b| b.template == template))
        .unwrap_or_else(|| panic!("{set}: {template}"))
}

#[test]
fn the_data_loads_and_every_name_is_concrete() {
    assert_eq!(names(), ["amazon-linux-repositories", "ecr-image-layers"]);
    for s in sets() {
        assert!(
            s.sources
                .iter()
                .any(|p| p.url.starts_with("https://docs.aws.amazon.com/")),
            "{}: an AWS documentation page",
            s.name
        );
        for b in &s.buckets {
            assert!(
                !b.regions.is_empty() && !b.region_sources.is_empty(),
                "{b:?}"
            );
        }
        for a in s.arns() {
            let name = a
                .strip_prefix("arn:aws:s3:::")
                .and_then(|r| r.strip_suffix("/*"))
                .unwrap_or_else(|| panic!("{a}: the objects of one bucket"));
            assert!(arn::is_bucket_name(name), "{a}");
            assert!(!name.contains(['*', '?', '{', '}']), "{a}");
        }
    }
}

/// The names AWS's own data-perimeter example grants in us-east-1 (its instantiated S3 endpoint
/// policy) are the sets' us-east-1 names.
#[test]
fn the_sets_hold_the_names_aws_examples_grant() {
    let al = set("amazon-linux-repositories").expect("set").arns();
    for name in [
        "al2023-repos-us-east-1-de612dc2",
        "amazonlinux-2-repos-us-east-1",
        "amazonlinux.us-east-1.amazonaws.com",
        "packages.us-east-1.amazonaws.com",
        "repo.us-east-1.amazonaws.com",
    ] {
        assert!(al.contains(&format!("arn:aws:s3:::{name}/*")), "{name}");
    }
    let ecr = set("ecr-image-layers").expect("set").arns();
    assert!(ecr.contains(&"arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*".to_owned()));
    assert_eq!(
        ecr.len(),
        bucket("ecr-image-layers", "prod-{region}-starport-layer-bucket")
            .regions
            .len()
    );
    assert!(set("ssm-agent").is_none());
}

#[test]
fn each_template_covers_only_its_list_s_regions() {
    let al1 = bucket(
        "amazon-linux-repositories",
        "packages.{region}.amazonaws.com",
    );
    let al2023 = bucket(
        "amazon-linux-repositories",
        "al2023-repos-{region}-de612dc2",
    );
    assert!(al1.regions.iter().any(|r| r == "ap-south-2"));
    assert!(
        !al1.regions.iter().any(|r| r == "eu-west-1"),
        "not on the AL1 page as read"
    );
    assert!(al2023.regions.iter().any(|r| r == "eu-west-1"));
    assert!(
        !al2023.regions.iter().any(|r| r == "il-central-1"),
        "opened after March 2023"
    );
}

const GOOD: &str = r#"
regions:
  - id: two
    sources: [{title: "Regions", url: "https://docs.aws.amazon.com/general/latest/gr/ecr.html"}]
    names: [us-east-1, eu-west-1]
sets:
  - name: example-set
    description: an example
    sources: [{title: "Page", url: "https://docs.aws.amazon.com/x.html"}]
    buckets:
      - {template: "example-{region}", regions: two}
"#;

#[test]
fn malformed_data_is_refused_with_the_place() {
    let sets = load(GOOD).expect("valid");
    assert_eq!(
        sets[0].arns(),
        [
            "arn:aws:s3:::example-us-east-1/*",
            "arn:aws:s3:::example-eu-west-1/*"
        ]
    );
    let cases = [
        ("example-{region}", "example-*-{region}", "no wildcard"),
        ("example-{region}", "example", "exactly one {region}"),
        (
            "example-{region}",
            "{region}-{region}",
            "exactly one {region}",
        ),
        (
            "example-{region}",
            "Example-{region}",
            "is not a bucket name",
        ),
        ("regions: two}", "regions: three}", "not defined"),
        (
            "us-east-1, eu-west-1",
            "us-east-1, us-east-1",
            "listed twice",
        ),
        (
            "us-east-1, eu-west-1",
            "us-east-1, Europe",
            "not a Region code",
        ),
        ("name: example-set", "name: Example Set", "lower-case words"),
        (
            "https://docs.aws.amazon.com/x.html",
            "http://x",
            "https URL",
        ),
        (
            "description: an example",
            "description: ' '",
            "no description",
        ),
        (
            "      - {template: \"example-{region}\", regions: two}",
            "      - {template: \"example-{region}\", regions: two}\n      - {template: \"example-{region}\", regions: two}",
            "\"example-us-east-1\" is listed twice",
        ),
        (
            "    names: [",
            "    extra: 1\n    names: [",
            "unknown field",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(GOOD.contains(from), "{from}");
        let e = load(&GOOD.replace(from, to)).expect_err(to);
        assert!(e.to_string().contains(expected), "{to}: {e}");
        assert!(
            e.to_string().starts_with("aws_owned_resources.yaml: "),
            "{e}"
        );
    }
    let no_set = format!(
        "{}sets: []\n",
        GOOD.split("sets:").next().unwrap_or_default()
    );
    let e = load(&no_set).expect_err("no set");
    assert!(e.to_string().contains("lists no set"), "{e}");
    let unsourced = GOOD.replace(
        "sources: [{title: \"Page\", url: \"https://docs.aws.amazon.com/x.html\"}]",
        "sources: []",
    );
    assert_ne!(unsourced, GOOD);
    let e = load(&unsourced).expect_err("no source");
    assert!(
        e.to_string()
            .contains("sets[0] (example-set): names no source page"),
        "{e}"
    );
}

#[test]
fn a_pattern_widens_a_template_when_its_bucket_name_is_a_wildcard_form_of_it() {
    let amazonlinux = bucket(
        "amazon-linux-repositories",
        "amazonlinux.{region}.amazonaws.com",
    );
    let al2023 = bucket(
        "amazon-linux-repositories",
        "al2023-repos-{region}-de612dc2",
    );
    let ecr = bucket("ecr-image-layers", "prod-{region}-starport-layer-bucket");
    for (pattern, template, widened) in [
        (
            "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
            amazonlinux,
            true,
        ),
        ("arn:aws:s3:::amazonlinux.*", amazonlinux, true),
        (
            "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com*",
            amazonlinux,
            true,
        ),
        ("arn:*:s3:::amazonlinux.*.amazonaws.com", amazonlinux, true),
        ("arn:aws:s3:::*.amazonaws.com/*", amazonlinux, true),
        ("arn:aws:s3:::al2023-repos-us-east-1-*/*", al2023, true),
        ("arn:aws:s3:::al2023-repos-*/*", al2023, true),
        ("arn:aws:s3:::prod-*-starport-layer-bucket/*", ecr, true),
        (
            "arn:aws:s3:::prod-??-????-1-starport-layer-bucket/*",
            ecr,
            true,
        ),
        // Concrete names, other templates, other services, and no literal text at all.
        (
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
            ecr,
            false,
        ),
        (
            "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
            amazonlinux,
            false,
        ),
        ("arn:aws:s3:::amazonlinux.*.amazonaws.com/*", al2023, false),
        (
            "arn:aws:s3:::prod-*-starport-layer-bucket/*",
            amazonlinux,
            false,
        ),
        (
            "arn:aws:s3:::amazonlinux.*.amazonaws.com.cn/*",
            amazonlinux,
            false,
        ),
        (
            "arn:aws-cn:s3:::amazonlinux.*.amazonaws.com/*",
            amazonlinux,
            false,
        ),
        ("arn:aws:ec2:*:*:instance/amazonlinux.*", amazonlinux, false),
        ("arn:aws:s3:::*/*", amazonlinux, false),
        ("arn:aws:s3:::*", ecr, false),
        ("*", ecr, false),
    ] {
        assert_eq!(
            widens(&glob(pattern), template),
            widened,
            "{pattern} {}",
            template.template
        );
    }
}

fn fix_for(pattern: &str, arn: &str, declared: &[&str], region: Option<&str>) -> Option<String> {
    let tokens = glob(pattern);
    let declared: Vec<String> = declared.iter().map(|d| d.to_string()).collect();
    fix(
        &[ResourcePattern {
            raw: pattern,
            tokens: &tokens,
        }],
        arn,
        &declared,
        region,
    )
}

#[test]
fn the_fix_for_a_wildcard_form_names_the_set_and_the_buckets_to_grant() {
    const WIDE: &str = "arn:aws:s3:::amazonlinux.*.amazonaws.com/*";
    const WITNESS: &str = "arn:aws:s3:::amazonlinux.x/y.amazonaws.com/z";
    // The endpoint's Region known and covered: its one name.
    let f = fix_for(
        WIDE,
        WITNESS,
        &["amazon-linux-repositories"],
        Some("us-east-1"),
    )
    .expect("fix");
    assert!(f.starts_with("`arn:aws:s3:::amazonlinux.*.amazonaws.com/*` is the wildcard form of the AWS-owned buckets arn:aws:s3:::amazonlinux.{region}.amazonaws.com/* of the set amazon-linux-repositories"), "{f}");
    assert!(
        f.contains("grant arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/* (us-east-1,"),
        "{f}"
    );
    assert!(
        f.ends_with("which `resources.awsOwnedResources: [amazon-linux-repositories]` allows"),
        "{f}"
    );
    assert!(!f.contains("eu-west-1"), "{f}");
    // Unknown, or not covered: the template and every Region of its list.
    for region in [None, Some("eu-west-1")] {
        let f = fix_for(WIDE, WITNESS, &[], region).expect("fix");
        assert!(
            f.contains("one ARN per Region you use, arn:aws:s3:::amazonlinux.{region}.amazonaws.com/* with {region} one of us-east-1, us-east-2, us-west-1, us-west-2, af-south-1"),
            "{f}"
        );
        assert!(f.ends_with("and declare `resources.awsOwnedResources: [amazon-linux-repositories]` so that the perimeter allows them"), "{f}");
    }
    // A pattern that widens several templates has a fix for each.
    let f = fix_for(
        "arn:aws:s3:::*.amazonaws.com/*",
        WITNESS,
        &[],
        Some("us-east-1"),
    )
    .expect("fix");
    for name in ["amazonlinux", "packages", "repo"] {
        assert!(
            f.contains(&format!(
                "grant arn:aws:s3:::{name}.us-east-1.amazonaws.com/*"
            )),
            "{name}: {f}"
        );
    }
    assert_eq!(f.matches("; `").count(), 2, "{f}");
    // Policy text is quoted, but not at any length.
    let long = format!(
        "arn:aws:s3:::prod-*-starport-layer-bucket/{}",
        "k".repeat(500)
    );
    let witness = format!(
        "arn:aws:s3:::prod-x/y-starport-layer-bucket/{}",
        "k".repeat(500)
    );
    let f = fix_for(&long, &witness, &[], None).expect("fix");
    assert!(f.contains("kkk…` is the wildcard form"), "{f}");
    assert!(f.len() < 1_000, "{f}");
}

#[test]
fn the_fix_for_a_set_s_own_bucket_is_to_declare_the_set() {
    let arn = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/layer";
    let f = fix_for(
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
        arn,
        &[],
        None,
    )
    .expect("fix");
    assert!(f.starts_with("prod-us-east-1-starport-layer-bucket is an AWS-owned bucket of the set ecr-image-layers: declare `resources.awsOwnedResources: [ecr-image-layers]`"), "{f}");
    // Declaring the set would not admit the bucket itself (the set lists its objects), nor does a
    // declared set need declaring, nor is another bucket explained.
    let bare = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket";
    assert_eq!(fix_for(bare, bare, &[], None), None);
    assert_eq!(
        fix_for(
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
            arn,
            &["ecr-image-layers"],
            None
        ),
        None
    );
    assert_eq!(
        fix_for("arn:aws:s3:::other/*", "arn:aws:s3:::other/k", &[], None),
        None
    );
    assert_eq!(
        fix_for("*", "arn:aws:s3:::other/k", &[], Some("us-east-1")),
        None
    );
}

/// A statement's wildcard forms are all named once one of them reaches the witness; a witness
/// none of them reaches is another matter, left to the rule's own fix.
#[test]
fn the_fix_names_every_wildcard_form_of_the_statements_or_none() {
    let amazonlinux = glob("arn:aws:s3:::amazonlinux.*.amazonaws.com/*");
    let al2023 = glob("arn:aws:s3:::al2023-repos-*/*");
    let other = glob("arn:aws:s3:::other/*");
    let patterns = [
        ResourcePattern {
            raw: "arn:aws:s3:::other/*",
            tokens: &other,
        },
        ResourcePattern {
            raw: "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
            tokens: &amazonlinux,
        },
        ResourcePattern {
            raw: "arn:aws:s3:::al2023-repos-*/*",
            tokens: &al2023,
        },
    ];
    let f = fix(
        &patterns,
        "arn:aws:s3:::al2023-repos-x/y",
        &[],
        Some("us-east-1"),
    )
    .expect("fix");
    assert!(
        f.starts_with("`arn:aws:s3:::amazonlinux.*.amazonaws.com/*` is the wildcard form"),
        "{f}"
    );
    assert!(f.contains("; `arn:aws:s3:::al2023-repos-*/*` is the wildcard form of the AWS-owned buckets arn:aws:s3:::al2023-repos-{region}-de612dc2/*"), "{f}");
    assert!(
        f.contains("grant arn:aws:s3:::al2023-repos-us-east-1-de612dc2/* (us-east-1,"),
        "{f}"
    );
    assert_eq!(
        fix(&patterns, "arn:aws:s3:::other/k", &[], Some("us-east-1")),
        None
    );
}

fn perimeter(
    resources: &str,
) -> Result<crate::perimeter::DataPerimeter, crate::perimeter::ConfigError> {
    let text = format!(
        "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {{name: p}}\nspec:\n  identity: {{trustedOrganizations: [o-abc123def4]}}\n  resources: {resources}\n"
    );
    crate::perimeter::load_perimeters(&text, "p.yaml").map(|mut d| d.remove(0))
}

/// `spec.resources.awsOwnedResources`: a set's names join `allowedResources` and are read bucket
/// name first like them, so the set admits its own buckets and not a name that only looks like
/// one; the other resource lists keep their defaults.
#[test]
fn a_declared_set_allows_its_buckets_and_nothing_wider() {
    let dp = perimeter(
        "{awsOwnedResources: [amazon-linux-repositories], allowedResources: [\"arn:aws:s3:::partner/*\"]}",
    )
    .expect("valid");
    let p = dp.to_perimeter();
    assert_eq!(p.resource_orgs, ["o-abc123def4"]);
    assert_eq!(
        p.allowed_resources.len(),
        1 + set("amazon-linux-repositories").expect("set").arns().len()
    );
    for arn in [
        "arn:aws:s3:::partner/k",
        "arn:aws:s3:::al2023-repos-eu-west-1-de612dc2/core/mirrors/latest/x86_64/mirror.list",
        "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/2/core/latest/x86_64/mirror.list",
    ] {
        assert!(p.allowed_resource(arn), "{arn}");
    }
    for arn in [
        "arn:aws:s3:::amazonlinux.evil/x.amazonaws.com/y",
        "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com",
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/layer",
        "arn:aws:s3:::al2023-repos-il-central-1-de612dc2/x",
    ] {
        assert!(!p.allowed_resource(arn), "{arn}");
    }
    let without = perimeter("{}").expect("valid").to_perimeter();
    assert!(!without.allowed_resource("arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/x"));
}

#[test]
fn an_unknown_set_is_an_error_at_its_path_that_lists_the_sets() {
    let e = perimeter("{awsOwnedResources: [ecr-image-layers, amazon-linux]}").unwrap_err();
    assert_eq!(e.field, "spec.resources.awsOwnedResources[1]");
    assert_eq!(
        e.to_string(),
        "p.yaml: spec.resources.awsOwnedResources[1]: \"amazon-linux\" is not an AWS-owned \
         resource set; the sets are amazon-linux-repositories, ecr-image-layers"
    );
    let e = perimeter("{awsOwnedResources: amazon-linux-repositories}").unwrap_err();
    assert_eq!(e.field, "spec.resources.awsOwnedResources", "{e}");
}

/// The CRD's schema (the same as `spec_schema`) lists the set names, so the API server refuses
/// another name too.
#[test]
fn the_schema_lists_the_set_names() {
    let schema = crate::perimeter::config::spec_schema();
    let text = schema.to_string();
    let at = text.find("\"awsOwnedResources\"").expect("the field");
    let field = &text[at..];
    assert!(
        field.contains(r#""enum":["amazon-linux-repositories","ecr-image-layers"]"#),
        "{field}"
    );
    let description = &field[..field.find("\"items\"").expect("items")];
    assert!(
        description.contains("Named sets of AWS-owned buckets"),
        "{field}"
    );
    for name in names() {
        assert!(
            description.contains(&format!("`{name}`")),
            "the description names {name}"
        );
    }
}

/// docs/configuration.md's section on the sets says what the data says: every set, template,
/// source and Region list, and the fix and the error as Perimeter Guard writes them.
#[test]
fn the_configuration_page_describes_the_sets_as_they_are() {
    let page = include_str!("../../../docs/configuration.md");
    let section = page
        .split("\n## AWS-owned resource sets\n")
        .nth(1)
        .expect("the section")
        .split("\n## ")
        .next()
        .unwrap_or_default();
    for s in sets() {
        assert!(section.contains(&format!("| `{}` |", s.name)), "{}", s.name);
        for page in &s.sources {
            assert!(
                section.contains(&format!("]({})", page.url)),
                "{}",
                page.url
            );
        }
        for b in &s.buckets {
            assert!(
                section.contains(&format!("`{}`", b.template)),
                "{}",
                b.template
            );
            assert!(
                section.contains(&format!("**The {}**", b.regions.len())),
                "{}: {} Regions",
                b.template,
                b.regions.len()
            );
            assert!(section.contains(&b.regions.join(", ")), "{}", b.template);
            for page in &b.region_sources {
                assert!(
                    section.contains(&format!("]({})", page.url)),
                    "{}",
                    page.url
                );
            }
        }
    }
    let f = fix_for(
        "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
        "arn:aws:s3:::amazonlinux.x/y.amazonaws.com/z",
        &["amazon-linux-repositories"],
        Some("us-east-1"),
    )
    .expect("fix");
    assert!(section.contains(&format!("\nfix: {f}\n")), "{f}");
    let e = perimeter("{awsOwnedResources: [ecr-image-layers, amazon-linux]}").unwrap_err();
    assert!(
        section.contains(&e.to_string().replace("p.yaml", "perimeter.yaml")),
        "{e}"
    );
}
