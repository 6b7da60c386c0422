//! The `Transport` seam: what publishers and consumers need from a broker, and the record format
//! envelopes travel in (CloudEvents Kafka binary mode: `ce_*` headers, partition key as the record
//! key, payload as the value).

use std::fmt;
use std::future::Future;

pub use crate::record::{Headers, Record};

/// A record to send. Header names are usually the binary-mode constants, so they are borrowed
/// when static (nothing allocated per record for them).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(std::borrow::Cow<'static, str>, Vec<u8>)>,
    pub value: Vec<u8>,
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub partition: u32,
    pub offset: u64,
}

/// How much the broker must confirm before a send returns (Kafka's `acks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// Fire and forget: no confirmation.
    None,
    /// The partition leader has it.
    Leader,
    /// Every in-sync replica has it.
    #[default]
    All,
}

/// Where a new consumer group starts on a partition with no committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    #[default]
    Earliest,
    Latest,
}

/// A transport failed.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportError {
    /// The topic does not exist (and the transport does not create topics on demand).
    UnknownTopic(String),
    /// The record was refused (too large, topic read-only, ...).
    Rejected(String),
    /// The broker could not take the record within the allowed time (back-pressure).
    Full(String),
    /// The subscription or transport was closed.
    Closed,
    /// Anything else, with the broker's words.
    Broker(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::UnknownTopic(t) => write!(f, "unknown topic `{t}`"),
            TransportError::Rejected(why) => write!(f, "record rejected: {why}"),
            TransportError::Full(why) => write!(f, "broker full: {why}"),
            TransportError::Closed => f.write_str("closed"),
            TransportError::Broker(why) => write!(f, "broker error: {why}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// A broker connection: sends records and opens consumer-group subscriptions.
pub trait Transport: Send + Sync + 'static {
    type Subscription: Subscription;

    /// Sends one record; returns once the broker confirmed it as `acks` asks.
    fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        headers: Headers,
        value: Vec<u8>,
        acks: Acks,
    ) -> impl Future<Output = Result<Delivery, TransportError>> + Send;

    /// Sends records to one topic without waiting for each: every record is handed to the broker
    /// client first (in order, so records of one key keep their order), then every delivery is
    /// awaited. One result per record, in the order given; a failure of one does not stop the
    /// others. Transports that cannot pipeline send one after another (the default).
    fn send_batch(
        &self,
        topic: &str,
        records: &[Outgoing],
        acks: Acks,
    ) -> impl Future<Output = Vec<Result<Delivery, TransportError>>> + Send {
        async move {
            let mut results = Vec::with_capacity(records.len());
            for r in records {
                let headers = r.headers.iter().map(|(name, value)| (name, value)).collect();
                let sent = self.send(topic, r.key.as_deref(), headers, r.value.clone(), acks);
                results.push(sent.await);
            }
            results
        }
    }

    /// Joins consumer group `group` on `topics`; partitions are shared with the group's other members.
    fn subscribe(
        &self,
        group: &str,
        topics: &[String],
        start: StartFrom,
    ) -> impl Future<Output = Result<Self::Subscription, TransportError>> + Send;
}

/// A consumer group member's view: the records of the partitions assigned to it.
///
/// The consumer loop drives it from one task: `next` for records, `commit` after a record (and
/// every record before it on its partition) is done, `revoked` after a rebalance, `pause` and
/// `resume` for back-pressure, `close` at the end.
pub trait Subscription: Send + 'static {
    /// The next record of an assigned partition, waiting for one; `Ok(None)` once closed.
    ///
    /// It is also what keeps the membership alive (on Kafka, rebalances are served and
    /// `max.poll.interval.ms` is measured only while it is polled): call it continually, paused or
    /// not. Cancelling the returned future loses no record.
    fn next(&mut self) -> impl Future<Output = Result<Option<Record>, TransportError>> + Send;

    /// Marks everything before `offset` on the partition as processed by the group.
    ///
    /// The mark is cheap and taken at once; it becomes durable (what a member taking over the
    /// partition, or this one after a crash, starts from) a little later: on Kafka at the next
    /// background commit (`auto.commit.interval.ms`), when the partition is revoked, or when the
    /// subscription closes; in memory at once. A crash loses at most the marks not yet durable:
    /// their records are delivered again (at least once, never skipped). A mark for a partition
    /// this member no longer owns is ignored, not an error: the partition's owner decides.
    fn commit(
        &mut self,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Partitions a rebalance took from this member since the last call (each once).
    ///
    /// Marks made before the revocation were made durable first; marks for them after it are
    /// ignored. If the partition comes back, it starts again at the group's committed offset.
    fn revoked(&mut self) -> Vec<(String, u32)>;

    /// Stops fetching records of the assigned partitions (and of any assigned while paused) until
    /// `resume`, so that a busy consumer keeps calling `next` without taking more work.
    ///
    /// `next` may still return a record received before the pause; the caller handles it as any
    /// other. None is skipped: fetching resumes right after the last record `next` returned.
    fn pause(&mut self) -> Result<(), TransportError>;

    /// Fetches again after `pause`.
    fn resume(&mut self) -> Result<(), TransportError>;

    /// The partitions currently assigned to this member.
    fn assignment(&self) -> Vec<(String, u32)>;

    /// Makes every mark durable and leaves the group (the remaining members take over its
    /// partitions).
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Kafka's default partitioner: murmur2 of the key, made positive, modulo the partition count.
pub fn partition_for(key: &[u8], partitions: u32) -> u32 {
    (murmur2(key) & 0x7fff_ffff) as u32 % partitions.max(1)
}

/// Kafka's murmur2 (the Java client's `Utils.murmur2`), seed 0x9747b28c.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len() as u32;
    let mut h: u32 = SEED ^ length;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    match tail.len() {
        3 => {
            h ^= u32::from(tail[2]) << 16;
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        2 => {
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        1 => {
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(M);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from the Kafka client's own tests of `Utils.murmur2`.
    #[test]
    fn murmur2_matches_kafka() {
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn partitions_are_stable_and_in_range() {
        for n in [1, 4, 16] {
            for key in [&b"user-1"[..], b"", b"x"] {
                let p = partition_for(key, n);
                assert!(p < n);
                assert_eq!(p, partition_for(key, n));
            }
        }
    }
}
