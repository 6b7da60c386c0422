//! `herald check`: the baseline model against the new one, format rules per event's mode, and
//! the event-level rules no format tool has. Output: findings with rule, severity, location,
//! event and the mode that made each one an error.

use std::collections::BTreeMap;

use super::{avro, proto, Category, Finding};
use crate::diagnostic::{CheckData, Diagnostic, Severity};
use crate::model::{Event, EventSet, Format, Mode, TypeKind};
pub use crate::render::{JsonCounts, JsonFinding, JsonReport};
use crate::rules::{self, Rule};
use crate::span::{SourceMap, Span};

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Overrides every event's mode (from herald.toml) when set.
    pub mode: Option<Mode>,
    /// buf categories for proto rules; default `WIRE_JSON`.
    pub categories: Vec<Category>,
    /// Rule IDs not reported (`--except`), besides herald.toml's `[check] except`.
    pub except: Vec<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            mode: None,
            categories: vec![Category::WireJson],
            except: Vec::new(),
        }
    }
}

/// What the options and the new side's `[check]` table hide.
struct Filter<'a> {
    except: Vec<&'a str>,
    ignore: Vec<&'a str>,
    ignore_only: Vec<(&'a str, &'a str)>,
}

impl<'a> Filter<'a> {
    fn new(options: &'a CheckOptions, new: &'a EventSet) -> Filter<'a> {
        let mut filter = Filter {
            except: options.except.iter().map(String::as_str).collect(),
            ignore: Vec::new(),
            ignore_only: Vec::new(),
        };
        if let Some(c) = &new.config {
            filter.except.extend(c.check.except.iter().map(|(r, _)| r.as_str()));
            filter.ignore.extend(c.check.ignore.iter().map(|(p, _)| p.as_str()));
            for (rule, _, paths) in &c.check.ignore_only {
                filter
                    .ignore_only
                    .extend(paths.iter().map(|(p, _)| (rule.as_str(), p.as_str())));
            }
        }
        filter
    }

    /// Whether `f` is hidden: its rule is excepted, or the file it is reported in (the new
    /// side's, else the baseline's) is ignored, for every rule or for its rule.
    fn hides(&self, f: &CheckFinding, new: &SourceMap, old: Option<&SourceMap>) -> bool {
        let rule = f.finding.rule.id;
        if self.except.contains(&rule) {
            return true;
        }
        let file = match (f.finding.span, f.finding.old_span, old) {
            (Some(s), _, _) => new.get(s.file).name.as_str(),
            (None, Some(s), Some(old)) => old.get(s.file).name.as_str(),
            _ => return false,
        };
        let under =
            |prefix: &str| file == prefix || file.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
        self.ignore.iter().any(|p| under(p)) || self.ignore_only.iter().any(|(r, p)| *r == rule && under(p))
    }
}

/// One finding of `herald check`, in the terms CI output needs.
#[derive(Debug, Clone)]
pub struct CheckFinding {
    pub finding: Finding,
    pub severity: Severity,
    /// The event it concerns (type name), if any.
    pub event: Option<String>,
    /// The mode that made it an error.
    pub mode: Option<Mode>,
    /// The consumers (by name) its events reach, as the new side's `herald.toml` declares them;
    /// `None` when it declares no consumers at all.
    pub consumers: Option<Vec<String>>,
    /// The event's version in the baseline (the release, against the lock) the finding is
    /// judged against, when there is one.
    pub baseline_version: Option<crate::model::Version>,
}

/// Event-level rules herald adds to the format rules.
pub use crate::rules::EVENT_RULES;

/// Checks `new` against every released version the mode asks for: the latest release of each
/// (event, MAJOR), or all of them for a transitive mode. Each finding names the release it breaks.
pub fn check_against_lock(
    lock: &crate::load::Lock,
    new: &EventSet,
    options: &CheckOptions,
) -> Result<Vec<CheckFinding>, String> {
    check_against_lock_in(lock, new, options, &mut Releases::default())
}

/// Releases rebuilt from one lock, kept between checks against that same lock (an editor's
/// session: rebuilding them is most of a check's cost), and the findings of each (event, MAJOR)
/// with what they were computed from. Start a new one when the lock changes.
#[derive(Default)]
pub struct Releases {
    released: Released,
    /// By event name, then MAJOR.
    groups: foldhash::HashMap<String, BTreeMap<u32, (GroupKey, Vec<CheckFinding>)>>,
    /// The new side's proto files decoded by the last check that recomputed a group.
    decoded: proto::DecodeCache,
    /// What each event type's schema reaches ([`Reach`]), by the type's full name: valid while
    /// everything it was computed from is the same.
    reaches: foldhash::HashMap<String, Reach>,
    /// The lock's releases grouped by (event, MAJOR), in that order, each group's releases (their
    /// indices in the lock) sorted by version: the lock is the same for every check.
    grouping: Option<Vec<Group>>,
}

/// An (event, MAJOR) of the lock and its releases' indices in the lock, sorted by version.
type Group = ((String, u32), Vec<usize>);

/// The releases of `lock` by (event, MAJOR) in that order, each group's indices sorted by version;
/// an error for a release whose version does not parse.
fn group_releases(lock: &crate::load::Lock) -> Result<Vec<Group>, String> {
    let mut groups: BTreeMap<(&str, u32), Vec<usize>> = BTreeMap::new();
    for (i, r) in lock.releases.iter().enumerate() {
        let Some(v) = r.version() else {
            return Err(format!(
                "{}: release of `{}` has an invalid version `{}`",
                crate::load::LOCK_FILE,
                r.event,
                r.version
            ));
        };
        groups.entry((r.event.as_str(), v.major)).or_default().push(i);
    }
    Ok(groups
        .into_iter()
        .map(|((event, major), mut indices)| {
            indices.sort_by_key(|&i| lock.releases[i].version());
            ((event.to_owned(), major), indices)
        })
        .collect())
}

/// Everything the findings of one (event, MAJOR) against the lock are computed from, besides the
/// lock itself: the options, `herald.toml` (modes, sources and topics, `[check]`), every event of
/// that name now (any MAJOR: a removed MAJOR is reported on a newer one, a shared type's finding on
/// each event of the name using it) and the exact files their schemas reach, by path, id and text
/// (the findings' spans point into them). A cached group's findings are reused only while its key
/// is equal.
///
/// The key is a hash of all of it (64 bits: computed for every group on every check, it must not
/// allocate): what the whole repo shares is hashed once per check ([`KeyIndex::shared`]), then
/// each group's events and files.
#[derive(PartialEq, Eq)]
struct GroupKey(u64);

/// Feeds formatted text to a hasher without building a string.
struct HashWriter<'h>(&'h mut std::collections::hash_map::DefaultHasher);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        std::hash::Hasher::write(self.0, s.as_bytes());
        Ok(())
    }
}

/// What [`GroupKey::of`] looks up for every group, indexed once per check: the new side's files,
/// its events by name (in the set's order).
struct KeyIndex<'a> {
    /// Built when a reach is computed at all.
    files: std::cell::OnceCell<crate::model::FileIndex<'a>>,
    events: foldhash::HashMap<&'a str, Vec<&'a Event>>,
    /// The hash of what every group's key shares: the options, `herald.toml`, the sources.
    shared: u64,
}

impl<'a> KeyIndex<'a> {
    fn of(new: &'a EventSet, options: &CheckOptions) -> KeyIndex<'a> {
        use std::fmt::Write as _;
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        // Formatting into a hasher cannot fail.
        let _ = write!(HashWriter(&mut h), "{options:?}");
        new.config
            .as_ref()
            .map(|c| {
                let file = new.sources_map.get(c.file);
                (c.file, file.text_hash(), file.text.len())
            })
            .hash(&mut h);
        for s in &new.sources {
            (&s.name, &s.topic).hash(&mut h);
        }
        KeyIndex {
            files: std::cell::OnceCell::new(),
            events: new
                .events
                .iter()
                .fold(<foldhash::HashMap<_, _> as foldhash::HashMapExt>::new(), |mut m, e| {
                    m.entry(e.name.as_str()).or_insert_with(Vec::new).push(e);
                    m
                }),
            shared: h.finish(),
        }
    }
}

/// The files an event type's schema reaches ([`EventSet::schema_reach_in`]) and what they were
/// found from: each type name followed with the definition it named (none when it named none),
/// each file reached with its source. The files follow from those definitions (their files, their
/// fields' references) and the reached files' imports, which their texts hold; a file a reached
/// file imports is itself reached. So the reach is the same while every name names the same
/// definition and every file id holds the same source, which a session shares between loads
/// (pointer comparisons, with a comparison of names and texts for a source read again).
struct Reach {
    types: Vec<(String, Option<Named>)>,
    files: Vec<(crate::span::FileId, std::sync::Arc<crate::span::SourceFile>)>,
}

/// The definition a name named: its index in [`EventSet::types`] and the shared definition.
type Named = (crate::model::TypeId, std::sync::Arc<crate::model::TypeDef>);

impl Reach {
    fn of(new: &EventSet, index: &crate::model::FileIndex, type_id: crate::model::TypeId) -> Reach {
        let (files, names) = new.schema_reach_in(type_id, index);
        Reach {
            types: names
                .into_iter()
                .map(|name| {
                    let def = new
                        .by_name
                        .get(name)
                        .and_then(|&id| Some((id, new.types.get(id)?.clone())));
                    (name.to_owned(), def)
                })
                .collect(),
            files: files
                .into_iter()
                .map(|id| (id, new.sources_map.get_shared(id).clone()))
                .collect(),
        }
    }

    /// Whether every name still names the same definition and every file id holds the same
    /// source. A definition still at its index names it (a set holds one type per name), so the
    /// lookup by name is needed only when it moved.
    fn valid_in(&self, new: &EventSet) -> bool {
        use std::sync::Arc;
        let same_type = |(name, held): &(String, Option<Named>)| match held {
            Some((id, def)) => {
                new.types.get(*id).is_some_and(|now| Arc::ptr_eq(def, now))
                    || new
                        .by_name
                        .get(name)
                        .and_then(|&id| new.types.get(id))
                        .is_some_and(|now| Arc::ptr_eq(def, now))
            }
            None => !new.by_name.contains_key(name),
        };
        let same_file = |(id, held): &(crate::span::FileId, Arc<crate::span::SourceFile>)| {
            new.sources_map.try_get(*id).is_some_and(|now| {
                std::ptr::eq(now, &**held)
                    || (now.text_hash() == held.text_hash() && now.name == held.name && now.text == held.text)
            })
        };
        self.types.iter().all(same_type) && self.files.iter().all(same_file)
    }
}

/// The files event type `type_id`'s schema reaches: the ones `reaches` holds while still valid,
/// else computed afresh (and kept).
fn reach<'r, 'a>(
    new: &'a EventSet,
    index: &KeyIndex<'a>,
    type_id: crate::model::TypeId,
    reaches: &'r mut foldhash::HashMap<String, Reach>,
) -> &'r [(crate::span::FileId, std::sync::Arc<crate::span::SourceFile>)] {
    let Some(ty) = new.types.get(type_id) else {
        return &[];
    };
    let name = ty.full_name.as_str();
    if !reaches.get(name).is_some_and(|r| r.valid_in(new)) {
        let files = index.files.get_or_init(|| crate::model::FileIndex::of(new));
        reaches.insert(name.to_owned(), Reach::of(new, files, type_id));
    }
    reaches.get(name).map(|r| r.files.as_slice()).unwrap_or_default()
}

impl GroupKey {
    fn of<'a>(
        new: &'a EventSet,
        index: &KeyIndex<'a>,
        name: &str,
        reaches: &mut foldhash::HashMap<String, Reach>,
    ) -> GroupKey {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        index.shared.hash(&mut h);
        let mut files = Vec::new();
        for e in index.events.get(name).into_iter().flatten() {
            (
                e.version,
                e.kind,
                &e.partition_key,
                e.source,
                e.compatibility,
                e.span,
                new.types.get(e.type_id).map(|t| t.full_name.as_str()),
            )
                .hash(&mut h);
            files.extend(reach(new, index, e.type_id, reaches).iter().map(|(id, _)| *id));
        }
        files.sort();
        files.dedup();
        for id in files {
            let file = new.sources_map.get(id);
            (&file.name, id, file.text_hash(), file.text.len()).hash(&mut h);
        }
        GroupKey(h.finish())
    }
}

/// [`check_against_lock`], rebuilding only the releases `releases` does not hold yet and
/// recomputing only the (event, MAJOR) groups whose inputs (`GroupKey`) changed; `releases`
/// must come from checks against this same `lock`.
pub fn check_against_lock_in(
    lock: &crate::load::Lock,
    new: &EventSet,
    options: &CheckOptions,
    releases: &mut Releases,
) -> Result<Vec<CheckFinding>, String> {
    let grouping = match releases.grouping.take() {
        // The lock is the same for every check with `releases`; its length says so cheaply.
        Some(g) if g.iter().map(|(_, i)| i.len()).sum::<usize>() == lock.releases.len() => g,
        _ => group_releases(lock)?,
    };
    let outcome = check_groups(lock, new, options, releases, &grouping);
    releases.grouping = Some(grouping);
    outcome
}

/// [`check_against_lock_in`] over the lock's releases grouped by [`group_releases`].
fn check_groups(
    lock: &crate::load::Lock,
    new: &EventSet,
    options: &CheckOptions,
    releases: &mut Releases,
    grouping: &[Group],
) -> Result<Vec<CheckFinding>, String> {
    let mut out = Vec::new();
    // The new side's proto files decoded and indexed once for every release, when a group is
    // computed at all.
    let decoded = std::cell::OnceCell::new();
    let prepared = std::cell::OnceCell::new();
    let index = KeyIndex::of(new, options);
    for ((event, major), indices) in grouping {
        let group = (event.as_str(), *major);
        let key = GroupKey::of(new, &index, group.0, &mut releases.reaches);
        if let Some((held, findings)) = releases.groups.get(group.0).and_then(|m| m.get(&group.1)) {
            if *held == key {
                out.extend(findings.iter().cloned());
                continue;
            }
        }
        let group_releases: Vec<&crate::load::Release> = indices.iter().filter_map(|&i| lock.releases.get(i)).collect();
        let prepared = prepared.get_or_init(|| Prepared {
            proto: proto::Prepared::new(
                new,
                decoded.get_or_init(|| proto::Decoded::of_cached(new, &mut releases.decoded)),
            ),
            events: events_by_key(new),
        });
        let found = group_findings(
            &mut releases.released,
            lock,
            new,
            prepared,
            options,
            group,
            &group_releases,
        )?;
        out.extend(found.iter().cloned());
        releases
            .groups
            .entry(group.0.to_owned())
            .or_default()
            .insert(group.1, (key, found));
    }
    // Reaches of types that are no longer events' are forgotten (they hold their files' texts).
    if releases.reaches.len() > new.events.len() {
        let events: foldhash::HashSet<&str> = new
            .events
            .iter()
            .filter_map(|e| new.types.get(e.type_id).map(|t| t.full_name.as_str()))
            .collect();
        releases.reaches.retain(|name, _| events.contains(name.as_str()));
    }
    out.dedup_by(|a, b| a.finding == b.finding);
    let filter = Filter::new(options, new);
    out.retain(|f| !filter.hides(f, &new.sources_map, None));
    causes_first(&mut out);
    attach_impact(None, new, &mut out);
    Ok(out)
}

/// The findings of one (event, MAJOR) against its releases (sorted by version): a MAJOR gone, or
/// edits of released versions first, then the ordinary check against each release the mode asks
/// for (the latest, or all of them for a transitive mode), each finding labelled with the release
/// it breaks.
/// Long because the releases of one (event, MAJOR) are judged in one place: a MAJOR without a
/// current event, edits of released versions, then each release, every finding labelled.
fn group_findings(
    released: &mut Released,
    lock: &crate::load::Lock,
    new: &EventSet,
    prepared: &Prepared,
    options: &CheckOptions,
    (name, major): (&str, u32),
    releases: &[&crate::load::Release],
) -> Result<Vec<CheckFinding>, String> {
    let mut out = Vec::new();
    let current: Vec<&Event> = new
        .events
        .iter()
        .filter(|e| e.name == name && e.version.major == major)
        .collect();
    let Some(event) = current.first() else {
        let latest = releases.last().map(|r| r.version.clone()).unwrap_or_default();
        let newer = new.events.iter().find(|e| e.name == name && e.version.major > major);
        let source_kept = releases
            .last()
            .is_some_and(|r| new.sources.iter().any(|s| s.name == r.source));
        let (rule, span, hint, message) = match newer {
            Some(n) => (
                rules::EVENT_MAJOR_WITHOUT_PREDECESSOR,
                Some(n.span),
                "keep the old MAJOR's schema alongside the new one until every consumer moved",
                format!(
                    "`{name}` {} replaced released {latest} instead of living alongside it",
                    n.version
                ),
            ),
            None if source_kept => (
                rules::EVENT_REMOVED,
                None,
                "keep the event (deprecated) while its source still declares it",
                format!("released event `{name}` {latest} was removed"),
            ),
            None => return Ok(out),
        };
        out.push(CheckFinding {
            consumers: None,
            baseline_version: None,
            finding: Finding {
                rule,
                message,
                span,
                old_span: None,
                type_name: None,
                hint,
            },
            severity: Severity::Error,
            event: Some(name.to_owned()),
            mode: options.mode,
        });
        return Ok(out);
    };
    let mode = options.mode.unwrap_or(event.compatibility);
    if mode == Mode::None {
        return Ok(out);
    }
    let transitive = matches!(
        mode,
        Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive
    );
    let against: Vec<&crate::load::Release> = if transitive {
        releases.to_vec()
    } else {
        releases.last().copied().into_iter().collect()
    };
    let ty = &new.types[event.type_id];
    for r in releases.iter().filter(|r| r.version == event.version.to_string()) {
        for c in released_version_edits(released, lock, r, new, ty)? {
            out.push(CheckFinding {
                consumers: None,
                baseline_version: None,
                finding: Finding {
                    rule: rules::EVENT_RELEASED_VERSION_EDITED,
                    message: format!(
                        "`{name}` {} was released with another schema: `{}` changed ({}); a released version never changes",
                        r.version, c.type_name, c.what
                    ),
                    span: c.span.or(Some(event.span)),
                    old_span: None,
                    type_name: Some(c.type_name),
                    hint: "bump the version (MINOR if compatible, MAJOR if not)",
                },
                severity: Severity::Error,
                event: Some(name.to_owned()),
                mode: Some(mode),
            });
        }
    }
    for r in against {
        let old = load_release(released, lock, r)?;
        let per_release = CheckOptions {
            mode: Some(mode),
            ..options.clone()
        };
        for mut f in check_with(old, new, Sides::Prepared(prepared), &per_release) {
            // EVENT_RELEASED_VERSION_EDITED above says more than "not bumped" does.
            if f.event.as_deref() != Some(name) || f.finding.rule == rules::EVENT_VERSION_NOT_BUMPED {
                continue;
            }
            f.finding.message = format!("{} (against released {})", f.finding.message, r.version);
            f.finding.old_span = None;
            f.baseline_version = r.version();
            out.push(f);
        }
    }
    Ok(out)
}

/// A released version rebuilt from the lock as a model.
fn load_release<'c>(
    cache: &'c mut Released,
    lock: &crate::load::Lock,
    r: &crate::load::Release,
) -> Result<&'c EventSet, String> {
    let key = (r.event.clone(), r.version.clone());
    if !cache.contains_key(&key) {
        let files = crate::load::release_files(lock, r)?;
        let set = crate::load::load_files(&files).map(|l| l.set).map_err(|_| {
            format!(
                "released `{}` {} cannot be rebuilt from {}",
                r.event,
                r.version,
                crate::load::LOCK_FILE
            )
        })?;
        cache.insert(key.clone(), set);
    }
    cache
        .get(&key)
        .ok_or_else(|| format!("released `{}` {} was not rebuilt", r.event, r.version))
}

/// Releases rebuilt from the lock, by (event, version), each loaded once per check.
type Released = BTreeMap<(String, String), EventSet>;

/// How the current schema of a released version differs from what was released: nothing when
/// the fingerprints agree, else each changed type of the event's closure. A proto release an older
/// herald recorded (fingerprint version 1: the message's own descriptor) is judged by the current
/// fingerprint of its files rebuilt from the lock; an Avro release is always compared with its
/// files too (its fingerprint leaves out defaults and aliases). Old spans belong to the release
/// rebuilt from the lock: the caller drops them.
fn released_version_edits(
    cache: &mut Released,
    lock: &crate::load::Lock,
    r: &crate::load::Release,
    new: &EventSet,
    ty: &crate::model::TypeDef,
) -> Result<Vec<crate::fingerprint::Change>, String> {
    let now = crate::fingerprint::event_fingerprint(new, ty).ok();
    let edited = match ty.format {
        // An older herald's proto fingerprint covered the message alone: the release's own files,
        // rebuilt from the lock, give its current fingerprint.
        Format::Proto if r.fingerprint_version < crate::fingerprint::VERSION => {
            let released = load_release(cache, lock, r)?;
            let then = released
                .type_named(&r.type_name)
                .and_then(|t| crate::fingerprint::event_fingerprint(released, t).ok());
            if then.is_some() && then == now {
                return Ok(Vec::new());
            }
            Some(released)
        }
        // An Avro fingerprint is of the parsing canonical form, which leaves out defaults and
        // aliases: the release's types are compared with the current ones too.
        Format::Avro => Some(load_release(cache, lock, r)?),
        Format::Proto if now.map(|f| format!("{f:016x}")) == Some(r.fingerprint.clone()) => None,
        Format::Proto => Some(load_release(cache, lock, r)?),
    };
    let Some(released) = edited else {
        return Ok(Vec::new());
    };
    let changes = crate::fingerprint::changes(released, &r.type_name, new, &ty.full_name);
    let recorded = now.map(|f| format!("{f:016x}")) == Some(r.fingerprint.clone());
    if changes.is_empty() && !(ty.format == Format::Avro && recorded) {
        // Something the model does not show (an option, say) changed in the event's own type.
        return Ok(vec![crate::fingerprint::Change {
            type_name: ty.full_name.clone(),
            what: "its definition changed".to_owned(),
            span: None,
            old_span: None,
        }]);
    }
    Ok(changes)
}

/// Runs every check of `new` against `old`.
pub fn check(old: &EventSet, new: &EventSet, options: &CheckOptions) -> Vec<CheckFinding> {
    check_with(old, new, Sides::Fresh, options)
}

/// [`check`] between two sets whose proto files are decoded already ([`proto::Decoded::of`]),
/// for a caller that checks each set against several others.
pub fn check_decoded(
    (old, old_files): (&EventSet, &proto::Decoded),
    (new, new_files): (&EventSet, &proto::Decoded),
    options: &CheckOptions,
) -> Vec<CheckFinding> {
    check_with(old, new, Sides::Decoded(old_files, new_files), options)
}

/// What a check has of the two sides before it starts.
#[derive(Clone, Copy)]
enum Sides<'p, 'a> {
    /// Nothing: it decodes both.
    Fresh,
    /// The new side indexed once for many checks.
    Prepared(&'p Prepared<'a>),
    /// Both sides' proto files decoded.
    Decoded(&'p proto::Decoded, &'p proto::Decoded),
}

/// `new` indexed once for many checks against it (every release in a lock): its proto files
/// decoded and indexed, its events by (name, MAJOR).
struct Prepared<'a> {
    proto: proto::Prepared<'a>,
    events: EventsByKey,
}

/// [`check`], with `new` already indexed when given.
fn check_with(old: &EventSet, new: &EventSet, sides: Sides<'_, '_>, options: &CheckOptions) -> Vec<CheckFinding> {
    let prepared = match sides {
        Sides::Prepared(p) => Some(p),
        _ => None,
    };
    let mut out = Vec::new();
    proto_findings(old, new, sides, options, &mut out);
    avro_findings(old, new, options, &mut out);
    avro_root_findings(old, new, options, &mut out);
    // What the team accepted is dropped before the event rules judge what is left.
    let filter = Filter::new(options, new);
    out.retain(|f| !filter.hides(f, &new.sources_map, Some(&old.sources_map)));
    event_rules(old, new, prepared.map(|p| &p.events), options, &mut out);
    out.retain(|f| !filter.hides(f, &new.sources_map, Some(&old.sources_map)));
    out.sort_by(|a, b| {
        let key = |f: &CheckFinding| {
            (
                f.finding.span.map(|s| (s.file, s.start)),
                f.finding.rule.id,
                f.finding.message.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    out.dedup_by(|a, b| a.finding == b.finding);
    causes_first(&mut out);
    attach_impact(Some(old), new, &mut out);
    out
}

/// Fills each finding's `consumers` from `new`'s declarations (the consumers of the events it
/// reaches: a shared type's finding, named on each event that uses it, reaches that event's),
/// and, when not yet known, its event's version in `old` (the same MAJOR as in `new` if `old`
/// has it, else the latest).
pub fn attach_impact(old: Option<&EventSet>, new: &EventSet, findings: &mut [CheckFinding]) {
    let declared = new.config.as_ref().is_some_and(|c| !c.consumers.is_empty());
    // A shared type's findings repeat one (event, type) pair: its events are found once.
    let mut reached: BTreeMap<(Option<String>, Option<String>), Vec<String>> = BTreeMap::new();
    for f in findings {
        if let (None, Some(old), Some(name)) = (f.baseline_version, old, f.event.as_deref()) {
            let versions: Vec<crate::model::Version> = old
                .events
                .iter()
                .filter(|e| e.name == name)
                .map(|e| e.version)
                .collect();
            let major = new.events.iter().find(|e| e.name == name).map(|e| e.version.major);
            f.baseline_version = versions
                .iter()
                .copied()
                .filter(|v| Some(v.major) == major)
                .max()
                .or_else(|| versions.iter().copied().max());
        }
        if !declared {
            f.consumers = None;
            continue;
        }
        let key = (f.event.clone(), f.finding.type_name.clone());
        let names = reached.entry(key).or_insert_with(|| {
            let events = crate::impact::events_of_finding(new, f.event.as_deref(), f.finding.type_name.as_deref());
            crate::impact::consumers_of_events(new, &events)
                .into_iter()
                .map(|c| c.name.clone())
                .collect()
        });
        f.consumers = Some(names.clone());
    }
}

/// The repo's default mode: `herald.toml`'s, else `BACKWARD`.
fn default_mode(set: &EventSet) -> Mode {
    set.config.as_ref().map(|c| c.compatibility).unwrap_or(Mode::Backward)
}

/// The mode a type is judged in: `--mode`, else its event's, else the repo's default.
fn mode_of(options: &CheckOptions, new: &EventSet, type_name: &str) -> Mode {
    if let Some(m) = options.mode {
        return m;
    }
    event_for(new, type_name)
        .map(|e| e.compatibility)
        .unwrap_or_else(|| default_mode(new))
}

/// Proto: buf's rules for the chosen categories, errors as in buf. With `[check] deletions =
/// "warning"`, deleting a field or an enum value is a warning: it breaks no reader in either
/// direction on the wire (a new reader ignores it, an old one sees its default) until the number
/// is reused, which shows up as a changed type, name or cardinality (errors).
fn proto_findings(
    old: &EventSet,
    new: &EventSet,
    sides: Sides<'_, '_>,
    options: &CheckOptions,
    out: &mut Vec<CheckFinding>,
) {
    let deletions_warning = new.config.as_ref().is_some_and(|c| c.check.deletions_warning);
    let enabled = super::rules_in(&options.categories);
    let enabled = |id: &str| enabled.contains(&id);
    let found = match sides {
        Sides::Prepared(p) => proto::check_prepared(old, &p.proto, &enabled),
        Sides::Decoded(o, n) => proto::check_decoded(old, o, new, n, &enabled),
        Sides::Fresh => proto::check(old, new, &enabled),
    };
    for f in found {
        let mode = f
            .type_name
            .as_deref()
            .map(|t| mode_of(options, new, t))
            .unwrap_or_else(|| options.mode.unwrap_or_else(|| default_mode(new)));
        if mode == Mode::None {
            continue;
        }
        let event = f
            .type_name
            .as_deref()
            .and_then(|t| event_for(new, t))
            .map(|e| e.name.clone());
        // A shared type (in an imported file, say) is reported on every event that uses it.
        let users: Vec<&Event> = match (&event, f.type_name.as_deref()) {
            (None, Some(t)) => new
                .events
                .iter()
                .filter(|e| uses(new, &new.types[e.type_id].full_name, t))
                .collect(),
            _ => Vec::new(),
        };
        let severity = deletion_severity(f.rule, deletions_warning);
        if users.is_empty() {
            out.push(CheckFinding {
                consumers: None,
                baseline_version: None,
                finding: f.clone(),
                severity,
                event,
                mode: Some(mode),
            });
        }
        for user in users {
            let mode = options.mode.unwrap_or(user.compatibility);
            if mode == Mode::None {
                continue;
            }
            let mut finding = f.clone();
            finding.message = format!("{} (shared type, used by event `{}`)", finding.message, user.name);
            out.push(CheckFinding {
                consumers: None,
                baseline_version: None,
                finding,
                severity,
                event: Some(user.name.clone()),
                mode: Some(mode),
            });
        }
    }
}

/// Schema resolution issues in the directions `mode` asks for, each with whether the new schema
/// is the reader; `read(new_is_reader)` resolves one direction.
fn resolution_issues(mode: Mode, read: impl Fn(bool) -> Vec<avro::AvroIssue>) -> Vec<(avro::AvroIssue, bool)> {
    let (backward, forward) = directions(mode);
    let mut issues = Vec::new();
    if backward {
        issues.extend(read(true).into_iter().map(|i| (i, true)));
    }
    if forward {
        issues.extend(read(false).into_iter().map(|i| (i, false)));
    }
    issues
}

/// A resolution issue as a finding, at the new side's element (`fallback` when it has none).
fn resolution_finding(
    issue: avro::AvroIssue,
    new_is_reader: bool,
    fallback: Span,
    type_name: Option<String>,
    event: Option<String>,
    mode: Mode,
) -> CheckFinding {
    let (span, old_span, direction) = if new_is_reader {
        (issue.reader_span, issue.writer_span, "new readers cannot read old data")
    } else {
        (issue.writer_span, issue.reader_span, "old readers cannot read new data")
    };
    CheckFinding {
        consumers: None,
        baseline_version: None,
        finding: Finding {
            rule: issue.rule,
            message: format!("{}: {} ({direction})", issue.path, issue.message),
            span: span.or(Some(fallback)),
            old_span,
            type_name,
            hint: issue.hint,
        },
        severity: Severity::Error,
        event,
        mode: Some(mode),
    }
}

/// Avro: schema resolution of each paired named type in the directions the mode asks for.
fn avro_findings(old: &EventSet, new: &EventSet, options: &CheckOptions, out: &mut Vec<CheckFinding>) {
    for (old_name, ty) in avro_pairs(old, new) {
        let event = event_for(new, &ty.full_name).map(|e| e.name.clone());
        let mode = mode_of(options, new, &ty.full_name);
        let issues = resolution_issues(mode, |new_is_reader| {
            if new_is_reader {
                avro::can_read(new, &ty.full_name, old, old_name)
            } else {
                avro::can_read(old, old_name, new, &ty.full_name)
            }
        });
        for (issue, new_is_reader) in issues {
            let type_name = Some(ty.full_name.clone());
            out.push(resolution_finding(
                issue,
                new_is_reader,
                ty.span,
                type_name,
                event.clone(),
                mode,
            ));
        }
    }
}

/// Two single .avsc files of which one (or both) is an unnamed schema (`"int"`, an array, a map):
/// their root types, compared the same way.
fn avro_root_findings(old: &EventSet, new: &EventSet, options: &CheckOptions, out: &mut Vec<CheckFinding>) {
    let Some((old_root, new_root, new_file)) = avro_file_roots(old, new) else {
        return;
    };
    let mode = options.mode.unwrap_or_else(|| default_mode(new));
    let issues = resolution_issues(mode, |new_is_reader| {
        if new_is_reader {
            avro::can_read_type(new, &new_root, old, &old_root)
        } else {
            avro::can_read_type(old, &old_root, new, &new_root)
        }
    });
    for (issue, new_is_reader) in issues {
        out.push(resolution_finding(
            issue,
            new_is_reader,
            Span::file_start(new_file),
            None,
            None,
            mode,
        ));
    }
}

/// The Avro records to compare, as (baseline full name, new type): the roots only (events, or
/// without events every record; nested types are reached from them), each paired with what the
/// user means by "the same schema": the same event (name and MAJOR) whatever its type is called
/// now; else the same full name; else a record whose aliases name it; else, when each side is one
/// file, the two files' top-level records. A pair with different names is then judged by schema
/// resolution, which refuses it unless the reader has an alias for the writer's name.
fn avro_pairs<'a>(old: &'a EventSet, new: &'a EventSet) -> Vec<(&'a str, &'a crate::model::TypeDef)> {
    let is_record = |t: &crate::model::TypeDef| t.format == Format::Avro && matches!(t.kind, TypeKind::Message(_));
    let old_record = |name: &str| {
        old.type_named(name)
            .filter(|t| is_record(t))
            .map(|t| t.full_name.as_str())
    };
    let by_name_or_alias = |ty: &crate::model::TypeDef| {
        old_record(&ty.full_name).or_else(|| ty.aliases.iter().find_map(|a| old_record(a)))
    };
    let mut pairs = Vec::new();
    if !new.events.is_empty() {
        for ne in &new.events {
            let ty = &new.types[ne.type_id];
            if !is_record(ty) {
                continue;
            }
            let same_event = old
                .events
                .iter()
                .find(|oe| oe.name == ne.name && oe.version.major == ne.version.major)
                .and_then(|oe| old_record(&old.types[oe.type_id].full_name));
            if let Some(o) = same_event.or_else(|| by_name_or_alias(ty)) {
                pairs.push((o, &**ty));
            }
        }
        return pairs;
    }
    for ty in new.types.iter().filter(|t| is_record(t)) {
        if let Some(o) = by_name_or_alias(ty) {
            pairs.push((o, ty));
        }
    }
    let user_files = |set: &EventSet| {
        set.files
            .iter()
            .filter(|f| !f.builtin)
            .map(|f| f.id)
            .collect::<Vec<_>>()
    };
    if let ([of], [nf]) = (user_files(old).as_slice(), user_files(new).as_slice()) {
        if let (Some(o), Some(n)) = (top_record(old, *of), top_record(new, *nf)) {
            let n = &new.types[n];
            if !pairs.iter().any(|(_, t)| t.full_name == n.full_name) {
                pairs.push((old.types[o].full_name.as_str(), n));
            }
        }
    }
    pairs
}

/// When each side is one `.avsc` file and one of them is an unnamed schema: both files' root
/// types (the unnamed schema, or the top-level record) and the new file.
fn avro_file_roots(
    old: &EventSet,
    new: &EventSet,
) -> Option<(crate::model::TypeRef, crate::model::TypeRef, crate::span::FileId)> {
    use crate::model::TypeRef;
    fn single(set: &EventSet) -> Option<&crate::model::SchemaFile> {
        let mut files = set.files.iter().filter(|f| !f.builtin);
        match (files.next(), files.next()) {
            (Some(f), None) if f.format == Format::Avro => Some(f),
            _ => None,
        }
    }
    let (of, nf) = (single(old)?, single(new)?);
    if of.avro_root.is_none() && nf.avro_root.is_none() {
        return None;
    }
    let root = |set: &EventSet, f: &crate::model::SchemaFile| {
        f.avro_root
            .clone()
            .or_else(|| top_record(set, f.id).map(|i| TypeRef::Named(set.types[i].full_name.clone())))
    };
    Some((root(old, of)?, root(new, nf)?, nf.id))
}

/// The top-level record of an Avro file: the one no other type of the file refers to (the last
/// such in a file holding an array of schemas).
fn top_record(set: &EventSet, file: crate::span::FileId) -> Option<usize> {
    let in_file: Vec<usize> = (0..set.types.len())
        .filter(|&i| set.types[i].file == file && set.types[i].format == Format::Avro)
        .collect();
    let mut referenced = std::collections::BTreeSet::new();
    for &i in &in_file {
        if let TypeKind::Message(m) = &set.types[i].kind {
            let mut refs = Vec::new();
            for f in &m.fields {
                f.ty.named_refs(&mut refs);
            }
            referenced.extend(refs.into_iter().filter(|r| *r != set.types[i].full_name));
        }
    }
    in_file
        .into_iter()
        .filter(|&i| matches!(set.types[i].kind, TypeKind::Message(_)) && !referenced.contains(&set.types[i].full_name))
        .max_by_key(|&i| set.types[i].span.start)
}

/// Error, as in buf; with `deletions_warning`, a warning for deletions (harmless to readers in
/// both directions; reuse is what breaks).
fn deletion_severity(rule: &Rule, deletions_warning: bool) -> Severity {
    if !deletions_warning {
        return Severity::Error;
    }
    match rule {
        rules::FIELD_NO_DELETE
        | rules::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED
        | rules::FIELD_NO_DELETE_UNLESS_NAME_RESERVED
        | rules::ENUM_VALUE_NO_DELETE
        | rules::ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED
        | rules::ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED => Severity::Warning,
        _ => Severity::Error,
    }
}

fn directions(mode: Mode) -> (bool, bool) {
    match mode {
        Mode::Backward | Mode::BackwardTransitive => (true, false),
        Mode::Forward | Mode::ForwardTransitive => (false, true),
        Mode::Full | Mode::FullTransitive => (true, true),
        Mode::None => (false, false),
    }
}

/// Whether the type `root` (or a type nested in it) refers, through its fields, to `target`.
fn uses(set: &EventSet, root: &str, target: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        if name == target {
            return true;
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        // Nested types belong to their parent.
        for t in set.types.iter().filter(|t| t.parent.as_deref() == Some(name.as_str())) {
            stack.push(t.full_name.clone());
        }
        if let Some(TypeKind::Message(m)) = set.type_named(&name).map(|t| &t.kind) {
            for f in &m.fields {
                f.ty.named_refs(&mut stack);
            }
        }
    }
    false
}

/// The event whose type is `type_name` or encloses it.
fn event_for<'a>(set: &'a EventSet, type_name: &str) -> Option<&'a Event> {
    set.events.iter().find(|e| {
        let t = &set.types[e.type_id].full_name;
        t == type_name || type_name.starts_with(&format!("{t}."))
    })
}

/// A stable text of an event's schema, to see whether it changed at all.
fn schema_signature(set: &EventSet, e: &Event) -> String {
    let ty = &set.types[e.type_id];
    match (&ty.avro_json, ty.format) {
        (Some(json), Format::Avro) => {
            let mut json = json.clone();
            if let serde_json::Value::Object(o) = &mut json {
                o.remove("herald");
                o.remove("doc");
            }
            json.to_string()
        }
        _ => format!("{:?}", crate::fingerprint::without_positions(&ty.kind)),
    }
}

/// One event in both versions of the repo: the same name and MAJOR version.
struct EventPair<'a> {
    old: &'a EventSet,
    new: &'a EventSet,
    oe: &'a Event,
    ne: &'a Event,
    /// The types of the event's closure that changed, when the version stayed the same.
    changes: Vec<crate::fingerprint::Change>,
}

/// An event-level finding: rule, where (now and in the baseline), hint, message. It is reported
/// on the new event.
struct EventFinding {
    rule: &'static Rule,
    span: Option<Span>,
    old_span: Option<Span>,
    hint: &'static str,
    message: String,
    /// The type of the event's closure the finding is about, when not the event's own.
    type_name: Option<String>,
}

impl EventPair<'_> {
    /// A finding at the event, now and in the baseline.
    fn at_event(&self, rule: &'static Rule, hint: &'static str, message: String) -> Option<EventFinding> {
        Some(EventFinding {
            rule,
            span: Some(self.ne.span),
            old_span: Some(self.oe.span),
            hint,
            message,
            type_name: None,
        })
    }
}

/// The rules judging one event pair, each a function of the pair, in report order.
const PAIR_RULES: &[fn(&EventPair) -> Option<EventFinding>] = &[
    version_decreased,
    version_not_bumped,
    partition_key_changed,
    format_changed,
    kind_changed,
    topic_changed,
];

fn version_decreased(p: &EventPair) -> Option<EventFinding> {
    (p.ne.version < p.oe.version).then(|| {
        let message = format!("`{}` went from {} down to {}", p.ne.name, p.oe.version, p.ne.version);
        p.at_event(rules::EVENT_VERSION_DECREASED, "versions only go up", message)
    })?
}

/// The event's own schema changed but its version did not (its closure's types are judged by
/// [`closure_not_bumped`]).
fn version_not_bumped(p: &EventPair) -> Option<EventFinding> {
    if p.ne.version != p.oe.version {
        return None;
    }
    let new_root = &p.new.types[p.ne.type_id].full_name;
    let root_changed = schema_signature(p.old, p.oe) != schema_signature(p.new, p.ne)
        || p.changes.iter().any(|c| &c.type_name == new_root);
    root_changed.then(|| {
        let message = format!(
            "the schema of `{}` changed but its version is still {}",
            p.ne.name, p.ne.version
        );
        p.at_event(rules::EVENT_VERSION_NOT_BUMPED, NOT_BUMPED_HINT, message)
    })?
}

const NOT_BUMPED_HINT: &str = "bump MINOR for a compatible change, MAJOR for a breaking one";

/// A change in a type the event uses, in whatever file, is a change of the event: one finding per
/// changed type, at that type.
fn closure_not_bumped(p: &EventPair) -> Vec<EventFinding> {
    let new_root = &p.new.types[p.ne.type_id].full_name;
    p.changes
        .iter()
        .filter(|c| &c.type_name != new_root)
        .map(|c| EventFinding {
            rule: rules::EVENT_VERSION_NOT_BUMPED,
            span: c.span,
            old_span: c.old_span,
            hint: NOT_BUMPED_HINT,
            message: format!(
                "`{}` changed ({}), and event `{}` uses it, but its version is still {}",
                c.type_name, c.what, p.ne.name, p.ne.version
            ),
            type_name: Some(c.type_name.clone()),
        })
        .collect()
}

fn partition_key_changed(p: &EventPair) -> Option<EventFinding> {
    (p.ne.partition_key != p.oe.partition_key).then(|| {
        let message = format!(
            "partition key of `{}` changed from `{}` to `{}`: events of one key no longer stay in order",
            p.ne.name, p.oe.partition_key, p.ne.partition_key
        );
        let hint = "keep the key; a new key is a new MAJOR on a new stream";
        p.at_event(rules::EVENT_PARTITION_KEY_CHANGED, hint, message)
    })?
}

fn format_changed(p: &EventPair) -> Option<EventFinding> {
    let (ofmt, nfmt) = (p.old.types[p.oe.type_id].format, p.new.types[p.ne.type_id].format);
    (ofmt != nfmt).then(|| {
        let message = format!("`{}` changed schema format from {ofmt} to {nfmt}", p.ne.name);
        let hint = "consumers decode with the old format's codec; publish the new format as a new MAJOR";
        p.at_event(rules::EVENT_FORMAT_CHANGED, hint, message)
    })?
}

fn kind_changed(p: &EventPair) -> Option<EventFinding> {
    (p.ne.kind != p.oe.kind).then(|| {
        let message = format!("`{}` changed from {} to {}", p.ne.name, p.oe.kind, p.ne.kind);
        let hint = "add a new type instead of changing what an existing one means";
        p.at_event(rules::EVENT_KIND_CHANGED, hint, message)
    })?
}

fn topic_changed(p: &EventPair) -> Option<EventFinding> {
    let where_ = |set: &EventSet, e: &Event| {
        e.source
            .and_then(|s| set.sources.get(s))
            .map(|s| (s.name.clone(), s.topic.clone()))
    };
    let ((os, ot), (ns, nt)) = (where_(p.old, p.oe)?, where_(p.new, p.ne)?);
    (os != ns || ot != nt).then(|| {
        let message = format!(
            "`{}` moved from source `{os}` (topic `{ot}`) to `{ns}` (topic `{nt}`)",
            p.ne.name
        );
        let hint = "consumers subscribe to the old topic; publish to both during a migration";
        p.at_event(rules::EVENT_TOPIC_CHANGED, hint, message)
    })?
}

/// An event of the baseline whose MAJOR is gone, replaced by a newer MAJOR instead of living
/// alongside it: reported on the newer one.
fn major_gone<'a>(new: &'a EventSet, oe: &Event) -> Option<(&'a Event, EventFinding)> {
    let name = &oe.name;
    let newer = new
        .events
        .iter()
        .find(|e| &e.name == name && e.version.major > oe.version.major);
    if let Some(ne) = newer {
        let finding = EventFinding {
            rule: rules::EVENT_MAJOR_WITHOUT_PREDECESSOR,
            span: Some(ne.span),
            old_span: Some(oe.span),
            hint: "keep the old MAJOR's schema alongside the new one until every consumer moved",
            message: format!(
                "`{name}` {} replaced {} instead of living alongside it",
                ne.version, oe.version
            ),
            type_name: None,
        };
        return Some((ne, finding));
    }
    None
}

/// A set's events by (name, MAJOR).
type EventsByKey = BTreeMap<(String, u32), usize>;

fn events_by_key(set: &EventSet) -> EventsByKey {
    set.events
        .iter()
        .enumerate()
        .map(|(i, e)| ((e.name.clone(), e.version.major), i))
        .collect()
}

/// The event-level rules: each event of the baseline paired with the same name and MAJOR now
/// ([`PAIR_RULES`], then [`closure_not_bumped`]), MAJORs gone ([`major_gone`], a removed event),
/// and, last, [`breaking_without_major`] over the format findings already in `out`.
fn event_rules(
    old: &EventSet,
    new: &EventSet,
    new_events: Option<&EventsByKey>,
    options: &CheckOptions,
    out: &mut Vec<CheckFinding>,
) {
    let old_events = events_by_key(old);
    let built;
    let new_events = match new_events {
        Some(events) => events,
        None => {
            built = events_by_key(new);
            &built
        }
    };
    let report = |e: &Event, f: EventFinding| CheckFinding {
        consumers: None,
        baseline_version: None,
        finding: Finding {
            rule: f.rule,
            message: f.message,
            span: f.span,
            old_span: f.old_span,
            type_name: f.type_name,
            hint: f.hint,
        },
        severity: Severity::Error,
        event: Some(e.name.clone()),
        mode: Some(options.mode.unwrap_or(e.compatibility)),
    };
    // Findings on types an event uses (they name that type) come after the events' own.
    let mut closure_findings = Vec::new();
    for (key, &oi) in &old_events {
        let oe = &old.events[oi];
        let Some(&ni) = new_events.get(key) else {
            if let Some((ne, f)) = major_gone(new, oe) {
                out.push(report(ne, f));
            } else if removed_while_declared(old, new, oe) {
                let f = EventFinding {
                    rule: rules::EVENT_REMOVED,
                    span: None,
                    old_span: Some(oe.span),
                    hint: "keep the event (deprecated) while its source still declares it",
                    message: format!("event `{}` {} was removed", oe.name, oe.version),
                    type_name: None,
                };
                out.push(report(oe, f));
            }
            continue;
        };
        let ne = &new.events[ni];
        let changes = if ne.version == oe.version {
            let (old_root, new_root) = (&old.types[oe.type_id].full_name, &new.types[ne.type_id].full_name);
            crate::fingerprint::changes(old, old_root, new, new_root)
        } else {
            Vec::new()
        };
        let pair = EventPair {
            old,
            new,
            oe,
            ne,
            changes,
        };
        for rule in PAIR_RULES {
            if let Some(f) = rule(&pair) {
                out.push(report(ne, f));
            }
        }
        closure_findings.extend(closure_not_bumped(&pair).into_iter().map(|f| report(ne, f)));
    }
    out.append(&mut closure_findings);
    breaking_without_major(new, &old_events, out);
}

/// An event removed from a source that is still declared (a removed source takes its events with
/// it, which the source's own consumers see anyway).
fn removed_while_declared(old: &EventSet, new: &EventSet, oe: &Event) -> bool {
    oe.source
        .and_then(|s| old.sources.get(s))
        .is_some_and(|s| new.sources.iter().any(|n| n.name == s.name))
}

/// Breaking format findings (already in `out`) on an event whose MAJOR did not change: one
/// finding per such event and MAJOR.
fn breaking_without_major(new: &EventSet, old_events: &BTreeMap<(String, u32), usize>, out: &mut Vec<CheckFinding>) {
    let breaking: Vec<(String, Mode)> = out
        .iter()
        .filter(|f| !f.finding.rule.id.starts_with("EVENT_") && f.severity == Severity::Error)
        .filter_map(|f| f.event.clone().map(|e| (e, f.mode.unwrap_or(Mode::Backward))))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (name, mode) in breaking {
        if !seen.insert(name.clone()) {
            continue;
        }
        for ne in new.events.iter().filter(|e| e.name == name) {
            if old_events.contains_key(&(name.clone(), ne.version.major)) {
                out.push(CheckFinding {
                    consumers: None,
                    baseline_version: None,
                    finding: Finding {
                        rule: rules::EVENT_BREAKING_WITHOUT_MAJOR,
                        message: format!(
                            "`{name}` has breaking changes but keeps MAJOR version {}",
                            ne.version.major
                        ),
                        span: Some(ne.span),
                        old_span: None,
                        type_name: None,
                        hint: "make the change compatible, or publish it as a new MAJOR alongside the old one",
                    },
                    severity: Severity::Error,
                    event: Some(name.clone()),
                    mode: Some(mode),
                });
            }
        }
    }
}

/// Event-level verdicts that sum up other findings on the same event (the changes that cause
/// them): printed after those causes.
const SUMMARY_RULES: &[&Rule] = &[
    rules::EVENT_BREAKING_WITHOUT_MAJOR,
    rules::EVENT_VERSION_NOT_BUMPED,
    rules::EVENT_RELEASED_VERSION_EDITED,
];

/// Rules that say a version was not bumped: the check fails, but nothing breaks a consumer by
/// itself (a breaking change is reported by its own finding). Counted apart from breaking changes.
pub const NOT_BUMPED_RULES: &[&Rule] = &[rules::EVENT_VERSION_NOT_BUMPED, rules::EVENT_RELEASED_VERSION_EDITED];

/// Whether `f` is a breaking change (an error other than a version not bumped).
pub fn is_breaking(f: &CheckFinding) -> bool {
    f.severity == Severity::Error && !NOT_BUMPED_RULES.contains(&f.finding.rule)
}

/// Moves each event's summary findings (`SUMMARY_RULES`) right after the last finding that
/// causes them (the other findings on that event), keeping every other finding where it is: a
/// reader sees an event's changes first, then what they mean for the event.
pub fn causes_first(findings: &mut Vec<CheckFinding>) {
    let is_summary = |f: &CheckFinding| SUMMARY_RULES.contains(&f.finding.rule);
    let mut last_cause: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (false, Some(event)) = (is_summary(f), f.event.as_deref()) {
            last_cause.insert(event, i);
        }
    }
    let mut summaries: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (true, Some(event)) = (is_summary(f), f.event.as_deref()) {
            summaries.entry(event).or_default().push(i);
        }
    }
    let mut order = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        let event = f.event.as_deref();
        match event.and_then(|e| last_cause.get(e)) {
            // Placed after the last cause, below.
            Some(_) if is_summary(f) => {}
            Some(&last) if last == i => {
                order.push(i);
                order.extend(event.and_then(|e| summaries.get(e)).into_iter().flatten());
            }
            _ => order.push(i),
        }
    }
    let mut slots: Vec<Option<CheckFinding>> = std::mem::take(findings).into_iter().map(Some).collect();
    findings.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// One finding as a diagnostic, for every rendering but JSON (`crate::render` and the human
/// one): its hint is the help, its event the subject, its mode or kind the label.
pub fn to_diagnostic(f: &CheckFinding) -> Diagnostic {
    let mut d = Diagnostic::error(f.finding.rule, f.finding.message.clone()).help(f.finding.hint);
    d.severity = f.severity;
    d.subject = f.event.clone();
    d.check = Some(Box::new(CheckData {
        old_span: f.finding.old_span,
        type_name: f.finding.type_name.clone(),
        mode: f.mode.map(|m| m.name().to_owned()),
        not_bumped: NOT_BUMPED_RULES.contains(&f.finding.rule),
        consumers: f.consumers.clone(),
        baseline_version: f.baseline_version.map(|v| v.to_string()),
    }));
    if let Some(names) = f.consumers.as_deref().filter(|n| !n.is_empty() && is_breaking(f)) {
        d.message.push_str(&crate::render::breaks_suffix(names));
    }
    if let Some(span) = f.finding.span {
        d = d.at(span);
    }
    match (f.severity, f.mode) {
        (Severity::Error, _) if NOT_BUMPED_RULES.contains(&f.finding.rule) => d = d.label("version not bumped"),
        (Severity::Error, Some(mode)) => d = d.label(format!("breaks {mode}")),
        (Severity::Warning, _) => d = d.label("harmless today; breaks when the number is reused"),
        _ => {}
    }
    d
}

/// `--format json` (`crate::render::check_json`) over the findings, their files in `new` and
/// their baseline locations in `old`.
pub fn json_report(findings: &[CheckFinding], new: &SourceMap, old: &SourceMap) -> JsonReport {
    let diagnostics: Vec<Diagnostic> = findings.iter().map(to_diagnostic).collect();
    crate::render::check_json(&diagnostics, new, old)
}

/// The counts of [`JsonReport`] for `findings`.
pub fn counts(findings: &[CheckFinding]) -> JsonCounts {
    let diagnostics: Vec<Diagnostic> = findings.iter().map(to_diagnostic).collect();
    JsonCounts::of(&diagnostics)
}

#[cfg(test)]
mod buffer_tests {
    use super::*;
    use crate::files::FileSet;
    use std::path::Path;

    /// The memo of reaches holds only current events' types: an event removed from the repo
    /// (its file deleted) is forgotten with the files it reached.
    #[test]
    fn the_reach_of_an_event_removed_is_forgotten() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let mut sources = SourceMap::new();
        let lock = crate::lock::read(&root.join(crate::load::LOCK_FILE), &mut sources).expect("lock");
        let mut files = FileSet::read_dir(&root);
        let mut releases = Releases::default();
        let name = |set: &EventSet| {
            let e = set
                .events
                .iter()
                .find(|e| e.name.ends_with("UserCreated"))
                .expect("the event");
            set.types[e.type_id].full_name.clone()
        };
        let before = crate::load::load_files(&files).expect("loads").set;
        let created = name(&before);
        check_against_lock_in(&lock, &before, &CheckOptions::default(), &mut releases).expect("checks");
        assert!(releases.reaches.contains_key(&created), "{:?}", releases.reaches.keys());
        assert!(files.remove("user/v1/user_created.proto"));
        let after = crate::load::load_files(&files).expect("loads").set;
        check_against_lock_in(&lock, &after, &CheckOptions::default(), &mut releases).expect("checks");
        assert!(
            !releases.reaches.contains_key(&created),
            "{:?}",
            releases.reaches.keys()
        );
        assert!(releases.reaches.len() <= after.events.len());
    }

    /// A file held in memory (an editor's buffer) is judged as the same text on disk is.
    #[test]
    fn an_unrelated_message_in_a_buffer_edits_no_release() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let mut sources = SourceMap::new();
        let lock = crate::lock::read(&root.join(crate::load::LOCK_FILE), &mut sources).expect("lock");
        let name = "user/v1/user_created.proto";
        let text = std::fs::read_to_string(root.join(name)).expect("read");
        for in_memory in [false, true] {
            let mut files = FileSet::read_dir(&root);
            if in_memory {
                files.insert(name, format!("{text}message bad_name {{}}\n"));
            }
            let loaded = crate::load::load_files(&files).expect("loads");
            let findings = check_against_lock(&lock, &loaded.set, &CheckOptions::default()).expect("checks");
            let ids: Vec<&str> = findings.iter().map(|f| f.finding.rule.id).collect();
            assert!(
                ids.is_empty(),
                "in memory: {in_memory}: {:?}",
                findings.first().map(|f| &f.finding.message)
            );
        }
    }

    /// The memo of the files an event reaches must see a reached file whose new text makes the
    /// event reach another file (an Avro record coming to name a record of a third file: no
    /// import, no new name).
    #[test]
    fn a_memoized_reach_follows_a_reached_file_that_names_another() {
        let event = "{\"type\": \"record\", \"name\": \"A\", \"namespace\": \"gen\",\n \"herald\": {\"version\": \"1.1\", \"kind\": \"event\", \"partitionKey\": \"id\"},\n \"fields\": [{\"name\": \"id\", \"type\": \"string\"}, {\"name\": \"s\", \"type\": \"gen.Shared\"}]}\n";
        let shared = "{\"type\": \"record\", \"name\": \"Shared\", \"namespace\": \"gen\", \"fields\": [{\"name\": \"a\", \"type\": \"string\"}]}\n";
        let naming = shared.replace("\"type\": \"string\"}]", "\"type\": \"gen.Other\"}]");
        let other = "{\"type\": \"record\", \"name\": \"Other\", \"namespace\": \"gen\", \"fields\": [{\"name\": \"z\", \"type\": \"string\"}]}\n";
        let set = |shared: &str| {
            let mut files = FileSet::new("/reach");
            files.insert(
                "herald.toml",
                "[repo]\nname = \"r\"\n\n[sources.s]\nschemas = [\"*.avsc\"]\n",
            );
            files.insert("a.avsc", event);
            files.insert("other.avsc", other);
            files.insert("shared.avsc", shared);
            crate::load::load_files(&files).expect("loads").set
        };
        let (before, after) = (set(shared), set(&naming));
        let options = CheckOptions::default();
        let (index_before, index_after) = (KeyIndex::of(&before, &options), KeyIndex::of(&after, &options));
        let event = after.events.first().expect("the event loads").type_id;
        let mut memo = <foldhash::HashMap<_, _> as foldhash::HashMapExt>::new();
        let name =
            |set: &EventSet, files: &[(crate::span::FileId, std::sync::Arc<crate::span::SourceFile>)]| -> Vec<String> {
                files
                    .iter()
                    .map(|(id, _)| set.sources_map.get(*id).name.clone())
                    .collect()
            };
        let first = reach(&before, &index_before, event, &mut memo).to_vec();
        assert_eq!(name(&before, &first), ["a.avsc", "shared.avsc"]);
        let second = reach(&after, &index_after, event, &mut memo).to_vec();
        assert_eq!(name(&after, &second), ["a.avsc", "other.avsc", "shared.avsc"]);
    }
}
