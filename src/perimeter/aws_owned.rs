//! AWS-owned resource sets (`spec.resources.awsOwnedResources`): named, curated lists of the
//! buckets that AWS owns and that instances reach through an Amazon S3 endpoint, without
//! credentials or with URLs an AWS service presigns, so that no condition on the caller's or the
//! bucket's organisation can let them through. A perimeter that names a set allows its buckets
//! as it allows `allowedResources`.
//!
//! The sets are data, `aws_owned_resources.yaml` beside this file, compiled in: each names the
//! AWS pages it comes from, and each bucket is a name template expanded for the Regions its list
//! states. Every expanded name is concrete, never a pattern: a wildcard would also name buckets
//! that anyone can create, which is what the perimeter keeps out.
//!
//! The same data explains an endpoint policy's identity and resource findings (DP-EP-002,
//! DP-EP-003): a Resource pattern that is the wildcard form of a set's template ([`fix`]) is
//! answered with the names to write instead, and a set's own bucket with the set to declare.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::iam::arn;
use crate::iam::pattern::{self, Tok};

const DATA: &str = include_str!("aws_owned_resources.yaml");

/// The placeholder of a bucket name template.
const REGION: &str = "{region}";

/// A page a set or a Region list comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocPage {
    pub title: String,
    pub url: String,
}

/// A named set of AWS-owned buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOwnedSet {
    /// As written in `spec.resources.awsOwnedResources`, e.g. `amazon-linux-repositories`.
    pub name: String,
    pub description: String,
    pub sources: Vec<DocPage>,
    pub buckets: Vec<OwnedBucket>,
    /// [`AwsOwnedSet::arns`] as patterns, made once: every review's perimeter holds them.
    pub globs: Vec<Vec<Tok>>,
}

/// One bucket name template of a set and the Regions it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedBucket {
    /// The name with one `{region}`, e.g. `prod-{region}-starport-layer-bucket`.
    pub template: String,
    /// The `aws` partition Regions the template is expanded for.
    pub regions: Vec<String>,
    /// Where the Regions come from.
    pub region_sources: Vec<DocPage>,
}

impl OwnedBucket {
    /// The bucket's name in one Region.
    pub fn name_in(&self, region: &str) -> String {
        self.template.replace(REGION, region)
    }

    /// The ARN of the bucket's objects in one Region, as AWS's pages grant them.
    pub fn arn_in(&self, region: &str) -> String {
        format!("arn:aws:s3:::{}/*", self.name_in(region))
    }

    /// The object ARN with its `{region}` left in, for messages.
    pub fn arn_template(&self) -> String {
        format!("arn:aws:s3:::{}/*", self.template)
    }
}

impl AwsOwnedSet {
    /// Every ARN the set allows: each template's objects in each of its Regions.
    pub fn arns(&self) -> Vec<String> {
        self.buckets
            .iter()
            .flat_map(|b| b.regions.iter().map(|r| b.arn_in(r)))
            .collect()
    }
}

/// Why the compiled-in data is unusable; the unit tests load it, so this is a build defect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("aws_owned_resources.yaml: {0}")]
    Unreadable(String),
    #[error("aws_owned_resources.yaml: {at}: {problem}")]
    Invalid { at: String, problem: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    regions: Vec<RegionListEntry>,
    sets: Vec<SetEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionListEntry {
    id: String,
    sources: Vec<DocPage>,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetEntry {
    name: String,
    description: String,
    sources: Vec<DocPage>,
    buckets: Vec<BucketEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketEntry {
    template: String,
    regions: String,
}

static SETS: LazyLock<Vec<AwsOwnedSet>> = LazyLock::new(|| {
    // Compiled-in data that the unit tests load: failing here is a build defect, and a perimeter
    // cannot be judged without the sets it names.
    load(DATA).unwrap_or_else(|e| panic!("{e}"))
});

/// Every set, in the data's order.
pub fn sets() -> &'static [AwsOwnedSet] {
    &SETS
}

/// The set of that name.
pub fn set(name: &str) -> Option<&'static AwsOwnedSet> {
    sets().iter().find(|s| s.name == name)
}

/// The names a perimeter may write, in the data's order.
pub fn names() -> Vec<&'static str> {
    sets().iter().map(|s| s.name.as_str()).collect()
}

/// Reads and checks the data: every name is a kebab-case word list, every page an https URL with
/// a title, every template has exactly one `{region}` and no wildcard, every expanded name is a
/// valid bucket name, and no bucket is listed twice.
fn load(text: &str) -> Result<Vec<AwsOwnedSet>, DataError> {
    let invalid = |at: String, problem: &str| DataError::Invalid {
        at,
        problem: problem.to_owned(),
    };
    let value = crate::yaml::to_json(text).map_err(|e| DataError::Unreadable(e.to_string()))?;
    let file: DataFile =
        serde_json::from_value(value).map_err(|e| DataError::Unreadable(e.to_string()))?;
    let pages = |at: &str, pages: &[DocPage]| -> Result<(), DataError> {
        if pages.is_empty() {
            return Err(invalid(at.to_owned(), "names no source page"));
        }
        for (i, p) in pages.iter().enumerate() {
            if p.title.trim().is_empty() || !p.url.starts_with("https://") {
                return Err(invalid(
                    format!("{at}.sources[{i}]"),
                    "needs a title and an https URL",
                ));
            }
        }
        Ok(())
    };
    for (i, list) in file.regions.iter().enumerate() {
        let at = format!("regions[{i}] ({})", list.id);
        pages(&at, &list.sources)?;
        if list.names.is_empty() {
            return Err(invalid(at, "lists no Region"));
        }
        let mut seen = BTreeSet::new();
        for r in &list.names {
            if !is_region(r) || !seen.insert(r) {
                return Err(invalid(
                    at,
                    &format!("{r:?} is not a Region code or is listed twice"),
                ));
            }
        }
        if file.regions[..i].iter().any(|l| l.id == list.id) {
            return Err(invalid(at, "is defined twice"));
        }
    }
    let mut out: Vec<AwsOwnedSet> = Vec::new();
    let mut buckets_seen = BTreeSet::new();
    for (i, entry) in file.sets.into_iter().enumerate() {
        let at = format!("sets[{i}] ({})", entry.name);
        if !is_kebab(&entry.name) || out.iter().any(|s| s.name == entry.name) {
            return Err(invalid(
                at,
                "a set name is lower-case words joined by hyphens, once",
            ));
        }
        if entry.description.trim().is_empty() {
            return Err(invalid(at, "has no description"));
        }
        pages(&at, &entry.sources)?;
        if entry.buckets.is_empty() {
            return Err(invalid(at, "lists no bucket"));
        }
        let mut buckets = Vec::new();
        for (j, b) in entry.buckets.into_iter().enumerate() {
            let at = format!("{at}.buckets[{j}] ({})", b.template);
            if b.template.matches(REGION).count() != 1 || b.template.contains(['*', '?']) {
                return Err(invalid(
                    at,
                    "a template has exactly one {region} and no wildcard",
                ));
            }
            let Some(list) = file.regions.iter().find(|l| l.id == b.regions) else {
                return Err(invalid(at, "names a Region list that is not defined"));
            };
            let bucket = OwnedBucket {
                template: b.template,
                regions: list.names.clone(),
                region_sources: list.sources.clone(),
            };
            for r in &bucket.regions {
                let name = bucket.name_in(r);
                if !arn::is_bucket_name(&name) {
                    return Err(invalid(at, &format!("{name:?} is not a bucket name")));
                }
                if !buckets_seen.insert(name.clone()) {
                    return Err(invalid(at, &format!("{name:?} is listed twice")));
                }
            }
            buckets.push(bucket);
        }
        let mut set = AwsOwnedSet {
            name: entry.name,
            description: entry.description.trim().to_owned(),
            sources: entry.sources,
            buckets,
            globs: Vec::new(),
        };
        set.globs = set.arns().iter().map(|a| pattern::glob(a)).collect();
        out.push(set);
    }
    if out.is_empty() {
        return Err(invalid("sets".into(), "lists no set"));
    }
    Ok(out)
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `us-east-1`, `ap-southeast-4`: lower-case words joined by hyphens, the last a number.
fn is_region(name: &str) -> bool {
    is_kebab(name)
        && name.contains('-')
        && name
            .rsplit('-')
            .next()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// A Resource pattern of the policy, as written and compiled.
pub struct ResourcePattern<'a> {
    pub raw: &'a str,
    pub tokens: &'a [Tok],
}

/// The fix for an endpoint policy's identity or resource finding (DP-EP-002, DP-EP-003) whose
/// witness reaches `witness_arn` through statements with the Resource `patterns`, when AWS-owned
/// buckets explain it; `None` leaves the rule's own fix.
///
/// Two cases. A pattern whose bucket name is the wildcard form of a set's template
/// (`amazonlinux.*.amazonaws.com`) also names buckets that are not AWS's, which anyone can
/// create: when one such pattern reaches the witness, the fix gives, for every such pattern of
/// the statements, the concrete names to grant instead, for `region` (the Region the endpoint
/// reaches Amazon S3 in) when the template covers it, else the template and its Regions. A
/// witness that is one of a set's own buckets, in a perimeter that does not name the set, is
/// answered with the set to declare. `declared` is the perimeter's `awsOwnedResources`.
pub fn fix(
    patterns: &[ResourcePattern<'_>],
    witness_arn: &str,
    declared: &[String],
    region: Option<&str>,
) -> Option<String> {
    let mut advice = Vec::new();
    let mut reaches_witness = false;
    for p in patterns {
        for set in sets() {
            for bucket in set.buckets.iter().filter(|b| widens(p.tokens, b)) {
                reaches_witness |= arn::matches(p.tokens, witness_arn);
                advice.push(widened(p.raw, set, bucket, declared, region));
            }
        }
    }
    if reaches_witness {
        return Some(advice.join("; "));
    }
    let set = sets().iter().find(|s| {
        !declared.contains(&s.name)
            && s.arns()
                .iter()
                .any(|a| arn::matches_by_bucket(&pattern::glob(a), witness_arn))
    })?;
    let bucket = arn::split(witness_arn)
        .map(|parts| parts[5].split('/').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    Some(format!(
        "{bucket} is an AWS-owned bucket of the set {name}: declare `resources.awsOwnedResources: [{name}]` \
         so that the perimeter allows it and the set's other names (see docs/configuration.md)",
        name = set.name
    ))
}

/// Whether an S3 Resource pattern's bucket name is a wildcard form of the template: it has a
/// wildcard and some literal text, and matches the template's name in one of its Regions. A
/// pattern of nothing but wildcards names every bucket, not a set's, and is left to the rule's
/// own fix.
fn widens(tokens: &[Tok], bucket: &OwnedBucket) -> bool {
    let Some(parts) = arn::split_tokens(tokens) else {
        return false;
    };
    let s3 = ["arn", "aws", "s3", "", ""];
    if !parts[..5]
        .iter()
        .zip(s3)
        .all(|(p, want)| pattern::matches(p, want))
    {
        return false;
    }
    // The name is what comes before the first `/` the pattern writes; IAM's `*` may cross it,
    // which is why a wildcard here is a finding at all.
    let name = match parts[5].iter().position(|t| *t == Tok::Lit('/')) {
        Some(i) => &parts[5][..i],
        None => parts[5],
    };
    pattern::has_wildcard(name)
        && name.iter().any(|t| matches!(t, Tok::Lit(_)))
        && bucket
            .regions
            .iter()
            .any(|r| pattern::matches(name, &bucket.name_in(r)))
}

/// The fix for one pattern that widens one template.
fn widened(
    raw: &str,
    set: &AwsOwnedSet,
    bucket: &OwnedBucket,
    declared: &[String],
    region: Option<&str>,
) -> String {
    let names = match region.filter(|r| bucket.regions.iter().any(|b| b == r)) {
        Some(r) => format!(
            "{} ({r}, the Region this endpoint reaches Amazon S3 in; one ARN per Region, never a wildcard)",
            bucket.arn_in(r)
        ),
        None => format!(
            "one ARN per Region you use, {} with {REGION} one of {}",
            bucket.arn_template(),
            bucket.regions.join(", ")
        ),
    };
    let perimeter = if declared.contains(&set.name) {
        format!("which `resources.awsOwnedResources: [{}]` allows", set.name)
    } else {
        format!(
            "and declare `resources.awsOwnedResources: [{}]` so that the perimeter allows them",
            set.name
        )
    };
    format!(
        "`{}` is the wildcard form of the AWS-owned buckets {} of the set {}, and its wildcard also \
         names buckets that are not AWS's, which anyone can create (IAM's `*` even crosses the `/` \
         that ends a bucket name): grant {names}, {perimeter}",
        excerpt(raw),
        bucket.arn_template(),
        set.name
    )
}

/// Policy text quoted in a fix, cut to a readable length: it is tenant input.
fn excerpt(raw: &str) -> String {
    const MAX: usize = 120;
    if raw.chars().count() <= MAX {
        raw.to_owned()
    } else {
        raw.chars().take(MAX - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests;
