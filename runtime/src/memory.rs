//! The embedded default transport: topics with partitions in memory, the key hashed with Kafka's
//! murmur2 partitioner, consumer groups whose partitions are rebalanced as members join and
//! leave, committed offsets per group, earliest/latest starts, and back-pressure: a partition
//! holds at most `capacity` records its groups have not committed, and a send waits (up to
//! `max_block`) for room. Publish/subscribe and point-to-point fall out of the consumer groups.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use crate::transport::{
    partition_for, Acks, Delivery, Headers, Record, StartFrom, Subscription, Transport, TransportError,
};

/// Settings of an [`InMemoryTransport`].
#[derive(Debug, Clone)]
pub struct MemoryConfig {
    /// Partitions of a topic created on first use.
    pub default_partitions: u32,
    /// Partitions of named topics.
    pub partitions: HashMap<String, u32>,
    /// Records a partition keeps that some group has not committed yet: a send waits while the
    /// slowest group lags this far behind (back-pressure).
    pub capacity: usize,
    /// Records a partition retains (like Kafka's retention): beyond this, records every current
    /// group has committed are dropped, and a group that joins later starts at what is retained.
    pub retention: usize,
    /// How long a send waits for room before failing with [`TransportError::Full`].
    pub max_block: Duration,
    /// Largest record value accepted.
    pub max_record_bytes: usize,
    /// Topics that refuse writes (to test what happens when, say, a dead-letter topic does).
    pub read_only: HashSet<String>,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            default_partitions: 4,
            partitions: HashMap::new(),
            capacity: 100_000,
            retention: 1_000_000,
            max_block: Duration::from_secs(30),
            max_record_bytes: 1024 * 1024,
            read_only: HashSet::new(),
        }
    }
}

#[derive(Debug, Default)]
struct PartitionLog {
    /// Offset of `records[0]`.
    start: u64,
    records: VecDeque<Record>,
}

impl PartitionLog {
    fn next(&self) -> u64 {
        self.start + self.records.len() as u64
    }
}

#[derive(Debug, Default)]
struct Group {
    start: StartFrom,
    /// Member id → subscribed topics.
    members: BTreeMap<u64, Vec<String>>,
    generation: u64,
    assignment: BTreeMap<u64, Vec<(String, u32)>>,
    committed: HashMap<(String, u32), u64>,
}

#[derive(Debug, Default)]
struct State {
    topics: HashMap<String, Vec<PartitionLog>>,
    groups: HashMap<String, Group>,
    next_member: u64,
    /// Round-robin counter for records without a key.
    unkeyed: u64,
}

#[derive(Debug)]
struct Inner {
    config: MemoryConfig,
    state: Mutex<State>,
    changed: Notify,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every change is one step).
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The in-memory broker; clones share it.
#[derive(Debug, Clone)]
pub struct InMemoryTransport {
    inner: Arc<Inner>,
}

impl Default for InMemoryTransport {
    fn default() -> Self {
        InMemoryTransport::new(MemoryConfig::default())
    }
}

impl InMemoryTransport {
    pub fn new(config: MemoryConfig) -> InMemoryTransport {
        InMemoryTransport {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                changed: Notify::new(),
            }),
        }
    }

    /// Every record currently held on a topic, in partition then offset order (for tests and tools).
    pub fn records(&self, topic: &str) -> Vec<Record> {
        let state = self.inner.lock();
        state
            .topics
            .get(topic)
            .map(|parts| parts.iter().flat_map(|p| p.records.iter().cloned()).collect())
            .unwrap_or_default()
    }

    /// The offset group `group` committed on a partition.
    pub fn committed(&self, group: &str, topic: &str, partition: u32) -> Option<u64> {
        let state = self.inner.lock();
        state
            .groups
            .get(group)
            .and_then(|g| g.committed.get(&(topic.to_owned(), partition)).copied())
    }

    fn partitions_of(&self, topic: &str) -> u32 {
        self.inner
            .config
            .partitions
            .get(topic)
            .copied()
            .unwrap_or(self.inner.config.default_partitions)
            .max(1)
    }
}

fn ensure_topic<'a>(state: &'a mut State, topic: &str, partitions: u32) -> &'a mut Vec<PartitionLog> {
    state
        .topics
        .entry(topic.to_owned())
        .or_insert_with(|| (0..partitions).map(|_| PartitionLog::default()).collect())
}

/// Oldest offset some group subscribed to `topic` still needs on a partition (its committed
/// offset, or the partition start for a member that has not committed yet).
fn low_water(state: &State, topic: &str, partition: u32) -> Option<u64> {
    let start = state
        .topics
        .get(topic)
        .and_then(|p| p.get(partition as usize))
        .map(|p| p.start)
        .unwrap_or(0);
    state
        .groups
        .values()
        .filter(|g| g.members.values().any(|topics| topics.iter().any(|t| t == topic)))
        .map(|g| {
            g.committed
                .get(&(topic.to_owned(), partition))
                .copied()
                .unwrap_or(start)
        })
        .min()
}

/// Records of a partition the slowest current group has not committed (what back-pressure limits).
fn lag(state: &State, topic: &str, partition: u32) -> usize {
    let next = state
        .topics
        .get(topic)
        .and_then(|p| p.get(partition as usize))
        .map(PartitionLog::next)
        .unwrap_or(0);
    low_water(state, topic, partition).map_or(0, |low| next.saturating_sub(low) as usize)
}

/// Drops records beyond `retention` that every current group has committed.
fn trim(state: &mut State, topic: &str, partition: u32, retention: usize) {
    let Some(low) = low_water(state, topic, partition) else {
        return;
    };
    if let Some(log) = state.topics.get_mut(topic).and_then(|p| p.get_mut(partition as usize)) {
        while log.records.len() > retention && log.start < low {
            log.records.pop_front();
            log.start += 1;
        }
    }
}

fn rebalance(state: &mut State, group: &str) {
    let partitions: HashMap<String, u32> = state.topics.iter().map(|(t, p)| (t.clone(), p.len() as u32)).collect();
    let Some(g) = state.groups.get_mut(group) else { return };
    g.generation += 1;
    g.assignment.clear();
    let mut topics: Vec<&String> = g.members.values().flatten().collect();
    topics.sort();
    topics.dedup();
    for topic in topics {
        let members: Vec<u64> = g
            .members
            .iter()
            .filter(|(_, ts)| ts.contains(topic))
            .map(|(m, _)| *m)
            .collect();
        let count = partitions.get(topic).copied().unwrap_or(0);
        for p in 0..count {
            if let Some(member) = members.get(p as usize % members.len().max(1)) {
                g.assignment.entry(*member).or_default().push((topic.clone(), p));
            }
        }
    }
}

impl Transport for InMemoryTransport {
    type Subscription = MemorySubscription;

    async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        headers: Headers,
        value: Vec<u8>,
        _acks: Acks,
    ) -> Result<Delivery, TransportError> {
        let config = &self.inner.config;
        if config.read_only.contains(topic) {
            return Err(TransportError::Rejected(format!("topic `{topic}` is read-only")));
        }
        if value.len() > config.max_record_bytes {
            return Err(TransportError::Rejected(format!(
                "record of {} bytes exceeds the limit of {} bytes",
                value.len(),
                config.max_record_bytes
            )));
        }
        let partitions = self.partitions_of(topic);
        let deadline = tokio::time::Instant::now() + config.max_block;
        loop {
            let notified = self.inner.changed.notified();
            {
                let mut state = self.inner.lock();
                let partition = match key {
                    Some(k) => partition_for(k, partitions),
                    None => {
                        state.unkeyed = state.unkeyed.wrapping_add(1);
                        (state.unkeyed % u64::from(partitions)) as u32
                    }
                };
                ensure_topic(&mut state, topic, partitions);
                trim(&mut state, topic, partition, config.retention);
                if lag(&state, topic, partition) < config.capacity {
                    let offset = ensure_topic(&mut state, topic, partitions)[partition as usize].next();
                    let record = Record {
                        topic: topic.to_owned(),
                        partition,
                        offset,
                        key: key.map(<[u8]>::to_vec),
                        headers: headers.clone(),
                        value: value.clone(),
                    };
                    ensure_topic(&mut state, topic, partitions)[partition as usize]
                        .records
                        .push_back(record);
                    drop(state);
                    self.inner.changed.notify_waiters();
                    return Ok(Delivery { partition, offset });
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(TransportError::Full(format!(
                    "a consumer group of topic `{topic}` lags {} records behind on a partition",
                    config.capacity
                )));
            }
        }
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[String],
        start: StartFrom,
    ) -> Result<MemorySubscription, TransportError> {
        let subscription = {
            let mut state = self.inner.lock();
            for t in topics {
                let n = self.partitions_of(t);
                ensure_topic(&mut state, t, n);
            }
            state.next_member += 1;
            let member = state.next_member;
            let g = state.groups.entry(group.to_owned()).or_insert_with(|| Group {
                start,
                ..Group::default()
            });
            g.members.insert(member, topics.to_vec());
            rebalance(&mut state, group);
            let mut subscription = MemorySubscription {
                inner: Arc::clone(&self.inner),
                group: group.to_owned(),
                member,
                generation: 0,
                positions: BTreeMap::new(),
                cursor: 0,
                revoked: Vec::new(),
                paused: false,
            };
            // Positions are fixed now: a `Latest` member sees what is sent after it joined.
            subscription.refresh(&state);
            subscription
        };
        self.inner.changed.notify_waiters();
        Ok(subscription)
    }
}

/// A member of a consumer group on an [`InMemoryTransport`]. Dropping it leaves the group.
#[derive(Debug)]
pub struct MemorySubscription {
    inner: Arc<Inner>,
    group: String,
    member: u64,
    generation: u64,
    /// Next offset to read per assigned partition.
    positions: BTreeMap<(String, u32), u64>,
    cursor: usize,
    /// Partitions taken away by rebalances, not yet reported by `revoked`.
    revoked: Vec<(String, u32)>,
    /// No records are returned while paused (the membership stays).
    paused: bool,
}

impl MemorySubscription {
    /// Takes up a new assignment: new partitions start at the group's committed offset; the ones
    /// gone are remembered for `revoked`.
    fn refresh(&mut self, state: &State) {
        let Some(g) = state.groups.get(&self.group) else { return };
        if g.generation == self.generation {
            return;
        }
        self.generation = g.generation;
        let assigned = g.assignment.get(&self.member).cloned().unwrap_or_default();
        let mut positions = BTreeMap::new();
        for (topic, p) in assigned {
            let log = state.topics.get(&topic).and_then(|parts| parts.get(p as usize));
            let (start, next) = log.map(|l| (l.start, l.next())).unwrap_or((0, 0));
            // A partition this member keeps continues where it was.
            if let Some(pos) = self.positions.get(&(topic.clone(), p)) {
                positions.insert((topic, p), *pos);
                continue;
            }
            let from_group = g.committed.get(&(topic.clone(), p)).copied();
            let pos = match (from_group, g.start) {
                (Some(c), _) => c,
                (None, StartFrom::Earliest) => start,
                (None, StartFrom::Latest) => next,
            };
            positions.insert((topic, p), pos);
        }
        for partition in self.positions.keys() {
            if !positions.contains_key(partition) {
                self.revoked.push(partition.clone());
            }
        }
        self.positions = positions;
    }
}

impl Subscription for MemorySubscription {
    async fn next(&mut self) -> Result<Option<Record>, TransportError> {
        let inner = Arc::clone(&self.inner);
        loop {
            let notified = inner.changed.notified();
            {
                let state = inner.lock();
                let Some(g) = state.groups.get(&self.group) else {
                    return Ok(None);
                };
                if !g.members.contains_key(&self.member) {
                    return Ok(None);
                }
                self.refresh(&state);
                // Paused: nothing is read, the membership stays, a rebalance is still taken up.
                let keys: Vec<(String, u32)> = if self.paused {
                    Vec::new()
                } else {
                    self.positions.keys().cloned().collect()
                };
                for i in 0..keys.len() {
                    let key = &keys[(self.cursor + i) % keys.len()];
                    let Some(log) = state.topics.get(&key.0).and_then(|parts| parts.get(key.1 as usize)) else {
                        continue;
                    };
                    let pos = self.positions.get(key).copied().unwrap_or(0).max(log.start);
                    if pos < log.next() {
                        let record = log.records.get((pos - log.start) as usize).cloned();
                        self.positions.insert(key.clone(), pos + 1);
                        self.cursor = (self.cursor + i + 1) % keys.len();
                        return Ok(record);
                    }
                }
            }
            notified.await;
        }
    }

    async fn commit(&mut self, topic: &str, partition: u32, offset: u64) -> Result<(), TransportError> {
        {
            let mut state = self.inner.lock();
            let Some(g) = state.groups.get_mut(&self.group) else {
                return Err(TransportError::Closed);
            };
            let owned = g
                .assignment
                .get(&self.member)
                .is_some_and(|parts| parts.iter().any(|(t, p)| t == topic && *p == partition));
            if !owned {
                // Like Kafka: the partition's current owner decides; it starts at what is committed.
                return Ok(());
            }
            let slot = g.committed.entry((topic.to_owned(), partition)).or_insert(0);
            *slot = (*slot).max(offset);
            let retention = self.inner.config.retention;
            trim(&mut state, topic, partition, retention);
        }
        self.inner.changed.notify_waiters();
        Ok(())
    }

    fn revoked(&mut self) -> Vec<(String, u32)> {
        std::mem::take(&mut self.revoked)
    }

    fn pause(&mut self) -> Result<(), TransportError> {
        self.paused = true;
        Ok(())
    }

    fn resume(&mut self) -> Result<(), TransportError> {
        self.paused = false;
        Ok(())
    }

    fn assignment(&self) -> Vec<(String, u32)> {
        let state = self.inner.lock();
        state
            .groups
            .get(&self.group)
            .and_then(|g| g.assignment.get(&self.member).cloned())
            .unwrap_or_default()
    }

    async fn close(self) {
        drop(self);
    }
}

impl Drop for MemorySubscription {
    fn drop(&mut self) {
        {
            let mut state = self.inner.lock();
            if let Some(g) = state.groups.get_mut(&self.group) {
                g.members.remove(&self.member);
            }
            rebalance(&mut state, &self.group);
        }
        self.inner.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn send(t: &InMemoryTransport, topic: &str, key: &str, value: &str) -> Delivery {
        t.send(
            topic,
            Some(key.as_bytes()),
            Headers::new(),
            value.as_bytes().to_vec(),
            Acks::All,
        )
        .await
        .expect("send")
    }

    #[tokio::test]
    async fn keys_land_on_kafkas_partition_and_keep_order() {
        let t = InMemoryTransport::default();
        for i in 0..20 {
            let d = send(&t, "users", "user-7", &format!("{i}")).await;
            assert_eq!(d.partition, partition_for(b"user-7", 4));
        }
        let mut sub = t
            .subscribe("g", &["users".into()], StartFrom::Earliest)
            .await
            .expect("subscribe");
        for i in 0..20 {
            let r = sub.next().await.expect("next").expect("record");
            assert_eq!(r.value, format!("{i}").into_bytes());
        }
    }

    #[tokio::test]
    async fn every_group_gets_every_record_and_members_split_partitions() {
        let t = InMemoryTransport::default();
        for i in 0..40 {
            send(&t, "events", &format!("k{i}"), "v").await;
        }
        // Two groups: each sees all 40 (publish/subscribe).
        for group in ["a", "b"] {
            let mut sub = t
                .subscribe(group, &["events".into()], StartFrom::Earliest)
                .await
                .expect("sub");
            for _ in 0..40 {
                sub.next().await.expect("next").expect("record");
            }
        }
        // One group, two members: the partitions are split (point-to-point).
        let m1 = t
            .subscribe("c", &["events".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        let m2 = t
            .subscribe("c", &["events".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        let (a1, a2) = (m1.assignment(), m2.assignment());
        assert_eq!(a1.len() + a2.len(), 4);
        assert!(a1.iter().all(|p| !a2.contains(p)));
        // When one leaves, the other takes every partition.
        drop(m1);
        assert_eq!(m2.assignment().len(), 4);
    }

    #[tokio::test]
    async fn uncommitted_records_are_redelivered_to_the_next_member() {
        let t = InMemoryTransport::default();
        for i in 0..3 {
            send(&t, "cmds", "same-key", &format!("{i}")).await;
        }
        let mut first = t
            .subscribe("svc", &["cmds".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        let r0 = first.next().await.expect("next").expect("record");
        first.commit("cmds", r0.partition, r0.offset + 1).await.expect("commit");
        let _r1 = first.next().await.expect("next").expect("record");
        drop(first); // crashed before committing r1
        let mut second = t
            .subscribe("svc", &["cmds".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        let again = second.next().await.expect("next").expect("record");
        assert_eq!(again.value, b"1".to_vec());
    }

    #[tokio::test]
    async fn latest_start_skips_history_and_read_only_topics_reject() {
        let mut config = MemoryConfig::default();
        config.read_only.insert("dlq".into());
        let t = InMemoryTransport::new(config);
        send(&t, "t", "k", "old").await;
        let mut sub = t
            .subscribe("late", &["t".into()], StartFrom::Latest)
            .await
            .expect("sub");
        send(&t, "t", "k", "new").await;
        assert_eq!(sub.next().await.expect("next").expect("record").value, b"new".to_vec());
        let err = t.send("dlq", None, Headers::new(), b"x".to_vec(), Acks::All).await;
        assert!(matches!(err, Err(TransportError::Rejected(_))));
    }

    #[tokio::test]
    async fn a_lagging_group_holds_producers_back() {
        let config = MemoryConfig {
            default_partitions: 1,
            capacity: 2,
            max_block: Duration::from_millis(50),
            ..MemoryConfig::default()
        };
        let t = InMemoryTransport::new(config);
        let mut sub = t
            .subscribe("slow", &["q".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        send(&t, "q", "k", "1").await;
        send(&t, "q", "k", "2").await;
        let full = t.send("q", Some(b"k"), Headers::new(), b"3".to_vec(), Acks::All).await;
        assert!(matches!(full, Err(TransportError::Full(_))), "{full:?}");
        let r = sub.next().await.expect("next").expect("record");
        sub.commit("q", r.partition, r.offset + 1).await.expect("commit");
        send(&t, "q", "k", "3").await;
    }

    #[tokio::test]
    async fn a_group_joining_later_reads_what_is_retained() {
        let config = MemoryConfig {
            default_partitions: 1,
            retention: 3,
            ..MemoryConfig::default()
        };
        let t = InMemoryTransport::new(config);
        let mut early = t
            .subscribe("early", &["log".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        for i in 0..5 {
            send(&t, "log", "k", &format!("{i}")).await;
        }
        // Committed records stay while the log is within its retention...
        let r = early.next().await.expect("next").expect("record");
        early.commit("log", r.partition, 5).await.expect("commit");
        // ...and beyond it only the newest `retention` committed records remain.
        let mut late = t
            .subscribe("late", &["log".into()], StartFrom::Earliest)
            .await
            .expect("sub");
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(late.next().await.expect("next").expect("record").value);
        }
        assert_eq!(got, vec![b"2".to_vec(), b"3".to_vec(), b"4".to_vec()]);
    }

    /// A key that lands on `partition` of `partitions`.
    fn key_for(partition: u32, partitions: u32) -> String {
        (0..)
            .map(|i| format!("k{i}"))
            .find(|k| partition_for(k.as_bytes(), partitions) == partition)
            .expect("a key for every partition")
    }

    #[tokio::test]
    async fn a_paused_member_reads_nothing_until_resumed_and_skips_nothing() {
        let t = InMemoryTransport::new(MemoryConfig {
            default_partitions: 1,
            ..MemoryConfig::default()
        });
        for i in 0..3 {
            send(&t, "p", "k", &format!("{i}")).await;
        }
        let mut sub = t.subscribe("g", &["p".into()], StartFrom::Earliest).await.expect("sub");
        assert_eq!(sub.next().await.expect("next").expect("record").value, b"0".to_vec());
        sub.pause().expect("pause");
        let waited = tokio::time::timeout(Duration::from_millis(50), sub.next()).await;
        assert!(waited.is_err(), "nothing is read while paused: {waited:?}");
        assert_eq!(sub.assignment().len(), 1, "still a member");
        sub.resume().expect("resume");
        assert_eq!(sub.next().await.expect("next").expect("record").value, b"1".to_vec());
        assert_eq!(sub.next().await.expect("next").expect("record").value, b"2".to_vec());
    }

    #[tokio::test]
    async fn revoked_partitions_are_reported_once_and_later_marks_for_them_ignored() {
        let t = InMemoryTransport::default();
        for p in 0..4 {
            send(&t, "r", &key_for(p, 4), "v").await;
        }
        let mut first = t.subscribe("g", &["r".into()], StartFrom::Earliest).await.expect("sub");
        first.next().await.expect("next").expect("record");
        assert!(first.revoked().is_empty());
        let second = t.subscribe("g", &["r".into()], StartFrom::Earliest).await.expect("sub");
        // The rebalance is taken up at the next read.
        first.next().await.expect("next").expect("record");
        let mut revoked = first.revoked();
        revoked.sort();
        assert_eq!(revoked, second.assignment(), "what the second member got");
        assert!(first.revoked().is_empty(), "reported once");
        let (topic, gone) = revoked[0].clone();
        first
            .commit(&topic, gone, 1)
            .await
            .expect("a mark for a revoked partition is no error");
        assert_eq!(t.committed("g", &topic, gone), None, "and changes nothing");
        let (topic, kept) = first.assignment()[0].clone();
        first.commit(&topic, kept, 1).await.expect("commit");
        assert_eq!(t.committed("g", &topic, kept), Some(1));
    }
}
