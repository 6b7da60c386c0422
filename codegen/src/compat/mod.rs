//! Compatibility of schema changes: two models in, findings out. compat never reads files.
//!
//! Proto changes are judged with buf's breaking-rule vocabulary ([`proto`]), Avro changes with
//! the Avro specification's schema resolution ([`avro`]). Every rule is one entry in [`RULES`].

pub mod avro;
pub mod check;
pub mod proto;
pub mod report;

use serde::Serialize;

use crate::span::Span;

/// buf's categories, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Category {
    File,
    Package,
    WireJson,
    Wire,
}

impl Category {
    pub fn parse(text: &str) -> Option<Category> {
        Some(match text {
            "FILE" => Category::File,
            "PACKAGE" => Category::Package,
            "WIRE_JSON" => Category::WireJson,
            "WIRE" => Category::Wire,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Category::File => "FILE",
            Category::Package => "PACKAGE",
            Category::WireJson => "WIRE_JSON",
            Category::Wire => "WIRE",
        }
    }
}

/// One compatibility rule: stable ID, the categories it belongs to, its purpose.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub categories: &'static [Category],
    pub purpose: &'static str,
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
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

use Category::{File as F, Package as P, Wire as W, WireJson as J};

const ALL: &[Category] = &[F, P, J, W];
const FILE_PACKAGE: &[Category] = &[F, P];
const FILE_PACKAGE_JSON: &[Category] = &[F, P, J];

const fn rule(id: &'static str, categories: &'static [Category], purpose: &'static str) -> Rule {
    Rule {
        id,
        categories,
        purpose,
    }
}

/// Every proto rule herald implements, with buf's IDs and categories (buf's v2 rule set).
pub const RULES: &[Rule] = &[
    rule("ENUM_NO_DELETE", &[F], "enums are not deleted from a given file"),
    rule("FILE_NO_DELETE", &[F], "files are not deleted"),
    rule("MESSAGE_NO_DELETE", &[F], "messages are not deleted from a given file"),
    rule("SERVICE_NO_DELETE", &[F], "services are not deleted from a given file"),
    rule(
        "ENUM_VALUE_NO_DELETE",
        FILE_PACKAGE,
        "enum values are not deleted from a given enum",
    ),
    rule(
        "FIELD_NO_DELETE",
        FILE_PACKAGE,
        "fields are not deleted from a given message",
    ),
    rule(
        "FIELD_SAME_CARDINALITY",
        FILE_PACKAGE,
        "fields have the same cardinalities in a given message",
    ),
    rule(
        "FIELD_SAME_TYPE",
        FILE_PACKAGE,
        "fields have the same types in a given message",
    ),
    rule(
        "FIELD_SAME_JSTYPE",
        FILE_PACKAGE,
        "fields have the same value for the jstype option",
    ),
    rule(
        "FIELD_SAME_CPP_STRING_TYPE",
        FILE_PACKAGE,
        "fields have the same C++ string type (ctype)",
    ),
    rule("FILE_SAME_SYNTAX", FILE_PACKAGE, "files have the same syntax"),
    rule(
        "FIELD_SAME_DEFAULT",
        FILE_PACKAGE_JSON,
        "fields have the same default value",
    ),
    rule(
        "FILE_SAME_JAVA_PACKAGE",
        FILE_PACKAGE,
        "files have the same java_package option",
    ),
    rule(
        "FILE_SAME_JAVA_OUTER_CLASSNAME",
        FILE_PACKAGE,
        "files have the same java_outer_classname option",
    ),
    rule(
        "FILE_SAME_OPTIMIZE_FOR",
        FILE_PACKAGE,
        "files have the same optimize_for option",
    ),
    rule(
        "FILE_SAME_JAVA_MULTIPLE_FILES",
        FILE_PACKAGE,
        "files have the same java_multiple_files option",
    ),
    rule(
        "FILE_SAME_GO_PACKAGE",
        FILE_PACKAGE,
        "files have the same go_package option",
    ),
    rule(
        "FILE_SAME_CC_GENERIC_SERVICES",
        FILE_PACKAGE,
        "files have the same cc_generic_services option",
    ),
    rule(
        "FILE_SAME_JAVA_GENERIC_SERVICES",
        FILE_PACKAGE,
        "files have the same java_generic_services option",
    ),
    rule(
        "FILE_SAME_PY_GENERIC_SERVICES",
        FILE_PACKAGE,
        "files have the same py_generic_services option",
    ),
    rule(
        "FILE_SAME_CC_ENABLE_ARENAS",
        FILE_PACKAGE,
        "files have the same cc_enable_arenas option",
    ),
    rule(
        "FILE_SAME_OBJC_CLASS_PREFIX",
        FILE_PACKAGE,
        "files have the same objc_class_prefix option",
    ),
    rule(
        "FILE_SAME_CSHARP_NAMESPACE",
        FILE_PACKAGE,
        "files have the same csharp_namespace option",
    ),
    rule(
        "FILE_SAME_SWIFT_PREFIX",
        FILE_PACKAGE,
        "files have the same swift_prefix option",
    ),
    rule(
        "FILE_SAME_PHP_CLASS_PREFIX",
        FILE_PACKAGE,
        "files have the same php_class_prefix option",
    ),
    rule(
        "FILE_SAME_PHP_NAMESPACE",
        FILE_PACKAGE,
        "files have the same php_namespace option",
    ),
    rule(
        "FILE_SAME_PHP_METADATA_NAMESPACE",
        FILE_PACKAGE,
        "files have the same php_metadata_namespace option",
    ),
    rule(
        "FILE_SAME_RUBY_PACKAGE",
        FILE_PACKAGE,
        "files have the same ruby_package option",
    ),
    rule(
        "ONEOF_NO_DELETE",
        FILE_PACKAGE,
        "oneofs are not deleted from a given message",
    ),
    rule(
        "RPC_NO_DELETE",
        FILE_PACKAGE,
        "rpcs are not deleted from a given service",
    ),
    rule(
        "ENUM_VALUE_SAME_NAME",
        FILE_PACKAGE_JSON,
        "enum values have the same name",
    ),
    rule(
        "FIELD_SAME_JSON_NAME",
        FILE_PACKAGE_JSON,
        "fields have the same value for the json_name option",
    ),
    rule(
        "FIELD_SAME_NAME",
        FILE_PACKAGE_JSON,
        "fields have the same names in a given message",
    ),
    rule(
        "FIELD_SAME_ONEOF",
        ALL,
        "fields have the same oneofs in a given message",
    ),
    rule("FILE_SAME_PACKAGE", ALL, "files have the same package"),
    rule(
        "MESSAGE_SAME_REQUIRED_FIELDS",
        ALL,
        "messages have no added or deleted required fields",
    ),
    rule(
        "RESERVED_ENUM_NO_DELETE",
        ALL,
        "reserved ranges and names are not deleted from a given enum",
    ),
    rule(
        "RESERVED_MESSAGE_NO_DELETE",
        ALL,
        "reserved ranges and names are not deleted from a given message",
    ),
    rule(
        "RPC_SAME_CLIENT_STREAMING",
        ALL,
        "rpcs have the same client streaming value",
    ),
    rule(
        "RPC_SAME_SERVER_STREAMING",
        ALL,
        "rpcs have the same server streaming value",
    ),
    rule("RPC_SAME_REQUEST_TYPE", ALL, "rpcs have the same request type"),
    rule("RPC_SAME_RESPONSE_TYPE", ALL, "rpcs have the same response type"),
    rule(
        "RPC_SAME_IDEMPOTENCY_LEVEL",
        ALL,
        "rpcs have the same idempotency_level option",
    ),
    rule(
        "PACKAGE_ENUM_NO_DELETE",
        &[P],
        "enums are not deleted from a given package",
    ),
    rule(
        "PACKAGE_MESSAGE_NO_DELETE",
        &[P],
        "messages are not deleted from a given package",
    ),
    rule("PACKAGE_NO_DELETE", &[P], "packages are not deleted"),
    rule(
        "PACKAGE_SERVICE_NO_DELETE",
        &[P],
        "services are not deleted from a given package",
    ),
    rule(
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        &[J],
        "enum values are not deleted unless the name is reserved",
    ),
    rule(
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        &[J],
        "fields are not deleted unless the name is reserved",
    ),
    rule(
        "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        &[J],
        "fields have wire and JSON compatible cardinalities",
    ),
    rule(
        "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        &[J],
        "fields have wire and JSON compatible types",
    ),
    rule(
        "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        &[J, W],
        "enum values are not deleted unless the number is reserved",
    ),
    rule(
        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        &[J, W],
        "fields are not deleted unless the number is reserved",
    ),
    rule(
        "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        &[W],
        "fields have wire-compatible cardinalities",
    ),
    rule("FIELD_WIRE_COMPATIBLE_TYPE", &[W], "fields have wire-compatible types"),
];

/// buf's deprecated rule IDs and the rules that replace them (accepted wherever IDs are).
pub const DEPRECATED: &[(&str, &[&str])] = &[
    ("FIELD_SAME_CTYPE", &["FIELD_SAME_CPP_STRING_TYPE"]),
    (
        "FIELD_SAME_LABEL",
        &[
            "FIELD_SAME_CARDINALITY",
            "FIELD_WIRE_COMPATIBLE_CARDINALITY",
            "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        ],
    ),
];

/// The rule IDs a rule ID written by a user stands for: itself, or a deprecated buf ID's
/// replacements. An unknown ID is `Err` with a help line ("did you mean ...").
pub fn expand_rule(id: &str) -> Result<Vec<&'static str>, String> {
    if let Some((_, replacements)) = DEPRECATED.iter().find(|(old, _)| *old == id) {
        return Ok(replacements.to_vec());
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

/// One row of `herald rules`: every compatibility rule herald reports, whatever the format.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: &'static str,
    /// `proto`, `avro` or `event`.
    pub format: &'static str,
    /// buf categories for proto rules; empty otherwise.
    pub categories: Vec<&'static str>,
    pub purpose: &'static str,
}

/// The one table of compatibility rules: proto (buf's IDs), Avro (schema resolution) and event.
pub fn all_rules() -> Vec<RuleRow> {
    let proto = RULES.iter().map(|r| RuleRow {
        id: r.id,
        format: "proto",
        categories: r.categories.iter().map(|c| c.name()).collect(),
        purpose: r.purpose,
    });
    let avro = avro::RULES.iter().map(|(id, purpose)| RuleRow {
        id,
        format: "avro",
        categories: Vec::new(),
        purpose,
    });
    let event = check::EVENT_RULES.iter().map(|(id, purpose)| RuleRow {
        id,
        format: "event",
        categories: Vec::new(),
        purpose,
    });
    proto.chain(avro).chain(event).collect()
}
