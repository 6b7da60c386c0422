//! Symbols, hover, definition, references, formatting.

use serde_json::{json, Value};

use crate::harness::{example_repo, find, path_of, repo, uri, Client};

fn names(symbols: &Value) -> Vec<String> {
    symbols
        .as_array()
        .map(|a| a.iter().map(|s| s["name"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn proto_document_symbols_are_hierarchical() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open_file(&path_of(dir.path(), "user/v1/user_updated.proto"));
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    assert_eq!(names(&symbols), ["UserUpdated"]);
    let children = names(&symbols[0]["children"]);
    assert!(children.contains(&"user_id".to_owned()), "{children:?}");
    assert!(children.contains(&"ChangeKind".to_owned()), "{children:?}");
    assert!(children.contains(&"Suspension".to_owned()), "{children:?}");
    let change_kind = symbols[0]["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|s| s["name"] == "ChangeKind")
        .expect("ChangeKind");
    assert_eq!(change_kind["kind"], 10, "enum");
    assert_eq!(names(&change_kind["children"])[0], "CHANGE_KIND_UNSPECIFIED");
    assert_eq!(client.stop(), 0);
}

#[test]
fn proto_services_and_rpcs() {
    let dir = repo(&[(
        "s.proto",
        "syntax = \"proto3\";\npackage p;\nmessage R {}\nservice S {\n  rpc Get(R) returns (R);\n}\n",
    )]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open_file(&path_of(dir.path(), "s.proto"));
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    assert_eq!(names(&symbols), ["R", "S"]);
    assert_eq!(names(&symbols[1]["children"]), ["Get"]);
    assert_eq!(client.stop(), 0);
}

#[test]
fn avro_document_symbols() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open_file(&path_of(dir.path(), "accounting/account_closed.avsc"));
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    assert_eq!(names(&symbols), ["AccountHolder", "AccountClosed"]);
    assert_eq!(names(&symbols[0]["children"]), ["holderId", "fullName", "emails"]);
    assert_eq!(client.stop(), 0);
}

#[test]
fn workspace_symbols_by_substring() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    client.open_file(&path_of(dir.path(), "user/v1/common.proto"));
    let symbols = client
        .request("workspace/symbol", json!({"query": "acCOUNT"}))
        .expect("symbols");
    let mut found = names(&symbols);
    found.sort();
    assert!(found.contains(&"acme.accounting.AccountClosed".to_owned()), "{found:?}");
    assert!(found.contains(&"acme.accounting.DeleteAccount".to_owned()), "{found:?}");
    assert!(found.iter().all(|n| n.to_lowercase().contains("account")), "{found:?}");
    let all = names(
        &client
            .request("workspace/symbol", json!({"query": ""}))
            .expect("symbols"),
    );
    assert!(all.contains(&"acme.user.v1.Money".to_owned()));
    assert!(
        all.iter().all(|n| !n.starts_with("herald.")),
        "no built-in types: {all:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_on_an_event() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    let (line, col) = find(&text, "UserUpdated {");
    let hover = client
        .position("textDocument/hover", &uri, line, col + 2)
        .expect("hover");
    let value = hover["contents"]["value"].as_str().expect("markdown");
    for part in [
        "message acme.user.v1.UserUpdated",
        "EVENT",
        "version 1.2",
        "partition key: `user_id`",
        "source: `user-service`, topic `user-service`",
        "released: 1.2",
        "Published whenever a player's account changes.",
        "compatible with the latest release, 1.2",
    ] {
        assert!(value.contains(part), "`{part}` in {value}");
    }

    // `string user_id = 1;` becomes `int64 user_id = 1;`: the hover names the first finding.
    let (tl, tc) = find(&text, "string user_id = 1;");
    client.change(&uri, 2, [tl, tc, tl, tc + 6], "int64");
    let diags = client.diagnostics_of(&uri);
    let first = diags
        .iter()
        .find(|d| d.message.contains("against released 1.2"))
        .unwrap_or_else(|| panic!("a finding: {diags:#?}"));
    let Some(lsp_types::NumberOrString::String(rule)) = &first.code else {
        panic!("a rule ID: {first:#?}")
    };
    let hover = client
        .position("textDocument/hover", &uri, line, col + 2)
        .expect("hover");
    let value = hover["contents"]["value"].as_str().expect("markdown");
    assert!(
        value.contains(&format!("**not compatible** with the latest release, 1.2: `{rule}`")),
        "{value}"
    );
    assert!(value.contains("user_id"), "the finding's message: {value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn definition_of_a_proto_type_across_imports_and_of_an_import() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_created.proto");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    let (line, col) = find(&text, "Money starting_balance");
    let def = client
        .position("textDocument/definition", &uri, line, col + 1)
        .expect("definition");
    let common = path_of(dir.path(), "user/v1/common.proto");
    assert_eq!(def["uri"], crate::harness::uri(&common));
    let common_text = std::fs::read_to_string(&common).expect("read");
    let (def_line, _) = find(&common_text, "message Money");
    assert_eq!(def["range"]["start"]["line"], def_line);

    let (line, col) = find(&text, "user/v1/common.proto");
    let def = client
        .position("textDocument/definition", &uri, line, col + 3)
        .expect("definition");
    assert_eq!(def["uri"], crate::harness::uri(&common));

    // partition_key's value → the field.
    let (line, col) = find(&text, "\"user_id\" }");
    let def = client
        .position("textDocument/definition", &uri, line, col + 2)
        .expect("definition");
    let (field_line, _) = find(&text, "string user_id = 1;");
    assert_eq!(def["uri"], uri);
    assert_eq!(def["range"]["start"]["line"], field_line);
    assert_eq!(client.stop(), 0);
}

#[test]
fn definition_of_an_avro_type_in_another_file_and_references() {
    let dir = repo(&[
        (
            "holder.avsc",
            r#"{"type": "record", "name": "Holder", "namespace": "x", "fields": [{"name": "id", "type": "string"}]}"#,
        ),
        (
            "closed.avsc",
            "{\"type\": \"record\", \"name\": \"Closed\", \"namespace\": \"x\", \"fields\": [\n  {\"name\": \"holder\", \"type\": \"x.Holder\"},\n  {\"name\": \"other\", \"type\": [\"null\", \"Holder\"], \"default\": null}\n]}",
        ),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "closed.avsc");
    let text = std::fs::read_to_string(&path).expect("read");
    let closed = client.open(&path, &text);
    assert_eq!(client.diagnostics_of(&closed), []);
    let holder = uri(&path_of(dir.path(), "holder.avsc"));
    let (line, col) = find(&text, "x.Holder");
    let def = client
        .position("textDocument/definition", &closed, line, col + 3)
        .expect("definition");
    assert_eq!(def["uri"], holder);
    let (line, col) = find(&text, "\"Holder\"]");
    let def = client
        .position("textDocument/definition", &closed, line, col + 2)
        .expect("definition");
    assert_eq!(def["uri"], holder);

    let refs = client
        .position("textDocument/references", &closed, line, col + 2)
        .expect("references");
    let refs = refs.as_array().expect("array");
    assert_eq!(refs.len(), 3, "the definition and two uses: {refs:#?}");
    assert_eq!(refs[0]["uri"], holder);
    assert_eq!(client.stop(), 0);
}

#[test]
fn formatting_returns_what_fmt_format_gives() {
    let text = "syntax = \"proto3\";\npackage p;\nmessage   A {string x=1;}\n";
    let dir = repo(&[("a.proto", text)]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open_file(&path_of(dir.path(), "a.proto"));
    let answer = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    match herald_codegen::fmt::format(herald_codegen::model::Format::Proto, text) {
        Ok(formatted) => {
            let edits = answer.expect("edits");
            assert_eq!(edits[0]["newText"], formatted);
            assert_eq!(edits[0]["range"]["start"], json!({"line": 0, "character": 0}));
            assert_eq!(edits[0]["range"]["end"], json!({"line": 3, "character": 0}));
        }
        Err(e) => {
            let error = answer.expect_err("the formatter's error");
            assert_eq!(error.message, e.message);
        }
    }
    assert_eq!(client.stop(), 0);
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|a| a.iter().map(|i| i["label"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn completion_in_proto_avro_and_herald_toml() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_created.proto");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    let (line, col) = find(&text, "Money starting_balance");
    let items = labels(
        &client
            .position("textDocument/completion", &uri, line, col)
            .expect("items"),
    );
    for want in ["Money", "Profile", "SignupMethod", "int64", "string"] {
        assert!(items.contains(&want.to_owned()), "{want} in {items:?}");
    }
    assert!(
        !items.iter().any(|i| i.starts_with("acme.accounting")),
        "no Avro types: {items:?}"
    );
    let (line, col) = find(&text, "kind: EVENT");
    let items = labels(
        &client
            .position("textDocument/completion", &uri, line, col + 6)
            .expect("items"),
    );
    assert_eq!(items, ["EVENT", "COMMAND"]);

    let avsc = path_of(dir.path(), "accounting/account_closed.avsc");
    let avsc_uri = client.open_file(&avsc);
    let items = labels(
        &client
            .position("textDocument/completion", &avsc_uri, 5, 0)
            .expect("items"),
    );
    for want in [
        "acme.accounting.AccountHolder",
        "acme.accounting.BankError",
        "long",
        "timestamp-millis",
    ] {
        assert!(items.contains(&want.to_owned()), "{want} in {items:?}");
    }
    let toml_uri = client.open_file(&path_of(dir.path(), "herald.toml"));
    let items = labels(
        &client
            .position("textDocument/completion", &toml_uri, 0, 0)
            .expect("items"),
    );
    assert!(items.contains(&"compatibility".to_owned()) && items.contains(&"[sources.NAME]".to_owned()));
    assert!(items.contains(&"[lsp]".to_owned()) && items.contains(&"baseline".to_owned()));
    assert_eq!(client.stop(), 0);
}

#[test]
fn rename_a_proto_type_across_files_warns_for_released_events() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let common = path_of(dir.path(), "user/v1/common.proto");
    let text = std::fs::read_to_string(&common).expect("read");
    let uri_common = client.open(&common, &text);
    let (line, col) = find(&text, "Money {");
    let edit = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri_common}, "position": {"line": line, "character": col + 1}, "newName": "Cash"}),
        )
        .expect("edit");
    let changes = edit["changes"].as_object().expect("changes");
    let created = uri(&path_of(dir.path(), "user/v1/user_created.proto"));
    assert_eq!(changes[&uri_common].as_array().expect("edits").len(), 1);
    assert_eq!(
        changes[&uri_common][0]["range"]["start"],
        json!({"line": line, "character": col})
    );
    assert!(changes.contains_key(&created), "{changes:?}");
    assert!(changes
        .values()
        .flat_map(|e| e.as_array().into_iter().flatten())
        .all(|e| e["newText"] == "Cash"));
    let error = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri_common}, "position": {"line": line, "character": col + 1}, "newName": "no way"}),
        )
        .expect_err("invalid name");
    assert!(error.message.contains("not a valid type name"));

    // UserUpdated is released: the rename warns.
    let updated = path_of(dir.path(), "user/v1/user_updated.proto");
    let text = std::fs::read_to_string(&updated).expect("read");
    let uri_updated = client.open(&updated, &text);
    let (line, col) = find(&text, "UserUpdated {");
    client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri_updated}, "position": {"line": line, "character": col + 1}, "newName": "UserChanged"}),
        )
        .expect("edit");
    assert!(
        client
            .messages
            .iter()
            .any(|m| m.contains("released event") && m.contains("1.2")),
        "{:?}",
        client.messages
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn rename_an_avro_type_across_files() {
    let dir = repo(&[
        (
            "holder.avsc",
            r#"{"type": "record", "name": "Holder", "namespace": "x", "fields": [{"name": "id", "type": "string"}]}"#,
        ),
        (
            "closed.avsc",
            r#"{"type": "record", "name": "Closed", "namespace": "x", "fields": [{"name": "holder", "type": "x.Holder"}, {"name": "Holder", "type": ["null", "Holder"], "default": null}]}"#,
        ),
    ]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let holder = path_of(dir.path(), "holder.avsc");
    let holder_uri = client.open_file(&holder);
    let edit = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": holder_uri}, "position": {"line": 0, "character": 33}, "newName": "Owner"}),
        )
        .expect("edit");
    let closed = uri(&path_of(dir.path(), "closed.avsc"));
    let edits = edit["changes"][&closed].as_array().expect("edits");
    // "x.Holder" and the union's "Holder"; not the field named Holder.
    let starts: Vec<u64> = edits
        .iter()
        .map(|e| e["range"]["start"]["character"].as_u64().unwrap_or(0))
        .collect();
    let text = std::fs::read_to_string(path_of(dir.path(), "closed.avsc")).expect("read");
    let first = text.find("x.Holder").expect("ref") as u64 + 2;
    let second = text.find("\"Holder\"]").expect("ref") as u64 + 1;
    assert_eq!(starts, [first, second]);
    assert_eq!(edit["changes"][&holder_uri].as_array().expect("edits").len(), 1);
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_on_an_avro_command_and_a_reference() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "accounting/delete_account.avsc");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    let (line, col) = find(&text, "\"DeleteAccount\"");
    let hover = client
        .position("textDocument/hover", &uri, line, col + 2)
        .expect("hover");
    let value = hover["contents"]["value"].as_str().expect("markdown");
    for part in [
        "record acme.accounting.DeleteAccount",
        "**COMMAND**",
        "version 1.0",
        "partition key: `accountId`",
        "source: `accounting`",
        "released: 1.0",
        "Command sent to the accounting service",
    ] {
        assert!(value.contains(part), "`{part}` in {value}");
    }
    let closed = path_of(dir.path(), "accounting/account_closed.avsc");
    let text = std::fs::read_to_string(&closed).expect("read");
    let uri = client.open(&closed, &text);
    let (line, col) = find(&text, "acme.accounting.AccountHolder\"");
    let hover = client
        .position("textDocument/hover", &uri, line, col + 3)
        .expect("hover");
    let value = hover["contents"]["value"].as_str().expect("markdown");
    assert!(value.contains("record acme.accounting.AccountHolder"), "{value}");
    assert!(value.contains("Who owned an account."), "{value}");
    assert!(!value.contains("version"), "not an event: {value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn avro_enum_and_fixed_symbols() {
    let dir = repo(&[(
        "t.avsc",
        r#"{"type": "record", "name": "T", "namespace": "x", "fields": [
  {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
  {"name": "f", "type": {"type": "fixed", "name": "F", "size": 16}}
]}"#,
    )]);
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let uri = client.open_file(&path_of(dir.path(), "t.avsc"));
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))
        .expect("symbols");
    let mut found = names(&symbols);
    found.sort();
    assert_eq!(found, ["E", "F", "T"]);
    let e = symbols
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == "E")
        .expect("E");
    assert_eq!(names(&e["children"]), ["A", "B"]);
    let f = symbols
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == "F")
        .expect("F");
    assert_eq!(f["detail"], "fixed(16)");
    assert_eq!(client.stop(), 0);
}

#[test]
fn completion_of_herald_metadata_keys_and_values() {
    let dir = example_repo();
    let (mut client, _) = Client::start(Some(dir.path()), false);
    let path = path_of(dir.path(), "user/v1/user_updated.proto");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path, &text);
    // Inside `partition_key: "user_id"`: the message's fields, not its repeated or map ones.
    let (line, col) = find(&text, "partition_key: \"user_id\"");
    let items = client
        .position("textDocument/completion", &uri, line, col + 16)
        .expect("items");
    let fields = labels(&items);
    assert!(fields.contains(&"user_id".to_owned()), "{fields:?}");
    assert!(
        !fields.contains(&"attributes".to_owned()),
        "a map is no key: {fields:?}"
    );
    assert!(!fields.contains(&"Money".to_owned()), "no types: {fields:?}");
    assert_eq!(items[0]["insertText"], serde_json::Value::Null, "inside quotes");
    // At a key: the option's keys.
    let items = labels(
        &client
            .position("textDocument/completion", &uri, line, col)
            .expect("items"),
    );
    assert_eq!(items, ["version", "kind", "partition_key", "name", "compatibility"]);
    // While typed: `partition_key: ` with nothing after it yet, the values come quoted.
    let typed = text.replace("partition_key: \"user_id\" };", "partition_key: ");
    client.change_full(&uri, 2, &typed);
    let (line, col) = find(&typed, "partition_key: ");
    let items = client
        .position("textDocument/completion", &uri, line, col + 15)
        .expect("items");
    let user_id = items
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["label"] == "user_id")
        .unwrap_or_else(|| panic!("{items:#?}"));
    assert_eq!(user_id["insertText"], "\"user_id\"");

    let avsc = path_of(dir.path(), "accounting/bank_error.avsc");
    let avsc_text = std::fs::read_to_string(&avsc).expect("read");
    let avsc_uri = client.open(&avsc, &avsc_text);
    let (line, col) = find(&avsc_text, "\"partitionKey\": \"accountId\"");
    let items = labels(
        &client
            .position("textDocument/completion", &avsc_uri, line, col + 17)
            .expect("items"),
    );
    assert!(items.contains(&"accountId".to_owned()), "{items:?}");
    assert!(!items.contains(&"long".to_owned()), "no types: {items:?}");
    let (line, col) = find(&avsc_text, "\"kind\": \"event\"");
    let items = labels(
        &client
            .position("textDocument/completion", &avsc_uri, line, col + 10)
            .expect("items"),
    );
    assert_eq!(items, ["event", "command"]);
    let items = labels(
        &client
            .position("textDocument/completion", &avsc_uri, line, col + 1)
            .expect("items"),
    );
    assert_eq!(items, ["version", "kind", "partitionKey", "name", "compatibility"]);
    assert_eq!(client.stop(), 0);
}
