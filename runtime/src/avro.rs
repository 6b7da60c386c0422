//! Avro payloads: single-object encoding (2-byte marker, 8-byte CRC-64-AVRO fingerprint of the
//! writer schema, then the datum) and the serde helpers generated DTOs use for logical types.

use std::sync::OnceLock;

use apache_avro::schema::Schema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::CodecError;

/// Defines `option` inside a `with` module: the same conversion for `Option<T>` (a union with null).
macro_rules! option_of {
    ($ty:ty) => {
        /// The same conversion for an optional value (a union with `null`).
        pub mod option {
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            struct Wrap<'a>(&'a $ty);

            impl Serialize for Wrap<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    super::serialize(self.0, s)
                }
            }

            struct Unwrap($ty);

            impl<'de> Deserialize<'de> for Unwrap {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    super::deserialize(d).map(Unwrap)
                }
            }

            pub fn serialize<S: Serializer>(value: &Option<$ty>, s: S) -> Result<S::Ok, S::Error> {
                match value {
                    Some(v) => s.serialize_some(&Wrap(v)),
                    None => s.serialize_none(),
                }
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$ty>, D::Error> {
                Ok(Option::<Unwrap>::deserialize(d)?.map(|u| u.0))
            }
        }
    };
}

/// The two bytes that start every single-object-encoded datum.
pub const MARKER: [u8; 2] = [0xC3, 0x01];

/// Parses an embedded schema once.
pub fn schema(cell: &'static OnceLock<Schema>, text: &str) -> Result<&'static Schema, CodecError> {
    if let Some(schema) = cell.get() {
        return Ok(schema);
    }
    let parsed =
        Schema::parse_str(text).map_err(|e| CodecError::new(format!("embedded schema does not parse: {e}")))?;
    Ok(cell.get_or_init(|| parsed))
}

/// Parses embedded writer schemas once, each with its fingerprint: generated code passes the
/// type's own schema and every released version of the same MAJOR recorded in `herald.lock`.
pub fn writers(
    cell: &'static OnceLock<Vec<(u64, Schema)>>,
    texts: &[(u64, &str)],
) -> Result<&'static [(u64, Schema)], CodecError> {
    if let Some(writers) = cell.get() {
        return Ok(writers);
    }
    let mut parsed = Vec::with_capacity(texts.len());
    for (fp, text) in texts {
        let schema = Schema::parse_str(text)
            .map_err(|e| CodecError::new(format!("embedded writer schema {fp:016x} does not parse: {e}")))?;
        parsed.push((*fp, schema));
    }
    Ok(cell.get_or_init(|| parsed))
}

/// CRC-64-AVRO (Rabin) fingerprint of a schema's parsing canonical form.
pub fn fingerprint(schema: &Schema) -> u64 {
    crc64_avro(schema.canonical_form().as_bytes())
}

/// The CRC-64-AVRO function of the Avro specification: apache-avro's `Rabin` digest (the one
/// herald-codegen fingerprints with too), as a number.
pub fn crc64_avro(bytes: &[u8]) -> u64 {
    use digest::Digest;
    let out = apache_avro::rabin::Rabin::digest(bytes);
    let mut le = [0u8; 8];
    for (slot, b) in le.iter_mut().zip(out.iter()) {
        *slot = *b;
    }
    u64::from_le_bytes(le)
}

/// Encodes `value` with `schema` as a single object.
pub fn encode<T: Serialize>(value: &T, schema: &Schema, fingerprint: u64) -> Result<Vec<u8>, CodecError> {
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()
        .map_err(|e| CodecError::new(format!("cannot prepare Avro writer: {e}")))?;
    let datum = writer
        .write_ser_to_vec(value)
        .map_err(|e| CodecError::new(format!("cannot encode Avro datum: {e}")))?;
    let mut out = Vec::with_capacity(10 + datum.len());
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&fingerprint.to_le_bytes());
    out.extend_from_slice(&datum);
    Ok(out)
}

/// Decodes a single object written with any of the `writers` (by fingerprint) into the reader
/// schema's type, resolving schema differences as the Avro specification says.
pub fn decode<T: DeserializeOwned, W: std::borrow::Borrow<Schema>>(
    payload: &[u8],
    reader: &Schema,
    writers: &[(u64, W)],
) -> Result<T, CodecError> {
    let (fp, datum) = single_object(payload)?;
    let Some((_, writer)) = writers.iter().find(|(f, _)| *f == fp) else {
        return Err(unknown_writer(fp));
    };
    read(&resolving_reader(writer.borrow(), reader)?, datum)
}

/// The resolving readers from every known writer schema into one reader schema, each built once
/// (both schemas' names resolved up front) instead of on every call as [`decode`] does: generated
/// code keeps one per Avro type ([`decoder`]).
pub struct Decoder<'s> {
    readers: Vec<(u64, apache_avro::reader::datum::GenericDatumReader<'s>)>,
}

impl std::fmt::Debug for Decoder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fingerprints: Vec<String> = self.readers.iter().map(|(fp, _)| format!("{fp:016x}")).collect();
        f.debug_struct("Decoder").field("writers", &fingerprints).finish()
    }
}

impl<'s> Decoder<'s> {
    /// Readers from each of `writers` (by fingerprint) into `reader`.
    pub fn new(reader: &'s Schema, writers: &'s [(u64, Schema)]) -> Result<Decoder<'s>, CodecError> {
        let readers = writers
            .iter()
            .map(|(fp, writer)| Ok((*fp, resolving_reader(writer, reader)?)))
            .collect::<Result<_, CodecError>>()?;
        Ok(Decoder { readers })
    }

    /// What [`decode`] does, with the readers built already.
    pub fn decode<T: DeserializeOwned>(&self, payload: &[u8]) -> Result<T, CodecError> {
        let (fp, datum) = single_object(payload)?;
        let Some((_, reader)) = self.readers.iter().find(|(f, _)| *f == fp) else {
            return Err(unknown_writer(fp));
        };
        read(reader, datum)
    }
}

/// Builds a [`Decoder`] once for generated code.
pub fn decoder(
    cell: &'static OnceLock<Decoder<'static>>,
    reader: &'static Schema,
    writers: &'static [(u64, Schema)],
) -> Result<&'static Decoder<'static>, CodecError> {
    if let Some(decoder) = cell.get() {
        return Ok(decoder);
    }
    let built = Decoder::new(reader, writers)?;
    Ok(cell.get_or_init(|| built))
}

/// The writer fingerprint and the datum of a single-object payload.
fn single_object(payload: &[u8]) -> Result<(u64, &[u8]), CodecError> {
    if payload.len() < 10 {
        return Err(CodecError::new(format!(
            "Avro single-object payload of {} bytes is shorter than its 10-byte header",
            payload.len()
        )));
    }
    if payload[..2] != MARKER {
        return Err(CodecError::new(format!(
            "not an Avro single-object payload: starts with {:02x} {:02x}, expected c3 01",
            payload[0], payload[1]
        )));
    }
    let mut fp = [0u8; 8];
    fp.copy_from_slice(&payload[2..10]);
    Ok((u64::from_le_bytes(fp), &payload[10..]))
}

fn unknown_writer(fp: u64) -> CodecError {
    CodecError::new(format!("unknown writer schema fingerprint {fp:016x}"))
}

fn resolving_reader<'s>(
    writer: &'s Schema,
    reader: &'s Schema,
) -> Result<apache_avro::reader::datum::GenericDatumReader<'s>, CodecError> {
    apache_avro::reader::datum::GenericDatumReader::builder(writer)
        .reader_schema(reader)
        .build()
        .map_err(|e| CodecError::new(format!("cannot prepare Avro reader: {e}")))
}

fn read<T: DeserializeOwned>(
    reader: &apache_avro::reader::datum::GenericDatumReader<'_>,
    mut datum: &[u8],
) -> Result<T, CodecError> {
    let value = reader
        .read_value(&mut datum)
        .map_err(|e| CodecError::new(format!("invalid Avro datum: {e}")))?;
    apache_avro::from_value(&value).map_err(|e| CodecError::new(format!("Avro datum does not fit the type: {e}")))
}

/// `timestamp-millis` ↔ `chrono::DateTime<Utc>`.
pub mod timestamp_millis {
    option_of!(chrono::DateTime<chrono::Utc>);

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.timestamp_millis())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let millis = i64::deserialize(d)?;
        DateTime::from_timestamp_millis(millis)
            .ok_or_else(|| serde::de::Error::custom(format!("timestamp {millis} ms is out of range")))
    }
}

/// `timestamp-micros` ↔ `chrono::DateTime<Utc>`.
pub mod timestamp_micros {
    option_of!(chrono::DateTime<chrono::Utc>);

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.timestamp_micros())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let micros = i64::deserialize(d)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| serde::de::Error::custom(format!("timestamp {micros} µs is out of range")))
    }
}

/// `uuid` on a `string` ↔ `uuid::Uuid` (written as its hyphenated text, as the spec says).
pub mod uuid_string {
    option_of!(uuid::Uuid);

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &uuid::Uuid, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<uuid::Uuid, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = uuid::Uuid;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a UUID")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<uuid::Uuid, E> {
                uuid::Uuid::parse_str(v).map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<uuid::Uuid, E> {
                uuid::Uuid::from_slice(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// `date` (days since the epoch) ↔ `chrono::NaiveDate`.
pub mod date {
    option_of!(chrono::NaiveDate);

    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    fn epoch() -> NaiveDate {
        NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
    }

    pub fn serialize<S: Serializer>(value: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        let days = value.signed_duration_since(epoch()).num_days();
        s.serialize_i32(i32::try_from(days).map_err(|_| serde::ser::Error::custom("date out of range"))?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let days = i32::deserialize(d)?;
        epoch()
            .checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
            .ok_or_else(|| serde::de::Error::custom(format!("date {days} days from the epoch is out of range")))
    }
}

/// Avro `bytes` ↔ `Vec<u8>` (serde would otherwise write an array of ints).
pub mod bytes {
    option_of!(Vec<u8>);

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                Ok(v.as_bytes().to_vec())
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Avro `fixed` of N bytes ↔ `[u8; N]`.
pub mod fixed {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(value: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let bytes = super::bytes::deserialize(d)?;
        <[u8; N]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes, got {}", bytes.len())))
    }
}

/// Avro `bytes` anywhere a plain `Vec<u8>` would be written as an array of numbers (inside
/// arrays, maps, unions and options).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bytes::deserialize(d).map(Bytes)
    }
}

/// Avro `fixed` of N bytes anywhere a plain array would not serialize as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Fixed<N> {
    fn default() -> Self {
        Fixed([0; N])
    }
}

impl<const N: usize> Serialize for Fixed<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de, const N: usize> serde::Deserialize<'de> for Fixed<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fixed::deserialize(d).map(Fixed)
    }
}

/// An Avro `decimal(PRECISION, SCALE)`, as a real decimal number.
///
/// Written as big-endian two's complement of the unscaled value, sign-extended to the length that
/// can hold `PRECISION` digits: apache-avro refuses shorter byte strings for a declared precision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal<const PRECISION: u32, const SCALE: u32>(pub bigdecimal::BigDecimal);

impl<const PRECISION: u32, const SCALE: u32> Decimal<PRECISION, SCALE> {
    /// Bytes needed for `PRECISION` digits (the same formula apache-avro checks against).
    fn width() -> usize {
        let mut len = 1i32;
        while len < 64 && ((2.0_f64.powi(8 * len - 1) - 1.0).log10().floor() as u32) < PRECISION {
            len += 1;
        }
        len as usize
    }

    /// The unscaled value as big-endian two's complement, as Avro stores it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (unscaled, _) = self.0.with_scale(i64::from(SCALE)).into_bigint_and_exponent();
        let bytes = unscaled.to_signed_bytes_be();
        let width = Self::width();
        if bytes.len() >= width {
            return bytes;
        }
        let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            0xFF
        } else {
            0x00
        };
        let mut out = vec![fill; width - bytes.len()];
        out.extend_from_slice(&bytes);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Decimal<PRECISION, SCALE> {
        let unscaled = bigdecimal::num_bigint::BigInt::from_signed_bytes_be(bytes);
        Decimal(bigdecimal::BigDecimal::new(unscaled, i64::from(SCALE)))
    }
}

impl<const PRECISION: u32, const SCALE: u32> std::str::FromStr for Decimal<PRECISION, SCALE> {
    type Err = bigdecimal::ParseBigDecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Decimal)
    }
}

impl<const PRECISION: u32, const SCALE: u32> std::fmt::Display for Decimal<PRECISION, SCALE> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.with_scale(i64::from(SCALE)).fmt(f)
    }
}

impl<const PRECISION: u32, const SCALE: u32> Serialize for Decimal<PRECISION, SCALE> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.to_bytes())
    }
}

impl<'de, const PRECISION: u32, const SCALE: u32> serde::Deserialize<'de> for Decimal<PRECISION, SCALE> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bytes::deserialize(d).map(|b| Decimal::from_bytes(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn crc64_matches_the_specification_examples() {
        // The empty input fingerprints to the initial value; a known schema to its published value.
        assert_eq!(crc64_avro(b""), 0xc15d_213a_a4d7_a795);
        let schema = Schema::parse_str("\"int\"").map_err(|e| e.to_string());
        let fp = schema.map(|s| fingerprint(&s));
        // Value from the Avro specification's test data for "int" (little-endian bytes 8f5c393f1ad57572).
        assert_eq!(
            fp,
            Ok(u64::from_le_bytes([0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]))
        );
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Payment {
        #[serde(with = "uuid_string")]
        id: uuid::Uuid,
        #[serde(with = "timestamp_millis")]
        at: chrono::DateTime<chrono::Utc>,
        amount: Decimal<10, 2>,
        note: Option<String>,
        #[serde(with = "bytes")]
        raw: Vec<u8>,
        status: Status,
        method: Method,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    enum Status {
        #[serde(rename = "OPEN")]
        Open,
        #[serde(rename = "CLOSED")]
        Closed,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Card {
        last4: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Bank {
        iban: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Method {
        Card(Card),
        Bank(Bank),
    }

    const SCHEMA: &str = r#"{"type": "record", "name": "Payment", "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "note", "type": ["null", "string"], "default": null},
        {"name": "raw", "type": "bytes"},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["OPEN", "CLOSED"]}},
        {"name": "method", "type": [
            {"type": "record", "name": "Card", "fields": [{"name": "last4", "type": "string"}]},
            {"type": "record", "name": "Bank", "fields": [{"name": "iban", "type": "string"}]}
        ]}
    ]}"#;

    #[test]
    fn single_object_round_trip_with_logical_types_and_unions() -> Result<(), CodecError> {
        static CELL: OnceLock<Schema> = OnceLock::new();
        let schema = super::schema(&CELL, SCHEMA)?;
        let fp = fingerprint(schema);
        let value = Payment {
            id: uuid::Uuid::from_u128(0x1234),
            at: chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default(),
            amount: "12.34".parse().map_err(|e| CodecError::new(format!("{e}")))?,
            note: Some("first".into()),
            raw: vec![0, 1, 2, 255],
            status: Status::Closed,
            method: Method::Bank(Bank { iban: "DE00".into() }),
        };
        let bytes = encode(&value, schema, fp)?;
        assert_eq!(bytes[..2], MARKER);
        assert_eq!(bytes[2..10], fp.to_le_bytes());
        let back: Payment = decode(&bytes, schema, &[(fp, schema)])?;
        assert_eq!(back, value);
        assert_eq!(back.amount.to_string(), "12.34");
        let negative: Decimal<10, 2> = "-0.05".parse().map_err(|e| CodecError::new(format!("{e}")))?;
        assert_eq!(Decimal::<10, 2>::from_bytes(&negative.to_bytes()), negative);
        Ok(())
    }

    #[test]
    fn bad_payloads_are_typed_errors() {
        static CELL: OnceLock<Schema> = OnceLock::new();
        let Ok(schema) = super::schema(&CELL, SCHEMA) else {
            panic!("schema")
        };
        let short = decode::<Payment, &Schema>(&[0xC3], schema, &[]).map_err(|e| e.message);
        assert!(short.is_err_and(|m| m.contains("shorter")));
        let marker = decode::<Payment, &Schema>(&[0; 12], schema, &[]).map_err(|e| e.message);
        assert!(marker.is_err_and(|m| m.contains("c3 01")));
        let mut unknown = MARKER.to_vec();
        unknown.extend_from_slice(&[9; 8]);
        let unknown = decode::<Payment, _>(&unknown, schema, &[(1, schema)]).map_err(|e| e.message);
        assert!(unknown.is_err_and(|m| m.contains("fingerprint")));
    }
}
