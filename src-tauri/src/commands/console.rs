use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tauri::{AppHandle, Runtime, State, WebviewWindow};
use tidepool_engine::{split_statements, RunOptions};

use crate::error::IpcResult;
use crate::ipc::{js_safe_row, ConsoleRun, HistoryEntry, StatementFailure, StatementOutput, StatementResultView};
use crate::pane::Pane;
use crate::source::{acting_as, Outcome};
use crate::state::AppState;

/// Rows of one result sent to the console; `row_count` still tells the total.
pub const ROW_LIMIT: usize = 10_000;

/// Runs every statement of `sql` in order as `user` (admin when absent), stopping at
/// the first error. `SUBSCRIBE TO ...` opens a live pane in the calling window. The run
/// goes into the console history unless `history` is false. Each statement is stopped
/// after the statement timeout setting, if one is set, and while the run goes on
/// `cancel_sql` with its id `run` stops it (both end it with an error, nothing that
/// statement would write written).
#[tauri::command]
pub async fn run_sql<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    sql: String,
    user: Option<String>,
    history: Option<bool>,
    run: Option<String>,
) -> IpcResult<ConsoleRun> {
    let source = state.source()?;
    let actor = acting_as(user);
    // Noted until the run returns, however it does.
    let running = run.map(|id| state.console_runs.start(id)).transpose()?;
    let options = RunOptions {
        timeout: state.engine_settings.statement_timeout(),
        cancel: running.as_ref().map(|running| running.cancel.clone()),
    };
    let mut console_run = ConsoleRun {
        outputs: Vec::new(),
        error: None,
    };
    match split_statements(&sql) {
        Err(e) => {
            console_run.error = Some(StatementFailure {
                sql: sql.clone(),
                error: e.into(),
                elapsed_ms: 0.0,
            })
        }
        Ok(statements) => {
            for statement in statements {
                let started = Instant::now();
                let outcome = match source.run(&actor, &statement, &options).await {
                    Ok(Outcome::Live(feed)) => Pane::open(
                        &app,
                        state.new_pane_id(),
                        window.label().to_string(),
                        source.clone(),
                        actor.clone(),
                        statement.sql.clone(),
                        feed,
                    )
                    .await
                    .map(|pane| {
                        state.add_pane(pane.clone());
                        StatementResultView::Live { pane: pane.info() }
                    }),
                    Ok(outcome) => Ok(view(outcome)),
                    Err(e) => Err(e),
                };
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                match outcome {
                    Ok(result) => console_run.outputs.push(StatementOutput {
                        sql: statement.sql,
                        line: statement.position.line as u32,
                        column: statement.position.column as u32,
                        elapsed_ms,
                        result,
                    }),
                    Err(error) => {
                        console_run.error = Some(StatementFailure {
                            sql: statement.sql,
                            error,
                            elapsed_ms,
                        });
                        break;
                    }
                }
            }
        }
    }
    // Runs the app makes on its own (the live-queries view polling) stay out of it.
    if history == Some(false) {
        return Ok(console_run);
    }
    state.history.record(&HistoryEntry {
        sql,
        at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0),
        ok: console_run.error.is_none(),
        database: source.location().to_string(),
    });
    Ok(console_run)
}

/// The console's Cancel: stops run `run`'s statement, which ends the run with the
/// `cancelled` error (earlier statements stay, later ones do not run). True when the
/// run was under way; a run that has finished is left alone.
#[tauri::command]
pub async fn cancel_sql(state: State<'_, AppState>, run: String) -> IpcResult<bool> {
    Ok(state.console_runs.cancel(&run))
}

fn view(outcome: Outcome) -> StatementResultView {
    match outcome {
        Outcome::Rows { columns, rows } => StatementResultView::Rows {
            columns,
            truncated: rows.len() > ROW_LIMIT,
            row_count: rows.len() as u64,
            rows: rows.iter().take(ROW_LIMIT).map(|r| js_safe_row(r)).collect(),
        },
        Outcome::Affected(rows) => StatementResultView::Affected { rows },
        Outcome::Done | Outcome::Live(_) => StatementResultView::Done,
    }
}

/// The console history, oldest first.
#[tauri::command]
pub async fn history(state: State<'_, AppState>) -> IpcResult<Vec<HistoryEntry>> {
    Ok(state.history.entries())
}
