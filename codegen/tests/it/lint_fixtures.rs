//! Every lint fixture (a small schema repo under `tests/fixtures/lint/<case>`) against its
//! snapshot of the human and JSON output. Review changes with `cargo insta review`, or accept
//! them with `INSTA_UPDATE=always cargo test -p herald-codegen --test it lint_fixtures`.

use std::path::{Path, PathBuf};

use herald_codegen::{lint, render};

use crate::common;

fn render(dir: &Path) -> String {
    let report = lint::lint(dir);
    format!(
        "exit code: {}\n\n{}\n{}\n",
        report.exit_code(),
        render::human(&report.diagnostics, &report.sources),
        render::json(&report.diagnostics, &report.sources)
    )
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

#[test]
fn lint_fixtures() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 40,
        "expected the fixture corpus, found {} cases",
        cases.len()
    );
    let _snapshots = common::snapshots().bind_to_scope();
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("lint", render(&case));
        });
    }
}

#[test]
fn example_schema_repo_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let report = lint::lint(&root);
    assert!(
        report.diagnostics.is_empty(),
        "{}",
        render::human(&report.diagnostics, &report.sources)
    );
    let set = herald_codegen::load::load(&root).expect("loads").set;
    let names: Vec<&str> = set.events.iter().map(|e| e.name.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("UserUpdated")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("BankError")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("DeleteAccount")), "{names:?}");
}

/// Inputs too big or too odd to keep in the repo are generated here.
mod generated {
    use super::*;

    fn repo(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, body) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, body).expect("write");
        }
        dir
    }

    #[test]
    fn deeply_nested_proto_is_refused_with_a_location() {
        let _snapshots = common::snapshots().bind_to_scope();
        let mut text = String::from("syntax = \"proto3\";\n");
        for i in 0..1000 {
            text.push_str(&format!("message M{i} {{\n"));
        }
        text.push_str(&"}\n".repeat(1000));
        let dir = repo(&[("deep.proto", text.into_bytes())]);
        insta::assert_snapshot!(
            "lint_fixtures__generated__deeply_nested_proto_is_refused_with_a_location",
            render(dir.path())
        );
    }

    #[test]
    fn deeply_nested_avro_is_refused_with_a_location() {
        let _snapshots = common::snapshots().bind_to_scope();
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&format!(
                "{{\"type\": \"record\", \"name\": \"R{i}\", \"fields\": [{{\"name\": \"f\", \"type\": "
            ));
        }
        text.push_str("\"int\"");
        text.push_str(&"}]}".repeat(1000));
        let dir = repo(&[("deep.avsc", text.into_bytes())]);
        insta::assert_snapshot!(
            "lint_fixtures__generated__deeply_nested_avro_is_refused_with_a_location",
            render(dir.path())
        );
    }

    /// apache-avro's parser recurses per named reference; herald must not overflow on a long chain,
    /// even on a small thread stack.
    #[test]
    fn long_chain_of_named_avro_references_does_not_overflow() {
        let mut records = Vec::new();
        for i in 0..2000 {
            let next = if i + 1 < 2000 {
                format!("\"R{}\"", i + 1)
            } else {
                "\"long\"".to_owned()
            };
            records.push(format!(
                "{{\"type\": \"record\", \"name\": \"R{i}\", \"namespace\": \"c\", \"fields\": [{{\"name\": \"next\", \"type\": [\"null\", {next}], \"default\": null}}]}}"
            ));
        }
        records.reverse();
        let dir = repo(&[("chain.avsc", format!("[{}]", records.join(",\n")).into_bytes())]);
        let path = dir.path().to_path_buf();
        let report = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || lint::lint(&path))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(report.exit_code(), 0, "{:?}", report.diagnostics.first());
    }

    #[test]
    fn ten_megabyte_file_is_read_and_located() {
        let _snapshots = common::snapshots().bind_to_scope();
        let mut text = String::from("syntax = \"proto3\";\npackage big.v1;\n");
        let mut i = 0;
        while text.len() < 10 * 1024 * 1024 {
            text.push_str(&format!("// Message number {i}.\nmessage Big{i} {{\n"));
            for f in 1..=40 {
                text.push_str(&format!("  // Field {f} of message {i}.\n  string field_{f} = {f};\n"));
            }
            text.push_str("}\n");
            i += 1;
        }
        // One problem at the very end: its line number proves the whole file was read.
        text.push_str("message Last {\n  string badName = 1;\n}\n");
        let dir = repo(&[("big.proto", text.into_bytes())]);
        insta::assert_snapshot!(
            "lint_fixtures__generated__ten_megabyte_file_is_read_and_located",
            render(dir.path())
        );
    }

    #[test]
    fn too_many_definitions_in_one_file_is_refused_with_a_location() {
        let _snapshots = common::snapshots().bind_to_scope();
        let mut text = String::from("syntax = \"proto3\";\npackage many.v1;\n");
        for i in 0..10_050 {
            text.push_str(&format!("message M{i} {{}}\n"));
        }
        let dir = repo(&[("many.proto", text.into_bytes())]);
        insta::assert_snapshot!(
            "lint_fixtures__generated__too_many_definitions_in_one_file_is_refused_with_a_location",
            render(dir.path())
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_reported_not_followed() {
        let _snapshots = common::snapshots().bind_to_scope();
        let dir = repo(&[(
            "a/ok.proto",
            b"syntax = \"proto3\";\npackage a;\nmessage Ok {}\n".to_vec(),
        )]);
        std::os::unix::fs::symlink("..", dir.path().join("a/loop")).expect("symlink");
        insta::assert_snapshot!(
            "lint_fixtures__generated__symlink_loop_is_reported_not_followed",
            render(dir.path())
        );
    }

    #[test]
    fn missing_directory_is_unusable_input() {
        let report = lint::lint(Path::new("/nonexistent/herald/repo"));
        assert_eq!(report.exit_code(), 2);
        assert_eq!(report.diagnostics[0].rule, "INPUT_MISSING");
    }
}
