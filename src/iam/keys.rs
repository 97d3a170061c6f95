//! The `aws:` global condition keys AWS documents. A policy naming any other `aws:` key is
//! rejected: an unknown key is never present, so a misspelt key silently changes what a policy
//! allows (Access Analyzer reports it as "Invalid global condition key").

use crate::iam::error::Malformed;

/// The value type AWS documents for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    String,
    Arn,
    Bool,
    Date,
    Numeric,
    Ip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalKey {
    /// The canonical spelling (for messages); lookups are case-insensitive.
    pub name: &'static str,
    pub value_type: KeyType,
    /// Multivalued keys must be used with `ForAllValues:` / `ForAnyValue:`.
    pub multivalued: bool,
    /// `aws:PrincipalTag/` and friends: the name is a prefix followed by a tag key.
    pub tag_prefix: bool,
}

const fn key(name: &'static str, value_type: KeyType) -> GlobalKey {
    GlobalKey {
        name,
        value_type,
        multivalued: false,
        tag_prefix: false,
    }
}

const fn multi(name: &'static str) -> GlobalKey {
    GlobalKey {
        name,
        value_type: KeyType::String,
        multivalued: true,
        tag_prefix: false,
    }
}

const fn tag(name: &'static str) -> GlobalKey {
    GlobalKey {
        name,
        value_type: KeyType::String,
        multivalued: false,
        tag_prefix: true,
    }
}

const STR: KeyType = KeyType::String;
const ARN: KeyType = KeyType::Arn;
const BOOL: KeyType = KeyType::Bool;
const DATE: KeyType = KeyType::Date;
const NUM: KeyType = KeyType::Numeric;
const IP: KeyType = KeyType::Ip;

/// From the IAM User Guide page "AWS global condition context keys", plus the legacy
/// `aws:SourceOwner` that SNS still writes into default topic policies.
pub const GLOBAL_KEYS: &[GlobalKey] = &[
    key("aws:PrincipalArn", ARN),
    key("aws:PrincipalAccount", STR),
    multi("aws:PrincipalOrgPaths"),
    key("aws:PrincipalOrgID", STR),
    tag("aws:PrincipalTag/"),
    key("aws:PrincipalIsAWSService", BOOL),
    key("aws:PrincipalServiceName", STR),
    multi("aws:PrincipalServiceNamesList"),
    key("aws:PrincipalType", STR),
    key("aws:userid", STR),
    key("aws:username", STR),
    key("aws:AssumedRoot", BOOL),
    key("aws:FederatedProvider", STR),
    key("aws:TokenIssueTime", DATE),
    key("aws:SignInSessionArn", ARN),
    key("aws:MultiFactorAuthAge", NUM),
    key("aws:MultiFactorAuthPresent", BOOL),
    key("aws:ChatbotSourceArn", ARN),
    key("aws:Ec2InstanceSourceVpc", STR),
    key("aws:Ec2InstanceSourcePrivateIPv4", IP),
    key("aws:SourceIdentity", STR),
    key("aws:SourceIp", IP),
    key("aws:SourceVpc", STR),
    key("aws:SourceVpcArn", ARN),
    key("aws:SourceVpce", STR),
    key("aws:VpceAccount", STR),
    key("aws:VpceOrgID", STR),
    multi("aws:VpceOrgPaths"),
    key("aws:VpcSourceIp", IP),
    key("aws:ResourceAccount", STR),
    key("aws:ResourceOrgID", STR),
    multi("aws:ResourceOrgPaths"),
    tag("aws:ResourceTag/"),
    multi("aws:CalledVia"),
    key("aws:CalledViaFirst", STR),
    key("aws:CalledViaLast", STR),
    key("aws:CalledViaAWSMCP", STR),
    key("aws:ViaAWSService", BOOL),
    key("aws:ViaAWSMCPService", BOOL),
    key("aws:CurrentTime", DATE),
    key("aws:EpochTime", DATE),
    key("aws:referer", STR),
    key("aws:RequestedRegion", STR),
    tag("aws:RequestTag/"),
    multi("aws:TagKeys"),
    key("aws:SecureTransport", BOOL),
    key("aws:SourceAccount", STR),
    key("aws:SourceArn", ARN),
    key("aws:SourceOrgID", STR),
    multi("aws:SourceOrgPaths"),
    key("aws:SourceOwner", STR),
    key("aws:UserAgent", STR),
    key("aws:IsMcpServiceAction", BOOL),
];

/// Looks a global key up by its name in any case. `None` for names that are not `aws:` keys or
/// that AWS does not define.
pub fn global(name: &str) -> Option<&'static GlobalKey> {
    GLOBAL_KEYS.iter().find(|k| {
        if k.tag_prefix {
            name.len() > k.name.len()
                && name.is_char_boundary(k.name.len())
                && name[..k.name.len()].eq_ignore_ascii_case(k.name)
        } else {
            name.eq_ignore_ascii_case(k.name)
        }
    })
}

/// Checks a condition key's spelling: `prefix:name`, and an `aws:` key must be a real one.
pub fn validate(name: &str) -> Result<Option<&'static GlobalKey>, Malformed> {
    let Some((prefix, rest)) = name.split_once(':') else {
        return Err("a condition key is written prefix:name".into());
    };
    if prefix.is_empty() || rest.is_empty() || name.chars().any(char::is_whitespace) {
        return Err("a condition key is written prefix:name, without spaces".into());
    }
    if prefix.eq_ignore_ascii_case("aws") {
        return match global(name) {
            Some(k) => Ok(Some(k)),
            None => Err("not an AWS global condition key (a misspelt key is never present in a request, which silently changes what the policy allows)".into()),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(global("AWS:SOURCEVPCE").unwrap().name, "aws:SourceVpce");
        assert_eq!(global("aws:sourceip").unwrap().value_type, KeyType::Ip);
        assert!(global("aws:PrincipalOrgPaths").unwrap().multivalued);
    }

    #[test]
    fn tag_keys_need_a_tag_name() {
        assert!(global("aws:PrincipalTag/team").unwrap().tag_prefix);
        assert!(global("aws:principaltag/dp:exclude:resource").is_some());
        assert!(global("aws:PrincipalTag/").is_none());
        assert!(global("aws:PrincipalTag").is_none());
    }

    #[test]
    fn unknown_aws_keys_are_rejected_other_prefixes_pass() {
        assert!(validate("aws:SourceVpcId").is_err());
        assert!(validate("aws:PrincipalOrgId").is_ok());
        assert_eq!(validate("s3:x-amz-acl").unwrap(), None);
        assert!(validate("nocolon").is_err());
        assert!(validate(":x").is_err());
        assert!(validate("s3:").is_err());
        assert!(validate("s3:a b").is_err());
    }

    #[test]
    fn no_duplicate_entries() {
        for (i, a) in GLOBAL_KEYS.iter().enumerate() {
            for b in &GLOBAL_KEYS[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "{}", a.name);
            }
        }
    }
}
