//! Descriptor paths → spans, the way protoc's `SourceCodeInfo` would give them, built from
//! herald's outline: what compat uses to point a finding at the element that changed.
//!
//! Paths use descriptor.proto's field numbers: a file's package is `[2]`, its first message
//! `[4, 0]`, that message's second field `[4, 0, 2, 1]`, the field's type `[4, 0, 2, 1, 5]`.

use std::collections::BTreeMap;
use std::sync::Arc;

use protobuf::descriptor::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};

use crate::model::ProtoLocations;
use crate::span::{FileId, Span};

use super::scan::{EnumDecl, FieldDecl, MessageDecl, Outline};

/// Byte ranges by descriptor path, for one file.
pub type Locations = BTreeMap<Vec<i32>, (usize, usize)>;

/// File options herald locates, by their number in `FileOptions`.
const FILE_OPTIONS: &[(&str, i32)] = &[
    ("java_package", 1),
    ("java_outer_classname", 8),
    ("optimize_for", 9),
    ("java_multiple_files", 10),
    ("go_package", 11),
    ("cc_generic_services", 16),
    ("java_generic_services", 17),
    ("py_generic_services", 18),
    ("cc_enable_arenas", 31),
    ("objc_class_prefix", 36),
    ("csharp_namespace", 37),
    ("swift_prefix", 39),
    ("php_class_prefix", 40),
    ("php_namespace", 41),
    ("php_metadata_namespace", 44),
    ("ruby_package", 45),
];

/// Field options herald locates, by their number in `FieldOptions`.
const FIELD_OPTIONS: &[(&str, i32)] = &[
    ("ctype", 1),
    ("packed", 2),
    ("deprecated", 3),
    ("lazy", 5),
    ("jstype", 6),
];

/// A user's file's spans, as the model keeps them: worked out from its descriptor and outline
/// the first time one is asked for (a finding to point at). Most loads ask for none, and a catalog
/// loads twenty versions of a repo.
pub fn lazily(file: FileId, fd: Arc<FileDescriptorProto>, outline: Arc<Outline>) -> ProtoLocations {
    ProtoLocations::new(move || {
        locate(&fd, &outline)
            .into_iter()
            .map(|(path, (s, e))| (path, Span::new(file, s, e)))
            .collect()
    })
}

pub fn locate(fd: &FileDescriptorProto, outline: &Outline) -> Locations {
    let mut out = Locations::new();
    out.insert(Vec::new(), (0, 0));
    if let Some(p) = outline.package_decl {
        out.insert(vec![2], p);
    }
    if let Some(s) = outline.syntax_decl {
        out.insert(vec![12], s);
    }
    for o in &outline.file_options {
        if let Some((_, number)) = FILE_OPTIONS.iter().find(|(n, _)| *n == o.name) {
            out.insert(vec![8, *number], o.span);
        }
    }
    for (i, m) in fd.message_type.iter().enumerate() {
        if let Some(d) = outline.messages.iter().find(|d| d.name == m.name()) {
            message(m, d, vec![4, i as i32], &mut out);
        }
    }
    for (i, e) in fd.enum_type.iter().enumerate() {
        if let Some(d) = outline.enums.iter().find(|d| d.name == e.name()) {
            enumeration(e, d, vec![5, i as i32], &mut out);
        }
    }
    for (i, s) in fd.service.iter().enumerate() {
        let Some(d) = outline.services.iter().find(|d| d.name == s.name()) else {
            continue;
        };
        out.insert(vec![6, i as i32], d.decl);
        for (j, m) in s.method.iter().enumerate() {
            if let Some((_, span)) = d.rpcs.iter().find(|(n, _)| n == m.name()) {
                out.insert(vec![6, i as i32, 2, j as i32], *span);
            }
            // MethodOptions.idempotency_level is field 34 of the method's options (field 4).
            if let Some((_, span)) = d.idempotency.iter().find(|(n, _)| n == m.name()) {
                out.insert(vec![6, i as i32, 2, j as i32, 4, 34], *span);
            }
        }
    }
    out
}

/// The descriptor path `more` below `base`.
pub(crate) fn subpath(base: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = base.to_vec();
    p.extend_from_slice(more);
    p
}

fn message(m: &DescriptorProto, d: &MessageDecl, at: Vec<i32>, out: &mut Locations) {
    out.insert(at.clone(), d.decl);
    out.insert(subpath(&at, &[1]), d.span);
    for (j, f) in m.field.iter().enumerate() {
        if let Some(fd) = d.fields.iter().find(|x| x.name == f.name()) {
            field(fd, subpath(&at, &[2, j as i32]), out);
        }
    }
    for (j, o) in m.oneof_decl.iter().enumerate() {
        if let Some((_, span)) = d.oneofs.iter().find(|(n, _)| n == o.name()) {
            out.insert(subpath(&at, &[8, j as i32]), *span);
        }
    }
    for (j, n) in m.nested_type.iter().enumerate() {
        if let Some(nd) = d.messages.iter().find(|x| x.name == n.name()) {
            message(n, nd, subpath(&at, &[3, j as i32]), out);
        }
    }
    for (j, e) in m.enum_type.iter().enumerate() {
        if let Some(ed) = d.enums.iter().find(|x| x.name == e.name()) {
            enumeration(e, ed, subpath(&at, &[4, j as i32]), out);
        }
    }
}

fn field(d: &FieldDecl, at: Vec<i32>, out: &mut Locations) {
    out.insert(at.clone(), d.decl);
    out.insert(subpath(&at, &[1]), d.span);
    if let Some((_, n)) = d.number {
        out.insert(subpath(&at, &[3]), n);
    }
    if let Some(l) = d.label {
        out.insert(subpath(&at, &[4]), l);
    }
    out.insert(subpath(&at, &[5]), d.type_span);
    out.insert(subpath(&at, &[6]), d.type_span);
    for o in &d.options {
        match o.name.as_str() {
            "json_name" => {
                out.insert(subpath(&at, &[10]), o.span);
            }
            "default" => {
                out.insert(subpath(&at, &[7]), o.span);
            }
            name => {
                if let Some((_, number)) = FIELD_OPTIONS.iter().find(|(n, _)| *n == name) {
                    out.insert(subpath(&at, &[8, *number]), o.span);
                }
            }
        }
    }
}

fn enumeration(e: &EnumDescriptorProto, d: &EnumDecl, at: Vec<i32>, out: &mut Locations) {
    out.insert(at.clone(), d.decl);
    out.insert(subpath(&at, &[1]), d.span);
    for (j, v) in e.value.iter().enumerate() {
        if let Some(vd) = d.values.iter().find(|x| x.name == v.name()) {
            let vp = subpath(&at, &[2, j as i32]);
            out.insert(vp.clone(), vd.decl);
            out.insert(subpath(&vp, &[1]), vd.span);
            if let Some((_, n)) = vd.number {
                out.insert(subpath(&vp, &[2]), n);
            }
        }
    }
}
