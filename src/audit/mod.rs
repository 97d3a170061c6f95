//! `perimeter-guard audit`: every checked object already in a cluster, through the same
//! [`crate::decision::evaluate`] as `serve` and `check`, reported as `check` reports and written
//! as PolicyReports.

pub mod policy_reports;
pub mod report_types;
pub mod scan;
pub mod summary;
