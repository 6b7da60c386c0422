fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../codegen/tests/fixtures/codegen/odd")
        .produce("odd-names")
        .compile()?;
    Ok(())
}
