//! Naming and escaping for everything herald generates: one place, used by every generator.
//!
//! Case conversion is heck's ([`crate::naming`]), as prost-build's is, so that herald computes
//! the same field and type names prost-build generates. Keywords become raw identifiers; the few that cannot be raw
//! (`self`, `super`, `crate`, `Self`, `extern`, `_`) get a trailing underscore.

use crate::naming::{snake_case, upper_camel_case};
use proc_macro2::{Ident, Span};

const RAW_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "false", "fn", "for", "if", "impl", "in", "let", "loop",
    "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
    "use", "where", "while", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield", "async", "await", "try", "gen",
];

/// The identifier text for `name`: `r#type`, `self_`, `_1abc`, or `name` itself.
pub fn sanitize(name: &str) -> String {
    match name {
        n if RAW_KEYWORDS.contains(&n) => format!("r#{n}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{name}_"),
        n if n.starts_with(|c: char| c.is_ascii_digit()) => format!("_{n}"),
        "" => "_".to_owned(),
        n => n.to_owned(),
    }
}

/// `userId` → `user_id` (escaped), as prost-build names fields.
pub fn snake(name: &str) -> String {
    sanitize(&snake_case(name))
}

/// `user_updated` → `UserUpdated` (escaped), as prost-build names types.
pub fn upper_camel(name: &str) -> String {
    sanitize(&upper_camel_case(name))
}

/// A `proc_macro2::Ident` for already-sanitized text (raw when it starts with `r#`).
pub fn ident(text: &str) -> Ident {
    match text.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(text, Span::call_site()),
    }
}

/// Module name for a source or a namespace component: `user-service` → `user_service`.
pub fn module(name: &str) -> String {
    snake(&name.replace(['-', '.'], "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keywords_and_odd_names() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("match"), "r#match");
        assert_eq!(snake("async"), "r#async");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("super"), "super_");
        assert_eq!(snake("crate"), "crate_");
        assert_eq!(upper_camel("Self"), "Self_");
        assert_eq!(snake("userId"), "user_id");
        assert_eq!(upper_camel("user_updated"), "UserUpdated");
        assert_eq!(snake("1st"), "_1st");
        assert_eq!(module("user-service"), "user_service");
        assert_eq!(ident("r#type").to_string(), "r#type");
    }
}
