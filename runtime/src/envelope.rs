//! The envelope every event and command travels in: CloudEvents 1.0 attributes plus herald's
//! extensions, with the payload as a separate byte string.

use crate::event::{Event, Version};
use crate::transport::Record;
use crate::CLOUDEVENTS_SPEC_VERSION;

/// CloudEvents attributes (`id`, `source`, `type`, `specversion`, `time`, `datacontenttype`,
/// `dataschema`, `subject`) plus herald's extensions (`version`, `partitionkey`, `correlationid`,
/// `causationid`, `traceparent`) and the encoded payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub id: String,
    pub source: String,
    pub event_type: String,
    pub spec_version: String,
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    pub data_content_type: Option<String>,
    pub data_schema: Option<String>,
    pub subject: Option<String>,
    pub version: Version,
    pub partition_key: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub traceparent: Option<String>,
    pub data: Vec<u8>,
}

impl Envelope {
    /// Wraps an event: a fresh id, the current time, the event's type, version, content type and
    /// partition key, and its encoded payload. The correlation id starts a new conversation
    /// (it equals the id) unless [`Envelope::caused_by`] continues one.
    pub fn wrap<E: Event>(event: &E, source: &str) -> Result<Envelope, crate::CodecError> {
        let id = uuid::Uuid::new_v4().to_string();
        Ok(Envelope {
            correlation_id: Some(id.clone()),
            id,
            source: source.to_owned(),
            event_type: E::TYPE.to_owned(),
            spec_version: CLOUDEVENTS_SPEC_VERSION.to_owned(),
            // Microseconds: what both binary and structured mode carry, so an envelope reads back equal.
            time: Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)),
            data_content_type: Some(E::CONTENT_TYPE.to_owned()),
            data_schema: None,
            subject: None,
            version: E::VERSION,
            partition_key: Some(event.partition_key()),
            causation_id: None,
            traceparent: None,
            data: event.encode()?,
        })
    }

    /// Marks this envelope as caused by `cause`: same correlation id, causation id = cause's id.
    pub fn caused_by(mut self, cause: &crate::Context) -> Envelope {
        self.correlation_id = Some(cause.correlation_id().unwrap_or(cause.id()).to_owned());
        self.causation_id = Some(cause.id().to_owned());
        self.traceparent = self.traceparent.or_else(|| cause.traceparent().map(str::to_owned));
        self
    }
}

/// An envelope that is missing an attribute or has one in the wrong format.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeError {
    /// The CloudEvents attribute (or header) at fault.
    pub attribute: &'static str,
    pub problem: String,
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "envelope attribute `{}`: {}", self.attribute, self.problem)
    }
}

impl std::error::Error for EnvelopeError {}

pub(crate) fn invalid(attribute: &'static str, problem: impl Into<String>) -> EnvelopeError {
    EnvelopeError {
        attribute,
        problem: problem.into(),
    }
}

/// A content type without its parameters (`application/json; charset=utf-8` → `application/json`).
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

impl Envelope {
    /// Checks the CloudEvents rules herald relies on: `id`, `source` and `type` present and
    /// non-empty, `specversion` 1.0, a `source` without whitespace, a MAJOR.MINOR `version`.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        check_required(
            self.id.as_bytes(),
            self.source.as_bytes(),
            self.event_type.as_bytes(),
            self.spec_version.as_bytes(),
        )
    }

    /// Reads an envelope from a record in CloudEvents binary mode (or structured mode, from a
    /// `application/cloudevents+json` record), validating every attribute; a header given more
    /// than once counts with its last value. The attributes and payload are copied; the consumer
    /// reads records without copies, as a [`crate::Context`].
    pub fn from_record(record: &Record) -> Result<Envelope, EnvelopeError> {
        crate::Context::read(record.clone())
            .map(crate::Context::into_envelope)
            .map_err(|unreadable| unreadable.error)
    }

    /// An envelope with nothing set (no allocation), to fill in.
    pub(crate) fn empty() -> Envelope {
        Envelope {
            id: String::new(),
            source: String::new(),
            event_type: String::new(),
            spec_version: String::new(),
            time: None,
            data_content_type: None,
            data_schema: None,
            subject: None,
            version: Version::new(0, 0),
            partition_key: None,
            correlation_id: None,
            causation_id: None,
            traceparent: None,
            data: Vec::new(),
        }
    }

    /// Sets a text attribute ([`Slot::TEXT`]); `version` and `time` are not text.
    pub(crate) fn set_text(&mut self, slot: Slot, text: String) {
        match slot {
            Slot::Id => self.id = text,
            Slot::Source => self.source = text,
            Slot::Type => self.event_type = text,
            Slot::SpecVersion => self.spec_version = text,
            Slot::ContentType => self.data_content_type = Some(text),
            Slot::DataSchema => self.data_schema = Some(text),
            Slot::Subject => self.subject = Some(text),
            Slot::PartitionKey => self.partition_key = Some(text),
            Slot::CorrelationId => self.correlation_id = Some(text),
            Slot::CausationId => self.causation_id = Some(text),
            Slot::Traceparent => self.traceparent = Some(text),
            Slot::Time | Slot::Version => {}
        }
    }

    /// A text attribute ([`Slot::TEXT`]); `version` and `time` are not text.
    pub(crate) fn text(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::Id => Some(&self.id),
            Slot::Source => Some(&self.source),
            Slot::Type => Some(&self.event_type),
            Slot::SpecVersion => Some(&self.spec_version),
            Slot::ContentType => self.data_content_type.as_deref(),
            Slot::DataSchema => self.data_schema.as_deref(),
            Slot::Subject => self.subject.as_deref(),
            Slot::PartitionKey => self.partition_key.as_deref(),
            Slot::CorrelationId => self.correlation_id.as_deref(),
            Slot::CausationId => self.causation_id.as_deref(),
            Slot::Traceparent => self.traceparent.as_deref(),
            Slot::Time | Slot::Version => None,
        }
    }
}

/// Where a record's envelope is, once checked: the value of each text attribute in the record's
/// headers (binary mode), or the attributes decoded (structured mode).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Located {
    Headers {
        /// Where each [`Slot::TEXT`] attribute's value is in the record's header bytes
        /// ([`ABSENT`] when there is none); every value found is UTF-8.
        at: [(u32, u32); Slot::TEXT.len()],
        version: Version,
        time: Option<chrono::DateTime<chrono::Utc>>,
    },
    Decoded(Box<Envelope>),
}

/// No header for this attribute.
pub(crate) const ABSENT: (u32, u32) = (u32::MAX, u32::MAX);

/// The value of a text attribute's header, found by [`locate`] (and checked as UTF-8 there).
pub(crate) fn header_value<'r>(
    record: &'r Record,
    at: &[(u32, u32); Slot::TEXT.len()],
    slot: Slot,
) -> Option<&'r [u8]> {
    let &(start, end) = at.get(slot as usize)?;
    record.headers.bytes().get(start as usize..end as usize)
}

/// Finds and checks a record's envelope without copying anything: one pass over the header names,
/// then each attribute's value checked (UTF-8, presence, formats) in attribute order, so the first
/// problem reported is the same whatever the header order. A header given more than once counts
/// with its last value.
pub(crate) fn locate(record: &Record) -> Result<Located, EnvelopeError> {
    let bytes = record.headers.bytes();
    if u32::try_from(bytes.len()).is_err() {
        return Err(invalid("(headers)", "are larger than 4 GiB"));
    }
    let mut found = [ABSENT; Slot::COUNT];
    for (name, value) in record.headers.spans() {
        if let Some(slot) = bytes.get(name).and_then(Slot::of) {
            // Below 4 GiB, as checked above.
            found[slot as usize] = (value.start as u32, value.end as u32);
        }
    }
    let value = |slot: Slot| {
        let (start, end) = found[slot as usize];
        bytes.get(start as usize..end as usize)
    };
    if found[Slot::Id as usize] == ABSENT {
        if let Some(t) = value(Slot::ContentType) {
            let t = std::str::from_utf8(t).map_err(|_| invalid(Slot::ContentType.header(), "is not UTF-8"))?;
            if media_type(t).eq_ignore_ascii_case(crate::json::CONTENT_TYPE_CLOUDEVENTS_JSON) {
                return Envelope::from_json(&record.value).map(|e| Located::Decoded(Box::new(e)));
            }
        }
    }
    let (version, time) = version_and_time(value(Slot::Version), value(Slot::Time))?;
    // Headers are usually ASCII throughout: then one pass over them all checks every value.
    let ascii = bytes.is_ascii();
    let mut required: [&[u8]; 4] = [b""; 4];
    for slot in Slot::TEXT {
        match value(slot) {
            None if slot.required() => return Err(invalid(slot.header(), "is missing")),
            None => {}
            Some(v) if !ascii && std::str::from_utf8(v).is_err() => return Err(invalid(slot.header(), "is not UTF-8")),
            Some(v) => {
                if let Some(r) = required.get_mut(slot as usize) {
                    *r = v;
                }
            }
        }
    }
    let [id, source, event_type, spec_version] = required;
    check_required(id, source, event_type, spec_version)?;
    let mut at = [ABSENT; Slot::TEXT.len()];
    at.copy_from_slice(&found[..Slot::TEXT.len()]);
    Ok(Located::Headers { at, version, time })
}

/// The attribute checks shared by [`Envelope::validate`] and the record readers, on the values'
/// bytes (UTF-8 already checked).
fn check_required(id: &[u8], source: &[u8], event_type: &[u8], spec_version: &[u8]) -> Result<(), EnvelopeError> {
    if id.is_empty() {
        return Err(invalid("id", "is empty"));
    }
    let whitespace = if source.is_ascii() {
        // What `char::is_whitespace` is in ASCII.
        source.iter().any(|b| matches!(b, b' ' | b'\t'..=b'\r'))
    } else {
        String::from_utf8_lossy(source).chars().any(char::is_whitespace)
    };
    if source.is_empty() || whitespace {
        let source = String::from_utf8_lossy(source);
        return Err(invalid("source", format!("`{source}` is not a URI reference")));
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

/// `ce_version` (required) and `ce_time` (optional) from their header values.
fn version_and_time(
    version: Option<&[u8]>,
    time: Option<&[u8]>,
) -> Result<(Version, Option<chrono::DateTime<chrono::Utc>>), EnvelopeError> {
    use crate::transport::headers as h;
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
        None => None,
        Some(t) => match parse_utc_fast(t) {
            Some(time) => Some(time),
            None => Some(parse_time(utf8(t, h::TIME)?)?),
        },
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
    /// The text attributes, in the order their problems are reported (the four required first).
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
        fn is<const N: usize>(name: &[u8], header: &[u8; N]) -> bool {
            <&[u8; N]>::try_from(name).is_ok_and(|name| name == header)
        }
        let (slot, known) = match (name.len(), name.get(4)) {
            (5, _) => (Slot::Id, is(name, b"ce_id")),
            (9, _) => (Slot::Source, is(name, b"ce_source")),
            (7, Some(b'y')) => (Slot::Type, is(name, b"ce_type")),
            (7, Some(b'i')) => (Slot::Time, is(name, b"ce_time")),
            (14, Some(b'p')) => (Slot::SpecVersion, is(name, b"ce_specversion")),
            (14, Some(b'a')) => (Slot::CausationId, is(name, b"ce_causationid")),
            (14, Some(b'r')) => (Slot::Traceparent, is(name, b"ce_traceparent")),
            (12, _) => (Slot::ContentType, is(name, b"content-type")),
            (13, _) => (Slot::DataSchema, is(name, b"ce_dataschema")),
            (10, Some(b'u')) => (Slot::Subject, is(name, b"ce_subject")),
            (10, Some(b'e')) => (Slot::Version, is(name, b"ce_version")),
            (15, _) => (Slot::PartitionKey, is(name, b"ce_partitionkey")),
            (16, _) => (Slot::CorrelationId, is(name, b"ce_correlationid")),
            _ => return None,
        };
        known.then_some(slot)
    }

    fn required(self) -> bool {
        matches!(self, Slot::Id | Slot::Source | Slot::Type | Slot::SpecVersion)
    }

    fn header(self) -> &'static str {
        use crate::transport::headers as h;
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

/// `ce_time` as RFC 3339. The form publishers write (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, at most
/// nine fraction digits, no leap second) is read directly; anything else goes to chrono's parser,
/// which accepts and refuses exactly what it always did.
fn parse_time(t: &str) -> Result<chrono::DateTime<chrono::Utc>, EnvelopeError> {
    if let Some(time) = parse_utc_fast(t.as_bytes()) {
        return Ok(time);
    }
    Ok(chrono::DateTime::parse_from_rfc3339(t)
        .map_err(|e| invalid(crate::transport::headers::TIME, format!("`{t}` is not RFC 3339: {e}")))?
        .with_timezone(&chrono::Utc))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None` for anything else (including out-of-range fields).
fn parse_utc_fast(b: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let (head, rest) = b.split_first_chunk::<19>()?;
    let (&b'Z', fraction) = rest.split_last()? else {
        return None;
    };
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1] = *head else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, i0, i1, s0, s1].map(|c| c.wrapping_sub(b'0'));
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    let [y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, i0, i1, s0, s1] = digits.map(u32::from);
    let year = ((y0 * 10 + y1) * 10 + y2) * 10 + y3;
    let (month, day) = (m0 * 10 + m1, d0 * 10 + d1);
    let (hour, minute, second) = (h0 * 10 + h1, i0 * 10 + i1, s0 * 10 + s1);
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut n = 0u32;
            for &c in digits {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    return None;
                }
                n = n * 10 + u32::from(d);
            }
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    if second >= 60 {
        return None; // a leap second: chrono's parser knows how to read it
    }
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(chrono::NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{headers as h, Record};

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
            let Some(crate::Unreadable { error, record }) = unreadable.map(|u| *u) else {
                panic!("{headers:?} was read");
            };
            assert_eq!(
                Some(error),
                Envelope::from_record(&original).err(),
                "the same error either way"
            );
            assert_eq!(record, original);
        }
    }

    #[test]
    fn every_attribute_header_and_no_other_name_is_known() {
        for slot in Slot::TEXT.into_iter().chain([Slot::Time, Slot::Version]) {
            let name = slot.header();
            assert_eq!(Slot::of(name.as_bytes()).map(Slot::header), Some(name));
            let mut near = name.as_bytes().to_vec();
            if let Some(last) = near.last_mut() {
                *last ^= 1;
            }
            assert_eq!(Slot::of(&near).map(Slot::header), None, "{name}");
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
}
