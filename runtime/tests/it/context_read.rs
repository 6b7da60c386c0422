//! `Context::read` against a plain reading of the same headers, written for clarity instead of
//! speed: each attribute's last header, then the checks one after the other in attribute order.
//! Random header lists (attribute names, near misses and others, in any order and repeated;
//! values typical, empty, with whitespace, not UTF-8, times and versions good and bad) must be
//! read to the same attributes or refused for the same attribute with the same words.

use herald_runtime::cloudevents::headers as h;
use herald_runtime::transport::{Headers, Record};
use herald_runtime::{Context, Version};
use proptest::prelude::*;

/// The text attributes in the order their problems are reported, the four required first.
const TEXT: [&str; 11] = [
    h::ID,
    h::SOURCE,
    h::TYPE,
    h::SPEC_VERSION,
    h::CONTENT_TYPE,
    h::DATA_SCHEMA,
    h::SUBJECT,
    h::PARTITION_KEY,
    h::CORRELATION_ID,
    h::CAUSATION_ID,
    h::TRACEPARENT,
];

/// What a reading found: every text attribute (or none), the version and the time; or the
/// attribute refused and why.
type Reading = Result<(Vec<Option<String>>, Version, Option<chrono::DateTime<chrono::Utc>>), (String, String)>;

fn plain_reading(headers: &[(String, Vec<u8>)]) -> Reading {
    let last = |name: &str| headers.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_slice());
    let refuse = |attribute: &str, problem: String| Err((attribute.to_owned(), problem));
    let utf8 = |name: &str, v: &[u8]| {
        std::str::from_utf8(v)
            .map(str::to_owned)
            .map_err(|_| (name.to_owned(), "is not UTF-8".to_owned()))
    };
    // Without `ce_id` the record may be in structured mode, which the content type tells: it must
    // be text to tell.
    if let (None, Some(content_type)) = (last(h::ID), last(h::CONTENT_TYPE)) {
        utf8(h::CONTENT_TYPE, content_type)?;
    }
    let Some(version) = last(h::VERSION) else {
        return refuse(h::VERSION, "is missing".into());
    };
    let version_text = utf8(h::VERSION, version)?;
    let parsed = version_text.split_once('.').and_then(|(major, minor)| {
        let number = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        Some(Version::new(number(major)?, number(minor)?))
    });
    let Some(version) = parsed else {
        return refuse(h::VERSION, format!("`{version_text}` is not MAJOR.MINOR"));
    };
    let time = match last(h::TIME) {
        None => None,
        Some(t) => {
            let t = utf8(h::TIME, t)?;
            match chrono::DateTime::parse_from_rfc3339(&t) {
                Ok(time) => Some(time.with_timezone(&chrono::Utc)),
                Err(e) => return refuse(h::TIME, format!("`{t}` is not RFC 3339: {e}")),
            }
        }
    };
    let mut text = Vec::new();
    for (i, name) in TEXT.iter().enumerate() {
        match last(name) {
            None if i < 4 => return refuse(name, "is missing".into()),
            None => text.push(None),
            Some(v) => text.push(Some(utf8(name, v)?)),
        }
    }
    let value = |i: usize| text[i].clone().unwrap_or_default();
    let (id, source, event_type, spec_version) = (value(0), value(1), value(2), value(3));
    if id.is_empty() {
        return refuse("id", "is empty".into());
    }
    if source.is_empty() || source.chars().any(char::is_whitespace) {
        return refuse("source", format!("`{source}` is not a URI reference"));
    }
    if event_type.is_empty() {
        return refuse("type", "is empty".into());
    }
    if spec_version != "1.0" {
        return refuse("specversion", format!("`{spec_version}` is not 1.0"));
    }
    Ok((text, version, time))
}

fn herald_reading(headers: &[(String, Vec<u8>)]) -> Reading {
    let record = Record {
        topic: "t".into(),
        headers: headers.iter().map(|(n, v)| (n, v)).collect::<Headers>(),
        value: b"payload".to_vec(),
        ..Record::default()
    };
    match Context::read(record.clone()) {
        Err(unreadable) => {
            assert_eq!(unreadable.record, record, "an unreadable record comes back as it was");
            Err((unreadable.error.attribute.to_owned(), unreadable.error.problem))
        }
        Ok(ctx) => {
            let text = vec![
                Some(ctx.id().to_owned()),
                Some(ctx.source().to_owned()),
                Some(ctx.event_type().to_owned()),
                Some(ctx.spec_version().to_owned()),
                ctx.data_content_type().map(str::to_owned),
                ctx.data_schema().map(str::to_owned),
                ctx.subject().map(str::to_owned),
                ctx.partition_key().map(str::to_owned),
                ctx.correlation_id().map(str::to_owned),
                ctx.causation_id().map(str::to_owned),
                ctx.traceparent().map(str::to_owned),
            ];
            assert_eq!(ctx.data(), b"payload");
            assert_eq!(ctx.record(), &record, "the record is kept as it came");
            Ok((text, ctx.version(), ctx.time()))
        }
    }
}

fn name() -> impl Strategy<Value = String> {
    let attribute = proptest::sample::select(
        TEXT.iter()
            .chain(&[h::TIME, h::VERSION, h::VERSION, h::TIME])
            .copied()
            .collect::<Vec<_>>(),
    );
    prop_oneof![
        6 => attribute.prop_map(str::to_owned),
        1 => proptest::sample::select(vec!["ce_ID", "ce_idx", "ce_", "x-trace", "ce_types", "content_type", "ce_sourc", "Content-Type"]).prop_map(str::to_owned),
        1 => "[a-z_-]{0,18}",
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            "1.0", "0.3", "2.13", "1", "1.2.3", ".5", "a.b", "4294967296.0", "01.00",
            "2026-11-26T10:00:00Z", "2026-11-26T10:00:00.123456Z", "2024-02-29T23:59:59.999999999Z",
            "2023-02-29T00:00:00Z", "2026-11-26T10:00:00+02:00", "2016-12-31T23:59:60Z",
            "2026-11-26t10:00:00z", "2026-11-26T24:00:00Z", "2026-11-26T10:00:00.Z",
            "user-service", "has space", "tab\there", "urn:x:y", "acme.user.v1.UserUpdated",
            "application/protobuf", "application/avro", "application/protobuf; x=1", "",
            "0a1b2c3d-4e5f-6789-abcd-ef0123456789", "caf\u{e9}", "no\u{a0}break", "em\u{2003}space",
        ]).prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let required = Just(vec![
        (h::ID.to_owned(), b"1".to_vec()),
        (h::SOURCE.to_owned(), b"svc".to_vec()),
        (h::TYPE.to_owned(), b"a.B".to_vec()),
        (h::SPEC_VERSION.to_owned(), b"1.0".to_vec()),
        (h::VERSION.to_owned(), b"1.0".to_vec()),
    ]);
    // Often a valid envelope with random headers added and some removed, so both outcomes occur.
    (
        required,
        proptest::collection::vec((name(), value()), 0..12),
        proptest::collection::vec(any::<bool>(), 5),
    )
        .prop_map(|(required, extra, keep)| {
            let mut all: Vec<_> = required
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(h, _)| h)
                .collect();
            all.extend(extra);
            all
        })
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn context_read_agrees_with_a_plain_reading(headers in headers()) {
        // Structured mode is read from the JSON payload, not the headers: not this test's concern.
        let structured = headers.iter().rev().find(|(n, _)| n == h::CONTENT_TYPE)
            .is_some_and(|(_, v)| v.starts_with(b"application/cloudevents+json"));
        prop_assume!(!structured);
        prop_assert_eq!(herald_reading(&headers), plain_reading(&headers));
    }
}
