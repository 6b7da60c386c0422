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
    let built = descriptor(path, &parsed, &Context { deps })?;
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
