//! `tidepool`: the headless front door onto a Tidepool database — a directory opened
//! in-process, or a running server (`tidepool serve`, or Tidepool Studio with its
//! Local API on) reached through its local API.

// Changed rows are made by the writer and freed by the live-query fan-out or a
// subscriber: mimalloc frees across threads without taking a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod demo;
mod live;
mod output;
mod repl;
mod serve;
mod signal;
mod target;
mod token;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::output::Printer;
use crate::target::Target;

#[derive(Parser)]
#[command(name = "tidepool", version, about = "Tidepool: a database whose every view is live")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run SQL against a database directory or a running server.
    Sql(SqlArgs),
    /// Serve a database directory over the local API (HTTP SQL and live WebSocket).
    Serve(serve::ServeArgs),
    /// Print a live query's messages as JSON lines until interrupted.
    Subscribe(SubscribeArgs),
    /// Make the demo shop database and run the demo writer in it until interrupted.
    Demo(demo::DemoArgs),
    /// Create, list and revoke API tokens (admin).
    #[command(subcommand)]
    Token(token::TokenCommand),
}

/// Where the SQL goes: a database directory, or a running server.
#[derive(clap::Args, Clone)]
pub struct Connect {
    /// The database directory (created if missing); the app's default database when
    /// neither this nor --server is given.
    #[arg(long, conflicts_with = "server")]
    db: Option<PathBuf>,
    /// A running server's local API, e.g. http://127.0.0.1:7447 or
    /// https://db.example.com:7447 ($TIDEPOOL_SERVER when
    /// neither this nor --db is given).
    #[arg(long)]
    server: Option<String>,
    /// The API token for --server.
    #[arg(long, env = "TIDEPOOL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// For an https:// --server: trust the certificates in this PEM file (the server's
    /// self-signed certificate, or your own CA) instead of the system's.
    #[arg(long, value_name = "FILE", env = "TIDEPOOL_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Act as this user (USER tables show only their rows); the token's user, or
    /// admin, when omitted.
    #[arg(long)]
    user: Option<String>,
    /// fsync every commit before it is acknowledged: survives power loss, not only the
    /// process being killed (slower; a database directory only).
    #[arg(long, conflicts_with = "server")]
    sync: bool,
}

#[derive(clap::Args)]
struct SqlArgs {
    #[command(flatten)]
    connect: Connect,
    /// How results are printed.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// SQL to run (several statements separated by `;`).
    #[arg(short = 'c', long = "command", conflicts_with = "file")]
    command: Option<String>,
    /// A file of SQL statements to run.
    #[arg(short = 'f', long)]
    file: Option<PathBuf>,
    /// Allow statements that read or write files (CREATE EXTERNAL TABLE, COPY); only
    /// for a database directory, never through a server.
    #[arg(long, conflicts_with = "server")]
    file_access: bool,
    /// Keep printing the messages of the script's SUBSCRIBE statements until interrupted.
    #[arg(long, conflicts_with = "server")]
    follow: bool,
    /// A value for the next parameter of one statement ($1, then $2, …): read as JSON
    /// when it is JSON (42, 1.5, true, null, "text", [1, 2]), else as text.
    #[arg(long = "param", value_name = "VALUE", conflicts_with = "batch")]
    params: Vec<String>,
    /// Run one INSERT, or UPDATE/DELETE by key, once per line of this file (`-` for
    /// standard input), each line a JSON array of the parameters; all in one transaction.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
    /// Stop a statement that runs longer than this many milliseconds (nothing it would
    /// write is written); through a server, its `--timeout` may cap it lower.
    #[arg(long = "timeout", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: Option<u64>,
}

#[derive(clap::Args)]
struct SubscribeArgs {
    #[command(flatten)]
    connect: Connect,
    /// Resume from this seq (the last one you have): only later changes are printed,
    /// or `resync` and a snapshot if the server no longer has them.
    #[arg(long)]
    from_seq: Option<u64>,
    /// The live query: any SELECT (joins, GROUP BY, ORDER BY ... LIMIT, ...).
    query: String,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Sql(args) => sql(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Subscribe(args) => subscribe(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Token(command) => token::run(command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn sql(args: SqlArgs) -> Result<ExitCode, String> {
    let mut target = Target::connect(&args.connect, args.file_access)?
        .with_timeout(args.timeout_ms.map(std::time::Duration::from_millis));
    if args.follow && matches!(target, Target::Remote { .. }) {
        return Err("--follow works on a database directory; for a server use `tidepool subscribe`".into());
    }
    let printer = Printer::new(args.format);
    let script = if let Some(command) = args.command {
        command
    } else if let Some(file) = args.file {
        std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
    } else if std::io::stdin().is_terminal() {
        return Ok(repl::run(&mut target, &printer).await);
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    };
    let ok = if !args.params.is_empty() || args.batch.is_some() {
        let params = match args.batch {
            Some(file) => target::Params::Batch(read_batch(&file)?),
            None => target::Params::One(args.params.iter().map(|p| param_json(p)).collect()),
        };
        target.run_prepared(&printer, &script, params).await
    } else {
        target.run_script(&printer, &script).await
    };
    target.finish(args.follow && ok).await;
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A `--param` value: JSON when it parses as JSON, else text.
fn param_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// The parameter rows of `--batch`: one JSON array per non-empty line.
fn read_batch(file: &std::path::Path) -> Result<Vec<Vec<serde_json::Value>>, String> {
    let text = if file == std::path::Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<Vec<serde_json::Value>>(line).map_err(|e| {
                format!(
                    "{} line {}: expected a JSON array of parameters: {e}",
                    file.display(),
                    i + 1
                )
            })
        })
        .collect()
}

async fn subscribe(args: SubscribeArgs) -> Result<ExitCode, String> {
    let target = Target::connect(&args.connect, false)?;
    let ended = tokio::select! {
        ended = target.subscribe(&args.query, args.from_seq) => ended?,
        _ = tokio::signal::ctrl_c() => true,
    };
    Ok(if ended { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
