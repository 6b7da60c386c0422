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
//!
//! What a run learns is kept as a [`Record`] beside the site it writes: each release's fields and
//! each verdict, keyed by the content of the releases they come from (and the mode of a verdict).
//! A run over a previous catalog reuses what its record holds and loads only the layers it still
//! needs, so a catalog regenerated with no new release rebuilds nothing; one after a release
//! rebuilds the layers the new verdicts need. Either way the site is the same bytes as a run
//! without a record gives.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use herald_codegen::compat::check::{self, CheckOptions};
use herald_codegen::compat::proto::Decoded;
use herald_codegen::files::FileSet;
use herald_codegen::load::{self, Lock, Release};
use herald_codegen::model::{EventSet, Mode};
use herald_codegen::Severity;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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

/// Each event's history, by event name.
pub type Histories = BTreeMap<String, History>;

/// The [`Record`] format this herald writes and reads: a record written by another herald (its
/// fields or checker may differ) is not reused.
pub const RECORD_FORMAT: &str = concat!("herald ", env!("CARGO_PKG_VERSION"), ", record 1");

/// What a catalog run learnt from rebuilding the lock's releases, for the next run to reuse.
/// Keys name releases by content ([`release_keys`]), so an entry is reused only for a release
/// whose files, type, source and fingerprint are the same.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    /// [`RECORD_FORMAT`] of the herald that wrote it.
    pub format: String,
    /// Each release's fields, by release key.
    pub fields: BTreeMap<String, BTreeMap<String, String>>,
    /// Each verdict, by `"<older key> <newer key> <mode>"`.
    pub verdicts: BTreeMap<String, Verdict>,
}

impl Record {
    /// The record as JSON with one release or verdict per line, so that a committed catalog's
    /// record changes by the lines of what changed.
    pub fn to_json_lines(&self) -> Result<Vec<u8>, String> {
        fn entries<V: Serialize + Sync>(map: &BTreeMap<String, V>) -> Result<String, String> {
            // Written on every core, in slices of the map's order.
            let all: Vec<(&String, &V)> = map.iter().collect();
            let slices: Vec<&[(&String, &V)]> = all.chunks(4096).collect();
            let parts = par_map(&slices, |slice| {
                slice
                    .iter()
                    .map(|(k, v)| Ok(format!("{}:{}", to_json(k)?, to_json(v)?)))
                    .collect::<Result<Vec<String>, String>>()
            });
            let mut lines = Vec::with_capacity(all.len());
            for part in parts {
                lines.extend(part?);
            }
            Ok(lines.join(",\n"))
        }
        fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String, String> {
            serde_json::to_string(v).map_err(|e| format!("cannot write the catalog's record: {e}"))
        }
        Ok(format!(
            "{{\"format\":{},\n\"fields\":{{\n{}\n}},\n\"verdicts\":{{\n{}\n}}}}\n",
            to_json(&self.format)?,
            entries(&self.fields)?,
            entries(&self.verdicts)?
        )
        .into_bytes())
    }
}

/// The histories, the record of what they were built from, and how many layers were rebuilt.
#[derive(Debug, Default)]
pub struct Outcome {
    pub histories: Histories,
    pub record: Record,
    /// Layers loaded to rebuild releases (none when a record held everything).
    pub layers_loaded: usize,
}

/// A key per release (by index in the lock): the event and version for people, and a hash of
/// everything its rebuilt model depends on: format, type, source, topic, fingerprint and each
/// file's path and text (the blob's own bytes, not its name in the lock).
pub fn release_keys(lock: &Lock) -> Vec<String> {
    use std::hash::{Hash, Hasher};
    let mut blob_hashes: BTreeMap<&str, u64> = BTreeMap::new();
    lock.releases
        .iter()
        .map(|r| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (
                &r.format,
                &r.type_name,
                &r.source,
                &r.topic,
                &r.fingerprint,
                r.fingerprint_version,
            )
                .hash(&mut h);
            for entry in &r.files {
                let (path, blob) = entry.rsplit_once('@').unwrap_or((entry.as_str(), ""));
                let text = *blob_hashes.entry(blob).or_insert_with(|| {
                    let mut t = std::collections::hash_map::DefaultHasher::new();
                    lock.blobs.get(blob).hash(&mut t);
                    t.finish()
                });
                (path, text).hash(&mut h);
            }
            format!("{}@{}#{:016x}", r.event, r.version, h.finish())
        })
        .collect()
}

fn verdict_key(keys: &[String], a: usize, b: usize, mode: &str) -> String {
    format!("{} {} {mode}", keys[a], keys[b])
}

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
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
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
/// The layers are loaded a few at a time (as many as there are cores) and each model is dropped
/// as soon as every verdict it takes part in is known, so that memory holds a few layers rather
/// than the whole history: an event's versions sit in successive layers and its latest release
/// is usually the current schema, so a layer is done once the next one is loaded.
///
/// `previous` is the record of an earlier run: its fields and verdicts are taken for releases
/// with the same keys, and only the layers still needed are loaded.
pub fn histories(lock: &Lock, current: &EventSet, previous: Option<&Record>) -> Result<Outcome, String> {
    let order = ordered(lock)?;
    let keys = release_keys(lock);
    let previous = previous.filter(|p| p.format == RECORD_FORMAT);
    let mut by_name: BTreeMap<&str, Vec<&herald_codegen::model::Event>> = BTreeMap::new();
    for e in &current.events {
        by_name.entry(e.name.as_str()).or_default().push(e);
    }
    // A proto release whose recorded fingerprint is the current schema's (usually the latest) is
    // read from the current model rather than rebuilt.
    let now: BTreeSet<usize> = order
        .iter()
        .copied()
        .filter(|&i| is_current(&lock.releases[i], current, &by_name))
        .collect();
    let rebuild: Vec<usize> = order.iter().copied().filter(|i| !now.contains(i)).collect();
    let layers = layers(lock, &rebuild)?;
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
    let every_pair = within_budget(&by_event, &layers, &now, &mode_of);
    let wanted = move |ids: &[usize]| if every_pair { all_pairs(ids) } else { some_pairs(ids) };
    let mut state = State {
        models: Vec::new(),
        model_of: now.iter().map(|&i| (i, 0)).collect(),
        fields: BTreeMap::new(),
        pending: by_event
            .iter()
            .flat_map(|(event, ids)| wanted(ids).into_iter().map(|(a, b)| (a, b, mode_of(event), *event)))
            .collect(),
        verdicts: BTreeMap::new(),
        layers: Default::default(),
        running: 0,
        loading: 0,
        busy: Vec::new(),
        error: None,
    };
    for &i in &now {
        state
            .fields
            .insert(i, schema::flat_fields(current, &lock.releases[i].type_name));
    }
    if let Some(previous) = previous {
        state.reuse(previous, &keys);
    }
    // The layers that hold a release whose fields or a verdict are still to learn.
    let needed: BTreeSet<usize> = state.pending.iter().flat_map(|&(a, b, _, _)| [a, b]).collect();
    state.layers = layers
        .into_iter()
        .filter(|ids| ids.iter().any(|i| needed.contains(i) || !state.fields.contains_key(i)))
        .collect();
    let layers_loaded = state.layers.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let judge = Judge::new(lock, current, state);
    judge.run(threads)?;
    let mut state = judge
        .state
        .into_inner()
        .map_err(|_| "a catalog worker failed".to_owned())?;
    let (histories, record) = gather(lock, &keys, by_event, &mut state, &wanted);
    Ok(Outcome {
        histories,
        record,
        layers_loaded,
    })
}

/// The release pairs to judge among an event's releases.
type Wanted = dyn Fn(&[usize]) -> Vec<(usize, usize)> + Sync;

/// Each event's history (field diffs between its versions, built on every core) and the record of
/// what was learnt, from the judge's final state.
fn gather(
    lock: &Lock,
    keys: &[String],
    by_event: BTreeMap<&str, Vec<usize>>,
    state: &mut State<'_>,
    wanted: &Wanted,
) -> (Histories, Record) {
    // Each event's history (field diffs between its versions) on every core.
    type Work<'e> = std::sync::Mutex<Option<(&'e str, Vec<usize>, Vec<BTreeMap<String, String>>)>>;
    let events: Vec<Work> = by_event
        .into_iter()
        .map(|(event, ids)| {
            let fields = ids.iter().map(|i| state.fields.remove(i).unwrap_or_default()).collect();
            std::sync::Mutex::new(Some((event, ids, fields)))
        })
        .collect();
    let verdicts = &state.verdicts;
    // With the record's copy of each release's fields, made on the same core.
    type Built<'e> = (&'e str, History, Vec<(String, BTreeMap<String, String>)>);
    let built: Vec<Option<Built>> = par_map(&events, |work| {
        let (event, ids, fields) = work.lock().ok()?.take()?;
        let history = history(lock, &ids, fields, verdicts, &wanted(&ids));
        let recorded = ids
            .iter()
            .zip(&history.versions)
            .map(|(&i, v)| (keys[i].clone(), v.fields.clone()))
            .collect();
        Some((event, history, recorded))
    });
    let mut record = Record {
        format: RECORD_FORMAT.to_owned(),
        fields: BTreeMap::new(),
        verdicts: verdicts
            .iter()
            .map(|(&(a, b), v)| (verdict_key(keys, a, b, &v.mode), v.clone()))
            .collect(),
    };
    let histories = built
        .into_iter()
        .flatten()
        .map(|(event, history, recorded)| {
            record.fields.extend(recorded);
            (event.to_owned(), history)
        })
        .collect();
    (histories, record)
}

/// Whether a verdict between every two versions of each event takes at most `ALL_PAIRS_BUDGET`
/// checks of whole models (a layer counted as one model; the releases in `now` are the current
/// model); if not, each version is judged against the one before it and the latest only.
fn within_budget(
    by_event: &BTreeMap<&str, Vec<usize>>,
    layers: &[Vec<usize>],
    now: &BTreeSet<usize>,
    mode_of: &dyn Fn(&str) -> Mode,
) -> bool {
    let mut layer_of: BTreeMap<usize, usize> = now.iter().map(|&i| (i, 0)).collect();
    for (n, ids) in layers.iter().enumerate() {
        layer_of.extend(ids.iter().map(|&i| (i, n + 1)));
    }
    // Counted until the budget is passed: a long history has hundreds of thousands of pairs.
    let mut model_pairs: BTreeSet<(usize, usize, &str)> = BTreeSet::new();
    for (event, ids) in by_event {
        for (a, b) in all_pairs(ids) {
            model_pairs.insert((layer_of[&a], layer_of[&b], mode_of(event).name()));
            if model_pairs.len() > ALL_PAIRS_BUDGET {
                return false;
            }
        }
    }
    true
}

/// Every release (indices into the lock) by event, then version; an invalid version is an error.
fn ordered(lock: &Lock) -> Result<Vec<usize>, String> {
    if let Some(r) = lock.releases.iter().find(|r| r.version().is_none()) {
        return Err(format!(
            "{}: release of `{}` has an invalid version `{}`",
            load::LOCK_FILE,
            r.event,
            r.version
        ));
    }
    let mut order: Vec<usize> = (0..lock.releases.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&lock.releases[a], &lock.releases[b]);
        (&a.event, a.version()).cmp(&(&b.event, b.version()))
    });
    Ok(order)
}

/// Every pair of versions (indices into the lock), older first.
fn all_pairs(ids: &[usize]) -> Vec<(usize, usize)> {
    ids.iter()
        .enumerate()
        .flat_map(|(n, &a)| ids[n + 1..].iter().map(move |&b| (a, b)))
        .collect()
}

/// Each version against the one before it and against the latest.
fn some_pairs(ids: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = ids.windows(2).map(|w| (w[0], w[1])).collect();
    if let Some((&last, rest)) = ids.split_last() {
        out.extend(rest.iter().rev().skip(1).rev().map(|&i| (i, last)));
    }
    out
}

/// Two models (older, newer) and the mode to check them in.
type ModelPair = (usize, usize, &'static str);

/// A rebuilt release model, its proto files decoded once for the checks it takes part in.
struct Model {
    set: EventSet,
    decoded: Decoded,
}

/// What the cores share while the layers stream through: tasks are taken from it, results put
/// back, under one mutex; the work itself (loading a layer, checking two models) runs outside it.
struct Judge<'a> {
    lock: &'a Lock,
    current: &'a EventSet,
    /// `current`'s proto files decoded, once the first check needs them.
    current_decoded: std::sync::OnceLock<Decoded>,
    state: std::sync::Mutex<State<'a>>,
    /// Signalled whenever a task ends (a check may have become ready, a model freed).
    changed: std::sync::Condvar,
}

/// The mutable part of a [`Judge`].
struct State<'a> {
    /// Rebuilt models by id - 1 (id 0 is `current`); `None` once dropped.
    models: Vec<Option<std::sync::Arc<Model>>>,
    /// The model holding each release loaded so far.
    model_of: BTreeMap<usize, usize>,
    /// Each loaded release's fields.
    fields: BTreeMap<usize, BTreeMap<String, String>>,
    /// Release pairs still to judge (not taken by a check): older, newer, the event's mode, the
    /// event.
    pending: Vec<(usize, usize, Mode, &'a str)>,
    /// Verdicts by release pair.
    verdicts: BTreeMap<(usize, usize), Verdict>,
    /// Layers not loaded yet, in order.
    layers: std::collections::VecDeque<Vec<usize>>,
    /// Tasks running, loads among them, and the models the running checks use.
    running: usize,
    loading: usize,
    busy: Vec<usize>,
    error: Option<String>,
}

/// A unit of work for one core.
enum Task<'a> {
    /// Load a layer (the releases it packs).
    Load(Vec<usize>),
    /// Check two models in a mode, for these release pairs (older, newer, event).
    Check(ModelPair, Vec<(usize, usize, &'a str)>),
}

/// A model loaded, the releases it holds and their fields.
type Loaded = (Model, Vec<usize>, Vec<BTreeMap<String, String>>);

/// What a task learnt.
enum Learnt {
    Loaded(Vec<Loaded>),
    Judged(ModelPair, Vec<((usize, usize), Verdict)>),
}

/// Rebuilt models alive at once (loaded and not yet dropped, or being loaded) before a core waits
/// for checks to free one rather than load another layer.
fn model_budget(threads: usize) -> usize {
    threads + 2
}

impl<'a> Judge<'a> {
    fn new(lock: &'a Lock, current: &'a EventSet, state: State<'a>) -> Judge<'a> {
        Judge {
            lock,
            current,
            current_decoded: std::sync::OnceLock::new(),
            state: std::sync::Mutex::new(state),
            changed: std::sync::Condvar::new(),
        }
    }

    /// Runs every task on every core until nothing is left; the first error stops them all.
    fn run(&self, threads: usize) -> Result<(), String> {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|| self.work(threads));
            }
            self.work(threads);
        });
        match self.state.lock() {
            Ok(mut st) => st.error.take().map_or(Ok(()), Err),
            Err(_) => Err("a catalog worker failed".to_owned()),
        }
    }

    fn work(&self, threads: usize) {
        loop {
            let task = {
                let Ok(mut st) = self.state.lock() else { return };
                loop {
                    if st.error.is_some() {
                        return;
                    }
                    if let Some(task) = st.take(threads) {
                        break task;
                    }
                    if st.running == 0 {
                        self.changed.notify_all();
                        return;
                    }
                    st = match self.changed.wait(st) {
                        Ok(st) => st,
                        Err(_) => return,
                    };
                }
            };
            let learnt = match task {
                Task::Load(ids) => self.load(&ids).map(Learnt::Loaded),
                Task::Check(key, pairs) => Ok(self.check(key, pairs)),
            };
            let freed = {
                let Ok(mut st) = self.state.lock() else { return };
                st.running -= 1;
                match learnt {
                    Ok(learnt) => st.learn(learnt),
                    Err(e) => {
                        st.error.get_or_insert(e);
                    }
                }
                st.drop_done()
            };
            // The last reference to a model goes here, outside the lock.
            drop(freed);
            self.changed.notify_all();
        }
    }

    /// A model's set and decoded files: `current` for id 0.
    fn side<'m>(
        &'m self,
        id: usize,
        rebuilt: &'m Option<std::sync::Arc<Model>>,
    ) -> Option<(&'m EventSet, &'m Decoded)> {
        match (id, rebuilt) {
            (0, _) => Some((
                self.current,
                self.current_decoded.get_or_init(|| Decoded::of(self.current)),
            )),
            (_, Some(m)) => Some((&m.set, &m.decoded)),
            _ => None,
        }
    }

    /// Loads a layer; when it does not load cleanly, each of its releases alone.
    fn load(&self, ids: &[usize]) -> Result<Vec<Loaded>, String> {
        let lock = self.lock;
        let model = |set: EventSet, ids: Vec<usize>| {
            let fields = ids
                .iter()
                .map(|&i| schema::flat_fields(&set, &lock.releases[i].type_name))
                .collect();
            let decoded = Decoded::of(&set);
            (Model { set, decoded }, ids, fields)
        };
        if let Some(set) = layer_files(lock, ids).ok().and_then(|f| load_clean(&f)) {
            return Ok(vec![model(set, ids.to_vec())]);
        }
        let mut out = Vec::new();
        for &i in ids {
            let r = &lock.releases[i];
            let set = load::release_files(lock, r)
                .ok()
                .and_then(|f| load::load_files(&f).ok())
                .map(|l| l.set)
                .ok_or_else(|| {
                    format!(
                        "released `{}` {} cannot be rebuilt from {}",
                        r.event,
                        r.version,
                        load::LOCK_FILE
                    )
                })?;
            out.push(model(set, vec![i]));
        }
        Ok(out)
    }

    /// One check of two models, and the verdict of each release pair it was for.
    fn check(&self, key: ModelPair, pairs: Vec<(usize, usize, &'a str)>) -> Learnt {
        let (a, b, mode_name) = key;
        let (old, new) = match self.state.lock() {
            Ok(st) => (
                st.models.get(a.wrapping_sub(1)).cloned().flatten(),
                st.models.get(b.wrapping_sub(1)).cloned().flatten(),
            ),
            Err(_) => (None, None),
        };
        let (Some(old), Some(new)) = (self.side(a, &old), self.side(b, &new)) else {
            return Learnt::Judged(key, Vec::new());
        };
        let mode = Mode::parse(mode_name)
            .filter(|m| *m != Mode::None)
            .unwrap_or(Mode::Backward);
        let options = CheckOptions {
            mode: Some(mode),
            ..CheckOptions::default()
        };
        let findings = check::check_decoded(old, new, &options);
        // Each event's findings, in the check's order.
        let mut by_event: HashMap<&str, Vec<&check::CheckFinding>> = HashMap::new();
        for f in &findings {
            if let Some(event) = f.event.as_deref() {
                by_event.entry(event).or_default().push(f);
            }
        }
        let verdicts = pairs
            .into_iter()
            .map(|(a, b, event)| {
                let found: &[&check::CheckFinding] = by_event.get(event).map_or(&[], Vec::as_slice);
                let verdict = Verdict {
                    from: self.lock.releases[a].version.clone(),
                    to: self.lock.releases[b].version.clone(),
                    mode: mode_name.to_owned(),
                    compatible: !found.iter().any(|f| check::is_breaking(f)),
                    findings: found
                        .iter()
                        .map(|f| format!("{}: {}", f.finding.rule.id, f.finding.message))
                        .collect(),
                };
                ((a, b), verdict)
            })
            .collect();
        Learnt::Judged(key, verdicts)
    }
}

impl<'a> State<'a> {
    fn present(&self, id: usize) -> bool {
        id == 0 || self.models.get(id - 1).is_some_and(Option::is_some)
    }

    /// The next task: a check whose two models are loaded first (it frees memory), else the next
    /// layer while the models alive stay within the budget (or nothing else runs).
    fn take(&mut self, threads: usize) -> Option<Task<'a>> {
        let ready = self.pending.iter().find_map(|&(a, b, mode, _)| {
            let (ma, mb) = (*self.model_of.get(&a)?, *self.model_of.get(&b)?);
            (self.present(ma) && self.present(mb)).then_some((ma, mb, mode.name()))
        });
        if let Some(key) = ready {
            let mut pairs = Vec::new();
            let model_of = &self.model_of;
            self.pending.retain(|&(a, b, mode, event)| {
                let same = model_of.get(&a) == Some(&key.0) && model_of.get(&b) == Some(&key.1) && mode.name() == key.2;
                if same {
                    pairs.push((a, b, event));
                }
                !same
            });
            self.running += 1;
            self.busy.extend([key.0, key.1]);
            return Some(Task::Check(key, pairs));
        }
        let alive = self.models.iter().filter(|m| m.is_some()).count() + self.loading;
        if !self.layers.is_empty() && (alive < model_budget(threads) || self.running == 0) {
            let ids = self.layers.pop_front()?;
            self.running += 1;
            self.loading += 1;
            return Some(Task::Load(ids));
        }
        None
    }

    fn learn(&mut self, learnt: Learnt) {
        match learnt {
            Learnt::Loaded(models) => {
                self.loading -= 1;
                for (model, ids, fields) in models {
                    self.models.push(Some(std::sync::Arc::new(model)));
                    let id = self.models.len();
                    for (i, f) in ids.into_iter().zip(fields) {
                        self.model_of.insert(i, id);
                        self.fields.insert(i, f);
                    }
                }
            }
            Learnt::Judged(key, verdicts) => {
                for id in [key.0, key.1] {
                    if let Some(at) = self.busy.iter().position(|&b| b == id) {
                        self.busy.swap_remove(at);
                    }
                }
                self.verdicts.extend(verdicts);
            }
        }
    }

    /// Takes out every rebuilt model no pending pair or running check needs any more (its fields
    /// are already taken), for the caller to drop outside the lock.
    fn drop_done(&mut self) -> Vec<std::sync::Arc<Model>> {
        let needed: BTreeSet<usize> = self
            .pending
            .iter()
            .flat_map(|&(a, b, _, _)| [a, b])
            .filter_map(|i| self.model_of.get(&i).copied())
            .chain(self.busy.iter().copied())
            .collect();
        self.models
            .iter_mut()
            .enumerate()
            .filter(|(n, _)| !needed.contains(&(n + 1)))
            .filter_map(|(_, slot)| slot.take())
            .collect()
    }

    /// Takes from `previous` the fields of every release it knows and the verdict of every
    /// pending pair it holds (for the same mode).
    fn reuse(&mut self, previous: &Record, keys: &[String]) {
        for (i, key) in keys.iter().enumerate() {
            if let Some(fields) = previous.fields.get(key) {
                self.fields.entry(i).or_insert_with(|| fields.clone());
            }
        }
        let verdicts = &mut self.verdicts;
        self.pending.retain(
            |&(a, b, mode, _)| match previous.verdicts.get(&verdict_key(keys, a, b, mode.name())) {
                Some(v) => {
                    verdicts.insert((a, b), v.clone());
                    false
                }
                None => true,
            },
        );
    }
}

/// The history of an event whose releases are `ids` (oldest first), with each release's fields
/// and the verdicts of `pairs`.
fn history(
    lock: &Lock,
    ids: &[usize],
    mut fields: Vec<BTreeMap<String, String>>,
    verdicts: &BTreeMap<(usize, usize), Verdict>,
    pairs: &[(usize, usize)],
) -> History {
    let mut versions: Vec<Version> = Vec::new();
    for (n, &i) in ids.iter().enumerate() {
        let r = &lock.releases[i];
        let fields = std::mem::take(&mut fields[n]);
        let (changes, verdict) = match n.checked_sub(1).map(|p| (ids[p], &versions[p])) {
            None => (Vec::new(), None),
            Some((prev, before)) => (schema::diff(&before.fields, &fields), verdicts.get(&(prev, i)).cloned()),
        };
        versions.push(Version {
            version: r.version.clone(),
            fingerprint: r.fingerprint.clone(),
            fields,
            changes,
            verdict,
        });
    }
    let verdicts = pairs.iter().filter_map(|p| verdicts.get(p).cloned()).collect();
    History { versions, verdicts }
}
