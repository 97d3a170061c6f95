//! Candidates for keys that are functions of other parts of the request (`aws:userid` of the
//! caller, `aws:SourceVpcArn` of `aws:SourceVpc`). The search keeps only the candidate that fits
//! the parts already fixed, so each candidate list must hold, for every caller or VPC the search
//! can pick, the values that fit it and that the policy's literals and patterns tell apart.

use crate::iam::arn;
use crate::iam::pattern::{self, Tok};
use crate::iam::userid::{self, FRESH_ROLE_ID, FRESH_USER_ID};

use super::values::Pool;

/// How a wildcard in a userid pattern is filled so that the witness can be a real id: upper-case
/// for the unique-id part (`AROA*` becomes a 16-character id), lower-case for a session name.
const UNIQUE_ID_FILL: &str = "ZZZZZZZZZZZZZZZZ";
const SESSION_FILL: &str = "zz";

/// Role session names a userid literal or pattern speaks of (`AROA…:alice`, `AROA…:*`).
pub fn userid_sessions(pool: &Pool) -> Vec<String> {
    let mut out = Vec::new();
    for text in userid_texts(pool) {
        if let Some((_, s)) = text.split_once(':')
            && userid::is_session_name(s)
            && !out.iter().any(|o| o == s)
        {
            out.push(s.to_owned());
        }
    }
    out
}

/// The literals and filled pattern witnesses of the `aws:userid` pool.
fn userid_texts(pool: &Pool) -> Vec<String> {
    let mut out: Vec<String> = pool.literals.iter().cloned().collect();
    for glob in &pool.globs {
        for (star, one) in [(UNIQUE_ID_FILL, 'Z'), (SESSION_FILL, 'z')] {
            out.push(fill_userid(glob, star, one));
        }
    }
    out
}

/// Fills a userid pattern: before the first `:` with the unique-id fill, after it with the
/// session fill.
fn fill_userid(glob: &[Tok], star: &str, one: char) -> String {
    let colon = glob.iter().position(|t| *t == Tok::Lit(':'));
    match colon {
        Some(i) => format!(
            "{}:{}",
            pattern::witness(&glob[..i], UNIQUE_ID_FILL, 'Z'),
            pattern::witness(&glob[i + 1..], SESSION_FILL, 'z')
        ),
        None => pattern::witness(glob, star, one),
    }
}

/// Every `aws:userid` value some caller of the universe can have that the policy can tell
/// apart: the root users' account ids, users' unique ids, role sessions' `id:session` (with the
/// role ids and session names the policy names, and fresh ones), federated users'
/// `account:name`, and `anonymous`.
pub fn userid_candidates(
    pool: &Pool,
    accounts: &[String],
    sessions: &[String],
    federated_users: &[String],
) -> Vec<String> {
    let texts = userid_texts(pool);
    let mut role_ids: Vec<String> = vec![FRESH_ROLE_ID.to_owned()];
    let mut user_ids: Vec<String> = vec![FRESH_USER_ID.to_owned()];
    for t in &texts {
        let id = t.split_once(':').map_or(t.as_str(), |(id, _)| id);
        if userid::is_unique_id(id, "AROA") && !role_ids.iter().any(|r| r == id) {
            role_ids.push(id.to_owned());
        }
        if userid::is_unique_id(id, "AIDA") && !user_ids.iter().any(|u| u == id) {
            user_ids.push(id.to_owned());
        }
    }
    let mut out: Vec<String> = vec!["anonymous".to_owned()];
    out.extend(accounts.iter().cloned());
    out.extend(user_ids);
    for id in &role_ids {
        for s in sessions {
            out.push(format!("{id}:{s}"));
        }
    }
    out.extend(federated_users.iter().cloned());
    out
}

/// `aws:SourceVpcArn` values for the VPCs a request can come from: the ARN AWS would send for
/// each, and each one the policy's patterns or literals name, filled to a real ARN.
pub fn vpc_arn_candidates(pool: &Pool, vpcs: &[String], accounts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let default_account = accounts.first().map_or("111122223333", String::as_str);
    for v in vpcs {
        push(format!("arn:aws:ec2:us-east-1:{default_account}:vpc/{v}"));
    }
    let patterns = pool.patterns();
    for p in &patterns {
        let Some(parts) = arn::split_tokens(p) else {
            continue;
        };
        let pick = |toks: &[Tok], preferred: &str| -> String {
            if pattern::matches(toks, preferred) {
                preferred.to_owned()
            } else {
                pattern::witness(toks, "zz", 'z')
            }
        };
        let partition = pick(parts[1], "aws");
        let region = pick(parts[3], "us-east-1");
        let mut account_choices: Vec<&str> = accounts
            .iter()
            .map(String::as_str)
            .filter(|a| pattern::matches(parts[4], a))
            .take(4)
            .collect();
        if account_choices.is_empty() {
            account_choices.push(default_account);
        }
        for v in vpcs {
            if !pattern::matches(parts[5], &format!("vpc/{v}"))
                || !pattern::matches(parts[2], "ec2")
            {
                continue;
            }
            for a in &account_choices {
                push(format!("arn:{partition}:ec2:{region}:{a}:vpc/{v}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::pattern::glob;

    #[test]
    fn userid_patterns_yield_real_role_ids_and_sessions() {
        let mut pool = Pool::default();
        pool.add_text(&glob("AROAJQABLZS4A3QDU576Q:*"));
        pool.add_text(&glob("AIDA*"));
        let sessions = userid_sessions(&pool);
        assert_eq!(sessions, vec!["zz".to_owned()]);
        let c = userid_candidates(&pool, &["111122223333".into()], &sessions, &[]);
        assert!(c.contains(&"AROAJQABLZS4A3QDU576Q:zz".to_owned()), "{c:?}");
        assert!(c.contains(&"AIDAZZZZZZZZZZZZZZZZ".to_owned()), "{c:?}");
        assert!(c.contains(&"111122223333".to_owned()));
        assert!(c.contains(&"anonymous".to_owned()));
    }

    #[test]
    fn vpc_arns_name_each_vpc_within_the_patterns() {
        let mut pool = Pool::default();
        pool.add_text(&glob("arn:aws:ec2:*:444455556666:vpc/*"));
        let c = vpc_arn_candidates(
            &pool,
            &["vpc-1a2b3c4d".into()],
            &["111122223333".into(), "444455556666".into()],
        );
        assert!(c.contains(&"arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1a2b3c4d".to_owned()));
        assert!(c.contains(&"arn:aws:ec2:us-east-1:444455556666:vpc/vpc-1a2b3c4d".to_owned()));
    }
}
