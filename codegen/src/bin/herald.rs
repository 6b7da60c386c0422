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
                Format::Json => println!(
                    "{}",
                    diagnostic::render_json(&report.diagnostics, &report.sources)
                ),
            }
            ExitCode::from(report.exit_code() as u8)
        }
    }
}
