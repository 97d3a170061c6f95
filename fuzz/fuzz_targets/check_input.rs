//! `check`'s reader: any bytes are read as YAML or JSON documents or refused with an error, and
//! every document read is evaluated against the example perimeter without panicking.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use perimeter_guard::perimeter::DataPerimeter;

static PERIMETERS: LazyLock<Vec<DataPerimeter>> = LazyLock::new(|| {
    let text = include_str!("../../manifests/examples/dataperimeter.yaml");
    perimeter_guard::perimeter::load_perimeters(text, "dataperimeter.yaml")
        .expect("the example perimeter")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(documents) = perimeter_guard::input::parse(text, "fuzz") {
        for d in documents {
            let _ = perimeter_guard::decision::evaluate(&d.value, &PERIMETERS);
        }
    }
});
