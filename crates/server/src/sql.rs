//! `POST /v1/sql`: `{"sql": "...", "user"?: "..."}` → `{"results": [...],
//! "elapsed_ms": [...], "last_seq": N}`, one result per statement in the shape of
//! `tidepool sql --format json` (rows come with `columns` and their `types`), with how
//! long each took and the database's last commit when the script ended. Statements run in
//! order, each atomically; the first error stops the script, and the answer then has
//! the results before it and the error (earlier statements stay committed).
//!
//! With `"params": [...]`, `sql` is one statement with parameters `$1` … `$n`, run with
//! those values; with `"batch": [[...], ...]`, an INSERT ... VALUES or an UPDATE or
//! DELETE by key runs once per parameter row, all rows in one transaction (one result,
//! the rows affected). JSON numbers are BIGINT or DOUBLE, strings TEXT, arrays and
//! objects JSON; each is converted to the type the statement expects there.
//!
//! `"timeout_ms": N` stops a statement that runs longer (error `timeout`, nothing it
//! would write written; `tidepool serve --timeout` caps it). A client that hangs up
//! before the answer stops a script that only reads; a write runs to its end.
//!
//! `"request_id": "..."` names the request so that `POST /v1/cancel {"request_id"}`
//! with the same token can stop it — a write too: the statement it stops writes
//! nothing, and the answer (error `cancelled`) still comes, so the client knows.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tidepool_engine::{CancelHandle, RunOptions, StatementResult};

use crate::error::ApiError;
use crate::guard::{acting_as, Authenticated};
use crate::server::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRequest {
    sql: String,
    user: Option<String>,
    params: Option<Vec<Value>>,
    batch: Option<Vec<Vec<Value>>>,
    timeout_ms: Option<u64>,
    request_id: Option<String>,
}

/// Keeps a named request's cancel handle in `Shared::running` while it runs.
pub(crate) struct Running<'a> {
    shared: &'a Shared,
    key: Option<(String, String)>,
}

impl Running<'_> {
    pub(crate) fn register<'a>(
        shared: &'a Shared,
        token: &str,
        id: Option<&str>,
        cancel: &CancelHandle,
    ) -> Result<Running<'a>, ApiError> {
        let Some(id) = id else {
            return Ok(Running { shared, key: None });
        };
        let key = (token.to_string(), id.to_string());
        let mut running = shared.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.contains_key(&key) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "request_id_in_use",
                format!("a request with request_id '{id}' is still running; name each request differently"),
            ));
        }
        running.insert(key.clone(), cancel.clone());
        Ok(Running { shared, key: Some(key) })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    request_id: String,
}

/// `POST /v1/cancel {"request_id": "..."}`: stops the running request of this token
/// with that id. Answers `{"cancelled": true}`, or `false` when no such request runs
/// (it had already answered).
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return ApiError::bad_request(rejection.body_text()).into_response(),
    };
    let request: CancelRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return ApiError::bad_request(format!("the body must be JSON like {{\"request_id\": \"...\"}}: {e}"))
                .into_response()
        }
    };
    let key = (auth.token.clone(), request.request_id);
    let handle = shared
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    if let Some(handle) = &handle {
        handle.cancel();
    }
    Json(json!({ "cancelled": handle.is_some() })).into_response()
}

/// Stops a read-only script when the request is dropped before its answer (the
/// client hung up); disarmed once the answer is ready.
struct CancelOnDrop(Option<CancelHandle>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.cancel();
        }
    }
}

/// Runs one statement with parameters, or a batch of parameter rows.
async fn run_prepared(
    session: &tidepool_engine::Session,
    sql: &str,
    params: Option<Vec<Value>>,
    batch: Option<Vec<Vec<Value>>>,
    options: &RunOptions,
) -> Result<Value, ApiError> {
    let prepared = session.prepare(sql).await.map_err(|e| ApiError::engine(&e, None))?;
    let result = match batch {
        Some(rows) => {
            let rows: Vec<Vec<tidepool_engine::Value>> = rows
                .iter()
                .map(|row| row.iter().map(tidepool_engine::Value::from_param_json).collect())
                .collect();
            let affected = session
                .execute_prepared_batch_with(&prepared, &rows, options)
                .await
                .map_err(|e| ApiError::engine(&e, None))?;
            json!({ "affected": affected })
        }
        None => {
            let params: Vec<tidepool_engine::Value> = params
                .unwrap_or_default()
                .iter()
                .map(tidepool_engine::Value::from_param_json)
                .collect();
            session
                .execute_prepared_with(&prepared, &params, options)
                .await
                .map_err(|e| ApiError::engine(&e, None))?
                .to_json()
        }
    };
    Ok(result)
}

pub async fn run(
    State(shared): State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = match parse(&shared, body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let actor = match acting_as(&auth.info, request.user.as_deref()) {
        Ok(actor) => actor,
        Err(e) => return e.into_response(),
    };
    // The script runs in a task of its own: a client that hangs up does not cancel a
    // write half-way, and a bug that panics becomes an error answer. A script that
    // only reads is stopped when the client hangs up (the guard, dropped with this
    // request's future).
    let session = shared.session(actor);
    let cancel = CancelHandle::new();
    let reads_only = request.params.is_none()
        && request.batch.is_none()
        && session
            .split(&request.sql)
            .is_ok_and(|statements| statements.iter().all(|s| s.reads_only()));
    let mut hung_up = CancelOnDrop(reads_only.then(|| cancel.clone()));
    let _named = match Running::register(&shared, &auth.token, request.request_id.as_deref(), &cancel) {
        Ok(named) => named,
        Err(e) => return e.into_response(),
    };
    let options = RunOptions {
        timeout: request.timeout_ms.map(Duration::from_millis),
        cancel: Some(cancel),
    };
    let script = tokio::spawn(async move {
        let mut results = Vec::new();
        if request.params.is_some() || request.batch.is_some() {
            let started = std::time::Instant::now();
            return match run_prepared(&session, &request.sql, request.params, request.batch, &options).await {
                Ok(result) => (vec![(result, started.elapsed().as_secs_f64() * 1000.0)], None),
                Err(e) => (results, Some(e)),
            };
        }
        let statements = match session.split(&request.sql) {
            Ok(statements) => statements,
            Err(e) => return (results, Some(ApiError::engine(&e, None))),
        };
        for statement in statements {
            let started = std::time::Instant::now();
            match session.execute_statement_with(&statement, &options).await {
                Ok(StatementResult::Subscription(_)) => {
                    let mut error = ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unsupported",
                        "SUBSCRIBE needs a live connection: subscribe over the WebSocket at /v1/live",
                    );
                    error.position = Some(statement.position);
                    return (results, Some(error));
                }
                Ok(result) => results.push((result.to_json(), started.elapsed().as_secs_f64() * 1000.0)),
                Err(e) => return (results, Some(ApiError::engine(&e, Some(statement.position)))),
            }
        }
        (results, None)
    });
    let answered = script.await;
    hung_up.0 = None;
    match answered {
        Ok((results, error)) => {
            let (results, elapsed): (Vec<Value>, Vec<f64>) = results.into_iter().unzip();
            let fields = Map::from_iter([
                ("results".to_string(), Value::from(results)),
                ("elapsed_ms".to_string(), json!(elapsed)),
                // The database's last commit once the script ended: at or after any
                // commit the script made.
                ("last_seq".to_string(), json!(shared.engine.last_seq())),
            ]);
            match error {
                None => Json(Value::Object(fields)).into_response(),
                Some(error) => error.respond_with(fields),
            }
        }
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the statement failed unexpectedly; statements before it are committed",
        )
        .into_response(),
    }
}

fn parse(shared: &Shared, body: Result<Bytes, BytesRejection>) -> Result<SqlRequest, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("the request is larger than {} bytes", shared.config.max_request_bytes),
            )
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })?;
    let request: SqlRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be JSON like {{\"sql\": \"SELECT 1\"}}: {e}")))?;
    if request.params.is_some() && request.batch.is_some() {
        return Err(ApiError::bad_request(
            "give \"params\" (one run) or \"batch\" (one run per row), not both",
        ));
    }
    if request.timeout_ms == Some(0) {
        return Err(ApiError::bad_request("\"timeout_ms\" must be at least 1"));
    }
    Ok(request)
}
