//! CloudEvents 1.0, both directions of each binding herald speaks:
//!
//! - `binary` mode (the Kafka protocol binding): attributes as `ce_*` headers, the payload as the
//!   record's value. The writer turns an [`Envelope`](crate::Envelope) into headers; the reader
//!   finds and checks a record's attributes in place, without copying.
//! - [`structured`] mode (JSON): the whole envelope as one JSON object, for humans, debugging and
//!   HTTP peers.
//! - `time`: the `time` attribute's RFC 3339 form, as written and as read.
//!
//! The header names are in [`headers`], once: the writer writes them, the reader recognises them.

pub(crate) mod binary;
pub mod structured;
pub(crate) mod time;

pub use structured::CONTENT_TYPE_CLOUDEVENTS_JSON;

/// Header names of the CloudEvents Kafka binding (binary mode) and herald's extensions: the one
/// table both directions use.
pub mod headers {
    pub const ID: &str = "ce_id";
    pub const SOURCE: &str = "ce_source";
    pub const TYPE: &str = "ce_type";
    pub const SPEC_VERSION: &str = "ce_specversion";
    pub const TIME: &str = "ce_time";
    pub const CONTENT_TYPE: &str = "content-type";
    pub const DATA_SCHEMA: &str = "ce_dataschema";
    pub const SUBJECT: &str = "ce_subject";
    pub const VERSION: &str = "ce_version";
    pub const PARTITION_KEY: &str = "ce_partitionkey";
    pub const CORRELATION_ID: &str = "ce_correlationid";
    pub const CAUSATION_ID: &str = "ce_causationid";
    pub const TRACEPARENT: &str = "ce_traceparent";
}
