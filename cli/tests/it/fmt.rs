//! `herald fmt`: rewriting in place, `--check` and `--diff`, broken files next to good ones,
//! the directory walk and repo discovery, bad paths, read-only files, idempotence, BOM and CRLF.
//! The `.proto` half is compared with `buf format` itself (npm `@bufbuild/buf`, found through
//! `HERALD_BUF`, as the other buf tests do).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code, stdout and stderr of `herald` run in `cwd` with `args`.
fn herald_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run herald");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).expect("mtime")
}

/// An `.avsc` file as a person might write it, and herald's layout of it.
const MESSY: &str = r#"{"name":"Order","type":"record","namespace":"shop",
  "fields":[{"type":"string","name":"id"},{"name":"total","type":{"logicalType":"decimal","type":"bytes","precision":12,"scale":2},"doc":"Order total in the shop's currency, with taxes and shipping included."}]}"#;
const TIDY: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {
      "name": "total",
      "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
      "doc": "Order total in the shop's currency, with taxes and shipping included."
    }
  ]
}
"#;
const TIDY_ENUM: &str = "{\"type\": \"enum\", \"name\": \"Color\", \"symbols\": [\"RED\", \"GREEN\"]}\n";

#[test]
fn formats_in_place_and_leaves_formatted_files_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy = dir.path().join("order.avsc");
    let tidy = dir.path().join("color.avsc");
    write(&messy, MESSY);
    write(&tidy, TIDY_ENUM);
    std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let before = mtime(&tidy);
    std::thread::sleep(std::time::Duration::from_millis(20));

    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "order.avsc", "color.avsc"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(read(&messy), TIDY);
    assert_eq!(read(&tidy), TIDY_ENUM);
    assert_eq!(mtime(&tidy), before, "a formatted file is not rewritten");
    let mode = std::fs::metadata(&messy).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions kept");
    // No temporary file left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Idempotent: a second run changes nothing and --check agrees.
    let after = mtime(&messy);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (code, _, stderr) = herald_in(dir.path(), &["fmt", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mtime(&messy), after);
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check", "."]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    let (code, stdout, _) = herald_in(dir.path(), &["fmt", "--diff", "."]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn check_lists_what_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("schemas/b/order.avsc"), MESSY);
    write(&dir.path().join("schemas/a/color.avsc"), TIDY_ENUM);
    write(&dir.path().join("schemas/a/union.avsc"), "[\"null\",\n \"string\"]");
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check", "schemas"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "schemas/a/union.avsc\nschemas/b/order.avsc\n");
    assert_eq!(stderr, "herald fmt: 2 file(s) would be reformatted\n");
    assert_eq!(read(&dir.path().join("schemas/b/order.avsc")), MESSY);
    // A file given by name is listed as typed.
    let (code, stdout, _) = herald_in(&dir.path().join("schemas"), &["fmt", "--check", "./b/order.avsc"]);
    assert_eq!((code, stdout.as_str()), (1, "b/order.avsc\n"));
    let (code, stdout, _) = herald_in(dir.path(), &["fmt", "--check", "schemas/a/color.avsc"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("shop/order.avsc"), MESSY);
    write(&dir.path().join("shop/color.avsc"), TIDY_ENUM);
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--diff", "shop"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(read(&dir.path().join("shop/order.avsc")), MESSY);
    assert!(
        stdout.starts_with("--- a/shop/order.avsc\n+++ b/shop/order.avsc\n@@ "),
        "{stdout}"
    );
    let _snapshots = crate::common::snapshots().bind_to_scope();
    insta::assert_snapshot!("fmt__fmt_diff", stdout);
    // --check with --diff: the diff.
    let (code, both, _) = herald_in(dir.path(), &["fmt", "--check", "--diff", "shop"]);
    assert_eq!((code, both), (1, stdout));
}

#[test]
fn a_broken_file_is_reported_where_lint_reports_it_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = "{\"type\": \"record\",\n  \"name\": \"Bad\",\n  \"fields\": [,]\n}\n";
    write(&dir.path().join("s/bad.avsc"), bad);
    write(&dir.path().join("s/good.avsc"), MESSY);
    write(&dir.path().join("s/z/tidy.avsc"), TIDY_ENUM);
    let not_utf8 = b"{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"\xff\"]}";
    write(&dir.path().join("s/latin1.avsc"), not_utf8);
    let bad_proto = "syntax = \"proto3\";\n\nmessage Broken {\n  string id = ;\n}\n";
    write(&dir.path().join("s/broken.proto"), bad_proto);

    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "s"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    // Unchanged, byte for byte.
    assert_eq!(read(&dir.path().join("s/bad.avsc")), bad);
    assert_eq!(std::fs::read(dir.path().join("s/latin1.avsc")).expect("read"), not_utf8);
    assert_eq!(read(&dir.path().join("s/broken.proto")), bad_proto);
    // The good ones are formatted.
    assert_eq!(read(&dir.path().join("s/good.avsc")), TIDY);
    assert_eq!(read(&dir.path().join("s/z/tidy.avsc")), TIDY_ENUM);
    // Each broken file located as `herald lint` locates it.
    assert!(stderr.contains("error[AVRO_JSON_SYNTAX]: invalid JSON"), "{stderr}");
    assert!(stderr.contains("--> s/bad.avsc:3:14"), "{stderr}");
    assert!(stderr.contains("error[FILE_NOT_UTF8]"), "{stderr}");
    assert!(stderr.contains("--> s/latin1.avsc:1:44"), "{stderr}");
    assert!(stderr.contains("error[PROTO_SYNTAX]"), "{stderr}");
    assert!(stderr.contains("--> s/broken.proto:4:"), "{stderr}");
    let (_, _, lint) = herald_in(dir.path(), &["lint", "s/bad.avsc"]);
    let lint_report = lint.split("herald lint:").next().unwrap_or_default();
    assert!(stderr.contains(lint_report.trim_end()), "lint: {lint}\nfmt: {stderr}");

    // --check: the same reports, exit 2 over 1.
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check", "s"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("--> s/bad.avsc:3:14"), "{stderr}");
}

#[test]
fn the_walk_skips_hidden_and_target_directories_and_other_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for skipped in [
        ".hidden/x.avsc",
        "target/x.avsc",
        "sub/target/x.avsc",
        "notes.json",
        "sub/x.avsc.bak",
    ] {
        write(&dir.path().join(skipped), MESSY);
    }
    write(&dir.path().join("sub/deeper/x.avsc"), MESSY);
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check", "."]);
    assert_eq!((code, stdout.as_str()), (1, "sub/deeper/x.avsc\n"), "{stderr}");
    let (code, _, stderr) = herald_in(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(&dir.path().join("sub/deeper/x.avsc")), TIDY);
    for skipped in [
        ".hidden/x.avsc",
        "target/x.avsc",
        "sub/target/x.avsc",
        "notes.json",
        "sub/x.avsc.bak",
    ] {
        assert_eq!(read(&dir.path().join(skipped)), MESSY, "{skipped}");
    }
    // A file named explicitly that is no schema file is refused.
    let (code, _, stderr) = herald_in(dir.path(), &["fmt", "notes.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`notes.json` is neither a .proto nor an .avsc file"),
        "{stderr}"
    );
}

#[test]
fn without_a_path_the_repo_is_found_from_a_subdirectory() {
    let top = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(top.path().join(".git")).expect("mkdir");
    let repo = top.path().join("schemas");
    write(&repo.join("herald.toml"), "[repo]\nname = \"shop\"\n");
    write(&repo.join("orders/order.avsc"), MESSY);
    write(
        &repo.join("payments/v1/color.avsc"),
        "{\"symbols\": [\"RED\", \"GREEN\"], \"name\": \"Color\", \"type\": \"enum\"}",
    );
    // Outside the repo: not its business.
    write(&top.path().join("elsewhere/x.avsc"), MESSY);
    let sub = repo.join("payments/v1");
    let (code, stdout, stderr) = herald_in(&sub, &["fmt", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "../../orders/order.avsc\ncolor.avsc\n");
    let (code, _, stderr) = herald_in(&sub, &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(&repo.join("orders/order.avsc")), TIDY);
    assert_eq!(read(&repo.join("payments/v1/color.avsc")), TIDY_ENUM);
    assert_eq!(read(&top.path().join("elsewhere/x.avsc")), MESSY);
}

#[test]
fn a_missing_path_is_an_error_and_the_others_are_still_formatted() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("a.avsc"), MESSY);
    let (code, _, stderr) = herald_in(dir.path(), &["fmt", "nope", "a.avsc", "gone.avsc"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("herald fmt: cannot read `nope`: "), "{stderr}");
    assert!(stderr.contains("herald fmt: cannot read `gone.avsc`: "), "{stderr}");
    assert_eq!(read(&dir.path().join("a.avsc")), TIDY);
}

#[test]
fn a_read_only_file_is_an_error_and_the_others_are_still_formatted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let locked = dir.path().join("a/locked.avsc");
    write(&locked, MESSY);
    write(&dir.path().join("b/open.avsc"), MESSY);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let (code, _, stderr) = herald_in(dir.path(), &["fmt"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("herald fmt: cannot write a/locked.avsc: the file is read-only"),
        "{stderr}"
    );
    assert_eq!(read(&locked), MESSY);
    assert_eq!(read(&dir.path().join("b/open.avsc")), TIDY);
    // --check reads it, needs no write.
    let (code, stdout, _) = herald_in(dir.path(), &["fmt", "--check"]);
    assert_eq!((code, stdout.as_str()), (1, "a/locked.avsc\n"));
}

#[test]
fn a_bom_is_kept_and_crlf_becomes_lf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bom = dir.path().join("bom.avsc");
    write(&bom, format!("\u{feff}{MESSY}"));
    let crlf = dir.path().join("crlf.avsc");
    write(&crlf, TIDY.replace('\n', "\r\n"));
    let both = dir.path().join("both.avsc");
    write(&both, format!("\u{feff}{}", TIDY.replace('\n', "\r\n")));
    let (code, _, stderr) = herald_in(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(&bom), format!("\u{feff}{TIDY}"));
    assert_eq!(read(&crlf), TIDY);
    assert_eq!(read(&both), format!("\u{feff}{TIDY}"));
    // A broken file after a BOM is located as lint locates it (columns after the BOM).
    write(&dir.path().join("bad.avsc"), "\u{feff}{\"type\": }");
    let (code, _, stderr) = herald_in(dir.path(), &["fmt", "bad.avsc"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--> bad.avsc:1:10"), "{stderr}");
}

#[test]
fn help_documents_check_diff_and_exit_codes() {
    let (code, stdout, _) = herald_in(Path::new("."), &["fmt", "--help"]);
    assert_eq!(code, 0);
    for needle in ["--check", "--diff", "Exit codes: 0", "buf format", "BOM", "LF"] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
}

// The `.proto` half: `buf format` is the reference, run live.

/// The buf binary: `HERALD_BUF`, else `buf` on the PATH; a test that needs it fails without it
/// (under CI too), naming the command that installs it.
fn buf() -> String {
    let buf = std::env::var("HERALD_BUF").unwrap_or_else(|_| "buf".to_owned());
    let ok = Command::new(&buf)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "buf is not available ({buf}); install it with `cargo xtask peers` and set HERALD_BUF as it says"
    );
    buf
}

/// Every `.proto` file of the example repo and of herald-codegen's fixtures that buf formats
/// (buf refuses files it cannot parse; files the loader refuses as syntax errors or not UTF-8 are
/// left out too: herald fmt reports them as `herald lint` does), with buf's output: computed once per test binary, buf run on
/// four threads.
fn buf_formatted() -> &'static [(PathBuf, String)] {
    static FORMATTED: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    FORMATTED.get_or_init(|| {
        let buf = buf();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for top in ["schemas", "codegen/tests/fixtures"] {
            let mut stack = vec![root.join(top)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "proto") && loader_parses(&p) {
                        found.push(p);
                    }
                }
            }
        }
        found.sort();
        let chunk = found.len().div_ceil(4).max(1);
        let out: Vec<(PathBuf, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = found
                .chunks(chunk)
                .map(|part| {
                    let buf = &buf;
                    scope.spawn(move || {
                        part.iter()
                            .filter_map(|path| {
                                let out = Command::new(buf).arg("format").arg(path).output().expect("run buf");
                                out.status
                                    .success()
                                    .then(|| (path.clone(), String::from_utf8_lossy(&out.stdout).into_owned()))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("buf thread"))
                .collect()
        });
        assert!(out.len() >= 20, "{} proto files", out.len());
        out
    })
}

/// Whether the loader reads `file` alone without a syntax error (unresolved imports and the
/// like are no business of the formatter's).
fn loader_parses(file: &Path) -> bool {
    herald_codegen::load::load(file).is_ok_and(|l| {
        !l.diagnostics
            .iter()
            .any(|d| ["PROTO_SYNTAX", "FILE_NOT_UTF8", "FILE_TOO_LARGE", "FILE_UNREADABLE"].contains(&d.rule.id))
    })
}

/// [`buf_formatted`]'s files copied into `dir` as `<n>/<name>`: (copy, buf's output).
fn proto_corpus(dir: &Path) -> Vec<(PathBuf, String)> {
    buf_formatted()
        .iter()
        .enumerate()
        .map(|(n, (path, formatted))| {
            let copy = dir.join(n.to_string()).join(path.file_name().expect("name"));
            write(&copy, std::fs::read(path).expect("read"));
            (copy, formatted.clone())
        })
        .collect()
}

#[test]
fn proto_files_are_rewritten_as_buf_formats_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = proto_corpus(dir.path());
    let (code, _, stderr) = herald_in(dir.path(), &["fmt", "."]);
    assert_eq!(code, 0, "{stderr}");
    for (copy, expected) in &corpus {
        assert_eq!(&read(copy), expected, "{}", copy.display());
    }
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check", "."]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
}

#[test]
fn proto_check_lists_the_files_buf_would_change() {
    // `buf format -d --exit-code` fails exactly for the files whose formatted text differs.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expected: Vec<String> = proto_corpus(dir.path())
        .iter()
        .filter(|(copy, formatted)| &read(copy) != formatted)
        .map(|(copy, _)| copy.strip_prefix(dir.path()).expect("inside").display().to_string())
        .collect();
    expected.sort();
    let (code, stdout, stderr) = herald_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(code, if expected.is_empty() { 0 } else { 1 }, "{stderr}");
    let mut listed: Vec<&str> = stdout.lines().collect();
    listed.sort_unstable();
    assert_eq!(listed, expected);
}

#[test]
fn proto_and_avro_files_side_by_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy_proto = "syntax=\"proto3\";package shop;message  Order{string id=1;}";
    write(&dir.path().join("shop/order.proto"), messy_proto);
    write(&dir.path().join("shop/order.avsc"), MESSY);
    let expected = Command::new(buf())
        .arg("format")
        .arg(dir.path().join("shop/order.proto"))
        .output()
        .expect("run buf");
    let (code, stdout, _) = herald_in(dir.path(), &["fmt", "--check"]);
    assert_eq!((code, stdout.as_str()), (1, "shop/order.avsc\nshop/order.proto\n"));
    let (code, _, stderr) = herald_in(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        read(&dir.path().join("shop/order.proto")),
        String::from_utf8_lossy(&expected.stdout)
    );
    assert_eq!(read(&dir.path().join("shop/order.avsc")), TIDY);
}
