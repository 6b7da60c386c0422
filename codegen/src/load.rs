//! Loading a schema repo: find its files (herald.toml globs or a plain walk), read them safely,
//! run both front ends and assemble one [`EventSet`] with the events validated.

use crate::rules;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::config::{self, Config, CONFIG_FILE};
use crate::diagnostic::Diagnostic;
use crate::files::{Content, File, FileSet};
use crate::model::{
    Cardinality, Event, EventKind, EventMeta, EventSet, Format, Mode, Scalar, Source, TypeDef, TypeKind, TypeRef,
    Version,
};
use crate::span::{FileId, SourceMap, Span};
use crate::{avro, proto};

/// Largest schema file herald reads.
pub use crate::files::MAX_FILE_BYTES;

/// A repo that could not be loaded at all (missing directory, unreadable or invalid herald.toml).
#[derive(Debug)]
pub struct Unusable {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// The loaded repo and everything found wrong on the way.
#[derive(Debug)]
pub struct LoadResult {
    pub set: EventSet,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads the schema repo (or plain tree of schema files, or one schema file) at `root` from
/// disk: the edge that reads files ([`FileSet::read_dir`]) before [`load_files`].
pub fn load(root: &Path) -> Result<LoadResult, Box<Unusable>> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_file() => load_files(&FileSet::read_file(root)),
        Ok(_) => load_files(&FileSet::read_dir(root)),
        Err(e) => {
            let diagnostics =
                vec![
                    Diagnostic::error(rules::INPUT_MISSING, format!("cannot read `{}`: {e}", root.display()))
                        .help("pass the directory that holds herald.toml (or any directory of .proto/.avsc files)"),
                ];
            Err(Box::new(Unusable {
                sources: SourceMap::new(),
                diagnostics,
            }))
        }
    }
}

/// Loads a repo held in memory: its `herald.toml` (unless the set is a single file) and every
/// `.proto` and `.avsc` file in it. Reads nothing from disk.
pub fn load_files(files: &FileSet) -> Result<LoadResult, Box<Unusable>> {
    match load_files_in(files, &mut Session::default(), &|| false) {
        Ok(loaded) => loaded,
        // Never asked to stop, it never stops.
        Err(Cancelled) => Err(Box::new(Unusable {
            sources: SourceMap::new(),
            diagnostics: Vec::new(),
        })),
    }
}

pub use crate::proto::Cancelled;

/// What loads of one repo keep between them while its files change (an editor's session): the
/// proto front end's per-file results ([`proto::Cache`]), so that a load after a change re-reads
/// only the changed files and those that import them.
#[derive(Default)]
pub struct Session {
    proto: proto::Cache,
    /// The files the last load decoded, by name, with the bytes they were decoded from: an
    /// unchanged one is shared, not decoded again.
    decoded: foldhash::HashMap<String, (std::sync::Arc<[u8]>, std::sync::Arc<crate::span::SourceFile>)>,
    /// The sources of the last load and the diagnostics their globs gave ([`declared_sources`]),
    /// with what they were computed from: herald.toml (its file id and text) and every schema
    /// file's id and name.
    sources: Option<SourcesMemo>,
}

struct SourcesMemo {
    config: (FileId, std::sync::Arc<crate::span::SourceFile>),
    names: Vec<(FileId, String)>,
    sources: Vec<Source>,
    diags: Vec<Diagnostic>,
}

/// [`load_files`] within a session: the same outcome as [`load_files`] on the same files, reusing
/// what earlier loads in `session` computed for files that did not change. `cancel` is asked
/// between phases (and between type-check batches); when it answers true the load stops with
/// [`Cancelled`].
pub fn load_files_in(
    files: &FileSet,
    session: &mut Session,
    cancel: &dyn Fn() -> bool,
) -> Result<Result<LoadResult, Box<Unusable>>, Cancelled> {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let unusable = |sources: SourceMap, diagnostics: Vec<Diagnostic>| Box::new(Unusable { sources, diagnostics });

    // herald.toml
    let config = match read_config(files, &mut sources, &mut diags) {
        Ok(c) => c,
        Err(()) => return Ok(Err(unusable(sources, diags))),
    };
    for problem in files.problems() {
        // The path itself is the location: an empty source entry so that it renders as one.
        let id = sources.add(problem.name.clone(), None, String::new());
        diags.push(
            Diagnostic::warning(rules::FILE_UNREADABLE, problem.message.clone())
                .at(Span::file_start(id))
                .help("remove the link or point it outside the schema tree"),
        );
    }

    // Schema files.
    let mut proto_inputs = Vec::new();
    let mut avro_files = Vec::new();
    // Every schema file found, readable or not, for matching source globs.
    let mut found: Vec<(FileId, String)> = Vec::new();
    for file in files.schema_files() {
        let format = if file.name.ends_with(".proto") {
            Format::Proto
        } else {
            Format::Avro
        };
        match decode_in(file, &mut sources, session) {
            Ok(id) => match format {
                Format::Proto => proto_inputs.push(proto::ProtoInput {
                    file: id,
                    import_path: sources.get(id).name.clone(),
                    on_disk: file.on_disk,
                }),
                Format::Avro => avro_files.push(id),
            },
            Err(d) => {
                if let Some(span) = d.span {
                    found.push((span.file, sources.get(span.file).name.clone()));
                }
                diags.push(*d);
            }
        }
    }

    // Files gone since the last load are forgotten (it holds one entry per file decoded).
    if session.decoded.len() != proto_inputs.len() + avro_files.len() {
        session.decoded.retain(|name, _| files.get(name).is_some());
    }

    // Sources: which files each one's globs cover.
    let mut set = EventSet::default();
    if let Some(cfg) = &config {
        let mut names: Vec<(FileId, &str)> = proto_inputs
            .iter()
            .map(|p| p.file)
            .chain(avro_files.iter().copied())
            .map(|id| (id, sources.get(id).name.as_str()))
            .collect();
        names.extend(found.iter().map(|(id, name)| (*id, name.as_str())));
        set.sources = declared_sources_in(session, cfg, sources.get_shared(cfg.file), &names, &mut diags);
    }

    let protos = proto::load_cached(
        files.root(),
        &mut sources,
        &proto_inputs,
        &mut diags,
        &mut session.proto,
        cancel,
    )?;
    if cancel() {
        return Err(Cancelled);
    }
    let avros = avro::load(&sources, &avro_files, &mut diags);
    set.proto_descriptors = protos.descriptors;
    set.proto_locations = protos.locations;
    set.files.extend(protos.files);
    set.files.extend(avros.files);
    set.files.sort_by_key(|f| f.id);
    let avro_types = avros.types.into_iter().map(std::sync::Arc::new);
    add_types(&mut set, protos.types.into_iter().chain(avro_types), &mut diags);
    set.config = config;
    set.sources_map = sources;
    build_events(&mut set, &mut diags);
    set.consumers = crate::consumers::validate(&set, &mut diags);
    Ok(Ok(LoadResult {
        set,
        diagnostics: diags,
    }))
}

/// `herald.toml` of the set, `None` when it has none; `Err` when it is unreadable or not TOML
/// (the diagnostic says why).
fn read_config(files: &FileSet, sources: &mut SourceMap, diags: &mut Vec<Diagnostic>) -> Result<Option<Config>, ()> {
    let Some(file) = files.config() else {
        return Ok(None);
    };
    match decode(file, sources) {
        Ok(id) => {
            let text = sources.get(id).text.clone();
            config::parse(id, &text, diags).map(Some).ok_or(())
        }
        Err(d) => {
            diags.push(*d);
            Err(())
        }
    }
}

/// Reads only the repo's `herald.toml` (for commands that need the sources' settings, not the
/// schemas): the config (`None` when the directory has none), the source map its spans point
/// into, and every problem found in it.
pub fn load_config(root: &Path) -> Result<(Option<Config>, SourceMap, Vec<Diagnostic>), Box<Unusable>> {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    if !root.is_dir() {
        diags.push(
            Diagnostic::error(rules::INPUT_MISSING, format!("`{}` is not a directory", root.display()))
                .help("pass the schema repo: the directory that holds herald.toml"),
        );
        return Err(Box::new(Unusable {
            sources,
            diagnostics: diags,
        }));
    }
    let mut files = FileSet::new(root);
    let path = root.join(CONFIG_FILE);
    if path.is_file() {
        match std::fs::read(&path) {
            Ok(bytes) => files.insert(CONFIG_FILE, bytes),
            Err(e) => {
                let id = sources.add(CONFIG_FILE, Some(path), String::new());
                diags.push(
                    Diagnostic::error(rules::FILE_UNREADABLE, format!("cannot read `{CONFIG_FILE}`: {e}"))
                        .at(Span::file_start(id)),
                );
                return Err(Box::new(Unusable {
                    sources,
                    diagnostics: diags,
                }));
            }
        }
    }
    match read_config(&files, &mut sources, &mut diags) {
        Ok(config) => Ok((config, sources, diags)),
        Err(()) => Err(Box::new(Unusable {
            sources,
            diagnostics: diags,
        })),
    }
}

/// [`decode`] within a session: a file whose bytes are those the session decoded last time is
/// shared from there (and the session keeps each file this load decodes).
fn decode_in(file: File, sources: &mut SourceMap, session: &mut Session) -> Result<FileId, Box<Diagnostic>> {
    match (session.decoded.get(file.name), file.content) {
        (Some((held_bytes, held)), Content::Bytes(bytes)) if same_content(held_bytes, held, bytes, file) => {
            Ok(sources.add_shared(held.clone()))
        }
        (_, content) => {
            let decoded = decode(file, sources);
            match (&decoded, content) {
                (Ok(id), Content::Bytes(bytes)) => {
                    let entry = (bytes.clone(), sources.get_shared(*id).clone());
                    session.decoded.insert(file.name.to_owned(), entry);
                }
                _ => {
                    session.decoded.remove(file.name);
                }
            }
            decoded
        }
    }
}

/// Whether `file`, whose content is `bytes`, decodes to exactly `shared`, decoded from
/// `shared_bytes` (same name, path and bytes: the very same bytes, or equal ones).
fn same_content(
    shared_bytes: &std::sync::Arc<[u8]>,
    shared: &crate::span::SourceFile,
    bytes: &std::sync::Arc<[u8]>,
    file: File,
) -> bool {
    shared.name == file.name
        && shared.path.as_deref() == Some(file.path)
        && (std::sync::Arc::ptr_eq(shared_bytes, bytes) || **shared_bytes == **bytes)
}

/// A file's content as text in the source map: refuses huge and unreadable files, reports
/// invalid UTF-8 at the offending byte.
fn decode(file: File, sources: &mut SourceMap) -> Result<FileId, Box<Diagnostic>> {
    let (name, path) = (file.name, Some(file.path.to_path_buf()));
    let bytes = match file.content {
        Content::Bytes(bytes) => bytes,
        Content::TooLarge(size) => {
            let id = sources.add(name, path, String::new());
            return Err(Box::new(
                Diagnostic::error(
                    rules::FILE_TOO_LARGE,
                    format!("`{name}` is {size} bytes; herald reads schema files up to {MAX_FILE_BYTES}"),
                )
                .at(Span::file_start(id)),
            ));
        }
        Content::Unreadable(e) => {
            let id = sources.add(name, path, String::new());
            return Err(Box::new(
                Diagnostic::error(rules::FILE_UNREADABLE, format!("cannot read `{name}`: {e}"))
                    .at(Span::file_start(id)),
            ));
        }
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(name, path, text.to_owned())),
        Err(e) => {
            let valid_up_to = e.valid_up_to();
            let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
            let text = String::from_utf8_lossy(bytes).into_owned();
            let id = sources.add(name, path, text);
            // Offsets in the stored text are after the BOM, which the prefix up to the bad byte shares.
            let at = valid_up_to.saturating_sub(if bom { 3 } else { 0 });
            Err(Box::new(
                Diagnostic::error(rules::FILE_NOT_UTF8, format!("`{name}` is not valid UTF-8"))
                    .at(Span::new(id, at, at + 3))
                    .label("invalid byte here")
                    .help("schema files must be UTF-8 text; re-save the file as UTF-8"),
            ))
        }
    }
}

/// The lock file's name at the repo root (`herald release` writes it; [`crate::lock`] reads it).
pub const LOCK_FILE: &str = "herald.lock";

/// `herald.lock`'s content: every release with its files, content-addressed ([`crate::lock`]
/// reads, writes and records it).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    #[serde(default, rename = "release")]
    pub releases: Vec<Release>,
    /// File contents by hash.
    #[serde(default)]
    pub blobs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub event: String,
    pub version: String,
    pub format: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub source: String,
    pub topic: String,
    pub fingerprint: String,
    /// How `fingerprint` was computed ([`crate::fingerprint::VERSION`]); 1 (absent) in locks
    /// written before proto fingerprints covered every type an event uses.
    #[serde(default = "fingerprint_v1", skip_serializing_if = "is_v1")]
    pub fingerprint_version: u32,
    /// `path@hash` of every file the event's schema needs.
    pub files: Vec<String>,
}

fn fingerprint_v1() -> u32 {
    1
}

fn is_v1(version: &u32) -> bool {
    *version == 1
}

impl Release {
    pub fn version(&self) -> Option<Version> {
        Version::parse(&self.version)
    }
}

/// A released version as a schema repo in memory (a herald.toml declaring its source, topic and
/// exactly its files, and the files from the lock's blobs), ready for [`load_files`].
pub fn release_files(lock: &Lock, release: &Release) -> Result<FileSet, String> {
    let mut files = FileSet::new(LOCK_FILE);
    for entry in &release.files {
        let (path, h) = entry
            .rsplit_once('@')
            .ok_or_else(|| format!("malformed file entry `{entry}` in {LOCK_FILE}"))?;
        let text = lock
            .blobs
            .get(h)
            .ok_or_else(|| format!("{LOCK_FILE} has no blob {h} for `{path}`"))?;
        let rel = Path::new(path);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(format!("{LOCK_FILE} names a file outside the repo: `{path}`"));
        }
        files.insert(path, text.as_bytes());
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let globs: Vec<String> = release
        .files
        .iter()
        .filter_map(|f| f.rsplit_once('@'))
        .map(|(p, _)| quote(p))
        .collect();
    let config = format!(
        "[repo]\nname = \"released\"\n\n[sources.{}]\ntopic = {}\nschemas = [{}]\n",
        quote(&release.source),
        quote(&release.topic),
        globs.join(", ")
    );
    files.insert(CONFIG_FILE, config);
    Ok(files)
}

/// Every file a build of `root` reads (herald.toml, herald.lock and the schema files): what a
/// build script watches and hashes.
pub fn input_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let config = root.join(CONFIG_FILE);
    if config.is_file() {
        files.push(config);
    }
    let lock = root.join(LOCK_FILE);
    if lock.is_file() {
        files.push(lock);
    }
    files.extend(crate::files::walk(root).0);
    files
}

/// Adds the front ends' types to the set, each full name once: a second definition involving a
/// proto type is an error here (the Avro front end reports its own duplicates).
fn add_types(
    set: &mut EventSet,
    types: impl Iterator<Item = std::sync::Arc<crate::model::TypeDef>>,
    diags: &mut Vec<Diagnostic>,
) {
    let types = types.into_iter();
    set.by_name.reserve(types.size_hint().0);
    for ty in types {
        match set.by_name.get(&ty.full_name) {
            Some(&first) => {
                let first = &set.types[first];
                if first.format == Format::Proto || ty.format == Format::Proto {
                    diags.push(
                        Diagnostic::error(
                            rules::DUPLICATE_DEFINITION,
                            format!("`{}` is defined more than once", ty.full_name),
                        )
                        .at(ty.span)
                        .related(first.span, "first defined here")
                        .help("rename one of them or move it to another package"),
                    );
                }
            }
            None => {
                set.by_name.insert(ty.full_name.clone(), set.types.len());
                set.types.push(ty);
            }
        }
    }
}

/// [`declared_sources`] within a session: those of the last load while herald.toml (`config_file`)
/// and the files' ids and names are the same.
fn declared_sources_in(
    session: &mut Session,
    cfg: &Config,
    config_file: &std::sync::Arc<crate::span::SourceFile>,
    names: &[(FileId, &str)],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Source> {
    let held = session.sources.as_ref().filter(|m| {
        m.config.0 == cfg.file
            && (std::sync::Arc::ptr_eq(&m.config.1, config_file) || m.config.1.text == config_file.text)
            && m.names.len() == names.len()
            && m.names.iter().zip(names).all(|((a, x), (b, y))| a == b && x == y)
    });
    if let Some(memo) = held {
        diags.extend(memo.diags.iter().cloned());
        return memo.sources.clone();
    }
    let mut own = Vec::new();
    let out = declared_sources(cfg, names, &mut own);
    diags.extend(own.iter().cloned());
    session.sources = Some(SourcesMemo {
        config: (cfg.file, config_file.clone()),
        names: names.iter().map(|(id, n)| (*id, (*n).to_owned())).collect(),
        sources: out.clone(),
        diags: own,
    });
    out
}

/// Each source of `herald.toml` with the files (of `names`: every schema file found, readable or
/// not) its globs cover; a glob that matches nothing is a warning.
fn declared_sources(cfg: &Config, names: &[(FileId, &str)], diags: &mut Vec<Diagnostic>) -> Vec<Source> {
    let mut out = Vec::new();
    for sc in &cfg.sources {
        let mut covered = Vec::new();
        for (glob, span) in &sc.schemas {
            let Some(matcher) = compile_glob(glob, *span, diags) else {
                continue;
            };
            let before = covered.len();
            for (id, name) in names {
                if matcher.is_match(name) && !covered.contains(id) {
                    covered.push(*id);
                }
            }
            if covered.len() == before && !names.iter().any(|(_, n)| matcher.is_match(n)) {
                diags.push(
                    Diagnostic::warning(rules::GLOB_NO_MATCH, format!("glob `{glob}` matches no schema file"))
                        .at(*span)
                        .help("globs are relative to the repo root, e.g. \"user/**/*.proto\""),
                );
            }
        }
        covered.sort();
        out.push(Source {
            name: sc.name.clone(),
            topic: sc.topic.clone(),
            compatibility: sc.compatibility.unwrap_or(cfg.compatibility),
            files: covered,
        });
    }
    out
}

fn compile_glob(glob: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<GlobMatcher> {
    let path = Path::new(glob);
    if path.is_absolute() || glob.starts_with('/') || path.components().any(|c| matches!(c, Component::ParentDir)) {
        diags.push(
            Diagnostic::error(
                rules::GLOB_ESCAPES_REPO,
                format!("glob `{glob}` reaches outside the schema repo"),
            )
            .at(span)
            .help("globs are relative to the repo root and may not use `..` or start with `/`"),
        );
        return None;
    }
    match GlobBuilder::new(glob).literal_separator(true).build() {
        Ok(g) => Some(g.compile_matcher()),
        Err(e) => {
            diags.push(
                Diagnostic::error(rules::CONFIG_BAD_VALUE, format!("invalid glob `{glob}`: {}", e.kind())).at(span),
            );
            None
        }
    }
}

/// Whether `inner` lies inside `outer` (same file).
fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.start >= outer.start && inner.end <= outer.end
}

/// Validates event metadata and builds [`EventSet::events`].
fn build_events(set: &mut EventSet, diags: &mut Vec<Diagnostic>) {
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    let mut events = Vec::new();
    for (id, ty) in set.types.iter().enumerate() {
        let Some(meta) = &ty.event else { continue };
        if set.is_builtin(ty) {
            continue;
        }
        let anchor = meta.span.unwrap_or(ty.span);
        let version = event_version(ty, meta, anchor, diags);
        let kind = event_kind(ty, meta, anchor, diags);
        let partition_key = match &meta.partition_key {
            None => {
                let key_name = match ty.format {
                    Format::Proto => "partition_key",
                    Format::Avro => "partitionKey",
                };
                diags.push(
                    Diagnostic::error(
                        rules::EVENT_MISSING_PARTITION_KEY,
                        format!("event `{}` has no partition key", ty.full_name),
                    )
                    .at(anchor)
                    .help(format!(
                        "add {key_name}: the field whose value keeps related events in order"
                    )),
                );
                None
            }
            Some(key) => check_partition_key(set, ty, key, diags),
        };
        let name = meta
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| ty.full_name.clone());
        let name_span = meta.name.as_ref().map(|n| n.span).unwrap_or(ty.span);
        // One name may have several MAJOR versions side by side; each (name, MAJOR) once.
        let key = match version {
            Some(v) => format!("{name} {}", v.major),
            None => name.clone(),
        };
        let mut ok = true;
        if let Some(first) = names.get(&key) {
            diags.push(
                Diagnostic::error(
                    rules::EVENT_DUPLICATE_NAME,
                    format!("event type name `{name}` is used twice for one MAJOR version"),
                )
                .at(name_span)
                .related(*first, "first used here")
                .help("every event type needs its own name"),
            );
            ok = false;
        } else {
            names.insert(key, name_span);
        }
        let mode = match &meta.compatibility {
            Some(c) => match Mode::parse(&c.value) {
                Some(mode) => Some(mode),
                None => {
                    diags.push(
                        Diagnostic::error(
                            rules::EVENT_BAD_COMPATIBILITY,
                            format!("unknown compatibility mode `{}`", c.value),
                        )
                        .at(c.span)
                        .help(format!("use one of {}", Mode::names())),
                    );
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if set.config.is_none() {
            continue;
        }
        let source = event_source(set, ty, diags);
        if let (true, Some(version), Some(kind), Some(partition_key), Some(source)) =
            (ok, version, kind, partition_key, source)
        {
            events.push(Event {
                name,
                type_id: id,
                version,
                kind,
                partition_key,
                source: Some(source),
                compatibility: mode.unwrap_or_else(|| set.sources[source].compatibility),
                span: anchor,
            });
        }
    }
    set.events = events;
}

/// An event's version, reported when missing or not `MAJOR.MINOR`.
fn event_version(ty: &TypeDef, meta: &EventMeta, anchor: Span, diags: &mut Vec<Diagnostic>) -> Option<Version> {
    let Some(v) = &meta.version else {
        // A version that is there but not a string was reported where it is.
        let reported = diags
            .iter()
            .any(|d| d.rule == rules::EVENT_BAD_VERSION && d.span.is_some_and(|s| within(s, anchor)));
        if !reported {
            // Help in the schema's own syntax.
            let help = match ty.format {
                Format::Proto => "add version: \"1.0\"",
                Format::Avro => "add \"version\": \"1.0\" to \"herald\"",
            };
            diags.push(
                Diagnostic::error(
                    rules::EVENT_BAD_VERSION,
                    format!("event `{}` has no version", ty.full_name),
                )
                .at(anchor)
                .help(help),
            );
        }
        return None;
    };
    let version = Version::parse(&v.value);
    if version.is_none() {
        diags.push(
            Diagnostic::error(
                rules::EVENT_BAD_VERSION,
                format!("version `{}` is not MAJOR.MINOR", v.value),
            )
            .at(v.span)
            .help("write two whole numbers, e.g. \"1.2\""),
        );
    }
    version
}

/// An event's kind, reported when missing or unknown.
fn event_kind(ty: &TypeDef, meta: &EventMeta, anchor: Span, diags: &mut Vec<Diagnostic>) -> Option<EventKind> {
    match meta.kind.as_ref().map(|k| k.value.as_str()) {
        Some("EVENT") => Some(EventKind::Event),
        Some("COMMAND") => Some(EventKind::Command),
        Some(other) => {
            let span = meta.kind.as_ref().map(|k| k.span).unwrap_or(anchor);
            diags.push(
                Diagnostic::error(rules::EVENT_UNKNOWN_KIND, format!("unknown kind `{other}`"))
                    .at(span)
                    .help("kind is EVENT (a fact, to any number of subscribers) or COMMAND (a request to one service)"),
            );
            None
        }
        None => {
            // Help in the schema's own syntax.
            let help = match ty.format {
                Format::Proto => "add kind: EVENT or kind: COMMAND",
                Format::Avro => "add \"kind\": \"event\" or \"kind\": \"command\" to \"herald\"",
            };
            diags.push(
                Diagnostic::error(
                    rules::EVENT_UNKNOWN_KIND,
                    format!("event `{}` has no kind", ty.full_name),
                )
                .at(anchor)
                .help(help),
            );
            None
        }
    }
}

/// The one source whose globs cover the event's file (an index into `set.sources`), reported
/// when none or several do.
fn event_source(set: &EventSet, ty: &TypeDef, diags: &mut Vec<Diagnostic>) -> Option<usize> {
    let owners: Vec<usize> = set
        .sources
        .iter()
        .enumerate()
        // Each source's files are sorted (`declared_sources`).
        .filter(|(_, s)| s.files.binary_search(&ty.file).is_ok())
        .map(|(i, _)| i)
        .collect();
    match owners.as_slice() {
        [] => {
            diags.push(
                Diagnostic::error(
                    rules::EVENT_NOT_IN_SOURCE,
                    format!(
                        "event `{}` is in a file that no source's `schemas` globs cover",
                        ty.full_name
                    ),
                )
                .at(ty.span)
                .help("add the file to a [sources.NAME] schemas glob in herald.toml"),
            );
            None
        }
        [one] => Some(*one),
        many => {
            let names: Vec<&str> = many.iter().map(|i| set.sources[*i].name.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    rules::EVENT_NOT_IN_SOURCE,
                    format!(
                        "event `{}` is claimed by more than one source: {}",
                        ty.full_name,
                        names.join(", ")
                    ),
                )
                .at(ty.span)
                .help("each event belongs to exactly one source; narrow the globs"),
            );
            None
        }
    }
}

fn check_partition_key(
    set: &EventSet,
    ty: &crate::model::TypeDef,
    key: &crate::model::Located,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let TypeKind::Message(m) = &ty.kind else {
        return None;
    };
    let Some(field) = m.fields.iter().find(|f| f.name == key.value) else {
        let names: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).collect();
        diags.push(
            Diagnostic::error(
                rules::EVENT_PARTITION_KEY_UNKNOWN_FIELD,
                format!("partition key `{}` names no field of `{}`", key.value, ty.full_name),
            )
            .at(key.span)
            .help(if names.is_empty() {
                "the message has no fields".to_owned()
            } else {
                match crate::suggest::did_you_mean(&key.value, names.iter().copied()) {
                    Some(suggestion) => format!("{suggestion} (fields: {})", names.join(", ")),
                    None => format!("fields: {}", names.join(", ")),
                }
            }),
        );
        return None;
    };
    let scalar_like = |t: &TypeRef| match t {
        TypeRef::Scalar(s) => !matches!(s, Scalar::Null | Scalar::Float | Scalar::Double),
        TypeRef::Logical(..) => true,
        TypeRef::Named(n) => matches!(
            set.type_named(n).map(|t| &t.kind),
            Some(TypeKind::Enum(_)) | Some(TypeKind::Fixed { .. })
        ),
        _ => false,
    };
    let what = if field.cardinality == Cardinality::Repeated {
        Some("a repeated field")
    } else if matches!(field.ty, TypeRef::Map(..)) {
        Some("a map")
    } else if matches!(field.ty, TypeRef::Array(_)) {
        Some("an array")
    } else if matches!(field.ty, TypeRef::Union(_)) {
        Some("a union")
    } else if !scalar_like(&field.ty) {
        Some("not a single scalar value")
    } else {
        None
    };
    if let Some(what) = what {
        diags.push(
            Diagnostic::error(
                rules::EVENT_PARTITION_KEY_NOT_SCALAR,
                format!("partition key `{}` is {what}", key.value),
            )
            .at(key.span)
            .related(field.span, "field declared here")
            .help("use a field holding one string, integer, enum or uuid value, such as an id"),
        );
        return None;
    }
    Some(key.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `root` as an in-memory set, none of it marked as on disk.
    fn in_memory(root: &Path) -> FileSet {
        let on_disk = FileSet::read_dir(root);
        let mut set = FileSet::new(root);
        for file in on_disk.iter() {
            if let Content::Bytes(bytes) = file.content {
                set.insert(file.name, bytes.to_vec());
            }
        }
        set
    }

    fn summary(loaded: &LoadResult) -> (String, Vec<String>) {
        let diags = loaded
            .diagnostics
            .iter()
            .map(|d| format!("{} {} {:?}", d.rule, d.message, d.span))
            .collect();
        (format!("{:?}", loaded.set.events), diags)
    }

    #[test]
    fn the_same_files_load_the_same_from_memory_as_from_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let from_disk = load(&root).expect("the example repo loads");
        let from_memory = load_files(&in_memory(&root)).expect("the example repo loads from memory");
        assert!(!from_disk.set.events.is_empty());
        assert_eq!(summary(&from_disk), summary(&from_memory));
        assert_eq!(from_disk.set.proto_descriptors, from_memory.set.proto_descriptors);
    }

    #[test]
    fn a_buffer_is_loaded_instead_of_the_file_on_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let mut files = FileSet::read_dir(&root);
        let name = files
            .schema_files()
            .find(|f| f.name.ends_with(".proto"))
            .map(|f| f.name.to_owned())
            .expect("the example repo has a .proto file");
        files.insert(name.clone(), "syntax = \"proto3\";\nmessage {\n");
        let loaded = load_files(&files).expect("loads with diagnostics");
        let broken: Vec<&Diagnostic> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.span.is_some_and(|s| loaded.set.sources_map.get(s.file).name == name))
            .collect();
        assert!(
            broken.iter().any(|d| d.rule == rules::PROTO_SYNTAX),
            "{:?}",
            loaded.diagnostics
        );
    }

    /// A session shares a file's decoded text only while its bytes are the same: an edit of the
    /// same length, a file removed and put back, a file turned to invalid UTF-8 and back each load
    /// the text a fresh load reads.
    #[test]
    fn a_session_decodes_a_file_again_when_its_bytes_change() {
        let mut files = FileSet::new("/decode");
        files.insert("a.avsc", "\"string\"\n");
        let mut session = Session::default();
        let texts = |files: &FileSet, session: &mut Session| {
            let via_session = load_files_in(files, session, &|| false).expect("never cancelled");
            let fresh = load_files(files);
            let text = |loaded: &Result<LoadResult, Box<Unusable>>| {
                let (sources, diags) = match loaded {
                    Ok(l) => (&l.set.sources_map, &l.diagnostics),
                    Err(u) => (&u.sources, &u.diagnostics),
                };
                let texts: Vec<String> = sources.files().map(|(_, f)| format!("{}={}", f.name, f.text)).collect();
                (texts, diags.iter().map(|d| d.message.clone()).collect::<Vec<_>>())
            };
            assert_eq!(text(&via_session), text(&fresh));
            text(&fresh).0
        };
        assert_eq!(texts(&files, &mut session), ["a.avsc=\"string\"\n"]);
        files.insert("a.avsc", "\"double\"\n");
        assert_eq!(texts(&files, &mut session), ["a.avsc=\"double\"\n"]);
        files.remove("a.avsc");
        assert!(texts(&files, &mut session).is_empty());
        files.insert("a.avsc", "\"double\"\n");
        assert_eq!(texts(&files, &mut session), ["a.avsc=\"double\"\n"]);
        files.insert("a.avsc", b"\"d\xffuble\"\n".to_vec());
        texts(&files, &mut session);
        files.insert("a.avsc", "\"double\"\n");
        assert_eq!(texts(&files, &mut session), ["a.avsc=\"double\"\n"]);
    }

    #[test]
    fn a_release_loads_from_the_lock_without_touching_the_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let text = std::fs::read_to_string(root.join(LOCK_FILE)).expect("the example repo has a lock");
        let lock: Lock = toml::from_str(&text).expect("the lock parses");
        let release = lock.releases.first().expect("the lock has a release");
        let files = release_files(&lock, release).expect("the release's files are in the lock");
        assert!(files.iter().all(|f| !f.on_disk));
        let loaded = load_files(&files).expect("the release loads");
        assert!(
            loaded.set.type_named(&release.type_name).is_some(),
            "{:?}",
            loaded.diagnostics
        );
    }
}
