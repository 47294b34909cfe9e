//! SQL behaviour as golden scripts: `tests/scripts/*.test`, one file per feature.
//!
//! A script is a sequence of blocks: input lines, a `----` line, then the expected
//! output up to a blank line. Input is SQL (several statements allowed) or one
//! directive:
//!
//! - `.restart` closes the database and opens the directory again;
//! - `.as alice` / `.as admin` switches the acting user;
//! - `.advance 30s` moves the engine's clock forward;
//! - `.evict` runs the STREAM evictor once;
//! - `.recv` prints, for every open subscription (`SUBSCRIBE TO` names them s1, s2, …),
//!   the messages produced so far, one JSON line each (without the subscription id and
//!   commit time, which vary);
//! - `.unsubscribe s1` drops a subscription; `.kill s1` runs `KILL LIVE QUERY` on it.
//!
//! Regenerate every expected output with `UPDATE_GOLDENFILES=1 cargo test --workspace --test engine scripts::`
//! and review the diff.

use std::path::Path;
use std::time::Duration;

use tidepool_engine::arrow::util::pretty::pretty_format_batches_with_schema;
use tidepool_engine::{Actor, Clock, Engine, EngineOptions, LiveMessage, StatementResult, Subscription};

/// 2026-01-01T00:00:00Z: scripts run on a manual clock, so times are reproducible.
const START_MICROS: i64 = 1_767_225_600_000_000;

struct Harness {
    dir: tempfile::TempDir,
    clock: Clock,
    engine: Option<Engine>,
    actor: Actor,
    subscriptions: Vec<(String, Subscription)>,
    subscribed: usize,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(START_MICROS);
        let mut harness = Harness {
            dir,
            clock,
            engine: None,
            actor: Actor::Admin,
            subscriptions: Vec::new(),
            subscribed: 0,
        };
        harness.open();
        harness
    }

    fn open(&mut self) {
        let options = EngineOptions {
            clock: self.clock.clone(),
            evict_interval: None,
            ..EngineOptions::default()
        };
        self.engine = Some(Engine::open_with(self.dir.path(), options).unwrap());
    }

    /// Runs a block; subscription ids (random) are shown as their names.
    async fn run(&mut self, input: &str) -> String {
        let mut output = self.run_block(input).await;
        for (name, subscription) in &self.subscriptions {
            output = output.replace(subscription.id(), name);
        }
        output
    }

    async fn run_block(&mut self, input: &str) -> String {
        let line = input.trim();
        if let Some(directive) = line.strip_prefix('.') {
            let (name, arg) = directive.split_once(' ').unwrap_or((directive, ""));
            return match name {
                "restart" => {
                    self.subscriptions.clear();
                    self.engine = None;
                    self.open();
                    "ok".into()
                }
                "as" => {
                    self.actor = if arg == "admin" {
                        Actor::Admin
                    } else {
                        Actor::User(arg.to_string())
                    };
                    "ok".into()
                }
                "advance" => {
                    let seconds: u64 = arg.trim_end_matches('s').parse().expect("seconds");
                    self.clock.advance(Duration::from_secs(seconds));
                    "ok".into()
                }
                "evict" => format!("evicted: {}", self.engine().evict_expired().unwrap()),
                "recv" => self.recv().await,
                "kill" => {
                    let id = self
                        .subscriptions
                        .iter()
                        .find(|(name, _)| name == arg)
                        .expect("subscription")
                        .1
                        .id();
                    let sql = format!("KILL LIVE QUERY '{id}'");
                    match self.engine().session(self.actor.clone()).execute(&sql).await {
                        Ok(_) => "ok".into(),
                        Err(e) => format!("error: {e}"),
                    }
                }
                "unsubscribe" => {
                    self.subscriptions.retain(|(name, _)| name != arg);
                    "ok".into()
                }
                other => panic!("unknown directive .{other}"),
            };
        }
        let session = self.engine().session(self.actor.clone());
        let statements = match session.split(input) {
            Ok(s) => s,
            Err(e) => return format!("error: {e}"),
        };
        let mut out = Vec::new();
        for statement in statements {
            match session.execute_statement(&statement).await {
                Ok(StatementResult::Rows { schema, batches }) => {
                    out.push(pretty_format_batches_with_schema(schema, &batches).unwrap().to_string());
                    if batches.iter().all(|b| b.num_rows() == 0) {
                        out.push("(no rows)".into());
                    }
                }
                Ok(StatementResult::Affected(n)) => out.push(format!("affected: {n}")),
                Ok(StatementResult::Done) => out.push("ok".into()),
                Ok(StatementResult::Subscription(subscription)) => {
                    self.subscribed += 1;
                    let name = format!("s{}", self.subscribed);
                    out.push(format!("subscribed {name}"));
                    self.subscriptions.push((name, subscription));
                }
                Err(e) => {
                    out.push(format!("error: {e}"));
                    break;
                }
            }
        }
        out.join("\n")
    }

    /// Every message produced so far, per subscription.
    async fn recv(&mut self) -> String {
        self.engine().live_flushed().await;
        let mut out = Vec::new();
        for (name, subscription) in &mut self.subscriptions {
            let messages = subscription.recv_ready().await;
            for message in messages {
                let closed = matches!(message, LiveMessage::Closed { .. });
                let mut json = serde_json::to_value(&message).unwrap();
                let fields = json.as_object_mut().unwrap();
                fields.remove("subscription");
                fields.remove("committed_at");
                out.push(format!("{name}: {json}"));
                if closed {
                    // A closed subscription reports `closed` once and nothing after.
                    assert!(subscription.try_recv().is_none());
                }
            }
        }
        if out.is_empty() {
            "(no messages)".into()
        } else {
            out.join("\n")
        }
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }
}

struct Block {
    preamble: String,
    input: String,
    expected: String,
}

fn parse_script(text: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    let mut preamble = String::new();
    loop {
        while let Some(line) = lines.peek() {
            if line.trim().is_empty() || line.starts_with('#') {
                preamble.push_str(line);
                preamble.push('\n');
                lines.next();
            } else {
                break;
            }
        }
        if lines.peek().is_none() {
            return (blocks, preamble);
        }
        let mut input = String::new();
        for line in lines.by_ref() {
            if line == "----" {
                break;
            }
            input.push_str(line);
            input.push('\n');
        }
        let mut expected = String::new();
        for line in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            expected.push_str(line);
            expected.push('\n');
        }
        blocks.push(Block {
            preamble: std::mem::take(&mut preamble),
            input,
            expected,
        });
    }
}

async fn run_script(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scripts")
        .join(format!("{name}.test"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (blocks, trailer) = parse_script(&text);
    let mut harness = Harness::new();
    let mut rewritten = String::new();
    let mut failures = Vec::new();
    for block in &blocks {
        let actual = harness.run(&block.input).await;
        let actual = format!("{}\n", actual.trim_end());
        if actual != block.expected {
            failures.push(format!(
                "--- input:\n{}--- expected:\n{}--- actual:\n{}",
                block.input, block.expected, actual
            ));
        }
        rewritten.push_str(&block.preamble);
        rewritten.push_str(&block.input);
        rewritten.push_str("----\n");
        rewritten.push_str(&actual);
        rewritten.push('\n');
    }
    rewritten.push_str(&trailer);
    let rewritten = format!("{}\n", rewritten.trim_end());
    if std::env::var_os("UPDATE_GOLDENFILES").is_some() {
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "{}: {} block(s) differ\n{}",
        path.display(),
        failures.len(),
        failures.join("\n")
    );
}

macro_rules! scripts {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            run_script(stringify!($name)).await;
        }
    )*};
}

scripts!(
    namespaces,
    tables,
    types,
    insert,
    update_delete,
    dml_exactness,
    generated_key,
    unique,
    queries,
    show_describe,
    user_tables,
    stream_tables,
    system_tables,
    errors,
    did_you_mean,
    restart,
    file_access,
    explain,
    live_basic,
    live_filters,
    live_user_tables,
    live_stream_tables,
    live_system,
    live_errors,
    live_any,
);
