//! Who a change reaches: the events whose schema contains a type (directly, or through shared
//! messages, records, enums, arrays, maps and unions, in both formats), their producers, and the
//! consumers `herald.toml` declares for them. `herald check` names these consumers on each
//! finding; `herald impact` prints them for a type or event.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Consumer, EventSet, TypeDef, TypeKind};

/// The full names of every type event type `root` contains: itself, every named type its fields
/// refer to, transitively, and the types nested in any of them (a nested proto type belongs to
/// its parent, as `herald check` reports it).
pub fn contained_types(set: &EventSet, root: &str) -> BTreeSet<String> {
    contained_with(set, &nested_types(set), root)
}

/// Parent full name → the full names of the types nested in it.
fn nested_types(set: &EventSet) -> BTreeMap<&str, Vec<&str>> {
    let mut nested: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &set.types {
        if let Some(parent) = &t.parent {
            nested.entry(parent.as_str()).or_default().push(t.full_name.as_str());
        }
    }
    nested
}

fn contained_with(set: &EventSet, nested: &BTreeMap<&str, Vec<&str>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        let Some(ty) = set.type_named(&name) else { continue };
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(children) = nested.get(name.as_str()) {
            stack.extend(children.iter().map(|c| (*c).to_owned()));
        }
        if let TypeKind::Message(m) = &ty.kind {
            for f in &m.fields {
                f.ty.named_refs(&mut stack);
            }
        }
    }
    seen
}

/// The events (indices into [`EventSet::events`]) whose schema contains the type `type_name`.
pub fn events_containing(set: &EventSet, type_name: &str) -> Vec<usize> {
    let nested = nested_types(set);
    (0..set.events.len())
        .filter(|i| {
            let root = &set.types[set.events[*i].type_id].full_name;
            root == type_name || contained_with(set, &nested, root).contains(type_name)
        })
        .collect()
}

/// The events a `herald check` finding reaches: the events named `event` (every MAJOR version of
/// that name) when the finding names one, else those containing its type.
pub fn events_of_finding(set: &EventSet, event: Option<&str>, type_name: Option<&str>) -> Vec<usize> {
    match (event, type_name) {
        (Some(name), _) => (0..set.events.len()).filter(|i| set.events[*i].name == name).collect(),
        (None, Some(t)) => events_containing(set, t),
        (None, None) => Vec::new(),
    }
}

/// The consumers of any of `events`, each once, in name order.
pub fn consumers_of_events<'a>(set: &'a EventSet, events: &[usize]) -> Vec<&'a Consumer> {
    set.consumers
        .iter()
        .filter(|c| events.iter().any(|e| c.consumes(*e)))
        .collect()
}

/// What `herald impact NAME` was asked about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An event or command (by event name, its last segment, its type's name, or `source:Event`).
    Event(usize),
    /// A named type that is no event's own type.
    Type(&'a TypeDef),
}

/// Finds what `name` designates: an event (its event type name, that name's last segment, its
/// message/record name, or `source:Event`) or a named type (full name, or a name only one type
/// has). Several events of one name (MAJOR versions) give each. `Err` says why nothing or too
/// much matched, with a suggestion.
pub fn find_target<'a>(set: &'a EventSet, name: &str) -> Result<Vec<Target<'a>>, String> {
    let events: Vec<usize> = match name.split_once(':') {
        Some((source, event)) => match set.sources.iter().position(|s| s.name == source) {
            Some(src) => set.events_named(src, event),
            None => Vec::new(),
        },
        None => (0..set.events.len())
            .filter(|i| set.event_is_named(*i, name) || set.types[set.events[*i].type_id].full_name == name)
            .collect(),
    };
    if !events.is_empty() {
        return Ok(events.into_iter().map(Target::Event).collect());
    }
    if let Some(ty) = set.type_named(name) {
        return Ok(vec![Target::Type(ty)]);
    }
    let by_short: Vec<&TypeDef> = set
        .types
        .iter()
        .filter(|t| t.name == name && !set.is_builtin(t))
        .map(|t| &**t)
        .collect();
    match by_short.as_slice() {
        [one] => return Ok(vec![Target::Type(one)]),
        [] => {}
        many => {
            let names: Vec<&str> = many.iter().map(|t| t.full_name.as_str()).collect();
            return Err(format!(
                "`{name}` names {} types: {}; give the full name",
                many.len(),
                names.join(", ")
            ));
        }
    }
    let candidates = set
        .events
        .iter()
        .map(|e| e.name.as_str())
        .chain(set.events.iter().map(|e| e.name.rsplit('.').next().unwrap_or(&e.name)))
        .chain(
            set.types
                .iter()
                .filter(|t| !set.is_builtin(t))
                .flat_map(|t| [t.full_name.as_str(), t.name.as_str()]),
        );
    Err(match crate::suggest::did_you_mean(name, candidates) {
        Some(suggestion) => format!("no event or type `{name}`; {suggestion}"),
        None => format!("no event or type `{name}` in this repo"),
    })
}

/// `herald impact NAME`: what NAME is, the events containing it, their producers and the
/// consumers they reach. File names are the repo's.
#[derive(Debug, serde::Serialize)]
pub struct ImpactReport {
    /// What NAME designates (several when an event name has several MAJOR versions).
    pub targets: Vec<ImpactTarget>,
    /// The events containing any target, in repo order.
    pub events: Vec<ImpactEvent>,
    /// The sources producing those events, by name.
    pub producers: Vec<String>,
    /// The consumers of those events, by name.
    pub consumers: Vec<ImpactConsumer>,
    /// Whether `herald.toml` declares any consumer (so an empty `consumers` means "none").
    pub consumers_declared: bool,
}

#[derive(Debug, serde::Serialize)]
pub struct ImpactTarget {
    pub name: String,
    /// `event`, `command`, `message`, `record`, `enum` or `fixed`.
    pub kind: &'static str,
    pub format: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, serde::Serialize)]
pub struct ImpactEvent {
    pub name: String,
    pub version: String,
    /// `EVENT` or `COMMAND`.
    pub kind: String,
    pub source: Option<String>,
    pub topic: Option<String>,
    pub consumers: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct ImpactConsumer {
    pub name: String,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// The reached events it consumes.
    pub events: Vec<String>,
}

/// The impact report for `name` (see [`find_target`] for what it may be).
pub fn report(set: &EventSet, name: &str) -> Result<ImpactReport, String> {
    let targets = find_target(set, name)?;
    let mut events: Vec<usize> = Vec::new();
    let mut shown = Vec::new();
    for target in &targets {
        let (ty, kind) = match target {
            Target::Event(i) => {
                let e = &set.events[*i];
                let kind = match e.kind {
                    crate::model::EventKind::Event => "event",
                    crate::model::EventKind::Command => "command",
                };
                (&*set.types[e.type_id], kind)
            }
            Target::Type(ty) => (*ty, type_kind(ty)),
        };
        events.extend(events_containing(set, &ty.full_name));
        let file = set.sources_map.get(ty.span.file);
        shown.push(ImpactTarget {
            name: match target {
                Target::Event(i) => set.events[*i].name.clone(),
                Target::Type(_) => ty.full_name.clone(),
            },
            kind,
            format: ty.format.to_string(),
            file: file.name.clone(),
            line: file.line_col(ty.span.start as usize).0,
        });
    }
    events.sort_unstable();
    events.dedup();
    let consumers = consumers_of_events(set, &events);
    let mut producers: Vec<String> = events
        .iter()
        .filter_map(|i| set.events[*i].source)
        .map(|s| set.sources[s].name.clone())
        .collect();
    producers.sort();
    producers.dedup();
    Ok(ImpactReport {
        targets: shown,
        events: events
            .iter()
            .map(|i| {
                let e = &set.events[*i];
                let source = e.source.map(|s| &set.sources[s]);
                ImpactEvent {
                    name: e.name.clone(),
                    version: e.version.to_string(),
                    kind: e.kind.to_string(),
                    source: source.map(|s| s.name.clone()),
                    topic: source.map(|s| s.topic.clone()),
                    consumers: set.consumers_of(*i).map(|c| c.name.clone()).collect(),
                }
            })
            .collect(),
        producers,
        consumers: consumers
            .iter()
            .map(|c| ImpactConsumer {
                name: c.name.clone(),
                owner: c.owner.clone(),
                group: c.group.clone(),
                events: events
                    .iter()
                    .filter(|i| c.consumes(**i))
                    .map(|i| set.events[*i].name.clone())
                    .collect(),
            })
            .collect(),
        consumers_declared: set.config.as_ref().is_some_and(|c| !c.consumers.is_empty()),
    })
}

fn type_kind(ty: &TypeDef) -> &'static str {
    match (&ty.kind, ty.format) {
        (TypeKind::Message(_), crate::model::Format::Proto) => "message",
        (TypeKind::Message(_), crate::model::Format::Avro) => "record",
        (TypeKind::Enum(_), _) => "enum",
        (TypeKind::Fixed { .. }, _) => "fixed",
    }
}

fn with_owner(c: &ImpactConsumer) -> String {
    match &c.owner {
        Some(owner) => format!("{} (owner {owner})", c.name),
        None => c.name.clone(),
    }
}

impl ImpactReport {
    /// The text `herald impact` prints by default.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for t in &self.targets {
            out.push_str(&format!(
                "{} `{}` ({}, {}:{})\n",
                t.kind, t.name, t.format, t.file, t.line
            ));
        }
        if self.events.is_empty() {
            out.push_str("is in no event: a change to it reaches no producer or consumer\n");
            return out;
        }
        out.push_str(&format!("is in {} event(s):\n", self.events.len()));
        for e in &self.events {
            out.push_str(&format!("  {} {} ({})\n", e.name, e.version, e.kind));
            if let (Some(source), Some(topic)) = (&e.source, &e.topic) {
                out.push_str(&format!("    produced by  {source} (topic {topic})\n"));
            }
            let consumers: Vec<String> = e
                .consumers
                .iter()
                .filter_map(|n| self.consumers.iter().find(|c| &c.name == n))
                .map(with_owner)
                .collect();
            if !consumers.is_empty() {
                out.push_str(&format!("    consumed by  {}\n", consumers.join(", ")));
            }
        }
        out.push_str(&format!("producers: {}\n", self.producers.join(", ")));
        out.push_str(&self.consumers_line());
        out
    }

    fn consumers_line(&self) -> String {
        if self.consumers.is_empty() {
            return if self.consumers_declared {
                "consumers: none declared for these events\n".to_owned()
            } else {
                "consumers: herald.toml declares none (add [consumers.<service>] tables)\n".to_owned()
            };
        }
        let names: Vec<String> = self.consumers.iter().map(with_owner).collect();
        format!("consumers: {}\n", names.join(", "))
    }

    /// The Markdown `herald impact --format markdown` prints (a pull request comment).
    pub fn markdown(&self) -> String {
        let code = |s: &str| format!("`{}`", s.replace('`', "'").replace('|', "\\|"));
        let names: Vec<String> = self.targets.iter().map(|t| code(&t.name)).collect();
        let mut out = format!("### herald impact: {}\n\n", names.join(", "));
        if self.events.is_empty() {
            out.push_str("In no event: a change reaches no producer or consumer.\n");
            return out;
        }
        out.push_str(&format!(
            "In {} event(s), produced by {}; reaches {} consumer(s).\n\n",
            self.events.len(),
            self.producers.iter().map(|p| code(p)).collect::<Vec<_>>().join(", "),
            self.consumers.len()
        ));
        out.push_str("| Event | Version | Kind | Producer (topic) | Consumers |\n| --- | --- | --- | --- | --- |\n");
        for e in &self.events {
            let producer = match (&e.source, &e.topic) {
                (Some(s), Some(t)) => format!("{} ({})", code(s), code(t)),
                _ => "-".to_owned(),
            };
            let consumers = if e.consumers.is_empty() {
                "-".to_owned()
            } else {
                e.consumers.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
            };
            out.push_str(&format!(
                "| {} | {} | {} | {producer} | {consumers} |\n",
                code(&e.name),
                e.version,
                e.kind
            ));
        }
        if !self.consumers.is_empty() {
            out.push_str("\n| Consumer | Owner | Group | Events reached |\n| --- | --- | --- | --- |\n");
            for c in &self.consumers {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    code(&c.name),
                    c.owner.as_deref().map(code).unwrap_or_else(|| "-".to_owned()),
                    c.group.as_deref().map(code).unwrap_or_else(|| "-".to_owned()),
                    c.events.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        out
    }
}
