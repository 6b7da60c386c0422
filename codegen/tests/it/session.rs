//! A load within a session (`load::load_files_in`, reusing per-file results of earlier loads) gives
//! exactly what a fresh load (`load::load_files`) gives on the same files, after any sequence of
//! edits: the whole model (types, events, files, descriptors, spans, the source map) and every
//! diagnostic, compared through their `Debug` renderings. A scripted sequence over the example
//! repo read from disk with buffers laid over it, and random sequences over a small repo held in
//! memory whose files break, mend, gain and lose imports, form cycles, and disappear.

use std::path::Path;

use herald_codegen::files::FileSet;
use herald_codegen::load::{self, Session};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Everything a load produced, as text.
fn outcome(loaded: &Result<load::LoadResult, Box<load::Unusable>>) -> String {
    match loaded {
        Ok(l) => format!("{:#?}\n{:#?}", l.set, l.diagnostics),
        Err(u) => format!("unusable\n{:#?}\n{:#?}", u.sources, u.diagnostics),
    }
}

/// Loads `files` in `session` and fresh, and asserts both agree.
fn same(files: &FileSet, session: &mut Session, step: &str) {
    let incremental = load::load_files_in(files, session, &|| false).expect("never cancelled");
    let fresh = load::load_files(files);
    let (a, b) = (outcome(&incremental), outcome(&fresh));
    if a != b {
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(5))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "after {step}: the session's load differs from a fresh one at line {first}\n--- session:\n{}\n--- fresh:\n{}",
            context(&a),
            context(&b)
        );
    }
}

#[test]
fn edits_to_the_example_repo_load_as_a_fresh_load_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut files = FileSet::read_dir(&root);
    let mut session = Session::default();
    same(&files, &mut session, "the first load");
    let common = "user/v1/common.proto";
    let updated = "user/v1/user_updated.proto";
    let text = |name: &str| std::fs::read_to_string(root.join(name)).expect("read");
    let (common_text, updated_text) = (text(common), text(updated));
    let steps: Vec<(&str, Option<String>)> = vec![
        (updated, Some(format!("// a comment\n{updated_text}"))),
        (updated, Some(updated_text.replace("message", "mesage"))),
        (updated, Some(updated_text.clone())),
        (
            common,
            Some(format!("{common_text}\nmessage Extra {{ string x = 1; }}\n")),
        ),
        (common, Some(common_text.replace("syntax", "sintax"))),
        (common, Some(common_text.clone())),
        (
            updated,
            Some(updated_text.replace("import \"user/v1/common.proto\";", "")),
        ),
        (
            updated,
            Some(updated_text.replace("user/v1/common.proto", "user/v1/missing.proto")),
        ),
        (updated, Some(updated_text.clone())),
        (
            "user/v1/zz_new.proto",
            Some("syntax = \"proto3\";\npackage acme.user.v1;\nmessage New { string a = 1; }\n".to_owned()),
        ),
        (
            "aa_first.proto",
            Some("syntax = \"proto3\";\npackage first;\nmessage First {}\n".to_owned()),
        ),
        (common, None),
        (common, Some(common_text.clone())),
        ("aa_first.proto", None),
        (
            "herald.toml",
            Some("[repo]\nname = \"x\"\n[sources.all]\nschemas = [\"**/*.proto\"]\n".to_owned()),
        ),
        ("herald.toml", Some("not toml [".to_owned())),
        ("herald.toml", None),
        ("herald.toml", Some(text("herald.toml"))),
        ("accounting/bank_error.avsc", Some("{\"type\": \"record\"".to_owned())),
        ("accounting/bank_error.avsc", Some(text("accounting/bank_error.avsc"))),
    ];
    for (i, (name, text)) in steps.into_iter().enumerate() {
        match text {
            Some(text) => files.insert(name, text),
            None => {
                files.remove(name);
            }
        }
        same(&files, &mut session, &format!("step {i} ({name})"));
    }
}

/// The files of the random repo, each with the texts it may take (`None`: deleted).
fn pool() -> Vec<(&'static str, Vec<Option<&'static str>>)> {
    let a_good = "syntax = \"proto3\";\npackage ev.a;\nimport \"herald/options.proto\";\nimport \"shared/money.proto\";\n\nmessage Paid {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n  shared.Money amount = 2;\n}\n";
    let a_other = "syntax = \"proto3\";\npackage ev.a;\nimport \"herald/options.proto\";\nimport \"shared/money.proto\";\n\n// Paid, documented.\nmessage Paid {\n  option (herald.event) = { version: \"1.1\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n  shared.Money amount = 2;\n  int64 at = 3;\n}\n";
    let a_commented = "syntax = \"proto3\";\npackage ev.a;\nimport \"herald/options.proto\";\nimport \"shared/money.proto\";\n\n// Paid.\n\n// Paid, with a doc now.\nmessage Paid {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  string id = 1; // the id\n\n  shared.Money amount = 2;\n}\n";
    let a_unknown_type = "syntax = \"proto3\";\npackage ev.a;\nimport \"shared/money.proto\";\nmessage Paid {\n  string id = 1;\n  shared.Mony amount = 2;\n}\n";
    vec![
        ("herald.toml", vec![
            Some("[repo]\nname = \"r\"\n\n[sources.ev]\nschemas = [\"ev/*.proto\"]\n"),
            Some("[repo]\nname = \"r\"\n\n[sources.ev]\nschemas = [\"ev/*.proto\", \"*.avsc\"]\n"),
            Some("[repo\n"),
            None,
        ]),
        ("shared/money.proto", vec![
            Some("syntax = \"proto3\";\npackage shared;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n"),
            Some("syntax = \"proto3\";\npackage shared;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n  int32 nanos = 3;\n}\n"),
            // The first text with other comments and layout (the same tokens).
            Some("syntax = \"proto3\";\n// Shared types.\npackage shared;\n\n/* Money. */\nmessage Money {\n    string currency = 1; // ISO 4217\n  int64   units = 2;\n}\n"),
            Some("syntax = \"proto3\";\npackage shared;\n\nmessage Cash {\n  string currency = 1;\n}\n"),
            Some("syntax = \"proto3\";\npackage shared;\nmessage Money {\n"),
            None,
        ]),
        ("ev/a.proto", vec![Some(a_good), Some(a_commented), Some(a_other), Some(a_unknown_type), Some("syntax = \"proto3\";\npackage ev.a;\nmessage {"), None]),
        ("ev/b.proto", vec![
            Some("syntax = \"proto3\";\npackage ev.b;\nimport \"ev/a.proto\";\nmessage Refund {\n  ev.a.Paid paid = 1;\n}\n"),
            Some("syntax = \"proto3\";\npackage ev.b;\nimport \"ev/c.proto\";\nmessage Refund {\n  string id = 1;\n}\n"),
            Some("syntax = \"proto3\";\npackage ev.b;\nimport \"ev/nowhere.proto\";\nmessage Refund {}\n"),
            Some("syntax = \"proto3\";\npackage ev.a;\nmessage Paid {\n  string id = 1;\n}\n"),
            None,
        ]),
        ("ev/c.proto", vec![
            Some("syntax = \"proto3\";\npackage ev.c;\nimport \"ev/b.proto\";\nmessage Cycle {}\n"),
            Some("syntax = \"proto3\";\npackage ev.c;\nimport public \"shared/money.proto\";\nmessage Wallet {\n  shared.Money balance = 1;\n}\n"),
            None,
        ]),
        ("x.avsc", vec![
            Some("{\"type\": \"record\", \"name\": \"X\", \"namespace\": \"ev.x\", \"fields\": [{\"name\": \"id\", \"type\": \"string\"}]}"),
            Some("{\"type\": \"record\", \"name\": \"X\""),
            None,
        ]),
    ]
}

#[test]
fn random_edit_sequences_load_as_a_fresh_load_does() {
    let pool = pool();
    let choices: Vec<usize> = pool.iter().map(|(_, texts)| texts.len()).collect();
    let step = (0..pool.len()).prop_flat_map(move |file| (Just(file), 0..choices[file]));
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&proptest::collection::vec(step, 1..14), |steps| {
        let mut files = FileSet::new("/nonexistent-herald-session-test");
        for (name, texts) in &pool {
            if let Some(Some(text)) = texts.first() {
                files.insert(*name, *text);
            }
        }
        let mut session = Session::default();
        same(&files, &mut session, "the first load");
        for (i, (file, choice)) in steps.iter().enumerate() {
            let (name, texts) = &pool[*file];
            match texts[*choice] {
                Some(text) => files.insert(*name, text),
                None => {
                    files.remove(name);
                }
            }
            same(&files, &mut session, &format!("step {i}: {name} #{choice}"));
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// Edits of comments and layout only (which keep a file's type-check, keyed by its tokens, but not
/// its spans or docs), in a shared file, an event file and a file that does not type-check, and
/// edits that change one token and keep their number, load as a fresh load does.
#[test]
fn comment_and_layout_edits_load_as_a_fresh_load_does() {
    let money =
        "syntax = \"proto3\";\npackage shared;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";
    let paid = "syntax = \"proto3\";\npackage ev.a;\nimport \"herald/options.proto\";\nimport \"shared/money.proto\";\n\nmessage Paid {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n  shared.Money amount = 2;\n}\n";
    let broken = "syntax = \"proto3\";\npackage ev.b;\nimport \"shared/money.proto\";\nmessage Refund {\n  shared.Mony amount = 1;\n}\n";
    let mut files = FileSet::new("/nonexistent-herald-session-test");
    files.insert(
        "herald.toml",
        "[repo]\nname = \"r\"\n\n[sources.ev]\nschemas = [\"ev/*.proto\"]\n",
    );
    files.insert("shared/money.proto", money);
    files.insert("ev/a.proto", paid);
    files.insert("ev/b.proto", broken);
    let mut session = Session::default();
    same(&files, &mut session, "the first load");
    let steps: Vec<(&str, String)> = vec![
        ("shared/money.proto", format!("// Money.\n\n{money}")),
        (
            "shared/money.proto",
            money.replace("  int64", "\n  /** Units. */\n  int64"),
        ),
        ("ev/a.proto", format!("// one\n// two\n{paid}")),
        (
            "ev/a.proto",
            paid.replace("message Paid", "// Paid, documented.\nmessage   Paid"),
        ),
        ("ev/b.proto", format!("// pushes the error down\n\n{broken}")),
        ("ev/b.proto", broken.replace("  shared.Mony", "    shared.Mony")),
        ("ev/b.proto", broken.to_owned()),
        // As many tokens, one of them changed: a new type-check.
        ("shared/money.proto", money.replace("int64", "int32")),
        ("shared/money.proto", money.replace("units", "amount")),
        ("ev/b.proto", broken.replace("Mony", "Money")),
        ("shared/money.proto", money.to_owned()),
        ("ev/a.proto", paid.to_owned()),
    ];
    for (i, (name, text)) in steps.into_iter().enumerate() {
        files.insert(name, text);
        same(&files, &mut session, &format!("step {i} ({name})"));
    }
}

/// A file held in memory (an editor's buffer, which the parser reads from a private overlay) and
/// then read from disk again (the buffer closed), twice over, loads as a fresh load does.
#[test]
fn a_buffer_closed_back_to_the_disk_loads_as_a_fresh_load_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let money =
        "syntax = \"proto3\";\npackage shared;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";
    let edited = money.replace("  int64 units = 2;\n", "  int64 units = 2;\n  int32 nanos = 3;\n");
    let paid = "syntax = \"proto3\";\npackage ev.a;\nimport \"shared/money.proto\";\n\nmessage Paid {\n  shared.Money amount = 1;\n}\n";
    std::fs::create_dir_all(dir.path().join("shared")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("ev")).expect("mkdir");
    std::fs::write(dir.path().join("shared/money.proto"), money).expect("write");
    std::fs::write(dir.path().join("ev/a.proto"), paid).expect("write");
    let mut session = Session::default();
    let mut files = FileSet::read_dir(dir.path());
    same(&files, &mut session, "the first load");
    for step in 0..2 {
        files.insert("shared/money.proto", edited.clone());
        same(&files, &mut session, &format!("round {step}: the buffer"));
        files = FileSet::read_dir(dir.path());
        same(&files, &mut session, &format!("round {step}: the disk again"));
    }
}

/// A repo comes to import `descriptor.proto` (a custom option, a descriptor type as a field) and
/// then stops: the parser is given the whole file only while a file imports it, and each load in
/// the session is a fresh load's.
#[test]
fn a_repo_that_comes_to_import_descriptor_proto_loads_as_a_fresh_load_does() {
    let paid = "syntax = \"proto3\";\npackage ev.a;\nimport \"herald/options.proto\";\n\nmessage Paid {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n}\n";
    let custom = "syntax = \"proto3\";\npackage ev.c;\nimport \"google/protobuf/descriptor.proto\";\n\nextend google.protobuf.FieldOptions {\n  string label = 50100;\n}\n\nmessage Schemas {\n  google.protobuf.FileDescriptorSet set = 1 [(label) = \"all\"];\n}\n";
    let mut files = FileSet::new("/nonexistent-herald-session-test");
    files.insert(
        "herald.toml",
        "[repo]\nname = \"r\"\n\n[sources.ev]\nschemas = [\"ev/*.proto\"]\n",
    );
    files.insert("ev/a.proto", paid);
    let mut session = Session::default();
    same(&files, &mut session, "the first load");
    let has = |files: &FileSet, name: &str| {
        let loaded = load::load_files(files).expect("loads");
        assert!(
            loaded.set.events.iter().any(|e| e.name.ends_with("Paid")),
            "the event is read"
        );
        loaded.set.types.iter().any(|t| t.full_name == name)
    };
    assert!(!has(&files, "google.protobuf.FileDescriptorSet"));
    files.insert("ev/c.proto", custom);
    same(&files, &mut session, "descriptor.proto imported");
    assert!(has(&files, "google.protobuf.FileDescriptorSet"));
    files.insert("ev/a.proto", format!("// edited\n{paid}"));
    same(&files, &mut session, "an edit while it is imported");
    files.insert(
        "ev/c.proto",
        custom.replace("import \"google/protobuf/descriptor.proto\";\n", ""),
    );
    same(
        &files,
        &mut session,
        "descriptor.proto no longer imported (c.proto fails)",
    );
    files.insert("ev/c.proto", "syntax = \"proto3\";\npackage ev.c;\n");
    same(&files, &mut session, "c.proto emptied");
    assert!(!has(&files, "google.protobuf.FileDescriptorSet"));
}
