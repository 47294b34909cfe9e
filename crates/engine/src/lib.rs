//! Tidepool's engine: RocksDB storage, DataFusion SQL and live queries, with no
//! dependency on any front door. The app, the `tidepool` CLI and the local API server
//! all drive it through [`Engine`] and [`Session`].
//!
//! # The life of a write
//!
//! 1. **Text to statements** (`sql::parse`): a script is tokenized once and split on
//!    top-level semicolons; each statement remembers its line and column, and is parsed
//!    from text padded to that position, so every syntax error points into the script.
//! 2. **Our statements or DataFusion's** (`session`): namespaces, CREATE/DROP/ALTER
//!    TABLE, SHOW, DESCRIBE and EXECUTE AS USER are handled by the engine (`sql::ddl`);
//!    INSERT, UPDATE, DELETE and every query are planned by DataFusion against the
//!    session's providers (`sql::provider`), which see the database as the session's
//!    acting user, once every `*` has been rewritten not to show the generated `_id` of
//!    a table without PRIMARY KEY (`sql::wildcard`).
//! 3. **Plans that write** (`sql::dml`): INSERT collects its input rows. UPDATE and
//!    DELETE are turned, before DataFusion's optimizer runs, into a write over the
//!    statement's *selection* (`sql::dml_plan`): a plain query returning the key (DELETE)
//!    or the new and old images (UPDATE) of exactly the rows the WHERE selects, which
//!    the optimizer may rewrite like any SELECT and which runs under the writer lock.
//!    Nothing is written while planning, so EXPLAIN never writes.
//! 4. **One transaction** (`write`): the writer lock is taken, every change goes into
//!    one RocksDB `WriteBatch` together with the next sequence number `seq` and the
//!    table's new row count; NOT NULL, duplicate keys and STREAM MAX_ROWS are checked
//!    there, so SQL and the typed API (`typed`) obey the same rules. An error drops
//!    the batch: a failed statement changes nothing.
//! 5. **Storage** (`storage`): rows live under `d | table id | [user] | primary key`
//!    in an order-preserving encoding, so primary-key lookups and ranges are seeks.
//!
//! # The life of a read
//!
//! DataFusion calls `scan` with the projection, the filters it could push and a limit;
//! `TidepoolScan` (`sql::scan`) reads the key ranges on a blocking thread from a
//! RocksDB iterator (a consistent snapshot), hides expired STREAM rows, and streams
//! Arrow batches. `EXPLAIN` shows the ranges it will read. `export` streams a query's
//! batches into Arrow's CSV, JSON or Parquet writer; `import` goes the other way, row
//! by row through the typed write path.
//!
//! # The life of a subscription
//!
//! `live::query` compiles the SELECT once; `live::subscription` registers it under the
//! writer lock and sends a snapshot of exactly that commit (or, resuming from a seq,
//! the kept changes since, from `live::history`); every later commit's row images
//! (captured by the writer in their stored encoding, `live::capture`) reach it through
//! `live::manager`'s ordered queue and fan-out thread, which decodes them and turns
//! them into inserts, updates and deletes as its filter sees them (`live::delta`).
//! Front doors authenticate with `tokens` (API tokens stored as hashes).

mod app_data;
mod catalog;
mod convert;
mod engine;
mod error;
mod export;
mod import;
mod live;
mod queries;
mod results;
mod session;
mod sql;
mod storage;
mod suggest;
mod summary;
mod tokens;
mod typed;
mod types;
mod write;

pub use app_data::default_database_dir;
pub use catalog::{
    ColumnDef, DefaultExpr, TableDef, TableKind, TableName, DEFAULT_NAMESPACE, GENERATED_KEY_COLUMN, SYSTEM_NAMESPACE,
    USER_COLUMN,
};
pub use engine::{Clock, Engine, EngineOptions, APP_IDENTIFIER};
pub use error::{Error, ObjectKind, Position, Result};
pub use export::FileFormat;
pub use import::{
    preview, CsvOptions, FilePreview, ImportOptions, ImportProgress, ImportReport, OnError, PreviewColumn, RowError,
};
pub use live::{Change, Changes, LiveColumn, LiveMessage, OrderKey, Subscription};
pub use queries::{CancelHandle, RunningQuery};
pub use results::{cell_json, column_type_name, rows_json};
pub use session::{Actor, Prepared, RunOptions, Session, StatementResult};
pub use sql::parse::{split_statements, SqlStatement};
pub use summary::{NamespaceSummary, TableSummary};
pub use tokens::TokenInfo;
pub use typed::{Row, WriteOutcome};
pub use types::{SqlType, Value};

/// Arrow, re-exported so front doors format results with the same version.
pub use datafusion::arrow;
