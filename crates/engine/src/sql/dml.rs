//! INSERT, UPDATE and DELETE as execution plans. The plan is built when DataFusion
//! plans the statement and does its work only when executed (so EXPLAIN never writes);
//! the work runs on a blocking thread inside one write transaction and yields the
//! single `count` row DataFusion expects.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, UInt64Array};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};

use crate::catalog::{TableDef, USER_COLUMN};
use crate::convert::value_at;
use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::sql::provider::{df_error, View};
use crate::sql::pushdown::KeyRanges;
use crate::sql::scan::{Batcher, BATCH_ROWS};
use crate::types::{SqlType, Value};
use crate::write::Txn;

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
        Ok(count_stream(async move {
            // All input is read before the writer lock is taken: INSERT ... SELECT from
            // the same table reads a stable snapshot and the lock is held briefly.
            let batches = datafusion::physical_plan::collect(input, context).await?;
            blocking(move || insert_batches(&inner, &def, &view, &batches)).await
        }))
    }
}

fn insert_batches(inner: &Inner, def: &TableDef, view: &View, batches: &[RecordBatch]) -> Result<u64> {
    let mut txn = Txn::begin(inner);
    check_current(inner, def)?;
    let offset = view.offset();
    let mut count = 0u64;
    for batch in batches {
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

#[derive(Debug)]
pub(crate) enum DmlOp {
    /// (table column index, new value expression) for each assigned column.
    Update(Vec<(usize, Arc<dyn PhysicalExpr>)>),
    Delete,
}

#[derive(Debug)]
pub(crate) struct DmlExec {
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    view: View,
    schema: SchemaRef,
    types: Vec<SqlType>,
    op: Arc<DmlOp>,
    predicate: Option<Arc<dyn PhysicalExpr>>,
    ranges: KeyRanges,
    properties: Arc<PlanProperties>,
}

impl DmlExec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inner: Arc<Inner>,
        def: Arc<TableDef>,
        view: View,
        schema: SchemaRef,
        types: Vec<SqlType>,
        op: DmlOp,
        predicate: Option<Arc<dyn PhysicalExpr>>,
        ranges: KeyRanges,
    ) -> Self {
        DmlExec {
            inner,
            def,
            view,
            schema,
            types,
            op: Arc::new(op),
            predicate,
            ranges,
            properties: count_properties(),
        }
    }
}

impl DisplayAs for DmlExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let op = match self.op.as_ref() {
            DmlOp::Update(_) => "TidepoolUpdate",
            DmlOp::Delete => "TidepoolDelete",
        };
        write!(f, "{op}: table={}, {}", self.def.full_name(), self.ranges.description)?;
        if let Some(p) = &self.predicate {
            write!(f, ", filter={p}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for DmlExec {
    fn name(&self) -> &'static str {
        "TidepoolDml"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, _partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let job = DmlJob {
            inner: self.inner.clone(),
            def: self.def.clone(),
            view: self.view.clone(),
            schema: self.schema.clone(),
            types: self.types.clone(),
            op: self.op.clone(),
            predicate: self.predicate.clone(),
            ranges: self.ranges.ranges.clone(),
        };
        Ok(count_stream(async move { blocking(move || job.run()).await }))
    }
}

struct DmlJob {
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    view: View,
    schema: SchemaRef,
    types: Vec<SqlType>,
    op: Arc<DmlOp>,
    predicate: Option<Arc<dyn PhysicalExpr>>,
    ranges: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One chunk of stored rows with their keys and owners.
struct Chunk {
    keys: Vec<Vec<u8>>,
    owners: Vec<Option<String>>,
    values: Vec<Vec<Value>>,
}

impl DmlJob {
    fn run(self) -> Result<u64> {
        let inner = self.inner.clone();
        let mut txn = Txn::begin(&inner);
        check_current(&inner, &self.def)?;
        let mut count = 0u64;
        for (start, end) in &self.ranges {
            // Rows are read from the committed state, never from this statement's own
            // writes, so a row moved by a key update is not visited twice.
            let mut rows = inner.rows(&self.def, None, true, start, end).peekable();
            while rows.peek().is_some() {
                let mut chunk = Chunk {
                    keys: Vec::new(),
                    owners: Vec::new(),
                    values: Vec::new(),
                };
                for row in rows.by_ref().take(BATCH_ROWS) {
                    let row = row?;
                    chunk.keys.push(row.key);
                    chunk.owners.push(row.owner);
                    chunk.values.push(row.values);
                }
                count += self.apply(&mut txn, chunk)?;
            }
        }
        if count > 0 {
            txn.commit()?;
        }
        Ok(count)
    }

    fn apply(&self, txn: &mut Txn, chunk: Chunk) -> Result<u64> {
        let projection: Vec<usize> = (0..self.schema.fields().len()).collect();
        let mut batcher = Batcher::new(&self.schema, &self.types, &projection, self.view.offset());
        for (owner, values) in chunk.owners.iter().zip(&chunk.values) {
            batcher.push(owner.clone(), values.clone());
        }
        let batch = batcher.finish()?;
        let mask = match &self.predicate {
            Some(p) => {
                let result = p
                    .evaluate(&batch)
                    .and_then(|v| v.into_array(batch.num_rows()))
                    .map_err(|e| Error::Query(e.to_string()))?;
                result
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .cloned()
                    .ok_or_else(|| Error::Query("WHERE must be a boolean expression".into()))?
            }
            None => BooleanArray::from(vec![true; batch.num_rows()]),
        };
        let selected: Vec<usize> = (0..mask.len()).filter(|&i| mask.is_valid(i) && mask.value(i)).collect();
        match self.op.as_ref() {
            DmlOp::Delete => {
                for &i in &selected {
                    txn.delete(&self.def, &chunk.keys[i])?;
                }
            }
            DmlOp::Update(assignments) => {
                let matched = filter_record_batch(&batch, &mask).map_err(|e| Error::Query(e.to_string()))?;
                let new_columns = assignments
                    .iter()
                    .map(|(column, expr)| {
                        let array: ArrayRef = expr
                            .evaluate(&matched)
                            .and_then(|v| v.into_array(matched.num_rows()))
                            .map_err(|e| Error::Query(e.to_string()))?;
                        Ok((*column, array))
                    })
                    .collect::<Result<Vec<_>>>()?;
                for (j, &i) in selected.iter().enumerate() {
                    let mut values = chunk.values[i].clone();
                    for (column, array) in &new_columns {
                        let c = &self.def.columns[*column];
                        values[*column] = value_at(array, j, c.ty, &c.name)?;
                    }
                    txn.update(&self.def, chunk.owners[i].as_deref(), &chunk.keys[i], values)?;
                }
            }
        }
        Ok(selected.len() as u64)
    }
}
