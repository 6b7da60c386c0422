//! herald's `.proto` formatter against `buf format` itself (npm `@bufbuild/buf`, run live) on
//! every `.proto` file of the repository (fixtures, examples, schemas; buf's own suite is
//! `fmt_buf.rs`'s). For each file buf formats, herald must print the same bytes and format its own
//! output to itself, except the few broken fixtures in [`REFUSED`], which herald refuses.
//! `cargo xtask ci` installs buf into `target/peers` and points `HERALD_BUF` at it; without buf
//! this test fails, never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use herald_codegen::fmt::proto::format;

/// Fixtures that do not parse, which herald refuses with a syntax error where buf recovers and
/// prints its best guess (buf exits 0 on them).
const REFUSED: &[&str] = &[
    "fixtures/lint/proto_syntax_error/broken.proto",
    "fixtures/lint/proto_unterminated_comment/broken.proto",
    "fixtures/lint/proto_unterminated_string/broken.proto",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | ".git" | "node_modules" | "buf-format") {
                collect(&path, out);
            }
        } else if name.ends_with(".proto") {
            out.push(path);
        }
    }
}

#[test]
fn formats_like_buf_run_live_on_the_repository_protos() {
    let buf = std::env::var("HERALD_BUF").unwrap_or_else(|_| "buf".to_owned());
    let version = Command::new(&buf).arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "buf is not available ({buf}); install it with `cargo xtask peers` and set HERALD_BUF as it says"
    );
    let root = repo_root();
    let mut files = Vec::new();
    collect(&root, &mut files);
    assert!(files.len() >= 100, "{} .proto files", files.len());
    // One buf run over a flat copy of every file (`f0.proto`, `f1.proto`, …): buf formats a
    // directory far faster than one process per file.
    let tmp = tempfile::tempdir().expect("temporary directory");
    let (input, output) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).expect("input directory");
    for (i, file) in files.iter().enumerate() {
        std::fs::copy(file, input.join(format!("f{i}.proto"))).expect("copy");
    }
    let run = Command::new(&buf)
        .arg("format")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("buf runs");
    assert!(
        run.status.success(),
        "buf format failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let theirs = std::fs::read_to_string(output.join(format!("f{i}.proto")))
            .unwrap_or_else(|e| panic!("{name}: buf wrote no output: {e}"));
        let refused = REFUSED.iter().any(|r| name.ends_with(r));
        match (format(&text), refused) {
            (Err(_), true) => {}
            (Ok(_), true) => failures.push(format!("--- {name}: listed in REFUSED, yet herald formats it\n")),
            (Err(e), false) => failures.push(format!(
                "--- {name}: buf formats it, herald: syntax error at {}: {}\n",
                e.offset, e.message
            )),
            (Ok(ours), false) if ours != theirs => {
                let diff = similar::TextDiff::from_lines(&theirs, &ours)
                    .unified_diff()
                    .header("buf format", "herald")
                    .to_string();
                failures.push(format!("--- {name}:\n{diff}"));
            }
            (Ok(ours), false) => {
                if format(&ours).as_ref() != Ok(&ours) {
                    failures.push(format!("--- {name}: herald's output does not format to itself\n"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ from buf format:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
