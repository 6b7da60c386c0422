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
