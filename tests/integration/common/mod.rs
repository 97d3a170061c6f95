//! Shared by the integration tests: where the shared corpus lives.
#![allow(dead_code)]

pub mod admission;
pub mod cli;
pub mod corpus;
pub mod pki;
pub mod policy_gen;
pub mod serve;
pub mod witness;

#[allow(unused_imports)] // not every test crate reads the corpus
pub use corpus::{corpus_root, corpus_root_if_present, files_below};

/// Peak resident memory of a process (`self` or a pid), in MiB, from /proc; 0 when unreadable.
pub fn peak_rss_mib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
