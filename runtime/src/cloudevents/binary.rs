//! CloudEvents binary mode: the envelope's attributes as record headers (`ce_id`, `ce_source`,
//! `ce_type`, ...), the payload as the record's value. [`Envelope::to_headers`] and
//! [`Envelope::into_outgoing`] write them; [`locate`] finds and checks them in a received record
//! without copying anything, for [`crate::Context`].

use super::headers;
use super::time::{parse_time, parse_utc_fast, utc_valid};
use crate::envelope::{invalid, media_type, Envelope, EnvelopeError};
use crate::event::Version;
use crate::transport::{Headers, Outgoing, Record};
use crate::CLOUDEVENTS_SPEC_VERSION;

impl Envelope {
    /// The envelope as a record's headers (binary mode); the payload is the record's value.
    pub fn to_headers(&self) -> Headers {
        let headers = binary_headers(
            [
                self.id.clone(),
                self.source.clone(),
                self.event_type.clone(),
                self.spec_version.clone(),
            ],
            self.version,
            self.time,
            [
                self.data_content_type.clone(),
                self.data_schema.clone(),
                self.subject.clone(),
                self.partition_key.clone(),
                self.correlation_id.clone(),
                self.causation_id.clone(),
                self.traceparent.clone(),
            ],
        );
        headers.into_iter().collect()
    }

    /// The envelope as a record to send (binary mode), moving its strings and payload into the
    /// record instead of copying them as [`Envelope::to_headers`] does: the same headers in the
    /// same order, the partition key as the key.
    pub fn into_outgoing(self) -> Outgoing {
        let key = self.partition_key.as_ref().map(|k| k.clone().into_bytes());
        let headers = binary_headers(
            [self.id, self.source, self.event_type, self.spec_version],
            self.version,
            self.time,
            [
                self.data_content_type,
                self.data_schema,
                self.subject,
                self.partition_key,
                self.correlation_id,
                self.causation_id,
                self.traceparent,
            ],
        );
        Outgoing {
            key,
            headers: headers.into_iter().map(|(n, v)| (n.into(), v)).collect(),
            value: self.data,
        }
    }
}

/// Binary-mode headers: `ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_version`, then
/// those of `ce_time`, `content-type`, `ce_dataschema`, `ce_subject`, `ce_partitionkey`,
/// `ce_correlationid`, `ce_causationid` and `ce_traceparent` that are set.
fn binary_headers(
    [id, source, event_type, spec_version]: [String; 4],
    version: crate::Version,
    time: Option<chrono::DateTime<chrono::Utc>>,
    [content_type, data_schema, subject, partition_key, correlation_id, causation_id, traceparent]: [Option<String>; 7],
) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::with_capacity(13);
    out.extend([
        (headers::ID, id.into_bytes()),
        (headers::SOURCE, source.into_bytes()),
        (headers::TYPE, event_type.into_bytes()),
        (headers::SPEC_VERSION, spec_version.into_bytes()),
        (headers::VERSION, version.to_string().into_bytes()),
    ]);
    let optional = [
        (headers::TIME, time.map(super::time::format)),
        (headers::CONTENT_TYPE, content_type),
        (headers::DATA_SCHEMA, data_schema),
        (headers::SUBJECT, subject),
        (headers::PARTITION_KEY, partition_key),
        (headers::CORRELATION_ID, correlation_id),
        (headers::CAUSATION_ID, causation_id),
        (headers::TRACEPARENT, traceparent),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            out.push((name, v.into_bytes()));
        }
    }
    out
}

/// Where a record's envelope is, once checked: the header of each attribute (binary mode), or
/// the attributes decoded (structured mode).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Located {
    Headers {
        /// The index of each attribute's header, in [`Slot`] order ([`ABSENT`] when there is
        /// none); every text attribute's value is UTF-8.
        at: [u16; Slot::COUNT],
        version: Version,
        time: Time,
        payload: Payload,
    },
    Decoded(Box<Envelope>),
}

/// What `datacontenttype` says the payload is, told apart once when the record is read: herald's
/// two payload formats as its publishers write them, none, or anything else (compared when asked).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Payload {
    Unsaid,
    Protobuf,
    Avro,
    Other,
}

impl Payload {
    fn of(content_type: Option<&[u8]>) -> Payload {
        match content_type {
            None => Payload::Unsaid,
            Some(v) if is_exactly(v, b"application/protobuf") => Payload::Protobuf,
            Some(v) if is_exactly(v, b"application/avro") => Payload::Avro,
            Some(_) => Payload::Other,
        }
    }
}

/// `ce_time`, checked: read from its header when asked for (the form publishers write, checked
/// without building the date), or parsed when read (any other RFC 3339 form).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Time {
    Absent,
    InHeader,
    Parsed(chrono::DateTime<chrono::Utc>),
}

/// No header for this attribute.
pub(crate) const ABSENT: u16 = u16::MAX;

/// The value of an attribute's header, found by [`locate`] (and checked there).
#[inline]
pub(crate) fn header_value<'r>(record: &'r Record, at: &[u16; Slot::COUNT], slot: Slot) -> Option<&'r [u8]> {
    record.headers.value(usize::from(*at.get(slot as usize)?))
}

/// The time [`locate`] found.
pub(crate) fn time_of(record: &Record, at: &[u16; Slot::COUNT], time: Time) -> Option<chrono::DateTime<chrono::Utc>> {
    match time {
        Time::Absent => None,
        Time::InHeader => header_value(record, at, Slot::Time).and_then(parse_utc_fast),
        Time::Parsed(time) => Some(time),
    }
}

/// Finds and checks a record's envelope without copying anything: one pass over the header names,
/// then each attribute's value checked (UTF-8, presence, formats) in attribute order, so the first
/// problem reported is the same whatever the header order. A header given more than once counts
/// with its last value.
pub(crate) fn locate(record: &Record) -> Result<Located, EnvelopeError> {
    let (bytes, ends) = (record.headers.bytes(), record.headers.ends());
    if ends.len() >= usize::from(ABSENT) {
        return Err(invalid(
            "(headers)",
            format!("{} headers, more than 65,534", ends.len()),
        ));
    }
    let mut at = [ABSENT; Slot::COUNT];
    let mut start = 0;
    for (i, &(name_end, value_end)) in ends.iter().enumerate() {
        if let Some(slot) = bytes.get(start..name_end).and_then(Slot::of) {
            // Fewer than 65,535 headers, as checked above.
            at[slot as usize] = i as u16;
        }
        start = value_end;
    }
    let value = |slot: Slot| header_value(record, &at, slot);
    if at[Slot::Id as usize] == ABSENT {
        if let Some(t) = value(Slot::ContentType) {
            let t = std::str::from_utf8(t).map_err(|_| invalid(Slot::ContentType.header(), "is not UTF-8"))?;
            if media_type(t).eq_ignore_ascii_case(super::CONTENT_TYPE_CLOUDEVENTS_JSON) {
                return Envelope::from_json(&record.value).map(|e| Located::Decoded(Box::new(e)));
            }
        }
    }
    let (version, time) = version_and_time(value(Slot::Version), value(Slot::Time))?;
    // Headers are usually ASCII throughout: then one pass over them all has checked every value,
    // and only the required attributes' presence is left to check.
    let ascii = is_ascii(bytes);
    let checked = if ascii { &Slot::TEXT[..4] } else { &Slot::TEXT[..] };
    for &slot in checked {
        if at[slot as usize] == ABSENT && slot.required() {
            return Err(invalid(slot.header(), "is missing"));
        }
        if !ascii && value(slot).is_some_and(|v| std::str::from_utf8(v).is_err()) {
            return Err(invalid(slot.header(), "is not UTF-8"));
        }
    }
    let required = |slot: Slot| value(slot).unwrap_or_default();
    check_required(
        required(Slot::Id),
        required(Slot::Source),
        required(Slot::Type),
        required(Slot::SpecVersion),
    )?;
    let payload = Payload::of(value(Slot::ContentType));
    Ok(Located::Headers {
        at,
        version,
        time,
        payload,
    })
}

/// `name` as an array of `N` bytes, for [`is_exactly`]; evaluated when compiling, where a name of
/// another length is an error.
const fn fixed<const N: usize>(name: &str) -> [u8; N] {
    let bytes = name.as_bytes();
    assert!(bytes.len() == N, "a header name of another length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Whether `bytes` are `expected`: a comparison of a length known when compiling (a few loads, no
/// call).
fn is_exactly<const N: usize>(bytes: &[u8], expected: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(bytes).is_ok_and(|bytes| bytes == expected)
}

/// Whether every byte is ASCII: sixteen at a time, the last sixteen overlapping the ones before
/// (what `<[u8]>::is_ascii` does byte by byte for a buffer this short).
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;
    let word = |chunk: &[u8]| <[u8; 16]>::try_from(chunk).map_or(HIGH, u128::from_ne_bytes);
    let Some(last) = bytes.len().checked_sub(16).and_then(|at| bytes.get(at..)) else {
        return bytes.is_ascii();
    };
    let all = bytes.chunks_exact(16).fold(word(last), |all, chunk| all | word(chunk));
    all & HIGH == 0
}

/// The attribute checks shared by [`Envelope::validate`] and the record readers, on the values'
/// bytes (UTF-8 already checked).
#[inline]
pub(crate) fn check_required(
    id: &[u8],
    source: &[u8],
    event_type: &[u8],
    spec_version: &[u8],
) -> Result<(), EnvelopeError> {
    // Whitespace is a byte up to 0x20 in ASCII (what `char::is_whitespace` is there), or a
    // character beyond it: a source with neither has none, checked eight bytes at a time.
    let plain_source = !source.is_empty() && !has_control_space_or_non_ascii(source);
    if !id.is_empty() && plain_source && !event_type.is_empty() && spec_version == CLOUDEVENTS_SPEC_VERSION.as_bytes() {
        return Ok(());
    }
    required_problem(id, source, event_type, spec_version)
}

/// Which of [`check_required`]'s checks fails, in attribute order.
#[cold]
fn required_problem(id: &[u8], source: &[u8], event_type: &[u8], spec_version: &[u8]) -> Result<(), EnvelopeError> {
    if id.is_empty() {
        return Err(invalid("id", "is empty"));
    }
    let source_text = String::from_utf8_lossy(source);
    if source.is_empty() || source_text.chars().any(char::is_whitespace) {
        return Err(invalid("source", format!("`{source_text}` is not a URI reference")));
    }
    if event_type.is_empty() {
        return Err(invalid("type", "is empty"));
    }
    if spec_version != CLOUDEVENTS_SPEC_VERSION.as_bytes() {
        let spec_version = String::from_utf8_lossy(spec_version);
        return Err(invalid("specversion", format!("`{spec_version}` is not 1.0")));
    }
    Ok(())
}

/// Whether a byte is at most 0x20 (a space or control character) or not ASCII.
fn has_control_space_or_non_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Per byte: below 0x21 (the subtraction borrows into the high bit of a byte that was not
    // already high), or high. Exact as an answer for the whole word.
    let special = |chunk: &[u8]| {
        <[u8; 8]>::try_from(chunk)
            .map(u64::from_le_bytes)
            .map_or(true, |w| (w.wrapping_sub(ONES * 0x21) & !w | w) & (ONES * 0x80) != 0)
    };
    match bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)) {
        // Eight at a time, the last eight overlapping the ones before.
        Some(last) => special(last) || bytes.chunks_exact(8).any(special),
        None => bytes.iter().any(|&b| b <= b' ' || !b.is_ascii()),
    }
}

/// `ce_version` (required) and `ce_time` (optional) from their header values.
fn version_and_time(version: Option<&[u8]>, time: Option<&[u8]>) -> Result<(Version, Time), EnvelopeError> {
    use crate::cloudevents::headers as h;
    fn utf8<'a>(v: &'a [u8], header: &'static str) -> Result<&'a str, EnvelopeError> {
        std::str::from_utf8(v).map_err(|_| invalid(header, "is not UTF-8"))
    }
    let version_bytes = version.ok_or_else(|| invalid(h::VERSION, "is missing"))?;
    let version = match Version::from_ascii(version_bytes) {
        Some(version) => version,
        None => {
            let text = utf8(version_bytes, h::VERSION)?;
            return Err(invalid(h::VERSION, format!("`{text}` is not MAJOR.MINOR")));
        }
    };
    let time = match time {
        None => Time::Absent,
        Some(t) if utc_valid(t) => Time::InHeader,
        Some(t) => Time::Parsed(parse_time(utf8(t, h::TIME)?)?),
    };
    Ok((version, time))
}

/// The attribute headers a record's envelope is read from.
///
/// The text attributes come first, in [`Slot::TEXT`] order, so that `slot as usize` indexes
/// both what one pass over the headers finds and [`Located::Headers`].
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Id,
    Source,
    Type,
    SpecVersion,
    ContentType,
    DataSchema,
    Subject,
    PartitionKey,
    CorrelationId,
    CausationId,
    Traceparent,
    Time,
    Version,
}

impl Slot {
    const COUNT: usize = 13;
    /// The text attributes, in the order their problems are reported (the four required first,
    /// which [`locate`] relies on).
    pub(crate) const TEXT: [Slot; 11] = [
        Slot::Id,
        Slot::Source,
        Slot::Type,
        Slot::SpecVersion,
        Slot::ContentType,
        Slot::DataSchema,
        Slot::Subject,
        Slot::PartitionKey,
        Slot::CorrelationId,
        Slot::CausationId,
        Slot::Traceparent,
    ];

    /// The attribute a header name is the header of. The length and the fifth byte tell the
    /// attribute headers apart; one comparison of a known length (a few loads, no call) confirms.
    fn of(name: &[u8]) -> Option<Slot> {
        // The names of [`headers`] as arrays of their length (a wrong length fails to compile).
        const ID: [u8; 5] = fixed(headers::ID);
        const SOURCE: [u8; 9] = fixed(headers::SOURCE);
        const TYPE: [u8; 7] = fixed(headers::TYPE);
        const TIME: [u8; 7] = fixed(headers::TIME);
        const SPEC_VERSION: [u8; 14] = fixed(headers::SPEC_VERSION);
        const CAUSATION_ID: [u8; 14] = fixed(headers::CAUSATION_ID);
        const TRACEPARENT: [u8; 14] = fixed(headers::TRACEPARENT);
        const CONTENT_TYPE: [u8; 12] = fixed(headers::CONTENT_TYPE);
        const DATA_SCHEMA: [u8; 13] = fixed(headers::DATA_SCHEMA);
        const SUBJECT: [u8; 10] = fixed(headers::SUBJECT);
        const VERSION: [u8; 10] = fixed(headers::VERSION);
        const PARTITION_KEY: [u8; 15] = fixed(headers::PARTITION_KEY);
        const CORRELATION_ID: [u8; 16] = fixed(headers::CORRELATION_ID);
        let (slot, known) = match (name.len(), name.get(4)) {
            (5, _) => (Slot::Id, is_exactly(name, &ID)),
            (9, _) => (Slot::Source, is_exactly(name, &SOURCE)),
            (7, Some(b'y')) => (Slot::Type, is_exactly(name, &TYPE)),
            (7, Some(b'i')) => (Slot::Time, is_exactly(name, &TIME)),
            (14, Some(b'p')) => (Slot::SpecVersion, is_exactly(name, &SPEC_VERSION)),
            (14, Some(b'a')) => (Slot::CausationId, is_exactly(name, &CAUSATION_ID)),
            (14, Some(b'r')) => (Slot::Traceparent, is_exactly(name, &TRACEPARENT)),
            (12, _) => (Slot::ContentType, is_exactly(name, &CONTENT_TYPE)),
            (13, _) => (Slot::DataSchema, is_exactly(name, &DATA_SCHEMA)),
            (10, Some(b'u')) => (Slot::Subject, is_exactly(name, &SUBJECT)),
            (10, Some(b'e')) => (Slot::Version, is_exactly(name, &VERSION)),
            (15, _) => (Slot::PartitionKey, is_exactly(name, &PARTITION_KEY)),
            (16, _) => (Slot::CorrelationId, is_exactly(name, &CORRELATION_ID)),
            _ => return None,
        };
        known.then_some(slot)
    }

    fn required(self) -> bool {
        matches!(self, Slot::Id | Slot::Source | Slot::Type | Slot::SpecVersion)
    }

    fn header(self) -> &'static str {
        use crate::cloudevents::headers as h;
        match self {
            Slot::Id => h::ID,
            Slot::Source => h::SOURCE,
            Slot::Type => h::TYPE,
            Slot::SpecVersion => h::SPEC_VERSION,
            Slot::Time => h::TIME,
            Slot::ContentType => h::CONTENT_TYPE,
            Slot::DataSchema => h::DATA_SCHEMA,
            Slot::Subject => h::SUBJECT,
            Slot::Version => h::VERSION,
            Slot::PartitionKey => h::PARTITION_KEY,
            Slot::CorrelationId => h::CORRELATION_ID,
            Slot::CausationId => h::CAUSATION_ID,
            Slot::Traceparent => h::TRACEPARENT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudevents::headers as h;
    use crate::transport::{Headers, Record};

    fn record(headers: &[(&str, &[u8])]) -> Record {
        Record {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            key: None,
            headers: headers.iter().copied().collect(),
            value: b"payload".to_vec(),
        }
    }

    const MINIMAL: [(&str, &[u8]); 5] = [
        (h::ID, b"1"),
        (h::SOURCE, b"svc"),
        (h::TYPE, b"a.B"),
        (h::SPEC_VERSION, b"1.0"),
        (h::VERSION, b"1.2"),
    ];

    #[test]
    fn round_trips_through_headers_and_the_last_repeated_header_wins() -> Result<(), EnvelopeError> {
        let mut envelope = Envelope::from_record(&record(&MINIMAL))?;
        envelope.time = chrono::DateTime::from_timestamp_micros(1_795_000_000_123_456);
        envelope.data_content_type = Some("application/protobuf".into());
        envelope.data_schema = Some("urn:schema".into());
        envelope.subject = Some("subject".into());
        envelope.partition_key = Some("key".into());
        envelope.correlation_id = Some("corr".into());
        envelope.causation_id = Some("cause".into());
        envelope.traceparent = Some("00-1-2-01".into());
        let mut r = record(&[]);
        r.headers = envelope.to_headers();
        r.value = envelope.data.clone();
        assert_eq!(Envelope::from_record(&r)?, envelope);
        r.headers.push(h::SUBJECT, b"later");
        r.headers.push("ce_unknown", b"ignored");
        assert_eq!(Envelope::from_record(&r)?.subject.as_deref(), Some("later"));
        Ok(())
    }

    #[test]
    fn a_context_reads_as_from_record_does_and_keeps_the_record_as_it_came() -> Result<(), EnvelopeError> {
        let mut headers = MINIMAL.to_vec();
        headers.insert(0, (h::SUBJECT, b"first"));
        headers.extend([
            ("x-other", &b"kept"[..]),
            (h::SUBJECT, b"second"),
            (h::TIME, b"2026-11-26T10:00:00.123456Z"),
            (h::CONTENT_TYPE, b"application/protobuf; x=1"),
            (h::PARTITION_KEY, b""),
            (h::TRACEPARENT, b"\xff"),
            (h::TRACEPARENT, b"00-1-2-01"),
        ]);
        let original = record(&headers);
        let ctx = crate::Context::read(original.clone()).map_err(|u| u.error)?;
        let envelope = Envelope::from_record(&original)?;
        assert_eq!(ctx.to_envelope(), envelope);
        assert_eq!(ctx.subject(), Some("second"));
        assert_eq!(ctx.partition_key(), Some(""));
        assert_eq!(ctx.traceparent(), Some("00-1-2-01"));
        assert_eq!(ctx.data_content_type(), Some("application/protobuf; x=1"));
        assert_eq!(ctx.correlation_id(), None);
        assert_eq!(
            (ctx.id(), ctx.source(), ctx.event_type(), ctx.spec_version()),
            ("1", "svc", "a.B", "1.0")
        );
        assert_eq!(ctx.version(), Version::new(1, 2));
        assert_eq!(ctx.time(), envelope.time);
        assert_eq!(ctx.data(), b"payload");
        assert_eq!(ctx.into_record(), original);

        // Structured mode: read from the JSON value, the record kept as it came.
        let mut structured = record(&[(h::CONTENT_TYPE, b"application/cloudevents+json; charset=utf-8")]);
        structured.value = envelope.to_json(false).into_bytes();
        let ctx = crate::Context::read(structured.clone()).map_err(|u| u.error)?;
        assert_eq!(ctx.to_envelope(), envelope);
        assert_eq!(ctx.subject(), Some("second"));
        assert_eq!(ctx.data(), b"payload");
        assert_eq!(ctx.record(), &structured);

        // An envelope made in the process.
        let ctx = crate::Context::from_envelope(envelope.clone());
        assert_eq!(
            (ctx.id(), ctx.subject(), ctx.data()),
            ("1", Some("second"), &b"payload"[..])
        );
        assert_eq!(ctx.to_envelope(), envelope);
        Ok(())
    }

    #[test]
    fn an_unreadable_record_comes_back_as_it_was() {
        let mut bad = MINIMAL.to_vec();
        bad.push((h::TRACEPARENT, b"\xff"));
        let mut repeated = bad.clone();
        repeated.push((h::TRACEPARENT, b"00-1-2-01"));
        repeated.push((h::SOURCE, b"has space"));
        let mut good_then_bad = MINIMAL.to_vec();
        good_then_bad.push((h::SUBJECT, b"fine"));
        good_then_bad.push((h::SUBJECT, b"\xfe"));
        let mut bad_time = MINIMAL.to_vec();
        bad_time.push((h::TIME, b"\xff"));
        for headers in [
            bad,
            repeated,
            good_then_bad,
            bad_time,
            vec![(h::VERSION, &b"1.0"[..])],
            MINIMAL[..4].to_vec(),
            vec![(h::CONTENT_TYPE, &b"\xff"[..])],
            vec![
                (h::SPEC_VERSION, &b"0.3"[..]),
                (h::VERSION, b"1.0"),
                (h::ID, b""),
                (h::ID, b"x"),
            ],
        ] {
            let original = record(&headers);
            let unreadable = crate::Context::read(original.clone()).err();
            let Some(unreadable) = unreadable else {
                panic!("{headers:?} was read");
            };
            assert!(
                unreadable.to_string().starts_with("record t/0@0: envelope attribute"),
                "{unreadable}"
            );
            let crate::Unreadable { error, record } = *unreadable;
            assert_eq!(
                Some(error),
                Envelope::from_record(&original).err(),
                "the same error either way"
            );
            assert_eq!(record, original);
        }
    }

    #[test]
    fn ascii_is_checked_as_std_checks_it() {
        let text = b"ce_idb3c1ce_sourceuser-service\x7fcontent-typeapplication/protobuf";
        for end in 0..=text.len() {
            for start in 0..end.min(9) {
                let mut bytes = text[start..end].to_vec();
                assert_eq!(is_ascii(&bytes), bytes.is_ascii());
                for i in 0..bytes.len() {
                    let byte = bytes[i];
                    bytes[i] = 0x80 | byte;
                    assert!(!is_ascii(&bytes), "{start}..{end} at {i}");
                    bytes[i] = byte;
                }
            }
        }
    }

    #[test]
    fn herald_s_content_types_are_known_by_their_constants() {
        assert_eq!(
            Payload::of(Some(crate::CONTENT_TYPE_PROTOBUF.as_bytes())),
            Payload::Protobuf
        );
        assert_eq!(Payload::of(Some(crate::CONTENT_TYPE_AVRO.as_bytes())), Payload::Avro);
        assert_eq!(Payload::of(Some(b"application/protobuf; x=1")), Payload::Other);
        assert_eq!(Payload::of(None), Payload::Unsaid);
    }

    #[test]
    fn every_attribute_header_and_no_other_name_is_known() {
        let required: Vec<bool> = Slot::TEXT.iter().map(|s| s.required()).collect();
        assert_eq!(
            required,
            [[true; 4].as_slice(), &[false; 7]].concat(),
            "the required come first"
        );
        for slot in Slot::TEXT.into_iter().chain([Slot::Time, Slot::Version]) {
            let name = slot.header();
            assert_eq!(Slot::of(name.as_bytes()).map(Slot::header), Some(name));
            for i in 0..name.len() {
                for bit in 0..8 {
                    let mut near = name.as_bytes().to_vec();
                    near[i] ^= 1 << bit;
                    assert_eq!(Slot::of(&near).map(Slot::header), None, "{name} at {i}");
                }
            }
            let longer = format!("{name}x");
            assert_eq!(Slot::of(longer.as_bytes()).map(Slot::header), None);
            assert_eq!(Slot::of(name.to_uppercase().as_bytes()).map(Slot::header), None);
        }
        for other in ["", "ce_", "ce_idx", "ce_other", "x-ce_id", "content-typ"] {
            assert_eq!(Slot::of(other.as_bytes()).map(Slot::header), None, "{other}");
        }
    }

    #[test]
    fn the_first_problem_in_attribute_order_is_reported() {
        let error = |headers: &[(&str, &[u8])]| Envelope::from_record(&record(headers)).err();
        assert_eq!(error(&[]).map(|e| e.attribute), Some(h::VERSION));
        assert_eq!(error(&[(h::VERSION, b"1.0")]).map(|e| e.attribute), Some(h::ID));
        let mut bad = MINIMAL.to_vec();
        bad.push((h::SUBJECT, b"\xff"));
        bad.push((h::TRACEPARENT, b"\xff"));
        let e = error(&bad);
        assert_eq!(e.as_ref().map(|e| e.attribute), Some(h::SUBJECT));
        assert_eq!(e.map(|e| e.problem), Some("is not UTF-8".to_owned()));
        let mut bad = MINIMAL.to_vec();
        bad.push((h::TIME, b"yesterday"));
        assert!(error(&bad).is_some_and(|e| e.attribute == h::TIME && e.problem.contains("is not RFC 3339")));
        bad[4] = (h::VERSION, b"1");
        assert!(error(&bad).is_some_and(|e| e.attribute == h::VERSION && e.problem.contains("MAJOR.MINOR")));
    }

    #[test]
    fn times_read_as_chrono_reads_them() {
        for t in [
            "2026-11-26T10:00:00Z",
            "2026-11-26T10:00:00.1Z",
            "2026-11-26T10:00:00.123456Z",
            "2026-11-26T23:59:59.999999999Z",
            "2024-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-11-26t10:00:00z",
            "2026-11-26 10:00:00Z",
            "2026-11-26T10:00:00+02:00",
            "2026-11-26T10:00:00.1234567891Z",
            "2016-12-31T23:59:60Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T10:00:0aZ",
            "+2026-11-26T10:00:00Z",
        ] {
            let ours = parse_time(t).map_err(|e| e.problem);
            let chrono = chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|e| format!("`{t}` is not RFC 3339: {e}"));
            assert_eq!(ours, chrono, "{t}");
        }
        assert!(parse_utc_fast(b"2026-11-26T10:00:00.123456Z").is_some());
    }

    /// The form [`utc_fields`] reads, checked byte by byte.
    fn utc_reference(b: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
        let text = std::str::from_utf8(b).ok()?;
        let (head, fraction) = (text.get(..19)?, text.get(19..)?.strip_suffix('Z')?);
        let shape = head.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        });
        let fraction_ok = fraction.is_empty()
            || fraction
                .strip_prefix('.')
                .is_some_and(|f| (1..=9).contains(&f.len()) && f.bytes().all(|c| c.is_ascii_digit()));
        if !shape || !fraction_ok || head.get(17..19) >= Some("60") {
            return None;
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    #[test]
    fn the_time_check_agrees_with_a_byte_by_byte_reading() {
        for base in [
            "2024-02-29T23:59:59.123456Z",
            "1999-12-31T00:00:00Z",
            "0000-01-01T12:30:45.1Z",
        ] {
            let base = base.as_bytes();
            for i in 0..base.len() {
                for c in 0..=255u8 {
                    let mut t = base.to_vec();
                    t[i] = c;
                    assert_eq!(parse_utc_fast(&t), utc_reference(&t), "{}", String::from_utf8_lossy(&t));
                    assert_eq!(
                        utc_valid(&t),
                        utc_reference(&t).is_some(),
                        "{}",
                        String::from_utf8_lossy(&t)
                    );
                }
                let mut shorter = base.to_vec();
                shorter.remove(i);
                assert_eq!(parse_utc_fast(&shorter), utc_reference(&shorter));
            }
        }
    }

    #[test]
    fn whitespace_in_a_source_is_found_as_char_is_whitespace_finds_it() {
        for source in [
            "svc",
            "user-service",
            "a/b/c?d=e#f",
            "urn:example:a-long-source-name-beyond-eight",
        ] {
            for i in 0..=source.len() {
                for c in (0..=0x7f_u8)
                    .map(char::from)
                    .chain(['\u{85}', '\u{a0}', '\u{2003}', 'é', '€'])
                {
                    let mut s = source.to_owned();
                    s.insert(i, c);
                    let expected = s.chars().any(char::is_whitespace);
                    let found = has_control_space_or_non_ascii(s.as_bytes())
                        && String::from_utf8_lossy(s.as_bytes()).chars().any(char::is_whitespace);
                    assert_eq!(found, expected, "{s:?}");
                    if !c.is_ascii() || c <= ' ' {
                        assert!(has_control_space_or_non_ascii(s.as_bytes()), "{s:?}");
                    }
                }
            }
            assert!(!has_control_space_or_non_ascii(source.as_bytes()));
        }
    }

    #[test]
    fn into_outgoing_writes_what_to_headers_writes() {
        let envelope = Envelope {
            id: "1".into(),
            source: "svc".into(),
            event_type: "a.B".into(),
            spec_version: "1.0".into(),
            time: chrono::DateTime::from_timestamp_micros(1_795_000_000_123_456),
            data_content_type: Some("application/protobuf".into()),
            data_schema: None,
            subject: Some("s".into()),
            version: crate::Version::new(2, 3),
            partition_key: Some("key".into()),
            correlation_id: Some("c".into()),
            causation_id: None,
            traceparent: Some("00-1-2-01".into()),
            data: b"payload".to_vec(),
        };
        let outgoing = envelope.clone().into_outgoing();
        let headers: Headers = outgoing.headers.iter().map(|(n, v)| (n, v)).collect();
        assert_eq!(headers, envelope.to_headers());
        assert_eq!(outgoing.key.as_deref(), Some(&b"key"[..]));
        assert_eq!(outgoing.value, envelope.data);
    }

    /// The reader recognises each attribute by the name the writer writes, and nothing close to it.
    #[test]
    fn every_header_name_is_read_as_its_attribute() {
        let all = [Slot::TEXT.as_slice(), &[Slot::Time, Slot::Version]].concat();
        assert_eq!(all.len(), Slot::COUNT);
        for slot in all {
            let name = slot.header();
            assert_eq!(Slot::of(name.as_bytes()).map(Slot::header), Some(name));
            let mut near = name.as_bytes().to_vec();
            if let Some(last) = near.last_mut() {
                *last ^= 0x20;
            }
            assert_eq!(Slot::of(&near).map(Slot::header), None, "{name} changed");
            assert_eq!(Slot::of(&name.as_bytes()[1..]).map(Slot::header), None);
        }
    }
}
