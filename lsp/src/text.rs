//! Positions and URIs: LSP positions (line, column in the negotiated encoding's code units) to
//! byte offsets and back, and `file:` URIs to paths and back.
//!
//! Line starts come from herald's [`SourceFile`] (the one place that computes lines); this module
//! only counts code units within a line. Every conversion clamps: a position past the end of a
//! line or of the file means its end, never a panic.

use std::path::{Path, PathBuf};

use herald_codegen::span::{SourceFile, SourceMap};
use lsp_types::{Position, Range, Uri};

/// How a position's `character` counts: UTF-16 code units (the protocol's default) or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf16,
    Utf8,
}

impl Encoding {
    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        }
    }
}

/// A text with its line starts, for converting positions.
pub struct Lines {
    map: SourceMap,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut map = SourceMap::new();
        map.add("", None, text.to_owned());
        Lines { map }
    }

    pub fn file(&self) -> &SourceFile {
        self.map.get(herald_codegen::span::FileId(0))
    }

    /// The text as analysed (any BOM removed).
    pub fn text(&self) -> &str {
        &self.file().text
    }

    /// The byte offset of `pos` (clamped to its line and to the text).
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        offset_in(self.file(), pos, enc)
    }
}

/// The byte offset of `pos` in `file`'s text.
pub fn offset_in(file: &SourceFile, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    let last = file.line_index(file.text.len());
    if line > last {
        return file.text.len();
    }
    let range = file.line_range(line);
    let want = pos.character as usize;
    let mut units = 0;
    for (i, c) in file.text[range.clone()].char_indices() {
        if units >= want {
            return range.start + i;
        }
        units += enc.units(c);
    }
    range.end
}

/// The position of byte `offset` in `file`'s text.
pub fn position_in(file: &SourceFile, offset: usize, enc: Encoding) -> Position {
    let mut offset = offset.min(file.text.len());
    while offset > 0 && !file.text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = file.line_index(offset);
    let start = file.line_range(line).start.min(offset);
    let character: usize = file.text[start..offset].chars().map(|c| enc.units(c)).sum();
    Position::new(to_u32(line), to_u32(character))
}

/// The range of bytes `start..end` in `file`'s text.
pub fn range_in(file: &SourceFile, start: usize, end: usize, enc: Encoding) -> Range {
    Range::new(position_in(file, start, enc), position_in(file, end.max(start), enc))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Replaces `range` of `text` by `new` (an incremental change).
pub fn apply_change(text: &mut String, range: Range, new: &str, enc: Encoding) {
    let lines = Lines::new(text);
    let start = lines.offset(range.start, enc);
    let end = lines.offset(range.end, enc).max(start);
    // The SourceMap drops a leading BOM; offsets are then one BOM short of `text`'s.
    let shift = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let (start, end) = ((start + shift).min(text.len()), (end + shift).min(text.len()));
    text.replace_range(start..end, new);
}

/// The local path of a `file:` URI, percent-decoded.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file:///C:/x` on Windows, `file:///x` elsewhere; a host other than empty/localhost is not local.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(rest)?;
    #[cfg(windows)]
    let decoded = decoded.trim_start_matches('/').to_owned();
    Some(PathBuf::from(decoded))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    let text = path.to_str()?.replace('\\', "/");
    if !text.starts_with('/') {
        s.push('/');
    }
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => s.push(b as char),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_both_encodings() {
        let text = "a😀b\nxé";
        let lines = Lines::new(text);
        assert_eq!(lines.offset(Position::new(0, 3), Encoding::Utf16), "a😀".len());
        assert_eq!(lines.offset(Position::new(0, 5), Encoding::Utf8), "a😀".len());
        assert_eq!(lines.offset(Position::new(1, 1), Encoding::Utf16), "a😀b\nx".len());
        assert_eq!(lines.offset(Position::new(9, 9), Encoding::Utf16), text.len());
        assert_eq!(lines.offset(Position::new(0, 99), Encoding::Utf16), "a😀b".len());
        let file = lines.file();
        assert_eq!(position_in(file, "a😀b".len(), Encoding::Utf16), Position::new(0, 4));
        assert_eq!(position_in(file, "a😀b".len(), Encoding::Utf8), Position::new(0, 6));
        assert_eq!(position_in(file, 2, Encoding::Utf16), Position::new(0, 1));
    }

    #[test]
    fn changes() {
        let mut text = "ab\r\ncd\n".to_owned();
        apply_change(
            &mut text,
            Range::new(Position::new(1, 1), Position::new(1, 2)),
            "X😀",
            Encoding::Utf16,
        );
        assert_eq!(text, "ab\r\ncX😀\n");
        apply_change(
            &mut text,
            Range::new(Position::new(1, 2), Position::new(1, 4)),
            "",
            Encoding::Utf16,
        );
        assert_eq!(text, "ab\r\ncX\n");
        apply_change(
            &mut text,
            Range::new(Position::new(7, 0), Position::new(0, 0)),
            "z",
            Encoding::Utf8,
        );
        assert_eq!(text, "ab\r\ncX\nz");
    }

    #[test]
    fn uris() {
        let path = Path::new("/tmp/a b/ü.proto");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.proto");
        assert_eq!(uri_to_path(&uri).unwrap(), path);
        assert_eq!(uri_to_path(&"untitled:x".parse().unwrap()), None);
    }
}
