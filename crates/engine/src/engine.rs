//! The engine handle: opens a database directory, loads the catalog, sequence number
//! and row counts, and owns the background STREAM evictor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use crate::catalog::{Catalog, Namespace, TableDef, TableKind, TableName};
use crate::error::{Error, Result};
use crate::live::capture::Capture;
use crate::live::manager::LiveManager;
use crate::session::{Actor, Session};
use crate::storage::keys;
use crate::storage::row::{decode_row, row_time};
use crate::storage::Store;
use crate::tokens::{TokenInfo, Tokens};
use crate::types::Value;
use crate::write::Txn;

/// Where the engine reads the time from. Tests use a manual clock to expire STREAM
/// rows without sleeping.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock starting at `micros` since the Unix epoch.
    pub fn manual(micros: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(micros)))
    }

    pub fn now_micros(&self) -> i64 {
        match self {
            Clock::System => system_micros(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Clock::Manual(t) = self {
            t.fetch_add(by.as_micros() as i64, Ordering::SeqCst);
        }
    }
}

/// The app's identifier: the default database lives in the OS app-data folder for it.
pub const APP_IDENTIFIER: &str = "dev.tidepool.studio";

fn system_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// fsync every commit (survives power loss, slower). Without it a commit survives
    /// the process being killed.
    pub sync_writes: bool,
    pub clock: Clock,
    /// How often expired STREAM rows are evicted; `None` turns the evictor off.
    pub evict_interval: Option<Duration>,
    /// Changed rows a live subscription may have queued and unread; beyond that it is
    /// sent to resync. Bounds the memory a slow subscriber can hold.
    pub live_queue_rows: usize,
    /// Changed rows of recent commits kept for subscribers that resume from a seq
    /// (only for tables that have had a subscriber); 0 keeps none.
    pub live_history_rows: usize,
    /// How long a busy live-query fan-out lets commits gather before it takes them
    /// together: the most a change waits for it, against waking it for every commit.
    pub live_tick: Duration,
    /// The most often a live query that is kept by re-evaluation (a shape not
    /// maintained incrementally) is re-run while commits touch the tables it reads.
    pub live_reevaluate_interval: Duration,
    /// Keep the shapes that can be kept incrementally that way (the default); `false`
    /// re-evaluates every live query, to compare the two (benchmarks, tests).
    pub live_incremental: bool,
    /// Run the statements people run most (INSERT ... VALUES; SELECT, UPDATE, DELETE of
    /// one row by its whole key) without DataFusion's planner, with the same answers
    /// (`sql::direct`; the default). `false` plans every statement, to compare the two
    /// (a batch of prepared writes, `Session::execute_prepared_batch`, still writes
    /// directly: DataFusion has no plan for many parameter rows in one transaction).
    pub sql_direct: bool,
    /// Stops a statement that runs longer than this (nothing it would write is
    /// written); `None`: no limit. A call can ask for less (`RunOptions::timeout`),
    /// never more.
    pub statement_timeout: Option<Duration>,
    /// The memory one statement's sorts, joins and aggregates may hold (DataFusion's
    /// memory pool): past it they spill to disk, or fail with `resources_exhausted`.
    /// `None`: no limit.
    pub statement_memory: Option<usize>,
    /// Bytes of decoded rows scans may keep in memory for the next scan of the same
    /// rows (`sql::scan_cache`; exact across commits); 0 keeps none.
    pub scan_cache: usize,
}

/// The memory one statement may hold by default: a quarter of the machine's memory
/// up to 4 GiB (1 GiB where it cannot be read).
pub fn default_statement_memory() -> usize {
    const GIB: usize = 1 << 30;
    machine_memory().map_or(GIB, |t| (t / 4).clamp(256 << 20, 4 * GIB))
}

/// The decoded rows scans keep by default: a sixteenth of the machine's memory,
/// between 64 and 512 MiB (256 MiB where it cannot be read).
pub fn default_scan_cache() -> usize {
    machine_memory().map_or(256 << 20, |t| (t / 16).clamp(64 << 20, 512 << 20))
}

/// The machine's memory in bytes, where the system says (Linux's /proc/meminfo).
fn machine_memory() -> Option<usize> {
    std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .map(|kb| kb * 1024)
    })
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            sync_writes: false,
            clock: Clock::System,
            evict_interval: Some(Duration::from_secs(1)),
            live_queue_rows: 100_000,
            live_history_rows: 100_000,
            live_tick: Duration::from_micros(250),
            live_reevaluate_interval: Duration::from_millis(100),
            live_incremental: true,
            sql_direct: true,
            statement_timeout: None,
            statement_memory: Some(default_statement_memory()),
            scan_cache: default_scan_cache(),
        }
    }
}

/// An open database. Cheap to clone; the directory is closed when the last clone
/// (and every session made from it) is dropped.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

/// A RocksDB snapshot that owns what it reads from, so scans on other threads (a
/// re-evaluated live query's) can share it: every table read through it shows commit
/// `seq`, however many writers commit meanwhile.
pub(crate) struct PinnedSnapshot {
    snapshot: rocksdb::Snapshot<'static>,
    pub seq: u64,
    _inner: Arc<Inner>,
}

impl PinnedSnapshot {
    pub fn get(&self) -> &rocksdb::Snapshot<'_> {
        &self.snapshot
    }
}

impl std::fmt::Debug for PinnedSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinnedSnapshot(seq {})", self.seq)
    }
}

pub(crate) struct Inner {
    pub path: PathBuf,
    pub store: Store,
    pub catalog: RwLock<Catalog>,
    /// Serialises writers (see `write.rs`), and holds what they capture for live queries.
    pub writer: Mutex<Capture>,
    last_seq: AtomicU64,
    pub counts: Mutex<HashMap<u64, i64>>,
    pub clock: Clock,
    pub live: LiveManager,
    pub tokens: Tokens,
    /// `EngineOptions::sql_direct`.
    pub sql_direct: bool,
    /// Counts catalog changes: a plan made at one version is stale at another.
    pub catalog_version: AtomicU64,
    /// The statements running now (`system.queries`, `KILL QUERY`).
    pub queries: Arc<crate::queries::Queries>,
    /// `EngineOptions::statement_timeout`.
    pub statement_timeout: Option<Duration>,
    /// `EngineOptions::statement_memory`.
    pub statement_memory: Option<usize>,
    /// Decoded rows kept between scans (`EngineOptions::scan_cache`).
    pub scan_cache: crate::sql::scan_cache::ScanCache,
}

impl Engine {
    pub fn open(path: impl AsRef<Path>) -> Result<Engine> {
        Engine::open_with(path, EngineOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: EngineOptions) -> Result<Engine> {
        let path = path.as_ref();
        std::fs::create_dir_all(path).map_err(|e| Error::Storage(format!("cannot create {}: {e}", path.display())))?;
        let store = Store::open(path, options.sync_writes)?;
        let last_seq = match store.get(keys::SEQ)? {
            Some(bytes) => u64::from_be_bytes(
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::Storage("corrupt sequence number".into()))?,
            ),
            None => 0,
        };
        let mut catalog = Catalog::default();
        for item in store.prefix(keys::NAMESPACE_PREFIX) {
            let (_, value) = item?;
            let ns: Namespace = decode_json(&value)?;
            catalog.namespaces.insert(ns.name.clone(), ns);
        }
        let mut counts = HashMap::new();
        for item in store.prefix(keys::TABLE_PREFIX) {
            let (_, value) = item?;
            let table: TableDef = decode_json(&value)?;
            let count = store
                .get(&keys::count_key(table.id))?
                .and_then(|b| b.as_slice().try_into().ok().map(i64::from_be_bytes))
                .unwrap_or(0);
            counts.insert(table.id, count);
            catalog
                .tables
                .insert(TableName::new(&table.namespace, &table.name), Arc::new(table));
        }
        let tokens = Tokens::load(&store)?;
        let inner = Arc::new(Inner {
            path: path.to_path_buf(),
            store,
            catalog: RwLock::new(catalog),
            writer: Mutex::new(Capture::new(options.live_history_rows)),
            last_seq: AtomicU64::new(last_seq),
            counts: Mutex::new(counts),
            clock: options.clock,
            live: LiveManager::start(
                options.live_queue_rows,
                options.live_tick,
                options.live_reevaluate_interval,
                options.live_incremental,
            ),
            tokens,
            sql_direct: options.sql_direct,
            catalog_version: AtomicU64::new(0),
            queries: Default::default(),
            statement_timeout: options.statement_timeout,
            statement_memory: options.statement_memory,
            scan_cache: crate::sql::scan_cache::ScanCache::new(options.scan_cache),
        });
        if let Some(interval) = options.evict_interval {
            spawn_evictor(Arc::downgrade(&inner), interval);
        }
        Ok(Engine { inner })
    }

    /// A session acting as `actor`.
    pub fn session(&self, actor: Actor) -> Session {
        Session::new(self.clone(), actor)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Bytes of decoded rows scans keep in memory now (`EngineOptions::scan_cache`).
    pub fn scan_cache_bytes(&self) -> usize {
        self.inner.scan_cache.used()
    }

    /// The statements running now that `actor` may see (`system.queries`).
    pub fn running_queries(&self, actor: &Actor) -> Vec<crate::queries::RunningQuery> {
        self.inner.queries.list(actor)
    }

    /// Stops a running statement (`KILL QUERY`): an admin any, a user their own.
    pub fn kill_query(&self, id: u64, by: &Actor) -> Result<()> {
        self.inner.queries.kill(id, by)
    }

    /// The sequence number of the last commit.
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// A table's definition.
    pub fn table(&self, name: &TableName) -> Result<Arc<TableDef>> {
        self.inner.table(name)
    }

    /// Creates an API token acting as `user` (admin when `None`). Returns its
    /// description and its text, which is not stored and cannot be shown again.
    pub fn create_token(&self, user: Option<&str>, label: &str) -> Result<(TokenInfo, String)> {
        crate::tokens::create(&self.inner, user, label)
    }

    /// Revokes a token by id; requests with it are refused from now on.
    pub fn revoke_token(&self, id: &str) -> Result<()> {
        crate::tokens::revoke(&self.inner, id)
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Vec<TokenInfo> {
        self.inner.tokens.list()
    }

    /// Who a token acts as, if it is a valid, unrevoked token.
    pub fn authenticate(&self, token: &str) -> Option<TokenInfo> {
        self.inner.tokens.authenticate(token)
    }

    /// Records that `event` happened in this database; true only the first time (e.g.
    /// `tidepool serve`'s first start, which prints an admin token once).
    pub fn first_time(&self, event: &str) -> Result<bool> {
        let key = keys::event_key(event);
        let mut txn = Txn::begin(&self.inner);
        if self.inner.store.get(&key)?.is_some() {
            return Ok(false);
        }
        txn.put_meta(&key, &txn.now_micros.to_be_bytes());
        txn.commit()?;
        Ok(true)
    }

    /// Waits until every change committed so far has been handed to its subscriptions
    /// (re-evaluated queries included: each has run since the commits that touched it).
    pub async fn live_flushed(&self) {
        self.inner.live.flushed().await
    }

    /// Deletes STREAM rows whose TTL has passed, one commit per table; returns how many
    /// rows went. The background evictor calls this; tests call it directly.
    pub fn evict_expired(&self) -> Result<usize> {
        self.inner.evict_expired()
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("path", &self.path).finish()
    }
}

impl Inner {
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    /// The database as of the last commit, readable from any thread for as long as the
    /// returned handle lives. Taken under the writer lock, it is exactly commit `seq`.
    pub fn pin_snapshot(self: &Arc<Inner>) -> PinnedSnapshot {
        let snapshot = self.store.snapshot();
        // SAFETY: the snapshot borrows the RocksDB handle inside `Inner`'s heap
        // allocation, which does not move and which the `Arc` held beside it keeps
        // alive; the snapshot is declared first, so it is released before that `Arc`.
        let snapshot: rocksdb::Snapshot<'static> = unsafe { std::mem::transmute(snapshot) };
        PinnedSnapshot {
            snapshot,
            seq: self.last_seq(),
            _inner: self.clone(),
        }
    }

    pub fn set_last_seq(&self, seq: u64) {
        self.last_seq.store(seq, Ordering::SeqCst);
    }

    pub fn row_count(&self, table_id: u64) -> i64 {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&table_id)
            .copied()
            .unwrap_or(0)
    }

    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn catalog_mut(&self) -> std::sync::RwLockWriteGuard<'_, Catalog> {
        let catalog = self.catalog.write().unwrap_or_else(|p| p.into_inner());
        // Counted under the lock: whoever reads the version under the read lock and
        // then plans has planned against that version or a later catalog.
        self.catalog_version.fetch_add(1, Ordering::SeqCst);
        catalog
    }

    /// The catalog's version, read under its lock (see `catalog_mut`).
    pub fn catalog_version(&self) -> u64 {
        let _catalog = self.catalog();
        self.catalog_version.load(Ordering::SeqCst)
    }

    pub fn table(&self, name: &TableName) -> Result<Arc<TableDef>> {
        self.catalog().table(name)
    }

    /// The oldest commit time a STREAM row may have and still be visible.
    pub fn stream_cutoff(&self, table: &TableDef) -> Option<i64> {
        let ttl = table.ttl_seconds?;
        Some(self.clock.now_micros() - (ttl as i64).saturating_mul(1_000_000))
    }

    /// Reads the rows of `table` with keys in `[start, end)` (skipping expired STREAM
    /// rows when `hide_expired`): from `snapshot` when given, else from a view taken now.
    pub fn rows<'a>(
        &'a self,
        table: &'a TableDef,
        snapshot: Option<&'a rocksdb::Snapshot<'a>>,
        hide_expired: bool,
        start: &[u8],
        end: &[u8],
    ) -> impl Iterator<Item = Result<StoredRow>> + 'a {
        let cutoff = self.stream_cutoff(table).filter(|_| hide_expired);
        let items: Box<dyn Iterator<Item = Result<crate::storage::KeyValue>> + 'a> = match snapshot {
            Some(snapshot) => Box::new(self.store.range_at(snapshot, start, end)),
            None => Box::new(self.store.range(start, end)),
        };
        items.filter_map(move |item| {
            let decoded = (|| {
                let (key, bytes) = item?;
                if let Some(cutoff) = cutoff {
                    if row_time(&bytes)? <= cutoff {
                        return Ok(None);
                    }
                }
                let values = decode_values(table, &bytes)?;
                let owner = if table.kind == TableKind::User {
                    Some(keys::decode_key_text(&key[keys::data_prefix_len()..])?.0)
                } else {
                    None
                };
                Ok(Some(StoredRow { owner, values }))
            })();
            decoded.transpose()
        })
    }

    fn evict_expired(&self) -> Result<usize> {
        let streams: Vec<Arc<TableDef>> = self
            .catalog()
            .tables
            .values()
            .filter(|t| t.kind == TableKind::Stream)
            .cloned()
            .collect();
        let mut evicted = 0;
        for table in streams {
            let Some(cutoff) = self.stream_cutoff(&table) else {
                continue;
            };
            let mut txn = Txn::begin(self);
            // The table may have been dropped or altered while we were not holding the lock.
            let Some(table) = self.catalog().tables.values().find(|t| t.id == table.id).cloned() else {
                continue;
            };
            let prefix = keys::stream_index_prefix(table.id);
            let mut expired = Vec::new();
            for item in self.store.prefix(&prefix) {
                let (index_key, _) = item?;
                if keys::index_entry_time(&index_key) > cutoff {
                    break;
                }
                expired.push(keys::row_key_of_index_entry(&index_key));
            }
            for key in &expired {
                txn.delete(&table, key)?;
            }
            if !expired.is_empty() {
                txn.commit()?;
                evicted += expired.len();
            }
        }
        Ok(evicted)
    }
}

/// A row as read from storage.
pub(crate) struct StoredRow {
    pub owner: Option<String>,
    pub values: Vec<Value>,
}

fn spawn_evictor(inner: Weak<Inner>, interval: Duration) {
    let spawned = std::thread::Builder::new()
        .name("tidepool-evictor".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let Some(inner) = inner.upgrade() else {
                return;
            };
            // A failed eviction is retried on the next tick; expired rows stay hidden
            // from scans meanwhile.
            let _ = inner.evict_expired();
        });
    // Should the thread fail to start, expired rows stay hidden from scans; only the disk space waits.
    drop(spawned);
}

/// A stored row's values in table column order; columns added after the row was
/// written read as their fill value.
pub(crate) fn decode_values(table: &TableDef, bytes: &[u8]) -> Result<Vec<Value>> {
    let (_, mut values) = decode_row(bytes)?;
    values.truncate(table.columns.len());
    for column in &table.columns[values.len()..] {
        values.push(column.fill_value());
    }
    Ok(values)
}

pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Storage(format!("corrupt catalog entry: {e}")))
}
