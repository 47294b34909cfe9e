//! Compiling a live query. Every SELECT DataFusion plans can be subscribed to; how it is
//! kept current depends on its shape:
//!
//! - `SELECT <columns> FROM <one table> [WHERE <expr>]` is maintained row by row
//!   (`Maintenance::Rows`): the filter is compiled once into a physical expression
//!   evaluated on the old and new image of each changed row;
//! - anything else is kept by re-evaluation (`Maintenance::Reevaluate`, in
//!   `reevaluate`): re-run at one commit when commits touch a table it reads, at most
//!   once per interval, and diffed against what the subscriber has.
//!
//! The statement is planned by DataFusion first, so unknown columns and type errors are
//! reported at subscribe time exactly as a query would report them.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::DFSchema;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::utils::split_conjunction_owned;
use datafusion::logical_expr::{Expr, LogicalPlan, TableScan};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;

use crate::catalog::{TableDef, TableKind, TableName, DEFAULT_NAMESPACE, SYSTEM_NAMESPACE};
use crate::error::{Error, ObjectKind, Result};
use crate::live::aggregate::Aggregate;
use crate::live::join::Join;
use crate::live::message::{LiveColumn, OrderKey};
use crate::live::reevaluate::{Reevaluate, ResultKey};
use crate::live::topn::TopN;
use crate::session::Session;
use crate::sql::errors::from_df;
use crate::sql::parse::{parse, Parsed, SqlStatement};
use crate::sql::provider::{session_schema, View};
use crate::sql::pushdown::KeyRanges;
use crate::types::SqlType;

/// A compiled live query: what `subscribed` describes, and how it is kept.
#[derive(Debug)]
pub(crate) struct LiveQuery {
    pub sql: String,
    /// The tables it reads (each once); a commit to any of them may change it.
    pub tables: Vec<Arc<TableDef>>,
    pub columns: Vec<LiveColumn>,
    /// Names of the parts of a row's key (see `Reevaluate::key` for other shapes).
    pub key: Vec<String>,
    /// The query's ORDER BY, when it orders by result columns.
    pub order_by: Vec<OrderKey>,
    pub maintenance: Maintenance,
}

#[derive(Debug)]
pub(crate) enum Maintenance {
    Rows(RowsQuery),
    Aggregate(Aggregate),
    TopN(TopN),
    Join(Join),
    Reevaluate(Reevaluate),
}

impl LiveQuery {
    /// `incremental` or `reevaluate`, as `subscribed` and `system.live` say.
    pub fn maintenance_name(&self) -> &'static str {
        match self.maintenance {
            Maintenance::Rows(_) | Maintenance::Aggregate(_) | Maintenance::TopN(_) | Maintenance::Join(_) => {
                "incremental"
            }
            Maintenance::Reevaluate(_) => "reevaluate",
        }
    }

    pub fn rows(&self) -> Option<&RowsQuery> {
        match &self.maintenance {
            Maintenance::Rows(rows) => Some(rows),
            _ => None,
        }
    }

    pub fn aggregate(&self) -> Option<&Aggregate> {
        match &self.maintenance {
            Maintenance::Aggregate(aggregate) => Some(aggregate),
            _ => None,
        }
    }

    pub fn top(&self) -> Option<&TopN> {
        match &self.maintenance {
            Maintenance::TopN(top) => Some(top),
            _ => None,
        }
    }

    pub fn join(&self) -> Option<&Join> {
        match &self.maintenance {
            Maintenance::Join(join) => Some(join),
            _ => None,
        }
    }

    pub fn reevaluate(&self) -> Option<&Reevaluate> {
        match &self.maintenance {
            Maintenance::Reevaluate(reevaluate) => Some(reevaluate),
            _ => None,
        }
    }

    /// Whether the fan-out must decode the changed rows of its tables for it.
    pub fn needs_rows(&self) -> bool {
        !matches!(self.maintenance, Maintenance::Reevaluate(_))
    }
}

pub(crate) async fn compile(session: &Session, statement: &SqlStatement) -> Result<LiveQuery> {
    let Parsed::Standard(parsed) = parse(statement)? else {
        return Err(Error::Unsupported("a live query is one SELECT statement".into()));
    };
    let statement_ast = parsed.as_ref().clone();
    let plan = session.plan(*parsed, statement.position).await?;
    if matches!(
        plan,
        LogicalPlan::Dml(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Extension(_)
    ) {
        return Err(Error::Unsupported(format!(
            "a live query is a SELECT, not {}",
            plan.display()
        )));
    }
    let mut tables: Vec<Arc<TableDef>> = Vec::new();
    let mut failed = None;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            match read_table(session, scan) {
                Ok(def) if tables.iter().all(|t| t.id != def.id) => tables.push(def),
                Ok(_) => {}
                Err(e) => {
                    failed = Some(e);
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(|e| from_df(&e, statement.position))?;
    if let Some(e) = failed {
        return Err(e);
    }
    if tables.is_empty() {
        return Err(Error::Unsupported(
            "a live query reads at least one table; this one never changes".into(),
        ));
    }
    let columns = result_columns(&plan);
    let order_by = order_of(&plan);
    // Shapes are matched on the analyzed plan: types coerced, `count(*)` resolved.
    let state = session.ctx().state();
    let analyzed = state
        .analyzer()
        .execute_and_check(plan.clone(), state.config_options(), |_, _| {})
        .map_err(|e| from_df(&e, statement.position))?;
    // An ORDER BY without LIMIT changes no row: clients keep the order `order_by` says.
    let unsorted = match &analyzed {
        LogicalPlan::Sort(sort) if sort.fetch.is_none() && !order_by.is_empty() => sort.input.as_ref(),
        other => other,
    };
    if session.engine().inner.live.incremental() {
        if let Some(rows) = rows_shape(session, statement, unsorted)? {
            return Ok(LiveQuery {
                sql: statement.sql.clone(),
                tables,
                columns: if rows.computed.is_some() {
                    columns
                } else {
                    rows.columns()
                },
                key: rows.key_names(),
                order_by,
                maintenance: Maintenance::Rows(rows),
            });
        }
        if let Some(join) = crate::live::join::compile(session, statement, unsorted)? {
            return Ok(LiveQuery {
                sql: statement.sql.clone(),
                tables,
                columns,
                key: join.key_names(),
                order_by,
                maintenance: Maintenance::Join(join),
            });
        }
        if let Some(top) = crate::live::topn::compile(session, statement, &analyzed)? {
            return Ok(LiveQuery {
                sql: statement.sql.clone(),
                tables,
                columns,
                key: top.input.key_names(),
                order_by,
                maintenance: Maintenance::TopN(top),
            });
        }
        if let ResultKey::Columns(key) = result_key(&analyzed) {
            if let Some(aggregate) = crate::live::aggregate::compile(session, statement, &analyzed, &key)? {
                return Ok(LiveQuery {
                    sql: statement.sql.clone(),
                    tables,
                    key: key.iter().map(|&i| columns[i].name.clone()).collect(),
                    columns,
                    order_by,
                    maintenance: Maintenance::Aggregate(aggregate),
                });
            }
        }
    }
    let key = result_key(&plan);
    let key_names = match &key {
        ResultKey::Columns(indexes) => indexes.iter().map(|&i| columns[i].name.clone()).collect(),
        ResultKey::Row => columns
            .iter()
            .map(|c| c.name.clone())
            .chain(std::iter::once("occurrence".to_string()))
            .collect(),
    };
    Ok(LiveQuery {
        sql: statement.sql.clone(),
        tables,
        columns,
        key: key_names,
        order_by,
        maintenance: Maintenance::Reevaluate(Reevaluate::new(
            statement_ast,
            statement.position,
            session.actor().clone(),
            &plan,
            key,
        )),
    })
}

/// The Tidepool table a scan reads; SYSTEM tables and session-local external tables
/// have no commits to watch.
fn read_table(session: &Session, scan: &TableScan) -> Result<Arc<TableDef>> {
    let name = match (scan.table_name.schema(), scan.table_name.table()) {
        (Some(ns), table) => TableName::new(ns, table),
        (None, table) => TableName::new(DEFAULT_NAMESPACE, table),
    };
    if name.namespace == SYSTEM_NAMESPACE {
        return Err(Error::Unsupported(format!(
            "{name} is a SYSTEM table; live queries watch USER, SHARED and STREAM tables"
        )));
    }
    let def = session.engine().table(&name).map_err(|_| {
        Error::Unsupported(format!(
            "{name} is not a Tidepool table (an external table has no commits to watch)"
        ))
    })?;
    if def.kind == TableKind::System {
        return Err(Error::Unsupported(format!("{name} is a SYSTEM table")));
    }
    Ok(def)
}

/// Whether an expression can be evaluated on row images once and for all: no
/// subquery, and only immutable functions (`now()`, `random()` ... change without a
/// commit, so a query using them is re-evaluated instead).
pub(crate) fn row_local(expr: &Expr) -> bool {
    !expr
        .exists(|e| {
            Ok(match e {
                Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_) => true,
                Expr::ScalarFunction(f) => {
                    f.func.signature().volatility != datafusion::logical_expr::Volatility::Immutable
                }
                _ => false,
            })
        })
        .unwrap_or(true)
}

/// Expressions (aliases dropped) compiled for evaluation on rows of `schema`; `None`
/// when one is not `row_local`.
pub(crate) fn row_exprs(
    session: &Session,
    statement: &SqlStatement,
    exprs: &[Expr],
    schema: &DFSchema,
) -> Result<Option<Vec<Arc<dyn PhysicalExpr>>>> {
    let state = session.ctx().state();
    let mut compiled = Vec::with_capacity(exprs.len());
    for expr in exprs {
        if !row_local(expr) {
            return Ok(None);
        }
        let expr = match expr {
            Expr::Alias(alias) => alias.expr.as_ref().clone(),
            other => other.clone(),
        };
        compiled.push(
            state
                .create_physical_expr(expr, schema)
                .map_err(|e| from_df(&e, statement.position))?,
        );
    }
    Ok(Some(compiled))
}

fn result_columns(plan: &LogicalPlan) -> Vec<LiveColumn> {
    plan.schema()
        .fields()
        .iter()
        .map(|f| LiveColumn {
            name: f.name().clone(),
            ty: crate::results::column_type_name(f),
        })
        .collect()
}

/// Below an ORDER BY and LIMIT: the node that decides what a result row is.
fn unordered(mut plan: &LogicalPlan) -> &LogicalPlan {
    loop {
        match plan {
            LogicalPlan::Sort(sort) => plan = sort.input.as_ref(),
            LogicalPlan::Limit(limit) => plan = limit.input.as_ref(),
            _ => return plan,
        }
    }
}

/// What identifies a result row: the GROUP BY columns of an aggregate that shows them
/// all (no columns for an aggregate without GROUP BY: one row), every column of a
/// DISTINCT, otherwise the row with its occurrence number.
fn result_key(plan: &LogicalPlan) -> ResultKey {
    let all = || ResultKey::Columns((0..plan.schema().fields().len()).collect());
    match unordered(plan) {
        LogicalPlan::Distinct(datafusion::logical_expr::Distinct::All(_)) => all(),
        LogicalPlan::Aggregate(aggregate) if aggregate.aggr_expr.is_empty() => all(),
        LogicalPlan::Projection(projection) => {
            let mut input = projection.input.as_ref();
            while let LogicalPlan::Filter(having) = input {
                input = having.input.as_ref();
            }
            let LogicalPlan::Aggregate(aggregate) = input else {
                return ResultKey::Row;
            };
            if aggregate.aggr_expr.is_empty() && aggregate.group_expr.len() == projection.expr.len() {
                return all();
            }
            let group_fields = &aggregate.schema.fields()[..aggregate.group_expr.len()];
            let mut key = Vec::new();
            for (group, field) in aggregate.group_expr.iter().zip(group_fields) {
                if matches!(group, Expr::GroupingSet(_)) {
                    return ResultKey::Row;
                }
                let shown = projection.expr.iter().position(|e| {
                    let e = match e {
                        Expr::Alias(alias) => alias.expr.as_ref(),
                        other => other,
                    };
                    matches!(e, Expr::Column(c) if c.name == *field.name())
                });
                match shown {
                    Some(i) => key.push(i),
                    None => return ResultKey::Row,
                }
            }
            ResultKey::Columns(key)
        }
        _ => ResultKey::Row,
    }
}

/// The ORDER BY of the result, when every sort expression is a result column.
fn order_of(plan: &LogicalPlan) -> Vec<OrderKey> {
    let mut node = plan;
    if let LogicalPlan::Limit(limit) = node {
        node = limit.input.as_ref();
    }
    let LogicalPlan::Sort(sort) = node else {
        return Vec::new();
    };
    let schema = plan.schema();
    let mut order = Vec::new();
    for s in &sort.expr {
        let Expr::Column(c) = &s.expr else {
            return Vec::new();
        };
        let Ok(i) = schema.index_of_column(c) else {
            return Vec::new();
        };
        order.push(OrderKey {
            column: schema.field(i).name().clone(),
            descending: !s.asc,
            nulls_first: s.nulls_first,
        });
    }
    order
}

#[derive(Debug)]
pub(crate) struct RowsQuery {
    pub sql: String,
    pub def: Arc<TableDef>,
    pub view: View,
    /// The session schema of the table (with `_user` for an admin on a USER table).
    pub schema: SchemaRef,
    pub types: Vec<SqlType>,
    /// Subscribed columns, as session-schema indexes.
    pub projection: Vec<usize>,
    /// A SELECT list with computed expressions (over the session schema), in place of
    /// `projection`.
    pub computed: Option<Vec<Arc<dyn PhysicalExpr>>>,
    /// Key columns, as session-schema indexes.
    pub key: Vec<usize>,
    pub predicate: Option<Arc<dyn PhysicalExpr>>,
    /// The key ranges the snapshot reads.
    pub ranges: KeyRanges,
}

impl RowsQuery {
    pub fn columns(&self) -> Vec<LiveColumn> {
        self.projection
            .iter()
            .map(|&i| LiveColumn {
                name: self.schema.field(i).name().clone(),
                ty: self.types[i].to_string(),
            })
            .collect()
    }

    pub fn key_names(&self) -> Vec<String> {
        self.key.iter().map(|&i| self.schema.field(i).name().clone()).collect()
    }
}

/// The plan as a projection of plain columns over an optional filter over one table
/// scan, compiled for evaluation on row images; `None` for any other shape.
pub(crate) fn rows_shape(session: &Session, statement: &SqlStatement, plan: &LogicalPlan) -> Result<Option<RowsQuery>> {
    let LogicalPlan::Projection(projection) = plan else {
        return Ok(None);
    };
    let Some(mut rows) = scan_rows(session, statement, projection.input.as_ref())? else {
        return Ok(None);
    };
    let mut columns = Vec::with_capacity(projection.expr.len());
    let mut plain = true;
    for expr in &projection.expr {
        match expr {
            Expr::Column(c) => {
                columns.push(rows.schema.index_of(&c.name).map_err(|_| {
                    Error::not_found(ObjectKind::Column, format!("{}.{}", rows.def.full_name(), c.name))
                })?)
            }
            _ => plain = false,
        }
    }
    if !plain {
        // Computed expressions, evaluated on row images as the filter is.
        let Some(computed) = row_exprs(session, statement, &projection.expr, projection.input.schema())? else {
            return Ok(None);
        };
        rows.computed = Some(computed);
        return Ok(Some(rows));
    }
    rows.projection = columns;
    Ok(Some(rows))
}

/// `[Filter] → [SubqueryAlias] → TableScan`: one table's rows through an optional
/// filter, as a `RowsQuery` showing every column of the session schema.
pub(crate) fn scan_rows(session: &Session, statement: &SqlStatement, node: &LogicalPlan) -> Result<Option<RowsQuery>> {
    let mut node = node;
    let mut predicate = None;
    if let LogicalPlan::Filter(filter) = node {
        predicate = Some(filter.predicate.clone());
        node = filter.input.as_ref();
    }
    if let LogicalPlan::SubqueryAlias(alias) = node {
        node = alias.input.as_ref();
    }
    let LogicalPlan::TableScan(scan) = node else {
        return Ok(None);
    };
    if scan.projection.is_some() || !scan.filters.is_empty() || scan.fetch.is_some() {
        return Ok(None);
    }
    let def = read_table(session, scan)?;
    let view = View::of(&def, session.actor());
    let (schema, types) = session_schema(&def, &view);
    let columns = (0..schema.fields().len()).collect();

    let (predicate, ranges) = match predicate {
        Some(expr) => {
            let has_subquery = expr
                .exists(|e| {
                    Ok(matches!(
                        e,
                        Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
                    ))
                })
                .unwrap_or(true);
            if has_subquery {
                return Ok(None);
            }
            let df_schema =
                Arc::new(DFSchema::try_from(schema.as_ref().clone()).map_err(|e| Error::Query(e.to_string()))?);
            // The planner's expression as the optimizer would leave it (some functions,
            // e.g. coalesce, only run once simplified).
            let context = SimplifyContext::builder().with_schema(df_schema.clone()).build();
            let expr = ExprSimplifier::new(context)
                .simplify(unnormalize_col(expr))
                .map_err(|e| from_df(&e, statement.position))?;
            let physical = session
                .ctx()
                .state()
                .create_physical_expr(expr.clone(), &df_schema)
                .map_err(|e| from_df(&e, statement.position))?;
            probe(&physical, &schema, &types)?;
            let ranges = KeyRanges::from_filters(&def, &view, &split_conjunction_owned(expr));
            (Some(physical), ranges)
        }
        None => (None, KeyRanges::from_filters(&def, &view, &[])),
    };
    let offset = view.offset();
    let key = (0..offset).chain(def.primary_key.iter().map(|&i| i + offset)).collect();
    Ok(Some(RowsQuery {
        sql: statement.sql.clone(),
        def,
        view,
        schema,
        types,
        projection: columns,
        computed: None,
        key,
        predicate,
        ranges,
    }))
}

/// Evaluates the filter once on a row of NULLs, so a filter that cannot run fails here,
/// at subscribe time, rather than on the first change.
fn probe(predicate: &Arc<dyn PhysicalExpr>, schema: &SchemaRef, types: &[SqlType]) -> Result<()> {
    let nulls = vec![vec![crate::types::Value::Null]; types.len()];
    let batch = crate::convert::batch_from_columns(schema, types, &nulls, 1)?;
    predicate
        .evaluate(&batch)
        .map(|_| ())
        .map_err(|e| Error::Query(format!("the WHERE of this live query cannot be evaluated: {e}")))
}
