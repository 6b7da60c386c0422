//! `herald impact` and the consumers in `herald check`'s outputs, over herald-codegen's fixtures
//! `tests/fixtures/impact/shared` (shared proto and Avro types reaching several events and
//! consumers) and `tests/fixtures/check/shared_type_consumers` (a change to a shared message that
//! breaks two consumers through two events). Snapshots are reviewed like code.

use crate::common;
use common::herald_in;

/// `herald <args>` run in herald-codegen's directory, as a transcript: exit code, stdout, stderr.
fn run(args: &[&str]) -> String {
    let (code, out, err) = herald_in(&common::codegen_dir(), args);
    format!("exit {code}\n--- stdout\n{out}--- stderr\n{err}")
}

const REPO: &str = "tests/fixtures/impact/shared";

#[test]
fn impact_of_shared_types_events_and_unknown_names() {
    let _snapshots = common::snapshots().bind_to_scope();
    let cases: &[(&str, &[&str])] = &[
        // A proto message in two events, each with its consumer.
        ("proto_shared_message", &["impact", "Money", REPO]),
        // An Avro record in two events: through an array of records and through a union.
        ("avro_shared_record", &["impact", "shop.billing.Amount", REPO]),
        ("avro_record_in_array", &["impact", "LineItem", REPO]),
        // An event by `source:Event`.
        ("event_by_source", &["impact", "billing:InvoiceIssued", REPO]),
        ("type_in_no_event", &["impact", "Unused", REPO]),
        ("ambiguous_short_name", &["impact", "Status", REPO]),
        ("unknown_name_suggested", &["impact", "Mony", REPO]),
        ("unknown_name", &["impact", "Nothing", REPO]),
        ("json", &["impact", "Money", REPO, "--format", "json"]),
        ("markdown", &["impact", "Amount", REPO, "--format", "markdown"]),
        (
            "no_consumers_declared",
            &["impact", "OrderPlaced", "tests/fixtures/lint/clean_proto"],
        ),
    ];
    for (name, args) in cases {
        insta::with_settings!({ snapshot_suffix => *name, omit_expression => true }, {
            insta::assert_snapshot!("impact", run(args));
        });
    }
}

#[test]
fn impact_exit_codes() {
    let (code, out, _) = herald_in(&common::codegen_dir(), &["impact", "Money", REPO]);
    assert_eq!(code, 0);
    assert!(out.contains("consumed by  shipping (owner team-logistics)"), "{out}");
    let (code, _, err) = herald_in(&common::codegen_dir(), &["impact", "Mony", REPO]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `Money`?"), "{err}");
    let (code, _, err) = herald_in(
        &common::codegen_dir(),
        &["impact", "Money", "tests/fixtures/lint/proto_syntax_error"],
    );
    assert_eq!(code, 2, "a repo with errors is refused: {err}");
}

const CASE: &str = "tests/fixtures/check/shared_type_consumers";

fn check(case: &str, format: &str) -> String {
    let (new, old) = (format!("{case}/new"), format!("{case}/old"));
    run(&["check", &new, "--against", &old, "--format", format])
}

/// Every format of `herald check` on a change to a shared message that reaches `shipping`
/// through OrderPlaced and `accounting` through RefundIssued.
#[test]
fn check_names_the_consumers_a_shared_type_change_breaks() {
    let _snapshots = common::snapshots().bind_to_scope();
    for format in ["human", "json", "github", "sarif", "junit", "markdown"] {
        let mut text = check(CASE, format);
        if format == "sarif" {
            text = text.replace(env!("CARGO_PKG_VERSION"), "<version>");
            let cwd = common::codegen_dir().display().to_string();
            text = text.replace(&cwd, "<cwd>");
        }
        if format == "junit" {
            text = text.replace(env!("CARGO_PKG_VERSION"), "<version>");
        }
        insta::with_settings!({ snapshot_suffix => format, omit_expression => true }, {
            insta::assert_snapshot!("check_consumers", text);
        });
    }
    let human = check(CASE, "human");
    assert!(human.contains("(shared type, used by event `shop.orders.v1.OrderPlaced`); breaks `shipping`"));
    assert!(human.contains("(shared type, used by event `shop.orders.v1.RefundIssued`); breaks `accounting`"));
    assert!(human.contains(
        "herald check: breaks consumers `accounting` (owner team-finance), `shipping` (owner team-logistics)"
    ));
    // `audit` consumes only billing's events, which nothing here changes.
    assert!(!human.contains("audit"));
}

/// Without `[consumers]`, check's outputs are what they were: no `consumers` key, no "breaks".
#[test]
fn check_without_consumers_declared_says_nothing_of_them() {
    for format in ["human", "json", "markdown"] {
        let text = check("tests/fixtures/check/shared_type_changed", format);
        assert!(!text.contains("consumers"), "{format}: {text}");
        assert!(!text.contains("; breaks"), "{format}: {text}");
    }
}

#[test]
fn markdown_reports_are_short_when_nothing_breaks() {
    let _snapshots = common::snapshots().bind_to_scope();
    let cases: [(&str, String); 3] = [
        ("check_clean", check("tests/fixtures/check/unchanged", "markdown")),
        (
            "lint_clean",
            run(&["lint", "tests/fixtures/lint/clean_proto", "--format", "markdown"]),
        ),
        (
            "lint_problems",
            run(&["lint", "tests/fixtures/lint/consumers_unknown", "--format", "markdown"]),
        ),
    ];
    for (name, text) in cases {
        insta::with_settings!({ snapshot_suffix => name, omit_expression => true }, {
            insta::assert_snapshot!("markdown", text);
        });
    }
    assert!(check("tests/fixtures/check/unchanged", "markdown").contains("No breaking changes."));
}

/// Against the lock, a change to the example repo's shared `Money` names the released versions
/// it breaks and every consumer of the two events that use it, with owners.
#[test]
fn against_the_lock_the_released_version_and_the_example_consumers_are_named() {
    let repo = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::codegen_dir().join("../schemas"), repo.path());
    let common_proto = repo.path().join("user/v1/common.proto");
    let text = std::fs::read_to_string(&common_proto).expect("read");
    assert!(text.contains("int64 amount_minor = 2;"));
    std::fs::write(
        &common_proto,
        text.replacen("int64 amount_minor = 2;", "string amount_minor = 2;", 1),
    )
    .expect("write");
    let root = repo.path().display().to_string();
    let (code, out, err) = common::herald(&["check", &root, "--format", "markdown"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("#### `acme.user.v1.UserUpdated`"), "{out}");
    assert!(out.contains("#### `acme.user.v1.UserCreated`"), "{out}");
    // UserUpdated's released 1.2 is the one broken; its consumers, and UserCreated's.
    assert!(
        out.contains("| `game-backend`, `leaderboard`, `marketplace` | 1.2 |"),
        "{out}"
    );
    assert!(out.contains("| `marketplace` | 1.0 |"), "{out}");
    assert!(
        out.contains("**Breaks consumers:** `game-backend` (owner team-platform), `leaderboard` (owner team-competition), `marketplace` (owner team-trading)"),
        "{out}"
    );
    let (_, _, err) = common::herald(&["check", &root]);
    assert!(
        err.contains("; breaks `game-backend`, `leaderboard`, `marketplace`"),
        "{err}"
    );
}
