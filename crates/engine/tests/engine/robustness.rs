//! No input panics the engine, and concurrent writers never lose an update.

use std::sync::Arc;

use tidepool_engine::{Actor, Engine, StatementResult};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_read_modify_writes_are_serialised() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.c (id INT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO app.c VALUES (1, 0)")
        .await
        .unwrap();
    let start_seq = engine.last_seq();
    let engine = Arc::new(engine);
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let session = engine.session(Actor::Admin);
                for _ in 0..25 {
                    session
                        .execute("UPDATE app.c SET n = n + 1 WHERE id = 1")
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let result = admin.execute("SELECT n FROM app.c").await.unwrap().pop().unwrap();
    let StatementResult::Rows { batches, .. } = result else {
        panic!()
    };
    assert_eq!(tidepool_engine::rows_json(&batches)[0][0], serde_json::json!(100));
    assert_eq!(engine.last_seq(), start_seq + 100, "one seq per committed statement");
}

#[tokio::test]
async fn hostile_sql_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, s TEXT, j JSON, d DECIMAL(5,2))")
        .await
        .unwrap();
    let nasty = [
        "",
        ";;;",
        "(",
        ")",
        "'",
        "\"",
        "--",
        "/*",
        "SELECT",
        "SELECT (((((((((1",
        "EXECUTE AS USER",
        "EXECUTE AS USER 'a' ()",
        "EXECUTE AS USER '' (SELECT 1)",
        "CREATE USER TABLE",
        "CREATE STREAM TABLE app.x",
        "CREATE TABLE app.x (id INT PRIMARY KEY) WITH (TTL_SECONDS = -1)",
        "CREATE TABLE app.y (a DECIMAL(99,2) PRIMARY KEY)",
        "DESCRIBE",
        "DESCRIBE app",
        "SHOW TABLES IN",
        "DROP NAMESPACE",
        "INSERT INTO app.t VALUES (1)",
        "INSERT INTO app.t VALUES (1, 2, 3, 4, 5)",
        "INSERT INTO app.t (id, d) VALUES (1, 123456.789)",
        "INSERT INTO app.t (id) VALUES (99999999999)",
        "UPDATE app.t SET id = id / 0",
        "DELETE FROM app.t WHERE s",
        "SELECT * FROM app.t WHERE id = 'x'",
        "SELECT * FROM app.t WHERE id IN (SELECT 1/0)",
        "ALTER TABLE app.t ADD COLUMN",
        "ALTER TABLE app.t RENAME TO u",
        "CREATE NAMESPACE \"\"",
        "CREATE NAMESPACE \"a.b\"",
        "SELECT '\u{0}'",
        "SELECT 1; SELEC",
        "KILL",
        "TRUNCATE app.t",
        "CREATE INDEX i ON app.t (s)",
        "BEGIN",
        "COMMIT",
    ];
    for sql in nasty {
        // Ok or Err are both fine; a panic fails the test.
        let _ = admin.execute(sql).await;
    }
    let mut seed = 7u64;
    for _ in 0..300 {
        let len = (seed % 40) as usize;
        let text: String = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let alphabet = b"SELECT INSERT UPDATE FROM WHERE app.t (),;'\"*=<>0123456789 EXECUTE AS USER NAMESPACE";
                alphabet[(seed >> 33) as usize % alphabet.len()] as char
            })
            .collect();
        let _ = admin.execute(&text).await;
    }
    // Still healthy afterwards.
    admin
        .execute("INSERT INTO app.t (id, s) VALUES (500, 'ok')")
        .await
        .unwrap();
}

/// `1 + 1 + ... + 1`: the parser builds it one level per operator, and every walk of
/// the tree after it recurses that deep.
fn chain(terms: usize, term: &str, op: &str) -> String {
    vec![term; terms].join(op)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_nested_too_deep_are_refused_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, x INT); INSERT INTO app.t VALUES (1, 2)",
        )
        .await
        .unwrap();
    let deep = chain(20_000, "1", " + ");
    let ors = (0..20_000).map(|i| format!("x = {i}")).collect::<Vec<_>>().join(" OR ");
    for sql in [
        format!("SELECT {deep}"),
        format!("SELECT id FROM app.t WHERE {ors}"),
        format!("UPDATE app.t SET x = {deep} WHERE id = 1"),
        format!("DELETE FROM app.t WHERE {ors}"),
        format!("EXPLAIN SELECT {deep}"),
        format!("SELECT 1; SELECT {deep}"),
    ] {
        let error = admin.execute(&sql).await.unwrap_err().to_string();
        assert!(
            error.contains("levels deep") && error.contains("at most 200"),
            "{error}"
        );
    }
    let error = admin
        .subscribe(&format!("SELECT id FROM app.t WHERE {ors}"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("levels deep"), "{error}");
    let error = admin
        .query_stream(&format!("SELECT {deep}"))
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(error.contains("levels deep"), "{error}");
    // Nothing was written, and what is within the limit runs (on this 2 MB worker).
    let ok = format!(
        "SELECT {} AS n FROM app.t WHERE {}",
        chain(190, "x", " + "),
        chain(190, "x", " + ") + " > 0"
    );
    let rows = tidepool_engine::rows_json(&match admin.execute(&ok).await.unwrap().pop().unwrap() {
        StatementResult::Rows { batches, .. } => batches,
        other => panic!("{other:?}"),
    });
    assert_eq!(rows, vec![vec![serde_json::json!(380)]]);
}
