//! herald's Kafka transport tested against a real broker (`scripts/broker.sh`): the tests are in
//! `tests/`, the consumer process they kill and restart in `src/bin/herald-kafka-worker.rs`. A
//! crate of its own, never published, so that herald-runtime carries no test binary and needs no
//! multi-threaded tokio runtime.
