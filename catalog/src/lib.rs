//! herald's event catalog: a static, offline site (HTML, CSS, a little vanilla JavaScript, SVG)
//! generated from a schema repo and its `herald.lock`: an index with search, a page per event
//! or command (fields, schema source, released versions with diffs and verdicts, flow picture)
//! and a page per service. `herald catalog` calls [`render()`] then [`write()`].
//!
//! The site is a pure function of the repo: no timestamps, no absolute paths, every link
//! relative, nothing fetched from elsewhere; the same repo gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use herald_codegen::load::Lock;
use herald_codegen::model::{EventSet, Format};
use serde::Serialize;

pub mod flow;
pub mod history;
pub mod schema;
#[doc(hidden)]
pub mod synthetic;
mod templates;

pub use templates::{Templates, DEFAULTS};

/// The site: each file's path (with `/`) and bytes, in order.
pub type Site = BTreeMap<String, Vec<u8>>;

/// A file in OUT that says it holds a catalog, so a later run may replace its pages.
pub const MARKER: &str = ".herald-catalog";

/// A file in OUT recording what the catalog learnt from rebuilding released versions
/// ([`history::Record`]), so that the next run there rebuilds only what changed.
pub const RECORD: &str = ".herald-catalog-record.json";

/// Events listed in a producer's box of a picture; more are counted.
const MAX_EVENTS_PER_BOX: usize = 40;

/// Characters of a doc kept in the search index (the page has all of it).
const SEARCH_DOC_CHARS: usize = 300;

#[derive(Serialize, Clone)]
struct EventRef {
    name: String,
    href: String,
    kind: String,
    version: String,
    summary: String,
}

#[derive(Serialize)]
struct SourceRow {
    name: String,
    href: String,
    topic: String,
    partitions: Option<u32>,
    compatibility: String,
    events: Vec<EventRef>,
}

#[derive(Serialize)]
struct ServiceRow {
    name: String,
    href: String,
    publishes: usize,
    consumes: usize,
    group: Option<String>,
    owner: Option<String>,
}

#[derive(Serialize)]
struct IndexPage {
    root: &'static str,
    title: String,
    empty: bool,
    event_count: usize,
    sources: Vec<SourceRow>,
    unsourced: Vec<EventRef>,
    services: Vec<ServiceRow>,
    consumers: Vec<ServiceRow>,
}

#[derive(Serialize)]
struct SchemaSource {
    name: String,
    text: String,
}

#[derive(Serialize)]
struct EventPage<'a> {
    root: &'static str,
    title: String,
    name: String,
    kind: String,
    version: String,
    format: &'static str,
    partition_key: String,
    topic: Option<String>,
    source: Option<ServiceRow>,
    compatibility: String,
    doc: String,
    types: Vec<schema::TypeSection>,
    schema_sources: Vec<SchemaSource>,
    consumers: Vec<ServiceRow>,
    history: &'a [history::Version],
    history_script: String,
    flow: String,
}

#[derive(Serialize)]
struct ServicePage {
    root: &'static str,
    title: String,
    name: String,
    topic: Option<String>,
    group: Option<String>,
    owner: Option<String>,
    flow: String,
    publishes: Vec<EventRef>,
    consumes: Vec<EventRef>,
}

/// One search entry: name, kind, link, field paths, doc's start.
#[derive(Serialize)]
struct SearchEntry {
    name: String,
    kind: &'static str,
    href: String,
    fields: Vec<String>,
    doc: String,
}

/// A file name for `name`: letters, digits, `.`, `-` and `_` kept, anything else `_`, made
/// unique among `taken` by a numbered suffix.
fn slug(name: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let base = if base.is_empty() || base.starts_with('.') {
        format!("_{base}")
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while !taken.insert(candidate.to_ascii_lowercase()) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// A doc's first paragraph on one line, cut at 160 characters.
fn summary(doc: &str) -> String {
    let first: Vec<&str> = doc
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let first = first.join(" ");
    if first.chars().count() > 160 {
        let mut s: String = first.chars().take(159).collect();
        s.push('…');
        s
    } else {
        first.to_owned()
    }
}

/// File names and shared facts of one render.
struct Names<'a> {
    set: &'a EventSet,
    /// Event indices in name, then version order.
    order: Vec<usize>,
    /// Each event's page name (by index into `set.events`).
    event_slugs: Vec<String>,
    /// Every service (a source, a consumer or both), by name, with its page name.
    services: BTreeMap<String, String>,
    /// Partition count by topic.
    partitions: BTreeMap<String, u32>,
}

impl<'a> Names<'a> {
    fn new(set: &'a EventSet) -> Names<'a> {
        let mut order: Vec<usize> = (0..set.events.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&set.events[a], &set.events[b]);
            (&a.name, a.version).cmp(&(&b.name, b.version))
        });
        let mut taken = BTreeSet::new();
        let mut event_slugs = vec![String::new(); set.events.len()];
        for &i in &order {
            let e = &set.events[i];
            let dup = set.events.iter().filter(|o| o.name == e.name).count() > 1;
            let name = if dup {
                format!("{}.v{}", e.name, e.version.major)
            } else {
                e.name.clone()
            };
            event_slugs[i] = slug(&name, &mut taken);
        }
        let names: BTreeSet<&str> = set
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .chain(set.consumers.iter().map(|c| c.name.as_str()))
            .collect();
        let mut taken = BTreeSet::new();
        let services = names.into_iter().map(|n| (n.to_owned(), slug(n, &mut taken))).collect();
        let partitions = set
            .config
            .as_ref()
            .and_then(|c| herald_codegen::topics::declared(c).ok())
            .into_iter()
            .flatten()
            .map(|t| (t.name, t.partitions))
            .collect();
        Names {
            set,
            order,
            event_slugs,
            services,
            partitions,
        }
    }

    fn partitions(&self, topic: &str) -> u32 {
        self.partitions
            .get(topic)
            .copied()
            .unwrap_or(herald_codegen::topics::DEFAULT_PARTITIONS)
    }

    fn doc(&self, e: usize) -> String {
        schema::doc_text(&self.set.types[self.set.events[e].type_id].doc)
    }

    fn event_ref(&self, e: usize, root: &str) -> EventRef {
        let event = &self.set.events[e];
        EventRef {
            name: event.name.clone(),
            href: format!("{root}events/{}.html", self.event_slugs[e]),
            kind: event.kind.to_string().to_lowercase(),
            version: event.version.to_string(),
            summary: summary(&self.doc(e)),
        }
    }

    fn service_row(&self, name: &str, root: &str) -> ServiceRow {
        let consumer = self.set.consumer_named(name);
        let source = self.set.sources.iter().position(|s| s.name == name);
        ServiceRow {
            name: name.to_owned(),
            href: format!(
                "{root}services/{}.html",
                self.services.get(name).map_or("", String::as_str)
            ),
            publishes: self
                .set
                .events
                .iter()
                .filter(|e| e.source.is_some() && e.source == source)
                .count(),
            consumes: consumer.map_or(0, |c| c.events.len()),
            group: consumer.and_then(|c| c.group.clone()),
            owner: consumer.and_then(|c| c.owner.clone()),
        }
    }

    /// The topics consumer `c` reads: its events' sources' topics.
    fn consumer_topics(&self, c: &herald_codegen::model::Consumer) -> Vec<String> {
        c.events
            .iter()
            .filter_map(|&e| self.set.events[e].source)
            .filter_map(|s| self.set.sources.get(s))
            .map(|s| s.topic.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// A picture of `sources` (indices) publishing `events` (indices), read by `consumers`.
    fn flow(
        &self,
        title: String,
        sources: &[usize],
        events: &[usize],
        consumers: &[&herald_codegen::model::Consumer],
    ) -> String {
        let set = self.set;
        let producers: Vec<flow::Producer> = sources
            .iter()
            .filter_map(|&i| set.sources.get(i).map(|s| (i, s)))
            .map(|(i, s)| {
                let mut listed: Vec<String> = events
                    .iter()
                    .filter(|&&e| set.events[e].source == Some(i))
                    .map(|&e| set.events[e].name.clone())
                    .collect();
                // A box stays readable: the rest are on the source's page.
                if listed.len() > MAX_EVENTS_PER_BOX {
                    let more = listed.len() - (MAX_EVENTS_PER_BOX - 1);
                    listed.truncate(MAX_EVENTS_PER_BOX - 1);
                    listed.push(format!("… and {more} more"));
                }
                flow::Producer {
                    name: s.name.clone(),
                    events: listed,
                    topic: s.topic.clone(),
                }
            })
            .collect();
        let consumers: Vec<flow::Consumer> = consumers
            .iter()
            .map(|c| flow::Consumer {
                name: c.name.clone(),
                topics: self.consumer_topics(c),
            })
            .collect();
        let topics: BTreeSet<&str> = producers
            .iter()
            .map(|p| p.topic.as_str())
            .chain(consumers.iter().flat_map(|c| c.topics.iter().map(String::as_str)))
            .collect();
        let picture = flow::Flow {
            title,
            topics: topics.into_iter().map(|t| (t.to_owned(), self.partitions(t))).collect(),
            producers,
            consumers,
        };
        flow::draw(&picture).svg
    }
}

/// The catalog of `set` (loaded without errors) and its lock, if any, rebuilding every release.
pub fn render(set: &EventSet, lock: Option<&Lock>, templates: &Templates) -> Result<Site, String> {
    render_reusing(set, lock, templates, None).map(|r| r.site)
}

/// A rendered catalog, and how many layers of releases were rebuilt for it.
#[derive(Debug)]
pub struct Rendered {
    pub site: Site,
    pub layers_loaded: usize,
}

/// The catalog of `set` and its lock, reusing what the record of a previous catalog
/// ([`previous_record`]) knows of the releases; the same site as [`render`] gives.
pub fn render_reusing(
    set: &EventSet,
    lock: Option<&Lock>,
    templates: &Templates,
    previous: Option<&history::Record>,
) -> Result<Rendered, String> {
    let mut site = Site::new();
    let names = Names::new(set);
    let title = set
        .config
        .as_ref()
        .and_then(|c| c.name.clone())
        .unwrap_or_else(|| "herald".to_owned());
    let outcome = match lock {
        Some(lock) => history::histories(lock, set, previous)?,
        None => history::Outcome {
            record: history::Record {
                format: history::RECORD_FORMAT.to_owned(),
                ..history::Record::default()
            },
            ..history::Outcome::default()
        },
    };
    let histories = &outcome.histories;
    index_page(&names, &title, templates, &mut site)?;
    // A page per event, rendered on every core.
    let pages = history::par_map(&names.order, |&e| {
        let none = history::History::default();
        let history = histories.get(&set.events[e].name).unwrap_or(&none);
        let mut pages = Site::new();
        event_page(&names, e, history, templates, &mut pages).map(|entry| (pages, entry))
    });
    let mut search = Vec::new();
    for page in pages {
        let (pages, entry) = page?;
        site.extend(pages);
        search.push(entry);
    }
    service_pages(&names, templates, &mut site)?;
    // The search index, a script so that it loads from file:// without fetch.
    let json = serde_json::to_string(&search).map_err(|e| format!("cannot write the search index: {e}"))?;
    site.insert(
        "search-index.js".into(),
        format!("window.HERALD_SEARCH = {};\n", script_safe(&json)).into_bytes(),
    );
    for (name, text) in &templates.assets {
        site.insert((*name).to_owned(), text.clone().into_bytes());
    }
    site.insert(
        MARKER.into(),
        b"herald catalog output: `herald catalog` replaces this directory's pages\n".to_vec(),
    );
    site.insert(RECORD.into(), outcome.record.to_json_lines()?);
    let layers_loaded = outcome.layers_loaded;
    // Tens of thousands of versions and verdicts: freed beside the writing of the site.
    std::thread::spawn(move || drop(outcome));
    Ok(Rendered { site, layers_loaded })
}

/// The record a previous catalog in `out` left ([`RECORD`]): `None` when `out` holds no catalog,
/// no record, or one written by another herald; an error when the record cannot be read.
pub fn previous_record(out: &Path) -> Result<Option<history::Record>, String> {
    let path = out.join(RECORD);
    if !out.join(MARKER).is_file() || !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let record: history::Record =
        serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a catalog record: {e}", path.display()))?;
    Ok((record.format == history::RECORD_FORMAT).then_some(record))
}

/// `index.html` and the overall picture `flow.svg`.
fn index_page(names: &Names, title: &str, templates: &Templates, site: &mut Site) -> Result<(), String> {
    let set = names.set;
    let mut sources: Vec<SourceRow> = set
        .sources
        .iter()
        .map(|s| SourceRow {
            name: s.name.clone(),
            href: names.service_row(&s.name, "").href,
            topic: s.topic.clone(),
            partitions: names.partitions.get(&s.topic).copied(),
            compatibility: s.compatibility.name().to_owned(),
            events: Vec::new(),
        })
        .collect();
    let mut unsourced = Vec::new();
    for &e in &names.order {
        match set.events[e].source.and_then(|i| sources.get_mut(i)) {
            Some(s) => s.events.push(names.event_ref(e, "")),
            None => unsourced.push(names.event_ref(e, "")),
        }
    }
    let index = IndexPage {
        root: "",
        title: title.to_owned(),
        empty: set.events.is_empty(),
        event_count: set.events.len(),
        sources,
        unsourced,
        services: names.services.keys().map(|n| names.service_row(n, "")).collect(),
        consumers: set.consumers.iter().map(|c| names.service_row(&c.name, "")).collect(),
    };
    site.insert("index.html".into(), page(templates, "index", &index)?);
    let all_sources: Vec<usize> = (0..set.sources.len()).collect();
    let consumers: Vec<&herald_codegen::model::Consumer> = set.consumers.iter().collect();
    let svg = names.flow(
        format!("{title}: producers, topics, consumers"),
        &all_sources,
        &names.order,
        &consumers,
    );
    site.insert("flow.svg".into(), svg.into_bytes());
    Ok(())
}

/// An event's page, its picture and its history script; returns its search entry.
/// An event page's script data: its versions' fields (for the page's chooser) and the verdicts.
/// Fields in name order, as the page's script has always read them.
#[derive(Serialize)]
struct HistoryScript<'a> {
    verdicts: Vec<ScriptVerdict<'a>>,
    versions: Vec<ScriptVersion<'a>>,
}

#[derive(Serialize)]
struct ScriptVersion<'a> {
    fields: &'a BTreeMap<String, String>,
    version: &'a str,
}

#[derive(Serialize)]
struct ScriptVerdict<'a> {
    compatible: bool,
    findings: &'a [String],
    from: &'a str,
    mode: &'a str,
    to: &'a str,
}

impl<'a> ScriptVerdict<'a> {
    fn of(v: &'a history::Verdict) -> ScriptVerdict<'a> {
        ScriptVerdict {
            compatible: v.compatible,
            findings: &v.findings,
            from: &v.from,
            mode: &v.mode,
            to: &v.to,
        }
    }
}

fn event_page(
    names: &Names,
    e: usize,
    history: &history::History,
    templates: &Templates,
    site: &mut Site,
) -> Result<SearchEntry, String> {
    let set = names.set;
    let event = &set.events[e];
    let slug = &names.event_slugs[e];
    let ty = &set.types[event.type_id];
    let source = event.source.and_then(|i| set.sources.get(i));
    let types = schema::sections(set, &ty.full_name);
    let mut files: Vec<herald_codegen::span::FileId> = herald_codegen::fingerprint::closure(set, &ty.full_name)
        .iter()
        .filter_map(|n| set.type_named(n))
        .filter(|t| !set.is_builtin(t))
        .map(|t| t.file)
        .collect();
    files.sort();
    files.dedup();
    let schema_sources = files
        .iter()
        .map(|&f| {
            let file = set.sources_map.get(f);
            SchemaSource {
                name: file.name.clone(),
                text: file.text.clone(),
            }
        })
        .collect();
    let history_script = format!("{slug}.history.js");
    let script = HistoryScript {
        verdicts: history.verdicts.iter().map(ScriptVerdict::of).collect(),
        versions: history
            .versions
            .iter()
            .map(|v| ScriptVersion {
                fields: &v.fields,
                version: &v.version,
            })
            .collect(),
    };
    let script = serde_json::to_string(&script).map_err(|e| format!("cannot write {history_script}: {e}"))?;
    site.insert(
        format!("events/{history_script}"),
        format!("window.HERALD_HISTORY = {};\n", script_safe(&script)).into_bytes(),
    );
    let consumers: Vec<&herald_codegen::model::Consumer> = set.consumers_of(e).collect();
    let svg = names.flow(
        event.name.clone(),
        &event.source.into_iter().collect::<Vec<_>>(),
        &[e],
        &consumers,
    );
    site.insert(format!("flow/{slug}.svg"), svg.into_bytes());
    let doc = names.doc(e);
    let search = SearchEntry {
        name: event.name.clone(),
        kind: if event.kind == herald_codegen::model::EventKind::Command {
            "command"
        } else {
            "event"
        },
        href: slug.clone(),
        fields: types
            .iter()
            .flat_map(|t| t.fields.iter().map(|f| f.name.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        doc: doc.chars().take(SEARCH_DOC_CHARS).collect(),
    };
    let data = EventPage {
        root: "../",
        title: event.name.clone(),
        name: event.name.clone(),
        kind: event.kind.to_string().to_lowercase(),
        version: event.version.to_string(),
        format: match ty.format {
            Format::Proto => "protobuf",
            Format::Avro => "Avro",
        },
        partition_key: event.partition_key.clone(),
        topic: source.map(|s| s.topic.clone()),
        source: source.map(|s| names.service_row(&s.name, "../")),
        compatibility: event.compatibility.name().to_owned(),
        doc,
        types,
        schema_sources,
        consumers: consumers.iter().map(|c| names.service_row(&c.name, "../")).collect(),
        history: &history.versions,
        history_script,
        flow: format!("../flow/{slug}.svg"),
    };
    site.insert(format!("events/{slug}.html"), page(templates, "event", &data)?);
    Ok(search)
}

/// A page and a picture per service: what it publishes (as a source), what it consumes.
fn service_pages(names: &Names, templates: &Templates, site: &mut Site) -> Result<(), String> {
    let set = names.set;
    for (name, slug) in &names.services {
        let source = set.sources.iter().position(|s| &s.name == name);
        let consumer = set.consumer_named(name);
        let publishes: Vec<usize> = names
            .order
            .iter()
            .copied()
            .filter(|&e| source.is_some() && set.events[e].source == source)
            .collect();
        let consumes: Vec<usize> = names
            .order
            .iter()
            .copied()
            .filter(|&e| consumer.is_some_and(|c| c.consumes(e)))
            .collect();
        // Its picture: what it publishes and who reads that, and what it reads and from whom.
        let mut sources: BTreeSet<usize> = source.into_iter().collect();
        sources.extend(consumes.iter().filter_map(|&e| set.events[e].source));
        let shown: Vec<usize> = names
            .order
            .iter()
            .copied()
            .filter(|e| publishes.contains(e) || consumes.contains(e))
            .collect();
        let readers: Vec<&herald_codegen::model::Consumer> = set
            .consumers
            .iter()
            .filter(|c| c.name == *name || publishes.iter().any(|&e| c.consumes(e)))
            .collect();
        let svg = names.flow(name.clone(), &sources.into_iter().collect::<Vec<_>>(), &shown, &readers);
        site.insert(format!("flow/service-{slug}.svg"), svg.into_bytes());
        let data = ServicePage {
            root: "../",
            title: name.clone(),
            name: name.clone(),
            topic: source.and_then(|s| set.sources.get(s)).map(|s| s.topic.clone()),
            group: consumer.and_then(|c| c.group.clone()),
            owner: consumer.and_then(|c| c.owner.clone()),
            flow: format!("../flow/service-{slug}.svg"),
            publishes: publishes.iter().map(|&e| names.event_ref(e, "../")).collect(),
            consumes: consumes.iter().map(|&e| names.event_ref(e, "../")).collect(),
        };
        site.insert(format!("services/{slug}.html"), page(templates, "service", &data)?);
    }
    Ok(())
}

/// JSON with `<`, `>` and `&` as `\u` escapes (they only occur inside strings), so that no schema
/// text reads as markup even if a team inlines the script into a page.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn page<T: Serialize>(templates: &Templates, name: &str, data: &T) -> Result<Vec<u8>, String> {
    templates
        .registry
        .render(name, data)
        .map(|s| s.into_bytes())
        .map_err(|e| {
            let at = e
                .line_no
                .map(|l| format!(":{l}:{}", e.column_no.unwrap_or(0)))
                .unwrap_or_default();
            format!("template {name}.hbs{at}: {e}")
        })
}

/// `path` made absolute and resolved as far as it exists (the rest appended as written).
fn resolved(path: &Path) -> Result<PathBuf, String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?
            .join(path)
    };
    let mut rest = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(absolute),
        }
    }
}

/// Refuses an output directory inside the schema repo (the next load would read the catalog's
/// files as input, and `herald fmt` would walk them), one holding the repo, and one that holds
/// other files.
pub fn check_out(repo: &Path, out: &Path) -> Result<(), String> {
    let repo_abs = resolved(repo)?;
    let out_abs = resolved(out)?;
    if out_abs.starts_with(&repo_abs) {
        return Err(format!(
            "{} is inside the schema repo {}: the next load would read it as input; write the catalog outside the repo (e.g. --out ../catalog)",
            out.display(),
            repo.display()
        ));
    }
    if repo_abs.starts_with(&out_abs) {
        return Err(format!(
            "the schema repo {} is inside {}: writing the catalog there could replace it; choose a directory beside the repo",
            repo.display(),
            out.display()
        ));
    }
    if out_abs.is_dir() && !out_abs.join(MARKER).exists() {
        let mut listing = std::fs::read_dir(&out_abs).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
        if listing.next().is_some() {
            return Err(format!(
                "{} is not empty and holds no catalog (no {MARKER}): choose an empty or new directory",
                out.display()
            ));
        }
    }
    Ok(())
}

/// Writes `site` under `out` (created if missing), replacing a previous catalog's pages there:
/// a file that already holds its bytes is left alone (a catalog regenerated with nothing changed
/// writes nothing), and the previous catalog's pages that are no longer in `site` are removed.
pub fn write(site: &Site, out: &Path) -> Result<(), String> {
    let fail = |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
    std::fs::create_dir_all(out).map_err(|e| fail("create", out, e))?;
    for dir in ["events", "services", "flow"] {
        remove_stale(site, out, dir).map_err(|(p, e)| fail("remove the previous catalog's", &p, e))?;
    }
    let dirs: BTreeSet<&Path> = site.keys().filter_map(|name| Path::new(name).parent()).collect();
    for dir in dirs {
        let d = out.join(dir);
        std::fs::create_dir_all(&d).map_err(|e| fail("create", &d, e))?;
    }
    // Thousands of small files: written on every core.
    let files: Vec<(&String, &Vec<u8>)> = site.iter().collect();
    let written = history::par_map(&files, |(name, bytes)| {
        let path = out.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == **bytes) {
            return Ok(());
        }
        std::fs::write(&path, bytes).map_err(|e| fail("write", &path, e))
    });
    written.into_iter().collect()
}

/// Removes what `out/dir` holds that `site` does not: files, and anything that is not a file (a
/// directory where the site has a page, a link).
fn remove_stale(site: &Site, out: &Path, dir: &str) -> Result<(), (PathBuf, std::io::Error)> {
    let root = out.join(dir);
    if !root.is_dir() {
        return Ok(());
    }
    let mut todo = vec![root];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| (d.clone(), e))? {
            let entry = entry.map_err(|e| (d.clone(), e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| (path.clone(), e))?;
            let name = path
                .strip_prefix(out)
                .ok()
                .and_then(Path::to_str)
                .map(|n| n.replace(std::path::MAIN_SEPARATOR, "/"));
            let kept = name.as_ref().is_some_and(|n| site.contains_key(n));
            if kind.is_dir() && !kept {
                todo.push(path);
            } else if !kept || !kind.is_file() {
                let removed = if kind.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| (path.clone(), e))?;
            }
        }
    }
    Ok(())
}
