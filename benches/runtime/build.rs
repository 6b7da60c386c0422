fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .produce("user-service")
        .produce("accounting")
        .consume("user-service", ["UserUpdated"])
        .compile()?;
    Ok(())
}
