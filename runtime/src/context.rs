//! What a handler knows about its event: the [`Context`], the record it came in with its envelope
//! read once, in place.

use crate::cloudevents::binary::{header_value, locate, time_of, Located, Payload, Slot};
use crate::envelope::{media_type, Envelope, EnvelopeError};
use crate::event::Version;
use crate::transport::Record;

/// The event a handler is given, as it arrived: the record, and its envelope (CloudEvents
/// attributes and herald's extensions such as correlation and causation ids) read and validated
/// once, without copying anything out of the record. The attributes are read where they are, in
/// the record's headers; the payload is the record's value.
///
/// The consumer reads each record into a context with [`Context::read`] and hands the dispatcher
/// the context by reference: knowing it costs nothing per event. A context that could not be
/// handled gives its record back, unchanged, for a dead letter ([`Context::into_record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    record: Record,
    attributes: Located,
}

/// A record whose envelope is missing an attribute or has one in the wrong format, given back
/// as it was.
#[derive(Debug)]
pub struct Unreadable {
    pub error: EnvelopeError,
    pub record: Record,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.record;
        write!(f, "record {}/{}@{}: {}", r.topic, r.partition, r.offset, self.error)
    }
}

impl std::error::Error for Unreadable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Context {
    /// Reads a record's envelope in CloudEvents binary mode (or structured mode, from an
    /// `application/cloudevents+json` record), validating every attribute; a header given more
    /// than once counts with its last value. Nothing is copied: the record moves into the
    /// context, as it was.
    pub fn read(record: Record) -> Result<Context, Box<Unreadable>> {
        match locate(&record) {
            Ok(attributes) => Ok(Context { record, attributes }),
            Err(error) => Err(Box::new(Unreadable { error, record })),
        }
    }

    /// A context for an envelope that did not come in a record (an upcast event, a test). Its
    /// [`Context::record`] is empty.
    pub fn from_envelope(envelope: Envelope) -> Context {
        Context {
            record: Record::default(),
            attributes: Located::Decoded(Box::new(envelope)),
        }
    }

    /// The record as it arrived (topic, partition, offset, key, every header, the payload).
    #[inline]
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The record as it arrived, for a dead letter.
    pub fn into_record(self) -> Record {
        self.record
    }

    /// The envelope, copied out.
    pub fn to_envelope(&self) -> Envelope {
        match &self.attributes {
            Located::Decoded(envelope) => Envelope::clone(envelope),
            Located::Headers { .. } => self.attributes_with(self.data().to_vec()),
        }
    }

    /// The envelope, its payload moved out of the record.
    pub fn into_envelope(self) -> Envelope {
        match self.attributes {
            Located::Decoded(envelope) => *envelope,
            Located::Headers { .. } => {
                let envelope = self.attributes_with(Vec::new());
                Envelope {
                    data: self.record.value,
                    ..envelope
                }
            }
        }
    }

    /// The attributes, copied into an envelope with `data`.
    fn attributes_with(&self, data: Vec<u8>) -> Envelope {
        let mut envelope = Envelope::empty();
        envelope.version = self.version();
        envelope.time = self.time();
        envelope.data = data;
        for slot in Slot::TEXT {
            if let Some(text) = self.text(slot) {
                envelope.set_text(slot, text.to_owned());
            }
        }
        envelope
    }

    #[inline]
    fn text(&self, slot: Slot) -> Option<&str> {
        match &self.attributes {
            // Checked as UTF-8 when read; checked again here rather than trusted.
            Located::Headers { at, .. } => std::str::from_utf8(header_value(&self.record, at, slot)?).ok(),
            Located::Decoded(envelope) => envelope.text(slot),
        }
    }

    /// A text attribute's bytes, without checking them as UTF-8 again.
    #[inline]
    fn raw(&self, slot: Slot) -> Option<&[u8]> {
        match &self.attributes {
            Located::Headers { at, .. } => header_value(&self.record, at, slot),
            Located::Decoded(envelope) => envelope.text(slot).map(str::as_bytes),
        }
    }

    /// The CloudEvents `type` as bytes: what generated dispatchers route on, without the UTF-8
    /// check [`Context::event_type`] makes on every call.
    #[inline]
    pub fn event_type_bytes(&self) -> &[u8] {
        self.raw(Slot::Type).unwrap_or_default()
    }

    /// Whether the payload is in `content_type` as `datacontenttype` says (its media type,
    /// compared without parameters and case); an absent `datacontenttype` is taken to be it, as
    /// CloudEvents allows.
    #[inline]
    pub fn has_content_type(&self, content_type: &str) -> bool {
        let said = match &self.attributes {
            // What herald's publishers write was recognized when the record was read.
            Located::Headers { payload, .. } => match payload {
                Payload::Unsaid => return true,
                Payload::Protobuf => return same_media_type(content_type, crate::CONTENT_TYPE_PROTOBUF),
                Payload::Avro => return same_media_type(content_type, crate::CONTENT_TYPE_AVRO),
                Payload::Other => self.text(Slot::ContentType),
            },
            Located::Decoded(envelope) => envelope.data_content_type.as_deref(),
        };
        said.is_none_or(|said| media_type(said).eq_ignore_ascii_case(content_type))
    }

    /// The CloudEvents `id`.
    pub fn id(&self) -> &str {
        self.text(Slot::Id).unwrap_or_default()
    }

    /// The CloudEvents `source`: the producing service.
    pub fn source(&self) -> &str {
        self.text(Slot::Source).unwrap_or_default()
    }

    /// The CloudEvents `type`, e.g. `acme.user.v1.UserUpdated`.
    pub fn event_type(&self) -> &str {
        self.text(Slot::Type).unwrap_or_default()
    }

    /// The CloudEvents `specversion` (always `1.0`).
    pub fn spec_version(&self) -> &str {
        self.text(Slot::SpecVersion).unwrap_or_default()
    }

    /// The CloudEvents `datacontenttype`.
    pub fn data_content_type(&self) -> Option<&str> {
        self.text(Slot::ContentType)
    }

    /// The CloudEvents `dataschema`.
    pub fn data_schema(&self) -> Option<&str> {
        self.text(Slot::DataSchema)
    }

    /// The CloudEvents `subject`.
    pub fn subject(&self) -> Option<&str> {
        self.text(Slot::Subject)
    }

    /// herald's `partitionkey`: every event of one key is handled in order.
    pub fn partition_key(&self) -> Option<&str> {
        self.text(Slot::PartitionKey)
    }

    /// herald's `correlationid`: the conversation this event belongs to.
    pub fn correlation_id(&self) -> Option<&str> {
        self.text(Slot::CorrelationId)
    }

    /// herald's `causationid`: the id of the event or command that caused this one.
    pub fn causation_id(&self) -> Option<&str> {
        self.text(Slot::CausationId)
    }

    /// The W3C trace context the event was published in.
    pub fn traceparent(&self) -> Option<&str> {
        self.text(Slot::Traceparent)
    }

    /// herald's `version`: the MAJOR.MINOR of the schema the payload was written with.
    #[inline]
    pub fn version(&self) -> Version {
        match &self.attributes {
            Located::Headers { version, .. } => *version,
            Located::Decoded(envelope) => envelope.version,
        }
    }

    /// The CloudEvents `time`.
    pub fn time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match &self.attributes {
            Located::Headers { at, time, .. } => time_of(&self.record, at, *time),
            Located::Decoded(envelope) => envelope.time,
        }
    }

    /// The encoded payload.
    #[inline]
    pub fn data(&self) -> &[u8] {
        match &self.attributes {
            Located::Headers { .. } => &self.record.value,
            Located::Decoded(envelope) => &envelope.data,
        }
    }
}

/// Media types compared as CloudEvents compares them (case aside); for an event type's own
/// constant, one the compiler answers.
#[inline]
fn same_media_type(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

impl From<Envelope> for Context {
    fn from(envelope: Envelope) -> Context {
        Context::from_envelope(envelope)
    }
}
