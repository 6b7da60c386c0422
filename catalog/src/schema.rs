//! An event's types as the pages show them: the closure of named types its fields reach, each
//! with its fields (type as text with links, doc, default, cardinality), and the flat field list
//! (`path → signature`) that version diffs compare.

use std::collections::BTreeMap;

use herald_codegen::model::{Cardinality, Doc, EventSet, Format, Logical, TypeDef, TypeKind, TypeRef};
use serde::Serialize;

/// One piece of a type as written: text, linked to the named type's section when it is one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TypePart {
    pub text: String,
    /// `#type-<full name>` for a named type.
    pub href: Option<String>,
}

/// A field row of a type's table.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRow {
    pub name: String,
    pub number: Option<i32>,
    pub ty: Vec<TypePart>,
    pub doc: String,
    pub default: Option<String>,
    /// `optional`, `repeated`, `required`, `map`, `array`, `union`, or empty.
    pub shape: String,
    pub oneof: Option<String>,
}

/// A named type of an event's closure, as one section of its page.
#[derive(Debug, Clone, Serialize)]
pub struct TypeSection {
    pub full_name: String,
    pub anchor: String,
    /// `message`, `record`, `enum`, `fixed`.
    pub kind: &'static str,
    pub doc: String,
    pub fields: Vec<FieldRow>,
    /// Enum symbols: name, number, doc.
    pub symbols: Vec<SymbolRow>,
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SymbolRow {
    pub name: String,
    pub number: Option<i32>,
    pub doc: String,
}

/// A doc comment as one text (leading, then trailing), never markup.
pub fn doc_text(doc: &Doc) -> String {
    match (&doc.leading, &doc.trailing) {
        (Some(l), Some(t)) => format!("{}\n{}", l.trim_end(), t.trim_end()),
        (Some(d), None) | (None, Some(d)) => d.trim_end().to_owned(),
        (None, None) => String::new(),
    }
}

/// The anchor of a named type's section on an event page.
pub fn anchor(full_name: &str) -> String {
    format!("type-{full_name}")
}

fn logical_name(l: &Logical) -> String {
    match l {
        Logical::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        Logical::Uuid => "uuid".into(),
        Logical::Date => "date".into(),
        Logical::TimeMillis => "time-millis".into(),
        Logical::TimeMicros => "time-micros".into(),
        Logical::TimestampMillis => "timestamp-millis".into(),
        Logical::TimestampMicros => "timestamp-micros".into(),
        Logical::TimestampNanos => "timestamp-nanos".into(),
        Logical::LocalTimestampMillis => "local-timestamp-millis".into(),
        Logical::LocalTimestampMicros => "local-timestamp-micros".into(),
        Logical::LocalTimestampNanos => "local-timestamp-nanos".into(),
        Logical::Duration => "duration".into(),
    }
}

/// `ty` as parts of text, named types linked when `links`.
pub fn type_parts(ty: &TypeRef, format: Format, links: bool, out: &mut Vec<TypePart>) {
    let text = |s: &str| TypePart {
        text: s.to_owned(),
        href: None,
    };
    match ty {
        TypeRef::Scalar(s) => out.push(text(s.name(format))),
        TypeRef::Named(n) => out.push(TypePart {
            text: n.clone(),
            href: links.then(|| format!("#{}", anchor(n))),
        }),
        TypeRef::Array(i) => {
            out.push(text("array<"));
            type_parts(i, format, links, out);
            out.push(text(">"));
        }
        TypeRef::Map(k, v) => {
            out.push(text("map<"));
            type_parts(k, format, links, out);
            out.push(text(", "));
            type_parts(v, format, links, out);
            out.push(text(">"));
        }
        TypeRef::Union(branches) => {
            out.push(text("union<"));
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(text(" | "));
                }
                type_parts(b, format, links, out);
            }
            out.push(text(">"));
        }
        TypeRef::Logical(l, inner) => {
            out.push(text(&format!("{}(", logical_name(l))));
            type_parts(inner, format, links, out);
            out.push(text(")"));
        }
    }
}

/// `ty` as plain text.
pub fn type_text(ty: &TypeRef, format: Format) -> String {
    let mut parts = Vec::new();
    type_parts(ty, format, false, &mut parts);
    parts.into_iter().map(|p| p.text).collect()
}

fn shape(field: &herald_codegen::model::Field) -> &'static str {
    match (field.cardinality, &field.ty) {
        (Cardinality::Repeated, _) => "repeated",
        (Cardinality::Optional, _) => "optional",
        (Cardinality::Required, _) => "required",
        (Cardinality::Singular, TypeRef::Map(..)) => "map",
        (Cardinality::Singular, TypeRef::Array(..)) => "array",
        (Cardinality::Singular, TypeRef::Union(b))
            if b.iter()
                .any(|t| matches!(t, TypeRef::Scalar(herald_codegen::model::Scalar::Null))) =>
        {
            "optional (union with null)"
        }
        (Cardinality::Singular, TypeRef::Union(_)) => "union",
        (Cardinality::Singular, _) => "",
    }
}

/// The section of one named type.
fn section(ty: &TypeDef) -> TypeSection {
    let mut out = TypeSection {
        full_name: ty.full_name.clone(),
        anchor: anchor(&ty.full_name),
        kind: "",
        doc: doc_text(&ty.doc),
        fields: Vec::new(),
        symbols: Vec::new(),
        size: None,
    };
    match &ty.kind {
        TypeKind::Message(m) => {
            out.kind = if ty.format == Format::Avro { "record" } else { "message" };
            out.fields = m
                .fields
                .iter()
                .map(|f| {
                    let mut parts = Vec::new();
                    type_parts(&f.ty, ty.format, true, &mut parts);
                    FieldRow {
                        name: f.name.clone(),
                        number: f.number,
                        ty: parts,
                        doc: doc_text(&f.doc),
                        default: f.default.as_ref().map(|d| d.to_string()),
                        shape: shape(f).to_owned(),
                        oneof: f.oneof.and_then(|i| m.oneofs.get(i)).map(|o| o.name.clone()),
                    }
                })
                .collect();
        }
        TypeKind::Enum(e) => {
            out.kind = "enum";
            out.symbols = e
                .values
                .iter()
                .map(|v| SymbolRow {
                    name: v.name.clone(),
                    number: (ty.format == Format::Proto).then_some(v.number),
                    doc: doc_text(&v.doc),
                })
                .collect();
        }
        TypeKind::Fixed { size } => {
            out.kind = "fixed";
            out.size = Some(*size);
        }
    }
    out
}

/// The sections of every type `root` reaches: the root first, then the others by full name.
pub fn sections(set: &EventSet, root: &str) -> Vec<TypeSection> {
    let closure = herald_codegen::fingerprint::closure(set, root);
    let mut out: Vec<TypeSection> = set.type_named(root).map(section).into_iter().collect();
    out.extend(
        closure
            .iter()
            .filter(|n| n.as_str() != root)
            .filter_map(|n| set.type_named(n))
            .filter(|t| !set.is_builtin(t))
            .map(section),
    );
    // Only types with a section are linked (a well-known type herald ships has none).
    let anchors: std::collections::BTreeSet<String> = out.iter().map(|t| format!("#{}", t.anchor)).collect();
    for part in out
        .iter_mut()
        .flat_map(|t| t.fields.iter_mut())
        .flat_map(|f| f.ty.iter_mut())
    {
        if part.href.as_ref().is_some_and(|h| !anchors.contains(h)) {
            part.href = None;
        }
    }
    out
}

/// Every field `root` reaches, by path from the root (`amount.currency`), with what a reader of
/// the data sees of it (type, cardinality, number, default); enum symbols as `Type#SYMBOL`. A
/// type met again on the same path is not expanded again (recursion).
pub fn flat_fields(set: &EventSet, root: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut on_path = Vec::new();
    flatten(set, root, "", &mut on_path, &mut out);
    out
}

fn flatten(set: &EventSet, name: &str, prefix: &str, on_path: &mut Vec<String>, out: &mut BTreeMap<String, String>) {
    // Deep or wide closures stay bounded: a catalog page is not a schema dump.
    if on_path.iter().any(|n| n == name) || on_path.len() >= 16 || out.len() >= 10_000 {
        return;
    }
    let Some(ty) = set.type_named(name) else {
        return;
    };
    on_path.push(name.to_owned());
    match &ty.kind {
        TypeKind::Message(m) => {
            for f in &m.fields {
                let path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}.{}", f.name)
                };
                let mut sig = type_text(&f.ty, ty.format);
                let s = match f.cardinality {
                    Cardinality::Singular => "",
                    _ => shape(f),
                };
                if !s.is_empty() {
                    sig = format!("{s} {sig}");
                }
                if let Some(n) = f.number {
                    sig.push_str(&format!(" = {n}"));
                }
                if let Some(d) = &f.default {
                    sig.push_str(&format!(" (default {d})"));
                }
                out.insert(path.clone(), sig);
                let mut refs = Vec::new();
                f.ty.named_refs(&mut refs);
                refs.dedup();
                for r in refs {
                    flatten(set, &r, &path, on_path, out);
                }
            }
        }
        TypeKind::Enum(e) => {
            let symbols: Vec<String> = e
                .values
                .iter()
                .map(|v| match ty.format {
                    Format::Proto => format!("{} = {}", v.name, v.number),
                    Format::Avro => v.name.clone(),
                })
                .collect();
            out.insert(format!("{prefix} (enum {name})"), symbols.join(", "));
        }
        TypeKind::Fixed { size } => {
            out.insert(format!("{prefix} (fixed {name})"), format!("{size} bytes"));
        }
    }
    on_path.pop();
}

/// One line of a field-level diff.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldChange {
    /// `added`, `removed`, `changed`.
    pub change: &'static str,
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from `old` to `new`, by path.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (path, before) in old {
        match new.get(path) {
            None => out.push(FieldChange {
                change: "removed",
                path: path.clone(),
                before: Some(before.clone()),
                after: None,
            }),
            Some(after) if after != before => out.push(FieldChange {
                change: "changed",
                path: path.clone(),
                before: Some(before.clone()),
                after: Some(after.clone()),
            }),
            Some(_) => {}
        }
    }
    for (path, after) in new {
        if !old.contains_key(path) {
            out.push(FieldChange {
                change: "added",
                path: path.clone(),
                before: None,
                after: Some(after.clone()),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
