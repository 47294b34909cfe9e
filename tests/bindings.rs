//! The TypeScript types in `ui/src/bindings/` are generated from the IPC types with
//! ts-rs and committed. This test fails when they are stale; regenerate them with
//! `UPDATE_BINDINGS=1 cargo test --workspace --test bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tidepool_studio::error::IpcError;
use tidepool_studio::ipc::{
    CatalogView, ConnectionList, ConsoleRun, DatabaseInfo, DemoStatus, EngineSettingsStatus, ExportResult,
    ExportSource, FileFilter, HistoryEntry, ImportEvent, ImportPreview, ImportRequest, LocalApiStatus, PaneEvent,
    PaneInfo, RecentDatabase, RowWindow, ServerCheck, ServerConnection, TokenRequest, WriteResult,
};
use ts_rs::{Config, TS};

fn export_all(dir: &Path) {
    let config = Config::new().with_out_dir(dir).with_large_int("number");
    CatalogView::export_all(&config).unwrap();
    ConsoleRun::export_all(&config).unwrap();
    DatabaseInfo::export_all(&config).unwrap();
    DemoStatus::export_all(&config).unwrap();
    EngineSettingsStatus::export_all(&config).unwrap();
    HistoryEntry::export_all(&config).unwrap();
    LocalApiStatus::export_all(&config).unwrap();
    ExportResult::export_all(&config).unwrap();
    ExportSource::export_all(&config).unwrap();
    FileFilter::export_all(&config).unwrap();
    ImportEvent::export_all(&config).unwrap();
    ImportPreview::export_all(&config).unwrap();
    ImportRequest::export_all(&config).unwrap();
    RecentDatabase::export_all(&config).unwrap();
    PaneEvent::export_all(&config).unwrap();
    PaneInfo::export_all(&config).unwrap();
    RowWindow::export_all(&config).unwrap();
    WriteResult::export_all(&config).unwrap();
    IpcError::export_all(&config).unwrap();
    ServerCheck::export_all(&config).unwrap();
    ServerConnection::export_all(&config).unwrap();
    ConnectionList::export_all(&config).unwrap();
    TokenRequest::export_all(&config).unwrap();
}

/// Every `.ts` file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "ts") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn typescript_bindings_are_current() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    let fresh = tempfile::tempdir().unwrap();
    export_all(fresh.path());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        for (name, text) in files(fresh.path()) {
            let path = committed.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    assert!(
        files(fresh.path()) == files(&committed),
        "ui/src/bindings is stale: run UPDATE_BINDINGS=1 cargo test --workspace --test bindings"
    );
}
