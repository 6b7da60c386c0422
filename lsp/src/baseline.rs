//! Live compatibility against a git revision, besides the lock: `[lsp] baseline = "git:REV"` in
//! herald.toml, or `{"baseline": "git:REV"}` in the client's initialization options. Each
//! revision's files are read from git's object database and loaded once (`herald check --against
//! git:REV` reads the same files, [`herald_codegen::baseline::git_files`]); every analysis then
//! checks the current model against the cached one and reports its findings as the lock's are.
//! When the client reports files changed on disk (a checkout, a pull), each cached revision is
//! resolved again and read again if it names another commit now.

use std::collections::HashMap;
use std::path::Path;

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::diagnostic::Diagnostic;
use herald_codegen::load::{self, LoadResult};
use herald_codegen::model::EventSet;
use herald_codegen::rules;
use herald_codegen::span::Span;

/// The git baselines of one workspace and what was read of them.
#[derive(Default)]
pub struct GitBaselines {
    /// The client's baseline (initialization options), as written (`git:REV`).
    pub client: Option<String>,
    /// Each baseline read so far, by its `git:REV` text: the commit it named then, and its model
    /// or why it cannot be used.
    cache: HashMap<String, (Option<String>, Result<EventSet, String>)>,
    /// Files changed on disk since the last check: resolve the cached revisions again.
    pub verify: bool,
}

impl GitBaselines {
    /// Whether a git baseline is asked for (by the client) or was read (for herald.toml).
    pub fn in_use(&self) -> bool {
        self.client.is_some() || !self.cache.is_empty()
    }

    /// The findings of `set` (the workspace rooted at `root` as it stands) against each git
    /// baseline asked for, as diagnostics; a baseline that cannot be read or loaded is one error
    /// diagnostic, at herald.toml's setting when it comes from there. Findings the lock's check
    /// already reports at the same place (`reported`) are not repeated.
    pub fn check(&mut self, root: &Path, set: &EventSet, reported: &[Diagnostic]) -> Vec<Diagnostic> {
        let mut wanted: Vec<(String, Option<Span>)> = Vec::new();
        if let Some((rev, span)) = set.config.as_ref().and_then(|c| c.lsp_baseline.clone()) {
            wanted.push((rev, Some(span)));
        }
        if let Some(rev) = &self.client {
            if !wanted.iter().any(|(w, _)| w == rev) {
                wanted.push((rev.clone(), None));
            }
        }
        if std::mem::take(&mut self.verify) {
            self.cache
                .retain(|written, (commit, _)| *commit == resolve(root, written));
        }
        let mut out = Vec::new();
        for (written, span) in wanted {
            let (_, baseline) = self
                .cache
                .entry(written.clone())
                .or_insert_with(|| (resolve(root, &written), read(root, &written)));
            let base = match baseline {
                Ok(base) => base,
                Err(e) => {
                    let origin = if span.is_some() {
                        "herald.toml's [lsp] baseline"
                    } else {
                        "the editor's baseline"
                    };
                    let mut d = Diagnostic::error(
                        rules::CONFIG_BAD_VALUE,
                        format!("{origin} `{written}` cannot be used: {e}"),
                    )
                    .help("name a revision of the repo's git history, e.g. \"git:main\"");
                    if let Some(span) = span {
                        d = d.at(span);
                    }
                    out.push(d);
                    continue;
                }
            };
            for finding in check::check(base, set, &CheckOptions::default()) {
                let mut d = check::to_diagnostic(&finding);
                let repeated = reported
                    .iter()
                    .any(|r| r.rule == d.rule && r.span == d.span && r.check.is_some());
                if repeated {
                    continue;
                }
                d.message = format!("{} (against {written})", d.message);
                out.push(d);
            }
        }
        out
    }
}

/// The commit `written` (`git:REV`) names in the repository holding `root`, if any.
fn resolve(root: &Path, written: &str) -> Option<String> {
    let rev = written.strip_prefix("git:")?;
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The model of the repo rooted at `root` at `written` (`git:REV`).
fn read(root: &Path, written: &str) -> Result<EventSet, String> {
    let Some(rev) = written.strip_prefix("git:").filter(|r| !r.trim().is_empty()) else {
        return Err("a baseline is written `git:REV`".to_owned());
    };
    let files = herald_codegen::baseline::git_files(root, rev)?;
    match load::load_files(&files) {
        Ok(LoadResult { set, .. }) => Ok(set),
        Err(unusable) => Err(format!(
            "its schema files do not load ({} error{})",
            unusable.diagnostics.len(),
            if unusable.diagnostics.len() == 1 { "" } else { "s" }
        )),
    }
}
