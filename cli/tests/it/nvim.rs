//! A real editor as `herald lsp`'s client: Neovim (Debian's `neovim`, installed by `cargo xtask
//! ci` like the other peers), headless, its built-in LSP client scripted in Lua (`nvim/client.lua`)
//! on a copy of the example repo: it opens a `.proto` and an `.avsc`, edits the first, waits for
//! the diagnostics, asks hover and definition, and writes the answers to a file read here.
//! Without Neovim this test fails, never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The nvim binary: `HERALD_NVIM`, else `nvim` on the PATH.
fn nvim() -> String {
    let nvim = std::env::var("HERALD_NVIM").unwrap_or_else(|_| "nvim".to_owned());
    let found = Command::new(&nvim)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "Neovim is not available ({nvim}); install it with `cargo xtask deps` (apt-get install neovim)"
    );
    nvim
}

#[test]
fn neovim_gets_diagnostics_hover_and_definitions() {
    let nvim = nvim();
    let dir = tempfile::tempdir().expect("tempdir");
    let repo: PathBuf = dir.path().join("repo");
    crate::common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"), &repo);
    let repo = repo.canonicalize().expect("canonical repo path");
    // A record of its own file naming one of account_closed.avsc's.
    std::fs::write(
        repo.join("accounting/ledger.avsc"),
        r#"{
  "type": "record",
  "name": "Ledger",
  "namespace": "acme.accounting",
  "fields": [{"name": "holder", "type": "acme.accounting.AccountHolder"}]
}
"#,
    )
    .expect("write ledger.avsc");
    let out = dir.path().join("answers.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/nvim/client.lua");
    let mut child = Command::new(&nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("HERALD_BIN", env!("CARGO_BIN_EXE_herald"))
        .env("HERALD_REPO", &repo)
        .env("HERALD_NVIM_OUT", &out)
        .current_dir(&repo)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("nvim ({status}) wrote no answers to {}: {e}", out.display()));
    let answers: Value = serde_json::from_str(&text).expect("answers are JSON");
    assert!(answers.get("error").is_none(), "the script failed: {answers:#}");

    // The edit's diagnostic, with the rule ID as its code.
    assert_eq!(answers["proto_diagnostic_seen"], true, "{answers:#}");
    let diagnostics = answers["proto_diagnostics"].as_array().expect("a list");
    let bad = diagnostics
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("bad_name")))
        .unwrap_or_else(|| panic!("no diagnostic about bad_name: {answers:#}"));
    assert!(bad["code"].as_str().is_some_and(|c| !c.is_empty()), "{bad}");

    // Hover on the event: its version and partition key.
    let hover = answers["proto_hover"].as_str().expect("hover text");
    assert!(
        hover.contains("UserCreated") && hover.contains("1.0") && hover.contains("user_id"),
        "{hover}"
    );

    // Definition of a type of an imported file.
    let def = &answers["proto_definition"];
    assert!(
        def["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("/user/v1/common.proto")),
        "{def}"
    );

    // An Avro reference across files: hover names it, definition jumps into the other file.
    let hover = answers["avsc_hover"].as_str().expect("hover text");
    assert!(hover.contains("acme.accounting.AccountHolder"), "{hover}");
    let def = &answers["avsc_definition"];
    assert!(
        def["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("/accounting/account_closed.avsc")),
        "{def}"
    );
}
