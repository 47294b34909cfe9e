//! The live side of the client: one WebSocket to `/v1/live` on which subscriptions
//! are made under ids the client picks, and their messages read back as the engine's
//! `LiveMessage`.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde_json::Value as Json;
use tidepool_engine::LiveMessage;
use tidepool_server::ClientMessage;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::error::{ClientError, ErrorKind};
use crate::remote::causes;
use crate::tls;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One frame from the server.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A subscription's message, under the id the client gave it.
    Live { id: String, message: LiveMessage },
    /// An error about a request (with its id: the subscription did not start) or about
    /// the connection (without: a revoked token, a message the server did not read).
    Error { id: Option<String>, error: ClientError },
}

pub struct LiveSocket {
    socket: Socket,
    url: String,
}

impl LiveSocket {
    pub(crate) async fn connect(
        url: &str,
        token: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
        ca_name: &str,
    ) -> Result<LiveSocket, ClientError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| ClientError::new(ErrorKind::Request, e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ClientError::new(ErrorKind::Request, "the token has characters a header cannot carry"))?;
        request.headers_mut().insert("authorization", bearer);
        let connector = tls.map(Connector::Rustls);
        let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector)
            .await
            .map_err(|e| refused(url, e, ca_name))?;
        Ok(LiveSocket {
            socket,
            url: url.to_string(),
        })
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), ClientError> {
        let text = serde_json::to_string(message).map_err(|e| ClientError::new(ErrorKind::Request, e.to_string()))?;
        self.socket.send(Message::text(text)).await.map_err(|e| self.broke(&e))
    }

    /// The next frame. An error of kind `Unreachable` when the connection ended (the
    /// server stopped, the network broke); the socket is then done. Cancel-safe.
    pub async fn next(&mut self) -> Result<Frame, ClientError> {
        loop {
            let text = match self.socket.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    let why = frame
                        .map(|f| f.reason.to_string())
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| "it closed the connection".into());
                    return Err(ClientError::new(
                        ErrorKind::Unreachable,
                        format!("the server at {} closed the connection: {why}", self.url),
                    ));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(self.broke(&e)),
                None => {
                    return Err(ClientError::new(
                        ErrorKind::Unreachable,
                        format!("the server at {} closed the connection", self.url),
                    ))
                }
            };
            return parse(text.as_str()).map_err(|e| {
                ClientError::new(
                    ErrorKind::NotTidepool,
                    format!("the server at {} sent a frame this client does not read: {e}", self.url),
                )
            });
        }
    }

    /// The WebSocket itself, for a client that reads frames as text.
    pub fn into_inner(self) -> Socket {
        self.socket
    }

    /// Closes the connection politely (its subscriptions end on the server).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    fn broke(&self, e: &tokio_tungstenite::tungstenite::Error) -> ClientError {
        ClientError::new(
            ErrorKind::Unreachable,
            format!("the connection to {} broke: {}", self.url, causes(e)),
        )
    }
}

fn parse(text: &str) -> Result<Frame, serde_json::Error> {
    let mut value: Json = serde_json::from_str(text)?;
    let id = value
        .as_object_mut()
        .and_then(|o| o.remove("id"))
        .and_then(|id| id.as_str().map(str::to_string));
    if value["type"] == "error" && value.get("subscription").is_none() {
        if let Some(fields) = value.as_object_mut() {
            fields.remove("type");
        }
        return Ok(Frame::Error {
            id,
            error: ClientError::from_body(value),
        });
    }
    let message: LiveMessage = serde_json::from_value(value)?;
    Ok(Frame::Live {
        id: id.unwrap_or_default(),
        message,
    })
}

fn refused(url: &str, error: tokio_tungstenite::tungstenite::Error, ca_name: &str) -> ClientError {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<Json>(b).ok())
                .map(|b| b["error"].clone());
            let status = response.status();
            match body {
                Some(body) if body.is_object() => {
                    let mut error = ClientError::from_body(body);
                    error.message = format!("the server at {url} refused: {status} {}", error.message);
                    error
                }
                _ => ClientError::new(ErrorKind::NotTidepool, format!("the server at {url} refused: {status}")),
            }
        }
        other => match tls::certificate_refused(&other) {
            Some(refused) => ClientError::new(ErrorKind::Certificate, tls::refused_text(url, refused, ca_name)),
            None => ClientError::new(
                ErrorKind::Unreachable,
                format!("cannot reach the server at {url}: {other}"),
            ),
        },
    }
}
