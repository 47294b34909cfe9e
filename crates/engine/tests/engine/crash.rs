//! Crash consistency: a child process runs a random mix of statements — single- and
//! multi-row INSERT, UPDATE and DELETE, typed inserts, CREATE and DROP TABLE, writes
//! as users into a USER table and into a STREAM table — with live subscriptions
//! attached, and reports each statement before it runs (`try`) and each acknowledged
//! commit (`ack`). The parent kills it with SIGKILL at a random moment, reopens the
//! directory and checks it against a model of the acknowledged statements:
//!
//! - the database is exactly the model, or the model plus the one statement that was
//!   under way (every acknowledged commit present, no statement torn);
//! - every table's stored row count (`system.tables`) is the number of its rows;
//! - the last commit is no earlier than the last acknowledged one;
//! - a subscriber resuming from the last seq its child subscription saw gets `resync`
//!   (the live history is kept in memory) and a snapshot equal to the model, and, once
//!   the parent writes more, both it and a second subscriber resuming from that
//!   snapshot's seq get exactly those changes.
//!
//! The child is this test binary run again with `TIDEPOOL_CRASH_CHILD` set. CI runs
//! 20 rounds; `scripts/crash` runs 1,000 (`TIDEPOOL_CRASH_ROUNDS`, and
//! `TIDEPOOL_CRASH_SEED` to vary or replay the random choices).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tidepool_engine::{Actor, Change, Engine, LiveMessage, Row, Session, StatementResult, TableName, Value};

/// Rounds when `TIDEPOOL_CRASH_ROUNDS` is not set: the short version CI runs.
const CI_ROUNDS: usize = 20;
/// The users who write into the USER table.
const USERS: [&str; 2] = ["alice", "bob"];
/// The live query whose resume is checked after each restart.
const ROWS_QUERY: &str = "SELECT id, batch, payload FROM c.rows";
/// Rows a table may grow to before the child starts deleting its oldest ones, so a
/// thousand rounds keep every check quick.
const TABLE_CAP: usize = 2_000;

/// The database as the test sees it: table → key → the row's other values, joined.
/// Keys of the USER table are `user/id`.
type State = BTreeMap<String, BTreeMap<String, String>>;

/// What one statement does to the database, reported by the child before it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Effect {
    Put { table: String, rows: Vec<(String, String)> },
    Remove { table: String, keys: Vec<String> },
    Create { table: String },
    Drop { table: String },
}

impl Effect {
    fn apply(&self, state: &mut State) {
        match self {
            Effect::Put { table, rows } => {
                let t = state.entry(table.clone()).or_default();
                for (key, value) in rows {
                    t.insert(key.clone(), value.clone());
                }
            }
            Effect::Remove { table, keys } => {
                let t = state.entry(table.clone()).or_default();
                for key in keys {
                    t.remove(key);
                }
            }
            Effect::Create { table } => {
                state.insert(table.clone(), BTreeMap::new());
            }
            Effect::Drop { table } => {
                state.remove(table);
            }
        }
    }
}

/// What the parent counted over all rounds.
#[derive(Default)]
struct Tally {
    acked: usize,
    in_flight_applied: usize,
    in_flight_absent: usize,
    resyncs: usize,
    resumed_exact: usize,
    kinds: BTreeMap<String, usize>,
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let rounds: usize = std::env::var("TIDEPOOL_CRASH_ROUNDS")
        .ok()
        .map(|r| r.parse().expect("TIDEPOOL_CRASH_ROUNDS is a number"))
        .unwrap_or(CI_ROUNDS);
    let mut seed: u64 = std::env::var("TIDEPOOL_CRASH_SEED")
        .ok()
        .map(|s| s.parse().expect("TIDEPOOL_CRASH_SEED is a number"))
        .unwrap_or(0x5eed);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let child_errors = logs.path().join("child.stderr");
    setup(dir.path());
    let mut model = {
        let engine = Engine::open(dir.path()).unwrap();
        read_state(&engine.session(Actor::Admin)).0
    };
    let mut tally = Tally::default();
    for round in 0..rounds {
        seed = next(seed);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &child_test_name(), "--nocapture", "--test-threads=1"])
            .env("TIDEPOOL_CRASH_CHILD", dir.path())
            .env("TIDEPOOL_CRASH_ROUND_SEED", seed.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&child_errors).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill after a random number of acknowledgements (5..200), or after a
        // deadline if the child is slow to start.
        let kill_after = 5 + (seed >> 33) % 195;
        let (tx, rx) = std::sync::mpsc::channel();
        // Whole lines only: the kill can cut the last one short (a long `try` line is
        // written in pieces), and the statement it announced had not started.
        let reader = std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(whole) = line.strip_suffix('\n') {
                    if tx.send(whole.to_string()).is_err() {
                        return;
                    }
                }
                line.clear();
            }
        });
        let mut report = Report::default();
        let deadline = Instant::now() + Duration::from_secs(60);
        while report.acks < kill_after && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => report.line(&line, &mut model, &mut tally),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        // Kill within 3 ms of the last acknowledgement: during a statement, or
        // between two.
        std::thread::sleep(Duration::from_micros((seed >> 13) % 3_000));
        // A child that ended on its own (its output closed) failed: its statements are
        // meant to succeed.
        if report.acks < kill_after && Instant::now() < deadline {
            let status = child.wait().unwrap();
            let errors = std::fs::read_to_string(&child_errors).unwrap_or_default();
            panic!("round {round}: the child exited by itself ({status}):\n{errors}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        // Lines already in the pipe were written before the kill.
        while let Ok(line) = rx.try_recv() {
            report.line(&line, &mut model, &mut tally);
        }
        assert!(report.acks > 0, "round {round}: the child acknowledged nothing");
        check(dir.path(), &mut model, &report, round, &mut tally);
        if (round + 1) % 100 == 0 {
            eprintln!(
                "crash: {} rounds in {:.0} s, {} statements acknowledged",
                round + 1,
                started.elapsed().as_secs_f64(),
                tally.acked
            );
        }
    }
    eprintln!(
        "crash: {rounds} rounds in {:.1} s: {} acknowledged statements {:?}; the statement under way at the kill \
         was found committed {} times and absent {} times; {} resumes after restart got resync, {} resumes were exact",
        started.elapsed().as_secs_f64(),
        tally.acked,
        tally.kinds,
        tally.in_flight_applied,
        tally.in_flight_absent,
        tally.resyncs,
        tally.resumed_exact,
    );
}

/// The child's lines as the parent follows them.
#[derive(Default)]
struct Report {
    acks: u64,
    /// The statement reported but not yet acknowledged.
    pending: Option<Effect>,
    last_acked_seq: u64,
    /// The last seq the child's subscription to `ROWS_QUERY` had all changes up to.
    live_seq: Option<u64>,
}

impl Report {
    fn line(&mut self, line: &str, model: &mut State, tally: &mut Tally) {
        if let Some(json) = line.strip_prefix("try ") {
            let (kind, effect): (String, Effect) = serde_json::from_str(json).unwrap();
            *tally.kinds.entry(kind).or_default() += 1;
            self.pending = Some(effect);
        } else if let Some(seq) = line.strip_prefix("ack ") {
            let effect = self.pending.take().expect("an ack follows its try");
            effect.apply(model);
            self.last_acked_seq = seq.parse().unwrap();
            self.acks += 1;
            tally.acked += 1;
        } else if let Some(seq) = line.strip_prefix("live ") {
            self.live_seq = Some(seq.parse().unwrap());
        }
    }
}

fn setup(dir: &Path) {
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    block_on(session.execute(
        "CREATE NAMESPACE c;
         CREATE TABLE c.rows (id BIGINT PRIMARY KEY, batch BIGINT NOT NULL, payload TEXT);
         CREATE USER TABLE c.notes (id BIGINT PRIMARY KEY, payload TEXT);
         CREATE STREAM TABLE c.events (id BIGINT PRIMARY KEY, payload TEXT) WITH (TTL_SECONDS = 100000000)",
    ))
    .unwrap();
}

/// Every table of namespace `c` with its rows, and each table's stored row count.
fn read_state(session: &Session) -> (State, BTreeMap<String, i64>) {
    let tables = query(session, "SELECT name, rows FROM system.tables WHERE namespace = 'c'");
    let mut state = State::new();
    let mut counts = BTreeMap::new();
    for t in tables {
        let name = t[0].as_str().unwrap().to_string();
        counts.insert(format!("c.{name}"), t[1].as_i64().unwrap());
        let (sql, key_columns) = match name.as_str() {
            "rows" => ("SELECT id, batch, payload FROM c.rows".to_string(), 1),
            "notes" => ("SELECT _user, id, payload FROM c.notes".to_string(), 2),
            other => (format!("SELECT id, payload FROM c.{other}"), 1),
        };
        let rows = query(session, &sql)
            .into_iter()
            .map(|r| (join(&r[..key_columns], "/"), join(&r[key_columns..], "|")))
            .collect();
        state.insert(format!("c.{name}"), rows);
    }
    (state, counts)
}

fn join(values: &[Json], separator: &str) -> String {
    values
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(separator)
}

fn query(session: &Session, sql: &str) -> Vec<Vec<Json>> {
    match &block_on(session.execute(sql)).unwrap()[0] {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(batches),
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// Reopens the directory after a kill and checks it against the model (see the
/// module's comment); the model then takes the statement under way if it committed.
fn check(dir: &Path, model: &mut State, report: &Report, round: usize, tally: &mut Tally) {
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    let (found, counts) = read_state(&session);
    if found != *model {
        let Some(pending) = &report.pending else {
            panic!(
                "round {round}: the database is not what was acknowledged: {}",
                diff(model, &found)
            );
        };
        let mut with_pending = model.clone();
        pending.apply(&mut with_pending);
        assert!(
            found == with_pending,
            "round {round}: the database is neither what was acknowledged nor that plus the statement under way \
             ({pending:?}): against the acknowledged state {}",
            diff(model, &found)
        );
        *model = with_pending;
        tally.in_flight_applied += 1;
    } else if report.pending.is_some() {
        tally.in_flight_absent += 1;
    }
    for (table, rows) in &found {
        assert_eq!(
            counts[table] as usize,
            rows.len(),
            "round {round}: the stored row count of {table} disagrees with its rows"
        );
    }
    assert!(
        engine.last_seq() >= report.last_acked_seq,
        "round {round}: last seq {} is before the acknowledged {}",
        engine.last_seq(),
        report.last_acked_seq
    );
    if let Some(live_seq) = report.live_seq {
        check_resume(&engine, &session, model, live_seq, round, tally);
    }
}

/// A resume across the restart gets `resync` and a snapshot equal to the model; the
/// parent's own writes then reach that subscriber and one resuming from the snapshot
/// exactly.
fn check_resume(engine: &Engine, session: &Session, model: &mut State, live_seq: u64, round: usize, tally: &mut Tally) {
    let runtime = runtime();
    let mut first = runtime
        .block_on(session.subscribe_from(ROWS_QUERY, Some(live_seq)))
        .unwrap();
    let next = |sub: &mut tidepool_engine::Subscription| {
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), sub.recv()).await })
            .unwrap_or_else(|_| panic!("round {round}: no live message within 30 s"))
            .unwrap_or_else(|| panic!("round {round}: the subscription ended"))
    };
    match next(&mut first) {
        LiveMessage::Resync { missed_from_seq, .. } => assert_eq!(missed_from_seq, live_seq + 1, "round {round}"),
        other => {
            panic!("round {round}: a resume across a restart (the history is in memory) must resync, got {other:?}")
        }
    }
    tally.resyncs += 1;
    let LiveMessage::Subscribed {
        snapshot_seq, resumed, ..
    } = next(&mut first)
    else {
        panic!("round {round}: resync is followed by subscribed");
    };
    assert!(!resumed && snapshot_seq == engine.last_seq(), "round {round}");
    let mut seen = BTreeMap::new();
    loop {
        match next(&mut first) {
            LiveMessage::Snapshot { rows, last, .. } => {
                for row in rows {
                    seen.insert(join(&row[..1], "/"), join(&row[1..], "|"));
                }
                if last {
                    break;
                }
            }
            other => panic!("round {round}: expected the snapshot, got {other:?}"),
        }
    }
    assert!(
        seen == model["c.rows"],
        "round {round}: the resync snapshot is not the table"
    );

    // Three statements of the parent's own: a multi-row insert, an update and a
    // delete of rows it inserted.
    let base = 1 + max_id(model);
    let statements = [
        format!(
            "INSERT INTO c.rows VALUES ({base}, {base}, 'p'), ({}, {base}, 'p'), ({}, {base}, 'p')",
            base + 1,
            base + 2
        ),
        format!("UPDATE c.rows SET payload = 'q' WHERE batch = {base}"),
        format!("DELETE FROM c.rows WHERE id = {base}"),
    ];
    for sql in &statements {
        runtime.block_on(session.execute(sql)).unwrap();
    }
    let batch = base.to_string();
    let value = |p: &str| format!("{batch}|{p}");
    let rows = model.get_mut("c.rows").unwrap();
    for id in base..base + 3 {
        rows.insert(id.to_string(), value("q"));
    }
    rows.remove(&base.to_string());
    let expected = rows.clone();

    let mut second = runtime
        .block_on(session.subscribe_from(ROWS_QUERY, Some(snapshot_seq)))
        .unwrap();
    assert!(
        matches!(next(&mut second), LiveMessage::Subscribed { resumed: true, snapshot_seq: s, .. } if s == snapshot_seq),
        "round {round}: a resume within the history is not resumed"
    );
    for sub in [&mut first, &mut second] {
        let mut state = seen.clone();
        let mut to = snapshot_seq;
        while to < engine.last_seq() {
            match next(sub) {
                LiveMessage::Changes {
                    from_seq,
                    to_seq,
                    changes,
                    ..
                } => {
                    assert_eq!(from_seq, to + 1, "round {round}: a gap in the changes");
                    to = to_seq;
                    for change in &changes {
                        match change {
                            Change::Insert { row, .. } | Change::Update { row, .. } => {
                                state.insert(join(&row[..1], "/"), join(&row[1..], "|"));
                            }
                            Change::Delete { old, .. } => {
                                state.remove(&join(&old[..1], "/"));
                            }
                        }
                    }
                }
                other => panic!("round {round}: expected changes, got {other:?}"),
            }
        }
        assert!(
            state == expected,
            "round {round}: the changes after the snapshot are not exact"
        );
    }
    tally.resumed_exact += 1;
}

/// The largest id in use, counting the numbers in the names of created tables (`c.dN`),
/// so a new id names no existing table either.
fn max_id(state: &State) -> i64 {
    let tables = state.keys().filter_map(|t| t.strip_prefix("c.d")?.parse::<i64>().ok());
    state
        .values()
        .flat_map(|t| t.keys())
        .filter_map(|k| k.rsplit('/').next().and_then(|id| id.parse::<i64>().ok()))
        .chain(tables)
        .max()
        .unwrap_or(0)
}

/// The first differences between two states, for a failure message.
fn diff(expected: &State, found: &State) -> String {
    let mut out = Vec::new();
    for table in expected
        .keys()
        .chain(found.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (expected.get(table), found.get(table)) {
            (Some(_), None) => out.push(format!("{table} missing")),
            (None, Some(_)) => out.push(format!("{table} unexpected")),
            (Some(e), Some(f)) => {
                for key in e.keys().chain(f.keys()).collect::<std::collections::BTreeSet<_>>() {
                    if e.get(key) != f.get(key) {
                        out.push(format!(
                            "{table}[{key}]: expected {:?}, found {:?}",
                            e.get(key),
                            f.get(key)
                        ));
                    }
                }
            }
            (None, None) => {}
        }
    }
    out.truncate(8);
    out.join("; ")
}

/// `crash_child`'s name as the test harness knows it: its module path without the
/// binary's crate name (`crash::crash_child`).
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::crash_child")
}

/// The child: subscribes to the tables, then runs random statements until killed,
/// printing `try <kind and effect>` before each and `ack <seq>` after it commits, and
/// `live <seq>` whenever its subscription to `ROWS_QUERY` has every change up to seq.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os("TIDEPOOL_CRASH_CHILD") else {
        return;
    };
    let mut seed: u64 = std::env::var("TIDEPOOL_CRASH_ROUND_SEED").unwrap().parse().unwrap();
    let engine = Engine::open(dir).unwrap();
    let session = engine.session(Actor::Admin);
    let mut state = read_state(&session).0;
    let mut id = 1 + max_id(&state);
    let main = runtime();
    let subscriptions = [
        (Actor::Admin, ROWS_QUERY),
        (Actor::Admin, "SELECT batch, count(*) AS n FROM c.rows GROUP BY batch"),
        (
            Actor::User("alice".into()),
            "SELECT id, payload FROM c.notes WHERE id % 2 = 0",
        ),
        (Actor::Admin, "SELECT id, payload FROM c.events"),
    ];
    for (i, (actor, sql)) in subscriptions.into_iter().enumerate() {
        let mut sub = main.block_on(engine.session(actor).subscribe(sql)).unwrap();
        std::thread::spawn(move || {
            runtime().block_on(async {
                while let Some(message) = sub.recv().await {
                    let seq = match message {
                        LiveMessage::Snapshot { last: true, .. } => None,
                        LiveMessage::Subscribed { snapshot_seq, .. } => Some(snapshot_seq),
                        LiveMessage::Changes { to_seq, .. } => Some(to_seq),
                        _ => None,
                    };
                    if let (0, Some(seq)) = (i, seq) {
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "live {seq}").unwrap();
                        out.flush().unwrap();
                    }
                }
            })
        });
    }
    loop {
        seed = next(seed);
        let (kind, sql_or_rows, effect) = statement(&state, seed, id);
        id += 10;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "try {}", serde_json::to_string(&(kind, &effect)).unwrap()).unwrap();
            out.flush().unwrap();
        }
        let seq = match sql_or_rows {
            Run::Sql(sql) => {
                let results = main.block_on(session.execute(&sql)).unwrap();
                // A write reports the rows the model says it changes: one that found
                // fewer (a stale read) would be acknowledged yet change too little.
                let rows = match &effect {
                    Effect::Put { rows, .. } => Some(rows.len() as u64),
                    Effect::Remove { keys, .. } => Some(keys.len() as u64),
                    Effect::Create { .. } | Effect::Drop { .. } => None,
                };
                if let (Some(rows), Some(StatementResult::Affected(affected))) = (rows, results.last()) {
                    assert_eq!(*affected, rows, "{sql}: rows affected");
                }
                engine.last_seq()
            }
            Run::Typed(rows) => session.insert_rows(&TableName::new("c", "rows"), rows).unwrap().seq,
        };
        effect.apply(&mut state);
        let mut out = std::io::stdout().lock();
        writeln!(out, "ack {seq}").unwrap();
        out.flush().unwrap();
    }
}

enum Run {
    Sql(String),
    Typed(Vec<Row>),
}

/// A random statement that the state allows, with its kind and what it does; new rows
/// and tables take ids from `id` on (the statement takes at most 10).
fn statement(state: &State, seed: u64, id: i64) -> (&'static str, Run, Effect) {
    let pick = (seed >> 40) % 100;
    let count = 2 + (seed >> 20) as i64 % 9;
    let rows = &state["c.rows"];
    let ddl: Vec<&String> = state.keys().filter(|t| t.starts_with("c.d")).collect();
    let user = USERS[(seed >> 12) as usize % USERS.len()];
    let mine = |table: &str| -> Vec<String> {
        state[table]
            .keys()
            .filter(|k| k.starts_with(&format!("{user}/")))
            .cloned()
            .collect()
    };
    let put = |table: &str, rows: Vec<(String, String)>| Effect::Put {
        table: table.into(),
        rows,
    };
    // Tables past their cap lose their oldest rows first.
    if rows.len() > TABLE_CAP {
        let cut = rows.keys().filter_map(|k| k.parse::<i64>().ok()).min().unwrap() + 1_000;
        return delete_rows_through(rows, cut);
    }
    if state["c.events"].len() > TABLE_CAP {
        let keys: Vec<String> = state["c.events"].keys().take(TABLE_CAP / 2).cloned().collect();
        let sql = format!("DELETE FROM c.events WHERE id IN ({})", keys.join(", "));
        return (
            "stream delete",
            Run::Sql(sql),
            Effect::Remove {
                table: "c.events".into(),
                keys,
            },
        );
    }
    if state["c.notes"].len() > TABLE_CAP && mine("c.notes").len() > TABLE_CAP / 2 {
        let keys = mine("c.notes");
        let ids: Vec<&str> = keys.iter().map(|k| k.rsplit('/').next().unwrap()).collect();
        let sql = format!(
            "EXECUTE AS USER '{user}' (DELETE FROM c.notes WHERE id <= {})",
            ids.iter().filter_map(|i| i.parse::<i64>().ok()).max().unwrap()
        );
        return (
            "user delete",
            Run::Sql(sql),
            Effect::Remove {
                table: "c.notes".into(),
                keys,
            },
        );
    }
    // The batch of a random row (rows are many only when batches are).
    let some_batch = (!rows.is_empty()).then(|| {
        let value = rows.values().nth((seed >> 8) as usize % rows.len()).unwrap();
        value.split('|').next().unwrap().parse::<i64>().unwrap()
    });
    let of_batch = |b: i64| -> Vec<String> {
        rows.iter()
            .filter(|(_, v)| v.split('|').next() == Some(&b.to_string()))
            .map(|(k, _)| k.clone())
            .collect()
    };
    match (pick, some_batch) {
        (0..=24, _) => {
            let sql = format!("INSERT INTO c.rows VALUES ({id}, {id}, 'one {id}')");
            (
                "single insert",
                Run::Sql(sql),
                put("c.rows", vec![(id.to_string(), format!("{id}|one {id}"))]),
            )
        }
        (25..=34, _) => {
            let values: Vec<String> = (id..id + count).map(|i| format!("({i}, {id}, 'many {i}')")).collect();
            let sql = format!("INSERT INTO c.rows VALUES {}", values.join(", "));
            let effect = put(
                "c.rows",
                (id..id + count)
                    .map(|i| (i.to_string(), format!("{id}|many {i}")))
                    .collect(),
            );
            ("multi insert", Run::Sql(sql), effect)
        }
        (35..=44, _) => {
            let typed = (id..id + count)
                .map(|i| {
                    Row::from([
                        ("id".to_string(), Value::BigInt(i)),
                        ("batch".to_string(), Value::BigInt(id)),
                        ("payload".to_string(), Value::Text(format!("typed {i}"))),
                    ])
                })
                .collect();
            let effect = put(
                "c.rows",
                (id..id + count)
                    .map(|i| (i.to_string(), format!("{id}|typed {i}")))
                    .collect(),
            );
            ("typed insert", Run::Typed(typed), effect)
        }
        (45..=54, Some(b)) => {
            let sql = format!("UPDATE c.rows SET payload = 'updated {id}' WHERE batch = {b}");
            let effect = put(
                "c.rows",
                of_batch(b)
                    .into_iter()
                    .map(|k| (k, format!("{b}|updated {id}")))
                    .collect(),
            );
            ("multi update", Run::Sql(sql), effect)
        }
        (55..=59, Some(b)) => {
            let sql = format!("DELETE FROM c.rows WHERE batch = {b}");
            (
                "multi delete",
                Run::Sql(sql),
                Effect::Remove {
                    table: "c.rows".into(),
                    keys: of_batch(b),
                },
            )
        }
        (60..=71, _) => {
            let values: Vec<String> = (id..id + count).map(|i| format!("({i}, 'note {i}')")).collect();
            let sql = format!(
                "EXECUTE AS USER '{user}' (INSERT INTO c.notes VALUES {})",
                values.join(", ")
            );
            let effect = put(
                "c.notes",
                (id..id + count)
                    .map(|i| (format!("{user}/{i}"), format!("note {i}")))
                    .collect(),
            );
            ("user insert", Run::Sql(sql), effect)
        }
        (72..=76, _) => {
            // Every row of the user's, and none of the other user's.
            let sql = format!("EXECUTE AS USER '{user}' (UPDATE c.notes SET payload = 'edited {id}')");
            let effect = put(
                "c.notes",
                mine("c.notes")
                    .into_iter()
                    .map(|k| (k, format!("edited {id}")))
                    .collect(),
            );
            ("user update", Run::Sql(sql), effect)
        }
        (77..=88, _) => {
            let values: Vec<String> = (id..id + count).map(|i| format!("({i}, 'event {i}')")).collect();
            let sql = format!("INSERT INTO c.events VALUES {}", values.join(", "));
            let effect = put(
                "c.events",
                (id..id + count)
                    .map(|i| (i.to_string(), format!("event {i}")))
                    .collect(),
            );
            ("stream insert", Run::Sql(sql), effect)
        }
        (89..=93, _) if ddl.len() < 3 => {
            let table = format!("c.d{id}");
            let sql = format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, payload TEXT)");
            ("create table", Run::Sql(sql), Effect::Create { table })
        }
        (89..=93, _) => {
            let table = ddl[0].clone();
            (
                "drop table",
                Run::Sql(format!("DROP TABLE {table}")),
                Effect::Drop { table },
            )
        }
        (_, _) if !ddl.is_empty() => {
            let table = ddl[(seed >> 4) as usize % ddl.len()].clone();
            let values: Vec<String> = (id..id + count).map(|i| format!("({i}, 'ddl {i}')")).collect();
            let sql = format!("INSERT INTO {table} VALUES {}", values.join(", "));
            let effect = put(
                &table,
                (id..id + count).map(|i| (i.to_string(), format!("ddl {i}"))).collect(),
            );
            ("new table insert", Run::Sql(sql), effect)
        }
        _ => {
            let sql = format!("INSERT INTO c.rows VALUES ({id}, {id}, 'one {id}')");
            (
                "single insert",
                Run::Sql(sql),
                put("c.rows", vec![(id.to_string(), format!("{id}|one {id}"))]),
            )
        }
    }
}

/// Deletes every row of `c.rows` with an id below `cut` in one statement.
fn delete_rows_through(rows: &BTreeMap<String, String>, cut: i64) -> (&'static str, Run, Effect) {
    let keys = rows
        .keys()
        .filter(|k| k.parse::<i64>().is_ok_and(|id| id < cut))
        .cloned()
        .collect();
    let sql = format!("DELETE FROM c.rows WHERE id < {cut}");
    (
        "range delete",
        Run::Sql(sql),
        Effect::Remove {
            table: "c.rows".into(),
            keys,
        },
    )
}

fn next(seed: u64) -> u64 {
    seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime().block_on(f)
}
