//! Project automation for herald: `cargo xtask <task>`. Written in Rust so that it runs wherever
//! cargo does; `.ci/run` calls `cargo xtask ci`.

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci      fmt check, clippy -D warnings, every test (what .ci/run runs)
  bench   the benchmarks (cargo bench), figures go in BENCHMARKS.md
  lint    herald lint on the example schema repo";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "lint" => run(
            "cargo",
            &[
                "run",
                "--quiet",
                "-p",
                "herald-codegen",
                "--bin",
                "herald",
                "--",
                "lint",
                "schemas",
            ],
        ),
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
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        "cargo",
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
    )?;
    run("cargo", &["test", "--workspace"])?;
    // The README's first command must keep working on the example repo.
    run(
        "cargo",
        &[
            "run",
            "--quiet",
            "-p",
            "herald-codegen",
            "--bin",
            "herald",
            "--",
            "lint",
            "schemas",
        ],
    )?;
    // Every example service runs end to end and checks what happened.
    for example in EXAMPLES {
        run("cargo", &["run", "--quiet", "-p", example])?;
    }
    Ok(())
}

/// Example services that `cargo run -p <name>` runs (they assert what they print).
const EXAMPLES: &[&str] = &["user-service", "leaderboard"];

/// The benchmarks. The generation benchmark's peer (prost-build with protoc) needs Debian's
/// protobuf-compiler, installed here for the benchmark only: herald itself never needs protoc.
fn bench() -> Result<(), String> {
    let has_protoc = Command::new("protoc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_protoc {
        run("apt-get", &["update", "-qq"])?;
        run("apt-get", &["install", "-y", "-qq", "protobuf-compiler"])?;
    }
    run("cargo", &["bench", "--workspace"])
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
