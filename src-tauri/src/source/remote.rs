//! A `tidepool serve` as a data source, reached with the `tidepool-client` crate:
//! statements as `POST /v1/sql` (each a named request, so the console's Cancel is
//! `POST /v1/cancel` and stops a write too), the catalog as `GET /v1/catalog`, live
//! queries as subscriptions on a WebSocket to `/v1/live` (`feed.rs`: one connection
//! per feed, resumed from its last seq when it drops), grid edits as parameterized
//! statements checked first against the table's types exactly as a local folder's are;
//! export and import as `POST /v1/export` (the file comes back) and `/v1/import` (the
//! file goes up, then the server's importer reads it).
//! Every request names the acting user when it is not the token's own.

mod feed;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value as Json;
use tidepool_client::{ClientError, ClientMessage, ErrorKind, Frame, ImportRequest, Remote, SqlAnswer, SqlRequest};
use tidepool_engine::{
    Actor, FileFormat, ImportProgress, ImportReport, LiveMessage, OnError, RunOptions, SqlStatement, SqlType, TableDef,
    TableKind, TableName, Value, USER_COLUMN,
};

use super::data_source::{DataSource, ImportJob, LiveFeed, Outcome};
use super::{catalog, edit};
use crate::error::{DidYouMean, IpcError, IpcResult};
use crate::ipc::{CatalogView, DatabaseInfo, ResultColumn, WriteResult};

/// What `GET /v1/status` said when the source connected.
pub use tidepool_client::Status as ServerStatus;

/// How the app's messages name the CA certificate of a connection.
const CA_NAME: &str = "the CA certificate file";

pub struct RemoteSource {
    remote: Arc<Remote>,
    status: ServerStatus,
    /// Table definitions by `namespace.name`, from the last catalog read: what edits
    /// are typed with and what makes a pane of one table editable.
    tables: Mutex<HashMap<String, Arc<TableDef>>>,
    /// Names this source's requests, for their cancel.
    requests: AtomicU64,
}

/// Who a call acts as on the server: what the app asks, except that a user token acts
/// as its user where the app asks for admin (the app's default).
fn on_server(status: &ServerStatus, actor: &Actor) -> Actor {
    match actor {
        Actor::Admin if !status.is_admin => Actor::User(status.acting_as.clone()),
        other => other.clone(),
    }
}

impl RemoteSource {
    /// Reaches the server at `server` (`http(s)://host:port`) with `token`, asking
    /// `GET /v1/status`: a URL that is not a Tidepool server, a refused token or an
    /// untrusted certificate is an error here, before anything is opened.
    pub async fn connect(server: &str, token: &str, ca_cert: Option<&Path>) -> IpcResult<RemoteSource> {
        let remote = Remote::new(server, token.to_string(), ca_cert, CA_NAME).map_err(IpcError::invalid)?;
        let status = remote.status().await.map_err(ipc_error)?;
        let source = RemoteSource {
            remote: Arc::new(remote),
            status,
            tables: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(1),
        };
        source.catalog().await?;
        Ok(source)
    }

    pub fn status(&self) -> &ServerStatus {
        &self.status
    }

    /// The definition of `name` (`namespace.table`), reading the catalog again when it
    /// is not known yet (a table created since).
    async fn table_def(&self, name: &str) -> IpcResult<Arc<TableDef>> {
        if let Some(def) = self.known(name) {
            return Ok(def);
        }
        self.catalog().await?;
        self.known(name)
            .ok_or_else(|| IpcError::new("not_found", format!("table {name} does not exist on the server")))
    }

    fn known(&self, name: &str) -> Option<Arc<TableDef>> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }

    fn request_id(&self) -> String {
        format!(
            "studio-{}-{}",
            std::process::id(),
            self.requests.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Runs `request`, and when `options.cancel` fires, asks the server to stop it
    /// (again until it answers: the cancel may arrive before the request does). The
    /// answer always comes: what was stopped answers `cancelled`.
    async fn run_request(&self, mut request: SqlRequest, options: &RunOptions) -> IpcResult<SqlAnswer> {
        let id = self.request_id();
        request.request_id = Some(id.clone());
        request.timeout_ms = options.timeout.map(|t| t.as_millis().max(1) as u64);
        let run = self.remote.run(&request);
        tokio::pin!(run);
        let answer = match &options.cancel {
            None => run.await,
            Some(cancel) => {
                tokio::select! {
                    answer = &mut run => answer,
                    _ = cancel.cancelled() => loop {
                        let _ = self.remote.cancel(&id).await;
                        tokio::select! {
                            answer = &mut run => break answer,
                            _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
                        }
                    },
                }
            }
        };
        answer.map_err(ipc_error)
    }

    /// Runs one parameterized statement (or one run per row of `batch`, in one
    /// transaction) that writes, and answers what it wrote.
    async fn write(&self, actor: &Actor, sql: String, params: Params) -> IpcResult<WriteResult> {
        let mut request = SqlRequest {
            sql,
            user: user_of(actor),
            ..SqlRequest::default()
        };
        match params {
            Params::One(values) => request.params = Some(values),
            Params::Batch(rows) => request.batch = Some(rows),
        }
        let answer = self.run_request(request, &RunOptions::default()).await?;
        if let Some(error) = answer.error {
            return Err(ipc_error(ClientError::from_body(error)));
        }
        Ok(WriteResult {
            seq: answer.last_seq,
            affected: answer.results.first().and_then(|r| r["affected"].as_u64()).unwrap_or(0),
        })
    }
}

enum Params {
    One(Vec<Json>),
    Batch(Vec<Vec<Json>>),
}

#[async_trait]
impl DataSource for RemoteSource {
    fn location(&self) -> &str {
        self.remote.url()
    }

    async fn info(&self) -> IpcResult<DatabaseInfo> {
        let status = self.remote.status().await.map_err(ipc_error)?;
        Ok(DatabaseInfo {
            path: self.remote.url().to_string(),
            last_seq: status.last_seq,
        })
    }

    async fn catalog(&self) -> IpcResult<CatalogView> {
        let answer = self.remote.catalog().await.map_err(ipc_error)?;
        let defs = answer
            .namespaces
            .iter()
            .flat_map(|ns| &ns.tables)
            .map(|t| (t.def.full_name(), t.def.clone()))
            .collect();
        *self.tables.lock().unwrap_or_else(|e| e.into_inner()) = defs;
        let database = DatabaseInfo {
            path: self.remote.url().to_string(),
            last_seq: answer.last_seq,
        };
        Ok(catalog::view_of(database, answer.namespaces))
    }

    async fn run(&self, actor: &Actor, statement: &SqlStatement, options: &RunOptions) -> IpcResult<Outcome> {
        let actor = &on_server(&self.status, actor);
        if is_subscribe(&statement.sql) {
            return Ok(Outcome::Live(self.subscribe(actor, &statement.sql, None).await?));
        }
        let request = SqlRequest {
            sql: statement.sql.clone(),
            user: user_of(actor),
            ..SqlRequest::default()
        };
        let answer = self.run_request(request, options).await?;
        if let Some(error) = answer.error {
            let mut error = ipc_error(ClientError::from_body(error));
            // The server counted from the statement's start; the console counts from
            // the script's.
            if let (Some(line), Some(column)) = (error.line, error.column) {
                let at = &statement.position;
                error.column = Some(if line == 1 {
                    column + at.column as u32 - 1
                } else {
                    column
                });
                error.line = Some(line + at.line as u32 - 1);
            }
            return Err(error);
        }
        let result = answer.results.into_iter().next().unwrap_or(Json::Null);
        Ok(outcome_of(result, &statement.sql))
    }

    async fn subscribe(&self, actor: &Actor, sql: &str, from_seq: Option<u64>) -> IpcResult<Box<dyn LiveFeed>> {
        let actor = &on_server(&self.status, actor);
        let mut socket = self.remote.live().await.map_err(ipc_error)?;
        let subscribe = ClientMessage::Subscribe {
            id: feed::ID.into(),
            sql: sql.to_string(),
            from_seq,
            user: user_of(actor),
        };
        socket.send(&subscribe).await.map_err(ipc_error)?;
        let first = match socket.next().await.map_err(ipc_error)? {
            Frame::Live {
                message: LiveMessage::Error { message, .. },
                ..
            } => return Err(IpcError::new("query", message)),
            Frame::Live { message, .. } => message,
            Frame::Error { error, .. } => return Err(ipc_error(error)),
        };
        let table = match &first {
            LiveMessage::Subscribed { table: Some(name), .. } => Some(self.table_def(name).await?),
            _ => None,
        };
        Ok(Box::new(feed::RemoteFeed::start(
            self.remote.clone(),
            socket,
            subscribe,
            first,
            table,
        )))
    }

    async fn insert_row(
        &self,
        actor: &Actor,
        table: &TableName,
        values: BTreeMap<String, Json>,
    ) -> IpcResult<WriteResult> {
        let actor = &on_server(&self.status, actor);
        let def = self.table_def(&table.to_string()).await?;
        let mut row = edit::row_of(&def, &values)?;
        if row.is_empty() {
            // A row of defaults: SQL here has no DEFAULT VALUES, but a column without a
            // default defaults to NULL, so naming one with NULL is the same row (and
            // the same not_null error a folder gives when it may not be NULL).
            let Some(column) = def.columns.iter().find(|c| c.default.is_none()) else {
                return Err(IpcError::invalid(
                    "every column of this table has a default: give at least one column's value",
                ));
            };
            row.insert(column.name.clone(), Value::Null);
        }
        let mut params = Vec::new();
        let columns: Vec<String> = row.keys().map(|name| quote(name)).collect();
        let values: Vec<String> = row
            .iter()
            .map(|(name, value)| param(&mut params, value, type_of(&def, name)))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table_sql(&def),
            columns.join(", "),
            values.join(", ")
        );
        self.write(actor, sql, Params::One(params)).await
    }

    async fn update_cell(
        &self,
        actor: &Actor,
        table: &TableName,
        key: Vec<Json>,
        column: &str,
        value: Json,
    ) -> IpcResult<WriteResult> {
        let actor = &on_server(&self.status, actor);
        let def = self.table_def(&table.to_string()).await?;
        let key = edit::key_of(actor, &def, &key)?;
        let changes = edit::row_of(&def, &BTreeMap::from([(column.to_string(), value)]))?;
        let mut params = Vec::new();
        let sets: Vec<String> = changes
            .iter()
            .map(|(name, value)| format!("{} = {}", quote(name), param(&mut params, value, type_of(&def, name))))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE {}",
            table_sql(&def),
            sets.join(", "),
            key_condition(actor, &def, &key, &mut params)
        );
        let written = self.write(actor, sql, Params::One(params)).await?;
        if written.affected == 0 {
            return Err(IpcError::new("not_found", "the row is no longer there"));
        }
        Ok(written)
    }

    async fn delete_rows(&self, actor: &Actor, table: &TableName, keys: Vec<Vec<Json>>) -> IpcResult<WriteResult> {
        let actor = &on_server(&self.status, actor);
        let def = self.table_def(&table.to_string()).await?;
        let keys = keys
            .iter()
            .map(|key| edit::key_of(actor, &def, key))
            .collect::<IpcResult<Vec<_>>>()?;
        let Some(first) = keys.first() else {
            return Ok(WriteResult { seq: 0, affected: 0 });
        };
        // One statement by key, run once per key in one transaction.
        let mut shape = Vec::new();
        let condition = key_condition(actor, &def, first, &mut shape);
        let sql = format!("DELETE FROM {} WHERE {condition}", table_sql(&def));
        let batch = keys
            .iter()
            .map(|key| {
                let mut params = Vec::new();
                key_condition(actor, &def, key, &mut params);
                params
            })
            .collect();
        self.write(actor, sql, Params::Batch(batch)).await
    }

    async fn export(&self, actor: &Actor, sql: &str, format: FileFormat, path: &Path) -> IpcResult<u64> {
        let actor = &on_server(&self.status, actor);
        let (file, rows) = self
            .remote
            .export(sql, format_name(format), user_of(actor).as_deref())
            .await
            .map_err(ipc_error)?;
        tokio::fs::write(path, file)
            .await
            .map_err(|e| IpcError::new("io", format!("cannot write {}: {e}", path.display())))?;
        Ok(rows)
    }

    async fn import(&self, actor: &Actor, job: ImportJob<'_>) -> IpcResult<ImportReport> {
        let actor = &on_server(&self.status, actor);
        let id = self.request_id();
        let request = ImportRequest {
            table: job.table.to_string(),
            format: format_name(job.format).to_string(),
            user: user_of(actor),
            request_id: Some(id.clone()),
            header: job.options.csv.header,
            delimiter: job.options.csv.delimiter as char,
            mapping: job.options.mapping.clone(),
            skip_bad_rows: job.options.on_error == OnError::Skip,
            empty_as_null: job.options.empty_as_null,
        };
        let total = std::fs::metadata(job.path)
            .map_err(|e| IpcError::new("io", format!("cannot read {}: {e}", job.path.display())))?
            .len();
        let sent = Arc::new(AtomicU64::new(0));
        let run = self.remote.import(&request, job.path, sent.clone());
        tokio::pin!(run);
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        let answer = loop {
            tokio::select! {
                answer = &mut run => break answer,
                _ = tick.tick() => {
                    let bytes = sent.load(Ordering::Relaxed).min(total);
                    (job.progress)(&ImportProgress { rows: 0, skipped: 0, bytes, total_bytes: total });
                    if job.cancel.load(Ordering::SeqCst) {
                        if bytes < total {
                            // Still uploading: nothing is imported yet, and the upload
                            // stops here.
                            let seq = self.remote.status().await.map(|s| s.last_seq).unwrap_or(0);
                            return Ok(ImportReport { cancelled: true, seq, ..ImportReport::default() });
                        }
                        // Importing on the server: it stops, keeping what it imported,
                        // and answers its report.
                        let _ = self.remote.cancel(&id).await;
                    }
                }
            }
        };
        answer.map_err(ipc_error)
    }
}

/// The error of a client call as the UI shows it: the server's code, message, line
/// and column and suggestion, or what kept the server from answering.
fn ipc_error(error: ClientError) -> IpcError {
    let code = match error.kind {
        ErrorKind::Unreachable => "unreachable",
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::Certificate => "certificate",
        ErrorKind::NotTidepool => "not_tidepool",
        ErrorKind::Request => "invalid_request",
        ErrorKind::Server => error.code().unwrap_or("server"),
    };
    let mut ipc = IpcError::new(code, error.message.clone());
    if let Some(body) = &error.body {
        ipc.line = body["line"].as_u64().map(|l| l as u32);
        ipc.column = body["column"].as_u64().map(|c| c as u32);
        ipc.did_you_mean = match (
            body["did_you_mean"]["name"].as_str(),
            body["did_you_mean"]["suggestion"].as_str(),
        ) {
            (Some(name), Some(suggestion)) => Some(DidYouMean {
                name: name.to_string(),
                suggestion: suggestion.to_string(),
            }),
            _ => None,
        };
    }
    ipc
}

fn format_name(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv => "csv",
        FileFormat::Json => "json",
        FileFormat::Parquet => "parquet",
    }
}

/// One statement's result in the server's JSON as the console shows it.
fn outcome_of(result: Json, sql: &str) -> Outcome {
    if let Some(rows) = result.get("rows").and_then(Json::as_array) {
        let names = result["columns"].as_array().cloned().unwrap_or_default();
        let types = result["types"].as_array().cloned().unwrap_or_default();
        let columns = names
            .iter()
            .enumerate()
            .map(|(i, name)| ResultColumn {
                name: name.as_str().unwrap_or_default().to_string(),
                sql_type: types.get(i).and_then(Json::as_str).unwrap_or("TEXT").to_string(),
            })
            .collect();
        let rows = rows
            .iter()
            .map(|row| row.as_array().cloned().unwrap_or_default())
            .collect();
        return Outcome::Rows { columns, rows };
    }
    match result["affected"].as_u64() {
        // The server answers DDL as 0 rows affected; the console shows it as done.
        Some(0) if !writes_rows(sql) => Outcome::Done,
        Some(affected) => Outcome::Affected(affected),
        None => Outcome::Done,
    }
}

/// The first word of a statement, upper-cased.
fn first_words(sql: &str, n: usize) -> Vec<String> {
    sql.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

fn writes_rows(sql: &str) -> bool {
    matches!(
        first_words(sql, 1).first().map(String::as_str),
        Some("INSERT" | "UPDATE" | "DELETE" | "COPY" | "WITH")
    )
}

fn is_subscribe(sql: &str) -> bool {
    first_words(sql, 2) == ["SUBSCRIBE", "TO"]
}

/// `user` of a request: absent for admin (the token's own).
fn user_of(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Admin => None,
        Actor::User(user) => Some(user.clone()),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_sql(def: &TableDef) -> String {
    format!("{}.{}", quote(&def.namespace), quote(&def.name))
}

fn type_of(def: &TableDef, column: &str) -> SqlType {
    match column {
        USER_COLUMN => SqlType::Text,
        name => def.column(name).map(|(_, c)| c.ty).unwrap_or(SqlType::Text),
    }
}

/// Adds `value` (already checked against `ty`) as the next parameter and returns the
/// SQL that reads it as `ty`. The JSON is what the server reads back into the same
/// value: exact decimals and JSON documents as text, bytes as hex decoded by the
/// statement.
fn param(params: &mut Vec<Json>, value: &Value, ty: SqlType) -> String {
    let json = match value {
        Value::Json(text) => Json::String(text.clone()),
        Value::Decimal(_) => Json::String(value.to_scalar(ty).to_string()),
        other => other.to_json(ty),
    };
    params.push(json);
    let n = params.len();
    match value {
        Value::Bytes(_) => format!("decode(${n}, 'hex')"),
        _ => format!("${n}"),
    }
}

/// `k1 = $i AND k2 = $j` for a pane's key (`_user` first for an admin on a USER table).
fn key_condition(actor: &Actor, def: &TableDef, key: &[Value], params: &mut Vec<Json>) -> String {
    let mut names: Vec<&str> = Vec::new();
    if def.kind == TableKind::User && *actor == Actor::Admin {
        names.push(USER_COLUMN);
    }
    names.extend(def.primary_key.iter().map(|&i| def.columns[i].name.as_str()));
    names
        .iter()
        .zip(key)
        .map(|(name, value)| format!("{} = {}", quote(name), param(params, value, type_of(def, name))))
        .collect::<Vec<_>>()
        .join(" AND ")
}
