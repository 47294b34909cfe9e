//! A live feed from a server: one WebSocket per subscription, read by a task of its
//! own into a bounded queue the pane's bridge reads (a bridge that falls behind stops
//! the reading, the server's queue for this connection fills and the engine sends
//! `resync` — memory stays bounded).
//!
//! When the connection drops (the server restarted, the network broke), the task says
//! so on the feed's [`Link`] and connects again, at 250 ms and then up to every 5 s,
//! subscribing with `from_seq` = the last commit the pane has. A server that kept the
//! changes since answers `resumed`: the pane catches up exactly. Otherwise (it
//! restarted, or the snapshot had not finished) the feed sends `resync` and ends, and
//! the pane resubscribes for a fresh snapshot — it never shows stale rows as live. A
//! refused token ends the feed with `closed` and the reason.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tidepool_client::{ClientError, ClientMessage, ErrorKind, Frame, LiveSocket, Remote};
use tidepool_engine::{LiveMessage, TableDef};
use tokio::sync::{mpsc, watch};

use crate::source::data_source::{Link, LiveFeed};

/// The id of the one subscription on a feed's connection.
pub const ID: &str = "pane";
/// Messages waiting for the bridge before the connection stops being read.
const QUEUE: usize = 256;
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(5);

pub struct RemoteFeed {
    messages: mpsc::Receiver<LiveMessage>,
    link: watch::Receiver<Link>,
    table: Option<Arc<TableDef>>,
    task: tokio::task::JoinHandle<()>,
}

impl RemoteFeed {
    /// Follows `socket`, on which `subscribe` was sent and `first` received.
    pub fn start(
        remote: Arc<Remote>,
        socket: LiveSocket,
        subscribe: ClientMessage,
        first: LiveMessage,
        table: Option<Arc<TableDef>>,
    ) -> RemoteFeed {
        let (sender, messages) = mpsc::channel(QUEUE);
        let (link_sender, link) = watch::channel(Link::default());
        let mut follower = Follower {
            remote,
            subscribe,
            out: sender,
            link: link_sender,
            position: Position::default(),
            subscription: String::new(),
        };
        let task = tokio::spawn(async move {
            if follower.deliver(first).await {
                follower.follow(socket).await;
            }
        });
        RemoteFeed {
            messages,
            link,
            table,
            task,
        }
    }
}

impl Drop for RemoteFeed {
    fn drop(&mut self) {
        // The task's socket closes with it: the server ends the subscription.
        self.task.abort();
    }
}

#[async_trait]
impl LiveFeed for RemoteFeed {
    async fn recv(&mut self) -> Option<LiveMessage> {
        self.messages.recv().await
    }

    fn try_recv(&mut self) -> Option<LiveMessage> {
        self.messages.try_recv().ok()
    }

    fn table(&self) -> Option<Arc<TableDef>> {
        self.table.clone()
    }

    fn link(&self) -> Option<watch::Receiver<Link>> {
        Some(self.link.clone())
    }
}

/// What the subscriber has: the rows as of `seq`, once the snapshot is `complete`.
#[derive(Default)]
struct Position {
    seq: u64,
    complete: bool,
}

struct Follower {
    remote: Arc<Remote>,
    subscribe: ClientMessage,
    out: mpsc::Sender<LiveMessage>,
    link: watch::Sender<Link>,
    position: Position,
    /// The server's name of the subscription, for the messages the feed makes up.
    subscription: String,
}

impl Follower {
    async fn follow(&mut self, mut socket: LiveSocket) {
        loop {
            let frame = tokio::select! {
                frame = socket.next() => frame,
                _ = self.out.closed() => return,
            };
            let ended = match frame {
                Ok(Frame::Live { message, .. }) => !self.deliver(message).await,
                Ok(Frame::Error { error, .. }) => !self.refused(error).await,
                Err(dropped) => match self.reconnect(dropped).await {
                    Some(again) => {
                        socket = again;
                        false
                    }
                    None => true,
                },
            };
            if ended {
                return;
            }
        }
    }

    /// Passes a message on; false once the feed is done (closed, or nobody reads).
    async fn deliver(&mut self, message: LiveMessage) -> bool {
        match &message {
            LiveMessage::Subscribed {
                subscription,
                snapshot_seq,
                row_count,
                resumed,
                ..
            } => {
                self.subscription = subscription.clone();
                self.position = Position {
                    seq: *snapshot_seq,
                    complete: *resumed || *row_count == 0,
                };
            }
            LiveMessage::Snapshot { last, .. } => self.position.complete |= *last,
            LiveMessage::Changes { to_seq, .. } => self.position.seq = *to_seq,
            _ => {}
        }
        let last = matches!(message, LiveMessage::Closed { .. });
        self.out.send(message).await.is_ok() && !last
    }

    /// An error frame: a refused token ends the feed; another error is the
    /// subscription's. False once the feed is done.
    async fn refused(&mut self, error: ClientError) -> bool {
        if error.kind == ErrorKind::Unauthorized {
            // "the token was revoked (the server refused the token)"
            self.deliver(self.closed(error.message)).await;
            return false;
        }
        let message = LiveMessage::Error {
            subscription: self.subscription.clone(),
            message: error.message,
        };
        self.deliver(message).await
    }

    fn closed(&self, reason: String) -> LiveMessage {
        LiveMessage::Closed {
            subscription: self.subscription.clone(),
            reason,
        }
    }

    /// Connects again after `dropped` until the subscription is back (resumed: the
    /// socket to follow) or cannot be (`None`: the feed ends, with `resync` when a
    /// fresh subscription would work).
    async fn reconnect(&mut self, dropped: ClientError) -> Option<LiveSocket> {
        let mut why = dropped.message;
        let mut wait = FIRST_RETRY;
        loop {
            self.link.send_replace(Link {
                reconnecting: true,
                seq: self.position.seq,
                message: format!("{why}; trying again in {:.1} s", wait.as_secs_f64()),
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.out.closed() => return None,
            }
            wait = (wait * 2).min(LAST_RETRY);
            let mut socket = match self.remote.live().await {
                Ok(socket) => socket,
                Err(e) if e.kind == ErrorKind::Unauthorized => {
                    self.refused(e).await;
                    return None;
                }
                Err(e) => {
                    why = e.message;
                    continue;
                }
            };
            let mut subscribe = self.subscribe.clone();
            if let ClientMessage::Subscribe { from_seq, .. } = &mut subscribe {
                *from_seq = self.position.complete.then_some(self.position.seq);
            }
            if let Err(e) = socket.send(&subscribe).await {
                why = e.message;
                continue;
            }
            match socket.next().await {
                Ok(Frame::Live {
                    message:
                        LiveMessage::Subscribed {
                            resumed: true,
                            subscription,
                            ..
                        },
                    ..
                }) => {
                    self.subscription = subscription;
                    self.back();
                    return Some(socket);
                }
                Ok(Frame::Live {
                    message: LiveMessage::Subscribed { .. } | LiveMessage::Resync { .. },
                    ..
                }) => {
                    // The changes since are gone (the server restarted, or had let them
                    // go): a fresh snapshot it must be.
                    socket.close().await;
                    self.back();
                    let resync = LiveMessage::Resync {
                        subscription: self.subscription.clone(),
                        missed_from_seq: self.position.seq + 1,
                    };
                    self.deliver(resync).await;
                    return None;
                }
                Ok(Frame::Live { message, .. }) => {
                    // An error (the table was dropped meanwhile): the subscription is over.
                    let reason = match &message {
                        LiveMessage::Error { message, .. } => message.clone(),
                        other => format!("the server answered the resubscribe with {other:?}"),
                    };
                    self.back();
                    self.deliver(self.closed(reason)).await;
                    return None;
                }
                Ok(Frame::Error { error, .. }) => {
                    self.back();
                    if self.refused(error.clone()).await {
                        self.deliver(self.closed(error.message)).await;
                    }
                    return None;
                }
                Err(e) => why = e.message,
            }
        }
    }

    fn back(&self) {
        self.link.send_replace(Link {
            reconnecting: false,
            seq: self.position.seq,
            message: "connected again".into(),
        });
    }
}
