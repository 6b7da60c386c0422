//! `.avsc` formatting: one stable layout (2-space indent, keys in the specification's order,
//! nothing dropped).
//!
//! The layout, precisely:
//!
//! - **Input** is what the loader accepts: strict JSON (no comments, no trailing commas), nested at
//!   most [`MAX_DEPTH`] levels, after an optional BOM, which is kept.
//!   Anything else is a [`SyntaxError`] at the offending byte, never a panic. CRLF line breaks
//!   become LF (JSON strings cannot hold a raw line break, so no text changes).
//! - **Tokens are kept as spelled**: strings (escapes included: `"\u00e9"` stays `"\u00e9"`, `"é"`
//!   stays `"é"`), numbers (`1.0`, `1e3`, `-0`), `true`, `false`, `null`. Only the whitespace
//!   between tokens and the order of keys in schema objects change.
//! - **Key order in schema objects** (a top-level object, a union's branches, `type` of a field
//!   or of a schema when it is an object or array, `items` of an array, `values` of a map):
//!   `type`, `name`, `namespace`, `aliases`, `doc`, then the type's own keys (record and error:
//!   `fields`; enum: `symbols`; array: `items`; map: `values`; fixed: `size`), then `default`,
//!   `order`, `logicalType`, `precision`, `scale`, `herald`, then every other key in its original
//!   order. **Field objects** (the elements of a record's `fields`): `name`, `type`, `aliases`,
//!   `doc`, `default`, `order`, then every other key in its original order. A key another type
//!   owns (`items` in a record) counts as an other key.
//! - **Data keeps its order**: `default` values, `herald` metadata, `symbols`, `aliases` and the
//!   values of unknown keys are written with their keys in the order written.
//! - **Duplicate keys are kept**, both, in their original relative order (the sort is stable), so
//!   nothing is lost; the loader and apache-avro read the file as they did.
//! - **Lines**: an object or array is written on one line when that whole line, counting its
//!   indentation, the `"key": ` before it and the `,` after it, is at most [`WIDTH`] characters
//!   (Unicode scalar values, as columns are counted in diagnostics); single-line style is
//!   `{"type": "array", "items": "string"}` and `["null", "string"]`: `": "` after a key, `", "`
//!   between members, no space inside the brackets. Otherwise it is written one member per line,
//!   each indented two spaces more than the bracket's line, the closing bracket on its own line at
//!   the opening line's indentation. Empty objects and arrays are `{}` and `[]`. Strings and
//!   numbers are never broken, so a line holding a long one alone can be longer than [`WIDTH`].
//! - **The file ends with exactly one `\n`.**

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::SyntaxError;
use crate::avro::MAX_DEPTH;

/// The widest line the layout fills, in characters.
pub const WIDTH: usize = 100;

/// The formatted text of an `.avsc` file.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let value = parse(body).map_err(|e| SyntaxError {
        offset: e.offset + bom.len(),
        ..e
    })?;
    let node = schema(body, &value);
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 2);
    out.push_str(bom);
    write(&node, 0, 0, 0, &mut out);
    out.push('\n');
    Ok(out)
}

/// `text` as strict JSON, with the loader's checks and in its order: not empty, not too deep,
/// jsonc-parser's strict mode, then serde_json's word on what jsonc-parser reads past.
fn parse(text: &str) -> Result<Value<'_>, SyntaxError> {
    if text.trim().is_empty() {
        return Err(SyntaxError {
            offset: text.len(),
            len: 0,
            message: "empty .avsc file".to_owned(),
        });
    }
    if let Some(at) = crate::avro::too_deep(text) {
        return Err(SyntaxError {
            offset: at,
            len: 1,
            message: format!("JSON nested deeper than {MAX_DEPTH} levels"),
        });
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
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        let r = e.range();
        SyntaxError {
            offset: r.start,
            len: r.end.saturating_sub(r.start),
            message: format!("invalid JSON: {}", e.kind()),
        }
    })?;
    if let Some((at, end, what)) = crate::avro::strict_json_error_at(text) {
        return Err(SyntaxError {
            offset: at,
            len: end - at,
            message: format!("invalid JSON: {what}"),
        });
    }
    parsed.value.ok_or_else(|| SyntaxError {
        offset: 0,
        len: 0,
        message: "no JSON value in file".to_owned(),
    })
}

/// A JSON value ready to be written: tokens as spelled, keys in output order.
enum Node<'a> {
    /// A string, number, `true`, `false` or `null`, exactly as in the input.
    Token(&'a str),
    Object(Vec<(&'a str, Node<'a>)>, usize),
    Array(Vec<Node<'a>>, usize),
}

impl Node<'_> {
    /// Characters of the single-line form.
    fn flat(&self) -> usize {
        match self {
            Node::Token(t) => chars(t),
            Node::Object(_, w) | Node::Array(_, w) => *w,
        }
    }
}

fn chars(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn object<'a>(members: Vec<(&'a str, Node<'a>)>) -> Node<'a> {
    let inner: usize = members.iter().map(|(k, v)| chars(k) + 2 + v.flat()).sum();
    let width = 2 + inner + 2 * members.len().saturating_sub(1);
    Node::Object(members, width)
}

fn array(elements: Vec<Node<'_>>) -> Node<'_> {
    let inner: usize = elements.iter().map(Node::flat).sum();
    let width = 2 + inner + 2 * elements.len().saturating_sub(1);
    Node::Array(elements, width)
}

/// The text of `value`'s token as written in `text`.
fn raw<'a>(text: &'a str, value: &Value<'_>) -> &'a str {
    let r = match value {
        Value::StringLit(s) => s.range,
        Value::NumberLit(n) => n.range,
        Value::BooleanLit(b) => b.range,
        Value::NullKeyword(n) => n.range,
        Value::Object(o) => o.range,
        Value::Array(a) => a.range,
    };
    text.get(r.start..r.end).unwrap_or_default()
}

/// Data: every key in the order written.
fn data<'a>(text: &'a str, value: &Value<'_>) -> Node<'a> {
    match value {
        Value::Object(o) => object(
            o.properties
                .iter()
                .map(|p| (key_raw(text, p), data(text, &p.value)))
                .collect(),
        ),
        Value::Array(a) => array(a.elements.iter().map(|v| data(text, v)).collect()),
        other => Node::Token(raw(text, other)),
    }
}

fn key_raw<'a>(text: &'a str, p: &jsonc_parser::ast::ObjectProp<'_>) -> &'a str {
    let r = match &p.name {
        jsonc_parser::ast::ObjectPropName::String(s) => s.range,
        jsonc_parser::ast::ObjectPropName::Word(w) => w.range,
    };
    text.get(r.start..r.end).unwrap_or_default()
}

/// A schema: a name, a union or a schema object.
fn schema<'a>(text: &'a str, value: &Value<'_>) -> Node<'a> {
    match value {
        Value::Object(o) => schema_object(text, o),
        Value::Array(a) => array(a.elements.iter().map(|v| schema(text, v)).collect()),
        other => Node::Token(raw(text, other)),
    }
}

/// Where the key `key` of a schema object of type `ty` goes (lower first; equal ranks keep their
/// order).
fn schema_rank(ty: &str, key: &str) -> u8 {
    match (key, ty) {
        ("type", _) => 0,
        ("name", _) => 1,
        ("namespace", _) => 2,
        ("aliases", _) => 3,
        ("doc", _) => 4,
        ("fields", "record" | "error")
        | ("symbols", "enum")
        | ("items", "array")
        | ("values", "map")
        | ("size", "fixed") => 10,
        ("default", _) => 20,
        ("order", _) => 21,
        ("logicalType", _) => 30,
        ("precision", _) => 31,
        ("scale", _) => 32,
        ("herald", _) => 40,
        _ => u8::MAX,
    }
}

fn field_rank(key: &str) -> u8 {
    match key {
        "name" => 0,
        "type" => 1,
        "aliases" => 2,
        "doc" => 3,
        "default" => 4,
        "order" => 5,
        _ => u8::MAX,
    }
}

fn schema_object<'a>(text: &'a str, o: &Object<'_>) -> Node<'a> {
    // The type, as the loader reads it: the first `type` key's string.
    let ty = o
        .properties
        .iter()
        .find(|p| p.name.as_str() == "type")
        .and_then(|p| match &p.value {
            Value::StringLit(s) => Some(s.value.as_ref()),
            _ => None,
        })
        .unwrap_or("");
    let mut members: Vec<(u8, &'a str, Node<'a>)> = o
        .properties
        .iter()
        .map(|p| {
            let key = p.name.as_str();
            let rank = schema_rank(ty, key);
            let node = match (key, rank, &p.value) {
                ("type", _, v @ (Value::Object(_) | Value::Array(_))) => schema(text, v),
                ("fields", 10, Value::Array(a)) => array(
                    a.elements
                        .iter()
                        .map(|f| match f {
                            Value::Object(fo) => field_object(text, fo),
                            other => data(text, other),
                        })
                        .collect(),
                ),
                ("items" | "values", 10, v) => schema(text, v),
                (_, _, v) => data(text, v),
            };
            (rank, key_raw(text, p), node)
        })
        .collect();
    members.sort_by_key(|(rank, _, _)| *rank);
    object(members.into_iter().map(|(_, k, v)| (k, v)).collect())
}

fn field_object<'a>(text: &'a str, o: &Object<'_>) -> Node<'a> {
    let mut members: Vec<(u8, &'a str, Node<'a>)> = o
        .properties
        .iter()
        .map(|p| {
            let key = p.name.as_str();
            let node = match key {
                "type" => schema(text, &p.value),
                _ => data(text, &p.value),
            };
            (field_rank(key), key_raw(text, p), node)
        })
        .collect();
    members.sort_by_key(|(rank, _, _)| *rank);
    object(members.into_iter().map(|(_, k, v)| (k, v)).collect())
}

/// Writes `node` on a line that already holds `indent` spaces and `before` more characters, with
/// `after` characters (a comma) to follow it.
fn write(node: &Node<'_>, indent: usize, before: usize, after: usize, out: &mut String) {
    if indent + before + node.flat() + after <= WIDTH {
        write_flat(node, out);
        return;
    }
    match node {
        Node::Token(t) => out.push_str(t),
        Node::Object(members, _) if members.is_empty() => out.push_str("{}"),
        Node::Array(elements, _) if elements.is_empty() => out.push_str("[]"),
        Node::Object(members, _) => {
            out.push_str("{\n");
            let last = members.len() - 1;
            for (i, (key, value)) in members.iter().enumerate() {
                push_indent(out, indent + 2);
                out.push_str(key);
                out.push_str(": ");
                let comma = usize::from(i != last);
                write(value, indent + 2, chars(key) + 2, comma, out);
                out.push_str(if comma == 1 { ",\n" } else { "\n" });
            }
            push_indent(out, indent);
            out.push('}');
        }
        Node::Array(elements, _) => {
            out.push_str("[\n");
            let last = elements.len() - 1;
            for (i, value) in elements.iter().enumerate() {
                push_indent(out, indent + 2);
                let comma = usize::from(i != last);
                write(value, indent + 2, 0, comma, out);
                out.push_str(if comma == 1 { ",\n" } else { "\n" });
            }
            push_indent(out, indent);
            out.push(']');
        }
    }
}

fn write_flat(node: &Node<'_>, out: &mut String) {
    match node {
        Node::Token(t) => out.push_str(t),
        Node::Object(members, _) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                write_flat(value, out);
            }
            out.push('}');
        }
        Node::Array(elements, _) => {
            out.push('[');
            for (i, value) in elements.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flat(value, out);
            }
            out.push(']');
        }
    }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        match format(text) {
            Ok(out) => {
                assert_eq!(format(&out).as_deref(), Ok(out.as_str()), "not idempotent");
                out
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn record_keys_reordered() {
        let text = r#"{"fields": [{"type": "string", "doc": "the id", "name": "id", "x-extra": 1, "order": "descending", "default": "a", "aliases": ["ident"]}, {"default": null, "type": ["null", {"values": "long", "type": "map"}], "name": "counts"}], "herald": {"version": "1.0", "kind": "event", "partitionKey": "id"}, "doc": "A user.", "aliases": ["Person"], "namespace": "acme.users", "name": "User", "type": "record", "x-owner": "team-a", "a-first": true}"#;
        insta::assert_snapshot!("record_keys_reordered", fmt(text));
    }

    #[test]
    fn every_kind_of_schema_object() {
        let text = r#"[
          {"symbols": ["A", "B"], "default": "A", "name": "E", "type": "enum", "doc": "e"},
          {"size": 16, "name": "F", "type": "fixed", "scale": 2, "precision": 10, "logicalType": "decimal"},
          {"items": {"fields": [{"type": "int", "name": "n"}], "name": "Inner", "type": "record"}, "type": "array"},
          {"values": {"type": "array", "items": {"name": "Deep", "fields": [{"type": {"logicalType": "timestamp-millis", "type": "long"}, "name": "at"}], "type": "error"}}, "type": "map"},
          {"logicalType": "uuid", "type": "string"},
          {"type": {"items": "string", "type": "array"}},
          {"items": "int", "type": "record", "name": "R", "fields": []},
          "string"
        ]"#;
        insta::assert_snapshot!("every_kind_of_schema_object", fmt(text));
    }

    #[test]
    fn defaults_metadata_and_unknown_values_keep_their_order() {
        let text = r#"{"type": "record", "name": "R", "fields": [{"name": "r", "type": {"type": "record", "name": "P", "fields": [{"name": "z", "type": "int"}, {"name": "a", "type": "int"}]}, "default": {"z": 1, "a": 2, "type": "x", "name": "y"}}], "herald": {"version": "1.0", "partitionKey": "r", "kind": "event"}, "x-data": {"type": 1, "name": 2, "nested": {"b": [1, {"d": 4, "c": 3}]}}}"#;
        let out = fmt(text);
        assert!(
            out.contains(r#""default": {"z": 1, "a": 2, "type": "x", "name": "y"}"#),
            "{out}"
        );
        assert!(
            out.contains(r#""herald": {"version": "1.0", "partitionKey": "r", "kind": "event"}"#),
            "{out}"
        );
        assert!(
            out.contains(r#""x-data": {"type": 1, "name": 2, "nested": {"b": [1, {"d": 4, "c": 3}]}}"#),
            "{out}"
        );
        insta::assert_snapshot!("defaults_metadata_and_unknown_values", out);
    }

    #[test]
    fn numbers_kept_as_spelled() {
        let text = r#"{"type": "record", "name": "N", "fields": [{"name": "a", "type": "double", "default": 1.0}, {"name": "b", "type": "double", "default": 1e3}, {"name": "c", "type": "double", "default": -0.50E+02}, {"name": "d", "type": "long", "default": 12345678901234567890123}, {"name": "e", "type": "float", "default": -0}]}"#;
        let out = fmt(text);
        for n in ["1.0}", "1e3}", "-0.50E+02}", "12345678901234567890123}", "-0}"] {
            assert!(out.contains(&format!("\"default\": {n}")), "{n} in {out}");
        }
    }

    #[test]
    fn unicode_and_escapes_kept() {
        let text = "{\"type\": \"enum\", \"name\": \"E\", \"doc\": \"caf\\u00e9 caf\u{e9} \\\"q\\\" \\/ \\\\ \\n \\t \\ud83d\\ude00 \u{1F600}\", \"symbols\": [\"A\"], \"x-\\u0074\": \"\u{65e5}\u{672c}\"}";
        let out = fmt(text);
        assert!(
            out.contains("\"doc\": \"caf\\u00e9 caf\u{e9} \\\"q\\\" \\/ \\\\ \\n \\t \\ud83d\\ude00 \u{1F600}\""),
            "{out}"
        );
        assert!(out.contains("\"x-\\u0074\": \"\u{65e5}\u{672c}\""), "{out}");
        // An escaped key is still the key it spells.
        let escaped = fmt(r#"{"name": "S", "t\u0079pe": "fixed", "size": 4}"#);
        assert_eq!(escaped, "{\"t\\u0079pe\": \"fixed\", \"name\": \"S\", \"size\": 4}\n");
    }

    #[test]
    fn single_line_up_to_exactly_100_columns() {
        // A field object at 4 spaces of indentation, followed by a comma: the line is
        // 4 + len(object) + 1.
        let line = |doc_len: usize| {
            let doc = "d".repeat(doc_len);
            format!(r#"{{"name": "a", "type": "string", "doc": "{doc}"}}"#)
        };
        let base = line(0).len(); // `{"name": "a", "type": "string", "doc": ""}`
        let fits = line(100 - 4 - 1 - base);
        let too_long = line(100 - 4 - 1 - base + 1);
        let text = format!(
            r#"{{"type": "record", "name": "R", "fields": [{fits}, {too_long}, {{"name": "b", "type": "int"}}]}}"#
        );
        let out = fmt(&text);
        let fits_line = format!("    {fits},");
        assert_eq!(fits_line.chars().count(), 100);
        assert!(out.lines().any(|l| l == fits_line), "{out}");
        assert!(!out.contains(&too_long), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        insta::assert_snapshot!("single_line_100_and_101", out);

        // The last member has no comma: 100 columns without it.
        let last = line(100 - 4 - base);
        let out = fmt(&format!(r#"{{"type": "record", "name": "R", "fields": [{last}]}}"#));
        assert!(out.lines().any(|l| l == format!("    {last}")), "{out}");
        let over = line(100 - 4 - base + 1);
        let out = fmt(&format!(r#"{{"type": "record", "name": "R", "fields": [{over}]}}"#));
        assert!(!out.contains(&over), "{out}");

        // Characters, not bytes: `é` is one column.
        let wide = format!(
            r#"{{"name": "a", "type": "string", "doc": "{}"}}"#,
            "é".repeat(100 - 4 - base)
        );
        let out = fmt(&format!(r#"{{"type": "record", "name": "R", "fields": [{wide}]}}"#));
        assert!(out.lines().any(|l| l == format!("    {wide}")), "{out}");

        // The key before an object counts: the whole top-level object fits in 100 at indentation 0.
        let top = r#"{"type": "map", "values": "string"}"#;
        assert_eq!(fmt(top), format!("{top}\n"));
    }

    #[test]
    fn top_level_union_and_primitive() {
        assert_eq!(fmt("  \"string\"  "), "\"string\"\n");
        assert_eq!(fmt("[\"null\",\"string\"]"), "[\"null\", \"string\"]\n");
        assert_eq!(fmt("{}"), "{}\n");
        assert_eq!(fmt("[]"), "[]\n");
        assert_eq!(
            fmt(r#"{"type":"record","name":"R","fields":[]}"#),
            "{\"type\": \"record\", \"name\": \"R\", \"fields\": []}\n"
        );
    }

    #[test]
    fn crlf_bom_and_trailing_newlines() {
        let text = "\u{feff}{\r\n  \"name\": \"R\",\r\n  \"type\": \"record\",\r\n  \"fields\": []\r\n}\r\n\r\n\r\n";
        assert_eq!(
            fmt(text),
            "\u{feff}{\"type\": \"record\", \"name\": \"R\", \"fields\": []}\n"
        );
        // An error after a BOM is located in the text as given.
        let e = format("\u{feff}{\"a\": }").unwrap_err();
        assert_eq!(e.offset, 3 + 6, "{e:?}");
    }

    #[test]
    fn duplicate_keys_kept_in_order() {
        let out = fmt(r#"{"name": "A", "type": "record", "x": 1, "name": "B", "fields": [], "x": 2}"#);
        assert_eq!(
            out,
            "{\"type\": \"record\", \"name\": \"A\", \"name\": \"B\", \"fields\": [], \"x\": 1, \"x\": 2}\n"
        );
    }

    #[test]
    fn comments_and_lax_json_refused_as_the_loader_does() {
        for (text, at) in [
            ("// c\n\"string\"", 0),
            ("\"string\" /* c */", 9),
            ("{\"type\": \"string\",}", 17),
            ("{type: \"string\"}", 1),
            ("['string']", 1),
            ("{\"type\": \"record\" \"name\": \"R\"}", 17),
            ("[1, 2,]", 5),
            ("0x10", 0),
            ("+1", 0),
        ] {
            let e = format(text).expect_err(text);
            assert_eq!(e.offset, at, "{text}: {e:?}");
            assert!(e.message.starts_with("invalid JSON"), "{text}: {e:?}");
        }
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        let e = format("").unwrap_err();
        assert_eq!((e.offset, e.len, e.message.as_str()), (0, 0, "empty .avsc file"));
        assert_eq!(format(" \n\t").unwrap_err().message, "empty .avsc file");
        // Truncated.
        let e = format(r#"{"type": "record", "name": "R", "fields": [{"name": "#).unwrap_err();
        assert_eq!(e.offset, 52, "{e:?}");
        let e = format(r#"{"type": "rec"#).unwrap_err();
        assert_eq!(e.offset, 9, "{e:?}");
        // Two values.
        assert_eq!(format("\"int\" \"long\"").unwrap_err().offset, 6);
        // Binary garbage (still valid UTF-8: the loader refuses other bytes before formatting).
        for garbage in [
            "\u{0}\u{1}\u{2}\u{7f}",
            "\u{fffd}\u{fffd}PK\u{3}\u{4}",
            "{\"a\u{0}\": 1}",
            "\u{feff}\u{feff}",
        ] {
            let e = format(garbage).expect_err(garbage);
            assert!(e.offset <= garbage.len(), "{garbage:?}: {e:?}");
            assert!(garbage.is_char_boundary(e.offset), "{garbage:?}: {e:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = format(&deep).unwrap_err();
        assert_eq!(e.offset, MAX_DEPTH, "{e:?}");
        assert_eq!(e.message, format!("JSON nested deeper than {MAX_DEPTH} levels"));
        // Just within the limit formats.
        let ok = format!("{}\"int\"{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(fmt(&ok).ends_with("]\n"));
    }

    #[test]
    fn ten_megabytes() {
        let field = r#"{"name": "f", "type": "string", "doc": "0123456789012345678901234567890123456789"}"#;
        let count = 10 * 1024 * 1024 / field.len() + 1;
        let mut text = String::from(r#"{"type": "record", "name": "Big", "fields": ["#);
        for i in 0..count {
            if i > 0 {
                text.push(',');
            }
            text.push_str(field);
        }
        text.push_str("]}");
        assert!(text.len() > 10 * 1024 * 1024);
        let out = format(&text).expect("formats");
        assert_eq!(out.lines().count(), count + 6);
        // Truncated: an error at the array left open.
        let cut = &text[..text.len() - 2];
        let e = format(cut).unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (44, "invalid JSON: Unterminated array"));
    }
}
