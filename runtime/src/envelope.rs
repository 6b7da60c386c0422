//! The envelope every event and command travels in: CloudEvents 1.0 attributes plus herald's
//! extensions, with the payload as a separate byte string.

use crate::event::{Event, Version};
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
            time: Some(chrono::Utc::now()),
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
        self.correlation_id = Some(cause.correlation_id.clone().unwrap_or_else(|| cause.id.clone()));
        self.causation_id = Some(cause.id.clone());
        self.traceparent = self.traceparent.or_else(|| cause.traceparent.clone());
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

fn invalid(attribute: &'static str, problem: impl Into<String>) -> EnvelopeError {
    EnvelopeError {
        attribute,
        problem: problem.into(),
    }
}

impl Envelope {
    /// Checks the CloudEvents rules herald relies on: `id`, `source` and `type` present and
    /// non-empty, `specversion` 1.0, a `source` without whitespace, a MAJOR.MINOR `version`.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        if self.id.is_empty() {
            return Err(invalid("id", "is empty"));
        }
        if self.source.is_empty() || self.source.chars().any(char::is_whitespace) {
            return Err(invalid("source", format!("`{}` is not a URI reference", self.source)));
        }
        if self.event_type.is_empty() {
            return Err(invalid("type", "is empty"));
        }
        if self.spec_version != CLOUDEVENTS_SPEC_VERSION {
            return Err(invalid("specversion", format!("`{}` is not 1.0", self.spec_version)));
        }
        Ok(())
    }

    /// Reads an envelope from a record in CloudEvents binary mode, validating every attribute.
    pub fn from_record(record: &crate::transport::Record) -> Result<Envelope, EnvelopeError> {
        use crate::transport::headers as h;
        let get = |name: &'static str| -> Result<Option<String>, EnvelopeError> {
            match record.headers.iter().rev().find(|(k, _)| k == name) {
                None => Ok(None),
                Some((_, v)) => String::from_utf8(v.clone())
                    .map(Some)
                    .map_err(|_| invalid(name, "is not UTF-8")),
            }
        };
        let required = |name: &'static str| -> Result<String, EnvelopeError> {
            get(name)?.ok_or_else(|| invalid(name, "is missing"))
        };
        let version_text = required(h::VERSION)?;
        let version = Version::parse(&version_text)
            .ok_or_else(|| invalid(h::VERSION, format!("`{version_text}` is not MAJOR.MINOR")))?;
        let time = match get(h::TIME)? {
            None => None,
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|e| invalid(h::TIME, format!("`{t}` is not RFC 3339: {e}")))?
                    .with_timezone(&chrono::Utc),
            ),
        };
        let envelope = Envelope {
            id: required(h::ID)?,
            source: required(h::SOURCE)?,
            event_type: required(h::TYPE)?,
            spec_version: required(h::SPEC_VERSION)?,
            time,
            data_content_type: get(h::CONTENT_TYPE)?,
            data_schema: get(h::DATA_SCHEMA)?,
            subject: get(h::SUBJECT)?,
            version,
            partition_key: get(h::PARTITION_KEY)?,
            correlation_id: get(h::CORRELATION_ID)?,
            causation_id: get(h::CAUSATION_ID)?,
            traceparent: get(h::TRACEPARENT)?,
            data: record.value.clone(),
        };
        envelope.validate()?;
        Ok(envelope)
    }
}
