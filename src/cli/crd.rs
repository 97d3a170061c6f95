//! `perimeter-guard crd`, `schema` and `policy-report-crds`: the CustomResourceDefinitions
//! Perimeter Guard reads and writes, and the DataPerimeter JSON Schema, generated from the Rust
//! types.

use super::args::CrdKind;
use super::{CliError, ExitStatus};

/// The DataPerimeter or PerimeterException CRD.
pub fn run(kind: CrdKind) -> Result<ExitStatus, CliError> {
    match kind {
        CrdKind::DataPerimeter => print!("{}", crate::perimeter::crd::crd_yaml()),
        CrdKind::PerimeterException => print!("{}", crate::perimeter::exception::crd_yaml()),
    }
    Ok(ExitStatus::Ok)
}

/// The JSON Schema of a whole DataPerimeter document.
pub fn run_schema() -> Result<ExitStatus, CliError> {
    println!("{}", crate::perimeter::config::document_schema_json());
    Ok(ExitStatus::Ok)
}

/// The PolicyReport and ClusterPolicyReport CRDs the audit writes.
pub fn run_policy_report_crds() -> Result<ExitStatus, CliError> {
    print!("{}", crate::audit::policy_report_types::crds_yaml());
    Ok(ExitStatus::Ok)
}
