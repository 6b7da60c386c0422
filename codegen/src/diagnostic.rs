//! Diagnostics: one struct for every problem herald reports, rendered rustc-style or as JSON.

use serde::Serialize;

use crate::span::{clamp_to_char_boundary, SourceMap, Span};

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

/// Renders diagnostics like rustc: `error[RULE]: message`, ` --> file:line:col`, the source line,
/// a caret and a help line. No colour, so that the output can be snapshotted and piped. Tabs are
/// shown as four spaces (the column number still counts a tab as one), and lines longer than
/// [`MAX_SHOWN_COLUMNS`] are cut to a window around the caret.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    render_human_styled(diagnostics, sources, false)
}

/// [`render_human`], with rustc's colours (ANSI escapes) when `color` is set: the severity and
/// rule, the message in bold, the gutter and arrows in blue, the caret in the severity's colour.
/// Without colour the text is exactly [`render_human`]'s; with it, the same text plus escapes.
pub fn render_human_styled(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    use anstyle::{AnsiColor, Style};
    let paint = |style: Style, text: &str| -> String {
        if color && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    };
    let bold = Style::new().bold();
    let gutter = AnsiColor::BrightBlue.on_default().bold();
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => AnsiColor::BrightRed.on_default().bold(),
            Severity::Warning => AnsiColor::BrightYellow.on_default().bold(),
        };
        out.push_str(&paint(level, &format!("{}[{}]", d.severity.word(), d.rule)));
        out.push_str(&paint(bold, &format!(": {}", d.message)));
        out.push('\n');
        let mut blocks: Vec<(Span, Option<&str>, char)> = Vec::new();
        if let Some(span) = d.span {
            blocks.push((span, d.label.as_deref(), '^'));
        }
        for (span, note) in &d.related {
            blocks.push((*span, Some(note.as_str()), '-'));
        }
        let width = blocks
            .iter()
            .map(|(span, ..)| sources.get(span.file).line_col(span.start as usize).0.to_string().len())
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(width);
        let bar = paint(gutter, &format!("{pad} |"));
        for (i, (span, label, mark)) in blocks.iter().enumerate() {
            let file = sources.get(span.file);
            let (line, col) = file.line_col(span.start as usize);
            let arrow = if i == 0 { "-->" } else { ":::" };
            out.push_str(&format!("{pad}{} {}:{line}:{col}\n", paint(gutter, arrow), file.name));
            out.push_str(&format!("{bar}\n"));
            let range = file.line_range(line - 1);
            let text = &file.text[range.clone()];
            let start = (span.start as usize).clamp(range.start, range.end) - range.start;
            let end = (span.end as usize).clamp(range.start, range.end) - range.start;
            let (shown, caret_at, caret_len) = window(text, start, end.max(start));
            out.push_str(&format!("{} {shown}\n", paint(gutter, &format!("{line:>width$} |"))));
            let caret = mark.to_string().repeat(caret_len.max(1));
            let label = label.map(|l| format!(" {l}")).unwrap_or_default();
            // Trailing spaces are trimmed (an empty label), as in the plain text.
            let marks = format!("{caret}{label}");
            let marks = marks.trim_end();
            let mark_style = if *mark == '^' { level } else { gutter };
            out.push_str(&format!("{bar} {}{}", " ".repeat(caret_at), paint(mark_style, marks)));
            out.push('\n');
            if i + 1 < blocks.len() || d.help.is_some() {
                out.push_str(&format!("{bar}\n"));
            }
        }
        if let Some(help) = &d.help {
            out.push_str(&format!("{pad} {} {help}\n", paint(gutter.bold(), "= help:")));
        }
        out.push('\n');
    }
    out
}

/// Longest source line shown in full; longer ones are cut around the caret.
pub const MAX_SHOWN_COLUMNS: usize = 120;

/// The part of `line` to show, the display column of the caret and the caret's length, for a
/// span from byte `start` to byte `end` of the line.
fn window(line: &str, start: usize, end: usize) -> (String, usize, usize) {
    let start = clamp_to_char_boundary(line, start);
    let end = clamp_to_char_boundary(line, end);
    // Display cells: tabs become four spaces.
    let cells = |s: &str| s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum::<usize>();
    let expand = |s: &str| s.replace('\t', "    ");
    let total = cells(line);
    let caret_at = cells(&line[..start]);
    let caret_len = cells(&line[start..end]);
    if total <= MAX_SHOWN_COLUMNS {
        return (expand(line), caret_at, caret_len);
    }
    // Keep about 40 characters before the caret and cut the rest.
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let first = chars.iter().position(|(i, _)| *i >= start).unwrap_or(chars.len());
    let from = first.saturating_sub(40);
    let to = (from + MAX_SHOWN_COLUMNS - 40).min(chars.len());
    let byte_from = chars.get(from).map(|c| c.0).unwrap_or(line.len());
    let byte_to = chars.get(to).map(|c| c.0).unwrap_or(line.len());
    let mut shown = String::new();
    let mut offset = 0;
    if from > 0 {
        shown.push_str("...");
        offset = 3;
    }
    shown.push_str(&expand(&line[byte_from..byte_to]));
    if byte_to < line.len() {
        shown.push_str("...");
    }
    let caret_at = offset + cells(&line[byte_from..start.max(byte_from)]);
    let caret_len = caret_len.min(cells(&line[start.min(byte_to)..byte_to]).max(1));
    (shown, caret_at, caret_len)
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
            rule: d.rule.id,
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
        errors: diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
        warnings: diagnostics.iter().filter(|d| d.severity == Severity::Warning).count(),
        diagnostics: diagnostics.iter().map(|d| JsonDiagnostic::new(d, sources)).collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;
    use crate::span::SourceMap;

    #[test]
    fn renders_like_rustc_with_tabs_and_long_lines() {
        let mut map = SourceMap::new();
        let id = map.add("a.proto", None, "message A {\n\tstring BadName = 1;\n}\n".to_owned());
        let start = map.get(id).text.find("BadName").unwrap_or(0);
        let d = Diagnostic::warning(rules::FIELD_LOWER_SNAKE_CASE, "bad")
            .at(Span::new(id, start, start + 7))
            .help("rename it");
        let text = render_human(&[d], &map);
        assert_eq!(
            text,
            "warning[FIELD_LOWER_SNAKE_CASE]: bad\n --> a.proto:2:9\n  |\n2 |     string BadName = 1;\n  |            ^^^^^^^\n  |\n  = help: rename it\n\n"
        );
        let long = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let id = map.add("b.avsc", None, long);
        let d = Diagnostic::error(rules::AVRO_SCHEMA, "x").at(Span::new(id, 500, 501));
        let text = render_human(&[d], &map);
        let shown = text.lines().nth(3).unwrap_or_default();
        assert!(shown.len() < 140, "{shown}");
        let caret = text.lines().nth(4).unwrap_or_default();
        let x = shown.find('X').unwrap_or(0);
        assert_eq!(caret.find('^'), Some(x), "{text}");
    }
}
