//! The catalog: namespaces and table definitions, persisted as JSON under `c…` keys
//! and held in memory behind a lock. Changes go through a write transaction like rows,
//! so a DDL statement commits atomically with its data (DROP removes both).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ObjectKind, Result};
use crate::types::{SqlType, Value};

/// The namespace that holds the engine's read-only views.
pub const SYSTEM_NAMESPACE: &str = "system";
/// The hidden owner column of USER tables.
pub const USER_COLUMN: &str = "_user";
/// The generated key column of tables declared without a primary key.
pub const GENERATED_KEY_COLUMN: &str = "_id";
/// The namespace of a table named without one (`t` means `default.t`), like
/// PostgreSQL's `public`; it exists once someone creates it.
pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableKind {
    User,
    Shared,
    Stream,
    System,
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TableKind::User => "USER",
            TableKind::Shared => "SHARED",
            TableKind::Stream => "STREAM",
            TableKind::System => "SYSTEM",
        })
    }
}

/// A column default, evaluated per inserted row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultExpr {
    SnowflakeId,
    Now,
    /// A constant, stored as the JSON form of the value.
    Literal(serde_json::Value),
}

impl fmt::Display for DefaultExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultExpr::SnowflakeId => f.write_str("SNOWFLAKE_ID()"),
            DefaultExpr::Now => f.write_str("NOW()"),
            DefaultExpr::Literal(v) => write!(f, "{v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
    pub default: Option<DefaultExpr>,
    /// What rows written before this column was added read as (JSON form).
    #[serde(default)]
    pub fill: serde_json::Value,
}

impl ColumnDef {
    pub fn fill_value(&self) -> Value {
        Value::from_json(&self.fill, self.ty, &self.name).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    pub name: String,
    pub created_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Never reused: a dropped and recreated table gets a fresh key range.
    pub id: u64,
    pub namespace: String,
    pub name: String,
    pub kind: TableKind,
    pub columns: Vec<ColumnDef>,
    /// Indexes into `columns`, in key order.
    pub primary_key: Vec<usize>,
    /// UNIQUE constraints, each a list of indexes into `columns`: no two rows (of one
    /// owner, in a USER table) hold the same values in them unless one is NULL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Vec<usize>>,
    pub ttl_seconds: Option<u64>,
    pub max_rows: Option<u64>,
    pub created_micros: i64,
}

impl TableDef {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn column(&self, name: &str) -> Result<(usize, &ColumnDef)> {
        self.column_index(name)
            .map(|i| (i, &self.columns[i]))
            .ok_or_else(|| Error::not_found(ObjectKind::Column, format!("{}.{name}", self.full_name())))
    }

    pub fn is_key_column(&self, index: usize) -> bool {
        self.primary_key.contains(&index)
    }

    /// The names of the columns at `indexes`, as `a, b`.
    pub fn column_list(&self, indexes: &[usize]) -> String {
        let names: Vec<&str> = indexes.iter().map(|&i| self.columns[i].name.as_str()).collect();
        names.join(", ")
    }

    /// The table was declared without PRIMARY KEY: its key is the generated `_id`,
    /// which `*` does not show (`sql::wildcard`).
    pub fn generated_key(&self) -> bool {
        match self.primary_key.as_slice() {
            [i] => {
                let column = &self.columns[*i];
                column.name == GENERATED_KEY_COLUMN && column.default == Some(DefaultExpr::SnowflakeId)
            }
            _ => false,
        }
    }
}

/// A table name as written: `ns.table` (or just `table`, resolved against no default).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName {
    pub namespace: String,
    pub table: String,
}

impl TableName {
    pub fn new(namespace: impl Into<String>, table: impl Into<String>) -> Self {
        TableName {
            namespace: namespace.into(),
            table: table.into(),
        }
    }

    /// Parses `ns.table`.
    pub fn parse(text: &str) -> Result<TableName> {
        match text.split_once('.') {
            Some((ns, t)) if !ns.is_empty() && !t.is_empty() && !t.contains('.') => Ok(TableName::new(ns, t)),
            _ => Err(Error::InvalidArgument(format!(
                "table name '{text}' must be written namespace.table"
            ))),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.namespace, self.table)
    }
}

/// The in-memory catalog.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub namespaces: BTreeMap<String, Namespace>,
    pub tables: BTreeMap<TableName, Arc<TableDef>>,
}

impl Catalog {
    pub fn table(&self, name: &TableName) -> Result<Arc<TableDef>> {
        if !self.namespaces.contains_key(&name.namespace) && name.namespace != SYSTEM_NAMESPACE {
            return Err(Error::not_found(ObjectKind::Namespace, &name.namespace));
        }
        self.tables
            .get(name)
            .cloned()
            .ok_or_else(|| Error::not_found(ObjectKind::Table, name.to_string()))
    }

    pub fn tables_in<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Arc<TableDef>> + 'a {
        self.tables
            .range(TableName::new(namespace, "")..)
            .take_while(move |(k, _)| k.namespace == namespace)
            .map(|(_, t)| t)
    }
}
