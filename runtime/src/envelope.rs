//! The envelope every event and command travels in: CloudEvents 1.0 attributes plus herald's
//! extensions, with the payload as a separate byte string.

use crate::cloudevents::binary::{check_required, Slot};
use crate::event::{Event, Version};
use crate::transport::Record;
use crate::CLOUDEVENTS_SPEC_VERSION;

/// CloudEvents attributes (`id`, `source`, `type`, `specversion`, `time`, `datacontenttype`,
/// `dataschema`, `subject`) plus herald's extensions (`version`, `partitionkey`, `correlationid`,
/// `causationid`, `traceparent`) and the encoded payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub id: String,
    pub source: String,
    pub event_type: String,
    pub spec_version: String,
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    pub data_content_type: Option<String>,
    pub data_schema: Option<String>,
    pub subject: Option<String>,
    pub version: Version,
    pub partition_key: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub traceparent: Option<String>,
    pub data: Vec<u8>,
}

impl Envelope {
    /// Wraps an event: a fresh id, the current time, the event's type, version, content type and
    /// partition key, and its encoded payload. The correlation id starts a new conversation
    /// (it equals the id) unless [`Envelope::caused_by`] continues one.
    pub fn wrap<E: Event>(event: &E, source: &str) -> Result<Envelope, crate::CodecError> {
        let id = uuid::Uuid::new_v4().to_string();
        Ok(Envelope {
            correlation_id: Some(id.clone()),
            id,
            source: source.to_owned(),
            event_type: E::TYPE.to_owned(),
            spec_version: CLOUDEVENTS_SPEC_VERSION.to_owned(),
            // Microseconds: what both binary and structured mode carry, so an envelope reads back equal.
            time: Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)),
            data_content_type: Some(E::CONTENT_TYPE.to_owned()),
            data_schema: None,
            subject: None,
            version: E::VERSION,
            partition_key: Some(event.partition_key()),
            causation_id: None,
            traceparent: None,
            data: event.encode()?,
        })
    }

    /// Marks this envelope as caused by `cause`: same correlation id, causation id = cause's id.
    pub fn caused_by(mut self, cause: &crate::Context) -> Envelope {
        self.correlation_id = Some(cause.correlation_id().unwrap_or(cause.id()).to_owned());
        self.causation_id = Some(cause.id().to_owned());
        self.traceparent = self.traceparent.or_else(|| cause.traceparent().map(str::to_owned));
        self
    }
}

/// An envelope that is missing an attribute or has one in the wrong format.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeError {
    /// The CloudEvents attribute (or header) at fault.
    pub attribute: &'static str,
    pub problem: String,
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "envelope attribute `{}`: {}", self.attribute, self.problem)
    }
}

impl std::error::Error for EnvelopeError {}

pub(crate) fn invalid(attribute: &'static str, problem: impl Into<String>) -> EnvelopeError {
    EnvelopeError {
        attribute,
        problem: problem.into(),
    }
}

/// A content type without its parameters (`application/json; charset=utf-8` → `application/json`).
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

impl Envelope {
    /// Checks the CloudEvents rules herald relies on: `id`, `source` and `type` present and
    /// non-empty, `specversion` 1.0, a `source` without whitespace, a MAJOR.MINOR `version`.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        check_required(
            self.id.as_bytes(),
            self.source.as_bytes(),
            self.event_type.as_bytes(),
            self.spec_version.as_bytes(),
        )
    }

    /// Reads an envelope from a record in CloudEvents binary mode (or structured mode, from a
    /// `application/cloudevents+json` record), validating every attribute; a header given more
    /// than once counts with its last value. The attributes and payload are copied; the consumer
    /// reads records without copies, as a [`crate::Context`].
    pub fn from_record(record: &Record) -> Result<Envelope, EnvelopeError> {
        crate::Context::read(record.clone())
            .map(crate::Context::into_envelope)
            .map_err(|unreadable| unreadable.error)
    }

    /// An envelope with nothing set (no allocation), to fill in.
    pub(crate) fn empty() -> Envelope {
        Envelope {
            id: String::new(),
            source: String::new(),
            event_type: String::new(),
            spec_version: String::new(),
            time: None,
            data_content_type: None,
            data_schema: None,
            subject: None,
            version: Version::new(0, 0),
            partition_key: None,
            correlation_id: None,
            causation_id: None,
            traceparent: None,
            data: Vec::new(),
        }
    }

    /// Sets a text attribute ([`Slot::TEXT`]); `version` and `time` are not text.
    pub(crate) fn set_text(&mut self, slot: Slot, text: String) {
        match slot {
            Slot::Id => self.id = text,
            Slot::Source => self.source = text,
            Slot::Type => self.event_type = text,
            Slot::SpecVersion => self.spec_version = text,
            Slot::ContentType => self.data_content_type = Some(text),
            Slot::DataSchema => self.data_schema = Some(text),
            Slot::Subject => self.subject = Some(text),
            Slot::PartitionKey => self.partition_key = Some(text),
            Slot::CorrelationId => self.correlation_id = Some(text),
            Slot::CausationId => self.causation_id = Some(text),
            Slot::Traceparent => self.traceparent = Some(text),
            Slot::Time | Slot::Version => {}
        }
    }

    /// A text attribute ([`Slot::TEXT`]); `version` and `time` are not text.
    pub(crate) fn text(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::Id => Some(&self.id),
            Slot::Source => Some(&self.source),
            Slot::Type => Some(&self.event_type),
            Slot::SpecVersion => Some(&self.spec_version),
            Slot::ContentType => self.data_content_type.as_deref(),
            Slot::DataSchema => self.data_schema.as_deref(),
            Slot::Subject => self.subject.as_deref(),
            Slot::PartitionKey => self.partition_key.as_deref(),
            Slot::CorrelationId => self.correlation_id.as_deref(),
            Slot::CausationId => self.causation_id.as_deref(),
            Slot::Traceparent => self.traceparent.as_deref(),
            Slot::Time | Slot::Version => None,
        }
    }
}
