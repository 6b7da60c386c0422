//! The files a load reads, held in memory: [`crate::load::load_files`] sees exactly a
//! [`FileSet`] and nothing else. Reading the disk is one way to fill a set ([`FileSet::read_dir`],
//! [`FileSet::read_file`]); a release rebuilt from the lock, a git revision and an editor's open
//! buffers are others, so none of them goes through a temporary directory.
//!
//! Names are repo-relative with `/` separators (`orders/v1/order.proto`), the names imports and
//! lock entries use. A set iterates in the order a sorted directory walk visits files (component
//! by component: `a/x.proto` before `a-b/x.proto` before `a.proto`), which is the order the loader
//! numbers files in.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::span::display_name;

/// Name of the repo's configuration file at the root of a set.
const CONFIG_FILE: &str = "herald.toml";

/// Largest schema file herald reads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What is known of one file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The file's bytes, as read (any BOM included; the loader decodes and reports); shared, so
    /// that a copy of the set (an editor's snapshot for an analysis) copies no content.
    Bytes(std::sync::Arc<[u8]>),
    /// Larger than [`MAX_FILE_BYTES`]: not read.
    TooLarge(u64),
    /// Could not be read; the I/O error's message.
    Unreadable(String),
}

/// A problem met while filling a set that belongs to no file's content (a symbolic link loop, a
/// directory that cannot be listed): the loader reports it as a warning at `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub name: String,
    pub message: String,
}

#[derive(Debug, Clone)]
struct Entry {
    content: Content,
    /// Where the file is shown from: the root joined with its name.
    path: PathBuf,
    /// The content is what is on disk at `path` (read from there, not given in memory).
    on_disk: bool,
}

/// One file of a set.
#[derive(Debug, Clone, Copy)]
pub struct File<'a> {
    /// Repo-relative, `/` separators.
    pub name: &'a str,
    /// Where it is shown from: the set's root joined with its name.
    pub path: &'a Path,
    pub content: &'a Content,
    /// The content was read from `path` (and is still what the set holds).
    pub on_disk: bool,
}

/// A repo-relative name ordered component by component, as a sorted walk visits files.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name(String);

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.split('/').cmp(other.0.split('/'))
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The schema files of a repo (or one file), `herald.toml` among them when the repo has one.
#[derive(Debug, Clone)]
pub struct FileSet {
    root: PathBuf,
    files: BTreeMap<Name, Entry>,
    problems: Vec<Problem>,
    /// A single file checked on its own: no `herald.toml` is looked for.
    single: bool,
}

impl FileSet {
    /// An empty set whose files are shown as under `root` (which need not exist).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileSet {
            root: root.into(),
            files: BTreeMap::new(),
            problems: Vec::new(),
            single: false,
        }
    }

    /// Every `.proto` and `.avsc` file under `root` (as [`walk`] finds them) and its
    /// `herald.toml`, read from disk.
    pub fn read_dir(root: &Path) -> Self {
        let mut set = FileSet::new(root);
        let config = root.join(CONFIG_FILE);
        if config.is_file() {
            set.read_into(CONFIG_FILE.to_owned(), &config);
        }
        let (paths, problems) = walk(root);
        for path in paths {
            set.read_into(display_name(root, &path), &path);
        }
        set.problems = problems;
        set
    }

    /// One schema file on its own, without any `herald.toml`: its name is its file name, shown
    /// as under its directory.
    pub fn read_file(path: &Path) -> Self {
        let mut set = FileSet::for_file(path);
        let name = display_name(&set.root, path);
        set.read_into(name, path);
        set
    }

    /// An empty set for the one file at `path` (not read: the caller inserts its content), checked
    /// on its own as [`FileSet::read_file`] does.
    pub fn for_file(path: &Path) -> Self {
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut set = FileSet::new(root);
        set.single = true;
        set
    }

    /// The directory the set's files are shown as under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A single file checked on its own (no `herald.toml` applies).
    pub fn is_single_file(&self) -> bool {
        self.single
    }

    /// Adds or replaces a file (an editor's buffer over the disk's copy, a file from the lock).
    pub fn insert(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let name = name.into();
        let path = self.root.join(&name);
        self.files.insert(
            Name(name),
            Entry {
                content: Content::Bytes(bytes.into().into()),
                path,
                on_disk: false,
            },
        );
    }

    /// Removes a file; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.files.remove(&Name(name.to_owned())).is_some()
    }

    /// A file's content.
    pub fn get(&self, name: &str) -> Option<&Content> {
        self.files.get(&Name(name.to_owned())).map(|e| &e.content)
    }

    /// Every file, in walk order.
    pub fn iter(&self) -> impl Iterator<Item = File<'_>> {
        self.files.iter().map(|(name, entry)| File {
            name: name.0.as_str(),
            path: entry.path.as_path(),
            content: &entry.content,
            on_disk: entry.on_disk,
        })
    }

    /// The `.proto` and `.avsc` files, in walk order.
    pub fn schema_files(&self) -> impl Iterator<Item = File<'_>> {
        self.iter().filter(|f| is_schema_file(f.name))
    }

    /// `herald.toml`, when the set has one and is not a single file.
    pub fn config(&self) -> Option<File<'_>> {
        if self.single {
            return None;
        }
        self.iter().find(|f| f.name == CONFIG_FILE)
    }

    /// Problems met while filling the set.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Records a problem met while filling the set.
    pub fn add_problem(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            name: name.into(),
            message: message.into(),
        });
    }

    fn read_into(&mut self, name: String, path: &Path) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let content = if size > MAX_FILE_BYTES {
            Content::TooLarge(size)
        } else {
            match std::fs::read(path) {
                Ok(bytes) => Content::Bytes(bytes.into()),
                Err(e) => Content::Unreadable(e.to_string()),
            }
        };
        self.files.insert(
            Name(name),
            Entry {
                content,
                path: path.to_path_buf(),
                on_disk: true,
            },
        );
    }
}

/// Every `.proto`/`.avsc` file under `root` (not read), in walk order, and the problems met on the
/// way. Hidden entries and `target` directories are skipped; symbolic links are followed, loops
/// recorded rather than followed forever.
pub fn walk(root: &Path) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || {
                let name = e.file_name().to_string_lossy();
                !skipped_component(&name, e.file_type().is_dir())
            }
        });
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_file() && is_schema_file(&e.file_name().to_string_lossy()) {
                    out.push(e.into_path());
                }
            }
            Err(e) => {
                let name = e.path().map(|p| display_name(root, p)).unwrap_or_default();
                let message = if e.loop_ancestor().is_some() {
                    format!("symbolic link loop at `{name}`: not followed")
                } else {
                    format!("cannot read `{name}`: {e}")
                };
                problems.push(Problem { name, message });
            }
        }
    }
    (out, problems)
}

/// A `.proto` or `.avsc` file name.
pub fn is_schema_file(name: &str) -> bool {
    name.ends_with(".proto") || name.ends_with(".avsc")
}

/// Whether a path component keeps what is under it out of a repo: hidden entries, and build
/// output directories named `target`.
pub fn skipped_component(name: &str, is_dir: bool) -> bool {
    name.starts_with('.') || (is_dir && name == "target")
}

/// Whether a repo-relative name lies under a directory a walk skips (see [`skipped_component`]).
pub fn skipped_name(name: &str) -> bool {
    let mut components = name.split('/').peekable();
    while let Some(c) = components.next() {
        let is_dir = components.peek().is_some();
        if skipped_component(c, is_dir) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_iterate_in_walk_order() {
        let mut set = FileSet::new("repo");
        for name in ["a.proto", "a-b/x.proto", "a/x.proto", "b.avsc", "a/b/c.proto"] {
            set.insert(name, Vec::new());
        }
        let names: Vec<&str> = set.iter().map(|f| f.name).collect();
        assert_eq!(names, ["a/b/c.proto", "a/x.proto", "a-b/x.proto", "a.proto", "b.avsc"]);
    }

    #[test]
    fn a_buffer_replaces_the_file_and_keeps_its_place() {
        let mut set = FileSet::new("repo");
        set.insert("a.proto", b"old".to_vec());
        set.insert("b.proto", b"b".to_vec());
        set.insert("a.proto", b"new".to_vec());
        assert_eq!(set.get("a.proto"), Some(&Content::Bytes(b"new".to_vec().into())));
        assert_eq!(set.iter().count(), 2);
        assert!(set.remove("a.proto"));
        assert!(!set.remove("a.proto"));
        assert_eq!(set.get("a.proto"), None);
    }

    #[test]
    fn hidden_and_target_directories_are_skipped() {
        assert!(skipped_name(".git/x.proto"));
        assert!(skipped_name("a/target/x.proto"));
        assert!(!skipped_name("target.proto"));
        assert!(!skipped_name("a/targets/x.proto"));
        assert!(skipped_name("a/.hidden.proto"));
    }

    #[test]
    fn a_single_file_has_no_config() {
        let mut set = FileSet::read_file(Path::new("does-not-exist/a.proto"));
        set.insert(CONFIG_FILE, b"[repo]".to_vec());
        assert!(set.is_single_file());
        assert!(set.config().is_none());
        let names: Vec<&str> = set.schema_files().map(|f| f.name).collect();
        assert_eq!(names, ["a.proto"]);
        assert!(matches!(set.get("a.proto"), Some(Content::Unreadable(_))));
    }
}
