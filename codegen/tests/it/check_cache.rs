//! `check::check_against_lock_in` with one `check::Releases` kept across a sequence of edits (as
//! the language server keeps it) gives exactly the findings of an uncached check at every step:
//! messages, spans, order and every other field, compared through their `Debug` renderings. Each
//! step edits one file of the example repo (which has a lock): comments that shift spans, breaking
//! field changes in an event's own file and in a file it imports, `herald.toml` modes, topics and
//! `[check]`, version bumps (MINOR and MAJOR), Avro changes, and undoing them.

use std::path::Path;

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::files::FileSet;
use herald_codegen::load::{self, Session};
use herald_codegen::span::SourceMap;

/// Checks `files` against `lock` with `releases` and uncached, and asserts both agree; returns
/// how many findings there were.
fn same(
    files: &FileSet,
    session: &mut Session,
    lock: &load::Lock,
    releases: &mut check::Releases,
    step: &str,
) -> usize {
    let loaded = load::load_files_in(files, session, &|| false)
        .expect("never cancelled")
        .unwrap_or_else(|u| panic!("after {step}: the repo does not load: {:?}", u.diagnostics));
    let options = CheckOptions::default();
    let cached = check::check_against_lock_in(lock, &loaded.set, &options, releases).expect("cached check");
    let fresh = check::check_against_lock(lock, &loaded.set, &options).expect("fresh check");
    let (a, b) = (format!("{cached:#?}"), format!("{fresh:#?}"));
    if a != b {
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(8))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "after {step}: the cached check differs from a fresh one at line {first}\n--- cached:\n{}\n--- fresh:\n{}",
            context(&a),
            context(&b)
        );
    }
    fresh.len()
}

/// Checks once, then applies each edit in turn and checks again, through one session and one
/// memo (each check compared with an uncached one by [`same`]); the number of findings at every
/// step.
fn replay(files: &mut FileSet, lock: &load::Lock, steps: Vec<(&str, String)>) -> Vec<usize> {
    let mut session = Session::default();
    let mut releases = check::Releases::default();
    let mut counts = vec![same(files, &mut session, lock, &mut releases, "the first check")];
    for (i, (name, text)) in steps.into_iter().enumerate() {
        files.insert(name, text);
        counts.push(same(
            files,
            &mut session,
            lock,
            &mut releases,
            &format!("step {i} ({name})"),
        ));
    }
    counts
}

#[test]
fn edits_to_the_example_repo_check_as_a_fresh_check_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut files = FileSet::read_dir(&root);
    let lock = herald_codegen::lock::read(&root.join("herald.lock"), &mut SourceMap::new()).expect("the lock reads");
    let text = |name: &str| std::fs::read_to_string(root.join(name)).expect("read");
    let (common, updated, created, bank, toml) = (
        "user/v1/common.proto",
        "user/v1/user_updated.proto",
        "user/v1/user_created.proto",
        "accounting/bank_error.avsc",
        "herald.toml",
    );
    let (common_text, updated_text, bank_text, toml_text) = (text(common), text(updated), text(bank), text(toml));
    let breaking_updated = updated_text.replace("string user_id = 1;", "int64 user_id = 1;");
    let breaking_common = common_text.replace("int64 amount_minor = 2;", "string amount_minor = 2;");
    let steps: Vec<(&str, String)> = vec![
        (updated, format!("// a comment\n{updated_text}")),
        (updated, breaking_updated.clone()),
        (updated, format!("// a comment\n// and another\n{breaking_updated}")),
        (created, format!("// a comment on another event\n{}", text(created))),
        (common, format!("// a comment in the shared file\n{common_text}")),
        (common, breaking_common.clone()),
        (common, format!("\n\n{breaking_common}")),
        (
            updated,
            breaking_updated.replace("// Which parts", "// Which of the parts"),
        ),
        (toml, format!("{toml_text}\n[check]\nexcept = [\"FIELD_SAME_TYPE\"]\n")),
        (
            toml,
            format!("{toml_text}\n[check]\nignore = [\"user/v1/common.proto\"]\n"),
        ),
        (toml, toml_text.replace("\"BACKWARD_TRANSITIVE\"", "\"FORWARD\"")),
        (toml, toml_text.replace("\"BACKWARD_TRANSITIVE\"", "\"NONE\"")),
        (toml, toml_text.clone()),
        (
            updated,
            breaking_updated.replace("version: \"1.2\"", "version: \"1.3\""),
        ),
        (
            updated,
            breaking_updated.replace("version: \"1.2\"", "version: \"2.0\""),
        ),
        (
            updated,
            format!(
                "// shifted\n{}",
                breaking_updated.replace("version: \"1.2\"", "version: \"2.0\"")
            ),
        ),
        (updated, updated_text.clone()),
        (common, format!("{common_text}\nmessage Extra {{ string x = 1; }}\n")),
        (common, common_text.clone()),
        (
            bank,
            bank_text.replace("\"name\": \"code\",", "\"name\": \"bankCode\","),
        ),
        (
            bank,
            bank_text.replace("\"Bank-specific error code", "\"The bank-specific error code"),
        ),
        (
            bank,
            format!(
                "\n\n{}",
                bank_text.replace("\"name\": \"code\",", "\"name\": \"bankCode\",")
            ),
        ),
        (
            toml,
            toml_text.replace(
                "schemas = [\"accounting/**/*.avsc\"]",
                "topic = \"bank\"\nschemas = [\"accounting/**/*.avsc\"]",
            ),
        ),
        (
            toml,
            format!("{toml_text}\n[check]\nexcept = [\"EVENT_VERSION_NOT_BUMPED\"]\n"),
        ),
        (toml, format!("# shifted\n{toml_text}")),
        (bank, bank_text.clone()),
        (toml, toml_text.clone()),
    ];
    let counts = replay(&mut files, &lock, steps);
    eprintln!("findings per step: {counts:?}");
    // The sequence is worth something only if the edits made findings come and go.
    assert!(counts.contains(&0), "{counts:?}");
    assert!(counts.iter().filter(|&&n| n > 2).count() >= 5, "{counts:?}");
}

/// A generated repo held in memory: proto events importing a shared file (or not), Avro events
/// naming a record of a shared `.avsc`, one lock released from it; then a pseudo-random walk of
/// one-file edits (comments that shift spans, breaking and compatible changes in an event's file
/// and in the shared files, version bumps, herald.toml's mode and `[check]`, and undoing them).
#[test]
fn a_walk_of_edits_over_a_generated_repo_checks_as_a_fresh_check_does() {
    const PROTOS: usize = 9;
    const AVROS: usize = 4;
    let mut files = FileSet::new("/generated");
    let common =
        "syntax = \"proto3\";\npackage gen.common;\nmessage Money {\n  string currency = 1;\n  int64 minor = 2;\n}\n";
    let proto = |i: usize| {
        let (import, field) = if i.is_multiple_of(3) {
            ("", "")
        } else {
            ("import \"proto/common.proto\";\n", "  gen.common.Money amount = 2;\n")
        };
        format!(
            "syntax = \"proto3\";\npackage gen.e{i};\nimport \"herald/options.proto\";\n{import}\nmessage Thing{i} {{\n  option (herald.event) = {{ version: \"1.1\", kind: EVENT, partition_key: \"id\" }};\n  string id = 1;\n{field}}}\n"
        )
    };
    let shared = "{\"type\": \"record\", \"name\": \"Shared\", \"namespace\": \"gen.avro\", \"fields\": [\n  {\"name\": \"a\", \"type\": \"string\"}\n]}\n";
    let avro = |i: usize| {
        let field = if i.is_multiple_of(2) {
            ",\n  {\"name\": \"shared\", \"type\": \"gen.avro.Shared\"}"
        } else {
            ""
        };
        format!(
            "{{\"type\": \"record\", \"name\": \"A{i}\", \"namespace\": \"gen.avro\",\n \"herald\": {{\"version\": \"1.1\", \"kind\": \"event\", \"partitionKey\": \"id\"}},\n \"fields\": [\n  {{\"name\": \"id\", \"type\": \"string\"}}{field}\n]}}\n"
        )
    };
    let toml = "[repo]\nname = \"gen\"\n\n[sources.protos]\nschemas = [\"proto/**/*.proto\"]\n\n[sources.avros]\nschemas = [\"avro/*.avsc\"]\n";
    let mut pristine: Vec<(String, String)> = vec![
        ("herald.toml".to_owned(), toml.to_owned()),
        ("proto/common.proto".to_owned(), common.to_owned()),
        ("avro/shared.avsc".to_owned(), shared.to_owned()),
    ];
    pristine.extend((0..PROTOS).map(|i| (format!("proto/e{i}.proto"), proto(i))));
    pristine.extend((0..AVROS).map(|i| (format!("avro/a{i}.avsc"), avro(i))));
    for (name, text) in &pristine {
        files.insert(name.as_str(), text.as_str());
    }
    let set = load::load_files(&files).expect("the generated repo loads").set;
    let mut lock = load::Lock::default();
    herald_codegen::lock::release(&set, &mut lock).expect("released");
    assert_eq!(lock.releases.len(), PROTOS + AVROS);

    // Edits of one file's current text; each keeps the repo loadable.
    let edits: &[fn(&str) -> String] = &[
        |t| format!("// a comment\n{t}"),
        |t| format!("\n{t}"),
        |t| t.replace("int64 minor = 2;", "string minor = 2;"),
        |t| t.replace("string minor = 2;", "int64 minor = 2;"),
        |t| t.replace("string id = 1;", "int64 id = 1;"),
        |t| t.replace("version: \"1.1\"", "version: \"1.2\""),
        |t| t.replace("version: \"1.1\"", "version: \"2.0\""),
        |t| {
            t.replace(
                "{\"name\": \"a\", \"type\": \"string\"}",
                "{\"name\": \"b\", \"type\": \"string\"}",
            )
        },
        |t| t.replace("\"version\": \"1.1\"", "\"version\": \"1.2\""),
        |t| {
            t.replace(
                "{\"name\": \"id\", \"type\": \"string\"}",
                "{\"name\": \"id\", \"type\": \"long\"}",
            )
        },
        |t| {
            t.replace(
                "name = \"gen\"\n",
                "name = \"gen\"\ncompatibility = \"FULL_TRANSITIVE\"\n",
            )
        },
        |t| t.replace("name = \"gen\"\n", "name = \"gen\"\ncompatibility = \"NONE\"\n"),
        |t| format!("{t}\n[check]\nignore = [\"proto/common.proto\"]\n"),
        |t| format!("{t}\n[check]\ndeletions = \"warning\"\n"),
    ];
    let mut session = Session::default();
    let mut releases = check::Releases::default();
    let mut counts = vec![same(&files, &mut session, &lock, &mut releases, "the first check")];
    // A fixed linear congruential walk: the same sequence on every run.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for step in 0..80 {
        let (name, original) = &pristine[next(pristine.len())];
        let current = match files.get(name) {
            Some(herald_codegen::files::Content::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
            _ => original.clone(),
        };
        // One step in five undoes every edit of the file.
        let text = match next(5) {
            0 => original.clone(),
            _ => edits[next(edits.len())](&current),
        };
        let loadable = {
            let mut trial = files.clone();
            trial.insert(name.as_str(), text.as_str());
            load::load_files(&trial).is_ok()
        };
        if !loadable {
            continue;
        }
        files.insert(name.as_str(), text);
        counts.push(same(
            &files,
            &mut session,
            &lock,
            &mut releases,
            &format!("step {step} ({name})"),
        ));
    }
    eprintln!("findings per step: {counts:?}");
    assert!(counts.len() > 60, "{counts:?}");
    assert!(counts.iter().filter(|&&n| n > 2).count() >= 10, "{counts:?}");
}

/// An event `gen.e.Thing` whose field `b` is of type `gen.b.B`, defined in `proto/b.proto`.
const THING_USING_B: &str = "syntax = \"proto3\";\npackage gen.e;\nimport \"herald/options.proto\";\nimport \"proto/b.proto\";\n\nmessage Thing {\n  option (herald.event) = { version: \"1.1\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n  gen.b.B b = 2;\n}\n";

/// A repo held in memory under `root` with `files` besides a herald.toml of one source over
/// `proto/`, and a lock releasing its events.
fn released(root: &str, files: &[(&str, &str)]) -> (FileSet, load::Lock) {
    let mut set = FileSet::new(root);
    set.insert(
        "herald.toml",
        "[repo]\nname = \"gen\"\n\n[sources.protos]\nschemas = [\"proto/**/*.proto\"]\n",
    );
    for (name, text) in files {
        set.insert(*name, *text);
    }
    let model = load::load_files(&set).expect("the repo loads").set;
    let mut lock = load::Lock::default();
    herald_codegen::lock::release(&model, &mut lock).expect("released");
    (set, lock)
}

/// The files an event's schema reaches are memoized between checks (with the definitions and
/// sources they were found from): an edit that makes the event reach a file it did not, or stop
/// reaching one, then an edit of that file, must be checked as a fresh check does. A memo keyed
/// on less (the event's own file, say) would keep the findings of the old reach.
#[test]
fn an_event_that_comes_to_reach_another_file_is_checked_against_it() {
    let b_with_c = "syntax = \"proto3\";\npackage gen.b;\nimport \"proto/c.proto\";\n\nmessage B {\n  string x = 1;\n  gen.c.C c = 2;\n}\n";
    let b_alone = "syntax = \"proto3\";\npackage gen.b;\n\nmessage B {\n  string x = 1;\n  reserved 2;\n}\n";
    let c = "syntax = \"proto3\";\npackage gen.c;\n\nmessage C {\n  int64 y = 1;\n}\n";
    let c_breaking = c.replace("int64 y = 1;", "string y = 1;");
    let (mut files, lock) = released(
        "/reach",
        &[
            ("proto/e.proto", THING_USING_B),
            ("proto/b.proto", b_with_c),
            ("proto/c.proto", c),
        ],
    );
    let steps: Vec<(&str, String)> = vec![
        ("proto/b.proto", b_alone.to_owned()),
        ("proto/c.proto", c_breaking.clone()),
        ("proto/b.proto", b_with_c.to_owned()),
        ("proto/c.proto", format!("// shifted\n{c_breaking}")),
        ("proto/c.proto", c.to_owned()),
        ("proto/b.proto", b_alone.to_owned()),
        ("proto/c.proto", c_breaking.clone()),
    ];
    let counts = replay(&mut files, &lock, steps);
    eprintln!("findings per step: {counts:?}");
    // Findings came and went: none at first, some while C was changed and reached again (step 3,
    // then shifted by the comment in step 4: stale spans would differ from a fresh check), none
    // once C was restored.
    assert_eq!(counts[0], 0, "{counts:?}");
    assert!(counts[3] > 0 && counts[4] > 0, "{counts:?}");
    assert_eq!(counts[5], 0, "{counts:?}");
}

/// The memo of an event's reach holds the definition each name it followed named: a second
/// definition of a reached type, in a file the event does not reach and sorting first (so that the
/// model's name now names it), changes no reached file's text but changes what the check compares;
/// so does removing it again. A memo trusting the reached files' texts alone would keep the old
/// findings.
#[test]
fn a_reached_name_that_comes_to_name_another_definition_is_checked_against_it() {
    let b = "syntax = \"proto3\";\npackage gen.b;\n\nmessage B {\n  string x = 1;\n}\n";
    let rival = "syntax = \"proto3\";\npackage gen.b;\n\nmessage B {\n  int64 x = 1;\n  bool y = 2;\n}\n";
    let (mut files, lock) = released("/names", &[("proto/e.proto", THING_USING_B), ("proto/b.proto", b)]);
    let steps: Vec<(&str, String)> = vec![
        ("proto/a.proto", rival.to_owned()),
        ("proto/a.proto", format!("// shifted\n{rival}")),
        ("proto/a.proto", "syntax = \"proto3\";\npackage gen.a;\n".to_owned()),
        ("proto/a.proto", rival.to_owned()),
    ];
    let counts = replay(&mut files, &lock, steps);
    eprintln!("findings per step: {counts:?}");
    assert_eq!(counts[0], 0, "{counts:?}");
    assert!(counts[1] > 0 && counts[2] > 0 && counts[4] > 0, "{counts:?}");
    assert_eq!(counts[3], 0, "{counts:?}");
}
