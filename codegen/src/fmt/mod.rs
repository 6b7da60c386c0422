//! Formatting schema files: `.proto` exactly as `buf format` lays it out, `.avsc` in one stable
//! layout. A pass over text only: it needs no model, so a file formats on its own (the CLI's
//! `herald fmt` and the language server's formatting both call [`format()`]).

pub mod avro;
pub mod proto;

use crate::model::Format;

/// Why a file could not be formatted: it does not parse. The file is left as it is; callers report
/// the loader's own diagnostic for it where they have one, this one otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the offending token in the input.
    pub offset: usize,
    /// Its length in bytes (0 at the end of the input).
    pub len: usize,
    pub message: String,
}

/// The formatted text of a schema file of `format`.
pub fn format(format: Format, text: &str) -> Result<String, SyntaxError> {
    match format {
        Format::Proto => proto::format(text),
        Format::Avro => avro::format(text),
    }
}
