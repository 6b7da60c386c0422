//! Source files as herald sees them, and the spans that point into them.
//!
//! Every model element and every diagnostic carries a [`Span`]: a file and a byte range in that
//! file's text. Line and column numbers are computed on demand, 1-based, counting a tab or any
//! other character as one column (as rustc and editors do), with a leading BOM removed and CRLF
//! treated as one line break.

use std::path::{Path, PathBuf};

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
#[derive(Debug)]
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
}

impl SourceFile {
    fn new(name: String, path: Option<PathBuf>, text: String, had_bom: bool) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            path,
            text,
            had_bom,
            line_starts,
        }
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

/// All files loaded in one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
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
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name.into(), path, text, had_bom));
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
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
}
