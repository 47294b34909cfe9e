//! Live queries of every shape under a steady write load: a table of
//! `TIDEPOOL_BENCH_SHAPE_ROWS` rows (default 1,000,000) and a 100-row dimension table;
//! a writer updating random rows at 10,000 commits/s (typed update, one row each; one
//! in a hundred gives its row the largest `n` yet, so a top-N changes too);
//! 5 subscribers of one shape at a time. Each shape runs kept incrementally and then
//! kept by re-evaluation (`EngineOptions::live_incremental = false`) on the same work,
//! and once with no subscriber to give the writer's cost alone.
//!
//! Reported per shape: commit→receive p50/p99 (receive time minus the commit time of a
//! batch's first commit, so never understated), the writer's CPU per commit and its
//! overhead against no subscriber, and the memory the 5 subscriptions took (resident
//! set growth from before subscribing to after their snapshots, per subscription).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Engine, EngineOptions, LiveMessage, Row, TableName, Value};

use crate::{now_micros, percentile, WriterSched};

const RATE: u64 = 10_000;
const SUBSCRIBERS: usize = 5;
const GROUPS: u64 = 100;

/// (label, query): one per shape.
const SHAPES: &[(&str, &str)] = &[
    ("filter", "SELECT id, n FROM app.t WHERE n % 100 = 0"),
    (
        "GROUP BY",
        "SELECT grp, count(*) AS rows, sum(n) AS total, min(n) AS lo, max(n) AS hi FROM app.t GROUP BY grp",
    ),
    (
        "DISTINCT",
        "SELECT DISTINCT n % 1000 AS bucket FROM app.t WHERE grp = 'g1'",
    ),
    ("top-N", "SELECT id, n FROM app.t ORDER BY n DESC, id LIMIT 10"),
    (
        "join",
        "SELECT t.id, g.label FROM app.t t JOIN app.g g ON t.grp = g.grp WHERE t.n % 100 = 0",
    ),
];

pub struct ShapeRun {
    shape: String,
    maintenance: &'static str,
    commits: u64,
    elapsed: Duration,
    receive: Vec<u64>,
    writer_cpu_per_call: Option<f64>,
    memory_per_subscription: Option<f64>,
    resyncs: u64,
}

fn resident_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0)
}

fn rows() -> u64 {
    std::env::var("TIDEPOOL_BENCH_SHAPE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn seed_row(i: u64) -> Row {
    Row::from([
        ("id".to_string(), Value::BigInt(i as i64)),
        ("grp".to_string(), Value::Text(format!("g{}", i % GROUPS))),
        ("n".to_string(), Value::BigInt((i * 7919 % 1_000_000) as i64)),
        ("body".to_string(), Value::Text(crate::body(i))),
    ])
}

/// A database with the table and the dimension table filled.
async fn database(incremental: bool) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = EngineOptions {
        live_incremental: incremental,
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(dir.path(), options).expect("open");
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE app;
             CREATE TABLE app.t (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT);
             CREATE TABLE app.g (grp TEXT PRIMARY KEY, label TEXT)",
        )
        .await
        .expect("create");
    let groups: Vec<String> = (0..GROUPS).map(|g| format!("('g{g}', 'group {g}')")).collect();
    admin
        .execute(&format!("INSERT INTO app.g VALUES {}", groups.join(", ")))
        .await
        .expect("groups");
    let table = TableName::new("app", "t");
    let total = rows();
    let mut next = 0;
    while next < total {
        let end = (next + 10_000).min(total);
        admin
            .insert_rows(&table, (next..end).map(seed_row).collect())
            .expect("load");
        next = end;
    }
    (dir, engine)
}

async fn run(engine: &Engine, shape: &str, sql: Option<&str>, maintenance: &'static str, seconds: f64) -> ShapeRun {
    let admin = engine.session(Actor::Admin);
    let before = resident_bytes();
    let resyncs = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let mut ids = Vec::new();
    let mut memory_per_subscription = None;
    if let Some(sql) = sql {
        for _ in 0..SUBSCRIBERS {
            let mut subscription = admin.subscribe(sql).await.expect("subscribe");
            // The snapshot first, so the memory it takes is counted and the run
            // measures changes only.
            let _ = subscription.recv_ready().await;
            ids.push(subscription.id().to_string());
            let resyncs = resyncs.clone();
            readers.push(tokio::spawn(async move {
                let mut receive = Vec::new();
                while let Some(message) = subscription.recv().await {
                    match message {
                        LiveMessage::Changes { committed_at, .. } => {
                            receive.push((now_micros() - committed_at).max(0) as u64)
                        }
                        LiveMessage::Resync { .. } => {
                            resyncs.fetch_add(1, Ordering::Relaxed);
                        }
                        LiveMessage::Error { message, .. } => eprintln!("bench: subscription failed: {message}"),
                        _ => {}
                    }
                }
                receive
            }));
        }
        if let (Some(before), Some(after)) = (before, resident_bytes()) {
            memory_per_subscription = Some((after - before).max(0.0) / SUBSCRIBERS as f64);
        }
    }

    let writer_engine = engine.clone();
    let (commits, elapsed, cpu) = std::thread::Builder::new()
        .name("bench-writer".into())
        .spawn(move || {
            let session = writer_engine.session(Actor::Admin);
            let table = TableName::new("app", "t");
            let total = rows();
            let duration = Duration::from_secs_f64(seconds);
            let sched = WriterSched::now();
            let started = Instant::now();
            let mut call: u64 = 0;
            let mut state: u64 = 0x2545_f491_4f6c_dd1d;
            while started.elapsed() < duration {
                // Paced: commit number `call` is due at call / RATE seconds.
                let due = Duration::from_secs_f64(call as f64 / RATE as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let id = state % total;
                // One update in a hundred makes its row the largest: the top-N changes.
                // (Its time in µs: larger than any before, in this run or an earlier one.)
                let n = if call % 100 == 0 {
                    now_micros() as u64
                } else {
                    (state >> 20) % 1_000_000
                };
                session
                    .update_row(
                        &table,
                        vec![Value::BigInt(id as i64)],
                        Row::from([
                            ("n".to_string(), Value::BigInt(n as i64)),
                            ("grp".to_string(), Value::Text(format!("g{}", (state >> 8) % GROUPS))),
                        ]),
                    )
                    .expect("update");
                call += 1;
            }
            let elapsed = started.elapsed();
            let cpu = match (sched, WriterSched::now()) {
                (Some(a), Some(b)) => Some((b.on_cpu_ns - a.on_cpu_ns) as f64 / 1e3 / call.max(1) as f64),
                _ => None,
            };
            (call, elapsed, cpu)
        })
        .expect("writer thread")
        .join()
        .expect("writer");

    // Let the last batches arrive, then end the subscriptions.
    engine.live_flushed().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &ids {
        let _ = admin.execute(&format!("KILL LIVE QUERY '{id}'")).await;
    }
    let mut receive = Vec::new();
    for reader in readers {
        if let Ok(samples) = reader.await {
            receive.extend(samples);
        }
    }
    ShapeRun {
        shape: shape.to_string(),
        maintenance,
        commits,
        elapsed,
        receive,
        writer_cpu_per_call: cpu,
        memory_per_subscription,
        resyncs: resyncs.load(Ordering::Relaxed),
    }
}

pub async fn shapes(seconds: f64) -> Vec<ShapeRun> {
    let mut runs = Vec::new();
    for incremental in [true, false] {
        eprintln!(
            "bench: loading {} rows ({})",
            rows(),
            if incremental { "incremental" } else { "re-evaluated" }
        );
        let (_dir, engine) = database(incremental).await;
        if incremental {
            runs.push(run(&engine, "no subscriber", None, "-", seconds).await);
        }
        for (shape, sql) in SHAPES {
            eprintln!("bench: {shape}");
            let maintenance = if incremental { "incremental" } else { "reevaluate" };
            runs.push(run(&engine, shape, Some(sql), maintenance, seconds).await);
        }
    }
    runs
}

pub fn print(runs: &[ShapeRun]) {
    let alone = runs
        .iter()
        .find(|r| r.shape == "no subscriber")
        .and_then(|r| r.writer_cpu_per_call);
    println!(
        "| shape | kept by | commits/s | commit→receive p50 | p99 | batches | writer CPU per commit | writer overhead | memory per subscription | resyncs |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for run in runs {
        let mut receive = run.receive.clone();
        let (p50, p99) = if receive.is_empty() {
            ("-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.2} ms", percentile(&mut receive, 0.50) as f64 / 1e3),
                format!("{:.2} ms", percentile(&mut receive, 0.99) as f64 / 1e3),
            )
        };
        let cpu = run
            .writer_cpu_per_call
            .map_or("-".to_string(), |c| format!("{c:.1} µs"));
        let overhead = match (run.writer_cpu_per_call, alone) {
            (Some(c), Some(a)) if run.shape != "no subscriber" => format!("{:+.1}%", (c / a - 1.0) * 100.0),
            _ => "-".to_string(),
        };
        let memory = run
            .memory_per_subscription
            .map_or("-".to_string(), |m| format!("{:.1} MB", m / 1e6));
        println!(
            "| {} | {} | {:.0} | {p50} | {p99} | {} | {cpu} | {overhead} | {memory} | {} |",
            run.shape,
            run.maintenance,
            run.commits as f64 / run.elapsed.as_secs_f64(),
            run.receive.len(),
            run.resyncs
        );
    }
}
