//! Binding, routing and stopping the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::serve::Listener;
use axum::{Extension, Json, Router};
use serde_json::json;
use tidepool_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::guard::Authenticated;
use crate::tls::TlsListener;
use crate::{catalog, files, guard, live, sql};

/// What every handler sees.
pub struct Shared {
    pub engine: Engine,
    pub config: Config,
    /// The address actually bound (the port is known even when 0 was asked for).
    pub address: SocketAddr,
    /// Turns true when the server stops; open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
    /// One SQL session per user acting, shared by that user's requests: a session is
    /// costly to build, and keeps the plans of the statements it ran.
    sessions: std::sync::Mutex<std::collections::HashMap<tidepool_engine::Actor, Arc<tidepool_engine::Session>>>,
    /// Requests under way that named a `request_id`, by token and id, for
    /// `POST /v1/cancel`.
    pub running: std::sync::Mutex<std::collections::HashMap<(String, String), tidepool_engine::CancelHandle>>,
}

/// Sessions kept; past it the server starts over (each holds a DataFusion context).
const SESSIONS_KEPT: usize = 256;

impl Shared {
    /// The session `actor`'s requests share.
    pub fn session(&self, actor: tidepool_engine::Actor) -> Arc<tidepool_engine::Session> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(session) = sessions.get(&actor) {
            return session.clone();
        }
        if sessions.len() >= SESSIONS_KEPT {
            sessions.clear();
        }
        let session = Arc::new(self.engine.session(actor.clone()));
        sessions.insert(actor, session.clone());
        session
    }
}

/// A running server; [`Server::stop`] ends it and closes its connections.
pub struct Server {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Held by every connection and subscription task, which hold the engine: once
    /// only this one is left, the database is free to close.
    shared: Arc<Shared>,
}

impl Server {
    /// Binds `config.listen` and serves `engine` until stopped. Must be called inside a
    /// tokio runtime.
    pub async fn start(engine: Engine, config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        let (stop, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared {
            engine,
            config,
            address,
            shutdown: shutdown.clone(),
            sessions: std::sync::Mutex::default(),
            running: std::sync::Mutex::default(),
        });
        let app = Router::new()
            .route("/v1/sql", post(sql::run))
            .route("/v1/live", get(live::upgrade))
            .route("/v1/cancel", post(sql::cancel))
            .route("/v1/export", post(files::export))
            // An import's file streams to disk under its own limit (`max_import_bytes`).
            .route("/v1/import", post(files::import).layer(DefaultBodyLimit::disable()))
            .route("/v1/status", get(status))
            .route("/v1/catalog", get(catalog::catalog))
            .layer(DefaultBodyLimit::max(shared.config.max_request_bytes))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), guard::check))
            .with_state(shared.clone());
        let mut stopping = shutdown;
        let stopped = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let task = match &shared.config.tls {
            Some(tls) => spawn_serve(TlsListener::new(listener, tls)?, app, stopped),
            None => spawn_serve(listener, app, stopped),
        };
        Ok(Server {
            address,
            stop,
            task,
            shared,
        })
    }

    /// The engine it serves.
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where clients reach it: `https://ADDRESS` when it serves TLS, else `http://ADDRESS`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.shared.config.scheme(), self.address)
    }

    /// Stops accepting, closes open WebSockets and waits for requests in flight and
    /// for the connections to let go of the engine (at most a few seconds).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while Arc::strong_count(&self.shared) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// Serves `app` on `listener` in a task until `stopped` completes.
fn spawn_serve<L>(listener: L, app: Router, stopped: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
            eprintln!("local API stopped: {e}");
        }
    })
}

/// `GET /v1/status`: who the token acts as and where the database is.
async fn status(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
) -> Json<serde_json::Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "database": shared.engine.path().display().to_string(),
        "last_seq": shared.engine.last_seq(),
        "acting_as": auth.info.actor().to_string(),
        "is_admin": auth.info.actor() == tidepool_engine::Actor::Admin,
    }))
}
