//! Compiling `SELECT <columns> FROM <one table> [WHERE <expr>]` into a live query: the
//! statement is planned by DataFusion (so the WHERE is checked for unknown columns and
//! types exactly as a query would be), the plan must be a projection of plain columns
//! over an optional filter over one table scan, and the filter is compiled once into a
//! physical expression that is then evaluated on row images.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNode;
use datafusion::common::DFSchema;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::utils::split_conjunction_owned;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;

use crate::catalog::{TableDef, TableKind, TableName, DEFAULT_NAMESPACE, SYSTEM_NAMESPACE};
use crate::error::{Error, ObjectKind, Result};
use crate::live::message::LiveColumn;
use crate::session::Session;
use crate::sql::errors::from_df;
use crate::sql::parse::{parse, Parsed, SqlStatement};
use crate::sql::provider::{session_schema, View};
use crate::sql::pushdown::KeyRanges;
use crate::types::SqlType;

const SHAPE: &str = "a live query is SELECT <columns> FROM <one table> [WHERE <condition>]";

#[derive(Debug)]
pub(crate) struct LiveQuery {
    pub sql: String,
    pub def: Arc<TableDef>,
    pub view: View,
    /// The session schema of the table (with `_user` for an admin on a USER table).
    pub schema: SchemaRef,
    pub types: Vec<SqlType>,
    /// Subscribed columns, as session-schema indexes.
    pub projection: Vec<usize>,
    /// Key columns, as session-schema indexes.
    pub key: Vec<usize>,
    pub predicate: Option<Arc<dyn PhysicalExpr>>,
    /// The key ranges the snapshot reads.
    pub ranges: KeyRanges,
}

impl LiveQuery {
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

pub(crate) async fn compile(session: &Session, statement: &SqlStatement) -> Result<LiveQuery> {
    let Parsed::Standard(parsed) = parse(statement)? else {
        return Err(Error::Unsupported(SHAPE.into()));
    };
    let plan = session.plan(*parsed, statement.position).await?;

    // Projection → [Filter] → [SubqueryAlias] → TableScan, nothing else.
    let LogicalPlan::Projection(projection) = &plan else {
        return Err(Error::Unsupported(format!("{SHAPE}; got {}", plan.display())));
    };
    let mut node = projection.input.as_ref();
    let mut predicate = None;
    if let LogicalPlan::Filter(filter) = node {
        predicate = Some(filter.predicate.clone());
        node = filter.input.as_ref();
    }
    if let LogicalPlan::SubqueryAlias(alias) = node {
        node = alias.input.as_ref();
    }
    let LogicalPlan::TableScan(scan) = node else {
        return Err(Error::Unsupported(format!("{SHAPE}; got {}", node.display())));
    };
    let name = match (scan.table_name.schema(), scan.table_name.table()) {
        (Some(ns), table) => TableName::new(ns, table),
        (None, table) => TableName::new(DEFAULT_NAMESPACE, table),
    };
    if name.namespace == SYSTEM_NAMESPACE {
        return Err(Error::Unsupported(format!(
            "{name} is a SYSTEM table; live queries watch USER, SHARED and STREAM tables"
        )));
    }
    let def = session.engine().table(&name)?;
    if def.kind == TableKind::System {
        return Err(Error::Unsupported(format!("{name} is a SYSTEM table")));
    }
    let view = View::of(&def, session.actor());
    let (schema, types) = session_schema(&def, &view);

    let columns = projection
        .expr
        .iter()
        .map(|expr| match expr {
            Expr::Column(c) => schema
                .index_of(&c.name)
                .map_err(|_| Error::not_found(ObjectKind::Column, format!("{name}.{}", c.name))),
            other => Err(Error::Unsupported(format!(
                "{SHAPE}; the column list may only name columns, not {other}"
            ))),
        })
        .collect::<Result<Vec<_>>>()?;

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
                return Err(Error::Unsupported(format!(
                    "{SHAPE}; the WHERE may not contain a subquery"
                )));
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
    Ok(LiveQuery {
        sql: statement.sql.clone(),
        def,
        view,
        schema,
        types,
        projection: columns,
        key,
        predicate,
        ranges,
    })
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
