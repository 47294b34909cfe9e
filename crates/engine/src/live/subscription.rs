//! One subscription: its queue (filled by the fan-out thread and the snapshot sender,
//! drained by the subscriber) and the handle its subscriber holds.
//!
//! Subscribing registers the subscription and takes a RocksDB snapshot while holding
//! the writer lock, so the snapshot is exactly the state after commit S and every
//! commit after S is fanned out to it: no gap, no duplicate. While the snapshot is
//! being sent, changes wait in a bounded `pending` list and are queued right after the
//! snapshot's last batch.
//!
//! The queue is bounded in changed rows. Change batches that arrive while the
//! subscriber has not read the previous one are merged into it (up to a batch size), so
//! a busy subscriber gets fewer, larger batches instead of one wake-up per commit. A
//! subscriber that lets the queue fill up is marked lagging: nothing more is queued,
//! and once it has read what is there it gets `resync` and a fresh snapshot.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::catalog::TableKind;

use crate::engine::Inner;
use crate::error::Result;
use crate::live::capture::decode_commits;
use crate::live::delta::{key, matches, project_all, Image};
use crate::live::delta::{segments_of, Segment};
use crate::live::history::Commit;
use crate::live::manager::LiveInfo;
use crate::live::message::{Change, Changes, LiveMessage};
use crate::live::query::{LiveQuery, Maintenance, RowsQuery};
use crate::live::stateful;
use crate::session::Actor;

/// Rows per snapshot message.
pub(crate) const SNAPSHOT_BATCH: usize = 1000;
/// Snapshot messages queued ahead of the subscriber before the sender waits.
const SNAPSHOT_WINDOW: usize = 8;
/// Changed rows a merged batch may grow to.
pub(crate) const MAX_MERGED_ROWS: usize = 10_000;
/// Rows read from storage per filter evaluation.
const READ_CHUNK: usize = 4096;

/// A queued entry: a ready message, or change batches of consecutive commits kept as
/// shared segments (subscriptions with the same query share them) and assembled into
/// one `changes` message when the subscriber takes it, on the subscriber's thread.
enum Item {
    Message(LiveMessage),
    Changes {
        from_seq: u64,
        to_seq: u64,
        committed_at: i64,
        rows: usize,
        segments: Vec<Arc<Vec<Change>>>,
    },
}

impl Item {
    fn first_seq(&self) -> Option<u64> {
        match self {
            Item::Changes { from_seq, .. } => Some(*from_seq),
            Item::Message(_) => None,
        }
    }
}

enum State {
    /// `resync` was handed out; a fresh snapshot is about to start. Changes are not
    /// queued: the snapshot will contain them.
    Restarting,
    /// A snapshot is being sent; changes after it wait here.
    Snapshotting {
        pending: VecDeque<Item>,
        pending_rows: usize,
    },
    Live,
    /// Changes from `missed_from` on were not queued; the subscriber gets `resync`.
    Lagging {
        missed_from: u64,
    },
    Closed {
        reason: String,
    },
}

struct Queue {
    state: State,
    /// Which snapshot is current: a sender whose snapshot was superseded stops.
    generation: u64,
    messages: VecDeque<Item>,
    /// Changed rows in `messages`.
    rows: usize,
    /// `to_seq` of the last changes queued or pending (the snapshot seq before any).
    last_seq: u64,
}

pub(crate) struct Sub {
    pub id: String,
    pub actor: Actor,
    pub query: LiveQuery,
    pub created_micros: i64,
    /// Changed rows the queue may hold before the subscription lags.
    limit: usize,
    queue: Mutex<Queue>,
    /// Wakes the subscriber: a message was queued or the state changed.
    ready: tokio::sync::Notify,
    /// Wakes the snapshot sender: the subscriber took messages, or it went away.
    space: Condvar,
    /// Changed rows handed to the subscriber.
    delivered: AtomicU64,
}

impl Sub {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changed rows the queue may hold before the subscription lags.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Wakes the subscriber (after the fan-out queued changes for it).
    pub fn wake(&self) {
        self.ready.notify_one();
    }

    /// Queues the changes of consecutive commits (from the fan-out thread, in commit
    /// order, under one lock); the fan-out wakes the subscriber afterwards. Returns
    /// whether anything was queued or the subscription started lagging.
    pub fn push_segments(&self, segments: &[Segment]) -> bool {
        let mut queue = self.lock();
        let mut changed = false;
        for segment in segments {
            let queue = &mut *queue;
            // Commits up to `last_seq` are in the snapshot this subscription was given.
            let Some(first) = segment.commits.iter().position(|c| c.0 > queue.last_seq) else {
                continue;
            };
            let held = match &queue.state {
                State::Snapshotting { pending_rows, .. } => *pending_rows,
                State::Live => queue.rows,
                State::Restarting | State::Lagging { .. } | State::Closed { .. } => continue,
            };
            changed = true;
            // The commits that fit within the limit, as for one commit at a time: a
            // commit is taken when it fits or nothing is held (it is never split).
            let total = segment.changes.len();
            let start = segment.commits[first].2;
            let (mut taken, mut end) = (first, start);
            for i in first..segment.commits.len() {
                let next = segment.commits.get(i + 1).map_or(total, |c| c.2);
                if held + end > start && held + next - start > self.limit {
                    break;
                }
                (taken, end) = (i + 1, next);
            }
            if taken > first {
                let changes = if start == 0 && end == total {
                    segment.changes.clone()
                } else {
                    Arc::new(segment.changes[start..end].to_vec())
                };
                let rows = end - start;
                let (from_seq, seq) = (queue.last_seq + 1, segment.commits[taken - 1].0);
                let committed_at = segment.commits[first].1;
                match &mut queue.state {
                    State::Snapshotting { pending, pending_rows } => {
                        *pending_rows += rows;
                        merge_or_push(pending, from_seq, seq, committed_at, changes);
                    }
                    _ => {
                        queue.rows += rows;
                        merge_or_push(&mut queue.messages, from_seq, seq, committed_at, changes);
                    }
                }
                queue.last_seq = seq;
            }
            if taken < segment.commits.len() {
                // What a lagging subscriber misses: after a snapshot, everything since it
                // (its pending changes are dropped with it); otherwise what follows.
                let missed_from = match &queue.state {
                    State::Snapshotting { pending, .. } => pending.front().and_then(Item::first_seq),
                    _ => None,
                };
                queue.state = State::Lagging {
                    missed_from: missed_from.unwrap_or(queue.last_seq + 1),
                };
                break;
            }
        }
        changed
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.lock().state, State::Closed { .. })
    }

    /// Ends the subscription; the subscriber reads what is queued, then `closed`.
    pub fn close(&self, reason: &str) {
        if let Some(reevaluate) = self.query.reevaluate() {
            reevaluate.stop();
        }
        let mut queue = self.lock();
        if !matches!(queue.state, State::Closed { .. }) {
            queue.state = State::Closed {
                reason: reason.to_string(),
            };
        }
        self.ready.notify_one();
        self.space.notify_all();
    }

    /// An error the subscriber is told about before the subscription closes.
    pub fn fail(&self, message: &str) {
        let error = LiveMessage::Error {
            subscription: self.id.clone(),
            message: message.to_string(),
        };
        self.lock().messages.push_back(Item::Message(error));
        self.close("error");
    }

    /// Changes after `seq` could not be queued (the central queue overflowed).
    pub fn mark_lagging(&self, seq: u64) {
        let mut queue = self.lock();
        if matches!(queue.state, State::Live | State::Snapshotting { .. }) && seq > queue.last_seq {
            let missed_from = match &queue.state {
                State::Snapshotting { pending, .. } => {
                    pending.front().and_then(Item::first_seq).unwrap_or(queue.last_seq + 1)
                }
                _ => queue.last_seq + 1,
            };
            queue.state = State::Lagging { missed_from };
            self.ready.notify_one();
        }
    }

    pub fn info(&self) -> LiveInfo {
        let queue = self.lock();
        let status = match &queue.state {
            State::Restarting | State::Snapshotting { .. } => "snapshot",
            State::Live => "live",
            State::Lagging { .. } => "lagging",
            State::Closed { .. } => "closed",
        };
        LiveInfo {
            id: self.id.clone(),
            actor: self.actor.clone(),
            query: self.query.sql.clone(),
            maintenance: self.query.maintenance_name(),
            created_micros: self.created_micros,
            delivered: self.delivered.load(Ordering::Relaxed),
            last_seq: queue.last_seq,
            queued: queue.messages.len(),
            status,
        }
    }

    /// The `subscribed` message of a snapshot at `seq` with `row_count` rows, or of a
    /// resume from `seq`.
    pub(crate) fn subscribed(&self, seq: u64, row_count: u64, resumed: bool) -> LiveMessage {
        LiveMessage::Subscribed {
            subscription: self.id.clone(),
            columns: self.query.columns.clone(),
            key: self.query.key.clone(),
            table: self.query.rows().map(|rows| rows.def.full_name()),
            maintenance: self.query.maintenance_name().to_string(),
            order_by: self.query.order_by.clone(),
            snapshot_seq: seq,
            row_count,
            resumed,
        }
    }

    /// Starts a snapshot at `seq` (changes up to `seq` are in it, later ones pend) and
    /// returns its generation, or `None` if the subscription is closed.
    pub(crate) fn begin_snapshot(&self, seq: u64) -> Option<u64> {
        let mut queue = self.lock();
        if matches!(queue.state, State::Closed { .. }) {
            return None;
        }
        queue.generation += 1;
        queue.last_seq = seq;
        queue.state = State::Snapshotting {
            pending: VecDeque::new(),
            pending_rows: 0,
        };
        Some(queue.generation)
    }

    /// Queues a message of snapshot `generation`, waiting while the subscriber has
    /// enough to read. Returns false once that snapshot no longer counts (the
    /// subscription closed, lagged or started another snapshot).
    pub(crate) fn push_snapshot(&self, generation: u64, message: LiveMessage) -> bool {
        let mut queue = self.lock();
        loop {
            if queue.generation != generation || !matches!(queue.state, State::Snapshotting { .. }) {
                return false;
            }
            if queue.messages.len() < SNAPSHOT_WINDOW {
                break;
            }
            queue = self.space.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        queue.messages.push_back(Item::Message(message));
        self.ready.notify_one();
        true
    }

    /// Snapshot `generation` is out: what arrived meanwhile follows it, and the
    /// subscription is live.
    pub(crate) fn finish_snapshot(&self, generation: u64) {
        let mut queue = self.lock();
        if queue.generation != generation {
            return;
        }
        if let State::Snapshotting { pending, pending_rows } = &mut queue.state {
            let (pending, rows) = (std::mem::take(pending), *pending_rows);
            queue.messages.extend(pending);
            queue.rows += rows;
            queue.state = State::Live;
            self.ready.notify_one();
        }
    }

    /// The subscriber's next step: a queued message, or what the state calls for once
    /// the queue is empty (`resync` — the caller then starts a snapshot — or `closed`).
    fn next(&self) -> Next {
        let mut queue = self.lock();
        if let Some(item) = queue.messages.pop_front() {
            self.space.notify_all();
            let message = match item {
                Item::Message(message) => message,
                Item::Changes {
                    from_seq,
                    to_seq,
                    committed_at,
                    rows,
                    segments,
                } => {
                    queue.rows -= rows;
                    drop(queue);
                    self.delivered.fetch_add(rows as u64, Ordering::Relaxed);
                    let changes = Changes::from_segments(segments);
                    LiveMessage::Changes {
                        subscription: self.id.clone(),
                        from_seq,
                        to_seq,
                        committed_at,
                        changes,
                    }
                }
            };
            return Next::Message(message);
        }
        match &queue.state {
            State::Lagging { missed_from } => {
                let missed_from_seq = *missed_from;
                queue.state = State::Restarting;
                queue.generation += 1;
                Next::Resync(LiveMessage::Resync {
                    subscription: self.id.clone(),
                    missed_from_seq,
                })
            }
            State::Closed { reason } => Next::Closed(LiveMessage::Closed {
                subscription: self.id.clone(),
                reason: reason.clone(),
            }),
            _ => Next::Wait,
        }
    }
}

enum Next {
    Message(LiveMessage),
    Resync(LiveMessage),
    Closed(LiveMessage),
    Wait,
}

/// Appends a commit's changes, merging them into the last queued batch when that one
/// is a change batch with room left. A merged batch keeps the commit time of its
/// first commit, so latency measured from it is never understated.
fn merge_or_push(queue: &mut VecDeque<Item>, from_seq: u64, seq: u64, committed_at: i64, new: Arc<Vec<Change>>) {
    let count = new.len();
    if let Some(Item::Changes {
        to_seq, rows, segments, ..
    }) = queue.back_mut()
    {
        if *rows + count <= MAX_MERGED_ROWS {
            segments.push(new);
            *rows += count;
            *to_seq = seq;
            return;
        }
    }
    queue.push_back(Item::Changes {
        from_seq,
        to_seq: seq,
        committed_at,
        rows: count,
        segments: vec![new],
    });
}

/// A live query's stream of messages. Dropping it ends the subscription.
pub struct Subscription {
    sub: Arc<Sub>,
    inner: Arc<Inner>,
    finished: bool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.sub.id)
            .field("query", &self.sub.query.sql)
            .finish()
    }
}

impl Subscription {
    /// Registers the subscription (every commit after this returns reaches it) and
    /// starts sending its snapshot.
    /// With `resume_from`, the subscriber already has the rows as of that seq: when
    /// the history since then is kept it gets only the later changes, otherwise
    /// `resync` and a snapshot.
    pub(crate) async fn start(
        inner: Arc<Inner>,
        id: String,
        actor: Actor,
        query: LiveQuery,
        resume_from: Option<u64>,
    ) -> Subscription {
        let sub = Arc::new(Sub {
            id,
            actor,
            query,
            created_micros: inner.clock.now_micros(),
            limit: inner.live.queue_limit(),
            queue: Mutex::new(Queue {
                state: State::Snapshotting {
                    pending: VecDeque::new(),
                    pending_rows: 0,
                },
                messages: VecDeque::new(),
                rows: 0,
                last_seq: 0,
                generation: 0,
            }),
            ready: tokio::sync::Notify::new(),
            space: Condvar::new(),
            delivered: AtomicU64::new(0),
        });
        let (registered, is_registered) = tokio::sync::oneshot::channel();
        spawn_snapshot(inner.clone(), sub.clone(), Some(registered), resume_from);
        // An error before registering is reported as the subscription's first message.
        let _ = is_registered.await;
        Subscription {
            sub,
            inner,
            finished: false,
        }
    }

    pub fn id(&self) -> &str {
        &self.sub.id
    }

    /// The table whose rows the subscription shows, when it shows one table's rows
    /// (not an aggregate, a join or another derived result).
    pub fn table(&self) -> Option<&Arc<crate::catalog::TableDef>> {
        self.sub.query.rows().map(|rows| &rows.def)
    }

    /// `incremental` or `reevaluate`.
    pub fn maintenance(&self) -> &'static str {
        self.sub.query.maintenance_name()
    }

    /// The next message, waiting for one; `None` once `closed` has been received.
    pub async fn recv(&mut self) -> Option<LiveMessage> {
        loop {
            // Created before looking, so a message queued in between is not missed.
            let sub = self.sub.clone();
            let ready = sub.ready.notified();
            if let Some(message) = self.try_recv() {
                return Some(message);
            }
            if self.finished {
                return None;
            }
            ready.await;
        }
    }

    /// The next message if one is ready now, without waiting.
    pub fn try_recv(&mut self) -> Option<LiveMessage> {
        if self.finished {
            return None;
        }
        match self.sub.next() {
            Next::Message(message) => Some(message),
            Next::Resync(message) => {
                spawn_snapshot(self.inner.clone(), self.sub.clone(), None, None);
                Some(message)
            }
            Next::Closed(message) => {
                self.finished = true;
                Some(message)
            }
            Next::Wait => None,
        }
    }

    /// Every message available now, after waiting for a snapshot in progress (the
    /// first, or one after `resync`) to be sent completely. Returns at once when
    /// there is nothing to wait for.
    pub async fn recv_ready(&mut self) -> Vec<LiveMessage> {
        let mut messages = Vec::new();
        loop {
            let sub = self.sub.clone();
            let ready = sub.ready.notified();
            while let Some(message) = self.try_recv() {
                messages.push(message);
            }
            if self.finished || !self.is_catching_up() {
                return messages;
            }
            ready.await;
        }
    }

    /// Whether a snapshot (the first, or one after `resync`) is still being sent.
    pub fn is_catching_up(&self) -> bool {
        matches!(self.sub.lock().state, State::Restarting | State::Snapshotting { .. })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.inner.live.unregister(&self.sub.id);
        self.sub.close("unsubscribed");
    }
}

/// A snapshot sender waits for its subscriber to read, so it runs on a thread of its
/// own rather than in tokio's blocking pool, which writes need.
/// The stored row count, when the query matches every stored row: no filter, every
/// owner's rows, and no expired STREAM rows to hide.
fn stored_count(inner: &Inner, query: &RowsQuery) -> Option<u64> {
    let all = query.predicate.is_none() && query.view.owner.is_none() && query.def.kind != TableKind::Stream;
    all.then(|| inner.row_count(query.def.id).max(0) as u64)
}

fn spawn_snapshot(
    inner: Arc<Inner>,
    sub: Arc<Sub>,
    registered: Option<tokio::sync::oneshot::Sender<()>>,
    resume_from: Option<u64>,
) {
    let job = {
        let sub = sub.clone();
        move || {
            let sent = match &sub.query.maintenance {
                Maintenance::Rows(rows) => send_snapshot(&inner, &sub, rows, registered, resume_from),
                Maintenance::Aggregate(aggregate) => {
                    stateful::send_snapshot(aggregate, &inner, &sub, registered, resume_from)
                }
                Maintenance::TopN(top) => stateful::send_snapshot(top, &inner, &sub, registered, resume_from),
                Maintenance::Join(join) => stateful::send_snapshot(join, &inner, &sub, registered, resume_from),
                Maintenance::Reevaluate(reevaluate) => {
                    crate::live::reevaluate::send_snapshot(&inner, &sub, reevaluate, registered, resume_from)
                }
            };
            if let Err(e) = sent {
                sub.fail(&e.to_string());
                inner.live.unregister(&sub.id);
            }
        }
    };
    if std::thread::Builder::new()
        .name("tidepool-snapshot".into())
        .stack_size(16 << 20)
        .spawn(job)
        .is_err()
    {
        sub.fail("cannot start a thread to send the snapshot");
    }
}

/// Registers at a consistent point, sends `subscribed` and the snapshot (or, resuming,
/// the kept changes since the subscriber's seq), then the changes that arrived meanwhile.
fn send_snapshot(
    inner: &Inner,
    sub: &Arc<Sub>,
    query: &RowsQuery,
    registered: Option<tokio::sync::oneshot::Sender<()>>,
    resume_from: Option<u64>,
) -> Result<()> {
    let mut writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
    // The table may have been dropped since the query was compiled.
    if inner.catalog().tables.values().all(|t| t.id != query.def.id) {
        sub.close("table dropped");
        return Ok(());
    }
    let snapshot_seq = inner.last_seq();
    let Some(generation) = sub.begin_snapshot(snapshot_seq) else {
        return Ok(());
    };
    let kept = resume_from.map(|from| (from, writer.history.since(query.def.id, from, snapshot_seq)));
    inner.live.register(sub, snapshot_seq, &mut writer.history);
    let snapshot = inner.store.snapshot();
    // Read under the writer lock, so it counts exactly the snapshot's rows.
    let stored = stored_count(inner, query);
    drop(writer);
    if let Some(registered) = registered {
        let _ = registered.send(());
    }
    match kept {
        Some((from, Some(commits))) => return resume(inner, sub, query, generation, (from, snapshot_seq), &commits),
        Some((from, None)) => {
            let resync = LiveMessage::Resync {
                subscription: sub.id.clone(),
                missed_from_seq: from + 1,
            };
            if !sub.push_snapshot(generation, resync) {
                return Ok(());
            }
        }
        None => {}
    }

    // `subscribed` says how many rows follow. When every stored row matches, that is
    // the table's row count; otherwise a first pass over the same snapshot counts them.
    let row_count = match stored {
        Some(count) => count,
        None => {
            let mut count = 0u64;
            // Counting stops early if the subscriber goes away meanwhile.
            for_each_match(inner, query, &snapshot, |_, _| {
                count += 1;
                count % 1024 != 0 || !sub.is_closed()
            })?;
            count
        }
    };
    if !sub.push_snapshot(generation, sub.subscribed(snapshot_seq, row_count, false)) {
        return Ok(());
    }
    // Rows are gathered per message and shown together (a computed SELECT list is
    // evaluated once per message).
    let mut images: Vec<(Option<String>, Vec<crate::types::Value>)> = Vec::with_capacity(SNAPSHOT_BATCH);
    let message = |images: &mut Vec<(Option<String>, Vec<crate::types::Value>)>, last: bool| -> Result<LiveMessage> {
        let borrowed: Vec<_> = images.iter().map(|(o, v)| (o.as_deref(), v.as_slice())).collect();
        let rows = project_all(query, &borrowed)?;
        let keys = borrowed
            .iter()
            .map(|(owner, values)| key(query, *owner, values))
            .collect();
        images.clear();
        Ok(LiveMessage::Snapshot {
            subscription: sub.id.clone(),
            rows,
            keys,
            last,
        })
    };
    let mut open = true;
    let mut failed = None;
    for_each_match(inner, query, &snapshot, |owner, values| {
        images.push((owner.map(str::to_string), values.to_vec()));
        if images.len() == SNAPSHOT_BATCH {
            match message(&mut images, false) {
                Ok(batch) => open = sub.push_snapshot(generation, batch),
                Err(e) => {
                    failed = Some(e);
                    open = false;
                }
            }
        }
        open
    })?;
    drop(snapshot);
    if let Some(e) = failed {
        return Err(e);
    }
    let last = message(&mut images, true)?;
    if open && sub.push_snapshot(generation, last) {
        sub.finish_snapshot(generation);
    }
    Ok(())
}

/// Resumes a subscriber that has the rows as of `from`: `subscribed` with that seq,
/// then one batch with the kept changes of `from + 1 ..= to` (empty when none concern
/// it, so the seqs stay continuous), then what arrived meanwhile.
fn resume(
    inner: &Inner,
    sub: &Arc<Sub>,
    query: &RowsQuery,
    generation: u64,
    seqs: (u64, u64),
    commits: &[Commit],
) -> Result<()> {
    let (from, to) = seqs;
    if !sub.push_snapshot(generation, sub.subscribed(from, 0, true)) {
        return Ok(());
    }
    // Batches of at most MAX_MERGED_ROWS rows, never splitting a commit; together
    // they cover every seq of `from + 1 ..= to` (the last one reaches `to`).
    let table = query.def.id;
    let decoded = decode_commits(commits.iter().map(|c| (c.seq, c.committed_micros, &c.changes)), |t| {
        t == table
    })?;
    let commits: Vec<_> = decoded
        .iter()
        .map(|(seq, at, rows)| (*seq, *at, rows.as_slice()))
        .collect();
    let segments = segments_of(query, &commits, MAX_MERGED_ROWS)?;
    let mut batch_from = from + 1;
    for (i, segment) in segments.iter().enumerate() {
        let to_seq = if i + 1 == segments.len() {
            to
        } else {
            segment.last_seq()
        };
        let changes = Changes::from_segments(vec![segment.changes.clone()]);
        if !send(sub, generation, (batch_from, to_seq), segment.committed_at(), changes) {
            return Ok(());
        }
        batch_from = to_seq + 1;
    }
    if batch_from <= to
        && !send(
            sub,
            generation,
            (batch_from, to),
            inner.clock.now_micros(),
            Changes::default(),
        )
    {
        return Ok(());
    }
    sub.finish_snapshot(generation);
    Ok(())
}

/// Queues one change batch of a resume; false once the resume no longer counts.
fn send(sub: &Sub, generation: u64, seqs: (u64, u64), committed_at: i64, changes: Changes) -> bool {
    sub.delivered.fetch_add(changes.len() as u64, Ordering::Relaxed);
    let batch = LiveMessage::Changes {
        subscription: sub.id.clone(),
        from_seq: seqs.0,
        to_seq: seqs.1,
        committed_at,
        changes,
    };
    sub.push_snapshot(generation, batch)
}

/// Calls `f` with (owner, values) of every snapshot row the query's filter accepts,
/// until `f` returns false.
pub(crate) fn for_each_match(
    inner: &Inner,
    query: &RowsQuery,
    snapshot: &rocksdb::Snapshot<'_>,
    mut f: impl FnMut(Option<&str>, &[crate::types::Value]) -> bool,
) -> Result<()> {
    for_each_chunk(inner, query, snapshot, |images| {
        Ok(images.iter().all(|(owner, values)| f(*owner, values)))
    })
}

/// Calls `f` with the snapshot rows the query's filter accepts, a read chunk at a time
/// (the filter is evaluated once per chunk), until `f` returns false or fails.
pub(crate) fn for_each_chunk(
    inner: &Inner,
    query: &RowsQuery,
    snapshot: &rocksdb::Snapshot<'_>,
    mut f: impl FnMut(&[Image<'_>]) -> Result<bool>,
) -> Result<()> {
    let mut chunk: Vec<(Option<String>, Vec<crate::types::Value>)> = Vec::with_capacity(READ_CHUNK);
    // Whether to go on.
    let mut flush = |chunk: &mut Vec<(Option<String>, Vec<crate::types::Value>)>| -> Result<bool> {
        let images: Vec<Image<'_>> = chunk.iter().map(|(o, v)| (o.as_deref(), v.as_slice())).collect();
        let accepted = matches(query, images.iter().copied())?;
        let kept: Vec<Image<'_>> = images
            .into_iter()
            .zip(accepted)
            .filter(|(_, ok)| *ok)
            .map(|(i, _)| i)
            .collect();
        let more = kept.is_empty() || f(&kept)?;
        chunk.clear();
        Ok(more)
    };
    for (start, end) in &query.ranges.ranges {
        // Expired STREAM rows not yet evicted are included: their eviction arrives as a
        // delete, which must find them.
        for row in inner.rows(&query.def, Some(snapshot), false, start, end) {
            let row = row?;
            chunk.push((row.owner, row.values));
            if chunk.len() == READ_CHUNK && !flush(&mut chunk)? {
                return Ok(());
            }
        }
    }
    flush(&mut chunk).map(|_| ())
}
