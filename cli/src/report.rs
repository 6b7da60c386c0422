//! SARIF 2.1.0 and JUnit XML renderings of `herald check` findings, for code-scanning and test
//! report consumers. Only the command line writes these formats, so they live with it.

use herald_codegen::compat::check::CheckFinding;
use herald_codegen::diagnostic::Severity;
use herald_codegen::span::SourceMap;

/// SARIF 2.1.0: one run, one rule per rule ID, one result per finding. File names (relative to
/// the current directory, as the command line shows them) are URIs relative to the base
/// `SRCROOT`, whose location `srcroot` (the current directory) is given when known; absolute
/// names become `file://` URIs.
pub fn sarif(findings: &[CheckFinding], sources: &SourceMap, srcroot: Option<&std::path::Path>) -> String {
    let mut rules: Vec<&herald_codegen::rules::Rule> = findings.iter().map(|f| f.finding.rule).collect();
    rules.sort_unstable_by_key(|r| r.id);
    rules.dedup_by_key(|r| r.id);
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| serde_json::json!({"id": r.id, "shortDescription": {"text": r.purpose}}))
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut result = serde_json::json!({
                "ruleId": f.finding.rule,
                "level": f.severity.word(),
                "message": {"text": format!("{} (help: {})", f.finding.message, f.finding.hint)},
            });
            if let Some(span) = f.finding.span {
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
            "tool": {"driver": {"name": "herald", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
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

/// JUnit XML: one test case per finding (failed), or one passing case when there is none.
pub fn junit(findings: &[CheckFinding], sources: &SourceMap) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = findings.iter().filter(|f| f.severity == Severity::Error).count();
    out.push_str(&format!(
        "<testsuites name=\"herald check\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"herald check\" tests=\"{}\" failures=\"{failures}\">\n",
        findings.len().max(1),
        findings.len().max(1)
    ));
    if findings.is_empty() {
        out.push_str("    <testcase classname=\"herald.check\" name=\"no breaking changes\"/>\n");
    }
    for f in findings {
        let location = f
            .finding
            .span
            .map(|s| {
                let file = sources.get(s.file);
                let (line, col) = file.line_col(s.start as usize);
                format!("{}:{line}:{col}", file.name)
            })
            .unwrap_or_default();
        if f.severity == Severity::Warning {
            out.push_str(&format!(
                "    <testcase classname=\"herald.check.{}\" name=\"{}\">\n      <system-out>warning: {}</system-out>\n    </testcase>\n",
                xml_escape(f.finding.rule.id),
                xml_escape(&format!("{} {location}", f.event.as_deref().unwrap_or("schema"))),
                xml_escape(&format!("{location}: {} (help: {})", f.finding.message, f.finding.hint))
            ));
            continue;
        }
        out.push_str(&format!(
            "    <testcase classname=\"herald.check.{}\" name=\"{}\" file=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            xml_escape(f.finding.rule.id),
            xml_escape(&format!("{} {location}", f.event.as_deref().unwrap_or("schema"))),
            xml_escape(location.split(':').next().unwrap_or_default()),
            xml_escape(f.finding.rule.id),
            xml_escape(&f.finding.message),
            xml_escape(&format!("{location}: {} (help: {})", f.finding.message, f.finding.hint))
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>");
    out
}
