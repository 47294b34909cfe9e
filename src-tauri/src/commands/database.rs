use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::error::{IpcError, IpcResult};
use crate::ipc::{DatabaseInfo, RecentDatabase, CATALOG_EVENT, LOCAL_API_EVENT};
use crate::source::DataSource;
use crate::state::AppState;

#[tauri::command]
pub async fn database_info(state: State<'_, AppState>) -> IpcResult<DatabaseInfo> {
    state.source()?.info().await
}

/// Opens the database at `path`, creating it when it does not exist; open panes close.
#[tauri::command]
pub async fn open_database<R: Runtime>(app: AppHandle<R>, path: String) -> IpcResult<DatabaseInfo> {
    if path.trim().is_empty() {
        return Err(IpcError::invalid("no database folder given"));
    }
    switch_database(&app, PathBuf::from(path)).await?.info().await
}

/// What File → Open, the start page and `open_database` do: close the current database
/// (its panes, the demo writer, the Local API's hold on it), open the other (starting
/// the demo writer if it is the demo), and tell the window.
pub async fn switch_database<R: Runtime>(app: &AppHandle<R>, path: PathBuf) -> IpcResult<Arc<dyn DataSource>> {
    let state = app.state::<AppState>();
    // Already open: reopening would only close its panes.
    if let Ok(source) = state.source() {
        if source.engine().is_some_and(|engine| same_folder(engine.path(), &path)) {
            return Ok(source);
        }
    }
    // Imports and console runs in the old database end (a stopping one writes nothing).
    state.imports.cancel_all();
    state.console_runs.cancel_all();
    // The Local API holds the database too: it stops first and serves the new one after.
    let local_api = &state.local_api;
    local_api.suspend().await;
    // Opening waits for the panes' bridge tasks to stop: off the async workers, which
    // those tasks need to run.
    let handle = app.clone();
    let opened = tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().open(&path))
        .await
        .map_err(|e| IpcError::new("internal", format!("opening the database failed: {e}")))?;
    let source = match opened {
        Ok(source) => source,
        Err(e) => {
            if let Ok(previous) = app.state::<AppState>().local_engine() {
                local_api.resume(previous).await;
            }
            return Err(e);
        }
    };
    if let Some(engine) = source.engine() {
        // The demo's shop is in place before the window hears of the database.
        app.state::<AppState>().demo.start(engine).await;
        local_api.resume(engine.clone()).await;
    }
    let _ = app.emit(LOCAL_API_EVENT, local_api.status().await);
    if let Ok(catalog) = source.catalog().await {
        let _ = app.emit(CATALOG_EVENT, catalog);
    }
    crate::menu::refresh(app);
    Ok(source)
}

/// What Connect to Server does once the server answered: close the current database
/// (its panes, console runs, imports, the demo writer; the Local API lets go of a local
/// folder and stays stopped, as it serves only those) and make `source` the open one.
pub async fn switch_source<R: Runtime>(
    app: &AppHandle<R>,
    source: Arc<dyn DataSource>,
) -> IpcResult<Arc<dyn DataSource>> {
    let state = app.state::<AppState>();
    state.imports.cancel_all();
    state.console_runs.cancel_all();
    let local_api = &state.local_api;
    local_api.suspend().await;
    let handle = app.clone();
    let installed = source.clone();
    tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().open_source(installed))
        .await
        .map_err(|e| IpcError::new("internal", format!("switching the database failed: {e}")))?;
    let _ = app.emit(LOCAL_API_EVENT, local_api.status().await);
    if let Ok(catalog) = source.catalog().await {
        let _ = app.emit(CATALOG_EVENT, catalog);
    }
    crate::menu::refresh(app);
    Ok(source)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Databases opened before, most recent first.
#[tauri::command]
pub async fn recent_databases(state: State<'_, AppState>) -> IpcResult<Vec<RecentDatabase>> {
    Ok(state.memory.recent())
}

#[tauri::command]
pub async fn forget_recent_database<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: String,
) -> IpcResult<Vec<RecentDatabase>> {
    state.memory.forget(&path);
    crate::menu::refresh(&app);
    Ok(state.memory.recent())
}

/// The open database's saved workspace (tabs, splits), as the UI saved it.
#[tauri::command]
pub async fn load_workspace(state: State<'_, AppState>) -> IpcResult<Option<Json>> {
    Ok(state.memory.workspace(Path::new(state.source()?.location())))
}

/// Saves the workspace of `database`, restored when it is opened next. A save for a
/// database that is no longer open (the window had not caught up with a switch) is
/// refused, so it never lands on another database.
#[tauri::command]
pub async fn save_workspace(state: State<'_, AppState>, database: String, workspace: Json) -> IpcResult<()> {
    if !workspace.is_object() {
        return Err(IpcError::invalid("a workspace is a JSON object"));
    }
    let source = state.source()?;
    let open = Path::new(source.location());
    if open != Path::new(&database) {
        return Err(IpcError::invalid(format!("{database} is not the open database")));
    }
    state.memory.save_workspace(open, workspace);
    Ok(())
}
