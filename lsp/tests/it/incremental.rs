//! Incremental analysis and cancellation as an editor sees them: after a sequence of edits the
//! server's diagnostics are exactly those of a fresh server started on the final text; a flood of
//! changes ends with the diagnostics of the last text, cancels stale analyses, and never publishes
//! an older version after a newer one.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::harness::{example_repo, path_of, Client};
use crate::latency::generator;

/// Every diagnostic as text (range, code, severity, message, related), by URI, of the open files.
fn rendered(client: &mut Client, uris: &[String]) -> BTreeMap<String, Vec<String>> {
    client.sync();
    uris.iter()
        .map(|uri| {
            let diags = client.diagnostics.get(uri).cloned().unwrap_or_default();
            let text = diags
                .iter()
                .map(|d| serde_json::to_string(d).expect("serializes"))
                .collect();
            (uri.clone(), text)
        })
        .collect()
}

#[test]
fn after_a_sequence_of_edits_the_diagnostics_are_those_of_a_fresh_server() {
    let dir = example_repo();
    let root = dir.path();
    let updated = path_of(root, "user/v1/user_updated.proto");
    let common = path_of(root, "user/v1/common.proto");
    let bank = path_of(root, "accounting/bank_error.avsc");
    let read = |p: &Path| std::fs::read_to_string(p).expect("read");
    let (updated_text, common_text, bank_text) = (read(&updated), read(&common), read(&bank));

    let (mut client, _) = Client::start(Some(root), false);
    let files = [&updated, &common, &bank];
    let uris: Vec<String> = files.iter().map(|p| client.open(p, &read(p))).collect();
    let edits: Vec<(usize, String)> = vec![
        // A field removed: breaks compatibility with the lock.
        (0, updated_text.replace("  map<string, string> attributes = 8;\n", "")),
        // The shared file broken, then changed, then restored.
        (1, common_text.replace("message Money {", "message Money {{")),
        (
            1,
            common_text.replace("int64 amount_minor = 2;", "string amount_minor = 2;"),
        ),
        (0, updated_text.replace("version: \"1.2\"", "version: \"1.3\"")),
        (1, common_text.clone()),
        // An import removed, then a missing one.
        (0, updated_text.replace("import \"user/v1/common.proto\";\n", "")),
        (0, updated_text.replace("user/v1/common.proto", "user/v1/nowhere.proto")),
        (2, bank_text.replace("\"fields\"", "\"fieldz\"")),
        (
            0,
            updated_text.replace("string user_id = 1;", "string user_id = 1;\n  string extra = 9;"),
        ),
        (2, bank_text.clone()),
    ];
    let mut versions = [1, 1, 1];
    let mut finals: Vec<String> = files.iter().map(|p| read(p)).collect();
    for (file, text) in &edits {
        versions[*file] += 1;
        client.change_full(&uris[*file], versions[*file], text);
        client.wait_version(&uris[*file], versions[*file]);
        finals[*file] = text.clone();
    }
    let incremental = rendered(&mut client, &uris);
    assert_eq!(client.stop(), 0);

    let (mut fresh, _) = Client::start(Some(root), false);
    for (path, text) in files.iter().zip(&finals) {
        fresh.open(path, text);
    }
    let expected = rendered(&mut fresh, &uris);
    assert_eq!(fresh.stop(), 0);
    assert!(
        expected.values().any(|d| !d.is_empty()),
        "the final text has findings to compare: {expected:?}"
    );
    assert_eq!(incremental, expected);
}

#[test]
fn a_flood_of_changes_ends_with_the_last_texts_diagnostics_and_cancels_stale_analyses() {
    let dir = tempfile::tempdir().expect("tempdir");
    generator::write_proto_repo(dir.path(), 300);
    let common = path_of(dir.path(), "proto/common.proto");
    let text = std::fs::read_to_string(&common).expect("read");
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open(&common, &text);
    client.wait_version(&uri, 1);
    // Each change to the shared file re-checks all 300 files that import it; the changes come
    // faster than that.
    let last = 40;
    for version in 2..=last {
        let edited = match version % 3 {
            0 => text.replace("int64 amount = 2;", "int64 amount = 2;\n  string note = 3;"),
            1 => text.replace("message Money {", "message Money {{"),
            _ => format!("// edit {version}\n{text}"),
        };
        client.change_full(&uri, version, &edited);
        std::thread::sleep(Duration::from_millis(3));
    }
    // The last text: a syntax error at a known place.
    let broken = text.replace("string currency = 1;", "string currency = ;");
    client.change_full(&uri, last + 1, &broken);
    client.wait_version(&uri, last + 1);
    let stats = client.request("herald/stats", json!({})).expect("stats");
    let diagnostics = client.diagnostics_of(&uri);
    assert!(
        diagnostics.iter().any(
            |d| d.code == Some(lsp_types::NumberOrString::String("PROTO_SYNTAX".to_owned())) && d.range.start.line == 5
        ),
        "{diagnostics:?}"
    );
    // Never an older version after a newer one.
    let published: Vec<i32> = client
        .history
        .iter()
        .filter(|(u, _)| *u == uri)
        .filter_map(|(_, v)| *v)
        .collect();
    assert!(
        published.windows(2).all(|w| w[0] < w[1]),
        "versions published out of order: {published:?}"
    );
    assert_eq!(published.last(), Some(&(last + 1)));
    assert!(
        published.len() < usize::try_from(last).expect("small"),
        "every change was analysed to the end: {published:?}"
    );
    assert!(
        stats["cancelled"].as_u64().is_some_and(|n| n >= 1),
        "no analysis was cancelled: {stats}"
    );
    assert_eq!(client.stop(), 0);
}
