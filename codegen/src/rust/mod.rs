//! Rust generation: the model → one formatted, deterministic Rust file per build.
//!
//! Layout of the generated file (every path in it is relative, so it can be included at any
//! module level): `proto` (prost's DTOs by package), `avro` (herald's DTOs by namespace),
//! `Event` impls, enum accessors, and one module per source with handlers, dispatchers and
//! publishers.

pub mod avro;
pub mod docs;
pub mod events;
mod format;
pub mod ident;
pub mod proto;

use crate::rules;
use std::collections::BTreeMap;

use quote::quote;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{EventSet, Format, TypeKind};
use events::{Role, Selected};

pub use crate::fingerprint::{avro_schema, crc64, proto_fingerprint};

/// Which sources a service produces and which events it consumes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Sources whose events this service publishes and whose commands it handles.
    pub produce: Vec<String>,
    /// Sources this service subscribes to, with the events (by name) it wants; empty = all.
    pub consume: Vec<(String, Vec<String>)>,
}

impl Selection {
    /// Every source, produced: what `herald generate` writes by default.
    pub fn everything(set: &EventSet) -> Selection {
        Selection {
            produce: set.sources.iter().map(|s| s.name.clone()).collect(),
            consume: Vec::new(),
        }
    }
}

/// A released Avro writer schema: what generated decoders accept besides the current schema
/// ([`crate::lock::avro_writers`] rebuilds them from `herald.lock`).
#[derive(Debug, Clone, PartialEq)]
pub struct AvroWriter {
    pub event: String,
    pub version: crate::model::Version,
    pub fingerprint: u64,
    /// The standalone schema JSON, as the generated code embeds it.
    pub schema: String,
}

/// Generates the Rust file. Errors (and warnings) are diagnostics; the text is returned only when
/// there is no error.
pub fn generate(set: &EventSet, selection: &Selection) -> (Option<String>, Vec<Diagnostic>) {
    generate_with(set, selection, &[])
}

/// [`generate`], with the released Avro writer schemas (from `herald.lock`) that each Avro event's
/// decoder accepts besides its current schema: those of the same MAJOR version.
/// Long because it holds the generator's phases in output order (roles per source, the selected
/// events, DTOs through prost-build, Avro types, `Event` impls, source modules, formatting). Each
/// phase's work is a function of its own; what stays here is the data handed from one phase to the
/// next, which splitting would only move into a struct with no other use.
pub fn generate_with(
    set: &EventSet,
    selection: &Selection,
    released: &[AvroWriter],
) -> (Option<String>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // Which events, in which role, per source.
    let mut roles: BTreeMap<usize, Vec<(Role, Vec<usize>)>> = BTreeMap::new();
    for name in &selection.produce {
        let Some(src) = set.sources.iter().position(|s| &s.name == name) else {
            diags.push(unknown_source(set, name));
            continue;
        };
        let events: Vec<usize> = (0..set.events.len())
            .filter(|i| set.events[*i].source == Some(src))
            .collect();
        roles.entry(src).or_default().push((Role::Produce, events));
    }
    for (name, wanted) in &selection.consume {
        let Some(src) = set.sources.iter().position(|s| &s.name == name) else {
            diags.push(unknown_source(set, name));
            continue;
        };
        let mut events = Vec::new();
        for w in wanted {
            let found = set.events_named(src, w);
            if found.is_empty() {
                let known: Vec<&str> = set
                    .events
                    .iter()
                    .filter(|e| e.source == Some(src))
                    .map(|e| e.name.as_str())
                    .collect();
                diags.push(
                    Diagnostic::error(
                        rules::CODEGEN_UNKNOWN_EVENT,
                        format!("source `{name}` has no event `{w}`"),
                    )
                    .help({
                        let short = |n: &'_ str| n.rsplit('.').next().unwrap_or(n).to_owned();
                        let shorts: Vec<String> = known.iter().map(|n| short(n)).collect();
                        let candidates = known.iter().copied().chain(shorts.iter().map(String::as_str));
                        match crate::suggest::did_you_mean(w, candidates) {
                            Some(suggestion) => format!("{suggestion} (its events: {})", known.join(", ")),
                            None => format!("its events: {}", known.join(", ")),
                        }
                    }),
                );
            }
            events.extend(found);
        }
        if wanted.is_empty() {
            events = (0..set.events.len())
                .filter(|i| set.events[*i].source == Some(src))
                .collect();
        }
        events.sort_unstable();
        events.dedup();
        roles.entry(src).or_default().push((Role::Consume, events));
    }

    // Every selected event once, with its path, fingerprint and (Avro) schema.
    let mut chosen: Vec<usize> = roles.values().flatten().flat_map(|(_, e)| e.iter().copied()).collect();
    chosen.sort_unstable();
    chosen.dedup();
    let mut selected: BTreeMap<usize, Selected<'_>> = BTreeMap::new();
    for &i in &chosen {
        let event = &set.events[i];
        let ty = &set.types[event.type_id];
        let (fingerprint, avro_schema) = match ty.format {
            Format::Avro => match avro_schema(set, &ty.full_name) {
                Ok((fp, text)) => (fp, Some(text)),
                Err(message) => {
                    diags.push(Diagnostic::error(rules::CODEGEN_AVRO_SCHEMA, message).at(ty.span));
                    continue;
                }
            },
            Format::Proto => (proto_fingerprint(set, ty), None),
        };
        let mut older_writers: Vec<(u64, String)> = released
            .iter()
            .filter(|w| w.event == event.name && w.version.major == event.version.major && w.fingerprint != fingerprint)
            .map(|w| (w.fingerprint, w.schema.clone()))
            .collect();
        older_writers.sort();
        older_writers.dedup_by_key(|(fp, _)| *fp);
        selected.insert(
            i,
            Selected {
                event,
                ty,
                path: events::type_path(set, ty),
                fingerprint,
                avro_schema,
                older_writers,
            },
        );
    }

    // DTOs.
    let proto_types: Vec<_> = selected
        .values()
        .filter(|s| s.ty.format == Format::Proto)
        .map(|s| s.ty)
        .collect();
    let proto_files = proto::files_for(set, &proto_types);
    let proto_code = if proto_files.is_empty() {
        String::new()
    } else {
        proto::generate(set, &proto_files, &mut diags)
    };
    let enum_access = proto::enum_accessors(set, &proto_files, &mut diags);
    let avro_roots: Vec<String> = selected
        .values()
        .filter(|s| s.ty.format == Format::Avro)
        .map(|s| s.ty.full_name.clone())
        .collect();
    let avro_names = avro::closure(set, &avro_roots);
    let avro_code = if avro_names.is_empty() {
        quote!()
    } else {
        avro::generate(set, &avro_names, &mut diags)
    };

    let impls = selected.values().map(|s| events::event_impl(set, s));
    let mut modules = Vec::new();
    for (src, list) in &roles {
        let source = &set.sources[*src];
        let per_role: Vec<(Role, Vec<&Selected<'_>>)> = list
            .iter()
            .map(|(role, evs)| (*role, evs.iter().filter_map(|i| selected.get(i)).collect()))
            .collect();
        modules.push(events::source_module(
            set,
            &source.name,
            &source.topic,
            &per_role,
            &mut diags,
        ));
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return (None, diags);
    }
    let repo = set
        .config
        .as_ref()
        .and_then(|c| c.name.clone())
        .unwrap_or_else(|| "schemas".into());
    // herald's items are formatted one by one (on every core) and joined in order after prost's;
    // a source module's items are formatted separately and nested.
    let mut pieces: Vec<String> = Vec::new();
    let mut layout: Vec<Layout> = Vec::new();
    let mut push = |tokens: proc_macro2::TokenStream, layout: &mut Vec<Layout>, nested: bool| {
        let text = tokens.to_string();
        if !text.is_empty() {
            layout.push(Layout::Piece(pieces.len(), nested));
            pieces.push(text);
        }
    };
    push(avro_code, &mut layout, false);
    for item in enum_access.into_iter().chain(impls) {
        push(item, &mut layout, false);
    }
    for module in modules {
        layout.push(Layout::Open(module.doc, module.name));
        for item in module.items {
            push(item, &mut layout, true);
        }
        layout.push(Layout::Close);
    }
    match format::format_all(pieces) {
        Ok(formatted) => {
            let mut out = format!(
                "// @generated by herald-codegen {} from the schema repo `{repo}`. Do not edit.\n\n",
                env!("CARGO_PKG_VERSION")
            );
            out.push_str(&proto_code);
            for entry in layout {
                match entry {
                    Layout::Piece(i, nested) => format::indent(&formatted[i], usize::from(nested), &mut out),
                    Layout::Open(doc, name) => out.push_str(&format!("///{doc}\npub mod {name} {{\n")),
                    Layout::Close => out.push_str("}\n"),
                }
            }
            (Some(out), diags)
        }
        Err(e) => {
            diags.push(Diagnostic::error(rules::CODEGEN_INTERNAL, e));
            (None, diags)
        }
    }
}

/// Where each formatted piece goes in the output.
enum Layout {
    /// Piece index, nested in a source module.
    Piece(usize, bool),
    Open(String, String),
    Close,
}

fn unknown_source(set: &EventSet, name: &str) -> Diagnostic {
    let known: Vec<&str> = set.sources.iter().map(|s| s.name.as_str()).collect();
    Diagnostic::error(
        rules::CODEGEN_UNKNOWN_SOURCE,
        format!("no source `{name}` in herald.toml"),
    )
    .help(if known.is_empty() {
        "herald.toml declares no sources".to_owned()
    } else {
        match crate::suggest::did_you_mean(name, known.iter().copied()) {
            Some(suggestion) => format!("{suggestion} (sources: {})", known.join(", ")),
            None => format!("sources: {}", known.join(", ")),
        }
    })
}

/// The schema fingerprint of an event's type, as the generated `Event` impl carries it.
pub fn event_fingerprint(set: &EventSet, ty: &crate::model::TypeDef) -> Result<u64, String> {
    match ty.format {
        Format::Avro => avro_schema(set, &ty.full_name).map(|(fp, _)| fp),
        Format::Proto => Ok(proto_fingerprint(set, ty)),
    }
}

/// Whether a type is an enum (used by lint and generators alike).
pub fn is_enum(set: &EventSet, name: &str) -> bool {
    matches!(set.type_named(name).map(|t| &t.kind), Some(TypeKind::Enum(_)))
}
