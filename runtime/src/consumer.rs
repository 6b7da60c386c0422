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
use tokio::time::Instant;
use tracing::Instrument;

use crate::context::{Context, Unreadable};
use crate::dead_letter;
use crate::dispatch::{Dispatch, DispatchError};
use crate::envelope::Envelope;
use crate::metrics::Metrics;
use crate::transport::{Record, StartFrom, Subscription, Transport, TransportError};

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

/// Why a consumer stopped early. Every record from the one at fault on stays uncommitted, so the
/// group gets it again.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConsumerError {
    /// Joining the group failed.
    Subscribe(TransportError),
    /// Marking an offset as processed failed.
    Commit(TransportError),
    /// Reading the subscription failed.
    Subscription(TransportError),
    /// Pausing or resuming the subscription (back-pressure) failed.
    PauseResume(TransportError),
    /// A record that could not be handled met [`Policy::Stop`].
    Stopped {
        topic: String,
        partition: u32,
        offset: u64,
        /// Why it could not be handled.
        reason: String,
    },
    /// A record that could not be handled could not be sent to its dead-letter topic either.
    DeadLetter {
        topic: String,
        partition: u32,
        offset: u64,
        dead_letter_topic: String,
        /// Why the send failed.
        error: TransportError,
        /// Why the record could not be handled.
        reason: String,
    },
}

impl std::fmt::Display for ConsumerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsumerError::Subscribe(e) => write!(f, "cannot subscribe: {e}"),
            ConsumerError::Commit(e) => write!(f, "commit failed: {e}"),
            ConsumerError::Subscription(e) => write!(f, "subscription failed: {e}"),
            ConsumerError::PauseResume(e) => write!(f, "cannot pause or resume the subscription: {e}"),
            ConsumerError::Stopped {
                topic,
                partition,
                offset,
                reason,
            } => write!(f, "stopped at {topic}/{partition}@{offset}: {reason}"),
            ConsumerError::DeadLetter {
                topic,
                partition,
                offset,
                dead_letter_topic,
                error,
                reason,
            } => write!(
                f,
                "cannot dead-letter {topic}/{partition}@{offset} to `{dead_letter_topic}` ({error}); it stays \
                 uncommitted: {reason}"
            ),
        }
    }
}

impl std::error::Error for ConsumerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConsumerError::Subscribe(e)
            | ConsumerError::Commit(e)
            | ConsumerError::Subscription(e)
            | ConsumerError::PauseResume(e)
            | ConsumerError::DeadLetter { error: e, .. } => Some(e),
            ConsumerError::Stopped { .. } => None,
        }
    }
}

/// Why an upcaster could not convert an envelope; the record is then undecodable
/// ([`ConsumerConfig::on_undecodable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcastError {
    pub message: String,
}

impl UpcastError {
    pub fn msg(message: impl std::fmt::Display) -> UpcastError {
        UpcastError {
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for UpcastError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UpcastError {}

impl From<String> for UpcastError {
    fn from(message: String) -> UpcastError {
        UpcastError { message }
    }
}

impl From<&str> for UpcastError {
    fn from(message: &str) -> UpcastError {
        UpcastError::msg(message)
    }
}

/// Turns an envelope of an older MAJOR into the current one.
pub type Upcaster = Arc<dyn Fn(Envelope) -> Result<Envelope, UpcastError> + Send + Sync>;

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
    result: Result<(), ConsumerError>,
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
        f: impl Fn(Envelope) -> Result<Envelope, UpcastError> + Send + Sync + 'static,
    ) -> Self {
        self.upcasters.insert((event_type.to_owned(), from_major), Arc::new(f));
        self
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Consumes until `shutdown` completes (then finishes the records in flight and commits) or
    /// the subscription ends. An error says why it stopped early ([`ConsumerError`]): the
    /// subscription failed, or a record could not be handled, dead-lettered or skipped (it stays
    /// uncommitted).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ConsumerError> {
        let sub = self
            .transport
            .subscribe(&self.config.group, &self.config.topics, self.config.start)
            .await
            .map_err(ConsumerError::Subscribe)?;
        let transport = Arc::new(self.transport);
        let shared = Arc::new(Shared {
            dispatcher: self.dispatcher,
            config: self.config,
            upcasters: self.upcasters,
            metrics: self.metrics,
        });
        let mut run = Run::new(sub, shared.config.concurrency, Arc::clone(&shared.metrics));
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut lanes: HashMap<Lane, oneshot::Receiver<()>> = HashMap::new();
        let mut start = |record, epoch| spawn_record(record, epoch, &mut lanes, &shared, &transport, &done_tx);
        tokio::pin!(shutdown);
        while run.reading || run.in_flight > 0 {
            if run.reading {
                run.start_ready(&mut start);
                run.backpressure();
            }
            if !run.reading {
                run.drain();
            }
            tokio::select! {
                biased;
                Some(done) = done_rx.recv() => run.on_done(done).await,
                _ = &mut shutdown, if run.reading => run.reading = false,
                // The read-ahead stayed full: time to pause (`backpressure` on the next turn).
                () = tokio::time::sleep_until(run.pause_deadline()), if run.waiting_to_pause() => {}
                next = run.sub.next(), if run.wants_next() => run.on_record(next),
            }
        }
        run.finish().await
    }
}

/// The state of [`Consumer::run`] between two turns of its loop: the subscription, the records
/// read ahead, the progress per partition, and whether it still reads and polls. Each method is
/// one step of the loop; none blocks on a handler.
struct Run<S> {
    sub: S,
    /// Records handled at once.
    slots: usize,
    /// Records read but not started before no more are taken.
    read_ahead: usize,
    metrics: Arc<Metrics>,
    /// Records read, not started yet, each with its partition's epoch.
    pending: VecDeque<(Record, u64)>,
    progress: HashMap<(String, u32), Progress>,
    /// Bumped on every revocation: the epoch of partitions assigned from now on.
    epoch: u64,
    /// Records started and not done.
    in_flight: usize,
    paused: bool,
    /// Since when the read-ahead is full (no record taken) without a pause.
    full_since: Option<Instant>,
    /// Records are taken and handled. Off once shutting down, failed or the subscription ended.
    reading: bool,
    /// The subscription is polled, which keeps the membership alive (Kafka's
    /// max.poll.interval.ms), also while paused or draining.
    polling: bool,
    /// The first failure: the consumer stops reading and returns it once the running records
    /// are done.
    failure: Option<ConsumerError>,
}

impl<S: Subscription> Run<S> {
    fn new(sub: S, concurrency: usize, metrics: Arc<Metrics>) -> Run<S> {
        let slots = concurrency.max(1);
        Run {
            sub,
            slots,
            read_ahead: slots.saturating_mul(READ_AHEAD_PER_SLOT),
            metrics,
            pending: VecDeque::new(),
            progress: HashMap::new(),
            epoch: 0,
            in_flight: 0,
            paused: false,
            full_since: None,
            reading: true,
            polling: true,
            failure: None,
        }
    }

    /// Stops reading because of `failure` (the first one is kept); records running finish.
    fn fail(&mut self, failure: ConsumerError) {
        self.failure.get_or_insert(failure);
        self.reading = false;
    }

    /// Starts records read ahead, oldest first, while a handler slot is free.
    fn start_ready(&mut self, mut start: impl FnMut(Record, u64)) {
        while self.in_flight < self.slots {
            let Some((record, epoch)) = self.pending.pop_front() else {
                break;
            };
            self.in_flight += 1;
            start(record, epoch);
        }
    }

    /// Back-pressure: with the read-ahead full, no more records are taken; if that lasts
    /// [`PAUSE_AFTER`], the subscription is paused (and still polled: the membership depends on
    /// it), and resumed once a record started.
    fn backpressure(&mut self) {
        if self.pending.len() >= self.read_ahead {
            self.full_since.get_or_insert_with(Instant::now);
        } else {
            self.full_since = None;
        }
        let pause = if !self.paused && self.full_since.is_some_and(|since| since.elapsed() >= PAUSE_AFTER) {
            true
        } else if self.paused && self.pending.len() < self.read_ahead {
            false
        } else {
            return;
        };
        match if pause { self.sub.pause() } else { self.sub.resume() } {
            Ok(()) => {
                self.paused = pause;
                if pause {
                    Metrics::bump(&self.metrics.paused);
                    tracing::debug!(waiting = self.pending.len(), "every handler busy: subscription paused");
                }
            }
            Err(e) => self.fail(ConsumerError::PauseResume(e)),
        }
    }

    /// Stopping: records not started stay uncommitted (delivered again later); the subscription
    /// is still polled while the running ones finish, but paused, so it takes no more.
    fn drain(&mut self) {
        self.pending.clear();
        self.full_since = None;
        if !self.paused && self.polling {
            if let Err(e) = self.sub.pause() {
                tracing::warn!(error = %e, "cannot pause the subscription while draining");
            }
            self.paused = true;
        }
    }

    /// When the read-ahead, full since `full_since`, is to be paused.
    fn pause_deadline(&self) -> Instant {
        self.full_since.unwrap_or_else(Instant::now) + PAUSE_AFTER
    }

    /// The read-ahead is full and not paused yet: wait for [`Run::pause_deadline`].
    fn waiting_to_pause(&self) -> bool {
        self.full_since.is_some() && !self.paused
    }

    /// Whether to poll the subscription now: always while paused (which takes nothing new), and
    /// while not paused only if there is room for what it returns.
    fn wants_next(&self) -> bool {
        self.polling && (self.paused || self.full_since.is_none())
    }

    /// Forgets the progress of partitions a rebalance took away (see [`Progress::epoch`]) and
    /// drops their records read but not started: their next owner reads them again.
    fn forget_revoked(&mut self) {
        let revoked = self.sub.revoked();
        if revoked.is_empty() {
            return;
        }
        self.epoch += 1;
        for partition in &revoked {
            self.progress.remove(partition);
            Metrics::bump(&self.metrics.revoked);
        }
        self.pending
            .retain(|(r, _)| !revoked.iter().any(|(t, p)| *t == r.topic && *p == r.partition));
        tracing::info!(
            partitions = ?revoked,
            "partitions revoked; records of them still running will not be committed here"
        );
    }

    /// A record finished: commits what is now contiguous on its partition, unless the partition
    /// was revoked since it was read; a failure stops reading and leaves the record (and
    /// everything after it on the partition) uncommitted.
    async fn on_done(&mut self, done: Done) {
        self.in_flight -= 1;
        self.forget_revoked();
        let key = (done.topic, done.partition);
        if let Err(reason) = done.result {
            self.fail(reason);
            return;
        }
        let Some(entry) = self.progress.get_mut(&key).filter(|p| p.epoch == done.epoch) else {
            tracing::debug!(topic = %key.0, partition = key.1, offset = done.offset,
                "record of a revoked partition finished; not committed here");
            return;
        };
        entry.in_flight.remove(&done.offset);
        entry.done.insert(done.offset);
        if let Some(offset) = entry.committable() {
            if let Err(e) = self.sub.commit(&key.0, key.1, offset).await {
                self.fail(ConsumerError::Commit(e));
            }
        }
    }

    /// What the subscription returned: a record is read ahead (unless draining, when it is not
    /// taken, so not committed, and delivered again later); its end or an error ends polling.
    fn on_record(&mut self, next: Result<Option<Record>, TransportError>) {
        self.forget_revoked();
        let record = match next {
            Ok(Some(r)) => r,
            Ok(None) => {
                self.reading = false;
                self.polling = false;
                return;
            }
            Err(e) => {
                if self.reading {
                    self.fail(ConsumerError::Subscription(e));
                }
                self.polling = false;
                return;
            }
        };
        if !self.reading {
            return;
        }
        let epoch = self.epoch;
        let entry = self
            .progress
            .entry((record.topic.clone(), record.partition))
            .or_insert_with(|| Progress::new(epoch));
        entry.in_flight.insert(record.offset);
        self.pending.push_back((record, entry.epoch));
    }

    /// Closes the subscription (making its commits durable) and returns the first failure.
    async fn finish(self) -> Result<(), ConsumerError> {
        self.sub.close().await;
        self.failure.map_or(Ok(()), Err)
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
    async fn process<T: Transport>(&self, transport: &T, record: Record) -> Result<(), ConsumerError> {
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
    ) -> Result<(), ConsumerError> {
        match policy {
            Policy::Skip => {
                Metrics::bump(&self.metrics.skipped);
                tracing::warn!(%reason, "record skipped");
                Ok(())
            }
            Policy::Stop => Err(ConsumerError::Stopped {
                topic: record.topic,
                partition: record.partition,
                offset: record.offset,
                reason,
            }),
            Policy::DeadLetter => {
                let topic = dead_letter::topic(self.config.dead_letter_topic.as_deref(), &record.topic);
                match dead_letter::send(transport, &topic, &self.config.group, &record, &reason, attempts).await {
                    Ok(_) => {
                        Metrics::bump(&self.metrics.dead_lettered);
                        tracing::warn!(%reason, dead_letter_topic = %topic, "record dead-lettered");
                        Ok(())
                    }
                    Err(error) => Err(ConsumerError::DeadLetter {
                        topic: record.topic,
                        partition: record.partition,
                        offset: record.offset,
                        dead_letter_topic: topic,
                        error,
                        reason,
                    }),
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
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::{ConsumerError, Done, Progress, Run, UpcastError, PAUSE_AFTER, READ_AHEAD_PER_SLOT};
    use crate::metrics::Metrics;
    use crate::transport::{Record, Subscription, TransportError};

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

    /// What the loop asked of the subscription.
    #[derive(Debug, Clone, PartialEq)]
    enum Call {
        Pause,
        Resume,
        Commit(String, u32, u64),
        Close,
    }

    /// A subscription that records the calls made on it and reports the revocations it is given.
    #[derive(Default)]
    struct Fake {
        calls: Arc<Mutex<Vec<Call>>>,
        revoked: Vec<(String, u32)>,
        records: VecDeque<Result<Option<Record>, TransportError>>,
        fail_commit: bool,
        fail_pause: bool,
    }

    impl Fake {
        fn log(&self, call: Call) {
            self.calls.lock().expect("calls").push(call);
        }
    }

    impl Subscription for Fake {
        async fn next(&mut self) -> Result<Option<Record>, TransportError> {
            self.records.pop_front().unwrap_or(Ok(None))
        }

        async fn commit(&mut self, topic: &str, partition: u32, offset: u64) -> Result<(), TransportError> {
            if self.fail_commit {
                return Err(TransportError::Broker("commit refused".into()));
            }
            self.log(Call::Commit(topic.to_owned(), partition, offset));
            Ok(())
        }

        fn revoked(&mut self) -> Vec<(String, u32)> {
            std::mem::take(&mut self.revoked)
        }

        fn pause(&mut self) -> Result<(), TransportError> {
            if self.fail_pause {
                return Err(TransportError::Broker("pause refused".into()));
            }
            self.log(Call::Pause);
            Ok(())
        }

        fn resume(&mut self) -> Result<(), TransportError> {
            self.log(Call::Resume);
            Ok(())
        }

        fn assignment(&self) -> Vec<(String, u32)> {
            Vec::new()
        }

        async fn close(self) {
            self.log(Call::Close);
        }
    }

    fn record(partition: u32, offset: u64) -> Record {
        Record {
            topic: "t".into(),
            partition,
            offset,
            ..Record::default()
        }
    }

    fn done(partition: u32, offset: u64, epoch: u64) -> Done {
        Done {
            topic: "t".into(),
            partition,
            offset,
            epoch,
            result: Ok(()),
        }
    }

    fn stopped(offset: u64, reason: &str) -> ConsumerError {
        ConsumerError::Stopped {
            topic: "t".into(),
            partition: 0,
            offset,
            reason: reason.into(),
        }
    }

    /// A run of `concurrency` slots with the calls on its subscription.
    fn run(concurrency: usize) -> (Run<Fake>, Arc<Mutex<Vec<Call>>>) {
        let fake = Fake::default();
        let calls = Arc::clone(&fake.calls);
        (Run::new(fake, concurrency, Arc::new(Metrics::default())), calls)
    }

    fn calls(calls: &Arc<Mutex<Vec<Call>>>) -> Vec<Call> {
        std::mem::take(&mut *calls.lock().expect("calls"))
    }

    fn commit(partition: u32, offset: u64) -> Call {
        Call::Commit("t".into(), partition, offset)
    }

    /// Reads `offsets` of partition `partition` and starts what the slots allow; returns the
    /// (offset, epoch) of the records started.
    fn read_and_start(run: &mut Run<Fake>, partition: u32, offsets: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
        for offset in offsets {
            run.on_record(Ok(Some(record(partition, offset))));
        }
        let mut started = Vec::new();
        run.start_ready(|r, epoch| started.push((r.offset, epoch)));
        started
    }

    #[test]
    fn start_ready_fills_free_slots_oldest_first() {
        let (mut run, _) = run(2);
        assert_eq!(read_and_start(&mut run, 0, [10, 11, 12]), [(10, 0), (11, 0)]);
        assert_eq!((run.in_flight, run.pending.len()), (2, 1));
        // No slot free: nothing starts.
        assert_eq!(read_and_start(&mut run, 0, []), []);
        run.in_flight -= 1;
        assert_eq!(read_and_start(&mut run, 0, []), [(12, 0)]);
        assert!(run.pending.is_empty());
    }

    #[test]
    fn concurrency_zero_still_runs_one_record_at_a_time() {
        let (mut run, _) = run(0);
        assert_eq!(run.read_ahead, READ_AHEAD_PER_SLOT);
        assert_eq!(read_and_start(&mut run, 0, [0, 1]), [(0, 0)]);
    }

    #[tokio::test]
    async fn on_done_commits_only_contiguous_offsets() {
        let (mut run, calls_made) = run(4);
        read_and_start(&mut run, 0, [0, 1, 2]);
        read_and_start(&mut run, 1, [7]);
        run.on_done(done(0, 1, 0)).await;
        assert_eq!(calls(&calls_made), [], "offset 0 is still running");
        run.on_done(done(0, 0, 0)).await;
        assert_eq!(calls(&calls_made), [commit(0, 2)]);
        run.on_done(done(1, 7, 0)).await;
        run.on_done(done(0, 2, 0)).await;
        assert_eq!(calls(&calls_made), [commit(1, 8), commit(0, 3)]);
        assert_eq!(run.in_flight, 0);
        assert!(run.reading && run.failure.is_none());
    }

    #[tokio::test]
    async fn a_revoked_partitions_finished_record_is_not_committed() {
        let (mut run, calls_made) = run(4);
        assert_eq!(read_and_start(&mut run, 0, [0]), [(0, 0)]);
        read_and_start(&mut run, 1, [0]);
        run.sub.revoked = vec![("t".into(), 0)];
        run.on_done(done(0, 0, 0)).await;
        assert_eq!(calls(&calls_made), []);
        assert!(!run.progress.contains_key(&("t".into(), 0)));
        assert_eq!((run.epoch, Metrics::get(&run.metrics.revoked)), (1, 1));
        // Partition 1 kept its progress.
        run.on_done(done(1, 0, 0)).await;
        assert_eq!(calls(&calls_made), [commit(1, 1)]);
    }

    #[tokio::test]
    async fn a_record_of_an_earlier_assignment_does_not_commit_in_the_new_one() {
        let (mut run, calls_made) = run(4);
        assert_eq!(read_and_start(&mut run, 0, [5]), [(5, 0)]);
        // Revoked, then assigned again: offset 5 comes again, in epoch 1.
        run.sub.revoked = vec![("t".into(), 0)];
        assert_eq!(read_and_start(&mut run, 0, [5]), [(5, 1)]);
        run.on_done(done(0, 5, 0)).await;
        assert_eq!(
            calls(&calls_made),
            [],
            "the first read of 5 finished in an old assignment"
        );
        run.on_done(done(0, 5, 1)).await;
        assert_eq!(calls(&calls_made), [commit(0, 6)]);
    }

    #[test]
    fn forget_revoked_drops_the_partitions_pending_records_only() {
        let (mut run, _) = run(1);
        read_and_start(&mut run, 0, [0, 1, 2]);
        read_and_start(&mut run, 1, [0, 1]);
        assert_eq!(run.pending.len(), 4);
        run.sub.revoked = vec![("t".into(), 0)];
        run.forget_revoked();
        let left: Vec<_> = run.pending.iter().map(|(r, _)| (r.partition, r.offset)).collect();
        assert_eq!(left, [(1, 0), (1, 1)]);
        // Reported once: a second call changes nothing.
        run.forget_revoked();
        assert_eq!((run.epoch, run.pending.len()), (1, 2));
    }

    /// A run of one slot with that slot busy and its read-ahead full.
    fn full_run() -> (Run<Fake>, Arc<Mutex<Vec<Call>>>) {
        let (mut run, calls_made) = run(1);
        let offsets = 0..=READ_AHEAD_PER_SLOT as u64;
        assert_eq!(read_and_start(&mut run, 0, offsets), [(0, 0)]);
        assert_eq!(run.pending.len(), run.read_ahead);
        (run, calls_made)
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_read_ahead_pauses_after_pause_after() {
        let (mut run, calls_made) = full_run();
        run.backpressure();
        assert!(run.full_since.is_some() && !run.paused);
        assert!(run.waiting_to_pause());
        assert!(!run.wants_next(), "full and not paused: nothing more is taken");
        assert_eq!(run.pause_deadline(), tokio::time::Instant::now() + PAUSE_AFTER);
        tokio::time::advance(PAUSE_AFTER - Duration::from_millis(1)).await;
        run.backpressure();
        assert_eq!(calls(&calls_made), [], "not full long enough");
        tokio::time::advance(Duration::from_millis(1)).await;
        run.backpressure();
        assert_eq!(calls(&calls_made), [Call::Pause]);
        assert!(run.paused && !run.waiting_to_pause());
        assert!(run.wants_next(), "paused, the subscription is still polled");
        assert_eq!(Metrics::get(&run.metrics.paused), 1);
        // Still full: no second pause.
        run.backpressure();
        assert_eq!(calls(&calls_made), []);
    }

    #[tokio::test(start_paused = true)]
    async fn read_ahead_full_for_a_moment_does_not_pause() {
        let (mut run, calls_made) = full_run();
        run.backpressure();
        tokio::time::advance(PAUSE_AFTER / 2).await;
        // A record finishes and the next starts: room again.
        run.on_done(done(0, 0, 0)).await;
        read_and_start(&mut run, 0, []);
        run.backpressure();
        assert!(run.full_since.is_none() && run.wants_next());
        tokio::time::advance(PAUSE_AFTER).await;
        run.backpressure();
        assert_eq!(calls(&calls_made), [commit(0, 1)], "committed, never paused");
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_subscription_resumes_once_a_record_starts() {
        let (mut run, calls_made) = full_run();
        run.backpressure();
        tokio::time::advance(PAUSE_AFTER).await;
        run.backpressure();
        assert_eq!(calls(&calls_made), [Call::Pause]);
        // A record read before the pause still arrives and is taken.
        run.on_record(Ok(Some(record(0, 99))));
        assert_eq!(run.pending.len(), run.read_ahead + 1);
        run.backpressure();
        assert_eq!(calls(&calls_made), [], "still full");
        run.on_done(done(0, 0, 0)).await;
        assert_eq!(read_and_start(&mut run, 0, []), [(1, 0)]);
        run.backpressure();
        assert_eq!(
            calls(&calls_made),
            [commit(0, 1)],
            "one start is not enough: 32 still wait"
        );
        run.on_done(done(0, 1, 0)).await;
        assert_eq!(read_and_start(&mut run, 0, []), [(2, 0)]);
        run.backpressure();
        assert_eq!(calls(&calls_made), [commit(0, 2), Call::Resume]);
        assert!(!run.paused && run.full_since.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_pause_stops_reading() {
        let (mut run, _) = full_run();
        run.sub.fail_pause = true;
        run.backpressure();
        tokio::time::advance(PAUSE_AFTER).await;
        run.backpressure();
        assert!(!run.reading && !run.paused);
        let failure = run.failure.as_ref().map(ToString::to_string);
        assert_eq!(
            failure.as_deref(),
            Some("cannot pause or resume the subscription: broker error: pause refused")
        );
        assert!(matches!(
            run.failure,
            Some(ConsumerError::PauseResume(TransportError::Broker(_)))
        ));
    }

    #[test]
    fn drain_drops_pending_records_and_pauses_once() {
        let (mut run, calls_made) = run(1);
        read_and_start(&mut run, 0, [0, 1, 2]);
        run.reading = false;
        run.drain();
        assert!(run.pending.is_empty() && run.paused);
        run.drain();
        assert_eq!(calls(&calls_made), [Call::Pause]);
        // Still polled while the running record finishes, but what comes is not taken.
        assert!(run.wants_next());
        run.on_record(Ok(Some(record(0, 3))));
        assert!(run.pending.is_empty());
        assert_eq!(run.progress.get(&("t".into(), 0)).map(|p| p.in_flight.len()), Some(3));
    }

    #[test]
    fn drain_after_the_subscription_ended_does_not_pause() {
        let (mut run, calls_made) = run(1);
        run.on_record(Ok(None));
        assert!(!run.reading && !run.polling && !run.wants_next());
        run.drain();
        assert_eq!(calls(&calls_made), []);
    }

    #[tokio::test]
    async fn a_failure_stops_reading_lets_running_records_finish_and_is_returned() {
        let (mut run, calls_made) = run(4);
        read_and_start(&mut run, 0, [0, 1]);
        read_and_start(&mut run, 1, [0]);
        let mut failed = done(0, 0, 0);
        failed.result = Err(stopped(0, "bad"));
        run.on_done(failed).await;
        assert!(!run.reading && run.polling);
        assert_eq!(run.in_flight, 2, "the others still run");
        // A later failure does not replace the first.
        let mut second = done(0, 1, 0);
        second.result = Err(stopped(1, "second"));
        run.on_done(second).await;
        // A record finishing on another partition is still committed.
        run.on_done(done(1, 0, 0)).await;
        assert_eq!(calls(&calls_made), [commit(1, 1)], "nothing of partition 0");
        assert_eq!(run.in_flight, 0);
        let result = run.finish().await;
        assert_eq!(result, Err(stopped(0, "bad")));
        assert_eq!(stopped(0, "bad").to_string(), "stopped at t/0@0: bad");
        assert_eq!(calls(&calls_made), [Call::Close]);
    }

    #[tokio::test]
    async fn a_failed_commit_stops_reading() {
        let (mut run, _) = run(1);
        read_and_start(&mut run, 0, [0]);
        run.sub.fail_commit = true;
        run.on_done(done(0, 0, 0)).await;
        assert!(!run.reading);
        let result = run.finish().await;
        assert_eq!(
            result.map_err(|e| e.to_string()),
            Err("commit failed: broker error: commit refused".to_owned())
        );
    }

    #[tokio::test]
    async fn a_subscription_error_stops_reading_and_polling() {
        let (mut reading, _) = run(1);
        reading.on_record(Err(TransportError::Closed));
        assert!(!reading.reading && !reading.polling);
        assert_eq!(
            reading.failure,
            Some(ConsumerError::Subscription(TransportError::Closed))
        );
        // While draining, an error only ends polling.
        let (mut draining, _) = run(1);
        draining.reading = false;
        draining.on_record(Err(TransportError::Closed));
        assert!(!draining.polling && draining.failure.is_none());
        assert_eq!(draining.finish().await, Ok(()));
    }

    #[tokio::test]
    async fn finish_closes_the_subscription() {
        let (run, calls_made) = run(1);
        assert_eq!(run.finish().await, Ok(()));
        assert_eq!(calls(&calls_made), [Call::Close]);
    }

    #[test]
    fn consumer_errors_read_as_before_and_name_their_cause() {
        use std::error::Error as _;
        let dead_letter = ConsumerError::DeadLetter {
            topic: "t".into(),
            partition: 2,
            offset: 9,
            dead_letter_topic: "t.dlq".into(),
            error: TransportError::Rejected("read-only".into()),
            reason: "handler failed".into(),
        };
        assert_eq!(
            dead_letter.to_string(),
            "cannot dead-letter t/2@9 to `t.dlq` (record rejected: read-only); it stays uncommitted: handler failed"
        );
        assert_eq!(
            dead_letter.source().map(ToString::to_string).as_deref(),
            Some("record rejected: read-only")
        );
        let subscribe = ConsumerError::Subscribe(TransportError::UnknownTopic("x".into()));
        assert_eq!(subscribe.to_string(), "cannot subscribe: unknown topic `x`");
        assert!(subscribe.source().is_some());
        assert!(stopped(0, "bad").source().is_none());
    }

    #[test]
    fn upcast_errors_come_from_text() {
        let from_string: UpcastError = format!("no field {}", 3).into();
        let from_str: UpcastError = "no field 3".into();
        assert_eq!(from_string, from_str);
        assert_eq!(UpcastError::msg(3).to_string(), "3");
    }
}
