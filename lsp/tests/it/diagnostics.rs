//! Diagnostics: lint as `herald lint` gives it, compatibility against herald.lock, clearing.

use serde_json::json;

use crate::harness::{example_repo, find, path_of, repo, uri, Client};

fn codes(diags: &[lsp_types::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| match &d.code {
            Some(lsp_types::NumberOrString::String(s)) => s.clone(),
            _ => String::new(),
        })
        .collect()
}

#[test]
fn breaking_the_lock_shows_and_fixing_clears() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let original = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &original);
    assert_eq!(client.diagnostics_of(&uri), [], "the example repo is clean");
    assert_eq!(client.publishes.get(&uri), Some(&1));

    // `string user_id = 1;` becomes `int64 user_id = 1;`: a wire-incompatible type change.
    let (line, col) = find(&original, "string user_id = 1;");
    client.change(&uri, 2, [line, col, line, col + 6], "int64");
    let diags = client.diagnostics_of(&uri);
    assert!(!diags.is_empty(), "a finding");
    let finding = diags
        .iter()
        .find(|d| d.message.contains("against released 1.2"))
        .unwrap_or_else(|| panic!("a finding against the release: {diags:#?}"));
    assert_eq!(finding.severity, Some(lsp_types::DiagnosticSeverity::ERROR));
    assert_eq!(finding.range.start.line, line);
    assert_eq!(client.versions.get(&uri), Some(&Some(2)));

    client.change(&uri, 3, [line, col, line, col + 5], "string");
    assert_eq!(client.diagnostics_of(&uri), []);
    assert_eq!(client.stop(), 0);
}

/// The server keeps the lock it read while the file's metadata says it is unchanged: a lock that
/// had not changed for an hour, replaced on disk, is read again at the next change.
#[test]
fn a_lock_replaced_on_disk_is_read_again_at_the_next_change() {
    let dir = example_repo();
    let lock = dir.path().join("herald.lock");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .and_then(|f| f.set_modified(an_hour_ago))
        .expect("the lock's modification time set");
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let original = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &original);
    let breaking = original.replace("string user_id = 1;", "int64 user_id = 1;");
    client.change_full(&uri, 2, &breaking);
    let against = |diags: &[lsp_types::Diagnostic]| diags.iter().any(|d| d.message.contains("against released"));
    assert!(against(&client.diagnostics_of(&uri)), "the release is checked against");
    client.change_full(&uri, 3, &format!("// again\n{breaking}"));
    assert!(against(&client.diagnostics_of(&uri)), "and still is");
    // A lock without releases: nothing left to break.
    std::fs::write(&lock, "# herald.lock: every released version of every event.\n").expect("write");
    client.change_full(&uri, 4, &breaking);
    let diags = client.diagnostics_of(&uri);
    assert!(!against(&diags), "the old lock is still used: {diags:#?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn lint_diagnostics_are_herald_lints() {
    let dir = repo(&[(
        "a.proto",
        "syntax = \"proto3\";\npackage p;\nmessage bad_name { string x = 1; }\n",
    )]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "a.proto");
    let uri = client.open_file(&path);
    let diags = client.diagnostics_of(&uri);
    let report = herald_codegen::lint::lint(&dir.path().canonicalize().expect("canonical"));
    let expected: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.id).collect();
    assert!(!expected.is_empty());
    assert_eq!(codes(&diags), expected);
    assert_eq!(diags[0].source.as_deref(), Some("herald"));
    assert!(diags.iter().any(|d| d.range.start.line == 2));
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_shared_file_change_shows_on_the_files_using_it() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let common = path_of(dir.path(), "user/v1/common.proto");
    let created = path_of(dir.path(), "user/v1/user_created.proto");
    let text = std::fs::read_to_string(&common).expect("read");
    let common_uri = client.open(&common, &text);
    let created_uri = client.open_file(&created);
    assert_eq!(client.diagnostics_of(&created_uri), []);
    // Money disappears: user_created.proto no longer resolves it.
    let renamed = text.replace("message Money", "message Cash");
    client.change_full(&common_uri, 2, &renamed);
    let diags = client.diagnostics_of(&created_uri);
    assert!(diags.iter().any(|d| d.message.contains("Money")), "{diags:#?}");
    client.change_full(&common_uri, 3, &text);
    assert_eq!(client.diagnostics_of(&created_uri), []);
    assert_eq!(client.diagnostics_of(&common_uri), []);
    assert_eq!(client.stop(), 0);
}

#[test]
fn closing_restores_the_disk_copy_and_clears() {
    let dir = repo(&[(
        "a.proto",
        "syntax = \"proto3\";\npackage p;\nmessage A { string x = 1; }\n",
    )]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "a.proto");
    let a_uri = client.open(&path, "syntax = \"proto3\";\npackage p;\nmessage A { strin x = 1; }\n");
    assert!(!client.diagnostics_of(&a_uri).is_empty());
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": a_uri}}));
    assert_eq!(client.diagnostics_of(&a_uri), [], "cleared on close");
    // The disk copy is clean: another file opened sees no error from a.proto.
    let b = dir.path().join("b.proto");
    std::fs::write(
        &b,
        "syntax = \"proto3\";\npackage p;\nimport \"a.proto\";\nmessage B { A a = 1; }\n",
    )
    .expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&b), "type": 1}]}),
    );
    let b_uri = client.open_file(&path_of(dir.path(), "b.proto"));
    assert_eq!(client.diagnostics_of(&b_uri), []);
    assert_eq!(client.stop(), 0);
}

#[test]
fn watched_files_are_reloaded_from_disk() {
    let dir = repo(&[
        (
            "a.proto",
            "syntax = \"proto3\";\npackage p;\nmessage A { string x = 1; }\n",
        ),
        (
            "b.proto",
            "syntax = \"proto3\";\npackage p;\nimport \"a.proto\";\nmessage B { A a = 1; }\n",
        ),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let b_uri = client.open_file(&path_of(dir.path(), "b.proto"));
    assert_eq!(client.diagnostics_of(&b_uri), []);
    let a = path_of(dir.path(), "a.proto");
    std::fs::remove_file(&a).expect("remove");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&a), "type": 3}]}),
    );
    assert!(!client.diagnostics_of(&b_uri).is_empty(), "a.proto is gone");
    std::fs::write(&a, "syntax = \"proto3\";\npackage p;\nmessage A { string x = 1; }\n").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&a), "type": 1}]}),
    );
    assert_eq!(client.diagnostics_of(&b_uri), []);
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_plain_directory_without_herald_toml_is_served() {
    let dir = repo(&[(
        "x/a.proto",
        "syntax = \"proto3\";\npackage p;\nmessage A { strin x = 1; }\n",
    )]);
    let (mut client, _) = Client::start(None, false);
    let uri = client.open_file(&path_of(dir.path(), "x/a.proto"));
    let diags = client.diagnostics_of(&uri);
    assert!(!diags.is_empty());
    assert_eq!(client.stop(), 0);
}

#[test]
fn herald_toml_that_is_not_toml() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let proto_uri = client.open_file(&path_of(dir.path(), "user/v1/common.proto"));
    let toml_uri = client.open(&path_of(dir.path(), "herald.toml"), "[repo\nname = = 3\n\u{0}\u{1}");
    let diags = client.diagnostics_of(&toml_uri);
    assert!(!diags.is_empty(), "diagnostics on herald.toml");
    let _ = client.diagnostics_of(&proto_uri);
    let restored = std::fs::read_to_string(dir.path().join("herald.toml")).expect("read");
    client.change_full(&toml_uri, 2, &restored);
    assert_eq!(client.diagnostics_of(&toml_uri), []);
    assert_eq!(client.stop(), 0);
}

#[test]
fn other_files_are_not_analysed() {
    let dir = repo(&[
        ("a.proto", "syntax = \"proto3\";\npackage p;\nmessage A {}\n"),
        ("x.json", "{}"),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let json_uri = client.open_file(&path_of(dir.path(), "x.json"));
    client.change_full(&json_uri, 2, "{\"a\": 1}");
    let proto_uri = client.open_file(&path_of(dir.path(), "a.proto"));
    assert_eq!(client.diagnostics_of(&proto_uri), []);
    assert_eq!(client.publishes.get(&json_uri), None);
    assert!(client.logs.iter().all(|l| !l.contains("not open")), "{:?}", client.logs);
    assert_eq!(client.stop(), 0);
}

fn action_titles(actions: &serde_json::Value) -> Vec<String> {
    actions
        .as_array()
        .map(|a| a.iter().map(|x| x["title"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

fn whole(uri: &str) -> serde_json::Value {
    json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}},
        "context": {"diagnostics": []}})
}

#[test]
fn code_actions_bump_the_version_and_reserve_a_deleted_field() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let original = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &original);

    // A field added: compatible, but the version is not bumped.
    let added = original.replace(
        "map<string, string> attributes = 8;",
        "map<string, string> attributes = 8;\n  string note = 9;",
    );
    client.change_full(&uri, 2, &added);
    assert!(!client.diagnostics_of(&uri).is_empty());
    let actions = client.request("textDocument/codeAction", whole(&uri)).expect("actions");
    assert!(
        action_titles(&actions).contains(&"Bump acme.user.v1.UserUpdated to version 1.3".to_owned()),
        "{actions:#?}"
    );
    let bump = actions
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with("Bump")))
        .expect("bump");
    let edit = &bump["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "\"1.3\"");
    let (line, col) = find(&original, "\"1.2\"");
    assert_eq!(edit["range"]["start"], json!({"line": line, "character": col}));

    // A field deleted: breaking; reserve it, or bump the MAJOR.
    let deleted = original.replace("  map<string, string> attributes = 8;\n", "");
    client.change_full(&uri, 3, &deleted);
    let _ = client.diagnostics_of(&uri);
    let actions = client.request("textDocument/codeAction", whole(&uri)).expect("actions");
    let titles = action_titles(&actions);
    assert!(
        titles.contains(&"Reserve field number 8 and name \"attributes\"".to_owned()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Bump acme.user.v1.UserUpdated to version 2.0".to_owned()),
        "{titles:?}"
    );
    let reserve = actions
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with("Reserve")))
        .expect("reserve");
    let edit = &reserve["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "\n  reserved 8;\n  reserved \"attributes\";");
    let (line, col) = find(&deleted, "message UserUpdated {");
    assert_eq!(edit["range"]["start"], json!({"line": line, "character": col + 21}));

    // The reservation applied: no deletion finding left.
    let reserved = deleted.replacen(
        "message UserUpdated {",
        "message UserUpdated {\n  reserved 8;\n  reserved \"attributes\";",
        1,
    );
    client.change_full(&uri, 4, &reserved);
    let diags = client.diagnostics_of(&uri);
    assert!(
        diags
            .iter()
            .all(|d| d.code != Some(lsp_types::NumberOrString::String("FIELD_NO_DELETE".to_owned()))),
        "{diags:#?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn related_spans_are_related_information() {
    let dir = repo(&[
        ("a.proto", "syntax = \"proto3\";\npackage p;\nmessage A {}\n"),
        ("b.proto", "syntax = \"proto3\";\npackage p;\nmessage A {}\n"),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let a = client.open_file(&path_of(dir.path(), "a.proto"));
    let b = client.open_file(&path_of(dir.path(), "b.proto"));
    let mut all = client.diagnostics_of(&a);
    all.extend(client.diagnostics_of(&b));
    let related: Vec<_> = all
        .iter()
        .flat_map(|d| d.related_information.iter().flatten())
        .collect();
    assert!(!related.is_empty(), "{all:#?}");
    assert!(related
        .iter()
        .all(|r| [a.as_str(), b.as_str()].contains(&r.location.uri.as_str())));
    assert_eq!(client.stop(), 0);
}

/// `text` with an LSP text edit applied (ASCII text: UTF-16 positions are byte columns).
fn apply_edit(text: &str, edit: &serde_json::Value) -> String {
    let offset = |p: &serde_json::Value| {
        let line = p["line"].as_u64().expect("line") as usize;
        let character = p["character"].as_u64().expect("character") as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character
    };
    let (start, end) = (offset(&edit["range"]["start"]), offset(&edit["range"]["end"]));
    format!(
        "{}{}{}",
        &text[..start],
        edit["newText"].as_str().expect("newText"),
        &text[end..]
    )
}

fn code_of(d: &lsp_types::Diagnostic) -> String {
    match &d.code {
        Some(lsp_types::NumberOrString::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn code_actions_add_a_default_to_an_avro_field_added_without_one() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "accounting/account_closed.avsc");
    let fmt = |text: &str| herald_codegen::fmt::format(herald_codegen::model::Format::Avro, text).expect("formats");
    // In herald fmt's layout, which the fixes keep.
    let original = fmt(&std::fs::read_to_string(&path).expect("read"));
    let uri = client.open(&path, &original);
    let anchor =
        "      {\"name\": \"accountId\", \"type\": \"string\", \"doc\": \"The closed account; the partition key.\"},\n";
    assert!(original.contains(anchor));
    // Three fields added without a default: a string, a union with null last, an inline enum.
    let added = original.replace(
        anchor,
        &format!(
            "{anchor}      {{\"name\": \"reason\", \"type\": \"string\"}},\n      {{\"name\": \"note\", \"type\": [\"string\", \"null\"]}},\n      {{\n        \"name\": \"why\",\n        \"type\": {{\"type\": \"enum\", \"name\": \"Why\", \"symbols\": [\"ASKED\", \"FRAUD\"]}}\n      }},\n"
        ),
    );
    let mut text = fmt(&added);
    let mut version = 2;
    client.change_full(&uri, version, &text);
    let missing = |diags: &[lsp_types::Diagnostic]| {
        diags
            .iter()
            .filter(|d| code_of(d) == "AVRO_READER_FIELD_MISSING_DEFAULT")
            .count()
    };
    assert_eq!(missing(&client.diagnostics_of(&uri)), 3);
    let mut titles_seen = Vec::new();
    for wanted in [
        "Add default \"\" to field `reason`",
        "Make `null` the first branch of field `note` and default it to null",
        "Add default \"ASKED\" to field `why`",
    ] {
        let actions = client.request("textDocument/codeAction", whole(&uri)).expect("actions");
        let titles = action_titles(&actions);
        titles_seen.extend(titles.clone());
        let action = actions
            .as_array()
            .expect("array")
            .iter()
            .find(|a| a["title"] == wanted)
            .unwrap_or_else(|| panic!("`{wanted}` in {titles:?}"));
        let edits = action["edit"]["changes"][&uri].as_array().expect("edits");
        assert_eq!(edits.len(), 1);
        text = apply_edit(&text, &edits[0]);
        version += 1;
        client.change_full(&uri, version, &text);
    }
    assert!(
        titles_seen.contains(&"Add default \"\" to field `note`".to_owned()),
        "the first branch's default is offered too: {titles_seen:?}"
    );
    let diags = client.diagnostics_of(&uri);
    assert_eq!(missing(&diags), 0, "{diags:#?}");
    let codes: Vec<String> = diags.iter().map(code_of).collect();
    assert!(
        codes
            .iter()
            .all(|c| c == "EVENT_VERSION_NOT_BUMPED" || c == "EVENT_RELEASED_VERSION_EDITED"),
        "only the version is left to bump: {codes:?}\n{text}"
    );
    assert!(
        text.contains("{\"name\": \"reason\", \"type\": \"string\", \"default\": \"\"}"),
        "{text}"
    );
    assert!(
        text.contains("\"type\": [\"null\", \"string\"], \"default\": null"),
        "{text}"
    );
    assert_eq!(fmt(&text), text, "still in herald fmt's layout");
    assert_eq!(client.stop(), 0);
}
