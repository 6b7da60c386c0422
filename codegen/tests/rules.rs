//! One fixture folder per compatibility rule (`tests/fixtures/rules/<RULE_ID>/{old,new}`, written
//! by its `generate.py`): every rule `herald rules` lists has a folder, the folder's change makes
//! herald report that rule, and the full findings equal the folder's `expected.txt` (rewrite them
//! after review with `HERALD_UPDATE_RULES=1 cargo test -p herald-codegen --test rules`).

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
