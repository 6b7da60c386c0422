//! Which comments belong to which token: a port of the trivia index of buf's printer
//! (protocompile `experimental/ast/printer/trivia.go`). Walking each bracket level declaration by
//! declaration, every significant token gets its *leading* trivia (the whitespace and comments
//! before it, down to the last blank line) and possibly *trailing* trivia (comments on the same
//! line after it); what lies before a blank line is *detached*: it goes into the level's slots,
//! one per declaration plus one before the closing bracket.

use super::lex::{Kind, Token, NONE};

/// A run of trivia tokens, `start..end` (token indices).
pub type Run = (u32, u32);

const EMPTY: Run = (0, 0);

#[derive(Clone, Copy, Default)]
pub struct Attached {
    pub leading: Run,
    pub trailing: Run,
}

#[derive(Default, Clone)]
pub struct Detached {
    pub slots: Vec<Run>,
    pub blank_before: Vec<bool>,
    pub blank_before_close: bool,
}

impl Detached {
    pub fn has_blank_before(&self, i: usize) -> bool {
        self.blank_before.get(i).copied().unwrap_or(false)
    }
}

pub struct Index<'a> {
    pub text: &'a str,
    pub toks: &'a [Token],
    pub attached: Vec<Attached>,
    /// Per scope: the file (key `NONE`) and each fused token's open index.
    pub detached: std::collections::HashMap<u32, Detached>,
    /// The `[` of compact options, sorted.
    compact: &'a [u32],
}

/// A cursor over one level: `pos` is the next token to return.
struct Cursor {
    pos: u32,
    start: u32,
    end: u32,
}

impl Index<'_> {
    fn text_of(&self, t: u32) -> &str {
        let t = self.toks[t as usize];
        &self.text[t.start as usize..t.end as usize]
    }
    fn is_open(&self, t: u32) -> bool {
        let p = self.toks[t as usize].partner;
        p != NONE && p > t
    }
    fn is_close(&self, t: u32) -> bool {
        let p = self.toks[t as usize].partner;
        p != NONE && p < t
    }
    fn next(&self, c: &mut Cursor) -> Option<u32> {
        if c.pos >= c.end {
            return None;
        }
        let t = c.pos;
        c.pos = if self.is_open(t) {
            self.toks[t as usize].partner + 1
        } else {
            t + 1
        };
        Some(t)
    }
    fn prev(&self, c: &mut Cursor) {
        if c.pos <= c.start {
            return;
        }
        let t = c.pos - 1;
        c.pos = if self.is_close(t) {
            self.toks[t as usize].partner
        } else {
            t
        };
    }
    fn skippable(&self, t: u32) -> bool {
        self.toks[t as usize].skippable()
    }
    pub fn is_comment(&self, t: u32) -> bool {
        self.toks[t as usize].kind == Kind::Comment
    }
    pub fn is_newline(&self, t: u32) -> bool {
        self.toks[t as usize].kind == Kind::Newline
    }
    pub fn run_has_comment(&self, r: Run) -> bool {
        (r.0..r.1).any(|t| self.is_comment(t))
    }
    fn first_newline(&self, r: Run) -> u32 {
        (r.0..r.1).find(|&t| self.is_newline(t)).unwrap_or(r.1)
    }
    fn punct(&self, t: u32, p: &str) -> bool {
        self.toks[t as usize].kind == Kind::Punct && self.text_of(t) == p
    }

    /// Splits a run at its last blank line: (detached, attached).
    pub fn split_detached(&self, r: Run) -> (Run, Run) {
        let mut last_blank_end: Option<u32> = None;
        let mut i = r.1;
        while i > r.0 {
            i -= 1;
            let tok = self.toks[i as usize];
            if !matches!(tok.kind, Kind::Space | Kind::Newline) {
                last_blank_end = None;
            } else if tok.kind == Kind::Newline {
                if last_blank_end.is_some() {
                    break;
                }
                last_blank_end = Some(i);
            }
        }
        match last_blank_end {
            None => ((r.0, r.0), r),
            Some(e) => ((r.0, e), (e, r.1)),
        }
    }

    pub fn scope(&self, id: u32) -> Option<&Detached> {
        self.detached.get(&id)
    }

    fn set_trailing(&mut self, t: u32, r: Run) {
        self.attached[t as usize].trailing = r;
    }

    fn walk_scope(&mut self, c: &mut Cursor, scope: u32, literal: bool) {
        let mut pending: Run = (c.pos, c.pos);
        let mut trivia = Detached::default();
        let mut had_blank = false;
        while let Some(tok) = self.next(c) {
            if self.skippable(tok) {
                pending.1 = tok + 1;
                continue;
            }
            // A comment on the line of an opening bracket trails it (not for `(`: there buf 1.75
            // leads the first token with it).
            if trivia.slots.is_empty() && scope != NONE && !self.punct(scope, "(") {
                let nl = self.first_newline(pending);
                if nl < pending.1 && self.run_has_comment((pending.0, nl)) {
                    self.set_trailing(scope, (pending.0, nl));
                    pending.0 = nl;
                }
            }
            let (detached, attached) = self.split_detached(pending);
            trivia.slots.push(detached);
            let mut blank = had_blank;
            if trivia.blank_before.is_empty() && !blank && self.run_has_comment(detached) {
                blank = true;
            }
            trivia.blank_before.push(blank);
            self.attached[tok as usize] = Attached {
                leading: attached,
                trailing: EMPTY,
            };
            had_blank = self.walk_decl(c, tok, literal);
            pending = (c.pos, c.pos);
        }
        trivia.slots.push(pending);
        if !had_blank && scope != NONE && pending.0 < pending.1 {
            let (detached, attached) = self.split_detached(pending);
            had_blank = self.run_has_comment(detached) && self.run_has_comment(attached);
        }
        trivia.blank_before_close = had_blank;
        self.detached.insert(scope, trivia);
    }

    fn walk_fused(&mut self, open: u32, saw_assign: bool) -> u32 {
        let close = self.toks[open as usize].partner;
        let literal = match self.text_of(open) {
            "[" => true,
            "{" | "<" => saw_assign,
            _ => false,
        } && self.toks[open as usize].kind == Kind::Punct;
        let mut c = Cursor {
            pos: open + 1,
            start: open + 1,
            end: close,
        };
        self.walk_scope(&mut c, open, literal);
        if let Some(trivia) = self.detached.get_mut(&open) {
            if let Some(last) = trivia.slots.last().copied() {
                let (detached, attached) = split_detached_in(self.toks, last);
                if let Some(slot) = trivia.slots.last_mut() {
                    *slot = detached;
                }
                self.attached[close as usize] = Attached {
                    leading: attached,
                    trailing: EMPTY,
                };
            }
        }
        close
    }

    /// One declaration from `start`: attaches trivia between its tokens, then decides how much
    /// of what follows it trails it (same-line comments) and whether a blank line separates it
    /// from the next. Long because it is a line-for-line port of protocompile's `walkDecl`, whose
    /// cases are all needed to reproduce buf's attribution.
    fn walk_decl(&mut self, c: &mut Cursor, start: u32, literal: bool) -> bool {
        let mut end_token = start;
        let mut pending: Run = (c.pos, c.pos);
        let mut saw_assign = false;
        let mut tok = Some(start);
        while let Some(t) = tok {
            if t != start && self.skippable(t) {
                if pending.0 == pending.1 {
                    pending = (t, t + 1);
                } else {
                    pending.1 = t + 1;
                }
                tok = self.next(c);
                continue;
            }
            if t != start {
                let mut leading = pending;
                let nl = self.first_newline(leading);
                if self.run_has_comment((leading.0, nl)) && nl < leading.1 {
                    self.set_trailing(end_token, (leading.0, nl));
                    leading.0 = nl;
                }
                self.attached[t as usize] = Attached {
                    leading,
                    trailing: EMPTY,
                };
                pending = (c.pos, c.pos);
            }
            if self.punct(t, "=") {
                saw_assign = true;
            }
            end_token = t;
            if self.is_open(t) {
                end_token = self.walk_fused(t, saw_assign);
            }
            let mut at_boundary = self.punct(t, ";");
            // In a list, elements end at commas only: a message element `{…},` is one
            // declaration with its comma (buf 1.75 attributes so; its blank lines line up).
            if self.punct(t, "{") && self.is_open(t) && !(literal && self.in_list(c)) {
                at_boundary = !saw_assign || !self.next_is_semi(c);
            }
            if literal && self.punct(t, ",") {
                at_boundary = true;
            }
            if at_boundary {
                break;
            }
            tok = self.next(c);
            if tok.is_none() {
                break;
            }
        }
        let mut after_newline = false;
        let mut at_end = true;
        let mut has_blank = false;
        let mut trailing: Run = (c.pos, c.pos);
        while let Some(t) = self.next(c) {
            let is_newline = self.is_newline(t);
            let is_space = self.toks[t as usize].kind == Kind::Space;
            let is_comment = self.is_comment(t);
            if !after_newline && !is_newline && !is_space && !is_comment {
                self.prev(c);
                at_end = false;
                if literal && !self.in_compact(c) {
                    // In a message literal or list, comments between a comma and the next
                    // element on the same line lead that element (buf 1.75).
                    for _ in trailing.0..trailing.1 {
                        self.prev(c);
                    }
                    trailing.1 = trailing.0;
                }
                break;
            }
            if after_newline && !is_newline && !is_space {
                let nl = self.first_newline(trailing);
                let rest = (nl, trailing.1);
                let (detached, attached) = self.split_detached(rest);
                has_blank = detached.0 < detached.1;
                self.prev(c);
                for _ in attached.0..attached.1 {
                    self.prev(c);
                }
                trailing = (trailing.0, nl + (detached.1 - detached.0));
                at_end = false;
                break;
            }
            after_newline = after_newline || is_newline;
            trailing.1 = t + 1;
        }
        if at_end && pending.0 < pending.1 && trailing.0 == trailing.1 {
            let nl = self.first_newline(pending);
            if self.run_has_comment((pending.0, nl)) {
                trailing = (pending.0, nl);
            }
            let rest = (nl, pending.1);
            if self.run_has_comment(rest) {
                let (_, attached_rest) = self.split_detached(rest);
                has_blank = rest.1 - rest.0 > attached_rest.1 - attached_rest.0;
                for _ in rest.0..rest.1 {
                    self.prev(c);
                }
            }
        }
        if at_end && !after_newline && trailing.0 < trailing.1 && self.punct(end_token, ";") {
            let has_block = (trailing.0..trailing.1).any(|t| self.is_comment(t) && self.text_of(t).starts_with("/*"));
            if has_block {
                for _ in trailing.0..trailing.1 {
                    self.prev(c);
                }
                trailing = (trailing.0, trailing.0);
            }
        }
        if at_end && after_newline {
            let nl = self.first_newline(trailing);
            for _ in nl..trailing.1 {
                self.prev(c);
            }
            trailing.1 = nl;
        }
        if trailing.0 < trailing.1 {
            self.set_trailing(end_token, trailing);
        }
        has_blank
    }

    /// Whether the cursor walks the inside of compact options.
    fn in_compact(&self, c: &Cursor) -> bool {
        c.start > 0 && self.compact.binary_search(&(c.start - 1)).is_ok()
    }

    /// Whether the cursor walks the inside of `[…]`.
    fn in_list(&self, c: &Cursor) -> bool {
        c.start > 0 && self.punct(c.start - 1, "[")
    }

    fn next_is_semi(&self, c: &Cursor) -> bool {
        let mut c2 = Cursor {
            pos: c.pos,
            start: c.start,
            end: c.end,
        };
        while let Some(t) = self.next(&mut c2) {
            if !self.skippable(t) {
                return self.punct(t, ";");
            }
        }
        false
    }
}

fn split_detached_in(toks: &[Token], r: Run) -> (Run, Run) {
    let mut last_blank_end: Option<u32> = None;
    let mut i = r.1;
    while i > r.0 {
        i -= 1;
        let tok = toks[i as usize];
        if !matches!(tok.kind, Kind::Space | Kind::Newline) {
            last_blank_end = None;
        } else if tok.kind == Kind::Newline {
            if last_blank_end.is_some() {
                break;
            }
            last_blank_end = Some(i);
        }
    }
    match last_blank_end {
        None => ((r.0, r.0), r),
        Some(e) => ((r.0, e), (e, r.1)),
    }
}

/// Builds the index for a lexed (and parsed: angle brackets paired) file.
pub fn build<'a>(text: &'a str, toks: &'a [Token], compact: &'a [u32]) -> Index<'a> {
    let mut idx = Index {
        text,
        toks,
        compact,
        attached: vec![Attached::default(); toks.len()],
        detached: std::collections::HashMap::new(),
    };
    let mut c = Cursor {
        pos: 0,
        start: 0,
        end: toks.len() as u32,
    };
    idx.walk_scope(&mut c, NONE, false);
    idx
}
