//! Files: native open/save dialogs, export of a query, pane or table to CSV, JSON or
//! Parquet, and imports of CSV or Parquet that run in the background and report
//! progress as `import` events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tauri::{AppHandle, Emitter, Manager, Runtime, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;
use tidepool_engine::{CsvOptions, FileFormat, ImportOptions, OnError, TableName};

use crate::error::{IpcError, IpcResult};
use crate::ipc::{
    ExportResult, ExportSource, FileFilter, ImportColumn, ImportEvent, ImportFinished, ImportPreview, ImportRequest,
    ImportRowError, IMPORT_EVENT,
};
use crate::source::{acting_as, ImportJob, Outcome};
use crate::state::AppState;

/// Imports running now, by id, with their cancel flags.
#[derive(Default)]
pub struct Imports {
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    next: AtomicU64,
}

impl Imports {
    /// Asks every running import to stop (another database is being opened).
    pub fn cancel_all(&self) {
        for cancel in self.running.lock().unwrap_or_else(|e| e.into_inner()).values() {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// A native file dialog: `save` asks for a new file (starting at `default_path`),
/// otherwise an existing one. `None` when the user cancels.
#[tauri::command]
pub async fn choose_file<R: Runtime>(
    app: AppHandle<R>,
    save: bool,
    title: String,
    default_path: Option<String>,
    filters: Vec<FileFilter>,
) -> IpcResult<Option<String>> {
    let mut dialog = app.dialog().file().set_title(title);
    for filter in &filters {
        let extensions: Vec<&str> = filter.extensions.iter().map(String::as_str).collect();
        dialog = dialog.add_filter(&filter.name, &extensions);
    }
    if let Some(default) = default_path.map(PathBuf::from) {
        if let Some(dir) = default.parent().filter(|d| d.is_dir()) {
            dialog = dialog.set_directory(dir);
        }
        if let Some(name) = default.file_name() {
            dialog = dialog.set_file_name(name.to_string_lossy());
        }
    }
    let picked = tauri::async_runtime::spawn_blocking(move || match save {
        true => dialog.blocking_save_file(),
        false => dialog.blocking_pick_file(),
    })
    .await
    .map_err(|e| IpcError::new("internal", format!("the file dialog failed: {e}")))?;
    Ok(picked.and_then(|p| p.into_path().ok()).map(|p| p.display().to_string()))
}

/// Where exports go unless the user picks another place: the Downloads folder.
#[tauri::command]
pub async fn default_export_dir<R: Runtime>(app: AppHandle<R>) -> IpcResult<String> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| IpcError::new("internal", e.to_string()))?;
    Ok(dir.display().to_string())
}

/// Writes the rows of `source` to `path` as `format` (`csv`, `json`, `parquet`). An
/// existing file is replaced only with `overwrite` (otherwise the error code is
/// `file_exists`, for the window to ask).
#[tauri::command]
pub async fn export_rows(
    state: State<'_, AppState>,
    source: ExportSource,
    format: String,
    path: String,
    overwrite: bool,
) -> IpcResult<ExportResult> {
    let format = FileFormat::parse(&format)?;
    let path = absolute(&path)?;
    if path.exists() && !overwrite {
        return Err(IpcError::new(
            "file_exists",
            format!("{} exists already", path.display()),
        ));
    }
    let (user, sql) = match source {
        ExportSource::Query { sql, user } => (user, sql),
        ExportSource::Pane { pane } => {
            let info = state.pane(&pane)?.info();
            (info.user, info.sql)
        }
        ExportSource::Table { table, user } => {
            let name = TableName::parse(&table)?;
            (user, format!("SELECT * FROM {}", crate::commands::panes::quoted(&name)))
        }
    };
    let rows = state.source()?.export(&acting_as(user), &sql, format, &path).await?;
    Ok(ExportResult {
        path: path.display().to_string(),
        rows,
    })
}

/// The columns (with inferred types) and first rows of a CSV or Parquet file.
#[tauri::command]
pub async fn preview_import(path: String, header: bool, delimiter: String) -> IpcResult<ImportPreview> {
    let path = absolute(&path)?;
    let format = import_format(&path)?;
    let csv = CsvOptions {
        header,
        delimiter: delimiter_byte(&delimiter)?,
    };
    let preview = tauri::async_runtime::spawn_blocking({
        let path = path.clone();
        move || tidepool_engine::preview(&path, format, &csv)
    })
    .await
    .map_err(|e| IpcError::new("internal", e.to_string()))??;
    Ok(ImportPreview {
        format: format_name(format).into(),
        columns: preview
            .columns
            .into_iter()
            .map(|c| ImportColumn {
                name: c.name,
                sql_type: c.sql_type.to_string(),
            })
            .collect(),
        rows: preview.rows,
        bytes: preview.bytes,
    })
}

/// Starts an import on a thread of its own and returns its id; progress and the end
/// come as `import` events to the window that started it.
#[tauri::command]
pub async fn start_import<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    request: ImportRequest,
) -> IpcResult<String> {
    let path = absolute(&request.path)?;
    let format = import_format(&path)?;
    let table = TableName::parse(&request.table)?;
    let on_error = match request.on_error.as_str() {
        "stop" => OnError::Stop,
        "skip" => OnError::Skip,
        other => {
            return Err(IpcError::invalid(format!(
                "on_error must be 'stop' or 'skip', not '{other}'"
            )))
        }
    };
    let options = ImportOptions {
        csv: CsvOptions {
            header: request.header,
            delimiter: delimiter_byte(&request.delimiter)?,
        },
        mapping: request.mapping,
        on_error,
        empty_as_null: request.empty_as_null,
    };
    let created_table = request.created_table;
    let source = state.source()?;
    let actor = acting_as(request.user);
    let imports = &state.imports;
    let id = format!("import-{}", imports.next.fetch_add(1, Ordering::Relaxed) + 1);
    let cancel = Arc::new(AtomicBool::new(false));
    imports
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), cancel.clone());
    let (label, import) = (window.label().to_string(), id.clone());
    std::thread::Builder::new()
        .name("tidepool-import".into())
        .spawn(move || {
            let started = Instant::now();
            let event = |p: &tidepool_engine::ImportProgress| ImportEvent {
                import: import.clone(),
                rows: p.rows,
                skipped: p.skipped,
                bytes: p.bytes,
                total_bytes: p.total_bytes,
                rows_per_second: p.rows as f64 / started.elapsed().as_secs_f64().max(1e-3),
                finished: None,
                error: None,
                dropped_table: false,
            };
            let mut last = ImportEvent {
                total_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                ..event(&Default::default())
            };
            let job = ImportJob {
                path: &path,
                format,
                table: &table,
                options: &options,
                progress: &mut |p| {
                    last = event(p);
                    let _ = app.emit_to(&label, IMPORT_EVENT, &last);
                },
                cancel: &cancel,
            };
            let result = tauri::async_runtime::block_on(source.import(&actor, job));
            // A table made for this import goes again when it is still empty: in the
            // database it was made in, whatever database the window has open now.
            let dropped = created_table
                && tauri::async_runtime::block_on(async {
                    let name = crate::commands::panes::quoted(&table);
                    let count = source.execute(&actor, &format!("SELECT count(*) FROM {name}")).await;
                    let empty = match count.ok().and_then(|mut r| r.pop()) {
                        Some(Outcome::Rows { rows, .. }) => rows == vec![vec![serde_json::json!(0)]],
                        _ => false,
                    };
                    empty && source.execute(&actor, &format!("DROP TABLE {name}")).await.is_ok()
                });
            last.dropped_table = dropped;
            match result {
                Ok(report) => {
                    last.finished = Some(ImportFinished {
                        imported: report.imported,
                        skipped: report.skipped,
                        errors: report
                            .errors
                            .into_iter()
                            .map(|e| ImportRowError {
                                line: e.line,
                                message: e.message,
                            })
                            .collect(),
                        cancelled: report.cancelled,
                        seq: report.seq,
                    })
                }
                Err(e) => last.error = Some(e),
            }
            let _ = app.emit_to(&label, IMPORT_EVENT, &last);
            app.state::<AppState>()
                .imports
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&import);
        })
        .map_err(|e| IpcError::new("internal", format!("cannot start the import: {e}")))?;
    Ok(id)
}

/// Asks a running import to stop; it ends with a `finished` event saying so.
#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>, import: String) -> IpcResult<()> {
    let running = state.imports.running.lock().unwrap_or_else(|e| e.into_inner());
    let cancel = running
        .get(&import)
        .ok_or_else(|| IpcError::invalid(format!("no import '{import}' is running")))?;
    cancel.store(true, Ordering::Relaxed);
    Ok(())
}

fn absolute(path: &str) -> IpcResult<PathBuf> {
    let path = Path::new(path.trim());
    if path.as_os_str().is_empty() {
        return Err(IpcError::invalid("no file given"));
    }
    if !path.is_absolute() {
        return Err(IpcError::invalid(format!(
            "'{}' is not an absolute path",
            path.display()
        )));
    }
    Ok(path.to_path_buf())
}

fn import_format(path: &Path) -> IpcResult<FileFormat> {
    match FileFormat::from_path(path) {
        Some(format @ (FileFormat::Csv | FileFormat::Parquet)) => Ok(format),
        _ => Err(IpcError::invalid(format!(
            "{} is not a .csv, .tsv, .txt or .parquet file",
            path.display()
        ))),
    }
}

fn format_name(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv => "csv",
        FileFormat::Json => "json",
        FileFormat::Parquet => "parquet",
    }
}

fn delimiter_byte(delimiter: &str) -> IpcResult<u8> {
    match delimiter {
        "\\t" | "\t" => Ok(b'\t'),
        d if d.len() == 1 && d.is_ascii() => Ok(d.as_bytes()[0]),
        d => Err(IpcError::invalid(format!(
            "the delimiter must be one character, not '{d}'"
        ))),
    }
}
