//! herald's `.proto` formatter against buf's own formatter test suite (`tests/data/buf-format`,
//! 56 cases with buf's expected output, see its README): each `X.proto` must format to `X.golden`
//! byte for byte, and each golden must format to itself (idempotence, as buf's own test checks).
//! Cases herald does not match yet are listed in [`KNOWN_DIFFERENCES`] with the reason; a listed
//! case that starts matching fails the test too, so the list only shrinks.

use std::path::{Path, PathBuf};

use herald_codegen::fmt::proto::format;

/// (case, reason): the cases, by path under `cases/` without extension, not matched yet.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/buf-format/cases")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header("expected (buf)", "actual (herald)")
        .to_string()
}

/// The failure of formatting `input` to `expected`, if any.
fn check(input: &str, expected: &str) -> Option<String> {
    match format(input) {
        Ok(actual) if actual == expected => None,
        Ok(actual) => Some(diff(expected, &actual)),
        Err(e) => Some(format!("syntax error at {}: {}\n", e.offset, e.message)),
    }
}

#[test]
fn formats_like_buf_on_bufs_own_suite() {
    let root = cases_dir();
    let mut protos = Vec::new();
    collect(&root, &mut protos);
    assert_eq!(protos.len(), 56, "the suite has 56 cases");
    let mut failures = Vec::new();
    let mut passed = 0;
    for proto in &protos {
        let name = proto
            .strip_prefix(&root)
            .unwrap_or(proto)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        let input = std::fs::read_to_string(proto).unwrap_or_else(|e| panic!("{name}: {e}"));
        let golden_path = proto.with_extension("golden");
        let golden = std::fs::read_to_string(&golden_path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut problems = String::new();
        if let Some(d) = check(&input, &golden) {
            problems.push_str(&format!("--- {name}.proto does not format to its golden:\n{d}"));
        }
        if let Some(d) = check(&golden, &golden) {
            problems.push_str(&format!("--- {name}.golden does not format to itself:\n{d}"));
        }
        let known = KNOWN_DIFFERENCES.iter().find(|(case, _)| *case == name);
        match (problems.is_empty(), known) {
            (true, None) => passed += 1,
            (true, Some(_)) => failures.push(format!(
                "--- {name} now matches buf: remove it from KNOWN_DIFFERENCES\n"
            )),
            (false, Some(_)) => {}
            (false, None) => failures.push(problems),
        }
    }
    for (case, _) in KNOWN_DIFFERENCES {
        assert!(
            protos.iter().any(|p| p.with_extension("").ends_with(case)),
            "KNOWN_DIFFERENCES lists {case}, which is not a case"
        );
    }
    assert!(
        failures.is_empty(),
        "{passed}/{} cases match buf; {} failures:\n{}",
        protos.len(),
        failures.len(),
        failures.join("\n")
    );
}
