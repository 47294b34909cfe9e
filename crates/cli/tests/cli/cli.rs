//! The `tidepool` binary, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tidepool(db: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .arg("sql")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tidepool");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const SETUP: &str = "CREATE NAMESPACE app;
CREATE TABLE app.m (id BIGINT PRIMARY KEY, room TEXT NOT NULL, body TEXT);
INSERT INTO app.m VALUES (1, 'a', 'hi'), (2, 'b', 'yo');";

#[test]
fn json_prints_one_object_per_statement() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidepool(dir.path(), &["--format", "json", "-c", SETUP], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"affected\":0}\n{\"affected\":0}\n{\"affected\":2}\n");

    let out = tidepool(
        dir.path(),
        &[
            "--format",
            "json",
            "-c",
            "SELECT id, body FROM app.m ORDER BY id; UPDATE app.m SET body = NULL WHERE id = 2",
        ],
        None,
    );
    assert_eq!(
        stdout(&out),
        "{\"columns\":[\"id\",\"body\"],\"rows\":[[1,\"hi\"],[2,\"yo\"]],\"types\":[\"BIGINT\",\"TEXT\"]}\n{\"affected\":1}\n"
    );
}

#[test]
fn an_error_stops_the_run_and_keeps_earlier_statements() {
    let dir = tempfile::tempdir().unwrap();
    tidepool(dir.path(), &["-c", SETUP], None);
    let out = tidepool(
        dir.path(),
        &[
            "--format",
            "json",
            "-c",
            "INSERT INTO app.m VALUES (3, 'c', 'x');\nSELEC oops;\nINSERT INTO app.m VALUES (4, 'd', 'y');",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "{\"affected\":1}\n");
    let err = stderr(&out);
    assert!(err.starts_with("error: syntax error at line 2, column 1:"), "{err}");
    assert!(err.contains("  2 | SELEC oops;\n    | ^"), "{err}");

    // A misspelled table: the engine asks for the closest one.
    let out = tidepool(dir.path(), &["-c", "SELECT body FROM app.mm"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: table 'app.mm' does not exist; did you mean app.m?"),
        "{err}"
    );

    let out = tidepool(
        dir.path(),
        &["--format", "csv", "-c", "SELECT id FROM app.m ORDER BY id"],
        None,
    );
    assert_eq!(stdout(&out), "id\n1\n2\n3\n");
}

#[test]
fn statements_come_from_stdin_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidepool(dir.path(), &[], Some(SETUP));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 rows affected"), "{}", stdout(&out));

    let file = dir.path().join("q.sql");
    std::fs::write(&file, "SELECT room FROM app.m WHERE id = 2;").unwrap();
    let db = dir.path().join("db2");
    tidepool(&db, &["-c", SETUP], None);
    let out = tidepool(&db, &["-f", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("| room |") && text.contains("| b    |") && text.contains("(1 row,"),
        "{text}"
    );
}

#[test]
fn user_sessions_see_only_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    tidepool(
        dir.path(),
        &[
            "-c",
            "CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT);",
        ],
        None,
    );
    tidepool(
        dir.path(),
        &[
            "--user",
            "alice",
            "-c",
            "INSERT INTO app.notes VALUES (1, 'a1'), (2, 'a2')",
        ],
        None,
    );
    tidepool(
        dir.path(),
        &["--user", "bob", "-c", "INSERT INTO app.notes VALUES (1, 'b1')"],
        None,
    );
    let bob = tidepool(
        dir.path(),
        &["--user", "bob", "--format", "json", "-c", "SELECT * FROM app.notes"],
        None,
    );
    assert_eq!(
        stdout(&bob),
        "{\"columns\":[\"id\",\"body\"],\"rows\":[[1,\"b1\"]],\"types\":[\"INT\",\"TEXT\"]}\n"
    );
    let admin = tidepool(
        dir.path(),
        &["--format", "csv", "-c", "SELECT * FROM app.notes ORDER BY _user, id"],
        None,
    );
    assert_eq!(stdout(&admin), "_user,id,body\nalice,1,a1\nalice,2,a2\nbob,1,b1\n");
}

#[test]
fn a_database_in_use_is_a_clear_error() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // A following subscriber holds the database open until it is killed; its first
    // message on stdout proves it has the directory.
    let mut holder = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .arg("sql")
        .arg("--db")
        .arg(dir.path())
        .args(["--follow", "-c", &format!("{SETUP} SUBSCRIBE TO SELECT id FROM app.m;")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let holder_out = holder.stdout.take().unwrap();
    let _holder = ChildGuard(holder);
    let mut first = String::new();
    std::io::BufReader::new(holder_out).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "the holder exited before opening the database");

    let out = tidepool(dir.path(), &["-c", "SELECT 1"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("is in use by another process"),
        "{}",
        stderr(&out)
    );
}

struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_script_prints_its_subscriptions_messages_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    tidepool(dir.path(), &["-c", SETUP], None);
    let out = tidepool(
        dir.path(),
        &[
            "--format",
            "json",
            "-c",
            "SUBSCRIBE TO SELECT id, body FROM app.m WHERE room = 'a';
             INSERT INTO app.m VALUES (3, 'a', 'new'), (4, 'b', 'other');
             UPDATE app.m SET room = 'z' WHERE id = 1;",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let live: Vec<&serde_json::Value> = lines.iter().filter(|l| l.get("subscription").is_some()).collect();
    assert_eq!(live[0]["type"], "subscribed");
    assert_eq!(live[0]["row_count"], 1);
    assert_eq!(live[1]["rows"], serde_json::json!([[1, "hi"]]));
    // Every change the script's writes produced is printed before the command exits.
    let changes: Vec<&serde_json::Value> = live
        .iter()
        .filter(|l| l["type"] == "changes")
        .flat_map(|l| l["changes"].as_array().unwrap())
        .collect();
    assert_eq!(
        changes,
        vec![
            &serde_json::json!({"op": "insert", "key": [3], "row": [3, "new"]}),
            &serde_json::json!({"op": "delete", "key": [1], "old": [1, "hi"]}),
        ]
    );
    let ids: std::collections::HashSet<&str> = live.iter().map(|l| l["subscription"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1);
}

#[test]
fn a_statement_nested_too_deep_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    tidepool(dir.path(), &["-c", SETUP], None);
    let deep = format!("SELECT {}", vec!["1"; 20_000].join(" + "));
    for args in [vec!["-c", deep.as_str()], vec![]] {
        let stdin = args.is_empty().then_some(deep.as_str());
        let out = tidepool(dir.path(), &args, stdin);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("levels deep"), "{}", stderr(&out));
    }
    let out = tidepool(
        dir.path(),
        &["--format", "csv", "-c", "SELECT count(*) AS n FROM app.m"],
        None,
    );
    assert_eq!(stdout(&out), "n\n2\n");
}

#[test]
fn timeout_stops_a_long_statement_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    tidepool(dir.path(), &["-c", SETUP], None);
    tidepool(
        dir.path(),
        &[
            "-c",
            "INSERT INTO app.m SELECT value + 10, 'r', 'b' FROM generate_series(1, 4000)",
        ],
        None,
    );
    let slow = "INSERT INTO app.m SELECT a.id * 100000 + b.id, 'x', 'y' FROM app.m a CROSS JOIN app.m b WHERE a.id + b.id < 30";
    let started = std::time::Instant::now();
    let out = tidepool(dir.path(), &["--timeout", "200", "-c", slow], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out after 200 ms"), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let out = tidepool(
        dir.path(),
        &["--format", "csv", "-c", "SELECT count(*) AS n FROM app.m"],
        None,
    );
    assert_eq!(stdout(&out), "n\n4002\n");
    let out = tidepool(dir.path(), &["--timeout", "0", "-c", "SELECT 1"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn sync_fsyncs_every_commit_of_a_database_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidepool(dir.path(), &["--sync", "-c", SETUP], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = tidepool(
        dir.path(),
        &["--sync", "--format", "csv", "-c", "SELECT count(*) AS n FROM app.m"],
        None,
    );
    assert_eq!(stdout(&out), "n\n2\n");
    // Only a database directory has commits of its own to sync.
    let out = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(["sql", "--server", "http://127.0.0.1:9", "--sync", "-c", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot be used with"), "{}", stderr(&out));
}

#[test]
fn parameters_come_from_param_flags_or_a_batch_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(tidepool(dir.path(), &["-c", SETUP], None).status.success());
    let insert = "INSERT INTO app.m VALUES ($1, $2, $3)";
    let out = tidepool(
        dir.path(),
        &[
            "--format", "json", "-c", insert, "--param", "3", "--param", "c", "--param", "null",
        ],
        None,
    );
    assert_eq!(stdout(&out), "{\"affected\":1}\n", "{}", stderr(&out));
    // One JSON array per line of standard input; one transaction for all of them.
    let out = tidepool(
        dir.path(),
        &["--format", "json", "-c", insert, "--batch", "-"],
        Some("[4, \"d\", \"x\"]\n\n[5, \"e\", \"y\"]\n"),
    );
    assert_eq!(stdout(&out), "{\"affected\":2}\n", "{}", stderr(&out));
    let out = tidepool(
        dir.path(),
        &["--format", "json", "-c", insert, "--batch", "-"],
        Some("[6, \"f\", \"z\"]\n[1, \"dup\", \"z\"]\n"),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("duplicate primary key (id = 1)"),
        "{}",
        stderr(&out)
    );
    let out = tidepool(
        dir.path(),
        &[
            "--format",
            "json",
            "-c",
            "SELECT room, body FROM app.m WHERE id >= $1 ORDER BY id",
            "--param",
            "3",
        ],
        None,
    );
    assert_eq!(
        stdout(&out),
        "{\"columns\":[\"room\",\"body\"],\"rows\":[[\"c\",null],[\"d\",\"x\"],[\"e\",\"y\"]],\"types\":[\"TEXT\",\"TEXT\"]}\n"
    );
    // Without values, or with one of the wrong type, the error says so.
    let out = tidepool(dir.path(), &["-c", "SELECT * FROM app.m WHERE id = $1"], None);
    assert!(stderr(&out).contains("takes parameters"), "{}", stderr(&out));
    let out = tidepool(
        dir.path(),
        &["-c", "SELECT * FROM app.m WHERE id = $1", "--param", "x"],
        None,
    );
    assert!(stderr(&out).contains("expected BIGINT, got 'x'"), "{}", stderr(&out));
    let out = tidepool(dir.path(), &["-c", insert, "--batch", "-"], Some("not json\n"));
    assert!(
        stderr(&out).contains("line 1: expected a JSON array"),
        "{}",
        stderr(&out)
    );
}
