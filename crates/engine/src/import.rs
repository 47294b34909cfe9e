//! Importing CSV and Parquet files into a table.
//!
//! `preview` reads the start of a file: its columns with the narrowest type every
//! sampled value fits, and the first rows, for the user to check and map. `import`
//! then reads it row by row (the `csv` crate keeps each record's line; Parquet rows are
//! numbered), converts each mapped value to its column's type with the same rules as
//! the typed API, and inserts it. What a bad row does is the caller's choice:
//!
//! - `OnError::Stop`: everything is one transaction; the first bad row (or a cancel)
//!   ends the import with nothing written, and the error names its line. The
//!   transaction lives in memory and holds the writer lock, so files over 256 MB must
//!   be imported with `Skip`.
//! - `OnError::Skip`: rows are committed in chunks as they come, so they appear in open
//!   panes while the import runs; bad rows are skipped and reported with their lines.
//!   A cancel keeps what was committed.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::record_batch::{RecordBatch, RecordBatchReader};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::catalog::{TableDef, TableName};
use crate::error::{Error, Result};
use crate::export::FileFormat;
use crate::session::Session;
use crate::sql::provider::View;
use crate::typed::{coerce, new_row, writable, Row};
use crate::types::{SqlType, Value};
use crate::write::Txn;

/// Rows sampled to infer column types, and rows a preview shows.
const SAMPLE_ROWS: usize = 1000;
const PREVIEW_ROWS: usize = 50;
/// Rows per commit when bad rows are skipped.
const CHUNK_ROWS: usize = 5000;
/// Bad rows reported in detail (all are counted).
const REPORTED_ERRORS: usize = 100;
/// The largest file imported in one transaction (`OnError::Stop`).
const MAX_ATOMIC_BYTES: u64 = 256 << 20;
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The first record names the columns.
    pub header: bool,
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: b',',
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewColumn {
    pub name: String,
    /// The narrowest type every sampled value fits (TEXT when nothing narrower does).
    pub sql_type: SqlType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilePreview {
    pub columns: Vec<PreviewColumn>,
    /// The first rows as text (`None` for an empty field or NULL).
    pub rows: Vec<Vec<Option<String>>>,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Stop,
    Skip,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub csv: CsvOptions,
    /// For each column of the file, the table column it goes to (`None`: not imported).
    /// Table columns no file column maps to take their defaults.
    pub mapping: Vec<Option<String>>,
    pub on_error: OnError,
    /// An empty CSV field is NULL (otherwise an empty text).
    pub empty_as_null: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportProgress {
    /// Rows read so far (imported or skipped).
    pub rows: u64,
    pub skipped: u64,
    pub bytes: u64,
    pub total_bytes: u64,
}

/// A row that could not be imported: its line in the CSV file (the header is line 1)
/// or its row number in a Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportReport {
    pub imported: u64,
    pub skipped: u64,
    /// The first bad rows (at most 100), in file order.
    pub errors: Vec<RowError>,
    pub cancelled: bool,
    /// The last commit's sequence number (the database's when nothing was written).
    pub seq: u64,
}

/// The columns, inferred types and first rows of a file.
pub fn preview(path: &Path, format: FileFormat, csv: &CsvOptions) -> Result<FilePreview> {
    let bytes = std::fs::metadata(path).map_err(|e| cannot_read(path, e))?.len();
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let names = match format {
        FileFormat::Csv => {
            let mut reader = csv_reader(path, csv)?;
            let mut names: Vec<String> = if csv.header {
                reader
                    .headers()
                    .map_err(|e| csv_error(&e))?
                    .iter()
                    .map(str::to_string)
                    .collect()
            } else {
                Vec::new()
            };
            for record in reader.records().take(SAMPLE_ROWS) {
                let record = record.map_err(|e| csv_error(&e))?;
                rows.push(record.iter().map(|f| (!f.is_empty()).then(|| f.to_string())).collect());
            }
            let width = rows.iter().map(Vec::len).chain([names.len()]).max().unwrap_or(0);
            for i in names.len()..width {
                names.push(format!("column_{}", i + 1));
            }
            names
        }
        FileFormat::Parquet => {
            let (reader, _) = parquet_reader(path)?;
            let names = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
            for batch in reader {
                let batch =
                    batch.map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", path.display())))?;
                for row in 0..batch.num_rows() {
                    rows.push(batch.columns().iter().map(|c| text_at(c, row)).collect());
                }
                if rows.len() >= SAMPLE_ROWS {
                    break;
                }
            }
            names
        }
        FileFormat::Json => return Err(Error::Unsupported("importing JSON; import CSV or Parquet".into())),
    };
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| PreviewColumn {
            name,
            sql_type: infer(rows.iter().filter_map(|r| r.get(i).and_then(Option::as_deref))),
        })
        .collect();
    rows.truncate(PREVIEW_ROWS);
    Ok(FilePreview { columns, rows, bytes })
}

/// The narrowest of BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP every value converts to,
/// else TEXT.
fn infer<'a>(values: impl Iterator<Item = &'a str> + Clone) -> SqlType {
    let candidates = [
        SqlType::BigInt,
        SqlType::Double,
        SqlType::Boolean,
        SqlType::Date,
        SqlType::Timestamp,
    ];
    if values.clone().next().is_none() {
        return SqlType::Text;
    }
    candidates
        .into_iter()
        .find(|&ty| {
            values.clone().all(|v| {
                // Text with a time of day is a timestamp, though DATE would accept it.
                let has_time = v.contains(':');
                !(ty == SqlType::Date && has_time) && coerce(Value::Text(v.trim().to_string()), ty, "").is_ok()
            })
        })
        .unwrap_or(SqlType::Text)
}

impl Session {
    /// Imports a CSV or Parquet file into an existing table; see the module comment for
    /// what bad rows and `cancel` do. `progress` is called every 100 ms or so.
    pub fn import(
        &self,
        path: &Path,
        format: FileFormat,
        table: &TableName,
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let total_bytes = std::fs::metadata(path).map_err(|e| cannot_read(path, e))?.len();
        if options.on_error == OnError::Stop && total_bytes > MAX_ATOMIC_BYTES {
            return Err(Error::InvalidArgument(format!(
                "{} is {} MB, too large to import all-or-nothing (one transaction holds it all in memory, up to {} MB); import it skipping bad rows",
                path.display(),
                total_bytes >> 20,
                MAX_ATOMIC_BYTES >> 20
            )));
        }
        let mut importer = Importer {
            session: self,
            table,
            options,
            txn: None,
            pending: 0,
            report: ImportReport::default(),
            progress: ImportProgress {
                total_bytes,
                ..ImportProgress::default()
            },
            last_progress: Instant::now(),
        };
        importer.check_mapping()?;
        let mut on_progress = |p: &ImportProgress| progress(p);
        match format {
            FileFormat::Csv => {
                let mut reader = csv_reader(path, &options.csv)?;
                let mut record = csv::StringRecord::new();
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return importer.cancelled();
                    }
                    let (line, values) = match reader.read_record(&mut record) {
                        Ok(false) => break,
                        // An error without a place in the file (I/O) would repeat forever.
                        Err(e) if e.position().is_none() => return Err(cannot_read(path, std::io::Error::other(e))),
                        Err(e) => {
                            let line = e.position().map_or(reader.position().line(), |p| p.line());
                            (line, Err(e.to_string()))
                        }
                        Ok(true) => {
                            let line = record.position().map_or(0, |p| p.line());
                            (line, record_values(&record, &options.mapping, options.empty_as_null))
                        }
                    };
                    importer.progress.bytes = reader.position().byte();
                    importer.row(line, values, &mut on_progress)?;
                }
            }
            FileFormat::Parquet => {
                let (reader, total_rows) = parquet_reader(path)?;
                let targets = importer.target_types()?;
                let mut number = 0u64;
                for batch in reader {
                    let batch =
                        batch.map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", path.display())))?;
                    for row in 0..batch.num_rows() {
                        if cancel.load(Ordering::Relaxed) {
                            return importer.cancelled();
                        }
                        number += 1;
                        let values = parquet_row(&batch, row, &targets);
                        // Parquet is read by row group: progress is rows of the total.
                        importer.progress.bytes = total_bytes * number / total_rows.max(1);
                        importer.row(number, values, &mut on_progress)?;
                    }
                }
                importer.progress.bytes = total_bytes;
            }
            FileFormat::Json => return Err(Error::Unsupported("importing JSON; import CSV or Parquet".into())),
        }
        importer.commit()?;
        on_progress(&importer.progress);
        if importer.report.seq == 0 {
            importer.report.seq = self.engine().last_seq();
        }
        Ok(importer.report)
    }
}

struct Importer<'a> {
    session: &'a Session,
    table: &'a TableName,
    options: &'a ImportOptions,
    /// The open transaction and the table as resolved under its lock.
    txn: Option<(Txn<'a>, std::sync::Arc<TableDef>)>,
    /// Rows in the open transaction.
    pending: usize,
    report: ImportReport,
    progress: ImportProgress,
    last_progress: Instant,
}

impl<'a> Importer<'a> {
    fn check_mapping(&self) -> Result<()> {
        // Not a table this session may write: say so once, not once per row.
        let def = writable(self.session, self.table)?;
        let view = View::of(&def, self.session.actor());
        for target in self.options.mapping.iter().flatten() {
            let is_owner = target == crate::catalog::USER_COLUMN && view.owner_column;
            if !is_owner {
                def.column(target)?;
            }
        }
        if self.options.mapping.iter().all(Option::is_none) {
            return Err(Error::InvalidArgument(
                "no file column is mapped to a table column".into(),
            ));
        }
        Ok(())
    }

    /// The type each mapped Parquet column converts to.
    fn target_types(&self) -> Result<Vec<Option<SqlType>>> {
        let def = self.session.engine().table(self.table)?;
        self.options
            .mapping
            .iter()
            .map(|target| match target {
                Some(name) if name == crate::catalog::USER_COLUMN => Ok(Some(SqlType::Text)),
                Some(name) => def.column(name).map(|(_, c)| Some(c.ty)),
                None => Ok(None),
            })
            .collect()
    }

    /// One row of the file: `values` per file column, or why the row is unreadable.
    fn row(
        &mut self,
        line: u64,
        values: Result<Vec<Value>, String>,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<()> {
        self.progress.rows += 1;
        let inserted = values.and_then(|values| self.insert(values).map_err(|e| e.to_string()));
        if let Err(message) = inserted {
            if self.options.on_error == OnError::Stop {
                self.txn = None; // Dropping the transaction writes nothing.
                return Err(Error::BadRow {
                    line,
                    message: format!("{message}; nothing was imported"),
                });
            }
            self.report.skipped += 1;
            self.progress.skipped += 1;
            if self.report.errors.len() < REPORTED_ERRORS {
                self.report.errors.push(RowError { line, message });
            }
        }
        if self.options.on_error == OnError::Skip && self.pending >= CHUNK_ROWS {
            self.commit()?;
        }
        if self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
            progress(&self.progress);
        }
        Ok(())
    }

    fn insert(&mut self, values: Vec<Value>) -> Result<()> {
        if self.txn.is_none() {
            let txn = Txn::begin(&self.session.engine().inner);
            let def = writable(self.session, self.table)?;
            self.txn = Some((txn, def));
        }
        let (txn, def) = self.txn.as_mut().expect("opened above");
        let view = View::of(def, self.session.actor());
        let row: Row = self
            .options
            .mapping
            .iter()
            .zip(values)
            .filter_map(|(target, value)| Some((target.clone()?, value)))
            .collect::<BTreeMap<_, _>>();
        let (owner, values) = new_row(def, &view, txn.now_micros, row)?;
        txn.insert(def, owner.as_deref(), values)?;
        self.pending += 1;
        self.report.imported += 1;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        if let Some((mut txn, def)) = self.txn.take() {
            txn.enforce_max_rows(&def)?;
            self.report.seq = txn.commit()?;
        }
        self.pending = 0;
        Ok(())
    }

    /// Stopped by the user: with `Stop` nothing stays; with `Skip` the committed
    /// chunks do, and the rows of the open one are dropped.
    fn cancelled(mut self) -> Result<ImportReport> {
        self.report.imported -= self.pending as u64;
        self.txn = None;
        if self.options.on_error == OnError::Stop {
            self.report.imported = 0;
        }
        self.report.cancelled = true;
        if self.report.seq == 0 {
            self.report.seq = self.session.engine().last_seq();
        }
        Ok(self.report)
    }
}

/// A CSV record's values, one per mapped file column. A record may be shorter than the
/// file's widest (a missing field that is not imported is NULL) or longer (extra fields
/// that are empty, like a trailing comma, are ignored).
fn record_values(
    record: &csv::StringRecord,
    mapping: &[Option<String>],
    empty_as_null: bool,
) -> Result<Vec<Value>, String> {
    let missing = (record.len()..mapping.len()).find(|&i| mapping[i].is_some());
    let extra = record.iter().skip(mapping.len()).any(|f| !f.is_empty());
    if missing.is_some() || extra {
        return Err(format!("expected {} fields, found {}", mapping.len(), record.len()));
    }
    Ok((0..mapping.len())
        .map(|i| match record.get(i) {
            None => Value::Null,
            Some("") if empty_as_null => Value::Null,
            Some(field) => Value::Text(field.to_string()),
        })
        .collect())
}

/// A Parquet row's values, each converted to its target column's type (a column that
/// is not imported is NULL here and dropped by the mapping).
fn parquet_row(batch: &RecordBatch, row: usize, targets: &[Option<SqlType>]) -> Result<Vec<Value>, String> {
    let mut values = Vec::with_capacity(targets.len());
    for (column, target) in batch.columns().iter().zip(targets) {
        let value = match target {
            None => Value::Null,
            Some(ty) => {
                let name = batch.schema().field(values.len()).name().clone();
                crate::convert::value_at(column, row, *ty, &name).map_err(|e| e.to_string())?
            }
        };
        values.push(value);
    }
    Ok(values)
}

fn csv_reader(path: &Path, options: &CsvOptions) -> Result<csv::Reader<File>> {
    csv::ReaderBuilder::new()
        .has_headers(options.header)
        .delimiter(options.delimiter)
        .flexible(true)
        .from_path(path)
        .map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", path.display())))
}

/// A Parquet file's rows in batches, and how many rows it has.
fn parquet_reader(path: &Path) -> Result<(datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReader, u64)> {
    let file = File::open(path).map_err(|e| cannot_read(path, e))?;
    let not_parquet = |e: datafusion::parquet::errors::ParquetError| {
        Error::InvalidArgument(format!("{} is not a readable Parquet file: {e}", path.display()))
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
    let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    Ok((builder.with_batch_size(1024).build().map_err(not_parquet)?, rows))
}

/// A cell as text for a preview.
fn text_at(array: &datafusion::arrow::array::ArrayRef, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    datafusion::arrow::util::display::array_value_to_string(array, row).ok()
}

fn csv_error(e: &csv::Error) -> Error {
    match e.position() {
        Some(p) => Error::BadRow {
            line: p.line(),
            message: e.to_string(),
        },
        None => Error::InvalidArgument(e.to_string()),
    }
}

fn cannot_read(path: &Path, e: std::io::Error) -> Error {
    Error::InvalidArgument(format!("cannot read {}: {e}", path.display()))
}
