//! Rows kept between scans (`EngineOptions::scan_cache`) never change an answer: the
//! same random writes and scans on one engine that keeps decoded rows and one that
//! keeps none give equal results statement by statement; scans running while writers
//! commit see every commit whole (a constant sum stays constant, read by two partitions
//! at once); a small budget holds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Engine, EngineOptions, Session, StatementResult};

use crate::rng::Rng;

/// A statement's outcome as text: its rows, or its error's code.
async fn outcome(session: &Session, sql: &str) -> String {
    match session.execute(sql).await {
        Ok(results) => results
            .into_iter()
            .map(|r| match r {
                StatementResult::Rows { batches, .. } => format!("{:?}", tidepool_engine::rows_json(&batches)),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("error {}", e.code()),
    }
}

const SETUP: &str = "CREATE NAMESPACE c; \
    CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, body TEXT); \
    CREATE USER TABLE c.u (id BIGINT PRIMARY KEY, n BIGINT); \
    CREATE TABLE c.v (id BIGINT PRIMARY KEY, s TEXT); \
    INSERT INTO c.t SELECT value, value % 97, concat('row ', value) FROM generate_series(0, 19999); \
    INSERT INTO c.u (_user, id, n) SELECT CASE WHEN value % 3 = 0 THEN 'ann' ELSE 'bo' END, value, value % 11 \
        FROM generate_series(0, 5999); \
    INSERT INTO c.v SELECT value, 'v' FROM generate_series(0, 4999)";

/// One random statement: a write, DDL, or a scan.
fn statement(rng: &mut Rng, step: usize) -> (bool, String) {
    let a = rng.below(40_000) as i64;
    let width = rng.below(3_000) as i64;
    let user = rng.below(2) == 0;
    let sql = match rng.below(20) {
        0 => format!("INSERT INTO c.t VALUES ({a}, {}, 'one {step}')", a % 13),
        1 => format!(
            "INSERT INTO c.t SELECT value, value % 5, 'bulk {step}' FROM generate_series({a}, {})",
            a + width / 10
        ),
        2 => format!("UPDATE c.t SET n = n + 1 WHERE id BETWEEN {a} AND {}", a + width),
        3 => format!("UPDATE c.t SET id = id + 40000 WHERE id = {}", a % 20_000),
        4 => format!("DELETE FROM c.t WHERE id BETWEEN {a} AND {}", a + width / 20),
        5 => "DELETE FROM c.t WHERE n = 1000000".to_string(),
        6 => format!("UPDATE c.t SET body = 'changed {step}' WHERE n = {}", a % 97),
        7 => match step % 3 {
            0 => format!("ALTER TABLE c.t ADD COLUMN extra{step} BIGINT DEFAULT {a}"),
            1 => format!(
                "DROP TABLE c.v; CREATE TABLE c.v (id BIGINT PRIMARY KEY, s TEXT); \
                 INSERT INTO c.v SELECT value, 's{step}' FROM generate_series(0, {width})"
            ),
            _ => format!("UPDATE c.v SET s = 'x{step}' WHERE id < {}", width),
        },
        8 => format!("INSERT INTO c.u (id, n) VALUES ({}, {step})", 6_000 + a),
        9 => format!("UPDATE c.u SET n = n + 1 WHERE id < {}", a % 6_000),
        10 => format!("DELETE FROM c.u WHERE id BETWEEN {a} AND {}", a + 10),
        11 => "SELECT count(*), sum(n), min(id), max(id), count(body) FROM c.t WHERE body <> ''".to_string(),
        12 => format!(
            "SELECT * FROM c.t WHERE id BETWEEN {a} AND {} ORDER BY id",
            a + width / 30
        ),
        13 => "SELECT id, n, body FROM c.t ORDER BY n DESC, id LIMIT 10".to_string(),
        14 => "SELECT * FROM c.t LIMIT 7".to_string(),
        15 => format!("SELECT sum(n), count(*) FROM c.t WHERE id > {a} AND n > 3"),
        16 => "SELECT count(*), sum(n), max(id) FROM c.u WHERE n >= 0".to_string(),
        17 => "SELECT _user, count(*), sum(n) FROM c.u GROUP BY _user ORDER BY _user".to_string(),
        18 => "SELECT count(*), min(s), max(s), sum(id) FROM c.v WHERE id >= 0".to_string(),
        _ => format!("SELECT * FROM c.t WHERE id >= {a} ORDER BY id LIMIT 20"),
    };
    // The c.u statements without `_user` run as a user, the GROUP BY _user as admin.
    let as_user = user && sql.contains("c.u") && !sql.contains("_user");
    (as_user, sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_rows_give_the_same_answers_as_reading_the_store() {
    let seed: u64 = std::env::var("TIDEPOOL_SCAN_CACHE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261204);
    let steps: usize = std::env::var("TIDEPOOL_SCAN_CACHE_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let (dir_kept, dir_plain) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let kept = Engine::open(dir_kept.path()).unwrap();
    let plain = Engine::open_with(
        dir_plain.path(),
        EngineOptions {
            scan_cache: 0,
            ..Default::default()
        },
    )
    .unwrap();
    for engine in [&kept, &plain] {
        engine.session(Actor::Admin).execute(SETUP).await.unwrap();
    }
    let mut rng = Rng(seed);
    let mut scans = 0;
    for step in 0..steps {
        let (as_user, sql) = statement(&mut rng, step);
        let actor = if as_user {
            Actor::User("ann".into())
        } else {
            Actor::Admin
        };
        let got = outcome(&kept.session(actor.clone()), &sql).await;
        let want = outcome(&plain.session(actor.clone()), &sql).await;
        assert_eq!(
            got, want,
            "step {step} (seed {seed}, TIDEPOOL_SCAN_CACHE_SEED to replay), as {actor:?}: {sql}"
        );
        scans += sql.starts_with("SELECT") as usize;
    }
    // A LIMIT the scan stops at sends the rows it read before stopping (it once
    // dropped them: `SELECT * ... LIMIT 7` answered no rows, with or without kept rows).
    for engine in [&kept, &plain] {
        let first = outcome(&engine.session(Actor::Admin), "SELECT id FROM c.t LIMIT 7").await;
        assert_eq!(first.matches("Number").count(), 7, "{first}");
    }
    assert!(scans > steps / 3, "{scans} scans");
    assert!(kept.scan_cache_bytes() > 0, "the engine kept no rows");
    assert_eq!(plain.scan_cache_bytes(), 0);
}

/// Commits that move value between rows and move rows to new keys keep the table's
/// count and sum; scans read by two partitions while they commit must always see both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_beside_writers_see_each_commit_whole() {
    const ROWS: i64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(&format!(
            "CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, body TEXT); \
             INSERT INTO c.t SELECT value, value % 10, 'r' FROM generate_series(0, {})",
            ROWS - 1
        ))
        .await
        .unwrap();
    let explain = outcome(&admin, "EXPLAIN SELECT sum(n) FROM c.t WHERE body <> ''").await;
    assert!(explain.contains("partitions=2"), "{explain}");
    let total: i64 = (0..ROWS).map(|i| i % 10).sum();
    let expected = format!("[[Number({ROWS}), Number({total})]]");
    assert_eq!(
        outcome(&admin, "SELECT count(*), sum(n) FROM c.t WHERE body <> ''").await,
        expected
    );

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (engine, stop) = (engine.clone(), stop.clone());
        tokio::spawn(async move {
            let session = engine.session(Actor::Admin);
            let mut rng = Rng(7);
            let mut commits = 0;
            let mut moved = ROWS;
            while !stop.load(Ordering::SeqCst) {
                // Value moves between two rows of the first half; rows of the second
                // half move to new keys past the end (a delete and an insert).
                let sql = if commits % 3 == 2 {
                    let from = ROWS / 2 + rng.below(ROWS as usize / 2) as i64;
                    moved += 1;
                    format!("UPDATE c.t SET id = {moved} + {ROWS} WHERE id = {from}")
                } else {
                    let a = rng.below(ROWS as usize / 2) as i64;
                    let b = (a + 1 + rng.below(ROWS as usize / 2 - 1) as i64) % (ROWS / 2);
                    format!("UPDATE c.t SET n = CASE WHEN id = {a} THEN n + 7 ELSE n - 7 END WHERE id IN ({a}, {b})")
                };
                session.execute(&sql).await.unwrap();
                commits += 1;
            }
            commits
        })
    };
    let mut readers = Vec::new();
    for reader in 0..2 {
        let (engine, expected) = (engine.clone(), expected.clone());
        readers.push(tokio::spawn(async move {
            let session = engine.session(Actor::Admin);
            let started = Instant::now();
            let mut scans = 0;
            while started.elapsed() < Duration::from_secs(6) {
                let sql = if reader == 0 {
                    "SELECT count(*), sum(n) FROM c.t WHERE body <> ''"
                } else {
                    "SELECT count(id), sum(n) FROM c.t"
                };
                assert_eq!(outcome(&session, sql).await, expected, "scan {scans}");
                scans += 1;
            }
            scans
        }));
    }
    let mut scans = 0;
    for reader in readers {
        scans += reader.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let commits = writer.await.unwrap();
    assert!(commits > 20 && scans > 4, "{commits} commits, {scans} scans");
    assert_eq!(
        outcome(&admin, "SELECT count(*), sum(n) FROM c.t WHERE body <> ''").await,
        expected
    );
    assert!(engine.scan_cache_bytes() > 0);

    // And what they saw last is the table as it is: the same engine's scan equals a
    // scan of the database reopened by an engine that keeps nothing.
    let fingerprint = "SELECT count(*), sum(id), sum(id * n), max(id) FROM c.t WHERE body <> ''";
    let seen = outcome(&admin, fingerprint).await;
    drop((admin, engine));
    let reopened = Engine::open_with(
        dir.path(),
        EngineOptions {
            scan_cache: 0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(outcome(&reopened.session(Actor::Admin), fingerprint).await, seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_budget_holds_and_answers_stay_exact() {
    const BUDGET: usize = 4 << 20;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_with(
        dir.path(),
        EngineOptions {
            scan_cache: BUDGET,
            ..Default::default()
        },
    )
    .unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE c; \
             CREATE TABLE c.a (id BIGINT PRIMARY KEY, body TEXT); \
             CREATE TABLE c.b (id BIGINT PRIMARY KEY, body TEXT); \
             INSERT INTO c.a SELECT value, repeat('a', 100) FROM generate_series(1, 30000); \
             INSERT INTO c.b SELECT value, repeat('b', 100) FROM generate_series(1, 30000)",
        )
        .await
        .unwrap();
    for round in 0..4 {
        for table in ["c.a", "c.b"] {
            assert_eq!(
                outcome(
                    &admin,
                    &format!("SELECT count(*), sum(length(body)) FROM {table} WHERE body <> ''")
                )
                .await,
                "[[Number(30000), Number(3000000)]]",
                "round {round}, {table}"
            );
            assert!(
                engine.scan_cache_bytes() <= BUDGET,
                "{} bytes kept",
                engine.scan_cache_bytes()
            );
        }
    }
    assert!(engine.scan_cache_bytes() > 0);
}
