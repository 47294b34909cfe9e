//! Row changes as a committing writer captures them for live queries.
//!
//! Under the writer lock, a transaction appends each changed row of a watched table to
//! one buffer that lives as long as the engine: the table, the owner of a USER row, and
//! the old and new images in their stored encoding (which the writer has made anyway
//! for RocksDB). At commit the transaction's part of the buffer becomes a `Captured`,
//! a shared slice of it, which goes to the fan-out queue and to the history kept beside
//! the buffer.
//!
//! So the writer allocates nothing per commit that another thread frees: its row values
//! are dropped where they were made, as they are with no subscriber, and a buffer is
//! only given up, to whichever thread drops its last slice, when it is full. The rows
//! are decoded on the fan-out thread, and only those of tables someone subscribes to.
//! (A writer whose values were freed by the fan-out spent a tenth of its time in the
//! allocator, collecting them.)

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::catalog::TableDef;
use crate::engine::decode_values;
use crate::error::{Error, Result};
use crate::live::history::History;
use crate::storage::row::{decode_row, encode_row, row_time, row_width};
use crate::types::Value;

const OWNER: u8 = 1;
const OLD: u8 = 2;
const NEW: u8 = 4;

/// How much a capture buffer takes at once: many commits' worth, so buffers are given up
/// rarely. (`BytesMut` allocates at least its first capacity whenever the buffer it
/// writes into is still shared, grows by doubling within a large transaction, and
/// writes again into a buffer whose commits have all been dropped.)
const CHUNK: usize = 64 * 1024;

/// What the engine's writer lock guards for live queries: the buffer commits capture
/// their changed rows in, and the history of recent commits (for subscribers that
/// resume). Only a writer or a registering subscriber, holding the lock, touches them,
/// so keeping a commit takes no lock of its own.
pub(crate) struct Capture {
    buf: BytesMut,
    rows: usize,
    pub history: History,
    /// Rows handed to the fan-out queue so far (the fan-out counts those it took).
    pub queued_total: u64,
}

impl Capture {
    pub fn new(history_rows: usize) -> Capture {
        Capture {
            buf: BytesMut::with_capacity(CHUNK),
            rows: 0,
            history: History::new(history_rows),
            queued_total: 0,
        }
    }

    /// Forgets what an uncommitted transaction captured (a new transaction starts).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.rows = 0;
    }

    /// Captures one changed row: its stored images before (`old`) and after (`new`).
    pub fn push(&mut self, table_id: u64, owner: Option<&str>, old: Option<&[u8]>, new: Option<&[u8]>) {
        let flags = owner.map_or(0, |_| OWNER) | old.map_or(0, |_| OLD) | new.map_or(0, |_| NEW);
        let parts = [owner.map(str::as_bytes), old, new];
        self.buf
            .reserve(9 + parts.iter().flatten().map(|p| 4 + p.len()).sum::<usize>());
        self.buf.put_u64_le(table_id);
        self.buf.put_u8(flags);
        for part in parts.into_iter().flatten() {
            self.buf.put_u32_le(part.len() as u32);
            self.buf.put_slice(part);
        }
        self.rows += 1;
    }

    /// What the transaction captured, as a slice the buffer shares; the capture is
    /// empty again.
    pub fn take(&mut self) -> Captured {
        let rows = std::mem::take(&mut self.rows);
        if rows == 0 {
            return Captured::default();
        }
        Captured {
            bytes: self.buf.split().freeze(),
            rows,
        }
    }
}

/// A stored image of a row of `table` as a live query reads it: with exactly the
/// table's columns, so a row written before ALTER TABLE ADD COLUMN has the fill value.
pub(crate) fn image(table: &TableDef, stored: Vec<u8>) -> Result<Vec<u8>> {
    if row_width(&stored)? == table.columns.len() {
        return Ok(stored);
    }
    Ok(encode_row(row_time(&stored)?, &decode_values(table, &stored)?))
}

/// One commit's captured row changes (of any tables), cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    bytes: Bytes,
    rows: usize,
}

impl Captured {
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The tables the changes are in (with repeats), without decoding any row.
    pub fn tables(&self) -> impl Iterator<Item = u64> + '_ {
        self.raw().map(|raw| raw.table_id)
    }

    /// The changes of the tables `keep` accepts, decoded; an error, rather than fewer
    /// rows, if the capture is not what `Capture::push` wrote.
    pub fn decode(&self, keep: impl Fn(u64) -> bool) -> Result<Vec<RowChange>> {
        let values = |image: Option<&[u8]>| {
            image
                .map(|bytes| decode_row(bytes).map(|(_, values)| values))
                .transpose()
        };
        let mut seen = 0;
        let mut rows = Vec::new();
        for raw in self.raw() {
            seen += 1;
            if !keep(raw.table_id) {
                continue;
            }
            rows.push(RowChange {
                table_id: raw.table_id,
                owner: raw
                    .owner
                    .map(|o| String::from_utf8(o.to_vec()).map_err(|_| corrupt()))
                    .transpose()?,
                old: values(raw.old)?,
                new: values(raw.new)?,
            });
        }
        if seen != self.rows {
            return Err(corrupt());
        }
        Ok(rows)
    }

    fn raw(&self) -> Raw<'_> {
        Raw { rest: &self.bytes }
    }
}

/// Commits' captured changes of the tables `keep` accepts, decoded: (seq, commit time,
/// rows) each.
pub(crate) fn decode_commits<'a>(
    commits: impl Iterator<Item = (u64, i64, &'a Captured)>,
    keep: impl Fn(u64) -> bool,
) -> Result<Vec<(u64, i64, Vec<RowChange>)>> {
    commits
        .map(|(seq, at, changes)| Ok((seq, at, changes.decode(&keep)?)))
        .collect()
}

/// One row changed by a commit, decoded, with its images in table column order.
#[derive(Debug, Clone)]
pub(crate) struct RowChange {
    pub table_id: u64,
    /// The owner of a USER table row.
    pub owner: Option<String>,
    pub old: Option<Vec<Value>>,
    pub new: Option<Vec<Value>>,
}

struct RawChange<'a> {
    table_id: u64,
    owner: Option<&'a [u8]>,
    old: Option<&'a [u8]>,
    new: Option<&'a [u8]>,
}

/// The captured changes in order, borrowed from the buffer. The buffer is only ever
/// written by `Capture::push`, so it is well formed; were it not, iteration stops there
/// (and `decode` says so).
struct Raw<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Raw<'a> {
    type Item = RawChange<'a>;

    fn next(&mut self) -> Option<RawChange<'a>> {
        if self.rest.remaining() < 9 {
            return None;
        }
        let table_id = self.rest.get_u64_le();
        let flags = self.rest.get_u8();
        let mut part = |flag: u8| -> Option<Option<&'a [u8]>> {
            if flags & flag == 0 {
                return Some(None);
            }
            if self.rest.remaining() < 4 {
                return None;
            }
            let len = self.rest.get_u32_le() as usize;
            let rest: &'a [u8] = self.rest;
            let bytes = rest.get(..len)?;
            self.rest = &rest[len..];
            Some(Some(bytes))
        };
        let (owner, old, new) = (part(OWNER), part(OLD), part(NEW));
        match (owner, old, new) {
            (Some(owner), Some(old), Some(new)) => Some(RawChange {
                table_id,
                owner,
                old,
                new,
            }),
            _ => {
                self.rest = &[];
                None
            }
        }
    }
}

fn corrupt() -> Error {
    Error::Storage("a captured row change is not valid".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_changes_decode_to_what_was_pushed_and_commits_do_not_share_rows() {
        let mut capture = Capture::new(0);
        let a = encode_row(1, &[Value::BigInt(1), Value::Text("one".into())]);
        let b = encode_row(2, &[Value::BigInt(1), Value::Null]);
        capture.push(7, None, None, Some(&a));
        capture.push(8, Some("alice"), Some(&a), Some(&b));
        let first = capture.take();
        capture.push(7, None, Some(&b), None);
        capture.clear();
        capture.push(9, Some("bob"), Some(&b), None);
        let second = capture.take();

        assert_eq!((first.rows(), second.rows()), (2, 1));
        assert_eq!(first.tables().collect::<Vec<_>>(), [7, 8]);
        let rows = first.decode(|_| true).unwrap();
        assert_eq!(rows[0].owner, None);
        assert_eq!(rows[0].old, None);
        assert_eq!(rows[0].new, Some(vec![Value::BigInt(1), Value::Text("one".into())]));
        assert_eq!(rows[1].owner.as_deref(), Some("alice"));
        assert_eq!(rows[1].old, rows[0].new);
        assert_eq!(rows[1].new, Some(vec![Value::BigInt(1), Value::Null]));
        assert_eq!(first.decode(|t| t == 8).unwrap().len(), 1);
        let truncated = Captured {
            bytes: first.bytes.slice(..first.bytes.len() - 1),
            rows: 2,
        };
        assert!(truncated.decode(|_| true).is_err());
        let rows = second.decode(|_| true).unwrap();
        assert_eq!(
            (rows.len(), rows[0].table_id, rows[0].owner.as_deref()),
            (1, 9, Some("bob"))
        );
        assert_eq!(rows[0].new, None);
    }

    #[test]
    fn the_buffer_is_written_again_once_its_commits_are_dropped_and_kept_ones_stay_intact() {
        let mut capture = Capture::new(0);
        let row = encode_row(1, &[Value::BigInt(1), Value::Text("x".repeat(100))]);
        for _ in 0..10_000 {
            capture.push(1, None, None, Some(&row));
            drop(capture.take());
        }
        assert!(capture.buf.capacity() <= CHUNK, "{}", capture.buf.capacity());

        // Commits still held keep their rows while the writer moves on to new buffers,
        // and a transaction larger than a chunk is captured whole.
        let kept: Vec<Captured> = (0..2_000)
            .map(|_| {
                capture.push(1, None, None, Some(&row));
                capture.take()
            })
            .collect();
        for _ in 0..5_000 {
            capture.push(2, None, Some(&row), Some(&row));
        }
        let large = capture.take();
        assert!(kept
            .iter()
            .all(|c| c.decode(|_| true).unwrap()[0].new.as_ref().unwrap()[1] == Value::Text("x".repeat(100))));
        assert_eq!(large.rows(), 5_000);
        assert!(large
            .decode(|_| true)
            .unwrap()
            .iter()
            .all(|c| c.table_id == 2 && c.old == c.new));
    }
}
