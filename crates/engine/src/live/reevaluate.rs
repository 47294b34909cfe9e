//! Live queries kept by re-evaluation: a query shape that is not maintained row by row
//! (joins, aggregates, ORDER BY ... LIMIT, window functions, subqueries, UNION ...)
//! is re-run through DataFusion when commits touch a table it reads, and its result is
//! diffed against the previous one into the same insert/update/delete changes by key.
//!
//! Exactness: each run reads every table at one commit (a RocksDB snapshot pinned under
//! the writer lock), so a result is always the query's answer as of a commit `S`; its
//! changes go out as one batch ending at `S`. Commits that arrive while a run is under
//! way mark the query dirty again, so none is missed. Runs are at most one per
//! `EngineOptions::live_reevaluate_interval`, and happen on the subscription's own
//! thread: writers never wait for them, and the fan-out only marks queries dirty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use datafusion::logical_expr::LogicalPlan;
use serde_json::Value as Json;

use crate::engine::{Engine, Inner, PinnedSnapshot};
use crate::error::{Error, Position, Result};
use crate::live::delta::Segment;
use crate::live::message::Change;
use crate::live::stateful::send_rows;
use crate::live::subscription::Sub;
use crate::session::{Actor, Session};
use crate::sql::errors::from_df;
use datafusion::sql::parser::Statement as DfStatement;

/// The thread stack of a run: DataFusion's planner and optimizer recurse over the plan.
const RUN_STACK: usize = 16 << 20;

/// What identifies a result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResultKey {
    /// These result columns (GROUP BY columns; every column of a DISTINCT; none for an
    /// aggregate without GROUP BY, which has one row).
    Columns(Vec<usize>),
    /// The whole row and its occurrence number among equal rows (0, 1, ...).
    Row,
}

/// The result the subscriber has, by key (as JSON text): the key and the row.
pub(crate) type Shown = HashMap<String, (Vec<Json>, Vec<Json>)>;

pub(crate) struct Reevaluate {
    /// The statement, planned afresh for each run in a session of the subscriber's user
    /// whose scans read a pinned commit. Nothing here holds the database open: a
    /// dropped engine closes even while a subscription's thread waits.
    statement: DfStatement,
    position: Position,
    actor: Actor,
    pub key: ResultKey,
    /// The query has an ORDER BY: its snapshot keeps that order (otherwise key order,
    /// so a join's hash order does not leak into what subscribers see).
    ordered: bool,
    /// What the subscriber has (`None` until the first snapshot). Held for a whole run:
    /// a snapshot (first or after `resync`) and a run never interleave.
    state: Mutex<Option<Shown>>,
    dirty: Mutex<Dirty>,
    signal: Condvar,
    worker: AtomicBool,
}

#[derive(Default)]
struct Dirty {
    /// Commit time of the oldest commit not yet evaluated.
    since: Option<i64>,
    /// A run has taken the commits and not yet queued its changes.
    running: bool,
    stopped: bool,
}

impl std::fmt::Debug for Reevaluate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reevaluate").field("key", &self.key).finish()
    }
}

impl Reevaluate {
    pub fn new(
        statement: DfStatement,
        position: Position,
        actor: Actor,
        plan: &LogicalPlan,
        key: ResultKey,
    ) -> Reevaluate {
        let ordered = match plan {
            LogicalPlan::Sort(_) => true,
            LogicalPlan::Limit(limit) => matches!(limit.input.as_ref(), LogicalPlan::Sort(_)),
            _ => false,
        };
        Reevaluate {
            ordered,
            statement,
            position,
            actor,
            key,
            state: Mutex::new(None),
            dirty: Mutex::new(Dirty::default()),
            signal: Condvar::new(),
            worker: AtomicBool::new(false),
        }
    }

    fn dirty(&self) -> MutexGuard<'_, Dirty> {
        self.dirty.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, Option<Shown>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A commit touched a table the query reads (called by the fan-out, in commit order).
    pub fn mark_dirty(&self, committed_at: i64) {
        let mut dirty = self.dirty();
        if dirty.since.is_none() {
            dirty.since = Some(committed_at);
            self.signal.notify_one();
        }
    }

    /// The subscription ended: its worker stops.
    pub fn stop(&self) {
        self.dirty().stopped = true;
        self.signal.notify_all();
    }

    /// Waits until the query is dirty; false once stopped.
    fn wait_dirty(&self) -> bool {
        let mut dirty = self.dirty();
        loop {
            if dirty.stopped {
                return false;
            }
            if dirty.since.is_some() {
                return true;
            }
            dirty = self.signal.wait(dirty).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Takes the commits to evaluate: the run that does is under way until `ran`.
    fn take_dirty(&self) -> Option<i64> {
        let mut dirty = self.dirty();
        let since = dirty.since.take();
        dirty.running |= since.is_some();
        since
    }

    fn ran(&self, inner: &Inner) {
        self.dirty().running = false;
        inner.live.reevaluated();
    }

    /// Waits `time`, or less if the subscription ends meanwhile.
    fn pause(&self, time: std::time::Duration) {
        let deadline = Instant::now() + time;
        let mut dirty = self.dirty();
        while !dirty.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            dirty = self
                .signal
                .wait_timeout(dirty, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn is_stopped(&self) -> bool {
        self.dirty().stopped
    }

    /// Commits have touched its tables that it has not yet evaluated and queued.
    pub fn is_busy(&self) -> bool {
        let dirty = self.dirty();
        !dirty.stopped && (dirty.since.is_some() || dirty.running)
    }

    /// Runs the query at `snapshot`: its rows in result order, each with its key.
    fn evaluate(&self, inner: &Arc<Inner>, snapshot: Arc<PinnedSnapshot>) -> Result<Vec<(Vec<Json>, Vec<Json>)>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Query(format!("cannot start the live query's runtime: {e}")))?;
        let session = Session::new(Engine { inner: inner.clone() }, self.actor.clone());
        session.set_snapshot(Some(snapshot));
        let batches = runtime.block_on(async {
            let plan = session.plan(self.statement.clone(), self.position).await?;
            let frame = session
                .ctx()
                .execute_logical_plan(plan)
                .await
                .map_err(|e| from_df(&e, self.position))?;
            frame.collect().await.map_err(|e| from_df(&e, self.position))
        })?;
        let rows = crate::results::rows_json(&batches);
        let mut rows: Vec<(Vec<Json>, Vec<Json>)> = match &self.key {
            ResultKey::Columns(columns) => rows
                .into_iter()
                .map(|row| (columns.iter().map(|&i| row[i].clone()).collect(), row))
                .collect(),
            ResultKey::Row => {
                let mut seen: HashMap<String, u64> = HashMap::new();
                rows.into_iter()
                    .map(|row| {
                        let occurrence = seen.entry(Json::Array(row.clone()).to_string()).or_default();
                        let mut key = row.clone();
                        key.push(Json::from(*occurrence));
                        *occurrence += 1;
                        (key, row)
                    })
                    .collect()
            }
        };
        if !self.ordered {
            rows.sort_by(|a, b| cmp_values(&a.0, &b.0));
        }
        Ok(rows)
    }
}

/// Orders keys as the engine orders values: NULL first, then booleans, numbers (by
/// value), text and everything else by its JSON text.
fn cmp_values(a: &[Json], b: &[Json]) -> std::cmp::Ordering {
    fn rank(v: &Json) -> u8 {
        match v {
            Json::Null => 0,
            Json::Bool(_) => 1,
            Json::Number(_) => 2,
            Json::String(_) => 3,
            _ => 4,
        }
    }
    for (x, y) in a.iter().zip(b) {
        let order = match (x, y) {
            (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
            (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => x
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    .total_cmp(&y.as_f64().unwrap_or(f64::NAN)),
            },
            (Json::String(x), Json::String(y)) => x.cmp(y),
            (x, y) if rank(x) != rank(y) => rank(x).cmp(&rank(y)),
            (x, y) => x.to_string().cmp(&y.to_string()),
        };
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// The changes from `previous` to `next`, which replaces it: deletes (in key order)
/// first, then inserts and updates in result order.
pub(crate) fn diff(previous: &mut Shown, next: Vec<(Vec<Json>, Vec<Json>)>) -> Vec<Change> {
    let mut kept = HashMap::with_capacity(next.len());
    let mut changes = Vec::new();
    for (key, row) in next {
        let text = Json::Array(key.clone()).to_string();
        match previous.remove(&text) {
            Some((_, old)) if old == row => {}
            Some((_, old)) => changes.push(Change::Update {
                key: key.clone(),
                row: row.clone(),
                old,
            }),
            None => changes.push(Change::Insert {
                key: key.clone(),
                row: row.clone(),
            }),
        }
        kept.insert(text, (key, row));
    }
    let mut gone: Vec<_> = std::mem::replace(previous, kept).into_iter().collect();
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    let deletes = gone.into_iter().map(|(_, (key, old))| Change::Delete { key, old });
    deletes.chain(changes).collect()
}

/// Registers at a consistent commit and sends `subscribed` and the result as the
/// snapshot. A re-evaluated query keeps no history of its results, so a subscriber
/// resuming from a seq gets `resync` and the snapshot.
pub(crate) fn send_snapshot(
    inner: &Arc<Inner>,
    sub: &Arc<Sub>,
    reevaluate: &Reevaluate,
    registered: Option<tokio::sync::oneshot::Sender<()>>,
    resume_from: Option<u64>,
) -> Result<()> {
    // Taken before the writer lock, as a run takes them.
    let mut state = reevaluate.state();
    let mut writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
    let dropped = {
        let catalog = inner.catalog();
        sub.query
            .tables
            .iter()
            .any(|def| catalog.tables.values().all(|t| t.id != def.id))
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
    // Commits up to `seq` are in this snapshot.
    let taken = reevaluate.take_dirty();
    inner.live.register(sub, seq, &mut writer.history);
    let snapshot = Arc::new(inner.pin_snapshot());
    drop(writer);
    if let Some(registered) = registered {
        let _ = registered.send(());
    }
    let rows = reevaluate.evaluate(inner, snapshot);
    if taken.is_some() {
        reevaluate.ran(inner);
    }
    let rows = rows?;
    *state = Some(
        rows.iter()
            .map(|(key, row)| (Json::Array(key.clone()).to_string(), (key.clone(), row.clone())))
            .collect(),
    );
    drop(state);
    if !reevaluate.worker.swap(true, Ordering::SeqCst) {
        spawn_worker(inner.clone(), sub.clone());
    }

    send_rows(sub, generation, seq, rows, resume_from);
    Ok(())
}

fn spawn_worker(inner: Arc<Inner>, sub: Arc<Sub>) {
    let inner = Arc::downgrade(&inner);
    let started = std::thread::Builder::new()
        .name("tidepool-reevaluate".into())
        .stack_size(RUN_STACK)
        .spawn({
            let sub = sub.clone();
            move || run(&inner, &sub)
        });
    if started.is_err() {
        sub.fail("cannot start a thread to re-evaluate the live query");
    }
}

/// The subscription's re-evaluation loop: waits for a commit to touch its tables, runs
/// the query at the latest commit (no sooner than an interval after the last run) and
/// queues the differences.
fn run(inner: &std::sync::Weak<Inner>, sub: &Arc<Sub>) {
    let Some(reevaluate) = sub.query.reevaluate() else {
        return;
    };
    let Some(interval) = inner.upgrade().map(|inner| inner.live.reevaluate_interval()) else {
        return;
    };
    let mut last_run: Option<Instant> = None;
    while reevaluate.wait_dirty() {
        if let Some(rest) = last_run.map(|at| interval.saturating_sub(at.elapsed())) {
            reevaluate.pause(rest);
        }
        if reevaluate.is_stopped() {
            return;
        }
        // The engine is gone: so is every subscription.
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let inner = &inner;
        last_run = Some(Instant::now());
        let mut state = reevaluate.state();
        let Some(committed_at) = reevaluate.take_dirty() else {
            continue;
        };
        let Some(previous) = state.as_mut() else {
            reevaluate.ran(inner);
            continue;
        };
        let snapshot = {
            let _writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            Arc::new(inner.pin_snapshot())
        };
        let seq = snapshot.seq;
        match reevaluate.evaluate(inner, snapshot) {
            Ok(rows) => {
                let changes = diff(previous, rows);
                if !changes.is_empty() {
                    let segment = Segment {
                        commits: vec![(seq, committed_at, 0)],
                        changes: Arc::new(changes),
                    };
                    if sub.push_segments(&[segment]) {
                        sub.wake();
                    }
                }
                reevaluate.ran(inner);
            }
            Err(e) => {
                drop(state);
                sub.fail(&e.to_string());
                inner.live.unregister(&sub.id);
                reevaluate.ran(inner);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(i64, &str)]) -> Vec<(Vec<Json>, Vec<Json>)> {
        list.iter()
            .map(|(k, v)| (vec![Json::from(*k)], vec![Json::from(*k), Json::from(*v)]))
            .collect()
    }

    #[test]
    fn diff_gives_deletes_then_inserts_and_updates_and_replaces_the_state() {
        let mut state = Shown::new();
        let first = diff(&mut state, rows(&[(1, "a"), (2, "b"), (3, "c")]));
        assert_eq!(first.len(), 3);
        assert!(first.iter().all(|c| matches!(c, Change::Insert { .. })));
        let second = diff(&mut state, rows(&[(2, "b"), (3, "C"), (4, "d")]));
        assert_eq!(
            second,
            vec![
                Change::Delete {
                    key: vec![Json::from(1)],
                    old: vec![Json::from(1), Json::from("a")]
                },
                Change::Update {
                    key: vec![Json::from(3)],
                    row: vec![Json::from(3), Json::from("C")],
                    old: vec![Json::from(3), Json::from("c")]
                },
                Change::Insert {
                    key: vec![Json::from(4)],
                    row: vec![Json::from(4), Json::from("d")]
                },
            ]
        );
        assert_eq!(state.len(), 3);
        assert!(diff(&mut state, rows(&[(4, "d"), (3, "C"), (2, "b")])).is_empty());
    }
}
