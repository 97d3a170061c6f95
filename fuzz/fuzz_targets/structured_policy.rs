//! Crossplane classic's structured policies: any document (YAML or JSON) is read as `check` reads
//! it, and every `spec.forProvider.policy` (or the document itself) is rendered to IAM JSON. A
//! rendering never panics, and what it renders is valid JSON that the policy parser accepts or
//! refuses with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perimeter_guard::iam::{Policy, PolicyKind};
use perimeter_guard::resources::structured_policy::render;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(documents) = perimeter_guard::cli::check::manifests::parse(text, "fuzz") else {
        return;
    };
    for d in documents {
        let (policy, at) = match d.value.pointer("/spec/forProvider/policy") {
            Some(p) => (p, "/spec/forProvider/policy"),
            None => (&d.value, ""),
        };
        if let Ok(rendered) = render(policy, at) {
            assert_eq!(
                rendered.statement_pointers.len(),
                rendered.document["Statement"]
                    .as_array()
                    .map_or(0, Vec::len),
                "one pointer per rendered statement"
            );
            let json = serde_json::to_string(&rendered.document).expect("serialisable");
            let _ = Policy::parse(&json, PolicyKind::BucketPolicy);
        }
    }
});
