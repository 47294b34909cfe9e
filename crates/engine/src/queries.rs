//! Running statements: each one registered while it runs (`system.queries`), with a
//! control that stops it — `KILL QUERY`, its timeout, or the caller going away.
//!
//! Stopping is safe for writes because a statement's write happens at one point, its
//! commit, and that commit first claims the control (`begin_commit`): a stop that comes
//! earlier wins and nothing is written; one that comes later finds the statement
//! committing and lets it finish. Reads are dropped where they stand.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::session::Actor;

const RUNNING: u8 = 0;
const COMMITTING: u8 = 1;
const KILLED: u8 = 2;
const TIMED_OUT: u8 = 3;

/// What a caller sees of a running statement.
#[derive(Debug, Clone)]
pub struct RunningQuery {
    pub id: u64,
    pub actor: Actor,
    /// The statement's text (at most [`SHOWN_CHARS`] characters of it).
    pub sql: String,
    pub started_micros: i64,
    pub elapsed: Duration,
    /// `running`, `committing`, or `stopping` (asked to stop, not yet stopped).
    pub state: &'static str,
}

/// Characters of a statement's text that `system.queries` shows.
const SHOWN_CHARS: usize = 1_000;

/// The control of one running statement.
#[derive(Debug)]
pub(crate) struct Control {
    pub id: u64,
    actor: Actor,
    sql: String,
    started: Instant,
    started_micros: i64,
    state: AtomicU8,
    stopped: tokio::sync::Notify,
    limit: Option<Duration>,
}

impl Control {
    /// Asks the statement to stop (`KILLED` or `TIMED_OUT`); false when it is
    /// committing or already stopping.
    fn stop(&self, why: u8) -> bool {
        let stopped = self
            .state
            .compare_exchange(RUNNING, why, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if stopped {
            self.stopped.notify_waiters();
        }
        stopped
    }

    /// Claims the statement's commit: from here on nothing stops it. An error when it
    /// was stopped first (then nothing may be written).
    pub fn begin_commit(&self) -> Result<()> {
        match self
            .state
            .compare_exchange(RUNNING, COMMITTING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(COMMITTING) => Ok(()),
            Err(why) => Err(self.error(why)),
        }
    }

    /// Whether the statement was asked to stop: long loops check it between rows.
    pub fn check(&self) -> Result<()> {
        match self.state.load(Ordering::Acquire) {
            KILLED => Err(self.error(KILLED)),
            TIMED_OUT => Err(self.error(TIMED_OUT)),
            _ => Ok(()),
        }
    }

    fn error(&self, why: u8) -> Error {
        match why {
            TIMED_OUT => Error::Timeout {
                limit_ms: self.limit.map_or(0, |l| l.as_millis() as u64),
            },
            _ => Error::Cancelled(format!("statement {} was cancelled", self.id)),
        }
    }

    /// Resolves once the statement is asked to stop, with the error it stops with;
    /// never while it is committing.
    pub async fn stopped(&self) -> Error {
        loop {
            let notified = self.stopped.notified();
            if let Err(e) = self.check() {
                return e;
            }
            notified.await;
        }
    }

    /// Stops the statement with a timeout error once its limit has passed; never
    /// resolves without a limit.
    pub async fn expire(&self) {
        match self.limit {
            Some(limit) => {
                tokio::time::sleep_until((self.started + limit).into()).await;
                self.stop(TIMED_OUT);
            }
            None => std::future::pending().await,
        }
    }

    /// Stops the statement as cancelled (its caller went away, or asked).
    pub fn cancel(&self) -> bool {
        self.stop(KILLED)
    }
}

/// Every running statement of an engine.
#[derive(Default)]
pub(crate) struct Queries {
    next_id: AtomicU64,
    running: Mutex<BTreeMap<u64, Arc<Control>>>,
}

impl Queries {
    /// Registers a statement until the returned guard is dropped.
    pub fn start(self: &Arc<Self>, actor: &Actor, sql: &str, limit: Option<Duration>, now_micros: i64) -> Running {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let control = Arc::new(Control {
            id,
            actor: actor.clone(),
            sql: sql.trim().chars().take(SHOWN_CHARS).collect(),
            started: Instant::now(),
            started_micros: now_micros,
            state: AtomicU8::new(RUNNING),
            stopped: tokio::sync::Notify::new(),
            limit,
        });
        self.lock().insert(id, control.clone());
        Running {
            queries: self.clone(),
            control,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Control>>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The running statements `actor` may see: all of them for an admin, a user's own.
    pub fn list(&self, actor: &Actor) -> Vec<RunningQuery> {
        self.lock()
            .values()
            .filter(|c| *actor == Actor::Admin || c.actor == *actor)
            .map(|c| RunningQuery {
                id: c.id,
                actor: c.actor.clone(),
                sql: c.sql.clone(),
                started_micros: c.started_micros,
                elapsed: c.started.elapsed(),
                state: match c.state.load(Ordering::Acquire) {
                    RUNNING => "running",
                    COMMITTING => "committing",
                    _ => "stopping",
                },
            })
            .collect()
    }

    /// `KILL QUERY id`: an admin stops any statement, a user their own. Killing a
    /// statement that is committing is an error: it will finish.
    pub fn kill(&self, id: u64, by: &Actor) -> Result<()> {
        let control = self
            .lock()
            .get(&id)
            .filter(|c| *by == Actor::Admin || c.actor == *by)
            .cloned()
            .ok_or_else(|| Error::not_found(crate::error::ObjectKind::Query, id.to_string()))?;
        match control.cancel() || control.check().is_err() {
            true => Ok(()),
            false => Err(Error::NotAllowed(format!(
                "statement {id} is committing its write and cannot be stopped"
            ))),
        }
    }
}

/// A registered statement; dropping it takes the statement out of `system.queries`.
pub(crate) struct Running {
    queries: Arc<Queries>,
    pub control: Arc<Control>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.queries.lock().remove(&self.control.id);
    }
}

/// Cancels a running statement from outside it: give it in `RunOptions::cancel`, call
/// [`CancelHandle::cancel`] from anywhere (a Cancel button, a closed connection).
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancelHandle {
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Stops the statement run with this handle (now, or as soon as it starts).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
