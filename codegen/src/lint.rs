//! `herald lint`: the rule table, the style rules, and the filter that applies `[lint] disable`.
//!
//! Load problems (syntax, imports, metadata) are found by the loader; this module adds style
//! rules over the model. Its rule table ([`RULES`]) is the lint section of the one registry
//! ([`crate::rules`]).

use crate::diagnostic::{self, Diagnostic};
use crate::load::{self, LoadResult, Unusable};
use crate::model::{EventSet, Format, TypeDef, TypeKind};
use crate::naming::{shouty_snake_case, snake_case, upper_camel_case};
use crate::rules;
use crate::span::SourceMap;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

pub use crate::rules::{Group, Rule, LINT_RULES as RULES};

/// The lint rule with this ID (the IDs `[lint] disable` accepts).
pub fn find_rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// The outcome of `herald lint`.
#[derive(Debug)]
pub struct Report {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// The repo could not be loaded at all (exit code 2).
    pub unusable: bool,
}

impl Report {
    /// 0 clean, 1 findings, 2 unusable input.
    pub fn exit_code(&self) -> i32 {
        if self.unusable {
            2
        } else if self.diagnostics.is_empty() {
            0
        } else {
            1
        }
    }
}

/// Loads the repo at `root` and runs every lint rule.
pub fn lint(root: &std::path::Path) -> Report {
    lint_loaded(load::load(root))
}

/// Runs every lint rule over a repo held in memory (an editor's buffers over the disk, say).
pub fn lint_files(files: &crate::files::FileSet) -> Report {
    lint_loaded(load::load_files(files))
}

/// Every lint rule over the outcome of a load.
fn lint_loaded(loaded: Result<LoadResult, Box<Unusable>>) -> Report {
    match loaded {
        Err(unusable) => {
            let Unusable {
                sources,
                mut diagnostics,
            } = *unusable;
            diagnostic::sort(&mut diagnostics, &sources);
            Report {
                sources,
                diagnostics,
                unusable: true,
            }
        }
        Ok(LoadResult { set, diagnostics }) => {
            let diagnostics = lint_set(&set, diagnostics);
            let sources = set.sources_map;
            Report {
                sources,
                diagnostics,
                unusable: false,
            }
        }
    }
}

/// Every lint rule over a loaded set, added to the load's own `diagnostics`, `[lint] disable`
/// applied, sorted: what [`lint_files`] reports, for a caller that keeps the set (the language
/// server reuses it for compatibility, symbols and hover instead of loading twice).
pub fn lint_set(set: &EventSet, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    lint_set_in(set, diagnostics, &mut Memo::default())
}

/// The style findings of each type, kept between lints of one repo as it changes (an editor's
/// session): a loader session shares an unchanged file's types between loads
/// ([`crate::load::Session`]), and a type's findings depend on nothing but the type itself and
/// whether its file is built in. Entries are keyed by the type's address and hold it weakly, so an
/// entry is used only for that very type, and dropped once the type is gone.
#[derive(Default)]
pub struct Memo(HashMap<usize, (Weak<TypeDef>, bool, Vec<Diagnostic>)>);

/// [`lint_set`], reusing the style findings `memo` holds for types of earlier loads (the same
/// outcome whatever it holds).
pub fn lint_set_in(set: &EventSet, mut diagnostics: Vec<Diagnostic>, memo: &mut Memo) -> Vec<Diagnostic> {
    memo.0.retain(|_, (ty, _, _)| ty.strong_count() > 0);
    for ty in &set.types {
        let builtin = set.is_builtin(ty);
        let key = Arc::as_ptr(ty) as usize;
        let held = memo
            .0
            .get(&key)
            .filter(|(held, b, _)| *b == builtin && std::ptr::eq(held.as_ptr(), Arc::as_ptr(ty)));
        match held {
            Some((_, _, found)) => diagnostics.extend(found.iter().cloned()),
            None => {
                let mut found = Vec::new();
                style(ty, builtin, &mut found);
                diagnostics.extend(found.iter().cloned());
                memo.0.insert(key, (Arc::downgrade(ty), builtin, found));
            }
        }
    }
    apply_config(set, &mut diagnostics);
    diagnostic::sort(&mut diagnostics, &set.sources_map);
    diagnostics
}

/// Drops diagnostics of rules disabled in herald.toml, and checks the disable list itself: an
/// unknown ID is a warning, and a registered rule that cannot be disabled (a load error, wherever
/// it is found) is an error and stays reported.
fn apply_config(set: &EventSet, diags: &mut Vec<Diagnostic>) {
    let Some(config) = &set.config else { return };
    for (id, span) in &config.lint_disable {
        match rules::Rule::find(id) {
            Some(r) if !r.can_disable => diags.push(
                Diagnostic::error(
                    rules::CONFIG_BAD_VALUE,
                    format!("`{id}` is an error that cannot be disabled"),
                )
                .at(*span)
                .help("it reports input herald cannot load; fix the input instead"),
            ),
            Some(r) if RULES.contains(&r) => {}
            _ => diags.push(
                Diagnostic::warning(rules::CONFIG_BAD_VALUE, format!("unknown lint rule `{id}`"))
                    .at(*span)
                    .help(match crate::suggest::did_you_mean(id, RULES.iter().map(|r| r.id)) {
                        Some(suggestion) => format!("{suggestion} (`herald lint --rules` lists every rule)"),
                        None => "`herald lint --rules` lists every rule".to_owned(),
                    }),
            ),
        }
    }
    diags.retain(|d| !d.rule.can_disable || !config.is_disabled(d.rule.id));
}

/// Protobuf style guide naming rules over one type (a user proto type: nothing for others).
fn style(ty: &TypeDef, builtin: bool, diags: &mut Vec<Diagnostic>) {
    {
        if ty.format != Format::Proto || builtin {
            return;
        }
        match &ty.kind {
            TypeKind::Message(m) => {
                if !is_pascal(&ty.name) {
                    diags.push(
                        Diagnostic::warning(
                            rules::MESSAGE_PASCAL_CASE,
                            format!("message name `{}` is not PascalCase", ty.name),
                        )
                        .at(ty.span)
                        .help(format!("rename it to `{}`", upper_camel_case(&ty.name))),
                    );
                }
                for f in &m.fields {
                    if !is_lower_snake(&f.name) {
                        diags.push(
                            Diagnostic::warning(
                                rules::FIELD_LOWER_SNAKE_CASE,
                                format!("field name `{}` is not lower_snake_case", f.name),
                            )
                            .at(f.span)
                            .help(format!(
                                "rename it to `{}` (the number, not the name, is on the wire)",
                                snake_case(&f.name)
                            )),
                        );
                    }
                }
            }
            TypeKind::Enum(e) => {
                if !is_pascal(&ty.name) {
                    diags.push(
                        Diagnostic::warning(
                            rules::ENUM_PASCAL_CASE,
                            format!("enum name `{}` is not PascalCase", ty.name),
                        )
                        .at(ty.span)
                        .help(format!("rename it to `{}`", upper_camel_case(&ty.name))),
                    );
                }
                let prefix = format!("{}_", shouty_snake_case(&ty.name));
                for v in &e.values {
                    if !is_upper_snake(&v.name) {
                        diags.push(
                            Diagnostic::warning(
                                rules::ENUM_VALUE_UPPER_SNAKE_CASE,
                                format!("enum value `{}` is not UPPER_SNAKE_CASE", v.name),
                            )
                            .at(v.span)
                            .help(format!("rename it to `{}`", shouty_snake_case(&v.name))),
                        );
                    } else if !v.name.starts_with(&prefix) {
                        diags.push(
                            Diagnostic::warning(
                                rules::ENUM_VALUE_PREFIX,
                                format!("enum value `{}` does not start with `{prefix}`", v.name),
                            )
                            .at(v.span)
                            .help(format!(
                                "rename it to `{prefix}{}`: enum values share one namespace per package",
                                v.name
                            )),
                        );
                    }
                    if v.number == 0 && v.name != format!("{prefix}UNSPECIFIED") {
                        diags.push(
                            Diagnostic::warning(rules::ENUM_ZERO_VALUE_SUFFIX,
                                format!(
                                    "the zero value of `{}` is `{}`, not `{prefix}UNSPECIFIED`",
                                    ty.name, v.name
                                ),
                            )
                            .at(v.span)
                            .help(format!(
                                "rename it to `{prefix}UNSPECIFIED`: the zero value is what readers see when the field is unset"
                            )),
                        );
                    }
                }
            }
            TypeKind::Fixed { .. } => {}
        }
    }
}

fn is_pascal(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_lower_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

fn is_upper_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_predicates() {
        assert!(is_lower_snake("user_id2"));
        assert!(!is_lower_snake("userId"));
        assert!(is_upper_snake("COLOR_RED"));
        assert!(is_pascal("UserUpdated"));
    }

    /// Lints through one memo across edits in one loader session (types of unchanged files shared
    /// between loads) give a fresh lint's findings at every step, an edited type's new ones
    /// included.
    #[test]
    fn a_memo_lints_each_edit_as_a_fresh_lint_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let mut files = crate::files::FileSet::read_dir(&root);
        let name = "user/v1/user_created.proto";
        let text = std::fs::read_to_string(root.join(name)).expect("read");
        let mut session = load::Session::default();
        let mut memo = Memo::default();
        let edits = [
            format!("{text}\nmessage bad_name {{ string BadField = 1; }}\n"),
            format!("// shifted\n{text}\nmessage bad_name {{ string BadField = 1; }}\n"),
            format!("{text}\nenum shade {{ red = 0; }}\n"),
            text.clone(),
        ];
        let mut counts = Vec::new();
        for (step, edit) in std::iter::once(text.clone()).chain(edits).enumerate() {
            files.insert(name, edit);
            let loaded = load::load_files_in(&files, &mut session, &|| false)
                .expect("never cancelled")
                .expect("loads");
            let fresh = lint_set(&loaded.set, loaded.diagnostics.clone());
            let memoized = lint_set_in(&loaded.set, loaded.diagnostics, &mut memo);
            assert_eq!(format!("{memoized:?}"), format!("{fresh:?}"), "step {step}");
            counts.push(fresh.len());
        }
        // The edits made findings come and go.
        assert!(counts[1] > counts[0] && counts[3] > counts[0], "{counts:?}");
        assert_eq!(counts[4], counts[0], "{counts:?}");
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }
}
