//! `tidepool serve`: the local API for a database directory, until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use tidepool_engine::Engine;
use tidepool_server::{Config, Server, Tls, DEFAULT_PORT};

/// The label of the admin token `tidepool serve` creates on its first start on a
/// database (and never again: a lost or revoked one is replaced with `tidepool token`).
const ADMIN_LABEL: &str = "tidepool serve";

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The database directory (created if missing); the app's default database when omitted.
    #[arg(long)]
    db: Option<PathBuf>,
    /// The address to listen on. Anything but loopback lets other machines connect.
    #[arg(long, default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    listen: SocketAddr,
    /// A browser origin (scheme://host[:port]) allowed to call the API; repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// A host name requests may address the server by, besides its address and
    /// localhost; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// The largest request body or WebSocket message, in bytes.
    #[arg(long, default_value_t = Config::default().max_request_bytes)]
    max_request_bytes: usize,
    /// The largest file a client may import (POST /v1/import; Tidepool Studio's import
    /// into a server), in bytes.
    #[arg(long, default_value_t = Config::default().max_import_bytes)]
    max_import_bytes: u64,
    /// Live subscriptions one WebSocket connection may hold.
    #[arg(long, default_value_t = Config::default().max_subscriptions)]
    max_subscriptions: usize,
    /// fsync every commit before it is acknowledged: survives power loss, not only the
    /// process being killed (slower).
    #[arg(long)]
    sync: bool,
    /// The most often a live query that is re-evaluated (a shape not kept
    /// incrementally: window functions, subqueries, UNION, ...) runs again while
    /// commits touch its tables, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    reevaluate_ms: u64,
    /// The longest a statement may run, in milliseconds; a request's `timeout_ms` can
    /// only ask for less. Stopped statements have written nothing.
    #[arg(long = "timeout", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: Option<u64>,
    /// Serve HTTPS and WSS with this PEM certificate chain (the server's certificate
    /// first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> Result<ExitCode, String> {
    // A wrong certificate or key stops the start before the database is opened.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::from_pem_files(cert, key).map_err(|e| e.to_string())?),
        _ => None,
    };
    let db = args
        .db
        .or_else(tidepool_engine::default_database_dir)
        .ok_or("no --db given and no home folder to put the default database in")?;
    let options = tidepool_engine::EngineOptions {
        sync_writes: args.sync,
        live_reevaluate_interval: std::time::Duration::from_millis(args.reevaluate_ms),
        statement_timeout: args.timeout_ms.map(std::time::Duration::from_millis),
        ..Default::default()
    };
    let engine = Engine::open_with(&db, options).map_err(|e| e.to_string())?;
    let config = Config {
        listen: args.listen,
        allowed_origins: args.allowed_origins,
        allowed_hosts: args.allowed_hosts,
        max_request_bytes: args.max_request_bytes,
        max_import_bytes: args.max_import_bytes,
        max_subscriptions: args.max_subscriptions,
        tls,
    };
    let server = start(engine, config).await?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    crate::signal::stopped().await;
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Serves `engine` as `config` says, printing the admin token on the database's first
/// serve and where it listens (`tidepool serve`, `tidepool demo --listen`).
pub async fn start(engine: Engine, config: Config) -> Result<Server, String> {
    if engine.first_time("serve").map_err(|e| e.to_string())? {
        let (_, token) = engine.create_token(None, ADMIN_LABEL).map_err(|e| e.to_string())?;
        println!("admin token: {token}");
        println!("(shown once and stored only as a hash; make more with `tidepool token create`)");
    }
    if !config.is_loopback() {
        let transport = if config.tls.is_some() {
            "over TLS"
        } else {
            "in plain HTTP, tokens and rows readable on the network (serve TLS with --tls-cert and --tls-key)"
        };
        eprintln!(
            "warning: listening on {}, which other machines can reach; every request still needs a token, sent {transport}",
            config.listen
        );
    }
    let db = engine.path().to_path_buf();
    let listen = config.listen;
    let server = Server::start(engine, config)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    println!("serving {} on {}", db.display(), server.url());
    Ok(server)
}
