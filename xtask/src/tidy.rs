//! Tidy checks over the workspace's production code (as rust-analyzer's tidy tests): what review
//! would otherwise have to remember.

use std::path::{Path, PathBuf};

/// Longest production function without a comment saying why it is that long.
const MAX_LINES: usize = 100;

/// The crates whose `src/` is production code.
const CRATES: &[&str] = &["codegen", "catalog", "cli", "runtime", "lsp", "xtask"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(line, name, length)` of every function in `text` longer than `max` lines whose doc comment
/// does not say "Long because". A file's `#[cfg(test)]` module (at its end) is not production code.
fn long_functions(text: &str, max: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.starts_with("#[cfg(test)]"))
        .unwrap_or(lines.len());
    let mut out = Vec::new();
    for i in 0..end {
        let line = lines[i];
        let indent = &line[..line.len() - line.trim_start().len()];
        let rest = line.trim_start();
        let rest = rest
            .strip_prefix("pub(crate) ")
            .or_else(|| rest.strip_prefix("pub "))
            .unwrap_or(rest);
        let rest = rest.strip_prefix("async ").unwrap_or(rest);
        let Some(sig) = rest.strip_prefix("fn ") else { continue };
        let name: String = sig.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let close = format!("{indent}}}");
        let Some(len) = lines[i..end].iter().position(|l| *l == close) else {
            continue;
        };
        if len < max {
            continue;
        }
        let doc = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("///") || l.trim_start().starts_with("#["))
            .any(|l| l.contains("Long because"));
        if !doc {
            out.push((i + 1, name, len + 1));
        }
    }
    out
}

#[test]
fn no_long_function_without_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in CRATES {
        rust_files(&root.join(krate).join("src"), &mut files);
    }
    assert!(
        files.len() > 20,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (line, name, len) in long_functions(&text, MAX_LINES) {
            let shown = file.strip_prefix(&root).unwrap_or(file).display().to_string();
            offenders.push(format!("{shown}:{line}: fn {name} is {len} lines"));
        }
    }
    assert!(
        offenders.is_empty(),
        "functions over {MAX_LINES} lines need a doc comment saying why (\"Long because ...\"), or a split:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_long_function_is_found_and_its_reason_accepted() {
    let body = "    x();\n".repeat(MAX_LINES);
    let bare = format!("fn big() {{\n{body}}}\n");
    assert_eq!(
        long_functions(&bare, MAX_LINES),
        vec![(1, "big".to_owned(), MAX_LINES + 2)]
    );
    let explained = format!("/// Long because it is a table.\npub fn big() {{\n{body}}}\n");
    assert!(long_functions(&explained, MAX_LINES).is_empty());
    let in_tests = format!("#[cfg(test)]\nmod tests {{\n{bare}}}\n");
    assert!(long_functions(&in_tests, MAX_LINES).is_empty());
    let method = format!("impl A {{\n    fn m(&self) {{\n{body}    }}\n}}\n");
    assert_eq!(long_functions(&method, MAX_LINES).len(), 1);
}
