//! The live-query manager: the ordered queue between writers and subscribers.
//!
//! A committing transaction hands its captured row changes (`capture`) to `publish`
//! while it still holds the writer lock, so events enter the queue in commit order;
//! `publish` never blocks and never fails the write. One fan-out thread takes events in
//! that order, decodes the rows of subscribed tables and, for each subscription on a
//! touched table, turns the rows into that subscription's changes
//! (once per distinct query and user, shared by the subscriptions that have it) and
//! queues them on the subscription's queue, which is bounded in rows, without waiting.
//! While commits keep coming the fan-out takes them once per tick, all together: one
//! filter evaluation per query and one wake-up per subscriber for the lot, and no
//! wake-up of the fan-out on the writer's path.
//! A subscription whose queue is full is marked lagging: its later changes are skipped
//! and, when it has read what it has, it is told `resync` and gets a fresh snapshot.
//! Nothing is dropped silently.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, RwLock};
use std::time::Duration;

use crate::live::capture::{decode_commits, Capture, Captured};
use crate::live::delta::{segments_of, CommitRows, Segment};
use crate::live::history::{Commit, History};
use crate::live::stateful;
use crate::live::subscription::{Sub, MAX_MERGED_ROWS};
use crate::session::Actor;

/// Rows of changes waiting in the central queue beyond which a commit's rows are not
/// queued any more: the subscriptions of its tables are sent to resync instead, so a
/// flood of writes cannot grow memory without bound.
const MAX_QUEUED_ROWS: u64 = 2_000_000;
/// The most commits and changed rows the fan-out takes at once.
const BURST_COMMITS: usize = 4096;
const BURST_ROWS: usize = 100_000;

#[derive(Debug)]
pub(crate) struct CommitEvent {
    pub seq: u64,
    pub committed_micros: i64,
    pub changes: Captured,
    /// Tables whose rows were not queued because the queue was full.
    pub overflowed: Vec<u64>,
}

pub(crate) struct LiveManager {
    queue: mpsc::Sender<CommitEvent>,
    shared: Arc<Shared>,
    /// Changed rows a subscription may have queued and unread before it lags.
    queue_limit: usize,
    /// The most often a re-evaluated query runs.
    reevaluate_interval: Duration,
    /// Shapes kept incrementally are (`EngineOptions::live_incremental`).
    incremental: bool,
}

pub(crate) struct Shared {
    registry: RwLock<Registry>,
    /// How long a busy fan-out lets commits gather (`EngineOptions::live_tick`).
    tick: Duration,
    /// Rows the fan-out has taken from the queue so far (against `Capture::queued_total`).
    taken_rows: AtomicU64,
    /// The last commit handed to the queue and the last one the fan-out finished.
    published: AtomicU64,
    processed: AtomicU64,
    processed_signal: tokio::sync::Notify,
    /// A re-evaluated query finished a run.
    reevaluated_signal: tokio::sync::Notify,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, Arc<Sub>>,
    /// The subscriptions of each table, a subscription under each table it reads.
    by_table: HashMap<u64, Vec<Arc<Sub>>>,
}

impl Registry {
    fn remove(&mut self, id: &str) -> Option<Arc<Sub>> {
        let sub = self.by_id.remove(id)?;
        for table in &sub.query.tables {
            if let Some(subs) = self.by_table.get_mut(&table.id) {
                subs.retain(|s| s.id != id);
                if subs.is_empty() {
                    self.by_table.remove(&table.id);
                }
            }
        }
        Some(sub)
    }
}

/// A row of `system.live`.
pub(crate) struct LiveInfo {
    pub id: String,
    pub actor: Actor,
    pub query: String,
    pub maintenance: &'static str,
    pub created_micros: i64,
    pub delivered: u64,
    pub last_seq: u64,
    pub queued: usize,
    pub status: &'static str,
}

impl LiveManager {
    pub fn start(queue_limit: usize, tick: Duration, reevaluate_interval: Duration, incremental: bool) -> LiveManager {
        let (queue, events) = mpsc::channel();
        let shared = Arc::new(Shared {
            registry: RwLock::default(),
            tick,
            taken_rows: AtomicU64::default(),
            published: AtomicU64::default(),
            processed: AtomicU64::default(),
            processed_signal: tokio::sync::Notify::new(),
            reevaluated_signal: tokio::sync::Notify::new(),
        });
        let fan_out = shared.clone();
        // Should the thread fail to start, its receiver is dropped with it: publishing
        // then finds a closed queue and writes go on, unaffected.
        let _ = std::thread::Builder::new()
            .name("tidepool-live".into())
            .spawn(move || fan_out.run(events));
        LiveManager {
            queue,
            shared,
            queue_limit,
            reevaluate_interval,
            incremental,
        }
    }

    pub fn incremental(&self) -> bool {
        self.incremental
    }

    pub fn queue_limit(&self) -> usize {
        self.queue_limit
    }

    pub fn reevaluate_interval(&self) -> Duration {
        self.reevaluate_interval
    }

    /// Whether a commit touching `table_id` must capture its row changes: it has
    /// subscribers, or had some and its history is kept.
    pub fn watches(&self, history: &History, table_id: u64) -> bool {
        self.shared.registry().by_table.contains_key(&table_id) || history.records(table_id)
    }

    /// Queues what a commit captured and keeps it in the history; called under the
    /// writer lock (which guards `capture`), in commit order.
    pub fn publish(&self, capture: &mut Capture, seq: u64, committed_micros: i64) {
        let mut changes = capture.take();
        if changes.is_empty() {
            return;
        }
        capture.history.push(Commit {
            seq,
            committed_micros,
            changes: changes.clone(),
        });
        let mut overflowed = Vec::new();
        let rows = changes.rows() as u64;
        let queued = capture.queued_total - self.shared.taken_rows.load(Ordering::Relaxed);
        if queued + rows > MAX_QUEUED_ROWS {
            overflowed = changes.tables().collect();
            overflowed.sort_unstable();
            overflowed.dedup();
            changes = Captured::default();
        }
        capture.queued_total += changes.rows() as u64;
        self.shared.published.store(seq, Ordering::Release);
        // The fan-out thread only stops when the manager is dropped, so a send error
        // cannot happen while writers run; the write has committed either way.
        let _ = self.queue.send(CommitEvent {
            seq,
            committed_micros,
            changes,
            overflowed,
        });
    }

    /// Registers a subscription for fan-out (idempotent), under every table it reads; a
    /// closed one is not. Called under the writer lock (which guards `history`): every
    /// commit after `seq` reaches it, and its tables' commits are kept in the history
    /// from then on.
    pub fn register(&self, sub: &Arc<Sub>, seq: u64, history: &mut History) {
        let mut registry = self.shared.registry.write().unwrap_or_else(|p| p.into_inner());
        if sub.is_closed() {
            return;
        }
        for table in &sub.query.tables {
            history.record_table(table.id, seq);
        }
        if registry.by_id.insert(sub.id.clone(), sub.clone()).is_none() {
            for table in &sub.query.tables {
                registry.by_table.entry(table.id).or_default().push(sub.clone());
            }
        }
    }

    pub fn unregister(&self, id: &str) -> Option<Arc<Sub>> {
        let mut registry = self.shared.registry.write().unwrap_or_else(|p| p.into_inner());
        registry.remove(id)
    }

    /// Ends a subscription (KILL LIVE QUERY); the subscriber receives `closed`.
    /// `actor` may end its own subscriptions; an admin may end any.
    pub fn kill(&self, id: &str, actor: &Actor) -> crate::error::Result<()> {
        let sub = self.shared.registry().by_id.get(id).cloned();
        match sub {
            Some(sub) if *actor == Actor::Admin || sub.actor == *actor => {
                self.unregister(id);
                sub.close("killed");
                Ok(())
            }
            _ => Err(crate::error::Error::not_found(crate::error::ObjectKind::LiveQuery, id)),
        }
    }

    /// Ends every subscription on a dropped table.
    pub fn table_dropped(&self, table_id: u64) {
        let subs = self
            .shared
            .registry()
            .by_table
            .get(&table_id)
            .cloned()
            .unwrap_or_default();
        for sub in subs {
            self.unregister(&sub.id);
            sub.close("table dropped");
        }
    }

    pub fn list(&self) -> Vec<LiveInfo> {
        let registry = self.shared.registry();
        let mut list: Vec<LiveInfo> = registry.by_id.values().map(|s| s.info()).collect();
        list.sort_by(|a, b| a.created_micros.cmp(&b.created_micros).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// Waits until the fan-out has handled every commit published so far, and every
    /// re-evaluated query those commits touched has run and queued its changes.
    pub async fn flushed(&self) {
        let target = self.shared.published.load(Ordering::Acquire);
        loop {
            let notified = self.shared.processed_signal.notified();
            if self.shared.processed.load(Ordering::SeqCst) >= target {
                break;
            }
            notified.await;
        }
        loop {
            let notified = self.shared.reevaluated_signal.notified();
            let busy = self
                .shared
                .registry()
                .by_id
                .values()
                .any(|s| s.query.reevaluate().is_some_and(|r| r.is_busy()));
            if !busy {
                return;
            }
            notified.await;
        }
    }

    /// A re-evaluated query finished a run (wakes `flushed`).
    pub fn reevaluated(&self) {
        self.shared.reevaluated_signal.notify_waiters();
    }
}

impl Shared {
    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The fan-out loop, in commit order. An idle fan-out is woken by the next commit;
    /// a busy one looks for commits once per tick instead, so a writer committing
    /// many times a second never wakes it (a wake-up is a system call on the writer's
    /// path) and the commits of a tick are handled together: one filter evaluation per
    /// query and one wake-up per subscription for all of them.
    fn run(&self, events: mpsc::Receiver<CommitEvent>) {
        let mut burst = Vec::new();
        while let Ok(first) = events.recv() {
            burst.push(first);
            loop {
                let mut rows: usize = burst.iter().map(|e| e.changes.rows()).sum();
                while rows < BURST_ROWS && burst.len() < BURST_COMMITS {
                    match events.try_recv() {
                        Ok(event) => {
                            rows += event.changes.rows();
                            burst.push(event);
                        }
                        Err(_) => break,
                    }
                }
                let full = rows >= BURST_ROWS || burst.len() >= BURST_COMMITS;
                let started = std::time::Instant::now();
                self.fan_out(&burst);
                burst.clear();
                // The next burst starts a tick after this one did.
                let rest = self.tick.saturating_sub(started.elapsed());
                if !full && !rest.is_zero() {
                    std::thread::sleep(rest);
                }
                match events.try_recv() {
                    Ok(event) => burst.push(event),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
        }
    }

    /// Consecutive commits' changes, queued to the subscriptions of their tables, which
    /// are then woken. A commit whose rows overflowed the central queue splits the
    /// burst: its subscriptions lag from it on, after the commits before it.
    fn fan_out(&self, burst: &[CommitEvent]) {
        let Some(last) = burst.last().map(|e| e.seq) else {
            return;
        };
        let rows: usize = burst.iter().map(|e| e.changes.rows()).sum();
        self.taken_rows.fetch_add(rows as u64, Ordering::Relaxed);
        // Subscriptions are woken once everything of the burst is queued.
        let mut woken = Vec::new();
        let mut start = 0;
        for (i, event) in burst.iter().enumerate() {
            if !event.overflowed.is_empty() {
                self.deliver(&burst[start..i], &mut woken);
                for table in &event.overflowed {
                    for sub in self.registry().by_table.get(table).cloned().unwrap_or_default() {
                        // A re-run reads every commit anyway: no rows are needed.
                        match sub.query.reevaluate() {
                            Some(reevaluate) => reevaluate.mark_dirty(event.committed_micros),
                            None => sub.mark_lagging(event.seq),
                        }
                    }
                }
                start = i + 1;
            }
        }
        self.deliver(&burst[start..], &mut woken);
        for sub in woken {
            sub.wake();
        }
        self.processed.store(last, Ordering::SeqCst);
        self.processed_signal.notify_waiters();
    }

    /// Turns commits into each subscription's changes and queues them; the
    /// subscriptions to wake are added to `woken`.
    fn deliver(&self, commits: &[CommitEvent], woken: &mut Vec<Arc<Sub>>) {
        let mut tables: Vec<u64> = commits.iter().flat_map(|e| e.changes.tables()).collect();
        tables.sort_unstable();
        tables.dedup();
        let subs: Vec<(u64, Vec<Arc<Sub>>)> = {
            let registry = self.registry();
            tables
                .iter()
                .filter_map(|&t| Some((t, registry.by_table.get(&t)?.clone())))
                .collect()
        };
        if subs.is_empty() {
            return;
        }
        // Re-evaluated queries only need to know their tables changed.
        for (table, subs) in &subs {
            let Some(first) = commits.iter().find(|e| e.changes.tables().any(|t| t == *table)) else {
                continue;
            };
            for reevaluate in subs.iter().filter_map(|s| s.query.reevaluate()) {
                reevaluate.mark_dirty(first.committed_micros);
            }
        }
        // The rows of tables with row-by-row subscriptions, decoded once for all of them.
        let subscribed = |table: u64| {
            subs.iter()
                .any(|(t, subs)| *t == table && subs.iter().any(|s| s.query.needs_rows()))
        };
        let decoded = match decode_commits(
            commits.iter().map(|e| (e.seq, e.committed_micros, &e.changes)),
            subscribed,
        ) {
            Ok(decoded) => decoded,
            Err(e) => {
                for (_, subs) in &subs {
                    for sub in subs {
                        sub.fail(&e.to_string());
                        self.drop_sub(&sub.id);
                    }
                }
                return;
            }
        };
        let commits: Vec<CommitRows<'_>> = decoded
            .iter()
            .map(|(seq, at, rows)| (*seq, *at, rows.as_slice()))
            .collect();
        for (_, subs) in subs {
            // Subscriptions with the same query seen by the same user get the same
            // changes: compute them once (there are few distinct queries per table).
            let mut computed: Vec<(QueryShape, Option<Computed>)> = Vec::new();
            for sub in &subs {
                if sub.query.rows().is_none() {
                    // Each of these keeps its own state (groups, kept rows, arrangements).
                    let queued = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let query = &sub.query;
                        let queued = if let Some(aggregate) = query.aggregate() {
                            stateful::deliver(aggregate, sub, &commits)
                        } else if let Some(top) = query.top() {
                            stateful::deliver(top, sub, &commits)
                        } else if let Some(join) = query.join() {
                            stateful::deliver(join, sub, &commits)
                        } else {
                            Ok(false)
                        };
                        queued.map_err(|e| e.to_string())
                    }));
                    match queued {
                        Ok(Ok(true)) => woken.push(sub.clone()),
                        Ok(Ok(false)) => {}
                        Ok(Err(message)) => {
                            sub.fail(&message);
                            self.drop_sub(&sub.id);
                        }
                        Err(_) => {
                            sub.fail("internal error while computing changes");
                            self.drop_sub(&sub.id);
                        }
                    }
                    continue;
                }
                let Some(query) = sub.query.rows() else {
                    continue;
                };
                let shape = (
                    Arc::as_ptr(&query.def) as usize,
                    query.sql.as_str(),
                    query.view.owner.as_deref(),
                    query.view.owner_column,
                );
                let at = match computed.iter().position(|(s, _)| *s == shape) {
                    Some(at) => at,
                    None => {
                        // A bug in one query's filter must not stop delivery to others.
                        let segments = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            segments_of(query, &commits, MAX_MERGED_ROWS).map_err(|e| e.to_string())
                        }))
                        .ok();
                        computed.push((shape, segments));
                        computed.len() - 1
                    }
                };
                let segments = &computed[at].1;
                match segments {
                    Some(Ok(segments)) => {
                        // (Twice when an overflow split the burst: a spare wake-up.)
                        if sub.push_segments(segments) {
                            woken.push(sub.clone());
                        }
                    }
                    Some(Err(message)) => {
                        sub.fail(message);
                        self.drop_sub(&sub.id);
                    }
                    None => {
                        sub.fail("internal error while computing changes");
                        self.drop_sub(&sub.id);
                    }
                }
            }
        }
    }

    fn drop_sub(&self, id: &str) {
        self.registry.write().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

/// What makes two subscriptions see the same changes: the table definition they were
/// compiled against, the query text and the view (whose rows, whether `_user` is shown).
type QueryShape<'a> = (usize, &'a str, Option<&'a str>, bool);

/// A query shape's changes for a burst of commits (shared by its subscriptions), or why not.
type Computed = Result<Vec<Segment>, String>;
