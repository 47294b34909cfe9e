//! A paced writer for the pane throughput measurement (`scripts/bench-ui`), compiled
//! only with the `bench-writer` feature. Only one process can open a database, so the
//! writer runs inside the app, on its own thread, through the same typed write API as
//! grid edits. `TIDEPOOL_STUDIO_BENCH_WRITER="table=ns.t rate=10000 seconds=5
//! start=FILE report=FILE"` starts it once the file `start` exists (the measurement
//! makes it when its pane is ready); it alternates single-row inserts and updates (one
//! change per commit) at `rate` changes per second and writes what it did to `report`
//! as JSON. The table is `(id BIGINT PRIMARY KEY, grp TEXT, v BIGINT)`: inserted rows
//! fall into `GROUPS` groups by id, so a `GROUP BY grp` pane changes one group per
//! commit; updates change `v` of an earlier row.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager, Runtime};
use tidepool_engine::{Actor, Row, TableName, Value};

use crate::state::AppState;

/// Groups the inserted rows fall into (`g00` … `g39`).
const GROUPS: i64 = 40;

pub fn spawn_from_env<R: Runtime>(app: AppHandle<R>) {
    let Ok(spec) = std::env::var("TIDEPOOL_STUDIO_BENCH_WRITER") else {
        return;
    };
    let args: HashMap<&str, &str> = spec.split_whitespace().filter_map(|kv| kv.split_once('=')).collect();
    let table = args.get("table").copied().unwrap_or("bench.items").to_string();
    let rate: f64 = args.get("rate").and_then(|r| r.parse().ok()).unwrap_or(1000.0);
    let seconds: f64 = args.get("seconds").and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let start = args.get("start").map(PathBuf::from);
    let report = args.get("report").map(|r| r.to_string());
    std::thread::spawn(move || {
        while start.as_ref().is_some_and(|start| !start.exists()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let state = app.state::<AppState>();
        let (Ok(engine), Ok(name)) = (state.local_engine(), TableName::parse(&table)) else {
            return;
        };
        let session = engine.session(Actor::Admin);
        let started = Instant::now();
        let (mut changes, mut inserted, mut errors) = (0u64, 0i64, 0u64);
        while started.elapsed().as_secs_f64() < seconds {
            let due = (started.elapsed().as_secs_f64() * rate) as u64;
            if changes >= due {
                std::thread::sleep(Duration::from_micros(200));
                continue;
            }
            let result = if changes % 2 == 0 || inserted == 0 {
                inserted += 1;
                let row = Row::from([
                    ("id".to_string(), Value::BigInt(inserted)),
                    ("grp".to_string(), Value::Text(format!("g{:02}", inserted % GROUPS))),
                    ("v".to_string(), Value::BigInt(0)),
                ]);
                session.insert_rows(&name, vec![row])
            } else {
                let id = 1 + (changes as i64 * 7919) % inserted;
                let change = Row::from([("v".to_string(), Value::BigInt(changes as i64))]);
                session.update_row(&name, vec![Value::BigInt(id)], change)
            };
            match result {
                Ok(_) => changes += 1,
                Err(_) => errors += 1,
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let summary = serde_json::json!({
            "changes": changes,
            "errors": errors,
            "seconds": elapsed,
            "rate": changes as f64 / elapsed,
        });
        if let Some(path) = report {
            let _ = std::fs::write(path, summary.to_string());
        }
    });
}
