//! The printer: a port of buf's (protocompile `experimental/ast/printer`, with buf's "legacy"
//! settings) over herald's syntax tree. Each token is printed with a *gap* (what separates it
//! from the previous output); its attached comments are flushed first, laid out by the rules of
//! `emit_trivia`.

use std::borrow::Cow;

use super::dom::{Cond, Dom};
use super::lex::{Kind, NONE};
use super::parse::{Body, CompactOpts, Decl, Expr, Field, Path, Tok, Type, TypeList};
use super::trivia::{Detached, Index, Run};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Gap {
    None,
    /// Before the file's first declaration: nothing, like `None`, but its comments are not inline.
    FileStart,
    Space,
    Newline,
    Softline,
    Blankline,
    Inline,
    Preserve,
    PreserveTight,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    line_to_block: bool,
    indent_expr: bool,
    trailing_block_on_new_line: bool,
    pair_leading_block: bool,
    path_in_value: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Syntax,
    Package,
    Import,
    Option,
    Body,
}

pub struct Printer<'a> {
    idx: &'a Index<'a>,
    dom: Dom<'a>,
    pending: Vec<u32>,
    ctx: Ctx,
    empty: Detached,
    /// An empty declaration after a blank line passes the blank line on.
    carry_blank: bool,
}

fn rank(d: &Decl) -> Rank {
    match d {
        Decl::Syntax { .. } => Rank::Syntax,
        Decl::Package { .. } => Rank::Package,
        Decl::Import { .. } => Rank::Import,
        Decl::Option { .. } => Rank::Option,
        _ => Rank::Body,
    }
}

impl<'a> Printer<'a> {
    pub fn new(idx: &'a Index<'a>) -> Self {
        Printer {
            idx,
            dom: Dom::default(),
            pending: Vec::new(),
            ctx: Ctx::default(),
            empty: Detached::default(),
            carry_blank: false,
        }
    }

    fn text(&self, t: Tok) -> &'a str {
        let tok = self.idx.toks[t as usize];
        &self.idx.text[tok.start as usize..tok.end as usize]
    }

    fn close_of(&self, open: Tok) -> Tok {
        self.idx.toks[open as usize].partner
    }

    fn scope(&self, id: u32) -> Detached {
        self.idx.scope(id).cloned().unwrap_or_else(|| self.empty.clone())
    }

    fn run_has_comment(&self, r: Run) -> bool {
        self.idx.run_has_comment(r)
    }

    fn slots_have_comments(&self, d: &Detached) -> bool {
        d.slots.iter().any(|&r| self.run_has_comment(r))
    }

    /// The whole file. Declarations are sorted as buf sorts them (syntax, package, imports,
    /// options by name, then the rest in source order).
    pub fn print_file(mut self, decls: &[Decl]) -> String {
        let trivia = self.scope(NONE);
        if decls.is_empty() && !self.slots_have_comments(&trivia) {
            return String::new();
        }
        let mut order: Vec<usize> = (0..decls.len()).collect();
        order.sort_by(|&a, &b| self.compare_decls(&decls[a], &decls[b]));
        self.print_scope_decls(&trivia, decls, &order, true);
        let mut end_gap = Gap::None;
        if !decls.is_empty() || self.pending_has_comments() {
            end_gap = Gap::Newline;
            if (trivia.blank_before_close || self.carry_blank) && self.pending_has_comments() {
                end_gap = Gap::Blankline;
            }
        }
        self.emit_trivia(end_gap);
        self.dom.render()
    }

    fn compare_decls(&self, a: &Decl, b: &Decl) -> std::cmp::Ordering {
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (a, b) {
            (Decl::Import { mods: ma, path: pa, .. }, Decl::Import { mods: mb, path: pb, .. }) => {
                let opt = |m: &Vec<Tok>| m.iter().any(|&t| self.text(t) == "option");
                let lit = |e: &Expr| match e {
                    Expr::Literal(t) => self.text(*t),
                    _ => "",
                };
                opt(ma).cmp(&opt(mb)).then_with(|| lit(pa).cmp(lit(pb)))
            }
            (Decl::Option { path: pa, .. }, Decl::Option { path: pb, .. }) => {
                self.option_sort_name(pa).cmp(&self.option_sort_name(pb))
            }
            _ => std::cmp::Ordering::Equal,
        }
    }

    fn option_sort_name(&self, p: &Path) -> String {
        let mut s = String::new();
        s.push(if p.comps.first().is_some_and(|c| c.ext.is_some()) {
            '1'
        } else {
            '0'
        });
        self.canonical(p, &mut s);
        s
    }

    fn canonical(&self, p: &Path, out: &mut String) {
        for c in &p.comps {
            if let Some(sep) = c.sep {
                out.push_str(self.text(sep));
            }
            match &c.ext {
                Some(inner) => {
                    out.push('(');
                    self.canonical(inner, out);
                    out.push(')');
                }
                None => out.push_str(self.text(c.name)),
            }
        }
    }

    fn pending_has_comments(&self) -> bool {
        self.pending.iter().any(|&t| self.idx.is_comment(t))
    }

    fn append_run(&mut self, r: Run) {
        self.pending.extend(r.0..r.1);
    }

    fn print_token(&mut self, t: Tok, gap: Gap) {
        self.print_token_as(t, gap, Cow::Borrowed(self.text(t)));
    }

    fn print_token_as(&mut self, t: Tok, gap: Gap, text: Cow<'a, str>) {
        let att = self.idx.attached[t as usize];
        self.append_run(att.leading);
        if !text.is_empty() {
            self.emit_trivia(gap);
            self.dom.text(text);
        }
        self.emit_trailing(att.trailing);
    }

    fn emit_trailing(&mut self, trailing: Run) {
        for t in trailing.0..trailing.1 {
            if !self.idx.is_comment(t) {
                continue;
            }
            let text = self.text(t);
            let is_line = text.starts_with("//");
            if !is_line && self.ctx.trailing_block_on_new_line {
                self.dom.text("\n");
            } else {
                self.dom.text(" ");
            }
            if self.ctx.line_to_block && is_line {
                self.emit_line_as_block(t);
            } else {
                self.emit_comment(t);
                if is_line {
                    // Whatever follows goes on the next line, not into the comment.
                    self.dom.text("\n");
                }
            }
        }
    }

    /// `// text` as `/* text */` (a `*/` inside spaced apart so it does not end the comment).
    fn emit_line_as_block(&mut self, t: Tok) {
        let body = self.text(t).trim_end_matches([' ', '\t']);
        let body = body.get(2..).unwrap_or("").replace("*/", "* /");
        self.dom.text(format!("/*{body} */"));
    }

    fn emit_comma_trivia(&mut self, comma: Option<Tok>) {
        if let Some(c) = comma {
            let att = self.idx.attached[c as usize];
            self.emit_trailing(att.trailing);
        }
    }

    fn print_scope_decls(&mut self, trivia: &Detached, decls: &[Decl], order: &[usize], file: bool) {
        let mut last_src: isize = -1;
        // The previous declaration printed: empty ones (`;`) print nothing and do not count.
        let mut prev: Option<usize> = None;
        for &src in order {
            let s = src as isize;
            let mut k = last_src + 1;
            while k <= s {
                self.emit_slot(trivia, k as usize);
                k += 1;
            }
            if s > last_src {
                last_src = s;
            }
            let mut gap = self.decl_gap(decls, trivia, prev, src, file);
            if !matches!(decls[src], Decl::Empty(_)) {
                if self.carry_blank && gap == Gap::Newline {
                    gap = Gap::Blankline;
                }
                self.carry_blank = false;
                prev = Some(src);
            } else {
                // An empty declaration still counts as one: what follows it keeps the blank line
                // before it, even first in the body, and a file's next declaration starts on a
                // new line (buf 1.75).
                prev = Some(src);
            }
            self.print_decl(&decls[src], gap);
        }
        if !file {
            self.carry_blank = false;
        }
        let mut k = (last_src + 1) as usize;
        while k < trivia.slots.len() {
            self.emit_slot(trivia, k);
            k += 1;
        }
    }

    fn decl_gap(&self, decls: &[Decl], trivia: &Detached, prev: Option<usize>, src: usize, file: bool) -> Gap {
        let Some(prev) = prev else {
            return if file { Gap::FileStart } else { Gap::Newline };
        };
        if file {
            let prev = rank(&decls[prev]);
            let curr = rank(&decls[src]);
            if prev != curr && (curr == Rank::Import || curr == Rank::Option) {
                return Gap::Blankline;
            }
            if prev == Rank::Syntax && curr != Rank::Package {
                return Gap::Blankline;
            }
            if curr == Rank::Import || curr == Rank::Option {
                return Gap::Newline;
            }
        }
        if trivia.has_blank_before(src) {
            Gap::Blankline
        } else {
            Gap::Newline
        }
    }

    fn emit_slot(&mut self, trivia: &Detached, i: usize) {
        if let Some(&r) = trivia.slots.get(i) {
            self.append_run(r);
        }
    }

    fn emit_remaining(&mut self, trivia: &Detached, from: usize) {
        for i in from..trivia.slots.len() {
            self.emit_slot(trivia, i);
        }
    }

    fn emit_gap(&mut self, gap: Gap) {
        match gap {
            Gap::Space => self.dom.text(" "),
            Gap::Newline => self.dom.text("\n"),
            Gap::Softline => self.softline(),
            Gap::Blankline => self.dom.text("\n\n"),
            Gap::None | Gap::FileStart | Gap::Inline | Gap::Preserve | Gap::PreserveTight => {}
        }
    }

    fn softline(&mut self) {
        self.dom.text_if(Cond::Flat, " ");
        self.dom.text_if(Cond::Broken, "\n");
    }

    fn softbreak(&mut self) {
        self.dom.text_if(Cond::Broken, "\n");
    }

    /// Flushes the pending trivia (comments collected since the last token) with `gap` before
    /// the next token. Long because the spacing rules between comments and around them are buf's,
    /// case by case.
    fn emit_trivia(&mut self, gap: Gap) {
        let mut after_gap = match gap {
            Gap::Space => Gap::Space,
            Gap::Preserve | Gap::PreserveTight | Gap::Inline | Gap::None => Gap::None,
            _ => Gap::Softline,
        };
        if gap == Gap::Space {
            after_gap = Gap::Space;
        }
        let first_gap = if gap == Gap::Inline { Gap::Space } else { gap };
        // Where the source's spacing around comments is kept: before the first comment in
        // these gaps (and `None`: buf 1.75 spaces a comment off there too), after each one only
        // in the preserving gaps.
        let preserve = matches!(gap, Gap::Preserve | Gap::PreserveTight);
        let preserve_first = preserve || gap == Gap::None;
        let inline = matches!(
            gap,
            Gap::Space | Gap::None | Gap::Inline | Gap::Preserve | Gap::PreserveTight
        );
        let inherit = |base: Gap, has_space: bool| if preserve && has_space { Gap::Space } else { base };
        let mut has_comment = false;
        let mut prev_is_line = false;
        let mut prev_was_line = false;
        let mut newline_run = 0;
        let mut has_non_newline_space = false;
        let mut pre_comment_newline = false;
        let pending = std::mem::take(&mut self.pending);
        for &t in &pending {
            let kind = self.idx.toks[t as usize].kind;
            match kind {
                Kind::Newline => {
                    newline_run += 1;
                    if !has_comment {
                        pre_comment_newline = true;
                    }
                    continue;
                }
                Kind::Space => {
                    has_non_newline_space = true;
                    continue;
                }
                Kind::Comment => {}
                _ => continue,
            }
            // buf 1.75 spaces a comment off in a preserving gap after a newline too.
            let spaced = has_non_newline_space || newline_run > 0;
            let mut fg = if preserve_first && spaced {
                Gap::Space
            } else {
                first_gap
            };
            let ag = inherit(after_gap, has_non_newline_space);
            if gap == Gap::PreserveTight && !has_comment {
                fg = first_gap;
            }
            if !has_comment {
                self.emit_gap(fg);
            } else {
                // In an inline position blank lines between comments are not kept.
                let run = if inline { 0 } else { newline_run };
                // Before a line comment turned into a block one, after another, a space.
                let this_is_line = self.text(t).starts_with("//");
                let g = if inline && this_is_line && prev_was_line {
                    Gap::Space
                } else {
                    comment_gap(ag, prev_is_line, run)
                };
                self.emit_gap(g);
            }
            has_non_newline_space = false;
            newline_run = 0;
            let mut is_line = self.text(t).starts_with("//");
            prev_was_line = is_line && inline;
            if is_line && inline {
                // A line comment where the line goes on: buf 1.75 turns it into a block comment.
                self.emit_line_as_block(t);
                is_line = false;
            } else {
                self.emit_comment(t);
            }
            has_comment = true;
            prev_is_line = is_line;
        }
        self.pending = pending;
        self.pending.clear();
        if has_comment {
            if gap == Gap::Newline
                && !prev_is_line
                && newline_run == 0
                && pre_comment_newline
                && self.ctx.pair_leading_block
            {
                self.emit_gap(Gap::Space);
                return;
            }
            let run = if inline { 0 } else { newline_run };
            let mut final_gap = comment_gap(inherit(after_gap, has_non_newline_space), prev_is_line, run);
            if gap == Gap::Newline && !prev_is_line && newline_run >= 1 && final_gap == Gap::Space {
                final_gap = Gap::Newline;
            }
            self.emit_gap(final_gap);
            return;
        }
        self.emit_gap(gap);
    }

    fn close_comments(&self, close: Tok) -> Option<(Run, Run)> {
        let att = self.idx.attached[close as usize];
        if self.run_has_comment(att.leading) {
            Some((att.leading, att.trailing))
        } else {
            None
        }
    }

    fn open_trailing(&self, open: Tok) -> Option<Run> {
        let att = self.idx.attached[open as usize];
        self.run_has_comment(att.trailing).then_some(att.trailing)
    }

    fn emit_close_tok(&mut self, close: Tok, text: &'a str, cc: Option<(Run, Run)>) {
        if let Some((_, trailing)) = cc {
            self.emit_gap(Gap::Newline);
            self.dom.text(text);
            self.emit_trailing(trailing);
        } else {
            self.print_token_as(close, Gap::Newline, Cow::Borrowed(text));
        }
    }

    /// The non-trivia tokens strictly inside the fused token `open`, at every depth.
    fn interior(&self, open: Tok) -> std::ops::Range<u32> {
        open + 1..self.close_of(open)
    }

    fn scope_has_attached_comments(&self, open: Tok) -> bool {
        let close = self.close_of(open);
        if self.run_has_comment(self.idx.attached[open as usize].trailing)
            || self.run_has_comment(self.idx.attached[close as usize].leading)
        {
            return true;
        }
        self.level_tokens(open).any(|t| {
            let a = self.idx.attached[t as usize];
            self.run_has_comment(a.leading) || self.run_has_comment(a.trailing)
        })
    }

    /// The significant tokens directly inside `open` (its children, not grandchildren).
    fn level_tokens(&self, open: Tok) -> impl Iterator<Item = u32> + '_ {
        let range = self.interior(open);
        let mut i = range.start;
        std::iter::from_fn(move || {
            while i < range.end {
                let t = i;
                let tok = self.idx.toks[t as usize];
                i = if tok.partner != NONE && tok.partner > t {
                    tok.partner + 1
                } else {
                    t + 1
                };
                if !tok.skippable() {
                    return Some(t);
                }
            }
            None
        })
    }

    fn emit_comment(&mut self, t: Tok) {
        let text = self.text(t).trim_end_matches([' ', '\t']);
        if text.starts_with("/*") {
            self.emit_block_comment(text);
        } else {
            self.dom.text(text);
        }
    }

    /// A block comment over several lines, re-indented as buf does: a common prefix character
    /// (` * `) is kept aligned under the `/*`, other lines keep their indentation relative to
    /// the least indented one, three spaces in.
    fn emit_block_comment(&mut self, text: &'a str) {
        let lines: Vec<&'a str> = text.split('\n').collect();
        if lines.len() <= 1 {
            self.dom.text(text);
            return;
        }
        let last_trimmed = lines[lines.len() - 1].trim_start_matches([' ', '\t']);
        let standalone_close = last_trimmed.trim_end_matches([' ', '\t']) == "*/";
        let mut min_indent: Option<usize> = None;
        let mut prefix: Option<u8> = None;
        let mut prefix_set = false;
        for line in &lines[1..] {
            let trimmed = line.trim_start_matches([' ', '\t']);
            if trimmed.is_empty() {
                // A blank line has no prefix: then no line keeps one (as buf 1.75 does).
                prefix = None;
                prefix_set = true;
                continue;
            }
            if trimmed == "*/" {
                continue;
            }
            let indent = visual_indent(line);
            min_indent = Some(min_indent.map_or(indent, |m: usize| m.min(indent)));
            let ch = trimmed.as_bytes()[0];
            if is_comment_prefix(ch) {
                if !prefix_set {
                    prefix = Some(ch);
                    prefix_set = true;
                } else if prefix != Some(ch) {
                    prefix = None;
                }
            } else {
                // A line without a prefix: no line keeps one (buf 1.75).
                prefix = None;
                prefix_set = true;
            }
        }
        let min_indent = min_indent.unwrap_or(0);
        self.dom.text(lines[0].trim_end_matches([' ', '\t']));
        let end = if standalone_close { lines.len() - 1 } else { lines.len() };
        let mut pending_newlines = 0;
        for line in &lines[1..end] {
            pending_newlines += 1;
            let trimmed = line.trim_start_matches([' ', '\t']);
            if trimmed.is_empty() {
                continue;
            }
            let content = if prefix.is_some() {
                format!(" {}", trimmed.trim_end_matches([' ', '\t']))
            } else {
                let l = unindent(line, min_indent);
                let l = l.trim_end_matches([' ', '\t']);
                if l.is_empty() {
                    continue;
                }
                format!("   {l}")
            };
            self.dom.text("\n".repeat(pending_newlines));
            self.dom.text(content);
            pending_newlines = 0;
        }
        if standalone_close {
            pending_newlines += 1;
            self.dom.text("\n".repeat(pending_newlines));
            self.dom.text(if prefix == Some(b'*') { " */" } else { "*/" });
        }
    }

    fn with_group(&mut self, f: impl FnOnce(&mut Self)) {
        let g = self.dom.open_group();
        f(self);
        self.dom.close(g);
    }

    fn with_indent(&mut self, f: impl FnOnce(&mut Self)) {
        let g = self.dom.open_indent();
        f(self);
        self.dom.close(g);
    }

    /// One declaration: one arm per kind, each the sequence of its tokens with their gaps, as
    /// buf's `printDecl` and its helpers. Long because protobuf has that many declarations.
    fn print_decl(&mut self, decl: &Decl, gap: Gap) {
        match decl {
            Decl::Empty(semi) => {
                // An empty declaration prints nothing, but buf keeps its comments, each on its
                // own line (as the `// comment` of `}; // comment`).
                let att = self.idx.attached[*semi as usize];
                self.append_run(att.leading);
                if gap == Gap::FileStart && !self.pending_has_comments() {
                    // First in the file with nothing before it: its trailing comments print as
                    // trailing ones, after a space (`;// c` is ` // c`, as buf 1.75 prints it).
                    self.pending.clear();
                    self.emit_trailing(att.trailing);
                    return;
                }
                self.append_run(att.trailing);
                if self.pending_has_comments() {
                    self.emit_trivia(gap);
                } else if gap == Gap::Blankline {
                    // Its blank line still separates what comes before from what follows.
                    self.carry_blank = true;
                }
            }
            Decl::Syntax {
                kw,
                eq,
                value,
                opts,
                semi,
            } => {
                self.print_token(*kw, gap);
                self.print_token(*eq, Gap::Space);
                self.print_expr(value, Gap::Space);
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
            Decl::Package { kw, path, opts, semi } => {
                self.print_token(*kw, gap);
                self.print_path(path, Gap::Space);
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
            Decl::Import {
                kw,
                mods,
                path,
                opts,
                semi,
            } => {
                self.print_token(*kw, gap);
                for m in mods {
                    self.print_token(*m, Gap::Space);
                }
                self.print_expr(path, Gap::Space);
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
            Decl::Option {
                kw,
                path,
                eq,
                value,
                semi,
            } => {
                self.print_token(*kw, gap);
                self.print_path(path, Gap::Space);
                if let (Some(eq), Some(value)) = (eq, value) {
                    self.print_token(*eq, Gap::Space);
                    let saved = self.ctx;
                    self.ctx.line_to_block = true;
                    self.ctx.indent_expr = true;
                    self.print_expr(value, Gap::Space);
                    self.ctx = saved;
                }
                self.print_token(*semi, Gap::Inline);
            }
            Decl::Block {
                prefixes,
                kw,
                name,
                body,
            } => {
                let gap = self.print_prefixes(prefixes, gap);
                self.print_token(*kw, gap);
                self.print_path(name, Gap::Space);
                self.print_body(body);
            }
            Decl::Group {
                prefixes,
                kw,
                name,
                eq,
                tag,
                opts,
                body,
            } => {
                let gap = self.print_prefixes(prefixes, gap);
                self.print_token(*kw, gap);
                self.print_path(name, Gap::Space);
                if let (Some(eq), Some(tag)) = (eq, tag) {
                    self.print_token(*eq, Gap::Space);
                    self.print_expr(tag, Gap::Space);
                }
                self.print_compact(opts.as_ref());
                self.print_body(body);
            }
            Decl::Field {
                ty,
                name,
                eq,
                tag,
                opts,
                semi,
            } => {
                self.print_type(ty, gap);
                self.print_path(name, Gap::Space);
                if let (Some(eq), Some(tag)) = (eq, tag) {
                    self.print_token(*eq, Gap::Space);
                    self.print_expr(tag, Gap::Space);
                }
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
            Decl::EnumValue {
                name,
                eq,
                tag,
                opts,
                semi,
            } => {
                self.print_path(name, gap);
                self.print_token(*eq, Gap::Space);
                self.print_expr(tag, Gap::Space);
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
            Decl::Method {
                kw,
                name,
                inputs,
                returns,
                outputs,
                body,
                semi,
            } => {
                self.print_token(*kw, gap);
                self.print_path(name, Gap::Space);
                self.print_type_list_group(inputs, Gap::Preserve);
                self.print_token(*returns, Gap::Space);
                self.print_type_list_group(outputs, Gap::Space);
                if let Some(body) = body {
                    self.print_body(body);
                } else if let Some(semi) = semi {
                    self.print_token(*semi, Gap::Inline);
                }
            }
            Decl::Range {
                kw,
                ranges,
                commas,
                opts,
                semi,
            } => {
                self.print_token(*kw, gap);
                for (i, r) in ranges.iter().enumerate() {
                    if i > 0 {
                        if let Some(&c) = commas.get(i - 1) {
                            self.print_token(c, Gap::Inline);
                        }
                    }
                    self.print_expr(r, Gap::Space);
                }
                self.print_compact(opts.as_ref());
                self.print_token(*semi, Gap::Inline);
            }
        }
    }

    fn print_prefixes(&mut self, prefixes: &[Tok], mut gap: Gap) -> Gap {
        for &p in prefixes {
            self.print_token(p, gap);
            gap = Gap::Space;
        }
        gap
    }

    fn print_type_list_group(&mut self, list: &TypeList, open_gap: Gap) {
        // The `(` and its comments come before the group: a comment there does not break it.
        self.print_token(list.open, open_gap);
        self.with_group(|p| {
            let slots = p.scope(list.open);
            p.with_indent(|p| {
                p.softbreak();
                let mut gap = Gap::Preserve;
                for (i, ty) in list.types.iter().enumerate() {
                    p.emit_slot(&slots, i);
                    if i > 0 {
                        if let Some(&c) = list.commas.get(i - 1) {
                            p.print_token(c, Gap::Inline);
                        }
                        gap = Gap::Softline;
                    }
                    p.print_type(ty, gap);
                }
                p.emit_remaining(&slots, list.types.len());
                p.softbreak();
            });
            // The `)` ends the group, a comment trailing it comes after the group: a line
            // comment there does not break it open.
            let close = p.close_of(list.open);
            p.append_run(p.idx.attached[close as usize].leading);
            p.emit_trivia(Gap::Preserve);
            p.dom.text(p.text(close));
        });
        let close = self.close_of(list.open);
        self.emit_trailing(self.idx.attached[close as usize].trailing);
    }

    fn print_body(&mut self, body: &Body) {
        let saved = self.ctx;
        self.ctx.line_to_block = false;
        let open = body.open;
        let close = self.close_of(open);
        let trivia = self.scope(open);
        self.print_token(open, Gap::Space);
        let cc = self.close_comments(close);
        // Empty declarations and whitespace alone leave a body empty: `{}`.
        let has_content = body.decls.iter().any(|d| !matches!(d, Decl::Empty(_)))
            || self.slots_have_comments(&trivia)
            || cc.is_some()
            || self.scope_has_attached_comments(open);
        if !has_content {
            self.print_token(close, Gap::None);
            self.ctx = saved;
            return;
        }
        let order: Vec<usize> = (0..body.decls.len()).collect();
        self.with_indent(|p| {
            p.print_scope_decls(&trivia, &body.decls, &order, false);
            if cc.is_some() || p.pending_has_comments() {
                p.emit_close_comments(cc.map_or((0, 0), |c| c.0), trivia.blank_before_close);
            }
        });
        self.emit_close_tok(close, self.text(close), cc);
        self.ctx = saved;
    }

    /// Comments left before the closing bracket of broken compact options, each on its own
    /// line inside the brackets, the first after a blank line if the source had one.
    fn emit_dangling(&mut self, blank_before: bool) {
        let pending = std::mem::take(&mut self.pending);
        let mut gap = if blank_before { Gap::Blankline } else { Gap::Newline };
        let mut newline_run = 0;
        let mut first = true;
        for &t in &pending {
            match self.idx.toks[t as usize].kind {
                Kind::Newline => newline_run += 1,
                Kind::Comment => {
                    if !first && newline_run >= 2 {
                        gap = Gap::Blankline;
                    }
                    first = false;
                    newline_run = 0;
                    self.emit_gap(gap);
                    self.emit_comment(t);
                    gap = Gap::Newline;
                }
                _ => {}
            }
        }
        self.pending = pending;
        self.pending.clear();
    }

    fn emit_close_comments(&mut self, comments: Run, blank_before_close: bool) {
        let pending = std::mem::take(&mut self.pending);
        for &t in &pending {
            if !self.idx.is_comment(t) {
                continue;
            }
            self.emit_gap(Gap::Newline);
            self.emit_comment(t);
        }
        self.pending = pending;
        self.pending.clear();
        let mut gap = if blank_before_close {
            Gap::Blankline
        } else {
            Gap::Newline
        };
        let mut newline_run = 0;
        for t in comments.0..comments.1 {
            match self.idx.toks[t as usize].kind {
                Kind::Newline => {
                    newline_run += 1;
                    continue;
                }
                Kind::Comment => {}
                _ => continue,
            }
            if newline_run >= 2 {
                gap = Gap::Blankline;
            }
            newline_run = 0;
            self.emit_gap(gap);
            self.emit_comment(t);
            gap = Gap::Newline;
        }
    }

    fn first_option_key_has_leading_comment(&self, co: &CompactOpts) -> bool {
        co.entries.first().and_then(|e| e.path.comps.first()).is_some_and(|c| {
            let first = c.sep.unwrap_or(c.name);
            self.run_has_comment(self.idx.attached[first as usize].leading)
        })
    }

    /// `[a = 1, b = 2]` after a field, enum value, range…: on one line when it holds one option
    /// and no comment forces it open, otherwise one option per line (buf's rule).
    fn print_compact(&mut self, co: Option<&CompactOpts>) {
        let Some(co) = co else { return };
        let open = co.open;
        let close = self.close_of(open);
        let slots = self.scope(open);
        let n = co.entries.len();
        let force = self.open_trailing(open).is_some()
            || self.slots_have_comments(&slots)
            || self.first_option_key_has_leading_comment(co);
        let broken = force || n >= 2;
        if !broken && n == 1 {
            let saved = self.ctx;
            self.ctx.line_to_block = true;
            let opt = &co.entries[0];
            self.print_token(open, Gap::Space);
            self.emit_slot(&slots, 0);
            self.print_path(&opt.path, Gap::None);
            if let (Some(eq), Some(v)) = (opt.eq, &opt.value) {
                self.print_token(eq, Gap::Space);
                let s2 = self.ctx;
                self.ctx.indent_expr = true;
                self.print_expr(v, Gap::Space);
                self.ctx = s2;
            }
            self.emit_slot(&slots, 1);
            self.emit_trivia(Gap::None);
            self.print_token(close, Gap::None);
            self.ctx = saved;
            return;
        }
        let saved = self.ctx;
        // A block comment after the `[` stays on its line (buf 1.75).
        self.print_token(open, Gap::Space);
        self.ctx.trailing_block_on_new_line = true;
        self.ctx.pair_leading_block = false;
        let cc = self.close_comments(close);
        self.with_indent(|p| {
            for (i, opt) in co.entries.iter().enumerate() {
                if i > 0 {
                    let s = p.ctx;
                    p.ctx.trailing_block_on_new_line = false;
                    if let Some(&c) = co.commas.get(i - 1) {
                        p.print_token(c, Gap::Inline);
                    }
                    p.ctx = s;
                }
                p.emit_slot(&slots, i);
                let gap = if i > 0 && slots.has_blank_before(i) {
                    Gap::Blankline
                } else {
                    Gap::Newline
                };
                p.print_path(&opt.path, gap);
                if let (Some(eq), Some(v)) = (opt.eq, &opt.value) {
                    p.print_token(eq, Gap::Space);
                    let s = p.ctx;
                    p.ctx.indent_expr = true;
                    p.ctx.path_in_value = true;
                    p.print_expr(v, Gap::Space);
                    p.ctx = s;
                }
            }
            p.emit_slot(&slots, n);
            if p.pending_has_comments() {
                p.emit_dangling(slots.blank_before_close);
            }
            if let Some((leading, _)) = cc {
                p.emit_close_comments(leading, slots.blank_before_close);
            }
        });
        self.emit_trivia(Gap::None);
        self.emit_close_tok(close, self.text(close), cc);
        self.ctx = saved;
    }

    fn print_type(&mut self, ty: &Type, gap: Gap) {
        match ty {
            Type::Path(p) => self.print_path(p, gap),
            Type::Prefixed { prefix, inner } => {
                self.print_token(*prefix, gap);
                self.print_type(inner, Gap::Space);
            }
            Type::Generic {
                path,
                open,
                args,
                commas,
            } => {
                self.print_path(path, gap);
                let trivia = self.scope(*open);
                self.print_token(*open, Gap::Preserve);
                for (i, a) in args.iter().enumerate() {
                    self.emit_slot(&trivia, i);
                    let mut g = Gap::Preserve;
                    if i > 0 {
                        if let Some(&c) = commas.get(i - 1) {
                            self.print_token(c, Gap::Inline);
                        }
                        g = Gap::Space;
                    }
                    self.print_type(a, g);
                }
                self.emit_remaining(&trivia, args.len());
                self.print_token(self.close_of(*open), Gap::Preserve);
            }
        }
    }

    fn print_path(&mut self, path: &Path, gap: Gap) {
        let saved = self.ctx;
        if self.ctx.path_in_value {
            self.ctx.line_to_block = true;
            self.ctx.path_in_value = false;
        } else {
            self.ctx.line_to_block = true;
            self.ctx.trailing_block_on_new_line = false;
        }
        let mut first = true;
        for c in &path.comps {
            if let Some(sep) = c.sep {
                let g = if first { gap } else { Gap::Preserve };
                self.print_token(sep, g);
            }
            let g = if first && c.sep.is_none() { gap } else { Gap::Preserve };
            first = false;
            match &c.ext {
                Some(inner) => {
                    let open = c.name;
                    let trivia = self.scope(open);
                    self.print_token(open, g);
                    self.emit_slot(&trivia, 0);
                    self.print_path(inner, Gap::PreserveTight);
                    self.emit_slot(&trivia, 1);
                    self.print_token(self.close_of(open), Gap::Preserve);
                }
                None => self.print_token(c.name, g),
            }
        }
        self.ctx = saved;
    }

    fn print_expr(&mut self, e: &Expr, gap: Gap) {
        match e {
            Expr::Literal(t) => {
                let tok = self.idx.toks[*t as usize];
                if tok.partner != NONE && tok.partner > *t {
                    self.print_compound_string(*t, gap);
                } else {
                    self.print_token(*t, gap);
                }
            }
            Expr::Path(p) => self.print_path(p, gap),
            Expr::Prefixed { prefix, inner } => {
                self.print_token(*prefix, gap);
                let first = match &**inner {
                    Expr::Literal(t) => Some(*t),
                    Expr::Path(p) => p.comps.first().map(|c| c.sep.unwrap_or(c.name)),
                    _ => None,
                };
                let vg = match first {
                    Some(t) if self.run_has_comment(self.idx.attached[t as usize].leading) => Gap::Space,
                    _ => Gap::None,
                };
                self.print_expr(inner, vg);
            }
            Expr::Range { start, kw, end } => {
                self.print_expr(start, gap);
                self.print_token(*kw, Gap::Space);
                self.print_expr(end, Gap::Space);
            }
            Expr::Array { open, elems, commas } => self.print_array(*open, elems, commas, gap),
            Expr::Dict { open, fields } => self.print_dict(*open, fields, gap),
        }
    }

    fn print_compound_string(&mut self, open: Tok, gap: Gap) {
        let close = self.close_of(open);
        let trivia = self.scope(open);
        let parts: Vec<Tok> = self.level_tokens(open).collect();
        let src_vertical = !self.same_line(open, close);
        let indented = self.ctx.indent_expr;
        let saved = self.ctx;
        self.ctx.line_to_block = false;
        self.ctx.trailing_block_on_new_line = !src_vertical;
        self.ctx.pair_leading_block = false;
        let _ = gap;
        let body = |p: &mut Self| {
            p.print_token(open, Gap::Newline);
            for (i, &part) in parts.iter().enumerate() {
                p.emit_slot(&trivia, i);
                p.print_token(part, Gap::Newline);
            }
            p.emit_remaining(&trivia, parts.len());
            let att = p.idx.attached[close as usize];
            p.append_run(att.leading);
            p.emit_trivia(Gap::Newline);
            p.dom.text(p.text(close));
            p.ctx = saved;
            p.emit_trailing(att.trailing);
        };
        if indented {
            self.with_indent(body);
        } else {
            body(self);
        }
        self.ctx = saved;
    }

    fn same_line(&self, a: Tok, b: Tok) -> bool {
        let (s, e) = (
            self.idx.toks[a as usize].start as usize,
            self.idx.toks[b as usize].start as usize,
        );
        !self.idx.text.as_bytes()[s..e].contains(&b'\n')
    }

    fn close_mods(&mut self, outer_line_to_block: bool) {
        self.ctx.line_to_block = outer_line_to_block;
        if outer_line_to_block {
            self.ctx.trailing_block_on_new_line = false;
        }
    }

    fn print_array(&mut self, open: Tok, elems: &[Expr], commas: &[Tok], gap: Gap) {
        let outer_ltb = self.ctx.line_to_block;
        let saved = self.ctx;
        self.ctx.line_to_block = false;
        self.ctx.indent_expr = false;
        let close = self.close_of(open);
        let slots = self.scope(open);
        // Comments attached inside the brackets open the list too (buf 1.75 does this; the
        // printer source it was ported from only looked at detached ones).
        let has_comments = self.slots_have_comments(&slots) || self.scope_has_attached_comments(open);
        if elems.is_empty() && !has_comments {
            self.print_token(open, gap);
            let s = self.ctx;
            self.close_mods(outer_ltb);
            self.print_token(close, Gap::None);
            self.ctx = s;
            self.ctx = saved;
            return;
        }
        let broken = has_comments || elems.len() >= 2;
        if !broken {
            self.print_token(open, gap);
            self.with_group(|p| {
                p.with_indent(|p| {
                    p.softbreak();
                    for (i, e) in elems.iter().enumerate() {
                        p.emit_slot(&slots, i);
                        let mut g = Gap::None;
                        if i > 0 {
                            if let Some(&c) = commas.get(i - 1) {
                                p.print_token(c, Gap::None);
                            }
                            g = Gap::Softline;
                        }
                        p.print_expr(e, g);
                    }
                    p.emit_slot(&slots, elems.len());
                });
                p.softbreak();
            });
            let s = self.ctx;
            self.close_mods(outer_ltb);
            self.print_token(close, Gap::None);
            self.ctx = s;
            self.ctx = saved;
            return;
        }
        let cc = self.close_comments(close);
        self.print_token(open, gap);
        self.ctx.trailing_block_on_new_line = true;
        self.ctx.pair_leading_block = true;
        self.with_indent(|p| {
            for (i, e) in elems.iter().enumerate() {
                if i > 0 {
                    let s = p.ctx;
                    p.ctx.trailing_block_on_new_line = false;
                    if let Some(&c) = commas.get(i - 1) {
                        p.print_token(c, Gap::Inline);
                    }
                    p.ctx = s;
                }
                p.emit_slot(&slots, i);
                let g = if i > 0 && slots.has_blank_before(i) {
                    Gap::Blankline
                } else {
                    Gap::Newline
                };
                let s = p.ctx;
                p.ctx.path_in_value = true;
                p.print_expr(e, g);
                p.ctx = s;
            }
            p.emit_slot(&slots, elems.len());
            if cc.is_none() && p.pending_has_comments() {
                // Comments after the last element, before the closing bracket, stay inside.
                p.emit_trivia(Gap::Newline);
            }
            if let Some((leading, _)) = cc {
                p.emit_close_comments(leading, slots.blank_before_close);
            }
        });
        let s = self.ctx;
        self.close_mods(outer_ltb);
        self.emit_close_tok(close, self.text(close), cc);
        self.ctx = s;
        self.ctx = saved;
    }

    /// A message literal `{ a: 1 b: 2 }` (`<…>` too, printed with braces): empty stays `{}`, one
    /// field without comments stays on one line, otherwise one field per line, blank lines kept.
    fn print_dict(&mut self, open: Tok, fields: &[Field], gap: Gap) {
        let outer_ltb = self.ctx.line_to_block;
        let saved = self.ctx;
        self.ctx.line_to_block = false;
        self.ctx.indent_expr = false;
        let close = self.close_of(open);
        let trivia = self.scope(open);
        let angles = self.text(open) == "<";
        let (open_text, close_text) = if angles {
            ("{", "}")
        } else {
            (self.text(open), self.text(close))
        };
        let has_comments = self.slots_have_comments(&trivia) || self.scope_has_attached_comments(open);
        if fields.is_empty() && !has_comments {
            self.print_token_as(open, gap, Cow::Borrowed(open_text));
            let s = self.ctx;
            self.close_mods(outer_ltb);
            self.print_token_as(close, Gap::None, Cow::Borrowed(close_text));
            self.ctx = s;
            self.ctx = saved;
            return;
        }
        let broken = has_comments || fields.len() >= 2;
        if !broken {
            self.print_token_as(open, gap, Cow::Borrowed(open_text));
            self.with_group(|p| {
                p.with_indent(|p| {
                    p.softbreak();
                    for (i, f) in fields.iter().enumerate() {
                        p.emit_slot(&trivia, i);
                        let g = if i > 0 { Gap::Softline } else { Gap::None };
                        p.print_field(f, g);
                        p.emit_comma_trivia(f.sep);
                    }
                    p.emit_slot(&trivia, fields.len());
                });
                p.softbreak();
            });
            let s = self.ctx;
            self.close_mods(outer_ltb);
            self.print_token_as(close, Gap::None, Cow::Borrowed(close_text));
            self.ctx = s;
            self.ctx = saved;
            return;
        }
        let cc = self.close_comments(close);
        self.ctx.trailing_block_on_new_line = true;
        self.ctx.pair_leading_block = false;
        let open_trailing = self.open_trailing(open);
        if let Some(ot) = open_trailing {
            let att = self.idx.attached[open as usize];
            self.append_run(att.leading);
            self.emit_trivia(gap);
            self.dom.text(open_text);
            self.with_indent(|p| {
                p.append_run(ot);
                p.emit_trivia(Gap::Newline);
            });
        } else {
            self.print_token_as(open, gap, Cow::Borrowed(open_text));
        }
        self.with_indent(|p| {
            for (i, f) in fields.iter().enumerate() {
                p.emit_slot(&trivia, i);
                let mut g = Gap::Newline;
                if i > 0 && (trivia.has_blank_before(i) || p.blank_between(&fields[i - 1], f)) {
                    g = Gap::Blankline;
                }
                let rewrite = matches!(f.value, Some(Expr::Array { .. } | Expr::Dict { .. }));
                let fs = p.ctx;
                if rewrite {
                    p.ctx.line_to_block = true;
                }
                p.print_field(f, g);
                let s = p.ctx;
                p.ctx.trailing_block_on_new_line = false;
                if rewrite {
                    p.ctx.line_to_block = true;
                }
                p.emit_comma_trivia(f.sep);
                p.ctx = s;
                p.ctx = fs;
            }
            p.emit_slot(&trivia, fields.len());
            if cc.is_none() && p.pending_has_comments() {
                // Comments after the last element, before the closing bracket, stay inside.
                p.emit_trivia(Gap::Newline);
            }
            if let Some((leading, _)) = cc {
                p.emit_close_comments(leading, trivia.blank_before_close);
            }
        });
        let s = self.ctx;
        self.close_mods(outer_ltb);
        self.emit_close_tok(close, close_text, cc);
        self.ctx = s;
        self.ctx = saved;
    }

    fn expr_first(&self, e: &Expr) -> Tok {
        match e {
            Expr::Literal(t) => *t,
            Expr::Path(p) => p.comps.first().map_or(0, |c| c.sep.unwrap_or(c.name)),
            Expr::Prefixed { prefix, .. } => *prefix,
            Expr::Range { start, .. } => self.expr_first(start),
            Expr::Array { open, .. } | Expr::Dict { open, .. } => *open,
        }
    }

    fn expr_last(&self, e: &Expr) -> Tok {
        match e {
            Expr::Literal(t) => {
                let tok = self.idx.toks[*t as usize];
                if tok.partner != NONE && tok.partner > *t {
                    tok.partner
                } else {
                    *t
                }
            }
            Expr::Path(p) => p
                .comps
                .last()
                .map_or(0, |c| if c.ext.is_some() { self.close_of(c.name) } else { c.name }),
            Expr::Prefixed { inner, .. } => self.expr_last(inner),
            Expr::Range { end, .. } => self.expr_last(end),
            Expr::Array { open, .. } | Expr::Dict { open, .. } => self.close_of(*open),
        }
    }

    fn blank_between(&self, prev: &Field, curr: &Field) -> bool {
        let end = prev
            .value
            .as_ref()
            .map_or_else(|| self.expr_last(&prev.key), |v| self.expr_last(v));
        let start = self.expr_first(&curr.key);
        let (s, e) = (
            self.idx.toks[end as usize].end as usize,
            self.idx.toks[start as usize].start as usize,
        );
        if s >= e {
            return false;
        }
        let mut after_newline = false;
        for &b in &self.idx.text.as_bytes()[s..e] {
            match b {
                b'\n' => {
                    if after_newline {
                        return true;
                    }
                    after_newline = true;
                }
                b' ' | b'\t' => {}
                _ => after_newline = false,
            }
        }
        false
    }

    fn print_field(&mut self, f: &Field, gap: Gap) {
        self.print_expr(&f.key, gap);
        if let Some(colon) = f.colon {
            let lead = self.idx.attached[colon as usize].leading;
            let key_trailing = self.idx.attached[self.expr_last(&f.key) as usize].trailing;
            // A comment before the colon (its own, or the key's trailing) is spaced off it.
            let g = if self.run_has_comment(lead) || self.run_has_comment(key_trailing) {
                Gap::Space
            } else {
                Gap::Inline
            };
            self.print_token(colon, g);
        } else if f.value.is_some() {
            self.dom.text(":");
        }
        if let Some(v) = &f.value {
            let s = self.ctx;
            self.ctx.indent_expr = true;
            self.ctx.path_in_value = true;
            self.print_expr(v, Gap::Space);
            self.ctx = s;
        }
    }
}

fn comment_gap(context: Gap, is_line: bool, blank_run: usize) -> Gap {
    if blank_run >= 2 {
        Gap::Blankline
    } else if is_line {
        Gap::Newline
    } else {
        context
    }
}

fn is_comment_prefix(ch: u8) -> bool {
    (b'!'..=b'~').contains(&ch) && !ch.is_ascii_alphanumeric()
}

fn visual_indent(line: &str) -> usize {
    let mut indent = 0;
    for b in line.bytes() {
        match b {
            b' ' => indent += 1,
            b'\t' => indent += 8 - indent % 8,
            _ => return indent,
        }
    }
    indent
}

fn unindent(line: &str, n: usize) -> Cow<'_, str> {
    let mut pos = 0;
    for (i, b) in line.bytes().enumerate() {
        if pos == n {
            return Cow::Borrowed(&line[i..]);
        }
        if pos > n {
            return Cow::Owned(format!("{}{}", " ".repeat(pos - n), &line[i..]));
        }
        match b {
            b' ' => pos += 1,
            b'\t' => pos += 8 - pos % 8,
            _ => return Cow::Borrowed(&line[i..]),
        }
    }
    Cow::Borrowed("")
}
