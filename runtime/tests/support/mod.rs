//! What the transport and consumer tests (here, and herald-cli's `topics_kafka`) share. Each
//! test file uses part of it.
#![allow(dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use herald_runtime::{Envelope, Version};

/// Panics, saying how to start one, unless a broker accepts connections at one of `bootstrap`'s
/// servers (comma-separated): the Kafka tests fail without their broker, never skip.
pub fn require_broker(bootstrap: &str, variable: &str, start: &str) {
    let reachable = bootstrap.split(',').any(|server| {
        server
            .to_socket_addrs()
            .map(|mut addrs| addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok()))
            .unwrap_or(false)
    });
    assert!(
        reachable,
        "no Kafka broker at {bootstrap} ({variable}); start one with {start}"
    );
}

/// An envelope with the required attributes, the time it was made, `text/plain` data and `key` as
/// its partition key: what the tests send (each sets what else it needs).
pub fn text_envelope(id: String, source: &str, key: &str, data: &str) -> Envelope {
    Envelope {
        id,
        source: source.into(),
        event_type: "test.Happened".into(),
        spec_version: "1.0".into(),
        time: Some(herald_runtime::chrono::Utc::now()),
        data_content_type: Some("text/plain".into()),
        data_schema: None,
        subject: None,
        version: Version::new(1, 0),
        partition_key: Some(key.into()),
        correlation_id: None,
        causation_id: None,
        traceparent: None,
        data: data.as_bytes().to_vec(),
    }
}
