//! The one registry of every rule herald reports: lint, load, config, the proto front end's model
//! checks, compatibility (proto, Avro, event), code generation, herald.lock and topics.
//!
//! Each rule is a constant (`rules::FIELD_SAME_NAME`, a `&'static Rule`) declared once in
//! `registry!` below, which also collects every constant into [`ALL`] and spells the ID as the
//! constant's name. A [`Diagnostic`](crate::diagnostic::Diagnostic) or a compatibility finding
//! holds a `&'static Rule`, and a `Rule` can only be built in this module (a private field), so
//! *every reported rule is registered, by construction*: reporting an unregistered rule does not
//! compile. The registry is in sections ([`LINT_RULES`], [`PROTO_RULES`], ...); the lists
//! `herald lint --rules` and `herald rules` print, and the rule tables of lint and compat, are
//! these sections.

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    /// `error` or `warning`, as the renderings spell it.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

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

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// The input cannot be loaded as written; cannot be disabled.
    Load,
    Config,
    Event,
    Style,
    /// A change between a baseline and the new schemas (`herald check`).
    Compat,
    /// Code generation could not produce the code asked for.
    Codegen,
    /// herald.lock.
    Lock,
    /// Topic declarations (`herald topics`).
    Topics,
}

/// The input a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Proto,
    Avro,
    Event,
    Config,
    Any,
}

impl Format {
    /// `proto`, `avro`, `event`, `config` or `any`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Proto => "proto",
            Format::Avro => "avro",
            Format::Event => "event",
            Format::Config => "config",
            Format::Any => "any",
        }
    }
}

/// Proof that a [`Rule`] was built in this module, so in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Registered;

/// One rule: stable ID, the input it is about, buf's categories (proto compatibility rules only),
/// group, purpose, default severity and whether `[lint] disable` can turn it off.
///
/// Not `Clone`: the only `Rule`s are the registry's, reached through `&'static Rule`.
///
/// A rule ID written as a string is not a rule, so it cannot be reported:
///
/// ```compile_fail
/// let _ = herald_codegen::Diagnostic::error("SOME_RULE", "message");
/// ```
///
/// and a `Rule` cannot be made outside this module (nor copied from a registered one):
///
/// ```compile_fail
/// use herald_codegen::rules::*;
/// static MINE: Rule = Rule {
///     id: "MINE",
///     format: Format::Any,
///     categories: &[],
///     group: Group::Style,
///     purpose: "",
///     severity: Severity::Warning,
///     can_disable: true,
/// };
/// ```
///
/// ```compile_fail
/// let mut copy = *herald_codegen::rules::FIELD_SAME_NAME;
/// copy.id = "MINE";
/// ```
///
/// while a registered one can:
///
/// ```
/// let d = herald_codegen::Diagnostic::error(herald_codegen::rules::FIELD_SAME_NAME, "message");
/// assert_eq!(d.rule.id, "FIELD_SAME_NAME");
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub id: &'static str,
    pub format: Format,
    pub categories: &'static [Category],
    pub group: Group,
    pub purpose: &'static str,
    /// The severity it is reported with unless the report site or a mode decides otherwise.
    pub severity: Severity,
    /// `false` for errors about input herald cannot load or generate from.
    pub can_disable: bool,
    registered: Registered,
}

impl Rule {
    /// The registered rule with this ID.
    pub fn find(id: &str) -> Option<&'static Rule> {
        ALL.iter().copied().find(|r| r.id == id)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.id == other
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.id == *other
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id)
    }
}

use Category::{File as F, Package as P, Wire as W, WireJson as J};

const fn new(
    id: &'static str,
    format: Format,
    categories: &'static [Category],
    group: Group,
    purpose: &'static str,
) -> Rule {
    let load = matches!(group, Group::Load | Group::Codegen | Group::Lock);
    Rule {
        id,
        format,
        categories,
        group,
        purpose,
        severity: match group {
            Group::Style | Group::Config => Severity::Warning,
            _ => Severity::Error,
        },
        can_disable: !load,
        registered: Registered,
    }
}

const fn lint(id: &'static str, format: Format, group: Group, purpose: &'static str) -> Rule {
    new(id, format, &[], group, purpose)
}

const fn model(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Proto, &[], Group::Load, purpose)
}

const fn proto(id: &'static str, categories: &'static [Category], purpose: &'static str) -> Rule {
    new(id, Format::Proto, categories, Group::Compat, purpose)
}

const fn proto_off(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Proto, &[], Group::Compat, purpose)
}

const fn avro(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Avro, &[], Group::Compat, purpose)
}

const fn event(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Event, &[], Group::Compat, purpose)
}

const fn codegen(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Any, &[], Group::Codegen, purpose)
}

const fn lock(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Any, &[], Group::Lock, purpose)
}

const fn topics(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Config, &[], Group::Topics, purpose)
}

const fn fmt(id: &'static str, purpose: &'static str) -> Rule {
    new(id, Format::Any, &[], Group::Load, purpose)
}

/// Declares each rule as a `pub const NAME: &Rule` whose ID is `"NAME"`, each section as a
/// `pub static SECTION: &[&Rule]` of its rules, and [`ALL`], every rule in declaration order.
macro_rules! registry {
    ($($(#[$doc:meta])* $section:ident { $($name:ident = $make:ident($($arg:expr),* $(,)?);)* })*) => {
        $(
            $(pub const $name: &Rule = &$make(stringify!($name), $($arg),*);)*
            $(#[$doc])*
            pub static $section: &[&Rule] = &[$($name),*];
        )*
        /// Every rule herald reports.
        pub static ALL: &[&Rule] = &[$($($name),*),*];
    };
}

registry! {
    /// `herald lint`: load, config, event metadata and style rules, in `herald lint --rules` order
    /// (the IDs `[lint] disable` accepts).
    LINT_RULES {
        INPUT_MISSING = lint(Format::Any, Group::Load, "the path given does not exist or cannot be read");
        FILE_UNREADABLE = lint(Format::Any, Group::Load, "a file or directory cannot be read, or a symlink loops");
        FILE_TOO_LARGE = lint(Format::Any, Group::Load, "a schema file is larger than herald reads");
        FILE_NOT_UTF8 = lint(Format::Any, Group::Load, "a schema file is not UTF-8 text");
        PROTO_SYNTAX = lint(Format::Proto, Group::Load, "a .proto file does not parse");
        PROTO_IMPORT_UNRESOLVED = lint(Format::Proto, Group::Load, "an import names no file under the repo root");
        PROTO_IMPORT_CYCLE = lint(Format::Proto, Group::Load, "files import each other, or a file imports itself");
        PROTO_IMPORT_BROKEN = lint(Format::Proto, Group::Load, "a file is not checked because a file it imports has errors");
        PROTO_TYPE_UNRESOLVED = lint(Format::Proto, Group::Load, "a field's type names no known message or enum");
        PROTO_OPTION_INVALID = lint(Format::Proto, Group::Load, "an option's value does not fit the option");
        PROTO_TYPECHECK = lint(Format::Proto, Group::Load, "any other error the proto type checker reports");
        DUPLICATE_DEFINITION = lint(Format::Any, Group::Load, "two types share one full name");
        AVRO_JSON_SYNTAX = lint(Format::Avro, Group::Load, "an .avsc file is not valid JSON");
        AVRO_SCHEMA = lint(Format::Avro, Group::Load, "an .avsc file is JSON but not a valid Avro schema");
        AVRO_TYPE_UNRESOLVED = lint(Format::Avro, Group::Load, "a type name is neither primitive nor defined");
        AVRO_INVALID_NAME = lint(Format::Avro, Group::Load, "a name, namespace or symbol breaks the Avro naming rules");
        AVRO_DUPLICATE_FIELD = lint(Format::Avro, Group::Load, "a record declares a field name twice");
        AVRO_DUPLICATE_SYMBOL = lint(Format::Avro, Group::Load, "an enum lists a symbol twice");
        AVRO_BAD_DEFAULT = lint(Format::Avro, Group::Load, "a field default does not match the field's type");
        AVRO_ENUM_BAD_DEFAULT = lint(Format::Avro, Group::Load, "an enum default is not one of its symbols");
        AVRO_UNBOUNDED_RECURSION = lint(Format::Avro, Group::Load, "a record contains itself with no null, array or map to stop");
        AVRO_LOGICAL_TYPE_IGNORED = lint(Format::Avro, Group::Style, "a logical type is invalid or does not fit its type, so readers ignore it");
        CONFIG_SYNTAX = lint(Format::Config, Group::Load, "herald.toml is not valid TOML");
        CONFIG_UNKNOWN_KEY = lint(Format::Config, Group::Config, "herald.toml has a key herald does not know");
        CONFIG_BAD_VALUE = lint(Format::Config, Group::Config, "a herald.toml value has the wrong type or an unknown value");
        GLOB_NO_MATCH = lint(Format::Config, Group::Config, "a source's schemas glob matches no file");
        GLOB_ESCAPES_REPO = lint(Format::Config, Group::Config, "a schemas glob reaches outside the repo");
        CONSUMER_UNKNOWN_SOURCE = lint(Format::Config, Group::Config, "a consumer subscribes to a source herald.toml does not declare");
        CONSUMER_UNKNOWN_EVENT = lint(Format::Config, Group::Config, "a consumer subscribes to an event its source does not publish");
        CONSUMER_DUPLICATE = lint(Format::Config, Group::Config, "a consumer is declared twice, or lists one subscription twice");
        EVENT_METADATA = lint(Format::Event, Group::Event, "the herald event metadata is malformed");
        EVENT_BAD_VERSION = lint(Format::Event, Group::Event, "an event's version is missing or not MAJOR.MINOR");
        EVENT_UNKNOWN_KIND = lint(Format::Event, Group::Event, "an event's kind is missing or not EVENT/COMMAND");
        EVENT_MISSING_PARTITION_KEY = lint(Format::Event, Group::Event, "an event names no partition key");
        EVENT_PARTITION_KEY_UNKNOWN_FIELD = lint(Format::Event, Group::Event, "the partition key names no field of the event");
        EVENT_PARTITION_KEY_NOT_SCALAR = lint(Format::Event, Group::Event, "the partition key is a repeated, map, message or union field");
        EVENT_DUPLICATE_NAME = lint(Format::Event, Group::Event, "two events share one type name");
        EVENT_BAD_COMPATIBILITY = lint(Format::Event, Group::Event, "an event's compatibility mode is unknown");
        EVENT_NOT_IN_SOURCE = lint(Format::Event, Group::Event, "an event's file is covered by no source (or by several)");
        MESSAGE_PASCAL_CASE = lint(Format::Proto, Group::Style, "proto message names are PascalCase");
        ENUM_PASCAL_CASE = lint(Format::Proto, Group::Style, "proto enum names are PascalCase");
        FIELD_LOWER_SNAKE_CASE = lint(Format::Proto, Group::Style, "proto field names are lower_snake_case");
        ENUM_VALUE_UPPER_SNAKE_CASE = lint(Format::Proto, Group::Style, "proto enum values are UPPER_SNAKE_CASE");
        ENUM_VALUE_PREFIX = lint(Format::Proto, Group::Style, "proto enum values start with the enum's name in UPPER_SNAKE_CASE");
        ENUM_ZERO_VALUE_SUFFIX = lint(Format::Proto, Group::Style, "the zero value of a proto enum is named <ENUM>_UNSPECIFIED");
    }
    /// Errors the proto front end reports while building the model (lint reports them; `herald lint --rules` does not list them).
    MODEL_RULES {
        PROTO_ENUM_VALUES = model("a proto enum has no values, or a proto3 enum does not start at zero");
        PROTO_DUPLICATE_NAME = model("a name is declared twice in one proto message or enum");
        PROTO_FIELD_NUMBER = model("a proto field number is used twice, out of range or reserved");
    }
    /// Proto compatibility rules: buf's IDs and categories (buf's v2 rule set).
    PROTO_RULES {
        ENUM_NO_DELETE = proto(&[F], "enums are not deleted from a given file");
        FILE_NO_DELETE = proto(&[F], "files are not deleted");
        MESSAGE_NO_DELETE = proto(&[F], "messages are not deleted from a given file");
        SERVICE_NO_DELETE = proto(&[F], "services are not deleted from a given file");
        ENUM_VALUE_NO_DELETE = proto(&[F, P], "enum values are not deleted from a given enum");
        FIELD_NO_DELETE = proto(&[F, P], "fields are not deleted from a given message");
        FIELD_SAME_CARDINALITY = proto(&[F, P], "fields have the same cardinalities in a given message");
        FIELD_SAME_TYPE = proto(&[F, P], "fields have the same types in a given message");
        FIELD_SAME_JSTYPE = proto(&[F, P], "fields have the same value for the jstype option");
        FIELD_SAME_CPP_STRING_TYPE = proto(&[F, P], "fields have the same C++ string type (ctype)");
        FILE_SAME_SYNTAX = proto(&[F, P], "files have the same syntax");
        FIELD_SAME_DEFAULT = proto(&[F, P, J], "fields have the same default value");
        FILE_SAME_JAVA_PACKAGE = proto(&[F, P], "files have the same java_package option");
        FILE_SAME_JAVA_OUTER_CLASSNAME = proto(&[F, P], "files have the same java_outer_classname option");
        FILE_SAME_OPTIMIZE_FOR = proto(&[F, P], "files have the same optimize_for option");
        FILE_SAME_JAVA_MULTIPLE_FILES = proto(&[F, P], "files have the same java_multiple_files option");
        FILE_SAME_GO_PACKAGE = proto(&[F, P], "files have the same go_package option");
        FILE_SAME_CC_GENERIC_SERVICES = proto(&[F, P], "files have the same cc_generic_services option");
        FILE_SAME_JAVA_GENERIC_SERVICES = proto(&[F, P], "files have the same java_generic_services option");
        FILE_SAME_PY_GENERIC_SERVICES = proto(&[F, P], "files have the same py_generic_services option");
        FILE_SAME_CC_ENABLE_ARENAS = proto(&[F, P], "files have the same cc_enable_arenas option");
        FILE_SAME_OBJC_CLASS_PREFIX = proto(&[F, P], "files have the same objc_class_prefix option");
        FILE_SAME_CSHARP_NAMESPACE = proto(&[F, P], "files have the same csharp_namespace option");
        FILE_SAME_SWIFT_PREFIX = proto(&[F, P], "files have the same swift_prefix option");
        FILE_SAME_PHP_CLASS_PREFIX = proto(&[F, P], "files have the same php_class_prefix option");
        FILE_SAME_PHP_NAMESPACE = proto(&[F, P], "files have the same php_namespace option");
        FILE_SAME_PHP_METADATA_NAMESPACE = proto(&[F, P], "files have the same php_metadata_namespace option");
        FILE_SAME_RUBY_PACKAGE = proto(&[F, P], "files have the same ruby_package option");
        ONEOF_NO_DELETE = proto(&[F, P], "oneofs are not deleted from a given message");
        RPC_NO_DELETE = proto(&[F, P], "rpcs are not deleted from a given service");
        ENUM_VALUE_SAME_NAME = proto(&[F, P, J], "enum values have the same name");
        FIELD_SAME_JSON_NAME = proto(&[F, P, J], "fields have the same value for the json_name option");
        FIELD_SAME_NAME = proto(&[F, P, J], "fields have the same names in a given message");
        FIELD_SAME_ONEOF = proto(&[F, P, J, W], "fields have the same oneofs in a given message");
        FILE_SAME_PACKAGE = proto(&[F, P, J, W], "files have the same package");
        MESSAGE_SAME_REQUIRED_FIELDS = proto(&[F, P, J, W], "messages have no added or deleted required fields");
        RESERVED_ENUM_NO_DELETE = proto(&[F, P, J, W], "reserved ranges and names are not deleted from a given enum");
        RESERVED_MESSAGE_NO_DELETE = proto(&[F, P, J, W], "reserved ranges and names are not deleted from a given message");
        RPC_SAME_CLIENT_STREAMING = proto(&[F, P, J, W], "rpcs have the same client streaming value");
        RPC_SAME_SERVER_STREAMING = proto(&[F, P, J, W], "rpcs have the same server streaming value");
        RPC_SAME_REQUEST_TYPE = proto(&[F, P, J, W], "rpcs have the same request type");
        RPC_SAME_RESPONSE_TYPE = proto(&[F, P, J, W], "rpcs have the same response type");
        RPC_SAME_IDEMPOTENCY_LEVEL = proto(&[F, P, J, W], "rpcs have the same idempotency_level option");
        PACKAGE_ENUM_NO_DELETE = proto(&[P], "enums are not deleted from a given package");
        PACKAGE_MESSAGE_NO_DELETE = proto(&[P], "messages are not deleted from a given package");
        PACKAGE_NO_DELETE = proto(&[P], "packages are not deleted");
        PACKAGE_SERVICE_NO_DELETE = proto(&[P], "services are not deleted from a given package");
        ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED = proto(&[J], "enum values are not deleted unless the name is reserved");
        FIELD_NO_DELETE_UNLESS_NAME_RESERVED = proto(&[J], "fields are not deleted unless the name is reserved");
        FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY = proto(&[J], "fields have wire and JSON compatible cardinalities");
        FIELD_WIRE_JSON_COMPATIBLE_TYPE = proto(&[J], "fields have wire and JSON compatible types");
        ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED = proto(&[J, W], "enum values are not deleted unless the number is reserved");
        FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED = proto(&[J, W], "fields are not deleted unless the number is reserved");
        FIELD_WIRE_COMPATIBLE_CARDINALITY = proto(&[W], "fields have wire-compatible cardinalities");
        FIELD_WIRE_COMPATIBLE_TYPE = proto(&[W], "fields have wire-compatible types");
    }
    /// Proto compatibility rules implemented but in no category herald enables: reported only when
    /// a caller names them (buf's suite does), so neither `herald rules` nor `[check]` lists them.
    /// ENUM_SAME_TYPE lacks its editions half.
    PROTO_RULES_OFF {
        ENUM_SAME_TYPE = proto_off("enums have the same type (open or closed)");
    }
    /// Avro compatibility: the specification's schema resolution.
    AVRO_RULES {
        AVRO_TYPE_MISMATCH = avro("the reader's type cannot read the writer's and no promotion applies");
        AVRO_NAME_MISMATCH = avro("a record, enum or fixed was renamed without a reader alias for the writer's name");
        AVRO_READER_FIELD_MISSING_DEFAULT = avro("a reader field the writer lacks has no default");
        AVRO_READER_FIELD_AMBIGUOUS = avro("a reader field matches two writer fields through its name and aliases");
        AVRO_ENUM_SYMBOL_MISSING = avro("writer enum symbols are missing from a reader enum without a default");
        AVRO_FIXED_SIZE_MISMATCH = avro("a fixed type changed size");
        AVRO_UNION_BRANCH_MISSING = avro("no branch of a reader union can read the writer's type");
        AVRO_DECIMAL_CHANGED = avro("a decimal changed precision or scale (the specification's rule, stricter than the reference)");
        AVRO_TYPE_NOT_FOUND = avro("a type is not defined in the loaded schemas");
        AVRO_CHECK_TOO_DEEP = avro("the schemas nest deeper than herald checks");
    }
    /// Event-level compatibility rules herald adds to the format rules.
    EVENT_RULES {
        EVENT_VERSION_NOT_BUMPED = event("the schema of an event changed but its version did not");
        EVENT_BREAKING_WITHOUT_MAJOR = event("a breaking change to an event without a new MAJOR version");
        EVENT_VERSION_DECREASED = event("an event's version went down");
        EVENT_PARTITION_KEY_CHANGED = event("an event's partition key changed or was removed: per-key order silently breaks");
        EVENT_KIND_CHANGED = event("an event became a command or the reverse");
        EVENT_TOPIC_CHANGED = event("an event moved to another source or topic");
        EVENT_REMOVED = event("an event was removed while its source is still declared");
        EVENT_MAJOR_WITHOUT_PREDECESSOR = event("a new MAJOR version replaced the old one instead of living alongside it");
        EVENT_FORMAT_CHANGED = event("an event moved between protobuf and Avro");
        EVENT_RELEASED_VERSION_EDITED = event("a released version's schema was edited in place instead of bumping the version");
    }
    /// Code generation.
    CODEGEN_RULES {
        CODEGEN_NAME_COLLISION = codegen("two generated Rust items would have one name");
        CODEGEN_INPUT = codegen("a file to generate has no descriptor because it did not type-check");
        CODEGEN_PROST = codegen("prost-build failed");
        CODEGEN_INTERNAL = codegen("generating or formatting the code failed (a defect in herald)");
        CODEGEN_UNKNOWN_EVENT = codegen("a produce or consume list names no event of its source");
        CODEGEN_UNKNOWN_SOURCE = codegen("a produce or consume list names no source in herald.toml");
        CODEGEN_AVRO_SCHEMA = codegen("an Avro schema cannot be embedded in the generated code");
        CODEGEN_CONSUMER_UNDECLARED = codegen("a service consumes an event herald.toml does not declare it consumes (a build warning)");
    }
    /// herald.lock.
    LOCK_RULES {
        LOCK_INVALID = lock("herald.lock cannot be read or is malformed");
    }
    /// Topic declarations.
    TOPIC_RULES {
        TOPIC_NAME_INVALID = topics("a topic name cannot be a Kafka topic");
        TOPIC_PARTITIONS_CONFLICT = topics("two sources declare different partition counts for one topic");
    }
    /// `herald fmt`.
    FMT_RULES {
        FMT_SYNTAX = fmt("a schema file the formatter cannot parse (where the loader reports nothing)");
    }
}

/// The rules `herald rules` lists (every compatibility rule: proto, Avro, event), in its order.
pub fn check_rules() -> impl Iterator<Item = &'static Rule> {
    PROTO_RULES.iter().chain(AVRO_RULES).chain(EVENT_RULES).copied()
}

/// buf's deprecated rule IDs and the rules that replace them (accepted wherever IDs are).
pub const DEPRECATED: &[(&str, &[&Rule])] = &[
    ("FIELD_SAME_CTYPE", &[FIELD_SAME_CPP_STRING_TYPE]),
    (
        "FIELD_SAME_LABEL",
        &[
            FIELD_SAME_CARDINALITY,
            FIELD_WIRE_COMPATIBLE_CARDINALITY,
            FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY,
        ],
    ),
];

/// The rule IDs a rule ID written by a user stands for: itself, or a deprecated buf ID's
/// replacements. An unknown ID is `Err` with a help line ("did you mean ...").
pub fn expand_rule(id: &str) -> Result<Vec<&'static str>, String> {
    if let Some((_, replacements)) = DEPRECATED.iter().find(|(old, _)| *old == id) {
        return Ok(replacements.iter().map(|r| r.id).collect());
    }
    let rules: Vec<&'static Rule> = check_rules().collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_upper_snake_case() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "a rule ID is registered twice");
        for r in ALL {
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                r.id
            );
            assert!(!r.purpose.is_empty(), "{} has no purpose", r.id);
            assert_eq!(Rule::find(r.id), Some(*r));
        }
    }

    #[test]
    fn categories_only_on_proto_compatibility_rules() {
        for r in ALL {
            if !r.categories.is_empty() {
                assert_eq!((r.format, r.group), (Format::Proto, Group::Compat), "{}", r.id);
            }
        }
        assert!(PROTO_RULES.iter().all(|r| !r.categories.is_empty()));
    }

    #[test]
    fn load_errors_cannot_be_disabled() {
        for id in [
            "PROTO_SYNTAX",
            "PROTO_ENUM_VALUES",
            "PROTO_DUPLICATE_NAME",
            "PROTO_FIELD_NUMBER",
            "LOCK_INVALID",
        ] {
            let r = Rule::find(id).expect("registered");
            assert!(!r.can_disable, "{id}");
            assert_eq!(r.severity, Severity::Error, "{id}");
        }
        assert!(FIELD_LOWER_SNAKE_CASE.can_disable);
    }
}
