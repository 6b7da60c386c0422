//! The example repo's pages, as snapshots; escaping of schema comments; determinism.

use crate::common::{example_repo, render_repo, text};

/// Every page, picture and script of the example repo's catalog (the static CSS and JavaScript,
/// which are the template files themselves, aside).
#[test]
fn example_repo_pages() {
    let site = render_repo(&example_repo());
    let mut names = Vec::new();
    for (name, bytes) in &site {
        if herald_catalog::DEFAULTS.iter().any(|(n, _)| n == name) {
            assert_eq!(
                Some(bytes.as_slice()),
                herald_catalog::DEFAULTS
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t.as_bytes())
            );
            continue;
        }
        names.push(name.clone());
        let snapshot = name.replace('/', "__");
        if name == herald_catalog::RECORD {
            // One line of JSON in the site; laid out here to be read.
            let record: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
            insta::assert_snapshot!(snapshot, serde_json::to_string_pretty(&record).expect("JSON"));
            continue;
        }
        insta::assert_snapshot!(snapshot, std::str::from_utf8(bytes).expect("UTF-8"));
    }
    // One page per event and per service (sources and consumers), a picture for each.
    for expected in [
        "index.html",
        "flow.svg",
        "search-index.js",
        "events/acme.user.v1.UserUpdated.html",
        "events/acme.accounting.BankError.history.js",
        "flow/acme.accounting.DeleteAccount.svg",
        "services/leaderboard.html",
        "services/user-service.html",
        "flow/service-marketplace.svg",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let one = render_repo(&example_repo());
    let two = render_repo(&example_repo());
    assert_eq!(one, two);
}

#[test]
fn the_event_page_shows_fields_history_verdicts_and_consumers() {
    let site = render_repo(&example_repo());
    let page = text(&site, "events/acme.user.v1.UserUpdated.html");
    // Consumers declared in herald.toml, linked to their pages.
    assert!(
        page.contains(r#"<a href="../services/leaderboard.html">leaderboard</a>"#),
        "{page}"
    );
    // Named types are linked to their sections, which exist.
    assert!(page.contains(r##"href="#type-acme.user.v1.Profile""##));
    assert!(page.contains(r#"id="type-acme.user.v1.Profile""#));
    // A well-known type has no section, so no link.
    assert!(page.contains("<code>google.protobuf.Timestamp</code>") && !page.contains("#type-google.protobuf"));
    // Every released version with a verdict against the one before and the field diff.
    let page = text(&site, "events/acme.accounting.BankError.html");
    for v in ["1.0", "1.1"] {
        assert!(page.contains(&format!(r#"<li id="v{v}">"#)), "version {v} missing");
    }
    assert!(page.contains("1.0 → 1.1: compatible (FULL)"), "{page}");
    assert!(
        page.contains(r#"<tr class="added"><td>added</td><td><code>context</code></td>"#),
        "{page}"
    );
    let script = text(&site, "events/acme.accounting.BankError.history.js");
    assert!(script.starts_with("window.HERALD_HISTORY = {"));
    assert!(
        script.contains(r#""compatible":true,"findings":[],"from":"1.0","mode":"FULL","to":"1.1""#),
        "{script}"
    );
}

/// A schema comment holding HTML or markdown shows as text, on the page, in the picture and in
/// the search index.
#[test]
fn comments_with_markup_are_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("herald.toml"),
        "[sources.\"svc<b>\"]\ntopic = \"t\"\nschemas = [\"*.proto\", \"*.avsc\"]\n\n[consumers.\"c<i>x\"]\nevents = [\"svc<b>:*\"]\nowner = \"<script>alert('owner')</script>\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("hostile.proto"),
        "syntax = \"proto3\";\npackage evil;\nimport \"herald/options.proto\";\n\n// <script>alert('doc')</script> **bold** [link](javascript:alert(1)) <img src=x onerror=alert(2)>\nmessage Hostile {\n  option (herald.event) = { version: \"1.0\", kind: EVENT, partition_key: \"id\" };\n  // </td></tr><script>alert('field')</script>\n  string id = 1;\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("rec.avsc"),
        r#"{"type": "record", "name": "Rec", "namespace": "evil", "doc": "<script>alert('avro')</script> & \"quotes\"", "herald": {"version": "1.0", "kind": "event", "partitionKey": "id"}, "fields": [{"name": "id", "type": "string", "doc": "<b onclick=x>"}]}"#,
    )
    .expect("write");
    let site = render_repo(dir.path());
    for (name, bytes) in &site {
        let t = std::str::from_utf8(bytes).expect("UTF-8");
        for bad in ["<script>alert", "<img src=x", "<b onclick", "<b>", "<i>x"] {
            assert!(!t.contains(bad), "{name} contains markup from a schema: {bad}");
        }
    }
    let page = text(&site, "events/evil.Hostile.html");
    assert!(
        page.contains("&lt;script&gt;alert(&#x27;doc&#x27;)&lt;/script&gt; **bold** [link](javascript:alert(1))"),
        "{page}"
    );
    assert!(text(&site, "events/evil.Rec.html")
        .contains("&lt;script&gt;alert(&#x27;avro&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(text(&site, "flow.svg").contains("svc&lt;b&gt;"));
}
