//! Kubernetes objects of the checked kinds (ACK, Crossplane classic, Upbound) turned into the
//! facts the perimeter rules read. Nothing here knows about HTTP.

pub mod structured_policy;
