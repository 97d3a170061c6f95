//! `--watch-crds`: DataPerimeter custom resources, watched through the API server. Each object is
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
use crate::perimeter::{ConfigError, DataPerimeter};

use super::config_store::{ConfigStore, CrdSync};
use super::metrics::{Metrics, ResultLabels};

/// The field manager of status writes.
pub const FIELD_MANAGER: &str = "perimeter-guard";

/// Watches until the stream ends (it does not: errors are retried with backoff).
pub async fn watch(client: kube::Client, store: Arc<ConfigStore>, metrics: Arc<Metrics>) {
    let resource = ApiResource::erase::<DataPerimeterResource>(&());
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let status_api: Api<DataPerimeterResource> = Api::all(client);
    let mut objects: BTreeMap<String, DynamicObject> = BTreeMap::new();
    let mut listing: Option<BTreeMap<String, DynamicObject>> = None;
    let mut synced = false;
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = stream.next().await {
        let changed = match event {
            Err(e) => {
                tracing::warn!(error = %e, "watching DataPerimeter objects; retrying with the last good configuration in force");
                store.crd_error(&e);
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
                let converted = from_object(object);
                write_status(&status_api, object, &converted).await;
                match converted {
                    Ok(dp) => accepted.push(dp),
                    Err(e) => invalid.push(e.to_string()),
                }
            }
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
        }
    }
}

/// Writes the `Accepted` condition when it differs from what the object already says, so steady
/// state costs the API server nothing.
async fn write_status(
    api: &Api<DataPerimeterResource>,
    object: &DynamicObject,
    converted: &Result<DataPerimeter, ConfigError>,
) {
    let Some(name) = object.metadata.name.as_deref() else {
        return;
    };
    let generation = object.metadata.generation.unwrap_or_default();
    let (status, reason, message) = match converted {
        Ok(_) => ("True", "Valid", "in force".to_owned()),
        Err(e) => ("False", "Invalid", e.to_string()),
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
        tracing::warn!(object = name, error = %e, "could not write the DataPerimeter status");
    } else if status == "False" {
        tracing::warn!(object = name, error = %message, "DataPerimeter is invalid and ignored");
    }
}
