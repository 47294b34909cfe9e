//! What a command talks to: a database directory opened in this process, or a server.

use std::time::Instant;

use serde_json::Value as Json;
use tidepool_engine::{Actor, Engine, RunOptions, Session, StatementResult};

use crate::live::{print_line, Watchers};
use crate::output::{print_error, print_error_at, Printer};
use crate::Connect;
use tidepool_client::{error_text, Remote, SqlAnswer};

/// Parameters of one statement: one run, or one run per row in one transaction.
pub enum Params {
    One(Vec<Json>),
    Batch(Vec<Vec<Json>>),
}

pub enum Target {
    Local {
        engine: Engine,
        session: Session,
        watchers: Watchers,
        /// Each statement's time limit (`--timeout`).
        options: RunOptions,
    },
    Remote {
        remote: Remote,
        server: String,
        user: Option<String>,
    },
}

impl Target {
    pub fn connect(connect: &Connect, file_access: bool) -> Result<Target, String> {
        let from_env = || std::env::var("TIDEPOOL_SERVER").ok().filter(|s| !s.is_empty());
        let server = match &connect.db {
            Some(_) => None,
            None => connect.server.clone().or_else(from_env),
        };
        if let Some(server) = &server {
            if file_access {
                return Err("--file-access works only on a database directory, never through a server".into());
            }
            return Ok(Target::Remote {
                remote: Remote::new(
                    server,
                    connect
                        .token
                        .clone()
                        .filter(|t| !t.is_empty())
                        .ok_or("--server needs a token: pass --token or set TIDEPOOL_TOKEN")?,
                    connect.ca_cert.as_deref(),
                    "--ca-cert",
                )?,
                server: server.clone(),
                user: connect.user.clone(),
            });
        }
        let db = connect
            .db
            .clone()
            .or_else(tidepool_engine::default_database_dir)
            .ok_or("no --db given and no home folder to put the default database in")?;
        let options = tidepool_engine::EngineOptions {
            sync_writes: connect.sync,
            ..Default::default()
        };
        let engine = Engine::open_with(&db, options).map_err(|e| e.to_string())?;
        let actor = match &connect.user {
            Some(user) if !user.is_empty() => Actor::User(user.clone()),
            _ => Actor::Admin,
        };
        let session = engine.session(actor).with_file_access(file_access);
        Ok(Target::Local {
            engine,
            session,
            watchers: Watchers::new(),
            options: RunOptions::default(),
        })
    }

    /// Stops each statement that runs longer than `timeout` (nothing it would write
    /// is written): in this process, or by the server (`timeout_ms`).
    pub fn with_timeout(mut self, timeout: Option<std::time::Duration>) -> Target {
        match &mut self {
            Target::Local { options, .. } => options.timeout = timeout,
            Target::Remote { remote, .. } => remote.timeout = timeout,
        }
        self
    }

    /// What the prompt's banner says it is connected to.
    pub fn describe(&self) -> String {
        match self {
            Target::Local { session, .. } => {
                format!("{} as {}", session.engine().path().display(), session.actor())
            }
            Target::Remote { server, user, .. } => match user {
                Some(user) => format!("{server} as {user}"),
                None => server.clone(),
            },
        }
    }

    /// Runs the statements in order, printing each result as it completes; stops at
    /// the first error (earlier statements stay committed). Returns whether all
    /// succeeded.
    pub async fn run_script(&mut self, printer: &Printer, script: &str) -> bool {
        match self {
            Target::Local {
                session,
                watchers,
                options,
                ..
            } => run_local(session, printer, script, watchers, options).await,
            Target::Remote { remote, user, .. } => print_answer(
                printer,
                remote.sql(script, user.as_deref()).await.map_err(String::from),
                script,
            ),
        }
    }

    /// Runs one statement with parameters, or once per parameter row in one
    /// transaction, and prints its result. Returns whether it succeeded.
    pub async fn run_prepared(&mut self, printer: &Printer, sql: &str, params: Params) -> bool {
        let started = Instant::now();
        match self {
            Target::Local { session, options, .. } => {
                let run = async {
                    let prepared = session.prepare(sql).await?;
                    match &params {
                        Params::One(values) => {
                            let values: Vec<_> = values.iter().map(tidepool_engine::Value::from_param_json).collect();
                            session.execute_prepared_with(&prepared, &values, options).await
                        }
                        Params::Batch(rows) => {
                            let rows: Vec<Vec<_>> = rows
                                .iter()
                                .map(|r| r.iter().map(tidepool_engine::Value::from_param_json).collect())
                                .collect();
                            session
                                .execute_prepared_batch_with(&prepared, &rows, options)
                                .await
                                .map(StatementResult::Affected)
                        }
                    }
                };
                match run.await {
                    Ok(result) => {
                        printer.print(&result, started.elapsed());
                        true
                    }
                    Err(e) => {
                        print_error(&e, sql);
                        false
                    }
                }
            }
            Target::Remote { remote, user, .. } => {
                let extra = match params {
                    Params::One(values) => ("params", Json::from(values)),
                    Params::Batch(rows) => ("batch", Json::from(rows)),
                };
                print_answer(
                    printer,
                    remote
                        .sql_with(sql, user.as_deref(), Some(extra))
                        .await
                        .map_err(String::from),
                    sql,
                )
            }
        }
    }

    /// Runs SQL and returns each statement's result as JSON, or the error's message.
    pub async fn query_json(&mut self, script: &str) -> Result<Vec<Json>, String> {
        match self {
            Target::Local { session, .. } => {
                let results = session.execute(script).await.map_err(|e| e.to_string())?;
                Ok(results.iter().map(StatementResult::to_json).collect())
            }
            Target::Remote { remote, user, .. } => {
                let answer = remote.sql(script, user.as_deref()).await?;
                match answer.error {
                    Some(error) => Err(error_text(&error)),
                    None => Ok(answer.results),
                }
            }
        }
    }

    /// After a script: prints what its subscriptions produced (until interrupted with
    /// `follow`), then ends them.
    pub async fn finish(self, follow: bool) {
        if let Target::Local { engine, watchers, .. } = self {
            if follow && !watchers.is_empty() {
                watchers.follow().await;
            } else {
                watchers.finish(&engine).await;
            }
        }
    }

    /// Prints a live query's messages as JSON lines until it closes; returns whether it
    /// ended without an error.
    pub async fn subscribe(&self, query: &str, from_seq: Option<u64>) -> Result<bool, String> {
        match self {
            Target::Local { session, .. } => {
                let mut subscription = session
                    .subscribe_from(query, from_seq)
                    .await
                    .map_err(|e| e.to_string())?;
                let mut ok = true;
                while let Some(message) = subscription.recv().await {
                    ok &= !matches!(message, tidepool_engine::LiveMessage::Error { .. });
                    print_line(&message);
                }
                Ok(ok)
            }
            Target::Remote { remote, user, .. } => {
                let print_text = |text: &str| {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{text}");
                    let _ = out.flush();
                };
                remote.subscribe(query, user.as_deref(), from_seq, print_text).await
            }
        }
    }
}

/// Prints a server's answer to a script: each result, then its error (at its line and
/// column when it has them). Returns whether there was no error.
fn print_answer(printer: &Printer, answer: Result<SqlAnswer, String>, script: &str) -> bool {
    match answer {
        Ok(answer) => {
            for (i, result) in answer.results.iter().enumerate() {
                let ms = answer.elapsed_ms.get(i).copied().unwrap_or(0.0);
                printer.print_json(result, std::time::Duration::from_secs_f64(ms.max(0.0) / 1000.0));
            }
            match answer.error {
                None => true,
                Some(error) => {
                    let position = error["line"].as_u64().zip(error["column"].as_u64());
                    print_error_at(&error_text(&error), position, script);
                    false
                }
            }
        }
        Err(message) => {
            print_error_at(&message, None, script);
            false
        }
    }
}

async fn run_local(
    session: &Session,
    printer: &Printer,
    script: &str,
    watchers: &mut Watchers,
    options: &RunOptions,
) -> bool {
    let statements = match session.split(script) {
        Ok(statements) => statements,
        Err(e) => {
            print_error(&e, script);
            return false;
        }
    };
    for statement in statements {
        let started = Instant::now();
        match session.execute_statement_with(&statement, options).await {
            Ok(StatementResult::Subscription(subscription)) => watchers.watch(subscription),
            Ok(result) => printer.print(&result, started.elapsed()),
            Err(e) => {
                print_error(&e, script);
                return false;
            }
        }
    }
    true
}
