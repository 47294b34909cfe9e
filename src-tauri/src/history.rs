//! The console's history: one JSON line per run, appended to a file in the app's data
//! folder so it survives restarts.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::ipc::HistoryEntry;

/// Entries returned to the console (the file keeps everything).
const SHOWN: usize = 500;

pub struct History {
    path: PathBuf,
    lock: Mutex<()>,
}

impl History {
    pub fn new(path: PathBuf) -> History {
        History {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Appends an entry. History is a convenience: a failure to write it is reported
    /// to stderr and never fails the statement that ran.
    pub fn record(&self, entry: &HistoryEntry) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let result = (|| {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
            let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
            writeln!(file, "{line}")
        })();
        if let Err(e) = result {
            eprintln!("tidepool-studio: cannot write history {}: {e}", self.path.display());
        }
    }

    /// The newest entries, oldest first; unreadable lines are skipped.
    pub fn entries(&self) -> Vec<HistoryEntry> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let entries: Vec<HistoryEntry> = std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| serde_json::from_str(&line).ok())
            .collect();
        entries[entries.len().saturating_sub(SHOWN)..].to_vec()
    }
}
