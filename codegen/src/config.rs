//! `herald.toml`: the repo name, default compatibility, sources and their schema globs, lint
//! settings. Parsed with spans so that every problem points at its key.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::model::Mode;
use crate::span::{FileId, Span};

/// The name of the configuration file at a schema repo's root.
pub const CONFIG_FILE: &str = "herald.toml";

#[derive(Debug, Clone)]
pub struct Config {
    pub file: FileId,
    pub name: Option<String>,
    /// Repo-wide default; `BACKWARD` (as in schema registries) when not set.
    pub compatibility: Mode,
    pub sources: Vec<SourceConfig>,
    /// Lint rule IDs turned off, with where they were written.
    pub lint_disable: Vec<(String, Span)>,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub span: Span,
    pub topic: String,
    pub partitions: Option<u32>,
    pub schemas: Vec<(String, Span)>,
    pub compatibility: Option<Mode>,
}

impl Config {
    pub fn is_disabled(&self, rule: &str) -> bool {
        self.lint_disable.iter().any(|(r, _)| r == rule)
    }
}

/// Parses `herald.toml`. `None` means the text is not usable TOML (the diagnostic says where);
/// otherwise every problem with keys or values is a diagnostic and the rest is kept.
pub fn parse(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Config> {
    let span = |range: std::ops::Range<usize>| Span::new(file, range.start, range.end);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let range = e.span().unwrap_or(0..0);
            diags.push(
                Diagnostic::error(
                    "CONFIG_SYNTAX",
                    format!("{CONFIG_FILE} is not valid TOML: {}", e.message()),
                )
                .at(span(range))
                .help("fix the TOML syntax; see the schema repo format in the README"),
            );
            return None;
        }
    };
    let mut config = Config {
        file,
        name: None,
        compatibility: Mode::Backward,
        sources: Vec::new(),
        lint_disable: Vec::new(),
    };
    let ctx = Ctx { file };
    for (key, value) in root.get_ref() {
        match key.get_ref().as_ref() {
            "repo" => {
                let Some(table) = ctx.table(key, value, diags) else {
                    continue;
                };
                for (k, v) in table {
                    match k.get_ref().as_ref() {
                        "name" => config.name = ctx.string(k, v, diags),
                        "compatibility" => {
                            if let Some(mode) = ctx.mode(k, v, diags) {
                                config.compatibility = mode;
                            }
                        }
                        _ => ctx.unknown(k, "[repo]", &["name", "compatibility"], diags),
                    }
                }
            }
            "sources" => {
                let Some(table) = ctx.table(key, value, diags) else {
                    continue;
                };
                for (name, body) in table {
                    if let Some(source) = ctx.source(name, body, diags) {
                        config.sources.push(source);
                    }
                }
            }
            "lint" => {
                let Some(table) = ctx.table(key, value, diags) else {
                    continue;
                };
                for (k, v) in table {
                    match k.get_ref().as_ref() {
                        "disable" => config.lint_disable = ctx.strings(k, v, diags),
                        _ => ctx.unknown(k, "[lint]", &["disable"], diags),
                    }
                }
            }
            _ => ctx.unknown(key, CONFIG_FILE, &["repo", "sources", "lint"], diags),
        }
    }
    config.sources.sort_by(|a, b| a.name.cmp(&b.name));
    Some(config)
}

struct Ctx {
    file: FileId,
}

type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

impl Ctx {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    fn unknown(&self, key: &Key<'_>, table: &str, known: &[&str], diags: &mut Vec<Diagnostic>) {
        diags.push(
            Diagnostic::error(
                "CONFIG_UNKNOWN_KEY",
                format!("unknown key `{}` in {table}", key.get_ref()),
            )
            .at(self.span(key.span()))
            .label("not a herald setting")
            .help(
                match crate::suggest::did_you_mean(key.get_ref(), known.iter().copied()) {
                    Some(suggestion) => format!("{suggestion} (known keys here: {})", known.join(", ")),
                    None => format!("known keys here: {}", known.join(", ")),
                },
            ),
        );
    }

    fn wrong_type(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, expected: &str, diags: &mut Vec<Diagnostic>) {
        diags.push(
            Diagnostic::error(
                "CONFIG_BAD_VALUE",
                format!(
                    "`{}` must be {expected}, found {}",
                    key.get_ref(),
                    value.get_ref().type_str()
                ),
            )
            .at(self.span(value.span())),
        );
    }

    fn table<'a, 'i>(
        &self,
        key: &Key<'i>,
        value: &'a Spanned<DeValue<'i>>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(key, value, "a table", diags);
                None
            }
        }
    }

    fn string(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(key, value, "a string", diags);
                None
            }
        }
    }

    fn strings(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of strings", diags);
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), self.span(item.span()))),
                _ => self.wrong_type(key, item, "an array of strings", diags),
            }
        }
        out
    }

    fn mode(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<Mode> {
        let text = self.string(key, value, diags)?;
        let mode = Mode::parse(&text);
        if mode.is_none() {
            diags.push(
                Diagnostic::error("CONFIG_BAD_VALUE", format!("unknown compatibility mode `{text}`"))
                    .at(self.span(value.span()))
                    .help(format!("use one of {}", Mode::names())),
            );
        }
        mode
    }

    fn source(&self, name: &Key<'_>, body: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<SourceConfig> {
        let table = self.table(name, body, diags)?;
        let mut source = SourceConfig {
            name: name.get_ref().to_string(),
            span: self.span(name.span()),
            topic: name.get_ref().to_string(),
            partitions: None,
            schemas: Vec::new(),
            compatibility: None,
        };
        let mut has_schemas = false;
        for (k, v) in table {
            match k.get_ref().as_ref() {
                "topic" => {
                    if let Some(topic) = self.string(k, v, diags) {
                        source.topic = topic;
                    }
                }
                "schemas" => {
                    has_schemas = true;
                    source.schemas = self.strings(k, v, diags);
                }
                "compatibility" => source.compatibility = self.mode(k, v, diags),
                "partitions" => match v.get_ref() {
                    DeValue::Integer(i) => match i.as_str().parse::<u32>() {
                        Ok(n) if n > 0 => source.partitions = Some(n),
                        _ => diags.push(
                            Diagnostic::error("CONFIG_BAD_VALUE", "`partitions` must be a whole number from 1")
                                .at(self.span(v.span())),
                        ),
                    },
                    _ => self.wrong_type(k, v, "an integer", diags),
                },
                _ => self.unknown(
                    k,
                    &format!("[sources.{}]", source.name),
                    &["topic", "schemas", "compatibility", "partitions"],
                    diags,
                ),
            }
        }
        if !has_schemas {
            diags.push(
                Diagnostic::error(
                    "CONFIG_BAD_VALUE",
                    format!("source `{}` has no `schemas` globs", source.name),
                )
                .at(source.span)
                .help("add e.g. `schemas = [\"user/**/*.proto\"]`"),
            );
        }
        Some(source)
    }
}
