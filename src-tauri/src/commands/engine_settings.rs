//! The engine settings: read them, and save new ones for the databases opened next.

use tauri::State;

use crate::error::IpcResult;
use crate::ipc::{EngineSettings, EngineSettingsStatus};
use crate::state::AppState;

#[tauri::command]
pub fn engine_settings(state: State<'_, AppState>) -> IpcResult<EngineSettingsStatus> {
    Ok(state.engine_settings.status())
}

/// Saves `settings`; they apply when a database is opened (the open one keeps its own).
#[tauri::command]
pub fn set_engine_settings(state: State<'_, AppState>, settings: EngineSettings) -> IpcResult<EngineSettingsStatus> {
    state.engine_settings.set(settings)
}
