//! `herald catalog` on a generated repo of 1,000 proto events (bench-check's file shape, in 10
//! sources with a consumer each) with 20 released MINOR versions of every event in herald.lock
//! (20,000 releases): load, read the lock, rebuild every release, diff and check consecutive
//! versions (and each against the latest), render every page and picture, write the site.
//!
//! Run with `cargo bench -p herald-catalog --bench catalog`. The repo is generated once under
//! `target/bench-catalog/repo` (its generation is not measured).

use std::path::{Path, PathBuf};

use divan::Bencher;

fn main() {
    divan::main();
}

const EVENTS: usize = 1000;
const SOURCES: usize = 10;
const VERSIONS: usize = 20;

/// The generated repo, made on first use.
fn repo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-catalog");
    let repo = root.join("repo");
    let done = root.join(format!("generated-{EVENTS}-{SOURCES}-{VERSIONS}"));
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&repo).expect("create the bench repo");
        herald_catalog::synthetic::generate(&repo, SOURCES, EVENTS, VERSIONS).expect("generate the bench repo");
        std::fs::write(&done, "").expect("mark");
    }
    repo
}

/// What `herald catalog REPO --out OUT` does, from disk to disk.
fn catalog(repo: &Path, out: &Path) -> usize {
    let loaded = herald_codegen::load::load(repo).expect("loads");
    let mut sources = herald_codegen::span::SourceMap::new();
    let lock = herald_codegen::lock::read(&repo.join("herald.lock"), &mut sources).expect("lock");
    let templates = herald_catalog::Templates::load(None).expect("templates");
    herald_catalog::check_out(repo, out).expect("out");
    let site = herald_catalog::render(&loaded.set, Some(&lock), &templates).expect("renders");
    herald_catalog::write(&site, out).expect("writes");
    site.len()
}

#[divan::bench(sample_count = 5)]
fn catalog_1000_events_20_versions(bencher: Bencher) {
    let repo = repo();
    let out = repo.parent().expect("parent").join("site");
    bencher.bench(|| {
        let files = catalog(&repo, &out);
        assert!(files > 3 * EVENTS);
        files
    });
}
