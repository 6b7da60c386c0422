//! Stamps herald-codegen with a hash of its own sources, so that generated code cached by a
//! service's build script is regenerated whenever the generator changes, not only when its
//! version number does.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn visit(dir: &Path, h: &mut std::collections::hash_map::DefaultHasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            visit(&path, h);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.strip_prefix(dir).unwrap_or(&path).hash(h);
            bytes.hash(h);
        }
    }
}

fn main() {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    visit(Path::new("src"), &mut h);
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rustc-env=HERALD_CODEGEN_SOURCE_HASH={:016x}", h.finish());
}
