// The engine settings shown with the live queries: how often a re-evaluated live query
// (a shape the engine does not keep incrementally) may run again, and whether every
// commit is fsynced. Saved in the app's settings; they apply when a database is opened
// from a folder (a server's database runs with the server's own: it says so instead).
import { useState } from "react";

import { useOpenServer } from "../connections/openServer";
import { appliesWhen, parseReevaluateMs, syncWritesNote } from "./engineSettings";
import { useEngineSettings } from "./useEngineSettings";

/** In place of the engine settings while a server's database is open. */
export function ServerEngineNote() {
  const server = useOpenServer();
  if (!server) return null;
  return (
    <span className="muted" data-engine-settings="server">
      The engine settings here apply to databases opened from a folder; {server.server.url} runs with its own (tidepool
      serve --reevaluate-ms, --sync).
    </span>
  );
}

export function ReevaluateSetting() {
  const server = useOpenServer();
  const { status, error: loadError, save: saveSettings } = useEngineSettings();
  /** What is typed; null shows the saved interval. */
  const [typed, setTyped] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (server) return null;
  if (!status) return loadError ? <span className="inline-error">{loadError}</span> : null;
  const text = typed ?? String(status.saved.reevaluate_ms);
  const parsed = parseReevaluateMs(text);
  const changed = "ms" in parsed && parsed.ms !== status.saved.reevaluate_ms;

  const save = () => {
    if (!("ms" in parsed)) return;
    setBusy(true);
    setError(null);
    saveSettings({ reevaluate_ms: parsed.ms })
      .then(() => setTyped(null))
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setBusy(false));
  };

  return (
    <form
      className="reevaluate-setting"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      title="How often a re-evaluated live query (window functions, subqueries, UNION, …) may run again while commits touch the tables it reads"
    >
      <label>
        Re-evaluate at most every
        <input
          value={text}
          onChange={(e) => setTyped(e.target.value)}
          inputMode="numeric"
          aria-label="Re-evaluation interval in milliseconds"
          aria-invalid={"error" in parsed}
        />
        ms
      </label>
      {changed && (
        <button type="submit" disabled={busy}>
          Save
        </button>
      )}
      <span className="muted" data-applies>
        {"error" in parsed ? parsed.error : appliesWhen(status)}
      </span>
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/** fsync every commit (`sync_writes`): saved when ticked, applied when a database is opened. */
export function SyncWritesSetting() {
  const server = useOpenServer();
  const { status, error: loadError, save } = useEngineSettings();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (server) return null;
  if (!status) return loadError ? <span className="inline-error">{loadError}</span> : null;
  const toggle = (on: boolean) => {
    setBusy(true);
    setError(null);
    save({ sync_writes: on })
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setBusy(false));
  };

  return (
    <div className="sync-writes-setting">
      <label title="fsync every commit before it is acknowledged (tidepool serve --sync): slower writes that survive power loss">
        <input
          type="checkbox"
          checked={status.saved.sync_writes}
          disabled={busy}
          onChange={(e) => toggle(e.target.checked)}
          aria-label="Flush every commit to disk (fsync)"
        />
        Flush every commit to disk (fsync)
      </label>
      <span className="muted" data-sync-applies>
        {syncWritesNote(status)}
      </span>
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
