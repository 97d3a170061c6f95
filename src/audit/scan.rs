//! Listing the checked kinds a cluster serves, page by page, and deciding every object. Memory is
//! bounded by the pages in flight: an object's JSON is dropped once it is decided, and only its
//! reference and verdict are kept.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};

use crate::decision::{ObjectVerdict, evaluate_excepted};
use crate::perimeter::DataPerimeter;
use crate::perimeter::exception::Exceptions;
use crate::resources::webhook_rules::plural;
use crate::resources::{CheckedKind, checked_kinds};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("discovering {group_version}: {source}")]
    Discovery {
        group_version: String,
        source: kube::Error,
    },
    #[error("listing {resource}: {source}")]
    List {
        resource: String,
        source: kube::Error,
    },
}

/// How hard the scan may press on the API server.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Only these namespaces (cluster-scoped kinds are then left out); all when empty.
    pub namespaces: Vec<String>,
    /// Objects per list request.
    pub page_size: u32,
    /// Kinds listed at once.
    pub concurrency: usize,
    /// List requests per second, at most.
    pub qps: f64,
    /// The exceptions in force, and the one instant the whole audit decides them at.
    pub exceptions: Exceptions,
    pub now: jiff::Timestamp,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            namespaces: Vec::new(),
            page_size: 500,
            concurrency: 4,
            qps: 20.0,
            exceptions: Exceptions::default(),
            now: jiff::Timestamp::now(),
        }
    }
}

/// A kind the cluster serves, and how to list it.
#[derive(Debug, Clone)]
pub struct ServedKind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// One object's outcome, without the object.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
    /// The AWS resource's ARN, when the controller has recorded it in the object's status (ACK's
    /// `status.ackResourceMetadata.arn`, Crossplane's and Upbound's `status.atProvider.arn`).
    pub aws_arn: Option<String>,
    pub verdict: ObjectVerdict,
}

/// The ARN a controller recorded for the object, if any.
pub fn recorded_arn(doc: &serde_json::Value) -> Option<String> {
    ["/status/ackResourceMetadata/arn", "/status/atProvider/arn"]
        .iter()
        .find_map(|p| doc.pointer(p)?.as_str())
        .filter(|arn| arn.starts_with("arn:"))
        .map(str::to_owned)
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub served: Vec<ServedKind>,
    /// `group/version`s the cluster does not serve (a provider that is not installed).
    pub absent: Vec<String>,
}

/// Which checked kinds the cluster serves. For a kind checked in several versions, the last one
/// served is listed (the objects are the same in every version).
pub async fn discover(client: &kube::Client) -> Result<Discovered, ScanError> {
    let mut out = Discovered::default();
    for CheckedKind {
        group,
        kind,
        versions,
        namespaced,
    } in checked_kinds()
    {
        let mut chosen = None;
        for version in versions {
            let group_version = format!("{group}/{version}");
            match client.list_api_group_resources(&group_version).await {
                Ok(list) => {
                    if list
                        .resources
                        .iter()
                        .any(|r| r.kind == kind && !r.name.contains('/'))
                    {
                        chosen = Some(version);
                    }
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {
                    if !out.absent.contains(&group_version) {
                        out.absent.push(group_version);
                    }
                }
                Err(source) => {
                    return Err(ScanError::Discovery {
                        group_version,
                        source,
                    });
                }
            }
        }
        if let Some(version) = chosen {
            out.served.push(ServedKind {
                resource: ApiResource {
                    group: group.to_owned(),
                    version: (*version).to_owned(),
                    api_version: format!("{group}/{version}"),
                    kind: kind.to_owned(),
                    plural: plural(kind),
                },
                namespaced,
            });
        }
    }
    Ok(out)
}

/// Spaces list requests out to at most `qps` per second across all tasks.
struct Pace {
    next: tokio::sync::Mutex<Instant>,
    interval: Duration,
}

impl Pace {
    fn new(qps: f64) -> Self {
        Self {
            next: tokio::sync::Mutex::new(Instant::now()),
            interval: Duration::from_secs_f64(1.0 / qps.max(0.01)),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// Lists every served kind and decides each object, handing each outcome to `sink` as soon as it
/// is decided (so a caller that only counts keeps nothing); returns how many objects were seen.
pub async fn scan(
    client: &kube::Client,
    kinds: &[ServedKind],
    perimeters: &[DataPerimeter],
    options: &ScanOptions,
    mut sink: impl FnMut(Scanned),
) -> Result<usize, ScanError> {
    let pace = Pace::new(options.qps);
    let mut jobs: Vec<(ServedKind, Option<String>)> = Vec::new();
    for kind in kinds {
        if options.namespaces.is_empty() {
            jobs.push((kind.clone(), None));
        } else if kind.namespaced {
            for ns in &options.namespaces {
                jobs.push((kind.clone(), Some(ns.clone())));
            }
        }
    }
    // A bounded channel: listing waits for the sink rather than piling objects up.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Scanned>(256);
    let producer = async move {
        let results: Vec<Result<(), ScanError>> = futures_util::stream::iter(jobs)
            .map(|(kind, namespace)| {
                let (pace, tx) = (&pace, tx.clone());
                async move {
                    list_kind(
                        client,
                        &kind,
                        namespace.as_deref(),
                        perimeters,
                        options,
                        pace,
                        &tx,
                    )
                    .await
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        drop(tx);
        results.into_iter().collect::<Result<(), ScanError>>()
    };
    let consumer = async {
        let mut seen = 0;
        while let Some(o) = rx.recv().await {
            sink(o);
            seen += 1;
        }
        seen
    };
    let (listed, seen) = tokio::join!(producer, consumer);
    listed.map(|()| seen)
}

async fn list_kind(
    client: &kube::Client,
    kind: &ServedKind,
    namespace: Option<&str>,
    perimeters: &[DataPerimeter],
    options: &ScanOptions,
    pace: &Pace,
    tx: &tokio::sync::mpsc::Sender<Scanned>,
) -> Result<(), ScanError> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &kind.resource),
        None => Api::all_with(client.clone(), &kind.resource),
    };
    let mut token: Option<String> = None;
    loop {
        pace.wait().await;
        let mut params = ListParams::default().limit(options.page_size);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = api.list(&params).await.map_err(|source| ScanError::List {
            resource: format!("{}.{}", kind.resource.plural, kind.resource.api_version),
            source,
        })?;
        for object in page.items {
            let doc = match serde_json::to_value(&object) {
                Ok(mut v) => {
                    // A list's items carry no apiVersion/kind of their own.
                    v["apiVersion"] = kind.resource.api_version.clone().into();
                    v["kind"] = kind.resource.kind.clone().into();
                    v
                }
                Err(_) => continue,
            };
            let verdict = evaluate_excepted(&doc, perimeters, &options.exceptions, options.now);
            let scanned = Scanned {
                api_version: kind.resource.api_version.clone(),
                kind: kind.resource.kind.clone(),
                namespace: object.metadata.namespace.clone(),
                name: object.metadata.name.clone().unwrap_or_default(),
                uid: object.metadata.uid.clone().unwrap_or_default(),
                aws_arn: recorded_arn(&doc),
                verdict,
            };
            if tx.send(scanned).await.is_err() {
                // The receiver is gone: the run is over.
                return Ok(());
            }
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(());
        }
    }
}
