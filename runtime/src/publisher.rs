//! The [`Publisher`]: envelopes onto a [`Transport`] as binary-mode CloudEvents records, keyed by
//! partition key, with the acks and retries its [`Reliability`] asks for.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::dispatch::{BatchError, Publish, PublishError};
use crate::envelope::Envelope;
use crate::metrics::Metrics;
use crate::transport::{Acks, Transport, TransportError};

/// How a publisher waits for its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliability {
    /// Send and move on, with the broker confirming as `acks` asks (meaningful on Kafka).
    FireAndForget(Acks),
    /// Confirmed by every replica, retried on a transient failure: at least once.
    AtLeastOnce { retries: u32 },
}

/// Publishes envelopes through a transport: validated, keyed by partition key, as binary-mode
/// CloudEvents records. Cheap to clone: clones share the transport and the metrics.
#[derive(Debug)]
pub struct Publisher<T> {
    transport: Arc<T>,
    reliability: Reliability,
    metrics: Arc<Metrics>,
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        Publisher {
            transport: Arc::clone(&self.transport),
            reliability: self.reliability,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

impl<T: Transport> Publisher<T> {
    pub fn new(transport: T, reliability: Reliability) -> Publisher<T> {
        Publisher {
            transport: Arc::new(transport),
            reliability,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The transport it publishes through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }
}

impl<T: Transport> Publisher<T> {
    /// The acks to ask for and how many times a transient failure is retried.
    fn mode(&self) -> (Acks, u32) {
        match self.reliability {
            Reliability::FireAndForget(acks) => (acks, 0),
            Reliability::AtLeastOnce { retries } => (Acks::All, retries),
        }
    }

    /// The wait before retry `attempt` (1, 2, ...).
    fn retry_delay(attempt: u32) -> Duration {
        Duration::from_millis(50 << attempt.min(6))
    }
}

/// A refused record is not retried: sending it again would be refused again.
fn retryable(e: &TransportError) -> bool {
    !matches!(e, TransportError::Rejected(_))
}

impl<T: Transport> Publish for Publisher<T> {
    /// A batch of one ([`Publish::send_all`]).
    fn send(&self, topic: &str, envelope: Envelope) -> impl Future<Output = Result<(), PublishError>> + Send {
        let span = tracing::info_span!("publish", r#type = %envelope.event_type, id = %envelope.id, topic);
        async move {
            self.send_all(topic, vec![envelope]).await.map_err(|e| {
                e.failed
                    .into_iter()
                    .next()
                    .map_or_else(|| PublishError::Other("not published".to_owned()), |(_, e)| e)
            })
        }
        .instrument(span)
    }

    /// Hands the whole batch to the transport before waiting for any delivery
    /// ([`Transport::send_batch`]); with at-least-once, the records that failed transiently are
    /// sent again (as a batch, after the usual backoff), so a retried record can land after later
    /// records of its key.
    fn send_all(&self, topic: &str, envelopes: Vec<Envelope>) -> impl Future<Output = Result<(), BatchError>> + Send {
        let span = tracing::info_span!("publish_batch", topic, records = envelopes.len());
        async move {
            let (acks, retries) = self.mode();
            let mut failed = Vec::new();
            let mut indexes = Vec::with_capacity(envelopes.len());
            let mut records = Vec::with_capacity(envelopes.len());
            for (i, envelope) in envelopes.into_iter().enumerate() {
                match envelope.validate() {
                    Err(e) => failed.push((i, PublishError::Envelope(e))),
                    Ok(()) => {
                        indexes.push(i);
                        records.push(envelope.into_outgoing());
                    }
                }
            }
            let mut attempt = 0;
            while !records.is_empty() {
                let results = self.transport.send_batch(topic, &records, acks).await;
                // One result per record is the transport's contract; a record it gave none for is
                // reported (not retried: it may have been sent), never dropped.
                let results = results.into_iter().map(Some).chain(std::iter::repeat_with(|| None));
                let mut again = (Vec::new(), Vec::new());
                for ((i, record), result) in indexes.into_iter().zip(records).zip(results) {
                    let Some(result) = result else {
                        failed.push((
                            i,
                            PublishError::Other("the transport reported no delivery for this record".into()),
                        ));
                        continue;
                    };
                    match result {
                        Ok(_) => Metrics::bump(&self.metrics.published),
                        Err(e) if retryable(&e) && attempt < retries => {
                            again.0.push(i);
                            again.1.push(record);
                        }
                        Err(e) if retryable(&e) && retries > 0 => failed.push((
                            i,
                            PublishError::RetriesExhausted {
                                attempts: attempt + 1,
                                error: e,
                            },
                        )),
                        Err(e) => failed.push((i, PublishError::Transport(e))),
                    }
                }
                (indexes, records) = again;
                if !records.is_empty() {
                    attempt += 1;
                    tracing::warn!(attempt, records = records.len(), "publishing failed; retrying");
                    tokio::time::sleep(Self::retry_delay(attempt)).await;
                }
            }
            BatchError::of(failed)
        }
        .instrument(span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::InMemoryTransport;
    use crate::transport::{Delivery, Headers, Outgoing, StartFrom};

    /// A transport that loses the delivery report of a batch's last record.
    struct LosesLastReport(InMemoryTransport);

    impl Transport for LosesLastReport {
        type Subscription = <InMemoryTransport as Transport>::Subscription;

        fn send(
            &self,
            topic: &str,
            key: Option<&[u8]>,
            headers: Headers,
            value: Vec<u8>,
            acks: Acks,
        ) -> impl Future<Output = Result<Delivery, TransportError>> + Send {
            self.0.send(topic, key, headers, value, acks)
        }

        async fn send_batch(
            &self,
            topic: &str,
            records: &[Outgoing],
            acks: Acks,
        ) -> Vec<Result<Delivery, TransportError>> {
            let mut results = self.0.send_batch(topic, records, acks).await;
            results.pop();
            results
        }

        fn subscribe(
            &self,
            group: &str,
            topics: &[String],
            start: StartFrom,
        ) -> impl Future<Output = Result<Self::Subscription, TransportError>> + Send {
            self.0.subscribe(group, topics, start)
        }
    }

    fn envelope(id: &str) -> Envelope {
        Envelope {
            id: id.into(),
            source: "svc".into(),
            event_type: "a.B".into(),
            spec_version: "1.0".into(),
            version: crate::Version::new(1, 0),
            partition_key: Some(id.into()),
            ..Envelope::empty()
        }
    }

    /// A record the transport gave no result for is reported by its index, not lost.
    #[tokio::test]
    async fn a_record_without_a_delivery_report_is_reported() {
        let publisher = Publisher::new(
            LosesLastReport(InMemoryTransport::default()),
            Reliability::AtLeastOnce { retries: 2 },
        );
        let batch = vec![envelope("1"), envelope("2"), envelope("3")];
        let err = publisher.send_all("t", batch).await.err().map(|e| e.failed);
        let failed = err.unwrap_or_default();
        assert_eq!(failed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [2]);
        assert!(failed[0].1.to_string().contains("no delivery"), "{}", failed[0].1);
        assert_eq!(Metrics::get(&publisher.metrics().published), 2);
    }
}
