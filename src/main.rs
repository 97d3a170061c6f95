#![forbid(unsafe_code)]
//! `perimeter-guard`: parses the command line and hands it to the command it names.

use std::process::ExitCode;

use clap::Parser;
use perimeter_guard::cli::{self, Cli, ExitStatus};

// The reasoner allocates many small strings; mimalloc serves them markedly faster than the
// system allocator (measured by `cargo bench --bench reasoner`, see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::logging::init(&args.command);
    match cli::run(args) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {}", anyhow::Error::from(e));
            ExitStatus::Error.into()
        }
    }
}
