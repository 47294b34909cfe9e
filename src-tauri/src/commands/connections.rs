//! Connect to Server: try a URL and token (`test_connection`), open a server's
//! database (`connect_server`, saving the connection if asked), the saved connections
//! (`saved_connections`, `connect_saved`, `rename_connection`, `forget_connection`)
//! and which server is open (`server_connection`). Tokens go to the server and the OS
//! keychain only (`connections.rs`); none is answered back or logged.

use std::path::Path;
use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, State};

use crate::commands::database::switch_source;
use crate::connections::Connections;
use crate::error::{IpcError, IpcResult};
use crate::ipc::{ConnectionList, ServerCheck, ServerConnection, TokenKept, TokenRequest};
use crate::source::{DataSource, RemoteSource, ServerStatus};
use crate::state::AppState;

/// Asks the server at `url` who `token` acts as, without opening anything.
#[tauri::command]
pub async fn test_connection(url: String, token: String, ca_cert: Option<String>) -> IpcResult<ServerCheck> {
    let (source, _) = reach(&url, &token, ca_cert).await?;
    Ok(check(&source))
}

/// Opens the database of the server at `url` as `token` (closing the open one and its
/// panes); with `save`, keeps the connection as `name` (else its host) and the token
/// in the OS keychain.
#[tauri::command]
pub async fn connect_server<R: Runtime>(
    app: AppHandle<R>,
    url: String,
    token: String,
    ca_cert: Option<String>,
    save: bool,
    name: Option<String>,
) -> IpcResult<ServerConnection> {
    let (source, ca_cert) = reach(&url, &token, ca_cert).await?;
    let server = check(&source);
    let connections = app.state::<Connections>();
    let (id, name) = match save {
        true => {
            let id = connections.save(name.as_deref(), &server.url, ca_cert.as_deref(), &server.acting_as)?;
            (Some(id.clone()), connections.get(&id)?.name)
        }
        false => (
            None,
            name.filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| server.url.clone()),
        ),
    };
    let (token_kept, keychain_error) = match &id {
        Some(id) => keep_token(&app, id, token).await?,
        None => (TokenKept::NotSaved, None),
    };
    let connection = ServerConnection {
        id,
        name,
        server,
        ca_cert,
        token: token_kept,
        keychain_error,
    };
    open(&app, source, connection).await
}

/// Opens a saved connection with its token from the keychain, or with `token` when
/// given (asked of the user when the keychain had none, or the server refused it; it
/// replaces the kept one once the server accepts it). Without either: `token_needed`.
#[tauri::command]
pub async fn connect_saved<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    token: Option<String>,
) -> IpcResult<ServerConnection> {
    open_saved(&app, &id, token).await
}

/// What `connect_saved` and File → Open Recent's servers do.
pub async fn open_saved<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    token: Option<String>,
) -> IpcResult<ServerConnection> {
    let connections = app.state::<Connections>();
    let saved = connections.get(id)?;
    // The token typed in (kept once the server accepts it), or the one kept and where.
    let (token, found) = match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => (token, None),
        None => {
            let lookup = app.clone();
            let key = id.to_string();
            let found = tauri::async_runtime::spawn_blocking(move || lookup.state::<Connections>().token(&key))
                .await
                .map_err(|e| IpcError::new("internal", format!("reading the keychain failed: {e}")))?;
            let (token, kept) = found.ok_or_else(|| {
                IpcError::new(
                    "token_needed",
                    format!(
                        "the token of {} is not in the keychain: enter it to connect",
                        saved.name
                    ),
                )
            })?;
            (token, Some(kept))
        }
    };
    let (source, ca_cert) = reach(&saved.url, &token, saved.ca_cert.clone()).await?;
    let server = check(&source);
    connections.used(id, &server.acting_as);
    let (token_kept, keychain_error) = match found {
        Some(kept) => (kept, None),
        None => keep_token(app, id, token).await?,
    };
    let connection = ServerConnection {
        id: Some(id.to_string()),
        name: saved.name,
        server,
        ca_cert,
        token: token_kept,
        keychain_error,
    };
    open(app, source, connection).await
}

/// When opening the saved connection `id` failed for want of a token the user can give
/// (none kept, or the server refused it): the connection and why, for the dialog.
pub fn token_request<R: Runtime>(app: &AppHandle<R>, id: &str, error: &IpcError) -> Option<TokenRequest> {
    let reason = match error.code.as_str() {
        "token_needed" => error.message.clone(),
        "unauthorized" => "The server refused the saved token (it may have been revoked): enter a new one.".to_string(),
        _ => return None,
    };
    let connection = app.state::<Connections>().get(id).ok()?;
    Some(TokenRequest { connection, reason })
}

/// The saved connections, most recently used first, and whether the keychain answers.
#[tauri::command]
pub async fn saved_connections<R: Runtime>(app: AppHandle<R>) -> IpcResult<ConnectionList> {
    list(&app).await
}

#[tauri::command]
pub async fn rename_connection<R: Runtime>(app: AppHandle<R>, id: String, name: String) -> IpcResult<ConnectionList> {
    app.state::<Connections>().rename(&id, &name)?;
    crate::menu::refresh(&app);
    list(&app).await
}

/// Removes a saved connection and its token from the keychain; the open database, if
/// it is that server, stays open.
#[tauri::command]
pub async fn forget_connection<R: Runtime>(app: AppHandle<R>, id: String) -> IpcResult<ConnectionList> {
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || handle.state::<Connections>().forget(&id))
        .await
        .map_err(|e| IpcError::new("internal", format!("forgetting the connection failed: {e}")))??;
    crate::menu::refresh(&app);
    list(&app).await
}

/// The server whose database is open; `null` when it is a folder or nothing is open.
#[tauri::command]
pub async fn server_connection(
    state: State<'_, AppState>,
    connections: State<'_, Connections>,
) -> IpcResult<Option<ServerConnection>> {
    Ok(connections.open(state.source().ok().as_ref()))
}

/// Reaches the server: `url` must be http:// or https://; a CA certificate file must
/// exist. Answers the source and the CA certificate's path as given.
async fn reach(url: &str, token: &str, ca_cert: Option<String>) -> IpcResult<(RemoteSource, Option<String>)> {
    let url = url.trim();
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(IpcError::invalid(format!(
            "a server's URL starts with http:// or https:// (e.g. https://db.example.com:8080), got '{url}'"
        )));
    }
    if token.trim().is_empty() {
        return Err(IpcError::invalid(
            "enter the server's token (tidepool serve prints one, or --token sets it)",
        ));
    }
    let ca_cert = ca_cert.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if let Some(path) = &ca_cert {
        if !Path::new(path).is_file() {
            return Err(IpcError::invalid(format!(
                "the CA certificate file {path} does not exist"
            )));
        }
    }
    let source = RemoteSource::connect(url, token.trim(), ca_cert.as_deref().map(Path::new)).await?;
    Ok((source, ca_cert))
}

fn check(source: &RemoteSource) -> ServerCheck {
    let status: &ServerStatus = source.status();
    ServerCheck {
        url: source.location().to_string(),
        acting_as: status.acting_as.clone(),
        is_admin: status.is_admin,
        database: status.database.clone(),
        last_seq: status.last_seq,
        version: status.version.clone(),
    }
}

/// Keeps the token of saved connection `id` (a blocking keychain call, made off the
/// async workers).
async fn keep_token<R: Runtime>(app: &AppHandle<R>, id: &str, token: String) -> IpcResult<(TokenKept, Option<String>)> {
    let handle = app.clone();
    let id = id.to_string();
    tauri::async_runtime::spawn_blocking(move || handle.state::<Connections>().keep_token(&id, token.trim()))
        .await
        .map_err(|e| IpcError::new("internal", format!("writing to the keychain failed: {e}")))
}

/// Makes `source` the open database, recorded as `connection`.
async fn open<R: Runtime>(
    app: &AppHandle<R>,
    source: RemoteSource,
    connection: ServerConnection,
) -> IpcResult<ServerConnection> {
    let source: Arc<dyn DataSource> = Arc::new(source);
    // Recorded first: the window asks which server is open when the catalog event of
    // the switch arrives.
    app.state::<Connections>().opened(&source, connection.clone());
    switch_source(app, source).await?;
    Ok(connection)
}

async fn list<R: Runtime>(app: &AppHandle<R>) -> IpcResult<ConnectionList> {
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || handle.state::<Connections>().list())
        .await
        .map_err(|e| IpcError::new("internal", format!("reading the saved connections failed: {e}")))
}
