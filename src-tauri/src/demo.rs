//! The demo in the app: the demo database lives in the app's data folder
//! (`databases/demo`), is what a first start opens, and while it is the open database
//! the demo writer (`tidepool-demo`, the same one `tidepool demo` runs) writes into it on
//! the app's async runtime. Opening any database stops the writer first; it starts again
//! only for a database made as the demo.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tidepool_demo::{Control, Writer, DEFAULT_PACE};
use tidepool_engine::Engine;

use crate::ipc::{DemoStatus, RecentDatabase};

pub struct Demo {
    dir: PathBuf,
    running: Mutex<Option<Running>>,
    /// Why the open demo could not be installed or its writer started.
    error: Mutex<Option<String>>,
}

struct Running {
    control: Arc<Control>,
    /// Sent to when the writer has ended and dropped its session (and so its hold on
    /// the database folder).
    ended: mpsc::Receiver<()>,
}

impl Demo {
    /// `data_dir` is the app's data folder; the demo database lives under it.
    pub fn new(data_dir: &Path) -> Demo {
        Demo {
            dir: data_dir.join("databases").join("demo"),
            running: Mutex::new(None),
            error: Mutex::new(None),
        }
    }

    /// Where the demo database is (made the first time it is opened).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// If `engine`'s database was made as the demo, installs the shop where it is
    /// missing and starts the writer; any other database is left alone. The writer of
    /// the database open before was stopped when this one was opened (`AppState::open`).
    pub async fn start(&self, engine: &Engine) {
        if !tidepool_demo::is_demo(engine.path()) || self.control().is_some() {
            return;
        }
        let started = match tidepool_demo::install(engine).await {
            Ok(()) => Writer::new(engine),
            Err(e) => Err(e),
        };
        let writer = match started {
            Ok(writer) => writer,
            Err(e) => {
                *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                return;
            }
        };
        let control = Arc::new(Control::new(DEFAULT_PACE));
        let (done, ended) = mpsc::channel();
        let running = control.clone();
        tauri::async_runtime::spawn(async move {
            writer.run(&running, |_| {}).await;
            let _ = done.send(());
        });
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running { control, ended });
    }

    /// Stops the writer, if one runs, and waits (up to 5 s) until it has let go of the
    /// database. Blocks: call it off the async workers.
    pub fn stop(&self) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(running) = running {
            running.control.stop();
            let _ = running.ended.recv_timeout(Duration::from_secs(5));
        }
    }

    /// The running writer's switches; `None` while the open database is not the demo.
    pub fn control(&self) -> Option<Arc<Control>> {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.control.clone())
    }

    pub fn status(&self, open: Option<&Engine>) -> DemoStatus {
        let control = self.control();
        let settings = control.as_ref().map(|c| c.settings());
        let error = self.error.lock().unwrap_or_else(|e| e.into_inner()).clone();
        DemoStatus {
            path: self.dir.display().to_string(),
            open: open.is_some_and(|engine| tidepool_demo::is_demo(engine.path())),
            running: control.is_some(),
            paused: settings.is_some_and(|s| s.paused),
            pace: settings.map_or(DEFAULT_PACE, |s| s.pace),
            steps: control.as_ref().map_or(0, |c| c.steps()),
            error: error.or_else(|| control.and_then(|c| c.last_error())),
        }
    }
}

/// What `tidepool-studio` opens when no `--db` is given: the default database once it
/// exists; before that, on a first start (no database opened yet) or when the demo was
/// the last database opened, the demo (made now if needed); otherwise the default.
pub fn startup_database(default: Option<PathBuf>, demo: &Path, recent: &[RecentDatabase]) -> Option<PathBuf> {
    if default.as_ref().is_some_and(|d| d.exists()) {
        return default;
    }
    let demo_was_last = recent.first().is_some_and(|last| Path::new(&last.path) == demo);
    if (recent.is_empty() || demo_was_last) && tidepool_demo::prepare(demo).is_ok() {
        return Some(demo.to_path_buf());
    }
    default
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(path: &Path) -> RecentDatabase {
        RecentDatabase {
            path: path.display().to_string(),
            exists: true,
            opened_ms: 0,
        }
    }

    #[test]
    fn a_first_start_opens_the_demo_and_an_existing_default_database_wins() {
        let root = tempfile::tempdir().unwrap();
        let default = root.path().join("databases/default");
        let demo = root.path().join("databases/demo");
        // First start: nothing opened yet, no default database.
        assert_eq!(startup_database(Some(default.clone()), &demo, &[]), Some(demo.clone()));
        assert!(tidepool_demo::is_demo(&demo));
        // The demo was the last one opened: it again.
        assert_eq!(
            startup_database(Some(default.clone()), &demo, &[recent(&demo)]),
            Some(demo.clone())
        );
        // Another database was opened last: the default, as before the demo existed.
        let other = root.path().join("mine");
        assert_eq!(
            startup_database(Some(default.clone()), &demo, &[recent(&other), recent(&demo)]),
            Some(default.clone())
        );
        // A default database that exists is always the one.
        std::fs::create_dir_all(&default).unwrap();
        assert_eq!(startup_database(Some(default.clone()), &demo, &[]), Some(default));
    }

    #[test]
    fn a_demo_folder_holding_something_else_is_not_used() {
        let root = tempfile::tempdir().unwrap();
        let default = root.path().join("databases/default");
        let demo = root.path().join("databases/demo");
        std::fs::create_dir_all(&demo).unwrap();
        std::fs::write(demo.join("CURRENT"), "someone else's").unwrap();
        assert_eq!(startup_database(Some(default.clone()), &demo, &[]), Some(default));
        assert!(!tidepool_demo::is_demo(&demo));
    }
}
