//! The durability section: what fsync per commit (`EngineOptions::sync_writes`, `--sync`
//! in the CLI and the server, the app's "Flush every commit to disk") costs a writer
//! that commits one row at a time. Each write path commits single rows as fast as it
//! can for the run's time into a fresh directory, once with the default (the commit is
//! in RocksDB's write-ahead log, in the OS's page cache: it survives the process being
//! killed) and once with `sync_writes` (the log is fsynced before the commit returns:
//! it survives power loss). Runs alternate, `repeat` rounds; the table shows the run
//! with the median throughput of each. The cost is the disk's flush latency, so the
//! numbers belong to the machine they were measured on.

use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Engine, EngineOptions, Row, TableName, Value};

use crate::percentile;

/// One measured run.
pub struct Run {
    pub path: &'static str,
    pub sync: bool,
    pub commits: u64,
    pub elapsed: Duration,
    /// Per commit, nanoseconds.
    pub latencies: Vec<u64>,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.commits as f64 / self.elapsed.as_secs_f64()
    }
}

/// Every (write path, sync) pair, `repeat` times round-robin; the median run of each.
pub async fn durability(seconds: f64, repeat: usize) -> Vec<Run> {
    let pairs = [
        ("typed insert", false),
        ("typed insert", true),
        ("SQL INSERT", false),
        ("SQL INSERT", true),
    ];
    let mut all: Vec<Vec<Run>> = pairs.iter().map(|_| Vec::new()).collect();
    for _ in 0..repeat {
        for (i, &(path, sync)) in pairs.iter().enumerate() {
            all[i].push(single_row_commits(path, sync, Duration::from_secs_f64(seconds)).await);
        }
    }
    all.into_iter()
        .map(|mut runs| {
            runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
            runs.swap_remove(runs.len() / 2)
        })
        .collect()
}

/// Commits one row per call, as fast as it can for `duration`.
async fn single_row_commits(path: &'static str, sync: bool, duration: Duration) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = EngineOptions {
        sync_writes: sync,
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(dir.path(), options).expect("open");
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, n BIGINT, body TEXT)")
        .await
        .expect("create");
    let table = TableName::new("app", "t");
    let mut latencies = Vec::new();
    let started = Instant::now();
    let mut id = 0i64;
    while started.elapsed() < duration {
        id += 1;
        let call = Instant::now();
        if path == "typed insert" {
            let row = Row::from([
                ("id".to_string(), Value::BigInt(id)),
                ("n".to_string(), Value::BigInt(id % 100)),
                ("body".to_string(), Value::Text(crate::BODY.to_string())),
            ]);
            admin.insert_rows(&table, vec![row]).expect("insert");
        } else {
            let sql = format!("INSERT INTO app.t VALUES ({id}, {}, '{}')", id % 100, crate::BODY);
            admin.execute(&sql).await.expect("insert");
        }
        latencies.push(call.elapsed().as_nanos() as u64);
    }
    Run {
        path,
        sync,
        commits: id as u64,
        elapsed: started.elapsed(),
        latencies,
    }
}

/// The table: each path without and with fsync, and what fsync costs it.
pub fn print(runs: &[Run]) {
    println!("| write path (1 row per commit) | fsync per commit | commits/s | p50 µs | p99 µs | vs no fsync |");
    println!("|---|---|---:|---:|---:|---:|");
    for run in runs {
        let mut latencies = run.latencies.clone();
        let (p50, p99) = (percentile(&mut latencies, 0.50), percentile(&mut latencies, 0.99));
        let versus = runs
            .iter()
            .find(|r| r.path == run.path && !r.sync)
            .filter(|_| run.sync)
            .map_or("—".to_string(), |off| {
                format!("{:.1}× slower", off.rate() / run.rate())
            });
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {versus} |",
            run.path,
            if run.sync { "on (`--sync`)" } else { "off (default)" },
            run.rate(),
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
        );
    }
}
