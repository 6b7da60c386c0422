//! herald's front end against protobuf-parse: on every file it accepts, the same descriptor.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use protobuf::descriptor::FileDescriptorProto;

use super::super::{
    overlay_dir, scan, typecheck, Roots, DESCRIPTOR_FOR_OPTIONS, DESCRIPTOR_PATH, OPTIONS_PATH, OPTIONS_PROTO,
};
use super::{descriptor, parse, Context};

/// protobuf-parse's descriptors for `path` under `root` (held in memory as `text`) and every file
/// it imports, or its message.
fn reference(root: Option<&Path>, path: &str, text: &str) -> Result<Vec<FileDescriptorProto>, String> {
    let overlay = overlay_dir().map_err(|e| e.to_string())?;
    for (rel, body) in [
        (OPTIONS_PATH, OPTIONS_PROTO),
        (DESCRIPTOR_PATH, DESCRIPTOR_FOR_OPTIONS),
        (path, text),
    ] {
        let at = overlay.path().join(rel);
        std::fs::create_dir_all(at.parent().expect("a parent")).map_err(|e| e.to_string())?;
        std::fs::write(at, body).map_err(|e| e.to_string())?;
    }
    let roots = Roots {
        overlay,
        repo: root.map(Path::to_path_buf),
        staged: BTreeSet::from([path.to_owned()]),
    };
    typecheck(&[path.to_owned()], &roots)
}

/// What herald's front end makes of `text`: `None` when it declines; else its descriptor
/// (compared) or, when protobuf-parse rejects the file, a failure of the test.
fn compare(root: Option<&Path>, path: &str, text: &str) -> Option<FileDescriptorProto> {
    let tokens = scan::tokenize(text).ok()?;
    let parsed = parse(text, &tokens)?;
    let fds = match reference(root, path, text) {
        Ok(fds) => fds,
        // A file that does not type-check: herald's front end must not have read it as valid
        // syntax when protobuf-parse did not.
        Err(e) => {
            assert!(
                protobuf_parse::pure::parse_dependencies(text).is_ok(),
                "{path}: herald's front end parsed a file protobuf-parse rejects: {e}"
            );
            return None;
        }
    };
    let expected = fds
        .iter()
        .find(|fd| fd.name() == path)
        .expect("the file's own descriptor");
    let deps: Vec<&FileDescriptorProto> = fds.iter().filter(|fd| fd.name() != path).collect();
    let built = descriptor(path, &parsed, &Context::new(&deps))?;
    assert_eq!(&built, expected, "{path}: descriptors differ");
    assert_eq!(
        protobuf::Message::write_to_bytes(&built).ok(),
        protobuf::Message::write_to_bytes(expected).ok(),
        "{path}: encodings differ"
    );
    Some(built)
}

/// Whether the imports from `path` under `root` come back to a file already on the way.
fn imports_cycle(root: &Path, path: &str) -> bool {
    fn walk(root: &Path, path: &str, on_way: &mut Vec<String>) -> bool {
        if on_way.iter().any(|p| p == path) {
            return true;
        }
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            return false;
        };
        let Ok(tokens) = scan::tokenize(&text) else {
            return false;
        };
        on_way.push(path.to_owned());
        let cycle = scan::outline(&text, &tokens)
            .imports
            .iter()
            .any(|i| walk(root, &i.path, on_way));
        on_way.pop();
        cycle
    }
    walk(root, path, &mut Vec::new())
}

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            proto_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

#[test]
fn every_proto_file_of_the_repository_it_accepts_builds_as_protobuf_parse_builds_it() {
    // protobuf-parse recurses once per nesting level, and some fixtures nest deeply.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(corpus)
        .expect("a thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
}

fn corpus() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["codegen/tests", "examples", "schemas"] {
        proto_files(&workspace.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 500, "the corpus is missing: {} files", files.len());
    let (mut built, mut declined) = (0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let accepted = scan::tokenize(&text).ok().and_then(|t| parse(&text, &t));
        if accepted.is_none() || text.contains(DESCRIPTOR_PATH) {
            declined += 1;
            continue;
        }
        // The root is the nearest ancestor under which the file's imports resolve (and form no
        // cycle, which protobuf-parse does not survive).
        let mut outcome = None;
        for root in file
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(&workspace) && *a != workspace)
        {
            let Ok(rel) = file.strip_prefix(root) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if imports_cycle(root, &rel) {
                continue;
            }
            let resolves = reference(Some(root), &rel, &text).is_ok();
            if resolves || outcome.is_none() {
                outcome = Some(compare(Some(root), &rel, &text));
            }
            if resolves {
                break;
            }
        }
        match outcome.flatten() {
            Some(_) => built += 1,
            None => declined += 1,
        }
    }
    // The examples and most of buf's proto3 cases are in the subset.
    assert!(
        built >= 100,
        "herald's front end built only {built} files ({declined} declined)"
    );
    eprintln!("built {built}, declined {declined}");
}

/// A small deterministic generator of proto3 files in the subset herald's front end covers:
/// nested messages and enums, every scalar, references in every form (simple, qualified from an
/// outer scope, absolute, shadowed), maps, `repeated`, `optional`, oneofs, reserved numbers and
/// names, and the event option with its keys in any order.
struct Gen {
    state: u64,
    /// Full names (no leading dot) of the messages and enums declared so far, with their kind.
    declared: Vec<(String, bool)>,
    out: String,
}

const NAMES: &[&str] = &[
    "a",
    "b_c",
    "fooBar",
    "x1_y2",
    "long_field_name",
    "z__w",
    "id",
    "Value",
    "q_",
];
const TYPES: &[&str] = &["Thing", "Inner", "Deep", "Money", "Kind", "State", "Other"];
const SCALARS: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
    "sfixed64", "bool", "string", "bytes",
];
const KEYS: &[&str] = &[
    "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool",
    "string",
];

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }

    /// A reference to a declared type as seen from `scope`, in one of the forms protobuf allows.
    fn reference(&mut self, scope: &str) -> Option<String> {
        if self.declared.is_empty() {
            return None;
        }
        let at = self.below(self.declared.len());
        let (full, _) = self.declared[at].clone();
        Some(match self.below(3) {
            0 => format!(".{full}"),
            // Relative to the scope's package or an outer message: what is left after a prefix
            // the scope shares (it may resolve to another type that shadows it: both front ends
            // must then agree on which).
            1 => {
                let mut rest = full.as_str();
                for part in scope.split('.') {
                    match rest.strip_prefix(part).and_then(|r| r.strip_prefix('.')) {
                        Some(r) if !r.is_empty() => rest = r,
                        _ => break,
                    }
                }
                rest.to_owned()
            }
            _ => full.rsplit('.').next().unwrap_or(&full).to_owned(),
        })
    }

    fn enumeration(&mut self, scope: &str, name: &str, indent: &str) {
        self.out.push_str(&format!("{indent}enum {name} {{\n"));
        for v in 0..1 + self.below(4) {
            self.out.push_str(&format!(
                "{indent}  {}_V{v} = {};\n",
                name.to_uppercase(),
                v as i64 - (v == 3) as i64 * 9
            ));
        }
        if self.below(3) == 0 {
            self.out.push_str(&format!(
                "{indent}  reserved 20 to 25, 30;\n{indent}  reserved \"OLD\";\n"
            ));
        }
        self.out.push_str(&format!("{indent}}}\n"));
        self.declared.push((join(scope, name), false));
    }

    /// Long because it writes one message statement by statement, each kind with its own odds.
    fn message(&mut self, scope: &str, name: &str, depth: usize, indent: &str) {
        let full = join(scope, name);
        self.declared.push((full.clone(), true));
        self.out.push_str(&format!("{indent}message {name} {{\n"));
        let inner = format!("{indent}  ");
        let mut used: Vec<String> = Vec::new();
        let mut number = 0;
        let mut nested = 0;
        for _ in 0..self.below(9) {
            let mut field_name = self.pick(NAMES).to_owned();
            while used.contains(&field_name) {
                field_name.push('x');
            }
            used.push(field_name.clone());
            number += 1 + self.below(3);
            let value = |g: &mut Gen| match g.below(3) {
                0 => g.reference(&full).unwrap_or_else(|| "string".to_owned()),
                _ => g.pick(SCALARS).to_owned(),
            };
            match self.below(10) {
                0 if depth < 3 => {
                    let t = format!("{}{nested}", self.pick(TYPES));
                    nested += 1;
                    self.message(&full, &t, depth + 1, &inner);
                    number -= 1;
                    used.pop();
                }
                1 => {
                    let t = format!("{}E{nested}", self.pick(TYPES));
                    nested += 1;
                    self.enumeration(&full, &t, &inner);
                    number -= 1;
                    used.pop();
                }
                2 => {
                    let (k, v) = (self.pick(KEYS), value(self));
                    self.out
                        .push_str(&format!("{inner}map<{k}, {v}> {field_name} = {number};\n"));
                }
                3 => {
                    self.out.push_str(&format!("{inner}oneof {field_name} {{\n"));
                    for m in 0..1 + self.below(3) {
                        let v = value(self);
                        self.out
                            .push_str(&format!("{inner}  {v} {field_name}_{m} = {};\n", number + m));
                    }
                    number += 3;
                    self.out.push_str(&format!("{inner}}}\n"));
                }
                4 => {
                    let v = value(self);
                    self.out
                        .push_str(&format!("{inner}repeated {v} {field_name} = {number};\n"));
                }
                5 => {
                    let v = value(self);
                    self.out
                        .push_str(&format!("{inner}optional {v} {field_name} = {number};\n"));
                }
                6 => {
                    number += 5;
                    self.out.push_str(&format!(
                        "{inner}reserved {}, {} to {};\n",
                        number - 4,
                        number - 3,
                        number - 1
                    ));
                    self.out.push_str(&format!("{inner}reserved \"gone_{number}\";\n"));
                    used.pop();
                }
                7 if depth == 0 && !self.out.contains(&format!("{full} event")) => {
                    let mut entries = vec![
                        format!("version: \"1.{}\"", self.below(9)),
                        format!("kind: {}", ["EVENT", "COMMAND", "KIND_UNSPECIFIED"][self.below(3)]),
                        format!("partition_key: \"{field_name}\""),
                        "name: \"n.x\"".to_owned(),
                        "compatibility: \"FULL\"".to_owned(),
                    ];
                    entries.truncate(1 + self.below(5));
                    let turn = self.below(entries.len());
                    entries.rotate_left(turn);
                    self.out.push_str(&format!(
                        "{inner}// {full} event\n{inner}option (herald.event) = {{ {} }};\n",
                        entries.join(", ")
                    ));
                    used.pop();
                    number -= 1;
                }
                _ => {
                    let v = value(self);
                    self.out.push_str(&format!("{inner}{v} {field_name} = {number};\n"));
                }
            }
        }
        self.out.push_str(&format!("{indent}}}\n"));
    }

    fn file(seed: u64) -> String {
        let mut g = Gen {
            state: seed | 1,
            declared: Vec::new(),
            out: String::new(),
        };
        let package = ["", "p", "acme.orders.v1", "a.b"][g.below(4)].to_owned();
        g.out.push_str("syntax = \"proto3\";\n");
        if !package.is_empty() {
            g.out.push_str(&format!("package {package};\n"));
        }
        g.out.push_str("import \"herald/options.proto\";\n");
        for n in 0..1 + g.below(3) {
            let name = format!("{}{n}", g.pick(TYPES));
            if g.below(4) == 0 {
                g.enumeration(&package, &format!("{name}Top"), "");
            }
            g.message(&package, &name, 0, "");
        }
        g.out
    }
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// On generated files, herald's front end builds exactly protobuf-parse's descriptor when
    /// protobuf-parse accepts the file, and builds none when it does not (a name that does not
    /// resolve, say).
    #[test]
    fn generated_files_build_as_protobuf_parse_builds_them(seed in proptest::prelude::any::<u64>()) {
        let text = Gen::file(seed);
        let tokens = scan::tokenize(&text).expect("tokens");
        let parsed = parse(&text, &tokens);
        proptest::prop_assert!(parsed.is_some(), "declined to parse:\n{text}");
        let Some(parsed) = parsed else { return Ok(()) };
        let path = "gen/x.proto";
        match reference(None, path, &text) {
            Ok(fds) => {
                let expected = fds.iter().find(|fd| fd.name() == path).expect("its descriptor");
                let deps: Vec<&FileDescriptorProto> = fds.iter().filter(|fd| fd.name() != path).collect();
                let built = descriptor(path, &parsed, &Context::new(&deps));
                proptest::prop_assert_eq!(built.as_ref(), Some(expected), "{}", text);
            }
            Err(e) => {
                let deps = builtins();
                let deps: Vec<&FileDescriptorProto> = deps.iter().collect();
                let built = descriptor(path, &parsed, &Context::new(&deps));
                proptest::prop_assert!(built.is_none(), "built a file protobuf-parse rejects ({}):\n{}", e, text);
            }
        }
    }
}

/// The built-in files' descriptors (for files protobuf-parse rejects, whose run gives none).
fn builtins() -> Vec<FileDescriptorProto> {
    let fds = reference(
        None,
        "empty.proto",
        "syntax = \"proto3\";\nimport \"herald/options.proto\";\n",
    )
    .expect("builtins");
    fds.into_iter().filter(|fd| fd.name() != "empty.proto").collect()
}

/// The generator is worth its cases: most of its files type-check (a reference may not resolve
/// from where it is used), and they use what the front end covers.
#[test]
fn generated_files_mostly_type_check_and_cover_the_subset() {
    let texts: Vec<String> = (1..=200u64)
        .map(|s| Gen::file(s.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect();
    let accepted = texts
        .iter()
        .filter(|t| reference(None, "gen/x.proto", t).is_ok())
        .count();
    assert!(accepted >= 120, "only {accepted} of 200 generated files type-check");
    let all = texts.concat();
    for construct in [
        "map<",
        "oneof ",
        "optional ",
        "repeated ",
        "reserved \"",
        " to ",
        "(herald.event)",
        " = -",
        "message ",
        "enum ",
        " .",
        "kind: ",
    ] {
        assert!(all.contains(construct), "no generated file has `{construct}`");
    }
}

/// The built-in files a load gives herald's front end: the options (and the stand-in for
/// `descriptor.proto` they import) and the well-known types, as protobuf-parse gives them.
#[test]
fn the_built_in_files_are_type_checked_once_with_the_well_known_types() {
    let builtins = super::super::builtin_descriptors().expect("the built-in files type-check");
    let names: BTreeSet<&str> = builtins.iter().map(|fd| fd.name()).collect();
    for name in [
        OPTIONS_PATH,
        DESCRIPTOR_PATH,
        "google/protobuf/timestamp.proto",
        "google/protobuf/wrappers.proto",
        "google/protobuf/any.proto",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    // A file importing a well-known type builds as protobuf-parse builds it.
    let text = "syntax = \"proto3\";\npackage p;\nimport \"google/protobuf/timestamp.proto\";\nimport \"herald/options.proto\";\nmessage M {\n  option (herald.event) = { version: \"1.0\", kind: EVENT };\n  google.protobuf.Timestamp at = 1;\n  repeated .google.protobuf.Timestamp times = 2;\n}\n";
    let tokens = scan::tokenize(text).expect("tokens");
    let parsed = parse(text, &tokens).expect("in the subset");
    let deps: Vec<&FileDescriptorProto> = builtins.iter().collect();
    let built = descriptor("p/m.proto", &parsed, &Context::new(&deps)).expect("built");
    let fds = reference(None, "p/m.proto", text).expect("type-checks");
    assert_eq!(Some(&built), fds.iter().find(|fd| fd.name() == "p/m.proto"));
}

/// A file that sees another `herald.EventOptions` than the built-in one (protobuf-parse would
/// encode the option with the first it finds) is left to protobuf-parse, as is one that declares
/// a name an import declares.
#[test]
fn a_file_that_sees_another_event_options_declines() {
    let extra = "syntax = \"proto3\";\npackage herald;\nmessage EventOptions {\n  string version = 1;\n}\n";
    let extra = reference(None, "herald/extra.proto", extra).expect("type-checks");
    let builtins = super::super::builtin_descriptors().expect("built-in files");
    let mut deps: Vec<&FileDescriptorProto> = builtins.iter().collect();
    deps.extend(extra.iter().filter(|fd| fd.name() == "herald/extra.proto"));
    let cx = Context::new(&deps);
    let build = |text: &str| {
        let tokens = scan::tokenize(text).expect("tokens");
        let parsed = parse(text, &tokens).expect("in the subset's syntax");
        descriptor("p/m.proto", &parsed, &cx)
    };
    let head = "syntax = \"proto3\";\npackage p;\nimport \"herald/options.proto\";\nimport \"herald/extra.proto\";\n";
    assert!(build(&format!(
        "{head}message M {{\n  option (herald.event) = {{ version: \"1.0\" }};\n}}\n"
    ))
    .is_none());
    assert!(build(&format!("{head}message M {{\n  string a = 1;\n}}\n")).is_some());
    // Declaring a name an import declares.
    let own = "syntax = \"proto3\";\npackage herald;\nmessage Kind {\n}\n";
    assert!(build(own).is_none());
}
