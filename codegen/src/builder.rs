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

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::diagnostic::{self, Severity};
use crate::load;
use crate::render;
use crate::rust::{self, Selection};

/// Name of the generated file in the output directory.
pub const OUTPUT_FILE: &str = "herald_events.rs";

/// Generates Rust for the events a service produces and consumes.
#[derive(Debug, Clone)]
pub struct Builder {
    root: PathBuf,
    selection: Selection,
    out_dir: Option<PathBuf>,
    cargo: bool,
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
        }
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
        for f in inputs {
            f.hash(&mut h);
            std::fs::read(f).unwrap_or_default().hash(&mut h);
        }
        format!("{:016x}", h.finish())
    }
}
