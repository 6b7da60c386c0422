//! The record a catalog leaves in OUT: a catalog regenerated over it rebuilds no release it
//! already judged, and is the same site as one rebuilt from nothing, whatever changed in between
//! (a new release, a mode, a released file's text, a record from elsewhere).

use std::path::Path;

use herald_catalog::history::{Record, RECORD_FORMAT};

use crate::common::{render_repo, render_reusing};

const CONFIG: &str = "[repo]\nname = \"orders\"\ncompatibility = \"BACKWARD\"\n\n[sources.orders]\ntopic = \"orders\"\nschemas = [\"*.proto\"]\n";

/// Version `version` of the event, with `fields` (`name = number` lines).
fn order(version: &str, fields: &[&str]) -> String {
    let fields: String = fields.iter().map(|f| format!("  string {f};\n")).collect();
    format!(
        "syntax = \"proto3\";\n\npackage shop;\n\nimport \"herald/options.proto\";\n\nmessage OrderPlaced {{\n  option (herald.event) = {{ version: \"{version}\", kind: EVENT, partition_key: \"id\" }};\n\n{fields}}}\n"
    )
}

/// A repo whose event went through `versions` (each released in turn), left at the last.
fn repo_with_history(dir: &Path, versions: &[String]) {
    std::fs::write(dir.join("herald.toml"), CONFIG).expect("write herald.toml");
    let mut lock = herald_codegen::load::Lock::default();
    for text in versions {
        std::fs::write(dir.join("order.proto"), text).expect("write the event");
        let loaded = crate::common::load_clean(dir);
        herald_codegen::lock::release(&loaded.set, &mut lock).expect("releases");
    }
    herald_codegen::lock::write(&lock, &dir.join(herald_codegen::load::LOCK_FILE)).expect("write the lock");
}

/// Four versions, the third deleting a field (a breaking change: verdicts with findings).
fn history() -> Vec<String> {
    vec![
        order("1.0", &["id = 1", "note = 2"]),
        order("1.1", &["id = 1", "note = 2", "channel = 3"]),
        order("2.0", &["id = 1", "channel = 3"]),
        order("2.1", &["id = 1", "channel = 3", "coupon = 4"]),
    ]
}

/// The record a site holds.
fn record_of(site: &herald_catalog::Site) -> Record {
    let bytes = site.get(herald_catalog::RECORD).expect("the site holds its record");
    serde_json::from_slice(bytes).expect("the record reads")
}

#[test]
fn a_catalog_over_its_own_record_rebuilds_nothing_and_is_the_same_site() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo_with_history(dir.path(), &history());
    let fresh = render_reusing(dir.path(), None);
    assert!(fresh.layers_loaded > 0, "releases are rebuilt without a record");
    let script = crate::common::text(&fresh.site, "events/shop.OrderPlaced.history.js");
    assert!(script.contains(r#""compatible":false"#), "a breaking verdict: {script}");
    let record = record_of(&fresh.site);
    assert_eq!(record.format, RECORD_FORMAT);
    let lines = crate::common::text(&fresh.site, herald_catalog::RECORD).lines().count();
    assert_eq!(
        lines,
        record.fields.len() + record.verdicts.len() + 5,
        "a line per entry"
    );
    assert_eq!(record.fields.len(), 4, "one entry per release");
    let again = render_reusing(dir.path(), Some(&record));
    assert_eq!(again.layers_loaded, 0, "everything is in the record");
    assert_eq!(again.site, fresh.site);
    // The record goes through OUT as `herald catalog` reads it back.
    let out = dir.path().parent().expect("parent").join(format!(
        "{}-site",
        dir.path().file_name().and_then(|n| n.to_str()).unwrap_or("x")
    ));
    herald_catalog::write(&fresh.site, &out).expect("writes");
    let read = herald_catalog::previous_record(&out).expect("reads");
    std::fs::remove_dir_all(&out).expect("clean up");
    assert_eq!(read.as_ref(), Some(&record));
}

#[test]
fn a_new_release_rebuilds_only_what_its_verdicts_need() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut versions = history();
    repo_with_history(dir.path(), &versions);
    let record = record_of(&render_repo(dir.path()));
    versions.push(order("2.2", &["id = 1", "channel = 3", "coupon = 4", "gift = 5"]));
    repo_with_history(dir.path(), &versions);
    let reused = render_reusing(dir.path(), Some(&record));
    let fresh = render_reusing(dir.path(), None);
    assert_eq!(reused.site, fresh.site);
    assert!(
        reused.layers_loaded > 0,
        "verdicts against the new latest need the older releases"
    );
    assert!(crate::common::text(&reused.site, "events/shop.OrderPlaced.html").contains("2.2"));
}

#[test]
fn a_record_made_in_another_mode_gives_no_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo_with_history(dir.path(), &history());
    let record = record_of(&render_repo(dir.path()));
    std::fs::write(
        dir.path().join("herald.toml"),
        CONFIG.replace("\"BACKWARD\"", "\"FORWARD\""),
    )
    .expect("write herald.toml");
    let reused = render_reusing(dir.path(), Some(&record));
    assert!(
        reused.layers_loaded > 0,
        "the verdicts are judged again in the new mode"
    );
    assert_eq!(reused.site, render_repo(dir.path()));
    assert!(crate::common::text(&reused.site, "events/shop.OrderPlaced.history.js").contains("FORWARD"));
}

/// A released file's text changed in the lock under the same blob name (a lock edited by hand):
/// the record's entries for that release are not used.
#[test]
fn a_record_follows_the_released_text_not_its_name_in_the_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo_with_history(dir.path(), &history());
    let record = record_of(&render_repo(dir.path()));
    let path = dir.path().join(herald_codegen::load::LOCK_FILE);
    let mut lock = herald_codegen::lock::read(&path, &mut herald_codegen::span::SourceMap::new()).expect("reads");
    let first = lock
        .releases
        .iter()
        .find(|r| r.version == "1.0")
        .and_then(|r| r.files.first())
        .and_then(|f| f.rsplit_once('@'))
        .map(|(_, h)| h.to_owned())
        .expect("1.0 has a file");
    lock.blobs
        .insert(first, order("1.0", &["id = 1", "note = 2", "extra = 7"]));
    herald_codegen::lock::write(&lock, &path).expect("writes");
    let reused = render_reusing(dir.path(), Some(&record));
    assert_eq!(reused.site, render_repo(dir.path()));
    let page = crate::common::text(&reused.site, "events/shop.OrderPlaced.history.js");
    assert!(page.contains("extra"), "1.0 is rebuilt from its new text: {page}");
}

#[test]
fn a_record_from_another_herald_is_not_used_and_a_broken_one_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo_with_history(dir.path(), &history());
    let site = render_repo(dir.path());
    let out = tempfile::tempdir().expect("tempdir");
    herald_catalog::write(&site, out.path()).expect("writes");
    let mut other = record_of(&site);
    other.format = "herald 0.0.1, record 0".to_owned();
    let path = out.path().join(herald_catalog::RECORD);
    std::fs::write(&path, serde_json::to_vec(&other).expect("json")).expect("write");
    assert_eq!(herald_catalog::previous_record(out.path()), Ok(None));
    std::fs::write(&path, "{\"format\": 3").expect("write");
    let err = herald_catalog::previous_record(out.path()).expect_err("a broken record");
    assert!(
        err.contains(herald_catalog::RECORD) && err.contains("not a catalog record"),
        "{err}"
    );
    // A directory that is not a catalog: its files are not read.
    std::fs::remove_file(out.path().join(herald_catalog::MARKER)).expect("remove the marker");
    assert_eq!(herald_catalog::previous_record(out.path()), Ok(None));
}
