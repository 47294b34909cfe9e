//! The read-only `system` namespace, computed from the catalog when a query names it.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

use crate::catalog::{TableDef, TableKind, SYSTEM_NAMESPACE};
use crate::convert::build_array;
use crate::error::{Error, Result};
use crate::sql::provider::{df_error, Scope};
use crate::types::{SqlType, Value};

pub(crate) const TABLES: [&str; 7] = ["namespaces", "tables", "columns", "live", "queries", "stats", "tokens"];

/// The columns of each system table.
fn columns(name: &str) -> &'static [(&'static str, SqlType)] {
    match name {
        "namespaces" => &[
            ("name", SqlType::Text),
            ("tables", SqlType::BigInt),
            ("created", SqlType::Timestamp),
        ],
        "tables" => &[
            ("namespace", SqlType::Text),
            ("name", SqlType::Text),
            ("kind", SqlType::Text),
            ("rows", SqlType::BigInt),
            ("primary_key", SqlType::Text),
            ("unique", SqlType::Text),
            ("ttl_seconds", SqlType::BigInt),
            ("max_rows", SqlType::BigInt),
            ("created", SqlType::Timestamp),
        ],
        "columns" => &[
            ("namespace", SqlType::Text),
            ("table_name", SqlType::Text),
            ("name", SqlType::Text),
            ("position", SqlType::Int),
            ("type", SqlType::Text),
            ("nullable", SqlType::Boolean),
            ("primary_key", SqlType::Boolean),
            ("unique", SqlType::Text),
            ("default_value", SqlType::Text),
        ],
        "live" => &[
            ("id", SqlType::Text),
            ("user", SqlType::Text),
            ("query", SqlType::Text),
            ("created", SqlType::Timestamp),
            ("delivered", SqlType::BigInt),
            ("last_seq", SqlType::BigInt),
            ("lag", SqlType::BigInt),
            ("status", SqlType::Text),
            ("maintenance", SqlType::Text),
        ],
        "queries" => &[
            ("id", SqlType::BigInt),
            ("user", SqlType::Text),
            ("query", SqlType::Text),
            ("started", SqlType::Timestamp),
            ("elapsed_ms", SqlType::BigInt),
            ("state", SqlType::Text),
        ],
        "tokens" => &[
            ("id", SqlType::Text),
            ("user", SqlType::Text),
            ("label", SqlType::Text),
            ("created", SqlType::Timestamp),
        ],
        _ => &[("name", SqlType::Text), ("value", SqlType::BigInt)],
    }
}

/// The system tables' own definitions, so they list themselves.
pub(crate) fn system_defs() -> Vec<TableDef> {
    TABLES
        .iter()
        .map(|name| TableDef {
            id: 0,
            namespace: SYSTEM_NAMESPACE.into(),
            name: name.to_string(),
            kind: TableKind::System,
            columns: columns(name)
                .iter()
                .map(|(c, ty)| crate::catalog::ColumnDef {
                    name: c.to_string(),
                    ty: *ty,
                    nullable: true,
                    default: None,
                    fill: serde_json::Value::Null,
                })
                .collect(),
            primary_key: vec![],
            unique: vec![],
            ttl_seconds: None,
            max_rows: None,
            created_micros: 0,
        })
        .collect()
}

pub(crate) fn table(scope: &Scope, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
    if !TABLES.contains(&name) {
        return Ok(None);
    }
    let rows = rows(scope, name);
    let spec = columns(name);
    let schema: SchemaRef = Arc::new(Schema::new(
        spec.iter()
            .map(|(c, ty)| Field::new(*c, ty.arrow(), true))
            .collect::<Vec<_>>(),
    ));
    let arrays = spec
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| build_array(*ty, rows.iter().map(|r| &r[i]).collect::<Vec<_>>().into_iter()))
        .collect::<Result<Vec<_>>>()?;
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::Query(e.to_string()))?;
    let memory = MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| Error::Query(e.to_string()))?;
    Ok(Some(Arc::new(SystemTable {
        name: format!("{SYSTEM_NAMESPACE}.{name}"),
        memory,
    })))
}

fn rows(scope: &Scope, name: &str) -> Vec<Vec<Value>> {
    let inner = &scope.inner;
    let catalog = inner.catalog();
    let system = system_defs();
    let user_tables = catalog.tables.values().map(|t| t.as_ref());
    let all_tables: Vec<&TableDef> = system.iter().chain(user_tables).collect();
    let text = |s: &str| Value::Text(s.to_string());
    let opt = |v: Option<u64>| v.map(|v| Value::BigInt(v as i64)).unwrap_or(Value::Null);
    match name {
        "namespaces" => std::iter::once((SYSTEM_NAMESPACE, 0i64))
            .chain(catalog.namespaces.values().map(|n| (n.name.as_str(), n.created_micros)))
            .map(|(ns, created)| {
                let tables = all_tables.iter().filter(|t| t.namespace == ns).count();
                vec![text(ns), Value::BigInt(tables as i64), Value::Timestamp(created)]
            })
            .collect(),
        "tables" => all_tables
            .iter()
            .map(|t| {
                let rows = match t.kind {
                    TableKind::System => Value::Null,
                    _ => Value::BigInt(inner.row_count(t.id)),
                };
                let key = t.column_list(&t.primary_key);
                // UNIQUE constraints as `email; a, b`.
                let unique = t.unique.iter().map(|c| t.column_list(c)).collect::<Vec<_>>().join("; ");
                vec![
                    text(&t.namespace),
                    text(&t.name),
                    text(&t.kind.to_string()),
                    rows,
                    if key.is_empty() { Value::Null } else { Value::Text(key) },
                    if unique.is_empty() {
                        Value::Null
                    } else {
                        Value::Text(unique)
                    },
                    opt(t.ttl_seconds),
                    opt(t.max_rows),
                    Value::Timestamp(t.created_micros),
                ]
            })
            .collect(),
        "columns" => all_tables
            .iter()
            .flat_map(|t| {
                let owner = (t.kind == TableKind::User).then(|| {
                    vec![
                        text(&t.namespace),
                        text(&t.name),
                        text(crate::catalog::USER_COLUMN),
                        Value::Int(0),
                        text("TEXT"),
                        Value::Boolean(false),
                        Value::Boolean(true),
                        Value::Null,
                        Value::Null,
                    ]
                });
                owner.into_iter().chain(t.columns.iter().enumerate().map(move |(i, c)| {
                    vec![
                        text(&t.namespace),
                        text(&t.name),
                        text(&c.name),
                        Value::Int(i as i32 + 1),
                        text(&c.ty.to_string()),
                        Value::Boolean(c.nullable),
                        Value::Boolean(t.is_key_column(i)),
                        unique_of(t, i),
                        c.default
                            .as_ref()
                            .map(|d| Value::Text(d.to_string()))
                            .unwrap_or(Value::Null),
                    ]
                }))
            })
            .collect(),
        "live" => inner
            .live
            .list()
            .into_iter()
            .filter(|l| scope.actor == crate::session::Actor::Admin || l.actor == scope.actor)
            .map(|l| {
                vec![
                    text(&l.id),
                    text(&l.actor.to_string()),
                    text(&l.query),
                    Value::Timestamp(l.created_micros),
                    Value::BigInt(l.delivered as i64),
                    Value::BigInt(l.last_seq as i64),
                    Value::BigInt(l.queued as i64),
                    text(l.status),
                    text(l.maintenance),
                ]
            })
            .collect(),
        // Every running statement for an admin (this one among them), a user's own.
        "queries" => inner
            .queries
            .list(&scope.actor)
            .into_iter()
            .map(|q| {
                vec![
                    Value::BigInt(q.id as i64),
                    text(&q.actor.to_string()),
                    text(&q.sql),
                    Value::Timestamp(q.started_micros),
                    Value::BigInt(q.elapsed.as_millis() as i64),
                    text(q.state),
                ]
            })
            .collect(),
        // Users see their own tokens; only ids and labels, never anything usable.
        "tokens" => inner
            .tokens
            .list()
            .into_iter()
            .filter(|t| scope.actor == crate::session::Actor::Admin || t.actor() == scope.actor)
            .map(|t| {
                vec![
                    text(&t.id),
                    text(&t.actor().to_string()),
                    text(&t.label),
                    Value::Timestamp(t.created_micros),
                ]
            })
            .collect(),
        _ => {
            let total_rows: i64 = catalog.tables.values().map(|t| inner.row_count(t.id)).sum();
            [
                ("last_seq", inner.last_seq() as i64),
                ("namespaces", catalog.namespaces.len() as i64),
                ("tables", catalog.tables.len() as i64),
                ("rows", total_rows),
                ("disk_bytes", inner.store.disk_size() as i64),
            ]
            .into_iter()
            .map(|(k, v)| vec![text(k), Value::BigInt(v)])
            .collect()
        }
    }
}

/// A snapshot of a system view; every write is refused.
#[derive(Debug)]
struct SystemTable {
    name: String,
    memory: MemTable,
}

impl SystemTable {
    fn read_only(&self) -> datafusion::error::DataFusionError {
        df_error(Error::NotAllowed(format!("{} is a read-only SYSTEM table", self.name)))
    }
}

#[async_trait]
impl TableProvider for SystemTable {
    fn schema(&self) -> SchemaRef {
        self.memory.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.memory.scan(state, projection, filters, limit).await
    }

    async fn insert_into(
        &self,
        _: &dyn DfSession,
        _: Arc<dyn ExecutionPlan>,
        _: InsertOp,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(self.read_only())
    }

    async fn update(
        &self,
        _: &dyn DfSession,
        _: Vec<(String, Expr)>,
        _: Vec<Expr>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(self.read_only())
    }

    async fn delete_from(&self, _: &dyn DfSession, _: Vec<Expr>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(self.read_only())
    }

    async fn truncate(&self, _: &dyn DfSession) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(self.read_only())
    }
}

/// The UNIQUE constraints column `i` is part of, as `UNIQUE (a, b)`; NULL for none.
fn unique_of(table: &TableDef, i: usize) -> Value {
    let constraints: Vec<String> = table
        .unique
        .iter()
        .filter(|c| c.contains(&i))
        .map(|c| format!("UNIQUE ({})", table.column_list(c)))
        .collect();
    match constraints.is_empty() {
        true => Value::Null,
        false => Value::Text(constraints.join("; ")),
    }
}
