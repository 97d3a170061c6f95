//! `--watch-crds`: DataPerimeter and PerimeterException custom resources, watched through the API
//! server. Each object is
//! validated on its own; an invalid one is reported on its status (`Accepted=False`, reason
//! `Invalid`, with the error) and left out, and the valid ones form the configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::json;

use crate::perimeter::crd::{
    DataPerimeterResource, DataPerimeterStatus, StatusCondition, from_object,
};
use crate::perimeter::exception::{self, PerimeterException, PerimeterExceptionResource};
use crate::perimeter::{ConfigError, DataPerimeter};

use super::config_store::{ConfigStore, CrdSync};
use super::metrics::{Metrics, ResultLabels};

/// The field manager of status writes.
pub const FIELD_MANAGER: &str = "perimeter-guard";

/// Watches DataPerimeter and PerimeterException objects until the streams end (they do not:
/// errors are retried with backoff).
pub async fn watch(client: kube::Client, store: Arc<ConfigStore>, metrics: Arc<Metrics>) {
    let perimeters = {
        let (store, metrics) = (store.clone(), metrics.clone());
        watch_kind(
            client.clone(),
            (
                ApiResource::erase::<DataPerimeterResource>(&()),
                WhenNotServed::Unknown,
            ),
            from_object,
            (store.clone(), metrics.clone()),
            move |accepted: Vec<DataPerimeter>, invalid: Vec<String>| {
                metrics.crd_objects.clear();
                for (result, n) in [("accepted", accepted.len()), ("invalid", invalid.len())] {
                    metrics
                        .crd_objects
                        .get_or_create(&ResultLabels {
                            result: result.to_owned(),
                        })
                        .set(n as i64);
                }
                let sync = CrdSync {
                    synced: true,
                    accepted: accepted.len(),
                    invalid,
                    last_error: None,
                };
                store.crds_loaded(accepted, sync);
            },
        )
    };
    let exceptions = {
        let max_days = store.max_exception_days();
        let convert = move |o: &DynamicObject| {
            let limits = exception::ExpiryLimits {
                now: jiff::Timestamp::now(),
                max_days,
            };
            exception::from_object(o, limits)
        };
        let (store, metrics) = (store.clone(), metrics.clone());
        watch_kind(
            client,
            (
                ApiResource::erase::<PerimeterExceptionResource>(&()),
                WhenNotServed::NoneInForce,
            ),
            convert,
            (store.clone(), metrics.clone()),
            move |accepted: Vec<PerimeterException>, invalid: Vec<String>| {
                metrics.exceptions_invalid.set(invalid.len() as i64);
                store.exception_crds_loaded(accepted);
            },
        )
    };
    tokio::join!(perimeters, exceptions);
}

/// Whether a cluster that does not serve a kind has none of its objects, or has not said yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WhenNotServed {
    /// Exceptions: a cluster whose CRD is not installed yet (as after a `helm upgrade`, which
    /// never installs new CRDs) waives nothing, and the webhook serves.
    NoneInForce,
    /// DataPerimeters: without them nothing is enforced, so the webhook stays unready (the
    /// failurePolicy applies) rather than admit everything.
    Unknown,
}

/// One kind's objects, each converted on its own: the valid ones are delivered together after
/// every change, an invalid one is reported on its status and left out. A kind the cluster does
/// not serve is handled as `when_not_served` says, and the watch keeps trying.
async fn watch_kind<T>(
    client: kube::Client,
    (resource, when_not_served): (ApiResource, WhenNotServed),
    convert: impl Fn(&DynamicObject) -> Result<T, ConfigError>,
    (store, metrics): (Arc<ConfigStore>, Arc<Metrics>),
    deliver: impl Fn(Vec<T>, Vec<String>),
) {
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut objects: BTreeMap<String, DynamicObject> = BTreeMap::new();
    let mut listing: Option<BTreeMap<String, DynamicObject>> = None;
    let mut synced = false;
    let mut stream = watcher::watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = stream.next().await {
        let changed = match event {
            Err(e) => {
                let absent = matches!(&e, watcher::Error::InitialListFailed(kube::Error::Api(s)) if s.code == 404);
                if absent && !synced && when_not_served == WhenNotServed::NoneInForce {
                    tracing::warn!(kind = %resource.kind, "the cluster does not serve this kind (its CRD is not installed): none are in force");
                    synced = true;
                    deliver(Vec::new(), Vec::new());
                } else if !absent || when_not_served == WhenNotServed::Unknown {
                    tracing::warn!(kind = %resource.kind, error = %e, "watching custom resources; retrying with the last good configuration in force");
                    store.crd_error(&e);
                }
                metrics.crd_watch_errors.inc();
                continue;
            }
            Ok(Event::Init) => {
                listing = Some(BTreeMap::new());
                false
            }
            Ok(Event::InitApply(o)) => {
                if let Some(l) = listing.as_mut() {
                    l.insert(o.metadata.name.clone().unwrap_or_default(), o);
                }
                false
            }
            Ok(Event::InitDone) => {
                if let Some(l) = listing.take() {
                    objects = l;
                }
                synced = true;
                true
            }
            Ok(Event::Apply(o)) => {
                objects.insert(o.metadata.name.clone().unwrap_or_default(), o);
                true
            }
            Ok(Event::Delete(o)) => {
                objects.remove(&o.metadata.name.clone().unwrap_or_default());
                true
            }
        };
        if changed && synced {
            let mut accepted = Vec::new();
            let mut invalid = Vec::new();
            for object in objects.values() {
                let converted = convert(object);
                write_status(&api, &resource.kind, object, converted.as_ref().err()).await;
                match converted {
                    Ok(c) => accepted.push(c),
                    Err(e) => invalid.push(e.to_string()),
                }
            }
            deliver(accepted, invalid);
        }
    }
}

/// Writes the `Accepted` condition when it differs from what the object already says, so steady
/// state costs the API server nothing.
async fn write_status(
    api: &Api<DynamicObject>,
    kind: &str,
    object: &DynamicObject,
    error: Option<&ConfigError>,
) {
    let Some(name) = object.metadata.name.as_deref() else {
        return;
    };
    let generation = object.metadata.generation.unwrap_or_default();
    let (status, reason, message) = match error {
        None => ("True", "Valid", "in force".to_owned()),
        Some(e) => ("False", "Invalid", e.to_string()),
    };
    let existing: Option<StatusCondition> = object
        .data
        .pointer("/status/conditions")
        .and_then(|c| serde_json::from_value::<Vec<StatusCondition>>(c.clone()).ok())
        .and_then(|cs| cs.into_iter().find(|c| c.type_ == "Accepted"));
    if let Some(c) = &existing
        && c.status == status
        && c.reason == reason
        && c.message == message
        && c.observed_generation == generation
    {
        return;
    }
    let last_transition_time = match &existing {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => crate::time::now_rfc3339_seconds(),
    };
    let new_status = DataPerimeterStatus {
        conditions: vec![StatusCondition {
            type_: "Accepted".into(),
            status: status.into(),
            reason: reason.into(),
            message: message.clone(),
            observed_generation: generation,
            last_transition_time,
        }],
    };
    let patch = json!({"status": new_status});
    if let Err(e) = api
        .patch_status(
            name,
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(&patch),
        )
        .await
    {
        tracing::warn!(kind, object = name, error = %e, "could not write the status");
    } else if status == "False" {
        tracing::warn!(kind, object = name, error = %message, "invalid and ignored");
    }
}
