//! One subscription: its shared state (read by the fan-out thread) and the handle its
//! subscriber holds.
//!
//! Subscribing registers the subscription and takes a RocksDB snapshot while holding
//! the writer lock, so the snapshot is exactly the state after commit S and every
//! commit after S is fanned out to it: no gap, no duplicate. While the snapshot is
//! being sent, changes wait in a bounded `pending` list and are queued right after the
//! snapshot's last batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::engine::Inner;
use crate::error::Result;
use crate::live::delta::{key, matches, project};
use crate::live::manager::LiveInfo;
use crate::live::message::LiveMessage;
use crate::live::query::LiveQuery;
use crate::session::Actor;

/// Messages a subscriber may leave unread before it is sent to resync.
pub(crate) const CHANNEL_CAPACITY: usize = 1024;
/// Changed rows held back while a snapshot is sent, before the subscription resyncs.
pub(crate) const MAX_PENDING_ROWS: usize = 200_000;
/// Rows per snapshot message.
const SNAPSHOT_BATCH: usize = 1000;
/// Rows read from storage per filter evaluation.
const READ_CHUNK: usize = 4096;

pub(crate) enum SubState {
    /// A snapshot is being sent; changes after it wait here.
    Snapshotting {
        pending: Vec<LiveMessage>,
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

pub(crate) struct Sub {
    pub id: String,
    pub actor: Actor,
    pub query: LiveQuery,
    pub created_micros: i64,
    pub tx: mpsc::Sender<LiveMessage>,
    state: Mutex<SubState>,
    /// Wakes the subscriber when the state changes to lagging or closed.
    pub notify: tokio::sync::Notify,
    /// Changed rows handed to the subscriber.
    pub delivered: AtomicU64,
    /// `to_seq` of the last batch queued (the snapshot seq before the first).
    pub last_seq: AtomicU64,
}

impl Sub {
    pub fn lock_state(&self) -> MutexGuard<'_, SubState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn close(&self, reason: &str) {
        let mut state = self.lock_state();
        if !matches!(*state, SubState::Closed { .. }) {
            *state = SubState::Closed {
                reason: reason.to_string(),
            };
        }
        self.notify.notify_one();
    }

    /// An error the subscriber is told about before the subscription closes.
    pub fn fail(&self, message: &str) {
        let _ = self.tx.try_send(LiveMessage::Error {
            subscription: self.id.clone(),
            message: message.to_string(),
        });
        self.close("error");
    }

    pub fn mark_lagging(&self, seq: u64) {
        let mut state = self.lock_state();
        if matches!(*state, SubState::Live | SubState::Snapshotting { .. })
            && seq > self.last_seq.load(Ordering::SeqCst)
        {
            *state = SubState::Lagging {
                missed_from: self.last_seq.load(Ordering::SeqCst) + 1,
            };
            self.notify.notify_one();
        }
    }

    pub fn is_disconnected(&self) -> bool {
        self.tx.is_closed()
    }

    pub fn info(&self) -> LiveInfo {
        let status = match &*self.lock_state() {
            SubState::Snapshotting { .. } => "snapshot",
            SubState::Live => "live",
            SubState::Lagging { .. } => "lagging",
            SubState::Closed { .. } => "closed",
        };
        LiveInfo {
            id: self.id.clone(),
            actor: self.actor.clone(),
            query: self.query.sql.clone(),
            created_micros: self.created_micros,
            delivered: self.delivered.load(Ordering::Relaxed),
            last_seq: self.last_seq.load(Ordering::SeqCst),
            queued: CHANNEL_CAPACITY - self.tx.capacity(),
            status,
        }
    }
}

/// A live query's stream of messages. Dropping it ends the subscription.
pub struct Subscription {
    sub: Arc<Sub>,
    rx: mpsc::Receiver<LiveMessage>,
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
    /// Registers the subscription and starts sending its snapshot.
    pub(crate) async fn start(inner: Arc<Inner>, id: String, actor: Actor, query: LiveQuery) -> Subscription {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let sub = Arc::new(Sub {
            id,
            actor,
            query,
            created_micros: inner.clock.now_micros(),
            tx,
            state: Mutex::new(SubState::Snapshotting {
                pending: Vec::new(),
                pending_rows: 0,
            }),
            notify: tokio::sync::Notify::new(),
            delivered: AtomicU64::new(0),
            last_seq: AtomicU64::new(0),
        });
        let (registered, is_registered) = tokio::sync::oneshot::channel();
        spawn_snapshot(inner.clone(), sub.clone(), Some(registered));
        // An error before registering is reported as the subscription's first message.
        let _ = is_registered.await;
        Subscription {
            sub,
            rx,
            inner,
            finished: false,
        }
    }

    pub fn id(&self) -> &str {
        &self.sub.id
    }

    /// The next message; `None` once `closed` has been received.
    pub async fn recv(&mut self) -> Option<LiveMessage> {
        loop {
            if self.finished {
                return None;
            }
            match self.rx.try_recv() {
                Ok(message) => return Some(self.seen(message)),
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.finished = true;
                    return None;
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            // Everything queued has been read: act on a lag or a close now.
            if let Some(message) = self.after_queue() {
                return Some(message);
            }
            // A state change after the check above leaves a permit, so this cannot miss it.
            let notified = self.sub.notify.notified();
            tokio::select! {
                message = self.rx.recv() => match message {
                    Some(message) => return Some(self.seen(message)),
                    None => {
                        self.finished = true;
                        return None;
                    }
                },
                _ = notified => {}
            }
        }
    }

    /// Whether a snapshot (the first, or one after `resync`) is still being sent.
    pub fn is_catching_up(&self) -> bool {
        matches!(*self.sub.lock_state(), SubState::Snapshotting { .. })
    }

    /// The next message if one is ready now, without waiting.
    pub fn try_recv(&mut self) -> Option<LiveMessage> {
        if self.finished {
            return None;
        }
        match self.rx.try_recv() {
            Ok(message) => Some(self.seen(message)),
            Err(_) => self.after_queue(),
        }
    }

    /// Once the queue is drained: `resync` (starting a fresh snapshot) for a lagging
    /// subscription, `closed` for a closed one.
    fn after_queue(&mut self) -> Option<LiveMessage> {
        let mut state = self.sub.lock_state();
        match &*state {
            SubState::Lagging { missed_from } => {
                let missed_from = *missed_from;
                *state = SubState::Snapshotting {
                    pending: Vec::new(),
                    pending_rows: 0,
                };
                drop(state);
                spawn_snapshot(self.inner.clone(), self.sub.clone(), None);
                Some(LiveMessage::Resync {
                    subscription: self.sub.id.clone(),
                    missed_from_seq: missed_from,
                })
            }
            SubState::Closed { reason } => {
                self.finished = true;
                Some(LiveMessage::Closed {
                    subscription: self.sub.id.clone(),
                    reason: reason.clone(),
                })
            }
            _ => None,
        }
    }

    fn seen(&mut self, message: LiveMessage) -> LiveMessage {
        if matches!(message, LiveMessage::Closed { .. }) {
            self.finished = true;
        }
        message
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.inner.live.unregister(&self.sub.id);
        self.sub.close("unsubscribed");
    }
}

fn spawn_snapshot(inner: Arc<Inner>, sub: Arc<Sub>, registered: Option<tokio::sync::oneshot::Sender<()>>) {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = send_snapshot(&inner, &sub, registered) {
            sub.fail(&e.to_string());
            inner.live.unregister(&sub.id);
        }
    });
}

/// Registers at a consistent point, sends `subscribed` and the snapshot, then the
/// changes that arrived meanwhile.
fn send_snapshot(inner: &Inner, sub: &Arc<Sub>, registered: Option<tokio::sync::oneshot::Sender<()>>) -> Result<()> {
    let query = &sub.query;
    let writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
    let snapshot_seq = inner.last_seq();
    {
        let mut state = sub.lock_state();
        if matches!(*state, SubState::Closed { .. }) {
            return Ok(());
        }
        sub.last_seq.store(snapshot_seq, Ordering::SeqCst);
        *state = SubState::Snapshotting {
            pending: Vec::new(),
            pending_rows: 0,
        };
    }
    inner.live.register(sub);
    let snapshot = inner.store.snapshot();
    drop(writer);
    if let Some(registered) = registered {
        let _ = registered.send(());
    }

    // Two passes over the same snapshot: the count first, so `subscribed` can say how
    // many rows follow, then the rows.
    let mut row_count = 0u64;
    for_each_match(inner, query, &snapshot, |_, _| row_count += 1)?;
    let send = |message: LiveMessage| sub.tx.blocking_send(message).is_ok();
    let subscribed = LiveMessage::Subscribed {
        subscription: sub.id.clone(),
        columns: query.columns(),
        key: query.key_names(),
        snapshot_seq,
        row_count,
    };
    if !send(subscribed) {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(SNAPSHOT_BATCH);
    let mut row_keys = Vec::with_capacity(SNAPSHOT_BATCH);
    let mut open = true;
    for_each_match(inner, query, &snapshot, |owner, values| {
        if !open {
            return;
        }
        rows.push(project(query, owner, values));
        row_keys.push(key(query, owner, values));
        if rows.len() == SNAPSHOT_BATCH {
            let batch = LiveMessage::Snapshot {
                subscription: sub.id.clone(),
                rows: std::mem::take(&mut rows),
                keys: std::mem::take(&mut row_keys),
                last: false,
            };
            open = send(batch);
        }
    })?;
    drop(snapshot);
    if !open
        || !send(LiveMessage::Snapshot {
            subscription: sub.id.clone(),
            rows,
            keys: row_keys,
            last: true,
        })
    {
        return Ok(());
    }

    let mut state = sub.lock_state();
    if let SubState::Snapshotting { pending, .. } = &mut *state {
        let pending = std::mem::take(pending);
        *state = SubState::Live;
        for message in pending {
            let (from, count) = match &message {
                LiveMessage::Changes { from_seq, changes, .. } => (*from_seq, changes.len() as u64),
                _ => (0, 0),
            };
            if sub.tx.try_send(message).is_err() {
                *state = SubState::Lagging { missed_from: from };
                sub.notify.notify_one();
                break;
            }
            sub.delivered.fetch_add(count, Ordering::Relaxed);
        }
    }
    Ok(())
}

/// Calls `f` with (owner, values) of every snapshot row the query's filter accepts.
fn for_each_match(
    inner: &Inner,
    query: &LiveQuery,
    snapshot: &rocksdb::Snapshot<'_>,
    mut f: impl FnMut(Option<&str>, &[crate::types::Value]),
) -> Result<()> {
    let mut chunk = Vec::with_capacity(READ_CHUNK);
    let mut flush = |chunk: &mut Vec<(Option<String>, Vec<crate::types::Value>)>| -> Result<()> {
        let accepted = matches(query, chunk.iter().cloned())?;
        for ((owner, values), ok) in chunk.iter().zip(accepted) {
            if ok {
                f(owner.as_deref(), values);
            }
        }
        chunk.clear();
        Ok(())
    };
    for (start, end) in &query.ranges.ranges {
        for row in inner.rows(&query.def, Some(snapshot), start, end) {
            let row = row?;
            chunk.push((row.owner, row.values));
            if chunk.len() == READ_CHUNK {
                flush(&mut chunk)?;
            }
        }
    }
    flush(&mut chunk)
}
