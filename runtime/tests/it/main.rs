//! herald-runtime's integration tests, one binary: CloudEvents interop with the SDK, the consumer
//! loop on the in-memory transport, and `Context::read` against a plain reading.

mod cloudevents;
mod consumer;
mod context_read;
#[path = "../support/mod.rs"]
mod support;
