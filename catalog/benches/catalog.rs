//! `herald catalog` on a generated repo of 1,000 proto events (bench-check's file shape, in 10
//! sources with a consumer each) with 20 released MINOR versions of every event in herald.lock
//! (20,000 releases): load, read the lock, rebuild every release, diff and check consecutive
//! versions (and each against the latest), render every page and picture, write the site.
//!
//! And 10,000 events with one version each, the size the catalog must survive.
//!
//! Run with `cargo bench -p herald-catalog --bench catalog`. The repos are generated once under
//! `target/bench-catalog*/repo` (their generation is not measured).

use std::path::{Path, PathBuf};

use divan::Bencher;

/// The `herald` binary's allocator, so that the figures are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // As the `herald` binary does: no backtraces captured for library errors.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    divan::main();
}

const EVENTS: usize = 1000;
const SOURCES: usize = 10;
const VERSIONS: usize = 20;

/// A generated repo under `target/<dir>`, made on first use.
fn repo(dir: &str, sources: usize, events: usize, versions: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target").join(dir);
    let repo = root.join("repo");
    let done = root.join(format!("generated-{events}-{sources}-{versions}"));
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&repo).expect("create the bench repo");
        herald_catalog::synthetic::generate(&repo, sources, events, versions).expect("generate the bench repo");
        std::fs::write(&done, "").expect("mark");
    }
    repo
}

/// What `herald catalog REPO --out OUT` does, from disk to disk.
fn catalog(repo: &Path, out: &Path) -> usize {
    // As the command does: the lock is read while the repo loads.
    let (loaded, lock) = std::thread::scope(|s| {
        let lock = s.spawn(|| {
            let mut sources = herald_codegen::span::SourceMap::new();
            herald_codegen::lock::read(&repo.join("herald.lock"), &mut sources).expect("lock")
        });
        let loaded = herald_codegen::load::load(repo).expect("loads");
        (loaded, lock.join().expect("the lock is read"))
    });
    let templates = herald_catalog::Templates::load(None).expect("templates");
    herald_catalog::check_out(repo, out).expect("out");
    let site = herald_catalog::render(&loaded.set, Some(&lock), &templates).expect("renders");
    herald_catalog::write(&site, out).expect("writes");
    site.len()
}

#[divan::bench(sample_count = 5)]
fn catalog_1000_events_20_versions(bencher: Bencher) {
    let repo = repo("bench-catalog", SOURCES, EVENTS, VERSIONS);
    let out = repo.parent().expect("parent").join("site");
    bencher.bench(|| {
        let files = catalog(&repo, &out);
        assert!(files > 3 * EVENTS);
        files
    });
}

/// 10,000 events in 50 sources, one released version each: the size the catalog must survive.
#[divan::bench(sample_count = 3)]
fn catalog_10000_events_1_version(bencher: Bencher) {
    let repo = repo("bench-catalog-10k", 50, 10_000, 1);
    let out = repo.parent().expect("parent").join("site");
    bencher.bench(|| {
        let files = catalog(&repo, &out);
        assert!(files > 3 * 10_000);
        files
    });
}
