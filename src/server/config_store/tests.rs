use super::*;

const CORP: &str = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity: {trustedOrganizations: [o-abc123def4]}\n";

fn store(files: bool, crds: bool) -> (ConfigStore, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    (
        ConfigStore::new(Settings::default(), files, crds, metrics.clone()),
        metrics,
    )
}

#[test]
fn directories_skip_hidden_entries_and_other_extensions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corp.yaml"), CORP).unwrap();
    std::fs::write(dir.path().join("README.md"), "not configuration").unwrap();
    // A mounted ConfigMap: the same file again behind the kubelet's hidden folder.
    std::fs::create_dir(dir.path().join("..data")).unwrap();
    std::fs::write(dir.path().join("..data/corp.yaml"), CORP).unwrap();
    std::fs::write(dir.path().join(".corp.yaml.swp"), "garbage").unwrap();
    let (perimeters, _) = read_files(&[dir.path().to_owned()]).unwrap();
    assert_eq!(perimeters.len(), 1);
}

#[test]
fn a_name_defined_in_two_files_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), CORP).unwrap();
    std::fs::write(dir.path().join("b.yaml"), CORP).unwrap();
    let e = read_files(&[dir.path().to_owned()]).unwrap_err();
    assert!(
        e.contains("b.yaml") && e.contains("\"corp\" is defined twice"),
        "{e}"
    );
    let empty = tempfile::tempdir().unwrap();
    let e = read_files(&[empty.path().to_owned()]).unwrap_err();
    assert!(e.starts_with("no DataPerimeter found in "), "{e}");
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
    store.files_loaded(Err("corp.yaml: spec.identity: bad".into()));
    assert_eq!(store.current().unwrap().hash(), first.hash());
    assert_eq!(
        store.status().last_error.as_deref(),
        Some("corp.yaml: spec.identity: bad")
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
