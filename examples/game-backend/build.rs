fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .produce("user-service")
        .consume("user-service", ["UserUpdated"])
        .compile()?;
    Ok(())
}
