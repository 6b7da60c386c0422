//! The topics a schema repo declares (each `[sources.<name>]`'s `topic` and `partitions` in
//! herald.toml) and what bringing a Kafka cluster in line with them takes, topic by topic
//! ([`step`]); `herald topics apply` (herald-cli, feature `kafka`) talks to the cluster.
//!
//! - A source without `partitions` gets [`DEFAULT_PARTITIONS`], the in-memory transport's default,
//!   so a key lands on the same partition number in tests and on Kafka.
//! - Only declared topics are created. Dead-letter topics are a consumer setting
//!   (`ConsumerConfig::dead_letter_topic`, `<topic>.dlq` by default), not declared in herald.toml.
//! - Sources sharing a topic must not declare different partition counts.
//! - A topic with fewer partitions than declared is grown only when asked
//!   (`herald topics apply --allow-partition-increase`): growing moves keys to other partitions, so
//!   per-key order across the change is lost. One with more partitions is an error: Kafka cannot
//!   remove partitions.
//!
//! *Invariant: this module reads herald.toml only; nothing here pulls a Kafka client into a build
//! script.*

use crate::rules;
use std::collections::BTreeMap;
use std::fmt;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Partitions of a declared topic whose source sets no `partitions`: the in-memory transport's
/// default (`herald_runtime::memory::MemoryConfig::default().default_partitions`).
pub const DEFAULT_PARTITIONS: u32 = 4;

/// A topic herald.toml declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTopic {
    pub name: String,
    pub partitions: u32,
    /// Whether a source sets `partitions` (otherwise [`DEFAULT_PARTITIONS`]).
    pub explicit: bool,
    /// The sources publishing to it, sorted.
    pub sources: Vec<String>,
}

/// Kafka's limit on a topic name's length.
const MAX_TOPIC_NAME: usize = 249;

/// Why `name` cannot be a Kafka topic, if it cannot.
fn invalid_topic_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is reserved"));
    }
    if name.len() > MAX_TOPIC_NAME {
        return Some(format!(
            "it is {} characters long (at most {MAX_TOPIC_NAME})",
            name.len()
        ));
    }
    let bad: String = name
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .collect();
    if !bad.is_empty() {
        return Some(format!(
            "it contains `{bad}` (allowed: ASCII letters, digits, `.`, `_`, `-`)"
        ));
    }
    None
}

/// The topics `config` declares, sorted by name; every problem (an invalid topic name, sources of
/// one topic declaring different partition counts) is a diagnostic at the source.
pub fn declared(config: &Config) -> Result<Vec<DeclaredTopic>, Vec<Diagnostic>> {
    // Each topic with the source that set its partitions (or its first source).
    let mut topics: BTreeMap<String, (DeclaredTopic, Span, String)> = BTreeMap::new();
    let mut diags = Vec::new();
    for source in &config.sources {
        if let Some(reason) = invalid_topic_name(&source.topic) {
            diags.push(
                Diagnostic::error(
                    rules::TOPIC_NAME_INVALID,
                    format!(
                        "source `{}` publishes to `{}`, which cannot be a Kafka topic: {reason}",
                        source.name, source.topic
                    ),
                )
                .at(source.span)
                .help("set `topic` to a name of ASCII letters, digits, `.`, `_` and `-`"),
            );
            continue;
        }
        let Some((topic, first, first_name)) = topics.get_mut(&source.topic) else {
            let topic = DeclaredTopic {
                name: source.topic.clone(),
                partitions: source.partitions.unwrap_or(DEFAULT_PARTITIONS),
                explicit: source.partitions.is_some(),
                sources: vec![source.name.clone()],
            };
            topics.insert(source.topic.clone(), (topic, source.span, source.name.clone()));
            continue;
        };
        topic.sources.push(source.name.clone());
        let Some(partitions) = source.partitions else {
            continue;
        };
        if !topic.explicit {
            topic.partitions = partitions;
            topic.explicit = true;
            *first = source.span;
            first_name.clone_from(&source.name);
        } else if topic.partitions != partitions {
            diags.push(
                Diagnostic::error(
                    rules::TOPIC_PARTITIONS_CONFLICT,
                    format!(
                        "source `{}` declares {partitions} partitions for topic `{}`, source `{first_name}` {}",
                        source.name, topic.name, topic.partitions
                    ),
                )
                .at(source.span)
                .related(*first, format!("`{first_name}` declares {}", topic.partitions))
                .help("sources sharing a topic must declare the same `partitions` (or leave it to one of them)"),
            );
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(topics
        .into_values()
        .map(|(mut topic, _, _)| {
            topic.sources.sort();
            topic
        })
        .collect())
}

/// `1 partition`, `4 partitions`.
fn partitions(n: u32) -> String {
    if n == 1 {
        "1 partition".to_owned()
    } else {
        format!("{n} partitions")
    }
}

/// The declared topics as `herald topics list` prints them: one line each, name, partitions
/// (marked when defaulted), sources.
pub fn render_list(topics: &[DeclaredTopic]) -> String {
    let width = topics.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for t in topics {
        let partitions = if t.explicit {
            partitions(t.partitions)
        } else {
            format!("{} (default)", partitions(t.partitions))
        };
        let sources = if t.sources.len() == 1 { "source" } else { "sources" };
        out.push_str(&format!(
            "{:<width$}  {partitions:<24}  {sources}: {}\n",
            t.name,
            t.sources.join(", ")
        ));
    }
    out
}

/// What a declared topic needs, given the partitions it has on the cluster (`None`: missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Create,
    Exists,
    /// Add partitions up to the declared count.
    Grow {
        from: u32,
    },
    /// It cannot be brought in line; why.
    Refuse(String),
}

/// The step for `topic` when the cluster has `existing` partitions of it.
pub fn step(topic: &DeclaredTopic, existing: Option<u32>, allow_partition_increase: bool) -> Step {
    match existing {
        None => Step::Create,
        Some(n) if n == topic.partitions => Step::Exists,
        Some(n) if n < topic.partitions => {
            if allow_partition_increase {
                Step::Grow { from: n }
            } else {
                Step::Refuse(format!(
                    "has {n} partitions, herald.toml declares {}; growing it moves keys to other \
                     partitions (per-key order across the change is lost): pass \
                     --allow-partition-increase to add {}",
                    topic.partitions,
                    topic.partitions - n
                ))
            }
        }
        Some(n) => Step::Refuse(format!(
            "has {n} partitions, herald.toml declares {}; Kafka cannot remove partitions: declare {n}, \
             or recreate the topic",
            topic.partitions
        )),
    }
}

/// What `herald topics apply` did (or, in a dry run, would do) to one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Created,
    Exists,
    Grown { from: u32 },
    WouldCreate,
    WouldGrow { from: u32 },
    Failed(String),
}

/// One line of `herald topics apply`'s output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicReport {
    pub topic: String,
    /// The declared partition count.
    pub partitions: u32,
    pub status: Status,
}

impl TopicReport {
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed(_))
    }
}

impl fmt::Display for TopicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = partitions(self.partitions);
        let (status, detail) = match &self.status {
            Status::Created => ("created", count),
            Status::Exists => ("exists", count),
            Status::Grown { from } => ("grown", format!("{from} -> {count}")),
            Status::WouldCreate => ("would create", count),
            Status::WouldGrow { from } => ("would grow", format!("{from} -> {count}")),
            Status::Failed(reason) => ("error", reason.clone()),
        };
        write!(f, "{status:<12}  {}: {detail}", self.topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(partitions: u32) -> DeclaredTopic {
        DeclaredTopic {
            name: "t".into(),
            partitions,
            explicit: true,
            sources: vec!["s".into()],
        }
    }

    #[test]
    fn steps() {
        assert_eq!(step(&topic(4), None, false), Step::Create);
        assert_eq!(step(&topic(4), Some(4), false), Step::Exists);
        assert_eq!(step(&topic(4), Some(2), true), Step::Grow { from: 2 });
        assert!(matches!(step(&topic(4), Some(2), false), Step::Refuse(r) if r.contains("--allow-partition-increase")));
        assert!(matches!(step(&topic(4), Some(8), true), Step::Refuse(r) if r.contains("cannot remove")));
    }

    #[test]
    fn topic_names() {
        assert_eq!(invalid_topic_name("user-service.v1_x"), None);
        assert!(invalid_topic_name("").is_some());
        assert!(invalid_topic_name("..").is_some());
        assert!(invalid_topic_name("a b/c").is_some_and(|r| r.contains("` /`")));
        assert!(invalid_topic_name(&"a".repeat(250)).is_some());
    }
}
