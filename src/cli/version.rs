//! `perimeter-guard version`.

use super::{CliError, ExitStatus};

pub fn run() -> Result<ExitStatus, CliError> {
    println!("perimeter-guard {}", env!("CARGO_PKG_VERSION"));
    Ok(ExitStatus::Ok)
}
