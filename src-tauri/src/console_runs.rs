//! The console runs under way, each with the engine's `CancelHandle` that stops its
//! statements: `run_sql` notes a run by the id the UI gave it for as long as it runs,
//! and `cancel_sql` (the console's Cancel) cancels it by that id. A run that has
//! finished is no longer here, so cancelling it does nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use tidepool_engine::CancelHandle;

use crate::error::{IpcError, IpcResult};

#[derive(Default)]
pub struct ConsoleRuns {
    running: Mutex<HashMap<String, CancelHandle>>,
}

impl ConsoleRuns {
    /// Notes run `id` as running until the returned guard is dropped (however the run
    /// ends); an error when a run with that id is already running.
    pub fn start(&self, id: String) -> IpcResult<RunningRun<'_>> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains_key(&id) {
            return Err(IpcError::invalid(format!("a run '{id}' is already running")));
        }
        let cancel = CancelHandle::new();
        running.insert(id.clone(), cancel.clone());
        Ok(RunningRun { runs: self, id, cancel })
    }

    /// Stops run `id`'s statement (and so the run); false when no such run is running.
    pub fn cancel(&self, id: &str) -> bool {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.get(id).map(CancelHandle::cancel).is_some()
    }

    /// Stops every run (another database is being opened).
    pub fn cancel_all(&self) {
        for cancel in self.running.lock().unwrap_or_else(|e| e.into_inner()).values() {
            cancel.cancel();
        }
    }
}

/// A run noted in `ConsoleRuns`; dropping it forgets the run.
pub struct RunningRun<'a> {
    runs: &'a ConsoleRuns,
    id: String,
    pub cancel: CancelHandle,
}

impl Drop for RunningRun<'_> {
    fn drop(&mut self) {
        self.runs
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_cancelled_by_its_id_while_it_runs_and_forgotten_after() {
        let runs = ConsoleRuns::default();
        let run = runs.start("console-1".into()).unwrap();
        assert_eq!(runs.start("console-1".into()).err().unwrap().code, "invalid_request");
        assert!(!runs.cancel("console-2"));
        assert!(!run.cancel.is_cancelled());
        assert!(runs.cancel("console-1"));
        assert!(run.cancel.is_cancelled());

        let cancel = run.cancel.clone();
        drop(run);
        assert!(!runs.cancel("console-1"));
        // The id is free again, with a fresh handle.
        let again = runs.start("console-1".into()).unwrap();
        assert!(!again.cancel.is_cancelled());
        assert!(cancel.is_cancelled());
        runs.cancel_all();
        assert!(again.cancel.is_cancelled());
    }
}
