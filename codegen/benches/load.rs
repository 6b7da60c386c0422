//! Loading speed: a synthetic repo of 1,000 proto files and 1,000 Avro files through the full
//! loader (read, scan, parse, type-check, model, event validation). Reports files per second.
//!
//! Run with `cargo bench -p herald-codegen --bench load`.

mod common;

use divan::counter::ItemsCount;
use divan::Bencher;

const FILES: usize = 1_000;

fn main() {
    divan::main();
}

fn repo(write: fn(&std::path::Path, usize)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), FILES);
    dir
}

#[divan::bench(sample_count = 10)]
fn proto_1000_files(bencher: Bencher) {
    let dir = repo(common::write_proto_repo);
    bencher.counter(ItemsCount::new(FILES)).bench(|| {
        let loaded = herald_codegen::load::load(dir.path()).expect("loads");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics.first());
        loaded
    });
}

#[divan::bench(sample_count = 10)]
fn avro_1000_files(bencher: Bencher) {
    let dir = repo(common::write_avro_repo);
    bencher.counter(ItemsCount::new(FILES)).bench(|| {
        let loaded = herald_codegen::load::load(dir.path()).expect("loads");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics.first());
        loaded
    });
}

#[divan::bench(sample_count = 10)]
fn mixed_2000_files_with_events(bencher: Bencher) {
    let dir = repo(common::write_mixed_repo);
    bencher.counter(ItemsCount::new(2 * FILES)).bench(|| {
        let loaded = herald_codegen::load::load(dir.path()).expect("loads");
        assert_eq!(loaded.set.events.len(), 2 * FILES);
        loaded
    });
}
