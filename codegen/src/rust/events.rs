//! What herald adds around the DTOs: an `Event` impl per event and command, and per source a
//! module with the subscribed-events enum, the handler trait, the dispatcher and typed publishers.

use crate::rules;
use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{avro, ident, proto};
use crate::diagnostic::Diagnostic;
use crate::model::{Event, EventKind, EventSet, Format, Logical, Scalar, TypeDef, TypeKind, TypeRef};
use crate::naming::{snake_case, upper_camel_case};

/// An event chosen for generation, with what the generated code needs to know about it.
pub struct Selected<'a> {
    pub event: &'a Event,
    pub ty: &'a TypeDef,
    /// Path from the include root, e.g. `proto::acme::user::v1::UserUpdated`.
    pub path: TokenStream,
    pub fingerprint: u64,
    /// Avro: the standalone schema text embedded for the codec.
    pub avro_schema: Option<String>,
    /// Avro: released writer schemas of the same MAJOR (fingerprint, text) the decoder accepts.
    pub older_writers: Vec<(u64, String)>,
}

impl Selected<'_> {
    fn short_name(&self) -> &str {
        self.event.name.rsplit('.').next().unwrap_or(&self.event.name)
    }
}

/// `impl herald_runtime::Event for ...` for one event.
pub fn event_impl(set: &EventSet, s: &Selected<'_>) -> TokenStream {
    let path = &s.path;
    let name = &s.event.name;
    let major = proc_macro2::Literal::u32_unsuffixed(s.event.version.major);
    let minor = proc_macro2::Literal::u32_unsuffixed(s.event.version.minor);
    let kind = match s.event.kind {
        EventKind::Event => quote!(::herald_runtime::Kind::Event),
        EventKind::Command => quote!(::herald_runtime::Kind::Command),
    };
    let source = s.event.source.and_then(|i| set.sources.get(i));
    let source_name = source.map(|s| s.name.as_str()).unwrap_or_default();
    let topic = source.map(|s| s.topic.as_str()).unwrap_or_default();
    let fp = hex_literal(s.fingerprint);
    let older_fps: Vec<syn::LitInt> = s.older_writers.iter().map(|(f, _)| hex_literal(*f)).collect();
    let older_texts: Vec<&String> = s.older_writers.iter().map(|(_, t)| t).collect();
    let key = partition_key_expr(set, s);
    let (content_type, codec, extra) = match (&s.ty.format, &s.avro_schema) {
        (Format::Avro, Some(schema)) => (
            quote!(::herald_runtime::CONTENT_TYPE_AVRO),
            quote! {
                fn encode(&self) -> ::core::result::Result<::std::vec::Vec<u8>, ::herald_runtime::CodecError> {
                    ::herald_runtime::avro::encode(self, Self::avro_schema()?, #fp)
                }
                fn decode(payload: &[u8]) -> ::core::result::Result<Self, ::herald_runtime::CodecError> {
                    Self::avro_decoder()?.decode(payload)
                }
            },
            quote! {
                impl #path {
                    /// The Avro schema this type is written with (standalone JSON).
                    pub const AVRO_SCHEMA: &'static str = #schema;

                    /// The writer schemas a payload may carry, by fingerprint: this one and every
                    /// released version of the same MAJOR in `herald.lock`.
                    pub const AVRO_WRITERS: &'static [(u64, &'static str)] = &[(#fp, Self::AVRO_SCHEMA) #(, (#older_fps, #older_texts))*];

                    /// The parsed schema, parsed once.
                    pub fn avro_schema() -> ::core::result::Result<&'static ::herald_runtime::apache_avro::Schema, ::herald_runtime::CodecError> {
                        static SCHEMA: ::std::sync::OnceLock<::herald_runtime::apache_avro::Schema> = ::std::sync::OnceLock::new();
                        ::herald_runtime::avro::schema(&SCHEMA, Self::AVRO_SCHEMA)
                    }

                    /// The parsed writer schemas, parsed once.
                    pub fn avro_writers() -> ::core::result::Result<&'static [(u64, ::herald_runtime::apache_avro::Schema)], ::herald_runtime::CodecError> {
                        static WRITERS: ::std::sync::OnceLock<::std::vec::Vec<(u64, ::herald_runtime::apache_avro::Schema)>> = ::std::sync::OnceLock::new();
                        ::herald_runtime::avro::writers(&WRITERS, Self::AVRO_WRITERS)
                    }

                    /// The resolving readers from every writer schema into this one, built once.
                    pub fn avro_decoder() -> ::core::result::Result<&'static ::herald_runtime::avro::Decoder<'static>, ::herald_runtime::CodecError> {
                        static DECODER: ::std::sync::OnceLock<::herald_runtime::avro::Decoder<'static>> = ::std::sync::OnceLock::new();
                        ::herald_runtime::avro::decoder(&DECODER, Self::avro_schema()?, Self::avro_writers()?)
                    }
                }
            },
        ),
        _ => (
            quote!(::herald_runtime::CONTENT_TYPE_PROTOBUF),
            // Inlined where the event is dispatched or published: prost's generic encoder and
            // decoder are then built in the service's own crate, as its own prost calls are.
            quote! {
                #[inline]
                fn encode(&self) -> ::core::result::Result<::std::vec::Vec<u8>, ::herald_runtime::CodecError> {
                    ::core::result::Result::Ok(::herald_runtime::prost::Message::encode_to_vec(self))
                }
                #[inline(always)]
                fn decode(payload: &[u8]) -> ::core::result::Result<Self, ::herald_runtime::CodecError> {
                    ::herald_runtime::protobuf::decode(payload)
                }
            },
            quote!(),
        ),
    };
    quote! {
        impl ::herald_runtime::Event for #path {
            const TYPE: &'static str = #name;
            const VERSION: ::herald_runtime::Version = ::herald_runtime::Version::new(#major, #minor);
            const KIND: ::herald_runtime::Kind = #kind;
            const SOURCE: &'static str = #source_name;
            const TOPIC: &'static str = #topic;
            const CONTENT_TYPE: &'static str = #content_type;
            const SCHEMA_FINGERPRINT: u64 = #fp;

            fn partition_key(&self) -> ::std::string::String {
                #key
            }

            #codec
        }
        #extra
    }
}

/// An expression turning the partition key field into a string.
fn partition_key_expr(set: &EventSet, s: &Selected<'_>) -> TokenStream {
    let TypeKind::Message(m) = &s.ty.kind else {
        return quote!(::std::string::String::new());
    };
    let Some(field) = m.fields.iter().find(|f| f.name == s.event.partition_key) else {
        return quote!(::std::string::String::new());
    };
    let f = ident::ident(&ident::snake(&field.name));
    match (&s.ty.format, &field.ty) {
        (_, TypeRef::Scalar(Scalar::String)) => quote!(self.#f.clone()),
        (Format::Proto, TypeRef::Scalar(Scalar::Bytes)) => quote!(::herald_runtime::hex(&self.#f)),
        (Format::Avro, TypeRef::Scalar(Scalar::Bytes)) => quote!(::herald_runtime::hex(&self.#f)),
        (Format::Avro, TypeRef::Named(n)) => match set.type_named(n).map(|t| &t.kind) {
            Some(TypeKind::Enum(_)) => quote!(::std::string::String::from(self.#f.as_str())),
            Some(TypeKind::Fixed { .. }) => quote!(::herald_runtime::hex(&self.#f.0)),
            _ => quote!(::std::string::ToString::to_string(&self.#f)),
        },
        (Format::Avro, TypeRef::Logical(Logical::Decimal { .. }, _)) => {
            quote!(::std::string::ToString::to_string(&self.#f))
        }
        _ => quote!(::std::string::ToString::to_string(&self.#f)),
    }
}

/// What a service does with one source.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Publishes its events and handles its commands.
    Produce,
    /// Subscribes to its events and sends it commands.
    Consume,
}

/// The per-source module.
pub fn source_module(
    set: &EventSet,
    source: &str,
    topic: &str,
    roles: &[(Role, Vec<&Selected<'_>>)],
    diags: &mut Vec<Diagnostic>,
) -> SourceModule {
    let module = ident::ident(&ident::module(source));
    let doc = format!(" Source `{source}` (topic `{topic}`): its events and commands as this service uses them.");
    let mut items = Vec::new();
    let mut exports: BTreeMap<String, TokenStream> = BTreeMap::new();
    for (_, events) in roles {
        for s in events {
            let path = &s.path;
            let id = s.path.to_string().rsplit(' ').next().unwrap_or_default().to_owned();
            if let Some(prev) = exports.insert(id.clone(), quote!(super::super::#path)) {
                if prev.to_string() != quote!(super::super::#path).to_string() {
                    diags.push(
                        Diagnostic::error(
                            rules::CODEGEN_NAME_COLLISION,
                            format!("two types named `{id}` in source `{source}`"),
                        )
                        .at(s.ty.span)
                        .help("give one of the events a distinct `name`, or rename the type"),
                    );
                }
            }
        }
    }
    supporting_types(set, source, roles, &mut exports, diags);
    let exports = exports.values();
    items.push(quote! {
        /// The types of this source's selected events and commands, and the types they use
        /// (messages, records, enums, fixed), each by its own name.
        pub mod types {
            #( pub use #exports; )*
        }
        /// The source's name in herald.toml.
        pub const SOURCE: &str = #source;
        /// The topic its events (and the commands it handles) travel on.
        pub const TOPIC: &str = #topic;
    });
    let enum_base = upper_camel_case(source);
    for (role, events) in roles {
        let (handled, sent): (Vec<&Selected<'_>>, Vec<&Selected<'_>>) = match role {
            Role::Produce => events.iter().partition(|s| s.event.kind == EventKind::Command),
            Role::Consume => events.iter().partition(|s| s.event.kind == EventKind::Event),
        };
        let prefix = match role {
            Role::Produce => "Command",
            Role::Consume => "",
        };
        if !handled.is_empty() {
            items.push(handling(&enum_base, prefix, &handled, diags));
        }
        if !sent.is_empty() {
            items.push(publishing(role, &sent));
        }
    }
    SourceModule {
        doc,
        name: module.to_string(),
        items,
    }
}

/// Adds to `exports` every named type the selected events use (through fields, arrays, maps,
/// unions, nested messages), by its Rust name. A name that two such types share (or that an event
/// already has) is exported for neither, with a warning naming both paths.
fn supporting_types(
    set: &EventSet,
    source: &str,
    roles: &[(Role, Vec<&Selected<'_>>)],
    exports: &mut BTreeMap<String, TokenStream>,
    diags: &mut Vec<Diagnostic>,
) {
    let roots: Vec<String> = roles
        .iter()
        .flat_map(|(_, events)| events.iter().map(|s| s.ty.full_name.clone()))
        .collect();
    let events: std::collections::BTreeSet<&str> = roots.iter().map(String::as_str).collect();
    // Rust name -> (full name, span, path from the include root) of each type that wants it.
    let mut found: BTreeMap<String, Vec<(String, crate::span::Span, TokenStream)>> = BTreeMap::new();
    for name in avro::closure(set, &roots) {
        let Some(ty) = set.type_named(&name) else { continue };
        if ty.format == Format::Proto && proto::is_builtin_type(set, ty) {
            continue;
        }
        let path = type_path(set, ty);
        if ty.format == Format::Avro {
            // The enums herald generates for the record's multi-branch unions sit beside it.
            let module: Vec<_> = avro::module_parts(&ty.full_name)
                .into_iter()
                .map(|p| ident::ident(&p))
                .collect();
            for union in avro::union_enums(set, ty) {
                let name = ident::ident(&union);
                let full = format!("{}{union}", ty.full_name.strip_suffix(&ty.name).unwrap_or_default());
                found
                    .entry(union)
                    .or_default()
                    .push((full, ty.span, quote!(avro:: #(#module::)* #name)));
            }
        }
        if events.contains(name.as_str()) {
            continue;
        }
        let id = match ty.format {
            Format::Proto => ident::upper_camel(&ty.name),
            Format::Avro => avro::type_ident(ty),
        };
        found.entry(id).or_default().push((ty.full_name.clone(), ty.span, path));
    }
    for (id, types) in found {
        if let [(_, _, path)] = types.as_slice() {
            if let std::collections::btree_map::Entry::Vacant(slot) = exports.entry(id.clone()) {
                slot.insert(quote!(super::super::#path));
                continue;
            }
        }
        let names: Vec<String> = types.iter().map(|(full, _, _)| format!("`{full}`")).collect();
        diags.push(
            Diagnostic::warning(
                rules::CODEGEN_NAME_COLLISION,
                format!(
                    "`{source}::types::{id}` is not exported: the name is shared by {}{}",
                    names.join(", "),
                    if exports.contains_key(&id) { " and an event" } else { "" }
                ),
            )
            .at(types[0].1)
            .help("reach these types by their full paths under `proto::` or `avro::`"),
        );
    }
}

/// A per-source module: its doc line, name and items (formatted one by one, then nested).
pub struct SourceModule {
    pub doc: String,
    pub name: String,
    pub items: Vec<TokenStream>,
}

/// Variant and method names, with `V{major}` when one name has several majors here.
fn names(events: &[&Selected<'_>]) -> Vec<(String, String)> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for s in events {
        *count.entry(s.event.name.as_str()).or_default() += 1;
    }
    events
        .iter()
        .map(|s| {
            let short = s.short_name();
            if count.get(s.event.name.as_str()).copied().unwrap_or(0) > 1 {
                let major = s.event.version.major;
                (
                    format!("{}V{major}", upper_camel_case(short)),
                    format!("{}_v{major}", snake_case(short)),
                )
            } else {
                (upper_camel_case(short), snake_case(short))
            }
        })
        .collect()
}

/// Enum, handler trait, decode function and dispatcher for the events (or commands) a service handles.
/// Long because it is four `quote!` templates (the enum, the handler trait, the decode function,
/// the dispatcher) over the same per-event names, kept side by side so that they cannot drift
/// apart.
fn handling(enum_base: &str, prefix: &str, events: &[&Selected<'_>], diags: &mut Vec<Diagnostic>) -> TokenStream {
    let names = names(events);
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for ((variant, _), s) in names.iter().zip(events) {
        if let Some(other) = seen.insert(variant.clone(), s.event.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    rules::CODEGEN_NAME_COLLISION,
                    format!(
                        "events `{other}` and `{}` both become `{variant}` in one handler",
                        s.event.name
                    ),
                )
                .at(s.event.span)
                .help("give one of them a distinct `name`"),
            );
        }
    }
    let kind_word = if prefix.is_empty() { "Event" } else { "Command" };
    let enum_name = ident::ident(&format!("{enum_base}{kind_word}"));
    let trait_name = ident::ident(&format!("{prefix}Handler"));
    let dispatcher = ident::ident(&format!("{prefix}Dispatcher"));
    let decode_fn = ident::ident(if prefix.is_empty() { "decode" } else { "decode_command" });
    let mailbox_fn = ident::ident(if prefix.is_empty() {
        "mailbox"
    } else {
        "command_mailbox"
    });
    let types_const = ident::ident(if prefix.is_empty() {
        "EVENT_TYPES"
    } else {
        "COMMAND_TYPES"
    });
    let variants = names.iter().map(|(v, _)| ident::ident(v)).collect::<Vec<_>>();
    let methods = names
        .iter()
        .map(|(_, m)| ident::ident(&format!("on_{m}")))
        .collect::<Vec<_>>();
    let paths: Vec<TokenStream> = events
        .iter()
        .map(|s| {
            let p = &s.path;
            quote!(super::#p)
        })
        .collect();
    let type_names: Vec<&str> = events.iter().map(|s| s.event.name.as_str()).collect();
    // Routing compares bytes: no UTF-8 check of the incoming type per event.
    let type_bytes: Vec<proc_macro2::Literal> = type_names
        .iter()
        .map(|t| proc_macro2::Literal::byte_string(t.as_bytes()))
        .collect();
    let mut unique_types: Vec<&str> = type_names.clone();
    unique_types.dedup();
    unique_types.sort_unstable();
    unique_types.dedup();
    let majors: Vec<proc_macro2::Literal> = events
        .iter()
        .map(|s| proc_macro2::Literal::u32_unsuffixed(s.event.version.major))
        .collect();
    let method_docs = events
        .iter()
        .map(|s| format!(" Handles `{}` version {}.x.", s.event.name, s.event.version.major));
    let variant_docs = events
        .iter()
        .map(|s| format!(" `{}` {}.", s.event.name, s.event.version));
    // Known majors per type, for the error when a major is missing.
    let mut by_type: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for s in events {
        by_type
            .entry(s.event.name.as_str())
            .or_default()
            .push(s.event.version.major);
    }
    // `(type, major) => <the error>`, as an arm's value (`decode`) and returned (`dispatch`).
    let unknown_majors: Vec<(TokenStream, TokenStream)> = by_type
        .iter()
        .map(|(t, ms)| {
            let ms = ms.iter().map(|m| proc_macro2::Literal::u32_unsuffixed(*m));
            let t = proc_macro2::Literal::byte_string(t.as_bytes());
            let error = quote! { ::core::result::Result::Err(::herald_runtime::DispatchError::UnknownMajor { event_type: ctx.event_type().to_owned(), major, known: &[#(#ms),*] }) };
            (quote!((#t, major)), error)
        })
        .collect();
    let unknown_major_arms: Vec<TokenStream> = unknown_majors.iter().map(|(p, e)| quote!(#p => #e)).collect();
    let unknown_major_returns: Vec<TokenStream> = unknown_majors.iter().map(|(p, e)| quote!(#p => return #e)).collect();
    let enum_doc = format!(
        " Every {} this service handles from this source, for an actor-style `match`.",
        kind_word.to_lowercase()
    );
    quote! {
        #[doc = #enum_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #enum_name {
            #( #[doc = #variant_docs] #variants(#paths), )*
        }

        /// The event types (CloudEvents `type`) routed here.
        pub const #types_const: &[&str] = &[#(#unique_types),*];

        /// One method per subscription: the compiler reminds you of every one.
        pub trait #trait_name: ::core::marker::Send + ::core::marker::Sync {
            #(
                #[doc = #method_docs]
                fn #methods(&self, ctx: &::herald_runtime::Context, event: #paths) -> impl ::core::future::Future<Output = ::herald_runtime::HandlerResult> + ::core::marker::Send;
            )*
        }

        /// Decodes an event as it arrived into the typed enum, routing on type and MAJOR version.
        pub fn #decode_fn(ctx: &::herald_runtime::Context) -> ::core::result::Result<#enum_name, ::herald_runtime::DispatchError> {
            let decode_error = |error| ::herald_runtime::DispatchError::Decode { event_type: ctx.event_type().to_owned(), error };
            match (ctx.event_type_bytes(), ctx.version().major) {
                #( (#type_bytes, #majors) => <#paths as ::herald_runtime::Event>::from_context(ctx).map(#enum_name::#variants).map_err(decode_error), )*
                #( #unknown_major_arms, )*
                _ => ::core::result::Result::Err(::herald_runtime::DispatchError::UnknownType { event_type: ctx.event_type().to_owned() }),
            }
        }

        /// Routes events as they arrive to a handler.
        #[derive(Debug, Clone)]
        pub struct #dispatcher<H> {
            handler: H,
        }

        impl<H: #trait_name> #dispatcher<H> {
            pub fn new(handler: H) -> Self {
                Self { handler }
            }

            pub fn handler(&self) -> &H {
                &self.handler
            }

            /// Decodes the event and calls the handler's method for its type and MAJOR version.
            pub async fn dispatch(&self, ctx: &::herald_runtime::Context) -> ::core::result::Result<(), ::herald_runtime::DispatchError> {
                // Routed and decoded here rather than through the enum: the event goes straight
                // from the decoder to the handler. The decoded result is let go of before the
                // handler is awaited, so that the future holds the event once (in the handler's).
                let decode_error = |error| ::herald_runtime::DispatchError::Decode { event_type: ctx.event_type().to_owned(), error };
                let result = match (ctx.event_type_bytes(), ctx.version().major) {
                    #( (#type_bytes, #majors) => {
                        let event = match <#paths as ::herald_runtime::Event>::from_context(ctx) {
                            ::core::result::Result::Ok(event) => event,
                            ::core::result::Result::Err(error) => return ::core::result::Result::Err(decode_error(error)),
                        };
                        self.handler.#methods(ctx, event).await
                    } )*
                    #( #unknown_major_returns, )*
                    _ => return ::core::result::Result::Err(::herald_runtime::DispatchError::UnknownType { event_type: ctx.event_type().to_owned() }),
                };
                result.map_err(|error| ::herald_runtime::DispatchError::Handler { event_type: ctx.event_type().to_owned(), error })
            }
        }

        /// Actor style: a dispatcher that hands each decoded event to one task, which `match`es
        /// on it and acknowledges each [`::herald_runtime::mailbox::Letter`].
        pub fn #mailbox_fn(
            capacity: usize,
        ) -> (
            ::herald_runtime::mailbox::Mailbox<#enum_name>,
            ::herald_runtime::tokio::sync::mpsc::Receiver<::herald_runtime::mailbox::Letter<#enum_name>>,
        ) {
            ::herald_runtime::mailbox::mailbox(#decode_fn, #types_const, capacity)
        }

        impl<H: #trait_name> ::herald_runtime::Dispatch for #dispatcher<H> {
            fn event_types(&self) -> &'static [&'static str] {
                #types_const
            }

            fn dispatch(&self, ctx: &::herald_runtime::Context) -> impl ::core::future::Future<Output = ::core::result::Result<(), ::herald_runtime::DispatchError>> + ::core::marker::Send {
                #dispatcher::dispatch(self, ctx)
            }
        }
    }
}

/// Typed publishing helpers: `publish_<event>` for a producer, `send_<command>` for a sender.
fn publishing(role: &Role, events: &[&Selected<'_>]) -> TokenStream {
    let names = names(events);
    let verb = match role {
        Role::Produce => "publish",
        Role::Consume => "send",
    };
    let struct_name = ident::ident(match role {
        Role::Produce => "Publisher",
        Role::Consume => "Sender",
    });
    let methods = events.iter().zip(&names).map(|(s, (_, m))| {
        let path = &s.path;
        let plain = ident::ident(&format!("{verb}_{m}"));
        let caused = ident::ident(&format!("{verb}_{m}_caused_by"));
        let doc = format!(" {} `{}` {}.", if verb == "publish" { "Publishes" } else { "Sends" }, s.event.name, s.event.version);
        quote! {
            #[doc = #doc]
            pub async fn #plain(&self, event: &super::#path) -> ::core::result::Result<(), ::herald_runtime::PublishError> {
                self.inner.publish(&self.from, event, ::core::option::Option::None).await
            }

            /// The same, from inside a handler: carries the correlation id and sets the causation id.
            pub async fn #caused(&self, event: &super::#path, cause: &::herald_runtime::Context) -> ::core::result::Result<(), ::herald_runtime::PublishError> {
                self.inner.publish(&self.from, event, ::core::option::Option::Some(cause)).await
            }
        }
    });
    let constructor = match role {
        Role::Produce => quote! {
            /// Publishes as this source.
            pub fn new(inner: P) -> Self {
                Self { inner, from: ::std::sync::Arc::from(SOURCE) }
            }
        },
        Role::Consume => quote! {
            /// Sends as `from`: the sending service, the envelope's `source`.
            pub fn new(inner: P, from: impl ::core::convert::Into<::std::string::String>) -> Self {
                Self { inner, from: ::std::sync::Arc::from(from.into()) }
            }
        },
    };
    quote! {
        /// Typed helpers over any publisher; as cheap to clone as the publisher it wraps.
        #[derive(Debug, Clone)]
        pub struct #struct_name<P> {
            inner: P,
            from: ::std::sync::Arc<str>,
        }

        impl<P: ::herald_runtime::Publish> #struct_name<P> {
            #constructor

            pub fn inner(&self) -> &P {
                &self.inner
            }

            #(#methods)*
        }
    }
}

/// Path of a selected type from the include root.
pub fn type_path(set: &EventSet, ty: &TypeDef) -> TokenStream {
    match ty.format {
        Format::Proto => proto::type_path(set, ty),
        Format::Avro => {
            let parts = avro::module_parts(&ty.full_name).into_iter().map(|p| ident::ident(&p));
            let name = ident::ident(&avro::type_ident(ty));
            quote!(avro:: #(#parts::)* #name)
        }
    }
}

/// `0x0123_4567_89ab_cdef`: fingerprints read better in hex.
fn hex_literal(value: u64) -> syn::LitInt {
    let hex = format!("{value:016x}");
    let grouped = format!("0x{}_{}_{}_{}", &hex[0..4], &hex[4..8], &hex[8..12], &hex[12..16]);
    syn::LitInt::new(&grouped, proc_macro2::Span::call_site())
}
