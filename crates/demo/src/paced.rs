//! A paced writer for the live-pane measurement (`scripts/bench-ui`): one change per
//! commit at a steady rate, through the engine's typed writes (the path grid edits
//! take). The app runs it inside itself on the database it has open (its
//! `bench-writer` feature); `tidepool-cli`'s `bench_server` example runs it beside a
//! `tidepool_server::Server` on the engine that server serves, so a remote pane sees
//! the same stream a local one does.
//!
//! A [`Paced`] is read from `table=ns.t rate=10000 seconds=5 start=FILE report=FILE`.
//! It waits until the file `start` exists (the measurement makes it when its pane is
//! ready), alternates single-row inserts and updates at `rate` changes per second for
//! `seconds`, and writes what it did to `report` as JSON. The table is `(id BIGINT
//! PRIMARY KEY, grp TEXT, v BIGINT)`: inserted rows fall into [`GROUPS`] groups by id,
//! so a `GROUP BY grp` pane changes one group per commit; updates change `v` of an
//! earlier row.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tidepool_engine::{Actor, Engine, Row, TableName, Value};

use crate::error::DemoError;

/// Groups the inserted rows fall into (`g00` … `g39`).
pub const GROUPS: i64 = 40;

/// What to write, how fast, for how long, and where the run starts and reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Paced {
    pub table: String,
    /// Changes (commits) per second.
    pub rate: f64,
    pub seconds: f64,
    /// Writing starts once this file exists (at once without one).
    pub start: Option<PathBuf>,
    /// Where the [`PacedReport`] goes as JSON.
    pub report: Option<PathBuf>,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacedReport {
    /// Changes committed, one per commit.
    pub changes: u64,
    /// Writes that failed (none are retried).
    pub errors: u64,
    pub seconds: f64,
}

impl PacedReport {
    /// Changes per second achieved.
    pub fn rate(&self) -> f64 {
        self.changes as f64 / self.seconds
    }

    /// `{"changes", "errors", "seconds", "rate"}`, what the measurement reads.
    pub fn to_json(&self) -> Json {
        json!({
            "changes": self.changes,
            "errors": self.errors,
            "seconds": self.seconds,
            "rate": self.rate(),
        })
    }
}

impl Paced {
    /// Reads `key=value` words; a missing or unreadable one keeps its default
    /// (`bench.items`, 1,000 changes/s, 5 s, no start file, no report).
    pub fn parse(spec: &str) -> Paced {
        let args: HashMap<&str, &str> = spec.split_whitespace().filter_map(|kv| kv.split_once('=')).collect();
        Paced {
            table: args.get("table").copied().unwrap_or("bench.items").to_string(),
            rate: args.get("rate").and_then(|r| r.parse().ok()).unwrap_or(1000.0),
            seconds: args.get("seconds").and_then(|s| s.parse().ok()).unwrap_or(5.0),
            start: args.get("start").map(PathBuf::from),
            report: args.get("report").map(PathBuf::from),
        }
    }

    /// Waits for the start file, writes into `engine` as admin, then writes the report.
    /// Blocks the calling thread for the whole run: give it a thread of its own.
    pub fn run(&self, engine: &Engine) -> Result<PacedReport, DemoError> {
        let name = TableName::parse(&self.table)?;
        while self.start.as_ref().is_some_and(|start| !start.exists()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let session = engine.session(Actor::Admin);
        let started = Instant::now();
        let (mut changes, mut inserted, mut errors) = (0u64, 0i64, 0u64);
        while started.elapsed().as_secs_f64() < self.seconds {
            let due = (started.elapsed().as_secs_f64() * self.rate) as u64;
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
        let report = PacedReport {
            changes,
            errors,
            seconds: started.elapsed().as_secs_f64(),
        };
        if let Some(path) = &self.report {
            // The measurement waits for this file: one it cannot read is a failed run.
            let _ = std::fs::write(path, report.to_json().to_string());
        }
        Ok(report)
    }
}
