//! The proto front end: `.proto` text → model, through protobuf-parse in pure mode (no protoc).
//!
//! protobuf-parse checks syntax and types and yields descriptors without locations or comments;
//! [`scan`] recovers both from the text. Imports resolve against the repo root, plus the files
//! herald builds in (`herald/options.proto` and protobuf's well-known types).

mod cache;
mod direct;
pub mod locate;
pub mod scan;

pub use cache::{Cache, Cancelled};

use crate::rules;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use protobuf::descriptor::field_descriptor_proto::{Label, Type};
use protobuf::descriptor::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};
use protobuf::UnknownValueRef;

use crate::diagnostic::Diagnostic;
use crate::model::{
    join_name, Cardinality, Doc, Enum, EnumValue, EventMeta, Field, Format, Located, Message, Oneof, Scalar,
    SchemaFile, TypeDef, TypeKind, TypeRef,
};
use crate::span::{FileId, SourceMap, Span};
use scan::{FieldDecl, MessageDecl, OptionDecl, OptionEntry, Outline};

/// Text of the built-in `herald/options.proto`.
pub const OPTIONS_PROTO: &str = include_str!("options.proto");
/// Import path of the built-in options file.
pub const OPTIONS_PATH: &str = "herald/options.proto";
/// Import path of protobuf's `descriptor.proto`.
const DESCRIPTOR_PATH: &str = "google/protobuf/descriptor.proto";
/// What `herald/options.proto` needs of `descriptor.proto`: the message it extends. Staged in its
/// place when no file of the repo imports (or is) `descriptor.proto`, so that every parser run
/// does not parse and index all of it (the parser resolves built-in options such as `deprecated`
/// from its own compiled-in descriptors, not from this file). A repo that imports it gets the
/// whole file.
const DESCRIPTOR_FOR_OPTIONS: &str =
    "syntax = \"proto2\";\npackage google.protobuf;\nmessage MessageOptions {\n  extensions 1000 to max;\n}\n";

/// The descriptors of `herald/options.proto`, the [`DESCRIPTOR_FOR_OPTIONS`] stand-in and
/// protobuf's well-known types but `descriptor.proto`, as a parser run over files that import
/// them gives them; type-checked once per process (for [`direct`], which builds files that
/// import them). `None` when they could not be.
fn builtin_descriptors() -> Option<&'static [FileDescriptorProto]> {
    static BUILTINS: std::sync::OnceLock<Option<Vec<FileDescriptorProto>>> = std::sync::OnceLock::new();
    BUILTINS
        .get_or_init(|| {
            // One file in the private overlay that imports them all; its own descriptor is left out.
            const ALL: &str = "herald-built-in-files.proto";
            let mut all = String::from("syntax = \"proto3\";\n");
            for path in std::iter::once(&OPTIONS_PATH).chain(WELL_KNOWN.iter().filter(|p| **p != DESCRIPTOR_PATH)) {
                all.push_str(&format!("import \"{path}\";\n"));
            }
            let overlay = overlay_dir().ok()?;
            for (rel, text) in [
                (OPTIONS_PATH, OPTIONS_PROTO),
                (DESCRIPTOR_PATH, DESCRIPTOR_FOR_OPTIONS),
                (ALL, all.as_str()),
            ] {
                let path = overlay.path().join(rel);
                std::fs::create_dir_all(path.parent()?).ok()?;
                std::fs::write(path, text).ok()?;
            }
            let roots = Roots {
                overlay,
                repo: None,
                staged: BTreeSet::from([ALL.to_owned()]),
            };
            let fds = typecheck(&[ALL.to_owned()], &roots).ok()?;
            Some(fds.into_iter().filter(|fd| fd.name() != ALL).collect())
        })
        .as_deref()
}

/// Whether the repo's files need the whole `descriptor.proto` (one of them imports it, or is it),
/// rather than [`DESCRIPTOR_FOR_OPTIONS`].
fn needs_whole_descriptor(states: &BTreeMap<String, FileState>) -> bool {
    states.contains_key(DESCRIPTOR_PATH)
        || states
            .values()
            .any(|st| st.outline.imports.iter().any(|i| i.path == DESCRIPTOR_PATH))
}

/// Most top-level messages and enums herald type-checks in one `.proto` file: the pure parser's
/// option resolution is quadratic in this number, so a file beyond it is refused with a diagnostic
/// rather than left to run for minutes.
pub const MAX_TOP_LEVEL_DEFINITIONS: usize = 10_000;

/// Files type-checked in one parser run.
const TYPECHECK_BATCH: usize = 64;
/// Field number of `(herald.event)` in `google.protobuf.MessageOptions`.
pub const EVENT_OPTION_NUMBER: u32 = 50001;

const WELL_KNOWN: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

/// `herald.EventOptions` on the wire, decoded from the unknown field of `MessageOptions`.
#[derive(Clone, PartialEq, prost::Message)]
struct EventOptionsWire {
    #[prost(string, tag = "1")]
    version: String,
    #[prost(int32, tag = "2")]
    kind: i32,
    #[prost(string, tag = "3")]
    partition_key: String,
    #[prost(string, tag = "4")]
    name: String,
    #[prost(string, tag = "5")]
    compatibility: String,
}

/// One `.proto` file to load: its id in the source map and its import path.
#[derive(Debug, Clone)]
pub struct ProtoInput {
    pub file: FileId,
    pub import_path: String,
    /// Its bytes are those of `root/import_path` on disk (else the parser gets a copy).
    pub on_disk: bool,
}

/// What the proto front end produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<SchemaFile>,
    /// Shared with the session's cache (an unchanged file's types are not copied).
    pub types: Vec<Arc<TypeDef>>,
    /// Descriptors of every file that type-checked (inputs and their imports), by import path, in
    /// the wire format (those that failed to serialize left out).
    pub descriptors: BTreeMap<String, Arc<Vec<u8>>>,
    /// Spans by descriptor path, for the user's files.
    pub locations: BTreeMap<String, Arc<crate::model::ProtoLocations>>,
}

struct FileState {
    file: FileId,
    on_disk: bool,
    outline: Arc<Outline>,
    /// Hash of its import path and text ([`cache`] keys type-check failures and lowerings by it).
    hash: u64,
    /// Hash of its import path and tokens, comments and layout left out ([`cache`] keys
    /// successful type-checks by it: the parser's descriptor does not depend on them).
    tokens: u64,
    /// Stopped by a syntax, import or cycle error of its own.
    broken: bool,
    /// The file parsed by herald's own front end, when it is in the subset that front end covers
    /// ([`direct`]); such a file needs no syntax check of protobuf-parse's.
    direct: Option<Arc<direct::File>>,
}

/// Loads proto files. Every problem becomes a located diagnostic; what can be loaded is: each file
/// is scanned (`scan_inputs`), its imports checked, the good ones type-checked
/// (`typecheck_all`) and lowered into the model (`lower_all`).
pub fn load(root: &Path, sources: &mut SourceMap, inputs: &[ProtoInput], diags: &mut Vec<Diagnostic>) -> Loaded {
    load_cached(root, sources, inputs, diags, &mut Cache::default(), &|| false).unwrap_or_default()
}

/// [`load`], reusing the per-file results `cache` holds from earlier loads (and keeping this
/// load's for the next): the same outcome as [`load`] on the same inputs, whatever the cache holds.
/// `cancel` is asked between phases and between type-check batches; when it answers true the load
/// stops with [`Cancelled`] (the cache keeps what was complete).
pub fn load_cached(
    root: &Path,
    sources: &mut SourceMap,
    inputs: &[ProtoInput],
    diags: &mut Vec<Diagnostic>,
    cache: &mut Cache,
    cancel: &dyn Fn() -> bool,
) -> Result<Loaded, Cancelled> {
    let mut states = cache.scan_inputs(sources, inputs, diags);
    check_imports(sources, &mut states, diags);
    if cancel() {
        return Err(Cancelled);
    }
    let Some(checked) = cache.typecheck_all(root, sources, &states, diags, cancel)? else {
        return Ok(Loaded::default());
    };
    if cancel() {
        return Err(Cancelled);
    }
    let loaded = cache.lower_all(sources, &states, &checked);
    cache.prune(&states, &checked);
    Ok(loaded)
}

/// Scans one input: tokens, outline, the checks on the outline and protobuf-parse's own syntax
/// check. A file stopped by a problem of its own is marked broken. Its outcome depends on its
/// text and file id only.
fn scan_input(sources: &SourceMap, input: &ProtoInput, diags: &mut Vec<Diagnostic>) -> FileState {
    let text = &sources.get(input.file).text;
    let span = |s: usize, e: usize| Span::new(input.file, s, e);
    let mut outline = Outline::default();
    let mut state = FileState {
        file: input.file,
        on_disk: input.on_disk,
        outline: Arc::default(),
        hash: cache::file_hash(&input.import_path, text),
        tokens: 0,
        broken: false,
        direct: None,
    };
    {
        let state = &mut state;
        match scan::tokenize(text) {
            Err(e) => {
                let mut d = Diagnostic::error(rules::PROTO_SYNTAX, e.message).at(span(e.start, e.end));
                if let Some(help) = e.help {
                    d = d.help(help);
                }
                diags.push(d);
                state.broken = true;
            }
            Ok(tokens) => {
                state.tokens = cache::tokens_hash(&input.import_path, text, &tokens);
                outline = scan::outline(text, &tokens);
                let count = outline.messages.len() + outline.enums.len();
                if count > MAX_TOP_LEVEL_DEFINITIONS {
                    let at = outline
                        .messages
                        .get(MAX_TOP_LEVEL_DEFINITIONS)
                        .map(|m| m.span)
                        .unwrap_or((0, 0));
                    diags.push(
                        Diagnostic::error(rules::FILE_TOO_LARGE,
                            format!("{count} top-level definitions in one file; herald checks up to {MAX_TOP_LEVEL_DEFINITIONS}"),
                        )
                        .at(span(at.0, at.1))
                        .label("the first definition over the limit")
                        .help("split the file: one file per event or per aggregate is the usual layout"),
                    );
                    state.broken = true;
                } else if !check_outline(input.file, &outline, diags) {
                    state.broken = true;
                } else if let Some(parsed) = direct::parse(text, &tokens) {
                    state.direct = Some(Arc::new(parsed));
                } else if let Err(e) = protobuf_parse::pure::parse_dependencies(text) {
                    let file = sources.get(input.file);
                    let offset = file.offset_of(e.line as usize, e.col as usize);
                    let (s, end) = token_at(&tokens, offset);
                    diags.push(
                        Diagnostic::error(rules::PROTO_SYNTAX, format!("syntax error: {:#}", e.error))
                            .at(span(s, end))
                            .help("see https://protobuf.dev/reference/protobuf/proto3-spec/ for the grammar"),
                    );
                    state.broken = true;
                }
            }
        }
    }
    state.outline = Arc::new(outline);
    state
}

/// Largest proto field number.
const MAX_FIELD_NUMBER: i64 = 536_870_911;

/// Structural checks protobuf-parse reports poorly or not at all: duplicate names, field numbers
/// out of range, duplicated or in the implementation-reserved range, enums with no values or a
/// nonzero first value in proto3. Returns whether the file passed.
/// Long because it is one pass over the outline with a check per construct; the nested functions
/// hold the per-enum and per-message checks, and the rest is the file-level part (their shared
/// counters and spans).
fn check_outline(file: FileId, outline: &Outline, diags: &mut Vec<Diagnostic>) -> bool {
    let before = diags.len();
    let span = |r: (usize, usize)| Span::new(file, r.0, r.1);
    let proto3 = outline.syntax.as_deref() == Some("proto3");
    let mut dup = |what: &str, scope: &str, items: Vec<(&str, (usize, usize))>, diags: &mut Vec<Diagnostic>| {
        let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (name, at) in items {
            if let Some(first) = seen.get(name) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_DUPLICATE_NAME,
                        format!("{what} `{name}` is declared twice in {scope}"),
                    )
                    .at(span(at))
                    .related(span(*first), "first declared here"),
                );
            } else {
                seen.insert(name, at);
            }
        }
    };
    let top: Vec<(&str, (usize, usize))> = outline
        .messages
        .iter()
        .map(|m| (m.name.as_str(), m.span))
        .chain(outline.enums.iter().map(|e| (e.name.as_str(), e.span)))
        .collect();
    dup("type", "this file", top, diags);
    fn enums(e: &scan::EnumDecl, proto3: bool, file: FileId, diags: &mut Vec<Diagnostic>) {
        let span = |r: (usize, usize)| Span::new(file, r.0, r.1);
        match e.values.first() {
            None => diags.push(
                Diagnostic::error(rules::PROTO_ENUM_VALUES, format!("enum `{}` has no values", e.name))
                    .at(span(e.span))
                    .help(format!("add `{}_UNSPECIFIED = 0;`", lint_upper(&e.name))),
            ),
            Some(first) if proto3 && first.number.is_some_and(|(n, _)| n != 0) => diags.push(
                Diagnostic::error(
                    rules::PROTO_ENUM_VALUES,
                    format!("the first value of proto3 enum `{}` must be zero", e.name),
                )
                .at(span(first.number.map(|n| n.1).unwrap_or(first.span)))
                .help(format!("start with `{}_UNSPECIFIED = 0;`", lint_upper(&e.name))),
            ),
            _ => {}
        }
        let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for v in &e.values {
            if let Some(first) = seen.get(v.name.as_str()) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_DUPLICATE_NAME,
                        format!("enum value `{}` is declared twice in `{}`", v.name, e.name),
                    )
                    .at(span(v.span))
                    .related(span(*first), "first declared here"),
                );
            } else {
                seen.insert(&v.name, v.span);
            }
        }
    }
    fn messages(m: &MessageDecl, proto3: bool, file: FileId, diags: &mut Vec<Diagnostic>) {
        let span = |r: (usize, usize)| Span::new(file, r.0, r.1);
        let mut names: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut numbers: BTreeMap<i64, (&str, (usize, usize))> = BTreeMap::new();
        for f in &m.fields {
            if let Some(first) = names.get(f.name.as_str()) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_DUPLICATE_NAME,
                        format!("field `{}` is declared twice in `{}`", f.name, m.name),
                    )
                    .at(span(f.span))
                    .related(span(*first), "first declared here"),
                );
            } else {
                names.insert(&f.name, f.span);
            }
            let Some((n, at)) = f.number else { continue };
            if !(1..=MAX_FIELD_NUMBER).contains(&n) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_FIELD_NUMBER,
                        format!("field number {n} of `{}` is out of range", f.name),
                    )
                    .at(span(at))
                    .help(format!("field numbers go from 1 to {MAX_FIELD_NUMBER}")),
                );
            } else if (19_000..=19_999).contains(&n) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_FIELD_NUMBER,
                        format!(
                            "field number {n} of `{}` is reserved for the protobuf implementation",
                            f.name
                        ),
                    )
                    .at(span(at))
                    .help("numbers 19000 to 19999 cannot be used"),
                );
            } else if let Some((other, _)) = numbers.get(&n) {
                diags.push(
                    Diagnostic::error(
                        rules::PROTO_FIELD_NUMBER,
                        format!("field number {n} is used by both `{other}` and `{}`", f.name),
                    )
                    .at(span(at))
                    .related(span(numbers[&n].1), "first used here")
                    .help("every field of a message needs its own number"),
                );
            } else {
                numbers.insert(n, (&f.name, at));
            }
        }
        for e in &m.enums {
            enums(e, proto3, file, diags);
        }
        for n in &m.messages {
            messages(n, proto3, file, diags);
        }
    }
    for m in &outline.messages {
        messages(m, proto3, file, diags);
    }
    for e in &outline.enums {
        enums(e, proto3, file, diags);
    }
    let _ = &mut dup;
    diags.len() == before
}

fn lint_upper(name: &str) -> String {
    crate::naming::shouty_snake_case(name)
}

/// Start and end of the token that contains or follows `offset`.
fn token_at(tokens: &[scan::Token], offset: usize) -> (usize, usize) {
    tokens
        .iter()
        .find(|t| t.end > offset)
        .map(|t| (t.start.min(offset).max(t.start), t.end))
        .unwrap_or((offset, offset))
}

/// Marks files with unresolved imports or in import cycles as broken, with diagnostics.
/// Long because the import-cycle search is an iterative depth-first search (no recursion: a chain
/// of thousands of imports must not overflow the stack) whose stack, colours and reported edges
/// stay inline, after the unresolved-import pass that feeds it.
fn check_imports(sources: &SourceMap, states: &mut BTreeMap<String, FileState>, diags: &mut Vec<Diagnostic>) {
    let known = |path: &str, states: &BTreeMap<String, FileState>| {
        states.contains_key(path) || path == OPTIONS_PATH || WELL_KNOWN.contains(&path)
    };
    let mut broken: BTreeSet<String> = BTreeSet::new();
    for (path, st) in states.iter() {
        for import in &st.outline.imports {
            if !known(&import.path, states) {
                let mut d = Diagnostic::error(
                    rules::PROTO_IMPORT_UNRESOLVED,
                    format!("import `{}` not found", import.path),
                )
                .at(Span::new(st.file, import.span.0, import.span.1))
                .label("no such file under the repo root");
                d = d.help(if import.path.starts_with("herald/") {
                    format!("herald ships only `{OPTIONS_PATH}`")
                } else {
                    "import paths are relative to the schema repo root (the directory holding herald.toml)".to_owned()
                });
                diags.push(d);
                broken.insert(path.clone());
            }
        }
    }
    // Cycles: depth-first search over the import graph, reporting each back edge once.
    let mut color: foldhash::HashMap<&str, u8> = foldhash::HashMap::default();
    // Each file's imports by its path (looked up for every edge).
    let graph: foldhash::HashMap<&str, &[scan::ImportDecl]> = states
        .iter()
        .map(|(path, st)| (path.as_str(), &st.outline.imports[..]))
        .collect();
    let mut cycles: Vec<(String, usize, Vec<String>)> = Vec::new();
    for start in states.keys() {
        if color.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        // Iterative DFS: (node, next import index).
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        color.insert(start.as_str(), 1);
        while let Some((node, idx)) = stack.last().copied() {
            let imports = graph.get(node).copied().unwrap_or(&[]);
            if idx >= imports.len() {
                color.insert(node, 2);
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some((&target, _)) = graph.get_key_value(imports[idx].path.as_str()) else {
                continue;
            };
            match color.get(target).copied().unwrap_or(0) {
                0 => {
                    color.insert(target, 1);
                    stack.push((target, 0));
                }
                1 => {
                    let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                    let chain: Vec<String> = stack[from..].iter().map(|(n, _)| n.to_string()).collect();
                    cycles.push((node.to_owned(), idx, chain));
                }
                _ => {}
            }
        }
    }
    for (node, idx, chain) in cycles {
        let Some(st) = states.get(&node) else {
            continue;
        };
        let import = &st.outline.imports[idx];
        let mut path = chain.clone();
        path.push(import.path.clone());
        let message = if chain.len() == 1 {
            format!("`{node}` imports itself")
        } else {
            format!("import cycle: {}", path.join(" → "))
        };
        diags.push(
            Diagnostic::error(rules::PROTO_IMPORT_CYCLE, message)
                .at(Span::new(st.file, import.span.0, import.span.1))
                .help("move the shared types into a file that both import"),
        );
        broken.extend(chain);
    }
    for path in broken {
        if let Some(st) = states.get_mut(&path) {
            st.broken = true;
        }
    }
    // A file importing a broken file cannot be type-checked either.
    loop {
        let newly: Vec<String> = states
            .iter()
            .filter(|(_, st)| !st.broken)
            .filter(|(_, st)| {
                st.outline
                    .imports
                    .iter()
                    .any(|i| states.get(&i.path).is_some_and(|t| t.broken))
            })
            .map(|(p, _)| p.clone())
            .collect();
        if newly.is_empty() {
            break;
        }
        for path in newly {
            if let Some(st) = states.get_mut(&path) {
                st.broken = true;
                let broken_import = st.outline.imports.iter().find(|i| i.path != path);
                if let Some(import) = broken_import {
                    diags.push(
                        Diagnostic::warning(
                            rules::PROTO_IMPORT_BROKEN,
                            format!("not checked: imported file `{}` has errors", import.path),
                        )
                        .at(Span::new(st.file, import.span.0, import.span.1))
                        .help("fix the imported file first"),
                    );
                }
            }
        }
    }
    let _ = sources;
}

/// Include roots for the parser: the overlay first, then the repo.
struct Roots {
    overlay: tempfile::TempDir,
    /// The repo's directory, when any file is type-checked where it is on disk; a set held only in
    /// memory (a release rebuilt from the lock, a git revision) names no directory the parser may
    /// read, whatever its root's name happens to be in the current directory.
    repo: Option<PathBuf>,
    /// Import paths served from the overlay.
    staged: BTreeSet<String>,
}

/// Writes `herald/options.proto`, and the files whose text is not their bytes on disk (held only in
/// memory, or a BOM removed), into the overlay.
fn stage(
    root: &Path,
    sources: &SourceMap,
    states: &BTreeMap<String, FileState>,
    good: &[&str],
) -> std::io::Result<Roots> {
    let overlay = overlay_dir()?;
    let write = |rel: &str, text: &str| -> std::io::Result<()> {
        let path = overlay.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    };
    write(OPTIONS_PATH, OPTIONS_PROTO)?;
    if !needs_whole_descriptor(states) {
        write(DESCRIPTOR_PATH, DESCRIPTOR_FOR_OPTIONS)?;
    }
    let mut staged = BTreeSet::new();
    for &path in good {
        if let Some(st) = states.get(path) {
            let file = sources.get(st.file);
            if file.had_bom || !st.on_disk {
                write(path, &file.text)?;
                staged.insert(path.to_owned());
            }
        }
    }
    let repo = if good.iter().any(|&p| !staged.contains(p)) {
        Some(std::path::absolute(root)?)
    } else {
        None
    };
    Ok(Roots { overlay, repo, staged })
}

/// Where the overlay goes: a memory-backed directory when the system has one (`/dev/shm`), so that
/// staging thousands of files (a catalog rebuilds every release) costs no disk metadata, else the
/// system's temporary directory.
fn overlay_dir() -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("herald-proto-");
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = builder.tempdir_in(shm) {
            return Ok(dir);
        }
    }
    builder.tempdir()
}

fn typecheck(paths: &[String], roots: &Roots) -> Result<Vec<FileDescriptorProto>, String> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let overlay = roots.overlay.path();
    let mut parser = protobuf_parse::Parser::new();
    parser.pure().include(overlay);
    if let Some(repo) = &roots.repo {
        parser.include(repo);
    }
    parser.inputs(paths.iter().map(|p| match &roots.repo {
        Some(repo) if !roots.staged.contains(p) => repo.join(p),
        _ => overlay.join(p),
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse_and_typecheck()));
    let mut prefixes = vec![format!("{}/", overlay.display())];
    prefixes.extend(roots.repo.as_ref().map(|r| format!("{}/", r.display())));
    let strip = |m: String| prefixes.iter().fold(m, |m, p| m.replace(p.as_str(), ""));
    match result {
        Ok(Ok(parsed)) => Ok(parsed.file_descriptors),
        Ok(Err(e)) => {
            // The chain reads "using pure parser" → "error in `file`" → the cause; keep the file
            // and the innermost message.
            let file = e
                .chain()
                .map(|c| c.to_string())
                .find(|m| m.starts_with("error in `"))
                .map(strip)
                .and_then(|m| {
                    m.strip_prefix("error in `")
                        .and_then(|r| r.split_once('`'))
                        .map(|(f, _)| f.to_owned())
                });
            let cause = strip(e.root_cause().to_string());
            Err(match file {
                Some(f) => format!("error in `{f}`: {cause}"),
                None => cause,
            })
        }
        Err(_) => Err("the proto parser failed on this input".to_owned()),
    }
}

/// The file an error message of protobuf-parse is about (`error in `a.proto`: ...`).
fn blamed_file<'a>(message: &str, states: &'a BTreeMap<String, FileState>) -> Option<&'a str> {
    let rest = message.strip_prefix("error in `")?;
    let end = rest.find('`')?;
    states.get_key_value(&rest[..end]).map(|(k, _)| k.as_str())
}

/// Turns a type-check error into a diagnostic at the name it mentions.
fn typecheck_diagnostic(sources: &SourceMap, st: &FileState, message: &str, known_types: &[String]) -> Diagnostic {
    let text = &sources.get(st.file).text;
    let detail = message
        .strip_prefix("error in `")
        .and_then(|rest| rest.find("`: ").map(|i| &rest[i + 3..]))
        .unwrap_or(message)
        .to_owned();
    if let Some(d) = herald_option_diagnostic(text, st, &detail) {
        return d;
    }
    let quoted: Vec<&str> = detail.split('`').skip(1).step_by(2).collect();
    let detail = match (detail.starts_with("object is not found by path"), quoted.as_slice()) {
        (true, [name, scope, ..]) => format!(
            "unknown type `{name}` (looked up from `{}`)",
            scope.trim_start_matches('.')
        ),
        (true, [name]) => format!("unknown type `{name}`"),
        _ => detail.clone(),
    };
    let (rule, help) = if detail.starts_with("unknown type") || detail.contains("not found") {
        (
            rules::PROTO_TYPE_UNRESOLVED,
            "check the type name, the package, and that its file is imported",
        )
    } else if detail.contains("unknown enum value")
        && herald_kind_entry(&st.outline, &quoted_or_tail(&detail)).is_some()
    {
        let value = quoted_or_tail(&detail);
        if let Some(at) = herald_kind_entry(&st.outline, &value) {
            return Diagnostic::error(rules::EVENT_UNKNOWN_KIND, format!("unknown kind `{value}`"))
                .at(Span::new(st.file, at.0, at.1))
                .help("kind is EVENT (a fact, to any number of subscribers) or COMMAND (a request to one service)");
        }
        (rules::PROTO_OPTION_INVALID, "use one of the enum's values")
    } else if detail.contains("unknown enum value") {
        (rules::PROTO_OPTION_INVALID, "use one of the enum's values")
    } else {
        (rules::PROTO_TYPECHECK, "fix the declaration")
    };
    // Where: the field whose type is the unresolved name, else any token with the name.
    let mut span = None;
    if let Some(name) = quoted
        .first()
        .or_else(|| detail.rsplit(": ").next().map(|s| s.trim()).as_ref().map(|_| &""))
    {
        let name = name.trim_start_matches('.');
        if !name.is_empty() {
            span = find_field_type(&st.outline.messages, name)
                .or_else(|| find_word(text, name.rsplit('.').next().unwrap_or(name)));
        }
    }
    if span.is_none() {
        if let Some(word) = detail.rsplit(": ").next() {
            span = find_word(text, word.trim());
        }
    }
    let (s, e) = span.unwrap_or((0, 0));
    let suggestion = match (rule, quoted.first()) {
        (rules::PROTO_TYPE_UNRESOLVED, Some(name)) => {
            let name = name.trim_start_matches('.');
            // Compare like with like: a qualified name with full names, a short one with short ones.
            let candidates = known_types
                .iter()
                .map(String::as_str)
                .filter(|k| k.contains('.') == name.contains('.'));
            crate::suggest::did_you_mean(name, candidates)
        }
        _ => None,
    };
    let help = match suggestion {
        Some(suggestion) => format!("{suggestion} ({help})"),
        None => help.to_owned(),
    };
    Diagnostic::error(rule, detail).at(Span::new(st.file, s, e)).help(help)
}

/// The messages and enums an outline declares, nested ones included, each by its name and by
/// its full name (with the package).
fn type_names(outline: &Outline) -> Vec<String> {
    fn walk(prefix: &str, messages: &[MessageDecl], enums: &[scan::EnumDecl], out: &mut Vec<String>) {
        for name in messages.iter().map(|m| &m.name).chain(enums.iter().map(|e| &e.name)) {
            out.push(name.clone());
            out.push(if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            });
        }
        for m in messages {
            let inner = if prefix.is_empty() {
                m.name.clone()
            } else {
                format!("{prefix}.{}", m.name)
            };
            walk(&inner, &m.messages, &m.enums, out);
        }
    }
    let mut out = Vec::new();
    let package = outline.package.as_ref().map(|p| p.0.as_str()).unwrap_or("");
    walk(package, &outline.messages, &outline.enums, &mut out);
    out
}

/// Type-check errors about the `(herald.event)` option, said in its terms and located at the
/// option: the option used without importing its definition, and an entry of the wrong type
/// (`version: 1`).
fn herald_option_diagnostic(text: &str, st: &FileState, detail: &str) -> Option<Diagnostic> {
    let options: Vec<&OptionDecl> = st
        .outline
        .options
        .iter()
        .filter(|o| o.name.starts_with("(herald."))
        .collect();
    let first = options.first()?;
    if detail.contains("extension not found") && detail.contains("herald.") {
        let imported = st.outline.imports.iter().any(|i| i.path == OPTIONS_PATH);
        // The option herald cannot find: a misspelled one when the import is there.
        let option = match imported {
            false => *first,
            true => *options.iter().find(|o| !o.name.starts_with("(herald.event)"))?,
        };
        // The option's name, `(herald.event)`, inside `option (herald.event) = ...;`.
        let (start, end) = option.span;
        let at = text
            .get(start..end)
            .and_then(|o| o.find("(herald"))
            .map(|i| start + i)
            .unwrap_or(start);
        let name_end = text
            .get(at..end)
            .and_then(|o| o.find(')'))
            .map(|i| at + i + 1)
            .unwrap_or(end);
        let name = text.get(at..name_end).unwrap_or("(herald.event)");
        let span = Span::new(st.file, at, name_end);
        if imported {
            return Some(
                Diagnostic::error(rules::PROTO_TYPE_UNRESOLVED, format!("unknown option `{name}`"))
                    .at(span)
                    .label("not defined in herald/options.proto")
                    .help("did you mean `(herald.event)`? (the one option herald/options.proto defines)"),
            );
        }
        return Some(
            Diagnostic::error(
                rules::PROTO_TYPE_UNRESOLVED,
                format!("option `{name}` is defined in herald/options.proto, which this file does not import"),
            )
            .at(span)
            .label("not imported")
            .help(format!("add `import \"{OPTIONS_PATH}\";` after the package line")),
        );
    }
    if let Some(unknown) = detail.strip_prefix("unknown field name: ") {
        // A key of the option misspelled (`partitionKey` for `partition_key`).
        let entry = options
            .iter()
            .flat_map(|o| &o.entries)
            .find(|e| e.key == unknown.trim())?;
        const KEYS: [&str; 5] = ["version", "kind", "partition_key", "name", "compatibility"];
        return Some(
            Diagnostic::error(
                rules::PROTO_OPTION_INVALID,
                format!("`(herald.event)` has no key `{}`", entry.key),
            )
            .at(Span::new(st.file, entry.key_span.0, entry.key_span.1))
            .label("unknown key")
            .help(match crate::suggest::did_you_mean(&entry.key, KEYS) {
                Some(suggestion) => format!("{suggestion} (keys: {})", KEYS.join(", ")),
                None => format!("keys: {}", KEYS.join(", ")),
            }),
        );
    }
    if detail.starts_with("unsupported extension type") && detail.contains("(herald.") {
        // The string entries written without quotes.
        let text_of = |e: &OptionEntry| text.get(e.value_span.0..e.value_span.1).unwrap_or("").to_owned();
        let entry = options.iter().flat_map(|o| &o.entries).find(|e| {
            matches!(e.key.as_str(), "version" | "partition_key" | "name") && !text_of(e).starts_with(['"', '\''])
        })?;
        let raw = text_of(entry);
        let span = Span::new(st.file, entry.value_span.0, entry.value_span.1);
        return Some(if entry.key == "version" {
            let suggestion = if raw.contains('.') {
                raw.clone()
            } else {
                format!("{raw}.0")
            };
            Diagnostic::error(
                rules::EVENT_BAD_VERSION,
                format!("version must be a string, found `{raw}`"),
            )
            .at(span)
            .label("not a string")
            .help(format!("version is a string: `version: \"{suggestion}\"`"))
        } else {
            Diagnostic::error(
                rules::PROTO_OPTION_INVALID,
                format!("`{}` must be a string, found `{raw}`", entry.key),
            )
            .at(span)
            .label("not a string")
            .help(format!("write it in quotes: `{}: \"{raw}\"`", entry.key))
        });
    }
    None
}

/// The last word of an error message such as `unknown enum value: QUERY`.
fn quoted_or_tail(detail: &str) -> String {
    detail
        .rsplit([' ', ':'])
        .next()
        .unwrap_or("")
        .trim_matches('`')
        .to_owned()
}

/// Span of a `kind: VALUE` entry inside any `(herald.event)` option.
fn herald_kind_entry(outline: &Outline, value: &str) -> Option<(usize, usize)> {
    fn walk(messages: &[MessageDecl], value: &str) -> Option<(usize, usize)> {
        for m in messages {
            for o in m.options.iter().filter(|o| o.name.starts_with("(herald.event)")) {
                if let Some(e) = o.entries.iter().find(|e| e.key == "kind" && e.value == value) {
                    return Some(e.value_span);
                }
            }
            if let Some(found) = walk(&m.messages, value) {
                return Some(found);
            }
        }
        None
    }
    walk(&outline.messages, value)
}

fn find_field_type(messages: &[MessageDecl], name: &str) -> Option<(usize, usize)> {
    for m in messages {
        for f in &m.fields {
            if f.type_text == name
                || f.type_text.trim_start_matches('.') == name
                || f.type_text.contains(&format!("<{name}"))
            {
                return Some(f.type_span);
            }
        }
        if let Some(found) = find_field_type(&m.messages, name) {
            return Some(found);
        }
    }
    None
}

/// First occurrence of `word` as a whole identifier outside comments (approximately).
fn find_word(text: &str, word: &str) -> Option<(usize, usize)> {
    if word.is_empty() {
        return None;
    }
    let tokens = scan::tokenize(text).ok()?;
    tokens
        .iter()
        .find(|t| &text[t.start..t.end] == word)
        .map(|t| (t.start, t.end))
}

/// Descriptor + outline of one file → type definitions.
struct Lower<'a> {
    file: FileId,
    fd: &'a FileDescriptorProto,
    outline: &'a Outline,
    types: &'a mut Vec<TypeDef>,
}

fn doc(leading: &Option<String>, trailing: &Option<String>) -> Doc {
    Doc {
        leading: leading.clone(),
        trailing: trailing.clone(),
    }
}

impl Lower<'_> {
    fn span(&self, range: (usize, usize)) -> Span {
        Span::new(self.file, range.0, range.1)
    }

    fn file_types(&mut self) {
        let prefix = self.fd.package().to_owned();
        // Index the top level: a file may hold many thousands of messages.
        let outline = self.outline;
        let messages: std::collections::HashMap<&str, &MessageDecl> =
            outline.messages.iter().rev().map(|d| (d.name.as_str(), d)).collect();
        let enums: std::collections::HashMap<&str, &scan::EnumDecl> =
            outline.enums.iter().rev().map(|d| (d.name.as_str(), d)).collect();
        for m in &self.fd.message_type {
            let decl = messages.get(m.name()).copied();
            self.message(m, decl, &prefix, None);
        }
        for e in &self.fd.enum_type {
            let decl = enums.get(e.name()).copied();
            self.enumeration(e, decl, &prefix, None);
        }
    }

    /// Long because a message lowers in one pass over its descriptor (fields, oneofs, map entries,
    /// nested types, options) matched against its outline for spans and docs; the parts share the
    /// message's prefix, its declaration and the type list being built.
    fn message(&mut self, m: &DescriptorProto, decl: Option<&MessageDecl>, prefix: &str, parent: Option<&str>) {
        if m.options.map_entry() {
            return;
        }
        let full_name = join_name(prefix, m.name());
        let span = decl.map(|d| self.span(d.span)).unwrap_or(Span::file_start(self.file));
        let mut message = Message::default();
        let synthetic: BTreeSet<i32> = m
            .field
            .iter()
            .filter(|f| f.proto3_optional())
            .filter_map(|f| f.oneof_index)
            .collect();
        let mut oneof_map: BTreeMap<i32, usize> = BTreeMap::new();
        for (i, o) in m.oneof_decl.iter().enumerate() {
            let i = i as i32;
            if synthetic.contains(&i) {
                continue;
            }
            let ospan = decl
                .and_then(|d| d.oneofs.iter().find(|(n, _)| n == o.name()))
                .map(|(_, s)| self.span(*s))
                .unwrap_or(span);
            oneof_map.insert(i, message.oneofs.len());
            message.oneofs.push(Oneof {
                name: o.name().to_owned(),
                span: ospan,
            });
        }
        for f in &m.field {
            let fdecl: Option<&FieldDecl> = decl.and_then(|d| d.fields.iter().find(|x| x.name == f.name()));
            let fspan = fdecl.map(|d| self.span(d.span)).unwrap_or(span);
            let type_span = fdecl.map(|d| self.span(d.type_span)).unwrap_or(fspan);
            let mut ty = self.field_type(f.type_(), f.type_name());
            let mut cardinality = match f.label() {
                Label::LABEL_REPEATED => Cardinality::Repeated,
                Label::LABEL_REQUIRED => Cardinality::Required,
                Label::LABEL_OPTIONAL => {
                    if f.proto3_optional() || self.fd.syntax() != "proto3" && self.fd.syntax() != "editions" {
                        Cardinality::Optional
                    } else {
                        Cardinality::Singular
                    }
                }
            };
            if cardinality == Cardinality::Repeated {
                if let Some(entry) = self.map_entry(m, f.type_name()) {
                    let key = entry.field.iter().find(|x| x.number() == 1);
                    let value = entry.field.iter().find(|x| x.number() == 2);
                    if let (Some(k), Some(v)) = (key, value) {
                        ty = TypeRef::Map(
                            Box::new(self.field_type(k.type_(), k.type_name())),
                            Box::new(self.field_type(v.type_(), v.type_name())),
                        );
                        cardinality = Cardinality::Singular;
                    }
                }
            }
            let oneof = f
                .oneof_index
                .filter(|_| !f.proto3_optional())
                .and_then(|i| oneof_map.get(&i).copied());
            message.fields.push(Field {
                name: f.name().to_owned(),
                number: Some(f.number()),
                ty,
                cardinality,
                oneof,
                default: f.default_value.clone().map(serde_json::Value::String),
                aliases: Vec::new(),
                json_name: f.json_name.clone(),
                doc: fdecl.map(|d| doc(&d.leading, &d.trailing)).unwrap_or_default(),
                span: fspan,
                type_span,
            });
        }
        for r in &m.reserved_range {
            // Descriptor ranges are end-exclusive.
            message.reserved_numbers.push((r.start(), r.end() - 1));
        }
        message.reserved_names = m.reserved_name.clone();
        let event = self.event_meta(m, decl);
        self.types.push(TypeDef {
            full_name: full_name.clone(),
            name: m.name().to_owned(),
            format: Format::Proto,
            file: self.file,
            span,
            doc: decl.map(|d| doc(&d.leading, &d.trailing)).unwrap_or_default(),
            kind: TypeKind::Message(message),
            parent: parent.map(str::to_owned),
            aliases: Vec::new(),
            event,
            avro_json: None,
        });
        for nested in &m.nested_type {
            let ndecl = decl.and_then(|d| d.messages.iter().find(|x| x.name == nested.name()));
            self.message(nested, ndecl, &full_name, Some(&full_name));
        }
        for e in &m.enum_type {
            let edecl = decl.and_then(|d| d.enums.iter().find(|x| x.name == e.name()));
            self.enumeration(e, edecl, &full_name, Some(&full_name));
        }
    }

    fn map_entry<'d>(&'d self, m: &'d DescriptorProto, type_name: &str) -> Option<&'d DescriptorProto> {
        let short = type_name.rsplit('.').next()?;
        m.nested_type
            .iter()
            .find(|n| n.name() == short && n.options.map_entry())
    }

    fn enumeration(
        &mut self,
        e: &EnumDescriptorProto,
        decl: Option<&scan::EnumDecl>,
        prefix: &str,
        parent: Option<&str>,
    ) {
        let span = decl.map(|d| self.span(d.span)).unwrap_or(Span::file_start(self.file));
        let values = e
            .value
            .iter()
            .map(|v| {
                let vdecl = decl.and_then(|d| d.values.iter().find(|x| x.name == v.name()));
                EnumValue {
                    name: v.name().to_owned(),
                    number: v.number(),
                    doc: vdecl.map(|d| doc(&d.leading, &d.trailing)).unwrap_or_default(),
                    span: vdecl.map(|d| self.span(d.span)).unwrap_or(span),
                }
            })
            .collect();
        self.types.push(TypeDef {
            full_name: join_name(prefix, e.name()),
            name: e.name().to_owned(),
            format: Format::Proto,
            file: self.file,
            span,
            doc: decl.map(|d| doc(&d.leading, &d.trailing)).unwrap_or_default(),
            kind: TypeKind::Enum(Enum { values, default: None }),
            parent: parent.map(str::to_owned),
            aliases: Vec::new(),
            event: None,
            avro_json: None,
        });
    }

    fn field_type(&self, ty: Type, type_name: &str) -> TypeRef {
        TypeRef::Scalar(match ty {
            Type::TYPE_DOUBLE => Scalar::Double,
            Type::TYPE_FLOAT => Scalar::Float,
            Type::TYPE_INT64 => Scalar::Int64,
            Type::TYPE_UINT64 => Scalar::Uint64,
            Type::TYPE_INT32 => Scalar::Int32,
            Type::TYPE_FIXED64 => Scalar::Fixed64,
            Type::TYPE_FIXED32 => Scalar::Fixed32,
            Type::TYPE_BOOL => Scalar::Bool,
            Type::TYPE_STRING => Scalar::String,
            Type::TYPE_BYTES => Scalar::Bytes,
            Type::TYPE_UINT32 => Scalar::Uint32,
            Type::TYPE_SFIXED32 => Scalar::Sfixed32,
            Type::TYPE_SFIXED64 => Scalar::Sfixed64,
            Type::TYPE_SINT32 => Scalar::Sint32,
            Type::TYPE_SINT64 => Scalar::Sint64,
            Type::TYPE_GROUP | Type::TYPE_MESSAGE | Type::TYPE_ENUM => {
                return TypeRef::Named(type_name.trim_start_matches('.').to_owned())
            }
        })
    }

    /// `(herald.event)` from the message options' unknown fields, located via the outline.
    fn event_meta(&self, m: &DescriptorProto, decl: Option<&MessageDecl>) -> Option<EventMeta> {
        let options = m.options.as_ref()?;
        let mut bytes = Vec::new();
        let mut found = false;
        for (number, value) in options.special_fields.unknown_fields().iter() {
            if number == EVENT_OPTION_NUMBER {
                if let UnknownValueRef::LengthDelimited(b) = value {
                    bytes.extend_from_slice(b);
                    found = true;
                }
            }
        }
        if !found {
            return None;
        }
        let wire = <EventOptionsWire as prost::Message>::decode(bytes.as_slice()).unwrap_or_default();
        let option = decl.and_then(|d| d.options.iter().find(|o| o.name.starts_with("(herald.event)")));
        let whole = option
            .map(|o| self.span(o.span))
            .or_else(|| decl.map(|d| self.span(d.span)));
        let fallback = whole.unwrap_or(Span::file_start(self.file));
        let locate = |key: &str, value: &str| -> Option<Located> {
            if value.is_empty() {
                return None;
            }
            let span = option
                .and_then(|o| o.entries.iter().find(|e| e.key == key))
                .map(|e| self.span(e.value_span))
                .unwrap_or(fallback);
            Some(Located {
                value: value.to_owned(),
                span,
            })
        };
        let kind = match wire.kind {
            1 => "EVENT",
            2 => "COMMAND",
            _ => "",
        };
        Some(EventMeta {
            span: whole,
            version: locate("version", &wire.version),
            kind: locate("kind", kind),
            partition_key: locate("partition_key", &wire.partition_key),
            name: locate("name", &wire.name),
            compatibility: locate("compatibility", &wire.compatibility),
        })
    }
}
