//! The app's commands and live bridge, driven through Tauri's mock runtime: real IPC
//! requests against a real engine in a temporary directory, events read back as the
//! webview would receive them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};
use tidepool_studio::state::AppState;

#[cfg(target_os = "linux")]
#[path = "../crates/engine/tests/engine/tmpfs.rs"]
mod tmpfs;

/// Connect to Server and the saved connections, whose tokens go to a real keychain.
#[path = "app/connections.rs"]
mod connections;

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<Json>>>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

fn harness() -> Harness {
    let db = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let state = AppState::new(data.path());
    state.open(db.path()).unwrap();
    let app = tidepool_studio::configure(mock_builder(), state)
        // The app's real context: its capability must grant every command used here.
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
        _dirs: (db, data),
    }
}

impl Harness {
    fn invoke(&self, cmd: &str, args: Json) -> Result<Json, Json> {
        invoke(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Json) -> Json {
        self.invoke(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn sql(&self, sql: &str) -> Json {
        let run = self.ok("run_sql", json!({ "sql": sql }));
        assert!(run["error"].is_null(), "{sql}: {}", run["error"]);
        run
    }

    /// Waits until an event of `pane` satisfies `done`; returns that pane's events so far.
    fn wait_for(&self, pane: &str, done: impl Fn(&[Json]) -> bool) -> Vec<Json> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let events: Vec<Json> = self
                .events
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e["pane"] == pane)
                .cloned()
                .collect();
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
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Json) -> Result<Json, Json> {
    get_ipc_response(
        window,
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

/// Every `changes` event of a pane follows on from the one before.
fn assert_continuous(events: &[Json]) -> u64 {
    let mut seq = None;
    let mut count = 0;
    for event in events {
        match event["type"].as_str().unwrap() {
            "snapshot" => seq = event["seq"].as_u64(),
            "changes" => {
                let from = event["from_seq"].as_u64().unwrap();
                assert_eq!(Some(from), seq.map(|s| s + 1), "gap before {event}");
                seq = event["to_seq"].as_u64();
                count += event["count"].as_u64().unwrap();
            }
            _ => {}
        }
    }
    count
}

const SETUP: &str = "CREATE NAMESPACE app;
CREATE TABLE app.items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT);
INSERT INTO app.items VALUES (1, 'apple', 3), (2, 'pear', 0);";

#[test]
fn the_console_runs_statements_in_order_and_stops_at_the_first_error() {
    let h = harness();
    let run = h.ok(
        "run_sql",
        json!({ "sql": format!("{SETUP}\nSELECT name FROM app.items ORDER BY id;\nSELEC oops;\nINSERT INTO app.items VALUES (3, 'fig', 1);") }),
    );
    let outputs = run["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 4);
    assert_eq!(outputs[2]["result"], json!({ "type": "affected", "rows": 2 }));
    assert_eq!(outputs[3]["result"]["rows"], json!([["apple"], ["pear"]]));
    assert_eq!(
        outputs[3]["result"]["columns"],
        json!([{ "name": "name", "sql_type": "TEXT" }])
    );
    assert_eq!(outputs[3]["line"], 4);
    let error = &run["error"]["error"];
    assert_eq!(error["code"], "syntax");
    assert_eq!(error["line"], 5);
    assert_eq!(error["column"], 1);
    // The statement after the error did not run.
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
    // Every run is in the history, failed ones marked.
    let history = h.ok("history", json!({}));
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["ok"], false);
    assert_eq!(history[1]["sql"], "SELECT COUNT(*) FROM app.items");
}

#[test]
fn a_statement_nested_too_deep_is_an_error_in_the_console_and_a_pane_filter() {
    let h = harness();
    h.ok("run_sql", json!({ "sql": SETUP }));
    let deep = format!("SELECT {}", vec!["1"; 20_000].join(" + "));
    let run = h.ok("run_sql", json!({ "sql": deep }));
    let error = &run["error"]["error"];
    assert_eq!(error["code"], "invalid_argument", "{run}");
    assert!(error["message"].as_str().unwrap().contains("levels deep"), "{run}");
    let ors = (0..5_000).map(|i| format!("id = {i}")).collect::<Vec<_>>().join(" OR ");
    let refused = h.invoke("open_pane", json!({ "table": "app.items", "filter": ors }));
    assert_eq!(refused.unwrap_err()["code"], "invalid_argument");
    // The app goes on.
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
}

#[test]
fn a_missing_table_namespace_or_column_gets_the_closest_existing_one() {
    let h = harness();
    h.ok("run_sql", json!({ "sql": SETUP }));
    let failed = |sql: &str| h.ok("run_sql", json!({ "sql": sql }))["error"]["error"].clone();
    for (sql, name, suggestion) in [
        ("SELECT * FROM app.itmes", "app.itmes", "app.items"),
        (
            "SELECT 1;\nINSERT INTO ap.items VALUES (9, 'x', 1)",
            "ap.items",
            "app.items",
        ),
        ("SELECT * FROM items", "items", "app.items"),
        ("SHOW TABLES IN ap", "ap", "app"),
        ("SELECT nmae FROM app.items", "nmae", "name"),
        ("SELECT i.nmae FROM app.items i", "i.nmae", "i.name"),
        (
            "SUBSCRIBE TO SELECT * FROM system.tabels",
            "system.tabels",
            "system.tables",
        ),
    ] {
        let error = failed(sql);
        assert_eq!(
            error["did_you_mean"],
            json!({ "name": name, "suggestion": suggestion }),
            "{sql}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.ends_with(&format!("; did you mean {suggestion}?")),
            "{sql}: {message}"
        );
    }
    // Nothing close: no question.
    let error = failed("SELECT * FROM app.invoices");
    assert!(error["did_you_mean"].is_null(), "{error}");
    assert_eq!(error["message"], "table 'app.invoices' does not exist");
    // A pane's filter, and a query made live.
    let refused = h.invoke("open_pane", json!({ "table": "app.items", "filter": "qyt > 1" }));
    assert_eq!(
        refused.unwrap_err()["did_you_mean"],
        json!({ "name": "qyt", "suggestion": "qty" })
    );
    let refused = h.invoke("open_query_pane", json!({ "sql": "SELECT name FROM app.itme" }));
    assert_eq!(refused.unwrap_err()["did_you_mean"]["suggestion"], "app.items");
}

#[test]
fn a_ten_thousand_row_insert_reaches_the_pane_complete_in_order_and_batched() {
    let h = harness();
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.bulk (id BIGINT PRIMARY KEY, v TEXT);");
    let (pane, _) = h.open("app.bulk", None);
    let values: Vec<String> = (0..10_000).rev().map(|i| format!("({i}, 'v{i}')")).collect();
    h.sql(&format!("INSERT INTO app.bulk VALUES {}", values.join(",")));
    let events = h.wait_for(&pane, |events| events.last().is_some_and(|e| e["total"] == 10_000));
    assert_eq!(assert_continuous(&events), 10_000);
    let changes: Vec<&Json> = events.iter().filter(|e| e["type"] == "changes").collect();
    // One statement is one commit: it arrives as one batch, not 10,000 events.
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0]["marks"].as_array().unwrap().len(),
        tidepool_studio::pane::MARK_LIMIT
    );
    assert_eq!(changes[0]["truncated"], true);
    // The pane holds every row, in key order, served by window.
    let window = h.ok("pane_rows", json!({ "pane": pane, "start": 9_990, "count": 100 }));
    assert_eq!(window["total"], 10_000);
    let ids: Vec<u64> = window["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (9_990..10_000).collect::<Vec<_>>());
    let anchored = h.ok(
        "pane_rows",
        json!({ "pane": pane, "start": 0, "count": 1, "anchor": [4321] }),
    );
    assert_eq!(anchored["anchor_index"], 4321);
}

#[test]
fn many_small_commits_arrive_in_commit_order_in_far_fewer_events() {
    let h = harness();
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    for qty in 1..=2_000 {
        let result = h.ok(
            "update_cell",
            json!({ "table": "app.items", "key": [1], "column": "qty", "value": qty }),
        );
        assert_eq!(result["affected"], 1);
    }
    let events = h.wait_for(&pane, |events| {
        events.iter().map(|e| e["count"].as_u64().unwrap_or(0)).sum::<u64>() == 2_000
    });
    assert_eq!(assert_continuous(&events), 2_000);
    let batches = events.iter().filter(|e| e["type"] == "changes").count();
    assert!(batches < 2_000, "{batches} events for 2,000 commits");
    // Each update marks the changed column (qty is column 2).
    let last = events.iter().rev().find(|e| e["type"] == "changes").unwrap();
    assert_eq!(last["marks"][0], json!({ "op": "update", "key": [1], "columns": [2] }));
    assert_eq!(h.rows(&pane)[0], json!([1, "apple", 2000]));
}

#[test]
fn grid_edits_write_through_the_engine_and_bad_input_changes_nothing() {
    let h = harness();
    h.sql(SETUP);
    let (pane, info) = h.open("app.items", None);
    assert_eq!(info["table"], "app.items");
    assert_eq!(info["key"], json!(["id"]));
    let editable: Vec<bool> = info["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["editable"].as_bool().unwrap())
        .collect();
    assert_eq!(editable, [false, true, true]);

    h.ok(
        "insert_row",
        json!({ "table": "app.items", "values": { "id": "3", "name": "fig" } }),
    );
    h.ok(
        "update_cell",
        json!({ "table": "app.items", "key": [2], "column": "qty", "value": "7" }),
    );
    h.ok("delete_rows", json!({ "table": "app.items", "keys": [[1]] }));
    h.wait_for(&pane, |events| {
        events.iter().map(|e| e["count"].as_u64().unwrap_or(0)).sum::<u64>() == 3
    });
    let expected = json!([[2, "pear", 7], [3, "fig", null]]);
    assert_eq!(Json::Array(h.rows(&pane)), expected);

    let not_null = h.invoke(
        "update_cell",
        json!({ "table": "app.items", "key": [2], "column": "name", "value": null }),
    );
    assert_eq!(not_null.unwrap_err()["code"], "not_null");
    let duplicate = h.invoke(
        "insert_row",
        json!({ "table": "app.items", "values": { "id": 2, "name": "again" } }),
    );
    assert_eq!(duplicate.unwrap_err()["code"], "duplicate_key");
    let mismatch = h.invoke(
        "update_cell",
        json!({ "table": "app.items", "key": [2], "column": "qty", "value": "lots" }),
    );
    assert_eq!(mismatch.unwrap_err()["code"], "type_mismatch");
    let bad_key = h.invoke("delete_rows", json!({ "table": "app.items", "keys": [[2, 3]] }));
    assert_eq!(bad_key.unwrap_err()["code"], "invalid_request");
    let system = h.invoke("insert_row", json!({ "table": "system.tables", "values": {} }));
    assert_eq!(system.unwrap_err()["code"], "not_allowed");
    let select = h.sql("SELECT * FROM app.items ORDER BY id");
    assert_eq!(select["outputs"][0]["result"]["rows"], expected);
}

#[test]
fn a_table_without_primary_key_shows_its_columns_and_is_edited_by_its_hidden_id() {
    let h = harness();
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.notes (body TEXT, n INT); INSERT INTO app.notes VALUES ('a', 1), ('b', 2)");
    let (pane, info) = h.open("app.notes", None);
    assert_eq!(info["table"], "app.notes");
    assert_eq!(info["key"], json!(["_id"]));
    let columns: Vec<(&str, bool)> = info["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["editable"].as_bool().unwrap()))
        .collect();
    assert_eq!(columns, [("body", true), ("n", true)]);

    let window = h.ok("pane_rows", json!({ "pane": pane, "start": 0, "count": 10 }));
    assert_eq!(window["rows"], json!([["a", 1], ["b", 2]]));
    let keys = window["keys"].as_array().unwrap().clone();
    assert!(
        keys[1][0].is_string(),
        "a snowflake id travels as a string: {}",
        keys[1][0]
    );
    let anchored = h.ok(
        "pane_rows",
        json!({ "pane": pane, "start": 0, "count": 0, "anchor": keys[1] }),
    );
    assert_eq!(anchored["anchor_index"], 1);

    h.ok(
        "update_cell",
        json!({ "table": "app.notes", "key": keys[0], "column": "n", "value": "10" }),
    );
    h.ok("delete_rows", json!({ "table": "app.notes", "keys": [keys[1]] }));
    h.ok("insert_row", json!({ "table": "app.notes", "values": { "body": "c" } }));
    h.wait_for(&pane, |events| {
        events.iter().map(|e| e["count"].as_u64().unwrap_or(0)).sum::<u64>() == 3
    });
    let expected = json!([["a", 10], ["c", null]]);
    assert_eq!(Json::Array(h.rows(&pane)), expected);
    let select = h.sql("SELECT * FROM app.notes ORDER BY _id");
    assert_eq!(select["outputs"][0]["result"]["rows"], expected);
    let count = h.sql("SELECT count(DISTINCT _id) FROM app.notes");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));

    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("notes.csv").display().to_string();
    h.ok(
        "export_rows",
        json!({ "source": { "kind": "table", "table": "app.notes" }, "format": "csv", "path": csv, "overwrite": false }),
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "body,n\na,10\nc,\n");
}

#[test]
fn a_filtered_pane_sees_rows_enter_and_leave_while_the_full_pane_keeps_them() {
    let h = harness();
    h.sql(SETUP);
    let (all, _) = h.open("app.items", None);
    let (some, _) = h.open("app.items", Some("qty > 0"));
    assert_eq!(h.rows(&some), vec![json!([1, "apple", 3])]);
    h.sql("UPDATE app.items SET qty = 5 WHERE id = 2");
    h.wait_for(&some, |events| events.iter().any(|e| e["type"] == "changes"));
    assert_eq!(h.rows(&some).len(), 2);
    h.sql("UPDATE app.items SET qty = 0 WHERE id = 1");
    let events = h.wait_for(&some, |events| {
        events.iter().filter(|e| e["type"] == "changes").count() == 2
    });
    let last = events.last().unwrap();
    assert_eq!(last["marks"][0]["op"], "delete");
    assert_eq!(h.rows(&some), vec![json!([2, "pear", 5])]);
    h.wait_for(&all, |events| {
        events.iter().filter(|e| e["type"] == "changes").count() == 2
    });
    assert_eq!(h.rows(&all).len(), 2);

    let bad = h.invoke("open_pane", json!({ "table": "app.items", "filter": "nope >" }));
    assert_eq!(bad.unwrap_err()["code"], "syntax");
    // The filter is one expression over the table: nothing else can be smuggled in.
    for smuggled in [
        "1=1; DROP TABLE app.items",
        "1=1) UNION SELECT * FROM app.items WHERE (1=1",
    ] {
        let refused = h.invoke("open_pane", json!({ "table": "app.items", "filter": smuggled }));
        assert!(refused.is_err(), "{smuggled}");
    }
    // A subquery is a filter like any other; such a pane is kept by re-evaluation and
    // is not edited in place.
    let subquery = h.ok(
        "open_pane",
        json!({ "table": "app.items", "filter": "id IN (SELECT id FROM app.items WHERE qty > 1)" }),
    );
    assert_eq!(subquery["table"], Json::Null);
    let semicolon = h.ok("open_pane", json!({ "table": "app.items", "filter": "name <> 'a;b'" }));
    assert_eq!(semicolon["table"], "app.items");
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
}

#[test]
fn a_paused_pane_holds_changes_and_delivers_them_in_order_on_resume() {
    let h = harness();
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    h.ok("set_pane_paused", json!({ "pane": pane, "paused": true }));
    for i in 10..15 {
        h.sql(&format!("INSERT INTO app.items VALUES ({i}, 'n{i}', {i})"));
    }
    h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "paused" && e["waiting"] == 5)
    });
    assert_eq!(h.rows(&pane).len(), 2, "rows do not change while paused");
    h.ok("set_pane_paused", json!({ "pane": pane, "paused": false }));
    let events = h.wait_for(&pane, |events| events.last().is_some_and(|e| e["total"] == 7));
    assert_eq!(assert_continuous(&events), 5);
    assert_eq!(h.rows(&pane).len(), 7);
}

#[test]
fn resubscribing_starts_a_new_generation_with_a_fresh_snapshot() {
    let h = harness();
    h.sql(SETUP);
    let (pane, info) = h.open("app.items", None);
    assert_eq!(info["generation"], 1);
    let next = h.ok("resubscribe_pane", json!({ "pane": pane }));
    assert_eq!(next["generation"], 2);
    h.wait_for(&pane, |events| {
        events
            .iter()
            .any(|e| e["generation"] == 2 && e["type"] == "snapshot" && e["loading"] == false)
    });
    h.sql("INSERT INTO app.items VALUES (9, 'kiwi', 1)");
    let events = h.wait_for(&pane, |events| {
        events.iter().any(|e| e["generation"] == 2 && e["type"] == "changes")
    });
    let fresh: Vec<Json> = events.into_iter().filter(|e| e["generation"] == 2).collect();
    assert_eq!(assert_continuous(&fresh), 1);
    h.ok("close_pane", json!({ "pane": pane }));
    assert_eq!(
        h.invoke("pane_rows", json!({ "pane": pane, "start": 0, "count": 1 }))
            .unwrap_err()["code"],
        "no_pane"
    );
}

#[test]
fn console_subscribe_opens_a_live_pane_and_kill_closes_it() {
    let h = harness();
    h.sql(SETUP);
    let run = h.sql("SUBSCRIBE TO SELECT id, name FROM app.items WHERE qty > 0");
    let info = &run["outputs"][0]["result"];
    assert_eq!(info["type"], "live");
    let pane = info["pane"]["pane"].as_str().unwrap().to_string();
    // Without the key's columns... the key is here (id), so the pane is editable.
    assert_eq!(info["pane"]["table"], "app.items");
    h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "snapshot" && e["loading"] == false)
    });
    assert_eq!(h.rows(&pane), vec![json!([1, "apple"])]);
    let live = h.sql("SELECT id FROM system.live");
    for row in live["outputs"][0]["result"]["rows"].as_array().unwrap() {
        h.sql(&format!("KILL LIVE QUERY '{}'", row[0].as_str().unwrap()));
    }
    let events = h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "closed"));
    assert!(
        events.last().unwrap()["reason"].as_str().unwrap().contains("kill"),
        "{events:?}"
    );
}

#[test]
fn a_query_made_live_keeps_its_groups_and_its_order() {
    let h = harness();
    h.sql(SETUP);
    let loaded = |pane: &str| {
        h.wait_for(pane, |events| {
            events.iter().any(|e| e["type"] == "snapshot" && e["loading"] == false)
        });
    };
    let grouped = h.ok(
        "open_query_pane",
        json!({ "sql": "SELECT name, count(*) AS n FROM app.items GROUP BY name" }),
    );
    let pane = grouped["pane"].as_str().unwrap().to_string();
    // A derived result: read-only, keyed by its groups.
    assert_eq!(grouped["table"], Json::Null);
    assert_eq!(grouped["key"], json!(["name"]));
    assert!(["incremental", "reevaluate"].contains(&grouped["maintenance"].as_str().unwrap()));
    assert!(grouped["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["editable"] == false));
    loaded(&pane);
    assert_eq!(h.rows(&pane), vec![json!(["apple", 1]), json!(["pear", 1])]);
    h.sql("INSERT INTO app.items VALUES (3, 'apple', 1)");
    let events = h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "changes"));
    let change = events.iter().find(|e| e["type"] == "changes").unwrap();
    assert_eq!(
        change["marks"],
        json!([{ "op": "update", "key": ["apple"], "columns": [1] }])
    );
    assert_eq!(h.rows(&pane), vec![json!(["apple", 2]), json!(["pear", 1])]);

    // The top 3 by qty, in the query's order, as rows enter and leave it.
    h.sql("INSERT INTO app.items VALUES (4, 'fig', 7), (5, 'plum', NULL)");
    let top = h.ok(
        "open_query_pane",
        json!({ "sql": "SELECT id, qty FROM app.items ORDER BY qty DESC NULLS LAST LIMIT 3" }),
    );
    assert_eq!(
        top["order_by"],
        json!([{ "column": "qty", "descending": true, "nulls_first": false }])
    );
    let pane = top["pane"].as_str().unwrap().to_string();
    loaded(&pane);
    assert_eq!(h.rows(&pane), vec![json!([4, 7]), json!([1, 3]), json!([3, 1])]);
    h.sql("UPDATE app.items SET qty = 5 WHERE id = 2");
    h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "changes"));
    assert_eq!(h.rows(&pane), vec![json!([4, 7]), json!([2, 5]), json!([1, 3])]);
    // A query that cannot be live says why.
    let refused = h.invoke("open_query_pane", json!({ "sql": "SELECT 1; SELECT 2" }));
    assert_eq!(refused.unwrap_err()["code"], "invalid_argument");
}

#[test]
fn pane_events_go_only_to_the_window_that_owns_the_pane() {
    let h = harness();
    h.sql(SETUP);
    let other = WebviewWindowBuilder::new(h.window.app_handle(), "other", Default::default())
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(0));
    let counter = seen.clone();
    other.listen("pane", move |_| *counter.lock().unwrap() += 1);
    let (pane, _) = h.open("app.items", None);
    h.sql("INSERT INTO app.items VALUES (5, 'plum', 2)");
    h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "changes"));
    assert_eq!(*seen.lock().unwrap(), 0);
}

#[test]
fn opening_another_database_closes_the_panes_and_switches_the_catalog() {
    let h = harness();
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);
    let other = tempfile::tempdir().unwrap();
    let info = h.ok("open_database", json!({ "path": other.path() }));
    assert_eq!(info["path"], other.path().display().to_string());
    let catalog = h.ok("catalog", json!({}));
    assert_eq!(
        catalog["namespaces"].as_array().unwrap().len(),
        1,
        "only system in a new database"
    );
    let gone = h.invoke("pane_rows", json!({ "pane": pane, "start": 0, "count": 1 }));
    assert_eq!(gone.unwrap_err()["code"], "no_pane");
    // The first database's directory was released: it opens again, with its data.
    let first = h.ok("open_database", json!({ "path": h._dirs.0.path() }));
    assert_eq!(first["path"], h._dirs.0.path().display().to_string());
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
}

#[test]
fn only_the_main_window_may_invoke_commands() {
    let h = harness();
    let other = WebviewWindowBuilder::new(h.window.app_handle(), "other", Default::default())
        .build()
        .unwrap();
    let denied = invoke(&other, "run_sql", json!({ "sql": "CREATE NAMESPACE sneaky" })).unwrap_err();
    assert!(denied.as_str().unwrap().contains("not allowed"), "{denied}");
    let namespaces = h.ok("catalog", json!({}))["namespaces"].as_array().unwrap().len();
    assert_eq!(namespaces, 1);
}

#[test]
fn malformed_requests_are_errors_and_never_panics() {
    let h = harness();
    h.sql(SETUP);
    for (cmd, args) in [
        ("run_sql", json!({})),
        ("run_sql", json!({ "sql": 42 })),
        ("open_pane", json!({ "table": "no.such" })),
        ("open_pane", json!({ "table": "not a name!" })),
        ("pane_rows", json!({ "pane": "pane-999", "start": 0, "count": 10 })),
        ("pane_rows", json!({ "pane": "pane-1", "start": -1, "count": 10 })),
        (
            "update_cell",
            json!({ "table": "app.items", "key": "1", "column": "qty", "value": 1 }),
        ),
        (
            "update_cell",
            json!({ "table": "app.items", "key": [404], "column": "qty", "value": 1 }),
        ),
        (
            "update_cell",
            json!({ "table": "app.items", "key": [1], "column": "nope", "value": 1 }),
        ),
        ("insert_row", json!({ "table": "app.items", "values": [] })),
        ("open_database", json!({ "path": "" })),
        ("no_such_command", json!({})),
    ] {
        assert!(h.invoke(cmd, args.clone()).is_err(), "{cmd} {args} should fail");
    }
    // The database is untouched and still answers.
    let count = h.sql("SELECT COUNT(*) FROM app.items");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
}

/// splitmix64, for the payload fuzz below.
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

/// A JSON value a command should never expect: wrong types, extremes, odd text, deep
/// nesting.
fn odd_value(rng: &mut Rng) -> Json {
    match rng.below(12) {
        0 => Json::Null,
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(1.5e308),
        4 => json!(""),
        5 => json!("\u{0}'; DROP TABLE app.items; --"),
        6 => json!("😀".repeat(1000)),
        7 => json!([]),
        8 => json!({ "x": [1, { "y": null }] }),
        9 => (0..100).fold(json!(1), |v, _| json!([v])),
        10 => json!(true),
        _ => json!(["1", 2, null]),
    }
}

/// A valid request with one or two of its fields replaced, removed or added.
fn mutate_args(args: &Json, rng: &mut Rng) -> Json {
    let mut args = args.clone();
    let Some(object) = args.as_object_mut() else {
        return odd_value(rng);
    };
    for _ in 0..1 + rng.below(2) {
        let keys: Vec<String> = object.keys().cloned().collect();
        match (rng.below(4), keys.is_empty()) {
            (0, false) => {
                object.remove(&keys[rng.below(keys.len())]);
            }
            (1, _) => {
                object.insert("extra".into(), odd_value(rng));
            }
            (_, false) => {
                object.insert(keys[rng.below(keys.len())].clone(), odd_value(rng));
            }
            _ => {}
        }
    }
    args
}

/// Seeded fuzzing of the commands' payloads (`TIDEPOOL_PAYLOAD_CASES`, default 500;
/// `TIDEPOOL_PAYLOAD_SEED`): valid requests with fields replaced by wrong types,
/// extremes and deep nesting. Each gets a result or a typed error, never a panic, and
/// afterwards the table's rows and stored count agree and an open pane matches them.
#[test]
fn mutated_command_payloads_get_results_or_typed_errors() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("TIDEPOOL_PAYLOAD_SEED").unwrap_or(0x7061_796c);
    let cases = env("TIDEPOOL_PAYLOAD_CASES").unwrap_or(500);
    let mut rng = Rng(seed);
    let h = harness();
    h.sql(SETUP);
    let pane = h.ok("open_pane", json!({ "table": "app.items" }))["pane"].clone();
    let valid = [
        (
            "run_sql",
            json!({ "sql": "UPDATE app.items SET qty = qty + 1 WHERE id = 1" }),
        ),
        ("open_pane", json!({ "table": "app.items", "filter": "qty > 0" })),
        ("pane_rows", json!({ "pane": pane, "start": 0, "count": 10 })),
        ("set_pane_paused", json!({ "pane": pane, "paused": false })),
        (
            "update_cell",
            json!({ "table": "app.items", "key": [1], "column": "qty", "value": 7 }),
        ),
        (
            "insert_row",
            json!({ "table": "app.items", "values": { "id": 50, "name": "kiwi", "qty": 1 } }),
        ),
        ("delete_rows", json!({ "table": "app.items", "keys": [[50]] })),
        ("catalog", json!({})),
        ("history", json!({})),
    ];
    for case in 0..cases {
        let (cmd, args) = &valid[rng.below(valid.len())];
        let args = mutate_args(args, &mut rng);
        match h.invoke(cmd, args.clone()) {
            Ok(_) => {}
            // A typed error from the command, or Tauri's refusal of arguments that do
            // not deserialize; anything else (a panic's message) fails.
            Err(error) => assert!(
                error["code"].is_string() || error.as_str().is_some_and(|e| e.starts_with("invalid args")),
                "TIDEPOOL_PAYLOAD_SEED={seed}, case {case}: {cmd} {args} → {error}"
            ),
        }
    }
    let count = h.sql("SELECT COUNT(*) FROM app.items")["outputs"][0]["result"]["rows"][0][0].clone();
    let stored = h.sql("SELECT rows FROM system.tables WHERE namespace = 'app' AND name = 'items'")["outputs"][0]
        ["result"]["rows"][0][0]
        .clone();
    assert_eq!(count, stored);
    // The pane opened before the fuzz (resumed, should a mutation have paused it) shows
    // the same rows.
    h.ok("set_pane_paused", json!({ "pane": pane, "paused": false }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let window = h.ok("pane_rows", json!({ "pane": pane, "start": 0, "count": 5000 }));
        if json!(window["total"]) == count && window["loading"] == false {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pane shows {window}, the table {count} rows"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_catalog_lists_namespaces_tables_kinds_and_row_counts() {
    let h = harness();
    h.sql(SETUP);
    h.sql("CREATE STREAM TABLE app.events (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TTL_SECONDS = 60)");
    let view = h.ok("catalog", json!({}));
    let namespaces: Vec<&str> = view["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces, ["system", "app"]);
    let app = &view["namespaces"][1]["tables"];
    assert_eq!(app[0]["name"], "events");
    assert_eq!(app[0]["kind"], "STREAM");
    assert_eq!(app[0]["ttl_seconds"], 60);
    assert_eq!(app[0]["columns"][0]["default"], "SNOWFLAKE_ID()");
    assert_eq!(app[1]["name"], "items");
    assert_eq!(app[1]["kind"], "SHARED");
    assert_eq!(app[1]["rows"], 2);
    assert!(view["namespaces"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["kind"] == "SYSTEM" && t["rows"].is_null()));
    assert!(view["database"]["last_seq"].as_u64().unwrap() > 0);
}

/// `POST /v1/sql` to a local API, by hand: (status, body).
fn post_sql(url: &str, token: &str, sql: &str) -> (u16, Json) {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let body = json!({ "sql": sql }).to_string();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /v1/sql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Json::Null))
}

#[test]
fn with_the_local_api_on_another_programs_writes_reach_the_open_pane() {
    let h = harness();
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, name TEXT)");
    let (pane, _) = h.open("app.t", None);
    let off = h.ok("local_api_status", json!({}));
    assert_eq!(
        (&off["enabled"], &off["url"], &off["token"]),
        (&json!(false), &Json::Null, &Json::Null)
    );

    let on = h.ok("set_local_api", json!({ "enabled": true, "port": 0 }));
    let (url, token) = (on["url"].as_str().unwrap(), on["token"].as_str().unwrap());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (status, answer) = post_sql(url, token, "INSERT INTO app.t VALUES (1, 'from a script')");
    assert_eq!((status, &answer["results"]), (200, &json!([{ "affected": 1 }])));
    h.wait_for(&pane, |events| events.iter().any(|e| e["type"] == "changes"));
    assert_eq!(h.rows(&pane), vec![json!([1, "from a script"])]);

    // A new token replaces the old one at once.
    let renewed = h.ok("new_local_api_token", json!({}));
    let new_token = renewed["token"].as_str().unwrap();
    assert_ne!(new_token, token);
    assert_eq!(post_sql(url, token, "SELECT 1").0, 401);
    assert_eq!(post_sql(url, new_token, "SELECT 1").0, 200);
    // The token is kept for the next start, in a file only the user can read.
    let settings = h._dirs.1.path().join("local-api.json");
    assert!(std::fs::read_to_string(&settings).unwrap().contains(new_token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&settings).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Opening another database serves that one instead.
    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path().display().to_string() }));
    let moved = h.ok("local_api_status", json!({}));
    let (url, token) = (moved["url"].as_str().unwrap(), moved["token"].as_str().unwrap());
    let (status, answer) = post_sql(url, token, "SHOW TABLES IN app");
    assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("not_found")));

    let off = h.ok("set_local_api", json!({ "enabled": false, "port": 0 }));
    assert!(off["url"].is_null());
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "still listening"
    );
}

#[test]
fn exports_write_files_and_imports_report_progress_bad_rows_and_reach_open_panes() {
    let h = harness();
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
    let query = h.ok("export_rows", json!({ "source": { "kind": "query", "sql": "SELECT name FROM app.t", "user": null }, "format": "parquet", "path": path("q.parquet"), "overwrite": false }));
    assert_eq!(query["rows"], 2);
    for bad in [
        json!({ "source": { "kind": "table", "table": "app.t" }, "format": "xlsx", "path": path("x.xlsx"), "overwrite": false }),
        json!({ "source": { "kind": "table", "table": "app.t" }, "format": "csv", "path": "relative.csv", "overwrite": false }),
        json!({ "source": { "kind": "query", "sql": "DROP TABLE app.t", "user": null }, "format": "csv", "path": path("d.csv"), "overwrite": false }),
        json!({ "source": { "kind": "nothing" }, "format": "csv", "path": path("n.csv"), "overwrite": false }),
    ] {
        assert!(h.invoke("export_rows", bad.clone()).is_err(), "{bad}");
    }

    // An existing file is replaced only when asked; the database folder is off limits.
    let again = json!({ "source": { "kind": "table", "table": "app.t" }, "format": "csv", "path": path("t.csv"), "overwrite": false });
    assert_eq!(
        h.invoke("export_rows", again.clone()).unwrap_err()["code"],
        "file_exists"
    );
    h.ok("export_rows", json!({ "source": { "kind": "table", "table": "app.t" }, "format": "csv", "path": path("t.csv"), "overwrite": true }));
    let inside = h._dirs.0.path().join("rows.csv").display().to_string();
    let refused = h.invoke(
        "export_rows",
        json!({ "source": { "kind": "table", "table": "app.t" }, "format": "csv", "path": inside, "overwrite": true }),
    );
    assert!(refused.unwrap_err()["message"]
        .as_str()
        .unwrap()
        .contains("inside the database folder"));

    std::fs::write(path("in.csv"), "id,name\n3,c\n4,\n5,e\n").unwrap();
    let preview = h.ok(
        "preview_import",
        json!({ "path": path("in.csv"), "header": true, "delimiter": "," }),
    );
    assert_eq!(
        preview["columns"],
        json!([{ "name": "id", "sql_type": "BIGINT" }, { "name": "name", "sql_type": "TEXT" }])
    );
    assert_eq!(preview["rows"][1], json!(["4", null]));

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
    assert_eq!(
        (stopped["error"]["code"].as_str(), &stopped["error"]["line"]),
        (Some("bad_row"), &json!(3))
    );
    assert_eq!(
        h.sql("SELECT count(*) FROM app.t")["outputs"][0]["result"]["rows"],
        json!([[2]])
    );

    let skipped = finished(&h.ok("start_import", request("skip")));
    let done = &skipped["finished"];
    assert_eq!((&done["imported"], &done["skipped"]), (&json!(2), &json!(1)));
    assert_eq!(done["errors"][0]["line"], 3);
    assert_eq!(skipped["total_bytes"], 19);
    h.wait_for(&pane, |_| h.rows(&pane).len() == 3);
    assert_eq!(h.rows(&pane), vec![json!([2, "b"]), json!([3, "c"]), json!([5, "e"])]);

    // A table made for an import that ends empty goes again.
    h.sql("CREATE TABLE app.fresh (id INT PRIMARY KEY, name TEXT NOT NULL)");
    let into_fresh = json!({ "request": {
        "path": path("in.csv"), "table": "app.fresh", "mapping": ["id", "name"], "on_error": "stop",
        "header": true, "delimiter": ",", "empty_as_null": true, "user": null, "created_table": true } });
    let dropped = finished(&h.ok("start_import", into_fresh));
    assert_eq!(
        (dropped["error"]["code"].as_str(), &dropped["dropped_table"]),
        (Some("bad_row"), &json!(true))
    );
    assert!(h.sql("SHOW TABLES IN app")["outputs"][0]["result"]["rows"]
        .to_string()
        .contains("\"t\""));
    assert!(!h.sql("SHOW TABLES IN app")["outputs"][0]["result"]["rows"]
        .to_string()
        .contains("fresh"));

    assert!(h.invoke("cancel_import", json!({ "import": "import-99" })).is_err());
    assert!(h
        .invoke(
            "preview_import",
            json!({ "path": path("t.json"), "header": true, "delimiter": "," })
        )
        .is_err());
    assert!(h
        .invoke(
            "preview_import",
            json!({ "path": path("in.csv"), "header": true, "delimiter": ";;" })
        )
        .is_err());
}

#[test]
fn recent_databases_and_each_databases_workspace_are_remembered() {
    let h = harness();
    let first = h.ok("database_info", json!({}))["path"].as_str().unwrap().to_string();
    let recent = h.ok("recent_databases", json!({}));
    assert_eq!(recent[0]["path"], first.as_str());
    assert_eq!(recent[0]["exists"], true);

    let workspace = json!({ "tabs": [{ "kind": "pane", "table": "app.t", "filter": "id > 1" }], "active": 0 });
    h.ok("save_workspace", json!({ "database": first, "workspace": workspace }));
    assert_eq!(h.ok("load_workspace", json!({})), workspace);
    assert!(h
        .invoke("save_workspace", json!({ "database": first, "workspace": [1, 2] }))
        .is_err());
    // A save that arrives after another database opened is refused, not misfiled.
    assert!(h
        .invoke("save_workspace", json!({ "database": "/elsewhere", "workspace": {} }))
        .is_err());

    let other = tempfile::tempdir().unwrap();
    let second = other.path().display().to_string();
    h.ok("open_database", json!({ "path": second }));
    assert_eq!(
        h.ok("load_workspace", json!({})),
        Json::Null,
        "another database, no workspace yet"
    );
    let paths: Vec<Json> = h
        .ok("recent_databases", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].clone())
        .collect();
    assert_eq!(paths, vec![json!(second), json!(first)], "most recent first");
    h.ok("open_database", json!({ "path": first }));
    assert_eq!(h.ok("load_workspace", json!({})), workspace);

    let left = h.ok("forget_recent_database", json!({ "path": second }));
    assert_eq!(left.as_array().unwrap().len(), 1);
    // Kept across restarts: a new app state on the same data folder knows them.
    let again = AppState::new(h._dirs.1.path());
    assert_eq!(again.memory.recent()[0].path, first);
    // So is the window's place.
    let place = tidepool_studio::recent::WindowPlace {
        width: 1111,
        height: 777,
        x: 20,
        y: 30,
        maximized: false,
    };
    again.memory.save_window_place(place);
    assert_eq!(AppState::new(h._dirs.1.path()).memory.window_place(), Some(place));
}

#[test]
fn sync_writes_is_saved_and_applies_to_the_databases_opened_next() {
    let h = harness();
    let settings = json!({ "settings": { "reevaluate_ms": 100, "sync_writes": true } });
    let saved = h.ok("set_engine_settings", settings);
    assert_eq!(saved["saved"]["sync_writes"], true);
    // The open database keeps how it was opened.
    assert_eq!(saved["open"]["sync_writes"], false);

    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path().display().to_string() }));
    assert_eq!(h.ok("engine_settings", json!({}))["open"]["sync_writes"], true);
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2)");
    let count = h.sql("SELECT count(*) FROM app.t");
    assert_eq!(count["outputs"][0]["result"]["rows"], json!([[2]]));
}

#[test]
fn the_reevaluation_interval_is_saved_and_applies_to_the_databases_opened_next() {
    let h = harness();
    let status = h.ok("engine_settings", json!({}));
    assert_eq!(
        status,
        json!({
            "saved": { "reevaluate_ms": 100, "statement_timeout_ms": null, "sync_writes": false },
            "open": { "reevaluate_ms": 100, "statement_timeout_ms": null, "sync_writes": false },
        })
    );
    let err = h
        .invoke("set_engine_settings", json!({ "settings": { "reevaluate_ms": 0 } }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_setting");

    // Saved at once; the open database keeps the interval it was opened with.
    let saved = h.ok("set_engine_settings", json!({ "settings": { "reevaluate_ms": 3000 } }));
    assert_eq!(saved["saved"]["reevaluate_ms"], 3000);
    assert_eq!(saved["open"]["reevaluate_ms"], 100);
    let data_dir = h._dirs.1.path();
    assert_eq!(
        AppState::new(data_dir).engine_settings.status().saved.reevaluate_ms,
        3000
    );

    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path().display().to_string() }));
    assert_eq!(h.ok("engine_settings", json!({}))["open"]["reevaluate_ms"], 3000);

    // A re-evaluated query there runs at most once per 3 s: the first commit after a
    // quiet spell goes out at once, the next waits for the interval.
    h.sql("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY)");
    let info = h.ok(
        "open_query_pane",
        json!({ "sql": "SELECT id, row_number() OVER (ORDER BY id) AS r FROM app.t", "user": null }),
    );
    assert_eq!(info["maintenance"], "reevaluate");
    let pane = info["pane"].as_str().unwrap().to_string();
    h.wait_for(&pane, |events| {
        events.iter().any(|e| e["type"] == "snapshot" && e["loading"] == false)
    });
    let changes = |events: &[Json]| events.iter().filter(|e| e["type"] == "changes").count();
    h.sql("INSERT INTO app.t VALUES (1)");
    h.wait_for(&pane, |events| changes(events) == 1);
    h.sql("INSERT INTO app.t VALUES (2)");
    let sent = Instant::now();
    h.wait_for(&pane, |events| changes(events) == 2);
    let waited = sent.elapsed();
    assert!(
        waited >= Duration::from_millis(2000),
        "the second change came after {waited:?}"
    );
    assert_eq!(h.rows(&pane), vec![json!([1, 1]), json!([2, 2])]);
}

/// A statement that runs for many seconds: 4,000 rows cross joined with themselves and
/// ten more (160 million combinations; the two-way join alone takes half a second).
const SLOW: &str = "SELECT count(*) FROM app.big a CROSS JOIN app.big b CROSS JOIN app.big c \
                    WHERE c.id < 10 AND a.n + b.n + c.n = -1";
/// An INSERT ... SELECT over the same cross join: rows would be written if it finished.
const SLOW_INSERT: &str = "INSERT INTO app.copy SELECT a.id * 100000000 + b.id * 10000 + c.id, a.n \
                           FROM app.big a CROSS JOIN app.big b CROSS JOIN app.big c \
                           WHERE c.id < 10 AND a.n + b.n + c.n < 3";

fn big_table(h: &Harness) {
    let values: Vec<String> = (0..4_000).map(|i| format!("({i}, {})", i % 97)).collect();
    h.sql(&format!(
        "CREATE NAMESPACE app; \
         CREATE TABLE app.big (id BIGINT PRIMARY KEY, n BIGINT); \
         CREATE TABLE app.copy (id BIGINT PRIMARY KEY, n BIGINT); \
         INSERT INTO app.big VALUES {}",
        values.join(", ")
    ));
}

fn count(h: &Harness, table: &str) -> Json {
    h.sql(&format!("SELECT count(*) FROM {table}"))["outputs"][0]["result"]["rows"][0][0].clone()
}

/// Waits until a statement containing `needle` is running (listed in system.queries).
fn wait_until_running(h: &Harness, needle: &str) {
    let engine = h.window.state::<AppState>().local_engine().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !engine
        .running_queries(&tidepool_engine::Actor::Admin)
        .iter()
        .any(|q| q.sql.contains(needle))
    {
        assert!(Instant::now() < deadline, "{needle} never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_consoles_cancel_stops_the_running_statement_and_its_write_writes_nothing() {
    let h = harness();
    big_table(&h);
    for (run, slow) in [("run-1", SLOW), ("run-2", SLOW_INSERT)] {
        let window = h.window.clone();
        let script = format!("INSERT INTO app.copy VALUES (-1, 0); {slow}; INSERT INTO app.copy VALUES (-2, 0)");
        let running =
            std::thread::spawn(move || invoke(&window, "run_sql", json!({ "sql": script, "run": run })).unwrap());
        wait_until_running(&h, "CROSS JOIN");
        let asked = Instant::now();
        assert_eq!(h.ok("cancel_sql", json!({ "run": run })), true);
        let outcome = running.join().unwrap();
        let stopped_in = asked.elapsed();
        assert!(
            stopped_in < Duration::from_secs(5),
            "{slow}: stopped {stopped_in:?} after the cancel"
        );

        // The statement before stays, the cancelled one and the one after wrote nothing.
        assert_eq!(outcome["outputs"].as_array().unwrap().len(), 1, "{outcome}");
        let error = &outcome["error"];
        assert_eq!(error["sql"], slow);
        assert_eq!(error["error"]["code"], "cancelled");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("statement ") && message.ends_with(" was cancelled"),
            "{message}"
        );
        assert_eq!(count(&h, "app.copy"), 1);
        h.sql("DELETE FROM app.copy");

        // Cancelling a run that has finished (or never ran) does nothing.
        assert_eq!(h.ok("cancel_sql", json!({ "run": run })), false);
        assert_eq!(h.ok("cancel_sql", json!({ "run": "never" })), false);
    }
    let history = h.ok("history", json!({}));
    let cancelled = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["sql"].as_str().unwrap().contains(SLOW_INSERT));
    assert_eq!(cancelled.unwrap()["ok"], false);
    // The id is free again: a new run with it goes through.
    let run = h.ok("run_sql", json!({ "sql": "SELECT 1", "run": "run-1" }));
    assert!(run["error"].is_null(), "{run}");
    assert!(h.invoke("cancel_sql", json!({})).is_err());

    // Opening another database stops a run under way in the old one.
    let window = h.window.clone();
    let running =
        std::thread::spawn(move || invoke(&window, "run_sql", json!({ "sql": SLOW, "run": "run-3" })).unwrap());
    wait_until_running(&h, "CROSS JOIN");
    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path().display().to_string() }));
    assert_eq!(running.join().unwrap()["error"]["error"]["code"], "cancelled");
}

#[test]
fn the_statement_timeout_setting_stops_a_long_console_statement() {
    let h = harness();
    big_table(&h);
    for wrong in [json!(0), json!(86_400_001), json!(-5), json!("soon")] {
        let settings = json!({ "settings": { "reevaluate_ms": 100, "statement_timeout_ms": wrong } });
        assert!(h.invoke("set_engine_settings", settings).is_err(), "{wrong}");
    }
    let status = h.ok(
        "set_engine_settings",
        json!({ "settings": { "reevaluate_ms": 100, "statement_timeout_ms": 300 } }),
    );
    assert_eq!(status["saved"]["statement_timeout_ms"], 300);

    // The next run has it, with no reopening: the slow statement stops after 300 ms.
    for slow in [SLOW, SLOW_INSERT] {
        let started = Instant::now();
        let run = h.ok("run_sql", json!({ "sql": format!("SELECT 1; {slow}") }));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{slow}: {:?}",
            started.elapsed()
        );
        assert_eq!(run["outputs"].as_array().unwrap().len(), 1, "{run}");
        assert_eq!(run["error"]["error"]["code"], "timeout");
        assert_eq!(
            run["error"]["error"]["message"],
            "statement timed out after 300 ms (nothing was written)"
        );
    }
    assert_eq!(count(&h, "app.copy"), 0);

    // Short statements are not touched, and with no limit again a join runs to its end.
    h.sql("INSERT INTO app.copy VALUES (1, 1)");
    h.ok(
        "set_engine_settings",
        json!({ "settings": { "reevaluate_ms": 100, "statement_timeout_ms": null } }),
    );
    let run = h.sql("SELECT count(*) FROM app.big a CROSS JOIN app.big b WHERE a.id < 10 AND a.n + b.n = -1");
    assert_eq!(run["outputs"][0]["result"]["rows"], json!([[0]]));
}

/// The open database's last seq.
fn last_seq(h: &Harness) -> u64 {
    h.ok("database_info", json!({}))["last_seq"].as_u64().unwrap()
}

#[test]
fn the_demo_opens_with_its_shop_and_its_writer_moves_an_open_pane_until_paused() {
    let h = harness();
    let mine = h.ok("database_info", json!({}))["path"].clone();
    let status = h.ok("demo_status", json!({}));
    assert_eq!(
        (status["open"].clone(), status["running"].clone()),
        (json!(false), json!(false))
    );
    let demo_dir = h._dirs.1.path().join("databases").join("demo");
    assert_eq!(status["path"], demo_dir.display().to_string());
    let refused = h
        .invoke("set_demo_writer", json!({ "paused": false, "pace": 3.0 }))
        .unwrap_err();
    assert_eq!(refused["code"], "not_demo");

    let status = h.ok("open_demo", json!({}));
    assert_eq!(status["open"], true);
    assert_eq!(status["running"], true);
    assert_eq!(status["pace"], 3.0);
    assert!(demo_dir.join(tidepool_demo::MARKER).is_file());
    let tables = h.sql("SELECT name FROM system.tables WHERE namespace = 'shop' ORDER BY name");
    assert_eq!(
        tables["outputs"][0]["result"]["rows"],
        json!([["customers"], ["events"], ["orders"]])
    );

    // Nobody but the demo writer writes: the pane changes on its own.
    let (pane, _) = h.open("shop.orders", None);
    let changes = |events: &[Json]| events.iter().filter(|e| e["type"] == "changes").count();
    let events = h.wait_for(&pane, |events| changes(events) >= 2);
    assert_continuous(&events);

    let status = h.ok("set_demo_writer", json!({ "paused": true, "pace": 3.0 }));
    assert_eq!(status["paused"], true);
    std::thread::sleep(Duration::from_millis(600));
    let (seq, steps) = (last_seq(&h), h.ok("demo_status", json!({}))["steps"].clone());
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(last_seq(&h), seq, "a paused demo writer wrote");
    assert_eq!(h.ok("demo_status", json!({}))["steps"], steps);

    let status = h.ok("set_demo_writer", json!({ "paused": false, "pace": 50.0 }));
    assert_eq!(
        (status["paused"].clone(), status["pace"].clone()),
        (json!(false), json!(50.0))
    );
    let before = changes(&h.wait_for(&pane, |_| true));
    let events = h.wait_for(&pane, |events| changes(events) >= before + 5);
    assert_continuous(&events);
    // The pane shows what the table holds.
    std::thread::sleep(Duration::from_millis(100));
    h.ok("set_demo_writer", json!({ "paused": true, "pace": 50.0 }));
    std::thread::sleep(Duration::from_millis(600));
    let count = h.sql("SELECT count(*) FROM shop.orders")["outputs"][0]["result"]["rows"][0][0].clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while json!(h.ok("pane_rows", json!({ "pane": pane, "start": 0, "count": 100 }))["total"]) != count {
        assert!(
            Instant::now() < deadline,
            "the pane does not show the table's {count} rows"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    h.ok("set_demo_writer", json!({ "paused": false, "pace": 50.0 }));

    // Another database: the writer stops and writes nothing there.
    h.ok("open_database", json!({ "path": mine }));
    let status = h.ok("demo_status", json!({}));
    assert_eq!(
        (status["open"].clone(), status["running"].clone()),
        (json!(false), json!(false))
    );
    let seq = last_seq(&h);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(last_seq(&h), seq);
    // And the demo reopens with its rows, its writer running again.
    let status = h.ok("open_demo", json!({}));
    assert_eq!(status["running"], true);
    let count = h.sql("SELECT count(*) FROM shop.customers")["outputs"][0]["result"]["rows"][0][0].clone();
    assert_eq!(count, json!(8));
}

#[test]
fn the_demo_writer_never_starts_in_a_database_not_made_as_the_demo() {
    let h = harness();
    // The user's own database with the demo's very tables: opened again, nothing writes.
    h.sql(
        "CREATE NAMESPACE shop;
         CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, item TEXT NOT NULL,
           quantity INT NOT NULL, total DOUBLE NOT NULL, status TEXT NOT NULL,
           placed_at TIMESTAMP, updated_at TIMESTAMP)",
    );
    let mine = h.ok("database_info", json!({}))["path"].clone();
    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path() }));
    h.ok("open_database", json!({ "path": mine }));
    let status = h.ok("demo_status", json!({}));
    assert_eq!(
        (status["open"].clone(), status["running"].clone()),
        (json!(false), json!(false))
    );
    let seq = last_seq(&h);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(last_seq(&h), seq);
    assert_eq!(
        h.invoke("set_demo_writer", json!({ "paused": false, "pace": 3.0 }))
            .unwrap_err()["code"],
        "not_demo"
    );

    // A demo folder already holding another database is not made the demo.
    let demo_dir = h._dirs.1.path().join("databases").join("demo");
    std::fs::create_dir_all(&demo_dir).unwrap();
    std::fs::write(demo_dir.join("notes.txt"), "mine").unwrap();
    let refused = h.invoke("open_demo", json!({})).unwrap_err();
    assert_eq!(refused["code"], "not_demo");
    assert!(
        refused["message"].as_str().unwrap().contains("not the demo's"),
        "{refused}"
    );
    assert!(!demo_dir.join(tidepool_demo::MARKER).exists());
    assert_eq!(
        h.ok("database_info", json!({}))["path"],
        mine,
        "the open database stays"
    );
}

/// A database on a small volume that fills up: the console's write and a grid edit fail
/// with `disk_full` (the error the console and the pane show), the open pane keeps its
/// rows and stays live, and once space is freed the next edit writes and reaches it
/// (Linux: a tmpfs).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_disk_full_error_in_the_console_and_the_grid_and_writes_resume_once_space_is_freed() {
    let Some(volume) = tmpfs::Tmpfs::mount("the app's disk-full test") else {
        return;
    };
    let h = harness();
    h.ok("open_database", json!({ "path": volume.path().join("db") }));
    h.sql(SETUP);
    let (pane, _) = h.open("app.items", None);

    let filler = tmpfs::fill(volume.path());
    let body = "b".repeat(4000);
    let mut id = 2;
    let error = loop {
        id += 1;
        assert!(id < 10_000, "the volume never filled");
        let run = h.ok(
            "run_sql",
            json!({ "sql": format!("INSERT INTO app.items VALUES ({id}, '{body}', 1)") }),
        );
        if !run["error"].is_null() {
            break run["error"]["error"].clone();
        }
    };
    assert_eq!(error["code"], "disk_full", "{error}");
    assert!(error["message"].as_str().unwrap().contains("disk"), "{error}");
    let edit = h.invoke(
        "insert_row",
        json!({ "table": "app.items", "values": { "id": "100000", "name": "fig" } }),
    );
    assert_eq!(edit.unwrap_err()["code"], "disk_full");
    // Everything acknowledged is in the pane, which reads on.
    let acknowledged = id as usize - 1;
    h.wait_for(&pane, |events| {
        events.iter().map(|e| e["count"].as_u64().unwrap_or(0)).sum::<u64>() as usize == acknowledged - 2
    });
    assert_eq!(h.rows(&pane).len(), acknowledged);

    std::fs::remove_file(filler).unwrap();
    h.ok(
        "insert_row",
        json!({ "table": "app.items", "values": { "id": "100000", "name": "fig" } }),
    );
    let events = h.wait_for(&pane, |events| {
        events.iter().map(|e| e["count"].as_u64().unwrap_or(0)).sum::<u64>() as usize == acknowledged - 1
    });
    assert_continuous(&events);
    assert_eq!(h.rows(&pane).len(), acknowledged + 1);
    let other = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": other.path() }));
}
