//! `.proto` formatting, byte for byte as `buf format` (buf 1.75) lays a file out.
//!
//! buf 1.75 formats with protocompile's printer (`experimental/ast/printer`, "legacy" settings);
//! this module ports its rules, checked against buf's own formatter suite (vendored in
//! `tests/data/buf-format`, run by `tests/fmt_buf.rs`). Four steps, each over byte offsets into
//! the input, without copying tokens:
//!
//! - [`lex`]: a lossless lexer. Every byte is in a token: horizontal whitespace runs and each
//!   `\n` are separate tokens, comments are tokens (a line comment stops before its `\n`), as in
//!   protocompile's lexer. Brackets are paired, adjacent string literals fused (compound strings).
//! - [`parse`]: a syntax tree shaped like protocompile's (declarations, types, option values),
//!   holding token indices. Input that does not parse is a [`SyntaxError`] at the offending token.
//! - [`trivia`]: which comments belong to which token, as protocompile's printer attributes them.
//!   Per bracket level and per declaration: a comment on the line of a token *trails* it; the
//!   comments and whitespace before a token down to the last blank line *lead* it; what lies
//!   before that blank line is *detached* and kept in the level's slot for that declaration
//!   (printed before it, blank lines preserved); comments before a closing bracket stay there.
//! - [`print`] builds a layout document ([`dom`]) from the tree, pulling each token's comments in
//!   as it prints the token, and renders it: file declarations sorted (syntax, package, imports,
//!   options by name, the rest in order), two-space indentation, blank lines between
//!   declarations kept (at most one), compact options `[…]` on one line only when there is one,
//!   message literals broken one field per line when they have two or more fields, commas
//!   dropped and colons added in them, trailing `//` comments turned into `/* */` where code
//!   follows on the same line, multi-line block comments re-indented.

mod dom;
mod lex;
mod parse;
mod print;
mod trivia;

use super::SyntaxError;

/// The formatted text of a `.proto` file.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    let toks = lex::lex(text)?;
    let mut parser = parse::Parser::new(text, toks);
    let decls = parser.parse_file()?;
    let toks = parser.toks;
    let index = trivia::build(text, &toks);
    Ok(print::Printer::new(&index).print_file(&decls))
}
