//! Sending: one producer per acks mode, and delivery reports handed back to the batch that sent
//! each record.

use std::sync::{Arc, Mutex};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryResult, ProducerContext, ThreadedProducer};

use crate::transport::{Delivery, TransportError};

/// The delivery reports of one batch of sends, filled in by librdkafka's polling thread.
pub(super) struct Batch {
    results: Mutex<Vec<Option<Result<Delivery, TransportError>>>>,
    remaining: std::sync::atomic::AtomicUsize,
    done: tokio::sync::Notify,
}

impl Batch {
    pub(super) fn new(len: usize) -> Arc<Batch> {
        Arc::new(Batch {
            results: Mutex::new((0..len).map(|_| None).collect()),
            remaining: std::sync::atomic::AtomicUsize::new(len),
            done: tokio::sync::Notify::new(),
        })
    }

    pub(super) fn complete(&self, index: usize, result: Result<Delivery, TransportError>) {
        let mut results = self.results.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(slot) = results.get_mut(index) {
            if slot.replace(result).is_none() && self.remaining.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                // A stored permit: the waiter wakes even if it starts waiting after this.
                self.done.notify_one();
            }
        }
    }

    /// Waits for every record's report; one result per record, in order.
    pub(super) async fn wait(self: Arc<Batch>) -> Vec<Result<Delivery, TransportError>> {
        while self.remaining.load(std::sync::atomic::Ordering::Acquire) > 0 {
            self.done.notified().await;
        }
        let mut results = self.results.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *results)
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(TransportError::Broker("no delivery report".to_owned()))))
            .collect()
    }
}

/// What a record's delivery report carries back: its batch and its place in it.
pub(super) struct Token {
    pub(super) batch: Arc<Batch>,
    pub(super) index: usize,
}

/// Hands each delivery report to the batch its record came from.
pub(super) struct Reports;

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<Token>;

    fn delivery(&self, report: &DeliveryResult<'_>, token: Box<Token>) {
        let result = match report {
            Ok(m) => delivered(m.topic(), m.partition(), m.offset()),
            Err((e, m)) => Err(send_error(m.topic(), e)),
        };
        token.batch.complete(token.index, result);
    }
}

pub(super) fn delivered(topic: &str, partition: i32, offset: i64) -> Result<Delivery, TransportError> {
    Ok(Delivery {
        partition: u32::try_from(partition)
            .map_err(|_| TransportError::Broker(format!("`{topic}`: delivered to partition {partition}")))?,
        // acks=0 reports no offset (-1): there is none to report.
        offset: u64::try_from(offset).unwrap_or(0),
    })
}

pub(super) type Producer = ThreadedProducer<Reports>;

/// A producer error in the transport's terms.
pub(super) fn send_error(topic: &str, e: &KafkaError) -> TransportError {
    use RDKafkaErrorCode as C;
    match e.rdkafka_error_code() {
        Some(C::UnknownTopicOrPartition | C::UnknownTopic) => TransportError::UnknownTopic(topic.to_owned()),
        Some(
            C::MessageSizeTooLarge
            | C::InvalidMessage
            | C::InvalidMessageSize
            | C::InvalidRecord
            | C::TopicAuthorizationFailed
            | C::InvalidTopic
            | C::BadMessage,
        ) => TransportError::Rejected(format!("`{topic}`: {e}")),
        Some(C::QueueFull | C::MessageTimedOut) => TransportError::Full(format!("`{topic}`: {e}")),
        _ => TransportError::Broker(format!("cannot send to `{topic}`: {e}")),
    }
}

/// Headers as librdkafka takes them.
pub(super) fn kafka_headers<'a>(count: usize, headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> OwnedHeaders {
    headers.fold(OwnedHeaders::new_with_capacity(count), |owned, (key, value)| {
        owned.insert(Header {
            key,
            value: Some(value),
        })
    })
}
