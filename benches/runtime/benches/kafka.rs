//! Publish → consume → commit through herald's Kafka transport against bare rdkafka, in the same
//! run, against the same broker (`scripts/broker.sh start`: tansu on 127.0.0.1:9092, or
//! `HERALD_KAFKA_BOOTSTRAP`) with the same settings and records: 200-byte payload, 16-byte key,
//! the same `ce_*` headers (herald's `Envelope::to_headers`), 4 partitions.
//!
//! - herald: `herald_runtime::Publisher` (at-least-once, acks=all): saturated, `BATCHERS` tasks each
//!   sending batches of `BATCH` pre-built envelopes with `send_all` (every record handed to
//!   librdkafka, then every delivery awaited); paced, `PUBLISHERS` tasks each `send`ing one
//!   envelope at a time. `herald_runtime::Consumer` (default config) with a trivial `Dispatch`: offsets
//!   stored after success and committed in the background (`DEFAULT_COMMIT_INTERVAL`).
//! - bare: herald's producer settings (acks=all, idempotent, murmur2_random) and the same
//!   records. Saturated: a `ThreadedProducer` whose delivery callback counts down a per-batch
//!   counter, the same batches from the same number of tasks, each waiting for its batch's
//!   reports; paced: a `FutureProducer` awaiting each delivery. `StreamConsumer` storing each
//!   handled record's offset, committed by librdkafka in the background at the same interval
//!   (herald's commit policy).
//!
//! Three phases: saturated (`RECORDS` as fast as the publishers go) and paced (`PACED` at one per
//! millisecond, below the consumers' capacity, for latency without a backlog), each `ROUNDS`
//! times alternating which side goes first; then publishing alone (`RECORDS` in batches, no
//! consumer), the same way.
//!
//! Latency: nanoseconds since the run's start written in the payload's first 8 bytes just before
//! the send, read when the record is handled. Throughput: records over the time from the first
//! send to the last record handled (producer and consumer run together). Each side first waits
//! for its consumer to get a warm-up record, so the group join is not measured.
//!
//! Run: `cargo bench -p herald-runtime-bench --features kafka --bench kafka` (or `cargo xtask bench`).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_runtime::kafka::{KafkaConfig, KafkaTransport};
use herald_runtime::transport::{Headers, StartFrom};
use herald_runtime::{Consumer, ConsumerConfig, Metrics, Publisher, Reliability};
use herald_runtime::{Context, Dispatch, DispatchError, Envelope, Publish, Version};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, FutureProducer, FutureRecord, ProducerContext, ThreadedProducer};

const RECORDS: usize = 100_000;
/// Records of the paced run (latency below the consumer's capacity): one per millisecond.
const PACED: usize = 2_000;
const PARTITIONS: u32 = 4;
/// Rounds per phase, alternating which side runs first.
const ROUNDS: usize = 3;
/// Concurrent single-record publishers of the paced phase.
const PUBLISHERS: usize = 64;
/// Records per batch and concurrent batch publishers of the saturated phase.
const BATCH: usize = 1_000;
const BATCHERS: usize = 4;
const PAYLOAD: usize = 200;
const EVENT_TYPE: &str = "bench.Happened";

type RawHeaders = Headers;

fn bootstrap() -> String {
    std::env::var("HERALD_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// The settings both sides use (see runtime/tests/kafka.rs: tansu answers a waiting fetch only at
/// `fetch.wait.max.ms` steps, and joins a group in about half the session timeout).
const SETTINGS: &[(&str, &str)] = &[
    ("fetch.wait.max.ms", "10"),
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "500"),
];

fn key(i: usize) -> String {
    let k = format!("key-{:012}", i % 1000);
    assert_eq!(k.len(), 16);
    k
}

fn envelope(i: usize) -> Envelope {
    Envelope {
        id: format!("id-{i:08}"),
        source: "herald/benches/kafka".into(),
        event_type: EVENT_TYPE.into(),
        spec_version: "1.0".into(),
        time: None,
        data_content_type: Some("application/octet-stream".into()),
        data_schema: None,
        subject: None,
        version: Version::new(1, 0),
        partition_key: Some(key(i)),
        correlation_id: None,
        causation_id: None,
        traceparent: None,
        data: vec![7u8; PAYLOAD],
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn stamp(data: &mut [u8], start: Instant) {
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    data[..8].copy_from_slice(&nanos.to_le_bytes());
}

fn stamped(data: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[..8]);
    u64::from_le_bytes(b)
}

/// Latencies (ns) of the measured records and when the last one was handled.
#[derive(Default)]
struct Seen {
    latencies: Vec<u64>,
    last: Option<Instant>,
}

struct Result {
    name: &'static str,
    records_per_sec: f64,
    publish_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn summarize(name: &'static str, seen: &Seen, first: Instant, published: Instant, count: usize) -> Result {
    let mut l = seen.latencies.clone();
    l.sort_unstable();
    assert_eq!(l.len(), count, "{name}: every record handled once");
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)] as f64 / 1e6;
    let total = seen.last.expect("records handled").duration_since(first).as_secs_f64();
    Result {
        name,
        records_per_sec: count as f64 / total,
        publish_per_sec: count as f64 / published.duration_since(first).as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

/// A bare batch's outstanding deliveries.
struct Pending {
    remaining: AtomicUsize,
    failed: AtomicUsize,
    done: tokio::sync::Notify,
}

/// Counts each delivery report down on the batch its record came from.
struct Counting;

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = Arc<Pending>;

    fn delivery(&self, report: &DeliveryResult<'_>, pending: Arc<Pending>) {
        if report.is_err() {
            pending.failed.fetch_add(1, Ordering::AcqRel);
        }
        if pending.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            pending.done.notify_one();
        }
    }
}

/// Records the latency of each measured record (the warm-up record, id `warmup`, only counts).
#[derive(Clone)]
struct Trivial {
    start: Instant,
    seen: Arc<Mutex<Seen>>,
    warm: Arc<std::sync::atomic::AtomicBool>,
}

impl Dispatch for Trivial {
    fn event_types(&self) -> &'static [&'static str] {
        &[EVENT_TYPE]
    }

    async fn dispatch(&self, ctx: &Context) -> std::result::Result<(), DispatchError> {
        if ctx.id() == "warmup" {
            self.warm.store(true, std::sync::atomic::Ordering::SeqCst);
            return Ok(());
        }
        let now = self.start.elapsed().as_nanos() as u64;
        let mut seen = self.seen.lock().expect("lock");
        seen.latencies.push(now.saturating_sub(stamped(ctx.data())));
        seen.last = Some(Instant::now());
        Ok(())
    }
}

/// Paced: each of the `PUBLISHERS` tasks sends one record every `PUBLISHERS` ms, staggered by
/// its index, so that together they send one record per millisecond.
async fn paced_tick(index: usize) -> tokio::time::Interval {
    tokio::time::sleep(Duration::from_millis(index as u64)).await;
    let mut tick = tokio::time::interval(Duration::from_millis(PUBLISHERS as u64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// Records `0..count` dealt round-robin to the `PUBLISHERS` paced tasks.
fn paced_shares<T>(count: usize, make: impl Fn(usize) -> T) -> Vec<Vec<T>> {
    let mut shares: Vec<Vec<T>> = (0..PUBLISHERS).map(|_| Vec::new()).collect();
    for i in 0..count {
        shares[i % PUBLISHERS].push(make(i));
    }
    shares
}

/// Records `0..count` in batches of `BATCH`, the batches dealt round-robin to `BATCHERS` tasks
/// (each sends a batch, waits for its deliveries, sends the next).
fn batch_shares<T>(count: usize, make: impl Fn(usize) -> T) -> Vec<Vec<Vec<T>>> {
    let mut shares: Vec<Vec<Vec<T>>> = (0..BATCHERS).map(|_| Vec::new()).collect();
    for (n, start) in (0..count).step_by(BATCH).enumerate() {
        shares[n % BATCHERS].push((start..(start + BATCH).min(count)).map(&make).collect());
    }
    shares
}

/// One task per share, each sending its items in order with `send` (paced: each at its task's
/// tick, see `paced_tick`); returns once every task is done.
async fn send_in_tasks<T, F, Fut>(shares: Vec<Vec<T>>, paced: bool, send: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(j, share)| {
            let send = send.clone();
            tokio::spawn(async move {
                let mut tick = if paced { Some(paced_tick(j).await) } else { None };
                for item in share {
                    if let Some(t) = tick.as_mut() {
                        t.tick().await;
                    }
                    send(item).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("publisher task");
    }
}

/// A measured topic with `PARTITIONS` partitions, created through herald's admin call on both
/// sides so that they are alike.
async fn bench_topic(name: String) -> String {
    KafkaTransport::new(kafka_config())
        .expect("transport")
        .create_topic(&name, PARTITIONS, 1)
        .await
        .expect("create topic");
    name
}

/// Waits until the consumer has handled the warm-up record.
async fn warmed_up(warm: &std::sync::atomic::AtomicBool) {
    while !warm.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The figures of a side, once its consumer is done; the topic is deleted.
async fn finish(
    name: &'static str,
    seen: &Mutex<Seen>,
    first: Instant,
    published: Instant,
    count: usize,
    topic: &str,
) -> Result {
    let result = {
        let seen = seen.lock().expect("lock");
        summarize(name, &seen, first, published, count)
    };
    delete_topic(topic).await;
    result
}

/// The same records with their headers built beforehand (a bare client would not build them per
/// send).
fn prepared(i: usize) -> (Envelope, RawHeaders) {
    let e = envelope(i);
    let h = e.to_headers();
    (e, h)
}

/// rdkafka headers from herald's.
fn owned_headers(headers: &Headers) -> OwnedHeaders {
    headers
        .iter()
        .fold(OwnedHeaders::new_with_capacity(headers.len()), |owned, (name, v)| {
            owned.insert(Header {
                key: name,
                value: Some(v),
            })
        })
}

fn kafka_config() -> KafkaConfig {
    SETTINGS
        .iter()
        .fold(KafkaConfig::new(&bootstrap()), |c, (k, v)| c.set(k, v))
}

async fn herald(start: Instant, run: &str, paced: bool) -> Result {
    let count = if paced { PACED } else { RECORDS };
    let transport = KafkaTransport::new(kafka_config()).expect("transport");
    let topic = bench_topic(format!("bench-herald-{run}-{paced}")).await;
    let publisher = Arc::new(Publisher::new(
        transport.clone(),
        Reliability::AtLeastOnce { retries: 2 },
    ));

    let seen = Arc::new(Mutex::new(Seen::default()));
    let warm = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dispatcher = Trivial {
        start,
        seen: Arc::clone(&seen),
        warm: Arc::clone(&warm),
    };
    let mut config = ConsumerConfig::new(format!("bench-herald-{run}-{paced}"), [topic.clone()]);
    config.start = StartFrom::Earliest;
    let consumer = Consumer::new(transport.clone(), dispatcher, config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        while Metrics::get(&m.handled) < count as u64 + 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let running = tokio::spawn(consumer.run(stop));

    // Warm-up: the group join and first fetch are not measured.
    let mut w = envelope(0);
    w.id = "warmup".into();
    publisher.send(&topic, w).await.expect("publish warm-up");
    warmed_up(&warm).await;

    // The records, built beforehand as on the bare side.
    let first;
    if paced {
        let shares = paced_shares(count, envelope);
        first = Instant::now();
        let (publisher, topic) = (Arc::clone(&publisher), topic.clone());
        send_in_tasks(shares, true, move |mut e: Envelope| {
            let (publisher, topic) = (Arc::clone(&publisher), topic.clone());
            async move {
                stamp(&mut e.data, start);
                publisher.send(&topic, e).await.expect("publish");
            }
        })
        .await;
    } else {
        let shares = batch_shares(count, envelope);
        first = Instant::now();
        let (publisher, topic) = (Arc::clone(&publisher), topic.clone());
        send_in_tasks(shares, false, move |mut batch: Vec<Envelope>| {
            let (publisher, topic) = (Arc::clone(&publisher), topic.clone());
            async move {
                for e in &mut batch {
                    stamp(&mut e.data, start);
                }
                publisher.send_all(&topic, batch).await.expect("publish batch");
            }
        })
        .await;
    }
    let published = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), running)
        .await
        .expect("herald consumer in time")
        .expect("consumer task")
        .expect("clean run");
    finish("herald", &seen, first, published, count, &topic).await
}

async fn bare(start: Instant, run: &str, paced: bool) -> Result {
    let count = if paced { PACED } else { RECORDS };
    let bootstrap = bootstrap();
    let topic = bench_topic(format!("bench-bare-{run}-{paced}")).await;

    let producer_config = bare_producer_config();
    let producer: FutureProducer = producer_config.create().expect("producer");
    let producer = Arc::new(producer);

    let mut consumer_config = ClientConfig::new();
    consumer_config
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", format!("bench-bare-{run}-{paced}"))
        // herald's commit policy: offsets stored after each record is handled, committed by
        // librdkafka in the background (herald's default interval).
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set(
            "auto.commit.interval.ms",
            herald_runtime::kafka::DEFAULT_COMMIT_INTERVAL.as_millis().to_string(),
        )
        .set("auto.offset.reset", "earliest");
    for (k, v) in SETTINGS {
        consumer_config.set(*k, *v);
    }
    let consumer: StreamConsumer = consumer_config.create().expect("consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribe");

    let seen = Arc::new(Mutex::new(Seen::default()));
    let warm = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consuming = {
        let seen = Arc::clone(&seen);
        let warm = Arc::clone(&warm);
        tokio::spawn(async move {
            let mut handled = 0;
            while handled < count {
                let m = consumer.recv().await.expect("consume");
                let id = m
                    .headers()
                    .and_then(|hs| hs.iter().find(|h| h.key == "ce_id").and_then(|h| h.value))
                    .unwrap_or_default();
                if id == b"warmup" {
                    warm.store(true, std::sync::atomic::Ordering::SeqCst);
                } else {
                    let now = start.elapsed().as_nanos() as u64;
                    let lat = now.saturating_sub(stamped(m.payload().expect("payload")));
                    {
                        let mut s = seen.lock().expect("lock");
                        s.latencies.push(lat);
                        s.last = Some(Instant::now());
                    }
                    handled += 1;
                }
                consumer.store_offset_from_message(&m).expect("store offset");
            }
        })
    };

    let send = |producer: Arc<FutureProducer>, topic: String, e: Envelope, headers: RawHeaders| async move {
        let key = e.partition_key.as_deref().unwrap_or_default().as_bytes();
        let record = FutureRecord::to(&topic)
            .payload(e.data.as_slice())
            .key(key)
            .headers(owned_headers(&headers));
        producer.send(record, Duration::from_secs(5)).await.map_err(|(e, _)| e)
    };

    let mut w = envelope(0);
    w.id = "warmup".into();
    let h = w.to_headers();
    send(Arc::clone(&producer), topic.clone(), w, h)
        .await
        .expect("publish warm-up");
    warmed_up(&warm).await;

    let first;
    if paced {
        let shares = paced_shares(count, prepared);
        first = Instant::now();
        let (producer, topic) = (Arc::clone(&producer), topic.clone());
        send_in_tasks(shares, true, move |(mut e, h): (Envelope, RawHeaders)| {
            let (producer, topic) = (Arc::clone(&producer), topic.clone());
            async move {
                stamp(&mut e.data, start);
                send(producer, topic, e, h).await.expect("publish");
            }
        })
        .await;
    } else {
        // Batches through a `ThreadedProducer` whose delivery callback counts down the batch
        // (one shared counter per batch, no channel per record): what a bare client does to
        // publish fast and still know every record was delivered.
        let batch_producer: Arc<ThreadedProducer<Counting>> =
            Arc::new(producer_config.create_with_context(Counting).expect("batch producer"));
        let shares = batch_shares(count, prepared);
        first = Instant::now();
        let topic = topic.clone();
        send_in_tasks(shares, false, move |batch| {
            let (producer, topic) = (Arc::clone(&batch_producer), topic.clone());
            async move { bare_batch(&producer, &topic, batch, Some(start)).await }
        })
        .await;
    }
    let published = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), consuming)
        .await
        .expect("bare consumer in time")
        .expect("consumer task");
    finish("bare rdkafka", &seen, first, published, count, &topic).await
}

/// Publishing alone (no consumer): herald's `send_all` against the bare batch producer, the same
/// batches from the same tasks. Records per second from the first send to the last delivery.
async fn publish_only(run: &str, herald_side: bool) -> f64 {
    let side = if herald_side { "herald" } else { "bare" };
    let topic = bench_topic(format!("bench-publish-{side}-{run}")).await;
    let first;
    if herald_side {
        let transport = KafkaTransport::new(kafka_config()).expect("transport");
        let publisher = Arc::new(Publisher::new(transport, Reliability::AtLeastOnce { retries: 2 }));
        // Connected before the clock starts.
        publisher.send(&topic, envelope(0)).await.expect("publish warm-up");
        let shares = batch_shares(RECORDS, envelope);
        first = Instant::now();
        let topic = topic.clone();
        send_in_tasks(shares, false, move |batch| {
            let (publisher, topic) = (Arc::clone(&publisher), topic.clone());
            async move { publisher.send_all(&topic, batch).await.expect("publish batch") }
        })
        .await;
    } else {
        let producer: Arc<ThreadedProducer<Counting>> = Arc::new(
            bare_producer_config()
                .create_with_context(Counting)
                .expect("batch producer"),
        );
        bare_batch(&producer, &topic, vec![prepared(0)], None).await;
        let shares = batch_shares(RECORDS, prepared);
        first = Instant::now();
        let topic = topic.clone();
        send_in_tasks(shares, false, move |batch| {
            let (producer, topic) = (Arc::clone(&producer), topic.clone());
            async move { bare_batch(&producer, &topic, batch, None).await }
        })
        .await;
    }
    let rate = RECORDS as f64 / first.elapsed().as_secs_f64();
    delete_topic(&topic).await;
    rate
}

/// Deletes a measured topic, so that later rounds do not meet a broker holding the earlier
/// rounds' records.
async fn delete_topic(topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin client");
    let results = admin
        .delete_topics(
            &[topic],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("delete topic");
    for r in results {
        r.map_err(|(t, e)| format!("{t}: {e}")).expect("topic deleted");
    }
}

/// herald's producer settings for acks=all: idempotent, Java-compatible partitioner.
fn bare_producer_config() -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap())
        .set("partitioner", "murmur2_random")
        .set("acks", "all")
        .set("enable.idempotence", "true");
    for (k, v) in SETTINGS {
        config.set(*k, *v);
    }
    config
}

/// One bare batch: every record handed to the producer, then its delivery reports awaited (the
/// delivery callback counts the batch down). `stamp_from` writes the send time into each payload.
async fn bare_batch(
    producer: &ThreadedProducer<Counting>,
    topic: &str,
    batch: Vec<(Envelope, RawHeaders)>,
    stamp_from: Option<Instant>,
) {
    let pending = Arc::new(Pending {
        remaining: AtomicUsize::new(batch.len()),
        failed: AtomicUsize::new(0),
        done: tokio::sync::Notify::new(),
    });
    for (mut e, headers) in batch {
        if let Some(start) = stamp_from {
            stamp(&mut e.data, start);
        }
        let key = e.partition_key.as_deref().unwrap_or_default().as_bytes();
        let mut record = BaseRecord::with_opaque_to(topic, Arc::clone(&pending))
            .payload(e.data.as_slice())
            .key(key)
            .headers(owned_headers(&headers));
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => panic!("bare send: {e}"),
            }
        }
    }
    while pending.remaining.load(Ordering::Acquire) > 0 {
        pending.done.notified().await;
    }
    assert_eq!(pending.failed.load(Ordering::Acquire), 0, "bare deliveries failed");
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let start = Instant::now();
    let run = format!("{}", std::process::id());
    println!(
        "Kafka publish → consume → commit at {}: {RECORDS} records, {PAYLOAD}-byte payload, 16-byte key, {PARTITIONS} partitions, {PUBLISHERS} concurrent publishers",
        bootstrap()
    );
    for paced in [false, true] {
        if paced {
            println!("\npaced: {PACED} records at 1 per ms (below the consumer's capacity: latency without backlog)");
        } else {
            println!("\nsaturated: {RECORDS} records as fast as the publishers go");
        }
        println!("| round | client | end to end (records/s) | publish (records/s) | p50 latency | p99 latency |");
        println!("|---|---|---:|---:|---:|---:|");
        let mut ratios = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            // Alternating which side goes first, so that neither always meets a warmer broker.
            let (b, h) = runtime.block_on(async {
                let tag = format!("{run}-{round}");
                if round % 2 == 0 {
                    let b = bare(start, &tag, paced).await;
                    (b, herald(start, &tag, paced).await)
                } else {
                    let h = herald(start, &tag, paced).await;
                    (bare(start, &tag, paced).await, h)
                }
            });
            for r in [&b, &h] {
                println!(
                    "| {} | {} | {:.0} | {:.0} | {:.1} ms | {:.1} ms |",
                    round + 1,
                    r.name,
                    r.records_per_sec,
                    r.publish_per_sec,
                    r.p50_ms,
                    r.p99_ms
                );
            }
            ratios.0.push(h.records_per_sec / b.records_per_sec);
            ratios.1.push(h.publish_per_sec / b.publish_per_sec);
            ratios.2.push(h.p50_ms / b.p50_ms);
            ratios.3.push(h.p99_ms / b.p99_ms);
        }
        println!(
            "herald / bare, median of {ROUNDS} rounds: end-to-end throughput {:.2}, publish rate {:.2}, p50 latency {:.2}, p99 latency {:.2}",
            median(ratios.0),
            median(ratios.1),
            median(ratios.2),
            median(ratios.3)
        );
    }
    println!("\npublish only: {RECORDS} records in batches of {BATCH} from {BATCHERS} tasks, no consumer");
    println!("| round | bare rdkafka (records/s) | herald (records/s) | herald / bare |");
    println!("|---|---:|---:|---:|");
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let tag = format!("{run}-{round}");
        let (b, h) = runtime.block_on(async {
            if round % 2 == 0 {
                let b = publish_only(&tag, false).await;
                (b, publish_only(&tag, true).await)
            } else {
                let h = publish_only(&tag, true).await;
                (publish_only(&tag, false).await, h)
            }
        });
        println!("| {} | {b:.0} | {h:.0} | {:.2} |", round + 1, h / b);
        ratios.push(h / b);
    }
    println!(
        "herald / bare, median of {ROUNDS} rounds: publish rate {:.2}",
        median(ratios)
    );
}
