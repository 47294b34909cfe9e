//! Recent commits, kept so a subscriber that reconnects can resume from the last seq it
//! has instead of reloading everything.
//!
//! Once a table has had a subscriber, the row changes of its commits are captured and
//! kept here, newest last, up to a bound in rows. A resume from seq N of a table is
//! possible when every change of that table after N is still here: the table was
//! recorded from before N on, and nothing after N was dropped to stay in the bound. The
//! history lives in memory, so after a restart every resume is answered with `resync`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::live::capture::Captured;

/// One commit's captured row changes.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub seq: u64,
    pub committed_micros: i64,
    pub changes: Captured,
}

pub(crate) struct History {
    state: Mutex<State>,
    /// Changed rows kept at most.
    limit: usize,
}

#[derive(Default)]
struct State {
    commits: VecDeque<Commit>,
    rows: usize,
    /// Every commit after this seq is still kept.
    kept_after: u64,
    /// Recorded tables, each with the seq after which all its changes are recorded.
    tables: HashMap<u64, u64>,
}

impl History {
    pub fn new(limit: usize) -> History {
        History {
            state: Mutex::new(State::default()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether commits touching `table_id` are recorded.
    pub fn records(&self, table_id: u64) -> bool {
        self.limit > 0 && self.lock().tables.contains_key(&table_id)
    }

    /// Starts recording `table_id` (if it is not already) with the commits after `seq`.
    /// Called under the writer lock, so no commit falls between `seq` and the first
    /// recorded one.
    pub fn record_table(&self, table_id: u64, seq: u64) {
        if self.limit > 0 {
            self.lock().tables.entry(table_id).or_insert(seq);
        }
    }

    /// The table's rows changed shape at `seq` (ALTER) or it is gone (DROP): changes
    /// up to `seq` no longer fit a query compiled now.
    pub fn restart_table(&self, table_id: u64, seq: u64, dropped: bool) {
        let mut state = self.lock();
        if dropped {
            state.tables.remove(&table_id);
        } else if let Some(since) = state.tables.get_mut(&table_id) {
            *since = seq;
        }
    }

    /// Keeps a commit (called in commit order, under the writer lock). The commits that
    /// fall out of the bound are dropped by `trim`, off the writer's path, unless the
    /// history has grown to twice its bound.
    pub fn push(&self, commit: Commit) {
        if self.limit == 0 || commit.changes.is_empty() {
            return;
        }
        let mut state = self.lock();
        state.rows += commit.changes.rows();
        state.commits.push_back(commit);
        if state.rows > self.limit.saturating_mul(2) {
            let expired = self.expire(&mut state);
            drop(state);
            drop(expired);
        }
    }

    /// Drops the commits beyond the bound (the fan-out thread calls this after each
    /// burst). Their rows are freed after the lock is released.
    pub fn trim(&self) {
        let mut state = self.lock();
        let expired = self.expire(&mut state);
        drop(state);
        drop(expired);
    }

    fn expire(&self, state: &mut State) -> Vec<Commit> {
        let mut expired = Vec::new();
        while state.rows > self.limit {
            let Some(oldest) = state.commits.pop_front() else {
                break;
            };
            state.rows -= oldest.changes.rows();
            state.kept_after = oldest.seq;
            expired.push(oldest);
        }
        expired
    }

    /// The commits after `from` up to `to` that touch `table_id`, or `None` when some
    /// of them are not kept (or were never recorded).
    pub fn since(&self, table_id: u64, from: u64, to: u64) -> Option<Vec<Commit>> {
        let mut state = self.lock();
        let expired = self.expire(&mut state);
        let kept = state.tables.get(&table_id).and_then(|&recorded_since| {
            if from < recorded_since || from < state.kept_after {
                return None;
            }
            let start = state.commits.partition_point(|c| c.seq <= from);
            Some(
                state
                    .commits
                    .iter()
                    .skip(start)
                    .take_while(|c| c.seq <= to)
                    .filter(|c| c.changes.tables().any(|t| t == table_id))
                    .cloned()
                    .collect(),
            )
        });
        // The expired rows are freed after the lock is released.
        drop(state);
        drop(expired);
        kept
    }
}
