//! The protocol itself: initialize, sync, unknown methods, panics, shutdown.

use serde_json::json;

use crate::harness::{example_repo, path_of, repo, Client};

#[test]
fn initialize_advertises_what_is_implemented() {
    let (client, result) = Client::start(None, false);
    let caps = serde_json::to_value(&result.capabilities).expect("json");
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental");
    for cap in [
        "documentSymbolProvider",
        "workspaceSymbolProvider",
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[cap], true, "{cap}");
    }
    assert!(caps["completionProvider"].is_object());
    assert_eq!(caps["renameProvider"], true);
    assert_eq!(caps["codeActionProvider"], true);
    assert_eq!(client.stop(), 0);
}

#[test]
fn utf8_when_the_client_offers_it() {
    let (client, result) = Client::start(None, true);
    assert_eq!(
        serde_json::to_value(&result.capabilities).expect("json")["positionEncoding"],
        "utf-8"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn registers_file_watchers() {
    let (mut client, _) = Client::start(None, false);
    client.sync();
    let registration = client
        .server_requests
        .iter()
        .find(|r| r.method == "client/registerCapability")
        .expect("registration");
    assert_eq!(
        registration.params["registrations"][0]["method"],
        "workspace/didChangeWatchedFiles"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn unknown_request_is_method_not_found_and_unknown_notification_ignored() {
    let (mut client, _) = Client::start(None, false);
    client.notify("herald/whatever", json!({"x": 1}));
    let error = client.request("herald/nothing", json!({})).expect_err("an error");
    assert_eq!(error.code, -32601);
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_panicking_request_is_an_internal_error_and_the_server_lives_on() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let error = client.request("herald/panic", json!({})).expect_err("an error");
    assert_eq!(error.code, -32603);
    let uri = client.open_file(&path_of(dir.path(), "user/v1/common.proto"));
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    assert_eq!(symbols[0]["name"], "Money");
    assert_eq!(client.stop(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let (mut client, _) = Client::start(None, false);
    client.sync();
    client.notify("exit", json!(null));
    // stop() would send shutdown first; join directly.
    let code = client.join();
    assert_eq!(code, 1);
}

#[test]
fn incremental_changes_in_utf16_and_utf8() {
    for utf8 in [false, true] {
        let dir = repo(&[("a.proto", "syntax = \"proto3\";\npackage p;\n// é😀\nmessage A {}\n")]);
        let (mut client, _) = Client::start(Some(dir.path()), utf8);
        let path = path_of(dir.path(), "a.proto");
        let uri = client.open_file(&path);
        // Insert after "// é😀" on line 2: its end is at 6 UTF-16 units, 9 bytes.
        let end = if utf8 { 9 } else { 6 };
        client.change(&uri, 2, [2, end, 2, end], "\nmessage B {}");
        // Rename A to Renamed: line 4 now.
        client.change(&uri, 3, [4, 8, 4, 9], "Renamed");
        let symbols = client
            .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
            .expect("symbols");
        let names: Vec<&str> = symbols
            .as_array()
            .expect("array")
            .iter()
            .map(|s| s["name"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names, ["B", "Renamed"], "utf8: {utf8}");
        assert_eq!(client.stop(), 0);
    }
}

#[test]
fn a_change_for_a_document_never_opened_is_logged() {
    let (mut client, _) = Client::start(None, false);
    client.change_full("file:///nowhere/x.proto", 2, "message X {}");
    client.change("file:///nowhere/y.proto", 2, [0, 0, 0, 0], "x");
    client.sync();
    assert!(client.logs.iter().any(|l| l.contains("not open")), "{:?}", client.logs);
    assert_eq!(client.stop(), 0);
}
