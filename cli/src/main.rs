//! The `herald` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand, ValueEnum};
use herald_codegen::{diagnostic, lint, render};

#[cfg(feature = "kafka")]
mod topics_apply;

/// Writes to stdout; once its reader went away (`herald rules | head`), output is dropped.
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_or_drop(&mut std::io::stdout().lock(), &$crate::STDOUT_CLOSED, format_args!($($arg)*)) };
}
macro_rules! outln {
    () => { out!("\n") };
    ($($arg:tt)*) => { out!("{}\n", format_args!($($arg)*)) };
}
/// Writes to stderr, where the human reports go; likewise dropped once its reader went away.
macro_rules! err {
    ($($arg:tt)*) => { $crate::write_or_drop(&mut std::io::stderr().lock(), &$crate::STDERR_CLOSED, format_args!($($arg)*)) };
}
macro_rules! errln {
    () => { err!("\n") };
    ($($arg:tt)*) => { err!("{}\n", format_args!($($arg)*)) };
}

mod fmt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h, v3): how long freed
/// memory waits before it is handed back to the system; -1 never.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A command that runs and exits keeps the memory it frees for its own next allocations instead
/// of handing it back to the system and faulting it in again (a catalog frees and allocates a
/// model per released version: 10% of its time went to that). The language server, which runs
/// for hours, keeps mimalloc's default.
fn keep_freed_memory() {
    // SAFETY: sets an option of the allocator this binary links; mimalloc reads it on each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes and flushes `args`. When the reader went away (a closed pipe), the rest of that
/// stream's output is dropped quietly, as other command-line tools do, instead of panicking; the
/// command still finishes and exits with its own code (so `herald check | head` still fails a
/// pipeline with `pipefail` when something breaks).
fn write_or_drop(w: &mut dyn std::io::Write, closed: &AtomicBool, args: std::fmt::Arguments) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if w.write_fmt(args).and_then(|()| w.flush()).is_err() {
        // Broken pipe or any other failure to write: nothing more can be shown there.
        closed.store(true, Ordering::Relaxed);
    }
}

#[derive(Parser)]
#[command(
    name = "herald",
    version,
    about = "Event schemas in, typed Rust and compatibility checks out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour in human reports: `auto` (on a terminal, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Whether human reports (written to stderr) are coloured; set once from `--color`.
static COLOR: AtomicBool = AtomicBool::new(false);

/// [`render_human`] for files of the repo at `dir` (as typed), shown relative to the current
/// directory.
fn render_from(
    diagnostics: &[herald_codegen::Diagnostic],
    sources: &herald_codegen::span::SourceMap,
    dir: &std::path::Path,
) -> String {
    let mut shown = sources.clone();
    shown.names_from_current_dir(&repo_root(dir));
    render_human(diagnostics, &shown)
}

/// Diagnostics as rustc shows them, coloured when [`COLOR`] says so.
fn render_human(diagnostics: &[herald_codegen::Diagnostic], sources: &herald_codegen::span::SourceMap) -> String {
    render::human_styled(diagnostics, sources, COLOR.load(Ordering::Relaxed))
}

/// The modes and categories `herald check --help` explains, one line each.
const CHECK_HELP: &str = "\
Modes (--mode; default: herald.toml's `compatibility`, else BACKWARD):
  BACKWARD             new readers can read data written with the previous version
  BACKWARD_TRANSITIVE  new readers can read data written with every released version (lock)
  FORWARD              old readers can read data written with the new version
  FORWARD_TRANSITIVE   readers of every released version can read new data (lock)
  FULL                 BACKWARD and FORWARD
  FULL_TRANSITIVE      BACKWARD_TRANSITIVE and FORWARD_TRANSITIVE
  NONE                 changes are not judged for compatibility

Categories (--categories, proto rules, as buf's `breaking` categories; default WIRE_JSON):
  FILE       generated code per file keeps compiling: no element moves or is deleted
  PACKAGE    generated code per package keeps compiling: elements may move between files
  WIRE_JSON  binary and JSON encodings stay readable (names matter for JSON)
  WIRE       binary encoding stays readable (names may change)

`herald rules` prints every rule with its categories.";

#[derive(Subcommand)]
enum Command {
    /// Check a schema repo for syntax, reference, metadata and style problems.
    Lint {
        /// The schema repo (directory with herald.toml) or any directory of .proto/.avsc files.
        /// Default: the nearest directory upward from the current one that holds herald.toml (as
        /// cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Print the table of lint rules and exit.
        #[arg(long)]
        rules: bool,
        #[command(flatten)]
        paths: PathDisplay,
    },
    /// Format .proto files as `buf format` does and .avsc files in herald's layout, in place.
    #[command(after_help = fmt::HELP)]
    Fmt {
        /// Files or directories (walked for .proto and .avsc files, skipping hidden directories and
        /// `target/`, as the loader does). Default: the schema repo, the nearest directory upward
        /// from the current one that holds herald.toml (as cargo finds Cargo.toml), else `.`.
        paths: Vec<PathBuf>,
        /// Write nothing; list the files that would change (exit 1 if any).
        #[arg(long)]
        check: bool,
        /// Write nothing; print a unified diff (`--- a/PATH`, `+++ b/PATH`) of every file that
        /// would change (exit 1 if any), instead of the list of --check.
        #[arg(long)]
        diff: bool,
    },
    /// Check every schema change against a baseline: format rules, then herald's event rules.
    #[command(after_help = CHECK_HELP)]
    Check {
        /// The new schema repo, directory of schemas, or single file. Default: the nearest directory
        /// upward from the current one that holds herald.toml (as cargo finds Cargo.toml), else `.`.
        new: Option<PathBuf>,
        /// The baseline: a directory or file of the same kind; `lock` (the repo's herald.lock, the
        /// default when it exists); or `git:REV` (the same paths at a git revision).
        #[arg(long)]
        against: Option<String>,
        /// Compatibility mode for every event, overriding herald.toml.
        #[arg(long)]
        mode: Option<String>,
        /// buf categories for proto rules, comma-separated: FILE, PACKAGE, WIRE_JSON, WIRE.
        #[arg(long, default_value = "WIRE_JSON")]
        categories: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// A rule ID not to report (repeatable), besides herald.toml's `[check] except`.
        #[arg(long, value_name = "RULE")]
        except: Vec<String>,
        #[command(flatten)]
        paths: PathDisplay,
    },
    /// Who a change to an event or type reaches: the events that contain it (through shared
    /// types too), their producers, and the consumers herald.toml declares, with owners.
    Impact {
        /// An event (`UserUpdated`, its full name, or `source:Event`) or a named type (full name,
        /// or a name only one type has).
        name: String,
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ImpactFormat::Human)]
        format: ImpactFormat,
    },
    /// Print every compatibility rule: ID, categories, purpose.
    Rules,
    /// Run the language server on stdin/stdout (for editors; see the README's "Editor support").
    Lsp,
    /// Check the working tree against its baseline, then record the current version of every
    /// event in herald.lock; refuses breaking changes without a new MAJOR and changes without a
    /// new version.
    Release {
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        /// The baseline, as for `herald check`: default the repo's herald.lock, else `git:HEAD`
        /// when the repo is in git (nothing for a first release outside git).
        #[arg(long)]
        against: Option<String>,
        /// Refuse to release schema files with uncommitted changes (a warning otherwise).
        #[arg(long)]
        strict: bool,
    },
    /// Write the Rust code a build.rs would generate, for people who check generated code in.
    Generate {
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        /// Output file (or directory, which gets herald_events.rs).
        #[arg(long)]
        out: PathBuf,
        /// A source whose events this service publishes (repeatable). Without --produce and
        /// --consume, every source is produced.
        #[arg(long)]
        produce: Vec<String>,
        /// A source this service subscribes to: `SOURCE` or `SOURCE=Event1,Event2` (repeatable).
        #[arg(long, value_parser = parse_consume)]
        consume: Vec<(String, Vec<String>)>,
    },
    /// Write a static, offline event catalog (HTML pages, SVG flow pictures, search) of the repo
    /// and its herald.lock to a directory outside the repo.
    Catalog {
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        /// The directory to write (created if missing; outside the schema repo; empty, or a
        /// catalog written before, whose pages are replaced).
        #[arg(long)]
        out: PathBuf,
        /// A directory of templates replacing the built-in ones of the same file name
        /// (header.hbs, footer.hbs, index.hbs, event.hbs, service.hbs, catalog.css, catalog.js).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// Rebuild every released version, ignoring the record a previous catalog in OUT left of
        /// them (the site is the same either way; this only takes longer).
        #[arg(long)]
        fresh: bool,
    },
    /// The Kafka topics herald.toml declares: list them, or create them on a cluster.
    Topics {
        #[command(subcommand)]
        command: TopicsCommand,
    },
    /// Make a new schema repo: herald.toml with one proto and one Avro source, an event each.
    Init {
        /// Where (created if missing); refuses to overwrite any file.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print a shell completion script (e.g. `herald completions bash > ~/.local/share/bash-completion/completions/herald`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How file paths are shown.
#[derive(Args)]
struct PathDisplay {
    /// Show each file as PREFIX/<its path in the schema repo> instead of relative to the current
    /// directory (for layouts where the two differ, e.g. a repo mounted elsewhere in a container).
    #[arg(long, value_name = "PREFIX")]
    path_prefix: Option<String>,
}

impl PathDisplay {
    /// Shows the files of `sources`, loaded from `input` (a directory, or a file whose directory
    /// is the root) as typed by the user, relative to the current directory or under
    /// `--path-prefix`.
    fn apply(&self, sources: &mut herald_codegen::span::SourceMap, input: &std::path::Path) {
        match &self.path_prefix {
            Some(p) => sources.prefix_names(&p.replace('\\', "/")),
            None => sources.names_from_current_dir(&repo_root(input)),
        }
    }
}

/// Writes `diagnostics` to stdout as GitHub annotations, SARIF or JUnit (the renderings lint and
/// check share); file names in `sources` are already shown as `paths` says.
fn machine_report(
    format: Format,
    diagnostics: &[herald_codegen::Diagnostic],
    sources: &herald_codegen::span::SourceMap,
    paths: &PathDisplay,
    tool: render::Tool,
) {
    match format {
        Format::Github => out!("{}", render::github(diagnostics, sources)),
        Format::Sarif => {
            // Relative paths are relative to the current directory, unless --path-prefix says
            // otherwise.
            let cwd = std::env::current_dir().ok().filter(|_| paths.path_prefix.is_none());
            outln!("{}", render::sarif(diagnostics, sources, cwd.as_deref(), tool))
        }
        Format::Junit => outln!("{}", render::junit(diagnostics, sources, tool)),
        Format::Markdown => out!("{}", render::markdown(diagnostics, sources, tool)),
        // Not machine renderings: the callers write these themselves.
        Format::Human | Format::Json => {}
    }
}

/// The repo a command works on: `dir` when given, else the nearest directory upward from the
/// current one that holds herald.toml, as a relative path (`.`, `..`, `../..`), else `.`. The
/// walk stops at the top of a git work tree (a directory holding `.git`), so a herald.toml
/// above the repository is never picked up.
fn repo_or_found(dir: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = dir {
        return dir;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return PathBuf::from(".");
    };
    for (ups, ancestor) in cwd.ancestors().enumerate() {
        if ancestor.join(herald_codegen::config::CONFIG_FILE).is_file() {
            return match ups {
                0 => PathBuf::from("."),
                n => std::iter::repeat_n("..", n).collect(),
            };
        }
        if ancestor.join(".git").exists() {
            break;
        }
    }
    PathBuf::from(".")
}

/// The root the loader uses for `input`: the directory itself, or a file's directory.
fn repo_root(input: &std::path::Path) -> PathBuf {
    if input.is_file() {
        match input.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        input.to_path_buf()
    }
}

#[derive(Subcommand)]
enum TopicsCommand {
    /// Print every declared topic with its partition count and sources (no broker needed).
    List {
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
    },
    /// Create the declared topics a Kafka cluster lacks, through the admin API (idempotent).
    /// Needs herald built with `--features kafka`.
    Apply {
        /// The schema repo. Default: the nearest directory upward from the current one that holds
        /// herald.toml (as cargo finds Cargo.toml), else `.`.
        dir: Option<PathBuf>,
        #[command(flatten)]
        options: TopicsApply,
    },
}

/// `KEY=VALUE`.
fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `SOURCE` or `SOURCE=Event1,Event2`.
fn parse_consume(text: &str) -> Result<(String, Vec<String>), String> {
    match text.split_once('=') {
        Some((source, events)) => Ok((
            source.to_owned(),
            events
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        None => Ok((text.to_owned(), Vec::new())),
    }
}

/// `--format` of `herald impact`.
#[derive(Clone, Copy, ValueEnum)]
enum ImpactFormat {
    Human,
    Json,
    Markdown,
}

/// `herald impact`: the repo loaded (its errors, if any, printed and exit 2), NAME found (else a
/// usage error with a suggestion), the report printed to stdout.
fn impact(name: &str, dir: &std::path::Path, format: ImpactFormat) -> ExitCode {
    let paths = PathDisplay { path_prefix: None };
    let set = match load_side(&Side::Path(dir.to_path_buf()), "repo", &paths, dir) {
        Ok(set) => set,
        Err(e) => {
            errln!("herald impact: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match herald_codegen::impact::report(&set, name) {
        Ok(r) => r,
        Err(e) => {
            errln!("herald impact: {e}");
            return ExitCode::from(2);
        }
    };
    match format {
        ImpactFormat::Human => out!("{}", report.human()),
        ImpactFormat::Json => outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        ImpactFormat::Markdown => out!("{}", report.markdown()),
    }
    ExitCode::SUCCESS
}

/// `--format` of `herald lint` and `herald check`: human (rustc-style, to stderr), JSON (each
/// command's own shape), and the shapes `herald_codegen::render` writes for both (Markdown: one
/// pull request comment).
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
    Sarif,
    Junit,
    Markdown,
}

/// Long because it is the table of commands: one arm per subcommand, each handing its parsed
/// arguments to the function that runs it.
fn main() -> ExitCode {
    // The proto front end reports a file missing from one include directory (the overlay, before
    // the repo) as an error value carrying a backtrace when RUST_BACKTRACE is set: one capture per
    // import resolved, 15% of a load's time, for messages herald never shows with a backtrace.
    // Panics still print theirs (RUST_LIB_BACKTRACE covers errors' backtraces only). Set before
    // any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = match cli.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never,
    };
    COLOR.store(color, Ordering::Relaxed);
    if !matches!(cli.command, Command::Lsp) {
        keep_freed_memory();
    }
    match cli.command {
        Command::Check {
            new,
            against,
            mode,
            categories,
            format,
            except,
            paths,
        } => check(
            &repo_or_found(new),
            against.as_deref(),
            mode.as_deref(),
            &categories,
            format,
            &except,
            &paths,
        ),
        Command::Fmt { paths, check, diff } => fmt::run(paths, check, diff),
        Command::Release { dir, against, strict } => release(&repo_or_found(dir), against.as_deref(), strict),
        Command::Init { dir } => init(&dir),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Written whole through out!, so that a closed pipe is quiet here too.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "herald", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            ExitCode::SUCCESS
        }
        Command::Topics { command } => match command {
            TopicsCommand::List { dir } => topics_list(&repo_or_found(dir)),
            TopicsCommand::Apply { dir, options } => topics_apply(&repo_or_found(dir), options),
        },
        Command::Lsp => ExitCode::from(herald_lsp::run_stdio()),
        Command::Impact { name, dir, format } => impact(&name, &repo_or_found(dir), format),
        Command::Rules => {
            for r in herald_codegen::compat::all_rules() {
                let cats = if r.categories.is_empty() {
                    "-".to_owned()
                } else {
                    r.categories.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")
                };
                outln!("{:<44} {:<6} {:<28} {}", r.id, r.format.name(), cats, r.purpose);
            }
            ExitCode::SUCCESS
        }
        Command::Generate {
            dir,
            out,
            produce,
            consume,
        } => generate(&repo_or_found(dir), &out, produce, consume),
        Command::Catalog {
            dir,
            out,
            templates,
            fresh,
        } => catalog(&repo_or_found(dir), &out, templates.as_deref(), fresh),
        Command::Lint {
            dir,
            format,
            rules,
            paths,
        } => {
            if rules {
                for r in lint::RULES {
                    outln!(
                        "{:<36} {:<7} {}",
                        r.id,
                        format!("{:?}", r.group).to_lowercase(),
                        r.purpose
                    );
                }
                return ExitCode::SUCCESS;
            }
            let dir = repo_or_found(dir);
            let mut report = lint::lint(&dir);
            paths.apply(&mut report.sources, &dir);
            match format {
                Format::Human => {
                    let text = render_human(&report.diagnostics, &report.sources);
                    err!("{text}");
                    let errors = report
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == herald_codegen::Severity::Error)
                        .count();
                    let warnings = report.diagnostics.len() - errors;
                    if report.diagnostics.is_empty() {
                        errln!("herald lint: {} is clean", dir.display());
                    } else {
                        errln!("herald lint: {errors} error(s), {warnings} warning(s)");
                    }
                }
                Format::Json => outln!("{}", render::json(&report.diagnostics, &report.sources)),
                Format::Github | Format::Sarif | Format::Junit | Format::Markdown => {
                    let tool = render::Tool {
                        command: "lint",
                        all_clear: "no problems",
                        version: env!("CARGO_PKG_VERSION"),
                    };
                    machine_report(format, &report.diagnostics, &report.sources, &paths, tool);
                }
            }
            ExitCode::from(report.exit_code() as u8)
        }
    }
}

fn generate(
    dir: &std::path::Path,
    out: &std::path::Path,
    produce: Vec<String>,
    consume: Vec<(String, Vec<String>)>,
) -> ExitCode {
    let loaded = match herald_codegen::load::load(dir) {
        Ok(l) => l,
        Err(u) => {
            err!("{}", render_from(&u.diagnostics, &u.sources, dir));
            return ExitCode::from(2);
        }
    };
    let set = loaded.set;
    let selection = if produce.is_empty() && consume.is_empty() {
        herald_codegen::rust::Selection::everything(&set)
    } else {
        herald_codegen::rust::Selection { produce, consume }
    };
    let released = match herald_codegen::lock::avro_writers(dir) {
        Ok(r) => r,
        Err(e) => {
            errln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (code, mut diags) = herald_codegen::rust::generate_with(&set, &selection, &released);
    diags.extend(
        loaded
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == herald_codegen::Severity::Error),
    );
    diagnostic::sort(&mut diags, &set.sources_map);
    err!("{}", render_from(&diags, &set.sources_map, dir));
    let Some(code) = code.filter(|_| !diags.iter().any(|d| d.severity == herald_codegen::Severity::Error)) else {
        return ExitCode::from(1);
    };
    // A directory: one that exists, or a path written with a trailing `/` or without a `.rs`
    // extension; it (or a file's parent) is created when missing.
    let is_dir = out.is_dir()
        || out.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
        || out.extension().is_none_or(|e| e != "rs");
    let path = if is_dir {
        out.join(herald_codegen::OUTPUT_FILE)
    } else {
        out.to_path_buf()
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            errln!("herald generate: cannot create {}: {e}", parent.display());
            return ExitCode::from(2);
        }
    }
    match std::fs::write(&path, code) {
        Ok(()) => {
            errln!("herald generate: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("herald generate: cannot write {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// `herald catalog`: loads the repo (errors are reported and nothing is written), reads its lock,
/// renders the site and writes it.
fn catalog(dir: &std::path::Path, out: &std::path::Path, templates: Option<&std::path::Path>, fresh: bool) -> ExitCode {
    if let Err(e) = herald_catalog::check_out(dir, out) {
        errln!("herald catalog: {e}");
        return ExitCode::from(2);
    }
    let templates = match herald_catalog::Templates::load(templates) {
        Ok(t) => t,
        Err(e) => {
            errln!("herald catalog: {e}");
            return ExitCode::from(2);
        }
    };
    // The lock (tens of megabytes of TOML with a long history) and the previous catalog's record
    // are read while the repo loads.
    let lock_path = repo_root(dir).join(herald_codegen::load::LOCK_FILE);
    let (loaded, lock, previous) = std::thread::scope(|s| {
        let lock = s.spawn(|| {
            let mut sources = herald_codegen::span::SourceMap::new();
            let lock = lock_path
                .is_file()
                .then(|| herald_codegen::lock::read(&lock_path, &mut sources));
            (lock, sources)
        });
        let previous = s.spawn(|| {
            if fresh {
                Ok(None)
            } else {
                herald_catalog::previous_record(out)
            }
        });
        let loaded = herald_codegen::load::load(dir);
        (loaded, lock.join(), previous.join())
    });
    let previous = match previous {
        Ok(Ok(record)) => record,
        Ok(Err(e)) => {
            errln!("herald catalog: {e}; rebuilding every released version");
            None
        }
        Err(_) => None,
    };
    let Ok((lock, lock_sources)) = lock else {
        errln!("herald catalog: reading {} failed", lock_path.display());
        return ExitCode::from(2);
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(u) => {
            err!("{}", render_from(&u.diagnostics, &u.sources, dir));
            return ExitCode::from(2);
        }
    };
    let errors: Vec<herald_codegen::Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == herald_codegen::Severity::Error)
        .collect();
    if !errors.is_empty() {
        err!("{}", render_from(&errors, &loaded.set.sources_map, dir));
        errln!("herald catalog: the repo has errors (above); nothing written");
        return ExitCode::from(1);
    }
    let lock = match lock {
        None => None,
        Some(Ok(l)) => Some(l),
        Some(Err(d)) => {
            err!("{}", render_from(&[*d], &lock_sources, dir));
            return ExitCode::from(1);
        }
    };
    let site = match herald_catalog::render_reusing(&loaded.set, lock.as_ref(), &templates, previous.as_ref()) {
        Ok(r) => r.site,
        Err(e) => {
            errln!("herald catalog: {e}");
            return ExitCode::from(1);
        }
    };
    match herald_catalog::write(&site, out) {
        Ok(()) => {
            errln!(
                "herald catalog: wrote {} files to {} (open {})",
                site.len(),
                out.display(),
                out.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("herald catalog: {e}");
            ExitCode::from(2)
        }
    }
}

/// `herald init`: writes the files, says what to do next.
fn init(dir: &std::path::Path) -> ExitCode {
    match herald_codegen::init::init(dir) {
        Ok(files) => {
            for f in &files {
                errln!("herald init: wrote {}", f.display());
            }
            errln!(
                "herald init: next, `herald lint {}`, then generate code from a build.rs with herald_codegen::Builder::new({:?})",
                dir.display(),
                dir.display().to_string()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("herald init: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage_error(message: String) -> ExitCode {
    errln!("herald check: {message}");
    ExitCode::from(2)
}

/// Loads a side of the check; errors in it are reported as that side's, each file shown as
/// if it had been loaded from `shown_as`.
fn load_side(
    side: &Side,
    what: &str,
    paths: &PathDisplay,
    shown_as: &std::path::Path,
) -> Result<herald_codegen::EventSet, String> {
    let loaded = match side {
        Side::Path(path) => herald_codegen::load::load(path),
        Side::Files(files) => herald_codegen::load::load_files(files),
    };
    match loaded {
        Ok(mut l) => {
            let errors: Vec<_> = l
                .diagnostics
                .iter()
                .filter(|d| d.severity == herald_codegen::Severity::Error)
                .cloned()
                .collect();
            if errors.is_empty() {
                Ok(l.set)
            } else {
                paths.apply(&mut l.set.sources_map, shown_as);
                err!("{}", render_human(&errors, &l.set.sources_map));
                Err(format!("the {what} schemas have errors (above); fix them first"))
            }
        }
        Err(mut u) => {
            paths.apply(&mut u.sources, shown_as);
            err!("{}", render_human(&u.diagnostics, &u.sources));
            Err(format!("cannot load the {what} `{}`", side.path().display()))
        }
    }
}

/// One side of a check: a directory or file on disk, or files held in memory (a git revision).
enum Side {
    Path(PathBuf),
    Files(herald_codegen::files::FileSet),
}

impl Side {
    fn path(&self) -> &std::path::Path {
        match self {
            Side::Path(p) => p,
            Side::Files(f) => f.root(),
        }
    }
}

/// `herald check`. Long because it is the command's edge: each argument validated with its own
/// did-you-mean message, then the run, then the output in the chosen format and the exit code.
fn check(
    new: &std::path::Path,
    against: Option<&str>,
    mode: Option<&str>,
    categories: &str,
    format: Format,
    except: &[String],
    paths: &PathDisplay,
) -> ExitCode {
    use herald_codegen::compat::{self, check::CheckOptions, Category};
    let mode = match mode {
        None => None,
        Some(m) => match herald_codegen::model::Mode::parse(&m.to_ascii_uppercase()) {
            Some(mode) => Some(mode),
            None => {
                let names = herald_codegen::model::Mode::ALL.map(|(n, _)| n);
                let hint = herald_codegen::suggest::did_you_mean(&m.to_ascii_uppercase(), names)
                    .map(|s| format!("{s} "))
                    .unwrap_or_default();
                return usage_error(format!(
                    "unknown --mode `{m}`; {hint}use one of {}",
                    herald_codegen::model::Mode::names()
                ));
            }
        },
    };
    let mut cats = Vec::new();
    for c in categories.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match Category::parse(&c.to_ascii_uppercase()) {
            Some(cat) => cats.push(cat),
            None => {
                let names = ["FILE", "PACKAGE", "WIRE_JSON", "WIRE"];
                let hint = herald_codegen::suggest::did_you_mean(&c.to_ascii_uppercase(), names)
                    .map(|s| format!("{s} "))
                    .unwrap_or_default();
                return usage_error(format!(
                    "unknown category `{c}`; {hint}use FILE, PACKAGE, WIRE_JSON or WIRE"
                ));
            }
        }
    }
    let mut excepted = Vec::new();
    for id in except {
        match compat::expand_rule(id) {
            Ok(rules) => excepted.extend(rules.into_iter().map(str::to_owned)),
            Err(help) => return usage_error(format!("unknown rule `{id}` in --except; {help}")),
        }
    }
    let options = CheckOptions {
        mode,
        categories: if cats.is_empty() {
            vec![Category::WireJson]
        } else {
            cats
        },
        except: excepted,
    };
    let against = match against {
        Some(a) => a.to_owned(),
        None if new.join(herald_codegen::lock::LOCK_FILE).is_file() => "lock".to_owned(),
        None => {
            return usage_error(
                "no baseline: pass --against DIR, --against git:REV, or release first to create herald.lock".into(),
            )
        }
    };
    let Checked {
        mut current,
        findings,
        mut baseline_sources,
        baseline_shown,
        ..
    } = match run_check(new, &against, &options, paths) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    paths.apply(&mut current.sources_map, new);
    if let Some(b) = &mut baseline_sources {
        paths.apply(b, &baseline_shown);
    }
    let empty = herald_codegen::span::SourceMap::new();
    match format {
        Format::Human => {
            let diags: Vec<_> = findings.iter().map(compat::check::to_diagnostic).collect();
            err!("{}", render_human(&diags, &current.sources_map));
            errln!("herald check: {}", check_summary(&findings));
            if let Some(line) = consumers_summary(&current, &findings) {
                errln!("herald check: {line}");
            }
        }
        Format::Json => {
            let report = compat::check::json_report(
                &findings,
                &current.sources_map,
                baseline_sources.as_ref().unwrap_or(&empty),
            );
            outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        Format::Github | Format::Sarif | Format::Junit | Format::Markdown => {
            let diags: Vec<_> = findings.iter().map(compat::check::to_diagnostic).collect();
            let tool = render::Tool {
                command: "check",
                all_clear: "no breaking changes",
                version: env!("CARGO_PKG_VERSION"),
            };
            machine_report(format, &diags, &current.sources_map, paths, tool);
            if let (Format::Markdown, Some(line)) = (format, consumers_summary(&current, &findings)) {
                outln!("\n{}", line.replacen("breaks consumers", "**Breaks consumers:**", 1));
            }
        }
    }
    if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `herald check`'s result before printing: the new side (file names still the repo's), the
/// findings, and the baseline's files (none for the lock) with the path to show them from.
struct Checked {
    current: herald_codegen::EventSet,
    findings: Vec<herald_codegen::compat::check::CheckFinding>,
    baseline_sources: Option<herald_codegen::span::SourceMap>,
    baseline_shown: PathBuf,
    /// Each event's versions in a baseline directory or revision (empty for the lock).
    baseline_versions: Vec<(String, String)>,
}

/// Loads `new` and the baseline `against` (`lock`, `git:REV`, or a path) and checks one against
/// the other. Problems loading either side are printed; `Err` says what failed.
fn run_check(
    new: &std::path::Path,
    against: &str,
    options: &herald_codegen::compat::check::CheckOptions,
    paths: &PathDisplay,
) -> Result<Checked, String> {
    use herald_codegen::compat;
    let lock_path = new.join(herald_codegen::lock::LOCK_FILE);
    // A git revision's files are read into memory; a baseline directory is read from disk.
    let baseline_side = if let Some(rev) = against.strip_prefix("git:") {
        Some(Side::Files(herald_codegen::baseline::git_files(new, rev)?))
    } else if against == "lock" {
        None
    } else {
        Some(Side::Path(PathBuf::from(&against)))
    };
    // Paths are shown relative to the current directory, as typed: a git baseline's files as the
    // new side's (same layout), a baseline directory's as its own.
    let baseline_shown = match &baseline_side {
        Some(Side::Path(p)) => p.clone(),
        _ => new.to_path_buf(),
    };
    let (baseline, current) = std::thread::scope(|scope| {
        let baseline = scope.spawn(|| {
            baseline_side
                .as_ref()
                .map(|side| load_side(side, "baseline", paths, &baseline_shown))
        });
        let current = load_side(&Side::Path(new.to_path_buf()), "new", paths, new);
        (
            baseline
                .join()
                .unwrap_or_else(|_| Some(Err("loading the baseline failed".to_owned()))),
            current,
        )
    });
    let current = current?;
    let mut baseline_versions = Vec::new();
    let (findings, baseline_sources) = match baseline {
        Some(Ok(baseline)) => {
            baseline_versions = baseline
                .events
                .iter()
                .map(|e| (e.name.clone(), e.version.to_string()))
                .collect();
            (
                compat::check::check(&baseline, &current, options),
                Some(baseline.sources_map),
            )
        }
        Some(Err(e)) => return Err(e),
        None => {
            let mut sources = herald_codegen::span::SourceMap::new();
            let lock = match herald_codegen::lock::read(&lock_path, &mut sources) {
                Ok(l) => l,
                Err(d) => {
                    paths.apply(&mut sources, new);
                    err!("{}", render_human(&[*d], &sources));
                    return Err(format!("cannot use {} as the baseline", lock_path.display()));
                }
            };
            (compat::check::check_against_lock(&lock, &current, options)?, None)
        }
    };
    Ok(Checked {
        current,
        findings,
        baseline_sources,
        baseline_shown,
        baseline_versions,
    })
}

/// The consumers the breaking findings reach, each with its owner from `herald.toml`
/// (`breaks consumers `a` (owner team-a), `b``), or `None` when they reach none.
fn consumers_summary(
    set: &herald_codegen::EventSet,
    findings: &[herald_codegen::compat::check::CheckFinding],
) -> Option<String> {
    let mut names: Vec<&str> = findings
        .iter()
        .filter(|f| herald_codegen::compat::check::is_breaking(f))
        .flat_map(|f| f.consumers.iter().flatten().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    let shown: Vec<String> = names
        .iter()
        .map(|n| match set.consumer_named(n).and_then(|c| c.owner.as_deref()) {
            Some(owner) => format!("`{n}` (owner {owner})"),
            None => format!("`{n}`"),
        })
        .collect();
    Some(format!("breaks consumers {}", shown.join(", ")))
}

/// The last line of `herald check`: breaking changes and versions not bumped counted apart.
fn check_summary(findings: &[herald_codegen::compat::check::CheckFinding]) -> String {
    let counts = herald_codegen::compat::check::counts(findings);
    let (breaking, not_bumped, warnings) = (counts.breaking, counts.not_bumped, counts.warnings);
    match (breaking, not_bumped) {
        (0, 0) => format!("no breaking changes ({warnings} warning(s))"),
        (_, 0) => format!("{breaking} breaking change(s), {warnings} warning(s)"),
        (0, _) => format!("no breaking changes, but {not_bumped} version(s) not bumped ({warnings} warning(s))"),
        _ => format!("{breaking} breaking change(s), {not_bumped} version(s) not bumped, {warnings} warning(s)"),
    }
}

/// `herald release`: checks the working tree against its baseline, then records every event's
/// current version in herald.lock. Long because it is a sequence of refusals a release must pass
/// (a baseline to check against, no breaking change, with `--strict` no uncommitted schema file), each printed with
/// its own message before the lock is written.
fn release(dir: &std::path::Path, against: Option<&str>, strict: bool) -> ExitCode {
    use herald_codegen::compat::check::CheckOptions;
    let fail = |code: u8, message: &str| {
        errln!("herald release: {message}");
        ExitCode::from(code)
    };
    let lock_path = dir.join(herald_codegen::lock::LOCK_FILE);
    // The baseline: --against, else the lock, else the last commit.
    let against = match against {
        Some(a) => Some(a.to_owned()),
        None if lock_path.is_file() => Some("lock".to_owned()),
        None if herald_codegen::baseline::has_head(&repo_root(dir)) => Some("git:HEAD".to_owned()),
        None => None,
    };
    let paths = PathDisplay { path_prefix: None };
    let mut baseline_versions = Vec::new();
    let current = match &against {
        Some(against) => {
            let checked = match run_check(dir, against, &CheckOptions::default(), &paths) {
                Ok(c) => c,
                Err(e) => return fail(2, &e),
            };
            baseline_versions = checked.baseline_versions;
            let (current, findings) = (checked.current, checked.findings);
            let mut shown = current.sources_map.clone();
            paths.apply(&mut shown, dir);
            let diags: Vec<_> = findings
                .iter()
                .map(herald_codegen::compat::check::to_diagnostic)
                .collect();
            err!("{}", render_human(&diags, &shown));
            if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) {
                return fail(
                    1,
                    &format!(
                        "refused: {} against {against}; a breaking change needs a new MAJOR, any change a new version",
                        check_summary(&findings)
                    ),
                );
            }
            errln!(
                "herald release: checked against {against}: {}",
                check_summary(&findings)
            );
            current
        }
        None => {
            errln!(
                "herald release: no {} and no git history to check against: this is the first release",
                herald_codegen::lock::LOCK_FILE
            );
            match load_side(&Side::Path(dir.to_path_buf()), "repo", &paths, dir) {
                Ok(s) => s,
                Err(e) => return fail(2, &e),
            }
        }
    };
    // Released files should be the committed ones: say which are not.
    if let Some(dirty) = herald_codegen::baseline::uncommitted_schema_files(&repo_root(dir)) {
        if !dirty.is_empty() {
            let shown: Vec<String> = dirty.iter().map(|p| herald_codegen::span::display_path(p)).collect();
            let what = format!("schema files with uncommitted changes: {}", shown.join(", "));
            if strict {
                return fail(1, &format!("refused (--strict): {what}; commit them first"));
            }
            errln!("herald release: warning: {what}; the release records them as they are now");
        }
    }
    let mut sources = herald_codegen::span::SourceMap::new();
    let mut lock = if lock_path.is_file() {
        match herald_codegen::lock::read(&lock_path, &mut sources) {
            Ok(l) => l,
            Err(d) => {
                paths.apply(&mut sources, dir);
                err!("{}", render_human(&[*d], &sources));
                return ExitCode::from(2);
            }
        }
    } else {
        herald_codegen::lock::Lock::default()
    };
    // Releases an older herald recorded get fingerprints that cover every type their event uses.
    let refingerprinted = match herald_codegen::lock::refingerprint(&mut lock) {
        Ok(updated) => updated,
        Err(e) => return fail(2, &e),
    };
    let before = lock.releases.clone();
    let added = match herald_codegen::lock::release(&current, &mut lock) {
        Ok(added) => added,
        Err(e) => return fail(2, &e),
    };
    if let Err(e) = herald_codegen::lock::write(&lock, &lock_path) {
        return fail(2, &e);
    }
    if !refingerprinted.is_empty() {
        errln!(
            "note: re-fingerprinted {} release(s) recorded by an older herald (fingerprint version {}: \
             every type an event uses, in any file)",
            refingerprinted.len(),
            herald_codegen::fingerprint::VERSION
        );
    }
    for r in &added {
        errln!(
            "released {} {}: {}",
            r.event,
            r.version,
            release_reason(r, &before, against.as_deref(), &baseline_versions)
        );
    }
    errln!(
        "herald release: {} new release(s), {} event(s) already released at their version, in {}",
        added.len(),
        current.events.len() - added.len(),
        herald_codegen::span::display_path(&lock_path)
    );
    ExitCode::SUCCESS
}

/// Why `r` is a new release, given the releases the lock had before.
fn release_reason(
    r: &herald_codegen::lock::Release,
    before: &[herald_codegen::lock::Release],
    against: Option<&str>,
    baseline_versions: &[(String, String)],
) -> String {
    let version = r.version();
    let mut earlier: Vec<&herald_codegen::lock::Release> = before.iter().filter(|b| b.event == r.event).collect();
    earlier.sort_by_key(|b| b.version());
    let same_major = earlier
        .iter()
        .rev()
        .find(|b| b.version().map(|v| v.major) == version.map(|v| v.major));
    let checked = against.map(|a| format!(", checked against {a}")).unwrap_or_default();
    match (same_major, earlier.last()) {
        (Some(prev), _) if against == Some("lock") => format!(
            "new MINOR after released {}, checked compatible with the lock",
            prev.version
        ),
        (Some(prev), _) => format!("new MINOR after released {}{checked}", prev.version),
        (None, Some(latest)) => format!(
            "new MAJOR alongside released {} (consumers of the old MAJOR keep it)",
            latest.version
        ),
        (None, None) => {
            let mut had: Vec<&str> = baseline_versions
                .iter()
                .filter(|(e, _)| *e == r.event)
                .map(|(_, v)| v.as_str())
                .collect();
            had.sort_unstable();
            match (had.as_slice(), against) {
                ([], _) | (_, None) => format!("first release of this event{checked}"),
                (had, Some(a)) if had.contains(&r.version.as_str()) => {
                    format!("first release of this event, unchanged since {a}")
                }
                (had, Some(a)) => format!(
                    "first release of this event; {a} had {}, checked compatible",
                    had.join(", ")
                ),
            }
        }
    }
}

/// The topics the repo at `dir` declares; `Err` is the exit code after the problem is printed.
fn declared_topics(dir: &std::path::Path) -> Result<Vec<herald_codegen::topics::DeclaredTopic>, ExitCode> {
    let (config, sources, diags) = match herald_codegen::load::load_config(dir) {
        Ok(c) => c,
        Err(u) => {
            err!("{}", render_from(&u.diagnostics, &u.sources, dir));
            return Err(ExitCode::from(2));
        }
    };
    let errors: Vec<_> = diags
        .into_iter()
        .filter(|d| d.severity == herald_codegen::Severity::Error)
        .collect();
    if !errors.is_empty() {
        err!("{}", render_from(&errors, &sources, dir));
        errln!(
            "herald topics: fix {} first",
            dir.join(herald_codegen::config::CONFIG_FILE).display()
        );
        return Err(ExitCode::from(2));
    }
    let Some(config) = config else {
        errln!(
            "herald topics: no {} in `{}`; topics are declared by its [sources.<name>] tables (`topic`, `partitions`)",
            herald_codegen::config::CONFIG_FILE,
            dir.display()
        );
        return Err(ExitCode::from(2));
    };
    herald_codegen::topics::declared(&config).map_err(|mut diags| {
        diagnostic::sort(&mut diags, &sources);
        err!("{}", render_from(&diags, &sources, dir));
        ExitCode::from(2)
    })
}

fn topics_list(dir: &std::path::Path) -> ExitCode {
    match declared_topics(dir) {
        Ok(topics) => {
            out!("{}", herald_codegen::topics::render_list(&topics));
            errln!("herald topics: {} topic(s) declared", topics.len());
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// The options of `herald topics apply`.
#[derive(Args)]
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
struct TopicsApply {
    /// The cluster (`bootstrap.servers`: `host:port[,host:port...]`).
    #[arg(long, value_name = "HOST:PORT")]
    bootstrap: String,
    /// Replication factor of created topics; the broker's default when absent.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    replication: Option<u32>,
    /// A librdkafka property (repeatable), e.g. `security.protocol=SASL_SSL`.
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_property)]
    config: Vec<(String, String)>,
    /// Read what exists and print what would change; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Grow a topic that has fewer partitions than declared (moves keys to other partitions).
    #[arg(long)]
    allow_partition_increase: bool,
    /// Seconds each request to the cluster may take.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

#[cfg(feature = "kafka")]
fn topics_apply(dir: &std::path::Path, args: TopicsApply) -> ExitCode {
    use herald_codegen::topics::Status;
    let declared = match declared_topics(dir) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let options = topics_apply::ApplyOptions {
        bootstrap: args.bootstrap,
        properties: args.config,
        replication: args.replication,
        allow_partition_increase: args.allow_partition_increase,
        dry_run: args.dry_run,
        timeout: std::time::Duration::from_secs(args.timeout),
    };
    let reports = match topics_apply::apply(&declared, &options) {
        Ok(r) => r,
        Err(e) => {
            errln!("herald topics apply: {e}");
            return ExitCode::from(2);
        }
    };
    for r in &reports {
        outln!("{r}");
    }
    let count = |f: fn(&Status) -> bool| reports.iter().filter(|r| f(&r.status)).count();
    let failed = count(|s| matches!(s, Status::Failed(_)));
    let summary = if args.dry_run {
        format!(
            "{} would be created, {} would grow, {} exist, {failed} error(s) (dry run, nothing changed)",
            count(|s| matches!(s, Status::WouldCreate)),
            count(|s| matches!(s, Status::WouldGrow { .. })),
            count(|s| matches!(s, Status::Exists)),
        )
    } else {
        format!(
            "{} created, {} grown, {} exist, {failed} error(s)",
            count(|s| matches!(s, Status::Created)),
            count(|s| matches!(s, Status::Grown { .. })),
            count(|s| matches!(s, Status::Exists)),
        )
    };
    errln!("herald topics apply: {summary}");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(not(feature = "kafka"))]
fn topics_apply(dir: &std::path::Path, _args: TopicsApply) -> ExitCode {
    // The repo is still checked, so a broken herald.toml is reported first.
    if let Err(code) = declared_topics(dir) {
        return code;
    }
    errln!(
        "herald topics apply: this herald was built without Kafka support; build it with \
         `--features kafka` (cargo install --path cli --features kafka, or \
         cargo run -p herald-cli --features kafka -- topics apply ...). \
         `herald topics list` prints the declared topics without a broker"
    );
    ExitCode::from(2)
}

#[cfg(test)]
mod allocator_tests {
    /// The option `keep_freed_memory` sets is the purge delay: the only one of mimalloc's options
    /// whose default is 1000 (ms).
    #[test]
    fn the_option_set_is_mimalloc_s_purge_delay() {
        // SAFETY: reads an option of the linked allocator.
        let default = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000);
    }
}
