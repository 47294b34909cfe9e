//! A session: an acting user plus a DataFusion context whose providers see the
//! database as that user. Statements run one at a time, each atomically.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, Ident, Insert, ObjectName, ObjectType, SchemaName, SetExpr, Statement as SqlStatementAst,
    TableObject, Value as SqlValue,
};

use crate::catalog::{TableKind, DEFAULT_NAMESPACE, GENERATED_KEY_COLUMN, USER_COLUMN};
use crate::engine::Engine;
use crate::error::{Error, ObjectKind, Position, Result};
use crate::live::Subscription;
use crate::queries::{CancelHandle, Control};
use crate::sql::errors::from_df;
use crate::sql::parse::{normalize_ident, parse, plainly_standard, split_statements, Parsed, SqlStatement};
use crate::sql::provider::{Scope, TidepoolCatalog, View, CATALOG_NAME};
use crate::sql::{ddl, direct, dml_plan, functions, wildcard};
use crate::suggest;
use crate::types::{SqlType, Value};

/// How a call runs its statements.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop a statement that runs longer than this (the engine's
    /// `EngineOptions::statement_timeout`, if shorter, still applies).
    pub timeout: Option<std::time::Duration>,
    /// Stops the running statement when cancelled.
    pub cancel: Option<CancelHandle>,
}

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// Sees and writes every row; USER tables show `_user`.
    Admin,
    /// Sees and writes only its own rows of USER tables.
    User(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Admin => f.write_str("admin"),
            Actor::User(u) => f.write_str(u),
        }
    }
}

/// What one statement produced.
#[derive(Debug)]
pub enum StatementResult {
    /// A query's rows.
    Rows {
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    },
    /// Rows written by DML.
    Affected(u64),
    /// A statement that returns nothing (DDL).
    Done,
    /// `SUBSCRIBE TO ...`: read the subscription's messages from it.
    Subscription(Subscription),
}

impl StatementResult {
    pub fn row_count(&self) -> usize {
        match self {
            StatementResult::Rows { batches, .. } => batches.iter().map(|b| b.num_rows()).sum(),
            StatementResult::Affected(_) | StatementResult::Done | StatementResult::Subscription(_) => 0,
        }
    }
}

pub struct Session {
    engine: Engine,
    scope: Arc<Scope>,
    ctx: SessionContext,
    /// DataFusion's plans of statements this session ran, by statement text, each with
    /// the catalog version it was made at (`Inner::catalog_version`).
    plans: Mutex<HashMap<String, (u64, LogicalPlan)>>,
    /// The direct path's compiled statements by their text with the literals taken out
    /// (`direct::literals_out`), with the catalog version they were compiled at; `None`
    /// for a shape the path does not serve.
    shapes: Mutex<HashMap<String, (u64, Option<direct::Direct>)>>,
}

/// Statement plans a session keeps; past it the cache starts over.
const PLAN_CACHE_ENTRIES: usize = 256;

/// A statement parsed and planned once, run many times with `$1`-style parameters
/// (`Session::prepare`, `Session::execute_prepared`).
pub struct Prepared {
    sql: String,
    at: Position,
    actor: Actor,
    statement: DfStatement,
    /// The direct path's form of the statement, with the catalog version it was
    /// compiled at (`None` when the path does not serve it).
    direct: Mutex<(u64, Option<direct::Direct>)>,
    /// The type DataFusion expects of each parameter, when it could tell.
    types: Vec<Option<DataType>>,
    plan: Mutex<(u64, LogicalPlan)>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("sql", &self.sql)
            .field("params", &self.types.len())
            .finish()
    }
}

impl Prepared {
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many parameters it takes (`$1` … `$n`).
    pub fn param_count(&self) -> usize {
        self.types.len()
    }
}

impl Session {
    pub(crate) fn new(engine: Engine, actor: Actor) -> Session {
        Session::build(engine, actor, false)
    }

    fn build(engine: Engine, actor: Actor, file_access: bool) -> Session {
        let scope = Arc::new(Scope {
            inner: engine.inner.clone(),
            actor,
            file_access,
            external: Mutex::new(HashMap::new()),
            snapshot: Mutex::new(None),
        });
        let config = SessionConfig::new()
            .with_default_catalog_and_schema(CATALOG_NAME, DEFAULT_NAMESPACE)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_analyzer_rule(Arc::new(dml_plan::PlanWrites))
            .with_query_planner(Arc::new(dml_plan::Planner))
            .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.register_catalog(CATALOG_NAME, Arc::new(TidepoolCatalog(scope.clone())));
        ctx.register_udf(functions::snowflake_id_udf());
        Session {
            engine,
            scope,
            ctx,
            plans: Mutex::new(HashMap::new()),
            shapes: Mutex::new(HashMap::new()),
        }
    }

    /// Turns on statements that read or write files (`CREATE EXTERNAL TABLE`,
    /// `COPY ... TO`) for this session only. Off by default.
    pub fn with_file_access(self, enabled: bool) -> Session {
        Session::build(self.engine, self.scope.actor.clone(), enabled)
    }

    pub fn actor(&self) -> &Actor {
        &self.scope.actor
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Splits a script into statements (see `execute_statement`).
    pub fn split(&self, script: &str) -> Result<Vec<SqlStatement>> {
        split_statements(script)
    }

    /// Runs every statement of a script in order, stopping at the first error (earlier
    /// statements stay committed).
    pub async fn execute(&self, script: &str) -> Result<Vec<StatementResult>> {
        self.execute_with(script, &RunOptions::default()).await
    }

    /// Runs a script as [`Session::execute`] does, each statement with `options`' time
    /// limit and cancel.
    pub async fn execute_with(&self, script: &str, options: &RunOptions) -> Result<Vec<StatementResult>> {
        let mut results = Vec::new();
        for statement in split_statements(script)? {
            results.push(self.execute_statement_with(&statement, options).await?);
        }
        Ok(results)
    }

    /// Runs one statement.
    pub async fn execute_statement(&self, statement: &SqlStatement) -> Result<StatementResult> {
        self.execute_statement_with(statement, &RunOptions::default()).await
    }

    /// Runs one statement, listed in `system.queries` while it runs, and stops it when
    /// its time limit passes, `options.cancel` is cancelled or `KILL QUERY` names it.
    /// A stopped statement has written nothing: a write is stopped only before its
    /// commit begins (after that it finishes).
    pub async fn execute_statement_with(
        &self,
        statement: &SqlStatement,
        options: &RunOptions,
    ) -> Result<StatementResult> {
        self.controlled(&statement.sql, options, self.run_statement(statement))
            .await
            .map_err(|e| suggest::explain(self.engine(), e, &statement.sql))
    }

    /// Runs `work` as one registered statement (see `execute_statement_with`).
    async fn controlled<T>(
        &self,
        sql: &str,
        options: &RunOptions,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let inner = &self.scope.inner;
        // The engine's limit is a cap: a call may only ask for less.
        let limit = match (options.timeout, inner.statement_timeout) {
            (Some(call), Some(cap)) => Some(call.min(cap)),
            (call, cap) => call.or(cap),
        };
        let running = inner
            .queries
            .start(&self.scope.actor, sql, limit, inner.clock.now_micros());
        let control = running.control.clone();
        // These only ask the statement to stop (which a committing write ignores);
        // `stopped` ends it once it has.
        let stop = async {
            let cancel = async {
                if let Some(cancel) = &options.cancel {
                    cancel.cancelled().await;
                    control.cancel();
                }
            };
            futures::join!(cancel, control.expire());
            std::future::pending::<std::convert::Infallible>().await
        };
        tokio::select! {
            // Polled in this order: a handle cancelled before the statement starts
            // stops it before it does anything.
            biased;
            never = stop => match never {},
            error = control.stopped() => Err(error),
            result = CONTROL.scope(control.clone(), work) => result,
        }
    }

    /// The statement itself, in the control `controlled` gives it.
    async fn run_statement(&self, statement: &SqlStatement) -> Result<StatementResult> {
        let at = statement.position;
        if let Some(result) = self.run_shape(statement).await {
            return result;
        }
        if let Some(plan) = self.cached_plan(&statement.sql) {
            return self.run_plan(plan, at).await;
        }
        let parsed = parse(statement)?;
        let inner = &self.scope.inner;
        match parsed {
            Parsed::CreateNamespace { name, if_not_exists } => {
                self.require_admin("CREATE NAMESPACE")?;
                ddl::create_namespace(inner, &name, if_not_exists)?;
            }
            Parsed::DropNamespace {
                name,
                if_exists,
                cascade,
            } => {
                self.require_admin("DROP NAMESPACE")?;
                ddl::drop_namespace(inner, &name, if_exists, cascade)?;
            }
            Parsed::ShowNamespaces => {
                return self
                    .query_internal("SELECT name, tables FROM system.namespaces ORDER BY name", at)
                    .await;
            }
            Parsed::ShowTables { namespace } => {
                let filter = match namespace {
                    Some(ns) => {
                        if ns != crate::catalog::SYSTEM_NAMESPACE && !inner.catalog().namespaces.contains_key(&ns) {
                            return Err(Error::not_found(crate::error::ObjectKind::Namespace, ns));
                        }
                        format!("WHERE namespace = '{}'", ns.replace('\'', "''"))
                    }
                    None => String::new(),
                };
                let sql =
                    format!("SELECT namespace, name, kind, rows FROM system.tables {filter} ORDER BY namespace, name");
                return self.query_internal(&sql, at).await;
            }
            Parsed::Describe { table } => {
                if table.namespace == DEFAULT_NAMESPACE && !inner.catalog().namespaces.contains_key(DEFAULT_NAMESPACE) {
                    return Err(ddl::no_default_namespace(&table.table));
                }
                if table.namespace != crate::catalog::SYSTEM_NAMESPACE {
                    inner.table(&table)?;
                }
                let sql = format!(
                    "SELECT name, type, nullable, primary_key, \"unique\", default_value FROM system.columns \
                     WHERE namespace = '{}' AND table_name = '{}' ORDER BY position",
                    table.namespace.replace('\'', "''"),
                    table.table.replace('\'', "''")
                );
                let result = self.query_internal(&sql, at).await?;
                if result.row_count() == 0 {
                    return Err(Error::not_found(crate::error::ObjectKind::Table, table.to_string()));
                }
                return Ok(result);
            }
            Parsed::ExecuteAs { user, statement } => {
                self.require_admin("EXECUTE AS USER")?;
                if user.is_empty() {
                    return Err(Error::InvalidArgument(
                        "EXECUTE AS USER needs a non-empty user name".into(),
                    ));
                }
                let session = Session::new(self.engine.clone(), Actor::User(user));
                // The same registered statement: stopping this one stops that one.
                return Box::pin(session.run_statement(&statement)).await;
            }
            Parsed::CreateTable { kind, statement } => {
                self.require_admin("CREATE TABLE")?;
                match *statement {
                    DfStatement::Statement(s) => match *s {
                        SqlStatementAst::CreateTable(create) => {
                            ddl::create_table(inner, kind, &create)?;
                        }
                        _ => {
                            return Err(Error::Syntax {
                                message: "Expected: TABLE after the table kind".into(),
                                position: at,
                            })
                        }
                    },
                    _ => {
                        return Err(Error::Syntax {
                            message: "Expected: TABLE after the table kind".into(),
                            position: at,
                        })
                    }
                }
            }
            Parsed::Subscribe { statement } => {
                return Ok(StatementResult::Subscription(
                    self.subscribe_statement(&statement, None).await?,
                ));
            }
            Parsed::KillLiveQuery { id } => inner.live.kill(&id, &self.scope.actor)?,
            Parsed::KillQuery { id } => inner.queries.kill(id, &self.scope.actor)?,
            Parsed::CreateToken { user, label } => {
                self.require_admin("CREATE TOKEN")?;
                let label = label.unwrap_or_default();
                let (info, token) = crate::tokens::create(inner, user.as_deref(), &label)?;
                return Ok(token_result(&info, &token));
            }
            Parsed::DropToken { id } => {
                self.require_admin("DROP TOKEN")?;
                crate::tokens::revoke(inner, &id)?;
            }
            Parsed::Standard(parsed) => return self.execute_standard(*parsed, &statement.sql, at).await,
        }
        Ok(StatementResult::Done)
    }

    async fn execute_standard(&self, statement: DfStatement, sql: &str, at: Position) -> Result<StatementResult> {
        let inner = &self.scope.inner;
        let statement = match statement {
            DfStatement::Statement(s) => match *s {
                SqlStatementAst::CreateTable(create) => {
                    self.require_admin("CREATE TABLE")?;
                    ddl::create_table(inner, TableKind::Shared, &create)?;
                    return Ok(StatementResult::Done);
                }
                SqlStatementAst::CreateSchema {
                    schema_name: SchemaName::Simple(name),
                    if_not_exists,
                    ..
                } => {
                    self.require_admin("CREATE NAMESPACE")?;
                    ddl::create_namespace(inner, &single_name(&name)?, if_not_exists)?;
                    return Ok(StatementResult::Done);
                }
                SqlStatementAst::Drop {
                    object_type: ObjectType::Table,
                    names,
                    if_exists,
                    ..
                } => {
                    self.require_admin("DROP TABLE")?;
                    ddl::drop_tables(inner, &names, if_exists)?;
                    return Ok(StatementResult::Done);
                }
                SqlStatementAst::Drop {
                    object_type: ObjectType::Schema,
                    names,
                    if_exists,
                    cascade,
                    ..
                } => {
                    self.require_admin("DROP NAMESPACE")?;
                    for name in &names {
                        ddl::drop_namespace(inner, &single_name(name)?, if_exists, cascade)?;
                    }
                    return Ok(StatementResult::Done);
                }
                SqlStatementAst::AlterTable(alter) => {
                    self.require_admin("ALTER TABLE")?;
                    ddl::alter_table(inner, &alter)?;
                    return Ok(StatementResult::Done);
                }
                SqlStatementAst::Insert(mut insert) => {
                    self.fill_insert_columns(&mut insert, false)?;
                    let mut insert = SqlStatementAst::Insert(insert);
                    if let Some(result) = self.run_direct(&mut insert, &[]).await {
                        return result;
                    }
                    if let SqlStatementAst::Insert(insert) = &mut insert {
                        self.prepare_insert(insert)?;
                    }
                    DfStatement::Statement(Box::new(insert))
                }
                mut other => {
                    if let Some(result) = self.run_direct(&mut other, &[]).await {
                        return result;
                    }
                    DfStatement::Statement(Box::new(other))
                }
            },
            DfStatement::CreateExternalTable(_) | DfStatement::CopyTo(_) if !self.scope.file_access => {
                return Err(Error::NotAllowed(
                    "CREATE EXTERNAL TABLE and COPY read or write files, which is off for this session; \
                     enable file access for the session first"
                        .into(),
                ));
            }
            other => other,
        };
        let version = inner.catalog_version();
        let plan = self.plan(statement, at).await?;
        let params = plan.get_parameter_types().map_err(|e| from_df(&e, at))?;
        if !params.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "the statement takes parameters ({}): run it prepared, with their values (\"params\" in \
                 POST /v1/sql, --param in `tidepool sql`)",
                {
                    let mut names: Vec<&String> = params.keys().collect();
                    names.sort_by_key(|n| (n.len(), n.to_string()));
                    names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                }
            )));
        }
        if cacheable(&plan) {
            self.remember(sql, version, &plan);
        }
        self.run_plan(plan, at).await
    }

    /// The plan this session made of `sql`, if the catalog has not changed since.
    fn cached_plan(&self, sql: &str) -> Option<LogicalPlan> {
        let version = self.scope.inner.catalog_version();
        let plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        plans
            .get(sql)
            .filter(|(v, _)| *v == version)
            .map(|(_, plan)| plan.clone())
    }

    fn remember(&self, sql: &str, version: u64, plan: &LogicalPlan) {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if plans.len() >= PLAN_CACHE_ENTRIES {
            plans.clear();
        }
        plans.insert(sql.to_string(), (version, plan.clone()));
    }

    /// Parses and plans one statement to run many times with parameters `$1` … `$n`
    /// (SELECT, WITH, INSERT, UPDATE or DELETE). The statements the direct path serves
    /// run there; the others keep DataFusion's plan while the catalog is unchanged.
    pub async fn prepare(&self, sql: &str) -> Result<Prepared> {
        self.compile_prepared(sql)
            .await
            .map_err(|e| suggest::explain(self.engine(), e, sql))
    }

    /// [`Session::prepare`] without the "did you mean" of its errors.
    async fn compile_prepared(&self, sql: &str) -> Result<Prepared> {
        let mut statements = split_statements(sql)?;
        let (Some(statement), true) = (statements.pop(), statements.is_empty()) else {
            return Err(Error::InvalidArgument("prepare takes exactly one statement".into()));
        };
        let at = statement.position;
        let not_preparable =
            || Error::Unsupported("only SELECT, WITH, INSERT, UPDATE and DELETE statements can be prepared".into());
        let ast = match parse(&statement)? {
            Parsed::Standard(parsed) => match *parsed {
                DfStatement::Statement(s) => *s,
                _ => return Err(not_preparable()),
            },
            _ => return Err(not_preparable()),
        };
        let mut ast = match ast {
            SqlStatementAst::Insert(mut insert) => {
                self.prepare_insert(&mut insert)?;
                SqlStatementAst::Insert(insert)
            }
            s @ (SqlStatementAst::Query(_) | SqlStatementAst::Update(_) | SqlStatementAst::Delete(_)) => s,
            _ => return Err(not_preparable()),
        };
        let inner = &self.scope.inner;
        let version = inner.catalog_version();
        let direct = direct::compile(&self.scope, &mut ast);
        let statement = DfStatement::Statement(Box::new(ast));
        let plan = self.plan(statement.clone(), at).await?;
        let types = parameter_types(&plan, at)?;
        if let Some(direct) = &direct {
            // The path reads what DataFusion binds: it cannot name more parameters.
            if direct.params() > types.len() {
                return Err(Error::Query(format!(
                    "the statement uses parameter ${} but DataFusion found {}",
                    direct.params(),
                    types.len()
                )));
            }
        }
        Ok(Prepared {
            sql: sql.trim().trim_end_matches(';').trim().to_string(),
            at,
            actor: self.scope.actor.clone(),
            statement,
            direct: Mutex::new((version, direct)),
            types,
            plan: Mutex::new((version, plan)),
        })
    }

    /// Runs a prepared statement with one value per parameter, in order (`$1` first).
    /// A value is converted to the type the statement expects there (an integer to a
    /// DOUBLE, a text to a TIMESTAMP); one that cannot be is an error that names it.
    pub async fn execute_prepared(&self, prepared: &Prepared, params: &[Value]) -> Result<StatementResult> {
        self.execute_prepared_with(prepared, params, &RunOptions::default())
            .await
    }

    /// Runs a prepared statement as [`Session::execute_prepared`] does, with `options`'
    /// time limit and cancel.
    pub async fn execute_prepared_with(
        &self,
        prepared: &Prepared,
        params: &[Value],
        options: &RunOptions,
    ) -> Result<StatementResult> {
        self.controlled(&prepared.sql, options, self.run_prepared(prepared, params))
            .await
    }

    async fn run_prepared(&self, prepared: &Prepared, params: &[Value]) -> Result<StatementResult> {
        let scalars = self.bind(prepared, params)?;
        if let (Some(direct), Some(values)) = (self.direct_of(prepared, false), direct_values(&scalars)) {
            if let Some(result) = run_compiled(&self.scope.inner, &direct, &values).await {
                return result;
            }
        }
        let version = self.scope.inner.catalog_version();
        let plan = {
            let cached = prepared.plan.lock().unwrap_or_else(|p| p.into_inner());
            (cached.0 == version).then(|| cached.1.clone())
        };
        let plan = match plan {
            Some(plan) => plan,
            None => {
                let plan = self.plan(prepared.statement.clone(), prepared.at).await?;
                *prepared.plan.lock().unwrap_or_else(|p| p.into_inner()) = (version, plan.clone());
                plan
            }
        };
        let plan = plan.with_param_values(scalars).map_err(|e| from_df(&e, prepared.at))?;
        self.run_plan(plan, prepared.at).await
    }

    /// Runs a prepared INSERT ... VALUES, or UPDATE or DELETE of one row by its whole
    /// key, once per row of parameters, all in one transaction: every row's write or,
    /// on an error, none. Returns the rows affected.
    pub async fn execute_prepared_batch(&self, prepared: &Prepared, rows: &[Vec<Value>]) -> Result<u64> {
        self.execute_prepared_batch_with(prepared, rows, &RunOptions::default())
            .await
    }

    /// Runs a batch as [`Session::execute_prepared_batch`] does, with `options`' time
    /// limit and cancel.
    pub async fn execute_prepared_batch_with(
        &self,
        prepared: &Prepared,
        rows: &[Vec<Value>],
        options: &RunOptions,
    ) -> Result<u64> {
        self.controlled(&prepared.sql, options, self.run_prepared_batch(prepared, rows))
            .await
    }

    async fn run_prepared_batch(&self, prepared: &Prepared, rows: &[Vec<Value>]) -> Result<u64> {
        let direct = self.direct_of(prepared, true).filter(|d| d.writes()).ok_or_else(|| {
            Error::Unsupported(
                "a batch runs an INSERT ... VALUES, or an UPDATE or DELETE of one row by its whole primary key \
                 (with literals or parameters); run other statements once per parameter row"
                    .into(),
            )
        })?;
        let mut bound = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let scalars = self.bind(prepared, row).map_err(|e| in_row(i, e))?;
            let values = direct_values(&scalars).ok_or_else(|| {
                Error::Unsupported(format!(
                    "parameter row {}: a DECIMAL parameter cannot be written by a batch; run the statement for it alone",
                    i + 1
                ))
            })?;
            bound.push(values);
        }
        let inner = self.scope.inner.clone();
        let control = current_control();
        let written = tokio::task::spawn_blocking(move || direct.write_batch(txn_for(&inner, control), &inner, &bound))
            .await
            .map_err(|e| Error::Query(format!("write task failed: {e}")))?;
        match written {
            Some(result) => result,
            None => Err(Error::Query(
                "the table was changed by another statement while the batch started; run it again".into(),
            )),
        }
    }

    /// The direct path's form of a prepared statement for the current catalog
    /// (compiled again after a catalog change).
    /// A batch always writes this way (`EngineOptions::sql_direct` is for statements
    /// run one at a time), as the typed write API does.
    fn direct_of(&self, prepared: &Prepared, batch: bool) -> Option<direct::Direct> {
        let inner = &self.scope.inner;
        if !inner.sql_direct && !batch {
            return None;
        }
        let version = inner.catalog_version();
        let mut cached = prepared.direct.lock().unwrap_or_else(|p| p.into_inner());
        if cached.0 != version {
            let DfStatement::Statement(ast) = &prepared.statement else {
                return None;
            };
            *cached = (version, direct::compile(&self.scope, &mut ast.as_ref().clone()));
        }
        cached.1.clone()
    }

    /// Checks a prepared statement's parameters and converts each to the type the
    /// statement expects of it.
    fn bind(&self, prepared: &Prepared, params: &[Value]) -> Result<Vec<ScalarValue>> {
        if prepared.actor != self.scope.actor {
            return Err(Error::InvalidArgument(format!(
                "the statement was prepared by a session of {}, not {}",
                prepared.actor, self.scope.actor
            )));
        }
        let expected = prepared.types.len();
        if params.len() != expected {
            return Err(Error::InvalidArgument(match expected {
                0 => format!("the statement takes no parameters, got {}", params.len()),
                1 => format!("the statement takes 1 parameter ($1), got {}", params.len()),
                n => format!("the statement takes {n} parameters ($1 … ${n}), got {}", params.len()),
            }));
        }
        params
            .iter()
            .zip(&prepared.types)
            .enumerate()
            .map(|(i, (value, ty))| param_scalar(i + 1, value, ty.as_ref()))
            .collect()
    }

    /// Runs a statement on the direct path without parsing it, when a statement of the
    /// same shape (the same text but for its literals) was compiled for the path before:
    /// its literals are bound as parameters of that compiled form. `None` sends it the
    /// usual way, having changed nothing.
    async fn run_shape(&self, statement: &SqlStatement) -> Option<Result<StatementResult>> {
        let inner = &self.scope.inner;
        if !inner.sql_direct {
            return None;
        }
        // Tidepool's own statements (DDL among them) are not the direct path's.
        if !plainly_standard(&statement.sql) {
            return None;
        }
        let (shape, literals) = direct::literals_out(&statement.sql)?;
        let version = inner.catalog_version();
        let known = {
            let shapes = self.shapes.lock().unwrap_or_else(|p| p.into_inner());
            shapes
                .get(&shape)
                .filter(|(v, _)| *v == version)
                .map(|(_, direct)| direct.clone())
        };
        let direct = match known {
            Some(direct) => direct?,
            None => {
                let direct = self.compile_shape(&shape, statement.position);
                let mut shapes = self.shapes.lock().unwrap_or_else(|p| p.into_inner());
                if shapes.len() >= PLAN_CACHE_ENTRIES {
                    shapes.clear();
                }
                shapes.insert(shape, (version, direct.clone()));
                direct?
            }
        };
        run_compiled(inner, &direct, &literals).await
    }

    /// The direct path's form of a statement shape (`$n` for its literals), if it serves it.
    fn compile_shape(&self, shape: &str, position: Position) -> Option<direct::Direct> {
        let statement = SqlStatement {
            sql: shape.to_string(),
            position,
        };
        let Ok(Parsed::Standard(parsed)) = parse(&statement) else {
            return None;
        };
        let DfStatement::Statement(mut ast) = *parsed else {
            return None;
        };
        if let SqlStatementAst::Insert(insert) = ast.as_mut() {
            self.fill_insert_columns(insert, false).ok()?;
        }
        direct::compile(&self.scope, &mut ast)
    }

    /// Runs a statement on the direct path (`sql::direct`) when it is one it serves:
    /// `None` sends it to DataFusion, having changed nothing.
    async fn run_direct(&self, statement: &mut SqlStatementAst, params: &[Value]) -> Option<Result<StatementResult>> {
        let inner = &self.scope.inner;
        if !inner.sql_direct {
            return None;
        }
        let direct = direct::compile(&self.scope, statement)?;
        run_compiled(inner, &direct, params).await
    }

    /// Plans one read-only query (`SELECT ...`, `WITH ...`) and returns its schema and
    /// a stream of its rows (for exports, which must not hold every row at once).
    pub async fn query_stream(&self, sql: &str) -> Result<(SchemaRef, SendableRecordBatchStream)> {
        self.plan_stream(sql)
            .await
            .map_err(|e| suggest::explain(self.engine(), e, sql))
    }

    /// [`Session::query_stream`] without the "did you mean" of its errors.
    async fn plan_stream(&self, sql: &str) -> Result<(SchemaRef, SendableRecordBatchStream)> {
        let mut statements = split_statements(sql)?;
        let (Some(statement), true) = (statements.pop(), statements.is_empty()) else {
            return Err(Error::InvalidArgument("give exactly one query (SELECT ...)".into()));
        };
        let at = statement.position;
        let not_a_query = || Error::InvalidArgument("only a query (SELECT ...) has rows to export".into());
        let query = match parse(&statement)? {
            Parsed::Standard(s) => match *s {
                DfStatement::Statement(s) if matches!(*s, SqlStatementAst::Query(_)) => DfStatement::Statement(s),
                _ => return Err(not_a_query()),
            },
            _ => return Err(not_a_query()),
        };
        let plan = self.plan(query, at).await?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|e| from_df(&e, at))?;
        let frame = self.ctx.execute_logical_plan(plan).await.map_err(|e| from_df(&e, at))?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let stream = frame.execute_stream().await.map_err(|e| from_df(&e, at))?;
        Ok((schema, stream))
    }

    /// Plans and runs a statement with DataFusion.
    async fn run_datafusion(&self, statement: DfStatement, at: Position) -> Result<StatementResult> {
        let plan = self.plan(statement, at).await?;
        self.run_plan(plan, at).await
    }

    /// Runs a plan DataFusion made.
    async fn run_plan(&self, plan: LogicalPlan, at: Position) -> Result<StatementResult> {
        SQLOptions::new()
            .with_allow_ddl(self.scope.file_access)
            .with_allow_dml(true)
            .with_allow_statements(true)
            .verify_plan(&plan)
            .map_err(|e| match from_df(&e, at) {
                Error::Query(m) | Error::Unsupported(m) => Error::Unsupported(m),
                other => other,
            })?;
        let is_dml = matches!(plan, LogicalPlan::Dml(_) | LogicalPlan::Copy(_));
        let frame = match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => {
                self.ctx.execute_logical_plan(plan).await.map_err(|e| from_df(&e, at))?
            }
            plan => DataFrame::new(self.statement_state(), plan),
        };
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(|e| from_df(&e, at))?;
        if is_dml {
            let count = batches
                .iter()
                .filter_map(|b| b.column(0).as_any().downcast_ref::<UInt64Array>().cloned())
                .flat_map(|a| a.iter().flatten().collect::<Vec<_>>())
                .sum();
            return Ok(StatementResult::Affected(count));
        }
        Ok(StatementResult::Rows { schema, batches })
    }

    /// The session's state for running one statement: its memory pool (sorts, joins and
    /// aggregates spill past it, or fail with `resources_exhausted`) and the control
    /// its writes commit under.
    fn statement_state(&self) -> SessionState {
        let inner = &self.scope.inner;
        let mut builder = SessionStateBuilder::new_from_existing(self.ctx.state());
        if let Some(limit) = inner.statement_memory {
            let runtime = RuntimeEnvBuilder::new()
                .with_memory_pool(Arc::new(FairSpillPool::new(limit)))
                .build_arc();
            if let Ok(runtime) = runtime {
                builder = builder.with_runtime_env(runtime);
            }
        }
        let mut state = builder.build();
        if let Some(control) = current_control() {
            state.config_mut().set_extension(control);
        }
        state
    }

    /// Subscribes to a live query: `SELECT <columns> FROM <table> [WHERE ...]` (a leading
    /// `SUBSCRIBE TO` is accepted too). Errors in the query are returned here; the
    /// subscription's first message is `subscribed`, then the snapshot, then changes.
    pub async fn subscribe(&self, sql: &str) -> Result<Subscription> {
        self.subscribe_from(sql, None).await
    }

    /// Subscribes as [`Session::subscribe`] does, for a subscriber that already has the
    /// query's rows as of commit `from_seq`: it gets `subscribed` (with `resumed`) and
    /// only the changes after that seq, or — when those are no longer kept — `resync`
    /// followed by a full snapshot.
    pub async fn subscribe_from(&self, sql: &str, from_seq: Option<u64>) -> Result<Subscription> {
        let last_seq = self.scope.inner.last_seq();
        if let Some(from) = from_seq.filter(|&from| from > last_seq) {
            return Err(Error::InvalidArgument(format!(
                "from_seq {from} is ahead of the database, whose last commit is {last_seq}"
            )));
        }
        let mut statements = split_statements(sql)?;
        let (Some(statement), true) = (statements.pop(), statements.is_empty()) else {
            return Err(Error::InvalidArgument(
                "subscribe takes exactly one SELECT statement".into(),
            ));
        };
        let subscribed = match parse(&statement)? {
            Parsed::Subscribe { statement } => self.subscribe_statement(&statement, from_seq).await,
            _ => self.subscribe_statement(&statement, from_seq).await,
        };
        subscribed.map_err(|e| suggest::explain(self.engine(), e, sql))
    }

    async fn subscribe_statement(&self, statement: &SqlStatement, from_seq: Option<u64>) -> Result<Subscription> {
        let query = crate::live::query::compile(self, statement).await?;
        let id = format!("{:016x}", functions::next_snowflake_id());
        let (inner, actor) = (self.scope.inner.clone(), self.scope.actor.clone());
        Ok(Subscription::start(inner, id, actor, query, from_seq).await)
    }

    /// DataFusion's logical plan of a statement, with generated keys hidden from `*`
    /// (`sql::wildcard`). Every statement DataFusion plans for a user comes through here.
    pub(crate) async fn plan(&self, mut statement: DfStatement, at: Position) -> Result<LogicalPlan> {
        let state = self.ctx.state();
        {
            let catalog = self.scope.inner.catalog(); // released before planning
            let names = wildcard::Names {
                catalog: &catalog,
                namespace: &state.config_options().catalog.default_schema,
                offset: &|def| View::of(def, &self.scope.actor).offset(),
            };
            wildcard::hide_generated_keys(&mut statement, &names)?;
        }
        state
            .statement_to_plan(statement)
            .await
            .map_err(|e| match from_df(&e, at) {
                // A bare name while there is no namespace `default`: say how to get one.
                Error::NotFound {
                    kind: ObjectKind::Table,
                    name,
                } if !self.scope.inner.catalog().namespaces.contains_key(DEFAULT_NAMESPACE) => {
                    match name.strip_prefix(&format!("{DEFAULT_NAMESPACE}.")) {
                        Some(bare) => ddl::no_default_namespace(bare),
                        None => Error::not_found(ObjectKind::Table, name),
                    }
                }
                other => other,
            })
    }

    /// Makes this session's scans read commit `snapshot.seq` (or the latest state again).
    pub(crate) fn set_snapshot(&self, snapshot: Option<Arc<crate::engine::PinnedSnapshot>>) {
        *self.scope.snapshot.lock().unwrap_or_else(|p| p.into_inner()) = snapshot;
    }

    pub(crate) fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// A query the engine writes itself (SHOW, DESCRIBE).
    async fn query_internal(&self, sql: &str, at: Position) -> Result<StatementResult> {
        let statement = SqlStatement {
            sql: sql.to_string(),
            position: Position { line: 1, column: 1 },
        };
        match parse(&statement)? {
            Parsed::Standard(s) => self.run_datafusion(*s, at).await,
            _ => Err(Error::Query(format!("internal query did not parse: {sql}"))),
        }
    }

    fn require_admin(&self, what: &str) -> Result<()> {
        match &self.scope.actor {
            Actor::Admin => Ok(()),
            Actor::User(user) => Err(Error::NotAllowed(format!(
                "{what} needs an admin session; '{user}' is a user session"
            ))),
        }
    }

    /// `INSERT INTO t VALUES (...)` or `INSERT INTO t SELECT ...` without a column list
    /// means the columns a user writes (not the generated `_id`; `_user` first for an
    /// admin on a USER table).
    /// Literal values are checked against their columns here, so a type mismatch
    /// names the column.
    fn prepare_insert(&self, insert: &mut Insert) -> Result<()> {
        self.fill_insert_columns(insert, true)
    }

    /// `prepare_insert`, checking the literals only when `check` (the direct path's
    /// own conversions are exact, so a statement it takes needs no check).
    fn fill_insert_columns(&self, insert: &mut Insert, check: bool) -> Result<()> {
        let TableObject::TableName(name) = &insert.table else {
            return Ok(());
        };
        let Some(def) = ddl::table_name(name).ok().and_then(|n| self.scope.inner.table(&n).ok()) else {
            return Ok(()); // DataFusion reports the unknown table.
        };
        let view = View::of(&def, &self.scope.actor);
        let owner = view.owner_column.then(|| (USER_COLUMN.to_string(), SqlType::Text));
        let columns: Vec<(String, SqlType)> = owner
            .into_iter()
            .chain(def.columns.iter().map(|c| (c.name.clone(), c.ty)))
            .collect();
        let implicit: Vec<ObjectName> = columns
            .iter()
            .filter(|(name, _)| !(def.generated_key() && name == GENERATED_KEY_COLUMN))
            .map(|(name, _)| ObjectName::from(vec![Ident::with_quote('"', name)]))
            .collect();
        let Some(SetExpr::Values(values)) = insert.source.as_deref().map(|q| q.body.as_ref()) else {
            // A query fills the declared columns, as its `*` shows them (`sql::wildcard`).
            if insert.columns.is_empty() && def.generated_key() {
                insert.columns = implicit;
            }
            return Ok(());
        };
        if insert.columns.is_empty() && values.rows.first().map(|r| r.len()) == Some(implicit.len()) {
            insert.columns = implicit;
        }
        if !check {
            return Ok(());
        }
        let targets: Vec<Option<&(String, SqlType)>> = insert
            .columns
            .iter()
            .map(|c| {
                let ident = c.0.last().and_then(|p| p.as_ident())?;
                let name = normalize_ident(&ident.value, ident.quote_style.is_some());
                columns.iter().find(|(n, _)| *n == name)
            })
            .collect();
        for row in &values.rows {
            for (expr, target) in row.iter().zip(&targets) {
                if let (Some((name, ty)), Some(scalar)) = (target, literal_scalar(expr)) {
                    Value::from_scalar(&scalar, *ty, name)?;
                }
            }
        }
        Ok(())
    }
}

/// Plans worth keeping by statement text: queries and row writes (not DDL, COPY or
/// EXPLAIN, which are planned once anyway) that read only Tidepool tables, whose scans
/// read when they run — a system view or an external table holds what it read when
/// it was planned.
fn cacheable(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let statement = match plan {
        LogicalPlan::Dml(dml) => !matches!(dml.op, datafusion::logical_expr::WriteOp::Ctas),
        LogicalPlan::Ddl(_)
        | LogicalPlan::Copy(_)
        | LogicalPlan::Explain(_)
        | LogicalPlan::Analyze(_)
        | LogicalPlan::Statement(_)
        | LogicalPlan::DescribeTable(_) => false,
        _ => true,
    };
    let mut ours = true;
    let visited = plan.apply_with_subqueries(|node| {
        let target = match node {
            LogicalPlan::TableScan(scan) => Some(&scan.source),
            LogicalPlan::Dml(dml) => Some(&dml.target),
            _ => None,
        };
        if let Some(source) = target {
            let provider = datafusion::datasource::source_as_provider(source);
            ours &= provider.is_ok_and(|p| dml_plan::as_rocks(p.as_ref()).is_some());
        }
        Ok(if ours {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    statement && visited.is_ok() && ours
}

/// The type DataFusion expects of each parameter `$1` … `$n` (`None` where it cannot
/// tell, as in `SELECT $1`).
fn parameter_types(plan: &LogicalPlan, at: Position) -> Result<Vec<Option<DataType>>> {
    let found = plan.get_parameter_types().map_err(|e| from_df(&e, at))?;
    let mut types = Vec::new();
    for (name, ty) in found {
        let index = name
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n >= 1)
            .ok_or_else(|| Error::InvalidArgument(format!("parameter {name}: parameters are written $1, $2, …")))?;
        if types.len() < index {
            types.resize(index, None);
        }
        types[index - 1] = ty;
    }
    Ok(types)
}

/// Parameter `$n`'s value as DataFusion's scalar of the type the statement expects.
fn param_scalar(n: usize, value: &Value, ty: Option<&DataType>) -> Result<ScalarValue> {
    let scalar = match value {
        Value::Null => ScalarValue::Null,
        Value::Boolean(b) => ScalarValue::Boolean(Some(*b)),
        Value::Int(i) => ScalarValue::Int32(Some(*i)),
        Value::BigInt(i) => ScalarValue::Int64(Some(*i)),
        Value::Double(f) => ScalarValue::Float64(Some(*f)),
        Value::Decimal(d) => ScalarValue::Decimal128(Some(*d), 38, 0),
        Value::Text(s) | Value::Json(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Bytes(b) => ScalarValue::Binary(Some(b.clone())),
        Value::Date(d) => ScalarValue::Date32(Some(*d)),
        Value::Timestamp(t) => ScalarValue::TimestampMicrosecond(Some(*t), None),
    };
    match ty {
        Some(ty) if scalar.data_type() != *ty => scalar.cast_to(ty).map_err(|_| Error::TypeMismatch {
            column: format!("${n}"),
            expected: sql_type_name(ty),
            found: match value {
                Value::Text(s) => format!("'{s}'"),
                other => other.to_string(),
            },
        }),
        _ => Ok(scalar),
    }
}

/// Bound parameters as the direct path takes them: the values DataFusion would see
/// after converting each to the type the statement expects (`None` for a DECIMAL,
/// whose scale a `Value` does not carry).
fn direct_values(scalars: &[ScalarValue]) -> Option<Vec<Value>> {
    scalars
        .iter()
        .map(|scalar| {
            if scalar.is_null() {
                return Some(Value::Null);
            }
            Some(match scalar {
                ScalarValue::Boolean(Some(b)) => Value::Boolean(*b),
                ScalarValue::Int32(Some(i)) => Value::Int(*i),
                ScalarValue::Int64(Some(i)) => Value::BigInt(*i),
                ScalarValue::Float64(Some(f)) => Value::Double(*f),
                ScalarValue::Utf8(Some(s)) => Value::Text(s.clone()),
                ScalarValue::Binary(Some(b)) => Value::Bytes(b.clone()),
                ScalarValue::Date32(Some(d)) => Value::Date(*d),
                ScalarValue::TimestampMicrosecond(Some(t), None) => Value::Timestamp(*t),
                _ => return None,
            })
        })
        .collect()
}

/// An error of one parameter row of a batch: which row, when the error says nothing
/// about rows itself.
fn in_row(row: usize, error: Error) -> Error {
    match error {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("parameter row {}: {m}", row + 1)),
        other => other,
    }
}

/// An Arrow type by the SQL name Tidepool gives it.
fn sql_type_name(ty: &DataType) -> String {
    match ty {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "TEXT".into(),
        DataType::Binary => "BYTES".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(_, _) => "TIMESTAMP".into(),
        other => other.to_string(),
    }
}

/// Runs a compiled direct statement; `None` when DataFusion must run it after all
/// (nothing was written). A write that finds the writer lock free runs here, on the
/// caller's thread; one that would wait for it waits on a blocking thread.
async fn run_compiled(
    inner: &Arc<crate::engine::Inner>,
    direct: &direct::Direct,
    params: &[Value],
) -> Option<Result<StatementResult>> {
    if !direct.writes() {
        return direct.read(inner, params);
    }
    if let Some(txn) = crate::write::Txn::try_begin(inner) {
        return direct.write(txn, inner, params);
    }
    let (inner, direct, params, control) = (inner.clone(), direct.clone(), params.to_vec(), current_control());
    tokio::task::spawn_blocking(move || direct.write(txn_for(&inner, control), &inner, &params))
        .await
        .unwrap_or_else(|e| Some(Err(Error::Query(format!("write task failed: {e}")))))
}

tokio::task_local! {
    /// The control of the statement this task runs (`Session::controlled`), for the
    /// writes it hands to blocking threads and the plans it gives DataFusion.
    static CONTROL: Arc<Control>;
}

/// The running statement's control, if this task runs one.
pub(crate) fn current_control() -> Option<Arc<Control>> {
    CONTROL.try_with(Arc::clone).ok()
}

/// A transaction on a blocking thread for the running statement: its commit fails if
/// the statement was stopped before it.
fn txn_for(inner: &crate::engine::Inner, control: Option<Arc<Control>>) -> crate::write::Txn<'_> {
    let mut txn = crate::write::Txn::begin(inner);
    txn.stopped_by(control);
    txn
}

/// The one row `CREATE TOKEN` returns: the only time the token's text is shown.
fn token_result(info: &crate::tokens::TokenInfo, token: &str) -> StatementResult {
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let schema: SchemaRef = Arc::new(Schema::new(
        ["id", "user", "label", "token"]
            .map(|name| Field::new(name, DataType::Utf8, true))
            .to_vec(),
    ));
    let user = info.user.clone().unwrap_or_else(|| "admin".into());
    let columns = [info.id.as_str(), &user, &info.label, token].map(|v| Arc::new(StringArray::from(vec![v])) as _);
    let batch = RecordBatch::try_new(schema.clone(), columns.to_vec()).expect("four text columns of one row");
    StatementResult::Rows {
        schema,
        batches: vec![batch],
    }
}

/// A plain SQL literal as a scalar (NULL and expressions are left to DataFusion).
fn literal_scalar(expr: &SqlExpr) -> Option<ScalarValue> {
    let SqlExpr::Value(v) = expr else {
        return None;
    };
    match &v.value {
        SqlValue::SingleQuotedString(s) => Some(ScalarValue::Utf8(Some(s.clone()))),
        SqlValue::Boolean(b) => Some(ScalarValue::Boolean(Some(*b))),
        SqlValue::Number(n, _) => n
            .parse::<i64>()
            .map(|i| ScalarValue::Int64(Some(i)))
            .or_else(|_| n.parse::<f64>().map(|f| ScalarValue::Float64(Some(f))))
            .ok(),
        _ => None,
    }
}

fn single_name(name: &ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [part] => part
            .as_ident()
            .map(|i| normalize_ident(&i.value, i.quote_style.is_some()))
            .ok_or_else(|| Error::InvalidArgument(format!("invalid namespace name {name}"))),
        _ => Err(Error::InvalidArgument(format!(
            "namespace name {name} must be a single identifier"
        ))),
    }
}
