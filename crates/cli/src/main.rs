//! `tidepool`: the headless front door onto a Tidepool database directory.

mod live;
mod output;
mod repl;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tidepool_engine::{Actor, Engine, Session, StatementResult};

use crate::live::Watchers;
use crate::output::{print_error, Printer};

#[derive(Parser)]
#[command(name = "tidepool", version, about = "Tidepool: a database whose every view is live")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run SQL against a database directory (created if missing).
    Sql(SqlArgs),
}

#[derive(clap::Args)]
struct SqlArgs {
    /// The database directory (created if missing); the app's default database when omitted.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Act as this user (USER tables show only their rows); admin when omitted.
    #[arg(long)]
    user: Option<String>,
    /// How results are printed.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// SQL to run (several statements separated by `;`).
    #[arg(short = 'c', long = "command", conflicts_with = "file")]
    command: Option<String>,
    /// A file of SQL statements to run.
    #[arg(short = 'f', long)]
    file: Option<PathBuf>,
    /// Allow statements that read or write files (CREATE EXTERNAL TABLE, COPY).
    #[arg(long)]
    file_access: bool,
    /// Keep printing the messages of the script's SUBSCRIBE statements until interrupted.
    #[arg(long)]
    follow: bool,
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
    match cli.command {
        Command::Sql(args) => runtime.block_on(sql(args)),
    }
}

async fn sql(args: SqlArgs) -> ExitCode {
    let Some(db) = args.db.or_else(tidepool_engine::default_database_dir) else {
        eprintln!("error: no --db given and no home folder to put the default database in");
        return ExitCode::FAILURE;
    };
    let engine = match Engine::open(&db) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let actor = match args.user {
        Some(user) if !user.is_empty() => Actor::User(user),
        _ => Actor::Admin,
    };
    let session = engine.session(actor).with_file_access(args.file_access);
    let printer = Printer::new(args.format);
    let script = if let Some(command) = args.command {
        command
    } else if let Some(file) = args.file {
        match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        }
    } else if std::io::stdin().is_terminal() {
        return repl::run(&session, &printer).await;
    } else {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return ExitCode::FAILURE;
        }
        text
    };
    let mut watchers = Watchers::new();
    let ok = run_script(&session, &printer, &script, &mut watchers).await;
    if args.follow && ok && !watchers.is_empty() {
        watchers.follow().await;
    } else {
        watchers.finish(&engine).await;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the statements in order, printing each result as it completes; stops at the
/// first error (earlier statements stay committed). Returns whether all succeeded.
pub(crate) async fn run_script(session: &Session, printer: &Printer, script: &str, watchers: &mut Watchers) -> bool {
    let statements = match session.split(script) {
        Ok(statements) => statements,
        Err(e) => {
            print_error(&e, script);
            return false;
        }
    };
    for statement in statements {
        let started = std::time::Instant::now();
        match session.execute_statement(&statement).await {
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
