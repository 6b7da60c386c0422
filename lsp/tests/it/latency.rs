//! didChange → publishDiagnostics latency, on the example repo and on a synthetic repo of 1,000
//! proto files (the benchmarks' generator). Measurements, not checks: run them with
//! `cargo test -p herald-lsp --release --test it latency -- --ignored --nocapture`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{example_repo, path_of, Client};

// The generator allows its own dead code (each benchmark uses some of it).
#[path = "../../../codegen/benches/common/mod.rs"]
pub mod generator;

/// Edits `file` `rounds` times (a comment line toggled), each time waiting for its diagnostics;
/// prints and returns p50 and p95.
fn measure(label: &str, root: &Path, file: &str, rounds: usize) -> (Duration, Duration) {
    let (mut client, _) = Client::start(Some(root), false);
    let path = path_of(root, file);
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    client.wait_version(&uri, 1);
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let version = i32::try_from(round).expect("small") + 2;
        let edited = if round % 2 == 0 {
            format!("// edit {round}\n{text}")
        } else {
            text.clone()
        };
        let start = Instant::now();
        client.change_full(&uri, version, &edited);
        client.wait_version(&uri, version);
        times.push(start.elapsed());
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!("{label}: didChange → publishDiagnostics over {rounds} edits: p50 {p50:?}, p95 {p95:?}");
    assert_eq!(client.stop(), 0);
    (p50, p95)
}

#[test]
#[ignore = "a measurement; run with --ignored --nocapture"]
fn latency_example_repo() {
    let dir = example_repo();
    measure("example repo", dir.path(), "user/v1/user_updated.proto", 40);
}

#[test]
#[ignore = "a measurement; run with --ignored --nocapture"]
fn latency_1000_proto_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    generator::write_proto_repo(dir.path(), 1000);
    measure("1,000 proto files", dir.path(), "proto/e0.proto", 20);
}
