//! The RocksDB handle. One database directory; every commit is one `WriteBatch`,
//! written only while the disk has room for it (`space`).

use std::path::Path;

use rocksdb::{Direction, IteratorMode, Options, ReadOptions, WriteBatch, WriteOptions, DB};

use super::space::{Space, WRITE_BUFFER};
use crate::error::{Error, Result};

/// What a whole-table scan asks the OS to read ahead.
const SCAN_READAHEAD: usize = 2 << 20;

/// A stored key and its value.
pub(crate) type KeyValue = (Box<[u8]>, Box<[u8]>);

pub(crate) struct Store {
    db: DB,
    write_options: WriteOptions,
    /// Room on the database's volume, asked before every write.
    space: Space,
}

impl Store {
    /// Opens (creating if needed) the database in `path`. With `sync` every commit is
    /// fsynced; without it a commit is in the OS page cache when it returns, which
    /// survives a killed process (the WAL is written before the call returns) but not a
    /// power loss.
    pub fn open(path: &Path, sync: bool) -> Result<Store> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.set_compression_type(rocksdb::DBCompressionType::Lz4);
        options.set_max_background_jobs(2);
        options.set_write_buffer_size(WRITE_BUFFER as usize);
        // Compactions run at the lowest CPU priority: they yield to writers, readers and
        // the delivery of changes to live queries, which someone waits for. Flushes keep
        // theirs: a starved flush would stall writes.
        if let Ok(mut env) = rocksdb::Env::new() {
            env.lower_thread_pool_cpu_priority();
            options.set_env(&env);
        }
        let db = DB::open(&options, path).map_err(|e| {
            let message = e.into_string();
            if message.contains("lock") {
                Error::Storage(format!(
                    "database {} is in use by another process ({message})",
                    path.display()
                ))
            } else {
                Error::Storage(format!("cannot open database {}: {message}", path.display()))
            }
        })?;
        let mut write_options = WriteOptions::default();
        write_options.set_sync(sync);
        Ok(Store {
            db,
            write_options,
            space: Space::new(path),
        })
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?)
    }

    /// Writes `batch` atomically: all of it or, on an error, none of it. A full disk
    /// is `Error::DiskFull` (see `space`).
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        let size = batch.size_in_bytes() as u64;
        self.space.admit(size, || self.memtables())?;
        self.space
            .await_recovery(|| self.db.write_opt(WriteBatch::default(), &self.write_options).is_ok());
        let result = self.db.write_opt(batch, &self.write_options).map_err(Error::from);
        self.space.written(&result);
        result
    }

    /// Bytes in the memtables, which their next flush writes to disk (at most).
    fn memtables(&self) -> u64 {
        self.db
            .property_int_value("rocksdb.cur-size-all-mem-tables")
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// Key/value pairs with `start <= key < end`, in key order, from a consistent
    /// point-in-time view taken when the iterator is created.
    pub fn range(&self, start: &[u8], end: &[u8]) -> impl Iterator<Item = Result<KeyValue>> + '_ {
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(end.to_vec());
        self.db
            .iterator_opt(IteratorMode::From(start, Direction::Forward), read)
            .map(|item| item.map_err(Error::from))
    }

    /// Calls `f` with each key/value pair of `[start, end)` in key order, borrowed
    /// from the iterator (nothing copied), until it returns false: from `snapshot`, or
    /// from a view taken now. Read options suit a scan: the OS reads ahead, and a
    /// scan of many blocks does not push hot ones out of the block cache (`whole`: the
    /// scan reads a table from end to end).
    pub fn scan(
        &self,
        snapshot: Option<&rocksdb::Snapshot<'_>>,
        start: &[u8],
        end: &[u8],
        whole: bool,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(end.to_vec());
        if whole {
            read.set_readahead_size(SCAN_READAHEAD);
            read.fill_cache(false);
        }
        if let Some(snapshot) = snapshot {
            read.set_snapshot(snapshot);
        }
        let mut iterator = self.db.raw_iterator_opt(read);
        iterator.seek(start);
        while let (Some(key), Some(value)) = (iterator.key(), iterator.value()) {
            if !f(key, value)? {
                return Ok(());
            }
            iterator.next();
        }
        Ok(iterator.status()?)
    }

    /// Keys that cut `[start, end)` into `parts` ranges of about equal key spans (for
    /// scans read in parallel): the first and last keys' bytes after their common
    /// prefix are read as numbers and the span between them divided evenly. Keys are
    /// compared as bytes, so every such point lies between the two. Nothing when the
    /// range holds fewer than two keys.
    pub fn split_points(
        &self,
        snapshot: Option<&rocksdb::Snapshot<'_>>,
        start: &[u8],
        end: &[u8],
        parts: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(end.to_vec());
        if let Some(snapshot) = snapshot {
            read.set_snapshot(snapshot);
        }
        let mut iterator = self.db.raw_iterator_opt(read);
        iterator.seek(start);
        let Some(first) = iterator.key().map(<[u8]>::to_vec) else {
            return Ok(Vec::new());
        };
        iterator.seek_to_last();
        let Some(last) = iterator.key().map(<[u8]>::to_vec) else {
            return Ok(Vec::new());
        };
        iterator.status()?;
        let common = first.iter().zip(&last).take_while(|(a, b)| a == b).count();
        if parts < 2 || first >= last || common >= first.len().min(last.len()) {
            return Ok(Vec::new());
        }
        let number = |key: &[u8]| {
            let mut bytes = [0u8; 8];
            for (i, b) in key[common..].iter().take(8).enumerate() {
                bytes[i] = *b;
            }
            u64::from_be_bytes(bytes)
        };
        let (low, high) = (number(&first), number(&last));
        Ok((1..parts as u64)
            .map(|k| {
                let point = low + ((high - low) as u128 * k as u128 / parts as u128) as u64;
                [&first[..common], &point.to_be_bytes()[..]].concat()
            })
            .collect())
    }

    /// A point-in-time view of the whole database.
    pub fn snapshot(&self) -> rocksdb::Snapshot<'_> {
        self.db.snapshot()
    }

    /// Like `range`, but reading from `snapshot`.
    pub fn range_at<'a>(
        &'a self,
        snapshot: &rocksdb::Snapshot<'a>,
        start: &[u8],
        end: &[u8],
    ) -> impl Iterator<Item = Result<KeyValue>> + 'a {
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(end.to_vec());
        snapshot
            .iterator_opt(IteratorMode::From(start, Direction::Forward), read)
            .map(|item| item.map_err(Error::from))
    }

    pub fn prefix(&self, prefix: &[u8]) -> impl Iterator<Item = Result<KeyValue>> + '_ {
        let end = super::keys::prefix_end(prefix);
        self.range(prefix, &end)
    }

    /// Bytes on disk (SST and WAL), as RocksDB estimates them.
    pub fn disk_size(&self) -> u64 {
        let prop = |name: &str| self.db.property_int_value(name).ok().flatten().unwrap_or(0);
        prop("rocksdb.total-sst-files-size") + prop("rocksdb.cur-size-all-mem-tables")
    }
}
