// The start page's servers: the saved connections (click to open with the token kept in
// the OS keychain; rename; forget, which removes the token too), a warning when there
// is no keychain, and the button for a new connection.
import { useEffect, useState } from "react";

import type { ConnectionList } from "../../bindings/ConnectionList";
import type { IpcError } from "../../bindings/IpcError";
import type { SavedConnection } from "../../bindings/SavedConnection";
import type { ServerConnection } from "../../bindings/ServerConnection";
import type { TokenRequest } from "../../bindings/TokenRequest";
import { api } from "../../ipc";
import { explainError, keychainWarning } from "./connection";

/** Why the dialog asks for a token the server refused (as File → Open Recent's servers say it). */
const REFUSED = "The server refused the saved token (it may have been revoked): enter a new one.";

export interface SavedConnectionsProps {
  /** The open server, if the open database is one. */
  server: ServerConnection | null;
  /** Opens the connect dialog: for a new connection, or for a saved one's token. */
  onConnectDialog(request: TokenRequest | null): void;
  onConnected(connection: ServerConnection): void;
}

export function SavedConnections({ server, onConnectDialog, onConnected }: SavedConnectionsProps) {
  const [list, setList] = useState<ConnectionList | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Read again when another server (or folder) opens: the order and identities change.
  useEffect(() => {
    api.savedConnections().then(setList, (e: IpcError) => setError(e.message));
  }, [server]);

  const open = (connection: SavedConnection) => {
    setOpening(connection.id);
    setError(null);
    api
      .connectSaved(connection.id, null)
      .then(onConnected, (e: IpcError) => {
        if (e.code === "token_needed" || e.code === "unauthorized") {
          onConnectDialog({ connection, reason: e.code === "unauthorized" ? REFUSED : e.message });
        } else {
          const { title, detail, hint } = explainError(e);
          setError(`${connection.name}: ${title}: ${detail}${hint ? `. ${hint}` : ""}`);
        }
      })
      .finally(() => setOpening(null));
  };

  const forget = (connection: SavedConnection) => {
    if (!window.confirm(`Forget ${connection.name}? Its token is removed from the keychain.`)) return;
    api.forgetConnection(connection.id).then(setList, (e: IpcError) => {
      setError(e.message);
      void api.savedConnections().then(setList, () => undefined);
    });
  };

  const rename = () => {
    if (!renaming) return;
    api.renameConnection(renaming.id, renaming.name).then(
      (next) => {
        setList(next);
        setRenaming(null);
      },
      (e: IpcError) => setError(e.message),
    );
  };

  const warning = list && keychainWarning(list.keychain);
  return (
    <section className="start-servers" aria-label="Servers">
      <h2>Servers</h2>
      {list && list.connections.length === 0 && <p className="muted">No saved connections yet.</p>}
      <ul className="recent saved-connections" aria-label="Saved connections">
        {list?.connections.map((c) => {
          const current = server?.id === c.id;
          return (
            <li key={c.id} className={current ? "current" : ""} data-connection={c.id}>
              {renaming?.id === c.id ? (
                <form
                  className="rename-connection"
                  onSubmit={(e) => {
                    e.preventDefault();
                    rename();
                  }}
                >
                  <input
                    value={renaming.name}
                    onChange={(e) => setRenaming({ id: c.id, name: e.target.value })}
                    onKeyDown={(e) => e.key === "Escape" && setRenaming(null)}
                    aria-label={`New name for ${c.name}`}
                    maxLength={100}
                    autoFocus
                  />
                  <button type="submit">Save</button>
                </form>
              ) : (
                <button
                  className="recent-open"
                  disabled={opening !== null || current}
                  onClick={() => open(c)}
                  title={`Open ${c.url}${c.acting_as ? ` as ${c.acting_as}` : ""}`}
                >
                  <span className="recent-path">
                    {c.name}
                    <span className="muted connection-url">
                      {" "}
                      {c.acting_as ? `${c.acting_as} @ ` : ""}
                      {c.url}
                    </span>
                  </span>
                  <span className="muted">
                    {opening === c.id
                      ? "connecting…"
                      : current
                        ? "open now"
                        : c.last_used_ms
                          ? new Date(c.last_used_ms).toLocaleString()
                          : ""}
                  </span>
                </button>
              )}
              <button className="recent-forget" aria-label={`Rename ${c.name}`} title="Rename" onClick={() => setRenaming({ id: c.id, name: c.name })}>
                ✎
              </button>
              <button className="recent-forget" aria-label={`Forget ${c.name}`} title="Forget (removes its token from the keychain)" onClick={() => forget(c)}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <button onClick={() => onConnectDialog(null)}>Connect to a server…</button>
      {warning && (
        <p className="keychain-warning" role="note" data-keychain="unavailable">
          {warning}
        </p>
      )}
      {error && (
        <div className="inline-error" role="alert">
          {error}
        </div>
      )}
      <p className="muted">File → Connect to Server… does the same from the menu.</p>
    </section>
  );
}
