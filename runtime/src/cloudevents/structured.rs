//! CloudEvents JSON (structured mode): the whole envelope as one JSON object, for humans,
//! debugging and HTTP peers. Attributes are top-level members; herald's extensions use their
//! CloudEvents names (`version`, `partitionkey`, `correlationid`, `causationid`, `traceparent`);
//! the payload is `data_base64`, or `data` when its content type is JSON.

use serde_json::{Map, Value};

use crate::envelope::{invalid, media_type, Envelope, EnvelopeError};
use crate::event::Version;

/// Content type of a record or message carrying a structured-mode envelope.
pub const CONTENT_TYPE_CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .map(media_type)
        .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json") || essence == "text/json")
}

impl Envelope {
    /// The envelope as a CloudEvents JSON object.
    pub fn to_json_value(&self) -> Value {
        use base64::Engine as _;
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::String(v));
            }
        };
        put("specversion", Some(self.spec_version.clone()));
        put("id", Some(self.id.clone()));
        put("source", Some(self.source.clone()));
        put("type", Some(self.event_type.clone()));
        put("time", self.time.map(super::time::format));
        put("datacontenttype", self.data_content_type.clone());
        put("dataschema", self.data_schema.clone());
        put("subject", self.subject.clone());
        put("version", Some(self.version.to_string()));
        put("partitionkey", self.partition_key.clone());
        put("correlationid", self.correlation_id.clone());
        put("causationid", self.causation_id.clone());
        put("traceparent", self.traceparent.clone());
        let json_data = is_json(self.data_content_type.as_deref())
            .then(|| serde_json::from_slice::<Value>(&self.data).ok())
            .flatten();
        match json_data {
            Some(data) => {
                m.insert("data".into(), data);
            }
            None => {
                m.insert(
                    "data_base64".into(),
                    Value::String(base64::engine::general_purpose::STANDARD.encode(&self.data)),
                );
            }
        }
        Value::Object(m)
    }

    /// The envelope as CloudEvents JSON text (pretty-printed when `pretty`).
    pub fn to_json(&self, pretty: bool) -> String {
        let value = self.to_json_value();
        let text = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        };
        // Serialising a `Value` of strings cannot fail.
        text.unwrap_or_default()
    }

    /// Reads a CloudEvents JSON envelope, validating every attribute as binary mode does.
    pub fn from_json(text: &[u8]) -> Result<Envelope, EnvelopeError> {
        let value: Value = serde_json::from_slice(text).map_err(|e| {
            invalid(
                "(json)",
                format!("not a JSON object: {e} (line {}, column {})", e.line(), e.column()),
            )
        })?;
        Envelope::from_json_value(&value)
    }

    /// [`Envelope::from_json`] on a parsed value.
    pub fn from_json_value(value: &Value) -> Result<Envelope, EnvelopeError> {
        use base64::Engine as _;
        let Value::Object(m) = value else {
            return Err(invalid("(json)", "a structured-mode event must be a JSON object"));
        };
        let get = |name: &'static str| -> Result<Option<String>, EnvelopeError> {
            match m.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(invalid(name, format!("must be a string, found {other}"))),
            }
        };
        let required = |name: &'static str| get(name)?.ok_or_else(|| invalid(name, "is missing"));
        let version_text = required("version")?;
        let version = Version::parse(&version_text)
            .ok_or_else(|| invalid("version", format!("`{version_text}` is not MAJOR.MINOR")))?;
        let time = match get("time")? {
            None => None,
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|e| invalid("time", format!("`{t}` is not RFC 3339: {e}")))?
                    .with_timezone(&chrono::Utc),
            ),
        };
        let data_content_type = get("datacontenttype")?;
        let data = match (m.get("data"), m.get("data_base64")) {
            (Some(_), Some(_)) => return Err(invalid("data", "both `data` and `data_base64` are present")),
            (None, None) | (Some(Value::Null), None) => Vec::new(),
            (None, Some(Value::String(b))) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| invalid("data_base64", format!("is not base64: {e}")))?,
            (None, Some(other)) => return Err(invalid("data_base64", format!("must be a string, found {other}"))),
            (Some(data), None) => {
                if !is_json(data_content_type.as_deref()) && data_content_type.is_some() {
                    return Err(invalid(
                        "data",
                        format!(
                            "JSON `data` with content type `{}`: binary payloads go in `data_base64`",
                            data_content_type.as_deref().unwrap_or_default()
                        ),
                    ));
                }
                serde_json::to_vec(data).map_err(|e| invalid("data", e.to_string()))?
            }
        };
        let envelope = Envelope {
            id: required("id")?,
            source: required("source")?,
            event_type: required("type")?,
            spec_version: required("specversion")?,
            time,
            data_content_type,
            data_schema: get("dataschema")?,
            subject: get("subject")?,
            version,
            partition_key: get("partitionkey")?,
            correlation_id: get("correlationid")?,
            causation_id: get("causationid")?,
            traceparent: get("traceparent")?,
            data,
        };
        envelope.validate()?;
        Ok(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            id: "e-1".into(),
            source: "user-service".into(),
            event_type: "acme.user.v1.UserUpdated".into(),
            spec_version: "1.0".into(),
            time: chrono::DateTime::from_timestamp_millis(1_700_000_000_123),
            data_content_type: Some(crate::CONTENT_TYPE_PROTOBUF.into()),
            data_schema: None,
            subject: None,
            version: Version::new(1, 2),
            partition_key: Some("u-1".into()),
            correlation_id: Some("c-1".into()),
            causation_id: None,
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
            data: vec![0, 1, 2, 0xff],
        }
    }

    #[test]
    fn binary_payload_round_trips_as_data_base64() -> Result<(), EnvelopeError> {
        let e = envelope();
        let text = e.to_json(false);
        assert!(text.contains(r#""data_base64":"AAEC/w==""#), "{text}");
        assert!(text.contains(r#""partitionkey":"u-1""#), "{text}");
        assert_eq!(Envelope::from_json(text.as_bytes())?, e);
        Ok(())
    }

    #[test]
    fn json_payload_is_inline_data() -> Result<(), EnvelopeError> {
        let mut e = envelope();
        e.data_content_type = Some("application/json".into());
        e.data = br#"{"userId":"u-1"}"#.to_vec();
        let value = e.to_json_value();
        assert_eq!(value["data"]["userId"], "u-1");
        assert_eq!(Envelope::from_json(e.to_json(true).as_bytes())?, e);
        Ok(())
    }

    #[test]
    fn malformed_envelopes_name_the_attribute() {
        let cases: &[(&str, &str)] = &[
            ("[1, 2]", "(json)"),
            ("{\"id\": ", "(json)"),
            (r#"{"specversion":"1.0","id":"x","source":"s","type":"t"}"#, "version"),
            (
                r#"{"specversion":"1.0","id":"x","source":"s","type":"t","version":"one"}"#,
                "version",
            ),
            (
                r#"{"specversion":"0.3","id":"x","source":"s","type":"t","version":"1.0"}"#,
                "specversion",
            ),
            (
                r#"{"specversion":"1.0","id":7,"source":"s","type":"t","version":"1.0"}"#,
                "id",
            ),
            (r#"{"specversion":"1.0","source":"s","type":"t","version":"1.0"}"#, "id"),
            (
                r#"{"specversion":"1.0","id":"x","source":"s","type":"t","version":"1.0","time":"yesterday"}"#,
                "time",
            ),
            (
                r#"{"specversion":"1.0","id":"x","source":"s","type":"t","version":"1.0","data_base64":"!!"}"#,
                "data_base64",
            ),
            (
                r#"{"specversion":"1.0","id":"x","source":"s","type":"t","version":"1.0","data":{},"data_base64":""}"#,
                "data",
            ),
            (
                r#"{"specversion":"1.0","id":"x","source":"s","type":"t","version":"1.0","datacontenttype":"application/protobuf","data":{}}"#,
                "data",
            ),
        ];
        for (text, attribute) in cases {
            match Envelope::from_json(text.as_bytes()) {
                Ok(e) => panic!("accepted {text}: {e:?}"),
                Err(e) => assert_eq!(e.attribute, *attribute, "{text}: {e}"),
            }
        }
    }
}
