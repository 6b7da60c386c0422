//! Dead letters: a record no handler could take goes, exactly as it came, to the dead-letter topic
//! with headers saying why, after how many attempts, and where it came from.

use crate::transport::{Acks, Record, Transport, TransportError};

/// Header names on dead-lettered records.
pub const REASON: &str = "herald_dlq_reason";
pub const ATTEMPTS: &str = "herald_dlq_attempts";
pub const TOPIC: &str = "herald_dlq_topic";
pub const PARTITION: &str = "herald_dlq_partition";
pub const OFFSET: &str = "herald_dlq_offset";
pub const GROUP: &str = "herald_dlq_group";

/// The dead-letter topic: the configured one, else `<topic>.dlq`.
pub(crate) fn topic(configured: Option<&str>, source_topic: &str) -> String {
    configured.map_or_else(|| format!("{source_topic}.dlq"), str::to_owned)
}

/// Sends `record` as it came (key, headers, value) to `topic`, with the dead-letter headers
/// added, acknowledged by every replica.
pub(crate) async fn send<T: Transport>(
    transport: &T,
    topic: &str,
    group: &str,
    record: &Record,
    reason: &str,
    attempts: u32,
) -> Result<(), TransportError> {
    let mut headers = record.headers.clone();
    headers.extend([
        (REASON.to_owned(), reason.as_bytes().to_vec()),
        (ATTEMPTS.to_owned(), attempts.to_string().into_bytes()),
        (TOPIC.to_owned(), record.topic.clone().into_bytes()),
        (PARTITION.to_owned(), record.partition.to_string().into_bytes()),
        (OFFSET.to_owned(), record.offset.to_string().into_bytes()),
        (GROUP.to_owned(), group.as_bytes().to_vec()),
    ]);
    transport
        .send(topic, record.key.as_deref(), headers, record.value.clone(), Acks::All)
        .await
        .map(|_| ())
}
