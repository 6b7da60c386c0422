//! Proto types → Rust through prost-build, fed from the pure parser's descriptors (no protoc),
//! with the comments herald recovered handed over as `SourceCodeInfo` so that the generated
//! structs keep their documentation. herald adds typed accessors for enum fields.

use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use prost::Message as _;
use prost_types::source_code_info::Location;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto, SourceCodeInfo};
use quote::quote;

use super::{docs, ident};
use crate::diagnostic::Diagnostic;
use crate::model::{join_name, Cardinality, Doc, EventSet, Format, TypeDef, TypeKind, TypeRef};
use crate::proto::locate::subpath;
use crate::proto::OPTIONS_PATH;

/// Import paths of the files that define `types`, plus every file they import (protobuf's
/// well-known types included: prost-build needs their messages to decide derives, and maps them
/// to `prost_types` instead of generating them).
pub fn files_for(set: &EventSet, types: &[&TypeDef]) -> Vec<String> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = types.iter().map(|t| set.sources_map.get(t.file).name.clone()).collect();
    while let Some(path) = stack.pop() {
        if path == OPTIONS_PATH || !wanted.insert(path.clone()) {
            continue;
        }
        if let Some(fd) = descriptor(set, &path) {
            stack.extend(fd.dependency.iter().cloned());
        }
    }
    wanted.into_iter().collect()
}

fn is_builtin(path: &str) -> bool {
    path == OPTIONS_PATH || path.starts_with("google/protobuf/")
}

/// Whether a type comes with herald or protobuf (well-known types, which prost maps to
/// `prost_types`): not re-exported next to a source's events.
pub fn is_builtin_type(set: &EventSet, ty: &TypeDef) -> bool {
    is_builtin(&set.sources_map.get(ty.file).name)
}

fn descriptor(set: &EventSet, path: &str) -> Option<FileDescriptorProto> {
    let bytes = set.proto_descriptors.get(path)?;
    FileDescriptorProto::decode(bytes.as_slice()).ok()
}

/// Names prost-build would generate twice: sibling types with one Rust name, fields with one
/// Rust name. Reported here, at the schema, instead of as a compile error in generated code.
fn check_names(set: &EventSet, files: &[String], diags: &mut Vec<Diagnostic>) {
    let wanted: BTreeSet<&str> = files.iter().map(String::as_str).filter(|f| !is_builtin(f)).collect();
    let mut types: BTreeMap<(String, String), &TypeDef> = BTreeMap::new();
    for ty in &set.types {
        if ty.format != Format::Proto || !wanted.contains(set.sources_map.get(ty.file).name.as_str()) {
            continue;
        }
        let scope = ty
            .full_name
            .rsplit_once('.')
            .map(|(s, _)| s.to_owned())
            .unwrap_or_default();
        let rust = ident::upper_camel(&ty.name);
        if let Some(first) = types.insert((scope, rust.clone()), ty) {
            diags.push(
                Diagnostic::error(
                    rules::CODEGEN_NAME_COLLISION,
                    format!(
                        "`{}` and `{}` both become the Rust type `{rust}`",
                        first.full_name, ty.full_name
                    ),
                )
                .at(ty.span)
                .related(first.span, "the other one")
                .help("rename one of them"),
            );
        }
        if let TypeKind::Message(m) = &ty.kind {
            let mut fields: BTreeMap<String, &crate::model::Field> = BTreeMap::new();
            for f in &m.fields {
                let rust = ident::snake(&f.name);
                if let Some(first) = fields.insert(rust.clone(), f) {
                    diags.push(
                        Diagnostic::error(
                            rules::CODEGEN_NAME_COLLISION,
                            format!(
                                "fields `{}` and `{}` of `{}` both become `{rust}`",
                                first.name, f.name, ty.full_name
                            ),
                        )
                        .at(f.span)
                        .related(first.span, "the other one")
                        .help("rename one of them (the field number, not the name, is on the wire)"),
                    );
                }
            }
        }
    }
}

/// The prost-generated code for `files`, as a `proto` module tree (text: prost formats it).
pub fn generate(set: &EventSet, files: &[String], diags: &mut Vec<Diagnostic>) -> String {
    let before = diags.len();
    check_names(set, files, diags);
    if diags.len() > before {
        return String::new();
    }
    let mut requests = Vec::new();
    for path in files {
        let Some(mut fd) = descriptor(set, path) else {
            diags.push(Diagnostic::error(
                rules::CODEGEN_INPUT,
                format!("no descriptor for `{path}`: the file did not type-check"),
            ));
            continue;
        };
        if !is_builtin(path) {
            fd.source_code_info = Some(source_code_info(set, &fd));
        }
        requests.push((prost_build::Module::from_protobuf_package_name(fd.package()), fd));
    }
    let mut config = prost_build::Config::new();
    config
        .prost_path("::herald_runtime::prost")
        .prost_types_path("::herald_runtime::prost_types")
        .format(false);
    let modules = match config.generate(requests) {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::error(
                rules::CODEGEN_PROST,
                format!("prost-build failed: {e}"),
            ));
            return String::new();
        }
    };
    let mut tree: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for (module, code) in modules {
        if code.trim().is_empty() {
            continue;
        }
        tree.entry(module.parts().map(str::to_owned).collect())
            .or_default()
            .push_str(&code);
    }
    // prost's formatting is off: herald formats the modules on every core instead.
    let keys: Vec<Vec<String>> = tree.keys().cloned().collect();
    let formatted = match super::format::format_all(tree.into_values().collect()) {
        Ok(f) => f,
        Err(e) => {
            diags.push(Diagnostic::error(rules::CODEGEN_INTERNAL, e));
            return String::new();
        }
    };
    let tree: BTreeMap<Vec<String>, String> = keys.into_iter().zip(formatted).collect();
    let mut out = String::from("/// Protobuf messages and enums (prost), by package.\npub mod proto {\n");
    render(&tree, &[], &mut out);
    out.push_str("}\n");
    out
}

/// Nests prost's (already formatted) module code, indenting it to its depth. Generated code has
/// no multi-line string literals, so indenting line by line keeps it formatted and valid.
fn render(tree: &BTreeMap<Vec<String>, String>, prefix: &[String], out: &mut String) {
    let indent = "    ".repeat(prefix.len() + 1);
    if let Some(code) = tree.get(prefix) {
        for line in code.lines() {
            if !line.is_empty() {
                out.push_str(&indent);
                out.push_str(line);
            }
            out.push('\n');
        }
    }
    let children: BTreeSet<&String> = tree
        .keys()
        .filter(|k| k.len() > prefix.len() && k.starts_with(prefix))
        .map(|k| &k[prefix.len()])
        .collect();
    for child in children {
        let mut next = prefix.to_vec();
        next.push(child.clone());
        let outer = "    ".repeat(prefix.len() + 1);
        out.push_str(&format!("{outer}pub mod {child} {{\n"));
        render(tree, &next, out);
        out.push_str(&format!("{outer}}}\n"));
    }
}

/// `SourceCodeInfo` with the model's (sanitized) comments at the descriptor paths prost reads.
fn source_code_info(set: &EventSet, fd: &FileDescriptorProto) -> SourceCodeInfo {
    let mut info = SourceCodeInfo::default();
    let package = fd.package().to_owned();
    for (i, m) in fd.message_type.iter().enumerate() {
        message_locations(set, m, &join_name(&package, m.name()), vec![4, i as i32], &mut info);
    }
    for (i, e) in fd.enum_type.iter().enumerate() {
        enum_locations(set, e, &join_name(&package, e.name()), vec![5, i as i32], &mut info);
    }
    for (i, svc) in fd.service.iter().enumerate() {
        info.location.push(bare(vec![6, i as i32]));
        for j in 0..svc.method.len() {
            info.location.push(bare(vec![6, i as i32, 2, j as i32]));
        }
    }
    // prost-build binary-searches this list by path.
    info.location.sort_by(|a, b| a.path.cmp(&b.path));
    info
}

/// A location with no comments: prost-build expects one for every declaration.
fn bare(path: Vec<i32>) -> Location {
    Location {
        path,
        span: vec![0, 0, 0],
        ..Location::default()
    }
}

fn location(path: Vec<i32>, doc: &Doc) -> Location {
    let text = |t: &Option<String>| -> Option<String> {
        let t = t.as_ref()?;
        let lines = docs::sanitize(t, false);
        (!lines.is_empty()).then(|| lines.iter().map(|l| format!(" {l}\n")).collect())
    };
    Location {
        leading_comments: text(&doc.leading),
        trailing_comments: text(&doc.trailing),
        ..bare(path)
    }
}

fn message_locations(set: &EventSet, m: &DescriptorProto, full: &str, path: Vec<i32>, info: &mut SourceCodeInfo) {
    let ty = set.type_named(full);
    let empty = Doc::default();
    info.location
        .push(location(path.clone(), ty.map(|t| &t.doc).unwrap_or(&empty)));
    let model = match ty.map(|t| &t.kind) {
        Some(TypeKind::Message(model)) => Some(model),
        _ => None,
    };
    for (i, f) in m.field.iter().enumerate() {
        let p = subpath(&path, &[2, i as i32]);
        let doc = model
            .and_then(|md| md.fields.iter().find(|x| x.name == f.name()))
            .map(|x| &x.doc);
        info.location.push(location(p, doc.unwrap_or(&empty)));
    }
    for i in 0..m.oneof_decl.len() {
        let p = subpath(&path, &[8, i as i32]);
        info.location.push(bare(p));
    }
    for (i, n) in m.nested_type.iter().enumerate() {
        let p = subpath(&path, &[3, i as i32]);
        message_locations(set, n, &join_name(full, n.name()), p, info);
    }
    for (i, e) in m.enum_type.iter().enumerate() {
        let p = subpath(&path, &[4, i as i32]);
        enum_locations(set, e, &join_name(full, e.name()), p, info);
    }
}

fn enum_locations(set: &EventSet, e: &EnumDescriptorProto, full: &str, path: Vec<i32>, info: &mut SourceCodeInfo) {
    let ty = set.type_named(full);
    let empty = Doc::default();
    info.location
        .push(location(path.clone(), ty.map(|t| &t.doc).unwrap_or(&empty)));
    let model = match ty.map(|t| &t.kind) {
        Some(TypeKind::Enum(model)) => Some(model),
        _ => None,
    };
    for (i, v) in e.value.iter().enumerate() {
        let p = subpath(&path, &[2, i as i32]);
        let doc = model
            .and_then(|md| md.values.iter().find(|x| x.name == v.name()))
            .map(|x| &x.doc);
        info.location.push(location(p, doc.unwrap_or(&empty)));
    }
}

/// Path of a proto type from the include root: `proto::acme::user::v1::outer::Inner`.
pub fn type_path(set: &EventSet, ty: &TypeDef) -> TokenStream {
    let package = set.file(ty.file).and_then(|f| f.package.clone()).unwrap_or_default();
    let mut parts: Vec<String> = if package.is_empty() {
        Vec::new()
    } else {
        package.split('.').map(ident::snake).collect()
    };
    let mut parents = Vec::new();
    let mut parent = ty.parent.clone();
    while let Some(p) = parent {
        let Some(pt) = set.type_named(&p) else { break };
        parents.push(ident::snake(&pt.name));
        parent = pt.parent.clone();
    }
    parents.reverse();
    parts.extend(parents);
    let parts = parts.iter().map(|p| ident::ident(p));
    let name = ident::ident(&ident::upper_camel(&ty.name));
    quote!(proto:: #(#parts::)* #name)
}

/// Typed accessors for enum fields: `status_value()` → `OpenEnum<Status>` keeps unknown numbers.
pub fn enum_accessors(set: &EventSet, files: &[String], diags: &mut Vec<Diagnostic>) -> Vec<TokenStream> {
    let wanted: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for ty in &set.types {
        let file = set.sources_map.get(ty.file).name.as_str();
        if ty.format != Format::Proto || is_builtin(file) || !wanted.contains(file) {
            continue;
        }
        let TypeKind::Message(m) = &ty.kind else {
            continue;
        };
        let mut methods = Vec::new();
        for f in &m.fields {
            let TypeRef::Named(target) = &f.ty else {
                continue;
            };
            let Some(enum_ty) = set.type_named(target).filter(|t| matches!(t.kind, TypeKind::Enum(_))) else {
                continue;
            };
            if f.oneof.is_some() {
                continue;
            }
            let field = ident::snake(&f.name);
            let bare = field.trim_start_matches("r#");
            let getter = format!("{bare}_value");
            if m.fields
                .iter()
                .any(|o| o.name == getter || o.name == format!("set_{getter}"))
            {
                diags.push(
                    Diagnostic::warning(
                        rules::CODEGEN_NAME_COLLISION,
                        format!(
                            "no typed accessor for `{}`: a field is already named `{getter}`",
                            f.name
                        ),
                    )
                    .at(f.span),
                );
                continue;
            }
            let field_ident = ident::ident(&field);
            let getter_ident = ident::ident(&getter);
            let setter_ident = ident::ident(&format!("set_{getter}"));
            let enum_path = type_path(set, enum_ty);
            let doc = format!(
                " `{}` as `{}`, keeping numbers this code does not know.",
                f.name, enum_ty.name
            );
            match f.cardinality {
                Cardinality::Repeated => methods.push(quote! {
                    #[doc = #doc]
                    pub fn #getter_ident(&self) -> impl ::core::iter::Iterator<Item = ::herald_runtime::OpenEnum<#enum_path>> + '_ {
                        self.#field_ident.iter().map(|v| ::herald_runtime::OpenEnum::from_i32(*v))
                    }
                }),
                Cardinality::Optional => methods.push(quote! {
                    #[doc = #doc]
                    pub fn #getter_ident(&self) -> ::core::option::Option<::herald_runtime::OpenEnum<#enum_path>> {
                        self.#field_ident.map(::herald_runtime::OpenEnum::from_i32)
                    }
                    /// Sets the field from a typed value.
                    pub fn #setter_ident(&mut self, value: ::core::option::Option<::herald_runtime::OpenEnum<#enum_path>>) {
                        self.#field_ident = value.map(::herald_runtime::OpenEnum::to_i32);
                    }
                }),
                _ => methods.push(quote! {
                    #[doc = #doc]
                    pub fn #getter_ident(&self) -> ::herald_runtime::OpenEnum<#enum_path> {
                        ::herald_runtime::OpenEnum::from_i32(self.#field_ident)
                    }
                    /// Sets the field from a typed value: a variant, or an `OpenEnum`.
                    pub fn #setter_ident(&mut self, value: impl ::core::convert::Into<::herald_runtime::OpenEnum<#enum_path>>) {
                        self.#field_ident = value.into().to_i32();
                    }
                }),
            }
        }
        if !methods.is_empty() {
            let path = type_path(set, ty);
            out.push(quote! {
                /// Typed access to enum fields.
                impl #path { #(#methods)* }
            });
        }
    }
    out
}
