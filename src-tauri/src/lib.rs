//! Tidepool Studio, the desktop app: the engine embedded in a Tauri v2 window.
//!
//! The life of a grid edit, layer by layer:
//! 1. The UI (`ui/src/ipc.ts`, the only module that talks to Tauri) invokes
//!    `update_cell`; `commands/edit.rs` hands it to the open database's data source
//!    (`source/`, the one seam between the commands and a database). The embedded
//!    engine's (`source/local.rs`) converts the JSON values with the table's types and
//!    calls the engine's typed write API, which commits one RocksDB WriteBatch.
//! 2. The commit hands its row changes to the engine's live-query manager and returns;
//!    the command answers with the commit's `seq`.
//! 3. Every pane watching the table has a live feed from the source (an engine
//!    subscription, for a local folder). Its bridge task (`pane/bridge.rs`) applies the
//!    change to the pane's rows (`pane/model.rs`, kept in key order) and, within 16 ms,
//!    emits one `pane` event to the pane's window naming the commits it covers and the
//!    changed rows.
//! 4. The pane (`ui/src/features/table-pane`) checks the seqs follow on, marks the
//!    changed cells, and fetches the rows on screen with `pane_rows`.
//!
//! Console runs go through `commands/console.rs` (an error naming a table, namespace
//! or column that does not exist comes from the engine with the closest one; the console's
//! Cancel and the statement timeout stop a run, `console_runs.rs`); the catalog tree
//! is refreshed by `catalog.rs`'s watcher after every commit. The demo shop's writer
//! (`demo.rs`, from the `tidepool-demo` crate) is one more writer of the same kind,
//! running while the demo database is open. File → Connect to Server opens a
//! `tidepool serve`'s database as the remote source (`commands/connections.rs`); saved
//! connections are kept in `connections.rs`, their tokens in the OS keychain
//! (`keychain.rs`). All IPC types are in `ipc.rs` and `error.rs`, exported to
//! TypeScript with ts-rs.

#[cfg(feature = "bench-writer")]
mod bench_writer;
pub mod catalog;
pub mod commands;
pub mod connections;
pub mod console_runs;
pub mod demo;
pub mod engine_settings;
pub mod error;
pub mod history;
pub mod ipc;
pub mod keychain;
pub mod local_api;
pub mod menu;
pub mod pane;
mod private_file;
pub mod recent;
mod renderer;
pub mod source;
pub mod state;
mod window_place;

use std::path::PathBuf;

use tauri::{Emitter, Manager, Runtime};

use crate::connections::Connections;
use crate::keychain::Keychain;
use crate::state::AppState;

/// Registers the state and every command: the part of the app that runs the same in a
/// window and under Tauri's mock runtime in tests.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    let connections = Connections::new(state.memory.dir(), Keychain::new(keychain::SERVICE));
    builder
        .manage(state)
        .manage(connections)
        .invoke_handler(tauri::generate_handler![
            commands::database::database_info,
            commands::database::open_database,
            commands::catalog::catalog,
            commands::console::run_sql,
            commands::console::cancel_sql,
            commands::console::history,
            commands::panes::open_pane,
            commands::panes::open_query_pane,
            commands::panes::pane_rows,
            commands::panes::set_pane_paused,
            commands::panes::resubscribe_pane,
            commands::panes::close_pane,
            commands::edit::insert_row,
            commands::edit::update_cell,
            commands::edit::delete_rows,
            commands::local_api::local_api_status,
            commands::local_api::set_local_api,
            commands::local_api::new_local_api_token,
            commands::engine_settings::engine_settings,
            commands::engine_settings::set_engine_settings,
            commands::database::recent_databases,
            commands::database::forget_recent_database,
            commands::database::load_workspace,
            commands::database::save_workspace,
            commands::files::choose_file,
            commands::files::default_export_dir,
            commands::files::export_rows,
            commands::files::preview_import,
            commands::files::start_import,
            commands::files::cancel_import,
            commands::demo::demo_status,
            commands::demo::open_demo,
            commands::demo::set_demo_writer,
            commands::connections::test_connection,
            commands::connections::connect_server,
            commands::connections::connect_saved,
            commands::connections::saved_connections,
            commands::connections::rename_connection,
            commands::connections::forget_connection,
            commands::connections::server_connection,
        ])
        .setup(|app| {
            catalog::spawn_watcher(app.handle().clone());
            window_place::restore(app.handle());
            // The Local API setting outlives the app: serve the database if it is on.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<AppState>();
                if let Ok(engine) = state.local_engine() {
                    state.local_api.resume(engine).await;
                    let _ = handle.emit(ipc::LOCAL_API_EVENT, state.local_api.status().await);
                }
            });
            #[cfg(feature = "bench-writer")]
            bench_writer::spawn_from_env(app.handle().clone());
            Ok(())
        })
}

/// Starts the app: `tidepool-studio [--db DIR]` (otherwise the default database, or on
/// a first start the demo: `demo::startup_database`).
pub fn run() {
    renderer::choose();
    let mut args = std::env::args_os().skip(1);
    let mut database: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        if arg == "--db" {
            database = args.next().map(PathBuf::from);
        }
    }
    let Some(data_dir) = state::data_dir() else {
        eprintln!("tidepool-studio: no home folder to keep the app's data in");
        std::process::exit(1);
    };
    let state = AppState::new(&data_dir);
    let database = database.or_else(|| {
        demo::startup_database(
            tidepool_engine::default_database_dir(),
            state.demo.dir(),
            &state.memory.recent(),
        )
    });
    match database {
        // A failure is shown in the window instead of the catalog.
        Some(path) => {
            if let Some(engine) = state.open(&path).ok().and_then(|source| source.engine().cloned()) {
                tauri::async_runtime::block_on(state.demo.start(&engine));
            }
        }
        None => eprintln!("tidepool-studio: no database folder given and no default one"),
    }
    // The pane measurement's remote runs measure a server's database instead.
    #[cfg(feature = "bench-writer")]
    bench_writer::open_server_from_env(&state);
    configure(tauri::Builder::default(), state)
        .plugin(tauri_plugin_dialog::init())
        .on_window_event(window_place::remember)
        .menu(menu::build)
        .on_menu_event(menu::handle)
        .build(tauri::generate_context!())
        .expect("Tidepool Studio could not start its window")
        .run(|app, event| {
            if let tauri::RunEvent::ExitRequested { .. } = event {
                window_place::save(app);
            }
        });
}
