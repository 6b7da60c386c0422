//! Compatibility of schema changes: two models in, findings out. compat never reads files.
//!
//! Proto changes are judged with buf's breaking-rule vocabulary ([`proto`]), Avro changes with
//! the Avro specification's schema resolution ([`avro`]). Every rule is registered in
//! [`crate::rules`]; [`RULES`] is its proto section.

pub mod avro;
pub mod check;
pub mod proto;

use crate::span::Span;

pub use crate::rules::{expand_rule, Category, Rule, DEPRECATED, PROTO_RULES as RULES};

/// One breaking change.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The registered rule it breaks.
    pub rule: &'static Rule,
    pub message: String,
    /// Where in the new schema (or, for a deletion, the element that lost something).
    pub span: Option<Span>,
    /// Where it was in the baseline.
    pub old_span: Option<Span>,
    /// The type (message, record, enum) concerned, if any.
    pub type_name: Option<String>,
    /// A one-line hint of the compatible alternative.
    pub hint: &'static str,
}

/// The rule IDs in any of `categories`.
pub fn rules_in(categories: &[Category]) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| r.categories.iter().any(|c| categories.contains(c)))
        .map(|r| r.id)
        .collect()
}

/// The one table of compatibility rules `herald rules` prints: proto (buf's IDs), Avro (schema
/// resolution) and event, from the registry.
pub fn all_rules() -> Vec<&'static Rule> {
    crate::rules::check_rules().collect()
}
