//! `herald lint` on the command line: exit codes and formats as CI scripts see them, over
//! herald-codegen's lint fixtures (`codegen/tests/fixtures/lint/<case>`).

use std::path::{Path, PathBuf};

use herald_codegen::lint;

mod common;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/fixtures/lint")
}

/// The binary: exit codes and formats as CI scripts see them.
mod cli {
    use super::*;
    use crate::common::herald;

    fn case(name: &str) -> String {
        fixtures().join(name).display().to_string()
    }

    #[test]
    fn exit_codes() {
        assert_eq!(herald(&["lint", &case("clean_proto")]).0, 0);
        assert_eq!(herald(&["lint", &case("style_field_name")]).0, 1);
        assert_eq!(herald(&["lint", &case("toml_not_toml")]).0, 2);
        assert_eq!(herald(&["lint", "/nonexistent/dir"]).0, 2);
        assert_eq!(herald(&["lint", "--format", "yaml", &case("clean_proto")]).0, 2);
    }

    #[test]
    fn json_format_is_one_object_on_stdout() {
        let (code, stdout, _) = herald(&["lint", "--format", "json", &case("style_field_name")]);
        assert_eq!(code, 1);
        let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
        assert_eq!(value["diagnostics"][0]["rule"], "FIELD_LOWER_SNAKE_CASE");
        assert_eq!(value["diagnostics"][0]["line"], 6);
        assert_eq!(value["diagnostics"][0]["column"], 10);
    }

    #[test]
    fn rules_table_lists_every_rule() {
        let (code, stdout, _) = herald(&["lint", "--rules"]);
        assert_eq!(code, 0);
        for rule in lint::RULES {
            assert!(stdout.contains(rule.id), "{} missing", rule.id);
        }
    }
}
