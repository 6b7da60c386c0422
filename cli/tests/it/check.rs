//! `herald check` and `herald release` on the command line: exit codes, formats, baselines (a
//! directory, the lock, git), over herald-codegen's fixtures under
//! `codegen/tests/fixtures/check/<case>/{old,new}`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use common::{herald, herald_in};

fn fixtures() -> PathBuf {
    common::codegen_dir().join("tests/fixtures/check")
}

fn side(case: &str, side: &str) -> String {
    fixtures().join(case).join(side).display().to_string()
}

/// `herald check <case>/new --against <case>/old <extra>`, run in herald-codegen's directory (as
/// when these tests were herald-codegen's), so paths show as `tests/fixtures/check/...`.
fn check_case(case: &str, extra: &[&str]) -> (i32, String, String) {
    let (new, old) = (side(case, "new"), side(case, "old"));
    let mut args = vec!["check", new.as_str(), "--against", old.as_str()];
    args.extend_from_slice(extra);
    herald_in(&common::codegen_dir(), &args)
}

#[test]
fn exit_codes_and_formats() {
    // Clean, breaking, and the same directory on both sides.
    assert_eq!(check_case("unchanged", &[]).0, 0);
    assert_eq!(
        herald(&[
            "check",
            &side("unchanged", "new"),
            "--against",
            &side("unchanged", "new")
        ])
        .0,
        0
    );
    let (code, _, stderr) = check_case("proto_field_deleted_no_bump", &[]);
    assert_eq!(code, 1);
    // Deleting a field without reserving its number is an error, as in buf.
    assert!(
        stderr.contains("error[FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED]"),
        "{stderr}"
    );
    assert!(stderr.contains("error[EVENT_VERSION_NOT_BUMPED]"), "{stderr}");
    assert!(
        stderr.contains("--> tests/fixtures/check/proto_field_deleted_no_bump/new/orders/order_placed.proto:"),
        "paths relative to the current directory: {stderr}"
    );

    let (code, stdout, _) = check_case("proto_field_deleted_no_bump", &["--format", "github"]);
    assert_eq!(code, 1);
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("::error") || l.starts_with("::warning")),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("::error")), "{stdout}");
    assert!(
        stdout.contains("file=tests/fixtures/check/proto_field_deleted_no_bump/new/orders/order_placed.proto,line="),
        "{stdout}"
    );

    let (code, stdout, _) = check_case("partition_key_changed", &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["breaking"], true);
    let keys = [
        "rule", "severity", "message", "file", "line", "column", "old_file", "old_line", "type", "event", "mode",
    ];
    for key in keys {
        assert!(v["findings"][0].get(key).is_some(), "missing {key}");
    }
}

#[test]
fn bad_baselines_are_usage_errors() {
    let (code, _, stderr) = herald(&["check", &side("unchanged", "new"), "--against", "/no/such/baseline"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("baseline"), "{stderr}");
    // A baseline with a syntax error is reported as the baseline's error.
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/fixtures/lint/proto_syntax_error");
    let (code, _, stderr) = herald(&[
        "check",
        &side("unchanged", "new"),
        "--against",
        &broken.display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("broken.proto:7:3") && stderr.contains("the baseline schemas have errors"),
        "{stderr}"
    );
    assert_eq!(check_case("unchanged", &["--mode", "SIDEWAYS"]).0, 2);
    let (code, _, stderr) = check_case("unchanged", &["--mode", "backwards"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown --mode `backwards`; did you mean `BACKWARD`?"),
        "{stderr}"
    );
    let (code, _, stderr) = check_case("unchanged", &["--categories", "WIRE_JSN"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `WIRE_JSON`?"), "{stderr}");
    assert_eq!(
        herald(&[
            "check",
            &side("unchanged", "new"),
            "--against",
            "git:no-such-revision-xyz"
        ])
        .0,
        2
    );
}

#[test]
fn mode_none_accepts_anything_and_categories_select_rules() {
    let case = "proto_type_changed_json_incompatible";
    let args = |extra: &[&str]| {
        let mut a = vec![
            "check".to_owned(),
            side(case, "new"),
            "--against".into(),
            side(case, "old"),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        herald(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // int64 → uint64 is wire compatible but not JSON compatible.
    let (code, _, stderr) = run(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE"));
    let (_, _, stderr) = run(&["--categories", "WIRE"]);
    assert!(!stderr.contains("FIELD_WIRE_COMPATIBLE_TYPE"), "{stderr}");
    assert_eq!(run(&["--mode", "NONE"]).0, 0);
}

/// A copy of the example repo in a temporary directory.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"), dir.path());
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn release_then_check_against_the_lock_transitively() {
    let repo = example_copy();
    let root = repo.path().display().to_string();
    let updated = repo.path().join("user/v1/user_updated.proto");
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 0, "{stderr}");
    assert!(repo.path().join("herald.lock").is_file());
    assert_eq!(herald(&["check", &root]).0, 0, "the lock is the default baseline");

    // Editing a released version in place is refused.
    edit(
        &updated,
        "string user_id = 1;",
        "string user_id = 1;\n  string nickname = 9;",
    );
    let (code, _, stderr) = herald(&["check", &root]);
    assert_eq!(code, 1);
    assert!(stderr.contains("EVENT_RELEASED_VERSION_EDITED"), "{stderr}");

    // A compatible change with a MINOR bump is released.
    edit(&updated, "version: \"1.2\"", "version: \"1.3\"");
    assert_eq!(herald(&["check", &root]).0, 0);
    assert_eq!(herald(&["release", &root]).0, 0);
    let lock = std::fs::read_to_string(repo.path().join("herald.lock")).expect("lock");
    assert!(lock.contains("version = \"1.2\"") && lock.contains("version = \"1.3\""));

    // A breaking change is reported against the released versions it breaks (BACKWARD_TRANSITIVE
    // compares with 1.2 and 1.3; only 1.3 had the field), each named.
    edit(&updated, "string nickname = 9;", "int64 nickname = 9;");
    edit(&updated, "version: \"1.3\"", "version: \"1.4\"");
    let (code, _, stderr) = herald(&["check", &root]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE") && stderr.contains("against released 1.3"),
        "{stderr}"
    );
    assert!(!stderr.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE]: Field \"9\" with name \"nickname\" on message \"UserUpdated\" changed type from \"string\" to \"int64\". (against released 1.2)"), "{stderr}");
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 1, "release refuses: {stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

/// `git init` and one commit of everything in `dir`.
fn git_commit_all(dir: &Path) {
    for args in [&["init", "-q"][..], &["add", "-A"], &["commit", "-qm", "base"]] {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }
}

/// Releases every event of the repo at `root` into a new herald.lock with the fingerprints of
/// fingerprint version 1 (a proto message's own descriptor), as an older herald wrote it.
fn write_old_format_lock(root: &Path) {
    let set = herald_codegen::load::load(root).expect("loads").set;
    let mut lock = herald_codegen::lock::Lock::default();
    herald_codegen::lock::release(&set, &mut lock).expect("release");
    for r in &mut lock.releases {
        let ty = set.type_named(&r.type_name).expect("released type");
        if r.format == "proto" {
            r.fingerprint = format!("{:016x}", herald_codegen::rust::proto_fingerprint(&set, ty));
        }
        r.fingerprint_version = 1;
    }
    herald_codegen::lock::write(&lock, &root.join("herald.lock")).expect("write lock");
}

#[test]
fn a_change_in_a_message_an_event_uses_from_another_file_is_a_change_of_that_event() {
    // A lock as a herald whose proto fingerprints covered the event's own message only wrote it
    // (no `fingerprint_version`): it must keep working.
    let repo = example_copy();
    let root = repo.path().display().to_string();
    let lock_path = repo.path().join("herald.lock");
    write_old_format_lock(repo.path());
    assert!(!std::fs::read_to_string(&lock_path)
        .expect("lock")
        .contains("fingerprint_version"));
    git_commit_all(repo.path());
    assert_eq!(herald(&["check", &root]).0, 0);

    // `Profile` (common.proto) is used by the released UserCreated 1.0 and UserUpdated 1.2.
    let common = repo.path().join("user/v1/common.proto");
    edit(&common, "string locale = 4;", "string locale = 4;\n  bool vip = 5;");
    for baseline in ["lock", "git:HEAD"] {
        for categories in ["WIRE_JSON", "WIRE"] {
            let (code, _, stderr) = herald(&["check", &root, "--against", baseline, "--categories", categories]);
            assert_eq!(code, 1, "{baseline} {categories}: {stderr}");
            let rule = if baseline == "lock" {
                "error[EVENT_RELEASED_VERSION_EDITED]"
            } else {
                "error[EVENT_VERSION_NOT_BUMPED]"
            };
            // Reported on the new field, once per event that reaches it, naming the event.
            assert_eq!(stderr.matches(rule).count(), 2, "{baseline}: {stderr}");
            assert_eq!(stderr.matches("/user/v1/common.proto:24:8").count(), 2, "{stderr}");
            assert!(
                stderr.contains("acme.user.v1.UserUpdated") && stderr.contains("acme.user.v1.UserCreated"),
                "{stderr}"
            );
            assert!(stderr.contains("field `vip` added"), "{stderr}");
        }
    }
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 1, "release refuses an edited released version: {stderr}");

    // Bumped, the change is released; the old releases are re-fingerprinted from their own
    // files, with a note, and everything still checks clean.
    edit(
        &repo.path().join("user/v1/user_created.proto"),
        "version: \"1.0\"",
        "version: \"1.1\"",
    );
    edit(
        &repo.path().join("user/v1/user_updated.proto"),
        "version: \"1.2\"",
        "version: \"1.3\"",
    );
    assert_eq!(herald(&["check", &root]).0, 0);
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("note: re-fingerprinted"), "{stderr}");
    let lock = std::fs::read_to_string(&lock_path).expect("lock");
    assert_eq!(
        lock.matches("fingerprint_version = 2").count(),
        lock.matches("[[release]]").count(),
        "{lock}"
    );
    assert_eq!(herald(&["check", &root]).0, 0);

    // With the new fingerprints, an edit two files away from the event is still caught.
    edit(&common, "bool vip = 5;", "bool vip = 6;");
    let (code, _, stderr) = herald(&["check", &root, "--categories", "WIRE"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[EVENT_RELEASED_VERSION_EDITED]"), "{stderr}");
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("re-fingerprinted"), "{stderr}");
}

#[test]
fn comments_and_deprecation_change_no_released_version_but_json_names_and_avro_defaults_do() {
    let repo = example_copy();
    let root = repo.path().display().to_string();
    git_commit_all(repo.path());
    let common = repo.path().join("user/v1/common.proto");
    edit(
        &common,
        "// Name shown to other players.",
        "// The name other players see.",
    );
    edit(
        &common,
        "string avatar_url = 2;",
        "string avatar_url = 2 [deprecated = true];",
    );
    for baseline in ["lock", "git:HEAD"] {
        let (code, _, stderr) = herald(&["check", &root, "--against", baseline]);
        assert_eq!(code, 0, "{baseline}: {stderr}");
    }
    // json_name changes the JSON form of every event using Profile.
    edit(
        &common,
        "string locale = 4;",
        "string locale = 4 [json_name = \"lang\"];",
    );
    for baseline in ["lock", "git:HEAD"] {
        let (code, _, stderr) = herald(&["check", &root, "--against", baseline, "--categories", "WIRE"]);
        assert_eq!(code, 1, "{baseline}: {stderr}");
        assert!(stderr.contains("field `locale` changed"), "{baseline}: {stderr}");
    }
    edit(
        &common,
        "string locale = 4 [json_name = \"lang\"];",
        "string locale = 4;",
    );
    // An Avro field default is left out of the Avro fingerprint (parsing canonical form), but a
    // released version whose default changed in place is still an edited release.
    edit(
        &repo.path().join("accounting/bank_error.avsc"),
        "},\n      \"default\": \"UNKNOWN\"",
        "},\n      \"default\": \"WARNING\"",
    );
    let (code, _, stderr) = herald(&["check", &root]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[EVENT_RELEASED_VERSION_EDITED]")
            && stderr.contains("field `severity` changed")
            && stderr.contains("/accounting/bank_error.avsc:24:"),
        "{stderr}"
    );
}

#[test]
fn a_widened_integer_in_a_used_message_is_a_finding_in_the_wire_category() {
    // int32 → int64 is wire compatible, so buf's WIRE rules say nothing; the event's schema
    // changed all the same, and its version did not.
    let (code, _, stderr) = check_case("proto_used_message_widened", &["--categories", "WIRE"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[EVENT_VERSION_NOT_BUMPED]"), "{stderr}");
    assert!(stderr.contains("/orders/line.proto:13:9"), "{stderr}");
    assert!(
        stderr.contains("`shop.common.v1.Quantity` changed (field `units` changed)"),
        "{stderr}"
    );
}

/// `herald check --categories WIRE` of two repos whose event `Counted` (counted.proto) uses
/// `Stock` (stock.proto), whose one field is `old_field` before and `new_field` after.
fn used_message_field_changed(old_field: &str, new_field: &str) -> (i32, String) {
    let side = |field: &str| {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("herald.toml"),
            "[repo]\nname = \"shop\"\n\n[sources.orders]\nschemas = [\"*.proto\"]\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("stock.proto"),
            format!("syntax = \"proto3\";\npackage shop.v1;\n\nmessage Stock {{\n  {field}\n}}\n"),
        )
        .expect("write");
        std::fs::write(
            dir.path().join("counted.proto"),
            "syntax = \"proto3\";\npackage shop.v1;\nimport \"herald/options.proto\";\nimport \"stock.proto\";\n\nmessage Counted {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  string id = 1;\n  Stock stock = 2;\n}\n",
        )
        .expect("write");
        dir
    };
    let (old, new) = (side(old_field), side(new_field));
    let (code, _, stderr) = herald(&[
        "check",
        &new.path().display().to_string(),
        "--against",
        &old.path().display().to_string(),
        "--categories",
        "WIRE",
    ]);
    (code, stderr)
}

#[test]
fn map_values_and_field_options_in_a_used_message_are_part_of_the_event() {
    // The map's entry message is part of the field: its value type is part of the event's schema.
    let (code, stderr) = used_message_field_changed("map<string, int32> units = 1;", "map<string, int64> units = 1;");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[EVENT_VERSION_NOT_BUMPED]") && stderr.contains("/stock.proto:5:"),
        "{stderr}"
    );
    // `packed` changes the wire form; the model does not show it, the descriptor does.
    let (code, stderr) = used_message_field_changed(
        "repeated int32 units = 1;",
        "repeated int32 units = 1 [packed = false];",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("options of field `units` changed") && stderr.contains("/stock.proto:5:"),
        "{stderr}"
    );
    // `deprecated` changes neither.
    let (code, stderr) = used_message_field_changed("int32 units = 1;", "int32 units = 1 [deprecated = true];");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_lock_edited_into_invalid_text_is_a_located_usage_error() {
    let repo = example_copy();
    let root = repo.path().display().to_string();
    assert_eq!(herald(&["release", &root]).0, 0);
    std::fs::write(
        repo.path().join("herald.lock"),
        "[[release]]\nevent = \"x\"\nversion = 1.0\n",
    )
    .expect("write");
    let (code, _, stderr) = herald(&["check", &root]);
    assert_eq!(code, 2);
    // The repo is outside the current directory and was given as an absolute path.
    assert!(
        stderr.contains(&format!(
            "--> {}/herald.lock:3:",
            repo.path().canonicalize().expect("canonical").display()
        )),
        "{stderr}"
    );
}

#[test]
fn git_revisions_are_read_without_a_checkout() {
    let repo = example_copy();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    let root = repo.path().display().to_string();
    assert_eq!(herald(&["check", &root, "--against", "git:HEAD"]).0, 0);
    edit(
        &repo.path().join("user/v1/user_updated.proto"),
        "string user_id = 1;",
        "string user_id = 1;\n  string nickname = 9;",
    );
    let (code, _, stderr) = herald(&["check", &root, "--against", "git:HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("EVENT_VERSION_NOT_BUMPED"), "{stderr}");
    // The work tree is untouched: the edit is still there.
    let text = std::fs::read_to_string(repo.path().join("user/v1/user_updated.proto")).expect("read");
    assert!(text.contains("nickname"));
    let (code, _, stderr) = herald(&["check", &root, "--against", "git:no-such-rev"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn buf_verdicts_by_default_and_deletions_as_warnings_on_request() {
    // Deleting an enum value without reserving its name breaks JSON readers: an error in buf's
    // WIRE_JSON, so the check fails although the version was bumped.
    let (code, _, stderr) = check_case("proto_enum_value_deleted_minor_bump", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED]"),
        "{stderr}"
    );
    // `[check] deletions = "warning"` is the direction-aware reading, opted into: the deletion
    // is a warning; the unbumped version still fails.
    let (code, _, stderr) = check_case("proto_field_deleted_deletions_warning", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("warning[FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED]"),
        "{stderr}"
    );
    assert!(!stderr.contains("EVENT_BREAKING_WITHOUT_MAJOR"), "{stderr}");
    assert!(stderr.contains("error[EVENT_VERSION_NOT_BUMPED]"), "{stderr}");
}

#[test]
fn sarif_and_junit_reports() {
    let case = "proto_field_deleted_no_bump";
    let (code, stdout, _) = check_case(case, &["--format", "sarif"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("sarif json");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["level"] == "error"));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tests/fixtures/check/proto_field_deleted_no_bump/new/orders/order_placed.proto"
    );
    let (code, stdout, _) = check_case(case, &["--format", "junit"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("<testsuites name=\"herald check\" tests=\"4\" failures=\"4\">"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("<failure ").count(), 4);
}

#[test]
fn empty_repos_check_clean() {
    let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let (code, _, stderr) = herald(&[
        "check",
        &new.path().display().to_string(),
        "--against",
        &old.path().display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no breaking changes"));
}

mod check_table {
    use super::*;

    /// `proto_field_deleted_no_bump` (a field deleted, the version kept) with `toml` appended to
    /// the new side's herald.toml; `herald check` on it with `extra` arguments.
    fn run(toml: &str, extra: &[&str]) -> (i32, String) {
        let dir = tempfile::tempdir().expect("tmp");
        common::copy_dir(&fixtures().join("proto_field_deleted_no_bump"), dir.path());
        let config = dir.path().join("new/herald.toml");
        let text = std::fs::read_to_string(&config).expect("read");
        std::fs::write(&config, format!("{text}\n{toml}")).expect("write");
        let (new, old) = (dir.path().join("new"), dir.path().join("old"));
        let (new, old) = (new.display().to_string(), old.display().to_string());
        let mut args = vec!["check", new.as_str(), "--against", old.as_str()];
        args.extend_from_slice(extra);
        let (code, _, stderr) = herald(&args);
        (code, stderr)
    }

    const NUMBER: &str = "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED";
    const NAME: &str = "FIELD_NO_DELETE_UNLESS_NAME_RESERVED";

    #[test]
    fn except_ignore_and_ignore_only() {
        let (code, stderr) = run("", &[]);
        assert_eq!(code, 1);
        for rule in [NUMBER, NAME, "EVENT_BREAKING_WITHOUT_MAJOR", "EVENT_VERSION_NOT_BUMPED"] {
            assert!(stderr.contains(&format!("error[{rule}]")), "{rule}: {stderr}");
        }

        // Accepted rules are not reported, and what they would have made breaking is not either.
        let (code, stderr) = run(&format!("[check]\nexcept = [\"{NUMBER}\", \"{NAME}\"]\n"), &[]);
        assert_eq!(code, 1, "{stderr}");
        assert!(!stderr.contains(NUMBER) && !stderr.contains(NAME), "{stderr}");
        assert!(!stderr.contains("EVENT_BREAKING_WITHOUT_MAJOR"), "{stderr}");
        assert!(stderr.contains("error[EVENT_VERSION_NOT_BUMPED]"), "{stderr}");

        // The same from the command line, added to the file's.
        let (code, stderr) = run(
            &format!("[check]\nexcept = [\"{NUMBER}\"]\n"),
            &["--except", NAME, "--except", "EVENT_VERSION_NOT_BUMPED"],
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("no breaking changes"), "{stderr}");

        // A directory ignored: nothing in it is reported.
        let (code, stderr) = run("[check]\nignore = [\"orders/\"]\n", &[]);
        assert_eq!(code, 0, "{stderr}");
        let (code, stderr) = run("[check]\nignore = [\"billing\", \"order\"]\n", &[]);
        assert_eq!(code, 1, "a prefix of a name is not a directory: {stderr}");

        // One rule ignored for one file.
        let (code, stderr) = run(
            &format!("[check.ignore_only]\n{NUMBER} = [\"orders/order_placed.proto\"]\n"),
            &[],
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(!stderr.contains(NUMBER) && stderr.contains(NAME), "{stderr}");
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let (code, stderr) = run("[check]\nexcept = [\"FIELD_NO_DELTE\"]\n", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("unknown compatibility rule `FIELD_NO_DELTE`"),
            "{stderr}"
        );
        assert!(stderr.contains("/herald.toml:13:11"), "{stderr}");
        assert!(stderr.contains("did you mean `FIELD_NO_DELETE`?"), "{stderr}");

        let (code, stderr) = run("[check.ignore_only]\nFIELD_SAME_TYP = [\"orders\"]\n", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("/herald.toml:13:1\n"), "{stderr}");
        assert!(stderr.contains("did you mean `FIELD_SAME_TYPE`?"), "{stderr}");

        let (code, stderr) = run("[check]\nignore = [\"../elsewhere\"]\n", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("is not a path inside the repo"), "{stderr}");

        let (code, stderr) = run("[check]\ndeletions = \"sometimes\"\nexcept = \"x\"\nbogus = 1\n", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("unknown `deletions` setting `sometimes`"), "{stderr}");
        assert!(stderr.contains("`except` must be an array of strings"), "{stderr}");
        assert!(stderr.contains("unknown key `bogus` in [check]"), "{stderr}");

        let (code, stderr) = run("", &["--except", "FIELD_NO_DELTE"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("did you mean `FIELD_NO_DELETE`?"), "{stderr}");
    }
}

mod avro_renames {
    use super::*;

    const OLD: &str =
        r#"{"type": "record", "name": "Payment", "namespace": "acme", "fields": [{"name": "id", "type": "string"}]}"#;
    const RENAMED: &str =
        r#"{"type": "record", "name": "Transfer", "namespace": "acme", "fields": [{"name": "id", "type": "string"}]}"#;
    const ALIASED: &str = r#"{"type": "record", "name": "Transfer", "namespace": "acme", "aliases": ["Payment"], "fields": [{"name": "id", "type": "string"}]}"#;

    /// `herald check new --against old --mode MODE` on two single files.
    fn files(new: &str, old: &str, mode: &str) -> (i32, String) {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("new.avsc"), new).expect("write");
        std::fs::write(dir.path().join("old.avsc"), old).expect("write");
        let (n, o) = (dir.path().join("new.avsc"), dir.path().join("old.avsc"));
        let (code, _, stderr) = herald(&[
            "check",
            &n.display().to_string(),
            "--against",
            &o.display().to_string(),
            "--mode",
            mode,
        ]);
        (code, stderr)
    }

    #[test]
    fn a_renamed_record_is_compared_not_skipped() {
        // Records must have the same name (or the reader an alias): a rename breaks both ways.
        for mode in ["BACKWARD", "FORWARD"] {
            for (new, old) in [(RENAMED, OLD), (OLD, RENAMED)] {
                let (code, stderr) = files(new, old, mode);
                assert_eq!(code, 1, "{mode}: {stderr}");
                assert!(stderr.contains("AVRO_NAME_MISMATCH"), "{stderr}");
            }
        }
        // With an alias on the new (reader) side: new readers read old data, not the reverse.
        assert_eq!(files(ALIASED, OLD, "BACKWARD").0, 0);
        let (code, stderr) = files(ALIASED, OLD, "FORWARD");
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(files(ALIASED, OLD, "FULL").0, 1);
    }

    #[test]
    fn top_level_primitive_schemas_are_checked_not_refused() {
        // int → long is a promotion: new readers read old data, old readers cannot read new data.
        assert_eq!(files("\"long\"", "\"int\"", "BACKWARD").0, 0);
        let (code, stderr) = files("\"long\"", "\"int\"", "FORWARD");
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("AVRO_TYPE_MISMATCH") && stderr.contains("/new.avsc:1:1"),
            "{stderr}"
        );
        assert_eq!(files("\"int\"", "\"long\"", "BACKWARD").0, 1);
        // A primitive against a record, and an array of them.
        assert_eq!(files(OLD, "\"int\"", "BACKWARD").0, 1);
        assert_eq!(
            files(
                r#"{"type": "array", "items": "long"}"#,
                r#"{"type": "array", "items": "int"}"#,
                "BACKWARD"
            )
            .0,
            0
        );
        // A string that names no primitive is still not a schema.
        assert_eq!(files("\"integer\"", "\"int\"", "BACKWARD").0, 2);
    }

    #[test]
    fn an_event_whose_record_was_renamed_is_paired_by_its_event_name() {
        let repo = |record: &str| {
            let dir = tempfile::tempdir().expect("tmp");
            std::fs::write(
                dir.path().join("herald.toml"),
                "[repo]\nname = \"acme\"\n\n[sources.pay]\nschemas = [\"*.avsc\"]\n",
            )
            .expect("write");
            let text = format!(
                r#"{{"type": "record", "name": "{record}", "namespace": "acme", "herald": {{"version": "1.1", "kind": "event", "partitionKey": "id", "name": "acme.Payment"}}, "fields": [{{"name": "id", "type": "string"}}]}}"#
            );
            std::fs::write(dir.path().join("payment.avsc"), text).expect("write");
            dir
        };
        let (old, new) = (repo("Payment"), repo("Transfer"));
        let (code, _, stderr) = herald(&[
            "check",
            &new.path().display().to_string(),
            "--against",
            &old.path().display().to_string(),
        ]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("AVRO_NAME_MISMATCH"), "{stderr}");
    }
}

/// A git-root-like directory holding `schemas/` (the new side of `case`) and `old/` (its old side).
fn nested_repo(case: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for (from, to) in [("new", "schemas"), ("old", "old")] {
        std::fs::create_dir_all(root.path().join(to)).expect("mkdir");
        common::copy_dir(&fixtures().join(case).join(from), &root.path().join(to));
    }
    root
}

#[test]
fn paths_are_relative_to_the_current_directory_in_every_format() {
    let root = nested_repo("proto_field_deleted_no_bump");
    let file = "orders/order_placed.proto";
    // (where herald runs, the new side and the baseline as typed there, the path a finding shows)
    let top = root.path().parent().expect("parent");
    let from_above = root.path().file_name().and_then(|n| n.to_str()).expect("name");
    let cases = [
        (
            root.path().to_path_buf(),
            "schemas".to_owned(),
            "old".to_owned(),
            format!("schemas/{file}"),
        ),
        (
            root.path().join("schemas"),
            ".".into(),
            "../old".into(),
            file.to_owned(),
        ),
        (
            root.path().join("old"),
            "../schemas/".into(),
            ".".into(),
            format!("../schemas/{file}"),
        ),
        (
            top.to_path_buf(),
            format!("{from_above}/schemas"),
            format!("{from_above}/old"),
            format!("{from_above}/schemas/{file}"),
        ),
        (
            root.path().to_path_buf(),
            root.path().join("schemas").display().to_string(),
            "old".into(),
            format!("schemas/{file}"),
        ),
    ];
    for (cwd, new, old, shown) in &cases {
        let run = |format: &str| herald_in(cwd, &["check", new, "--against", old, "--format", format]);
        let (code, _, stderr) = run("human");
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(&format!("--> {shown}:9:3")), "{shown}: {stderr}");
        let (_, stdout, _) = run("github");
        assert!(stdout.contains(&format!("file={shown},line=9,col=3,")), "{stdout}");
        let (_, stdout, _) = run("json");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
        assert_eq!(v["findings"][0]["file"], shown.as_str(), "{stdout}");
        assert!(
            v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["old_file"] != serde_json::Value::Null),
            "{stdout}"
        );
        let (_, stdout, _) = run("junit");
        assert!(stdout.contains(&format!("file=\"{shown}\"")), "{stdout}");
        assert!(stdout.contains(&format!("{shown}:9:3: ")), "{stdout}");
        let (_, stdout, _) = run("sarif");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("sarif");
        let run0 = &v["runs"][0];
        let location = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uri"], shown.as_str(), "{stdout}");
        assert_eq!(location["uriBaseId"], "SRCROOT", "{stdout}");
        let base = run0["originalUriBaseIds"]["SRCROOT"]["uri"].as_str().expect("base uri");
        let cwd_uri = format!("file://{}/", cwd.canonicalize().expect("canonical").display());
        assert_eq!(base, cwd_uri);
    }
    // The baseline directory's own paths, relative to where herald runs.
    let (_, stdout, _) = herald_in(
        root.path(),
        &["check", "schemas", "--against", "./old", "--format", "json"],
    );
    assert!(stdout.contains(&format!("\"old_file\": \"old/{file}\"")), "{stdout}");
    // --path-prefix replaces the computed prefix; SARIF's base then has no fixed location.
    let (_, stdout, _) = herald_in(
        root.path(),
        &[
            "check",
            "schemas",
            "--against",
            "old",
            "--format",
            "sarif",
            "--path-prefix",
            "repo/",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("sarif");
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("repo/{file}")
    );
    assert_eq!(v["runs"][0]["originalUriBaseIds"]["SRCROOT"].get("uri"), None);
    let (_, stdout, _) = herald_in(
        root.path(),
        &[
            "check",
            "schemas",
            "--against",
            "old",
            "--format",
            "github",
            "--path-prefix",
            "",
        ],
    );
    assert!(stdout.contains(&format!("file={file},line=9")), "{stdout}");
    // herald lint shows the same paths.
    let (_, _, stderr) = herald_in(root.path(), &["lint", "schemas"]);
    assert!(!stderr.contains("--> orders/"), "{stderr}");
    std::fs::write(
        root.path().join("schemas/orders/bad.proto"),
        "syntax = \"proto3\";\nmessage {\n",
    )
    .expect("write");
    let (code, _, stderr) = herald_in(root.path(), &["lint", "schemas"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--> schemas/orders/bad.proto:"), "{stderr}");
    let (_, stdout, _) = herald_in(&root.path().join("schemas/orders"), &["lint", "..", "--format", "json"]);
    assert!(stdout.contains("\"file\": \"bad.proto\""), "{stdout}");
    // Errors in a side are shown with the same paths.
    let (code, _, stderr) = herald_in(root.path(), &["check", "schemas", "--against", "old"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--> schemas/orders/bad.proto:"), "{stderr}");
}

#[test]
fn a_git_baseline_annotates_the_files_as_seen_from_the_git_root() {
    let root = nested_repo("proto_field_deleted_no_bump");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .current_dir(root.path())
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    // The old side committed at schemas/, then the new side written over it.
    std::fs::rename(root.path().join("schemas"), root.path().join("new")).expect("mv");
    std::fs::rename(root.path().join("old"), root.path().join("schemas")).expect("mv");
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    std::fs::copy(
        root.path().join("new/orders/order_placed.proto"),
        root.path().join("schemas/orders/order_placed.proto"),
    )
    .expect("cp");
    let (code, stdout, stderr) = herald_in(
        root.path(),
        &["check", "schemas", "--against", "git:HEAD", "--format", "github"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("::error file=schemas/orders/order_placed.proto,line=9,col=3,"),
        "{stdout}"
    );
    let (_, stdout, _) = herald_in(
        root.path(),
        &["check", "schemas", "--against", "git:HEAD", "--format", "json"],
    );
    assert!(
        stdout.contains("\"old_file\": \"schemas/orders/order_placed.proto\""),
        "{stdout}"
    );
}

#[test]
fn each_events_causes_come_before_its_summary() {
    // A rename: the field findings first, then what they mean for the event.
    let (code, _, stderr) = check_case("proto_field_renamed", &[]);
    assert_eq!(code, 1, "{stderr}");
    let at = |rule: &str| {
        stderr
            .find(&format!("[{rule}]"))
            .unwrap_or_else(|| panic!("{rule}: {stderr}"))
    };
    let first_summary = at("EVENT_BREAKING_WITHOUT_MAJOR").min(at("EVENT_VERSION_NOT_BUMPED"));
    assert!(at("FIELD_SAME_NAME") < first_summary, "{stderr}");
    assert!(at("FIELD_SAME_JSON_NAME") < first_summary, "{stderr}");
    // A type shared by two events: each event's copy of the cause, then that event's summary.
    let (_, stdout, _) = check_case("shared_type_changed", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let order: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["event"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", "OrderPlaced"),
        ("EVENT_BREAKING_WITHOUT_MAJOR", "OrderPlaced"),
        ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", "RefundIssued"),
        // Money, which RefundIssued uses, changed and RefundIssued kept its version.
        ("EVENT_VERSION_NOT_BUMPED", "RefundIssued"),
        ("EVENT_BREAKING_WITHOUT_MAJOR", "RefundIssued"),
    ]
    .iter()
    .map(|(r, e)| ((*r).to_owned(), (*e).to_owned()))
    .collect();
    assert_eq!(order, expected);
}

#[test]
fn a_compatible_change_without_a_bump_is_not_called_breaking() {
    let (code, stdout, stderr) = check_case("proto_field_added_no_bump", &[]);
    assert_eq!(code, 1, "the version must still be bumped: {stdout}{stderr}");
    assert!(stderr.contains("error[EVENT_VERSION_NOT_BUMPED]"), "{stderr}");
    assert!(stderr.contains("^ version not bumped"), "{stderr}");
    assert!(!stderr.contains("breaks BACKWARD"), "{stderr}");
    assert!(
        stderr.contains("herald check: no breaking changes, but 1 version(s) not bumped (0 warning(s))"),
        "{stderr}"
    );
    let (_, stdout, _) = check_case("proto_field_added_no_bump", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        v["counts"],
        serde_json::json!({"breaking": 0, "not_bumped": 1, "warnings": 0})
    );
    // With a breaking change too, both are counted, apart.
    let (_, _, stderr) = check_case("proto_field_renamed", &[]);
    assert!(
        stderr.contains("^ version not bumped") && stderr.contains("breaks BACKWARD"),
        "{stderr}"
    );
    assert!(
        stderr.contains("herald check: 3 breaking change(s), 1 version(s) not bumped, 0 warning(s)"),
        "{stderr}"
    );
}

#[test]
fn check_help_lists_modes_and_categories() {
    let (code, stdout, _) = herald(&["check", "--help"]);
    assert_eq!(code, 0);
    for name in herald_codegen::model::Mode::ALL.iter().map(|(n, _)| *n) {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "mode {name}: {stdout}"
        );
    }
    for name in ["FILE", "PACKAGE", "WIRE_JSON", "WIRE"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "category {name}: {stdout}"
        );
    }
}

/// Runs git in `dir` with a throwaway identity; panics when it fails.
fn git_in(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn release_checks_what_it_releases_against_the_last_commit_without_a_lock() {
    let repo = example_copy();
    let root = repo.path().display().to_string();
    let lock = repo.path().join("herald.lock");
    std::fs::remove_file(&lock).expect("no lock yet");
    git_in(repo.path(), &["init", "-q"]);
    git_in(repo.path(), &["add", "-A"]);
    git_in(repo.path(), &["commit", "-qm", "base"]);
    let updated = repo.path().join("user/v1/user_updated.proto");
    let original = std::fs::read_to_string(&updated).expect("read");

    // An uncommitted breaking change with no new version is refused, and nothing is written.
    edit(
        &updated,
        "google.protobuf.Timestamp updated_at = 2;",
        "int64 updated_at = 2;",
    );
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "{stderr}");
    assert!(
        stderr.contains("herald release: refused") && stderr.contains("against git:HEAD"),
        "{stderr}"
    );
    assert!(!lock.exists());

    // A compatible change with a new MINOR: released with a warning that it is not committed,
    // refused under --strict.
    std::fs::write(&updated, &original).expect("restore");
    edit(
        &updated,
        "map<string, string> attributes = 8;",
        "map<string, string> attributes = 8;\n  string nickname = 9;",
    );
    edit(&updated, "version: \"1.2\"", "version: \"1.3\"");
    let (code, _, stderr) = herald(&["release", &root, "--strict"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refused (--strict)") && stderr.contains("user/v1/user_updated.proto"),
        "{stderr}"
    );
    assert!(!lock.exists());
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: schema files with uncommitted changes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("UserUpdated 1.3: first release of this event; git:HEAD had 1.2, checked compatible"),
        "{stderr}"
    );
    assert!(
        stderr.contains("UserCreated 1.0: first release of this event, unchanged since git:HEAD"),
        "{stderr}"
    );
    assert!(lock.is_file());

    // Committed, then a further MINOR: checked against the lock, which now exists.
    git_in(repo.path(), &["add", "-A"]);
    git_in(repo.path(), &["commit", "-qm", "1.3"]);
    edit(
        &updated,
        "string nickname = 9;",
        "string nickname = 9;\n  string motto = 10;",
    );
    edit(&updated, "version: \"1.3\"", "version: \"1.4\"");
    let (code, _, stderr) = herald(&["release", &root, "--strict"]);
    assert_eq!(code, 1, "{stderr}");
    git_in(repo.path(), &["commit", "-qam", "1.4"]);
    let (code, _, stderr) = herald(&["release", &root, "--strict"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("UserUpdated 1.4: new MINOR after released 1.3, checked compatible with the lock"),
        "{stderr}"
    );
    assert!(!stderr.contains("uncommitted"), "{stderr}");
    assert!(stderr.contains("1 new release(s)"), "{stderr}");
}

#[test]
fn release_outside_git_without_a_lock_is_a_first_release_and_against_checks_a_directory() {
    let repo = example_copy();
    let root = repo.path().display().to_string();
    std::fs::remove_file(repo.path().join("herald.lock")).expect("no lock yet");
    let old = example_copy();
    let updated = repo.path().join("user/v1/user_updated.proto");
    edit(
        &updated,
        "google.protobuf.Timestamp updated_at = 2;",
        "int64 updated_at = 2;",
    );
    edit(&updated, "version: \"1.2\"", "version: \"1.3\"");
    // --against a directory: the breaking change is refused.
    let (code, _, stderr) = herald(&["release", &root, "--against", &old.path().display().to_string()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("EVENT_BREAKING_WITHOUT_MAJOR"), "{stderr}");
    // Nothing to check against: said so, and released.
    let (code, _, stderr) = herald(&["release", &root]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no herald.lock and no git history"), "{stderr}");
    assert!(
        stderr.contains("UserUpdated 1.3: first release of this event"),
        "{stderr}"
    );
}

#[test]
fn a_lock_baseline_annotates_the_files_as_seen_from_where_herald_runs() {
    let top = tempfile::tempdir().expect("tempdir");
    let repo = top.path().join("schemas");
    std::fs::create_dir_all(&repo).expect("mkdir");
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"), &repo);
    edit(
        &repo.join("user/v1/user_updated.proto"),
        "string user_id = 1;",
        "string user_id = 1;\n  string nickname = 9;",
    );
    let (code, stdout, stderr) = herald_in(top.path(), &["check", "schemas", "--format", "github"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("::error file=schemas/user/v1/user_updated.proto,line="),
        "{stdout}"
    );
}

/// `herald check .` run in the repo itself: releases rebuilt from the lock are held in memory, so
/// what lies in the current directory under their set's root name (`herald.lock`) must not change
/// how they type-check (it once made every proto release look edited).
#[test]
fn check_run_inside_the_repo_judges_releases_as_from_outside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    common::copy_dir(&common::codegen_dir().join("../schemas"), &repo);
    let (inside, out_in, err_in) = herald_in(&repo, &["check", "."]);
    let (outside, out_out, err_out) = herald_in(dir.path(), &["check", "repo"]);
    assert_eq!(outside, 0, "{out_out}{err_out}");
    assert_eq!(inside, 0, "{out_in}{err_in}");
    assert!(!err_in.contains("EVENT_RELEASED_VERSION_EDITED"), "{err_in}");
}
