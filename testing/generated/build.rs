//! The same generated code as herald-runtime-bench's (benches/runtime/build.rs): the example
//! schema repo's user service and accounting events, with a `UserUpdated` handler.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    herald_codegen::Builder::new("../../schemas")
        .no_service() // a test crate, not a service: no [consumers] entry to keep true
        .produce("user-service")
        .produce("accounting")
        .consume("user-service", ["UserUpdated"])
        .compile()?;
    Ok(())
}
