//! Helpers the command line's integration tests share: running the `herald` binary, and
//! herald-codegen's test helpers (throwaway schema repos, herald's verdict on an Avro corpus case,
//! the `rule file:line` keys the buf comparisons use), included from its tests rather than copied.
// Each crate's tests use some of these helpers, not all.
#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::process::Command;

#[path = "../../../../codegen/tests/it/common/mod.rs"]
mod library;
pub use library::*;

/// herald-codegen's directory, whose test fixtures these tests run on.
pub fn codegen_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds the crate")
        .join("codegen")
}

/// Exit code, stdout and stderr of the `herald` binary run with `args`.
pub fn herald(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .output()
        .expect("run herald");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Like [`herald`], run in the directory `cwd`.
pub fn herald_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run herald");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit code of `herald <args>`, and a transcript of the run for snapshots: `exit <code>`, then
/// stdout and stderr under `--- stdout` and `--- stderr`.
pub fn transcript(args: &[&str]) -> (i32, String) {
    let (code, out, err) = herald(args);
    (code, format!("exit {code}\n--- stdout\n{out}--- stderr\n{err}"))
}
