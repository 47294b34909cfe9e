//! How DataFusion sees Tidepool: one catalog (`tidepool`) whose schemas are the
//! namespaces, whose tables are `RocksTable`s (or the read-only system views). Each
//! session builds its providers for its acting user, so a USER table shows a user
//! only their rows and shows an admin every row with `_user`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::{CatalogProvider, SchemaProvider, Session as DfSession, TableProvider};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::lit;

use crate::catalog::{DefaultExpr, TableDef, TableKind, TableName, SYSTEM_NAMESPACE, USER_COLUMN};
use crate::engine::Inner;
use crate::error::Error;
use crate::session::Actor;
use crate::sql::dml::{DmlExec, InsertExec};
use crate::sql::dml_plan::WriteKind;
use crate::sql::pushdown::KeyRanges;
use crate::sql::scan::ScanExec;
use crate::sql::{functions, system};
use crate::types::{SqlType, Value};

pub(crate) const CATALOG_NAME: &str = "tidepool";
/// Field metadata key marking columns whose Arrow type does not say everything (JSON
/// is stored as text).
pub const TYPE_METADATA: &str = "tidepool.type";

/// What every provider of one session shares.
#[derive(Debug)]
pub(crate) struct Scope {
    pub inner: Arc<Inner>,
    pub actor: Actor,
    pub file_access: bool,
    /// Session-local tables made by CREATE EXTERNAL TABLE (file access only).
    pub external: Mutex<HashMap<TableName, Arc<dyn TableProvider>>>,
    /// When set, scans read this commit instead of the latest state (a re-evaluated
    /// live query reads every table at one commit).
    pub snapshot: Mutex<Option<Arc<crate::engine::PinnedSnapshot>>>,
}

pub(crate) fn df_error(error: Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

#[derive(Debug)]
pub(crate) struct TidepoolCatalog(pub Arc<Scope>);

impl CatalogProvider for TidepoolCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.inner.catalog().namespaces.keys().cloned().collect();
        names.push(SYSTEM_NAMESPACE.to_string());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let known = name == SYSTEM_NAMESPACE || self.0.inner.catalog().namespaces.contains_key(name);
        known.then(|| {
            Arc::new(NamespaceSchema {
                scope: self.0.clone(),
                namespace: name.to_string(),
            }) as Arc<dyn SchemaProvider>
        })
    }
}

#[derive(Debug)]
struct NamespaceSchema {
    scope: Arc<Scope>,
    namespace: String,
}

#[async_trait]
impl SchemaProvider for NamespaceSchema {
    fn table_names(&self) -> Vec<String> {
        if self.namespace == SYSTEM_NAMESPACE {
            return system::TABLES.iter().map(|t| t.to_string()).collect();
        }
        self.scope
            .inner
            .catalog()
            .tables_in(&self.namespace)
            .map(|t| t.name.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let table_name = TableName::new(&self.namespace, name);
        if let Some(external) = self
            .scope
            .external
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&table_name)
        {
            return Ok(Some(external.clone()));
        }
        if self.namespace == SYSTEM_NAMESPACE {
            return system::table(&self.scope, name).map_err(df_error);
        }
        let def = self.scope.inner.catalog().tables.get(&table_name).cloned();
        Ok(def.map(|def| Arc::new(RocksTable::new(self.scope.clone(), def)) as Arc<dyn TableProvider>))
    }

    fn register_table(&self, name: String, table: Arc<dyn TableProvider>) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if !self.scope.file_access {
            return Err(df_error(Error::NotAllowed(
                "tables are created with CREATE TABLE; external tables need file access enabled for the session".into(),
            )));
        }
        let key = TableName::new(&self.namespace, name);
        Ok(self
            .scope
            .external
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, table))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.table_names().iter().any(|t| t == name)
    }
}

/// A Tidepool table as seen by one session.
#[derive(Debug)]
pub(crate) struct RocksTable {
    scope: Arc<Scope>,
    def: Arc<TableDef>,
    schema: SchemaRef,
    /// The type of each schema column.
    types: Vec<SqlType>,
    /// Column defaults as DataFusion expressions, for INSERTs that omit columns.
    defaults: HashMap<String, Expr>,
}

/// The session-specific shape of a table: is `_user` shown, and whose rows are visible.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// `_user` is the first column (an admin looking at a USER table).
    pub owner_column: bool,
    /// Only this user's rows (a user looking at a USER table).
    pub owner: Option<String>,
}

impl View {
    pub fn of(def: &TableDef, actor: &Actor) -> View {
        match (def.kind, actor) {
            (TableKind::User, Actor::Admin) => View {
                owner_column: true,
                owner: None,
            },
            (TableKind::User, Actor::User(user)) => View {
                owner_column: false,
                owner: Some(user.clone()),
            },
            _ => View {
                owner_column: false,
                owner: None,
            },
        }
    }

    /// Offset of the first table column in the session's schema.
    pub fn offset(&self) -> usize {
        self.owner_column as usize
    }
}

impl RocksTable {
    pub fn new(scope: Arc<Scope>, def: Arc<TableDef>) -> RocksTable {
        let view = View::of(&def, &scope.actor);
        let (schema, types) = session_schema(&def, &view);
        let defaults = def
            .columns
            .iter()
            .filter_map(|c| {
                let expr = match c.default.as_ref()? {
                    DefaultExpr::SnowflakeId => functions::snowflake_id_expr(),
                    DefaultExpr::Now => datafusion::functions::expr_fn::now(),
                    DefaultExpr::Literal(json) => lit(Value::from_json(json, c.ty, &c.name).ok()?.to_scalar(c.ty)),
                };
                Some((c.name.clone(), expr))
            })
            .collect();
        RocksTable {
            scope,
            def,
            schema,
            types,
            defaults,
        }
    }

    pub fn view(&self) -> View {
        View::of(&self.def, &self.scope.actor)
    }

    fn key_ranges(&self, filters: &[Expr]) -> KeyRanges {
        KeyRanges::from_filters(&self.def, &self.view(), filters)
    }
}

/// The Arrow schema a session sees for a table, and each column's type.
pub(crate) fn session_schema(def: &TableDef, view: &View) -> (SchemaRef, Vec<SqlType>) {
    let mut fields = Vec::with_capacity(def.columns.len() + 1);
    let mut types = Vec::with_capacity(def.columns.len() + 1);
    // Every field is nullable for DataFusion: NOT NULL is enforced by the write
    // transaction, which names the table and column in its error.
    if view.owner_column {
        fields.push(Field::new(USER_COLUMN, SqlType::Text.arrow(), true));
        types.push(SqlType::Text);
    }
    for c in &def.columns {
        let mut field = Field::new(&c.name, c.ty.arrow(), true);
        if c.ty == SqlType::Json {
            field = field.with_metadata([(TYPE_METADATA.to_string(), "JSON".to_string())].into());
        }
        fields.push(field);
        types.push(c.ty);
    }
    (Arc::new(Schema::new(fields)), types)
}

#[async_trait]
impl TableProvider for RocksTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn get_column_default(&self, column: &str) -> Option<&Expr> {
        self.defaults.get(column)
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        let view = self.view();
        Ok(filters
            .iter()
            .map(|f| {
                if KeyRanges::can_push(&self.def, &view, f) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        Ok(Arc::new(
            ScanExec::new(
                self.scope.inner.clone(),
                self.scope.snapshot.lock().unwrap_or_else(|p| p.into_inner()).clone(),
                self.def.clone(),
                self.view(),
                self.schema.clone(),
                self.types.clone(),
                projection,
                self.key_ranges(filters),
                limit,
                state.config_options().execution.target_partitions,
            )
            .map_err(df_error)?,
        ))
    }

    async fn insert_into(
        &self,
        _state: &dyn DfSession,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if insert_op != InsertOp::Append {
            return Err(df_error(Error::Unsupported(format!(
                "INSERT {insert_op}; use INSERT INTO"
            ))));
        }
        Ok(Arc::new(InsertExec::new(
            input,
            self.scope.inner.clone(),
            self.def.clone(),
            self.view(),
            self.types.clone(),
        )))
    }
}

impl RocksTable {
    pub fn def(&self) -> &Arc<TableDef> {
        &self.def
    }

    /// The plan that writes an UPDATE's or DELETE's selection (`sql::dml_plan`).
    pub fn write_exec(&self, kind: WriteKind, selection: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        Arc::new(DmlExec::new(
            self.scope.inner.clone(),
            self.def.clone(),
            self.view(),
            self.types.clone(),
            kind,
            selection,
        ))
    }
}
