//! The AWS policy language: a strict parser, a normalised model, and a concrete evaluator.
//!
//! Nothing here knows about Kubernetes. See `docs/iam-semantics.md` for the rules implemented and
//! the decisions taken where AWS documentation is silent.

pub mod arn;
pub mod condition;
pub mod domains;
pub mod error;
pub mod evaluate;
pub mod keys;
pub mod pattern;
pub mod policy;
pub mod principal;
pub mod reasoner;
pub mod request;
pub mod services;
pub mod strict_json;
pub mod template;
pub mod userid;

pub use error::{Pointer, PolicyError};
pub use evaluate::{Evaluation, Outcome, StatementRef, evaluate};
pub use policy::{Policy, PolicyKind};
pub use request::{Caller, Request};

#[cfg(test)]
pub(crate) mod testing;
