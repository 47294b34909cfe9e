//! The local API under load, for a bounded time (`scripts/soak`): starts `tidepool
//! serve` on a fresh database, then runs writers over HTTP (`POST /v1/sql`) and live
//! subscribers over WebSockets (`/v1/live`) against it. Subscribers connect, stall
//! (stop reading), disconnect and come back resuming from the last seq they have, at
//! random. At the end every subscriber catches up and its rows — its snapshot plus
//! every change it was sent — must equal what its query returns now: delivered equals
//! committed. A gap in the seqs, a message out of protocol or a difference fails the
//! run. It reports the server's peak memory (VmHWM) and its memory over time, and the
//! p50/p99/max latencies of writes and of change delivery.
//!
//! Messages are read with the engine's own `LiveMessage` and sent as the server's own
//! `ClientMessage`, so the soak speaks exactly the protocol the server does.
//!
//! ```text
//! soak --tidepool target/release/tidepool [--seconds 120] [--subscribers 200]
//!      [--writers 20] [--rate 25] [--max-rss-mb 1024] [--seed N]
//! ```

use std::collections::BTreeMap;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tidepool_engine::{Change, LiveMessage};
use tidepool_server::ClientMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// How the run is shaped; every field has a flag of the same name.
#[derive(Clone)]
struct Plan {
    tidepool: String,
    seconds: u64,
    subscribers: usize,
    writers: usize,
    /// Statements per second each writer aims at.
    rate: f64,
    /// The server's peak resident memory above which the run fails.
    max_rss_mb: u64,
    seed: u64,
}

impl Plan {
    fn from_args() -> Result<Plan, String> {
        let mut plan = Plan {
            tidepool: String::new(),
            seconds: 120,
            subscribers: 200,
            writers: 20,
            rate: 25.0,
            max_rss_mb: 1024,
            seed: 0x50a6,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or(format!("{flag} needs a value"))?;
            let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
            match flag.as_str() {
                "--tidepool" => plan.tidepool = value,
                "--seconds" => plan.seconds = value.parse().map_err(|e| bad(&e))?,
                "--subscribers" => plan.subscribers = value.parse().map_err(|e| bad(&e))?,
                "--writers" => plan.writers = value.parse().map_err(|e| bad(&e))?,
                "--rate" => plan.rate = value.parse().map_err(|e| bad(&e))?,
                "--max-rss-mb" => plan.max_rss_mb = value.parse().map_err(|e| bad(&e))?,
                "--seed" => plan.seed = value.parse().map_err(|e| bad(&e))?,
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        if plan.tidepool.is_empty() {
            return Err("--tidepool PATH (the tidepool binary to serve with) is required".into());
        }
        if plan.writers == 0 || plan.subscribers == 0 {
            return Err("--writers and --subscribers must be at least 1".into());
        }
        Ok(plan)
    }
}

fn main() -> ExitCode {
    let plan = match Plan::from_args() {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(run(plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The server under test: its process, address and admin token.
struct Served {
    child: Child,
    address: String,
    token: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tidepool serve` on a new database at a free port and reads its token and
/// address from what it prints.
fn serve(tidepool: &str) -> Result<Served, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut child = Command::new(tidepool)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {tidepool}: {e}"))?;
    // Its output is read on a thread: the token and address it prints first, then
    // whatever else until it exits.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut token, mut address) = (None, None);
    while token.is_none() || address.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "the server printed no token and address within 60 s".to_string())?;
        if let Some(t) = line.strip_prefix("admin token: ") {
            token = Some(t.to_string());
        } else if let Some((_, a)) = line.split_once(" on http://") {
            address = Some(a.to_string());
        }
    }
    Ok(Served {
        child,
        address: address.unwrap(),
        token: token.unwrap(),
        _dir: dir,
    })
}

/// An HTTP client of the server's `POST /v1/sql` and `GET /v1/status`.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    address: String,
    token: String,
}

impl Api {
    async fn sql(&self, sql: &str) -> Result<Vec<Json>, String> {
        let answer: Json = self
            .http
            .post(format!("http://{}/v1/sql", self.address))
            .bearer_auth(&self.token)
            .json(&json!({ "sql": sql }))
            .send()
            .await
            .map_err(|e| format!("POST /v1/sql: {e}"))?
            .json()
            .await
            .map_err(|e| format!("POST /v1/sql answered with something that is not JSON: {e}"))?;
        if let Some(error) = answer.get("error") {
            return Err(format!("{sql}: {error}"));
        }
        Ok(answer["results"].as_array().cloned().unwrap_or_default())
    }

    async fn last_seq(&self) -> Result<u64, String> {
        let status: Json = self
            .http
            .get(format!("http://{}/v1/status", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        status["last_seq"].as_u64().ok_or("no last_seq in /v1/status".into())
    }

    /// The rows a query returns now, by their key (the first `key_columns` values).
    async fn rows(&self, sql: &str, key_columns: usize) -> Result<BTreeMap<String, Json>, String> {
        let results = self.sql(sql).await?;
        let rows = results[0]["rows"].as_array().cloned().unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| {
                let row = row.as_array().cloned().unwrap_or_default();
                (Json::from(row[..key_columns].to_vec()).to_string(), Json::from(row))
            })
            .collect())
    }
}

/// A subscriber's query and the number of its key columns.
fn query_of(index: usize, writers: usize) -> (String, usize) {
    match index % 10 {
        // One in ten watches the whole table: the most changes, the first to fall
        // behind when it stalls.
        5 => ("SELECT id, writer, amount, note FROM soak.items".into(), 1),
        // One in ten watches a per-writer aggregate.
        0 => (
            "SELECT writer, count(*) AS n, sum(amount) AS total FROM soak.items GROUP BY writer".into(),
            1,
        ),
        _ => (
            format!(
                "SELECT id, writer, amount, note FROM soak.items WHERE writer = {}",
                index % writers
            ),
            1,
        ),
    }
}

/// Latencies in microseconds, gathered by many tasks.
#[derive(Default)]
struct Samples(Mutex<Vec<u64>>);

impl Samples {
    fn add(&self, micros: u64) {
        self.0.lock().unwrap().push(micros);
    }

    /// `n, p50, p99, max` in milliseconds.
    fn summary(&self) -> String {
        let mut v = self.0.lock().unwrap().clone();
        if v.is_empty() {
            return "none".into();
        }
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        format!(
            "n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
            v.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        )
    }
}

/// What every task counts.
#[derive(Default)]
struct Counters {
    statements: AtomicU64,
    rows_written: AtomicU64,
    write_errors: AtomicU64,
    changes_delivered: AtomicU64,
    stalls: AtomicU64,
    reconnects: AtomicU64,
    resumed: AtomicU64,
    resyncs: AtomicU64,
    server_dropped: AtomicU64,
}

async fn run(plan: Plan) -> Result<(), String> {
    let served = serve(&plan.tidepool)?;
    let pid = served.child.id();
    let api = Api {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?,
        address: served.address.clone(),
        token: served.token.clone(),
    };
    api.sql("CREATE NAMESPACE soak; CREATE TABLE soak.items (id BIGINT PRIMARY KEY, writer BIGINT NOT NULL, amount BIGINT NOT NULL, note TEXT)")
        .await?;
    println!(
        "soak: tidepool serve (pid {pid}) on {} for {} s: {} writers at {}/s each, {} subscribers",
        served.address, plan.seconds, plan.writers, plan.rate, plan.subscribers
    );

    let counters = Arc::new(Counters::default());
    let write_latency = Arc::new(Samples::default());
    let delivery_latency = Arc::new(Samples::default());
    let writing = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let until = started + Duration::from_secs(plan.seconds);

    let memory = tokio::spawn(sample_memory(pid, writing.clone()));
    let mut subscribers = Vec::new();
    for index in 0..plan.subscribers {
        let subscriber = Subscriber {
            index,
            address: served.address.clone(),
            token: served.token.clone(),
            query: query_of(index, plan.writers),
            seed: plan.seed ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            counters: counters.clone(),
            delivery_latency: delivery_latency.clone(),
            rows: BTreeMap::new(),
            seq: None,
            steady_from: 0,
            held: None,
            failure: None,
        };
        subscribers.push(tokio::spawn(subscriber.run(until)));
        // Connections come up over the first seconds, not all at once.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut writers = Vec::new();
    for writer in 0..plan.writers {
        let api = api.clone();
        let (counters, latency) = (counters.clone(), write_latency.clone());
        let seed = plan.seed ^ (writer as u64 + 1000).wrapping_mul(0x2545_f491_4f6c_dd1d);
        writers.push(tokio::spawn(write(
            api, writer, plan.rate, until, seed, counters, latency,
        )));
    }
    for w in writers {
        w.await.map_err(|e| e.to_string())??;
    }
    writing.store(false, Ordering::Relaxed);
    // One last commit that every subscription sees (a row for each writer): each
    // catches up to it, whatever the commits before it concerned.
    let values: Vec<String> = (0..plan.writers)
        .map(|w| format!("({}, {w}, 1, 'last')", w as i64 * 1_000_000_000 + 999_999_999))
        .collect();
    api.sql(&format!("INSERT INTO soak.items VALUES {}", values.join(", ")))
        .await?;
    let final_seq = api.last_seq().await?;
    let wrote = started.elapsed();

    // Every subscriber catches up to the last commit, then its rows are checked.
    // All at once: one that waits unread while others are checked would only fall
    // behind.
    let mut checks = Vec::new();
    for (index, s) in subscribers.into_iter().enumerate() {
        let mut s = s.await.map_err(|e| e.to_string())?;
        let api = api.clone();
        checks.push(tokio::spawn(async move {
            s.catch_up(final_seq)
                .await
                .map_err(|e| format!("subscriber {index}: {e}"))?;
            let expected = api.rows(&s.query.0, s.query.1).await?;
            if s.rows != expected {
                let missing = expected.keys().filter(|k| !s.rows.contains_key(*k)).count();
                let extra = s.rows.keys().filter(|k| !expected.contains_key(*k)).count();
                let differ = expected
                    .iter()
                    .filter(|(k, v)| s.rows.get(*k).is_some_and(|r| r != *v))
                    .count();
                return Err(format!(
                    "subscriber {index} ({}): {missing} rows missing, {extra} extra, {differ} different",
                    s.query.0
                ));
            }
            Ok(())
        }));
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for check in checks {
        match check.await.map_err(|e| e.to_string())? {
            Ok(()) => checked += 1,
            Err(e) => failures.push(e),
        }
    }
    let (peak_mb, timeline) = memory.await.map_err(|e| e.to_string())?;
    let peak_hwm = vm_kb(pid, "VmHWM:").unwrap_or(0) / 1024;

    let c = &counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "soak: wrote for {:.0} s: {} statements ({:.0}/s), {} rows, {} write errors; last seq {final_seq}",
        wrote.as_secs_f64(),
        load(&c.statements),
        load(&c.statements) as f64 / wrote.as_secs_f64(),
        load(&c.rows_written),
        load(&c.write_errors),
    );
    println!(
        "soak: subscribers: {} changes delivered; {} stalls, {} reconnects ({} resumed exactly from their seq, {} resync), {} connections dropped by the server",
        load(&c.changes_delivered),
        load(&c.stalls),
        load(&c.reconnects),
        load(&c.resumed),
        load(&c.resyncs),
        load(&c.server_dropped),
    );
    println!("soak: write latency (POST /v1/sql): {}", write_latency.summary());
    println!(
        "soak: delivery latency (commit to a subscriber that is reading): {}",
        delivery_latency.summary()
    );
    println!(
        "soak: server memory: peak RSS {peak_hwm} MB (VmHWM; sampled peak {peak_mb} MB); by 10% of the run: {timeline}"
    );
    println!(
        "soak: {checked}/{} subscribers checked: {}",
        plan.subscribers,
        if failures.is_empty() {
            "every one's rows equal its query's result".to_string()
        } else {
            format!("{} FAILED", failures.len())
        }
    );
    drop(served);
    if !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    if load(&c.write_errors) > 0 {
        return Err(format!("{} writes failed", load(&c.write_errors)));
    }
    if peak_hwm > plan.max_rss_mb {
        return Err(format!(
            "the server's peak RSS {peak_hwm} MB is over --max-rss-mb {}",
            plan.max_rss_mb
        ));
    }
    Ok(())
}

/// A writer: paced statements on its own rows — single-row and multi-row INSERTs,
/// UPDATEs of several rows, DELETEs — until `until`.
async fn write(
    api: Api,
    writer: usize,
    rate: f64,
    until: Instant,
    mut seed: u64,
    counters: Arc<Counters>,
    latency: Arc<Samples>,
) -> Result<(), String> {
    let base = writer as i64 * 1_000_000_000;
    let mut next_id = base;
    let mut live: Vec<i64> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < until {
        tick.tick().await;
        seed = next(seed);
        let pick = (seed >> 40) % 100;
        let (sql, rows) = if pick < 50 || live.len() < 10 {
            next_id += 1;
            live.push(next_id);
            let sql = format!(
                "INSERT INTO soak.items VALUES ({next_id}, {writer}, {}, 'single')",
                seed % 1000
            );
            (sql, 1)
        } else if pick < 75 {
            let n = 2 + (seed >> 8) % 9;
            let values: Vec<String> = (0..n)
                .map(|i| {
                    next_id += 1;
                    live.push(next_id);
                    format!("({next_id}, {writer}, {}, 'batch')", (seed >> i) % 1000)
                })
                .collect();
            (format!("INSERT INTO soak.items VALUES {}", values.join(", ")), n)
        } else if pick < 90 {
            let from = live[(seed >> 16) as usize % live.len()];
            let sql = format!(
                "UPDATE soak.items SET amount = amount + 1, note = 'updated' WHERE writer = {writer} AND id >= {from} AND id < {}",
                from + 5
            );
            (
                sql,
                live.iter().filter(|&&id| id >= from && id < from + 5).count() as u64,
            )
        } else {
            let id = live.swap_remove((seed >> 16) as usize % live.len());
            (format!("DELETE FROM soak.items WHERE id = {id}"), 1)
        };
        let sent = Instant::now();
        match api.sql(&sql).await {
            Ok(_) => {
                latency.add(sent.elapsed().as_micros() as u64);
                counters.statements.fetch_add(1, Ordering::Relaxed);
                counters.rows_written.fetch_add(rows, Ordering::Relaxed);
            }
            Err(e) => {
                eprintln!("soak: writer {writer}: {e}");
                counters.write_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

/// The server's memory: the peak of samples every 100 ms while the writers run (in
/// MB), and the RSS at each tenth of the run.
async fn sample_memory(pid: u32, writing: Arc<AtomicBool>) -> (u64, String) {
    let mut samples = Vec::new();
    while writing.load(Ordering::Relaxed) {
        samples.push(vm_kb(pid, "VmRSS:").unwrap_or(0) / 1024);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = samples.iter().copied().max().unwrap_or(0);
    let timeline = (1..=10)
        .map(|tenth| format!("{}", samples[(samples.len() * tenth / 10).saturating_sub(1)]))
        .collect::<Vec<_>>()
        .join(" ");
    (peak, format!("[{timeline}] MB"))
}

/// A `Vm…:` line of /proc/PID/status, in kB.
fn vm_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One live subscriber and what it has been sent: the rows of its query by key, and
/// the seq they are as of (`None` before its first snapshot is complete).
struct Subscriber {
    index: usize,
    address: String,
    token: String,
    query: (String, usize),
    seed: u64,
    counters: Arc<Counters>,
    delivery_latency: Arc<Samples>,
    rows: BTreeMap<String, Json>,
    seq: Option<u64>,
    /// Delivery latency is sampled for commits from this time on (microseconds since
    /// the epoch): not for the backlog of a subscriber that stalled, reconnected or
    /// resynced, which waited for the subscriber, not for the server.
    steady_from: i64,
    /// The connection the subscriber ends the run with.
    held: Option<Live>,
    /// What broke the protocol, if anything did: the run fails.
    failure: Option<String>,
}

/// Where a subscriber is in the protocol.
enum Phase {
    /// Waiting for `subscribed` (after `resync`, a snapshot follows it).
    Subscribing,
    /// The snapshot so far and the seq it is as of.
    Snapshot(BTreeMap<String, Json>, u64),
    Changes,
}

/// What the protocol says a subscriber's connection is doing.
struct Live {
    socket: Socket,
    phase: Phase,
    /// The subscription's number on this connection (its client id).
    id: String,
}

impl Subscriber {
    /// Connects, reads, and at random stalls, drops the connection and resumes, until
    /// `until`; then returns itself, connected, for the final check.
    async fn run(mut self, until: Instant) -> Subscriber {
        let mut live = None;
        let mut generation = 0u64;
        while Instant::now() < until {
            if live.is_none() {
                generation += 1;
                match self.connect(generation).await {
                    Ok(l) => live = Some(l),
                    Err(e) => {
                        eprintln!("soak: subscriber {}: {e}", self.index);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                }
            }
            self.seed = next(self.seed);
            // Each 2–6 s something may happen to the connection.
            let span = Duration::from_millis(2_000 + (self.seed >> 20) % 4_000);
            let mut connected = live.take().unwrap();
            match self
                .read_for(
                    &mut connected,
                    span.min(until.saturating_duration_since(Instant::now())),
                )
                .await
            {
                Ok(()) => {}
                // The server closed it (a stalled client it gave up on): come back.
                Err(e) if e == "closed" => {
                    self.counters.server_dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Err(e) => {
                    self.failure = Some(e);
                    return self;
                }
            }
            match (self.seed >> 44) % 20 {
                // Stall: stop reading for 1–15 s, or (one stall in five) 30–90 s,
                // long enough for a whole-table subscriber to fall past what the
                // server queues for it and be sent to resync, or dropped and resume.
                0..=4 => {
                    self.counters.stalls.fetch_add(1, Ordering::Relaxed);
                    let pause = if (self.seed >> 44) % 20 == 0 {
                        Duration::from_millis(30_000 + (self.seed >> 8) % 60_000)
                    } else {
                        Duration::from_millis(1_000 + (self.seed >> 8) % 14_000)
                    };
                    tokio::time::sleep(pause.min(until.saturating_duration_since(Instant::now()))).await;
                    self.steady_from = now_micros() + 3_000_000;
                    live = Some(connected);
                }
                // Disconnect abruptly, come back after up to 2 s resuming from its seq.
                5 | 6 => {
                    drop(connected);
                    self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis((self.seed >> 8) % 2_000)).await;
                }
                _ => live = Some(connected),
            }
        }
        if live.is_none() {
            generation += 1;
            if let Ok(l) = self.connect(generation).await {
                live = Some(l);
            }
        }
        self.held = live;
        self
    }
}

impl Subscriber {
    /// Opens a connection and subscribes, resuming from the seq it has, if any.
    async fn connect(&mut self, generation: u64) -> Result<Live, String> {
        let url = format!("ws://{}/v1/live", self.address);
        let mut request = url.as_str().into_client_request().map_err(|e| e.to_string())?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|e| e.to_string())?;
        request.headers_mut().insert("authorization", bearer);
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let id = generation.to_string();
        let subscribe = ClientMessage::Subscribe {
            id: id.clone(),
            sql: self.query.0.clone(),
            from_seq: self.seq,
            user: None,
        };
        let text = serde_json::to_string(&subscribe).map_err(|e| e.to_string())?;
        socket.send(Message::text(text)).await.map_err(|e| e.to_string())?;
        self.steady_from = now_micros() + 3_000_000;
        Ok(Live {
            socket,
            phase: Phase::Subscribing,
            id,
        })
    }

    /// Reads and applies messages for `span`; `Err("closed")` when the server ends
    /// the connection, another error when the protocol is broken.
    async fn read_for(&mut self, live: &mut Live, span: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + span;
        loop {
            let frame = match tokio::time::timeout_at(deadline, live.socket.next()).await {
                Err(_) => return Ok(()),
                Ok(frame) => frame,
            };
            match frame {
                Some(Ok(Message::Text(text))) => self.apply(live, text.as_str())?,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err("closed".into()),
                Some(Ok(_)) => {}
            }
        }
    }

    /// One frame of the protocol, checked and applied to the subscriber's rows.
    fn apply(&mut self, live: &mut Live, text: &str) -> Result<(), String> {
        let frame: Json = serde_json::from_str(text).map_err(|e| format!("a frame that is not JSON ({e}): {text}"))?;
        if frame["id"].as_str() != Some(live.id.as_str()) {
            return Err(format!("a frame for another subscription: {text}"));
        }
        let message: LiveMessage =
            serde_json::from_value(frame).map_err(|e| format!("a frame out of protocol ({e}): {text}"))?;
        match (message, &mut live.phase) {
            (
                LiveMessage::Subscribed {
                    snapshot_seq, resumed, ..
                },
                Phase::Subscribing,
            ) => {
                if resumed {
                    if self.seq != Some(snapshot_seq) {
                        return Err(format!("resumed at {snapshot_seq}, but it asked for {:?}", self.seq));
                    }
                    self.counters.resumed.fetch_add(1, Ordering::Relaxed);
                    live.phase = Phase::Changes;
                } else {
                    live.phase = Phase::Snapshot(BTreeMap::new(), snapshot_seq);
                }
            }
            (LiveMessage::Snapshot { rows, keys, last, .. }, Phase::Snapshot(snapshot, seq)) => {
                for (key, row) in keys.into_iter().zip(rows) {
                    snapshot.insert(Json::from(key).to_string(), Json::from(row));
                }
                if last {
                    self.rows = std::mem::take(snapshot);
                    self.seq = Some(*seq);
                    live.phase = Phase::Changes;
                }
            }
            (
                LiveMessage::Changes {
                    from_seq,
                    to_seq,
                    committed_at,
                    changes,
                    ..
                },
                Phase::Changes,
            ) => {
                let seq = self.seq.unwrap_or(0);
                if from_seq != seq + 1 {
                    return Err(format!("a gap: changes from {from_seq} after {seq}"));
                }
                for change in &changes {
                    match change {
                        Change::Insert { key, row } | Change::Update { key, row, .. } => {
                            self.rows
                                .insert(Json::from(key.clone()).to_string(), Json::from(row.clone()));
                        }
                        Change::Delete { key, .. } => {
                            self.rows.remove(&Json::from(key.clone()).to_string());
                        }
                    }
                }
                self.seq = Some(to_seq);
                self.counters
                    .changes_delivered
                    .fetch_add(changes.len() as u64, Ordering::Relaxed);
                if committed_at >= self.steady_from && !changes.is_empty() {
                    self.delivery_latency.add((now_micros() - committed_at).max(0) as u64);
                }
            }
            // Fell behind (or its seq is no longer kept): a fresh snapshot follows.
            (LiveMessage::Resync { .. }, _) => {
                self.counters.resyncs.fetch_add(1, Ordering::Relaxed);
                self.steady_from = now_micros() + 3_000_000;
                live.phase = Phase::Subscribing;
            }
            (message, _) => return Err(format!("unexpected here: {message:?}")),
        }
        Ok(())
    }

    /// Reads until the subscriber has every change up to `seq`, reconnecting if it
    /// ended the run without a connection or the server closes it meanwhile.
    async fn catch_up(&mut self, seq: u64) -> Result<(), String> {
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        // The run's latency is measured while it writes, not while the last commit
        // reaches everyone.
        self.steady_from = i64::MAX;
        let mut live = match self.held.take() {
            Some(live) => live,
            None => self.connect(u64::MAX).await?,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut generation = u64::MAX;
        while !(matches!(live.phase, Phase::Changes) && self.seq >= Some(seq)) {
            if Instant::now() > deadline {
                return Err(format!("not caught up to {seq} within 120 s (at {:?})", self.seq));
            }
            match self.read_for(&mut live, Duration::from_millis(500)).await {
                Ok(()) => {}
                // The server gave up on it while it stalled at the end of the run:
                // come back, as during the run.
                Err(e) if e == "closed" && generation > u64::MAX - 5 => {
                    self.counters.server_dropped.fetch_add(1, Ordering::Relaxed);
                    generation -= 1;
                    live = self.connect(generation).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn next(seed: u64) -> u64 {
    seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
