//! `cargo xtask bench-fmt`: `herald fmt --check` against `buf format -d --exit-code` on the same
//! 1,000 proto files (bench-check's repo, plus its shared file), and `herald fmt --check` on 1,000
//! `.avsc` files (no peer: Avro has no reference formatter). Release herald; five runs each in the
//! same run, median wall time and peak RSS through GNU time.

use std::path::Path;

use crate::{measure, system, write_bench_protos};

pub fn run() -> Result<(), String> {
    system::install(system::BENCH)?;
    let root = Path::new("target/bench-fmt");
    let buf = crate::buf_peer()?;
    crate::run("cargo", &["build", "--release", "-p", "herald-cli", "--bin", "herald"])?;
    write_bench_protos(&root.join("proto/proto"), false)?;
    std::fs::write(root.join("proto/buf.yaml"), "version: v1\n").map_err(|e| e.to_string())?;
    write_bench_avro(&root.join("avro"))?;
    let herald = std::fs::canonicalize("target/release/herald").map_err(|e| e.to_string())?;
    let buf = std::fs::canonicalize(&buf).map_err(|e| e.to_string())?;

    let herald_proto = measure(&herald, &["fmt", "--check", "."], &root.join("proto"))?;
    let buf_proto = measure(&buf, &["format", "-d", "--exit-code", "."], &root.join("proto"))?;
    let herald_avro = measure(&herald, &["fmt", "--check", "."], &root.join("avro"))?;
    let mib = |kb: u64| kb as f64 / 1024.0;
    println!(
        "herald fmt --check, 1,001 proto files: {:.3} s, {:.0} MiB peak (exit {})",
        herald_proto.precise,
        mib(herald_proto.peak_kb),
        herald_proto.code
    );
    println!(
        "buf format -d --exit-code, same files:  {:.3} s, {:.0} MiB peak (exit {})",
        buf_proto.precise,
        mib(buf_proto.peak_kb),
        buf_proto.code
    );
    if herald_proto.code == 2 {
        println!("  herald could not format the proto files (exit 2): the proto figure means nothing yet");
    } else {
        println!(
            "  herald is {:.1}x faster and uses {:.0}% of buf's peak memory",
            buf_proto.precise / herald_proto.precise,
            100.0 * herald_proto.peak_kb as f64 / buf_proto.peak_kb as f64
        );
    }
    println!(
        "herald fmt --check, 1,000 .avsc files:  {:.3} s, {:.0} MiB peak (exit {}; every file needs formatting)",
        herald_avro.precise,
        mib(herald_avro.peak_kb),
        herald_avro.code
    );
    println!(
        "(GNU time's own wall times: herald proto {:.2} s, buf {:.2} s, herald avro {:.2} s)",
        herald_proto.secs, buf_proto.secs, herald_avro.secs
    );
    Ok(())
}

/// 1,000 `.avsc` records as a person might write them: compact, keys in no particular order,
/// a nested record, an enum, a union, a map and logical types, each about 1 KiB.
fn write_bench_avro(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for i in 0..1000 {
        let text = format!(
            concat!(
                r#"{{"name":"Thing{i}Happened","namespace":"bench.e{i}","type":"record","doc":"Something happened to entity {i}.","#,
                r#""herald":{{"version":"1.0","kind":"event","partitionKey":"entityId"}},"fields":["#,
                r#"{{"type":"string","name":"entityId","doc":"The entity."}},"#,
                r#"{{"name":"occurredAt","type":{{"logicalType":"timestamp-millis","type":"long"}}}},"#,
                r#"{{"name":"amount","type":{{"type":"record","name":"Money","fields":[{{"name":"currency","type":"string"}},{{"name":"units","type":{{"type":"bytes","logicalType":"decimal","precision":18,"scale":2}}}}]}}}},"#,
                r#"{{"name":"status","type":{{"symbols":["OPEN","CLOSED","UNKNOWN"],"name":"Status","type":"enum","default":"UNKNOWN"}},"default":"OPEN"}},"#,
                r#"{{"name":"tags","type":{{"type":"array","items":"string"}},"default":[]}},"#,
                r#"{{"name":"attributes","type":{{"values":"string","type":"map"}},"default":{{}}}},"#,
                r#"{{"name":"note","type":["null","string"],"default":null,"doc":"A free-form note, absent for most events, kept for the audit trail."}},"#,
                r#"{{"name":"ratio","type":"double","default":1.0}}]}}"#,
                "\n"
            ),
            i = i
        );
        std::fs::write(dir.join(format!("e{i}.avsc")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}
