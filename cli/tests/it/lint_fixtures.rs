//! `herald lint` on the command line: exit codes and formats as CI scripts see them, over
//! herald-codegen's lint fixtures (`codegen/tests/fixtures/lint/<case>`).

use std::path::{Path, PathBuf};

use herald_codegen::lint;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/fixtures/lint")
}

/// The binary: exit codes and formats as CI scripts see them.
mod cli {
    use super::*;
    use crate::common::{self, herald};

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

    /// `herald lint --format FORMAT` on a fixture with errors and a warning, run in herald-codegen's
    /// directory so that file names are relative to it: exit code and stdout.
    fn lint_as(format: &str) -> (i32, String) {
        let (code, stdout, _) = crate::common::herald_in(
            &crate::common::codegen_dir(),
            &["lint", "tests/fixtures/lint/did_you_mean_avro", "--format", format],
        );
        (code, stdout)
    }

    /// The same shapes as `herald check --format github|sarif|junit`, from the shared renderers.
    #[test]
    fn machine_formats_match_checks_shapes() {
        let _snapshots = common::snapshots().bind_to_scope();
        let (code, github) = lint_as("github");
        assert_eq!(code, 1);
        insta::assert_snapshot!("lint_fixtures__cli__lint_github", github);
        let (code, junit) = lint_as("junit");
        assert_eq!(code, 1);
        insta::assert_snapshot!("lint_fixtures__cli__lint_junit", junit);
        let (code, sarif) = lint_as("sarif");
        assert_eq!(code, 1);
        // The base URI is the directory the test ran in; show it as a placeholder.
        let dir = crate::common::codegen_dir();
        let cwd = std::fs::canonicalize(&dir)
            .unwrap_or(dir)
            .display()
            .to_string()
            .replace('\\', "/");
        let sarif = sarif.replace(&format!("file://{cwd}/"), "file://[CODEGEN]/");
        insta::assert_snapshot!("lint_fixtures__cli__lint_sarif", sarif);
    }

    #[test]
    fn sarif_is_valid_json_with_relative_locations() {
        let (_, stdout) = lint_as("sarif");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("sarif json");
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "herald");
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        assert!(
            ids.contains(&"AVRO_TYPE_UNRESOLVED") && ids.contains(&"CONFIG_BAD_VALUE"),
            "{ids:?}"
        );
        assert!(run["originalUriBaseIds"]["SRCROOT"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("file://")));
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 6);
        for r in results {
            let id = r["ruleId"].as_str().expect("ruleId");
            assert!(ids.contains(&id), "{id} is not among the driver's rules");
            let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            let uri = artifact["uri"].as_str().expect("uri");
            assert!(uri.starts_with("tests/fixtures/lint/did_you_mean_avro/"), "{uri}");
            assert_eq!(artifact["uriBaseId"], "SRCROOT");
        }
        assert!(results.iter().any(|r| r["level"] == "warning"));
        assert!(results.iter().any(|r| r["level"] == "error"));
    }

    #[test]
    fn machine_formats_of_a_clean_repo() {
        let (code, stdout, _) = herald(&["lint", "--format", "github", &case("clean_proto")]);
        assert_eq!((code, stdout.as_str()), (0, ""));
        let (code, stdout, _) = herald(&["lint", "--format", "junit", &case("clean_proto")]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("<testcase classname=\"herald.lint\" name=\"no problems\"/>"),
            "{stdout}"
        );
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
