//! What the app holds: the open database (a data source, `source/`), its live panes,
//! and where the app keeps its own files (console history, settings).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tidepool_engine::Engine;

use crate::commands::files::Imports;
use crate::console_runs::ConsoleRuns;
use crate::demo::Demo;
use crate::engine_settings::EngineSettingsFile;
use crate::error::{IpcError, IpcResult};
use crate::history::History;
use crate::local_api::LocalApi;
use crate::pane::Pane;
use crate::recent::Memory;
use crate::source::{DataSource, LocalSource};

pub struct AppState {
    database: RwLock<Option<Arc<dyn DataSource>>>,
    /// Why the database could not be opened, shown instead of the tree.
    open_error: Mutex<Option<String>>,
    panes: Mutex<HashMap<String, Arc<Pane>>>,
    next_pane: AtomicU64,
    pub history: History,
    pub local_api: LocalApi,
    /// The options databases are opened with.
    pub engine_settings: EngineSettingsFile,
    pub imports: Imports,
    /// The console runs under way, for their Cancel.
    pub console_runs: ConsoleRuns,
    pub memory: Memory,
    /// The demo database and its writer.
    pub demo: Demo,
}

impl AppState {
    /// `data_dir` holds the app's own files.
    pub fn new(data_dir: &Path) -> AppState {
        AppState {
            database: RwLock::new(None),
            open_error: Mutex::new(None),
            panes: Mutex::new(HashMap::new()),
            next_pane: AtomicU64::new(1),
            history: History::new(data_dir.join("history.jsonl")),
            local_api: LocalApi::new(data_dir),
            engine_settings: EngineSettingsFile::new(data_dir),
            imports: Imports::default(),
            console_runs: ConsoleRuns::default(),
            memory: Memory::new(data_dir),
            demo: Demo::new(data_dir),
        }
    }

    /// Opens (creating if needed) the database at `path` with the saved engine settings,
    /// closing the current one, its panes and the demo writer first.
    pub fn open(&self, path: &Path) -> IpcResult<Arc<dyn DataSource>> {
        let mut database = self.close_current();
        let settings = self.engine_settings.for_open();
        match Engine::open_with(path, settings.options()) {
            Ok(engine) => {
                self.memory.opened(engine.path());
                let source: Arc<dyn DataSource> = Arc::new(LocalSource::new(engine));
                *database = Some(source.clone());
                *self.open_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Ok(source)
            }
            Err(e) => {
                self.engine_settings.closed();
                *self.open_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                Err(e.into())
            }
        }
    }

    /// Makes `source` (a server reached already) the open database, closing the
    /// current one, its panes and the demo writer first.
    pub fn open_source(&self, source: Arc<dyn DataSource>) {
        let mut database = self.close_current();
        // The engine settings are a local folder's; a server has its own.
        self.engine_settings.closed();
        *database = Some(source);
        *self.open_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Closes the open database (its panes, the demo writer) and answers the emptied
    /// slot, held so nothing opens in between.
    fn close_current(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<dyn DataSource>>> {
        self.demo.stop();
        let panes: Vec<Arc<Pane>> = self
            .panes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, pane)| pane)
            .collect();
        for pane in &panes {
            pane.close();
        }
        // Each bridge task holds its pane (and through it the source) until it has
        // stopped; the directory is free once they all have.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while panes.iter().any(|pane| Arc::strong_count(pane) > 1) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        drop(panes);
        let mut database = self.database.write().unwrap_or_else(|e| e.into_inner());
        // Release the old directory before opening: it may be the same one.
        *database = None;
        database
    }

    /// The open database; the commands reach it through this alone.
    pub fn source(&self) -> IpcResult<Arc<dyn DataSource>> {
        let database = self.database.read().unwrap_or_else(|e| e.into_inner());
        database.clone().ok_or_else(|| {
            let why = self.open_error.lock().unwrap_or_else(|e| e.into_inner()).clone();
            IpcError::new("no_database", why.unwrap_or_else(|| "no database is open".into()))
        })
    }

    /// The embedded engine of the open database, when it is a local folder: for the
    /// Local API and the demo writer, which serve or write that engine itself.
    pub fn local_engine(&self) -> IpcResult<Engine> {
        self.source()?
            .engine()
            .cloned()
            .ok_or_else(|| IpcError::new("not_local", "the open database is not a local folder"))
    }

    pub fn new_pane_id(&self) -> String {
        format!("pane-{}", self.next_pane.fetch_add(1, Ordering::Relaxed))
    }

    pub fn add_pane(&self, pane: Arc<Pane>) {
        self.panes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(pane.id.clone(), pane);
    }

    pub fn pane(&self, id: &str) -> IpcResult<Arc<Pane>> {
        self.panes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| IpcError::no_pane(id))
    }

    pub fn remove_pane(&self, id: &str) -> Option<Arc<Pane>> {
        self.panes.lock().unwrap_or_else(|e| e.into_inner()).remove(id)
    }
}

/// Where the app keeps its own files: `$TIDEPOOL_STUDIO_DATA_DIR`, else the OS app-data
/// folder that also holds the default database.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("TIDEPOOL_STUDIO_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            tidepool_engine::default_database_dir()?
                .parent()?
                .parent()
                .map(Path::to_path_buf)
        })
}

#[cfg(test)]
mod tests {
    use tauri::Manager;

    /// The engine (and so `tidepool serve`) finds the OS app-data folder from the
    /// environment: %APPDATA% on Windows, ~/Library/Application Support on macOS,
    /// $XDG_DATA_HOME or ~/.local/share elsewhere. Tauri asks the OS (the Known Folder
    /// API on Windows). On each system the tests run on, both name the same folder.
    #[test]
    fn the_default_database_is_in_tauris_app_data_folder() {
        let app = tauri::test::mock_builder()
            .build(tauri::generate_context!(test = true))
            .unwrap();
        let app_data = app.path().app_data_dir().unwrap();
        assert_eq!(
            tidepool_engine::default_database_dir().unwrap(),
            app_data.join("databases").join("default")
        );
    }
}
