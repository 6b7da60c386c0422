//! Avro schema resolution (reader vs writer), per the "Schema Resolution" section of the Avro
//! specification: can data written with one schema be read with another?
//!
//! [`can_read`] answers for one reader type and one writer type, each in its own loaded
//! [`EventSet`], and lists every way the reader would fail, each with a path, the spans in both
//! schemas and a hint. No issue means compatible.
//!
//! The rules, as the specification states them and the Apache Avro reference checkers (Java
//! `SchemaCompatibility`, Python `avro.compatibility`) apply them:
//! - Primitives: the same type, or a promotion: int→long, int/long→float, int/long/float→double,
//!   string→bytes, bytes→string.
//! - Records, enums and fixed match when their unqualified names are equal (the specification's
//!   "same (unqualified) name", which is also what the reference checkers compare) or when the
//!   reader's aliases hold the writer's full name. Aliases are full names in the model: a relative
//!   alias takes the namespace of its type, as the specification says.
//! - Records: each reader field reads the writer field of the same name, else the writer field named
//!   by one of its aliases; without either it needs a default. Writer fields the reader lacks are
//!   skipped. A reader field that finds two writer fields (one by name, one by alias) is an issue,
//!   as the Java reference refuses it too.
//! - Enums: every writer symbol must be a reader symbol, unless the reader enum has a default.
//! - Fixed: equal sizes. Arrays: items. Maps: values.
//! - Unions: every branch of a writer union must be readable; a reader union reads a writer type
//!   when one of its branches can. The specification picks the first branch that matches; whenever
//!   a reader union holds at most one branch of each name and kind (which Avro requires, up to
//!   namespaces), "some branch can read it" gives the same answer, and it is what the references do.
//! - Recursive and shared named types: each reader/writer pair of named types is checked once;
//!   a pair met again while it is being checked is assumed to match (the coinductive reading the
//!   references use), and results that rest on such an assumption are only kept once the
//!   assumption is confirmed, so that a later question is never answered from a guess that failed.
//! - Logical types do not change what can be read: the underlying types are compared
//!   (timestamp-millis reads a long, a long reads a date's int by promotion), as in the references.
//!
//! **Deliberate difference from the reference checkers: decimals.** The specification says that
//! for schema resolution two decimal schemas match only if their precisions and scales match;
//! the Java and Python checkers ignore logical types and call any change compatible. herald
//! follows the specification and reports [`DECIMAL_CHANGED`] when both sides are decimals with a
//! different precision or scale (a decimal read as plain bytes, or plain bytes read as a decimal,
//! is fine: the specification's rule is about two decimals). The corpus marks those cases with
//! directory names starting `decimal_`.
//!
//! Not copied from the `apache-avro` crate's own checker: it ignores aliases on named types,
//! stops at the first problem, and mishandles a named type defined in one field and referenced by
//! name in another. Here names and aliases are resolved through the model, every problem is
//! reported, and references are looked up by full name wherever they are.
//!
//! Each incompatible pair of named types is reported once, at the first path that reaches it.
//! Paths name the reader's types and fields; `union branch N` counts the branches of the writer's
//! union (the one whose branch N the reader cannot read).

use std::collections::{HashMap, HashSet};

use crate::model::{EventSet, Field, Logical, Scalar, TypeDef, TypeId, TypeKind, TypeRef};
use crate::rules::{self, Rule};
use crate::span::Span;

/// One way a reader cannot read data written with a writer schema.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroIssue {
    /// The registered rule, e.g. [`rules::AVRO_READER_FIELD_MISSING_DEFAULT`].
    pub rule: &'static Rule,
    /// Path to the offending element, e.g. "record acme.Invoice / field amount / union branch 1".
    pub path: String,
    pub message: String,
    /// Where in the reader schema (when the element exists there), and in the writer schema.
    pub reader_span: Option<Span>,
    pub writer_span: Option<Span>,
    /// A one-line hint of the compatible alternative ("add a default", "add an alias", ...).
    pub hint: &'static str,
}

/// The reader's type cannot read the writer's, and no promotion applies.
pub const TYPE_MISMATCH: &Rule = rules::AVRO_TYPE_MISMATCH;
/// Named types (record, enum, fixed) whose names differ, with no reader alias for the writer's name.
pub const NAME_MISMATCH: &Rule = rules::AVRO_NAME_MISMATCH;
/// A reader field the writer does not have, with no default.
pub const READER_FIELD_MISSING_DEFAULT: &Rule = rules::AVRO_READER_FIELD_MISSING_DEFAULT;
/// A reader field that matches two writer fields (one by name, one by alias, or two aliases).
pub const READER_FIELD_AMBIGUOUS: &Rule = rules::AVRO_READER_FIELD_AMBIGUOUS;
/// Writer enum symbols the reader lacks, with no reader enum default.
pub const ENUM_SYMBOL_MISSING: &Rule = rules::AVRO_ENUM_SYMBOL_MISSING;
/// Fixed types of different sizes.
pub const FIXED_SIZE_MISMATCH: &Rule = rules::AVRO_FIXED_SIZE_MISMATCH;
/// A reader union with no branch that can read the writer's type.
pub const UNION_BRANCH_MISSING: &Rule = rules::AVRO_UNION_BRANCH_MISSING;
/// Two decimals with a different precision or scale (the specification's rule; see the module doc).
pub const DECIMAL_CHANGED: &Rule = rules::AVRO_DECIMAL_CHANGED;
/// A type named in the check or in a schema that the model does not define.
pub const TYPE_NOT_FOUND: &Rule = rules::AVRO_TYPE_NOT_FOUND;
/// Schemas nested deeper than herald follows.
pub const CHECK_TOO_DEEP: &Rule = rules::AVRO_CHECK_TOO_DEEP;

/// Every rule ID [`can_read`] reports, with its one-line purpose.
pub use crate::rules::AVRO_RULES as RULES;

/// Deepest nesting (types within types, named or not) that the check follows.
pub const MAX_DEPTH: usize = 400;

/// Can data written with `writer_type` (in `writer`) be read as `reader_type` (in `reader`)?
pub fn can_read(reader: &EventSet, reader_type: &str, writer: &EventSet, writer_type: &str) -> Vec<AvroIssue> {
    can_read_type(
        reader,
        &TypeRef::Named(reader_type.to_owned()),
        writer,
        &TypeRef::Named(writer_type.to_owned()),
    )
}

/// Can data written as `w` (in `writer`) be read as `r` (in `reader`)? For any schema, named or
/// not (a whole `.avsc` file may be `"int"`).
pub fn can_read_type(reader: &EventSet, r: &TypeRef, writer: &EventSet, w: &TypeRef) -> Vec<AvroIssue> {
    let name = |set: &EventSet, t: &TypeRef| match t {
        TypeRef::Named(n) => n.clone(),
        other => describe(set, other, 0),
    };
    let (reader_type, writer_type) = (name(reader, r), name(writer, w));
    let (reader_type, writer_type) = (reader_type.as_str(), writer_type.as_str());
    let (r, w) = (r.clone(), w.clone());
    let mut checker = Checker::new(reader, writer);
    let mut ctx = Ctx::default();
    let mut out = Vec::new();
    checker.report(&r, &w, &mut ctx, &mut out, 0);
    for issue in &mut out {
        if issue.path.is_empty() {
            issue.path = format!("type {reader_type}");
        }
    }
    let top = |rule: &'static Rule, message: String, hint: &'static str| AvroIssue {
        rule,
        path: format!("type {reader_type}"),
        message,
        reader_span: reader.type_named(reader_type).map(|t| t.span),
        writer_span: writer.type_named(writer_type).map(|t| t.span),
        hint,
    };
    if checker.too_deep && !out.iter().any(|i| i.rule == CHECK_TOO_DEEP) {
        // The verdict gave up somewhere the report did not reach again.
        out.push(top(
            CHECK_TOO_DEEP,
            format!("the schemas nest deeper than {MAX_DEPTH} levels; herald could not finish the check"),
            HINT_DEEP,
        ));
    }
    if out.is_empty() && !checker.ok(&r, &w, 0) {
        // Every incompatibility leads to at least one issue; this only guards that promise.
        out.push(top(
            TYPE_MISMATCH,
            format!("`{reader_type}` cannot read data written as `{writer_type}`"),
            HINT_TYPE,
        ));
    }
    out
}

const HINT_TYPE: &str =
    "keep the writer's type, or change it only along a promotion: int→long→float→double, string↔bytes";
const HINT_NAME: &str = "keep the name, or add the writer's full name to the reader type's \"aliases\"";
const HINT_DEFAULT: &str = "add a \"default\" to the reader field, or an alias naming the writer's field";
const HINT_AMBIGUOUS: &str = "remove the alias that names a second writer field";
const HINT_ENUM: &str = "keep every writer symbol, or give the reader enum a \"default\" symbol";
const HINT_FIXED: &str = "keep the size; put values of another size in a new field with a new fixed type";
const HINT_UNION: &str =
    "add a branch for the writer's type to the reader's union (for a renamed type: an alias on its branch)";
const HINT_DECIMAL: &str = "keep precision and scale; write a differently scaled decimal to a new field";
const HINT_UNRESOLVED: &str = "fix the schema so that it loads without errors, then check again";
const HINT_DEEP: &str = "flatten the schema: herald cannot show that it is compatible";

/// A type with logical wrappers removed and names resolved.
#[derive(Clone, Copy)]
enum Shape<'x> {
    Scalar(Scalar),
    Named(TypeId, &'x TypeDef),
    Array(&'x TypeRef),
    Map(&'x TypeRef),
    Union(&'x [TypeRef]),
    Unresolved(&'x str),
}

fn shape<'x>(set: &'x EventSet, t: &'x TypeRef) -> Shape<'x> {
    match t {
        TypeRef::Logical(_, base) => shape(set, base),
        TypeRef::Scalar(s) => Shape::Scalar(*s),
        TypeRef::Named(n) => match set.by_name.get(n).and_then(|id| set.types.get(*id).map(|d| (*id, d))) {
            Some((id, def)) => Shape::Named(id, def),
            None => Shape::Unresolved(n),
        },
        TypeRef::Array(items) => Shape::Array(items),
        TypeRef::Map(_, values) => Shape::Map(values),
        TypeRef::Union(branches) => Shape::Union(branches),
    }
}

/// Precision and scale when `t` is a decimal: a decimal logical type, or a reference to a fixed
/// type defined with one.
fn decimal(set: &EventSet, t: &TypeRef) -> Option<(u32, u32)> {
    match t {
        TypeRef::Logical(Logical::Decimal { precision, scale }, _) => Some((*precision, *scale)),
        TypeRef::Named(n) => {
            let def = set.type_named(n)?;
            if !matches!(def.kind, TypeKind::Fixed { .. }) {
                return None;
            }
            let json = def.avro_json.as_ref()?;
            if json.get("logicalType")?.as_str()? != "decimal" {
                return None;
            }
            let precision = u32::try_from(json.get("precision")?.as_u64()?).ok()?;
            let scale = match json.get("scale") {
                Some(s) => u32::try_from(s.as_u64()?).ok()?,
                None => 0,
            };
            (precision > 0 && scale <= precision).then_some((precision, scale))
        }
        _ => None,
    }
}

/// Whether the writer's primitive can be read as the reader's.
fn promotes(writer: Scalar, reader: Scalar) -> bool {
    use Scalar::*;
    writer == reader
        || matches!(
            (writer, reader),
            (Int32, Int64)
                | (Int32, Float)
                | (Int32, Double)
                | (Int64, Float)
                | (Int64, Double)
                | (Float, Double)
                | (String, Bytes)
                | (Bytes, String)
        )
}

/// The specification's name match: equal unqualified names, or a reader alias for the writer's
/// full name.
fn names_match(reader: &TypeDef, writer: &TypeDef) -> bool {
    reader.name == writer.name || reader.aliases.contains(&writer.full_name)
}

fn same_kind(a: &TypeKind, b: &TypeKind) -> bool {
    matches!(
        (a, b),
        (TypeKind::Message(_), TypeKind::Message(_))
            | (TypeKind::Enum(_), TypeKind::Enum(_))
            | (TypeKind::Fixed { .. }, TypeKind::Fixed { .. })
    )
}

fn kind_word(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Message(_) => "record",
        TypeKind::Enum(_) => "enum",
        TypeKind::Fixed { .. } => "fixed",
    }
}

/// The writer fields a reader field reads: by its name, then by its aliases.
fn writer_fields<'x>(reader_field: &Field, writer_fields: &'x [Field]) -> Vec<&'x Field> {
    let mut found: Vec<&'x Field> = Vec::new();
    let names = std::iter::once(&reader_field.name).chain(reader_field.aliases.iter());
    for name in names {
        if let Some(wf) = writer_fields.iter().find(|wf| wf.name == *name) {
            if !found.iter().any(|f| std::ptr::eq(*f, wf)) {
                found.push(wf);
            }
        }
    }
    found
}

/// A short human description of a type, for messages.
fn describe(set: &EventSet, t: &TypeRef, depth: usize) -> String {
    if depth > 3 {
        return "…".to_owned();
    }
    match t {
        TypeRef::Scalar(s) => s.name(crate::model::Format::Avro).to_owned(),
        TypeRef::Named(n) => match set.type_named(n) {
            Some(def) => format!("{} {n}", kind_word(&def.kind)),
            None => n.clone(),
        },
        TypeRef::Array(items) => format!("array<{}>", describe(set, items, depth + 1)),
        TypeRef::Map(_, values) => format!("map<{}>", describe(set, values, depth + 1)),
        TypeRef::Union(branches) => format!(
            "union [{}]",
            branches
                .iter()
                .map(|b| describe(set, b, depth + 1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeRef::Logical(Logical::Decimal { precision, scale }, base) => {
            format!("decimal({precision},{scale}) {}", describe(set, base, depth + 1))
        }
        TypeRef::Logical(logical, base) => format!("{} {}", logical_name(logical), describe(set, base, depth + 1)),
    }
}

fn logical_name(l: &Logical) -> &'static str {
    match l {
        Logical::Decimal { .. } => "decimal",
        Logical::Uuid => "uuid",
        Logical::Date => "date",
        Logical::TimeMillis => "time-millis",
        Logical::TimeMicros => "time-micros",
        Logical::TimestampMillis => "timestamp-millis",
        Logical::TimestampMicros => "timestamp-micros",
        Logical::TimestampNanos => "timestamp-nanos",
        Logical::LocalTimestampMillis => "local-timestamp-millis",
        Logical::LocalTimestampMicros => "local-timestamp-micros",
        Logical::LocalTimestampNanos => "local-timestamp-nanos",
        Logical::Duration => "duration",
    }
}

/// What is known about a reader/writer pair of named types.
#[derive(Clone, Copy)]
enum Memo {
    /// Being checked, at this depth of the stack of pairs in progress.
    InProgress(usize),
    /// Matches, assuming the pair in progress at this stack depth (and those above it) match.
    Provisional(usize),
    Known(bool),
}

/// Where the report is: the path so far and the closest spans on both sides.
#[derive(Default)]
struct Ctx {
    path: Vec<String>,
    reader_span: Option<Span>,
    writer_span: Option<Span>,
}

impl Ctx {
    fn issue(&self, rule: &'static Rule, message: String, hint: &'static str) -> AvroIssue {
        AvroIssue {
            rule,
            path: self.path.join(" / "),
            message,
            reader_span: self.reader_span,
            writer_span: self.writer_span,
            hint,
        }
    }
}

/// The issues [`Checker::leaf`] builds.
#[derive(Clone, Copy)]
enum Leaf<'x> {
    TooDeep,
    Decimal((u32, u32), (u32, u32)),
    /// A type name, and the side ("reader" or "writer") that lacks it.
    Unresolved(&'x str, &'static str),
    UnionBranchMissing,
    Mismatch,
}

struct Checker<'a> {
    reader: &'a EventSet,
    writer: &'a EventSet,
    memo: HashMap<(TypeId, TypeId), Memo>,
    /// Pairs in progress.
    stack: usize,
    /// Lowest stack depth of a pair in progress that the current computation assumed to match.
    low: usize,
    /// Provisional results, in the order they were made.
    provisional: Vec<(TypeId, TypeId)>,
    /// Named pairs whose issues have been (or are being) reported.
    reported: HashSet<(TypeId, TypeId)>,
    /// The verdict stopped at [`MAX_DEPTH`] somewhere (and so says "cannot read").
    too_deep: bool,
}

impl<'a> Checker<'a> {
    fn new(reader: &'a EventSet, writer: &'a EventSet) -> Checker<'a> {
        Checker {
            reader,
            writer,
            memo: HashMap::new(),
            stack: 0,
            low: usize::MAX,
            provisional: Vec::new(),
            reported: HashSet::new(),
            too_deep: false,
        }
    }

    /// The verdict alone: can `r` read what `w` writes?
    fn ok(&mut self, r: &TypeRef, w: &TypeRef, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return false;
        }
        let (reader, writer) = (self.reader, self.writer);
        if let (Some(a), Some(b)) = (decimal(reader, r), decimal(writer, w)) {
            if a != b {
                return false;
            }
        }
        match (shape(reader, r), shape(writer, w)) {
            (Shape::Unresolved(_), _) | (_, Shape::Unresolved(_)) => false,
            (_, Shape::Union(branches)) => branches.iter().all(|b| self.ok(r, b, depth + 1)),
            (Shape::Union(branches), _) => branches.iter().any(|b| self.ok(b, w, depth + 1)),
            (Shape::Scalar(rs), Shape::Scalar(ws)) => promotes(ws, rs),
            (Shape::Array(ri), Shape::Array(wi)) => self.ok(ri, wi, depth + 1),
            (Shape::Map(rv), Shape::Map(wv)) => self.ok(rv, wv, depth + 1),
            (Shape::Named(rid, rd), Shape::Named(wid, wd)) => {
                same_kind(&rd.kind, &wd.kind) && self.named_ok((rid, rd), (wid, wd), depth)
            }
            _ => false,
        }
    }

    /// The verdict for a pair of named types of the same kind, memoized.
    fn named_ok(&mut self, (rid, rd): (TypeId, &TypeDef), (wid, wd): (TypeId, &TypeDef), depth: usize) -> bool {
        let key = (rid, wid);
        match self.memo.get(&key) {
            Some(Memo::Known(verdict)) => return *verdict,
            Some(Memo::InProgress(at)) | Some(Memo::Provisional(at)) => {
                self.low = self.low.min(*at);
                return true;
            }
            None => {}
        }
        let at = self.stack;
        self.stack += 1;
        self.memo.insert(key, Memo::InProgress(at));
        let outer_low = std::mem::replace(&mut self.low, usize::MAX);
        let log_start = self.provisional.len();

        let verdict = self.named_body(rd, wd, depth);

        let low = self.low;
        self.stack -= 1;
        if !verdict {
            // Definitive (assumptions only ever made things match), but whatever matched on the
            // assumption that this pair does is void.
            for k in self.provisional.drain(log_start..) {
                self.memo.remove(&k);
            }
            self.memo.insert(key, Memo::Known(false));
            self.low = outer_low;
        } else if low >= at {
            // Nothing outside this pair was assumed: it and everything provisional under it hold.
            for k in self.provisional.drain(log_start..) {
                self.memo.insert(k, Memo::Known(true));
            }
            self.memo.insert(key, Memo::Known(true));
            self.low = outer_low;
        } else {
            // Rests on a pair further up; so does everything provisional under it.
            for k in &self.provisional[log_start..] {
                self.memo.insert(*k, Memo::Provisional(low));
            }
            self.memo.insert(key, Memo::Provisional(low));
            self.provisional.push(key);
            self.low = outer_low.min(low);
        }
        verdict
    }

    fn named_body(&mut self, rd: &TypeDef, wd: &TypeDef, depth: usize) -> bool {
        if !names_match(rd, wd) {
            return false;
        }
        match (&rd.kind, &wd.kind) {
            (TypeKind::Message(rm), TypeKind::Message(wm)) => {
                rm.fields
                    .iter()
                    .all(|rf| match writer_fields(rf, &wm.fields).as_slice() {
                        [] => rf.default.is_some(),
                        [wf] => self.ok(&rf.ty, &wf.ty, depth + 1),
                        _ => false,
                    })
            }
            (TypeKind::Enum(re), TypeKind::Enum(we)) => {
                re.default.is_some() || we.values.iter().all(|w| re.values.iter().any(|r| r.name == w.name))
            }
            (TypeKind::Fixed { size: rs }, TypeKind::Fixed { size: ws }) => rs == ws,
            _ => false,
        }
    }

    /// Reports every reason why `r` cannot read `w`, if any. Recursive: the messages are built in
    /// separate functions so that each level of nesting costs little stack.
    fn report(&mut self, r: &TypeRef, w: &TypeRef, ctx: &mut Ctx, out: &mut Vec<AvroIssue>, depth: usize) {
        let (reader, writer) = (self.reader, self.writer);
        if depth > MAX_DEPTH {
            self.leaf(Leaf::TooDeep, r, w, ctx, out);
            return;
        }
        if self.ok(r, w, depth) {
            return;
        }
        if let (Some(a), Some(b)) = (decimal(reader, r), decimal(writer, w)) {
            if a != b {
                self.leaf(Leaf::Decimal(a, b), r, w, ctx, out);
            }
        }
        match (shape(reader, r), shape(writer, w)) {
            (Shape::Unresolved(n), _) => self.leaf(Leaf::Unresolved(n, "reader"), r, w, ctx, out),
            (_, Shape::Unresolved(n)) => self.leaf(Leaf::Unresolved(n, "writer"), r, w, ctx, out),
            (_, Shape::Union(branches)) => {
                for (i, b) in branches.iter().enumerate() {
                    if !self.ok(r, b, depth + 1) {
                        ctx.path.push(format!("union branch {i}"));
                        self.report(r, b, ctx, out, depth + 1);
                        ctx.path.pop();
                    }
                }
            }
            (Shape::Union(branches), ws) => {
                // A branch of the writer's kind (and name) explains the failure, or was reported
                // where its pair of named types was first met; otherwise no branch fits at all.
                match self.candidate(branches, ws) {
                    Some(candidate) => self.report(candidate, w, ctx, out, depth + 1),
                    None => self.leaf(Leaf::UnionBranchMissing, r, w, ctx, out),
                }
            }
            (Shape::Scalar(rs), Shape::Scalar(ws)) => {
                if !promotes(ws, rs) {
                    self.leaf(Leaf::Mismatch, r, w, ctx, out);
                }
            }
            (Shape::Array(ri), Shape::Array(wi)) => {
                ctx.path.push("items".to_owned());
                self.report(ri, wi, ctx, out, depth + 1);
                ctx.path.pop();
            }
            (Shape::Map(rv), Shape::Map(wv)) => {
                ctx.path.push("values".to_owned());
                self.report(rv, wv, ctx, out, depth + 1);
                ctx.path.pop();
            }
            (Shape::Named(rid, rd), Shape::Named(wid, wd)) if same_kind(&rd.kind, &wd.kind) => {
                self.report_named((rid, rd), (wid, wd), ctx, out, depth);
            }
            _ => self.leaf(Leaf::Mismatch, r, w, ctx, out),
        }
    }

    /// An issue about `r` and `w` themselves, not about what they contain.
    #[inline(never)]
    fn leaf(&self, leaf: Leaf<'_>, r: &TypeRef, w: &TypeRef, ctx: &Ctx, out: &mut Vec<AvroIssue>) {
        let (reader, writer) = (self.reader, self.writer);
        let (rule, message, hint) = match leaf {
            Leaf::TooDeep => (
                CHECK_TOO_DEEP,
                format!("the schemas nest deeper than {MAX_DEPTH} levels here; herald stops checking"),
                HINT_DEEP,
            ),
            Leaf::Decimal(a, b) => (
                DECIMAL_CHANGED,
                format!(
                    "the reader's decimal({},{}) does not match the writer's decimal({},{}): the Avro \
                     specification requires equal precision and scale",
                    a.0, a.1, b.0, b.1
                ),
                HINT_DECIMAL,
            ),
            Leaf::Unresolved(name, side) => (
                TYPE_NOT_FOUND,
                format!("type `{name}` is not defined in the {side}'s schemas"),
                HINT_UNRESOLVED,
            ),
            Leaf::UnionBranchMissing => (
                UNION_BRANCH_MISSING,
                format!(
                    "no branch of the reader's {} can read the writer's {}",
                    describe(reader, r, 0),
                    describe(writer, w, 0)
                ),
                HINT_UNION,
            ),
            Leaf::Mismatch => (
                TYPE_MISMATCH,
                format!(
                    "the reader's {} cannot read the writer's {}",
                    describe(reader, r, 0),
                    describe(writer, w, 0)
                ),
                HINT_TYPE,
            ),
        };
        out.push(ctx.issue(rule, message, hint));
    }

    /// The reader union branch that explains why none can read the writer's type: the one of the
    /// writer's kind (and name, for named types) that fails on what it contains. A branch of another
    /// name is not taken for a rename: the union may simply lack the writer's type.
    fn candidate<'x>(&self, branches: &'x [TypeRef], writer: Shape<'_>) -> Option<&'x TypeRef> {
        let reader = self.reader;
        branches.iter().find(|b| match (shape(reader, b), writer) {
            (Shape::Scalar(rs), Shape::Scalar(ws)) => promotes(ws, rs),
            (Shape::Array(_), Shape::Array(_)) | (Shape::Map(_), Shape::Map(_)) => true,
            (Shape::Named(_, rd), Shape::Named(_, wd)) => same_kind(&rd.kind, &wd.kind) && names_match(rd, wd),
            _ => false,
        })
    }

    fn report_named(
        &mut self,
        (rid, rd): (TypeId, &TypeDef),
        (wid, wd): (TypeId, &TypeDef),
        ctx: &mut Ctx,
        out: &mut Vec<AvroIssue>,
        depth: usize,
    ) {
        if !self.reported.insert((rid, wid)) || self.named_ok((rid, rd), (wid, wd), depth) {
            return;
        }
        ctx.path.push(format!("{} {}", kind_word(&rd.kind), rd.full_name));
        let spans = (ctx.reader_span, ctx.writer_span);
        ctx.reader_span = Some(rd.span);
        ctx.writer_span = Some(wd.span);
        named_issues(rd, wd, ctx, out);
        if let (TypeKind::Message(rm), TypeKind::Message(wm)) = (&rd.kind, &wd.kind) {
            for rf in &rm.fields {
                ctx.path.push(format!("field {}", rf.name));
                match writer_fields(rf, &wm.fields).as_slice() {
                    [wf] => {
                        let spans = (ctx.reader_span, ctx.writer_span);
                        ctx.reader_span = Some(rf.type_span);
                        ctx.writer_span = Some(wf.type_span);
                        self.report(&rf.ty, &wf.ty, ctx, out, depth + 1);
                        ctx.reader_span = spans.0;
                        ctx.writer_span = spans.1;
                    }
                    found => field_issues(rf, found, wd, ctx, out),
                }
                ctx.path.pop();
            }
        }
        ctx.reader_span = spans.0;
        ctx.writer_span = spans.1;
        ctx.path.pop();
    }
}

/// Issues of a pair of named types that are about the types themselves: names, symbols, sizes.
#[inline(never)]
fn named_issues(rd: &TypeDef, wd: &TypeDef, ctx: &Ctx, out: &mut Vec<AvroIssue>) {
    if !names_match(rd, wd) {
        out.push(ctx.issue(
            NAME_MISMATCH,
            format!(
                "the reader's {} `{}` cannot read the writer's `{}`: the names differ and the reader has no \
                 alias `{}`",
                kind_word(&rd.kind),
                rd.full_name,
                wd.full_name,
                wd.full_name
            ),
            HINT_NAME,
        ));
    }
    match (&rd.kind, &wd.kind) {
        (TypeKind::Enum(re), TypeKind::Enum(we)) => {
            let missing: Vec<_> = we
                .values
                .iter()
                .filter(|w| !re.values.iter().any(|r| r.name == w.name))
                .collect();
            if let (Some(first), None) = (missing.first(), &re.default) {
                let names: Vec<String> = missing.iter().map(|v| format!("`{}`", v.name)).collect();
                let mut issue = ctx.issue(
                    ENUM_SYMBOL_MISSING,
                    format!(
                        "the writer's symbol{} {} of `{}` {} not in the reader's `{}`, which has no default symbol",
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", "),
                        wd.full_name,
                        if names.len() == 1 { "is" } else { "are" },
                        rd.full_name
                    ),
                    HINT_ENUM,
                );
                issue.writer_span = Some(first.span);
                out.push(issue);
            }
        }
        (TypeKind::Fixed { size: rs }, TypeKind::Fixed { size: ws }) if rs != ws => {
            out.push(ctx.issue(
                FIXED_SIZE_MISMATCH,
                format!(
                    "fixed `{}` holds {rs} bytes in the reader but the writer's `{}` holds {ws}",
                    rd.full_name, wd.full_name
                ),
                HINT_FIXED,
            ));
        }
        _ => {}
    }
}

/// Issues of a reader field that finds no writer field, or more than one.
#[inline(never)]
fn field_issues(rf: &Field, found: &[&Field], wd: &TypeDef, ctx: &Ctx, out: &mut Vec<AvroIssue>) {
    let mut issue = match found {
        [] if rf.default.is_some() => return,
        [] => ctx.issue(
            READER_FIELD_MISSING_DEFAULT,
            format!(
                "reader field `{}` has no default, and the writer's `{}` has no field `{}`{}",
                rf.name,
                wd.full_name,
                rf.name,
                if rf.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" (nor {})", rf.aliases.join(", "))
                }
            ),
            HINT_DEFAULT,
        ),
        [_] => return,
        many => {
            let names: Vec<String> = many.iter().map(|f| format!("`{}`", f.name)).collect();
            ctx.issue(
                READER_FIELD_AMBIGUOUS,
                format!(
                    "reader field `{}` matches writer fields {} through its name and aliases",
                    rf.name,
                    names.join(" and ")
                ),
                HINT_AMBIGUOUS,
            )
        }
    };
    issue.reader_span = Some(rf.span);
    issue.writer_span = match found {
        [_, second, ..] => Some(second.span),
        _ => Some(wd.span),
    };
    out.push(issue);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    use crate::diagnostic::Severity;

    /// Full name of the top-level type of an .avsc text: the object, or the last of an array.
    fn top_name(text: &str) -> String {
        let json: serde_json::Value = serde_json::from_str(text).expect("schema JSON");
        let top = match &json {
            serde_json::Value::Array(items) => items.last().expect("non-empty schema list"),
            other => other,
        };
        let name = top["name"].as_str().expect("top-level name");
        match top.get("namespace").and_then(|n| n.as_str()) {
            Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
            _ => name.to_owned(),
        }
    }

    fn load_file(path: &Path) -> EventSet {
        let loaded = crate::load::load(path).unwrap_or_else(|e| panic!("{}: {:?}", path.display(), e.diagnostics));
        let errors: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}: {}", d.rule, d.message))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        loaded.set
    }

    fn load_text(dir: &Path, file: &str, text: &str) -> EventSet {
        let path = dir.join(file);
        std::fs::write(&path, text).expect("write schema");
        load_file(&path)
    }

    /// Issues for reading `writer` data with `reader` (both .avsc texts).
    fn check(reader: &str, writer: &str) -> Vec<AvroIssue> {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = load_text(dir.path(), "reader.avsc", reader);
        let w = load_text(dir.path(), "writer.avsc", writer);
        let issues = can_read(&r, &top_name(reader), &w, &top_name(writer));
        for issue in &issues {
            assert!(!issue.path.is_empty(), "{issue:?}");
            assert!(!issue.hint.is_empty(), "{issue:?}");
            assert!(RULES.contains(&issue.rule), "{issue:?}");
        }
        issues
    }

    /// A record `acme.E` with the given fields (JSON text of the array's elements).
    fn record(fields: &str) -> String {
        format!(r#"{{"type": "record", "name": "E", "namespace": "acme", "fields": [{fields}]}}"#)
    }

    /// A record `acme.E` with one field `v` of the given type.
    fn field_of(ty: &str) -> String {
        record(&format!(r#"{{"name": "v", "type": {ty}}}"#))
    }

    fn rules(issues: &[AvroIssue]) -> Vec<&'static Rule> {
        issues.iter().map(|i| i.rule).collect()
    }

    #[test]
    fn primitive_promotions() {
        let all = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
        let allowed = [
            ("int", "long"),
            ("int", "float"),
            ("int", "double"),
            ("long", "float"),
            ("long", "double"),
            ("float", "double"),
            ("string", "bytes"),
            ("bytes", "string"),
        ];
        let dir = tempfile::tempdir().expect("tempdir");
        let sets: Vec<EventSet> = all
            .iter()
            .map(|p| load_text(dir.path(), &format!("{p}.avsc"), &field_of(&format!("\"{p}\""))))
            .collect();
        for (wi, w) in all.iter().enumerate() {
            for (ri, r) in all.iter().enumerate() {
                let issues = can_read(&sets[ri], "acme.E", &sets[wi], "acme.E");
                let expect_ok = w == r || allowed.contains(&(*w, *r));
                assert_eq!(issues.is_empty(), expect_ok, "writer {w}, reader {r}: {issues:?}");
                if !expect_ok {
                    assert_eq!(rules(&issues), [TYPE_MISMATCH]);
                    assert_eq!(issues[0].path, "record acme.E / field v");
                    let text =
                        |set: &EventSet, span: Option<Span>| set.sources_map.text(span.expect("span")).to_owned();
                    assert_eq!(text(&sets[ri], issues[0].reader_span), format!("\"{r}\""));
                    assert_eq!(text(&sets[wi], issues[0].writer_span), format!("\"{w}\""));
                }
            }
        }
    }

    #[test]
    fn reader_field_needs_a_default() {
        let writer = record(r#"{"name": "id", "type": "string"}"#);
        let ok = record(r#"{"name": "id", "type": "string"}, {"name": "note", "type": "string", "default": ""}"#);
        assert_eq!(check(&ok, &writer), []);
        let null_default = record(
            r#"{"name": "id", "type": "string"}, {"name": "note", "type": ["null", "string"], "default": null}"#,
        );
        assert_eq!(check(&null_default, &writer), []);

        let bad = record(r#"{"name": "id", "type": "string"}, {"name": "note", "type": "string"}"#);
        let dir = tempfile::tempdir().expect("tempdir");
        let r = load_text(dir.path(), "r.avsc", &bad);
        let w = load_text(dir.path(), "w.avsc", &writer);
        let issues = can_read(&r, "acme.E", &w, "acme.E");
        assert_eq!(rules(&issues), [READER_FIELD_MISSING_DEFAULT]);
        assert_eq!(issues[0].path, "record acme.E / field note");
        assert_eq!(
            r.sources_map.text(issues[0].reader_span.expect("reader span")),
            "\"note\""
        );
        assert_eq!(w.sources_map.text(issues[0].writer_span.expect("writer span")), "\"E\"");

        // Writer fields the reader does not have are skipped.
        assert_eq!(check(&writer, &ok), []);
        // Field order does not matter.
        let two = record(r#"{"name": "a", "type": "int"}, {"name": "b", "type": "string"}"#);
        let swapped = record(r#"{"name": "b", "type": "string"}, {"name": "a", "type": "int"}"#);
        assert_eq!(check(&swapped, &two), []);
    }

    #[test]
    fn field_aliases() {
        let writer = record(r#"{"name": "amount", "type": "int"}"#);
        let renamed = record(r#"{"name": "total", "type": "long", "aliases": ["amount"]}"#);
        assert_eq!(check(&renamed, &writer), []);
        let without = record(r#"{"name": "total", "type": "long"}"#);
        assert_eq!(rules(&check(&without, &writer)), [READER_FIELD_MISSING_DEFAULT]);
        let wrong_type = record(r#"{"name": "total", "type": "string", "aliases": ["amount"]}"#);
        let issues = check(&wrong_type, &writer);
        assert_eq!(rules(&issues), [TYPE_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.E / field total");
        // Aliases in the writer do not help the reader.
        let writer_alias = record(r#"{"name": "amount", "type": "int", "aliases": ["total"]}"#);
        assert_eq!(rules(&check(&without, &writer_alias)), [READER_FIELD_MISSING_DEFAULT]);
        // A reader field that finds two writer fields.
        let two = record(r#"{"name": "amount", "type": "int"}, {"name": "total", "type": "int"}"#);
        let ambiguous = record(r#"{"name": "total", "type": "int", "aliases": ["amount"]}"#);
        let issues = check(&ambiguous, &two);
        assert_eq!(rules(&issues), [READER_FIELD_AMBIGUOUS]);
        assert!(
            issues[0].message.contains("`total` and `amount`"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn record_names_and_aliases() {
        let fields = r#"[{"name": "a", "type": "int"}]"#;
        let rec =
            |name: &str, extra: &str| format!(r#"{{"type": "record", "name": "{name}", {extra} "fields": {fields}}}"#);
        let writer = rec("Old", r#""namespace": "acme","#);
        assert_eq!(check(&rec("Old", r#""namespace": "acme","#), &writer), []);
        let issues = check(&rec("New", r#""namespace": "acme","#), &writer);
        assert_eq!(rules(&issues), [NAME_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.New");
        assert!(issues[0].message.contains("acme.Old"));
        // Aliases, full or relative to the type's namespace.
        assert_eq!(
            check(&rec("New", r#""namespace": "acme", "aliases": ["acme.Old"],"#), &writer),
            []
        );
        assert_eq!(
            check(&rec("New", r#""namespace": "acme", "aliases": ["Old"],"#), &writer),
            []
        );
        // An alias in another namespace names another type.
        assert_eq!(
            rules(&check(
                &rec("New", r#""namespace": "acme", "aliases": ["other.Old"],"#),
                &writer
            )),
            [NAME_MISMATCH]
        );
        // Only the unqualified name has to match (the specification and the references).
        assert_eq!(check(&rec("Old", r#""namespace": "acme.v2","#), &writer), []);
        assert_eq!(check(&rec("Old", ""), &writer), []);
        // Aliases only count in the reader.
        let writer_alias = rec("Old", r#""namespace": "acme", "aliases": ["acme.New"],"#);
        assert_eq!(
            rules(&check(&rec("New", r#""namespace": "acme","#), &writer_alias)),
            [NAME_MISMATCH]
        );
    }

    #[test]
    fn nested_named_type_renamed() {
        let nested = |name: &str, aliases: &str| {
            field_of(&format!(
                r#"{{"type": "record", "name": "{name}", {aliases} "fields": [{{"name": "x", "type": "int"}}]}}"#
            ))
        };
        let writer = nested("Inner", "");
        let issues = check(&nested("Renamed", ""), &writer);
        assert_eq!(rules(&issues), [NAME_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.E / field v / record acme.Renamed");
        assert_eq!(check(&nested("Renamed", r#""aliases": ["Inner"],"#), &writer), []);
    }

    #[test]
    fn enums() {
        let e = |symbols: &str, extra: &str| {
            field_of(&format!(
                r#"{{"type": "enum", "name": "S", "symbols": [{symbols}] {extra}}}"#
            ))
        };
        let writer = e(r#""A", "B", "C""#, "");
        assert_eq!(check(&e(r#""C", "B", "A", "D""#, ""), &writer), []);
        let dir = tempfile::tempdir().expect("tempdir");
        let r = load_text(dir.path(), "r.avsc", &e(r#""A", "C""#, ""));
        let w = load_text(dir.path(), "w.avsc", &writer);
        let issues = can_read(&r, "acme.E", &w, "acme.E");
        assert_eq!(rules(&issues), [ENUM_SYMBOL_MISSING]);
        assert_eq!(issues[0].path, "record acme.E / field v / enum acme.S");
        assert_eq!(w.sources_map.text(issues[0].writer_span.expect("writer span")), "\"B\"");
        assert_eq!(r.sources_map.text(issues[0].reader_span.expect("reader span")), "\"S\"");
        // A reader default takes unknown symbols.
        assert_eq!(check(&e(r#""A", "C""#, r#", "default": "A""#), &writer), []);
        // Names as for records.
        let renamed = field_of(r#"{"type": "enum", "name": "T", "symbols": ["A", "B", "C"]}"#);
        assert_eq!(rules(&check(&renamed, &writer)), [NAME_MISMATCH]);
        let aliased = field_of(r#"{"type": "enum", "name": "T", "aliases": ["acme.S"], "symbols": ["A", "B", "C"]}"#);
        assert_eq!(check(&aliased, &writer), []);
        // No promotion between enums and strings.
        assert_eq!(rules(&check(&field_of("\"string\""), &writer)), [TYPE_MISMATCH]);
        assert_eq!(rules(&check(&writer, &field_of("\"string\""))), [TYPE_MISMATCH]);
    }

    #[test]
    fn fixed() {
        let f = |name: &str, size: u32| field_of(&format!(r#"{{"type": "fixed", "name": "{name}", "size": {size}}}"#));
        assert_eq!(check(&f("H", 16), &f("H", 16)), []);
        let issues = check(&f("H", 32), &f("H", 16));
        assert_eq!(rules(&issues), [FIXED_SIZE_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.E / field v / fixed acme.H");
        assert_eq!(rules(&check(&f("G", 16), &f("H", 16))), [NAME_MISMATCH]);
        assert_eq!(
            rules(&check(&f("G", 8), &f("H", 16))),
            [NAME_MISMATCH, FIXED_SIZE_MISMATCH]
        );
        assert_eq!(rules(&check(&field_of("\"bytes\""), &f("H", 16))), [TYPE_MISMATCH]);
    }

    #[test]
    fn arrays_and_maps() {
        let arr = |t: &str| format!(r#"{{"type": "array", "items": {t}}}"#);
        let map = |t: &str| format!(r#"{{"type": "map", "values": {t}}}"#);
        assert_eq!(check(&field_of(&arr("\"long\"")), &field_of(&arr("\"int\""))), []);
        let issues = check(&field_of(&arr("\"int\"")), &field_of(&arr("\"long\"")));
        assert_eq!(rules(&issues), [TYPE_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.E / field v / items");
        let issues = check(&field_of(&map(&arr("\"int\""))), &field_of(&map(&arr("\"string\""))));
        assert_eq!(issues[0].path, "record acme.E / field v / values / items");
        assert_eq!(
            rules(&check(&field_of(&map("\"int\"")), &field_of(&arr("\"int\"")))),
            [TYPE_MISMATCH]
        );
        let issues = check(&field_of(&arr(&map("\"int\""))), &field_of(&arr(&map("\"long\""))));
        assert_eq!(issues[0].path, "record acme.E / field v / items / values");
        assert!(issues[0].message.contains("int") && issues[0].message.contains("long"));
    }

    #[test]
    fn unions() {
        // Writer union: every branch must be readable.
        let issues = check(
            &field_of(r#"["null", "string"]"#),
            &field_of(r#"["null", "string", "int"]"#),
        );
        assert_eq!(rules(&issues), [UNION_BRANCH_MISSING]);
        assert_eq!(issues[0].path, "record acme.E / field v / union branch 2");
        assert_eq!(
            check(
                &field_of(r#"["null", "string", "int"]"#),
                &field_of(r#"["null", "string"]"#)
            ),
            []
        );
        assert_eq!(
            check(&field_of(r#"["string", "null"]"#), &field_of(r#"["null", "string"]"#)),
            []
        );
        assert_eq!(
            check(
                &field_of(r#"["null", "double"]"#),
                &field_of(r#"["int", "long", "null"]"#)
            ),
            []
        );
        // Writer union, reader single type.
        let issues = check(&field_of("\"string\""), &field_of(r#"["null", "string"]"#));
        assert_eq!(rules(&issues), [TYPE_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.E / field v / union branch 0");
        assert_eq!(check(&field_of("\"long\""), &field_of(r#"["int", "long"]"#)), []);
        // Reader union, writer single type.
        assert_eq!(check(&field_of(r#"["null", "long"]"#), &field_of("\"int\"")), []);
        let issues = check(&field_of(r#"["null", "string"]"#), &field_of("\"int\""));
        assert_eq!(rules(&issues), [UNION_BRANCH_MISSING]);
        assert_eq!(issues[0].path, "record acme.E / field v");
        // Unions inside arrays and maps.
        let issues = check(
            &field_of(r#"{"type": "map", "values": ["null", "int"]}"#),
            &field_of(r#"{"type": "map", "values": ["null", "int", "string"]}"#),
        );
        assert_eq!(issues[0].path, "record acme.E / field v / values / union branch 2");
    }

    #[test]
    fn union_branch_of_the_same_name_explains_the_failure() {
        let card = |extra: &str| {
            format!(
                r#"["null", {{"type": "record", "name": "Card", "fields": [{{"name": "number", "type": "string"}}{extra}]}}]"#
            )
        };
        let issues = check(
            &field_of(&card(r#", {"name": "cvc", "type": "string"}"#)),
            &field_of(&card("")),
        );
        assert_eq!(rules(&issues), [READER_FIELD_MISSING_DEFAULT]);
        assert_eq!(
            issues[0].path,
            "record acme.E / field v / union branch 1 / record acme.Card / field cvc"
        );
        // A branch of another name: the union lacks the writer's type (renamed or not).
        let renamed = field_of(
            r#"["null", {"type": "record", "name": "Payment", "fields": [{"name": "number", "type": "string"}]}]"#,
        );
        let issues = check(&renamed, &field_of(&card("")));
        assert_eq!(rules(&issues), [UNION_BRANCH_MISSING]);
        assert_eq!(issues[0].path, "record acme.E / field v / union branch 1");
        assert!(issues[0].message.contains("record acme.Card"), "{}", issues[0].message);
        let aliased = field_of(
            r#"["null", {"type": "record", "name": "Payment", "aliases": ["Card"],
                "fields": [{"name": "number", "type": "string"}]}]"#,
        );
        assert_eq!(check(&aliased, &field_of(&card(""))), []);
        // A decimal branch whose scale changed.
        let dec = |scale: u32| {
            field_of(&format!(
                r#"["null", {{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": {scale}}}]"#
            ))
        };
        let issues = check(&dec(4), &dec(2));
        assert_eq!(rules(&issues), [DECIMAL_CHANGED]);
        assert_eq!(issues[0].path, "record acme.E / field v / union branch 1");
    }

    #[test]
    fn recursive_types() {
        let list = |value: &str, extra: &str| {
            format!(
                r#"{{"type": "record", "name": "Node", "namespace": "acme", "fields": [
                    {{"name": "value", "type": "{value}"}}{extra},
                    {{"name": "next", "type": ["null", "Node"], "default": null}}]}}"#
            )
        };
        assert_eq!(check(&list("long", ""), &list("int", "")), []);
        let issues = check(&list("int", ""), &list("long", ""));
        assert_eq!(rules(&issues), [TYPE_MISMATCH]);
        assert_eq!(issues[0].path, "record acme.Node / field value");
        let issues = check(
            &list("int", r#", {"name": "label", "type": "string"}"#),
            &list("int", ""),
        );
        assert_eq!(rules(&issues), [READER_FIELD_MISSING_DEFAULT]);

        // Mutual recursion through a second type.
        let tree = |extra: &str| {
            format!(
                r#"{{"type": "record", "name": "Tree", "namespace": "acme", "fields": [
                    {{"name": "children", "type": {{"type": "array", "items": {{"type": "record", "name": "Branch",
                        "fields": [{{"name": "w", "type": "int"}}{extra}, {{"name": "tree", "type": "Tree"}}]}}}}}}]}}"#
            )
        };
        assert_eq!(
            check(
                &tree(r#", {"name": "tag", "type": "string", "default": ""}"#),
                &tree("")
            ),
            []
        );
        let issues = check(&tree(r#", {"name": "tag", "type": "string"}"#), &tree(""));
        assert_eq!(rules(&issues), [READER_FIELD_MISSING_DEFAULT]);
        assert_eq!(
            issues[0].path,
            "record acme.Tree / field children / items / record acme.Branch / field tag"
        );
    }

    /// Every record refers to every other: exponential without memoization.
    #[test]
    fn densely_recursive_types_are_checked_quickly() {
        let n = 12;
        let schema = |extra: &str| {
            let defs: Vec<String> = (0..n)
                .map(|i| {
                    let mut fields = vec![format!(r#"{{"name": "id", "type": "int"}}"#)];
                    for j in 0..n {
                        fields.push(format!(
                            r#"{{"name": "r{j}", "type": ["null", "R{j}"], "default": null}}"#
                        ));
                    }
                    if i == n - 1 {
                        fields.push(extra.to_owned());
                    }
                    format!(
                        r#"{{"type": "record", "name": "R{i}", "namespace": "acme", "fields": [{}]}}"#,
                        fields.join(", ")
                    )
                })
                .collect();
            // R0 last: the top-level type.
            let mut defs = defs;
            defs.reverse();
            format!("[{}]", defs.join(", "))
        };
        let start = std::time::Instant::now();
        let ok = schema(r#"{"name": "x", "type": "long", "default": 0}"#);
        assert_eq!(check(&ok, &schema(r#"{"name": "x", "type": "int"}"#)), []);
        let issues = check(
            &schema(r#"{"name": "x", "type": "int"}"#),
            &schema(r#"{"name": "x", "type": "long"}"#),
        );
        assert_eq!(rules(&issues), [TYPE_MISMATCH], "one problem, reported once");
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }

    #[test]
    fn a_failed_assumption_is_not_reused() {
        // B is compatible only if A is; A is not (field y). A union trial reaches B first through
        // A's field; later B is asked again on its own and must not answer from the void guess.
        let schema = |y: &str| {
            format!(
                r#"{{"type": "record", "name": "Top", "namespace": "acme", "fields": [
                    {{"name": "a", "type": {{"type": "record", "name": "A", "fields": [
                        {{"name": "b", "type": {{"type": "record", "name": "B", "fields": [
                            {{"name": "back", "type": ["null", "A"], "default": null}}]}}}},
                        {{"name": "y", "type": "{y}"}}]}}}},
                    {{"name": "b2", "type": ["null", "B"], "default": null}}]}}"#
            )
        };
        let issues = check(&schema("int"), &schema("string"));
        assert!(!issues.is_empty());
        assert!(
            issues
                .iter()
                .any(|i| i.rule == TYPE_MISMATCH && i.path.ends_with("field y")),
            "{issues:?}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let r = load_text(dir.path(), "r.avsc", &schema("int"));
        let w = load_text(dir.path(), "w.avsc", &schema("string"));
        // B alone cannot read B either: its `back` branch leads to the incompatible A.
        assert!(!can_read(&r, "acme.B", &w, "acme.B").is_empty());
        let mut checker = Checker::new(&r, &w);
        let a = TypeRef::Named("acme.A".into());
        let b = TypeRef::Named("acme.B".into());
        assert!(!checker.ok(&a, &a, 0));
        assert!(!checker.ok(&b, &b, 0));
        assert!(checker.provisional.is_empty());
        assert!(checker.memo.values().all(|m| matches!(m, Memo::Known(_))));
    }

    #[test]
    fn named_type_defined_in_one_field_and_referenced_in_another() {
        let address = |extra: &str| {
            format!(
                r#"{{"type": "record", "name": "Address", "fields": [{{"name": "street", "type": "string"}}{extra}]}}"#
            )
        };
        let reader = record(&format!(
            r#"{{"name": "billing", "type": {}}}, {{"name": "shipping", "type": "Address"}}"#,
            address(r#", {"name": "zip", "type": "string", "default": ""}"#)
        ));
        let writer = record(&format!(
            r#"{{"name": "shipping", "type": {}}}, {{"name": "billing", "type": "Address"}}"#,
            address("")
        ));
        assert_eq!(check(&reader, &writer), []);
        let bad = record(&format!(
            r#"{{"name": "billing", "type": {}}}, {{"name": "shipping", "type": "Address"}}"#,
            address(r#", {"name": "zip", "type": "string"}"#)
        ));
        let issues = check(&bad, &writer);
        // One problem in one type: reported once, at the first field that reaches it.
        assert_eq!(rules(&issues), [READER_FIELD_MISSING_DEFAULT]);
        assert_eq!(
            issues[0].path,
            "record acme.E / field billing / record acme.Address / field zip"
        );
        // The reference alone (the writer's definition sits in a field the reader dropped).
        let only_ref = record(&format!(
            r#"{{"name": "billing", "type": {}}}"#,
            address(r#", {"name": "zip", "type": "string", "default": ""}"#)
        ));
        assert_eq!(check(&only_ref, &writer), []);
    }

    #[test]
    fn every_problem_is_reported() {
        let writer = record(
            r#"{"name": "a", "type": "long"}, {"name": "b", "type": "string"},
               {"name": "c", "type": {"type": "enum", "name": "S", "symbols": ["X", "Y"]}},
               {"name": "d", "type": {"type": "fixed", "name": "F", "size": 4}}"#,
        );
        let reader = record(
            r#"{"name": "a", "type": "int"}, {"name": "b", "type": "string"}, {"name": "n", "type": "int"},
               {"name": "c", "type": {"type": "enum", "name": "S", "symbols": ["X"]}},
               {"name": "d", "type": {"type": "fixed", "name": "F", "size": 8}}"#,
        );
        let issues = check(&reader, &writer);
        assert_eq!(
            rules(&issues),
            [
                TYPE_MISMATCH,
                READER_FIELD_MISSING_DEFAULT,
                ENUM_SYMBOL_MISSING,
                FIXED_SIZE_MISMATCH
            ]
        );
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "record acme.E / field a",
                "record acme.E / field n",
                "record acme.E / field c / enum acme.S",
                "record acme.E / field d / fixed acme.F"
            ]
        );
    }

    #[test]
    fn logical_types_compare_their_underlying_types() {
        let ts = r#"{"type": "long", "logicalType": "timestamp-millis"}"#;
        assert_eq!(check(&field_of(ts), &field_of("\"long\"")), []);
        assert_eq!(check(&field_of("\"long\""), &field_of(ts)), []);
        assert_eq!(
            check(
                &field_of(r#"{"type": "long", "logicalType": "timestamp-micros"}"#),
                &field_of(ts)
            ),
            []
        );
        assert_eq!(rules(&check(&field_of("\"int\""), &field_of(ts))), [TYPE_MISMATCH]);
        let date = r#"{"type": "int", "logicalType": "date"}"#;
        assert_eq!(check(&field_of("\"long\""), &field_of(date)), []);
        assert_eq!(rules(&check(&field_of(date), &field_of("\"long\""))), [TYPE_MISMATCH]);
        let uuid = r#"{"type": "string", "logicalType": "uuid"}"#;
        assert_eq!(check(&field_of(uuid), &field_of("\"string\"")), []);
        assert_eq!(check(&field_of("\"bytes\""), &field_of(uuid)), []);
    }

    #[test]
    fn decimals_follow_the_specification() {
        let dec = |p: u32, s: u32| {
            format!(r#"{{"type": "bytes", "logicalType": "decimal", "precision": {p}, "scale": {s}}}"#)
        };
        assert_eq!(check(&field_of(&dec(10, 2)), &field_of(&dec(10, 2))), []);
        let issues = check(&field_of(&dec(12, 2)), &field_of(&dec(10, 2)));
        assert_eq!(rules(&issues), [DECIMAL_CHANGED]);
        assert_eq!(issues[0].path, "record acme.E / field v");
        assert!(issues[0].message.contains("decimal(12,2)") && issues[0].message.contains("decimal(10,2)"));
        assert_eq!(
            rules(&check(&field_of(&dec(10, 3)), &field_of(&dec(10, 2)))),
            [DECIMAL_CHANGED]
        );
        // One side a decimal: the rule is about two decimals.
        assert_eq!(check(&field_of("\"bytes\""), &field_of(&dec(10, 2))), []);
        assert_eq!(check(&field_of(&dec(10, 2)), &field_of("\"bytes\"")), []);
        // Fixed decimals, also through a reference by name in another field.
        let fixed = |p: u32, s: u32| {
            format!(
                r#"{{"type": "fixed", "name": "Money", "size": 8, "logicalType": "decimal", "precision": {p}, "scale": {s}}}"#
            )
        };
        assert_eq!(check(&field_of(&fixed(10, 2)), &field_of(&fixed(10, 2))), []);
        assert_eq!(
            rules(&check(&field_of(&fixed(10, 4)), &field_of(&fixed(10, 2)))),
            [DECIMAL_CHANGED]
        );
        let reader = record(&format!(
            r#"{{"name": "price", "type": {}}}, {{"name": "cost", "type": "Money"}}"#,
            fixed(10, 4)
        ));
        let writer = record(&format!(
            r#"{{"name": "cost", "type": {}}}, {{"name": "price", "type": "Money"}}"#,
            fixed(10, 2)
        ));
        let issues = check(&reader, &writer);
        assert_eq!(rules(&issues), [DECIMAL_CHANGED, DECIMAL_CHANGED]);
        // Bytes decimal and fixed decimal: different underlying types.
        assert_eq!(
            rules(&check(&field_of(&fixed(10, 2)), &field_of(&dec(10, 2)))),
            [TYPE_MISMATCH]
        );
    }

    #[test]
    fn unknown_types_are_issues_not_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let set = load_text(dir.path(), "s.avsc", &field_of("\"int\""));
        let issues = can_read(&set, "acme.Missing", &set, "acme.E");
        assert_eq!(rules(&issues), [TYPE_NOT_FOUND]);
        assert!(!issues[0].path.is_empty());
        let issues = can_read(&set, "acme.E", &set, "acme.Missing");
        assert_eq!(rules(&issues), [TYPE_NOT_FOUND]);
        assert_eq!(can_read(&set, "acme.E", &set, "acme.E"), []);
        let empty = EventSet::default();
        assert_eq!(rules(&can_read(&empty, "", &empty, "")), [TYPE_NOT_FOUND]);

        // A schema with an unresolved reference (the loader reports it; the check must not panic).
        let broken = dir.path().join("broken.avsc");
        std::fs::write(&broken, field_of("\"acme.Nowhere\"")).expect("write");
        let loaded = crate::load::load(&broken).expect("loads with diagnostics");
        let issues = can_read(&loaded.set, "acme.E", &set, "acme.E");
        assert_eq!(rules(&issues), [TYPE_NOT_FOUND]);
        assert_eq!(issues[0].path, "record acme.E / field v");
    }

    #[test]
    fn very_deep_schemas_stop_with_an_issue() {
        // A chain of records, each in its own field of the previous one, deeper than MAX_DEPTH.
        let n = MAX_DEPTH + 10;
        let defs: Vec<String> = (0..n)
            .map(|i| {
                let next = if i + 1 < n {
                    format!(r#", {{"name": "next", "type": "R{}"}}"#, i + 1)
                } else {
                    String::new()
                };
                format!(
                    r#"{{"type": "record", "name": "R{i}", "namespace": "acme", "fields": [{{"name": "v", "type": "int"}}{next}]}}"#
                )
            })
            .rev()
            .collect();
        let text = format!("[{}]", defs.join(", "));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("deep.avsc");
        std::fs::write(&path, text).expect("write schema");
        // Loading such a chain recurses deeply in apache-avro's parser (the loader's second
        // opinion): give it room, so that the check below is what the small stack measures.
        let set = std::thread::Builder::new()
            .name("load".into())
            .stack_size(256 * 1024 * 1024)
            .spawn(move || load_file(&path))
            .expect("spawn")
            .join()
            .expect("loads");
        // Run on a thread with a small stack, like a test or a tokio worker.
        let issues = std::thread::Builder::new()
            .name("check".into())
            .stack_size(2 * 1024 * 1024)
            .spawn(move || can_read(&set, "acme.R0", &set, "acme.R0"))
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        assert!(issues.iter().any(|i| i.rule == CHECK_TOO_DEEP), "{issues:?}");
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert!(ids.iter().all(|id| id.starts_with("AVRO_")));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        // Distinct from the loader's and lint's rule IDs (which are also AVRO_*).
        for r in RULES {
            assert!(crate::lint::find_rule(r.id).is_none(), "{} is also a lint rule", r.id);
        }
    }

    fn corpus_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat/avro")
    }

    /// Every case of the corpus against its expected.txt.
    #[test]
    fn corpus() {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
            .expect("corpus directory")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.join("expected.txt").is_file())
            .collect();
        cases.sort();
        assert!(cases.len() >= 80, "only {} corpus cases", cases.len());
        let mut mismatches = Vec::new();
        for case in &cases {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let expected = std::fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
            let expected = expected.trim();
            assert!(
                expected == "compatible" || expected == "incompatible",
                "{name}: expected.txt says {expected:?}"
            );
            let text = |file: &str| std::fs::read_to_string(case.join(file)).expect("schema file");
            let reader = load_file(&case.join("reader.avsc"));
            let writer = load_file(&case.join("writer.avsc"));
            // A whole-file unnamed schema (`"int"`) is its file's root; otherwise the top record.
            let root = |set: &EventSet, file: &str| {
                set.files
                    .first()
                    .and_then(|f| f.avro_root.clone())
                    .unwrap_or_else(|| TypeRef::Named(top_name(&text(file))))
            };
            let issues = can_read_type(
                &reader,
                &root(&reader, "reader.avsc"),
                &writer,
                &root(&writer, "writer.avsc"),
            );
            let got = if issues.is_empty() {
                "compatible"
            } else {
                "incompatible"
            };
            if got != expected {
                mismatches.push(format!("{name}: expected {expected}, got {got}: {issues:#?}"));
            } else if got == "incompatible" && !issues.iter().any(|i| !i.path.is_empty()) {
                mismatches.push(format!("{name}: no issue has a path: {issues:#?}"));
            }
        }
        for m in &mismatches {
            eprintln!("{m}");
        }
        assert!(
            mismatches.is_empty(),
            "{} of {} corpus cases differ",
            mismatches.len(),
            cases.len()
        );
    }
}
