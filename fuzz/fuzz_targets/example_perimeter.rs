//! The bundled example perimeter, shared by the fuzz targets that decide objects.

use std::sync::LazyLock;

use perimeter_guard::perimeter::DataPerimeter;

pub static PERIMETERS: LazyLock<Vec<DataPerimeter>> = LazyLock::new(|| {
    let text = include_str!("../../manifests/examples/dataperimeter.yaml");
    perimeter_guard::perimeter::load_perimeters(text, "dataperimeter.yaml")
        .expect("the example perimeter")
});
