//! Every type that crosses the IPC boundary besides the error: command results and
//! event payloads. They are exported to `ui/src/bindings/` with ts-rs
//! (`cargo test --test bindings` fails when the committed files are stale).
//!
//! Cells and keys are JSON values as the engine renders them, except that integers
//! JavaScript cannot hold exactly (beyond ±2^53) travel as decimal strings; the
//! commands accept them back in either form.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use ts_rs::TS;

/// The Local API setting and what it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LocalApiStatus {
    /// The setting: serve the open database to other programs.
    pub enabled: bool,
    /// The port asked for (0: any free one).
    pub port: u16,
    /// Where it listens, while it runs.
    pub url: Option<String>,
    /// The app's admin token for the open database, while it runs.
    pub token: Option<String>,
    /// Why it is not running although enabled (e.g. the port is taken).
    pub error: Option<String>,
}

/// The engine settings the app opens databases with (`engine_settings.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EngineSettings {
    /// The most often a re-evaluated live query (a shape not kept incrementally) runs
    /// again while commits touch the tables it reads, in milliseconds: 1 to 60,000,
    /// 100 by default.
    pub reevaluate_ms: u32,
    /// The longest a console statement may run before it is stopped (with the
    /// `timeout` error, nothing written), in milliseconds: 1 to 86,400,000; `null`
    /// (the default) is no limit. Applies to the next run, not only after reopening.
    #[serde(default)]
    pub statement_timeout_ms: Option<u32>,
    /// fsync every commit before it is acknowledged (`EngineOptions::sync_writes`, what
    /// `tidepool serve --sync` sets): a commit then survives power loss or an OS crash,
    /// not only the app being killed, at the cost of a disk flush per commit. Off by
    /// default; applies when a database is opened.
    #[serde(default)]
    pub sync_writes: bool,
}

/// The engine settings as saved, and those the open database was opened with: saved
/// settings apply when a database is opened.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EngineSettingsStatus {
    pub saved: EngineSettings,
    /// None while no database is open.
    pub open: Option<EngineSettings>,
}

/// The open database.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DatabaseInfo {
    pub path: String,
    pub last_seq: u64,
}

/// The catalog tree's data, sent by `catalog` and by the `catalog` event whenever a
/// commit changes it (tables, row counts).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CatalogView {
    pub database: DatabaseInfo,
    pub namespaces: Vec<CatalogNamespace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CatalogNamespace {
    pub name: String,
    pub tables: Vec<CatalogTable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub enum TableKind {
    #[serde(rename = "USER")]
    User,
    #[serde(rename = "SHARED")]
    Shared,
    #[serde(rename = "STREAM")]
    Stream,
    #[serde(rename = "SYSTEM")]
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CatalogTable {
    pub namespace: String,
    pub name: String,
    pub kind: TableKind,
    /// Stored rows; `null` for SYSTEM tables (computed when read).
    pub rows: Option<u64>,
    pub ttl_seconds: Option<u64>,
    pub columns: Vec<CatalogColumn>,
    /// UNIQUE constraints, each the names of its columns.
    pub unique: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CatalogColumn {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
    pub primary_key: bool,
    /// Shown as SQL, e.g. `SNOWFLAKE_ID()`.
    pub default: Option<String>,
}

/// What `run_sql` did: one output per statement that ran, and the error that stopped
/// the run, if any (earlier statements stay committed, later ones did not run).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConsoleRun {
    pub outputs: Vec<StatementOutput>,
    pub error: Option<StatementFailure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StatementOutput {
    /// The statement's text and where it starts in the script (1-based).
    pub sql: String,
    pub line: u32,
    pub column: u32,
    pub elapsed_ms: f64,
    pub result: StatementResultView,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StatementFailure {
    pub sql: String,
    pub error: crate::error::IpcError,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StatementResultView {
    /// A query's rows; at most `ROW_LIMIT` of them are sent (`row_count` is the total).
    Rows {
        columns: Vec<ResultColumn>,
        rows: Vec<Vec<Json>>,
        row_count: u64,
        truncated: bool,
    },
    Affected {
        rows: u64,
    },
    Done,
    /// `SUBSCRIBE TO ...`: a live pane was opened for it.
    Live {
        pane: PaneInfo,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ResultColumn {
    pub name: String,
    pub sql_type: String,
}

/// One console history entry; the newest is last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryEntry {
    pub sql: String,
    /// Milliseconds since the Unix epoch.
    pub at: f64,
    pub ok: bool,
    pub database: String,
}

/// A live pane: a subscription whose rows the app keeps in order, served to the grid
/// by window (`pane_rows`), with changes announced by `pane` events.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PaneInfo {
    pub pane: String,
    pub generation: u64,
    /// The subscribed query.
    pub sql: String,
    /// `ns.table`: the table edits go to; `null` when the pane cannot be edited
    /// (SYSTEM tables, projections without the key, derived results: aggregates,
    /// joins, DISTINCT, ...).
    pub table: Option<String>,
    /// The acting user; `null` is admin.
    pub user: Option<String>,
    pub columns: Vec<PaneColumn>,
    /// The key columns, in key order (`_user` first for an admin on a USER table), or
    /// of a derived result: the GROUP BY columns of an aggregate, every column of a
    /// DISTINCT, else the row's columns and an `occurrence` number.
    pub key: Vec<String>,
    /// How the engine keeps the result up to date: `incremental` (work per commit
    /// follows the change) or `reevaluate` (re-run when a table it reads changes).
    pub maintenance: String,
    /// The query's ORDER BY, which the rows are kept in (the key breaks ties); empty:
    /// key order.
    pub order_by: Vec<PaneOrder>,
}

/// One ORDER BY term of a pane's query, over a shown column.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PaneOrder {
    pub column: String,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PaneColumn {
    pub name: String,
    pub sql_type: String,
    pub key: bool,
    pub nullable: bool,
    pub editable: bool,
}

/// Rows `start..start + rows.len()` of a pane, in its order, as of `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RowWindow {
    pub generation: u64,
    pub seq: u64,
    pub total: u64,
    pub start: u64,
    pub keys: Vec<Vec<Json>>,
    pub rows: Vec<Vec<Json>>,
    /// Where the requested anchor key is now, if it is still in the pane.
    pub anchor_index: Option<u64>,
    /// The snapshot is still arriving.
    pub loading: bool,
}

/// The result of a write command.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct WriteResult {
    pub seq: u64,
    pub affected: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Insert,
    Update,
    Delete,
}

/// One changed row, for the grid's cues: which row, and for updates which columns.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChangeMark {
    pub op: ChangeOp,
    pub key: Vec<Json>,
    /// Indexes of the columns whose value changed (updates only).
    pub columns: Vec<u32>,
}

/// The `pane` event: what happened to a pane since the previous event, at most one
/// event per pane every 16 ms. `generation` changes when the pane resubscribes; events
/// of an older generation are stale.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaneEvent {
    /// Snapshot rows arrived (`loading` until the last batch); the pane shows the
    /// table as of `seq`.
    Snapshot {
        pane: String,
        generation: u64,
        seq: u64,
        total: u64,
        loading: bool,
    },
    /// The commits `from_seq..=to_seq` were applied: `from_seq` is the previous event's
    /// `to_seq + 1` (or the snapshot's `seq + 1`); anything else is a gap.
    Changes {
        pane: String,
        generation: u64,
        from_seq: u64,
        to_seq: u64,
        /// Commit time of the oldest commit in the event, ms since the Unix epoch.
        committed_at: f64,
        /// How many row changes the event covers.
        count: u64,
        total: u64,
        /// The changed rows, for cues; at most `MARK_LIMIT` (then `truncated`).
        marks: Vec<ChangeMark>,
        truncated: bool,
    },
    /// The pane is paused; `waiting` row changes are held back until resumed.
    Paused {
        pane: String,
        generation: u64,
        waiting: u64,
    },
    /// The pane fell behind and changes were dropped: resubscribe.
    Resync {
        pane: String,
        generation: u64,
        missed_from_seq: u64,
    },
    Error {
        pane: String,
        generation: u64,
        message: String,
    },
    /// The connection under a pane of a server's database dropped (`reconnecting`: the
    /// rows are as of `seq` and no longer live; `message` says why and when it tries
    /// again) or came back (`reconnecting: false`: the pane caught up from `seq` and is
    /// live again; had the server not kept the changes since, a `resync` follows).
    Link {
        pane: String,
        generation: u64,
        reconnecting: bool,
        seq: u64,
        message: String,
    },
    /// The subscription ended (KILL LIVE QUERY, table dropped, database closed).
    Closed {
        pane: String,
        generation: u64,
        reason: String,
    },
}

/// The name of the event carrying `PaneEvent`s, emitted to the pane's window.
pub const PANE_EVENT: &str = "pane";
/// The name of the event carrying the `CatalogView`, emitted to every window.
pub const CATALOG_EVENT: &str = "catalog";

/// Sent with a `LocalApiStatus` when the Local API starts or stops on its own (at
/// start, when another database opens).
pub const LOCAL_API_EVENT: &str = "local-api";

/// An integer cell beyond ±2^53 becomes a decimal string (JSON documents inside a
/// cell are left as they are).
pub fn js_safe(value: Json) -> Json {
    const LIMIT: i64 = 1 << 53;
    match value {
        Json::Number(n) => match n.as_i64() {
            Some(i) if !(-LIMIT..=LIMIT).contains(&i) => Json::String(i.to_string()),
            None if n.as_u64().is_some() => Json::String(n.to_string()),
            _ => Json::Number(n),
        },
        other => other,
    }
}

pub fn js_safe_row(row: &[Json]) -> Vec<Json> {
    row.iter().cloned().map(js_safe).collect()
}

/// What to export: a query's rows (a console result), a pane's rows (its query, as
/// its user), or a whole table.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportSource {
    Query { sql: String, user: Option<String> },
    Pane { pane: String },
    Table { table: String, user: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExportResult {
    pub path: String,
    pub rows: u64,
}

/// A file format name: `csv`, `json` or `parquet`.
pub type FormatName = String;

/// The start of a file to import: its columns with inferred types and first rows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportPreview {
    pub format: FormatName,
    pub columns: Vec<ImportColumn>,
    /// The first rows as text; `null` for an empty field or NULL.
    pub rows: Vec<Vec<Option<String>>>,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportColumn {
    pub name: String,
    /// The narrowest SQL type every sampled value fits.
    pub sql_type: String,
}

/// An import to start.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
pub struct ImportRequest {
    pub path: String,
    /// `ns.table`, which must exist (the UI creates a new one first).
    pub table: String,
    /// Per file column, the table column it goes to (`null`: not imported).
    pub mapping: Vec<Option<String>>,
    /// On a bad row: `stop` (nothing is written) or `skip` (it is reported).
    pub on_error: String,
    pub header: bool,
    /// One character.
    pub delimiter: String,
    pub empty_as_null: bool,
    pub user: Option<String>,
    /// The window created `table` for this import: it is dropped again when the import
    /// ends with it still empty (failed, cancelled, or no row got in).
    pub created_table: bool,
}

/// Sent as the `import` event while an import runs (at most every 100 ms) and once
/// when it ends (`finished` or `error` set).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportEvent {
    pub import: String,
    pub rows: u64,
    pub skipped: u64,
    pub bytes: u64,
    pub total_bytes: u64,
    pub rows_per_second: f64,
    pub finished: Option<ImportFinished>,
    pub error: Option<crate::error::IpcError>,
    /// The table created for the import was dropped again (see `created_table`).
    pub dropped_table: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportFinished {
    pub imported: u64,
    pub skipped: u64,
    /// The first bad rows, with their lines.
    pub errors: Vec<ImportRowError>,
    pub cancelled: bool,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ImportRowError {
    pub line: u64,
    pub message: String,
}

/// A file-dialog filter: a name and the extensions it shows.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
pub struct FileFilter {
    pub name: String,
    pub extensions: Vec<String>,
}

pub const IMPORT_EVENT: &str = "import";

/// The demo database and its writer (`demo.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DemoStatus {
    /// The demo database's folder (made the first time it is opened).
    pub path: String,
    /// The open database is the demo.
    pub open: bool,
    /// The demo writer runs in the open database, paused or not.
    pub running: bool,
    pub paused: bool,
    /// Steps a second; each places, pays, cancels, ships or archives one order.
    pub pace: f64,
    /// Steps taken since the writer started.
    pub steps: u64,
    /// Why the last step failed, or why the demo could not start.
    pub error: Option<String>,
}

/// A database opened before (most recent first).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RecentDatabase {
    pub path: String,
    /// Whether the folder is still there.
    pub exists: bool,
    /// When it was last opened, milliseconds since the Unix epoch.
    pub opened_ms: i64,
}

// Server connections: File → Connect to Server… and the start page (`connections.rs`,
// `commands/connections.rs`). A token never crosses back to the window: it goes from
// the dialog to the server and to the OS keychain only.

/// What a server answered when a URL and token were tried (`GET /v1/status`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ServerCheck {
    /// The server's URL as the app uses it: `http(s)://host:port`.
    pub url: String,
    /// `admin`, or the user the token acts as.
    pub acting_as: String,
    /// The token may act as any user (the acting user selector applies).
    pub is_admin: bool,
    /// Where the database is on the server's machine.
    pub database: String,
    pub last_seq: u64,
    /// The server's Tidepool version.
    pub version: String,
}

/// Where a connection's token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenKept {
    /// In the OS keychain: the saved connection opens without asking for it.
    Keychain,
    /// There is no keychain to keep it in: held in memory until the app quits, then
    /// asked for again.
    Session,
    /// The connection was not saved: the token is forgotten with it.
    NotSaved,
}

/// The OS keychain the tokens of saved connections go to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct KeychainStatus {
    pub available: bool,
    /// What it is called on this system (e.g. "the macOS Keychain").
    pub name: String,
    /// Why it is not available.
    pub error: Option<String>,
}

/// A server connection saved for later. Its token is not in it: it is in the OS
/// keychain (or, without one, held until the app quits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SavedConnection {
    pub id: String,
    pub name: String,
    /// `http(s)://host:port`.
    pub url: String,
    /// The CA certificate file trusted for this server instead of the system's roots.
    pub ca_cert: Option<String>,
    /// Who the token acted as when it was last used.
    pub acting_as: Option<String>,
    /// When it was last opened, milliseconds since the Unix epoch.
    pub last_used_ms: Option<i64>,
}

/// The saved connections, most recently used first, and the keychain their tokens
/// are kept in.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConnectionList {
    pub connections: Vec<SavedConnection>,
    pub keychain: KeychainStatus,
}

/// The server whose database is open.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ServerConnection {
    /// The saved connection it was opened from, if it is saved.
    pub id: Option<String>,
    pub name: String,
    pub server: ServerCheck,
    pub ca_cert: Option<String>,
    pub token: TokenKept,
    /// Why the token could not go to the keychain, when it was to be saved.
    pub keychain_error: Option<String>,
}

/// A saved connection that needs its token typed (the keychain has none, or the server
/// refused it), and why: the connect dialog asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TokenRequest {
    pub connection: SavedConnection,
    pub reason: String,
}

/// Sent when File → Connect to Server… is chosen (`null`: a new connection) or a saved
/// server chosen from File → Open Recent needs its token (a `TokenRequest`): the
/// window shows its connect dialog.
pub const CONNECT_EVENT: &str = "connect-server";
