//! The consumer loop on the in-memory transport, with a scripted dispatcher: ordering per key,
//! commits after success, retries, dead letters, policies, panics, timeouts, shutdown, upcasting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_runtime::memory::{InMemoryTransport, MemoryConfig};
use herald_runtime::transport::{Acks, Headers, StartFrom, Subscription, Transport, TransportError};
use herald_runtime::{
    dead_letter, Consumer, ConsumerConfig, ConsumerError, Metrics, Policy, PublishError, Publisher, Reliability,
    UpcastError,
};
use herald_runtime::{CodecError, Context, Dispatch, DispatchError, Envelope, HandlerError, Publish, Version};

use super::support;

/// What the scripted handler does with a payload: "ok", "fail:N" (fail N times), "fail", "panic",
/// "hang", "slow" (400 ms), "garbage" (decode error).
#[derive(Clone, Default)]
struct Script {
    seen: Arc<Mutex<Vec<(String, String)>>>,
    failures: Arc<Mutex<HashMap<String, u32>>>,
}

impl Dispatch for Script {
    fn event_types(&self) -> &'static [&'static str] {
        &["test.Happened"]
    }

    async fn dispatch(&self, ctx: &Context) -> Result<(), DispatchError> {
        let event_type = ctx.event_type().to_owned();
        if event_type != "test.Happened" {
            return Err(DispatchError::UnknownType { event_type });
        }
        if ctx.version().major != 1 {
            return Err(DispatchError::UnknownMajor {
                event_type,
                major: ctx.version().major,
                known: &[1],
            });
        }
        let payload = String::from_utf8_lossy(ctx.data()).into_owned();
        let key = ctx.partition_key().unwrap_or_default().to_owned();
        let fail = |why: &str| {
            Err(DispatchError::Handler {
                event_type: event_type.clone(),
                error: HandlerError::msg(why),
            })
        };
        match payload.as_str() {
            "fail" => return fail("always fails"),
            "panic" => panic!("handler bug"),
            "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
            "slow" => tokio::time::sleep(Duration::from_millis(400)).await,
            "garbage" => {
                return Err(DispatchError::Decode {
                    event_type,
                    error: CodecError::new("not a payload"),
                })
            }
            p if p.starts_with("fail:") => {
                let n: u32 = p[5..].parse().unwrap_or(1);
                let mut failures = self.failures.lock().expect("lock");
                let count = failures.entry(format!("{key}/{p}")).or_default();
                if *count < n {
                    *count += 1;
                    return fail("fails for a while");
                }
            }
            _ => {}
        }
        // Hold different keys for a moment so that concurrency shows.
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.seen.lock().expect("lock").push((key, payload));
        Ok(())
    }
}

fn envelope(key: &str, payload: &str) -> Envelope {
    let id = format!("id-{key}-{payload}-{}", uuid::Uuid::new_v4());
    support::text_envelope(id, "test", key, payload)
}

fn config() -> ConsumerConfig {
    let mut c = ConsumerConfig::new("g", ["events"]);
    c.initial_backoff = Duration::from_millis(1);
    c.max_backoff = Duration::from_millis(5);
    c.max_attempts = 3;
    c.handler_timeout = Duration::from_millis(200);
    c
}

/// Publishes, then runs the consumer until `expected` records are accounted for.
async fn run(
    transport: &InMemoryTransport,
    config: ConsumerConfig,
    script: Script,
    envelopes: Vec<Envelope>,
    settle: usize,
) -> (Result<(), herald_runtime::ConsumerError>, Arc<Metrics>) {
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    for e in envelopes {
        publisher.send("events", e).await.expect("publish");
    }
    let consumer = Consumer::new(transport.clone(), script, config);
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        loop {
            let accounted = Metrics::get(&m.handled) + Metrics::get(&m.dead_lettered) + Metrics::get(&m.skipped);
            if accounted as usize >= settle {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let result = tokio::time::timeout(Duration::from_secs(20), consumer.run(stop))
        .await
        .expect("consumer finishes");
    (result, metrics)
}

fn committed_total(t: &InMemoryTransport, group: &str) -> u64 {
    (0..4).filter_map(|p| t.committed(group, "events", p)).sum()
}

#[tokio::test]
async fn same_key_in_order_all_committed() {
    let t = InMemoryTransport::default();
    let script = Script::default();
    let mut envelopes = Vec::new();
    for i in 0..30 {
        for key in ["a", "b", "c"] {
            envelopes.push(envelope(key, &format!("{i}")));
        }
    }
    let (result, metrics) = run(&t, config(), script.clone(), envelopes, 90).await;
    result.expect("clean run");
    assert_eq!(Metrics::get(&metrics.handled), 90);
    let seen = script.seen.lock().expect("lock").clone();
    for key in ["a", "b", "c"] {
        let order: Vec<u32> = seen
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, p)| p.parse().ok())
            .collect();
        assert_eq!(order, (0..30).collect::<Vec<_>>(), "key {key} out of order");
    }
    assert_eq!(committed_total(&t, "g"), 90, "every offset committed");
}

#[tokio::test]
async fn failures_retry_then_dead_letter_with_reason_and_coordinates() {
    let t = InMemoryTransport::default();
    let envelopes = vec![envelope("k1", "fail:2"), envelope("k2", "fail"), envelope("k3", "ok")];
    let (result, metrics) = run(&t, config(), Script::default(), envelopes, 3).await;
    result.expect("clean run");
    assert_eq!(Metrics::get(&metrics.handled), 2);
    assert_eq!(Metrics::get(&metrics.dead_lettered), 1);
    assert!(Metrics::get(&metrics.retried) >= 4);
    let dlq = t.records("events.dlq");
    assert_eq!(dlq.len(), 1);
    let header = |name: &str| {
        dlq[0]
            .headers
            .last(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    assert!(header(dead_letter::REASON).is_some_and(|r| r.contains("always fails")));
    assert_eq!(header(dead_letter::ATTEMPTS).as_deref(), Some("3"));
    assert_eq!(header(dead_letter::TOPIC).as_deref(), Some("events"));
    assert!(header(dead_letter::OFFSET).is_some() && header(dead_letter::PARTITION).is_some());
    assert_eq!(dlq[0].value, b"fail".to_vec(), "the original payload is kept");
    let original = t
        .records("events")
        .into_iter()
        .find(|r| r.value == b"fail")
        .expect("the published record");
    assert_eq!(
        dlq[0].headers.iter().take(original.headers.len()).collect::<Vec<_>>(),
        original.headers.iter().collect::<Vec<_>>(),
        "the original headers are kept, byte for byte, before the dead-letter ones"
    );
    assert_eq!(committed_total(&t, "g"), 3);
}

#[tokio::test]
async fn panics_and_hangs_are_failures_not_crashes() {
    let t = InMemoryTransport::default();
    let envelopes = vec![envelope("p", "panic"), envelope("h", "hang"), envelope("o", "ok")];
    let (result, metrics) = run(&t, config(), Script::default(), envelopes, 3).await;
    result.expect("the consumer survives");
    assert_eq!(Metrics::get(&metrics.dead_lettered), 2);
    let reasons: Vec<String> = t
        .records("events.dlq")
        .iter()
        .filter_map(|r| {
            r.headers
                .last(dead_letter::REASON)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
        .collect();
    assert!(reasons.iter().any(|r| r.contains("panicked")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("timed out")), "{reasons:?}");
}

#[tokio::test]
async fn undecodable_and_unknown_records_follow_their_policy() {
    // Dead-letter (default) for a payload that does not decode, an unknown type and a future MAJOR.
    let t = InMemoryTransport::default();
    let mut unknown = envelope("u", "ok");
    unknown.event_type = "test.Other".into();
    let mut future = envelope("f", "ok");
    future.version = Version::new(2, 0);
    let envelopes = vec![
        envelope("g", "garbage"),
        unknown.clone(),
        future.clone(),
        envelope("o", "ok"),
    ];
    let (result, metrics) = run(&t, config(), Script::default(), envelopes.clone(), 4).await;
    result.expect("clean");
    assert_eq!(Metrics::get(&metrics.dead_lettered), 3);
    assert_eq!(
        Metrics::get(&metrics.retried),
        0,
        "decode and routing errors are not retried"
    );

    // Skip.
    let t = InMemoryTransport::default();
    let mut c = config();
    c.on_undecodable = Policy::Skip;
    c.on_unknown = Policy::Skip;
    let (result, metrics) = run(&t, c, Script::default(), envelopes, 4).await;
    result.expect("clean");
    assert_eq!(Metrics::get(&metrics.skipped), 3);
    assert!(t.records("events.dlq").is_empty());
}

#[tokio::test]
async fn a_record_without_an_envelope_is_dead_lettered() {
    let t = InMemoryTransport::default();
    // Raw records: no ce_id, a bad specversion, a bad time, a bad version.
    let good = envelope("k", "ok").to_headers();
    let without = |name: &str| good.iter().filter(|(k, _)| *k != name).collect::<Headers>();
    let replace = |name: &str, v: &str| {
        good.iter()
            .map(|(k, x)| (k, if k == name { v.as_bytes() } else { x }))
            .collect::<Headers>()
    };
    for headers in [
        without("ce_id"),
        replace("ce_specversion", "0.3"),
        replace("ce_time", "yesterday"),
        replace("ce_version", "one"),
        Headers::new(),
    ] {
        t.send("events", Some(b"k"), headers, b"ok".to_vec(), Acks::All)
            .await
            .expect("send");
    }
    let (result, metrics) = run(&t, config(), Script::default(), Vec::new(), 5).await;
    result.expect("clean");
    assert_eq!(Metrics::get(&metrics.dead_lettered), 5);
    let reasons: Vec<String> = t
        .records("events.dlq")
        .iter()
        .filter_map(|r| {
            r.headers
                .last(dead_letter::REASON)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
        .collect();
    for needle in ["ce_id", "specversion", "ce_time", "ce_version"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "{needle}: {reasons:?}");
    }
}

#[tokio::test]
async fn a_dead_letter_topic_that_rejects_writes_stops_the_consumer_and_loses_nothing() {
    let mut config_m = MemoryConfig::default();
    config_m.read_only.insert("events.dlq".into());
    let t = InMemoryTransport::new(config_m);
    let mut c = config();
    c.max_attempts = 1;
    let stop_never = async { std::future::pending::<()>().await };
    let publisher = Publisher::new(t.clone(), Reliability::AtLeastOnce { retries: 0 });
    publisher.send("events", envelope("k", "fail")).await.expect("publish");
    let consumer = Consumer::new(t.clone(), Script::default(), c.clone());
    let result = tokio::time::timeout(Duration::from_secs(10), consumer.run(stop_never))
        .await
        .expect("stops by itself");
    let err = result.expect_err("stops");
    assert!(err.to_string().contains("cannot dead-letter"), "{err}");
    assert!(
        matches!(&err, ConsumerError::DeadLetter { dead_letter_topic, offset: 0, .. } if dead_letter_topic == "events.dlq"),
        "{err:?}"
    );
    assert_eq!(committed_total(&t, "g"), 0, "uncommitted");
    // The next member of the group gets it again.
    let mut again = t
        .subscribe("g", &["events".into()], StartFrom::Earliest)
        .await
        .expect("sub");
    let record = again.next().await.expect("next").expect("record");
    assert_eq!(record.value, b"fail".to_vec());
}

#[tokio::test]
async fn stop_policy_leaves_the_record_uncommitted() {
    let t = InMemoryTransport::default();
    let mut c = config();
    c.on_undecodable = Policy::Stop;
    let publisher = Publisher::new(t.clone(), Reliability::FireAndForget(Acks::Leader));
    publisher
        .send("events", envelope("k", "garbage"))
        .await
        .expect("publish");
    let consumer = Consumer::new(t.clone(), Script::default(), c);
    let err = consumer.run(std::future::pending()).await.expect_err("stops");
    assert!(err.to_string().contains("stopped at events/"), "{err}");
    assert!(
        matches!(&err, ConsumerError::Stopped { topic, offset: 0, .. } if topic == "events"),
        "{err:?}"
    );
    assert_eq!(committed_total(&t, "g"), 0);
}

#[tokio::test]
async fn shutdown_drains_in_flight_work_and_commits() {
    let t = InMemoryTransport::default();
    let publisher = Publisher::new(t.clone(), Reliability::AtLeastOnce { retries: 0 });
    for i in 0..20 {
        publisher
            .send("events", envelope(&format!("k{i}"), "ok"))
            .await
            .expect("publish");
    }
    let consumer = Consumer::new(t.clone(), Script::default(), config());
    let metrics = consumer.metrics();
    // Shut down as soon as the first record is handled: what was started still finishes.
    let m = Arc::clone(&metrics);
    let stop = async move {
        while Metrics::get(&m.handled) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    consumer.run(stop).await.expect("clean shutdown");
    let handled = Metrics::get(&metrics.handled);
    assert!(handled >= 1);
    assert_eq!(
        committed_total(&t, "g"),
        handled,
        "everything handled is committed, nothing more"
    );
}

#[tokio::test]
async fn older_majors_are_upcast_when_the_consumer_provides_the_conversion() {
    let t = InMemoryTransport::default();
    let mut old = envelope("k", "ok");
    old.version = Version::new(0, 9);
    let publisher = Publisher::new(t.clone(), Reliability::AtLeastOnce { retries: 0 });
    publisher.send("events", old).await.expect("publish");
    let script = Script::default();
    let consumer = Consumer::new(t.clone(), script.clone(), config()).upcaster("test.Happened", 0, |mut e| {
        e.version = Version::new(1, 0);
        e.data = b"upcast".to_vec();
        Ok(e)
    });
    let m = consumer.metrics();
    let stop = async move {
        while Metrics::get(&m.handled) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    consumer.run(stop).await.expect("run");
    assert_eq!(
        script.seen.lock().expect("lock").clone(),
        [("k".to_owned(), "upcast".to_owned())]
    );
}

#[tokio::test]
async fn a_failed_upcast_counts_as_undecodable() {
    let t = InMemoryTransport::default();
    let mut old = envelope("k", "ok");
    old.version = Version::new(0, 9);
    let publisher = Publisher::new(t.clone(), Reliability::AtLeastOnce { retries: 0 });
    publisher.send("events", old).await.expect("publish");
    let mut c = config();
    c.on_undecodable = Policy::Stop;
    let script = Script::default();
    let consumer = Consumer::new(t.clone(), script.clone(), c)
        .upcaster("test.Happened", 0, |_| Err(UpcastError::msg("no amount in 0.x")));
    let err = consumer.run(std::future::pending()).await.expect_err("stops");
    assert!(
        matches!(&err, ConsumerError::Stopped { reason, .. } if reason == "upcast failed: no amount in 0.x"),
        "{err:?}"
    );
    assert!(script.seen.lock().expect("lock").is_empty(), "never dispatched");
    assert_eq!(committed_total(&t, "g"), 0);
}

#[tokio::test]
async fn oversized_payloads_are_refused_at_publish() {
    let t = InMemoryTransport::new(MemoryConfig {
        max_record_bytes: 16,
        ..MemoryConfig::default()
    });
    let publisher = Publisher::new(t, Reliability::AtLeastOnce { retries: 3 });
    let err = publisher
        .send("events", envelope("k", &"x".repeat(100)))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("exceeds"), "{err}");
    // A refusal is not retried.
    assert!(
        matches!(err, PublishError::Transport(TransportError::Rejected(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_transient_failure_on_every_attempt_is_reported_as_retries_exhausted() {
    // Room for one record that a group has not committed; the next send waits 10 ms, then fails.
    let t = InMemoryTransport::new(MemoryConfig {
        capacity: 1,
        max_block: Duration::from_millis(10),
        default_partitions: 1,
        ..MemoryConfig::default()
    });
    let _lagging = t
        .subscribe("slow", &["events".into()], StartFrom::Earliest)
        .await
        .expect("sub");
    let publisher = Publisher::new(t, Reliability::AtLeastOnce { retries: 1 });
    publisher
        .send("events", envelope("k", "ok"))
        .await
        .expect("room for one");
    let err = publisher.send("events", envelope("k", "ok")).await.expect_err("full");
    assert!(
        matches!(
            err,
            PublishError::RetriesExhausted {
                attempts: 2,
                error: TransportError::Full(_)
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("broker full"), "{err}");
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(source, Some(err.to_string()), "the transport's error is the cause");
}

#[tokio::test]
async fn a_batch_is_published_in_order_and_every_failure_is_reported_by_index() {
    let t = InMemoryTransport::new(MemoryConfig {
        max_record_bytes: 64,
        ..MemoryConfig::default()
    });
    let publisher = Publisher::new(t.clone(), Reliability::AtLeastOnce { retries: 2 });
    let mut batch: Vec<Envelope> = (0..100)
        .map(|i| envelope(&format!("k{}", i % 5), &format!("{i}")))
        .collect();
    batch[7].id.clear(); // invalid: refused before sending
    batch[42].data = vec![b'x'; 100]; // too large: refused by the transport, not retried
    let err = publisher.send_all("events", batch).await.expect_err("two refused");
    let failed: Vec<usize> = err.failed.iter().map(|(i, _)| *i).collect();
    assert_eq!(failed, [7, 42]);
    assert!(err.failed[0].1.to_string().contains("`id`"), "{}", err.failed[0].1);
    assert!(
        matches!(&err.failed[0].1, PublishError::Envelope(e) if e.attribute == "id"),
        "{:?}",
        err.failed[0].1
    );
    assert!(err.failed[1].1.to_string().contains("exceeds"), "{}", err.failed[1].1);
    assert!(
        matches!(err.failed[1].1, PublishError::Transport(TransportError::Rejected(_))),
        "{:?}",
        err.failed[1].1
    );
    assert_eq!(Metrics::get(&publisher.metrics().published), 98);
    let records = t.records("events");
    assert_eq!(records.len(), 98);
    for key in 0..5 {
        let order: Vec<usize> = records
            .iter()
            .filter(|r| r.key.as_deref() == Some(format!("k{key}").as_bytes()))
            .filter_map(|r| String::from_utf8_lossy(&r.value).parse().ok())
            .collect();
        let expected: Vec<usize> = (0..100).filter(|i| i % 5 == key && *i != 7 && *i != 42).collect();
        assert_eq!(order, expected, "key k{key} in publish order");
    }
}

#[tokio::test]
async fn a_busy_consumer_pauses_its_subscription_and_loses_nothing() {
    let t = InMemoryTransport::new(MemoryConfig {
        default_partitions: 1,
        ..MemoryConfig::default()
    });
    let mut c = config();
    c.concurrency = 1;
    c.handler_timeout = Duration::from_secs(5);
    // One slot, busy for 400 ms: the read-ahead (32 records a slot) fills and stays full.
    let mut envelopes = vec![envelope("a", "slow")];
    for i in 0..60 {
        envelopes.push(envelope(["a", "b"][i % 2], &format!("{i}")));
    }
    let script = Script::default();
    let (result, metrics) = run(&t, c, script.clone(), envelopes, 61).await;
    result.expect("clean run");
    assert!(Metrics::get(&metrics.paused) >= 1, "the subscription was paused");
    assert_eq!(Metrics::get(&metrics.handled), 61);
    let seen = script.seen.lock().expect("lock").clone();
    let order: Vec<String> = seen.iter().map(|(_, p)| p.clone()).collect();
    let want: Vec<String> = std::iter::once("slow".to_owned())
        .chain((0..60).map(|i| i.to_string()))
        .collect();
    assert_eq!(order, want, "one partition, one slot: publish order");
    assert_eq!(t.committed("g", "events", 0), Some(61), "every offset committed");
}
