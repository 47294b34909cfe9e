//! DDL: namespaces and tables. Each statement is one write transaction that updates
//! the stored catalog (and, for DROP, removes the data in the same batch); the
//! in-memory catalog is updated before the writer lock is released.

use std::sync::Arc;

use datafusion::sql::sqlparser::ast::{
    AlterTable, AlterTableOperation, ColumnDef as SqlColumnDef, ColumnOption, CreateTable, CreateTableOptions,
    Expr as SqlExpr, ObjectName, SqlOption, TableConstraint,
};

use crate::catalog::{
    ColumnDef, DefaultExpr, Namespace, TableDef, TableKind, TableName, DEFAULT_NAMESPACE, GENERATED_KEY_COLUMN,
    SYSTEM_NAMESPACE, USER_COLUMN,
};
use crate::engine::Inner;
use crate::error::{Error, ObjectKind, Result};
use crate::sql::parse::normalize_ident;
use crate::storage::keys;
use crate::types::{SqlType, Value};
use crate::write::Txn;

pub(crate) fn create_namespace(inner: &Inner, name: &str, if_not_exists: bool) -> Result<()> {
    check_name(name, "namespace")?;
    if name == SYSTEM_NAMESPACE {
        return Err(Error::NotAllowed("the namespace 'system' is reserved".into()));
    }
    let mut txn = Txn::begin(inner);
    if inner.catalog().namespaces.contains_key(name) {
        return if if_not_exists {
            Ok(())
        } else {
            Err(Error::AlreadyExists {
                kind: ObjectKind::Namespace,
                name: name.into(),
            })
        };
    }
    let ns = Namespace {
        name: name.to_string(),
        created_micros: txn.now_micros,
    };
    txn.put_meta(&keys::namespace_key(name), &to_json(&ns));
    txn.commit()?;
    inner.catalog_mut().namespaces.insert(name.to_string(), ns);
    Ok(())
}

pub(crate) fn drop_namespace(inner: &Inner, name: &str, if_exists: bool, cascade: bool) -> Result<()> {
    if name == SYSTEM_NAMESPACE {
        return Err(Error::NotAllowed("the namespace 'system' cannot be dropped".into()));
    }
    let mut txn = Txn::begin(inner);
    if !inner.catalog().namespaces.contains_key(name) {
        return if if_exists {
            Ok(())
        } else {
            Err(Error::not_found(ObjectKind::Namespace, name))
        };
    }
    let tables: Vec<Arc<TableDef>> = inner.catalog().tables_in(name).cloned().collect();
    if !tables.is_empty() && !cascade {
        return Err(Error::NotAllowed(format!(
            "namespace '{name}' still has {} table(s); use DROP NAMESPACE {name} CASCADE to drop them too",
            tables.len()
        )));
    }
    for table in &tables {
        remove_table(&mut txn, table);
    }
    txn.delete_meta(&keys::namespace_key(name));
    txn.commit()?;
    let mut catalog = inner.catalog_mut();
    for table in &tables {
        catalog.tables.remove(&TableName::new(&table.namespace, &table.name));
        forget_table(inner, &mut txn, table.id);
    }
    catalog.namespaces.remove(name);
    Ok(())
}

/// After a DROP has committed (`txn` still holds the writer lock): its subscriptions
/// end, and its history and row count go.
fn forget_table(inner: &Inner, txn: &mut Txn, table_id: u64) {
    txn.live_history().restart_table(table_id, 0, true);
    inner.live.table_dropped(table_id);
    inner.counts.lock().unwrap_or_else(|p| p.into_inner()).remove(&table_id);
}

/// Deletes a table's definition, rows, STREAM and UNIQUE indexes and row count.
fn remove_table(txn: &mut Txn, table: &TableDef) {
    txn.delete_meta(&keys::table_def_key(table.id));
    for prefix in [
        keys::data_prefix(table.id),
        keys::stream_index_prefix(table.id),
        keys::unique_index_prefix(table.id),
    ] {
        txn.delete_range(&prefix, &keys::prefix_end(&prefix));
    }
    txn.drop_count(table.id);
}

pub(crate) fn create_table(inner: &Inner, kind: TableKind, create: &CreateTable) -> Result<()> {
    if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
        return Err(Error::Unsupported(
            "CREATE TABLE ... AS / LIKE / CLONE; create the table, then INSERT ... SELECT".into(),
        ));
    }
    if create.external || create.temporary || create.or_replace {
        return Err(Error::Unsupported(
            "CREATE [OR REPLACE | TEMPORARY | EXTERNAL] TABLE".into(),
        ));
    }
    let name = table_name(&create.name)?;
    check_name(&name.table, "table")?;
    let mut columns = Vec::with_capacity(create.columns.len() + 1);
    let mut primary_key = Vec::new();
    // By column name: the generated key, when there is one, comes first.
    let mut unique: Vec<Vec<String>> = Vec::new();
    for (i, column) in create.columns.iter().enumerate() {
        let (def, is_key, is_unique) = column_def_of(column, kind)?;
        if is_unique {
            unique.push(vec![def.name.clone()]);
        }
        if columns.iter().any(|c: &ColumnDef| c.name == def.name) {
            return Err(Error::AlreadyExists {
                kind: ObjectKind::Column,
                name: def.name,
            });
        }
        if is_key {
            primary_key.push(i);
        }
        columns.push(def);
    }
    for constraint in &create.constraints {
        match constraint {
            TableConstraint::PrimaryKey(pk) if primary_key.is_empty() => {
                for part in &pk.columns {
                    let column = normalize_expr_ident(&part.column.expr)?;
                    let index = columns
                        .iter()
                        .position(|c| c.name == column)
                        .ok_or_else(|| Error::not_found(ObjectKind::Column, format!("{name}.{column}")))?;
                    primary_key.push(index);
                }
            }
            TableConstraint::PrimaryKey(_) => {
                return Err(Error::NotAllowed("a table has one PRIMARY KEY".into()));
            }
            TableConstraint::Unique(constraint) => {
                let columns = constraint
                    .columns
                    .iter()
                    .map(|part| normalize_expr_ident(&part.column.expr))
                    .collect::<Result<Vec<_>>>()?;
                unique.push(columns);
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "constraint {other}; only PRIMARY KEY and UNIQUE are supported"
                )))
            }
        }
    }
    if primary_key.is_empty() {
        if columns.iter().any(|c| c.name == GENERATED_KEY_COLUMN) {
            return Err(Error::NotAllowed(format!(
                "column name {GENERATED_KEY_COLUMN} is reserved for the generated key of tables without PRIMARY KEY"
            )));
        }
        columns.insert(
            0,
            ColumnDef {
                name: GENERATED_KEY_COLUMN.into(),
                ty: SqlType::BigInt,
                nullable: false,
                default: Some(DefaultExpr::SnowflakeId),
                fill: serde_json::Value::Null,
            },
        );
        primary_key.push(0);
    }
    for &i in &primary_key {
        let column = &mut columns[i];
        if !column.ty.is_keyable() {
            return Err(Error::NotAllowed(format!(
                "column {} of type {} cannot be in the primary key",
                column.name, column.ty
            )));
        }
        column.nullable = false;
    }
    let unique = unique_constraints(&name, &columns, &primary_key, unique)?;
    let (ttl_seconds, max_rows) = table_options(&create.table_options, kind)?;

    let mut txn = Txn::begin(inner);
    if !inner.catalog().namespaces.contains_key(&name.namespace) {
        return Err(match name.namespace == DEFAULT_NAMESPACE {
            true => no_default_namespace(&name.table),
            false => Error::not_found(ObjectKind::Namespace, &name.namespace),
        });
    }
    if inner.catalog().tables.contains_key(&name) {
        return if create.if_not_exists {
            Ok(())
        } else {
            Err(Error::AlreadyExists {
                kind: ObjectKind::Table,
                name: name.to_string(),
            })
        };
    }
    let id = match txn.get(keys::NEXT_TABLE_ID)? {
        Some(bytes) => u64::from_be_bytes(
            bytes
                .try_into()
                .map_err(|_| Error::Storage("corrupt table id".into()))?,
        ),
        None => 1,
    };
    txn.put_meta(keys::NEXT_TABLE_ID, &(id + 1).to_be_bytes());
    let def = TableDef {
        id,
        namespace: name.namespace.clone(),
        name: name.table.clone(),
        kind,
        columns,
        primary_key,
        unique,
        ttl_seconds,
        max_rows,
        created_micros: txn.now_micros,
    };
    txn.put_meta(&keys::table_def_key(id), &to_json(&def));
    txn.commit()?;
    inner.counts.lock().unwrap_or_else(|p| p.into_inner()).insert(id, 0);
    inner.catalog_mut().tables.insert(name, Arc::new(def));
    Ok(())
}

pub(crate) fn drop_tables(inner: &Inner, names: &[ObjectName], if_exists: bool) -> Result<()> {
    let names = names.iter().map(table_name).collect::<Result<Vec<_>>>()?;
    let mut txn = Txn::begin(inner);
    let mut dropped = Vec::new();
    for name in names {
        if name.namespace == SYSTEM_NAMESPACE {
            return Err(Error::NotAllowed(format!(
                "{name} is a SYSTEM table and cannot be dropped"
            )));
        }
        match inner.catalog().table(&name) {
            Ok(table) => dropped.push((name, table)),
            Err(_) if if_exists => {}
            Err(e) => return Err(e),
        }
    }
    if dropped.is_empty() {
        return Ok(());
    }
    for (_, table) in &dropped {
        remove_table(&mut txn, table);
    }
    txn.commit()?;
    let mut catalog = inner.catalog_mut();
    for (name, table) in dropped {
        catalog.tables.remove(&name);
        forget_table(inner, &mut txn, table.id);
    }
    Ok(())
}

pub(crate) fn alter_table(inner: &Inner, alter: &AlterTable) -> Result<()> {
    let name = table_name(&alter.name)?;
    let mut txn = Txn::begin(inner);
    let table = match inner.catalog().table(&name) {
        Ok(table) => table,
        Err(_) if alter.if_exists => return Ok(()),
        Err(e) => return Err(e),
    };
    if table.kind == TableKind::System {
        return Err(Error::NotAllowed(format!("{name} is a read-only SYSTEM table")));
    }
    let mut def = table.as_ref().clone();
    for operation in &alter.operations {
        let AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } = operation
        else {
            return Err(Error::Unsupported(format!(
                "ALTER TABLE {operation}; only ADD COLUMN is supported"
            )));
        };
        let (mut column, is_key, is_unique) = column_def_of(column_def, def.kind)?;
        if def.column_index(&column.name).is_some() {
            if *if_not_exists {
                continue;
            }
            return Err(Error::AlreadyExists {
                kind: ObjectKind::Column,
                name: format!("{name}.{}", column.name),
            });
        }
        if is_key {
            return Err(Error::NotAllowed("ADD COLUMN cannot add a PRIMARY KEY column".into()));
        }
        // Rows already stored read the default as it is now (NOW() at ALTER time).
        column.fill = match &column.default {
            Some(DefaultExpr::Literal(json)) => json.clone(),
            Some(DefaultExpr::Now) => Value::Timestamp(txn.now_micros).to_json(column.ty),
            Some(DefaultExpr::SnowflakeId) if txn.row_count(&def) > 0 => {
                return Err(Error::NotAllowed(format!(
                    "ADD COLUMN {} DEFAULT SNOWFLAKE_ID() needs an empty table: existing rows would share one id",
                    column.name
                )))
            }
            _ => serde_json::Value::Null,
        };
        if !column.nullable && column.fill.is_null() && txn.row_count(&def) > 0 {
            return Err(Error::NotNull {
                table: name.to_string(),
                column: column.name,
            });
        }
        if is_unique {
            // Stored rows read the fill value: a NULL claims nothing, anything else
            // would need every row to claim the same value.
            if !column.fill.is_null() && txn.row_count(&def) > 0 {
                return Err(Error::NotAllowed(format!(
                    "ADD COLUMN {} UNIQUE with a DEFAULT needs an empty table: existing rows would share one value",
                    column.name
                )));
            }
            let mut columns = def.columns.clone();
            columns.push(column.clone());
            def.unique.extend(unique_constraints(
                &name,
                &columns,
                &def.primary_key,
                vec![vec![column.name.clone()]],
            )?);
        }
        def.columns.push(column);
    }
    txn.put_meta(&keys::table_def_key(def.id), &to_json(&def));
    let seq = txn.commit()?;
    // Earlier history no longer fits the table's rows.
    txn.live_history().restart_table(def.id, seq, false);
    inner.catalog_mut().tables.insert(name, Arc::new(def));
    Ok(())
}

/// A table named without a namespace while the namespace `default` does not exist.
pub(crate) fn no_default_namespace(table: &str) -> Error {
    Error::InvalidArgument(format!(
        "table name '{table}' must be written namespace.table, or CREATE NAMESPACE {DEFAULT_NAMESPACE} for names without one"
    ))
}

/// `ns.table` from a parsed name; a bare `table` is `default.table`.
pub(crate) fn table_name(name: &ObjectName) -> Result<TableName> {
    let parts = name
        .0
        .iter()
        .map(|p| p.as_ident().map(|i| normalize_ident(&i.value, i.quote_style.is_some())))
        .collect::<Option<Vec<_>>>();
    match parts.as_deref() {
        Some([ns, table]) => Ok(TableName::new(ns, table)),
        Some([table]) => Ok(TableName::new(DEFAULT_NAMESPACE, table)),
        _ => Err(Error::InvalidArgument(format!(
            "table name '{name}' must be written namespace.table"
        ))),
    }
}

/// A column's definition, whether it is (part of) the PRIMARY KEY and whether it is UNIQUE.
fn column_def_of(column: &SqlColumnDef, kind: TableKind) -> Result<(ColumnDef, bool, bool)> {
    let name = normalize_ident(&column.name.value, column.name.quote_style.is_some());
    check_name(&name, "column")?;
    if kind == TableKind::User && name == USER_COLUMN {
        return Err(Error::NotAllowed(format!(
            "column name {USER_COLUMN} is reserved for the owner of USER table rows"
        )));
    }
    let ty = SqlType::parse(&column.data_type.to_string())?;
    let mut def = ColumnDef {
        name,
        ty,
        nullable: true,
        default: None,
        fill: serde_json::Value::Null,
    };
    let (mut is_key, mut is_unique) = (false, false);
    for option in &column.options {
        match &option.option {
            ColumnOption::Null => def.nullable = true,
            ColumnOption::NotNull => def.nullable = false,
            ColumnOption::PrimaryKey(_) => is_key = true,
            ColumnOption::Unique(_) => is_unique = true,
            ColumnOption::Default(expr) => def.default = default_expr(expr, &def)?,
            other => {
                return Err(Error::Unsupported(format!(
                    "column option {other}; use NOT NULL, NULL, DEFAULT, UNIQUE or PRIMARY KEY"
                )))
            }
        }
    }
    Ok((def, is_key, is_unique))
}

/// UNIQUE constraints by column name → by column index: each column known, keyable
/// and named once; a constraint the primary key already implies, or one declared
/// twice, is kept once or not at all.
fn unique_constraints(
    table: &TableName,
    columns: &[ColumnDef],
    primary_key: &[usize],
    constraints: Vec<Vec<String>>,
) -> Result<Vec<Vec<usize>>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for names in constraints {
        let mut indexes = Vec::with_capacity(names.len());
        for name in &names {
            let index = columns
                .iter()
                .position(|c| &c.name == name)
                .ok_or_else(|| Error::not_found(ObjectKind::Column, format!("{table}.{name}")))?;
            if indexes.contains(&index) {
                return Err(Error::InvalidArgument(format!(
                    "column {name} is named twice in UNIQUE"
                )));
            }
            if !columns[index].ty.is_keyable() {
                return Err(Error::NotAllowed(format!(
                    "column {name} of type {} cannot be UNIQUE",
                    columns[index].ty
                )));
            }
            indexes.push(index);
        }
        let mut sorted = indexes.clone();
        sorted.sort_unstable();
        // A superset of the primary key is unique already.
        if primary_key.iter().all(|k| sorted.contains(k)) {
            continue;
        }
        if !out.iter().any(|o| {
            let mut o = o.clone();
            o.sort_unstable();
            o == sorted
        }) {
            out.push(indexes);
        }
    }
    Ok(out)
}

/// DEFAULT: a constant, NOW() / CURRENT_TIMESTAMP, or SNOWFLAKE_ID().
fn default_expr(expr: &SqlExpr, column: &ColumnDef) -> Result<Option<DefaultExpr>> {
    let text = expr.to_string();
    let upper = text.to_ascii_uppercase().replace(' ', "");
    let default = match upper.as_str() {
        "SNOWFLAKE_ID()" => {
            if !matches!(column.ty, SqlType::BigInt) {
                return Err(Error::NotAllowed(format!(
                    "DEFAULT SNOWFLAKE_ID() needs a BIGINT column, {} is {}",
                    column.name, column.ty
                )));
            }
            DefaultExpr::SnowflakeId
        }
        "NOW()" | "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" => {
            if column.ty != SqlType::Timestamp {
                return Err(Error::NotAllowed(format!(
                    "DEFAULT NOW() needs a TIMESTAMP column, {} is {}",
                    column.name, column.ty
                )));
            }
            DefaultExpr::Now
        }
        "NULL" => return Ok(None),
        _ => {
            let json = if let Some(s) = text.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                serde_json::Value::String(s.replace("''", "'"))
            } else if upper == "TRUE" || upper == "FALSE" {
                serde_json::Value::Bool(upper == "TRUE")
            } else if let Ok(n) = text.parse::<serde_json::Number>() {
                serde_json::Value::Number(n)
            } else {
                return Err(Error::Unsupported(format!(
                    "DEFAULT {text}; use a constant, NOW() or SNOWFLAKE_ID()"
                )));
            };
            // Check the constant fits the column now rather than at the first INSERT.
            let value = Value::from_json(&json, column.ty, &column.name)?;
            DefaultExpr::Literal(value.to_json(column.ty))
        }
    };
    Ok(Some(default))
}

/// TTL_SECONDS and MAX_ROWS, which only STREAM tables take (TTL_SECONDS required).
/// The largest TTL_SECONDS / MAX_ROWS: TTLs are computed in microseconds as i64.
const MAX_OPTION_VALUE: u64 = (i64::MAX / 1_000_000) as u64;

fn table_options(options: &CreateTableOptions, kind: TableKind) -> Result<(Option<u64>, Option<u64>)> {
    let list: &[SqlOption] = match options {
        CreateTableOptions::None => &[],
        CreateTableOptions::With(list) => list,
        other => {
            return Err(Error::Unsupported(format!(
                "table options {other}; use WITH (TTL_SECONDS = n, MAX_ROWS = n)"
            )))
        }
    };
    let (mut ttl, mut max_rows) = (None, None);
    for option in list {
        let SqlOption::KeyValue { key, value } = option else {
            return Err(Error::Unsupported(format!("table option {option}")));
        };
        let number = value
            .to_string()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0 && *n <= MAX_OPTION_VALUE)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{} must be a whole number from 1 to {MAX_OPTION_VALUE}, got {value}",
                    key.value
                ))
            })?;
        match key.value.to_ascii_uppercase().as_str() {
            "TTL_SECONDS" => ttl = Some(number),
            "MAX_ROWS" => max_rows = Some(number),
            other => {
                return Err(Error::Unsupported(format!(
                    "table option {other}; known: TTL_SECONDS, MAX_ROWS"
                )))
            }
        }
    }
    match kind {
        TableKind::Stream if ttl.is_none() => Err(Error::InvalidArgument(
            "a STREAM table needs WITH (TTL_SECONDS = n): stream rows expire".into(),
        )),
        TableKind::Stream => Ok((ttl, max_rows)),
        _ if ttl.is_some() || max_rows.is_some() => Err(Error::NotAllowed(
            "TTL_SECONDS and MAX_ROWS apply to STREAM tables only".into(),
        )),
        _ => Ok((None, None)),
    }
}

fn normalize_expr_ident(expr: &SqlExpr) -> Result<String> {
    match expr {
        SqlExpr::Identifier(ident) => Ok(normalize_ident(&ident.value, ident.quote_style.is_some())),
        other => Err(Error::Unsupported(format!("PRIMARY KEY ({other}); list column names"))),
    }
}

/// Names are non-empty and printable; a leading underscore is reserved for generated columns.
fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() || name.chars().any(|c| c.is_control()) || name.contains('.') {
        return Err(Error::InvalidArgument(format!("invalid {what} name '{name}'")));
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::catalog::TableName;
    use crate::session::Actor;
    use crate::storage::keys;
    use crate::Engine;

    /// DROP TABLE and DROP NAMESPACE ... CASCADE delete the rows from RocksDB, not
    /// just the catalog entry.
    #[tokio::test]
    async fn drop_removes_the_stored_rows() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let admin = engine.session(Actor::Admin);
        admin
            .execute(
                "CREATE NAMESPACE a; CREATE TABLE a.t (id INT PRIMARY KEY); INSERT INTO a.t VALUES (1), (2);
                 CREATE STREAM TABLE a.s (id INT PRIMARY KEY) WITH (TTL_SECONDS = 60); INSERT INTO a.s VALUES (1);",
            )
            .await
            .unwrap();
        let ids: Vec<u64> = ["t", "s"]
            .iter()
            .map(|t| engine.table(&TableName::new("a", *t)).unwrap().id)
            .collect();
        let stored = |prefix: Vec<u8>| engine.inner.store.prefix(&prefix).count();
        assert_eq!(stored(keys::data_prefix(ids[0])), 2);
        admin.execute("DROP TABLE a.t").await.unwrap();
        assert_eq!(stored(keys::data_prefix(ids[0])), 0);
        assert_eq!(stored(keys::data_prefix(ids[1])), 1);
        admin.execute("DROP NAMESPACE a CASCADE").await.unwrap();
        assert_eq!(stored(keys::data_prefix(ids[1])), 0);
        assert_eq!(stored(keys::stream_index_prefix(ids[1])), 0);
        assert_eq!(stored(keys::count_key(ids[1])), 0);
    }
}
