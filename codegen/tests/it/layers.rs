//! A tidy test (as rust-analyzer's): herald-codegen's modules form a stack of layers, and a module
//! may only name modules of its own layer or of a lower one. It reads every `src/**/*.rs` (the
//! `herald` binary in `src/bin` excepted: it is the edge that uses everything), collects the
//! `crate::X` paths each top-level module names outside comments and its `#[cfg(test)]` module,
//! and compares the upward ones with `ALLOWED_UPWARD`. A new upward edge fails; so does an
//! allowlisted edge that no longer exists, so that the list only shrinks. Modules of one layer may
//! name each other, but not in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. ARCHITECTURE.md ("Layers") states the same order.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &["span", "files", "diagnostic", "render", "rules", "suggest", "naming"],
    ),
    ("model", &["model"]),
    ("fingerprints", &["fingerprint"]),
    ("front ends", &["config", "proto", "avro"]),
    ("load", &["load", "consumers"]),
    ("passes", &["lint", "compat", "rust", "fmt"]),
    ("orchestration", &["lock", "baseline", "builder", "topics", "init"]),
];

/// Upward edges that still exist (from → to), each a known cycle still to be removed. Delete an
/// entry when its edge goes; never add one. Empty: every edge the layers' first version listed
/// (model → config, fingerprint → rust, config → compat, proto → lint, load → lock,
/// compat → lock, rust → lock) is gone.
const ALLOWED_UPWARD: &[(&str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments (line and doc comments) and without its test module.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") && lines.peek().is_some_and(|l| l.trim_start().starts_with("mod ")) {
            break;
        }
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level modules a piece of code names through `crate::`: `crate::x`, `crate::{x, y::z}`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i;
        from = at + "crate::".len();
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b'$') {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            // Top-level items of the group: split on commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            let mut items = Vec::new();
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&inner[start..j]);
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            items.push(&inner[start..]);
            for item in items {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    refs.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                refs.insert(name);
            }
        }
    }
    refs
}

/// Every edge between distinct top-level modules: from → {to}.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        if first == "bin" || first == "lib.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_owned();
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let targets = edges.entry(module.clone()).or_default();
        for to in crate_refs(&code(&text)) {
            if to != module {
                targets.insert(to);
            }
        }
    }
    edges
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = edges().into_keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "modules with no layer in tests/it/layers.rs's LAYERS: {unplaced:?}"
    );
}

#[test]
fn no_module_imports_upward() {
    let mut upward = BTreeSet::new();
    for (from, targets) in edges() {
        for to in targets {
            if let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to)) {
                if b > a {
                    upward.insert((from.clone(), to));
                }
            }
        }
    }
    let allowed: BTreeSet<(String, String)> = ALLOWED_UPWARD
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let new: Vec<String> = upward.difference(&allowed).map(|(a, b)| format!("{a} → {b}")).collect();
    let gone: Vec<String> = allowed.difference(&upward).map(|(a, b)| format!("{a} → {b}")).collect();
    let mut problems = String::new();
    if !new.is_empty() {
        problems.push_str(&format!(
            "modules that name a module of a higher layer (move what they need down instead): {new:?}\n"
        ));
    }
    if !gone.is_empty() {
        problems.push_str(&format!("edges gone: delete them from ALLOWED_UPWARD: {gone:?}\n"));
    }
    assert!(problems.is_empty(), "{problems}");
}

/// Within a layer, modules may name each other, but never in a cycle (`a → b → a`).
#[test]
fn no_cycle_within_a_layer() {
    let edges = edges();
    let same_layer = |a: &str, b: &str| layer_of(a).is_some() && layer_of(a) == layer_of(b);
    let mut cycles = Vec::new();
    for start in edges.keys() {
        // Depth-first from `start` along same-layer edges; reaching `start` again is a cycle.
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let Some(last) = path.last() else { continue };
            for next in edges.get(last).into_iter().flatten() {
                if !same_layer(last, next) {
                    continue;
                }
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(next.clone());
                    cycles.push(cycle.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    assert!(cycles.is_empty(), "cycles within a layer: {cycles:?}");
}

#[test]
fn the_scanner_sees_paths_and_groups() {
    let text = "use crate::{avro, proto::{a, b}, self};\n// crate::lint\nfn f() { crate::lock::x(); $crate::no; }\n#[cfg(test)]\nmod tests { use crate::load; }\n";
    let refs: Vec<String> = crate_refs(&code(text)).into_iter().collect();
    assert_eq!(refs, ["avro", "lock", "proto"]);
}
