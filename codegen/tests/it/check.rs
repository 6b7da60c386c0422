//! `herald check`'s library side: each fixture under `tests/fixtures/check/<case>/{old,new}`
//! against its snapshot (JSON report), and inputs at scale. The command line's exit codes and
//! formats are herald-cli's `tests/it/check.rs`.

use std::path::{Path, PathBuf};

use herald_codegen::compat::check::{self, CheckOptions};

use crate::common;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check")
}

fn run(case: &Path) -> String {
    let old = herald_codegen::load::load(&case.join("old")).expect("old loads").set;
    let new = herald_codegen::load::load(&case.join("new")).expect("new loads").set;
    let findings = check::check(&old, &new, &CheckOptions::default());
    let report = check::json_report(&findings, &new.sources_map, &old.sources_map);
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

#[test]
fn check_fixtures() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15);
    let _snapshots = common::snapshots().bind_to_scope();
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        insta::with_settings!({ snapshot_suffix => name, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("check", run(&case));
        });
    }
}

mod bad_input {
    use super::*;
    use herald_codegen::compat::Category;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn findings(old: &Path, new: &Path, categories: Vec<Category>) -> Vec<&'static str> {
        let old = herald_codegen::load::load(old).expect("old").set;
        let new = herald_codegen::load::load(new).expect("new").set;
        let options = CheckOptions {
            mode: None,
            categories,
            ..CheckOptions::default()
        };
        check::check(&old, &new, &options)
            .iter()
            .map(|f| f.finding.rule.id)
            .collect()
    }

    #[test]
    fn ten_thousand_files() {
        let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        for i in 0..10_000 {
            let text = format!("syntax = \"proto3\";\npackage p{i};\nmessage M{i} {{ string id = 1; }}\n");
            write(old.path(), &format!("d{}/f{i}.proto", i % 100), &text);
            write(new.path(), &format!("d{}/f{i}.proto", i % 100), &text);
        }
        // One real change among them.
        write(
            new.path(),
            "d7/f7.proto",
            "syntax = \"proto3\";\npackage p7;\nmessage M7 { int64 id = 1; }\n",
        );
        assert_eq!(
            findings(old.path(), new.path(), vec![Category::WireJson]),
            ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"]
        );
    }

    /// A map's value type changing is the entry message's field changing, as buf reports it: at
    /// the map field; a key or value type that stays is no finding.
    #[test]
    fn a_map_value_type_change_is_found_at_the_map_field() {
        let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let text = |value: &str| {
            format!("syntax = \"proto3\";\npackage a.v1;\nmessage M {{\n  map<string, {value}> attrs = 1;\n  map<int32, string> same = 2;\n}}\n")
        };
        write(old.path(), "m.proto", &text("string"));
        write(new.path(), "m.proto", &text("int64"));
        assert_eq!(
            findings(old.path(), new.path(), vec![Category::WireJson]),
            ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"]
        );
        assert_eq!(
            findings(old.path(), new.path(), vec![Category::Wire]),
            ["FIELD_WIRE_COMPATIBLE_TYPE"]
        );
        write(new.path(), "m.proto", &text("string"));
        assert!(findings(old.path(), new.path(), vec![Category::WireJson]).is_empty());
    }

    #[test]
    fn renaming_every_file_breaks_only_the_file_category() {
        let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        for i in 0..20 {
            let text = format!("syntax = \"proto3\";\npackage p;\nmessage M{i} {{ string id = 1; }}\n");
            write(old.path(), &format!("a{i}.proto"), &text);
            write(new.path(), &format!("renamed/b{i}.proto"), &text);
        }
        assert!(findings(old.path(), new.path(), vec![Category::WireJson]).is_empty());
        let file = findings(old.path(), new.path(), vec![Category::File]);
        assert_eq!(file.iter().filter(|r| **r == "FILE_NO_DELETE").count(), 20);
    }

    #[test]
    fn one_event_changing_format_is_a_finding() {
        let (old, new) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let toml = "[repo]\nname = \"x\"\n\n[sources.svc]\nschemas = [\"*.proto\", \"*.avsc\"]\n";
        write(old.path(), "herald.toml", toml);
        write(new.path(), "herald.toml", toml);
        write(
            old.path(),
            "e.proto",
            "syntax = \"proto3\";\npackage x;\nimport \"herald/options.proto\";\nmessage Happened {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\", name: \"x.Happened\" };\n  string id = 1;\n}\n",
        );
        write(
            new.path(),
            "e.avsc",
            "{\"type\": \"record\", \"name\": \"Happened\", \"namespace\": \"x\", \"herald\": {\"version\": \"1.1\", \"kind\": \"event\", \"partitionKey\": \"id\"}, \"fields\": [{\"name\": \"id\", \"type\": \"string\"}]}",
        );
        let rules = findings(old.path(), new.path(), vec![Category::WireJson]);
        assert!(rules.contains(&"EVENT_FORMAT_CHANGED"), "{rules:?}");
    }
}
