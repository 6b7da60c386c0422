//! Live compatibility against a git revision: `[lsp] baseline` in herald.toml or the client's
//! initialization options, read once per revision.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::harness::{find, path_of, repo, Client};

const PROTO: &str = "syntax = \"proto3\";\npackage p;\nmessage A {\n  string id = 1;\n}\n";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repo with one commit on `main` holding `toml` and a.proto.
fn git_repo(toml: &str) -> tempfile::TempDir {
    let dir = repo(&[("herald.toml", toml), ("a.proto", PROTO)]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}

const TOML: &str = "[repo]\nname = \"t\"\n\n[sources.s]\nschemas = [\"**/*.proto\"]\n";

fn against<'a>(diags: &'a [lsp_types::Diagnostic], rev: &str) -> Vec<&'a lsp_types::Diagnostic> {
    diags
        .iter()
        .filter(|d| d.message.contains(&format!("(against {rev})")))
        .collect()
}

/// Changes `string id` to `int64 id` in a.proto's buffer and returns the diagnostics.
fn break_it(client: &mut Client, dir: &Path, version: i32) -> (String, Vec<lsp_types::Diagnostic>) {
    let path = path_of(dir, "a.proto");
    let uri = if version == 2 {
        client.open(&path, PROTO)
    } else {
        crate::harness::uri(&path)
    };
    let (line, col) = find(PROTO, "string id");
    client.change(&uri, version, [line, col, line, col + 6], "int64");
    let diags = client.diagnostics_of(&uri);
    client.change(&uri, version + 1, [line, col, line, col + 5], "string");
    (uri, diags)
}

#[test]
fn herald_toml_names_a_git_baseline_and_it_is_read_once() {
    let dir = git_repo(&format!("{TOML}\n[lsp]\nbaseline = \"git:main\"\n"));
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let (uri, diags) = break_it(&mut client, dir.path(), 2);
    let found = against(&diags, "git:main");
    assert!(!found.is_empty(), "{diags:#?}");
    let (line, _) = find(PROTO, "string id");
    assert!(found.iter().all(|d| d.range.start.line == line), "{found:#?}");
    assert_eq!(client.diagnostics_of(&uri), [], "fixed again");

    // The revision's files were read once: without the repository's history the check goes on.
    std::fs::rename(dir.path().join(".git"), dir.path().join("git-moved")).expect("move .git");
    let (_, diags) = break_it(&mut client, dir.path(), 4);
    assert!(!against(&diags, "git:main").is_empty(), "{diags:#?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn the_client_names_a_git_baseline() {
    let dir = git_repo(TOML);
    // A second commit on a branch: the client's baseline is the first one.
    git(dir.path(), &["checkout", "-q", "-b", "work"]);
    std::fs::write(
        dir.path().join("a.proto"),
        PROTO.replace("string id = 1;", "string id = 1;\n  string b = 2;"),
    )
    .expect("write");
    git(dir.path(), &["commit", "-q", "-am", "second"]);
    let (mut client, _) = Client::start_with(Some(dir.path()), false, json!({"baseline": "git:main"}));
    let (_, diags) = break_it(&mut client, dir.path(), 2);
    let found = against(&diags, "git:main");
    assert!(!found.is_empty(), "{diags:#?}");
    assert_eq!(client.stop(), 0);

    // Without the option, nothing is checked (no lock, no baseline).
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let (_, diags) = break_it(&mut client, dir.path(), 2);
    assert_eq!(diags, [], "no baseline");
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_baseline_that_cannot_be_read_is_a_located_diagnostic() {
    let toml = format!("{TOML}\n[lsp]\nbaseline = \"git:no-such-branch\"\n");
    let dir = git_repo(&toml);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let proto_uri = client.open_file(&path_of(dir.path(), "a.proto"));
    let toml_uri = client.open_file(&path_of(dir.path(), "herald.toml"));
    let diags = client.diagnostics_of(&toml_uri);
    let (line, col) = find(&toml, "\"git:no-such-branch\"");
    let d = diags
        .iter()
        .find(|d| d.message.contains("no-such-branch"))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(
        d.code,
        Some(lsp_types::NumberOrString::String("CONFIG_BAD_VALUE".to_owned()))
    );
    assert_eq!((d.range.start.line, d.range.start.character), (line, col));
    assert_eq!(client.diagnostics_of(&proto_uri), []);

    // Not a git baseline at all: herald.toml's own check says so.
    let bad = toml.replace("git:no-such-branch", "main");
    client.change_full(&toml_uri, 2, &bad);
    let diags = client.diagnostics_of(&toml_uri);
    assert!(
        diags.iter().any(|d| d.message.contains("`main` is not a git baseline")),
        "{diags:#?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_client_baseline_that_is_not_git_is_refused_with_a_message() {
    let dir = git_repo(TOML);
    let (mut client, _) = Client::start_with(Some(dir.path()), false, json!({"baseline": 3}));
    client.sync();
    assert!(
        client
            .messages
            .iter()
            .any(|m| m.contains("`baseline` must be a string")),
        "{:?}",
        client.messages
    );
    let (_, diags) = break_it(&mut client, dir.path(), 2);
    assert_eq!(diags, [], "no baseline checked");
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_moved_branch_is_read_again_when_files_change_on_disk() {
    let dir = git_repo(&format!("{TOML}\n[lsp]\nbaseline = \"git:main\"\n"));
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "a.proto");
    let uri = client.open(&path, PROTO);
    let (line, col) = find(PROTO, "string id");
    client.change(&uri, 2, [line, col, line, col + 6], "int64");
    assert!(!against(&client.diagnostics_of(&uri), "git:main").is_empty());
    // main moves to the buffer's text (committed from elsewhere); the client reports the file.
    std::fs::write(&path, PROTO.replace("string id", "int64 id")).expect("write");
    git(dir.path(), &["commit", "-q", "-am", "int64 id"]);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": crate::harness::uri(&path), "type": 2}]}),
    );
    assert_eq!(client.diagnostics_of(&uri), [], "compared with the new main");
    assert_eq!(client.stop(), 0);
}
