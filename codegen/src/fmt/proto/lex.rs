//! The formatter's lossless lexer: every byte of the input belongs to one token, whitespace and
//! comments included, as in protocompile's lexer (horizontal whitespace runs and each `\n` are
//! separate space tokens; a line comment stops before its `\n`). Matching brackets are paired
//! ("fused"), and so are runs of adjacent string literals (a compound string), so that a cursor
//! can step over a whole bracketed group as one token.

use crate::fmt::SyntaxError;

/// No partner token.
pub const NONE: u32 = u32::MAX;

/// Brackets nested deeper than this are refused (a syntax error rather than a deep recursion).
pub const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A run of horizontal whitespace.
    Space,
    /// One `\n`.
    Newline,
    Comment,
    Ident,
    Number,
    String,
    /// One punctuation byte.
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Kind,
    pub start: u32,
    pub end: u32,
    /// For the first token of a fused pair, the index of the last; for the last, the first.
    pub partner: u32,
}

impl Token {
    pub fn skippable(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Newline | Kind::Comment)
    }
}

fn err(offset: usize, len: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        offset,
        len,
        message: message.into(),
    }
}

/// Whitespace as protocompile counts it (Unicode Pattern_White_Space), other than `\n`.
fn space_len(text: &str, i: usize) -> usize {
    let b = text.as_bytes()[i];
    match b {
        b' ' | b'\t' | b'\r' | 0x0b | 0x0c => 1,
        0xc2 if text[i..].starts_with('\u{85}') => 2,
        0xe2 if ["\u{200e}", "\u{200f}", "\u{2028}", "\u{2029}"]
            .iter()
            .any(|s| text[i..].starts_with(s)) =>
        {
            3
        }
        _ => 0,
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Lexes `text` into tokens, pairing brackets and fusing compound strings.
/// Long because it is one loop over the bytes with one arm per token kind, kept together so the
/// lexer stays a single pass.
pub fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    if text.len() >= u32::MAX as usize {
        return Err(err(0, 0, "the file is too large"));
    }
    let bytes = text.as_bytes();
    let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 3);
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    // Skip a byte order mark, as buf does.
    if text.starts_with('\u{feff}') {
        i = 3;
    }
    let push = |tokens: &mut Vec<Token>, kind, start: usize, end: usize| {
        tokens.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
            partner: NONE,
        });
    };
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b == b'\n' {
            push(&mut tokens, Kind::Newline, i, i + 1);
            i += 1;
            continue;
        }
        let n = space_len(text, i);
        if n > 0 {
            i += n;
            while i < bytes.len() && bytes[i] != b'\n' {
                let n = space_len(text, i);
                if n == 0 {
                    break;
                }
                i += n;
            }
            push(&mut tokens, Kind::Space, start, i);
            continue;
        }
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(bytes, i);
                push(&mut tokens, Kind::Comment, start, i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let Some(close) = text[i + 2..].find("*/") else {
                    return Err(err(i, 2, "unterminated block comment: `/*` without `*/`"));
                };
                i += 2 + close + 2;
                push(&mut tokens, Kind::Comment, start, i);
            }
            b'*' if bytes.get(i + 1) == Some(&b'/') => {
                return Err(err(i, 2, "`*/` outside a block comment (comments do not nest)"));
            }
            b'"' | b'\'' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(err(start, i - start, "unterminated string literal"));
                        }
                        Some(b'\\') => i += 2,
                        Some(&c) if c == b => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                i = i.min(bytes.len());
                push(&mut tokens, Kind::String, start, i);
            }
            b'0'..=b'9' => {
                i = number_end(bytes, i);
                push(&mut tokens, Kind::Number, start, i);
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(bytes, i);
                push(&mut tokens, Kind::Number, start, i);
            }
            _ if is_ident_byte(b) => {
                while i < bytes.len() && is_ident_byte(bytes[i]) && space_len(text, i) == 0 {
                    i += 1;
                }
                // Stop on a char boundary (the loop only steps over whole UTF-8 sequences, since
                // every byte of one is >= 0x80, but a space-like sequence may cut one).
                while !text.is_char_boundary(i) {
                    i += 1;
                }
                push(&mut tokens, Kind::Ident, start, i);
            }
            b'{' | b'[' | b'(' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(i, 1, format!("brackets nested deeper than {MAX_DEPTH}")));
                }
                stack.push(tokens.len());
                push(&mut tokens, Kind::Punct, i, i + 1);
                i += 1;
            }
            b'}' | b']' | b')' => {
                let want = match b {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                match stack.pop() {
                    Some(open) if bytes[tokens[open].start as usize] == want => {
                        let close = tokens.len();
                        tokens[open].partner = close as u32;
                        push(&mut tokens, Kind::Punct, i, i + 1);
                        tokens[close].partner = open as u32;
                    }
                    Some(open) => {
                        let o = tokens[open].start as usize;
                        return Err(err(
                            i,
                            1,
                            format!("`{}` does not close `{}`", b as char, bytes[o] as char),
                        ));
                    }
                    None => {
                        return Err(err(i, 1, format!("unmatched `{}`", b as char)));
                    }
                }
                i += 1;
            }
            b';' | b',' | b'.' | b'=' | b':' | b'<' | b'>' | b'-' | b'+' | b'/' => {
                push(&mut tokens, Kind::Punct, i, i + 1);
                i += 1;
            }
            _ => {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                return Err(err(i, len, "unexpected character"));
            }
        }
    }
    if let Some(&open) = stack.last() {
        let o = tokens[open].start as usize;
        return Err(err(o, 1, format!("`{}` is never closed", bytes[o] as char)));
    }
    fuse_strings(&mut tokens);
    Ok(tokens)
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// The end of a number literal starting at `i`: digits, letters, `_`, `.`, and a sign right after
/// an exponent `e`/`E` of a decimal number.
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    let hex = bytes.get(i) == Some(&b'0') && matches!(bytes.get(i + 1), Some(b'x' | b'X'));
    while i < bytes.len() {
        let b = bytes[i];
        let sign = (b == b'+' || b == b'-') && !hex && matches!(bytes[i - 1], b'e' | b'E');
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Fuses every run of string literals separated only by whitespace and comments (at the same
/// bracket level) into a compound string: its first and last strings become partners.
fn fuse_strings(tokens: &mut [Token]) {
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].kind != Kind::String {
            i += 1;
            continue;
        }
        let first = i;
        let mut last = i;
        let mut j = i + 1;
        while j < tokens.len() {
            match tokens[j].kind {
                Kind::Space | Kind::Newline | Kind::Comment => j += 1,
                Kind::String => {
                    last = j;
                    j += 1;
                }
                _ => break,
            }
        }
        if last > first {
            tokens[first].partner = last as u32;
            tokens[last].partner = first as u32;
        }
        i = last + 1;
    }
}
