//! The app's memory across restarts: recently opened databases (File → Open Recent,
//! the start page), each database's open tabs, and the window's size and place. All
//! in small JSON files in the app's data folder; a missing or unreadable file is
//! simply an empty memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value as Json;

use crate::ipc::RecentDatabase;

/// Recent databases kept.
const RECENT_LIMIT: usize = 12;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: String,
    opened_ms: i64,
}

/// Where and how big the main window was.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowPlace {
    pub width: u32,
    pub height: u32,
    pub x: i32,
    pub y: i32,
    pub maximized: bool,
}

pub struct Memory {
    dir: PathBuf,
    recent: Mutex<Vec<Entry>>,
    /// Per database path, the UI's workspace (tabs, splits), as the UI shaped it.
    workspaces: Mutex<BTreeMap<String, Json>>,
}

impl Memory {
    pub fn new(dir: &Path) -> Memory {
        Memory {
            dir: dir.to_path_buf(),
            recent: Mutex::new(read(&dir.join("recent.json")).unwrap_or_default()),
            workspaces: Mutex::new(read(&dir.join("workspaces.json")).unwrap_or_default()),
        }
    }

    /// The app's data folder, where these files are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Puts `path` first in the recent list.
    pub fn opened(&self, path: &Path) {
        let path = path.display().to_string();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|e| e.path != path);
        recent.insert(
            0,
            Entry {
                path,
                opened_ms: now_ms(),
            },
        );
        recent.truncate(RECENT_LIMIT);
        write(&self.dir.join("recent.json"), &*recent);
    }

    pub fn forget(&self, path: &str) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|e| e.path != path);
        write(&self.dir.join("recent.json"), &*recent);
    }

    pub fn recent(&self) -> Vec<RecentDatabase> {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| RecentDatabase {
                path: e.path.clone(),
                exists: Path::new(&e.path).is_dir(),
                opened_ms: e.opened_ms,
            })
            .collect()
    }

    pub fn workspace(&self, database: &Path) -> Option<Json> {
        let workspaces = self.workspaces.lock().unwrap_or_else(|e| e.into_inner());
        workspaces.get(&database.display().to_string()).cloned()
    }

    pub fn save_workspace(&self, database: &Path, workspace: Json) {
        let mut workspaces = self.workspaces.lock().unwrap_or_else(|e| e.into_inner());
        workspaces.insert(database.display().to_string(), workspace);
        write(&self.dir.join("workspaces.json"), &*workspaces);
    }

    pub fn window_place(&self) -> Option<WindowPlace> {
        read(&self.dir.join("window.json"))
    }

    pub fn save_window_place(&self, place: WindowPlace) {
        write(&self.dir.join("window.json"), &place);
    }
}

fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Best effort: the app works on without its memory. Written beside and renamed, so a
/// crash mid-write keeps the previous file.
fn write<T: Serialize + ?Sized>(path: &Path, value: &T) {
    if let Ok(json) = serde_json::to_vec_pretty(value) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let partial = path.with_extension("json.partial");
        if std::fs::write(&partial, json).is_ok() {
            let _ = std::fs::rename(&partial, path);
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
