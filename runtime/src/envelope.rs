//! The envelope every event and command travels in: CloudEvents 1.0 attributes plus herald's
//! extensions, with the payload as a separate byte string.

use crate::event::{Event, Version};
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
        self.correlation_id = Some(cause.correlation_id.clone().unwrap_or_else(|| cause.id.clone()));
        self.causation_id = Some(cause.id.clone());
        self.traceparent = self.traceparent.or_else(|| cause.traceparent.clone());
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
        check_required(&self.id, &self.source, &self.event_type, &self.spec_version)
    }

    /// [`Envelope::take_from`] on a copy of the record, which is left as it was.
    pub fn from_record(record: &crate::transport::Record) -> Result<Envelope, EnvelopeError> {
        Envelope::take_from(&mut record.clone())
    }

    /// Reads an envelope from a record in CloudEvents binary mode (or structured mode, from a
    /// `application/cloudevents+json` record), validating every attribute; a header given more
    /// than once counts with its last value. This is how the consumer reads every record: the
    /// payload and the values of the attribute headers are moved out of the record, not copied
    /// (their names stay, with empty values). On an error the record is left as it was;
    /// [`Envelope::put_back`] restores it exactly, for a dead letter.
    pub fn take_from(record: &mut crate::transport::Record) -> Result<Envelope, EnvelopeError> {
        // One pass: each text attribute's value is moved straight into its field and checked as
        // UTF-8 where it is met (a repeated header gets the earlier value back); a value that is
        // not UTF-8 stays in its header. `version` and `time` are parsed in place afterwards.
        const NONE: usize = usize::MAX;
        let headers = &mut record.headers;
        let mut envelope = Envelope::empty();
        let mut at = [NONE; Slot::COUNT];
        let mut not_utf8 = 0u16;
        for i in 0..headers.len() {
            let Some(slot) = Slot::of(&headers[i].0) else {
                continue;
            };
            let s = slot as usize;
            if !matches!(slot, Slot::Version | Slot::Time) {
                if at[s] != NONE && not_utf8 & (1 << s) == 0 {
                    if let (Some(text), Some(earlier)) = (envelope.take_text(slot), headers.get_mut(at[s])) {
                        earlier.1 = text.into_bytes();
                    }
                }
                not_utf8 &= !(1 << s);
                match String::from_utf8(std::mem::take(&mut headers[i].1)) {
                    Ok(text) => envelope.set_text(slot, text),
                    Err(e) => {
                        headers[i].1 = e.into_bytes();
                        not_utf8 |= 1 << s;
                    }
                }
            }
            at[s] = i;
        }
        let checked = (|| {
            let bad = |slot: Slot| not_utf8 & (1 << slot as usize) != 0;
            if at[Slot::Id as usize] == NONE {
                if bad(Slot::ContentType) {
                    return Err(invalid(Slot::ContentType.header(), "is not UTF-8"));
                }
                if let Some(t) = &envelope.data_content_type {
                    if media_type(t).eq_ignore_ascii_case(crate::json::CONTENT_TYPE_CLOUDEVENTS_JSON) {
                        return Ok(false);
                    }
                }
            }
            let value = |slot: Slot| headers.get(at[slot as usize]).map(|(_, v)| v.as_slice());
            let (version, time) = version_and_time(value(Slot::Version), value(Slot::Time))?;
            for slot in Slot::MOVED {
                if bad(slot) {
                    return Err(invalid(slot.header(), "is not UTF-8"));
                }
                if at[slot as usize] == NONE && slot.required() {
                    return Err(invalid(slot.header(), "is missing"));
                }
            }
            check_required(
                &envelope.id,
                &envelope.source,
                &envelope.event_type,
                &envelope.spec_version,
            )?;
            envelope.version = version;
            envelope.time = time;
            Ok(true)
        })();
        match checked {
            Ok(true) => {
                envelope.data = std::mem::take(&mut record.value);
                Ok(envelope)
            }
            // Structured mode, or an error: the record gets every value back.
            other => {
                for slot in Slot::MOVED {
                    let i = at[slot as usize];
                    if i != NONE && not_utf8 & (1 << slot as usize) == 0 {
                        if let (Some(text), Some(header)) = (envelope.take_text(slot), headers.get_mut(i)) {
                            header.1 = text.into_bytes();
                        }
                    }
                }
                match other {
                    Ok(_) => Envelope::from_json(&record.value),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// An envelope with nothing set (no allocation), for [`Envelope::take_from`] to fill in.
    fn empty() -> Envelope {
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

    /// Sets a text attribute ([`Slot::MOVED`]); `version` and `time` are not text.
    fn set_text(&mut self, slot: Slot, text: String) {
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

    /// Takes a text attribute back out (what [`Envelope::set_text`] set).
    fn take_text(&mut self, slot: Slot) -> Option<String> {
        match slot {
            Slot::Id => Some(std::mem::take(&mut self.id)),
            Slot::Source => Some(std::mem::take(&mut self.source)),
            Slot::Type => Some(std::mem::take(&mut self.event_type)),
            Slot::SpecVersion => Some(std::mem::take(&mut self.spec_version)),
            Slot::ContentType => self.data_content_type.take(),
            Slot::DataSchema => self.data_schema.take(),
            Slot::Subject => self.subject.take(),
            Slot::PartitionKey => self.partition_key.take(),
            Slot::CorrelationId => self.correlation_id.take(),
            Slot::CausationId => self.causation_id.take(),
            Slot::Traceparent => self.traceparent.take(),
            Slot::Time | Slot::Version => None,
        }
    }

    /// Undoes [`Envelope::take_from`] on the record it was taken from: the attribute header
    /// values and the payload go back, byte for byte. `self` must be the envelope `take_from`
    /// returned (not one changed since). A record read in structured mode is left as it is.
    pub fn put_back(&self, record: &mut crate::transport::Record) {
        let found = Slot::scan(&record.headers);
        if found[Slot::Id as usize].is_none() {
            return; // structured mode: nothing was taken
        }
        for slot in Slot::MOVED {
            let value = match slot {
                Slot::Id => Some(&self.id),
                Slot::Source => Some(&self.source),
                Slot::Type => Some(&self.event_type),
                Slot::SpecVersion => Some(&self.spec_version),
                Slot::ContentType => self.data_content_type.as_ref(),
                Slot::DataSchema => self.data_schema.as_ref(),
                Slot::Subject => self.subject.as_ref(),
                Slot::PartitionKey => self.partition_key.as_ref(),
                Slot::CorrelationId => self.correlation_id.as_ref(),
                Slot::CausationId => self.causation_id.as_ref(),
                Slot::Traceparent => self.traceparent.as_ref(),
                Slot::Time | Slot::Version => None,
            };
            if let (Some(value), Some(header)) = (value, found[slot as usize].and_then(|i| record.headers.get_mut(i))) {
                if header.1.is_empty() {
                    header.1 = value.clone().into_bytes();
                }
            }
        }
        if record.value.is_empty() {
            record.value = self.data.clone();
        }
    }
}

/// The attribute checks shared by [`Envelope::validate`] and the record readers.
fn check_required(id: &str, source: &str, event_type: &str, spec_version: &str) -> Result<(), EnvelopeError> {
    if id.is_empty() {
        return Err(invalid("id", "is empty"));
    }
    if source.is_empty() || source.chars().any(char::is_whitespace) {
        return Err(invalid("source", format!("`{source}` is not a URI reference")));
    }
    if event_type.is_empty() {
        return Err(invalid("type", "is empty"));
    }
    if spec_version != CLOUDEVENTS_SPEC_VERSION {
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
    let version_text = utf8(version.ok_or_else(|| invalid(h::VERSION, "is missing"))?, h::VERSION)?;
    let version = Version::parse(version_text)
        .ok_or_else(|| invalid(h::VERSION, format!("`{version_text}` is not MAJOR.MINOR")))?;
    let time = match time {
        None => None,
        Some(t) => Some(parse_time(utf8(t, h::TIME)?)?),
    };
    Ok((version, time))
}

/// The headers [`Envelope::take_from`] reads, as indexes into what one pass found.
#[derive(Clone, Copy)]
///
/// The text attributes come first, in [`Slot::MOVED`] order, so that `slot as usize` indexes
/// both what [`Slot::scan`] finds and what [`Envelope::take_from`] takes.
enum Slot {
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
    /// The text attributes, in the order their problems are reported (the four required first);
    /// what [`Envelope::take_from`] moves out of a record.
    const MOVED: [Slot; 11] = [
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

    /// One pass over the headers: the index of each attribute's header (the last of repeats).
    fn scan(headers: &[(String, Vec<u8>)]) -> [Option<usize>; Slot::COUNT] {
        let mut found = [None; Slot::COUNT];
        for (i, (name, _)) in headers.iter().enumerate() {
            if let Some(slot) = Slot::of(name) {
                found[slot as usize] = Some(i);
            }
        }
        found
    }

    fn of(name: &str) -> Option<Slot> {
        use crate::transport::headers as h;
        // Every binary-mode attribute header but `content-type` starts with `ce_`.
        if !name.starts_with("ce_") {
            return (name == h::CONTENT_TYPE).then_some(Slot::ContentType);
        }
        Some(match name {
            h::ID => Slot::Id,
            h::SOURCE => Slot::Source,
            h::TYPE => Slot::Type,
            h::SPEC_VERSION => Slot::SpecVersion,
            h::TIME => Slot::Time,
            h::DATA_SCHEMA => Slot::DataSchema,
            h::SUBJECT => Slot::Subject,
            h::VERSION => Slot::Version,
            h::PARTITION_KEY => Slot::PartitionKey,
            h::CORRELATION_ID => Slot::CorrelationId,
            h::CAUSATION_ID => Slot::CausationId,
            h::TRACEPARENT => Slot::Traceparent,
            _ => return None,
        })
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
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (&last, body) = b.split_last()?;
    if last != b'Z' {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits
            .iter()
            .try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let year = number(&b[0..4])?;
    let (month, day) = (number(&b[5..7])?, number(&b[8..10])?);
    let (hour, minute, second) = (number(&b[11..13])?, number(&b[14..16])?, number(&b[17..19])?);
    let nanos = match &body[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            number(fraction)? * 10u32.pow(9 - fraction.len() as u32)
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
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), v.to_vec())).collect(),
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
        r.headers.push((h::SUBJECT.to_owned(), b"later".to_vec()));
        r.headers.push(("ce_unknown".to_owned(), b"ignored".to_vec()));
        assert_eq!(Envelope::from_record(&r)?.subject.as_deref(), Some("later"));
        Ok(())
    }

    #[test]
    fn take_from_moves_reads_as_from_record_does_and_put_back_restores_the_record() -> Result<(), EnvelopeError> {
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
        let mut taken = original.clone();
        let envelope = Envelope::take_from(&mut taken)?;
        assert_eq!(envelope, Envelope::from_record(&original)?);
        assert_eq!(envelope.subject.as_deref(), Some("second"));
        assert!(taken.value.is_empty(), "the payload is moved, not copied");
        assert_eq!(taken.headers[0].1, b"first", "only the value that counts is moved");
        envelope.put_back(&mut taken);
        assert_eq!(taken, original);

        // Structured mode: read from the JSON value, the record untouched.
        let mut structured = record(&[(h::CONTENT_TYPE, b"application/cloudevents+json; charset=utf-8")]);
        structured.value = envelope.to_json(false).into_bytes();
        let before = structured.clone();
        assert_eq!(Envelope::take_from(&mut structured)?, envelope);
        assert_eq!(structured, before);
        Ok(())
    }

    #[test]
    fn take_from_leaves_an_invalid_record_as_it_was() {
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
            let mut taken = original.clone();
            let error = Envelope::take_from(&mut taken).err();
            assert!(error.is_some());
            assert_eq!(
                error,
                Envelope::from_record(&original).err(),
                "the same error either way"
            );
            assert_eq!(taken, original);
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
