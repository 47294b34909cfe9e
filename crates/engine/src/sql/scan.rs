//! `TidepoolScan`: reads a table's key ranges on a blocking thread and streams Arrow
//! batches to DataFusion — from RocksDB, or from rows an earlier scan decoded and kept
//! while they are still current (`scan_cache`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::BinaryBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
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
use crate::sql::provider::{df_error, session_schema, View};
use crate::sql::pushdown::KeyRanges;
use crate::sql::scan_cache::{Chunk, Piece, SEGMENT_ROWS};
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
    /// The view of the store the partitions read, once the first one starts.
    reading: OnceLock<Arc<Reading>>,
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
            reading: OnceLock::new(),
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
        let reading = self.reading();
        let mut scanner = Scanner {
            inner: self.inner.clone(),
            def: self.def.clone(),
            snapshot: reading.snapshot.clone(),
            decoder: ColumnDecoder::new(
                &self.def,
                self.schema.clone(),
                &self.types,
                &self.projection,
                self.view.offset(),
                BATCH_ROWS,
            ),
            schema: self.schema.clone(),
            kept_columns: self.kept_columns(),
            produced: 0,
            limit: self.limit.unwrap_or(usize::MAX),
            whole: self.ranges.whole_table,
            tx,
        };
        let ranges = self.partitions.get(partition).cloned().unwrap_or_default();
        // A LIMIT reads a few rows: it takes kept rows, but keeps none of its own.
        let keep = self.limit.is_none();
        let cut = keep && self.ranges.unfiltered;
        let moment = reading.moment;
        tokio::task::spawn_blocking(move || {
            let inner = scanner.inner.clone();
            let cache = &inner.scan_cache;
            let table = moment.map(|_| cache.table(scanner.def.id, &scanner.def.columns));
            let mut read = || -> Result<()> {
                for (start, end) in &ranges {
                    let pieces = match (&table, moment) {
                        (Some(table), Some(at)) => cache.plan(table, start, end, at, cut),
                        _ => vec![Piece::Read(start.clone(), end.clone())],
                    };
                    for piece in pieces {
                        let open = match (piece, &table, moment) {
                            (Piece::Kept(rows), _, _) => scanner.send_kept(&rows)?,
                            (Piece::Refill(segment), Some(table), Some(at)) if keep => {
                                let (chunks, open) = scanner.read_every_column(&segment.lo, &segment.hi)?;
                                if open {
                                    cache.refill(table, &segment, chunks, at);
                                }
                                open
                            }
                            (Piece::Fill(lo, hi), Some(table), Some(at)) => {
                                let (chunks, open) = scanner.read_every_column(&lo, &hi)?;
                                if open {
                                    cache.fill(table, &lo, &hi, chunks, at);
                                }
                                open
                            }
                            (Piece::Refill(segment), _, _) => scanner.read(&segment.lo, &segment.hi)?,
                            (Piece::Read(lo, hi) | Piece::Fill(lo, hi), _, _) => scanner.read(&lo, &hi)?,
                        };
                        if !open {
                            return Ok(());
                        }
                    }
                }
                scanner.flush();
                Ok(())
            };
            if let Err(e) = read() {
                let _ = scanner.tx.blocking_send(Err(df_error(e)));
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// The view of the store every partition of one scan reads.
#[derive(Debug)]
struct Reading {
    /// One snapshot for every partition, so they agree with each other.
    snapshot: Arc<PinnedSnapshot>,
    /// `Some(f)`: the snapshot holds exactly commits `1..=f`, and rows kept by earlier
    /// scans may serve this one (`scan_cache`).
    moment: Option<u64>,
}

impl ScanExec {
    /// The view this scan reads, taken when its first partition starts.
    fn reading(&self) -> Arc<Reading> {
        self.reading
            .get_or_init(|| match &self.snapshot {
                Some(snapshot) => Arc::new(Reading {
                    snapshot: snapshot.clone(),
                    moment: None,
                }),
                None => {
                    let cache = &self.inner.scan_cache;
                    let (snapshot, moment) = cache.moment(|| Arc::new(self.inner.pin_snapshot()));
                    let keeps = cache.enabled() && self.def.kind != TableKind::Stream;
                    Arc::new(Reading {
                        snapshot,
                        moment: moment.filter(|_| keeps),
                    })
                }
            })
            .clone()
    }

    /// For each output column, its index among the kept rows' columns (every column
    /// of the table, `_user` first for a USER table whoever reads it).
    fn kept_columns(&self) -> Vec<usize> {
        let shift = usize::from(self.def.kind == TableKind::User) - self.view.offset();
        self.projection.iter().map(|&i| i + shift).collect()
    }
}

/// One partition's reading: rows from the store or kept rows, sent on in key order.
struct Scanner {
    inner: Arc<Inner>,
    def: Arc<TableDef>,
    snapshot: Arc<PinnedSnapshot>,
    /// Decodes the projected columns of rows read from the store.
    decoder: ColumnDecoder,
    schema: SchemaRef,
    kept_columns: Vec<usize>,
    produced: usize,
    limit: usize,
    whole: bool,
    tx: tokio::sync::mpsc::Sender<DfResult<RecordBatch>>,
}

impl Scanner {
    /// Sends a batch on; false once the query stopped reading (LIMIT, error).
    fn send(&mut self, batch: DfResult<RecordBatch>) -> bool {
        self.tx.blocking_send(batch).is_ok()
    }

    /// Sends what the decoder holds.
    fn flush(&mut self) -> bool {
        if self.decoder.len() == 0 {
            return true;
        }
        let batch = self.decoder.finish().map_err(df_error);
        self.send(batch)
    }

    /// Sends the projected columns of rows holding every column, up to the limit.
    fn send_kept(&mut self, rows: &RecordBatch) -> Result<bool> {
        if !self.flush() {
            return Ok(false);
        }
        let n = rows.num_rows().min(self.limit - self.produced);
        if n == 0 {
            return Ok(self.produced < self.limit);
        }
        self.produced += n;
        let columns = self.kept_columns.iter().map(|&i| rows.column(i).slice(0, n)).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(n));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
            .map_err(|e| crate::error::Error::Storage(e.to_string()));
        Ok(self.send(batch.map_err(df_error)) && self.produced < self.limit)
    }

    /// Reads `[lo, hi)` from the store, decoding only the projected columns.
    fn read(&mut self, lo: &[u8], hi: &[u8]) -> Result<bool> {
        let cutoff = self.inner.stream_cutoff(&self.def);
        let user_table = self.def.kind == TableKind::User;
        let mut open = true;
        let inner = self.inner.clone();
        let snapshot = self.snapshot.clone();
        if self.produced == self.limit {
            return Ok(false);
        }
        inner
            .store
            .scan(Some(snapshot.get()), lo, hi, self.whole, |key, bytes| {
                if let Some(cutoff) = cutoff {
                    if row_time(bytes)? <= cutoff {
                        return Ok(true);
                    }
                }
                let owner = match user_table && self.decoder.wants_owner() {
                    true => Some(keys::decode_key_text(&key[keys::data_prefix_len()..])?.0),
                    false => None,
                };
                self.decoder.push(bytes, owner.as_deref())?;
                self.produced += 1;
                // At the limit, what was decoded is sent before the reading stops.
                let full = self.decoder.len() == BATCH_ROWS || self.produced == self.limit;
                if full && !self.flush() || self.produced == self.limit {
                    open = false;
                    return Ok(false);
                }
                Ok(true)
            })?;
        Ok(open)
    }

    /// Reads `[lo, hi)` from the store decoding every column, in chunks of
    /// `SEGMENT_ROWS` rows with their keys, and sends the projected columns on.
    /// (Not for STREAM tables: it keeps no expiry cutoff.)
    fn read_every_column(&mut self, lo: &[u8], hi: &[u8]) -> Result<(Vec<Chunk>, bool)> {
        if !self.flush() {
            return Ok((Vec::new(), false));
        }
        let every = View {
            owner_column: self.def.kind == TableKind::User,
            owner: None,
        };
        let (schema, types) = session_schema(&self.def, &every);
        let all: Vec<usize> = (0..types.len()).collect();
        let mut decoder = ColumnDecoder::new(&self.def, schema, &types, &all, every.offset(), SEGMENT_ROWS);
        let mut keys_read = BinaryBuilder::new();
        let mut chunks = Vec::new();
        let inner = self.inner.clone();
        let snapshot = self.snapshot.clone();
        let mut open = true;
        // Ends a chunk: sent on, and kept with its keys.
        let finish = |decoder: &mut ColumnDecoder,
                      keys_read: &mut BinaryBuilder,
                      chunks: &mut Vec<Chunk>,
                      this: &mut Scanner|
         -> Result<bool> {
            let rows = decoder.finish()?;
            let open = this.send_kept(&rows)?;
            chunks.push((keys_read.finish(), rows));
            Ok(open)
        };
        inner
            .store
            .scan(Some(snapshot.get()), lo, hi, self.whole, |key, bytes| {
                let owner = match every.owner_column {
                    true => Some(keys::decode_key_text(&key[keys::data_prefix_len()..])?.0),
                    false => None,
                };
                decoder.push(bytes, owner.as_deref())?;
                keys_read.append_value(key);
                if decoder.len() == SEGMENT_ROWS && !finish(&mut decoder, &mut keys_read, &mut chunks, self)? {
                    open = false;
                    return Ok(false);
                }
                Ok(true)
            })?;
        if open && (decoder.len() > 0 || chunks.is_empty()) {
            open = finish(&mut decoder, &mut keys_read, &mut chunks, self)?;
        }
        Ok((chunks, open))
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
