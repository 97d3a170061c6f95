//! `perimeter-guard audit`: what already violates the perimeter in a running cluster, decided as
//! the webhook would, reported in `check`'s formats plus a summary.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::args::{AuditArgs, AuditOutput};
use super::check::manifests::Document;
use super::check::render::{self, Checked, FailOn};
use super::{CliError, ExitStatus};
use crate::audit::scan::ScanOptions;
use crate::audit::{AuditOptions, AuditRun, ClusterAccess};
use crate::perimeter::ConfigError;
use crate::perimeter::config::Enforcement;

pub fn run(args: AuditArgs) -> Result<ExitStatus, CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One thread: the requests overlap on it, evaluation is cheap next to listing, and one heap
    // reuses the memory each page frees instead of spreading it over per-thread heaps.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let options = AuditOptions {
        cluster: ClusterAccess {
            kubeconfig: args.kubeconfig,
            context: args.context,
        },
        perimeter_paths: args.perimeter,
        from_cluster: args.from_cluster,
        exception_paths: args.exceptions.paths,
        max_exception_days: args.exceptions.max_exception_days,
        scan: ScanOptions {
            namespaces: args.namespaces,
            page_size: args.page_size,
            concurrency: args.concurrency,
            qps: args.qps,
            ..ScanOptions::default()
        },
        write_reports: args.write_reports,
        max_results_per_report: args.max_results_per_report,
        keep_results: args.output != AuditOutput::Summary,
    };
    let scanned = Arc::new(AtomicUsize::new(0));
    let mut audit = runtime.block_on(async {
        let progress = tokio::spawn(show_progress(scanned.clone()));
        let left_out = |e: &ConfigError| eprintln!("warning: {e}; left out");
        let audit = crate::audit::run(&options, &scanned, &left_out).await;
        progress.abort();
        let _ = progress.await;
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
        audit
    })?;
    for absent in &audit.absent_kinds {
        tracing::info!(group_version = %absent, "not served by this cluster; skipped");
    }
    if let Some(reports) = &audit.reports {
        for (namespace, kept, total) in &reports.truncated {
            eprintln!(
                "warning: the report of {} holds {kept} of {total} results (--max-results-per-report); its summary counts all",
                namespace.as_deref().unwrap_or("cluster-scoped objects"),
            );
        }
    }
    let documents = documents(&audit);
    let results: Vec<Checked<'_>> = documents
        .iter()
        .zip(std::mem::take(&mut audit.results))
        .map(|(document, o)| Checked::new(document, o.verdict))
        .collect();
    write_output(&audit, &results, args.output)?;
    eprintln!("audit finished: {}", figures(&audit));
    let failed = match args.output {
        AuditOutput::Summary => {
            let counts = &audit.summary.by_enforcement;
            match args.fail_on {
                FailOn::Deny => counts.any_at_least(Enforcement::Deny),
                FailOn::Warn => counts.any_at_least(Enforcement::Warn),
                FailOn::Never => false,
            }
        }
        _ => render::fails(&results, args.fail_on),
    };
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

/// A spinner on a terminal, a line every ten seconds in a log.
async fn show_progress(scanned: Arc<AtomicUsize>) {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        loop {
            bar.set_message(format!(
                "{} objects scanned",
                scanned.load(Ordering::Relaxed)
            ));
            bar.tick();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    } else {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            eprintln!("audit: {} objects scanned", scanned.load(Ordering::Relaxed));
        }
    }
}

/// Each object as a document of `check`'s reports, named by its API version, namespace and name.
fn documents(audit: &AuditRun) -> Vec<Document> {
    audit
        .results
        .iter()
        .map(|o| Document {
            source: match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.api_version, o.name),
                None => format!("{} {}", o.api_version, o.name),
            },
            line: 0,
            value: serde_json::Value::Null,
            text: None,
        })
        .collect()
}

fn write_output(
    audit: &AuditRun,
    results: &[Checked<'_>],
    output: AuditOutput,
) -> Result<(), CliError> {
    match output {
        AuditOutput::Text => {
            print!(
                "{}",
                render::text(results, &[], std::io::stdout().is_terminal())
            );
            print!("{}", audit.summary.text());
        }
        AuditOutput::Json => {
            let mut summary = serde_json::to_value(&audit.summary)?;
            summary["durationSeconds"] = audit.duration.as_secs_f64().into();
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            render::write_json(&mut out, results, &[], &[("audit", summary)])?;
            out.flush()?;
        }
        AuditOutput::Sarif => {
            println!(
                "{}",
                serde_json::to_string_pretty(&render::sarif(results, &[]))?
            )
        }
        AuditOutput::Summary => print!("{}", audit.summary.text()),
    }
    Ok(())
}

/// The run's figures, one line, for a CronJob's log (no Pushgateway needed).
fn figures(audit: &AuditRun) -> serde_json::Value {
    let s = &audit.summary;
    let mut figures = serde_json::json!({
        "objectsScanned": s.objects,
        "violating": s.violating,
        "findingsByRule": s.by_rule,
        "findingsByEnforcement": s.by_enforcement,
        "durationSeconds": (audit.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        "finishedAt": crate::time::now_rfc3339_seconds(),
    });
    if let Some(r) = &audit.reports {
        figures["reportsApplied"] = r.written.applied.into();
        figures["reportsDeleted"] = r.written.deleted.into();
        figures["reportsTruncated"] = r.truncated.len().into();
    }
    figures
}
