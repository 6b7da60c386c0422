//! `herald check` beyond the proto comparison with buf (which `cargo xtask bench-check` runs):
//! 1,000 Avro files with 5% changed, and a transitive check against 20 released versions.
//!
//! Run with `cargo bench -p herald-codegen --bench check`.

mod common;

use divan::Bencher;
use herald_codegen::compat::check::{self, CheckOptions};

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn avro_1000_files_5_percent_changed(bencher: Bencher) {
    let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    common::write_avro_repo(old.path(), 1000);
    common::write_avro_repo(new.path(), 1000);
    for i in (0..1000).step_by(20) {
        let path = new.path().join(format!("avro/e{i}.avsc"));
        let text = std::fs::read_to_string(&path).expect("read").replace(
            "{\"name\": \"occurredAt\"",
            "{\"name\": \"region\", \"type\": \"string\"},\n    {\"name\": \"occurredAt\"",
        );
        std::fs::write(&path, text).expect("write");
    }
    bencher.bench(|| {
        let (o, n) = std::thread::scope(|s| {
            let o = s.spawn(|| herald_codegen::load::load(old.path()).expect("old").set);
            let n = herald_codegen::load::load(new.path()).expect("new").set;
            (o.join().expect("thread"), n)
        });
        let findings = check::check(&o, &n, &CheckOptions::default());
        assert_eq!(findings.len(), 50);
        findings
    });
}

/// 20 events, each released in 20 MINOR versions (a field added each time), then checked with
/// BACKWARD_TRANSITIVE against every one of its releases: 400 comparisons.
#[divan::bench(sample_count = 5)]
fn transitive_against_20_released_versions(bencher: Bencher) {
    let repo = tempfile::tempdir().expect("tmp");
    std::fs::write(
        repo.path().join("herald.toml"),
        "[repo]\nname = \"bench\"\ncompatibility = \"BACKWARD_TRANSITIVE\"\n\n[sources.svc]\nschemas = [\"*.proto\"]\n",
    )
    .expect("toml");
    let write = |minor: u32| {
        for e in 0..20 {
            let fields: String = (0..=minor).map(|f| format!("  string f{f} = {};\n", f + 2)).collect();
            let text = format!(
                "syntax = \"proto3\";\npackage bench.e{e};\nimport \"herald/options.proto\";\nmessage Happened{e} {{\n  option (herald.event) = {{ version: \"1.{minor}\", kind: EVENT, partition_key: \"id\" }};\n  string id = 1;\n{fields}}}\n"
            );
            std::fs::write(repo.path().join(format!("e{e}.proto")), text).expect("write");
        }
    };
    let mut lock = herald_codegen::lock::Lock::default();
    for minor in 0..20 {
        write(minor);
        let set = herald_codegen::load::load(repo.path()).expect("loads").set;
        herald_codegen::lock::release(&set, &mut lock).expect("release");
    }
    write(20);
    let set = herald_codegen::load::load(repo.path()).expect("loads").set;
    bencher.bench(|| {
        let findings = check::check_against_lock(&lock, &set, &CheckOptions::default()).expect("checks");
        assert!(
            findings.is_empty(),
            "{:?}",
            findings.first().map(|f| &f.finding.message)
        );
        findings
    });
}
