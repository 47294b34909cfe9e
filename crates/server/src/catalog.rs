//! `GET /v1/catalog`: the database's namespaces and tables — each table's definition
//! (the engine's own `TableDef`: columns, types, key, constraints) and its row count —
//! as `{"last_seq", "namespaces": [{"name", "tables": [{"def", "rows"}]}]}`, the
//! engine's `NamespaceSummary` in JSON. A client builds its tree from it, and edits a
//! table's rows knowing their types.
//!
//! A user token sees every table's definition (they are the same for every user) but
//! not how many rows a USER table holds: that counts other users' rows.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use serde_json::{json, Value};
use tidepool_engine::{Actor, TableKind};

use crate::guard::Authenticated;
use crate::server::Shared;

pub async fn catalog(State(shared): State<Arc<Shared>>, Extension(auth): Extension<Authenticated>) -> Json<Value> {
    // Read before the summary: a client that follows changes from `last_seq` misses none.
    let last_seq = shared.engine.last_seq();
    let mut namespaces = shared.engine.catalog_summary();
    if matches!(auth.info.actor(), Actor::User(_)) {
        for table in namespaces.iter_mut().flat_map(|ns| ns.tables.iter_mut()) {
            if table.def.kind == TableKind::User {
                table.rows = None;
            }
        }
    }
    Json(json!({ "last_seq": last_seq, "namespaces": namespaces }))
}
