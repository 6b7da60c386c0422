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
            if media_type(t).eq_ignore_ascii_case(crate::json::CONTENT_TYPE_CLOUDEVENTS_JSON) {
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
fn check_required(id: &[u8], source: &[u8], event_type: &[u8], spec_version: &[u8]) -> Result<(), EnvelopeError> {
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
        let (slot, known) = match (name.len(), name.get(4)) {
            (5, _) => (Slot::Id, is_exactly(name, b"ce_id")),
            (9, _) => (Slot::Source, is_exactly(name, b"ce_source")),
            (7, Some(b'y')) => (Slot::Type, is_exactly(name, b"ce_type")),
            (7, Some(b'i')) => (Slot::Time, is_exactly(name, b"ce_time")),
            (14, Some(b'p')) => (Slot::SpecVersion, is_exactly(name, b"ce_specversion")),
            (14, Some(b'a')) => (Slot::CausationId, is_exactly(name, b"ce_causationid")),
            (14, Some(b'r')) => (Slot::Traceparent, is_exactly(name, b"ce_traceparent")),
            (12, _) => (Slot::ContentType, is_exactly(name, b"content-type")),
            (13, _) => (Slot::DataSchema, is_exactly(name, b"ce_dataschema")),
            (10, Some(b'u')) => (Slot::Subject, is_exactly(name, b"ce_subject")),
            (10, Some(b'e')) => (Slot::Version, is_exactly(name, b"ce_version")),
            (15, _) => (Slot::PartitionKey, is_exactly(name, b"ce_partitionkey")),
            (16, _) => (Slot::CorrelationId, is_exactly(name, b"ce_correlationid")),
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
    let f = utc_fields(b)?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(f.year).ok()?, f.month, f.day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(f.hour, f.minute, f.second, f.nanos)?;
    Some(chrono::NaiveDateTime::new(date, time).and_utc())
}

/// Whether `b` is `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` and a valid date and time (no leap second),
/// what [`utc_fields`] reads, checked without reading the year (but for a 29 February) or the
/// fraction's value.
fn utc_valid(b: &[u8]) -> bool {
    let Some((head, _)) = utc_parts(b) else {
        return false;
    };
    let (month, day) = (two_digits(head, 5), two_digits(head, 8));
    let day_ok = match day {
        1..=28 => (1..=12).contains(&month),
        // The rest of the calendar, read as the full reading reads it.
        _ => utc_fields(b).is_some(),
    };
    day_ok && clock_ok(head)
}

/// The nineteen bytes before the fraction and the fraction's digits (none, or one to nine) of
/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, when it has that shape.
fn utc_parts(b: &[u8]) -> Option<(&[u8; 19], &[u8])> {
    let (head, rest) = b.split_first_chunk::<19>()?;
    let (&b'Z', fraction) = rest.split_last()? else {
        return None;
    };
    let digits = match fraction {
        [] => fraction,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) => digits,
        _ => return None,
    };
    utc_shape(head).then_some((head, digits))
}

/// The two digits at `i` of a head [`utc_shape`] accepted.
fn two_digits(head: &[u8; 19], i: usize) -> u32 {
    let digit = |i: usize| head.get(i).map_or(0, |c| u32::from(c.wrapping_sub(b'0')));
    digit(i) * 10 + digit(i + 1)
}

/// Whether the hour, minute and second are a time of day; a leap second (60) is left to chrono's
/// parser, which knows how to read it.
fn clock_ok(head: &[u8; 19]) -> bool {
    two_digits(head, 11) < 24 && two_digits(head, 14) < 60 && two_digits(head, 17) < 60
}

/// Whether the nineteen bytes before the fraction are `YYYY-MM-DDTHH:MM:SS` in shape (digits and
/// separators): three overlapping words, each checked in a few operations.
fn utc_shape(head: &[u8; 19]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = |at: usize| {
        head.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let (Some(w0), Some(w1), Some(w2)) = (word(0), word(8), word(11)) else {
        return false;
    };
    // Digits are the bytes whose mask byte is 0xff; the others must equal the separators.
    let fits = |w: u64, digits: u64, separators: u64| {
        let x = w ^ (ONES * 0x30);
        // A digit byte is below 10 after the xor: adding 0x76 leaves its high bit clear.
        let not_digit = (x.wrapping_add(ONES * 0x76) | x) & (ONES * 0x80) & digits;
        not_digit == 0 && w & !digits == separators
    };
    // "YYYY-MM-", "DDTHH:MM", "HH:MM:SS" (bytes 0, 8 and 11 on).
    fits(w0, 0x00ff_ff00_ffff_ffff, 0x2d00_002d_0000_0000)
        && fits(w1, 0xffff_00ff_ff00_ffff, 0x0000_3a00_0054_0000)
        && fits(w2, 0xffff_00ff_ff00_ffff, 0x0000_3a00_003a_0000)
}

/// The fields of a time in the form [`parse_utc_fast`] reads.
struct UtcFields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

/// The fields of `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` when it is a valid date and time (no leap
/// second), checked without building it.
fn utc_fields(b: &[u8]) -> Option<UtcFields> {
    const SCALE: [u32; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let (head, digits) = utc_parts(b)?;
    let two = |i: usize| two_digits(head, i);
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let fraction = digits.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let nanos = fraction * SCALE.get(9 - digits.len()).copied().unwrap_or(1);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1..=days).contains(&day) && clock_ok(head)).then_some(UtcFields {
        year,
        month,
        day,
        hour: two(11),
        minute: two(14),
        second: two(17),
        nanos,
    })
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
    fn the_time_check_agrees_with_building_the_time() {
        for year in [0, 1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (hour, minute, second) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60)] {
                        let t = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.5Z");
                        let built = chrono::NaiveDate::from_ymd_opt(year, month, day)
                            .and_then(|d| d.and_hms_nano_opt(hour, minute, second, 500_000_000))
                            .map(|t| t.and_utc());
                        let checked = (second < 60).then_some(built).flatten();
                        assert_eq!(utc_fields(t.as_bytes()).is_some(), checked.is_some(), "{t}");
                        assert_eq!(utc_valid(t.as_bytes()), checked.is_some(), "{t}");
                        assert_eq!(parse_utc_fast(t.as_bytes()), checked, "{t}");
                    }
                }
            }
        }
    }
}
