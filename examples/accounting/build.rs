fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .produce("accounting")
        .consume("accounting", ["BankError"])
        .compile()?;
    Ok(())
}
