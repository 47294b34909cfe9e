//! Live queries under load, named after the seed's checklist. Each test drives a real
//! database directory and real subscriptions; a `Mirror` applies what a subscriber
//! receives and checks the protocol (continuity of seqs, no insert of a present key,
//! no update or delete of an absent one).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as Json};
use tidepool_engine::{
    Actor, Change, Engine, EngineOptions, LiveMessage, Row, Session, StatementResult, Subscription, TableName, Value,
};

/// What a subscriber knows: the rows by key, and the last seq it has seen.
#[derive(Default, Debug)]
struct Mirror {
    rows: BTreeMap<String, Vec<Json>>,
    last_seq: u64,
    subscribed: bool,
    snapshot_done: bool,
    resyncs: usize,
    changes: usize,
    closed: Option<String>,
}

impl Mirror {
    fn apply(&mut self, message: LiveMessage) {
        match message {
            LiveMessage::Subscribed {
                snapshot_seq, resumed, ..
            } => {
                if resumed {
                    assert_eq!(snapshot_seq, self.last_seq, "resumed from another seq");
                } else {
                    self.rows.clear();
                }
                self.last_seq = snapshot_seq;
                self.subscribed = true;
                self.snapshot_done = resumed;
            }
            LiveMessage::Snapshot { rows, keys, last, .. } => {
                assert!(
                    self.subscribed && !self.snapshot_done,
                    "snapshot outside a subscription"
                );
                for (key, row) in keys.into_iter().zip(rows) {
                    assert!(
                        self.rows.insert(json!(key).to_string(), row).is_none(),
                        "duplicate snapshot row"
                    );
                }
                self.snapshot_done = last;
            }
            LiveMessage::Changes {
                from_seq,
                to_seq,
                changes,
                ..
            } => {
                assert!(self.snapshot_done, "changes before the snapshot ended");
                assert_eq!(
                    from_seq,
                    self.last_seq + 1,
                    "gap or overlap before {from_seq}..{to_seq}"
                );
                assert!(to_seq >= from_seq);
                self.last_seq = to_seq;
                for change in changes.iter().cloned() {
                    self.changes += 1;
                    let key = json!(change.key()).to_string();
                    match change {
                        Change::Insert { row, .. } => {
                            assert!(self.rows.insert(key, row).is_none(), "insert of a present key")
                        }
                        Change::Update { row, old, .. } => {
                            assert_eq!(self.rows.insert(key, row), Some(old), "update of a different old row")
                        }
                        Change::Delete { old, .. } => {
                            assert_eq!(self.rows.remove(&key), Some(old), "delete of a different row")
                        }
                    }
                }
            }
            LiveMessage::Resync { missed_from_seq, .. } => {
                assert_eq!(
                    missed_from_seq,
                    self.last_seq + 1,
                    "resync must say where the gap starts"
                );
                self.resyncs += 1;
                self.subscribed = false;
                self.snapshot_done = false;
            }
            LiveMessage::Error { message, .. } => panic!("subscription error: {message}"),
            LiveMessage::Closed { reason, .. } => self.closed = Some(reason),
        }
    }
}

async fn setup() -> (tempfile::TempDir, Engine, Session) {
    setup_with(EngineOptions::default()).await
}

async fn setup_with(options: EngineOptions) -> (tempfile::TempDir, Engine, Session) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_with(dir.path(), options).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, grp TEXT, n BIGINT)")
        .await
        .unwrap();
    (dir, engine, admin)
}

/// Reads until the subscription has seen `seq` (and its snapshot), applying everything.
async fn follow_until(subscription: &mut Subscription, mirror: &mut Mirror, engine: &Engine, seq: u64) {
    engine.live_flushed().await;
    loop {
        for message in subscription.recv_ready().await {
            mirror.apply(message);
        }
        // After a resync the fresh snapshot may not have started yet.
        if mirror.snapshot_done || mirror.closed.is_some() {
            break;
        }
        let message = tokio::time::timeout(Duration::from_secs(60), subscription.recv())
            .await
            .expect("message")
            .unwrap();
        mirror.apply(message);
    }
    assert!(mirror.last_seq <= seq && engine.last_seq() >= seq);
}

/// A subscription to `sql` that has read everything up to the database's last seq.
async fn caught_up(admin: &Session, engine: &Engine, sql: &str) -> (Subscription, Mirror) {
    let mut subscription = admin.subscribe(sql).await.unwrap();
    let mut mirror = Mirror::default();
    follow_until(&mut subscription, &mut mirror, engine, engine.last_seq()).await;
    (subscription, mirror)
}

/// The table as a query sees it, keyed like the mirror.
async fn table_rows(session: &Session, sql: &str) -> BTreeMap<String, Vec<Json>> {
    let StatementResult::Rows { batches, .. } = session.execute(sql).await.unwrap().pop().unwrap() else {
        panic!("not a query")
    };
    tidepool_engine::rows_json(&batches)
        .into_iter()
        .map(|row| (json!([row[0]]).to_string(), row))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_table_insert_update_delete_each_notify_through_every_write_path() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)")
        .await
        .unwrap();
    let alice = engine.session(Actor::User("alice".into()));
    let mut sub = alice.subscribe("SELECT id, body FROM app.notes").await.unwrap();
    let notes = TableName::parse("app.notes").unwrap();
    let row =
        |id: i32, body: &str| Row::from([("id".into(), Value::Int(id)), ("body".into(), Value::Text(body.into()))]);

    alice.execute("INSERT INTO app.notes VALUES (1, 'sql')").await.unwrap();
    alice.insert_rows(&notes, vec![row(2, "typed")]).unwrap();
    alice
        .execute("UPDATE app.notes SET body = 'sql update' WHERE id = 1")
        .await
        .unwrap();
    alice
        .update_row(
            &notes,
            vec![Value::Int(2)],
            Row::from([("body".into(), Value::Text("typed update".into()))]),
        )
        .unwrap();
    alice.execute("DELETE FROM app.notes WHERE id = 1").await.unwrap();
    alice.delete_rows(&notes, vec![vec![Value::Int(2)]]).unwrap();

    let mut mirror = Mirror::default();
    follow_until(&mut sub, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.changes, 6, "every write path notifies");
    assert!(mirror.rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_insert_of_100000_rows_delivers_every_row_exactly_once() {
    let (_dir, engine, admin) = setup().await;
    let mut sub = admin.subscribe("SELECT id, n FROM app.t").await.unwrap();
    let mut filtered = admin.subscribe("SELECT id FROM app.t WHERE n % 2 = 0").await.unwrap();
    admin
        .execute("INSERT INTO app.t SELECT value AS id, 'g' AS grp, value AS n FROM generate_series(1, 100000)")
        .await
        .unwrap();
    let seq = engine.last_seq();

    let mut mirror = Mirror::default();
    follow_until(&mut sub, &mut mirror, &engine, seq).await;
    assert_eq!(mirror.rows.len(), 100_000);
    assert_eq!(mirror.changes, 100_000, "each row exactly once");
    assert_eq!(mirror.last_seq, seq, "one statement, one batch");

    let mut even = Mirror::default();
    follow_until(&mut filtered, &mut even, &engine, seq).await;
    assert_eq!(even.rows.len(), 50_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_updates_of_one_row_arrive_all_and_in_order() {
    let (_dir, engine, admin) = setup().await;
    admin.execute("INSERT INTO app.t VALUES (1, 'g', 0)").await.unwrap();
    let mut sub = admin.subscribe("SELECT id, n FROM app.t WHERE id = 1").await.unwrap();
    let table = TableName::parse("app.t").unwrap();
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 10_000 {
            match sub.recv().await.unwrap() {
                LiveMessage::Changes { changes, .. } => {
                    for change in changes.iter().cloned() {
                        let Change::Update { row, .. } = change else {
                            panic!("expected updates")
                        };
                        seen.push(row[1].as_i64().unwrap());
                    }
                }
                LiveMessage::Resync { .. } => panic!("a reading subscriber must not be resynced"),
                _ => {}
            }
        }
        seen
    });
    let writer = engine.session(Actor::Admin);
    for n in 1..=10_000i64 {
        writer
            .update_row(
                &table,
                vec![Value::BigInt(1)],
                Row::from([("n".into(), Value::BigInt(n))]),
            )
            .unwrap();
        if n % 500 == 0 {
            // Let the reader run on this two-thread runtime; writers never wait for it.
            tokio::task::yield_now().await;
        }
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, (1..=10_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_succeeds_when_a_subscriber_failed_panicked_or_disconnected() {
    let (_dir, engine, admin) = setup().await;
    // Disconnected: subscribed, then dropped.
    drop(admin.subscribe("SELECT * FROM app.t").await.unwrap());
    // Panicked: the task reading it panics on its first message.
    let mut doomed = admin.subscribe("SELECT * FROM app.t").await.unwrap();
    let panicked = tokio::spawn(async move {
        doomed.recv().await;
        panic!("subscriber bug");
    });
    assert!(panicked.await.is_err());
    // Killed while its messages are unread.
    let killed = admin.subscribe("SELECT * FROM app.t").await.unwrap();
    admin
        .execute(&format!("KILL LIVE QUERY '{}'", killed.id()))
        .await
        .unwrap();
    // A healthy one alongside.
    let mut healthy = admin.subscribe("SELECT * FROM app.t").await.unwrap();

    for i in 0..50 {
        admin
            .execute(&format!("INSERT INTO app.t VALUES ({i}, 'g', {i})"))
            .await
            .unwrap();
    }
    let mut mirror = Mirror::default();
    follow_until(&mut healthy, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.rows.len(), 50);
    let live = table_rows(&admin, "SELECT count(*) FROM system.live").await;
    assert_eq!(
        live.values().next().unwrap()[0],
        json!(1),
        "only the healthy one is left: {live:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_is_consistent_with_writers_running_during_subscribe() {
    let (_dir, engine, admin) = setup().await;
    let engine = Arc::new(engine);
    let mut seed = 0x1234_5678_u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    for round in 0..30 {
        // Writers insert, update and delete random keys while we subscribe.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (engine, stop) = (engine.clone(), stop.clone());
                let mut seed = (round * 7 + w) as u64 + 1;
                tokio::spawn(async move {
                    let session = engine.session(Actor::Admin);
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        let id = (seed >> 33) % 200;
                        let sql = match (seed >> 20) % 3 {
                            0 => format!("INSERT INTO app.t VALUES ({id}, 'g{}', {id})", id % 3),
                            1 => format!(
                                "UPDATE app.t SET n = n + 1, grp = 'g{}' WHERE id = {id}",
                                (seed >> 40) % 3
                            ),
                            _ => format!("DELETE FROM app.t WHERE id = {id}"),
                        };
                        let _ = session.execute(&sql).await; // duplicate keys are expected
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(next() % 20)).await;
        let mut sub = admin
            .subscribe("SELECT id, grp, n FROM app.t WHERE grp <> 'g0'")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5 + next() % 30)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        let mut mirror = Mirror::default();
        follow_until(&mut sub, &mut mirror, &engine, engine.last_seq()).await;
        let expected = table_rows(&admin, "SELECT id, grp, n FROM app.t WHERE grp <> 'g0'").await;
        assert_eq!(
            mirror.rows, expected,
            "round {round}: snapshot + changes differ from the table"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_gets_resync_while_a_healthy_one_receives_everything() {
    // A small queue bound, so 3,000 one-row commits overflow it.
    let (_dir, engine, admin) = setup_with(EngineOptions {
        live_queue_rows: 1000,
        ..EngineOptions::default()
    })
    .await;
    let mut stalled = admin.subscribe("SELECT id, n FROM app.t").await.unwrap();
    let mut healthy = admin.subscribe("SELECT id, n FROM app.t").await.unwrap();
    let table = TableName::parse("app.t").unwrap();
    let healthy_reader = tokio::spawn(async move {
        let mut mirror = Mirror::default();
        while mirror.changes < 3000 {
            mirror.apply(healthy.recv().await.unwrap());
        }
        mirror
    });
    // 3,000 commits while `stalled` reads nothing: more than its queue holds. If
    // writers waited for delivery this loop would never finish.
    for i in 0..3000i64 {
        let row = Row::from([("id".into(), Value::BigInt(i)), ("n".into(), Value::BigInt(i))]);
        engine.session(Actor::Admin).insert_rows(&table, vec![row]).unwrap();
    }
    let mirror = tokio::time::timeout(Duration::from_secs(60), healthy_reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((mirror.rows.len(), mirror.resyncs), (3000, 0));

    // The stalled subscriber now reads: what was queued, then resync, then a fresh
    // snapshot that equals the table, then live changes again.
    let mut mirror = Mirror::default();
    follow_until(&mut stalled, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.resyncs, 1, "told exactly once that it fell behind");
    assert_eq!(mirror.rows.len(), 3000);
    admin.execute("DELETE FROM app.t WHERE id < 10").await.unwrap();
    follow_until(&mut stalled, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.rows.len(), 2990);
    let live = table_rows(&admin, "SELECT status FROM system.live").await;
    assert!(live.values().all(|r| r[0] == json!("live")), "{live:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_resumes_from_its_seq_and_receives_only_later_changes() {
    let (_dir, engine, admin) = setup().await;
    admin
        .execute("INSERT INTO app.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'a', 3)")
        .await
        .unwrap();
    let query = "SELECT id, n FROM app.t WHERE grp = 'a'";
    let (mut first, mut mirror) = caught_up(&admin, &engine, query).await;
    admin.execute("UPDATE app.t SET n = 10 WHERE id = 1").await.unwrap();
    follow_until(&mut first, &mut mirror, &engine, engine.last_seq()).await;
    drop(first); // The connection is gone; the client keeps its rows and seq.

    admin.execute("INSERT INTO app.t VALUES (4, 'a', 4)").await.unwrap();
    admin.execute("UPDATE app.t SET grp = 'b' WHERE id = 3").await.unwrap();
    admin.execute("INSERT INTO app.t VALUES (5, 'b', 5)").await.unwrap();
    let before = mirror.changes;
    let mut resumed = admin.subscribe_from(query, Some(mirror.last_seq)).await.unwrap();
    follow_until(&mut resumed, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.resyncs, 0);
    assert_eq!(mirror.changes - before, 2, "only the insert of 4 and the leave of 3");
    assert_eq!(
        mirror.rows,
        table_rows(&admin, "SELECT id, n FROM app.t WHERE grp = 'a'").await
    );

    // Live changes follow the replayed ones without a gap.
    admin.execute("UPDATE app.t SET n = 40 WHERE id = 4").await.unwrap();
    follow_until(&mut resumed, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(
        mirror.rows,
        table_rows(&admin, "SELECT id, n FROM app.t WHERE grp = 'a'").await
    );

    // Resuming at the current seq gets nothing to replay.
    let mut current = admin.subscribe_from(query, Some(engine.last_seq())).await.unwrap();
    let messages = current.recv_ready().await;
    assert!(
        matches!(
            &messages[..],
            [LiveMessage::Subscribed {
                resumed: true,
                row_count: 0,
                ..
            }]
        ),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_history_that_is_gone_gets_resync_and_a_snapshot() {
    let options = EngineOptions {
        live_history_rows: 10,
        ..EngineOptions::default()
    };
    let (_dir, engine, admin) = setup_with(options).await;
    admin.execute("INSERT INTO app.t VALUES (1, 'a', 1)").await.unwrap();
    let seq_before_any_subscriber = engine.last_seq();

    // No subscriber ever watched the table before: nothing was kept.
    let mut sub = admin.subscribe_from("SELECT id, n FROM app.t", Some(0)).await.unwrap();
    let mut mirror = Mirror::default();
    follow_until(&mut sub, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.resyncs, 1);
    assert_eq!(mirror.rows.len(), 1);
    let had = mirror.last_seq;
    assert_eq!(had, seq_before_any_subscriber);
    drop(sub);

    // More changes than the history keeps.
    admin
        .execute("INSERT INTO app.t SELECT value AS id, 'g' AS grp, value AS n FROM generate_series(2, 20)")
        .await
        .unwrap();
    let mut sub = admin
        .subscribe_from("SELECT id, n FROM app.t", Some(had))
        .await
        .unwrap();
    follow_until(&mut sub, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.resyncs, 2);
    assert_eq!(mirror.rows.len(), 20);

    // A seq the database has not reached is refused.
    let ahead = admin
        .subscribe_from("SELECT id FROM app.t", Some(engine.last_seq() + 1))
        .await;
    assert!(ahead.unwrap_err().to_string().contains("ahead of the database"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_alter_table_resyncs_because_old_rows_have_another_shape() {
    let (_dir, engine, admin) = setup().await;
    let (sub, mirror) = caught_up(&admin, &engine, "SELECT * FROM app.t").await;
    drop(sub);
    admin.execute("INSERT INTO app.t VALUES (1, 'a', 1)").await.unwrap();
    admin.execute("ALTER TABLE app.t ADD COLUMN note TEXT").await.unwrap();
    let mut sub = admin
        .subscribe_from("SELECT id, n FROM app.t", Some(mirror.last_seq))
        .await
        .unwrap();
    let mut mirror = Mirror {
        last_seq: mirror.last_seq,
        ..Mirror::default()
    };
    follow_until(&mut sub, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.resyncs, 1);
    assert_eq!(mirror.rows.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_resume_arrives_in_bounded_batches_that_follow_on() {
    let (_dir, engine, admin) = setup().await;
    let (sub, mut mirror) = caught_up(&admin, &engine, "SELECT id, n FROM app.t").await;
    drop(sub);
    for round in 0..30 {
        let (from, to) = (round * 1000 + 1, round * 1000 + 1000);
        admin
            .execute(&format!(
                "INSERT INTO app.t SELECT value AS id, 'g' AS grp, value AS n FROM generate_series({from}, {to})"
            ))
            .await
            .unwrap();
        admin
            .execute("INSERT INTO app.t VALUES (-1, 'x', 0); DELETE FROM app.t WHERE id = -1")
            .await
            .unwrap();
    }
    let mut resumed = admin
        .subscribe_from("SELECT id, n FROM app.t", Some(mirror.last_seq))
        .await
        .unwrap();
    engine.live_flushed().await;
    let mut sizes = Vec::new();
    for message in resumed.recv_ready().await {
        if let LiveMessage::Changes { changes, .. } = &message {
            sizes.push(changes.len());
        }
        mirror.apply(message);
    }
    assert_eq!(mirror.rows.len(), 30_000);
    assert_eq!(mirror.last_seq, engine.last_seq(), "the batches cover every seq");
    assert!(sizes.len() >= 4 && sizes.iter().all(|&n| n <= 10_000), "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_waiting_for_a_subscriber_arrive_merged_whole_and_in_bounded_batches() {
    let (_dir, engine, admin) = setup().await;
    let (mut sub, mut mirror) = caught_up(&admin, &engine, "SELECT id, n FROM app.t").await;
    // The subscriber reads nothing while 12 statements of 3,000 rows and 2,000 one-row
    // inserts commit, interleaved.
    let table = TableName::new("app", "t");
    for statement in 0..12i64 {
        let from = statement * 3000;
        admin
            .execute(&format!(
                "INSERT INTO app.t SELECT value AS id, 'big' AS grp, {statement} AS n FROM generate_series({from}, {})",
                from + 2999
            ))
            .await
            .unwrap();
        for i in 0..2000 / 12 {
            let id = 1_000_000 + statement * 1000 + i;
            let row = Row::from([
                ("id".to_string(), Value::BigInt(id)),
                ("grp".to_string(), Value::Text("small".into())),
                ("n".to_string(), Value::BigInt(-1)),
            ]);
            admin.insert_rows(&table, vec![row]).unwrap();
        }
    }
    let commits = engine.last_seq() - mirror.last_seq;
    engine.live_flushed().await;
    let mut batches = 0;
    for message in sub.recv_ready().await {
        if let LiveMessage::Changes { changes, .. } = &message {
            batches += 1;
            assert!(changes.len() <= 10_000, "a batch of {} rows", changes.len());
            // Each statement's 3,000 rows are in one batch.
            let mut per_statement = BTreeMap::new();
            for change in changes.iter() {
                let Change::Insert { row, .. } = change else {
                    panic!("not an insert: {change:?}")
                };
                if row[1] != json!(-1) {
                    *per_statement.entry(row[1].to_string()).or_insert(0) += 1;
                }
            }
            assert!(per_statement.values().all(|&n| n == 3000), "{per_statement:?}");
        }
        mirror.apply(message);
    }
    assert_eq!(mirror.rows.len(), 12 * 3000 + 12 * (2000 / 12));
    assert_eq!(mirror.last_seq, engine.last_seq());
    assert!(
        batches * 10 < commits,
        "{commits} commits came in {batches} batches: they were not merged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_bound_holds_when_many_commits_arrive_in_one_burst() {
    // A long tick, so the fan-out takes the one-row commits after the first together.
    let (_dir, engine, admin) = setup_with(EngineOptions {
        live_queue_rows: 1000,
        live_tick: Duration::from_secs(2),
        ..EngineOptions::default()
    })
    .await;
    let (mut stalled, mut mirror) = caught_up(&admin, &engine, "SELECT id, n FROM app.t").await;
    let table = TableName::parse("app.t").unwrap();
    // The first wakes the idle fan-out and is read at once: the queue is empty when the
    // other 2,999 arrive in one burst.
    let row = Row::from([("id".into(), Value::BigInt(-1)), ("n".into(), Value::BigInt(-1))]);
    admin.insert_rows(&table, vec![row]).unwrap();
    follow_until(&mut stalled, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.changes, 1);
    for i in 1..3000i64 {
        let row = Row::from([("id".into(), Value::BigInt(i)), ("n".into(), Value::BigInt(i))]);
        admin.insert_rows(&table, vec![row]).unwrap();
    }
    engine.live_flushed().await;
    let queued = table_rows(&admin, "SELECT status FROM system.live").await;
    assert!(queued.values().all(|r| r[0] == json!("lagging")), "{queued:?}");
    // What was queued stays within the bound (the first change was read before), then
    // resync and a snapshot of everything.
    follow_until(&mut stalled, &mut mirror, &engine, engine.last_seq()).await;
    assert_eq!(mirror.changes - 1, 1000, "changes queued for a bound of 1,000");
    assert_eq!((mirror.resyncs, mirror.rows.len()), (1, 3000));
}

/// Live queries of every shape the seed's checklist names, side by side: how each is
/// kept (`incremental` or `reevaluate`) and its query.
const SHAPES: &[(&str, &str)] = &[
    (
        "incremental",
        "SELECT grp, count(*) AS n, sum(n) AS total, min(n) AS lo, max(n) AS hi FROM app.t GROUP BY grp",
    ),
    ("incremental", "SELECT DISTINCT grp FROM app.t"),
    ("incremental", "SELECT id, n FROM app.t ORDER BY n DESC, id LIMIT 10"),
    (
        "incremental",
        "SELECT t.id, g.label FROM app.t t JOIN app.g g ON t.grp = g.grp",
    ),
    (
        "reevaluate",
        "SELECT id, rank() OVER (ORDER BY n DESC, id) AS r FROM app.t WHERE id < 50",
    ),
];

async fn with_groups(admin: &Session) {
    admin
        .execute(
            "CREATE TABLE app.g (grp TEXT PRIMARY KEY, label TEXT);
             INSERT INTO app.g VALUES ('g0', 'zero'), ('g1', 'one'), ('g2', 'two'), ('g3', 'three')",
        )
        .await
        .unwrap();
}

/// A result as sorted JSON rows.
fn sorted(rows: impl IntoIterator<Item = Vec<Json>>) -> Vec<String> {
    let mut rows: Vec<String> = rows.into_iter().map(|r| json!(r).to_string()).collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_insert_of_100000_rows_reaches_every_shape_complete() {
    let (_dir, engine, admin) = setup().await;
    with_groups(&admin).await;
    let mut subscriptions = Vec::new();
    for (maintenance, sql) in SHAPES {
        let mut subscription = admin.subscribe(sql).await.unwrap();
        let mut mirror = Mirror::default();
        match subscription.recv().await.unwrap() {
            message @ LiveMessage::Subscribed { .. } => {
                let LiveMessage::Subscribed { maintenance: m, .. } = &message else {
                    unreachable!()
                };
                assert_eq!(m, maintenance, "{sql}");
                mirror.apply(message);
            }
            other => panic!("{sql}: {other:?}"),
        }
        subscriptions.push((sql, subscription, mirror));
    }
    admin
        .execute(
            "INSERT INTO app.t SELECT value AS id, concat('g', value % 5) AS grp, value * 7 % 1000 AS n \
             FROM generate_series(1, 100000)",
        )
        .await
        .unwrap();
    let seq = engine.last_seq();
    for (sql, subscription, mirror) in &mut subscriptions {
        follow_until(subscription, mirror, &engine, seq).await;
        // Re-evaluated queries report the commit they ran at: wait for this one.
        while mirror.last_seq < seq {
            let message = tokio::time::timeout(Duration::from_secs(60), subscription.recv())
                .await
                .expect("message")
                .unwrap();
            mirror.apply(message);
        }
        let StatementResult::Rows { batches, .. } = admin.execute(sql).await.unwrap().pop().unwrap() else {
            panic!("not a query")
        };
        assert_eq!(
            sorted(mirror.rows.values().cloned()),
            sorted(tidepool_engine::rows_json(&batches)),
            "{sql}"
        );
        assert_eq!(mirror.resyncs, 0, "{sql}: a reading subscriber is not resynced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_updates_of_one_row_arrive_in_order_as_aggregate_changes() {
    let (_dir, engine, admin) = setup().await;
    admin
        .execute("INSERT INTO app.t VALUES (1, 'g', 0), (2, 'h', 5)")
        .await
        .unwrap();
    let mut grouped = admin
        .subscribe("SELECT grp, sum(n) AS total, count(*) AS n FROM app.t GROUP BY grp")
        .await
        .unwrap();
    let mut ranked = admin
        .subscribe("SELECT id, n, rank() OVER (ORDER BY n) AS r FROM app.t")
        .await
        .unwrap();
    let table = TableName::parse("app.t").unwrap();
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 10_000 {
            match grouped.recv().await.unwrap() {
                LiveMessage::Changes { changes, .. } => {
                    for change in changes.iter().cloned() {
                        let Change::Update { row, key, .. } = change else {
                            panic!("expected updates of the group")
                        };
                        assert_eq!(key, vec![json!("g")]);
                        seen.push(row[1].as_i64().unwrap());
                    }
                }
                LiveMessage::Resync { .. } => panic!("a reading subscriber must not be resynced"),
                _ => {}
            }
        }
        seen
    });
    let writer = engine.session(Actor::Admin);
    for n in 1..=10_000i64 {
        writer
            .update_row(
                &table,
                vec![Value::BigInt(1)],
                Row::from([("n".into(), Value::BigInt(n))]),
            )
            .unwrap();
        if n % 500 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen,
        (1..=10_000).collect::<Vec<_>>(),
        "one change per commit, in order"
    );

    // Re-evaluated: batches at its pace, whose final values are exact.
    let mut mirror = Mirror::default();
    follow_until(&mut ranked, &mut mirror, &engine, engine.last_seq()).await;
    while mirror.last_seq < engine.last_seq() {
        mirror.apply(ranked.recv().await.unwrap());
    }
    assert_eq!(
        sorted(mirror.rows.values().cloned()),
        sorted(vec![
            vec![json!(2), json!(5), json!(1)],
            vec![json!(1), json!(10_000), json!(2)]
        ])
    );
    assert!(
        mirror.changes < 10_000,
        "re-evaluation coalesces: {} changes",
        mirror.changes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_succeed_when_a_subscriber_of_any_shape_fails_or_goes_away() {
    let (_dir, engine, admin) = setup().await;
    with_groups(&admin).await;
    let mut dropped = Vec::new();
    for (_, sql) in SHAPES {
        // Disconnected right away, and killed with messages unread.
        drop(admin.subscribe(sql).await.unwrap());
        let killed = admin.subscribe(sql).await.unwrap();
        admin
            .execute(&format!("KILL LIVE QUERY '{}'", killed.id()))
            .await
            .unwrap();
        dropped.push(killed);
    }
    // Fails on a change: 1 / (n - 5) divides by zero when n is 5.
    let mut failing = admin
        .subscribe("SELECT grp, sum(1 / (n - 5)) AS s FROM app.t GROUP BY grp")
        .await
        .unwrap();
    for i in 0..20 {
        admin
            .execute(&format!("INSERT INTO app.t VALUES ({i}, 'g{}', {i})", i % 3))
            .await
            .unwrap();
    }
    engine.live_flushed().await;
    let mut failure = None;
    for message in failing.recv_ready().await {
        if let LiveMessage::Error { message, .. } = message {
            failure = Some(message);
        }
    }
    assert!(
        failure.is_some_and(|m| m.contains("Divide by zero")),
        "the subscriber is told"
    );
    let count = table_rows(&admin, "SELECT count(*) FROM app.t").await;
    assert_eq!(count.values().next().unwrap()[0], json!(20), "every write committed");
    let live = table_rows(&admin, "SELECT count(*) FROM system.live").await;
    assert_eq!(
        live.values().next().unwrap()[0],
        json!(0),
        "nothing left behind: {live:?}"
    );
}
