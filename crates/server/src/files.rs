//! Files between a client's machine and the server's database, written and read by the
//! engine's own exporter and importer, so a file is the same as `tidepool export` or
//! the app would make it from a local folder.
//!
//! - `POST /v1/export {"sql", "format": "csv"|"json"|"parquet", "user"?}` answers the
//!   file itself, with its row count in the `x-tidepool-rows` header.
//! - `POST /v1/import`: the body is one line of JSON, an [`ImportRequest`], then the
//!   file's bytes. The file goes to a temporary file (at most `max_import_bytes`), then
//!   into the table; the answer is the engine's `ImportReport` as JSON. With a
//!   `request_id`, `POST /v1/cancel` stops it (what it imported so far stays, as a
//!   cancelled import in the app keeps it); a client that hangs up stops it too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tidepool_engine::{CancelHandle, CsvOptions, FileFormat, ImportOptions, OnError, TableName};
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;
use crate::guard::{acting_as, Authenticated};
use crate::server::Shared;
use crate::sql::Running;

/// The header of an export's answer that counts its rows.
pub const EXPORT_ROWS_HEADER: &str = "x-tidepool-rows";

/// The longest first line of an import (its request), in bytes.
const REQUEST_LINE_LIMIT: usize = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportRequest {
    sql: String,
    format: String,
    user: Option<String>,
}

pub async fn export(
    State(shared): State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match export_file(&shared, &auth, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn export_file(
    shared: &Shared,
    auth: &Authenticated,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let request: ExportRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be JSON like {{\"sql\": \"SELECT ...\", \"format\": \"csv\"}}: {e}"
        ))
    })?;
    let actor = acting_as(&auth.info, request.user.as_deref())?;
    let format = FileFormat::parse(&request.format).map_err(|e| ApiError::engine(&e, None))?;
    let dir = tempfile::tempdir().map_err(internal)?;
    let path = dir.path().join("export");
    let rows = shared
        .session(actor)
        .export(&request.sql, format, &path)
        .await
        .map_err(|e| ApiError::engine(&e, None))?;
    let file = tokio::fs::read(&path).await.map_err(internal)?;
    let content_type = match format {
        FileFormat::Csv => "text/csv",
        FileFormat::Json => "application/json",
        FileFormat::Parquet => "application/vnd.apache.parquet",
    };
    let mut response = Body::from(file).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(EXPORT_ROWS_HEADER, HeaderValue::from(rows));
    Ok(response)
}

/// The first line of `POST /v1/import`. Public and serializable, so a client sends
/// exactly what the server reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// `namespace.table`; the table must exist.
    pub table: String,
    /// `csv` or `parquet`.
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The first CSV record names the columns.
    pub header: bool,
    /// The CSV field delimiter: one ASCII character.
    pub delimiter: char,
    /// For each column of the file, the table column it goes to (`null`: not imported).
    pub mapping: Vec<Option<String>>,
    /// Skip rows that cannot be imported (and report them) instead of importing
    /// nothing.
    pub skip_bad_rows: bool,
    /// An empty CSV field is NULL (otherwise an empty text).
    pub empty_as_null: bool,
}

/// Sets the import's stop flag when the request is dropped before its answer (the
/// client hung up).
struct StopOnDrop(Option<Arc<AtomicBool>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            stop.store(true, Ordering::SeqCst);
        }
    }
}

pub async fn import(
    State(shared): State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
    body: Body,
) -> Response {
    match import_file(shared, auth, body).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn import_file(
    shared: Arc<Shared>,
    auth: Authenticated,
    body: Body,
) -> Result<tidepool_engine::ImportReport, ApiError> {
    let mut stream = body.into_data_stream();
    // The request line.
    let mut head: Vec<u8> = Vec::new();
    let rest = loop {
        let Some(chunk) = stream.next().await else {
            return Err(ApiError::bad_request(
                "the body must be a line of JSON (the import's request) and then the file",
            ));
        };
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("the upload broke: {e}")))?;
        head.extend_from_slice(&chunk);
        if let Some(newline) = head.iter().position(|&b| b == b'\n') {
            break head.split_off(newline + 1);
        }
        if head.len() > REQUEST_LINE_LIMIT {
            return Err(ApiError::bad_request("the import's request line is longer than 1 MiB"));
        }
    };
    let request: ImportRequest = serde_json::from_slice(&head).map_err(|e| {
        ApiError::bad_request(format!(
            "the first line must be the import's request as JSON (table, format, header, delimiter, mapping, \
             skip_bad_rows, empty_as_null): {e}"
        ))
    })?;
    let actor = acting_as(&auth.info, request.user.as_deref())?;
    let format = FileFormat::parse(&request.format).map_err(|e| ApiError::engine(&e, None))?;
    let table = TableName::parse(&request.table).map_err(|e| ApiError::engine(&e, None))?;
    if !request.delimiter.is_ascii() {
        return Err(ApiError::bad_request("the delimiter must be one ASCII character"));
    }
    let options = ImportOptions {
        csv: CsvOptions {
            header: request.header,
            delimiter: request.delimiter as u8,
        },
        mapping: request.mapping,
        on_error: if request.skip_bad_rows {
            OnError::Skip
        } else {
            OnError::Stop
        },
        empty_as_null: request.empty_as_null,
    };
    // The file, to disk, within the limit.
    let dir = tempfile::tempdir().map_err(internal)?;
    let path = dir.path().join("import");
    let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
    let limit = shared.config.max_import_bytes;
    let mut written = rest.len() as u64;
    file.write_all(&rest).await.map_err(internal)?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("the upload broke: {e}")))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("the file is larger than this server imports ({limit} bytes)"),
            ));
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    drop(file);
    // Stopped by `POST /v1/cancel` or by the client hanging up.
    let stop = Arc::new(AtomicBool::new(false));
    let cancel = CancelHandle::new();
    let _named = Running::register(&shared, &auth.token, request.request_id.as_deref(), &cancel)?;
    let _hung_up = StopOnDrop(Some(stop.clone()));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            stop.store(true, Ordering::SeqCst);
        })
    };
    let session = shared.session(actor);
    let imported = tokio::task::spawn_blocking(move || {
        let report = session.import(&path, format, &table, &options, &mut |_| {}, &stop);
        drop(dir);
        report
    })
    .await;
    watcher.abort();
    match imported {
        Ok(report) => report.map_err(|e| ApiError::engine(&e, None)),
        Err(_) => Err(internal("the import failed unexpectedly")),
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}
