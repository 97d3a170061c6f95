//! ARNs: six colon-separated components, the last one free to hold further colons.

use super::pattern::{self, Tok};

/// Splits `arn:partition:service:region:account:resource`. `None` if it is not an ARN.
pub fn split(text: &str) -> Option<[&str; 6]> {
    // A byte scan: `:` is ASCII, so every index found is a character boundary. (The reasoner
    // splits hundreds of ARNs per analysis; `splitn` costs several times more.)
    let mut parts: [&str; 6] = [""; 6];
    let mut start = 0;
    let mut colons = text.bytes().enumerate().filter(|(_, b)| *b == b':');
    for slot in parts.iter_mut().take(5) {
        let (i, _) = colons.next()?;
        *slot = &text[start..i];
        start = i + 1;
    }
    parts[5] = &text[start..];
    (parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty()).then_some(parts)
}

/// Splits pattern tokens at the first five literal colons, like [`split`] does for text.
pub fn split_tokens(toks: &[Tok]) -> Option<[&[Tok]; 6]> {
    let mut out: [&[Tok]; 6] = [&[]; 6];
    let mut rest = toks;
    for slot in out.iter_mut().take(5) {
        let colon = rest.iter().position(|t| *t == Tok::Lit(':'))?;
        *slot = &rest[..colon];
        rest = &rest[colon + 1..];
    }
    out[5] = rest;
    Some(out)
}

/// ARN matching as `ArnLike` and the Resource element do it: component by component, so a
/// wildcard never crosses a colon between components. A lone `*` matches every ARN.
pub fn matches(pattern_toks: &[Tok], arn: &str) -> bool {
    if pattern::is_match_all(pattern_toks) {
        return true;
    }
    let (Some(p), Some(a)) = (split_tokens(pattern_toks), split(arn)) else {
        return false;
    };
    p.iter()
        .zip(a.iter())
        .all(|(pc, ac)| pattern::matches(pc, ac))
}

/// An AWS Organizations path as `aws:PrincipalOrgPaths` carries it: the organization id, the root
/// (`r-` and 4 to 32 lower-case letters or digits) and any OUs (`ou-`, 4 to 32, `-`, 8 to 32 of
/// them), each followed by `/` (AWS Organizations API Reference, "Root" and "OrganizationalUnit"
/// ids; IAM User Guide, aws:PrincipalOrgPaths).
pub fn is_org_path(text: &str) -> bool {
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let Some(body) = text.strip_suffix('/') else {
        return false;
    };
    let mut parts = body.split('/');
    let (Some(org), Some(root)) = (parts.next(), parts.next()) else {
        return false;
    };
    is_org_id(org)
        && root.strip_prefix("r-").is_some_and(|r| alnum(r, 4, 32))
        && parts.all(|ou| {
            ou.strip_prefix("ou-")
                .and_then(|o| o.split_once('-'))
                .is_some_and(|(root, id)| alnum(root, 4, 32) && alnum(id, 8, 32))
        })
}

/// A perimeter's own resource pattern against an ARN: [`matches`], except that in an S3 ARN a
/// wildcard of the bucket name never crosses the `/` that ends it. IAM's `*` crosses it
/// (`arn:aws:s3:::amazonlinux.*.amazonaws.com/*` matches `arn:aws:s3:::amazonlinux.evil/x.amazonaws.com/y`),
/// so a perimeter that means "these buckets" reads its patterns bucket name first, as S3 does:
/// the name before the first `/`, the key after it.
pub fn matches_by_bucket(pattern_toks: &[Tok], arn: &str) -> bool {
    if pattern::is_match_all(pattern_toks) {
        return true;
    }
    let (Some(p), Some(a)) = (split_tokens(pattern_toks), split(arn)) else {
        return false;
    };
    if a[2] != "s3" || !a[3].is_empty() || !a[4].is_empty() {
        return matches(pattern_toks, arn);
    }
    if !p[..5]
        .iter()
        .zip(&a[..5])
        .all(|(pc, ac)| pattern::matches(pc, ac))
    {
        return false;
    }
    let slash = p[5].iter().position(|t| *t == Tok::Lit('/'));
    let (name, key) = match slash {
        Some(i) => (&p[5][..i], Some(&p[5][i + 1..])),
        None => (p[5], None),
    };
    match (a[5].split_once('/'), key) {
        (None, None) => pattern::matches(name, a[5]),
        (Some((bucket, object)), Some(key)) => {
            pattern::matches(name, bucket) && pattern::matches(key, object)
        }
        _ => false,
    }
}

/// How many components a pattern text has, counting only colons outside `${...}` variables.
pub fn pattern_components(text: &str) -> usize {
    let mut depth = 0usize;
    let mut colons = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => {
                depth += 1;
                chars.next();
            }
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => colons += 1,
            _ => {}
        }
    }
    colons + 1
}

/// A 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS Organizations organization id: `o-` and 10 to 32 lower-case letters or digits (AWS
/// Organizations API Reference, "Organization": Id, pattern `^o-[a-z0-9]{10,32}$`).
pub fn is_org_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An EC2-style resource id: the prefix (`vpc-`, `vpce-`, `subnet-`, `sg-`) and 8 or 17
/// lower-case hexadecimal digits, as EC2 assigns them (Amazon EC2 API Reference, "Vpc": VpcId,
/// "VpcEndpoint": VpcEndpointId; the 17-digit form since 2018).
pub fn is_ec2_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        (rest.len() == 8 || rest.len() == 17)
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An S3 bucket name (Amazon S3 User Guide, "General purpose bucket naming rules"): 3 to 63
/// lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit,
/// no two adjacent dots, and not an IPv4 address. The reserved prefixes and suffixes are not
/// checked: directory bucket names (`…--x-s3`) use this rule too.
pub fn is_bucket_name(text: &str) -> bool {
    let b = text.as_bytes();
    if !(3..=63).contains(&b.len())
        || !b[0].is_ascii_alphanumeric()
        || !b[b.len() - 1].is_ascii_alphanumeric()
    {
        return false;
    }
    // One pass: the reasoner checks every ARN it makes against every bucket format.
    let (mut prev, mut only_digits_and_dots) = (0u8, true);
    for &c in b {
        match c {
            b'0'..=b'9' => {}
            b'.' if prev == b'.' => return false,
            b'.' => {}
            b'a'..=b'z' | b'-' => only_digits_and_dots = false,
            _ => return false,
        }
        prev = c;
    }
    !(only_digits_and_dots && text.parse::<std::net::Ipv4Addr>().is_ok())
}

/// Whether some bucket name begins with `head`: a cheap test that a Resource pattern whose
/// literal start is, say, `DOC-EXAMPLE-BUCKET/` names no bucket that can exist.
pub fn may_begin_bucket_name(head: &str) -> bool {
    let b = head.as_bytes();
    b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b.first().is_none_or(u8::is_ascii_alphanumeric)
        && !b.windows(2).any(|w| w == b"..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::pattern::glob;

    #[test]
    fn bucket_name_heads() {
        for head in ["", "d", "doc-example", "my.bucket-1"] {
            assert!(may_begin_bucket_name(head), "{head}");
        }
        for head in ["DOC", "-b", ".b", "a..b", "a_b", &"a".repeat(64)] {
            assert!(!may_begin_bucket_name(head), "{head}");
        }
    }

    #[test]
    fn ec2_ids_have_their_documented_form() {
        assert!(is_ec2_id("vpce-1a2b3c4d", "vpce-"));
        assert!(is_ec2_id("vpc-0123456789abcdef0", "vpc-"));
        for bad in [
            "vpce-fresh0",
            "vpce-1A2B3C4D",
            "vpce-1a2b3c4",
            "vpce-1a2b3c4d5",
            "vpce-1a2b*",
        ] {
            assert!(!is_ec2_id(bad, "vpce-"), "{bad}");
        }
        assert!(!is_ec2_id("vpce-1a2b3c4d", "vpc-"));
    }

    #[test]
    fn organization_ids_have_their_documented_form() {
        for ok in ["o-abc123def4", "o-0123456789abcdef0123456789abcdef"] {
            assert!(is_org_id(ok), "{ok}");
        }
        for bad in [
            "o-abc123def",
            "O-ABC123DEF4",
            "o-abc123def4*",
            "o-0123456789abcdef0123456789abcdef0",
            "${aws:PrincipalOrgID}",
            "abc123def4",
        ] {
            assert!(!is_org_id(bad), "{bad}");
        }
    }

    #[test]
    fn splits_six_components_keeping_colons_in_the_last() {
        let p = split("arn:aws:s3:::bucket/a:b").unwrap();
        assert_eq!(p, ["arn", "aws", "s3", "", "", "bucket/a:b"]);
        assert!(split("arn:aws:s3::bucket").is_none());
        assert!(split("urn:aws:s3:::b").is_none());
        assert!(split("arn::s3:::b").is_none());
        assert!(split("").is_none());
        assert_eq!(
            split("arn:aws:sqs:us-east-1:111122223333:queue").unwrap(),
            ["arn", "aws", "sqs", "us-east-1", "111122223333", "queue"]
        );
        assert_eq!(split("arn:aws:s3:::").unwrap()[5], "");
    }

    #[test]
    fn component_matching_keeps_wildcards_inside_components() {
        // The IAM guide's example: StringLike would match, ArnLike does not.
        let pat = glob("arn:aws:someservice:*:111122223333:finance/*");
        assert!(!matches(
            &pat,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(pattern::matches(
            &pat,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(matches(
            &pat,
            "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"
        ));
    }

    #[test]
    fn star_matches_every_arn_and_resource_wildcards_cross_slashes() {
        assert!(matches(&glob("*"), "arn:aws:s3:::b/k"));
        assert!(matches(&glob("arn:aws:s3:::b/*"), "arn:aws:s3:::b/x/y:z"));
        assert!(!matches(&glob("arn:aws:s3:::b/*"), "arn:aws:s3:::b"));
        assert!(!matches(&glob("arn:aws:s3:::b/*"), "not-an-arn"));
        assert!(matches(
            &glob("arn:aws:iam::*:role/x"),
            "arn:aws:iam::111122223333:role/x"
        ));
    }

    #[test]
    fn counts_components_outside_variables() {
        assert_eq!(pattern_components("arn:aws:s3:::${aws:username}/*"), 6);
        assert_eq!(pattern_components("arn:aws:iam::*"), 5);
        assert_eq!(pattern_components("*"), 1);
    }

    #[test]
    fn org_paths_have_their_documented_form() {
        for good in [
            "o-abc123def4/r-ab12/",
            "o-abc123def4/r-ab12/ou-ab12-11111111/",
            "o-abc123def4/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
        ] {
            assert!(is_org_path(good), "{good}");
        }
        for bad in [
            "o-abc123def4/",
            "o-abc123def4/r-ab12",
            "o-abc123def4/r-AB12/",
            "o-abc123def4/r-ab12/ou-ab12/",
            "o-abc/r-ab12/",
            "o-abc123def4/r-ab12/*/",
        ] {
            assert!(!is_org_path(bad), "{bad}");
        }
    }

    #[test]
    fn perimeter_patterns_match_bucket_names_without_crossing_the_slash() {
        let g = crate::iam::pattern::glob;
        let repos = g("arn:aws:s3:::amazonlinux.*.amazonaws.com/*");
        for (arn, iam, perimeter) in [
            (
                "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/core/x.rpm",
                true,
                true,
            ),
            (
                "arn:aws:s3:::amazonlinux.evil/x.amazonaws.com/y",
                true,
                false,
            ),
            (
                "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com",
                false,
                false,
            ),
        ] {
            assert_eq!(matches(&repos, arn), iam, "{arn}");
            assert_eq!(matches_by_bucket(&repos, arn), perimeter, "{arn}");
        }
        // A pattern without `/` names buckets, not their objects; other services are unchanged.
        assert!(matches_by_bucket(
            &g("arn:aws:s3:::team-*"),
            "arn:aws:s3:::team-a"
        ));
        assert!(!matches_by_bucket(
            &g("arn:aws:s3:::team-*"),
            "arn:aws:s3:::team-a/k"
        ));
        assert!(matches_by_bucket(&g("*"), "arn:aws:s3:::team-a/k"));
        let table = g("arn:aws:dynamodb:*:111122223333:table/*");
        assert!(matches_by_bucket(
            &table,
            "arn:aws:dynamodb:us-east-1:111122223333:table/t/index/i"
        ));
    }

    #[test]
    fn bucket_names_follow_the_naming_rules() {
        for ok in [
            "example-bucket",
            "amzn-s3-demo-bucket",
            "my.bucket.1",
            "abc",
        ] {
            assert!(is_bucket_name(ok), "{ok}");
        }
        for bad in [
            "b1",
            "Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.5.4",
            "b#k",
            "",
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }

    proptest::proptest! {
        /// The one-pass check says what the naming rules say, rule by rule.
        #[test]
        fn bucket_names_one_pass_agrees_with_the_rules(
            text in proptest::prop_oneof!["[a-z0-9.A_-]{0,66}", "[0-9.]{1,16}"]
        ) {
            let b = text.as_bytes();
            let rules = (3..=63).contains(&b.len())
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && !text.contains("..")
                && text.parse::<std::net::Ipv4Addr>().is_err();
            proptest::prop_assert_eq!(is_bucket_name(&text), rules, "{}", text);
        }
    }

    #[test]
    fn account_ids() {
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333"));
        assert!(!is_account_id("11112222333a"));
    }
}
