//! Engine and session options: the background STREAM evictor on the real clock, and
//! statements that touch files once a session enables file access.

use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Engine, StatementResult};

async fn scalar(session: &tidepool_engine::Session, sql: &str) -> serde_json::Value {
    match session.execute(sql).await.unwrap().pop().unwrap() {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(&batches)[0][0].clone(),
        other => panic!("not a query: {other:?}"),
    }
}

#[tokio::test]
async fn the_background_evictor_removes_expired_stream_rows() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE app;
             CREATE STREAM TABLE app.ticks (id INT PRIMARY KEY) WITH (TTL_SECONDS = 1);
             INSERT INTO app.ticks VALUES (1), (2), (3);",
        )
        .await
        .unwrap();
    let seq = engine.last_seq();
    // Stored rows drop to zero once the evictor (every second) has run after expiry.
    let deadline = Instant::now() + Duration::from_secs(10);
    while scalar(&admin, "SELECT rows FROM system.tables WHERE name = 'ticks'").await != 0 {
        assert!(Instant::now() < deadline, "rows were not evicted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(scalar(&admin, "SELECT count(*) FROM app.ticks").await, 0);
    assert!(engine.last_seq() > seq, "eviction is a commit of its own");
}

#[tokio::test]
async fn file_access_is_opt_in_per_session() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    let csv = dir.path().join("out.csv");
    let copy = format!("COPY (SELECT 1 AS a, 'x' AS b) TO '{}' STORED AS CSV", csv.display());

    let plain = engine.session(Actor::Admin);
    let err = plain.execute(&copy).await.unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    assert!(!csv.exists());

    let files = engine.session(Actor::Admin).with_file_access(true);
    files.execute(&copy).await.unwrap();
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a,b\n1,x\n");
    files
        .execute(&format!(
            "CREATE NAMESPACE ext; CREATE EXTERNAL TABLE ext.data STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true')",
            csv.display()
        ))
        .await
        .unwrap();
    assert_eq!(scalar(&files, "SELECT b FROM ext.data").await, "x");
    // The external table belongs to that session only.
    assert_eq!(
        plain.execute("SELECT * FROM ext.data").await.unwrap_err().code(),
        "not_found"
    );
}

#[tokio::test]
async fn copy_and_export_of_a_table_without_primary_key_write_its_declared_columns() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    let files = engine.session(Actor::Admin).with_file_access(true);
    let (copied, exported) = (dir.path().join("copied.csv"), dir.path().join("exported.csv"));
    files
        .execute(&format!(
            "CREATE NAMESPACE app; CREATE TABLE app.t (a INT, b TEXT); INSERT INTO app.t VALUES (1, 'x');
             COPY app.t TO '{}' STORED AS CSV",
            copied.display()
        ))
        .await
        .unwrap();
    let rows = files
        .export("SELECT * FROM app.t", tidepool_engine::FileFormat::Csv, &exported)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    for file in [copied, exported] {
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "a,b\n1,x\n",
            "{}",
            file.display()
        );
    }
}
