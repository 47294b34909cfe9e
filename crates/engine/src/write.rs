//! The write transaction. Every statement that changes anything — rows or catalog —
//! runs inside one `Txn`: it holds the engine's writer lock (writes are serialised, so
//! a read-modify-write such as UPDATE cannot lose a concurrent change), buffers its
//! puts and deletes in one RocksDB `WriteBatch`, sees its own pending writes, and on
//! `commit` takes the next sequence number and writes batch + sequence atomically.
//! Dropped without `commit`, nothing happens.

use std::collections::HashMap;
use std::sync::MutexGuard;

use rocksdb::WriteBatch;

use crate::catalog::{TableDef, TableKind};
use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::live::capture::{image, Capture};
use crate::live::history::History;
use crate::storage::keys;
use crate::storage::row::{decode_row, encode_row, row_time};
use crate::types::Value;

pub(crate) struct Txn<'a> {
    inner: &'a Inner,
    /// The writer lock; what it guards is where this transaction's changed rows are
    /// captured, for tables someone subscribes to.
    capture: MutexGuard<'a, Capture>,
    batch: WriteBatch,
    /// Pending row writes (None = deleted), so the statement reads its own writes.
    pending: HashMap<Vec<u8>, Option<Vec<u8>>>,
    count_deltas: HashMap<u64, i64>,
    /// Keys of STREAM rows inserted by this transaction, oldest first (MAX_ROWS).
    stream_inserts: Vec<Vec<u8>>,
    /// Tables whose rows this transaction deletes wholesale (DROP TABLE).
    dropped: Vec<u64>,
    watched: HashMap<u64, bool>,
    /// Commit time of this transaction, stamped on every row it writes.
    pub now_micros: i64,
    /// The statement this transaction writes for: its commit claims it first, and
    /// fails when the statement was stopped (`queries`).
    control: Option<std::sync::Arc<crate::queries::Control>>,
}

impl<'a> Txn<'a> {
    pub fn begin(inner: &'a Inner) -> Txn<'a> {
        // A panic while holding the lock cannot leave a half-written batch behind (the
        // batch is only written in `commit`), so a poisoned lock is safe to take over.
        let capture = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        Txn::with(inner, capture)
    }

    /// Begins at once if no other writer holds the lock (so a caller on an async
    /// thread need not move to a blocking one); `None` if one does.
    pub fn try_begin(inner: &'a Inner) -> Option<Txn<'a>> {
        let capture = match inner.writer.try_lock() {
            Ok(capture) => capture,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(Txn::with(inner, capture))
    }

    fn with(inner: &'a Inner, mut capture: MutexGuard<'a, Capture>) -> Txn<'a> {
        capture.clear();
        Txn {
            inner,
            capture,
            batch: WriteBatch::default(),
            pending: HashMap::new(),
            count_deltas: HashMap::new(),
            stream_inserts: Vec::new(),
            dropped: Vec::new(),
            watched: HashMap::new(),
            now_micros: inner.clock.now_micros(),
            control: None,
        }
    }

    /// Writes for `control`'s statement: nothing is written once it is stopped.
    pub fn stopped_by(&mut self, control: Option<std::sync::Arc<crate::queries::Control>>) {
        self.control = control;
    }

    /// Whether the statement this transaction writes for was stopped (checked between
    /// rows of a long write).
    pub fn check_stopped(&self) -> Result<()> {
        self.control.as_ref().map_or(Ok(()), |c| c.check())
    }

    /// Reads a row key, seeing this transaction's pending writes.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.pending.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.inner.store.get(key),
        }
    }

    /// Puts a non-row key (catalog, counters).
    pub fn put_meta(&mut self, key: &[u8], value: &[u8]) {
        self.batch.put(key, value);
    }

    pub fn delete_meta(&mut self, key: &[u8]) {
        self.batch.delete(key);
    }

    /// Deletes every key in `[start, end)` (DROP TABLE).
    pub fn delete_range(&mut self, start: &[u8], end: &[u8]) {
        self.dropped.extend(keys::data_table_id(start));
        self.batch.delete_range(start, end);
    }

    /// Inserts a new row; a present key is a duplicate-key error.
    pub fn insert(&mut self, table: &TableDef, owner: Option<&str>, values: Vec<Value>) -> Result<()> {
        check_row(table, &values)?;
        let key = row_key(table, owner, &values);
        if self.get(&key)?.is_some() {
            return Err(duplicate(table, &values));
        }
        if table.kind == TableKind::Stream {
            self.stream_inserts.push(key.clone());
        }
        self.index_unique(table, owner, &key, &values)?;
        let encoded = encode_row(self.now_micros, &values);
        if self.watches(table) {
            self.capture.push(table.id, owner, None, Some(&encoded));
        }
        self.put_row(table, key, encoded);
        *self.count_deltas.entry(table.id).or_default() += 1;
        Ok(())
    }

    /// Keeps a STREAM table within its MAX_ROWS by evicting its oldest rows: first the
    /// committed ones, then — if this statement alone inserted more than the limit —
    /// the earliest of its own.
    pub fn enforce_max_rows(&mut self, table: &TableDef) -> Result<()> {
        let Some(max) = table.max_rows else {
            return Ok(());
        };
        let mut excess = self.row_count(table) - max as i64;
        if excess <= 0 {
            return Ok(());
        }
        let oldest: Vec<Vec<u8>> = self
            .inner
            .store
            .prefix(&keys::stream_index_prefix(table.id))
            .take(excess as usize)
            .map(|item| item.map(|(k, _)| keys::row_key_of_index_entry(&k)))
            .collect::<Result<_>>()?;
        for key in oldest.iter().chain(std::mem::take(&mut self.stream_inserts).iter()) {
            if excess == 0 {
                break;
            }
            if self.delete(table, key)? {
                excess -= 1;
            }
        }
        Ok(())
    }

    /// Replaces the row stored under `old_key` by `values`, moving it when the primary
    /// key changed (a key that another row holds is a duplicate-key error).
    pub fn update(&mut self, table: &TableDef, owner: Option<&str>, old_key: &[u8], values: Vec<Value>) -> Result<()> {
        check_row(table, &values)?;
        let key = row_key(table, owner, &values);
        let old = match self.watches(table) {
            true => self.get(old_key)?.map(|bytes| image(table, bytes)).transpose()?,
            false => None,
        };
        let moved = key != old_key;
        if moved {
            if self.get(&key)?.is_some() {
                return Err(duplicate(table, &values));
            }
            self.remove_row(table, old_key)?;
        } else if !table.unique.is_empty() {
            if let Some(stored) = self.get(old_key)? {
                self.unindex_unique(table, old_key, &stored)?;
            }
        }
        self.index_unique(table, owner, &key, &values)?;
        let encoded = encode_row(self.now_micros, &values);
        if let Some(old) = old {
            // A row that changes its key leaves under the old key and arrives under the new one.
            if moved {
                self.capture.push(table.id, owner, Some(&old), None);
                self.capture.push(table.id, owner, None, Some(&encoded));
            } else {
                self.capture.push(table.id, owner, Some(&old), Some(&encoded));
            }
        }
        self.put_row(table, key, encoded);
        Ok(())
    }

    /// Deletes the row under `key`; returns whether there was one.
    pub fn delete(&mut self, table: &TableDef, key: &[u8]) -> Result<bool> {
        let old = match self.watches(table) {
            true => self.get(key)?.map(|bytes| image(table, bytes)).transpose()?,
            false => None,
        };
        let existed = self.remove_row(table, key)?;
        if existed {
            *self.count_deltas.entry(table.id).or_default() -= 1;
        }
        if let Some(old) = old {
            let owner = match table.kind {
                TableKind::User => Some(keys::decode_key_text(&key[keys::data_prefix_len()..])?.0),
                _ => None,
            };
            self.capture.push(table.id, owner.as_deref(), Some(&old), None);
        }
        Ok(existed)
    }

    /// Whether row images must be captured for `table` (asked once per transaction:
    /// subscriptions register under the writer lock this transaction holds).
    fn watches(&mut self, table: &TableDef) -> bool {
        let (live, history) = (&self.inner.live, &self.capture.history);
        *self
            .watched
            .entry(table.id)
            .or_insert_with(|| live.watches(history, table.id))
    }

    /// Puts a row in its stored encoding (`encode_row` of this transaction's time).
    fn put_row(&mut self, table: &TableDef, key: Vec<u8>, encoded: Vec<u8>) {
        if table.kind == TableKind::Stream {
            self.batch
                .put(keys::stream_index_key(table.id, self.now_micros, &key), []);
        }
        self.batch.put(&key, &encoded);
        self.pending.insert(key, Some(encoded));
    }

    fn remove_row(&mut self, table: &TableDef, key: &[u8]) -> Result<bool> {
        let Some(old) = self.get(key)? else {
            return Ok(false);
        };
        if table.kind == TableKind::Stream {
            self.batch
                .delete(keys::stream_index_key(table.id, row_time(&old)?, key));
        }
        self.unindex_unique(table, key, &old)?;
        self.batch.delete(key);
        self.pending.insert(key.to_vec(), None);
        Ok(true)
    }

    /// Claims the UNIQUE index entries of the row stored under `row_key` with `values`;
    /// an entry another row holds is a violation. A constraint with a NULL among its
    /// values claims nothing (NULLs are never equal).
    fn index_unique(&mut self, table: &TableDef, owner: Option<&str>, row_key: &[u8], values: &[Value]) -> Result<()> {
        for (n, columns) in table.unique.iter().enumerate() {
            if columns.iter().any(|&i| values[i].is_null()) {
                continue;
            }
            let entry = keys::unique_index_key(table.id, n, owner, columns.iter().map(|&i| &values[i]));
            match self.get(&entry)? {
                Some(holder) if holder != row_key => return Err(unique_violation(table, columns, values)),
                Some(_) => {}
                None => {
                    self.batch.put(&entry, row_key);
                    self.pending.insert(entry, Some(row_key.to_vec()));
                }
            }
        }
        Ok(())
    }

    /// Releases the UNIQUE index entries of the row stored under `row_key` as `stored`
    /// (for an update that keeps the row's key, before it claims its new values).
    fn unindex_unique(&mut self, table: &TableDef, row_key: &[u8], stored: &[u8]) -> Result<()> {
        if table.unique.is_empty() {
            return Ok(());
        }
        let owner = match table.kind {
            TableKind::User => Some(keys::decode_key_text(&row_key[keys::data_prefix_len()..])?.0),
            _ => None,
        };
        let (_, mut values) = decode_row(stored)?;
        // Rows stored before a column was added read its fill value.
        values.extend(
            table.columns[values.len().min(table.columns.len())..]
                .iter()
                .map(|c| c.fill_value()),
        );
        for (n, columns) in table.unique.iter().enumerate() {
            if columns.iter().any(|&i| values[i].is_null()) {
                continue;
            }
            // The entry is this row's: a value is claimed by one row at a time.
            let entry = keys::unique_index_key(table.id, n, owner.as_deref(), columns.iter().map(|&i| &values[i]));
            self.batch.delete(&entry);
            self.pending.insert(entry, None);
        }
        Ok(())
    }

    /// The live history, for DDL that changes what earlier commits' rows mean.
    pub fn live_history(&mut self) -> &mut History {
        &mut self.capture.history
    }

    /// The number of rows `table` will hold once this transaction commits.
    pub fn row_count(&self, table: &TableDef) -> i64 {
        self.inner.row_count(table.id) + self.count_deltas.get(&table.id).copied().unwrap_or(0)
    }

    /// Forgets the row count of a dropped table.
    pub fn drop_count(&mut self, table_id: u64) {
        self.count_deltas.remove(&table_id);
        self.batch.delete(keys::count_key(table_id));
    }

    /// Writes everything atomically and returns the commit's sequence number. The
    /// writer lock stays held until the transaction is dropped, so the caller can
    /// publish catalog changes before any other writer runs.
    pub fn commit(&mut self) -> Result<u64> {
        if let Some(control) = &self.control {
            control.begin_commit()?;
        }
        let seq = self.inner.last_seq() + 1;
        let mut batch = std::mem::take(&mut self.batch);
        batch.put(keys::SEQ, seq.to_be_bytes());
        let mut counts = self.inner.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mut new_counts = Vec::with_capacity(self.count_deltas.len());
        for (&table_id, &delta) in &self.count_deltas {
            let count = counts.get(&table_id).copied().unwrap_or(0) + delta;
            batch.put(keys::count_key(table_id), count.to_be_bytes());
            new_counts.push((table_id, count));
        }
        {
            // Scans that keep decoded rows learn which of them this commit makes stale.
            let _under_way = self
                .inner
                .scan_cache
                .begin_commit(self.pending.keys().map(Vec::as_slice), &self.dropped);
            self.inner.store.write(batch)?;
        }
        self.dropped.clear();
        counts.extend(new_counts);
        self.inner.set_last_seq(seq);
        self.inner.live.publish(&mut self.capture, seq, self.now_micros);
        self.count_deltas.clear();
        self.pending.clear();
        Ok(seq)
    }
}

/// The RocksDB key of a row: table, owner (USER tables), primary-key values.
pub(crate) fn row_key(table: &TableDef, owner: Option<&str>, values: &[Value]) -> Vec<u8> {
    key_of(table, owner, table.primary_key.iter().map(|&i| &values[i]))
}

/// The RocksDB key of the row whose primary-key values are `key`, in key order.
pub(crate) fn key_of<'v>(table: &TableDef, owner: Option<&str>, key: impl IntoIterator<Item = &'v Value>) -> Vec<u8> {
    let mut out = keys::data_prefix(table.id);
    if let Some(owner) = owner {
        keys::encode_key_value(&mut out, &Value::Text(owner.to_string()));
    }
    for value in key {
        keys::encode_key_value(&mut out, value);
    }
    out
}

/// Every row written must have all its columns, with NOT NULL ones set.
fn check_row(table: &TableDef, values: &[Value]) -> Result<()> {
    if values.len() != table.columns.len() {
        return Err(Error::InvalidArgument(format!(
            "a row of {} has {} values, expected {}",
            table.full_name(),
            values.len(),
            table.columns.len()
        )));
    }
    match table
        .columns
        .iter()
        .zip(values)
        .find(|(c, v)| !c.nullable && v.is_null())
    {
        Some((column, _)) => Err(Error::NotNull {
            table: table.full_name(),
            column: column.name.clone(),
        }),
        None => Ok(()),
    }
}

fn unique_violation(table: &TableDef, columns: &[usize], values: &[Value]) -> Error {
    let values: Vec<String> = columns.iter().map(|&i| values[i].to_string()).collect();
    Error::Unique {
        table: table.full_name(),
        columns: table.column_list(columns),
        values: format!("({})", values.join(", ")),
    }
}

fn duplicate(table: &TableDef, values: &[Value]) -> Error {
    let key = table
        .primary_key
        .iter()
        .map(|&i| format!("{} = {}", table.columns[i].name, values[i]))
        .collect::<Vec<_>>()
        .join(", ");
    Error::DuplicateKey {
        table: table.full_name(),
        key: format!("({key})"),
    }
}
