//! herald-codegen: loads a repository of event schemas (Protocol Buffers and Apache Avro) into
//! one model, lints it, and (in later stages) checks compatibility and generates Rust.
//!
//! The pipeline: [`load::load`] reads `herald.toml` and every schema file into an
//! [`model::EventSet`] through the [`proto`] and [`avro`] front ends; passes such as
//! [`lint::lint`] read the model and report [`diagnostic::Diagnostic`]s located by [`span::Span`].

pub mod avro;
// Only the command line (herald-cli) uses this module, for `herald check --against git:REV`
// and `herald release`: not part of the documented surface a build script needs.
#[doc(hidden)]
pub mod baseline;
mod builder;
pub mod compat;
pub mod config;
pub mod consumers;
pub mod diagnostic;
pub mod files;
pub mod fingerprint;
pub mod fmt;
// Only the command line (herald-cli) uses this module, for `herald init`: not part of the
// documented surface a build script needs.
#[doc(hidden)]
pub mod init;
pub mod lint;
pub mod load;
pub mod lock;
pub mod model;
pub mod naming;
pub mod proto;
pub mod render;
pub mod rules;
pub mod rust;
pub mod span;
pub mod suggest;
// Only the command line (herald-cli) uses this module, for `herald topics`: not part of the
// documented surface a build script needs.
#[doc(hidden)]
pub mod topics;

pub use builder::{BuildError, Builder, OUTPUT_FILE};
pub use diagnostic::{Diagnostic, Severity};
pub use model::EventSet;
