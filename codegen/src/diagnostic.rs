//! Diagnostics: one struct for every problem herald reports; `crate::render` renders them.

use crate::span::{SourceMap, Span};

use crate::rules::Rule;
pub use crate::rules::Severity;

/// A problem found in the input, located in a source file when it can be.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The registered rule, e.g. [`crate::rules::PROTO_SYNTAX`]; its `id` is what the renderings print.
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` only for problems with no file (a missing directory).
    pub span: Option<Span>,
    /// Short text under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Other places involved (the first definition of a duplicate, the other end of a cycle).
    pub related: Vec<(Span, String)>,
    /// What it concerns when that is more than its file, e.g. the event of a `herald check`
    /// finding; the JUnit rendering names its case by it.
    pub subject: Option<String>,
    /// What a `herald check` finding adds (`None` for every other diagnostic); check's JSON report
    /// shows it.
    pub check: Option<Box<CheckData>>,
}

/// The parts of a `herald check` finding a [`Diagnostic`] has no other place for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckData {
    /// Where the element was in the baseline (a span of the baseline's source map).
    pub old_span: Option<Span>,
    /// The type (message, record, enum) concerned, if any.
    pub type_name: Option<String>,
    /// The name of the compatibility mode that made it an error, if any.
    pub mode: Option<String>,
    /// An error that breaks no consumer by itself: a version not bumped.
    pub not_bumped: bool,
    /// The consumers its events reach (`herald.toml`'s `[consumers]`); `None` when the repo
    /// declares none.
    pub consumers: Option<Vec<String>>,
    /// The event's version in the baseline (the release, against the lock) this finding is
    /// judged against.
    pub baseline_version: Option<String>,
}

impl Diagnostic {
    pub fn error(rule: &'static Rule, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
            subject: None,
            check: None,
        }
    }

    pub fn warning(rule: &'static Rule, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(rule, message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.related.push((span, note.into()));
        self
    }

    /// Sort key: file, position, rule, so that output order is stable.
    fn sort_key(&self, sources: &SourceMap) -> (String, u32, &'static str, String) {
        match self.span {
            Some(span) => (
                sources.get(span.file).name.clone(),
                span.start,
                self.rule.id,
                self.message.clone(),
            ),
            None => (String::new(), 0, self.rule.id, self.message.clone()),
        }
    }
}

/// Sorts diagnostics by file and position and removes exact duplicates.
pub fn sort(diagnostics: &mut Vec<Diagnostic>, sources: &SourceMap) {
    diagnostics.sort_by_cached_key(|d| d.sort_key(sources));
    diagnostics.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
}
