use tauri::State;

use crate::error::IpcResult;
use crate::ipc::CatalogView;
use crate::state::AppState;

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> IpcResult<CatalogView> {
    state.source()?.catalog().await
}
