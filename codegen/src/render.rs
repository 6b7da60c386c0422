//! Every rendering of diagnostics, shared by `herald lint`, `herald check` and the build script:
//! human (rustc-style), JSON, GitHub workflow annotations, SARIF 2.1.0 and JUnit XML, all over [`Diagnostic`]s and the [`SourceMap`] whose
//! file names are already as they should be shown (relative to the current directory, or with
//! `--path-prefix`). A check finding becomes a `Diagnostic` (its hint the help, its event the
//! subject) before it is rendered, so both commands print the same shapes.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
use crate::span::{clamp_to_char_boundary, SourceMap, Span};

/// What differs between the commands in a rendering: the command's name and the text of the one
/// passing JUnit case when there is nothing to report.
#[derive(Debug, Clone, Copy)]
pub struct Tool<'a> {
    /// `check` or `lint`: the JUnit suite is `herald <command>`, its classes `herald.<command>.RULE`.
    pub command: &'a str,
    /// The passing case's name when there are no diagnostics, e.g. `no breaking changes`.
    pub all_clear: &'a str,
    /// The version the SARIF driver reports (the `herald` binary's).
    pub version: &'a str,
}

/// The message with its help, as the machine formats show it: `message (help: help)`.
fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{} (help: {help})", d.message),
        None => d.message.clone(),
    }
}

/// `file:line:col` of a diagnostic's span, or empty when it has none.
fn location(d: &Diagnostic, sources: &SourceMap) -> String {
    d.span
        .map(|s| {
            let file = sources.get(s.file);
            let (line, col) = file.line_col(s.start as usize);
            format!("{}:{line}:{col}", file.name)
        })
        .unwrap_or_default()
}

/// `--format github`: one workflow annotation line per diagnostic,
/// `::error file=F,line=L,col=C,title=RULE::message (help: help)`.
pub fn github(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let mut out = String::new();
    for d in diagnostics {
        let level = d.severity.word();
        let location = d
            .span
            .map(|s| {
                let file = sources.get(s.file);
                let (line, col) = file.line_col(s.start as usize);
                format!(" file={},line={line},col={col},", file.name.replace(',', "%2C"))
            })
            .unwrap_or_else(|| " ".to_owned());
        out.push_str(&format!(
            "::{level}{location}title={}::{}\n",
            d.rule,
            escape(&message_with_help(d))
        ));
    }
    out
}

/// SARIF 2.1.0: one run, one rule per rule ID, one result per diagnostic. File names (relative to
/// the current directory, as the command line shows them) are URIs relative to the base
/// `SRCROOT`, whose location `srcroot` (the current directory) is given when known; absolute
/// names become `file://` URIs.
pub fn sarif(diagnostics: &[Diagnostic], sources: &SourceMap, srcroot: Option<&std::path::Path>, tool: Tool) -> String {
    let mut rules: Vec<&crate::rules::Rule> = diagnostics.iter().map(|d| d.rule).collect();
    rules.sort_unstable_by_key(|r| r.id);
    rules.dedup_by_key(|r| r.id);
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| serde_json::json!({"id": r.id, "shortDescription": {"text": r.purpose}}))
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut result = serde_json::json!({
                "ruleId": d.rule,
                "level": d.severity.word(),
                "message": {"text": message_with_help(d)},
            });
            if let Some(span) = d.span {
                let file = sources.get(span.file);
                let (line, col) = file.line_col(span.start as usize);
                let (end_line, end_col) = file.line_col(span.end as usize);
                let artifact = if file.name.starts_with('/') {
                    serde_json::json!({"uri": format!("file://{}", uri_escape(&file.name))})
                } else {
                    serde_json::json!({"uri": uri_escape(&file.name), "uriBaseId": SRCROOT})
                };
                result["locations"] = serde_json::json!([{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}
                    }
                }]);
            }
            result
        })
        .collect();
    let base = match srcroot {
        Some(dir) => {
            let mut uri = format!("file://{}", uri_escape(&dir.to_string_lossy().replace('\\', "/")));
            if !uri.ends_with('/') {
                uri.push('/');
            }
            serde_json::json!({"uri": uri, "description": {"text": "the directory herald ran in"}})
        }
        None => serde_json::json!({"description": {"text": "the directory --path-prefix is relative to"}}),
    };
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "herald", "version": tool.version, "rules": rules}},
            "originalUriBaseIds": {SRCROOT: base},
            "results": results
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The base every relative SARIF location is relative to.
const SRCROOT: &str = "SRCROOT";

/// A path as URI text: everything but unreserved characters and `/` percent-encoded.
fn uri_escape(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: one test case per diagnostic (an error fails, a warning passes with its text as
/// output), named by its subject (`schema` when it has none) and location, or one passing case
/// when there is none.
pub fn junit(diagnostics: &[Diagnostic], sources: &SourceMap, tool: Tool) -> String {
    let suite = xml_escape(&format!("herald {}", tool.command));
    let class = xml_escape(&format!("herald.{}", tool.command));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let tests = diagnostics.len().max(1);
    out.push_str(&format!(
        "<testsuites name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\">\n",
    ));
    if diagnostics.is_empty() {
        out.push_str(&format!(
            "    <testcase classname=\"{class}\" name=\"{}\"/>\n",
            xml_escape(tool.all_clear)
        ));
    }
    for d in diagnostics {
        let location = location(d, sources);
        let name = xml_escape(&format!("{} {location}", d.subject.as_deref().unwrap_or("schema")));
        let text = xml_escape(&format!("{location}: {}", message_with_help(d)));
        let rule = xml_escape(d.rule.id);
        if d.severity == Severity::Warning {
            out.push_str(&format!(
                "    <testcase classname=\"{class}.{rule}\" name=\"{name}\">\n      <system-out>warning: {text}</system-out>\n    </testcase>\n",
            ));
            continue;
        }
        out.push_str(&format!(
            "    <testcase classname=\"{class}.{rule}\" name=\"{name}\" file=\"{}\">\n      <failure type=\"{rule}\" message=\"{}\">{text}</failure>\n    </testcase>\n",
            xml_escape(location.split(':').next().unwrap_or_default()),
            xml_escape(&d.message),
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>");
    out
}

/// `herald check --format json`: `{"breaking": bool, "counts": {...}, "findings": [...]}`.
#[derive(Debug, Serialize)]
pub struct JsonReport {
    /// The check fails (any error, a version not bumped included): exit code 1.
    pub breaking: bool,
    pub counts: JsonCounts,
    pub findings: Vec<JsonFinding>,
}

/// Findings by kind: breaking changes, versions not bumped (errors that break no consumer by
/// themselves) and warnings.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JsonCounts {
    pub breaking: usize,
    pub not_bumped: usize,
    pub warnings: usize,
}

impl JsonCounts {
    pub fn of(diagnostics: &[Diagnostic]) -> JsonCounts {
        let not_bumped = |d: &Diagnostic| d.check.as_ref().is_some_and(|c| c.not_bumped);
        let breaking = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !not_bumped(d))
            .count();
        let warnings = diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
        JsonCounts {
            breaking,
            not_bumped: diagnostics.len() - breaking - warnings,
            warnings,
        }
    }
}

/// One finding of [`JsonReport`].
#[derive(Debug, Serialize)]
pub struct JsonFinding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub old_file: Option<String>,
    pub old_line: Option<usize>,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub event: Option<String>,
    pub mode: Option<String>,
    /// The consumers the finding's events reach; left out when the repo declares no consumers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumers: Option<Vec<String>>,
}

/// Check's JSON report over its findings as diagnostics (with their [`crate::diagnostic::CheckData`]),
/// located in `new` and, for the baseline locations, in `old`.
pub fn check_json(diagnostics: &[Diagnostic], new: &SourceMap, old: &SourceMap) -> JsonReport {
    let at = |map: &SourceMap, span: Option<Span>| {
        span.map(|s| {
            let f = map.get(s.file);
            let (line, col) = f.line_col(s.start as usize);
            (f.name.clone(), line, col)
        })
    };
    JsonReport {
        breaking: diagnostics.iter().any(|d| d.severity == Severity::Error),
        counts: JsonCounts::of(diagnostics),
        findings: diagnostics
            .iter()
            .map(|d| {
                let check = d.check.as_deref().cloned().unwrap_or_default();
                let here = at(new, d.span);
                let there = at(old, check.old_span);
                JsonFinding {
                    rule: d.rule,
                    severity: d.severity,
                    message: d.message.clone(),
                    file: here.as_ref().map(|h| h.0.clone()),
                    line: here.as_ref().map(|h| h.1),
                    column: here.as_ref().map(|h| h.2),
                    old_file: there.as_ref().map(|t| t.0.clone()),
                    old_line: there.as_ref().map(|t| t.1),
                    type_name: check.type_name,
                    event: d.subject.clone(),
                    mode: check.mode,
                    consumers: check.consumers,
                }
            })
            .collect(),
    }
}

/// Renders diagnostics like rustc: `error[RULE]: message`, ` --> file:line:col`, the source line,
/// a caret and a help line. No colour, so that the output can be snapshotted and piped. Tabs are
/// shown as four spaces (the column number still counts a tab as one), and lines longer than
/// [`MAX_SHOWN_COLUMNS`] are cut to a window around the caret.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    human_styled(diagnostics, sources, false)
}

/// [`human`], with rustc's colours (ANSI escapes) when `color` is set: the severity and
/// rule, the message in bold, the gutter and arrows in blue, the caret in the severity's colour.
/// Without colour the text is exactly [`human`]'s; with it, the same text plus escapes.
pub fn human_styled(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
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

/// One diagnostic in `herald lint --format json`.
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

/// `herald lint --format json`: one object with every diagnostic and the counts.
pub fn json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
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

/// Most table rows [`markdown`] writes, so that the report fits a pull request comment; the
/// rest are counted.
pub const MARKDOWN_MAX_ROWS: usize = 50;

/// One comment-sized Markdown report for a pull request: a heading with the counts (or the
/// tool's all-clear sentence), then a table per subject (a `herald check` finding's event, else
/// the file): for check findings the change (location and message), rule, consumers it breaks,
/// the baseline version it breaks and the hint; for other diagnostics the location, rule, message
/// and help. Text from schemas is escaped so that it stays text in a table cell.
/// Long because it is one report's layout in order: heading, grouping, one table per group with
/// its columns chosen by kind, and the cut at [`MARKDOWN_MAX_ROWS`].
pub fn markdown(diagnostics: &[Diagnostic], sources: &SourceMap, tool: Tool<'_>) -> String {
    let mut out = String::new();
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        let mut clear = tool.all_clear.to_owned();
        if let Some(first) = clear.get(..1) {
            clear = format!("{}{}", first.to_uppercase(), &clear[1..]);
        }
        out.push_str(&format!("### herald {}\n\n{clear}.\n", tool.command));
        return out;
    }
    let is_check = diagnostics.iter().any(|d| d.check.is_some());
    // The consumers column only when the repo declares consumers.
    let with_consumers = diagnostics
        .iter()
        .any(|d| d.check.as_ref().is_some_and(|c| c.consumers.is_some()));
    let heading = if is_check {
        let c = JsonCounts::of(diagnostics);
        let mut parts = vec![format!("{} breaking change(s)", c.breaking)];
        if c.not_bumped > 0 {
            parts.push(format!("{} version(s) not bumped", c.not_bumped));
        }
        parts.push(format!("{} warning(s)", c.warnings));
        parts.join(", ")
    } else {
        format!("{errors} error(s), {warnings} warning(s)")
    };
    out.push_str(&format!("### herald {}: {heading}\n", tool.command));
    // Groups in first-seen order (diagnostics come sorted).
    let mut groups: Vec<(String, Vec<&Diagnostic>)> = Vec::new();
    for d in diagnostics {
        let key = match (&d.subject, d.span) {
            (Some(s), _) => s.clone(),
            (None, Some(span)) => sources.get(span.file).name.clone(),
            (None, None) => String::new(),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ds)) => ds.push(d),
            None => groups.push((key, vec![d])),
        }
    }
    let mut rows = 0;
    for (key, ds) in &groups {
        if rows >= MARKDOWN_MAX_ROWS {
            break;
        }
        let title = if key.is_empty() {
            "(no file)".to_owned()
        } else {
            format!("`{}`", cell(key))
        };
        out.push_str(&format!("\n#### {title}\n\n"));
        if is_check && with_consumers {
            out.push_str(
                "| Change | Rule | Breaks consumers | Breaks version | Hint |\n| --- | --- | --- | --- | --- |\n",
            );
        } else if is_check {
            out.push_str("| Change | Rule | Breaks version | Hint |\n| --- | --- | --- | --- |\n");
        } else {
            out.push_str("| Where | Rule | Problem | Hint |\n| --- | --- | --- | --- |\n");
        }
        for d in ds {
            if rows >= MARKDOWN_MAX_ROWS {
                break;
            }
            rows += 1;
            let place = d.span.map(|s| {
                let f = sources.get(s.file);
                let (line, col) = f.line_col(s.start as usize);
                format!("`{}:{line}:{col}`", cell(&f.name))
            });
            let severity = match d.severity {
                Severity::Error => "",
                Severity::Warning => " (warning)",
            };
            let hint = d.help.as_deref().map(cell).unwrap_or_default();
            if is_check {
                let check = d.check.as_deref().cloned().unwrap_or_default();
                let consumers = match check.consumers.as_deref() {
                    Some(names) if !names.is_empty() && d.severity == Severity::Error && !check.not_bumped => names
                        .iter()
                        .map(|n| format!("`{}`", cell(n)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => "-".to_owned(),
                };
                // The consumers have their own column.
                let message = match check.consumers.as_deref() {
                    Some(names) if !names.is_empty() => {
                        let suffix = breaks_suffix(names);
                        d.message.strip_suffix(suffix.as_str()).unwrap_or(&d.message).to_owned()
                    }
                    _ => d.message.clone(),
                };
                let change = match place {
                    Some(p) => format!("{p} {}", cell(&message)),
                    None => cell(&message),
                };
                let consumers = if with_consumers {
                    format!(" {consumers} |")
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "| {change}{severity} | `{}` |{consumers} {} | {hint} |\n",
                    d.rule.id,
                    check.baseline_version.as_deref().unwrap_or("-"),
                ));
            } else {
                out.push_str(&format!(
                    "| {} | `{}` | {}{severity} | {hint} |\n",
                    place.unwrap_or_else(|| "-".to_owned()),
                    d.rule.id,
                    cell(&d.message),
                ));
            }
        }
    }
    if diagnostics.len() > rows {
        out.push_str(&format!(
            "\n…and {} more; the job's log has them all.\n",
            diagnostics.len() - rows
        ));
    }
    out
}

/// What a breaking `herald check` finding's message ends with when its events reach consumers:
/// `; breaks `a`, `b``.
pub fn breaks_suffix(consumers: &[String]) -> String {
    let names: Vec<String> = consumers.iter().map(|n| format!("`{n}`")).collect();
    format!("; breaks {}", names.join(", "))
}

/// Text for one Markdown table cell: one line, `|` escaped, HTML characters as entities so that
/// a schema comment or name never becomes markup.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn markdown_cells_keep_schema_text_as_text() {
        assert_eq!(cell("a | b"), "a \\| b");
        assert_eq!(
            cell("<script>alert(1)</script> & co"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
        );
        assert_eq!(cell("two\nlines\r"), "two lines ");
    }

    #[test]
    fn markdown_is_cut_to_a_comment_size() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.proto", None, "x\n".to_owned());
        let diags: Vec<Diagnostic> = (0..MARKDOWN_MAX_ROWS + 7)
            .map(|i| Diagnostic::error(crate::rules::PROTO_SYNTAX, format!("problem {i}")).at(Span::new(file, 0, 1)))
            .collect();
        let tool = Tool {
            command: "lint",
            all_clear: "no problems",
            version: "0",
        };
        let text = markdown(&diags, &sources, tool);
        assert!(
            text.starts_with("### herald lint: 57 error(s), 0 warning(s)\n"),
            "{text}"
        );
        assert_eq!(text.matches("| `a.proto:1:1` |").count(), MARKDOWN_MAX_ROWS);
        assert!(text.ends_with("\n…and 7 more; the job's log has them all.\n"), "{text}");
    }

    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::rules;
    use crate::span::{SourceMap, Span};

    #[test]
    fn renders_like_rustc_with_tabs_and_long_lines() {
        let mut map = SourceMap::new();
        let id = map.add("a.proto", None, "message A {\n\tstring BadName = 1;\n}\n".to_owned());
        let start = map.get(id).text.find("BadName").unwrap_or(0);
        let d = Diagnostic::warning(rules::FIELD_LOWER_SNAKE_CASE, "bad")
            .at(Span::new(id, start, start + 7))
            .help("rename it");
        let text = human(&[d], &map);
        assert_eq!(
            text,
            "warning[FIELD_LOWER_SNAKE_CASE]: bad\n --> a.proto:2:9\n  |\n2 |     string BadName = 1;\n  |            ^^^^^^^\n  |\n  = help: rename it\n\n"
        );
        let long = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let id = map.add("b.avsc", None, long);
        let d = Diagnostic::error(rules::AVRO_SCHEMA, "x").at(Span::new(id, 500, 501));
        let text = human(&[d], &map);
        let shown = text.lines().nth(3).unwrap_or_default();
        assert!(shown.len() < 140, "{shown}");
        let caret = text.lines().nth(4).unwrap_or_default();
        let x = shown.find('X').unwrap_or(0);
        assert_eq!(caret.find('^'), Some(x), "{text}");
    }

    const TOOL: Tool = Tool {
        command: "lint",
        all_clear: "no problems",
        version: "0.0.0",
    };

    /// A diagnostic without help (most of lint's) and one without a file: the machine formats
    /// leave out the help and the location rather than printing empty ones.
    #[test]
    fn machine_formats_without_help_or_file() {
        let mut map = SourceMap::new();
        let id = map.add("dir, with comma/a.proto", None, "message A {}\n".to_owned());
        let at = Diagnostic::error(rules::PROTO_SYNTAX, "50% <bad>\nline").at(Span::new(id, 8, 9));
        let mut nowhere = Diagnostic::warning(rules::FIELD_LOWER_SNAKE_CASE, "w").help("h");
        nowhere.subject = Some("orders.Placed".to_owned());
        let diags = [at, nowhere];
        assert_eq!(
            github(&diags, &map),
            "::error file=dir%2C with comma/a.proto,line=1,col=9,title=PROTO_SYNTAX::50%25 <bad>%0Aline\n::warning title=FIELD_LOWER_SNAKE_CASE::w (help: h)\n"
        );
        let xml = junit(&diags, &map, TOOL);
        assert!(
            xml.contains("<testsuites name=\"herald lint\" tests=\"2\" failures=\"1\">"),
            "{xml}"
        );
        assert!(xml.contains("message=\"50% &lt;bad&gt;\nline\""), "{xml}");
        assert!(xml.contains("name=\"orders.Placed \""), "{xml}");
        let sarif: serde_json::Value = serde_json::from_str(&sarif(&diags, &map, None, TOOL)).unwrap_or_default();
        let results = &sarif["runs"][0]["results"];
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir%2C%20with%20comma/a.proto"
        );
        assert!(results[1].get("locations").is_none(), "{sarif}");
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"].as_array().map(Vec::len),
            Some(2)
        );
        assert!(junit(&[], &map, TOOL).contains("<testcase classname=\"herald.lint\" name=\"no problems\"/>"));
    }
}
