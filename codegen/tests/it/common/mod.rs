//! Helpers the integration tests share: throwaway schema repos, a deterministic value generator,
//! herald's verdict on an Avro corpus case, the `rule file:line` keys the buf comparisons use, and
//! where snapshots are kept. herald-cli's tests include this file too (`cli/tests/it/common/mod.rs`).
// Each crate's tests use some of these helpers, not all.
#![allow(dead_code)]

use std::path::Path;

use herald_codegen::compat::Finding;
use herald_codegen::span::SourceMap;
use herald_codegen::EventSet;

/// insta's settings for a test's snapshots, bound with `common::snapshots().bind_to_scope()`:
/// kept in `tests/snapshots` (not beside the test binary's modules in `tests/it`) and named by
/// the name the assertion gives in full, `<module>__<test>` as when each module was a test binary
/// of its own, rather than from the module path (which now starts with the binary, `it::`).
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A schema repo holding only a herald.toml whose text is `config`.
pub fn repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("herald.toml"), config).expect("write herald.toml");
    dir
}

/// Copies the directory tree `from` into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// A small deterministic generator (SplitMix64) driven by proptest's seed.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The findings in buf's `--error-format json` lines as `rule path:line`, a finding without a
/// line taking `no_line`.
pub fn buf_keys(json_lines: &str, no_line: u64) -> std::collections::BTreeSet<String> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            format!(
                "{} {}:{}",
                v["type"].as_str().unwrap_or_default(),
                v["path"].as_str().unwrap_or("-"),
                v["start_line"].as_u64().unwrap_or(no_line)
            )
        })
        .collect()
}

/// A herald finding as `rule file:line` (`rule -:1` when it has no place), to compare with buf's.
pub fn finding_key(f: &Finding, sources: &SourceMap) -> String {
    match f.span {
        Some(span) => {
            let file = sources.get(span.file);
            format!("{} {}:{}", f.rule, file.name, file.line_col(span.start as usize).0)
        }
        None => format!("{} -:1", f.rule),
    }
}

/// The top-level record of an Avro case file: the record whose definition starts first in a
/// single schema, the last one in an array.
pub fn top_record(set: &EventSet) -> String {
    let text = set.sources_map.get(set.files[0].id).text.trim_start().to_owned();
    let records = set
        .types
        .iter()
        .filter(|t| matches!(t.kind, herald_codegen::model::TypeKind::Message(_)));
    let pick = if text.starts_with('[') {
        records.max_by_key(|t| t.span.start)
    } else {
        records.min_by_key(|t| t.span.start)
    };
    pick.map(|t| t.full_name.clone()).unwrap_or_default()
}

/// herald's verdict on an Avro corpus case: whether `reader.avsc`'s top record reads data
/// written with `writer.avsc`'s.
pub fn avro_compatible(case: &Path) -> bool {
    let reader = herald_codegen::load::load(&case.join("reader.avsc"))
        .expect("reader loads")
        .set;
    let writer = herald_codegen::load::load(&case.join("writer.avsc"))
        .expect("writer loads")
        .set;
    // A whole-file unnamed schema (`"int"`) is its file's root; otherwise the top record.
    let root = |set: &EventSet| {
        set.files
            .first()
            .and_then(|f| f.avro_root.clone())
            .unwrap_or_else(|| herald_codegen::model::TypeRef::Named(top_record(set)))
    };
    herald_codegen::compat::avro::can_read_type(&reader, &root(&reader), &writer, &root(&writer)).is_empty()
}
