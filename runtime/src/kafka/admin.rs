//! [`KafkaAdmin`]: which topics exist with how many partitions, creating topics, adding partitions.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use super::config::{client_error, KafkaConfig};
use crate::transport::TransportError;

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
