//! What the Kafka tests (here and in herald-codegen's `topics_kafka`) share.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

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
