//! One fixture folder per compatibility rule (`tests/fixtures/rules/<RULE_ID>/{old,new}`, written
//! by its `generate.py`): every rule `herald rules` lists has a folder, the folder's change makes
//! herald report that rule, and the full findings equal the folder's `expected.txt` (rewrite them
//! after review with `HERALD_UPDATE_RULES=1 cargo test -p herald-codegen --test it rules`).

use std::path::{Path, PathBuf};

use herald_codegen::compat::check::{self, CheckFinding, CheckOptions};
use herald_codegen::compat::{self, Category};

fn folder(rule: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(rule)
}

fn findings(dir: &Path) -> (Vec<CheckFinding>, herald_codegen::EventSet) {
    let old = herald_codegen::load::load(&dir.join("old")).expect("old loads");
    let new = herald_codegen::load::load(&dir.join("new")).expect("new loads");
    assert!(
        !old.diagnostics
            .iter()
            .chain(&new.diagnostics)
            .any(|d| d.severity == herald_codegen::Severity::Error),
        "{}: fixture does not load cleanly: {:?}",
        dir.display(),
        old.diagnostics.iter().chain(&new.diagnostics).next()
    );
    let options = CheckOptions {
        mode: None,
        categories: vec![Category::File, Category::Package, Category::WireJson, Category::Wire],
        ..CheckOptions::default()
    };
    let found = if dir.join("old/VIA_LOCK").is_file() {
        let mut lock = herald_codegen::lock::Lock::default();
        herald_codegen::lock::release(&old.set, &mut lock).expect("release");
        check::check_against_lock(&lock, &new.set, &options).expect("check against lock")
    } else {
        check::check(&old.set, &new.set, &options)
    };
    (found, new.set)
}

fn render(found: &[CheckFinding], set: &herald_codegen::EventSet) -> String {
    let mut lines: Vec<String> = found
        .iter()
        .map(|f| {
            let at = f
                .finding
                .span
                .map(|s| {
                    let file = set.sources_map.get(s.file);
                    format!("{}:{}", file.name, file.line_col(s.start as usize).0)
                })
                .unwrap_or_else(|| "-".to_owned());
            format!("{} {at} {:?}", f.finding.rule, f.severity)
                .to_lowercase()
                .replacen(&f.finding.rule.id.to_lowercase(), f.finding.rule.id, 1)
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

#[test]
fn every_rule_has_a_fixture_that_triggers_it() {
    let update = std::env::var_os("HERALD_UPDATE_RULES").is_some();
    let mut problems = Vec::new();
    let rules = compat::all_rules();
    assert!(rules.len() >= 70);
    for rule in rules {
        // A guard for types missing from the model: the loader rejects unresolved types before
        // any check runs, so no well-formed pair of repos reaches it.
        if rule.id == "AVRO_TYPE_NOT_FOUND" {
            continue;
        }
        let dir = folder(rule.id);
        if !dir.is_dir() {
            problems.push(format!("{}: no fixture folder", rule.id));
            continue;
        }
        let (found, set) = findings(&dir);
        if !found.iter().any(|f| f.finding.rule == rule.id) {
            problems.push(format!(
                "{}: the fixture does not trigger it (found: {})",
                rule.id,
                render(&found, &set).trim()
            ));
        }
        let text = render(&found, &set);
        let expected_path = dir.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &text).expect("write expected");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != text {
            problems.push(format!("{}: findings differ from expected.txt:\n{text}", rule.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every rule ID a snapshot or a fixture's expectation names is in the one registry, and the
/// registry's IDs are unique: an ID printed anywhere is one herald can report and `herald rules` /
/// `herald lint --rules` (or the registry's other sections) describe.
#[test]
fn every_rule_id_in_snapshots_and_expectations_is_registered() {
    use herald_codegen::rules::{Rule, ALL};
    let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    let registered = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), registered, "a rule ID is registered twice");

    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let files = |dir: PathBuf| -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        out.sort();
        out
    };
    // (where, rule ID) for every mention.
    let mut mentions: Vec<(String, String)> = Vec::new();
    let mut after = |text: &str, marker: &str, end: char, at: &Path| {
        for (i, _) in text.match_indices(marker) {
            let rest = &text[i + marker.len()..];
            if let Some(id) = rest.split(end).next() {
                mentions.push((at.display().to_string(), id.to_owned()));
            }
        }
    };
    // herald-codegen's snapshots and the command line's (herald-cli), which report the same rules.
    let cli_snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/snapshots");
    for snap in files(tests.join("snapshots")).into_iter().chain(files(cli_snapshots)) {
        let text = String::from_utf8_lossy(&std::fs::read(&snap).expect("read snapshot")).into_owned();
        after(&text, "error[", ']', &snap);
        after(&text, "warning[", ']', &snap);
        after(&text, "\"rule\": \"", '"', &snap);
    }
    for dir in files(tests.join("fixtures/rules")).into_iter().filter(|p| p.is_dir()) {
        let path = dir.join("expected.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let id = line.split(' ').next().unwrap_or_default();
            mentions.push((path.display().to_string(), id.to_owned()));
        }
    }
    for dir in files(tests.join("fixtures/lint")).into_iter().filter(|p| p.is_dir()) {
        let path = dir.join("CASE.md");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // A case that expects one rule starts with `RULE_ID:`.
        if let Some((head, _)) = text.split_once(':') {
            if !head.is_empty() && head.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                mentions.push((path.display().to_string(), head.to_owned()));
            }
        }
    }
    let unregistered: Vec<String> = mentions
        .iter()
        .filter(|(_, id)| Rule::find(id).is_none())
        .map(|(at, id)| format!("{at}: `{id}` is not registered"))
        .collect();
    assert!(unregistered.is_empty(), "{}", unregistered.join("\n"));
    let mut distinct: Vec<&str> = mentions.iter().map(|(_, id)| id.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() >= 80,
        "only {} distinct rule IDs found: {distinct:?}",
        distinct.len()
    );
    for id in [
        "PROTO_ENUM_VALUES",
        "PROTO_FIELD_NUMBER",
        "TOPIC_NAME_INVALID",
        "CONFIG_BAD_VALUE",
    ] {
        assert!(distinct.contains(&id), "{id} not found in any snapshot");
    }
}
