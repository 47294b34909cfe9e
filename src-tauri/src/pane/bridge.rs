//! The live-event bridge: one task per pane reads its live feed, applies every
//! message to the pane's rows in order, and emits at most one `pane` event per 16 ms
//! to the owning window — never one per row, which would flood the webview. A batch
//! names the commits it covers (`from_seq..=to_seq`) so the UI can see a gap.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tauri::{AppHandle, Emitter, EventTarget, Runtime};
use tidepool_engine::{Change, LiveMessage};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Pane, PaneState};
use crate::ipc::{js_safe_row, ChangeMark, ChangeOp, PaneEvent, PANE_EVENT};
use crate::source::{Link, LiveFeed};

/// How long the bridge gathers messages before emitting: one frame.
pub const FRAME: Duration = Duration::from_millis(16);

/// Batching can be turned off (`TIDEPOOL_STUDIO_EVENT_BATCHING=off`): then every
/// subscription message — one commit, unless the engine merged a backlog — is its own
/// event, at once. The throughput measurement uses it to show what batching buys.
fn batching() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("TIDEPOOL_STUDIO_EVENT_BATCHING").as_deref() != Ok("off"))
}
/// Change marks per event; the count stays exact beyond it.
pub const MARK_LIMIT: usize = 2_000;
/// Subscription messages taken at once before the bridge looks at its deadline again.
const DRAIN_LIMIT: usize = 16;
/// Row changes held while paused; beyond this the pane must resubscribe on resume.
const HOLD_LIMIT: u64 = 200_000;

pub enum Control {
    Pause,
    Resume,
    Stop,
}

pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    pane: Arc<Pane>,
    feed: Box<dyn LiveFeed>,
    generation: u64,
    control: mpsc::UnboundedReceiver<Control>,
) {
    tauri::async_runtime::spawn(run(app, pane, feed, generation, control));
}

async fn run<R: Runtime>(
    app: AppHandle<R>,
    pane: Arc<Pane>,
    mut feed: Box<dyn LiveFeed>,
    generation: u64,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let emit = |event: PaneEvent| {
        // The window may be gone; the pane is then closed with it.
        let _ = app.emit_to(EventTarget::webview_window(&pane.window), PANE_EVENT, event);
    };
    let mut out = Outgoing::new(&pane.id, generation);
    // A server's feed says when its connection drops and comes back.
    let mut link = feed.link();
    let mut held: Vec<LiveMessage> = Vec::new();
    let mut held_changes = 0u64;
    let mut paused = false;
    let mut overflowed = false;
    // After `resync` the UI resubscribes; until this task is stopped it applies nothing,
    // so no event follows a resync in its generation.
    let mut stale = false;
    loop {
        let deadline = out.deadline;
        if deadline.is_some_and(|d| d <= Instant::now()) {
            out.flush(emit);
            continue;
        }
        let messages = tokio::select! {
            messages = next_messages(feed.as_mut()) => messages,
            command = control.recv() => {
                match command {
                    Some(Control::Pause) => paused = true,
                    Some(Control::Resume) if paused => {
                        paused = false;
                        if overflowed {
                            overflowed = false;
                            held_changes = 0;
                            stale = true;
                            let missed = pane.state().seq + 1;
                            out.flush(emit);
                            emit(PaneEvent::Resync { pane: pane.id.clone(), generation, missed_from_seq: missed });
                        } else {
                            held_changes = 0;
                            let mut state = pane.state();
                            if state.info.generation != generation {
                                return;
                            }
                            for message in held.drain(..) {
                                apply(&mut state, message, &mut out);
                            }
                        }
                    }
                    Some(Control::Resume) => {}
                    Some(Control::Stop) | None => return,
                }
                continue;
            }
            _ = sleep_until(deadline) => {
                out.flush(emit);
                continue;
            }
            state = link_changed(&mut link) => {
                match state {
                    Some(state) => {
                        out.flush(emit);
                        emit(PaneEvent::Link {
                            pane: pane.id.clone(),
                            generation,
                            reconnecting: state.reconnecting,
                            seq: state.seq,
                            message: state.message,
                        });
                    }
                    None => link = None,
                }
                continue;
            }
        };
        if messages.is_empty() {
            out.flush(emit);
            emit(PaneEvent::Closed {
                pane: pane.id.clone(),
                generation,
                reason: "the subscription ended".into(),
            });
            return;
        }
        let mut state = pane.state();
        if state.info.generation != generation {
            return;
        }
        for message in messages {
            match message {
                _ if stale => {}
                LiveMessage::Resync { missed_from_seq, .. } => {
                    held.clear();
                    held_changes = 0;
                    stale = true;
                    out.flush(emit);
                    emit(PaneEvent::Resync {
                        pane: pane.id.clone(),
                        generation,
                        missed_from_seq,
                    });
                }
                LiveMessage::Error { message, .. } => {
                    out.flush(emit);
                    emit(PaneEvent::Error {
                        pane: pane.id.clone(),
                        generation,
                        message,
                    });
                }
                LiveMessage::Closed { reason, .. } => {
                    out.flush(emit);
                    emit(PaneEvent::Closed {
                        pane: pane.id.clone(),
                        generation,
                        reason,
                    });
                    return;
                }
                message if paused => {
                    if overflowed {
                        continue;
                    }
                    if let LiveMessage::Changes { changes, .. } = &message {
                        held_changes += changes.len() as u64;
                    }
                    held.push(message);
                    if held_changes > HOLD_LIMIT {
                        // Holding more would grow without bound: drop it all and
                        // resubscribe when resumed.
                        held.clear();
                        overflowed = true;
                    }
                    out.paused = Some(held_changes);
                    out.arm();
                }
                message => {
                    apply(&mut state, message, &mut out);
                    if !batching() {
                        out.flush(emit);
                    }
                }
            }
        }
    }
}

/// Waits for a message, then takes every other one that is ready; empty when the
/// feed has ended. Cancel-safe: the only await is `recv`, which takes nothing before it
/// returns.
async fn next_messages(feed: &mut dyn LiveFeed) -> Vec<LiveMessage> {
    let Some(first) = feed.recv().await else {
        return Vec::new();
    };
    let mut messages = vec![first];
    // Bounded, so a long snapshot is shown as it arrives rather than after its end.
    while messages.len() < DRAIN_LIMIT {
        match feed.try_recv() {
            Some(message) => messages.push(message),
            None => break,
        }
    }
    messages
}

/// The link's next state; `None` once it can change no more. Never resolves without a
/// link.
async fn link_changed(link: &mut Option<watch::Receiver<Link>>) -> Option<Link> {
    match link {
        Some(link) => {
            link.changed().await.ok()?;
            Some(link.borrow_and_update().clone())
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Applies one subscription message to the rows and notes it for the next event.
fn apply(state: &mut PaneState, message: LiveMessage, out: &mut Outgoing) {
    match message {
        LiveMessage::Subscribed { snapshot_seq, .. } => {
            // After a resync: a fresh snapshot replaces the rows.
            state.rows.clear();
            state.seq = snapshot_seq;
            state.loading = true;
            out.changes = None;
            out.snapshot(state);
        }
        LiveMessage::Snapshot { rows, keys, last, .. } => {
            for (key, row) in keys.into_iter().zip(rows) {
                state.rows.upsert(key, row);
            }
            state.loading = !last;
            out.snapshot(state);
        }
        LiveMessage::Changes {
            from_seq,
            to_seq,
            committed_at,
            changes,
            ..
        } => {
            let batch = out.changes.get_or_insert_with(|| PendingChanges {
                from_seq,
                to_seq,
                committed_at,
                count: 0,
                marks: Vec::new(),
                truncated: false,
            });
            batch.to_seq = to_seq;
            batch.count += changes.len() as u64;
            for change in &changes {
                let mark = match change {
                    Change::Insert { key, row } => {
                        state.rows.upsert(key.clone(), row.clone());
                        (ChangeOp::Insert, key, Vec::new())
                    }
                    Change::Update { key, row, old } => {
                        state.rows.upsert(key.clone(), row.clone());
                        (ChangeOp::Update, key, changed_columns(row, old))
                    }
                    Change::Delete { key, .. } => {
                        state.rows.remove(key);
                        (ChangeOp::Delete, key, Vec::new())
                    }
                };
                if batch.marks.len() < MARK_LIMIT {
                    batch.marks.push(ChangeMark {
                        op: mark.0,
                        key: js_safe_row(mark.1),
                        columns: mark.2,
                    });
                } else {
                    batch.truncated = true;
                }
            }
            state.seq = to_seq;
            out.total = state.rows.len() as u64;
            out.arm();
        }
        LiveMessage::Resync { .. } | LiveMessage::Error { .. } | LiveMessage::Closed { .. } => {}
    }
}

fn changed_columns(row: &[Json], old: &[Json]) -> Vec<u32> {
    row.iter()
        .zip(old)
        .enumerate()
        .filter(|(_, (new, old))| new != old)
        .map(|(i, _)| i as u32)
        .collect()
}

struct PendingChanges {
    from_seq: u64,
    to_seq: u64,
    committed_at: i64,
    count: u64,
    marks: Vec<ChangeMark>,
    truncated: bool,
}

/// What the next event will say.
struct Outgoing {
    pane: String,
    generation: u64,
    /// When the pending news must go out; `None` when there is none.
    deadline: Option<Instant>,
    snapshot: Option<(u64, u64, bool)>,
    changes: Option<PendingChanges>,
    total: u64,
    paused: Option<u64>,
}

impl Outgoing {
    fn new(pane: &str, generation: u64) -> Outgoing {
        Outgoing {
            pane: pane.to_string(),
            generation,
            deadline: None,
            snapshot: None,
            changes: None,
            total: 0,
            paused: None,
        }
    }

    fn arm(&mut self) {
        self.deadline.get_or_insert_with(|| Instant::now() + FRAME);
    }

    fn snapshot(&mut self, state: &PaneState) {
        self.snapshot = Some((state.seq, state.rows.len() as u64, state.loading));
        self.arm();
    }

    fn flush(&mut self, emit: impl Fn(PaneEvent)) {
        self.deadline = None;
        if let Some((seq, total, loading)) = self.snapshot.take() {
            emit(PaneEvent::Snapshot {
                pane: self.pane.clone(),
                generation: self.generation,
                seq,
                total,
                loading,
            });
        }
        if let Some(batch) = self.changes.take() {
            emit(PaneEvent::Changes {
                pane: self.pane.clone(),
                generation: self.generation,
                from_seq: batch.from_seq,
                to_seq: batch.to_seq,
                committed_at: batch.committed_at as f64 / 1000.0,
                count: batch.count,
                total: self.total,
                marks: batch.marks,
                truncated: batch.truncated,
            });
        }
        if let Some(waiting) = self.paused.take() {
            emit(PaneEvent::Paused {
                pane: self.pane.clone(),
                generation: self.generation,
                waiting,
            });
        }
    }
}
