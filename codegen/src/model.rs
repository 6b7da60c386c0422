//! The one model of a schema repo, shared by both formats: files, named types, events, sources.
//!
//! Front ends build it; lint, compat, code generation and the catalog only read it. Every element
//! carries the [`Span`] it came from.

use std::collections::BTreeMap;
use std::fmt;

use crate::span::{FileId, SourceMap, Span};

/// Schema language of a file or type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Proto,
    Avro,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Proto => "proto",
            Format::Avro => "avro",
        })
    }
}

/// Compatibility mode, as in Confluent Schema Registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl Mode {
    pub const ALL: [(&'static str, Mode); 7] = [
        ("BACKWARD", Mode::Backward),
        ("BACKWARD_TRANSITIVE", Mode::BackwardTransitive),
        ("FORWARD", Mode::Forward),
        ("FORWARD_TRANSITIVE", Mode::ForwardTransitive),
        ("FULL", Mode::Full),
        ("FULL_TRANSITIVE", Mode::FullTransitive),
        ("NONE", Mode::None),
    ];

    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL.iter().find(|(name, _)| *name == text).map(|(_, m)| *m)
    }

    pub fn name(self) -> &'static str {
        Mode::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(name, _)| *name)
            .unwrap_or("NONE")
    }

    pub fn names() -> String {
        Mode::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `MAJOR.MINOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    /// Parses `MAJOR.MINOR` with decimal numbers and no leading zeros or signs.
    pub fn parse(text: &str) -> Option<Version> {
        let (major, minor) = text.split_once('.')?;
        let number = |s: &str| -> Option<u32> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
                return None;
            }
            s.parse().ok()
        };
        Some(Version {
            major: number(major)?,
            minor: number(minor)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Event (a fact, published to the source's topic) or command (a request to one service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Event,
    Command,
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventKind::Event => "EVENT",
            EventKind::Command => "COMMAND",
        })
    }
}

/// Documentation recovered from schema comments or Avro `doc`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    pub leading: Option<String>,
    pub trailing: Option<String>,
}

/// One loaded schema file.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub id: FileId,
    pub format: Format,
    /// Proto package or Avro namespace of the first schema.
    pub package: Option<String>,
    pub imports: Vec<Import>,
    /// Built into herald (`herald/options.proto`, `google/protobuf/*.proto`): not linted.
    pub builtin: bool,
    /// Avro: the file's schema when it is not a named type (`"int"`, an array or a map): valid as
    /// a whole `.avsc` file, compared by `herald check` when each side is one file.
    pub avro_root: Option<TypeRef>,
}

#[derive(Debug, Clone)]
pub struct Import {
    pub path: String,
    pub span: Span,
    pub public: bool,
}

/// Index into [`EventSet::types`].
pub type TypeId = usize;

/// A named type: proto message/enum, Avro record/enum/fixed.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Fully qualified name without a leading dot (`acme.user.v1.UserUpdated`).
    pub full_name: String,
    pub name: String,
    pub format: Format,
    pub file: FileId,
    /// Span of the type's name.
    pub span: Span,
    pub doc: Doc,
    pub kind: TypeKind,
    /// Enclosing message for nested proto types.
    pub parent: Option<String>,
    /// Avro aliases (full names).
    pub aliases: Vec<String>,
    /// herald event metadata as written, if any.
    pub event: Option<EventMeta>,
    /// Avro: the definition as written (nested definitions inline, references by name), with its
    /// effective namespace made explicit. `None` for proto types.
    pub avro_json: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Message(Message),
    Enum(Enum),
    /// Avro fixed.
    Fixed {
        size: u64,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Message {
    pub fields: Vec<Field>,
    pub oneofs: Vec<Oneof>,
    pub reserved_numbers: Vec<(i32, i32)>,
    pub reserved_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Oneof {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// Proto field number; `None` for Avro.
    pub number: Option<i32>,
    pub ty: TypeRef,
    pub cardinality: Cardinality,
    /// Index into the message's oneofs.
    pub oneof: Option<usize>,
    /// Avro default (JSON) or proto `[default = ...]` as JSON text.
    pub default: Option<serde_json::Value>,
    pub aliases: Vec<String>,
    pub json_name: Option<String>,
    pub doc: Doc,
    /// Span of the field's name.
    pub span: Span,
    /// Span of the field's type as written.
    pub type_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// proto3 implicit presence, or any Avro field.
    Singular,
    /// proto `optional` (explicit presence).
    Optional,
    Required,
    Repeated,
}

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    Scalar(Scalar),
    /// A named type by full name.
    Named(String),
    /// Avro array (proto repeated uses [`Cardinality::Repeated`] instead).
    Array(Box<TypeRef>),
    Map(Box<TypeRef>, Box<TypeRef>),
    /// Avro union, branches in order.
    Union(Vec<TypeRef>),
    Logical(Logical, Box<TypeRef>),
}

/// The full name of `name` declared in the package or type `prefix` (which may be empty).
pub(crate) fn join_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl TypeRef {
    /// Pushes the full name of every named type this type refers to (through arrays, maps,
    /// unions and logical types) onto `out`.
    pub fn named_refs(&self, out: &mut Vec<String>) {
        let mut names = Vec::new();
        self.named_refs_in(&mut names);
        out.extend(names.into_iter().map(str::to_owned));
    }

    /// [`TypeRef::named_refs`], borrowing the names.
    pub fn named_refs_in<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            TypeRef::Named(n) => out.push(n),
            TypeRef::Array(i) | TypeRef::Logical(_, i) => i.named_refs_in(out),
            TypeRef::Map(k, v) => {
                k.named_refs_in(out);
                v.named_refs_in(out);
            }
            TypeRef::Union(b) => b.iter().for_each(|x| x.named_refs_in(out)),
            TypeRef::Scalar(_) => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Null,
    Bool,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Float,
    Double,
    String,
    Bytes,
}

impl Scalar {
    /// Name in the schema language the scalar came from.
    pub fn name(self, format: Format) -> &'static str {
        match (format, self) {
            (Format::Avro, Scalar::Null) => "null",
            (Format::Avro, Scalar::Bool) => "boolean",
            (Format::Avro, Scalar::Int32) => "int",
            (Format::Avro, Scalar::Int64) => "long",
            (_, Scalar::Null) => "null",
            (_, Scalar::Bool) => "bool",
            (_, Scalar::Int32) => "int32",
            (_, Scalar::Int64) => "int64",
            (_, Scalar::Uint32) => "uint32",
            (_, Scalar::Uint64) => "uint64",
            (_, Scalar::Sint32) => "sint32",
            (_, Scalar::Sint64) => "sint64",
            (_, Scalar::Fixed32) => "fixed32",
            (_, Scalar::Fixed64) => "fixed64",
            (_, Scalar::Sfixed32) => "sfixed32",
            (_, Scalar::Sfixed64) => "sfixed64",
            (_, Scalar::Float) => "float",
            (_, Scalar::Double) => "double",
            (_, Scalar::String) => "string",
            (_, Scalar::Bytes) => "bytes",
        }
    }
}

/// Avro logical types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Logical {
    Decimal { precision: u32, scale: u32 },
    Uuid,
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    LocalTimestampMillis,
    LocalTimestampMicros,
    LocalTimestampNanos,
    Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    pub values: Vec<EnumValue>,
    /// Avro enum default symbol.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    pub name: String,
    /// Proto number; Avro symbol position.
    pub number: i32,
    pub doc: Doc,
    pub span: Span,
}

/// A string attribute of event metadata as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    pub span: Span,
}

/// herald event metadata as written in the schema, before validation.
#[derive(Debug, Clone, Default)]
pub struct EventMeta {
    /// The whole option or `herald` property.
    pub span: Option<Span>,
    pub version: Option<Located>,
    pub kind: Option<Located>,
    pub partition_key: Option<Located>,
    pub name: Option<Located>,
    pub compatibility: Option<Located>,
}

/// A validated event or command.
#[derive(Debug, Clone)]
pub struct Event {
    /// Event type name (`acme.user.v1.UserUpdated` unless renamed).
    pub name: String,
    pub type_id: TypeId,
    pub version: Version,
    pub kind: EventKind,
    pub partition_key: String,
    /// Index into [`EventSet::sources`] of the source whose globs cover the file.
    pub source: Option<usize>,
    /// Effective compatibility mode (event, else source, else repo).
    pub compatibility: Mode,
    pub span: Span,
}

/// A service that publishes events and handles commands.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub topic: String,
    pub compatibility: Mode,
    /// Sorted (lookups binary-search it).
    pub files: Vec<FileId>,
}

/// The repo's settings from `herald.toml` ([`crate::config`] parses them, with spans): the
/// repo name, default compatibility, sources and their globs, `[lint]` and `[check]`.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: FileId,
    pub name: Option<String>,
    /// Repo-wide default; `BACKWARD` (as in schema registries) when not set.
    pub compatibility: Mode,
    pub sources: Vec<SourceConfig>,
    /// Lint rule IDs turned off, with where they were written.
    pub lint_disable: Vec<(String, Span)>,
    /// `[check]`: what `herald check` does not report.
    pub check: CheckConfig,
    /// `[lsp] baseline`: a `git:REV` the language server checks against besides the lock.
    pub lsp_baseline: Option<Written>,
    /// `[consumers.<service>]`, as written (in file order); [`EventSet::consumers`] is the
    /// validated form.
    pub consumers: Vec<ConsumerConfig>,
}

/// One `[consumers.<service>]` table as written: the service, its subscriptions
/// (`"source:Event"` or `"source:*"`), its consumer group and owner.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub name: String,
    /// Span of the table's name.
    pub span: Span,
    pub group: Option<Located>,
    pub owner: Option<Located>,
    /// The `events` entries, with where each was written.
    pub events: Vec<Written>,
}

/// A string as written in herald.toml, with where.
pub type Written = (String, Span);

/// `[check]`: findings a team has decided to accept (buf's `breaking.except`, `ignore` and
/// `ignore_only`), and the opt-in reading of deletions.
#[derive(Debug, Clone, Default)]
pub struct CheckConfig {
    /// Compatibility rule IDs never reported (buf's deprecated IDs expanded).
    pub except: Vec<(String, Span)>,
    /// Paths (files or directories, relative to the repo root) whose findings are not reported.
    pub ignore: Vec<(String, Span)>,
    /// Rule ID → paths where that rule is not reported.
    pub ignore_only: Vec<(String, Span, Vec<Written>)>,
    /// `deletions = "warning"`: deleting a field or enum value is a warning (harmless to readers
    /// until its number or name is reused) instead of buf's error.
    pub deletions_warning: bool,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub span: Span,
    pub topic: String,
    pub partitions: Option<u32>,
    pub schemas: Vec<(String, Span)>,
    pub compatibility: Option<Mode>,
}

impl Config {
    pub fn is_disabled(&self, rule: &str) -> bool {
        self.lint_disable.iter().any(|(r, _)| r == rule)
    }
}

/// A service that consumes events, declared in `herald.toml` and validated against the model.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// The service's name (the `<service>` of `[consumers.<service>]`).
    pub name: String,
    /// Span of the table's name in `herald.toml`.
    pub span: Span,
    /// Its consumer group, if declared.
    pub group: Option<String>,
    /// Who to ask about it (a team, a person, a channel), if declared.
    pub owner: Option<String>,
    /// Every `events` entry that names a known source, in the order written.
    pub subscriptions: Vec<Subscription>,
    /// The events it consumes: indices into [`EventSet::events`], sorted, each once.
    pub events: Vec<usize>,
}

/// One `events` entry of a consumer: `"source:Event"` or `"source:*"`.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The entry as written.
    pub entry: String,
    pub span: Span,
    /// Index into [`EventSet::sources`].
    pub source: usize,
    /// The event as written after `source:`; `None` for `*` (every event of the source).
    pub event: Option<String>,
    /// The events it resolves to: indices into [`EventSet::events`] (several MAJOR versions of
    /// one name, or every event of the source for `*`).
    pub events: Vec<usize>,
}

impl Consumer {
    /// Whether it consumes the event (an index into [`EventSet::events`]).
    pub fn consumes(&self, event: usize) -> bool {
        self.events.binary_search(&event).is_ok()
    }
}

/// Deepest JSON nesting herald accepts in an `.avsc` file (the Avro front end refuses deeper
/// files), so no `avro_json` in the model nests deeper.
pub const AVRO_MAX_DEPTH: usize = 128;

/// Everything loaded from one schema repo.
#[derive(Debug, Default)]
pub struct EventSet {
    pub sources_map: SourceMap,
    pub config: Option<Config>,
    pub files: Vec<SchemaFile>,
    /// Shared: an editor's session reuses an unchanged file's types between loads.
    pub types: Vec<std::sync::Arc<TypeDef>>,
    pub events: Vec<Event>,
    pub sources: Vec<Source>,
    /// The consumers `herald.toml` declares, validated (unknown sources and events left out), in
    /// name order.
    pub consumers: Vec<Consumer>,
    /// Full name → type.
    pub by_name: TypeIndex,
    /// Serialized `FileDescriptorProto` of every proto file that type-checked, by import path.
    pub proto_descriptors: BTreeMap<String, std::sync::Arc<Vec<u8>>>,
    /// Spans of proto elements by descriptor path (as in `SourceCodeInfo`), by import path (shared:
    /// an editor's session reuses an unchanged file's between loads).
    pub proto_locations: BTreeMap<String, std::sync::Arc<ProtoLocations>>,
}

/// How a proto file's spans by descriptor path are worked out, the first time one is asked for.
type MakeLocations = Box<dyn FnOnce() -> BTreeMap<Vec<i32>, Span> + Send>;

/// A proto file's spans by descriptor path (as in `SourceCodeInfo`), worked out the first time
/// one is asked for: a load gives every file's, and only findings ask for some.
pub struct ProtoLocations(std::sync::LazyLock<BTreeMap<Vec<i32>, Span>, MakeLocations>);

impl ProtoLocations {
    pub fn new(make: impl FnOnce() -> BTreeMap<Vec<i32>, Span> + Send + 'static) -> ProtoLocations {
        ProtoLocations(std::sync::LazyLock::new(Box::new(make)))
    }

    /// Every span, by descriptor path.
    pub fn spans(&self) -> &BTreeMap<Vec<i32>, Span> {
        &self.0
    }

    /// The span at `path`.
    pub fn get(&self, path: &[i32]) -> Option<Span> {
        self.spans().get(path).copied()
    }
}

impl std::fmt::Debug for ProtoLocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.spans()).finish()
    }
}

/// Types by full name: a hash map (a load builds it for every type, and lookups are by full name),
/// shown in name order.
#[derive(Default, Clone)]
pub struct TypeIndex(foldhash::HashMap<String, TypeId>);

impl std::ops::Deref for TypeIndex {
    type Target = foldhash::HashMap<String, TypeId>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for TypeIndex {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl std::fmt::Debug for TypeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut entries: Vec<(&String, &TypeId)> = self.0.iter().collect();
        entries.sort();
        f.debug_map().entries(entries).finish()
    }
}

/// A set's files by id (index into [`EventSet::files`]) and source files by name, the first of
/// each, as [`EventSet::file`] and an import's lookup find them.
pub struct FileIndex<'a> {
    by_id: foldhash::HashMap<FileId, usize>,
    by_name: foldhash::HashMap<&'a str, FileId>,
}

impl<'a> FileIndex<'a> {
    pub fn of(set: &'a EventSet) -> FileIndex<'a> {
        let mut by_id = <foldhash::HashMap<_, _> as foldhash::HashMapExt>::with_capacity(set.files.len());
        for (i, f) in set.files.iter().enumerate() {
            by_id.entry(f.id).or_insert(i);
        }
        let mut by_name = foldhash::HashMap::default();
        for (id, f) in set.sources_map.files() {
            by_name.entry(f.name.as_str()).or_insert(id);
        }
        FileIndex { by_id, by_name }
    }
}

impl EventSet {
    pub fn type_named(&self, full_name: &str) -> Option<&TypeDef> {
        self.by_name.get(full_name).map(|id| &*self.types[*id])
    }

    /// The file entry of `id` (a set has one per id). A loaded set keeps its files sorted by id,
    /// where a binary search finds it; a set in any other order is searched through.
    pub fn file(&self, id: FileId) -> Option<&SchemaFile> {
        match self.files.binary_search_by_key(&id, |f| f.id) {
            Ok(i) => self.files.get(i),
            Err(_) => self.files.iter().find(|f| f.id == id),
        }
    }

    /// The files the schema of type `type_id` needs (built-in files left out): the files of every
    /// type it reaches through its fields (an Avro file names types of other files without
    /// importing them), and (proto) every file those import, transitively; sorted by id.
    pub fn schema_files(&self, type_id: TypeId) -> Vec<FileId> {
        self.schema_files_in(type_id, &FileIndex::of(self))
    }

    /// [`Self::schema_files`] with the set's files indexed once for many calls.
    pub fn schema_files_in(&self, type_id: TypeId, index: &FileIndex) -> Vec<FileId> {
        self.schema_reach_in(type_id, index).0
    }

    /// [`Self::schema_files_in`] and the names of the types it followed (the event type's own
    /// first, then each named reference, found or not), each once: the files follow from those
    /// names' types and the files' imports alone.
    pub fn schema_reach_in<'s>(&'s self, type_id: TypeId, index: &FileIndex) -> (Vec<FileId>, Vec<&'s str>) {
        let Some(ty) = self.types.get(type_id) else {
            return (Vec::new(), Vec::new());
        };
        let mut stack = vec![ty.file];
        let mut types = vec![ty.full_name.as_str()];
        let mut reached = std::collections::HashSet::new();
        let mut names = Vec::new();
        while let Some(name) = types.pop() {
            if !reached.insert(name) {
                continue;
            }
            names.push(name);
            let Some(t) = self.type_named(name) else { continue };
            stack.push(t.file);
            if let TypeKind::Message(m) = &t.kind {
                for f in &m.fields {
                    f.ty.named_refs_in(&mut types);
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(file) = index.by_id.get(&id).and_then(|&i| self.files.get(i)) else {
                continue;
            };
            if file.builtin {
                continue;
            }
            out.push(id);
            for import in &file.imports {
                if let Some(&fid) = index.by_name.get(import.path.as_str()) {
                    stack.push(fid);
                }
            }
        }
        out.sort();
        (out, names)
    }

    /// Whether event `event` (an index into [`Self::events`]) is the one `name` designates within
    /// its source: its event type name, that name's last segment, or its message/record name.
    pub fn event_is_named(&self, event: usize, name: &str) -> bool {
        let Some(e) = self.events.get(event) else {
            return false;
        };
        let short = e.name.rsplit('.').next().unwrap_or(&e.name);
        e.name == name || short == name || self.types.get(e.type_id).is_some_and(|t| t.name == name)
    }

    /// The events of source `source` (an index into [`Self::sources`]) that `name` designates
    /// (see [`Self::event_is_named`]): several when one name has several MAJOR versions.
    pub fn events_named(&self, source: usize, name: &str) -> Vec<usize> {
        (0..self.events.len())
            .filter(|i| self.events[*i].source == Some(source) && self.event_is_named(*i, name))
            .collect()
    }

    /// The consumer declared under this name.
    pub fn consumer_named(&self, name: &str) -> Option<&Consumer> {
        self.consumers.iter().find(|c| c.name == name)
    }

    /// The consumers of event `event` (an index into [`Self::events`]), in name order.
    pub fn consumers_of(&self, event: usize) -> impl Iterator<Item = &Consumer> + '_ {
        self.consumers.iter().filter(move |c| c.consumes(event))
    }

    /// Whether a type comes from a file herald ships rather than the user's repo.
    pub fn is_builtin(&self, ty: &TypeDef) -> bool {
        self.file(ty.file).map(|f| f.builtin).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(Version::parse("1.2"), Some(Version { major: 1, minor: 2 }));
        assert_eq!(Version::parse("10.0"), Some(Version { major: 10, minor: 0 }));
        for bad in ["1", "1.x", "01.2", "1.2.3", "", ".", "-1.0", "+1.0", "1. 2"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
