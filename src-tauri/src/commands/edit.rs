//! Grid edits, written through the engine's typed write API (no SQL text). The pane
//! sees the result through its subscription, like any other writer's.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tauri::State;
use tidepool_engine::{
    Actor, Error as EngineError, Row, Session, SqlType, TableDef, TableKind, TableName, Value, SYSTEM_NAMESPACE,
    USER_COLUMN,
};

use crate::error::{IpcError, IpcResult};
use crate::ipc::WriteResult;
use crate::state::AppState;

/// Inserts one row; omitted columns take their defaults.
#[tauri::command]
pub async fn insert_row(
    state: State<'_, AppState>,
    table: String,
    user: Option<String>,
    values: BTreeMap<String, Json>,
) -> IpcResult<WriteResult> {
    let (session, name, def) = target(&state, &table, user)?;
    let row = values
        .iter()
        .map(|(column, value)| Ok((column.clone(), value_of(&def, column, value)?)))
        .collect::<IpcResult<Row>>()?;
    written(session.insert_rows(&name, vec![row]))
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
    let (session, name, def) = target(&state, &table, user)?;
    let key = key_of(&session, &def, &key)?;
    let changes = Row::from([(column.clone(), value_of(&def, &column, &value)?)]);
    written(session.update_row(&name, key, changes))
}

/// Deletes the rows with these keys in one commit.
#[tauri::command]
pub async fn delete_rows(
    state: State<'_, AppState>,
    table: String,
    user: Option<String>,
    keys: Vec<Vec<Json>>,
) -> IpcResult<WriteResult> {
    let (session, name, def) = target(&state, &table, user)?;
    let keys = keys
        .iter()
        .map(|key| key_of(&session, &def, key))
        .collect::<IpcResult<Vec<_>>>()?;
    written(session.delete_rows(&name, keys))
}

fn target(
    state: &AppState,
    table: &str,
    user: Option<String>,
) -> IpcResult<(Session, TableName, std::sync::Arc<TableDef>)> {
    let session = state.session(user)?;
    let name = TableName::parse(table)?;
    if name.namespace == SYSTEM_NAMESPACE {
        return Err(EngineError::NotAllowed(format!("{name} is a read-only SYSTEM table")).into());
    }
    let def = session.engine().table(&name)?;
    Ok((session, name, def))
}

fn value_of(def: &TableDef, column: &str, value: &Json) -> IpcResult<Value> {
    if column == USER_COLUMN {
        return Ok(Value::from_json(value, SqlType::Text, column)?);
    }
    let (_, col) = def.column(column)?;
    Ok(Value::from_json(value, col.ty, column)?)
}

/// A pane's key: `_user` first for an admin on a USER table, then the primary key.
fn key_of(session: &Session, def: &TableDef, key: &[Json]) -> IpcResult<Vec<Value>> {
    let mut types: Vec<(&str, SqlType)> = Vec::new();
    if def.kind == TableKind::User && *session.actor() == Actor::Admin {
        types.push((USER_COLUMN, SqlType::Text));
    }
    types.extend(
        def.primary_key
            .iter()
            .map(|&i| (def.columns[i].name.as_str(), def.columns[i].ty)),
    );
    if key.len() != types.len() {
        return Err(IpcError::invalid(format!(
            "a key of {} has {} values, not {}",
            def.full_name(),
            types.len(),
            key.len()
        )));
    }
    key.iter()
        .zip(types)
        .map(|(value, (name, ty))| Ok(Value::from_json(value, ty, name)?))
        .collect()
}

fn written(outcome: tidepool_engine::Result<tidepool_engine::WriteOutcome>) -> IpcResult<WriteResult> {
    let outcome = outcome?;
    Ok(WriteResult {
        seq: outcome.seq,
        affected: outcome.affected,
    })
}
