//! The direct path (`sql::direct`) against DataFusion: the same random statements —
//! INSERT ... VALUES, and SELECT, UPDATE and DELETE by key, with literals of every kind
//! (integers at and past each type's range, doubles, -0.0, text, JSON, NULL, booleans),
//! column lists in any order, unknown and repeated columns, USER tables as an admin and
//! as a user, composite and generated keys, plus statements just outside the path —
//! run on two databases, one with the path on and one with it off. Every statement must
//! give the same result or the same error, and the tables must hold the same rows
//! after it. `TIDEPOOL_DIRECT_SEED` and `TIDEPOOL_DIRECT_STATEMENTS` replay or extend.

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use tidepool_engine::{Actor, Clock, Engine, EngineOptions, Session, StatementResult, Value};

use crate::rng::Rng;

const SCHEMA: &str = "
    CREATE NAMESPACE d;
    CREATE TABLE d.k (id BIGINT PRIMARY KEY, i INT UNIQUE, f DOUBLE, t TEXT NOT NULL DEFAULT 'x',
                      b BOOLEAN, j JSON, ts TIMESTAMP, dt DATE, n DECIMAL(10,2));
    CREATE TABLE d.n (id BIGINT PRIMARY KEY, at TIMESTAMP DEFAULT NOW(), tag TEXT DEFAULT 'new');
    CREATE TABLE d.c (a TEXT, n INT, v BIGINT, w TEXT, PRIMARY KEY (a, n));
    CREATE USER TABLE d.u (id INT PRIMARY KEY, name TEXT, score DOUBLE);
    CREATE TABLE d.g (x BIGINT, y TEXT);
    CREATE STREAM TABLE d.s (id BIGINT PRIMARY KEY, v TEXT) WITH (TTL_SECONDS = 3600);
";

/// Literals, by what they stress.
const LITERALS: &[&str] = &[
    "NULL",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "7",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-0.0",
    "0.0",
    "1e3",
    "2.0",
    "'a'",
    "'b'",
    "''",
    "'é'",
    "'1'",
    "'{\"a\": 1}'",
    "'[1,2]'",
    "'not json'",
    "'2026-01-02'",
    "'2026-01-02 03:04:05'",
    "true",
    "false",
    "$1",
];

struct Table {
    name: &'static str,
    /// Columns a statement may name, with their types (some do not exist).
    columns: &'static [(&'static str, &'static str)],
    key: &'static [(&'static str, &'static str)],
}

const TABLES: &[Table] = &[
    Table {
        name: "d.k",
        columns: &[
            ("id", "int"),
            ("i", "int"),
            ("f", "double"),
            ("t", "text"),
            ("b", "bool"),
            ("j", "json"),
            ("ts", "ts"),
            ("dt", "date"),
            ("n", "decimal"),
            ("nope", "int"),
        ],
        key: &[("id", "int")],
    },
    Table {
        name: "d.c",
        columns: &[
            ("a", "text"),
            ("n", "int"),
            ("v", "int"),
            ("w", "text"),
            ("\"A\"", "text"),
        ],
        key: &[("a", "text"), ("n", "int")],
    },
    Table {
        name: "d.u",
        columns: &[("id", "int"), ("name", "text"), ("score", "double"), ("_user", "user")],
        key: &[("_user", "user"), ("id", "int")],
    },
    Table {
        name: "d.g",
        columns: &[("x", "int"), ("y", "text"), ("_id", "int")],
        key: &[("_id", "int")],
    },
    Table {
        name: "d.n",
        columns: &[("id", "int"), ("tag", "text")],
        key: &[("id", "int")],
    },
    Table {
        name: "d.s",
        columns: &[("id", "int"), ("v", "text")],
        key: &[("id", "int")],
    },
];

/// A literal for a column of type `ty`: mostly one of its type (which the direct path
/// takes), sometimes anything at all (which it must leave to DataFusion or answer alike).
fn literal(rng: &mut Rng, ty: &str) -> String {
    if rng.chance(25) {
        return rng.pick(LITERALS).to_string();
    }
    if rng.chance(5) {
        return "NULL".into();
    }
    let pool: &[&str] = match ty {
        "int" => &[
            "0",
            "1",
            "2",
            "3",
            "-1",
            "7",
            "2147483647",
            "2147483648",
            "-9223372036854775807",
        ],
        "double" => &["1.5", "-0.0", "0.0", "2", "0.25", "-3", "1e3"],
        "text" => &["'a'", "'b'", "''", "'é'", "'1'", "'it''s'"],
        "bool" => &["true", "false"],
        "json" => &["'{\"a\": 1}'", "'[1,2]'", "'null'", "'\"s\"'", "'not json'"],
        "ts" => &["'2026-01-02 03:04:05'", "'2026-01-02T03:04:05Z'"],
        "date" => &["'2026-01-02'"],
        "decimal" => &["1.25", "3", "'4.5'"],
        "user" => &["'alice'", "'bob'", "''"],
        _ => LITERALS,
    };
    rng.pick(pool).to_string()
}

fn key_where(rng: &mut Rng, table: &Table) -> String {
    let mut parts: Vec<String> = table
        .key
        .iter()
        .map(|(c, ty)| {
            let value = literal(rng, ty);
            if rng.chance(20) {
                format!("{value} = {c}")
            } else {
                format!("{c} = {value}")
            }
        })
        .collect();
    match rng.below(12) {
        0 if parts.len() > 1 => {
            parts.pop();
        }
        // A range of the next key column after equal ones (`sql::direct` reads it).
        10 | 11 => {
            let at = rng.below(table.key.len());
            parts.truncate(at);
            let (c, ty) = table.key[at];
            let range = match rng.below(5) {
                0 => format!("{c} BETWEEN {} AND {}", literal(rng, ty), literal(rng, ty)),
                1 => format!("{c} > {}", literal(rng, ty)),
                2 => format!("{} >= {c}", literal(rng, ty)),
                3 => format!("{c} < {} AND {c} >= {}", literal(rng, ty), literal(rng, ty)),
                _ => format!("{c} <= {}", literal(rng, ty)),
            };
            parts.push(range);
        }
        1 => {
            let (c, ty) = rng.pick(table.columns);
            parts.push(format!("{c} = {}", literal(rng, ty)));
        }
        2 => parts.reverse(),
        _ => {}
    }
    parts.join(" AND ")
}

fn statement(rng: &mut Rng) -> String {
    let table = rng.pick(TABLES);
    match rng.below(10) {
        0..=3 => {
            let mut columns: Vec<(&str, &str)> = table.columns.iter().copied().filter(|_| rng.chance(60)).collect();
            if rng.chance(5) && !columns.is_empty() {
                columns.push(columns[0]);
            }
            let rows = 1 + rng.below(3);
            let width = if columns.is_empty() {
                1 + rng.below(5)
            } else {
                columns.len()
            };
            let values: Vec<String> = (0..rows)
                .map(|_| {
                    let row: Vec<String> = (0..width)
                        .map(|i| literal(rng, columns.get(i).map_or("any", |c| c.1)))
                        .collect();
                    format!("({})", row.join(", "))
                })
                .collect();
            let list = if columns.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
                format!(" ({})", names.join(", "))
            };
            format!("INSERT INTO {}{list} VALUES {}", table.name, values.join(", "))
        }
        4..=6 => {
            // Generated keys differ between the two databases: they are filtered on, not shown.
            let names: Vec<&str> = table.columns.iter().map(|c| c.0).filter(|c| *c != "_id").collect();
            let projection = match rng.below(4) {
                // `d.n.at` is the time of the insert, which differs (see `contents`).
                0 if table.name != "d.n" => "*".to_string(),
                1 => rng.pick(&names).to_string(),
                2 => format!("{} AS x, {}", rng.pick(&names), rng.pick(&names)),
                _ => names[..names.len().max(2) - 1].join(", "),
            };
            let extra = rng.pick(&["", "", "", " ORDER BY 1", " LIMIT 1"]);
            format!(
                "SELECT {projection} FROM {} WHERE {}{extra}",
                table.name,
                key_where(rng, table)
            )
        }
        7..=8 => {
            let set: Vec<String> = (0..1 + rng.below(2))
                .map(|_| {
                    let (column, ty) = rng.pick(table.columns);
                    format!("{column} = {}", literal(rng, ty))
                })
                .collect();
            format!(
                "UPDATE {} SET {} WHERE {}",
                table.name,
                set.join(", "),
                key_where(rng, table)
            )
        }
        _ => format!("DELETE FROM {} WHERE {}", table.name, key_where(rng, table)),
    }
}

/// A result as text: the schema (names, types, nullability, metadata) and the rows.
fn render(result: &tidepool_engine::Result<Vec<StatementResult>>) -> String {
    match result {
        Err(e) => format!("error: {e}"),
        Ok(results) => results
            .iter()
            .map(|r| match r {
                StatementResult::Rows { schema, batches } => {
                    // Rows in any order: a range comes in key order from the direct path
                    // and in DataFusion's order from a plan.
                    let mut lines = Vec::new();
                    for batch in batches {
                        let options = FormatOptions::default().with_null("NULL");
                        let formatters: Vec<_> = batch
                            .columns()
                            .iter()
                            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                            .collect();
                        for row in 0..batch.num_rows() {
                            let cells: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
                            lines.push(cells.join(" | "));
                        }
                    }
                    lines.sort();
                    format!("{:?}\n{}\n", schema.fields(), lines.join("\n"))
                }
                StatementResult::Affected(n) => format!("affected {n}"),
                StatementResult::Done => "done".into(),
                StatementResult::Subscription(_) => "subscription".into(),
            })
            .collect(),
    }
}

/// Every table's rows, as an admin sees them. Generated keys differ between the two
/// databases, and so do `DEFAULT NOW()` times (DataFusion's `now()` is the statement's
/// start on the system clock, the direct path's the engine clock's), so `_id` and
/// `d.n.at` (never shown by the statements) are left out.
async fn contents(session: &Session) -> String {
    let mut out = String::new();
    for sql in [
        "SELECT * FROM d.k ORDER BY id",
        "SELECT id, at IS NOT NULL, tag FROM d.n ORDER BY id",
        "SELECT * FROM d.c ORDER BY a, n",
        "SELECT * FROM d.u ORDER BY _user, id",
        "SELECT x, y FROM d.g ORDER BY x, y",
        "SELECT * FROM d.s ORDER BY id",
    ] {
        out.push_str(&render(&session.execute(sql).await));
    }
    out
}

fn open(direct: bool, dir: &std::path::Path) -> Engine {
    Engine::open_with(
        dir,
        EngineOptions {
            sql_direct: direct,
            clock: Clock::manual(1_700_000_000_000_000),
            evict_interval: None,
            ..EngineOptions::default()
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_path_answers_as_datafusion_does() {
    let seed: u64 = std::env::var("TIDEPOOL_DIRECT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_204);
    let statements: usize = std::env::var("TIDEPOOL_DIRECT_STATEMENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (direct, planned) = (open(true, a.path()), open(false, b.path()));
    for engine in [&direct, &planned] {
        engine.session(Actor::Admin).execute(SCHEMA).await.unwrap();
    }
    let mut rng = Rng(seed);
    for n in 0..statements {
        let sql = statement(&mut rng);
        let actor = match rng.below(4) {
            0 => Actor::User("alice".into()),
            1 => Actor::User("bob".into()),
            _ => Actor::Admin,
        };
        let params = [Value::BigInt(1)];
        let (one, two) = (direct.session(actor.clone()), planned.session(actor.clone()));
        let (x, y) = if sql.contains("$1") {
            let (p, q) = (one.prepare(&sql).await, two.prepare(&sql).await);
            match (p, q) {
                (Ok(p), Ok(q)) => (
                    one.execute_prepared(&p, &params).await.map(|r| vec![r]),
                    two.execute_prepared(&q, &params).await.map(|r| vec![r]),
                ),
                (p, q) => (p.map(|_| Vec::new()), q.map(|_| Vec::new())),
            }
        } else {
            (one.execute(&sql).await, two.execute(&sql).await)
        };
        let (x, y) = (render(&x), render(&y));
        assert_eq!(
            x, y,
            "statement {n} as {actor:?} answered differently on the direct path (left) and through DataFusion (right): {sql}\n\
             replay: TIDEPOOL_DIRECT_SEED={seed}"
        );
        if n % 10 == 0 || !x.starts_with("error") && !x.starts_with('[') {
            let (p, q) = (
                contents(&direct.session(Actor::Admin)).await,
                contents(&planned.session(Actor::Admin)).await,
            );
            assert_eq!(p, q, "after statement {n}: {sql}\nreplay: TIDEPOOL_DIRECT_SEED={seed}");
        }
    }
    // The run must have written and read rows, not only errors.
    let rows = contents(&direct.session(Actor::Admin)).await;
    assert!(rows.lines().count() > 20, "too few rows written:\n{rows}");
}

/// Prepared statements on both paths: parameters bound by position and converted to
/// what the statement expects, typed errors for wrong counts and types, plans that
/// follow the catalog, and batches that write every parameter row in one commit or,
/// on an error, nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_on_both_paths() {
    for sql_direct in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open_with(
            dir.path(),
            EngineOptions {
                sql_direct,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let session = engine.session(Actor::Admin);
        session
            .execute("CREATE NAMESPACE p; CREATE TABLE p.t (id BIGINT PRIMARY KEY, at TIMESTAMP, n INT, s TEXT)")
            .await
            .unwrap();
        let insert = session
            .prepare("INSERT INTO p.t (id, at, n, s) VALUES ($1, $2, $3, $4)")
            .await
            .unwrap();
        assert_eq!(insert.param_count(), 4);
        for i in 0..10 {
            let params = [
                Value::BigInt(i),
                Value::Text("2026-01-02 03:04:05".into()),
                Value::BigInt(i * 10),
                Value::Text(format!("row {i}")),
            ];
            let result = session.execute_prepared(&insert, &params).await.unwrap();
            assert!(matches!(result, StatementResult::Affected(1)), "{result:?}");
        }
        let wrong_count = session
            .execute_prepared(&insert, &[Value::BigInt(1)])
            .await
            .unwrap_err();
        assert_eq!(wrong_count.code(), "invalid_argument");
        assert!(wrong_count.to_string().contains("takes 4 parameters ($1 … $4), got 1"));
        let wrong_type = session
            .execute_prepared(
                &insert,
                &[Value::Text("abc".into()), Value::Null, Value::Null, Value::Null],
            )
            .await
            .unwrap_err();
        assert_eq!(wrong_type.code(), "type_mismatch");
        assert!(wrong_type.to_string().contains("'$1'"), "{wrong_type}");
        assert!(wrong_type.to_string().contains("BIGINT"), "{wrong_type}");

        let get = session.prepare("SELECT s, n FROM p.t WHERE id = $1").await.unwrap();
        let row = session.execute_prepared(&get, &[Value::BigInt(3)]).await.unwrap();
        assert_eq!(render(&Ok(vec![row])).lines().nth(1), Some("row 3 | 30"));
        let none = session.execute_prepared(&get, &[Value::BigInt(99)]).await.unwrap();
        assert_eq!(none.row_count(), 0);

        // A range goes to DataFusion; its plan follows a change of the table.
        let range = session
            .prepare("SELECT * FROM p.t WHERE n >= $1 ORDER BY id")
            .await
            .unwrap();
        assert_eq!(
            session
                .execute_prepared(&range, &[Value::BigInt(70)])
                .await
                .unwrap()
                .row_count(),
            3
        );
        session.execute("ALTER TABLE p.t ADD COLUMN extra TEXT").await.unwrap();
        let after = session.execute_prepared(&range, &[Value::Int(80)]).await.unwrap();
        let StatementResult::Rows { schema, .. } = &after else {
            panic!("{after:?}")
        };
        assert_eq!(schema.fields().len(), 5, "the plan follows ALTER TABLE");
        assert_eq!(after.row_count(), 2);

        let update = session.prepare("UPDATE p.t SET s = $2 WHERE id = $1").await.unwrap();
        let result = session
            .execute_prepared(&update, &[Value::BigInt(4), Value::Text("four".into())])
            .await
            .unwrap();
        assert!(matches!(result, StatementResult::Affected(1)));

        // A batch: one commit for every row; an error in one row writes none.
        let before = engine.last_seq();
        let rows: Vec<Vec<Value>> = (100..1100)
            .map(|i| vec![Value::BigInt(i), Value::Null, Value::BigInt(i), Value::Text("b".into())])
            .collect();
        assert_eq!(session.execute_prepared_batch(&insert, &rows).await.unwrap(), 1000);
        assert_eq!(engine.last_seq(), before + 1, "one commit for the batch");
        let mut clashing = rows.clone();
        for row in &mut clashing {
            if let Value::BigInt(id) = &mut row[0] {
                *id += 10_000;
            }
        }
        clashing[500][0] = Value::BigInt(5);
        let error = session.execute_prepared_batch(&insert, &clashing).await.unwrap_err();
        assert_eq!(error.code(), "duplicate_key");
        let total = session.execute("SELECT count(*) FROM p.t").await.unwrap();
        assert_eq!(
            render(&Ok(total)).lines().nth(1),
            Some("1010"),
            "nothing of the failed batch"
        );
        let delete = session.prepare("DELETE FROM p.t WHERE id = $1").await.unwrap();
        let keys: Vec<Vec<Value>> = (100..200).map(|i| vec![Value::BigInt(i)]).collect();
        assert_eq!(session.execute_prepared_batch(&delete, &keys).await.unwrap(), 100);
        let not_batch = session
            .execute_prepared_batch(&range, &[vec![Value::BigInt(1)]])
            .await
            .unwrap_err();
        assert_eq!(not_batch.code(), "unsupported");

        let ddl = session.prepare("CREATE TABLE p.x (a INT)").await.unwrap_err();
        assert_eq!(ddl.code(), "unsupported");
        let two = session.prepare("SELECT 1; SELECT 2").await.unwrap_err();
        assert_eq!(two.code(), "invalid_argument");
        let user = engine.session(Actor::User("alice".into()));
        let other = user.execute_prepared(&get, &[Value::BigInt(3)]).await.unwrap_err();
        assert_eq!(other.code(), "invalid_argument");
    }
}

/// A session keeps DataFusion's plans by statement text: a kept plan reads the rows as
/// they are when it runs again, follows DDL, and plans over system views (which hold
/// what they read when planned) are not kept at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_plans_never_serve_stale_rows() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let session = engine.session(Actor::Admin);
    session
        .execute("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    let one = |sql: &'static str| {
        let session = &session;
        async move {
            render(&session.execute(sql).await)
                .lines()
                .nth(1)
                .unwrap_or_default()
                .to_string()
        }
    };
    for i in 0..3 {
        session
            .execute(&format!("INSERT INTO c.t VALUES ({i}, 'v{i}')"))
            .await
            .unwrap();
        let n = (i + 1).to_string();
        assert_eq!(one("SELECT count(*) FROM c.t WHERE v LIKE 'v%'").await, n);
        assert_eq!(one("SELECT rows FROM system.tables WHERE name = 't'").await, n);
        assert_eq!(one("SELECT count(*) FROM c.t").await, n);
    }
    session.execute("ALTER TABLE c.t ADD COLUMN w TEXT").await.unwrap();
    let all = render(&session.execute("SELECT * FROM c.t WHERE v LIKE 'v%'").await);
    assert!(all.contains("name: \"w\""), "{all}");
}
