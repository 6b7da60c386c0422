//! The `herald` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
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
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// A rule ID not to report (repeatable), besides herald.toml's `[check] except`.
        #[arg(long, value_name = "RULE")]
        except: Vec<String>,
    },
    /// Print every compatibility rule: ID, categories, purpose.
    Rules,
    /// Record the current version of every event in herald.lock, refusing when the check fails.
    Release {
        /// The schema repo.
        #[arg(default_value = ".")]
        dir: PathBuf,
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

#[derive(Subcommand)]
enum TopicsCommand {
    /// Print every declared topic with its partition count and sources (no broker needed).
    List {
        /// The schema repo.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Create the declared topics a Kafka cluster lacks, through the admin API (idempotent).
    /// Needs herald built with `--features kafka`.
    Apply {
        /// The schema repo.
        #[arg(default_value = ".")]
        dir: PathBuf,
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

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
    Github,
    Sarif,
    Junit,
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
            except,
        } => check(&new, against.as_deref(), mode.as_deref(), &categories, format, &except),
        Command::Release { dir } => release(&dir),
        Command::Init { dir } => init(&dir),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "herald", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Topics { command } => match command {
            TopicsCommand::List { dir } => topics_list(&dir),
            TopicsCommand::Apply { dir, options } => topics_apply(&dir, options),
        },
        Command::Rules => {
            for r in herald_codegen::compat::all_rules() {
                let cats = if r.categories.is_empty() {
                    "-".to_owned()
                } else {
                    r.categories.join(",")
                };
                println!("{:<44} {:<6} {:<28} {}", r.id, r.format, cats, r.purpose);
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
    let released = match herald_codegen::lock::avro_writers(dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
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
    eprint!("{}", diagnostic::render_human(&diags, &set.sources_map));
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
            eprintln!("herald generate: cannot create {}: {e}", parent.display());
            return ExitCode::from(2);
        }
    }
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

/// `herald init`: writes the files, says what to do next.
fn init(dir: &std::path::Path) -> ExitCode {
    match herald_codegen::init::init(dir) {
        Ok(files) => {
            for f in &files {
                eprintln!("herald init: wrote {}", f.display());
            }
            eprintln!(
                "herald init: next, `herald lint {}`, then generate code from a build.rs with herald_codegen::Builder::new({:?})",
                dir.display(),
                dir.display().to_string()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("herald init: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage_error(message: String) -> ExitCode {
    eprintln!("herald check: {message}");
    ExitCode::from(2)
}

/// Loads a side of the check; errors in it are reported as that side's.
fn load_side(path: &std::path::Path, what: &str) -> Result<herald_codegen::EventSet, String> {
    match herald_codegen::load::load(path) {
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
    }
}

fn check(
    new: &std::path::Path,
    against: Option<&str>,
    mode: Option<&str>,
    categories: &str,
    format: CheckFormat,
    except: &[String],
) -> ExitCode {
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
    let lock_path = new.join(herald_codegen::lock::LOCK_FILE);
    let against = match against {
        Some(a) => a.to_owned(),
        None if lock_path.is_file() => "lock".to_owned(),
        None => {
            return usage_error(
                "no baseline: pass --against DIR, --against git:REV, or release first to create herald.lock".into(),
            )
        }
    };
    // A git revision becomes a temporary directory holding that revision's files.
    let mut _git_dir = None;
    let baseline_path = if let Some(rev) = against.strip_prefix("git:") {
        match herald_codegen::baseline::git_tree(new, rev) {
            Ok((dir, path)) => {
                _git_dir = Some(dir);
                Some(path)
            }
            Err(e) => return usage_error(e),
        }
    } else if against == "lock" {
        None
    } else {
        Some(PathBuf::from(&against))
    };
    let (baseline, current) = std::thread::scope(|scope| {
        let baseline = scope.spawn(|| baseline_path.as_deref().map(|p| load_side(p, "baseline")));
        let current = load_side(new, "new");
        (
            baseline
                .join()
                .unwrap_or_else(|_| Some(Err("loading the baseline failed".to_owned()))),
            current,
        )
    });
    let current = match current {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let (findings, baseline_sources) = match baseline {
        Some(Ok(baseline)) => (
            compat::check::check(&baseline, &current, &options),
            Some(baseline.sources_map),
        ),
        Some(Err(e)) => return usage_error(e),
        None => {
            let mut sources = herald_codegen::span::SourceMap::new();
            let lock = match herald_codegen::lock::read(&lock_path, &mut sources) {
                Ok(l) => l,
                Err(d) => {
                    eprint!("{}", diagnostic::render_human(&[*d], &sources));
                    return usage_error(format!("cannot use {} as the baseline", lock_path.display()));
                }
            };
            match compat::check::check_against_lock(&lock, &current, &options) {
                Ok(f) => (f, None),
                Err(e) => return usage_error(e),
            }
        }
    };
    let empty = herald_codegen::span::SourceMap::new();
    match format {
        CheckFormat::Human => {
            let diags: Vec<_> = findings.iter().map(compat::check::to_diagnostic).collect();
            eprint!("{}", diagnostic::render_human(&diags, &current.sources_map));
            let errors = findings
                .iter()
                .filter(|f| f.severity == herald_codegen::Severity::Error)
                .count();
            let warnings = findings.len() - errors;
            if errors == 0 {
                eprintln!("herald check: no breaking changes ({warnings} warning(s))");
            } else {
                eprintln!("herald check: {errors} breaking change(s), {warnings} warning(s)");
            }
        }
        CheckFormat::Json => {
            let report = compat::check::json_report(
                &findings,
                &current.sources_map,
                baseline_sources.as_ref().unwrap_or(&empty),
            );
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        CheckFormat::Github => print!("{}", compat::check::github(&findings, &current.sources_map)),
        CheckFormat::Sarif => println!("{}", compat::report::sarif(&findings, &current.sources_map)),
        CheckFormat::Junit => println!("{}", compat::report::junit(&findings, &current.sources_map)),
    }
    if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn release(dir: &std::path::Path) -> ExitCode {
    use herald_codegen::compat::check::{check_against_lock, CheckOptions};
    let current = match load_side(dir, "repo") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("herald release: {e}");
            return ExitCode::from(2);
        }
    };
    let lock_path = dir.join(herald_codegen::lock::LOCK_FILE);
    let mut sources = herald_codegen::span::SourceMap::new();
    let mut lock = if lock_path.is_file() {
        match herald_codegen::lock::read(&lock_path, &mut sources) {
            Ok(l) => l,
            Err(d) => {
                eprint!("{}", diagnostic::render_human(&[*d], &sources));
                return ExitCode::from(2);
            }
        }
    } else {
        herald_codegen::lock::Lock::default()
    };
    let findings = match check_against_lock(&lock, &current, &CheckOptions::default()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("herald release: {e}");
            return ExitCode::from(2);
        }
    };
    let diags: Vec<_> = findings
        .iter()
        .map(herald_codegen::compat::check::to_diagnostic)
        .collect();
    eprint!("{}", diagnostic::render_human(&diags, &current.sources_map));
    if findings.iter().any(|f| f.severity == herald_codegen::Severity::Error) {
        eprintln!(
            "herald release: refused, {} breaking change(s) against {}",
            findings.len(),
            lock_path.display()
        );
        return ExitCode::from(1);
    }
    // Releases an older herald recorded get fingerprints that cover every type their event uses.
    let refingerprinted = match herald_codegen::lock::refingerprint(&mut lock) {
        Ok(updated) => updated,
        Err(e) => {
            eprintln!("herald release: {e}");
            return ExitCode::from(2);
        }
    };
    match herald_codegen::lock::release(&current, &mut lock) {
        Ok(added) => {
            if !refingerprinted.is_empty() {
                eprintln!(
                    "note: re-fingerprinted {} release(s) recorded by an older herald (fingerprint version {}: \
                     every type an event uses, in any file)",
                    refingerprinted.len(),
                    herald_codegen::fingerprint::VERSION
                );
            }
            if let Err(e) = herald_codegen::lock::write(&lock, &lock_path) {
                eprintln!("herald release: {e}");
                return ExitCode::from(2);
            }
            for r in &added {
                eprintln!("released {} {}", r.event, r.version);
            }
            eprintln!(
                "herald release: {} new release(s) in {}",
                added.len(),
                lock_path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("herald release: {e}");
            ExitCode::from(2)
        }
    }
}

/// The topics the repo at `dir` declares; `Err` is the exit code after the problem is printed.
fn declared_topics(dir: &std::path::Path) -> Result<Vec<herald_codegen::topics::DeclaredTopic>, ExitCode> {
    let (config, sources, diags) = match herald_codegen::load::load_config(dir) {
        Ok(c) => c,
        Err(u) => {
            eprint!("{}", diagnostic::render_human(&u.diagnostics, &u.sources));
            return Err(ExitCode::from(2));
        }
    };
    let errors: Vec<_> = diags
        .into_iter()
        .filter(|d| d.severity == herald_codegen::Severity::Error)
        .collect();
    if !errors.is_empty() {
        eprint!("{}", diagnostic::render_human(&errors, &sources));
        eprintln!(
            "herald topics: fix {} first",
            dir.join(herald_codegen::config::CONFIG_FILE).display()
        );
        return Err(ExitCode::from(2));
    }
    let Some(config) = config else {
        eprintln!(
            "herald topics: no {} in `{}`; topics are declared by its [sources.<name>] tables (`topic`, `partitions`)",
            herald_codegen::config::CONFIG_FILE,
            dir.display()
        );
        return Err(ExitCode::from(2));
    };
    herald_codegen::topics::declared(&config).map_err(|mut diags| {
        diagnostic::sort(&mut diags, &sources);
        eprint!("{}", diagnostic::render_human(&diags, &sources));
        ExitCode::from(2)
    })
}

fn topics_list(dir: &std::path::Path) -> ExitCode {
    match declared_topics(dir) {
        Ok(topics) => {
            print!("{}", herald_codegen::topics::render_list(&topics));
            eprintln!("herald topics: {} topic(s) declared", topics.len());
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
    use herald_codegen::topics::{self, Status};
    let declared = match declared_topics(dir) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let options = topics::ApplyOptions {
        bootstrap: args.bootstrap,
        properties: args.config,
        replication: args.replication,
        allow_partition_increase: args.allow_partition_increase,
        dry_run: args.dry_run,
        timeout: std::time::Duration::from_secs(args.timeout),
    };
    let reports = match topics::apply(&declared, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("herald topics apply: {e}");
            return ExitCode::from(2);
        }
    };
    for r in &reports {
        println!("{r}");
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
    eprintln!("herald topics apply: {summary}");
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
    eprintln!(
        "herald topics apply: this herald was built without Kafka support; build it with \
         `--features kafka` (cargo install --path codegen --features kafka, or \
         cargo run -p herald-codegen --features kafka --bin herald -- topics apply ...). \
         `herald topics list` prints the declared topics without a broker"
    );
    ExitCode::from(2)
}
