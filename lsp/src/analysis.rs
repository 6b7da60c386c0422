//! One workspace: its files (read from disk once, open buffers laid over them), and the outcome of
//! the last analysis (lint, compatibility against `herald.lock`, the model for navigation).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// The last analysis; `None` until the first one.
    pub analysis: Option<Analysis>,
    /// Files changed since the last analysis.
    pub dirty: bool,
    /// The git baselines checked besides the lock (see [`crate::baseline`]).
    pub git_baselines: GitBaselines,
}

/// The outcome of analysing a workspace's files as they stand.
pub struct Analysis {
    /// Every file the load read (the model's when it loaded).
    pub sources: SourceMap,
    /// Lint diagnostics, then compatibility findings as diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// The model, when the repo loaded.
    pub set: Option<EventSet>,
    /// The lock, when the repo has a readable one.
    pub lock: Option<load::Lock>,
    /// Compatibility findings against the git baselines (not repeating the lock's).
    pub baseline_diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    pub fn read(root: &Path) -> Workspace {
        Workspace {
            root: root.to_path_buf(),
            files: FileSet::read_dir(root),
            analysis: None,
            dirty: true,
            git_baselines: GitBaselines::default(),
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
            self.dirty = true;
        }
    }

    /// Reads `path` back from disk (a closed buffer, a file changed, created or deleted outside the
    /// editor). The lock is read at each analysis, so it needs nothing here.
    pub fn reload(&mut self, path: &Path) {
        let Some(name) = self.name_of(path) else { return };
        self.dirty = true;
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

    /// Loads, lints and checks the files as they stand.
    pub fn analyse(&mut self) {
        self.dirty = false;
        let mut lock_sources = SourceMap::new();
        let lock_path = self.root.join(LOCK_FILE);
        let lock = if lock_path.is_file() {
            herald_codegen::lock::read(&lock_path, &mut lock_sources).ok()
        } else {
            None
        };
        self.analysis = Some(match load::load_files(&self.files) {
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
                let mut diagnostics = lint::lint_set(&set, diagnostics);
                if let Some(lock) = &lock {
                    // A lock the current herald cannot compare with is `herald check`'s to report.
                    if let Ok(findings) = check::check_against_lock(lock, &set, &CheckOptions::default()) {
                        diagnostics.extend(findings.iter().map(check::to_diagnostic));
                    }
                }
                let baseline_diagnostics = self.git_baselines.check(&self.root, &set, &diagnostics);
                Analysis {
                    sources: set.sources_map.clone(),
                    diagnostics,
                    set: Some(set),
                    lock,
                    baseline_diagnostics,
                }
            }
        });
    }

    /// The diagnostics of the last analysis by file path; diagnostics without a location go to
    /// `herald.toml` (or, without one, are dropped: the editor has nowhere to show them).
    pub fn diagnostics_by_path(&self, enc: Encoding) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
        let mut out: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        let Some(analysis) = &self.analysis else { return out };
        for d in analysis.diagnostics.iter().chain(&analysis.baseline_diagnostics) {
            let path = match d.span {
                Some(span) => match &analysis.sources.get(span.file).path {
                    Some(path) => path.clone(),
                    None => continue,
                },
                None => self.root.join(CONFIG_FILE),
            };
            out.entry(path).or_default().push(to_lsp(d, &analysis.sources, enc));
        }
        out
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
