//! UPDATE and DELETE of a Tidepool table, planned from the statement itself.
//!
//! DataFusion's physical planner hands `TableProvider::update`/`delete_from` the
//! filters it finds in the *optimized* input, and an optimized input no longer says
//! which rows the statement selects: a WHERE folded to `false` leaves no filter at
//! all (read as "every row"), and common subexpressions come out as
//! `__common_expr_N` aliases that exist only inside their plan. So Tidepool's tables
//! never receive those calls. An analyzer rule — analyzers run before the optimizer —
//! turns each `Dml` UPDATE or DELETE of a Tidepool table into a [`WriteNode`] whose
//! input is the statement's *selection*: an ordinary query that returns, for every
//! row the statement changes, its key columns (DELETE) or its new image followed by
//! its old one (UPDATE). The optimizer may rewrite that query as freely as any
//! SELECT, because its answer, not its filters, is what gets written: `DmlExec`
//! (`sql::dml`) runs it under the writer lock and changes exactly the rows it returns.

use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchemaRef, TableReference};
use datafusion::datasource::source_as_provider;
use datafusion::error::Result as DfResult;
use datafusion::execution::context::{QueryPlanner, SessionState};
use datafusion::logical_expr::dml::WriteOp;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    DmlStatement, Expr, Extension, LogicalPlan, LogicalPlanBuilder, Projection, UserDefinedLogicalNode,
    UserDefinedLogicalNodeCore,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use crate::catalog::{TableKind, USER_COLUMN};
use crate::error::Error;
use crate::sql::provider::{df_error, RocksTable};

/// Which write a [`WriteNode`] makes of its selection's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum WriteKind {
    /// Each selected row is `[new image..., old image...]` in the session schema.
    Update,
    /// Each selected row is the row's key columns (`_user` first for an admin on a
    /// USER table).
    Delete,
}

impl WriteKind {
    pub fn name(self) -> &'static str {
        match self {
            WriteKind::Update => "TidepoolUpdate",
            WriteKind::Delete => "TidepoolDelete",
        }
    }
}

/// An UPDATE or DELETE of a Tidepool table over the rows its selection returns.
#[derive(Debug, Clone)]
pub(crate) struct WriteNode {
    kind: WriteKind,
    table_name: TableReference,
    /// The target's `RocksTable`.
    target: Arc<dyn TableProvider>,
    selection: LogicalPlan,
    /// DataFusion's DML schema: one `count` column.
    schema: DFSchemaRef,
}

impl PartialEq for WriteNode {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.table_name == other.table_name && self.selection == other.selection
    }
}

impl Eq for WriteNode {}

impl Hash for WriteNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.table_name.hash(state);
        self.selection.hash(state);
    }
}

impl PartialOrd for WriteNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.kind, &self.table_name).partial_cmp(&(other.kind, &other.table_name)) {
            Some(Ordering::Equal) => self.selection.partial_cmp(&other.selection),
            order => order,
        }
    }
}

impl UserDefinedLogicalNodeCore for WriteNode {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.selection]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: table={}", self.kind.name(), self.table_name)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> DfResult<Self> {
        let selection = inputs
            .pop()
            .ok_or_else(|| df_error(Error::Query("a write needs its selection".into())))?;
        Ok(WriteNode {
            selection,
            ..self.clone()
        })
    }

    /// Every column of the selection is read by position, so none may be pruned.
    fn necessary_children_exprs(&self, _output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![(0..self.selection.schema().fields().len()).collect()])
    }
}

/// The Tidepool table behind a provider, if it is one.
pub(crate) fn as_rocks(provider: &dyn TableProvider) -> Option<&RocksTable> {
    let any: &dyn Any = provider;
    any.downcast_ref::<RocksTable>()
}

/// The analyzer rule: `Dml` UPDATE/DELETE of a Tidepool table → [`WriteNode`].
#[derive(Debug)]
pub(crate) struct PlanWrites;

impl AnalyzerRule for PlanWrites {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        plan.transform_up(|node| {
            let LogicalPlan::Dml(dml) = node else {
                return Ok(Transformed::no(node));
            };
            let kind = match dml.op {
                WriteOp::Update => WriteKind::Update,
                WriteOp::Delete | WriteOp::Truncate => WriteKind::Delete,
                _ => return Ok(Transformed::no(LogicalPlan::Dml(dml))),
            };
            let Some(target) = source_as_provider(&dml.target)
                .ok()
                .filter(|p| as_rocks(p.as_ref()).is_some())
            else {
                return Ok(Transformed::no(LogicalPlan::Dml(dml)));
            };
            let Some(table) = as_rocks(target.as_ref()) else {
                return Ok(Transformed::no(LogicalPlan::Dml(dml)));
            };
            let selection = selection(kind, table, &dml).map_err(df_error)?;
            Ok(Transformed::yes(LogicalPlan::Extension(Extension {
                node: Arc::new(WriteNode {
                    kind,
                    table_name: dml.table_name.clone(),
                    target: target.clone(),
                    selection,
                    schema: dml.output_schema.clone(),
                }),
            })))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "tidepool_plan_writes"
    }
}

/// The query whose rows a write changes, built from the statement's unoptimized plan:
/// DELETE's input is `[Limit] → [Filter] → TableScan`; UPDATE's is a projection of
/// every column's new value (aliased by name) over `[Filter] → TableScan`; TRUNCATE
/// has none (every row).
fn selection(kind: WriteKind, table: &RocksTable, dml: &DmlStatement) -> crate::error::Result<LogicalPlan> {
    let def = table.def();
    let view = table.view();
    let columns = table.schema();
    let offset = view.offset();
    let unexpected = || {
        Error::Query(format!(
            "the plan of this {} of {} does not read the table first; please report it",
            kind.name(),
            def.full_name()
        ))
    };
    let target_columns = |plan: &LogicalPlan| -> crate::error::Result<Vec<Expr>> {
        let schema = plan.schema();
        if schema.fields().len() < columns.fields().len()
            || columns
                .fields()
                .iter()
                .enumerate()
                .any(|(i, f)| schema.field(i).name() != f.name())
        {
            return Err(unexpected());
        }
        Ok((0..columns.fields().len())
            .map(|i| Expr::Column(Column::from(schema.qualified_field(i))))
            .collect())
    };
    let query = |e: datafusion::error::DataFusionError| Error::Query(e.to_string());
    match kind {
        WriteKind::Delete => {
            // TRUNCATE's input is a placeholder: it deletes every row the session sees.
            let input = match dml.op {
                WriteOp::Truncate => Arc::new(
                    LogicalPlanBuilder::scan(dml.table_name.clone(), dml.target.clone(), None)
                        .and_then(|b| b.build())
                        .map_err(query)?,
                ),
                _ => dml.input.clone(),
            };
            let all = target_columns(&input)?;
            let key = (0..offset)
                .chain(def.primary_key.iter().map(|&i| i + offset))
                .map(|i| all[i].clone())
                .collect();
            Ok(LogicalPlan::Projection(Projection::try_new(key, input).map_err(query)?))
        }
        WriteKind::Update => {
            if def.kind == TableKind::Stream {
                return Err(Error::NotAllowed(format!(
                    "UPDATE is not allowed on STREAM table {}: stream tables are append-only",
                    def.full_name()
                )));
            }
            let LogicalPlan::Projection(new_image) = dml.input.as_ref() else {
                return Err(unexpected());
            };
            let old = target_columns(&new_image.input)?;
            if view.owner_column && !is_column(&new_image.expr[0], USER_COLUMN) {
                return Err(Error::NotAllowed("the owner column _user cannot be updated".into()));
            }
            let exprs = new_image
                .expr
                .iter()
                .cloned()
                .chain(
                    old.into_iter()
                        .enumerate()
                        .map(|(i, c)| c.alias(format!("__tidepool_old_{i}"))),
                )
                .collect();
            Ok(LogicalPlan::Projection(
                Projection::try_new(exprs, new_image.input.clone()).map_err(query)?,
            ))
        }
    }
}

/// `expr` (under its alias) is the column `name` itself.
fn is_column(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Alias(alias) => is_column(&alias.expr, name),
        Expr::Column(c) => c.name == name,
        _ => false,
    }
}

/// The session's physical planner: DataFusion's, plus [`WriteNode`] → `DmlExec`.
#[derive(Debug)]
pub(crate) struct Planner;

#[async_trait]
impl QueryPlanner for Planner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn DfSession,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let logical_plan = reoptimize_selections(logical_plan, session)?;
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(WritePlanner)])
            .create_physical_plan(&logical_plan, session)
            .await
    }
}

/// Each write's selection optimized once more, as the root of its own plan.
/// DataFusion's optimizer rewrites an extension node's child on a copy and keeps the
/// copy only when a rule *reports* a change, and one rewrite does not report itself (a
/// short `IN` list becoming `=`s). A float IN list is a set with total-order equality
/// (`0.0 IN (-0.0)` is false where `0.0 = -0.0` is true), so without this a DELETE
/// could select other rows than the SELECT of the same WHERE. A write is the root of
/// its plan, or under EXPLAIN / EXPLAIN ANALYZE; other plans pass as they are.
fn reoptimize_selections(plan: &LogicalPlan, session: &dyn DfSession) -> DfResult<LogicalPlan> {
    let (LogicalPlan::Extension(_) | LogicalPlan::Explain(_) | LogicalPlan::Analyze(_), Some(state)) =
        (plan, session.as_any().downcast_ref::<SessionState>())
    else {
        return Ok(plan.clone());
    };
    plan.clone()
        .transform_up(|node| {
            let LogicalPlan::Extension(Extension { node: extension }) = &node else {
                return Ok(Transformed::no(node));
            };
            let Some(write) = extension.as_any().downcast_ref::<WriteNode>() else {
                return Ok(Transformed::no(node));
            };
            let selection = state.optimizer().optimize(write.selection.clone(), state, |_, _| {})?;
            Ok(Transformed::yes(LogicalPlan::Extension(Extension {
                node: Arc::new(WriteNode {
                    selection,
                    ..write.clone()
                }),
            })))
        })
        .map(|t| t.data)
}

struct WritePlanner;

#[async_trait]
impl ExtensionPlanner for WritePlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn DfSession,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
        let Some(write) = node.as_any().downcast_ref::<WriteNode>() else {
            return Ok(None);
        };
        let (Some(table), [selection]) = (as_rocks(write.target.as_ref()), physical_inputs) else {
            return Err(df_error(Error::Query(format!(
                "{} of {} lost its table or selection while planning",
                write.kind.name(),
                write.table_name
            ))));
        };
        Ok(Some(table.write_exec(write.kind, selection.clone())))
    }
}
