//! herald's language server: `herald lsp` speaks the Language Server Protocol over stdio.
//!
//! One thread runs `Server`'s loop over [`lsp_server::Connection`]'s channels (two more, owned
//! by lsp-server, read stdin and write stdout) and over the outcomes of analyses, which run on
//! threads of their own. Each batch of messages waiting in the channel is applied first (buffer
//! edits, watched files); then each workspace whose files changed and that has no analysis running
//! gets one (incremental: see `analysis`), and a change cancels a running one, whose diagnostics
//! are never published. Requests wait until no analysis runs or is due, then are answered in
//! order. A panic in a request handler is caught and answered with an internal error, one in an
//! analysis is logged; the server keeps running.

mod analysis;
mod avro_default;
mod baseline;
mod features;
mod metadata;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;

use analysis::{Analysis, Done, Workspace, CONFIG_FILE};
use text::{uri_to_path, Encoding};

/// Runs the server on stdin/stdout until the client says `exit`. Returns the process's exit code:
/// 0 after `shutdown`, 1 otherwise (as the protocol asks).
pub fn run_stdio() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let code = run(connection, Options::default());
    if let Err(e) = io_threads.join() {
        eprintln!("herald lsp: {e}");
    }
    code
}

/// What the server accepts besides the protocol.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Answers `herald/panic` by panicking (the panic-isolation tests), and `herald/stats` with the
    /// number of analyses started and cancelled (the cancellation tests).
    pub test_requests: bool,
}

/// Runs the server over `connection` (stdio, or an in-memory pair in tests) until `exit`; the
/// exit code as for [`run_stdio`].
#[doc(hidden)]
pub fn run(connection: Connection, options: Options) -> u8 {
    let (id, params) = match connection.initialize_start() {
        Ok(start) => start,
        Err(e) => {
            eprintln!("herald lsp: {e}");
            return 1;
        }
    };
    let params: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let encoding = negotiate_encoding(&params);
    let result = lsp::InitializeResult {
        capabilities: features::capabilities(encoding),
        server_info: Some(lsp::ServerInfo {
            name: "herald".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
    };
    let result = serde_json::to_value(result).unwrap_or_default();
    if let Err(e) = connection.initialize_finish(id, result) {
        eprintln!("herald lsp: {e}");
        return 1;
    }
    let mut server = Server::new(connection, &params, encoding, options);
    server.register_watchers(&params);
    if let Some(baseline) = params.initialization_options.as_ref().and_then(|o| o.get("baseline")) {
        if !baseline.as_str().is_some_and(|b| b.starts_with("git:")) {
            server.show_message(
                lsp::MessageType::WARNING,
                format!("herald: initialization option `baseline` must be a string \"git:REV\", not {baseline}"),
            );
        }
    }
    server.main_loop()
}

/// UTF-8 when the client offers it, else the protocol's UTF-16.
fn negotiate_encoding(params: &lsp::InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

/// An open document.
pub(crate) struct Document {
    pub path: PathBuf,
    pub text: String,
    pub version: i32,
    /// The root of its workspace.
    pub root: PathBuf,
}

pub(crate) struct Server {
    connection: Connection,
    pub encoding: Encoding,
    options: Options,
    /// The client's workspace folders (or root URI).
    folders: Vec<PathBuf>,
    /// Open documents by URI.
    pub docs: HashMap<lsp::Uri, Document>,
    /// Workspaces by root.
    pub workspaces: BTreeMap<PathBuf, Workspace>,
    /// The client's git baseline (`initializationOptions.baseline`), checked besides the lock.
    client_baseline: Option<String>,
    /// URIs diagnostics were last published for with a non-empty list, by workspace root.
    published: BTreeMap<PathBuf, Vec<lsp::Uri>>,
    shutdown: bool,
    next_request: i32,
    /// Requests waiting for the analyses under way.
    pending: Vec<Request>,
    /// Id of the last analysis job started.
    next_job: u64,
    /// Analyses that came back cancelled (`herald/stats` reports it to the tests).
    cancelled: u64,
    /// Where analysis jobs send their outcome, and where the loop receives them.
    done_sender: crossbeam_channel::Sender<Done>,
    done: crossbeam_channel::Receiver<Done>,
    /// Where replaced analyses go to be dropped, off the loop: dropping a large repo's model takes
    /// longer than answering the next change should wait.
    garbage: crossbeam_channel::Sender<Vec<Analysis>>,
}

impl Server {
    fn new(connection: Connection, params: &lsp::InitializeParams, encoding: Encoding, options: Options) -> Server {
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| uri_to_path(&f.uri))
            .collect();
        #[allow(deprecated)] // rootUri: the fallback for clients without workspace folders
        if folders.is_empty() {
            folders.extend(params.root_uri.as_ref().and_then(uri_to_path));
        }
        let client_baseline = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("baseline"))
            .and_then(|b| b.as_str())
            .filter(|b| b.starts_with("git:"))
            .map(str::to_owned);
        let (done_sender, done) = crossbeam_channel::unbounded();
        let (garbage, bin) = crossbeam_channel::unbounded::<Vec<Analysis>>();
        let dropper = std::thread::Builder::new()
            .name("herald-drop".to_owned())
            .spawn(move || bin.iter().for_each(drop));
        if let Err(e) = dropper {
            // Replaced analyses are then dropped where they are sent: on the loop.
            eprintln!("herald lsp: cannot start the thread that drops old analyses: {e}");
        }
        Server {
            connection,
            encoding,
            options,
            folders,
            client_baseline,
            docs: HashMap::new(),
            workspaces: BTreeMap::new(),
            published: BTreeMap::new(),
            shutdown: false,
            next_request: 0,
            pending: Vec::new(),
            next_job: 0,
            cancelled: 0,
            done_sender,
            done,
            garbage,
        }
    }

    /// Asks the client to report changes of schema files, herald.toml and herald.lock, when it can
    /// register watchers dynamically.
    fn register_watchers(&mut self, params: &lsp::InitializeParams) {
        let dynamic = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        let watchers = ["**/*.proto", "**/*.avsc", "**/herald.toml", "**/herald.lock"]
            .iter()
            .map(|g| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String((*g).to_owned()),
                kind: None,
            })
            .collect();
        let params = lsp::RegistrationParams {
            registrations: vec![lsp::Registration {
                id: "herald-watched-files".to_owned(),
                method: lsp::notification::DidChangeWatchedFiles::METHOD.to_owned(),
                register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
            }],
        };
        self.next_request += 1;
        let request = Request::new(
            RequestId::from(format!("herald-{}", self.next_request)),
            lsp::request::RegisterCapability::METHOD.to_owned(),
            params,
        );
        self.send(request.into());
    }

    fn send(&self, message: Message) {
        // The client is gone when this fails; the loop ends on the closed receiver.
        let _ = self.connection.sender.send(message);
    }

    fn log(&self, typ: lsp::MessageType, message: impl Into<String>) {
        let params = lsp::LogMessageParams {
            typ,
            message: message.into(),
        };
        self.send(Notification::new(lsp::notification::LogMessage::METHOD.to_owned(), params).into());
    }

    /// A `window/showMessage` notification.
    pub(crate) fn show_message(&self, typ: lsp::MessageType, message: impl Into<String>) {
        let params = lsp::ShowMessageParams {
            typ,
            message: message.into(),
        };
        self.send(Notification::new(lsp::notification::ShowMessage::METHOD.to_owned(), params).into());
    }

    /// Receives messages and analysis outcomes until `exit`; see the crate's documentation for
    /// the order of work.
    fn main_loop(&mut self) -> u8 {
        loop {
            let mut batch = Vec::new();
            crossbeam_channel::select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(message) => batch.push(message),
                    Err(_) => return 1,
                },
                recv(self.done) -> done => {
                    if let Ok(done) = done {
                        self.finished(done);
                    }
                }
            }
            while let Ok(next) = self.connection.receiver.try_recv() {
                batch.push(next);
            }
            for message in batch {
                match message {
                    Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                        self.cancel_all();
                        return if self.shutdown { 0 } else { 1 };
                    }
                    Message::Notification(n) => {
                        let method = n.method.clone();
                        if catch_unwind(AssertUnwindSafe(|| self.notification(n))).is_err() {
                            self.log(
                                lsp::MessageType::ERROR,
                                format!("herald: handling {method} failed (a bug in herald)"),
                            );
                        }
                    }
                    Message::Request(r) => self.pending.push(r),
                    Message::Response(_) => {}
                }
            }
            self.start_analyses();
            if !self.workspaces.values().any(Workspace::busy) {
                for request in std::mem::take(&mut self.pending) {
                    self.request(request);
                }
            }
        }
    }

    /// Starts an analysis of every workspace whose files changed and that has none running, each
    /// on a thread of its own.
    fn start_analyses(&mut self) {
        for ws in self.workspaces.values_mut() {
            let Some(job) = ws.start(self.next_job + 1) else {
                continue;
            };
            self.next_job += 1;
            let sender = self.done_sender.clone();
            let spawned = std::thread::Builder::new()
                .name("herald-analysis".to_owned())
                .spawn(move || {
                    // The loop is gone when this fails: nothing is waiting for the outcome.
                    job.run(|done| {
                        let _ = sender.send(done);
                    });
                });
            if let Err(e) = spawned {
                eprintln!("herald lsp: cannot start an analysis thread: {e}");
            }
        }
    }

    /// Takes an analysis outcome back; publishes its diagnostics when it is of the files as they
    /// stand (a newer change makes it stale: the next analysis publishes).
    fn finished(&mut self, done: Done) {
        let (root, panicked) = (done.root.clone(), done.panicked);
        if done.analysis.is_none() && !panicked {
            self.cancelled += 1;
        }
        let Some(ws) = self.workspaces.get_mut(&root) else {
            return;
        };
        let mut replaced = Vec::new();
        let current = ws.finish(done, &mut replaced);
        if panicked {
            self.log(
                lsp::MessageType::ERROR,
                format!("herald: analysing {} failed (a bug in herald)", root.display()),
            );
        }
        if current {
            self.publish(&root);
        }
        if !replaced.is_empty() {
            // Without the thread, the send fails and the analyses are dropped here.
            let _ = self.garbage.send(replaced);
        }
    }

    /// Cancels every running analysis.
    fn cancel_all(&self) {
        for ws in self.workspaces.values() {
            ws.cancel();
        }
    }

    /// Publishes the diagnostics of the last analysis of the workspace at `root` for each of its
    /// open documents (an empty list for those that have none any more).
    fn publish(&mut self, root: &Path) {
        let Some(ws) = self.workspaces.get(root) else { return };
        // Only the open documents' diagnostics are published: only theirs are converted.
        let open: std::collections::BTreeSet<&Path> = self
            .docs
            .values()
            .filter(|d| d.root == root)
            .map(|d| d.path.as_path())
            .collect();
        let mut by_path = ws.diagnostics_by_path(self.encoding, |path| open.contains(path));
        let mut published = Vec::new();
        let mut targets: Vec<(lsp::Uri, Option<i32>, Vec<lsp::Diagnostic>)> = Vec::new();
        for (uri, doc) in self
            .docs
            .iter()
            .filter(|(_, d)| d.root == root && analysis::is_relevant(&d.path))
        {
            let diagnostics = by_path.remove(&doc.path).unwrap_or_default();
            targets.push((uri.clone(), Some(doc.version), diagnostics));
        }
        // Files no longer open and no longer concerned are cleared.
        for uri in self.published.get(root).into_iter().flatten() {
            if !self.docs.contains_key(uri) {
                targets.push((uri.clone(), None, Vec::new()));
            }
        }
        for (uri, version, diagnostics) in targets {
            if !diagnostics.is_empty() {
                published.push(uri.clone());
            }
            let params = lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            };
            self.send(Notification::new(lsp::notification::PublishDiagnostics::METHOD.to_owned(), params).into());
        }
        self.published.insert(root.to_path_buf(), published);
    }

    /// The root of the workspace `path` belongs to: the nearest directory upward holding
    /// herald.toml, else the client's workspace folder holding it, else its own directory.
    fn root_for(&self, path: &Path) -> PathBuf {
        let dir = path.parent().unwrap_or(Path::new("/"));
        if let Some(root) = dir.ancestors().find(|d| d.join(CONFIG_FILE).is_file()) {
            return root.to_path_buf();
        }
        if let Some(folder) = self
            .folders
            .iter()
            .filter(|f| path.starts_with(f))
            .max_by_key(|f| f.components().count())
        {
            return folder.clone();
        }
        dir.to_path_buf()
    }

    fn workspace_for(&mut self, path: &Path) -> &mut Workspace {
        let root = self.root_for(path);
        self.workspaces.entry(root.clone()).or_insert_with(|| {
            let mut ws = Workspace::read(&root);
            ws.client_baseline = self.client_baseline.clone();
            ws
        })
    }

    fn notification(&mut self, n: Notification) {
        use lsp::notification as note;
        let result = match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params).map(|p| self.did_open(p))
            }
            note::DidChangeTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params).map(|p| self.did_change(p))
            }
            note::DidCloseTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params).map(|p| self.did_close(p))
            }
            note::DidChangeWatchedFiles::METHOD => {
                serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(n.params).map(|p| self.watched(p))
            }
            // Anything else (initialized, $/cancelRequest, $/setTrace, ...) needs nothing.
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log(
                lsp::MessageType::ERROR,
                format!("herald: bad {} notification: {e}", n.method),
            );
        }
    }

    fn did_open(&mut self, p: lsp::DidOpenTextDocumentParams) {
        let uri = p.text_document.uri;
        let Some(path) = uri_to_path(&uri) else {
            self.log(
                lsp::MessageType::INFO,
                format!("herald: {} is not a local file", uri.as_str()),
            );
            return;
        };
        // Other files (a JSON or TOML file the editor attached the server to) are kept, not analysed.
        let root = if analysis::is_relevant(&path) {
            let ws = self.workspace_for(&path);
            ws.set_buffer(&path, &p.text_document.text);
            ws.root.clone()
        } else {
            PathBuf::new()
        };
        self.docs.insert(
            uri,
            Document {
                path,
                text: p.text_document.text,
                version: p.text_document.version,
                root,
            },
        );
    }

    fn did_change(&mut self, p: lsp::DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        let encoding = self.encoding;
        let Some(doc) = self.docs.get_mut(&uri) else {
            self.log(
                lsp::MessageType::WARNING,
                format!("herald: change for {}, which is not open; ignored", uri.as_str()),
            );
            return;
        };
        for change in p.content_changes {
            match change.range {
                Some(range) => text::apply_change(&mut doc.text, range, &change.text, encoding),
                None => doc.text = change.text,
            }
        }
        doc.version = p.text_document.version;
        let (root, path, text) = (doc.root.clone(), doc.path.clone(), doc.text.clone());
        if let Some(ws) = self.workspaces.get_mut(&root) {
            ws.set_buffer(&path, &text);
        }
    }

    fn did_close(&mut self, p: lsp::DidCloseTextDocumentParams) {
        if let Some(doc) = self.docs.remove(&p.text_document.uri) {
            if let Some(ws) = self.workspaces.get_mut(&doc.root) {
                ws.reload(&doc.path);
            }
        }
    }

    fn watched(&mut self, p: lsp::DidChangeWatchedFilesParams) {
        // Files changed on disk may come with a moved branch (a checkout, a pull).
        for ws in self.workspaces.values_mut() {
            ws.files_changed_on_disk();
        }
        for change in p.changes {
            let Some(path) = uri_to_path(&change.uri) else { continue };
            // An open buffer stays what the editor shows.
            if self.docs.contains_key(&change.uri) {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == CONFIG_FILE {
                // herald.toml created or deleted moves roots: start those workspaces afresh.
                self.reset_workspaces();
                continue;
            }
            for ws in self.workspaces.values_mut() {
                ws.reload(&path);
            }
        }
    }

    /// Rebuilds every workspace from disk and the open buffers.
    fn reset_workspaces(&mut self) {
        self.cancel_all();
        self.workspaces.clear();
        let docs: Vec<(lsp::Uri, PathBuf, String)> = self
            .docs
            .iter()
            .map(|(uri, d)| (uri.clone(), d.path.clone(), d.text.clone()))
            .collect();
        for (uri, path, text) in docs {
            let ws = self.workspace_for(&path);
            ws.set_buffer(&path, &text);
            let root = ws.root.clone();
            if let Some(doc) = self.docs.get_mut(&uri) {
                doc.root = root;
            }
        }
    }

    fn request(&mut self, r: Request) {
        if self.shutdown && r.method != lsp::request::Shutdown::METHOD {
            let response = Response::new_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_owned(),
            );
            self.send(response.into());
            return;
        }
        if r.method == lsp::request::Shutdown::METHOD {
            self.shutdown = true;
            self.send(Response::new_ok(r.id, ()).into());
            return;
        }
        if self.options.test_requests && r.method == "herald/stats" {
            let stats = serde_json::json!({"analyses": self.next_job, "cancelled": self.cancelled});
            self.send(Response::new_ok(r.id, stats).into());
            return;
        }
        let id = r.id.clone();
        let test_requests = self.options.test_requests;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if test_requests && r.method == "herald/panic" {
                panic!("herald/panic: a panic on request");
            }
            features::handle(self, r)
        }));
        let response = match outcome {
            Ok(response) => response,
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                "herald: internal error (a bug in herald)".to_owned(),
            ),
        };
        self.send(response.into());
    }

    /// The workspace and open document of `uri`.
    pub(crate) fn doc(&self, uri: &lsp::Uri) -> Option<(&Document, &Workspace)> {
        let doc = self.docs.get(uri)?;
        Some((doc, self.workspaces.get(&doc.root)?))
    }
}
