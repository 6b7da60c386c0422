//! herald's proto rules against buf's own verdicts: the 56 cases of buf's breaking-change suite
//! vendored in `codegen/tests/data/buf-breaking` (with buf's LICENSE; see its README). For each case
//! herald runs the rules
//! the case's `buf.yaml` names and compares (file, line, rule) with `expected.jsonl`, then runs
//! `herald check` with only those rules (the others through `--except`) and compares its verdict
//! with buf's: every finding an error, exit code 1 exactly when buf exits 100.
//!
//! Every difference must be listed in `codegen/tests/buf_conformance_differences.txt` (and explained in
//! ARCHITECTURE.md); the test fails on any difference not listed and on any listed one that no
//! longer occurs, so the list stays exact. Regenerate it after a deliberate change with
//! `HERALD_UPDATE_DIFFERENCES=1 cargo test -p herald-cli --test it buf_conformance`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use herald_codegen::compat::{self, Category};

use crate::common;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/data/buf-breaking")
}

/// Rule IDs a case's buf.yaml enables (`use:` entries, categories expanded).
fn enabled_rules(case: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(case.join("current/buf.yaml")).unwrap_or_default();
    let mut in_use = false;
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("use:") {
            in_use = true;
            continue;
        }
        if in_use {
            match trimmed.strip_prefix("- ") {
                Some(item) => match Category::parse(item) {
                    Some(c) => ids.extend(compat::rules_in(&[c]).into_iter().map(str::to_owned)),
                    None => match compat::DEPRECATED.iter().find(|(old, _)| *old == item) {
                        Some((_, replacements)) => ids.extend(replacements.iter().map(|r| r.id.to_owned())),
                        None => {
                            ids.insert(item.to_owned());
                        }
                    },
                },
                None if trimmed.is_empty() => {}
                None => in_use = false,
            }
        }
    }
    if ids.is_empty() {
        // No `use`: buf's default categories (FILE, which includes the others).
        ids.extend(compat::rules_in(&[Category::File]).into_iter().map(str::to_owned));
    }
    ids
}

fn expected(case: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(case.join("expected.jsonl")).unwrap_or_default();
    common::buf_keys(&text, 0)
}

fn actual(case: &Path) -> BTreeSet<String> {
    let rules = enabled_rules(case);
    let (Ok(old), Ok(new)) = (
        herald_codegen::load::load(&case.join("previous")),
        herald_codegen::load::load(&case.join("current")),
    ) else {
        return BTreeSet::new();
    };
    let findings = compat::proto::check(&old.set, &new.set, &|id| rules.contains(id));
    findings
        .iter()
        .map(|f| common::finding_key(f, &new.set.sources_map))
        .collect()
}

/// What `herald check current --against previous` answers with exactly the case's rules enabled
/// (every other proto rule passed to `--except`): its exit code and the severity of each finding.
fn verdict(case: &Path) -> (i32, Vec<(String, String)>) {
    let rules = enabled_rules(case);
    let mut args: Vec<String> = vec![
        "check".into(),
        case.join("current").display().to_string(),
        "--against".into(),
        case.join("previous").display().to_string(),
        "--categories".into(),
        "FILE,PACKAGE,WIRE_JSON,WIRE".into(),
        "--format".into(),
        "json".into(),
    ];
    for r in compat::RULES.iter().filter(|r| !rules.contains(r.id)) {
        args.push("--except".into());
        args.push(r.id.into());
    }
    let (code, stdout, _) = common::herald(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    let findings = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        format!(
                            "{} {}:{}",
                            f["rule"].as_str().unwrap_or_default(),
                            f["file"].as_str().unwrap_or("-"),
                            f["line"].as_u64().unwrap_or(1)
                        ),
                        f["severity"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (code, findings)
}

#[test]
fn agrees_with_buf_except_for_listed_differences() {
    let root = suite();
    assert!(root.is_dir(), "conformance suite missing at {}", root.display());
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("suite")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.jsonl").is_file())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 56);
    let mut differences = Vec::new();
    let (mut matched, mut total) = (0usize, 0usize);
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let want = expected(case);
        let got = actual(case);
        total += want.len();
        matched += want.intersection(&got).count();
        for missing in want.difference(&got) {
            differences.push(format!("{name} - {missing}"));
        }
        for extra in got.difference(&want) {
            differences.push(format!("{name} + {extra}"));
        }
        // buf reports every finding as an error and exits 100 when there is one; herald must
        // fail (exit 1) exactly then, every finding an error.
        let (code, findings) = verdict(case);
        let buf_exit = if want.is_empty() { 0 } else { 100 };
        let herald_should = if want.is_empty() { 0 } else { 1 };
        if code != herald_should {
            differences.push(format!("{name} exit: buf {buf_exit}, herald {code}"));
        }
        for (key, severity) in findings.iter().filter(|(_, s)| s != "error") {
            differences.push(format!("{name} severity: {key} {severity}, buf error"));
        }
    }
    let listed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/buf_conformance_differences.txt");
    let body = differences.join("\n");
    if std::env::var_os("HERALD_UPDATE_DIFFERENCES").is_some() {
        let header = format!(
            "# herald vs buf 1.75.0 on buf's breaking suite: {matched} of {total} expected findings matched.\n# `-` buf reports it and herald does not; `+` herald reports it and buf does not. Reasons: ARCHITECTURE.md.\n"
        );
        std::fs::write(&listed_path, format!("{header}{body}\n")).expect("write differences");
    }
    let listed = std::fs::read_to_string(&listed_path).unwrap_or_default();
    let listed: Vec<&str> = listed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let now: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();
    let new_diffs: Vec<&&str> = now.iter().filter(|d| !listed.contains(d)).collect();
    let fixed: Vec<&&str> = listed.iter().filter(|d| !now.contains(d)).collect();
    println!("matched {matched} of {total} expected findings");
    assert!(
        new_diffs.is_empty() && fixed.is_empty(),
        "unlisted differences: {new_diffs:#?}\nlisted but gone: {fixed:#?}"
    );
}
