// The engine settings' form, as pure functions: what the re-evaluation interval field
// accepts, and what the form says about when a saved interval applies.
import type { EngineSettingsStatus } from "../../bindings/EngineSettingsStatus";

/** The interval's bounds in milliseconds (those of `tidepool serve --reevaluate-ms`). */
export const REEVALUATE_MS = { min: 1, max: 60_000 };

/** The field's text as an interval, or why it is not one. */
export function parseReevaluateMs(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  const ms = Number(trimmed);
  if (trimmed === "" || !Number.isInteger(ms) || ms < REEVALUATE_MS.min || ms > REEVALUATE_MS.max) {
    return { error: `A whole number of milliseconds from ${REEVALUATE_MS.min} to ${REEVALUATE_MS.max.toLocaleString("en")}.` };
  }
  return { ms };
}

/** When the saved interval applies: the open database keeps the one it was opened with. */
export function appliesWhen(status: EngineSettingsStatus): string {
  const saved = status.saved.reevaluate_ms;
  const open = status.open?.reevaluate_ms;
  if (open === undefined) return "Applies to the next database opened.";
  if (open === saved) return "The open database uses it.";
  return `Applies to databases opened from now on; the open one keeps ${open} ms until the app next opens it.`;
}
