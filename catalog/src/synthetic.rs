//! A generated schema repo for tests and benchmarks: `events` proto events in `sources` sources
//! (the shape of `cargo xtask bench-check`'s files: a shared `Money`, a nested message, a map, a
//! repeated field), a consumer per source, and `versions` released MINOR versions of every event
//! in herald.lock, each adding a field.

use std::path::Path;

use herald_codegen::load::Lock;

/// The text of event `i` at MINOR version `v` in source `s`.
fn event_file(s: usize, i: usize, v: usize) -> String {
    let extra: String = (0..v).map(|n| format!("  string extra_{n} = {};\n", 20 + n)).collect();
    format!(
        "syntax = \"proto3\";\n\npackage bench.s{s}.e{i};\n\nimport \"herald/options.proto\";\nimport \"s{s}/common.proto\";\n\n// Something happened to entity {i}.\nmessage Thing{i}Happened {{\n  option (herald.event) = {{ version: \"1.{v}\", kind: EVENT, partition_key: \"entity_id\" }};\n\n  // The entity; the partition key.\n  string entity_id = 1;\n  int64 occurred_at = 2;\n  bench.s{s}.common.Money amount = 3;\n  repeated string tags = 4;\n  map<string, string> attributes = 5;\n  Nested nested = 9;\n{extra}  message Nested {{\n    string a = 1;\n    double b = 2;\n  }}\n}}\n"
    )
}

/// Writes the repo at version `v` of every event.
fn write_repo(dir: &Path, sources: usize, events: usize, v: usize) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write the synthetic repo in {}: {e}", dir.display());
    let mut toml = String::from("[repo]\nname = \"synthetic\"\ncompatibility = \"BACKWARD\"\n");
    for s in 0..sources {
        toml.push_str(&format!(
            "\n[sources.service-{s}]\ntopic = \"topic-{s}\"\npartitions = {}\nschemas = [\"s{s}/**/*.proto\"]\n",
            4 + s % 3
        ));
        std::fs::create_dir_all(dir.join(format!("s{s}"))).map_err(io)?;
        std::fs::write(
            dir.join(format!("s{s}/common.proto")),
            format!("syntax = \"proto3\";\npackage bench.s{s}.common;\n\n// An amount of money.\nmessage Money {{\n  string currency = 1;\n  int64 amount = 2;\n}}\n"),
        )
        .map_err(io)?;
    }
    for s in 0..sources {
        toml.push_str(&format!(
            "\n[consumers.consumer-{s}]\nevents = [\"service-{s}:*\"]\ngroup = \"group-{s}\"\nowner = \"team-{s}\"\n"
        ));
    }
    std::fs::write(dir.join("herald.toml"), toml).map_err(io)?;
    for i in 0..events {
        let s = i % sources.max(1);
        std::fs::write(dir.join(format!("s{s}/e{i}.proto")), event_file(s, i, v)).map_err(io)?;
    }
    Ok(())
}

/// Generates the repo in `dir` with `versions` releases of each event in its herald.lock (the
/// files left at the latest version).
pub fn generate(dir: &Path, sources: usize, events: usize, versions: usize) -> Result<(), String> {
    let mut lock = Lock::default();
    for v in 0..versions.max(1) {
        write_repo(dir, sources.max(1), events, v)?;
        let loaded = herald_codegen::load::load(dir).map_err(|_| "the synthetic repo does not load".to_owned())?;
        if let Some(d) = loaded
            .diagnostics
            .iter()
            .find(|d| d.severity == herald_codegen::Severity::Error)
        {
            return Err(format!("the synthetic repo has an error: {}", d.message));
        }
        herald_codegen::lock::release(&loaded.set, &mut lock)?;
    }
    herald_codegen::lock::write(&lock, &dir.join(herald_codegen::load::LOCK_FILE))
}
