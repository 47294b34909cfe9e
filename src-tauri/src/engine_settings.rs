//! The engine settings the app opens databases with: today how often a live query that
//! is kept by re-evaluation (a shape not maintained incrementally: window functions,
//! subqueries, UNION, ...) may run again while commits touch the tables it reads —
//! `EngineOptions::live_reevaluate_interval`, what `tidepool serve --reevaluate-ms`
//! sets. Kept in `engine.json` in the app's data folder (a missing or unreadable file
//! means the defaults) and applied when a database is opened: the engine fixes its
//! options at open, so the open database keeps the ones it was opened with until it is
//! opened again.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tidepool_engine::EngineOptions;

use crate::error::{IpcError, IpcResult};
use crate::ipc::{EngineSettings, EngineSettingsStatus};

/// The interval's bounds, in milliseconds: those of `tidepool serve --reevaluate-ms`.
pub const REEVALUATE_MS: std::ops::RangeInclusive<u32> = 1..=60_000;

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            reevaluate_ms: EngineOptions::default().live_reevaluate_interval.as_millis() as u32,
        }
    }
}

impl EngineSettings {
    /// The engine options a database is opened with under these settings.
    pub fn options(&self) -> EngineOptions {
        EngineOptions {
            live_reevaluate_interval: Duration::from_millis(u64::from(self.reevaluate_ms)),
            ..EngineOptions::default()
        }
    }

    fn check(&self) -> IpcResult<()> {
        if !REEVALUATE_MS.contains(&self.reevaluate_ms) {
            return Err(IpcError::new(
                "invalid_setting",
                format!(
                    "the re-evaluation interval is {} to {} ms, not {}",
                    REEVALUATE_MS.start(),
                    REEVALUATE_MS.end(),
                    self.reevaluate_ms
                ),
            ));
        }
        Ok(())
    }
}

pub struct EngineSettingsFile {
    path: PathBuf,
    saved: Mutex<EngineSettings>,
    /// The settings the open database was opened with.
    open: Mutex<Option<EngineSettings>>,
}

impl EngineSettingsFile {
    pub fn new(data_dir: &Path) -> EngineSettingsFile {
        let path = data_dir.join("engine.json");
        let saved = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<EngineSettings>(&bytes).ok())
            .filter(|settings| settings.check().is_ok())
            .unwrap_or_default();
        EngineSettingsFile {
            path,
            saved: Mutex::new(saved),
            open: Mutex::new(None),
        }
    }

    /// The saved settings, noted as those of the database about to be opened.
    pub fn for_open(&self) -> EngineSettings {
        let saved = *self.saved.lock().unwrap_or_else(|e| e.into_inner());
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = Some(saved);
        saved
    }

    /// No database is open (opening one failed).
    pub fn closed(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn status(&self) -> EngineSettingsStatus {
        EngineSettingsStatus {
            saved: *self.saved.lock().unwrap_or_else(|e| e.into_inner()),
            open: *self.open.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Checks and saves `settings`, for the databases opened from now on.
    pub fn set(&self, settings: EngineSettings) -> IpcResult<EngineSettingsStatus> {
        settings.check()?;
        let json = serde_json::to_vec_pretty(&settings).map_err(|e| IpcError::new("internal", e.to_string()))?;
        std::fs::write(&self.path, json)
            .map_err(|e| IpcError::new("settings", format!("cannot save {}: {e}", self.path.display())))?;
        *self.saved.lock().unwrap_or_else(|e| e.into_inner()) = settings;
        Ok(self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_saved_checked_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = EngineSettingsFile::new(dir.path());
        assert_eq!(file.status().saved.reevaluate_ms, 100);
        assert_eq!(file.status().open, None);
        assert_eq!(
            file.for_open().options().live_reevaluate_interval,
            Duration::from_millis(100)
        );

        let status = file.set(EngineSettings { reevaluate_ms: 250 }).unwrap();
        assert_eq!(status.saved.reevaluate_ms, 250);
        // The open database keeps what it was opened with.
        assert_eq!(status.open, Some(EngineSettings { reevaluate_ms: 100 }));
        for wrong in [0, 60_001] {
            let err = file.set(EngineSettings { reevaluate_ms: wrong }).unwrap_err();
            assert_eq!(err.code, "invalid_setting");
        }

        let again = EngineSettingsFile::new(dir.path());
        assert_eq!(again.status().saved.reevaluate_ms, 250);
        assert_eq!(
            again.for_open().options().live_reevaluate_interval,
            Duration::from_millis(250)
        );
    }

    #[test]
    fn an_unreadable_or_out_of_range_file_means_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("engine.json"), "{\"reevaluate_ms\": 0}").unwrap();
        assert_eq!(
            EngineSettingsFile::new(dir.path()).status().saved,
            EngineSettings::default()
        );
        std::fs::write(dir.path().join("engine.json"), "not json").unwrap();
        assert_eq!(
            EngineSettingsFile::new(dir.path()).status().saved,
            EngineSettings::default()
        );
    }
}
