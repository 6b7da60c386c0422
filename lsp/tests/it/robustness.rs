//! Whatever the editor sends, the server answers and does not crash.

use std::path::Path;

use serde_json::json;

use crate::harness::{example_repo, path_of, Client};

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
