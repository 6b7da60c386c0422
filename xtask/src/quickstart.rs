//! The README's quickstart, kept true: its files are exactly `examples/quickstart` (a test fails
//! when they drift), the crate builds and runs outside herald's workspace as a new service would,
//! its schema repo is what `herald init` writes, and a broken schema fails its `cargo build` with
//! rustc-style diagnostics.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the quickstart crate is, relative to the repository root.
pub const DIR: &str = "examples/quickstart";

/// The files the README shows: `<!-- file: PATH -->` right before a fenced block whose body is
/// the file's contents. Returns (path, body) in README order.
pub fn readme_files(readme: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(path) = line
            .trim()
            .strip_prefix("<!-- file: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        match lines.next() {
            Some((_, fence)) if fence.starts_with("```") => {}
            _ => {
                return Err(format!(
                    "README.md:{}: `{line}` is not followed by a fenced block",
                    n + 1
                ))
            }
        }
        let mut body = String::new();
        loop {
            match lines.next() {
                Some((_, l)) if l.starts_with("```") => break,
                Some((_, l)) => {
                    body.push_str(l);
                    body.push('\n');
                }
                None => return Err(format!("README.md:{}: the block of {path} never closes", n + 1)),
            }
        }
        out.push((path.to_owned(), body));
    }
    Ok(out)
}

/// Every file under `dir` (relative paths, sorted), `target/` left out.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    walk(root, &path, out);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Differences between the README's quickstart and the files of the crate, and between the
/// crate's schema repo and `herald init`'s templates; empty when they agree.
pub fn drift(root: &Path) -> Result<Vec<String>, String> {
    let readme = std::fs::read_to_string(root.join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    let shown = readme_files(&readme)?;
    let mut problems = Vec::new();
    for (path, body) in &shown {
        match std::fs::read_to_string(root.join(path)) {
            Ok(text) if &text == body => {}
            Ok(_) => problems.push(format!("{path} differs from the README's block for it")),
            Err(e) => problems.push(format!("{path}, shown in the README: {e}")),
        }
    }
    let dir = root.join(DIR);
    for rel in files_under(&dir) {
        let shown_path = format!("{DIR}/{}", rel.display());
        // Cargo.lock pins versions for CI; schemas/ is what `herald init` writes (checked below).
        if rel == Path::new("Cargo.lock") || rel.starts_with("schemas") {
            continue;
        }
        if !shown.iter().any(|(p, _)| *p == shown_path) {
            problems.push(format!("{shown_path} is not shown in the README"));
        }
    }
    let templates = root.join("codegen/templates/init");
    let (mine, init) = (files_under(&dir.join("schemas")), files_under(&templates));
    if mine != init {
        problems.push(format!("{DIR}/schemas has {mine:?}, herald init writes {init:?}"));
    }
    for rel in &init {
        let a = std::fs::read(dir.join("schemas").join(rel)).unwrap_or_default();
        let b = std::fs::read(templates.join(rel)).unwrap_or_default();
        if a != b {
            problems.push(format!(
                "{DIR}/schemas/{} differs from what herald init writes",
                rel.display()
            ));
        }
    }
    Ok(problems)
}

/// `cargo xtask quickstart`: the drift check, the crate built and run in its own target
/// directory, and a copy with a broken schema whose build must fail with located diagnostics.
pub fn run() -> Result<(), String> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let problems = drift(&root)?;
    if !problems.is_empty() {
        return Err(format!("the README's quickstart drifted:\n  {}", problems.join("\n  ")));
    }
    let target = root.join("target/quickstart");
    let manifest = root.join(DIR).join("Cargo.toml");
    eprintln!("$ cargo run --manifest-path {}", manifest.display());
    let out = Command::new("cargo")
        .args(["run", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() || !stdout.contains("published 3 orders, handled 3 payments") {
        return Err(format!(
            "the quickstart did not run as the README says ({})",
            out.status
        ));
    }

    // The same crate with a schema broken: its build must fail showing the diagnostic as rustc
    // would (file:line:col, the source line), not as a Debug string.
    let broken = root.join("target/quickstart-broken");
    let _ = std::fs::remove_dir_all(&broken);
    for rel in files_under(&root.join(DIR)) {
        let to = broken.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut text = std::fs::read_to_string(root.join(DIR).join(&rel)).map_err(|e| e.to_string())?;
        if rel == Path::new("Cargo.toml") {
            text = text.replace("\"../../", &format!("\"{}/", root.display()));
            // Under target/, inside herald's workspace directory: a workspace of its own.
            text.push_str("\n[workspace]\n");
        }
        if rel == Path::new("schemas/orders/v1/order_placed.proto") {
            text = text.replace("partition_key: \"order_id\"", "partition_key: \"order_idd\"");
        }
        std::fs::write(&to, text).map_err(|e| e.to_string())?;
    }
    eprintln!("$ cargo build (a copy of the quickstart with a broken schema)");
    let out = Command::new("cargo")
        .args(["build", "--quiet", "--manifest-path"])
        .arg(broken.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = [
        "error[EVENT_PARTITION_KEY_UNKNOWN_FIELD]",
        "--> orders/v1/order_placed.proto:25:",
        "order_idd",
    ];
    if out.status.success() || expected.iter().any(|e| !stderr.contains(e)) || stderr.contains("BuildError {") {
        return Err(format!(
            "a broken schema must fail the build with rustc-style diagnostics ({}); cargo said:\n{stderr}",
            out.status
        ));
    }
    eprintln!("xtask quickstart: runs, and a broken schema fails its build with located diagnostics");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's quickstart blocks are exactly the files of examples/quickstart.
    #[test]
    fn readme_quickstart_is_the_example_crate() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let shown = readme_files(&std::fs::read_to_string(root.join("README.md")).expect("README"))
            .expect("well-formed markers");
        assert!(
            shown.len() >= 3,
            "Cargo.toml, build.rs and src/main.rs are shown: {shown:?}"
        );
        let problems = drift(&root).expect("readable");
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_changed_block_is_drift() {
        let readme = "<!-- file: a.txt -->\n```text\none\n```\n";
        assert_eq!(
            readme_files(readme).expect("parses"),
            [("a.txt".to_owned(), "one\n".to_owned())]
        );
        assert!(readme_files("<!-- file: a.txt -->\nno fence\n").is_err());
        assert!(readme_files("<!-- file: a.txt -->\n```\nnever closed\n").is_err());
    }
}
