//! `herald lsp` end to end: the real binary over stdio, as an editor starts it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    stdin.flush().expect("flush");
}

fn receive(stdout: &mut impl BufRead) -> Value {
    let mut length = None;
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("read") > 0,
            "the server closed stdout"
        );
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = Some(n.parse::<usize>().expect("length"));
        }
    }
    let mut body = vec![0; length.expect("Content-Length")];
    stdout.read_exact(&mut body).expect("body");
    serde_json::from_slice(&body).expect("json")
}

/// Reads messages until one satisfies `want`.
fn until(stdout: &mut impl BufRead, want: impl Fn(&Value) -> bool) -> Value {
    loop {
        let message = receive(stdout);
        if want(&message) {
            return message;
        }
    }
}

#[test]
fn herald_lsp_over_stdio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    std::fs::write(root.join("herald.toml"), "[repo]\nname = \"t\"\n").expect("write");
    let file = root.join("a.proto");
    let text = "syntax = \"proto3\";\npackage p;\nmessage A { strin x = 1; }\n";
    std::fs::write(&file, text).expect("write");
    let uri = format!("file://{}", file.display());

    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn herald lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));

    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "capabilities": {},
            "rootUri": format!("file://{}", root.display())}}),
    );
    let init = until(&mut stdout, |m| m["id"] == 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "herald");
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
            {"uri": uri, "languageId": "proto", "version": 1, "text": text}}}),
    );
    let published = until(&mut stdout, |m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(published["params"]["uri"], uri);
    let diagnostics = published["params"]["diagnostics"].as_array().expect("array");
    assert!(!diagnostics.is_empty(), "`strin` is no type");
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 2);

    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "herald/unknown", "params": {}}),
    );
    let unknown = until(&mut stdout, |m| m["id"] == 2);
    assert_eq!(unknown["error"]["code"], -32601);

    send(&mut stdin, &json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}));
    let shutdown = until(&mut stdout, |m| m["id"] == 3);
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(stdin);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}
