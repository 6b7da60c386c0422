//! What generated handlers and dispatchers use: the handler [`Context`], errors, the [`Publish`]
//! seam and [`OpenEnum`] for typed access to protobuf enum fields.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use crate::context::Context;
use crate::envelope::{Envelope, EnvelopeError};
use crate::event::{CodecError, Event};
use crate::transport::TransportError;

/// A handler's failure; the consumer retries or dead-letters the event.
#[derive(Debug)]
pub struct HandlerError(pub Box<dyn std::error::Error + Send + Sync>);

impl HandlerError {
    pub fn msg(message: impl Into<String>) -> HandlerError {
        HandlerError(message.into().into())
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> HandlerError {
        HandlerError(Box::new(e))
    }
}

/// What a handler returns.
pub type HandlerResult = Result<(), HandlerError>;

/// Why a dispatcher could not deliver an envelope to a handler.
#[derive(Debug)]
pub enum DispatchError {
    /// No handler for this event type in this dispatcher.
    UnknownType { event_type: String },
    /// The type is known but not this MAJOR version.
    UnknownMajor {
        event_type: String,
        major: u32,
        known: &'static [u32],
    },
    /// The payload did not decode as the event.
    Decode { event_type: String, error: CodecError },
    /// The handler failed.
    Handler { event_type: String, error: HandlerError },
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::UnknownType { event_type } => {
                write!(f, "no handler for event type `{event_type}`")
            }
            DispatchError::UnknownMajor {
                event_type,
                major,
                known,
            } => {
                write!(
                    f,
                    "event type `{event_type}` has no handler for major version {major} (handled: {known:?})"
                )
            }
            DispatchError::Decode { event_type, error } => {
                write!(f, "cannot decode `{event_type}`: {error}")
            }
            DispatchError::Handler { event_type, error } => {
                write!(f, "handler for `{event_type}` failed: {error}")
            }
        }
    }
}

impl std::error::Error for DispatchError {}

/// Why an envelope was not published.
#[derive(Debug)]
#[non_exhaustive]
pub enum PublishError {
    /// The event could not be encoded into a payload.
    Encode(CodecError),
    /// The envelope is not a valid CloudEvent (a required attribute missing or malformed); not
    /// sent.
    Envelope(EnvelopeError),
    /// The transport refused or failed the record, and it was not retried (a refusal, which
    /// would be refused again, or a publisher that does not retry).
    Transport(TransportError),
    /// The transport failed the record on every attempt.
    RetriesExhausted {
        /// Attempts made, the first included.
        attempts: u32,
        /// The failure of the last attempt.
        error: TransportError,
    },
    /// Anything else, in the publisher's words (a [`Publish`] implementation of its own).
    Other(String),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Encode(e) => write!(f, "cannot encode: {e}"),
            PublishError::Envelope(e) => e.fmt(f),
            // The transport's words, as when nothing is retried.
            PublishError::Transport(e) | PublishError::RetriesExhausted { error: e, .. } => e.fmt(f),
            PublishError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for PublishError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PublishError::Encode(e) => Some(e),
            PublishError::Envelope(e) => Some(e),
            PublishError::Transport(e) | PublishError::RetriesExhausted { error: e, .. } => Some(e),
            PublishError::Other(_) => None,
        }
    }
}

impl From<CodecError> for PublishError {
    fn from(e: CodecError) -> PublishError {
        PublishError::Encode(e)
    }
}

impl From<EnvelopeError> for PublishError {
    fn from(e: EnvelopeError) -> PublishError {
        PublishError::Envelope(e)
    }
}

impl From<TransportError> for PublishError {
    fn from(e: TransportError) -> PublishError {
        PublishError::Transport(e)
    }
}

/// Some envelopes of a batch were not published: which ones (their index in the batch) and why.
/// Every other envelope of the batch was.
#[derive(Debug)]
pub struct BatchError {
    pub failed: Vec<(usize, PublishError)>,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} not published", self.failed.len())?;
        if let Some((i, e)) = self.failed.first() {
            write!(f, " (the first, #{i}: {e})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BatchError {}

impl BatchError {
    /// `Ok` when nothing failed, else the failures in batch order.
    pub(crate) fn of(mut failed: Vec<(usize, PublishError)>) -> Result<(), BatchError> {
        if failed.is_empty() {
            return Ok(());
        }
        failed.sort_by_key(|(i, _)| *i);
        Err(BatchError { failed })
    }
}

/// Where published envelopes go: a transport implements this.
pub trait Publish: Send + Sync {
    /// Sends one envelope to a topic, keyed by its partition key.
    fn send(&self, topic: &str, envelope: Envelope) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// Wraps and sends a typed event to its topic; inside a handler, pass the handler's context so
    /// that correlation and causation ids carry over.
    fn publish<E: Event>(
        &self,
        source: &str,
        event: &E,
        cause: Option<&Context>,
    ) -> impl Future<Output = Result<(), PublishError>> + Send {
        let envelope = Envelope::wrap(event, source).map(|e| match cause {
            Some(c) => e.caused_by(c),
            None => e,
        });
        async move { self.send(E::TOPIC, envelope?).await }
    }

    /// Sends envelopes to one topic without waiting for each delivery before the next send
    /// where the transport can (see `Transport::send_batch`); envelopes with the same partition
    /// key keep their order. Every envelope is accounted for: `Ok` when all were published, else
    /// the ones that were not and why. The default sends one after another.
    fn send_all(&self, topic: &str, envelopes: Vec<Envelope>) -> impl Future<Output = Result<(), BatchError>> + Send {
        async move {
            let mut failed = Vec::new();
            for (i, envelope) in envelopes.into_iter().enumerate() {
                if let Err(e) = self.send(topic, envelope).await {
                    failed.push((i, e));
                }
            }
            BatchError::of(failed)
        }
    }

    /// Wraps typed events and sends them as one batch ([`Publish::send_all`]); an event that
    /// cannot be encoded is reported at its index and the others are still sent.
    fn publish_all<E: Event>(
        &self,
        source: &str,
        events: &[E],
        cause: Option<&Context>,
    ) -> impl Future<Output = Result<(), BatchError>> + Send {
        let mut failed = Vec::new();
        let mut sent = Vec::with_capacity(events.len());
        let mut envelopes = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            match Envelope::wrap(event, source) {
                Ok(e) => {
                    sent.push(i);
                    envelopes.push(match cause {
                        Some(c) => e.caused_by(c),
                        None => e,
                    });
                }
                Err(e) => failed.push((i, PublishError::from(e))),
            }
        }
        async move {
            if let Err(e) = self.send_all(E::TOPIC, envelopes).await {
                // Back to the caller's indexes.
                failed.extend(e.failed.into_iter().filter_map(|(j, e)| Some((*sent.get(j)?, e))));
            }
            BatchError::of(failed)
        }
    }
}

impl<T: Publish + ?Sized> Publish for &T {
    fn send(&self, topic: &str, envelope: Envelope) -> impl Future<Output = Result<(), PublishError>> + Send {
        (**self).send(topic, envelope)
    }

    fn send_all(&self, topic: &str, envelopes: Vec<Envelope>) -> impl Future<Output = Result<(), BatchError>> + Send {
        (**self).send_all(topic, envelopes)
    }
}

impl<T: Publish + ?Sized> Publish for std::sync::Arc<T> {
    fn send(&self, topic: &str, envelope: Envelope) -> impl Future<Output = Result<(), PublishError>> + Send {
        (**self).send(topic, envelope)
    }

    fn send_all(&self, topic: &str, envelopes: Vec<Envelope>) -> impl Future<Output = Result<(), BatchError>> + Send {
        (**self).send_all(topic, envelopes)
    }
}

/// A [`Publish`] that keeps what it was given, in order: for tests and examples.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    sent: Mutex<Vec<(String, Envelope)>>,
}

impl RecordingPublisher {
    pub fn new() -> RecordingPublisher {
        RecordingPublisher::default()
    }

    /// Everything sent so far, as (topic, envelope).
    pub fn sent(&self) -> Vec<(String, Envelope)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Publish for RecordingPublisher {
    fn send(&self, topic: &str, envelope: Envelope) -> impl Future<Output = Result<(), PublishError>> + Send {
        let result = self
            .sent
            .lock()
            .map(|mut s| s.push((topic.to_owned(), envelope)))
            .map_err(|_| PublishError::Other("recording publisher poisoned".into()));
        async move { result }
    }
}

/// A generated dispatcher, as consumers run it.
pub trait Dispatch: Send + Sync {
    /// The event types (CloudEvents `type`) this dispatcher routes.
    fn event_types(&self) -> &'static [&'static str];
    /// Decodes the event's payload and calls the typed handler with it and its context.
    fn dispatch(&self, ctx: &Context) -> impl Future<Output = Result<(), DispatchError>> + Send;
}

/// Lowercase hex of bytes (partition keys taken from bytes and fixed fields).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// A protobuf enum field's value, typed: a known variant, or a number this code does not know
/// (written by a newer schema) kept as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenEnum<E> {
    Known(E),
    Unknown(i32),
}

/// A known value: `set_status_value(OrderStatus::Paid)` as well as `OpenEnum::Known(...)`.
impl<E> From<E> for OpenEnum<E> {
    fn from(value: E) -> OpenEnum<E> {
        OpenEnum::Known(value)
    }
}

impl<E: TryFrom<i32> + Into<i32>> OpenEnum<E> {
    pub fn from_i32(value: i32) -> OpenEnum<E> {
        match E::try_from(value) {
            Ok(e) => OpenEnum::Known(e),
            Err(_) => OpenEnum::Unknown(value),
        }
    }

    pub fn to_i32(self) -> i32 {
        match self {
            OpenEnum::Known(e) => e.into(),
            OpenEnum::Unknown(n) => n,
        }
    }

    pub fn known(self) -> Option<E> {
        match self {
            OpenEnum::Known(e) => Some(e),
            OpenEnum::Unknown(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::PublishError;
    use crate::envelope::EnvelopeError;
    use crate::event::CodecError;
    use crate::transport::TransportError;

    #[test]
    fn publish_errors_read_as_before_and_name_their_cause() {
        let encode = PublishError::from(CodecError {
            message: "field too large".into(),
        });
        assert_eq!(encode.to_string(), "cannot encode: field too large");
        assert_eq!(
            encode.source().map(ToString::to_string).as_deref(),
            Some("field too large")
        );
        let envelope = PublishError::from(EnvelopeError {
            attribute: "id",
            problem: "missing".into(),
        });
        assert_eq!(envelope.to_string(), "envelope attribute `id`: missing");
        let refused = PublishError::from(TransportError::Rejected("too large".into()));
        assert!(matches!(refused, PublishError::Transport(TransportError::Rejected(_))));
        assert_eq!(refused.to_string(), "record rejected: too large");
        let exhausted = PublishError::RetriesExhausted {
            attempts: 3,
            error: TransportError::Closed,
        };
        assert_eq!(exhausted.to_string(), "closed");
        assert!(exhausted.source().is_some());
        assert!(PublishError::Other("poisoned".into()).source().is_none());
    }
}
