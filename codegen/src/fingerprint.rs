//! What identifies the schema of a released event: its own type and every type it reaches.
//!
//! An event's payload is written with its message or record and, transitively, every message,
//! enum, record or fixed its fields refer to, in whatever file they are defined. [`closure`] lists
//! them; [`type_signature`] is one type's own definition as the data sees it: nested definitions
//! (except map entries, which belong to their field), docs and positions left out; proto field
//! and message options kept (`packed`, `jstype` and `json_name` change the wire or JSON form),
//! except `deprecated`; the file's syntax, which changes presence and packing.
//! [`event_fingerprint`] is the CRC-64-AVRO of all of them, what `herald.lock` records
//! (fingerprint version [`VERSION`]); [`changes`] says which types of the closure differ between
//! two schema sets and where.
//!
//! Version 1 (locks written before the closure was covered) fingerprinted a proto message's own
//! descriptor only ([`proto_fingerprint`]); Avro fingerprints are the same in both
//! versions (the standalone schema inlines every referenced type already).
//!
//! The primitives live here too, below the front ends and the passes that use them: [`crc64`]
//! (CRC-64-AVRO), [`proto_fingerprint`] (one message's descriptor, what generated proto `Event`
//! impls carry), [`standalone_schema`] and [`avro_schema`] (an Avro type's schema with every type
//! it references inlined, and its fingerprint), and [`with_big_stack`] for apache-avro's parser.

use std::collections::{BTreeMap, BTreeSet};

use apache_avro::rabin::Rabin;
use prost::Message as _;

use crate::model::{join_name, EventSet, Field, Format, TypeDef, TypeKind};
use crate::span::Span;

/// The fingerprint version `herald release` writes.
pub const VERSION: u32 = 2;

/// The full names of the types `root` reaches: itself and every named type its fields refer to,
/// transitively (a nested type only when something refers to it).
pub fn closure(set: &EventSet, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        let Some(ty) = set.type_named(&name) else { continue };
        if !seen.insert(name) {
            continue;
        }
        if let TypeKind::Message(m) = &ty.kind {
            for f in &m.fields {
                f.ty.named_refs(&mut stack);
            }
        }
    }
    seen
}

/// Decoded proto descriptors of one [`EventSet`], by file, decoded once.
#[derive(Default)]
pub struct Descriptors {
    files: BTreeMap<String, Option<prost_types::FileDescriptorProto>>,
}

impl Descriptors {
    fn file(&mut self, set: &EventSet, name: &str) -> Option<&prost_types::FileDescriptorProto> {
        self.files
            .entry(name.to_owned())
            .or_insert_with(|| {
                let bytes = set.proto_descriptors.get(name)?;
                prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
            })
            .as_ref()
    }
}

/// One type's own definition as its data sees it, as bytes to compare or hash.
pub fn type_signature(set: &EventSet, descriptors: &mut Descriptors, name: &str) -> Vec<u8> {
    let Some(ty) = set.type_named(name) else {
        return Vec::new();
    };
    if ty.format == Format::Proto {
        if let Some(bytes) = proto_signature(set, descriptors, ty) {
            return bytes;
        }
    }
    model_signature(ty).into_bytes()
}

/// The descriptor of a proto message (nested definitions removed) or enum, after its file's syntax.
fn proto_signature(set: &EventSet, descriptors: &mut Descriptors, ty: &TypeDef) -> Option<Vec<u8>> {
    let file = descriptors.file(set, &set.sources_map.get(ty.file).name)?;
    let package = file.package().to_owned();
    let mut out = format!("{}\0", file.syntax()).into_bytes();
    let mut messages: Vec<(String, &prost_types::DescriptorProto)> = file
        .message_type
        .iter()
        .map(|m| (join_name(&package, m.name()), m))
        .collect();
    for e in &file.enum_type {
        if join_name(&package, e.name()) == ty.full_name {
            out.extend(own_enum(e).encode_to_vec());
            return Some(out);
        }
    }
    while let Some((name, m)) = messages.pop() {
        if name == ty.full_name {
            let mut own = m.clone();
            // Map fields' entry messages are part of the field, not nested definitions of their own.
            own.nested_type
                .retain(|n| n.options.as_ref().is_some_and(|o| o.map_entry()));
            own.enum_type.clear();
            own.extension.clear();
            // `deprecated` changes neither the wire nor the JSON form.
            for f in &mut own.field {
                *f = own_field(f);
            }
            if let Some(o) = own.options.as_mut() {
                o.deprecated = None;
            }
            own.options = own.options.take().filter(|o| *o != Default::default());
            out.extend(own.encode_to_vec());
            return Some(out);
        }
        for e in &m.enum_type {
            if join_name(&name, e.name()) == ty.full_name {
                out.extend(own_enum(e).encode_to_vec());
                return Some(out);
            }
        }
        messages.extend(m.nested_type.iter().map(|n| (join_name(&name, n.name()), n)));
    }
    None
}

/// A field's descriptor without `deprecated` (it changes neither wire nor JSON form).
fn own_field(f: &prost_types::FieldDescriptorProto) -> prost_types::FieldDescriptorProto {
    let mut f = f.clone();
    if let Some(o) = f.options.as_mut() {
        o.deprecated = None;
    }
    f.options = f.options.take().filter(|o| *o != Default::default());
    f
}

/// An enum's descriptor without `deprecated` options (they change neither wire nor JSON form).
fn own_enum(e: &prost_types::EnumDescriptorProto) -> prost_types::EnumDescriptorProto {
    let mut e = e.clone();
    for v in &mut e.value {
        if let Some(o) = v.options.as_mut() {
            o.deprecated = None;
        }
        v.options = v.options.take().filter(|o| *o != Default::default());
    }
    if let Some(o) = e.options.as_mut() {
        o.deprecated = None;
    }
    e.options = e.options.take().filter(|o| *o != Default::default());
    e
}

/// A type's definition from the model, docs and positions (files included: the same file may
/// have another id in another set) left out.
pub(crate) fn model_signature(ty: &TypeDef) -> String {
    format!("{}\0{:?}\0{:?}", ty.full_name, ty.aliases, without_positions(&ty.kind))
}

/// `kind` with every doc removed and every span the same.
pub(crate) fn without_positions(kind: &TypeKind) -> TypeKind {
    let nowhere = Span::file_start(crate::span::FileId(0));
    let mut kind = kind.clone();
    match &mut kind {
        TypeKind::Message(m) => {
            for f in &mut m.fields {
                f.doc = Default::default();
                f.span = nowhere;
                f.type_span = nowhere;
            }
            for o in &mut m.oneofs {
                o.span = nowhere;
            }
        }
        TypeKind::Enum(e) => {
            for v in &mut e.values {
                v.doc = Default::default();
                v.span = nowhere;
            }
        }
        TypeKind::Fixed { .. } => {}
    }
    kind
}

/// The fingerprint `herald.lock` records for an event of type `ty` (version [`VERSION`]): Avro,
/// the CRC-64-AVRO of its standalone schema's canonical form (which inlines every type it uses);
/// proto, the CRC-64-AVRO of the signatures of every type in its [`closure`], by full name.
pub fn event_fingerprint(set: &EventSet, ty: &TypeDef) -> Result<u64, String> {
    if ty.format == Format::Avro {
        return avro_schema(set, &ty.full_name).map(|(fp, _)| fp);
    }
    let mut descriptors = Descriptors::default();
    let mut bytes = Vec::new();
    for name in closure(set, &ty.full_name) {
        let sig = type_signature(set, &mut descriptors, &name);
        bytes.extend(name.as_bytes());
        bytes.push(0);
        bytes.extend((sig.len() as u64).to_le_bytes());
        bytes.extend(sig);
    }
    Ok(crc64(&bytes))
}

/// One type of an event's closure that differs between two schema sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Full name of the changed type.
    pub type_name: String,
    /// What changed, e.g. "field `vip` added".
    pub what: String,
    /// The changed element in the new set (the type when the element is gone).
    pub span: Option<Span>,
    /// The element in the old set, when it was there.
    pub old_span: Option<Span>,
}

/// The types reached by both `old_root` (in `old`) and `new_root` (in `new`) whose signatures
/// differ, each located at its first changed field or value (the roots are paired even when
/// renamed). A type only one side reaches is reported through the field that started or stopped
/// referring to it, which changed its own type's signature.
pub fn changes(old: &EventSet, old_root: &str, new: &EventSet, new_root: &str) -> Vec<Change> {
    let (mut od, mut nd) = (Descriptors::default(), Descriptors::default());
    let old_closure = closure(old, old_root);
    let mut out = Vec::new();
    for name in closure(new, new_root) {
        // The roots are compared with each other even when renamed.
        let old_name = if name == new_root { old_root } else { name.as_str() };
        if !old_closure.contains(old_name) {
            continue;
        }
        if type_signature(old, &mut od, old_name) == type_signature(new, &mut nd, &name) {
            continue;
        }
        let (Some(o), Some(n)) = (old.type_named(old_name), new.type_named(&name)) else {
            continue;
        };
        let mut change = locate(o, n);
        if change.what == DEFINITION_CHANGED {
            // Nothing the model shows: a field option (`packed`, `jstype`, ...) may have changed.
            if let Some(number) = option_changed(old, &mut od, o, new, &mut nd, n) {
                if let TypeKind::Message(m) = &n.kind {
                    if let Some(f) = m.fields.iter().find(|f| f.number == Some(number)) {
                        change.what = format!("options of field `{}` changed", f.name);
                        change.span = Some(f.span);
                    }
                }
            }
        }
        out.push(change);
    }
    out
}

const DEFINITION_CHANGED: &str = "definition changed";

/// The number of the first field of a proto message whose descriptor (options included) differs
/// between the two sides.
fn option_changed(
    old: &EventSet,
    od: &mut Descriptors,
    o: &TypeDef,
    new: &EventSet,
    nd: &mut Descriptors,
    n: &TypeDef,
) -> Option<i32> {
    let old_message = message_descriptor(old, od, o)?;
    let new_message = message_descriptor(new, nd, n)?;
    new_message.field.iter().find_map(|f| {
        let before = old_message.field.iter().find(|b| b.number == f.number)?;
        (own_field(before) != own_field(f)).then(|| f.number())
    })
}

/// The descriptor of a proto message, by the type's full name.
fn message_descriptor(
    set: &EventSet,
    descriptors: &mut Descriptors,
    ty: &TypeDef,
) -> Option<prost_types::DescriptorProto> {
    let file = descriptors.file(set, &set.sources_map.get(ty.file).name)?;
    let package = file.package().to_owned();
    let mut messages: Vec<(String, &prost_types::DescriptorProto)> = file
        .message_type
        .iter()
        .map(|m| (join_name(&package, m.name()), m))
        .collect();
    while let Some((name, m)) = messages.pop() {
        if name == ty.full_name {
            return Some(m.clone());
        }
        messages.extend(m.nested_type.iter().map(|n| (join_name(&name, n.name()), n)));
    }
    None
}

/// The first difference between two definitions of a type.
fn locate(old: &TypeDef, new: &TypeDef) -> Change {
    let change = |what: String, span: Option<Span>, old_span: Option<Span>| Change {
        type_name: new.full_name.clone(),
        what,
        span,
        old_span,
    };
    match (&old.kind, &new.kind) {
        (TypeKind::Message(om), TypeKind::Message(nm)) => {
            let key = |f: &Field| f.number.map(|n| n.to_string()).unwrap_or_else(|| f.name.clone());
            let oneof =
                |m: &crate::model::Message, f: &Field| f.oneof.and_then(|i| m.oneofs.get(i)).map(|o| o.name.clone());
            let same = |a: &Field, b: &Field| {
                a.name == b.name
                    && a.number == b.number
                    && a.ty == b.ty
                    && a.cardinality == b.cardinality
                    && a.default == b.default
                    && a.aliases == b.aliases
                    && a.json_name == b.json_name
                    && oneof(om, a) == oneof(nm, b)
            };
            for f in &nm.fields {
                match om.fields.iter().find(|o| key(o) == key(f)) {
                    None => return change(format!("field `{}` added", f.name), Some(f.span), None),
                    Some(o) if !same(o, f) => {
                        return change(format!("field `{}` changed", f.name), Some(f.span), Some(o.span))
                    }
                    Some(_) => {}
                }
            }
            if let Some(o) = om.fields.iter().find(|o| !nm.fields.iter().any(|f| key(f) == key(o))) {
                return change(format!("field `{}` removed", o.name), Some(new.span), Some(o.span));
            }
        }
        (TypeKind::Enum(oe), TypeKind::Enum(ne)) => {
            for v in &ne.values {
                match oe.values.iter().find(|o| o.name == v.name) {
                    None => return change(format!("value `{}` added", v.name), Some(v.span), None),
                    Some(o) if o.number != v.number => {
                        return change(format!("value `{}` changed", v.name), Some(v.span), Some(o.span))
                    }
                    Some(_) => {}
                }
            }
            if let Some(o) = oe.values.iter().find(|o| !ne.values.iter().any(|v| v.name == o.name)) {
                return change(format!("value `{}` removed", o.name), Some(new.span), Some(o.span));
            }
        }
        _ => {}
    }
    change(DEFINITION_CHANGED.to_owned(), Some(new.span), Some(old.span))
}

/// The standalone schema text of an Avro type and its CRC-64-AVRO fingerprint.
pub fn avro_schema(set: &EventSet, full: &str) -> Result<(u64, String), String> {
    let json = standalone_schema(set, full).ok_or_else(|| format!("no Avro definition for `{full}`"))?;
    let text = serde_json::to_string(&json).map_err(|e| e.to_string())?;
    let fp = with_big_stack(|| {
        apache_avro::Schema::parse_str(&text)
            .map(|schema| schema.fingerprint::<Rabin>())
            .map_err(|e| format!("the schema of `{full}` does not stand alone: {e}"))
    })
    .unwrap_or_else(|| Err(format!("apache-avro failed on the schema of `{full}`")))?;
    let mut bytes = [0u8; 8];
    for (slot, b) in bytes.iter_mut().zip(fp.bytes.iter()) {
        *slot = *b;
    }
    Ok((u64::from_le_bytes(bytes), text))
}

/// CRC-64-AVRO of the message's serialized descriptor (nested types included).
pub fn proto_fingerprint(set: &EventSet, ty: &TypeDef) -> u64 {
    let file = &set.sources_map.get(ty.file).name;
    let Some(bytes) = set.proto_descriptors.get(file) else {
        return 0;
    };
    let Ok(fd) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) else {
        return 0;
    };
    let package = fd.package().to_owned();
    let mut found = None;
    let mut stack: Vec<(String, &prost_types::DescriptorProto)> = fd
        .message_type
        .iter()
        .map(|m| (join_name(&package, m.name()), m))
        .collect();
    while let Some((name, m)) = stack.pop() {
        if name == ty.full_name {
            found = Some(m);
            break;
        }
        stack.extend(m.nested_type.iter().map(|n| (join_name(&name, n.name()), n)));
    }
    let Some(m) = found else { return 0 };
    crc64(&m.encode_to_vec())
}

/// CRC-64-AVRO through apache-avro's Rabin digest.
pub fn crc64(bytes: &[u8]) -> u64 {
    use digest::Digest;
    let out = Rabin::digest(bytes);
    let mut le = [0u8; 8];
    for (slot, b) in le.iter_mut().zip(out.iter()) {
        *slot = *b;
    }
    u64::from_le_bytes(le)
}

/// A schema that stands alone: the named type's definition with every type it references and
/// that is defined elsewhere inlined at its first use.
pub fn standalone_schema(set: &EventSet, full: &str) -> Option<serde_json::Value> {
    let mut defined: BTreeSet<String> = BTreeSet::new();
    let root = set.type_named(full)?.avro_json.clone()?;
    Some(inline(set, root, "", &mut defined, 0))
}

fn inline(
    set: &EventSet,
    v: serde_json::Value,
    enclosing: &str,
    defined: &mut BTreeSet<String>,
    depth: usize,
) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > crate::model::AVRO_MAX_DEPTH {
        return v;
    }
    match v {
        J::String(s) => {
            const PRIMITIVES: &[&str] = &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
            if PRIMITIVES.contains(&s.as_str()) {
                return J::String(s);
            }
            let candidates = if s.contains('.') || enclosing.is_empty() {
                vec![s.clone()]
            } else {
                vec![format!("{enclosing}.{s}"), s.clone()]
            };
            let Some(full) = candidates.into_iter().find(|c| set.type_named(c).is_some()) else {
                return J::String(s);
            };
            if defined.contains(&full) {
                return J::String(full);
            }
            match set.type_named(&full).and_then(|t| t.avro_json.clone()) {
                Some(def) => inline(set, def, enclosing, defined, depth + 1),
                None => J::String(full),
            }
        }
        J::Array(items) => J::Array(
            items
                .into_iter()
                .map(|x| inline(set, x, enclosing, defined, depth + 1))
                .collect(),
        ),
        J::Object(mut o) => {
            let ty = o.get("type").and_then(|t| t.as_str()).map(str::to_owned);
            let mut inner_ns = enclosing.to_owned();
            if matches!(
                ty.as_deref(),
                Some("record") | Some("error") | Some("enum") | Some("fixed")
            ) {
                if let Some(name) = o.get("name").and_then(|n| n.as_str()) {
                    let ns = o.get("namespace").and_then(|n| n.as_str());
                    let full = if name.contains('.') {
                        name.to_owned()
                    } else {
                        match ns.unwrap_or(enclosing) {
                            "" => name.to_owned(),
                            ns => format!("{ns}.{name}"),
                        }
                    };
                    inner_ns = full.rsplit_once('.').map(|(n, _)| n.to_owned()).unwrap_or_default();
                    defined.insert(full);
                }
            }
            // The herald metadata is not part of the wire schema.
            o.remove("herald");
            for key in ["type", "items", "values"] {
                if let Some(x) = o.remove(key) {
                    let x = match (key, &x) {
                        ("type", J::String(s))
                            if matches!(s.as_str(), "record" | "error" | "enum" | "fixed" | "array" | "map") =>
                        {
                            x
                        }
                        _ => inline(set, x, &inner_ns, defined, depth + 1),
                    };
                    o.insert(key.to_owned(), x);
                }
            }
            if let Some(J::Array(fields)) = o.remove("fields") {
                let fields = fields
                    .into_iter()
                    .map(|f| match f {
                        J::Object(mut fo) => {
                            if let Some(t) = fo.remove("type") {
                                fo.insert("type".into(), inline(set, t, &inner_ns, defined, depth + 1));
                            }
                            J::Object(fo)
                        }
                        other => other,
                    })
                    .collect();
                o.insert("fields".into(), J::Array(fields));
            }
            J::Object(o)
        }
        other => other,
    }
}

/// Stack for apache-avro's parser, which recurses once per named reference: a chain of a few
/// hundred records referring to each other exhausts an ordinary thread's stack.
const APACHE_AVRO_STACK: usize = 512 * 1024 * 1024;

/// Runs `f` on a thread with `APACHE_AVRO_STACK` bytes of stack (reserved, not committed);
/// `None` if the thread could not be started or panicked.
pub fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(APACHE_AVRO_STACK)
            .spawn_scoped(scope, f)
            .ok()
            .and_then(|h| h.join().ok())
    })
}
