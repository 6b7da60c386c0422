//! Bad input: an empty repo, OUT inside the repo or not writable, broken templates, a huge doc,
//! a generated repo of moderate size.

use crate::common::{render_repo, text};

#[test]
fn an_empty_repo_gives_a_catalog_that_says_so() {
    for config in [None, Some("[repo]\nname = \"nothing\"\n")] {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(c) = config {
            std::fs::write(dir.path().join("herald.toml"), c).expect("write");
        }
        let site = render_repo(dir.path());
        let index = text(&site, "index.html");
        assert!(
            index.contains(r#"id="empty""#) && index.contains("the catalog is empty"),
            "{index}"
        );
        assert!(!site.keys().any(|k| k.starts_with("events/")));
        assert_eq!(text(&site, "search-index.js"), "window.HERALD_SEARCH = [];\n");
    }
}

#[test]
fn out_inside_the_repo_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    for out in [repo.clone(), repo.join("site"), repo.join("a/b")] {
        let err = herald_catalog::check_out(&repo, &out).expect_err("refused");
        assert!(err.contains("inside the schema repo"), "{err}");
    }
    // Through a relative path with `..` too.
    let err = herald_catalog::check_out(&repo, &repo.join("x/../site")).expect_err("refused");
    assert!(err.contains("inside the schema repo"), "{err}");
    assert!(herald_catalog::check_out(&repo, &dir.path().join("site")).is_ok());
    // Nor may OUT hold the repo: a previous catalog's directories are replaced.
    let err = herald_catalog::check_out(&repo, dir.path()).expect_err("refused");
    assert!(err.contains("is inside"), "{err}");
}

#[test]
fn a_directory_of_other_files_is_refused_and_a_previous_catalog_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    let out = dir.path().join("docs");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    let err = herald_catalog::check_out(&repo, &out).expect_err("refused");
    assert!(err.contains("not empty and holds no catalog"), "{err}");
    let site = render_repo(&crate::common::example_repo());
    let fresh = dir.path().join("site");
    herald_catalog::write(&site, &fresh).expect("writes");
    std::fs::write(fresh.join("events/stale.html"), "old").expect("write");
    herald_catalog::check_out(&repo, &fresh).expect("a catalog may be replaced");
    herald_catalog::write(&site, &fresh).expect("writes again");
    assert!(
        !fresh.join("events/stale.html").exists(),
        "a page of an event gone stays behind"
    );
    assert!(fresh.join("index.html").is_file());
}

/// A page that already holds its bytes is not written again (its time stays); one that differs,
/// or a directory or link where a page goes, is replaced.
#[test]
fn a_catalog_written_again_touches_only_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = render_repo(&crate::common::example_repo());
    let out = dir.path().join("site");
    herald_catalog::write(&site, &out).expect("writes");
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let set_time = |name: &str| {
        let file = std::fs::File::options().write(true).open(out.join(name)).expect("open");
        file.set_modified(long_ago).expect("set the time");
    };
    let time = |name: &str| {
        std::fs::metadata(out.join(name))
            .and_then(|m| m.modified())
            .expect("time")
    };
    set_time("index.html");
    set_time("events/acme.user.v1.UserUpdated.html");
    std::fs::write(out.join("events/acme.user.v1.UserUpdated.html"), "edited by hand").expect("write");
    set_time("events/acme.user.v1.UserUpdated.html");
    let page = out.join("events/acme.user.v1.UserCreated.html");
    std::fs::remove_file(&page).expect("remove");
    std::fs::create_dir_all(page.join("inside")).expect("a directory where a page goes");
    herald_catalog::write(&site, &out).expect("writes again");
    assert_eq!(time("index.html"), long_ago, "an unchanged page is written again");
    assert_ne!(time("events/acme.user.v1.UserUpdated.html"), long_ago);
    for (name, bytes) in &site {
        assert_eq!(&std::fs::read(out.join(name)).expect("read"), bytes, "{name}");
    }
}

#[test]
fn an_out_that_cannot_be_written_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let site = render_repo(&crate::common::example_repo());
    let err = herald_catalog::write(&site, &file.join("site")).expect_err("cannot write under a file");
    assert!(err.starts_with("cannot create") && err.contains("a-file"), "{err}");
}

#[test]
fn a_template_with_a_syntax_error_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("event.hbs"),
        "<h1>{{name}}</h1>\n<p>{{#if doc}}unclosed\n",
    )
    .expect("write");
    let err = herald_catalog::Templates::load(Some(dir.path()))
        .err()
        .expect("refused");
    let path = dir.path().join("event.hbs").display().to_string();
    assert!(err.starts_with(&format!("{path}:")), "{err}");
    assert!(err.contains("template syntax error"), "{err}");
    // Line and column, as handlebars reports them.
    let at = err[path.len() + 1..]
        .split(':')
        .take(2)
        .map(|n| n.trim().parse::<usize>())
        .collect::<Vec<_>>();
    assert!(at.len() == 2 && at.iter().all(|n| n.is_ok()), "{err}");
}

#[test]
fn templates_override_by_name_and_unknown_names_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("footer.hbs"), "<footer>ours</footer></body></html>\n").expect("write");
    std::fs::write(dir.path().join("catalog.css"), "body { color: red; }\n").expect("write");
    let templates = herald_catalog::Templates::load(Some(dir.path())).expect("loads");
    let loaded = herald_codegen::load::load(&crate::common::example_repo()).expect("loads");
    let site = herald_catalog::render(&loaded.set, None, &templates).expect("renders");
    assert!(text(&site, "index.html").ends_with("<footer>ours</footer></body></html>\n"));
    assert_eq!(text(&site, "catalog.css"), "body { color: red; }\n");
    std::fs::write(dir.path().join("evnet.hbs"), "x").expect("write");
    let err = herald_catalog::Templates::load(Some(dir.path()))
        .err()
        .expect("refused");
    assert!(err.contains("evnet.hbs: not a catalog template"), "{err}");
}

#[test]
fn a_one_megabyte_doc_renders_whole_on_its_page_and_cut_in_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("herald.toml"), "[sources.s]\nschemas = [\"*.avsc\"]\n").expect("write");
    let doc = "word <tag> ".repeat(100_000);
    let schema = serde_json::json!({
        "type": "record", "name": "Big", "namespace": "big", "doc": doc,
        "herald": {"version": "1.0", "kind": "event", "partitionKey": "id"},
        "fields": [{"name": "id", "type": "string"}]
    });
    std::fs::write(dir.path().join("big.avsc"), schema.to_string()).expect("write");
    let site = render_repo(dir.path());
    let page = text(&site, "events/big.Big.html");
    assert!(
        page.matches("word &lt;tag&gt;").count() >= 100_000 * 2,
        "the doc is on the page (and in its source)"
    );
    assert!(text(&site, "search-index.js").len() < 2_000);
    assert!(
        text(&site, "index.html").len() < 20_000,
        "the index shows a summary, not the doc"
    );
}

/// 240 events in 6 sources with 4 released versions each: every page written, every verdict
/// compatible (each version adds a field), and the same bytes twice.
#[test]
fn a_generated_repo_of_moderate_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    herald_catalog::synthetic::generate(dir.path(), 6, 240, 4).expect("generates");
    let site = render_repo(dir.path());
    let pages = site
        .keys()
        .filter(|k| k.starts_with("events/") && k.ends_with(".html"))
        .count();
    assert_eq!(pages, 240);
    let page = text(&site, "events/bench.s5.e11.Thing11Happened.html");
    assert_eq!(page.matches("<li id=\"v1.").count(), 4, "four released versions");
    assert_eq!(page.matches(": compatible (BACKWARD)").count(), 3, "{page}");
    assert!(page.contains("<td><code>extra_2</code></td>") || page.contains("extra_2"));
    assert!(text(&site, "services/consumer-5.html").contains("bench.s5.e11.Thing11Happened"));
    // Few enough checks for a verdict between every two versions, 1.0 → 1.2 included.
    let script = text(&site, "events/bench.s5.e11.Thing11Happened.history.js");
    assert_eq!(script.matches(r#""compatible":true"#).count(), 6, "{script}");
    assert!(
        script.contains(r#""from":"1.0","mode":"BACKWARD","to":"1.2""#),
        "{script}"
    );
    assert_eq!(site, render_repo(dir.path()));
}

/// Past the all-pairs budget (12 versions), each version is judged against the one before it and
/// against the latest, whether the latest release is the current schema (read from the current
/// model) or an older text rebuilt from the lock (an unreleased change in the repo): no verdict
/// is lost while the layers stream through and are dropped.
#[test]
fn every_version_is_judged_against_the_previous_and_the_latest() {
    let dir = tempfile::tempdir().expect("tempdir");
    herald_catalog::synthetic::generate(dir.path(), 2, 4, 12).expect("generates");
    // An unreleased change to one event: its latest release is no longer the current schema.
    let changed = dir.path().join("s1/e1.proto");
    let source = std::fs::read_to_string(&changed).expect("read");
    let source = source.replace("  message Nested {", "  string unreleased = 99;\n  message Nested {");
    std::fs::write(&changed, source).expect("write");
    let site = render_repo(dir.path());
    for event in ["bench.s0.e0.Thing0Happened", "bench.s1.e1.Thing1Happened"] {
        let script = text(&site, &format!("events/{event}.history.js"));
        assert_eq!(
            script.matches(r#""compatible":true"#).count(),
            11 + 10,
            "{event}: {script}"
        );
        for v in 1..12 {
            let previous = format!(r#""from":"1.{}","mode":"BACKWARD","to":"1.{v}""#, v - 1);
            assert!(script.contains(&previous), "{event}: 1.{} → 1.{v} missing", v - 1);
            let latest = format!(r#""from":"1.{}","mode":"BACKWARD","to":"1.11""#, v - 1);
            assert!(script.contains(&latest), "{event}: 1.{} → 1.11 missing", v - 1);
        }
        let page = text(&site, &format!("events/{event}.html"));
        assert_eq!(page.matches(": compatible (BACKWARD)").count(), 11, "{event}");
    }
}
