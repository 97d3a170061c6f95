#![forbid(unsafe_code)]
//! Perimeter Guard: keeps an organisation's AWS data perimeter intact by checking the policies
//! and placement of VPC endpoints and S3 buckets described as Kubernetes objects.

pub mod admission;
pub mod audit;
pub mod cli;
pub mod decision;
pub mod iam;
pub mod perimeter;
pub mod resources;
pub mod server;
pub mod time;
pub mod yaml;
