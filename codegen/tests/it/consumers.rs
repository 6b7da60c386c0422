//! The consumers model: `[consumers.<service>]` of herald.toml validated into `EventSet::consumers`
//! (lint_fixtures snapshots the diagnostics; this checks what the model holds).

use std::path::{Path, PathBuf};

use herald_codegen::load;

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(case)
}

fn event(set: &herald_codegen::EventSet, short: &str) -> usize {
    set.events
        .iter()
        .position(|e| e.name.ends_with(short))
        .unwrap_or_else(|| panic!("no event {short}"))
}

#[test]
fn subscriptions_resolve_to_events_and_consumers_of_an_event_are_found() {
    let set = load::load(&fixture("consumers_wildcard")).expect("loads").set;
    let names: Vec<&str> = set.consumers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["billing", "shipping"], "sorted by name");
    let order = event(&set, "OrderPlaced");
    let payment = event(&set, "PaymentReceived");

    let shipping = set.consumer_named("shipping").expect("shipping");
    assert_eq!(shipping.group.as_deref(), Some("shipping-v2"));
    assert_eq!(shipping.owner.as_deref(), Some("team-logistics"));
    assert_eq!(shipping.events, [order]);
    assert_eq!(shipping.subscriptions.len(), 1);
    assert_eq!(shipping.subscriptions[0].event, None, "`orders:*`");
    assert_eq!(set.sources[shipping.subscriptions[0].source].name, "orders");
    let text = &set.sources_map.get(shipping.span.file).text;
    assert_eq!(
        &text[shipping.span.start as usize..shipping.span.end as usize],
        "shipping"
    );

    let billing = set.consumer_named("billing").expect("billing");
    let mut both = vec![order, payment];
    both.sort_unstable();
    assert_eq!(billing.events, both);
    assert!(billing.consumes(payment) && !shipping.consumes(payment));
    assert_eq!(billing.subscriptions[0].event.as_deref(), Some("OrderPlaced"));

    let of_order: Vec<&str> = set.consumers_of(order).map(|c| c.name.as_str()).collect();
    assert_eq!(of_order, ["billing", "shipping"]);
    let of_payment: Vec<&str> = set.consumers_of(payment).map(|c| c.name.as_str()).collect();
    assert_eq!(of_payment, ["billing"]);
    assert!(set.consumer_named("nobody").is_none());
}

#[test]
fn unknown_entries_are_left_out_and_a_second_declaration_is_dropped() {
    let set = load::load(&fixture("consumers_unknown")).expect("loads").set;
    let shipping = set.consumer_named("shipping").expect("kept with its valid entries");
    assert!(shipping.subscriptions.is_empty() && shipping.events.is_empty());
    let audit = set.consumer_named("audit").expect("audit");
    assert_eq!(audit.events, [event(&set, "PaymentReceived")]);

    let set = load::load(&fixture("consumers_duplicate")).expect("loads").set;
    let names: Vec<&str> = set.consumers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["billing", "shipping"], "`Shipping`, written second, is dropped");
    let shipping = set.consumer_named("shipping").expect("shipping");
    assert_eq!(
        shipping.subscriptions.len(),
        4,
        "repeated entries are warned about, not dropped"
    );
    assert_eq!(shipping.events.len(), 2, "each event once");
}

#[test]
fn a_repo_without_consumers_has_none() {
    let set = load::load(&fixture("clean_proto")).expect("loads").set;
    assert!(set.consumers.is_empty());
    assert_eq!(set.consumers_of(0).count(), 0);
}
