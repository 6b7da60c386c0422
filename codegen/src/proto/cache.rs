//! The proto front end's per-file results kept between loads of one repo as it changes (an
//! editor's session), so that a change re-reads only what it touches:
//!
//! - a file's scan (outline, its own diagnostics, whether it is broken), reused while its text and
//!   file id are the same;
//! - a file's type-check, reused while the file's *closure key* is the same: a hash of its import
//!   path, its text and the closure keys of the files it imports, so a change in a shared file
//!   re-checks every file that imports it, transitively, and nothing else. A descriptor is kept
//!   under the *token* closure key (the same hash over the files' tokens, comments and layout
//!   left out: every file type-checked has passed protobuf-parse's own syntax check, so two texts
//!   with the same tokens differ only in what its lexer skips, or was built by [`super::direct`]
//!   from the scanner's tokens alone; and the descriptor holds no positions), so an edit of comments or layout re-checks nothing; the parser's message under
//!   the text closure key (a failure is rare, and keeping it by text needs no such argument);
//! - a file's lowering into the model (types, spans, the file entry), reused while its token
//!   closure key, its own text and its file id are the same (spans and docs come from its text).
//!
//! Everything cross-file that is cheap (import resolution and cycles, which file blames which for
//! a type-check error, "did you mean" over every declared type, the order of files and types) is
//! recomputed on every load exactly as a load without a cache computes it, so a load through a
//! cache gives the same outcome as one without (`load_cached` says so; the LSP's tests compare).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use protobuf::descriptor::FileDescriptorProto;

use super::scan::Outline;
use super::{
    locate, scan_input, stage, type_names, typecheck, typecheck_diagnostic, FileState, Loaded, Lower, ProtoInput,
    OPTIONS_PATH, OPTIONS_PROTO, TYPECHECK_BATCH,
};
use crate::diagnostic::Diagnostic;
use crate::model::{Format, Import, SchemaFile, TypeDef};
use crate::rules;
use crate::span::{FileId, SourceMap, Span};

/// A load stopped because its caller asked (a newer change made it stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Per-file results of earlier loads (see the module's documentation). Entries are keyed by
/// content, so a stale entry is never used, only dropped at the end of the next complete load.
#[derive(Default)]
pub struct Cache {
    /// Scans by import path.
    scans: HashMap<String, Scanned>,
    /// Descriptors of the files that type-checked, by token closure key.
    checks: HashMap<u64, Checked>,
    /// The parser's messages for the files that did not, by (text) closure key.
    failures: HashMap<u64, String>,
    /// Built-in files (herald's options, protobuf's well-known types) by import path: their
    /// descriptors never change.
    builtins: BTreeMap<String, Descriptor>,
    /// Whether the built-in files were type-checked with the whole `descriptor.proto`
    /// (`super::needs_whole_descriptor`): when that changes, every outcome is dropped, since the
    /// built-in files' descriptors differ.
    whole_descriptor: Option<bool>,
    /// Lowered files by import path.
    lowered: HashMap<String, LoweredFile>,
}

struct Scanned {
    file: FileId,
    /// The file scanned (its text compared by address first: a session shares unchanged files).
    source: Arc<crate::span::SourceFile>,
    outline: Arc<Outline>,
    hash: u64,
    tokens: u64,
    broken: bool,
    direct: Option<Arc<super::direct::File>>,
    diags: Vec<Diagnostic>,
}

struct Descriptor {
    /// Shared with the lazy spans of the files lowered from it.
    fd: Arc<FileDescriptorProto>,
    /// The wire format, `None` when it failed to serialize.
    bytes: Option<Arc<Vec<u8>>>,
}

impl Descriptor {
    fn new(fd: FileDescriptorProto) -> Descriptor {
        let bytes = protobuf::Message::write_to_bytes(&fd).ok().map(Arc::new);
        Descriptor {
            fd: Arc::new(fd),
            bytes,
        }
    }
}

/// A file's descriptor and the import paths of every file it needs (transitively).
type Checked = (Descriptor, Vec<String>);

/// A file's closure keys: over the texts, and over the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Keys {
    pub(super) text: u64,
    pub(super) tokens: u64,
}

struct LoweredFile {
    /// Its token closure key mixed with its own text's hash (0 for a built-in file).
    key: u64,
    file: FileId,
    types: Vec<Arc<TypeDef>>,
    schema: SchemaFile,
    /// Spans by descriptor path (`None` for a built-in file).
    locations: Option<Arc<crate::model::ProtoLocations>>,
}

/// Hash of a file's import path and text.
pub(super) fn file_hash(path: &str, text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    text.hash(&mut h);
    h.finish()
}

/// Hash of a file's import path and the text of each of its tokens (the scanner makes every byte
/// that is not whitespace or a comment part of a token, so two texts with the same hash differ
/// only in whitespace and comments).
pub(super) fn tokens_hash(path: &str, text: &str, tokens: &[super::scan::Token]) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    tokens.len().hash(&mut h);
    for t in tokens {
        text.get(t.start..t.end).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// The key of a file's lowering: its descriptor's (token closure key) and its own text's.
fn lowering_key(keys: Keys, st: &FileState) -> u64 {
    let mut h = DefaultHasher::new();
    keys.tokens.hash(&mut h);
    st.hash.hash(&mut h);
    h.finish()
}

/// A file's type-check outcome, when `checks` or `failures` hold one for its keys.
fn outcome<'c>(
    checks: &'c HashMap<u64, Checked>,
    failures: &'c HashMap<u64, String>,
    keys: Keys,
) -> Option<Result<&'c Checked, &'c String>> {
    match checks.get(&keys.tokens) {
        Some(ok) => Some(Ok(ok)),
        None => failures.get(&keys.text).map(Err),
    }
}

impl Cache {
    /// Scans every input (a cached scan when its text and id are unchanged).
    pub(super) fn scan_inputs(
        &mut self,
        sources: &SourceMap,
        inputs: &[ProtoInput],
        diags: &mut Vec<Diagnostic>,
    ) -> BTreeMap<String, FileState> {
        // Gathered in the inputs' order and built in bulk (sorted once, no search per entry).
        let mut states = Vec::with_capacity(inputs.len());
        for input in inputs {
            let source = sources.get_shared(input.file);
            let hit = self
                .scans
                .get(&input.import_path)
                .filter(|s| s.file == input.file && (Arc::ptr_eq(&s.source, source) || s.source.text == source.text));
            let state = match hit {
                Some(s) => {
                    diags.extend(s.diags.iter().cloned());
                    FileState {
                        file: input.file,
                        on_disk: input.on_disk,
                        outline: s.outline.clone(),
                        hash: s.hash,
                        tokens: s.tokens,
                        broken: s.broken,
                        direct: s.direct.clone(),
                    }
                }
                None => {
                    let mut own = Vec::new();
                    let state = scan_input(sources, input, &mut own);
                    diags.extend(own.iter().cloned());
                    let scanned = Scanned {
                        file: input.file,
                        source: source.clone(),
                        outline: state.outline.clone(),
                        hash: state.hash,
                        tokens: state.tokens,
                        broken: state.broken,
                        direct: state.direct.clone(),
                        diags: own,
                    };
                    self.scans.insert(input.import_path.clone(), scanned);
                    state
                }
            };
            states.push((input.import_path.clone(), state));
        }
        states.into_iter().collect()
    }

    /// Type-checks the files that are not broken (those whose closure key has no outcome yet),
    /// reports the failures, and returns every such file with its closure key; `Ok(None)` when
    /// the parser could not be set up at all (reported).
    pub(super) fn typecheck_all<'s>(
        &mut self,
        root: &Path,
        sources: &SourceMap,
        states: &'s BTreeMap<String, FileState>,
        diags: &mut Vec<Diagnostic>,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Option<Vec<(&'s str, Keys)>>, Cancelled> {
        let good: Vec<&str> = states
            .iter()
            .filter(|(_, s)| !s.broken)
            .map(|(p, _)| p.as_str())
            .collect();
        let whole = super::needs_whole_descriptor(states);
        if self.whole_descriptor.replace(whole).is_some_and(|w| w != whole) {
            self.checks.clear();
            self.failures.clear();
            self.builtins.clear();
            self.lowered.clear();
        }
        let keys = closure_keys(states, &good);
        let none = Keys { text: 0, tokens: 0 };
        let checked: Vec<(&str, Keys)> = good
            .iter()
            .map(|&p| (p, keys.get(p).copied().unwrap_or(none)))
            .collect();
        let mut misses: Vec<String> = checked
            .iter()
            .filter(|(_, k)| outcome(&self.checks, &self.failures, *k).is_none())
            .map(|(p, _)| (*p).to_owned())
            .collect();
        if !whole && !misses.is_empty() {
            misses = self.typecheck_direct(states, &keys, misses);
        }
        if !misses.is_empty() {
            // protobuf-parse reads files only from include directories (3.7 keeps its resolver
            // trait private, so it cannot be served from memory): the repo root for files whose
            // bytes on disk are their text, behind a small private overlay holding the built-in
            // options file and every other file (held only in memory, a BOM removed).
            let staging = match stage(root, sources, states, &good) {
                Ok(dir) => dir,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        rules::FILE_UNREADABLE,
                        format!("cannot stage proto files for the parser: {e}"),
                    ));
                    return Ok(None);
                }
            };
            for (paths, outcome) in typecheck_batches(&misses, &staging, cancel)? {
                match outcome {
                    Ok(fds) => self.record(paths, fds, states, &keys),
                    Err(message) => {
                        for path in paths {
                            if let Some(key) = keys.get(path.as_str()) {
                                self.failures.insert(key.text, message.clone());
                            }
                        }
                    }
                }
            }
        }
        // Failures, each blamed file once, in the files' order.
        let mut reported: BTreeSet<String> = BTreeSet::new();
        let mut known_types: Option<Vec<String>> = None;
        for (path, key) in &checked {
            let Some(Err(message)) = outcome(&self.checks, &self.failures, *key) else {
                continue;
            };
            let culprit = super::blamed_file(message, states).unwrap_or(path).to_owned();
            if reported.insert(culprit.clone()) {
                if let Some(st) = states.get(&culprit) {
                    // Every type the files declare, for "did you mean" on an unknown one.
                    let known = known_types
                        .get_or_insert_with(|| states.values().flat_map(|st| type_names(&st.outline)).collect());
                    diags.push(typecheck_diagnostic(sources, st, message, known));
                }
            }
        }
        Ok(Some(checked))
    }

    /// Builds with herald's own front end ([`super::direct`]) the descriptor of every file of
    /// `misses` it covers, imports first, and returns the rest (for protobuf-parse). A file is
    /// built when it parsed in the subset and every file it imports has a descriptor: built-in,
    /// kept from an earlier load, or built here.
    fn typecheck_direct(
        &mut self,
        states: &BTreeMap<String, FileState>,
        keys: &HashMap<&str, Keys>,
        misses: Vec<String>,
    ) -> Vec<String> {
        if !misses
            .iter()
            .any(|p| states.get(p).is_some_and(|st| st.direct.is_some()))
        {
            return misses;
        }
        if let Some(builtins) = super::builtin_descriptors() {
            for fd in builtins {
                if !self.builtins.contains_key(fd.name()) {
                    self.builtins.insert(fd.name().to_owned(), Descriptor::new(fd.clone()));
                }
            }
        }
        let pending: HashSet<&str> = misses.iter().map(String::as_str).collect();
        let mut built: HashMap<&str, bool> = HashMap::new();
        let mut contexts = HashMap::new();
        let starts = misses
            .iter()
            .filter_map(|p| states.get_key_value(p.as_str()).map(|(k, _)| k.as_str()));
        imports_first(
            states,
            starts,
            |import| pending.contains(import),
            |name, st| {
                let ok = self.direct_one(name, st, states, keys, &mut contexts);
                built.insert(name, ok);
            },
        );
        misses
            .into_iter()
            .filter(|p| !built.get(p.as_str()).copied().unwrap_or(false))
            .collect()
    }

    /// One file through [`super::direct`], its descriptor kept under its token closure key;
    /// whether it was built.
    fn direct_one(
        &mut self,
        path: &str,
        st: &FileState,
        states: &BTreeMap<String, FileState>,
        keys: &HashMap<&str, Keys>,
        contexts: &mut HashMap<Vec<String>, Arc<super::direct::Context>>,
    ) -> bool {
        let (Some(parsed), Some(key)) = (&st.direct, keys.get(path)) else {
            return false;
        };
        let descriptor_of = |p: &str| -> Option<&FileDescriptorProto> {
            if states.contains_key(p) {
                let k = keys.get(p)?;
                self.checks.get(&k.tokens).map(|(d, _)| &*d.fd)
            } else {
                self.builtins.get(p).map(|d| &*d.fd)
            }
        };
        // Every file it needs, transitively, as protobuf-parse gives them to its resolver.
        let mut deps: BTreeMap<&str, &FileDescriptorProto> = BTreeMap::new();
        let mut todo: Vec<&str> = st.outline.imports.iter().map(|i| i.path.as_str()).collect();
        while let Some(dep) = todo.pop() {
            if dep == path || deps.contains_key(dep) {
                continue;
            }
            let Some(fd) = descriptor_of(dep) else {
                return false;
            };
            deps.insert(dep, fd);
            todo.extend(fd.dependency.iter().map(String::as_str));
        }
        // Files with the same imports (most of a repo's) share what resolving needs of them.
        let names: Vec<String> = deps.keys().map(|d| (*d).to_owned()).collect();
        let cx = match contexts.get(&names) {
            Some(cx) => Arc::clone(cx),
            None => {
                let deps: Vec<&FileDescriptorProto> = deps.values().copied().collect();
                let cx = Arc::new(super::direct::Context::new(&deps));
                contexts.insert(names.clone(), Arc::clone(&cx));
                cx
            }
        };
        let Some(fd) = super::direct::descriptor(path, parsed, &cx) else {
            return false;
        };
        self.checks.insert(key.tokens, (Descriptor::new(fd), names));
        true
    }

    /// Keeps the outcome of a successful parser run over `paths` (and the built-in files it read).
    fn record(
        &mut self,
        paths: &[String],
        fds: Vec<FileDescriptorProto>,
        states: &BTreeMap<String, FileState>,
        keys: &HashMap<&str, Keys>,
    ) {
        let by_name: HashMap<&str, &FileDescriptorProto> = fds.iter().map(|fd| (fd.name(), fd)).collect();
        for fd in &fds {
            if !states.contains_key(fd.name()) && !self.builtins.contains_key(fd.name()) {
                self.builtins.insert(fd.name().to_owned(), Descriptor::new(fd.clone()));
            }
        }
        for path in paths {
            let (Some(fd), Some(key)) = (by_name.get(path.as_str()), keys.get(path.as_str())) else {
                continue;
            };
            // Every file it needs, through the dependencies the parser recorded.
            let mut deps: BTreeSet<&str> = BTreeSet::new();
            let mut todo: Vec<&str> = fd.dependency.iter().map(String::as_str).collect();
            while let Some(dep) = todo.pop() {
                if dep != path.as_str() && deps.insert(dep) {
                    if let Some(d) = by_name.get(dep) {
                        todo.extend(d.dependency.iter().map(String::as_str));
                    }
                }
            }
            let deps = deps.into_iter().map(str::to_owned).collect();
            self.checks.insert(key.tokens, (Descriptor::new((*fd).clone()), deps));
        }
    }

    /// Lowers every type-checked file (the user's and the built-in ones they import) into the
    /// model, a cached lowering when the file's closure key and id are unchanged; files that
    /// failed still belong to the repo, without types.
    pub(super) fn lower_all(
        &mut self,
        sources: &mut SourceMap,
        states: &BTreeMap<String, FileState>,
        checked: &[(&str, Keys)],
    ) -> Loaded {
        // Every file with a descriptor: the good files that type-checked and what they import.
        // An imported file that is one of the repo's is good (good files import only good files),
        // so it is among `checked`: listed by itself if it type-checked, and left out below if
        // not; only the others (built-in files) are taken from the imports, each once.
        let mut names: Vec<&str> = Vec::with_capacity(checked.len());
        let mut key_of: HashMap<&str, Keys> = HashMap::with_capacity(checked.len());
        let mut seen: HashSet<&str> = HashSet::new();
        for (path, key) in checked {
            if let Some(Ok((_, deps))) = outcome(&self.checks, &self.failures, *key) {
                names.push(path);
                for dep in deps {
                    if seen.insert(dep.as_str()) && !states.contains_key(dep) {
                        names.push(dep.as_str());
                    }
                }
                key_of.insert(path, *key);
            }
        }
        // In name order, each once (as a set would hold them); mostly sorted already.
        names.sort();
        names.dedup();
        // Each with its state when it is one of the repo's files: both lists are in name order.
        let mut rest = states.iter().peekable();
        let entries: Vec<(&str, Option<&FileState>)> = names
            .iter()
            .map(|&name| {
                while rest.next_if(|(path, _)| path.as_str() < name).is_some() {}
                let st = rest.peek().filter(|(path, _)| path.as_str() == name).map(|(_, st)| *st);
                (name, st)
            })
            .collect();
        // Built-in files that were imported get a source entry so that spans can point into them.
        let mut builtin_ids: BTreeMap<&str, FileId> = BTreeMap::new();
        for &(name, _) in entries.iter().filter(|(_, st)| st.is_none()) {
            let text = if name == OPTIONS_PATH {
                OPTIONS_PROTO.to_owned()
            } else {
                String::new()
            };
            builtin_ids.insert(name, sources.add(name, None, text));
        }
        let mut loaded = Loaded::default();
        // Gathered in name order and built in bulk (no search per entry).
        let mut locations = Vec::with_capacity(names.len());
        let mut descriptors = Vec::with_capacity(names.len());
        for &(name, st) in &entries {
            let (file, outline, key, desc) = match st {
                Some(st) => {
                    let Some(&keys) = key_of.get(name) else {
                        continue;
                    };
                    let Some(Ok((desc, _))) = outcome(&self.checks, &self.failures, keys) else {
                        continue;
                    };
                    (st.file, Some(&st.outline), lowering_key(keys, st), desc)
                }
                None => match (builtin_ids.get(name), self.builtins.get(name)) {
                    (Some(id), Some(desc)) => (*id, None, 0, desc),
                    _ => continue,
                },
            };
            let fresh = self.lowered.get(name).is_some_and(|l| l.key == key && l.file == file);
            if !fresh {
                self.lowered
                    .insert(name.to_owned(), lower_file(file, &desc.fd, outline, key));
            }
            if let Some(l) = self.lowered.get(name) {
                loaded.types.extend(l.types.iter().cloned());
                if let Some(locations_of) = &l.locations {
                    locations.push((name.to_owned(), Arc::clone(locations_of)));
                }
                loaded.files.push(l.schema.clone());
            }
            if let Some(bytes) = &desc.bytes {
                descriptors.push((name.to_owned(), bytes.clone()));
            }
        }
        loaded.locations = locations.into_iter().collect();
        loaded.descriptors = descriptors.into_iter().collect();
        // Files that failed still belong to the repo (lint reports them as such).
        let lowered: HashSet<FileId> = loaded.files.iter().map(|f| f.id).collect();
        for st in states.values() {
            if !lowered.contains(&st.file) {
                loaded.files.push(SchemaFile {
                    id: st.file,
                    format: Format::Proto,
                    package: st.outline.package.as_ref().map(|p| p.0.clone()),
                    imports: Vec::new(),
                    builtin: false,
                    avro_root: None,
                });
            }
        }
        loaded
    }

    /// Drops what the last complete load did not use.
    /// Each map is walked only when it holds more entries than the live ones it holds (a change
    /// replaces a file's entries under new keys; most loads find nothing to drop).
    pub(super) fn prune(&mut self, states: &BTreeMap<String, FileState>, checked: &[(&str, Keys)]) {
        if states.keys().filter(|p| self.scans.contains_key(*p)).count() != self.scans.len() {
            self.scans.retain(|p, _| states.contains_key(p));
        }
        if checked
            .iter()
            .filter(|(_, k)| self.checks.contains_key(&k.tokens))
            .count()
            != self.checks.len()
        {
            let live: HashSet<u64> = checked.iter().map(|(_, k)| k.tokens).collect();
            self.checks.retain(|k, _| live.contains(k));
        }
        if checked
            .iter()
            .filter(|(_, k)| self.failures.contains_key(&k.text))
            .count()
            != self.failures.len()
        {
            let live: HashSet<u64> = checked.iter().map(|(_, k)| k.text).collect();
            self.failures.retain(|k, _| live.contains(k));
        }
        let live_lowered = states
            .keys()
            .chain(self.builtins.keys())
            .filter(|n| self.lowered.contains_key(*n));
        if live_lowered.count() != self.lowered.len() {
            let builtins = &self.builtins;
            self.lowered
                .retain(|n, _| states.contains_key(n) || builtins.contains_key(n));
        }
    }
}

/// One file's types, spans and file entry; `outline` is `None` for a built-in file.
fn lower_file(file: FileId, fd: &Arc<FileDescriptorProto>, shared: Option<&Arc<Outline>>, key: u64) -> LoweredFile {
    let empty = Outline::default();
    let builtin = shared.is_none();
    let outline = shared.map_or(&empty, |o| &**o);
    let mut types = Vec::new();
    let mut lower = Lower {
        file,
        fd,
        outline,
        types: &mut types,
    };
    lower.file_types();
    let schema = SchemaFile {
        id: file,
        format: Format::Proto,
        package: fd.package.clone().filter(|p| !p.is_empty()),
        imports: outline
            .imports
            .iter()
            .map(|i| Import {
                path: i.path.clone(),
                span: Span::new(file, i.span.0, i.span.1),
                public: i.public,
            })
            .collect(),
        builtin,
        avro_root: None,
    };
    LoweredFile {
        key,
        file,
        types: types.into_iter().map(Arc::new).collect(),
        schema,
        locations: shared.map(|o| Arc::new(locate::lazily(file, fd.clone(), o.clone()))),
    }
}

/// The closure keys of every good file: its own hashes (text, tokens) and those of the files it
/// imports. Good files import no broken file and sit in no cycle.
fn closure_keys<'a>(states: &'a BTreeMap<String, FileState>, good: &[&'a str]) -> HashMap<&'a str, Keys> {
    let mut keys: HashMap<&str, Keys> = HashMap::new();
    imports_first(
        states,
        good.iter().copied(),
        |_| true,
        |name, st| {
            let (mut text, mut tokens) = (DefaultHasher::new(), DefaultHasher::new());
            st.hash.hash(&mut text);
            st.tokens.hash(&mut tokens);
            for import in &st.outline.imports {
                let of = keys.get(import.path.as_str()).copied();
                for (h, key) in [(&mut text, of.map(|k| k.text)), (&mut tokens, of.map(|k| k.tokens))] {
                    import.path.hash(h);
                    import.public.hash(h);
                    key.unwrap_or(0).hash(h);
                }
            }
            keys.insert(
                name,
                Keys {
                    text: text.finish(),
                    tokens: tokens.finish(),
                },
            );
        },
    );
    keys
}

/// Visits `starts` and the files of the repo they import (those `follow` accepts), each once, a
/// file after the files it imports: depth first without recursion (a chain of thousands of
/// imports must not overflow the stack); a cycle is still walked only once.
fn imports_first<'a>(
    states: &'a BTreeMap<String, FileState>,
    starts: impl IntoIterator<Item = &'a str>,
    follow: impl Fn(&str) -> bool,
    mut visit: impl FnMut(&'a str, &'a FileState),
) {
    let mut done: HashSet<&str> = HashSet::new();
    let mut entered: HashSet<&str> = HashSet::new();
    for start in starts {
        let mut stack: Vec<(&str, bool)> = vec![(start, false)];
        while let Some((node, expanded)) = stack.pop() {
            if done.contains(node) {
                continue;
            }
            let Some((name, st)) = states.get_key_value(node) else {
                continue;
            };
            if !expanded {
                if entered.insert(name.as_str()) {
                    stack.push((name.as_str(), true));
                    for import in st.outline.imports.iter().filter(|i| follow(&i.path)) {
                        if let Some((target, _)) = states.get_key_value(import.path.as_str()) {
                            stack.push((target.as_str(), false));
                        }
                    }
                }
                continue;
            }
            done.insert(name.as_str());
            visit(name.as_str(), st);
        }
    }
}

/// One parser run's outcome: the files it was for, and their descriptors (with those of every
/// file they import) or the parser's message.
type Outcome<'p> = (&'p [String], Result<Vec<FileDescriptorProto>, String>);

/// One batch through the parser; when it fails, each file alone, to locate each error.
fn run_batch<'p>(batch: &'p [String], roots: &super::Roots) -> Vec<Outcome<'p>> {
    match typecheck(batch, roots) {
        Ok(fds) => vec![(batch, Ok(fds))],
        Err(_) => batch.chunks(1).map(|one| (one, typecheck(one, roots))).collect(),
    }
}

/// Runs the parser over `paths` in batches on every core (the calling thread included: it is the
/// one that asks `cancel`, which need not be `Sync`), in order.
fn typecheck_batches<'p>(
    paths: &'p [String],
    roots: &super::Roots,
    cancel: &dyn Fn() -> bool,
) -> Result<Vec<Outcome<'p>>, Cancelled> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    // Batches keep the parser's per-file cost flat (it indexes every file parsed so far).
    let batches: Vec<&[String]> = paths.chunks(TYPECHECK_BATCH).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: std::sync::Mutex<Vec<(usize, Vec<Outcome<'p>>)>> = std::sync::Mutex::new(Vec::new());
    // One batch (an editor's change) needs no count of the cores, which reads the cgroup's files.
    let workers = match batches.len() {
        0 | 1 => 1,
        n => std::thread::available_parallelism().map_or(1, |c| c.get()).min(n),
    };
    let work = |asks: Option<&dyn Fn() -> bool>| loop {
        if let Some(cancel) = asks {
            if cancel() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(batch) = batches.get(i) else { break };
        let outcome = run_batch(batch, roots);
        if let Ok(mut r) = results.lock() {
            r.push((i, outcome));
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(|| work(None));
        }
        work(Some(cancel));
    });
    if stop.load(Ordering::Relaxed) {
        return Err(Cancelled);
    }
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().flat_map(|(_, outcome)| outcome).collect())
}
