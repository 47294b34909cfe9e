//! The OS keychain, where the tokens of saved server connections are kept: the Secret
//! Service on Linux (GNOME Keyring, KWallet), the Keychain on macOS, the Credential
//! Manager on Windows, through the `keyring` crate. A token is stored under the
//! service [`SERVICE`] and the connection's id as the account; it is never written to
//! a file of the app's, nor logged.
//!
//! Every call is a blocking round trip to the OS (D-Bus on Linux): the commands make
//! them off the async workers.

use keyring::{Entry, Error};

/// The keychain service the app's tokens are stored under.
pub const SERVICE: &str = "Tidepool Studio";

/// The account name an availability check looks up; nothing is ever stored under it.
const PROBE: &str = "tidepool-studio-keychain-check";

/// What the OS keychain is called here, for messages.
pub const NAME: &str = if cfg!(target_os = "macos") {
    "the macOS Keychain"
} else if cfg!(windows) {
    "the Windows Credential Manager"
} else {
    "the Secret Service keyring"
};

/// The keychain could not be used: why, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{NAME} is not available: {0}")]
pub struct KeychainError(pub String);

pub struct Keychain {
    service: String,
}

impl Keychain {
    pub fn new(service: &str) -> Keychain {
        Keychain {
            service: service.to_string(),
        }
    }

    /// Whether the keychain answers: a look-up of an entry that does not exist must say
    /// "no such entry" (a missing D-Bus session or keyring daemon says otherwise).
    pub fn check(&self) -> Result<(), KeychainError> {
        match self.entry(PROBE)?.get_password() {
            Ok(_) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(failure(e)),
        }
    }

    /// Stores `token` for the connection `id`, replacing the one there.
    pub fn store(&self, id: &str, token: &str) -> Result<(), KeychainError> {
        self.entry(id)?.set_password(token).map_err(failure)
    }

    /// The token stored for `id`; `None` when there is none.
    pub fn token(&self, id: &str) -> Result<Option<String>, KeychainError> {
        match self.entry(id)?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(failure(e)),
        }
    }

    /// Removes the token of `id`; nothing to remove is not an error.
    pub fn remove(&self, id: &str) -> Result<(), KeychainError> {
        match self.entry(id)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(failure(e)),
        }
    }

    fn entry(&self, id: &str) -> Result<Entry, KeychainError> {
        Entry::new(&self.service, id).map_err(failure)
    }
}

/// The keyring error in words: its own text names the platform's failure (no D-Bus
/// session, the keyring locked, access refused).
fn failure(error: Error) -> KeychainError {
    KeychainError(match error {
        Error::PlatformFailure(e) => e.to_string(),
        Error::NoStorageAccess(e) => format!("it is locked, or has no keyring to store in ({e})"),
        other => other.to_string(),
    })
}
