//! The catalog tree's data, and the watcher that keeps it current: after any commit
//! (DDL, or writes that change row counts) every window gets a fresh `catalog` event.
//! The watcher looks at the commit sequence number a few times a second, so bursts of
//! writes cost one event per look, never one per commit.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tidepool_engine::{Engine, TableKind as EngineKind};

use crate::ipc::{CatalogColumn, CatalogNamespace, CatalogTable, CatalogView, DatabaseInfo, TableKind, CATALOG_EVENT};
use crate::state::AppState;

const LOOK_EVERY: Duration = Duration::from_millis(150);

pub fn info_of(engine: &Engine) -> DatabaseInfo {
    DatabaseInfo {
        path: engine.path().display().to_string(),
        last_seq: engine.last_seq(),
    }
}

pub fn view(engine: &Engine) -> CatalogView {
    let database = info_of(engine);
    let namespaces = engine
        .catalog_summary()
        .into_iter()
        .map(|ns| CatalogNamespace {
            name: ns.name,
            tables: ns
                .tables
                .into_iter()
                .map(|t| CatalogTable {
                    namespace: t.def.namespace.clone(),
                    name: t.def.name.clone(),
                    kind: match t.def.kind {
                        EngineKind::User => TableKind::User,
                        EngineKind::Shared => TableKind::Shared,
                        EngineKind::Stream => TableKind::Stream,
                        EngineKind::System => TableKind::System,
                    },
                    rows: t.rows.map(|r| r.max(0) as u64),
                    ttl_seconds: t.def.ttl_seconds,
                    columns: t
                        .def
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| CatalogColumn {
                            name: c.name.clone(),
                            sql_type: c.ty.to_string(),
                            nullable: c.nullable,
                            primary_key: t.def.is_key_column(i),
                            default: c.default.as_ref().map(ToString::to_string),
                        })
                        .collect(),
                    unique: t
                        .def
                        .unique
                        .iter()
                        .map(|c| c.iter().map(|&i| t.def.columns[i].name.clone()).collect())
                        .collect(),
                })
                .collect(),
        })
        .collect();
    CatalogView { database, namespaces }
}

/// Emits the catalog to every window whenever the open database or its last commit
/// changes.
pub fn spawn_watcher<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut seen: Option<(String, u64)> = None;
        loop {
            tokio::time::sleep(LOOK_EVERY).await;
            let Ok(engine) = app.state::<AppState>().engine() else {
                continue;
            };
            let now = (engine.path().display().to_string(), engine.last_seq());
            if seen.as_ref() != Some(&now) {
                seen = Some(now);
                let _ = app.emit(CATALOG_EVENT, view(&engine));
            }
        }
    });
}
