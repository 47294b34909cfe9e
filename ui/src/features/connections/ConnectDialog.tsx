// Connect to Server: a `tidepool serve`'s URL, its token and, for a server whose TLS
// certificate is private, the CA certificate file to trust. "Test" asks the server who
// the token acts as without opening anything; "Connect" opens its database (the open
// one closes) and, when "Save connection" is ticked, keeps it for the start page with
// the token in the OS keychain. For a saved connection whose token is missing or was
// refused, only the token is asked.
import { useEffect, useRef, useState } from "react";

import type { IpcError } from "../../bindings/IpcError";
import type { KeychainStatus } from "../../bindings/KeychainStatus";
import type { ServerCheck } from "../../bindings/ServerCheck";
import type { ServerConnection } from "../../bindings/ServerConnection";
import type { TokenRequest } from "../../bindings/TokenRequest";
import { api } from "../../ipc";
import { useModal } from "../common/useModal";
import { checkSummary, defaultName, explainError, formProblem, keychainWarning } from "./connection";

/** The window event that opens the dialog, as File → Connect to Server… does. */
export const CONNECT_SERVER_EVENT = "tidepool:connect-server";

export interface ConnectDialogProps {
  /** Ask only for the token of this saved connection. */
  request?: TokenRequest | null;
  onClose(): void;
  onConnected(connection: ServerConnection): void;
}

const CA_FILTERS = [
  { name: "PEM certificates", extensions: ["pem", "crt", "cer"] },
  { name: "All files", extensions: ["*"] },
];

type Outcome = { check: ServerCheck } | { error: IpcError } | null;

export function ConnectDialog({ request = null, onClose, onConnected }: ConnectDialogProps) {
  const [url, setUrl] = useState(request?.connection.url ?? "");
  const [token, setToken] = useState("");
  const [caCert, setCaCert] = useState(request?.connection.ca_cert ?? "");
  const [save, setSave] = useState(false);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState<"test" | "connect" | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [keychain, setKeychain] = useState<KeychainStatus | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  useModal(dialog, onClose, busy === "connect");

  useEffect(() => {
    api.savedConnections().then(
      (list) => setKeychain(list.keychain),
      () => setKeychain(null),
    );
  }, []);

  const problem = formProblem({ url, token, caCert });
  // A change to what was tested makes the last answer stale.
  const edited = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    setOutcome(null);
  };

  const test = () => {
    if (problem) return;
    setBusy("test");
    setOutcome(null);
    api
      .testConnection(url, token, caCert.trim() || null)
      .then(
        (check) => setOutcome({ check }),
        (error: IpcError) => setOutcome({ error }),
      )
      .finally(() => setBusy(null));
  };

  const connect = () => {
    if (problem) return;
    setBusy("connect");
    setOutcome(null);
    const connecting = request
      ? api.connectSaved(request.connection.id, token)
      : api.connectServer(url, token, caCert.trim() || null, save, name.trim() || null);
    connecting.then(
      (connection) => {
        setBusy(null);
        onConnected(connection);
      },
      (error: IpcError) => {
        setBusy(null);
        setOutcome({ error });
      },
    );
  };

  const chooseCa = () =>
    void api
      .chooseFile(false, "The CA certificate that signed the server's certificate", caCert || null, CA_FILTERS)
      .then((path) => path && edited(setCaCert)(path))
      .catch((error: IpcError) => setOutcome({ error }));

  const actingAs = outcome && "check" in outcome ? outcome.check.acting_as : null;
  const warning = keychain && keychainWarning(keychain);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && busy !== "connect" && onClose()}>
      <div
        className="dialog connect"
        role="dialog"
        aria-modal="true"
        aria-label="Connect to a server"
        data-dialog="connect-server"
        tabIndex={-1}
        ref={dialog}
      >
        <header>
          <h2>{request ? `Connect to ${request.connection.name}` : "Connect to a server"}</h2>
          <button className="close" aria-label="Close" onClick={onClose} disabled={busy === "connect"}>
            ×
          </button>
        </header>
        {request ? (
          <p className="hint" role="status">
            {request.reason}
          </p>
        ) : (
          <p className="hint">
            A database served by <code>tidepool serve</code> on another machine (or this one): its tables, live panes and
            console, as the token allows. The open database closes when the server&apos;s opens.
          </p>
        )}
        <form
          className="connect-form"
          onSubmit={(e) => {
            e.preventDefault();
            connect();
          }}
        >
          <label className="field">
            URL
            <input
              value={url}
              onChange={(e) => edited(setUrl)(e.target.value)}
              placeholder="https://db.example.com:7447"
              name="url"
              aria-label="Server URL"
              readOnly={request !== null}
              autoFocus={request === null}
              spellCheck={false}
            />
          </label>
          <label className="field">
            Token
            <input
              type="password"
              value={token}
              onChange={(e) => edited(setToken)(e.target.value)}
              placeholder="the token tidepool serve printed, or one made with CREATE TOKEN"
              name="token"
              aria-label="Token"
              autoComplete="off"
              autoFocus={request !== null}
              spellCheck={false}
            />
          </label>
          <label className="field">
            CA certificate
            <input
              value={caCert}
              onChange={(e) => edited(setCaCert)(e.target.value)}
              placeholder="optional: for a self-signed or private certificate (https://)"
              name="ca-cert"
              aria-label="CA certificate file"
              readOnly={request !== null}
              spellCheck={false}
            />
            {request === null && (
              <button type="button" onClick={chooseCa}>
                Choose…
              </button>
            )}
          </label>
          {request === null && (
            <div className="connect-save">
              <label className="switch">
                <input
                  type="checkbox"
                  name="save"
                  checked={save}
                  onChange={(e) => setSave(e.target.checked)}
                  aria-label="Save connection"
                />
                Save connection
              </label>
              {save && (
                <input
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  placeholder={url.trim() ? defaultName(url, actingAs) : "name"}
                  name="name"
                  aria-label="Connection name"
                  maxLength={100}
                />
              )}
            </div>
          )}
          {(save || request) && keychain && (
            <div className={warning ? "connect-keychain warn" : "connect-keychain muted"} data-keychain={keychain.available}>
              {warning ?? `The token goes to ${keychain.name}, never to a file.`}
            </div>
          )}
          {problem && (token !== "" || (request === null && url !== "")) && <div className="muted">{problem}</div>}
          {outcome && "check" in outcome && (
            <div className="connect-ok" role="status" data-acting-as={outcome.check.acting_as}>
              ✓ {outcome.check.url}: {checkSummary(outcome.check)}
            </div>
          )}
          {outcome && "error" in outcome && <ConnectError error={outcome.error} />}
          <div className="connect-actions">
            <button type="button" data-action="test" onClick={test} disabled={problem !== null || busy !== null}>
              {busy === "test" ? "Testing…" : "Test"}
            </button>
            <button type="submit" className="primary" data-action="connect" disabled={problem !== null || busy !== null}>
              {busy === "connect" ? "Connecting…" : "Connect"}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

function ConnectError({ error }: { error: IpcError }) {
  const { title, detail, hint } = explainError(error);
  return (
    <div className="inline-error connect-error" role="alert" data-code={error.code}>
      <div>
        <b>{title}</b>: {detail}
        {hint && <div className="connect-hint">{hint}</div>}
      </div>
    </div>
  );
}
