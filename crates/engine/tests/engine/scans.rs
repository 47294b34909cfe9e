//! Scans of a table large enough to be read by several partitions at once: every row
//! is read exactly once, whatever the query does with them, for SHARED and USER tables,
//! with and without key ranges and across rows written before a column was added.

use tidepool_engine::{Actor, Engine, Session, StatementResult, Value};

async fn numbers(session: &Session, sql: &str) -> Vec<i64> {
    match session.execute(sql).await.unwrap().pop().unwrap() {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(&batches)
            .into_iter()
            .flatten()
            .map(|v| v.as_i64().unwrap_or(-1))
            .collect(),
        other => panic!("{sql}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_table_is_read_in_parallel_partitions_and_every_row_once() {
    const ROWS: i64 = 150_000;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE s; CREATE TABLE s.t (id BIGINT PRIMARY KEY, n BIGINT, body TEXT); \
             CREATE USER TABLE s.u (id BIGINT PRIMARY KEY, n BIGINT)",
        )
        .await
        .unwrap();
    let insert = admin
        .prepare("INSERT INTO s.t (id, n, body) VALUES ($1, $2, $3)")
        .await
        .unwrap();
    let owned = admin
        .prepare("INSERT INTO s.u (_user, id, n) VALUES ($1, $2, $3)")
        .await
        .unwrap();
    for from in (0..ROWS).step_by(10_000) {
        let rows: Vec<Vec<Value>> = (from..from + 10_000)
            .map(|i| {
                vec![
                    Value::BigInt(i * 3 - 200_000),
                    Value::BigInt(i % 100),
                    Value::Text(format!("row {i}")),
                ]
            })
            .collect();
        admin.execute_prepared_batch(&insert, &rows).await.unwrap();
        let rows: Vec<Vec<Value>> = (from..from + 10_000)
            .map(|i| {
                vec![
                    Value::Text(if i % 3 == 0 { "ann" } else { "bo" }.into()),
                    Value::BigInt(i),
                    Value::BigInt(i % 7),
                ]
            })
            .collect();
        admin.execute_prepared_batch(&owned, &rows).await.unwrap();
    }
    admin.execute("ALTER TABLE s.t ADD COLUMN extra BIGINT").await.unwrap();
    let plan = admin
        .execute("EXPLAIN SELECT count(*) FROM s.t WHERE n < 10")
        .await
        .unwrap();
    let StatementResult::Rows { batches, .. } = &plan[0] else {
        panic!()
    };
    let text = format!("{:?}", tidepool_engine::rows_json(batches));
    assert!(text.contains("partitions=2"), "{text}");

    let ids: i64 = (0..ROWS).map(|i| i * 3 - 200_000).sum();
    assert_eq!(
        numbers(&admin, "SELECT count(*) FROM s.t WHERE n < 10").await,
        [ROWS / 10]
    );
    assert_eq!(
        numbers(
            &admin,
            "SELECT sum(id), count(DISTINCT id), count(extra) FROM s.t WHERE body <> ''"
        )
        .await,
        [ids, ROWS, 0]
    );
    assert_eq!(
        numbers(&admin, "SELECT id FROM s.t ORDER BY n DESC, id LIMIT 2").await,
        [99 * 3 - 200_000, 199 * 3 - 200_000]
    );
    assert_eq!(
        numbers(&admin, "SELECT count(*) FROM s.t WHERE id >= 0 AND n = 5").await,
        [(0..ROWS).filter(|i| i * 3 - 200_000 >= 0 && i % 100 == 5).count() as i64]
    );
    assert_eq!(
        numbers(&admin, "SELECT count(*), sum(n) FROM s.u WHERE n >= 0").await,
        [ROWS, (0..ROWS).map(|i| i % 7).sum::<i64>()]
    );
    let ann = engine.session(Actor::User("ann".into()));
    assert_eq!(
        numbers(&ann, "SELECT count(*), sum(id) FROM s.u WHERE n >= 0").await,
        [(ROWS + 2) / 3, (0..ROWS).filter(|i| i % 3 == 0).sum::<i64>()]
    );
}
