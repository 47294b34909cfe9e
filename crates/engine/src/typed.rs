//! The typed write API: insert rows, update one row by key, delete rows by key —
//! no SQL text, for grid edits and for speed. The same transaction, checks and
//! STREAM rules as SQL apply.

use std::collections::BTreeMap;

use crate::catalog::{DefaultExpr, TableDef, TableKind, TableName, USER_COLUMN};
use crate::error::{Error, ObjectKind, Result};
use crate::session::Session;
use crate::sql::functions::next_snowflake_id;
use crate::sql::provider::View;
use crate::types::{SqlType, Value};
use crate::write::{row_key, Txn};

/// Column name → value. Omitted columns take their default (or NULL).
pub type Row = BTreeMap<String, Value>;

/// What a typed write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    /// The commit's sequence number (the last one when nothing was written).
    pub seq: u64,
    pub affected: u64,
}

impl Session {
    /// Inserts rows atomically: all of them or none.
    pub fn insert_rows(&self, table: &TableName, rows: Vec<Row>) -> Result<WriteOutcome> {
        let inner = &self.engine().inner;
        let mut txn = Txn::begin(inner);
        let def = writable(self, table)?;
        let view = View::of(&def, self.actor());
        let affected = rows.len() as u64;
        for row in rows {
            let (owner, values) = new_row(&def, &view, txn.now_micros, row)?;
            txn.insert(&def, owner.as_deref(), values)?;
        }
        txn.enforce_max_rows(&def)?;
        let seq = if affected > 0 { txn.commit()? } else { inner.last_seq() };
        Ok(WriteOutcome { seq, affected })
    }

    /// Sets columns of the row with primary key `key` (for an admin on a USER table,
    /// `_user` comes first). Changing a key column moves the row.
    pub fn update_row(&self, table: &TableName, key: Vec<Value>, changes: Row) -> Result<WriteOutcome> {
        let inner = &self.engine().inner;
        let mut txn = Txn::begin(inner);
        let def = writable(self, table)?;
        if def.kind == TableKind::Stream {
            return Err(Error::NotAllowed(format!(
                "UPDATE is not allowed on STREAM table {table}: stream tables are append-only"
            )));
        }
        let view = View::of(&def, self.actor());
        let (owner, old_key) = key_of(&def, &view, key)?;
        let stored = txn
            .get(&old_key)?
            .ok_or_else(|| Error::not_found(ObjectKind::Row, format!("{table} with that key")))?;
        let mut values = crate::engine::decode_values(&def, &stored)?;
        for (name, value) in changes {
            if name == USER_COLUMN {
                return Err(Error::NotAllowed("the owner column _user cannot be updated".into()));
            }
            let (i, column) = def.column(&name)?;
            values[i] = coerce(value, column.ty, &column.name)?;
        }
        txn.update(&def, owner.as_deref(), &old_key, values)?;
        Ok(WriteOutcome {
            seq: txn.commit()?,
            affected: 1,
        })
    }

    /// Deletes the rows with these keys; missing keys are skipped and not counted.
    pub fn delete_rows(&self, table: &TableName, keys: Vec<Vec<Value>>) -> Result<WriteOutcome> {
        let inner = &self.engine().inner;
        let mut txn = Txn::begin(inner);
        let def = writable(self, table)?;
        let view = View::of(&def, self.actor());
        let mut affected = 0;
        for key in keys {
            let (_, row_key) = key_of(&def, &view, key)?;
            affected += txn.delete(&def, &row_key)? as u64;
        }
        let seq = if affected > 0 { txn.commit()? } else { inner.last_seq() };
        Ok(WriteOutcome { seq, affected })
    }
}

/// A new row's owner and its values in column order: the given columns converted to
/// their types, the others defaulted (or NULL).
pub(crate) fn new_row(
    def: &TableDef,
    view: &View,
    now_micros: i64,
    mut row: Row,
) -> Result<(Option<String>, Vec<Value>)> {
    let owner = owner_of(def, view, row.remove(USER_COLUMN))?;
    let mut values = Vec::with_capacity(def.columns.len());
    for column in &def.columns {
        let value = match row.remove(&column.name) {
            Some(v) => coerce(v, column.ty, &column.name)?,
            None => match &column.default {
                Some(DefaultExpr::SnowflakeId) => Value::BigInt(next_snowflake_id()),
                Some(DefaultExpr::Now) => Value::Timestamp(now_micros),
                Some(DefaultExpr::Literal(json)) => Value::from_json(json, column.ty, &column.name)?,
                None => Value::Null,
            },
        };
        values.push(value);
    }
    if let Some(unknown) = row.keys().next() {
        return Err(Error::not_found(
            ObjectKind::Column,
            format!("{}.{unknown}", def.full_name()),
        ));
    }
    Ok((owner, values))
}

/// The table to write, resolved while the caller holds the writer lock (so no DDL can
/// change it before the commit).
pub(crate) fn writable(session: &Session, table: &TableName) -> Result<std::sync::Arc<TableDef>> {
    if table.namespace == crate::catalog::SYSTEM_NAMESPACE {
        return Err(Error::NotAllowed(format!("{table} is a read-only SYSTEM table")));
    }
    let def = session.engine().table(table)?;
    if def.kind == TableKind::System {
        return Err(Error::NotAllowed(format!("{table} is a read-only SYSTEM table")));
    }
    Ok(def)
}

/// The owner a new row gets: the session's user, or `_user` given by an admin.
fn owner_of(def: &TableDef, view: &View, given: Option<Value>) -> Result<Option<String>> {
    match (&view.owner, view.owner_column, given) {
        (Some(user), _, None) => Ok(Some(user.clone())),
        (Some(_), _, Some(_)) => Err(Error::NotAllowed(
            "_user is set by the session; only an admin may give it".into(),
        )),
        (None, true, Some(Value::Text(user))) if !user.is_empty() => Ok(Some(user)),
        (None, true, _) => Err(Error::NotNull {
            table: def.full_name(),
            column: USER_COLUMN.into(),
        }),
        (None, false, Some(_)) => Err(Error::not_found(
            ObjectKind::Column,
            format!("{}.{USER_COLUMN}", def.full_name()),
        )),
        (None, false, None) => Ok(None),
    }
}

/// The owner and RocksDB key for a primary key given as values.
fn key_of(def: &TableDef, view: &View, key: Vec<Value>) -> Result<(Option<String>, Vec<u8>)> {
    let expected = def.primary_key.len() + view.offset();
    if key.len() != expected {
        let mut names: Vec<&str> = def.primary_key.iter().map(|&i| def.columns[i].name.as_str()).collect();
        if view.owner_column {
            names.insert(0, USER_COLUMN);
        }
        return Err(Error::InvalidArgument(format!(
            "the key of {} is ({}), got {} value(s)",
            def.full_name(),
            names.join(", "),
            key.len()
        )));
    }
    let mut key = key.into_iter();
    let owner = match (&view.owner, view.owner_column) {
        (Some(user), _) => Some(user.clone()),
        (None, true) => match key.next() {
            Some(Value::Text(user)) => Some(user),
            _ => {
                return Err(Error::InvalidArgument(
                    "the first key value must be the _user text".into(),
                ))
            }
        },
        (None, false) => None,
    };
    let mut values = vec![Value::Null; def.columns.len()];
    for (&i, value) in def.primary_key.iter().zip(key) {
        values[i] = coerce(value, def.columns[i].ty, &def.columns[i].name)?;
    }
    Ok((owner.clone(), row_key(def, owner.as_deref(), &values)))
}

/// A value as the column's type (numbers widen, text parses), or a type mismatch.
pub(crate) fn coerce(value: Value, ty: SqlType, column: &str) -> Result<Value> {
    match (&value, ty) {
        (Value::Text(s), SqlType::Json) => Value::json(s.clone(), column),
        _ => Value::from_scalar(&value.to_scalar(ty), ty, column),
    }
}
