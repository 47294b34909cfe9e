// The engine setting shown with the live queries: how often a re-evaluated live query
// (a shape the engine does not keep incrementally) may run again. Saved in the app's
// settings; it applies when a database is opened.
import { useEffect, useState } from "react";

import type { EngineSettingsStatus } from "../../bindings/EngineSettingsStatus";
import { api } from "../../ipc";
import { appliesWhen, parseReevaluateMs } from "./engineSettings";

export function ReevaluateSetting() {
  const [status, setStatus] = useState<EngineSettingsStatus | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .engineSettings()
      .then((s) => {
        setStatus(s);
        setText(String(s.saved.reevaluate_ms));
      })
      .catch((e: { message: string }) => setError(e.message));
  }, []);

  if (!status) return error ? <span className="inline-error">{error}</span> : null;
  const parsed = parseReevaluateMs(text);
  const changed = "ms" in parsed && parsed.ms !== status.saved.reevaluate_ms;

  const save = () => {
    if (!("ms" in parsed)) return;
    setBusy(true);
    setError(null);
    api
      .setEngineSettings({ ...status.saved, reevaluate_ms: parsed.ms })
      .then(setStatus)
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
          onChange={(e) => setText(e.target.value)}
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
