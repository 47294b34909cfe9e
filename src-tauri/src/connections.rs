//! Server connections: those saved for later (name, URL, CA certificate, who the token
//! acted as, when last used) in `connections.json` in the app's data folder, beside the
//! recent database folders; their tokens in the OS keychain (`keychain.rs`), never in
//! that file. Without a keychain a token is held in memory until the app quits, and
//! the window says so. Also which server, if any, the open database is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::error::{IpcError, IpcResult};
use crate::ipc::{ConnectionList, KeychainStatus, SavedConnection, ServerConnection, TokenKept};
use crate::keychain::{self, Keychain};
use crate::source::DataSource;

/// Saved connections kept.
const LIMIT: usize = 100;
/// The longest name a connection may have, in characters.
const NAME_LIMIT: usize = 100;

pub struct Connections {
    file: PathBuf,
    saved: Mutex<Vec<SavedConnection>>,
    keychain: Keychain,
    /// Tokens that could not go to the keychain, by connection id, until the app quits.
    session: Mutex<HashMap<String, String>>,
    /// Why the keychain last failed to store a token, shown until one is stored.
    keychain_failure: Mutex<Option<String>>,
    /// The open database when it is a server, and which source that is: it is the open
    /// database only while the app's source is this one. Weak, so a closed source is
    /// not kept alive by it.
    open: Mutex<Option<(Weak<dyn DataSource>, ServerConnection)>>,
}

impl Connections {
    /// `dir` is the app's data folder; `keychain` where tokens go.
    pub fn new(dir: &Path, keychain: Keychain) -> Connections {
        let file = dir.join("connections.json");
        let saved = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Connections {
            file,
            saved: Mutex::new(saved),
            keychain,
            session: Mutex::new(HashMap::new()),
            keychain_failure: Mutex::new(None),
            open: Mutex::new(None),
        }
    }

    /// The saved connections, most recently used first, and the keychain's state (asks
    /// the keychain: a blocking call).
    pub fn list(&self) -> ConnectionList {
        ConnectionList {
            connections: self.saved(),
            keychain: self.keychain_status(),
        }
    }

    pub fn saved(&self) -> Vec<SavedConnection> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn get(&self, id: &str) -> IpcResult<SavedConnection> {
        self.saved()
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| IpcError::invalid(format!("no saved connection '{id}' (it was forgotten)")))
    }

    /// Saves a connection that has just answered: the one to the same URL acting as
    /// the same identity is updated, else a new one is made. Answers its id.
    pub fn save(&self, name: Option<&str>, url: &str, ca_cert: Option<&str>, acting_as: &str) -> IpcResult<String> {
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => checked_name(name)?,
            None => default_name(url, acting_as),
        };
        let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        let existing = saved
            .iter()
            .position(|c| c.url == url && c.acting_as.as_deref() == Some(acting_as));
        let id = match existing {
            Some(i) => saved.remove(i).id,
            None => new_id(),
        };
        saved.insert(
            0,
            SavedConnection {
                id: id.clone(),
                name,
                url: url.to_string(),
                ca_cert: ca_cert.map(str::to_string),
                acting_as: Some(acting_as.to_string()),
                last_used_ms: Some(now_ms()),
            },
        );
        saved.truncate(LIMIT);
        self.write(&saved);
        Ok(id)
    }

    /// The connection `id` was opened, its token acting as `acting_as`: first in the list.
    pub fn used(&self, id: &str, acting_as: &str) {
        let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = saved.iter().position(|c| c.id == id) {
            let mut connection = saved.remove(i);
            connection.acting_as = Some(acting_as.to_string());
            connection.last_used_ms = Some(now_ms());
            saved.insert(0, connection);
            self.write(&saved);
        }
    }

    pub fn rename(&self, id: &str, name: &str) -> IpcResult<()> {
        let name = checked_name(name.trim())?;
        let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        let connection = saved
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| IpcError::invalid(format!("no saved connection '{id}' (it was forgotten)")))?;
        connection.name = name.clone();
        self.write(&saved);
        self.update_open(id, |open| open.name = name);
        Ok(())
    }

    /// Removes the connection `id` from the list and its token from the keychain (and
    /// from memory). Blocking. The list entry goes in any case; a keychain that answers
    /// but does not remove the token is the error. With no keychain at all there is
    /// nothing to remove (the window says tokens are kept for the session only).
    pub fn forget(&self, id: &str) -> IpcResult<()> {
        {
            let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
            saved.retain(|c| c.id != id);
            self.write(&saved);
        }
        self.session.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        // An open server of that connection stays open, no longer saved.
        self.update_open(id, |open| {
            open.id = None;
            open.token = TokenKept::NotSaved;
        });
        if self.keychain.check().is_err() {
            return Ok(());
        }
        self.keychain.remove(id).map_err(|e| {
            IpcError::new(
                "keychain",
                format!("the connection was forgotten, but its token could not be removed: {e}"),
            )
        })
    }

    /// Keeps the token of the saved connection `id`: in the keychain, or, when it cannot
    /// be stored there, in memory until the app quits (with the reason). Blocking.
    pub fn keep_token(&self, id: &str, token: &str) -> (TokenKept, Option<String>) {
        match self.keychain.store(id, token) {
            Ok(()) => {
                self.session.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
                *self.keychain_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
                (TokenKept::Keychain, None)
            }
            Err(e) => {
                self.session
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.to_string(), token.to_string());
                *self.keychain_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                (TokenKept::Session, Some(e.to_string()))
            }
        }
    }

    /// The token of the saved connection `id` and where it was found; `None` when
    /// neither the keychain nor memory has one. Blocking.
    pub fn token(&self, id: &str) -> Option<(String, TokenKept)> {
        if let Some(token) = self.session.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Some((token.clone(), TokenKept::Session));
        }
        match self.keychain.token(id) {
            Ok(token) => token.map(|t| (t, TokenKept::Keychain)),
            Err(_) => None,
        }
    }

    /// Records that `source`, about to become the open database, is this server.
    pub fn opened(&self, source: &Arc<dyn DataSource>, connection: ServerConnection) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = Some((Arc::downgrade(source), connection));
    }

    /// The server whose database is open: `None` when the open database is another
    /// (a folder, or nothing).
    pub fn open(&self, current: Option<&Arc<dyn DataSource>>) -> Option<ServerConnection> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (source, connection) = open.as_ref()?;
        // The Weak holds the allocation, so no other source can have its address.
        let current = current?;
        std::ptr::addr_eq(source.as_ptr(), Arc::as_ptr(current)).then(|| connection.clone())
    }

    /// Changes the open server's record, if it was opened from the saved connection `id`.
    fn update_open(&self, id: &str, change: impl FnOnce(&mut ServerConnection)) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, connection)) = open.as_mut().filter(|(_, c)| c.id.as_deref() == Some(id)) {
            change(connection);
        }
    }

    fn keychain_status(&self) -> KeychainStatus {
        let failure = self.keychain_failure.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let error = match self.keychain.check() {
            Ok(()) => failure,
            Err(e) => Some(e.to_string()),
        };
        KeychainStatus {
            available: error.is_none(),
            name: keychain::NAME.to_string(),
            error,
        }
    }

    /// Best effort, like the recent folders: written beside and renamed.
    fn write(&self, saved: &[SavedConnection]) {
        if let Ok(json) = serde_json::to_vec_pretty(saved) {
            if let Some(dir) = self.file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let partial = self.file.with_extension("json.partial");
            if std::fs::write(&partial, json).is_ok() {
                let _ = std::fs::rename(&partial, &self.file);
            }
        }
    }
}

fn checked_name(name: &str) -> IpcResult<String> {
    if name.is_empty() {
        return Err(IpcError::invalid("a connection needs a name"));
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(IpcError::invalid(format!(
            "a connection's name is at most {NAME_LIMIT} characters"
        )));
    }
    Ok(name.to_string())
}

/// `host:port`, and the user for a user's token: `alice @ db.example.com:8080`.
fn default_name(url: &str, acting_as: &str) -> String {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    match acting_as {
        "admin" => host.to_string(),
        user => format!("{user} @ {host}"),
    }
}

/// An id no other connection has had: the time and a random number (from the hasher
/// std seeds at random for each process and map).
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(now_ms());
    format!("c{:x}-{:016x}", now_ms(), hasher.finish())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_name_is_the_host_and_the_user_of_a_users_token() {
        assert_eq!(
            default_name("https://db.example.com:8080", "admin"),
            "db.example.com:8080"
        );
        assert_eq!(default_name("http://127.0.0.1:9000", "alice"), "alice @ 127.0.0.1:9000");
    }

    #[test]
    fn names_are_trimmed_by_the_caller_and_checked() {
        assert!(checked_name("").is_err());
        assert!(checked_name(&"x".repeat(NAME_LIMIT + 1)).is_err());
        assert_eq!(checked_name("prod").unwrap(), "prod");
    }

    #[test]
    fn ids_differ() {
        assert_ne!(new_id(), new_id());
    }

    /// What is saved, without the keychain (which these calls do not touch).
    #[test]
    fn saved_connections_are_most_recent_first_one_per_server_and_identity_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let connections = Connections::new(dir.path(), Keychain::new("unused"));
        let a = connections.save(None, "http://a:1", None, "admin").unwrap();
        let b = connections
            .save(Some(" team "), "https://b:2", Some("/ca.pem"), "alice")
            .unwrap();
        // The same server acting as the same identity: that connection, renamed, first.
        let a_again = connections.save(Some("a again"), "http://a:1", None, "admin").unwrap();
        assert_eq!(a, a_again);
        // Another identity on the same server is another connection.
        let bob = connections.save(None, "https://b:2", None, "bob").unwrap();
        connections.used(&a, "admin");
        connections.rename(&b, "  the team ").unwrap();
        assert!(connections.rename("nope", "x").is_err());
        let names = |list: Vec<SavedConnection>| list.into_iter().map(|c| c.name).collect::<Vec<_>>();
        let expected = vec!["a again", "bob @ b:2", "the team"];
        assert_eq!(names(connections.saved()), expected);
        let reopened = Connections::new(dir.path(), Keychain::new("unused"));
        assert_eq!(names(reopened.saved()), expected);
        let team = reopened.get(&b).unwrap();
        assert_eq!(team.ca_cert.as_deref(), Some("/ca.pem"));
        assert_eq!(team.acting_as.as_deref(), Some("alice"));
        assert_eq!(reopened.get(&bob).unwrap().url, "https://b:2");
        assert!(reopened.get("nope").is_err());
        // A damaged file is an empty list, not a failure.
        std::fs::write(dir.path().join("connections.json"), "{ not json").unwrap();
        assert!(Connections::new(dir.path(), Keychain::new("unused")).saved().is_empty());
    }
}
