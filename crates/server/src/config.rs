//! What the operator decides: where to listen, which browser origins and host names
//! may talk to the server, and how much one client may ask for.

use std::net::{Ipv4Addr, SocketAddr};

use crate::tls::Tls;

/// The port `tidepool serve` and the app listen on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7447;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; loopback unless the operator chose otherwise.
    pub listen: SocketAddr,
    /// Browser origins (`scheme://host[:port]`) allowed to call the API. Requests
    /// without an `Origin` header (scripts, the CLI) need only a token.
    pub allowed_origins: Vec<String>,
    /// Extra names the `Host` header may carry besides the bound address and
    /// `localhost` (e.g. a machine name when listening on all interfaces).
    pub allowed_hosts: Vec<String>,
    /// Largest request body or WebSocket message, in bytes.
    pub max_request_bytes: usize,
    /// Largest file a client may import (`POST /v1/import`), in bytes.
    pub max_import_bytes: u64,
    /// Live subscriptions one WebSocket connection may hold at once.
    pub max_subscriptions: usize,
    /// Serve HTTPS and WSS with this certificate instead of plain HTTP and WS.
    pub tls: Option<Tls>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_request_bytes: 1 << 20,
            max_import_bytes: 4 << 30,
            max_subscriptions: 64,
            tls: None,
        }
    }
}

impl Config {
    /// Whether only this machine can connect.
    pub fn is_loopback(&self) -> bool {
        self.listen.ip().is_loopback()
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}
