//! The app's Local API setting (DESIGN §5): off by default; when on, the open database
//! is served to other programs by the same server `tidepool serve` runs, on loopback
//! only. Scripts and the `tidepool` CLI then write to it while the app has it open,
//! and their writes show up live in the panes like any other.
//!
//! The app uses an admin token of its own per database (labelled "Tidepool Studio").
//! The database stores only its hash, so the app keeps the token text in its settings
//! file, readable by the user alone (`private_file.rs`), to show it in the setting.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tidepool_engine::Engine;
use tidepool_server::{Config, Server, DEFAULT_PORT};
use tokio::sync::Mutex;

use crate::error::{IpcError, IpcResult};
use crate::ipc::LocalApiStatus;

const TOKEN_LABEL: &str = "Tidepool Studio";

#[derive(Debug, Serialize, Deserialize)]
struct Settings {
    enabled: bool,
    port: u16,
    /// The app's token text per database directory.
    tokens: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: false,
            port: DEFAULT_PORT,
            tokens: BTreeMap::new(),
        }
    }
}

pub struct LocalApi {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    settings: Settings,
    running: Option<Server>,
    /// The served database's token.
    token: Option<String>,
    /// Why the server is not running although it is enabled.
    error: Option<String>,
}

impl LocalApi {
    /// Reads the setting from `data_dir` (off when there is none, or it is unreadable).
    pub fn new(data_dir: &Path) -> LocalApi {
        let path = data_dir.join("local-api.json");
        let settings = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        LocalApi {
            path,
            state: Mutex::new(State {
                settings,
                running: None,
                token: None,
                error: None,
            }),
        }
    }

    pub async fn status(&self) -> LocalApiStatus {
        status_of(&*self.state.lock().await)
    }

    /// Turns the API on or off (on `port`; 0 picks a free one) for `engine`.
    pub async fn set(&self, engine: Option<Engine>, enabled: bool, port: u16) -> IpcResult<LocalApiStatus> {
        let mut state = self.state.lock().await;
        stop(&mut state).await;
        state.settings.enabled = enabled;
        state.settings.port = port;
        self.save(&state.settings)?;
        if let (true, Some(engine)) = (enabled, engine) {
            self.start(&mut state, engine).await;
        }
        Ok(status_of(&state))
    }

    /// Replaces the app's token for `engine`'s database: the old one stops working.
    pub async fn new_token(&self, engine: &Engine) -> IpcResult<LocalApiStatus> {
        let mut state = self.state.lock().await;
        let key = key_of(engine);
        if let Some(old) = state.settings.tokens.remove(&key) {
            if let Some(info) = engine.authenticate(&old) {
                engine.revoke_token(&info.id)?;
            }
        }
        let token = self.token_for(&mut state.settings, engine)?;
        if state.running.is_some() {
            state.token = Some(token);
        }
        Ok(status_of(&state))
    }

    /// Stops serving (before the app closes its database).
    pub async fn suspend(&self) {
        stop(&mut *self.state.lock().await).await;
    }

    /// Serves `engine` if the setting is on (after the app opened a database, and at
    /// start).
    pub async fn resume(&self, engine: Engine) {
        let mut state = self.state.lock().await;
        stop(&mut state).await;
        if state.settings.enabled {
            self.start(&mut state, engine).await;
        }
    }

    async fn start(&self, state: &mut State, engine: Engine) {
        let token = match self.token_for(&mut state.settings, &engine) {
            Ok(token) => token,
            Err(e) => {
                state.error = Some(format!("cannot make the app's token: {}", e.message));
                return;
            }
        };
        let config = Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, state.settings.port)),
            ..Config::default()
        };
        let listen = config.listen;
        match Server::start(engine, config).await {
            Ok(server) => {
                state.running = Some(server);
                state.token = Some(token);
                state.error = None;
            }
            Err(e) => state.error = Some(format!("cannot listen on {listen}: {e}")),
        }
    }

    /// The app's token for the database, made (and saved) when there is none or it was
    /// revoked.
    fn token_for(&self, settings: &mut Settings, engine: &Engine) -> IpcResult<String> {
        let key = key_of(engine);
        if let Some(token) = settings.tokens.get(&key) {
            if engine.authenticate(token).is_some() {
                return Ok(token.clone());
            }
        }
        let (_, token) = engine.create_token(None, TOKEN_LABEL)?;
        settings.tokens.insert(key, token.clone());
        self.save(settings)?;
        Ok(token)
    }

    fn save(&self, settings: &Settings) -> IpcResult<()> {
        let json = serde_json::to_vec_pretty(settings).map_err(|e| IpcError::new("internal", e.to_string()))?;
        crate::private_file::write(&self.path, &json)
            .map_err(|e| IpcError::new("settings", format!("cannot save {}: {e}", self.path.display())))
    }
}

async fn stop(state: &mut State) {
    if let Some(server) = state.running.take() {
        server.stop().await;
    }
    state.token = None;
    state.error = None;
}

fn status_of(state: &State) -> LocalApiStatus {
    LocalApiStatus {
        enabled: state.settings.enabled,
        port: state.settings.port,
        url: state.running.as_ref().map(|s| format!("http://{}", s.address())),
        token: state.token.clone(),
        error: state.error.clone(),
    }
}

fn key_of(engine: &Engine) -> String {
    engine.path().display().to_string()
}
