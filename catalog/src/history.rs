//! Every released version of every event, rebuilt from `herald.lock`: its fields, the field-level
//! diff from the version before, and the compatibility verdict between consecutive versions from
//! herald-codegen's checker.
//!
//! Rebuilding each release as its own repo costs a load per release (20,000 loads for 1,000
//! events × 20 versions), so releases are packed into *layers*: one in-memory repo per layer
//! holding releases whose files agree (the same path never with two contents) and whose types
//! differ; an event's successive versions land in successive layers. A layer is loaded once and
//! two layers are checked against each other once, whatever number of events they hold. A layer
//! that does not load cleanly falls back to one load per release.

use std::collections::{BTreeMap, BTreeSet};

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::files::FileSet;
use herald_codegen::load::{self, Lock, Release};
use herald_codegen::model::{EventSet, Mode};
use herald_codegen::Severity;
use serde::Serialize;

use crate::schema::{self, FieldChange};

/// One released version of an event.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: String,
    pub fingerprint: String,
    /// Path → signature, for the page's chooser.
    pub fields: BTreeMap<String, String>,
    /// The diff from the previous released version (empty for the first).
    pub changes: Vec<FieldChange>,
    /// The verdict against the previous released version.
    pub verdict: Option<Verdict>,
}

/// What herald's checker says of one version against the one before.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub from: String,
    pub to: String,
    pub mode: String,
    pub compatible: bool,
    /// Each finding: rule and message.
    pub findings: Vec<String>,
}

/// An event's released versions, oldest first, and the verdicts recorded between them: every two
/// versions in a small repo, else each version against the one before it and against the latest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    pub versions: Vec<Version>,
    pub verdicts: Vec<Verdict>,
}

/// Checks (pairs of rebuilt models) spent on verdicts between every two versions; above it, each
/// version is judged against the one before it and against the latest only.
const ALL_PAIRS_BUDGET: usize = 64;

/// Which pairs of an event's releases (indices into the lock) to judge.
type PairChooser<'a> = dyn Fn(&[usize]) -> Vec<(usize, usize)> + 'a;

/// Each event's history, by event name.
pub type Histories = BTreeMap<String, History>;

/// The files of a release: path → blob hash.
fn entries(r: &Release) -> Result<BTreeMap<&str, &str>, String> {
    r.files
        .iter()
        .map(|e| {
            e.rsplit_once('@')
                .ok_or_else(|| format!("malformed file entry `{e}` in {}", load::LOCK_FILE))
        })
        .collect()
}

/// Releases packed into layers (indices into `lock.releases`).
fn layers(lock: &Lock, order: &[usize]) -> Result<Vec<Vec<usize>>, String> {
    struct Layer<'a> {
        files: BTreeMap<&'a str, &'a str>,
        types: BTreeSet<&'a str>,
        releases: Vec<usize>,
    }
    let mut layers: Vec<Layer> = Vec::new();
    for &i in order {
        let r = &lock.releases[i];
        let files = entries(r)?;
        let fits = |l: &Layer| {
            !l.types.contains(r.type_name.as_str())
                && !l.types.contains(r.event.as_str())
                && files.iter().all(|(p, h)| l.files.get(p).is_none_or(|x| x == h))
        };
        // An event's versions come in order, so its next version goes after its last layer.
        let start = layers
            .iter()
            .rposition(|l| l.types.contains(r.event.as_str()))
            .map_or(0, |p| p + 1);
        let at = match layers.iter().skip(start).position(fits) {
            Some(p) => p + start,
            None => {
                layers.push(Layer {
                    files: BTreeMap::new(),
                    types: BTreeSet::new(),
                    releases: Vec::new(),
                });
                layers.len() - 1
            }
        };
        let l = &mut layers[at];
        l.files.extend(files);
        l.types.insert(r.type_name.as_str());
        l.types.insert(r.event.as_str());
        l.releases.push(i);
    }
    Ok(layers.into_iter().map(|l| l.releases).collect())
}

/// One repo in memory holding the releases `ids`: their files, and a herald.toml declaring each
/// release's source with exactly its files.
fn layer_files(lock: &Lock, ids: &[usize]) -> Result<FileSet, String> {
    let mut files = FileSet::new(load::LOCK_FILE);
    let mut sources: BTreeMap<&str, (&str, BTreeSet<&str>)> = BTreeMap::new();
    for &i in ids {
        let r = &lock.releases[i];
        for (path, h) in entries(r)? {
            let text = lock
                .blobs
                .get(h)
                .ok_or_else(|| format!("{} has no blob {h} for `{path}`", load::LOCK_FILE))?;
            let rel = std::path::Path::new(path);
            if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
                return Err(format!("{} names a file outside the repo: `{path}`", load::LOCK_FILE));
            }
            files.insert(path, text.as_bytes());
            sources
                .entry(&r.source)
                .or_insert((&r.topic, BTreeSet::new()))
                .1
                .insert(path);
        }
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    // A directory whose files all belong to one source is one glob (`dir/*`): the loader matches
    // every file against every glob, so one glob per file would be quadratic.
    let mut owners: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (source, (_, paths)) in &sources {
        for p in paths {
            owners.entry(parent(p)).or_default().insert(source);
        }
    }
    let mut config = String::from("[repo]\nname = \"released\"\n");
    for (source, (topic, paths)) in sources {
        let mut globs: BTreeSet<String> = BTreeSet::new();
        for p in &paths {
            let dir = parent(p);
            let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!');
            if owners.get(dir).is_some_and(|o| o.len() == 1) && !dir.contains(special) {
                globs.insert(quote(&if dir.is_empty() {
                    "*".to_owned()
                } else {
                    format!("{dir}/*")
                }));
            } else {
                globs.insert(quote(p));
            }
        }
        let globs: Vec<String> = globs.into_iter().collect();
        config.push_str(&format!(
            "\n[sources.{}]\ntopic = {}\nschemas = [{}]\n",
            quote(source),
            quote(topic),
            globs.join(", ")
        ));
    }
    files.insert(herald_codegen::config::CONFIG_FILE, config);
    Ok(files)
}

/// Whether `r` is a proto release whose recorded fingerprint is the current schema's.
fn is_current(r: &Release, current: &EventSet, by_name: &BTreeMap<&str, Vec<&herald_codegen::model::Event>>) -> bool {
    if r.fingerprint_version != herald_codegen::fingerprint::VERSION {
        return false;
    }
    by_name.get(r.event.as_str()).into_iter().flatten().any(|e| {
        e.name == r.event
            && e.version.to_string() == r.version
            && current.types.get(e.type_id).is_some_and(|ty| {
                ty.format == herald_codegen::model::Format::Proto
                    && ty.full_name == r.type_name
                    && herald_codegen::fingerprint::event_fingerprint(current, ty)
                        .is_ok_and(|f| format!("{f:016x}") == r.fingerprint)
            })
    })
}

/// The directory part of a repo path (`""` at the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A loaded model, or `None` when it has errors.
fn load_clean(files: &FileSet) -> Option<EventSet> {
    let loaded = load::load_files(files).ok()?;
    let clean = !loaded.diagnostics.iter().any(|d| d.severity == Severity::Error);
    clean.then_some(loaded.set)
}

/// `f` over `items` on every core, results in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Every event's released versions with diffs and verdicts. `current` gives each event's mode
/// (its herald.toml setting today; `BACKWARD` for an event no longer declared).
///
/// Long because it is the pipeline read top to bottom: order the releases, pack them into
/// layers, load the layers (and the fallbacks) on every core, check the layer pairs consecutive
/// versions need, then assemble each event's versions.
pub fn histories(lock: &Lock, current: &EventSet) -> Result<Histories, String> {
    let mut order: Vec<usize> = (0..lock.releases.len()).collect();
    for r in &lock.releases {
        if r.version().is_none() {
            return Err(format!(
                "{}: release of `{}` has an invalid version `{}`",
                load::LOCK_FILE,
                r.event,
                r.version
            ));
        }
    }
    order.sort_by(|&a, &b| {
        let (a, b) = (&lock.releases[a], &lock.releases[b]);
        (&a.event, a.version()).cmp(&(&b.event, b.version()))
    });
    // A proto release whose recorded fingerprint is the current schema's (usually the latest) is
    // read from the current model (index 0) rather than rebuilt.
    let mut by_name: BTreeMap<&str, Vec<&herald_codegen::model::Event>> = BTreeMap::new();
    for e in &current.events {
        by_name.entry(e.name.as_str()).or_default().push(e);
    }
    let now: BTreeSet<usize> = order
        .iter()
        .copied()
        .filter(|&i| is_current(&lock.releases[i], current, &by_name))
        .collect();
    let rebuild: Vec<usize> = order.iter().copied().filter(|i| !now.contains(i)).collect();
    let layers = layers(lock, &rebuild)?;
    let sets: Vec<Result<FileSet, String>> = layers.iter().map(|ids| layer_files(lock, ids)).collect();
    let loaded: Vec<Option<EventSet>> = par_map(&sets, |s| s.as_ref().ok().and_then(load_clean));
    // Which model holds each release: the current one, its layer's, else one of its own.
    let mut owned: Vec<EventSet> = Vec::new();
    let mut model_of: BTreeMap<usize, usize> = now.iter().map(|&i| (i, 0)).collect();
    let mut alone = Vec::new();
    for (ids, set) in layers.iter().zip(loaded) {
        match set {
            Some(set) => {
                owned.push(set);
                for &i in ids {
                    model_of.insert(i, owned.len());
                }
            }
            None => alone.extend(ids.iter().copied()),
        }
    }
    let alone_files: Vec<(usize, FileSet)> = alone
        .iter()
        .map(|&i| load::release_files(lock, &lock.releases[i]).map(|f| (i, f)))
        .collect::<Result<_, _>>()?;
    for ((i, _), set) in alone_files
        .iter()
        .zip(par_map(&alone_files, |(_, f)| load::load_files(f).ok()))
    {
        let r = &lock.releases[*i];
        let set = set.map(|l| l.set).ok_or_else(|| {
            format!(
                "released `{}` {} cannot be rebuilt from {}",
                r.event,
                r.version,
                load::LOCK_FILE
            )
        })?;
        owned.push(set);
        model_of.insert(*i, owned.len());
    }
    let models: Vec<&EventSet> = std::iter::once(current).chain(owned.iter()).collect();
    // Consecutive versions of each event, and the model pairs their verdicts need.
    let mut by_event: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &order {
        by_event.entry(lock.releases[i].event.as_str()).or_default().push(i);
    }
    let mode_of = |event: &str| {
        by_name
            .get(event)
            .and_then(|e| e.first())
            .map_or(Mode::Backward, |e| e.compatibility)
    };
    // The model pairs to check: every pair of versions when that takes at most `ALL_PAIRS_BUDGET`
    // checks, else each version against the one before it and against the latest.
    let all = |ids: &[usize]| -> Vec<(usize, usize)> {
        ids.iter()
            .enumerate()
            .flat_map(|(n, &a)| ids[n + 1..].iter().map(move |&b| (a, b)))
            .collect()
    };
    let some = |ids: &[usize]| -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = ids.windows(2).map(|w| (w[0], w[1])).collect();
        if let Some((&last, rest)) = ids.split_last() {
            out.extend(rest.iter().rev().skip(1).rev().map(|&i| (i, last)));
        }
        out
    };
    let model_pairs = |choose: &PairChooser| {
        let mut pairs: BTreeSet<(usize, usize, &'static str)> = BTreeSet::new();
        for (event, ids) in &by_event {
            for (a, b) in choose(ids) {
                pairs.insert((model_of[&a], model_of[&b], mode_of(event).name()));
            }
        }
        pairs
    };
    let mut pairs = model_pairs(&all);
    let every_pair = pairs.len() <= ALL_PAIRS_BUDGET;
    if !every_pair {
        pairs = model_pairs(&some);
    }
    let wanted = |ids: &[usize]| if every_pair { all(ids) } else { some(ids) };
    let pairs: Vec<(usize, usize, &'static str)> = pairs.into_iter().collect();
    let checked = par_map(&pairs, |&(a, b, mode)| {
        let mode = Mode::parse(mode).filter(|m| *m != Mode::None).unwrap_or(Mode::Backward);
        let options = CheckOptions {
            mode: Some(mode),
            ..CheckOptions::default()
        };
        check::check(models[a], models[b], &options)
    });
    let findings: BTreeMap<(usize, usize, &'static str), Vec<check::CheckFinding>> =
        pairs.into_iter().zip(checked).collect();
    let verdict = |event: &str, a: usize, b: usize| {
        let mode = mode_of(event);
        let found: Vec<&check::CheckFinding> = findings
            .get(&(model_of[&a], model_of[&b], mode.name()))
            .into_iter()
            .flatten()
            .filter(|f| f.event.as_deref() == Some(event))
            .collect();
        Verdict {
            from: lock.releases[a].version.clone(),
            to: lock.releases[b].version.clone(),
            mode: mode.name().to_owned(),
            compatible: !found.iter().any(|f| check::is_breaking(f)),
            findings: found
                .iter()
                .map(|f| format!("{}: {}", f.finding.rule.id, f.finding.message))
                .collect(),
        }
    };
    let mut out = Histories::new();
    for (event, ids) in by_event {
        let mut versions: Vec<Version> = Vec::new();
        for (n, &i) in ids.iter().enumerate() {
            let r = &lock.releases[i];
            let fields = schema::flat_fields(models[model_of[&i]], &r.type_name);
            let (changes, verdict) = match n.checked_sub(1).map(|p| (ids[p], &versions[p])) {
                None => (Vec::new(), None),
                Some((prev, before)) => (schema::diff(&before.fields, &fields), Some(verdict(event, prev, i))),
            };
            versions.push(Version {
                version: r.version.clone(),
                fingerprint: r.fingerprint.clone(),
                fields,
                changes,
                verdict,
            });
        }
        let verdicts = wanted(&ids).into_iter().map(|(a, b)| verdict(event, a, b)).collect();
        out.insert(event.to_owned(), History { versions, verdicts });
    }
    Ok(out)
}
