//! Diagnostics: one struct for every problem herald reports, rendered rustc-style or as JSON.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use serde::Serialize;

use crate::span::{SourceMap, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A problem found in the input, located in a source file when it can be.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable rule ID, e.g. `PROTO_SYNTAX` or `FIELD_LOWER_SNAKE_CASE`.
    pub rule: &'static str,
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
}

impl Diagnostic {
    pub fn error(rule: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn warning(rule: &'static str, message: impl Into<String>) -> Diagnostic {
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
                self.rule,
                self.message.clone(),
            ),
            None => (String::new(), 0, self.rule, self.message.clone()),
        }
    }
}

/// Sorts diagnostics by file and position and removes exact duplicates.
pub fn sort(diagnostics: &mut Vec<Diagnostic>, sources: &SourceMap) {
    diagnostics.sort_by_cached_key(|d| d.sort_key(sources));
    diagnostics.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
}

/// Renders diagnostics like rustc: `error[RULE]: message`, ` --> file:line:col`, the source line,
/// a caret and a help line. No colour, so that the output can be snapshotted and piped.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    let config = term::Config::default();
    for d in diagnostics {
        let mut cs_diag = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_code(d.rule)
        .with_message(&d.message);
        let mut labels = Vec::new();
        if let Some(span) = d.span {
            labels.push(
                cs::Label::primary(span.file, span.start as usize..span.end as usize)
                    .with_message(d.label.clone().unwrap_or_default()),
            );
        }
        for (span, note) in &d.related {
            labels.push(
                cs::Label::secondary(span.file, span.start as usize..span.end as usize)
                    .with_message(note),
            );
        }
        cs_diag = cs_diag.with_labels(labels);
        if let Some(help) = &d.help {
            cs_diag = cs_diag.with_notes(vec![format!("help: {help}")]);
        }
        // Writing into a Vec cannot fail; a failure here would be a bug in a span, so fall back
        // to a plain line rather than losing the diagnostic.
        if term::emit_to_string(&mut out, &config, sources, &cs_diag).is_err() {
            out.push_str(&format!(
                "{}[{}]: {}\n",
                severity_word(d.severity),
                d.rule,
                d.message
            ));
        }
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic in `--format json`.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    pub fn new(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
        let (file, start, end) = match d.span {
            Some(span) => {
                let f = sources.get(span.file);
                (
                    Some(f.name.clone()),
                    Some(f.line_col(span.start as usize)),
                    Some(f.line_col(span.end as usize)),
                )
            }
            None => (None, None, None),
        };
        JsonDiagnostic {
            rule: d.rule,
            severity: d.severity,
            message: d.message.clone(),
            file,
            line: start.map(|s| s.0),
            column: start.map(|s| s.1),
            end_line: end.map(|e| e.0),
            end_column: end.map(|e| e.1),
            help: d.help.clone(),
        }
    }
}

/// `--format json`: one object with every diagnostic and the counts.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    #[derive(Serialize)]
    struct Report {
        errors: usize,
        warnings: usize,
        diagnostics: Vec<JsonDiagnostic>,
    }
    let report = Report {
        errors: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        warnings: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count(),
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic::new(d, sources))
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
