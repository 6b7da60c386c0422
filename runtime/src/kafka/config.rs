//! [`KafkaConfig`]: the librdkafka properties herald passes through, and its own defaults.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;

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

    pub(super) fn client_config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
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

/// herald's default `auto.commit.interval.ms`: a crashed member's successor handles again about a
/// tenth of a second of work, and a member that lives longer than that makes durable progress
/// (with 1 s, workers killed within 600 ms of starting kept handling the same records again: see
/// the crash test in ARCHITECTURE.md). It costs at most ten small commit requests a second per
/// member, and only while it has new offsets; librdkafka's own default is 5 s.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_millis(100);

/// Why a client could not be created. A bad property is named without its value: rdkafka's own
/// message includes the value, which may be a password (`sasl.password`, `ssl.key.password`).
pub(super) fn client_error(e: &KafkaError) -> String {
    match e {
        KafkaError::ClientConfig(_, description, key, _) => format!("invalid property `{key}`: {description}"),
        other => other.to_string(),
    }
}
