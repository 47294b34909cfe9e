// The engine settings, shared by every form that shows one (the live-queries view's
// interval, each console's timeout): a save sends all of them as last saved, and tells
// the other forms, so one form never puts back another's older value.
import { useCallback, useEffect, useState } from "react";

import type { EngineSettings } from "../../bindings/EngineSettings";
import type { EngineSettingsStatus } from "../../bindings/EngineSettingsStatus";
import { api } from "../../ipc";

const SAVED_EVENT = "tidepool:engine-settings";

export function useEngineSettings(): {
  status: EngineSettingsStatus | null;
  /** Why they could not be read. */
  error: string | null;
  /** Saves the settings with `change` applied; rejects with the app's error. */
  save: (change: Partial<EngineSettings>) => Promise<EngineSettingsStatus>;
} {
  const [status, setStatus] = useState<EngineSettingsStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let mounted = true;
    api
      .engineSettings()
      .then((s) => mounted && setStatus(s))
      .catch((e: { message: string }) => mounted && setError(e.message));
    const saved = (e: Event) => setStatus((e as CustomEvent<EngineSettingsStatus>).detail);
    window.addEventListener(SAVED_EVENT, saved);
    return () => {
      mounted = false;
      window.removeEventListener(SAVED_EVENT, saved);
    };
  }, []);

  const save = useCallback(
    async (change: Partial<EngineSettings>) => {
      const current = status ?? (await api.engineSettings());
      const next = await api.setEngineSettings({ ...current.saved, ...change });
      window.dispatchEvent(new CustomEvent(SAVED_EVENT, { detail: next }));
      return next;
    },
    [status],
  );

  return { status, error, save };
}
