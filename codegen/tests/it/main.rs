//! herald-codegen's integration tests, one binary (a module per subject), so that the crate's test
//! dependencies are linked once. Snapshots stay in `tests/snapshots` under the names they had when
//! each module was a test binary of its own (`common::snapshots`).

mod avro_property;
mod buf_peer;
mod check;
mod check_cache;
mod common;
mod consumers;
mod fmt_buf;
mod fmt_buf_peer;
mod fmt_properties;
mod generate;
mod layers;
mod lint_fixtures;
mod lock_property;
mod proto_property;
mod rules;
mod session;
