//! `GET /v1/live`: live queries over a WebSocket.
//!
//! The client sends `{"type":"subscribe","id":"<its id>","sql":"SELECT ...",
//! "from_seq"?:N,"user"?:"..."}` and `{"type":"unsubscribe","id":"..."}`. The server
//! sends the subscription protocol of DESIGN §3 — `subscribed`, `snapshot`,
//! `changes`, `resync`, `error`, `closed` — one JSON text frame per message, each with
//! the client's `id`. A request the server cannot act on gets `{"type":"error",
//! "code", "message"}` (with the `id` when it had one), and the connection goes on.
//!
//! Each subscription is a task that forwards its messages into one bounded outbox per
//! connection; one writer task sends the outbox to the socket. A client that reads
//! slowly fills the outbox, the subscription tasks wait, and the engine sends those
//! subscriptions to `resync` — memory stays bounded and writers never wait.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use tidepool_engine::{LiveMessage, TokenInfo};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::guard::acting_as;
use crate::server::Shared;

/// Frames waiting for a slow client before its subscriptions stop being read.
const OUTBOX_FRAMES: usize = 64;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Subscribe {
        id: String,
        sql: String,
        from_seq: Option<u64>,
        user: Option<String>,
    },
    Unsubscribe {
        id: String,
    },
}

pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Extension(token): Extension<TokenInfo>,
    ws: WebSocketUpgrade,
) -> Response {
    let limit = shared.config.max_request_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| connection(socket, shared, token))
}

struct Connection {
    shared: Arc<Shared>,
    token: TokenInfo,
    outbox: mpsc::Sender<String>,
    /// Live subscriptions by client id, each with a number that tells it from an
    /// earlier one under the same id; dropping the sender stops it.
    subscriptions: HashMap<String, (u64, oneshot::Sender<()>)>,
    started: u64,
    /// Subscriptions that ended on their own (closed, failed).
    ended: mpsc::UnboundedSender<(String, u64)>,
}

async fn connection(socket: WebSocket, shared: Arc<Shared>, token: TokenInfo) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<String>(OUTBOX_FRAMES);
    let mut shutdown = shared.shutdown.clone();
    let writer = tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            if sink.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: 1001,
                reason: "server shutting down".into(),
            })))
            .await;
    });
    let (ended, mut ended_ids) = mpsc::unbounded_channel();
    let mut this = Connection {
        shared,
        token,
        outbox,
        subscriptions: HashMap::new(),
        started: 0,
        ended,
    };
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => this.handle(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => {
                    this.reply_error(None, "bad_message", "binary frames are not understood; send JSON text").await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            Some((id, number)) = ended_ids.recv() => {
                if this.subscriptions.get(&id).is_some_and(|(n, _)| *n == number) {
                    this.subscriptions.remove(&id);
                }
            }
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => break,
        }
    }
    // Stops every subscription; the writer ends once they have let go of the outbox.
    drop(this);
    let _ = writer.await;
}

impl Connection {
    async fn handle(&mut self, text: &str) {
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(e) => {
                let id = serde_json::from_str::<Json>(text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Json::as_str).map(str::to_string));
                let message = format!(
                    "expected {{\"type\":\"subscribe\",\"id\":...,\"sql\":...}} or {{\"type\":\"unsubscribe\",\"id\":...}}: {e}"
                );
                return self.reply_error(id.as_deref(), "bad_message", &message).await;
            }
        };
        match message {
            ClientMessage::Subscribe {
                id,
                sql,
                from_seq,
                user,
            } => self.subscribe(id, sql, from_seq, user).await,
            ClientMessage::Unsubscribe { id } => {
                if self.subscriptions.remove(&id).is_none() {
                    self.reply_error(
                        Some(&id),
                        "not_found",
                        &format!("no subscription '{id}' on this connection"),
                    )
                    .await;
                }
            }
        }
    }

    async fn subscribe(&mut self, id: String, sql: String, from_seq: Option<u64>, user: Option<String>) {
        if id.is_empty() {
            return self
                .reply_error(None, "bad_message", "a subscription needs a non-empty \"id\"")
                .await;
        }
        if self.subscriptions.contains_key(&id) {
            let message = format!("subscription id '{id}' is already in use on this connection");
            return self.reply_error(Some(&id), "duplicate_id", &message).await;
        }
        let limit = self.shared.config.max_subscriptions;
        if self.subscriptions.len() >= limit {
            let message = format!("this connection already has {limit} subscriptions, the most it may hold");
            return self.reply_error(Some(&id), "too_many_subscriptions", &message).await;
        }
        let actor = match acting_as(&self.token, user.as_deref()) {
            Ok(actor) => actor,
            Err(e) => return self.reply(Some(&id), &e).await,
        };
        let (stop, stopped) = oneshot::channel();
        self.started += 1;
        let number = self.started;
        self.subscriptions.insert(id.clone(), (number, stop));
        let session = self.shared.engine.session(actor);
        let (outbox, ended) = (self.outbox.clone(), self.ended.clone());
        let shared = self.shared.clone();
        tokio::spawn(async move {
            forward(session, &id, &sql, from_seq, outbox, stopped).await;
            let _ = ended.send((id, number));
            drop(shared); // See `Server::stop`.
        });
    }

    async fn reply_error(&self, id: Option<&str>, code: &'static str, message: &str) {
        let error = ApiError::new(axum::http::StatusCode::BAD_REQUEST, code, message);
        self.reply(id, &error).await;
    }

    async fn reply(&self, id: Option<&str>, error: &ApiError) {
        let _ = self.outbox.send(error_frame(id, error)).await;
    }
}

/// One subscription: subscribe, then forward its messages until it closes, the client
/// unsubscribes or the connection ends.
async fn forward(
    session: tidepool_engine::Session,
    id: &str,
    sql: &str,
    from_seq: Option<u64>,
    outbox: mpsc::Sender<String>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut subscription = match session.subscribe_from(sql, from_seq).await {
        Ok(subscription) => subscription,
        Err(e) => {
            let _ = outbox.send(error_frame(Some(id), &ApiError::engine(&e, None))).await;
            return;
        }
    };
    loop {
        tokio::select! {
            message = subscription.recv() => {
                let Some(message) = message else { return };
                let last = matches!(message, LiveMessage::Closed { .. });
                if outbox.send(frame(id, &message)).await.is_err() || last {
                    return;
                }
            }
            _ = &mut stopped => {
                let closed = LiveMessage::Closed {
                    subscription: subscription.id().to_string(),
                    reason: "unsubscribed".into(),
                };
                drop(subscription);
                let closed = frame(id, &closed);
                let _ = outbox.send(closed).await;
                return;
            }
        }
    }
}

/// A subscription message with the client's id first, its own fields in protocol
/// order after it.
fn frame(id: &str, message: &LiveMessage) -> String {
    let body = serde_json::to_string(message).unwrap_or_else(|e| {
        json!({ "type": "error", "subscription": message.subscription(), "message": e.to_string() }).to_string()
    });
    with_id(Some(id), &body)
}

fn error_frame(id: Option<&str>, error: &ApiError) -> String {
    // The error object always has fields: `code` and `message`.
    let fields = error.body().to_string();
    with_id(id, &format!("{{\"type\":\"error\",{}", &fields[1..]))
}

/// `{"id":<id>,` followed by the fields of the JSON object `body`.
fn with_id(id: Option<&str>, body: &str) -> String {
    match (id, body.strip_prefix('{')) {
        (Some(id), Some(rest)) => {
            let comma = if rest == "}" { "" } else { "," };
            format!("{{\"id\":{}{comma}{rest}", Json::from(id))
        }
        _ => body.to_string(),
    }
}
