//! `cargo xtask bench-lsp`: didChange → publishDiagnostics latency of `herald lsp` and `buf lsp
//! serve` (buf 1.75), one client speaking LSP over stdio to both, same files, same run:
//!
//! (a) a plain directory of 1,000 proto files (bench-check's, each importing a shared file; a
//!     `buf.yaml`, no herald.toml), both servers;
//! (b) herald on the benchmarks' synthetic repo of 1,000 event files with herald.toml and a
//!     herald.lock (`herald release`), so every change is also checked against the lock;
//! (c) herald on the example repo (`schemas/`, with its lock).
//!
//! Each edit adds or removes a comment line at the top of one file (the whole text sent, as
//! editors without incremental sync do); the time is from sending the change to receiving the
//! diagnostics for that file: herald's carry the document version, buf's do not (the first
//! publish for the file after the change counts). A few warm-up edits first, then 60 timed.
//! `HERALD_BENCH_LSP_EDIT=message` makes every other edit add an empty message at the end instead
//! (a change of the file's declarations, which herald type-checks again; a comment does not).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::write_bench_protos;

// The benchmarks' generator (the synthetic repo of (b)); it allows its own dead code.
#[path = "../../codegen/benches/common/mod.rs"]
mod generator;

const WARMUP: usize = 5;
/// Timed edits per case (`HERALD_BENCH_LSP_ROUNDS` overrides).
fn rounds() -> usize {
    std::env::var("HERALD_BENCH_LSP_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(60)
}
/// Whether each edit adds a message instead of a comment line (`HERALD_BENCH_LSP_EDIT=message`).
fn code_edits() -> bool {
    std::env::var("HERALD_BENCH_LSP_EDIT").is_ok_and(|e| e == "message")
}
const TIMEOUT: Duration = Duration::from_secs(120);

/// Long because it is a script read top to bottom: build, generate the three repos, measure each
/// server on each, print the table.
pub fn run() -> Result<(), String> {
    // Nothing to install but buf (npm): the client is this program.
    let buf = crate::buf_peer()?;
    crate::run("cargo", &["build", "--release", "-p", "herald-cli", "--bin", "herald"])?;
    let herald = std::fs::canonicalize("target/release/herald").map_err(|e| e.to_string())?;
    let buf = std::fs::canonicalize(&buf).map_err(|e| e.to_string())?;
    let root = Path::new("target/bench-lsp");
    if root.exists() {
        std::fs::remove_dir_all(root).map_err(|e| e.to_string())?;
    }

    // (a) the plain directory.
    let plain = root.join("plain");
    write_bench_protos(&plain.join("proto"), false)?;
    std::fs::write(plain.join("buf.yaml"), "version: v1\n").map_err(|e| e.to_string())?;
    // (b) the synthetic repo with a lock.
    let events = root.join("events");
    generator::write_proto_events_repo(&events, 1000);
    let status = Command::new(&herald)
        .arg("release")
        .arg(&events)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() || !events.join("herald.lock").is_file() {
        return Err(format!("herald release on {} failed ({status})", events.display()));
    }
    // (c) the example repo.
    let example = root.join("example");
    copy_dir(Path::new("schemas"), &example)?;

    let herald_cmd = |dir: &Path| Server::start(&herald, &["lsp"], dir);
    let buf_cmd = |dir: &Path| Server::start(&buf, &["lsp", "serve"], dir);
    let plain = std::fs::canonicalize(&plain).map_err(|e| e.to_string())?;
    let events = std::fs::canonicalize(&events).map_err(|e| e.to_string())?;
    let example = std::fs::canonicalize(&example).map_err(|e| e.to_string())?;
    let cases: Vec<Case> = vec![
        (
            "(a) plain dir, 1,000 .proto: buf lsp serve",
            Box::new(|| buf_cmd(&plain)),
            plain.clone(),
            "proto/e500.proto",
        ),
        (
            "(a) plain dir, 1,000 .proto: herald lsp",
            Box::new(|| herald_cmd(&plain)),
            plain.clone(),
            "proto/e500.proto",
        ),
        (
            "(b) 1,000 events + herald.lock: herald lsp",
            Box::new(|| herald_cmd(&events)),
            events.clone(),
            "proto/e500.proto",
        ),
        (
            "(c) example repo + herald.lock: herald lsp",
            Box::new(|| herald_cmd(&example)),
            example.clone(),
            "user/v1/user_updated.proto",
        ),
    ];
    // `cargo xtask bench-lsp b c` runs only those cases.
    let only: Vec<String> = std::env::args().skip(2).collect();
    let mut lines = Vec::new();
    for (label, start, dir, file) in &cases {
        if !only.is_empty() && !only.iter().any(|o| label.starts_with(&format!("({o})"))) {
            continue;
        }
        eprintln!("{label} ...");
        let mut server = start()?;
        let (p50, p95, first) = server.latency(dir, file)?;
        server.stop();
        let line = format!(
            "{label}: p50 {:.1} ms, p95 {:.1} ms over {} edits (open → first diagnostics {:.0} ms)",
            ms(p50),
            ms(p95),
            rounds(),
            ms(first)
        );
        println!("{line}");
        lines.push(line);
    }
    println!("\nsummary:");
    for line in lines {
        println!("  {line}");
    }
    Ok(())
}

/// A case: its label, how to start its server, the workspace and the file edited in it.
type Case<'a> = (&'a str, Box<dyn Fn() -> Result<Server, String> + 'a>, PathBuf, &'a str);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// A language server as a child process, spoken to over its stdin and stdout.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    /// Starts `program args` in `dir` and initializes it with `dir` as the workspace folder.
    fn start(program: &Path, args: &[&str], dir: &Path) -> Result<Server, String> {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 0,
        };
        let uri = file_uri(dir);
        let id = server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "bench"}],
                "capabilities": {
                    "textDocument": {"publishDiagnostics": {"versionSupport": true}, "synchronization": {"didSave": true}},
                    "workspace": {"workspaceFolders": true, "configuration": true}
                }
            }),
        )?;
        server.wait(|m| m["id"] == json!(id) && m.get("method").is_none())?;
        server.notify("initialized", json!({}))?;
        Ok(server)
    }

    fn send(&mut self, message: &Value) -> Result<(), String> {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())
    }

    fn request(&mut self, method: &str, params: Value) -> Result<i64, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        Ok(id)
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Reads messages until one satisfies `done`, answering the server's own requests
    /// (configuration, registrations, progress) on the way.
    fn wait(&mut self, done: impl Fn(&Value) -> bool) -> Result<Value, String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return Err("the server did not answer in time".to_owned()),
                Err(RecvTimeoutError::Disconnected) => return Err("the server exited".to_owned()),
            };
            if let (Some(id), Some(method)) = (message.get("id"), message.get("method").and_then(Value::as_str)) {
                let result = if method == "workspace/configuration" {
                    let n = message["params"]["items"].as_array().map_or(0, Vec::len);
                    Value::Array(vec![Value::Null; n])
                } else {
                    Value::Null
                };
                let id = id.clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}))?;
                continue;
            }
            if done(&message) {
                return Ok(message);
            }
        }
    }

    /// Opens `file` and times `rounds()` edits to it (after `WARMUP` untimed ones): p50, p95, and
    /// the time from opening it to its first diagnostics.
    fn latency(&mut self, dir: &Path, file: &str) -> Result<(Duration, Duration, Duration), String> {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let uri = file_uri(&path);
        let is_publish = |m: &Value, uri: &str| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"].as_str() == Some(uri)
        };
        let opened = Instant::now();
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "proto", "version": 1, "text": text}}),
        )?;
        self.wait(|m| is_publish(m, &uri))?;
        let first = opened.elapsed();
        let mut times = Vec::new();
        let rounds = rounds();
        for round in 0..WARMUP + rounds {
            let version = i64::try_from(round).map_err(|e| e.to_string())? + 2;
            let edited = match (round % 2, code_edits()) {
                (0, false) => format!("// edit {round}\n{text}"),
                // A declaration, not a comment: the file is type-checked again.
                (0, true) => format!("{text}\nmessage BenchEdit{round} {{}}\n"),
                _ => text.clone(),
            };
            let start = Instant::now();
            self.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}),
            )?;
            // A publish carrying an older version is a stale one (none expected); one without a
            // version (buf's) is the answer to the change just sent.
            self.wait(|m| is_publish(m, &uri) && m["params"]["version"].as_i64().is_none_or(|v| v == version))?;
            if round >= WARMUP {
                times.push(start.elapsed());
            }
        }
        times.sort();
        let p50 = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        Ok((p50, p95, first))
    }

    /// Asks the server to shut down and exit; kills it if it does not.
    fn stop(mut self) {
        let stopped = self
            .request("shutdown", Value::Null)
            .and_then(|id| self.wait(|m| m["id"] == json!(id) && m.get("method").is_none()))
            .and_then(|_| self.notify("exit", Value::Null));
        let deadline = Instant::now() + Duration::from_secs(5);
        while stopped.is_ok() && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message from the server (`Content-Length` framing), `None` at the end of its output.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}
