//! The embedded engine as a data source: a database folder opened in this process.
//! Every call opens a `Session` acting as the caller's user, as each command did before
//! the seam; the catalog is read from the engine's summary (`catalog.rs`) and grid
//! edits are typed against the table's columns (`edit.rs`) for the engine's typed
//! write API.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;
use tidepool_engine::{
    column_type_name, rows_json, Actor, Engine, FileFormat, ImportReport, LiveMessage, RunOptions, SqlStatement,
    StatementResult, Subscription, TableDef, TableName,
};

use super::data_source::{DataSource, ImportJob, LiveFeed, Outcome};
use super::{catalog, edit};
use crate::error::IpcResult;
use crate::ipc::{CatalogView, DatabaseInfo, ResultColumn, WriteResult};

pub struct LocalSource {
    engine: Engine,
    location: String,
}

impl LocalSource {
    pub fn new(engine: Engine) -> LocalSource {
        LocalSource {
            location: engine.path().display().to_string(),
            engine,
        }
    }
}

#[async_trait]
impl DataSource for LocalSource {
    fn location(&self) -> &str {
        &self.location
    }

    async fn info(&self) -> IpcResult<DatabaseInfo> {
        Ok(catalog::info_of(&self.engine))
    }

    async fn catalog(&self) -> IpcResult<CatalogView> {
        Ok(catalog::view(&self.engine))
    }

    async fn run(&self, actor: &Actor, statement: &SqlStatement, options: &RunOptions) -> IpcResult<Outcome> {
        let session = self.engine.session(actor.clone());
        Ok(match session.execute_statement_with(statement, options).await? {
            StatementResult::Rows { schema, batches } => Outcome::Rows {
                columns: schema
                    .fields()
                    .iter()
                    .map(|f| ResultColumn {
                        name: f.name().clone(),
                        sql_type: column_type_name(f),
                    })
                    .collect(),
                rows: rows_json(&batches),
            },
            StatementResult::Affected(rows) => Outcome::Affected(rows),
            StatementResult::Done => Outcome::Done,
            StatementResult::Subscription(subscription) => Outcome::Live(Box::new(LocalFeed(subscription))),
        })
    }

    async fn subscribe(&self, actor: &Actor, sql: &str, from_seq: Option<u64>) -> IpcResult<Box<dyn LiveFeed>> {
        let session = self.engine.session(actor.clone());
        Ok(Box::new(LocalFeed(session.subscribe_from(sql, from_seq).await?)))
    }

    async fn insert_row(
        &self,
        actor: &Actor,
        table: &TableName,
        values: BTreeMap<String, Json>,
    ) -> IpcResult<WriteResult> {
        let def = self.engine.table(table)?;
        let row = edit::row_of(&def, &values)?;
        edit::written(self.engine.session(actor.clone()).insert_rows(table, vec![row]))
    }

    async fn update_cell(
        &self,
        actor: &Actor,
        table: &TableName,
        key: Vec<Json>,
        column: &str,
        value: Json,
    ) -> IpcResult<WriteResult> {
        let def = self.engine.table(table)?;
        let key = edit::key_of(actor, &def, &key)?;
        let changes = edit::row_of(&def, &BTreeMap::from([(column.to_string(), value)]))?;
        edit::written(self.engine.session(actor.clone()).update_row(table, key, changes))
    }

    async fn delete_rows(&self, actor: &Actor, table: &TableName, keys: Vec<Vec<Json>>) -> IpcResult<WriteResult> {
        let def = self.engine.table(table)?;
        let keys = keys
            .iter()
            .map(|key| edit::key_of(actor, &def, key))
            .collect::<IpcResult<Vec<_>>>()?;
        edit::written(self.engine.session(actor.clone()).delete_rows(table, keys))
    }

    async fn export(&self, actor: &Actor, sql: &str, format: FileFormat, path: &Path) -> IpcResult<u64> {
        let session = self.engine.session(actor.clone());
        Ok(session.export(sql, format, path).await?)
    }

    async fn import(&self, actor: &Actor, job: ImportJob<'_>) -> IpcResult<ImportReport> {
        let session = self.engine.session(actor.clone());
        let progress = job.progress;
        Ok(session.import(
            job.path,
            job.format,
            job.table,
            job.options,
            &mut |p| progress(p),
            job.cancel,
        )?)
    }

    fn engine(&self) -> Option<&Engine> {
        Some(&self.engine)
    }
}

/// An engine subscription as a live feed.
struct LocalFeed(Subscription);

#[async_trait]
impl LiveFeed for LocalFeed {
    async fn recv(&mut self) -> Option<LiveMessage> {
        self.0.recv().await
    }

    fn try_recv(&mut self) -> Option<LiveMessage> {
        self.0.try_recv()
    }

    fn table(&self) -> Option<Arc<TableDef>> {
        self.0.table().cloned()
    }
}
