//! Decoded rows kept between scans, exact across commits.
//!
//! Reading a table from RocksDB costs about 150 ns a row however few columns a query
//! wants (the iterator's merge, key comparisons, block decoding), a few times what a
//! B-tree pays for rows that sit side by side in a page. So a scan keeps what it
//! decoded: a table's key space is cut into *segments* of about `SEGMENT_ROWS` rows,
//! each holding its rows as one Arrow batch of every column (plus the encoded keys, to
//! cut out any key range), and the next scan takes a segment's batch instead of
//! reading its rows again — only the columns it projects, zero-copy.
//!
//! Exactness rests on two engine-wide counters and one mark per segment:
//! - every commit counts itself in `started` before its batch reaches RocksDB and in
//!   `finished` once it has (also when the write fails), and marks each segment it
//!   writes a row into with its `started` number (`Segment::written`);
//! - a scan reads `finished`, takes its RocksDB snapshot, then reads `started`: equal,
//!   no commit was under way, so the snapshot holds exactly commits `1..=f` — the
//!   scan's *moment* `f`. Otherwise it reads RocksDB alone, as without the cache;
//! - decoded rows are kept with the moment they were read at, and serve a scan at
//!   moment `f` only if the segment's last write is no later than both moments: no
//!   commit touched the segment between them, so the rows are the same.
//!
//! A commit that runs while a scan reads is therefore seen either in the scan's moment
//! or as a mark that makes the rows it kept stale. Segments are only created (or cut
//! in two) by a scan whose moment is still the latest commit when it installs them,
//! under the lock commits take to mark segments, so no commit can miss a new segment.
//! A table whose columns changed (ALTER TABLE) starts over; a dropped table's segments
//! go with it. STREAM tables (rows expire by time) and reads at a pinned past commit
//! do not use the cache. Memory is bounded (`EngineOptions::scan_cache`): past it, the
//! least recently scanned tables are dropped from the cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use datafusion::arrow::array::{Array, BinaryArray};
use datafusion::arrow::record_batch::RecordBatch;

use crate::catalog::ColumnDef;
use crate::storage::keys;

/// Rows per segment when a scan cuts new ones; a segment that has grown past twice
/// this is cut again when it is next read.
pub(crate) const SEGMENT_ROWS: usize = 4096;

pub(crate) struct ScanCache {
    /// Bytes of decoded rows the cache may hold; 0 turns it off.
    budget: usize,
    /// Bytes held now (each `Rows` counts itself while it lives).
    used: Arc<AtomicUsize>,
    started: AtomicU64,
    finished: AtomicU64,
    tables: RwLock<HashMap<u64, Arc<TableCache>>>,
    /// Ticks for least-recently-scanned eviction.
    clock: AtomicU64,
}

/// One table's segments, in key order, covering parts of its key space (gaps are
/// parts no scan has cut yet).
pub(crate) struct TableCache {
    id: u64,
    /// The columns the kept rows were decoded for.
    columns: Vec<ColumnDef>,
    segments: RwLock<Vec<Arc<Segment>>>,
    last_used: AtomicU64,
}

pub(crate) struct Segment {
    /// The keys `[lo, hi)` this segment stands for.
    pub lo: Vec<u8>,
    pub hi: Vec<u8>,
    /// The `started` number of the last commit that wrote a row of this segment.
    written: AtomicU64,
    rows: Mutex<Option<Arc<Rows>>>,
}

/// A segment's rows as read at one moment.
pub(crate) struct Rows {
    keys: BinaryArray,
    /// Every column of the table (`_user` first for a USER table).
    batch: RecordBatch,
    at: u64,
    bytes: usize,
    used: Arc<AtomicUsize>,
}

impl Drop for Rows {
    fn drop(&mut self) {
        self.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// Rows read from the store, every column, with their keys.
pub(crate) type Chunk = (BinaryArray, RecordBatch);

/// Marks a commit as under way until dropped (`ScanCache::begin_commit`).
pub(crate) struct CommitMark<'a>(&'a ScanCache);

impl Drop for CommitMark<'_> {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::SeqCst);
    }
}

/// What a scan does with one stretch of its key range, in key order.
pub(crate) enum Piece {
    /// Kept rows, every column, already cut to the range.
    Kept(RecordBatch),
    /// Read `[lo, hi)` from the store; keep what is read (every column) in `segment`.
    Refill(Arc<Segment>),
    /// Read `[lo, hi)` from the store and cut it into new segments.
    Fill(Vec<u8>, Vec<u8>),
    /// Read `[lo, hi)` from the store, only the projected columns; keep nothing.
    Read(Vec<u8>, Vec<u8>),
}

impl ScanCache {
    pub fn new(budget: usize) -> ScanCache {
        ScanCache {
            budget,
            used: Arc::new(AtomicUsize::new(0)),
            started: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            tables: RwLock::new(HashMap::new()),
            clock: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// Bytes of decoded rows held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    /// Called by a commit before its batch is written, with the keys of every row it
    /// writes and the tables it drops; the commit counts as under way until the mark
    /// is dropped.
    pub fn begin_commit<'k>(&self, row_keys: impl Iterator<Item = &'k [u8]>, dropped: &[u64]) -> CommitMark<'_> {
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let mark = CommitMark(self);
        {
            let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
            if !tables.is_empty() {
                for key in row_keys {
                    let Some(table) = keys::data_table_id(key).and_then(|id| tables.get(&id)) else {
                        continue;
                    };
                    let segments = table.segments.read().unwrap_or_else(|p| p.into_inner());
                    let i = segments.partition_point(|s| s.lo.as_slice() <= key);
                    if let Some(segment) = i.checked_sub(1).map(|i| &segments[i]) {
                        if key < segment.hi.as_slice() {
                            segment.written.store(number, Ordering::SeqCst);
                        }
                    }
                }
            }
        }
        if !dropped.is_empty() {
            let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
            for id in dropped {
                tables.remove(id);
            }
        }
        mark
    }

    /// Takes a view of the store with `take` and says which commits it holds: `Some(f)`
    /// when exactly commits `1..=f` (no commit was under way), else `None`.
    pub fn moment<T>(&self, take: impl FnOnce() -> T) -> (T, Option<u64>) {
        let finished = self.finished.load(Ordering::SeqCst);
        let view = take();
        let started = self.started.load(Ordering::SeqCst);
        (view, (finished == started).then_some(finished))
    }

    /// The table's segments, started over if its columns changed.
    pub fn table(&self, id: u64, columns: &[ColumnDef]) -> Arc<TableCache> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        if let Some(table) = self.tables.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
            if table.columns == columns {
                table.last_used.store(tick, Ordering::Relaxed);
                return table.clone();
            }
        }
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        let table = tables
            .entry(id)
            .or_insert_with(|| Arc::new(TableCache::new(id, columns, tick)));
        if table.columns != columns {
            *table = Arc::new(TableCache::new(id, columns, tick));
        }
        table.last_used.store(tick, Ordering::Relaxed);
        table.clone()
    }

    /// How a scan at moment `at` reads `[start, end)` of `table`: kept rows where they
    /// are current, the store elsewhere. `cut`: stretches no segment covers yet may be
    /// cut into new ones (a scan of a whole table or a whole owner's rows: a narrow key
    /// range would leave slivers).
    pub fn plan(&self, table: &TableCache, start: &[u8], end: &[u8], at: u64, cut: bool) -> Vec<Piece> {
        let segments = table.segments.read().unwrap_or_else(|p| p.into_inner());
        let first = segments.partition_point(|s| s.hi.as_slice() <= start);
        let mut pieces = Vec::new();
        let mut position = start.to_vec();
        for segment in segments[first..].iter().take_while(|s| s.lo.as_slice() < end) {
            if position.as_slice() < segment.lo.as_slice() {
                let gap = (position.clone(), segment.lo.clone());
                pieces.push(if cut {
                    Piece::Fill(gap.0, gap.1)
                } else {
                    Piece::Read(gap.0, gap.1)
                });
                position = segment.lo.clone();
            }
            let stop = std::cmp::min(end, segment.hi.as_slice()).to_vec();
            let whole = position == segment.lo && stop == segment.hi;
            match segment.current(at) {
                Some(rows) => pieces.push(Piece::Kept(rows.cut(&position, &stop))),
                None if whole => pieces.push(Piece::Refill(segment.clone())),
                None => pieces.push(Piece::Read(position.clone(), stop.clone())),
            }
            position = stop;
        }
        if position.as_slice() < end {
            let gap = (position, end.to_vec());
            pieces.push(if cut {
                Piece::Fill(gap.0, gap.1)
            } else {
                Piece::Read(gap.0, gap.1)
            });
        }
        pieces
    }

    /// Keeps rows a scan at moment `at` read for a whole segment, in chunks of up to
    /// `SEGMENT_ROWS` rows with their keys; a segment that has grown past one chunk is
    /// replaced by one segment per chunk (only while `at` is still the latest commit).
    pub fn refill(&self, table: &TableCache, segment: &Arc<Segment>, chunks: Vec<Chunk>, at: u64) {
        if chunks.len() > 1 {
            self.install(table, &segment.lo, &segment.hi, chunks, at, Some(segment));
            return;
        }
        if let Some((keys, batch)) = chunks.into_iter().next() {
            if let Some(rows) = self.rows(table, keys, batch, at) {
                segment.keep(rows);
            }
        }
    }

    /// Makes new segments, one per chunk, of rows a scan at moment `at` read for
    /// `[lo, hi)` where no segment was — if no commit came since.
    pub fn fill(&self, table: &TableCache, lo: &[u8], hi: &[u8], chunks: Vec<Chunk>, at: u64) {
        self.install(table, lo, hi, chunks, at, None);
    }

    fn install(
        &self,
        table: &TableCache,
        lo: &[u8],
        hi: &[u8],
        chunks: Vec<Chunk>,
        at: u64,
        replacing: Option<&Arc<Segment>>,
    ) {
        // Each chunk starts at its first key; the first at `lo`, the last ends at `hi`.
        let mut bounds: Vec<Vec<u8>> = vec![lo.to_vec()];
        bounds.extend(chunks.iter().skip(1).map(|(keys, _)| keys.value(0).to_vec()));
        bounds.push(hi.to_vec());
        // Segments whose rows do not fit the budget are made all the same, empty: a
        // later scan fills them when there is room.
        let mut cuts = Vec::with_capacity(chunks.len());
        for (i, (keys, batch)) in chunks.into_iter().enumerate() {
            let rows = self.rows(table, keys, batch, at);
            cuts.push(Arc::new(Segment {
                lo: bounds[i].clone(),
                hi: bounds[i + 1].clone(),
                // Rows read at `at` serve scans at `at` or later only.
                written: AtomicU64::new(at),
                rows: Mutex::new(rows.map(Arc::new)),
            }));
        }
        let mut segments = table.segments.write().unwrap_or_else(|p| p.into_inner());
        // A commit after `at` may have written into the stretch without a segment to
        // mark: install only while `at` is the latest (commits mark under this lock).
        if self.started.load(Ordering::SeqCst) != at {
            return;
        }
        let i = segments.partition_point(|s| s.lo.as_slice() < lo);
        match replacing {
            Some(old) => {
                if segments.get(i).is_some_and(|s| Arc::ptr_eq(s, old)) {
                    segments.splice(i..=i, cuts);
                }
            }
            None => {
                let free = segments.get(i).is_none_or(|s| s.lo.as_slice() >= hi)
                    && i.checked_sub(1).is_none_or(|p| segments[p].hi.as_slice() <= lo);
                if free {
                    segments.splice(i..i, cuts);
                }
            }
        }
    }

    /// Rows to keep, if they fit the budget (evicting the least recently scanned
    /// other tables to make room).
    fn rows(&self, table: &TableCache, keys: BinaryArray, batch: RecordBatch, at: u64) -> Option<Rows> {
        let bytes = batch.get_array_memory_size() + keys.get_array_memory_size();
        if bytes > self.budget {
            return None;
        }
        while self.used() + bytes > self.budget {
            let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
            let victim = tables
                .values()
                .filter(|t| t.id != table.id)
                .min_by_key(|t| t.last_used.load(Ordering::Relaxed))
                .map(|t| t.id);
            match victim {
                Some(id) => {
                    tables.remove(&id);
                }
                None => return None,
            }
        }
        self.used.fetch_add(bytes, Ordering::SeqCst);
        Some(Rows {
            keys,
            batch,
            at,
            bytes,
            used: self.used.clone(),
        })
    }
}

impl TableCache {
    fn new(id: u64, columns: &[ColumnDef], tick: u64) -> TableCache {
        TableCache {
            id,
            columns: columns.to_vec(),
            segments: RwLock::new(Vec::new()),
            last_used: AtomicU64::new(tick),
        }
    }
}

impl Segment {
    /// The kept rows, if they are this segment's rows at moment `at`.
    fn current(&self, at: u64) -> Option<Arc<Rows>> {
        let rows = self.rows.lock().unwrap_or_else(|p| p.into_inner()).clone()?;
        // Read at the same moment, or no write to the segment since the earlier of the
        // two: the same rows.
        let written = self.written.load(Ordering::SeqCst);
        (rows.at == at || written <= rows.at.min(at)).then_some(rows)
    }

    fn keep(&self, rows: Rows) {
        let mut kept = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        // A later moment's rows stay current longer.
        if kept.as_ref().is_none_or(|k| k.at <= rows.at) {
            *kept = Some(Arc::new(rows));
        }
    }
}

impl Rows {
    /// The rows with keys in `[start, end)`.
    fn cut(&self, start: &[u8], end: &[u8]) -> RecordBatch {
        let n = self.keys.len();
        let find = |bound: &[u8]| {
            let (mut lo, mut hi) = (0, n);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if self.keys.value(mid) < bound {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let (from, to) = (find(start), find(end));
        self.batch.slice(from, to - from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BinaryArray, Int64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    fn key(n: u8) -> Vec<u8> {
        let mut key = keys::data_prefix(7);
        key.push(n);
        key
    }

    fn chunk(ns: &[u8]) -> Chunk {
        let keys: Vec<Vec<u8>> = ns.iter().map(|&n| key(n)).collect();
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let values = Int64Array::from(ns.iter().map(|&n| i64::from(n)).collect::<Vec<_>>());
        let batch = RecordBatch::try_new(schema, vec![Arc::new(values)]).unwrap();
        (BinaryArray::from_iter_values(keys), batch)
    }

    fn kept(pieces: &[Piece]) -> Vec<usize> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Kept(batch) => batch.num_rows(),
                _ => usize::MAX,
            })
            .collect()
    }

    #[test]
    fn a_commit_under_way_leaves_no_moment() {
        let cache = ScanCache::new(1 << 20);
        assert_eq!(cache.moment(|| ()).1, Some(0));
        let mark = cache.begin_commit(std::iter::empty(), &[]);
        assert_eq!(cache.moment(|| ()).1, None, "a commit under way");
        drop(mark);
        assert_eq!(cache.moment(|| ()).1, Some(1));
    }

    #[test]
    fn a_commit_makes_only_its_segments_stale_for_later_moments() {
        let cache = ScanCache::new(1 << 20);
        let table = cache.table(7, &[]);
        let (lo, hi) = (key(0), key(200));
        assert!(matches!(cache.plan(&table, &lo, &hi, 0, true)[..], [Piece::Fill(..)]));
        let rows: Vec<u8> = (0..100).collect();
        let chunks = rows.chunks(40).map(chunk).collect();
        cache.fill(&table, &lo, &hi, chunks, 0);
        assert_eq!(kept(&cache.plan(&table, &lo, &hi, 0, true)), [40, 40, 20]);
        // A key range takes the part of each segment it covers.
        assert_eq!(kept(&cache.plan(&table, &key(30), &key(45), 0, false)), [10, 5]);

        // Commit 1 writes key 50 (the second segment).
        drop(cache.begin_commit([key(50).as_slice()].into_iter(), &[]));
        let pieces = cache.plan(&table, &lo, &hi, 1, true);
        assert!(
            matches!(pieces[1], Piece::Refill(_)),
            "the written segment is read again"
        );
        assert_eq!(kept(&pieces)[0], 40);
        assert_eq!(kept(&pieces)[2], 20);
        // A scan at the moment the rows were read still takes them.
        assert_eq!(kept(&cache.plan(&table, &lo, &hi, 0, true)), [40, 40, 20]);

        // Rows read at a moment a commit has since passed are not put in place.
        drop(cache.begin_commit(std::iter::empty(), &[]));
        let other = cache.table(8, &[]);
        cache.fill(&other, &lo, &hi, vec![chunk(&[1, 2])], 1);
        assert!(matches!(cache.plan(&other, &lo, &hi, 2, true)[..], [Piece::Fill(..)]));

        // A dropped table's rows go.
        assert!(cache.used() > 0);
        drop(cache.begin_commit(std::iter::empty(), &[7]));
        drop((table, pieces));
        assert_eq!(cache.used(), 0);
    }
}
