//! The watcher that keeps the catalog tree current: after any commit (DDL, or writes
//! that change row counts) every window gets a fresh `catalog` event. The watcher looks
//! at the open database's last commit a few times a second, so bursts of writes cost
//! one event per look, never one per commit.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::ipc::CATALOG_EVENT;
use crate::state::AppState;

const LOOK_EVERY: Duration = Duration::from_millis(150);

/// Emits the catalog to every window whenever the open database or its last commit
/// changes.
pub fn spawn_watcher<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut seen: Option<(String, u64)> = None;
        loop {
            tokio::time::sleep(LOOK_EVERY).await;
            let Ok(source) = app.state::<AppState>().source() else {
                continue;
            };
            let Ok(info) = source.info().await else {
                continue;
            };
            let now = (info.path, info.last_seq);
            if seen.as_ref() != Some(&now) {
                if let Ok(view) = source.catalog().await {
                    seen = Some(now);
                    let _ = app.emit(CATALOG_EVENT, view);
                }
            }
        }
    });
}
