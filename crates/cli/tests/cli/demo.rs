//! `tidepool demo`, run as a user would: it makes the demo shop, runs the demo writer
//! until interrupted (or for --seconds), and refuses a folder that holds anything else.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tidepool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tidepool")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One value of a query on `db`, as the CLI prints it in CSV.
fn value(db: &Path, sql: &str) -> String {
    let out = tidepool(&["sql", "--db", db.to_str().unwrap(), "--format", "csv", "-c", sql]);
    assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
    text(&out.stdout).lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn demo_makes_the_shop_and_writes_orders_for_the_time_given() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("demo");
    let out = tidepool(&["demo", "--db", db.to_str().unwrap(), "--pace", "40", "--seconds", "1.5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("demo database {}", db.display())),
        "{stdout}"
    );
    assert!(stdout.contains("shop.customers (USER)"), "{stdout}");
    let steps = stdout.lines().filter(|l| l.contains(" order ")).count();
    assert!(steps >= 10, "{steps} steps in 1.5 s at 40 a second:\n{stdout}");
    assert!(stdout
        .trim_end()
        .ends_with(&format!("the demo is kept in {}", db.display())));
    assert!(db.join("tidepool-demo.txt").is_file());

    assert_eq!(value(&db, "SELECT count(*) FROM shop.customers"), "8");
    let orders: u64 = value(&db, "SELECT count(*) FROM shop.orders").parse().unwrap();
    assert!((1..=16).contains(&orders), "{orders} orders on the board");
    let events: u64 = value(&db, "SELECT count(*) FROM shop.events").parse().unwrap();
    assert!(events as usize >= steps / 2, "{events} events for {steps} steps");

    // Run again: the demo is reopened, not made anew, and its orders go on.
    let last: i64 = value(&db, "SELECT max(order_id) FROM shop.events").parse().unwrap();
    let out = tidepool(&[
        "demo",
        "--db",
        db.to_str().unwrap(),
        "--pace",
        "40",
        "--seconds",
        "1",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains(" order "), "--quiet prints no steps");
    assert_eq!(value(&db, "SELECT count(*) FROM shop.customers"), "8");
    let now: i64 = value(&db, "SELECT max(order_id) FROM shop.events").parse().unwrap();
    assert!(now > last, "new orders continue after {last}");
}

#[test]
fn demo_refuses_a_folder_that_holds_another_database() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("mine");
    let db_arg = db.to_str().unwrap();
    let out = tidepool(&[
        "sql",
        "--db",
        db_arg,
        "-c",
        "CREATE NAMESPACE shop; CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, status TEXT); INSERT INTO shop.orders VALUES (1, 'mine')",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = tidepool(&["demo", "--db", db_arg, "--seconds", "1"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("already holds files that are not the demo's"),
        "{stderr}"
    );
    assert_eq!(value(&db, "SELECT count(*) FROM shop.orders"), "1");
    assert_eq!(value(&db, "SELECT status FROM shop.orders"), "mine");
    assert!(!db.join("tidepool-demo.txt").exists());

    let out = tidepool(&["demo", "--db", root.path().join("d").to_str().unwrap(), "--pace", "0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("steps per second"), "{}", text(&out.stderr));
}

#[cfg(unix)]
#[test]
fn demo_runs_until_interrupted_and_stops_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(["demo", "--db", db.to_str().unwrap(), "--pace", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tidepool demo");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut steps = 0;
    while steps < 5 {
        let line = lines.next().expect("tidepool demo ended early").unwrap();
        if line.contains(" order ") {
            steps += 1;
        }
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status}");
    assert!(rest.last().is_some_and(|l| l.starts_with("stopped after ")), "{rest:?}");
    // The database was closed: another process opens it at once.
    assert_eq!(value(&db, "SELECT count(*) FROM shop.customers"), "8");
}

/// Kills a child process when dropped, so a failed test leaves none behind.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_with_listen_serves_the_shop_so_another_process_watches_it_change() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("demo");
    let mut demo = Running(
        Command::new(env!("CARGO_BIN_EXE_tidepool"))
            .args(["demo", "--db", db.to_str().unwrap(), "--pace", "20", "--quiet"])
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run tidepool demo"),
    );
    let mut lines = BufReader::new(demo.0.stdout.take().unwrap()).lines();
    let (mut token, mut url) = (None, None);
    while url.is_none() {
        let line = lines.next().expect("tidepool demo ended early").unwrap();
        if let Some(t) = line.strip_prefix("admin token: ") {
            token = Some(t.to_string());
        }
        if let Some((_, address)) = line.split_once(" on http://") {
            url = Some(format!("http://{address}"));
        }
    }
    let (token, url) = (token.expect("an admin token"), url.unwrap());
    let remote = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tidepool"))
            .args(args)
            .args(["--server", &url, "--token", &token])
            .env_remove("TIDEPOOL_TOKEN")
            .env_remove("TIDEPOOL_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let out = remote(&[
        "sql",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM shop.customers",
    ])
    .wait_with_output()
    .unwrap();
    assert_eq!(text(&out.stdout), "n\n8\n");

    // A live aggregate over the server: the writer's steps arrive as changes.
    let mut watch = Running(remote(&[
        "subscribe",
        "SELECT status, count(*) AS orders FROM shop.orders GROUP BY status",
    ]));
    let mut messages = BufReader::new(watch.0.stdout.take().unwrap()).lines();
    let mut changes = 0;
    while changes < 3 {
        let line = messages.next().expect("the subscription ended").unwrap();
        if line.contains("\"type\":\"changes\"") {
            changes += 1;
        }
    }
}
