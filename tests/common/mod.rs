//! Shared by the integration tests: where the shared corpus lives.
#![allow(dead_code)]

pub mod admission;
pub mod cli;
pub mod corpus;
pub mod pki;
pub mod policy_gen;
pub mod serve;

#[allow(unused_imports)] // not every test crate reads the corpus
pub use corpus::{corpus_root, files_below};
