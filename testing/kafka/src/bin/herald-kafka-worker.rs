//! A consumer process for the Kafka tests (feature `kafka`): consumes `<topic>` in `<group>` with
//! the normal [`Consumer`], handles each event by appending its id and the worker's pid as a line
//! to `<out-file>` (flushed per line, before the consumer commits), and stops cleanly when its
//! standard input closes. Killing it anywhere shows what at-least-once delivery leaves behind.
//!
//! Usage: `herald-kafka-worker <bootstrap> <group> <topic> <out-file>`
//! (`HERALD_KAFKA_SESSION_TIMEOUT_MS` sets `session.timeout.ms`, default 6000;
//! `HERALD_KAFKA_COMMIT_INTERVAL_MS` sets `auto.commit.interval.ms`, default herald's).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use herald_runtime::kafka::{KafkaConfig, KafkaTransport};
use herald_runtime::{Consumer, ConsumerConfig};
use herald_runtime::{Context, Dispatch, DispatchError, HandlerError};

struct AppendIds {
    out: Arc<Mutex<std::fs::File>>,
    pid: u32,
}

impl Dispatch for AppendIds {
    fn event_types(&self) -> &'static [&'static str] {
        &["test.Happened"]
    }

    async fn dispatch(&self, ctx: &Context) -> Result<(), DispatchError> {
        // One write per line, so that a kill leaves at most a partial last line.
        let line = format!("{} {}\n", ctx.id(), self.pid);
        let mut out = self.out.lock().expect("lock");
        out.write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| DispatchError::Handler {
                event_type: ctx.event_type().to_owned(),
                error: HandlerError::from(e),
            })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bootstrap, group, topic, out] = args.as_slice() else {
        eprintln!("usage: herald-kafka-worker <bootstrap> <group> <topic> <out-file>");
        std::process::exit(2);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap_or_else(|e| panic!("cannot open {out}: {e}"));
    // tansu's group join takes about half the session timeout, and a killed member holds its
    // partitions until its session expires: HERALD_KAFKA_SESSION_TIMEOUT_MS (default 6000).
    let session = std::env::var("HERALD_KAFKA_SESSION_TIMEOUT_MS").unwrap_or_else(|_| "6000".to_owned());
    let heartbeat = (session.parse::<u64>().unwrap_or(6000) / 6).max(100).to_string();
    let mut config = KafkaConfig::new(bootstrap)
        .set("fetch.wait.max.ms", "10")
        .set("session.timeout.ms", &session)
        .set("heartbeat.interval.ms", &heartbeat);
    if let Ok(interval) = std::env::var("HERALD_KAFKA_COMMIT_INTERVAL_MS") {
        config = config.set("auto.commit.interval.ms", &interval);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        let transport = KafkaTransport::new(config).expect("transport");
        let dispatcher = AppendIds {
            out: Arc::new(Mutex::new(file)),
            pid: std::process::id(),
        };
        let consumer = Consumer::new(
            transport,
            dispatcher,
            ConsumerConfig::new(group.clone(), [topic.clone()]),
        );
        // Stop when standard input closes.
        let stdin_closed = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::stdin().read_to_end(&mut sink);
            })
            .await;
        };
        consumer.run(stdin_closed).await
    });
    if let Err(e) = result {
        eprintln!("herald-kafka-worker: {e}");
        std::process::exit(1);
    }
}
