//! The Kafka transport (cargo feature `kafka`), on librdkafka through `rdkafka`.
//!
//! - Producer: a `ThreadedProducer` per acks mode (`acks=0`, `1`, `all`; the `all` one is
//!   idempotent), records keyed by the partition key and hashed with `murmur2_random` (the Java
//!   client's default, and what [`partition_for`](crate::transport::partition_for) and the
//!   in-memory transport do), envelope headers as given (CloudEvents binary mode), the payload as
//!   the value. Every record carries a small token that its delivery report hands back to the
//!   batch that sent it: a send returns after the broker's delivery report, and
//!   [`Transport::send_batch`] hands a whole batch to librdkafka before waiting once for all of
//!   its reports (no channel per record), which is what lets publishing keep up with the broker.
//! - Subscription: a `StreamConsumer` in the consumer group with `enable.auto.offset.store=false`
//!   and `enable.auto.commit=true`: librdkafka commits only *stored* offsets, and an offset is
//!   stored only when the consumer commits it (after every record before it succeeded), so no
//!   unprocessed record is ever committed. Storing is in memory (no broker round trip per record);
//!   stored offsets reach the broker every `auto.commit.interval.ms` (herald's default
//!   [`DEFAULT_COMMIT_INTERVAL`], 100 ms), synchronously before a rebalance revokes partitions (a
//!   `ConsumerContext` commits in `pre_rebalance`), and synchronously on close. A store for a
//!   partition no longer assigned is refused by librdkafka and ignored: its next owner starts at
//!   the committed offset. [`StartFrom`] maps to `auto.offset.reset`.
//! - Back-pressure: `pause`/`resume` pause every assigned partition (and partitions assigned while
//!   paused) while the consumer keeps polling, so it stays in the group however slow its handlers
//!   are. librdkafka drops what it fetched for a paused partition and fetches again from the last
//!   record returned, so nothing is skipped; after `resume` its fetcher may idle up to a second
//!   (nothing wakes it), which is why the consumer pauses only when busy for a while.
//! - Configuration: every librdkafka property in [`KafkaConfig::properties`] is passed through
//!   (`bootstrap.servers`, security settings, batching, compression, `fetch.wait.max.ms`, ...).
//!   Against tansu, set `fetch.wait.max.ms` low (say 10): it answers a waiting fetch only at that
//!   step, so the default adds up to half a second of latency.
//!
//! A consumer is closed explicitly (final commit, unsubscribe, then destroyed on a blocking thread
//! with a deadline) rather than just dropped: dropping one of two group members in a process can
//! hang in `rd_kafka_destroy`.

mod admin;
mod config;
mod consumer;
mod producer;

pub use admin::{CreateError, KafkaAdmin, TopicSpec};
pub use config::{KafkaConfig, DEFAULT_COMMIT_INTERVAL};
pub use consumer::KafkaSubscription;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::BaseRecord;

use crate::transport::{Acks, Delivery, Headers, Outgoing, StartFrom, Transport, TransportError};
use config::client_error;
use producer::{kafka_headers, send_error, Batch, Producer, Reports, Token};

struct Inner {
    config: KafkaConfig,
    /// One producer per acks mode (index [`acks_index`]), created on first use.
    producers: Mutex<[Option<Arc<Producer>>; 3]>,
}

/// A Kafka broker connection; clones share the producers.
#[derive(Clone)]
pub struct KafkaTransport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KafkaTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaTransport")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn acks_index(acks: Acks) -> usize {
    match acks {
        Acks::None => 0,
        Acks::Leader => 1,
        Acks::All => 2,
    }
}

impl KafkaTransport {
    /// A transport with these settings; it connects on first use.
    pub fn new(config: KafkaConfig) -> Result<KafkaTransport, TransportError> {
        if !config.properties.contains_key("bootstrap.servers") {
            return Err(TransportError::Broker(
                "Kafka configuration has no `bootstrap.servers`".to_owned(),
            ));
        }
        Ok(KafkaTransport {
            inner: Arc::new(Inner {
                config,
                producers: Mutex::new([None, None, None]),
            }),
        })
    }

    /// The settings this transport was made with.
    pub fn config(&self) -> &KafkaConfig {
        &self.inner.config
    }

    fn producer(&self, acks: Acks) -> Result<Arc<Producer>, TransportError> {
        let mut producers = self
            .inner
            .producers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = &mut producers[acks_index(acks)];
        if let Some(p) = slot {
            return Ok(Arc::clone(p));
        }
        let (acks_value, idempotent) = match acks {
            Acks::None => ("0", "false"),
            Acks::Leader => ("1", "false"),
            // Idempotent unless the configuration says otherwise explicitly, for a broker whose
            // idempotent-producer support cannot be trusted (see `KafkaConfig::properties`).
            Acks::All => (
                "all",
                match self
                    .inner
                    .config
                    .properties
                    .get("enable.idempotence")
                    .map(String::as_str)
                {
                    Some("false") => "false",
                    _ => "true",
                },
            ),
        };
        let mut config = self.inner.config.client_config(&[("partitioner", "murmur2_random")]);
        config.set("acks", acks_value);
        config.set("enable.idempotence", idempotent);
        let producer: Producer = config.create_with_context(Reports).map_err(|e| {
            TransportError::Broker(format!(
                "cannot create Kafka producer (acks={acks_value}): {}",
                client_error(&e)
            ))
        })?;
        let producer = Arc::new(producer);
        *slot = Some(Arc::clone(&producer));
        Ok(producer)
    }

    /// Hands one record to librdkafka; its delivery report (or the reason it could not be
    /// queued) goes to `batch` at `index`. Waits, up to `max_block`, while the producer's queue
    /// is full.
    #[allow(clippy::too_many_arguments)]
    async fn enqueue(
        &self,
        producer: &Producer,
        topic: &str,
        key: Option<&[u8]>,
        headers: OwnedHeaders,
        value: &[u8],
        batch: &Arc<Batch>,
        index: usize,
    ) {
        let token = Box::new(Token {
            batch: Arc::clone(batch),
            index,
        });
        let mut record: BaseRecord<'_, [u8], [u8], Box<Token>> =
            BaseRecord::with_opaque_to(topic, token).payload(value).headers(headers);
        if let Some(key) = key {
            record = record.key(key);
        }
        let deadline = tokio::time::Instant::now() + self.inner.config.max_block;
        loop {
            match producer.send(record) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if tokio::time::Instant::now() < deadline =>
                {
                    record = back;
                    // librdkafka's polling thread drains the queue as reports come in.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, back)) => {
                    back.delivery_opaque.batch.complete(index, Err(send_error(topic, &e)));
                    return;
                }
            }
        }
    }

    /// Creates `topic` with `partitions` partitions and `replication` replicas through the admin
    /// API; a topic that already exists is left as it is (so this is idempotent).
    pub async fn create_topic(&self, topic: &str, partitions: u32, replication: u32) -> Result<(), TransportError> {
        let admin = KafkaAdmin::new(&self.inner.config, Duration::from_secs(30))?;
        let spec = TopicSpec {
            name: topic.to_owned(),
            partitions,
            replication: Some(replication),
        };
        for (name, result) in admin.create_topics(std::slice::from_ref(&spec)).await? {
            match result {
                Ok(()) | Err(CreateError::AlreadyExists) => {}
                Err(CreateError::Refused(reason)) => {
                    return Err(TransportError::Broker(format!(
                        "cannot create topic `{name}`: {reason}"
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Transport for KafkaTransport {
    type Subscription = KafkaSubscription;

    async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        headers: Headers,
        value: Vec<u8>,
        acks: Acks,
    ) -> Result<Delivery, TransportError> {
        let producer = self.producer(acks)?;
        let batch = Batch::new(1);
        let headers = kafka_headers(headers.len(), headers.iter());
        self.enqueue(&producer, topic, key, headers, &value, &batch, 0).await;
        batch
            .wait()
            .await
            .pop()
            .unwrap_or_else(|| Err(TransportError::Broker("no delivery report".to_owned())))
    }

    async fn send_batch(&self, topic: &str, records: &[Outgoing], acks: Acks) -> Vec<Result<Delivery, TransportError>> {
        let producer = match self.producer(acks) {
            Ok(p) => p,
            Err(e) => return records.iter().map(|_| Err(e.clone())).collect(),
        };
        let batch = Batch::new(records.len());
        for (index, r) in records.iter().enumerate() {
            let headers = kafka_headers(
                r.headers.len(),
                r.headers.iter().map(|(n, v)| (n.as_ref(), v.as_slice())),
            );
            self.enqueue(&producer, topic, r.key.as_deref(), headers, &r.value, &batch, index)
                .await;
        }
        batch.wait().await
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
        start: StartFrom,
    ) -> Result<KafkaSubscription, TransportError> {
        consumer::subscribe(&self.inner.config, group, topics, start)
    }
}
