//! Proto breaking changes with buf's rule IDs and categories, judged on the descriptors herald's
//! pure parser produced, located through the spans herald recovered (see `proto::locate`).
//!
//! Elements are matched as buf matches them: files by path, messages, enums and services by full
//! name across all files, fields by number, enum values by number, methods by name.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::Arc;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileOptions,
    ServiceDescriptorProto,
};

use super::Finding;
use crate::model::{join_name, EventSet};
use crate::proto::locate::subpath;
use crate::rules::{self, Rule};
use crate::span::Span;

struct Msg<'a> {
    file: &'a str,
    path: &'a [i32],
    desc: &'a DescriptorProto,
    proto3: bool,
}

struct En<'a> {
    file: &'a str,
    path: &'a [i32],
    desc: &'a EnumDescriptorProto,
    proto3: bool,
}

struct Svc<'a> {
    file: &'a str,
    path: &'a [i32],
    desc: &'a ServiceDescriptorProto,
}

/// One side of the comparison: the user's files and every element by full name.
///
/// Elements are in hash maps (the new side is a whole repo, indexed for every change that
/// recomputes a group): code that walks a side's elements walks them in name order ([`sorted`]).
struct Side<'a> {
    set: &'a EventSet,
    files: BTreeMap<&'a str, &'a FileDescriptorProto>,
    /// The elements each file defines.
    elements: HashMap<&'a str, &'a Elements>,
    messages: HashMap<&'a str, Msg<'a>>,
    enums: HashMap<&'a str, En<'a>>,
    services: HashMap<&'a str, Svc<'a>>,
    /// The packages of its files.
    packages: HashSet<&'a str>,
}

/// A map's entries in key order.
fn sorted<K: Ord + Copy, V>(map: &HashMap<K, V>) -> Vec<(K, &V)> {
    let mut entries: Vec<(K, &V)> = map.iter().map(|(k, v)| (*k, v)).collect();
    entries.sort_by_key(|(k, _)| *k);
    entries
}

/// One decoded file: its name, descriptor and every element it defines.
type DecodedFile = (String, Arc<FileDescriptorProto>, Arc<Elements>);

/// The messages (kind 0), enums (1) and services (2) a file defines: full name, kind and
/// descriptor path, in the order [`Side::new`] indexes them (a later one of the same full name
/// replaces an earlier one). Computed once per decoded file.
#[derive(Default)]
struct Elements(Vec<(String, u8, Vec<i32>)>);

impl Elements {
    fn of(fd: &FileDescriptorProto) -> Elements {
        let mut out = Elements::default();
        let pkg = fd.package();
        for (i, m) in fd.message_type.iter().enumerate() {
            out.message(m, &join_name(pkg, m.name()), vec![4, i as i32]);
        }
        for (i, e) in fd.enum_type.iter().enumerate() {
            out.0.push((join_name(pkg, e.name()), 1, vec![5, i as i32]));
        }
        for (i, s) in fd.service.iter().enumerate() {
            out.0.push((join_name(pkg, s.name()), 2, vec![6, i as i32]));
        }
        out
    }

    /// Nested messages, then nested enums, then the message itself.
    fn message(&mut self, m: &DescriptorProto, full: &str, path: Vec<i32>) {
        for (j, n) in m.nested_type.iter().enumerate() {
            self.message(n, &join_name(full, n.name()), subpath(&path, &[3, j as i32]));
        }
        for (j, e) in m.enum_type.iter().enumerate() {
            self.0
                .push((join_name(full, e.name()), 1, subpath(&path, &[4, j as i32])));
        }
        self.0.push((full.to_owned(), 0, path));
    }
}

/// The message at a descriptor path (`[4, i]`, then `[3, j]` for each nesting).
fn message_at<'f>(fd: &'f FileDescriptorProto, path: &[i32]) -> Option<&'f DescriptorProto> {
    let (&[4, i], rest) = path.split_at_checked(2)? else {
        return None;
    };
    let mut m = fd.message_type.get(usize::try_from(i).ok()?)?;
    for step in rest.chunks(2) {
        let &[3, j] = step else { return None };
        m = m.nested_type.get(usize::try_from(j).ok()?)?;
    }
    Some(m)
}

/// The enum at a descriptor path (`[5, i]`, or a message's path then `[4, j]`).
fn enum_at<'f>(fd: &'f FileDescriptorProto, path: &[i32]) -> Option<&'f EnumDescriptorProto> {
    match path {
        &[5, i] => fd.enum_type.get(usize::try_from(i).ok()?),
        _ => {
            let (owner, last) = path.split_at_checked(path.len().checked_sub(2)?)?;
            let &[4, j] = last else { return None };
            message_at(fd, owner)?.enum_type.get(usize::try_from(j).ok()?)
        }
    }
}

fn decode(set: &EventSet) -> Vec<DecodedFile> {
    decode_with(set, &mut DecodeCache::default())
}

/// The user's proto files of `set` decoded, each through `cache`: a file whose descriptor bytes
/// are those decoded before is not decoded (nor its elements listed) again.
fn decode_with(set: &EventSet, cache: &mut DecodeCache) -> Vec<DecodedFile> {
    let mut out = Vec::new();
    // The user's files: those with locations (both maps are in name order).
    let mut located = set.proto_locations.keys().peekable();
    for (name, bytes) in &set.proto_descriptors {
        while located.next_if(|l| *l < name).is_some() {}
        if located.peek() != Some(&name) {
            continue;
        }
        let held = cache
            .0
            .get(name)
            .filter(|(held, _, _)| Arc::ptr_eq(held, bytes) || *held == *bytes);
        let (fd, elements) = match held {
            Some((_, fd, elements)) => (fd.clone(), elements.clone()),
            None => {
                let Ok(fd) = FileDescriptorProto::decode(bytes.as_slice()) else {
                    cache.0.remove(name);
                    continue;
                };
                let elements = Arc::new(Elements::of(&fd));
                let decoded = (Arc::new(fd), elements);
                let entry = (bytes.clone(), decoded.0.clone(), decoded.1.clone());
                cache.0.insert(name.clone(), entry);
                decoded
            }
        };
        out.push((name.clone(), fd, elements));
    }
    // Files gone since the last check are forgotten.
    if cache.0.len() != out.len() {
        let names: HashSet<&str> = out.iter().map(|(n, _, _)| n.as_str()).collect();
        cache.0.retain(|name, _| names.contains(name.as_str()));
    }
    out
}

/// Decoded descriptors kept between checks of one repo as it changes (an editor's session), by
/// file name with the bytes they were decoded from; it holds the files of the last check only.
#[derive(Default)]
pub struct DecodeCache(HashMap<String, CachedFile>);

/// A file's descriptor bytes, decoded, and its elements.
type CachedFile = (Arc<Vec<u8>>, Arc<FileDescriptorProto>, Arc<Elements>);

impl<'a> Side<'a> {
    fn new(set: &'a EventSet, files: &'a [DecodedFile]) -> Side<'a> {
        // Inserted in order: a later element of the same full name replaces an earlier one.
        let n = files.iter().map(|(_, _, e)| e.0.len()).sum();
        let (mut messages, mut enums, mut services) =
            (HashMap::with_capacity(n), HashMap::with_capacity(n), HashMap::new());
        for (name, fd, elements) in files {
            let fd: &'a FileDescriptorProto = fd;
            let proto3 = fd.syntax() == "proto3";
            let file = name.as_str();
            for (full, kind, path) in &elements.0 {
                let (full, path) = (full.as_str(), path.as_slice());
                match kind {
                    0 => messages.extend(message_at(fd, path).map(|desc| {
                        (
                            full,
                            Msg {
                                file,
                                path,
                                desc,
                                proto3,
                            },
                        )
                    })),
                    1 => enums.extend(enum_at(fd, path).map(|desc| {
                        (
                            full,
                            En {
                                file,
                                path,
                                desc,
                                proto3,
                            },
                        )
                    })),
                    _ => services.extend(
                        path.get(1)
                            .and_then(|&i| usize::try_from(i).ok())
                            .and_then(|i| fd.service.get(i))
                            .map(|desc| (full, Svc { file, path, desc })),
                    ),
                }
            }
        }
        Side {
            set,
            files: files.iter().map(|(name, fd, _)| (name.as_str(), &**fd)).collect(),
            elements: files.iter().map(|(name, _, e)| (name.as_str(), &**e)).collect(),
            messages,
            enums,
            services,
            packages: files.iter().map(|(_, fd, _)| fd.package()).collect(),
        }
    }

    /// Full names of the messages (`kind` 0), enums (1) or services (2) defined in `file`: those
    /// of its elements that the side's index holds as `file`'s (a later file defining the same
    /// full name takes it).
    fn defined_in(&self, file: &str, kind: u8) -> BTreeSet<&'a str> {
        let Some(elements) = self.elements.get(file) else {
            return BTreeSet::new();
        };
        elements
            .0
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(full, _, _)| full.as_str())
            .filter(|full| {
                let holder = match kind {
                    0 => self.messages.get(full).map(|m| m.file),
                    1 => self.enums.get(full).map(|e| e.file),
                    _ => self.services.get(full).map(|s| s.file),
                };
                holder == Some(file)
            })
            .collect()
    }

    /// The span at `path` in `file`, or of its nearest located ancestor.
    fn span(&self, file: &str, path: &[i32]) -> Option<Span> {
        let locations = self.set.proto_locations.get(file)?;
        (0..=path.len()).rev().find_map(|n| locations.get(&path[..n]))
    }
}

/// The last component of a full name.
fn short_name(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

/// A message's or enum's reserved numbers, as inclusive ranges, and names.
struct Reserved<'a> {
    ranges: Vec<(i32, i32)>,
    names: &'a [String],
}

impl<'a> Reserved<'a> {
    /// Message ranges end exclusively.
    fn message(m: &'a DescriptorProto) -> Reserved<'a> {
        Reserved {
            ranges: m.reserved_range.iter().map(|r| (r.start(), r.end() - 1)).collect(),
            names: &m.reserved_name,
        }
    }

    /// Enum ranges end inclusively.
    fn enumeration(e: &'a EnumDescriptorProto) -> Reserved<'a> {
        Reserved {
            ranges: e.reserved_range.iter().map(|r| (r.start(), r.end())).collect(),
            names: &e.reserved_name,
        }
    }
}

/// Compares the proto files of `old` and `new`; `enabled` says which rule IDs to run.
pub fn check(old: &EventSet, new: &EventSet, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let new_files = Decoded::of(new);
    check_prepared(old, &Prepared::new(new, &new_files), enabled)
}

/// A set's proto files decoded, for [`Prepared`].
pub struct Decoded(Vec<DecodedFile>);

impl Decoded {
    pub fn of(set: &EventSet) -> Decoded {
        Decoded(decode(set))
    }

    /// [`Decoded::of`], decoding only the files whose bytes `cache` does not hold (and keeping
    /// this set's files in it for the next check).
    pub fn of_cached(set: &EventSet, cache: &mut DecodeCache) -> Decoded {
        Decoded(decode_with(set, cache))
    }
}

/// The new side of a comparison indexed once, for many comparisons against it (every release in
/// a lock): without it each one decodes and indexes every file of the new side.
pub struct Prepared<'a>(Side<'a>);

impl<'a> Prepared<'a> {
    pub fn new(set: &'a EventSet, files: &'a Decoded) -> Prepared<'a> {
        Prepared(Side::new(set, &files.0))
    }
}

/// [`check`] against a prepared new side.
pub fn check_prepared(old: &EventSet, new: &Prepared, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let old_files = decode(old);
    check_sides(&Side::new(old, &old_files), &new.0, enabled)
}

/// [`check`] between two sets whose files are decoded already (each set decoded once for the
/// many checks it takes part in: a catalog judges every release against two or three others).
pub fn check_decoded(
    old: &EventSet,
    old_files: &Decoded,
    new: &EventSet,
    new_files: &Decoded,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    check_sides(&Side::new(old, &old_files.0), &Side::new(new, &new_files.0), enabled)
}

fn check_sides(old: &Side<'_>, new: &Side<'_>, enabled: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut c = Checker {
        old,
        new,
        enabled,
        field_rules: FIELD_PAIR_RULES
            .iter()
            .copied()
            .filter(|(rule, _)| enabled(rule.id))
            .collect(),
        out: Vec::new(),
    };
    c.files();
    c.packages();
    c.messages();
    c.enums();
    c.services();
    c.out
}

struct Checker<'a, 'b> {
    old: &'b Side<'a>,
    new: &'b Side<'a>,
    enabled: &'b dyn Fn(&str) -> bool,
    /// The field rules enabled, asked once rather than per pair of fields.
    field_rules: Vec<(&'static Rule, FieldRule)>,
    out: Vec<Finding>,
}

impl Checker<'_, '_> {
    fn add(
        &mut self,
        rule: &'static Rule,
        span: Option<Span>,
        old_span: Option<Span>,
        type_name: Option<&str>,
        hint: &'static str,
        message: String,
    ) {
        if (self.enabled)(rule.id) {
            self.out.push(Finding {
                rule,
                message,
                span,
                old_span,
                type_name: type_name.map(str::to_owned),
                hint,
            });
        }
    }

    fn files(&mut self) {
        for (name, ofd) in &self.old.files {
            let Some(nfd) = self.new.files.get(name) else {
                self.add(
                    rules::FILE_NO_DELETE,
                    None,
                    self.old.span(name, &[]),
                    None,
                    "keep the file; deprecate its contents instead",
                    format!("Previously present file \"{name}\" was deleted."),
                );
                continue;
            };
            if ofd.package() != nfd.package() {
                let span = self.new.span(name, &[2]);
                self.add(
                    rules::FILE_SAME_PACKAGE,
                    span,
                    self.old.span(name, &[2]),
                    None,
                    "keep the package; move types by adding new ones",
                    format!(
                        "File package changed from \"{}\" to \"{}\".",
                        ofd.package(),
                        nfd.package()
                    ),
                );
            }
            let syntax = |fd: &FileDescriptorProto| {
                if fd.syntax().is_empty() {
                    "proto2".to_owned()
                } else {
                    fd.syntax().to_owned()
                }
            };
            if syntax(ofd) != syntax(nfd) {
                self.add(
                    rules::FILE_SAME_SYNTAX,
                    self.new.span(name, &[12]),
                    self.old.span(name, &[12]),
                    None,
                    "keep the syntax",
                    format!("File syntax changed from \"{}\" to \"{}\".", syntax(ofd), syntax(nfd)),
                );
            }
            self.file_options(name, ofd, nfd);
            // Elements deleted from this file.
            let (op, np) = (ofd.package(), nfd.package());
            for (kind, rule, what) in [
                (0u8, rules::MESSAGE_NO_DELETE, "message"),
                (1, rules::ENUM_NO_DELETE, "enum"),
                (2, rules::SERVICE_NO_DELETE, "service"),
            ] {
                let (before, after) = (self.old.defined_in(name, kind), self.new.defined_in(name, kind));
                for gone in before.difference(&after) {
                    let nested = gone.strip_prefix(&format!("{op}.")).unwrap_or(gone);
                    let span = self.deleted_location(name, np, nested);
                    self.add(
                        rule,
                        span,
                        None,
                        Some(gone),
                        "deprecate it instead of deleting it",
                        format!("Previously present {what} \"{nested}\" was deleted from file."),
                    );
                }
            }
        }
    }

    /// FILE_SAME_<OPTION>: file options that change generated code's location or shape.
    fn file_options(&mut self, name: &str, ofd: &FileDescriptorProto, nfd: &FileDescriptorProto) {
        let (o, n) = (
            ofd.options.clone().unwrap_or_default(),
            nfd.options.clone().unwrap_or_default(),
        );
        fn text(v: &Option<String>) -> String {
            v.clone().unwrap_or_default()
        }
        fn flag(v: Option<bool>) -> String {
            v.unwrap_or(false).to_string()
        }
        /// The option's effective value, as the finding shows it.
        type Value = fn(&FileOptions) -> String;
        // Rule, option name, field number in FileOptions, value.
        let checks: [(&'static Rule, &str, i32, Value); 16] = [
            (rules::FILE_SAME_JAVA_PACKAGE, "java_package", 1, |f| {
                text(&f.java_package)
            }),
            (rules::FILE_SAME_JAVA_OUTER_CLASSNAME, "java_outer_classname", 8, |f| {
                text(&f.java_outer_classname)
            }),
            (rules::FILE_SAME_OPTIMIZE_FOR, "optimize_for", 9, |f| {
                format!("{:?}", f.optimize_for())
            }),
            (rules::FILE_SAME_JAVA_MULTIPLE_FILES, "java_multiple_files", 10, |f| {
                flag(f.java_multiple_files)
            }),
            (rules::FILE_SAME_GO_PACKAGE, "go_package", 11, |f| text(&f.go_package)),
            (rules::FILE_SAME_CC_GENERIC_SERVICES, "cc_generic_services", 16, |f| {
                flag(f.cc_generic_services)
            }),
            (
                rules::FILE_SAME_JAVA_GENERIC_SERVICES,
                "java_generic_services",
                17,
                |f| flag(f.java_generic_services),
            ),
            (rules::FILE_SAME_PY_GENERIC_SERVICES, "py_generic_services", 18, |f| {
                flag(f.py_generic_services)
            }),
            (rules::FILE_SAME_CC_ENABLE_ARENAS, "cc_enable_arenas", 31, |f| {
                f.cc_enable_arenas.unwrap_or(true).to_string()
            }),
            (rules::FILE_SAME_OBJC_CLASS_PREFIX, "objc_class_prefix", 36, |f| {
                text(&f.objc_class_prefix)
            }),
            (rules::FILE_SAME_CSHARP_NAMESPACE, "csharp_namespace", 37, |f| {
                text(&f.csharp_namespace)
            }),
            (rules::FILE_SAME_SWIFT_PREFIX, "swift_prefix", 39, |f| {
                text(&f.swift_prefix)
            }),
            (rules::FILE_SAME_PHP_CLASS_PREFIX, "php_class_prefix", 40, |f| {
                text(&f.php_class_prefix)
            }),
            (rules::FILE_SAME_PHP_NAMESPACE, "php_namespace", 41, |f| {
                text(&f.php_namespace)
            }),
            (
                rules::FILE_SAME_PHP_METADATA_NAMESPACE,
                "php_metadata_namespace",
                44,
                |f| text(&f.php_metadata_namespace),
            ),
            (rules::FILE_SAME_RUBY_PACKAGE, "ruby_package", 45, |f| {
                text(&f.ruby_package)
            }),
        ];
        for (rule, option, number, value) in checks {
            let (before, after) = (value(&o), value(&n));
            if before != after {
                let span = self.new.span(name, &[8, number]);
                self.add(
                    rule,
                    span,
                    self.old.span(name, &[8, number]),
                    None,
                    "keep the option's value",
                    format!("File option \"{option}\" changed from \"{before}\" to \"{after}\"."),
                );
            }
        }
    }

    /// Where buf points for an element deleted from a file: the nearest enclosing message that
    /// still exists, else the file.
    fn deleted_location(&self, file: &str, package: &str, nested: &str) -> Option<Span> {
        let parts: Vec<&str> = nested.split('.').collect();
        for i in (1..parts.len()).rev() {
            let parent = join_name(package, &parts[..i].join("."));
            if let Some(m) = self.new.messages.get(parent.as_str()).filter(|m| m.file == file) {
                return self.new.span(m.file, m.path);
            }
        }
        self.new.span(file, &[])
    }

    fn packages(&mut self) {
        // Lookups in the new side, never copies of it: it may be large (a repo against each of
        // its releases, prepared once) and the old side small.
        let (old, new) = (self.old, self.new);
        let new_pkgs = &new.packages;
        let mut old_pkgs: Vec<&str> = old.packages.iter().copied().collect();
        old_pkgs.sort();
        for gone in old_pkgs.into_iter().filter(|p| !new_pkgs.contains(*p)) {
            self.add(
                rules::PACKAGE_NO_DELETE,
                None,
                None,
                None,
                "keep the package",
                format!("Previously present package \"{gone}\" was deleted."),
            );
        }
        let gone_messages: Vec<&str> = sorted(&old.messages)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !new.messages.contains_key(k))
            .collect();
        let gone_enums: Vec<&str> = sorted(&old.enums)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !new.enums.contains_key(k))
            .collect();
        let gone_services: Vec<&str> = sorted(&old.services)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !new.services.contains_key(k))
            .collect();
        for (rule, what, gone_names) in [
            (rules::PACKAGE_MESSAGE_NO_DELETE, "message", gone_messages),
            (rules::PACKAGE_ENUM_NO_DELETE, "enum", gone_enums),
            (rules::PACKAGE_SERVICE_NO_DELETE, "service", gone_services),
        ] {
            for gone in gone_names {
                let package = self.package_of(gone);
                if !new_pkgs.contains(package.as_str()) {
                    continue;
                }
                let span = self
                    .new
                    .files
                    .iter()
                    .find(|(_, f)| f.package() == package)
                    .and_then(|(name, _)| self.new.span(name, &[]));
                self.add(
                    rule,
                    span,
                    None,
                    Some(gone),
                    "deprecate it instead of deleting it",
                    format!("Previously present {what} \"{gone}\" was deleted from package \"{package}\"."),
                );
            }
        }
    }

    fn package_of(&self, full: &str) -> String {
        let file = self
            .old
            .messages
            .get(full)
            .map(|m| m.file)
            .or_else(|| self.old.enums.get(full).map(|e| e.file))
            .or_else(|| self.old.services.get(full).map(|s| s.file));
        file.and_then(|f| self.old.files.get(f))
            .map(|f| f.package().to_owned())
            .unwrap_or_default()
    }

    fn messages(&mut self) {
        for (name, om) in sorted(&self.old.messages) {
            let Some(nm) = self.new.messages.get(name) else {
                continue;
            };
            if om.desc.options.as_ref().is_some_and(|o| o.map_entry()) {
                self.map_entry(om, nm, name);
                continue;
            }
            let new = self.new;
            // Worked out only for a finding (most messages have none).
            let msg_span = std::cell::LazyCell::new(|| new.span(nm.file, nm.path));
            let short = short_name(name);
            let new_numbers: BTreeMap<i32, (usize, &FieldDescriptorProto)> = nm
                .desc
                .field
                .iter()
                .enumerate()
                .map(|(i, f)| (f.number(), (i, f)))
                .collect();
            for of in &om.desc.field {
                match new_numbers.get(&of.number()) {
                    None => self.deleted_field(nm, of, name, *msg_span),
                    Some((i, nf)) => {
                        let fpath = subpath(nm.path, &[2, *i as i32]);
                        self.field_pair(om, nm, of, nf, &fpath, (name, name));
                    }
                }
            }
            // Oneofs.
            let real_oneofs = |m: &DescriptorProto| -> BTreeSet<String> {
                let synthetic: BTreeSet<i32> = m
                    .field
                    .iter()
                    .filter(|f| f.proto3_optional())
                    .filter_map(|f| f.oneof_index)
                    .collect();
                m.oneof_decl
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !synthetic.contains(&(*i as i32)))
                    .map(|(_, o)| o.name().to_owned())
                    .collect()
            };
            for gone in real_oneofs(om.desc).difference(&real_oneofs(nm.desc)) {
                self.add(
                    rules::ONEOF_NO_DELETE,
                    *msg_span,
                    None,
                    Some(name),
                    "keep the oneof",
                    format!("Previously present oneof \"{gone}\" on message \"{short}\" was deleted."),
                );
            }
            self.reserved_deleted(
                rules::RESERVED_MESSAGE_NO_DELETE,
                "message",
                name,
                &|| *msg_span,
                Reserved::message(om.desc),
                Reserved::message(nm.desc),
            );
            // Required fields added or deleted.
            let required = |m: &DescriptorProto| -> BTreeSet<i32> {
                m.field
                    .iter()
                    .filter(|f| f.label() == Label::Required)
                    .map(|f| f.number())
                    .collect()
            };
            let (oreq, nreq) = (required(om.desc), required(nm.desc));
            for n in oreq.difference(&nreq) {
                self.add(
                    rules::MESSAGE_SAME_REQUIRED_FIELDS,
                    *msg_span,
                    None,
                    Some(name),
                    "required fields can never be added or removed",
                    format!("Message \"{short}\" had required field \"{n}\" deleted."),
                );
            }
            for n in nreq.difference(&oreq) {
                let span = new_numbers
                    .get(n)
                    .and_then(|(i, _)| self.new.span(nm.file, &subpath(nm.path, &[2, *i as i32])))
                    .or(*msg_span);
                self.add(
                    rules::MESSAGE_SAME_REQUIRED_FIELDS,
                    span,
                    None,
                    Some(name),
                    "required fields can never be added or removed",
                    format!("Message \"{short}\" had required field \"{n}\" added."),
                );
            }
        }
    }

    fn deleted_field(&mut self, nm: &Msg<'_>, of: &FieldDescriptorProto, name: &str, span: Option<Span>) {
        let short = short_name(name);
        let what = format!(
            "Previously present field \"{}\" with name \"{}\" on message \"{short}\"",
            of.number(),
            of.name()
        );
        self.add(
            rules::FIELD_NO_DELETE,
            span,
            None,
            Some(name),
            "reserve the number and name instead",
            format!("{what} was deleted."),
        );
        let number_reserved = nm
            .desc
            .reserved_range
            .iter()
            .any(|r| r.start() <= of.number() && of.number() < r.end());
        if !number_reserved {
            self.add(
                rules::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED,
                span,
                None,
                Some(name),
                "reserve the field number so it is never reused",
                format!("{what} was deleted without reserving the number \"{}\".", of.number()),
            );
        }
        if !nm.desc.reserved_name.iter().any(|r| r == of.name()) {
            self.add(
                rules::FIELD_NO_DELETE_UNLESS_NAME_RESERVED,
                span,
                None,
                Some(name),
                "reserve the field name so JSON readers never see it reused",
                format!("{what} was deleted without reserving the name \"{}\".", of.name()),
            );
        }
    }

    fn deleted_enum_value(&mut self, ne: &En<'_>, name: &str, number: i32, names: &[&str], span: Option<Span>) {
        let short = short_name(name);
        let what = format!("Previously present enum value \"{number}\" on enum \"{short}\"");
        self.add(
            rules::ENUM_VALUE_NO_DELETE,
            span,
            None,
            Some(name),
            "reserve the number and name instead",
            format!("{what} was deleted."),
        );
        if !ne
            .desc
            .reserved_range
            .iter()
            .any(|r| r.start() <= number && number <= r.end())
        {
            self.add(
                rules::ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED,
                span,
                None,
                Some(name),
                "reserve the number so it is never reused",
                format!("{what} was deleted without reserving the number \"{number}\"."),
            );
        }
        for oname in names {
            if !ne.desc.reserved_name.iter().any(|r| r == oname) {
                self.add(
                    rules::ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED,
                    span,
                    None,
                    Some(name),
                    "reserve the name so JSON readers never see it reused",
                    format!("{what} was deleted without reserving the name \"{oname}\"."),
                );
            }
        }
    }

    /// A map field's entry message (`key` = 1, `value` = 2), compared as buf compares it: its
    /// fields' types, reported at the map field of the message that holds it.
    fn map_entry(&mut self, om: &Msg<'_>, nm: &Msg<'_>, name: &str) {
        let Some((owner, _)) = name.rsplit_once('.') else {
            return;
        };
        let Some(parent) = self.new.messages.get(owner) else {
            return;
        };
        let entry_ref = format!(".{name}");
        let Some(at) = parent.desc.field.iter().position(|f| f.type_name() == entry_ref) else {
            return;
        };
        let fpath = subpath(parent.path, &[2, at as i32]);
        for of in &om.desc.field {
            if let Some(nf) = nm.desc.field.iter().find(|f| f.number() == of.number()) {
                self.field_pair(om, nm, of, nf, &fpath, (name, owner));
            }
        }
    }

    /// Runs every field rule ([`FIELD_PAIR_RULES`]) enabled on one pair of fields matched by
    /// number: the one place field pairs are judged.
    fn field_pair(
        &mut self,
        om: &Msg<'_>,
        nm: &Msg<'_>,
        of: &FieldDescriptorProto,
        nf: &FieldDescriptorProto,
        fpath: &[i32],
        // The message the field is on, and the one findings are reported for (a map entry's
        // owner; else the message itself).
        (msg, owner): (&str, &str),
    ) {
        let short = short_name(msg);
        let pair = FieldPair {
            om,
            nm,
            of,
            nf,
            fpath,
            short,
            desc: FieldDesc {
                number: nf.number(),
                name: nf.name(),
                short,
            },
            new: self.new,
            span: std::cell::OnceCell::new(),
        };
        for i in 0..self.field_rules.len() {
            let (rule, handler) = self.field_rules[i];
            if let Some(Change { span, hint, message }) = handler(self, &pair) {
                self.add(rule, span, None, Some(owner), hint, message);
            }
        }
    }

    /// The span of the new field's element at `sub` (e.g. `[5]` its type), else the field's.
    fn field_span(&self, pair: &FieldPair<'_, '_>, sub: &[i32]) -> Option<Span> {
        self.new
            .span(pair.nm.file, &subpath(pair.fpath, sub))
            .or_else(|| pair.span())
    }

    /// Two enums (by full name) are wire compatible when every old number still exists; JSON
    /// compatible when every old (name, number) pair does.
    fn enum_wire_compatible(&self, old: &str, new: &str, json: bool) -> bool {
        let (Some(oe), Some(ne)) = (
            self.old.enums.get(old.trim_start_matches('.')),
            self.new.enums.get(new.trim_start_matches('.')),
        ) else {
            return false;
        };
        oe.desc.value.iter().all(|ov| {
            ne.desc
                .value
                .iter()
                .any(|nv| nv.number() == ov.number() && (!json || nv.name() == ov.name()))
        })
    }

    fn enums(&mut self) {
        for (name, oe) in sorted(&self.old.enums) {
            let Some(ne) = self.new.enums.get(name) else { continue };
            let short = short_name(name);
            let new = self.new;
            // Worked out only for a finding (most enums have none).
            let span = std::cell::LazyCell::new(|| new.span(ne.file, ne.path));
            if oe.proto3 != ne.proto3 {
                let kind = |p3: bool| if p3 { "open" } else { "closed" };
                self.add(
                    rules::ENUM_SAME_TYPE,
                    *span,
                    None,
                    Some(name),
                    "keep the enum's syntax",
                    format!(
                        "Enum \"{short}\" changed from {} to {}.",
                        kind(oe.proto3),
                        kind(ne.proto3)
                    ),
                );
            }
            let new_by_number: BTreeMap<i32, Vec<(usize, &str)>> =
                ne.desc
                    .value
                    .iter()
                    .enumerate()
                    .fold(BTreeMap::new(), |mut acc, (i, v)| {
                        acc.entry(v.number()).or_insert_with(Vec::new).push((i, v.name()));
                        acc
                    });
            let old_by_number: BTreeMap<i32, Vec<&str>> = oe.desc.value.iter().fold(BTreeMap::new(), |mut acc, v| {
                acc.entry(v.number()).or_insert_with(Vec::new).push(v.name());
                acc
            });
            for (number, onames) in &old_by_number {
                match new_by_number.get(number) {
                    None => self.deleted_enum_value(ne, name, *number, onames, *span),
                    Some(nvalues) => {
                        let nnames: BTreeSet<&str> = nvalues.iter().map(|(_, n)| *n).collect();
                        let onames: BTreeSet<&str> = onames.iter().copied().collect();
                        if !onames.is_subset(&nnames) {
                            let vpath = subpath(ne.path, &[2, nvalues[0].0 as i32, 2]);
                            self.add(
                                rules::ENUM_VALUE_SAME_NAME,
                                self.new.span(ne.file, &vpath),
                                None,
                                Some(name),
                                "keep the name: JSON uses it",
                                format!(
                                    "Enum value \"{number}\" on enum \"{short}\" changed name from \"{}\" to \"{}\".",
                                    onames.into_iter().collect::<Vec<_>>().join(", "),
                                    nnames.into_iter().collect::<Vec<_>>().join(", ")
                                ),
                            );
                        }
                    }
                }
            }
            self.reserved_deleted(
                rules::RESERVED_ENUM_NO_DELETE,
                "enum",
                name,
                &|| *span,
                Reserved::enumeration(oe.desc),
                Reserved::enumeration(ne.desc),
            );
        }
    }

    /// RESERVED_<KIND>_NO_DELETE: reserved numbers and names of the old message or enum `name`
    /// that the new one no longer reserves.
    fn reserved_deleted(
        &mut self,
        rule: &'static Rule,
        what: &str,
        name: &str,
        // Worked out only for a finding.
        span: &dyn Fn() -> Option<Span>,
        old: Reserved<'_>,
        new: Reserved<'_>,
    ) {
        let short = short_name(name);
        for &(start, last) in &old.ranges {
            if !new.ranges.iter().any(|&(s, l)| s <= start && l >= last) {
                self.add(
                    rule,
                    span(),
                    None,
                    Some(name),
                    "keep reserved numbers reserved forever",
                    format!("Previously present reserved range [{start}, {last}] on {what} \"{short}\" was deleted."),
                );
            }
        }
        for r in old.names {
            if !new.names.contains(r) {
                self.add(
                    rule,
                    span(),
                    None,
                    Some(name),
                    "keep reserved names reserved forever",
                    format!("Previously present reserved name \"{r}\" on {what} \"{short}\" was deleted."),
                );
            }
        }
    }

    fn services(&mut self) {
        for (name, os) in sorted(&self.old.services) {
            let Some(ns) = self.new.services.get(name) else {
                continue;
            };
            let span = self.new.span(ns.file, ns.path);
            let short = short_name(name);
            for om in &os.desc.method {
                let Some((index, nm)) = ns.desc.method.iter().enumerate().find(|(_, m)| m.name() == om.name()) else {
                    self.add(
                        rules::RPC_NO_DELETE,
                        span,
                        None,
                        Some(name),
                        "deprecate the rpc instead",
                        format!(
                            "Previously present RPC \"{}\" on service \"{short}\" was deleted.",
                            om.name()
                        ),
                    );
                    continue;
                };
                let rpc = format!("RPC \"{}\" on service \"{short}\"", om.name());
                let index = index as i32;
                let span = self.new.span(ns.file, &subpath(ns.path, &[2, index])).or(span);
                let idempotency_span = self.new.span(ns.file, &subpath(ns.path, &[2, index, 4, 34])).or(span);
                let type_change = |what: &str, old: &str, new: &str| {
                    format!(
                        "{what} type from \"{}\" to \"{}\"",
                        old.trim_start_matches('.'),
                        new.trim_start_matches('.')
                    )
                };
                let checks: [(&'static Rule, bool, String, Option<Span>); 5] = [
                    (
                        rules::RPC_SAME_CLIENT_STREAMING,
                        om.client_streaming() != nm.client_streaming(),
                        "client streaming".into(),
                        span,
                    ),
                    (
                        rules::RPC_SAME_SERVER_STREAMING,
                        om.server_streaming() != nm.server_streaming(),
                        "server streaming".into(),
                        span,
                    ),
                    (
                        rules::RPC_SAME_REQUEST_TYPE,
                        om.input_type() != nm.input_type(),
                        type_change("request", om.input_type(), nm.input_type()),
                        span,
                    ),
                    (
                        rules::RPC_SAME_RESPONSE_TYPE,
                        om.output_type() != nm.output_type(),
                        type_change("response", om.output_type(), nm.output_type()),
                        span,
                    ),
                    (
                        rules::RPC_SAME_IDEMPOTENCY_LEVEL,
                        om.options.as_ref().map(|o| o.idempotency_level())
                            != nm.options.as_ref().map(|o| o.idempotency_level()),
                        "idempotency level".into(),
                        idempotency_span,
                    ),
                ];
                for (rule, changed, what, at) in checks {
                    if changed {
                        self.add(
                            rule,
                            at,
                            None,
                            Some(name),
                            "add a new rpc instead",
                            format!("{rpc} changed {what}."),
                        );
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cardinality {
    Implicit,
    Explicit,
    Required,
    Repeated,
    Map,
}

impl Cardinality {
    fn name(self) -> &'static str {
        match self {
            Cardinality::Implicit => "optional with implicit presence",
            Cardinality::Explicit => "optional with explicit presence",
            Cardinality::Required => "required",
            Cardinality::Repeated => "repeated",
            Cardinality::Map => "map",
        }
    }

    /// buf's groups: maps and repeated fields share the wire format, not the JSON one.
    fn wire_group(self) -> u8 {
        match self {
            Cardinality::Implicit | Cardinality::Explicit => 1,
            Cardinality::Required => 2,
            Cardinality::Repeated | Cardinality::Map => 3,
        }
    }

    fn wire_json_group(self) -> u8 {
        match self {
            Cardinality::Implicit | Cardinality::Explicit => 1,
            Cardinality::Required => 2,
            Cardinality::Repeated => 3,
            Cardinality::Map => 4,
        }
    }
}

/// One field of a message in the baseline and the field with its number in the new message: the
/// pair buf's field rules judge.
struct FieldPair<'p, 'a> {
    om: &'p Msg<'a>,
    nm: &'p Msg<'a>,
    of: &'p FieldDescriptorProto,
    nf: &'p FieldDescriptorProto,
    /// The new field's descriptor path (for a map entry's field, the map field's).
    fpath: &'p [i32],
    /// The message's short name.
    short: &'p str,
    /// `Field "N" with name "x" on message "M"`, as buf's messages start.
    desc: FieldDesc<'p>,
    /// The new side, and the new field's span once a finding asks for it (most pairs have none).
    new: &'p Side<'a>,
    span: std::cell::OnceCell<Option<Span>>,
}

impl FieldPair<'_, '_> {
    /// The new field's span.
    fn span(&self) -> Option<Span> {
        *self.span.get_or_init(|| self.new.span(self.nm.file, self.fpath))
    }
}

/// How buf's field messages start, written only into a finding's message.
struct FieldDesc<'p> {
    number: i32,
    name: &'p str,
    short: &'p str,
}

impl std::fmt::Display for FieldDesc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Field \"{}\" with name \"{}\" on message \"{}\"",
            self.number, self.name, self.short
        )
    }
}

/// What a field rule reports: where, the compatible alternative, buf's message.
struct Change {
    span: Option<Span>,
    hint: &'static str,
    message: String,
}

/// A field rule: the change it finds in one pair, if any.
type FieldRule = fn(&Checker<'_, '_>, &FieldPair<'_, '_>) -> Option<Change>;

/// Every field rule with its handler, in the order findings are reported.
const FIELD_PAIR_RULES: &[(&Rule, FieldRule)] = &[
    (rules::FIELD_SAME_NAME, field_same_name),
    (rules::FIELD_SAME_JSON_NAME, field_same_json_name),
    (rules::FIELD_SAME_CARDINALITY, field_same_cardinality),
    (
        rules::FIELD_WIRE_COMPATIBLE_CARDINALITY,
        field_wire_compatible_cardinality,
    ),
    (
        rules::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY,
        field_wire_json_compatible_cardinality,
    ),
    (rules::FIELD_SAME_TYPE, field_same_type),
    (rules::FIELD_WIRE_COMPATIBLE_TYPE, field_wire_compatible_type),
    (rules::FIELD_WIRE_JSON_COMPATIBLE_TYPE, field_wire_json_compatible_type),
    (rules::FIELD_SAME_ONEOF, field_same_oneof),
    (rules::FIELD_SAME_DEFAULT, field_same_default),
    (rules::FIELD_SAME_JSTYPE, field_same_jstype),
    (rules::FIELD_SAME_CPP_STRING_TYPE, field_same_cpp_string_type),
];

fn field_same_name(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let (of, nf) = (p.of, p.nf);
    (of.name() != nf.name()).then(|| Change {
        span: c.new.span(p.nm.file, &subpath(p.fpath, &[1])),
        hint: "keep the name: JSON and text formats use it",
        message: format!(
            "Field \"{}\" on message \"{}\" changed name from \"{}\" to \"{}\".",
            nf.number(),
            p.short,
            of.name(),
            nf.name()
        ),
    })
}

fn field_same_json_name(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    // The effective JSON name: the written json_name, else the default the parser derived.
    let json = |f: &FieldDescriptorProto| f.json_name.clone().unwrap_or_default();
    let (oj, nj) = (json(p.of), json(p.nf));
    (oj != nj).then(|| Change {
        span: c.field_span(p, &[10]),
        hint: "keep the JSON name",
        message: format!("{} changed option \"json_name\" from \"{oj}\" to \"{nj}\".", p.desc),
    })
}

/// The old and new cardinality when they differ (map entries' fields are judged as the map).
fn cardinality_change(p: &FieldPair<'_, '_>) -> Option<(Cardinality, Cardinality)> {
    let (oc, nc) = (
        cardinality(p.of, p.om.proto3, p.om.desc),
        cardinality(p.nf, p.nm.proto3, p.nm.desc),
    );
    (oc != nc && !p.om.desc.options.as_ref().is_some_and(|o| o.map_entry())).then_some((oc, nc))
}

fn cardinality_finding(p: &FieldPair<'_, '_>, (oc, nc): (Cardinality, Cardinality)) -> Change {
    Change {
        span: p.span(),
        hint: "add a new field instead",
        message: format!(
            "{} changed cardinality from \"{}\" to \"{}\".",
            p.desc,
            oc.name(),
            nc.name()
        ),
    }
}

fn field_same_cardinality(_: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    cardinality_change(p).map(|change| cardinality_finding(p, change))
}

fn field_wire_compatible_cardinality(_: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    cardinality_change(p)
        .filter(|(oc, nc)| oc.wire_group() != nc.wire_group())
        .map(|change| cardinality_finding(p, change))
}

fn field_wire_json_compatible_cardinality(_: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    cardinality_change(p)
        .filter(|(oc, nc)| oc.wire_json_group() != nc.wire_json_group())
        .map(|change| cardinality_finding(p, change))
}

/// The finding of a type rule, when the type (as buf spells it) changed.
fn type_change(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let (ot, nt) = (type_string(p.of), type_string(p.nf));
    (ot != nt).then(|| Change {
        span: c.field_span(p, &[5]),
        hint: "add a new field with the new type",
        message: format!("{} changed type from \"{ot}\" to \"{nt}\".", p.desc),
    })
}

/// A message, group or enum field whose named type changed (the kind stayed the same).
fn named_type_changed(p: &FieldPair<'_, '_>) -> bool {
    matches!(p.nf.r#type(), Type::Message | Type::Group | Type::Enum) && p.of.r#type() == p.nf.r#type()
}

fn field_same_type(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    type_change(c, p)
}

fn field_wire_compatible_type(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let (ot, nt) = (p.of.r#type(), p.nf.r#type());
    let named = named_type_changed(p);
    let incompatible = if wire_group(ot) != wire_group(nt) || (named && nt != Type::Enum) {
        // string → bytes reads the same bytes.
        !(ot == Type::String && nt == Type::Bytes)
    } else {
        named && !c.enum_wire_compatible(p.of.type_name(), p.nf.type_name(), false)
    };
    type_change(c, p).filter(|_| incompatible)
}

fn field_wire_json_compatible_type(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let (ot, nt) = (p.of.r#type(), p.nf.r#type());
    let named = named_type_changed(p);
    let incompatible = wire_json_group(ot) != wire_json_group(nt)
        || (named && nt != Type::Enum)
        || (named && !c.enum_wire_compatible(p.of.type_name(), p.nf.type_name(), true));
    type_change(c, p).filter(|_| incompatible)
}

fn field_same_oneof(_: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let oneof = |m: &DescriptorProto, f: &FieldDescriptorProto| -> Option<String> {
        if f.proto3_optional() {
            return None;
        }
        f.oneof_index
            .and_then(|i| m.oneof_decl.get(i as usize))
            .map(|o| o.name().to_owned())
    };
    let (oo, no) = (oneof(p.om.desc, p.of), oneof(p.nm.desc, p.nf));
    if oo == no {
        return None;
    }
    let change = match (&oo, &no) {
        (Some(a), Some(b)) => format!("moved from oneof \"{a}\" to oneof \"{b}\""),
        (Some(_), None) => "moved from inside to outside a oneof".to_owned(),
        _ => "moved from outside to inside a oneof".to_owned(),
    };
    Some(Change {
        span: p.span(),
        hint: "add a new field instead",
        message: format!("{} {change}.", p.desc),
    })
}

fn field_same_default(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let (of, nf) = (p.of, p.nf);
    let explicit = matches!(
        cardinality(nf, p.nm.proto3, p.nm.desc),
        Cardinality::Explicit | Cardinality::Required
    );
    (of.default_value != nf.default_value && explicit).then(|| Change {
        span: c.field_span(p, &[7]),
        hint: "keep the default: readers fill it in for absent fields",
        message: format!(
            "{} changed default value from \"{}\" to \"{}\".",
            p.desc,
            of.default_value.clone().unwrap_or_default(),
            nf.default_value.clone().unwrap_or_default()
        ),
    })
}

fn field_same_jstype(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let jstype = |f: &FieldDescriptorProto| f.options.as_ref().map(|o| o.jstype()).unwrap_or_default();
    let (oj, nj) = (jstype(p.of), jstype(p.nf));
    (oj != nj).then(|| Change {
        span: c.field_span(p, &[8, 6]),
        hint: "keep the jstype option",
        message: format!("{} changed option \"jstype\" from \"{oj:?}\" to \"{nj:?}\".", p.desc),
    })
}

fn field_same_cpp_string_type(c: &Checker<'_, '_>, p: &FieldPair<'_, '_>) -> Option<Change> {
    let ctype = |f: &FieldDescriptorProto| f.options.as_ref().map(|o| o.ctype()).unwrap_or_default();
    let (oc, nc) = (ctype(p.of), ctype(p.nf));
    (oc != nc).then(|| Change {
        span: c.field_span(p, &[8, 1]),
        hint: "keep the ctype option",
        message: format!("{} changed C++ string type from \"{oc:?}\" to \"{nc:?}\".", p.desc),
    })
}

fn cardinality(f: &FieldDescriptorProto, proto3: bool, owner: &DescriptorProto) -> Cardinality {
    match f.label() {
        Label::Repeated => {
            let entry = f.type_name().rsplit('.').next().unwrap_or_default();
            let is_map = owner
                .nested_type
                .iter()
                .any(|n| n.name() == entry && n.options.as_ref().is_some_and(|o| o.map_entry()));
            if is_map && f.r#type() == Type::Message {
                Cardinality::Map
            } else {
                Cardinality::Repeated
            }
        }
        Label::Required => Cardinality::Required,
        Label::Optional => {
            let explicit = !proto3
                || f.proto3_optional()
                || f.oneof_index.is_some()
                || matches!(f.r#type(), Type::Message | Type::Group);
            if explicit {
                Cardinality::Explicit
            } else {
                Cardinality::Implicit
            }
        }
    }
}

fn type_string(f: &FieldDescriptorProto) -> String {
    match f.r#type() {
        Type::Message | Type::Enum | Type::Group => f.type_name().trim_start_matches('.').to_owned(),
        t => t.as_str_name().trim_start_matches("TYPE_").to_lowercase(),
    }
}

/// buf's wire compatibility groups.
fn wire_group(t: Type) -> u8 {
    match t {
        Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 | Type::Bool => 1,
        Type::Sint32 | Type::Sint64 => 2,
        Type::String => 3,
        Type::Bytes => 4,
        Type::Fixed32 | Type::Sfixed32 => 5,
        Type::Fixed64 | Type::Sfixed64 => 6,
        Type::Double => 7,
        Type::Float => 8,
        Type::Group => 9,
        Type::Message => 10,
        Type::Enum => 11,
    }
}

/// buf's wire-and-JSON compatibility groups.
fn wire_json_group(t: Type) -> u8 {
    match t {
        Type::Int32 | Type::Uint32 => 1,
        Type::Int64 | Type::Uint64 => 2,
        Type::Fixed32 | Type::Sfixed32 => 3,
        Type::Fixed64 | Type::Sfixed64 => 4,
        Type::Bool => 5,
        Type::Sint32 => 6,
        Type::Sint64 => 7,
        Type::String => 8,
        Type::Bytes => 9,
        Type::Double => 10,
        Type::Float => 11,
        Type::Group => 12,
        Type::Message => 13,
        Type::Enum => 14,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_rule_has_one_handler_and_is_a_registered_proto_rule() {
        let mut ids: Vec<&str> = FIELD_PAIR_RULES.iter().map(|(r, _)| r.id).collect();
        assert_eq!(ids.len(), 12);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), FIELD_PAIR_RULES.len(), "a field rule has two handlers");
        for (rule, _) in FIELD_PAIR_RULES {
            assert!(crate::rules::PROTO_RULES.contains(rule), "{}", rule.id);
            assert!(rule.id.starts_with("FIELD_"), "{}", rule.id);
        }
    }
}
