//! Properties of the formatters over every schema file of the repository (`.avsc` and
//! `.proto`): formatting twice gives the bytes of formatting once, and formatting
//! never changes meaning: the repo a file belongs to loads into the same model (spans aside, docs
//! included) with the same diagnostics before and after, and for Avro apache-avro reads the same
//! Parsing Canonical Form with the same fingerprint.
//!
//! Skipped, by one rule, and listed on stdout: files the formatter refuses, and then only when
//! the loader refuses them too with a syntax error (`AVRO_JSON_SYNTAX`, `PROTO_SYNTAX`,
//! `FILE_NOT_UTF8`); a file the formatter refuses but the loader reads fails the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use herald_codegen::model::Format;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds the crate")
        .to_path_buf()
}

/// Every file with extension `ext` under the workspace, except under `target/` and hidden
/// directories (as `find . -name '*.avsc' -not -path '*/target/*'`).
fn corpus(ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![workspace()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if kind.is_file() && path.extension().is_some_and(|x| x == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The repo `file` is loaded in: the nearest directory upward holding herald.toml (below the
/// workspace), else the file's own directory.
fn repo_of(file: &Path) -> PathBuf {
    let top = workspace();
    let parent = file.parent().expect("a file has a directory");
    for dir in parent.ancestors() {
        if dir == top {
            break;
        }
        if dir.join("herald.toml").is_file() {
            return dir.to_path_buf();
        }
    }
    parent.to_path_buf()
}

/// `text` with every span's offsets removed (`Span { file: FileId(3), start: 1, end: 9 }` →
/// `Span { file: FileId(3) }`): formatting moves text, not meaning.
fn without_offsets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Span { file: FileId(") {
        let after = &rest[i..];
        let Some(close) = after.find(')') else { break };
        let Some(end) = after.find(" }") else { break };
        out.push_str(&rest[..i]);
        out.push_str(&after[..=close]);
        out.push_str(" }");
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// What a load of `root` means, as text: the model without spans or source texts (proto
/// descriptors without their source locations), then each diagnostic's rule, severity, file,
/// message and help, sorted. A file's imports are a set (buf's layout sorts them, and their order
/// means nothing to protobuf), so they compare sorted.
fn meaning(root: &Path) -> String {
    use prost::Message;
    match herald_codegen::load::load(root) {
        Err(u) => format!(
            "unusable: {:?}",
            u.diagnostics
                .iter()
                .map(|d| (d.rule.id, &d.message))
                .collect::<Vec<_>>()
        ),
        Ok(l) => {
            let set = &l.set;
            let descriptors: Vec<(String, String)> = set
                .proto_descriptors
                .iter()
                .map(|(name, bytes)| {
                    let mut fd = prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("descriptor");
                    fd.source_code_info = None;
                    // Imports are a set: buf sorts them, so their order and the indexes into it go.
                    let named = |idx: &[i32]| -> BTreeSet<String> {
                        idx.iter()
                            .filter_map(|i| usize::try_from(*i).ok().and_then(|i| fd.dependency.get(i)).cloned())
                            .collect()
                    };
                    let (public, weak) = (named(&fd.public_dependency), named(&fd.weak_dependency));
                    fd.dependency.sort();
                    fd.public_dependency.clear();
                    fd.weak_dependency.clear();
                    (name.clone(), format!("{fd:?} public {public:?} weak {weak:?}"))
                })
                .collect();
            let mut files = set.files.clone();
            for file in &mut files {
                file.imports.sort_by(|a, b| a.path.cmp(&b.path));
            }
            let model = format!(
                "files {:?}\ntypes {:?}\nevents {:?}\nsources {:?}\nby_name {:?}\nconfig {:?}\ndescriptors {:?}\nlocations {:?}",
                files,
                set.types,
                set.events,
                set.sources,
                set.by_name,
                set.config,
                descriptors,
                set.proto_locations.keys().collect::<Vec<_>>(),
            );
            let mut diagnostics: Vec<String> = l
                .diagnostics
                .iter()
                .map(|d| {
                    let file = d
                        .span
                        .map(|s| set.sources_map.get(s.file).name.clone())
                        .unwrap_or_default();
                    format!("{} {:?} {file}: {} ({:?})", d.rule.id, d.severity, d.message, d.help)
                })
                .collect();
            // In a sorted list: a diagnostic per import follows the imports' order.
            diagnostics.sort();
            format!("{}\n{}", without_offsets(&model), diagnostics.join("\n"))
        }
    }
}

/// The files `root`'s load reads (herald.toml, herald.lock, schema files), relative to it.
fn repo_files(root: &Path) -> Vec<PathBuf> {
    herald_codegen::load::input_files(root)
        .into_iter()
        .filter_map(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

fn copy_repo(root: &Path, files: &[PathBuf], to: &Path) {
    for rel in files {
        let target = to.join(rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::copy(root.join(rel), &target).expect("copy");
    }
}

/// Whether the loader refuses `file` (alone) with a syntax error.
fn loader_refuses(file: &Path) -> bool {
    let Ok(l) = herald_codegen::load::load(file) else {
        return true;
    };
    l.diagnostics
        .iter()
        .any(|d| ["AVRO_JSON_SYNTAX", "PROTO_SYNTAX", "FILE_NOT_UTF8", "FILE_TOO_LARGE"].contains(&d.rule.id))
}

/// Parsing Canonical Form and CRC-64-AVRO of every schema apache-avro reads from `texts` (each
/// alone if it stands alone, else the whole list together), `None` when it reads none of them.
fn canonical(texts: &[String]) -> Option<Vec<(String, Vec<u8>)>> {
    use apache_avro::rabin::Rabin;
    let describe = |s: &apache_avro::Schema| (s.canonical_form(), s.fingerprint::<Rabin>().bytes);
    let alone: Vec<_> = texts
        .iter()
        .filter_map(|t| apache_avro::Schema::parse_str(t).ok())
        .map(|s| describe(&s))
        .collect();
    if alone.len() == texts.len() {
        return Some(alone);
    }
    apache_avro::Schema::parse_list(texts)
        .ok()
        .map(|list| list.iter().map(describe).collect())
}

/// Checks both properties over every file of `ext`; returns the files skipped, with why.
fn check_corpus(ext: &str, format: Format) -> Vec<String> {
    let files = corpus(ext);
    assert!(!files.is_empty(), "no .{ext} file found");
    let mut skipped = Vec::new();
    let mut problems = Vec::new();
    let mut repos = BTreeSet::new();
    // buf's formatter suite (vendored test data, not schemas) is checked for idempotence only: its
    // cases are about layout, and buf's layout moves some same-line comments onto a line of their
    // own (`FOO = 1; /* c */ }` → `FOO = 1;` then `/* c */`), which herald reads as a trailing doc
    // before and a detached comment after. herald's own schema files are checked for meaning too.
    let buf_suite = workspace().join("codegen/tests/data/buf-format");
    let mut layout_only = 0usize;
    for file in &files {
        let shown = file.strip_prefix(workspace()).unwrap_or(file).display().to_string();
        let Ok(text) = std::fs::read_to_string(file) else {
            if loader_refuses(file) {
                skipped.push(format!("{shown}: not UTF-8 (FILE_NOT_UTF8)"));
            } else {
                problems.push(format!("{shown}: not UTF-8, yet the loader reads it"));
            }
            continue;
        };
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        match herald_codegen::fmt::format(format, body) {
            Ok(once) => match herald_codegen::fmt::format(format, &once) {
                Ok(twice) if twice == once => {
                    if file.starts_with(&buf_suite) {
                        layout_only += 1;
                    } else {
                        repos.insert(repo_of(file));
                    }
                }
                Ok(_) => problems.push(format!("{shown}: formatting twice differs from formatting once")),
                Err(e) => problems.push(format!("{shown}: its formatted text does not parse: {e:?}")),
            },
            Err(e) => {
                if loader_refuses(file) {
                    skipped.push(format!(
                        "{shown}: does not parse, for the loader either ({})",
                        e.message
                    ));
                } else {
                    problems.push(format!(
                        "{shown}: the formatter refuses it ({e:?}) but the loader reads it"
                    ));
                }
            }
        }
    }

    // Meaning: each repo before and after formatting every file of `ext` in it.
    let mut avro_compared = 0usize;
    for root in &repos {
        let files = repo_files(root);
        let tmp = tempfile::tempdir().expect("tempdir");
        let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
        copy_repo(root, &files, &before);
        copy_repo(root, &files, &after);
        let mut texts_before = Vec::new();
        let mut texts_after = Vec::new();
        for rel in files.iter().filter(|p| p.extension().is_some_and(|x| x == ext)) {
            let path = after.join(rel);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let (bom, body) = match text.strip_prefix('\u{feff}') {
                Some(rest) => ("\u{feff}", rest),
                None => ("", text.as_str()),
            };
            if let Ok(formatted) = herald_codegen::fmt::format(format, body) {
                std::fs::write(&path, format!("{bom}{formatted}")).expect("write");
                texts_before.push(body.to_owned());
                texts_after.push(formatted);
            }
        }
        let shown = root.strip_prefix(workspace()).unwrap_or(root).display().to_string();
        let (m_before, m_after) = (meaning(&before), meaning(&after));
        if m_before != m_after {
            let at = m_before
                .char_indices()
                .zip(m_after.chars())
                .find(|((_, a), b)| a != b)
                .map_or(0, |((i, _), _)| i);
            let from = at.saturating_sub(200);
            problems.push(format!(
                "{shown}: the model changed\nbefore: …{}…\nafter:  …{}…",
                m_before.get(from..(at + 200).min(m_before.len())).unwrap_or_default(),
                m_after.get(from..(at + 200).min(m_after.len())).unwrap_or_default()
            ));
        }
        if format == Format::Avro {
            let (c_before, c_after) = (canonical(&texts_before), canonical(&texts_after));
            if c_before != c_after {
                problems.push(format!(
                    "{shown}: apache-avro's canonical forms or fingerprints changed\nbefore: {c_before:?}\nafter:  {c_after:?}"
                ));
            }
            avro_compared += usize::from(c_before.is_some());
        }
    }
    println!(
        "{} .{ext} files ({layout_only} of buf's formatter suite, idempotence only), {} repos loaded before and after, {avro_compared} of them compared by apache-avro; {} skipped:",
        files.len(),
        repos.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("  {s}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    skipped
}

/// Runs `f` on a thread with a large stack: apache-avro and the loader recurse on deep schemas.
fn big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn_scoped(s, f)
            .expect("thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

#[test]
fn every_avsc_file_formats_idempotently_and_keeps_its_meaning() {
    let skipped = big_stack(|| check_corpus("avsc", Format::Avro));
    // The skip rule is about bad-input fixtures: they are few.
    assert!(skipped.len() < 40, "{} skipped", skipped.len());
}

#[test]
fn every_proto_file_formats_idempotently_and_keeps_its_meaning() {
    let skipped = big_stack(|| check_corpus("proto", Format::Proto));
    assert!(skipped.len() < 80, "{} skipped", skipped.len());
}

#[test]
fn spans_are_the_only_thing_left_out() {
    assert_eq!(
        without_offsets("A { span: Span { file: FileId(2), start: 10, end: 12 }, n: 3 }"),
        "A { span: Span { file: FileId(2) }, n: 3 }"
    );
    assert_eq!(without_offsets("start: 1, end: 2"), "start: 1, end: 2");
}

#[test]
fn the_comparison_sees_a_changed_doc_and_not_a_moved_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("r.avsc");
    let write = |text: &str| std::fs::write(&file, text).expect("write");
    write(r#"{"type": "record", "name": "R", "doc": "one", "fields": [{"name": "a", "type": "int"}]}"#);
    let base = meaning(dir.path());
    write(r#"{"name": "R", "type": "record", "fields": [{"type": "int", "name": "a"}], "doc": "one"}"#);
    assert_eq!(meaning(dir.path()), base);
    write(r#"{"type": "record", "name": "R", "doc": "two", "fields": [{"name": "a", "type": "int"}]}"#);
    assert_ne!(meaning(dir.path()), base);
    let texts = |t: &str| canonical(&[t.to_owned()]);
    assert_eq!(
        texts(
            r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "long"}]}"#
        ),
        texts(
            r#"{"fields": [{"type": "int", "name": "a"}, {"name": "b", "type": "long"}], "name": "R", "type": "record"}"#
        )
    );
    assert_ne!(
        texts(
            r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "long"}]}"#
        ),
        texts(
            r#"{"type": "record", "name": "R", "fields": [{"name": "b", "type": "long"}, {"name": "a", "type": "int"}]}"#
        )
    );
}
