fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .produce("user-service")
        .consume("accounting", ["BankError"])
        .compile()?;
    Ok(())
}
