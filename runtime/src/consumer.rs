//! Consuming over any [`Transport`]: the [`Consumer`] runs a generated dispatcher (or a
//! [`Mailbox`](crate::mailbox::Mailbox)) for one consumer group, at least once.
//!
//! The consumer's guarantees: records with the same partition key are handled one at a time, in
//! order; different keys run concurrently (bounded); an offset is committed only once every record
//! before it on the partition is done (handled, skipped or dead-lettered); a handler that fails,
//! panics or times out is retried with exponential backoff and jitter, then dead-lettered with the
//! reason, attempt count and original coordinates in headers; envelopes that do not decode and
//! unknown event types follow an explicit policy. Nothing is lost silently: a record that cannot be
//! handled, dead-lettered or skipped stays uncommitted (and the consumer stops), so it is
//! delivered again.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::context::{Context, Unreadable};
use crate::dead_letter;
use crate::dispatch::{Dispatch, DispatchError};
use crate::envelope::Envelope;
use crate::metrics::Metrics;
use crate::transport::{Record, StartFrom, Subscription, Transport};

/// What to do with a record that cannot be dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Send it to the dead-letter topic with the reason, then go on.
    DeadLetter,
    /// Commit past it (counted in `Metrics::skipped`).
    Skip,
    /// Stop the consumer, leaving it uncommitted.
    Stop,
}

/// Settings of a [`Consumer`].
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub group: String,
    pub topics: Vec<String>,
    pub start: StartFrom,
    /// Records handled at once (different keys).
    pub concurrency: usize,
    /// Attempts per record, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub handler_timeout: Duration,
    /// Dead-letter topic; default `<topic>.dlq`.
    pub dead_letter_topic: Option<String>,
    /// Envelopes or payloads that do not decode.
    pub on_undecodable: Policy,
    /// Event types (or MAJOR versions) this dispatcher does not know.
    pub on_unknown: Policy,
}

impl ConsumerConfig {
    pub fn new(group: impl Into<String>, topics: impl IntoIterator<Item = impl Into<String>>) -> ConsumerConfig {
        ConsumerConfig {
            group: group.into(),
            topics: topics.into_iter().map(Into::into).collect(),
            start: StartFrom::Earliest,
            concurrency: 16,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            handler_timeout: Duration::from_secs(30),
            dead_letter_topic: None,
            on_undecodable: Policy::DeadLetter,
            on_unknown: Policy::DeadLetter,
        }
    }
}

/// Why a consumer stopped early.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerError {
    pub message: String,
}

impl std::fmt::Display for ConsumerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConsumerError {}

/// Turns an envelope of an older MAJOR into the current one.
pub type Upcaster = Arc<dyn Fn(Envelope) -> Result<Envelope, String> + Send + Sync>;

/// Runs a dispatcher for one consumer group over a transport.
pub struct Consumer<T: Transport, D> {
    transport: T,
    dispatcher: Arc<D>,
    config: ConsumerConfig,
    upcasters: HashMap<(String, u32), Upcaster>,
    metrics: Arc<Metrics>,
}

/// Records of one key on one partition: handled one after another.
type Lane = (String, u32, Option<Vec<u8>>);

struct Done {
    topic: String,
    partition: u32,
    offset: u64,
    /// The [`Progress::epoch`] the record was read in.
    epoch: u64,
    result: Result<(), String>,
}

/// Per partition, since it was assigned: offsets in flight or done, to commit only contiguous
/// progress.
struct Progress {
    /// Which assignment of the partition this is. A revocation forgets the partition's progress;
    /// a record read before it finishes, but is not committed: the partition's next owner (maybe
    /// this consumer again) starts at the group's committed offset, which the revocation made
    /// current, and handles it again. Committing it instead could move the group's offset back
    /// below what the other owner committed meanwhile.
    epoch: u64,
    in_flight: BTreeSet<u64>,
    done: BTreeSet<u64>,
    committed: Option<u64>,
}

impl Progress {
    fn new(epoch: u64) -> Progress {
        Progress {
            epoch,
            in_flight: BTreeSet::new(),
            done: BTreeSet::new(),
            committed: None,
        }
    }

    /// The offset to commit: one past the highest offset with nothing unfinished before it, if
    /// that is past what was committed already (never back).
    fn committable(&mut self) -> Option<u64> {
        let mut next = None;
        while let Some(&first) = self.done.iter().next() {
            if self.in_flight.iter().next().is_some_and(|f| *f < first) {
                break;
            }
            self.done.remove(&first);
            next = Some(first + 1);
        }
        let next = next.filter(|n| self.committed.is_none_or(|c| *n > c))?;
        self.committed = Some(next);
        Some(next)
    }
}

/// Records read ahead per handler slot: read but not started, because every slot is busy or
/// they wait for their key's previous record. When that many wait, no more are taken.
const READ_AHEAD_PER_SLOT: usize = 32;

/// How long the read-ahead may stay full before the subscription is paused (and then polled
/// without taking records). Short enough for any poll interval and to serve a rebalance
/// promptly; long enough that handlers which merely keep up never pause: a pause is dear on
/// Kafka, where librdkafka drops what it prefetched for the paused partitions and, after
/// `resume`, may take up to a second to fetch again (its fetcher idles until then).
const PAUSE_AFTER: Duration = Duration::from_millis(200);

/// Forgets the progress of partitions a rebalance took away (see [`Progress::epoch`]) and drops
/// their records read but not started: their next owner reads them again.
fn forget_revoked(
    sub: &mut impl Subscription,
    progress: &mut HashMap<(String, u32), Progress>,
    pending: &mut VecDeque<(Record, u64)>,
    epoch: &mut u64,
    metrics: &Metrics,
) {
    let revoked = sub.revoked();
    if revoked.is_empty() {
        return;
    }
    *epoch += 1;
    for partition in &revoked {
        progress.remove(partition);
        Metrics::bump(&metrics.revoked);
    }
    pending.retain(|(r, _)| !revoked.iter().any(|(t, p)| *t == r.topic && *p == r.partition));
    tracing::info!(
        partitions = ?revoked,
        "partitions revoked; records of them still running will not be committed here"
    );
}

impl<T: Transport, D: Dispatch + 'static> Consumer<T, D> {
    pub fn new(transport: T, dispatcher: D, config: ConsumerConfig) -> Consumer<T, D> {
        Consumer {
            transport,
            dispatcher: Arc::new(dispatcher),
            config,
            upcasters: HashMap::new(),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Registers the conversion of `event_type` at MAJOR `from_major` into a current version.
    pub fn upcaster(
        mut self,
        event_type: &str,
        from_major: u32,
        f: impl Fn(Envelope) -> Result<Envelope, String> + Send + Sync + 'static,
    ) -> Self {
        self.upcasters.insert((event_type.to_owned(), from_major), Arc::new(f));
        self
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Consumes until `shutdown` completes (then finishes the records in flight and commits) or
    /// the subscription ends. An error means a record could not be handled, dead-lettered or
    /// skipped; it stays uncommitted.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ConsumerError> {
        let mut sub = self
            .transport
            .subscribe(&self.config.group, &self.config.topics, self.config.start)
            .await
            .map_err(|e| ConsumerError {
                message: format!("cannot subscribe: {e}"),
            })?;
        let transport = Arc::new(self.transport);
        let shared = Arc::new(Shared {
            dispatcher: self.dispatcher,
            config: self.config,
            upcasters: self.upcasters,
            metrics: self.metrics,
        });
        let slots = shared.config.concurrency.max(1);
        let read_ahead = slots.saturating_mul(READ_AHEAD_PER_SLOT);
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut lanes: HashMap<Lane, oneshot::Receiver<()>> = HashMap::new();
        let mut progress: HashMap<(String, u32), Progress> = HashMap::new();
        // Records read, not started yet, each with its partition's epoch.
        let mut pending: VecDeque<(Record, u64)> = VecDeque::new();
        let mut epoch = 0u64;
        let mut in_flight = 0usize;
        let mut paused = false;
        // Since when the read-ahead is full (no record taken) without a pause.
        let mut full_since: Option<tokio::time::Instant> = None;
        let mut failure: Option<String> = None;
        tokio::pin!(shutdown);
        // `reading`: records are taken and handled. `polling`: the subscription is polled, which
        // keeps the membership alive (Kafka's max.poll.interval.ms), also while paused or draining.
        let mut reading = true;
        let mut polling = true;
        while reading || in_flight > 0 {
            if reading {
                while in_flight < slots {
                    let Some((record, record_epoch)) = pending.pop_front() else {
                        break;
                    };
                    in_flight += 1;
                    spawn_record(record, record_epoch, &mut lanes, &shared, &transport, &done_tx);
                }
                // Back-pressure: the read-ahead full. Take no more records; if that lasts, pause
                // the subscription and keep polling it (the membership depends on it).
                if pending.len() >= read_ahead {
                    full_since.get_or_insert_with(tokio::time::Instant::now);
                } else {
                    full_since = None;
                }
                let change = if !paused && full_since.is_some_and(|since| since.elapsed() >= PAUSE_AFTER) {
                    Some(true)
                } else if paused && pending.len() < read_ahead {
                    Some(false)
                } else {
                    None
                };
                if let Some(pause) = change {
                    let result = if pause { sub.pause() } else { sub.resume() };
                    match result {
                        Ok(()) => {
                            paused = pause;
                            if pause {
                                Metrics::bump(&shared.metrics.paused);
                                tracing::debug!(waiting = pending.len(), "every handler busy: subscription paused");
                            }
                        }
                        Err(e) => {
                            failure.get_or_insert(format!("cannot pause or resume the subscription: {e}"));
                            reading = false;
                        }
                    }
                }
            }
            if !reading {
                // Stopping: records not started stay uncommitted (delivered again later); the
                // subscription is still polled while the running ones finish, but takes no more.
                pending.clear();
                full_since = None;
                if !paused && polling {
                    if let Err(e) = sub.pause() {
                        tracing::warn!(error = %e, "cannot pause the subscription while draining");
                    }
                    paused = true;
                }
            }
            tokio::select! {
                biased;
                Some(done) = done_rx.recv() => {
                    in_flight -= 1;
                    forget_revoked(&mut sub, &mut progress, &mut pending, &mut epoch, &shared.metrics);
                    let key = (done.topic, done.partition);
                    match done.result {
                        Ok(()) => {
                            let Some(entry) = progress.get_mut(&key).filter(|p| p.epoch == done.epoch) else {
                                tracing::debug!(topic = %key.0, partition = key.1, offset = done.offset,
                                    "record of a revoked partition finished; not committed here");
                                continue;
                            };
                            entry.in_flight.remove(&done.offset);
                            entry.done.insert(done.offset);
                            if let Some(offset) = entry.committable() {
                                if let Err(e) = sub.commit(&key.0, key.1, offset).await {
                                    failure.get_or_insert(format!("commit failed: {e}"));
                                    reading = false;
                                }
                            }
                        }
                        Err(reason) => {
                            // Leave it (and everything after it on the partition) uncommitted.
                            failure.get_or_insert(reason);
                            reading = false;
                        }
                    }
                }
                _ = &mut shutdown, if reading => { reading = false; }
                // The read-ahead stayed full: time to pause.
                () = tokio::time::sleep_until(full_since.unwrap_or_else(tokio::time::Instant::now) + PAUSE_AFTER),
                    if full_since.is_some() && !paused => {}
                next = sub.next(), if polling && (paused || full_since.is_none()) => {
                    forget_revoked(&mut sub, &mut progress, &mut pending, &mut epoch, &shared.metrics);
                    let record = match next {
                        Ok(Some(r)) => r,
                        Ok(None) => { reading = false; polling = false; continue; }
                        Err(e) if reading => {
                            failure.get_or_insert(format!("subscription failed: {e}"));
                            reading = false;
                            polling = false;
                            continue;
                        }
                        Err(_) => { polling = false; continue; }
                    };
                    if !reading {
                        // Draining: not taken, so not committed; delivered again later.
                        continue;
                    }
                    let entry = progress
                        .entry((record.topic.clone(), record.partition))
                        .or_insert_with(|| Progress::new(epoch));
                    entry.in_flight.insert(record.offset);
                    pending.push_back((record, entry.epoch));
                }
            }
        }
        sub.close().await;
        match failure {
            Some(message) => Err(ConsumerError { message }),
            None => Ok(()),
        }
    }
}

/// Starts one record: it waits for the previous record of its key (its lane), is processed to
/// the end, and its outcome goes to `done` with its partition's epoch.
fn spawn_record<T: Transport, D: Dispatch + 'static>(
    record: Record,
    epoch: u64,
    lanes: &mut HashMap<Lane, oneshot::Receiver<()>>,
    shared: &Arc<Shared<D>>,
    transport: &Arc<T>,
    done: &mpsc::UnboundedSender<Done>,
) {
    let lane = (record.topic.clone(), record.partition, record.key.clone());
    let previous = lanes.remove(&lane);
    let (finished_tx, finished_rx) = oneshot::channel();
    lanes.insert(lane, finished_rx);
    if lanes.len() > 10_000 {
        lanes.retain(|_, rx| matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)));
    }
    let (shared, transport, done) = (Arc::clone(shared), Arc::clone(transport), done.clone());
    tokio::spawn(async move {
        if let Some(previous) = previous {
            let _ = previous.await;
        }
        let (topic, partition, offset) = (record.topic.clone(), record.partition, record.offset);
        let result = shared.process(&*transport, record).await;
        let _ = finished_tx.send(());
        let _ = done.send(Done {
            topic,
            partition,
            offset,
            epoch,
            result,
        });
    });
}

struct Shared<D> {
    dispatcher: Arc<D>,
    config: ConsumerConfig,
    upcasters: HashMap<(String, u32), Upcaster>,
    metrics: Arc<Metrics>,
}

enum Failure {
    /// Not worth retrying: bad envelope or payload.
    Undecodable(String),
    /// A type or MAJOR this dispatcher does not route.
    Unknown(String),
    /// The handler failed, panicked or timed out.
    Handler(String),
}

impl<D: Dispatch + 'static> Shared<D> {
    /// Handles one record to the end: handled, skipped, dead-lettered, or an error (stop).
    async fn process<T: Transport>(&self, transport: &T, record: Record) -> Result<(), String> {
        // Read once, in place: the context keeps the record as it arrived, for a dead letter.
        let ctx = match Context::read(record) {
            Ok(ctx) => Arc::new(ctx),
            Err(unreadable) => {
                let Unreadable { error, record } = *unreadable;
                let reason = format!("invalid envelope: {error}");
                return self
                    .fail(transport, record, self.config.on_undecodable, reason, 0)
                    .await;
            }
        };
        let mut attempts = 0u32;
        let outcome = match self.upcast(&ctx) {
            Err(failure) => Err(failure),
            Ok(current) => loop {
                attempts += 1;
                match self.attempt(Arc::clone(&current), ctx.record(), attempts).await {
                    Ok(()) => break Ok(()),
                    Err(Failure::Handler(reason)) if attempts < self.config.max_attempts => {
                        Metrics::bump(&self.metrics.retried);
                        tracing::warn!(attempt = attempts, %reason, "handler failed; retrying");
                        tokio::time::sleep(self.backoff(attempts, ctx.record().offset)).await;
                    }
                    Err(failure) => break Err(failure),
                }
            },
        };
        let (policy, reason) = match outcome {
            Ok(()) => {
                Metrics::bump(&self.metrics.handled);
                return Ok(());
            }
            Err(Failure::Undecodable(r)) => (self.config.on_undecodable, r),
            Err(Failure::Unknown(r)) => (self.config.on_unknown, r),
            Err(Failure::Handler(r)) => (Policy::DeadLetter, format!("{r} (after {attempts} attempts)")),
        };
        // A handler that timed out may still hold the context: then the record is copied.
        let record = Arc::try_unwrap(ctx).map_or_else(|ctx| ctx.record().clone(), Context::into_record);
        self.fail(transport, record, policy, reason, attempts).await
    }

    /// A record that was not handled: skipped, dead-lettered, or an error that stops the consumer.
    async fn fail<T: Transport>(
        &self,
        transport: &T,
        record: Record,
        policy: Policy,
        reason: String,
        attempts: u32,
    ) -> Result<(), String> {
        match policy {
            Policy::Skip => {
                Metrics::bump(&self.metrics.skipped);
                tracing::warn!(%reason, "record skipped");
                Ok(())
            }
            Policy::Stop => Err(format!(
                "stopped at {}/{}@{}: {reason}",
                record.topic, record.partition, record.offset
            )),
            Policy::DeadLetter => {
                let topic = dead_letter::topic(self.config.dead_letter_topic.as_deref(), &record.topic);
                match dead_letter::send(transport, &topic, &self.config.group, &record, &reason, attempts).await {
                    Ok(_) => {
                        Metrics::bump(&self.metrics.dead_lettered);
                        tracing::warn!(%reason, dead_letter_topic = %topic, "record dead-lettered");
                        Ok(())
                    }
                    Err(e) => Err(format!(
                        "cannot dead-letter {}/{}@{} to `{topic}` ({e}); it stays uncommitted: {reason}",
                        record.topic, record.partition, record.offset
                    )),
                }
            }
        }
    }

    /// The event as the dispatcher should see it: upcast when its MAJOR has an upcaster.
    fn upcast(&self, ctx: &Arc<Context>) -> Result<Arc<Context>, Failure> {
        // Looked up without building a key: upcasters are few, and this is on every record's path.
        let (major, event_type) = (ctx.version().major, ctx.event_type());
        let upcaster = self.upcasters.iter().find(|((t, m), _)| *m == major && t == event_type);
        match upcaster {
            None => Ok(Arc::clone(ctx)),
            Some((_, up)) => up(ctx.to_envelope())
                .map(|envelope| Arc::new(Context::from_envelope(envelope)))
                .map_err(|e| Failure::Undecodable(format!("upcast failed: {e}"))),
        }
    }

    async fn attempt(&self, ctx: Arc<Context>, record: &Record, attempt: u32) -> Result<(), Failure> {
        let span = tracing::info_span!(
            "dispatch",
            r#type = %ctx.event_type(),
            id = %ctx.id(),
            partition = record.partition,
            offset = record.offset,
            attempt
        );
        let dispatcher = Arc::clone(&self.dispatcher);
        let task = tokio::spawn(async move { dispatcher.dispatch(&ctx).await }.instrument(span));
        match tokio::time::timeout(self.config.handler_timeout, task).await {
            Err(_) => Err(Failure::Handler(format!(
                "handler timed out after {:?}",
                self.config.handler_timeout
            ))),
            Ok(Err(join)) if join.is_panic() => {
                Err(Failure::Handler(format!("handler panicked: {}", panic_message(join))))
            }
            Ok(Err(join)) => Err(Failure::Handler(format!("handler task failed: {join}"))),
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(match e {
                DispatchError::UnknownType { .. } | DispatchError::UnknownMajor { .. } => {
                    Failure::Unknown(e.to_string())
                }
                DispatchError::Decode { .. } => Failure::Undecodable(e.to_string()),
                DispatchError::Handler { .. } => Failure::Handler(e.to_string()),
            }),
        }
    }

    /// Exponential backoff with jitter (up to half the delay), capped.
    fn backoff(&self, attempt: u32, salt: u64) -> Duration {
        let base = self.config.initial_backoff.saturating_mul(1 << (attempt - 1).min(16));
        let base = base.min(self.config.max_backoff);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut x = u64::from(nanos) ^ salt.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let jitter = base.as_nanos() as u64 / 2;
        base + Duration::from_nanos(if jitter == 0 { 0 } else { x % jitter })
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-text panic".to_owned()),
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    fn finish(p: &mut Progress, offset: u64) -> Option<u64> {
        p.in_flight.remove(&offset);
        p.done.insert(offset);
        p.committable()
    }

    #[test]
    fn progress_commits_contiguous_offsets_and_never_back() {
        let mut p = Progress::new(0);
        p.in_flight.extend([5, 6, 7]);
        assert_eq!(finish(&mut p, 6), None, "5 is still running");
        assert_eq!(finish(&mut p, 5), Some(7));
        // A record delivered again below what was committed does not move the commit back.
        p.in_flight.insert(3);
        assert_eq!(finish(&mut p, 3), None);
        assert_eq!(finish(&mut p, 7), Some(8));
    }
}
