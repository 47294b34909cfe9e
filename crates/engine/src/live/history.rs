//! Recent commits, kept so a subscriber that reconnects can resume from the last seq it
//! has instead of reloading everything.
//!
//! Once a table has had a subscriber, the row changes of its commits are captured and
//! kept here, newest last, up to a bound in rows. A resume from seq N of a table is
//! possible when every change of that table after N is still here: the table was
//! recorded from before N on, and nothing after N was dropped to stay in the bound. The
//! history lives in memory, so after a restart every resume is answered with `resync`.

use std::collections::{HashMap, VecDeque};

use crate::live::capture::Captured;

/// One commit's captured row changes.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub seq: u64,
    pub committed_micros: i64,
    pub changes: Captured,
}

/// The kept commits. The engine's writer lock guards it (it lives in the writer's
/// `Capture`): commits are kept and dropped by the committing writer, and subscribers
/// read it while they register, under the same lock.
pub(crate) struct History {
    commits: VecDeque<Commit>,
    rows: usize,
    /// Changed rows kept at most.
    limit: usize,
    /// Every commit after this seq is still kept.
    kept_after: u64,
    /// Recorded tables, each with the seq after which all its changes are recorded.
    tables: HashMap<u64, u64>,
}

/// Commits the history makes room for up front. Growing it moves it to a new
/// allocation on the writer's path, under the writer lock: on the 2-core CI VM each
/// growth (at 128, 256, ... kept commits) held a commit up for 4–5 ms. Past this many,
/// it still grows.
const PREALLOCATED: usize = 1 << 17;

impl History {
    pub fn new(limit: usize) -> History {
        History {
            // A commit has at least one row, so `limit` commits is as many as are kept.
            commits: VecDeque::with_capacity(limit.min(PREALLOCATED)),
            rows: 0,
            limit,
            kept_after: 0,
            tables: HashMap::new(),
        }
    }

    /// Whether commits touching `table_id` are recorded.
    pub fn records(&self, table_id: u64) -> bool {
        self.limit > 0 && self.tables.contains_key(&table_id)
    }

    /// Starts recording `table_id` (if it is not already) with the commits after `seq`.
    pub fn record_table(&mut self, table_id: u64, seq: u64) {
        if self.limit > 0 {
            self.tables.entry(table_id).or_insert(seq);
        }
    }

    /// The table's rows changed shape at `seq` (ALTER) or it is gone (DROP): changes
    /// up to `seq` no longer fit a query compiled now.
    pub fn restart_table(&mut self, table_id: u64, seq: u64, dropped: bool) {
        if dropped {
            self.tables.remove(&table_id);
        } else if let Some(since) = self.tables.get_mut(&table_id) {
            *since = seq;
        }
    }

    /// Keeps a commit (in commit order) and drops the oldest beyond the bound: slices
    /// of capture buffers, so dropping one frees at most a buffer the writer allocated.
    pub fn push(&mut self, commit: Commit) {
        if self.limit == 0 || commit.changes.is_empty() {
            return;
        }
        self.rows += commit.changes.rows();
        self.commits.push_back(commit);
        while self.rows > self.limit {
            let Some(oldest) = self.commits.pop_front() else {
                break;
            };
            self.rows -= oldest.changes.rows();
            self.kept_after = oldest.seq;
        }
    }

    /// The commits after `from` up to `to` that touch `table_id`, or `None` when some
    /// of them are not kept (or were never recorded).
    pub fn since(&self, table_id: u64, from: u64, to: u64) -> Option<Vec<Commit>> {
        let &recorded_since = self.tables.get(&table_id)?;
        if from < recorded_since || from < self.kept_after {
            return None;
        }
        let start = self.commits.partition_point(|c| c.seq <= from);
        Some(
            self.commits
                .iter()
                .skip(start)
                .take_while(|c| c.seq <= to)
                .filter(|c| c.changes.tables().any(|t| t == table_id))
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{History, PREALLOCATED};

    #[test]
    fn room_for_every_kept_commit_is_made_up_front_within_a_bound() {
        // A commit has at least one row: `limit` commits never need a larger deque.
        assert!(History::new(100_000).commits.capacity() >= 100_000);
        assert!(History::new(10 * PREALLOCATED).commits.capacity() < 2 * PREALLOCATED);
        assert_eq!(History::new(0).commits.capacity(), 0);
    }
}
