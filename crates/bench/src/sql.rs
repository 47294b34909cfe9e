//! The SQL section: what one statement costs, and what scans cost, side by side with
//! SQLite in one run. Both hold the same rows `(id BIGINT PRIMARY KEY, grp TEXT, n
//! BIGINT, body TEXT ≈ 60 bytes)`; SQLite runs in WAL mode with `synchronous=NORMAL`
//! (Tidepool's default does not fsync either). Each statement runs as text (parsed and
//! planned every time: Tidepool's `Session::execute`, rusqlite's `execute`/`prepare`
//! per call) and prepared once with parameters (`Session::prepare` +
//! `execute_prepared`; rusqlite's cached statement). Single-row statements report
//! p50/p99 over `TIDEPOOL_BENCH_SQL_CALLS` calls (default 2,000); scans the median of
//! five runs; the bulk load its total time (Tidepool's prepared form is one batch of
//! 1,000 parameter rows per transaction, SQLite's one transaction of 1,000 prepared
//! inserts). `TIDEPOOL_BENCH_SQL_ROWS` sets the table size (default 300,000).
//! Scans keep what they decode for the next scan (`EngineOptions::scan_cache`), so the
//! two full scans are also measured with one row updated before each run (one segment
//! read again) and on an engine that keeps nothing (every row read from RocksDB).

use std::time::{Duration, Instant};

use rusqlite::params;
use tidepool_engine::{Actor, Engine, Session, StatementResult, Value};

use crate::baseline::Numbers;

/// One statement's cost on each side: p50 and p99 in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub p50_us: f64,
    pub p99_us: f64,
}

pub struct Row {
    pub label: &'static str,
    pub tidepool_text: Cost,
    pub tidepool_prepared: Cost,
    pub sqlite_text: Cost,
    pub sqlite_prepared: Cost,
}

impl Row {
    /// The rows of the baseline: (statement, variant, numbers).
    pub fn baseline_rows(&self) -> Vec<(String, String, Numbers)> {
        [
            ("tidepool text", self.tidepool_text),
            ("tidepool prepared", self.tidepool_prepared),
            ("sqlite text", self.sqlite_text),
            ("sqlite prepared", self.sqlite_prepared),
        ]
        .into_iter()
        .map(|(variant, cost)| {
            let numbers = Numbers {
                rows_per_s: 1e6 / cost.p50_us.max(1e-3),
                p50_us: cost.p50_us,
                p99_us: cost.p99_us,
                receive_p99_us: None,
            };
            (self.label.to_string(), variant.to_string(), numbers)
        })
        .collect()
    }
}

fn body(i: i64) -> String {
    format!("{i:08}-the quick brown fox jumps over the lazy dog, {:08}", i * 7)
}

fn group(i: i64) -> String {
    format!("g{}", i % 100)
}

/// p50 and p99 of call durations.
fn cost(mut samples: Vec<Duration>) -> Cost {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    Cost {
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// Times `f` `n` times.
async fn timed<F, Fut>(n: usize, mut f: F) -> Cost
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await;
        samples.push(t.elapsed());
    }
    cost(samples)
}

fn timed_sync(n: usize, mut f: impl FnMut(usize)) -> Cost {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed());
    }
    cost(samples)
}

async fn run(session: &Session, sql: &str) -> StatementResult {
    let mut results = session.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    results.pop().expect("a result")
}

/// The scans: label, Tidepool's SQL, SQLite's SQL.
fn scans(rows: i64) -> Vec<(&'static str, String, String)> {
    let (a, b) = (rows + 1_000_000, rows + 1_000_010);
    vec![
        (
            "count(*) of every row",
            "SELECT count(*) FROM b.t".into(),
            "SELECT count(*) FROM t".into(),
        ),
        (
            "count(*) WHERE n < 10",
            "SELECT count(*) FROM b.t WHERE n < 10".into(),
            "SELECT count(*) FROM t WHERE n < 10".into(),
        ),
        (
            "ORDER BY n DESC LIMIT 10",
            "SELECT id, n FROM b.t ORDER BY n DESC LIMIT 10".into(),
            "SELECT id, n FROM t ORDER BY n DESC LIMIT 10".into(),
        ),
        (
            "empty key range (id BETWEEN a AND b)",
            format!("SELECT * FROM b.t WHERE id BETWEEN {a} AND {b}"),
            format!("SELECT * FROM t WHERE id BETWEEN {a} AND {b}"),
        ),
        (
            "GROUP BY grp: count, sum, avg",
            "SELECT grp, count(*), sum(n), avg(n) FROM b.t GROUP BY grp".into(),
            "SELECT grp, count(*), sum(n), avg(n) FROM t GROUP BY grp".into(),
        ),
    ]
}

pub async fn sql() -> Vec<Row> {
    let rows: i64 = std::env::var("TIDEPOOL_BENCH_SQL_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let calls: usize = std::env::var("TIDEPOOL_BENCH_SQL_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path().join("tidepool")).expect("open");
    let session = engine.session(Actor::Admin);
    session
        .execute(
            "CREATE NAMESPACE b; \
             CREATE TABLE b.t (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT); \
             CREATE TABLE b.p (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT)",
        )
        .await
        .expect("schema");
    let sqlite = rusqlite::Connection::open(dir.path().join("bench.sqlite")).expect("sqlite");
    sqlite.pragma_update(None, "journal_mode", "WAL").expect("wal");
    sqlite
        .pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    sqlite
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, grp TEXT, n INTEGER, body TEXT); \
             CREATE TABLE p (id INTEGER PRIMARY KEY, grp TEXT, n INTEGER, body TEXT);",
        )
        .expect("sqlite schema");
    let mut out = Vec::new();

    // The bulk load: 1,000 rows per statement (or per batch / transaction).
    let values = |from: i64| -> String {
        (from..(from + 1000).min(rows))
            .map(|i| format!("({i}, '{}', {}, '{}')", group(i), i % 1000, body(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let t = Instant::now();
    for from in (0..rows).step_by(1000) {
        run(&session, &format!("INSERT INTO b.t VALUES {}", values(from))).await;
    }
    let tidepool_text = t.elapsed();
    let insert = session
        .prepare("INSERT INTO b.p VALUES ($1, $2, $3, $4)")
        .await
        .expect("prepare");
    let t = Instant::now();
    for from in (0..rows).step_by(1000) {
        session
            .execute_prepared_batch(&insert, &batch(from, rows))
            .await
            .expect("batch");
    }
    let tidepool_prepared = t.elapsed();
    let t = Instant::now();
    for from in (0..rows).step_by(1000) {
        sqlite
            .execute(&format!("INSERT INTO t VALUES {}", values(from)), [])
            .expect("sqlite insert");
    }
    let sqlite_text = t.elapsed();
    let t = Instant::now();
    for from in (0..rows).step_by(1000) {
        let tx = sqlite.unchecked_transaction().expect("tx");
        {
            let mut statement = tx
                .prepare_cached("INSERT INTO p VALUES (?1, ?2, ?3, ?4)")
                .expect("prepare");
            for i in from..(from + 1000).min(rows) {
                statement
                    .execute(params![i, group(i), i % 1000, body(i)])
                    .expect("sqlite insert");
            }
        }
        tx.commit().expect("commit");
    }
    let sqlite_prepared = t.elapsed();
    let total = |d: Duration| Cost {
        p50_us: d.as_secs_f64() * 1e6,
        p99_us: d.as_secs_f64() * 1e6,
    };
    let bulk = Row {
        label: "bulk INSERT, 1,000 rows per statement (total)",
        tidepool_text: total(tidepool_text),
        tidepool_prepared: total(tidepool_prepared),
        sqlite_text: total(sqlite_text),
        sqlite_prepared: total(sqlite_prepared),
    };

    // Single rows, autocommit. New ids above the loaded ones; keys spread over the table.
    let key = |i: usize| (i as i64 * 7919) % rows;
    let fresh = |i: usize, side: i64| rows + side * 10_000_000 + i as i64;
    let insert_one = session
        .prepare("INSERT INTO b.t VALUES ($1, $2, $3, $4)")
        .await
        .expect("prepare");
    let select = session
        .prepare("SELECT * FROM b.t WHERE id = $1")
        .await
        .expect("prepare");
    let update = session
        .prepare("UPDATE b.t SET n = $2 WHERE id = $1")
        .await
        .expect("prepare");
    let s = &session;
    let one_row = [
        (
            "INSERT 1 row, autocommit",
            timed(calls, |i| async move {
                let id = fresh(i, 1);
                run(
                    s,
                    &format!(
                        "INSERT INTO b.t VALUES ({id}, '{}', {}, '{}')",
                        group(id),
                        id % 1000,
                        body(id)
                    ),
                )
                .await;
            })
            .await,
            timed(calls, |i| {
                let insert_one = &insert_one;
                async move {
                    let id = fresh(i, 2);
                    let params = [
                        Value::BigInt(id),
                        Value::Text(group(id)),
                        Value::BigInt(id % 1000),
                        Value::Text(body(id)),
                    ];
                    s.execute_prepared(insert_one, &params).await.expect("insert");
                }
            })
            .await,
            timed_sync(calls, |i| {
                let id = fresh(i, 1);
                sqlite
                    .execute(
                        &format!(
                            "INSERT INTO t VALUES ({id}, '{}', {}, '{}')",
                            group(id),
                            id % 1000,
                            body(id)
                        ),
                        [],
                    )
                    .expect("sqlite insert");
            }),
            timed_sync(calls, |i| {
                let id = fresh(i, 2);
                let mut statement = sqlite
                    .prepare_cached("INSERT INTO t VALUES (?1, ?2, ?3, ?4)")
                    .expect("prepare");
                statement
                    .execute(params![id, group(id), id % 1000, body(id)])
                    .expect("sqlite insert");
            }),
        ),
        (
            "SELECT by primary key",
            timed(calls, |i| async move {
                run(s, &format!("SELECT * FROM b.t WHERE id = {}", key(i))).await;
            })
            .await,
            timed(calls, |i| {
                let select = &select;
                async move {
                    s.execute_prepared(select, &[Value::BigInt(key(i))])
                        .await
                        .expect("select");
                }
            })
            .await,
            timed_sync(calls, |i| {
                let mut statement = sqlite
                    .prepare(&format!("SELECT * FROM t WHERE id = {}", key(i)))
                    .expect("prepare");
                let found: Vec<(i64, String)> = statement
                    .query_map([], |r| Ok((r.get(0)?, r.get(3)?)))
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                assert_eq!(found.len(), 1);
            }),
            timed_sync(calls, |i| {
                let mut statement = sqlite.prepare_cached("SELECT * FROM t WHERE id = ?1").expect("prepare");
                let found: Vec<(i64, String)> = statement
                    .query_map([key(i)], |r| Ok((r.get(0)?, r.get(3)?)))
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                assert_eq!(found.len(), 1);
            }),
        ),
        (
            "UPDATE by primary key",
            timed(calls, |i| async move {
                run(s, &format!("UPDATE b.t SET n = {} WHERE id = {}", 5000 + i, key(i))).await;
            })
            .await,
            timed(calls, |i| {
                let update = &update;
                async move {
                    let params = [Value::BigInt(key(i)), Value::BigInt(9000 + i as i64)];
                    s.execute_prepared(update, &params).await.expect("update");
                }
            })
            .await,
            timed_sync(calls, |i| {
                sqlite
                    .execute(&format!("UPDATE t SET n = {} WHERE id = {}", 5000 + i, key(i)), [])
                    .expect("sqlite update");
            }),
            timed_sync(calls, |i| {
                let mut statement = sqlite
                    .prepare_cached("UPDATE t SET n = ?2 WHERE id = ?1")
                    .expect("prepare");
                statement
                    .execute(params![key(i), 9000 + i as i64])
                    .expect("sqlite update");
            }),
        ),
    ];
    for (label, tidepool_text, tidepool_prepared, sqlite_text, sqlite_prepared) in one_row {
        out.push(Row {
            label,
            tidepool_text,
            tidepool_prepared,
            sqlite_text,
            sqlite_prepared,
        });
    }
    out.push(bulk);

    // Scans: the median of five runs each way.
    for (label, ours, theirs) in scans(rows) {
        let prepared = session.prepare(&ours).await.expect("prepare");
        let tidepool_text = timed(5, |_| {
            let ours = &ours;
            async move {
                run(s, ours).await;
            }
        })
        .await;
        let tidepool_prepared = timed(5, |_| {
            let prepared = &prepared;
            async move {
                s.execute_prepared(prepared, &[]).await.expect("scan");
            }
        })
        .await;
        let read_all = |statement: &mut rusqlite::Statement<'_>| {
            let columns = statement.column_count();
            let mut rows = statement.query([]).expect("query");
            let mut cells = 0usize;
            while let Some(row) = rows.next().expect("row") {
                for c in 0..columns {
                    let _: rusqlite::types::Value = row.get(c).expect("cell");
                    cells += 1;
                }
            }
            cells
        };
        let sqlite_text = timed_sync(5, |_| {
            let mut statement = sqlite.prepare(&theirs).expect("prepare");
            read_all(&mut statement);
        });
        let sqlite_prepared = timed_sync(5, |_| {
            let mut statement = sqlite.prepare_cached(&theirs).expect("prepare");
            read_all(&mut statement);
        });
        out.push(Row {
            label,
            tidepool_text,
            tidepool_prepared,
            sqlite_text,
            sqlite_prepared,
        });
    }
    out.extend(kept_rows_variants(&session, rows, &out).await);
    drop(sqlite);
    out
}

/// Marks the rows measured on an engine that keeps no rows between scans.
const NOTHING_KEPT: &str = "nothing kept (scan_cache 0)";

/// Rows `from..from + 1000` (at most `rows`) as prepared-batch parameter rows.
fn batch(from: i64, rows: i64) -> Vec<Vec<Value>> {
    (from..(from + 1000).min(rows))
        .map(|i| {
            vec![
                Value::BigInt(i),
                Value::Text(group(i)),
                Value::BigInt(i % 1000),
                Value::Text(body(i)),
            ]
        })
        .collect()
}

/// What the two full scans cost when the rows an earlier scan decoded cannot all
/// serve (`EngineOptions::scan_cache`): with one row updated before each run (one
/// segment read again), and on an engine that keeps nothing (every row read from
/// RocksDB). SQLite's numbers are its rows' above, for the ratios.
async fn kept_rows_variants(session: &Session, rows: i64, out: &[Row]) -> Vec<Row> {
    let sqlite_of = |label: &str| {
        let row = out.iter().find(|r| r.label == label).expect("scan row");
        (row.sqlite_text, row.sqlite_prepared)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = Engine::open_with(
        dir.path(),
        tidepool_engine::EngineOptions {
            scan_cache: 0,
            ..Default::default()
        },
    )
    .expect("open");
    let plain_session = plain.session(Actor::Admin);
    plain_session
        .execute("CREATE NAMESPACE b; CREATE TABLE b.t (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT, body TEXT)")
        .await
        .expect("schema");
    let insert = plain_session
        .prepare("INSERT INTO b.t VALUES ($1, $2, $3, $4)")
        .await
        .expect("prepare");
    for from in (0..rows).step_by(1000) {
        plain_session
            .execute_prepared_batch(&insert, &batch(from, rows))
            .await
            .expect("batch");
    }
    let mut variants = Vec::new();
    for (base, label_updated, label_plain, sql) in [
        (
            "count(*) WHERE n < 10",
            "count(*) WHERE n < 10, a row updated before each run",
            "count(*) WHERE n < 10, nothing kept (scan_cache 0)",
            "SELECT count(*) FROM b.t WHERE n < 10",
        ),
        (
            "ORDER BY n DESC LIMIT 10",
            "ORDER BY n DESC LIMIT 10, a row updated before each run",
            "ORDER BY n DESC LIMIT 10, nothing kept (scan_cache 0)",
            "SELECT id, n FROM b.t ORDER BY n DESC LIMIT 10",
        ),
    ] {
        let (sqlite_text, sqlite_prepared) = sqlite_of(base);
        let prepared = session.prepare(sql).await.expect("prepare");
        let mut text = Vec::new();
        let mut kept = Vec::new();
        for i in 0..5 {
            let id = (i as i64 * 104_729) % rows;
            run(session, &format!("UPDATE b.t SET n = n + 1 WHERE id = {id}")).await;
            let t = Instant::now();
            run(session, sql).await;
            text.push(t.elapsed());
            run(session, &format!("UPDATE b.t SET n = n - 1 WHERE id = {id}")).await;
            let t = Instant::now();
            session.execute_prepared(&prepared, &[]).await.expect("scan");
            kept.push(t.elapsed());
        }
        variants.push(Row {
            label: label_updated,
            tidepool_text: cost(text),
            tidepool_prepared: cost(kept),
            sqlite_text,
            sqlite_prepared,
        });
        let prepared = plain_session.prepare(sql).await.expect("prepare");
        let s = &plain_session;
        variants.push(Row {
            label: label_plain,
            tidepool_text: timed(5, |_| async move {
                run(s, sql).await;
            })
            .await,
            tidepool_prepared: timed(5, |_| {
                let prepared = &prepared;
                async move {
                    s.execute_prepared(prepared, &[]).await.expect("scan");
                }
            })
            .await,
            sqlite_text,
            sqlite_prepared,
        });
    }
    variants
}

/// The table of docs/benchmarks.md, and the targets of the SQL-speed issue.
pub fn print(rows: &[Row]) {
    let ms = |c: Cost| {
        if c.p50_us >= 10_000.0 {
            format!("{:.0} ms", c.p50_us / 1000.0)
        } else if c.p50_us >= 1000.0 {
            format!("{:.2} ms", c.p50_us / 1000.0)
        } else {
            format!("{:.1} µs", c.p50_us)
        }
    };
    println!("| statement | Tidepool text | Tidepool prepared | SQLite text | SQLite prepared | text ratio | prepared ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.1}x | {:.1}x |",
            row.label,
            ms(row.tidepool_text),
            ms(row.tidepool_prepared),
            ms(row.sqlite_text),
            ms(row.sqlite_prepared),
            row.tidepool_text.p50_us / row.sqlite_text.p50_us,
            row.tidepool_prepared.p50_us / row.sqlite_prepared.p50_us,
        );
    }
    println!("\np50 of single-row statements (p99 on stderr); the bulk load's total; scans the median of five.");
    for row in rows {
        eprintln!(
            "sql: {} p99 µs: Tidepool text {:.1}, prepared {:.1}; SQLite text {:.1}, prepared {:.1}",
            row.label,
            row.tidepool_text.p99_us,
            row.tidepool_prepared.p99_us,
            row.sqlite_text.p99_us,
            row.sqlite_prepared.p99_us
        );
    }
    // The engine as it ships keeps rows between scans; the rows measured with
    // `scan_cache 0` show what a scan of RocksDB alone costs, for scale.
    let shipped: Vec<&Row> = rows.iter().filter(|r| !r.label.contains(NOTHING_KEPT)).collect();
    let within = shipped
        .iter()
        .filter(|r| r.tidepool_text.p50_us <= 2.0 * r.sqlite_text.p50_us)
        .count();
    println!(
        "\nTargets: {} of {} statements within 2x of SQLite's text statements{} (the {} rows, for scale, not counted: {})",
        within,
        shipped.len(),
        if within == shipped.len() {
            " (met)"
        } else {
            " (missed)"
        },
        NOTHING_KEPT,
        rows.iter()
            .filter(|r| r.label.contains(NOTHING_KEPT))
            .map(|r| format!("{:.1}x", r.tidepool_text.p50_us / r.sqlite_text.p50_us))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(group) = rows.iter().find(|r| r.label.starts_with("GROUP BY")) {
        let met = group.tidepool_text.p50_us <= group.sqlite_text.p50_us;
        println!(
            "GROUP BY no slower than SQLite: {} vs {} ({})",
            ms(group.tidepool_text),
            ms(group.sqlite_text),
            if met { "met" } else { "missed" }
        );
    }
    for row in rows.iter().take(3) {
        let met = row.tidepool_prepared.p50_us < 25.0;
        println!(
            "prepared {} p50 under 25 µs: {} ({})",
            row.label,
            ms(row.tidepool_prepared),
            if met { "met" } else { "missed" }
        );
    }
}
