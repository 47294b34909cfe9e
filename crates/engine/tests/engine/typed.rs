//! The typed write API against a real database directory.

use tidepool_engine::{Actor, Engine, Error, Row, Session, StatementResult, TableName, Value};

fn row(pairs: &[(&str, Value)]) -> Row {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

async fn query(session: &Session, sql: &str) -> Vec<Vec<serde_json::Value>> {
    match session.execute(sql).await.unwrap().pop().unwrap() {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(&batches),
        other => panic!("not a query: {other:?}"),
    }
}

async fn setup() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    engine
        .session(Actor::Admin)
        .execute(
            "CREATE NAMESPACE app;
             CREATE TABLE app.items (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), name TEXT NOT NULL, qty INT DEFAULT 1, meta JSON);
             CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT);
             CREATE STREAM TABLE app.events (id INT PRIMARY KEY, kind TEXT) WITH (TTL_SECONDS = 60, MAX_ROWS = 2);",
        )
        .await
        .unwrap();
    (dir, engine)
}

#[tokio::test]
async fn insert_update_delete_round_trip() {
    let (_dir, engine) = setup().await;
    let admin = engine.session(Actor::Admin);
    let items = TableName::parse("app.items").unwrap();
    let before = engine.last_seq();
    let out = admin
        .insert_rows(
            &items,
            vec![
                row(&[("id", Value::BigInt(1)), ("name", Value::Text("apple".into()))]),
                row(&[
                    ("id", Value::Int(2)),
                    ("name", Value::Text("pear".into())),
                    ("qty", Value::Text("7".into())),
                ]),
                row(&[
                    ("name", Value::Text("generated".into())),
                    ("meta", Value::Text("{\"a\":1}".into())),
                ]),
            ],
        )
        .unwrap();
    assert_eq!(out.affected, 3);
    assert_eq!(out.seq, before + 1, "one statement, one commit");

    let out = admin
        .update_row(
            &items,
            vec![Value::BigInt(2)],
            row(&[("qty", Value::Int(9)), ("name", Value::Text("PEAR".into()))]),
        )
        .unwrap();
    assert_eq!((out.affected, out.seq), (1, before + 2));
    let out = admin
        .delete_rows(&items, vec![vec![Value::BigInt(1)], vec![Value::BigInt(404)]])
        .unwrap();
    assert_eq!(out.affected, 1);

    let rows = query(&admin, "SELECT id, name, qty, meta FROM app.items ORDER BY id").await;
    assert_eq!(serde_json::json!(rows[0]), serde_json::json!([2, "PEAR", 9, null]));
    assert_eq!(rows[1][1], "generated");
    assert!(rows[1][0].as_i64().unwrap() > 1 << 22, "SNOWFLAKE_ID default");
    assert_eq!(rows[1][2], 1, "literal default");
    assert_eq!(rows[1][3], serde_json::json!({"a": 1}));
}

#[tokio::test]
async fn bad_input_is_an_error_and_changes_nothing() {
    let (_dir, engine) = setup().await;
    let admin = engine.session(Actor::Admin);
    let items = TableName::parse("app.items").unwrap();
    admin
        .insert_rows(
            &items,
            vec![row(&[("id", Value::BigInt(1)), ("name", Value::Text("a".into()))])],
        )
        .unwrap();
    let seq = engine.last_seq();

    let cases: Vec<(Vec<Row>, &str)> = vec![
        (vec![row(&[("id", Value::BigInt(5))])], "not_null"),
        (
            vec![row(&[
                ("id", Value::BigInt(5)),
                ("name", Value::Text("x".into())),
                ("qty", Value::Text("many".into())),
            ])],
            "type_mismatch",
        ),
        (
            vec![row(&[
                ("id", Value::BigInt(5)),
                ("name", Value::Text("x".into())),
                ("meta", Value::Text("{nope".into())),
            ])],
            "type_mismatch",
        ),
        (
            vec![row(&[
                ("id", Value::BigInt(5)),
                ("name", Value::Text("x".into())),
                ("nope", Value::Int(1)),
            ])],
            "not_found",
        ),
        (
            vec![
                row(&[("id", Value::BigInt(6)), ("name", Value::Text("ok".into()))]),
                row(&[("id", Value::BigInt(1)), ("name", Value::Text("dup".into()))]),
            ],
            "duplicate_key",
        ),
    ];
    for (rows, code) in cases {
        let err = admin.insert_rows(&items, rows).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    assert_eq!(
        admin
            .update_row(&items, vec![Value::BigInt(1)], row(&[("name", Value::Null)]))
            .unwrap_err()
            .code(),
        "not_null"
    );
    assert_eq!(
        admin
            .update_row(&items, vec![Value::BigInt(99)], row(&[]))
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        admin.update_row(&items, vec![], row(&[])).unwrap_err().code(),
        "invalid_argument"
    );
    assert_eq!(
        admin
            .delete_rows(&TableName::parse("system.tables").unwrap(), vec![])
            .unwrap_err()
            .code(),
        "not_allowed"
    );
    assert_eq!(
        admin
            .insert_rows(&TableName::parse("app.nope").unwrap(), vec![])
            .unwrap_err()
            .code(),
        "not_found"
    );

    assert_eq!(engine.last_seq(), seq, "no failed write committed");
    assert_eq!(
        query(&admin, "SELECT count(*) FROM app.items").await[0][0],
        serde_json::json!(1)
    );
}

#[tokio::test]
async fn user_rows_are_owned_by_the_session_user() {
    let (_dir, engine) = setup().await;
    let notes = TableName::parse("app.notes").unwrap();
    let alice = engine.session(Actor::User("alice".into()));
    let bob = engine.session(Actor::User("bob".into()));
    let admin = engine.session(Actor::Admin);
    alice
        .insert_rows(
            &notes,
            vec![row(&[("id", Value::Int(1)), ("body", Value::Text("a".into()))])],
        )
        .unwrap();
    bob.insert_rows(
        &notes,
        vec![row(&[("id", Value::Int(1)), ("body", Value::Text("b".into()))])],
    )
    .unwrap();
    // Bob's key 1 is his own row; alice's is untouched.
    bob.update_row(&notes, vec![Value::Int(1)], row(&[("body", Value::Text("b2".into()))]))
        .unwrap();
    assert_eq!(
        query(&alice, "SELECT body FROM app.notes").await,
        vec![vec![serde_json::json!("a")]]
    );
    // A user cannot claim another owner; an admin must name one.
    let err = bob
        .insert_rows(
            &notes,
            vec![row(&[("_user", Value::Text("alice".into())), ("id", Value::Int(2))])],
        )
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    assert_eq!(
        admin
            .insert_rows(&notes, vec![row(&[("id", Value::Int(3))])])
            .unwrap_err()
            .code(),
        "not_null"
    );
    admin
        .insert_rows(
            &notes,
            vec![row(&[("_user", Value::Text("carol".into())), ("id", Value::Int(3))])],
        )
        .unwrap();
    admin
        .delete_rows(&notes, vec![vec![Value::Text("alice".into()), Value::Int(1)]])
        .unwrap();
    assert_eq!(
        query(&admin, "SELECT _user, id, body FROM app.notes ORDER BY _user").await,
        vec![
            vec![serde_json::json!("bob"), serde_json::json!(1), serde_json::json!("b2")],
            vec![
                serde_json::json!("carol"),
                serde_json::json!(3),
                serde_json::Value::Null
            ],
        ]
    );
}

#[tokio::test]
async fn stream_tables_refuse_updates_and_keep_max_rows() {
    let (_dir, engine) = setup().await;
    let events = TableName::parse("app.events").unwrap();
    let admin = engine.session(Actor::Admin);
    for id in 1..=3 {
        admin
            .insert_rows(
                &events,
                vec![row(&[("id", Value::Int(id)), ("kind", Value::Text("k".into()))])],
            )
            .unwrap();
    }
    let err: Error = admin
        .update_row(&events, vec![Value::Int(3)], row(&[("kind", Value::Null)]))
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    assert_eq!(
        query(&admin, "SELECT id FROM app.events ORDER BY id").await,
        vec![vec![serde_json::json!(2)], vec![serde_json::json!(3)]]
    );
}
