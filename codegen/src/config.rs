//! `herald.toml`: the repo name, default compatibility, sources and their schema globs, lint
//! settings. Parsed with spans so that every problem points at its key.

use crate::rules;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::model::{Located, Mode};
use crate::span::{FileId, Span};

/// The name of the configuration file at a schema repo's root.
pub const CONFIG_FILE: &str = "herald.toml";

/// The settings this module parses are model data, declared by [`crate::model`].
pub use crate::model::{CheckConfig, Config, ConsumerConfig, SourceConfig, Written};

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
                    rules::CONFIG_SYNTAX,
                    format!("{CONFIG_FILE} is not valid TOML: {}", e.message()),
                )
                .at(span(range))
                .help(if e.message().contains("duplicate key") {
                    "a table or key is written twice: merge the two (one [consumers.NAME] table per service, one [sources.NAME] per source)"
                } else {
                    "fix the TOML syntax; see the schema repo format in the README"
                }),
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
        check: CheckConfig::default(),
        lsp_baseline: None,
        consumers: Vec::new(),
    };
    let ctx = Ctx { file };
    for (key, value) in root.get_ref() {
        ctx.root_entry(&mut config, key, value, diags);
    }
    config.sources.sort_by(|a, b| a.name.cmp(&b.name));
    // In the order written, so that of two spellings of one service the second is reported.
    config.consumers.sort_by_key(|c| c.span.start);
    Some(config)
}

impl Ctx {
    /// One top-level key of herald.toml into `config`.
    fn root_entry(
        &self,
        config: &mut Config,
        key: &Key<'_>,
        value: &Spanned<DeValue<'_>>,
        diags: &mut Vec<Diagnostic>,
    ) {
        match key.get_ref().as_ref() {
            "repo" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                for (k, v) in table {
                    match k.get_ref().as_ref() {
                        "name" => config.name = self.string(k, v, diags),
                        "compatibility" => {
                            if let Some(mode) = self.mode(k, v, diags) {
                                config.compatibility = mode;
                            }
                        }
                        _ => self.unknown(k, "[repo]", &["name", "compatibility"], diags),
                    }
                }
            }
            "sources" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                for (name, body) in table {
                    if let Some(source) = self.source(name, body, diags) {
                        config.sources.push(source);
                    }
                }
            }
            "consumers" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                for (name, body) in table {
                    if let Some(consumer) = self.consumer(name, body, diags) {
                        config.consumers.push(consumer);
                    }
                }
            }
            "lint" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                for (k, v) in table {
                    match k.get_ref().as_ref() {
                        "disable" => config.lint_disable = self.strings(k, v, diags),
                        _ => self.unknown(k, "[lint]", &["disable"], diags),
                    }
                }
            }
            "check" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                config.check = self.check(table, diags);
            }
            "lsp" => {
                let Some(table) = self.table(key, value, diags) else {
                    return;
                };
                for (k, v) in table {
                    match k.get_ref().as_ref() {
                        "baseline" => config.lsp_baseline = self.git_revision(k, v, diags),
                        _ => self.unknown(k, "[lsp]", &["baseline"], diags),
                    }
                }
            }
            _ => self.unknown(
                key,
                CONFIG_FILE,
                &["repo", "sources", "consumers", "lint", "check", "lsp"],
                diags,
            ),
        }
    }
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
                rules::CONFIG_UNKNOWN_KEY,
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
                rules::CONFIG_BAD_VALUE,
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

    /// A `git:REV` baseline (the spelling of `herald check --against git:REV`).
    fn git_revision(
        &self,
        key: &Key<'_>,
        value: &Spanned<DeValue<'_>>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Written> {
        let text = self.string(key, value, diags)?;
        match text.strip_prefix("git:") {
            Some(rev) if !rev.trim().is_empty() => Some((text, self.span(value.span()))),
            _ => {
                diags.push(
                    Diagnostic::error(rules::CONFIG_BAD_VALUE, format!("`{text}` is not a git baseline"))
                        .at(self.span(value.span()))
                        .help("write \"git:\" and a revision, e.g. \"git:main\" (the lock is always checked)"),
                );
                None
            }
        }
    }

    fn mode(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<Mode> {
        let text = self.string(key, value, diags)?;
        let mode = Mode::parse(&text);
        if mode.is_none() {
            diags.push(
                Diagnostic::error(rules::CONFIG_BAD_VALUE, format!("unknown compatibility mode `{text}`"))
                    .at(self.span(value.span()))
                    .help(format!("use one of {}", Mode::names())),
            );
        }
        mode
    }

    fn check(&self, table: &DeTable<'_>, diags: &mut Vec<Diagnostic>) -> CheckConfig {
        let mut check = CheckConfig::default();
        for (k, v) in table {
            match k.get_ref().as_ref() {
                "except" => check.except = self.rules(self.strings(k, v, diags), diags),
                "ignore" => check.ignore = self.paths(self.strings(k, v, diags), diags),
                "ignore_only" => {
                    let Some(rules) = self.table(k, v, diags) else {
                        continue;
                    };
                    for (rule, paths) in rules {
                        let span = self.span(rule.span());
                        let known = self.rules(vec![(rule.get_ref().to_string(), span)], diags);
                        let paths = self.paths(self.strings(rule, paths, diags), diags);
                        for (id, span) in known {
                            check.ignore_only.push((id, span, paths.clone()));
                        }
                    }
                }
                "deletions" => match self.string(k, v, diags).as_deref() {
                    Some("error") | None => {}
                    Some("warning") => check.deletions_warning = true,
                    Some(other) => diags.push(
                        Diagnostic::error(rules::CONFIG_BAD_VALUE, format!("unknown `deletions` setting `{other}`"))
                            .at(self.span(v.span()))
                            .help("use \"error\" (buf's verdict, the default) or \"warning\" (harmless until the number or name is reused)"),
                    ),
                },
                _ => self.unknown(k, "[check]", &["except", "ignore", "ignore_only", "deletions"], diags),
            }
        }
        check
    }

    /// Compatibility rule IDs, buf's deprecated ones expanded; an unknown one is an error.
    fn rules(&self, ids: Vec<(String, Span)>, diags: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for (id, span) in ids {
            match rules::expand_rule(&id) {
                Ok(rules) => out.extend(rules.into_iter().map(|r| (r.to_owned(), span))),
                Err(help) => diags.push(
                    Diagnostic::error(rules::CONFIG_BAD_VALUE, format!("unknown compatibility rule `{id}`"))
                        .at(span)
                        .label("not a rule ID")
                        .help(help),
                ),
            }
        }
        out
    }

    /// Repo-relative paths (no `..`, not absolute), without a trailing `/`.
    fn paths(&self, paths: Vec<(String, Span)>, diags: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for (path, span) in paths {
            let p = std::path::Path::new(&path);
            if path.is_empty()
                || p.is_absolute()
                || p.components().any(|c| matches!(c, std::path::Component::ParentDir))
            {
                diags.push(
                    Diagnostic::error(
                        rules::CONFIG_BAD_VALUE,
                        format!("`{path}` is not a path inside the repo"),
                    )
                    .at(span)
                    .help("write a file or directory relative to the repo root, e.g. \"orders/v1\""),
                );
                continue;
            }
            out.push((path.trim_start_matches("./").trim_end_matches('/').to_owned(), span));
        }
        out
    }

    fn located(&self, key: &Key<'_>, value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<Located> {
        let text = self.string(key, value, diags)?;
        Some(Located {
            value: text,
            span: self.span(value.span()),
        })
    }

    /// `[consumers.<service>]`: `events` (required), `group`, `owner`. Entries are checked for
    /// shape (`source:Event` or `source:*`) here; against the sources and events by the loader.
    fn consumer(
        &self,
        name: &Key<'_>,
        body: &Spanned<DeValue<'_>>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<ConsumerConfig> {
        let table = self.table(name, body, diags)?;
        let mut consumer = ConsumerConfig {
            name: name.get_ref().to_string(),
            span: self.span(name.span()),
            group: None,
            owner: None,
            events: Vec::new(),
        };
        let mut has_events = false;
        for (k, v) in table {
            match k.get_ref().as_ref() {
                "events" => {
                    has_events = true;
                    for (entry, span) in self.strings(k, v, diags) {
                        match entry.split_once(':') {
                            Some((source, event)) if !source.trim().is_empty() && !event.trim().is_empty() => {
                                consumer.events.push((entry, span))
                            }
                            _ => diags.push(
                                Diagnostic::error(
                                    rules::CONFIG_BAD_VALUE,
                                    format!("`{entry}` is not a subscription"),
                                )
                                .at(span)
                                .label("expected `source:Event` or `source:*`")
                                .help("name a source of herald.toml and one of its events, e.g. \"user-service:UserUpdated\", or all of them, \"user-service:*\""),
                            ),
                        }
                    }
                }
                "group" => consumer.group = self.located(k, v, diags),
                "owner" => consumer.owner = self.located(k, v, diags),
                _ => self.unknown(
                    k,
                    &format!("[consumers.{}]", consumer.name),
                    &["events", "group", "owner"],
                    diags,
                ),
            }
        }
        if !has_events {
            diags.push(
                Diagnostic::error(
                    rules::CONFIG_BAD_VALUE,
                    format!("consumer `{}` has no `events`", consumer.name),
                )
                .at(consumer.span)
                .help("add e.g. `events = [\"user-service:UserUpdated\"]` (or `[]` for none yet)"),
            );
        }
        Some(consumer)
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
                            Diagnostic::error(rules::CONFIG_BAD_VALUE, "`partitions` must be a whole number from 1")
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
                    rules::CONFIG_BAD_VALUE,
                    format!("source `{}` has no `schemas` globs", source.name),
                )
                .at(source.span)
                .help("add e.g. `schemas = [\"user/**/*.proto\"]`"),
            );
        }
        Some(source)
    }
}
