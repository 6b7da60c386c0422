//! The Kafka transport against a real broker (`scripts/broker.sh start` runs tansu on
//! 127.0.0.1:9092; `HERALD_KAFKA_BOOTSTRAP` points elsewhere). Without a broker they fail: they
//! never pass by skipping.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_runtime::cloudevents::headers;
use herald_runtime::kafka::{KafkaConfig, KafkaTransport};
use herald_runtime::transport::{partition_for, Acks, Headers, StartFrom, Subscription, Transport, TransportError};
use herald_runtime::{dead_letter, Consumer, ConsumerConfig, Metrics, PublishError, Publisher, Reliability};
use herald_runtime::{Context, Dispatch, DispatchError, Envelope, HandlerError, Publish, Version};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{Headers as _, Message};
use rdkafka::{Offset, TopicPartitionList};

#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

fn bootstrap() -> String {
    std::env::var("HERALD_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// The broker's settings; panics when no broker listens.
fn broker() -> KafkaConfig {
    let bootstrap = bootstrap();
    support::require_broker(
        &bootstrap,
        "HERALD_KAFKA_BOOTSTRAP",
        "`cargo xtask peers && bash scripts/broker.sh start`",
    );
    // tansu answers a waiting fetch only at `fetch.wait.max.ms` steps: keep it low. Its group
    // join takes about half the session timeout (23 s at librdkafka's default 45 s, 3 s at 6 s).
    KafkaConfig::new(&bootstrap)
        .set("fetch.wait.max.ms", "10")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
}

fn unique(prefix: &str) -> String {
    format!("herald-{prefix}-{}", uuid::Uuid::new_v4())
}

/// A transport on the test broker and a new topic with `partitions` partitions.
async fn fresh_topic(prefix: &str, partitions: u32) -> (KafkaTransport, String) {
    let transport = KafkaTransport::new(broker()).expect("transport");
    let topic = unique(prefix);
    transport
        .create_topic(&topic, partitions, 1)
        .await
        .expect("create topic");
    (transport, topic)
}

fn envelope(key: &str, payload: &str) -> Envelope {
    let id = format!("id-{}", uuid::Uuid::new_v4());
    Envelope {
        subject: Some(format!("subject-{key}")),
        version: Version::new(1, 2),
        correlation_id: Some("corr-1".into()),
        ..support::text_envelope(id, "herald/tests/kafka", key, payload)
    }
}

/// Records what it handles: (key, payload, id).
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Dispatch for Recorder {
    fn event_types(&self) -> &'static [&'static str] {
        &["test.Happened"]
    }

    async fn dispatch(&self, ctx: &Context) -> Result<(), DispatchError> {
        if ctx.event_type() != "test.Happened" {
            return Err(DispatchError::UnknownType {
                event_type: ctx.event_type().to_owned(),
            });
        }
        self.seen.lock().expect("lock").push((
            ctx.partition_key().unwrap_or_default().to_owned(),
            String::from_utf8_lossy(ctx.data()).into_owned(),
            ctx.id().to_owned(),
        ));
        Ok(())
    }
}

/// Every record of `topic` read with a plain rdkafka consumer (no group, no herald).
fn read_raw(bootstrap: &str, topic: &str, partitions: u32, expected: usize) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        // librdkafka wants a group id even for assign(); nothing is committed to it.
        .set("group.id", unique("raw"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("plain consumer");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p as i32, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&list).expect("assign");
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while out.len() < expected && Instant::now() < deadline {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            out.push(message.expect("plain consume").detach());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_with_cloudevents_headers_and_commits() {
    let (transport, topic) = fresh_topic("round-trip", 3).await;

    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let mut sent = Vec::new();
    for i in 0..20 {
        let e = envelope(&format!("k{}", i % 5), &format!("payload-{i}"));
        sent.push(e.clone());
        publisher.send(&topic, e).await.expect("publish");
    }

    let group = unique("group");
    let mut consumer_config = ConsumerConfig::new(group.clone(), [topic.clone()]);
    consumer_config.start = StartFrom::Earliest;
    let recorder = Recorder::default();
    let consumer = Consumer::new(transport.clone(), recorder.clone(), consumer_config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        while Metrics::get(&m.handled) < 20 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(90), consumer.run(stop))
        .await
        .expect("consumer handles every event in time")
        .expect("clean run");

    // Every event handled once, in publish order per key.
    let seen = recorder.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 20, "{seen:?}");
    for key in ["k0", "k1", "k2", "k3", "k4"] {
        let got: Vec<&str> = seen.iter().filter(|s| s.0 == key).map(|s| s.1.as_str()).collect();
        let want: Vec<String> = sent
            .iter()
            .filter(|e| e.partition_key.as_deref() == Some(key))
            .map(|e| String::from_utf8_lossy(&e.data).into_owned())
            .collect();
        assert_eq!(got, want, "order of key {key}");
    }

    // The group committed everything it handled.
    let bootstrap = bootstrap();
    let committed = {
        let probe: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .create()
            .expect("probe consumer");
        let mut list = TopicPartitionList::new();
        for p in 0..3 {
            list.add_partition(&topic, p);
        }
        let offsets = probe
            .committed_offsets(list, Duration::from_secs(10))
            .expect("committed offsets");
        offsets
            .elements()
            .iter()
            .map(|e| match e.offset() {
                Offset::Offset(o) => o,
                _ => 0,
            })
            .sum::<i64>()
    };
    assert_eq!(committed, 20, "committed offsets of group {group}");

    // The raw records follow the CloudEvents Kafka binding (binary mode), read by a plain client.
    let raw = read_raw(&bootstrap, &topic, 3, 20);
    assert_eq!(raw.len(), 20);
    let by_id: HashMap<&str, &Envelope> = sent.iter().map(|e| (e.id.as_str(), e)).collect();
    for record in &raw {
        let mut hs: BTreeMap<String, String> = BTreeMap::new();
        if let Some(h) = record.headers() {
            for header in h.iter() {
                hs.insert(
                    header.key.to_owned(),
                    String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned(),
                );
            }
        }
        let id = hs.get(headers::ID).expect("ce_id").clone();
        let e = by_id.get(id.as_str()).expect("a sent id");
        assert_eq!(hs.get(headers::SPEC_VERSION).map(String::as_str), Some("1.0"));
        assert_eq!(hs.get(headers::TYPE).map(String::as_str), Some("test.Happened"));
        assert_eq!(hs.get(headers::SOURCE).map(String::as_str), Some("herald/tests/kafka"));
        assert_eq!(hs.get(headers::CONTENT_TYPE).map(String::as_str), Some("text/plain"));
        assert_eq!(hs.get(headers::SUBJECT), e.subject.as_ref());
        assert_eq!(hs.get(headers::PARTITION_KEY), e.partition_key.as_ref());
        assert_eq!(hs.get(headers::CORRELATION_ID).map(String::as_str), Some("corr-1"));
        assert_eq!(hs.get(headers::VERSION).map(String::as_str), Some("1.2"));
        let time = hs.get(headers::TIME).expect("ce_time");
        chrono::DateTime::parse_from_rfc3339(time).expect("ce_time is RFC 3339");
        assert!(!hs.contains_key("ce_data"), "binary mode: the payload is the value");
        assert_eq!(record.key(), e.partition_key.as_ref().map(|k| k.as_bytes()));
        assert_eq!(record.payload(), Some(e.data.as_slice()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_land_on_the_java_default_partition() {
    let partitions = 6;
    let (transport, topic) = fresh_topic("partitioning", partitions).await;
    let mut used = std::collections::BTreeSet::new();
    for i in 0..60 {
        let key = format!("user-{i}");
        for acks in [Acks::All, Acks::Leader] {
            let delivery = transport
                .send(&topic, Some(key.as_bytes()), Headers::new(), b"x".to_vec(), acks)
                .await
                .expect("send");
            assert_eq!(
                delivery.partition,
                partition_for(key.as_bytes(), partitions),
                "key {key} with {acks:?}"
            );
            used.insert(delivery.partition);
        }
    }
    assert!(used.len() > 1, "keys spread over partitions: {used:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_groups_each_receive_every_event() {
    let (transport, topic) = fresh_topic("pubsub", 2).await;
    let total = 30;
    for i in 0..total {
        let key = format!("k{}", i % 7);
        transport
            .send(
                &topic,
                Some(key.as_bytes()),
                Headers::new(),
                format!("{i}").into_bytes(),
                Acks::All,
            )
            .await
            .expect("send");
    }
    let topics = vec![topic.clone()];
    // Both groups are members at the same time.
    let billing = transport
        .subscribe(&unique("billing"), &topics, StartFrom::Earliest)
        .await
        .expect("subscribe billing");
    let audit = transport
        .subscribe(&unique("audit"), &topics, StartFrom::Earliest)
        .await
        .expect("subscribe audit");
    let (first, second) = tokio::join!(drain(billing, &topic, total), drain(audit, &topic, total));
    let received = [first, second];
    let want: Vec<String> = (0..total).map(|i| i.to_string()).collect();
    assert_eq!(received[0], want, "first group");
    assert_eq!(received[1], want, "second group");
}

/// Reads `total` records from a subscription (committing each), then closes it; sorted values.
async fn drain(mut sub: impl Subscription, topic: &str, total: usize) -> Vec<String> {
    let mut values = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while values.len() < total && Instant::now() < deadline {
        if let Ok(next) = tokio::time::timeout(Duration::from_secs(1), sub.next()).await {
            let record = next.expect("next").expect("open");
            assert_eq!(record.topic, topic);
            sub.commit(&record.topic, record.partition, record.offset + 1)
                .await
                .expect("commit");
            values.push(String::from_utf8_lossy(&record.value).into_owned());
        }
    }
    assert!(!sub.assignment().is_empty(), "the group has partitions");
    sub.close().await;
    values.sort_by_key(|v| v.parse::<u32>().unwrap_or(u32::MAX));
    values
}

/// Fails every attempt at a record whose payload is `poison`; records the others.
#[derive(Clone, Default)]
struct PoisonAware {
    inner: Recorder,
}

impl Dispatch for PoisonAware {
    fn event_types(&self) -> &'static [&'static str] {
        &["test.Happened"]
    }

    async fn dispatch(&self, ctx: &Context) -> Result<(), DispatchError> {
        if ctx.data() == b"poison" {
            return Err(DispatchError::Handler {
                event_type: ctx.event_type().to_owned(),
                error: HandlerError::msg("poisoned"),
            });
        }
        self.inner.dispatch(ctx).await
    }
}

/// The group's committed offset per partition of `topic` (0 when none).
fn committed_offsets(group: &str, topic: &str, partitions: u32) -> Vec<i64> {
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("probe consumer");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p as i32);
    }
    let offsets = probe
        .committed_offsets(list, Duration::from_secs(10))
        .expect("committed offsets");
    let mut out = vec![0; partitions as usize];
    for e in offsets.elements() {
        if let Offset::Offset(o) = e.offset() {
            out[e.partition() as usize] = o;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_event_goes_to_the_dead_letter_topic_and_consumption_goes_on() {
    let (transport, topic) = fresh_topic("poison", 1).await;
    transport
        .create_topic(&format!("{topic}.dlq"), 1, 1)
        .await
        .expect("create dead-letter topic");

    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let mut poison_id = String::new();
    for i in 0..11 {
        let payload = if i == 5 {
            "poison".to_owned()
        } else {
            format!("good-{i}")
        };
        let e = envelope("same-key", &payload);
        if i == 5 {
            poison_id = e.id.clone();
        }
        publisher.send(&topic, e).await.expect("publish");
    }

    let group = unique("group");
    let mut consumer_config = ConsumerConfig::new(group.clone(), [topic.clone()]);
    consumer_config.max_attempts = 3;
    consumer_config.initial_backoff = Duration::from_millis(10);
    consumer_config.max_backoff = Duration::from_millis(50);
    let dispatcher = PoisonAware::default();
    let consumer = Consumer::new(transport.clone(), dispatcher.clone(), consumer_config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        while Metrics::get(&m.handled) < 10 || Metrics::get(&m.dead_lettered) < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(90), consumer.run(stop))
        .await
        .expect("consumer gets past the poison record in time")
        .expect("clean run");

    // The good records after the poison one were handled, in order.
    let seen: Vec<String> = dispatcher
        .inner
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|s| s.1.clone())
        .collect();
    let want: Vec<String> = (0..11).filter(|i| *i != 5).map(|i| format!("good-{i}")).collect();
    assert_eq!(seen, want);
    assert_eq!(Metrics::get(&metrics.dead_lettered), 1);
    assert_eq!(Metrics::get(&metrics.retried), 2, "two retries before dead-lettering");
    // Committed past the poison record (offset 5) up to the end.
    assert_eq!(committed_offsets(&group, &topic, 1), vec![11]);

    // The dead letter, read with a plain client: the original record plus the reason headers.
    let raw = read_raw(&bootstrap(), &format!("{topic}.dlq"), 1, 1);
    assert_eq!(raw.len(), 1, "one dead letter");
    let record = &raw[0];
    let mut hs: BTreeMap<String, String> = BTreeMap::new();
    for header in record.headers().expect("headers").iter() {
        hs.insert(
            header.key.to_owned(),
            String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned(),
        );
    }
    assert_eq!(record.payload(), Some(&b"poison"[..]));
    assert_eq!(record.key(), Some(&b"same-key"[..]));
    assert_eq!(
        hs.get(headers::ID),
        Some(&poison_id),
        "the CloudEvents headers are kept"
    );
    let reason = hs.get(dead_letter::REASON).expect("reason header");
    assert!(reason.contains("poisoned"), "reason: {reason}");
    assert_eq!(hs.get(dead_letter::ATTEMPTS).map(String::as_str), Some("3"));
    assert_eq!(hs.get(dead_letter::TOPIC), Some(&topic));
    assert_eq!(hs.get(dead_letter::PARTITION).map(String::as_str), Some("0"));
    assert_eq!(hs.get(dead_letter::OFFSET).map(String::as_str), Some("5"));
    assert_eq!(hs.get(dead_letter::GROUP), Some(&group));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_over_a_hundred_keys_keep_per_key_order() {
    let partitions = 8;
    let (transport, topic) = fresh_topic("order", partitions).await;
    let (keys, per_key) = (100usize, 100usize);

    // One sender per key (sequential within the key, so the key's order is the publish order);
    // the keys run concurrently.
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for k in 0..keys {
        let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
        let topic = topic.clone();
        senders.spawn(async move {
            for seq in 0..per_key {
                publisher
                    .send(&topic, envelope(&format!("key-{k}"), &seq.to_string()))
                    .await
                    .expect("publish");
            }
        });
    }
    while let Some(joined) = senders.join_next().await {
        joined.expect("sender");
    }
    eprintln!("published {} events in {:?}", keys * per_key, started.elapsed());

    let group = unique("group");
    let consumer_config = ConsumerConfig::new(group.clone(), [topic.clone()]);
    let recorder = Recorder::default();
    let consumer = Consumer::new(transport.clone(), recorder.clone(), consumer_config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let total = (keys * per_key) as u64;
    let first_handled = Arc::new(Mutex::new(None::<Instant>));
    let first = Arc::clone(&first_handled);
    let stop = async move {
        while Metrics::get(&m.handled) < total {
            if Metrics::get(&m.handled) > 0 {
                first.lock().expect("lock").get_or_insert_with(Instant::now);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), consumer.run(stop))
        .await
        .expect("consumer handles every event in time")
        .expect("clean run");
    let since_first = first_handled.lock().expect("lock").map(|t| t.elapsed());
    eprintln!(
        "consumed {total} events in {:?}, {since_first:?} after the first was handled (the rest is the \
         group join); paused {} times for back-pressure",
        started.elapsed(),
        Metrics::get(&metrics.paused)
    );

    let seen = recorder.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), keys * per_key, "each event handled once");
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (key, payload, _) in &seen {
        by_key
            .entry(key.as_str())
            .or_default()
            .push(payload.parse().expect("sequence"));
    }
    assert_eq!(by_key.len(), keys);
    let want: Vec<usize> = (0..per_key).collect();
    for (key, got) in &by_key {
        assert_eq!(got, &want, "order of {key}");
    }
    let committed = committed_offsets(&group, &topic, partitions);
    assert_eq!(committed.iter().sum::<i64>(), total as i64, "committed {committed:?}");
    assert!(
        committed.iter().filter(|c| **c > 0).count() > 1,
        "the keys spread over partitions: {committed:?}"
    );
}

/// A `herald-kafka-worker` process; its standard input closing stops it cleanly.
struct Worker {
    child: std::process::Child,
    out: std::path::PathBuf,
}

impl Worker {
    fn spawn(group: &str, topic: &str, out: std::path::PathBuf) -> Worker {
        Worker::spawn_with_session(group, topic, out, 6000)
    }

    fn spawn_with_session(group: &str, topic: &str, out: std::path::PathBuf, session_ms: u32) -> Worker {
        Worker::spawn_with(group, topic, out, session_ms, None)
    }

    /// With `commit_interval_ms`, the worker's background commits happen that often
    /// (`auto.commit.interval.ms`) instead of herald's default.
    fn spawn_with(
        group: &str,
        topic: &str,
        out: std::path::PathBuf,
        session_ms: u32,
        commit_interval_ms: Option<u32>,
    ) -> Worker {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_herald-kafka-worker"));
        command.env("HERALD_KAFKA_SESSION_TIMEOUT_MS", session_ms.to_string());
        if let Some(interval) = commit_interval_ms {
            command.env("HERALD_KAFKA_COMMIT_INTERVAL_MS", interval.to_string());
        }
        let child = command
            .args([bootstrap().as_str(), group, topic])
            .arg(&out)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("spawn herald-kafka-worker");
        Worker { child, out }
    }

    /// Closes its standard input and waits for a clean exit.
    fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "worker exited with {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("worker did not stop within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, then reap it.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

/// The event ids in a worker's file, complete lines only (a kill may cut the last one).
fn handled_ids(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Publishes `keys * per_key` events (one sequential sender per key, keys concurrently), waiting
/// `pause` between a key's events; their ids.
async fn publish_many(
    transport: &KafkaTransport,
    topic: &str,
    keys: usize,
    per_key: usize,
    pause: Duration,
) -> Vec<String> {
    let mut senders = tokio::task::JoinSet::new();
    for k in 0..keys {
        let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
        let topic = topic.to_owned();
        senders.spawn(async move {
            let mut ids = Vec::new();
            for seq in 0..per_key {
                let e = envelope(&format!("key-{k}"), &seq.to_string());
                ids.push(e.id.clone());
                publisher.send(&topic, e).await.expect("publish");
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
            ids
        });
    }
    let mut ids = Vec::new();
    while let Some(joined) = senders.join_next().await {
        ids.extend(joined.expect("sender"));
    }
    ids
}

/// Sends warm-up events to every partition until each worker handled one (so both are in the
/// group's current generation), then waits until the group committed all of them: a stable group.
/// (tansu answers no ListGroups/DescribeGroups, so the group API cannot tell.) The warm-up count.
async fn warm_up(transport: &KafkaTransport, group: &str, topic: &str, partitions: u32, workers: &[&Worker]) -> i64 {
    let keys: Vec<String> = (0..partitions)
        .map(|p| {
            (0..)
                .map(|i| format!("warm-{i}"))
                .find(|k| partition_for(k.as_bytes(), partitions) == p)
                .expect("a key for every partition")
        })
        .collect();
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let mut sent = 0i64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while workers.iter().any(|w| handled_ids(&w.out).is_empty()) {
        assert!(Instant::now() < deadline, "the workers did not both join group {group}");
        for key in &keys {
            publisher.send(topic, envelope(key, "warm-up")).await.expect("publish");
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    while committed_offsets(group, topic, partitions).iter().sum::<i64>() < sent {
        assert!(
            Instant::now() < deadline,
            "warm-up events not committed in group {group}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_split_the_partitions_and_handle_each_event_once() {
    let partitions = 4;
    let (transport, topic) = fresh_topic("p2p", partitions).await;
    let group = unique("workers");
    let dir = scratch_dir("p2p");
    let a = Worker::spawn(&group, &topic, dir.join("a.txt"));
    let b = Worker::spawn(&group, &topic, dir.join("b.txt"));
    // Publish once both are in the group, so no rebalance hands a record to the other worker.
    let warm = warm_up(&transport, &group, &topic, partitions, &[&a, &b]).await;
    let published = publish_many(&transport, &topic, 20, 100, Duration::ZERO).await;
    let total = published.len();
    let wanted: std::collections::HashSet<&str> = published.iter().map(String::as_str).collect();
    let real = |w: &std::path::Path| -> Vec<String> {
        handled_ids(w)
            .into_iter()
            .filter(|id| wanted.contains(id.as_str()))
            .collect()
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let handled = real(&a.out).len() + real(&b.out).len();
        let committed = committed_offsets(&group, &topic, partitions).iter().sum::<i64>() - warm;
        if handled >= total && committed == total as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "handled {handled}, committed {committed} of {total}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (a_out, b_out) = (a.out.clone(), b.out.clone());
    a.stop();
    b.stop();

    let (by_a, by_b) = (real(&a_out), real(&b_out));
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "both workers handled events: {} and {}",
        by_a.len(),
        by_b.len()
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in by_a.iter().chain(&by_b) {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    let mut want: Vec<&str> = published.iter().map(String::as_str).collect();
    let mut got: Vec<&str> = counts.keys().copied().collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "every published event handled, nothing else");
    eprintln!("worker a handled {}, worker b {}", by_a.len(), by_b.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_twenty_times_loses_nothing() {
    // A short session: a killed member's partitions are reassigned sooner, and joins are quicker.
    const SESSION: u32 = 2000;
    let partitions = 4;
    let (transport, topic) = fresh_topic("crash", partitions).await;
    let group = unique("workers");
    let dir = scratch_dir("crash");
    let steady = Worker::spawn_with_session(&group, &topic, dir.join("steady.txt"), SESSION);
    let mut victim = Worker::spawn_with_session(&group, &topic, dir.join("victim-0.txt"), SESSION);
    let warm = warm_up(&transport, &group, &topic, partitions, &[&steady, &victim]).await;

    // 10,000 events flow in 20 waves of 500 (100 keys), one per kill, while the victim is killed
    // at a random moment after it started handling.
    let mut publishing = tokio::task::JoinSet::new();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos() as u64
        | 1;
    eprintln!("kill schedule seed {seed}");
    let mut files = vec![steady.out.clone(), victim.out.clone()];
    let mut snapshots = Vec::new();
    let mut kills_while_handling = 0;
    let kills_started = Instant::now();
    for kill in 1..=20 {
        {
            let transport = transport.clone();
            let topic = topic.clone();
            publishing.spawn(async move { publish_many(&transport, &topic, 100, 5, Duration::from_millis(100)).await });
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Once it handles events (it joined the group), at a random moment within 600 ms.
        let joined = Instant::now() + Duration::from_secs(5);
        while handled_ids(&victim.out).is_empty() && Instant::now() < joined {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !handled_ids(&victim.out).is_empty() {
            kills_while_handling += 1;
        }
        tokio::time::sleep(Duration::from_millis(seed % 600)).await;
        victim.kill();
        // What the group had committed when the victim died: a record handled but not covered by
        // it may be handled again.
        snapshots.push(committed_offsets(&group, &topic, partitions));
        victim = Worker::spawn_with_session(&group, &topic, dir.join(format!("victim-{kill}.txt")), SESSION);
        files.push(victim.out.clone());
    }
    eprintln!(
        "20 kills in {:?}, {kills_while_handling} of them after the victim had handled events",
        kills_started.elapsed()
    );
    let mut published = Vec::new();
    while let Some(wave) = publishing.join_next().await {
        published.extend(wave.expect("publisher"));
    }
    let total = published.len();
    let wanted: std::collections::HashSet<&str> = published.iter().map(String::as_str).collect();
    let handled = || -> Vec<String> {
        files
            .iter()
            .flat_map(|f| handled_ids(f))
            .filter(|id| wanted.contains(id.as_str()))
            .collect()
    };

    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    loop {
        let distinct: std::collections::HashSet<String> = handled().into_iter().collect();
        let committed = committed_offsets(&group, &topic, partitions).iter().sum::<i64>() - warm;
        if distinct.len() == total && committed == total as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the kills: {} of {total} handled, {committed} committed",
            distinct.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("caught up {:?} after the last kill", started.elapsed());
    steady.stop();
    victim.stop();

    let all = handled();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &all {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let lost: Vec<&&str> = wanted.iter().filter(|id| !counts.contains_key(**id)).collect();
    assert!(lost.is_empty(), "{} events lost: {lost:?}", lost.len());
    let duplicates = all.len() - counts.len();
    eprintln!(
        "{} handlings of {total} events: {duplicates} duplicates over 20 kills",
        all.len()
    );

    // Every duplicate was at or past the group's committed offset when some kill happened.
    let raw = read_raw(&bootstrap(), &topic, partitions, total + warm as usize);
    let mut coordinates: HashMap<String, (usize, i64)> = HashMap::new();
    for record in &raw {
        let id = record
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == headers::ID))
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .expect("ce_id");
        coordinates.insert(id, (record.partition() as usize, record.offset()));
    }
    for (id, n) in counts.iter().filter(|(_, n)| **n > 1) {
        let (partition, offset) = coordinates[*id];
        assert!(
            snapshots.iter().any(|s| s[partition] <= offset),
            "{id} ({partition}@{offset}) handled {n} times but committed before every kill: {snapshots:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A batch is handed to librdkafka whole, then every delivery report is awaited: all records
/// arrive, in order per key, and a record the client refuses is reported at its index while the
/// rest of the batch is still delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_publishes_every_record_in_key_order_and_reports_the_refused_one() {
    let topic = unique("batch");
    // librdkafka refuses records above `message.max.bytes` locally, before any broker sees them.
    let transport = KafkaTransport::new(broker().set("message.max.bytes", "20000")).expect("transport");
    transport.create_topic(&topic, 4, 1).await.expect("create topic");
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let total = 5_000;
    let mut batch: Vec<Envelope> = (0..total)
        .map(|i| envelope(&format!("key-{}", i % 50), &format!("{i}")))
        .collect();
    batch[1234].data = vec![b'x'; 50_000];
    let err = publisher.send_all(&topic, batch).await.expect_err("one refused");
    assert_eq!(err.failed.len(), 1, "{err}");
    assert_eq!(err.failed[0].0, 1234);
    assert!(err.failed[0].1.to_string().contains("rejected"), "{}", err.failed[0].1);
    assert!(
        matches!(err.failed[0].1, PublishError::Transport(TransportError::Rejected(_))),
        "{:?}",
        err.failed[0].1
    );
    assert_eq!(Metrics::get(&publisher.metrics().published), total as u64 - 1);

    let records = read_raw(&bootstrap(), &topic, 4, total - 1);
    assert_eq!(records.len(), total - 1);
    let mut per_key: HashMap<String, Vec<usize>> = HashMap::new();
    for r in &records {
        let key = String::from_utf8_lossy(r.key().unwrap_or_default()).into_owned();
        let n: usize = String::from_utf8_lossy(r.payload().unwrap_or_default())
            .parse()
            .expect("a number");
        per_key.entry(key).or_default().push(n);
    }
    for (key, seen) in per_key {
        let k: usize = key["key-".len()..].parse().expect("key number");
        let expected: Vec<usize> = (0..total).filter(|i| i % 50 == k && *i != 1234).collect();
        assert_eq!(seen, expected, "{key} in publish order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_commits_what_was_handled_before_the_partitions_move() {
    // Background commits every 60 s: within this test, only the commit at revocation can make
    // the first events' offsets durable before the second worker takes over partitions.
    const INTERVAL_MS: u32 = 60_000;
    let partitions = 4;
    let (transport, topic) = fresh_topic("revoke", partitions).await;
    let group = unique("workers");
    let dir = scratch_dir("revoke");
    let started = Instant::now();
    let a = Worker::spawn_with(&group, &topic, dir.join("a.txt"), 6000, Some(INTERVAL_MS));

    // The first part of the stream: worker A alone handles it (and stores the offsets).
    let first = publish_many(&transport, &topic, 20, 10, Duration::ZERO).await;
    let first_ids: std::collections::HashSet<&str> = first.iter().map(String::as_str).collect();
    let deadline = Instant::now() + Duration::from_secs(40);
    while handled_ids(&a.out)
        .iter()
        .filter(|id| first_ids.contains(id.as_str()))
        .count()
        < first.len()
    {
        assert!(Instant::now() < deadline, "worker A did not handle the first events");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        committed_offsets(&group, &topic, partitions).iter().sum::<i64>(),
        0,
        "handled but not committed yet: the background commit is 60 s away"
    );

    // Worker B joins: the group rebalances, A's partitions are revoked, A commits first.
    let b = Worker::spawn_with(&group, &topic, dir.join("b.txt"), 6000, Some(INTERVAL_MS));
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let committed = committed_offsets(&group, &topic, partitions).iter().sum::<i64>();
        if committed == first.len() as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{committed} of {} committed after B joined",
            first.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let committed_after = started.elapsed();
    assert!(
        committed_after < Duration::from_millis(u64::from(INTERVAL_MS)),
        "committed {committed_after:?} after A started: a background commit could explain it"
    );

    // The second part flows to both members.
    let second = publish_many(&transport, &topic, 20, 10, Duration::ZERO).await;
    let second_ids: std::collections::HashSet<&str> = second.iter().map(String::as_str).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let handled: std::collections::HashSet<String> = handled_ids(&a.out)
            .into_iter()
            .chain(handled_ids(&b.out))
            .filter(|id| second_ids.contains(id.as_str()))
            .collect();
        if handled.len() == second.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} second-part events handled",
            handled.len(),
            second.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (a_out, b_out) = (a.out.clone(), b.out.clone());
    a.stop();
    b.stop();

    let (by_a, by_b) = (handled_ids(&a_out), handled_ids(&b_out));
    let again: Vec<&String> = by_b.iter().filter(|id| first_ids.contains(id.as_str())).collect();
    assert!(
        again.is_empty(),
        "the new owner handled {} first-part events again: {again:?}",
        again.len()
    );
    assert!(
        by_b.iter().any(|id| second_ids.contains(id.as_str())),
        "B took over partitions and handled second-part events"
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in by_a.iter().chain(&by_b) {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    // Closing commits the rest, still without a background commit.
    assert_eq!(
        committed_offsets(&group, &topic, partitions).iter().sum::<i64>(),
        (first.len() + second.len()) as i64,
        "everything committed once both workers closed"
    );
    eprintln!(
        "first part committed at revocation {committed_after:?} after A started; A handled {}, B {}",
        by_a.len(),
        by_b.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sleeps before recording: `first` for a key's first event (payload `0`), `rest` for the others.
#[derive(Clone)]
struct Sleepy {
    inner: Recorder,
    first: Duration,
    rest: Duration,
}

impl Dispatch for Sleepy {
    fn event_types(&self) -> &'static [&'static str] {
        &["test.Happened"]
    }

    async fn dispatch(&self, ctx: &Context) -> Result<(), DispatchError> {
        let nap = if ctx.data() == b"0" { self.first } else { self.rest };
        tokio::time::sleep(nap).await;
        self.inner.dispatch(ctx).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_pause_the_partitions_and_the_member_stays_in_the_group() {
    let partitions = 4;
    let (_, topic) = fresh_topic("slow", partitions).await;
    // A member that does not poll for `max.poll.interval.ms` is put out of the group; each key's
    // first event takes longer than that, and both handler slots are busy with them.
    let transport = KafkaTransport::new(broker().set("max.poll.interval.ms", "6000")).expect("transport");
    let (keys, per_key) = (4usize, 20usize);
    let published = publish_many(&transport, &topic, keys, per_key, Duration::ZERO).await;
    let total = published.len() as u64;

    let group = unique("group");
    let mut consumer_config = ConsumerConfig::new(group.clone(), [topic.clone()]);
    consumer_config.concurrency = 2;
    consumer_config.handler_timeout = Duration::from_secs(30);
    let dispatcher = Sleepy {
        inner: Recorder::default(),
        first: Duration::from_secs(7),
        rest: Duration::from_millis(50),
    };
    let consumer = Consumer::new(transport.clone(), dispatcher.clone(), consumer_config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        while Metrics::get(&m.handled) < total {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), consumer.run(stop))
        .await
        .expect("consumer handles every event in time")
        .expect("clean run: the member was never put out of the group");
    let took = started.elapsed();

    let seen = dispatcher.inner.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), keys * per_key, "each event handled once");
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (key, payload, _) in &seen {
        by_key
            .entry(key.as_str())
            .or_default()
            .push(payload.parse().expect("sequence"));
    }
    let want: Vec<usize> = (0..per_key).collect();
    for (key, got) in &by_key {
        assert_eq!(got, &want, "order of {key}");
    }
    assert_eq!(by_key.len(), keys);
    let paused = Metrics::get(&metrics.paused);
    assert!(paused > 0, "the subscription was paused while the handlers were busy");
    assert_eq!(Metrics::get(&metrics.revoked), 0, "no partition was taken away");
    assert!(
        took > Duration::from_secs(14),
        "handling took longer than the poll interval: {took:?}"
    );
    assert_eq!(
        committed_offsets(&group, &topic, partitions).iter().sum::<i64>(),
        total as i64,
        "all committed"
    );
    eprintln!("{total} slow events handled in {took:?}, paused {paused} times, never out of the group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_for_a_partition_not_assigned_is_ignored() {
    let (transport, topic) = fresh_topic("owned", 1).await;
    let other = unique("not-owned");
    transport.create_topic(&other, 1, 1).await.expect("create topic");
    for i in 0..3 {
        transport
            .send(
                &topic,
                Some(b"k"),
                Headers::new(),
                format!("{i}").into_bytes(),
                Acks::All,
            )
            .await
            .expect("send");
    }
    let group = unique("group");
    let mut sub = transport
        .subscribe(&group, std::slice::from_ref(&topic), StartFrom::Earliest)
        .await
        .expect("subscribe");
    let record = tokio::time::timeout(Duration::from_secs(60), sub.next())
        .await
        .expect("a record in time")
        .expect("next")
        .expect("open");
    sub.commit(&topic, record.partition, record.offset + 1)
        .await
        .expect("commit");
    // Like a record finishing after its partition was revoked: refused by librdkafka, no error.
    sub.commit(&other, 0, 2)
        .await
        .expect("a mark for a partition this member does not own is not an error");
    assert!(sub.revoked().is_empty(), "nothing revoked");
    sub.close().await;
    assert_eq!(
        committed_offsets(&group, &topic, 1),
        vec![1],
        "the owned mark, committed on close"
    );
    assert_eq!(
        committed_offsets(&group, &other, 1),
        vec![0],
        "nothing for the other topic"
    );
}

/// Batching and compression are librdkafka properties passed through `KafkaConfig`: records sent
/// lz4-compressed in batches of up to 50 (lingering 20 ms) read back whole with a plain client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_and_compressed_records_read_back_whole() {
    let topic = unique("compressed");
    let transport = KafkaTransport::new(
        broker()
            .set("compression.type", "lz4")
            .set("linger.ms", "20")
            .set("batch.num.messages", "50"),
    )
    .expect("transport");
    transport.create_topic(&topic, 2, 1).await.expect("create topic");
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let payload = "compressible ".repeat(40);
    let batch: Vec<Envelope> = (0..500)
        .map(|i| envelope(&format!("key-{}", i % 7), &payload))
        .collect();
    let ids: Vec<String> = batch.iter().map(|e| e.id.clone()).collect();
    publisher.send_all(&topic, batch).await.expect("published");
    let records = read_raw(&bootstrap(), &topic, 2, ids.len());
    let mut read: Vec<String> = records
        .iter()
        .map(|r| {
            assert_eq!(r.payload(), Some(payload.as_bytes()), "payload intact");
            let id = r
                .headers()
                .and_then(|hs| hs.iter().find(|h| h.key == headers::ID).and_then(|h| h.value))
                .unwrap_or_default();
            String::from_utf8_lossy(id).into_owned()
        })
        .collect();
    read.sort();
    let mut want = ids;
    want.sort();
    assert_eq!(read, want, "every record, once");
}
