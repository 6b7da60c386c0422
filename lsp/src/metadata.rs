//! Completion inside herald's event metadata, read from the buffer's text (which rarely loads
//! while it is being typed): the keys of `option (herald.event) = {...}` and of an `.avsc`
//! record's `"herald"` object, and their values where they can be listed (`kind`, `compatibility`,
//! the partition key: the message's or record's fields, as `load.rs` resolves the key, a
//! top-level field by name).

use herald_codegen::model::Mode;
use herald_codegen::proto::scan;
use lsp_types as lsp;

/// The keys of `(herald.event)`, as the proto front end reads them.
const PROTO_KEYS: [&str; 5] = ["version", "kind", "partition_key", "name", "compatibility"];
/// The keys of an `.avsc` record's `"herald"` object, as the Avro front end reads them.
const AVRO_KEYS: [&str; 5] = ["version", "kind", "partitionKey", "name", "compatibility"];

fn item(label: &str, kind: lsp::CompletionItemKind, detail: Option<&str>, quoted: bool) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: detail.map(str::to_owned),
        insert_text: quoted.then(|| format!("\"{label}\"")),
        ..lsp::CompletionItem::default()
    }
}

fn modes(quoted: bool) -> Vec<lsp::CompletionItem> {
    Mode::ALL
        .iter()
        .map(|(name, _)| {
            item(
                name,
                lsp::CompletionItemKind::ENUM_MEMBER,
                Some("compatibility mode"),
                quoted,
            )
        })
        .collect()
}

/// Items at `offset` of a `.proto` text when it is inside `option (herald.event) = {...}`.
pub fn proto(text: &str, offset: usize) -> Option<Vec<lsp::CompletionItem>> {
    let before = text.get(..offset)?;
    let option = before.rfind("(herald.event)")?;
    let inside = before.get(option..)?;
    let open = inside.find('{')?;
    let body = inside.get(open + 1..)?;
    if body.contains('}') {
        return None;
    }
    // The entry being written: after the last separator.
    let entry = body.rsplit([',', '\n', ';']).next().unwrap_or(body);
    let Some((key, value)) = entry.split_once(':') else {
        return Some(
            PROTO_KEYS
                .iter()
                .map(|k| item(k, lsp::CompletionItemKind::PROPERTY, Some("(herald.event)"), false))
                .collect(),
        );
    };
    let in_string = value.matches('"').count() % 2 == 1;
    Some(match key.trim() {
        "kind" => ["EVENT", "COMMAND"]
            .iter()
            .map(|k| item(k, lsp::CompletionItemKind::ENUM_MEMBER, None, false))
            .collect(),
        "compatibility" => modes(!in_string),
        "partition_key" => proto_fields(text, offset)
            .into_iter()
            .map(|(name, ty)| item(&name, lsp::CompletionItemKind::FIELD, Some(&ty), !in_string))
            .collect(),
        _ => Vec::new(),
    })
}

/// The fields (name, type) of the innermost message holding `offset` that can be a partition
/// key (not repeated, not a map). The text being typed may not scan or may leave the option open:
/// it is read as it is, then with its string closed, then with the option closed too.
fn proto_fields(text: &str, offset: usize) -> Vec<(String, String)> {
    let (Some(head), Some(tail)) = (text.get(..offset), text.get(offset..)) else {
        return Vec::new();
    };
    for repair in ["", "\"", "\"\"};", "\"};"] {
        let repaired = format!("{head}{repair}{tail}");
        let Ok(tokens) = scan::tokenize(&repaired) else {
            continue;
        };
        let fields = fields_in(&repaired, &tokens, offset);
        if !fields.is_empty() {
            return fields;
        }
    }
    Vec::new()
}

fn fields_in(text: &str, tokens: &[scan::Token], offset: usize) -> Vec<(String, String)> {
    let outline = scan::outline(text, tokens);
    let mut messages: &[scan::MessageDecl] = &outline.messages;
    let mut found = None;
    while let Some(m) = messages.iter().find(|m| m.decl.0 <= offset && offset <= m.decl.1) {
        found = Some(m);
        messages = &m.messages;
    }
    let Some(message) = found else { return Vec::new() };
    message
        .fields
        .iter()
        .filter(|f| {
            let repeated = f.label.and_then(|(s, e)| text.get(s..e)) == Some("repeated");
            !repeated && !f.type_text.starts_with("map<")
        })
        .map(|f| (f.name.clone(), f.type_text.clone()))
        .collect()
}

/// A JSON token of the tolerant scan: a string (its start, its end after the closing quote or the
/// text's end, its content with escapes kept, whether it is closed) or a punctuation mark.
enum Token<'t> {
    Str(usize, usize, &'t str, bool),
    Punct(usize, char),
}

/// Strings and punctuation of `text`, tolerating anything (an unterminated string ends the text).
fn lex(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let closed = i < bytes.len();
                let end = i.min(bytes.len());
                let content = text.get(start + 1..end).unwrap_or("");
                out.push(Token::Str(start, (end + 1).min(bytes.len()), content, closed));
                i = end + 1;
            }
            c @ (b'{' | b'}' | b'[' | b']' | b':' | b',') => {
                out.push(Token::Punct(i, c as char));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// One open object or array of the walk.
struct Frame<'t> {
    open: usize,
    object: bool,
    /// The key this container is the value of (in an object).
    key: Option<&'t str>,
    /// In an object: the key read, and whether its `:` was.
    pending: Option<&'t str>,
    after_colon: bool,
}

/// Where the cursor is in an `.avsc` text.
struct Cursor<'t> {
    /// The open containers, outermost first.
    stack: Vec<(usize, bool, Option<&'t str>)>,
    /// In an object: `Some(key)` at a value, `None` at a key.
    value_of: Option<&'t str>,
    in_string: bool,
}

fn snapshot<'t>(stack: &[Frame<'t>], in_string: bool) -> Cursor<'t> {
    let top = stack.last();
    Cursor {
        stack: stack.iter().map(|f| (f.open, f.object, f.key)).collect(),
        value_of: top.filter(|f| f.object && f.after_colon).and_then(|f| f.pending),
        in_string,
    }
}

/// Walks `text`: the cursor's context at `offset`, and each record's field names by the offset of
/// the record's `{`.
fn walk(text: &str, offset: usize) -> (Option<Cursor<'_>>, Vec<(usize, String)>) {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut cursor = None;
    let mut fields = Vec::new();
    for token in lex(text) {
        if cursor.is_none() {
            match token {
                Token::Str(start, end, _, closed) if start < offset && (offset < end || (!closed && offset <= end)) => {
                    cursor = Some(snapshot(&stack, true));
                }
                Token::Str(start, ..) | Token::Punct(start, _) if offset <= start => {
                    cursor = Some(snapshot(&stack, false));
                }
                _ => {}
            }
        }
        match token {
            Token::Punct(p, '{' | '[') => {
                let key = stack.last().filter(|f| f.object).and_then(|f| f.pending);
                let object = text.as_bytes().get(p) == Some(&b'{');
                stack.push(Frame {
                    open: p,
                    object,
                    key,
                    pending: None,
                    after_colon: false,
                });
            }
            Token::Punct(_, '}' | ']') => {
                stack.pop();
            }
            Token::Punct(_, ':') => {
                if let Some(f) = stack.last_mut() {
                    f.after_colon = true;
                }
            }
            Token::Punct(_, _) => {
                if let Some(f) = stack.last_mut() {
                    f.pending = None;
                    f.after_colon = false;
                }
            }
            Token::Str(_, _, s, _) => {
                let n = stack.len();
                let Some(top) = stack.last_mut() else { continue };
                if !top.object {
                    continue;
                }
                if !top.after_colon {
                    top.pending = Some(s);
                    continue;
                }
                // A field's name: "name" in an object of the "fields" array of a record.
                if top.pending == Some("name") && n >= 3 && stack[n - 2].key == Some("fields") && !stack[n - 2].object {
                    fields.push((stack[n - 3].open, s.to_owned()));
                }
            }
        }
    }
    (cursor.or_else(|| Some(snapshot(&stack, false))), fields)
}

/// Items at `offset` of an `.avsc` text when it is inside a record's `"herald"` object.
pub fn avro(text: &str, offset: usize) -> Option<Vec<lsp::CompletionItem>> {
    let (cursor, fields) = walk(text, offset);
    let cursor = cursor?;
    let n = cursor.stack.len();
    let &(_, true, Some("herald")) = cursor.stack.last()? else {
        return None;
    };
    let record = if n >= 2 {
        cursor.stack.get(n - 2).map(|f| f.0)
    } else {
        None
    };
    let quoted = !cursor.in_string;
    Some(match cursor.value_of {
        None => AVRO_KEYS
            .iter()
            .map(|k| item(k, lsp::CompletionItemKind::PROPERTY, Some("herald metadata"), quoted))
            .collect(),
        Some("kind") => ["event", "command"]
            .iter()
            .map(|k| item(k, lsp::CompletionItemKind::ENUM_MEMBER, None, quoted))
            .collect(),
        Some("compatibility") => modes(quoted),
        Some("partitionKey" | "partition_key") => fields
            .iter()
            .filter(|(r, _)| Some(*r) == record)
            .map(|(_, name)| item(name, lsp::CompletionItemKind::FIELD, Some("field"), quoted))
            .collect(),
        Some(_) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(items: Option<Vec<lsp::CompletionItem>>) -> Vec<String> {
        items.unwrap_or_default().into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn avro_keys_and_values() {
        let text = r#"{"type": "record", "name": "R", "herald": {"kind": "event", "partitionKey": "|"}, "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": {"type": "record", "name": "In", "fields": [{"name": "deep", "type": "int"}]}}]}"#;
        let at = text.find('|').unwrap();
        assert_eq!(labels(avro(text, at)), ["id", "n"]);
        let at = text.find("\"kind\"").unwrap() + 2;
        assert_eq!(labels(avro(text, at)).len(), AVRO_KEYS.len());
        let at = text.find("\"event\"").unwrap() + 1;
        assert_eq!(labels(avro(text, at)), ["event", "command"]);
        assert_eq!(labels(avro(text, 3)), Vec::<String>::new());
        // Unterminated, as typed.
        let typed = r#"{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}], "herald": {"partitionKey": ""#;
        let items = avro(typed, typed.len()).unwrap();
        assert_eq!(items[0].label, "id");
        assert_eq!(items[0].insert_text, None, "inside the string: no quotes");
    }

    #[test]
    fn proto_keys_and_values() {
        let text = "syntax = \"proto3\";\nmessage M {\n  option (herald.event) = {kind: EVENT, partition_key: \"|\"};\n  string id = 1;\n  repeated string tags = 2;\n  message In { string deep = 1; }\n}\n";
        let at = text.find('|').unwrap();
        assert_eq!(labels(proto(text, at)), ["id"]);
        let at = text.find("kind").unwrap();
        assert_eq!(labels(proto(text, at)).len(), PROTO_KEYS.len());
        assert_eq!(
            labels(proto(text, text.find("string id").unwrap())),
            Vec::<String>::new()
        );
    }
}
