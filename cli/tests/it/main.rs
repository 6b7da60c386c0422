//! herald-cli's integration tests, one binary (a module per subject), so that the crate's test
//! dependencies are linked once. Snapshots stay in `tests/snapshots` under the names they had when
//! each module was a test binary of its own (`common::snapshots`).

mod avro_reference;
mod buf_conformance;
mod catalog;
mod check;
mod cli;
mod common;
mod fmt;
mod generate;
mod impact;
mod lint_fixtures;
mod lsp;
mod nvim;
mod topics;
// `herald topics apply` against a real broker: built with `--features kafka`, run by
// `cargo test -p herald-cli --features kafka --test it topics_kafka` (`cargo xtask ci`).
#[cfg(feature = "kafka")]
mod topics_kafka;
