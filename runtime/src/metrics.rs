//! Counters the publisher and the consumer keep, for a service to export.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters a service can export.
#[derive(Debug, Default)]
pub struct Metrics {
    pub published: AtomicU64,
    pub handled: AtomicU64,
    pub retried: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub skipped: AtomicU64,
    /// Times the consumer paused its subscription because every handler slot was busy.
    pub paused: AtomicU64,
    /// Partitions a rebalance took from the consumer.
    pub revoked: AtomicU64,
}

impl Metrics {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
