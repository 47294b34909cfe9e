// The Local API setting: serve the open database to scripts, services and the
// `tidepool` CLI while the app has it open. A status-bar button shows whether it is
// on and opens the dialog with the switch, the port, the URL and the app's token. A
// server's database is not served again: the button says so, disabled.
import { useEffect, useRef, useState } from "react";

import type { LocalApiStatus } from "../../bindings/LocalApiStatus";
import { api, onLocalApi } from "../../ipc";
import { useModal } from "../common/useModal";
import { useOpenServer } from "../connections/openServer";

export function LocalApiButton() {
  const [status, setStatus] = useState<LocalApiStatus | null>(null);
  const [open, setOpen] = useState(false);
  const server = useOpenServer();

  useEffect(() => {
    const unlisten = onLocalApi(setStatus);
    api
      .localApiStatus()
      .then(setStatus)
      .catch(() => setStatus(null));
    return () => void unlisten.then((f) => f());
  }, []);

  if (server) {
    return (
      <button
        className="api-button"
        disabled
        data-local-api="server"
        title={`The Local API serves a database in a local folder; the open one is ${server.server.url}'s, which programs reach there`}
      >
        API: n/a on a server
      </button>
    );
  }
  const label = !status?.enabled
    ? "API off"
    : status.url
      ? `API ${status.url.replace("http://", "")}`
      : "API error";
  return (
    <>
      <button
        className={`api-button ${status?.url ? "on" : ""} ${status?.enabled && !status.url ? "failed" : ""}`}
        onClick={() => setOpen(true)}
        title="Local API: let other programs use this database"
      >
        {label}
      </button>
      {open && status && <LocalApiDialog status={status} onStatus={setStatus} onClose={() => setOpen(false)} />}
    </>
  );
}

function LocalApiDialog({
  status,
  onStatus,
  onClose,
}: {
  status: LocalApiStatus;
  onStatus: (status: LocalApiStatus) => void;
  onClose: () => void;
}) {
  const [port, setPort] = useState(String(status.port));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reveal, setReveal] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useModal(dialog, onClose);

  const portNumber = Number(port);
  const portValid = port.trim() !== "" && Number.isInteger(portNumber) && portNumber >= 0 && portNumber <= 65535;

  const apply = (enabled: boolean) => {
    if (!portValid) return;
    setBusy(true);
    setError(null);
    api
      .setLocalApi(enabled, portNumber)
      .then(onStatus)
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setBusy(false));
  };

  const newToken = () => {
    if (!window.confirm("Make a new token? Programs using the current one are refused from now on.")) return;
    setBusy(true);
    api
      .newLocalApiToken()
      .then(onStatus)
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setBusy(false));
  };

  const copy = (what: string, text: string) => {
    void navigator.clipboard?.writeText(text).then(() => setCopied(what));
  };

  const { url, token } = status;
  const cli = url && token ? `tidepool sql --server ${url} --token ${token} -c "SHOW TABLES"` : "";
  const curl =
    url && token
      ? `curl -H "Authorization: Bearer ${token}" -d '{"sql": "SHOW TABLES"}' ${url}/v1/sql`
      : "";
  const shown = (text: string) => (reveal || !token ? text : text.split(token).join("•".repeat(12)));

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog local-api" role="dialog" aria-modal="true" aria-label="Local API" tabIndex={-1} ref={dialog}>
        <header>
          <h2>Local API</h2>
          <button className="close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <p className="hint">
          Scripts, services and the <code>tidepool</code> CLI can query, write to and subscribe to the open database
          while it is open here; their writes appear live in your panes. Only this computer can connect, and every
          request needs the token.
        </p>
        <label className="switch">
          <input
            type="checkbox"
            checked={status.enabled}
            disabled={busy || !portValid}
            onChange={(e) => apply(e.target.checked)}
            aria-label="Serve this database"
          />
          Serve this database on 127.0.0.1
        </label>
        <label className="field">
          Port
          <input
            value={port}
            onChange={(e) => setPort(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && status.enabled && apply(true)}
            className="port"
            inputMode="numeric"
            aria-label="Port"
            aria-invalid={!portValid}
          />
          <span className="muted">0 picks a free port</span>
          {status.enabled && portValid && portNumber !== status.port && (
            <button disabled={busy} onClick={() => apply(true)}>
              Apply
            </button>
          )}
        </label>
        {!portValid && <div className="inline-error">The port is a number from 0 to 65535.</div>}
        {(error ?? status.error) && (
          <div className="inline-error" role="alert">
            {error ?? status.error}
          </div>
        )}
        {url && token && (
          <>
            <label className="field">
              URL
              <input readOnly value={url} data-url={url} aria-label="URL" />
              <button onClick={() => copy("url", url)}>{copied === "url" ? "Copied" : "Copy"}</button>
            </label>
            <label className="field">
              Token
              <input readOnly value={reveal ? token : "•".repeat(24)} data-token={token} aria-label="Token" />
              <button onClick={() => setReveal((r) => !r)}>{reveal ? "Hide" : "Show"}</button>
              <button onClick={() => copy("token", token)}>{copied === "token" ? "Copied" : "Copy"}</button>
              <button disabled={busy} onClick={newToken}>
                New token
              </button>
            </label>
            <div className="examples">
              <div className="muted">Try it</div>
              <pre>{shown(cli)}</pre>
              <pre>{shown(curl)}</pre>
              <div className="muted">
                Live changes: WebSocket <code>{url.replace("http", "ws")}/v1/live</code>, or{" "}
                <code>tidepool subscribe --server {url} --token … &quot;SELECT …&quot;</code>
              </div>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
