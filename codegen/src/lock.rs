//! `herald.lock`: the released history of every event, the repo's own schema registry.
//!
//! Each release records an event's name, version, format, type, fingerprint and the schema files
//! that define it (content-addressed blobs, so unchanged files are stored once). Any released
//! version can be rebuilt as a model from the lock alone: transitive checks compare against every
//! one of them.

use crate::rules;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::model::EventSet;
use crate::span::{SourceMap, Span};

/// The lock file's name at the repo root (declared by [`crate::load`], which lists it among
/// the inputs).
pub use crate::load::LOCK_FILE;

/// The lock's data and the rebuilding of a release as a repo to load are declared by
/// [`crate::load`], which compat reads releases through.
pub use crate::load::{release_files, Lock, Release};

/// Reads a lock file; a malformed one is a located diagnostic, its text added to `sources` (only
/// then: a long history is tens of megabytes, not worth indexing when it reads cleanly).
pub fn read(path: &Path, sources: &mut SourceMap) -> Result<Lock, Box<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(Diagnostic::error(
            rules::LOCK_INVALID,
            format!("cannot read {}: {e}", path.display()),
        ))
    })?;
    toml::from_str::<Lock>(&text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        let id = sources.add(LOCK_FILE, Some(path.to_path_buf()), text);
        Box::new(
            Diagnostic::error(
                rules::LOCK_INVALID,
                format!("{LOCK_FILE} is not a valid lock file: {}", e.message()),
            )
            .at(Span::new(id, range.start, range.end))
            .help("restore it from version control; herald release writes it, it is not edited by hand"),
        )
    })
}

pub fn write(lock: &Lock, path: &Path) -> Result<(), String> {
    let mut text = String::from(
        "# herald.lock: every released version of every event. Written by `herald release`; do not edit.\n\n",
    );
    text.push_str(&toml::to_string_pretty(lock).map_err(|e| e.to_string())?);
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn hash(text: &str) -> String {
    format!("{:016x}", crate::fingerprint::crc64(text.as_bytes()))
}

/// The files an event's schema needs ([`EventSet::schema_files`]), as (path, text).
fn files_of(set: &EventSet, type_id: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = set
        .schema_files(type_id)
        .into_iter()
        .map(|id| {
            let source = set.sources_map.get(id);
            (source.name.clone(), source.text.clone())
        })
        .collect();
    out.sort();
    out
}

/// Adds a release for every event whose (name, version) the lock does not have yet; returns them.
pub fn release(set: &EventSet, lock: &mut Lock) -> Result<Vec<Release>, String> {
    let mut added = Vec::new();
    for event in &set.events {
        let version = event.version.to_string();
        if lock
            .releases
            .iter()
            .any(|r| r.event == event.name && r.version == version)
        {
            continue;
        }
        let ty = &set.types[event.type_id];
        let fingerprint = crate::fingerprint::event_fingerprint(set, ty)?;
        let mut files = Vec::new();
        for (path, text) in files_of(set, event.type_id) {
            let h = hash(&text);
            lock.blobs.entry(h.clone()).or_insert(text);
            files.push(format!("{path}@{h}"));
        }
        let release = Release {
            event: event.name.clone(),
            version,
            format: ty.format.to_string(),
            type_name: ty.full_name.clone(),
            source: event
                .source
                .and_then(|s| set.sources.get(s))
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            topic: event
                .source
                .and_then(|s| set.sources.get(s))
                .map(|s| s.topic.clone())
                .unwrap_or_default(),
            fingerprint: format!("{fingerprint:016x}"),
            fingerprint_version: crate::fingerprint::VERSION,
            files,
        };
        lock.releases.push(release.clone());
        added.push(release);
    }
    lock.releases
        .sort_by(|a, b| (&a.event, a.version()).cmp(&(&b.event, b.version())));
    Ok(added)
}

/// Re-computes the fingerprint of every release an older herald recorded (fingerprint version
/// below [`crate::fingerprint::VERSION`]) from the release's own files in the lock, so that it
/// covers every type the event uses; returns the releases updated.
pub fn refingerprint(lock: &mut Lock) -> Result<Vec<Release>, String> {
    let mut updated = Vec::new();
    for i in 0..lock.releases.len() {
        let release = &lock.releases[i];
        if release.fingerprint_version >= crate::fingerprint::VERSION {
            continue;
        }
        let fingerprint = released_fingerprint(lock, release)?;
        let release = &mut lock.releases[i];
        release.fingerprint = format!("{fingerprint:016x}");
        release.fingerprint_version = crate::fingerprint::VERSION;
        updated.push(release.clone());
    }
    Ok(updated)
}

/// The current fingerprint ([`crate::fingerprint::VERSION`]) of a release, computed from its
/// files in the lock.
pub fn released_fingerprint(lock: &Lock, release: &Release) -> Result<u64, String> {
    let context = |e: String| format!("{LOCK_FILE}: release {} {}: {e}", release.event, release.version);
    let files = release_files(lock, release).map_err(context)?;
    let loaded =
        crate::load::load_files(&files).map_err(|_| context("the released schema does not load".to_owned()))?;
    let ty = loaded
        .set
        .type_named(&release.type_name)
        .ok_or_else(|| context(format!("the released files do not define `{}`", release.type_name)))?;
    crate::fingerprint::event_fingerprint(&loaded.set, ty).map_err(context)
}

/// A released Avro writer schema (the generator's input type, declared by [`crate::rust`]).
pub use crate::rust::AvroWriter;

/// Every released Avro schema in `root`'s lock (none without a lock), each rebuilt from the lock's
/// blobs. A lock whose recorded fingerprint does not match the rebuilt schema is an error.
pub fn avro_writers(root: &Path) -> Result<Vec<AvroWriter>, String> {
    let path = root.join(LOCK_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut sources = SourceMap::new();
    let lock = read(&path, &mut sources).map_err(|d| crate::render::human(&[*d], &sources))?;
    let mut out = Vec::new();
    for release in lock.releases.iter().filter(|r| r.format == "avro") {
        let context = |e: String| format!("{LOCK_FILE}: release {} {}: {e}", release.event, release.version);
        let version = release
            .version()
            .ok_or_else(|| context(format!("`{}` is not a MAJOR.MINOR version", release.version)))?;
        let files = release_files(&lock, release).map_err(context)?;
        let loaded = crate::load::load_files(&files).map_err(|u| {
            context(format!(
                "the released schema does not load:\n{}",
                crate::render::human(&u.diagnostics, &u.sources)
            ))
        })?;
        let (fingerprint, schema) =
            crate::fingerprint::avro_schema(&loaded.set, &release.type_name).map_err(context)?;
        let recorded = u64::from_str_radix(&release.fingerprint, 16)
            .map_err(|_| context(format!("fingerprint `{}` is not hexadecimal", release.fingerprint)))?;
        if recorded != fingerprint {
            return Err(context(format!(
                "recorded fingerprint {recorded:016x} but the released files give {fingerprint:016x}"
            )));
        }
        out.push(AvroWriter {
            event: release.event.clone(),
            version,
            fingerprint,
            schema,
        });
    }
    Ok(out)
}
