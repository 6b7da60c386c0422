//! A small scanner over `.proto` source that recovers what the pure parser drops: the span of
//! every declaration and its leading and trailing comments.
//!
//! It is deliberately tolerant: it never decides whether a file is valid (protobuf-parse does),
//! it only records where things are. It does reject what would make the parser misbehave
//! (unterminated strings and comments, stray bytes, nesting deeper than [`MAX_DEPTH`]), each
//! with a precise location.

/// Deepest nesting of braces, brackets and angle brackets herald accepts in a `.proto` file.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Ident,
    Int,
    Float,
    Str,
    Sym(u8),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
    /// Comment block directly above this token (no blank line between).
    pub leading: Option<String>,
    /// Comment after this token on the same line.
    pub trailing: Option<String>,
}

/// A problem that stops the scanner, with a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    pub help: Option<&'static str>,
}

/// Splits source into tokens, attaching comments.
/// Long because it is one loop over the bytes with one arm per token kind: the arms share the
/// lexer's state (position, line, pending comments, nesting depth), which splitting them would only
/// pass around.
pub fn tokenize(text: &str) -> Result<Vec<Token>, ScanError> {
    let bytes = text.as_bytes();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    // Comments seen since the last token: (text, start line, end line).
    let mut pending: Vec<(String, usize, usize)> = Vec::new();
    let mut line = 0usize;
    let mut last_token_line = usize::MAX;
    let mut depth = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0c | 0x0b => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map(|n| i + n).unwrap_or(bytes.len());
                let body = text[i + 2..end].trim_end_matches('\r');
                let body = body.strip_prefix(' ').unwrap_or(body).to_owned();
                attach(&mut tokens, &mut pending, body, line, line, last_token_line);
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let Some(close) = text[i + 2..].find("*/") else {
                    return Err(ScanError {
                        message: "unterminated block comment".into(),
                        start: i,
                        end: i + 2,
                        help: Some("close the comment with `*/`"),
                    });
                };
                let end = i + 2 + close + 2;
                let raw = &text[i + 2..end - 2];
                let start_line = line;
                line += raw.matches('\n').count();
                attach(
                    &mut tokens,
                    &mut pending,
                    clean_block_comment(raw),
                    start_line,
                    line,
                    last_token_line,
                );
                i = end;
            }
            b'"' | b'\'' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(ScanError {
                                message: "unterminated string literal".into(),
                                start,
                                end: i,
                                help: Some("close the string on the same line"),
                            })
                        }
                        Some(b'\\') => i += 2,
                        Some(c) if *c == b => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                push(&mut tokens, &mut pending, Tok::Str, start, i, line);
                last_token_line = line;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                push(&mut tokens, &mut pending, Tok::Ident, start, i, line);
                last_token_line = line;
            }
            b'0'..=b'9' => {
                let start = i;
                let mut float = false;
                while i < bytes.len() {
                    let c = bytes[i];
                    if c.is_ascii_alphanumeric() || c == b'_' {
                        if (c == b'e' || c == b'E') && !text[start..i].starts_with("0x") {
                            float = true;
                            if matches!(bytes.get(i + 1), Some(b'+') | Some(b'-')) {
                                i += 1;
                            }
                        }
                        i += 1;
                    } else if c == b'.' {
                        float = true;
                        i += 1;
                    } else {
                        break;
                    }
                }
                push(
                    &mut tokens,
                    &mut pending,
                    if float { Tok::Float } else { Tok::Int },
                    start,
                    i,
                    line,
                );
                last_token_line = line;
            }
            b'.' if bytes.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                push(&mut tokens, &mut pending, Tok::Float, start, i, line);
                last_token_line = line;
            }
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b'<' | b'>' | b';' | b',' | b'=' | b'.' | b':' | b'-' | b'+'
            | b'/' => {
                match b {
                    b'{' | b'[' | b'(' | b'<' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(ScanError {
                                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                                start: i,
                                end: i + 1,
                                help: Some("flatten the schema: define nested types at the top level"),
                            });
                        }
                    }
                    b'}' | b']' | b')' | b'>' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                push(&mut tokens, &mut pending, Tok::Sym(b), i, i + 1, line);
                last_token_line = line;
                i += 1;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                return Err(ScanError {
                    message: format!("unexpected character {ch:?} (U+{:04X})", ch as u32),
                    start: i,
                    end: i + ch.len_utf8(),
                    help: Some("a .proto file is text: identifiers, numbers, strings, punctuation and comments"),
                });
            }
        }
    }
    Ok(tokens)
}

fn push(
    tokens: &mut Vec<Token>,
    pending: &mut Vec<(String, usize, usize)>,
    kind: Tok,
    start: usize,
    end: usize,
    line: usize,
) {
    // Leading comment: the last run of comments that ends on the line just above (or this line),
    // with consecutive lines; earlier, detached comments are dropped.
    let mut leading: Vec<String> = Vec::new();
    let mut expect = line;
    for (text, start_line, end_line) in pending.iter().rev() {
        if *end_line + 1 == expect || *end_line == expect {
            leading.push(text.clone());
            expect = *start_line;
        } else {
            break;
        }
    }
    pending.clear();
    leading.reverse();
    tokens.push(Token {
        kind,
        start,
        end,
        leading: if leading.is_empty() {
            None
        } else {
            Some(leading.join("\n"))
        },
        trailing: None,
    });
}

fn attach(
    tokens: &mut [Token],
    pending: &mut Vec<(String, usize, usize)>,
    body: String,
    start_line: usize,
    end_line: usize,
    last_token_line: usize,
) {
    if start_line == last_token_line && pending.is_empty() {
        if let Some(last) = tokens.last_mut() {
            if last.trailing.is_none() {
                last.trailing = Some(body);
                return;
            }
        }
    }
    pending.push((body, start_line, end_line));
}

fn clean_block_comment(raw: &str) -> String {
    raw.lines()
        .map(|l| {
            let t = l.trim();
            let t = t.strip_prefix('*').unwrap_or(t);
            t.strip_prefix(' ').unwrap_or(t).to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_owned()
}

/// Declarations of one file, with spans (byte ranges of their names) and comments.
#[derive(Debug, Default, Clone)]
pub struct Outline {
    /// `syntax = "..."` value, if declared.
    pub syntax: Option<String>,
    pub package: Option<(String, (usize, usize))>,
    /// The whole `package ...;` and `syntax = ...;` statements.
    pub package_decl: Option<(usize, usize)>,
    pub syntax_decl: Option<(usize, usize)>,
    pub imports: Vec<ImportDecl>,
    pub messages: Vec<MessageDecl>,
    pub enums: Vec<EnumDecl>,
    /// `service` declarations: (name, declaration span, rpcs as (name, declaration span)).
    pub services: Vec<ServiceDecl>,
    /// Every option statement (file, message, field, enum level) in source order.
    pub options: Vec<OptionDecl>,
    /// File-level `option` statements.
    pub file_options: Vec<OptionDecl>,
}

#[derive(Debug, Clone)]
pub struct ImportDecl {
    pub path: String,
    pub span: (usize, usize),
    pub public: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MessageDecl {
    pub name: String,
    pub span: (usize, usize),
    /// From `message` to the closing `}`.
    pub decl: (usize, usize),
    pub leading: Option<String>,
    pub trailing: Option<String>,
    pub fields: Vec<FieldDecl>,
    pub oneofs: Vec<(String, (usize, usize))>,
    pub messages: Vec<MessageDecl>,
    pub enums: Vec<EnumDecl>,
    /// `option (herald.event) = {...}` and other message options.
    pub options: Vec<OptionDecl>,
}

#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub name: String,
    pub span: (usize, usize),
    /// The whole statement, from its first token to `;`.
    pub decl: (usize, usize),
    /// The `optional`/`required`/`repeated` label, if written.
    pub label: Option<(usize, usize)>,
    /// Options in `[...]`.
    pub options: Vec<OptionDecl>,
    /// The number after `=`, when it is a plain integer literal.
    pub number: Option<(i64, (usize, usize))>,
    pub type_text: String,
    pub type_span: (usize, usize),
    pub leading: Option<String>,
    pub trailing: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EnumDecl {
    pub name: String,
    pub span: (usize, usize),
    /// From `enum` to the closing `}`.
    pub decl: (usize, usize),
    pub leading: Option<String>,
    pub trailing: Option<String>,
    pub values: Vec<FieldDecl>,
}

/// A `service` and its `rpc`s, with declaration spans.
#[derive(Debug, Clone, Default)]
pub struct ServiceDecl {
    pub name: String,
    pub decl: (usize, usize),
    pub rpcs: Vec<(String, (usize, usize))>,
    /// `option idempotency_level = ...;` inside an rpc body, by rpc name.
    pub idempotency: Vec<(String, (usize, usize))>,
}

/// One `key: value` entry of an aggregate option value: key, key span, value (unquoted), value span.
#[derive(Debug, Clone)]
pub struct OptionEntry {
    pub key: String,
    pub key_span: (usize, usize),
    pub value: String,
    pub value_span: (usize, usize),
}

/// An option statement. For aggregate values (`{ version: "1.2" }`) each entry is recorded.
#[derive(Debug, Clone, Default)]
pub struct OptionDecl {
    pub name: String,
    /// From `option` to `;`.
    pub span: (usize, usize),
    pub entries: Vec<OptionEntry>,
}

/// Builds the outline. Never fails: constructs it does not understand are skipped.
/// Long because it is the top-level loop of a small recursive-descent parser: one arm per top-level
/// statement, each delegating nested bodies to the parser's methods.
pub fn outline(text: &str, tokens: &[Token]) -> Outline {
    let mut p = OutlineParser { text, tokens, pos: 0 };
    let mut out = Outline::default();
    while p.pos < tokens.len() {
        match p.ident() {
            Some("syntax") => {
                let start = p.peek().map(|t| t.start).unwrap_or(0);
                p.pos += 1;
                if p.is_sym(b'=') {
                    p.pos += 1;
                }
                out.syntax = p
                    .peek()
                    .filter(|t| t.kind == Tok::Str)
                    .map(|t| unquote(&text[t.start..t.end]));
                p.skip_statement();
                out.syntax_decl = Some((start, p.prev_end()));
            }
            Some("package") => {
                let decl_start = p.peek().map(|t| t.start).unwrap_or(0);
                p.pos += 1;
                let start = p.peek().map(|t| t.start).unwrap_or(0);
                let mut name = String::new();
                let mut end = start;
                while let Some(t) = p.peek() {
                    if t.kind == Tok::Sym(b';') {
                        break;
                    }
                    name.push_str(&text[t.start..t.end]);
                    end = t.end;
                    p.pos += 1;
                }
                out.package = Some((name, (start, end)));
                p.skip_statement();
                out.package_decl = Some((decl_start, p.prev_end()));
            }
            Some("import") => {
                p.pos += 1;
                let mut public = false;
                if matches!(p.ident(), Some("public") | Some("weak")) {
                    public = p.ident() == Some("public");
                    p.pos += 1;
                }
                if let Some(t) = p.peek().filter(|t| t.kind == Tok::Str) {
                    out.imports.push(ImportDecl {
                        path: unquote(&text[t.start..t.end]),
                        span: (t.start, t.end),
                        public,
                    });
                }
                p.skip_statement();
            }
            Some("message") => {
                if let Some(m) = p.message(&mut out.options) {
                    out.messages.push(m);
                }
            }
            Some("enum") => {
                if let Some(e) = p.enumeration(&mut out.options) {
                    out.enums.push(e);
                }
            }
            Some("option") => {
                let o = p.option();
                out.file_options.push(o.clone());
                out.options.push(o);
            }
            Some("service") => {
                let start = p.peek().map(|t| t.start).unwrap_or(0);
                p.pos += 1;
                let name = p.ident().unwrap_or_default().to_owned();
                p.pos += 1;
                let mut service = ServiceDecl {
                    name,
                    ..ServiceDecl::default()
                };
                if p.is_sym(b'{') {
                    p.pos += 1;
                    while let Some(t) = p.peek() {
                        if t.kind == Tok::Sym(b'}') {
                            p.pos += 1;
                            break;
                        }
                        if p.ident() == Some("rpc") {
                            let rpc_start = t.start;
                            let first = p.pos;
                            p.pos += 1;
                            let rpc = p.ident().unwrap_or_default().to_owned();
                            p.skip_statement();
                            // An `option idempotency_level = X;` in the rpc's body.
                            let body = &tokens[first..p.pos];
                            for (i, tok) in body.iter().enumerate() {
                                let is = |j: usize, w: &str| body.get(j).is_some_and(|t| &text[t.start..t.end] == w);
                                if &text[tok.start..tok.end] == "option" && is(i + 1, "idempotency_level") {
                                    let end = body[i..]
                                        .iter()
                                        .find(|t| t.kind == Tok::Sym(b';'))
                                        .map(|t| t.end)
                                        .unwrap_or(tok.end);
                                    service.idempotency.push((rpc.clone(), (tok.start, end)));
                                }
                            }
                            service.rpcs.push((rpc, (rpc_start, p.prev_end())));
                        } else {
                            p.skip_statement();
                        }
                    }
                } else {
                    p.skip_statement();
                }
                service.decl = (start, p.prev_end());
                out.services.push(service);
            }
            _ => p.skip_statement(),
        }
    }
    out
}

struct OutlineParser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> OutlineParser<'a> {
    /// End of the token just consumed.
    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map(|t| t.end)
            .unwrap_or(0)
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn ident(&self) -> Option<&'a str> {
        self.peek()
            .filter(|t| t.kind == Tok::Ident)
            .map(|t| &self.text[t.start..t.end])
    }

    fn is_sym(&self, c: u8) -> bool {
        self.peek().is_some_and(|t| t.kind == Tok::Sym(c))
    }

    /// Skips to after the next `;` at this level, or over a `{...}` block.
    fn skip_statement(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            self.pos += 1;
            match t.kind {
                Tok::Sym(b'{') => depth += 1,
                Tok::Sym(b'}') => {
                    if depth <= 1 {
                        return;
                    }
                    depth -= 1;
                }
                Tok::Sym(b';') if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// `message Name { ... }` with the cursor on `message`.
    fn message(&mut self, options: &mut Vec<OptionDecl>) -> Option<MessageDecl> {
        let keyword = self.peek()?;
        self.pos += 1;
        let name_tok = self.peek().filter(|t| t.kind == Tok::Ident)?;
        self.pos += 1;
        let mut m = MessageDecl {
            name: self.text[name_tok.start..name_tok.end].to_owned(),
            span: (name_tok.start, name_tok.end),
            leading: keyword.leading.clone(),
            ..MessageDecl::default()
        };
        if !self.is_sym(b'{') {
            self.skip_statement();
            m.decl = (keyword.start, self.prev_end());
            return Some(m);
        }
        m.trailing = self.peek().and_then(|t| t.trailing.clone());
        self.pos += 1;
        self.body(&mut m, None, options);
        m.decl = (keyword.start, self.prev_end());
        Some(m)
    }

    /// Message body up to and including the closing `}`.
    fn body(&mut self, m: &mut MessageDecl, oneof: Option<usize>, options: &mut Vec<OptionDecl>) {
        while let Some(t) = self.peek() {
            if t.kind == Tok::Sym(b'}') {
                self.pos += 1;
                return;
            }
            match self.ident() {
                Some("message") => {
                    if let Some(n) = self.message(options) {
                        m.messages.push(n);
                    }
                }
                Some("enum") => {
                    if let Some(e) = self.enumeration(options) {
                        m.enums.push(e);
                    }
                }
                Some("option") => {
                    let o = self.option();
                    if oneof.is_none() {
                        m.options.push(o.clone());
                    }
                    options.push(o);
                }
                Some("oneof") if oneof.is_none() => {
                    self.pos += 1;
                    if let Some(n) = self.peek().filter(|t| t.kind == Tok::Ident) {
                        m.oneofs.push((self.text[n.start..n.end].to_owned(), (n.start, n.end)));
                        self.pos += 1;
                        if self.is_sym(b'{') {
                            self.pos += 1;
                            let index = m.oneofs.len() - 1;
                            self.body(m, Some(index), options);
                        }
                    } else {
                        self.skip_statement();
                    }
                }
                Some("reserved") | Some("extensions") | Some("extend") => self.skip_statement(),
                Some(_) => self.field(m, options),
                None => self.skip_statement(),
            }
        }
    }

    /// `[label] type name = N [opts];` or `map<K, V> name = N;` or `group`.
    fn field(&mut self, m: &mut MessageDecl, options: &mut Vec<OptionDecl>) {
        let first = self.pos;
        let start = self.peek().map(|t| t.start).unwrap_or(0);
        let leading = self.peek().and_then(|t| t.leading.clone());
        let mut label = None;
        if matches!(self.ident(), Some("optional") | Some("required") | Some("repeated")) {
            label = self.peek().map(|t| (t.start, t.end));
            self.pos += 1;
        }
        let type_start = self.peek().map(|t| t.start).unwrap_or(0);
        let mut type_end = type_start;
        if self.ident() == Some("map") && self.tokens.get(self.pos + 1).is_some_and(|t| t.kind == Tok::Sym(b'<')) {
            while let Some(t) = self.peek() {
                self.pos += 1;
                type_end = t.end;
                if t.kind == Tok::Sym(b'>') {
                    break;
                }
            }
        } else {
            // A (possibly qualified) type name: idents separated by dots.
            while let Some(t) = self.peek() {
                let next_is_name = matches!(t.kind, Tok::Ident | Tok::Sym(b'.'));
                if !next_is_name {
                    break;
                }
                // Stop before the field name: an ident followed by `=`.
                if t.kind == Tok::Ident
                    && self.pos > first
                    && self.tokens.get(self.pos + 1).is_some_and(|n| n.kind == Tok::Sym(b'='))
                    && type_end > type_start
                {
                    break;
                }
                type_end = t.end;
                self.pos += 1;
            }
        }
        let type_text: String = self.text[type_start..type_end].split_whitespace().collect();
        if let Some(name) = self.peek().filter(|t| t.kind == Tok::Ident) {
            self.pos += 1;
            let number = self.assigned_number();
            let before = options.len();
            let decl_trailing = self.statement_trailing(options);
            m.fields.push(FieldDecl {
                name: self.text[name.start..name.end].to_owned(),
                span: (name.start, name.end),
                decl: (start, self.prev_end()),
                label,
                options: options[before..].to_vec(),
                number,
                type_text,
                type_span: (type_start, type_end),
                leading,
                trailing: decl_trailing,
            });
        } else {
            self.skip_statement();
        }
    }

    /// `= N` after a field or enum value name (cursor after the name); the cursor stays put when
    /// there is no plain integer there.
    fn assigned_number(&mut self) -> Option<(i64, (usize, usize))> {
        let save = self.pos;
        if !self.is_sym(b'=') {
            return None;
        }
        self.pos += 1;
        let negative = self.is_sym(b'-');
        if negative {
            self.pos += 1;
        }
        let Some(t) = self.peek().filter(|t| t.kind == Tok::Int) else {
            self.pos = save;
            return None;
        };
        let text = &self.text[t.start..t.end];
        let value = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            i64::from_str_radix(hex, 16).ok()
        } else if text.len() > 1 && text.starts_with('0') {
            i64::from_str_radix(&text[1..], 8).ok()
        } else {
            text.parse().ok()
        };
        let Some(value) = value else {
            self.pos = save;
            return None;
        };
        self.pos += 1;
        Some((if negative { -value } else { value }, (t.start, t.end)))
    }

    /// Skips the rest of a field or enum value statement, recording `[...]` options, and returns
    /// the trailing comment after its `;` (or `{` for groups).
    fn statement_trailing(&mut self, options: &mut Vec<OptionDecl>) -> Option<String> {
        while let Some(t) = self.peek() {
            match t.kind {
                Tok::Sym(b';') => {
                    self.pos += 1;
                    return t.trailing.clone();
                }
                Tok::Sym(b'[') => {
                    self.pos += 1;
                    self.bracket_options(options);
                }
                Tok::Sym(b'{') | Tok::Sym(b'}') => {
                    // A group body or a missing `;`: let the caller continue from here.
                    if t.kind == Tok::Sym(b'{') {
                        self.skip_statement();
                    }
                    return None;
                }
                _ => self.pos += 1,
            }
        }
        None
    }

    fn bracket_options(&mut self, options: &mut Vec<OptionDecl>) {
        let mut start = self.peek().map(|t| t.start).unwrap_or(0);
        let mut name = String::new();
        while let Some(t) = self.peek() {
            self.pos += 1;
            match t.kind {
                Tok::Sym(b']') | Tok::Sym(b',') => {
                    let end = self
                        .pos
                        .checked_sub(2)
                        .and_then(|i| self.tokens.get(i))
                        .map(|p| p.end)
                        .unwrap_or(t.start);
                    options.push(OptionDecl {
                        name: std::mem::take(&mut name),
                        span: (start, end.max(start)),
                        entries: Vec::new(),
                    });
                    if t.kind == Tok::Sym(b']') {
                        return;
                    }
                    start = self.peek().map(|t| t.start).unwrap_or(start);
                }
                Tok::Sym(b'=') => {
                    self.skip_value();
                }
                _ => name.push_str(&self.text[t.start..t.end]),
            }
        }
    }

    /// Skips one option value (a scalar or a `{...}` aggregate).
    fn skip_value(&mut self) {
        if self.is_sym(b'{') {
            let mut depth = 0;
            while let Some(t) = self.peek() {
                self.pos += 1;
                match t.kind {
                    Tok::Sym(b'{') => depth += 1,
                    Tok::Sym(b'}') => {
                        depth -= 1;
                        if depth == 0 {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        } else {
            if self.is_sym(b'-') {
                self.pos += 1;
            }
            self.pos += 1;
        }
    }

    /// `option name = value;` with the cursor on `option`.
    fn option(&mut self) -> OptionDecl {
        let start = self.peek().map(|t| t.start).unwrap_or(0);
        self.pos += 1;
        let mut name = String::new();
        while let Some(t) = self.peek() {
            if matches!(t.kind, Tok::Sym(b'=') | Tok::Sym(b';')) {
                break;
            }
            name.push_str(&self.text[t.start..t.end]);
            self.pos += 1;
        }
        let mut entries = Vec::new();
        if self.is_sym(b'=') {
            self.pos += 1;
            if self.is_sym(b'{') {
                self.pos += 1;
                self.aggregate(&mut entries);
            }
        }
        let mut end = start;
        while let Some(t) = self.peek() {
            self.pos += 1;
            end = t.end;
            if t.kind == Tok::Sym(b';') {
                break;
            }
        }
        OptionDecl {
            name,
            span: (start, end),
            entries,
        }
    }

    /// Entries of an aggregate option value, after its `{`; nested aggregates are skipped.
    fn aggregate(&mut self, entries: &mut Vec<OptionEntry>) {
        while let Some(t) = self.peek() {
            match t.kind {
                Tok::Sym(b'}') => {
                    self.pos += 1;
                    return;
                }
                Tok::Ident => {
                    self.pos += 1;
                    let key = (self.text[t.start..t.end].to_owned(), (t.start, t.end));
                    if self.is_sym(b':') {
                        self.pos += 1;
                    }
                    if self.is_sym(b'{') {
                        self.pos += 1;
                        let mut nested = Vec::new();
                        self.aggregate(&mut nested);
                        continue;
                    }
                    let vstart = self.peek().map(|v| v.start).unwrap_or(t.end);
                    let mut vend = vstart;
                    if self.is_sym(b'-') {
                        self.pos += 1;
                    }
                    if let Some(v) = self.peek() {
                        if v.kind != Tok::Sym(b'}') {
                            vend = v.end;
                            self.pos += 1;
                        }
                    }
                    let raw = &self.text[vstart..vend];
                    let value = if raw.starts_with('"') || raw.starts_with('\'') {
                        unquote(raw)
                    } else {
                        raw.to_owned()
                    };
                    entries.push(OptionEntry {
                        key: key.0,
                        key_span: key.1,
                        value,
                        value_span: (vstart, vend),
                    });
                }
                _ => self.pos += 1,
            }
        }
    }

    /// `enum Name { ... }` with the cursor on `enum`.
    fn enumeration(&mut self, options: &mut Vec<OptionDecl>) -> Option<EnumDecl> {
        let keyword = self.peek()?;
        self.pos += 1;
        let name_tok = self.peek().filter(|t| t.kind == Tok::Ident)?;
        self.pos += 1;
        let mut e = EnumDecl {
            name: self.text[name_tok.start..name_tok.end].to_owned(),
            span: (name_tok.start, name_tok.end),
            leading: keyword.leading.clone(),
            ..EnumDecl::default()
        };
        if !self.is_sym(b'{') {
            self.skip_statement();
            e.decl = (keyword.start, self.prev_end());
            return Some(e);
        }
        e.trailing = self.peek().and_then(|t| t.trailing.clone());
        self.pos += 1;
        while let Some(t) = self.peek() {
            if t.kind == Tok::Sym(b'}') {
                self.pos += 1;
                break;
            }
            match self.ident() {
                Some("option") => {
                    let o = self.option();
                    options.push(o);
                }
                Some("reserved") => self.skip_statement(),
                Some(_) => {
                    let leading = t.leading.clone();
                    self.pos += 1;
                    let name = self.text[t.start..t.end].to_owned();
                    let number = self.assigned_number();
                    let before = options.len();
                    let trailing = self.statement_trailing(options);
                    e.values.push(FieldDecl {
                        name,
                        span: (t.start, t.end),
                        decl: (t.start, self.prev_end()),
                        label: None,
                        options: options[before..].to_vec(),
                        number,
                        type_text: String::new(),
                        type_span: (t.start, t.end),
                        leading,
                        trailing,
                    });
                }
                None => self.skip_statement(),
            }
        }
        e.decl = (keyword.start, self.prev_end());
        Some(e)
    }
}

/// Removes the quotes of a string literal and resolves simple escapes.
pub fn unquote(raw: &str) -> String {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_spans_and_comments() {
        let src = "syntax = \"proto3\";\npackage a.b;\nimport \"x.proto\";\n// The user.\n// Second line.\nmessage User {\n  // Id doc.\n  string user_id = 1; // trailing\n  map<string, int32> tags = 2;\n  oneof choice { int32 n = 3; }\n  option (herald.event) = { version: \"1.2\", kind: EVENT };\n}\nenum Color { COLOR_UNSPECIFIED = 0; }\n";
        let tokens = tokenize(src).expect("tokens");
        let o = outline(src, &tokens);
        assert_eq!(o.package.as_ref().map(|p| p.0.as_str()), Some("a.b"));
        assert_eq!(o.imports[0].path, "x.proto");
        let m = &o.messages[0];
        assert_eq!(m.name, "User");
        assert_eq!(m.leading.as_deref(), Some("The user.\nSecond line."));
        let names: Vec<_> = m
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.type_text.as_str()))
            .collect();
        assert_eq!(
            names,
            [("user_id", "string"), ("tags", "map<string,int32>"), ("n", "int32")]
        );
        assert_eq!(m.fields[0].leading.as_deref(), Some("Id doc."));
        assert_eq!(m.fields[0].trailing.as_deref(), Some("trailing"));
        assert_eq!(m.options[0].name, "(herald.event)");
        assert_eq!(m.options[0].entries[0].value, "1.2");
        assert_eq!(o.enums[0].values[0].name, "COLOR_UNSPECIFIED");
    }

    #[test]
    fn rejects_unterminated_and_deep_input() {
        assert_eq!(tokenize("message A { /* x").map(|_| ()).map_err(|e| e.start), Err(12));
        assert_eq!(tokenize("option x = \"abc\n").map(|_| ()).map_err(|e| e.start), Err(11));
        let deep = "message A {".repeat(1000);
        assert!(tokenize(&deep).is_err());
    }
}
