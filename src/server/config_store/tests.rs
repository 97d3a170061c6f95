use super::*;
use crate::perimeter::load_perimeters;

const CORP: &str = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity: {trustedOrganizations: [o-abc123def4]}\n";

fn store(files: bool, crds: bool) -> (ConfigStore, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    (
        ConfigStore::new(Settings::default(), files, crds, metrics.clone()),
        metrics,
    )
}

#[test]
fn an_invalid_state_keeps_the_last_good_snapshot_and_says_so() {
    let (store, metrics) = store(true, false);
    assert!(!store.is_ready());
    let good = load_perimeters(CORP, "corp.yaml").unwrap();
    store.files_loaded(Ok(good.clone()));
    let first = store.current().unwrap();
    assert_eq!(first.generation(), 1);
    assert!(store.is_ready());
    store.files_loaded(Err(Rejection::Files(LoadError::Empty("corp.yaml".into()))));
    assert_eq!(store.current().unwrap().hash(), first.hash());
    assert_eq!(
        store.status().last_error.as_deref(),
        Some("no DataPerimeter found in corp.yaml")
    );
    let text = metrics.encode();
    assert!(
        text.contains("perimeter_guard_config_reload_total{result=\"failure\"} 1"),
        "{text}"
    );
    assert!(text.contains("perimeter_guard_config_stale 1"), "{text}");
    // The same content again is no new generation, and clears the error.
    store.files_loaded(Ok(good));
    assert_eq!(store.current().unwrap().generation(), 1);
    assert_eq!(store.status().last_error, None);
    let changed = load_perimeters(&CORP.replace("corp", "corp2"), "corp.yaml").unwrap();
    store.files_loaded(Ok(changed));
    let second = store.current().unwrap();
    assert_eq!(second.generation(), 2);
    assert_eq!(second.settings.config_generation, 2);
    assert_ne!(second.hash(), first.hash());
    let text = metrics.encode();
    assert!(
        text.contains(&format!(
            "perimeter_guard_config_info{{generation=\"2\",hash=\"{}\"}} 1",
            second.hash()
        )),
        "{text}"
    );
    assert!(!text.contains("generation=\"1\""), "{text}");
}

#[test]
fn both_sources_must_deliver_before_a_snapshot_and_may_not_share_names() {
    let (store, _) = store(true, true);
    store.files_loaded(Ok(load_perimeters(CORP, "corp.yaml").unwrap()));
    assert!(store.current().is_none(), "waits for the custom resources");
    store.crds_loaded(Vec::new(), CrdSync::default());
    assert_eq!(store.current().unwrap().perimeters.len(), 1);
    let clash = load_perimeters(CORP, "DataPerimeter corp").unwrap();
    store.crds_loaded(clash, CrdSync::default());
    assert_eq!(store.current().unwrap().perimeters.len(), 1);
    assert!(
        store
            .status()
            .last_error
            .unwrap()
            .contains("defined both in the files and as a custom resource")
    );
}
