//! The language server driven as an editor drives it: a JSON-RPC client over an in-memory
//! connection to the server running on its own thread.

mod baseline;
mod core;
mod diagnostics;
mod harness;
mod incremental;
mod latency;
mod navigation;
mod robustness;
