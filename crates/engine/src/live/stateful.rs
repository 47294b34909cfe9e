//! What the shapes that keep state per subscription share — aggregates (groups), top-N
//! (kept rows) and joins (arrangements): how the state is built from the registering
//! commit's snapshot while the fan-out goes on, and how commits reach it afterwards.
//!
//! Building: registration and the RocksDB snapshot happen under the writer lock at seq
//! S; the state is read from that snapshot without any lock. Commits the fan-out hands
//! over meanwhile wait in the cell's pending list (bounded by the subscription's queue
//! limit, past which it lags and is sent a fresh snapshot); once the state is read, the
//! snapshot's rows are taken from it and the pending commits after S applied, so their
//! changes follow the snapshot. The cell remembers the commit its state reflects and
//! ignores older ones: the fan-out may still be behind when a snapshot is taken.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value as Json;

use crate::engine::Inner;
use crate::error::Result;
use crate::live::capture::RowChange;
use crate::live::delta::{segments_from, CommitRows};
use crate::live::message::{Change, LiveMessage};
use crate::live::subscription::{Sub, MAX_MERGED_ROWS, SNAPSHOT_BATCH};

/// Result rows with their keys.
pub(crate) type KeyedRows = Vec<(Vec<Json>, Vec<Json>)>;

/// Each commit's changes (seq, commit time, changes), oldest first.
pub(crate) type PerCommit = Vec<(u64, i64, Vec<Change>)>;

/// What applying commits gave: their changes and, when the shape had to read its table
/// again, the commit it read at (later commits up to it are in the state already).
pub(crate) struct Applied {
    pub per_commit: PerCommit,
    pub read_at: Option<u64>,
}

impl From<PerCommit> for Applied {
    fn from(per_commit: PerCommit) -> Applied {
        Applied {
            per_commit,
            read_at: None,
        }
    }
}

/// A live query shape kept with state of its own per subscription.
pub(crate) trait Stateful {
    type State: Send;

    /// The tables whose commits change it.
    fn table_ids(&self) -> Vec<u64>;

    fn cell(&self) -> &Mutex<Cell<Self::State>>;

    /// The state as of `snapshot`.
    fn read(&self, inner: &Arc<Inner>, snapshot: &rocksdb::Snapshot<'_>, sub: &Sub) -> Result<Self::State>;

    /// The rows the state shows, with their keys, in the order a snapshot sends them.
    fn rows(&self, state: &Self::State) -> Result<KeyedRows>;

    /// Applies consecutive commits newer than the state, oldest first.
    fn apply(&self, state: &mut Self::State, commits: &[CommitRows<'_>]) -> Result<Applied>;
}

/// A subscription's state and what waits for it.
pub(crate) struct Cell<S> {
    /// `None` until a snapshot has read it.
    state: Option<S>,
    /// The commit the state reflects.
    seq: u64,
    /// A snapshot is being read: commits wait in `pending`.
    building: bool,
    pending: Vec<(u64, i64, Vec<RowChange>)>,
    pending_rows: usize,
}

impl<S> Default for Cell<S> {
    fn default() -> Self {
        Cell {
            state: None,
            seq: 0,
            building: false,
            pending: Vec::new(),
            pending_rows: 0,
        }
    }
}

fn lock<S>(cell: &Mutex<Cell<S>>) -> MutexGuard<'_, Cell<S>> {
    cell.lock().unwrap_or_else(|p| p.into_inner())
}

/// Applies the commits newer than the cell's state and queues their changes.
fn advance<M: Stateful>(shape: &M, cell: &mut Cell<M::State>, sub: &Sub, commits: &[CommitRows<'_>]) -> Result<bool> {
    let seen = cell.seq;
    let newer: Vec<CommitRows<'_>> = commits.iter().filter(|c| c.0 > seen).copied().collect();
    let (Some(state), Some(last)) = (cell.state.as_mut(), newer.last()) else {
        return Ok(false);
    };
    let last = last.0;
    let applied = shape.apply(state, &newer)?;
    cell.seq = last.max(applied.read_at.unwrap_or(0));
    Ok(sub.push_segments(&segments_from(applied.per_commit, MAX_MERGED_ROWS)))
}

/// The fan-out's step for one subscription: the commits' changes, queued (true when
/// the subscriber is to be woken). While a snapshot is read the commits wait instead.
pub(crate) fn deliver<M: Stateful>(shape: &M, sub: &Sub, commits: &[CommitRows<'_>]) -> Result<bool> {
    let mut cell = lock(shape.cell());
    if !cell.building {
        return advance(shape, &mut cell, sub, commits);
    }
    let tables: HashSet<u64> = shape.table_ids().into_iter().collect();
    for (seq, at, changes) in commits {
        let mine: Vec<RowChange> = changes
            .iter()
            .filter(|c| tables.contains(&c.table_id))
            .cloned()
            .collect();
        if !mine.is_empty() {
            cell.pending_rows += mine.len();
            cell.pending.push((*seq, *at, mine));
        }
    }
    if cell.pending_rows > sub.limit() {
        // The subscriber will get a fresh snapshot, which has what was pending.
        cell.pending.clear();
        cell.pending_rows = 0;
        if let Some((seq, _, _)) = commits.first() {
            sub.mark_lagging(*seq);
        }
        return Ok(true);
    }
    Ok(false)
}

/// Registers at a consistent commit, reads the state from its snapshot and sends the
/// rows it shows, then the changes of the commits that arrived meanwhile. No history of
/// results is kept, so a subscriber resuming from a seq gets `resync` first.
pub(crate) fn send_snapshot<M: Stateful>(
    shape: &M,
    inner: &Arc<Inner>,
    sub: &Arc<Sub>,
    registered: Option<tokio::sync::oneshot::Sender<()>>,
    resume_from: Option<u64>,
) -> Result<()> {
    {
        let mut cell = lock(shape.cell());
        *cell = Cell {
            building: true,
            ..Cell::default()
        };
    }
    let mut writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
    let dropped = {
        let catalog = inner.catalog();
        shape
            .table_ids()
            .iter()
            .any(|id| catalog.tables.values().all(|t| t.id != *id))
    };
    if dropped {
        drop(writer);
        sub.close("table dropped");
        return Ok(());
    }
    let seq = inner.last_seq();
    let Some(generation) = sub.begin_snapshot(seq) else {
        return Ok(());
    };
    inner.live.register(sub, seq, &mut writer.history);
    let snapshot = inner.store.snapshot();
    drop(writer);
    if let Some(registered) = registered {
        let _ = registered.send(());
    }
    let state = shape.read(inner, &snapshot, sub)?;
    drop(snapshot);
    let rows = shape.rows(&state)?;
    {
        let mut cell = lock(shape.cell());
        let pending = std::mem::take(&mut cell.pending);
        cell.pending_rows = 0;
        cell.state = Some(state);
        cell.seq = seq;
        cell.building = false;
        let commits: Vec<CommitRows<'_>> = pending.iter().map(|(s, at, rows)| (*s, *at, rows.as_slice())).collect();
        advance(shape, &mut cell, sub, &commits)?;
    }
    send_rows(sub, generation, seq, rows, resume_from);
    Ok(())
}

/// Sends a snapshot of `rows` at `seq` (after `resync` when the subscriber asked to
/// resume from a seq), then what arrived meanwhile.
pub(crate) fn send_rows(sub: &Sub, generation: u64, seq: u64, rows: KeyedRows, resume_from: Option<u64>) {
    if let Some(from) = resume_from {
        let resync = LiveMessage::Resync {
            subscription: sub.id.clone(),
            missed_from_seq: from + 1,
        };
        if !sub.push_snapshot(generation, resync) {
            return;
        }
    }
    if !sub.push_snapshot(generation, sub.subscribed(seq, rows.len() as u64, false)) {
        return;
    }
    let mut rows = rows.into_iter().peekable();
    loop {
        let (keys, batch): (Vec<_>, Vec<_>) = rows.by_ref().take(SNAPSHOT_BATCH).unzip();
        let last = rows.peek().is_none();
        let message = LiveMessage::Snapshot {
            subscription: sub.id.clone(),
            rows: batch,
            keys,
            last,
        };
        if !sub.push_snapshot(generation, message) {
            return;
        }
        if last {
            break;
        }
    }
    sub.finish_snapshot(generation);
}
