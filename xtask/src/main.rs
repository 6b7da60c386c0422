//! Project automation for herald: `cargo xtask <task>`. Written in Rust so that it runs wherever
//! cargo does; `.ci/run` calls `cargo xtask ci`.

use std::process::{Command, ExitCode};

mod bench_fmt;
mod bench_lsp;
mod quickstart;
mod system;
#[cfg(test)]
mod tidy;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci      installs the system packages, then fmt check, clippy -D warnings, every test (what
          .ci/run runs)
  doctor  lists every external tool, system package and peer the build and tests use, and
          whether it is present
  quickstart  the README's quickstart: same files as examples/quickstart, builds and runs outside
          the workspace, a broken schema fails its build with located diagnostics (part of ci)
  peers   installs the peers the tests compare against (the Avro reference, buf, the Kafka
          broker and its S3 storage) and prints the variables that point the tests at them
  deps    installs the system packages the build and tests need (apt-get; the first step of ci)
  bench   the benchmarks (cargo bench), figures go in BENCHMARKS.md
  lint    herald lint on the example schema repo
  kafka-restart  the Kafka broker restarted while publishing (acks=all), on a durable broker
          (also part of ci)
  bench-check  herald check against buf breaking (npm @bufbuild/buf) on 1,000 proto files, 5% changed
  bench-fmt  herald fmt --check against buf format -d --exit-code on bench-check's 1,000 proto
          files, and herald fmt --check on 1,000 .avsc files
  bench-lsp  herald lsp against buf lsp serve: didChange → publishDiagnostics p50/p95 on 1,000
          proto files (both), on 1,000 events with herald.lock and on the example repo (herald)";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "doctor" => doctor(),
        "quickstart" => quickstart::run(),
        "peers" => peers(),
        "deps" => system::install(system::CI),
        "bench" => bench(),
        "bench-check" => bench_check(),
        "bench-fmt" => bench_fmt::run(),
        "bench-lsp" => bench_lsp::run(),
        "lint" => lint_schemas(),
        "kafka-restart" => kafka_restart(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result<(), String> {
    // Every system package first, before any build: a fresh machine has none of them.
    system::install(system::CI)?;
    doctor()?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    // The Kafka tests' crate (testing/kafka) builds librdkafka: linted with the Kafka feature
    // below, tested against the broker.
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--exclude",
            "herald-kafka-tests",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The Kafka transport, its benchmark and `herald topics apply` are behind a feature: lint
    // them too.
    run(
        "cargo",
        &[
            "clippy",
            "-p",
            "herald-runtime",
            "-p",
            "herald-runtime-bench",
            "-p",
            "herald-cli",
            "-p",
            "herald-kafka-tests",
            "--features",
            "herald-runtime/kafka,herald-runtime-bench/kafka,herald-cli/kafka",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The libraries' documentation builds without a broken link.
    run_with_env(
        "cargo",
        &[
            "doc",
            "--no-deps",
            "-p",
            "herald-codegen",
            "-p",
            "herald-runtime",
            "-p",
            "herald-catalog",
            "-p",
            "herald-lsp",
        ],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    let python = avro_reference()?;
    let buf = buf_peer()?;
    // A Kafka-protocol broker (tansu) for the Kafka transport's tests.
    with_broker(&[], || tests_with_broker(&python, &buf))?;
    // Integration test 6 of the Kafka issue: a broker restart (on durable storage) while
    // publishing with acks=all loses no acknowledged event.
    kafka_restart()?;
    // The example schema repo lints clean.
    lint_schemas()?;
    // The README's quickstart, built as a new service outside the workspace.
    quickstart::run()?;
    // Every example service runs end to end and checks what happened (the README's first command
    // is two of them).
    for example in EXAMPLES {
        run("cargo", &["run", "--quiet", "-p", example])?;
    }
    Ok(())
}

/// Installs every peer a test needs and says how to point the tests at them (`cargo xtask peers`):
/// the one command a failing peer test names outside CI.
fn peers() -> Result<(), String> {
    system::install(system::CI)?;
    let python = avro_reference()?;
    let buf = buf_peer()?;
    run("bash", &["scripts/broker.sh", "install"])?;
    println!("export HERALD_AVRO_PYTHON={python}");
    println!("export HERALD_BUF={buf}");
    println!("# a broker for the Kafka tests: bash scripts/broker.sh start (HERALD_KAFKA_BOOTSTRAP={KAFKA_BOOTSTRAP})");
    Ok(())
}

/// Lists the external tools, system packages and peers (`cargo xtask doctor`).
fn doctor() -> Result<(), String> {
    system::doctor()
}

/// Every test, the Kafka transport's and `herald topics apply`'s against the broker that
/// `scripts/broker.sh start` runs.
fn tests_with_broker(python: &str, buf: &str) -> Result<(), String> {
    run_with_env(
        "cargo",
        &["test", "--workspace", "--exclude", "herald-kafka-tests"],
        &[("HERALD_AVRO_PYTHON", python), ("HERALD_BUF", buf)],
    )?;
    run_with_env(
        "cargo",
        &["test", "-p", "herald-kafka-tests", "--test", "kafka"],
        &[("HERALD_KAFKA_BOOTSTRAP", KAFKA_BOOTSTRAP)],
    )?;
    run_with_env(
        "cargo",
        &[
            "test",
            "-p",
            "herald-cli",
            "--features",
            "kafka",
            "--test",
            "it",
            "topics_kafka",
        ],
        &[("HERALD_KAFKA_BOOTSTRAP", KAFKA_BOOTSTRAP)],
    )
}

/// The broker-restart test (testing/kafka/tests/kafka_restart.rs) against the durable broker that
/// `scripts/broker.sh start --durable` runs (tansu on S3 storage in a local S3 server), which the
/// test restarts itself; the broker and the S3 server are stopped whatever happens.
fn kafka_restart() -> Result<(), String> {
    with_broker(&["--durable"], || {
        run_with_env(
            "cargo",
            &["test", "-p", "herald-kafka-tests", "--test", "kafka_restart"],
            &[("HERALD_KAFKA_DURABLE_PORT", KAFKA_DURABLE_PORT)],
        )
    })
}

/// Installs and starts the broker of `scripts/broker.sh` (`mode`: nothing for the memory broker,
/// `--durable` for the one on S3 storage), runs `f`, and stops the broker whatever `f` did.
fn with_broker(mode: &[&str], f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    run("bash", &["scripts/broker.sh", "install"])?;
    run("bash", &[&["scripts/broker.sh", "start"][..], mode].concat())?;
    let result = f();
    let stopped = run("bash", &[&["scripts/broker.sh", "stop"][..], mode].concat());
    result.and(stopped)
}

/// `herald lint schemas`: the example schema repo.
fn lint_schemas() -> Result<(), String> {
    run(
        "cargo",
        &[
            "run",
            "--quiet",
            "-p",
            "herald-cli",
            "--bin",
            "herald",
            "--",
            "lint",
            "schemas",
        ],
    )
}

/// Where `scripts/broker.sh start` listens.
const KAFKA_BOOTSTRAP: &str = "127.0.0.1:9092";

/// The port `scripts/broker.sh start --durable` listens on (its default, said explicitly).
const KAFKA_DURABLE_PORT: &str = "29092";

/// Example services that `cargo run -p <name>` runs (they assert what they print).
const EXAMPLES: &[&str] = &["user-service", "leaderboard", "game-backend", "accounting"];

/// The benchmarks. The generation benchmark's peer (prost-build with protoc) needs Debian's
/// protobuf-compiler, installed here for the benchmark only: herald itself never needs protoc.
fn bench() -> Result<(), String> {
    system::install(system::CI)?;
    system::install(system::BENCH)?;
    run("cargo", &["bench", "--workspace"])?;
    // The Kafka transport against bare rdkafka, on the broker that `scripts/broker.sh start` runs.
    with_broker(&[], || {
        run(
            "cargo",
            &[
                "bench",
                "-p",
                "herald-runtime-bench",
                "--features",
                "kafka",
                "--bench",
                "kafka",
            ],
        )
    })
}

/// The Apache Avro reference checker (PyPI `avro`) in a venv under target/peers; returns its
/// python. Installed once; the test that compares against it fails without it.
fn avro_reference() -> Result<String, String> {
    let venv = std::path::Path::new("target/peers/avro-venv");
    let python = venv.join("bin/python");
    let has_avro = |py: &std::path::Path| {
        Command::new(py)
            .args(["-c", "import avro.compatibility"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_avro(&python) {
        std::fs::create_dir_all("target/peers").map_err(|e| e.to_string())?;
        run("python3", &["-m", "venv", "target/peers/avro-venv"])?;
        run(
            &python.display().to_string(),
            &["-m", "pip", "install", "--quiet", "avro==1.12.2"],
        )?;
    }
    // Not canonicalized: the venv's python is a symlink, and resolving it would leave the venv.
    let python = std::env::current_dir().map_err(|e| e.to_string())?.join(python);
    Ok(python.display().to_string())
}

/// buf (npm `@bufbuild/buf`, which ships its binary) under target/peers; returns its path.
fn buf_peer() -> Result<String, String> {
    let buf = std::path::Path::new("target/peers/node_modules/.bin/buf");
    let works = |b: &std::path::Path| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !works(buf) {
        std::fs::create_dir_all("target/peers").map_err(|e| e.to_string())?;
        run(
            "npm",
            &[
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                "target/peers",
                "@bufbuild/buf@1.75.0",
            ],
        )?;
    }
    let buf = std::env::current_dir().map_err(|e| e.to_string())?.join(buf);
    Ok(buf.display().to_string())
}

fn run_with_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("$ {} {program} {}", shown.join(" "), args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed with {status}", args.join(" ")))
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed with {status}", args.join(" ")))
    }
}

/// `herald check --categories WIRE_JSON` against `buf breaking` with the same category, on a
/// generated repo of 1,000 proto files where 5% changed; wall time (median of 5) and peak memory
/// of each, measured by GNU time in the same run. Long because it is a script read top to bottom:
/// generate both sides, run each tool five times, print the table.
fn bench_check() -> Result<(), String> {
    system::install(system::BENCH)?;
    let root = std::path::Path::new("target/bench-check");
    let peers = std::path::Path::new("target/peers");
    let buf = peers.join("node_modules/.bin/buf");
    if !buf.exists() {
        std::fs::create_dir_all(peers).map_err(|e| e.to_string())?;
        run(
            "npm",
            &[
                "install",
                "--silent",
                "--prefix",
                "target/peers",
                "@bufbuild/buf@1.75.0",
            ],
        )?;
    }
    run("cargo", &["build", "--release", "-p", "herald-cli", "--bin", "herald"])?;
    for side in ["old", "new"] {
        write_bench_protos(&root.join(side).join("proto"), side == "new")?;
        std::fs::write(
            root.join(side).join("buf.yaml"),
            "version: v1\nbreaking:\n  use:\n    - WIRE_JSON\n",
        )
        .map_err(|e| e.to_string())?;
    }
    let herald = std::fs::canonicalize("target/release/herald").map_err(|e| e.to_string())?;
    let buf = std::fs::canonicalize(&buf).map_err(|e| e.to_string())?;
    let measure = |program: &std::path::Path, args: &[&str], dir: &std::path::Path| {
        measure(program, args, dir).map(|m| (m.secs, m.peak_kb))
    };
    let (h_s, h_kb) = measure(
        &herald,
        &[
            "check",
            "new",
            "--against",
            "old",
            "--categories",
            "WIRE_JSON",
            "--format",
            "json",
        ],
        root,
    )?;
    let (b_s, b_kb) = measure(
        &buf,
        &["breaking", ".", "--against", "../old", "--error-format", "json"],
        &root.join("new"),
    )?;
    println!("herald check: {h_s:.2} s, {:.0} MiB peak", h_kb as f64 / 1024.0);
    println!("buf breaking: {b_s:.2} s, {:.0} MiB peak", b_kb as f64 / 1024.0);
    println!(
        "herald is {:.1}x faster and uses {:.0}% of buf's peak memory",
        b_s / h_s,
        100.0 * h_kb as f64 / b_kb as f64
    );
    Ok(())
}

/// What [`measure`] found.
struct Measured {
    /// Median wall time in seconds, as GNU time reports it (to 10 ms).
    secs: f64,
    /// Median wall time in seconds, timed around GNU time (to the microsecond, GNU time's own
    /// start-up included).
    precise: f64,
    /// Peak RSS in KiB over the runs.
    peak_kb: u64,
    /// The last run's exit code.
    code: i32,
}

/// Runs `program args` in `dir` five times under GNU time.
fn measure(program: &std::path::Path, args: &[&str], dir: &std::path::Path) -> Result<Measured, String> {
    let mut code = 0;
    let mut samples = Vec::new();
    let mut precise = Vec::new();
    let mut peak = 0;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let out = Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%e %M")
            .arg(program)
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("cannot run /usr/bin/time (apt-get install time): {e}"))?;
        precise.push(started.elapsed().as_secs_f64());
        code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        let mut parts = last.split_whitespace();
        let secs: f64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(format!("no timing in {last:?}"))?;
        let kb: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(format!("no memory in {last:?}"))?;
        samples.push(secs);
        peak = peak.max(kb);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    precise.sort_by(|a, b| a.total_cmp(b));
    Ok(Measured {
        secs: samples[samples.len() / 2],
        precise: precise[precise.len() / 2],
        peak_kb: peak,
        code,
    })
}

/// bench-check's 1,000 proto files (each importing `proto/common.proto`) in `dir`; with `changed`,
/// every 20th has a field deleted and a type changed.
fn write_bench_protos(dir: &std::path::Path, changed: bool) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("common.proto"),
        "syntax = \"proto3\";\npackage bench.common;\n\nmessage Money {\n  string currency = 1;\n  int64 amount = 2;\n}\n",
    )
    .map_err(|e| e.to_string())?;
    for i in 0..1000 {
        let fields = if changed && i % 20 == 0 {
            "  string entity_id = 1;\n  int32 occurred_at = 2;\n  bench.common.Money amount = 3;\n  map<string, string> attributes = 5;\n"
        } else {
            "  string entity_id = 1;\n  int64 occurred_at = 2;\n  bench.common.Money amount = 3;\n  repeated string tags = 4;\n  map<string, string> attributes = 5;\n"
        };
        let text = format!(
            "syntax = \"proto3\";\n\npackage bench.e{i};\n\nimport \"proto/common.proto\";\n\nmessage Thing{i}Happened {{\n{fields}  Nested nested = 9;\n  message Nested {{\n    string a = 1;\n    double b = 2;\n  }}\n}}\n"
        );
        std::fs::write(dir.join(format!("e{i}.proto")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// ARCHITECTURE.md's invariant: herald-codegen, every service's build-dependency, compiles no
    /// CLI dependency and no Kafka client (they are herald-cli's), and has no features that could
    /// add them.
    #[test]
    fn herald_codegen_compiles_no_cli_dependency() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = std::process::Command::new(cargo)
            .current_dir(&root)
            .args([
                "tree",
                "-p",
                "herald-codegen",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "-f",
                "{p} [{f}]",
            ])
            .output()
            .expect("run cargo tree");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
        for forbidden in [
            "clap",
            "clap_complete",
            "anstream",
            "rdkafka",
            "herald-runtime",
            "herald-cli",
            "herald-catalog",
            "handlebars",
        ] {
            assert!(
                !names.contains(&forbidden),
                "herald-codegen depends on {forbidden}:\n{tree}"
            );
        }
        let manifest = std::fs::read_to_string(root.join("codegen/Cargo.toml")).expect("read codegen/Cargo.toml");
        assert!(
            !manifest.lines().any(|l| l.trim() == "[features]"),
            "herald-codegen has features; a feature could give a build script a CLI dependency"
        );
    }
}
