//! Live panes. A pane is a live feed from the data source plus the rows it shows, kept
//! in the query's ORDER BY or else in key order (`model.rs`); the bridge (`bridge.rs`)
//! applies the feed's messages to the rows and tells the pane's window what changed,
//! one event per 16 ms at most.
//! The grid reads rows by window with `pane_rows`, so a million-row table costs the
//! webview only the rows on screen.

mod bridge;
mod model;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tauri::{AppHandle, Runtime};
use tidepool_engine::{Actor, LiveColumn, LiveMessage, SqlType, TableDef, TableKind, USER_COLUMN};
use tokio::sync::mpsc;

use crate::error::{IpcError, IpcResult};
use crate::ipc::{PaneColumn, PaneInfo, PaneOrder};
use crate::source::{DataSource, LiveFeed};
use bridge::Control;
pub use bridge::MARK_LIMIT;
use model::{OrderedRows, SortTerm};

/// One open pane.
pub struct Pane {
    pub id: String,
    /// The label of the window that owns the pane: its events go there only.
    pub window: String,
    sql: String,
    /// Where a resubscribe subscribes again, and as whom.
    source: Arc<dyn DataSource>,
    actor: Actor,
    state: Mutex<PaneState>,
    control: Mutex<mpsc::UnboundedSender<Control>>,
    /// The newest generation handed out; resubscribes never reuse one.
    generations: AtomicU64,
    /// One resubscribe at a time.
    resubscribing: tokio::sync::Mutex<()>,
    /// Set by `close` under the control lock: nothing is started after it.
    closed: AtomicBool,
}

/// The rows as the bridge last left them.
pub struct PaneState {
    pub info: PaneInfo,
    /// The types of the key columns, in key order (`None`: unknown), to read keys the
    /// UI sends back: a key column need not be shown (a generated `_id` never is).
    pub key_types: Vec<Option<SqlType>>,
    pub rows: OrderedRows,
    /// The commit the rows reflect.
    pub seq: u64,
    pub loading: bool,
}

impl Pane {
    /// Starts the pane's bridge on `feed`, subscribed to `sql` from `source` as `actor`
    /// (as a resubscribe does again).
    pub async fn open<R: Runtime>(
        app: &AppHandle<R>,
        id: String,
        window: String,
        source: Arc<dyn DataSource>,
        actor: Actor,
        sql: String,
        feed: Box<dyn LiveFeed>,
    ) -> IpcResult<Arc<Pane>> {
        let (
            feed,
            Described {
                info,
                key_types,
                order,
                seq,
            },
        ) = describe(feed, &actor, &sql, &id, 1).await?;
        let (control, receiver) = mpsc::unbounded_channel();
        let pane = Arc::new(Pane {
            id,
            window,
            sql,
            source,
            actor,
            state: Mutex::new(PaneState {
                info,
                key_types,
                rows: OrderedRows::new(order),
                seq,
                loading: true,
            }),
            control: Mutex::new(control),
            generations: AtomicU64::new(1),
            resubscribing: tokio::sync::Mutex::new(()),
            closed: AtomicBool::new(false),
        });
        bridge::spawn(app.clone(), pane.clone(), feed, 1, receiver);
        Ok(pane)
    }

    pub fn state(&self) -> MutexGuard<'_, PaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn info(&self) -> PaneInfo {
        self.state().info.clone()
    }

    /// Pauses or resumes delivery; while paused the rows do not change and the window
    /// is told how many changes wait.
    pub fn set_paused(&self, paused: bool) {
        let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let _ = control.send(if paused { Control::Pause } else { Control::Resume });
    }

    /// Replaces the subscription with a fresh one (new generation, fresh snapshot):
    /// what the UI does after a gap or `resync`.
    pub async fn resubscribe<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>) -> IpcResult<PaneInfo> {
        let _one_at_a_time = self.resubscribing.lock().await;
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let feed = self.source.subscribe(&self.actor, &self.sql, None).await?;
        let (
            feed,
            Described {
                info,
                key_types,
                order,
                seq,
            },
        ) = describe(feed, &self.actor, &self.sql, &self.id, generation).await?;
        let (control, receiver) = mpsc::unbounded_channel();
        {
            let mut old = self.control.lock().unwrap_or_else(|e| e.into_inner());
            if self.closed.load(Ordering::SeqCst) {
                return Err(IpcError::no_pane(&self.id));
            }
            let _ = old.send(Control::Stop);
            *old = control;
            // Under the control lock, so a concurrent close stops the new task too.
            let mut state = self.state();
            state.info = info.clone();
            state.key_types = key_types;
            state.rows = OrderedRows::new(order);
            state.seq = seq;
            state.loading = true;
        }
        bridge::spawn(app.clone(), self.clone(), feed, generation, receiver);
        Ok(info)
    }

    /// Ends the subscription; a resubscribe racing with it starts nothing.
    pub fn close(&self) {
        let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        self.closed.store(true, Ordering::SeqCst);
        let _ = control.send(Control::Stop);
    }
}

/// What the `subscribed` message tells about a pane.
struct Described {
    info: PaneInfo,
    key_types: Vec<Option<SqlType>>,
    /// The ORDER BY the rows are kept in.
    order: Vec<SortTerm>,
    /// The commit the snapshot shows.
    seq: u64,
}

/// Reads the feed's `subscribed` message, which describes the columns.
async fn describe(
    mut feed: Box<dyn LiveFeed>,
    actor: &Actor,
    sql: &str,
    pane: &str,
    generation: u64,
) -> IpcResult<(Box<dyn LiveFeed>, Described)> {
    let first = feed.recv().await;
    let Some(LiveMessage::Subscribed {
        columns,
        key,
        maintenance,
        order_by,
        snapshot_seq,
        ..
    }) = first
    else {
        let message = match first {
            Some(LiveMessage::Error { message, .. }) => message,
            other => format!("the subscription did not start: {other:?}"),
        };
        return Err(IpcError::new("query", message));
    };
    // Every term names a shown column; were one missing, key order is all that is sure.
    let order = order_by
        .iter()
        .map(|o| {
            Some(SortTerm {
                column: columns.iter().position(|c| c.name == o.column)?,
                descending: o.descending,
                nulls_first: o.nulls_first,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    let Shape {
        table,
        key_types,
        columns,
    } = match feed.table() {
        Some(def) => table_shape(&def, columns, &key),
        None => derived_shape(columns, &key),
    };
    let info = PaneInfo {
        pane: pane.to_string(),
        generation,
        sql: sql.to_string(),
        table,
        user: match actor {
            Actor::Admin => None,
            Actor::User(user) => Some(user.clone()),
        },
        columns,
        key,
        maintenance,
        order_by: order_by
            .into_iter()
            .map(|o| PaneOrder {
                column: o.column,
                descending: o.descending,
                nulls_first: o.nulls_first,
            })
            .collect(),
    };
    Ok((
        feed,
        Described {
            info,
            key_types,
            order,
            seq: snapshot_seq,
        },
    ))
}

/// How a pane's rows can be edited.
struct Shape {
    /// The table edits go to, if any.
    table: Option<String>,
    key_types: Vec<Option<SqlType>>,
    columns: Vec<PaneColumn>,
}

/// The rows of one table: editable when the table is not a SYSTEM one and its key is
/// known for every row.
fn table_shape(def: &TableDef, columns: Vec<LiveColumn>, key: &[String]) -> Shape {
    // Edits name rows by the subscription's keys; a generated key is one though `*`
    // does not show it.
    let has_key = def.generated_key()
        || def
            .primary_key
            .iter()
            .all(|&i| columns.iter().any(|c| c.name == def.columns[i].name));
    let key_types = key
        .iter()
        .map(|name| match name.as_str() {
            USER_COLUMN => Some(SqlType::Text),
            name => def.column(name).ok().map(|(_, c)| c.ty),
        })
        .collect();
    let editable_table = def.kind != TableKind::System && has_key;
    let columns = columns
        .into_iter()
        .map(|c| {
            let column = def
                .column_index(&c.name)
                .map(|i| (&def.columns[i], def.is_key_column(i)));
            PaneColumn {
                key: key.contains(&c.name),
                nullable: column.is_none_or(|(col, _)| col.nullable),
                // Keys are not edited in place (delete and insert instead); `_user` is
                // the owner, fixed by the session.
                editable: editable_table && column.is_some_and(|(_, is_key)| !is_key) && c.name != USER_COLUMN,
                sql_type: c.ty,
                name: c.name,
            }
        })
        .collect();
    Shape {
        table: editable_table.then(|| def.full_name()),
        key_types,
        columns,
    }
}

/// A derived result (aggregate, join, ...): shown, not edited.
fn derived_shape(columns: Vec<LiveColumn>, key: &[String]) -> Shape {
    Shape {
        table: None,
        key_types: vec![None; key.len()],
        columns: columns
            .into_iter()
            .map(|c| PaneColumn {
                key: key.contains(&c.name),
                nullable: true,
                editable: false,
                sql_type: c.ty,
                name: c.name,
            })
            .collect(),
    }
}
