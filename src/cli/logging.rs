//! Logs on standard error: the webhook logs every decision at info, as JSON for log pipelines by
//! default; the other commands keep standard error for warnings.

use std::io::IsTerminal;

use super::args::{Command, LogFormat};

/// Installs the global subscriber for `command`; `PERIMETER_GUARD_LOG` (a `tracing` filter)
/// overrides the level.
pub fn init(command: &Command) {
    let (default_level, json) = match command {
        Command::Serve(args) => ("info", args.log_format == LogFormat::Json),
        _ => ("warn", false),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERIMETER_GUARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter);
    if json {
        logs.json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        logs.init();
    }
}
