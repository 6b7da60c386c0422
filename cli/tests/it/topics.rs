//! `herald topics` without a broker: the declared topics (`topics list`), bad declarations, and
//! `topics apply` in a herald built without the `kafka` feature. The broker side is
//! `tests/it/topics_kafka.rs`.

use std::path::Path;

use crate::common;
use common::{herald, repo, transcript};

/// Exit code, stdout and stderr of `herald <args> <dir>`, the directory shown as `<repo>`.
fn run_on(dir: &Path, args: &[&str]) -> String {
    let path = dir.display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.insert(2, &path);
    transcript(&all).1.replace(&path, "<repo>")
}

#[test]
fn list_the_example_repo() {
    let _snapshots = common::snapshots().bind_to_scope();
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    insta::assert_snapshot!("topics__list_the_example_repo", run_on(&schemas, &["topics", "list"]));
}

#[test]
fn list_shared_and_defaulted_topics() {
    let _snapshots = common::snapshots().bind_to_scope();
    let dir = repo(
        r#"
[sources.orders]
topic = "shop.orders"
schemas = ["orders/*.proto"]
partitions = 12

[sources.returns]
topic = "shop.orders"          # shares the topic; takes the partitions orders declares
schemas = ["returns/*.proto"]

[sources.audit]
schemas = ["audit/*.avsc"]     # topic "audit", default partitions
"#,
    );
    insta::assert_snapshot!(
        "topics__list_shared_and_defaulted_topics",
        run_on(dir.path(), &["topics", "list"])
    );
}

#[test]
fn conflicting_partitions_and_bad_names_are_refused() {
    let _snapshots = common::snapshots().bind_to_scope();
    let dir = repo(
        r#"
[sources.orders]
topic = "shop.orders"
schemas = ["orders/*.proto"]
partitions = 12

[sources.returns]
topic = "shop.orders"
schemas = ["returns/*.proto"]
partitions = 6

[sources.bad]
topic = "has space/and slash"
schemas = ["bad/*.proto"]
"#,
    );
    insta::assert_snapshot!(
        "topics__conflicting_partitions_and_bad_names_are_refused",
        run_on(dir.path(), &["topics", "list"])
    );
}

#[test]
fn bad_config_is_refused_before_anything_else() {
    let _snapshots = common::snapshots().bind_to_scope();
    let dir = repo(
        r#"
[sources.orders]
schemas = ["orders/*.proto"]
partitions = 0
"#,
    );
    insta::assert_snapshot!("topics__bad_partitions_list", run_on(dir.path(), &["topics", "list"]));
    insta::assert_snapshot!(
        "topics__bad_partitions_apply",
        run_on(dir.path(), &["topics", "apply", "--bootstrap", "127.0.0.1:1"])
    );
}

#[test]
fn no_config_and_no_directory() {
    let _snapshots = common::snapshots().bind_to_scope();
    let empty = tempfile::tempdir().expect("temp dir");
    insta::assert_snapshot!("topics__no_config", run_on(empty.path(), &["topics", "list"]));
    let missing = empty.path().join("missing");
    insta::assert_snapshot!("topics__no_directory", run_on(&missing, &["topics", "list"]));
}

#[test]
fn bad_arguments() {
    let (code, _, err) = herald(&["topics", "apply", ".", "--bootstrap", "h:1", "--config", "no-equals"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`no-equals` is not KEY=VALUE"), "{err}");
    let (code, _, err) = herald(&["topics", "apply", ".", "--bootstrap", "h:1", "--replication", "0"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = herald(&["topics", "apply", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--bootstrap"), "{err}");
}

/// Built without Kafka support, `apply` says how to get it (after checking the repo).
#[cfg(not(feature = "kafka"))]
#[test]
fn apply_without_the_kafka_feature() {
    let _snapshots = common::snapshots().bind_to_scope();
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    insta::assert_snapshot!(
        "topics__apply_without_the_kafka_feature",
        run_on(&schemas, &["topics", "apply", "--bootstrap", "127.0.0.1:9092"])
    );
}
