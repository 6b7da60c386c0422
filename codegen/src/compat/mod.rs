//! Compatibility of schema changes: two models in, findings out. compat never reads files.

pub mod avro;
