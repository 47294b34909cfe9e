//! The catalog tree's data from the engine's summary — read in process for a local
//! folder, or as a server's `GET /v1/catalog` answers it: namespaces, tables with their
//! kinds, row counts, columns and unique constraints.

use tidepool_engine::{Engine, NamespaceSummary, TableKind as EngineKind};

use crate::ipc::{CatalogColumn, CatalogNamespace, CatalogTable, CatalogView, DatabaseInfo, TableKind};

pub fn info_of(engine: &Engine) -> DatabaseInfo {
    DatabaseInfo {
        path: engine.path().display().to_string(),
        last_seq: engine.last_seq(),
    }
}

pub fn view(engine: &Engine) -> CatalogView {
    view_of(info_of(engine), engine.catalog_summary())
}

pub fn view_of(database: DatabaseInfo, summary: Vec<NamespaceSummary>) -> CatalogView {
    let namespaces = summary
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
