//! The layout document buf's printer builds (protocompile `experimental/dom`), reduced to what
//! buf's settings use: unlimited width, so a group breaks exactly when it holds a hard newline.
//! Spaces and newlines are not written when pushed but merged (the widest run wins) and written
//! before the next text, with the indentation current at that text.

use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Always,
    Flat,
    Broken,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Text,
    Space,
    Break,
    Group,
    Indent,
}

struct Tag<'a> {
    kind: TagKind,
    cond: Cond,
    text: Cow<'a, str>,
    children: u32,
    broken: bool,
}

#[derive(Default)]
pub struct Dom<'a> {
    tags: Vec<Tag<'a>>,
}

impl<'a> Dom<'a> {
    pub fn text_if(&mut self, cond: Cond, text: impl Into<Cow<'a, str>>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        let kind = if text.bytes().all(|b| b == b' ') {
            TagKind::Space
        } else if text.bytes().all(|b| b == b'\n') {
            TagKind::Break
        } else {
            TagKind::Text
        };
        self.tags.push(Tag {
            kind,
            cond,
            text,
            children: 0,
            broken: false,
        });
    }

    pub fn text(&mut self, text: impl Into<Cow<'a, str>>) {
        self.text_if(Cond::Always, text);
    }

    /// Opens a group (or an indentation); close it with [`Dom::close`].
    pub fn open_group(&mut self) -> usize {
        self.open(TagKind::Group)
    }

    pub fn open_indent(&mut self) -> usize {
        self.open(TagKind::Indent)
    }

    fn open(&mut self, kind: TagKind) -> usize {
        self.tags.push(Tag {
            kind,
            cond: Cond::Always,
            text: Cow::Borrowed(""),
            children: 0,
            broken: false,
        });
        self.tags.len() - 1
    }

    pub fn close(&mut self, at: usize) {
        self.tags[at].children = (self.tags.len() - at - 1) as u32;
    }

    fn renders_if(&self, i: usize, cond: Cond) -> bool {
        let c = self.tags[i].cond;
        c == Cond::Always || c == cond
    }

    /// Whether each group is broken: it holds a newline among what it renders when flat.
    fn layout_flat(&mut self, start: usize, end: usize, prev: &mut Option<usize>) -> bool {
        let mut broken = false;
        let mut i = start;
        while i < end {
            let next = i + 1 + self.tags[i].children as usize;
            let kind = self.tags[i].kind;
            if matches!(kind, TagKind::Text | TagKind::Space | TagKind::Break) {
                if let Some(p) = *prev {
                    let (keep_prev, keep_next) = should_merge(&self.tags[p], &self.tags[i]);
                    if !keep_prev {
                        *prev = None;
                    } else if !keep_next {
                        i = next;
                        continue;
                    }
                }
                self.tags[i].broken = self.tags[i].text.contains('\n');
                if self.renders_if(i, Cond::Flat) {
                    *prev = Some(i);
                }
            }
            let br = self.layout_flat(i + 1, next, prev);
            self.tags[i].broken |= br;
            if self.renders_if(i, Cond::Flat) {
                broken |= self.tags[i].broken;
            }
            i = next;
        }
        broken
    }

    pub fn render(mut self) -> String {
        let n = self.tags.len();
        self.layout_flat(0, n, &mut None);
        let mut p = Printer {
            out: String::new(),
            spaces: 0,
            newlines: 0,
            indent: String::new(),
        };
        self.print(&mut p, Cond::Broken, 0, n);
        if !p.out.ends_with('\n') {
            p.out.push('\n');
        }
        p.out
    }

    fn print(&self, p: &mut Printer, cond: Cond, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            let tag = &self.tags[i];
            let next = i + 1 + tag.children as usize;
            if self.renders_if(i, cond) {
                match tag.kind {
                    TagKind::Text => p.write(&tag.text),
                    TagKind::Space => p.spaces = p.spaces.max(tag.text.len()),
                    TagKind::Break => p.newlines = p.newlines.max(tag.text.len()),
                    TagKind::Group => {
                        let c = if tag.broken { Cond::Broken } else { Cond::Flat };
                        self.print(p, c, i + 1, next);
                    }
                    TagKind::Indent => {
                        let len = p.indent.len();
                        p.indent.push_str("  ");
                        self.print(p, cond, i + 1, next);
                        p.indent.truncate(len);
                    }
                }
            }
            i = next;
        }
    }
}

fn should_merge(a: &Tag, b: &Tag) -> (bool, bool) {
    match (a.kind, b.kind) {
        (TagKind::Space, TagKind::Break) => (false, true),
        (TagKind::Break, TagKind::Space) => (true, false),
        (TagKind::Space, TagKind::Space) | (TagKind::Break, TagKind::Break) => {
            let b_wider = a.text.len() < b.text.len();
            (!b_wider, b_wider)
        }
        _ => (true, true),
    }
}

struct Printer {
    out: String,
    spaces: usize,
    newlines: usize,
    indent: String,
}

impl Printer {
    fn write(&mut self, data: &str) {
        if self.newlines > 0 {
            for _ in 0..self.newlines {
                self.out.push('\n');
            }
            self.newlines = 0;
            self.spaces = 0;
            self.out.push_str(&self.indent);
        }
        for _ in 0..self.spaces {
            self.out.push(' ');
        }
        self.spaces = 0;
        self.out.push_str(data);
    }
}
