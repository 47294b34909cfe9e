//! The data source trait and the source-neutral shapes that cross it: a statement's
//! outcome as columns and JSON rows, a live feed of the engine's `LiveMessage`s, and
//! edits as the grid's JSON cells, typed by the source against its table.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;
use tidepool_engine::{
    split_statements, Actor, Engine, FileFormat, ImportOptions, ImportProgress, ImportReport, LiveMessage, RunOptions,
    SqlStatement, TableDef, TableName,
};

use crate::error::IpcResult;
use crate::ipc::{CatalogView, DatabaseInfo, ResultColumn, WriteResult};

/// An open database, embedded or remote. Each call acts as `actor` (admin sees every
/// user's rows of a USER table; a user only its own).
#[async_trait]
pub trait DataSource: Send + Sync {
    /// What the window, the history and the app's memory call the database: its
    /// folder, or a server's URL.
    fn location(&self) -> &str;

    /// Where the database is and its last commit's seq.
    async fn info(&self) -> IpcResult<DatabaseInfo>;

    /// Namespaces, tables with their kinds, columns and row counts.
    async fn catalog(&self) -> IpcResult<CatalogView>;

    /// Runs one statement of a script (its position makes error positions the
    /// script's). `options` carries the statement timeout and the console's Cancel;
    /// a stopped statement writes nothing. `SUBSCRIBE TO ...` answers a live feed.
    async fn run(&self, actor: &Actor, statement: &SqlStatement, options: &RunOptions) -> IpcResult<Outcome>;

    /// Subscribes to a live query. With `from_seq` the subscriber already has the rows
    /// as of that commit: only later changes follow, or `resync` and a snapshot.
    async fn subscribe(&self, actor: &Actor, sql: &str, from_seq: Option<u64>) -> IpcResult<Box<dyn LiveFeed>>;

    /// Inserts one row given as JSON cells by column; omitted columns take their
    /// defaults.
    async fn insert_row(
        &self,
        actor: &Actor,
        table: &TableName,
        values: BTreeMap<String, Json>,
    ) -> IpcResult<WriteResult>;

    /// Sets one cell of the row with `key` (as a pane lists it: `_user` first for an
    /// admin on a USER table, then the primary key).
    async fn update_cell(
        &self,
        actor: &Actor,
        table: &TableName,
        key: Vec<Json>,
        column: &str,
        value: Json,
    ) -> IpcResult<WriteResult>;

    /// Deletes the rows with these keys in one commit.
    async fn delete_rows(&self, actor: &Actor, table: &TableName, keys: Vec<Vec<Json>>) -> IpcResult<WriteResult>;

    /// Writes the rows of `sql` to the local file `path`; answers how many.
    async fn export(&self, actor: &Actor, sql: &str, format: FileFormat, path: &Path) -> IpcResult<u64>;

    /// Imports a local CSV or Parquet file into an existing table. It may take long:
    /// call it from a thread of its own.
    async fn import(&self, actor: &Actor, job: ImportJob<'_>) -> IpcResult<ImportReport>;

    /// The embedded engine, when the database is a local folder: for what only such a
    /// database has (the demo writer, the Local API). Panes and console never ask.
    fn engine(&self) -> Option<&Engine> {
        None
    }

    /// Runs every statement of `script` in order with no timeout, stopping at the
    /// first error.
    async fn execute(&self, actor: &Actor, script: &str) -> IpcResult<Vec<Outcome>> {
        let mut outcomes = Vec::new();
        for statement in split_statements(script)? {
            outcomes.push(self.run(actor, &statement, &RunOptions::default()).await?);
        }
        Ok(outcomes)
    }
}

/// What one statement produced.
pub enum Outcome {
    /// A query's rows, every one of them, as JSON cells.
    Rows {
        columns: Vec<ResultColumn>,
        rows: Vec<Vec<Json>>,
    },
    /// Rows written.
    Affected(u64),
    /// A statement that returns nothing (DDL).
    Done,
    /// `SUBSCRIBE TO ...`.
    Live(Box<dyn LiveFeed>),
}

/// A live query's messages in the engine's protocol (DESIGN §3): `subscribed`, the
/// snapshot, then changes in commit order. Dropping the feed ends the subscription.
#[async_trait]
pub trait LiveFeed: Send {
    /// The next message, waiting for one; `None` once the feed has ended. Cancel-safe:
    /// a message is taken only when it is returned.
    async fn recv(&mut self) -> Option<LiveMessage>;

    /// The next message if one is ready now.
    fn try_recv(&mut self) -> Option<LiveMessage>;

    /// The table whose rows the feed shows, when it shows one table's rows (not an
    /// aggregate, a join or another derived result): what makes a pane editable.
    fn table(&self) -> Option<Arc<TableDef>>;

    /// The state of the connection under the feed, for a feed that has one (a
    /// server's): it changes when the connection drops and when it is back.
    fn link(&self) -> Option<tokio::sync::watch::Receiver<Link>> {
        None
    }
}

/// The connection under a remote feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Link {
    /// The connection dropped and the feed is trying again: its rows are as of `seq`
    /// and not live. `false` once it is back (it resumed from `seq`, or sent `resync`).
    pub reconnecting: bool,
    pub seq: u64,
    /// Why, and when it tries again.
    pub message: String,
}

/// An import's file, target and options, with its progress callback and cancel flag.
pub struct ImportJob<'a> {
    pub path: &'a Path,
    pub format: FileFormat,
    pub table: &'a TableName,
    pub options: &'a ImportOptions,
    /// Called every 100 ms or so.
    pub progress: &'a mut (dyn FnMut(&ImportProgress) + Send),
    /// Set to stop the import; what it imported so far stays.
    pub cancel: &'a AtomicBool,
}

/// Who a call from the UI acts as: `user`, or admin when it is absent or empty.
pub fn acting_as(user: Option<String>) -> Actor {
    match user {
        Some(user) if !user.trim().is_empty() => Actor::User(user.trim().to_string()),
        _ => Actor::Admin,
    }
}
