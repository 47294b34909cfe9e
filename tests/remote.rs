//! The app on a server's database: a real `tidepool_server::Server` on a real engine
//! in a temporary directory, reached over loopback HTTP and WebSocket by the app's
//! `RemoteSource`, driven through Tauri's mock runtime as the webview would drive it.
//! The same commands as on a local folder — console, panes, grid edits, catalog — and
//! what only a server has: a dropped connection (the pane says "reconnecting…", then
//! catches up or resyncs), a revoked token, a user token that sees only its rows.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};
use tidepool_engine::Engine;
use tidepool_server::{Config, Server};
use tidepool_studio::source::RemoteSource;
use tidepool_studio::state::AppState;

/// A server on its own runtime, so it outlives the app's calls into it and can be
/// stopped and started again on the same port.
struct Served {
    runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    dir: tempfile::TempDir,
    address: SocketAddr,
}

impl Served {
    fn start() -> Served {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        let server = runtime.block_on(Server::start(engine, config)).unwrap();
        let address = server.address();
        Served {
            runtime,
            server: Some(server),
            dir,
            address,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn engine(&self) -> Engine {
        self.server.as_ref().expect("the server is running").engine().clone()
    }

    fn token(&self, user: Option<&str>) -> (String, String) {
        let (info, token) = self.engine().create_token(user, "test").unwrap();
        (info.id, token)
    }

    /// Stops the server (its connections drop) and lets go of the database.
    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }

    /// Serves the same database on the same address again.
    fn restart(&mut self) {
        self.serve(Vec::new());
    }

    /// Serves again, answering requests that name `host` too.
    fn allow_host(&mut self, host: &str) {
        self.serve(vec![host.to_string()]);
    }

    fn serve(&mut self, allowed_hosts: Vec<String>) {
        self.stop();
        let engine = Engine::open(self.dir.path()).unwrap();
        let config = Config {
            listen: self.address,
            allowed_hosts,
            ..Config::default()
        };
        let server = self.runtime.block_on(Server::start(engine, config)).unwrap();
        self.server = Some(server);
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<Json>>>,
    _data: tempfile::TempDir,
}

/// The app with `served`'s database open through `token`.
fn harness(served: &Served, token: &str) -> Harness {
    harness_at(&served.url(), token)
}

fn harness_at(url: &str, token: &str) -> Harness {
    let data = tempfile::tempdir().unwrap();
    let state = AppState::new(data.path());
    let source = tauri::async_runtime::block_on(RemoteSource::connect(url, token, None)).unwrap();
    state.open_source(Arc::new(source));
    let app = tidepool_studio::configure(mock_builder(), state)
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    window.listen("pane", move |event| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap());
    });
    Harness {
        _app: app,
        window,
        events,
        _data: data,
    }
}

impl Harness {
    fn invoke(&self, cmd: &str, args: Json) -> Result<Json, Json> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Json>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Json) -> Json {
        self.invoke(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn sql(&self, sql: &str) -> Json {
        let run = self.ok("run_sql", json!({ "sql": sql }));
        assert!(run["error"].is_null(), "{sql}: {}", run["error"]);
        run
    }

    fn pane_events(&self, pane: &str) -> Vec<Json> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["pane"] == pane)
            .cloned()
            .collect()
    }

    /// Waits until the events of `pane` satisfy `done`; returns them.
    fn wait_for(&self, pane: &str, done: impl Fn(&[Json]) -> bool) -> Vec<Json> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let events = self.pane_events(pane);
            if done(&events) {
                return events;
            }
            assert!(Instant::now() < deadline, "timed out; events so far: {events:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn open(&self, table: &str, filter: Option<&str>) -> (String, Json) {
        let info = self.ok("open_pane", json!({ "table": table, "filter": filter }));
        let pane = info["pane"].as_str().unwrap().to_string();
        self.wait_for(&pane, |events| {
            events.iter().any(|e| e["type"] == "snapshot" && e["loading"] == false)
        });
        (pane, info)
    }

    fn rows(&self, pane: &str) -> Vec<Json> {
        let window = self.ok("pane_rows", json!({ "pane": pane, "start": 0, "count": 5000 }));
        window["rows"].as_array().unwrap().clone()
    }

    /// Waits until the pane shows exactly `expected` (its rows' cells, in order).
    fn wait_rows(&self, pane: &str, expected: Json) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let rows = self.rows(pane);
            if Json::from(rows.clone()) == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the pane shows {rows:?}, not {expected}; events: {:?}",
                self.pane_events(pane)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

const SETUP: &str = "CREATE NAMESPACE app;
CREATE TABLE app.items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT, price DECIMAL(10,2), tag BYTEA, meta JSON);
INSERT INTO app.items (id, name, qty) VALUES (1, 'apple', 3), (2, 'pear', 0);";

#[test]
fn the_console_runs_on_the_server_with_types_positions_and_suggestions() {
    let served = Served::start();
    let (_, admin) = served.token(None);
    let h = harness(&served, &admin);
    let run = h.ok(
        "run_sql",
        json!({ "sql": format!("{SETUP}\nSELECT name, qty FROM app.items ORDER BY id;\n  SELEC oops;\nINSERT INTO app.items (id, name) VALUES (3, 'fig');") }),
    );
    let outputs = run["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 4, "{run}");
    assert_eq!(outputs[0]["result"]["type"], "done", "DDL is done, not 0 rows: {run}");
    assert_eq!(outputs[2]["result"], json!({ "type": "affected", "rows": 2 }));
    assert_eq!(outputs[3]["result"]["rows"], json!([["apple", 3], ["pear", 0]]));
    assert_eq!(
        outputs[3]["result"]["columns"],
        json!([{ "name": "name", "sql_type": "TEXT" }, { "name": "qty", "sql_type": "INT" }])
    );
    // The error's position is the script's, not the statement's on the server.
    let error = &run["error"]["error"];
    assert_eq!(error["code"], "syntax", "{run}");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(5), Some(3)),
        "{run}"
    );
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
    let missing = h.ok("run_sql", json!({ "sql": "SELECT 1;\nSELECT * FROM app.itmes" }));
    let error = &missing["error"]["error"];
    assert_eq!(error["did_you_mean"]["suggestion"], "app.items", "{missing}");
    assert_eq!(error["line"], 2, "{missing}");
    // The catalog tree is the server's.
    let catalog = h.ok("catalog", json!({}));
    assert_eq!(catalog["database"]["path"], served.url());
    let app = catalog["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ns| ns["name"] == "app")
        .unwrap()
        .clone();
    assert_eq!(app["tables"][0]["name"], "items");
    assert_eq!(app["tables"][0]["rows"], 2);
    assert_eq!(app["tables"][0]["columns"][3]["sql_type"], "DECIMAL(10,2)");
}

#[test]
fn a_pane_of_a_servers_table_gets_other_writers_changes_in_order_and_edits_write_through() {
    let served = Served::start();
    let (_, admin) = served.token(None);
    let h = harness(&served, &admin);
    h.sql(SETUP);
    let (pane, info) = h.open("app.items", None);
    assert_eq!(info["table"], "app.items", "a pane of one table is editable: {info}");
    h.wait_rows(
        &pane,
        json!([[1, "apple", 3, null, null, null], [2, "pear", 0, null, null, null]]),
    );
    // Another writer (as the CLI would, through the engine the server serves).
    let engine = served.engine();
    let session = engine.session(tidepool_engine::Actor::Admin);
    let writer = served.runtime.spawn(async move {
        for i in 10..110 {
            session
                .execute(&format!(
                    "INSERT INTO app.items (id, name, qty) VALUES ({i}, 'n{i}', {i})"
                ))
                .await
                .unwrap();
        }
    });
    served.runtime.block_on(writer).unwrap();
    let events = h.wait_for(&pane, |events| {
        events
            .iter()
            .filter(|e| e["type"] == "changes")
            .map(|e| e["count"].as_u64().unwrap())
            .sum::<u64>()
            == 100
    });
    // In commit order, no gap.
    let mut seq = None;
    for event in &events {
        match event["type"].as_str().unwrap() {
            "snapshot" => seq = event["seq"].as_u64(),
            "changes" => {
                assert_eq!(event["from_seq"].as_u64(), seq.map(|s| s + 1), "gap before {event}");
                seq = event["to_seq"].as_u64();
            }
            _ => {}
        }
    }
    assert_eq!(h.rows(&pane).len(), 102);
    // Grid edits go to the server, typed as a local folder types them.
    h.ok(
        "update_cell",
        json!({ "table": "app.items", "key": [1], "column": "price", "value": "12.34" }),
    );
    h.ok(
        "update_cell",
        json!({ "table": "app.items", "key": [1], "column": "tag", "value": "00ff10" }),
    );
    h.ok(
        "update_cell",
        json!({ "table": "app.items", "key": [1], "column": "meta", "value": "{\"a\": [1, 2]}" }),
    );
    let bad = h
        .invoke(
            "update_cell",
            json!({ "table": "app.items", "key": [1], "column": "qty", "value": "many" }),
        )
        .unwrap_err();
    assert_eq!(bad["code"], "type_mismatch", "{bad}");
    h.ok(
        "insert_row",
        json!({ "table": "app.items", "values": { "id": 5, "name": "kiwi", "qty": 7 } }),
    );
    let missing_name = h
        .invoke("insert_row", json!({ "table": "app.items", "values": { "id": 6 } }))
        .unwrap_err();
    assert_eq!(missing_name["code"], "not_null", "{missing_name}");
    // A row of defaults only, as the + Row form sends for such a table.
    h.sql("CREATE TABLE app.defaults (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), note TEXT, n INT DEFAULT 3)");
    h.ok("insert_row", json!({ "table": "app.defaults", "values": {} }));
    let defaults = h.sql("SELECT note, n FROM app.defaults");
    assert_eq!(defaults["outputs"][0]["result"]["rows"], json!([[null, 3]]));
    let deleted = h.ok(
        "delete_rows",
        json!({ "table": "app.items", "keys": (10..110).map(|i| json!([i])).collect::<Vec<_>>() }),
    );
    assert_eq!(deleted["affected"], 100);
    h.wait_rows(
        &pane,
        json!([
            [1, "apple", 3, 12.34, "00ff10", { "a": [1, 2] }],
            [2, "pear", 0, null, null, null],
            [5, "kiwi", 7, null, null, null]
        ]),
    );
    let check = served
        .runtime
        .block_on(
            served
                .engine()
                .session(tidepool_engine::Actor::Admin)
                .execute("SELECT CAST(price AS TEXT), encode(tag, 'hex'), meta FROM app.items WHERE id = 1"),
        )
        .unwrap();
    assert_eq!(
        check[0].to_json()["rows"],
        json!([["12.34", "00ff10", { "a": [1, 2] }]])
    );
}

#[test]
fn the_consoles_cancel_stops_a_write_on_the_server_and_it_writes_nothing() {
    let served = Served::start();
    let (_, admin) = served.token(None);
    let h = harness(&served, &admin);
    let values: Vec<String> = (0..4_000).map(|i| format!("({i}, {})", i % 97)).collect();
    h.sql(&format!(
        "CREATE NAMESPACE app; CREATE TABLE app.big (id BIGINT PRIMARY KEY, n BIGINT); \
         CREATE TABLE app.copy (id BIGINT PRIMARY KEY, n BIGINT); INSERT INTO app.big VALUES {}",
        values.join(", ")
    ));
    // Would write rows if it finished; runs for many seconds.
    let slow = "INSERT INTO app.copy SELECT a.id * 100000000 + b.id * 10000 + c.id, a.n \
                FROM app.big a CROSS JOIN app.big b CROSS JOIN app.big c WHERE c.id < 10 AND a.n + b.n + c.n < 3";
    let window = h.window.clone();
    let run = std::thread::spawn(move || {
        get_ipc_response(
            &window,
            InvokeRequest {
                cmd: "run_sql".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(json!({ "sql": slow, "run": "slow-insert" })),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Json>().unwrap())
    });
    let engine = served.engine();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !engine
        .running_queries(&tidepool_engine::Actor::Admin)
        .iter()
        .any(|q| q.sql.contains("CROSS JOIN"))
    {
        assert!(Instant::now() < deadline, "the insert never ran on the server");
        std::thread::sleep(Duration::from_millis(5));
    }
    let asked = Instant::now();
    assert_eq!(h.ok("cancel_sql", json!({ "run": "slow-insert" })), true);
    let answered = run.join().unwrap().unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "stopped {:?} after the cancel",
        asked.elapsed()
    );
    assert_eq!(answered["error"]["error"]["code"], "cancelled", "{answered}");
    let count = h.sql("SELECT COUNT(*) FROM app.copy");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[0]]));
}

#[test]
fn a_pane_reconnects_after_the_server_restarts_and_resyncs_to_the_servers_rows() {
    let mut served = Served::start();
    let (_, admin) = served.token(None);
    let h = harness(&served, &admin);
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    served.stop();
    let events = h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "link" && e["reconnecting"] == true)
    });
    let lost = events.iter().find(|e| e["type"] == "link").unwrap();
    assert!(lost["message"].as_str().unwrap().contains("trying again"), "{lost}");
    // Written while the pane was away.
    {
        let engine = Engine::open(served.dir.path()).unwrap();
        tauri::async_runtime::block_on(
            engine
                .session(tidepool_engine::Actor::Admin)
                .execute("INSERT INTO app.items (id, name) VALUES (7, 'plum'); DELETE FROM app.items WHERE id = 2"),
        )
        .unwrap();
    }
    served.restart();
    // Back, and the server had not kept the changes of its last run: resync, which the
    // UI answers by resubscribing.
    let events = h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "resync"));
    let back = events.iter().rfind(|e| e["type"] == "link").unwrap();
    assert_eq!(back["reconnecting"], false, "{events:?}");
    h.ok("resubscribe_pane", json!({ "pane": pane }));
    h.wait_rows(
        &pane,
        json!([[1, "apple", 3, null, null, null], [7, "plum", null, null, null, null]]),
    );
}

/// A TCP forwarder between the app and the server that can cut every connection and
/// refuse new ones for a while: a network that drops, with the server still running.
struct Proxy {
    address: SocketAddr,
    cuts: tokio::sync::watch::Sender<u64>,
    blocked: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    fn start(runtime: &tokio::runtime::Runtime) -> (Proxy, tokio::net::TcpListener) {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let (cuts, _) = tokio::sync::watch::channel(0);
        let proxy = Proxy {
            address: listener.local_addr().unwrap(),
            cuts,
            blocked: Arc::default(),
        };
        (proxy, listener)
    }

    fn forward_to(&self, runtime: &tokio::runtime::Runtime, listener: tokio::net::TcpListener, target: SocketAddr) {
        let cuts = self.cuts.clone();
        let blocked = self.blocked.clone();
        runtime.spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if blocked.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
    }

    /// Drops every open connection and refuses new ones until `restore`.
    fn cut(&self) {
        self.blocked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.blocked.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_pane_whose_connection_drops_says_reconnecting_then_catches_up_exactly() {
    let mut served = Served::start();
    let (proxy, listener) = Proxy::start(&served.runtime);
    // The server is asked for by the proxy's address.
    served.allow_host(&proxy.address.to_string());
    proxy.forward_to(&served.runtime, listener, served.address);
    let (_, admin) = served.token(None);
    let url = format!("http://{}", proxy.address);
    let h = harness_at(&url, &admin);
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    h.sql("UPDATE app.items SET qty = 4 WHERE id = 1");
    h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "changes"));
    proxy.cut();
    h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "link" && e["reconnecting"] == true)
    });
    // Written while the pane cannot hear of it; the server keeps the changes.
    let session = served.engine().session(tidepool_engine::Actor::Admin);
    served
        .runtime
        .block_on(session.execute(
            "INSERT INTO app.items (id, name) VALUES (7, 'plum'); DELETE FROM app.items WHERE id = 2; \
             UPDATE app.items SET qty = 5 WHERE id = 1",
        ))
        .unwrap();
    proxy.restore();
    h.wait_rows(
        &pane,
        json!([[1, "apple", 5, null, null, null], [7, "plum", null, null, null, null]]),
    );
    let last = served.engine().last_seq();
    let events = h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "changes" && e["to_seq"] == last)
    });
    let back = events.iter().rfind(|e| e["type"] == "link").unwrap();
    assert_eq!(back["reconnecting"], false, "{events:?}");
    assert!(
        events.iter().all(|e| e["type"] != "resync"),
        "resumed, not resynced: {events:?}"
    );
    // Every commit once, in order, across the drop.
    let mut seq = None;
    for event in &events {
        match event["type"].as_str().unwrap() {
            "snapshot" => seq = event["seq"].as_u64(),
            "changes" => {
                assert_eq!(event["from_seq"].as_u64(), seq.map(|s| s + 1), "gap before {event}");
                seq = event["to_seq"].as_u64();
            }
            _ => {}
        }
    }
    assert_eq!(seq, Some(last));
}

#[test]
fn a_revoked_token_closes_the_pane_with_the_reason_and_refuses_the_console() {
    let served = Served::start();
    let (id, admin) = served.token(None);
    let h = harness(&served, &admin);
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    served.engine().revoke_token(&id).unwrap();
    let events = h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "closed"));
    let closed = events.iter().find(|e| e["type"] == "closed").unwrap();
    assert!(
        closed["reason"].as_str().unwrap().contains("refused the token"),
        "{closed}"
    );
    let refused = h.ok("run_sql", json!({ "sql": "SELECT 1" }));
    assert_eq!(refused["error"]["error"]["code"], "unauthorized", "{refused}");
}

#[test]
fn a_user_token_sees_and_edits_only_its_own_rows() {
    let served = Served::start();
    let (_, admin) = served.token(None);
    let setup = harness(&served, &admin);
    setup.sql("CREATE NAMESPACE app; CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);");
    // Rows of two users, written as each of them.
    let engine = served.engine();
    for (user, body) in [("ann", "by ann"), ("bob", "by bob")] {
        tauri::async_runtime::block_on(
            engine
                .session(tidepool_engine::Actor::User(user.into()))
                .execute(&format!("INSERT INTO app.notes VALUES (1, '{body}')")),
        )
        .unwrap();
    }
    let (_, ann) = served.token(Some("ann"));
    let h = harness(&served, &ann);
    let (pane, info) = h.open("app.notes", None);
    assert_eq!(info["table"], "app.notes", "{info}");
    h.wait_rows(&pane, json!([[1, "by ann"]]));
    h.ok(
        "update_cell",
        json!({ "table": "app.notes", "key": [1], "column": "body", "value": "by ann, edited" }),
    );
    h.wait_rows(&pane, json!([[1, "by ann, edited"]]));
    let all = h.sql("SELECT body FROM app.notes");
    assert_eq!(all["outputs"][0]["result"]["rows"], json!([["by ann, edited"]]));
    // Acting as another user is refused; the catalog hides a USER table's row count.
    let refused = h.ok("run_sql", json!({ "sql": "SELECT * FROM app.notes", "user": "bob" }));
    assert_eq!(refused["error"]["error"]["code"], "not_allowed", "{refused}");
    let catalog = h.ok("catalog", json!({}));
    let notes = catalog["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ns| ns["tables"].as_array().unwrap().clone())
        .find(|t| t["name"] == "notes")
        .unwrap();
    assert!(notes["rows"].is_null(), "{notes}");
    // Bob's row is untouched.
    let bob = tauri::async_runtime::block_on(
        engine
            .session(tidepool_engine::Actor::User("bob".into()))
            .execute("SELECT body FROM app.notes"),
    )
    .unwrap();
    assert_eq!(bob[0].to_json()["rows"], json!([["by bob"]]));
}

#[test]
fn connecting_to_a_wrong_url_or_with_a_wrong_token_says_why() {
    let served = Served::start();
    let wrong = tauri::async_runtime::block_on(RemoteSource::connect(&served.url(), "not-a-token", None));
    let error = wrong.err().unwrap();
    assert_eq!(error.code, "unauthorized", "{error:?}");
    let nobody = tauri::async_runtime::block_on(RemoteSource::connect("http://127.0.0.1:9", "t", None));
    assert_eq!(nobody.err().unwrap().code, "unreachable");
    let scheme = tauri::async_runtime::block_on(RemoteSource::connect("ftp://127.0.0.1:9", "t", None));
    assert_eq!(scheme.err().unwrap().code, "invalid_request");
}

#[test]
fn exports_come_from_the_server_and_imports_go_to_it_with_their_bad_rows() {
    let served = Served::start();
    let (_, admin) = served.token(None);
    let h = harness(&served, &admin);
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, name TEXT NOT NULL); INSERT INTO app.t VALUES (1, 'a'), (2, 'b')");
    let files = tempfile::tempdir().unwrap();
    let path = |name: &str| files.path().join(name).display().to_string();
    let table = h.ok(
        "export_rows",
        json!({ "source": { "kind": "table", "table": "app.t" }, "format": "csv", "path": path("t.csv"), "overwrite": false }),
    );
    assert_eq!(table["rows"], 2);
    assert_eq!(std::fs::read_to_string(path("t.csv")).unwrap(), "id,name\n1,a\n2,b\n");
    let (pane, _) = h.open("app.t", Some("id > 1"));
    h.ok(
        "export_rows",
        json!({ "source": { "kind": "pane", "pane": pane }, "format": "json", "path": path("pane.json"), "overwrite": false }),
    );
    let exported: Json = serde_json::from_str(&std::fs::read_to_string(path("pane.json")).unwrap()).unwrap();
    assert_eq!(exported, json!([{ "id": 2, "name": "b" }]));
    let parquet = h.ok("export_rows", json!({ "source": { "kind": "query", "sql": "SELECT name FROM app.t", "user": null }, "format": "parquet", "path": path("q.parquet"), "overwrite": false }));
    assert_eq!(parquet["rows"], 2);
    assert_eq!(&std::fs::read(path("q.parquet")).unwrap()[..4], b"PAR1");
    let refused = h.invoke(
        "export_rows",
        json!({ "source": { "kind": "query", "sql": "SELECT * FROM app.tt", "user": null }, "format": "csv", "path": path("n.csv"), "overwrite": false }),
    );
    assert_eq!(refused.unwrap_err()["did_you_mean"]["suggestion"], "app.t");
    assert!(!files.path().join("n.csv").exists());

    std::fs::write(path("in.csv"), "id,name\n3,c\n4,\n5,e\n").unwrap();
    let imports = Arc::new(Mutex::new(Vec::<Json>::new()));
    let sink = imports.clone();
    h.window.listen("import", move |event| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap())
    });
    let finished = |id: &Json| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let last = imports
                .lock()
                .unwrap()
                .iter()
                .find(|e| e["import"] == *id && (!e["finished"].is_null() || !e["error"].is_null()))
                .cloned();
            if let Some(last) = last {
                return last;
            }
            assert!(Instant::now() < deadline, "the import did not finish");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let request = |on_error: &str| {
        json!({ "request": {
        "path": path("in.csv"), "table": "app.t", "mapping": ["id", "name"], "on_error": on_error,
        "header": true, "delimiter": ",", "empty_as_null": true, "user": null, "created_table": false } })
    };
    let stopped = finished(&h.ok("start_import", request("stop")));
    assert_eq!(stopped["error"]["code"], "bad_row", "{stopped}");
    assert_eq!(
        h.sql("SELECT count(*) FROM app.t")["outputs"][0]["result"]["rows"],
        json!([[2]])
    );
    let skipped = finished(&h.ok("start_import", request("skip")));
    let done = &skipped["finished"];
    assert_eq!(
        (&done["imported"], &done["skipped"]),
        (&json!(2), &json!(1)),
        "{skipped}"
    );
    assert_eq!(done["errors"][0]["line"], 3);
    h.wait_rows(&pane, json!([[2, "b"], [3, "c"], [5, "e"]]));
}
