//! herald's event catalog: a static, offline site (HTML, CSS, a little vanilla JavaScript, SVG)
//! generated from a schema repo and its `herald.lock`: an index with search, a page per event
//! or command (fields, schema source, released versions with diffs and verdicts, flow picture)
//! and a page per service. `herald catalog` calls [`render`] then [`write`].
//!
//! The site is a pure function of the repo: no timestamps, no absolute paths, every link
//! relative, nothing fetched from elsewhere; the same repo gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use herald_codegen::load::Lock;
use herald_codegen::model::{Event, EventSet, Format};
use serde::Serialize;

pub mod flow;
pub mod history;
pub mod schema;
mod templates;

pub use templates::{Templates, DEFAULTS};

/// The site: each file's path (with `/`) and bytes, in order.
pub type Site = BTreeMap<String, Vec<u8>>;

/// A file in OUT that says it holds a catalog, so a later run may replace its pages.
pub const MARKER: &str = ".herald-catalog";

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
}

#[derive(Serialize)]
struct SchemaSource {
    name: String,
    text: String,
}

#[derive(Serialize)]
struct EventPage {
    root: &'static str,
    title: String,
    name: String,
    kind: String,
    version: String,
    format: &'static str,
    partition_key: String,
    topic: Option<String>,
    source: Option<EventRef>,
    compatibility: String,
    doc: String,
    types: Vec<schema::TypeSection>,
    schema_sources: Vec<SchemaSource>,
    history: Vec<history::Version>,
    history_script: String,
    flow: String,
}

#[derive(Serialize)]
struct ServicePage {
    root: &'static str,
    title: String,
    name: String,
    topic: String,
    flow: String,
    publishes: Vec<EventRef>,
}

/// One search entry: name, kind, link, field paths, doc's start.
#[derive(Serialize)]
struct SearchEntry<'a> {
    name: &'a str,
    kind: &'a str,
    href: &'a str,
    fields: Vec<&'a str>,
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

fn summary(doc: &str) -> String {
    let first = doc.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
    if first.chars().count() > 160 {
        let mut s: String = first.chars().take(159).collect();
        s.push('…');
        s
    } else {
        first.to_owned()
    }
}

/// The catalog of `set` (loaded without errors) and its lock, if any.
///
/// Long because it assembles the whole site in one pass over the model: file names, the
/// history, then each page kind and its picture, the search index and the static files.
pub fn render(set: &EventSet, lock: Option<&Lock>, templates: &Templates) -> Result<Site, String> {
    let mut site = Site::new();
    let title = set
        .config
        .as_ref()
        .and_then(|c| c.name.clone())
        .unwrap_or_else(|| "herald".to_owned());
    let histories = match lock {
        Some(lock) => history::histories(lock, set)?,
        None => history::Histories::new(),
    };
    let partitions: BTreeMap<String, u32> = set
        .config
        .as_ref()
        .and_then(|c| herald_codegen::topics::declared(c).ok())
        .into_iter()
        .flatten()
        .map(|t| (t.name, t.partitions))
        .collect();
    let mut taken = BTreeSet::new();
    let mut events: Vec<&Event> = set.events.iter().collect();
    events.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
    let slugs: Vec<String> = events
        .iter()
        .map(|e| {
            let dup = events.iter().filter(|o| o.name == e.name).count() > 1;
            let name = if dup {
                format!("{}.v{}", e.name, e.version.major)
            } else {
                e.name.clone()
            };
            slug(&name, &mut taken)
        })
        .collect();
    let mut service_taken = BTreeSet::new();
    let service_slugs: Vec<String> = set.sources.iter().map(|s| slug(&s.name, &mut service_taken)).collect();
    let doc_of = |e: &Event| schema::doc_text(&set.types[e.type_id].doc);
    let event_ref = |e: &Event, slug: &str, root: &str| EventRef {
        name: e.name.clone(),
        href: format!("{root}events/{slug}.html"),
        kind: e.kind.to_string().to_lowercase(),
        version: e.version.to_string(),
        summary: summary(&doc_of(e)),
    };
    // The index.
    let mut sources: Vec<SourceRow> = set
        .sources
        .iter()
        .zip(&service_slugs)
        .map(|(s, slug)| SourceRow {
            name: s.name.clone(),
            href: format!("services/{slug}.html"),
            topic: s.topic.clone(),
            partitions: partitions.get(&s.topic).copied(),
            compatibility: s.compatibility.name().to_owned(),
            events: Vec::new(),
        })
        .collect();
    let mut unsourced = Vec::new();
    for (e, slug) in events.iter().zip(&slugs) {
        match e.source.and_then(|i| sources.get_mut(i)) {
            Some(s) => s.events.push(event_ref(e, slug, "")),
            None => unsourced.push(event_ref(e, slug, "")),
        }
    }
    let services = sources
        .iter()
        .map(|s| ServiceRow {
            name: s.name.clone(),
            href: s.href.clone(),
            publishes: s.events.len(),
            consumes: 0,
        })
        .collect();
    let index = IndexPage {
        root: "",
        title: title.clone(),
        empty: events.is_empty(),
        event_count: events.len(),
        sources,
        unsourced,
        services,
    };
    site.insert("index.html".into(), page(templates, "index", &index)?);
    // The overall picture.
    let topic_list: Vec<(String, u32)> = set
        .sources
        .iter()
        .map(|s| s.topic.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|t| {
            let n = partitions
                .get(&t)
                .copied()
                .unwrap_or(herald_codegen::topics::DEFAULT_PARTITIONS);
            (t, n)
        })
        .collect();
    let overall = flow::Flow {
        title: format!("{title}: producers, topics, consumers"),
        producers: set
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| flow::Producer {
                name: s.name.clone(),
                events: events
                    .iter()
                    .filter(|e| e.source == Some(i))
                    .map(|e| e.name.clone())
                    .collect(),
                topic: s.topic.clone(),
            })
            .collect(),
        topics: topic_list.clone(),
        consumers: Vec::new(),
    };
    site.insert("flow.svg".into(), flow::draw(&overall).svg.into_bytes());
    // Event pages, their pictures and history scripts.
    let mut search = Vec::new();
    for (e, slug) in events.iter().zip(&slugs) {
        let ty = &set.types[e.type_id];
        let source = e.source.and_then(|i| set.sources.get(i).map(|s| (i, s)));
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
        let history = histories.get(&e.name).cloned().unwrap_or_default();
        let history_script = format!("{slug}.history.js");
        let script = serde_json::json!({
            "versions": history.versions.iter().map(|v| serde_json::json!({"version": v.version, "fields": v.fields})).collect::<Vec<_>>(),
            "verdicts": history.verdicts,
        });
        site.insert(
            format!("events/{history_script}"),
            format!("window.HERALD_HISTORY = {};\n", script).into_bytes(),
        );
        let picture = flow::Flow {
            title: e.name.clone(),
            producers: source
                .map(|(_, s)| flow::Producer {
                    name: s.name.clone(),
                    events: vec![e.name.clone()],
                    topic: s.topic.clone(),
                })
                .into_iter()
                .collect(),
            topics: source
                .map(|(_, s)| {
                    let n = partitions
                        .get(&s.topic)
                        .copied()
                        .unwrap_or(herald_codegen::topics::DEFAULT_PARTITIONS);
                    (s.topic.clone(), n)
                })
                .into_iter()
                .collect(),
            consumers: Vec::new(),
        };
        site.insert(format!("flow/{slug}.svg"), flow::draw(&picture).svg.into_bytes());
        let doc = doc_of(e);
        let page_data = EventPage {
            root: "../",
            title: e.name.clone(),
            name: e.name.clone(),
            kind: e.kind.to_string().to_lowercase(),
            version: e.version.to_string(),
            format: match ty.format {
                Format::Proto => "protobuf",
                Format::Avro => "Avro",
            },
            partition_key: e.partition_key.clone(),
            topic: source.map(|(_, s)| s.topic.clone()),
            source: source.map(|(i, s)| EventRef {
                name: s.name.clone(),
                href: format!("../services/{}.html", service_slugs[i]),
                kind: String::new(),
                version: String::new(),
                summary: String::new(),
            }),
            compatibility: e.compatibility.name().to_owned(),
            doc: doc.clone(),
            types,
            schema_sources,
            history: history.versions,
            history_script,
            flow: format!("../flow/{slug}.svg"),
        };
        site.insert(format!("events/{slug}.html"), page(templates, "event", &page_data)?);
        search.push((e, slug, doc, page_data.types));
    }
    // Service pages.
    for (i, (s, slug)) in set.sources.iter().zip(&service_slugs).enumerate() {
        let publishes: Vec<EventRef> = events
            .iter()
            .zip(&slugs)
            .filter(|(e, _)| e.source == Some(i))
            .map(|(e, sl)| event_ref(e, sl, "../"))
            .collect();
        let picture = flow::Flow {
            title: s.name.clone(),
            producers: vec![flow::Producer {
                name: s.name.clone(),
                events: publishes.iter().map(|e| e.name.clone()).collect(),
                topic: s.topic.clone(),
            }],
            topics: topic_list.iter().filter(|(t, _)| *t == s.topic).cloned().collect(),
            consumers: Vec::new(),
        };
        site.insert(
            format!("flow/service-{slug}.svg"),
            flow::draw(&picture).svg.into_bytes(),
        );
        let data = ServicePage {
            root: "../",
            title: s.name.clone(),
            name: s.name.clone(),
            topic: s.topic.clone(),
            flow: format!("../flow/service-{slug}.svg"),
            publishes,
        };
        site.insert(format!("services/{slug}.html"), page(templates, "service", &data)?);
    }
    // The search index, a script so that it loads from file:// without fetch.
    let entries: Vec<SearchEntry> = search
        .iter()
        .map(|(e, slug, doc, types)| SearchEntry {
            name: &e.name,
            kind: if e.kind == herald_codegen::model::EventKind::Command {
                "command"
            } else {
                "event"
            },
            href: slug,
            fields: types
                .iter()
                .flat_map(|t| t.fields.iter().map(|f| f.name.as_str()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            doc: doc.chars().take(SEARCH_DOC_CHARS).collect(),
        })
        .collect();
    let index_json = serde_json::to_string(&entries).map_err(|e| format!("cannot write the search index: {e}"))?;
    site.insert(
        "search-index.js".into(),
        format!("window.HERALD_SEARCH = {index_json};\n").into_bytes(),
    );
    for (name, text) in &templates.assets {
        site.insert((*name).to_owned(), text.clone().into_bytes());
    }
    site.insert(
        MARKER.into(),
        b"herald catalog output: `herald catalog` replaces this directory's pages\n".to_vec(),
    );
    Ok(site)
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
/// files as input, and `herald fmt` would walk them) and one that holds other files.
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

/// Writes `site` under `out` (created if missing), replacing a previous catalog's pages there.
pub fn write(site: &Site, out: &Path) -> Result<(), String> {
    let fail = |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
    std::fs::create_dir_all(out).map_err(|e| fail("create", out, e))?;
    for dir in ["events", "services", "flow"] {
        let d = out.join(dir);
        if d.is_dir() {
            std::fs::remove_dir_all(&d).map_err(|e| fail("remove the previous catalog's", &d, e))?;
        }
    }
    for (name, bytes) in site {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail("create", parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| fail("write", &path, e))?;
    }
    Ok(())
}
