//! A server for the live-pane measurement's remote runs (`scripts/bench-ui`): a
//! `tidepool_server::Server` on loopback on a fresh database in a temporary folder,
//! and beside it, in the same process, the paced writer the app runs for its local
//! runs (`tidepool_demo::Paced`), writing into the engine the server serves at the
//! paced rate, one change per commit. A client's HTTP statements could not pace
//! 10,000 commits a second honestly; this writer pays what the app's does, so a remote
//! pane and a local one watch the same stream.
//!
//! ```text
//! bench_server "table=bench.items rate=10000 seconds=5 start=FILE report=FILE"
//! ```
//!
//! It creates the table (`id BIGINT PRIMARY KEY, grp TEXT, v BIGINT`), prints one line
//! `url=http://127.0.0.1:PORT token=TOKEN` (an admin token it made) — the value of the
//! app's `TIDEPOOL_STUDIO_BENCH_SERVER` — and writes once the start file exists,
//! reporting to the report file as the app's writer does. It serves until its standard
//! input closes, then stops and removes the database.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use tidepool_demo::Paced;
use tidepool_engine::{Actor, Engine};
use tidepool_server::{Config, Server};

// The allocator `tidepool serve` and the app use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let spec = std::env::args()
        .nth(1)
        .ok_or("usage: bench_server \"table=ns.t rate=N seconds=S start=FILE report=FILE\"")?;
    let paced = Paced::parse(&spec);
    let (namespace, _) = paced
        .table
        .split_once('.')
        .ok_or(format!("table {} must be written namespace.table", paced.table))?;
    let dir = tempfile::Builder::new()
        .prefix("tidepool-bench-server-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let engine = Engine::open(dir.path()).map_err(|e| e.to_string())?;
    engine
        .session(Actor::Admin)
        .execute(&format!(
            "CREATE NAMESPACE IF NOT EXISTS {namespace}; \
             CREATE TABLE IF NOT EXISTS {} (id BIGINT PRIMARY KEY, grp TEXT, v BIGINT)",
            paced.table
        ))
        .await
        .map_err(|e| e.to_string())?;
    let (_, token) = engine.create_token(None, "bench_server").map_err(|e| e.to_string())?;
    let config = Config {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ..Config::default()
    };
    let server = Server::start(engine.clone(), config).await.map_err(|e| e.to_string())?;
    println!("url={} token={token}", server.url());
    let _ = std::io::stdout().flush();
    let writer = std::thread::spawn(move || paced.run(&engine));
    // Serve until whoever started us closes our standard input (or ends).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    server.stop().await;
    if writer.is_finished() {
        writer
            .join()
            .map_err(|_| "the writer panicked".to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
