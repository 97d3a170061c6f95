//! Every integration test in one binary: the tests share one link of the crate and its
//! dependencies, and `common` once.

mod common;

mod aws_examples;
mod aws_owned_corpus;
mod chart;
mod cli_analyze;
mod cli_check;
mod cli_exceptions;
mod cli_exit_status;
mod cli_rendered;
mod cli_simulate;
mod cli_witness_replay;
mod corpus_access_points;
mod corpus_check_serve;
mod corpus_compositions;
mod corpus_destinations;
mod corpus_endpoint_types;
mod corpus_facts_cache;
mod corpus_guardrails;
mod corpus_manifests;
mod corpus_policies;
mod corpus_upstream_manifests;
mod crd;
mod docs_commands;
mod hostile_input;
mod house_rules;
mod iam_properties;
mod perimeter_errors;
mod reasoner_corpus;
mod reasoner_differential;
mod reasoner_witness_ids;
mod rules_doc;
mod serve_limits;
mod serve_overload;
mod serve_router;
mod serve_shutdown;
mod serve_tls;
mod static_binary;
mod yaml_inputs;
