//! A read-only picture of the catalog for explorers: namespaces, their tables (system
//! tables included) and current row counts, taken under one catalog read lock.

use std::sync::Arc;

use crate::catalog::{TableDef, TableKind, SYSTEM_NAMESPACE};
use crate::engine::Engine;
use crate::sql::system::system_defs;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NamespaceSummary {
    pub name: String,
    pub tables: Vec<TableSummary>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableSummary {
    pub def: Arc<TableDef>,
    /// Stored rows (STREAM rows not yet evicted included); `None` for SYSTEM tables,
    /// whose rows are computed when read.
    pub rows: Option<i64>,
}

impl Engine {
    /// Every namespace, `system` first, with its tables in name order.
    pub fn catalog_summary(&self) -> Vec<NamespaceSummary> {
        let inner = &self.inner;
        let catalog = inner.catalog();
        let system = NamespaceSummary {
            name: SYSTEM_NAMESPACE.to_string(),
            tables: system_defs()
                .into_iter()
                .map(|def| TableSummary {
                    def: Arc::new(def),
                    rows: None,
                })
                .collect(),
        };
        let user = catalog.namespaces.keys().map(|ns| NamespaceSummary {
            name: ns.clone(),
            tables: catalog
                .tables_in(ns)
                .map(|def| TableSummary {
                    def: def.clone(),
                    rows: (def.kind != TableKind::System).then(|| inner.row_count(def.id)),
                })
                .collect(),
        });
        std::iter::once(system).chain(user).collect()
    }
}
