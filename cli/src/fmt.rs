//! `herald fmt`: formats `.proto` and `.avsc` files in place, or says which would change.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use herald_codegen::diagnostic::Diagnostic;
use herald_codegen::fmt::SyntaxError;
use herald_codegen::model::Format;
use herald_codegen::rules;
use herald_codegen::span::{SourceMap, Span};

/// `herald fmt --help`'s closing text.
pub const HELP: &str = "\
Layout: .proto files exactly as `buf format` lays them out; .avsc files in herald's one layout
(2-space indent, keys in the Avro specification's order, an object or array on one line when
it fits in 100 columns, strings and numbers as spelled; see ARCHITECTURE.md). Line breaks are
LF whatever the input had; a leading BOM is kept in .avsc files and dropped from .proto files
(as buf drops it).

Without --check or --diff, files that would change are rewritten in place (a temporary file in
the same directory renamed over the original, permissions kept); files already formatted are
not touched. A file that does not parse is left as it is and reported, located, as `herald lint`
reports it; the other files are still formatted.

Exit codes: 0 done (or, with --check/--diff, nothing to change); 1 (--check/--diff) some file
would change; 2 a file could not be parsed, read or written, or a PATH does not exist.";

/// One file's outcome.
enum Outcome {
    /// Already formatted.
    Same,
    /// The formatted text differs from `old`.
    Changed { old: String, new: String },
    /// It does not parse: the located report to print.
    Broken(String),
    /// It cannot be read.
    Unreadable(String),
}

/// Runs `herald fmt`.
pub fn run(paths: Vec<PathBuf>, check: bool, diff: bool) -> ExitCode {
    let mut failed = false;
    let mut files: Vec<(PathBuf, Format)> = Vec::new();
    let inputs = if paths.is_empty() {
        vec![crate::repo_or_found(None)]
    } else {
        paths
    };
    for input in inputs {
        match std::fs::metadata(&input) {
            Err(e) => {
                errln!("herald fmt: cannot read `{}`: {e}", input.display());
                failed = true;
            }
            Ok(m) if m.is_dir() => {
                for file in herald_codegen::load::input_files(&input) {
                    if let Some(format) = format_of(&file) {
                        files.push((file, format));
                    }
                }
            }
            Ok(_) => match format_of(&input) {
                Some(format) => files.push((input, format)),
                None => {
                    errln!(
                        "herald fmt: `{}` is neither a .proto nor an .avsc file",
                        input.display()
                    );
                    failed = true;
                }
            },
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|(p, _)| seen.insert(p.clone()));

    let outcomes = format_all(&files);
    let mut changed = 0usize;
    for ((path, _), outcome) in files.iter().zip(outcomes) {
        let shown = shown(path);
        match outcome {
            Outcome::Same => {}
            Outcome::Changed { old, new } => {
                changed += 1;
                if diff {
                    let text = similar::TextDiff::from_lines(&old, &new)
                        .unified_diff()
                        .context_radius(3)
                        .header(&format!("a/{shown}"), &format!("b/{shown}"))
                        .to_string();
                    out!("{text}");
                } else if check {
                    outln!("{shown}");
                } else if let Err(e) = write_atomically(path, new.as_bytes()) {
                    errln!("herald fmt: cannot write {shown}: {e}");
                    failed = true;
                }
            }
            Outcome::Broken(report) => {
                err!("{report}");
                failed = true;
            }
            Outcome::Unreadable(why) => {
                errln!("herald fmt: cannot read {shown}: {why}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else if changed > 0 && (check || diff) {
        errln!("herald fmt: {changed} file(s) would be reformatted");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("proto") => Some(Format::Proto),
        Some("avsc") => Some(Format::Avro),
        _ => None,
    }
}

/// `path` relative to the current directory, as the other commands show files.
fn shown(path: &Path) -> String {
    herald_codegen::span::display_path(path)
}

/// Formats every file, on every core; outcomes in the order of `files`.
fn format_all(files: &[(PathBuf, Format)]) -> Vec<Outcome> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    if threads <= 1 || files.len() < 16 {
        return files.iter().map(|(p, f)| format_file(p, *f)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(p, f)| format_file(p, *f)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Outcome::Unreadable("the formatter failed (a defect in herald)".into())])
            })
            .collect()
    })
}

fn format_file(path: &Path, format: Format) -> Outcome {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > herald_codegen::load::MAX_FILE_BYTES => return Outcome::Broken(loader_report(path, None)),
        Ok(_) => {}
        Err(e) => return Outcome::Unreadable(e.to_string()),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Outcome::Unreadable(e.to_string()),
    };
    let Ok(old) = String::from_utf8(bytes) else {
        return Outcome::Broken(loader_report(path, None));
    };
    // The formatters see the text after a BOM, as the loader does. An .avsc file keeps its BOM; a
    // .proto file loses it, as `buf format` drops it.
    let (bom, body) = match old.strip_prefix('\u{feff}') {
        Some(rest) if format == Format::Avro => ("\u{feff}", rest),
        Some(rest) => ("", rest),
        None => ("", old.as_str()),
    };
    match herald_codegen::fmt::format(format, body) {
        Ok(formatted) => {
            let new = format!("{bom}{formatted}");
            if new == old {
                Outcome::Same
            } else {
                Outcome::Changed { old, new }
            }
        }
        Err(e) => Outcome::Broken(loader_report(path, Some((body, e)))),
    }
}

/// The rules by which the loader says a file does not parse (or cannot be read as text).
const SYNTAX_RULES: &[&rules::Rule] = &[
    rules::FILE_UNREADABLE,
    rules::FILE_TOO_LARGE,
    rules::FILE_NOT_UTF8,
    rules::PROTO_SYNTAX,
    rules::AVRO_JSON_SYNTAX,
];

/// What `herald lint` says about `path` not parsing: the loader's diagnostic for it, rendered as
/// lint renders it; when the loader finds no syntax error (the formatter is stricter), the
/// formatter's own, as a `FMT_SYNTAX` error.
fn loader_report(path: &Path, syntax: Option<(&str, SyntaxError)>) -> String {
    match herald_codegen::load::load(path) {
        Ok(loaded) => {
            let found: Vec<Diagnostic> = loaded
                .diagnostics
                .into_iter()
                .filter(|d| d.severity == herald_codegen::Severity::Error && SYNTAX_RULES.contains(&d.rule))
                .collect();
            if !found.is_empty() {
                return crate::render_from(&found, &loaded.set.sources_map, path);
            }
        }
        Err(u) => return crate::render_from(&u.diagnostics, &u.sources, path),
    }
    let mut sources = SourceMap::new();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (text, error) = match syntax {
        Some((text, e)) => (text.to_owned(), e),
        None => (
            String::new(),
            SyntaxError {
                offset: 0,
                len: 0,
                message: "the file cannot be read as text".to_owned(),
            },
        ),
    };
    let id = sources.add(name, Some(path.to_path_buf()), text);
    let diagnostic = Diagnostic::error(rules::FMT_SYNTAX, error.message)
        .at(Span::new(id, error.offset, error.offset + error.len))
        .help("herald fmt formats only files that parse; fix this one and run it again");
    crate::render_from(&[diagnostic], &sources, path)
}

/// Replaces `path`'s contents with `bytes` atomically: a temporary file in the same directory,
/// given the original's permissions, renamed over it, so that a reader sees the old file or the
/// new one, never half of one. Not synced to disk (as rustfmt and buf do not: an fsync per file
/// made rewriting 1,000 files take 4 s instead of a fraction of one). A read-only file is refused,
/// as a plain write would be, although the rename could replace it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let permissions = std::fs::metadata(path)?.permissions();
    if permissions.readonly() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".herald-fmt-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the loader reads a file the formatter refuses (a stricter formatter), the formatter's
    /// own error is reported, located, as FMT_SYNTAX.
    #[test]
    fn a_file_the_loader_reads_gets_the_formatters_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ok.avsc");
        let text = "{\"type\": \"enum\",\n \"name\": \"E\", \"symbols\": [\"A\"]}\n";
        std::fs::write(&path, text).expect("write");
        let error = SyntaxError {
            offset: 18,
            len: 6,
            message: "refused here".to_owned(),
        };
        let report = loader_report(&path, Some((text, error)));
        assert!(report.contains("error[FMT_SYNTAX]: refused here"), "{report}");
        assert!(report.contains("ok.avsc:2:2"), "{report}");
        assert!(report.contains("^^^^^^"), "{report}");
        // A file the loader refuses: its own diagnostic, whatever the formatter said.
        std::fs::write(&path, "{\"type\": }").expect("write");
        let report = loader_report(&path, None);
        assert!(report.contains("error[AVRO_JSON_SYNTAX]"), "{report}");
        assert!(!report.contains("FMT_SYNTAX"), "{report}");
    }
}
