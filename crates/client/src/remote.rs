//! The HTTP side of the client: a server's status and catalog, SQL and its cancel.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tidepool_engine::{ImportReport, NamespaceSummary};
use tidepool_server::ImportRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::error::{ClientError, ErrorKind};
use crate::live::LiveSocket;
use crate::tls;

/// How long connecting to the server may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer of `POST /v1/sql`: each statement's result, and the error that stopped
/// the script if one did.
pub struct SqlAnswer {
    pub results: Vec<Json>,
    /// How long each statement took on the server.
    pub elapsed_ms: Vec<f64>,
    pub error: Option<Json>,
    /// The database's last commit once the script ended (at or after its own).
    pub last_seq: u64,
}

/// The body of `POST /v1/sql`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SqlRequest {
    pub sql: String,
    /// Act as this user (admin tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `sql` is one statement with parameters `$1` … `$n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<Json>>,
    /// One run per parameter row, in one transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<Vec<Vec<Json>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Names the request for [`Remote::cancel`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Status {
    pub version: String,
    /// Where the database is on the server's machine.
    pub database: String,
    pub last_seq: u64,
    /// `admin`, or the user the token acts as.
    pub acting_as: String,
    /// The token is an admin's (it may act as any user).
    pub is_admin: bool,
}

/// `GET /v1/catalog`: the engine's summary of every namespace and table.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    pub last_seq: u64,
    pub namespaces: Vec<NamespaceSummary>,
}

pub struct Remote {
    /// `http://host:port` or `https://host:port`.
    base: String,
    /// The same server's `ws://` or `wss://` live endpoint.
    live: String,
    /// How certificates are checked when the server speaks TLS.
    tls: Option<Arc<rustls::ClientConfig>>,
    token: String,
    http: reqwest::Client,
    /// What messages call the CA certificate file ("--ca-cert").
    ca_name: String,
    /// Asked of the server for each statement (`timeout_ms`).
    pub timeout: Option<Duration>,
}

impl Remote {
    /// `server` is `http://host:port`, `https://host:port` (or `ws://`, `wss://`), or
    /// just `host:port` for plain HTTP. `ca_cert` is the certificate file to trust for
    /// https:// instead of the system's roots; messages call it `ca_name`.
    pub fn new(server: &str, token: String, ca_cert: Option<&Path>, ca_name: &str) -> Result<Remote, String> {
        if token.is_empty() {
            return Err("no token given: the server needs one".into());
        }
        let (secure, rest) = match server.trim().split_once("://") {
            Some(("http" | "ws", rest)) => (false, rest),
            Some(("https" | "wss", rest)) => (true, rest),
            Some((scheme, _)) => {
                return Err(format!(
                    "cannot reach {server}: the local API speaks http:// or https:// (got {scheme}://)"
                ))
            }
            None => (false, server.trim()),
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("the server must be http(s)://HOST:PORT, got '{server}'"));
        }
        if !secure && ca_cert.is_some() {
            return Err(format!(
                "{ca_name} is for servers that speak TLS, but {server} is plain http://; use https://"
            ));
        }
        // One TLS configuration for both clients (the HTTP client needs one even for
        // plain http://).
        let config = if secure {
            tls::client_config(ca_cert, ca_name)?
        } else {
            tls::plain_http_config()?
        };
        let http = reqwest::Client::builder()
            // The token must not go to a proxy from the environment: the client talks
            // to the server it was given.
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .tls_backend_preconfigured(config.clone())
            .build()
            .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
        let (http_scheme, ws_scheme) = if secure { ("https", "wss") } else { ("http", "ws") };
        Ok(Remote {
            base: format!("{http_scheme}://{authority}"),
            live: format!("{ws_scheme}://{authority}/v1/live"),
            tls: secure.then(|| Arc::new(config)),
            token,
            http,
            ca_name: ca_name.to_string(),
            timeout: None,
        })
    }

    /// `http(s)://host:port`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Who the token acts as, and the database's last commit.
    pub async fn status(&self) -> Result<Status, ClientError> {
        let answer = self.get("/v1/status").await?;
        serde_json::from_value(answer).map_err(|e| self.not_tidepool("/v1/status", e))
    }

    /// Every namespace and table, with definitions and row counts.
    pub async fn catalog(&self) -> Result<Catalog, ClientError> {
        let answer = self.get("/v1/catalog").await?;
        serde_json::from_value(answer).map_err(|e| self.not_tidepool("/v1/catalog", e))
    }

    pub async fn sql(&self, sql: &str, user: Option<&str>) -> Result<SqlAnswer, ClientError> {
        self.sql_with(sql, user, None).await
    }

    /// `sql` with one more field of the request (`params` or `batch`).
    pub async fn sql_with(
        &self,
        sql: &str,
        user: Option<&str>,
        extra: Option<(&str, Json)>,
    ) -> Result<SqlAnswer, ClientError> {
        let mut body = json!({ "sql": sql });
        if let Some((name, value)) = extra {
            body[name] = value;
        }
        if let Some(user) = user {
            body["user"] = json!(user);
        }
        if let Some(timeout) = self.timeout {
            body["timeout_ms"] = json!(timeout.as_millis().max(1) as u64);
        }
        self.post_sql(&body).await
    }

    /// Runs a request as given (its own timeout, request id, ...).
    pub async fn run(&self, request: &SqlRequest) -> Result<SqlAnswer, ClientError> {
        let body = serde_json::to_value(request).map_err(|e| ClientError::new(ErrorKind::Request, e.to_string()))?;
        self.post_sql(&body).await
    }

    /// Stops the running request named `request_id` (a write too: what it stops
    /// writes nothing, and that request answers `cancelled`). Whether it was running.
    pub async fn cancel(&self, request_id: &str) -> Result<bool, ClientError> {
        let url = format!("{}/v1/cancel", self.base);
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(&json!({ "request_id": request_id }))
            .send()
            .await
            .map_err(|e| self.send_error(&url, &e))?;
        let answer = self.answer(&url, response).await?;
        Ok(answer["cancelled"].as_bool().unwrap_or(false))
    }

    async fn post_sql(&self, body: &Json) -> Result<SqlAnswer, ClientError> {
        let url = format!("{}/v1/sql", self.base);
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(|e| self.send_error(&url, &e))?;
        let status = response.status();
        let answer: Json = response.json().await.map_err(|e| {
            ClientError::new(
                ErrorKind::NotTidepool,
                format!("the server at {url} answered {status} with something that is not JSON: {e}"),
            )
        })?;
        let results = answer.get("results").and_then(Json::as_array).cloned();
        let error = answer.get("error").cloned();
        let elapsed_ms = answer["elapsed_ms"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_f64).collect())
            .unwrap_or_default();
        match (results, error) {
            (None, Some(error)) => Err(ClientError::from_body(error)),
            (Some(results), error) => Ok(SqlAnswer {
                results,
                elapsed_ms,
                error,
                last_seq: answer["last_seq"].as_u64().unwrap_or(0),
            }),
            (None, None) => Err(ClientError::new(
                ErrorKind::NotTidepool,
                format!("the server at {url} answered {status} without results"),
            )),
        }
    }

    async fn get(&self, path: &str) -> Result<Json, ClientError> {
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.send_error(&url, &e))?;
        self.answer(&url, response).await
    }

    /// A JSON answer, or its error object as an error.
    async fn answer(&self, url: &str, response: reqwest::Response) -> Result<Json, ClientError> {
        let status = response.status();
        let answer: Json = response.json().await.map_err(|e| {
            ClientError::new(
                ErrorKind::NotTidepool,
                format!("the server at {url} answered {status} with something that is not a Tidepool answer: {e}"),
            )
        })?;
        match answer.get("error") {
            Some(error) if !status.is_success() => Err(ClientError::from_body(error.clone())),
            _ if !status.is_success() => Err(ClientError::new(
                ErrorKind::NotTidepool,
                format!("the server at {url} answered {status}"),
            )),
            _ => Ok(answer),
        }
    }

    fn not_tidepool(&self, path: &str, e: serde_json::Error) -> ClientError {
        ClientError::new(
            ErrorKind::NotTidepool,
            format!("{}{path} did not answer as a Tidepool server does: {e}", self.base),
        )
    }

    fn send_error(&self, url: &str, e: &reqwest::Error) -> ClientError {
        match tls::certificate_refused(e) {
            Some(refused) => ClientError::new(ErrorKind::Certificate, tls::refused_text(url, refused, &self.ca_name)),
            None if self.tls.is_none() && not_http(e) => ClientError::new(
                ErrorKind::NotTidepool,
                format!(
                    "the server at {url} did not answer in HTTP ({}); if it serves TLS, use https://",
                    causes(e)
                ),
            ),
            None => ClientError::new(
                ErrorKind::Unreachable,
                format!("cannot reach the server at {url}: {}", causes(e)),
            ),
        }
    }

    /// Runs `sql` on the server and answers the file the engine wrote of its rows in
    /// `format` (`csv`, `json`, `parquet`), with the row count.
    pub async fn export(&self, sql: &str, format: &str, user: Option<&str>) -> Result<(Vec<u8>, u64), ClientError> {
        let url = format!("{}/v1/export", self.base);
        let mut body = json!({ "sql": sql, "format": format });
        if let Some(user) = user {
            body["user"] = json!(user);
        }
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.send_error(&url, &e))?;
        if !response.status().is_success() {
            return Err(self.answer(&url, response).await.err().unwrap_or_else(|| {
                ClientError::new(
                    ErrorKind::NotTidepool,
                    format!("the server at {url} answered without a file"),
                )
            }));
        }
        let rows = response
            .headers()
            .get(tidepool_server::EXPORT_ROWS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                ClientError::new(
                    ErrorKind::NotTidepool,
                    format!("the server at {url} did not count the rows"),
                )
            })?;
        let file = response.bytes().await.map_err(|e| self.send_error(&url, &e))?;
        Ok((file.to_vec(), rows))
    }

    /// Sends the file at `path` to be imported as `request` says; `sent` counts the
    /// bytes sent so far. Answers the engine's report.
    pub async fn import(
        &self,
        request: &ImportRequest,
        path: &Path,
        sent: Arc<std::sync::atomic::AtomicU64>,
    ) -> Result<ImportReport, ClientError> {
        let url = format!("{}/v1/import", self.base);
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| ClientError::new(ErrorKind::Request, format!("cannot read {}: {e}", path.display())))?;
        let mut line = serde_json::to_vec(request).map_err(|e| ClientError::new(ErrorKind::Request, e.to_string()))?;
        line.push(b'\n');
        let first = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(line)) });
        let chunks = futures::stream::unfold(file, |mut file| async move {
            use tokio::io::AsyncReadExt;
            let mut buffer = vec![0u8; 256 << 10];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(bytes::Bytes::from(buffer)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        })
        .inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                sent.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .body(reqwest::Body::wrap_stream(first.chain(chunks)))
            .send()
            .await
            .map_err(|e| self.send_error(&url, &e))?;
        let answer = self.answer(&url, response).await?;
        serde_json::from_value(answer).map_err(|e| self.not_tidepool("/v1/import", e))
    }

    /// Opens a live connection; subscriptions are made on it.
    pub async fn live(&self) -> Result<LiveSocket, ClientError> {
        LiveSocket::connect(&self.live, &self.token, self.tls.clone(), &self.ca_name).await
    }

    /// Subscribes and calls `each` with every message (its JSON text, as sent) until the
    /// subscription closes. Returns whether it ended without an error.
    pub async fn subscribe(
        &self,
        sql: &str,
        user: Option<&str>,
        from_seq: Option<u64>,
        mut each: impl FnMut(&str),
    ) -> Result<bool, String> {
        let url = self.live.clone();
        let mut socket = self.live().await?.into_inner();
        let mut subscribe = json!({ "type": "subscribe", "id": "cli", "sql": sql });
        if let Some(user) = user {
            subscribe["user"] = json!(user);
        }
        if let Some(seq) = from_seq {
            subscribe["from_seq"] = json!(seq);
        }
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        let mut failed = false;
        while let Some(frame) = socket.next().await {
            let text = match frame.map_err(|e| format!("the connection to {url} broke: {e}"))? {
                Message::Text(text) => text,
                Message::Close(_) => return Err(format!("the server at {url} closed the connection")),
                _ => continue,
            };
            let message: Json = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            each(text.as_str());
            match message["type"].as_str() {
                Some("closed") => return Ok(!failed),
                // Before the subscription started (bad SQL, refused): nothing follows.
                Some("error") if message.get("subscription").is_none() => return Ok(false),
                Some("error") => failed = true,
                _ => {}
            }
        }
        Err(format!("the server at {url} closed the connection"))
    }
}

/// An error with the errors that caused it ("error sending request: ... Connection
/// refused"), which reqwest keeps apart.
pub(crate) fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether the server answered with bytes that are not HTTP at all (as a TLS server
/// does to a plain request: it sends a TLS alert).
fn not_http(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse) {
            return true;
        }
        current = error.source();
    }
    false
}
