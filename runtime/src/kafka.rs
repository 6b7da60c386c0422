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

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use crate::transport::{Acks, Delivery, Headers, Outgoing, Record, StartFrom, Subscription, Transport, TransportError};

/// Settings of a [`KafkaTransport`].
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// librdkafka properties passed to every client as they are (`bootstrap.servers` at least).
    /// They win over the transport's own defaults (such as `auto.commit.interval.ms`, see
    /// [`KafkaConfig::commit_interval`]), except `acks` and `enable.idempotence` (set per acks
    /// mode: idempotent for `acks=all` unless `enable.idempotence=false` is given here, which
    /// keeps at-least-once but lets a retried send be stored twice; for brokers whose idempotent
    /// producer support loses records, as tansu 0.6 does across a restart),
    /// `group.id`, `enable.auto.commit` (true), `enable.auto.offset.store` (false) and
    /// `auto.offset.reset` (set per subscription), which the transport's guarantees rest on.
    pub properties: BTreeMap<String, String>,
    /// How long a send may wait for room in the producer's queue before failing with
    /// [`TransportError::Full`].
    pub max_block: Duration,
    /// How long closing a consumer may take before it is left to finish in the background.
    pub close_timeout: Duration,
}

impl KafkaConfig {
    /// Settings for a broker at `bootstrap` (`host:port[,host:port...]`).
    pub fn new(bootstrap: &str) -> KafkaConfig {
        let mut properties = BTreeMap::new();
        properties.insert("bootstrap.servers".to_owned(), bootstrap.to_owned());
        KafkaConfig {
            properties,
            max_block: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
        }
    }

    /// How often a subscription commits the offsets the consumer marked done
    /// (`auto.commit.interval.ms`, default [`DEFAULT_COMMIT_INTERVAL`]). Longer means fewer
    /// commit requests and more records handled again after a crash; revocations and closing
    /// commit at once whatever the interval.
    pub fn commit_interval(self, interval: Duration) -> KafkaConfig {
        let millis = interval.as_millis().max(1).to_string();
        self.set("auto.commit.interval.ms", &millis)
    }

    /// Sets one librdkafka property.
    pub fn set(mut self, key: &str, value: &str) -> KafkaConfig {
        self.properties.insert(key.to_owned(), value.to_owned());
        self
    }

    fn client_config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        for (k, v) in defaults {
            config.set(*k, *v);
        }
        for (k, v) in &self.properties {
            config.set(k, v);
        }
        config
    }
}

/// The delivery reports of one batch of sends, filled in by librdkafka's polling thread.
struct Batch {
    results: Mutex<Vec<Option<Result<Delivery, TransportError>>>>,
    remaining: std::sync::atomic::AtomicUsize,
    done: tokio::sync::Notify,
}

impl Batch {
    fn new(len: usize) -> Arc<Batch> {
        Arc::new(Batch {
            results: Mutex::new((0..len).map(|_| None).collect()),
            remaining: std::sync::atomic::AtomicUsize::new(len),
            done: tokio::sync::Notify::new(),
        })
    }

    fn complete(&self, index: usize, result: Result<Delivery, TransportError>) {
        let mut results = self.results.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(slot) = results.get_mut(index) {
            if slot.replace(result).is_none() && self.remaining.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                // A stored permit: the waiter wakes even if it starts waiting after this.
                self.done.notify_one();
            }
        }
    }

    /// Waits for every record's report; one result per record, in order.
    async fn wait(self: Arc<Batch>) -> Vec<Result<Delivery, TransportError>> {
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
struct Token {
    batch: Arc<Batch>,
    index: usize,
}

/// Hands each delivery report to the batch its record came from.
struct Reports;

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

fn delivered(topic: &str, partition: i32, offset: i64) -> Result<Delivery, TransportError> {
    Ok(Delivery {
        partition: u32::try_from(partition)
            .map_err(|_| TransportError::Broker(format!("`{topic}`: delivered to partition {partition}")))?,
        // acks=0 reports no offset (-1): there is none to report.
        offset: u64::try_from(offset).unwrap_or(0),
    })
}

type Producer = ThreadedProducer<Reports>;

/// herald's default `auto.commit.interval.ms`: a crashed member's successor handles again about a
/// tenth of a second of work, and a member that lives longer than that makes durable progress
/// (with 1 s, workers killed within 600 ms of starting kept handling the same records again: see
/// the crash test in ARCHITECTURE.md). It costs at most ten small commit requests a second per
/// member, and only while it has new offsets; librdkafka's own default is 5 s.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_millis(100);

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

/// A topic to create: its name, partition count and replication factor (`None`: the broker's
/// default, `default.replication.factor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication: Option<u32>,
}

/// Why the broker did not create a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateError {
    /// It exists already (not a failure for idempotent callers).
    AlreadyExists,
    /// Anything else, as the broker said it.
    Refused(String),
}

/// The admin side of a Kafka cluster: what topics exist with how many partitions, creating
/// topics, adding partitions. Every call is bounded by the timeout given to [`KafkaAdmin::new`]: an
/// unreachable cluster is an error after that long, never a hang.
pub struct KafkaAdmin {
    client: AdminClient<DefaultClientContext>,
    timeout: Duration,
}

impl std::fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl KafkaAdmin {
    /// An admin client with these settings (every property passes through, security settings
    /// included); it connects on first use.
    pub fn new(config: &KafkaConfig, timeout: Duration) -> Result<KafkaAdmin, TransportError> {
        if !config.properties.contains_key("bootstrap.servers") {
            return Err(TransportError::Broker(
                "Kafka configuration has no `bootstrap.servers`".to_owned(),
            ));
        }
        let client = config
            .client_config(&[])
            .create()
            .map_err(|e| TransportError::Broker(format!("cannot create Kafka admin client: {}", client_error(&e))))?;
        Ok(KafkaAdmin { client, timeout })
    }

    /// Every topic of the cluster with its partition count, or the error the broker reports for
    /// it, from one metadata request for all topics (asking for named topics could make a broker
    /// with `auto.create.topics.enable` create them). Blocking: librdkafka's metadata call is
    /// synchronous; from async code, call it on a blocking thread.
    pub fn topic_partitions(&self) -> Result<BTreeMap<String, Result<u32, String>>, TransportError> {
        let metadata = self
            .client
            .inner()
            .fetch_metadata(None, self.timeout)
            .map_err(|e| TransportError::Broker(format!("cannot read the cluster's metadata: {e}")))?;
        let mut topics = BTreeMap::new();
        for topic in metadata.topics() {
            let state = match topic.error() {
                Some(code) => {
                    let code = RDKafkaErrorCode::from(code);
                    if matches!(code, RDKafkaErrorCode::UnknownTopicOrPartition) {
                        continue;
                    }
                    Err(code.to_string())
                }
                None => u32::try_from(topic.partitions().len())
                    .map_err(|_| format!("{} partitions", topic.partitions().len())),
            };
            topics.insert(topic.name().to_owned(), state);
        }
        Ok(topics)
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout))
    }

    /// Creates these topics in one request; the result says, per topic, whether it was created.
    /// `Err` only when the request as a whole failed (unreachable cluster, bad settings).
    pub async fn create_topics(
        &self,
        topics: &[TopicSpec],
    ) -> Result<Vec<(String, Result<(), CreateError>)>, TransportError> {
        let mut news = Vec::with_capacity(topics.len());
        for spec in topics {
            let partitions = i32::try_from(spec.partitions).map_err(|_| {
                TransportError::Rejected(format!(
                    "{} partitions is too many for `{}`",
                    spec.partitions, spec.name
                ))
            })?;
            let replication = match spec.replication {
                // -1: the broker's default replication factor (KIP-464).
                None => -1,
                Some(r) => i32::try_from(r).map_err(|_| {
                    TransportError::Rejected(format!("replication {r} is too high for `{}`", spec.name))
                })?,
            };
            news.push(NewTopic::new(
                &spec.name,
                partitions,
                TopicReplication::Fixed(replication),
            ));
        }
        let results = self
            .client
            .create_topics(&news, &self.options())
            .await
            .map_err(|e| TransportError::Broker(format!("cannot create topics: {e}")))?;
        Ok(results
            .into_iter()
            .map(|result| match result {
                Ok(name) => (name, Ok(())),
                Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => (name, Err(CreateError::AlreadyExists)),
                Err((name, code)) => (name, Err(CreateError::Refused(code.to_string()))),
            })
            .collect())
    }

    /// Grows `topic` to `total` partitions (Kafka can add partitions, never remove them; keys
    /// hashed before land elsewhere afterwards).
    pub async fn create_partitions(&self, topic: &str, total: u32) -> Result<(), TransportError> {
        let total_usize = usize::try_from(total)
            .map_err(|_| TransportError::Rejected(format!("{total} partitions is too many for `{topic}`")))?;
        let new = NewPartitions::new(topic, total_usize);
        let results = self
            .client
            .create_partitions([&new], &self.options())
            .await
            .map_err(|e| TransportError::Broker(format!("cannot add partitions to `{topic}`: {e}")))?;
        for result in results {
            if let Err((name, code)) = result {
                return Err(TransportError::Broker(format!(
                    "cannot add partitions to `{name}`: {code}"
                )));
            }
        }
        Ok(())
    }
}

/// Why a client could not be created. A bad property is named without its value: rdkafka's own
/// message includes the value, which may be a password (`sasl.password`, `ssl.key.password`).
fn client_error(e: &KafkaError) -> String {
    match e {
        KafkaError::ClientConfig(_, description, key, _) => format!("invalid property `{key}`: {description}"),
        other => other.to_string(),
    }
}

/// A producer error in the transport's terms.
fn send_error(topic: &str, e: &KafkaError) -> TransportError {
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
fn kafka_headers<'a>(count: usize, headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> OwnedHeaders {
    headers.fold(OwnedHeaders::new_with_capacity(count), |owned, (key, value)| {
        owned.insert(Header {
            key,
            value: Some(value),
        })
    })
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
        let interval = DEFAULT_COMMIT_INTERVAL.as_millis().to_string();
        let mut config = self
            .inner
            .config
            .client_config(&[("auto.commit.interval.ms", interval.as_str())]);
        config.set("group.id", group);
        // librdkafka commits in the background, but only offsets `commit` stored.
        config.set("enable.auto.commit", "true");
        config.set("enable.auto.offset.store", "false");
        config.set(
            "auto.offset.reset",
            match start {
                StartFrom::Earliest => "earliest",
                StartFrom::Latest => "latest",
            },
        );
        let context = GroupContext {
            group: group.to_owned(),
            revoked: Mutex::new(Vec::new()),
            paused: AtomicBool::new(false),
        };
        let consumer: StreamConsumer<GroupContext> = config.create_with_context(context).map_err(|e| {
            TransportError::Broker(format!(
                "cannot create Kafka consumer for group `{group}`: {}",
                client_error(&e)
            ))
        })?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| TransportError::Broker(format!("group `{group}` cannot subscribe to {topics:?}: {e}")))?;
        Ok(KafkaSubscription {
            consumer: Some(Arc::new(consumer)),
            group: group.to_owned(),
            close_timeout: self.inner.config.close_timeout,
        })
    }
}

/// What a subscription's consumer does at group events: commit stored offsets before partitions
/// are revoked, remember the revoked ones, and keep newly assigned partitions paused while the
/// subscription is paused. librdkafka calls it from inside `recv`, on the consuming task.
struct GroupContext {
    group: String,
    revoked: Mutex<Vec<(String, u32)>>,
    paused: AtomicBool,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<GroupContext>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(list) => {
                let partitions = partitions_of(list);
                // Before the partitions go: what was marked done is durable for the next owner.
                // It blocks the consuming task for one broker round trip, once per rebalance.
                let committed = if consumer.assignment_lost() {
                    // Already someone else's (session timeout, poll interval exceeded): the
                    // group would refuse the commit; the records are delivered again.
                    Err(None)
                } else {
                    consumer.commit_consumer_state(CommitMode::Sync).map_err(Some)
                };
                match committed {
                    Ok(()) => tracing::info!(
                        group = %self.group,
                        ?partitions,
                        "committed stored offsets before revocation"
                    ),
                    Err(Some(e)) if no_offset(&e) => tracing::info!(
                        group = %self.group,
                        ?partitions,
                        "partitions revoked; nothing new to commit"
                    ),
                    Err(None) => tracing::warn!(
                        group = %self.group,
                        ?partitions,
                        "partitions lost; what was not committed yet is handled again by their next owner"
                    ),
                    Err(Some(e)) => tracing::warn!(
                        group = %self.group,
                        ?partitions,
                        error = %e,
                        "cannot commit before revocation; the next owner handles those records again"
                    ),
                }
                self.revoked
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend(partitions);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => tracing::warn!(group = %self.group, error = %e, "Kafka rebalance failed"),
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<GroupContext>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            tracing::info!(group = %self.group, partitions = ?partitions_of(list), "partitions assigned");
            if self.paused.load(Ordering::SeqCst) && list.count() > 0 {
                if let Err(e) = consumer.pause(list) {
                    tracing::warn!(group = %self.group, error = %e, "cannot pause newly assigned partitions");
                }
            }
        }
    }
}

/// The (topic, partition) pairs of a list.
fn partitions_of(list: &TopicPartitionList) -> Vec<(String, u32)> {
    list.elements()
        .iter()
        .filter_map(|e| u32::try_from(e.partition()).ok().map(|p| (e.topic().to_owned(), p)))
        .collect()
}

/// Whether a commit failed only because there was nothing new to commit.
fn no_offset(e: &KafkaError) -> bool {
    e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset)
}

/// A consumer group member on Kafka.
pub struct KafkaSubscription {
    /// `None` once closed.
    consumer: Option<Arc<StreamConsumer<GroupContext>>>,
    group: String,
    close_timeout: Duration,
}

impl std::fmt::Debug for KafkaSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSubscription")
            .field("group", &self.group)
            .field("open", &self.consumer.is_some())
            .finish()
    }
}

/// Whether a consumer error is librdkafka telling about a condition it recovers from itself.
fn transient(e: &KafkaError) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        e.rdkafka_error_code(),
        Some(
            C::BrokerTransportFailure
                | C::AllBrokersDown
                | C::PartitionEOF
                | C::OperationTimedOut
                | C::RequestTimedOut
                | C::NetworkException
                | C::NotCoordinator
                | C::CoordinatorNotAvailable
                | C::CoordinatorLoadInProgress
                | C::RebalanceInProgress
                | C::LeaderNotAvailable
                | C::NotLeaderForPartition
        )
    )
}

/// Commits the stored offsets, unsubscribes and destroys a consumer on a thread of its own; the
/// receiver hears when it is done.
fn shut_down(consumer: Arc<StreamConsumer<GroupContext>>, group: &str) -> std::sync::mpsc::Receiver<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let group = group.to_owned();
    let spawned = std::thread::Builder::new()
        .name(format!("herald-kafka-close-{group}"))
        .spawn({
            let group = group.clone();
            move || {
                match consumer.commit_consumer_state(CommitMode::Sync) {
                    Ok(()) => tracing::debug!(group, "committed stored offsets on close"),
                    Err(e) if no_offset(&e) => {}
                    Err(e) => tracing::warn!(group, error = %e, "cannot commit stored offsets on close"),
                }
                consumer.unsubscribe();
                drop(consumer);
                let _ = tx.send(());
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(group, error = %e, "cannot start a thread to close the Kafka consumer");
    }
    rx
}

impl Subscription for KafkaSubscription {
    async fn next(&mut self) -> Result<Option<Record>, TransportError> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Ok(None);
        };
        loop {
            match consumer.recv().await {
                Ok(message) => {
                    // All of a record's headers in one buffer: two allocations, not two per header.
                    let headers = message.headers().map_or_else(Headers::new, |hs| {
                        let bytes = hs.iter().map(|h| h.key.len() + h.value.map_or(0, <[u8]>::len)).sum();
                        let mut headers = Headers::with_capacity(hs.count(), bytes);
                        for h in hs.iter() {
                            headers.push(h.key, h.value.unwrap_or_default());
                        }
                        headers
                    });
                    let partition = u32::try_from(message.partition()).map_err(|_| {
                        TransportError::Broker(format!(
                            "record on partition {} of `{}`",
                            message.partition(),
                            message.topic()
                        ))
                    })?;
                    let offset = u64::try_from(message.offset()).map_err(|_| {
                        TransportError::Broker(format!(
                            "record at offset {} of `{}`",
                            message.offset(),
                            message.topic()
                        ))
                    })?;
                    return Ok(Some(Record {
                        topic: message.topic().to_owned(),
                        partition,
                        offset,
                        key: message.key().map(<[u8]>::to_vec),
                        headers,
                        value: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    }));
                }
                Err(e) if transient(&e) => {
                    tracing::debug!(group = %self.group, error = %e, "Kafka consumer: transient error");
                }
                Err(e) => {
                    return Err(match e.rdkafka_error_code() {
                        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
                            TransportError::UnknownTopic(e.to_string())
                        }
                        _ => TransportError::Broker(format!("group `{}` cannot consume: {e}", self.group)),
                    });
                }
            }
        }
    }

    async fn commit(&mut self, topic: &str, partition: u32, offset: u64) -> Result<(), TransportError> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Err(TransportError::Closed);
        };
        let kafka_partition = i32::try_from(partition)
            .map_err(|_| TransportError::Broker(format!("partition {partition} of `{topic}` is out of range")))?;
        let kafka_offset = i64::try_from(offset)
            .map_err(|_| TransportError::Broker(format!("offset {offset} of `{topic}` is out of range")))?;
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, kafka_partition, Offset::Offset(kafka_offset))
            .map_err(|e| TransportError::Broker(format!("cannot commit {topic}/{partition}@{offset}: {e}")))?;
        // In memory: librdkafka commits it in the background, at revocation and on close.
        match consumer.store_offsets(&list) {
            Ok(()) => Ok(()),
            Err(KafkaError::StoreOffset(RDKafkaErrorCode::State | RDKafkaErrorCode::UnknownPartition)) => {
                tracing::debug!(
                    group = %self.group,
                    "{topic}/{partition}@{offset} done after the partition was revoked; its owner delivers it again"
                );
                Ok(())
            }
            Err(e) => Err(TransportError::Broker(format!(
                "group `{}` cannot store offset {topic}/{partition}@{offset}: {e}",
                self.group
            ))),
        }
    }

    fn revoked(&mut self) -> Vec<(String, u32)> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Vec::new();
        };
        std::mem::take(
            &mut *consumer
                .context()
                .revoked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn pause(&mut self) -> Result<(), TransportError> {
        self.set_paused(true)
    }

    fn resume(&mut self) -> Result<(), TransportError> {
        self.set_paused(false)
    }

    fn assignment(&self) -> Vec<(String, u32)> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Vec::new();
        };
        match consumer.assignment() {
            Ok(list) => partitions_of(&list),
            Err(e) => {
                tracing::warn!(group = %self.group, error = %e, "cannot read the Kafka assignment");
                Vec::new()
            }
        }
    }

    async fn close(mut self) {
        if let Some(consumer) = self.consumer.take() {
            let done = shut_down(consumer, &self.group);
            let timeout = self.close_timeout;
            let group = self.group.clone();
            let waited = tokio::task::spawn_blocking(move || done.recv_timeout(timeout)).await;
            if !matches!(waited, Ok(Ok(()))) {
                tracing::warn!(
                    group,
                    "Kafka consumer did not close within {timeout:?}; left closing in the background"
                );
            }
        }
    }
}

impl KafkaSubscription {
    /// Pauses or resumes every assigned partition; the context pauses partitions assigned later.
    fn set_paused(&mut self, paused: bool) -> Result<(), TransportError> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Err(TransportError::Closed);
        };
        consumer.context().paused.store(paused, Ordering::SeqCst);
        let assigned = consumer
            .assignment()
            .map_err(|e| TransportError::Broker(format!("group `{}` cannot read its assignment: {e}", self.group)))?;
        if assigned.count() == 0 {
            return Ok(());
        }
        let done = if paused {
            consumer.pause(&assigned)
        } else {
            consumer.resume(&assigned)
        };
        done.map_err(|e| {
            let what = if paused { "pause" } else { "resume" };
            TransportError::Broker(format!("group `{}` cannot {what} its partitions: {e}", self.group))
        })
    }
}

impl Drop for KafkaSubscription {
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            // Not waited for: a drop must not block (or hang) the caller.
            let _ = shut_down(consumer, &self.group);
        }
    }
}
