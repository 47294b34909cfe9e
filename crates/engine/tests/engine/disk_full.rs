//! A full disk, on a real small filesystem: a 16 MiB tmpfs mounted by the test
//! (`tmpfs.rs`). A filler file takes all but a little of it, the engine's writes
//! take the rest, and then: writes fail with `disk_full`, every acknowledged row is
//! there, reads and a live subscription go on, no failed write took a commit number;
//! once the filler is deleted the next write succeeds without reopening the database,
//! and everything holds after a reopen.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tidepool_engine::{Actor, Change, Engine, Error, LiveMessage, Session, StatementResult, Subscription};

use crate::tmpfs::{fill, Tmpfs, ROOM};

/// What a subscriber to the whole table has: the ids, and the last seq it has seen
/// (checked to follow on without gaps).
#[derive(Default)]
struct Follower {
    ids: BTreeSet<i64>,
    last_seq: u64,
    snapshot_done: bool,
}

impl Follower {
    fn apply(&mut self, message: LiveMessage) {
        match message {
            LiveMessage::Subscribed { snapshot_seq, .. } => self.last_seq = snapshot_seq,
            LiveMessage::Snapshot { rows, last, .. } => {
                self.ids.extend(rows.iter().map(|row| row[0].as_i64().unwrap()));
                self.snapshot_done = last;
            }
            LiveMessage::Changes {
                from_seq,
                to_seq,
                changes,
                ..
            } => {
                assert_eq!(from_seq, self.last_seq + 1, "a gap before {from_seq}");
                self.last_seq = to_seq;
                for change in changes.iter().cloned() {
                    let Change::Insert { row, .. } = change else {
                        panic!("only inserts were written: {change:?}")
                    };
                    assert!(self.ids.insert(row[0].as_i64().unwrap()), "a row arrived twice");
                }
            }
            other => panic!("unexpected live message: {other:?}"),
        }
    }

    /// Reads until it has seen commit `seq`.
    async fn follow(&mut self, subscription: &mut Subscription, engine: &Engine, seq: u64) {
        engine.live_flushed().await;
        while !self.snapshot_done || self.last_seq < seq {
            let message = tokio::time::timeout(Duration::from_secs(30), subscription.recv())
                .await
                .expect("the subscription went quiet")
                .expect("the subscription ended");
            self.apply(message);
        }
        assert_eq!(self.last_seq, seq, "the subscription saw commits past {seq}");
    }
}

async fn ids(session: &Session) -> BTreeSet<i64> {
    let StatementResult::Rows { batches, .. } = session.execute("SELECT id FROM app.t").await.unwrap().pop().unwrap()
    else {
        panic!("no rows")
    };
    tidepool_engine::rows_json(&batches)
        .iter()
        .map(|row| row[0].as_i64().unwrap())
        .collect()
}

/// Four rows of about 2 KB each, ids from `first`.
fn insert(first: i64) -> String {
    let rows: Vec<String> = (first..first + 4)
        .map(|id| format!("({id}, '{}')", format!("{id:08}").repeat(256)))
        .collect();
    format!("INSERT INTO app.t VALUES {}", rows.join(", "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_keeps_reads_and_live_queries_and_recovers_once_space_is_freed() {
    let Some(volume) = Tmpfs::mount("the disk-full test") else {
        return;
    };
    let db = volume.path().join("db");
    let engine = Engine::open(&db).unwrap();
    let admin = engine.session(Actor::Admin);
    admin
        .execute("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, body TEXT)")
        .await
        .unwrap();
    let mut subscription = admin.subscribe("SELECT id FROM app.t").await.unwrap();
    let mut follower = Follower::default();
    follower.follow(&mut subscription, &engine, engine.last_seq()).await;

    let filler = fill(volume.path());
    let mut acknowledged = BTreeSet::new();
    let mut next = 1;
    let error = loop {
        assert!(next < 100_000, "the volume never filled");
        match admin.execute(&insert(next)).await {
            Ok(_) => acknowledged.extend(next..next + 4),
            Err(error) => break error,
        }
        next += 4;
    };
    assert_eq!(error.code(), "disk_full", "{error}");
    assert!(matches!(error, Error::DiskFull(_)));
    assert!(
        error.to_string().contains("nothing of this statement was written"),
        "{error}"
    );
    assert!(
        acknowledged.len() >= 8,
        "only {} rows fitted in {ROOM} bytes",
        acknowledged.len()
    );
    let full_at = engine.last_seq();

    // While the disk is full every write fails at once, a DDL statement as well, and
    // none of them takes a commit number.
    for attempt in 0..3 {
        let started = Instant::now();
        let error = admin.execute(&insert(next + 4 * attempt)).await.unwrap_err();
        assert_eq!(error.code(), "disk_full", "{error}");
        assert!(started.elapsed() < Duration::from_secs(3), "a refused write waited");
    }
    let error = admin
        .execute("CREATE TABLE app.other (id BIGINT PRIMARY KEY)")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "disk_full", "{error}");
    assert_eq!(engine.last_seq(), full_at, "a failed write took a commit number");

    // Reads and live queries go on: the table is what was acknowledged, the running
    // subscription has exactly that, and a new one starts with it.
    assert_eq!(ids(&admin).await, acknowledged);
    follower.follow(&mut subscription, &engine, full_at).await;
    assert_eq!(follower.ids, acknowledged);
    let mut late = admin.subscribe("SELECT id FROM app.t").await.unwrap();
    let mut late_follower = Follower::default();
    late_follower.follow(&mut late, &engine, full_at).await;
    assert_eq!(late_follower.ids, acknowledged);
    let error = admin.execute("SELECT * FROM app.other").await.unwrap_err();
    assert_eq!(
        error.code(),
        "not_found",
        "the refused CREATE TABLE left a table: {error}"
    );

    // Space freed: the very next write succeeds, in this same engine.
    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    admin.execute(&insert(next)).await.unwrap();
    let waited = started.elapsed();
    eprintln!("the first write after freeing space took {waited:?}");
    acknowledged.extend(next..next + 4);
    assert_eq!(
        engine.last_seq(),
        full_at + 1,
        "the failed writes left a gap in the commit numbers"
    );
    admin.execute(&insert(next + 4)).await.unwrap();
    acknowledged.extend(next + 4..next + 8);
    follower.follow(&mut subscription, &engine, full_at + 2).await;
    assert_eq!(follower.ids, acknowledged);
    admin
        .execute("CREATE TABLE app.other (id BIGINT PRIMARY KEY)")
        .await
        .unwrap();
    assert_eq!(ids(&admin).await, acknowledged);
    let last = engine.last_seq();

    // What was acknowledged is what a reopened database has; no refused write
    // surfaced later.
    drop((subscription, late, admin));
    drop(engine);
    let engine = Engine::open(&db).unwrap();
    assert_eq!(engine.last_seq(), last);
    assert_eq!(ids(&engine.session(Actor::Admin)).await, acknowledged);
    drop(engine);
    drop(volume);
}
