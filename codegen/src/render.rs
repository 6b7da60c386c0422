//! The machine renderings shared by `herald lint` and `herald check`: GitHub workflow
//! annotations, SARIF 2.1.0 and JUnit XML, all over [`Diagnostic`]s and the [`SourceMap`] whose
//! file names are already as they should be shown (relative to the current directory, or with
//! `--path-prefix`). A check finding becomes a `Diagnostic` (its hint the help, its event the
//! subject) before it is rendered, so both commands print the same shapes.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
use crate::span::{SourceMap, Span};

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
                }
            })
            .collect(),
    }
}
