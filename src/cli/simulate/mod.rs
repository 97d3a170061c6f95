//! `perimeter-guard simulate`: one policy, one request, AWS's decision and the statements behind
//! it.

pub mod request;

use super::args::{SimulateArgs, TextOrJson};
use super::{CliError, ExitStatus, read_text, source_name};
use crate::iam::{Policy, evaluate};

pub fn run(args: SimulateArgs) -> Result<ExitStatus, CliError> {
    if args.policy.as_os_str() == "-" && args.request.as_os_str() == "-" {
        return Err(CliError::StdinTwice("the policy and the request"));
    }
    let policy_text = read_text(&args.policy)?;
    let request_text = read_text(&args.request)?;
    let policy =
        Policy::parse(&policy_text, args.kind.into()).map_err(|source| CliError::Policy {
            source_name: source_name(&args.policy),
            source,
        })?;
    let request = request::parse_request(&request_text).map_err(|source| CliError::Request {
        source_name: source_name(&args.request),
        source,
    })?;
    // The decision is AWS's for the request as given, but a userid its principal cannot have is
    // a request AWS never sends (IAM User Guide, "Principal key values").
    if let Some(crate::iam::request::Values::One(v)) = request.lookup("aws:userid")
        && !crate::iam::userid::follows(&request.caller, v)
    {
        eprintln!(
            "warning: aws:userid {v:?} is not one this principal has (the account id for a root user, AIDA… for an IAM user, AROA…:<session> for a role session, <account>:<name> for a federated user, anonymous); AWS never sends this request"
        );
    }
    let evaluation = evaluate(&policy, &request);
    tracing::debug!(outcome = ?evaluation.outcome, "simulated");
    match args.output {
        TextOrJson::Text => print!("{}", request::render_text(&evaluation)),
        TextOrJson::Json => println!(
            "{}",
            serde_json::to_string_pretty(&request::render_json(&evaluation))?
        ),
    }
    Ok(ExitStatus::Ok)
}
