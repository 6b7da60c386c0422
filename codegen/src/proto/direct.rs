//! herald's own front end for plain proto3 files: the descriptor protobuf-parse would build, built
//! from the scanner's tokens without the parser's second lexer, its file system or its per-run
//! index of every file parsed so far.
//!
//! It covers what event schemas are made of: `syntax = "proto3"`, a package, imports, messages
//! (nested), enums, scalar, message, enum and map fields, `repeated` and `optional`, oneofs,
//! reserved numbers and names, and `option (herald.event) = { ... }`. Anything else (another
//! syntax, options other than herald's, extensions, services, groups, escapes in strings, a name
//! that is also a keyword, a type that does not resolve, ...) makes it *decline*: the file goes
//! through protobuf-parse as before. What it accepts it builds exactly as protobuf-parse does
//! (the same fields in the same order, the same map entries, json names and synthetic oneofs, the
//! same resolution of type names, the option's bytes in the same order); the tests compare the two
//! on every `.proto` file in the repository and on generated ones.

use std::collections::HashMap;

use protobuf::descriptor::descriptor_proto::ReservedRange;
use protobuf::descriptor::enum_descriptor_proto::EnumReservedRange;
use protobuf::descriptor::field_descriptor_proto::{Label, Type};
use protobuf::descriptor::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    MessageOptions, OneofDescriptorProto,
};
use protobuf::{UnknownFields, UnknownValue};

use super::scan::{Tok, Token};

/// Largest field number (`max` in a reserved range).
const MAX_NUMBER: i64 = 0x1FFF_FFFF;
/// The field number of `herald.event` on `google.protobuf.MessageOptions`.
const EVENT_EXTENSION: u32 = 50001;

/// Whether `word` is one herald's front end does not accept as a name (protobuf-parse reads some
/// of them as keywords in some positions); a file that uses one declines.
fn reserved_word(word: &str) -> bool {
    matches!(
        word,
        "syntax"
            | "edition"
            | "package"
            | "import"
            | "public"
            | "weak"
            | "option"
            | "message"
            | "enum"
            | "service"
            | "rpc"
            | "returns"
            | "stream"
            | "extend"
            | "extensions"
            | "reserved"
            | "to"
            | "max"
            | "oneof"
            | "map"
            | "group"
            | "optional"
            | "required"
            | "repeated"
            | "true"
            | "false"
            | "inf"
            | "nan"
    ) || scalar(word).is_some()
}

/// A file of the subset, parsed: what [`descriptor`] needs besides the imported files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    package: Option<String>,
    /// Import paths, and whether each is public.
    imports: Vec<(String, bool)>,
    messages: Vec<MessageAst>,
    enums: Vec<EnumAst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MessageAst {
    name: String,
    /// Where it starts (nested messages and map entries are ordered by it, as protobuf-parse
    /// orders them by location).
    at: usize,
    items: Vec<Item>,
    messages: Vec<MessageAst>,
    enums: Vec<EnumAst>,
    reserved: Vec<(i64, i64)>,
    reserved_names: Vec<String>,
    /// `(herald.event)`'s entries, in the text's order.
    event: Option<Vec<(String, Value)>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Field(FieldAst),
    Oneof(String, Vec<FieldAst>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Singular,
    Optional,
    Repeated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldAst {
    name: String,
    at: usize,
    rule: Rule,
    ty: Ty,
    number: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Scalar(Type),
    /// A type name as written (a leading `.` when absolute).
    Named(String),
    Map(Type, Box<Ty>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EnumAst {
    name: String,
    values: Vec<(String, i32)>,
    reserved: Vec<(i64, i64)>,
    reserved_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Ident(String),
}

fn scalar(word: &str) -> Option<Type> {
    Some(match word {
        "double" => Type::TYPE_DOUBLE,
        "float" => Type::TYPE_FLOAT,
        "int32" => Type::TYPE_INT32,
        "int64" => Type::TYPE_INT64,
        "uint32" => Type::TYPE_UINT32,
        "uint64" => Type::TYPE_UINT64,
        "sint32" => Type::TYPE_SINT32,
        "sint64" => Type::TYPE_SINT64,
        "fixed32" => Type::TYPE_FIXED32,
        "fixed64" => Type::TYPE_FIXED64,
        "sfixed32" => Type::TYPE_SFIXED32,
        "sfixed64" => Type::TYPE_SFIXED64,
        "bool" => Type::TYPE_BOOL,
        "string" => Type::TYPE_STRING,
        "bytes" => Type::TYPE_BYTES,
        _ => return None,
    })
}

/// Parses `text` (already tokenized by the scanner) when it is in the subset; `None` declines.
pub fn parse(text: &str, tokens: &[Token]) -> Option<File> {
    // Bytes protobuf-parse's lexer may read differently from the scanner's.
    if text.bytes().any(|b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) {
        return None;
    }
    let mut p = Parser { text, tokens, pos: 0 };
    p.word("syntax")?;
    p.sym(b'=')?;
    if p.string()? != "proto3" {
        return None;
    }
    p.sym(b';')?;
    let mut file = File {
        package: None,
        imports: Vec::new(),
        messages: Vec::new(),
        enums: Vec::new(),
    };
    while p.pos < tokens.len() {
        match p.ident()? {
            "package" if file.package.is_none() => {
                p.pos += 1;
                let (name, absolute) = p.path()?;
                if absolute {
                    return None;
                }
                p.sym(b';')?;
                file.package = Some(name);
            }
            "import" => {
                p.pos += 1;
                let public = p.peek_word("public");
                if public {
                    p.pos += 1;
                }
                let path = p.string()?;
                p.sym(b';')?;
                file.imports.push((path, public));
            }
            "message" => file.messages.push(p.message()?),
            "enum" => file.enums.push(p.enumeration()?),
            _ => return None,
        }
    }
    Some(file)
}

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn token_text(&self, t: &Token) -> &'a str {
        self.text.get(t.start..t.end).unwrap_or_default()
    }

    /// The identifier at the cursor, not consumed.
    fn ident(&self) -> Option<&'a str> {
        let t = self.peek().filter(|t| t.kind == Tok::Ident)?;
        Some(self.token_text(t))
    }

    fn peek_word(&self, word: &str) -> bool {
        self.ident() == Some(word)
    }

    fn peek_sym(&self, c: u8) -> bool {
        self.peek().is_some_and(|t| t.kind == Tok::Sym(c))
    }

    fn word(&mut self, word: &str) -> Option<()> {
        self.peek_word(word).then(|| self.pos += 1)
    }

    fn sym(&mut self, c: u8) -> Option<()> {
        self.peek_sym(c).then(|| self.pos += 1)
    }

    /// A name being declared: an identifier that is no keyword and does not start with `_`.
    fn name(&mut self) -> Option<String> {
        let word = self.ident()?;
        if reserved_word(word) || word.starts_with('_') {
            return None;
        }
        self.pos += 1;
        Some(word.to_owned())
    }

    /// A dotted name, and whether it starts with `.`.
    fn path(&mut self) -> Option<(String, bool)> {
        let absolute = self.sym(b'.').is_some();
        let mut out = self.name()?;
        while self.peek_sym(b'.') {
            self.pos += 1;
            out.push('.');
            out.push_str(&self.name()?);
        }
        Some((out, absolute))
    }

    /// A string literal with no escapes, ASCII only, not followed by another (concatenation).
    fn string(&mut self) -> Option<String> {
        let t = self.peek().filter(|t| t.kind == Tok::Str)?;
        let raw = self.token_text(t);
        let inner = raw.get(1..raw.len().checked_sub(1)?)?;
        if raw.len() < 2 || inner.contains('\\') || !inner.is_ascii() {
            return None;
        }
        self.pos += 1;
        if self.peek().is_some_and(|t| t.kind == Tok::Str) {
            return None;
        }
        Some(inner.to_owned())
    }

    /// A decimal integer literal (`-` allowed when `signed`).
    fn int(&mut self, signed: bool) -> Option<i64> {
        let negative = signed && self.sym(b'-').is_some();
        let t = self.peek().filter(|t| t.kind == Tok::Int)?;
        let digits = self.token_text(t);
        if !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.len() > 10
            || digits.len() > 1 && digits.starts_with('0')
        {
            return None;
        }
        self.pos += 1;
        let value: i64 = digits.parse().ok()?;
        Some(if negative { -value } else { value })
    }

    fn number(&mut self) -> Option<i32> {
        let n = self.int(false)?;
        (1..=MAX_NUMBER).contains(&n).then_some(n as i32)
    }

    /// Long because it is the body of a message: one arm per statement the subset allows.
    fn message(&mut self) -> Option<MessageAst> {
        let at = self.peek()?.start;
        self.word("message")?;
        let name = self.name()?;
        self.sym(b'{')?;
        let mut m = MessageAst {
            name,
            at,
            items: Vec::new(),
            messages: Vec::new(),
            enums: Vec::new(),
            reserved: Vec::new(),
            reserved_names: Vec::new(),
            event: None,
        };
        loop {
            if self.sym(b'}').is_some() {
                return Some(m);
            }
            // A field whose type is absolute starts with `.`.
            match self.ident().unwrap_or(".") {
                "message" => m.messages.push(self.message()?),
                "enum" => m.enums.push(self.enumeration()?),
                "reserved" => self.reserved(&mut m.reserved, &mut m.reserved_names)?,
                "option" if m.event.is_none() => m.event = Some(self.event_option()?),
                "oneof" => {
                    self.pos += 1;
                    let name = self.name()?;
                    self.sym(b'{')?;
                    let mut fields = Vec::new();
                    while self.sym(b'}').is_none() {
                        let f = self.field()?;
                        if f.rule != Rule::Singular || matches!(f.ty, Ty::Map(..)) {
                            return None;
                        }
                        fields.push(f);
                    }
                    if fields.is_empty() {
                        return None;
                    }
                    m.items.push(Item::Oneof(name, fields));
                }
                _ => m.items.push(Item::Field(self.field()?)),
            }
        }
    }

    fn field(&mut self) -> Option<FieldAst> {
        let at = self.peek()?.start;
        let rule = match self.ident().unwrap_or(".") {
            "repeated" => Rule::Repeated,
            "optional" => Rule::Optional,
            _ => Rule::Singular,
        };
        if rule != Rule::Singular {
            self.pos += 1;
        }
        let ty = if self.peek_word("map") && self.tokens.get(self.pos + 1).is_some_and(|t| t.kind == Tok::Sym(b'<')) {
            if rule != Rule::Singular {
                return None;
            }
            self.pos += 2;
            let key = scalar(self.ident()?)
                .filter(|k| !matches!(k, Type::TYPE_DOUBLE | Type::TYPE_FLOAT | Type::TYPE_BYTES))?;
            self.pos += 1;
            self.sym(b',')?;
            let value = self.value_type()?;
            self.sym(b'>')?;
            Ty::Map(key, Box::new(value))
        } else {
            self.value_type()?
        };
        let name = self.name()?;
        self.sym(b'=')?;
        let number = self.number()?;
        self.sym(b';')?;
        Some(FieldAst {
            name,
            at,
            rule,
            ty,
            number,
        })
    }

    fn value_type(&mut self) -> Option<Ty> {
        if let Some(t) = self.ident().and_then(scalar) {
            self.pos += 1;
            return Some(Ty::Scalar(t));
        }
        let (name, absolute) = self.path()?;
        Some(Ty::Named(if absolute { format!(".{name}") } else { name }))
    }

    fn enumeration(&mut self) -> Option<EnumAst> {
        self.word("enum")?;
        let name = self.name()?;
        self.sym(b'{')?;
        let mut e = EnumAst {
            name,
            values: Vec::new(),
            reserved: Vec::new(),
            reserved_names: Vec::new(),
        };
        loop {
            if self.sym(b'}').is_some() {
                return (!e.values.is_empty()).then_some(e);
            }
            if self.peek_word("reserved") {
                self.reserved(&mut e.reserved, &mut e.reserved_names)?;
                continue;
            }
            let value = self.name()?;
            self.sym(b'=')?;
            let number = i32::try_from(self.int(true)?).ok()?;
            self.sym(b';')?;
            e.values.push((value, number));
        }
    }

    /// `reserved 1, 5 to 9, 12 to max;` or `reserved "a", "b";`.
    fn reserved(&mut self, ranges: &mut Vec<(i64, i64)>, names: &mut Vec<String>) -> Option<()> {
        self.word("reserved")?;
        if self.peek().is_some_and(|t| t.kind == Tok::Str) {
            loop {
                names.push(self.string()?);
                if self.sym(b',').is_none() {
                    break;
                }
            }
        } else {
            loop {
                let from = self.number()? as i64;
                let to = if self.word("to").is_some() {
                    if self.word("max").is_some() {
                        MAX_NUMBER
                    } else {
                        self.number()? as i64
                    }
                } else {
                    from
                };
                if to < from {
                    return None;
                }
                ranges.push((from, to));
                if self.sym(b',').is_none() {
                    break;
                }
            }
        }
        self.sym(b';')
    }

    /// `option (herald.event) = { key: value, ... };`: its entries.
    fn event_option(&mut self) -> Option<Vec<(String, Value)>> {
        self.word("option")?;
        self.sym(b'(')?;
        self.word("herald")?;
        self.sym(b'.')?;
        self.word("event")?;
        self.sym(b')')?;
        self.sym(b'=')?;
        self.sym(b'{')?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        while self.sym(b'}').is_none() {
            if !entries.is_empty() {
                self.sym(b',')?;
            }
            let key = self.ident()?.to_owned();
            self.pos += 1;
            self.sym(b':')?;
            let value = match self.peek()?.kind {
                Tok::Str => Value::Str(self.string()?),
                Tok::Ident => {
                    let word = self.ident()?.to_owned();
                    self.pos += 1;
                    Value::Ident(word)
                }
                _ => return None,
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return None;
            }
            entries.push((key, value));
        }
        self.sym(b';')?;
        Some(entries)
    }
}

/// A type a name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Enum,
    /// Declared twice (in two files, or as a message and an enum): protobuf-parse takes the first
    /// it finds, herald declines.
    Ambiguous,
}

/// Full names (with a leading `.`) of every message and enum of the files a file can see.
#[derive(Default)]
struct Names(HashMap<String, Kind>);

impl Names {
    fn add(&mut self, name: String, kind: Kind) {
        self.0.entry(name).and_modify(|k| *k = Kind::Ambiguous).or_insert(kind);
    }

    fn add_descriptor(&mut self, fd: &FileDescriptorProto) {
        // protobuf-parse resolves names in its parsed files, where map entries are not messages.
        fn message(names: &mut Names, prefix: &str, m: &DescriptorProto) {
            if m.options.map_entry() {
                return;
            }
            let full = format!("{prefix}.{}", m.name());
            for n in &m.nested_type {
                message(names, &full, n);
            }
            for e in &m.enum_type {
                names.add(format!("{full}.{}", e.name()), Kind::Enum);
            }
            names.add(full, Kind::Message);
        }
        let prefix = package_prefix(fd.package.as_deref());
        for m in &fd.message_type {
            message(self, &prefix, m);
        }
        for e in &fd.enum_type {
            self.add(format!("{prefix}.{}", e.name()), Kind::Enum);
        }
    }

    fn add_file(&mut self, file: &File) {
        fn message(names: &mut Names, prefix: &str, m: &MessageAst) {
            let full = format!("{prefix}.{}", m.name);
            for n in &m.messages {
                message(names, &full, n);
            }
            for e in &m.enums {
                names.add(format!("{full}.{}", e.name), Kind::Enum);
            }
            names.add(full, Kind::Message);
        }
        let prefix = package_prefix(file.package.as_deref());
        for m in &file.messages {
            message(self, &prefix, m);
        }
        for e in &file.enums {
            self.add(format!("{prefix}.{}", e.name), Kind::Enum);
        }
    }
}

/// A file's own names over those of everything it imports: a full name declared in both is
/// ambiguous.
struct Visible<'n> {
    own: &'n Names,
    deps: &'n Names,
}

impl Visible<'_> {
    /// protobuf-parse's resolution: `name` under the scope, then under each enclosing scope out to
    /// the root; the first full name that exists.
    fn resolve(&self, scope: &str, name: &str) -> Option<(String, Kind)> {
        if name.starts_with('.') {
            return self.get(name);
        }
        let mut scope = scope;
        loop {
            let candidate = format!("{scope}.{name}");
            if let Some(found) = self.get(&candidate) {
                return Some(found);
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope.rsplit_once('.').map_or("", |(parent, _)| parent);
        }
    }

    fn get(&self, full: &str) -> Option<(String, Kind)> {
        let kind = match (self.own.0.get(full), self.deps.0.get(full)) {
            (Some(k), None) | (None, Some(k)) => *k,
            (None, None) => return None,
            (Some(_), Some(_)) => Kind::Ambiguous,
        };
        (kind != Kind::Ambiguous).then(|| (full.to_owned(), kind))
    }
}

fn package_prefix(package: Option<&str>) -> String {
    match package {
        Some(p) if !p.is_empty() => format!(".{p}"),
        _ => String::new(),
    }
}

/// protobuf-parse's name for a map field's entry message.
fn map_entry_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 5);
    let mut upper = true;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out.push_str("Entry");
    out
}

/// What resolving a file needs of the files it imports (every file it sees: its imports and
/// theirs, transitively, as protobuf-parse gives every dependency), worked out once for every file
/// with the same imports: their names, and `herald/options.proto`'s `EventOptions`.
pub struct Context {
    names: Names,
    /// `false` when an import declares extensions or groups (extensions elsewhere could make
    /// `(herald.event)` mean another option).
    usable: bool,
    event_options: Option<EventOptions>,
}

impl Context {
    pub fn new(deps: &[&FileDescriptorProto]) -> Context {
        let mut names = Names::default();
        for d in deps {
            names.add_descriptor(d);
        }
        Context {
            names,
            usable: !deps
                .iter()
                .any(|d| d.name() != super::OPTIONS_PATH && has_extensions(d)),
            event_options: deps
                .iter()
                .find(|d| d.name() == super::OPTIONS_PATH)
                .and_then(|d| event_options(d)),
        }
    }
}

/// The descriptor protobuf-parse builds for `file` at import path `path`, or `None` (decline).
pub fn descriptor(path: &str, file: &File, cx: &Context) -> Option<FileDescriptorProto> {
    if !cx.usable {
        return None;
    }
    let mut own = Names::default();
    own.add_file(file);
    // A name declared twice (in the file, or in the file and an import) is left to protobuf-parse.
    if own
        .0
        .iter()
        .any(|(name, kind)| *kind == Kind::Ambiguous || cx.names.0.contains_key(name))
    {
        return None;
    }
    let names = Visible {
        own: &own,
        deps: &cx.names,
    };
    let b = Builder {
        names: &names,
        event_options: cx.event_options.as_ref(),
    };
    let mut out = FileDescriptorProto::new();
    out.set_name(path.to_owned());
    out.set_syntax("proto3".to_owned());
    if let Some(p) = &file.package {
        out.set_package(p.clone());
    }
    for (i, (import, public)) in file.imports.iter().enumerate() {
        if *public {
            out.public_dependency.push(i as i32);
        }
        out.dependency.push(import.clone());
    }
    let scope = package_prefix(file.package.as_deref());
    let mut messages: Vec<(usize, DescriptorProto)> = Vec::new();
    for m in &file.messages {
        messages.push((m.at, b.message(&scope, m)?));
    }
    messages.sort_by_key(|(at, _)| *at);
    out.message_type = messages.into_iter().map(|(_, m)| m).collect();
    out.enum_type = file.enums.iter().map(enumeration).collect();
    Some(out)
}

/// Whether a file declares extensions or groups (a group's message is not one protobuf-parse's
/// resolution finds).
fn has_extensions(fd: &FileDescriptorProto) -> bool {
    fn message(m: &DescriptorProto) -> bool {
        !m.extension.is_empty()
            || m.field.iter().any(|f| f.type_() == Type::TYPE_GROUP)
            || m.nested_type.iter().any(message)
    }
    !fd.extension.is_empty() || fd.message_type.iter().any(message)
}

/// `herald.EventOptions`' fields (name → number, and whether it is the `Kind` enum) and
/// `herald.Kind`'s values, from the built-in options file's descriptor.
struct EventOptions {
    fields: Vec<(String, u32, bool)>,
    kinds: Vec<(String, i32)>,
}

fn event_options(fd: &FileDescriptorProto) -> Option<EventOptions> {
    let message = fd.message_type.iter().find(|m| m.name() == "EventOptions")?;
    let kind = fd.enum_type.iter().find(|e| e.name() == "Kind")?;
    let mut fields = Vec::new();
    for f in &message.field {
        let is_kind = match f.type_() {
            Type::TYPE_STRING => false,
            Type::TYPE_ENUM if f.type_name() == ".herald.Kind" => true,
            _ => return None,
        };
        fields.push((f.name().to_owned(), u32::try_from(f.number()).ok()?, is_kind));
    }
    let kinds = kind.value.iter().map(|v| (v.name().to_owned(), v.number())).collect();
    Some(EventOptions { fields, kinds })
}

struct Builder<'a> {
    names: &'a Visible<'a>,
    event_options: Option<&'a EventOptions>,
}

impl Builder<'_> {
    /// Long because it mirrors protobuf-parse's conversion of a message in one pass: nested and
    /// map entry messages in source order, enums, fields with their oneofs (synthetic ones for
    /// proto3 `optional`), reserved ranges and names, then the event option.
    fn message(&self, scope: &str, m: &MessageAst) -> Option<DescriptorProto> {
        let full = format!("{scope}.{}", m.name);
        let mut out = DescriptorProto::new();
        out.set_name(m.name.clone());
        let mut nested: Vec<(usize, DescriptorProto)> = Vec::new();
        for n in &m.messages {
            nested.push((n.at, self.message(&full, n)?));
        }
        let mut fields = Vec::new();
        for item in &m.items {
            match item {
                Item::Field(f) => {
                    if let Ty::Map(key, value) = &f.ty {
                        nested.push((f.at, self.map_entry(&full, &f.name, *key, value)?));
                    }
                    let oneof = (f.rule == Rule::Optional).then(|| {
                        let mut o = OneofDescriptorProto::new();
                        o.set_name(format!("_{}", f.name));
                        out.oneof_decl.push(o);
                        out.oneof_decl.len() as i32 - 1
                    });
                    fields.push(self.field(&full, f, oneof)?);
                }
                Item::Oneof(name, members) => {
                    let index = out.oneof_decl.len() as i32;
                    for f in members {
                        fields.push(self.field(&full, f, Some(index))?);
                    }
                    let mut o = OneofDescriptorProto::new();
                    o.set_name(name.clone());
                    out.oneof_decl.push(o);
                }
            }
        }
        nested.sort_by_key(|(at, _)| *at);
        out.nested_type = nested.into_iter().map(|(_, n)| n).collect();
        out.enum_type = m.enums.iter().map(enumeration).collect();
        out.field = fields;
        for &(start, end) in &m.reserved {
            let mut r = ReservedRange::new();
            r.set_start(start as i32);
            r.set_end(end as i32 + 1);
            out.reserved_range.push(r);
        }
        out.reserved_name = m.reserved_names.clone();
        if let Some(entries) = &m.event {
            out.options = Some(self.event_option(entries)?).into();
        }
        Some(out)
    }

    fn field(&self, scope: &str, f: &FieldAst, oneof: Option<i32>) -> Option<FieldDescriptorProto> {
        let mut out = FieldDescriptorProto::new();
        out.set_name(f.name.clone());
        match (&f.ty, f.rule) {
            (Ty::Map(..), _) | (_, Rule::Repeated) => out.set_label(Label::LABEL_REPEATED),
            (_, Rule::Optional) => {
                out.set_label(Label::LABEL_OPTIONAL);
                out.set_proto3_optional(true);
            }
            (_, Rule::Singular) => out.set_label(Label::LABEL_OPTIONAL),
        }
        match &f.ty {
            Ty::Map(..) => {
                out.set_type(Type::TYPE_MESSAGE);
                out.set_type_name(format!("{scope}.{}", map_entry_name(&f.name)));
            }
            ty => self.set_type(&mut out, scope, ty)?,
        }
        out.set_number(f.number);
        if let Some(i) = oneof {
            out.set_oneof_index(i);
        }
        out.set_json_name(protobuf_support::json_name::json_name(&f.name));
        Some(out)
    }

    fn set_type(&self, out: &mut FieldDescriptorProto, scope: &str, ty: &Ty) -> Option<()> {
        match ty {
            Ty::Scalar(t) => out.set_type(*t),
            Ty::Named(name) => {
                let (full, kind) = self.names.resolve(scope, name)?;
                out.set_type(match kind {
                    Kind::Message => Type::TYPE_MESSAGE,
                    Kind::Enum => Type::TYPE_ENUM,
                    Kind::Ambiguous => return None,
                });
                out.set_type_name(full);
            }
            Ty::Map(..) => return None,
        }
        Some(())
    }

    fn map_entry(&self, scope: &str, field: &str, key: Type, value: &Ty) -> Option<DescriptorProto> {
        let mut out = DescriptorProto::new();
        out.options.mut_or_insert_default().set_map_entry(true);
        out.set_name(map_entry_name(field));
        for (name, number, ty) in [("key", 1, &Ty::Scalar(key)), ("value", 2, value)] {
            let mut f = FieldDescriptorProto::new();
            f.set_name(name.to_owned());
            f.set_number(number);
            self.set_type(&mut f, scope, ty)?;
            f.set_label(Label::LABEL_OPTIONAL);
            f.set_json_name(name.to_owned());
            out.field.push(f);
        }
        Some(out)
    }

    /// The message options holding `(herald.event)` as protobuf-parse encodes it: an unknown
    /// field whose bytes are the entries in the text's order.
    fn event_option(&self, entries: &[(String, Value)]) -> Option<MessageOptions> {
        let spec = self.event_options?;
        // protobuf-parse encodes the option with the first `herald.EventOptions` it finds, from the
        // file itself on: only the built-in one may exist.
        if self.names.get(".herald.EventOptions").map(|(_, k)| k) != Some(Kind::Message)
            || self.names.get(".herald.Kind").map(|(_, k)| k) != Some(Kind::Enum)
        {
            return None;
        }
        let mut inner = UnknownFields::new();
        for (key, value) in entries {
            let &(_, number, is_kind) = spec.fields.iter().find(|(name, _, _)| name == key)?;
            match (value, is_kind) {
                (Value::Str(s), false) => {
                    inner.add_value(number, UnknownValue::LengthDelimited(s.clone().into_bytes()))
                }
                (Value::Ident(word), true) => {
                    let &(_, n) = spec.kinds.iter().find(|(name, _)| name == word)?;
                    inner.add_value(number, UnknownValue::int32(n));
                }
                _ => return None,
            }
        }
        let mut options = MessageOptions::new();
        options
            .special_fields
            .mut_unknown_fields()
            .add_value(EVENT_EXTENSION, UnknownValue::LengthDelimited(inner.write_to_bytes()));
        Some(options)
    }
}

fn enumeration(e: &EnumAst) -> EnumDescriptorProto {
    let mut out = EnumDescriptorProto::new();
    out.set_name(e.name.clone());
    for (name, number) in &e.values {
        let mut v = EnumValueDescriptorProto::new();
        v.set_name(name.clone());
        v.set_number(*number);
        out.value.push(v);
    }
    for &(start, end) in &e.reserved {
        let mut r = EnumReservedRange::new();
        r.set_start(start as i32);
        r.set_end(end as i32);
        out.reserved_range.push(r);
    }
    out.reserved_name = e.reserved_names.clone();
    out
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
