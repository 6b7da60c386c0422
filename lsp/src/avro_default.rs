//! The quick fix for an Avro field added without a default (AVRO_READER_FIELD_MISSING_DEFAULT):
//! a default that fits the field's type, written after its `"type"` in the file's own layout.
//!
//! Defaults: `null` for a union whose first branch is `null` (else the first branch's), `false`,
//! `0`, `0.0`, `""`, `[]`, `{}`, an enum's first symbol, a fixed's NUL bytes, a record's fields'
//! own defaults (or theirs by type). A union holding `null` elsewhere also gets the offer to move
//! `null` first with a `null` default, when herald's check of the edited files against the lock
//! finds nothing new (branch order is not part of Avro's schema resolution, so it should not).
//! A file that `herald fmt` leaves as it is stays so: the edited text is formatted again.

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::diagnostic::Diagnostic;
use herald_codegen::load::{self, LoadResult};
use herald_codegen::model::{EventSet, Field, Format, Logical, Scalar, TypeKind, TypeRef};
use herald_codegen::span::Span;
use serde_json::Value;

use crate::analysis::{Analysis, Workspace};

/// How deep a record default may nest (a record reaching itself through its first union branch).
const MAX_DEPTH: usize = 32;

/// One fix: its title, the span of the file's text it replaces, the replacement, and whether it
/// reorders a union (to be checked with [`still_compatible`] before it is offered).
pub struct Fix {
    pub title: String,
    pub span: Span,
    pub text: String,
    pub reorders: bool,
}

/// The fixes for one finding.
pub fn fixes(set: &EventSet, d: &Diagnostic) -> Vec<Fix> {
    let Some(span) = d.span else { return Vec::new() };
    let Some(field) = field_of(set, d, span) else {
        return Vec::new();
    };
    let file = set.sources_map.get(span.file);
    let text = file.text.as_str();
    let mut out = Vec::new();
    if let Some(value) = default_for(set, &field.ty, 0) {
        let json = serde_json::to_string(&value).unwrap_or_default();
        if let Some(new) = with_default(text, field, &json, None) {
            out.extend(minimal_edit(span, text, &new).map(|(span, text)| Fix {
                title: format!("Add default {json} to field `{}`", field.name),
                span,
                text,
                reorders: false,
            }));
        }
    }
    if let TypeRef::Union(branches) = &field.ty {
        let null_later = branches.iter().skip(1).any(|b| *b == TypeRef::Scalar(Scalar::Null));
        if null_later {
            if let Some(new) = with_default(text, field, "null", Some(branches)) {
                out.extend(minimal_edit(span, text, &new).map(|(span, text)| Fix {
                    title: format!(
                        "Make `null` the first branch of field `{}` and default it to null",
                        field.name
                    ),
                    span,
                    text,
                    reorders: true,
                }));
            }
        }
    }
    out
}

/// Whether the workspace with `fix` applied has no compatibility finding against the lock that it
/// does not have now (without a lock, the finding came from a git baseline: the fix is offered).
pub fn still_compatible(ws: &Workspace, analysis: &Analysis, fix: &Fix) -> bool {
    let (Some(lock), Some(set)) = (&analysis.lock, &analysis.set) else {
        return true;
    };
    let file = set.sources_map.get(fix.span.file);
    let (start, end) = (fix.span.start as usize, fix.span.end as usize);
    let (Some(head), Some(tail)) = (file.text.get(..start), file.text.get(end..)) else {
        return false;
    };
    let mut files = ws.files.clone();
    files.insert(file.name.clone(), format!("{head}{}{tail}", fix.text).into_bytes());
    let Ok(LoadResult { set: edited, .. }) = load::load_files(&files) else {
        return false;
    };
    let Ok(after) = check::check_against_lock(lock, &edited, &CheckOptions::default()) else {
        return false;
    };
    let before: Vec<(&str, &str)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.check.is_some())
        .map(|d| (d.rule.id, d.message.as_str()))
        .collect();
    after
        .iter()
        .all(|f| before.contains(&(f.finding.rule.id, f.finding.message.as_str())))
}

/// The reader field a finding is about: the field of its type declared at its span.
fn field_of<'a>(set: &'a EventSet, d: &Diagnostic, span: Span) -> Option<&'a Field> {
    let type_name = d.check.as_ref()?.type_name.as_deref()?;
    let ty = set.type_named(type_name)?;
    if ty.format != Format::Avro {
        return None;
    }
    let TypeKind::Message(m) = &ty.kind else { return None };
    m.fields.iter().find(|f| f.span == span)
}

/// A default value of type `ty`, as Avro's JSON encoding of defaults writes it.
fn default_for(set: &EventSet, ty: &TypeRef, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match ty {
        TypeRef::Scalar(Scalar::Null) => Value::Null,
        TypeRef::Scalar(Scalar::Bool) => Value::Bool(false),
        TypeRef::Scalar(Scalar::Float | Scalar::Double) => serde_json::json!(0.0),
        TypeRef::Scalar(Scalar::String | Scalar::Bytes) => Value::String(String::new()),
        TypeRef::Scalar(_) => serde_json::json!(0),
        TypeRef::Logical(Logical::Uuid, _) => Value::String("00000000-0000-0000-0000-000000000000".to_owned()),
        TypeRef::Logical(_, inner) => default_for(set, inner, depth + 1)?,
        TypeRef::Array(_) => Value::Array(Vec::new()),
        TypeRef::Map(..) => Value::Object(serde_json::Map::new()),
        TypeRef::Union(branches) => default_for(set, branches.first()?, depth + 1)?,
        TypeRef::Named(name) => {
            let named = set.type_named(name)?;
            match &named.kind {
                TypeKind::Enum(e) => Value::String(e.values.first()?.name.clone()),
                TypeKind::Fixed { size } => Value::String("\u{0}".repeat(*size as usize)),
                TypeKind::Message(m) => {
                    let mut object = serde_json::Map::new();
                    for f in &m.fields {
                        let value = match &f.default {
                            Some(v) => v.clone(),
                            None => default_for(set, &f.ty, depth + 1)?,
                        };
                        object.insert(f.name.clone(), value);
                    }
                    Value::Object(object)
                }
            }
        }
    })
}

/// `text` with `"default": json` written after `field`'s type (and, with `reorder`, the type
/// replaced by the union with `null` moved first), in the field's layout: on its line when the
/// field is written on one line, else on a line of its own indented as the `"type"` key is.
fn with_default(text: &str, field: &Field, json: &str, reorder: Option<&[TypeRef]>) -> Option<String> {
    let (start, end) = (field.type_span.start as usize, field.type_span.end as usize);
    let written = text.get(start..end)?;
    let after = text.get(end..)?;
    let type_text = match reorder {
        None => written.to_owned(),
        Some(_) => null_first(written)?,
    };
    let rest = after.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix(',').unwrap_or(rest);
    let multiline = rest.trim_start_matches([' ', '\t']).starts_with(['\n', '\r']);
    let insert = if multiline {
        let line_start = text.get(..start)?.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let indent: String = text
            .get(line_start..start)?
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        format!(",\n{indent}\"default\": {json}")
    } else {
        format!(", \"default\": {json}")
    };
    let new = format!("{}{type_text}{insert}{after}", text.get(..start)?);
    // A file in herald fmt's layout stays in it (a long line split as the formatter splits it).
    let formatted = herald_codegen::fmt::format(Format::Avro, text).ok();
    if formatted.as_deref() == Some(text) {
        return herald_codegen::fmt::format(Format::Avro, &new).ok().or(Some(new));
    }
    Some(new)
}

/// A union written as a JSON array with its `"null"` branch moved first, the others in order;
/// `None` when the text is not such an array.
fn null_first(written: &str) -> Option<String> {
    let Ok(Value::Array(branches)) = serde_json::from_str::<Value>(written) else {
        return None;
    };
    let null = Value::String("null".to_owned());
    if !branches.contains(&null) {
        return None;
    }
    let mut ordered = vec![null.clone()];
    ordered.extend(branches.into_iter().filter(|b| *b != null));
    // Branches written as plain names keep the one-line `["null", "string"]` spelling.
    let items: Vec<String> = ordered
        .iter()
        .map(|b| serde_json::to_string(b).unwrap_or_default())
        .collect();
    Some(format!("[{}]", items.join(", ")))
}

/// One edit turning `old` into `new`: the differing middle, between their common prefix and
/// suffix (on character boundaries).
fn minimal_edit(at: Span, old: &str, new: &str) -> Option<(Span, String)> {
    if old == new {
        return None;
    }
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let span = Span::new(at.file, prefix, old.len() - suffix);
    Some((span, new.get(prefix..new.len() - suffix)?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits() {
        let at = Span::new(herald_codegen::span::FileId(0), 0, 0);
        let (span, text) = minimal_edit(at, "a b c", "a bX c").unwrap();
        assert_eq!((span.start, span.end, text.as_str()), (3, 3, "X"));
        let (span, text) = minimal_edit(at, "aé", "aè").unwrap();
        assert_eq!((span.start as usize, span.end as usize, text.as_str()), (1, 3, "è"));
        assert!(minimal_edit(at, "x", "x").is_none());
    }

    #[test]
    fn null_moves_first() {
        assert_eq!(
            null_first("[\"string\", \"null\"]").as_deref(),
            Some("[\"null\", \"string\"]")
        );
        assert_eq!(null_first("[\"string\"]"), None);
        assert_eq!(null_first("\"string\""), None);
    }
}
