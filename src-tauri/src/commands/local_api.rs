//! The Local API setting: status, on/off with a port, and a new token.

use tauri::State;

use crate::error::IpcResult;
use crate::ipc::LocalApiStatus;
use crate::state::AppState;

#[tauri::command]
pub async fn local_api_status(state: State<'_, AppState>) -> IpcResult<LocalApiStatus> {
    Ok(state.local_api.status().await)
}

/// Turns the Local API on or off; `port` 0 picks a free port.
#[tauri::command]
pub async fn set_local_api(state: State<'_, AppState>, enabled: bool, port: u16) -> IpcResult<LocalApiStatus> {
    let engine = state.local_engine().ok();
    state.local_api.set(engine, enabled, port).await
}

/// Replaces the app's token; the old one stops working at once.
#[tauri::command]
pub async fn new_local_api_token(state: State<'_, AppState>) -> IpcResult<LocalApiStatus> {
    state.local_api.new_token(&state.local_engine()?).await
}
