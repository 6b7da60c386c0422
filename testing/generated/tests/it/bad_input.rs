//! Bad input through the generated code for the example schemas: wrong content type, garbage
//! payloads, truncated and unknown single-object headers, future MAJOR versions, malformed
//! envelopes. Each is a typed error naming what is wrong; run through a consumer, every record
//! ends handled or dead-lettered with its reason, and every offset is committed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use herald_runtime::{dead_letter, Consumer, ConsumerConfig, InMemoryTransport, Metrics, Publisher, Reliability};

use herald_generated_tests::accounting::types::BankError;
use herald_generated_tests::avro::acme::accounting as avro_types;
use herald_generated_tests::user_service;
use herald_generated_tests::user_service::types::UserUpdated;
use herald_runtime::cloudevents::headers;
use herald_runtime::transport::{Acks, Headers, Record, Transport};
use herald_runtime::{Context, DispatchError, Envelope, Event, HandlerResult, Publish, Version};

#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl user_service::Handler for Counting {
    async fn on_user_updated(&self, _ctx: &Context, _event: UserUpdated) -> HandlerResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn user(id: &str) -> UserUpdated {
    UserUpdated {
        user_id: id.into(),
        ..Default::default()
    }
}

fn bank_error() -> BankError {
    BankError {
        error_id: herald_runtime::uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        account_id: "acc-1".into(),
        occurred_at: herald_runtime::chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap_or_default(),
        severity: avro_types::Severity::Fatal,
        code: "E1".into(),
        message: None,
        operation: avro_types::BankErrorOperation::CardPayment(avro_types::CardPayment {
            card_last4: "4242".into(),
            amount: "1.00".parse().expect("decimal"),
        }),
        related_transaction_ids: Vec::new(),
        context: Default::default(),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Dispatches an envelope as the consumer would: sent as a record, read as a context.
fn dispatch(envelope: &Envelope) -> Result<(), DispatchError> {
    let mut record = record(envelope.to_headers());
    record.value = envelope.data.clone();
    let ctx = Context::read(record).map_err(|u| u.error).expect("a valid envelope");
    block_on(user_service::Dispatcher::new(Counting::default()).dispatch(&ctx))
}

fn decode_error(result: Result<(), DispatchError>) -> String {
    match result {
        Err(DispatchError::Decode { error, .. }) => error.to_string(),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_good_envelope_reaches_the_handler() {
    let envelope = Envelope::wrap(&user("u-1"), user_service::SOURCE).expect("wraps");
    assert!(dispatch(&envelope).is_ok());
}

#[test]
fn wrong_content_type_is_a_decode_error_naming_both_types() {
    let mut envelope = Envelope::wrap(&user("u-1"), user_service::SOURCE).expect("wraps");
    envelope.data_content_type = Some(herald_runtime::CONTENT_TYPE_AVRO.into());
    let message = decode_error(dispatch(&envelope));
    assert!(
        message.contains("application/avro") && message.contains("application/protobuf"),
        "{message}"
    );
    // Parameters and case do not matter; an absent content type means the event's own.
    envelope.data_content_type = Some("Application/Protobuf; charset=binary".into());
    assert!(dispatch(&envelope).is_ok());
    envelope.data_content_type = None;
    assert!(dispatch(&envelope).is_ok());
}

#[test]
fn garbage_protobuf_payload_is_a_decode_error() {
    let mut envelope = Envelope::wrap(&user("u-1"), user_service::SOURCE).expect("wraps");
    for garbage in [vec![0xff; 16], vec![0x0a, 0x80], vec![0x0a, 0x05, b'a']] {
        envelope.data = garbage;
        let message = decode_error(dispatch(&envelope));
        assert!(message.contains("protobuf"), "{message}");
    }
}

#[test]
fn avro_single_object_errors_say_what_is_wrong() {
    let good = bank_error().encode().expect("encodes");
    assert_eq!(BankError::decode(&good).expect("decodes"), bank_error());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "shorter than its 10-byte header"),
        (good[..7].to_vec(), "shorter than its 10-byte header"),
        ([&[0x00, 0x01][..], &good[2..]].concat(), "expected c3 01"),
        (
            [&good[..2], &[0u8; 8][..], &good[10..]].concat(),
            "unknown writer schema fingerprint",
        ),
        (good[..good.len() - 3].to_vec(), "invalid Avro datum"),
        ([&good[..10], &[0xff; 12][..]].concat(), "invalid Avro datum"),
    ];
    for (payload, expected) in cases {
        let err = BankError::decode(&payload).expect_err("refused");
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
}

#[test]
fn a_future_major_is_refused_with_the_majors_handled() {
    let mut envelope = Envelope::wrap(&user("u-1"), user_service::SOURCE).expect("wraps");
    envelope.version = Version::new(2, 0);
    match dispatch(&envelope) {
        Err(DispatchError::UnknownMajor { major, known, .. }) => {
            assert_eq!(major, 2);
            assert_eq!(known, &[1]);
        }
        other => panic!("expected UnknownMajor, got {other:?}"),
    }
    // A newer MINOR of the same MAJOR is read by this reader.
    envelope.version = Version::new(1, 99);
    assert!(dispatch(&envelope).is_ok());
}

fn record(headers: Headers) -> Record {
    Record {
        topic: "t".into(),
        partition: 0,
        offset: 0,
        key: None,
        headers,
        value: Vec::new(),
    }
}

#[test]
fn malformed_envelope_headers_name_the_attribute() {
    let good = Envelope::wrap(&user("u-1"), user_service::SOURCE)
        .expect("wraps")
        .to_headers();
    let without = |name: &str| good.iter().filter(|(k, _)| *k != name).collect::<Headers>();
    let with = |name: &str, value: &[u8]| {
        let mut h = without(name);
        h.push(name, value);
        h
    };
    let cases = [
        (without(headers::ID), headers::ID),
        (without(headers::SOURCE), headers::SOURCE),
        (without(headers::TYPE), headers::TYPE),
        (without(headers::SPEC_VERSION), headers::SPEC_VERSION),
        (without(headers::VERSION), headers::VERSION),
        (with(headers::VERSION, b"v1"), headers::VERSION),
        (with(headers::SPEC_VERSION, b"0.3"), "specversion"),
        (with(headers::TIME, b"yesterday"), headers::TIME),
        (with(headers::ID, &[0xff, 0xfe]), headers::ID),
        (with(headers::SOURCE, b"has spaces in it"), "source"),
        (with(headers::TYPE, b""), "type"),
    ];
    assert!(Envelope::from_record(&record(good.clone())).is_ok());
    for (headers, attribute) in cases {
        let err = Envelope::from_record(&record(headers)).expect_err("refused");
        assert_eq!(err.attribute, attribute, "{err}");
    }
}

/// Good events, garbage, a wrong content type, a future MAJOR and a record with no envelope, all
/// on one topic: every record ends handled or dead-lettered with a reason, and all are committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_bad_records_flow_with_good_ones() {
    let transport = InMemoryTransport::default();
    let publisher = Publisher::new(transport.clone(), Reliability::AtLeastOnce { retries: 2 });
    let mut expected_dead = 0;
    for i in 0..20 {
        let mut envelope = Envelope::wrap(&user(&format!("u-{i}")), user_service::SOURCE).expect("wraps");
        match i % 5 {
            1 => {
                envelope.data = vec![0xff; 8];
                expected_dead += 1;
            }
            2 => {
                envelope.data_content_type = Some("application/json".into());
                expected_dead += 1;
            }
            3 => {
                envelope.version = Version::new(7, 0);
                expected_dead += 1;
            }
            _ => {}
        }
        publisher.send(user_service::TOPIC, envelope).await.expect("published");
    }
    transport
        .send(
            user_service::TOPIC,
            Some(b"raw"),
            Headers::new(),
            b"no envelope".to_vec(),
            Acks::All,
        )
        .await
        .expect("raw record");
    expected_dead += 1;
    let total = 21;

    let handled = Counting::default();
    let mut config = ConsumerConfig::new("bad-input", [user_service::TOPIC]);
    config.initial_backoff = Duration::from_millis(1);
    let consumer = Consumer::new(
        transport.clone(),
        user_service::Dispatcher::new(handled.clone()),
        config,
    );
    let metrics = consumer.metrics();
    let m = Arc::clone(&metrics);
    let stop = async move {
        while (Metrics::get(&m.handled) + Metrics::get(&m.dead_lettered)) < total {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), consumer.run(stop))
        .await
        .expect("finishes")
        .expect("runs clean");

    assert_eq!(handled.0.load(Ordering::SeqCst), total as usize - expected_dead);
    let dead = transport.records(&format!("{}.dlq", user_service::TOPIC));
    assert_eq!(dead.len(), expected_dead);
    for r in &dead {
        let reason = r
            .headers
            .last(dead_letter::REASON)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        assert!(!reason.is_empty(), "every dead letter says why");
    }
    let committed: u64 = (0..4)
        .filter_map(|p| transport.committed("bad-input", user_service::TOPIC, p))
        .sum();
    assert_eq!(committed, total, "every record committed once accounted for");
}

#[test]
fn a_structured_mode_record_reaches_the_handler_and_bad_json_is_located() {
    let envelope = Envelope::wrap(&user("u-9"), user_service::SOURCE).expect("wraps");
    let content_type = || {
        [(
            headers::CONTENT_TYPE,
            herald_runtime::cloudevents::CONTENT_TYPE_CLOUDEVENTS_JSON.as_bytes(),
        )]
        .into_iter()
        .collect()
    };
    let mut structured = record(content_type());
    structured.value = envelope.to_json(false).into_bytes();
    let read = Envelope::from_record(&structured).expect("structured mode");
    assert_eq!(read, envelope);
    assert!(dispatch(&read).is_ok());

    structured.value = b"{\"specversion\": \"1.0\",\n \"id\": }".to_vec();
    let err = Envelope::from_record(&structured).expect_err("refused");
    assert!(err.problem.contains("line 2"), "{err}");
}
