use std::path::PathBuf;

use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::catalog::{info_of, view};
use crate::error::{IpcError, IpcResult};
use crate::ipc::{DatabaseInfo, CATALOG_EVENT};
use crate::state::AppState;

#[tauri::command]
pub async fn database_info(state: State<'_, AppState>) -> IpcResult<DatabaseInfo> {
    Ok(info_of(&state.engine()?))
}

/// Opens the database at `path`, creating it when it does not exist; open panes close.
#[tauri::command]
pub async fn open_database<R: Runtime>(app: AppHandle<R>, path: String) -> IpcResult<DatabaseInfo> {
    if path.trim().is_empty() {
        return Err(IpcError::invalid("no database folder given"));
    }
    // Opening waits for the panes' bridge tasks to stop: off the async workers, which
    // those tasks need to run.
    let handle = app.clone();
    let engine = tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().open(&PathBuf::from(path)))
        .await
        .map_err(|e| IpcError::new("internal", format!("opening the database failed: {e}")))??;
    let _ = app.emit(CATALOG_EVENT, view(&engine));
    Ok(info_of(&engine))
}
