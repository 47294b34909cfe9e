//! The subscription protocol (DESIGN §3), as the messages a subscriber receives.
//! They read back from their JSON too (`Deserialize`), so a client of the local API —
//! the soak test's subscribers, say — checks what it receives against these types
//! rather than a copy of them.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One message of a subscription, in the order a subscriber receives them:
/// `Subscribed`, `Snapshot` batches (the last one has `last: true`; none when the
/// subscription resumed from a seq), then `Changes` batches in commit order. `Resync` means changes were dropped because the subscriber
/// fell behind; a fresh `Subscribed` + snapshot follows. `Closed` ends the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    Subscribed {
        subscription: String,
        /// The subscribed columns, in row order.
        columns: Vec<LiveColumn>,
        /// What the parts of a row's `key` are: the table's key columns (`_user` first
        /// for an admin on a USER table) for rows of one table, the GROUP BY columns of
        /// an aggregate, every column of a DISTINCT, or the row's columns and its
        /// occurrence number when nothing smaller identifies a row.
        key: Vec<String>,
        /// The table whose rows these are (`namespace.name`), when the rows are one
        /// table's (not an aggregate, a join or another derived result): what a client
        /// needs to edit them. Absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
        /// `incremental` (work per commit follows the change) or `reevaluate` (the
        /// query is re-run when a commit touches a table it reads, at most once per
        /// interval, and the result diffed).
        maintenance: String,
        /// The query's ORDER BY over result columns (empty when unordered, or ordered by
        /// something it does not show): clients keep rows in this order.
        order_by: Vec<OrderKey>,
        /// The snapshot shows the table as of this commit; changes follow from the next.
        snapshot_seq: u64,
        /// How many rows the snapshot has (0 when resumed: no snapshot follows).
        row_count: u64,
        /// The subscriber asked to resume from `snapshot_seq` and its history was kept:
        /// no snapshot follows, only the changes after `snapshot_seq`.
        resumed: bool,
    },
    Snapshot {
        subscription: String,
        rows: Vec<Vec<Json>>,
        /// The keys of `rows`, one per row.
        keys: Vec<Vec<Json>>,
        last: bool,
    },
    /// The changes of the commits `from_seq..=to_seq` that concern this subscription.
    /// `from_seq` is always the previous batch's `to_seq + 1` (or the snapshot's seq + 1):
    /// anything else is a gap.
    Changes {
        subscription: String,
        from_seq: u64,
        to_seq: u64,
        /// Commit time of the batch's first (oldest) commit, microseconds since the Unix
        /// epoch: latency measured from it is never understated.
        committed_at: i64,
        changes: Changes,
    },
    Resync {
        subscription: String,
        missed_from_seq: u64,
    },
    Error {
        subscription: String,
        message: String,
    },
    Closed {
        subscription: String,
        reason: String,
    },
}

impl LiveMessage {
    pub fn subscription(&self) -> &str {
        match self {
            LiveMessage::Subscribed { subscription, .. }
            | LiveMessage::Snapshot { subscription, .. }
            | LiveMessage::Changes { subscription, .. }
            | LiveMessage::Resync { subscription, .. }
            | LiveMessage::Error { subscription, .. }
            | LiveMessage::Closed { subscription, .. } => subscription,
        }
    }
}

/// One ORDER BY term of a live query, over a result column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderKey {
    pub column: String,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// One row change as the subscription sees it: a row that starts matching the filter
/// is an `Insert`, one that stops matching is a `Delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Insert {
        key: Vec<Json>,
        row: Vec<Json>,
    },
    Update {
        key: Vec<Json>,
        row: Vec<Json>,
        old: Vec<Json>,
    },
    Delete {
        key: Vec<Json>,
        old: Vec<Json>,
    },
}

impl Change {
    pub fn key(&self) -> &[Json] {
        match self {
            Change::Insert { key, .. } | Change::Update { key, .. } | Change::Delete { key, .. } => key,
        }
    }
}

/// The changes of a batch, in commit order. Subscriptions with the same query share
/// the underlying lists, so handing a batch to fifty subscribers copies no rows;
/// iterate it, or serialize it as one JSON array.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    segments: Vec<std::sync::Arc<Vec<Change>>>,
    len: usize,
}

impl Changes {
    pub(crate) fn from_segments(segments: Vec<std::sync::Arc<Vec<Change>>>) -> Changes {
        let len = segments.iter().map(|s| s.len()).sum();
        Changes { segments, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &Change> + '_ {
        self.segments.iter().flat_map(|s| s.iter())
    }
}

impl<'a> IntoIterator for &'a Changes {
    type Item = &'a Change;
    type IntoIter = Box<dyn Iterator<Item = &'a Change> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Serialize for Changes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Batches are equal when they have the same changes in the same order, however they
/// are split into shared lists.
impl PartialEq for Changes {
    fn eq(&self, other: &Changes) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// A batch read back from its JSON array is one segment.
impl<'de> Deserialize<'de> for Changes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let changes = Vec::<Change>::deserialize(deserializer)?;
        Ok(Changes::from_segments(vec![std::sync::Arc::new(changes)]))
    }
}

#[cfg(test)]
mod tests {
    use super::{Change, Changes, LiveMessage};
    use serde_json::json;

    #[test]
    fn a_message_reads_back_from_the_json_a_client_receives() {
        let message = LiveMessage::Changes {
            subscription: "s1".into(),
            from_seq: 4,
            to_seq: 5,
            committed_at: 1_700_000_000_000_000,
            changes: Changes::from_segments(vec![
                std::sync::Arc::new(vec![Change::Insert {
                    key: vec![json!(1)],
                    row: vec![json!(1), json!("a")],
                }]),
                std::sync::Arc::new(vec![Change::Delete {
                    key: vec![json!(2)],
                    old: vec![json!(2), json!("b")],
                }]),
            ]),
        };
        let mut frame = serde_json::to_value(&message).unwrap();
        // The server puts the client's id beside the message's own fields.
        frame["id"] = json!("mine");
        let read: LiveMessage = serde_json::from_value(frame).unwrap();
        assert_eq!(read, message);
        assert_eq!(read.subscription(), "s1");
    }
}
