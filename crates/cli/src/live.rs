//! Subscriptions opened by a script: each one's messages are printed as JSON lines as
//! they arrive, while the script goes on.

use std::io::Write;

use tidepool_engine::{Engine, LiveMessage, Subscription};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Watchers {
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Watchers {
    pub fn new() -> Watchers {
        Watchers {
            tasks: Vec::new(),
            stop: watch::channel(false).0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn watch(&mut self, mut subscription: Subscription) {
        let mut stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    message = subscription.recv() => match message {
                        Some(message) => print(&message),
                        None => return,
                    },
                    _ = stop.changed() => break,
                }
            }
            // Stopping: print what is already there, including a snapshot in progress.
            for message in subscription.recv_ready().await {
                print(&message);
            }
        }));
    }

    /// Prints every message the script's writes produced, then ends the subscriptions.
    pub async fn finish(self, engine: &Engine) {
        engine.live_flushed().await;
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Prints until interrupted (Ctrl-C) or until every subscription has closed.
    pub async fn follow(mut self) {
        let all_closed = futures_join(std::mem::take(&mut self.tasks));
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = all_closed => {}
        }
    }
}

async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

fn print(message: &LiveMessage) {
    print_line(message);
}

/// Prints one message as a JSON line, flushed at once so a reader sees it now.
pub fn print_line(message: &impl serde::Serialize) {
    let mut out = std::io::stdout().lock();
    if let Ok(line) = serde_json::to_string(message) {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
