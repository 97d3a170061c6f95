//! `perimeter-guard webhook-rules`: the ValidatingWebhookConfiguration rules for every checked
//! kind, which the Helm chart embeds.

use super::{CliError, ExitStatus};

pub fn run() -> Result<ExitStatus, CliError> {
    print!("{}", crate::resources::webhook_rules::rules_yaml());
    Ok(ExitStatus::Ok)
}
