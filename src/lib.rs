#![forbid(unsafe_code)]
//! Perimeter Guard: keeps an organisation's AWS data perimeter intact by checking the policies
//! and placement of VPC endpoints and S3 buckets described as Kubernetes objects.

pub mod admission;
pub mod analysis;
pub mod audit;
pub mod decision;
pub mod iam;
pub mod input;
pub mod perimeter;
pub mod report;
pub mod resources;
pub mod server;
pub mod simulate;
pub mod yaml;
