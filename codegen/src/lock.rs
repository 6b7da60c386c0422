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
    parse(&text).map_err(|e| {
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

/// A lock's text parsed; a long one (a thousand events with twenty releases each is 20 MB) in
/// parts on every core when it has the layout [`write`] gives it, else whole. Whatever goes
/// wrong in parts (or looks unusual) is left to the whole parse, which locates errors.
fn parse(text: &str) -> Result<Lock, toml::de::Error> {
    match parse_in_parts(text) {
        Some(lock) => Ok(lock),
        None => toml::from_str(text),
    }
}

/// Below this size a lock is parsed whole.
const PARTS_FROM: usize = 1 << 20;
/// Parts of the releases and of the blobs parsed at once (releases cost more per byte).
const RELEASE_PARTS: usize = 4;
const BLOB_PARTS: usize = 2;

/// `text` cut into `n` pieces near equal sizes, each cut at the start of a line `starts` accepts;
/// `None` when such a line is missing.
fn pieces<'t>(text: &'t str, n: usize, starts: &dyn Fn(&[u8]) -> bool) -> Option<Vec<&'t str>> {
    let mut out = Vec::with_capacity(n);
    let mut from = 0;
    for k in 1..n {
        let mut near = (text.len() * k / n).max(from);
        while !text.is_char_boundary(near) {
            near += 1;
        }
        let cut = text[near..]
            .match_indices('\n')
            .map(|(i, _)| near + i + 1)
            .find(|&at| starts(&text.as_bytes()[at..]))?;
        out.push(&text[from..cut]);
        from = cut;
    }
    out.push(&text[from..]);
    Some(out)
}

/// Splits the text into [`RELEASE_PARTS`] parts of releases (at `[[release]]` headers) and
/// [`BLOB_PARTS`] parts of blobs (at `[blobs]`, then at a blob's first line), parses them at once
/// and joins them; `None` when the text is
/// short, laid out otherwise, or a part does not parse.
fn parse_in_parts(text: &str) -> Option<Lock> {
    if text.len() < PARTS_FROM {
        return None;
    }
    let blobs_at = text.find("\n[blobs]\n")? + 1;
    let (releases, blobs) = text.split_at(blobs_at);
    if blobs.contains("\n[[release]]") || blobs[1..].contains("\n[blobs]") {
        return None;
    }
    // The releases at `[[release]]` headers, the blobs at a line that starts a blob
    // (`<16 hex digits> = `), each part after the first blob part under a `[blobs]` header of its
    // own. A cut inside a blob's text leaves a part with an unterminated string: it does not
    // parse, and the whole text is parsed.
    let is_release = |line: &[u8]| line.starts_with(b"[[release]]\n");
    let is_blob =
        |line: &[u8]| line.len() > 19 && line[..16].iter().all(u8::is_ascii_hexdigit) && line[16..19] == *b" = ";
    let mut parts: Vec<std::borrow::Cow<str>> = pieces(releases, RELEASE_PARTS, &is_release)?
        .into_iter()
        .map(std::borrow::Cow::Borrowed)
        .collect();
    for (n, piece) in pieces(blobs, BLOB_PARTS, &is_blob)?.into_iter().enumerate() {
        parts.push(if n == 0 {
            std::borrow::Cow::Borrowed(piece)
        } else {
            std::borrow::Cow::Owned(format!("[blobs]\n{piece}"))
        });
    }
    let parsed: Vec<Option<Lock>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(move || toml::from_str::<Lock>(part).ok()))
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut lock = Lock::default();
    for (n, part) in parsed.into_iter().enumerate() {
        let part = part?;
        if n < RELEASE_PARTS {
            if !part.blobs.is_empty() {
                return None;
            }
            lock.releases.extend(part.releases);
        } else {
            // A blob in two parts would be a key declared twice, which the whole parse refuses.
            if !part.releases.is_empty() || part.blobs.keys().any(|k| lock.blobs.contains_key(k)) {
                return None;
            }
            lock.blobs.extend(part.blobs);
        }
    }
    Some(lock)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock as `write` lays it out, over [`PARTS_FROM`]: `releases` releases, each with a blob
    /// of its own.
    fn long_lock(releases: usize) -> (Lock, String) {
        let mut lock = Lock::default();
        for i in 0..releases {
            let blob = format!("{i:016x}");
            lock.blobs.insert(
                blob.clone(),
                format!("syntax = \"proto3\";\n// [[release]] in a blob's text\nmessage M{i} {{\n  string \"é\" = 1;\n}}\n{}", "x".repeat(400)),
            );
            lock.releases.push(Release {
                event: format!("e{}", i % 97),
                version: format!("1.{i}"),
                format: "proto".to_owned(),
                type_name: format!("p.M{i}"),
                source: "s".to_owned(),
                topic: "t".to_owned(),
                fingerprint: blob.clone(),
                fingerprint_version: 2,
                files: vec![format!("p/m{i}.proto@{blob}")],
            });
        }
        let text = format!("# comment\n\n{}", toml::to_string_pretty(&lock).expect("serializes"));
        (lock, text)
    }

    #[test]
    fn a_long_lock_parsed_in_parts_is_the_lock_parsed_whole() {
        let (lock, text) = long_lock(3000);
        assert!(text.len() > PARTS_FROM);
        let parts = parse_in_parts(&text).expect("parsed in parts");
        assert_eq!(parts, lock);
        assert_eq!(parts, toml::from_str::<Lock>(&text).expect("parses whole"));
    }

    #[test]
    fn a_lock_laid_out_otherwise_or_broken_is_parsed_whole() {
        let (_, text) = long_lock(3000);
        // A blob whose text has a line that looks like a release's header: whole, and right.
        let (mut lock, _) = long_lock(3000);
        if let Some(text) = lock.blobs.values_mut().next() {
            text.push_str("\n[[release]]\nevent = \"not one\"\n");
        }
        let looks = toml::to_string_pretty(&lock).expect("serializes");
        assert_eq!(parse_in_parts(&looks), None);
        assert_eq!(parse(&looks).expect("parses"), lock);
        // Blobs whose texts have lines that look like a blob's start: right, whichever way.
        let (mut lock, _) = long_lock(3000);
        for text in lock.blobs.values_mut() {
            text.push_str("\n0123456789abcdef = \"\"\"not a blob\n");
        }
        let looks = toml::to_string_pretty(&lock).expect("serializes");
        assert_eq!(parse(&looks).expect("parses"), lock);
        // A release after the blobs: whole.
        let moved = format!("{text}\n[[release]]\nevent = \"x\"\n");
        assert_eq!(parse_in_parts(&moved), None);
        // Blobs declared twice (inline, then as a table): the whole parse reports it.
        let twice = format!("blobs = {{ a = \"b\" }}\n{text}");
        assert_eq!(parse_in_parts(&twice), None);
        assert!(parse(&twice).is_err());
        // A broken release: the error is located in the whole text.
        let broken = text.replacen("version = \"1.2000\"", "version = 12000", 1);
        assert_eq!(parse_in_parts(&broken), None);
        let e = parse(&broken).expect_err("a broken lock");
        let at = e.span().expect("located").start;
        assert!(
            text[..at].contains("event = \"e60\"") && broken[at..].starts_with("12000"),
            "{e}"
        );
    }

    #[test]
    fn a_short_lock_is_parsed_whole() {
        let (lock, text) = long_lock(3);
        assert!(parse_in_parts(&text).is_none());
        assert_eq!(parse(&text).expect("parses"), lock);
    }
}
