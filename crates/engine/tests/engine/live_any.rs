//! Live views of any query, checked differentially: random writes to a small shop
//! (customers, orders, a USER table of notes) while subscriptions of every shape —
//! filters and computed columns, GROUP BY with every aggregate and HAVING, DISTINCT,
//! ORDER BY ... LIMIT/OFFSET, inner and left joins, and shapes only re-evaluation keeps
//! (window functions, subqueries, UNION) — are open. After each commit the test runs
//! every query itself; every change batch a subscriber receives must leave the rows it
//! rebuilt from snapshot + changes equal to the query's result at the batch's `to_seq`,
//! and at the end every subscriber must agree with the final result. A second phase
//! subscribes while writers run. Failures print the seed:
//! `TIDEPOOL_LIVE_ANY_SEED=<seed> cargo test --workspace --test engine live_any::`; `TIDEPOOL_LIVE_ANY_SEEDS`
//! runs that many seeds (default 3).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tidepool_engine::{
    rows_json, Actor, Change, Engine, EngineOptions, LiveMessage, Session, StatementResult, Subscription,
};

/// Every shape a live query can have, with how it must be maintained.
const QUERIES: &[(&str, &str)] = &[
    ("incremental", "SELECT id, status, total FROM shop.o WHERE total > 50"),
    ("incremental", "SELECT id, upper(status) AS s, total * 2 AS double_total FROM shop.o WHERE total IS NOT NULL"),
    ("incremental", "SELECT status, count(*) AS n, sum(total) AS s, avg(total) AS a, min(total) AS lo, max(total) AS hi FROM shop.o GROUP BY status"),
    ("incremental", "SELECT count(*) AS n, sum(price) AS revenue FROM shop.o"),
    ("incremental", "SELECT cust, count(DISTINCT status) AS statuses, count(total) AS priced FROM shop.o GROUP BY cust HAVING count(*) > 1"),
    ("incremental", "SELECT DISTINCT status FROM shop.o"),
    ("incremental", "SELECT DISTINCT cust % 3 AS bucket, status FROM shop.o WHERE total > 20 ORDER BY bucket"),
    ("incremental", "SELECT * FROM shop.o ORDER BY total DESC"),
    ("incremental", "SELECT cust % 4 AS bucket, count(*) AS n, max(price) AS top FROM shop.o WHERE price < 40 GROUP BY bucket"),
    ("reevaluate", "SELECT date_part('year', now()) AS y, count(*) AS n FROM shop.o GROUP BY y"),
    ("incremental", "SELECT id, total FROM shop.o WHERE total IS NOT NULL ORDER BY total DESC, id LIMIT 5"),
    ("incremental", "SELECT id, total FROM shop.o ORDER BY total ASC NULLS FIRST, id LIMIT 4 OFFSET 2"),
    ("incremental", "SELECT id, price * 2 AS p FROM shop.o WHERE status <> 'new' ORDER BY p DESC, id LIMIT 3"),
    ("incremental", "SELECT _user, id, body FROM shop.notes ORDER BY id DESC, _user LIMIT 2"),
    ("incremental", "SELECT o.id, o.total, c.region FROM shop.o JOIN shop.c ON o.cust = c.id"),
    ("incremental", "SELECT o.id, c.region, c.tier FROM shop.o LEFT JOIN shop.c ON o.cust = c.id WHERE o.status <> 'cancelled'"),
    ("reevaluate", "SELECT c.region, count(*) AS orders, sum(o.total) AS total FROM shop.o JOIN shop.c ON o.cust = c.id GROUP BY c.region"),
    ("reevaluate", "SELECT id, rank() OVER (ORDER BY total DESC NULLS LAST, id) AS r FROM shop.o"),
    ("reevaluate", "SELECT id FROM shop.o WHERE cust IN (SELECT id FROM shop.c WHERE tier = 1)"),
    ("reevaluate", "SELECT status AS name FROM shop.o UNION ALL SELECT region FROM shop.c"),
    ("incremental", "SELECT o.id, n.body FROM shop.o JOIN shop.notes n ON n.order_id = o.id"),
    ("incremental", "SELECT o.id, c.region, n.body, n._user FROM shop.o LEFT JOIN shop.c ON o.cust = c.id JOIN shop.notes n ON n.order_id = o.id WHERE o.total > 10 OR c.tier = 1"),
    ("incremental", "SELECT o.id, c.id AS cid, peer.id AS peer_id FROM shop.o o JOIN shop.c c ON o.cust = c.id LEFT JOIN shop.c peer ON peer.tier = c.tier ORDER BY o.id"),
    ("incremental", "SELECT _user, count(*) AS n FROM shop.notes GROUP BY _user"),
];

const STATUSES: [&str; 4] = ["new", "paid", "shipped", "cancelled"];
const REGIONS: [&str; 3] = ["north", "south", "west"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A random write: single and multi-row statements on every table, key changes and
/// join-key changes included.
fn write(rng: &mut Rng) -> String {
    let order = |rng: &mut Rng| {
        let total = match rng.below(6) {
            0 => "NULL".to_string(),
            _ => rng.below(120).to_string(),
        };
        format!(
            "({}, {}, '{}', {total}, {}.5)",
            rng.below(60),
            rng.below(14),
            rng.pick(&STATUSES),
            rng.below(90)
        )
    };
    match rng.below(14) {
        0..=2 => format!("INSERT INTO shop.o VALUES {}", order(rng)),
        3 => {
            let rows: Vec<String> = (0..1 + rng.below(6)).map(|_| order(rng)).collect();
            format!("INSERT INTO shop.o VALUES {}", rows.join(", "))
        }
        4 => format!(
            "UPDATE shop.o SET total = total + {} WHERE id % {} = {}",
            rng.below(30),
            2 + rng.below(4),
            rng.below(2)
        ),
        5 => format!(
            "UPDATE shop.o SET status = '{}' WHERE id = {}",
            rng.pick(&STATUSES),
            rng.below(60)
        ),
        6 => format!(
            "UPDATE shop.o SET cust = {} WHERE id = {}",
            rng.below(14),
            rng.below(60)
        ),
        7 => format!("UPDATE shop.o SET id = {} WHERE id = {}", rng.below(60), rng.below(60)),
        8 => format!("DELETE FROM shop.o WHERE id = {}", rng.below(60)),
        9 => format!("DELETE FROM shop.o WHERE total < {}", rng.below(25)),
        10 => format!(
            "INSERT INTO shop.c VALUES ({}, '{}', {})",
            rng.below(14),
            rng.pick(&REGIONS),
            rng.below(3)
        ),
        11 => format!(
            "UPDATE shop.c SET region = '{}', tier = {} WHERE id = {}",
            rng.pick(&REGIONS),
            rng.below(3),
            rng.below(14)
        ),
        12 => format!("DELETE FROM shop.c WHERE id = {}", rng.below(14)),
        _ => {
            let user = ["ann", "bob"][rng.below(2) as usize];
            match rng.below(3) {
                0 | 1 => format!(
                    "EXECUTE AS USER '{user}' (INSERT INTO shop.notes VALUES ({}, {}, 'note {}'))",
                    rng.below(20),
                    rng.below(60),
                    rng.below(1000)
                ),
                _ => format!(
                    "EXECUTE AS USER '{user}' (DELETE FROM shop.notes WHERE id = {})",
                    rng.below(20)
                ),
            }
        }
    }
}

const SCHEMA: &str = "CREATE NAMESPACE shop;
    CREATE TABLE shop.c (id BIGINT PRIMARY KEY, region TEXT NOT NULL, tier INT);
    CREATE TABLE shop.o (id BIGINT PRIMARY KEY, cust BIGINT, status TEXT NOT NULL, total BIGINT, price DOUBLE);
    CREATE USER TABLE shop.notes (id BIGINT PRIMARY KEY, order_id BIGINT, body TEXT)";

/// A result as a sorted list of rows (numbers rounded to 9 significant digits, so an
/// average kept incrementally and one computed afresh compare equal).
fn canonical(rows: impl IntoIterator<Item = Vec<Json>>) -> Vec<String> {
    fn round(v: &Json) -> Json {
        match v {
            Json::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or_default();
                json!(format!("{f:.9e}"))
            }
            other => other.clone(),
        }
    }
    let mut rows: Vec<String> = rows
        .into_iter()
        .map(|row| Json::Array(row.iter().map(round).collect()).to_string())
        .collect();
    rows.sort();
    rows
}

async fn result(session: &Session, sql: &str) -> Vec<String> {
    let mut results = session.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    match results.pop() {
        Some(StatementResult::Rows { batches, .. }) => canonical(rows_json(&batches)),
        other => panic!("{sql}: not rows: {other:?}"),
    }
}

/// What one subscriber has rebuilt from its messages.
struct Mirror {
    sql: &'static str,
    subscription: Subscription,
    rows: BTreeMap<String, Vec<Json>>,
    last_seq: u64,
    snapshot_done: bool,
    batches: usize,
}

impl Mirror {
    /// Applies what has arrived; each completed snapshot or change batch is checked
    /// against `expected` (the query's result after each commit) when it has that seq.
    fn drain(&mut self, expected: &HashMap<u64, Vec<String>>, seed: u64) {
        while let Some(message) = self.subscription.try_recv() {
            let checked_seq = match message {
                LiveMessage::Subscribed { snapshot_seq, .. } => {
                    self.rows.clear();
                    self.last_seq = snapshot_seq;
                    self.snapshot_done = false;
                    None
                }
                LiveMessage::Snapshot { rows, keys, last, .. } => {
                    for (key, row) in keys.into_iter().zip(rows) {
                        let key = Json::Array(key).to_string();
                        assert!(
                            self.rows.insert(key, row).is_none(),
                            "seed {seed}: {}: duplicate snapshot key",
                            self.sql
                        );
                    }
                    self.snapshot_done = last;
                    last.then_some(self.last_seq)
                }
                LiveMessage::Changes {
                    from_seq,
                    to_seq,
                    changes,
                    ..
                } => {
                    assert!(
                        self.snapshot_done,
                        "seed {seed}: {}: changes before the snapshot",
                        self.sql
                    );
                    assert_eq!(
                        from_seq,
                        self.last_seq + 1,
                        "seed {seed}: {}: gap before {from_seq}",
                        self.sql
                    );
                    self.last_seq = to_seq;
                    self.batches += 1;
                    for change in changes.iter().cloned() {
                        let key = Json::Array(change.key().to_vec()).to_string();
                        match change {
                            Change::Insert { row, .. } => assert!(
                                self.rows.insert(key.clone(), row).is_none(),
                                "seed {seed}: {}: insert of present key {key}",
                                self.sql
                            ),
                            Change::Update { row, old, .. } => assert_eq!(
                                self.rows.insert(key.clone(), row),
                                Some(old),
                                "seed {seed}: {}: update of {key} with another old row",
                                self.sql
                            ),
                            Change::Delete { old, .. } => assert_eq!(
                                self.rows.remove(&key),
                                Some(old),
                                "seed {seed}: {}: delete of {key} with another old row",
                                self.sql
                            ),
                        }
                    }
                    Some(to_seq)
                }
                LiveMessage::Resync { .. } => None,
                other => panic!("seed {seed}: {}: unexpected {other:?}", self.sql),
            };
            if let Some(want) = checked_seq.and_then(|seq| expected.get(&seq)) {
                assert_eq!(
                    &canonical(self.rows.values().cloned()),
                    want,
                    "seed {seed}: {}: rows after seq {} differ from the query's result then",
                    self.sql,
                    self.last_seq
                );
            }
        }
    }

    fn agrees(&self, want: &[String]) -> bool {
        self.snapshot_done && canonical(self.rows.values().cloned()) == want
    }
}

async fn open(seed: u64, incremental: bool) -> (tempfile::TempDir, Engine, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions {
        live_reevaluate_interval: Duration::from_millis(5 + seed % 20),
        live_incremental: incremental,
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(dir.path(), options).expect("open");
    let admin = engine.session(Actor::Admin);
    admin.execute(SCHEMA).await.expect("schema");
    (dir, engine, admin)
}

async fn subscribe_all(session: &Session, seed: u64, incremental: bool) -> Vec<Mirror> {
    let mut mirrors = Vec::new();
    for (maintenance, sql) in QUERIES {
        let mut subscription = session
            .subscribe(sql)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: {sql}: {e}"));
        let first = subscription.recv().await;
        match &first {
            Some(LiveMessage::Subscribed {
                maintenance: m,
                snapshot_seq,
                ..
            }) => {
                let expected = if incremental { *maintenance } else { "reevaluate" };
                assert_eq!(m, expected, "{sql}");
                let last_seq = *snapshot_seq;
                mirrors.push(Mirror {
                    sql,
                    subscription,
                    rows: BTreeMap::new(),
                    last_seq,
                    snapshot_done: false,
                    batches: 0,
                });
            }
            other => panic!("seed {seed}: {sql}: first message {other:?}"),
        }
    }
    mirrors
}

/// Waits until every subscriber agrees with the queries' current results.
async fn settle(mirrors: &mut [Mirror], session: &Session, expected: &HashMap<u64, Vec<String>>, seed: u64) {
    let mut want = Vec::new();
    for mirror in mirrors.iter() {
        want.push(result(session, mirror.sql).await);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for (mirror, want) in mirrors.iter_mut().zip(&want) {
        loop {
            mirror.drain(expected, seed);
            if mirror.agrees(want) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "seed {seed}: {} never caught up: has {:?}, the query gives {want:?}",
                mirror.sql,
                canonical(mirror.rows.values().cloned())
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn run_seed(seed: u64, incremental: bool) {
    let (_dir, engine, admin) = open(seed, incremental).await;
    let mut rng = Rng(seed);
    for _ in 0..40 {
        let statement = write(&mut rng);
        let outcome = admin.execute(&statement).await;
        if std::env::var_os("TIDEPOOL_LIVE_ANY_VERBOSE").is_some() {
            eprintln!(
                "seq {}: {statement} → {:?}",
                engine.last_seq(),
                outcome.map(|r| r.len())
            );
        }
    }
    let mut mirrors = subscribe_all(&admin, seed, incremental).await;
    // Each query's result after each commit, by seq.
    let mut per_query: Vec<HashMap<u64, Vec<String>>> = vec![HashMap::new(); QUERIES.len()];
    let snapshot_seq = engine.last_seq();
    for (i, (_, sql)) in QUERIES.iter().enumerate() {
        per_query[i].insert(snapshot_seq, result(&admin, sql).await);
    }
    for _ in 0..150 {
        let before = engine.last_seq();
        let statement = write(&mut rng);
        let outcome = admin.execute(&statement).await;
        let seq = engine.last_seq();
        if std::env::var_os("TIDEPOOL_LIVE_ANY_VERBOSE").is_some() {
            eprintln!("seq {seq}: {statement} → {:?}", outcome.map(|r| r.len()));
        }
        if seq != before {
            for (i, (_, sql)) in QUERIES.iter().enumerate() {
                per_query[i].insert(seq, result(&admin, sql).await);
            }
        }
        for (i, mirror) in mirrors.iter_mut().enumerate() {
            mirror.drain(&per_query[i], seed);
        }
    }
    for (i, mirror) in mirrors.iter_mut().enumerate() {
        settle(std::slice::from_mut(mirror), &admin, &per_query[i], seed).await;
    }
    let batches: usize = mirrors.iter().map(|m| m.batches).sum();
    assert!(
        batches > QUERIES.len(),
        "seed {seed}: only {batches} change batches arrived"
    );

    // Subscribing while writers run: each subscriber ends up equal to the query.
    let writer = {
        let session = engine.session(Actor::Admin);
        let mut rng = Rng(seed ^ 0xdead_beef);
        tokio::spawn(async move {
            for _ in 0..300 {
                let _ = session.execute(&write(&mut rng)).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let mut during = subscribe_all(&admin, seed, incremental).await;
    writer.await.expect("writer");
    let none = HashMap::new();
    settle(&mut during, &admin, &none, seed).await;
    // A user sees only their notes, live too.
    let ann = engine.session(Actor::User("ann".into()));
    let mut mine = ann
        .subscribe("SELECT count(*) AS n FROM shop.notes")
        .await
        .expect("user subscription");
    let mut rows = Vec::new();
    for message in mine.recv_ready().await {
        if let LiveMessage::Snapshot { rows: r, .. } = message {
            rows.extend(r);
        }
    }
    let own = result(&ann, "SELECT count(*) AS n FROM shop.notes").await;
    assert_eq!(canonical(rows), own, "seed {seed}: a user's live count");
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("TIDEPOOL_LIVE_ANY_SEED") {
        return vec![seed.parse().expect("TIDEPOOL_LIVE_ANY_SEED is a number")];
    }
    let count: u64 = std::env::var("TIDEPOOL_LIVE_ANY_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    (1..=count).map(|i| 20_261_204 + i).collect()
}

/// The same queries and writes with every query re-evaluated: the fallback is exact
/// for every shape too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shape_stays_equal_to_rerunning_its_query_when_reevaluated() {
    let seed = seeds()[0];
    eprintln!("live_any (re-evaluated): seed {seed}");
    run_seed(seed, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shape_stays_equal_to_rerunning_its_query() {
    for seed in seeds() {
        eprintln!("live_any: seed {seed}");
        run_seed(seed, true).await;
    }
}
