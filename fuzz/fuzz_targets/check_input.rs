//! `check`'s reader: any bytes are read as YAML or JSON documents or refused with an error, and
//! every document read is evaluated against the example perimeter without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "example_perimeter.rs"]
mod example_perimeter;
use example_perimeter::PERIMETERS;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(documents) = perimeter_guard::cli::check::manifests::parse(text, "fuzz") {
        for d in documents {
            let _ = perimeter_guard::decision::evaluate(&d.value, &PERIMETERS);
        }
    }
});
