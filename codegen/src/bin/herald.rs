//! The `herald` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use herald_codegen::{diagnostic, lint};

#[derive(Parser)]
#[command(
    name = "herald",
    version,
    about = "Event schemas in, typed Rust and compatibility checks out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a schema repo for syntax, reference, metadata and style problems.
    Lint {
        /// The schema repo (directory with herald.toml) or any directory of .proto/.avsc files.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Print the table of lint rules and exit.
        #[arg(long)]
        rules: bool,
    },
    /// Check every schema change against a baseline: format rules, then herald's event rules.
    Check {
        /// The new schema repo, directory of schemas, or single file.
        #[arg(default_value = ".")]
        new: PathBuf,
        /// The baseline: a directory or file of the same kind.
        #[arg(long)]
        against: String,
        /// Compatibility mode for every event, overriding herald.toml.
        #[arg(long)]
        mode: Option<String>,
        /// buf categories for proto rules, comma-separated: FILE, PACKAGE, WIRE_JSON, WIRE.
        #[arg(long, default_value = "WIRE_JSON")]
        categories: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
    },
    /// Print every compatibility rule: ID, categories, purpose.
    Rules,
    /// Write the Rust code a build.rs would generate, for people who check generated code in.
    Generate {
        /// The schema repo.
        #[arg(default_value = ".")]
        dir: PathBuf,
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

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check {
            new,
            against,
            mode,
            categories,
            format,
        } => check(&new, &against, mode.as_deref(), &categories, format),
        Command::Rules => {
            for r in herald_codegen::compat::RULES {
                let cats: Vec<&str> = r.categories.iter().map(|c| c.name()).collect();
                println!("{:<44} proto  {:<28} {}", r.id, cats.join(","), r.purpose);
            }
            for (id, purpose) in herald_codegen::compat::check::EVENT_RULES {
                println!("{id:<44} event  {:<28} {purpose}", "-");
            }
            for (id, purpose) in herald_codegen::compat::avro::RULES {
                println!("{id:<44} avro   {:<28} {purpose}", "-");
            }
            ExitCode::SUCCESS
        }
        Command::Generate {
            dir,
            out,
            produce,
            consume,
        } => generate(&dir, &out, produce, consume),
        Command::Lint { dir, format, rules } => {
            if rules {
                for r in lint::RULES {
                    println!(
                        "{:<36} {:<7} {}",
                        r.id,
                        format!("{:?}", r.group).to_lowercase(),
                        r.purpose
                    );
                }
                return ExitCode::SUCCESS;
            }
            let report = lint::lint(&dir);
            match format {
                Format::Human => {
                    let text = diagnostic::render_human(&report.diagnostics, &report.sources);
                    eprint!("{text}");
                    let errors = report
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == herald_codegen::Severity::Error)
                        .count();
                    let warnings = report.diagnostics.len() - errors;
                    if report.diagnostics.is_empty() {
                        eprintln!("herald lint: {} is clean", dir.display());
                    } else {
                        eprintln!("herald lint: {errors} error(s), {warnings} warning(s)");
                    }
                }
                Format::Json => println!("{}", diagnostic::render_json(&report.diagnostics, &report.sources)),
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
            eprint!("{}", diagnostic::render_human(&u.diagnostics, &u.sources));
            return ExitCode::from(2);
        }
    };
    let set = loaded.set;
    let selection = if produce.is_empty() && consume.is_empty() {
        herald_codegen::rust::Selection::everything(&set)
    } else {
        herald_codegen::rust::Selection { produce, consume }
    };
    let (code, mut diags) = herald_codegen::rust::generate(&set, &selection);
    diags.extend(
        loaded
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == herald_codegen::Severity::Error),
    );
    diagnostic::sort(&mut diags, &set.sources_map);
    eprint!("{}", diagnostic::render_human(&diags, &set.sources_map));
    let Some(code) = code.filter(|_| !diags.iter().any(|d| d.severity == herald_codegen::Severity::Error)) else {
        return ExitCode::from(1);
    };
    let path = if out.is_dir() {
        out.join(herald_codegen::OUTPUT_FILE)
    } else {
        out.to_path_buf()
    };
    match std::fs::write(&path, code) {
        Ok(()) => {
            eprintln!("herald generate: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("herald generate: cannot write {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

fn usage_error(message: String) -> ExitCode {
    eprintln!("herald check: {message}");
    ExitCode::from(2)
}

fn check(new: &std::path::Path, against: &str, mode: Option<&str>, categories: &str, format: CheckFormat) -> ExitCode {
    use herald_codegen::compat::{self, check::CheckOptions, Category};
    let mode = match mode.map(|m| herald_codegen::model::Mode::parse(&m.to_ascii_uppercase())) {
        None => None,
        Some(Some(m)) => Some(m),
        Some(None) => {
            return usage_error(format!(
                "unknown --mode; use one of {}",
                herald_codegen::model::Mode::names()
            ))
        }
    };
    let mut cats = Vec::new();
    for c in categories.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match Category::parse(&c.to_ascii_uppercase()) {
            Some(cat) => cats.push(cat),
            None => return usage_error(format!("unknown category `{c}`; use FILE, PACKAGE, WIRE_JSON or WIRE")),
        }
    }
    if against == "lock" || against.starts_with("git:") {
        return usage_error(format!(
            "baseline `{against}` is not supported yet: pass a directory or file holding the baseline schemas"
        ));
    }
    let load = |path: &std::path::Path, what: &str| match herald_codegen::load::load(path) {
        Ok(l) => {
            let errors: Vec<_> = l
                .diagnostics
                .iter()
                .filter(|d| d.severity == herald_codegen::Severity::Error)
                .cloned()
                .collect();
            if errors.is_empty() {
                Ok(l.set)
            } else {
                eprint!("{}", diagnostic::render_human(&errors, &l.set.sources_map));
                Err(format!("the {what} schemas have errors (above); fix them first"))
            }
        }
        Err(u) => {
            eprint!("{}", diagnostic::render_human(&u.diagnostics, &u.sources));
            Err(format!("cannot load the {what} `{}`", path.display()))
        }
    };
    // Both sides load at once: they share nothing.
    let (baseline, current) = std::thread::scope(|scope| {
        let baseline = scope.spawn(|| load(std::path::Path::new(against), "baseline"));
        let current = load(new, "new");
        (
            baseline
                .join()
                .unwrap_or_else(|_| Err("loading the baseline failed".to_owned())),
            current,
        )
    });
    let baseline = match baseline {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let current = match current {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let options = CheckOptions {
        mode,
        categories: if cats.is_empty() {
            vec![Category::WireJson]
        } else {
            cats
        },
    };
    let findings = compat::check::check(&baseline, &current, &options);
    match format {
        CheckFormat::Human => {
            let diags: Vec<_> = findings.iter().map(compat::check::to_diagnostic).collect();
            eprint!("{}", diagnostic::render_human(&diags, &current.sources_map));
            if findings.is_empty() {
                eprintln!("herald check: no breaking changes");
            } else {
                eprintln!("herald check: {} breaking change(s)", findings.len());
            }
        }
        CheckFormat::Json => {
            let report = compat::check::json_report(&findings, &current.sources_map, &baseline.sources_map);
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        CheckFormat::Github => print!("{}", compat::check::github(&findings, &current.sources_map)),
    }
    if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
