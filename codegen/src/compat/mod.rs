//! Compatibility of schema changes: two models in, findings out. compat never reads files.
//!
//! Proto changes are judged with buf's breaking-rule vocabulary ([`proto`]), Avro changes with
//! the Avro specification's schema resolution ([`avro`]). Every rule is registered in
//! [`crate::rules`]; [`RULES`] is its proto section.

pub mod avro;
pub mod check;
pub mod proto;

use crate::span::Span;

pub use crate::rules::{Category, Rule, PROTO_RULES as RULES};

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

/// buf's deprecated rule IDs and the rules that replace them (accepted wherever IDs are).
pub const DEPRECATED: &[(&str, &[&Rule])] = &[
    ("FIELD_SAME_CTYPE", &[crate::rules::FIELD_SAME_CPP_STRING_TYPE]),
    (
        "FIELD_SAME_LABEL",
        &[
            crate::rules::FIELD_SAME_CARDINALITY,
            crate::rules::FIELD_WIRE_COMPATIBLE_CARDINALITY,
            crate::rules::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY,
        ],
    ),
];

/// The rule IDs a rule ID written by a user stands for: itself, or a deprecated buf ID's
/// replacements. An unknown ID is `Err` with a help line ("did you mean ...").
pub fn expand_rule(id: &str) -> Result<Vec<&'static str>, String> {
    if let Some((_, replacements)) = DEPRECATED.iter().find(|(old, _)| *old == id) {
        return Ok(replacements.iter().map(|r| r.id).collect());
    }
    let rules = all_rules();
    if let Some(r) = rules.iter().find(|r| r.id == id) {
        return Ok(vec![r.id]);
    }
    let candidates = rules.iter().map(|r| r.id).chain(DEPRECATED.iter().map(|(old, _)| *old));
    Err(
        match crate::suggest::did_you_mean(&id.to_ascii_uppercase(), candidates) {
            Some(hint) => format!("{hint} (`herald rules` lists every rule)"),
            None => "`herald rules` lists every rule".to_owned(),
        },
    )
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
