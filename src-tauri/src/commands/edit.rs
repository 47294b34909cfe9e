//! Grid edits: one row inserted, one cell set, rows deleted, each one commit through
//! the data source (typed writes for the embedded engine, no SQL text). The pane sees
//! the result through its live feed, like any other writer's.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tauri::State;
use tidepool_engine::{Error as EngineError, TableName, SYSTEM_NAMESPACE};

use crate::error::IpcResult;
use crate::ipc::WriteResult;
use crate::source::acting_as;
use crate::state::AppState;

/// Inserts one row; omitted columns take their defaults.
#[tauri::command]
pub async fn insert_row(
    state: State<'_, AppState>,
    table: String,
    user: Option<String>,
    values: BTreeMap<String, Json>,
) -> IpcResult<WriteResult> {
    let source = state.source()?;
    let name = writable(&table)?;
    source.insert_row(&acting_as(user), &name, values).await
}

/// Sets one cell of the row with `key` (as the pane lists it).
#[tauri::command]
pub async fn update_cell(
    state: State<'_, AppState>,
    table: String,
    user: Option<String>,
    key: Vec<Json>,
    column: String,
    value: Json,
) -> IpcResult<WriteResult> {
    let source = state.source()?;
    let name = writable(&table)?;
    source.update_cell(&acting_as(user), &name, key, &column, value).await
}

/// Deletes the rows with these keys in one commit.
#[tauri::command]
pub async fn delete_rows(
    state: State<'_, AppState>,
    table: String,
    user: Option<String>,
    keys: Vec<Vec<Json>>,
) -> IpcResult<WriteResult> {
    let source = state.source()?;
    let name = writable(&table)?;
    source.delete_rows(&acting_as(user), &name, keys).await
}

/// The table `table` names, if it is not a read-only SYSTEM one.
fn writable(table: &str) -> IpcResult<TableName> {
    let name = TableName::parse(table)?;
    if name.namespace == SYSTEM_NAMESPACE {
        return Err(EngineError::NotAllowed(format!("{name} is a read-only SYSTEM table")).into());
    }
    Ok(name)
}
