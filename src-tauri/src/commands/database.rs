use std::path::PathBuf;

use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::catalog::{info_of, view};
use crate::error::{IpcError, IpcResult};
use crate::ipc::{DatabaseInfo, CATALOG_EVENT, LOCAL_API_EVENT};
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
    // The Local API holds the database too: it stops first and serves the new one after.
    let local_api = &app.state::<AppState>().local_api;
    local_api.suspend().await;
    let handle = app.clone();
    let opened = tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().open(&PathBuf::from(path)))
        .await
        .map_err(|e| IpcError::new("internal", format!("opening the database failed: {e}")))?;
    let engine = match opened {
        Ok(engine) => engine,
        Err(e) => {
            if let Ok(previous) = app.state::<AppState>().engine() {
                local_api.resume(previous).await;
            }
            return Err(e);
        }
    };
    local_api.resume(engine.clone()).await;
    let _ = app.emit(LOCAL_API_EVENT, local_api.status().await);
    let _ = app.emit(CATALOG_EVENT, view(&engine));
    Ok(info_of(&engine))
}
