//! `herald init`: a new schema repo that `herald lint` accepts as it is: `herald.toml` with one
//! proto source and one Avro source, one event each (with herald's metadata and imports), and a
//! README line on what to do next. The files are kept in `codegen/templates/init`.

use std::path::{Path, PathBuf};

/// The files of a new schema repo: path relative to its root, and contents.
pub const FILES: &[(&str, &str)] = &[
    ("herald.toml", include_str!("../templates/init/herald.toml")),
    ("README.md", include_str!("../templates/init/README.md")),
    (
        "orders/v1/order_placed.proto",
        include_str!("../templates/init/orders/v1/order_placed.proto"),
    ),
    (
        "payments/payment_received.avsc",
        include_str!("../templates/init/payments/payment_received.avsc"),
    ),
];

/// Writes a new schema repo into `dir` (created if missing) and returns the files written.
/// Refuses, writing nothing, when `dir` already holds a `herald.toml` or any of the files.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let existing: Vec<String> = FILES
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(format!(
            "{} already exists; nothing written (herald init makes a new schema repo)",
            existing.join(", ")
        ));
    }
    let mut written = Vec::new();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
