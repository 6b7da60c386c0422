//! `herald catalog` on a generated repo of 1,000 proto events (bench-check's file shape, in 10
//! sources with a consumer each) with 20 released MINOR versions of every event in herald.lock
//! (20,000 releases): load, read the lock, rebuild every release, diff and check consecutive
//! versions (and each against the latest), render every page and picture, write the site.
//!
//! Three runs of that repo: rebuilt from nothing (an empty OUT, or `--fresh`); regenerated over
//! the previous catalog in OUT (its record holds every release: the usual run after a merge);
//! and the run after a release (the record is the previous catalog's, made when every event had
//! 19 releases, so each event's new latest release is judged against all its older ones).
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
    // As the `herald` binary does for every command but the language server: freed memory is
    // kept rather than handed back to the system (`mi_option_purge_delay`, 15 in mimalloc.h v3).
    // SAFETY: sets an option of the allocator this benchmark links.
    unsafe { libmimalloc_sys::mi_option_set(15, -1) };
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

/// Where the previous catalog's record comes from.
enum Record<'a> {
    /// None: every release is rebuilt (`--fresh`).
    Fresh,
    /// OUT's, as `herald catalog` reads it.
    Out,
    /// Another catalog's directory.
    From(&'a Path),
}

/// What `herald catalog REPO --out OUT` does, from disk to disk; returns the files written and
/// the layers of releases rebuilt.
fn catalog(repo: &Path, out: &Path, record: Record) -> (usize, usize) {
    // As the command does: the lock and the previous record are read while the repo loads.
    let (loaded, lock, previous) = std::thread::scope(|s| {
        let lock = s.spawn(|| {
            let mut sources = herald_codegen::span::SourceMap::new();
            herald_codegen::lock::read(&repo.join("herald.lock"), &mut sources).expect("lock")
        });
        let previous = s.spawn(|| match record {
            Record::Fresh => None,
            Record::Out => herald_catalog::previous_record(out).expect("record"),
            Record::From(dir) => herald_catalog::previous_record(dir).expect("record"),
        });
        let loaded = herald_codegen::load::load(repo).expect("loads");
        (
            loaded,
            lock.join().expect("the lock is read"),
            previous.join().expect("the record is read"),
        )
    });
    let templates = herald_catalog::Templates::load(None).expect("templates");
    herald_catalog::check_out(repo, out).expect("out");
    let rendered =
        herald_catalog::render_reusing(&loaded.set, Some(&lock), &templates, previous.as_ref()).expect("renders");
    herald_catalog::write(&rendered.site, out).expect("writes");
    (rendered.site.len(), rendered.layers_loaded)
}

/// Every release rebuilt: the first catalog, or `--fresh`.
#[divan::bench(sample_count = 5)]
fn catalog_1000_events_20_versions(bencher: Bencher) {
    let repo = repo("bench-catalog", SOURCES, EVENTS, VERSIONS);
    let out = repo.parent().expect("parent").join("site");
    bencher.bench(|| {
        let (files, layers) = catalog(&repo, &out, Record::Fresh);
        assert!(files > 3 * EVENTS && layers >= VERSIONS - 1);
        files
    });
}

/// Regenerated over the previous catalog: no release rebuilt.
#[divan::bench(sample_count = 5)]
fn catalog_1000_events_20_versions_over_previous(bencher: Bencher) {
    let repo = repo("bench-catalog", SOURCES, EVENTS, VERSIONS);
    let out = repo.parent().expect("parent").join("site-again");
    catalog(&repo, &out, Record::Fresh);
    bencher.bench(|| {
        let (files, layers) = catalog(&repo, &out, Record::Out);
        assert!(files > 3 * EVENTS && layers == 0);
        files
    });
}

/// The 20th release after a catalog of the first 19: consecutive verdicts and fields come from
/// the record, each version against the new latest is judged (every older release rebuilt).
#[divan::bench(sample_count = 5)]
fn catalog_1000_events_20_versions_after_a_release(bencher: Bencher) {
    let before = repo("bench-catalog-19", SOURCES, EVENTS, VERSIONS - 1);
    let previous = before.parent().expect("parent").join("site");
    if herald_catalog::previous_record(&previous).ok().flatten().is_none() {
        catalog(&before, &previous, Record::Fresh);
    }
    let repo = repo("bench-catalog", SOURCES, EVENTS, VERSIONS);
    let out = repo.parent().expect("parent").join("site-release");
    bencher.bench(|| {
        let (files, layers) = catalog(&repo, &out, Record::From(&previous));
        assert!(files > 3 * EVENTS && layers > 0);
        files
    });
}

/// 10,000 events in 50 sources, one released version each: the size the catalog must survive.
#[divan::bench(sample_count = 3)]
fn catalog_10000_events_1_version(bencher: Bencher) {
    let repo = repo("bench-catalog-10k", 50, 10_000, 1);
    let out = repo.parent().expect("parent").join("site");
    bencher.bench(|| {
        let (files, _) = catalog(&repo, &out, Record::Fresh);
        assert!(files > 3 * 10_000);
        files
    });
}
