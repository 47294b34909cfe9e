// The statement timeout, shown in each console's toolbar: the longest one statement of
// a console run may take before it is stopped (nothing it would write is written).
// Saved in the app's settings; the next run uses it.
import { useState } from "react";

import { parseTimeoutSeconds, timeoutText } from "./engineSettings";
import { useEngineSettings } from "./useEngineSettings";

export function StatementTimeout({ className }: { className?: string }) {
  const { status, error: loadError, save } = useEngineSettings();
  /** What is typed; null shows the saved timeout. */
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!status) return loadError ? <span className="inline-error">{loadError}</span> : null;
  const saved = status.saved.statement_timeout_ms;
  const shown = text ?? timeoutText(saved);
  const parsed = parseTimeoutSeconds(shown);
  const changed = "ms" in parsed && parsed.ms !== saved;

  const submit = () => {
    if (!("ms" in parsed) || !changed) return;
    setBusy(true);
    setError(null);
    save({ statement_timeout_ms: parsed.ms })
      .then(() => setText(null))
      .catch((e: { message: string }) => setError(e.message))
      .finally(() => setBusy(false));
  };

  return (
    <form
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      title="Stop a statement that runs longer than this many seconds (nothing it would write is written); empty for no limit. Applies to the next run."
    >
      <label>
        Timeout
        <input
          value={shown}
          placeholder="none"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== "Escape") return;
            // Puts back the saved value (and keeps Esc from cancelling the run).
            e.stopPropagation();
            setText(null);
          }}
          inputMode="decimal"
          aria-label="Statement timeout in seconds"
          aria-invalid={"error" in parsed}
        />
        s
      </label>
      {changed && (
        <button type="submit" disabled={busy}>
          Save
        </button>
      )}
      {"error" in parsed && (
        <span className="inline-error" role="alert">
          {parsed.error}
        </span>
      )}
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
