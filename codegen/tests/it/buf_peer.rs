//! herald's proto verdicts against `buf breaking` itself (npm `@bufbuild/buf`, run live): the
//! pair corpus in `tests/fixtures/compat/proto` (written by its `generate.py`), WIRE_JSON
//! category, compared by (rule, file, line). `cargo xtask ci` installs buf into
//! `target/peers` and points `HERALD_BUF` at it; without buf this test fails, never skips.
//! Differences must be listed in `tests/buf_peer_differences.txt` (regenerate with
//! `HERALD_UPDATE_DIFFERENCES=1`), and are explained in ARCHITECTURE.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use herald_codegen::compat::{self, Category};

use crate::common;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat/proto")
}

fn buf_findings(buf: &str, case: &Path) -> BTreeSet<String> {
    let out = std::process::Command::new(buf)
        .args(["breaking", ".", "--against", "../old", "--error-format", "json"])
        .current_dir(case.join("new"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run buf ({buf}): {e}; install it with `cargo xtask peers` and set HERALD_BUF as it says")
        });
    common::buf_keys(&String::from_utf8_lossy(&out.stdout), 1)
}

fn herald_findings(case: &Path, rules: &[&str]) -> BTreeSet<String> {
    let old = herald_codegen::load::load(&case.join("old")).expect("old").set;
    let new = herald_codegen::load::load(&case.join("new")).expect("new").set;
    compat::proto::check(&old, &new, &|id| rules.contains(&id))
        .iter()
        .map(|f| common::finding_key(f, &new.sources_map))
        .collect()
}

#[test]
fn agrees_with_buf_breaking_run_live() {
    let buf = std::env::var("HERALD_BUF").unwrap_or_else(|_| "buf".to_owned());
    let version = std::process::Command::new(&buf).arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "buf is not available ({buf}); install it with `cargo xtask peers` and set HERALD_BUF as it says"
    );
    let mut cases: Vec<(PathBuf, Vec<&str>)> = std::fs::read_dir(corpus())
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("old").is_dir())
        .map(|p| (p, compat::rules_in(&[Category::WireJson])))
        .collect();
    assert!(cases.len() >= 60, "{} pairs", cases.len());
    // And every proto rule's own fixture folder, with just that rule (its buf.yaml says the same).
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    for rule in compat::RULES {
        let dir = rules_dir.join(rule.id);
        if dir.join("new/buf.yaml").is_file() {
            cases.push((dir, vec![rule.id]));
        }
    }
    cases.sort();
    let (mut agreed, mut differences) = (0, Vec::new());
    for (case, rules) in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (theirs, ours) = (buf_findings(&buf, case), herald_findings(case, rules));
        if theirs == ours {
            agreed += 1;
        }
        differences.extend(theirs.difference(&ours).map(|d| format!("{name} - {d}")));
        differences.extend(ours.difference(&theirs).map(|d| format!("{name} + {d}")));
    }
    let listed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/buf_peer_differences.txt");
    if std::env::var_os("HERALD_UPDATE_DIFFERENCES").is_some() {
        let header = format!(
            "# herald vs buf (live) on tests/fixtures/compat/proto (WIRE_JSON) and each proto rule's folder in\n# tests/fixtures/rules (that rule alone): {agreed} of {} pairs identical.\n# `-` buf only, `+` herald only. Reasons: ARCHITECTURE.md.\n",
            cases.len()
        );
        std::fs::write(&listed_path, format!("{header}{}\n", differences.join("\n"))).expect("write");
    }
    let listed = std::fs::read_to_string(&listed_path).unwrap_or_default();
    let listed: BTreeSet<&str> = listed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let now: BTreeSet<&str> = differences.iter().map(String::as_str).collect();
    println!("{agreed} of {} pairs identical", cases.len());
    assert_eq!(
        now, listed,
        "differences changed: update the list and ARCHITECTURE.md, or fix herald"
    );
}
