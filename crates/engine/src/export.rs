//! Exporting a query's rows to a file as CSV, JSON or Parquet, with Arrow's own
//! writers, streaming: the rows never all sit in memory. The file appears only when
//! complete (written beside it, then renamed), so a failed export leaves nothing half
//! written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use futures::StreamExt;

use crate::error::{Error, Result};
use crate::session::Session;

/// A file format for export and import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    /// One JSON array of objects, one object per row.
    Json,
    Parquet,
}

impl FileFormat {
    /// The format a file name's extension names (`.csv`, `.json`, `.parquet`).
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "parquet" | "pq" => Some(FileFormat::Parquet),
            _ => None,
        }
    }

    pub fn parse(name: &str) -> Result<FileFormat> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Ok(FileFormat::Csv),
            "json" => Ok(FileFormat::Json),
            "parquet" => Ok(FileFormat::Parquet),
            other => Err(Error::InvalidArgument(format!(
                "unknown file format '{other}'; use csv, json or parquet"
            ))),
        }
    }
}

/// One of the three writers, fed batch by batch.
enum Writer {
    Csv(datafusion::arrow::csv::Writer<BufWriter<File>>),
    Json(datafusion::arrow::json::Writer<BufWriter<File>, datafusion::arrow::json::writer::JsonArray>),
    Parquet(ArrowWriter<File>),
}

impl Writer {
    fn create(format: FileFormat, file: File, schema: SchemaRef) -> Result<Writer> {
        Ok(match format {
            FileFormat::Csv => Writer::Csv(CsvWriterBuilder::new().with_header(true).build(BufWriter::new(file))),
            // Explicit nulls: every object has every column, as a table has.
            FileFormat::Json => Writer::Json(
                datafusion::arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, datafusion::arrow::json::writer::JsonArray>(BufWriter::new(file)),
            ),
            FileFormat::Parquet => Writer::Parquet(ArrowWriter::try_new(file, schema, None).map_err(io_error)?),
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match self {
            Writer::Csv(w) => w.write(batch).map_err(io_error),
            Writer::Json(w) => w.write(batch).map_err(io_error),
            Writer::Parquet(w) => w.write(batch).map_err(io_error),
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Writer::Csv(w) => w.into_inner().flush().map_err(io_error),
            Writer::Json(mut w) => {
                w.finish().map_err(io_error)?;
                w.into_inner().flush().map_err(io_error)
            }
            Writer::Parquet(w) => w.close().map(|_| ()).map_err(io_error),
        }
    }
}

impl Session {
    /// Runs one query (`SELECT ...`) and writes its rows to `path`; returns how many.
    /// An existing file at `path` is replaced.
    pub async fn export(&self, sql: &str, format: FileFormat, path: &Path) -> Result<u64> {
        // The database's own folder is RocksDB's: a file there could break it.
        let folder = self.engine().path();
        let inside = |p: &Path| {
            p.canonicalize()
                .is_ok_and(|p| p.starts_with(folder.canonicalize().unwrap_or(folder.to_path_buf())))
        };
        if path.parent().is_some_and(inside) {
            return Err(Error::InvalidArgument(format!(
                "{} is inside the database folder; export somewhere else",
                path.display()
            )));
        }
        let (schema, mut stream) = self.query_stream(sql).await?;
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|e| cannot_write(&partial, e))?;
        let result = async {
            let mut writer = Writer::create(format, file, schema.clone())?;
            let mut rows = 0u64;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| Error::Query(e.to_string()))?;
                rows += batch.num_rows() as u64;
                writer.write(&batch)?;
            }
            if rows == 0 {
                // The CSV header, and the Parquet schema, even without rows.
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            writer.finish()?;
            std::fs::rename(&partial, path).map_err(|e| cannot_write(path, e))?;
            Ok(rows)
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }
}

/// `dir/.name.partial`: beside the target, so the rename stays on one file system.
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

fn cannot_write(path: &Path, e: std::io::Error) -> Error {
    Error::InvalidArgument(format!("cannot write {}: {e}", path.display()))
}

fn io_error(e: impl std::fmt::Display) -> Error {
    Error::Storage(format!("export failed: {e}"))
}
