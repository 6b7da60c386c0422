//! Whatever the editor sends, the server answers and does not crash.

use std::path::Path;

use serde_json::json;

use crate::harness::{example_repo, path_of, uri, Client};

fn schema_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            schema_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto" || e == "avsc") || path.ends_with("herald.toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_prefix_of_every_example_file() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let mut files = Vec::new();
    schema_files(&dir.path().canonicalize().expect("canonical"), &mut files);
    files.sort();
    assert!(files.len() >= 6);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let uri = client.open(&path, "");
        let mut version = 1;
        // Every 7th byte boundary (and the whole text): the server checks only the latest of a
        // burst, so this mostly tests that no prefix crashes it.
        let mut ends: Vec<usize> = (0..text.len())
            .step_by(7)
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        ends.push(text.len());
        for end in ends {
            version += 1;
            client.change_full(&uri, version, &text[..end]);
            if version % 10 == 0 {
                client.sync();
            }
        }
        let symbols = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
        assert!(symbols.is_ok(), "{}: {symbols:?}", path.display());
        let _ = client.position("textDocument/hover", &uri, 3, 5);
        let _ = client.position("textDocument/definition", &uri, 3, 5);
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }
    let uri = client.open(&path_of(dir.path(), "user/v1/common.proto"), "");
    assert!(client.request("workspace/symbol", json!({"query": "a"})).is_ok());
    let _ = client.diagnostics_of(&uri);
    assert_eq!(client.stop(), 0);
}

#[test]
fn binary_garbage_and_empty_files() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let garbage: String = (0u32..2000)
        .filter_map(|i| char::from_u32((i * 7919) % 0x2_0000))
        .collect();
    for name in [
        "user/v1/common.proto",
        "accounting/bank_error.avsc",
        "herald.toml",
        "new.proto",
        "new.avsc",
    ] {
        let path = path_of(dir.path(), "").join(name);
        let uri = client.open(&path, &garbage);
        let _ = client.diagnostics_of(&uri);
        client.change_full(&uri, 2, "");
        let _ = client.diagnostics_of(&uri);
        client.change(&uri, 3, [u32::MAX, u32::MAX, 0, 0], "\u{0}\u{feff}😀");
        client.change(&uri, 4, [0, 1, 0, 2], "x");
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/references",
        ] {
            let _ = client.position(method, &uri, 0, 1);
        }
        assert!(client
            .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
            .is_ok());
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn bad_params_are_errors_not_crashes() {
    let (mut client, _) = Client::start(None, false);
    let error = client
        .request("textDocument/hover", json!({"nonsense": true}))
        .expect_err("invalid params");
    assert_eq!(error.code, -32602);
    client.notify("textDocument/didOpen", json!({"textDocument": 3}));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "untitled:1", "languageId": "proto", "version": 1, "text": ""}}),
    );
    client.sync();
    assert_eq!(client.stop(), 0);
}

fn code_of(d: &lsp_types::Diagnostic) -> String {
    match &d.code {
        Some(lsp_types::NumberOrString::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn a_ten_megabyte_file_is_checked_and_edited_in_bounded_time() {
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
    // One problem at the very end: its line proves the whole buffer was read.
    text.push_str("message Last {\n  string badName = 1;\n}\n");
    let dir = crate::harness::repo(&[("big.proto", "")]);
    let started = std::time::Instant::now();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open(&path_of(dir.path(), "big.proto"), &text);
    let diags = client.diagnostics_of(&uri);
    let last_line = text.lines().count() as u32 - 2;
    assert!(
        diags
            .iter()
            .any(|d| d.range.start.line == last_line && d.message.contains("badName")),
        "{diags:#?}"
    );
    // An incremental edit at the end fixes it.
    client.change(&uri, 2, [last_line, 9, last_line, 16], "bad_name");
    let diags = client.diagnostics_of(&uri);
    assert!(diags.iter().all(|d| !d.message.contains("badName")), "{diags:#?}");
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    assert_eq!(symbols.as_array().map(Vec::len), Some(i + 1));
    assert_eq!(client.stop(), 0);
    // Debug build, shared machine: generous, but a hang fails.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_file_renamed_on_disk_is_a_delete_and_a_create() {
    let dir = crate::harness::repo(&[
        (
            "a.proto",
            "syntax = \"proto3\";\npackage p;\nmessage A { string x = 1; }\n",
        ),
        (
            "b.proto",
            "syntax = \"proto3\";\npackage p;\nimport \"a.proto\";\nmessage B { A a = 1; }\n",
        ),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let b = path_of(dir.path(), "b.proto");
    let b_text = std::fs::read_to_string(&b).expect("read");
    let b_uri = client.open(&b, &b_text);
    assert_eq!(client.diagnostics_of(&b_uri), []);
    let (a, c) = (path_of(dir.path(), "a.proto"), path_of(dir.path(), "c.proto"));
    std::fs::rename(&a, &c).expect("rename");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&a), "type": 3}, {"uri": uri(&c), "type": 1}]}),
    );
    let diags = client.diagnostics_of(&b_uri);
    assert!(
        diags.iter().any(|d| d.message.contains("a.proto")),
        "the import is gone: {diags:#?}"
    );
    // The import follows the rename: clean again, and c.proto's type is found there.
    let fixed = b_text.replace("a.proto", "c.proto");
    client.change_full(&b_uri, 2, &fixed);
    assert_eq!(client.diagnostics_of(&b_uri), []);
    let (line, col) = crate::harness::find(&fixed, "A a = 1");
    let definition = client
        .position("textDocument/definition", &b_uri, line, col)
        .expect("definition");
    assert_eq!(definition["uri"], uri(&c));
    assert_eq!(client.stop(), 0);
}

#[test]
fn changes_faster_than_they_can_be_checked_end_on_the_latest_text() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let original = std::fs::read_to_string(&path).expect("read");
    let broken = original.replacen("string user_id = 1;", "int64 user_id = 1;", 1);
    let uri = client.open(&path, &original);
    let started = std::time::Instant::now();
    let changes = 400;
    // Every change sent without waiting: broken, clean, broken... the last one broken.
    for version in 2..=changes + 1 {
        let text = if version % 2 == 1 { &broken } else { &original };
        client.change_full(&uri, version, text);
    }
    client.wait_version(&uri, changes + 1);
    let diags = client.diagnostics_of(&uri);
    let (line, _) = crate::harness::find(&broken, "int64 user_id");
    assert!(
        diags
            .iter()
            .any(|d| d.range.start.line == line && d.message.contains("against released")),
        "the latest text's findings: {diags:#?}"
    );
    let publishes = client.publishes.get(&uri).copied().unwrap_or(0);
    assert!(publishes <= changes as usize + 1, "{publishes}");
    // A hover asked right after answers on the latest text too.
    let (l, c) = crate::harness::find(&broken, "UserUpdated {");
    let hover = client.position("textDocument/hover", &uri, l, c + 2).expect("hover");
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("**not compatible**")),
        "{hover:#?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn herald_toml_that_is_not_toml_while_a_proto_is_open() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let proto = path_of(dir.path(), "user/v1/user_updated.proto");
    let proto_uri = client.open_file(&proto);
    assert_eq!(client.diagnostics_of(&proto_uri), []);
    // On disk, changed outside the editor.
    let toml = path_of(dir.path(), "herald.toml");
    let restored = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(&toml, "[repo\nname = = 3\n\u{0}\u{1}").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&toml), "type": 2}]}),
    );
    client.sync();
    // The proto file is still served: symbols from its text, hover and definition answered.
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": proto_uri}}),
        )
        .expect("symbols");
    assert_eq!(symbols[0]["name"], "UserUpdated");
    assert!(client.position("textDocument/hover", &proto_uri, 10, 10).is_ok());
    // Opened, herald.toml shows where it is broken.
    let toml_uri = client.open_file(&toml);
    let diags = client.diagnostics_of(&toml_uri);
    let syntax = diags
        .iter()
        .find(|d| code_of(d) == "CONFIG_SYNTAX")
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(syntax.range.start.line, 0);
    // Fixed in the editor, then on disk: all clean again.
    client.change_full(&toml_uri, 2, &restored);
    assert_eq!(client.diagnostics_of(&toml_uri), []);
    assert_eq!(client.diagnostics_of(&proto_uri), []);
    std::fs::write(&toml, &restored).expect("write");
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": toml_uri}}));
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&toml), "type": 2}]}),
    );
    assert_eq!(client.diagnostics_of(&proto_uri), []);
    assert_eq!(client.stop(), 0);
}
