//! `herald catalog`: writes the site, refuses an OUT inside the repo, a repo with errors and a
//! broken template, each with a clear message and exit code.

use crate::common::herald;

fn schemas() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

#[test]
fn refuses_an_out_inside_the_repo() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::common::copy_dir(&schemas(), &dir.path().join("repo"));
    let repo = dir.path().join("repo");
    let (code, _, err) = herald(&[
        "catalog",
        &repo.display().to_string(),
        "--out",
        &repo.join("docs").display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is inside the schema repo"), "{err}");
    assert!(!repo.join("docs").exists());
}

#[test]
fn a_repo_with_errors_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    std::fs::write(repo.join("bad.proto"), "syntax = \"proto3\";\nmessage {\n").expect("write");
    let out = dir.path().join("site");
    let (code, _, err) = herald(&[
        "catalog",
        &repo.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("bad.proto:2:") && err.contains("nothing written"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_broken_template_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    std::fs::write(templates.join("index.hbs"), "<h1>{{title}}</h1>\n{{#each sources}}\n").expect("write");
    let out = dir.path().join("site");
    let (code, _, err) = herald(&[
        "catalog",
        &schemas().display().to_string(),
        "--out",
        &out.display().to_string(),
        "--templates",
        &templates.display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    let at = format!("{}:", templates.join("index.hbs").display());
    assert!(err.contains(&at) && err.contains("template syntax error"), "{err}");
    assert!(!out.exists());
}

/// The example repo's catalog, written again over itself (reusing the record it left there),
/// with `--fresh` (not reusing it), and over a record that cannot be read (said, and rebuilt): the
/// same bytes each time.
#[test]
fn writes_the_example_repo_catalog_and_again_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("site");
    let (repo, out_s) = (schemas().display().to_string(), out.display().to_string());
    let (code, _, err) = herald(&["catalog", &repo, "--out", &out_s]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("herald catalog: wrote ") && err.contains("index.html"),
        "{err}"
    );
    let record = out.join(herald_catalog::RECORD);
    let first = std::fs::read(&record).expect("the record is written");
    let page = std::fs::read(out.join("events/acme.user.v1.UserUpdated.html")).expect("event page");
    for args in [vec!["--fresh"], vec![]] {
        let mut all = vec!["catalog", repo.as_str(), "--out", out_s.as_str()];
        all.extend(args);
        let (code, _, err) = herald(&all);
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("rebuilding"), "{err}");
        assert_eq!(std::fs::read(&record).expect("record"), first);
    }
    std::fs::write(&record, "not json").expect("write");
    let (code, _, err) = herald(&["catalog", &repo, "--out", &out_s]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("is not a catalog record") && err.contains("rebuilding every released version"),
        "{err}"
    );
    assert_eq!(std::fs::read(&record).expect("record"), first);
    assert_eq!(
        std::fs::read(out.join("events/acme.user.v1.UserUpdated.html")).expect("event page"),
        page
    );
}
