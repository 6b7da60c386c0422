//! The command line as a terminal or a pipeline meets it: closed pipes, colour, finding
//! herald.toml from a subdirectory.

use std::path::Path;
use std::process::{Command, Stdio};

mod common;

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

/// Runs herald with the given stream already closed by its reader, as `herald ... | head` ends.
fn with_closed(args: &[&str], stderr_closed: bool) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.args(args).stdin(Stdio::null());
    if stderr_closed {
        cmd.stderr(writer).stdout(Stdio::piped());
    } else {
        cmd.stdout(writer).stderr(Stdio::piped());
    }
    cmd.output().expect("run herald")
}

#[test]
fn a_closed_pipe_ends_herald_quietly() {
    for args in [vec!["rules"], vec!["lint", "--rules"], vec!["check", "--help"]] {
        let out = with_closed(&args, false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
    // The human reports go to stderr (`herald lint 2>&1 | head`).
    let out = with_closed(&["lint", &fixture("lint/proto_syntax_error")], true);
    assert_eq!(out.status.code(), Some(1));
    let new = fixture("check/proto_field_renamed/new");
    let old = fixture("check/proto_field_renamed/old");
    // The verdict is still the exit code.
    let out = with_closed(&["check", &new, "--against", &old, "--format", "sarif"], false);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = with_closed(&["check", &new, "--against", &old], true);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
}
