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

use crate::common;
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
    let files: Vec<String> = FILES.iter().map(|f| (*f).to_owned()).collect();
    mutate_and_check(base.path(), &files, 256, 5);
}

/// The same over random schema repos: proto events using messages, enums, maps and nested types
/// of another file, Avro events using records, enums, arrays and unions of another file.
#[test]
fn in_random_repos_a_byte_change_is_caught_or_changes_nothing_released() {
    for seed in 0..8u64 {
        let base = tempfile::tempdir().expect("tmp");
        let files = random_repo(&mut Gen(seed.wrapping_mul(0x2545_f491_4f6c_dd1d)), base.path());
        mutate_and_check(base.path(), &files, 32, 2);
    }
}

/// Writes a random repo into `dir`; returns its schema files (relative paths).
fn random_repo(g: &mut Gen, dir: &Path) -> Vec<String> {
    let mut pick = |n: usize| (g.next() % n as u64) as usize;
    let scalars = [
        "string", "int32", "int64", "bool", "double", "bytes", "uint32", "sint64",
    ];
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "herald.toml",
        "[repo]\nname = \"r\"\n\n[sources.p]\nschemas = [\"p/**/*.proto\"]\n\n[sources.a]\nschemas = [\"a/**/*.avsc\"]\n",
    );
    // Proto: shared types in one file, events in another.
    let mut common = String::from(
        "syntax = \"proto3\";\npackage r.p.v1;\n\nenum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}\n",
    );
    let shared = 1 + pick(3);
    for m in 0..shared {
        common.push_str(&format!("\nmessage Shared{m} {{\n"));
        for f in 0..1 + pick(4) {
            let ty = match pick(5) {
                0 => "Color".to_owned(),
                1 if m > 0 => format!("Shared{}", pick(m)),
                _ => scalars[pick(scalars.len())].to_owned(),
            };
            let label = if pick(4) == 0 { "repeated " } else { "" };
            common.push_str(&format!("  {label}{ty} f{f} = {};\n", f + 1));
        }
        common.push_str("}\n");
    }
    write("p/v1/common.proto", &common);
    let mut events = String::from(
        "syntax = \"proto3\";\npackage r.p.v1;\n\nimport \"herald/options.proto\";\nimport \"p/v1/common.proto\";\n",
    );
    for e in 0..1 + pick(2) {
        events.push_str(&format!(
            "\nmessage Happened{e} {{\n  option (herald.event) = {{ version: \"1.0\", kind: EVENT, partition_key: \"id\" }};\n  string id = 1;\n  Shared{} used = 2;\n",
            pick(shared)
        ));
        match pick(3) {
            0 => events.push_str(&format!("  map<string, Shared{}> by_key = 3;\n", pick(shared))),
            1 => {
                events.push_str("  Inner inner = 3;\n  message Inner {\n    Color color = 1;\n    int64 n = 2;\n  }\n")
            }
            _ => events.push_str(&format!("  repeated {} values = 3;\n", scalars[pick(scalars.len())])),
        }
        events.push_str("}\n");
    }
    write("p/v1/events.proto", &events);
    // Avro: shared types in one file (an array of schemas), an event in another.
    let avro_scalars = ["string", "int", "long", "boolean", "double", "bytes"];
    let field = |name: &str, ty: &str| format!("{{\"name\": \"{name}\", \"type\": {ty}}}");
    let mut fields = vec![field("a", &format!("\"{}\"", avro_scalars[pick(avro_scalars.len())]))];
    if pick(2) == 0 {
        fields.push(field("b", "{\"type\": \"array\", \"items\": \"long\"}"));
    }
    write(
        "a/types.avsc",
        &format!(
            "[\n{{\"type\": \"enum\", \"name\": \"Mood\", \"namespace\": \"r.a\", \"symbols\": [\"HAPPY\", \"SAD\"]}},\n{{\"type\": \"record\", \"name\": \"Part\", \"namespace\": \"r.a\", \"fields\": [{}]}}\n]\n",
            fields.join(", ")
        ),
    );
    let used = match pick(3) {
        0 => "\"r.a.Part\"",
        1 => "[\"null\", \"r.a.Part\"]",
        _ => "{\"type\": \"array\", \"items\": \"r.a.Part\"}",
    };
    write(
        "a/event.avsc",
        &format!(
            "{{\"type\": \"record\", \"name\": \"Noticed\", \"namespace\": \"r.a\",\n \"herald\": {{\"version\": \"1.0\", \"kind\": \"event\", \"partitionKey\": \"id\"}},\n \"fields\": [{}, {}, {}]}}\n",
            field("id", "\"string\""),
            field("part", used),
            field("mood", "\"r.a.Mood\"")
        ),
    );
    ["p/v1/common.proto", "p/v1/events.proto", "a/types.avsc", "a/event.avsc"]
        .iter()
        .map(|f| (*f).to_owned())
        .collect()
}

/// Releases every event of the repo at `base` into a fresh lock, then makes `cases` single-byte
/// changes (each undone after) in its `files`: each must be refused by the check against the lock
/// or leave every released fingerprint as recorded.
fn mutate_and_check(base: &Path, files: &[String], cases: u32, min_releases: usize) {
    let set = herald_codegen::load::load(base).expect("repo loads").set;
    let mut lock = herald_codegen::lock::Lock::default();
    herald_codegen::lock::release(&set, &mut lock).expect("release");
    assert!(lock.releases.len() >= min_releases, "{:?}", lock.releases);
    assert!(
        matches!(outcome(base, &lock), Outcome::Unchanged),
        "the repo as released passes"
    );

    let (refused, unchanged, missed) = (
        std::cell::Cell::new(0),
        std::cell::Cell::new(0),
        std::cell::RefCell::new(Vec::new()),
    );
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&any::<u64>(), |seed| {
        let mut g = Gen(seed);
        let file = &files[(g.next() % files.len() as u64) as usize];
        let path = base.join(file);
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
        match outcome(base, &lock) {
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
