//! `perimeter-guard audit`: every checked object already in a cluster, through the same
//! [`crate::decision::evaluate`] as `serve` and `check`, reported as `check` reports and written
//! as reports (OpenReports, PolicyReports) and as AWS Security Hub findings (ASFF).

pub mod asff;
pub mod policy_report_types;
pub mod policy_reports;
pub mod run;
pub mod scan;
pub mod summary;

pub use run::{
    AuditError, AuditOptions, AuditRun, ClusterAccess, ConfigSources, configuration, connect, run,
};
