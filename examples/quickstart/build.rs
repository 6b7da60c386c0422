fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("schemas") // the schema repo, relative to Cargo.toml
        .produce("orders") // this service publishes the orders source's events
        .consume("payments", ["PaymentReceived"]) // and subscribes to one event of payments
        .compile()?; // a broken schema fails the build with located diagnostics
    Ok(())
}
