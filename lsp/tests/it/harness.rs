//! A minimal LSP client: requests with ids, notifications, and the server's notifications kept
//! (the latest diagnostics per URI, every log message).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response, ResponseError};
use lsp_types as lsp;
use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    conn: Connection,
    server: Option<JoinHandle<u8>>,
    next_id: i32,
    /// Latest published diagnostics per URI.
    pub diagnostics: HashMap<String, Vec<lsp::Diagnostic>>,
    /// Number of publishDiagnostics received per URI.
    pub publishes: HashMap<String, usize>,
    pub logs: Vec<String>,
    /// window/showMessage texts.
    pub messages: Vec<String>,
    pub server_requests: Vec<Request>,
    pub versions: HashMap<String, Option<i32>>,
    /// Every publishDiagnostics received, in order: URI and version.
    pub history: Vec<(String, Option<i32>)>,
}

/// The example schema repo (`schemas/` at the workspace root) copied into a temporary directory.
pub fn example_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A temporary directory holding `files` (name, text).
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

pub fn uri(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", path.display()).replace(' ', "%20")
}

impl Client {
    /// Starts a server and initializes it with `root` as the workspace folder; `utf8` offers UTF-8
    /// positions.
    pub fn start(root: Option<&Path>, utf8: bool) -> (Client, lsp::InitializeResult) {
        Client::start_with(root, utf8, Value::Null)
    }

    /// As [`Client::start`], with `options` as the initialization options.
    pub fn start_with(root: Option<&Path>, utf8: bool, options: Value) -> (Client, lsp::InitializeResult) {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || herald_lsp::run(server, herald_lsp::Options { test_requests: true }));
        let mut c = Client {
            conn: client,
            server: Some(handle),
            next_id: 0,
            diagnostics: HashMap::new(),
            publishes: HashMap::new(),
            logs: Vec::new(),
            messages: Vec::new(),
            server_requests: Vec::new(),
            versions: HashMap::new(),
            history: Vec::new(),
        };
        let mut params = json!({
            "processId": null,
            "capabilities": {
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
                "general": {"positionEncodings": if utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) }}
            }
        });
        if !options.is_null() {
            params["initializationOptions"] = options;
        }
        if let Some(root) = root {
            params["workspaceFolders"] = json!([{"uri": uri(root), "name": "repo"}]);
        }
        let result = c.request("initialize", params).expect("initialize");
        c.notify("initialized", json!({}));
        (c, serde_json::from_value(result).expect("InitializeResult"))
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.to_owned(), params).into())
            .expect("send");
    }

    pub fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.to_owned(), params).into())
            .expect("send");
        id
    }

    /// Sends a request and waits for its response, keeping notifications met on the way.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, ResponseError> {
        let id = self.send_request(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: RequestId) -> Result<Value, ResponseError> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next(deadline) {
                Message::Response(Response {
                    id: got,
                    response_result,
                }) if got == id => return response_result,
                _ => {}
            }
        }
    }

    fn next(&mut self, deadline: Instant) -> Message {
        let message = self
            .conn
            .receiver
            .recv_deadline(deadline)
            .expect("the server answers in time");
        match &message {
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                let p: lsp::PublishDiagnosticsParams = serde_json::from_value(n.params.clone()).expect("params");
                let key = p.uri.as_str().to_owned();
                *self.publishes.entry(key.clone()).or_default() += 1;
                self.versions.insert(key.clone(), p.version);
                self.history.push((key.clone(), p.version));
                self.diagnostics.insert(key, p.diagnostics);
            }
            Message::Notification(n) if n.method == "window/logMessage" => {
                self.logs.push(n.params["message"].as_str().unwrap_or("").to_owned());
            }
            Message::Notification(n) if n.method == "window/showMessage" => {
                self.messages
                    .push(n.params["message"].as_str().unwrap_or("").to_owned());
            }
            Message::Request(r) => self.server_requests.push(r.clone()),
            _ => {}
        }
        message
    }

    /// Waits until every message sent so far is processed (a round trip through an unknown
    /// request, answered after everything before it).
    pub fn sync(&mut self) {
        let _ = self.request("herald/sync", json!({}));
    }

    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = uri(path);
        let language = if path.extension().is_some_and(|e| e == "proto") {
            "proto"
        } else {
            "json"
        };
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
        uri
    }

    pub fn open_file(&mut self, path: &Path) -> String {
        let text = std::fs::read_to_string(path).expect("read");
        self.open(path, &text)
    }

    pub fn change_full(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    pub fn change(&mut self, uri: &str, version: i32, range: [u32; 4], text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                "range": {"start": {"line": range[0], "character": range[1]}, "end": {"line": range[2], "character": range[3]}},
                "text": text
            }]}),
        );
    }

    /// The diagnostics of `uri` once every message sent so far has been processed.
    pub fn diagnostics_of(&mut self, uri: &str) -> Vec<lsp::Diagnostic> {
        self.sync();
        self.diagnostics.get(uri).cloned().unwrap_or_default()
    }

    /// Waits for diagnostics of `uri` published for document version `version`.
    pub fn wait_version(&mut self, uri: &str, version: i32) {
        let deadline = Instant::now() + TIMEOUT;
        while self.versions.get(uri) != Some(&Some(version)) {
            self.next(deadline);
        }
    }

    /// Waits for the server thread to end; its exit code.
    pub fn join(mut self) -> u8 {
        self.server.take().expect("server").join().expect("server thread")
    }

    /// `shutdown` then `exit`; the server's exit code.
    pub fn stop(mut self) -> u8 {
        self.request("shutdown", Value::Null).expect("shutdown");
        self.notify("exit", Value::Null);
        self.server.take().expect("server").join().expect("server thread")
    }

    pub fn position(&mut self, method: &str, uri: &str, line: u32, character: u32) -> Result<Value, ResponseError> {
        let mut params = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": true});
        }
        self.request(method, params)
    }
}

/// The 0-based (line, character) of the first occurrence of `needle` in `text` (ASCII text).
pub fn find(text: &str, needle: &str) -> (u32, u32) {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in text"));
    let line = text[..offset].matches('\n').count();
    let col = offset - text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line as u32, col as u32)
}

pub fn path_of(dir: &Path, name: &str) -> PathBuf {
    dir.canonicalize().expect("canonicalize").join(name)
}
