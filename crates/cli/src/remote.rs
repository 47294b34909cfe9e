//! A client of a running server's local API: SQL over HTTP(S), live queries over a
//! WebSocket (ws:// or wss://, as the server URL's scheme says).

use std::path::Path;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

use crate::tls;

/// The answer of `POST /v1/sql`: each statement's result, and the error that stopped
/// the script if one did.
pub struct SqlAnswer {
    pub results: Vec<Json>,
    /// How long each statement took on the server.
    pub elapsed_ms: Vec<f64>,
    pub error: Option<Json>,
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
    /// Asked of the server for each statement (`timeout_ms`).
    pub timeout: Option<std::time::Duration>,
}

impl Remote {
    /// `server` is `http://host:port`, `https://host:port` (or `ws://`, `wss://`), or
    /// just `host:port` for plain HTTP. `ca_cert` is the certificate file to trust for
    /// https:// instead of the system's roots.
    pub fn new(server: &str, token: Option<String>, ca_cert: Option<&Path>) -> Result<Remote, String> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err("--server needs a token: pass --token or set TIDEPOOL_TOKEN".into());
        };
        let (secure, rest) = match server.split_once("://") {
            Some(("http" | "ws", rest)) => (false, rest),
            Some(("https" | "wss", rest)) => (true, rest),
            Some((scheme, _)) => {
                return Err(format!(
                    "cannot reach {server}: the local API speaks http:// or https:// (got {scheme}://)"
                ))
            }
            None => (false, server),
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("--server must be http(s)://HOST:PORT, got '{server}'"));
        }
        if !secure && ca_cert.is_some() {
            return Err(format!(
                "--ca-cert is for servers that speak TLS, but {server} is plain http://; use https://"
            ));
        }
        // One TLS configuration for both clients (the HTTP client needs one even for
        // plain http://).
        let config = if secure {
            tls::client_config(ca_cert)?
        } else {
            tls::plain_http_config()?
        };
        let http = reqwest::Client::builder()
            // The token must not go to a proxy from the environment: the client talks
            // to the server it was given.
            .no_proxy()
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
            timeout: None,
        })
    }

    pub async fn sql(&self, sql: &str, user: Option<&str>) -> Result<SqlAnswer, String> {
        self.sql_with(sql, user, None).await
    }

    /// `sql` with one more field of the request (`params` or `batch`).
    pub async fn sql_with(
        &self,
        sql: &str,
        user: Option<&str>,
        extra: Option<(&str, Json)>,
    ) -> Result<SqlAnswer, String> {
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
        let url = format!("{}/v1/sql", self.base);
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| match tls::certificate_refused(&e) {
                Some(refused) => tls::refused_text(&url, refused),
                None if self.tls.is_none() && not_http(&e) => format!(
                    "the server at {url} did not answer in HTTP ({}); if it serves TLS, use https://",
                    causes(&e)
                ),
                None => format!("cannot reach the server at {url}: {}", causes(&e)),
            })?;
        let status = response.status();
        let answer: Json = response
            .json()
            .await
            .map_err(|e| format!("the server at {url} answered {status} with something that is not JSON: {e}"))?;
        let results = answer.get("results").and_then(Json::as_array).cloned();
        let error = answer.get("error").cloned();
        let elapsed_ms = answer["elapsed_ms"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_f64).collect())
            .unwrap_or_default();
        match (results, error) {
            (None, Some(error)) => Err(error_text(&error)),
            (Some(results), error) => Ok(SqlAnswer {
                results,
                elapsed_ms,
                error,
            }),
            (None, None) => Err(format!("the server at {url} answered {status} without results")),
        }
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
        let mut request = url.as_str().into_client_request().map_err(|e| e.to_string())?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| "the token has characters a header cannot carry".to_string())?;
        request.headers_mut().insert("authorization", bearer);
        let connector = self.tls.clone().map(Connector::Rustls);
        let (mut socket, _) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector)
            .await
            .map_err(|e| refused(&url, e))?;
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
fn causes(error: &dyn std::error::Error) -> String {
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

/// The `error` object of an answer as one line.
pub fn error_text(error: &Json) -> String {
    let message = error["message"].as_str().unwrap_or("unknown error");
    match error["code"].as_str() {
        Some("unauthorized") => format!("{message} (the server refused the token)"),
        _ => message.to_string(),
    }
}

fn refused(url: &str, error: tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<Json>(b).ok())
                .map(|b| error_text(&b["error"]))
                .unwrap_or_default();
            format!("the server at {url} refused: {} {body}", response.status())
        }
        other => match tls::certificate_refused(&other) {
            Some(refused) => tls::refused_text(url, refused),
            None => format!("cannot reach the server at {url}: {other}"),
        },
    }
}
