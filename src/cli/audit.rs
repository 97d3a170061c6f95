//! `perimeter-guard audit`: what already violates the perimeter in a running cluster, decided as
//! the webhook would, reported in `check`'s formats plus a summary.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::args::{AuditArgs, AuditOutput, ReportFormatArg};
use super::check::manifests::Document;
use super::check::render::{self, Checked, FailOn};
use super::{CliError, ExitStatus};
use crate::audit::asff;
use crate::audit::policy_reports::{FormatChoice, ReportBudget};
use crate::audit::scan::ScanOptions;
use crate::audit::{AuditOptions, AuditRun, ClusterAccess, ConfigSources};
use crate::perimeter::ConfigError;
use crate::perimeter::config::Enforcement;

pub fn run(args: AuditArgs) -> Result<ExitStatus, CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One thread: the requests overlap on it, evaluation is cheap next to listing, and one heap
    // reuses the memory each page frees instead of spreading it over per-thread heaps.
    let asff = match args.output {
        AuditOutput::Asff => Some(asff_target(&args)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let options = AuditOptions {
        cluster: ClusterAccess {
            kubeconfig: args.kubeconfig,
            context: args.context,
        },
        config: ConfigSources {
            perimeter_paths: args.perimeter,
            from_cluster: args.from_cluster,
            exception_paths: args.exceptions.paths,
            max_exception_days: args.exceptions.max_exception_days,
            now: jiff::Timestamp::now(),
        },
        scan: ScanOptions {
            namespaces: args.namespaces,
            page_size: args.page_size,
            concurrency: args.concurrency,
            qps: args.qps,
            ..ScanOptions::default()
        },
        write_reports: args.write_reports,
        budget: ReportBudget {
            max_results: args.max_results_per_report,
            max_bytes: args.max_report_bytes,
        },
        report_format: match args.report_format {
            ReportFormatArg::Auto => FormatChoice::Auto,
            ReportFormatArg::Openreports => FormatChoice::OpenReports,
            ReportFormatArg::Wgpolicyk8s => FormatChoice::Wgpolicyk8s,
            ReportFormatArg::Both => FormatChoice::Both,
        },
        cluster_name: args.cluster_name,
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
    let mut reports_failed = false;
    if let Some(reports) = &audit.reports {
        for (namespace, kept, total) in &reports.truncated {
            eprintln!(
                "warning: the report of {} holds {kept} of {total} results (--max-results-per-report, --max-report-bytes); its summary counts all",
                namespace.as_deref().unwrap_or("cluster-scoped objects"),
            );
        }
        for e in &reports.written.failed {
            eprintln!("error: {e}");
            reports_failed = true;
        }
    }
    if let Some((account_id, region, previous)) = asff {
        let target = asff::ImportTarget {
            account_id,
            region,
            cluster: audit.cluster.clone(),
            config_hash: audit.config_hash.clone(),
            now: audit
                .decided_at
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        };
        let findings = asff::findings(&audit.results, &target, &previous);
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for batch in asff::batches(&findings) {
            serde_json::to_writer(&mut out, batch)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
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
    // A report not written is an error, not a finding: 2 wins over 1.
    Ok(if reports_failed {
        ExitStatus::Error
    } else if failed {
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
            part: None,
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
        // Written before the results were taken apart (`run`).
        AuditOutput::Asff => {}
    }
    Ok(())
}

/// The account, Region and previous findings `--output asff` needs, checked before the cluster
/// is called.
fn asff_target(args: &AuditArgs) -> Result<(String, String, Vec<serde_json::Value>), CliError> {
    let account = args.aws_account_id.clone().unwrap_or_default();
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::Argument(format!(
            "--output asff needs --aws-account-id, the 12-digit account Security Hub imports into (got {account:?})"
        )));
    }
    let region = args.aws_region.clone().unwrap_or_default();
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 || parts.last().is_none_or(|n| n.parse::<u8>().is_err()) {
        return Err(CliError::Argument(format!(
            "--output asff needs --aws-region, e.g. eu-west-1 (got {region:?})"
        )));
    }
    let previous = match &args.asff_previous {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
                path: path.display().to_string(),
                source,
            })?;
            asff::read_previous(&text)
                .map_err(|e| CliError::Argument(format!("{}: {e}", path.display())))?
        }
    };
    Ok((account, region, previous))
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
        figures["reportsFailed"] = r.written.failed.len().into();
        figures["reportFormats"] = r
            .formats
            .iter()
            .map(|f| f.api_version())
            .collect::<Vec<_>>()
            .into();
        figures["reportsTruncated"] = r.truncated.len().into();
    }
    figures
}
