use std::path::Path;

fn example() -> herald_catalog::Site {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let loaded = herald_codegen::load::load(&repo).expect("example loads");
    let mut sources = herald_codegen::span::SourceMap::new();
    let lock = herald_codegen::lock::read(&repo.join("herald.lock"), &mut sources).expect("lock");
    let templates = herald_catalog::Templates::load(None).expect("templates");
    herald_catalog::render(&loaded.set, Some(&lock), &templates).expect("renders")
}

#[test]
fn example_renders() {
    let site = example();
    for k in site.keys() {
        eprintln!("{k}");
    }
}
