//! The demo: open it (made on first use), see what its writer does, pause it or set its
//! pace.

use tauri::{AppHandle, Manager, Runtime, State};

use crate::commands::database::switch_database;
use crate::error::{IpcError, IpcResult};
use crate::ipc::DemoStatus;
use crate::state::AppState;

#[tauri::command]
pub async fn demo_status(state: State<'_, AppState>) -> IpcResult<DemoStatus> {
    Ok(state.demo.status(state.local_engine().ok().as_ref()))
}

/// Opens the demo database, making it first if it does not exist yet; its writer starts.
#[tauri::command]
pub async fn open_demo<R: Runtime>(app: AppHandle<R>) -> IpcResult<DemoStatus> {
    open(&app).await
}

/// What `open_demo` and File → Open Demo Database do.
pub async fn open<R: Runtime>(app: &AppHandle<R>) -> IpcResult<DemoStatus> {
    let state = app.state::<AppState>();
    let dir = state.demo.dir().to_path_buf();
    tidepool_demo::prepare(&dir)?;
    let source = switch_database(app, dir).await?;
    Ok(state.demo.status(source.engine()))
}

/// Pauses or resumes the demo writer and sets its pace (steps a second, clamped to
/// what the writer allows).
#[tauri::command]
pub async fn set_demo_writer(state: State<'_, AppState>, paused: bool, pace: f64) -> IpcResult<DemoStatus> {
    let control = state
        .demo
        .control()
        .ok_or_else(|| IpcError::new("not_demo", "the demo writer runs only while the demo database is open"))?;
    control.set_pace(pace);
    control.set_paused(paused);
    Ok(state.demo.status(state.local_engine().ok().as_ref()))
}
