//! `herald topics apply` against a real broker (`scripts/broker.sh start` runs tansu on
//! 127.0.0.1:9092; `HERALD_KAFKA_BOOTSTRAP` points elsewhere): the real `herald` binary on a
//! temporary schema repo with unique topic names, partition counts read back with plain rdkafka
//! metadata (not through herald). Without a broker these tests fail: they never pass by skipping.
//! Built only with the `kafka` feature (see `main.rs`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::common;
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;
use common::{repo, transcript};

fn bootstrap() -> String {
    std::env::var("HERALD_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// The broker's address; panics when no broker listens.
fn broker() -> String {
    let bootstrap = bootstrap();
    support::require_broker(
        &bootstrap,
        "HERALD_KAFKA_BOOTSTRAP",
        "`cargo xtask peers && bash scripts/broker.sh start`",
    );
    bootstrap
}

/// A prefix no other run uses, for topic names.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("herald-topics-{}-{nanos}", std::process::id())
}

/// Partition count of every topic on the broker, from rdkafka's metadata (all topics: asking for
/// one by name could create it).
fn partitions(bootstrap: &str) -> BTreeMap<String, usize> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("metadata client");
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| (t.name().to_owned(), t.partitions().len()))
        .collect()
}

/// Creates `topic` with `partitions` partitions with rdkafka's admin client (not herald).
fn create_directly(bootstrap: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let runtime = herald_runtime::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results = runtime
        .block_on(admin.create_topics(
            [&NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        ))
        .expect("create topics");
    for r in results {
        r.expect("topic created");
    }
}

/// `herald topics apply <repo> --bootstrap <bootstrap> <extra>`: exit code and output, the
/// topic prefix shown as `<p>`.
fn apply(dir: &tempfile::TempDir, bootstrap: &str, prefix: &str, extra: &[&str]) -> (i32, String) {
    let path = dir.path().display().to_string();
    let mut args = vec!["topics", "apply", path.as_str(), "--bootstrap", bootstrap];
    args.extend_from_slice(extra);
    let (code, text) = transcript(&args);
    (code, text.replace(prefix, "<p>"))
}

#[test]
fn default_partitions_match_the_in_memory_transport() {
    assert_eq!(
        herald_codegen::topics::DEFAULT_PARTITIONS,
        herald_runtime::memory::MemoryConfig::default().default_partitions
    );
}

#[test]
fn apply_creates_declared_topics_then_is_a_no_op() {
    let _snapshots = common::snapshots().bind_to_scope();
    let bootstrap = broker();
    let p = unique();
    let dir = repo(&format!(
        r#"
[sources.orders]
topic = "{p}-orders"
schemas = ["orders/*.proto"]
partitions = 3

[sources.returns]
topic = "{p}-orders"
schemas = ["returns/*.proto"]

[sources.audit]
topic = "{p}-audit"
schemas = ["audit/*.avsc"]
"#
    ));
    let (orders, audit) = (format!("{p}-orders"), format!("{p}-audit"));

    // A dry run reads the cluster and changes nothing.
    let (code, out) = apply(&dir, &bootstrap, &p, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("topics_kafka__dry_run", out);
    let now = partitions(&bootstrap);
    assert!(!now.contains_key(&orders) && !now.contains_key(&audit), "{now:?}");

    let (code, out) = apply(&dir, &bootstrap, &p, &[]);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("topics_kafka__first_run", out);
    let now = partitions(&bootstrap);
    assert_eq!(now.get(&orders), Some(&3), "{now:?}");
    assert_eq!(now.get(&audit), Some(&4), "the default partitions: {now:?}");

    // Idempotent: nothing left to do.
    let (code, out) = apply(&dir, &bootstrap, &p, &[]);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("topics_kafka__second_run", out);
    let after = partitions(&bootstrap);
    assert_eq!((after.get(&orders), after.get(&audit)), (Some(&3), Some(&4)));
}

#[test]
fn existing_topics_with_other_partition_counts() {
    let _snapshots = common::snapshots().bind_to_scope();
    let bootstrap = broker();
    let p = unique();
    let (fewer, more, missing) = (format!("{p}-fewer"), format!("{p}-more"), format!("{p}-missing"));
    create_directly(&bootstrap, &fewer, 2);
    create_directly(&bootstrap, &more, 6);
    let dir = repo(&format!(
        r#"
[sources.fewer]
topic = "{fewer}"
schemas = ["a/*.proto"]
partitions = 4

[sources.more]
topic = "{more}"
schemas = ["b/*.proto"]
partitions = 4

[sources.missing]
topic = "{missing}"
schemas = ["c/*.proto"]
partitions = 2
"#
    ));

    // Neither can be brought in line without asking; the missing one is still created.
    let (code, out) = apply(&dir, &bootstrap, &p, &[]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("topics_kafka__not_allowed", out);
    let now = partitions(&bootstrap);
    assert_eq!(
        (now.get(&fewer), now.get(&more), now.get(&missing)),
        (Some(&2), Some(&6), Some(&2)),
        "{now:?}"
    );

    // Allowed to grow: Kafka adds the partitions. tansu has no CreatePartitions: herald reports
    // the broker's refusal and the topic stays as it was. Shrinking stays an error either way.
    let (code, out) = apply(&dir, &bootstrap, &p, &["--allow-partition-increase"]);
    assert_eq!(code, 1, "the topic with more partitions: {out}");
    assert!(
        out.contains(
            "error         <p>-more: has 6 partitions, herald.toml declares 4; Kafka cannot remove partitions"
        ),
        "{out}"
    );
    assert!(out.contains("exists        <p>-missing: 2 partitions"), "{out}");
    let now = partitions(&bootstrap);
    if out.contains("grown         <p>-fewer: 2 -> 4 partitions") {
        assert_eq!(now.get(&fewer), Some(&4), "{now:?}");
    } else {
        assert!(
            out.contains("error         <p>-fewer: cannot add partitions to `<p>-fewer`: Admin operation error: UnsupportedFeature"),
            "{out}"
        );
        assert_eq!(now.get(&fewer), Some(&2), "{now:?}");
    }
    assert_eq!(now.get(&more), Some(&6), "{now:?}");
}

#[test]
fn librdkafka_properties_pass_through() {
    let _snapshots = common::snapshots().bind_to_scope();
    let bootstrap = broker();
    let p = unique();
    let dir = repo(&format!(
        r#"
[sources.one]
topic = "{p}-one"
schemas = ["one/*.proto"]
partitions = 1
"#
    ));
    let (code, out) = apply(
        &dir,
        &bootstrap,
        &p,
        &["--config", "client.id=herald-topics-test", "--replication", "1"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("created       <p>-one: 1 partition"), "{out}");
    assert_eq!(partitions(&bootstrap).get(&format!("{p}-one")), Some(&1));

    let (code, out) = apply(&dir, &bootstrap, &p, &["--config", "no.such.property=1"]);
    assert_eq!(code, 2, "{out}");
    insta::assert_snapshot!("topics_kafka__unknown_property", out);
}

#[test]
fn unreachable_broker_fails_fast() {
    let p = unique();
    let dir = repo(&format!(
        r#"
[sources.one]
topic = "{p}-one"
schemas = ["one/*.proto"]
"#
    ));
    // Nothing listens on port 1: an error after --timeout (10 s by default), never a hang.
    let started = Instant::now();
    let (code, out) = apply(&dir, "127.0.0.1:1", &p, &[]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{out}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    // librdkafka's reason varies (transport failure, all brokers down): not snapshotted.
    assert!(
        out.starts_with("exit 2\n--- stdout\n--- stderr\n"),
        "nothing on stdout: {out}"
    );
    assert!(
        out.contains("herald topics apply: cannot reach the Kafka cluster at 127.0.0.1:1 within 10 s ("),
        "{out}"
    );
    assert!(
        out.contains("check --bootstrap, the security settings (--config) and --timeout"),
        "{out}"
    );

    let started = Instant::now();
    let (code, out) = apply(&dir, "127.0.0.1:1", &p, &["--timeout", "2"]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{out}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(out.contains("within 2 s"), "{out}");
}
