//! What the tests share: rendering a repo on disk.

use std::path::Path;

/// The catalog of the repo at `repo` (which must load without errors).
pub fn render_repo(repo: &Path) -> herald_catalog::Site {
    render_reusing(repo, None).site
}

/// The catalog of the repo at `repo`, reusing `previous` (a record of an earlier catalog).
pub fn render_reusing(repo: &Path, previous: Option<&herald_catalog::history::Record>) -> herald_catalog::Rendered {
    let loaded = load_clean(repo);
    let lock_path = repo.join("herald.lock");
    let lock = lock_path.is_file().then(|| {
        let mut sources = herald_codegen::span::SourceMap::new();
        herald_codegen::lock::read(&lock_path, &mut sources).expect("the lock reads")
    });
    let templates = herald_catalog::Templates::load(None).expect("the built-in templates parse");
    herald_catalog::render_reusing(&loaded.set, lock.as_ref(), &templates, previous).expect("renders")
}

/// The repo at `repo`, which must load without errors.
pub fn load_clean(repo: &Path) -> herald_codegen::load::LoadResult {
    let loaded = herald_codegen::load::load(repo).expect("the repo loads");
    let errors: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == herald_codegen::Severity::Error)
        .map(|d| d.message.as_str())
        .collect();
    assert!(errors.is_empty(), "the repo has errors: {errors:?}");
    loaded
}

/// The example repo, `schemas/`.
pub fn example_repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// A file of the site as text.
pub fn text<'a>(site: &'a herald_catalog::Site, name: &str) -> &'a str {
    std::str::from_utf8(
        site.get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", site.keys().collect::<Vec<_>>())),
    )
    .expect("UTF-8")
}
