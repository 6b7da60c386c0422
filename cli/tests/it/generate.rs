//! `herald generate`, `herald init` and `herald completions` on the command line: no protoc
//! needed, the output directory created, a new repo that lints clean and generates.

use std::path::{Path, PathBuf};

use herald_codegen::render;
use herald_codegen::rust::{self, Selection};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate(root: &Path) -> (Option<String>, String) {
    let loaded = herald_codegen::load::load(root).expect("loads");
    let set = loaded.set;
    let (code, diags) = rust::generate(&set, &Selection::everything(&set));
    (code, render::human(&diags, &set.sources_map))
}

/// protoc is never needed: generation works with an empty PATH.
#[test]
fn generate_runs_without_protoc_on_path() {
    let out = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "generate",
            &manifest().join("../schemas").display().to_string(),
            "--out",
        ])
        .arg(out.path())
        .env("PATH", empty.path())
        .env_remove("PROTOC")
        .output()
        .expect("run herald");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let code = std::fs::read_to_string(out.path().join("herald_events.rs")).expect("written");
    assert!(code.contains("pub struct UserUpdated"));
}

fn run_herald(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .output()
        .expect("run herald");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `herald generate --out DIR/` creates a directory that does not exist (and a file's parents).
#[test]
fn generate_creates_the_output_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let schemas = manifest().join("../schemas").display().to_string();
    let dir = tmp.path().join("not/yet/there/");
    let (ok, _, err) = run_herald(&["generate", &schemas, "--out", &dir.display().to_string()]);
    assert!(ok, "{err}");
    assert!(dir.join("herald_events.rs").is_file(), "{err}");
    let file = tmp.path().join("other/events.rs");
    let (ok, _, err) = run_herald(&["generate", &schemas, "--out", &file.display().to_string()]);
    assert!(ok, "{err}");
    assert!(file.is_file(), "{err}");
}

/// `herald init` makes a repo that `herald lint` accepts as it is and that generates code, and
/// never overwrites.
#[test]
fn init_makes_a_repo_that_lints_clean_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("schemas");
    let dir_arg = dir.display().to_string();
    let (ok, _, err) = run_herald(&["init", &dir_arg]);
    assert!(ok, "{err}");
    assert!(err.contains("herald lint"), "says what to do next: {err}");
    let (ok, out, err) = run_herald(&["lint", &dir_arg]);
    assert!(ok, "herald lint on a new repo:\n{out}{err}");
    let (code, err) = generate(&dir);
    let code = code.unwrap_or_else(|| panic!("{err}"));
    assert!(
        code.contains("pub mod orders") && code.contains("pub mod payments"),
        "{code}"
    );
    assert!(code.contains("pub use super::super::proto::shop::orders::v1::OrderStatus;"));
    let before = std::fs::read_to_string(dir.join("herald.toml")).expect("written");
    std::fs::write(dir.join("herald.toml"), "# mine\n").expect("write");
    let (ok, _, err) = run_herald(&["init", &dir_arg]);
    assert!(!ok && err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("herald.toml")).expect("read"),
        "# mine\n"
    );
    assert!(before.contains("[sources.orders]"));
}

/// `herald completions bash` prints a completion script that knows the subcommands.
#[test]
fn completions_know_the_subcommands() {
    let (ok, out, err) = run_herald(&["completions", "bash"]);
    assert!(ok, "{err}");
    for sub in ["lint", "check", "generate", "init", "release"] {
        assert!(out.contains(sub), "{sub} missing from:\n{out}");
    }
    let (ok, _, _) = run_herald(&["completions", "no-such-shell"]);
    assert!(!ok);
}
