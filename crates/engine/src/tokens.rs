//! API tokens: the credentials front doors (the local API server) accept, each acting
//! as one user or as admin.
//!
//! A token reads `tp_<id>_<secret>`. Only its SHA-256 is stored (under `k` id, with its
//! user, label and creation time), so the database never holds a usable token; the
//! text is shown once, when it is created. The id is public: it names the token in
//! `system.tokens` and `DROP TOKEN`.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::{decode_json, Inner};
use crate::error::{Error, ObjectKind, Result};
use crate::session::Actor;
use crate::storage::{keys, Store};
use crate::write::Txn;

const PREFIX: &str = "tp_";

/// A token as listed: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    /// The user it acts as; `None` for admin.
    pub user: Option<String>,
    pub label: String,
    pub created_micros: i64,
}

impl TokenInfo {
    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(user) => Actor::User(user.clone()),
            None => Actor::Admin,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredToken {
    #[serde(flatten)]
    info: TokenInfo,
    /// SHA-256 of the whole token text, hex.
    sha256: String,
}

#[derive(Default)]
pub(crate) struct Tokens {
    by_id: RwLock<HashMap<String, StoredToken>>,
}

impl Tokens {
    pub fn load(store: &Store) -> Result<Tokens> {
        let mut by_id = HashMap::new();
        for item in store.prefix(keys::TOKEN_PREFIX) {
            let (_, value) = item?;
            let token: StoredToken = decode_json(&value)?;
            by_id.insert(token.info.id.clone(), token);
        }
        Ok(Tokens {
            by_id: RwLock::new(by_id),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, StoredToken>> {
        self.by_id.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn list(&self) -> Vec<TokenInfo> {
        let mut list: Vec<TokenInfo> = self.read().values().map(|t| t.info.clone()).collect();
        list.sort_by(|a, b| a.created_micros.cmp(&b.created_micros).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// The token's identity, if the text is a token that exists.
    pub fn authenticate(&self, text: &str) -> Option<TokenInfo> {
        let id = text.strip_prefix(PREFIX)?.split('_').next()?;
        let tokens = self.read();
        let stored = tokens.get(id)?;
        constant_time_eq(stored.sha256.as_bytes(), sha256_hex(text).as_bytes()).then(|| stored.info.clone())
    }
}

/// Creates a token acting as `user` (admin when `None`); returns it and its text.
pub(crate) fn create(inner: &Inner, user: Option<&str>, label: &str) -> Result<(TokenInfo, String)> {
    if user.is_some_and(str::is_empty) {
        return Err(Error::InvalidArgument("a token's user name cannot be empty".into()));
    }
    let id = hex(&random::<8>()?);
    let text = format!("{PREFIX}{id}_{}", hex(&random::<24>()?));
    let mut txn = Txn::begin(inner);
    let token = StoredToken {
        info: TokenInfo {
            id: id.clone(),
            user: user.map(str::to_string),
            label: label.to_string(),
            created_micros: txn.now_micros,
        },
        sha256: sha256_hex(&text),
    };
    let json = serde_json::to_vec(&token).map_err(|e| Error::Storage(e.to_string()))?;
    txn.put_meta(&keys::token_key(&id), &json);
    txn.commit()?;
    let info = token.info.clone();
    inner
        .tokens
        .by_id
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, token);
    Ok((info, text))
}

/// Revokes a token: it stops working at once.
pub(crate) fn revoke(inner: &Inner, id: &str) -> Result<()> {
    let mut txn = Txn::begin(inner);
    if !inner.tokens.read().contains_key(id) {
        return Err(Error::not_found(ObjectKind::Token, id));
    }
    txn.delete_meta(&keys::token_key(id));
    txn.commit()?;
    inner.tokens.by_id.write().unwrap_or_else(|p| p.into_inner()).remove(id);
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Storage(format!("no randomness for a token: {e}")))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
