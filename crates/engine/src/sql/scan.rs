//! `TidepoolScan`: reads a table's key ranges from RocksDB on a blocking thread and
//! streams Arrow batches to DataFusion.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::Statistics;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};

use crate::catalog::{TableDef, TableKind};
use crate::convert::batch_from_columns;
use crate::engine::{Inner, PinnedSnapshot};
use crate::error::Result;
use crate::sql::columns::ColumnDecoder;
use crate::sql::provider::{df_error, View};
use crate::sql::pushdown::KeyRanges;
use crate::storage::keys;
use crate::storage::row::row_time;
use crate::types::{SqlType, Value};

/// Rows per Arrow batch.
pub(crate) const BATCH_ROWS: usize = 4096;

#[derive(Debug)]
pub(crate) struct ScanExec {
    inner: Arc<Inner>,
    /// Read at this commit rather than the latest.
    snapshot: Option<Arc<PinnedSnapshot>>,
    def: Arc<TableDef>,
    view: View,
    /// Schema columns to produce (indexes into the session schema).
    projection: Vec<usize>,
    types: Vec<SqlType>,
    schema: SchemaRef,
    ranges: KeyRanges,
    /// The key ranges each partition reads (one partition, or a large table's ranges
    /// cut into as many as DataFusion runs at once).
    partitions: Vec<Ranges>,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

/// The key ranges one partition of a scan reads, in key order.
type Ranges = Vec<(Vec<u8>, Vec<u8>)>;

/// Tables with fewer rows are read by one partition: cutting them saves less than it costs.
const SPLIT_ROWS: i64 = 100_000;

impl ScanExec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inner: Arc<Inner>,
        snapshot: Option<Arc<PinnedSnapshot>>,
        def: Arc<TableDef>,
        view: View,
        table_schema: SchemaRef,
        table_types: Vec<SqlType>,
        projection: Vec<usize>,
        ranges: KeyRanges,
        limit: Option<usize>,
        parts: usize,
    ) -> Result<ScanExec> {
        let schema = Arc::new(
            table_schema
                .project(&projection)
                .map_err(|e| crate::error::Error::Query(e.to_string()))?,
        );
        let types = projection.iter().map(|&i| table_types[i]).collect();
        let partitions = partitions(&inner, snapshot.as_deref(), &def, &ranges, limit, parts)?;
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(ScanExec {
            inner,
            snapshot,
            def,
            view,
            projection,
            types,
            schema,
            ranges,
            partitions,
            limit,
            properties,
        })
    }
}

/// Cuts a large table's one key range into `parts` ranges read in parallel (a LIMIT
/// reads in key order, in one).
fn partitions(
    inner: &Inner,
    snapshot: Option<&PinnedSnapshot>,
    def: &TableDef,
    ranges: &KeyRanges,
    limit: Option<usize>,
    parts: usize,
) -> Result<Vec<Ranges>> {
    let single = vec![ranges.ranges.clone()];
    let ([(start, end)], None) = (ranges.ranges.as_slice(), limit) else {
        return Ok(single);
    };
    if parts < 2 || inner.row_count(def.id) < SPLIT_ROWS {
        return Ok(single);
    }
    let points = inner
        .store
        .split_points(snapshot.map(PinnedSnapshot::get), start, end, parts)?;
    if points.is_empty() {
        return Ok(single);
    }
    let bounds: Vec<&Vec<u8>> = std::iter::once(start)
        .chain(&points)
        .chain(std::iter::once(end))
        .collect();
    Ok(bounds.windows(2).map(|w| vec![(w[0].clone(), w[1].clone())]).collect())
}

impl DisplayAs for ScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "TidepoolScan: table={}, {}",
            self.def.full_name(),
            self.ranges.description
        )?;
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        if self.partitions.len() > 1 {
            write!(f, ", partitions={}", self.partitions.len())?;
        }
        Ok(())
    }
}

impl ExecutionPlan for ScanExec {
    fn name(&self) -> &'static str {
        "TidepoolScan"
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

    /// The exact row count when the scan reads every row of a table that shows every
    /// row it stores (not a STREAM table, whose expired rows are hidden, nor a past
    /// commit): `count(*)` is then answered from the table's row counter, unread.
    fn statistics_from_inputs(&self, _inputs: &[Arc<Statistics>], args: &StatisticsArgs) -> DfResult<Arc<Statistics>> {
        let mut statistics = Statistics::new_unknown(&self.schema);
        let all = args.partition().is_none() || self.partitions.len() == 1;
        if all && self.ranges.whole_table && self.def.kind != TableKind::Stream && self.snapshot.is_none() {
            let rows = self.inner.row_count(self.def.id).max(0) as usize;
            statistics.num_rows = Precision::Exact(self.limit.map_or(rows, |limit| rows.min(limit)));
        }
        Ok(Arc::new(statistics))
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let inner = self.inner.clone();
        let snapshot = self.snapshot.clone();
        let def = self.def.clone();
        let view = self.view.clone();
        let projection = self.projection.clone();
        let types = self.types.clone();
        let schema = self.schema.clone();
        let ranges = self.partitions.get(partition).cloned().unwrap_or_default();
        let limit = self.limit.unwrap_or(usize::MAX);
        let whole = self.ranges.whole_table;
        tokio::task::spawn_blocking(move || {
            let mut decoder = ColumnDecoder::new(&def, schema, &types, &projection, view.offset(), BATCH_ROWS);
            let cutoff = inner.stream_cutoff(&def);
            let user_table = def.kind == TableKind::User;
            let mut produced = 0usize;
            let mut read = || -> Result<()> {
                for (start, end) in &ranges {
                    let snapshot = snapshot.as_deref().map(PinnedSnapshot::get);
                    let mut open = true;
                    inner.store.scan(snapshot, start, end, whole, |key, bytes| {
                        if produced == limit {
                            open = false;
                            return Ok(false);
                        }
                        if let Some(cutoff) = cutoff {
                            if row_time(bytes)? <= cutoff {
                                return Ok(true);
                            }
                        }
                        let owner = match user_table && decoder.wants_owner() {
                            true => Some(keys::decode_key_text(&key[keys::data_prefix_len()..])?.0),
                            false => None,
                        };
                        decoder.push(bytes, owner.as_deref())?;
                        produced += 1;
                        if decoder.len() == BATCH_ROWS {
                            // A closed receiver means the query stopped reading (LIMIT, error).
                            if tx.blocking_send(decoder.finish().map_err(df_error)).is_err() {
                                open = false;
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    })?;
                    if !open {
                        return Ok(());
                    }
                }
                if decoder.len() > 0 {
                    let _ = tx.blocking_send(decoder.finish().map_err(df_error));
                }
                Ok(())
            };
            if let Err(e) = read() {
                let _ = tx.blocking_send(Err(df_error(e)));
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// Collects rows column by column into record batches of a projected schema.
pub(crate) struct Batcher<'a> {
    schema: &'a SchemaRef,
    types: &'a [SqlType],
    /// Session-schema column index of each output column.
    projection: &'a [usize],
    /// 1 when the session schema starts with `_user`.
    offset: usize,
    columns: Vec<Vec<Value>>,
    rows: usize,
}

impl<'a> Batcher<'a> {
    pub fn new(schema: &'a SchemaRef, types: &'a [SqlType], projection: &'a [usize], offset: usize) -> Self {
        Batcher {
            schema,
            types,
            projection,
            offset,
            columns: vec![Vec::with_capacity(BATCH_ROWS); projection.len()],
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn push(&mut self, owner: Option<String>, mut values: Vec<Value>) {
        for (out, &i) in self.columns.iter_mut().zip(self.projection) {
            let value = if i < self.offset {
                owner.clone().map(Value::Text).unwrap_or(Value::Null)
            } else {
                std::mem::replace(&mut values[i - self.offset], Value::Null)
            };
            out.push(value);
        }
        self.rows += 1;
    }

    pub fn finish(&mut self) -> Result<datafusion::arrow::record_batch::RecordBatch> {
        let batch = batch_from_columns(self.schema, self.types, &self.columns, self.rows);
        self.columns.iter_mut().for_each(Vec::clear);
        self.rows = 0;
        batch
    }
}
