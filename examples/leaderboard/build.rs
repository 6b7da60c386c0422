fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .consume("user-service", ["UserUpdated"])
        .compile()?;
    Ok(())
}
