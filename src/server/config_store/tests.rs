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
    assert!(
        store.current().is_none(),
        "waits for the exception custom resources"
    );
    store.exception_crds_loaded(Vec::new());
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

const EXCEPTION: &str = r#"
apiVersion: perimeterguard.io/v1alpha1
kind: PerimeterException
metadata: {name: uploads-partner}
spec:
  owner: data-platform@example.com
  reason: ticket SEC-1234
  expiresAt: "2027-01-31T00:00:00Z"
  rules: [DP-DEST-001]
  match: {names: [uploads]}
"#;

fn exceptions(source: &str) -> Vec<crate::perimeter::exception::PerimeterException> {
    let limits = crate::perimeter::exception::ExpiryLimits {
        now: "2027-01-01T00:00:00Z".parse().unwrap(),
        max_days: 90,
    };
    crate::perimeter::exception::load_exceptions(EXCEPTION, source, limits).unwrap()
}

#[test]
fn exceptions_are_part_of_the_configuration_its_generation_and_hash() {
    let (store, _) = store(true, true);
    let store = store.with_exception_files();
    store.files_loaded(Ok(load_perimeters(CORP, "corp.yaml").unwrap()));
    store.crds_loaded(Vec::new(), CrdSync::default());
    store.exception_crds_loaded(Vec::new());
    assert!(store.current().is_none(), "waits for the exception files");
    store.exception_files_loaded(Ok(Vec::new()));
    let first = store.current().unwrap();
    assert!(first.settings.exceptions.is_empty());
    assert_eq!(
        first.hash(),
        load::configuration_hash(&first.perimeters, &Exceptions::default()),
        "without exceptions the hash is the perimeters' alone, as it always was"
    );
    store.exception_crds_loaded(exceptions("PerimeterException uploads-partner"));
    let second = store.current().unwrap();
    assert_eq!(second.generation(), first.generation() + 1);
    assert_ne!(second.hash(), first.hash());
    assert_eq!(second.settings.exceptions.iter().count(), 1);
    // The same name in a file as well: rejected whole, the last good configuration stays.
    store.exception_files_loaded(Ok(exceptions("exceptions.yaml")));
    assert_eq!(store.current().unwrap().generation(), second.generation());
    assert!(
        store
            .status()
            .last_error
            .unwrap()
            .contains("PerimeterException \"uploads-partner\" is defined both")
    );
}
