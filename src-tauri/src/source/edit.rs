//! Grid edits in the engine's typed form: the UI's JSON cells and keys converted with
//! the table's column types — for the engine's typed write API (no SQL text) in a
//! local folder, and checked the same way before a server is asked.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tidepool_engine::{Actor, Row, SqlType, TableDef, TableKind, Value, WriteOutcome, USER_COLUMN};

use crate::error::{IpcError, IpcResult};
use crate::ipc::WriteResult;

/// A row of JSON cells by column, each converted to its column's type.
pub fn row_of(def: &TableDef, values: &BTreeMap<String, Json>) -> IpcResult<Row> {
    values
        .iter()
        .map(|(column, value)| Ok((column.clone(), value_of(def, column, value)?)))
        .collect()
}

fn value_of(def: &TableDef, column: &str, value: &Json) -> IpcResult<Value> {
    if column == USER_COLUMN {
        return Ok(Value::from_json(value, SqlType::Text, column)?);
    }
    let (_, col) = def.column(column)?;
    Ok(Value::from_json(value, col.ty, column)?)
}

/// A pane's key: `_user` first for an admin on a USER table, then the primary key.
pub fn key_of(actor: &Actor, def: &TableDef, key: &[Json]) -> IpcResult<Vec<Value>> {
    let mut types: Vec<(&str, SqlType)> = Vec::new();
    if def.kind == TableKind::User && *actor == Actor::Admin {
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

pub fn written(outcome: tidepool_engine::Result<WriteOutcome>) -> IpcResult<WriteResult> {
    let outcome = outcome?;
    Ok(WriteResult {
        seq: outcome.seq,
        affected: outcome.affected,
    })
}
