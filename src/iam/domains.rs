//! The documented forms of the values some condition keys carry, and the conditions of a policy
//! that can therefore match no request AWS sends: `"aws:PrincipalOrgID": "O-ABC123DEF4"` grants
//! nothing, since no organization id has upper-case letters. Such a condition is almost always a
//! typo that silently disables a statement, so it deserves a warning even when the policy
//! complies.

use crate::iam::arn;
use crate::iam::condition::{Base, PolicyValue};
use crate::iam::pattern;
use crate::iam::policy::Policy;
use crate::iam::template::NoVariables;

/// A key's value domain: a test and its description for messages.
struct Domain {
    test: fn(&str) -> bool,
    form: &'static str,
}

const ORG_ID: Domain = Domain {
    test: arn::is_org_id,
    form: "an organization id is o- and 10 to 32 lower-case letters or digits",
};
const ACCOUNT: Domain = Domain {
    test: arn::is_account_id,
    form: "an account id is 12 digits",
};
const PRINCIPAL_ACCOUNT: Domain = Domain {
    test: |v| v == "anonymous" || arn::is_account_id(v),
    form: "an account id is 12 digits (or anonymous for anonymous callers)",
};
const VPCE: Domain = Domain {
    test: |v| arn::is_ec2_id(v, "vpce-"),
    form: "an endpoint id is vpce- and 8 or 17 lower-case hexadecimal digits",
};
const VPC: Domain = Domain {
    test: |v| arn::is_ec2_id(v, "vpc-"),
    form: "a VPC id is vpc- and 8 or 17 lower-case hexadecimal digits",
};
const ORG_PATH: Domain = Domain {
    test: |v| {
        v.split_once('/').is_some_and(|(org, rest)| {
            arn::is_org_id(org) && (rest.is_empty() || rest.ends_with('/'))
        })
    },
    form: "an OU path starts with its organization id and a /, and ends with a /",
};

/// Sources: AWS Organizations API Reference ("Organization": Id; "OrganizationalUnit"), Amazon
/// EC2 API Reference ("Vpc", "VpcEndpoint"), IAM User Guide (global condition keys).
fn domain(key_lower: &str) -> Option<Domain> {
    Some(match key_lower {
        "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" | "aws:vpceorgid" => ORG_ID,
        "aws:principalaccount" => PRINCIPAL_ACCOUNT,
        "aws:resourceaccount"
        | "aws:sourceaccount"
        | "aws:vpceaccount"
        | "s3:resourceaccount"
        | "s3express:resourceaccount" => ACCOUNT,
        "aws:sourcevpce" => VPCE,
        "aws:sourcevpc" => VPC,
        "aws:principalorgpaths"
        | "aws:resourceorgpaths"
        | "aws:sourceorgpaths"
        | "aws:vpceorgpaths" => ORG_PATH,
        _ => return None,
    })
}

/// A condition no real request satisfies, for a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpossibleCondition {
    /// JSON pointer of the condition in the policy.
    pub pointer: String,
    pub message: String,
}

/// The conditions that ask for a value of a key's documented form and whose every value lies
/// outside that form (literals only: a pattern or a policy variable may match real values).
/// Negated operators are left alone: their impossible values exclude nothing, which is a
/// different mistake.
pub fn impossible_conditions(policy: &Policy) -> Vec<ImpossibleCondition> {
    let mut out = Vec::new();
    for st in &policy.statements {
        for c in &st.conditions {
            let Some(d) = domain(&c.key) else { continue };
            let ignore_case = match c.operator.base {
                Base::StringEquals | Base::StringLike | Base::Arn => false,
                Base::StringEqualsIgnoreCase => true,
                _ => continue,
            };
            if c.operator.negated || c.values.is_empty() {
                continue;
            }
            let mut literals = Vec::new();
            for v in &c.values {
                let PolicyValue::Text(t) = v else { continue };
                if t.has_variables() {
                    literals.clear();
                    break;
                }
                let Some(toks) = t.resolve_glob(&NoVariables) else {
                    literals.clear();
                    break;
                };
                let like = matches!(c.operator.base, Base::StringLike | Base::Arn);
                if like && pattern::has_wildcard(&toks) {
                    literals.clear();
                    break;
                }
                literals.push(pattern::render(&toks));
            }
            if literals.len() != c.values.len() {
                continue;
            }
            let fits =
                |v: &String| (d.test)(v) || (ignore_case && (d.test)(&v.to_ascii_lowercase()));
            if literals.iter().any(fits) {
                continue;
            }
            out.push(ImpossibleCondition {
                pointer: c.pointer.to_string(),
                message: format!(
                    "{} {} {} can match no request AWS sends ({}), so the statement never applies",
                    c.operator.name,
                    c.key_written,
                    literals
                        .iter()
                        .map(|l| format!("{l:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    d.form
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::testing::bucket_policy;
    use serde_json::json;

    fn conditions(condition: serde_json::Value) -> Vec<ImpossibleCondition> {
        impossible_conditions(&bucket_policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*",
            "Condition": condition}]}),
        ))
    }

    #[test]
    fn a_value_of_no_real_form_is_reported_with_the_form() {
        let found = conditions(json!({"StringEquals": {"aws:PrincipalOrgID": "O-ABC123DEF4"}}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("o- and 10 to 32"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].pointer,
            "/Statement/0/Condition/StringEquals/aws:PrincipalOrgID"
        );
        assert_eq!(
            conditions(
                json!({"StringEquals": {"aws:SourceVpce": ["vpce-NOTANID", "vpce-fresh0"]}})
            )
            .len(),
            1
        );
    }

    #[test]
    fn real_values_patterns_variables_and_negations_are_left_alone() {
        for condition in [
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}),
            json!({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "O-ABC123DEF4"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": ["O-ABC123DEF4", "o-abc123def4"]}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "O-*"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "O-ABC123DEF4"}}),
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123def4/r-ab12/*"}}),
            json!({"StringEquals": {"aws:PrincipalAccount": "anonymous"}}),
            json!({"StringEquals": {"aws:SourceVpc": "vpc-0123456789abcdef0"}}),
        ] {
            assert_eq!(conditions(condition.clone()), [], "{condition}");
        }
    }
}
