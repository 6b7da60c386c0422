//! Schema comments → doc comments that are safe: they cannot break the build, inject code, or
//! become doctests.
//!
//! Text is emitted as `#[doc = "..."]` string literals (quote escapes them), so `*/`, quotes and
//! `#[` are inert. Fenced code blocks are re-tagged `text` and left open fences closed, indented
//! lines lose the indentation that would make them code blocks, and outside code `[`, `]`, `<` and
//! `>` are escaped so that rustdoc sees neither links nor HTML.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Doc;

/// The doc lines for a schema comment, sanitized.
pub fn lines(doc: &Doc) -> Vec<String> {
    let mut text = String::new();
    for part in [&doc.leading, &doc.trailing].into_iter().flatten() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(part);
    }
    sanitize(&text, true)
}

/// Sanitizes comment text for rustdoc: angle brackets are always escaped outside code (no HTML
/// reaches the docs); `escape_brackets` also escapes `[`/`]` (prost-build does that itself for
/// the text herald hands it).
pub fn sanitize(text: &str, escape_brackets: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (&fence, marker) {
            (None, Some(m)) => {
                let run: String = trimmed.chars().take_while(|c| m.starts_with(*c)).collect();
                out.push(format!("{run}text"));
                fence = Some(run);
                continue;
            }
            (Some(open), Some(_))
                if trimmed.starts_with(open.as_str())
                    && trimmed
                        .trim_start_matches(open.chars().next().unwrap_or('`'))
                        .trim()
                        .is_empty() =>
            {
                out.push(open.clone());
                fence = None;
                continue;
            }
            _ => {}
        }
        if fence.is_some() {
            out.push(line.to_owned());
            continue;
        }
        // Four spaces or a tab would start an indented code block (a doctest).
        let line = if line.starts_with("    ") || line.starts_with('\t') {
            trimmed
        } else {
            line
        };
        out.push(escape(line, escape_brackets));
    }
    if let Some(open) = fence {
        out.push(open);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    while out.first().is_some_and(|l| l.is_empty()) {
        out.remove(0);
    }
    out
}

fn escape(line: &str, brackets: bool) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '[' if brackets => out.push_str("\\["),
            ']' if brackets => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `#[doc = " line"]` attributes for a schema comment (nothing when there is none).
pub fn attrs(doc: &Doc) -> TokenStream {
    let lines = lines(doc);
    text_attrs(&lines)
}

/// `#[doc]` attributes for lines herald wrote itself (already safe).
pub fn text_attrs(lines: &[String]) -> TokenStream {
    let lines = lines
        .iter()
        .map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote! { #( #[doc = #lines] )* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_become_text_and_markup_is_escaped() {
        let text = "Intro <b>bold</b> [link].\n```rust\nfn main() {}\n```\n    indented();\n```\nnever closed";
        assert_eq!(
            sanitize(text, true),
            [
                "Intro &lt;b&gt;bold&lt;/b&gt; \\[link\\].",
                "```text",
                "fn main() {}",
                "```",
                "indented();",
                "```text",
                "never closed",
                "```",
            ]
        );
    }
}
