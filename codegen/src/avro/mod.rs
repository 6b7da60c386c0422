//! The Avro front end: `.avsc` text → model.
//!
//! The JSON is parsed with positions (jsonc-parser in strict JSON mode) so that every record,
//! field and symbol has a span; herald walks it to build the model and check names, references
//! and defaults itself, then asks apache-avro's own parser for a second opinion so that nothing
//! it accepts is rejected at run time.

use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

use jsonc_parser::ast::{Array, Object, ObjectProp, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::diagnostic::Diagnostic;
use crate::fingerprint::with_big_stack;
use crate::model::{
    Cardinality, Doc, Enum, EnumValue, EventMeta, Field, Format, Located, Logical, Message, Scalar, SchemaFile,
    TypeDef, TypeKind, TypeRef,
};
use crate::span::{FileId, SourceMap, Span};

/// Deepest JSON nesting herald accepts in an `.avsc` file.
pub use crate::model::AVRO_MAX_DEPTH as MAX_DEPTH;

const PRIMITIVES: &[&str] = &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];

/// What the Avro front end produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<SchemaFile>,
    pub types: Vec<TypeDef>,
    /// Top-level named schemas as JSON text (for apache-avro), with their spans.
    pub schemas: Vec<(String, Span)>,
}

/// Loads `.avsc` files; every problem is a located diagnostic.
/// Long because Avro names resolve across files: every file is parsed first, then every name
/// registered, then the types built and checked against all names, then apache-avro's second
/// opinion; the passes share the parsed trees (which borrow the source text) and the name table.
pub fn load(sources: &SourceMap, files: &[FileId], diags: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded::default();
    let mut parsed: Vec<(FileId, Value<'_>)> = Vec::new();
    // Files with a JSON error jsonc-parser read past (a missing comma): their names still count,
    // so that files referring to them are not blamed for the error.
    let mut names_only: Vec<(FileId, Value<'_>)> = Vec::new();
    for &file in files {
        let text = &sources.get(file).text;
        match parse_json(file, text, diags) {
            Some((value, true)) => parsed.push((file, value)),
            Some((value, false)) => names_only.push((file, value)),
            None => {}
        }
        loaded.files.push(SchemaFile {
            id: file,
            format: Format::Avro,
            package: None,
            imports: Vec::new(),
            builtin: false,
            avro_root: None,
        });
    }

    // Pass 1: every named type's full name, so that references resolve across files and in any order.
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    for (file, value) in parsed.iter().chain(&names_only) {
        for top in top_level(value) {
            collect_names(*file, top, "", &mut names, 0);
        }
    }

    // Pass 2: build types and check everything.
    let before = diags.len();
    for (file, value) in &parsed {
        let text = &sources.get(*file).text;
        let tops: Vec<&Value<'_>> = top_level(value);
        if is_unnamed_schema(value) {
            // A whole file that is one unnamed schema is valid Avro; it is the file's root type.
            let mut walker = Walker {
                file: *file,
                names: &names,
                types: &mut loaded.types,
                diags,
            };
            let root = walker.schema(value, "", 0);
            if let Some(f) = loaded.files.iter_mut().find(|f| f.id == *file) {
                f.avro_root = Some(root);
            }
            continue;
        }
        if tops.is_empty() || !matches!(value, Value::Object(_) | Value::Array(_)) {
            diags.push(
                Diagnostic::error(rules::AVRO_SCHEMA,
                    format!("an .avsc file must hold a named schema or an array of them, found {}", kind_of(value)),
                )
                .at(span_of(*file, value))
                .help("write a record, enum or fixed definition: {\"type\": \"record\", \"name\": ..., \"fields\": [...]}"),
            );
            continue;
        }
        let mut walker = Walker {
            file: *file,
            names: &names,
            types: &mut loaded.types,
            diags,
        };
        for top in tops {
            let ok = match top {
                Value::Object(o) => {
                    let t = str_prop(o, "type").map(|s| s.1);
                    if matches!(
                        t.as_deref(),
                        Some("record") | Some("error") | Some("enum") | Some("fixed")
                    ) {
                        true
                    } else {
                        walker.diags.push(
                            Diagnostic::error(
                                rules::AVRO_SCHEMA,
                                "a top-level schema must be a named type (record, enum or fixed)",
                            )
                            .at(span_of(*file, top))
                            .help("wrap it in a record"),
                        );
                        false
                    }
                }
                _ => {
                    walker.diags.push(
                        Diagnostic::error(
                            rules::AVRO_SCHEMA,
                            format!("expected a named schema definition, found {}", kind_of(top)),
                        )
                        .at(span_of(*file, top)),
                    );
                    false
                }
            };
            if ok {
                walker.schema(top, "", 0);
                let r = range_of(top);
                loaded
                    .schemas
                    .push((text[r.0..r.1].to_owned(), Span::new(*file, r.0, r.1)));
            }
        }
        if let Some(first) = loaded.types.iter().find(|t| t.file == *file) {
            let ns = first.full_name.rsplit_once('.').map(|(ns, _)| ns.to_owned());
            if let Some(f) = loaded.files.iter_mut().find(|f| f.id == *file) {
                f.package = ns;
            }
        }
    }
    check_recursion(&loaded.types, diags);

    // Second opinion from apache-avro, when herald found nothing wrong itself (and every name is
    // defined in a schema it gets: a file with a JSON error is left out, and the files referring
    // to its names are fine).
    if diags.len() == before && !loaded.schemas.is_empty() && names_only.is_empty() {
        let texts: Vec<&str> = loaded.schemas.iter().map(|(t, _)| t.as_str()).collect();
        if with_big_stack(|| apache_avro::Schema::parse_list(texts.iter().copied()).is_err()).unwrap_or(true) {
            for (i, (text, span)) in loaded.schemas.iter().enumerate() {
                let others: Vec<&str> = texts
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, t)| *t)
                    .collect();
                let result = with_big_stack(|| {
                    apache_avro::Schema::parse_str_with_list(text, others)
                        .err()
                        .map(|e| e.to_string())
                });
                if let Some(e) = result.unwrap_or_else(|| Some("apache-avro failed on this schema".to_owned())) {
                    diags.push(
                        Diagnostic::error(rules::AVRO_SCHEMA, format!("apache-avro rejects this schema: {e}"))
                            .at(Span::new(span.file, span.start as usize, span.start as usize + 1)),
                    );
                }
            }
        }
    }
    loaded
}

/// The file's JSON, and whether it is strict JSON (false: an error was reported, and the value
/// is only good for finding the names it defines).
fn parse_json<'a>(file: FileId, text: &'a str, diags: &mut Vec<Diagnostic>) -> Option<(Value<'a>, bool)> {
    if text.trim().is_empty() {
        diags.push(
            Diagnostic::error(rules::AVRO_JSON_SYNTAX, "empty .avsc file")
                .at(Span::file_start(file))
                .help("an .avsc file holds one JSON schema; delete the file if it is not needed"),
        );
        return None;
    }
    if let Some(at) = too_deep(text) {
        diags.push(
            Diagnostic::error(
                rules::AVRO_JSON_SYNTAX,
                format!("JSON nested deeper than {MAX_DEPTH} levels"),
            )
            .at(Span::new(file, at, at + 1))
            .help("flatten the schema: define named types at the top level and refer to them by name"),
        );
        return None;
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(result) => match result.value {
            // jsonc-parser accepts some input strict JSON does not (a missing comma between two
            // values): serde_json has the last word, located at the token it stopped on.
            Some(v) => {
                let strict = !strict_json_error(file, text, diags);
                Some((v, strict))
            }
            None => {
                diags.push(
                    Diagnostic::error(rules::AVRO_JSON_SYNTAX, "no JSON value in file").at(Span::file_start(file)),
                );
                None
            }
        },
        Err(e) => {
            let r = e.range();
            diags.push(
                Diagnostic::error(rules::AVRO_JSON_SYNTAX, format!("invalid JSON: {}", e.kind()))
                    .at(Span::new(file, r.start, r.end))
                    .help("an .avsc file must be strict JSON (no comments, no trailing commas)"),
            );
            None
        }
    }
}

/// Checks `text` with serde_json (strict JSON); on an error, reports it at the line and column
/// serde_json stopped at and returns true.
fn strict_json_error(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> bool {
    let Some((at, end, what)) = strict_json_error_at(text) else {
        return false;
    };
    let help = if what.starts_with("expected `,`") {
        "a `,` is missing before this value: separate the members of an object or array with commas"
    } else {
        "an .avsc file must be strict JSON (no comments, no trailing commas)"
    };
    diags.push(
        Diagnostic::error(rules::AVRO_JSON_SYNTAX, format!("invalid JSON: {what}"))
            .at(Span::new(file, at, end))
            .help(help),
    );
    true
}

/// Where serde_json (strict JSON) stops on `text`, as a byte range, and why; `None` when `text`
/// is strict JSON.
pub(crate) fn strict_json_error_at(text: &str) -> Option<(usize, usize, String)> {
    let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) else {
        return None;
    };
    // serde_json counts lines from 1 and columns in bytes from 1 (0 at the start of a line).
    let line_start = text
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let mut at = (line_start + e.column().saturating_sub(1)).min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let full = e.to_string();
    let what = full.rsplit_once(" at line ").map(|(w, _)| w.to_owned()).unwrap_or(full);
    let end = text[at..].chars().next().map(|c| at + c.len_utf8()).unwrap_or(at);
    Some((at, end, what))
}

/// Offset of the first bracket that exceeds [`MAX_DEPTH`], ignoring strings.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn top_level<'a, 'b>(value: &'b Value<'a>) -> Vec<&'b Value<'a>> {
    match value {
        Value::Array(a) => a.elements.iter().collect(),
        other => vec![other],
    }
}

/// A primitive type name (`"int"`), or an object whose type is a primitive, `array` or `map`.
fn is_unnamed_schema(value: &Value<'_>) -> bool {
    match value {
        Value::StringLit(s) => primitive(&s.value).is_some(),
        Value::Object(o) => {
            str_prop(o, "type").is_some_and(|(_, t)| primitive(&t).is_some() || t == "array" || t == "map")
        }
        _ => false,
    }
}

fn kind_of(value: &Value<'_>) -> &'static str {
    match value {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

fn range_of(value: &Value<'_>) -> (usize, usize) {
    let r = match value {
        Value::StringLit(v) => v.range,
        Value::NumberLit(v) => v.range,
        Value::BooleanLit(v) => v.range,
        Value::Object(v) => v.range,
        Value::Array(v) => v.range,
        Value::NullKeyword(v) => v.range,
    };
    (r.start, r.end)
}

fn span_of(file: FileId, value: &Value<'_>) -> Span {
    let (s, e) = range_of(value);
    Span::new(file, s, e)
}

fn prop<'a, 'b>(o: &'b Object<'a>, name: &str) -> Option<&'b ObjectProp<'a>> {
    o.properties.iter().find(|p| p.name.as_str() == name)
}

/// A string property's span and value.
fn str_prop(o: &Object<'_>, name: &str) -> Option<((usize, usize), String)> {
    match &prop(o, name)?.value {
        Value::StringLit(s) => Some(((s.range.start, s.range.end), s.value.to_string())),
        _ => None,
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_namespace(ns: &str) -> bool {
    ns.is_empty() || ns.split('.').all(valid_name)
}

/// Full name of a definition: a dotted name is already full; otherwise the namespace applies.
fn full_name(name: &str, namespace: Option<&str>, enclosing: &str) -> String {
    if name.contains('.') {
        return name.to_owned();
    }
    let ns = namespace.unwrap_or(enclosing);
    if ns.is_empty() {
        name.to_owned()
    } else {
        format!("{ns}.{name}")
    }
}

fn namespace_of(full: &str) -> &str {
    full.rsplit_once('.').map(|(ns, _)| ns).unwrap_or("")
}

fn collect_names(file: FileId, value: &Value<'_>, enclosing: &str, names: &mut BTreeMap<String, Span>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(o) => {
            let ty = str_prop(o, "type").map(|t| t.1);
            let mut inner = enclosing.to_owned();
            if matches!(
                ty.as_deref(),
                Some("record") | Some("error") | Some("enum") | Some("fixed")
            ) {
                if let Some((r, name)) = str_prop(o, "name") {
                    let ns = str_prop(o, "namespace").map(|n| n.1);
                    let full = full_name(&name, ns.as_deref(), enclosing);
                    inner = namespace_of(&full).to_owned();
                    names.entry(full).or_insert(Span::new(file, r.0, r.1));
                }
            }
            for key in ["type", "items", "values"] {
                if let Some(p) = prop(o, key) {
                    if !matches!(p.value, Value::StringLit(_)) {
                        collect_names(file, &p.value, &inner, names, depth + 1);
                    }
                }
            }
            if let Some(Value::Array(fields)) = prop(o, "fields").map(|p| &p.value) {
                for f in &fields.elements {
                    if let Value::Object(fo) = f {
                        if let Some(p) = prop(fo, "type") {
                            collect_names(file, &p.value, &inner, names, depth + 1);
                        }
                    }
                }
            }
        }
        Value::Array(a) => {
            for v in &a.elements {
                collect_names(file, v, enclosing, names, depth + 1);
            }
        }
        _ => {}
    }
}

struct Walker<'w> {
    file: FileId,
    names: &'w BTreeMap<String, Span>,
    types: &'w mut Vec<TypeDef>,
    diags: &'w mut Vec<Diagnostic>,
}

impl Walker<'_> {
    fn span(&self, r: (usize, usize)) -> Span {
        Span::new(self.file, r.0, r.1)
    }

    fn err(&mut self, rule: &'static rules::Rule, message: impl Into<String>, at: (usize, usize)) -> &mut Diagnostic {
        let d = Diagnostic::error(rule, message).at(self.span(at));
        self.diags.push(d);
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// A schema in type position → its type reference.
    fn schema(&mut self, value: &Value<'_>, enclosing: &str, depth: usize) -> TypeRef {
        match value {
            Value::StringLit(s) => self.reference(&s.value, enclosing, (s.range.start, s.range.end)),
            Value::Array(a) => self.union(a, enclosing, depth),
            Value::Object(o) => self.complex(o, enclosing, depth),
            other => {
                let r = range_of(other);
                self.err(
                    rules::AVRO_SCHEMA,
                    format!("expected a schema, found {}", kind_of(other)),
                    r,
                )
                .help = Some("a schema is a type name string, an object, or an array (union)".into());
                TypeRef::Scalar(Scalar::Null)
            }
        }
    }

    fn reference(&mut self, name: &str, enclosing: &str, at: (usize, usize)) -> TypeRef {
        if let Some(p) = primitive(name) {
            return TypeRef::Scalar(p);
        }
        let candidates = if name.contains('.') || enclosing.is_empty() {
            vec![name.to_owned()]
        } else {
            vec![format!("{enclosing}.{name}"), name.to_owned()]
        };
        for c in &candidates {
            if self.names.contains_key(c) {
                return TypeRef::Named(c.clone());
            }
        }
        let suggestion = self
            .names
            .keys()
            .find(|k| k.rsplit('.').next() == Some(name))
            .map(|k| format!("did you mean `{k}`?"))
            .or_else(|| {
                // A misspelling: of a full name, a short name, or a primitive.
                let short_names = self.names.keys().map(|k| k.rsplit('.').next().unwrap_or(k));
                let known: Vec<&str> = self
                    .names
                    .keys()
                    .map(String::as_str)
                    .chain(short_names)
                    .chain(PRIMITIVES.iter().copied())
                    .collect();
                crate::suggest::did_you_mean(name, known)
            })
            .unwrap_or_else(|| {
                format!(
                    "primitive types are {}; named types must be defined in the repo",
                    PRIMITIVES.join(", ")
                )
            });
        self.err(rules::AVRO_TYPE_UNRESOLVED, format!("unknown type `{name}`"), at)
            .help = Some(suggestion);
        TypeRef::Named(candidates.into_iter().next().unwrap_or_default())
    }

    fn union(&mut self, a: &Array<'_>, enclosing: &str, depth: usize) -> TypeRef {
        let mut branches = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for v in &a.elements {
            if let Value::Array(inner) = v {
                self.err(
                    rules::AVRO_SCHEMA,
                    "a union may not directly contain another union",
                    (inner.range.start, inner.range.end),
                );
                continue;
            }
            let t = self.schema(v, enclosing, depth + 1);
            let key = union_key(&t);
            if seen.contains(&key) {
                self.err(
                    rules::AVRO_SCHEMA,
                    format!("union has more than one branch of type `{key}`"),
                    range_of(v),
                );
            }
            seen.push(key);
            branches.push(t);
        }
        if branches.is_empty() {
            self.err(rules::AVRO_SCHEMA, "empty union", (a.range.start, a.range.end));
        }
        TypeRef::Union(branches)
    }

    fn complex(&mut self, o: &Object<'_>, enclosing: &str, depth: usize) -> TypeRef {
        let Some(type_prop) = prop(o, "type") else {
            self.err(
                rules::AVRO_SCHEMA,
                "schema object has no \"type\"",
                (o.range.start, o.range.end),
            );
            return TypeRef::Scalar(Scalar::Null);
        };
        let ty = match &type_prop.value {
            Value::StringLit(s) => s.value.to_string(),
            other => {
                // {"type": {...}} or {"type": [...]}: a wrapped schema.
                return self.schema(other, enclosing, depth + 1);
            }
        };
        let base = match ty.as_str() {
            "record" | "error" => self.record(o, enclosing, depth),
            "enum" => self.enumeration(o, enclosing),
            "fixed" => self.fixed(o, enclosing),
            "array" => match prop(o, "items") {
                Some(p) => TypeRef::Array(Box::new(self.schema(&p.value, enclosing, depth + 1))),
                None => {
                    self.err(
                        rules::AVRO_SCHEMA,
                        "array schema has no \"items\"",
                        (o.range.start, o.range.end),
                    );
                    TypeRef::Array(Box::new(TypeRef::Scalar(Scalar::Null)))
                }
            },
            "map" => match prop(o, "values") {
                Some(p) => TypeRef::Map(
                    Box::new(TypeRef::Scalar(Scalar::String)),
                    Box::new(self.schema(&p.value, enclosing, depth + 1)),
                ),
                None => {
                    self.err(
                        rules::AVRO_SCHEMA,
                        "map schema has no \"values\"",
                        (o.range.start, o.range.end),
                    );
                    TypeRef::Map(
                        Box::new(TypeRef::Scalar(Scalar::String)),
                        Box::new(TypeRef::Scalar(Scalar::Null)),
                    )
                }
            },
            name => {
                let r = match &type_prop.value {
                    Value::StringLit(s) => (s.range.start, s.range.end),
                    _ => (o.range.start, o.range.end),
                };
                self.reference(name, enclosing, r)
            }
        };
        self.logical(o, base)
    }

    fn logical(&mut self, o: &Object<'_>, base: TypeRef) -> TypeRef {
        let Some((at, name)) = str_prop(o, "logicalType") else {
            return base;
        };
        let is = |s: Scalar| base == TypeRef::Scalar(s);
        let fixed_size = |w: &Walker<'_>| -> Option<u64> {
            if let TypeRef::Named(n) = &base {
                w.types.iter().find(|t| &t.full_name == n).and_then(|t| match t.kind {
                    TypeKind::Fixed { size } => Some(size),
                    _ => None,
                })
            } else {
                None
            }
        };
        let logical = match name.as_str() {
            "decimal" if is(Scalar::Bytes) || fixed_size(self).is_some() => {
                let num = |key: &str| -> Option<i64> {
                    match &prop(o, key)?.value {
                        Value::NumberLit(n) => n.value.parse().ok(),
                        _ => None,
                    }
                };
                let precision = num("precision");
                let scale = num("scale").unwrap_or(0);
                match precision {
                    Some(p) if p > 0 && scale >= 0 && scale <= p && p <= i64::from(u32::MAX) => {
                        Some(Logical::Decimal {
                            precision: p as u32,
                            scale: scale as u32,
                        })
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::warning(
                                rules::AVRO_LOGICAL_TYPE_IGNORED,
                                "decimal needs a positive \"precision\" and a \"scale\" between 0 and the precision",
                            )
                            .at(self.span(at))
                            .help("readers ignore an invalid logical type and see the underlying bytes"),
                        );
                        None
                    }
                }
            }
            "uuid" if is(Scalar::String) || fixed_size(self) == Some(16) => Some(Logical::Uuid),
            "date" if is(Scalar::Int32) => Some(Logical::Date),
            "time-millis" if is(Scalar::Int32) => Some(Logical::TimeMillis),
            "time-micros" if is(Scalar::Int64) => Some(Logical::TimeMicros),
            "timestamp-millis" if is(Scalar::Int64) => Some(Logical::TimestampMillis),
            "timestamp-micros" if is(Scalar::Int64) => Some(Logical::TimestampMicros),
            "timestamp-nanos" if is(Scalar::Int64) => Some(Logical::TimestampNanos),
            "local-timestamp-millis" if is(Scalar::Int64) => Some(Logical::LocalTimestampMillis),
            "local-timestamp-micros" if is(Scalar::Int64) => Some(Logical::LocalTimestampMicros),
            "local-timestamp-nanos" if is(Scalar::Int64) => Some(Logical::LocalTimestampNanos),
            "duration" if fixed_size(self) == Some(12) => Some(Logical::Duration),
            other => {
                self.diags.push(
                    Diagnostic::warning(
                        rules::AVRO_LOGICAL_TYPE_IGNORED,
                        format!("logical type `{other}` does not apply to this type and is ignored"),
                    )
                    .at(self.span(at))
                    .help("see the Avro specification's list of logical types and their underlying types"),
                );
                None
            }
        };
        match logical {
            Some(l) => TypeRef::Logical(l, Box::new(base)),
            None => base,
        }
    }

    /// Checks `name`/`namespace`/`aliases` of a named type; returns (full name, name, span).
    fn named(&mut self, o: &Object<'_>, enclosing: &str, what: &str) -> Option<(String, String, Span, Vec<String>)> {
        let Some((at, name)) = str_prop(o, "name") else {
            self.err(
                rules::AVRO_SCHEMA,
                format!("{what} has no \"name\""),
                (o.range.start, o.range.end),
            );
            return None;
        };
        let ns = str_prop(o, "namespace");
        if let Some((nat, ns)) = &ns {
            if !valid_namespace(ns) {
                self.err(rules::AVRO_INVALID_NAME, format!("invalid namespace `{ns}`"), *nat)
                    .help = Some("namespaces are dot-separated names, each [A-Za-z_][A-Za-z0-9_]*".into());
            }
        }
        let full = full_name(&name, ns.as_ref().map(|n| n.1.as_str()), enclosing);
        let short = full.rsplit('.').next().unwrap_or(&full).to_owned();
        if !valid_namespace(namespace_of(&full)) || !valid_name(&short) {
            self.err(rules::AVRO_INVALID_NAME, format!("invalid {what} name `{name}`"), at)
                .help = Some("Avro names start with a letter or `_` and hold only letters, digits and `_`".into());
        }
        if PRIMITIVES.contains(&short.as_str()) && !full.contains('.') {
            self.err(
                rules::AVRO_INVALID_NAME,
                format!("`{name}` is a primitive type name"),
                at,
            );
        }
        let mut aliases = Vec::new();
        if let Some(p) = prop(o, "aliases") {
            match &p.value {
                Value::Array(a) => {
                    for v in &a.elements {
                        match v {
                            Value::StringLit(s) => aliases.push(full_name(&s.value, None, namespace_of(&full))),
                            other => {
                                self.err(rules::AVRO_SCHEMA, "aliases must be strings", range_of(other));
                            }
                        }
                    }
                }
                other => {
                    self.err(
                        rules::AVRO_SCHEMA,
                        "\"aliases\" must be an array of strings",
                        range_of(other),
                    );
                }
            }
        }
        // Definitions by the same full name in two places.
        if let Some(first) = self.types.iter().find(|t| t.full_name == full) {
            let first_span = first.span;
            self.diags.push(
                Diagnostic::error(
                    rules::DUPLICATE_DEFINITION,
                    format!("`{full}` is defined more than once"),
                )
                .at(self.span(at))
                .related(first_span, "first defined here")
                .help("define a named type once and refer to it by name elsewhere"),
            );
            return None;
        }
        Some((full, short, self.span(at), aliases))
    }

    fn doc(o: &Object<'_>) -> Doc {
        Doc {
            leading: str_prop(o, "doc").map(|d| d.1),
            trailing: None,
        }
    }

    /// Registers the named type `full` that the object `o` defines.
    fn define(&mut self, o: &Object<'_>, full: &str, name: String, span: Span, aliases: Vec<String>, kind: TypeKind) {
        self.types.push(TypeDef {
            full_name: full.to_owned(),
            name,
            format: Format::Avro,
            file: self.file,
            span,
            doc: Walker::doc(o),
            kind,
            parent: None,
            aliases,
            event: None,
            avro_json: Some(definition_json(o, full)),
        });
    }

    fn record(&mut self, o: &Object<'_>, enclosing: &str, depth: usize) -> TypeRef {
        let Some((full, name, span, aliases)) = self.named(o, enclosing, "record") else {
            return TypeRef::Scalar(Scalar::Null);
        };
        // Register before the fields so that recursive references see it.
        let index = self.types.len();
        self.define(o, &full, name, span, aliases, TypeKind::Message(Message::default()));
        let ns = namespace_of(&full).to_owned();
        let mut fields = Vec::new();
        match prop(o, "fields").map(|p| &p.value) {
            Some(Value::Array(a)) => {
                let mut seen: BTreeMap<String, Span> = BTreeMap::new();
                for f in &a.elements {
                    let Value::Object(fo) = f else {
                        self.err(rules::AVRO_SCHEMA, "a field must be an object", range_of(f));
                        continue;
                    };
                    if let Some(field) = self.field(fo, &ns, depth) {
                        if let Some(first) = seen.get(&field.name) {
                            let first = *first;
                            self.diags.push(
                                Diagnostic::error(
                                    rules::AVRO_DUPLICATE_FIELD,
                                    format!("field `{}` is declared twice in `{full}`", field.name),
                                )
                                .at(field.span)
                                .related(first, "first declared here"),
                            );
                            continue;
                        }
                        seen.insert(field.name.clone(), field.span);
                        fields.push(field);
                    }
                }
            }
            Some(other) => {
                self.err(rules::AVRO_SCHEMA, "\"fields\" must be an array", range_of(other));
            }
            None => {
                self.err(
                    rules::AVRO_SCHEMA,
                    format!("record `{full}` has no \"fields\""),
                    (o.range.start, o.range.end),
                );
            }
        }
        let event = self.event_meta(o);
        if let Some(t) = self.types.get_mut(index) {
            t.kind = TypeKind::Message(Message {
                fields,
                ..Message::default()
            });
            t.event = event;
        }
        TypeRef::Named(full)
    }

    fn field(&mut self, fo: &Object<'_>, ns: &str, depth: usize) -> Option<Field> {
        let Some((at, name)) = str_prop(fo, "name") else {
            self.err(
                rules::AVRO_SCHEMA,
                "field has no \"name\"",
                (fo.range.start, fo.range.end),
            );
            return None;
        };
        if !valid_name(&name) {
            self.err(rules::AVRO_INVALID_NAME, format!("invalid field name `{name}`"), at)
                .help = Some("Avro names start with a letter or `_` and hold only letters, digits and `_`".into());
        }
        let Some(type_prop) = prop(fo, "type") else {
            self.err(rules::AVRO_SCHEMA, format!("field `{name}` has no \"type\""), at);
            return None;
        };
        let ty = self.schema(&type_prop.value, ns, depth + 1);
        let default = prop(fo, "default").map(|p| (range_of(&p.value), to_json(&p.value)));
        if let Some((dat, value)) = &default {
            if let Err(why) = self.check_default(&ty, value, 0) {
                let help = default_help(&ty);
                self.err(
                    rules::AVRO_BAD_DEFAULT,
                    format!("default of field `{name}` does not match its type: {why}"),
                    *dat,
                )
                .help = Some(help);
            }
        }
        let aliases = match prop(fo, "aliases").map(|p| &p.value) {
            Some(Value::Array(a)) => a
                .elements
                .iter()
                .filter_map(|v| match v {
                    Value::StringLit(s) => Some(s.value.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(Field {
            name,
            number: None,
            ty,
            cardinality: Cardinality::Singular,
            oneof: None,
            default: default.map(|d| d.1),
            aliases,
            json_name: None,
            doc: Walker::doc(fo),
            span: self.span(at),
            type_span: span_of(self.file, &type_prop.value),
        })
    }

    /// Whether a default JSON value fits the type (the first branch of a union).
    fn check_default(&self, ty: &TypeRef, v: &serde_json::Value, depth: usize) -> Result<(), String> {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let found = || format!("found {}", json_kind(v));
        match ty {
            TypeRef::Scalar(s) => {
                let ok = match s {
                    Scalar::Null => v.is_null(),
                    Scalar::Bool => v.is_boolean(),
                    Scalar::Int32 => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                    Scalar::Int64 => v.as_i64().is_some(),
                    Scalar::Float | Scalar::Double => v.is_number(),
                    Scalar::String | Scalar::Bytes => v.is_string(),
                    _ => true,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("expected {}, {}", s.name(Format::Avro), found()))
                }
            }
            TypeRef::Logical(_, base) => self.check_default(base, v, depth + 1),
            TypeRef::Union(branches) => match branches.first() {
                Some(first) => self.check_default(first, v, depth + 1),
                None => Ok(()),
            },
            TypeRef::Array(items) => match v {
                J::Array(a) => a.iter().try_for_each(|x| self.check_default(items, x, depth + 1)),
                _ => Err(format!("expected an array, {}", found())),
            },
            TypeRef::Map(_, values) => match v {
                J::Object(m) => m.values().try_for_each(|x| self.check_default(values, x, depth + 1)),
                _ => Err(format!("expected an object, {}", found())),
            },
            TypeRef::Named(n) => {
                let Some(t) = self.types.iter().find(|t| &t.full_name == n) else {
                    return Ok(());
                };
                match &t.kind {
                    TypeKind::Enum(e) => match v.as_str() {
                        Some(s) if e.values.iter().any(|x| x.name == s) => Ok(()),
                        Some(s) => Err(format!("`{s}` is not a symbol of `{n}`")),
                        None => Err(format!("expected a symbol of `{n}`, {}", found())),
                    },
                    TypeKind::Fixed { .. } => {
                        if v.is_string() {
                            Ok(())
                        } else {
                            Err(format!("expected a string, {}", found()))
                        }
                    }
                    TypeKind::Message(m) => match v {
                        J::Object(obj) => {
                            for f in &m.fields {
                                match obj.get(&f.name) {
                                    Some(x) => self.check_default(&f.ty, x, depth + 1)?,
                                    None if f.default.is_none() => {
                                        return Err(format!("field `{}` of `{n}` is missing", f.name))
                                    }
                                    None => {}
                                }
                            }
                            Ok(())
                        }
                        _ => Err(format!("expected an object for record `{n}`, {}", found())),
                    },
                }
            }
        }
    }

    fn enumeration(&mut self, o: &Object<'_>, enclosing: &str) -> TypeRef {
        let Some((full, name, span, aliases)) = self.named(o, enclosing, "enum") else {
            return TypeRef::Scalar(Scalar::Null);
        };
        let mut values: Vec<EnumValue> = Vec::new();
        match prop(o, "symbols").map(|p| &p.value) {
            Some(Value::Array(a)) => {
                for (i, v) in a.elements.iter().enumerate() {
                    let Value::StringLit(s) = v else {
                        self.err(rules::AVRO_SCHEMA, "enum symbols must be strings", range_of(v));
                        continue;
                    };
                    let at = (s.range.start, s.range.end);
                    if !valid_name(&s.value) {
                        self.err(
                            rules::AVRO_INVALID_NAME,
                            format!("invalid enum symbol `{}`", s.value),
                            at,
                        )
                        .help = Some("symbols start with a letter or `_` and hold only letters, digits and `_`".into());
                    }
                    if let Some(first) = values.iter().find(|x| x.name == s.value) {
                        let first = first.span;
                        self.diags.push(
                            Diagnostic::error(
                                rules::AVRO_DUPLICATE_SYMBOL,
                                format!("symbol `{}` appears twice in `{full}`", s.value),
                            )
                            .at(self.span(at))
                            .related(first, "first here"),
                        );
                        continue;
                    }
                    values.push(EnumValue {
                        name: s.value.to_string(),
                        number: i as i32,
                        doc: Doc::default(),
                        span: self.span(at),
                    });
                }
            }
            _ => {
                self.err(
                    rules::AVRO_SCHEMA,
                    format!("enum `{full}` needs a \"symbols\" array"),
                    (o.range.start, o.range.end),
                );
            }
        }
        let mut default = None;
        if let Some(p) = prop(o, "default") {
            match &p.value {
                Value::StringLit(s) if values.iter().any(|v| v.name == s.value) => default = Some(s.value.to_string()),
                other => {
                    self.err(
                        rules::AVRO_ENUM_BAD_DEFAULT,
                        format!("enum default of `{full}` is not one of its symbols"),
                        range_of(other),
                    )
                    .help = Some(format!(
                        "use one of: {}",
                        values.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        self.define(o, &full, name, span, aliases, TypeKind::Enum(Enum { values, default }));
        TypeRef::Named(full)
    }

    fn fixed(&mut self, o: &Object<'_>, enclosing: &str) -> TypeRef {
        let Some((full, name, span, aliases)) = self.named(o, enclosing, "fixed") else {
            return TypeRef::Scalar(Scalar::Null);
        };
        let size = match prop(o, "size").map(|p| &p.value) {
            Some(Value::NumberLit(n)) => n.value.parse::<u64>().ok(),
            _ => None,
        };
        let size = match size {
            Some(s) => s,
            None => {
                self.err(
                    rules::AVRO_SCHEMA,
                    format!("fixed `{full}` needs a non-negative integer \"size\""),
                    (o.range.start, o.range.end),
                );
                0
            }
        };
        self.define(o, &full, name, span, aliases, TypeKind::Fixed { size });
        TypeRef::Named(full)
    }

    /// The `"herald"` property of a record.
    fn event_meta(&mut self, o: &Object<'_>) -> Option<EventMeta> {
        let p = prop(o, "herald")?;
        let Value::Object(h) = &p.value else {
            self.err(
                rules::EVENT_METADATA,
                "\"herald\" must be an object",
                range_of(&p.value),
            )
            .help =
                Some("e.g. \"herald\": {\"version\": \"1.0\", \"kind\": \"event\", \"partitionKey\": \"id\"}".into());
            return None;
        };
        let mut meta = EventMeta {
            span: Some(self.span((p.range.start, p.range.end))),
            ..EventMeta::default()
        };
        for entry in &h.properties {
            let key = entry.name.as_str();
            let value = match &entry.value {
                Value::StringLit(s) => Located {
                    value: s.value.to_string(),
                    span: self.span((s.range.start, s.range.end)),
                },
                Value::NumberLit(n) if key == "version" => {
                    // One error, saying what to write (the missing version is not reported again).
                    self.err(
                        rules::EVENT_BAD_VERSION,
                        format!("version must be a string, found the number {}", n.value),
                        (n.range.start, n.range.end),
                    )
                    .help = Some(format!(
                        "version is a string: \"version\": \"{}\"",
                        if n.value.contains('.') {
                            n.value.to_string()
                        } else {
                            format!("{}.0", n.value)
                        }
                    ));
                    continue;
                }
                other => {
                    self.err(
                        rules::EVENT_METADATA,
                        format!("\"{key}\" must be a string"),
                        range_of(other),
                    )
                    .help = Some(format!("write it in quotes: \"{key}\": \"...\""));
                    continue;
                }
            };
            const KNOWN: [&str; 5] = ["version", "kind", "partitionKey", "name", "compatibility"];
            let key = match KNOWN.iter().find(|k| **k == key) {
                Some(k) => *k,
                None => {
                    self.err(
                        rules::EVENT_METADATA,
                        format!("unknown herald metadata key \"{key}\""),
                        (entry.range.start, entry.range.end),
                    )
                    .help = Some(match crate::suggest::did_you_mean(key, KNOWN) {
                        Some(suggestion) => format!("{suggestion} (known keys: {})", KNOWN.join(", ")),
                        None => format!("known keys: {}", KNOWN.join(", ")),
                    });
                    // The same key spelled another way (`partition_key`): reported above, and read
                    // as meant, so that its value is checked too instead of reported missing.
                    match KNOWN.iter().find(|k| crate::suggest::same_spelling(key, k)) {
                        Some(k) => *k,
                        None => continue,
                    }
                }
            };
            match key {
                "version" => meta.version = Some(value),
                "kind" => {
                    meta.kind = Some(Located {
                        value: value.value.to_ascii_uppercase(),
                        span: value.span,
                    })
                }
                "partitionKey" => meta.partition_key = Some(value),
                "name" => meta.name = Some(value),
                _ => meta.compatibility = Some(value),
            }
        }
        Some(meta)
    }
}

/// What a default of type `ty` looks like, for AVRO_BAD_DEFAULT's help line.
fn default_help(ty: &TypeRef) -> String {
    let short = |name: &str| name.rsplit('.').next().unwrap_or(name).to_owned();
    match ty {
        TypeRef::Union(branches) => {
            let first = branches.first().map(type_label).unwrap_or_default();
            format!("for a union, the default must match the first branch (`{first}`); put the branch the default belongs to first")
        }
        TypeRef::Logical(_, inner) => default_help(inner),
        TypeRef::Scalar(Scalar::Null) => "a \"null\" field's default is null".to_owned(),
        TypeRef::Scalar(Scalar::Bool) => "write true or false".to_owned(),
        TypeRef::Scalar(Scalar::Float | Scalar::Double) => "write a JSON number, e.g. 0.0".to_owned(),
        TypeRef::Scalar(Scalar::String) => "write a JSON string, e.g. \"\"".to_owned(),
        TypeRef::Scalar(Scalar::Bytes) => {
            "write a JSON string whose characters are the bytes (\\u0000 to \\u00ff), e.g. \"\"".to_owned()
        }
        TypeRef::Scalar(_) => "write a whole JSON number, e.g. 0".to_owned(),
        TypeRef::Array(_) => "write a JSON array, e.g. []".to_owned(),
        TypeRef::Map(..) => "write a JSON object, e.g. {}".to_owned(),
        TypeRef::Named(name) => format!(
            "write a value of `{}`: an object with its fields (record), one of its symbols (enum) or a string of its size (fixed)",
            short(name)
        ),
    }
}

/// A type as a schema would name it, for messages.
fn type_label(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Scalar(s) => s.name(Format::Avro).to_owned(),
        TypeRef::Named(n) => n.rsplit('.').next().unwrap_or(n).to_owned(),
        TypeRef::Array(_) => "array".to_owned(),
        TypeRef::Map(..) => "map".to_owned(),
        TypeRef::Union(_) => "union".to_owned(),
        TypeRef::Logical(_, inner) => type_label(inner),
    }
}

/// The definition object as JSON with its effective namespace explicit, so that it can be moved
/// into another schema without changing its full name.
fn definition_json(o: &Object<'_>, full: &str) -> serde_json::Value {
    let mut json = to_json(&Value::Object(o.clone()));
    if let serde_json::Value::Object(map) = &mut json {
        let short = full.rsplit('.').next().unwrap_or(full).to_owned();
        map.insert("name".into(), serde_json::Value::String(short));
        map.insert(
            "namespace".into(),
            serde_json::Value::String(namespace_of(full).to_owned()),
        );
    }
    json
}

fn primitive(name: &str) -> Option<Scalar> {
    Some(match name {
        "null" => Scalar::Null,
        "boolean" => Scalar::Bool,
        "int" => Scalar::Int32,
        "long" => Scalar::Int64,
        "float" => Scalar::Float,
        "double" => Scalar::Double,
        "bytes" => Scalar::Bytes,
        "string" => Scalar::String,
        _ => return None,
    })
}

/// What makes two union branches the same: the type name, or the kind for unnamed types.
fn union_key(t: &TypeRef) -> String {
    match t {
        TypeRef::Scalar(s) => s.name(Format::Avro).to_owned(),
        TypeRef::Named(n) => n.clone(),
        TypeRef::Array(_) => "array".into(),
        TypeRef::Map(..) => "map".into(),
        TypeRef::Union(_) => "union".into(),
        TypeRef::Logical(_, base) => union_key(base),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn to_json(v: &Value<'_>) -> serde_json::Value {
    match v {
        Value::StringLit(s) => serde_json::Value::String(s.value.to_string()),
        Value::NumberLit(n) => n
            .value
            .parse::<serde_json::Number>()
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::BooleanLit(b) => serde_json::Value::Bool(b.value),
        Value::NullKeyword(_) => serde_json::Value::Null,
        Value::Array(a) => serde_json::Value::Array(a.elements.iter().map(to_json).collect()),
        Value::Object(o) => serde_json::Value::Object(
            o.properties
                .iter()
                .map(|p| (p.name.as_str().to_owned(), to_json(&p.value)))
                .collect(),
        ),
    }
}

/// Records that can never hold a finite value (a field chain back to themselves with no null,
/// array or map on the way).
fn check_recursion(types: &[TypeDef], diags: &mut Vec<Diagnostic>) {
    let by_name: BTreeMap<&str, &TypeDef> = types.iter().map(|t| (t.full_name.as_str(), t)).collect();
    let mut finite: BTreeSet<&str> = types
        .iter()
        .filter(|t| !matches!(t.kind, TypeKind::Message(_)))
        .map(|t| t.full_name.as_str())
        .collect();
    fn is_finite(t: &TypeRef, finite: &BTreeSet<&str>, by_name: &BTreeMap<&str, &TypeDef>) -> bool {
        match t {
            TypeRef::Scalar(_) | TypeRef::Array(_) | TypeRef::Map(..) => true,
            TypeRef::Named(n) => finite.contains(n.as_str()) || !by_name.contains_key(n.as_str()),
            TypeRef::Union(b) => b.iter().any(|x| is_finite(x, finite, by_name)),
            TypeRef::Logical(_, base) => is_finite(base, finite, by_name),
        }
    }
    loop {
        let mut changed = false;
        for t in types {
            if finite.contains(t.full_name.as_str()) {
                continue;
            }
            if let TypeKind::Message(m) = &t.kind {
                if m.fields.iter().all(|f| is_finite(&f.ty, &finite, &by_name)) {
                    finite.insert(t.full_name.as_str());
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for t in types {
        if t.format == Format::Avro && !finite.contains(t.full_name.as_str()) {
            diags.push(
                Diagnostic::error(
                    rules::AVRO_UNBOUNDED_RECURSION,
                    format!(
                        "record `{}` contains itself with no way to stop: no value of it can ever be written",
                        t.full_name
                    ),
                )
                .at(t.span)
                .help("make the recursive field optional: [\"null\", \"Type\"] with \"default\": null"),
            );
        }
    }
}
