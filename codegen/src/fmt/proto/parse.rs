//! A small syntax tree of a `.proto` file for the printer, shaped like protocompile's AST (the
//! one buf's printer walks): declarations hold token indices, so the printer reaches every
//! token's attached comments. Angle brackets (`map<…>`, `<…>` message literals) are paired here,
//! since only the parser knows which `<` opens a group.

use super::lex::{Kind, Token, MAX_DEPTH, NONE};
use crate::fmt::SyntaxError;

pub type Tok = u32;

#[derive(Debug, Default)]
pub struct Path {
    pub comps: Vec<PathComp>,
}

#[derive(Debug)]
pub struct PathComp {
    pub sep: Option<Tok>,
    /// An identifier, or the `(` of an extension name.
    pub name: Tok,
    pub ext: Option<Path>,
}

#[derive(Debug)]
pub enum Type {
    Path(Path),
    Prefixed {
        prefix: Tok,
        inner: Box<Type>,
    },
    Generic {
        path: Path,
        open: Tok,
        args: Vec<Type>,
        commas: Vec<Tok>,
    },
}

#[derive(Debug)]
pub enum Expr {
    /// A number, a string, or a compound string (its first token, fused with the last).
    Literal(Tok),
    Path(Path),
    Prefixed {
        prefix: Tok,
        inner: Box<Expr>,
    },
    Range {
        start: Box<Expr>,
        kw: Tok,
        end: Box<Expr>,
    },
    Array {
        open: Tok,
        elems: Vec<Expr>,
        commas: Vec<Tok>,
    },
    Dict {
        open: Tok,
        fields: Vec<Field>,
    },
}

#[derive(Debug)]
pub struct Field {
    pub key: Expr,
    pub colon: Option<Tok>,
    pub value: Option<Expr>,
    pub sep: Option<Tok>,
}

#[derive(Debug)]
pub struct OptEntry {
    pub path: Path,
    pub eq: Option<Tok>,
    pub value: Option<Expr>,
}

#[derive(Debug)]
pub struct CompactOpts {
    pub open: Tok,
    pub entries: Vec<OptEntry>,
    pub commas: Vec<Tok>,
}

#[derive(Debug)]
pub struct Body {
    pub open: Tok,
    pub decls: Vec<Decl>,
}

#[derive(Debug)]
pub struct TypeList {
    pub open: Tok,
    pub types: Vec<Type>,
    pub commas: Vec<Tok>,
}

#[derive(Debug)]
pub enum Decl {
    Empty(Tok),
    /// `syntax` or `edition`.
    Syntax {
        kw: Tok,
        eq: Tok,
        value: Expr,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
    Package {
        kw: Tok,
        path: Path,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
    Import {
        kw: Tok,
        mods: Vec<Tok>,
        path: Expr,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
    Option {
        kw: Tok,
        path: Path,
        eq: Option<Tok>,
        value: Option<Expr>,
        semi: Tok,
    },
    /// `message`, `enum`, `service`, `extend`, `oneof`, with their prefixes (`export`, …).
    Block {
        prefixes: Vec<Tok>,
        kw: Tok,
        name: Path,
        body: Body,
    },
    Group {
        prefixes: Vec<Tok>,
        kw: Tok,
        name: Path,
        eq: Option<Tok>,
        tag: Option<Expr>,
        opts: Option<CompactOpts>,
        body: Body,
    },
    Field {
        ty: Type,
        name: Path,
        eq: Option<Tok>,
        tag: Option<Expr>,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
    EnumValue {
        name: Path,
        eq: Tok,
        tag: Expr,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
    Method {
        kw: Tok,
        name: Path,
        inputs: TypeList,
        returns: Tok,
        outputs: TypeList,
        body: Option<Body>,
        semi: Option<Tok>,
    },
    Range {
        kw: Tok,
        ranges: Vec<Expr>,
        commas: Vec<Tok>,
        opts: Option<CompactOpts>,
        semi: Tok,
    },
}

pub struct Parser<'a> {
    pub text: &'a str,
    pub toks: Vec<Token>,
    /// The `[` of every compact options list (the other `[` open list values).
    pub compact: Vec<Tok>,
    depth: usize,
}

/// A position among the tokens of one bracket level: `pos` up to `end`.
#[derive(Clone, Copy)]
struct Cur {
    pos: u32,
    end: u32,
}

type R<T> = Result<T, SyntaxError>;

impl<'a> Parser<'a> {
    pub fn new(text: &'a str, toks: Vec<Token>) -> Self {
        Parser {
            text,
            toks,
            compact: Vec::new(),
            depth: 0,
        }
    }

    pub fn tok_text(&self, t: Tok) -> &'a str {
        let t = self.toks[t as usize];
        &self.text[t.start as usize..t.end as usize]
    }

    /// The next significant token of the level, skipping trivia (not moving).
    fn peek(&self, c: &Cur) -> Option<Tok> {
        let mut i = c.pos;
        while i < c.end {
            if !self.toks[i as usize].skippable() {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    fn peek2(&self, c: &Cur) -> Option<Tok> {
        let first = self.peek(c)?;
        let mut c2 = *c;
        c2.pos = self.after(first);
        self.peek(&c2)
    }

    /// The position after token `t`, stepping over a fused group.
    fn after(&self, t: Tok) -> u32 {
        let tok = self.toks[t as usize];
        if tok.partner != NONE && tok.partner > t {
            tok.partner + 1
        } else {
            t + 1
        }
    }

    fn bump(&self, c: &mut Cur) -> Option<Tok> {
        let t = self.peek(c)?;
        c.pos = self.after(t);
        Some(t)
    }

    fn is(&self, t: Option<Tok>, s: &str) -> bool {
        t.is_some_and(|t| self.tok_text(t) == s && self.toks[t as usize].kind != Kind::String)
    }

    fn is_ident(&self, t: Option<Tok>) -> bool {
        t.is_some_and(|t| self.toks[t as usize].kind == Kind::Ident)
    }

    fn err_at(&self, c: &Cur, message: String) -> SyntaxError {
        match self.peek(c) {
            Some(t) => {
                let tok = self.toks[t as usize];
                SyntaxError {
                    offset: tok.start as usize,
                    len: (tok.end - tok.start) as usize,
                    message: format!("{message}, found `{}`", self.tok_text(t)),
                }
            }
            None => {
                // At the end of a bracket level: point at its closing bracket (or the file's end).
                let offset = self
                    .toks
                    .get(c.end as usize)
                    .map_or(self.text.len(), |t| t.start as usize);
                let len = usize::from(offset < self.text.len());
                let what = if offset < self.text.len() {
                    "the closing bracket"
                } else {
                    "end of file"
                };
                SyntaxError {
                    offset,
                    len,
                    message: format!("{message}, found {what}"),
                }
            }
        }
    }

    fn expect(&self, c: &mut Cur, s: &str, what: &str) -> R<Tok> {
        if self.is(self.peek(c), s) {
            self.bump(c).ok_or_else(|| self.err_at(c, String::new()))
        } else {
            Err(self.err_at(c, format!("expected `{s}` {what}")))
        }
    }

    fn children(&self, open: Tok) -> Cur {
        Cur {
            pos: open + 1,
            end: self.toks[open as usize].partner,
        }
    }

    fn enter(&mut self, c: &Cur) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_at(c, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    pub fn parse_file(&mut self) -> R<Vec<Decl>> {
        let mut c = Cur {
            pos: 0,
            end: self.toks.len() as u32,
        };
        self.parse_decls(&mut c, Scope::File)
    }

    fn parse_decls(&mut self, c: &mut Cur, scope: Scope) -> R<Vec<Decl>> {
        let mut decls = Vec::new();
        while self.peek(c).is_some() {
            decls.push(self.parse_decl(c, scope)?);
        }
        Ok(decls)
    }

    fn parse_body(&mut self, c: &mut Cur, scope: Scope, what: &str) -> R<Body> {
        let Some(open) = self.peek(c).filter(|&t| self.tok_text(t) == "{") else {
            return Err(self.err_at(c, format!("expected `{{` to open the {what}'s body")));
        };
        self.bump(c);
        self.enter(c)?;
        let mut inner = self.children(open);
        let decls = self.parse_decls(&mut inner, scope)?;
        self.depth -= 1;
        Ok(Body { open, decls })
    }

    fn semi(&self, c: &mut Cur, what: &str) -> R<Tok> {
        self.expect(c, ";", &format!("after {what}"))
    }

    fn opt_compact(&mut self, c: &mut Cur) -> R<Option<CompactOpts>> {
        match self.peek(c) {
            Some(t) if self.tok_text(t) == "[" => {
                self.bump(c);
                Ok(Some(self.parse_compact(t)?))
            }
            _ => Ok(None),
        }
    }

    fn parse_compact(&mut self, open: Tok) -> R<CompactOpts> {
        self.compact.push(open);
        let mut c = self.children(open);
        self.enter(&c)?;
        let mut entries = Vec::new();
        let mut commas = Vec::new();
        while self.peek(&c).is_some() {
            let path = self.parse_path(&mut c, "an option name")?;
            let eq = self.expect(&mut c, "=", "after the option name")?;
            let value = self.parse_expr(&mut c)?;
            entries.push(OptEntry {
                path,
                eq: Some(eq),
                value: Some(value),
            });
            if self.peek(&c).is_some() {
                commas.push(self.expect(&mut c, ",", "between options")?);
            }
        }
        if entries.is_empty() {
            return Err(self.err_at(&c, "expected an option in `[]`".into()));
        }
        if commas.len() == entries.len() {
            return Err(self.err_at(&c, "expected an option after `,`".into()));
        }
        self.depth -= 1;
        Ok(CompactOpts { open, entries, commas })
    }

    fn parse_path(&mut self, c: &mut Cur, what: &str) -> R<Path> {
        let mut comps = Vec::new();
        loop {
            let next = self.peek(c);
            let sep = if self.is(next, ".") || (!comps.is_empty() && self.is(next, "/")) {
                self.bump(c)
            } else if comps.is_empty() {
                None
            } else {
                break;
            };
            let name = self.peek(c);
            match name {
                Some(t) if self.toks[t as usize].kind == Kind::Ident => {
                    self.bump(c);
                    comps.push(PathComp {
                        sep,
                        name: t,
                        ext: None,
                    });
                }
                Some(t) if self.tok_text(t) == "(" => {
                    self.bump(c);
                    self.enter(c)?;
                    let mut inner = self.children(t);
                    let path = self.parse_path(&mut inner, "an extension name")?;
                    if self.peek(&inner).is_some() {
                        return Err(self.err_at(&inner, "expected `)`".into()));
                    }
                    self.depth -= 1;
                    comps.push(PathComp {
                        sep,
                        name: t,
                        ext: Some(path),
                    });
                }
                _ => return Err(self.err_at(c, format!("expected {what}"))),
            }
        }
        Ok(Path { comps })
    }

    /// Pairs the `<` at `open` with its `>` on the same level; returns the `>`.
    fn fuse_angles(&mut self, c: &Cur, open: Tok) -> R<Tok> {
        let mut depth = 0usize;
        let mut i = open;
        while i < c.end {
            let t = &self.toks[i as usize];
            if t.kind == Kind::Punct {
                match self.tok_text(i) {
                    "<" => depth += 1,
                    ">" => {
                        depth -= 1;
                        if depth == 0 {
                            self.toks[open as usize].partner = i;
                            self.toks[i as usize].partner = open;
                            return Ok(i);
                        }
                    }
                    _ => {}
                }
            }
            i = self.after(i);
        }
        let tok = self.toks[open as usize];
        Err(SyntaxError {
            offset: tok.start as usize,
            len: 1,
            message: "`<` is never closed by `>`".into(),
        })
    }

    fn parse_type(&mut self, c: &mut Cur) -> R<Type> {
        let next = self.peek(c);
        if let Some(t) = next {
            if matches!(self.tok_text(t), "repeated" | "optional" | "required" | "stream")
                && (self.is_ident(self.peek2(c)) || self.is(self.peek2(c), "."))
            {
                self.bump(c);
                let inner = self.parse_type(c)?;
                return Ok(Type::Prefixed {
                    prefix: t,
                    inner: Box::new(inner),
                });
            }
        }
        let path = self.parse_path(c, "a type")?;
        if self.is(self.peek(c), "<") {
            let Some(open) = self.bump(c) else {
                return Err(internal());
            };
            let close = self.fuse_angles(c, open)?;
            c.pos = close + 1;
            self.enter(c)?;
            let mut inner = self.children(open);
            let mut args = Vec::new();
            let mut commas = Vec::new();
            while self.peek(&inner).is_some() {
                args.push(self.parse_type(&mut inner)?);
                if self.peek(&inner).is_some() {
                    commas.push(self.expect(&mut inner, ",", "between type arguments")?);
                }
            }
            self.depth -= 1;
            return Ok(Type::Generic {
                path,
                open,
                args,
                commas,
            });
        }
        Ok(Type::Path(path))
    }

    fn parse_type_list(&mut self, c: &mut Cur, what: &str) -> R<TypeList> {
        let Some(open) = self.peek(c).filter(|&t| self.tok_text(t) == "(") else {
            return Err(self.err_at(c, format!("expected `(` {what}")));
        };
        self.bump(c);
        let mut inner = self.children(open);
        let mut types = Vec::new();
        let mut commas = Vec::new();
        while self.peek(&inner).is_some() {
            types.push(self.parse_type(&mut inner)?);
            if self.peek(&inner).is_some() {
                commas.push(self.expect(&mut inner, ",", "between types")?);
            }
        }
        Ok(TypeList { open, types, commas })
    }

    /// One declaration of a file or body. Long because it is the dispatch over every kind of
    /// declaration protobuf has; each arm is a straight sequence of tokens.
    fn parse_decl(&mut self, c: &mut Cur, scope: Scope) -> R<Decl> {
        let Some(first) = self.peek(c) else {
            return Err(self.err_at(c, "expected a declaration".into()));
        };
        let word = self.tok_text(first);
        let is_kw = self.toks[first as usize].kind == Kind::Ident;
        if word == ";" {
            self.bump(c);
            return Ok(Decl::Empty(first));
        }
        let next = self.peek2(c);
        let next_is_name = self.is_ident(next);
        match word {
            "syntax" | "edition" if is_kw && self.is(next, "=") && scope == Scope::File => {
                self.bump(c);
                let eq = self.expect(c, "=", "after `syntax`")?;
                let value = self.parse_expr(c)?;
                let opts = self.opt_compact(c)?;
                let semi = self.semi(c, &format!("the `{word}` declaration"))?;
                Ok(Decl::Syntax {
                    kw: first,
                    eq,
                    value,
                    opts,
                    semi,
                })
            }
            "package" if is_kw && scope == Scope::File => {
                self.bump(c);
                let path = self.parse_path(c, "a package name")?;
                let opts = self.opt_compact(c)?;
                let semi = self.semi(c, "the package declaration")?;
                Ok(Decl::Package {
                    kw: first,
                    path,
                    opts,
                    semi,
                })
            }
            "import" if is_kw && scope == Scope::File => {
                self.bump(c);
                let mut mods = Vec::new();
                while let Some(m) = self.peek(c).filter(|&t| {
                    matches!(self.tok_text(t), "public" | "weak" | "option")
                        && self.toks[t as usize].kind == Kind::Ident
                }) {
                    self.bump(c);
                    mods.push(m);
                }
                let Some(path) = self.peek(c).filter(|&t| self.toks[t as usize].kind == Kind::String) else {
                    return Err(self.err_at(c, "expected the imported file's path".into()));
                };
                self.bump(c);
                let opts = self.opt_compact(c)?;
                let semi = self.semi(c, "the import")?;
                Ok(Decl::Import {
                    kw: first,
                    mods,
                    path: Expr::Literal(path),
                    opts,
                    semi,
                })
            }
            "option" if is_kw && (next_is_name || self.is(next, "(") || self.is(next, ".")) => {
                self.bump(c);
                let path = self.parse_path(c, "an option name")?;
                let eq = self.expect(c, "=", "after the option name")?;
                let value = self.parse_expr(c)?;
                let semi = self.semi(c, "the option")?;
                Ok(Decl::Option {
                    kw: first,
                    path,
                    eq: Some(eq),
                    value: Some(value),
                    semi,
                })
            }
            "message" | "enum" | "service" | "extend" | "oneof" | "export" | "local"
                if is_kw && (next_is_name || self.is(next, ".")) && !self.is(next, "=") =>
            {
                let mut prefixes = Vec::new();
                let mut kw = first;
                if matches!(word, "export" | "local") {
                    let mut k = *c;
                    self.bump(&mut k);
                    if self.is_ident(self.peek2(&k))
                        && matches!(
                            self.peek(&k).map(|t| self.tok_text(t)),
                            Some("message" | "enum" | "service")
                        )
                    {
                        prefixes.push(first);
                        self.bump(c);
                        kw = self.peek(c).unwrap_or(first);
                    } else {
                        return self.parse_field(c, scope);
                    }
                }
                let kind = self.tok_text(kw);
                self.bump(c);
                let name = self.parse_path(c, &format!("the {kind}'s name"))?;
                let inner = match kind {
                    "enum" => Scope::Enum,
                    "service" => Scope::Service,
                    _ => Scope::Message,
                };
                let body = self.parse_body(c, inner, kind)?;
                Ok(Decl::Block {
                    prefixes,
                    kw,
                    name,
                    body,
                })
            }
            "rpc" if is_kw && next_is_name && scope == Scope::Service => {
                self.bump(c);
                let name = self.parse_path(c, "the method's name")?;
                let inputs = self.parse_type_list(c, "after the method's name")?;
                let returns = self.expect(c, "returns", "after the method's input")?;
                let outputs = self.parse_type_list(c, "after `returns`")?;
                if self.is(self.peek(c), "{") {
                    let body = self.parse_body(c, Scope::Method, "method")?;
                    Ok(Decl::Method {
                        kw: first,
                        name,
                        inputs,
                        returns,
                        outputs,
                        body: Some(body),
                        semi: None,
                    })
                } else {
                    let semi = self.semi(c, "the method")?;
                    Ok(Decl::Method {
                        kw: first,
                        name,
                        inputs,
                        returns,
                        outputs,
                        body: None,
                        semi: Some(semi),
                    })
                }
            }
            "reserved" | "extensions" if is_kw && !self.is(next, "=") && !self.is(next, ".") && !self.is(next, "<") => {
                self.bump(c);
                let mut ranges = Vec::new();
                let mut commas = Vec::new();
                loop {
                    ranges.push(self.parse_range(c)?);
                    if self.is(self.peek(c), ",") {
                        commas.push(self.bump(c).unwrap_or(first));
                    } else {
                        break;
                    }
                }
                let opts = self.opt_compact(c)?;
                let semi = self.semi(c, &format!("the `{word}` declaration"))?;
                Ok(Decl::Range {
                    kw: first,
                    ranges,
                    commas,
                    opts,
                    semi,
                })
            }
            _ if scope == Scope::Enum && is_kw && self.is(next, "=") => {
                self.bump(c);
                let name = Path {
                    comps: vec![PathComp {
                        sep: None,
                        name: first,
                        ext: None,
                    }],
                };
                let eq = self.expect(c, "=", "after the enum value's name")?;
                let tag = self.parse_expr(c)?;
                let opts = self.opt_compact(c)?;
                let semi = self.semi(c, "the enum value")?;
                Ok(Decl::EnumValue {
                    name,
                    eq,
                    tag,
                    opts,
                    semi,
                })
            }
            _ if matches!(scope, Scope::Message) => self.parse_field(c, scope),
            _ => Err(self.err_at(c, "expected a declaration".into())),
        }
    }

    fn parse_field(&mut self, c: &mut Cur, scope: Scope) -> R<Decl> {
        if scope != Scope::Message {
            return Err(self.err_at(c, "expected a declaration".into()));
        }
        // A group: `[label] group Name = N [opts] { … }`.
        let mut k = *c;
        let mut prefixes = Vec::new();
        while let Some(t) = self.peek(&k).filter(|&t| {
            matches!(self.tok_text(t), "optional" | "required" | "repeated")
                && self.toks[t as usize].kind == Kind::Ident
        }) {
            prefixes.push(t);
            self.bump(&mut k);
        }
        if let Some(g) = self.peek(&k).filter(|&t| self.tok_text(t) == "group") {
            let mut k2 = k;
            self.bump(&mut k2);
            if self.is_ident(self.peek(&k2)) && self.is(self.peek2(&k2), "=")
                || self.is_ident(self.peek(&k2)) && self.is(self.peek2(&k2), "{")
            {
                *c = k2;
                let name = self.parse_path(c, "the group's name")?;
                let (eq, tag) = if self.is(self.peek(c), "=") {
                    let eq = self.bump(c);
                    (eq, Some(self.parse_expr(c)?))
                } else {
                    (None, None)
                };
                let opts = self.opt_compact(c)?;
                let body = self.parse_body(c, Scope::Message, "group")?;
                return Ok(Decl::Group {
                    prefixes,
                    kw: g,
                    name,
                    eq,
                    tag,
                    opts,
                    body,
                });
            }
        }
        let ty = self.parse_type(c)?;
        let Some(n) = self.peek(c).filter(|&t| self.toks[t as usize].kind == Kind::Ident) else {
            return Err(self.err_at(c, "expected the field's name".into()));
        };
        self.bump(c);
        let name = Path {
            comps: vec![PathComp {
                sep: None,
                name: n,
                ext: None,
            }],
        };
        let eq = self.expect(c, "=", "after the field's name")?;
        let tag = self.parse_expr(c)?;
        let opts = self.opt_compact(c)?;
        let semi = self.semi(c, "field declaration")?;
        Ok(Decl::Field {
            ty,
            name,
            eq: Some(eq),
            tag: Some(tag),
            opts,
            semi,
        })
    }

    fn parse_range(&mut self, c: &mut Cur) -> R<Expr> {
        let start = self.parse_expr(c)?;
        if self.is(self.peek(c), "to") {
            let Some(kw) = self.bump(c) else { return Err(internal()) };
            let end = self.parse_expr(c)?;
            return Ok(Expr::Range {
                start: Box::new(start),
                kw,
                end: Box::new(end),
            });
        }
        Ok(start)
    }

    fn parse_expr(&mut self, c: &mut Cur) -> R<Expr> {
        let Some(t) = self.peek(c) else {
            return Err(self.err_at(c, "expected a value".into()));
        };
        let tok = self.toks[t as usize];
        match tok.kind {
            Kind::Number | Kind::String => {
                self.bump(c);
                Ok(Expr::Literal(t))
            }
            Kind::Ident => Ok(Expr::Path(self.parse_path(c, "a value")?)),
            _ => match self.tok_text(t) {
                "-" | "+" => {
                    self.bump(c);
                    self.enter(c)?;
                    let inner = self.parse_expr(c)?;
                    self.depth -= 1;
                    Ok(Expr::Prefixed {
                        prefix: t,
                        inner: Box::new(inner),
                    })
                }
                "." | "(" => Ok(Expr::Path(self.parse_path(c, "a value")?)),
                "[" => {
                    self.bump(c);
                    self.enter(c)?;
                    let mut inner = self.children(t);
                    let mut elems = Vec::new();
                    let mut commas = Vec::new();
                    while self.peek(&inner).is_some() {
                        elems.push(self.parse_expr(&mut inner)?);
                        if self.peek(&inner).is_some() {
                            commas.push(self.expect(&mut inner, ",", "between list elements")?);
                        }
                    }
                    self.depth -= 1;
                    Ok(Expr::Array { open: t, elems, commas })
                }
                "{" | "<" => {
                    self.bump(c);
                    let inner = if self.tok_text(t) == "<" {
                        let close = self.fuse_angles(c, t)?;
                        c.pos = close + 1;
                        self.children(t)
                    } else {
                        self.children(t)
                    };
                    self.enter(c)?;
                    let fields = self.parse_dict(inner)?;
                    self.depth -= 1;
                    Ok(Expr::Dict { open: t, fields })
                }
                _ => Err(self.err_at(c, "expected a value".into())),
            },
        }
    }

    fn parse_dict(&mut self, mut c: Cur) -> R<Vec<Field>> {
        let mut fields = Vec::new();
        while self.peek(&c).is_some() {
            let key = match self.peek(&c) {
                Some(t) if self.tok_text(t) == "[" => {
                    self.bump(&mut c);
                    let mut inner = self.children(t);
                    let path = self.parse_path(&mut inner, "an extension or type name")?;
                    if self.peek(&inner).is_some() {
                        return Err(self.err_at(&inner, "expected `]`".into()));
                    }
                    Expr::Array {
                        open: t,
                        elems: vec![Expr::Path(path)],
                        commas: Vec::new(),
                    }
                }
                _ => Expr::Path(self.parse_path(&mut c, "a field name")?),
            };
            let colon = if self.is(self.peek(&c), ":") {
                self.bump(&mut c)
            } else {
                None
            };
            if colon.is_none() && !matches!(self.peek(&c).map(|t| self.tok_text(t)), Some("{" | "<" | "[")) {
                return Err(self.err_at(&c, "expected `:` after the field name".into()));
            }
            let value = self.parse_expr(&mut c)?;
            let sep = if self.is(self.peek(&c), ",") || self.is(self.peek(&c), ";") {
                self.bump(&mut c)
            } else {
                None
            };
            fields.push(Field {
                key,
                colon,
                value: Some(value),
                sep,
            });
        }
        Ok(fields)
    }
}

fn internal() -> SyntaxError {
    SyntaxError {
        offset: 0,
        len: 0,
        message: "internal parser error".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    File,
    Message,
    Enum,
    Service,
    Method,
}
