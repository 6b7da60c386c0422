//! `Builder`: the build.rs entry point, in the manner of prost-build's `Config`.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     herald_codegen::Builder::new("../../schemas")
//!         .produce("user-service")
//!         .consume("accounting", ["BankError"])
//!         .compile()?;
//!     Ok(())
//! }
//! ```
//!
//! The service being built is the package (`CARGO_PKG_NAME`) unless [`Builder::service`] names
//! it: each event it consumes should be declared under `[consumers.<service>]` in `herald.toml`
//! (`herald check` and `herald impact` report who a change reaches from those declarations), and
//! a `consume` the declaration lacks is a build warning naming the entry to add.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::diagnostic::{self, Diagnostic, Severity};
use crate::load;
use crate::model::EventSet;
use crate::render;
use crate::rules;
use crate::rust::{self, Selection};
use crate::span::Span;

/// Name of the generated file in the output directory.
pub const OUTPUT_FILE: &str = "herald_events.rs";

/// Generates Rust for the events a service produces and consumes.
#[derive(Debug, Clone)]
pub struct Builder {
    root: PathBuf,
    selection: Selection,
    out_dir: Option<PathBuf>,
    cargo: bool,
    /// The service as `[consumers.<service>]` names it; `None`: not known, nothing checked.
    service: Option<String>,
}

/// `compile()` failed: the rendered diagnostics (file:line:col, the source line, help).
///
/// Its `Debug` is its `Display` (as `anyhow`'s and `miette`'s errors do), so that a build script
/// returning `Result<(), Box<dyn Error>>` shows the diagnostics as they are, not as a quoted string.
pub struct BuildError {
    pub rendered: String,
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "herald could not generate code:\n{}", self.rendered)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder for the schema repo at `root` (relative to the crate's manifest directory when
    /// run from a build script).
    pub fn new(root: impl Into<PathBuf>) -> Builder {
        Builder {
            root: root.into(),
            selection: Selection::default(),
            out_dir: None,
            cargo: std::env::var_os("CARGO").is_some(),
            service: std::env::var("CARGO_PKG_NAME").ok(),
        }
    }

    /// The service this build is for, as `herald.toml` names it in `[consumers.<service>]`;
    /// defaults to the package being built (`CARGO_PKG_NAME`, which cargo sets for build scripts).
    /// Each event given to [`Builder::consume`] that `herald.toml` does not declare this service
    /// consumes is a build warning naming the entry to add.
    ///
    /// ```no_run
    /// herald_codegen::Builder::new("../schemas")
    ///     .service("leaderboard") // the package is `leaderboard-server`
    ///     .consume("user-service", ["UserUpdated"])
    ///     .compile()
    ///     .unwrap();
    /// ```
    pub fn service(mut self, name: impl Into<String>) -> Builder {
        self.service = Some(name.into());
        self
    }

    /// Builds for no service: no `[consumers]` check (a test or benchmark crate that consumes
    /// events without being a service).
    pub fn no_service(mut self) -> Builder {
        self.service = None;
        self
    }

    /// This service publishes `source`'s events and handles its commands.
    pub fn produce(mut self, source: impl Into<String>) -> Builder {
        self.selection.produce.push(source.into());
        self
    }

    /// This service subscribes to these events of `source` (by short or full name, or the
    /// message/record name); an empty list subscribes to all of them.
    pub fn consume<I, S>(mut self, source: impl Into<String>, events: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.selection
            .consume
            .push((source.into(), events.into_iter().map(Into::into).collect()));
        self
    }

    /// Where to write `herald_events.rs`; defaults to `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// Whether to print `cargo:` instructions (on by default inside a build script).
    pub fn cargo_instructions(mut self, on: bool) -> Builder {
        self.cargo = on;
        self
    }

    /// The files a compile reads, which it prints as `cargo:rerun-if-changed` (with the repo
    /// directory itself, so that a new file also triggers a rebuild).
    pub fn watched_files(&self) -> Vec<PathBuf> {
        load::input_files(&self.root)
    }

    /// Loads the repo, generates, and writes the file. With nothing changed since the last run
    /// (same inputs, same builder), only the inputs are hashed: no parsing, no generation.
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        let out_dir = match self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            Some(d) => d,
            None => {
                return Err(BuildError {
                    rendered: "no output directory: set OUT_DIR (cargo does in build scripts) or call .out_dir()"
                        .into(),
                })
            }
        };
        let out = out_dir.join(OUTPUT_FILE);
        let stamp = out_dir.join("herald_events.hash");
        let inputs = load::input_files(&self.root);
        if self.cargo {
            println!("cargo:rerun-if-changed={}", self.root.display());
            for f in &inputs {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        let hash = self.input_hash(&inputs);
        if out.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(hash.as_str()) {
            return Ok(out);
        }
        let loaded = match load::load(&self.root) {
            Ok(l) => l,
            Err(unusable) => {
                return Err(BuildError {
                    rendered: render::human(&unusable.diagnostics, &unusable.sources),
                })
            }
        };
        let mut diags = loaded.diagnostics;
        let set = loaded.set;
        let released = crate::lock::avro_writers(&self.root).map_err(|rendered| BuildError { rendered })?;
        let (code, more) = rust::generate_with(&set, &self.selection, &released);
        diags.extend(more);
        if let Some(service) = &self.service {
            diags.extend(undeclared_consumes(&set, service, &self.selection));
        }
        diagnostic::sort(&mut diags, &set.sources_map);
        let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(|d| d.severity == Severity::Error);
        if self.cargo {
            for line in render::human(&warnings, &set.sources_map)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                println!("cargo:warning={line}");
            }
        }
        let code = match (code, errors.is_empty()) {
            (Some(code), true) => code,
            _ => {
                return Err(BuildError {
                    rendered: render::human(&errors, &set.sources_map),
                })
            }
        };
        let write = |path: &Path, text: &str| {
            std::fs::write(path, text).map_err(|e| BuildError {
                rendered: format!("cannot write {}: {e}", path.display()),
            })
        };
        std::fs::create_dir_all(&out_dir).map_err(|e| BuildError {
            rendered: format!("cannot create {}: {e}", out_dir.display()),
        })?;
        write(&out, &code)?;
        write(&stamp, &hash)?;
        Ok(out)
    }

    /// Hash of herald's version and sources, the selection, and every input file's path and bytes.
    fn input_hash(&self, inputs: &[PathBuf]) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        env!("HERALD_CODEGEN_SOURCE_HASH").hash(&mut h);
        format!("{:?}", self.selection).hash(&mut h);
        self.service.hash(&mut h);
        for f in inputs {
            f.hash(&mut h);
            std::fs::read(f).unwrap_or_default().hash(&mut h);
        }
        format!("{:016x}", h.finish())
    }
}

/// A warning per source whose consumed events `herald.toml` does not declare for `service`,
/// naming the entries to add (located at the service's `[consumers.<service>]` table when there
/// is one). Unknown sources and events are left to the generator, which reports them.
fn undeclared_consumes(set: &EventSet, service: &str, selection: &Selection) -> Vec<Diagnostic> {
    let Some(config) = &set.config else {
        return Vec::new();
    };
    let consumer = set.consumer_named(service);
    let mut out = Vec::new();
    for (source_name, wanted) in &selection.consume {
        let Some(source) = set.sources.iter().position(|s| &s.name == source_name) else {
            continue;
        };
        let declared = |i: &usize| consumer.is_some_and(|c| c.consumes(*i));
        let missing: Vec<String> = if wanted.is_empty() {
            let all: Vec<usize> = (0..set.events.len())
                .filter(|i| set.events[*i].source == Some(source))
                .collect();
            if all.iter().all(declared) {
                Vec::new()
            } else {
                vec![format!("{source_name}:*")]
            }
        } else {
            let mut names: Vec<String> = Vec::new();
            for w in wanted {
                let events = set.events_named(source, w);
                if !events.is_empty() && !events.iter().all(declared) && !names.contains(w) {
                    names.push(w.clone());
                }
            }
            names.into_iter().map(|w| format!("{source_name}:{w}")).collect()
        };
        if missing.is_empty() {
            continue;
        }
        let entries: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
        let quoted = entries.join(", ");
        let diag = Diagnostic::warning(
            rules::CODEGEN_CONSUMER_UNDECLARED,
            format!(
                "service `{service}` consumes {} but herald.toml does not declare it",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
        );
        out.push(match consumer {
            Some(c) => diag
                .at(c.span)
                .label("declared here without it")
                .help(format!("add {quoted} to `events` of [consumers.{service}] in herald.toml")),
            None => diag.at(Span::file_start(config.file)).help(format!(
                "add a table to herald.toml: `[consumers.{service}]` with `events = [{quoted}]` (or name the service with `Builder::service`)"
            )),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> EventSet {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        match load::load(&root) {
            Ok(l) => l.set,
            Err(_) => panic!("the example schema repo loads"),
        }
    }

    fn consume(source: &str, events: &[&str]) -> Selection {
        Selection {
            produce: Vec::new(),
            consume: vec![(source.to_owned(), events.iter().map(|e| (*e).to_owned()).collect())],
        }
    }

    fn rendered(set: &EventSet, service: &str, selection: &Selection) -> String {
        render::human(&undeclared_consumes(set, service, selection), &set.sources_map)
    }

    #[test]
    fn a_declared_consume_gives_no_warning() {
        let set = example();
        assert_eq!(
            rendered(&set, "leaderboard", &consume("user-service", &["UserUpdated"])),
            ""
        );
        // By full name, and every event of a source declared with `*`.
        let full = consume("user-service", &["acme.user.v1.UserUpdated"]);
        assert_eq!(rendered(&set, "leaderboard", &full), "");
        assert_eq!(rendered(&set, "marketplace", &consume("user-service", &[])), "");
        // Unknown sources and events are the generator's to report.
        assert_eq!(rendered(&set, "leaderboard", &consume("nowhere", &["X"])), "");
        assert_eq!(rendered(&set, "leaderboard", &consume("user-service", &["Nope"])), "");
    }

    #[test]
    fn an_undeclared_consume_names_the_entry_to_add() {
        let set = example();
        let text = rendered(
            &set,
            "leaderboard",
            &consume("accounting", &["BankError", "AccountClosed"]),
        );
        assert!(
            text.contains("warning[CODEGEN_CONSUMER_UNDECLARED]: service `leaderboard` consumes `accounting:BankError`, `accounting:AccountClosed` but herald.toml does not declare it"),
            "{text}"
        );
        assert!(text.contains("[consumers.leaderboard]"), "points at the table: {text}");
        assert!(
            text.contains("add \"accounting:BankError\", \"accounting:AccountClosed\" to `events` of [consumers.leaderboard] in herald.toml"),
            "{text}"
        );
        // Every event of a source, not all declared.
        let text = rendered(&set, "leaderboard", &consume("user-service", &[]));
        assert!(text.contains("add \"user-service:*\""), "{text}");
    }

    #[test]
    fn an_undeclared_service_gets_the_whole_table_to_add() {
        let set = example();
        let text = rendered(&set, "billing", &consume("accounting", &["BankError"]));
        assert!(
            text.contains("service `billing` consumes `accounting:BankError`"),
            "{text}"
        );
        assert!(
            text.contains(
                "add a table to herald.toml: `[consumers.billing]` with `events = [\"accounting:BankError\"]`"
            ),
            "{text}"
        );
        assert!(text.contains("herald.toml:1:1"), "{text}");
    }
}
