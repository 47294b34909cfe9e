//! `tidepool-bench`: write throughput and latency with 0, 1, 5 and 50 live subscribers
//! (unfiltered, and filtered to every tenth row), side by side with the floor (raw
//! RocksDB puts with the engine's write options) and a peer (SQLite in WAL mode with a
//! prepared insert and an update hook feeding subscriber threads), in one run on one
//! machine. Prints a Markdown table; `scripts/bench` runs it in release mode.
//!
//! Every run inserts the same rows `(id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT)`
//! into a fresh directory, as fast as it can for a fixed time (throughput table), or at a
//! steady rate (latency table). Latency is per write call; commit-to-receive is from the
//! commit time stamped on a change batch to the moment a subscriber task holds it.

mod baseline;
mod durability;
mod shapes;
mod sql;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// The allocator of the app and the CLI.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use baseline::{Baseline, Key, Numbers};
use tidepool_engine::{Actor, Engine, EngineOptions, LiveMessage, Row, TableName, Value};

const BODY: &str = "a message body of about fifty bytes, give or take.";
/// Subscriber configurations: (count, filtered).
const CONFIGS: [(usize, bool); 7] = [
    (0, false),
    (1, false),
    (1, true),
    (5, false),
    (5, true),
    (50, false),
    (50, true),
];

/// How long a run writes, and how fast.
#[derive(Clone, Copy)]
struct Pace {
    duration: Duration,
    max_rows: u64,
    /// Write calls per second; `None` is as fast as possible.
    rate: Option<u64>,
}

impl Pace {
    /// Whether call number `call` may start, waiting for its slot when paced.
    fn admit(&self, started: Instant, call: u64, rows: u64) -> bool {
        if rows >= self.max_rows || started.elapsed() >= self.duration {
            return false;
        }
        if let Some(rate) = self.rate {
            let slot = started + Duration::from_secs_f64(call as f64 / rate as f64);
            while Instant::now() < slot {
                std::hint::spin_loop();
            }
        }
        true
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Typed,
    Sql1,
    Sql100,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Typed => "engine typed insert (1 row)",
            Mode::Sql1 => "engine SQL INSERT (1 row)",
            Mode::Sql100 => "engine SQL INSERT (100 rows)",
        }
    }

    fn rows_per_call(self) -> u64 {
        if self == Mode::Sql100 {
            100
        } else {
            1
        }
    }
}

struct Run {
    label: String,
    subscribers: String,
    rows: u64,
    elapsed: Duration,
    /// Per write call, nanoseconds.
    latencies: Vec<u64>,
    /// Commit to receive, microseconds (one sample per received batch).
    receive: Vec<u64>,
    delivered: u64,
    expected: u64,
    /// Subscribers told to resync because they fell behind.
    resyncs: u64,
    /// Rows/s of each round (set for the median run of a configuration).
    round_rates: Vec<f64>,
    /// The engine's writer thread: microseconds on its CPU per write call (Linux).
    writer_cpu_per_call: Option<f64>,
    /// `writer_cpu_per_call` of each round (set for the median run).
    round_writer_cpu: Vec<Option<f64>>,
}

/// Sections of the benchmark, in the order they run; `TIDEPOOL_BENCH_ONLY` picks some.
const SECTIONS: [&str; 9] = [
    "raw",
    "typed",
    "sql1",
    "sql100",
    "sqlite",
    "paced",
    "shapes",
    "sql",
    "durability",
];

fn main() {
    let seconds: f64 = std::env::var("TIDEPOOL_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let repeat: usize = std::env::var("TIDEPOOL_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3);
    let only = std::env::var("TIDEPOOL_BENCH_ONLY").unwrap_or_default();
    let only: Vec<&str> = only.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = only.iter().find(|s| !SECTIONS.contains(s)) {
        eprintln!(
            "TIDEPOOL_BENCH_ONLY: unknown section {unknown:?}; the sections are {}",
            SECTIONS.join(", ")
        );
        std::process::exit(2);
    }
    let runs_section = |name: &str| only.is_empty() || only.contains(&name);
    // `TIDEPOOL_BENCH_SUBSCRIBERS=0,5,50f` limits the subscriber configurations.
    let picked = std::env::var("TIDEPOOL_BENCH_SUBSCRIBERS").unwrap_or_default();
    let picked: Vec<&str> = picked.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let configs_run: Vec<(usize, bool)> = CONFIGS
        .into_iter()
        .filter(|&(count, filtered)| {
            picked.is_empty() || picked.contains(&format!("{count}{}", if filtered { "f" } else { "" }).as_str())
        })
        .collect();
    let flat_out = Pace {
        duration: Duration::from_secs_f64(seconds),
        max_rows: 2_000_000,
        rate: None,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = std::env::var("TIDEPOOL_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        runtime.worker_threads(workers);
    }
    let runtime = runtime.enable_all().build().expect("runtime");
    let baseline_path = std::env::var("TIDEPOOL_BENCH_BASELINE").unwrap_or_else(|_| "docs/bench-baseline.tsv".into());
    let baseline = Baseline::load(Path::new(&baseline_path))
        .map_err(|e| eprintln!("bench: no baseline to compare with: {e}"))
        .ok();
    let mut measured: BTreeMap<Key, Numbers> = BTreeMap::new();

    // Every configuration runs `repeat` times, round-robin, so a drift of the machine
    // spreads over all of them; each row of the tables is the run with the median
    // throughput (the median commit-to-receive p99 at a steady rate).
    let mut configs: Vec<Box<dyn Fn() -> Run>> = Vec::new();
    if runs_section("raw") {
        configs.push(Box::new(move || raw_rocksdb(flat_out)));
    }
    for (section, mode) in [("typed", Mode::Typed), ("sql1", Mode::Sql1), ("sql100", Mode::Sql100)] {
        if runs_section(section) {
            for &(count, filtered) in &configs_run {
                let runtime = &runtime;
                configs.push(Box::new(move || {
                    runtime.block_on(engine_run(mode, count, filtered, flat_out))
                }));
            }
        }
    }
    if runs_section("sqlite") {
        for &(count, filtered) in &configs_run {
            configs.push(Box::new(move || sqlite_run(count, filtered, flat_out)));
        }
    }
    if !configs.is_empty() {
        println!("## Throughput: each writer as fast as it can for {seconds} s (median of {repeat} runs)\n");
        let runs = medians(&configs, repeat, false);
        print_table(&runs, false);
        print_writer_cpu(&runs);
        compare(
            "throughput",
            &runs,
            false,
            baseline.as_ref(),
            &baseline_path,
            &mut measured,
        );
    }

    if runs_section("paced") {
        let rate = 10_000;
        println!(
            "\n## Latency at a steady {rate} commits/s (typed insert, 1 row each) for {seconds} s (median of {repeat} runs)\n"
        );
        let paced = Pace {
            rate: Some(rate),
            ..flat_out
        };
        let configs: Vec<Box<dyn Fn() -> Run>> = configs_run
            .iter()
            .map(|&(count, filtered)| {
                let runtime = &runtime;
                Box::new(move || runtime.block_on(engine_run(Mode::Typed, count, filtered, paced)))
                    as Box<dyn Fn() -> Run>
            })
            .collect();
        // The rate is fixed, so throughput cannot differ: compare the latency columns.
        let runs = medians(&configs, repeat, true);
        print_table(&runs, true);
        compare("latency", &runs, true, baseline.as_ref(), &baseline_path, &mut measured);
    }

    if runs_section("shapes") {
        println!(
            "\n## Live queries of every shape: 5 subscribers, a writer updating random rows at 10,000 commits/s for {seconds} s\n"
        );
        let runs = runtime.block_on(shapes::shapes(seconds));
        shapes::print(&runs);
    }

    if runs_section("sql") {
        println!("\n## SQL: one statement, and scans, beside SQLite\n");
        let rows = runtime.block_on(sql::sql());
        sql::print(&rows);
        let numbers: Vec<(String, String, Numbers)> = rows.iter().flat_map(sql::Row::baseline_rows).collect();
        compare_numbers("sql", &numbers, false, baseline.as_ref(), &baseline_path, &mut measured);
    }

    if runs_section("durability") {
        println!(
            "\n## Durability: single-row commits without and with fsync per commit, as fast as they go for {seconds} s (median of {repeat} runs)\n"
        );
        let runs = runtime.block_on(durability::durability(seconds, repeat));
        durability::print(&runs);
    }

    if std::env::var_os("TIDEPOOL_BENCH_SAVE_BASELINE").is_some() {
        let mut saved = baseline.unwrap_or_default();
        saved.comments.retain(|c| !c.starts_with("# saved"));
        saved.comments.push(format!(
            "# saved by TIDEPOOL_BENCH_SAVE_BASELINE=1 on {} (TIDEPOOL_BENCH_REPEAT={repeat}, {seconds} s per run): {} rows",
            today(),
            measured.len()
        ));
        saved.rows.extend(measured);
        match std::fs::write(&baseline_path, saved.render()) {
            Ok(()) => eprintln!("bench: wrote the baseline {baseline_path}"),
            Err(e) => {
                eprintln!("bench: could not write the baseline {baseline_path}: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// The UTC date, `YYYY-MM-DD` (days since 1970 to a civil date).
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A run's headline numbers.
fn numbers(run: &Run) -> Numbers {
    let mut latencies = run.latencies.clone();
    let mut receive = run.receive.clone();
    Numbers {
        rows_per_s: run.rate(),
        p50_us: percentile(&mut latencies, 0.50) as f64 / 1000.0,
        p99_us: percentile(&mut latencies, 0.99) as f64 / 1000.0,
        receive_p99_us: (run.expected > 0).then(|| percentile(&mut receive, 0.99) as f64),
    }
}

/// Prints each run against the baseline's row for it, and keeps its numbers (for
/// `TIDEPOOL_BENCH_SAVE_BASELINE`). Rows slower than the tolerance are repeated on stderr.
fn compare(
    table: &str,
    runs: &[Run],
    paced: bool,
    baseline: Option<&Baseline>,
    path: &str,
    measured: &mut BTreeMap<Key, Numbers>,
) {
    let rows: Vec<(String, String, Numbers)> = runs
        .iter()
        .map(|run| (run.label.clone(), run.subscribers.clone(), numbers(run)))
        .collect();
    compare_numbers(table, &rows, paced, baseline, path, measured);
}

/// Each (path, subscribers or variant, numbers) against the baseline's row of it.
fn compare_numbers(
    table: &str,
    rows: &[(String, String, Numbers)],
    paced: bool,
    baseline: Option<&Baseline>,
    path: &str,
    measured: &mut BTreeMap<Key, Numbers>,
) {
    if let Some(baseline) = baseline {
        // The last comment says where the numbers come from.
        let source = baseline
            .comments
            .last()
            .map_or("", |c| c.trim_start_matches('#').trim());
        println!("\n### Against the baseline ({path}: {source})\n");
        println!("| write path | subscribers | rows/s then → now | p50 µs then → now | p50 | commit→receive p99 µs then → now | |");
        println!("|---|---|---:|---:|---:|---:|---|");
    }
    for (label, subscribers, now) in rows {
        let now = *now;
        let key: Key = (table.into(), label.clone(), subscribers.clone());
        if let Some(then) = baseline.and_then(|b| b.rows.get(&key)) {
            let (change, word) = baseline::verdict(&now, then, paced);
            let receive = match (then.receive_p99_us, now.receive_p99_us) {
                (Some(a), Some(b)) => format!("{a:.0} → {b:.0}"),
                _ => "—".into(),
            };
            println!(
                "| {} | {} | {:.0} → {:.0} | {:.1} → {:.1} | {change} | {receive} | {word} |",
                label, subscribers, then.rows_per_s, now.rows_per_s, then.p50_us, now.p50_us
            );
            if word == "SLOWER" {
                eprintln!(
                    "bench: {table} | {} | {}: slower than the baseline (p50 {:.1} → {:.1} µs, {:.0} → {:.0} rows/s)",
                    label, subscribers, then.p50_us, now.p50_us, then.rows_per_s, now.rows_per_s
                );
            }
        } else if baseline.is_some() {
            println!("| {} | {} | — | — | — | — | not in the baseline |", label, subscribers);
        }
        measured.insert(key, now);
    }
}

/// Runs every configuration `repeat` times, round-robin, and keeps each one's median run.
fn medians(configs: &[Box<dyn Fn() -> Run + '_>], repeat: usize, paced: bool) -> Vec<Run> {
    let mut runs: Vec<Vec<Run>> = configs.iter().map(|_| Vec::new()).collect();
    for round in 0..repeat {
        for (config, runs) in configs.iter().zip(&mut runs) {
            let run = config();
            let mut receive = run.receive.clone();
            eprintln!(
                "run {}/{repeat}: {} | {}: {:.0} rows/s, commit→receive p90/p99/p99.9/max {}/{}/{}/{} µs",
                round + 1,
                run.label,
                run.subscribers,
                run.rate(),
                percentile(&mut receive, 0.9),
                percentile(&mut receive, 0.99),
                percentile(&mut receive, 0.999),
                percentile(&mut receive, 1.0),
            );
            runs.push(run);
        }
    }
    runs.into_iter()
        .map(|mut runs| {
            let round_rates: Vec<f64> = runs.iter().map(Run::rate).collect();
            let round_writer_cpu = runs.iter().map(|run| run.writer_cpu_per_call).collect();
            if paced {
                runs.sort_by_cached_key(|run| percentile(&mut run.receive.clone(), 0.99));
            } else {
                runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
            }
            let mut median = runs.swap_remove(runs.len() / 2);
            median.round_rates = round_rates;
            median.round_writer_cpu = round_writer_cpu;
            median
        })
        .collect()
}

fn describe(count: usize, filtered: bool) -> String {
    match (count, filtered) {
        (0, _) => "0".into(),
        (n, false) => format!("{n}"),
        (n, true) => format!("{n} filtered"),
    }
}

fn body(i: u64) -> String {
    format!("{i:08} {BODY}")
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// The floor: what RocksDB itself costs for a comparable commit (the row, the sequence
/// number and the row count in one batch, WAL on, no fsync).
fn raw_rocksdb(pace: Pace) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = rocksdb::Options::default();
    options.create_if_missing(true);
    options.set_compression_type(rocksdb::DBCompressionType::Lz4);
    let db = rocksdb::DB::open(&options, dir.path()).expect("open");
    let mut write = rocksdb::WriteOptions::default();
    write.set_sync(false);
    let mut latencies = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while pace.admit(started, i, i) {
        let t = Instant::now();
        let mut batch = rocksdb::WriteBatch::default();
        let mut key = vec![b'd'];
        key.extend_from_slice(&1u64.to_be_bytes());
        key.extend_from_slice(&i.to_be_bytes());
        batch.put(&key, format!("g{}{}{}", i % 7, i, body(i)).as_bytes());
        batch.put(b"mseq", (i + 1).to_be_bytes());
        batch.put(b"n1", (i + 1).to_be_bytes());
        db.write_opt(batch, &write).expect("write");
        latencies.push(t.elapsed().as_nanos() as u64);
        i += 1;
    }
    Run {
        label: "raw RocksDB put (floor)".into(),
        subscribers: "0".into(),
        rows: i,
        elapsed: started.elapsed(),
        latencies,
        receive: Vec::new(),
        delivered: 0,
        expected: 0,
        resyncs: 0,
        round_rates: Vec::new(),
        writer_cpu_per_call: None,
        round_writer_cpu: Vec::new(),
    }
}

async fn engine_run(mode: Mode, count: usize, filtered: bool, pace: Pace) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = EngineOptions::default();
    // For tuning: `TIDEPOOL_BENCH_TICK_US` sets the fan-out's tick.
    if let Some(tick) = std::env::var("TIDEPOOL_BENCH_TICK_US")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.live_tick = Duration::from_micros(tick);
    }
    if let Some(rows) = std::env::var("TIDEPOOL_BENCH_HISTORY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.live_history_rows = rows;
    }
    let engine = Engine::open_with(dir.path(), options).expect("open");
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT)")
        .await
        .expect("create");
    let sql = if filtered {
        "SELECT id, n, body FROM app.t WHERE n % 10 = 0"
    } else {
        "SELECT id, n, body FROM app.t"
    };
    // Each subscriber counts what it received on its own counter (no counter shared
    // between them), and reads until its subscription is closed: the run ends by
    // killing it, so no timer is set per message.
    let resyncs = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let mut counters = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..count {
        let mut subscription = admin.subscribe(sql).await.expect("subscribe");
        ids.push(subscription.id().to_string());
        let delivered = Arc::new(AtomicU64::new(0));
        counters.push(delivered.clone());
        let resyncs = resyncs.clone();
        readers.push(tokio::spawn(async move {
            let mut receive = Vec::new();
            while let Some(message) = subscription.recv().await {
                match message {
                    LiveMessage::Changes {
                        changes, committed_at, ..
                    } => {
                        receive.push((now_micros() - committed_at).max(0) as u64);
                        delivered.fetch_add(changes.len() as u64, Ordering::Relaxed);
                    }
                    LiveMessage::Resync { .. } => {
                        resyncs.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            receive
        }));
    }

    // The writer runs on its own thread with its own runtime, like an application thread.
    let writer_engine = engine.clone();
    let (latencies, elapsed, rows, writer_cpu_per_call) = std::thread::Builder::new()
        .name("bench-writer".into())
        .spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let session = writer_engine.session(Actor::Admin);
        let table = TableName::new("app", "t");
        let per_call = mode.rows_per_call();
        let mut latencies = Vec::new();
        let sched_before = WriterSched::now();
        let started = Instant::now();
        let mut call = 0;
        while pace.admit(started, call, call * per_call) {
            let first = call * per_call;
            let t = Instant::now();
            match mode {
                Mode::Typed => {
                    let row = Row::from([
                        ("id".to_string(), Value::BigInt(first as i64)),
                        ("grp".to_string(), Value::Text(format!("g{}", first % 7))),
                        ("n".to_string(), Value::BigInt(first as i64)),
                        ("body".to_string(), Value::Text(body(first))),
                    ]);
                    session.insert_rows(&table, vec![row]).expect("insert");
                }
                Mode::Sql1 | Mode::Sql100 => {
                    let values: Vec<String> = (first..first + per_call)
                        .map(|i| format!("({i}, 'g{}', {i}, '{}')", i % 7, body(i)))
                        .collect();
                    runtime
                        .block_on(session.execute(&format!("INSERT INTO app.t VALUES {}", values.join(", "))))
                        .expect("insert");
                }
            }
            latencies.push(t.elapsed().as_nanos() as u64);
            call += 1;
        }
        let elapsed = started.elapsed();
        let mut cpu_per_call = None;
        if let (Some(before), Some(after)) = (sched_before, WriterSched::now()) {
            cpu_per_call = Some((after.on_cpu_ns - before.on_cpu_ns) as f64 / 1e3 / call.max(1) as f64);
            eprintln!(
                "  writer thread: on CPU {:.0} ms of {:.0} ms ({:.2} µs a call), runnable but waiting {:.1} ms, {} involuntary / {} voluntary switches, {} page faults",
                (after.on_cpu_ns - before.on_cpu_ns) as f64 / 1e6,
                elapsed.as_secs_f64() * 1e3,
                cpu_per_call.unwrap_or_default(),
                (after.waiting_ns - before.waiting_ns) as f64 / 1e6,
                after.involuntary - before.involuntary,
                after.voluntary - before.voluntary,
                after.faults - before.faults,
            );
        }
        (latencies, elapsed, call * per_call, cpu_per_call)
    })
    .expect("writer thread")
    .join()
    .expect("writer");

    let expected_each = if filtered { rows.div_ceil(10) } else { rows };
    let expected = expected_each * count as u64;
    // Until everything arrived, or 2 s without progress (a subscriber that was resynced
    // gets the rest as a snapshot, not as changes).
    let delivered = || counters.iter().map(|c| c.load(Ordering::Relaxed)).sum::<u64>();
    let (mut last, mut idle) = (0, 0);
    while delivered() < expected && idle < 20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = delivered();
        idle = if now == last { idle + 1 } else { 0 };
        last = now;
    }
    for id in &ids {
        // One that already ended (it failed) is not there to kill.
        let _ = admin.execute(&format!("KILL LIVE QUERY '{id}'")).await;
    }
    let mut receive = Vec::new();
    for reader in readers {
        if let Ok(samples) = reader.await {
            receive.extend(samples);
        }
    }
    Run {
        label: mode.label().into(),
        subscribers: describe(count, filtered),
        rows,
        elapsed,
        latencies,
        receive,
        delivered: delivered(),
        expected,
        resyncs: resyncs.load(Ordering::Relaxed),
        round_rates: Vec::new(),
        writer_cpu_per_call,
        round_writer_cpu: Vec::new(),
    }
}

/// The peer: SQLite in WAL mode (synchronous=NORMAL: no fsync per commit, like the
/// engine), a prepared insert per row, and an update hook that hands (rowid, time) to
/// each subscriber thread over a channel — the hook gives no row data, so SQLite's
/// subscribers receive less than Tidepool's.
fn sqlite_run(count: usize, filtered: bool, pace: Pace) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut connection = rusqlite::Connection::open(dir.path().join("bench.sqlite")).expect("open");
    connection.pragma_update(None, "journal_mode", "WAL").expect("wal");
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    connection
        .execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, grp TEXT, n INTEGER, body TEXT)",
            [],
        )
        .expect("create");
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let mut senders = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..count {
        let (tx, rx) = mpsc::channel::<(i64, Instant)>();
        senders.push(tx);
        let target = target.clone();
        readers.push(std::thread::spawn(move || {
            let mut receive = Vec::new();
            let mut seen = 0;
            while seen < target.load(Ordering::Relaxed) {
                let (rowid, at) = match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(item) => item,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                if filtered && rowid % 10 != 0 {
                    continue;
                }
                receive.push(at.elapsed().as_micros() as u64);
                seen += 1;
            }
            (receive, seen)
        }));
    }
    connection
        .update_hook(Some(
            move |_action: rusqlite::hooks::Action, _db: &str, _table: &str, rowid: i64| {
                let at = Instant::now();
                for tx in &senders {
                    let _ = tx.send((rowid, at));
                }
            },
        ))
        .expect("update hook");
    let mut latencies = Vec::new();
    let started = Instant::now();
    let mut rows = 0;
    {
        let mut insert = connection
            .prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        while pace.admit(started, rows, rows) {
            let i = rows;
            let t = Instant::now();
            insert
                .execute(rusqlite::params![i as i64, format!("g{}", i % 7), i as i64, body(i)])
                .expect("insert");
            latencies.push(t.elapsed().as_nanos() as u64);
            rows += 1;
        }
    }
    let elapsed = started.elapsed();
    let expected_each = if filtered { rows.div_ceil(10) } else { rows };
    target.store(expected_each, Ordering::Relaxed);
    // Dropping the hook drops the senders, so readers waiting for more rows stop.
    connection
        .update_hook(None::<fn(rusqlite::hooks::Action, &str, &str, i64)>)
        .expect("update hook");
    let mut receive = Vec::new();
    let mut delivered = 0;
    for reader in readers {
        if let Ok((samples, seen)) = reader.join() {
            receive.extend(samples);
            delivered += seen;
        }
    }
    Run {
        label: "SQLite WAL prepared insert + update_hook".into(),
        subscribers: describe(count, filtered),
        rows,
        elapsed,
        latencies,
        receive,
        delivered,
        expected: expected_each * count as u64,
        resyncs: 0,
        round_rates: Vec::new(),
        writer_cpu_per_call: None,
        round_writer_cpu: Vec::new(),
    }
}

impl Run {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// What the scheduler did to the current thread (Linux: `/proc/thread-self`), to tell
/// a writer slowed by its own work from one kept off its CPU.
struct WriterSched {
    on_cpu_ns: u64,
    waiting_ns: u64,
    voluntary: u64,
    involuntary: u64,
    faults: u64,
}

impl WriterSched {
    fn now() -> Option<WriterSched> {
        let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let mut times = schedstat.split_whitespace().map(|v| v.parse::<u64>().ok());
        let (on_cpu_ns, waiting_ns) = (times.next()??, times.next()??);
        let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
        let switches = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        // Minor faults: the 10th field of `stat`, the 8th after the command's ')'.
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let faults = stat.rsplit_once(')')?.1.split_whitespace().nth(7)?.parse().ok()?;
        Some(WriterSched {
            faults,
            on_cpu_ns,
            waiting_ns,
            voluntary: switches("voluntary_ctxt_switches:")?,
            involuntary: switches("nonvoluntary_ctxt_switches:")?,
        })
    }
}

fn percentile(samples: &mut [u64], p: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    samples.sort_unstable();
    let rank = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[rank]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// A 90% bootstrap interval of the median, from 10 rounds on (fewer say too little):
/// the 5th and 95th percentiles of the medians of 2,000 resamples, drawn with a fixed
/// seed so the same rounds always give the same interval.
fn median_interval(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 10 {
        return None;
    }
    // splitmix64
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut medians: Vec<f64> = (0..2000)
        .map(|_| {
            let resample: Vec<f64> = (0..values.len())
                .map(|_| values[(next() % values.len() as u64) as usize])
                .collect();
            median(&resample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    Some((medians[100], medians[1899]))
}

/// Per-round ratios as a percentage: their median, and its interval when there is one.
fn paired_summary(ratios: &[f64]) -> String {
    let mut summary = format!("{:+.1}%", median(ratios) * 100.0);
    if let Some((low, high)) = median_interval(ratios) {
        summary += &format!(" [{:+.1}%, {:+.1}%]", low * 100.0, high * 100.0);
    }
    summary
}

/// On stderr: how much more CPU time the writer thread spends per write call with
/// subscribers, round by round against the same round's run without (the part of the
/// overhead that is work on the writer's own core; the rest is time it waited for it).
fn print_writer_cpu(runs: &[Run]) {
    let mut baseline: Option<&Run> = None;
    for run in runs {
        if run.subscribers == "0" {
            baseline = Some(run);
            continue;
        }
        let Some(base) = baseline.filter(|base| base.label == run.label) else {
            continue;
        };
        let ratios: Vec<f64> = base
            .round_writer_cpu
            .iter()
            .zip(&run.round_writer_cpu)
            .filter_map(|(base, cpu)| Some(cpu.as_ref()? / base.as_ref()? - 1.0))
            .collect();
        if ratios.is_empty() {
            continue;
        }
        eprintln!(
            "writer thread on CPU per call, paired: {} | {}: {}",
            run.label,
            run.subscribers,
            paired_summary(&ratios)
        );
    }
}

fn print_table(runs: &[Run], paced: bool) {
    println!("| write path | subscribers | rows/s | p50 µs | p99 µs | vs 0 subscribers | paired | commit→receive p50 µs | p99 µs | delivered/expected | resyncs |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // The same write path's run without subscribers, when there is one.
    let mut baseline: Option<&Run> = None;
    for run in runs {
        let rate = run.rate();
        if run.subscribers == "0" {
            baseline = Some(run);
        }
        let (overhead, paired) = match baseline {
            Some(base) if base.label == run.label && run.subscribers != "0" && !paced => {
                // Paired: each round's run against the same round's run without
                // subscribers (they ran seconds apart), the median of those ratios.
                let ratios: Vec<f64> = base
                    .round_rates
                    .iter()
                    .zip(&run.round_rates)
                    .map(|(base, rate)| base / rate - 1.0)
                    .collect();
                (
                    format!("{:+.1}%", (base.rate() / rate - 1.0) * 100.0),
                    paired_summary(&ratios),
                )
            }
            _ => ("—".to_string(), "—".to_string()),
        };
        let mut latencies = run.latencies.clone();
        let mut receive = run.receive.clone();
        let (p50, p99) = (percentile(&mut latencies, 0.50), percentile(&mut latencies, 0.99));
        let (r50, r99) = (percentile(&mut receive, 0.50), percentile(&mut receive, 0.99));
        let delivery = if run.expected == 0 {
            "—".to_string()
        } else {
            format!("{}/{}", run.delivered, run.expected)
        };
        let receive_cols = if run.expected == 0 {
            "— | —".to_string()
        } else {
            format!("{r50} | {r99}")
        };
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
            run.label,
            run.subscribers,
            rate,
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
            overhead,
            paired,
            receive_cols,
            delivery,
            run.resyncs
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{median, median_interval};

    #[test]
    fn the_median_interval_holds_the_median_and_is_the_same_every_time() {
        let ratios: Vec<f64> = (0..30).map(|i| f64::from(i * 7 % 30) / 100.0).collect();
        let (low, high) = median_interval(&ratios).expect("30 rounds");
        assert!(low <= median(&ratios) && median(&ratios) <= high, "{low} {high}");
        assert!(low > 0.0 && high < 0.29, "narrower than the data: {low} {high}");
        assert_eq!(median_interval(&ratios), Some((low, high)));
        assert_eq!(median_interval(&ratios[..9]), None);
    }
}
