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
            // Each message is complete; a cause is added only where it says something new (the
            // connection refused behind a failed discovery, say).
            let error = anyhow::Error::from(e);
            let mut message = String::new();
            for cause in error.chain() {
                let text = cause.to_string();
                if !message.contains(&text) {
                    if !message.is_empty() {
                        message.push_str(": ");
                    }
                    message.push_str(&text);
                }
            }
            eprintln!("error: {message}");
            ExitStatus::Error.into()
        }
    }
}
