//! Source files as herald sees them, and the spans that point into them.
//!
//! Every model element and every diagnostic carries a [`Span`]: a file and a byte range in that
//! file's text. Line and column numbers are computed on demand, 1-based, counting a tab or any
//! other character as one column (as rustc and editors do), with a leading BOM removed and CRLF
//! treated as one line break.

use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end.max(start)).unwrap_or(u32::MAX),
        }
    }

    /// The empty span at the start of a file, for findings about a whole file.
    pub fn file_start(file: FileId) -> Span {
        Span::new(file, 0, 0)
    }
}

/// One loaded file: its path as shown to users and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repo root (or as given), with `/` separators.
    pub name: String,
    /// Absolute or caller-relative path on disk, `None` for built-in files.
    pub path: Option<PathBuf>,
    /// Text with any BOM removed. Invalid UTF-8 is replaced (and reported by the loader).
    pub text: String,
    /// The bytes on disk started with a UTF-8 BOM (removed from `text`).
    pub had_bom: bool,
    line_starts: Vec<usize>,
    /// Hash of `text` (computed once: caches key on it).
    hash: u64,
}

impl SourceFile {
    fn new(name: String, path: Option<PathBuf>, text: String, had_bom: bool) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        SourceFile {
            name,
            path,
            text,
            had_bom,
            line_starts,
            hash: h.finish(),
        }
    }

    /// A hash of the file's text, computed when the file was added (cache keys use it).
    pub fn text_hash(&self) -> u64 {
        self.hash
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Byte range of a 0-based line, without its line break.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        let mut end = self
            .line_starts
            .get(line + 1)
            .map(|next| next - 1)
            .unwrap_or(self.text.len());
        if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end.max(start)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(&self.text, offset);
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0).min(offset);
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// Byte offset of a 1-based line and column (in characters); clamps to the file.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let range = self.line_range(line.saturating_sub(1));
        let text = &self.text[range.clone()];
        let skip = col.saturating_sub(1);
        match text.char_indices().nth(skip) {
            Some((i, _)) => range.start + i,
            None => range.end,
        }
    }
}

/// The largest char boundary of `text` at or before byte `offset` (clamped to its length).
pub(crate) fn clamp_to_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// All files loaded in one run. Files are shared (a clone of the map copies no text; an editor's
/// session adds an unchanged file of the previous load again with [`SourceMap::add_shared`]).
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file whose text is already decoded; a leading BOM is removed.
    pub fn add(&mut self, name: impl Into<String>, path: Option<PathBuf>, text: String) -> FileId {
        let (text, had_bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest.to_owned(), true),
            None => (text, false),
        };
        self.add_shared(Arc::new(SourceFile::new(name.into(), path, text, had_bom)))
    }

    /// Adds a file another map holds (the same name, path and text), without copying it.
    pub fn add_shared(&mut self, file: Arc<SourceFile>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// The file `id`, `None` when the map has no such file.
    pub fn try_get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(|f| &**f)
    }

    /// The file `id` as shared, for [`SourceMap::add_shared`] into another map.
    pub fn get_shared(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), &**f))
    }

    /// Finds a file by its display name.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.name == name).map(|i| FileId(i as u32))
    }

    pub fn text(&self, span: Span) -> &str {
        let file = self.get(span.file);
        let start = clamp_to_char_boundary(&file.text, span.start as usize);
        let end = clamp_to_char_boundary(&file.text, span.end as usize).max(start);
        &file.text[start..end]
    }
}

impl SourceMap {
    /// Shows every file read from disk as `prefix/<name>` instead of its name in the repo; built-in
    /// files keep their names. An empty prefix changes nothing. Call it only for output: proto
    /// imports and lock entries are matched by repo name.
    pub fn prefix_names(&mut self, prefix: &str) {
        let prefix = prefix.trim_end_matches('/');
        if prefix.is_empty() {
            return;
        }
        for file in self.files.iter_mut().filter(|f| f.path.is_some()) {
            let file = Arc::make_mut(file);
            file.name = format!("{prefix}/{}", file.name);
        }
    }

    /// Shows every file read from disk relative to the current directory ([`display_path`]),
    /// given `root`, the repo's directory as the user typed it; built-in files keep their names.
    /// Call it only for output, like [`SourceMap::prefix_names`].
    pub fn names_from_current_dir(&mut self, root: &Path) {
        // The current directory is a physical path: so is an absolute root, once resolved (a
        // temporary directory under a symbolic link, say). A relative root stays as typed.
        let resolved;
        let root = if root.is_absolute() {
            resolved = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
            resolved.as_path()
        } else {
            root
        };
        for file in self.files.iter_mut().filter(|f| f.path.is_some()) {
            let file = Arc::make_mut(file);
            file.name = display_path(&root.join(&file.name));
        }
    }
}

/// `path` (as the user typed it: relative to the current directory, or absolute) relative to the
/// current directory, with `/` separators: `schemas/a.proto` for `./schemas/a.proto`,
/// `a.proto` for `../orders/a.proto` run in `orders`, `../x/a.proto` from a sibling directory.
/// An absolute path outside the current directory stays absolute.
pub fn display_path(path: &Path) -> String {
    let Ok(cwd) = std::env::current_dir() else {
        return slash_path(&normalize(path));
    };
    let cwd = normalize(&cwd);
    let target = normalize(&cwd.join(path));
    let cwd_parts: Vec<Component> = cwd.components().collect();
    let target_parts: Vec<Component> = target.components().collect();
    let common = cwd_parts.iter().zip(&target_parts).take_while(|(a, b)| a == b).count();
    let ups = cwd_parts.len() - common;
    if path.is_absolute() && ups > 0 {
        return slash_path(&target);
    }
    let mut parts: Vec<String> = vec!["..".to_owned(); ups];
    parts.extend(
        target_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// `path` without `.` components and with `dir/..` pairs folded (lexically, as the user wrote it).
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

fn slash_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Display name of `path` relative to `root`, with `/` separators.
pub fn display_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_skip_bom_and_cr() {
        let mut map = SourceMap::new();
        let id = map.add("a.proto", None, "\u{feff}ab\r\n\tx é y\n".to_owned());
        let file = map.get(id);
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(4), (2, 1));
        let y = file.text.find('y').unwrap_or(0);
        assert_eq!(file.line_col(y), (2, 6));
        assert_eq!(file.line_range(0), 0..2);
        assert_eq!(file.offset_of(2, 6), y);
    }

    #[test]
    fn display_paths_are_relative_to_the_current_directory() {
        let cwd = std::env::current_dir().unwrap_or_default();
        assert_eq!(display_path(Path::new(".")), ".");
        assert_eq!(display_path(Path::new("./schemas/a.proto")), "schemas/a.proto");
        assert_eq!(display_path(Path::new("x/../schemas/a.proto")), "schemas/a.proto");
        assert_eq!(display_path(Path::new("../x/a.proto")), "../x/a.proto");
        let here = cwd
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(display_path(&Path::new("..").join(&here).join("a.proto")), "a.proto");
        assert_eq!(display_path(&cwd.join("schemas/a.proto")), "schemas/a.proto");
        if let Some(parent) = cwd.parent().filter(|p| p.parent().is_some()) {
            let outside = parent.join("elsewhere");
            assert_eq!(display_path(&outside), slash_path(&outside));
        }
        let mut map = SourceMap::new();
        let disk = map.add("orders/a.proto", Some(PathBuf::from("x")), String::new());
        let builtin = map.add("herald/options.proto", None, String::new());
        map.names_from_current_dir(Path::new("./schemas"));
        assert_eq!(map.get(disk).name, "schemas/orders/a.proto");
        assert_eq!(map.get(builtin).name, "herald/options.proto");
        map.prefix_names("repo/");
        assert_eq!(map.get(disk).name, "repo/schemas/orders/a.proto");
        assert_eq!(map.get(builtin).name, "herald/options.proto");
    }
}
