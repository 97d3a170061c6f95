//! The configuration in force: one immutable snapshot, swapped atomically, so a review sees
//! either the old configuration or the new one and never a mix. It is assembled from two sources,
//! DataPerimeter files and (optionally) DataPerimeter custom resources.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use serde::Serialize;

use crate::admission::Settings;
use crate::perimeter::DataPerimeter;
use crate::perimeter::exception::{self, Exceptions, PerimeterException};
use crate::perimeter::load::{self, LoadError};

use super::metrics::Metrics;

/// The configuration one review is decided with.
#[derive(Debug)]
pub struct Snapshot {
    pub perimeters: Vec<DataPerimeter>,
    /// Exemptions, plus this snapshot's generation and hash for audit annotations.
    pub settings: Settings,
}

impl Snapshot {
    pub fn generation(&self) -> u64 {
        self.settings.config_generation
    }

    pub fn hash(&self) -> &str {
        &self.settings.config_hash
    }
}

/// What `/readyz` shows about the configuration.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigStatus {
    pub generation: u64,
    pub hash: String,
    pub perimeters: Vec<String>,
    /// The error of the newest configuration when it was rejected; the previous one stays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crd_sync: Option<CrdSync>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdSync {
    /// Whether the first complete list of DataPerimeter objects has arrived.
    pub synced: bool,
    pub accepted: usize,
    pub invalid: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Why the newest state of the sources was not put in force.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Files(#[from] LoadError),
    #[error("DataPerimeter {0:?} is defined both in the files and as a custom resource")]
    DefinedInFilesAndCluster(String),
    #[error("PerimeterException {0:?} is defined both in the files and as a custom resource")]
    ExceptionInFilesAndCluster(String),
    #[error("reading the configuration failed: {0}")]
    ReadTask(#[from] tokio::task::JoinError),
}

#[derive(Default)]
struct Sources {
    files: Option<Vec<DataPerimeter>>,
    crds: Option<Vec<DataPerimeter>>,
    exception_files: Option<Vec<PerimeterException>>,
    exception_crds: Option<Vec<PerimeterException>>,
}

/// Holds the snapshot in force and the latest state of each source.
pub struct ConfigStore {
    current: ArcSwapOption<Snapshot>,
    sources: Mutex<Sources>,
    status: Mutex<ConfigStatus>,
    exemptions: Settings,
    uses_files: bool,
    uses_crds: bool,
    uses_exception_files: bool,
    metrics: Arc<Metrics>,
}

impl ConfigStore {
    /// `exemptions` carries the exemption settings; generation and hash are filled per snapshot.
    pub fn new(
        exemptions: Settings,
        uses_files: bool,
        uses_crds: bool,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            sources: Mutex::new(Sources::default()),
            status: Mutex::new(ConfigStatus::default()),
            exemptions,
            uses_files,
            uses_crds,
            uses_exception_files: false,
            metrics,
        }
    }

    /// The most days an exception may end after its creation.
    pub fn max_exception_days(&self) -> u32 {
        self.exemptions.max_exception_days
    }

    /// Exceptions also come from files (`--exceptions`): no configuration is put in force before
    /// they are read.
    pub fn with_exception_files(mut self) -> Self {
        self.uses_exception_files = true;
        self
    }

    /// The snapshot in force, if any configuration has been accepted yet.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    pub fn status(&self) -> ConfigStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Ready when every configured source has delivered once and the result was accepted.
    pub fn is_ready(&self) -> bool {
        let Ok(sources) = self.sources.lock() else {
            return false;
        };
        (!self.uses_files || sources.files.is_some())
            && (!self.uses_crds || (sources.crds.is_some() && sources.exception_crds.is_some()))
            && (!self.uses_exception_files || sources.exception_files.is_some())
            && self.current.load().is_some()
    }

    /// A new state of the files: accepted whole, or rejected whole with the last good kept.
    pub fn files_loaded(&self, result: Result<Vec<DataPerimeter>, Rejection>) {
        match result {
            Ok(perimeters) => self.swap_in(|s| &mut s.files, perimeters),
            Err(e) => self.rejected(e),
        }
    }

    /// A new state of the custom resources (only the valid ones; invalid objects are reported on
    /// their own status and left out).
    pub fn crds_loaded(&self, perimeters: Vec<DataPerimeter>, sync: CrdSync) {
        if let Ok(mut status) = self.status.lock() {
            status.crd_sync = Some(sync);
        }
        self.swap_in(|s| &mut s.crds, perimeters);
    }

    /// A new state of the exception files: accepted whole, or rejected whole with the last good
    /// kept.
    pub fn exception_files_loaded(&self, result: Result<Vec<PerimeterException>, Rejection>) {
        match result {
            Ok(exceptions) => self.swap_in(|s| &mut s.exception_files, exceptions),
            Err(e) => self.rejected(e),
        }
    }

    /// A new state of the PerimeterException custom resources (the valid ones).
    pub fn exception_crds_loaded(&self, exceptions: Vec<PerimeterException>) {
        self.swap_in(|s| &mut s.exception_crds, exceptions);
    }

    /// Puts a source's new state in and publishes; a state that cannot be published is rejected
    /// and the source's previous state restored.
    fn swap_in<T>(&self, slot: impl Fn(&mut Sources) -> &mut Option<T>, state: T) {
        let Ok(mut sources) = self.sources.lock() else {
            return;
        };
        let previous = slot(&mut sources).replace(state);
        if let Err(e) = self.publish(&sources) {
            *slot(&mut sources) = previous;
            self.rejected(e);
        }
    }

    pub fn crd_error(&self, error: &dyn std::error::Error) {
        if let Ok(mut status) = self.status.lock() {
            let sync = status.crd_sync.get_or_insert_with(CrdSync::default);
            sync.last_error = Some(error.to_string());
        }
    }

    fn rejected(&self, error: Rejection) {
        tracing::error!(error = %error, "configuration rejected; the previous one stays in force");
        Metrics::result(&self.metrics.config_reloads, false);
        if self.current.load().is_some() {
            self.metrics.config_stale.set(1);
        }
        if let Ok(mut status) = self.status.lock() {
            status.last_error = Some(error.to_string());
        }
    }

    /// Combines the sources into a snapshot and swaps it in, unless nothing changed.
    fn publish(&self, sources: &Sources) -> Result<(), Rejection> {
        if (self.uses_files && sources.files.is_none())
            || (self.uses_crds && (sources.crds.is_none() || sources.exception_crds.is_none()))
            || (self.uses_exception_files && sources.exception_files.is_none())
        {
            // Wait for every source's first state: half a configuration is not one.
            return Ok(());
        }
        let mut perimeters: Vec<DataPerimeter> = Vec::new();
        for dp in sources.files.iter().chain(sources.crds.iter()).flatten() {
            if perimeters
                .iter()
                .any(|p| p.metadata.name == dp.metadata.name)
            {
                return Err(Rejection::DefinedInFilesAndCluster(
                    dp.metadata.name.clone(),
                ));
            }
            perimeters.push(dp.clone());
        }
        let mut exceptions: Vec<PerimeterException> = Vec::new();
        for e in sources
            .exception_files
            .iter()
            .chain(sources.exception_crds.iter())
            .flatten()
        {
            if exceptions.iter().any(|o| o.name == e.name) {
                return Err(Rejection::ExceptionInFilesAndCluster(e.name.clone()));
            }
            exceptions.push(e.clone());
        }
        let exceptions = Exceptions::new(exceptions);
        let hash = load::configuration_hash(&perimeters, &exceptions);
        let previous = self.current.load_full();
        if let Some(p) = &previous
            && p.hash() == hash
        {
            // Same content (a reverted edit, a status-only change of a custom resource): nothing
            // to swap, but the newest state is a valid one again.
            self.metrics.config_stale.set(0);
            if let Ok(mut status) = self.status.lock() {
                status.last_error = None;
            }
            return Ok(());
        }
        let generation = previous.as_ref().map_or(1, |p| p.generation() + 1);
        if perimeters.is_empty() {
            tracing::warn!("no DataPerimeter is configured: every object is admitted unchecked");
        }
        let mut settings = self.exemptions.clone();
        settings.config_generation = generation;
        settings.config_hash = hash.clone();
        settings.exceptions = Arc::new(exceptions);
        let names: Vec<String> = perimeters.iter().map(|p| p.metadata.name.clone()).collect();
        self.current.store(Some(Arc::new(Snapshot {
            perimeters,
            settings,
        })));
        self.metrics.config_loaded(generation, &hash);
        tracing::info!(generation, hash = %hash, perimeters = ?names, "configuration in force");
        self.accepted_names(generation, &hash, names);
        Ok(())
    }

    fn accepted_names(&self, generation: u64, hash: &str, names: Vec<String>) {
        Metrics::result(&self.metrics.config_reloads, true);
        self.metrics.config_stale.set(0);
        if let Ok(mut status) = self.status.lock() {
            status.generation = generation;
            status.hash = hash.to_owned();
            status.perimeters = names;
            status.last_error = None;
        }
    }
}

/// What one poll saw of the files: their fingerprint, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Files(Vec<u8>),
    Unreadable(String),
}

/// Polls the DataPerimeter files every `interval` and hands every changed state to the store.
pub async fn watch_files(
    store: Arc<ConfigStore>,
    paths: Vec<PathBuf>,
    interval: std::time::Duration,
) {
    watch_paths(paths, interval, load::parse, move |result| {
        store.files_loaded(result);
    })
    .await;
}

/// Polls the PerimeterException files every `interval` and hands every changed state to the
/// store; an exception is as old as the read that found it (files carry no creation time).
pub async fn watch_exception_files(
    store: Arc<ConfigStore>,
    paths: Vec<PathBuf>,
    interval: std::time::Duration,
    max_days: u32,
) {
    let parse = move |_: &[PathBuf], texts: &[load::ConfigText]| {
        let limits = exception::ExpiryLimits {
            now: jiff::Timestamp::now(),
            max_days,
        };
        exception::parse_texts(texts, limits)
    };
    watch_paths(paths, interval, parse, move |result| {
        store.exception_files_loaded(result);
    })
    .await;
}

/// Polls the files every `interval`, parses every changed state and delivers it. Polling,
/// rather than file notifications, survives what happens to mounted ConfigMaps: the kubelet
/// swaps a symbolic link to a new hidden folder, and editors write a new file and rename it.
async fn watch_paths<T: Send + 'static>(
    paths: Vec<PathBuf>,
    interval: std::time::Duration,
    parse: impl Fn(&[PathBuf], &[load::ConfigText]) -> Result<T, LoadError>
    + Send
    + Sync
    + Clone
    + 'static,
    deliver: impl Fn(Result<T, Rejection>),
) {
    // The files are read on every tick but parsed only when their bytes changed: parsing and
    // validating on every tick cost the admission path milliseconds of CPU every two seconds.
    // After the first load, a change is applied only once two consecutive reads agree: a file
    // being written in place can be caught half-written, and half a DataPerimeter may still be
    // a valid, weaker one.
    let mut last: Option<Seen> = None;
    let mut candidate: Option<Seen> = None;
    loop {
        let read_paths = paths.clone();
        let (applied, seen_before) = (last.clone(), candidate.clone());
        let first = last.is_none();
        let parse = parse.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let texts = load::read(&read_paths, &mut std::io::empty());
            let seen = match &texts {
                Ok(t) => Seen::Files(load::fingerprint(t)),
                Err(e) => Seen::Unreadable(e.to_string()),
            };
            let stable = first || seen_before.as_ref() == Some(&seen);
            if applied.as_ref() == Some(&seen) || !stable {
                return (seen, None);
            }
            let result = texts.and_then(|t| parse(&read_paths, &t));
            (seen, Some(result))
        })
        .await;
        match outcome {
            Ok((seen, Some(result))) => {
                last = Some(seen.clone());
                candidate = Some(seen);
                deliver(result.map_err(Rejection::from));
            }
            Ok((seen, None)) => candidate = Some(seen),
            Err(e) => deliver(Err(Rejection::ReadTask(e))),
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests;
