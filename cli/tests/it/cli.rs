//! The command line as a terminal or a pipeline meets it: closed pipes, colour, finding
//! herald.toml from a subdirectory.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common;

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codegen/tests/fixtures")
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
    for args in [
        vec!["rules"],
        vec!["lint", "--rules"],
        vec!["check", "--help"],
        vec!["completions", "bash"],
    ] {
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

#[test]
fn herald_toml_is_found_upward_from_the_current_directory() {
    // top/.git bounds the walk; top/schemas is the example repo.
    let top = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(top.path().join(".git")).expect("mkdir");
    let repo = top.path().join("schemas");
    std::fs::create_dir_all(&repo).expect("mkdir");
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"), &repo);
    let sub = repo.join("user/v1");
    std::fs::write(sub.join("bad.proto"), "syntax = \"proto3\";\nmessage {\n").expect("write");

    // `cd user/v1 && herald lint` lints the whole repo, paths shown from where it runs.
    let (code, _, stderr) = common::herald_in(&sub, &["lint"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--> bad.proto:2:"), "{stderr}");
    let (_, stdout, _) = common::herald_in(&sub, &["topics", "list"]);
    assert!(
        stdout.contains("user-service"),
        "the repo's herald.toml was read: {stdout}"
    );
    std::fs::remove_file(sub.join("bad.proto")).expect("rm");
    let (code, _, stderr) = common::herald_in(&sub, &["lint"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("herald lint: ../.. is clean"), "{stderr}");
    // check finds the repo's lock as its default baseline.
    let (code, _, stderr) = common::herald_in(&sub, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    // Above the repo (up to the top of the git work tree) there is no herald.toml: `.` is linted.
    let other = top.path().join("other");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::write(other.join("x.proto"), "syntax = \"proto3\";\nmessage {\n").expect("write");
    let (code, _, stderr) = common::herald_in(&other, &["lint"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--> x.proto:2:"), "{stderr}");
    // A herald.toml above the top of the work tree is not picked up.
    let outer = tempfile::tempdir().expect("tempdir");
    std::fs::write(outer.path().join("herald.toml"), "[repo]\nname = \"outer\"\n").expect("write");
    let inner = outer.path().join("work");
    std::fs::create_dir_all(inner.join(".git")).expect("mkdir");
    let (code, _, stderr) = common::herald_in(&inner, &["topics", "list"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no herald.toml in `.`"), "{stderr}");
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn colour_on_request_and_on_a_terminal_never_in_a_pipe() {
    let case = fixture("lint/proto_syntax_error");
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
        cmd.args(args).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().expect("run herald");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let plain = run(&["lint", &case], false);
    assert!(
        plain.contains("error[PROTO_SYNTAX]") && !plain.contains('\u{1b}'),
        "{plain}"
    );
    assert_eq!(run(&["lint", &case, "--color", "never"], false), plain);
    assert_eq!(run(&["lint", &case, "--color", "auto"], true), plain);
    let coloured = run(&["--color", "always", "lint", &case], true);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    // Colour adds escapes and nothing else.
    assert_eq!(strip_ansi(&coloured), plain);
    // check's report too.
    let new = fixture("check/proto_field_renamed/new");
    let old = fixture("check/proto_field_renamed/old");
    let plain = run(&["check", &new, "--against", &old], false);
    let coloured = run(&["check", &new, "--against", &old, "--color=always"], false);
    assert!(coloured.contains("\u{1b}[") && !plain.contains('\u{1b}'));
    assert_eq!(strip_ansi(&coloured), plain);
}

/// On a terminal (a pseudo-terminal from util-linux `script`), `auto` colours unless NO_COLOR.
#[cfg(target_os = "linux")]
#[test]
fn auto_colours_a_terminal_unless_no_color() {
    let case = fixture("lint/proto_syntax_error");
    let on_tty = |no_color: bool| {
        let mut cmd = Command::new("script");
        cmd.args([
            "-qec",
            &format!("{} lint {case}", env!("CARGO_BIN_EXE_herald")),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().expect("run script (util-linux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains("\u{1b}[") && coloured.contains("PROTO_SYNTAX"),
        "{coloured}"
    );
    let plain = on_tty(true);
    assert!(plain.contains("PROTO_SYNTAX") && !plain.contains('\u{1b}'), "{plain}");
}

#[test]
fn unknown_sources_and_events_get_a_did_you_mean() {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .display()
        .to_string();
    let out = tempfile::tempdir().expect("tempdir");
    let out = out.path().join("events.rs").display().to_string();
    let (code, _, stderr) = common::herald(&["generate", &schemas, "--out", &out, "--produce", "user-servce"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("did you mean `user-service`?"), "{stderr}");
    let (code, _, stderr) = common::herald(&[
        "generate",
        &schemas,
        "--out",
        &out,
        "--consume",
        "user-service=UserUpdatd",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("did you mean `UserUpdated`?"), "{stderr}");
}
