//! `perimeter-guard crd` and `perimeter-guard policy-report-crds`: the CustomResourceDefinitions
//! Perimeter Guard reads and writes, generated from the Rust types.

use super::{CliError, ExitStatus};

/// The DataPerimeter CRD.
pub fn run() -> Result<ExitStatus, CliError> {
    print!("{}", crate::perimeter::crd::crd_yaml());
    Ok(ExitStatus::Ok)
}

/// The PolicyReport and ClusterPolicyReport CRDs the audit writes.
pub fn run_policy_report_crds() -> Result<ExitStatus, CliError> {
    print!("{}", crate::audit::policy_report_types::crds_yaml());
    Ok(ExitStatus::Ok)
}
