//! The engine settings the app opens databases with: how often a live query that is
//! kept by re-evaluation (a shape not maintained incrementally: window functions,
//! subqueries, UNION, ...) may run again while commits touch the tables it reads —
//! `EngineOptions::live_reevaluate_interval`, what `tidepool serve --reevaluate-ms`
//! sets — and the console's statement timeout. Kept in `engine.json` in the app's data
//! folder (a missing or unreadable file means the defaults). The interval applies when
//! a database is opened: the engine fixes its options at open, so the open database
//! keeps the ones it was opened with until it is opened again; so does whether every
//! commit is fsynced (`EngineOptions::sync_writes`, what `tidepool serve --sync` sets:
//! off, a commit survives the app being killed; on, it survives power loss too, at a
//! disk flush per commit). The timeout is asked per
//! statement (`RunOptions::timeout`, what `tidepool sql --timeout` sets), so it applies
//! to the next console run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tidepool_engine::EngineOptions;

use crate::error::{IpcError, IpcResult};
use crate::ipc::{EngineSettings, EngineSettingsStatus};

/// The interval's bounds, in milliseconds: those of `tidepool serve --reevaluate-ms`.
pub const REEVALUATE_MS: std::ops::RangeInclusive<u32> = 1..=60_000;
/// The statement timeout's bounds, in milliseconds: up to a day.
pub const STATEMENT_TIMEOUT_MS: std::ops::RangeInclusive<u32> = 1..=86_400_000;

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            reevaluate_ms: EngineOptions::default().live_reevaluate_interval.as_millis() as u32,
            statement_timeout_ms: None,
            sync_writes: false,
        }
    }
}

impl EngineSettings {
    /// The engine options a database is opened with under these settings.
    pub fn options(&self) -> EngineOptions {
        EngineOptions {
            live_reevaluate_interval: Duration::from_millis(u64::from(self.reevaluate_ms)),
            sync_writes: self.sync_writes,
            ..EngineOptions::default()
        }
    }

    /// The time limit of each console statement, if any.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout_ms.map(|ms| Duration::from_millis(u64::from(ms)))
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
        if let Some(ms) = self
            .statement_timeout_ms
            .filter(|ms| !STATEMENT_TIMEOUT_MS.contains(ms))
        {
            return Err(IpcError::new(
                "invalid_setting",
                format!(
                    "the statement timeout is {} to {} ms (or none), not {ms}",
                    STATEMENT_TIMEOUT_MS.start(),
                    STATEMENT_TIMEOUT_MS.end(),
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

    /// The saved statement timeout: each console run takes it as it starts.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner()).statement_timeout()
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

        let status = file.set(interval(250)).unwrap();
        assert_eq!(status.saved.reevaluate_ms, 250);
        // The open database keeps what it was opened with.
        assert_eq!(status.open, Some(interval(100)));
        for wrong in [0, 60_001] {
            let err = file.set(interval(wrong)).unwrap_err();
            assert_eq!(err.code, "invalid_setting");
        }

        let again = EngineSettingsFile::new(dir.path());
        assert_eq!(again.status().saved.reevaluate_ms, 250);
        assert_eq!(
            again.for_open().options().live_reevaluate_interval,
            Duration::from_millis(250)
        );
    }

    fn interval(reevaluate_ms: u32) -> EngineSettings {
        EngineSettings {
            reevaluate_ms,
            ..EngineSettings::default()
        }
    }

    #[test]
    fn sync_writes_is_off_by_default_and_applies_to_the_next_database_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = EngineSettingsFile::new(dir.path());
        assert!(!file.for_open().options().sync_writes);
        let status = file
            .set(EngineSettings {
                sync_writes: true,
                ..interval(100)
            })
            .unwrap();
        assert!(status.saved.sync_writes);
        // The open database keeps what it was opened with.
        assert_eq!(status.open.map(|s| s.sync_writes), Some(false));
        let again = EngineSettingsFile::new(dir.path());
        assert!(again.for_open().options().sync_writes);
        assert_eq!(again.status().open.map(|s| s.sync_writes), Some(true));
    }

    #[test]
    fn the_statement_timeout_is_off_by_default_checked_and_applies_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = EngineSettingsFile::new(dir.path());
        file.for_open();
        assert_eq!(file.statement_timeout(), None);
        for wrong in [0, 86_400_001] {
            let settings = EngineSettings {
                statement_timeout_ms: Some(wrong),
                ..interval(100)
            };
            assert_eq!(file.set(settings).unwrap_err().code, "invalid_setting");
        }
        let settings = EngineSettings {
            statement_timeout_ms: Some(1_500),
            ..interval(100)
        };
        file.set(settings).unwrap();
        // No reopening needed: the next run asks for it.
        assert_eq!(file.statement_timeout(), Some(Duration::from_millis(1_500)));
        assert_eq!(
            EngineSettingsFile::new(dir.path()).statement_timeout(),
            Some(Duration::from_millis(1_500))
        );
        file.set(interval(100)).unwrap();
        assert_eq!(file.statement_timeout(), None);
    }

    #[test]
    fn a_file_saved_before_the_timeout_existed_keeps_its_interval() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("engine.json"), "{\"reevaluate_ms\": 250}").unwrap();
        assert_eq!(EngineSettingsFile::new(dir.path()).status().saved, interval(250));
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
