// The start page: the demo shop, recent databases (click to open), saved server
// connections and the common first steps.
import { useEffect, useState } from "react";

import type { DemoStatus } from "../../bindings/DemoStatus";
import type { RecentDatabase } from "../../bindings/RecentDatabase";
import type { ServerConnection } from "../../bindings/ServerConnection";
import { api } from "../../ipc";
import type { TokenRequest } from "../../bindings/TokenRequest";
import { SavedConnections } from "../connections/SavedConnections";

export interface StartActions {
  newConsole(): void;
  newTable(): void;
  importFile(): void;
  liveQueries(): void;
  palette(): void;
  /** The connect dialog: a new connection, or the token of a saved one. */
  connect(request: TokenRequest | null): void;
  connected(connection: ServerConnection): void;
}

export interface StartPageProps {
  /** The open database's folder, or its server's URL. */
  current: string | null;
  /** The open server, when the open database is one. */
  server: ServerConnection | null;
  actions: StartActions;
}

export function StartPage({ current, server, actions }: StartPageProps) {
  const [recent, setRecent] = useState<RecentDatabase[]>([]);
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState(false);

  const [demo, setDemo] = useState<DemoStatus | null>(null);

  useEffect(() => {
    api.recentDatabases().then(setRecent, () => setRecent([]));
    api.demoStatus().then(setDemo, () => setDemo(null));
  }, [current]);

  const openDemo = () => {
    setOpening(true);
    setError(null);
    api
      .openDemo()
      .then(setDemo, (e: { message: string }) => setError(e.message))
      .finally(() => setOpening(false));
  };

  const open = (target: string) => {
    if (!target.trim()) return;
    setOpening(true);
    setError(null);
    api
      .openDatabase(target.trim())
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setOpening(false));
  };

  const forget = (target: string) => api.forgetRecentDatabase(target).then(setRecent, () => undefined);

  return (
    <div className="start-page">
      {demo && (
        <section className="start-demo" aria-label="Demo">
          <h2>Demo shop</h2>
          {demo.open ? (
            <p>
              This is the demo database: a small shop whose orders the <b>demo writer</b> (status bar) places, pays, ships
              and cancels a few times a second. Watch <code>shop.orders</code> change, run the console&apos;s examples, or
              pause the writer. It writes only here; File → New Database… makes a database of your own.
            </p>
          ) : (
            <p>
              <button onClick={openDemo} disabled={opening}>
                Open the demo shop
              </button>{" "}
              <span className="muted">
                A small shop whose orders change on their own, a few times a second: customers (a USER table), orders and an
                event stream. Kept in its own database, {demo.path}.
              </span>
            </p>
          )}
        </section>
      )}
      <section className="start-first-steps">
        <h2>Start</h2>
        <div className="start-actions">
          <button onClick={actions.newConsole}>New console</button>
          <button onClick={actions.newTable}>New table…</button>
          <button onClick={() => actions.connect(null)}>Connect to a server…</button>
          <button onClick={actions.importFile}>Import a file…</button>
          <button onClick={actions.liveQueries}>Live queries</button>
          <button onClick={actions.palette}>All commands…</button>
        </div>
      </section>
      <section>
        <h2>Recent databases</h2>
        {recent.length === 0 && <p className="muted">None yet.</p>}
        <ul className="recent" aria-label="Recent databases">
          {recent.map((r) => (
            <li key={r.path} className={r.path === current ? "current" : ""}>
              <button
                className="recent-open"
                disabled={!r.exists || opening || r.path === current}
                onClick={() => open(r.path)}
                title={r.exists ? `Open ${r.path}` : "The folder is gone"}
              >
                <span className="recent-path">{r.path}</span>
                <span className="muted">
                  {r.path === current ? "open now" : r.exists ? new Date(r.opened_ms).toLocaleString() : "missing"}
                </span>
              </button>
              <button className="recent-forget" aria-label={`Forget ${r.path}`} onClick={() => void forget(r.path)}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form
          className="open-path"
          onSubmit={(e) => {
            e.preventDefault();
            open(path);
          }}
        >
          <input
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/path/to/a/database folder (created if missing)"
            aria-label="Database folder"
          />
          <button type="submit" disabled={opening || !path.trim()}>
            Open
          </button>
        </form>
        {error && (
          <div className="inline-error" role="alert">
            {error}
          </div>
        )}
        <p className="muted">File → Open Database… and File → Open Recent do the same from the menu.</p>
      </section>
      <SavedConnections server={server} onConnectDialog={actions.connect} onConnected={actions.connected} />
    </div>
  );
}
