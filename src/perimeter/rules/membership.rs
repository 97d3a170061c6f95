//! Unknown is not untrusted: `spec.organizations` lists known members, not the whole membership,
//! so an account the policy names and the perimeter does not place may be inside a trusted
//! organization or not. When a violation exists only if such accounts are outside, it is reported
//! as DP-ORG-001 (a warning by default), which says how to settle it, not as the dimension's rule.

use crate::iam::Policy;
use crate::iam::reasoner::{self, Attachment, Dimension, Perimeter, ReasonerVerdict, Witness};
use crate::iam::request::Caller;

use super::hints::names_account;

/// How many accounts of unknown membership one finding may rest on before it is reported as it
/// is (each costs one more analysis).
const MAX_ASSUMED: usize = 4;

/// The accounts whose membership decides a violation, and the organization that would settle it.
pub struct UnknownMembership {
    pub accounts: Vec<String>,
    pub organization: String,
}

impl UnknownMembership {
    pub fn message(&self) -> String {
        let accounts = self.accounts.join(", ");
        let (which, whose) = if self.accounts.len() == 1 {
            ("account", "whose")
        } else {
            ("accounts", "whose")
        };
        format!(
            "the policy names {which} {accounts}, {whose} organization the perimeter does not know: if {} a member of {org}, list {} in spec.organizations[].accounts and the policy complies; if not, this request is outside the perimeter",
            if self.accounts.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if self.accounts.len() == 1 {
                "it"
            } else {
                "them"
            },
            org = self.organization,
        )
    }
}

/// `Some` when the violation `w` (in `dimension`) goes away once the accounts of unknown
/// membership it runs through are taken as members of a trusted organization, and nothing else
/// violates the dimension then.
pub fn question(
    policy: &Policy,
    attachment: &Attachment,
    perimeter: &Perimeter,
    dimension: Dimension,
    w: &Witness,
) -> Option<UnknownMembership> {
    let (account, organization) = unknown_party(policy, attachment, perimeter, dimension, w)?;
    let mut assumed = perimeter.clone();
    let mut accounts = vec![account];
    loop {
        for a in &accounts {
            assumed.memberships.insert(a.clone(), organization.clone());
        }
        let verdict = reasoner::analyze(policy, attachment, &assumed)
            .into_iter()
            .find(|v| v.dimension == dimension)?
            .verdict;
        match verdict {
            ReasonerVerdict::Complies => {
                return Some(UnknownMembership {
                    accounts,
                    organization,
                });
            }
            ReasonerVerdict::Violates(next) if accounts.len() < MAX_ASSUMED => {
                let (a, o) = unknown_party(policy, attachment, &assumed, dimension, &next)?;
                if o != organization || accounts.contains(&a) {
                    return None;
                }
                accounts.push(a);
            }
            _ => return None,
        }
    }
}

/// The account of the witness's party the dimension is about (the caller for identity, the
/// owner for resources; for a bucket policy, first the owner of the access point a request goes
/// through, whose membership decides whether the bucket delegates to it), when the policy names
/// it, the perimeter does not place it, and a trusted organization would make it trusted.
fn unknown_party(
    policy: &Policy,
    attachment: &Attachment,
    perimeter: &Perimeter,
    dimension: Dimension,
    w: &Witness,
) -> Option<(String, String)> {
    let r = &w.request;
    if matches!(attachment, Attachment::Bucket { .. })
        && matches!(dimension, Dimension::Identity | Dimension::Network)
        && let Some(a) = reasoner::access_point_account(r)
        && let Some(organization) = perimeter.owner_orgs().first()
        && !perimeter.memberships.contains_key(a)
        && !perimeter.resource_excluded_accounts.iter().any(|x| x == a)
        && names_account(policy, a)
    {
        return Some((a.to_owned(), organization.clone()));
    }
    let (account, org_known, orgs, excluded) = match dimension {
        Dimension::Identity => match &r.caller {
            Caller::Iam(i) => (
                i.account.as_str(),
                i.org.is_some(),
                perimeter.identity_orgs.as_slice(),
                perimeter.identity_excluded_accounts.as_slice(),
            ),
            _ => return None,
        },
        Dimension::Resource => (
            r.resource.account.as_deref()?,
            r.resource.org.is_some(),
            perimeter.owner_orgs(),
            perimeter.resource_excluded_accounts.as_slice(),
        ),
        Dimension::Network | Dimension::Enforce => return None,
    };
    let organization = orgs.first()?;
    (!org_known
        && !perimeter.memberships.contains_key(account)
        && !excluded.iter().any(|x| x == account)
        && names_account(policy, account))
    .then(|| (account.to_owned(), organization.clone()))
}
