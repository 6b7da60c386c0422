//! Code generation: snapshots of the generated code for the example repo and the odd-names
//! fixture, collisions reported at the schema, determinism, the build-script cache, and no protoc.

use std::path::{Path, PathBuf};

use herald_codegen::render;
use herald_codegen::rust::{self, Selection};

use crate::common;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate(root: &Path) -> (Option<String>, String) {
    let loaded = herald_codegen::load::load(root).expect("loads");
    let set = loaded.set;
    let (code, diags) = rust::generate(&set, &Selection::everything(&set));
    (code, render::human(&diags, &set.sources_map))
}

#[test]
fn example_repo_generated_code() {
    let _snapshots = common::snapshots().bind_to_scope();
    let (code, diags) = generate(&manifest().join("../schemas"));
    assert_eq!(diags, "");
    insta::assert_snapshot!("generate__example_repo_generated_code", code.unwrap_or_default());
}

#[test]
fn odd_names_generated_code() {
    let _snapshots = common::snapshots().bind_to_scope();
    let (code, diags) = generate(&manifest().join("tests/fixtures/codegen/odd"));
    assert_eq!(diags, "");
    insta::assert_snapshot!("generate__odd_names_generated_code", code.unwrap_or_default());
}

#[test]
fn names_that_collide_in_rust_are_diagnostics_at_the_schema() {
    let _snapshots = common::snapshots().bind_to_scope();
    let (code, diags) = generate(&manifest().join("tests/fixtures/codegen/collisions"));
    assert!(code.is_none());
    insta::assert_snapshot!(
        "generate__names_that_collide_in_rust_are_diagnostics_at_the_schema",
        diags
    );
}

#[test]
fn output_is_deterministic() {
    let root = manifest().join("../schemas");
    let first = generate(&root).0;
    for _ in 0..3 {
        assert_eq!(generate(&root).0, first);
    }
}

#[test]
fn consume_filters_events_and_unknown_names_are_errors() {
    let loaded = herald_codegen::load::load(&manifest().join("../schemas")).expect("loads");
    let set = loaded.set;
    let only = Selection {
        produce: vec![],
        consume: vec![("accounting".into(), vec!["BankError".into()])],
    };
    let (code, diags) = rust::generate(&set, &only);
    assert!(diags.is_empty());
    let code = code.unwrap_or_default();
    assert!(code.contains("fn on_bank_error"));
    assert!(!code.contains("fn on_delete_account"));
    assert!(!code.contains("UserUpdated"), "unselected sources stay out");
    let wrong = Selection {
        produce: vec!["nope".into()],
        consume: vec![("accounting".into(), vec!["NoSuchEvent".into()])],
    };
    let (code, diags) = rust::generate(&set, &wrong);
    assert!(code.is_none());
    let rules: Vec<&str> = diags.iter().map(|d| d.rule.id).collect();
    assert_eq!(rules, ["CODEGEN_UNKNOWN_SOURCE", "CODEGEN_UNKNOWN_EVENT"]);
}

mod builder {
    use super::*;
    use herald_codegen::Builder;

    fn copy_repo(from: &Path, to: &Path) {
        for entry in walk(from) {
            let rel = entry.strip_prefix(from).expect("inside");
            let dest = to.join(rel);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&entry, &dest).expect("copy");
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn second_compile_with_nothing_changed_does_no_generation_work() {
        let repo = tempfile::tempdir().expect("tempdir");
        copy_repo(&manifest().join("../schemas"), repo.path());
        let out = tempfile::tempdir().expect("tempdir");
        let builder = Builder::new(repo.path())
            .produce("user-service")
            .out_dir(out.path())
            .cargo_instructions(false);
        let file = builder.clone().compile().expect("compiles");
        let first = std::fs::metadata(&file).and_then(|m| m.modified()).expect("mtime");
        std::thread::sleep(std::time::Duration::from_millis(20));
        builder.clone().compile().expect("compiles again");
        let second = std::fs::metadata(&file).and_then(|m| m.modified()).expect("mtime");
        assert_eq!(first, second, "unchanged inputs must not rewrite the output");

        // A changed input regenerates.
        let proto = repo.path().join("user/v1/user_updated.proto");
        let text = std::fs::read_to_string(&proto)
            .expect("read")
            .replace("Stable identifier", "The stable identifier");
        std::fs::write(&proto, text).expect("write");
        builder.compile().expect("compiles after a change");
        let code = std::fs::read_to_string(&file).expect("read output");
        assert!(code.contains("The stable identifier"));
    }

    #[test]
    fn watched_files_are_exactly_the_inputs() {
        let root = manifest().join("../schemas");
        let watched: Vec<String> = Builder::new(&root)
            .watched_files()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
            .collect();
        assert_eq!(
            watched,
            [
                "herald.toml",
                "herald.lock",
                "accounting/account_closed.avsc",
                "accounting/bank_error.avsc",
                "accounting/delete_account.avsc",
                "user/v1/common.proto",
                "user/v1/user_created.proto",
                "user/v1/user_updated.proto",
            ]
        );
    }

    #[test]
    fn broken_schema_fails_the_build_pointing_at_the_schema() {
        let out = tempfile::tempdir().expect("tempdir");
        let err = Builder::new(manifest().join("tests/fixtures/lint/event_partition_key_no_field"))
            .produce("svc")
            .out_dir(out.path())
            .cargo_instructions(false)
            .compile()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("error[EVENT_PARTITION_KEY_UNKNOWN_FIELD]"), "{err}");
        assert!(err.contains("--> user_created.proto:8:73"), "{err}");
    }
}

#[test]
fn released_avro_schemas_of_the_same_major_are_embedded_as_writers() -> Result<(), String> {
    let root = manifest().join("../schemas");
    let writers = herald_codegen::lock::avro_writers(&root)?;
    let bank: Vec<_> = writers
        .iter()
        .filter(|w| w.event == "acme.accounting.BankError")
        .collect();
    assert_eq!(bank.len(), 2, "BankError 1.0 and 1.1 are released");
    let old = bank.iter().find(|w| w.version.minor == 0).ok_or("no BankError 1.0")?;
    assert!(!old.schema.contains("\"context\""), "1.0 has no context field");
    let set = herald_codegen::load::load(&root).map_err(|_| "loads")?.set;
    let (code, diags) = rust::generate_with(&set, &Selection::everything(&set), &writers);
    assert!(diags.is_empty());
    let code = code.ok_or("no code")?;
    let grouped = format!("{:016x}", old.fingerprint);
    let literal = format!(
        "0x{}_{}_{}_{}",
        &grouped[0..4],
        &grouped[4..8],
        &grouped[8..12],
        &grouped[12..16]
    );
    assert!(code.contains(&literal), "the 1.0 fingerprint {literal} is embedded");
    Ok(())
}

#[test]
fn a_lock_whose_fingerprint_does_not_match_its_files_is_an_error() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let src = manifest().join("../schemas");
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(&src).map_err(|e| e.to_string())?;
        let target = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    let lock_path = dir.path().join("herald.lock");
    let text = std::fs::read_to_string(&lock_path).map_err(|e| e.to_string())?;
    // The first release is AccountClosed (Avro): flip its fingerprint's first digit.
    let at = text.find("fingerprint = \"").ok_or("a fingerprint")? + "fingerprint = \"".len();
    let digit = text[at..].chars().next().ok_or("a digit")?;
    let flipped = if digit == '0' { '1' } else { '0' };
    let tampered = format!("{}{flipped}{}", &text[..at], &text[at + 1..]);
    std::fs::write(&lock_path, tampered).map_err(|e| e.to_string())?;
    let err = herald_codegen::lock::avro_writers(dir.path()).err().ok_or("accepted")?;
    assert!(err.contains("recorded fingerprint"), "{err}");
    Ok(())
}
