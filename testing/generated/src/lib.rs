//! The generated event code the tests (`tests/it`) run: the user service's protobuf events (with a
//! `UserUpdated` handler trait and dispatcher) and accounting's Avro events, from the example
//! schema repo `schemas/`.

herald_runtime::include_events!(pub mod events);

pub use events::*;
