//! Statements are bounded and can be stopped: `system.queries` lists what runs,
//! `KILL QUERY`, a time limit and a cancel handle stop it, a stopped write has written
//! nothing, and a statement's memory is capped (sorts spill, what cannot spill fails
//! with `resources_exhausted`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tidepool_engine::{Actor, CancelHandle, Engine, EngineOptions, Error, RunOptions, Session, StatementResult};

/// A query that runs for seconds: a cross join of 4,000 rows with itself, grouped.
const SLOW: &str = "SELECT count(*) FROM app.big a CROSS JOIN app.big b WHERE a.n + b.n = -1";

async fn engine_with(options: EngineOptions) -> (tempfile::TempDir, Arc<Engine>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open_with(dir.path(), options).unwrap());
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE app; \
             CREATE TABLE app.big (id BIGINT PRIMARY KEY, n BIGINT, body TEXT); \
             CREATE TABLE app.copy (id BIGINT PRIMARY KEY, n BIGINT); \
             CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await
        .unwrap();
    let prepared = admin.prepare("INSERT INTO app.big VALUES ($1, $2, $3)").await.unwrap();
    let rows: Vec<Vec<tidepool_engine::Value>> = (0..4_000)
        .map(|i| {
            vec![
                tidepool_engine::Value::BigInt(i),
                tidepool_engine::Value::BigInt(i % 97),
                tidepool_engine::Value::Text(format!("row {i} {}", "x".repeat(40))),
            ]
        })
        .collect();
    admin.execute_prepared_batch(&prepared, &rows).await.unwrap();
    (dir, engine)
}

async fn count(session: &Session, sql: &str) -> i64 {
    let StatementResult::Rows { batches, .. } = session.execute(sql).await.unwrap().pop().unwrap() else {
        panic!("{sql}: no rows")
    };
    tidepool_engine::rows_json(&batches)[0][0].as_i64().unwrap()
}

/// The running statements an actor sees whose text contains `needle`.
fn running(engine: &Engine, actor: &Actor, needle: &str) -> Vec<tidepool_engine::RunningQuery> {
    engine
        .running_queries(actor)
        .into_iter()
        .filter(|q| q.sql.contains(needle))
        .collect()
}

async fn wait_for_running(engine: &Engine, needle: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(q) = running(engine, &Actor::Admin, needle).pop() {
            return q.id;
        }
        assert!(
            Instant::now() < deadline,
            "the statement never showed in system.queries"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_query_stops_a_running_statement_listed_in_system_queries() {
    let (_dir, engine) = engine_with(EngineOptions::default()).await;
    let slow = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.session(Actor::Admin).execute(SLOW).await })
    };
    let id = wait_for_running(&engine, "CROSS JOIN").await;

    // Listed for an admin with who runs it and for how long; a user sees only their own.
    let admin = engine.session(Actor::Admin);
    let StatementResult::Rows { batches, .. } = admin
        .execute(&format!(
            "SELECT id, user, query, state, elapsed_ms >= 0 FROM system.queries WHERE id = {id}"
        ))
        .await
        .unwrap()
        .pop()
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        tidepool_engine::rows_json(&batches),
        vec![vec![
            json!(id),
            json!("admin"),
            json!(SLOW),
            json!("running"),
            json!(true)
        ]]
    );
    let user = engine.session(Actor::User("ann".into()));
    // (The user's own statement is listed: it is running.)
    assert_eq!(
        count(&user, "SELECT count(*) FROM system.queries WHERE user <> 'ann'").await,
        0
    );
    assert_eq!(
        count(&user, "SELECT count(*) FROM system.queries WHERE user = 'ann'").await,
        1
    );
    let refused = user.execute(&format!("KILL QUERY {id}")).await.unwrap_err();
    assert_eq!(
        refused.code(),
        "not_found",
        "a user cannot stop another's statement: {refused}"
    );

    let started = Instant::now();
    admin.execute(&format!("KILL QUERY {id}")).await.unwrap();
    let error = slow.await.unwrap().unwrap_err();
    assert_eq!(error.code(), "cancelled", "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the kill took {:?}",
        started.elapsed()
    );
    assert!(
        running(&engine, &Actor::Admin, "CROSS JOIN").is_empty(),
        "a stopped statement leaves the list"
    );

    // The engine goes on; a statement that is not running cannot be killed.
    assert_eq!(count(&admin, "SELECT count(*) FROM app.big").await, 4_000);
    assert_eq!(
        admin.execute(&format!("KILL QUERY {id}")).await.unwrap_err().code(),
        "not_found"
    );
    let syntax = admin.execute("KILL QUERY 'x'").await.unwrap_err();
    assert_eq!(syntax.code(), "syntax", "{syntax}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_stops_reads_and_writes_and_a_stopped_write_writes_nothing() {
    let (_dir, engine) = engine_with(EngineOptions::default()).await;
    let admin = engine.session(Actor::Admin);
    let limit = RunOptions {
        timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    };

    let started = Instant::now();
    let error = admin.execute_with(SLOW, &limit).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { limit_ms: 200 }), "{error}");
    assert_eq!(error.code(), "timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        started.elapsed()
    );

    // INSERT ... SELECT, UPDATE and DELETE whose selection runs past the limit: nothing
    // written, not even once their work in the background has run its course. Each
    // selection is a nested-loop join over 16 million pairs (an equality between the two
    // sides, `a.n = b.n`, would plan as a hash join and finish within the limit).
    let writes = [
        "INSERT INTO app.copy SELECT a.id * 10000 + b.id, a.n FROM app.big a CROSS JOIN app.big b WHERE a.n + b.n < 3",
        "UPDATE app.big SET n = -n WHERE id IN (SELECT a.id FROM app.big a CROSS JOIN app.big b WHERE a.n + b.n = 5)",
        "DELETE FROM app.big WHERE id IN (SELECT a.id FROM app.big a CROSS JOIN app.big b WHERE a.n - b.n = 96)",
    ];
    let seq = engine.last_seq();
    for sql in writes {
        let error = admin.execute_with(sql, &limit).await.unwrap_err();
        assert_eq!(error.code(), "timeout", "{sql}: {error}");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(engine.last_seq(), seq, "a stopped write committed");
    assert_eq!(count(&admin, "SELECT count(*) FROM app.copy").await, 0);
    assert_eq!(count(&admin, "SELECT count(*) FROM app.big WHERE n < 0").await, 0);
    assert_eq!(count(&admin, "SELECT count(*) FROM app.big").await, 4_000);

    // Within the limit, statements run as ever; the engine's own default applies
    // when the call gives none.
    assert_eq!(
        admin
            .execute_with("INSERT INTO app.copy VALUES (1, 1)", &limit)
            .await
            .unwrap()
            .len(),
        1
    );
    // The rows are written before the limit applies: under load, even writing them can
    // take longer than 100 ms in a debug build.
    let (dir, loaded) = engine_with(EngineOptions::default()).await;
    drop(loaded);
    let strict = Engine::open_with(
        dir.path(),
        EngineOptions {
            statement_timeout: Some(Duration::from_millis(100)),
            ..Default::default()
        },
    )
    .unwrap();
    let session = strict.session(Actor::Admin);
    let error = session.execute(SLOW).await.unwrap_err();
    assert_eq!(error.code(), "timeout", "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_handle_stops_the_statement_it_was_given_to() {
    let (_dir, engine) = engine_with(EngineOptions::default()).await;
    let cancel = CancelHandle::new();
    let options = RunOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let slow = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.session(Actor::Admin).execute_with(SLOW, &options).await })
    };
    wait_for_running(&engine, "CROSS JOIN").await;
    cancel.cancel();
    let error = slow.await.unwrap().unwrap_err();
    assert_eq!(error.code(), "cancelled", "{error}");

    // A handle cancelled before the statement starts stops it at once.
    let options = RunOptions {
        cancel: Some(cancel),
        ..Default::default()
    };
    let admin = engine.session(Actor::Admin);
    let error = admin
        .execute_with("INSERT INTO app.copy VALUES (7, 7)", &options)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "cancelled");
    assert_eq!(count(&admin, "SELECT count(*) FROM app.copy").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_memory_limit_spills_sorts_and_refuses_what_cannot_spill() {
    // 16 MB: a sort holds 10 MB back for merging what it spilled (DataFusion's
    // `sort_spill_reservation_bytes`).
    let (_dir, engine) = engine_with(EngineOptions {
        statement_memory: Some(16 << 20),
        ..Default::default()
    })
    .await;
    let (_dir2, free) = engine_with(EngineOptions {
        statement_memory: None,
        ..Default::default()
    })
    .await;
    // A sort of 240,000 rows (about 30 MB) spills and gives the same rows in order.
    let sorted = "SELECT b.id AS b, a.body || b.body AS x FROM app.big a \
                  CROSS JOIN (SELECT * FROM app.big WHERE id < 60) b ORDER BY x DESC, b";
    let rows = |result: Vec<StatementResult>| match result.into_iter().next() {
        Some(StatementResult::Rows { batches, .. }) => tidepool_engine::rows_json(&batches),
        _ => panic!("no rows"),
    };
    let limited = rows(engine.session(Actor::Admin).execute(sorted).await.unwrap());
    assert_eq!(limited.len(), 240_000);
    assert!(limited == rows(free.session(Actor::Admin).execute(sorted).await.unwrap()));

    // One value of 30 MB (an aggregate without GROUP BY cannot spill): refused, cleanly.
    let huge = "SELECT count(*) FROM (SELECT string_agg(a.body || b.body, ',') AS s FROM app.big a \
                CROSS JOIN (SELECT * FROM app.big WHERE id < 60) b) WHERE length(s) > 0";
    let error = engine.session(Actor::Admin).execute(huge).await.unwrap_err();
    assert_eq!(error.code(), "resources_exhausted", "{error}");
    assert_eq!(count(&free.session(Actor::Admin), huge).await, 1);
    assert_eq!(
        count(&engine.session(Actor::Admin), "SELECT count(*) FROM app.big").await,
        4_000
    );
}
