//! The data perimeter as platform teams write it: the `DataPerimeter` configuration.

pub mod aws_owned;
pub mod catalog;
pub mod config;
pub mod crd;
pub mod exception;
pub mod load;
pub mod rules;

pub use config::{ConfigError, DataPerimeter, DataPerimeterSpec, load_perimeters};
