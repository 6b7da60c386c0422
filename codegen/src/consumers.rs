//! The consumers `herald.toml` declares (`[consumers.<service>]`), validated against the loaded
//! sources and events into [`Consumer`]s.
//!
//! Each `events` entry is `"source:Event"` (the event as the build script's `consume` names it:
//! its event type name, that name's last segment, or its message/record name) or `"source:*"`
//! (every event of the source). An unknown source or event is a located diagnostic and the entry
//! is left out; a service declared twice (names equal but for case, `_` and `-`) is kept once; an
//! entry whose events an earlier entry already covers is a warning.

use crate::diagnostic::Diagnostic;
use crate::model::{Consumer, ConsumerConfig, EventSet, Subscription};
use crate::rules;
use crate::span::Span;

/// The consumers of `set.config`, validated against `set`'s sources and events (which must be
/// built), sorted by name.
pub fn validate(set: &EventSet, diags: &mut Vec<Diagnostic>) -> Vec<Consumer> {
    let Some(config) = &set.config else {
        return Vec::new();
    };
    let mut out: Vec<Consumer> = Vec::new();
    for declared in &config.consumers {
        if let Some(first) = out
            .iter()
            .find(|c| crate::suggest::same_spelling(&c.name, &declared.name))
        {
            diags.push(
                Diagnostic::error(
                    rules::CONSUMER_DUPLICATE,
                    format!("consumer `{}` is declared twice", declared.name),
                )
                .at(declared.span)
                .related(first.span, format!("`{}` declared here", first.name))
                .help("declare each service once: merge the two tables' `events`"),
            );
            continue;
        }
        out.push(consumer(set, declared, diags));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn consumer(set: &EventSet, declared: &ConsumerConfig, diags: &mut Vec<Diagnostic>) -> Consumer {
    let mut subscriptions: Vec<Subscription> = Vec::new();
    for (entry, span) in &declared.events {
        let Some(sub) = subscription(set, entry, *span, diags) else {
            continue;
        };
        if let Some(earlier) = subscriptions.iter().find(|s| covers(s, &sub)) {
            diags.push(
                Diagnostic::warning(
                    rules::CONSUMER_DUPLICATE,
                    format!("`{entry}` is already in consumer `{}`'s events", declared.name),
                )
                .at(*span)
                .related(earlier.span, format!("covered by `{}`", earlier.entry))
                .help("remove the repeated entry"),
            );
        }
        subscriptions.push(sub);
    }
    let mut events: Vec<usize> = subscriptions.iter().flat_map(|s| s.events.iter().copied()).collect();
    events.sort_unstable();
    events.dedup();
    Consumer {
        name: declared.name.clone(),
        span: declared.span,
        group: declared.group.as_ref().map(|g| g.value.clone()),
        owner: declared.owner.as_ref().map(|o| o.value.clone()),
        subscriptions,
        events,
    }
}

/// Whether `earlier` already subscribes to everything `later` does.
fn covers(earlier: &Subscription, later: &Subscription) -> bool {
    if earlier.source != later.source {
        return false;
    }
    if earlier.entry == later.entry || earlier.event.is_none() {
        return true;
    }
    !later.events.is_empty() && later.events.iter().all(|e| earlier.events.contains(e))
}

/// One entry resolved, or `None` (reported) when its source or event is unknown.
fn subscription(set: &EventSet, entry: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<Subscription> {
    // The config parser only keeps entries of the shape `source:event`.
    let (source_name, event_name) = entry.split_once(':')?;
    let Some(source) = set.sources.iter().position(|s| s.name == source_name) else {
        let known: Vec<&str> = set.sources.iter().map(|s| s.name.as_str()).collect();
        diags.push(
            Diagnostic::error(
                rules::CONSUMER_UNKNOWN_SOURCE,
                format!("no source `{source_name}` in herald.toml"),
            )
            .at(span)
            .label("unknown source")
            .help(if known.is_empty() {
                "herald.toml declares no sources: add a [sources.NAME] table".to_owned()
            } else {
                match crate::suggest::did_you_mean(source_name, known.iter().copied()) {
                    Some(suggestion) => format!("{suggestion} (sources: {})", known.join(", ")),
                    None => format!("sources: {}", known.join(", ")),
                }
            }),
        );
        return None;
    };
    if event_name == "*" {
        return Some(Subscription {
            entry: entry.to_owned(),
            span,
            source,
            event: None,
            events: (0..set.events.len())
                .filter(|i| set.events[*i].source == Some(source))
                .collect(),
        });
    }
    let events = set.events_named(source, event_name);
    if events.is_empty() {
        if !declared_but_invalid(set, source, event_name) {
            diags.push(unknown_event(set, source, event_name, span));
        }
        return None;
    }
    Some(Subscription {
        entry: entry.to_owned(),
        span,
        source,
        event: Some(event_name.to_owned()),
        events,
    })
}

/// Whether a type of the source's files carries event metadata under this name but did not
/// become an event: its own diagnostics say why, so the subscription is not reported too.
fn declared_but_invalid(set: &EventSet, source: usize, name: &str) -> bool {
    // A source's files are sorted (the loader's `declared_sources`).
    let files = &set.sources[source].files;
    set.types.iter().any(|t| {
        files.binary_search(&t.file).is_ok()
            && t.event.is_some()
            && (t.name == name
                || t.full_name == name
                || t.event
                    .as_ref()
                    .and_then(|m| m.name.as_ref())
                    .is_some_and(|n| n.value == name || n.value.rsplit('.').next() == Some(name)))
    })
}

fn unknown_event(set: &EventSet, source: usize, name: &str, span: Span) -> Diagnostic {
    let source_name = &set.sources[source].name;
    let shorts: Vec<&str> = set
        .events
        .iter()
        .filter(|e| e.source == Some(source))
        .map(|e| e.name.rsplit('.').next().unwrap_or(&e.name))
        .collect();
    let mut known = shorts.clone();
    known.sort_unstable();
    known.dedup();
    let candidates = set
        .events
        .iter()
        .filter(|e| e.source == Some(source))
        .map(|e| e.name.as_str())
        .chain(shorts.iter().copied());
    Diagnostic::error(
        rules::CONSUMER_UNKNOWN_EVENT,
        format!("source `{source_name}` has no event `{name}`"),
    )
    .at(span)
    .label("unknown event")
    .help(if known.is_empty() {
        format!("`{source_name}` publishes no events")
    } else {
        match crate::suggest::did_you_mean(name, candidates) {
            Some(suggestion) => format!("{suggestion} (its events: {})", known.join(", ")),
            None => format!("its events: {}, or `{source_name}:*` for all of them", known.join(", ")),
        }
    })
}
