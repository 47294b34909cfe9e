use serde_json::Value as Json;
use tauri::{AppHandle, Runtime, State, WebviewWindow};
use tidepool_engine::{SqlType, TableName, Value};

use crate::error::{IpcError, IpcResult};
use crate::ipc::{js_safe_row, PaneInfo, RowWindow};
use crate::pane::Pane;
use crate::source::acting_as;
use crate::state::AppState;

/// Rows one `pane_rows` call returns at most.
const WINDOW_LIMIT: u64 = 5_000;

/// Opens a live pane on `table` (`ns.table`), optionally filtered by a WHERE clause,
/// acting as `user` (admin when absent).
#[tauri::command]
pub async fn open_pane<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    table: String,
    filter: Option<String>,
    user: Option<String>,
) -> IpcResult<PaneInfo> {
    let name = TableName::parse(&table)?;
    let mut sql = format!("SELECT * FROM {}", quoted(&name));
    // The engine takes exactly one SELECT here: a filter that smuggles in another
    // statement is refused there. (A filter with a subquery is a filter like any other;
    // its pane is kept by re-evaluation and not edited in place.)
    if let Some(filter) = filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        sql.push_str(" WHERE ");
        sql.push_str(filter);
    }
    open_live(&app, &window, &state, user, sql).await
}

/// Opens a live pane on any query (a console result made live), acting as `user`: the
/// same pane `SUBSCRIBE TO <sql>` opens in the console.
#[tauri::command]
pub async fn open_query_pane<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    sql: String,
    user: Option<String>,
) -> IpcResult<PaneInfo> {
    open_live(&app, &window, &state, user, sql).await
}

/// Subscribes to `sql` as `user` and opens a pane on it in `window`.
async fn open_live<R: Runtime>(
    app: &AppHandle<R>,
    window: &WebviewWindow<R>,
    state: &AppState,
    user: Option<String>,
    sql: String,
) -> IpcResult<PaneInfo> {
    let source = state.source()?;
    let actor = acting_as(user);
    let feed = source.subscribe(&actor, &sql, None).await?;
    let pane = Pane::open(
        app,
        state.new_pane_id(),
        window.label().to_string(),
        source,
        actor,
        sql,
        feed,
    )
    .await?;
    state.add_pane(pane.clone());
    Ok(pane.info())
}

pub(crate) fn quoted(name: &TableName) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!("{}.{}", quote(&name.namespace), quote(&name.table))
}

/// Up to `count` rows of a pane from position `start`; with `anchor` (a key), also where
/// that row is now, so the grid can keep it in place when rows arrive above it.
#[tauri::command]
pub async fn pane_rows(
    state: State<'_, AppState>,
    pane: String,
    start: u64,
    count: u64,
    anchor: Option<Vec<Json>>,
) -> IpcResult<RowWindow> {
    let pane = state.pane(&pane)?;
    let pane_state = pane.state();
    let anchor_index = anchor.and_then(|key| {
        let key = engine_key(&pane_state.key_types, key)?;
        pane_state.rows.position(&key).map(|p| p as u64)
    });
    let mut keys = Vec::new();
    let mut rows = Vec::new();
    for (key, row) in pane_state.rows.window(start as usize, count.min(WINDOW_LIMIT) as usize) {
        keys.push(js_safe_row(key));
        rows.push(js_safe_row(row));
    }
    Ok(RowWindow {
        generation: pane_state.info.generation,
        seq: pane_state.seq,
        total: pane_state.rows.len() as u64,
        start,
        keys,
        rows,
        anchor_index,
        loading: pane_state.loading,
    })
}

/// A key as the UI sends it (big integers may be strings) in the engine's form.
fn engine_key(types: &[Option<SqlType>], key: Vec<Json>) -> Option<Vec<Json>> {
    if key.len() != types.len() {
        return None;
    }
    key.into_iter()
        .zip(types)
        .map(|(value, ty)| match ty {
            Some(ty) => Value::from_json(&value, *ty, "key").ok().map(|v| v.to_json(*ty)),
            None => Some(value),
        })
        .collect()
}

#[tauri::command]
pub async fn set_pane_paused(state: State<'_, AppState>, pane: String, paused: bool) -> IpcResult<()> {
    state.pane(&pane)?.set_paused(paused);
    Ok(())
}

#[tauri::command]
pub async fn resubscribe_pane<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    pane: String,
) -> IpcResult<PaneInfo> {
    state.pane(&pane)?.resubscribe(&app).await
}

#[tauri::command]
pub async fn close_pane(state: State<'_, AppState>, pane: String) -> IpcResult<()> {
    let pane = state.remove_pane(&pane).ok_or_else(|| IpcError::no_pane(&pane))?;
    pane.close();
    Ok(())
}
