//! Requests: what the server advertises and how each request is answered, over the last analysis
//! of the document's workspace (symbols of a `.proto` file come from the tolerant scanner, so they
//! survive a file that does not load).

use herald_codegen::model::{EventSet, Format, TypeDef, TypeKind, TypeRef};
use herald_codegen::proto::scan;
use herald_codegen::span::{SourceFile, SourceMap, Span};
use lsp_server::{ErrorCode, Request, Response};
use lsp_types as lsp;
use lsp_types::request::Request as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::analysis::{Analysis, Workspace};
use crate::text::{offset_in, path_to_uri, range_in, Encoding, Lines};
use crate::Server;

/// The capabilities the server implements, and only those.
pub fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            ..lsp::TextDocumentSyncOptions::default()
        })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".to_owned(), "\"".to_owned(), ":".to_owned()]),
            ..lsp::CompletionOptions::default()
        }),
        ..lsp::ServerCapabilities::default()
    }
}

/// Answers one request (not `shutdown`, which the loop handles).
pub fn handle(server: &Server, r: Request) -> Response {
    use lsp::request as req;
    match r.method.as_str() {
        req::DocumentSymbolRequest::METHOD => answer(r, |p: lsp::DocumentSymbolParams| {
            Ok(document_symbols(server, &p.text_document.uri).map(lsp::DocumentSymbolResponse::Nested))
        }),
        req::WorkspaceSymbolRequest::METHOD => answer(r, |p: lsp::WorkspaceSymbolParams| {
            Ok(Some(lsp::WorkspaceSymbolResponse::Flat(workspace_symbols(
                server, &p.query,
            ))))
        }),
        req::HoverRequest::METHOD => answer(r, |p: lsp::HoverParams| {
            Ok(hover(server, &p.text_document_position_params))
        }),
        req::GotoDefinition::METHOD => answer(r, |p: lsp::GotoDefinitionParams| {
            Ok(definition(server, &p.text_document_position_params).map(lsp::GotoDefinitionResponse::Scalar))
        }),
        req::References::METHOD => answer(r, |p: lsp::ReferenceParams| Ok(references(server, &p))),
        req::Completion::METHOD => answer(r, |p: lsp::CompletionParams| {
            Ok(completion(server, &p.text_document_position).map(lsp::CompletionResponse::Array))
        }),
        req::CodeActionRequest::METHOD => answer(r, |p: lsp::CodeActionParams| Ok(code_actions(server, &p))),
        req::Rename::METHOD => answer(r, |p: lsp::RenameParams| rename(server, &p)),
        req::Formatting::METHOD => answer(r, |p: lsp::DocumentFormattingParams| {
            formatting(server, &p.text_document.uri)
        }),
        _ => Response::new_err(
            r.id,
            ErrorCode::MethodNotFound as i32,
            format!("unknown method {}", r.method),
        ),
    }
}

/// Decodes the parameters, runs `f`, encodes its result or error.
fn answer<P: DeserializeOwned, R: Serialize>(r: Request, f: impl FnOnce(P) -> Result<R, String>) -> Response {
    let params = match serde_json::from_value::<P>(r.params) {
        Ok(p) => p,
        Err(e) => return Response::new_err(r.id, ErrorCode::InvalidParams as i32, e.to_string()),
    };
    match f(params) {
        Ok(result) => Response::new_ok(r.id, result),
        Err(message) => Response::new_err(r.id, ErrorCode::RequestFailed as i32, message),
    }
}

/// The analysis of a document's workspace, its loaded model, and the document's file in it.
struct At<'a> {
    ws: &'a Workspace,
    analysis: &'a Analysis,
    set: &'a EventSet,
    file: herald_codegen::span::FileId,
    /// The byte offset of the request's position in the analysed text.
    offset: usize,
}

fn at<'a>(server: &'a Server, pos: &lsp::TextDocumentPositionParams) -> Option<At<'a>> {
    let (doc, ws) = server.doc(&pos.text_document.uri)?;
    let analysis = ws.analysis.as_ref()?;
    let set = analysis.set.as_ref()?;
    let name = ws.name_of(&doc.path)?;
    let file = set.sources_map.find(&name)?;
    let offset = offset_in(set.sources_map.get(file), pos.position, server.encoding);
    Some(At {
        ws,
        analysis,
        set,
        file,
        offset,
    })
}

fn contains(span: Span, file: herald_codegen::span::FileId, offset: usize) -> bool {
    span.file == file && (span.start as usize) <= offset && offset <= span.end as usize
}

fn location(sources: &SourceMap, span: Span, enc: Encoding) -> Option<lsp::Location> {
    let file = sources.get(span.file);
    let uri = path_to_uri(file.path.as_deref()?)?;
    Some(lsp::Location::new(
        uri,
        range_in(file, span.start as usize, span.end as usize, enc),
    ))
}

/// What the position points at: a named type (its definition, or a reference to it).
enum Target<'a> {
    Type(&'a TypeDef),
    /// A proto import: the imported file's path in the repo.
    Import(String),
    /// A span to jump to (a partition key's field).
    Span(Span),
}

fn target<'a>(at: &At<'a>) -> Option<Target<'a>> {
    let set = at.set;
    let sf = set.file(at.file)?;
    for import in &sf.imports {
        if contains(import.span, at.file, at.offset) {
            return Some(Target::Import(import.path.clone()));
        }
    }
    for ty in &set.types {
        if contains(ty.span, at.file, at.offset) {
            return Some(Target::Type(ty));
        }
        if let Some(Some(key)) = ty.event.as_ref().map(|e| e.partition_key.as_ref()) {
            if contains(key.span, at.file, at.offset) {
                if let TypeKind::Message(m) = &ty.kind {
                    return m
                        .fields
                        .iter()
                        .find(|f| f.name == key.value)
                        .map(|f| Target::Span(f.span));
                }
            }
        }
        let TypeKind::Message(m) = &ty.kind else { continue };
        for field in &m.fields {
            if !contains(field.type_span, at.file, at.offset) {
                continue;
            }
            let mut names = Vec::new();
            field.ty.named_refs(&mut names);
            let word = word_at(&set.sources_map.get(at.file).text, at.offset);
            let pick = names
                .iter()
                .find(|n| word.is_empty() || **n == word || n.ends_with(&format!(".{word}")))
                .or(names.first())?;
            return set.type_named(pick).map(Target::Type);
        }
    }
    None
}

/// The dotted identifier around `offset` (without quotes or a leading dot).
fn word_at(text: &str, offset: usize) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let offset = offset.min(text.len());
    let (Some(before), Some(after)) = (text.get(..offset), text.get(offset..)) else {
        return String::new();
    };
    let start = before.rfind(|c| !is_word(c)).map(|i| i + 1).unwrap_or(0);
    let end = after.find(|c| !is_word(c)).map(|i| offset + i).unwrap_or(text.len());
    text.get(start..end).unwrap_or("").trim_matches('.').to_owned()
}

fn definition(server: &Server, pos: &lsp::TextDocumentPositionParams) -> Option<lsp::Location> {
    let at = at(server, pos)?;
    match target(&at)? {
        Target::Type(ty) => location(&at.set.sources_map, ty.span, server.encoding),
        Target::Span(span) => location(&at.set.sources_map, span, server.encoding),
        Target::Import(path) => {
            let uri = path_to_uri(&at.ws.root.join(path))?;
            Some(lsp::Location::new(uri, lsp::Range::default()))
        }
    }
}

/// Every place a named type is used (field types), and its definition when asked for.
fn references(server: &Server, p: &lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
    let at = at(server, &p.text_document_position)?;
    let Target::Type(wanted) = target(&at)? else {
        return None;
    };
    let mut out = Vec::new();
    if p.context.include_declaration {
        out.extend(location(&at.set.sources_map, wanted.span, server.encoding));
    }
    for ty in &at.set.types {
        let TypeKind::Message(m) = &ty.kind else { continue };
        for field in &m.fields {
            let mut names = Vec::new();
            field.ty.named_refs(&mut names);
            if names.contains(&wanted.full_name) {
                out.extend(location(&at.set.sources_map, field.type_span, server.encoding));
            }
        }
    }
    Some(out)
}

fn kind_name(ty: &TypeDef) -> &'static str {
    match (&ty.kind, ty.format) {
        (TypeKind::Message(_), Format::Proto) => "message",
        (TypeKind::Message(_), Format::Avro) => "record",
        (TypeKind::Enum(_), _) => "enum",
        (TypeKind::Fixed { .. }, _) => "fixed",
    }
}

fn hover(server: &Server, pos: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
    let at = at(server, pos)?;
    let Target::Type(ty) = target(&at)? else { return None };
    let mut text = format!("```text\n{} {}\n```\n", kind_name(ty), ty.full_name);
    if let Some(id) = at.set.by_name.get(&ty.full_name) {
        if let Some(event) = at.set.events.iter().find(|e| e.type_id == *id) {
            text.push_str(&format!(
                "\n**{}** `{}` version {}\n\n- partition key: `{}`\n",
                event.kind, event.name, event.version, event.partition_key
            ));
            if let Some(source) = event.source.and_then(|i| at.set.sources.get(i)) {
                text.push_str(&format!("- source: `{}`, topic `{}`\n", source.name, source.topic));
            }
            let released: Vec<&str> = at
                .analysis
                .lock
                .iter()
                .flat_map(|l| &l.releases)
                .filter(|r| r.event == event.name)
                .map(|r| r.version.as_str())
                .collect();
            if released.is_empty() {
                text.push_str("- never released\n");
            } else {
                text.push_str(&format!("- released: {}\n", released.join(", ")));
                text.push_str(&compatibility_line(at.analysis, &event.name));
            }
        }
    }
    for doc in [&ty.doc.leading, &ty.doc.trailing].into_iter().flatten() {
        text.push('\n');
        text.push_str(doc.trim());
        text.push('\n');
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: text,
        }),
        range: location(&at.set.sources_map, ty.span, server.encoding)
            .filter(|l| l.uri == pos.text_document.uri)
            .map(|l| l.range),
    })
}

/// Whether the current text of event `name` is compatible with its latest release in the lock:
/// the first finding of the lock's check about it (rule ID and message), if any.
fn compatibility_line(analysis: &Analysis, name: &str) -> String {
    let latest = analysis
        .lock
        .iter()
        .flat_map(|l| &l.releases)
        .filter(|r| r.event == name)
        .max_by_key(|r| r.version())
        .map(|r| r.version.as_str())
        .unwrap_or("?");
    let first = analysis
        .diagnostics
        .iter()
        .find(|d| d.check.is_some() && d.subject.as_deref() == Some(name));
    match first {
        None => format!("- compatible with the latest release, {latest}\n"),
        Some(d) => format!(
            "- **not compatible** with the latest release, {latest}: `{}` {}\n",
            d.rule.id, d.message
        ),
    }
}

#[allow(deprecated)] // DocumentSymbol::deprecated has no default and must be written
fn symbol(
    name: &str,
    detail: Option<String>,
    kind: lsp::SymbolKind,
    range: lsp::Range,
    selection: lsp::Range,
    children: Vec<lsp::DocumentSymbol>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: if name.is_empty() {
            "?".to_owned()
        } else {
            name.to_owned()
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children: (!children.is_empty()).then_some(children),
    }
}

fn document_symbols(server: &Server, uri: &lsp::Uri) -> Option<Vec<lsp::DocumentSymbol>> {
    let (doc, ws) = server.doc(uri)?;
    let enc = server.encoding;
    if doc.path.extension().is_some_and(|e| e == "proto") {
        let lines = Lines::new(&doc.text);
        let tokens = scan::tokenize(lines.text()).ok()?;
        let outline = scan::outline(lines.text(), &tokens);
        let file = lines.file();
        let mut out: Vec<lsp::DocumentSymbol> = outline.messages.iter().map(|m| proto_message(file, m, enc)).collect();
        out.extend(outline.enums.iter().map(|e| proto_enum(file, e, enc)));
        for s in &outline.services {
            let rpcs = s
                .rpcs
                .iter()
                .map(|(name, decl)| {
                    let r = range_in(file, decl.0, decl.1, enc);
                    symbol(name, None, lsp::SymbolKind::METHOD, r, r, Vec::new())
                })
                .collect();
            let r = range_in(file, s.decl.0, s.decl.1, enc);
            out.push(symbol(&s.name, None, lsp::SymbolKind::INTERFACE, r, r, rpcs));
        }
        return Some(out);
    }
    // Avro: from the model of the last analysis that loaded.
    let set = ws.analysis.as_ref()?.set.as_ref()?;
    let id = set.sources_map.find(&ws.name_of(&doc.path)?)?;
    let file = set.sources_map.get(id);
    let mut out = Vec::new();
    for ty in set.types.iter().filter(|t| t.file == id) {
        let sel = range_in(file, ty.span.start as usize, ty.span.end as usize, enc);
        let (kind, children) = match &ty.kind {
            TypeKind::Message(m) => (
                lsp::SymbolKind::STRUCT,
                m.fields
                    .iter()
                    .map(|f| {
                        let r = range_in(file, f.span.start as usize, f.span.end as usize, enc);
                        symbol(
                            &f.name,
                            Some(type_text(&f.ty)),
                            lsp::SymbolKind::FIELD,
                            r,
                            r,
                            Vec::new(),
                        )
                    })
                    .collect(),
            ),
            TypeKind::Enum(e) => (
                lsp::SymbolKind::ENUM,
                e.values
                    .iter()
                    .map(|v| {
                        let r = range_in(file, v.span.start as usize, v.span.end as usize, enc);
                        symbol(&v.name, None, lsp::SymbolKind::ENUM_MEMBER, r, r, Vec::new())
                    })
                    .collect(),
            ),
            TypeKind::Fixed { .. } => (lsp::SymbolKind::STRUCT, Vec::new()),
        };
        let detail = match &ty.kind {
            TypeKind::Fixed { size } => format!("fixed({size})"),
            _ => kind_name(ty).to_owned(),
        };
        out.push(symbol(&ty.name, Some(detail), kind, sel, sel, children));
    }
    Some(out)
}

fn type_text(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Scalar(s) => s.name(Format::Avro).to_owned(),
        TypeRef::Named(n) => n.clone(),
        TypeRef::Array(t) => format!("array<{}>", type_text(t)),
        TypeRef::Map(k, v) => format!("map<{}, {}>", type_text(k), type_text(v)),
        TypeRef::Union(b) => b.iter().map(type_text).collect::<Vec<_>>().join(" | "),
        TypeRef::Logical(l, t) => format!("{l:?}({})", type_text(t)),
    }
}

fn proto_message(file: &SourceFile, m: &scan::MessageDecl, enc: Encoding) -> lsp::DocumentSymbol {
    let mut children: Vec<lsp::DocumentSymbol> = m
        .fields
        .iter()
        .map(|f| {
            let r = range_in(file, f.decl.0, f.decl.1, enc);
            let sel = range_in(file, f.span.0, f.span.1, enc);
            symbol(
                &f.name,
                Some(f.type_text.clone()),
                lsp::SymbolKind::FIELD,
                r,
                sel,
                Vec::new(),
            )
        })
        .collect();
    children.extend(m.messages.iter().map(|n| proto_message(file, n, enc)));
    children.extend(m.enums.iter().map(|e| proto_enum(file, e, enc)));
    let r = range_in(file, m.decl.0, m.decl.1, enc);
    let sel = range_in(file, m.span.0, m.span.1, enc);
    symbol(&m.name, None, lsp::SymbolKind::STRUCT, cover(r, sel), sel, children)
}

fn proto_enum(file: &SourceFile, e: &scan::EnumDecl, enc: Encoding) -> lsp::DocumentSymbol {
    let values = e
        .values
        .iter()
        .map(|v| {
            let r = range_in(file, v.decl.0, v.decl.1, enc);
            let sel = range_in(file, v.span.0, v.span.1, enc);
            symbol(
                &v.name,
                None,
                lsp::SymbolKind::ENUM_MEMBER,
                cover(r, sel),
                sel,
                Vec::new(),
            )
        })
        .collect();
    let r = range_in(file, e.decl.0, e.decl.1, enc);
    let sel = range_in(file, e.span.0, e.span.1, enc);
    symbol(&e.name, None, lsp::SymbolKind::ENUM, cover(r, sel), sel, values)
}

/// `range` grown to contain `inner` (the protocol requires the selection inside the range).
fn cover(range: lsp::Range, inner: lsp::Range) -> lsp::Range {
    let key = |p: lsp::Position| (p.line, p.character);
    lsp::Range::new(
        if key(inner.start) < key(range.start) {
            inner.start
        } else {
            range.start
        },
        if key(inner.end) > key(range.end) {
            inner.end
        } else {
            range.end
        },
    )
}

#[allow(deprecated)] // SymbolInformation::deprecated has no default and must be written
fn workspace_symbols(server: &Server, query: &str) -> Vec<lsp::SymbolInformation> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for ws in server.workspaces.values() {
        let Some(set) = ws.analysis.as_ref().and_then(|a| a.set.as_ref()) else {
            continue;
        };
        for ty in &set.types {
            if set.is_builtin(ty) || !ty.full_name.to_lowercase().contains(&query) {
                continue;
            }
            let Some(location) = location(&set.sources_map, ty.span, server.encoding) else {
                continue;
            };
            let is_event = set
                .by_name
                .get(&ty.full_name)
                .is_some_and(|id| set.events.iter().any(|e| e.type_id == *id));
            out.push(lsp::SymbolInformation {
                name: ty.full_name.clone(),
                kind: match (&ty.kind, is_event) {
                    (_, true) => lsp::SymbolKind::EVENT,
                    (TypeKind::Enum(_), _) => lsp::SymbolKind::ENUM,
                    _ => lsp::SymbolKind::STRUCT,
                },
                tags: None,
                deprecated: None,
                location,
                container_name: Some(kind_name(ty).to_owned()),
            });
        }
    }
    out
}

/// The whole document replaced by [`herald_codegen::fmt::format`]'s output; its error as the
/// request's error.
fn formatting(server: &Server, uri: &lsp::Uri) -> Result<Option<Vec<lsp::TextEdit>>, String> {
    let Some((doc, _)) = server.doc(uri) else {
        return Ok(None);
    };
    let format = match doc.path.extension().and_then(|e| e.to_str()) {
        Some("proto") => Format::Proto,
        Some("avsc") => Format::Avro,
        _ => return Ok(None),
    };
    let formatted = herald_codegen::fmt::format(format, &doc.text).map_err(|e| e.message)?;
    if formatted == doc.text {
        return Ok(Some(Vec::new()));
    }
    let lines = Lines::new(&doc.text);
    let end = range_in(lines.file(), 0, doc.text.len(), server.encoding).end;
    Ok(Some(vec![lsp::TextEdit::new(
        lsp::Range::new(lsp::Position::new(0, 0), end),
        formatted,
    )]))
}

const PROTO_SCALARS: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
    "sfixed64", "bool", "string", "bytes",
];
const AVRO_PRIMITIVES: &[&str] = &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
const AVRO_LOGICAL: &[&str] = &[
    "decimal",
    "uuid",
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
    "duration",
];
/// herald.toml's tables and keys (as `config.rs` reads them).
const TOML_KEYS: &[(&str, &str)] = &[
    ("[repo]", "the repo's settings"),
    ("name", "[repo] the repo's name"),
    ("compatibility", "[repo] / [sources.NAME] the compatibility mode"),
    ("[sources.NAME]", "a service that publishes events and handles commands"),
    ("topic", "[sources.NAME] the Kafka topic (default: the source's name)"),
    ("schemas", "[sources.NAME] globs of the source's schema files"),
    ("partitions", "[sources.NAME] the topic's partition count"),
    ("[lint]", "lint settings"),
    ("disable", "[lint] rule IDs not reported"),
    ("[check]", "herald check settings"),
    ("except", "[check] rule IDs not reported"),
    ("ignore", "[check] paths not checked"),
    ("ignore_only", "[check] paths not checked by one rule"),
    ("deletions", "[check] \"error\" or \"warning\""),
    ("[lsp]", "language server settings"),
    ("baseline", "[lsp] a \"git:REV\" checked besides herald.lock"),
];

fn item(label: &str, kind: lsp::CompletionItemKind, detail: Option<String>) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail,
        ..lsp::CompletionItem::default()
    }
}

/// Names that fit where the cursor is: inside herald's event metadata its keys and values
/// ([`crate::metadata`]); for `.proto`, `kind:` values after `kind:`, else scalar
/// types and the repo's proto types (by simple name in the file's package, else full name); for
/// `.avsc`, primitives, logical types and the repo's Avro named types; for herald.toml, its keys.
fn completion(server: &Server, pos: &lsp::TextDocumentPositionParams) -> Option<Vec<lsp::CompletionItem>> {
    let (doc, ws) = server.doc(&pos.text_document.uri)?;
    let lines = Lines::new(&doc.text);
    let offset = lines.offset(pos.position, server.encoding);
    let line_start = lines.text().get(..offset)?.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = lines.text().get(line_start..offset)?;
    let set = ws.analysis.as_ref().and_then(|a| a.set.as_ref());
    let name = doc.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut out = Vec::new();
    if name == crate::analysis::CONFIG_FILE {
        for (key, detail) in TOML_KEYS {
            out.push(item(key, lsp::CompletionItemKind::PROPERTY, Some((*detail).to_owned())));
        }
        return Some(out);
    }
    let format = if name.ends_with(".proto") {
        Format::Proto
    } else if name.ends_with(".avsc") {
        Format::Avro
    } else {
        // Another file the editor attached the server to (a JSON or TOML file): nothing to offer.
        return None;
    };
    let metadata = match format {
        Format::Proto => crate::metadata::proto(lines.text(), offset),
        Format::Avro => crate::metadata::avro(lines.text(), offset),
    };
    if let Some(items) = metadata {
        return Some(items);
    }
    if format == Format::Proto && before.trim_end().ends_with("kind:") {
        for kind in ["EVENT", "COMMAND"] {
            out.push(item(kind, lsp::CompletionItemKind::ENUM_MEMBER, None));
        }
        return Some(out);
    }
    let scalars = if format == Format::Proto {
        PROTO_SCALARS
    } else {
        AVRO_PRIMITIVES
    };
    out.extend(scalars.iter().map(|s| item(s, lsp::CompletionItemKind::KEYWORD, None)));
    if format == Format::Avro {
        out.extend(
            AVRO_LOGICAL
                .iter()
                .map(|s| item(s, lsp::CompletionItemKind::KEYWORD, Some("logicalType".to_owned()))),
        );
    }
    let Some(set) = set else { return Some(out) };
    let package = ws
        .name_of(&doc.path)
        .and_then(|n| set.sources_map.find(&n))
        .and_then(|id| set.file(id))
        .and_then(|f| f.package.clone());
    for ty in set.types.iter().filter(|t| t.format == format && !set.is_builtin(t)) {
        let in_package = package
            .as_deref()
            .is_some_and(|p| ty.full_name.strip_prefix(p).is_some_and(|r| r.starts_with('.')));
        let label = match (format, in_package) {
            (Format::Proto, true) => package
                .as_deref()
                .and_then(|p| ty.full_name.get(p.len() + 1..))
                .unwrap_or(&ty.full_name)
                .to_owned(),
            _ => ty.full_name.clone(),
        };
        let kind = match ty.kind {
            TypeKind::Enum(_) => lsp::CompletionItemKind::ENUM,
            _ => lsp::CompletionItemKind::STRUCT,
        };
        out.push(item(&label, kind, Some(format!("{} {}", kind_name(ty), ty.full_name))));
    }
    Some(out)
}

/// Renames a named type: its name where it is defined and every field type that refers to it
/// (the simple name only, so a qualified reference stays qualified). A reference whose span holds
/// the definition (an Avro type defined inline) is the definition itself. References the model
/// does not record as field types (proto rpc signatures, Avro aliases) are not renamed.
fn rename(server: &Server, p: &lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>, String> {
    let Some(at) = at(server, &p.text_document_position) else {
        return Ok(None);
    };
    let Some(Target::Type(ty)) = target(&at) else {
        return Ok(None);
    };
    let new = p.new_name.as_str();
    let valid = new.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!("`{new}` is not a valid type name"));
    }
    let mut spans = vec![ty.span];
    for other in &at.set.types {
        let TypeKind::Message(m) = &other.kind else { continue };
        for field in &m.fields {
            let mut names = Vec::new();
            field.ty.named_refs(&mut names);
            let holds_definition = field.type_span.file == ty.span.file
                && field.type_span.start <= ty.span.start
                && ty.span.end <= field.type_span.end;
            if names.contains(&ty.full_name) && !holds_definition {
                spans.push(field.type_span);
            }
        }
    }
    // WorkspaceEdit's map is keyed by Uri, whose interior mutability (a lazily parsed cache) does
    // not change its hash or equality.
    #[allow(clippy::mutable_key_type)]
    let mut changes: std::collections::HashMap<lsp::Uri, Vec<lsp::TextEdit>> = std::collections::HashMap::new();
    for span in spans {
        let file = at.set.sources_map.get(span.file);
        let Some(uri) = file.path.as_deref().and_then(path_to_uri) else {
            continue;
        };
        let (start, end) = (span.start as usize, span.end as usize);
        let Some(text) = file.text.get(start..end) else {
            continue;
        };
        for offset in word_occurrences(text, &ty.name) {
            let range = range_in(file, start + offset, start + offset + ty.name.len(), server.encoding);
            changes
                .entry(uri.clone())
                .or_default()
                .push(lsp::TextEdit::new(range, new.to_owned()));
        }
    }
    if let Some(id) = at.set.by_name.get(&ty.full_name) {
        let released: Vec<&str> = match at.set.events.iter().find(|e| e.type_id == *id) {
            Some(event) => at
                .analysis
                .lock
                .iter()
                .flat_map(|l| &l.releases)
                .filter(|r| r.event == event.name)
                .map(|r| r.version.as_str())
                .collect(),
            None => Vec::new(),
        };
        if !released.is_empty() {
            server.show_message(
                lsp::MessageType::WARNING,
                format!(
                    "{} is a released event ({}): renaming its type changes what herald check compares against herald.lock",
                    ty.full_name,
                    released.join(", ")
                ),
            );
        }
    }
    Ok(Some(lsp::WorkspaceEdit::new(changes)))
}

/// Byte offsets of `word` in `text` not preceded or followed by an identifier character (a `.`
/// before it is fine: a qualified name's last part).
fn word_occurrences(text: &str, word: &str) -> Vec<usize> {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = text.get(..*i).and_then(|t| t.chars().next_back());
            let after = text.get(i + word.len()..).and_then(|t| t.chars().next());
            !ident(before) && !ident(after)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Quick fixes for the findings of the last analysis over the requested range: a version not
/// bumped gets the next MINOR, a breaking change without a new MAJOR the next MAJOR, a deleted
/// proto field `reserved` lines for its number and name, an Avro field added without a default a
/// default ([`crate::avro_default`]).
fn code_actions(server: &Server, p: &lsp::CodeActionParams) -> Option<lsp::CodeActionResponse> {
    use herald_codegen::rules;
    let (doc, ws) = server.doc(&p.text_document.uri)?;
    let analysis = ws.analysis.as_ref()?;
    let set = analysis.set.as_ref()?;
    let id = set.sources_map.find(&ws.name_of(&doc.path)?)?;
    let file = set.sources_map.get(id);
    let enc = server.encoding;
    let from = offset_in(file, p.range.start, enc);
    let to = offset_in(file, p.range.end, enc);
    let mut out = Vec::new();
    for d in analysis.diagnostics.iter().chain(&analysis.baseline_diagnostics) {
        if !d
            .span
            .is_some_and(|s| s.file == id && s.start as usize <= to && from <= s.end as usize)
        {
            continue;
        }
        let edits: Vec<(String, Span, String)> =
            if d.rule == rules::EVENT_VERSION_NOT_BUMPED || d.rule == rules::EVENT_RELEASED_VERSION_EDITED {
                bump(set, d.subject.as_deref(), false).into_iter().collect()
            } else if d.rule == rules::EVENT_BREAKING_WITHOUT_MAJOR {
                bump(set, d.subject.as_deref(), true).into_iter().collect()
            } else if [
                rules::FIELD_NO_DELETE,
                rules::FIELD_NO_DELETE_UNLESS_NAME_RESERVED,
                rules::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED,
            ]
            .contains(&d.rule)
            {
                reserve(set, d).into_iter().collect()
            } else if d.rule == rules::AVRO_READER_FIELD_MISSING_DEFAULT {
                crate::avro_default::fixes(set, d)
                    .into_iter()
                    .filter(|fix| !fix.reorders || crate::avro_default::still_compatible(ws, analysis, fix))
                    .map(|fix| (fix.title, fix.span, fix.text))
                    .collect()
            } else {
                Vec::new()
            };
        for (title, span, text) in edits {
            // The deletion rules (name, number, field) share one fix.
            if out
                .iter()
                .any(|a| matches!(a, lsp::CodeActionOrCommand::CodeAction(a) if a.title == title))
            {
                continue;
            }
            let target = set.sources_map.get(span.file);
            let Some(uri) = target.path.as_deref().and_then(path_to_uri) else {
                continue;
            };
            let range = range_in(target, span.start as usize, span.end as usize, enc);
            // Keyed by Uri as in rename (its lazily parsed cache changes neither hash nor equality).
            #[allow(clippy::mutable_key_type)]
            let changes = std::iter::once((uri, vec![lsp::TextEdit::new(range, text)])).collect();
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![crate::analysis::to_lsp(d, &analysis.sources, enc)]),
                edit: Some(lsp::WorkspaceEdit::new(changes)),
                ..lsp::CodeAction::default()
            }));
        }
    }
    Some(out)
}

/// The edit setting event `name`'s version to its next MINOR (or MAJOR), where it is written.
fn bump(set: &EventSet, name: Option<&str>, major: bool) -> Option<(String, Span, String)> {
    let event = set.events.iter().find(|e| Some(e.name.as_str()) == name)?;
    let located = set.types.get(event.type_id)?.event.as_ref()?.version.as_ref()?;
    let v = event.version;
    let new = if major {
        format!("{}.0", v.major + 1)
    } else {
        format!("{}.{}", v.major, v.minor + 1)
    };
    let written = set.sources_map.text(located.span);
    if !written.contains(&located.value) {
        return None;
    }
    let text = written.replacen(&located.value, &new, 1);
    Some((format!("Bump {} to version {new}", event.name), located.span, text))
}

/// The edit reserving a deleted field's number and name, at the start of its message's body;
/// the number and name come from the finding's message (buf's wording).
fn reserve(set: &EventSet, d: &herald_codegen::diagnostic::Diagnostic) -> Option<(String, Span, String)> {
    let mut quoted = d.message.split('"').skip(1).step_by(2);
    let number: i64 = quoted.next()?.parse().ok()?;
    let name = quoted.next()?;
    let type_name = d.check.as_ref()?.type_name.as_deref()?;
    let ty = set.type_named(type_name)?;
    let file = set.sources_map.get(ty.span.file);
    let body = ty.span.end as usize + file.text.get(ty.span.end as usize..)?.find('{')? + 1;
    let span = Span::new(ty.span.file, body, body);
    let text = format!("\n  reserved {number};\n  reserved \"{name}\";");
    Some((format!("Reserve field number {number} and name \"{name}\""), span, text))
}
