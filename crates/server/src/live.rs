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
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tidepool_engine::LiveMessage;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::guard::{acting_as, Authenticated};
use crate::server::Shared;

/// Frames waiting for a slow client before its subscriptions stop being read.
const OUTBOX_FRAMES: usize = 64;

/// What a client sends on `/v1/live`. Public, and serializable, so Rust clients (the
/// soak test) send exactly what the server reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Starts a subscription under the client's `id`; with `from_seq`, resumes from
    /// the seq the client has (only later changes, or `resync` and a snapshot).
    Subscribe {
        id: String,
        sql: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        from_seq: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    /// Ends the subscription `id`; it answers `closed`.
    Unsubscribe { id: String },
}

pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Extension(auth): Extension<Authenticated>,
    ws: WebSocketUpgrade,
) -> Response {
    // Messages up to the limit are read and answered; far larger ones end the
    // connection (close code 1009) before they are buffered.
    let limit = shared.config.max_request_bytes;
    ws.max_message_size(limit.saturating_mul(4))
        .max_frame_size(limit.saturating_mul(4))
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| connection(socket, shared, auth))
}

/// The subprotocol a browser names (with `bearer.<token>`, as it cannot send an
/// Authorization header on a WebSocket); the server selects it.
pub const PROTOCOL: &str = "tidepool";

/// How long one frame may take to go out before the client counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an open connection checks its token is still valid.
const TOKEN_CHECK: Duration = Duration::from_secs(1);

struct Connection {
    shared: Arc<Shared>,
    auth: Authenticated,
    outbox: mpsc::Sender<String>,
    /// Subscriptions by client id. An entry stays until its task has ended (so its
    /// id and its place in the limit are not reused while it still sends); `stop` is
    /// taken when the client unsubscribes.
    subscriptions: HashMap<String, Entry>,
    started: u64,
    ended: mpsc::UnboundedSender<(String, u64)>,
}

struct Entry {
    /// Tells this subscription from an earlier one under the same id.
    number: u64,
    stop: Option<oneshot::Sender<()>>,
}

async fn connection(socket: WebSocket, shared: Arc<Shared>, auth: Authenticated) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut outgoing) = mpsc::channel::<String>(OUTBOX_FRAMES);
    let mut shutdown = shared.shutdown.clone();
    let mut writer = tokio::spawn(async move {
        loop {
            let frame = tokio::select! {
                frame = outgoing.recv() => frame,
                _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => None,
            };
            let Some(frame) = frame else { break };
            // A client that stops reading is dropped rather than holding everything.
            match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(frame.into()))).await {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
        let close = Message::Close(Some(CloseFrame {
            code: 1001,
            reason: "server shutting down".into(),
        }));
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
    });
    let (ended, mut ended_ids) = mpsc::unbounded_channel();
    let mut shutdown = shared.shutdown.clone();
    let mut this = Connection {
        shared,
        auth,
        outbox,
        subscriptions: HashMap::new(),
        started: 0,
        ended,
    };
    let mut token_check = tokio::time::interval(TOKEN_CHECK);
    // The writer ends by itself when a frame could not go out within SEND_TIMEOUT:
    // the connection ends with it, or a client that stalled would find it open but
    // silent forever, its subscriptions gone, instead of closed (and resume).
    let mut writer_ended = false;
    loop {
        tokio::select! {
            // Ended subscriptions first: a client that has seen one's last frame and
            // reuses its id must find it gone.
            biased;
            _ = &mut writer => {
                writer_ended = true;
                break;
            }
            Some((id, number)) = ended_ids.recv() => {
                if this.subscriptions.get(&id).is_some_and(|e| e.number == number) {
                    this.subscriptions.remove(&id);
                }
            }
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => break,
            _ = token_check.tick() => {
                if !this.token_valid() {
                    this.reply_error(None, "unauthorized", "the token was revoked").await;
                    break;
                }
            }
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => this.handle(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => {
                    this.reply_error(None, "bad_message", "binary frames are not understood; send JSON text").await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
        }
    }
    // Stops every subscription; the writer ends once they have let go of the outbox.
    drop(this);
    if !writer_ended {
        let _ = writer.await;
    }
}

impl Connection {
    fn token_valid(&self) -> bool {
        self.shared.engine.authenticate(&self.auth.token).is_some()
    }

    async fn handle(&mut self, text: &str) {
        let limit = self.shared.config.max_request_bytes;
        if text.len() > limit {
            let message = format!("the message is larger than {limit} bytes");
            return self.reply_error(None, "request_too_large", &message).await;
        }
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
            ClientMessage::Unsubscribe { id } => match self.subscriptions.get_mut(&id) {
                // Told to stop, it answers `closed` (dropped with the connection, it
                // stops without a word: the client did not ask it to).
                Some(entry) if entry.stop.is_some() => {
                    if let Some(stop) = entry.stop.take() {
                        let _ = stop.send(());
                    }
                }
                _ => {
                    let message = format!("no subscription '{id}' on this connection");
                    self.reply_error(Some(&id), "not_found", &message).await
                }
            },
        }
    }

    async fn subscribe(&mut self, id: String, sql: String, from_seq: Option<u64>, user: Option<String>) {
        if id.is_empty() {
            return self
                .reply_error(None, "bad_message", "a subscription needs a non-empty \"id\"")
                .await;
        }
        if self.subscriptions.contains_key(&id) {
            let message = format!(
                "subscription id '{id}' is in use on this connection (after unsubscribing, wait for its closed)"
            );
            return self.reply_error(Some(&id), "duplicate_id", &message).await;
        }
        let limit = self.shared.config.max_subscriptions;
        if self.subscriptions.len() >= limit {
            let message = format!("this connection already has {limit} subscriptions, the most it may hold");
            return self.reply_error(Some(&id), "too_many_subscriptions", &message).await;
        }
        if !self.token_valid() {
            return self
                .reply_error(Some(&id), "unauthorized", "the token was revoked")
                .await;
        }
        let actor = match acting_as(&self.auth.info, user.as_deref()) {
            Ok(actor) => actor,
            Err(e) => return self.reply(Some(&id), &e).await,
        };
        let (stop, stopped) = oneshot::channel();
        self.started += 1;
        let number = self.started;
        self.subscriptions.insert(
            id.clone(),
            Entry {
                number,
                stop: Some(stop),
            },
        );
        let session = self.shared.engine.session(actor);
        let outbox = self.outbox.clone();
        let ending = Ending {
            ended: self.ended.clone(),
            id: Some((id.clone(), number)),
            _shared: self.shared.clone(),
        };
        tokio::spawn(forward(session, id, sql, from_seq, outbox, stopped, ending));
    }

    async fn reply_error(&self, id: Option<&str>, code: &'static str, message: &str) {
        let error = ApiError::new(axum::http::StatusCode::BAD_REQUEST, code, message);
        self.reply(id, &error).await;
    }

    async fn reply(&self, id: Option<&str>, error: &ApiError) {
        let _ = self.outbox.send(error_frame(id, error)).await;
    }
}

/// Tells the connection a subscription task has ended — before its last frame goes
/// out, or when the task ends any other way (even by a panic). Holds the server's
/// shared state for as long as the task runs (see `Server::stop`).
struct Ending {
    ended: mpsc::UnboundedSender<(String, u64)>,
    id: Option<(String, u64)>,
    _shared: Arc<Shared>,
}

impl Ending {
    fn now(&mut self) {
        if let Some(id) = self.id.take() {
            let _ = self.ended.send(id);
        }
    }
}

impl Drop for Ending {
    fn drop(&mut self) {
        self.now();
    }
}

/// One subscription: subscribe, then forward its messages until it closes, the client
/// unsubscribes or the connection ends.
async fn forward(
    session: tidepool_engine::Session,
    id: String,
    sql: String,
    from_seq: Option<u64>,
    outbox: mpsc::Sender<String>,
    mut stopped: oneshot::Receiver<()>,
    mut ending: Ending,
) {
    let mut subscription = match session.subscribe_from(&sql, from_seq).await {
        Ok(subscription) => subscription,
        Err(e) => {
            ending.now();
            let _ = outbox.send(error_frame(Some(&id), &ApiError::engine(&e, None))).await;
            return;
        }
    };
    loop {
        tokio::select! {
            message = subscription.recv() => {
                let Some(message) = message else { return };
                let last = matches!(message, LiveMessage::Closed { .. });
                if last {
                    ending.now();
                }
                if outbox.send(frame(&id, &message)).await.is_err() || last {
                    return;
                }
            }
            asked = &mut stopped => {
                if asked.is_err() {
                    // The connection ended (the client went, the server stops): a
                    // `closed` would tell a client that reconnects it unsubscribed.
                    return;
                }
                let closed = LiveMessage::Closed {
                    subscription: subscription.id().to_string(),
                    reason: "unsubscribed".into(),
                };
                drop(subscription);
                ending.now();
                let _ = outbox.send(frame(&id, &closed)).await;
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
