//! herald's Avro verdicts against the Apache Avro reference checker (PyPI `avro`,
//! `avro.compatibility`) on the corpus in `codegen/tests/fixtures/compat/avro`, both the checker's on the
//! two top-level schemas and `herald check reader.avsc --against writer.avsc --mode BACKWARD`
//! (renamed records included: two single files are paired whatever their records are called, and
//! judged by name and alias as the reference does): herald must agree on every
//! case except where herald deliberately follows the specification (`decimal_*` cases, see
//! `compat/avro.rs`). `cargo xtask ci` installs the reference into `target/peers/avro-venv` and
//! points `HERALD_AVRO_PYTHON` at it; without it this test fails (it never passes by skipping).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/fixtures/compat/avro")
}

fn herald_verdict(case: &Path) -> &'static str {
    if common::avro_compatible(case) {
        "compatible"
    } else {
        "incompatible"
    }
}

/// The verdict of `herald check reader.avsc --against writer.avsc --mode BACKWARD` (new readers,
/// old data: the reader is the new side), as a user runs it on two files: the two files' schemas
/// are paired whatever they are named.
fn herald_check_verdict(case: &Path) -> String {
    let (reader, writer) = (case.join("reader.avsc"), case.join("writer.avsc"));
    let (reader, writer) = (reader.display().to_string(), writer.display().to_string());
    let (code, _, stderr) = common::herald(&["check", &reader, "--against", &writer, "--mode", "BACKWARD"]);
    match code {
        0 => "compatible".to_owned(),
        1 => "incompatible".to_owned(),
        _ => format!("refused (exit {code}): {}", stderr.lines().next().unwrap_or_default()),
    }
}

#[test]
fn agrees_with_the_apache_avro_reference() {
    let python = std::env::var("HERALD_AVRO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = std::process::Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/avro_reference.py"))
        .arg(corpus())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python}: {e}; install it with `cargo xtask peers` and set HERALD_AVRO_PYTHON as it says"
            )
        });
    assert!(
        out.status.success(),
        "the Avro reference checker did not run ({}); install it with `cargo xtask peers` and set HERALD_AVRO_PYTHON as it says:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_owned(), b.trim().to_owned())))
        .collect();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.txt").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 80, "corpus has {} cases", cases.len());
    assert_eq!(reference.len(), cases.len(), "the reference must answer for every case");
    let mut disagreements = Vec::new();
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let theirs = reference.get(&name).map(String::as_str).unwrap_or("missing");
        let deliberate = name.starts_with("decimal_");
        // The checker on the two top-level schemas, and the command line on the two files.
        let check = herald_check_verdict(case);
        for (how, ours) in [("herald", herald_verdict(case)), ("herald check", check.as_str())] {
            match (ours == theirs, deliberate) {
                (true, false) => {}
                (false, true) => {}
                (true, true) => disagreements.push(format!(
                    "{name}: listed as a deliberate difference but {how} agrees ({ours})"
                )),
                (false, false) => disagreements.push(format!("{name}: {how} {ours}, reference {theirs}")),
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
