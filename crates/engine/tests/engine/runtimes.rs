//! UPDATE and DELETE run their selection query under the writer lock, on a blocking
//! thread that drives it with the caller's runtime: they must work on a
//! current-thread runtime (the default of `#[tokio::test]`, and what embedders often
//! use) as well as a multi-thread one, with joins and subqueries that DataFusion runs
//! as spawned tasks.

use tidepool_engine::{Actor, Engine, StatementResult};

async fn affected(engine: &Engine, sql: &str) -> u64 {
    match engine.session(Actor::Admin).execute(sql).await.unwrap().pop().unwrap() {
        StatementResult::Affected(n) => n,
        other => panic!("not a write: {other:?}"),
    }
}

async fn writes_with_subqueries(engine: &Engine) {
    engine
        .session(Actor::Admin)
        .execute(
            "CREATE NAMESPACE app;
             CREATE TABLE app.t (id INT PRIMARY KEY, grp TEXT, n INT);
             CREATE TABLE app.keep (grp TEXT PRIMARY KEY);
             INSERT INTO app.keep VALUES ('a');",
        )
        .await
        .unwrap();
    let values: Vec<String> = (0..10_000)
        .map(|i| format!("({i}, '{}', {i})", ["a", "b"][i % 2]))
        .collect();
    let insert = format!("INSERT INTO app.t VALUES {}", values.join(", "));
    assert_eq!(affected(engine, &insert).await, 10_000);
    assert_eq!(
        affected(
            engine,
            "UPDATE app.t SET n = n + 1 WHERE n > (SELECT avg(n) FROM app.t)"
        )
        .await,
        5_000
    );
    assert_eq!(
        affected(engine, "DELETE FROM app.t WHERE grp NOT IN (SELECT grp FROM app.keep)").await,
        5_000
    );
    assert_eq!(
        affected(
            engine,
            "DELETE FROM app.t WHERE EXISTS (SELECT 1 FROM app.keep k WHERE k.grp = app.t.grp) AND id < 100"
        )
        .await,
        50
    );
}

#[tokio::test]
async fn on_a_current_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    writes_with_subqueries(&Engine::open(dir.path()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    writes_with_subqueries(&Engine::open(dir.path()).unwrap()).await;
}
