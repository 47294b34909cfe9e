//! Export to CSV, JSON and Parquet, and import from CSV and Parquet: real files in a
//! temporary folder, read back and checked.

use std::sync::atomic::AtomicBool;

use serde_json::{json, Value as Json};
use tidepool_engine::{
    preview, Actor, CsvOptions, Engine, FileFormat, ImportOptions, OnError, Session, SqlType, StatementResult,
    TableName,
};

async fn setup() -> (tempfile::TempDir, Engine, Session) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute(
            "CREATE NAMESPACE app;
             CREATE TABLE app.items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price DOUBLE, seen TIMESTAMP, ok BOOLEAN);
             INSERT INTO app.items VALUES
               (1, 'plain', 1.5, '2026-01-02 03:04:05', true),
               (2, 'with, comma and \"quote\"', NULL, NULL, false),
               (3, 'line
break', 3.0, '2026-06-07 08:09:10.5', NULL)",
        )
        .await
        .unwrap();
    (dir, engine, admin)
}

async fn rows(session: &Session, sql: &str) -> Vec<Vec<Json>> {
    match session.execute(sql).await.unwrap().pop().unwrap() {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(&batches),
        other => panic!("not rows: {other:?}"),
    }
}

fn options(mapping: &[Option<&str>], on_error: OnError) -> ImportOptions {
    ImportOptions {
        csv: CsvOptions::default(),
        mapping: mapping.iter().map(|m| m.map(str::to_string)).collect(),
        on_error,
        empty_as_null: true,
    }
}

fn import(
    session: &Session,
    path: &std::path::Path,
    table: &str,
    options: &ImportOptions,
) -> tidepool_engine::Result<tidepool_engine::ImportReport> {
    let format = FileFormat::from_path(path).unwrap();
    let table = TableName::parse(table).unwrap();
    session.import(path, format, &table, options, &mut |_| {}, &AtomicBool::new(false))
}

#[tokio::test]
async fn a_query_exports_to_csv_json_and_parquet_that_read_back_the_same() {
    let (dir, _engine, admin) = setup().await;
    let sql = "SELECT * FROM app.items ORDER BY id";

    let csv = dir.path().join("items.csv");
    assert_eq!(admin.export(sql, FileFormat::Csv, &csv).await.unwrap(), 3);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("id,name,price,seen,ok\n1,plain,1.5,2026-01-02T03:04:05,true\n"),
        "{text}"
    );
    assert!(text.contains("2,\"with, comma and \"\"quote\"\"\",,,false\n"), "{text}");
    assert!(
        text.contains("3,\"line\nbreak\",3.0,2026-06-07T08:09:10.500,\n"),
        "{text}"
    );

    let json_path = dir.path().join("items.json");
    admin.export(sql, FileFormat::Json, &json_path).await.unwrap();
    let exported: Json = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(
        exported[0],
        json!({ "id": 1, "name": "plain", "price": 1.5, "seen": "2026-01-02T03:04:05", "ok": true })
    );
    assert_eq!(exported[1]["name"], "with, comma and \"quote\"");
    assert_eq!(exported.as_array().unwrap().len(), 3);

    // Parquet keeps the types: import it into a copy of the table and compare.
    let parquet = dir.path().join("items.parquet");
    admin.export(sql, FileFormat::Parquet, &parquet).await.unwrap();
    admin
        .execute("CREATE TABLE app.copy (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price DOUBLE, seen TIMESTAMP, ok BOOLEAN)")
        .await
        .unwrap();
    let all = [Some("id"), Some("name"), Some("price"), Some("seen"), Some("ok")];
    let report = import(&admin, &parquet, "app.copy", &options(&all, OnError::Stop)).unwrap();
    assert_eq!(report.imported, 3);
    assert_eq!(
        rows(&admin, "SELECT * FROM app.copy ORDER BY id").await,
        rows(&admin, sql).await
    );

    // A CSV export imports back too.
    admin.execute("DELETE FROM app.copy").await.unwrap();
    import(&admin, &csv, "app.copy", &options(&all, OnError::Stop)).unwrap();
    assert_eq!(
        rows(&admin, "SELECT * FROM app.copy ORDER BY id").await,
        rows(&admin, sql).await
    );
}

#[tokio::test]
async fn exports_refuse_what_is_not_a_query_and_leave_no_partial_file() {
    let (dir, _engine, admin) = setup().await;
    let path = dir.path().join("out.csv");
    for bad in [
        "DELETE FROM app.items",
        "SELECT 1; SELECT 2",
        "SHOW TABLES",
        "SELECT nope FROM app.items",
    ] {
        assert!(admin.export(bad, FileFormat::Csv, &path).await.is_err(), "{bad}");
    }
    assert_eq!(
        rows(&admin, "SELECT count(*) FROM app.items").await,
        vec![vec![json!(3)]]
    );
    let missing = dir.path().join("no/such/folder/out.csv");
    let error = admin
        .export("SELECT * FROM app.items", FileFormat::Csv, &missing)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot write"), "{error}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("db")]);
}

#[tokio::test]
async fn a_csv_preview_infers_types_and_shows_the_first_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    std::fs::write(&path, "id,name,score,born,active,when\n1,ada,1.5,2020-01-02,true,2020-01-02 10:00:00\n2,bob,,2021-03-04,false,2021-03-04T05:06:07\n3,cy,7,1999-12-31,true,\n").unwrap();
    let shown = preview(&path, FileFormat::Csv, &CsvOptions::default()).unwrap();
    let types: Vec<(String, SqlType)> = shown.columns.iter().map(|c| (c.name.clone(), c.sql_type)).collect();
    assert_eq!(
        types,
        vec![
            ("id".into(), SqlType::BigInt),
            ("name".into(), SqlType::Text),
            ("score".into(), SqlType::Double),
            ("born".into(), SqlType::Date),
            ("active".into(), SqlType::Boolean),
            ("when".into(), SqlType::Timestamp),
        ]
    );
    assert_eq!(shown.rows.len(), 3);
    assert_eq!(shown.rows[1][2], None, "an empty field");

    let headerless = preview(
        &path,
        FileFormat::Csv,
        &CsvOptions {
            header: false,
            delimiter: b',',
        },
    )
    .unwrap();
    assert_eq!(headerless.columns[0].name, "column_1");
    assert_eq!(
        headerless.columns[0].sql_type,
        SqlType::Text,
        "the header line is a row now"
    );
}

#[tokio::test]
async fn a_bad_row_stops_the_import_with_its_line_and_nothing_written_or_is_skipped() {
    let (dir, _engine, admin) = setup().await;
    let path = dir.path().join("more.csv");
    std::fs::write(
        &path,
        "id,name,price\n10,ten,1\n11,eleven,not a number\n12,\"two\nlines\",2\n13,,3\n1,duplicate,4\n14,fourteen\n15,fifteen,5\n",
    )
    .unwrap();
    let mapping = [Some("id"), Some("name"), Some("price")];

    let error = import(&admin, &path, "app.items", &options(&mapping, OnError::Stop)).unwrap_err();
    assert_eq!(error.code(), "bad_row");
    assert_eq!(error.position().unwrap().line, 3);
    assert!(error.to_string().contains("price"), "{error}");
    assert!(error.to_string().contains("nothing was imported"), "{error}");
    assert_eq!(
        rows(&admin, "SELECT count(*) FROM app.items").await,
        vec![vec![json!(3)]]
    );

    let report = import(&admin, &path, "app.items", &options(&mapping, OnError::Skip)).unwrap();
    assert_eq!((report.imported, report.skipped), (3, 4));
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    // Line 3: not a number; 6: NULL name (NOT NULL); 7: duplicate key; 8: too few fields.
    assert_eq!(lines, vec![3, 6, 7, 8]);
    assert!(report.errors[1].message.contains("NOT NULL"), "{:?}", report.errors);
    assert!(report.errors[2].message.contains("duplicate"), "{:?}", report.errors);
    assert_eq!(
        rows(&admin, "SELECT id, name FROM app.items WHERE id >= 10 ORDER BY id").await,
        vec![
            vec![json!(10), json!("ten")],
            vec![json!(12), json!("two\nlines")],
            vec![json!(15), json!("fifteen")]
        ]
    );
}

#[tokio::test]
async fn mapping_skips_columns_defaults_fill_the_rest_and_a_user_imports_their_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT, made TIMESTAMP DEFAULT NOW())")
        .await
        .unwrap();
    let path = dir.path().join("notes.csv");
    std::fs::write(&path, "ignored,text\nx,first\ny,second\n").unwrap();
    let alice = engine.session(Actor::User("alice".into()));
    let report = import(
        &alice,
        &path,
        "app.notes",
        &options(&[None, Some("body")], OnError::Stop),
    )
    .unwrap();
    assert_eq!(report.imported, 2);
    let stored = rows(
        &admin,
        "SELECT _user, body, id IS NOT NULL, made IS NOT NULL FROM app.notes ORDER BY body",
    )
    .await;
    assert_eq!(
        stored,
        vec![
            vec![json!("alice"), json!("first"), json!(true), json!(true)],
            vec![json!("alice"), json!("second"), json!(true), json!(true)]
        ]
    );
    let unknown = import(
        &alice,
        &path,
        "app.notes",
        &options(&[None, Some("nope")], OnError::Stop),
    )
    .unwrap_err();
    assert_eq!(unknown.code(), "not_found");
    let nothing = import(&alice, &path, "app.notes", &options(&[None, None], OnError::Stop)).unwrap_err();
    assert_eq!(nothing.code(), "invalid_argument");
}

#[tokio::test]
async fn a_cancelled_import_writes_nothing_when_stopping_and_keeps_committed_chunks_when_skipping() {
    let (dir, _engine, admin) = setup().await;
    let path = dir.path().join("big.csv");
    let text: String = std::iter::once("id,name\n".to_string())
        .chain((100..100_100).map(|i| format!("{i},n{i}\n")))
        .collect();
    std::fs::write(&path, text).unwrap();
    let table = TableName::parse("app.items").unwrap();
    let mapping = [Some("id"), Some("name")];

    // Stopping on errors is one transaction: a cancel leaves nothing.
    let cancelled = AtomicBool::new(true);
    let report = admin
        .import(
            &path,
            FileFormat::Csv,
            &table,
            &options(&mapping, OnError::Stop),
            &mut |_| {},
            &cancelled,
        )
        .unwrap();
    assert_eq!((report.cancelled, report.imported), (true, 0));
    assert_eq!(
        rows(&admin, "SELECT count(*) FROM app.items").await,
        vec![vec![json!(3)]]
    );

    // Skipping commits every 5,000 rows: cancelled at its first progress report (100 ms
    // in), the chunks committed before it stay and the open one goes.
    let cancel = AtomicBool::new(false);
    let report = admin
        .import(
            &path,
            FileFormat::Csv,
            &table,
            &options(&mapping, OnError::Skip),
            &mut |_| cancel.store(true, std::sync::atomic::Ordering::Relaxed),
            &cancel,
        )
        .unwrap();
    assert!(report.cancelled, "the import ended before its first progress report");
    assert!(report.imported % 5_000 == 0 && report.imported < 100_000, "{report:?}");
    let stored = rows(&admin, "SELECT count(*) FROM app.items").await;
    assert_eq!(stored, vec![vec![json!(3 + report.imported)]]);
}
