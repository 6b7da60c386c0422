//! One workspace: its files (read from disk once, open buffers laid over them), and the outcome of
//! the last analysis (lint, compatibility against `herald.lock`, the model for navigation).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::diagnostic::Diagnostic;
use herald_codegen::files::FileSet;
use herald_codegen::lint;
use herald_codegen::load::{self, LoadResult, Unusable, LOCK_FILE};
use herald_codegen::model::EventSet;
use herald_codegen::rules::Severity;
use herald_codegen::span::{display_name, SourceMap};
use lsp_types as lsp;

use crate::baseline::GitBaselines;
use crate::text::{path_to_uri, range_in, Encoding};

/// The configuration file that marks a workspace's root.
pub const CONFIG_FILE: &str = "herald.toml";

/// Whether the server analyses a file of this path: `.proto`, `.avsc`, `herald.toml`.
pub fn is_relevant(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == CONFIG_FILE || herald_codegen::files::is_schema_file(name)
}

/// A schema repo as the editor sees it.
pub struct Workspace {
    pub root: PathBuf,
    /// The disk's files with the open buffers inserted over them.
    pub files: FileSet,
    /// The last complete analysis; `None` until the first one.
    pub analysis: Option<Analysis>,
    /// Files changed since the last analysis started.
    pub dirty: bool,
    /// What analyses keep between them; `None` while a [`Job`] holds it.
    engine: Option<Engine>,
    /// The running analysis: its id and the flag that cancels it.
    running: Option<(u64, Arc<AtomicBool>)>,
    /// The client's git baseline (initialization options), handed to each analysis; the
    /// baselines themselves live in the engine (see [`crate::baseline`]).
    pub client_baseline: Option<String>,
    /// Files changed on disk since the last analysis started: resolve the git baselines again.
    verify_baselines: bool,
    /// Whether the last analysis checked a git baseline.
    baselines_in_use: bool,
}

/// The outcome of analysing a workspace's files as they stood when the analysis started.
pub struct Analysis {
    /// Every file the load read (the model's when it loaded).
    pub sources: SourceMap,
    /// Lint diagnostics, then compatibility findings as diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// The model, when the repo loaded.
    pub set: Option<EventSet>,
    /// The lock, when the repo has a readable one.
    pub lock: Option<Arc<load::Lock>>,
    /// Compatibility findings against the git baselines (not repeating the lock's).
    pub baseline_diagnostics: Vec<Diagnostic>,
}

/// What one workspace's analyses keep between them: the loader's per-file results, and the lock
/// with its releases rebuilt (kept while the lock file's bytes stay the same).
#[derive(Default)]
struct Engine {
    session: load::Session,
    /// The lock file's bytes, the lock read from them, and the releases rebuilt from it.
    lock: Option<(Vec<u8>, Option<Arc<load::Lock>>, check::Releases)>,
    /// The lock file's metadata when its bytes were last read, if it had then been unchanged for
    /// a while: while the metadata stays the same, the bytes are not read again.
    lock_stamp: Option<Stamp>,
    /// The git baselines read so far.
    baselines: GitBaselines,
    /// The style findings of the last analysis's types.
    lint: lint::Memo,
}

/// An analysis to run off the main loop: a snapshot of the workspace's files and its engine.
pub struct Job {
    pub root: PathBuf,
    pub id: u64,
    files: FileSet,
    engine: Engine,
    cancel: Arc<AtomicBool>,
}

/// A job's outcome: the analysis (`None` when cancelled or when it panicked) and the engine back.
pub struct Done {
    pub root: PathBuf,
    pub id: u64,
    pub analysis: Option<Analysis>,
    pub panicked: bool,
    engine: Engine,
}

impl Workspace {
    pub fn read(root: &Path) -> Workspace {
        Workspace {
            root: root.to_path_buf(),
            files: FileSet::read_dir(root),
            analysis: None,
            dirty: true,
            engine: Some(Engine::default()),
            running: None,
            client_baseline: None,
            verify_baselines: false,
            baselines_in_use: false,
        }
    }

    /// The name of `path` in the workspace (repo-relative, `/`), if it is under the root.
    pub fn name_of(&self, path: &Path) -> Option<String> {
        path.strip_prefix(&self.root).ok()?;
        Some(display_name(&self.root, path))
    }

    /// Lays an open buffer over the disk's copy.
    pub fn set_buffer(&mut self, path: &Path, text: &str) {
        if !is_relevant(path) {
            return;
        }
        if let Some(name) = self.name_of(path) {
            self.files.insert(name, text.as_bytes());
            self.changed();
        }
    }

    /// Reads `path` back from disk (a closed buffer, a file changed, created or deleted outside the
    /// editor). The lock is read at each analysis, so it needs nothing here.
    pub fn reload(&mut self, path: &Path) {
        let Some(name) = self.name_of(path) else { return };
        self.changed();
        if name == LOCK_FILE || !(name == CONFIG_FILE || herald_codegen::files::is_schema_file(&name)) {
            return;
        }
        if path.is_file() {
            match std::fs::read(path) {
                Ok(bytes) => self.files.insert(name, bytes),
                Err(_) => {
                    self.files.remove(&name);
                }
            }
        } else {
            self.files.remove(&name);
        }
    }

    /// Marks the files changed and cancels the running analysis (it analyses older text).
    fn changed(&mut self) {
        self.dirty = true;
        self.cancel();
    }

    /// Files changed on disk (a checkout, a pull may come with them): when a git baseline is in
    /// use, its revision may name another commit now, so it is resolved again.
    pub fn files_changed_on_disk(&mut self) {
        if self.baselines_in_use || self.client_baseline.is_some() {
            self.verify_baselines = true;
            self.changed();
        }
    }

    /// Cancels the running analysis, if any.
    pub fn cancel(&self) {
        if let Some((_, flag)) = &self.running {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether an analysis runs or is due.
    pub fn busy(&self) -> bool {
        self.dirty || self.running.is_some()
    }

    /// A job analysing the files as they stand, when they changed and no analysis runs (a
    /// cancelled one must come back first: it holds the engine).
    pub fn start(&mut self, id: u64) -> Option<Job> {
        if !self.dirty || self.running.is_some() {
            return None;
        }
        let mut engine = self.engine.take()?;
        self.dirty = false;
        engine.baselines.client = self.client_baseline.clone();
        if std::mem::take(&mut self.verify_baselines) {
            engine.baselines.verify = true;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.running = Some((id, cancel.clone()));
        Some(Job {
            root: self.root.clone(),
            id,
            files: self.files.clone(),
            engine,
            cancel,
        })
    }

    /// Takes a job's outcome back; true when it is the analysis of the files as they stand now
    /// (no newer change arrived meanwhile), whose diagnostics are the ones to publish. The analysis
    /// it replaces goes to `replaced`: the caller drops it once the diagnostics are out, off the
    /// loop (dropping a repo's model takes a while).
    pub fn finish(&mut self, done: Done, replaced: &mut Vec<Analysis>) -> bool {
        if self.running.as_ref().map(|(id, _)| *id) != Some(done.id) {
            return false;
        }
        self.running = None;
        // After a panic, the engine's caches may be half-written: start afresh.
        self.engine = Some(if done.panicked { Engine::default() } else { done.engine });
        self.baselines_in_use = self.engine.as_ref().is_some_and(|e| e.baselines.in_use());
        if done.panicked {
            replaced.extend(self.analysis.take());
            return !self.dirty;
        }
        match done.analysis {
            Some(analysis) => {
                replaced.extend(self.analysis.replace(analysis));
                !self.dirty
            }
            None => false,
        }
    }

    /// The diagnostics of the last analysis for the files `wanted` says yes to, by file path;
    /// diagnostics without a location go to `herald.toml` (or, without one, are dropped: the
    /// editor has nowhere to show them).
    pub fn diagnostics_by_path(
        &self,
        enc: Encoding,
        wanted: impl Fn(&Path) -> bool,
    ) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
        let mut out: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        let Some(analysis) = &self.analysis else { return out };
        let config = self.root.join(CONFIG_FILE);
        for d in analysis.diagnostics.iter().chain(&analysis.baseline_diagnostics) {
            let path = match d.span {
                Some(span) => match &analysis.sources.get(span.file).path {
                    Some(path) => path.as_path(),
                    None => continue,
                },
                None => config.as_path(),
            };
            if wanted(path) {
                out.entry(path.to_path_buf())
                    .or_default()
                    .push(to_lsp(d, &analysis.sources, enc));
            }
        }
        out
    }
}

impl Job {
    /// Runs the analysis (on whatever thread calls it) and hands the outcome to `deliver`; a panic
    /// inside is caught and reported in the outcome. The snapshot of the files is dropped after
    /// the outcome is delivered.
    pub fn run(self, deliver: impl FnOnce(Done)) {
        let Job {
            root,
            id,
            files,
            mut engine,
            cancel,
        } = self;
        let outcome = catch_unwind(AssertUnwindSafe(|| analyse(&root, &files, &mut engine, &cancel)));
        let (analysis, panicked) = match outcome {
            Ok(Ok(analysis)) => (Some(analysis), false),
            Ok(Err(load::Cancelled)) => (None, false),
            Err(_) => (None, true),
        };
        deliver(Done {
            root,
            id,
            analysis,
            panicked,
            engine,
        });
        drop(files);
    }
}

/// Loads, lints and checks `files` against the lock, reusing what `engine` kept from earlier
/// analyses; stops with [`load::Cancelled`] once `cancel` is set (asked between phases, and by the
/// loader between its own).
fn analyse(
    root: &Path,
    files: &FileSet,
    engine: &mut Engine,
    cancel: &AtomicBool,
) -> Result<Analysis, load::Cancelled> {
    let cancelled = || cancel.load(Ordering::Relaxed);
    let lock = read_lock(root, engine);
    let loaded = load::load_files_in(files, &mut engine.session, &cancelled)?;
    if cancelled() {
        return Err(load::Cancelled);
    }
    Ok(match loaded {
        Err(unusable) => {
            let Unusable {
                sources,
                mut diagnostics,
            } = *unusable;
            herald_codegen::diagnostic::sort(&mut diagnostics, &sources);
            Analysis {
                sources,
                diagnostics,
                set: None,
                lock,
                baseline_diagnostics: Vec::new(),
            }
        }
        Ok(LoadResult { set, diagnostics }) => {
            let mut diagnostics = lint::lint_set_in(&set, diagnostics, &mut engine.lint);
            if cancelled() {
                return Err(load::Cancelled);
            }
            if let Some((_, Some(lock), releases)) = &mut engine.lock {
                // A lock the current herald cannot compare with is `herald check`'s to report.
                if let Ok(findings) = check::check_against_lock_in(lock, &set, &CheckOptions::default(), releases) {
                    diagnostics.extend(findings.iter().map(check::to_diagnostic));
                }
            }
            if cancelled() {
                return Err(load::Cancelled);
            }
            let baseline_diagnostics = engine.baselines.check(root, &set, &diagnostics);
            Analysis {
                sources: set.sources_map.clone(),
                diagnostics,
                set: Some(set),
                lock,
                baseline_diagnostics,
            }
        }
    })
}

/// The workspace's lock as it is on disk now: the one `engine` holds while the file's bytes are
/// unchanged (with the releases already rebuilt from it), else read afresh.
fn read_lock(root: &Path, engine: &mut Engine) -> Option<Arc<load::Lock>> {
    let lock_path = root.join(LOCK_FILE);
    let stamp = Stamp::of(&lock_path);
    if let (Some(now), Some(held), Some((_, lock, _))) = (&stamp, &engine.lock_stamp, &engine.lock) {
        if now == held {
            return lock.clone();
        }
    }
    engine.lock_stamp = None;
    let bytes = if lock_path.is_file() {
        std::fs::read(&lock_path).ok()
    } else {
        None
    };
    let Some(bytes) = bytes else {
        engine.lock = None;
        return None;
    };
    // Trusted next time only if the file was already old when read: a write within the file
    // system's timestamp granularity of the read could leave the same metadata.
    engine.lock_stamp = stamp.filter(Stamp::settled);
    if let Some((held, lock, _)) = &engine.lock {
        if *held == bytes {
            return lock.clone();
        }
    }
    let mut lock_sources = SourceMap::new();
    let lock = herald_codegen::lock::read(&lock_path, &mut lock_sources)
        .ok()
        .map(Arc::new);
    engine.lock = Some((bytes, lock.clone(), check::Releases::default()));
    lock
}

/// What says a file is unchanged without reading it: its length, modification time and (on Unix)
/// inode and status-change time.
#[derive(PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: std::time::SystemTime,
    #[cfg(unix)]
    inode: (u64, i64, i64),
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_file)?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok()?,
            #[cfg(unix)]
            inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.ino(), meta.ctime(), meta.ctime_nsec())
            },
        })
    }

    /// Whether the file was last modified more than two seconds ago (more than any file system's
    /// timestamp granularity).
    fn settled(&self) -> bool {
        self.modified
            .elapsed()
            .is_ok_and(|age| age > std::time::Duration::from_secs(2))
    }
}

/// One herald diagnostic as the protocol's: rule ID as `code`, label and help folded into the
/// message, related spans as related information.
pub fn to_lsp(d: &Diagnostic, sources: &SourceMap, enc: Encoding) -> lsp::Diagnostic {
    let range = match d.span {
        Some(span) => {
            let file = sources.get(span.file);
            range_in(file, span.start as usize, span.end as usize, enc)
        }
        None => lsp::Range::default(),
    };
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push_str(&format!(" ({label})"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|(span, note)| {
            let file = sources.get(span.file);
            let uri = path_to_uri(file.path.as_deref()?)?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri, range_in(file, span.start as usize, span.end as usize, enc)),
                message: note.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.id.to_owned())),
        source: Some("herald".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}
