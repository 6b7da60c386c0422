//! Avro types → Rust: plain structs and enums with serde derives that round-trip through
//! apache-avro (herald-runtime's schema-aware single-object codec).
//!
//! Records become structs (recursive references boxed), enums become Rust enums with the
//! symbols as serde names, `["null", T]` becomes `Option<T>`, other unions become an enum with
//! one variant per branch in branch order (the order is the wire's union index), and logical
//! types become real types: `uuid::Uuid`, `chrono::DateTime<Utc>`, `chrono::NaiveDate`,
//! `Decimal<P, S>`. Inside arrays, maps and multi-branch unions a logical type is its underlying
//! type (bytes as `Bytes`).

use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::diagnostic::Diagnostic;
use crate::model::{EventSet, Logical, Scalar, TypeDef, TypeKind, TypeRef};

/// Where a type appears: directly as a field (serde `with` helpers apply), as the inside of an
/// `Option`, or nested elsewhere (arrays, maps, union variants).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Field,
    Optional,
    Nested,
}

/// Every Avro named type reachable from `roots`, in name order.
pub fn closure(set: &EventSet, roots: &[String]) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = roots.to_vec();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(ty) = set.type_named(&name) else {
            continue;
        };
        if let TypeKind::Message(m) = &ty.kind {
            for f in &m.fields {
                f.ty.named_refs(&mut stack);
            }
        }
    }
    seen.into_iter().collect()
}

/// Module path components (sanitized) of a namespace.
pub fn module_parts(full_name: &str) -> Vec<String> {
    match full_name.rsplit_once('.') {
        Some((ns, _)) => ns.split('.').map(ident::module).collect(),
        None => Vec::new(),
    }
}

/// The Rust type name of an Avro named type.
pub fn type_ident(ty: &TypeDef) -> String {
    ident::upper_camel(&ty.name)
}

/// Path to a named type from a module `depth` levels below the `avro` module.
fn path_to(set: &EventSet, full: &str, depth: usize) -> TokenStream {
    let supers = (0..depth).map(|_| quote!(super));
    let parts = module_parts(full).into_iter().map(|p| ident::ident(&p));
    let name = set
        .type_named(full)
        .map(type_ident)
        .unwrap_or_else(|| ident::upper_camel(full.rsplit('.').next().unwrap_or(full)));
    let name = ident::ident(&name);
    quote!( #(#supers::)* #(#parts::)* #name )
}

/// Generates `pub mod avro { ... }` for the given types; problems are diagnostics.
pub fn generate(set: &EventSet, names: &[String], diags: &mut Vec<Diagnostic>) -> TokenStream {
    // Module tree: namespace parts → items.
    let mut tree: BTreeMap<Vec<String>, Vec<TokenStream>> = BTreeMap::new();
    let mut idents: BTreeMap<(Vec<String>, String), String> = BTreeMap::new();
    for name in names {
        let Some(ty) = set.type_named(name) else {
            continue;
        };
        let parts = module_parts(name);
        let id = type_ident(ty);
        if let Some(other) = idents.insert((parts.clone(), id.clone()), name.clone()) {
            diags.push(
                Diagnostic::error(
                    rules::CODEGEN_NAME_COLLISION,
                    format!("`{name}` and `{other}` both become the Rust type `{id}`"),
                )
                .at(ty.span)
                .help("rename one of them"),
            );
            continue;
        }
        let gen = Gen {
            set,
            depth: parts.len(),
            owner: ty,
            diags: &mut *diags,
        };
        let items = gen.type_def();
        tree.entry(parts).or_default().push(items);
    }
    render_tree(&tree)
}

fn render_tree(tree: &BTreeMap<Vec<String>, Vec<TokenStream>>) -> TokenStream {
    // Build nested modules from the sorted paths.
    fn node(tree: &BTreeMap<Vec<String>, Vec<TokenStream>>, prefix: &[String]) -> TokenStream {
        let own = tree.get(prefix).cloned().unwrap_or_default();
        let mut children: BTreeSet<String> = BTreeSet::new();
        for path in tree.keys() {
            if path.len() > prefix.len() && path.starts_with(prefix) {
                children.insert(path[prefix.len()].clone());
            }
        }
        let children = children.into_iter().map(|c| {
            let mut p = prefix.to_vec();
            p.push(c.clone());
            let body = node(tree, &p);
            let name = ident::ident(&c);
            quote! { pub mod #name { #body } }
        });
        quote! { #(#own)* #(#children)* }
    }
    let body = node(tree, &[]);
    quote! {
        /// Avro records, enums and unions, by namespace.
        pub mod avro {
            #body
        }
    }
}

struct Gen<'a> {
    set: &'a EventSet,
    /// Depth of the owner's module below `avro`.
    depth: usize,
    owner: &'a TypeDef,
    diags: &'a mut Vec<Diagnostic>,
}

impl Gen<'_> {
    /// Long because it has one arm per kind of named type (enum, fixed, record), each a `quote!`
    /// template with its serde attributes; they share the name, docs and derive list computed
    /// first.
    fn type_def(mut self) -> TokenStream {
        let ty = self.owner;
        let name = ident::ident(&type_ident(ty));
        let doc = docs::attrs(&ty.doc);
        let serde_crate = quote!(#[serde(crate = "::herald_runtime::serde")]);
        match &ty.kind {
            TypeKind::Enum(e) => {
                let mut variant_names: BTreeMap<String, String> = BTreeMap::new();
                let mut variants = Vec::new();
                let mut arms = Vec::new();
                for v in &e.values {
                    let vid = ident::upper_camel(&v.name);
                    if let Some(other) = variant_names.insert(vid.clone(), v.name.clone()) {
                        self.diags.push(
                            Diagnostic::error(
                                rules::CODEGEN_NAME_COLLISION,
                                format!("symbols `{other}` and `{}` both become the variant `{vid}`", v.name),
                            )
                            .at(v.span),
                        );
                        continue;
                    }
                    let vident = ident::ident(&vid);
                    let symbol = &v.name;
                    let default = if e.default.as_deref() == Some(symbol.as_str()) {
                        quote!(#[default])
                    } else {
                        quote!()
                    };
                    let vdoc = docs::attrs(&v.doc);
                    variants.push(quote! { #vdoc #default #[serde(rename = #symbol)] #vident });
                    arms.push(quote! { #name::#vident => #symbol });
                }
                let default_derive = if e.default.is_some() {
                    quote!(Default,)
                } else {
                    quote!()
                };
                quote! {
                    #doc
                    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, #default_derive ::herald_runtime::serde::Serialize, ::herald_runtime::serde::Deserialize)]
                    #serde_crate
                    pub enum #name { #(#variants,)* }

                    impl #name {
                        /// The symbol as written in the schema.
                        pub const fn as_str(&self) -> &'static str {
                            match self { #(#arms,)* }
                        }
                    }
                }
            }
            TypeKind::Fixed { size } => {
                let size = proc_macro2::Literal::u64_unsuffixed(*size);
                quote! {
                    #doc
                    pub type #name = ::herald_runtime::avro::Fixed<#size>;
                }
            }
            TypeKind::Message(m) => {
                let mut fields = Vec::new();
                let mut extra = Vec::new();
                let mut seen: BTreeMap<String, String> = BTreeMap::new();
                let mut defaults = Some(Vec::new());
                for f in &m.fields {
                    let fid = ident::snake(&f.name);
                    if let Some(other) = seen.insert(fid.clone(), f.name.clone()) {
                        self.diags.push(
                            Diagnostic::error(
                                rules::CODEGEN_NAME_COLLISION,
                                format!(
                                    "fields `{other}` and `{}` of `{}` both become `{fid}`",
                                    f.name, ty.full_name
                                ),
                            )
                            .at(f.span)
                            .help("rename one of them, or give one an alias"),
                        );
                        continue;
                    }
                    let field_ident = ident::ident(&fid);
                    let rename = if fid.trim_start_matches("r#") != f.name {
                        let n = &f.name;
                        quote!(#[serde(rename = #n)])
                    } else {
                        quote!()
                    };
                    let union_name = format!(
                        "{}{}",
                        type_ident(ty),
                        ident::upper_camel(&f.name).trim_start_matches("r#")
                    );
                    let (rust, with) = self.rust_type(&f.ty, Place::Field, &union_name, &mut extra);
                    let with = with.map(|w| quote!(#[serde(with = #w)])).unwrap_or_default();
                    let fdoc = docs::attrs(&f.doc);
                    fields.push(quote! { #fdoc #rename #with pub #field_ident: #rust });
                    match (
                        &mut defaults,
                        f.default
                            .as_ref()
                            .and_then(|d| self.default_expr(&f.ty, d, &union_name)),
                    ) {
                        (Some(list), Some(expr)) => list.push(quote!(#field_ident: #expr)),
                        _ => defaults = None,
                    }
                }
                let default_impl = match defaults {
                    Some(list) if !m.fields.is_empty() => quote! {
                        impl ::core::default::Default for #name {
                            /// Every field at its schema default.
                            fn default() -> Self {
                                #name { #(#list,)* }
                            }
                        }
                    },
                    _ => quote!(),
                };
                quote! {
                    #doc
                    #[derive(Debug, Clone, PartialEq, ::herald_runtime::serde::Serialize, ::herald_runtime::serde::Deserialize)]
                    #serde_crate
                    pub struct #name { #(#fields,)* }
                    #default_impl
                    #(#extra)*
                }
            }
        }
    }

    /// The Rust type for a field type, and the serde `with` module it needs, if any. Unions with
    /// more than one non-null branch add an enum to `extra`.
    /// Long because it has one arm per Avro type (primitives, logical types, named, array, map,
    /// union): the mapping table of Avro to Rust types, easier to audit whole than split.
    fn rust_type(
        &mut self,
        t: &TypeRef,
        place: Place,
        union_name: &str,
        extra: &mut Vec<TokenStream>,
    ) -> (TokenStream, Option<String>) {
        let with = |m: &str| -> Option<String> {
            match place {
                Place::Field => Some(format!("::herald_runtime::avro::{m}")),
                Place::Optional => Some(format!("::herald_runtime::avro::{m}::option")),
                Place::Nested => None,
            }
        };
        match t {
            TypeRef::Scalar(s) => match s {
                Scalar::Null => (quote!(()), None),
                Scalar::Bool => (quote!(bool), None),
                Scalar::Int32 => (quote!(i32), None),
                Scalar::Int64 => (quote!(i64), None),
                Scalar::Float => (quote!(f32), None),
                Scalar::Double => (quote!(f64), None),
                Scalar::String => (quote!(::std::string::String), None),
                Scalar::Bytes => match place {
                    Place::Field => (quote!(::std::vec::Vec<u8>), with("bytes")),
                    _ => (quote!(::herald_runtime::avro::Bytes), None),
                },
                _ => (quote!(i64), None),
            },
            TypeRef::Named(n) => {
                let path = path_to(self.set, n, self.depth);
                if place != Place::Nested && self.recursive(n) {
                    (quote!(::std::boxed::Box<#path>), None)
                } else {
                    (path, None)
                }
            }
            TypeRef::Array(items) => {
                let (inner, _) = self.rust_type(items, Place::Nested, &format!("{union_name}Item"), extra);
                (quote!(::std::vec::Vec<#inner>), None)
            }
            TypeRef::Map(_, values) => {
                let (inner, _) = self.rust_type(values, Place::Nested, &format!("{union_name}Value"), extra);
                (quote!(::std::collections::HashMap<::std::string::String, #inner>), None)
            }
            TypeRef::Union(branches) => {
                let non_null: Vec<&TypeRef> = branches
                    .iter()
                    .filter(|b| **b != TypeRef::Scalar(Scalar::Null))
                    .collect();
                if branches.len() == 2 && non_null.len() == 1 {
                    let inner_place = if place == Place::Field {
                        Place::Optional
                    } else {
                        Place::Nested
                    };
                    let (inner, w) = self.rust_type(non_null[0], inner_place, union_name, extra);
                    return (
                        quote!(::core::option::Option<#inner>),
                        if place == Place::Field { w } else { None },
                    );
                }
                let name = ident::ident(union_name);
                let mut variants = Vec::new();
                let mut used: BTreeSet<String> = BTreeSet::new();
                for b in branches {
                    let mut vname = branch_name(self.set, b);
                    while !used.insert(vname.clone()) {
                        vname.push('_');
                    }
                    let vident = ident::ident(&vname);
                    if *b == TypeRef::Scalar(Scalar::Null) {
                        variants.push(quote!(#vident));
                    } else {
                        let (inner, _) = self.rust_type(b, Place::Nested, &format!("{union_name}{vname}"), extra);
                        variants.push(quote!(#vident(#inner)));
                    }
                }
                let doc = format!(" One branch of the union `{union_name}`, in schema order.");
                extra.push(quote! {
                    #[doc = #doc]
                    #[derive(Debug, Clone, PartialEq, ::herald_runtime::serde::Serialize, ::herald_runtime::serde::Deserialize)]
                    #[serde(crate = "::herald_runtime::serde")]
                    pub enum #name { #(#variants,)* }
                });
                (quote!(#name), None)
            }
            TypeRef::Logical(l, base) => {
                if place == Place::Nested {
                    return self.rust_type(base, place, union_name, extra);
                }
                match l {
                    Logical::Uuid if **base == TypeRef::Scalar(Scalar::String) => {
                        (quote!(::herald_runtime::uuid::Uuid), with("uuid_string"))
                    }
                    Logical::TimestampMillis => (
                        quote!(::herald_runtime::chrono::DateTime<::herald_runtime::chrono::Utc>),
                        with("timestamp_millis"),
                    ),
                    Logical::TimestampMicros => (
                        quote!(::herald_runtime::chrono::DateTime<::herald_runtime::chrono::Utc>),
                        with("timestamp_micros"),
                    ),
                    Logical::Date => (quote!(::herald_runtime::chrono::NaiveDate), with("date")),
                    Logical::Decimal { precision, scale } if **base == TypeRef::Scalar(Scalar::Bytes) => {
                        let precision = proc_macro2::Literal::u32_unsuffixed(*precision);
                        let scale = proc_macro2::Literal::u32_unsuffixed(*scale);
                        (quote!(::herald_runtime::avro::Decimal<#precision, #scale>), None)
                    }
                    _ => self.rust_type(base, place, union_name, extra),
                }
            }
        }
    }

    /// Whether the named type can contain the owner again (so the field must be boxed).
    fn recursive(&self, start: &str) -> bool {
        let target = self.owner.full_name.as_str();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut stack = vec![start.to_owned()];
        while let Some(n) = stack.pop() {
            if n == target {
                return true;
            }
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(TypeKind::Message(m)) = self.set.type_named(&n).map(|t| &t.kind) {
                for f in &m.fields {
                    direct_refs(&f.ty, &mut stack);
                }
            }
        }
        false
    }

    /// A Rust expression for a schema default, or `None` when herald cannot write one.
    fn default_expr(&self, t: &TypeRef, v: &serde_json::Value, union_name: &str) -> Option<TokenStream> {
        use serde_json::Value as J;
        match (t, v) {
            (TypeRef::Scalar(Scalar::Null), J::Null) => Some(quote!(())),
            (TypeRef::Scalar(Scalar::Bool), J::Bool(b)) => Some(quote!(#b)),
            (TypeRef::Scalar(Scalar::Int32), J::Number(n)) => {
                let n = i32::try_from(n.as_i64()?).ok()?;
                Some(quote!(#n))
            }
            (TypeRef::Scalar(Scalar::Int64), J::Number(n)) => {
                let n = n.as_i64()?;
                Some(quote!(#n))
            }
            (TypeRef::Scalar(Scalar::Float), J::Number(n)) => {
                let n = n.as_f64()? as f32;
                n.is_finite().then(|| quote!(#n))
            }
            (TypeRef::Scalar(Scalar::Double), J::Number(n)) => {
                let n = n.as_f64()?;
                n.is_finite().then(|| quote!(#n))
            }
            (TypeRef::Scalar(Scalar::String), J::String(s)) => Some(quote!(::std::string::String::from(#s))),
            (TypeRef::Array(_), J::Array(a)) if a.is_empty() => Some(quote!(::std::vec::Vec::new())),
            (TypeRef::Map(..), J::Object(o)) if o.is_empty() => Some(quote!(::std::collections::HashMap::new())),
            (TypeRef::Named(n), J::String(s)) => {
                let ty = self.set.type_named(n)?;
                let TypeKind::Enum(e) = &ty.kind else {
                    return None;
                };
                e.values.iter().find(|x| &x.name == s)?;
                let path = path_to(self.set, n, self.depth);
                let variant = ident::ident(&ident::upper_camel(s));
                Some(quote!(#path::#variant))
            }
            (TypeRef::Union(branches), _) => {
                let first = branches.first()?;
                let non_null = branches.iter().filter(|b| **b != TypeRef::Scalar(Scalar::Null)).count();
                if branches.len() == 2 && non_null == 1 {
                    if *first == TypeRef::Scalar(Scalar::Null) {
                        return v.is_null().then(|| quote!(::core::option::Option::None));
                    }
                    let inner = self.default_expr(first, v, union_name)?;
                    return Some(quote!(::core::option::Option::Some(#inner)));
                }
                let name = ident::ident(union_name);
                let variant = ident::ident(&branch_name(self.set, first));
                if *first == TypeRef::Scalar(Scalar::Null) {
                    return v.is_null().then(|| quote!(#name::#variant));
                }
                let inner = self.default_expr(first, v, union_name)?;
                Some(quote!(#name::#variant(#inner)))
            }
            _ => None,
        }
    }
}

fn direct_refs(t: &TypeRef, out: &mut Vec<String>) {
    match t {
        TypeRef::Named(n) => out.push(n.clone()),
        TypeRef::Union(b) => b.iter().for_each(|x| direct_refs(x, out)),
        TypeRef::Logical(_, b) => direct_refs(b, out),
        _ => {}
    }
}

/// The Rust names of the union enums a record's fields generate, in the record's module: the
/// same names `Gen::rust_type` gives them (`{Record}{Field}`, then `Item`, `Value` and the
/// branch's variant name for unions inside arrays, maps and unions).
pub fn union_enums(set: &EventSet, record: &TypeDef) -> Vec<String> {
    fn walk(set: &EventSet, t: &TypeRef, name: &str, out: &mut Vec<String>) {
        match t {
            TypeRef::Scalar(_) | TypeRef::Named(_) => {}
            TypeRef::Array(items) => walk(set, items, &format!("{name}Item"), out),
            TypeRef::Map(_, values) => walk(set, values, &format!("{name}Value"), out),
            TypeRef::Logical(_, base) => walk(set, base, name, out),
            TypeRef::Union(branches) => {
                let non_null: Vec<&TypeRef> = branches
                    .iter()
                    .filter(|b| **b != TypeRef::Scalar(Scalar::Null))
                    .collect();
                if branches.len() == 2 && non_null.len() == 1 {
                    return walk(set, non_null[0], name, out);
                }
                out.push(name.to_owned());
                let mut used: BTreeSet<String> = BTreeSet::new();
                for b in branches {
                    let mut vname = branch_name(set, b);
                    while !used.insert(vname.clone()) {
                        vname.push('_');
                    }
                    if *b != TypeRef::Scalar(Scalar::Null) {
                        walk(set, b, &format!("{name}{vname}"), out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    if let TypeKind::Message(m) = &record.kind {
        for f in &m.fields {
            let name = format!(
                "{}{}",
                type_ident(record),
                ident::upper_camel(&f.name).trim_start_matches("r#")
            );
            walk(set, &f.ty, &name, &mut out);
        }
    }
    out
}

/// Variant name for a union branch.
fn branch_name(set: &EventSet, t: &TypeRef) -> String {
    match t {
        TypeRef::Scalar(s) => ident::upper_camel(s.name(crate::model::Format::Avro)),
        TypeRef::Named(n) => set
            .type_named(n)
            .map(type_ident)
            .unwrap_or_else(|| ident::upper_camel(n.rsplit('.').next().unwrap_or(n))),
        TypeRef::Array(_) => "Array".into(),
        TypeRef::Map(..) => "Map".into(),
        TypeRef::Union(_) => "Union".into(),
        TypeRef::Logical(_, b) => branch_name(set, b),
    }
}
