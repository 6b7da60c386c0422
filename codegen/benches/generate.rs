//! Code generation speed against the peer: prost-build driven by protoc on the same 1,000 proto
//! event files, in the same run. herald's figure is the whole job (load, type-check, generate
//! DTOs through prost-build's generator, add event impls, handlers and dispatchers, format);
//! the peer's is `prost_build::Config::compile_protos` (protoc parse + prost-build generation,
//! files written). Also: a build script's no-op rebuild (inputs unchanged: hashing only).
//!
//! Needs `protoc` on PATH (Debian's protobuf-compiler): `cargo xtask bench` installs it.
//! Run with `cargo bench -p herald-codegen --bench generate`.

mod common;

use std::path::{Path, PathBuf};

use divan::Bencher;

const EVENTS: usize = 1_000;

fn main() {
    divan::main();
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_proto_events_repo(dir.path(), EVENTS);
    dir
}

#[divan::bench(sample_count = 10)]
fn herald_generate_1000_events(bencher: Bencher) {
    let dir = repo();
    bencher.bench(|| {
        let loaded = herald_codegen::load::load(dir.path()).expect("loads");
        let selection = herald_codegen::rust::Selection::everything(&loaded.set);
        let (code, diags) = herald_codegen::rust::generate(&loaded.set, &selection);
        // Every event has a nested `Nested`: the shared name is re-exported for none (a warning).
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.severity == herald_codegen::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{:?}", errors.first());
        code
    });
}

/// The same output as the peer (the DTOs, formatted): load + prost-build's generator.
#[divan::bench(sample_count = 10)]
fn herald_dtos_only_1000_events(bencher: Bencher) {
    let dir = repo();
    bencher.bench(|| {
        let loaded = herald_codegen::load::load(dir.path()).expect("loads");
        let set = &loaded.set;
        let types: Vec<_> = set.events.iter().map(|e| &*set.types[e.type_id]).collect();
        let files = herald_codegen::rust::proto::files_for(set, &types);
        let mut diags = Vec::new();
        let code = herald_codegen::rust::proto::generate(set, &files, &mut diags);
        assert!(diags.is_empty());
        code
    });
}

#[divan::bench(sample_count = 10)]
fn prost_build_with_protoc_1000_events(bencher: Bencher) {
    let dir = repo();
    // protoc needs herald's options file on disk; herald itself never does.
    let include = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(include.path().join("herald")).expect("mkdir");
    std::fs::write(
        include.path().join("herald/options.proto"),
        herald_codegen::proto::OPTIONS_PROTO,
    )
    .expect("write");
    let files: Vec<PathBuf> = (0..EVENTS)
        .map(|i| dir.path().join(format!("proto/e{i}.proto")))
        .collect();
    let includes: [&Path; 2] = [dir.path(), include.path()];
    let out = tempfile::tempdir().expect("tempdir");
    bencher.bench(|| {
        prost_build::Config::new()
            .out_dir(out.path())
            .compile_protos(&files, &includes)
            .expect("protoc on PATH (apt-get install protobuf-compiler) and prost-build succeed");
    });
}

#[divan::bench(sample_count = 20)]
fn noop_rebuild_of_example_crate(bencher: Bencher) {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let out = tempfile::tempdir().expect("tempdir");
    let builder = herald_codegen::Builder::new(&schemas)
        .produce("user-service")
        .consume("accounting", ["BankError"])
        .out_dir(out.path())
        .cargo_instructions(false);
    builder.clone().compile().expect("first build generates");
    bencher.bench(|| builder.clone().compile().expect("cached"));
}
