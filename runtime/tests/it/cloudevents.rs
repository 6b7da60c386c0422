//! Interoperability with the CloudEvents Rust SDK: herald's structured-mode JSON is read by the
//! SDK's `Event`, and the SDK's JSON is read back into herald's envelope, both ways, with every
//! attribute and extension intact.

use cloudevents::{AttributesReader, Data, EventBuilder, EventBuilderV10};
use herald_runtime::{Envelope, Version};

fn herald_envelope() -> Envelope {
    Envelope {
        id: "4a8c1f0e-6a0b-4bb7-9d55-0f6b7f6b1a11".into(),
        source: "user-service".into(),
        event_type: "acme.user.v1.UserUpdated".into(),
        spec_version: "1.0".into(),
        time: chrono::DateTime::from_timestamp_millis(1_700_000_000_123),
        data_content_type: Some(herald_runtime::CONTENT_TYPE_PROTOBUF.into()),
        data_schema: Some("https://schemas.acme.test/user/v1/user_updated.proto".into()),
        subject: Some("u-42".into()),
        version: Version::new(1, 2),
        partition_key: Some("u-42".into()),
        correlation_id: Some("c-7".into()),
        causation_id: Some("e-6".into()),
        traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        data: vec![0x0a, 0x04, b'u', b'-', b'4', b'2', 0x00, 0xff],
    }
}

fn ext(event: &cloudevents::Event, name: &str) -> Option<String> {
    event.extension(name).map(|v| v.to_string())
}

#[test]
fn the_sdk_reads_what_herald_writes() -> Result<(), Box<dyn std::error::Error>> {
    let envelope = herald_envelope();
    let event: cloudevents::Event = serde_json::from_str(&envelope.to_json(false))?;
    assert_eq!(event.id(), envelope.id);
    assert_eq!(event.source().to_string(), envelope.source);
    assert_eq!(event.ty(), envelope.event_type);
    assert_eq!(event.time().copied(), envelope.time);
    assert_eq!(event.datacontenttype(), envelope.data_content_type.as_deref());
    assert_eq!(event.dataschema().map(|u| u.to_string()), envelope.data_schema);
    assert_eq!(event.subject(), envelope.subject.as_deref());
    assert_eq!(ext(&event, "version").as_deref(), Some("1.2"));
    assert_eq!(ext(&event, "partitionkey"), envelope.partition_key);
    assert_eq!(ext(&event, "correlationid"), envelope.correlation_id);
    assert_eq!(ext(&event, "causationid"), envelope.causation_id);
    assert_eq!(ext(&event, "traceparent"), envelope.traceparent);
    assert_eq!(event.data(), Some(&Data::Binary(envelope.data.clone())));
    Ok(())
}

#[test]
fn herald_reads_what_the_sdk_writes() -> Result<(), Box<dyn std::error::Error>> {
    let expected = herald_envelope();
    let time = expected.time.ok_or("no time")?;
    let event = EventBuilderV10::new()
        .id(expected.id.clone())
        .source(expected.source.clone())
        .ty(expected.event_type.clone())
        .time(time)
        .subject("u-42")
        .extension("version", "1.2")
        .extension("partitionkey", "u-42")
        .extension("correlationid", "c-7")
        .extension("causationid", "e-6")
        .extension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .data_with_schema(
            herald_runtime::CONTENT_TYPE_PROTOBUF,
            "https://schemas.acme.test/user/v1/user_updated.proto",
            expected.data.clone(),
        )
        .build()?;
    let text = serde_json::to_string(&event)?;
    let envelope = Envelope::from_json(text.as_bytes())?;
    assert_eq!(envelope, expected);
    Ok(())
}

#[test]
fn a_json_payload_survives_both_ways() -> Result<(), Box<dyn std::error::Error>> {
    let mut envelope = herald_envelope();
    envelope.data_content_type = Some("application/json".into());
    envelope.data = serde_json::to_vec(&serde_json::json!({"userId": "u-42", "level": 7}))?;
    let event: cloudevents::Event = serde_json::from_str(&envelope.to_json(true))?;
    assert_eq!(
        event.data(),
        Some(&Data::Json(serde_json::json!({"userId": "u-42", "level": 7})))
    );
    let back = Envelope::from_json(serde_json::to_string(&event)?.as_bytes())?;
    assert_eq!(back, envelope);
    Ok(())
}

#[test]
fn an_sdk_event_without_herald_version_is_refused_by_name() -> Result<(), Box<dyn std::error::Error>> {
    let event = EventBuilderV10::new().id("x").source("s").ty("t").build()?;
    let err = Envelope::from_json(serde_json::to_string(&event)?.as_bytes())
        .err()
        .ok_or("accepted")?;
    assert_eq!(err.attribute, "version");
    Ok(())
}
