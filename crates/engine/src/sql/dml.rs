//! INSERT, UPDATE and DELETE as execution plans. The plan is built when DataFusion
//! plans the statement and does its work only when executed (so EXPLAIN never writes);
//! the work runs on a blocking thread inside one write transaction and yields the
//! single `count` row DataFusion expects. INSERT writes its input's rows; UPDATE and
//! DELETE write the rows of the statement's selection (`sql::dml_plan`).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    execute_stream, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;

use crate::catalog::{TableDef, USER_COLUMN};
use crate::convert::value_at;
use crate::engine::Inner;
use crate::error::{Error, Position, Result};
use crate::queries::Control;
use crate::sql::dml_plan::WriteKind;
use crate::sql::errors::from_df;
use crate::sql::provider::{df_error, View};
use crate::types::{SqlType, Value};
use crate::write::{key_of, row_key, Txn};

fn count_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("count", DataType::UInt64, false)]))
}

fn count_properties() -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        EquivalenceProperties::new(count_schema()),
        Partitioning::UnknownPartitioning(1),
        EmissionType::Final,
        Boundedness::Bounded,
    ))
}

/// Runs `work` on a blocking thread when the plan executes and streams its count.
fn count_stream<F>(work: F) -> SendableRecordBatchStream
where
    F: std::future::Future<Output = DfResult<u64>> + Send + 'static,
{
    let stream = futures::stream::once(async move {
        let count = work.await?;
        RecordBatch::try_new(count_schema(), vec![Arc::new(UInt64Array::from(vec![count]))])
            .map_err(DataFusionError::from)
    });
    Box::pin(RecordBatchStreamAdapter::new(count_schema(), stream))
}

/// The control of the statement a plan runs for, given by `Session::statement_state`.
fn statement_control(context: &TaskContext) -> Option<Arc<Control>> {
    context.session_config().get_extension::<Control>()
}

async fn blocking<F: FnOnce() -> Result<u64> + Send + 'static>(f: F) -> DfResult<u64> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| df_error(Error::Query(format!("write task failed: {e}"))))?
        .map_err(df_error)
}

/// Under the writer lock: the table must still be the one the statement was planned on.
fn check_current(inner: &Inner, def: &TableDef) -> Result<()> {
    let name = crate::catalog::TableName::new(&def.namespace, &def.name);
    match inner.table(&name) {
        Ok(now) if now.id == def.id && now.columns.len() == def.columns.len() => Ok(()),
        _ => Err(Error::Query(format!(
            "table {} was changed by another statement while this one was planned; run it again",
            def.full_name()
        ))),
    }
}

#[derive(Debug)]
pub(crate) struct InsertExec {
    input: Arc<dyn ExecutionPlan>,
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    view: View,
    types: Vec<SqlType>,
    properties: Arc<PlanProperties>,
}

impl InsertExec {
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        inner: Arc<Inner>,
        def: Arc<TableDef>,
        view: View,
        types: Vec<SqlType>,
    ) -> Self {
        InsertExec {
            input,
            inner,
            def,
            view,
            types,
            properties: count_properties(),
        }
    }
}

impl DisplayAs for InsertExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "TidepoolInsert: table={}", self.def.full_name())
    }
}

impl ExecutionPlan for InsertExec {
    fn name(&self) -> &'static str {
        "TidepoolInsert"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = children.into_iter().next().unwrap_or_else(|| self.input.clone());
        Ok(Arc::new(InsertExec::new(
            input,
            self.inner.clone(),
            self.def.clone(),
            self.view.clone(),
            self.types.clone(),
        )))
    }

    fn execute(&self, _partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let input = self.input.clone();
        let inner = self.inner.clone();
        let def = self.def.clone();
        let view = self.view.clone();
        let control = statement_control(&context);
        Ok(count_stream(async move {
            // All input is read before the writer lock is taken: INSERT ... SELECT from
            // the same table reads a stable snapshot and the lock is held briefly.
            let batches = datafusion::physical_plan::collect(input, context).await?;
            blocking(move || insert_batches(&inner, &def, &view, &batches, control)).await
        }))
    }
}

fn insert_batches(
    inner: &Inner,
    def: &TableDef,
    view: &View,
    batches: &[RecordBatch],
    control: Option<Arc<Control>>,
) -> Result<u64> {
    let mut txn = Txn::begin(inner);
    txn.stopped_by(control);
    check_current(inner, def)?;
    let offset = view.offset();
    let mut count = 0u64;
    for batch in batches {
        txn.check_stopped()?;
        for row in 0..batch.num_rows() {
            let owner = match &view.owner {
                Some(user) => Some(user.clone()),
                None if view.owner_column => match value_at(batch.column(0), row, SqlType::Text, USER_COLUMN)? {
                    Value::Text(user) if !user.is_empty() => Some(user),
                    _ => {
                        return Err(Error::NotNull {
                            table: def.full_name(),
                            column: USER_COLUMN.into(),
                        });
                    }
                },
                None => None,
            };
            let values = def
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| value_at(batch.column(i + offset), row, c.ty, &c.name))
                .collect::<Result<Vec<_>>>()?;
            txn.insert(def, owner.as_deref(), values)?;
            count += 1;
        }
    }
    txn.enforce_max_rows(def)?;
    txn.commit()?;
    Ok(count)
}

/// Writes the rows of an UPDATE's or DELETE's selection (`sql::dml_plan`): the
/// selection runs under the writer lock, inside the transaction, so the rows it
/// returns are exactly the rows changed — no commit can come in between.
#[derive(Debug)]
pub(crate) struct DmlExec {
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    view: View,
    types: Vec<SqlType>,
    kind: WriteKind,
    selection: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl DmlExec {
    pub fn new(
        inner: Arc<Inner>,
        def: Arc<TableDef>,
        view: View,
        types: Vec<SqlType>,
        kind: WriteKind,
        selection: Arc<dyn ExecutionPlan>,
    ) -> Self {
        DmlExec {
            inner,
            def,
            view,
            types,
            kind,
            selection,
            properties: count_properties(),
        }
    }
}

impl DisplayAs for DmlExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: table={}", self.kind.name(), self.def.full_name())
    }
}

impl ExecutionPlan for DmlExec {
    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.selection]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        let selection = children.into_iter().next().unwrap_or_else(|| self.selection.clone());
        Ok(Arc::new(DmlExec::new(
            self.inner.clone(),
            self.def.clone(),
            self.view.clone(),
            self.types.clone(),
            self.kind,
            selection,
        )))
    }

    fn execute(&self, _partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let job = DmlJob {
            control: statement_control(&context),
            inner: self.inner.clone(),
            def: self.def.clone(),
            view: self.view.clone(),
            types: self.types.clone(),
            kind: self.kind,
        };
        let selection = self.selection.clone();
        Ok(count_stream(async move {
            let runtime = tokio::runtime::Handle::current();
            blocking(move || job.run(&runtime, selection, context)).await
        }))
    }
}

/// Errors of a running statement have no place in its text.
const START: Position = Position { line: 1, column: 1 };

struct DmlJob {
    /// The statement this write is for (`queries`): stopped, it writes nothing.
    control: Option<Arc<Control>>,
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    view: View,
    /// The type of each session-schema column.
    types: Vec<SqlType>,
    kind: WriteKind,
}

impl DmlJob {
    fn run(
        &self,
        runtime: &tokio::runtime::Handle,
        selection: Arc<dyn ExecutionPlan>,
        context: Arc<TaskContext>,
    ) -> Result<u64> {
        let mut txn = Txn::begin(&self.inner);
        txn.stopped_by(self.control.clone());
        check_current(&self.inner, &self.def)?;
        // The selection reads committed rows, never this statement's pending writes,
        // so a row moved to a new key is not selected again under it.
        let mut count = 0u64;
        runtime.block_on(async {
            let mut batches = execute_stream(selection, context).map_err(|e| from_df(&e, START))?;
            while let Some(batch) = batches.next().await {
                let batch = batch.map_err(|e| from_df(&e, START))?;
                txn.check_stopped()?;
                count += match self.kind {
                    WriteKind::Delete => self.delete(&mut txn, &batch)?,
                    WriteKind::Update => self.update(&mut txn, &batch)?,
                };
            }
            Ok::<_, Error>(())
        })?;
        if count > 0 {
            txn.commit()?;
        }
        Ok(count)
    }

    /// The owner of a selected row: `_user` (column 0) for an admin on a USER table,
    /// the session's user for a user.
    fn owner(&self, column: &ArrayRef, row: usize) -> Result<Option<String>> {
        if !self.view.owner_column {
            return Ok(self.view.owner.clone());
        }
        match value_at(column, row, SqlType::Text, USER_COLUMN)? {
            Value::Text(user) => Ok(Some(user)),
            _ => Err(Error::Query(format!("a row of {} has no owner", self.def.full_name()))),
        }
    }

    /// `batch` holds the selected rows' key columns.
    fn delete(&self, txn: &mut Txn, batch: &RecordBatch) -> Result<u64> {
        let offset = self.view.offset();
        let mut deleted = 0;
        for row in 0..batch.num_rows() {
            let owner = self.owner(batch.column(0), row)?;
            let key = self
                .def
                .primary_key
                .iter()
                .enumerate()
                .map(|(j, &c)| {
                    let column = &self.def.columns[c];
                    value_at(batch.column(offset + j), row, column.ty, &column.name)
                })
                .collect::<Result<Vec<_>>>()?;
            if txn.delete(&self.def, &key_of(&self.def, owner.as_deref(), &key))? {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// `batch` holds each selected row's new image, then its old one. A row whose new
    /// image equals the old is neither written nor counted: it did not change.
    fn update(&self, txn: &mut Txn, batch: &RecordBatch) -> Result<u64> {
        let width = self.types.len();
        let offset = self.view.offset();
        let image = |start: usize, row: usize| {
            self.def
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| value_at(batch.column(start + offset + i), row, c.ty, &c.name))
                .collect::<Result<Vec<_>>>()
        };
        let mut changed = 0;
        for row in 0..batch.num_rows() {
            let new = image(0, row)?;
            let old = image(width, row)?;
            let owner = self.owner(batch.column(width), row)?;
            let old_key = row_key(&self.def, owner.as_deref(), &old);
            if new.iter().zip(&old).all(|(a, b)| a.same(b)) {
                continue;
            }
            txn.update(&self.def, owner.as_deref(), &old_key, new)?;
            changed += 1;
        }
        Ok(changed)
    }
}
