//! Crash consistency: a child process commits rows and reports each acknowledged
//! commit; the parent kills it with SIGKILL at a random moment, reopens the directory
//! and checks that every acknowledged row is there and the data is consistent.
//!
//! The child is this test binary run again with `TIDEPOOL_CRASH_CHILD` set.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Engine, Row, StatementResult, TableName, Value};

const ROUNDS: usize = 20;
/// Rows per commit: every batch must be wholly present or wholly absent.
const BATCH: i64 = 5;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let mut acked: BTreeSet<i64> = BTreeSet::new();
    let mut seed = 0x5eed_u64;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &child_test_name(), "--nocapture", "--test-threads=1"])
            .env("TIDEPOOL_CRASH_CHILD", dir.path())
            .env("TIDEPOOL_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill after a random number of acknowledgements (5..200), or after a
        // deadline if the child is slow to start.
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let kill_after = 5 + (seed >> 33) % 195;
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(ack) = line.strip_prefix("ack ") {
                    let mut parts = ack.split(' ');
                    let seq: u64 = parts.next().unwrap().parse().unwrap();
                    let first: i64 = parts.next().unwrap().parse().unwrap();
                    if tx.send((seq, first)).is_err() {
                        return;
                    }
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = 0;
        while seen < kill_after && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((_, first)) => {
                    acked.extend(first..first + BATCH);
                    seen += 1;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        // Acknowledgements already in the pipe were acknowledged before the kill.
        while let Ok((_, first)) = rx.try_recv() {
            acked.extend(first..first + BATCH);
        }
        assert!(seen > 0, "round {round}: the child acknowledged nothing");
        check(dir.path(), &acked, round);
    }
}

fn setup(dir: &std::path::Path) {
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    block_on(session.execute(
        "CREATE NAMESPACE c; CREATE TABLE c.rows (id BIGINT PRIMARY KEY, batch BIGINT NOT NULL, payload TEXT)",
    ))
    .unwrap();
}

/// Reopens the directory: every acknowledged row is present, every batch is whole,
/// and the stored row count matches the rows.
fn check(dir: &std::path::Path, acked: &BTreeSet<i64>, round: usize) {
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    let results = block_on(
        session.execute("SELECT id, batch FROM c.rows ORDER BY id; SELECT rows FROM system.tables WHERE name = 'rows'"),
    )
    .unwrap();
    let rows = tidepool_engine::rows_json(match &results[0] {
        StatementResult::Rows { batches, .. } => batches,
        _ => unreachable!(),
    });
    let present: BTreeSet<i64> = rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    let missing: Vec<_> = acked.difference(&present).take(5).collect();
    assert!(missing.is_empty(), "round {round}: acknowledged rows lost: {missing:?}");
    let mut per_batch = std::collections::BTreeMap::<i64, i64>::new();
    for r in &rows {
        *per_batch.entry(r[1].as_i64().unwrap()).or_default() += 1;
    }
    for (batch, n) in per_batch {
        assert_eq!(n, BATCH, "round {round}: batch {batch} is torn");
    }
    let counted = tidepool_engine::rows_json(match &results[1] {
        StatementResult::Rows { batches, .. } => batches,
        _ => unreachable!(),
    })[0][0]
        .as_i64()
        .unwrap();
    assert_eq!(
        counted as usize,
        present.len(),
        "round {round}: stored row count disagrees"
    );
}

/// The child: commit batches forever (until killed), half of the rounds through SQL,
/// half through the typed API, printing `ack <seq> <first id>` after each commit.
/// `crash_child`'s name as the test harness knows it: its module path without the
/// binary's crate name (`crash::crash_child`).
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::crash_child")
}

#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os("TIDEPOOL_CRASH_CHILD") else {
        return;
    };
    let round: usize = std::env::var("TIDEPOOL_CRASH_ROUND").unwrap().parse().unwrap();
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    let table = TableName::new("c", "rows");
    let start = block_on(session.execute("SELECT coalesce(max(id), 0) FROM c.rows")).unwrap();
    let mut next = match &start[0] {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(batches)[0][0].as_i64().unwrap() + 1,
        _ => unreachable!(),
    };
    let mut out = std::io::stdout().lock();
    loop {
        let first = next;
        let batch = first / BATCH;
        let seq = if round % 2 == 0 {
            let values: Vec<String> = (first..first + BATCH)
                .map(|id| format!("({id}, {batch}, 'sql row {id}')"))
                .collect();
            block_on(session.execute(&format!("INSERT INTO c.rows VALUES {}", values.join(", ")))).unwrap();
            engine.last_seq()
        } else {
            let rows = (first..first + BATCH)
                .map(|id| {
                    Row::from([
                        ("id".to_string(), Value::BigInt(id)),
                        ("batch".to_string(), Value::BigInt(batch)),
                        ("payload".to_string(), Value::Text(format!("typed row {id}"))),
                    ])
                })
                .collect();
            session.insert_rows(&table, rows).unwrap().seq
        };
        writeln!(out, "ack {seq} {first}").unwrap();
        out.flush().unwrap();
        next += BATCH;
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
