//! A real `tidepool serve` on an ephemeral loopback port, driven by the CLI and by a
//! raw WebSocket client: the seed's WebSocket integration tests, made real.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A running `tidepool serve`; killed when dropped.
struct Served {
    child: Child,
    address: String,
    /// The admin token printed on first start (`None` on later starts).
    admin_token: Option<String>,
}

impl Served {
    fn start(db: &Path) -> Served {
        Served::start_with(db, &[])
    }

    fn start_with(db: &Path, args: &[&str]) -> Served {
        let child = Command::new(env!("CARGO_BIN_EXE_tidepool"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run tidepool serve");
        // Owned by the guard from here on, so a failed start is still reaped.
        let mut served = Served {
            child,
            address: String::new(),
            admin_token: None,
        };
        let mut lines = BufReader::new(served.child.stdout.take().unwrap()).lines();
        while served.address.is_empty() {
            let line = lines
                .next()
                .expect("tidepool serve exited before printing its address")
                .unwrap();
            if let Some(token) = line.strip_prefix("admin token: ") {
                served.admin_token = Some(token.to_string());
            }
            if let Some((_, address)) = line.split_once(" on http://") {
                served.address = address.to_string();
            }
        }
        served
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `tidepool <args> --server URL --token TOKEN`.
    fn cli(&self, token: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tidepool"))
            .args(args)
            .args(["--server", &self.url(), "--token", token])
            .env_remove("TIDEPOOL_TOKEN")
            .env_remove("TIDEPOOL_SERVER")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `POST /v1/sql` with `body` as it is.
    fn post_sql(&self, token: &str, body: &str) -> (u16, Json) {
        http(
            &self.address,
            "POST",
            "/v1/sql",
            &[("Authorization", &bearer(token))],
            body,
        )
    }

    fn sql(&self, token: &str, sql: &str) -> Json {
        let (status, body) = self.post_sql(token, &json!({ "sql": sql }).to_string());
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn ws(&self, token: &str) -> Ws {
        let mut request = format!("ws://{}/v1/live", self.address).into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", bearer(token).parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
        Ws { socket }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// One HTTP/1.1 request written by hand, so Host and Origin are exactly as given.
fn http(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Json) {
    // A server that is gone (a test killed it while a writer thread went on) answers
    // nothing, as one that hangs up does: status 0.
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (0, Json::Null);
    };
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Content-Type: application/json\r\n\r\n");
    // A refused request may be answered before the whole body is sent.
    let _ = stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()));
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Json::Null))
}

struct Ws {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Ws {
    async fn send(&mut self, message: Json) {
        self.socket.send(Message::text(message.to_string())).await.unwrap();
    }

    async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.unwrap();
    }

    async fn next(&mut self) -> Json {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .expect("a message within 60 s")
                .expect("the connection is open")
                .unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    async fn subscribe(&mut self, id: &str, sql: &str) -> Mirror {
        self.send(json!({ "type": "subscribe", "id": id, "sql": sql })).await;
        let mut mirror = Mirror::default();
        while !mirror.snapshot_done {
            let message = self.next().await;
            mirror.apply(&message);
        }
        mirror
    }

    /// Applies messages until `done` holds.
    async fn follow_until(&mut self, mirror: &mut Mirror, done: impl Fn(&Mirror) -> bool) {
        while !done(mirror) || !mirror.snapshot_done {
            let message = self.next().await;
            mirror.apply(&message);
        }
    }

    /// Applies messages until the mirror has seen `seq`.
    async fn follow(&mut self, mirror: &mut Mirror, seq: u64) {
        while mirror.last_seq < seq || !mirror.snapshot_done {
            let message = self.next().await;
            mirror.apply(&message);
        }
    }
}

/// What a client knows from the protocol; checks seq continuity and change sanity.
#[derive(Default, Debug)]
struct Mirror {
    rows: std::collections::BTreeMap<String, Json>,
    last_seq: u64,
    snapshot_done: bool,
    changes: Vec<Json>,
    resyncs: usize,
}

impl Mirror {
    fn apply(&mut self, message: &Json) {
        match message["type"].as_str().unwrap() {
            "subscribed" => {
                if message["resumed"] == true {
                    assert_eq!(message["snapshot_seq"], self.last_seq);
                } else {
                    self.rows.clear();
                }
                self.last_seq = message["snapshot_seq"].as_u64().unwrap();
                self.snapshot_done = message["resumed"] == true;
            }
            "snapshot" => {
                for (key, row) in message["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(message["rows"].as_array().unwrap())
                {
                    assert!(self.rows.insert(key.to_string(), row.clone()).is_none());
                }
                self.snapshot_done = message["last"] == true;
            }
            "changes" => {
                assert_eq!(
                    message["from_seq"].as_u64().unwrap(),
                    self.last_seq + 1,
                    "gap or overlap"
                );
                self.last_seq = message["to_seq"].as_u64().unwrap();
                for change in message["changes"].as_array().unwrap() {
                    let key = change["key"].to_string();
                    match change["op"].as_str().unwrap() {
                        "insert" => assert!(
                            self.rows.insert(key, change["row"].clone()).is_none(),
                            "insert of a present row"
                        ),
                        "update" => assert_eq!(
                            self.rows.insert(key, change["row"].clone()),
                            Some(change["old"].clone())
                        ),
                        _ => assert_eq!(self.rows.remove(&key), Some(change["old"].clone())),
                    }
                    self.changes.push(change.clone());
                }
            }
            "resync" => {
                self.resyncs += 1;
                self.snapshot_done = false;
            }
            other => panic!("unexpected {other}: {message}"),
        }
    }
}

const SETUP: &str = "CREATE NAMESPACE app; CREATE TABLE app.m (id BIGINT PRIMARY KEY, room TEXT, n BIGINT)";

fn last_seq(served: &Served, token: &str) -> u64 {
    let (_, status) = http(
        &served.address,
        "GET",
        "/v1/status",
        &[("Authorization", &bearer(token))],
        "",
    );
    status["last_seq"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_update_delete_notify_a_websocket_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().expect("first start prints the admin token");
    served.sql(&admin, SETUP);
    let mut ws = served.ws(&admin).await;
    let mut mirror = ws.subscribe("room-a", "SELECT id, n FROM app.m WHERE room = 'a'").await;

    served.sql(&admin, "INSERT INTO app.m VALUES (1, 'a', 1), (2, 'b', 2)");
    served.sql(&admin, "UPDATE app.m SET n = 10 WHERE id = 1");
    served.sql(&admin, "DELETE FROM app.m WHERE id = 1");
    ws.follow(&mut mirror, last_seq(&served, &admin)).await;
    let ops: Vec<&str> = mirror.changes.iter().map(|c| c["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["insert", "update", "delete"]);
    assert_eq!(mirror.changes[1]["row"], json!([1, 10]));
    assert!(mirror.rows.is_empty());

    // Unsubscribing ends it with `closed`; the id can then be used again.
    ws.send(json!({ "type": "unsubscribe", "id": "room-a" })).await;
    let closed = ws.next().await;
    assert_eq!(
        (closed["type"].as_str(), closed["id"].as_str()),
        (Some("closed"), Some("room-a"))
    );
    let again = ws.subscribe("room-a", "SELECT id FROM app.m").await;
    assert_eq!(again.rows.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10000_row_insert_arrives_once_and_1000_updates_of_one_row_arrive_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    let mut ws = served.ws(&admin).await;
    let mut mirror = ws.subscribe("all", "SELECT id, n FROM app.m").await;

    served.sql(
        &admin,
        "INSERT INTO app.m SELECT value AS id, 'r' AS room, 0 AS n FROM generate_series(1, 10000)",
    );
    ws.follow(&mut mirror, last_seq(&served, &admin)).await;
    assert_eq!(mirror.rows.len(), 10_000);
    assert_eq!(mirror.changes.len(), 10_000, "every row exactly once");

    // 1,000 separate commits from the CLI's own connection-less HTTP requests.
    let updates: String = (1..=1000)
        .map(|i| format!("UPDATE app.m SET n = {i} WHERE id = 7;"))
        .collect();
    served.sql(&admin, &updates);
    ws.follow(&mut mirror, last_seq(&served, &admin)).await;
    let values: Vec<i64> = mirror.changes[10_000..]
        .iter()
        .map(|c| c["row"][1].as_i64().unwrap())
        .collect();
    assert_eq!(values, (1..=1000).collect::<Vec<_>>(), "all of them, in commit order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resumes_from_its_seq_after_reconnecting() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    served.sql(&admin, "INSERT INTO app.m VALUES (1, 'a', 1)");
    let mut ws = served.ws(&admin).await;
    let mut mirror = ws.subscribe("s", "SELECT id, n FROM app.m").await;
    drop(ws);

    served.sql(&admin, "INSERT INTO app.m VALUES (2, 'a', 2)");
    served.sql(&admin, "UPDATE app.m SET n = 11 WHERE id = 1");
    let mut ws = served.ws(&admin).await;
    ws.send(json!({ "type": "subscribe", "id": "s", "sql": "SELECT id, n FROM app.m", "from_seq": mirror.last_seq }))
        .await;
    ws.follow(&mut mirror, last_seq(&served, &admin)).await;
    assert_eq!(mirror.resyncs, 0);
    assert_eq!(mirror.changes.len(), 2, "only what happened while away");
    assert_eq!(
        mirror.rows.values().cloned().collect::<Vec<_>>(),
        vec![json!([1, 11]), json!([2, 2])]
    );

    // The CLI resumes the same way and prints JSON lines.
    let seq = last_seq(&served, &admin).to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args([
            "subscribe",
            "--server",
            &served.url(),
            "--token",
            &admin,
            "--from-seq",
            &seq,
            "SELECT id, n FROM app.m",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let subscribed: Json = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        (subscribed["type"].as_str(), subscribed["resumed"].as_bool()),
        (Some("subscribed"), Some(true))
    );
    served.sql(&admin, "DELETE FROM app.m WHERE id = 2");
    let changes: Json = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        changes["changes"],
        json!([{ "op": "delete", "key": [2], "old": [2, 2] }])
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_user_tokens_see_only_their_own_user_rows_and_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(
        &admin,
        "CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)",
    );
    let token_for = |user: &str| {
        let out = served.cli(&admin, &["token", "create", "--for-user", user, "--label", "test"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("token: "))
            .unwrap()
            .to_string()
    };
    let (alice, bob) = (token_for("alice"), token_for("bob"));
    let mut alice_ws = served.ws(&alice).await;
    let mut bob_ws = served.ws(&bob).await;
    let mut alice_view = alice_ws.subscribe("n", "SELECT id, body FROM app.notes").await;
    let mut bob_view = bob_ws.subscribe("n", "SELECT id, body FROM app.notes").await;

    served.sql(
        &alice,
        "INSERT INTO app.notes VALUES (1, 'alice one'), (2, 'alice two')",
    );
    served.sql(&bob, "INSERT INTO app.notes VALUES (1, 'bob one')");
    // Bob's insert commits after alice's: were alice's rows sent to bob, they would
    // arrive before his own.
    alice_ws.follow_until(&mut alice_view, |m| m.rows.len() == 2).await;
    bob_ws.follow_until(&mut bob_view, |m| m.rows.len() == 1).await;
    assert_eq!(alice_view.rows.len(), 2);
    assert_eq!(
        bob_view.rows.values().cloned().collect::<Vec<_>>(),
        vec![json!([1, "bob one"])]
    );
    assert_eq!(bob_view.changes.len(), 1, "bob is never told about alice's rows");

    let bob_reads = served.sql(&bob, "SELECT body FROM app.notes");
    assert_eq!(bob_reads["results"][0]["rows"], json!([["bob one"]]));
    // A user token cannot act as someone else, nor create tokens.
    let body = json!({ "sql": "SELECT * FROM app.notes", "user": "alice" }).to_string();
    let (status, answer) = http(
        &served.address,
        "POST",
        "/v1/sql",
        &[("Authorization", &bearer(&bob))],
        &body,
    );
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("not_allowed")));
    let out = served.cli(&bob, &["token", "create"]);
    assert!(!out.status.success());
    // An admin token may act as a user.
    let body = json!({ "sql": "SELECT body FROM app.notes ORDER BY id", "user": "alice" }).to_string();
    let (status, answer) = http(
        &served.address,
        "POST",
        "/v1/sql",
        &[("Authorization", &bearer(&admin))],
        &body,
    );
    assert_eq!(
        (status, &answer["results"][0]["rows"]),
        (200, &json!([["alice one"], ["alice two"]]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_tokens_foreign_origins_and_wrong_hosts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start_with(dir.path(), &["--allow-origin", "http://localhost:5173"]);
    let admin = served.admin_token.clone().unwrap();
    let select = json!({ "sql": "SELECT 1" }).to_string();
    let post = |headers: &[(&str, &str)]| http(&served.address, "POST", "/v1/sql", headers, &select);

    let (status, body) = post(&[]);
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) = post(&[("Authorization", "Bearer tp_0000000000000000_nope")]);
    assert_eq!(status, 401);
    let (status, _) = post(&[("Authorization", &admin)]);
    assert_eq!(status, 401, "the token without 'Bearer'");
    let revoked = served.cli(&admin, &["token", "create", "--for-user", "eve"]);
    let text = String::from_utf8(revoked.stdout).unwrap();
    let (id, token) = (
        text.lines()
            .find_map(|l| l.strip_prefix("id:"))
            .unwrap()
            .trim()
            .to_string(),
        text.lines()
            .find_map(|l| l.strip_prefix("token: "))
            .unwrap()
            .to_string(),
    );
    assert_eq!(post(&[("Authorization", &bearer(&token))]).0, 200);
    assert!(served.cli(&admin, &["token", "revoke", &id]).status.success());
    assert_eq!(post(&[("Authorization", &bearer(&token))]).0, 401, "revoked at once");

    let auth = bearer(&admin);
    let (status, body) = post(&[("Authorization", &auth), ("Origin", "https://evil.example")]);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("origin_not_allowed"))
    );
    assert_eq!(
        post(&[("Authorization", &auth), ("Origin", "http://localhost:5173")]).0,
        200
    );
    let (status, body) = post(&[("Authorization", &auth), ("Host", "evil.example")]);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("host_not_allowed"))
    );
    let port = served.address.rsplit(':').next().unwrap();
    assert_eq!(
        post(&[("Authorization", &auth), ("Host", &format!("localhost:{port}"))]).0,
        200
    );
    assert_eq!(
        post(&[("Authorization", &auth), ("Host", "localhost:1")]).0,
        403,
        "another port"
    );

    // The WebSocket handshake is checked the same way: no cross-site hijacking.
    for (name, value) in [("Origin", "https://evil.example"), ("Host", "evil.example")] {
        let mut request = format!("ws://{}/v1/live", served.address)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert("authorization", auth.parse().unwrap());
        request.headers_mut().insert(name, value.parse().unwrap());
        let refused = tokio_tungstenite::connect_async(request).await.unwrap_err();
        assert!(refused.to_string().contains("403"), "{name}: {refused}");
    }
    let mut request = format!("ws://{}/v1/live", served.address)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer nope".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request)
        .await
        .unwrap_err()
        .to_string()
        .contains("401"));

    // The CLI reports a refused token clearly.
    let out = served.cli("tp_bad", &["sql", "-c", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid or revoked token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_requests_get_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start_with(dir.path(), &["--max-request-bytes", "4096", "--max-subscriptions", "2"]);
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);

    let huge = json!({ "sql": format!("SELECT '{}'", "x".repeat(10_000)) }).to_string();
    let (status, body) = served.post_sql(&admin, &huge);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("request_too_large"))
    );
    for bad in [
        "{\"sql\": ",
        "[1, 2]",
        "{\"sql\": 5}",
        "{\"sql\": \"SELECT 1\", \"extra\": true}",
    ] {
        let (status, body) = served.post_sql(&admin, bad);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }
    let (status, body) = served.post_sql(&admin, &json!({ "sql": "SELECT 1;\n  SELEC 2" }).to_string());
    assert_eq!(status, 400);
    assert_eq!(
        body["results"],
        json!([{ "columns": ["Int64(1)"], "types": ["BIGINT"], "rows": [[1]] }])
    );
    assert_eq!(
        (
            body["error"]["code"].as_str(),
            &body["error"]["line"],
            &body["error"]["column"]
        ),
        (Some("syntax"), &json!(2), &json!(3))
    );
    // A misspelled table: 404 with the engine's suggestion, in the message and apart.
    let (status, body) = served.post_sql(&admin, &json!({ "sql": "SELECT * FROM app.mm" }).to_string());
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    assert_eq!(
        body["error"]["message"],
        "table 'app.mm' does not exist; did you mean app.m?"
    );
    assert_eq!(
        body["error"]["did_you_mean"],
        json!({ "name": "app.mm", "suggestion": "app.m" })
    );
    let (status, body) = served.post_sql(
        &admin,
        &json!({ "sql": "SUBSCRIBE TO SELECT id FROM app.m" }).to_string(),
    );
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unsupported")));

    let mut bad = served.ws(&admin).await;
    let mut good = served.ws(&admin).await;
    let mut mirror = good.subscribe("g", "SELECT id FROM app.m").await;
    for (frame, code) in [
        (Message::text("not json"), "bad_message"),
        (Message::text("{\"type\":\"subscribe\",\"id\":\"x\"}"), "bad_message"),
        (Message::text("{\"type\":\"dance\",\"id\":\"x\"}"), "bad_message"),
        (Message::binary(vec![1u8, 2, 3]), "bad_message"),
        (
            Message::text("{\"type\":\"unsubscribe\",\"id\":\"nobody\"}"),
            "not_found",
        ),
        (
            Message::text("{\"type\":\"subscribe\",\"id\":\"q\",\"sql\":\"SELECT nope FROM app.m\"}"),
            "not_found",
        ),
        (
            Message::text("{\"type\":\"subscribe\",\"id\":\"q\",\"sql\":\"SELECT 1\"}"),
            "unsupported",
        ),
        (
            Message::text("{\"type\":\"subscribe\",\"id\":\"q\",\"sql\":\"SELECT id FROM app.m WHERE\"}"),
            "syntax",
        ),
        (
            Message::text("{\"type\":\"subscribe\",\"id\":\"q\",\"sql\":\"SELECT id FROM app.m\",\"from_seq\":99999}"),
            "invalid_argument",
        ),
    ] {
        bad.send_raw(frame).await;
        let reply = bad.next().await;
        assert_eq!(
            (reply["type"].as_str(), reply["code"].as_str()),
            (Some("error"), Some(code)),
            "{reply}"
        );
    }
    bad.subscribe("one", "SELECT id FROM app.m").await;
    bad.subscribe("two", "SELECT id FROM app.m").await;
    bad.send(json!({ "type": "subscribe", "id": "two", "sql": "SELECT id FROM app.m" }))
        .await;
    assert_eq!(bad.next().await["code"], "duplicate_id");
    bad.send(json!({ "type": "subscribe", "id": "three", "sql": "SELECT id FROM app.m" }))
        .await;
    assert_eq!(bad.next().await["code"], "too_many_subscriptions");
    // A message over the size limit is refused; the connection goes on.
    bad.send_raw(Message::text(format!(
        "{{\"type\":\"subscribe\",\"id\":\"big\",\"sql\":\"{}\"}}",
        " ".repeat(10_000)
    )))
    .await;
    assert_eq!(bad.next().await["code"], "request_too_large");
    bad.send(json!({ "type": "unsubscribe", "id": "one" })).await;
    assert_eq!(bad.next().await["type"], "closed");

    served.sql(&admin, "INSERT INTO app.m VALUES (1, 'a', 1)");
    good.follow(&mut mirror, last_seq(&served, &admin)).await;
    assert_eq!(mirror.rows.len(), 1, "the other connection is served throughout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_mid_stream_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    let mut ws = served.ws(&admin).await;
    let mut mirror = ws.subscribe("all", "SELECT id FROM app.m").await;

    // A writer keeps inserting; every insert the server answered 200 was acknowledged.
    let address = served.address.clone();
    let token = admin.clone();
    let writer = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for id in 1.. {
            let body = json!({ "sql": format!("INSERT INTO app.m VALUES ({id}, 'w', {id})") }).to_string();
            let auth = bearer(&token);
            match http(&address, "POST", "/v1/sql", &[("Authorization", &auth)], &body) {
                (200, _) => acknowledged.push(id),
                _ => return acknowledged,
            }
        }
        acknowledged
    });
    while mirror.rows.len() < 50 {
        let message = ws.next().await;
        mirror.apply(&message);
    }
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let acknowledged = writer.join().unwrap();
    assert!(acknowledged.len() >= 10, "{} acknowledged", acknowledged.len());
    drop(ws);

    let restarted = Served::start(dir.path());
    assert!(restarted.admin_token.is_none(), "the admin token is made only once");
    let rows = restarted.sql(&admin, "SELECT id FROM app.m ORDER BY id");
    let stored: Vec<i64> = rows["results"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged insert {id} lost");
    }
    // The restarted server has no history: a resume is answered with resync and a snapshot.
    let mut ws = restarted.ws(&admin).await;
    ws.send(json!({ "type": "subscribe", "id": "all", "sql": "SELECT id FROM app.m", "from_seq": mirror.last_seq }))
        .await;
    let resync = ws.next().await;
    assert_eq!(resync["type"], "resync");
    mirror.apply(&resync);
    ws.follow(&mut mirror, last_seq(&restarted, &admin)).await;
    assert_eq!(mirror.rows.len(), stored.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_ends_its_open_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    let created = served.sql(&admin, "CREATE TOKEN FOR USER 'mallory'");
    let row = &created["results"][0]["rows"][0];
    let (id, token) = (row[0].as_str().unwrap(), row[3].as_str().unwrap());
    let mut ws = served.ws(token).await;
    ws.subscribe("s", "SELECT id FROM app.m").await;
    served.sql(&admin, &format!("DROP TOKEN '{id}'"));
    let refused = ws.next().await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("unauthorized"))
    );
    // Then the server closes the connection.
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.socket.next())
            .await
            .expect("closed in time")
        {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_web_origin_gets_cors_and_a_browser_websocket_sends_its_token_as_a_subprotocol() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start_with(dir.path(), &["--allow-origin", "http://localhost:5173"]);
    let admin = served.admin_token.clone().unwrap();
    let preflight = |origin: &str| {
        let mut stream = TcpStream::connect(&served.address).unwrap();
        write!(
            stream,
            "OPTIONS /v1/sql HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\nConnection: close\r\n\r\n",
            served.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.to_ascii_lowercase()
    };
    let allowed = preflight("http://localhost:5173");
    assert!(allowed.starts_with("http/1.1 204"), "{allowed}");
    assert!(
        allowed.contains("access-control-allow-origin: http://localhost:5173"),
        "{allowed}"
    );
    assert!(
        allowed.contains("access-control-allow-headers: authorization, content-type"),
        "{allowed}"
    );
    assert!(preflight("https://evil.example").starts_with("http/1.1 403"));

    let mut request = format!("ws://{}/v1/live", served.address)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", "http://localhost:5173".parse().unwrap());
    headers.insert(
        "sec-websocket-protocol",
        format!("tidepool, bearer.{admin}").parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("browser-style websocket");
    assert_eq!(response.headers()["sec-websocket-protocol"], "tidepool");
    let mut ws = Ws { socket };
    served.sql(&admin, SETUP);
    let mirror = ws.subscribe("s", "SELECT id FROM app.m").await;
    assert!(mirror.rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_nested_too_deep_gets_an_error_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    // About 80 KB: the request of the report that aborted the server.
    let deep = format!("SELECT {}", vec!["1"; 20_000].join(" + "));
    let (status, body) = served.post_sql(&admin, &json!({ "sql": deep }).to_string());
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_argument")),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("levels deep"),
        "{body}"
    );

    let mut ws = served.ws(&admin).await;
    let ors = (0..5_000).map(|i| format!("id = {i}")).collect::<Vec<_>>().join(" OR ");
    ws.send(json!({ "type": "subscribe", "id": "deep", "sql": format!("SELECT id FROM app.m WHERE {ors}") }))
        .await;
    let reply = ws.next().await;
    assert_eq!(
        (reply["type"].as_str(), reply["code"].as_str()),
        (Some("error"), Some("invalid_argument")),
        "{reply}"
    );

    let (status, body) = served.post_sql(&admin, &json!({ "sql": "SELECT count(*) AS n FROM app.m" }).to_string());
    assert_eq!((status, &body["results"][0]["rows"]), (200, &json!([[0]])), "{body}");
}

/// Seconds of work in debug and release builds alike: a cross join of 4,000 rows.
const SLOW: &str = "SELECT count(*) FROM app.m a CROSS JOIN app.m b WHERE a.n + b.n = -1";

/// The running statements an admin sees whose text is `sql`.
fn running(served: &Served, admin: &str, sql: &str) -> usize {
    let body = served.sql(
        admin,
        &format!(
            "SELECT count(*) FROM system.queries WHERE query = '{}'",
            sql.replace('\'', "''")
        ),
    );
    body["results"][0]["rows"][0][0].as_u64().unwrap() as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_ms_stops_a_statement_and_a_client_that_hangs_up_stops_its_read() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start_with(dir.path(), &["--timeout", "60000"]);
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    served.sql(
        &admin,
        "INSERT INTO app.m SELECT value, 'r', value % 97 FROM generate_series(1, 4000)",
    );

    // timeout_ms: the statement stops with `timeout`; statements before it stay.
    let started = std::time::Instant::now();
    let sql = format!("INSERT INTO app.m VALUES (0, 'x', 0); {SLOW}");
    let (status, body) = served.post_sql(&admin, &json!({ "sql": sql, "timeout_ms": 200 }).to_string());
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (408, Some("timeout")),
        "{body}"
    );
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let (status, body) = served.post_sql(&admin, &json!({ "sql": "SELECT 1", "timeout_ms": 0 }).to_string());
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let out = served.cli(&admin, &["sql", "--timeout", "200", "-c", SLOW]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out after 200 ms"),
        "{out:?}"
    );

    // A client that hangs up: its read stops (it leaves system.queries at once, not
    // after the seconds the join would take).
    let mut stream = TcpStream::connect(&served.address).unwrap();
    let body = json!({ "sql": SLOW }).to_string();
    write!(
        stream,
        "POST /v1/sql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        served.address,
        body.len()
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while running(&served, &admin, SLOW) == 0 {
        assert!(std::time::Instant::now() < deadline, "the request never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stream);
    let hung_up = std::time::Instant::now();
    while running(&served, &admin, SLOW) > 0 {
        assert!(
            hung_up.elapsed() < Duration::from_secs(3),
            "the read went on after its client left"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // KILL QUERY from another request stops a running one, which is told so.
    let killer = {
        let (address, admin) = (served.address.clone(), admin.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let (_, body) = http(
                    &address,
                    "POST",
                    "/v1/sql",
                    &[("Authorization", &bearer(&admin))],
                    &json!({ "sql": format!("SELECT id FROM system.queries WHERE query = '{SLOW}'") }).to_string(),
                );
                if let Some(id) = body["results"][0]["rows"][0][0].as_u64() {
                    let (status, body) = http(
                        &address,
                        "POST",
                        "/v1/sql",
                        &[("Authorization", &bearer(&admin))],
                        &json!({ "sql": format!("KILL QUERY {id}") }).to_string(),
                    );
                    assert_eq!(status, 200, "{body}");
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "the statement never ran");
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let (status, body) = served.post_sql(&admin, &json!({ "sql": SLOW }).to_string());
    killer.join().unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("cancelled")),
        "{body}"
    );
    let body = served.sql(&admin, "SELECT count(*) FROM app.m");
    assert_eq!(body["results"][0]["rows"], json!([[4001]]), "{body}");
}

/// splitmix64, for the boundary fuzz below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A valid request or frame, changed at random: characters replaced, cut, repeated or
/// inserted (quotes, brackets, NUL, escapes, huge numbers, non-ASCII), or wrapped in
/// deep brackets.
fn mutate(text: &str, rng: &mut Rng) -> String {
    const PIECES: [&str; 22] = [
        "'",
        "\"",
        "(",
        ")",
        ";",
        "\\",
        "\\u0000",
        "\u{0}",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "NULL",
        "99999999999999999999999",
        "-",
        "/*",
        "--",
        "é",
        "😀",
        " OR 1=1",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if at < chars.len() => chars[at] = char::from_u32(32 + rng.below(0x24F) as u32).unwrap_or('?'),
            1 if at < chars.len() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
            2 if at < chars.len() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                let piece: Vec<char> = chars[at..end].to_vec();
                chars.splice(
                    at..at,
                    piece.iter().copied().cycle().take(piece.len() * (1 + rng.below(50))),
                );
            }
            3 => chars.truncate(at),
            4 => {
                let depth = 1 + rng.below(300);
                let (open, close) = if rng.below(2) == 0 { ('[', ']') } else { ('{', '}') };
                chars.splice(0..0, std::iter::repeat_n(open, depth));
                chars.extend(std::iter::repeat_n(close, depth));
            }
            _ => {
                let piece = PIECES[rng.below(PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// Seeded fuzzing of the API's boundaries (`TIDEPOOL_BOUNDARY_CASES`, default 300 for
/// CI; `TIDEPOOL_BOUNDARY_SEED`): mutated `/v1/sql` bodies and `/v1/live` frames. The
/// server answers every one with a well-formed result or error (never a 5xx, never a
/// dropped connection), and afterwards the table's rows, its stored row count and a
/// live snapshot agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_requests_and_frames_get_well_formed_answers() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("TIDEPOOL_BOUNDARY_SEED").unwrap_or(0x7469_6465);
    let cases = env("TIDEPOOL_BOUNDARY_CASES").unwrap_or(300);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    served.sql(&admin, "INSERT INTO app.m VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
    let statements = [
        "INSERT INTO app.m VALUES (10, 'x', 5)",
        "INSERT INTO app.m (id, room) VALUES (11, 'y'), (12, 'z')",
        "UPDATE app.m SET n = n + 1 WHERE id = 1",
        "UPDATE app.m SET room = 'q' WHERE room = 'b' OR n > 2",
        "DELETE FROM app.m WHERE id = 3",
        "SELECT id, room FROM app.m WHERE n BETWEEN 1 AND 3 ORDER BY id",
        "SELECT count(*), max(n) FROM app.m",
        "SELECT * FROM app.m WHERE room IN ('a', 'b') AND id <> 2",
    ];
    for case in 0..cases {
        let replay = format!("TIDEPOOL_BOUNDARY_SEED={seed}, case {case}");
        let sql = statements[rng.below(statements.len())];
        if case % 10 == 9 {
            // A frame on a connection of its own: its first answer is well-formed JSON.
            let frame = json!({ "type": "subscribe", "id": "f", "sql": sql.replace("INSERT", "SELECT") }).to_string();
            let frame = mutate(&frame, &mut rng);
            let mut ws = served.ws(&admin).await;
            ws.send_raw(Message::text(frame.clone())).await;
            let reply = ws.next().await;
            assert!(reply["type"].is_string(), "{replay}: {frame} → {reply}");
            continue;
        }
        let body = mutate(&json!({ "sql": sql }).to_string(), &mut rng);
        let (status, answer) = served.post_sql(&admin, &body);
        assert!(
            matches!(status, 200 | 400 | 403 | 404 | 409 | 413),
            "{replay}: {body} → {status} {answer}"
        );
        let well_formed = answer["results"].is_array() || answer["error"]["code"].is_string();
        assert!(well_formed, "{replay}: {body} → {status} {answer}");
    }
    // Consistent: rows, the stored count and a live snapshot agree.
    let count = served.sql(&admin, "SELECT count(*) AS n FROM app.m")["results"][0]["rows"][0][0].clone();
    let stored = served.sql(
        &admin,
        "SELECT rows FROM system.tables WHERE namespace = 'app' AND name = 'm'",
    )["results"][0]["rows"][0][0]
        .clone();
    assert_eq!(count, stored);
    let mut ws = served.ws(&admin).await;
    let mirror = ws.subscribe("end", "SELECT id FROM app.m").await;
    assert_eq!(json!(mirror.rows.len()), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_with_sync_commits_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start_with(dir.path(), &["--sync"]);
    let admin = served.admin_token.clone().unwrap();
    served.sql(&admin, SETUP);
    served.sql(&admin, "INSERT INTO app.m VALUES (1, 'a', 1), (2, 'b', 2)");
    let count = served.sql(&admin, "SELECT count(*) AS n FROM app.m");
    assert_eq!(count["results"][0]["rows"], json!([[2]]), "{count}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_joins_and_reevaluated_queries_are_live_over_the_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(
        &admin,
        "CREATE NAMESPACE app; CREATE TABLE app.m (id BIGINT PRIMARY KEY, room TEXT, n BIGINT);
         CREATE TABLE app.rooms (room TEXT PRIMARY KEY, title TEXT);
         INSERT INTO app.rooms VALUES ('a', 'Alpha'), ('b', 'Beta');
         INSERT INTO app.m VALUES (1, 'a', 5), (2, 'b', 7)",
    );
    let mut ws = served.ws(&admin).await;
    ws.send(json!({ "type": "subscribe", "id": "g", "sql": "SELECT room, count(*) AS n, max(n) AS top FROM app.m GROUP BY room ORDER BY room" }))
        .await;
    let subscribed = ws.next().await;
    assert_eq!(subscribed["maintenance"], "incremental");
    assert_eq!(subscribed["key"], json!(["room"]));
    assert_eq!(
        subscribed["order_by"],
        json!([{ "column": "room", "descending": false, "nulls_first": false }])
    );
    let mut groups = Mirror::default();
    groups.apply(&subscribed);
    ws.follow_until(&mut groups, |m| m.snapshot_done).await;
    let mut joined = ws
        .subscribe(
            "j",
            "SELECT m.id, r.title FROM app.m m JOIN app.rooms r ON m.room = r.room",
        )
        .await;
    let mut ranked = ws
        .subscribe("w", "SELECT id, rank() OVER (ORDER BY n DESC) AS r FROM app.m")
        .await;

    served.sql(&admin, "INSERT INTO app.m VALUES (3, 'a', 9)");
    served.sql(&admin, "UPDATE app.rooms SET title = 'Alpha!' WHERE room = 'a'");
    // One socket carries all three: route each message to its subscription until each
    // shows the last commit's effect (a subscription hears only of its own tables).
    let grouped_done = |m: &Mirror| m.rows.get(&json!(["a"]).to_string()) == Some(&json!(["a", 2, 9]));
    let joined_done = |m: &Mirror| m.rows.values().filter(|r| r[1] == "Alpha!").count() == 2;
    let ranked_done = |m: &Mirror| m.rows.values().any(|r| r == &json!([3, 1]));
    while !grouped_done(&groups) || !joined_done(&joined) || !ranked_done(&ranked) {
        let message = ws.next().await;
        match message["id"].as_str() {
            Some("g") => groups.apply(&message),
            Some("j") => joined.apply(&message),
            Some("w") => ranked.apply(&message),
            other => panic!("message for {other:?}"),
        }
    }
    assert_eq!(groups.rows[&json!(["a"]).to_string()], json!(["a", 2, 9]));
    assert_eq!(groups.rows[&json!(["b"]).to_string()], json!(["b", 1, 7]));
    let mut titles: Vec<String> = joined
        .rows
        .values()
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    assert_eq!(titles, ["Alpha!", "Alpha!", "Beta"]);
    assert_eq!(ranked.rows.len(), 3);
    assert!(ranked.rows.values().any(|r| r == &json!([3, 1])), "{:?}", ranked.rows);
}

/// `"params"` runs one statement with `$1` … `$n`; `"batch"` runs it per parameter row in
/// one transaction; wrong counts, types and shapes get errors that name them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_take_parameters_and_batches_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().expect("first start prints the admin token");
    served.sql(&admin, SETUP);
    let post = |body: Json| served.post_sql(&admin, &body.to_string());

    let (status, body) = post(json!({ "sql": "INSERT INTO app.m VALUES ($1, $2, $3)", "params": [1, "a", 5] }));
    assert_eq!((status, &body["results"]), (200, &json!([{ "affected": 1 }])), "{body}");
    let (status, body) = post(json!({ "sql": "SELECT room, n FROM app.m WHERE id = $1", "params": [1] }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["rows"], json!([["a", 5]]));

    let before = last_seq(&served, &admin);
    let rows: Vec<Json> = (2..1002).map(|i| json!([i, "b", i])).collect();
    let (status, body) = post(json!({ "sql": "INSERT INTO app.m VALUES ($1, $2, $3)", "batch": rows }));
    assert_eq!(
        (status, &body["results"]),
        (200, &json!([{ "affected": 1000 }])),
        "{body}"
    );
    assert_eq!(last_seq(&served, &admin), before + 1, "a batch is one commit");
    let (status, body) = post(json!({ "sql": "UPDATE app.m SET n = $2 WHERE id = $1", "batch": [[2, 20], [3, 30]] }));
    assert_eq!((status, &body["results"]), (200, &json!([{ "affected": 2 }])), "{body}");

    // A duplicate key in one row of a batch writes none of it.
    let (status, body) =
        post(json!({ "sql": "INSERT INTO app.m VALUES ($1, $2, $3)", "batch": [[5000, "c", 1], [1, "c", 1]] }));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("duplicate_key")),
        "{body}"
    );
    let count = served.sql(&admin, "SELECT count(*) FROM app.m WHERE id = 5000");
    assert_eq!(count["results"][0]["rows"], json!([[0]]));

    let (status, body) = post(json!({ "sql": "SELECT * FROM app.m WHERE id = $1", "params": [] }));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_argument")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("takes 1 parameter ($1), got 0"),
        "{body}"
    );
    let (status, body) = post(json!({ "sql": "SELECT * FROM app.m WHERE id = $1", "params": ["x"] }));
    assert_eq!(body["error"]["code"].as_str(), Some("type_mismatch"), "{status} {body}");
    let (status, body) = post(json!({ "sql": "SELECT 1", "params": [], "batch": [] }));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, body) = post(json!({ "sql": "SELECT * FROM app.m WHERE n > $1", "batch": [[1]] }));
    assert_eq!(body["error"]["code"].as_str(), Some("unsupported"), "{status} {body}");
}

/// A full disk under `tidepool serve`: a write answers HTTP 507 with code `disk_full`,
/// reads and a WebSocket subscription go on with exactly the acknowledged rows, and
/// once space is freed the same server takes writes again (Linux: a tmpfs).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_507_and_the_server_writes_again_once_space_is_freed() {
    let Some(volume) = crate::tmpfs::Tmpfs::mount("the server's disk-full test") else {
        return;
    };
    let served = Served::start(&volume.path().join("db"));
    let admin = served.admin_token.clone().expect("first start prints the admin token");
    served.sql(&admin, SETUP);
    let mut ws = served.ws(&admin).await;
    let mut mirror = ws.subscribe("all", "SELECT id FROM app.m").await;

    let filler = crate::tmpfs::fill(volume.path());
    let insert = |id: i64| json!({ "sql": format!("INSERT INTO app.m VALUES ({id}, '{}', {id})", "r".repeat(4000)) });
    let mut id = 0;
    let (status, answer) = loop {
        id += 1;
        assert!(id < 10_000, "the volume never filled");
        let (status, answer) = served.post_sql(&admin, &insert(id).to_string());
        if status != 200 {
            break (status, answer);
        }
    };
    assert_eq!(status, 507, "{answer}");
    assert_eq!(answer["error"]["code"], "disk_full", "{answer}");
    let acknowledged = id - 1;
    assert!(acknowledged >= 4, "only {acknowledged} rows fitted");
    let full_at = last_seq(&served, &admin);

    let count = served.sql(&admin, "SELECT count(*), max(id) FROM app.m");
    assert_eq!(count["results"][0]["rows"], json!([[acknowledged, acknowledged]]));
    ws.follow(&mut mirror, full_at).await;
    assert_eq!(mirror.rows.len() as i64, acknowledged);
    assert_eq!(mirror.last_seq, full_at);

    std::fs::remove_file(filler).unwrap();
    let (status, answer) = served.post_sql(&admin, &insert(id).to_string());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(last_seq(&served, &admin), full_at + 1);
    ws.follow(&mut mirror, full_at + 1).await;
    assert_eq!(mirror.rows.len() as i64, acknowledged + 1);
    drop(ws);
    drop(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_not_left_open_and_silent() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let admin = served.admin_token.clone().unwrap();
    served.sql(
        &admin,
        "CREATE NAMESPACE app; CREATE TABLE app.big (id BIGINT PRIMARY KEY, body TEXT)",
    );
    let mut ws = served.ws(&admin).await;
    ws.subscribe("s", "SELECT id, body FROM app.big").await;
    // 40 MB of changes while the client reads nothing: more than the socket buffers
    // hold, so a frame cannot go out and the server gives up on the client after its
    // send timeout (10 s).
    for statement in 0..64 {
        let values: Vec<String> = (0..10)
            .map(|i| format!("({}, repeat('x', 65536))", statement * 10 + i))
            .collect();
        served.sql(&admin, &format!("INSERT INTO app.big VALUES {}", values.join(", ")));
    }
    tokio::time::sleep(Duration::from_secs(12)).await;
    // What was buffered can still be read; then the connection ends instead of
    // staying open with nothing more ever sent (its subscription is gone).
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.socket.next())
            .await
            .expect("the server closed the connection of the client it gave up on")
        {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
            Some(Ok(_)) => {}
        }
    }
    // And it serves on.
    let count = served.sql(&admin, "SELECT count(*) FROM app.big");
    assert_eq!(count["results"][0]["rows"], json!([[640]]), "{count}");
}
