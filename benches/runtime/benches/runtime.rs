//! herald-runtime against its peers, each group measured in the same run:
//!
//! - `dispatch`: a record with CloudEvents binary-mode headers (as `herald_runtime::Publisher` writes
//!   them) through `Context::read`, the generated `user_service::Dispatcher` and a
//!   trivial handler, against bare `prost::Message::decode` of the same payload into the same
//!   `UserUpdated`. Target: at most 10% overhead.
//! - `avro`: `herald_runtime::avro::Decoder::decode` of a single object written with an older schema
//!   (BankError 1.0, without the two fields 1.1 added with defaults), against apache-avro's
//!   `from_avro_datum` with the same writer and reader schemas plus `from_value`.
//! - `transport`: events per second through the in-memory transport, end to end: publish,
//!   `herald_runtime::Consumer` running the generated dispatcher, commit, shutdown.
//!
//! Run with `cargo bench -p herald-runtime-bench`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use divan::counter::ItemsCount;
use divan::Bencher;
use herald_runtime::apache_avro::Schema;
use herald_runtime::memory::{InMemoryTransport, MemoryConfig};
use herald_runtime::prost::Message;
use herald_runtime::transport::Record;
use herald_runtime::{Consumer, ConsumerConfig, Publisher, Reliability};
use herald_runtime::{Context, Envelope, Event, HandlerResult};
use herald_runtime_bench::avro::acme::accounting as avro_types;
use herald_runtime_bench::proto::acme::user::v1 as proto;
use herald_runtime_bench::user_service;
use herald_runtime_bench::user_service::types::UserUpdated;

fn main() {
    // Instruction counts (`valgrind --tool=callgrind`) want only the timed code: a timed warm-up
    // runs a different number of iterations under valgrind every time.
    if std::env::var_os("HERALD_BENCH_NO_WARM_UP").is_none() {
        warm_up();
    }
    divan::main();
}

/// Runs both sides of the dispatch comparison for about half a second before anything is timed:
/// the first benchmark of a process otherwise sometimes meets a cold heap and core (a median up to
/// 1.7x its usual one, seen in about one process in six), and the first is always herald's.
fn warm_up() {
    let record = record_of(&user_updated(7));
    let dispatcher = user_service::Dispatcher::new(Trivial);
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        for _ in 0..100 {
            let ctx = Context::read(record.clone()).expect("valid envelope");
            poll_once(pin!(dispatcher.dispatch(&ctx))).expect("dispatched");
            let event = <UserUpdated as Message>::decode(&record.value[..]).expect("decodes");
            black_box((ctx, event));
        }
    }
}

/// A `UserUpdated` with every field set, as a wallet and status change would publish it.
fn user_updated(user: usize) -> UserUpdated {
    use proto::user_updated::{ChangeKind, StatusChange, Suspension};
    let timestamp = |seconds: i64| herald_runtime::prost_types::Timestamp {
        seconds,
        nanos: 123_456_000,
    };
    UserUpdated {
        user_id: format!("user-{user:08}-5f0c2a9e"),
        updated_at: Some(timestamp(1_795_000_000)),
        changes: vec![
            ChangeKind::Profile as i32,
            ChangeKind::Wallet as i32,
            ChangeKind::Status as i32,
        ],
        profile: Some(proto::Profile {
            display_name: "Grizzled Vanguard".into(),
            avatar_url: "https://cdn.example.com/avatars/5f0c2a9e/256x256.png".into(),
            country_code: "DE".into(),
            locale: "de-DE".into(),
        }),
        wallet_balances: vec![
            proto::Money {
                currency_code: "EUR".into(),
                amount_minor: 12_999,
            },
            proto::Money {
                currency_code: "USD".into(),
                amount_minor: 4_250,
            },
            proto::Money {
                currency_code: "GBP".into(),
                amount_minor: -300,
            },
        ],
        status_change: Some(StatusChange::Suspended(Suspension {
            reason: "Chargeback on a gem purchase under review".into(),
            until: Some(timestamp(1_795_604_800)),
        })),
        attributes: [
            ("cohort", "2026-q4-b"),
            ("experiment.shop_layout", "grid"),
            ("client", "android-7.12.0"),
            ("region", "eu-central"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    }
}

/// The record `herald_runtime::Publisher` writes for `event`: binary-mode headers from
/// `Envelope::to_headers`, the partition key as the key, the payload as the value.
fn record_of(event: &UserUpdated) -> Record {
    let envelope = Envelope::wrap(event, user_service::SOURCE).expect("wraps");
    Record {
        topic: user_service::TOPIC.to_owned(),
        partition: 3,
        offset: 1_234_567,
        key: envelope.partition_key.clone().map(String::into_bytes),
        headers: envelope.to_headers(),
        value: envelope.data,
    }
}

/// Polls a future that never waits (the handlers here do not) with a no-op waker: the cheapest
/// executor there is, so that the figure is dispatch, not scheduling.
fn poll_once<F: Future>(mut future: std::pin::Pin<&mut F>) -> F::Output {
    let mut cx = std::task::Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the handler waited"),
    }
}

/// A handler that only looks at the event (and drops it, as any handler does).
struct Trivial;

impl user_service::Handler for Trivial {
    async fn on_user_updated(&self, ctx: &Context, event: UserUpdated) -> HandlerResult {
        black_box((ctx, &event));
        Ok(())
    }
}

/// 1,000 samples of 50 iterations each: the medians compared differ by tens of nanoseconds.
#[divan::bench_group(sample_count = 1000, sample_size = 50)]
mod dispatch {
    use super::*;

    /// herald: record → `Context::read` (the envelope's headers found and validated in place,
    /// as the consumer reads every record) → generated dispatcher (type and MAJOR routing, the
    /// context by reference) → protobuf decode → handler. Each iteration gets its own copy of the
    /// record, made outside the timing, as a transport hands the consumer a record it owns; the
    /// context (the record) is freed outside the timing too, as the peer's input bytes are.
    #[divan::bench]
    fn herald_record_to_handler(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        let dispatcher = user_service::Dispatcher::new(Trivial);
        bencher.with_inputs(|| record.clone()).bench_local_values(|record| {
            let ctx = Context::read(black_box(record)).expect("valid envelope");
            poll_once(pin!(dispatcher.dispatch(&ctx))).expect("dispatched");
            ctx
        });
    }

    /// Peer: prost decoding the same payload bytes into the same type, nothing else.
    #[divan::bench]
    fn peer_prost_decode(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher.bench_local(|| {
            let event = <UserUpdated as Message>::decode(black_box(&record.value[..])).expect("decodes");
            black_box(&event);
        });
    }

    /// Reference: the same decode done as herald's generated code does it, prost's `merge` into
    /// a default message (what `Message::decode` does, less returning the message it filled). The
    /// peer's figure is what a hand-written consumer pays; this one is what herald's envelope,
    /// routing and handler call cost on their own is measured against.
    #[divan::bench]
    fn reference_prost_merge_in_place(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher.bench_local(|| {
            let mut event = UserUpdated::default();
            Message::merge(&mut event, black_box(&record.value[..])).expect("decodes");
            black_box(&event);
        });
    }

    /// Harness: only the owned-record input and output handling.
    #[divan::bench]
    fn part_harness_owned_record(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher
            .with_inputs(|| record.clone())
            .bench_local_values(black_box::<Record>);
    }

    /// Peer on owned records: prost decoding the value of the record it was given.
    #[divan::bench]
    fn peer_prost_decode_owned_record(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher.with_inputs(|| record.clone()).bench_local_values(|record| {
            let event = <UserUpdated as Message>::decode(black_box(&record.value[..])).expect("decodes");
            black_box(&event);
            record
        });
    }

    /// Breakdown: reading the context from the record alone, as the consumer does.
    #[divan::bench]
    fn part_context_read(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher
            .with_inputs(|| record.clone())
            .bench_local_values(|record| Context::read(black_box(record)).expect("valid envelope"));
    }

    /// Breakdown: reading an `Envelope` from a borrowed record (copying every attribute).
    #[divan::bench]
    fn part_envelope_from_record(bencher: Bencher) {
        let record = record_of(&user_updated(7));
        bencher.bench_local(|| {
            black_box(Envelope::from_record(black_box(&record)).expect("valid envelope"));
        });
    }

    /// Breakdown: the generated dispatcher on a context already read.
    #[divan::bench]
    fn part_dispatcher_from_context(bencher: Bencher) {
        let ctx = Context::read(record_of(&user_updated(7))).expect("valid envelope");
        let dispatcher = user_service::Dispatcher::new(Trivial);
        bencher.bench_local(|| {
            poll_once(pin!(dispatcher.dispatch(black_box(&ctx)))).expect("dispatched");
        });
    }
}

#[divan::bench_group(sample_count = 1000, sample_size = 20)]
mod avro {
    use super::*;

    /// BankError as its 1.0 producers wrote it: 1.1 added `relatedTransactionIds` and `context`,
    /// both with defaults, which a 1.1 reader fills in.
    #[derive(herald_runtime::serde::Serialize)]
    #[serde(crate = "herald_runtime::serde")]
    struct BankErrorV1_0 {
        #[serde(rename = "errorId", with = "herald_runtime::avro::uuid_string")]
        error_id: herald_runtime::uuid::Uuid,
        #[serde(rename = "accountId")]
        account_id: String,
        #[serde(rename = "occurredAt", with = "herald_runtime::avro::timestamp_millis")]
        occurred_at: herald_runtime::chrono::DateTime<herald_runtime::chrono::Utc>,
        severity: avro_types::Severity,
        code: String,
        message: Option<String>,
        operation: avro_types::BankErrorOperation,
    }

    /// The 1.0 writer schema: the current one without the two fields 1.1 added.
    fn writer_schema() -> Schema {
        let mut json: serde_json::Value =
            serde_json::from_str(avro_types::BankError::AVRO_SCHEMA).expect("embedded schema is JSON");
        let fields = json["fields"].as_array_mut().expect("a record");
        fields.retain(|f| !matches!(f["name"].as_str(), Some("relatedTransactionIds" | "context")));
        assert_eq!(fields.len(), 7);
        Schema::parse_str(&json.to_string()).expect("1.0 schema parses")
    }

    struct Fixture {
        reader: &'static Schema,
        writer: Schema,
        writer_fingerprint: u64,
        /// Single-object encoding: marker, the writer's fingerprint, the datum.
        payload: Vec<u8>,
    }

    fn fixture() -> Fixture {
        let reader = avro_types::BankError::avro_schema().expect("embedded schema parses");
        let writer = writer_schema();
        let writer_fingerprint = herald_runtime::avro::fingerprint(&writer);
        assert_ne!(writer_fingerprint, <avro_types::BankError as Event>::SCHEMA_FINGERPRINT);
        let old = BankErrorV1_0 {
            error_id: herald_runtime::uuid::Uuid::from_u128(0x6f1c_2e3a_9b4d_4c7e_8a21_0d5f_3b6e_9c12),
            account_id: "acct-0004-7715-2209".into(),
            occurred_at: herald_runtime::chrono::DateTime::from_timestamp_millis(1_795_000_000_123).expect("in range"),
            severity: avro_types::Severity::Error,
            code: "INSUFFICIENT_FUNDS".into(),
            message: Some("The card issuer declined the payment: insufficient funds".into()),
            operation: avro_types::BankErrorOperation::CardPayment(avro_types::CardPayment {
                card_last4: "4242".into(),
                amount: "129.99".parse().expect("a decimal"),
            }),
        };
        let payload = herald_runtime::avro::encode(&old, &writer, writer_fingerprint).expect("encodes");
        Fixture {
            reader,
            writer,
            writer_fingerprint,
            payload,
        }
    }

    /// herald, as generated code decodes: header check, the reader for the payload's writer
    /// looked up by fingerprint in a `Decoder` built once (both schemas' names resolved), the
    /// datum read with resolution, into the generated type.
    #[divan::bench]
    fn herald_decode_resolving(bencher: Bencher) {
        let f = fixture();
        let writers = [
            (<avro_types::BankError as Event>::SCHEMA_FINGERPRINT, f.reader.clone()),
            (f.writer_fingerprint, f.writer.clone()),
        ];
        let decoder = herald_runtime::avro::Decoder::new(f.reader, &writers).expect("readers");
        let check: avro_types::BankError = decoder.decode(&f.payload).expect("resolves");
        assert!(check.related_transaction_ids.is_empty() && check.context.is_empty());
        bencher.bench_local(|| {
            let event: avro_types::BankError = decoder.decode(black_box(&f.payload)).expect("resolves");
            black_box(&event);
        });
    }

    /// Breakdown: `avro::decode`, which builds the resolving reader on every call as the peer does.
    #[divan::bench]
    fn part_decode_building_the_reader_per_call(bencher: Bencher) {
        let f = fixture();
        let writers = [
            (<avro_types::BankError as Event>::SCHEMA_FINGERPRINT, f.reader),
            (f.writer_fingerprint, &f.writer),
        ];
        bencher.bench_local(|| {
            let event: avro_types::BankError =
                herald_runtime::avro::decode(black_box(&f.payload), f.reader, &writers).expect("resolves");
            black_box(&event);
        });
    }

    /// Peer: apache-avro's own resolving read of the same datum (without the 10-byte header), then
    /// `from_value` into the same type.
    #[divan::bench]
    fn peer_apache_avro_from_avro_datum(bencher: Bencher) {
        let f = fixture();
        bencher.bench_local(|| {
            let mut datum = black_box(&f.payload[10..]);
            #[allow(deprecated)] // 0.22's replacement, GenericDatumReader, is what herald calls
            let value =
                herald_runtime::apache_avro::from_avro_datum(&f.writer, &mut datum, Some(f.reader)).expect("resolves");
            let event: avro_types::BankError = herald_runtime::apache_avro::from_value(&value).expect("fits");
            black_box(&event);
        });
    }
}

mod transport {
    use super::*;

    const EVENTS: usize = 10_000;
    const KEYS: usize = 1_000;

    /// Counts handled events and wakes the shutdown once all are in.
    struct Counter {
        handled: AtomicUsize,
        all_in: tokio::sync::Notify,
    }

    struct Counting(Arc<Counter>);

    impl user_service::Handler for Counting {
        async fn on_user_updated(&self, ctx: &Context, event: UserUpdated) -> HandlerResult {
            black_box((ctx, &event));
            if self.0.handled.fetch_add(1, Ordering::Relaxed) + 1 == EVENTS {
                self.0.all_in.notify_one();
            }
            Ok(())
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    }

    /// 10,000 events over 1,000 keys (10 each, interleaved): published one after another while a
    /// consumer group handles them; timed until the last is handled, committed and the consumer
    /// has shut down.
    fn end_to_end(bencher: Bencher, partitions: u32) {
        let rt = runtime();
        let events: Arc<Vec<UserUpdated>> = Arc::new((0..EVENTS).map(|i| user_updated(i % KEYS)).collect());
        bencher
            .counter(ItemsCount::new(EVENTS))
            .with_inputs(|| {
                let transport = InMemoryTransport::new(MemoryConfig {
                    default_partitions: partitions,
                    ..MemoryConfig::default()
                });
                let counter = Arc::new(Counter {
                    handled: AtomicUsize::new(0),
                    all_in: tokio::sync::Notify::new(),
                });
                (transport, counter)
            })
            .bench_local_values(|(transport, counter)| {
                rt.block_on(async {
                    let consumer = Consumer::new(
                        transport.clone(),
                        user_service::Dispatcher::new(Counting(Arc::clone(&counter))),
                        ConsumerConfig::new("bench", [user_service::TOPIC]),
                    );
                    let all_in = Arc::clone(&counter);
                    let running = tokio::spawn(consumer.run(async move { all_in.all_in.notified().await }));
                    // The publisher is a task on the runtime too, so that only its two workers
                    // run (the machine has two cores).
                    let publisher = user_service::Publisher::new(Publisher::new(
                        transport.clone(),
                        Reliability::AtLeastOnce { retries: 3 },
                    ));
                    let events = Arc::clone(&events);
                    tokio::spawn(async move {
                        for event in events.iter() {
                            publisher.publish_user_updated(event).await.expect("published");
                        }
                    })
                    .await
                    .expect("the publisher task");
                    tokio::time::timeout(Duration::from_secs(120), running)
                        .await
                        .expect("the consumer finishes")
                        .expect("the consumer task")
                        .expect("a clean run");
                });
                assert_eq!(counter.handled.load(Ordering::Relaxed), EVENTS);
                let committed: u64 = (0..partitions)
                    .filter_map(|p| transport.committed("bench", user_service::TOPIC, p))
                    .sum();
                assert_eq!(committed, EVENTS as u64, "every offset committed");
                transport
            });
    }

    #[divan::bench(sample_count = 20, sample_size = 1)]
    fn herald_memory_1_partition(bencher: Bencher) {
        end_to_end(bencher, 1);
    }

    #[divan::bench(sample_count = 20, sample_size = 1)]
    fn herald_memory_16_partitions(bencher: Bencher) {
        end_to_end(bencher, 16);
    }
}
