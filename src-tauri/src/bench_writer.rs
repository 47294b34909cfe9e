//! The live-pane measurement's hooks into the app (`scripts/bench-ui`), compiled only
//! with the `bench-writer` feature. Two environment variables:
//!
//! - `TIDEPOOL_STUDIO_BENCH_WRITER="table=ns.t rate=10000 seconds=5 start=FILE
//!   report=FILE"` runs the paced writer (`tidepool_demo::Paced`: one change per commit
//!   at `rate`, through the same typed write API as grid edits) on the open database,
//!   on its own thread. Only one process can open a database, so for a local pane the
//!   writer runs inside the app.
//! - `TIDEPOOL_STUDIO_BENCH_SERVER="url=http://127.0.0.1:PORT token=TOKEN"` opens that
//!   server's database at start, in place of the folder, so the measured pane is a
//!   remote one. The same paced writer then runs beside the server, on the engine it
//!   serves (`tidepool-cli`'s `bench_server` example).

use std::collections::HashMap;

use tauri::{AppHandle, Manager, Runtime};
use tidepool_demo::Paced;

use crate::source::RemoteSource;
use crate::state::AppState;

pub fn spawn_from_env<R: Runtime>(app: AppHandle<R>) {
    let Ok(spec) = std::env::var("TIDEPOOL_STUDIO_BENCH_WRITER") else {
        return;
    };
    let paced = Paced::parse(&spec);
    std::thread::spawn(move || {
        if let Ok(engine) = app.state::<AppState>().local_engine() {
            let _ = paced.run(&engine);
        }
    });
}

/// Makes the server `TIDEPOOL_STUDIO_BENCH_SERVER` names the open database. A server
/// that cannot be reached ends the app: a measurement of the wrong database would
/// look like a result.
pub fn open_server_from_env(state: &AppState) {
    let Ok(spec) = std::env::var("TIDEPOOL_STUDIO_BENCH_SERVER") else {
        return;
    };
    let args: HashMap<&str, &str> = spec.split_whitespace().filter_map(|kv| kv.split_once('=')).collect();
    let (url, token) = (
        args.get("url").copied().unwrap_or_default(),
        args.get("token").copied().unwrap_or_default(),
    );
    match tauri::async_runtime::block_on(RemoteSource::connect(url, token, None)) {
        Ok(source) => state.open_source(std::sync::Arc::new(source)),
        Err(e) => {
            eprintln!("tidepool-studio: cannot open the bench server {url}: {}", e.message);
            std::process::exit(1);
        }
    }
}
