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
        if self.id.is_empty() {
            return Err(invalid("id", "is empty"));
        }
        if self.source.is_empty() || self.source.chars().any(char::is_whitespace) {
            return Err(invalid("source", format!("`{}` is not a URI reference", self.source)));
        }
        if self.event_type.is_empty() {
            return Err(invalid("type", "is empty"));
        }
        if self.spec_version != CLOUDEVENTS_SPEC_VERSION {
            return Err(invalid("specversion", format!("`{}` is not 1.0", self.spec_version)));
        }
        Ok(())
    }

    /// Reads an envelope from a record in CloudEvents binary mode, validating every attribute.
    ///
    /// A header given more than once counts with its last value. This is on every consumed
    /// record's path, so the headers are scanned once and nothing is copied twice.
    pub fn from_record(record: &crate::transport::Record) -> Result<Envelope, EnvelopeError> {
        use crate::transport::headers as h;
        let mut found: [Option<&[u8]>; Slot::COUNT] = [None; Slot::COUNT];
        for (name, value) in &record.headers {
            if let Some(slot) = Slot::of(name) {
                found[slot as usize] = Some(value);
            }
        }
        let text = |slot: Slot| -> Result<Option<&str>, EnvelopeError> {
            match found[slot as usize] {
                None => Ok(None),
                Some(v) => std::str::from_utf8(v)
                    .map(Some)
                    .map_err(|_| invalid(slot.header(), "is not UTF-8")),
            }
        };
        let get = |slot: Slot| -> Result<Option<String>, EnvelopeError> { Ok(text(slot)?.map(str::to_owned)) };
        let required = |slot: Slot| -> Result<String, EnvelopeError> {
            text(slot)?
                .map(str::to_owned)
                .ok_or_else(|| invalid(slot.header(), "is missing"))
        };
        // Structured mode (the CloudEvents Kafka binding): no `ce_id`, and the whole event as JSON.
        if found[Slot::Id as usize].is_none() {
            if let Some(content_type) = text(Slot::ContentType)? {
                if media_type(content_type).eq_ignore_ascii_case(crate::json::CONTENT_TYPE_CLOUDEVENTS_JSON) {
                    return Envelope::from_json(&record.value);
                }
            }
        }
        // Attributes are read in this order, so that the first problem reported stays the same.
        let version_text = text(Slot::Version)?.ok_or_else(|| invalid(h::VERSION, "is missing"))?;
        let version = Version::parse(version_text)
            .ok_or_else(|| invalid(h::VERSION, format!("`{version_text}` is not MAJOR.MINOR")))?;
        let time = match text(Slot::Time)? {
            None => None,
            Some(t) => Some(parse_time(t)?),
        };
        let envelope = Envelope {
            id: required(Slot::Id)?,
            source: required(Slot::Source)?,
            event_type: required(Slot::Type)?,
            spec_version: required(Slot::SpecVersion)?,
            time,
            data_content_type: get(Slot::ContentType)?,
            data_schema: get(Slot::DataSchema)?,
            subject: get(Slot::Subject)?,
            version,
            partition_key: get(Slot::PartitionKey)?,
            correlation_id: get(Slot::CorrelationId)?,
            causation_id: get(Slot::CausationId)?,
            traceparent: get(Slot::Traceparent)?,
            data: record.value.clone(),
        };
        envelope.validate()?;
        Ok(envelope)
    }
}

/// The headers [`Envelope::from_record`] reads, as indexes into what one pass found.
#[derive(Clone, Copy)]
enum Slot {
    Id,
    Source,
    Type,
    SpecVersion,
    Time,
    ContentType,
    DataSchema,
    Subject,
    Version,
    PartitionKey,
    CorrelationId,
    CausationId,
    Traceparent,
}

impl Slot {
    const COUNT: usize = 13;

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
