//! [`KafkaSubscription`]: a consumer group member, committing only what the consumer marked done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers as _, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::config::{client_error, KafkaConfig, DEFAULT_COMMIT_INTERVAL};
use crate::transport::{Headers, Record, StartFrom, Subscription, TransportError};

/// What a subscription's consumer does at group events: commit stored offsets before partitions
/// are revoked, remember the revoked ones, and keep newly assigned partitions paused while the
/// subscription is paused. librdkafka calls it from inside `recv`, on the consuming task.
pub(super) struct GroupContext {
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

/// A new member of `group` subscribed to `topics`, committing only the offsets it stores.
pub(super) fn subscribe(
    config_in: &KafkaConfig,
    group: &str,
    topics: &[String],
    start: StartFrom,
) -> Result<KafkaSubscription, TransportError> {
    let interval = DEFAULT_COMMIT_INTERVAL.as_millis().to_string();
    let mut config = config_in.client_config(&[("auto.commit.interval.ms", interval.as_str())]);
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
        close_timeout: config_in.close_timeout,
    })
}
