//! Released versions are immutable, whatever file a change is in: for the example repo
//! (`schemas/`, proto events using messages of another file, Avro events with nested types) with
//! every event released into a fresh lock, any byte change (replaced, inserted or removed) in a
//! file an event reaches either changes nothing the lock records about the released versions
//! still present (their fingerprints) or makes the check against the lock fail (a breaking
//! finding, or schemas that no longer load).

use std::path::{Path, PathBuf};

use herald_codegen::compat::check::{self, CheckOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod common;
use common::Gen;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Every schema file of the example repo (each one reached by an event), relative to its root.
const FILES: &[&str] = &[
    "user/v1/common.proto",
    "user/v1/user_created.proto",
    "user/v1/user_updated.proto",
    "accounting/account_closed.avsc",
    "accounting/bank_error.avsc",
    "accounting/delete_account.avsc",
];

/// Bytes a mutation writes: what schema text is made of.
const ALPHABET: &[u8] = b"019abxyzAZ_ ;=\"{}[],.:\n";

/// What happened to one mutated repo.
enum Outcome {
    /// The check against the lock fails (or the repo no longer loads: `herald check` exits 2).
    Refused,
    /// The check passes and every released version still present has its recorded fingerprint.
    Unchanged,
    /// The check passes although a released version's fingerprint changed: the bug.
    Missed(String),
}

fn outcome(dir: &Path, lock: &herald_codegen::lock::Lock) -> Outcome {
    let Ok(loaded) = herald_codegen::load::load(dir) else {
        return Outcome::Refused;
    };
    if loaded
        .diagnostics
        .iter()
        .any(|d| d.severity == herald_codegen::Severity::Error)
    {
        return Outcome::Refused;
    }
    let set = loaded.set;
    match check::check_against_lock(lock, &set, &CheckOptions::default()) {
        Err(_) => return Outcome::Refused,
        Ok(findings) if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) => {
            return Outcome::Refused
        }
        Ok(_) => {}
    }
    for event in &set.events {
        let version = event.version.to_string();
        let Some(r) = lock
            .releases
            .iter()
            .find(|r| r.event == event.name && r.version == version)
        else {
            continue;
        };
        let ty = &set.types[event.type_id];
        let now = herald_codegen::fingerprint::event_fingerprint(&set, ty)
            .map(|f| format!("{f:016x}"))
            .unwrap_or_default();
        if now != r.fingerprint {
            return Outcome::Missed(format!(
                "{} {}: fingerprint {} recorded, {now} now",
                r.event, r.version, r.fingerprint
            ));
        }
    }
    Outcome::Unchanged
}

#[test]
fn a_byte_changed_in_a_file_an_event_reaches_is_caught_or_changes_nothing_released() {
    let base = tempfile::tempdir().expect("tmp");
    common::copy_dir(&example(), base.path());
    // A fresh lock of the current fingerprint version (the committed one is older).
    std::fs::remove_file(base.path().join("herald.lock")).expect("remove lock");
    let set = herald_codegen::load::load(base.path()).expect("example loads").set;
    let mut lock = herald_codegen::lock::Lock::default();
    herald_codegen::lock::release(&set, &mut lock).expect("release");
    assert!(lock.releases.len() >= 5);
    assert!(matches!(outcome(base.path(), &lock), Outcome::Unchanged));

    let (refused, unchanged, missed) = (
        std::cell::Cell::new(0),
        std::cell::Cell::new(0),
        std::cell::RefCell::new(Vec::new()),
    );
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&any::<u64>(), |seed| {
        let mut g = Gen(seed);
        let file = FILES[(g.next() % FILES.len() as u64) as usize];
        let path = base.path().join(file);
        let original = std::fs::read(&path).expect("read");
        let mut bytes = original.clone();
        let at = (g.next() % bytes.len() as u64) as usize;
        let byte = ALPHABET[(g.next() % ALPHABET.len() as u64) as usize];
        match g.next() % 3 {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            _ => {
                bytes.remove(at);
            }
        }
        std::fs::write(&path, &bytes).expect("write");
        let what = format!("{file} at byte {at}");
        match outcome(base.path(), &lock) {
            Outcome::Refused => refused.set(refused.get() + 1),
            Outcome::Unchanged => unchanged.set(unchanged.get() + 1),
            Outcome::Missed(m) => missed.borrow_mut().push(format!("{what}: {m}")),
        }
        std::fs::write(&path, &original).expect("restore");
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
    println!("{} refused, {} unchanged", refused.get(), unchanged.get());
    let missed = missed.into_inner();
    assert!(missed.is_empty(), "released versions changed unnoticed: {missed:#?}");
}
