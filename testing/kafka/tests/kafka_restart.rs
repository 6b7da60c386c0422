//! The broker restarted while a publisher sends with acks=all: no acknowledged event is lost.
//!
//! Runs against the durable broker of `scripts/broker.sh start --durable` (tansu on
//! 127.0.0.1:29092, `HERALD_KAFKA_DURABLE_PORT` elsewhere, storing in a local S3 server) and
//! restarts it itself with `scripts/broker.sh restart --durable` while publishing. Without that
//! broker it fails: it never passes by skipping. A memory broker cannot pass it (what it acknowledged
//! before the restart is gone after it), and the script refuses to restart one.
//!
//! Known failure of an idempotent producer, tansu's: in most runs (9 of 15) 1 to 4 events
//! acknowledged around the restart are missing. tansu 0.6.0 records an idempotent producer's sequence (`meta.json`) before
//! it stores the batch; stopped in between, it answers the client's retry after the restart as a
//! duplicate, which librdkafka counts as delivered. With `enable.idempotence=false` 9 of 9 runs
//! lost nothing (0 to 3 duplicates), so that is how this test runs (acks=all stays: an
//! acknowledged record is on the broker); `HERALD_RESTART_IDEMPOTENCE=true` runs it idempotent,
//! to show tansu's loss. The failure message lists the lost ids and when each was acknowledged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_runtime::cloudevents::headers;
use herald_runtime::kafka::{KafkaConfig, KafkaTransport};
use herald_runtime::{Envelope, Publish};
use herald_runtime::{Publisher, Reliability};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

/// Events published; every one has a unique id.
const EVENTS: usize = 2000;
/// Sends in flight at once (each a `Publisher::send` awaiting its acknowledgement).
const IN_FLIGHT: usize = 16;
/// Partitions of the topic.
const PARTITIONS: i32 = 3;

#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

fn durable_port() -> String {
    std::env::var("HERALD_KAFKA_DURABLE_PORT").unwrap_or_else(|_| "29092".to_owned())
}

/// The durable broker's address; panics when nothing listens there.
fn bootstrap() -> String {
    let bootstrap = format!("127.0.0.1:{}", durable_port());
    support::require_broker(
        &bootstrap,
        "HERALD_KAFKA_DURABLE_PORT",
        "`cargo xtask peers && bash scripts/broker.sh start --durable`",
    );
    bootstrap
}

/// `scripts/broker.sh restart --durable` (it inherits `HERALD_KAFKA_DURABLE_PORT` and
/// `HERALD_S3_PORT`); returns what it printed, panics when it fails.
fn restart_broker() -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/broker.sh");
    let out = std::process::Command::new("bash")
        .args([script, "restart", "--durable"])
        .output()
        .expect("run scripts/broker.sh restart --durable");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "scripts/broker.sh restart --durable failed: {printed}"
    );
    printed
}

fn envelope(id: &str, key: &str) -> Envelope {
    support::text_envelope(id.to_owned(), "herald/tests/kafka-restart", key, id)
}

/// The outcome of one publish: when it returned and what.
struct Outcome {
    id: String,
    at: Instant,
    result: Result<(), String>,
}

/// The `ce_id` header of every record of `topic`, read by a plain rdkafka consumer (no group, no
/// herald) from offset 0 until every id of `acked` was seen and nothing more came for 2 s (so that
/// duplicates after the last new id are counted too), or 30 s passed.
///
/// Not bounded by the high watermarks: tansu 0.6.0 on S3 storage reports them below what it
/// stores (ListOffsets said 169 for a partition with 200 records, all of which a fetch returns).
/// `fetch.wait.max.ms` is librdkafka's default (500), not the 10 the memory-broker tests use:
/// tansu answers a fetch with what it read from storage within that wait, and listing a partition
/// of a few hundred objects on the S3 server takes longer than 10 ms, so every fetch came back
/// empty.
fn read_ids(bootstrap: &str, topic: &str, acked: &HashSet<&str>) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        // librdkafka wants a group id even for assign(); nothing is committed to it.
        .set("group.id", format!("herald-restart-raw-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "500")
        .create()
        .expect("plain consumer");
    let mut list = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition_offset(topic, p, Offset::Offset(0))
            .expect("partition");
    }
    consumer.assign(&list).expect("assign");
    let mut ids = Vec::new();
    let mut missing: HashSet<&str> = acked.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_record = Instant::now();
    while Instant::now() < deadline && (!missing.is_empty() || last_record.elapsed() < Duration::from_secs(2)) {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.expect("plain consume");
        last_record = Instant::now();
        let id = message
            .headers()
            .and_then(|hs| hs.iter().find(|h| h.key == headers::ID))
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned());
        match id {
            Some(id) => {
                missing.remove(id.as_str());
                ids.push(id);
            }
            None => panic!(
                "record {}/{} has no {} header",
                message.partition(),
                message.offset(),
                headers::ID
            ),
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_while_publishing_loses_no_acknowledged_event() {
    let started = Instant::now();
    let bootstrap = bootstrap();
    // librdkafka keeps retrying a send (its `retries` default is unbounded) until
    // `message.timeout.ms`: 30 s, far above the broker's downtime (about 2 s). Reconnecting backs
    // off at most 1 s (10 s by default), so sends resume soon after the broker is back. A send
    // waits up to `max_block` (30 s) for room in the queue.
    // The idempotent producer off by default here: tansu 0.6 loses records of an idempotent
    // producer across a restart (module docs). `HERALD_RESTART_IDEMPOTENCE=true` turns it on to
    // show that.
    let idempotence = std::env::var("HERALD_RESTART_IDEMPOTENCE").unwrap_or_else(|_| "false".to_owned());
    println!("enable.idempotence={idempotence}");
    let config = KafkaConfig::new(&bootstrap)
        .set("enable.idempotence", &idempotence)
        .set("message.timeout.ms", "30000")
        .set("retry.backoff.ms", "100")
        .set("retry.backoff.max.ms", "1000")
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "1000");
    let transport = KafkaTransport::new(config).expect("transport");
    let topic = format!("herald-restart-{}", uuid::Uuid::new_v4());
    transport
        .create_topic(&topic, PARTITIONS as u32, 1)
        .await
        .expect("create topic");

    // acks=all, and herald's own retries on top of librdkafka's.
    let publisher = Arc::new(Publisher::new(transport, Reliability::AtLeastOnce { retries: 3 }));
    let run = uuid::Uuid::new_v4();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let mut senders = Vec::new();
    for lane in 0..IN_FLIGHT {
        let publisher = Arc::clone(&publisher);
        let tx = tx.clone();
        let topic = topic.clone();
        senders.push(tokio::spawn(async move {
            for n in (lane..EVENTS).step_by(IN_FLIGHT) {
                let id = format!("{run}-{n:05}");
                let key = format!("key-{}", n % 32);
                let result = publisher
                    .send(&topic, envelope(&id, &key))
                    .await
                    .map_err(|e| e.to_string());
                // The receiver lives until every sender is done.
                let _ = tx.send(Outcome {
                    id,
                    at: Instant::now(),
                    result,
                });
            }
        }));
    }
    drop(tx);

    // Restart the broker once a quarter of the events are acknowledged, on a thread of its own
    // while the publishers keep sending.
    let mut outcomes = Vec::with_capacity(EVENTS);
    let mut acked = 0;
    let mut restart = None;
    let publishing = async {
        while let Some(outcome) = rx.recv().await {
            if outcome.result.is_ok() {
                acked += 1;
            }
            outcomes.push(outcome);
            if restart.is_none() && acked >= EVENTS / 4 {
                restart = Some((
                    Instant::now(),
                    tokio::task::spawn_blocking(|| (restart_broker(), Instant::now())),
                ));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), publishing)
        .await
        .expect("every publish returns within 120 s");
    for sender in senders {
        sender.await.expect("publisher task");
    }
    let (restart_began, restart) = restart.expect("the broker was restarted");
    let (restart_log, restart_done) = restart.await.expect("restart task");
    let publish_time = started.elapsed();

    // Every publish returned, acknowledged or with an error that says why.
    assert_eq!(outcomes.len(), EVENTS, "every publish has an outcome");
    let errors: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    for e in errors.iter().take(10) {
        eprintln!("publish of {} failed: {:?}", e.id, e.result);
    }
    let acked_ids: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.id.as_str())
        .collect();
    let acked_before = outcomes
        .iter()
        .filter(|o| o.result.is_ok() && o.at < restart_began)
        .count();
    let acked_after = outcomes
        .iter()
        .filter(|o| o.result.is_ok() && o.at > restart_done)
        .count();
    // The longest time without an acknowledgement: the outage as the publisher saw it.
    let mut ack_times: Vec<Instant> = outcomes.iter().filter(|o| o.result.is_ok()).map(|o| o.at).collect();
    ack_times.sort();
    let longest_gap = ack_times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .max()
        .unwrap_or_default();
    assert!(acked_before > 0, "acknowledgements before the restart");
    assert!(
        acked_after > 0,
        "publishing resumed after the restart: no acknowledgement after it ({} errors)",
        errors.len()
    );

    // Read back with a plain client: every acknowledged id is there.
    let read_started = Instant::now();
    let ids = read_ids(&bootstrap, &topic, &acked_ids.iter().copied().collect());
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *copies.entry(id.as_str()).or_default() += 1;
    }
    let lost: Vec<&&str> = acked_ids.iter().filter(|id| !copies.contains_key(**id)).collect();
    let duplicated = copies.values().filter(|n| **n > 1).count();
    let failed_but_stored = errors.iter().filter(|o| copies.contains_key(o.id.as_str())).count();
    eprintln!(
        "kafka_restart: {EVENTS} events, {IN_FLIGHT} in flight, {} acknowledged ({acked_before} before the \
         restart, {acked_after} after it), {} failed ({failed_but_stored} of them stored anyway); restart \
         took {:?} ({}), longest time without an acknowledgement {longest_gap:?}; read back {} records, \
         {duplicated} ids duplicated; published in {publish_time:?}, read back in {:?}",
        acked_ids.len(),
        errors.len(),
        restart_done.duration_since(restart_began),
        restart_log.lines().last().unwrap_or_default(),
        ids.len(),
        read_started.elapsed(),
    );
    // When each lost id was acknowledged, relative to the restart's start (negative: before it).
    let lost_acks: Vec<String> = outcomes
        .iter()
        .filter(|o| o.result.is_ok() && !copies.contains_key(o.id.as_str()))
        .take(10)
        .map(|o| {
            let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            let relative = if o.at >= restart_began {
                ms(o.at.duration_since(restart_began))
            } else {
                -ms(restart_began.duration_since(o.at))
            };
            format!("{} acknowledged at {relative:+} ms", o.id)
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events are not on the topic after the restart (the restart took {:?}): {lost_acks:?}",
        lost.len(),
        restart_done.duration_since(restart_began),
    );
    assert!(
        copies.keys().all(|id| id.starts_with(&run.to_string())),
        "only this run's events on its topic"
    );
}
