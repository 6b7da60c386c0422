//! `herald topics apply`: brings a Kafka cluster in line with the topics a schema repo declares,
//! through herald-runtime's Kafka admin client (feature `kafka`). What each topic needs is
//! herald-codegen's [`topics::step`]; this module only reads the cluster and carries it out.

use herald_codegen::topics::{self, DeclaredTopic, Status, Step, TopicReport};

/// How `herald topics apply` reaches the cluster and what it may do.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `bootstrap.servers`.
    pub bootstrap: String,
    /// librdkafka properties passed through (security settings, ...); they win over `bootstrap`.
    pub properties: Vec<(String, String)>,
    /// Replication factor of created topics; `None`: the broker's default.
    pub replication: Option<u32>,
    pub allow_partition_increase: bool,
    /// Read what exists and report what would change, change nothing.
    pub dry_run: bool,
    /// Bound on each request to the cluster.
    pub timeout: std::time::Duration,
}

/// Brings the cluster in line with `topics`: reads every topic's partition count (one metadata
/// request), creates the missing ones in one request, grows the ones allowed to grow. `Err` when
/// the cluster cannot be reached or the settings are unusable; a topic that cannot be brought in
/// line is a [`Status::Failed`] report.
pub fn apply(topics: &[DeclaredTopic], options: &ApplyOptions) -> Result<Vec<TopicReport>, String> {
    use herald_runtime::kafka::{CreateError, KafkaAdmin, KafkaConfig, TopicSpec};

    let mut config = KafkaConfig::new(&options.bootstrap);
    for (key, value) in &options.properties {
        config = config.set(key, value);
    }
    let bootstrap = config.properties.get("bootstrap.servers").cloned().unwrap_or_default();
    let admin = KafkaAdmin::new(&config, options.timeout).map_err(reason)?;
    let existing = admin.topic_partitions().map_err(|e| {
        format!(
            "cannot reach the Kafka cluster at {bootstrap} within {} s ({}); check --bootstrap, \
             the security settings (--config) and --timeout",
            options.timeout.as_secs_f64(),
            reason(e)
        )
    })?;

    let mut reports = Vec::with_capacity(topics.len());
    let mut to_create = Vec::new();
    let mut to_grow = Vec::new();
    for topic in topics {
        let report = |status| TopicReport {
            topic: topic.name.clone(),
            partitions: topic.partitions,
            status,
        };
        let current = match existing.get(&topic.name) {
            None => None,
            Some(Ok(n)) => Some(*n),
            Some(Err(e)) => {
                reports.push(report(Status::Failed(format!("the broker reports `{e}` for it"))));
                continue;
            }
        };
        match topics::step(topic, current, options.allow_partition_increase) {
            Step::Exists => reports.push(report(Status::Exists)),
            Step::Refuse(reason) => reports.push(report(Status::Failed(reason))),
            Step::Create if options.dry_run => reports.push(report(Status::WouldCreate)),
            Step::Grow { from } if options.dry_run => reports.push(report(Status::WouldGrow { from })),
            Step::Create => to_create.push(TopicSpec {
                name: topic.name.clone(),
                partitions: topic.partitions,
                replication: options.replication,
            }),
            Step::Grow { from } => to_grow.push((topic, from)),
        }
    }
    if to_create.is_empty() && to_grow.is_empty() {
        return Ok(sorted(reports));
    }

    let runtime = herald_runtime::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        if !to_create.is_empty() {
            let declared = |name: &str| to_create.iter().find(|s| s.name == name).map_or(0, |s| s.partitions);
            match admin.create_topics(&to_create).await {
                Ok(results) => {
                    for (name, result) in results {
                        let status = match result {
                            Ok(()) => Status::Created,
                            // Created by someone else since the metadata was read.
                            Err(CreateError::AlreadyExists) => Status::Exists,
                            Err(CreateError::Refused(reason)) => Status::Failed(format!("cannot create it: {reason}")),
                        };
                        reports.push(TopicReport {
                            partitions: declared(&name),
                            topic: name,
                            status,
                        });
                    }
                }
                Err(e) => {
                    for spec in &to_create {
                        reports.push(TopicReport {
                            topic: spec.name.clone(),
                            partitions: spec.partitions,
                            status: Status::Failed(reason(e.clone())),
                        });
                    }
                }
            }
        }
        for (topic, from) in to_grow {
            let status = match admin.create_partitions(&topic.name, topic.partitions).await {
                Ok(()) => Status::Grown { from },
                Err(e) => Status::Failed(reason(e)),
            };
            reports.push(TopicReport {
                topic: topic.name.clone(),
                partitions: topic.partitions,
                status,
            });
        }
    });
    Ok(sorted(reports))
}

/// A transport error's message without the transport's "broker error:" framing.
fn reason(e: herald_runtime::transport::TransportError) -> String {
    use herald_runtime::transport::TransportError;
    match e {
        TransportError::Broker(why) | TransportError::Rejected(why) => why,
        other => other.to_string(),
    }
}

fn sorted(mut reports: Vec<TopicReport>) -> Vec<TopicReport> {
    reports.sort_by(|a, b| a.topic.cmp(&b.topic));
    reports
}
